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

/* One lane of SQABS, SQNEG, SUQADD (Vd signed plus Vn unsigned, to
 * signed), USQADD (Vd unsigned plus Vn signed, to unsigned). */
static u64 misc_lane(unsigned op, unsigned es, u64 n, u64 d, bool *qc)
{
	__int128 sn = a64_lane_signed(n, es);
	switch (op) {
	case S_SQABS: return a64_sat(sn < 0 ? -sn : sn, 8 * es, false, qc);
	case S_SQNEG: return a64_sat(-sn, 8 * es, false, qc);
	case S_SUQADD: return a64_sat((__int128)a64_lane_signed(d, es) + n, 8 * es, false, qc);
	default: return a64_sat((__int128)d + sn, 8 * es, true, qc);
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
	return a64_doubling_long(x, y, acc, es, op == S_SQDMULL ? 0 : op == S_SQDMLAL ? 1 : -1,
				 qc);
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
