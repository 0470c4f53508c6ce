/*
 * A64 scalar floating point (S and D; half precision only in FCVT):
 * data-processing with 1, 2 and 3 sources, compare, conditional compare
 * and select, FMOV (register, immediate, to and from general registers),
 * conversions to and from integers and fixed point.  Arithmetic is
 * a64_fp_core.c's.
 *
 * Decoded fields: rd, rn, rm, ra: V registers, or general registers
 * (mapped: a64_reg_zr for sources, a64_reg_dst for destinations) in the
 * conversions and FMOV general; sf: 1 for double precision (the
 * conversions: 1 for a 64-bit general register); op1: the operation
 * (per handler); op2: the rounding (A64_RN..A64_RA), the source size in
 * bytes (FCVT), or a flag; op3: the conversion's other size; imm: fbits,
 * a condition table, NZCV, or the FMOV immediate.
 */
#include "arch/arm64/a64_fp.h"

static inline u64 sreg(const struct a64_cpu *c, unsigned r, bool dbl)
{
	return dbl ? c->v[r].d[0] : c->v[r].s[0];
}

static int exec_binop(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	u64 r = a64_fp_binop(c, i->op1, i->sf, sreg(c, i->rn, i->sf), sreg(c, i->rm, i->sf));
	a64_set_scalar(c, i->rd, i->sf ? 8 : 4, r);
	return a64_next(c);
}

/* FMADD, FMSUB (op1 bit 0: negate Rn), FNMADD, FNMSUB (op1 bit 1:
 * negate Ra; FNMADD negates both). */
static int exec_fma(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	bool d = i->sf;
	u64 a = sreg(c, i->ra, d), n = sreg(c, i->rn, d), m = sreg(c, i->rm, d);
	if (i->op1 & 1)
		n = a64_fp_neg(d, n);
	if (i->op1 & 2)
		a = a64_fp_neg(d, a);
	a64_set_scalar(c, i->rd, d ? 8 : 4, a64_fp_muladd(c, d, a, n, m));
	return a64_next(c);
}

enum { U_FMOV, U_FABS, U_FNEG, U_FSQRT, U_FCVT, U_FRINT, U_FRINTX };

static int exec_unop(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	bool d = i->sf;
	u64 a = sreg(c, i->rn, d), r;
	switch (i->op1) {
	case U_FMOV: r = a; break;
	case U_FABS: r = a64_fp_abs(d, a); break;
	case U_FNEG: r = a64_fp_neg(d, a); break;
	case U_FSQRT: r = a64_fp_sqrt(c, d, a); break;
	case U_FRINTX: r = a64_fp_round_int(c, d, a, A64_FPCR_RMODE(c->fpcr), true); break;
	default: /* U_FRINT; op2 4 + 1: the current mode (FRINTI) */
		r = a64_fp_round_int(c, d, a, i->op2 == 5 ? A64_FPCR_RMODE(c->fpcr) : i->op2,
				     false);
		break;
	}
	a64_set_scalar(c, i->rd, d ? 8 : 4, r);
	return a64_next(c);
}

/* FCVT: from op2 bytes to op3 bytes. */
static int exec_fcvt(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	u64 a = a64_lane(&c->v[i->rn], i->op2, 0);
	a64_set_scalar(c, i->rd, i->op3, a64_fp_convert(c, a, i->op2, i->op3));
	return a64_next(c);
}

/* FCMP, FCMPE (op2 = 1); op1 = 1: against +0.0. */
static int exec_fcmp(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	u64 b = i->op1 ? 0 : sreg(c, i->rm, i->sf);
	c->nzcv = a64_fp_compare(c, i->sf, sreg(c, i->rn, i->sf), b, i->op2);
	return a64_next(c);
}

/* FCCMP, FCCMPE (op2 = 1): imm = condition table, imm2 = NZCV. */
static int exec_fccmp(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	if (a64_cond_in(i->imm, c->nzcv))
		c->nzcv = a64_fp_compare(c, i->sf, sreg(c, i->rn, i->sf), sreg(c, i->rm, i->sf),
					 i->op2);
	else
		c->nzcv = (u32)i->imm2;
	return a64_next(c);
}

static int exec_fcsel(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned src = a64_cond_in(i->imm, c->nzcv) ? i->rn : i->rm;
	a64_set_scalar(c, i->rd, i->sf ? 8 : 4, sreg(c, src, i->sf));
	return a64_next(c);
}

static int exec_fmov_imm(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	a64_set_scalar(c, i->rd, i->sf ? 8 : 4, i->imm);
	return a64_next(c);
}

/* FMOV general <-> FP: op1 0: to general, 1: from; op2: the byte size
 * (4, 8), op3: the lane (1 for V.D[1], which keeps the rest of V). */
static int exec_fmov_gen(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	if (!i->op1) {
		c->x[i->rd] = a64_lane(&c->v[i->rn], i->op2, i->op3);
	} else if (i->op3) {
		c->v[i->rd].d[1] = c->x[i->rn];
	} else {
		a64_set_scalar(c, i->rd, i->op2, c->x[i->rn] & a64_ones(8 * i->op2));
	}
	return a64_next(c);
}

/* FCVT[NPMZA][SU] (op1 1: unsigned; op2 the rounding; imm fbits):
 * sf: a 64-bit Xd; op3: the FP size. */
static int exec_fcvt_to_int(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	bool d = i->op3 == 8;
	u64 r = a64_fp_to_int(c, d, sreg(c, i->rn, d), (unsigned)i->imm, i->op1,
			      i->sf ? 64 : 32, i->op2);
	c->x[i->rd] = r;
	return a64_next(c);
}

/* SCVTF/UCVTF (op1 1: unsigned; imm fbits). */
static int exec_cvt_from_int(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	bool d = i->op3 == 8;
	u64 r = a64_fp_from_int(c, d, c->x[i->rn], (unsigned)i->imm, i->op1, i->sf ? 64 : 32);
	a64_set_scalar(c, i->rd, i->op3, r);
	return a64_next(c);
}

/* ---- decoding ---- */

static void fields(u32 w, struct a64_insn *i)
{
	i->rd = (u8)a64_bits(w, 4, 0);
	i->rn = (u8)a64_bits(w, 9, 5);
	i->rm = (u8)a64_bits(w, 20, 16);
	i->ra = (u8)a64_bits(w, 14, 10);
	i->sf = a64_bits(w, 23, 22) == 1;
}

static void decode_1src(u32 w, struct a64_insn *i)
{
	unsigned op = a64_bits(w, 20, 15), type = a64_bits(w, 23, 22);
	static const u8 fcvt_sizes[4] = { 4, 8, 0, 2 };
	if (op >= 4 && op <= 7) { /* FCVT */
		unsigned from = fcvt_sizes[type], to = fcvt_sizes[op & 3];
		if (!from || !to || from == to) {
			a64_decode_undefined(i);
			return;
		}
		i->op2 = (u8)from;
		i->op3 = (u8)to;
		i->exec = exec_fcvt;
		return;
	}
	if (type > 1 || op > 15 || op == 13) {
		a64_decode_undefined(i);
		return;
	}
	i->exec = exec_unop;
	if (op < 4) {
		i->op1 = (u8)op;
	} else if (op == 14) {
		i->op1 = U_FRINTX;
	} else {
		static const u8 rm[8] = { A64_RN, A64_RP, A64_RM, A64_RZ, A64_RA, 0, 0, 5 };
		i->op1 = U_FRINT;
		i->op2 = rm[op - 8];
	}
}

static void decode_conv_int(u32 w, struct a64_insn *i)
{
	unsigned sf = w >> 31, type = a64_bits(w, 23, 22), rmode = a64_bits(w, 20, 19);
	unsigned op = a64_bits(w, 18, 16);
	i->sf = (u8)sf;
	if (op >= 6) { /* FMOV general */
		bool ok = (rmode == 0 && ((!sf && type == 0) || (sf && type == 1))) ||
			  (rmode == 1 && sf && type == 2);
		if (!ok) {
			a64_decode_undefined(i);
			return;
		}
		i->op1 = (u8)(op & 1);
		i->op2 = sf ? 8 : 4;
		i->op3 = type == 2;
		if (i->op1)
			i->rn = a64_reg_zr(w >> 5);
		else
			i->rd = a64_reg_dst(w);
		i->exec = exec_fmov_gen;
		return;
	}
	if (type > 1 || ((op == 2 || op == 3 || op == 4 || op == 5) && rmode)) {
		a64_decode_undefined(i);
		return;
	}
	i->op3 = type ? 8 : 4;
	i->op1 = (u8)(op & 1);
	if (op == 2 || op == 3) {
		i->rn = a64_reg_zr(w >> 5);
		i->exec = exec_cvt_from_int;
		return;
	}
	i->op2 = (u8)(op >= 4 ? A64_RA : rmode);
	i->rd = a64_reg_dst(w);
	i->exec = exec_fcvt_to_int;
}

static void decode_conv_fixed(u32 w, struct a64_insn *i)
{
	unsigned sf = w >> 31, type = a64_bits(w, 23, 22), rmode = a64_bits(w, 20, 19);
	unsigned op = a64_bits(w, 18, 16), scale = a64_bits(w, 15, 10);
	bool cvt_to = rmode == 3 && op < 2, cvt_from = rmode == 0 && (op == 2 || op == 3);
	if (type > 1 || (!sf && scale < 32) || !(cvt_to || cvt_from)) {
		a64_decode_undefined(i);
		return;
	}
	i->sf = (u8)sf;
	i->op3 = type ? 8 : 4;
	i->op1 = (u8)(op & 1);
	i->imm = 64 - scale;
	if (cvt_from) {
		i->rn = a64_reg_zr(w >> 5);
		i->exec = exec_cvt_from_int;
	} else {
		i->op2 = A64_RZ;
		i->rd = a64_reg_dst(w);
		i->exec = exec_fcvt_to_int;
	}
}

/* Bits 31 = M, 29 = S are zero; bits 28:24 = 11110 or 11111. */
void a64_decode_fp_scalar(u32 w, struct a64_insn *i)
{
	fields(w, i);
	unsigned type = a64_bits(w, 23, 22);
	if ((w >> 29) & 1) {
		a64_decode_undefined(i);
		return;
	}
	if ((w >> 24) & 1) { /* 3-source */
		if ((w >> 31) || type > 1) {
			a64_decode_undefined(i);
			return;
		}
		i->op1 = (u8)(((w >> 21) & 1) << 1 | ((w >> 15) & 1));
		i->op1 = (u8)(i->op1 == 3 ? 2 : i->op1 == 2 ? 3 : i->op1);
		i->exec = exec_fma;
		return;
	}
	if (!((w >> 21) & 1)) {
		decode_conv_fixed(w, i);
		return;
	}
	if (a64_bits(w, 15, 10) == 0) {
		decode_conv_int(w, i);
		return;
	}
	bool one_src = a64_bits(w, 14, 10) == 0x10; /* FCVT from H: type 3 */
	if ((w >> 31) || (type > 1 && !one_src)) {
		a64_decode_undefined(i);
		return;
	}
	switch (a64_bits(w, 11, 10)) {
	case 2: { /* 2-source */
		static const u8 ops[9] = { A64_FMUL, A64_FDIV, A64_FADD, A64_FSUB, A64_FMAX,
					   A64_FMIN, A64_FMAXNM, A64_FMINNM, A64_FNMUL };
		unsigned op = a64_bits(w, 15, 12);
		if (op > 8) {
			a64_decode_undefined(i);
			return;
		}
		i->op1 = ops[op];
		i->exec = exec_binop;
		return;
	}
	case 3:
		i->imm = a64_cond_table(a64_bits(w, 15, 12));
		i->exec = exec_fcsel;
		return;
	case 1:
		i->imm = a64_cond_table(a64_bits(w, 15, 12));
		i->imm2 = (u64)a64_bits(w, 3, 0) << 28;
		i->op2 = (u8)((w >> 4) & 1);
		i->exec = exec_fccmp;
		return;
	default:
		break;
	}
	if (a64_bits(w, 14, 10) == 0x10) {
		decode_1src(w, i);
	} else if (a64_bits(w, 13, 10) == 0x8 && !a64_bits(w, 15, 14) && !a64_bits(w, 2, 0)) {
		i->op1 = (u8)((w >> 3) & 1);
		i->op2 = (u8)((w >> 4) & 1);
		i->exec = exec_fcmp;
	} else if (a64_bits(w, 12, 10) == 4 && !a64_bits(w, 9, 5)) {
		i->imm = a64_vfp_expand_imm(a64_bits(w, 20, 13), i->sf);
		i->exec = exec_fmov_imm;
	} else {
		a64_decode_undefined(i);
	}
}
