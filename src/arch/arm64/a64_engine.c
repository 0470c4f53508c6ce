/*
 * The A64 interpreter engine: the run loop over decoded blocks, exact
 * instruction counts, interrupt delivery, waiting, hooks, and the glue of
 * the engine interface.
 *
 * Counting rule: an instruction retires when its handler returns anything
 * but A64_EXC; one that takes an exception (a fault, an undefined
 * encoding) does not.  SVC, HVC and SMC retire (the exception they take
 * returns to the next instruction).  WFE is a hint this CPU completes at
 * once (the architecture allows a WFE to end at any time), so spinning
 * vCPUs yield to others but never depend on when an event arrived.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arm64/a64_code.h"
#include "arch/arm64/a64_engine.h"
#include "arch/arm64/a64_exception.h"
#include "arch/arm64/a64_mem.h"
#include "arch/arm64/a64_mmu.h"
#include "arch/arm64/a64_state.h"
#include "arch/arm64/a64_sysreg.h"
#include "arch/arm64/a64_translate.h"
#include "encore/hooks.h"
#include "encore/plugin.h"
#include "encore/hw.h"

#define PAGE_SIZE 4096u
#define SVC_MASK 0xffe0001fu
#define SVC_WORD 0xd4000001u
#define UNDEF_MAX 16
/* Exceptions in a row with no instruction retired between them: the
 * vectors themselves fault (the guest's triple fault, in effect). */
#define EXCEPTION_LOOP 64

/*
 * The jump cache: the block a virtual PC at an EL last ran, so that a hit
 * skips the fetch's translation and the code cache's lookup.  An entry
 * holds while the TLB still lets that EL execute the PC's page, mapped to
 * the block's frame (so it caches no longer than the TLB does, and a
 * TLBI or an ASID switch costs only the entries it changes), and its
 * block still holds what it was decoded from (its serial: blocks are
 * reused for other code) unchanged (a write to the frame bumps the
 * frame's generation).
 */
#define JUMP_BITS 15
#define JUMP_SIZE (1u << JUMP_BITS)

struct jump_entry {
	u64 at;            /* the PC | the EL (PCs are 4-byte aligned); ~0: empty */
	u64 serial;
	const struct a64_block *b;
};

struct undef_record {
	u32 word;
	unsigned el;
	u64 first_pc, count;
};

struct a64_engine {
	struct encore_engine engine;
	struct encore_machine *m;
	struct a64_code *code;
	struct a64_board_ops board;
	const struct encore_hooks *hooks;
	bool code_hooks;    /* on_block_decoded/on_block_ran: blocks keyed by (PC, EL) */
	unsigned trans_hooks; /* what translations call: enum a64_trans_hooks */
	u64 limit;
	bool kicked, want_window, irq_pending, powered_off, yield_on_wfe;
	unsigned reported_el;
	u64 others_seen;    /* machine->insns_others when this vCPU last ran */
	u64 loop_insns;     /* the count at the last exception taken */
	unsigned loop_len;  /* exceptions taken at that count */
	char fault[200];    /* an exception loop, described */
	struct undef_record undef[UNDEF_MAX];
	unsigned nundef;
	struct jump_entry jump[JUMP_SIZE];
	struct a64_cpu cpu; /* large (its TLB): last */
};

static const struct encore_engine_ops a64_ops;

static struct a64_engine *eng_of(struct encore_engine *e)
{
	return (struct a64_engine *)e;
}

/* Privilege as hooks and plugins count it: 0 the kernel, 3 user code. */
static unsigned hook_cpl(const struct a64_cpu *c)
{
	return c->el ? 0 : 3;
}

/* The code cache's key of the block at the PC (a64_code__hook_key with
 * decoded-code hooks, else 0). */
static u64 block_key(const struct a64_engine *x)
{
	return x->code_hooks ? a64_code__hook_key(x->cpu.pc, x->cpu.el) : 0;
}

/* ---- the jump cache ---- */

static struct jump_entry *jump_slot(struct a64_engine *x, u64 pc)
{
	return &x->jump[((pc >> 2) ^ (pc >> (2 + JUMP_BITS))) & (JUMP_SIZE - 1)];
}

static void jump_clear(struct a64_engine *x)
{
	for (unsigned k = 0; k < JUMP_SIZE; k++)
		x->jump[k].at = ~0ull;
}

static void jump_fill(struct a64_engine *x, const struct a64_block *b)
{
	const struct a64_cpu *c = &x->cpu;
	*jump_slot(x, c->pc) = (struct jump_entry){ .at = c->pc | c->el, .serial = b->serial,
						    .b = b };
}

/* The TLB entry that lets the current EL execute the PC's page, or NULL. */
static inline const struct a64_tlb_entry *exec_entry(struct a64_cpu *c)
{
	const struct a64_tlb_entry *e = a64_tlb_entry_for(c, c->pc);
	return e->tag[A64_TLB_EXEC][c->el] == (c->pc | 0xfff) ? e : NULL;
}

/* The block at the PC from the jump cache, or NULL. */
static inline __attribute__((always_inline)) struct a64_block *jump_find(struct a64_engine *x)
{
	struct a64_cpu *c = &x->cpu;
	const struct jump_entry *j = jump_slot(x, c->pc);
	if (j->at != (c->pc | c->el))
		return NULL;
	const struct a64_block *b = j->b;
	const struct a64_tlb_entry *e = exec_entry(c);
	if (!e || ((e->pa ^ b->pa) & ~A64_TLBE_FLAGS))
		return NULL;
	if (b->serial != j->serial || b->gen != x->code->frame_gen[b->frame])
		return NULL;
	return (struct a64_block *)b;
}

/* ---- the CPU's callbacks ---- */

static u64 cb_now(void *opaque)
{
	struct a64_engine *x = opaque;
	return machine__now(x->m);
}

/* The slow path writes within one page (a64_callbacks.ram_written). */
static void cb_ram_written(void *opaque, u64 pa, unsigned len)
{
	struct a64_engine *x = opaque;
	(void)len;
	i64 off = machine__ram_offset(x->m, pa);
	if (off >= 0) {
		machine__frame_dirty(x->m, (u64)off / PAGE_SIZE);
		a64_code__frame_written(x->code, (u64)off / PAGE_SIZE);
	}
}

static bool cb_write_fast_ok(void *opaque, u64 pa)
{
	struct a64_engine *x = opaque;
	i64 off = machine__ram_offset(x->m, pa);
	if (off < 0)
		return false;
	u64 frame = (u64)off / PAGE_SIZE;
	return (x->m->pages.dirty[frame >> 6] >> (frame & 63) & 1) &&
	       !a64_code__frame_has_code(x->code, frame);
}

static void cb_code_stale(void *opaque, struct a64_cpu *c, u64 va, bool all)
{
	struct a64_engine *x = opaque;
	u64 pa;
	if (all) {
		a64_code__flush(x->code);
		return;
	}
	if (a64_translate(c, va, A64_ACC_FETCH, &pa) == A64_OK) {
		i64 off = machine__ram_offset(x->m, pa);
		if (off >= 0)
			a64_code__frame_written(x->code, (u64)off / PAGE_SIZE);
	}
}

static struct a64_cpu *other_cpu(struct encore_machine *m, unsigned k)
{
	struct encore_engine *e = m->vcpus[k].engine;
	return e && e->ops == &a64_ops ? &eng_of(e)->cpu : NULL;
}

static void cb_tlbi_broadcast(void *opaque, struct a64_cpu *c, u32 op, u64 arg)
{
	struct a64_engine *x = opaque;
	for (unsigned k = 0; k < x->m->nvcpus; k++) {
		struct a64_cpu *o = other_cpu(x->m, k);
		if (o && o != c)
			a64_tlbi(o, op, arg);
	}
}

static void cb_send_event(void *opaque, struct a64_cpu *c)
{
	struct a64_engine *x = opaque;
	for (unsigned k = 0; k < x->m->nvcpus; k++) {
		struct a64_cpu *o = other_cpu(x->m, k);
		if (o && o != c)
			o->event = 1;
	}
}

static void cb_timer_changed(void *opaque, struct a64_cpu *c)
{
	struct a64_engine *x = opaque;
	if (x->board.timer_changed)
		x->board.timer_changed(x->board.opaque, c);
}

static bool cb_firmware_call(void *opaque, struct a64_cpu *c, bool smc, u16 imm)
{
	struct a64_engine *x = opaque;
	return x->board.firmware_call && x->board.firmware_call(x->board.opaque, c, smc, imm);
}

/* A frame became code: no vCPU may keep writing it through its TLB. */
static void code_became(void *opaque, u64 pa)
{
	struct encore_machine *m = opaque;
	for (unsigned k = 0; k < m->nvcpus; k++) {
		struct a64_cpu *o = other_cpu(m, k);
		if (o)
			a64_tlb_protect_page(o, pa);
	}
}

/* A translation ended (a64_callbacks.chain_link): the translation at the
 * PC, if the jump cache or the TLB and the code cache know the block
 * there and it has one for this EL, linked from `site` if that is set. */
static const void *cb_chain_link(void *opaque, struct a64_cpu *c, u8 *site)
{
	struct a64_engine *x = opaque;
	if (x->hooks && hook_cpl(c) != x->reported_el)
		return NULL; /* on_cpl_change first, from run_step */
	u64 key = block_key(x);
	struct a64_block *b = jump_find(x);
	if (!b) {
		const struct a64_tlb_entry *e = exec_entry(c);
		if (!e)
			return NULL;
		b = a64_code__find(x->code, (e->pa & ~A64_TLBE_FLAGS) | (c->pc & 0xfff), key);
		if (!b)
			return NULL;
		jump_fill(x, b);
	}
	if (!b->code || b->code_el != c->el || b->key != key || b->code_hooks != x->trans_hooks ||
	    (x->code_hooks && !b->hook_told))
		return NULL;
	const u8 *entry = (const u8 *)b->code + A64_CHAINED_ENTRY;
	if (site) {
		i32 rel = (i32)(entry - (site + 4));
		memcpy(site, &rel, 4);
	}
	return entry;
}

/* The hooks translations call (a64_callbacks; see a64_translate.h). */
static void tell_ran(struct a64_engine *x, const struct a64_block *b, u64 icount,
		     unsigned started, unsigned retired);
static void svc_taken(struct a64_engine *x);
static void tell_syscall(struct a64_engine *x);

static void cb_block_start(void *opaque, struct a64_cpu *c, const void *block)
{
	struct a64_engine *x = opaque;
	const struct a64_block *b = block;
	x->hooks->on_block(x->hooks->block_opaque, x->engine.vcpu->index, c->insns, c->pc,
			   b->ninsns, hook_cpl(c));
}

static void cb_block_ran(void *opaque, struct a64_cpu *c, const void *block, unsigned started,
			 unsigned retired)
{
	tell_ran(opaque, block, c->hook_icount, started, retired);
}

static void cb_svc_entering(void *opaque, struct a64_cpu *c, const void *block)
{
	(void)c;
	(void)block;
	tell_syscall(opaque);
}

static void cb_svc_retired(void *opaque, struct a64_cpu *c)
{
	(void)c;
	svc_taken(opaque);
}

/* What translations can call of hooks `h` (enum a64_trans_hooks). */
static unsigned trans_hooks_for(const struct encore_hooks *h)
{
	if (!h)
		return 0;
	if (h->on_insn)
		return A64_TH_NONE;
	return A64_TH_HOOKED | (h->on_block ? A64_TH_BLOCK : 0u) |
	       (h->on_block_ran ? A64_TH_RAN : 0u) | (h->on_exception ? A64_TH_SVC : 0u) |
	       (h->on_syscall ? A64_TH_SYSCALL : 0u);
}

/* The machine's blocks were all dropped: no jump cache may point to one. */
static void code_dropped(void *opaque)
{
	struct encore_machine *m = opaque;
	for (unsigned k = 0; k < m->nvcpus; k++) {
		struct encore_engine *e = m->vcpus[k].engine;
		if (e && e->ops == &a64_ops)
			jump_clear(eng_of(e));
	}
}

/* ---- physical memory ---- */

static u8 *bus_ram_ptr(void *opaque, u64 pa)
{
	struct a64_engine *x = opaque;
	return machine__ram_ptr(x->m, pa);
}

static void bus_mmio(void *opaque, u64 pa, u8 *data, unsigned len, bool is_write)
{
	struct a64_engine *x = opaque;
	bus__access(&x->m->mmio, x->engine.vcpu, pa, data, len, is_write);
}

/* ---- the run loop ---- */

/* An undefined encoding taken (EC 0): counted per word for the report.
 * Some are the guest's design (Linux emulates MRS of ID registers at
 * EL0), so the report says where they ran. */
static void note_undefined(struct a64_engine *x, u64 pc, u32 word, unsigned el)
{
	for (unsigned k = 0; k < x->nundef; k++)
		if (x->undef[k].word == word && x->undef[k].el == el) {
			x->undef[k].count++;
			return;
		}
	if (x->nundef < UNDEF_MAX)
		x->undef[x->nundef++] = (struct undef_record){ word, el, pc, 1 };
}

/* Exceptions that keep coming with nothing retired between them. */
static void check_loop(struct a64_engine *x, u64 pc)
{
	struct a64_cpu *c = &x->cpu;
	if (c->insns != x->loop_insns) {
		x->loop_insns = c->insns;
		x->loop_len = 0;
	}
	if (++x->loop_len == EXCEPTION_LOOP)
		snprintf(x->fault, sizeof(x->fault), "exception after exception with no instruction "
			 "retired: at PC %#llx, ESR_EL1 %#llx, FAR_EL1 %#llx, VBAR_EL1 %#llx",
			 (unsigned long long)pc, (unsigned long long)c->sys.esr_el1,
			 (unsigned long long)c->sys.far_el1, (unsigned long long)c->sys.vbar_el1);
}

/* After instruction `word` took an exception: tell the hooks, count the
 * undefined ones for the report.  The instruction is at ELR_EL1: every
 * exception an instruction takes without retiring returns to it, so the
 * loop need not keep each instruction's address. */
static void exception_taken(struct a64_engine *x, u32 word)
{
	struct a64_cpu *c = &x->cpu;
	unsigned ec = (unsigned)(c->sys.esr_el1 >> 26);
	u64 pc = c->sys.elr_el1;
	check_loop(x, pc);
	if (ec == 0)
		note_undefined(x, pc, word, (c->sys.spsr_el1 >> 2) & 3);
	if (x->hooks && x->hooks->on_exception)
		x->hooks->on_exception(x->hooks->exception_opaque, x->engine.vcpu->index, c->insns,
				       pc, ec, (i64)(c->sys.esr_el1 & 0x1ffffff), false);
}

/* An SVC retires, but it took the Supervisor Call exception: told as x86
 * tells INT n, before the count includes it, at the return address. */
static void svc_taken(struct a64_engine *x)
{
	const struct encore_hooks *h = x->hooks;
	const struct a64_cpu *c = &x->cpu;
	h->on_exception(h->exception_opaque, x->engine.vcpu->index, c->insns, c->sys.elr_el1,
			A64_EC_SVC64, (i64)(c->sys.esr_el1 & 0x1ffffff), false);
}

/* on_syscall, with the PC at an SVC about to run. */
static void tell_syscall(struct a64_engine *x)
{
	const struct encore_hooks *h = x->hooks;
	const struct a64_cpu *c = &x->cpu;
	const u64 args[6] = { c->x[0], c->x[1], c->x[2], c->x[3], c->x[4], c->x[5] };
	h->on_syscall(h->syscall_opaque, x->engine.vcpu->index, c->insns, c->pc, c->x[8], args,
		      c->sys.ttbr0_el1);
}

static void before_insn(struct a64_engine *x, const struct a64_insn *i)
{
	const struct encore_hooks *h = x->hooks;
	struct a64_cpu *c = &x->cpu;
	if (h->on_insn)
		h->on_insn(h->insn_opaque, x->engine.vcpu->index, c->insns, c->pc,
			   (const u8 *)&i->word, 4, hook_cpl(c));
	if (h->on_syscall && (i->word & SVC_MASK) == SVC_WORD)
		tell_syscall(x);
}

/* on_block_decoded, for a block about to run first under these hooks
 * (its key holds the PC and EL it runs at). */
static void tell_decoded(struct a64_engine *x, struct a64_block *b)
{
	const struct encore_hooks *h = x->hooks;
	u8 lens[A64_BLOCK_MAX], bytes[4 * A64_BLOCK_MAX];
	for (unsigned k = 0; k < b->ninsns; k++) {
		lens[k] = 4;
		memcpy(bytes + 4 * k, &b->insns[k].word, 4);
	}
	struct encore_code_block desc = { x->cpu.pc, b->ninsns, hook_cpl(&x->cpu), lens, bytes };
	b->hook_handle = h->on_block_decoded(h->code_opaque, x->engine.vcpu->index, &desc);
	b->hook_told = true;
}

/* A run of b from icount: to its counts (count_runs, none faulted) or to
 * on_block_ran. */
static void tell_ran(struct a64_engine *x, const struct a64_block *b, u64 icount,
		     unsigned started, unsigned retired)
{
	const struct encore_hooks *h = x->hooks;
	if (h->count_runs && retired == started && b->hook_handle)
		((u64 *)b->hook_handle)[retired - 1]++;
	else
		h->on_block_ran(h->code_opaque, x->engine.vcpu->index, icount, b->hook_handle,
				started, retired);
}

/* run_block with hooks installed: each instruction's events, then the
 * run's (before the exception an instruction took, if one did). */
static int run_block_hooked(struct a64_engine *x, struct a64_block *b, unsigned n)
{
	struct a64_cpu *c = &x->cpu;
	const struct encore_hooks *h = x->hooks;
	bool code = h->on_block_ran != NULL;
	u64 icount = c->insns;
	if (code && !b->hook_told)
		tell_decoded(x, b);
	if (h->on_block)
		h->on_block(h->block_opaque, x->engine.vcpu->index, icount, c->pc, n, hook_cpl(c));
	for (unsigned k = 0; k < n; k++) {
		const struct a64_insn *i = &b->insns[k];
		before_insn(x, i);
		int r = i->exec(c, i);
		if (r == A64_EXC) {
			if (code)
				tell_ran(x, b, icount, k + 1, k);
			exception_taken(x, i->word);
			return r;
		}
		if ((i->word & SVC_MASK) == SVC_WORD && h->on_exception)
			svc_taken(x);
		c->insns++;
		if (r != A64_OK) {
			if (code)
				tell_ran(x, b, icount, k + 1, k + 1);
			return r;
		}
	}
	if (code)
		tell_ran(x, b, icount, n, n);
	return A64_OK;
}

/* Run up to n instructions of b; returns the last handler's status. */
static int run_block(struct a64_engine *x, struct a64_block *b, unsigned n)
{
	struct a64_cpu *c = &x->cpu;
	const struct a64_insn *i = b->insns, *end = b->insns + n;
	if (b->code && n == b->ninsns && b->code_el == c->el && b->code_hooks == x->trans_hooks) {
		if (unlikely(x->code_hooks) && !b->hook_told)
			tell_decoded(x, b); /* its translation calls on_block_ran */
		/* The limit first, then the flags: a kick from a signal handler
		 * between the two still zeroes it (a64_kick). */
		c->chain_limit = x->limit;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		if (x->kicked || x->irq_pending || x->want_window)
			c->chain_limit = 0;
		u64 r = ((a64_block_code)b->code)(c);
		if (likely(r == A64_OK))
			return A64_OK;
		if ((r & 0xff) == A64_EXC)
			exception_taken(x, (u32)(r >> 32));
		return (int)(r & 0xff);
	}
	if (unlikely(x->hooks != NULL))
		return run_block_hooked(x, b, n);
	for (; i < end; i++) {
		int r = i->exec(c, i);
		if (unlikely(r != A64_OK)) {
			if (r == A64_EXC) {
				exception_taken(x, i->word);
				return r;
			}
			c->insns++;
			return r;
		}
		c->insns++;
	}
	return A64_OK;
}

/* Code outside RAM (a device): one instruction at a time, fetched through
 * the bus each time. */
static int run_from_device(struct a64_engine *x)
{
	int r = a64_step(&x->cpu);
	if (r == A64_EXC)
		exception_taken(x, 0); /* not fetched again: a device read may act */
	return r;
}

static void report_el(struct a64_engine *x)
{
	const struct encore_hooks *h = x->hooks;
	unsigned cpl = hook_cpl(&x->cpu);
	if (h && h->on_cpl_change && cpl != x->reported_el) {
		x->reported_el = cpl;
		h->on_cpl_change(h->cpl_change_opaque, x->engine.vcpu->index, x->cpu.insns, cpl);
	}
}

/* The block at the PC through translation and the code cache, into the
 * jump cache; NULL after taking the Instruction Abort, or for code in a
 * device (*device set: run it from there). */
static struct a64_block *fetch_block(struct a64_engine *x, bool *device)
{
	struct a64_cpu *c = &x->cpu;
	u64 pa;
	const u8 *host;
	*device = false;
	if (a64_fetch_translate(c, c->pc, &pa, &host) != A64_OK) {
		exception_taken(x, 0); /* the Instruction Abort: on at its vector */
		return NULL;
	}
	if (!host) {
		*device = true;
		return NULL;
	}
	struct a64_block *b = a64_code__block(x->code, pa, block_key(x), host);
	if (!b->code_tried && x->trans_hooks != A64_TH_NONE)
		a64_code__translate(x->code, b, c->el, x->trans_hooks);
	jump_fill(x, b);
	return b;
}

/*
 * Blocks one after the other, from b, while nothing needs run_step's
 * attention: each ended normally at the EL the chain began at (ERET and
 * SVC change it and retire), with budget left, no kick, and no interrupt
 * to take or window to report now that PSTATE.I may have changed.  What
 * else run_step checks (power, a wait, a fault, PSTATE.IL) changes only
 * with an instruction that does not return A64_OK.  Returns the last
 * block's status.
 */
static int run_chain(struct a64_engine *x, struct a64_block *b)
{
	struct a64_cpu *c = &x->cpu;
	u8 el = c->el;
	for (;;) {
		u64 left = x->limit - c->insns;
		int r = run_block(x, b, b->ninsns < left ? b->ninsns : (unsigned)left);
		if (r != A64_OK || c->el != el || c->insns >= x->limit || x->kicked ||
		    ((x->irq_pending || x->want_window) && !(c->daif & A64_DAIF_I)))
			return r;
		if (!(b = jump_find(x)))
			return r;
	}
}

/* Has a WFI ended?  On an interrupt for this CPU, masked or not. */
static bool wfi_over(struct a64_engine *x)
{
	const struct intc *ic = &x->engine.vcpu->intc;
	return x->irq_pending || (ic->has_interrupt && ic->has_interrupt(ic->opaque));
}

/* One step of the loop; an exit reason, or -1 to go on. */
static int run_step(struct a64_engine *x)
{
	struct a64_cpu *c = &x->cpu;
	if (x->kicked) {
		x->kicked = false;
		return EXIT_KICK;
	}
	if (x->powered_off)
		return EXIT_HLT;
	if (unlikely(x->fault[0]))
		return EXIT_TRIPLE_FAULT;
	if (x->irq_pending && !(c->daif & A64_DAIF_I)) {
		u64 pc = c->pc;
		x->irq_pending = false;
		c->wait = 0;
		a64_take_irq(c, false);
		if (x->hooks && x->hooks->on_exception)
			x->hooks->on_exception(x->hooks->exception_opaque, x->engine.vcpu->index,
					       c->insns, pc, 0x100, -1, true);
		return -1;
	}
	if (x->want_window && !x->irq_pending && !(c->daif & A64_DAIF_I))
		return EXIT_IRQ_WINDOW;
	if (c->wait) {
		if (!wfi_over(x))
			return EXIT_HLT;
		c->wait = 0;
	}
	if (c->insns >= x->limit)
		return EXIT_LIMIT;
	if (unlikely(c->il)) {
		a64_take_sync(c, A64_EC_ILLEGAL_STATE, 0, 0, false);
		exception_taken(x, 0);
		return -1;
	}
	int r;
	struct a64_block *b = jump_find(x);
	bool device = false;
	if (!b) {
		if (unlikely(c->pc & 3)) {
			a64_take_sync(c, A64_EC_PC_ALIGN, 0, c->pc, true);
			exception_taken(x, 0);
			return -1;
		}
		b = fetch_block(x, &device);
		if (!b && !device)
			return -1;
	}
	/* Only now is an instruction about to run at this EL: a fetch that
	 * faulted ran nothing at the EL it left again at once. */
	report_el(x);
	r = b ? run_chain(x, b) : run_from_device(x);
	if (r == A64_WAIT && c->wait == A64_WAIT_WFE) {
		c->wait = 0; /* completed at once: see the top of this file */
		if (x->yield_on_wfe)
			return EXIT_YIELD;
	}
	return -1;
}

/* Another vCPU ran since this one last did (the machine's count of the
 * others' instructions moved): it may have stored to what this one's
 * exclusive monitor watches, so the monitor is cleared, as a context
 * switch may on hardware.  Within a turn no one else runs, so an
 * LDXR/STXR sequence there is atomic; across turns the STXR fails and
 * the guest retries.  Tied to the schedule, never to where run() was
 * called from, so a debugger's pause changes nothing. */
static void others_ran(struct a64_engine *x)
{
	if (x->m->insns_others != x->others_seen) {
		x->others_seen = x->m->insns_others;
		x->cpu.monitor.open = false;
	}
}

static int a64_run(struct encore_engine *e, u64 limit, struct encore_exit *exit)
{
	struct a64_engine *x = eng_of(e);
	int reason;
	x->limit = limit;
	others_ran(x);
	while ((reason = run_step(x)) < 0)
		;
	exit->reason = reason;
	exit->pc = x->cpu.pc;
	snprintf(exit->message, sizeof(exit->message), "%s", x->fault);
	return 0;
}

/* ---- state and control ---- */

static void a64_get_state(struct encore_engine *e, void *state)
{
	struct a64_engine *x = eng_of(e);
	a64_state__save(&x->cpu, x->irq_pending, x->powered_off, state);
	((struct a64_state *)state)->others_seen = x->others_seen;
}

static int a64_set_state(struct encore_engine *e, const void *state)
{
	struct a64_engine *x = eng_of(e);
	a64_state__load(&x->cpu, state, &x->irq_pending, &x->powered_off);
	x->others_seen = ((const struct a64_state *)state)->others_seen;
	a64_tlb_reset(&x->cpu);
	x->reported_el = hook_cpl(&x->cpu); /* a restore is no change of privilege */
	return 0;
}

static bool a64_interrupt_window(struct encore_engine *e)
{
	struct a64_engine *x = eng_of(e);
	return !(x->cpu.daif & A64_DAIF_I) && !x->irq_pending && !x->powered_off;
}

/* A WFI with interrupts masked still wakes on a pending interrupt. */
static bool a64_wakeable(struct encore_engine *e)
{
	return !eng_of(e)->powered_off;
}

static bool a64_runnable(struct encore_engine *e)
{
	struct a64_engine *x = eng_of(e);
	if (x->powered_off)
		return false;
	return !x->cpu.wait || wfi_over(x);
}

static void a64_request_window(struct encore_engine *e, bool on)
{
	eng_of(e)->want_window = on;
	if (on)
		eng_of(e)->cpu.chain_limit = 0;
}

/* There is no INTA cycle: the interrupt is taken at the next boundary
 * where PSTATE.I allows, and the guest acknowledges it at the GIC. */
static int a64_inject(struct encore_engine *e, u8 vector)
{
	(void)vector;
	struct a64_engine *x = eng_of(e);
	if (x->irq_pending)
		return -1;
	x->irq_pending = true;
	x->cpu.chain_limit = 0;
	return 0;
}

static void a64_inject_nmi(struct encore_engine *e)
{
	(void)e; /* an Armv8.0 CPU has no NMI */
}

static u64 a64_insn_count(struct encore_engine *e)
{
	return eng_of(e)->cpu.insns;
}

static void a64_set_insn_count(struct encore_engine *e, u64 count)
{
	eng_of(e)->cpu.insns = count;
}

/* The whole TLB goes: an interval then starts with an empty TLB whether
 * it follows a checkpoint or a restore. */
static void a64_protect_ram(struct encore_engine *e)
{
	a64_tlb_reset(&eng_of(e)->cpu);
}

static void a64_ram_written(struct encore_engine *e, u64 gpa, u64 len)
{
	struct a64_engine *x = eng_of(e);
	for (u64 page = gpa / PAGE_SIZE; page <= (gpa + len - 1) / PAGE_SIZE; page++) {
		i64 off = machine__ram_offset(x->m, page * PAGE_SIZE);
		if (off >= 0)
			a64_code__frame_written(x->code, (u64)off / PAGE_SIZE);
	}
}

static void a64_kick(struct encore_engine *e)
{
	eng_of(e)->kicked = true;
	eng_of(e)->cpu.chain_limit = 0;
}

static void a64_set_yield(struct encore_engine *e, bool on)
{
	eng_of(e)->yield_on_wfe = on;
}

/* The on_mem hook (a64_callbacks.mem_accessed). */
static void cb_mem_accessed(void *opaque, struct a64_cpu *c, u64 va, u64 pa, unsigned size,
			    u64 value, bool write)
{
	struct a64_engine *x = opaque;
	const struct encore_hooks *h = x->hooks;
	h->on_mem(h->mem_opaque, x->engine.vcpu->index, c->insns, va, pa, size, value,
		  write ? HOOK_ACCESS_WRITE : 0);
}

/*
 * Decoded blocks carry the handle on_block_decoded gave them, so a change
 * that installs or removes those hooks drops every block (of the shared
 * cache: the machine's vCPUs get the same hooks).  on_mem needs every
 * data access in the slow path: the TLB, whose entries would let them
 * take the fast one, goes.
 */
static int a64_set_hooks(struct encore_engine *e, const struct encore_hooks *h)
{
	struct a64_engine *x = eng_of(e);
	struct a64_cpu *c = &x->cpu;
	if (h && !h->on_block_decoded != !h->on_block_ran)
		return -1;
	bool code = h && h->on_block_decoded;
	if (code || x->code_hooks) {
		a64_code__flush(x->code);
		jump_clear(x);
	}
	x->code_hooks = code;
	void (*mem)(void *, struct a64_cpu *, u64, u64, unsigned, u64, bool) =
		h && h->on_mem ? cb_mem_accessed : NULL;
	if (mem != c->cb.mem_accessed) {
		c->cb.mem_accessed = mem;
		a64_tlb_reset(c);
	}
	x->hooks = h;
	x->reported_el = hook_cpl(c);
	unsigned th = trans_hooks_for(h);
	if (th != x->trans_hooks) {
		x->trans_hooks = th;
		a64_code__drop_translations(x->code);
	}
	return 0;
}

static void a64_report(struct encore_engine *e, void *file)
{
	struct a64_engine *x = eng_of(e);
	FILE *f = file;
	for (unsigned k = 0; k < x->nundef; k++) {
		const struct undef_record *r = &x->undef[k];
		fprintf(f, "encore: undefined or unimplemented A64 instruction %08x at EL%u", r->word,
			r->el);
		if (x->m->nvcpus > 1)
			fprintf(f, " on vCPU %u", e->vcpu->index);
		fprintf(f, ": executed %llu times, first at PC %#llx%s\n", (unsigned long long)r->count,
			(unsigned long long)r->first_pc,
			(r->word & 0xfff00000u) == 0xd5300000u && r->el == 0 ?
			" (an MRS the kernel may emulate at EL0)" : "");
	}
}

static void a64_destroy(struct encore_engine *e)
{
	struct a64_engine *x = eng_of(e);
	if (e->vcpu && e->vcpu->engine == e)
		e->vcpu->engine = NULL;
	a64_code__put(x->code);
	free(x);
}

static const struct encore_engine_ops a64_ops = {
	.name = "interp",
	.run = a64_run,
	.get_state = a64_get_state,
	.set_state = a64_set_state,
	.interrupt_window = a64_interrupt_window,
	.wakeable = a64_wakeable,
	.runnable = a64_runnable,
	.request_interrupt_window = a64_request_window,
	.inject_interrupt = a64_inject,
	.inject_nmi = a64_inject_nmi,
	.insn_count = a64_insn_count,
	.set_insn_count = a64_set_insn_count,
	.protect_ram = a64_protect_ram,
	.ram_written = a64_ram_written,
	.kick = a64_kick,
	.set_yield = a64_set_yield,
	.set_hooks = a64_set_hooks,
	.report = a64_report,
	.destroy = a64_destroy,
};

/* The machine's decoded code: that of another A64 engine, or new. */
static struct a64_code *shared_code(struct encore_machine *m)
{
	for (unsigned k = 0; k < m->nvcpus; k++) {
		struct encore_engine *o = m->vcpus[k].engine;
		if (o && o->ops == &a64_ops) {
			eng_of(o)->code->users++;
			return eng_of(o)->code;
		}
	}
	struct a64_code *k = a64_code__create(m);
	if (k) {
		k->became_code = code_became;
		k->dropped = code_dropped;
		k->opaque = m;
	}
	return k;
}

struct encore_engine *a64_engine__create(struct encore_machine *m, struct encore_vcpu *v)
{
	struct a64_engine *x = calloc(1, sizeof(*x));
	if (!x || !(x->code = shared_code(m))) {
		free(x);
		return NULL;
	}
	x->engine = (struct encore_engine){ .ops = &a64_ops, .machine = m, .vcpu = v };
	x->m = m;
	struct a64_cpu *c = &x->cpu;
	c->bus = (struct a64_bus){ .ram_ptr = bus_ram_ptr, .mmio = bus_mmio, .opaque = x };
	c->cb = (struct a64_callbacks){
		.opaque = x, .now_ns = cb_now, .timer_changed = cb_timer_changed,
		.firmware_call = cb_firmware_call, .send_event = cb_send_event,
		.tlbi_broadcast = cb_tlbi_broadcast, .code_stale = cb_code_stale,
		.ram_written = cb_ram_written, .write_fast_ok = cb_write_fast_ok,
		.chain_link = cb_chain_link, .block_start = cb_block_start,
		.block_ran = cb_block_ran, .svc_entering = cb_svc_entering,
		.svc_retired = cb_svc_retired,
	};
	c->cpu_index = v->index;
	a64_sysreg_reset(c);
	jump_clear(x);
	v->engine = &x->engine;
	return &x->engine;
}

void a64_engine__set_board(struct encore_engine *e, const struct a64_board_ops *ops)
{
	eng_of(e)->board = *ops;
}

struct a64_cpu *a64_engine__cpu(struct encore_engine *e)
{
	return &eng_of(e)->cpu;
}

bool a64_engine__powered_off(struct encore_engine *e)
{
	return eng_of(e)->powered_off;
}

void a64_engine__power_off(struct encore_engine *e)
{
	eng_of(e)->powered_off = true;
}

void a64_engine__power_on(struct encore_engine *e, u64 entry, u64 context)
{
	struct a64_engine *x = eng_of(e);
	struct a64_cpu *c = &x->cpu;
	x->powered_off = false;
	x->irq_pending = false;
	c->wait = 0;
	a64_sysreg_reset(c);
	c->pc = entry;
	c->x[0] = context;
}
