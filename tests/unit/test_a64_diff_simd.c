/*
 * Differential tests of the AArch64 interpreter's scalar floating point,
 * Advanced SIMD and SIMD structure loads/stores against QEMU, with the
 * harness and protocol of test_a64_diff.c (a64_diff_support.h,
 * CASE_FP: FPCR and FPSR are inputs and outputs too).  Every case starts
 * from random V registers whose lanes mix random bits with interesting
 * IEEE values (zeros, infinities, quiet and signalling NaNs with
 * payloads, denormals, extreme normals, small integers, integer lane
 * boundaries), a random FPCR (RMode, FZ, DN) and FPSR, and compares
 * X0..X30, SP, NZCV, V0..V31, FPCR, FPSR, the data window and how the
 * case ended.
 *
 * Families of the saturating, rounding, reciprocal and half-precision
 * forms shape their operands further (add_shaped_families).
 *
 * Options (a64_diff_support.h): ENCORE_TEST_SEED, ENCORE_DIFF_SCALE,
 * ENCORE_DIFF_ONLY, ENCORE_A64_HARNESS, ENCORE_QEMU_AARCH64,
 * ENCORE_A64_LIST=1.
 */
#include <stdio.h>
#include <string.h>
#include <math.h>

#include "a64_diff_support.h"
#include "a64_diff_values.h"
#include "check.h"

static struct rng R;

/* Rarely: keep a field value the architecture leaves unallocated. */
static bool rare(void)
{
	return rng_chance(&R, 1, 16);
}

/* ---- values ---- */

/* Floats: those of a64_diff_values.c, and around the integer limits (the
 * conversions) and the width's extremes. */
static const u64 f32_more[] = {
	0x4effffff, 0x4f800000, 0x5f800000, 0x3effffff, 0x00800001, 0x34000000, 0x0c000000,
};
static const u16 f32_exps[] = { 0, 1, 2, 24, 100, 126, 127, 128, 150, 157, 158, 159, 190, 191,
				254 };
static const struct a64_diff_floats singles = { f32_more, ARRAY_SIZE(f32_more), f32_exps,
						ARRAY_SIZE(f32_exps) };
static const u64 f64_more[] = {
	0x41e0000000000000ull, 0xc1e0000000000000ull, 0x43e0000000000000ull,
	0xc3e0000000000000ull, 0x41dfffffffc00000ull, 0x41f0000000000000ull,
	0x43f0000000000000ull, 0x3fdfffffffffffffull, 0x36a0000000000000ull,
	0x3810000000000000ull, 0x47efffffe0000000ull, 0x380fffffffffffffull,
	0x41efffffffe00000ull,
};
static const u16 f64_exps[] = { 0, 1, 2, 53, 800, 895, 896, 897, 1022, 1023, 1024, 1053, 1054,
				1055, 1086, 1087, 1150, 2046 };
static const struct a64_diff_floats doubles = { f64_more, ARRAY_SIZE(f64_more), f64_exps,
						ARRAY_SIZE(f64_exps) };

/* 64 bits of a V register: two floats, a double, an edge value or random. */
static u64 chunk(void)
{
	switch (rng_below(&R, 5)) {
	case 0: return a64_diff__f32_val(&R, &singles) | (u64)a64_diff__f32_val(&R, &singles) << 32;
	case 1: case 2: return a64_diff__f64_val(&R, &doubles);
	case 3: return a64_diff__edge_val(&R);
	default: return rng_next(&R);
	}
}

/*
 * Encodings the random fields of a family can reach that encore does not
 * implement yet (they are UNDEFINED there, executed by QEMU): the cases
 * draw again.  Bits 30 (Q) and 28 (scalar) are don't-care in the masks.
 */
static const struct { u32 value, mask; } not_implemented[] = {
	{ 0x0ee0e000, 0xbfe0fc00 }, /* PMULL of 64-bit lanes (Crypto) */
	{ 0x0e20ec00, 0xbf60fc00 }, /* FMLAL, FMLSL (FHM) */
	{ 0x2e20cc00, 0xaf20fc00 }, /* FMLAL2, FMLSL2 (FHM) */
	{ 0x0ea16800, 0xbfbffc00 }, /* BFCVTN, BFCVTN2 (BF16) */
	{ 0x5e30c800, 0xff3ecc00 }, /* FP16 scalar pairwise (U = 0, opcodes 0x0c-0x0f) */
	{ 0x0e21e800, 0x8fbfec00 }, /* FRINT32Z/X, FRINT64Z/X (vector) */
	{ 0x0f10e400, 0x8f70e400 }, /* SCVTF, UCVTF, FCVTZS, FCVTZU fixed, half precision */
};

static bool implemented(u32 w)
{
	for (unsigned k = 0; k < ARRAY_SIZE(not_implemented); k++)
		if ((w & not_implemented[k].mask) == not_implemented[k].value)
			return false;
	return true;
}

/* ---- families ---- */

/* A family of 150 cases, left out when none of its encodings is
 * implemented (not_implemented). */
static void fam(const char *name, u32 value, u32 mask, a64_diff_fix_fn fix)
{
	for (unsigned k = 0; k < ARRAY_SIZE(not_implemented); k++)
		if (!(mask & not_implemented[k].mask) &&
		    (value & not_implemented[k].mask) == not_implemented[k].value)
			return;
	a64_diff__family(name, value, mask, fix, 150);
}

static u32 *word(struct tcase *t)
{
	return &t->in.insn[0];
}

/* Fixed point: 32-bit general registers need scale >= 32. */
static void fix_fixed(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	u32 *w = word(t);
	if (!(*w >> 31) && !rare())
		*w |= 1u << 15;
}

/* Shift by immediate: immh != 0 (immh = 0 is modified immediate). */
static void fix_shift(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	u32 *w = word(t);
	if (!field(*w, 22, 19))
		*w = set_field(*w, 22, 19, 1u << rng_below(&R, 4));
	if (!implemented(*w)) /* half-precision conversions: use singles */
		*w = set_field(*w, 22, 19, 4);
}

/* Structure loads/stores: the base in the window (16-aligned, room for
 * 64 bytes); Xm a small offset. */
static void fix_struct(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	u32 *w = word(t);
	unsigned rn = field(*w, 9, 5), rm = field(*w, 20, 16);
	if (rm == rn && rm != 31)
		*w = set_field(*w, 20, 16, rm = a64_diff__other_reg(&R, rn, true));
	a64_diff__set_base(&t->in, rn, a64_diff__window_addr(&R, 64, 16));
	if (rm != 31)
		t->in.x[rm] = (u64)((i64)rng_below(&R, 128) - 64);
}

static void add_simd_families(void)
{
	char name[48];
	static const char *const ty[2] = { "s", "d" };
	/* scalar FP */
	static const char *const two[9] = { "fmul", "fdiv", "fadd", "fsub", "fmax", "fmin",
					    "fmaxnm", "fminnm", "fnmul" };
	for (u32 t = 0; t < 2; t++) {
		for (u32 k = 0; k < 9; k++) {
			snprintf(name, sizeof(name), "%s.%s", two[k], ty[t]);
			fam(name, 0x1e200800 | t << 22 | k << 12, 0x001f03ff, NULL);
		}
		static const struct { const char *n; u32 opc; } one[] = {
			{ "fmov", 0 }, { "fabs", 1 }, { "fneg", 2 }, { "fsqrt", 3 }, { "frintn", 8 },
			{ "frintp", 9 }, { "frintm", 10 }, { "frintz", 11 }, { "frinta", 12 },
			{ "frintx", 14 }, { "frinti", 15 },
		};
		for (unsigned k = 0; k < ARRAY_SIZE(one); k++) {
			snprintf(name, sizeof(name), "%s.%s", one[k].n, ty[t]);
			fam(name, 0x1e204000 | t << 22 | one[k].opc << 15, 0x3ff, NULL);
		}
		static const char *const fma[4] = { "fmadd", "fmsub", "fnmadd", "fnmsub" };
		for (u32 k = 0; k < 4; k++) {
			snprintf(name, sizeof(name), "%s.%s", fma[k], ty[t]);
			fam(name, 0x1f000000 | t << 22 | (k >> 1) << 21 | (k & 1) << 15, 0x001f7fff,
			    NULL);
		}
		static const struct { const char *n; u32 opc2, mask; } cmp[] = {
			{ "fcmp", 0x00, 0x001f03e0 }, { "fcmpe", 0x10, 0x001f03e0 },
			{ "fcmp0", 0x08, 0x3e0 }, { "fcmpe0", 0x18, 0x3e0 },
		};
		for (unsigned k = 0; k < ARRAY_SIZE(cmp); k++) {
			snprintf(name, sizeof(name), "%s.%s", cmp[k].n, ty[t]);
			fam(name, 0x1e202000 | t << 22 | cmp[k].opc2, cmp[k].mask, NULL);
		}
		snprintf(name, sizeof(name), "fccmp.%s", ty[t]);
		fam(name, 0x1e200400 | t << 22, 0x001ff3ff, NULL);
		snprintf(name, sizeof(name), "fcsel.%s", ty[t]);
		fam(name, 0x1e200c00 | t << 22, 0x001ff3ff, NULL);
		snprintf(name, sizeof(name), "fmov.imm.%s", ty[t]);
		fam(name, 0x1e201000 | t << 22, 0x001fe01f, NULL);
		for (u32 sf = 0; sf < 2; sf++) {
			static const struct { const char *n; u32 rmode, opc; } cv[] = {
				{ "fcvtns", 0, 0 }, { "fcvtnu", 0, 1 }, { "fcvtps", 1, 0 },
				{ "fcvtpu", 1, 1 }, { "fcvtms", 2, 0 }, { "fcvtmu", 2, 1 },
				{ "fcvtzs", 3, 0 }, { "fcvtzu", 3, 1 }, { "fcvtas", 0, 4 },
				{ "fcvtau", 0, 5 }, { "scvtf", 0, 2 }, { "ucvtf", 0, 3 },
			};
			for (unsigned k = 0; k < ARRAY_SIZE(cv); k++) {
				snprintf(name, sizeof(name), "%s.%s.%s", cv[k].n, sf ? "x" : "w", ty[t]);
				fam(name, 0x1e200000 | sf << 31 | t << 22 | cv[k].rmode << 19 |
						  cv[k].opc << 16, 0x3ff, NULL);
			}
			static const struct { const char *n; u32 rmode, opc; } fx[] = {
				{ "fcvtzs.fix", 3, 0 }, { "fcvtzu.fix", 3, 1 }, { "scvtf.fix", 0, 2 },
				{ "ucvtf.fix", 0, 3 },
			};
			for (unsigned k = 0; k < ARRAY_SIZE(fx); k++) {
				snprintf(name, sizeof(name), "%s.%s.%s", fx[k].n, sf ? "x" : "w", ty[t]);
				fam(name, 0x1e000000 | sf << 31 | t << 22 | fx[k].rmode << 19 |
						  fx[k].opc << 16, 0xffff, fix_fixed);
			}
		}
	}
	fam("fcvt.s.d", 0x1e22c000, 0x3ff, NULL);
	fam("fcvt.d.s", 0x1e624000, 0x3ff, NULL);
	fam("fcvt.s.from.h", 0x1ee24000, 0x3ff, NULL);
	fam("fcvt.d.from.h", 0x1ee2c000, 0x3ff, NULL);
	fam("fmov.w.s", 0x1e260000, 0x3ff, NULL);
	fam("fmov.s.w", 0x1e270000, 0x3ff, NULL);
	fam("fmov.x.d", 0x9e660000, 0x3ff, NULL);
	fam("fmov.d.x", 0x9e670000, 0x3ff, NULL);
	fam("fmov.x.v1", 0x9eae0000, 0x3ff, NULL);
	fam("fmov.v1.x", 0x9eaf0000, 0x3ff, NULL);

	/* Advanced SIMD vector: Q and size random within each opcode */
	for (u32 u = 0; u < 2; u++) {
		for (u32 opc = 0; opc < 32; opc++) {
			snprintf(name, sizeof(name), "v.same.u%u.%02x", u, opc);
			fam(name, 0x0e200400 | u << 29 | opc << 11, 0x40df03ff, NULL);
			snprintf(name, sizeof(name), "v.misc.u%u.%02x", u, opc);
			fam(name, 0x0e200800 | u << 29 | opc << 12, 0x40c003ff, NULL);
		}
		for (u32 opc = 0; opc < 16; opc++) {
			snprintf(name, sizeof(name), "v.diff.u%u.%x", u, opc);
			fam(name, 0x0e200000 | u << 29 | opc << 12, 0x40df03ff, NULL);
			snprintf(name, sizeof(name), "v.modimm.op%u.%x", u, opc);
			fam(name, 0x0f000400 | u << 29 | opc << 12, 0x400703ff, NULL);
		}
		static const u32 across[] = { 0x03, 0x0a, 0x1a, 0x1b };
		for (unsigned k = 0; k < ARRAY_SIZE(across); k++) {
			snprintf(name, sizeof(name), "v.across.u%u.%02x", u, across[k]);
			fam(name, 0x0e300800 | u << 29 | across[k] << 12, 0x40c003ff, NULL);
		}
		static const u32 shifts[] = { 0x00, 0x02, 0x04, 0x06, 0x08, 0x0a, 0x10, 0x11, 0x14,
					      0x1c, 0x1f };
		for (unsigned k = 0; k < ARRAY_SIZE(shifts); k++) {
			snprintf(name, sizeof(name), "v.shift.u%u.%02x", u, shifts[k]);
			fam(name, 0x0f000400 | u << 29 | shifts[k] << 11, 0x407f03ff, fix_shift);
			snprintf(name, sizeof(name), "s.shift.u%u.%02x", u, shifts[k]);
			fam(name, 0x5f000400 | u << 29 | shifts[k] << 11, 0x007f03ff, fix_shift);
		}
		static const u32 ssame[] = { 0x01, 0x05, 0x06, 0x07, 0x08, 0x0a, 0x10, 0x11, 0x1a,
					     0x1c, 0x1d };
		for (unsigned k = 0; k < ARRAY_SIZE(ssame); k++) {
			snprintf(name, sizeof(name), "s.same.u%u.%02x", u, ssame[k]);
			fam(name, 0x5e200400 | u << 29 | ssame[k] << 11, 0x00df03ff, NULL);
		}
		static const u32 smisc[] = { 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x1a, 0x1b,
					     0x1c, 0x1d };
		for (unsigned k = 0; k < ARRAY_SIZE(smisc); k++) {
			snprintf(name, sizeof(name), "s.misc.u%u.%02x", u, smisc[k]);
			fam(name, 0x5e200800 | u << 29 | smisc[k] << 12, 0x00c003ff, NULL);
		}
		static const u32 spair[] = { 0x0c, 0x0d, 0x0f, 0x1b };
		for (unsigned k = 0; k < ARRAY_SIZE(spair); k++) {
			snprintf(name, sizeof(name), "s.pair.u%u.%02x", u, spair[k]);
			fam(name, 0x5e300800 | u << 29 | spair[k] << 12, 0x00c003ff, NULL);
		}
	}
	static const char *const cp[8] = { "dup.elem", "dup.gen", NULL, "ins.gen", NULL, "smov",
					   NULL, "umov" };
	for (u32 k = 0; k < 8; k++)
		if (cp[k])
			fam(cp[k], 0x0e000400 | k << 11, 0x401f03ff, NULL);
	fam("ins.elem", 0x6e000400, 0x001f7bff, NULL);
	fam("dup.scalar", 0x5e000400, 0x001f03ff, NULL);
	static const char *const perm[8] = { NULL, "uzp1", "trn1", "zip1", NULL, "uzp2", "trn2",
					     "zip2" };
	for (u32 k = 0; k < 8; k++)
		if (perm[k])
			fam(perm[k], 0x0e000800 | k << 12, 0x40df03ff, NULL);
	fam("ext", 0x2e000000, 0x401f7bff, NULL);
	fam("tbl", 0x0e000000, 0x401f63ff, NULL);
	fam("tbx", 0x0e001000, 0x401f63ff, NULL);

	/* structure loads and stores */
	static const u32 mops[] = { 0, 2, 4, 6, 7, 8, 10 };
	for (u32 l = 0; l < 2; l++)
		for (u32 post = 0; post < 2; post++) {
			for (unsigned k = 0; k < ARRAY_SIZE(mops); k++) {
				snprintf(name, sizeof(name), "%s.mult.%x%s", l ? "ld" : "st", mops[k],
					 post ? ".post" : "");
				fam(name, 0x0c000000 | post << 23 | l << 22 | mops[k] << 12,
				    post ? 0x401f0fff : 0x40000fff, fix_struct);
			}
			for (u32 op = 0; op < 8; op++)
				for (u32 r = 0; r < 2; r++) {
					snprintf(name, sizeof(name), "%s.single.%u%u%s",
						 l ? "ld" : "st", op, r, post ? ".post" : "");
					fam(name, 0x0d000000 | post << 23 | l << 22 | r << 21 |
							  op << 13,
					    post ? 0x401f1fff : 0x40001fff, fix_struct);
				}
		}
}


/*
 * Families for the saturating and rounding shifts, the saturating
 * misc and doubling multiplies, the reciprocal estimates and steps and
 * the conversions to and from half precision: each shapes its operands
 * (kind) so that the interesting cases (saturation boundaries, shift
 * amounts around the lane width, the estimates' thresholds, products
 * cancelling 2 or 3, half precision's range) come up often.
 */
enum { K_PLAIN, K_QSHIFT, K_SHL_REG, K_MIN, K_RECIP, K_URECIP, K_STEP, K_HALF };

/* The low n bits (1 <= n <= 64) set. */
static u64 low_bits(unsigned n)
{
	return ~0ull >> (64 - n);
}

/* Lane k of `es` bytes of V register r. */
static void put_lane(struct tcase *t, unsigned r, unsigned es, unsigned k, u64 v)
{
	memcpy(&t->v[r][k * es], &v, es);
}

/* A small integer of any bit length up to the lane's, either sign. */
static u64 small_int(unsigned es)
{
	u64 v = rng_next(&R) & ((2ull << rng_below(&R, 8 * es)) - 1);
	return rng_chance(&R, 1, 2) ? -v : v;
}

/* A shift amount byte: around +-(lane width) mostly. */
static u64 shift_byte(unsigned es)
{
	int w = 8 * (int)es + 3;
	if (rng_chance(&R, 1, 8))
		return rng_next(&R) & 0xff;
	return (u64)(rng_below(&R, 2 * (u64)w + 1) - (u64)w) & 0xff;
}

/* A float or double near the estimates' thresholds: denormals of every
 * size (2^-128 / 2^-1024 below, the overflow of FRECPE), the smallest
 * exponents, around 1, the largest (FZ's 2^126 / 2^1022), infinities
 * and NaNs. */
static u64 recip_val(bool dbl)
{
	static const int s_exps[] = { 0, 0, 0, 1, 2, 3, 125, 126, 127, 128, 129, 251, 252,
				      253, 254, 255 };
	static const int d_exps[] = { 0, 0, 0, 1, 2, 3, 1021, 1022, 1023, 1024, 1025, 2043,
				      2044, 2045, 2046, 2047 };
	unsigned fb = dbl ? 52 : 23;
	u64 frac = rng_next(&R) & low_bits(fb);
	frac >>= rng_chance(&R, 1, 2) ? rng_below(&R, fb) : 0;
	if (rng_chance(&R, 1, 8))
		frac = 0;
	int e = dbl ? d_exps[rng_below(&R, ARRAY_SIZE(d_exps))]
		    : s_exps[rng_below(&R, ARRAY_SIZE(s_exps))];
	u64 sign = rng_chance(&R, 1, 3) ? 1ull << (dbl ? 63 : 31) : 0;
	return sign | (u64)e << fb | frac;
}

/* FRECPS/FRSQRTS operands whose product is near 2 or 3 (2 - a * b and
 * 3 - a * b cancel: tiny or exactly zero), or both below 2 in magnitude,
 * often tiny (FRSQRTS cannot halve either exactly). */
static void step_pair(bool dbl, u64 *a, u64 *b)
{
	if (rng_chance(&R, 1, 3)) {
		*a = recip_val(dbl) & ~(1ull << (dbl ? 62 : 30)); /* the exponent's top bit */
		*b = recip_val(dbl) & ~(1ull << (dbl ? 62 : 30));
		return;
	}
	double target = rng_chance(&R, 1, 2) ? 2.0 : 3.0;
	int nudge = (int)rng_below(&R, 5) - 2;
	if (dbl) {
		double x = ldexp(1.0 + (double)(rng_next(&R) >> 12) * 0x1p-52,
				 (int)rng_below(&R, 200) - 100);
		double y = target / x;
		memcpy(a, &x, 8);
		memcpy(b, &y, 8);
	} else {
		float x = ldexpf(1.0f + (float)(rng_next(&R) >> 41) * 0x1p-23f,
				 (int)rng_below(&R, 100) - 50);
		float y = (float)target / x;
		u32 xa, yb;
		memcpy(&xa, &x, 4);
		memcpy(&yb, &y, 4);
		*a = xa;
		*b = yb;
	}
	*b += (u64)(i64)nudge;
	if (rng_chance(&R, 1, 2)) /* a product near -2 or -3: no cancellation */
		*a ^= 1ull << (dbl ? 63 : 31);
}

/* A single or double in or around half precision's range. */
static u64 half_range_val(bool dbl)
{
	int e = (int)rng_below(&R, 48) - 30; /* 2^-30 .. 2^17 */
	u64 frac = rng_next(&R) & low_bits(dbl ? 52 : 23);
	if (rng_chance(&R, 1, 4)) /* near a rounding tie of half's 10 bits */
		frac = (frac & ~low_bits(dbl ? 42 : 13)) | (dbl ? 1ull << 41 : 1ull << 12);
	u64 sign = rng_chance(&R, 1, 2) ? 1ull << (dbl ? 63 : 31) : 0;
	return sign | (u64)(e + (dbl ? 1023 : 127)) << (dbl ? 52 : 23) | frac;
}

/* The element size of a shift by immediate (immh), else size or sz. */
static unsigned lane_size(const struct a64_diff_family *f, u32 w)
{
	if (f->kind == K_QSHIFT)
		return 1u << (31 - __builtin_clz(field(w, 22, 19)));
	if (f->kind == K_RECIP || f->kind == K_STEP || f->kind == K_HALF)
		return field(w, 22, 22) ? 8 : 4;
	return 1u << field(w, 23, 22);
}

/* Keep the lane size among the family's (f->size: the allowed sizes in
 * bytes, ORed; 0 any) and 64-bit vector lanes with Q, but rarely. */
static void fix_lane_size(const struct a64_diff_family *f, u32 *w)
{
	if (f->kind == K_QSHIFT && !field(*w, 22, 19))
		*w = set_field(*w, 22, 19, 1u << rng_below(&R, 4));
	if (rare())
		return;
	unsigned es = lane_size(f, *w);
	if (f->size && !(f->size & es)) {
		do
			es = 1u << rng_below(&R, 4);
		while (!(f->size & es));
		if (f->kind == K_QSHIFT) /* immh: the top bit set gives the size */
			*w = set_field(*w, 22, 19, es | (u32)rng_below(&R, es));
		else if (f->kind == K_RECIP || f->kind == K_STEP || f->kind == K_HALF)
			*w = set_field(*w, 22, 22, es == 8);
		else
			*w = set_field(*w, 23, 22, (u32)__builtin_ctz(es));
	}
	bool vector = (*w & 0x9e000000) == 0x0e000000;
	if (vector && es == 8 && !f->mode)
		*w |= 1u << 30;
}

static void fix_shaped(const struct a64_diff_family *f, struct tcase *t)
{
	u32 *w = word(t);
	fix_lane_size(f, w);
	unsigned rn = field(*w, 9, 5), rm = field(*w, 20, 16), es = lane_size(f, *w);
	unsigned src = f->mode ? 2 * es : es; /* narrowing: the source lanes */
	if (src > 8)
		src = 8;
	for (unsigned k = 0; k < 16 / src; k++) {
		u64 a, b;
		switch (f->kind) {
		case K_QSHIFT:
			if (rng_chance(&R, 1, 2))
				put_lane(t, rn, src, k, small_int(src));
			break;
		case K_SHL_REG:
			put_lane(t, rm, src, k, shift_byte(src));
			if (rng_chance(&R, 1, 2))
				put_lane(t, rn, src, k, small_int(src));
			break;
		case K_MIN: /* the lane minimum, which doubling saturates */
			if (rng_chance(&R, 1, 4))
				put_lane(t, rn, src, k, 1ull << (8 * src - 1));
			if (rng_chance(&R, 1, 4))
				put_lane(t, rm, src, k, 1ull << (8 * src - 1));
			break;
		case K_RECIP:
			if (rng_chance(&R, 3, 4))
				put_lane(t, rn, src, k, recip_val(src == 8));
			break;
		case K_URECIP:
			put_lane(t, rn, src, k, rng_next(&R) >> (32 + rng_below(&R, 4)));
			break;
		case K_STEP:
			if (rng_chance(&R, 2, 3)) {
				step_pair(src == 8, &a, &b);
				put_lane(t, rn, src, k, a);
				put_lane(t, rm, src, k, b);
			}
			break;
		case K_HALF:
			if (rng_chance(&R, 2, 3))
				put_lane(t, rn, src, k, half_range_val(src == 8));
			break;
		default:
			break;
		}
	}
	if (f->kind == K_HALF && rng_chance(&R, 1, 2))
		t->fp[0] |= 1u << 26; /* FPCR.AHP */
}

static void add_shaped(const char *name, u32 value, u32 mask, unsigned kind, bool narrow,
		       unsigned sizes)
{
	struct a64_diff_family *f = a64_diff__family(name, value, mask, fix_shaped, 300);
	f->kind = (u8)kind;
	f->mode = narrow;
	f->size = (u8)sizes;
}

static void add_shaped_families(void)
{
	/* vs, ss: the lane sizes of the vector and scalar forms (bytes, ORed) */
	static const struct { const char *n; u32 value; u8 kind, narrow, vs, ss; } v[] = {
		/* shift by immediate, saturating (vector; scalar: 0x50000000 more) */
		{ "sqshlu", 0x2f006400, K_QSHIFT, 0, 15, 15 },
		{ "sqshl.imm", 0x0f007400, K_QSHIFT, 0, 15, 15 },
		{ "uqshl.imm", 0x2f007400, K_QSHIFT, 0, 15, 15 },
		{ "sqshrun", 0x2f008400, K_QSHIFT, 1, 7, 7 },
		{ "sqrshrun", 0x2f008c00, K_QSHIFT, 1, 7, 7 },
		{ "sqshrn", 0x0f009400, K_QSHIFT, 1, 7, 7 },
		{ "sqrshrn", 0x0f009c00, K_QSHIFT, 1, 7, 7 },
		{ "uqshrn", 0x2f009400, K_QSHIFT, 1, 7, 7 },
		{ "uqrshrn", 0x2f009c00, K_QSHIFT, 1, 7, 7 },
		{ "srshr", 0x0f002400, K_QSHIFT, 0, 15, 8 },
		{ "urshr", 0x2f002400, K_QSHIFT, 0, 15, 8 },
		{ "srsra", 0x0f003400, K_QSHIFT, 0, 15, 8 },
		{ "ursra", 0x2f003400, K_QSHIFT, 0, 15, 8 },
		/* shift by register */
		{ "sqshl.reg", 0x0e204c00, K_SHL_REG, 0, 15, 15 },
		{ "uqshl.reg", 0x2e204c00, K_SHL_REG, 0, 15, 15 },
		{ "sqrshl", 0x0e205c00, K_SHL_REG, 0, 15, 15 },
		{ "uqrshl", 0x2e205c00, K_SHL_REG, 0, 15, 15 },
		{ "srshl", 0x0e205400, K_SHL_REG, 0, 15, 8 },
		{ "urshl", 0x2e205400, K_SHL_REG, 0, 15, 8 },
		/* saturating misc, doubling multiplies */
		{ "sqabs", 0x0e207800, K_MIN, 0, 15, 15 },
		{ "sqneg", 0x2e207800, K_MIN, 0, 15, 15 },
		{ "suqadd", 0x0e203800, K_PLAIN, 0, 15, 15 },
		{ "usqadd", 0x2e203800, K_PLAIN, 0, 15, 15 },
		{ "sqdmulh", 0x0e20b400, K_MIN, 0, 6, 6 },
		{ "sqrdmulh", 0x2e20b400, K_MIN, 0, 6, 6 },
		{ "sqdmlal", 0x0e209000, K_MIN, 0, 6, 6 },
		{ "sqdmlsl", 0x0e20b000, K_MIN, 0, 6, 6 },
		{ "sqdmull", 0x0e20d000, K_MIN, 0, 6, 6 },
		/* reciprocal estimates and steps, FMULX */
		{ "frecpe", 0x0ea1d800, K_RECIP, 0, 12, 12 },
		{ "frsqrte", 0x2ea1d800, K_RECIP, 0, 12, 12 },
		{ "frecps", 0x0e20fc00, K_STEP, 0, 12, 12 },
		{ "frsqrts", 0x0ea0fc00, K_STEP, 0, 12, 12 },
		{ "fmulx", 0x0e20dc00, K_STEP, 0, 12, 12 },
	};
	char name[48];
	for (unsigned k = 0; k < ARRAY_SIZE(v); k++) {
		/* the masks: Q (vector), the size or shift fields, registers
		 * (Rm in three same and three different: bits 11:10 not 10) */
		bool shift = v[k].kind == K_QSHIFT, fp = v[k].kind >= K_RECIP;
		bool has_rm = !shift && (v[k].value & 0x00200000) && field(v[k].value, 11, 10) != 2;
		u32 mask = shift ? 0x007f03ff : fp ? 0x004003ff : 0x00c003ff;
		if (has_rm)
			mask |= 0x001f0000;
		snprintf(name, sizeof(name), "%s.v", v[k].n);
		add_shaped(name, v[k].value, mask | 0x40000000, v[k].kind, v[k].narrow, v[k].vs);
		snprintf(name, sizeof(name), "%s.s", v[k].n);
		add_shaped(name, v[k].value | 0x50000000, mask, v[k].kind, v[k].narrow, v[k].ss);
	}
	add_shaped("pmul.v", 0x2e209c00, 0x401f03ff, K_PLAIN, 0, 0);
	add_shaped("pmull.v", 0x0e20e000, 0x401f03ff, K_PLAIN, 0, 0);
	add_shaped("shll.v", 0x2e213800, 0x40c003ff, K_PLAIN, 0, 7);
	add_shaped("urecpe.v", 0x0ea1c800, 0x400003ff, K_URECIP, 0, 0);
	add_shaped("ursqrte.v", 0x2ea1c800, 0x400003ff, K_URECIP, 0, 0);
	add_shaped("frecpx.s", 0x5ea1f800, 0x004003ff, K_RECIP, 0, 0);
	add_shaped("sqxtn.s", 0x5e214800, 0x00c003ff, K_PLAIN, 0, 7);
	add_shaped("uqxtn.s", 0x7e214800, 0x00c003ff, K_PLAIN, 0, 7);
	add_shaped("sqxtun.s", 0x7e212800, 0x00c003ff, K_PLAIN, 0, 7);
	/* FMAXNMV/FMINNMV, FMAXV/FMINV: size<1> picks min; 4S only */
	add_shaped("fmaxnmv.fminnmv", 0x6e30c800, 0x008003ff, K_PLAIN, 0, 0);
	add_shaped("fmaxv.fminv", 0x6e30f800, 0x008003ff, K_PLAIN, 0, 0);
	/* conversions to and from half precision (with and without AHP) */
	add_shaped("fcvtn.v", 0x0e216800, 0x404003ff, K_HALF, 0, 0);
	add_shaped("fcvtl.v", 0x0e217800, 0x404003ff, K_HALF, 0, 0);
	add_shaped("fcvtxn.v", 0x2e616800, 0x400003ff, K_HALF, 0, 0);
	add_shaped("fcvtxn.s", 0x7e616800, 0x3ff, K_HALF, 0, 0);
	add_shaped("fcvt.h.from.s", 0x1e23c000, 0x3ff, K_HALF, 0, 0);
	add_shaped("fcvt.h.from.d", 0x1e63c000, 0x3ff, K_HALF, 0, 0);
	add_shaped("fcvt.s.from.h.ahp", 0x1ee24000, 0x3ff, K_HALF, 0, 0);
	add_shaped("fcvt.d.from.h.ahp", 0x1ee2c000, 0x3ff, K_HALF, 0, 0);
}


/* ---- running ---- */

static void gen_case(const struct a64_diff_family *f, struct tcase *t)
{
	struct case_in *in = &t->in;
	a64_diff__case_start(&R, t, true);
	in->flags |= CASE_VREGS | CASE_FP;
	a64_diff__fill_vregs(&R, t, chunk, 4);
	unsigned tries = 0;
	do
		in->insn[0] = f->value | ((u32)rng_next(&R) & f->mask);
	while (!implemented(in->insn[0]) && ++tries < 1000);
	if (f->fix)
		f->fix(f, t);
}

static void setup(void)
{
	add_simd_families();
	add_shaped_families();
}

int main(void)
{
	static const struct a64_diff_test test = {
		.seed = 0xa64f1ff,
		.rng = &R,
		.setup = setup,
		.gen_case = gen_case,
		.list_width = 20,
		.list_faults = true,
	};
	return a64_diff__main(&test);
}
