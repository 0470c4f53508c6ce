/*
 * Shared by the A64 SIMD&FP handlers (a64_simd_*.c, a64_fp_*.c,
 * a64_ldst_simd.c): lane access, retiring, the group decoders
 * a64_decode_simd_fp dispatches to, and the IEEE 754 core
 * (a64_fp_core.c) that computes Arm's results and FPSR flags.
 */
#ifndef ARM64_A64_FP_H
#define ARM64_A64_FP_H

#include "arch/arm64/a64_alu.h"
#include "arch/arm64/a64_sysreg.h"

/* FPCR fields and FPSR cumulative flags. */
#define A64_FPCR_AHP (1u << 26)
#define A64_FPCR_DN (1u << 25)
#define A64_FPCR_FZ (1u << 24)
#define A64_FPCR_RMODE(fpcr) (((fpcr) >> 22) & 3)
#define A64_FPSR_IOC 0x01u
#define A64_FPSR_DZC 0x02u
#define A64_FPSR_OFC 0x04u
#define A64_FPSR_UFC 0x08u
#define A64_FPSR_IXC 0x10u
#define A64_FPSR_IDC 0x80u
#define A64_FPSR_QC (1u << 27)

/* First in a SIMD&FP handler: the access check of CPACR_EL1.FPEN
 * (a64_fp_check), returning the exception it takes, if any. */
#define FP_PRE(c)                                \
	do {                                     \
		int r_ = a64_fp_check(c);        \
		if (r_ != A64_OK)                \
			return r_;               \
	} while (0)

/* Lane v of `esize` bytes, sign-extended. */
static inline i64 a64_lane_signed(u64 v, unsigned esize)
{
	return (i64)a64_sext(v, 8 * esize);
}

/* SignedSatQ / UnsignedSatQ to `bits` (at most 64): v clamped to that
 * range, *qc set when it had to be (FPSR.QC), kept to that width. */
static inline u64 a64_sat(__int128 v, unsigned bits, bool to_unsigned, bool *qc)
{
	__int128 hi = to_unsigned ? (__int128)a64_ones(bits) : (__int128)a64_ones(bits - 1);
	__int128 lo = to_unsigned ? 0 : -hi - 1;
	if (v > hi || v < lo) {
		*qc = true;
		v = v > hi ? hi : lo;
	}
	return (u64)v & a64_ones(bits);
}

static inline u64 a64_sat_signed(__int128 v, unsigned esize, bool *qc)
{
	return a64_sat(v, 8 * esize, false, qc);
}

/* SQDMULH/SQRDMULH on source lanes x and y of `esize` bytes: the high
 * half of the doubled product, rounded or not (only min * min
 * saturates). */
static inline u64 a64_doubling_high(u64 x, u64 y, unsigned esize, bool round, bool *qc)
{
	__int128 p = 2 * (__int128)a64_lane_signed(x, esize) * a64_lane_signed(y, esize) +
		     (round ? (__int128)1 << (8 * esize - 1) : 0);
	return a64_sat_signed(p >> (8 * esize), esize, qc);
}

/* SQDMULL (acc_sign 0), SQDMLAL (+1), SQDMLSL (-1) on one lane: the
 * doubled product of source lanes x and y of `esize` bytes, saturated to
 * twice that (only min * min saturates), then added to or taken from the
 * accumulator lane with saturation. */
static inline u64 a64_doubling_long(u64 x, u64 y, u64 acc, unsigned esize, int acc_sign,
				    bool *qc)
{
	u64 p = a64_sat_signed(2 * (__int128)a64_lane_signed(x, esize) *
			       a64_lane_signed(y, esize), 2 * esize, qc);
	if (!acc_sign)
		return p;
	__int128 sp = a64_lane_signed(p, 2 * esize), sacc = a64_lane_signed(acc, 2 * esize);
	return a64_sat_signed(acc_sign > 0 ? sacc + sp : sacc - sp, 2 * esize, qc);
}

/* The carry-less product of two bytes (PMUL keeps its low byte, PMULL
 * all 16 bits). */
static inline u64 a64_poly_mul8(u64 a, u64 b)
{
	u64 r = 0;
	for (unsigned k = 0; k < 8; k++)
		if ((b >> k) & 1)
			r ^= a << k;
	return r;
}

/* FPRounding, as FPCR.RMode numbers them, plus ties-away (FRINTA,
 * FCVTAS/AU) and "exact" (FRINTX: current mode, inexact signalled). */
enum { A64_RN = 0, A64_RP = 1, A64_RM = 2, A64_RZ = 3, A64_RA = 4 };

/* Lane `k` of `esize` bytes (1, 2, 4, 8) of a register, zero-extended. */
static inline u64 a64_lane(const union a64_vreg *v, unsigned esize, unsigned k)
{
	switch (esize) {
	case 1: return v->b[k];
	case 2: return v->h[k];
	case 4: return v->s[k];
	default: return v->d[k];
	}
}

static inline void a64_set_lane(union a64_vreg *v, unsigned esize, unsigned k, u64 x)
{
	switch (esize) {
	case 1: v->b[k] = (u8)x; break;
	case 2: v->h[k] = (u16)x; break;
	case 4: v->s[k] = (u32)x; break;
	default: v->d[k] = x; break;
	}
}

/* Write a result of `bytes` (8 or 16) to Vd: a 64-bit result clears the
 * upper half. */
static inline void a64_set_vreg(struct a64_cpu *c, unsigned rd, const union a64_vreg *r,
				unsigned bytes)
{
	c->v[rd] = *r;
	if (bytes == 8)
		c->v[rd].d[1] = 0;
}

/* Write a scalar of `esize` bytes to Vd, zeroing the rest. */
static inline void a64_set_scalar(struct a64_cpu *c, unsigned rd, unsigned esize, u64 x)
{
	union a64_vreg r = { .d = { 0, 0 } };
	a64_set_lane(&r, esize, 0, x);
	c->v[rd] = r;
}

/* Write the result lanes `r` to Vd: `bytes` of them (16, 8, or one
 * scalar element), the rest of Vd zeroed; FPSR.QC when a lane saturated. */
static inline void a64_simd_write(struct a64_cpu *c, unsigned rd, union a64_vreg *r,
				  unsigned bytes, bool qc)
{
	for (unsigned k = bytes; k < 16; k++)
		r->b[k] = 0;
	c->v[rd] = *r;
	if (qc)
		c->fpsr |= A64_FPSR_QC;
}

/* ---- group decoders (a64_decode_simd_fp dispatches) ---- */
void a64_decode_fp_scalar(u32 w, struct a64_insn *i);   /* a64_fp_scalar.c */
void a64_decode_simd_int(u32 w, struct a64_insn *i);    /* a64_simd_int.c */
void a64_decode_simd_elem(u32 w, struct a64_insn *i);   /* a64_simd_elem.c */
void a64_decode_simd_perm(u32 w, struct a64_insn *i);   /* a64_simd_perm.c */
void a64_decode_ldst_simd(u32 w, struct a64_insn *i);   /* a64_ldst_simd.c */
/* Classes a64_decode_simd_int hands on (`scalar`: the Advanced SIMD
 * scalar encoding). */
void a64_decode_simd_shift(u32 w, struct a64_insn *i, bool scalar); /* a64_simd_shift.c */
void a64_decode_simd_shll(u32 w, struct a64_insn *i);                /* a64_simd_shift.c */
void a64_decode_simd_sat_misc(u32 w, struct a64_insn *i, bool scalar); /* a64_simd_sat.c */
void a64_decode_simd_long_sat(u32 w, struct a64_insn *i, bool scalar); /* a64_simd_sat.c */
void a64_decode_simd_fcvt(u32 w, struct a64_insn *i, bool scalar);  /* a64_simd_fcvt.c */

/* SSHL and its relatives (a64_simd_shift.c): lane `a` of `esize` bytes
 * shifted by the signed low byte of `b` (negative: right); `how` ORs
 * the flags below; *qc set when a saturating form saturates. */
#define A64_SHL_UNSIGNED 1u
#define A64_SHL_ROUND 2u
#define A64_SHL_SAT 4u
u64 a64_simd_shl_reg(u64 a, u64 b, unsigned esize, unsigned how, bool *qc);

/* ---- the IEEE 754 core (a64_fp_core.c) ----
 * Operands and results are raw encodings (`dbl`: 64-bit double, else
 * 32-bit single in the low bits).  Every function honours c->fpcr (RMode,
 * FZ, DN) and ORs the exceptions it raises into c->fpsr, as the Arm ARM's
 * pseudocode (FPAdd, FPMulAdd, FPProcessNaNs, FPRound, ...) says. */
enum { A64_FADD, A64_FSUB, A64_FMUL, A64_FDIV, A64_FMAX, A64_FMIN, A64_FMAXNM, A64_FMINNM,
       A64_FNMUL, A64_FABD, A64_FMULX };
u64 a64_fp_binop(struct a64_cpu *c, unsigned op, bool dbl, u64 a, u64 b);
u64 a64_fp_sqrt(struct a64_cpu *c, bool dbl, u64 a);
/* FPMulAdd: addend + a * b, one rounding. */
u64 a64_fp_muladd(struct a64_cpu *c, bool dbl, u64 addend, u64 a, u64 b);
/* FPCompare: NZCV (bits 31:28); `signal`: FCMPE (any NaN is invalid). */
u32 a64_fp_compare(struct a64_cpu *c, bool dbl, u64 a, u64 b, bool signal);
/* FCMEQ/FCMGE/FCMGT (op 0/1/2): all ones or zero, of the element width. */
bool a64_fp_cmp_lane(struct a64_cpu *c, unsigned op, bool dbl, u64 a, u64 b);
/* FRINT* with rounding `rmode` (A64_RN..A64_RA); `exact`: FRINTX. */
u64 a64_fp_round_int(struct a64_cpu *c, bool dbl, u64 a, unsigned rmode, bool exact);
/* FPToFixed: to a signed/unsigned integer of `ibits` (32 or 64) bits
 * with `fbits` fraction bits, saturating. */
u64 a64_fp_to_int(struct a64_cpu *c, bool dbl, u64 a, unsigned fbits, bool is_unsigned,
		  unsigned ibits, unsigned rmode);
/* FixedToFP: an `ibits`-bit integer with `fbits` fraction bits. */
u64 a64_fp_from_int(struct a64_cpu *c, bool dbl, u64 v, unsigned fbits, bool is_unsigned,
		    unsigned ibits);
/* FCVT between precisions: sizes in bytes (2, 4, 8); half precision
 * follows FPCR.AHP. */
u64 a64_fp_convert(struct a64_cpu *c, u64 a, unsigned from, unsigned to);
/* FCVTXN: double to single, rounding to odd. */
u64 a64_fp_convert_odd(struct a64_cpu *c, u64 a);
/* FRECPS (2 - a * b) and, `rsqrt`, FRSQRTS ((3 - a * b) / 2): fused,
 * infinity times zero giving 2 (1.5) without an exception. */
u64 a64_fp_recip_step(struct a64_cpu *c, bool dbl, u64 a, u64 b, bool rsqrt);
/* What a64_fp_recip.c shares with the core: FPUnpack's flush of a
 * denormal under FZ (IDC), and FPProcessNaN. */
u64 a64_fp_flush_in(struct a64_cpu *c, bool dbl, u64 a);
u64 a64_fp_process_nan(struct a64_cpu *c, bool dbl, u64 a);

/* ---- estimates (a64_fp_recip.c): the Arm ARM's integer algorithms ---- */
/* FRECPE, FRSQRTE, FRECPX. */
u64 a64_fp_recip_estimate(struct a64_cpu *c, bool dbl, u64 a);
u64 a64_fp_rsqrt_estimate(struct a64_cpu *c, bool dbl, u64 a);
u64 a64_fp_recpx(struct a64_cpu *c, bool dbl, u64 a);
/* URECPE, URSQRTE: 32-bit fixed point. */
u32 a64_recip_estimate_u32(u32 a);
u32 a64_rsqrt_estimate_u32(u32 a);
/* FABS / FNEG: no exceptions, NaNs untouched but for the sign. */
static inline u64 a64_fp_abs(bool dbl, u64 a)
{
	return a & (dbl ? ~(1ull << 63) : 0x7fffffffull);
}
static inline u64 a64_fp_neg(bool dbl, u64 a)
{
	return a ^ (dbl ? 1ull << 63 : 0x80000000ull);
}

/* VFPExpandImm: the 8-bit immediate of FMOV (immediate) and the vector
 * FMOV as a single (dbl false) or double. */
static inline u64 a64_vfp_expand_imm(unsigned imm8, bool dbl)
{
	u64 sign = imm8 >> 7, b6 = (imm8 >> 6) & 1, frac = imm8 & 0x3f;
	if (dbl)
		return sign << 63 | (b6 ^ 1) << 62 | (b6 ? 0xffull : 0) << 54 | frac << 48;
	return sign << 31 | (b6 ^ 1) << 30 | (b6 ? 0x1full : 0) << 25 | frac << 19;
}

#endif
