/*
 * The interpreter engine: the run loop, exact instruction counting,
 * interrupt injection, hooks, and the engine interface glue.
 *
 * Counting rule: an instruction retires when its handler returns; one that
 * raises an exception does not retire.  INT n, INT3 and SYSCALL retire
 * (they are traps).  Each iteration of a REP string instruction retires as
 * one instruction, and a REP with a zero count retires once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "encore/plugin.h"
#include "interp.h"
#include "mmu.h"
#include "translate.h"
#include "ops.h"

static struct cpu *cpu_of(struct encore_engine *e)
{
	return (struct cpu *)((u8 *)e - offsetof(struct cpu, engine));
}

void cpu_update_mode(struct cpu *c)
{
	/* Real mode runs at CPL 0 whatever the low bits of CS hold. */
	c->cpl = real_mode(c) ? 0 : c->s.seg[SEG_CS].selector & 3;
	c->tlb_cpl = c->tlb[c->cpl == 3];
	c->mode64 = (c->s.efer & EFER_LMA) && (c->s.seg[SEG_CS].attr & SEG_ATTR_L);
	/* Decoding depends on the code size; execute permission on the privilege,
	 * which also keys blocks for on_block_decoded (a block has one CPL).
	 * Real mode and 16-bit protected mode decode alike (CS.D = 0). */
	u8 key = c->mode64 | ((c->s.seg[SEG_CS].attr & SEG_ATTR_DB) ? 2 : 0) | (u8)(c->cpl << 2);
	/* A chain of blocks runs in one mode: code in another starts from the
	 * run loop, where on_cpl_change is told (run_blocks_hooked). */
	if (key != c->mode_key) {
		c->block_abort = 1;
		c->chain_limit = 0;
	}
	c->mode_key = key;
	/*
	 * The jump cache is keyed by RIP, an offset in CS: it holds for one CS
	 * base only.  Outside 64-bit mode (which ignores the base) a far
	 * transfer to another base, as real-mode code makes all the time,
	 * empties it; block_find stays a compare of RIP.
	 */
	u64 base = c->mode64 ? 0 : (u32)c->s.seg[SEG_CS].base;
	if (base != c->code_base) {
		c->code_base = base;
		block_jump_cache_flush(c);
	}
}

/* Virtual time is the machine's: every vCPU's instructions count
 * (this one is running, so the machine's others are fixed meanwhile). */
u64 cpu_tsc(struct cpu *c)
{
	return c->machine->insns_others + cpu_icount(c) + c->machine->idle_ns + c->s.msr.tsc_offset;
}

u64 cpu_port_in(struct cpu *c, u16 port, unsigned size)
{
	u64 v = 0;
	bus__access(&c->machine->pio, c->engine.vcpu, port, (u8 *)&v, size, false);
	return v & size_mask(size);
}

void cpu_port_out(struct cpu *c, u16 port, unsigned size, u64 v)
{
	bus__access(&c->machine->pio, c->engine.vcpu, port, (u8 *)&v, size, true);
}

/* ---- unimplemented opcodes: #UD in the guest, counted and reported ---- */

static void block_insn_bytes(struct cpu *c, const struct block *b, unsigned offset,
			     unsigned len, u8 *out);

static void record_unimplemented(struct cpu *c, u64 rip)
{
	struct interp_stats *st = c->stats;
	u8 bytes[15];
	/* Called from a handler, so c->cur is an instruction of that block. */
	const struct block *b = block_of(c->cur_first);
	unsigned offset = 0, n = c->cur->len;
	for (const struct insn *i = b->insns; i != c->cur; i++)
		offset += i->len;
	block_insn_bytes(c, b, offset, n, bytes);
	for (unsigned k = 0; k < st->unimpl_count; k++) {
		struct unimpl_record *r = &st->unimpl[k];
		if (r->len == n && !memcmp(r->bytes, bytes, n)) {
			r->count++;
			return;
		}
	}
	if (st->unimpl_count == UNIMPL_MAX)
		return;
	struct unimpl_record *r = &st->unimpl[st->unimpl_count++];
	memcpy(r->bytes, bytes, n);
	r->len = n;
	r->count = 1;
	r->first_rip = rip;
}

void insn_ud(struct cpu *c, const struct insn *i)
{
	record_unimplemented(c, c->s.rip - i->len);
	raise_ud(c);
}

_Noreturn void raise_unimplemented(struct cpu *c)
{
	record_unimplemented(c, c->s.rip - c->cur->len);
	raise_ud(c);
}

void insn_invalid(struct cpu *c, const struct insn *i)
{
	(void)i;
	raise_ud(c);
}

/* ---- the run loop ---- */

/* len bytes of RAM at pa, within one page. */
static void copy_code(struct cpu *c, u64 pa, unsigned len, u8 *out)
{
	const u8 *p = pc__ram_ptr(c->machine, pa);
	if (p)
		memcpy(out, p, len);
	else
		memset(out, 0xff, len);
}

/* len bytes of a block's code from byte `offset`, from the physical pages
 * it was decoded from (no translation, so it cannot fault). */
static __attribute__((noinline)) void block_insn_bytes(struct cpu *c, const struct block *b,
						     unsigned offset, unsigned len, u8 *out)
{
	u64 pa = b->paddr + offset;
	unsigned room = ((pa ^ b->paddr) & ~0xfffull) ? 0 : 0x1000 - (unsigned)(pa & 0xfff);
	unsigned first = len < room ? len : room;
	copy_code(c, pa, first, out);
	if (first < len)
		copy_code(c, b->page2 + ((pa + first) & 0xfff), len - first, out + first);
}

void hooks_block_decoded(struct cpu *c, struct block *b)
{
	u8 lens[BLOCK_MAX_INSNS], bytes[BLOCK_MAX_INSNS * 15];
	unsigned total = 0;
	for (unsigned k = 0; k < b->ninsns; k++)
		total += lens[k] = b->insns[k].len;
	block_insn_bytes(c, b, 0, total, bytes);
	struct encore_code_block desc = { b->vrip, b->ninsns, c->cpl, lens, bytes };
	b->hook_handle = c->hooks->on_block_decoded(c->hooks->code_opaque, c->engine.vcpu->index,
						    &desc);
}

void hooks_block_left(struct cpu *c, u64 icount, unsigned started)
{
	const struct encore_hooks *h = c->hooks;
	h->on_block_ran(h->code_opaque, c->engine.vcpu->index, icount,
			block_of(c->cur_first)->hook_handle, started, (unsigned)(c->icount - icount));
}

/* A block as hooks see it: up to the end of the block, the budget, or a
 * conditional branch inside it, whichever comes first. */
static void hook_block(struct cpu *c, const struct encore_hooks *h, u64 icount,
		       const struct insn *i, const struct insn *end)
{
	unsigned n = (unsigned)(end - i) < i->hook_run ? (unsigned)(end - i) : i->hook_run;
	h->on_block(h->block_opaque, c->engine.vcpu->index, icount, c->s.rip, n, c->cpl);
}

/*
 * Run the first n instructions of a block, up to c->stop: a handler that
 * must end the block moves it (cpu_end_block), one compare per
 * instruction serves both.  Instructions are counted when the block
 * ends.
 */
static inline __attribute__((always_inline)) unsigned exec_block(struct cpu *c,
								    const struct block *b, unsigned n)
{
	const struct insn *i = b->insns;
	c->cur_first = i;
	c->stop = i + n;
	do {
		c->cur = i;
		c->s.rip += i->len;
		i->fn(c, i);
		i++;
	} while (i != c->stop);
	c->icount += (u64)(i - b->insns);
	c->cur = NULL;
	return (unsigned)(i - b->insns);
}

/* The encoding of the instruction at `offset` for on_insn: a pointer
 * into the block's first page when it lies there (`code`, `room` bytes
 * from the block's start), else a copy in `copy`. */
static inline const u8 *hook_insn_bytes(struct cpu *c, const struct block *b, const u8 *code,
				       unsigned room, unsigned offset, unsigned len, u8 *copy)
{
	if (offset + len <= room)
		return code + offset;
	block_insn_bytes(c, b, offset, len, copy);
	return copy;
}

/* exec_block with per-instruction hooks, per-block hooks or both (one
 * copy per combination, so a missing one costs no test per instruction).
 * Everything the hooks need that stays fixed for the block is read once,
 * before the first call. */
static inline __attribute__((always_inline)) unsigned
run_hooked(struct cpu *c, const struct block *b, unsigned n, bool on_block, bool on_insns)
{
	const struct encore_hooks *h = c->hooks;
	void (*on_insn)(void *, unsigned, u64, u64, const u8 *, unsigned, unsigned) =
		on_insns ? h->on_insn : NULL;
	void *insn_opaque = h->insn_opaque;
	unsigned vcpu = c->engine.vcpu->index, offset = 0, room = 0;
	const u8 *code = on_insn ? pc__ram_ptr(c->machine, b->paddr) : NULL;
	if (code)
		room = 0x1000 - (unsigned)(b->paddr & 0xfff);
	const struct insn *first = b->insns, *i = first;
	u64 icount = c->icount;
	c->cur_first = i;
	c->stop = i + n;
	do {
		if (on_block && (i == first || (i[-1].flags & IF_SIDE_EXIT)))
			hook_block(c, h, icount, i, first + n);
		if (on_insn) {
			u8 copy[15];
			on_insn(insn_opaque, vcpu, icount, c->s.rip,
				hook_insn_bytes(c, b, code, room, offset, i->len, copy), i->len, c->cpl);
		}
		offset += i->len;
		c->cur = i;
		c->s.rip += i->len;
		i->fn(c, i);
		i++;
		icount++;
	} while (i != c->stop);
	c->icount += (u64)(i - first);
	c->cur = NULL;
	return (unsigned)(i - first);
}

/* The instructions of b begun (see exec_block). */
static unsigned exec_block_hooked(struct cpu *c, const struct block *b, unsigned n)
{
	bool on_block = c->hooks->on_block != NULL, on_insn = c->hooks->on_insn != NULL;
	if (on_block && on_insn)
		return run_hooked(c, b, n, true, true);
	if (on_insn)
		return run_hooked(c, b, n, false, true);
	return run_hooked(c, b, n, true, false);
}

/* What a run of blocks calls besides the handlers (c->run_kind). */
enum run_kind {
	RUN_PLAIN,   /* nothing */
	RUN_CODE,    /* on_block_ran after each block, nothing per instruction */
	RUN_HOOKED,  /* on_insn or on_block: exec_block_hooked (and on_block_ran,
	              * if installed) */
	RUN_WATCH,   /* plain blocks; only on_cpl_change, between chains */
};

/* on_block_ran (fn NULL if not installed), read once for a chain of
 * blocks.  A run that a fault ends is reported by hooks_block_left. */
struct ran_hook {
	void (*fn)(void *, unsigned, u64, void *, unsigned, unsigned);
	void *opaque;
	unsigned vcpu;
	bool count_runs;
};

/* A run of b that began `started` and retired `retired` of its
 * instructions, to on_block_ran or (none faulted) to its count. */
static inline void report_run(const struct ran_hook *ran, const struct block *b, u64 icount,
			      unsigned started, unsigned retired)
{
	if (ran->count_runs && retired == started && b->hook_handle)
		((u64 *)b->hook_handle)[retired - 1]++;
	else
		ran->fn(ran->opaque, ran->vcpu, icount, b->hook_handle, started, retired);
}

static inline __attribute__((always_inline)) void run_one(struct cpu *c, const struct block *b,
							  unsigned n, enum run_kind kind,
							  const struct ran_hook *ran)
{
	u64 icount = c->icount;
	unsigned started = kind == RUN_HOOKED ? exec_block_hooked(c, b, n) : exec_block(c, b, n);
	if (kind == RUN_CODE || (kind == RUN_HOOKED && ran->fn))
		report_run(ran, b, icount, started, (unsigned)(c->icount - icount));
}

/* b's translation, if it has one that calls the hooks installed (blocks
 * built with other hooks are only the rest of a cache that set_hooks
 * empties, or another vCPU's while hooks are being set). */
static inline block_code_fn block_code(const struct cpu *c, const struct block *b)
{
	return b->code_hooks == c->code_hooks ? b->code : NULL;
}

/*
 * Run block b (its first n instructions), then chain whole blocks while
 * nothing needs attention: anything that does (a kick, HLT, STI, an
 * interrupt-flag change, self-modifying code, an exit) sets block_abort,
 * and the next block must fit the instruction budget.
 */
static inline __attribute__((always_inline)) void run_blocks(struct cpu *c, struct block *b,
							     unsigned n, bool shadow,
							     enum run_kind kind)
{
	struct ran_hook ran = { 0 };
	if (kind != RUN_PLAIN)
		ran = (struct ran_hook){ c->hooks->on_block_ran, c->hooks->code_opaque,
					 c->engine.vcpu->index, c->hooks->count_runs };
	block_code_fn code = block_code(c, b);
	if (code && n == b->ninsns && !shadow) {
		code(c); /* goes on through translated blocks while it may */
		if (c->pending_vector >= 0)
			return;
	} else {
		run_one(c, b, n, kind, &ran);
	}
	if (shadow || c->pending_vector >= 0)
		return; /* an interrupt may be due at the next boundary */
	while (!c->block_abort) {
		b = block_next(c, b);
		if (b->ninsns > c->insn_limit - c->icount)
			break;
		block_code_fn code = block_code(c, b);
		if (code)
			code(c);
		else
			run_one(c, b, b->ninsns, kind, &ran);
	}
}

/* Out of line, so that the hooked loops do not shape the register
 * allocation of the plain run loop. */
static __attribute__((noinline)) void run_blocks_hooked(struct cpu *c, struct block *b,
						       unsigned n, bool shadow)
{
	/* Blocks chain only within one mode, so code at a new CPL always
	 * starts here: before it runs, with what ran before counted. */
	if (unlikely(c->cpl != c->reported_cpl) && c->hooks->on_cpl_change) {
		c->reported_cpl = c->cpl;
		c->hooks->on_cpl_change(c->hooks->cpl_change_opaque, c->engine.vcpu->index, c->icount,
					c->cpl);
	}
	if (c->run_kind == RUN_CODE)
		run_blocks(c, b, n, shadow, RUN_CODE);
	else if (c->run_kind == RUN_HOOKED)
		run_blocks(c, b, n, shadow, RUN_HOOKED);
	else
		run_blocks(c, b, n, shadow, RUN_PLAIN);
}

static bool interrupts_enabled(struct cpu *c)
{
	return (c->s.rflags & RF_IF) && !c->s.irq_shadow;
}

/* One step of the loop; returns an exit reason, or -1 to go on. */
static int run_step(struct cpu *c)
{
	if (c->exit_reason >= 0)
		return c->exit_reason;
	if (c->kicked) {
		c->kicked = 0;
		return EXIT_KICK;
	}
	if (unlikely(c->s.nmi_pending) && !c->s.nmi_blocked && !c->s.irq_shadow) {
		c->s.nmi_pending = 0;
		c->s.nmi_blocked = 1; /* until IRET */
		cpu_external_interrupt(c, EXC_NMI);
		return -1;
	}
	if (c->want_window && c->pending_vector < 0 && interrupts_enabled(c))
		return EXIT_IRQ_WINDOW;
	if (c->pending_vector >= 0 && interrupts_enabled(c)) {
		unsigned v = c->pending_vector;
		c->pending_vector = -1;
		cpu_external_interrupt(c, v);
		return -1;
	}
	if (c->s.halted)
		return EXIT_HLT;
	if (c->icount >= c->insn_limit)
		return EXIT_LIMIT;
	struct block *b = block_find(c);
	u64 left = c->insn_limit - c->icount;
	unsigned n = b->ninsns < left ? b->ninsns : (unsigned)left;
	bool shadow = c->s.irq_shadow;
	if (shadow) {
		c->s.irq_shadow = 0;
		n = 1;
	}
	c->block_abort = 0;
	c->chain_limit = c->pending_vector >= 0 ? 0 : c->insn_limit;
	/* Hooks on memory, exceptions and system calls fire from inside the
	 * handlers: only per-instruction and per-block hooks need these loops. */
	if (unlikely(c->run_kind != RUN_PLAIN))
		run_blocks_hooked(c, b, n, shadow);
	else
		run_blocks(c, b, n, shadow, RUN_PLAIN);
	return -1;
}

/* Apart from interp_run: code in a function that calls setjmp keeps its
 * variables in memory, which would cost the hot loop a reload per block. */
static __attribute__((noinline)) int run_loop(struct cpu *c)
{
	int reason;
	c->cur = NULL;
	c->delivering = -1;
	while ((reason = run_step(c)) < 0)
		;
	return reason;
}

static int interp_run(struct encore_engine *e, u64 limit, struct encore_exit *x)
{
	struct cpu *c = cpu_of(e);
	c->insn_limit = limit;
	c->exit_reason = -1;
	c->exit_message[0] = 0;
	int reason;
	setjmp(c->exc_jmp); /* exceptions resume the loop here */
	reason = run_loop(c);
	x->reason = reason;
	x->pc = c->s.rip;
	snprintf(x->message, sizeof(x->message), "%s", c->exit_message);
	return 0;
}

/* ---- state and control ---- */

static void interp_get_state(struct encore_engine *e, void *state)
{
	struct encore_cpu_state *s = state;
	struct cpu *c = cpu_of(e);
	*s = c->s;
	s->rflags = flags_get(c);
	s->irq_injected = c->pending_vector >= 0;
	s->irq_vector = c->pending_vector >= 0 ? (u8)c->pending_vector : 0;
	s->irq_window_wanted = c->want_window;
	s->kick_pending = c->kicked;
}

static int interp_set_state(struct encore_engine *e, const void *state)
{
	const struct encore_cpu_state *s = state;
	struct cpu *c = cpu_of(e);
	c->s = *s;
	c->s.rflags |= RF_FIXED1;
	c->pending_vector = s->irq_injected ? s->irq_vector : -1;
	c->want_window = s->irq_window_wanted;
	c->kicked = s->kick_pending;
	c->s.irq_injected = c->s.irq_vector = c->s.irq_window_wanted = c->s.kick_pending = 0;
	c->cc_op = CC_OP(CC_EFLAGS, 1);
	cpu_update_mode(c);
	c->reported_cpl = c->cpl; /* a restore is no change of privilege */
	tlb_flush_all(c);
	return 0;
}

static bool interp_interrupt_window(struct encore_engine *e)
{
	struct cpu *c = cpu_of(e);
	return interrupts_enabled(c) && c->pending_vector < 0;
}

static bool interp_runnable(struct encore_engine *e)
{
	struct cpu *c = cpu_of(e);
	return !c->s.halted || c->pending_vector >= 0 || (c->s.nmi_pending && !c->s.nmi_blocked);
}

static void interp_inject_nmi(struct encore_engine *e)
{
	struct cpu *c = cpu_of(e);
	if (c->s.wait_for_sipi)
		return; /* a CPU waiting for a start-up IPI ignores NMIs */
	c->s.nmi_pending = 1;
	cpu_end_block(c);
}

static void interp_request_window(struct encore_engine *e, bool on)
{
	struct cpu *c = cpu_of(e);
	c->want_window = on;
	if (on)
		cpu_end_block(c);
}

static int interp_inject(struct encore_engine *e, u8 vector)
{
	struct cpu *c = cpu_of(e);
	if (c->pending_vector >= 0)
		return -1;
	c->pending_vector = vector;
	c->chain_limit = 0; /* taken at the next block boundary, as run_blocks does */
	return 0;
}

static u64 interp_insn_count(struct encore_engine *e)
{
	return cpu_icount(cpu_of(e));
}

static void interp_set_insn_count(struct encore_engine *e, u64 count)
{
	cpu_of(e)->icount = count;
}

/* The whole TLB goes, not only its write tags: an interval then starts
 * with an empty TLB whether it follows a checkpoint or a restore, so a
 * stale translation the guest did not flush cannot make them differ. */
static void interp_protect_ram(struct encore_engine *e)
{
	tlb_flush_all(cpu_of(e));
}

/* The decoded blocks of every frame a device wrote (len > 0, all RAM),
 * as a write through the slow path drops them.  The machine's
 * interpreters share their blocks, so the running vCPU's drops them: its
 * own block then ends if it ran from them (code_page_invalidate). */
static void interp_ram_written(struct encore_engine *e, u64 gpa, u64 len)
{
	struct cpu *c = cpu_of(e);
	if (e->vcpu != c->machine->cur)
		return;
	for (u64 page = gpa >> 12; page <= (gpa + len - 1) >> 12; page++) {
		i64 frame = ram_frame(c->machine, page << 12);
		if (code_page_has_blocks(c, frame))
			code_page_invalidate(c, frame);
	}
}

static void interp_kick(struct encore_engine *e)
{
	struct cpu *c = cpu_of(e);
	c->kicked = 1;
	cpu_end_block(c);
}

static void interp_set_yield(struct encore_engine *e, bool on)
{
	cpu_of(e)->yield_on_pause = on;
}

static int interp_set_hooks(struct encore_engine *e, const struct encore_hooks *h)
{
	struct cpu *c = cpu_of(e);
	if (h && !h->on_block_decoded != !h->on_block_ran)
		return -1;
	unsigned code_hooks = !h ? 0 : h->on_insn ? CODE_HOOKS_NONE
			    : (h->on_block_ran ? CODE_HOOKS_RAN : 0) | (h->on_block ? CODE_HOOKS_BLOCK : 0) |
			      (h->on_mem ? CODE_HOOKS_MEM : 0) |
			      (h->on_block_ran && h->count_runs ? CODE_HOOKS_COUNT : 0);
	/* No decoded block may keep a handle of another hook set, and
	 * translations call the hooks they were made with. */
	if ((h && h->on_block_decoded) || (c->hooks && c->hooks->on_block_decoded) ||
	    code_hooks != c->code_hooks)
		block_cache_flush(c);
	c->code_hooks = (u8)code_hooks;
	c->hooks = h;
	c->run_kind = !h ? RUN_PLAIN : h->on_insn || h->on_block ? RUN_HOOKED
		    : h->on_block_ran ? RUN_CODE : h->on_cpl_change ? RUN_WATCH : RUN_PLAIN;
	c->reported_cpl = c->cpl;
	tlb_flush_all(c); /* memory hooks need every access on the slow path */
	return 0;
}

/* "grp5" for registered opcodes, "opcode 0f 0b" for the rest. */
static void opcode_label(const struct unimpl_record *r, char *buf, size_t n)
{
	static const char *const maps[] = { "", "0f ", "0f 38 ", "0f 3a " };
	struct insn i;
	if (decode_bytes(r->bytes, r->len, true, true, &i) == -1) {
		snprintf(buf, n, "(undecodable)");
		return;
	}
	const char *name = op_name(i.map, i.op);
	if (name)
		snprintf(buf, n, "%s (opcode %s%02x)", name, maps[i.map & 3], i.op);
	else
		snprintf(buf, n, "opcode %s%02x", maps[i.map & 3], i.op);
}

static void interp_report(struct encore_engine *e, void *file)
{
	struct cpu *c = cpu_of(e);
	FILE *f = file;
	struct interp_stats *st = c->stats;
	for (unsigned k = 0; k < st->unimpl_count; k++) {
		struct unimpl_record *r = &st->unimpl[k];
		char label[64];
		opcode_label(r, label, sizeof(label));
		fprintf(f, "encore: unimplemented or invalid instruction %s", label);
		if (c->machine->nvcpus > 1)
			fprintf(f, " on vCPU %u", e->vcpu->index);
		fprintf(f, ", bytes");
		for (unsigned b = 0; b < r->len; b++)
			fprintf(f, " %02x", r->bytes[b]);
		fprintf(f, ": executed %llu times, first at RIP %#llx\n", (unsigned long long)r->count,
			(unsigned long long)r->first_rip);
	}
}

static void interp_destroy(struct encore_engine *e)
{
	struct cpu *c = cpu_of(e);
	if (e->vcpu && e->vcpu->engine == e)
		e->vcpu->engine = NULL;
	block_cache_destroy(c);
	free(c->stats);
	free(c);
}

static const struct encore_engine_ops interp_ops = {
	.name = "interp",
	.run = interp_run,
	.get_state = interp_get_state,
	.set_state = interp_set_state,
	.interrupt_window = interp_interrupt_window,
	.runnable = interp_runnable,
	.request_interrupt_window = interp_request_window,
	.inject_interrupt = interp_inject,
	.inject_nmi = interp_inject_nmi,
	.insn_count = interp_insn_count,
	.set_insn_count = interp_set_insn_count,
	.protect_ram = interp_protect_ram,
	.ram_written = interp_ram_written,
	.kick = interp_kick,
	.set_yield = interp_set_yield,
	.set_hooks = interp_set_hooks,
	.report = interp_report,
	.destroy = interp_destroy,
};

/* Another vCPU of `m` on the interpreter, whose decoded blocks `v` shares. */
static struct cpu *sibling(struct encore_machine *m, struct encore_vcpu *v)
{
	for (unsigned k = 0; k < m->nvcpus; k++) {
		struct encore_engine *e = m->vcpus[k].engine;
		if (&m->vcpus[k] != v && e && e->ops == &interp_ops)
			return cpu_of(e);
	}
	return NULL;
}

struct encore_engine *interp__create(struct encore_machine *m, struct encore_vcpu *v)
{
	static bool ops_ready;
	if (!ops_ready) {
		interp_init_ops();
		ops_ready = true;
	}
	struct cpu *c = aligned_alloc(64, (sizeof(struct cpu) + 63) & ~(size_t)63);
	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->machine = m;
	c->engine.ops = &interp_ops;
	c->engine.machine = m;
	c->engine.vcpu = v;
	c->pending_vector = -1;
	c->delivering = -1;
	c->tlb_cpl = c->tlb[0];
	c->stats = calloc(1, sizeof(*c->stats));
	block_cache_init(c, sibling(m, v));
	tlb_init(c);
	v->engine = &c->engine;
	return &c->engine;
}
