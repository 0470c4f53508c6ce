/*
 * Exception and interrupt delivery in the three ways the processor knows:
 * through the real-mode interrupt vector table, through the 8-byte gates
 * of a protected-mode IDT, and through the 16-byte gates of the long-mode
 * IDT.  Gate checks, privilege change with the TSS stack switch, IST
 * stacks, error codes, the double-fault rules in every mode, and the
 * triple fault that ends the run.  Task gates are not modelled: they end
 * the run with a report.
 */
#include <stdarg.h>
#include <stdio.h>

#include "interp.h"
#include "seg.h"

static bool is_contributory(int v)
{
	return v == EXC_DE || (v >= EXC_TS && v <= EXC_GP);
}

static bool has_error_code(int v)
{
	return v == EXC_DF || (v >= EXC_TS && v <= EXC_PF) || v == EXC_AC;
}

/* Leave the current instruction unretired: RIP back to it, the
 * instructions before it in its block counted. */
static void cpu_leave_insn(struct cpu *c)
{
	if (!c->cur)
		return;
	u64 icount = c->icount;
	unsigned before = (unsigned)(c->cur - c->cur_first);
	c->s.rip -= c->cur->len;
	c->icount += before;
	if (unlikely(c->hooks != NULL) && c->hooks->on_block_ran)
		hooks_block_left(c, icount, before + 1);
	c->cur = NULL;
}

_Noreturn void cpu_unsupported(struct cpu *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->exit_message, sizeof(c->exit_message), fmt, ap);
	va_end(ap);
	cpu_leave_insn(c); /* report (and stop at) the instruction itself */
	c->exit_reason = EXIT_ERROR;
	c->delivering = -1;
	longjmp(c->exc_jmp, 1);
}

static _Noreturn void triple_fault(struct cpu *c)
{
	c->exit_reason = EXIT_TRIPLE_FAULT;
	c->delivering = -1;
	longjmp(c->exc_jmp, 1);
}

/* Read the TSS's RSPn (n < 3) or ISTn (n = 3 + k) slot. */
static u64 tss_stack(struct cpu *c, unsigned slot)
{
	u32 off = slot < 3 ? 4 + 8 * slot : 0x24 + 8 * (slot - 4);
	if (off + 7 > c->s.tr.limit)
		cpu_raise(c, EXC_TS, c->s.tr.selector & 0xfffc);
	return mem_read_sys(c, c->s.tr.base + off, 8);
}

struct gate {
	u64 offset;
	u16 selector;
	u8 ist, type, dpl;
	bool present;
};

static void read_gate(struct cpu *c, unsigned vector, u32 ext, struct gate *g)
{
	u32 err = vector * 8 + 2 + ext;
	if (vector * 16 + 15 > c->s.idtr.limit)
		raise_gp(c, err);
	u64 lo = mem_read_sys(c, c->s.idtr.base + vector * 16, 8);
	u64 hi = mem_read_sys(c, c->s.idtr.base + vector * 16 + 8, 8);
	g->offset = (lo & 0xffff) | ((lo >> 32) & 0xffff0000) | (hi << 32);
	g->selector = lo >> 16;
	g->ist = (lo >> 32) & 7;
	g->type = (lo >> 40) & 0xf;
	g->dpl = (lo >> 45) & 3;
	g->present = (lo >> 47) & 1;
	if (g->type != 0xe && g->type != 0xf)
		raise_gp(c, err);
}

/* Deliver through the long-mode IDT; `soft` for INT n/INT3/INTO (gate DPL checked). */
static void deliver_long(struct cpu *c, unsigned vector, i64 errcode, bool soft, bool external)
{
	u32 ext = external ? 1 : 0;
	struct gate g;
	read_gate(c, vector, ext, &g);
	if (soft && g.dpl < c->cpl)
		raise_gp(c, vector * 8 + 2);
	if (!g.present)
		cpu_raise(c, EXC_NP, vector * 8 + 2 + ext);
	u64 cs_desc = seg_read_descriptor_ext(c, g.selector, EXC_GP, ext);
	u8 new_cpl = desc_dpl(cs_desc);
	if ((g.selector & 0xfffc) == 0 || !desc_is_code_data(cs_desc) || !(desc_type(cs_desc) & 8) ||
	    !(cs_desc & (1ull << 53)) || new_cpl > c->cpl)
		raise_gp(c, (g.selector & 0xfffc) + ext);
	if (!desc_present(cs_desc))
		cpu_raise(c, EXC_NP, (g.selector & 0xfffc) + ext);
	if ((desc_type(cs_desc) & 4)) /* conforming: stay at the current privilege */
		new_cpl = c->cpl;

	u64 old_rsp = c->s.gpr[REG_RSP], rsp = old_rsp;
	u16 old_ss = c->s.seg[SEG_SS].selector, old_cs = c->s.seg[SEG_CS].selector;
	if (g.ist)
		rsp = tss_stack(c, 3 + g.ist);
	else if (new_cpl < c->cpl)
		rsp = tss_stack(c, new_cpl);
	rsp &= ~0xfull;
	u64 rflags = flags_get(c);
	u64 frame[6];
	int n = 0;
	if (errcode >= 0)
		frame[n++] = (u64)errcode;
	frame[n++] = c->s.rip;
	frame[n++] = old_cs;
	frame[n++] = rflags;
	frame[n++] = old_rsp;
	frame[n++] = old_ss;
	/* Stores go first; nothing is committed until all of them succeed. */
	for (int k = 0; k < n; k++)
		mem_write_sys(c, rsp - 8 * (n - k), 8, frame[k]);
	rsp -= 8 * n;

	if (new_cpl < c->cpl)
		c->s.seg[SEG_SS] = (struct encore_segment){ .selector = new_cpl,
							    .attr = new_cpl << SEG_ATTR_DPL_SHIFT };
	seg_load_cs(c, g.selector, cs_desc, new_cpl);
	c->s.gpr[REG_RSP] = rsp;
	u64 clear = RF_TF | RF_NT | RF_RF | RF_VM | (g.type == 0xe ? RF_IF : 0);
	flags_set(c, rflags & ~clear, ~0ull);
	c->s.rip = g.offset;
	c->s.halted = 0;
}

/* ---- real mode ---- */

/*
 * Real mode: the IVT at IDTR.base holds a 4-byte offset:segment pair per
 * vector; FLAGS, CS and IP go on the stack as 16-bit values (no error
 * code) and IF, TF and AC are cleared.  A vector beyond IDTR.limit is a
 * #GP, which the double-fault rules turn into #DF and a shutdown when
 * that vector is out of reach too.
 */
static void deliver_real(struct cpu *c, unsigned vector, u32 ext)
{
	if (vector * 4 + 3 > c->s.idtr.limit)
		raise_gp(c, vector * 8 + 2 + ext);
	u32 ent = mem_read_sys(c, c->s.idtr.base + vector * 4, 4);
	u64 fl = flags_get(c), sp = c->s.gpr[REG_RSP];
	mem_write16(c, stack_lin(c, sp - 2), fl);
	mem_write16(c, stack_lin(c, sp - 4), c->s.seg[SEG_CS].selector);
	mem_write16(c, stack_lin(c, sp - 6), c->s.rip);
	stack_set_sp(c, sp - 6);
	seg_load_real(c, SEG_CS, ent >> 16);
	flags_set(c, fl & ~(RF_IF | RF_TF | RF_AC), ~0ull);
	c->s.rip = ent & 0xffff;
	c->s.halted = 0;
}

/* ---- legacy protected mode ---- */

/*
 * SS:ESP for privilege `n` from the TSS: a 32-bit TSS holds ESPn at
 * 4 + 8n and SSn at 8 + 8n, a 16-bit one SPn at 2 + 4n and SSn at 4 + 4n.
 */
static void tss_stack_legacy(struct cpu *c, unsigned n, u32 ext, u16 *ss, u32 *esp)
{
	bool tss32 = c->s.tr.attr & 8; /* types 9 and 11; 1 and 3 are 16-bit */
	unsigned sz = tss32 ? 4 : 2;
	u32 off = tss32 ? 4 + 8 * n : 2 + 4 * n;
	if (off + sz + 1 > c->s.tr.limit)
		cpu_raise(c, EXC_TS, (c->s.tr.selector & 0xfffc) + ext);
	*esp = mem_read_sys(c, c->s.tr.base + off, sz);
	*ss = mem_read_sys(c, c->s.tr.base + off + sz, 2);
}

/* The descriptor of the inner stack segment `ss` for CPL `cpl`, checked. */
static u64 inner_stack_descriptor(struct cpu *c, u16 ss, u8 cpl, u32 ext)
{
	if ((ss & 0xfffc) == 0)
		cpu_raise(c, EXC_TS, ext);
	u64 d = seg_read_descriptor_ext(c, ss, EXC_TS, ext);
	unsigned type = desc_type(d);
	if ((ss & 3) != cpl || desc_dpl(d) != cpl || !desc_is_code_data(d) || (type & 8) ||
	    !(type & 2))
		cpu_raise(c, EXC_TS, (ss & 0xfffc) + ext);
	if (!desc_present(d))
		cpu_raise(c, EXC_SS, (ss & 0xfffc) + ext);
	return d;
}

/*
 * Protected mode: 8-byte gates.  16-bit (types 6, 7) and 32-bit (14, 15)
 * interrupt and trap gates; the frame's slots have the gate's size.  A
 * nonconforming handler segment of a more privileged level switches to
 * SS:ESP from the TSS and saves the old SS:ESP first.
 */
static void deliver_legacy(struct cpu *c, unsigned vector, i64 errcode, bool soft, bool external)
{
	u32 ext = external ? 1 : 0, err = vector * 8 + 2 + ext;
	if (vector * 8 + 7 > c->s.idtr.limit)
		raise_gp(c, err);
	u64 lo = mem_read_sys(c, c->s.idtr.base + vector * 8, 8);
	unsigned type = (lo >> 40) & 0x1f; /* with the S bit: gates have S = 0 */
	if (type == 5)
		cpu_unsupported(c, "interrupt %u through a task gate: task switches are not supported",
				vector);
	if (type != 6 && type != 7 && type != 0xe && type != 0xf)
		raise_gp(c, err);
	u16 sel = lo >> 16;
	u8 gate_dpl = (lo >> 45) & 3;
	unsigned gs = (type & 8) ? 4 : 2; /* frame slot size */
	u32 offset = (lo & 0xffff) | (gs == 4 ? (lo >> 32) & 0xffff0000 : 0);
	if (soft && gate_dpl < c->cpl)
		raise_gp(c, vector * 8 + 2);
	if (!((lo >> 47) & 1))
		cpu_raise(c, EXC_NP, err);
	if ((sel & 0xfffc) == 0)
		raise_gp(c, ext);
	u64 cs_desc = seg_read_descriptor_ext(c, sel, EXC_GP, ext);
	u8 new_cpl = desc_dpl(cs_desc);
	if (!desc_is_code_data(cs_desc) || !(desc_type(cs_desc) & 8) || new_cpl > c->cpl)
		raise_gp(c, (sel & 0xfffc) + ext);
	if (!desc_present(cs_desc))
		cpu_raise(c, EXC_NP, (sel & 0xfffc) + ext);
	if (desc_type(cs_desc) & 4) /* conforming: stay at the current privilege */
		new_cpl = c->cpl;
	if (offset > desc_limit(cs_desc))
		raise_gp(c, 0);

	/* The stack the frame goes on: this one, or the inner one from the TSS. */
	bool inner = new_cpl < c->cpl;
	u16 new_ss = 0;
	u32 esp = c->s.gpr[REG_RSP];
	u64 ss_desc = 0, ss_base = c->s.seg[SEG_SS].base;
	bool ss32 = c->s.seg[SEG_SS].attr & SEG_ATTR_DB;
	if (inner) {
		tss_stack_legacy(c, new_cpl, ext, &new_ss, &esp);
		ss_desc = inner_stack_descriptor(c, new_ss, new_cpl, ext);
		ss_base = desc_base(ss_desc);
		ss32 = (ss_desc >> 54) & 1;
	}
	u64 rflags = flags_get(c);
	u32 frame[6];
	int n = 0;
	if (inner) {
		frame[n++] = c->s.seg[SEG_SS].selector;
		frame[n++] = c->s.gpr[REG_RSP];
	}
	frame[n++] = rflags;
	frame[n++] = c->s.seg[SEG_CS].selector;
	frame[n++] = c->s.rip;
	if (errcode >= 0)
		frame[n++] = (u32)errcode;
	/* Stores go first; nothing is committed until all of them succeed. */
	u32 smask = ss32 ? 0xffffffff : 0xffff;
	for (int k = 0; k < n; k++)
		mem_write_sys(c, (u32)(ss_base + ((esp - gs * (k + 1)) & smask)), gs, frame[k]);
	esp = (esp & ~smask) | ((esp - gs * n) & smask);

	if (inner)
		seg_load_descriptor(c, SEG_SS, new_ss, ss_desc);
	seg_load_cs(c, sel, cs_desc, new_cpl);
	c->s.gpr[REG_RSP] = esp;
	u64 clear = RF_TF | RF_NT | RF_RF | RF_VM | ((type & 1) ? 0 : RF_IF);
	flags_set(c, rflags & ~clear, ~0ull);
	c->s.rip = offset;
	c->s.halted = 0;
}

/* Deliver through the IVT, the protected-mode IDT or the long-mode IDT. */
static void deliver(struct cpu *c, unsigned vector, i64 errcode, bool soft, bool external)
{
	if (real_mode(c))
		deliver_real(c, vector, external);
	else if (!(c->s.efer & EFER_LMA))
		deliver_legacy(c, vector, errcode, soft, external);
	else
		deliver_long(c, vector, errcode, soft, external);
}

/*
 * Deliver one event with the hook told first.  `delivering` is what a
 * fault during delivery sees as the first event: an exception vector for
 * the double-fault rules, or -2 for events handled serially.
 */
static void deliver_event(struct cpu *c, unsigned vector, i64 errcode, bool soft, bool external,
			  int delivering)
{
	if (c->hooks && c->hooks->on_exception)
		c->hooks->on_exception(c->hooks->exception_opaque, c->engine.vcpu->index, cpu_icount(c),
				       c->s.rip, vector, errcode, external);
	c->delivering = delivering;
	deliver(c, vector, errcode, soft, external);
	c->delivering = -1;
}

/*
 * Deliver `vector`, applying the double-fault rules when it arose while
 * another exception was being delivered.
 */
static void deliver_exception(struct cpu *c, int vector, i64 errcode)
{
	int first = c->delivering;
	if (first >= 0) {
		if (first == EXC_DF)
			triple_fault(c);
		bool df = (is_contributory(first) && is_contributory(vector)) ||
			  (first == EXC_PF && (vector == EXC_PF || is_contributory(vector)));
		if (df) {
			vector = EXC_DF;
			errcode = 0;
		}
	}
	if (!has_error_code(vector) || real_mode(c)) /* real mode pushes no error codes */
		errcode = NO_ERRCODE;
	deliver_event(c, vector, errcode, false, false, vector);
}

_Noreturn void cpu_raise(struct cpu *c, int vector, i64 errcode)
{
	cpu_leave_insn(c); /* faults report the instruction's own RIP */
	deliver_exception(c, vector, errcode);
	longjmp(c->exc_jmp, 1);
}

void cpu_software_interrupt(struct cpu *c, unsigned vector)
{
	deliver_event(c, vector, NO_ERRCODE, true, false, vector);
}

void cpu_external_interrupt(struct cpu *c, unsigned vector)
{
	c->cur = NULL;
	deliver_event(c, vector, NO_ERRCODE, false, true, -2);
}
