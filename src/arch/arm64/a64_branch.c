/*
 * A64 branches: B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ, BR, BLR, RET.  The rest
 * of the branch/exception/system space (exception generation, system
 * instructions, hints, barriers, ERET) is decoded by a64_system.c first;
 * what reaches this file and is not a branch listed here is undefined
 * (including BC.cond and the pointer-authentication branches, which are
 * not implemented).
 */
#include "arch/arm64/a64_alu.h"

/* ---- B, BL ----
 * imm: the offset from pc. */
static int exec_b(struct a64_cpu *c, const struct a64_insn *i)
{
	c->pc += i->imm;
	return A64_OK;
}

static int exec_bl(struct a64_cpu *c, const struct a64_insn *i)
{
	c->x[30] = c->pc + 4;
	c->pc += i->imm;
	return A64_OK;
}

/* ---- B.cond ----
 * imm: the offset; imm2: the condition's table (a64_cond_table). */
static int exec_bcond(struct a64_cpu *c, const struct a64_insn *i)
{
	c->pc += a64_cond_in(i->imm2, c->nzcv) ? i->imm : 4;
	return A64_OK;
}

/* ---- CBZ, CBNZ, TBZ, TBNZ ----
 * rd: Rt (XZR for 31); imm: the offset; imm2: the bits of Rt tested (the
 * width for CB*, one bit for TB*); op1: 1 to branch when they are not
 * all zero (CBNZ, TBNZ). */
static int exec_cbz(struct a64_cpu *c, const struct a64_insn *i)
{
	bool nonzero = (c->x[i->rd] & i->imm2) != 0;
	c->pc += nonzero == i->op1 ? i->imm : 4;
	return A64_OK;
}

/* ---- BR, BLR, RET ----
 * rn: the target register (XZR for 31). */
static int exec_br(struct a64_cpu *c, const struct a64_insn *i)
{
	c->pc = c->x[i->rn];
	return A64_OK;
}

static int exec_blr(struct a64_cpu *c, const struct a64_insn *i)
{
	u64 target = c->x[i->rn];
	c->x[30] = c->pc + 4;
	c->pc = target;
	return A64_OK;
}

static void decode_branch_reg(u32 w, struct a64_insn *i)
{
	unsigned opc = a64_bits(w, 24, 21);
	/* op2 = 11111, op3 = 000000, op4 = 00000: the plain forms. */
	if (a64_bits(w, 20, 16) != 31 || a64_bits(w, 15, 10) || a64_bits(w, 4, 0) || opc > 2) {
		a64_decode_undefined(i);
		return;
	}
	i->rn = a64_reg_zr(w >> 5);
	i->exec = opc == 1 ? exec_blr : exec_br; /* BR, BLR, RET */
	i->native = opc == 1 ? A64_NAT_BLR : A64_NAT_BR;
}

void a64_decode_branch(u32 w, struct a64_insn *i)
{
	if (a64_bits(w, 30, 26) == 0x05) { /* B, BL */
		i->imm = a64_sext(a64_bits(w, 25, 0), 26) << 2;
		i->exec = w >> 31 ? exec_bl : exec_b;
		i->native = w >> 31 ? A64_NAT_BL : A64_NAT_B;
		return;
	}
	if (a64_bits(w, 30, 25) == 0x1a || a64_bits(w, 30, 25) == 0x1b) { /* CB*, TB* */
		bool test = (w >> 25) & 1;
		i->rd = a64_reg_zr(w);
		i->op1 = (w >> 24) & 1;
		if (test) {
			unsigned bit = (w >> 31) << 5 | a64_bits(w, 23, 19);
			i->imm = a64_sext(a64_bits(w, 18, 5), 14) << 2;
			i->imm2 = 1ull << bit;
		} else {
			i->imm = a64_sext(a64_bits(w, 23, 5), 19) << 2;
			i->imm2 = a64_width_mask(w >> 31);
		}
		i->exec = exec_cbz;
		i->native = A64_NAT_CBZ;
		return;
	}
	if (a64_bits(w, 31, 24) == 0x54 && !((w >> 4) & 1)) { /* B.cond (not BC.cond) */
		i->imm = a64_sext(a64_bits(w, 23, 5), 19) << 2;
		i->imm2 = a64_cond_table(a64_bits(w, 3, 0));
		i->exec = exec_bcond;
		i->native = A64_NAT_BCOND;
		return;
	}
	if (a64_bits(w, 31, 25) == 0x6b) {
		decode_branch_reg(w, i);
		return;
	}
	a64_decode_undefined(i);
}
