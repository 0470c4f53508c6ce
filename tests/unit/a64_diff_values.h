/*
 * What the differential tests of the AArch64 interpreter against QEMU
 * (test_a64_diff, test_a64_diff_simd, test_a64_diff_elem) draw their
 * cases from: the fields of an instruction word, integer edge values,
 * IEEE values near the exponents a test cares about, V registers, FPCR
 * and FPSR made of them, and the start of every case.  Every draw comes
 * from the test's generator, in a fixed order, so that a seed always
 * gives the same cases.
 */
#ifndef ENCORE_TESTS_A64_DIFF_VALUES_H
#define ENCORE_TESTS_A64_DIFF_VALUES_H

#include <stdbool.h>

#include "a64_diff_support.h"
#include "check.h"

/* ---- fields of an instruction word ---- */

/* Bits hi..lo of w. */
static inline u32 field(u32 w, unsigned hi, unsigned lo)
{
	return (w >> lo) & ((2u << (hi - lo)) - 1);
}

/* w with bits hi..lo set to (the low bits of) v. */
static inline u32 set_field(u32 w, unsigned hi, unsigned lo, u32 v)
{
	u32 m = ((2u << (hi - lo)) - 1) << lo;
	return (w & ~m) | ((v << lo) & m);
}

/* ---- integers and registers ---- */

/* A boundary of the 8-, 16-, 32- or 64-bit integers, a power of two (or
 * one less), a small value of either sign, or random bits. */
u64 a64_diff__edge_val(struct rng *r);

/* Registers as the base (31 = SP). */
void a64_diff__set_base(struct case_in *in, unsigned reg, u64 v);
/* An address in the window with room for `size` bytes and some margin,
 * aligned to `align`. */
u64 a64_diff__window_addr(struct rng *r, unsigned size, unsigned align);
/* A register field other than `avoid` (and not 31 unless allowed). */
unsigned a64_diff__other_reg(struct rng *r, unsigned avoid, bool allow31);

/* A case of one instruction at a random pc of the 64 KiB at CODE_PC and
 * random NZCV; X0..X30 random bits, or with `edges` edge values as
 * often; SP random and 16-byte aligned, or with `edges` half the time
 * as X. */
void a64_diff__case_start(struct rng *r, struct tcase *t, bool edges);

/* ---- floating point ---- */

/*
 * A test's values of one width: the special values every test draws
 * (zeros, infinities, quiet and signalling NaNs with payloads,
 * denormals, the extreme normals, values around 1, and for singles
 * +-2^31 and +-2^63) then `more` of its own, and the biased exponents
 * it cares about (the two above each are drawn too).
 */
struct a64_diff_floats {
	const u64 *more;
	unsigned nmore;
	const u16 *exps;
	unsigned nexps;
};

/* A float or double: a special value, one near an exponent of `s`, one
 * near 1, or random bits, as often. */
u32 a64_diff__f32_val(struct rng *r, const struct a64_diff_floats *s);
u64 a64_diff__f64_val(struct rng *r, const struct a64_diff_floats *s);

/* V0..V31 made of 64-bit chunks (`chunk`: the test's lanes), a random
 * FPCR (RMode; FZ and DN each one time in `fz_dn_one_in`) and FPSR (the
 * cumulative flags and QC half the time). */
void a64_diff__fill_vregs(struct rng *r, struct tcase *t, u64 (*chunk)(void),
			  unsigned fz_dn_one_in);

#endif
