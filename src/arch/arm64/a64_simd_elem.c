/*
 * A64 Advanced SIMD "x indexed element", vector (bits 28:24 = 01111) and
 * scalar (11111, bit 30 = 1), bit 10 = 0: one operand is lane `index` of
 * Vm, the other each lane of Vn (scalar: lane 0 only).
 *   same size: MUL, MLA, MLS (vector); SQDMULH, SQRDMULH; FMUL, FMLA,
 *              FMLS, FMULX (single and double);
 *   long:      SMULL, UMULL, SMLAL, UMLAL, SMLSL, UMLSL (vector, with the
 *              "2" forms); SQDMULL, SQDMLAL, SQDMLSL (vector and scalar).
 * What ID_AA64PFR0/ISAR0/ISAR1 do not advertise (a64_sysreg.c) stays
 * UNDEFINED: the half-precision FP forms (FP16), SQRDMLAH/SQRDMLSH (RDM),
 * SDOT/UDOT (DotProd), FMLAL/FMLSL (FHM), FCMLA (FCMA), BFDOT/BFMLAL
 * (BF16), SUDOT/USDOT (I8MM).
 *
 * Decoded fields:
 *   rd, rn, rm  V registers (Rm is V0..V15 for 16-bit lanes: M is then
 *               an index bit);
 *   op1         the operation (enum below);
 *   op2         the source lane size in bytes;
 *   op3         the source data size in bytes: 16 or 8 (vector; 8 for
 *               the long forms, whose result fills Vd), or op2 (scalar);
 *   sf          1: the "2" form of a long one (the upper half of Vn);
 *   imm         the index of the Vm lane;
 *   imm2        1: the long form is signed.
 */
#include "arch/arm64/a64_fp.h"

enum {
	/* same size, integer */
	E_MUL, E_MLA, E_MLS, E_SQDMULH, E_SQRDMULH,
	/* same size, floating point */
	E_FMUL, E_FMLA, E_FMLS, E_FMULX,
	/* long: the result lanes are twice the source lanes */
	L_MULL, L_MLAL, L_MLSL, L_SQDMULL, L_SQDMLAL, L_SQDMLSL,
};

/* One lane of a same-size operation: Vn lane a, the Vm element b, Vd lane d. */
static u64 same_lane(struct a64_cpu *c, unsigned op, unsigned esize, u64 a, u64 b, u64 d,
		     bool *qc)
{
	bool dbl = esize == 8;
	switch (op) {
	case E_MUL: return a * b;
	case E_MLA: return d + a * b;
	case E_MLS: return d - a * b;
	case E_SQDMULH: return a64_doubling_high(a, b, esize, false, qc);
	case E_SQRDMULH: return a64_doubling_high(a, b, esize, true, qc);
	case E_FMUL: return a64_fp_binop(c, A64_FMUL, dbl, a, b);
	case E_FMLA: return a64_fp_muladd(c, dbl, d, a, b);
	/* FMLS negates the Vn operand, so a NaN from Vn comes out negated */
	case E_FMLS: return a64_fp_muladd(c, dbl, d, a64_fp_neg(dbl, a), b);
	default: return a64_fp_binop(c, A64_FMULX, dbl, a, b);
	}
}

/* One lane of a long operation: a, b already extended; acc the Vd lane. */
static u64 long_lane(unsigned op, unsigned esize, i64 a, i64 b, u64 acc, bool *qc)
{
	u64 p = (u64)a * (u64)b; /* exact: the sources are at most 32 bits */
	switch (op) {
	case L_MULL: return p;
	case L_MLAL: return acc + p;
	case L_MLSL: return acc - p;
	default: break;
	}
	return a64_doubling_long((u64)a, (u64)b, acc, esize,
				 op == L_SQDMULL ? 0 : op == L_SQDMLAL ? 1 : -1, qc);
}

/* The lanes beyond op3 bytes (Q = 0, scalar) are zeroed. */
static int exec_same(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2, n = i->op3 / es;
	union a64_vreg a = c->v[i->rn], d = c->v[i->rd], r = { .d = { 0, 0 } };
	u64 b = a64_lane(&c->v[i->rm], es, (unsigned)i->imm);
	bool qc = false;
	for (unsigned k = 0; k < n; k++)
		a64_set_lane(&r, es, k, same_lane(c, i->op1, es, a64_lane(&a, es, k), b,
						  a64_lane(&d, es, k), &qc));
	c->v[i->rd] = r;
	if (qc)
		c->fpsr |= A64_FPSR_QC;
	return a64_next(c);
}

/* Vector: the lower or upper (sf) half of Vn, the result fills Vd;
 * scalar: one lane, the rest of Vd zeroed. */
static int exec_long(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2, n = i->op3 / es, first = i->sf ? n : 0;
	bool is_signed = i->imm2;
	union a64_vreg a = c->v[i->rn], d = c->v[i->rd], r = { .d = { 0, 0 } };
	u64 b0 = a64_lane(&c->v[i->rm], es, (unsigned)i->imm);
	i64 b = is_signed ? a64_lane_signed(b0, es) : (i64)b0;
	bool qc = false;
	for (unsigned k = 0; k < n; k++) {
		u64 a0 = a64_lane(&a, es, first + k);
		i64 x = is_signed ? a64_lane_signed(a0, es) : (i64)a0;
		a64_set_lane(&r, 2 * es, k, long_lane(i->op1, es, x, b, a64_lane(&d, 2 * es, k), &qc));
	}
	c->v[i->rd] = r;
	if (qc)
		c->fpsr |= A64_FPSR_QC;
	return a64_next(c);
}

/* ---- decoding ---- */

enum { K_INT, K_LONG, K_FP };

struct elem_form {
	u8 op, kind;
	bool scalar_ok, is_signed;
};

/* The allocated, implemented forms by U:opcode (bits 29, 15:12). */
static const struct elem_form *find_form(unsigned u, unsigned opc)
{
	static const struct { u8 key; struct elem_form f; } forms[] = {
		{ 0x01, { E_FMLA, K_FP, true, false } },
		{ 0x02, { L_MLAL, K_LONG, false, true } },      /* SMLAL */
		{ 0x03, { L_SQDMLAL, K_LONG, true, true } },
		{ 0x05, { E_FMLS, K_FP, true, false } },
		{ 0x06, { L_MLSL, K_LONG, false, true } },      /* SMLSL */
		{ 0x07, { L_SQDMLSL, K_LONG, true, true } },
		{ 0x08, { E_MUL, K_INT, false, false } },
		{ 0x09, { E_FMUL, K_FP, true, false } },
		{ 0x0a, { L_MULL, K_LONG, false, true } },      /* SMULL */
		{ 0x0b, { L_SQDMULL, K_LONG, true, true } },
		{ 0x0c, { E_SQDMULH, K_INT, true, false } },
		{ 0x0d, { E_SQRDMULH, K_INT, true, false } },
		{ 0x10, { E_MLA, K_INT, false, false } },
		{ 0x12, { L_MLAL, K_LONG, false, false } },     /* UMLAL */
		{ 0x14, { E_MLS, K_INT, false, false } },
		{ 0x16, { L_MLSL, K_LONG, false, false } },     /* UMLSL */
		{ 0x19, { E_FMULX, K_FP, true, false } },
		{ 0x1a, { L_MULL, K_LONG, false, false } },     /* UMULL */
	};
	for (unsigned k = 0; k < ARRAY_SIZE(forms); k++)
		if (forms[k].key == (u << 4 | opc))
			return &forms[k].f;
	return NULL;
}

/*
 * The lane size, Vm and the index from size, H, L, M and Rm<3:0>; false
 * for the sizes left UNDEFINED.  Integer: 16-bit lanes index H:L:M (Vm
 * in V0..V15), 32-bit lanes H:L.  FP (size<1> = 1, size<0> = sz):
 * singles index H:L, doubles H (L = 1 is unallocated).
 */
static bool elem_operands(u32 w, bool fp, struct a64_insn *i)
{
	unsigned size = a64_bits(w, 23, 22), h = (w >> 11) & 1, l = (w >> 21) & 1;
	unsigned m = (w >> 20) & 1, rm = a64_bits(w, 19, 16);
	if (fp) {
		if (!(size >> 1) || ((size & 1) && l))
			return false; /* half precision (no FP16), or a double with L = 1 */
		i->op2 = size & 1 ? 8 : 4;
		i->imm = size & 1 ? h : (h << 1 | l);
		i->rm = (u8)(m << 4 | rm);
		return true;
	}
	if (size != 1 && size != 2)
		return false;
	i->op2 = (u8)(1u << size);
	i->imm = size == 1 ? (h << 2 | l << 1 | m) : (h << 1 | l);
	i->rm = (u8)(size == 1 ? rm : m << 4 | rm);
	return true;
}

void a64_decode_simd_elem(u32 w, struct a64_insn *i)
{
	bool scalar = (w >> 28) & 1, q = (w >> 30) & 1;
	const struct elem_form *f = find_form((w >> 29) & 1, a64_bits(w, 15, 12));
	if (!f || (scalar && !f->scalar_ok) || !elem_operands(w, f->kind == K_FP, i)) {
		a64_decode_undefined(i);
		return;
	}
	if (f->kind == K_FP && i->op2 == 8 && !q && !scalar) { /* 1D: unallocated */
		a64_decode_undefined(i);
		return;
	}
	i->rd = (u8)a64_bits(w, 4, 0);
	i->rn = (u8)a64_bits(w, 9, 5);
	i->op1 = f->op;
	if (f->kind == K_LONG) {
		i->op3 = scalar ? i->op2 : 8;
		i->sf = q && !scalar;
		i->imm2 = f->is_signed;
		i->exec = exec_long;
		return;
	}
	i->op3 = scalar ? i->op2 : q ? 16 : 8;
	i->exec = exec_same;
}
