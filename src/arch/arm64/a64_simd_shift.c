/*
 * A64 Advanced SIMD shifts: the shift by immediate class, vector and
 * scalar (its fixed-point conversions are a64_simd_int.c's), SHLL/SHLL2
 * (a two-register misc form: the widening shift by the element size),
 * and the lane arithmetic of the shifts by register (a64_simd_shl_reg,
 * for a64_simd_int.c's three-same handler).
 *
 * Decoded fields:
 *   rd, rn   V registers;
 *   op1      the kind (enums below);
 *   op2      the element size in bytes (the result's for the narrowing
 *            forms, the source's for the widening ones);
 *   op3      the data size in bytes: 8 or 16 (vector), or op2 (scalar:
 *            one lane, the rest of Vd zeroed);
 *   sf       the "2" (upper half) form of a narrowing or widening one;
 *   imm      the shift amount.
 * The saturating forms set FPSR.QC when any lane saturates.
 */
#include "arch/arm64/a64_fp.h"

u64 a64_simd_shl_reg(u64 a, u64 b, unsigned esize, unsigned how, bool *qc)
{
	bool is_signed = !(how & A64_SHL_UNSIGNED), round = how & A64_SHL_ROUND;
	int sh = (int)(i8)(u8)b, bits = 8 * (int)esize;
	__int128 v = is_signed ? (__int128)a64_lane_signed(a, esize) : (__int128)a;
	if (sh >= 0) {
		if (!(how & A64_SHL_SAT))
			return sh >= bits ? 0 : (u64)((unsigned __int128)v << sh);
		if (sh >= bits && v) /* any nonzero value leaves the range */
			return a64_sat(v < 0 ? -((__int128)1 << 64) : (__int128)1 << 64, (unsigned)bits,
				   !is_signed, qc);
		return a64_sat((__int128)((unsigned __int128)v << sh), (unsigned)bits, !is_signed, qc);
	}
	/* right: the result fits without saturating, rounding included */
	sh = -sh;
	if (sh > bits)
		return is_signed && !round && v < 0 ? ~0ull : 0;
	if (round)
		v += (__int128)1 << (sh - 1);
	return (u64)(v >> sh);
}

/* ---- same-size lanes ---- */

enum { SH_SSHR, SH_USHR, SH_SSRA, SH_USRA, SH_SRSHR, SH_URSHR, SH_SRSRA, SH_URSRA, SH_SRI,
       SH_SHL, SH_SLI, SH_SQSHL, SH_UQSHL, SH_SQSHLU };

static u64 shift_lane(unsigned kind, unsigned es, unsigned sh, u64 x, u64 acc, bool *qc)
{
	unsigned bits = 8 * es;
	u64 m = a64_ones(bits);
	bool sgn = kind == SH_SSHR || kind == SH_SSRA || kind == SH_SRSHR || kind == SH_SRSRA ||
		   kind == SH_SQSHL || kind == SH_SQSHLU;
	__int128 w = sgn ? (__int128)a64_lane_signed(x, es) : (__int128)x;
	switch (kind) {
	case SH_SRI: {
		u64 keep = sh == bits ? m : ~(m >> sh) & m;
		return (sh == bits ? 0 : x >> sh) | (acc & keep);
	}
	case SH_SHL: return x << sh;
	case SH_SLI: return (x << sh) | (acc & a64_ones(sh));
	case SH_SQSHL: return a64_sat(w * ((__int128)1 << sh), bits, false, qc);
	case SH_UQSHL: case SH_SQSHLU: return a64_sat(w * ((__int128)1 << sh), bits, true, qc);
	default: break;
	}
	bool rnd = kind >= SH_SRSHR && kind <= SH_URSRA;
	bool accumulate = kind == SH_SSRA || kind == SH_USRA || kind == SH_SRSRA ||
			  kind == SH_URSRA;
	if (rnd)
		w += (__int128)1 << (sh - 1);
	return (u64)(w >> sh) + (accumulate ? acc : 0);
}

static int exec_shift(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2, n = i->op3 / es;
	union a64_vreg a = c->v[i->rn], d = c->v[i->rd], r = { .d = { 0, 0 } };
	bool qc = false;
	for (unsigned k = 0; k < n; k++) {
		u64 v = shift_lane(i->op1, es, (unsigned)i->imm, a64_lane(&a, es, k),
				   a64_lane(&d, es, k), &qc);
		a64_set_lane(&r, es, k, v & a64_ones(8 * es));
	}
	a64_simd_write(c, i->rd, &r, i->op3, qc);
	return a64_next(c);
}

/* ---- narrowing: SHRN, RSHRN and the saturating ones ---- */

/* op1 ORs these; SHRN is 0. */
#define N_ROUND 1u
#define N_SAT 2u       /* saturating (else truncating) */
#define N_SIGNED 4u    /* the source is signed */
#define N_UNSIGNED 8u  /* saturating to an unsigned result */

static int exec_narrow(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2, sh = (unsigned)i->imm, how = i->op1;
	bool scalar = i->op3 == es;
	unsigned n = scalar ? 1 : 8 / es, first = i->sf ? n : 0;
	union a64_vreg a = c->v[i->rn], r = c->v[i->rd];
	bool qc = false;
	if (!i->sf)
		r.d[1] = 0;
	for (unsigned k = 0; k < n; k++) {
		u64 x = a64_lane(&a, 2 * es, k);
		__int128 v = (how & N_SIGNED) ? (__int128)a64_lane_signed(x, 2 * es) : (__int128)x;
		if (how & N_ROUND)
			v += (__int128)1 << (sh - 1);
		v >>= sh;
		u64 out = (how & N_SAT) ? a64_sat(v, 8 * es, how & N_UNSIGNED, &qc) : (u64)v;
		a64_set_lane(&r, es, first + k, out & a64_ones(8 * es));
	}
	a64_simd_write(c, i->rd, &r, scalar ? es : 16, qc);
	return a64_next(c);
}

/* ---- widening: SSHLL/USHLL (op1 1: signed), SHLL ---- */

static int exec_shll(struct a64_cpu *c, const struct a64_insn *i)
{
	FP_PRE(c);
	unsigned es = i->op2, n = 8 / es;
	union a64_vreg a = c->v[i->rn], r = { .d = { 0, 0 } };
	for (unsigned k = 0; k < n; k++) {
		u64 x = a64_lane(&a, es, (i->sf ? n : 0) + k);
		u64 v = i->op1 ? (u64)a64_lane_signed(x, es) : x;
		a64_set_lane(&r, 2 * es, k, (v << i->imm) & a64_ones(16 * es));
	}
	c->v[i->rd] = r;
	return a64_next(c);
}

/* ---- decoding ---- */

/* Shift right narrow (opcodes 0x10-0x13): es the result's lanes. */
static void decode_narrow(unsigned opc, unsigned u, struct a64_insn *i, bool scalar)
{
	static const u8 kinds[2][4] = {
		{ 0, N_ROUND, N_SAT | N_SIGNED, N_SAT | N_SIGNED | N_ROUND },
		{ N_SAT | N_SIGNED | N_UNSIGNED, N_SAT | N_SIGNED | N_UNSIGNED | N_ROUND,
		  N_SAT | N_UNSIGNED, N_SAT | N_UNSIGNED | N_ROUND },
	};
	unsigned kind = kinds[u][opc - 0x10];
	if (i->op2 == 8 || (scalar && !(kind & N_SAT))) { /* no SHRN/RSHRN scalar */
		a64_decode_undefined(i);
		return;
	}
	i->op1 = (u8)kind;
	i->sf = i->op3 == 16 && !scalar;
	if (scalar)
		i->op3 = i->op2;
	i->exec = exec_narrow;
}

void a64_decode_simd_shift(u32 w, struct a64_insn *i, bool scalar)
{
	unsigned u = (w >> 29) & 1, immh = a64_bits(w, 22, 19), opc = a64_bits(w, 15, 11);
	unsigned immhb = a64_bits(w, 22, 16);
	unsigned lg = 31 - (unsigned)__builtin_clz(immh), es = 1u << lg, bits = 8 * es;
	i->rd = (u8)a64_bits(w, 4, 0);
	i->rn = (u8)a64_bits(w, 9, 5);
	i->op2 = (u8)es;
	i->op3 = (w >> 30) & 1 ? 16 : 8;
	unsigned right = 2 * bits - immhb, left = immhb - bits;
	i->imm = right;
	if (opc >= 0x10 && opc <= 0x13) {
		decode_narrow(opc, u, i, scalar);
		return;
	}
	if (opc == 0x14) {
		if (scalar || es == 8) {
			a64_decode_undefined(i);
			return;
		}
		i->op1 = !u;
		i->sf = i->op3 == 16;
		i->imm = left;
		i->exec = exec_shll;
		return;
	}
	/* key: opcode:U; left: the shift is to the left; any_scalar: the
	 * scalar form has every lane size (else only 64-bit) */
	static const struct { u8 key, kind, left, any_scalar; } ops[] = {
		{ 0x00, SH_SSHR, 0, 0 }, { 0x01, SH_USHR, 0, 0 }, { 0x04, SH_SSRA, 0, 0 },
		{ 0x05, SH_USRA, 0, 0 }, { 0x08, SH_SRSHR, 0, 0 }, { 0x09, SH_URSHR, 0, 0 },
		{ 0x0c, SH_SRSRA, 0, 0 }, { 0x0d, SH_URSRA, 0, 0 }, { 0x11, SH_SRI, 0, 0 },
		{ 0x14, SH_SHL, 1, 0 }, { 0x15, SH_SLI, 1, 0 }, { 0x19, SH_SQSHLU, 1, 1 },
		{ 0x1c, SH_SQSHL, 1, 1 }, { 0x1d, SH_UQSHL, 1, 1 },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(ops); k++) {
		if (ops[k].key != (opc << 1 | u))
			continue;
		/* 64-bit lanes need Q */
		if ((es == 8 && i->op3 == 8 && !scalar) ||
		    (scalar && es != 8 && !ops[k].any_scalar))
			break;
		i->op1 = ops[k].kind;
		if (ops[k].left)
			i->imm = left;
		if (scalar)
			i->op3 = (u8)es;
		i->exec = exec_shift;
		return;
	}
	a64_decode_undefined(i);
}

/* SHLL/SHLL2 (two-register misc): the shift is the element size. */
void a64_decode_simd_shll(u32 w, struct a64_insn *i)
{
	unsigned size = a64_bits(w, 23, 22);
	if (size == 3) {
		a64_decode_undefined(i);
		return;
	}
	i->rd = (u8)a64_bits(w, 4, 0);
	i->rn = (u8)a64_bits(w, 9, 5);
	i->op1 = 0;
	i->op2 = (u8)(1u << size);
	i->sf = (w >> 30) & 1;
	i->imm = 8u << size;
	i->exec = exec_shll;
}
