/*
 * A64 Advanced SIMD saturating integer forms with a handler of their
 * own (the lane-wise two-operand ones, SQSHL, SQDMULH, ..., are
 * a64_simd_int.c's): the two-register misc SQABS, SQNEG, SUQADD,
 * USQADD, and the widening doubling multiplies SQDMULL, SQDMLAL,
 * SQDMLSL (three different, vector and scalar), with the polynomial
 * PMULL of 8-bit lanes (the 64-bit PMULL is the Crypto extension's,
 * which ID_AA64ISAR0 does not advertise: UNDEFINED).
 *
 * Decoded fields:
 *   rd, rn, rm  V registers;
 *   op1         the operation (enum below);
 *   op2         the (source) element size in bytes;
 *   op3         the data size in bytes: 8 or 16 (vector), or op2
 *               (scalar: one lane, the rest of Vd zeroed);
 *   sf          the "2" form of a widening one (the upper half of the
 *               sources).
 * FPSR.QC is set when any lane saturates.
 */
#include "arch/arm64/a64_fp.h"

enum { S_SQABS, S_SQNEG, S_SUQADD, S_USQADD, S_SQDMULL, S_SQDMLAL, S_SQDMLSL, S_PMULL };

static inline i64 sx(u64 v, unsigned esize)
{
	return (i64)a64_sext(v, 8 * esize);
}

/* SignedSatQ / UnsignedSatQ to `esize` bytes, kept to that width. */
static u64 sat(__int128 v, unsigned esize, bool to_unsigned, bool *qc)
{
	unsigned bits = 8 * esize;
	__int128 hi = to_unsigned ? (__int128)a64_ones(bits) : (__int128)a64_ones(bits - 1);
	__int128 lo = to_unsigned ? 0 : -hi - 1;
	if (v > hi || v < lo) {
		*qc = true;
		v = v > hi ? hi : lo;
	}
	return (u64)v & a64_ones(bits);
}

/* One lane of SQABS, SQNEG, SUQADD (Vd signed plus Vn unsigned, to
 * signed), USQADD (Vd unsigned plus Vn signed, to unsigned). */
static u64 misc_lane(unsigned op, unsigned es, u64 n, u64 d, bool *qc)
{
	__int128 sn = sx(n, es);
	switch (op) {
	case S_SQABS: return sat(sn < 0 ? -sn : sn, es, false, qc);
	case S_SQNEG: return sat(-sn, es, false, qc);
	case S_SUQADD: return sat((__int128)sx(d, es) + n, es, false, qc);
	default: return sat((__int128)d + sn, es, true, qc);
	}
}

static int exec_misc(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2, n = i->op3 / es;
	union a64_vreg a = c->v[i->rn], d = c->v[i->rd], r = { .d = { 0, 0 } };
	bool qc = false;
	for (unsigned k = 0; k < n; k++)
		a64_set_lane(&r, es, k, misc_lane(i->op1, es, a64_lane(&a, es, k),
						  a64_lane(&d, es, k), &qc));
	a64_simd_write(c, i->rd, &r, i->op3, qc);
	return a64_next(c);
}

/* One widened lane: x, y the source lanes, acc Vd's. */
static u64 long_lane(unsigned op, unsigned es, u64 x, u64 y, u64 acc, bool *qc)
{
	if (op == S_PMULL)
		return a64_poly_mul8(x, y);
	/* the doubled product saturates only for min * min */
	u64 p = sat(2 * (__int128)sx(x, es) * sx(y, es), 2 * es, false, qc);
	if (op == S_SQDMULL)
		return p;
	__int128 sp = sx(p, 2 * es), sacc = sx(acc, 2 * es);
	return sat(op == S_SQDMLAL ? sacc + sp : sacc - sp, 2 * es, false, qc);
}

static int exec_long(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2;
	bool scalar = i->op3 == es;
	unsigned n = scalar ? 1 : 8 / es, first = i->sf ? n : 0;
	union a64_vreg a = c->v[i->rn], b = c->v[i->rm], d = c->v[i->rd], r = { .d = { 0, 0 } };
	bool qc = false;
	for (unsigned k = 0; k < n; k++)
		a64_set_lane(&r, 2 * es, k,
			     long_lane(i->op1, es, a64_lane(&a, es, first + k),
				       a64_lane(&b, es, first + k), a64_lane(&d, 2 * es, k), &qc));
	a64_simd_write(c, i->rd, &r, scalar ? 2 * es : 16, qc);
	return a64_next(c);
}

/* ---- decoding ---- */

static void fields(u32 w, struct a64_insn *i, bool scalar)
{
	i->rd = (u8)a64_bits(w, 4, 0);
	i->rn = (u8)a64_bits(w, 9, 5);
	i->rm = (u8)a64_bits(w, 20, 16);
	i->op2 = (u8)(1u << a64_bits(w, 23, 22));
	i->op3 = scalar ? i->op2 : (w >> 30) & 1 ? 16 : 8;
}

/* Two-register misc opcodes 0x03 (SUQADD/USQADD) and 0x07 (SQABS/SQNEG). */
void a64_decode_simd_sat_misc(u32 w, struct a64_insn *i, bool scalar)
{
	unsigned u = (w >> 29) & 1, opc = a64_bits(w, 16, 12);
	fields(w, i, scalar);
	if (i->op2 == 8 && i->op3 == 8 && !scalar) {
		a64_decode_undefined(i);
		return;
	}
	i->op1 = (u8)(opc == 0x03 ? (u ? S_USQADD : S_SUQADD) : (u ? S_SQNEG : S_SQABS));
	i->exec = exec_misc;
}

/* Three different opcodes 0x9 (SQDMLAL), 0xb (SQDMLSL), 0xd (SQDMULL),
 * 0xe (PMULL), vector or scalar. */
void a64_decode_simd_long_sat(u32 w, struct a64_insn *i, bool scalar)
{
	unsigned u = (w >> 29) & 1, opc = a64_bits(w, 15, 12);
	fields(w, i, scalar);
	bool ok = !u && (opc == 0x9 || opc == 0xb || opc == 0xd || opc == 0xe);
	if (opc == 0xe) /* 8-bit lanes only; scalar none */
		ok = ok && i->op2 == 1 && !scalar;
	else
		ok = ok && (i->op2 == 2 || i->op2 == 4);
	if (!ok) {
		a64_decode_undefined(i);
		return;
	}
	i->op1 = (u8)(opc == 0x9 ? S_SQDMLAL : opc == 0xb ? S_SQDMLSL : opc == 0xd ? S_SQDMULL
										    : S_PMULL);
	i->sf = !scalar && i->op3 == 16;
	i->exec = exec_long;
}
