/*
 * A64 Advanced SIMD arithmetic, vector and scalar: three same, three
 * different, two-register miscellaneous, across lanes, pairwise and
 * modified immediate; the integer forms and the floating-point ones
 * (whose arithmetic is a64_fp_core.c's and a64_fp_recip.c's).  Some
 * classes and forms have files of their own, which the decoders here
 * hand on to: shifts by immediate and SHLL (a64_simd_shift.c), the
 * saturating misc and widening doubling multiplies (a64_simd_sat.c),
 * FCVTN/FCVTXN/FCVTL (a64_simd_fcvt.c), by element (a64_simd_elem.c).
 *
 * One handler per class walks the lanes and switches on the operation
 * the decoder chose.  Decoded fields:
 *   rd, rn, rm  V registers;
 *   op1         the operation (enum below);
 *   op2         the element size in bytes (of the sources for the
 *               widening and narrowing forms: see each class);
 *   op3         the data size in bytes: 8 or 16 (vector), or the element
 *               size (scalar: one lane, the rest of Vd zeroed);
 *   sf          1: the "2" (upper half) form of a widening/narrowing one;
 *   imm         the shift amount, fbits, or the expanded immediate.
 * Encodings this file does not implement stay UNDEFINED.
 */
#include "arch/arm64/a64_fp.h"

enum {
	/* integer, two operands */
	O_ADD, O_SUB, O_MUL, O_MLA, O_MLS, O_AND, O_BIC, O_ORR, O_ORN, O_EOR, O_BSL, O_BIT,
	O_BIF, O_CMGT, O_CMHI, O_CMGE, O_CMHS, O_CMEQ, O_CMTST, O_SMAX, O_UMAX, O_SMIN, O_UMIN,
	O_SABD, O_UABD, O_SABA, O_UABA, O_SHADD, O_UHADD, O_SRHADD, O_URHADD, O_SHSUB, O_UHSUB,
	O_SQADD, O_UQADD, O_SQSUB, O_UQSUB, O_SQDMULH, O_SQRDMULH, O_PMUL,
	/* shifts by register, in a64_simd_shl_reg's order (A64_SHL_*) */
	O_SSHL, O_USHL, O_SRSHL, O_URSHL, O_SQSHL, O_UQSHL, O_SQRSHL, O_UQRSHL,
	/* floating point, two operands */
	O_FADD, O_FSUB, O_FMUL, O_FDIV, O_FMAX, O_FMIN, O_FMAXNM, O_FMINNM, O_FABD, O_FMLA,
	O_FMLS, O_FCMEQ, O_FCMGE, O_FCMGT, O_FACGE, O_FACGT, O_FMULX, O_FRECPS, O_FRSQRTS,
	/* one operand (two-register misc) */
	O_REV64, O_REV32, O_REV16, O_CLS, O_CLZ, O_CNT, O_NOT, O_RBIT, O_CMGT0, O_CMGE0, O_CMEQ0,
	O_CMLE0, O_CMLT0, O_ABS, O_NEG, O_FABS, O_FNEG, O_FSQRT, O_FCMGT0, O_FCMGE0, O_FCMEQ0,
	O_FCMLE0, O_FCMLT0, O_FRINT, O_FRINTX, O_FCVTS, O_FCVTU, O_SCVTF, O_UCVTF,
	O_SADDLP, O_UADDLP, O_SADALP, O_UADALP, O_FRECPE, O_FRSQRTE, O_FRECPX, O_URECPE,
	O_URSQRTE,
};

static u64 int_op(struct a64_cpu *c, unsigned op, unsigned es, u64 a, u64 b, u64 d, bool *qc)
{
	u64 m = a64_ones(8 * es);
	i64 sa = a64_lane_signed(a, es), sb = a64_lane_signed(b, es);
	switch (op) {
	case O_ADD: return a + b;
	case O_SUB: return a - b;
	case O_MUL: return a * b;
	case O_MLA: return d + a * b;
	case O_MLS: return d - a * b;
	case O_AND: return a & b;
	case O_BIC: return a & ~b;
	case O_ORR: return a | b;
	case O_ORN: return a | ~b;
	case O_EOR: return a ^ b;
	case O_BSL: return (d & a) | (~d & b);
	case O_BIT: return (a & b) | (d & ~b);
	case O_BIF: return (d & b) | (a & ~b);
	case O_CMGT: return sa > sb ? m : 0;
	case O_CMHI: return a > b ? m : 0;
	case O_CMGE: return sa >= sb ? m : 0;
	case O_CMHS: return a >= b ? m : 0;
	case O_CMEQ: return a == b ? m : 0;
	case O_CMTST: return (a & b) ? m : 0;
	case O_SMAX: return (u64)(sa > sb ? sa : sb);
	case O_UMAX: return a > b ? a : b;
	case O_SMIN: return (u64)(sa < sb ? sa : sb);
	case O_UMIN: return a < b ? a : b;
	case O_SABD: return (u64)(sa > sb ? sa - sb : sb - sa);
	case O_UABD: return a > b ? a - b : b - a;
	case O_SABA: return d + (u64)(sa > sb ? sa - sb : sb - sa);
	case O_UABA: return d + (a > b ? a - b : b - a);
	case O_SHADD: return (u64)(((__int128)sa + sb) >> 1);
	case O_UHADD: return (u64)(((unsigned __int128)a + b) >> 1);
	case O_SRHADD: return (u64)(((__int128)sa + sb + 1) >> 1);
	case O_URHADD: return (u64)(((unsigned __int128)a + b + 1) >> 1);
	case O_SHSUB: return (u64)(((__int128)sa - sb) >> 1);
	case O_UHSUB: return (u64)(((__int128)a - (__int128)b) >> 1);
	case O_SQADD: {
		__int128 v = (__int128)sa + sb;
		i64 hi = (i64)a64_ones(8 * es - 1);
		if (v > hi || v < -(__int128)hi - 1) {
			*qc = true;
			return (u64)(v > hi ? hi : -hi - 1);
		}
		return (u64)v;
	}
	case O_SQSUB: {
		__int128 v = (__int128)sa - sb;
		i64 hi = (i64)a64_ones(8 * es - 1);
		if (v > hi || v < -(__int128)hi - 1) {
			*qc = true;
			return (u64)(v > hi ? hi : -hi - 1);
		}
		return (u64)v;
	}
	case O_UQADD: {
		unsigned __int128 v = (unsigned __int128)a + b;
		if (v > m) {
			*qc = true;
			return m;
		}
		return (u64)v;
	}
	case O_UQSUB:
		if (a < b) {
			*qc = true;
			return 0;
		}
		return a - b;
	case O_SQDMULH: return a64_doubling_high(a, b, es, false, qc);
	case O_SQRDMULH: return a64_doubling_high(a, b, es, true, qc);
	case O_PMUL: return a64_poly_mul8(a, b);
	case O_SSHL: case O_USHL: case O_SRSHL: case O_URSHL:
	case O_SQSHL: case O_UQSHL: case O_SQRSHL: case O_UQRSHL:
		return a64_simd_shl_reg(a, b, es, op - O_SSHL, qc);
	default: break;
	}
	/* floating point: es is 4 or 8 */
	bool dbl = es == 8;
	switch (op) {
	case O_FADD: return a64_fp_binop(c, A64_FADD, dbl, a, b);
	case O_FSUB: return a64_fp_binop(c, A64_FSUB, dbl, a, b);
	case O_FMUL: return a64_fp_binop(c, A64_FMUL, dbl, a, b);
	case O_FDIV: return a64_fp_binop(c, A64_FDIV, dbl, a, b);
	case O_FMAX: return a64_fp_binop(c, A64_FMAX, dbl, a, b);
	case O_FMIN: return a64_fp_binop(c, A64_FMIN, dbl, a, b);
	case O_FMAXNM: return a64_fp_binop(c, A64_FMAXNM, dbl, a, b);
	case O_FMINNM: return a64_fp_binop(c, A64_FMINNM, dbl, a, b);
	case O_FABD: return a64_fp_binop(c, A64_FABD, dbl, a, b);
	case O_FMLA: return a64_fp_muladd(c, dbl, d, a, b);
	case O_FMLS: return a64_fp_muladd(c, dbl, d, a64_fp_neg(dbl, a), b);
	case O_FCMEQ: return a64_fp_cmp_lane(c, 0, dbl, a, b) ? m : 0;
	case O_FCMGE: return a64_fp_cmp_lane(c, 1, dbl, a, b) ? m : 0;
	case O_FCMGT: return a64_fp_cmp_lane(c, 2, dbl, a, b) ? m : 0;
	case O_FACGE:
		return a64_fp_cmp_lane(c, 1, dbl, a64_fp_abs(dbl, a), a64_fp_abs(dbl, b)) ? m : 0;
	case O_FACGT:
		return a64_fp_cmp_lane(c, 2, dbl, a64_fp_abs(dbl, a), a64_fp_abs(dbl, b)) ? m : 0;
	case O_FMULX: return a64_fp_binop(c, A64_FMULX, dbl, a, b);
	case O_FRECPS: return a64_fp_recip_step(c, dbl, a, b, false);
	default: return a64_fp_recip_step(c, dbl, a, b, true); /* O_FRSQRTS */
	}
}

static inline int finish(struct a64_cpu *c, const struct a64_insn *i, union a64_vreg *r,
			 bool qc)
{
	if (i->op3 < 16)
		for (unsigned k = i->op3; k < 16; k++)
			r->b[k] = 0;
	c->v[i->rd] = *r;
	if (qc)
		c->fpsr |= A64_FPSR_QC;
	return a64_next(c);
}

/* Three same (and the scalar forms: op3 = op2). */
static int exec_same(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2, n = i->op3 / es;
	union a64_vreg a = c->v[i->rn], b = c->v[i->rm], d = c->v[i->rd], r = { .d = { 0, 0 } };
	bool qc = false;
	u64 m = a64_ones(8 * es);
	for (unsigned k = 0; k < n; k++)
		a64_set_lane(&r, es, k, int_op(c, i->op1, es, a64_lane(&a, es, k),
					       a64_lane(&b, es, k), a64_lane(&d, es, k), &qc) & m);
	return finish(c, i, &r, qc);
}

/* Pairwise: lanes of Vn:Vm concatenated, adjacent pairs (scalar form:
 * op3 = 2 * op2, the two lanes of Vn; the result is one lane). */
static int exec_pairwise(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2, n = i->op3 / es;
	u64 in[32];
	union a64_vreg r = { .d = { 0, 0 } };
	for (unsigned k = 0; k < n; k++) {
		in[k] = a64_lane(&c->v[i->rn], es, k);
		in[n + k] = a64_lane(&c->v[i->rm], es, k);
	}
	unsigned outs = i->sf ? 1 : n;
	bool qc = false;
	for (unsigned k = 0; k < outs; k++)
		a64_set_lane(&r, es, k, int_op(c, i->op1, es, in[2 * k], in[2 * k + 1], 0, &qc) &
						a64_ones(8 * es));
	c->v[i->rd] = r;
	if (i->op3 == 8 && !i->sf)
		c->v[i->rd].d[1] = 0;
	return a64_next(c);
}

static u64 misc_op(struct a64_cpu *c, unsigned op, unsigned es, u64 a, const struct a64_insn *i)
{
	u64 m = a64_ones(8 * es);
	i64 sa = a64_lane_signed(a, es);
	bool dbl = es == 8;
	switch (op) {
	case O_CLS: {
		u64 v = (sa < 0 ? ~a : a) & m;
		return v ? (u64)(__builtin_clzll(v) - (64 - 8 * es) - 1) : 8 * es - 1;
	}
	case O_CLZ: return a ? (u64)(__builtin_clzll(a) - (64 - 8 * (int)es)) : 8 * es;
	case O_CNT: return (u64)__builtin_popcountll(a);
	case O_NOT: return ~a;
	case O_RBIT: {
		u64 r = 0;
		for (unsigned k = 0; k < 8; k++)
			r |= ((a >> k) & 1) << (7 - k);
		return r;
	}
	case O_CMGT0: return sa > 0 ? m : 0;
	case O_CMGE0: return sa >= 0 ? m : 0;
	case O_CMEQ0: return a == 0 ? m : 0;
	case O_CMLE0: return sa <= 0 ? m : 0;
	case O_CMLT0: return sa < 0 ? m : 0;
	case O_ABS: return sa < 0 ? -(u64)sa : a;
	case O_NEG: return -(u64)sa;
	case O_FABS: return a64_fp_abs(dbl, a);
	case O_FNEG: return a64_fp_neg(dbl, a);
	case O_FSQRT: return a64_fp_sqrt(c, dbl, a);
	case O_FCMGT0: return a64_fp_cmp_lane(c, 2, dbl, a, 0) ? m : 0;
	case O_FCMGE0: return a64_fp_cmp_lane(c, 1, dbl, a, 0) ? m : 0;
	case O_FCMEQ0: return a64_fp_cmp_lane(c, 0, dbl, a, 0) ? m : 0;
	case O_FCMLE0: return a64_fp_cmp_lane(c, 1, dbl, 0, a) ? m : 0;
	case O_FCMLT0: return a64_fp_cmp_lane(c, 2, dbl, 0, a) ? m : 0;
	case O_FRINT:
		return a64_fp_round_int(c, dbl, a, i->imm == 5 ? A64_FPCR_RMODE(c->fpcr)
							      : (unsigned)i->imm, false);
	case O_FRINTX: return a64_fp_round_int(c, dbl, a, A64_FPCR_RMODE(c->fpcr), true);
	case O_FCVTS: case O_FCVTU:
		return a64_fp_to_int(c, dbl, a, (unsigned)i->imm2, op == O_FCVTU, 8 * es,
				     (unsigned)i->imm);
	case O_SCVTF: case O_UCVTF:
		return a64_fp_from_int(c, dbl, a, (unsigned)i->imm2, op == O_UCVTF, 8 * es);
	case O_FRECPE: return a64_fp_recip_estimate(c, dbl, a);
	case O_FRSQRTE: return a64_fp_rsqrt_estimate(c, dbl, a);
	case O_FRECPX: return a64_fp_recpx(c, dbl, a);
	case O_URECPE: return a64_recip_estimate_u32((u32)a);
	case O_URSQRTE: return a64_rsqrt_estimate_u32((u32)a);
	default: return a;
	}
}

/* Two-register miscellaneous, same-size lanes (REV* included). */
static int exec_misc(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2, n = i->op3 / es;
	union a64_vreg a = c->v[i->rn], r = { .d = { 0, 0 } };
	if (i->op1 == O_REV64 || i->op1 == O_REV32 || i->op1 == O_REV16) {
		unsigned cont = i->op1 == O_REV64 ? 8 : i->op1 == O_REV32 ? 4 : 2;
		unsigned per = cont / es;
		for (unsigned k = 0; k < n; k++)
			a64_set_lane(&r, es, k, a64_lane(&a, es, (k / per) * per + per - 1 - k % per));
		return finish(c, i, &r, false);
	}
	for (unsigned k = 0; k < n; k++)
		a64_set_lane(&r, es, k, misc_op(c, i->op1, es, a64_lane(&a, es, k), i) &
						a64_ones(8 * es));
	return finish(c, i, &r, false);
}

/* SADDLP/UADDLP/SADALP/UADALP: op2 the source lane size. */
static int exec_addlp(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2, n = i->op3 / (2 * es);
	union a64_vreg a = c->v[i->rn], d = c->v[i->rd], r = { .d = { 0, 0 } };
	bool s = i->op1 == O_SADDLP || i->op1 == O_SADALP;
	bool acc = i->op1 == O_SADALP || i->op1 == O_UADALP;
	for (unsigned k = 0; k < n; k++) {
		u64 x = a64_lane(&a, es, 2 * k), y = a64_lane(&a, es, 2 * k + 1);
		u64 v = s ? (u64)(a64_lane_signed(x, es) + a64_lane_signed(y, es)) : x + y;
		if (acc)
			v += a64_lane(&d, 2 * es, k);
		a64_set_lane(&r, 2 * es, k, v & a64_ones(16 * es));
	}
	return finish(c, i, &r, false);
}

/* XTN/XTN2 (op1 0), SQXTN (1), UQXTN (2), SQXTUN (3): op2 the result
 * lane size; op3 = op2 for the scalar forms (one lane, the rest zeroed). */
static int exec_narrow(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2;
	bool scalar = i->op3 == es;
	unsigned n = scalar ? 1 : 8 / es;
	union a64_vreg a = c->v[i->rn], r = c->v[i->rd];
	if (scalar)
		r = (union a64_vreg){ .d = { 0, 0 } };
	bool qc = false;
	u64 m = a64_ones(8 * es);
	for (unsigned k = 0; k < n; k++) {
		u64 v = a64_lane(&a, 2 * es, k);
		i64 sv = a64_lane_signed(v, 2 * es);
		switch (i->op1) {
		case 1: v = a64_sat_signed(sv, es, &qc); break;
		case 2: if (v > m) { v = m; qc = true; } break;
		case 3: if (sv < 0) { v = 0; qc = true; } else if ((u64)sv > m) { v = m; qc = true; } break;
		default: break;
		}
		a64_set_lane(&r, es, (i->sf ? n : 0) + k, v & m);
	}
	if (!i->sf)
		r.d[1] = 0;
	c->v[i->rd] = r;
	if (qc)
		c->fpsr |= A64_FPSR_QC;
	return a64_next(c);
}

/* Three different: op1 the kind (enum), op2 the narrow lane size. */
enum { D_ADDL, D_ADDW, D_SUBL, D_SUBW, D_ADDHN, D_RADDHN, D_SUBHN, D_RSUBHN, D_ABAL, D_ABDL,
       D_MLAL, D_MLSL, D_MULL };

static int exec_diff(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2, n = 8 / es, kind = i->op1;
	bool s = i->imm, hi = i->sf;
	union a64_vreg a = c->v[i->rn], b = c->v[i->rm], d = c->v[i->rd], r = d;
	u64 wm = a64_ones(16 * es);
	for (unsigned k = 0; k < n; k++) {
		if (kind >= D_ADDHN && kind <= D_RSUBHN) {
			u64 x = a64_lane(&a, 2 * es, k), y = a64_lane(&b, 2 * es, k);
			u64 v = kind < D_SUBHN ? x + y : x - y;
			if (kind == D_RADDHN || kind == D_RSUBHN)
				v += 1ull << (8 * es - 1);
			a64_set_lane(&r, es, (hi ? n : 0) + k, (v & wm) >> (8 * es));
			continue;
		}
		unsigned ln = (hi ? n : 0) + k;
		u64 y0 = a64_lane(&b, es, ln);
		i64 y = s ? a64_lane_signed(y0, es) : (i64)y0;
		i64 x;
		if (kind == D_ADDW || kind == D_SUBW) {
			x = (i64)a64_lane(&a, 2 * es, k);
		} else {
			u64 x0 = a64_lane(&a, es, ln);
			x = s ? a64_lane_signed(x0, es) : (i64)x0;
		}
		u64 acc = a64_lane(&d, 2 * es, k), v;
		switch (kind) {
		case D_ADDL: case D_ADDW: v = (u64)x + (u64)y; break;
		case D_SUBL: case D_SUBW: v = (u64)x - (u64)y; break;
		case D_ABAL: v = acc + (u64)(x > y ? x - y : y - x); break;
		case D_ABDL: v = (u64)(x > y ? x - y : y - x); break;
		case D_MLAL: v = acc + (u64)x * (u64)y; break;
		case D_MLSL: v = acc - (u64)x * (u64)y; break;
		default: v = (u64)x * (u64)y; break;
		}
		a64_set_lane(&r, 2 * es, k, v & wm);
	}
	if (kind >= D_ADDHN && kind <= D_RSUBHN && !hi)
		r.d[1] = 0;
	c->v[i->rd] = r;
	return a64_next(c);
}

/* Across lanes: op1 0 ADDV, 1/2 SMAXV/UMAXV, 3/4 SMINV/UMINV, 5/6 SADDLV/UADDLV. */
static int exec_across(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2, n = i->op3 / es;
	const union a64_vreg *a = &c->v[i->rn];
	bool s = i->op1 == 1 || i->op1 == 3 || i->op1 == 5;
	i64 acc = s ? a64_lane_signed(a64_lane(a, es, 0), es) : (i64)a64_lane(a, es, 0);
	for (unsigned k = 1; k < n; k++) {
		i64 v = s ? a64_lane_signed(a64_lane(a, es, k), es) : (i64)a64_lane(a, es, k);
		switch (i->op1) {
		case 0: case 5: case 6: acc = (i64)((u64)acc + (u64)v); break;
		case 1: case 2: acc = v > acc ? v : acc; break;
		default: acc = v < acc ? v : acc; break;
		}
	}
	unsigned res = i->op1 >= 5 ? 2 * es : es;
	a64_set_scalar(c, i->rd, res, (u64)acc & a64_ones(8 * res));
	return a64_next(c);
}

/* FMAXNMV, FMINNMV, FMAXV, FMINV of four singles: op1 the A64_F* operation.
 * Reduce() pairs the halves: (0 op 1) op (2 op 3), which fixes the order
 * NaNs and flags come in. */
static int exec_fp_across(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	const union a64_vreg *a = &c->v[i->rn];
	u64 lo = a64_fp_binop(c, i->op1, false, a->s[0], a->s[1]);
	u64 hi = a64_fp_binop(c, i->op1, false, a->s[2], a->s[3]);
	a64_set_scalar(c, i->rd, 4, a64_fp_binop(c, i->op1, false, lo, hi));
	return a64_next(c);
}

/* MOVI/MVNI/ORR/BIC/FMOV (vector, immediate): op1 0 move, 1 ORR, 2 BIC;
 * imm the 64-bit pattern. */
static int exec_movi(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	union a64_vreg r = c->v[i->rd];
	for (unsigned k = 0; k < 2; k++)
		r.d[k] = i->op1 == 0 ? i->imm : i->op1 == 1 ? r.d[k] | i->imm : r.d[k] & ~i->imm;
	if (i->op3 == 8)
		r.d[1] = 0;
	c->v[i->rd] = r;
	return a64_next(c);
}

/* ---- decoding ---- */

static bool set_vec(u32 w, struct a64_insn *i, unsigned es)
{
	i->rd = (u8)a64_bits(w, 4, 0);
	i->rn = (u8)a64_bits(w, 9, 5);
	i->rm = (u8)a64_bits(w, 20, 16);
	i->op2 = (u8)es;
	i->op3 = (w >> 30) & 1 ? 16 : 8;
	return true;
}

static void undef(struct a64_insn *i)
{
	a64_decode_undefined(i);
}

/* Three same: U, size, opcode; scalar (one lane of op2 bytes) or vector. */
static void decode_same(u32 w, struct a64_insn *i, bool scalar)
{
	unsigned u = (w >> 29) & 1, size = a64_bits(w, 23, 22), opc = a64_bits(w, 15, 11);
	bool q = (w >> 30) & 1;
	set_vec(w, i, 1u << size);
	i->exec = exec_same;
	if (opc >= 0x18) { /* floating point: size<1> is part of the opcode, size<0> sz */
		unsigned a = size >> 1, sz = size & 1, key = opc << 2 | u << 1 | a;
		i->op2 = sz ? 8 : 4;
		if ((sz && !q && !scalar)) {
			undef(i);
			return;
		}
		static const struct { u8 key, op, pair; } fp[] = {
			{ 0x18 << 2 | 0, O_FMAXNM, 0 }, { 0x18 << 2 | 1, O_FMINNM, 0 },
			{ 0x18 << 2 | 2, O_FMAXNM, 1 }, { 0x18 << 2 | 3, O_FMINNM, 1 },
			{ 0x19 << 2 | 0, O_FMLA, 0 }, { 0x19 << 2 | 1, O_FMLS, 0 },
			{ 0x1a << 2 | 0, O_FADD, 0 }, { 0x1a << 2 | 1, O_FSUB, 0 },
			{ 0x1a << 2 | 2, O_FADD, 1 }, { 0x1a << 2 | 3, O_FABD, 0 },
			{ 0x1b << 2 | 0, O_FMULX, 0 },
			{ 0x1b << 2 | 2, O_FMUL, 0 }, { 0x1c << 2 | 0, O_FCMEQ, 0 },
			{ 0x1c << 2 | 2, O_FCMGE, 0 }, { 0x1c << 2 | 3, O_FCMGT, 0 },
			{ 0x1d << 2 | 2, O_FACGE, 0 }, { 0x1d << 2 | 3, O_FACGT, 0 },
			{ 0x1e << 2 | 0, O_FMAX, 0 }, { 0x1e << 2 | 1, O_FMIN, 0 },
			{ 0x1e << 2 | 2, O_FMAX, 1 }, { 0x1e << 2 | 3, O_FMIN, 1 },
			{ 0x1f << 2 | 0, O_FRECPS, 0 }, { 0x1f << 2 | 1, O_FRSQRTS, 0 },
			{ 0x1f << 2 | 2, O_FDIV, 0 },
		};
		for (unsigned k = 0; k < ARRAY_SIZE(fp); k++)
			if (fp[k].key == key) {
				/* FABD, FCM*, FAC*, FMULX, FRECPS, FRSQRTS */
				bool scalar_ok = !fp[k].pair && (fp[k].op == O_FABD ||
					fp[k].op >= O_FCMEQ);
				if (scalar && !scalar_ok)
					break;
				i->op1 = fp[k].op;
				if (scalar)
					i->op3 = i->op2;
				if (fp[k].pair)
					i->exec = exec_pairwise;
				return;
			}
		undef(i);
		return;
	}
	static const u8 ops[2][24] = {
		{ O_SHADD, O_SQADD, O_SRHADD, 0xff, O_SHSUB, O_SQSUB, O_CMGT, O_CMGE, O_SSHL,
		  O_SQSHL, O_SRSHL, O_SQRSHL, O_SMAX, O_SMIN, O_SABD, O_SABA, O_ADD, O_CMTST, O_MLA,
		  O_MUL, O_SMAX, O_SMIN, O_SQDMULH, O_ADD },
		{ O_UHADD, O_UQADD, O_URHADD, 0xff, O_UHSUB, O_UQSUB, O_CMHI, O_CMHS, O_USHL,
		  O_UQSHL, O_URSHL, O_UQRSHL, O_UMAX, O_UMIN, O_UABD, O_UABA, O_SUB, O_CMEQ, O_MLS,
		  O_PMUL, O_UMAX, O_UMIN, O_SQRDMULH, 0xff },
	};
	if (opc == 3) {
		static const u8 logic[2][4] = { { O_AND, O_BIC, O_ORR, O_ORN },
						{ O_EOR, O_BSL, O_BIT, O_BIF } };
		if (scalar) {
			undef(i);
			return;
		}
		i->op1 = logic[u][size];
		i->op2 = 8;
		return;
	}
	unsigned op = ops[u][opc];
	if (op == 0xff || (size == 3 && !q && !scalar)) {
		undef(i);
		return;
	}
	if (scalar) { /* the scalar forms: 64-bit lanes, and saturating ones; no pairwise */
		bool ok = (size == 3 && opc < 0x14 &&
			   (op == O_ADD || op == O_SUB || op == O_CMGT || op == O_CMHI ||
			    op == O_CMGE || op == O_CMHS || op == O_CMEQ || op == O_CMTST ||
			    op == O_SSHL || op == O_USHL || op == O_SRSHL || op == O_URSHL)) ||
			  op == O_SQADD || op == O_UQADD || op == O_SQSUB || op == O_UQSUB ||
			  op == O_SQSHL || op == O_UQSHL || op == O_SQRSHL || op == O_UQRSHL ||
			  op == O_SQDMULH || op == O_SQRDMULH;
		if (!ok) {
			undef(i);
			return;
		}
		i->op3 = i->op2;
	}
	if ((op == O_MUL || op == O_MLA || op == O_MLS || op == O_SABD || op == O_UABD ||
	     op == O_SABA || op == O_UABA || op == O_SHADD || op == O_UHADD || op == O_SRHADD ||
	     op == O_URHADD || op == O_SHSUB || op == O_UHSUB || op == O_SMAX || op == O_UMAX ||
	     op == O_SMIN || op == O_UMIN) && size == 3) {
		undef(i);
		return;
	}
	bool sizes_ok = op == O_PMUL ? size == 0
		      : op == O_SQDMULH || op == O_SQRDMULH ? size == 1 || size == 2 : true;
	if (!sizes_ok) {
		undef(i);
		return;
	}
	i->op1 = (u8)op;
	if (opc >= 0x14 && opc != 0x16) { /* SMAXP, UMAXP, SMINP, UMINP, ADDP */
		if (size == 3 && opc != 0x17) {
			undef(i);
			return;
		}
		i->exec = exec_pairwise;
	}
}

/* Two-register misc: U, size, opcode (bits 16:12). */
static void decode_misc(u32 w, struct a64_insn *i, bool scalar)
{
	unsigned u = (w >> 29) & 1, size = a64_bits(w, 23, 22), opc = a64_bits(w, 16, 12);
	bool q = (w >> 30) & 1;
	set_vec(w, i, 1u << size);
	i->exec = exec_misc;
	if (scalar)
		i->op3 = i->op2;
	if (opc == 0x16 || opc == 0x17) { /* FCVTN, FCVTXN, FCVTL */
		a64_decode_simd_fcvt(w, i, scalar);
		return;
	}
	if (opc >= 0x0c && opc != 0x12 && opc != 0x13 && opc != 0x14) { /* floating point */
		unsigned sz = size & 1, hi = size >> 1;
		i->op2 = sz ? 8 : 4;
		i->op3 = scalar ? i->op2 : i->op3;
		if (sz && !q && !scalar) {
			undef(i);
			return;
		}
		unsigned key = opc << 2 | u << 1 | hi;
		static const struct { u16 key; u8 op, rm; } fp[] = {
			{ 0x0c << 2 | 1, O_FCMGT0, 0 }, { 0x0c << 2 | 3, O_FCMGE0, 0 },
			{ 0x0d << 2 | 1, O_FCMEQ0, 0 }, { 0x0d << 2 | 3, O_FCMLE0, 0 },
			{ 0x0e << 2 | 1, O_FCMLT0, 0 },
			{ 0x0f << 2 | 1, O_FABS, 0 }, { 0x0f << 2 | 3, O_FNEG, 0 },
			{ 0x18 << 2 | 0, O_FRINT, A64_RN }, { 0x18 << 2 | 1, O_FRINT, A64_RP },
			{ 0x18 << 2 | 2, O_FRINT, A64_RA }, { 0x19 << 2 | 0, O_FRINT, A64_RM },
			{ 0x19 << 2 | 1, O_FRINT, A64_RZ }, { 0x19 << 2 | 2, O_FRINTX, 0 },
			{ 0x19 << 2 | 3, O_FRINT, 5 },
			{ 0x1a << 2 | 0, O_FCVTS, A64_RN }, { 0x1a << 2 | 2, O_FCVTU, A64_RN },
			{ 0x1a << 2 | 1, O_FCVTS, A64_RP }, { 0x1a << 2 | 3, O_FCVTU, A64_RP },
			{ 0x1b << 2 | 0, O_FCVTS, A64_RM }, { 0x1b << 2 | 2, O_FCVTU, A64_RM },
			{ 0x1b << 2 | 1, O_FCVTS, A64_RZ }, { 0x1b << 2 | 3, O_FCVTU, A64_RZ },
			{ 0x1c << 2 | 0, O_FCVTS, A64_RA }, { 0x1c << 2 | 2, O_FCVTU, A64_RA },
			{ 0x1c << 2 | 1, O_URECPE, 0 }, { 0x1c << 2 | 3, O_URSQRTE, 0 },
			{ 0x1d << 2 | 0, O_SCVTF, 0 }, { 0x1d << 2 | 2, O_UCVTF, 0 },
			{ 0x1d << 2 | 1, O_FRECPE, 0 }, { 0x1d << 2 | 3, O_FRSQRTE, 0 },
			{ 0x1f << 2 | 1, O_FRECPX, 0 }, { 0x1f << 2 | 3, O_FSQRT, 0 },
		};
		for (unsigned k = 0; k < ARRAY_SIZE(fp); k++)
			if (fp[k].key == key) {
				unsigned op = fp[k].op;
				/* URECPE, URSQRTE: 32-bit lanes only */
				bool unsigned_est = op == O_URECPE || op == O_URSQRTE;
				bool vec_only = op == O_FABS || op == O_FNEG || op == O_FSQRT ||
						op == O_FRINT || op == O_FRINTX || unsigned_est;
				if ((scalar && vec_only) || (!scalar && op == O_FRECPX) ||
				    (unsigned_est && sz))
					break;
				i->op1 = fp[k].op;
				i->imm = fp[k].rm;
				return;
			}
		undef(i);
		return;
	}
	unsigned op = 0xff;
	switch (opc << 1 | u) {
	case 0x00: op = size < 3 ? O_REV64 : 0xff; break;
	case 0x01: op = size < 2 ? O_REV32 : 0xff; break;
	case 0x02: op = size < 1 ? O_REV16 : 0xff; break;
	case 0x04: case 0x05: case 0x0c: case 0x0d:
		if (size == 3 || scalar)
			break;
		i->op1 = (u8)(opc == 2 ? (u ? O_UADDLP : O_SADDLP) : (u ? O_UADALP : O_SADALP));
		i->exec = exec_addlp;
		return;
	case 0x06: case 0x07: case 0x0e: case 0x0f: /* SUQADD, USQADD, SQABS, SQNEG */
		a64_decode_simd_sat_misc(w, i, scalar);
		return;
	case 0x08: op = size < 3 ? O_CLS : 0xff; break;
	case 0x09: op = size < 3 ? O_CLZ : 0xff; break;
	case 0x0a: op = size == 0 ? O_CNT : 0xff; break;
	case 0x0b: op = size == 0 ? O_NOT : size == 1 ? O_RBIT : 0xff; i->op2 = 1; break;
	case 0x10: op = O_CMGT0; break;
	case 0x11: op = O_CMGE0; break;
	case 0x12: op = O_CMEQ0; break;
	case 0x13: op = O_CMLE0; break;
	case 0x14: op = O_CMLT0; break;
	case 0x16: op = O_ABS; break;
	case 0x17: op = O_NEG; break;
	case 0x24: case 0x25: case 0x28: case 0x29: /* XTN, SQXTUN, SQXTN, UQXTN */
		if (size == 3 || (scalar && opc == 0x12 && !u)) {
			undef(i);
			return;
		}
		i->op1 = (u8)(opc == 0x12 ? (u ? 3 : 0) : (u ? 2 : 1));
		i->sf = q && !scalar;
		i->exec = exec_narrow;
		return;
	case 0x27: /* SHLL */
		if (scalar)
			break;
		a64_decode_simd_shll(w, i);
		return;
	default: break;
	}
	if (op == 0xff || (size == 3 && !q && !scalar)) {
		undef(i);
		return;
	}
	if (scalar && (size != 3 || op < O_CMGT0 || op > O_NEG)) {
		undef(i);
		return;
	}
	i->op1 = (u8)op;
}

static void decode_diff(u32 w, struct a64_insn *i)
{
	unsigned u = (w >> 29) & 1, size = a64_bits(w, 23, 22), opc = a64_bits(w, 15, 12);
	static const u8 kinds[16] = { D_ADDL, D_ADDW, D_SUBL, D_SUBW, D_ADDHN, D_ABAL, D_SUBHN,
				      D_ABDL, D_MLAL, 0xff, D_MLSL, 0xff, D_MULL, 0xff, 0xff,
				      0xff };
	if (opc == 0x9 || opc == 0xb || opc == 0xd || opc == 0xe) { /* SQDML*L, SQDMULL, PMULL */
		a64_decode_simd_long_sat(w, i, false);
		return;
	}
	set_vec(w, i, 1u << size);
	unsigned kind = kinds[opc];
	if (kind == 0xff || size == 3) {
		undef(i);
		return;
	}
	if (u && kind == D_ADDHN)
		kind = D_RADDHN;
	else if (u && kind == D_SUBHN)
		kind = D_RSUBHN;
	i->op1 = (u8)kind;
	i->imm = !u;
	i->sf = (w >> 30) & 1;
	i->exec = exec_diff;
}

static void decode_across(u32 w, struct a64_insn *i)
{
	unsigned u = (w >> 29) & 1, size = a64_bits(w, 23, 22), opc = a64_bits(w, 16, 12);
	bool q = (w >> 30) & 1;
	set_vec(w, i, 1u << size);
	if (u && (opc == 0x0c || opc == 0x0f)) { /* FMAXNMV, FMINNMV, FMAXV, FMINV (4S) */
		bool min = size >> 1;
		if ((size & 1) || !q) {
			undef(i);
			return;
		}
		i->op1 = (u8)(opc == 0x0c ? (min ? A64_FMINNM : A64_FMAXNM)
					: (min ? A64_FMIN : A64_FMAX));
		i->exec = exec_fp_across;
		return;
	}
	int op = -1;
	switch (opc) {
	case 0x1b: op = u ? -1 : 0; break;
	case 0x0a: op = u ? 2 : 1; break;
	case 0x1a: op = u ? 4 : 3; break;
	case 0x03: op = u ? 6 : 5; break;
	default: break;
	}
	if (op < 0 || size == 3 || (size == 2 && !q)) {
		undef(i);
		return;
	}
	i->op1 = (u8)op;
	i->exec = exec_across;
}

/* Scalar pairwise: ADDP (D), FADDP/FMAXP/FMINP/FMAXNMP/FMINNMP (S, D). */
static void decode_scalar_pair(u32 w, struct a64_insn *i)
{
	unsigned u = (w >> 29) & 1, size = a64_bits(w, 23, 22), opc = a64_bits(w, 16, 12);
	set_vec(w, i, 8);
	i->rm = i->rn;
	i->sf = 1;
	i->exec = exec_pairwise;
	if (!u && opc == 0x1b && size == 3) {
		i->op1 = O_ADD;
		i->op3 = 16;
		return;
	}
	if (!u || (opc != 0x0c && opc != 0x0d && opc != 0x0f)) {
		undef(i);
		return;
	}
	i->op2 = size & 1 ? 8 : 4;
	i->op3 = 2 * i->op2;
	bool min = size >> 1;
	i->op1 = (u8)(opc == 0x0d ? (min ? 0xff : O_FADD) : opc == 0x0c
		     ? (min ? O_FMINNM : O_FMAXNM) : (min ? O_FMIN : O_FMAX));
	if (i->op1 == 0xff)
		undef(i);
}

/* AdvSIMDExpandImm. */
static u64 expand_imm(unsigned op, unsigned cmode, u64 imm8)
{
	u64 r = 0;
	switch (cmode >> 1) {
	case 0: case 1: case 2: case 3:
		r = imm8 << (8 * (cmode >> 1));
		return r | r << 32;
	case 4: case 5:
		r = imm8 << (8 * ((cmode >> 1) & 1));
		return r * 0x0001000100010001ull;
	case 6:
		r = (cmode & 1) ? (imm8 << 16) | 0xffff : (imm8 << 8) | 0xff;
		return r | r << 32;
	default:
		if (!(cmode & 1) && !op)
			return imm8 * 0x0101010101010101ull;
		if (!(cmode & 1)) {
			for (unsigned k = 0; k < 8; k++)
				if ((imm8 >> k) & 1)
					r |= 0xffull << (8 * k);
			return r;
		}
		if (!op) {
			r = a64_vfp_expand_imm((unsigned)imm8, false);
			return r | r << 32;
		}
		return a64_vfp_expand_imm((unsigned)imm8, true);
	}
}

static void decode_modimm(u32 w, struct a64_insn *i)
{
	unsigned op = (w >> 29) & 1, cmode = a64_bits(w, 15, 12), q = (w >> 30) & 1;
	u64 imm8 = a64_bits(w, 18, 16) << 5 | a64_bits(w, 9, 5);
	set_vec(w, i, 8);
	if ((w >> 11) & 1 || (cmode == 15 && op && !q)) {
		undef(i);
		return;
	}
	u64 imm = expand_imm(op, cmode, imm8);
	bool orr_bic = cmode < 12 && (cmode & 1);
	bool inverted = op && cmode != 14 && cmode != 15;
	i->op1 = orr_bic ? (op ? 2 : 1) : 0;
	i->imm = inverted && !orr_bic ? ~imm : imm;
	i->exec = exec_movi;
}

/* Shift by immediate: the fixed-point conversions SCVTF, UCVTF, FCVTZS,
 * FCVTZU (vector, or scalar with op3 = op2) here, the shifts in
 * a64_simd_shift.c. */
static void decode_shift(u32 w, struct a64_insn *i, bool scalar)
{
	unsigned u = (w >> 29) & 1, immh = a64_bits(w, 22, 19), opc = a64_bits(w, 15, 11);
	bool q = (w >> 30) & 1;
	unsigned es = 1u << (31 - (unsigned)__builtin_clz(immh));
	if (opc != 0x1c && opc != 0x1f) {
		a64_decode_simd_shift(w, i, scalar);
		return;
	}
	set_vec(w, i, es);
	if ((es == 8 && !q && !scalar) || es < 4) { /* es 2: half precision, FP16 */
		undef(i);
		return;
	}
	if (scalar)
		i->op3 = (u8)es;
	i->op1 = opc == 0x1c ? (u ? O_UCVTF : O_SCVTF) : (u ? O_FCVTU : O_FCVTS);
	i->imm2 = 16 * es - a64_bits(w, 22, 16); /* fbits */
	i->imm = A64_RZ;
	i->exec = exec_misc;
}

/*
 * The arithmetic classes: bits 28:24 = 01110 (vector), 01111 (shift and
 * modified immediate), 11110 with bit 30 = 1 (scalar).
 */
void a64_decode_simd_int(u32 w, struct a64_insn *i)
{
	bool scalar = (w >> 28) & 1;
	if ((w >> 24) & 1) { /* 01111 / 11111 */
		if (!((w >> 10) & 1)) { /* x indexed element */
			a64_decode_simd_elem(w, i);
			return;
		}
		if ((w >> 23) & 1) {
			undef(i);
			return;
		}
		if (!a64_bits(w, 22, 19)) {
			if (scalar)
				undef(i);
			else
				decode_modimm(w, i);
		} else {
			decode_shift(w, i, scalar);
		}
		return;
	}
	if (!((w >> 21) & 1)) {
		undef(i);
		return;
	}
	if ((w >> 10) & 1) {
		decode_same(w, i, scalar);
		return;
	}
	unsigned op2 = a64_bits(w, 20, 17);
	if (a64_bits(w, 11, 10) == 2 && op2 == 0)
		decode_misc(w, i, scalar);
	else if (a64_bits(w, 11, 10) == 2 && op2 == 8)
		scalar ? decode_scalar_pair(w, i) : decode_across(w, i);
	else if (a64_bits(w, 11, 10) == 0 && !scalar)
		decode_diff(w, i);
	else if (a64_bits(w, 11, 10) == 0)
		a64_decode_simd_long_sat(w, i, true);
	else
		undef(i);
}
