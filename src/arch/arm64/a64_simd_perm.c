/*
 * A64 Advanced SIMD lane movement: copy (DUP element/general, INS,
 * UMOV, SMOV, scalar DUP), permute (UZP1/2, TRN1/2, ZIP1/2), EXT and
 * table lookup (TBL, TBX).
 *
 * Decoded fields: rd, rn, rm: V registers, or general registers for
 * DUP (general), INS (general) sources (a64_reg_zr) and UMOV/SMOV
 * destinations (a64_reg_dst); op1: the operation; op2: the element size
 * in bytes; op3: the data size (8 or 16); imm: the lane index (copy),
 * the byte position (EXT), the number of table registers (TBL/TBX);
 * imm2: the source lane (INS element), the sign-extension width (SMOV).
 */
#include "arch/arm64/a64_fp.h"

static inline int done(struct a64_cpu *c, const struct a64_insn *i, union a64_vreg *r)
{
	if (i->op3 == 8)
		r->d[1] = 0;
	c->v[i->rd] = *r;
	return a64_next(c);
}

/* DUP (element) vector and scalar (op3 = op2). */
static int exec_dup_elem(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2;
	u64 x = a64_lane(&c->v[i->rn], es, (unsigned)i->imm);
	union a64_vreg r = { .d = { 0, 0 } };
	for (unsigned k = 0; k < i->op3 / es; k++)
		a64_set_lane(&r, es, k, x);
	c->v[i->rd] = r;
	return a64_next(c);
}

static int exec_dup_gen(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2;
	union a64_vreg r;
	for (unsigned k = 0; k < 16 / es; k++)
		a64_set_lane(&r, es, k, c->x[i->rn]);
	return done(c, i, &r);
}

static int exec_ins_gen(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	a64_set_lane(&c->v[i->rd], i->op2, (unsigned)i->imm, c->x[i->rn]);
	return a64_next(c);
}

static int exec_ins_elem(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	u64 x = a64_lane(&c->v[i->rn], i->op2, (unsigned)i->imm2);
	a64_set_lane(&c->v[i->rd], i->op2, (unsigned)i->imm, x);
	return a64_next(c);
}

/* UMOV (imm2 = 0) and SMOV (imm2: the result width, 32 or 64). */
static int exec_mov_to_gen(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	u64 x = a64_lane(&c->v[i->rn], i->op2, (unsigned)i->imm);
	if (i->imm2)
		x = a64_sext(x, 8 * i->op2) & a64_ones((unsigned)i->imm2);
	c->x[i->rd] = x;
	return a64_next(c);
}

/* UZP1/TRN1/ZIP1/UZP2/TRN2/ZIP2: op1 the opcode (1..7 without 4). */
static int exec_permute(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2, n = i->op3 / es, part = i->op1 >> 2, kind = i->op1 & 3;
	const union a64_vreg *a = &c->v[i->rn], *b = &c->v[i->rm];
	union a64_vreg r;
	for (unsigned k = 0; k < n; k++) {
		u64 x;
		if (kind == 1) { /* UZP */
			unsigned s = 2 * k + part;
			x = s < n ? a64_lane(a, es, s) : a64_lane(b, es, s - n);
		} else if (kind == 2) { /* TRN */
			unsigned s = (k & ~1u) + part;
			x = a64_lane(k & 1 ? b : a, es, s);
		} else { /* ZIP */
			unsigned s = part * n / 2 + k / 2;
			x = a64_lane(k & 1 ? b : a, es, s);
		}
		a64_set_lane(&r, es, k, x);
	}
	return done(c, i, &r);
}

static int exec_ext(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	u8 buf[32];
	__builtin_memcpy(buf, c->v[i->rn].b, i->op3);
	__builtin_memcpy(buf + i->op3, c->v[i->rm].b, i->op3);
	union a64_vreg r = { .d = { 0, 0 } };
	__builtin_memcpy(r.b, buf + i->imm, i->op3);
	c->v[i->rd] = r;
	return a64_next(c);
}

/* TBL (op1 0), TBX (op1 1): imm table registers from Vn (mod 32). */
static int exec_tbl(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	u8 table[64];
	unsigned len = (unsigned)i->imm;
	for (unsigned k = 0; k < len; k++)
		__builtin_memcpy(table + 16 * k, c->v[(i->rn + k) & 31].b, 16);
	union a64_vreg idx = c->v[i->rm], r = c->v[i->rd];
	for (unsigned k = 0; k < i->op3; k++) {
		unsigned x = idx.b[k];
		if (x < 16 * len)
			r.b[k] = table[x];
		else if (!i->op1)
			r.b[k] = 0;
	}
	return done(c, i, &r);
}

/* ---- decoding ---- */

static void regs(u32 w, struct a64_insn *i)
{
	i->rd = (u8)a64_bits(w, 4, 0);
	i->rn = (u8)a64_bits(w, 9, 5);
	i->rm = (u8)a64_bits(w, 20, 16);
	i->op3 = (w >> 30) & 1 ? 16 : 8;
}

/* imm5: the element size and index; false when reserved. */
static bool imm5_lane(unsigned imm5, struct a64_insn *i)
{
	if (!(imm5 & 15))
		return false;
	unsigned lg = (unsigned)__builtin_ctz(imm5);
	i->op2 = (u8)(1u << lg);
	i->imm = imm5 >> (lg + 1);
	return true;
}

static void decode_copy(u32 w, struct a64_insn *i, bool scalar)
{
	unsigned op = (w >> 29) & 1, imm5 = a64_bits(w, 20, 16), imm4 = a64_bits(w, 14, 11);
	bool q = (w >> 30) & 1;
	regs(w, i);
	if (!imm5_lane(imm5, i)) {
		a64_decode_undefined(i);
		return;
	}
	if (scalar) {
		if (op || imm4) {
			a64_decode_undefined(i);
			return;
		}
		i->op3 = i->op2;
		i->exec = exec_dup_elem;
		return;
	}
	if (op) { /* INS (element) */
		if (!q) {
			a64_decode_undefined(i);
			return;
		}
		i->imm2 = imm4 >> __builtin_ctz(imm5);
		i->exec = exec_ins_elem;
		return;
	}
	switch (imm4) {
	case 0: /* DUP (element) */
		if (i->op2 == 8 && !q)
			break;
		i->exec = exec_dup_elem;
		return;
	case 1: /* DUP (general) */
		if (i->op2 == 8 && !q)
			break;
		i->rn = a64_reg_zr(w >> 5);
		i->exec = exec_dup_gen;
		return;
	case 3: /* INS (general) */
		if (!q)
			break;
		i->rn = a64_reg_zr(w >> 5);
		i->exec = exec_ins_gen;
		return;
	case 5: /* SMOV */
		if (i->op2 == 8 || (i->op2 == 4 && !q))
			break;
		i->imm2 = q ? 64 : 32;
		i->rd = a64_reg_dst(w);
		i->exec = exec_mov_to_gen;
		return;
	case 7: /* UMOV */
		if ((i->op2 == 8) != q)
			break;
		i->rd = a64_reg_dst(w);
		i->exec = exec_mov_to_gen;
		return;
	default:
		break;
	}
	a64_decode_undefined(i);
}

/* Bits 28:24 = 01110 with bit 21 = 0 (vector), or the scalar copy class. */
void a64_decode_simd_perm(u32 w, struct a64_insn *i)
{
	bool scalar = (w >> 28) & 1, q = (w >> 30) & 1;
	unsigned size = a64_bits(w, 23, 22);
	regs(w, i);
	if (scalar) {
		if (a64_bits(w, 23, 21) == 0 && !((w >> 15) & 1) && ((w >> 10) & 1))
			decode_copy(w, i, true);
		else
			a64_decode_undefined(i);
		return;
	}
	if ((w >> 15) & 1) {
		a64_decode_undefined(i);
		return;
	}
	if ((w >> 10) & 1) {
		if (a64_bits(w, 23, 21) == 0)
			decode_copy(w, i, false);
		else
			a64_decode_undefined(i);
		return;
	}
	if ((w >> 29) & 1) { /* EXT */
		unsigned imm4 = a64_bits(w, 14, 11);
		if (size || (!q && imm4 >= 8)) {
			a64_decode_undefined(i);
			return;
		}
		i->imm = imm4;
		i->exec = exec_ext;
		return;
	}
	if (a64_bits(w, 11, 10) == 2) { /* permute */
		unsigned opc = a64_bits(w, 14, 12);
		if (!(opc & 3) || (size == 3 && !q)) {
			a64_decode_undefined(i);
			return;
		}
		i->op1 = (u8)opc;
		i->op2 = (u8)(1u << size);
		i->exec = exec_permute;
		return;
	}
	if (a64_bits(w, 11, 10) == 0 && size == 0) { /* TBL/TBX */
		i->imm = a64_bits(w, 14, 13) + 1;
		i->op1 = (u8)((w >> 12) & 1);
		i->exec = exec_tbl;
		return;
	}
	a64_decode_undefined(i);
}
