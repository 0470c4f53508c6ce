/*
 * Control transfer: Jcc, JMP, CALL, RET (near and far), LOOP/JrCXZ and
 * the FF group.  Handlers run with RIP at the next instruction, so a
 * relative target is RIP + imm.
 */
#include "cpu.h"
#include "ops.h"
#include "seg.h"

insn_fn ops_alu__select_inc_dec(struct insn *i);

static u64 rel_target(struct cpu *c, const struct insn *i)
{
	u64 t = c->s.rip + i->imm;
	return i->opsize == 2 ? (t & 0xffff) : t;
}

#define JCC(cc)                                                                \
	static void jcc_##cc(struct cpu *c, const struct insn *i)              \
	{                                                                      \
		if (cond_eval(c, cc))                                          \
			branch_to(c, rel_target(c, i));                        \
	}
JCC(0) JCC(1) JCC(2) JCC(3) JCC(4) JCC(5) JCC(6) JCC(7)
JCC(8) JCC(9) JCC(10) JCC(11) JCC(12) JCC(13) JCC(14) JCC(15)
static const insn_fn jcc_fns[16] = { jcc_0, jcc_1, jcc_2, jcc_3, jcc_4, jcc_5, jcc_6, jcc_7,
				     jcc_8, jcc_9, jcc_10, jcc_11, jcc_12, jcc_13, jcc_14, jcc_15 };

static void jmp_rel(struct cpu *c, const struct insn *i) { branch_to(c, rel_target(c, i)); }

/*
 * 64-bit code with a canonical target: the target is a constant of the
 * block (ops_branch__resolve puts it in imm), so a taken branch is a store.
 * A Jcc does not end its block: decoding goes on along the fall-through
 * path, and a taken Jcc stops the block at itself.
 */
HANDLER_SLOW void jcc_abs_slow(struct cpu *c, const struct insn *i, unsigned cc)
{
	if (cond_eval_slow(c, cc)) {
		c->s.rip = i->imm;
		c->stop = i + 1;
	}
}

#define JCC_ABS(cc)                                                            \
	static void jcc_abs_##cc(struct cpu *c, const struct insn *i)          \
	{                                                                      \
		int taken = cond_eval_fast(c, cc);                             \
		if (unlikely(taken < 0)) {                                     \
			jcc_abs_slow(c, i, cc);                                \
			return;                                                \
		}                                                              \
		if (taken) {                                                   \
			c->s.rip = i->imm;                                     \
			c->stop = i + 1; /* the block goes on past it */      \
		}                                                              \
	}
JCC_ABS(0) JCC_ABS(1) JCC_ABS(2) JCC_ABS(3) JCC_ABS(4) JCC_ABS(5) JCC_ABS(6) JCC_ABS(7)
JCC_ABS(8) JCC_ABS(9) JCC_ABS(10) JCC_ABS(11) JCC_ABS(12) JCC_ABS(13) JCC_ABS(14) JCC_ABS(15)
static const insn_fn jcc_abs_fns[16] = {
	jcc_abs_0, jcc_abs_1, jcc_abs_2, jcc_abs_3, jcc_abs_4, jcc_abs_5, jcc_abs_6, jcc_abs_7,
	jcc_abs_8, jcc_abs_9, jcc_abs_10, jcc_abs_11, jcc_abs_12, jcc_abs_13, jcc_abs_14, jcc_abs_15
};

static void jmp_abs(struct cpu *c, const struct insn *i) { c->s.rip = i->imm; }

HANDLER_SLOW void call_abs_any(struct cpu *c, const struct insn *i)
{
	push(c, 8, c->s.rip);
	c->s.rip = i->imm;
}
static void call_abs(struct cpu *c, const struct insn *i)
{
	u64 sp = c->s.gpr[REG_RSP] - 8;
	u8 *h;
	if (unlikely(!fast_access(c, sp, 8, true, &h))) {
		call_abs_any(c, i);
		return;
	}
	host_store(h, 8, c->s.rip);
	c->s.gpr[REG_RSP] = sp;
	c->s.rip = i->imm;
}

/* The target is checked before the return address is pushed. */
static void call_rel(struct cpu *c, const struct insn *i)
{
	u64 t = branch_target(c, rel_target(c, i));
	push(c, i->opsize, c->s.rip);
	c->s.rip = t;
}

static void ret_near(struct cpu *c, const struct insn *i)
{
	u64 sp = c->s.gpr[REG_RSP];
	u64 t = mem_read(c, stack_lin(c, sp), i->opsize);
	branch_to(c, t);
	stack_set_sp(c, sp + i->opsize + (i->imm & 0xffff));
}

HANDLER_SLOW void ret_near64_any(struct cpu *c, const struct insn *i)
{
	(void)i;
	u64 sp = c->s.gpr[REG_RSP];
	u64 t = mem_read64(c, sp);
	branch_to(c, t);
	c->s.gpr[REG_RSP] = sp + 8;
}
static void ret_near64(struct cpu *c, const struct insn *i)
{
	u64 sp = c->s.gpr[REG_RSP];
	u8 *h;
	if (unlikely(!fast_access(c, sp, 8, false, &h))) {
		ret_near64_any(c, i);
		return;
	}
	u64 t = host_load(h, 8);
	if (unlikely(!is_canonical(t))) {
		ret_near64_any(c, i); /* raises #GP */
		return;
	}
	c->s.rip = t;
	c->s.gpr[REG_RSP] = sp + 8;
}

static void call_rm(struct cpu *c, const struct insn *i)
{
	u64 t = branch_target(c, rm_read(c, i, i->opsize));
	push(c, i->opsize, c->s.rip);
	c->s.rip = t;
}

static void jmp_rm(struct cpu *c, const struct insn *i) { branch_to(c, rm_read(c, i, i->opsize)); }

/* JMP r/m64 (switch tables, tail calls through pointers): a register, or
 * memory that hits the TLB; a non-canonical target takes the general
 * path, which raises #GP. */
HANDLER_SLOW void jmp_rm_any(struct cpu *c, const struct insn *i) { jmp_rm(c, i); }
static void jmp_rm64(struct cpu *c, const struct insn *i)
{
	u64 t;
	if (unlikely(!fast_rm_read(c, i, 8, &t) || !is_canonical(t))) {
		jmp_rm_any(c, i);
		return;
	}
	c->s.rip = t;
}

static u64 count_reg(struct cpu *c, const struct insn *i)
{
	return c->s.gpr[REG_RCX] & size_mask(i->addrsize);
}

static void loop_cc(struct cpu *c, const struct insn *i)
{
	u64 n = (count_reg(c, i) - 1) & size_mask(i->addrsize);
	bool take = n != 0;
	if (i->op == 0xe0)
		take = take && !cond_eval(c, 4); /* LOOPNE: ZF = 0 */
	else if (i->op == 0xe1)
		take = take && cond_eval(c, 4); /* LOOPE: ZF = 1 */
	u64 t = rel_target(c, i);
	if (take)
		branch_to(c, t);
	reg_write(c, REG_RCX, i->addrsize, n);
}

static void jrcxz(struct cpu *c, const struct insn *i)
{
	if (count_reg(c, i) == 0)
		branch_to(c, rel_target(c, i));
}

static insn_fn sel_jcc(struct insn *i) { return jcc_fns[i->op & 15]; }

void ops_branch__resolve(struct insn *i, u64 next_rip)
{
	u64 t = next_rip + i->imm;
	if (!(i->flags & IF_MODE64) || i->opsize != 8 || !is_canonical(t))
		return;
	for (unsigned cc = 0; cc < 16; cc++)
		if (i->fn == jcc_fns[cc]) {
			i->fn = jcc_abs_fns[cc];
			i->imm = t;
			/* The fall-through path continues the block. */
			i->flags = (i->flags & ~IF_BLOCK_END) | IF_SIDE_EXIT;
			return;
		}
	if (i->fn == jmp_rel || i->fn == call_rel) {
		i->fn = i->fn == jmp_rel ? jmp_abs : call_abs;
		i->imm = t;
	}
}

enum branch_kind ops_branch__kind(const struct insn *i, unsigned *cc, u64 *target)
{
	*target = i->imm;
	if (i->flags & IF_SIDE_EXIT)
		for (unsigned k = 0; k < 16; k++)
			if (i->fn == jcc_abs_fns[k]) {
				*cc = k;
				return BRANCH_JCC;
			}
	if (i->fn == jmp_abs)
		return BRANCH_JMP;
	if (i->fn == call_abs)
		return BRANCH_CALL;
	if (i->fn == ret_near64)
		return BRANCH_RET;
	return BRANCH_NONE;
}

static insn_fn sel_jmp(struct insn *i) { (void)i; return jmp_rel; }
static insn_fn sel_call(struct insn *i) { (void)i; return call_rel; }
static insn_fn sel_ret(struct insn *i)
{
	return (i->op == 0xc3 && i->opsize == 8) ? ret_near64 : ret_near;
}
static insn_fn sel_loop(struct insn *i) { return i->op == 0xe3 ? jrcxz : loop_cc; }

/* ---- far transfers ---- */

/* Real mode: CS = sel (base sel << 4, limit and attributes kept), IP = off. */
static void far_transfer_real(struct cpu *c, u16 sel, u64 off)
{
	if (off > c->s.seg[SEG_CS].limit)
		raise_gp(c, 0);
	seg_load_real(c, SEG_CS, sel);
	c->s.rip = off;
}

/* A system descriptor as a far JMP/CALL target: call gates, task gates and
 * TSSs are not modelled; anything else is #GP. */
static _Noreturn void far_to_system(struct cpu *c, u16 sel, u64 d)
{
	switch (desc_type(d)) {
	case 4: case 12:
		cpu_unsupported(c, "far transfer through call gate %#x is not supported", sel);
	case 5:
		cpu_unsupported(c, "far transfer through task gate %#x: task switches are not supported",
				sel);
	case 1: case 3: case 9: case 11:
		cpu_unsupported(c, "far transfer to TSS %#x: task switches are not supported", sel);
	}
	raise_gp(c, sel & 0xfffc);
}

/* Load CS:RIP for a far JMP/CALL/RET to a code segment (no call gates). */
static void far_transfer(struct cpu *c, u16 sel, u64 off, bool is_ret)
{
	if (real_mode(c)) {
		far_transfer_real(c, sel, off);
		return;
	}
	if ((sel & 0xfffc) == 0)
		raise_gp(c, 0);
	u64 d = seg_read_descriptor(c, sel, EXC_GP);
	u8 rpl = sel & 3, dpl = desc_dpl(d);
	if (!desc_is_code_data(d) && !is_ret)
		far_to_system(c, sel, d);
	if (!desc_is_code_data(d) || !(desc_type(d) & 8))
		raise_gp(c, sel & 0xfffc);
	bool conforming = desc_type(d) & 4;
	u8 new_cpl = c->cpl;
	if (is_ret) {
		if (rpl < c->cpl || (conforming ? dpl > rpl : dpl != rpl))
			raise_gp(c, sel & 0xfffc);
		new_cpl = rpl;
	} else if (conforming ? dpl > c->cpl : (rpl > c->cpl || dpl != c->cpl)) {
		raise_gp(c, sel & 0xfffc);
	}
	if (!desc_present(d))
		cpu_raise(c, EXC_NP, sel & 0xfffc);
	bool to64 = desc_long(c, d);
	if (!to64 && off > desc_limit(d))
		raise_gp(c, 0);
	seg_load_cs(c, sel, d, new_cpl);
	c->s.rip = to64 ? off : (u32)off;
}

/* The far pointer m16:16, m16:32 or m16:64 (REX.W) at the memory operand. */
static u64 far_pointer(struct cpu *c, const struct insn *i, u16 *sel)
{
	u64 ea = insn_ea(c, i);
	u64 off = mem_read(c, ea, i->opsize);
	*sel = mem_read16(c, ea + i->opsize);
	return off;
}

static void jmp_far_m(struct cpu *c, const struct insn *i)
{
	u16 sel;
	u64 off = far_pointer(c, i, &sel);
	far_transfer(c, sel, off, false);
}

/* Push CS and the return IP at the operand size, then transfer; the
 * pushes are checked first and RSP moves only when all went well. */
static void call_far(struct cpu *c, const struct insn *i, u16 sel, u64 off)
{
	u64 sp = c->s.gpr[REG_RSP];
	unsigned sz = i->opsize;
	mem_write(c, stack_lin(c, sp - sz), sz, c->s.seg[SEG_CS].selector);
	mem_write(c, stack_lin(c, sp - 2 * sz), sz, c->s.rip);
	far_transfer(c, sel, off, false);
	stack_set_sp(c, sp - 2 * sz);
}

static void call_far_m(struct cpu *c, const struct insn *i)
{
	u16 sel;
	u64 off = far_pointer(c, i, &sel);
	call_far(c, i, sel, off);
}

static void jmp_far_ptr(struct cpu *c, const struct insn *i) { far_transfer(c, i->imm2, i->imm, false); }

static void call_far_ptr(struct cpu *c, const struct insn *i) { call_far(c, i, i->imm2, i->imm); }

/* RETF to the same privilege; a return to an outer level also pops SS:RSP. */
static void ret_far(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->opsize;
	u64 sp = c->s.gpr[REG_RSP];
	u64 off = mem_read(c, stack_lin(c, sp), sz);
	u16 sel = mem_read(c, stack_lin(c, sp + sz), sz);
	u8 old_cpl = c->cpl;
	if (!real_mode(c) && (sel & 3) > old_cpl) {
		u64 sp2 = sp + 2 * sz + (i->imm & 0xffff);
		u64 new_sp = mem_read(c, stack_lin(c, sp2), sz);
		u16 new_ss = mem_read(c, stack_lin(c, sp2 + sz), sz);
		far_transfer(c, sel, off, true);
		seg_load_data(c, SEG_SS, new_ss);
		reg_write(c, REG_RSP, sz, new_sp + (i->imm & 0xffff));
		return;
	}
	far_transfer(c, sel, off, true);
	stack_set_sp(c, sp + 2 * sz + (i->imm & 0xffff));
}

static insn_fn sel_far(struct insn *i)
{
	switch (i->op) {
	case 0xea: return jmp_far_ptr;
	case 0x9a: return call_far_ptr;
	default: return ret_far;
	}
}

static void push_rm(struct cpu *c, const struct insn *i) { push(c, i->opsize, rm_read(c, i, i->opsize)); }

/* FF: INC, DEC, CALL, CALLF, JMP, JMPF, PUSH */
static insn_fn sel_grp5(struct insn *i)
{
	switch (i->ext) {
	case 0: case 1:
		i->flags &= ~IF_BLOCK_END;
		return ops_alu__select_inc_dec(i);
	case 2: case 4:
		if (i->flags & IF_MODE64)
			i->opsize = 8; /* near indirect branches are 64-bit in 64-bit mode */
		if (i->ext == 4 && i->opsize == 8)
			return jmp_rm64;
		return i->ext == 2 ? call_rm : jmp_rm;
	case 3: case 5:
		if (i->rm != RM_MEM)
			return NULL;
		return i->ext == 3 ? call_far_m : jmp_far_m;
	case 6:
		i->flags &= ~IF_BLOCK_END;
		if ((i->flags & IF_MODE64) && i->opsize == 4)
			i->opsize = 8; /* PUSH defaults to 64 bits */
		return push_rm;
	}
	return NULL;
}

void ops_branch__register(void)
{
	for (unsigned op = 0x70; op <= 0x7f; op++)
		op_register(MAP_1B, op, sel_jcc, "jcc");
	for (unsigned op = 0x80; op <= 0x8f; op++)
		op_register(MAP_0F, op, sel_jcc, "jcc");
	op_register(MAP_1B, 0xeb, sel_jmp, "jmp");
	op_register(MAP_1B, 0xe9, sel_jmp, "jmp");
	op_register(MAP_1B, 0xe8, sel_call, "call");
	op_register(MAP_1B, 0xc3, sel_ret, "ret");
	op_register(MAP_1B, 0xc2, sel_ret, "ret");
	for (unsigned op = 0xe0; op <= 0xe3; op++)
		op_register(MAP_1B, op, sel_loop, "loop/jrcxz");
	op_register(MAP_1B, 0xea, sel_far, "jmp far");
	op_register(MAP_1B, 0x9a, sel_far, "call far");
	op_register(MAP_1B, 0xca, sel_far, "retf");
	op_register(MAP_1B, 0xcb, sel_far, "retf");
	op_register(MAP_1B, 0xff, sel_grp5, "grp5");
}
