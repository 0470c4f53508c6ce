/*
 * Exception and interrupt delivery through the long-mode IDT: gate checks,
 * privilege change with the TSS stack switch, IST stacks, error codes, the
 * double-fault rules, and the triple fault that ends the run.
 */
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

/* Deliver through the IDT; `soft` for INT n/INT3/INTO (gate DPL checked). */
static void deliver(struct cpu *c, unsigned vector, i64 errcode, bool soft, bool external)
{
	u32 ext = external ? 1 : 0;
	struct gate g;
	if (!(c->s.efer & EFER_LMA)) {
		snprintf(c->exit_message, sizeof(c->exit_message),
			 "exception %u outside long mode is not supported", vector);
		c->exit_reason = EXIT_ERROR;
		longjmp(c->exc_jmp, 1);
	}
	read_gate(c, vector, ext, &g);
	if (soft && g.dpl < c->cpl)
		raise_gp(c, vector * 8 + 2);
	if (!g.present)
		cpu_raise(c, EXC_NP, vector * 8 + 2 + ext);
	u64 cs_desc = seg_read_descriptor(c, g.selector, EXC_GP);
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

/*
 * Deliver one event with the hook told first.  `delivering` is what a
 * fault during delivery sees as the first event: an exception vector for
 * the double-fault rules, or -2 for events handled serially.
 */
static void deliver_event(struct cpu *c, unsigned vector, i64 errcode, bool soft, bool external,
			  int delivering)
{
	if (c->hooks && c->hooks->on_exception)
		c->hooks->on_exception(c->hooks->exception_opaque, c->engine.vcpu->index, c->icount,
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
	if (!has_error_code(vector))
		errcode = NO_ERRCODE;
	deliver_event(c, vector, errcode, false, false, vector);
}

_Noreturn void cpu_raise(struct cpu *c, int vector, i64 errcode)
{
	if (c->cur) {
		c->s.rip -= c->cur->len; /* faults report the instruction's own RIP */
		c->cur = NULL;
	}
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
