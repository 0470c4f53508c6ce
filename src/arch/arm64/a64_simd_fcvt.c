/*
 * A64 Advanced SIMD conversions between floating-point precisions (two
 * register misc): FCVTN/FCVTN2 (single to half, double to single),
 * FCVTXN/FCVTXN2 and scalar FCVTXN (double to single, rounding to odd),
 * FCVTL/FCVTL2 (half to single, single to double).  The arithmetic is
 * a64_fp_core.c's.
 *
 * Decoded fields:
 *   rd, rn  V registers;
 *   op1     1: FCVTXN (rounding to odd);
 *   op2     the narrow lane size in bytes (2 or 4);
 *   op3     4 for the scalar FCVTXN, else 16;
 *   sf      the "2" form: the upper half of Vd (narrowing, the rest of
 *           Vd kept) or of Vn (widening).
 */
#include "arch/arm64/a64_fp.h"

static int exec_narrow(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2, n = i->op3 == 4 ? 1 : 8 / es, first = i->sf ? n : 0;
	union a64_vreg a = c->v[i->rn], r = c->v[i->rd];
	if (!i->sf)
		r.d[1] = 0;
	for (unsigned k = 0; k < n; k++) {
		u64 x = a64_lane(&a, 2 * es, k);
		u64 v = i->op1 ? a64_fp_convert_odd(c, x) : a64_fp_convert(c, x, 2 * es, es);
		a64_set_lane(&r, es, first + k, v);
	}
	a64_simd_write(c, i->rd, &r, i->op3, false);
	return a64_next(c);
}

static int exec_widen(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2, n = 8 / es, first = i->sf ? n : 0;
	union a64_vreg a = c->v[i->rn], r = { .d = { 0, 0 } };
	for (unsigned k = 0; k < n; k++) {
		u64 x = a64_lane(&a, es, first + k);
		a64_set_lane(&r, 2 * es, k, a64_fp_convert(c, x, es, 2 * es));
	}
	c->v[i->rd] = r;
	return a64_next(c);
}

/* Two-register misc opcodes 0x16 (FCVTN, FCVTXN) and 0x17 (FCVTL). */
void a64_decode_simd_fcvt(u32 w, struct a64_insn *i, bool scalar)
{
	unsigned u = (w >> 29) & 1, opc = a64_bits(w, 16, 12), size = a64_bits(w, 23, 22);
	bool sz = size & 1, xn = u && opc == 0x16;
	/* size<1> = 1 is FCVTZS/FCVTZU-space (not here); FCVTXN is double
	 * to single only; there is no U = 1 FCVTL nor a scalar FCVTN/FCVTL */
	if ((size >> 1) || (u && (opc == 0x17 || !sz)) || (scalar && !xn)) {
		a64_decode_undefined(i);
		return;
	}
	i->rd = (u8)a64_bits(w, 4, 0);
	i->rn = (u8)a64_bits(w, 9, 5);
	i->op1 = xn;
	i->op2 = sz ? 4 : 2;
	i->op3 = scalar ? 4 : 16;
	i->sf = !scalar && ((w >> 30) & 1);
	i->exec = opc == 0x16 ? exec_narrow : exec_widen;
}
