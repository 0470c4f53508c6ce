/*
 * simd: the Advanced SIMD and floating-point forms of a64_fp_recip.c,
 * a64_simd_sat.c, a64_simd_shift.c, a64_simd_elem.c and a64_simd_fcvt.c
 * on tables of fixed inputs with their edge cases (zeros of both signs,
 * denormals, infinities, quiet and signalling NaNs, values that saturate
 * or round at a boundary, each element size's largest and smallest).
 *
 * Every form runs on every (Vn, Vm) pair of vectors built from its input
 * lists, with Vd preloaded (the accumulator of FMLA/MLA/SQDMLAL, the half
 * a "2" narrowing form keeps, the upper bits a scalar form clears).  The
 * 128 bits of Vd and FPSR after each (FPSR is cleared before and after)
 * are folded into a 64-bit FNV-1a checksum: one line per form and FPCR
 * setting,
 *     simd: <form> fpcr=<FPCR> 0x<FNV of its results>
 * and at the end "simd: checksum 0x<FNV of everything>".  The floating
 * point forms run under FPCR 0 (round to nearest, no flush, NaNs
 * propagated) and again under FZ|DN with round towards minus infinity.
 *
 * No expected checksum is written here: tests/e2e/arm64_guests.sh
 * compares every "simd:" line with qemu-system-aarch64's for the same
 * ELF.  The few checks below are values the Arm ARM defines (FRECPE(1.0)
 * is 0.998046875 and so on), to catch a broken harness.
 *
 * The guests are compiled with -mgeneral-regs-only: all the SIMD code is
 * inline assembly on V0 (Vn), V1 (Vm) and V2 (Vd), loaded from and stored
 * to memory, after CPACR_EL1.FPEN enables FP/SIMD at EL1.
 * Build with -DSIMD_TRACE to print every input and result instead.
 */
#include "rt.h"

/* ---- the forms ---- */

/* One run: Vn, Vm, Vd from n, m, d; Vd back to d; returns FPSR. */
typedef u64 (*op_fn)(const u64 *n, const u64 *m, u64 *d);

/* Input lists. */
enum { L_NONE, L_F16, L_F32, L_F64, L_I8, L_I16, L_I32, L_I64, L_SH, L_BITS, L_COUNT };

/* X(id, asm, Vn list, Vn lane bytes, Vm list, Vm lane bytes, Vd list,
 *   Vd lane bytes, FP form) */
#define FORMS(X) \
	/* reciprocal estimates and steps */ \
	X(frecpe_4s, "frecpe v2.4s, v0.4s", L_F32, 4, L_NONE, 0, L_BITS, 8, 1) \
	X(frecpe_2d, "frecpe v2.2d, v0.2d", L_F64, 8, L_NONE, 0, L_BITS, 8, 1) \
	X(frecpe_s, "frecpe s2, s0", L_F32, 4, L_NONE, 0, L_BITS, 8, 1) \
	X(frecpe_d, "frecpe d2, d0", L_F64, 8, L_NONE, 0, L_BITS, 8, 1) \
	X(frsqrte_4s, "frsqrte v2.4s, v0.4s", L_F32, 4, L_NONE, 0, L_BITS, 8, 1) \
	X(frsqrte_2d, "frsqrte v2.2d, v0.2d", L_F64, 8, L_NONE, 0, L_BITS, 8, 1) \
	X(frsqrte_s, "frsqrte s2, s0", L_F32, 4, L_NONE, 0, L_BITS, 8, 1) \
	X(frsqrte_d, "frsqrte d2, d0", L_F64, 8, L_NONE, 0, L_BITS, 8, 1) \
	X(frecps_4s, "frecps v2.4s, v0.4s, v1.4s", L_F32, 4, L_F32, 4, L_BITS, 8, 1) \
	X(frecps_2d, "frecps v2.2d, v0.2d, v1.2d", L_F64, 8, L_F64, 8, L_BITS, 8, 1) \
	X(frecps_s, "frecps s2, s0, s1", L_F32, 4, L_F32, 4, L_BITS, 8, 1) \
	X(frsqrts_4s, "frsqrts v2.4s, v0.4s, v1.4s", L_F32, 4, L_F32, 4, L_BITS, 8, 1) \
	X(frsqrts_2d, "frsqrts v2.2d, v0.2d, v1.2d", L_F64, 8, L_F64, 8, L_BITS, 8, 1) \
	X(frsqrts_d, "frsqrts d2, d0, d1", L_F64, 8, L_F64, 8, L_BITS, 8, 1) \
	X(frecpx_s, "frecpx s2, s0", L_F32, 4, L_NONE, 0, L_BITS, 8, 1) \
	X(frecpx_d, "frecpx d2, d0", L_F64, 8, L_NONE, 0, L_BITS, 8, 1) \
	X(urecpe_4s, "urecpe v2.4s, v0.4s", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(urecpe_2s, "urecpe v2.2s, v0.2s", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(ursqrte_4s, "ursqrte v2.4s, v0.4s", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(ursqrte_2s, "ursqrte v2.2s, v0.2s", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	/* saturating narrows */ \
	X(sqxtn_8b, "sqxtn v2.8b, v0.8h", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(sqxtn2_16b, "sqxtn2 v2.16b, v0.8h", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(sqxtn_4h, "sqxtn v2.4h, v0.4s", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(sqxtn2_4s, "sqxtn2 v2.4s, v0.2d", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(sqxtn_b, "sqxtn b2, h0", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(sqxtn_s, "sqxtn s2, d0", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(uqxtn_8b, "uqxtn v2.8b, v0.8h", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(uqxtn2_8h, "uqxtn2 v2.8h, v0.4s", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(uqxtn_2s, "uqxtn v2.2s, v0.2d", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(uqxtn_h, "uqxtn h2, s0", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(sqxtun_8b, "sqxtun v2.8b, v0.8h", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(sqxtun_4h, "sqxtun v2.4h, v0.4s", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(sqxtun2_4s, "sqxtun2 v2.4s, v0.2d", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(sqxtun_s, "sqxtun s2, d0", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	/* shift right narrow */ \
	X(sqshrn_8b_3, "sqshrn v2.8b, v0.8h, #3", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshrn2_16b_8, "sqshrn2 v2.16b, v0.8h, #8", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshrn_4h_1, "sqshrn v2.4h, v0.4s, #1", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshrn_2s_32, "sqshrn v2.2s, v0.2d, #32", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshrn_h_5, "sqshrn h2, s0, #5", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(uqshrn_8b_1, "uqshrn v2.8b, v0.8h, #1", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(uqshrn2_8h_16, "uqshrn2 v2.8h, v0.4s, #16", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(uqshrn_2s_3, "uqshrn v2.2s, v0.2d, #3", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(uqshrn_s_31, "uqshrn s2, d0, #31", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(sqrshrn_8b_3, "sqrshrn v2.8b, v0.8h, #3", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(sqrshrn_4h_16, "sqrshrn v2.4h, v0.4s, #16", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(sqrshrn2_4s_32, "sqrshrn2 v2.4s, v0.2d, #32", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(sqrshrn_b_1, "sqrshrn b2, h0, #1", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(uqrshrn_8b_8, "uqrshrn v2.8b, v0.8h, #8", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(uqrshrn_2s_3, "uqrshrn v2.2s, v0.2d, #3", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshrun_8b_3, "sqshrun v2.8b, v0.8h, #3", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshrun2_8h_16, "sqshrun2 v2.8h, v0.4s, #16", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshrun_2s_1, "sqshrun v2.2s, v0.2d, #1", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshrun_s_32, "sqshrun s2, d0, #32", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(sqrshrun_8b_8, "sqrshrun v2.8b, v0.8h, #8", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(sqrshrun_4h_3, "sqrshrun v2.4h, v0.4s, #3", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(sqrshrun2_4s_32, "sqrshrun2 v2.4s, v0.2d, #32", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(rshrn_8b_3, "rshrn v2.8b, v0.8h, #3", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(rshrn2_8h_16, "rshrn2 v2.8h, v0.4s, #16", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(rshrn_2s_32, "rshrn v2.2s, v0.2d, #32", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(shrn_4h_5, "shrn v2.4h, v0.4s, #5", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	/* saturating shifts by immediate */ \
	X(sqshl_16b_0, "sqshl v2.16b, v0.16b, #0", L_I8, 1, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshl_16b_7, "sqshl v2.16b, v0.16b, #7", L_I8, 1, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshl_8h_3, "sqshl v2.8h, v0.8h, #3", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshl_4s_1, "sqshl v2.4s, v0.4s, #1", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshl_2d_63, "sqshl v2.2d, v0.2d, #63", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshl_d_17, "sqshl d2, d0, #17", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshl_b_4, "sqshl b2, b0, #4", L_I8, 1, L_NONE, 0, L_BITS, 8, 0) \
	X(uqshl_16b_5, "uqshl v2.16b, v0.16b, #5", L_I8, 1, L_NONE, 0, L_BITS, 8, 0) \
	X(uqshl_8h_15, "uqshl v2.8h, v0.8h, #15", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(uqshl_4s_8, "uqshl v2.4s, v0.4s, #8", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(uqshl_2d_1, "uqshl v2.2d, v0.2d, #1", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(uqshl_s_31, "uqshl s2, s0, #31", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshlu_16b_1, "sqshlu v2.16b, v0.16b, #1", L_I8, 1, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshlu_8h_0, "sqshlu v2.8h, v0.8h, #0", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshlu_4s_16, "sqshlu v2.4s, v0.4s, #16", L_I32, 4, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshlu_2d_32, "sqshlu v2.2d, v0.2d, #32", L_I64, 8, L_NONE, 0, L_BITS, 8, 0) \
	X(sqshlu_h_3, "sqshlu h2, h0, #3", L_I16, 2, L_NONE, 0, L_BITS, 8, 0) \
	/* saturating shifts by register */ \
	X(sqshl_16b_r, "sqshl v2.16b, v0.16b, v1.16b", L_I8, 1, L_SH, 1, L_BITS, 8, 0) \
	X(sqshl_8h_r, "sqshl v2.8h, v0.8h, v1.8h", L_I16, 2, L_SH, 2, L_BITS, 8, 0) \
	X(sqshl_4s_r, "sqshl v2.4s, v0.4s, v1.4s", L_I32, 4, L_SH, 4, L_BITS, 8, 0) \
	X(sqshl_2d_r, "sqshl v2.2d, v0.2d, v1.2d", L_I64, 8, L_SH, 8, L_BITS, 8, 0) \
	X(sqshl_s_r, "sqshl s2, s0, s1", L_I32, 4, L_SH, 4, L_BITS, 8, 0) \
	X(uqshl_16b_r, "uqshl v2.16b, v0.16b, v1.16b", L_I8, 1, L_SH, 1, L_BITS, 8, 0) \
	X(uqshl_8h_r, "uqshl v2.8h, v0.8h, v1.8h", L_I16, 2, L_SH, 2, L_BITS, 8, 0) \
	X(uqshl_4s_r, "uqshl v2.4s, v0.4s, v1.4s", L_I32, 4, L_SH, 4, L_BITS, 8, 0) \
	X(uqshl_2d_r, "uqshl v2.2d, v0.2d, v1.2d", L_I64, 8, L_SH, 8, L_BITS, 8, 0) \
	X(uqshl_d_r, "uqshl d2, d0, d1", L_I64, 8, L_SH, 8, L_BITS, 8, 0) \
	X(sqrshl_16b_r, "sqrshl v2.16b, v0.16b, v1.16b", L_I8, 1, L_SH, 1, L_BITS, 8, 0) \
	X(sqrshl_8h_r, "sqrshl v2.8h, v0.8h, v1.8h", L_I16, 2, L_SH, 2, L_BITS, 8, 0) \
	X(sqrshl_4s_r, "sqrshl v2.4s, v0.4s, v1.4s", L_I32, 4, L_SH, 4, L_BITS, 8, 0) \
	X(sqrshl_2d_r, "sqrshl v2.2d, v0.2d, v1.2d", L_I64, 8, L_SH, 8, L_BITS, 8, 0) \
	X(sqrshl_h_r, "sqrshl h2, h0, h1", L_I16, 2, L_SH, 2, L_BITS, 8, 0) \
	X(uqrshl_16b_r, "uqrshl v2.16b, v0.16b, v1.16b", L_I8, 1, L_SH, 1, L_BITS, 8, 0) \
	X(uqrshl_8h_r, "uqrshl v2.8h, v0.8h, v1.8h", L_I16, 2, L_SH, 2, L_BITS, 8, 0) \
	X(uqrshl_4s_r, "uqrshl v2.4s, v0.4s, v1.4s", L_I32, 4, L_SH, 4, L_BITS, 8, 0) \
	X(uqrshl_2d_r, "uqrshl v2.2d, v0.2d, v1.2d", L_I64, 8, L_SH, 8, L_BITS, 8, 0) \
	X(uqrshl_d_r, "uqrshl d2, d0, d1", L_I64, 8, L_SH, 8, L_BITS, 8, 0) \
	/* by element, floating point */ \
	X(fmul_4s_e0, "fmul v2.4s, v0.4s, v1.s[0]", L_F32, 4, L_F32, 4, L_F32, 4, 1) \
	X(fmul_2s_e3, "fmul v2.2s, v0.2s, v1.s[3]", L_F32, 4, L_F32, 4, L_F32, 4, 1) \
	X(fmul_2d_e1, "fmul v2.2d, v0.2d, v1.d[1]", L_F64, 8, L_F64, 8, L_F64, 8, 1) \
	X(fmul_s_e2, "fmul s2, s0, v1.s[2]", L_F32, 4, L_F32, 4, L_F32, 4, 1) \
	X(fmul_d_e0, "fmul d2, d0, v1.d[0]", L_F64, 8, L_F64, 8, L_F64, 8, 1) \
	X(fmla_4s_e2, "fmla v2.4s, v0.4s, v1.s[2]", L_F32, 4, L_F32, 4, L_F32, 4, 1) \
	X(fmla_2d_e0, "fmla v2.2d, v0.2d, v1.d[0]", L_F64, 8, L_F64, 8, L_F64, 8, 1) \
	X(fmla_s_e3, "fmla s2, s0, v1.s[3]", L_F32, 4, L_F32, 4, L_F32, 4, 1) \
	X(fmla_d_e1, "fmla d2, d0, v1.d[1]", L_F64, 8, L_F64, 8, L_F64, 8, 1) \
	X(fmls_4s_e1, "fmls v2.4s, v0.4s, v1.s[1]", L_F32, 4, L_F32, 4, L_F32, 4, 1) \
	X(fmls_2d_e1, "fmls v2.2d, v0.2d, v1.d[1]", L_F64, 8, L_F64, 8, L_F64, 8, 1) \
	X(fmls_s_e0, "fmls s2, s0, v1.s[0]", L_F32, 4, L_F32, 4, L_F32, 4, 1) \
	X(fmulx_4s_e1, "fmulx v2.4s, v0.4s, v1.s[1]", L_F32, 4, L_F32, 4, L_F32, 4, 1) \
	X(fmulx_d_e1, "fmulx d2, d0, v1.d[1]", L_F64, 8, L_F64, 8, L_F64, 8, 1) \
	/* by element, integer */ \
	X(mul_8h_e7, "mul v2.8h, v0.8h, v1.h[7]", L_I16, 2, L_I16, 2, L_BITS, 8, 0) \
	X(mul_4s_e3, "mul v2.4s, v0.4s, v1.s[3]", L_I32, 4, L_I32, 4, L_BITS, 8, 0) \
	X(mla_8h_e2, "mla v2.8h, v0.8h, v1.h[2]", L_I16, 2, L_I16, 2, L_I16, 2, 0) \
	X(mla_2s_e1, "mla v2.2s, v0.2s, v1.s[1]", L_I32, 4, L_I32, 4, L_I32, 4, 0) \
	X(mls_4s_e0, "mls v2.4s, v0.4s, v1.s[0]", L_I32, 4, L_I32, 4, L_I32, 4, 0) \
	X(sqdmulh_8h_e5, "sqdmulh v2.8h, v0.8h, v1.h[5]", L_I16, 2, L_I16, 2, L_BITS, 8, 0) \
	X(sqdmulh_4s_e3, "sqdmulh v2.4s, v0.4s, v1.s[3]", L_I32, 4, L_I32, 4, L_BITS, 8, 0) \
	X(sqdmulh_h_e1, "sqdmulh h2, h0, v1.h[1]", L_I16, 2, L_I16, 2, L_BITS, 8, 0) \
	X(sqdmulh_s_e2, "sqdmulh s2, s0, v1.s[2]", L_I32, 4, L_I32, 4, L_BITS, 8, 0) \
	X(sqrdmulh_8h_e0, "sqrdmulh v2.8h, v0.8h, v1.h[0]", L_I16, 2, L_I16, 2, L_BITS, 8, 0) \
	X(sqrdmulh_4h_e6, "sqrdmulh v2.4h, v0.4h, v1.h[6]", L_I16, 2, L_I16, 2, L_BITS, 8, 0) \
	X(sqrdmulh_4s_e2, "sqrdmulh v2.4s, v0.4s, v1.s[2]", L_I32, 4, L_I32, 4, L_BITS, 8, 0) \
	X(sqrdmulh_s_e1, "sqrdmulh s2, s0, v1.s[1]", L_I32, 4, L_I32, 4, L_BITS, 8, 0) \
	X(sqdmull_4s_e3, "sqdmull v2.4s, v0.4h, v1.h[3]", L_I16, 2, L_I16, 2, L_BITS, 8, 0) \
	X(sqdmull2_2d_e1, "sqdmull2 v2.2d, v0.4s, v1.s[1]", L_I32, 4, L_I32, 4, L_BITS, 8, 0) \
	X(sqdmull_s_e2, "sqdmull s2, h0, v1.h[2]", L_I16, 2, L_I16, 2, L_BITS, 8, 0) \
	X(sqdmull_d_e3, "sqdmull d2, s0, v1.s[3]", L_I32, 4, L_I32, 4, L_BITS, 8, 0) \
	X(sqdmlal_4s_e1, "sqdmlal v2.4s, v0.4h, v1.h[1]", L_I16, 2, L_I16, 2, L_I32, 4, 0) \
	X(sqdmlal2_2d_e2, "sqdmlal2 v2.2d, v0.4s, v1.s[2]", L_I32, 4, L_I32, 4, L_I64, 8, 0) \
	X(sqdmlal_d_e0, "sqdmlal d2, s0, v1.s[0]", L_I32, 4, L_I32, 4, L_I64, 8, 0) \
	X(sqdmlal_s_e7, "sqdmlal s2, h0, v1.h[7]", L_I16, 2, L_I16, 2, L_I32, 4, 0) \
	X(sqdmlsl2_4s_e3, "sqdmlsl2 v2.4s, v0.8h, v1.h[3]", L_I16, 2, L_I16, 2, L_I32, 4, 0) \
	X(sqdmlsl_2d_e3, "sqdmlsl v2.2d, v0.2s, v1.s[3]", L_I32, 4, L_I32, 4, L_I64, 8, 0) \
	/* precision conversions */ \
	X(fcvtn_4h, "fcvtn v2.4h, v0.4s", L_F32, 4, L_NONE, 0, L_BITS, 8, 1) \
	X(fcvtn2_8h, "fcvtn2 v2.8h, v0.4s", L_F32, 4, L_NONE, 0, L_BITS, 8, 1) \
	X(fcvtn_2s, "fcvtn v2.2s, v0.2d", L_F64, 8, L_NONE, 0, L_BITS, 8, 1) \
	X(fcvtn2_4s, "fcvtn2 v2.4s, v0.2d", L_F64, 8, L_NONE, 0, L_BITS, 8, 1) \
	X(fcvtl_4s, "fcvtl v2.4s, v0.4h", L_F16, 2, L_NONE, 0, L_BITS, 8, 1) \
	X(fcvtl2_4s, "fcvtl2 v2.4s, v0.8h", L_F16, 2, L_NONE, 0, L_BITS, 8, 1) \
	X(fcvtl_2d, "fcvtl v2.2d, v0.2s", L_F32, 4, L_NONE, 0, L_BITS, 8, 1) \
	X(fcvtl2_2d, "fcvtl2 v2.2d, v0.4s", L_F32, 4, L_NONE, 0, L_BITS, 8, 1) \
	X(fcvtxn_2s, "fcvtxn v2.2s, v0.2d", L_F64, 8, L_NONE, 0, L_BITS, 8, 1) \
	X(fcvtxn2_4s, "fcvtxn2 v2.4s, v0.2d", L_F64, 8, L_NONE, 0, L_BITS, 8, 1) \
	X(fcvtxn_s, "fcvtxn s2, d0", L_F64, 8, L_NONE, 0, L_BITS, 8, 1)

#define OP_FN(id, text, ...) \
	static u64 op_##id(const u64 *n, const u64 *m, u64 *d) \
	{ \
		u64 fpsr; \
		asm volatile("ldr q0, [%1]\n\t" \
			     "ldr q1, [%2]\n\t" \
			     "ldr q2, [%3]\n\t" \
			     "msr fpsr, xzr\n\t" \
			     text "\n\t" \
			     "str q2, [%3]\n\t" \
			     "mrs %0, fpsr\n\t" \
			     "msr fpsr, xzr" \
			     : "=&r"(fpsr) \
			     : "r"(n), "r"(m), "r"(d) \
			     : "memory", "v0", "v1", "v2"); \
		return fpsr; \
	}
FORMS(OP_FN)

struct form {
	const char *name, *text;
	op_fn fn;
	u8 ln, esn, lm, esm, ld, esd, fp;
};

#define FORM_ENTRY(id, text, ln, esn, lm, esm, ld, esd, fp) \
	{ #id, text, op_##id, ln, esn, lm, esm, ld, esd, fp },
static const struct form forms[] = { FORMS(FORM_ENTRY) };

/* ---- inputs ---- */

static const u64 f16_list[] = {
	0x0000, 0x8000, 0x0001, 0x83ff, 0x0200, 0x0400, 0x8400, 0x3c00, 0xbc00, 0x3e00, 0x3555,
	0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0xfe3f, 0x7d01, 0xfc01, 0x4248, 0x1234, 0xaaaa,
};

static const u64 f32_list[] = {
	0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00400000, 0x00200000, 0x00100000,
	0x00800000, 0x80800000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40400000, 0x3e800000,
	0x40490fdb, 0xc2f6e979, 0x3dcccccd, 0x7f7fffff, 0xff7fffff, 0x7e800000, 0x7f000000,
	0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345, 0x7f800001, 0xff900005,
	0x477ff000, 0x477fe000, 0x33800000, 0x33000000, 0x33400000, 0x3f801000, 0x3f803000,
	0x38800000, 0x387fc000, 0x5f800000, 0x1f800000, 0x4f000000,
};

static const u64 f64_list[] = {
	0x0000000000000000, 0x8000000000000000, 0x0000000000000001, 0x800fffffffffffff,
	0x0008000000000000, 0x0004000000000000, 0x0002000000000000, 0x0010000000000000,
	0x3ff0000000000000, 0xbff0000000000000, 0x3ff8000000000000, 0x400921fb54442d18,
	0xc0c81cd6e631f8a1, 0x3fb999999999999a, 0x7fefffffffffffff, 0xffefffffffffffff,
	0x7fd0000000000000, 0x7fe0000000000000, 0x7ff0000000000000, 0xfff0000000000000,
	0x7ff8000000000000, 0xfff8000012345678, 0x7ff0000000000001, 0xfff4000000000005,
	0x47efffffe0000000, 0x47effffff0000000, 0x47f0000000000000, 0x36a0000000000000,
	0x3690000000000000, 0x3698000000000000, 0x3810000000000000, 0x380fffffffffffff,
	0x3ff0000010000000, 0x3ff0000030000000, 0x3ff0000010000001, 0x43f0000000000000,
	0x3bf0000000000000, 0xc7efffffe8000000,
};

/* Register shift amounts: the low byte of each lane, signed (the rest of
 * the lane is ignored, hence the junk above it in some). */
static const u64 sh_list[] = {
	0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127,
	0xff, 0xfe, 0xf9, 0xf8, 0xf7, 0xf1, 0xf0, 0xef, 0xe1, 0xe0, 0xdf, 0xc1, 0xc0, 0xbf, 0x80,
	0xabcdef0123456701, 0x55aa55aa55aa55fd, 0x7f00,
};

/* Vd's previous contents where it is not an operand. */
static const u64 bits_list[] = {
	0x0123456789abcdef, 0xfedcba9876543210, 0, ~0ul, 0x5555aaaa5555aaaa, 0x8000000000000001,
	0x7ff8000000000000, 0x3f8000003f800000, 0x00000000ffffffff, 0xdeadbeefcafef00d, 0x0f0f0f0f0f0f0f0f,
};

/* Integer lanes of `bits` bits: zero, small values, the extremes of the
 * size and of the half size (what the narrows saturate at), the half
 * size's extremes shifted by 3 (the narrows shift by 3) with the rounding
 * bits around them, patterns. */
static u64 int_store[4][48];
static unsigned int_count[4];

static u64 mask_bits(u64 v, unsigned bits) { return bits == 64 ? v : v & ((1ul << bits) - 1); }

static void make_int_list(unsigned k, unsigned bits)
{
	unsigned h = bits / 2;
	u64 smax = (1ul << (bits - 1)) - 1, smin = 1ul << (bits - 1);
	u64 hmax = (1ul << (h - 1)) - 1, hmin = -(1ul << (h - 1)), humax = (1ul << h) - 1;
	const u64 v[] = {
		0, 1, 2, 3, 4, 5, ~0ul, -2ul, -3ul, -5ul, smax, smin, smax - 1, smin + 1,
		smax >> 1, smin >> 1, (smax >> 1) + 1, ~(smax >> 1) - 1,
		hmax, hmax + 1, hmin, hmin - 1, humax, humax + 1, humax - 1,
		(hmax << 3) + 3, (hmax << 3) + 4, (hmax << 3) + 7, (hmax << 3) + 8,
		(humax << 3) + 3, (humax << 3) + 4, (hmin << 3) - 4, (hmin << 3) - 5, (hmin << 3) + 4,
		smax - (1ul << (h - 1)) + 1, smax - (1ul << (h - 1)), smax - 3, smin + 4,
		0x5555555555555555, 0xaaaaaaaaaaaaaaaa, 0x0123456789abcdef, 0xfedcba9876543210,
		1ul << (bits - 2), -(1ul << (bits - 2)),
	};
	for (unsigned i = 0; i < ARRAY_SIZE(v); i++)
		int_store[k][i] = mask_bits(v[i], bits);
	int_count[k] = ARRAY_SIZE(v);
}

static const u64 *list_vals[L_COUNT];
static unsigned list_len[L_COUNT];

static void make_lists(void)
{
	list_vals[L_F16] = f16_list, list_len[L_F16] = ARRAY_SIZE(f16_list);
	list_vals[L_F32] = f32_list, list_len[L_F32] = ARRAY_SIZE(f32_list);
	list_vals[L_F64] = f64_list, list_len[L_F64] = ARRAY_SIZE(f64_list);
	list_vals[L_SH] = sh_list, list_len[L_SH] = ARRAY_SIZE(sh_list);
	list_vals[L_BITS] = bits_list, list_len[L_BITS] = ARRAY_SIZE(bits_list);
	for (unsigned k = 0; k < 4; k++) {
		make_int_list(k, 8u << k);
		list_vals[L_I8 + k] = int_store[k];
		list_len[L_I8 + k] = int_count[k];
	}
	for (unsigned l = L_F16; l < L_COUNT; l++)
		if (list_len[l] > 64) /* run_form's Vm vectors */
			fail_and_exit("an input list is longer than 64");
}

/* Vector k of list `l` in lanes of `es` bytes: lane j is the list's
 * (k + j)-th value (cyclically), so that over all (k, k') pairs of Vn
 * and Vm vectors, every pair of values meets in some lane. */
static void make_vec(u64 out[2], unsigned l, unsigned es, unsigned k)
{
	const u64 *v = list_vals[l];
	unsigned len = list_len[l], lanes = 8 / es, bits = 8 * es;
	for (unsigned w = 0; w < 2; w++) {
		u64 word = 0;
		for (unsigned j = 0; j < lanes; j++)
			word |= mask_bits(v[(k + w * lanes + j) % len], bits) << (j * bits);
		out[w] = word;
	}
}

/* ---- checksums ---- */

#define FNV_BASIS 0xcbf29ce484222325ul
#define FNV_PRIME 0x100000001b3ul

static u64 fnv(u64 h, u64 v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++) {
		h ^= (u8)(v >> (8 * i));
		h *= FNV_PRIME;
	}
	return h;
}

static u64 total = FNV_BASIS;

static void set_fpcr(u64 v)
{
	sysreg_write(fpcr, v);
	isb();
}

/* All the runs of form f under the current FPCR: its FNV-1a. */
static u64 run_form(const struct form *f)
{
	u64 h = FNV_BASIS;
	unsigned nn = list_len[f->ln], nm = f->lm ? list_len[f->lm] : 1;
	static u64 ms[64][2] ALIGNED(16);
	u64 n[2] ALIGNED(16), d[2] ALIGNED(16), *m;
	for (unsigned j = 0; j < nm && f->lm; j++)
		make_vec(ms[j], f->lm, f->esm, j);
	for (unsigned i = 0; i < nn; i++) {
		make_vec(n, f->ln, f->esn, i);
		if (!f->lm)
			make_vec(ms[0], L_BITS, 8, i + 3);
		for (unsigned j = 0; j < nm; j++) {
			m = ms[j];
			make_vec(d, f->ld, f->esd, i * 5 + j * 3 + 1);
#ifdef SIMD_TRACE
			printf("trace: %s n %016lx%016lx m %016lx%016lx d %016lx%016lx", f->name, n[1],
			       n[0], m[1], m[0], d[1], d[0]);
#endif
			u64 fpsr = f->fn(n, m, d);
#ifdef SIMD_TRACE
			printf(" -> %016lx%016lx fpsr %08lx\n", d[1], d[0], fpsr);
#endif
			h = fnv(h, d[0], 8);
			h = fnv(h, d[1], 8);
			h = fnv(h, fpsr, 4);
		}
	}
	total = fnv(total, h, 8);
	return h;
}

/* ---- sanity checks: values the Arm ARM defines ---- */

static u64 one(op_fn fn, u64 n0, u64 m0, u64 *fpsr)
{
	u64 n[2] ALIGNED(16) = { n0, 0 }, m[2] ALIGNED(16) = { m0, 0 };
	u64 d[2] ALIGNED(16) = { 0x0123456789abcdef, 0xfedcba9876543210 };
	*fpsr = fn(n, m, d);
	return d[0];
}

static void sanity(void)
{
	u64 fpsr;
	check_eq(one(op_frecpe_s, 0x3f800000, 0, &fpsr), 0x3f7f8000, "frecpe s: 1.0 -> 0.998046875");
	check_eq(fpsr, 0, "frecpe s: 1.0 raises nothing");
	check_eq(one(op_frecpe_s, 0x00000000, 0, &fpsr), 0x7f800000, "frecpe s: +0 -> +inf");
	check_eq(fpsr & 2, 2, "frecpe s: +0 raises DZC");
	check_eq(one(op_frecpe_s, 0xff800000, 0, &fpsr), 0x80000000, "frecpe s: -inf -> -0");
	check_eq(one(op_frecps_s, 0x3f800000, 0x3f800000, &fpsr), 0x3f800000, "frecps s: 2 - 1*1 = 1");
	check_eq(one(op_frecps_s, 0x7f800000, 0x00000000, &fpsr), 0x40000000, "frecps s: inf*0 -> 2.0");
	check_eq(one(op_sqxtn_s, 0x80000000, 0, &fpsr), 0x7fffffff, "sqxtn s: 2^31 saturates");
	check_eq(fpsr, 1u << 27, "sqxtn s: saturation sets QC");
	check_eq(one(op_fcvtn_2s, 0x3ff0000000000000, 0, &fpsr), 0x3f800000, "fcvtn 2s: 1.0");
	check_eq(sysreg_read(fpsr), 0, "FPSR reads 0 after a clear");
}

int main(void)
{
	/* CPACR_EL1.FPEN = 0b11: no trap of FP/SIMD at EL0 or EL1. */
	sysreg_write(cpacr_el1, sysreg_read(cpacr_el1) | (3ul << 20));
	isb();
	set_fpcr(0);
	asm volatile("msr fpsr, xzr");
	test_start("simd");
	make_lists();
	sanity();

	/* FPCR settings for the FP forms: the reset state, then flush to
	 * zero, default NaN and round towards minus infinity. */
	static const u64 fpcrs[] = { 0, (1ul << 25) | (1ul << 24) | (2ul << 22) };
	for (unsigned k = 0; k < ARRAY_SIZE(forms); k++) {
		const struct form *f = &forms[k];
		for (unsigned c = 0; c < (f->fp ? ARRAY_SIZE(fpcrs) : 1); c++) {
			set_fpcr(fpcrs[c]);
			u64 h = run_form(f);
			printf("simd: %s fpcr=%#08lx %#016lx\n", f->name, fpcrs[c], h);
		}
	}
	set_fpcr(0);
	printf("simd: checksum %#016lx\n", total);
	check(1, "every form ran");
	return 0;
}
