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
 * Options as test_a64_diff's: ENCORE_TEST_SEED, ENCORE_DIFF_SCALE,
 * ENCORE_DIFF_ONLY, ENCORE_A64_HARNESS, ENCORE_QEMU_AARCH64,
 * ENCORE_A64_LIST=1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <math.h>
#include <time.h>

#include "a64_diff_support.h"
#include "check.h"

static struct rng R;

/* What both tests compare, and FPCR and FPSR (every case here has CASE_FP). */
static bool compare(const char *tag, const struct tcase *t, const struct outcome *q,
		    const struct outcome *e)
{
	struct a64_diff_line l = { .n = 0 };
	bool bad = a64_diff__differences(&l, t, q, e);
	if (memcmp(q->fp, e->fp, 8)) {
		a64_diff__add(&l, " | fpcr/fpsr: qemu %#x/%#x encore %#x/%#x (in %#x/%#x)",
			      q->fp[0], q->fp[1], e->fp[0], e->fp[1], t->fp[0], t->fp[1]);
		bad = true;
	}
	return a64_diff__report(tag, t, &l, bad);
}

/* ---- values and fields ---- */

static u64 edge_val(void)
{
	static const u64 e[] = {
		0, 1, 2, 3, ~0ull, ~0ull - 1, 0x7fffffffffffffffull, 0x8000000000000000ull,
		0x8000000000000001ull, 0xffffffffull, 0x7fffffffull, 0x80000000ull, 0x80000001ull,
		0x100000000ull, 0xfffffffeull, 0xffffffff00000000ull, 0xffffffff80000000ull,
		0xffffffff7fffffffull, 0x00000000ffff8000ull, 0xff, 0x80, 0x7f, 0xffff, 0x8000,
	};
	switch (rng_below(&R, 6)) {
	case 0: return e[rng_below(&R, ARRAY_SIZE(e))];
	case 1: return 1ull << rng_below(&R, 64);
	case 2: return (1ull << rng_below(&R, 64)) - 1;
	case 3: return (rng_next(&R) & ~0xffffffffull) |
		       (e[rng_below(&R, ARRAY_SIZE(e))] & 0xffffffff);
	case 4: return (u64)((i64)rng_below(&R, 64) - 32);
	default: return rng_next(&R);
	}
}

static u64 rval(void)
{
	return rng_chance(&R, 1, 2) ? edge_val() : rng_next(&R);
}

static u32 field(u32 w, unsigned hi, unsigned lo)
{
	return (w >> lo) & ((2u << (hi - lo)) - 1);
}

static u32 set_field(u32 w, unsigned hi, unsigned lo, u32 v)
{
	u32 m = ((2u << (hi - lo)) - 1) << lo;
	return (w & ~m) | ((v << lo) & m);
}

/* Rarely: keep a field value the architecture leaves unallocated. */
static bool rare(void)
{
	return rng_chance(&R, 1, 16);
}

/* Registers as the base (31 = SP) and as a source (31 = XZR). */
static void set_base(struct case_in *in, unsigned r, u64 v)
{
	if (r == 31)
		in->sp = v;
	else
		in->x[r] = v;
}

/* An address in the window with room for `size` bytes and some margin,
 * aligned to `align`. */
static u64 window_addr(unsigned size, unsigned align)
{
	u64 off = 64 + rng_below(&R, DATA_SIZE - 128 - size);
	return DATA_ADDR + (off & ~(u64)(align - 1));
}

/* A register field other than `avoid` (and not 31 unless allowed). */
static unsigned other_reg(unsigned avoid, bool allow31)
{
	unsigned r;
	do
		r = (unsigned)rng_below(&R, allow31 ? 32 : 31);
	while (r == avoid);
	return r;
}

/* ---- families ---- */

struct family;
typedef void (*fix_fn)(const struct family *f, struct tcase *t);

struct family {
	char name[40];
	u32 value, mask;  /* the word: value | (random & mask), then fix */
	fix_fn fix;
	u8 kind, mode, size; /* what fix needs */
	bool vregs;
	unsigned base;    /* cases at scale 1 */
	unsigned ran;
	unsigned outcomes[OUT_OTHER + 1]; /* how QEMU's runs ended */
};

static struct family g_fams[1000];
static unsigned g_nfams;

static struct family *fam(const char *name, u32 value, u32 mask, fix_fn fix)
{
	if (g_nfams == ARRAY_SIZE(g_fams)) {
		fprintf(stderr, "too many families\n");
		exit(1);
	}
	struct family *f = &g_fams[g_nfams++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->value = value;
	f->mask = mask;
	f->fix = fix;
	f->base = 150;
	return f;
}

/* ---- values ---- */

static const u32 f32_special[] = {
	0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001,
	0xffa00005, 0x7fbfffff, 0x00000001, 0x807fffff, 0x00400000, 0x00800000, 0x80800000,
	0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000, 0x3f000000, 0xbf000000, 0x3fc00000,
	0x40200000, 0x4f000000, 0xcf000000, 0x5f000000, 0xdf000000, 0x4effffff, 0x4f800000,
	0x5f800000, 0x3effffff, 0x00800001, 0x34000000, 0x0c000000,
};
static const u64 f64_special[] = {
	0, 0x8000000000000000ull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
	0x7ff8000000000000ull, 0xfff8000000000123ull, 0x7ff0000000000001ull,
	0xfff4000000000abcull, 0x0000000000000001ull, 0x800fffffffffffffull,
	0x0008000000000000ull, 0x0010000000000000ull, 0x8010000000000000ull,
	0x7fefffffffffffffull, 0xffefffffffffffffull, 0x3ff0000000000000ull,
	0xbff0000000000000ull, 0x3fe0000000000000ull, 0xbfe0000000000000ull,
	0x3ff8000000000000ull, 0x4004000000000000ull, 0x41e0000000000000ull,
	0xc1e0000000000000ull, 0x43e0000000000000ull, 0xc3e0000000000000ull,
	0x41dfffffffc00000ull, 0x41f0000000000000ull, 0x43f0000000000000ull,
	0x3fdfffffffffffffull, 0x36a0000000000000ull, 0x3810000000000000ull,
	0x47efffffe0000000ull, 0x380fffffffffffffull, 0x41efffffffe00000ull,
};

/* A float near an interesting exponent (tiny, around 1, near the
 * integer limits, huge), or the width's special values. */
static u32 f32_val(void)
{
	switch (rng_below(&R, 4)) {
	case 0: return f32_special[rng_below(&R, ARRAY_SIZE(f32_special))];
	case 1: {
		static const u32 exps[] = { 0, 1, 2, 24, 100, 126, 127, 128, 150, 157, 158, 159,
					    190, 191, 254 };
		u32 e = exps[rng_below(&R, ARRAY_SIZE(exps))] + (u32)rng_below(&R, 3);
		e = e > 254 ? 254 : e;
		return (u32)(rng_next(&R) & 0x807fffff) | e << 23;
	}
	case 2: return (u32)(rng_next(&R) & 0x807fffff) | (u32)(120 + rng_below(&R, 16)) << 23;
	default: return (u32)rng_next(&R);
	}
}

static u64 f64_val(void)
{
	switch (rng_below(&R, 4)) {
	case 0: return f64_special[rng_below(&R, ARRAY_SIZE(f64_special))];
	case 1: {
		static const u64 exps[] = { 0, 1, 2, 53, 800, 895, 896, 897, 1022, 1023, 1024,
					    1053, 1054, 1055, 1086, 1087, 1150, 2046 };
		u64 e = exps[rng_below(&R, ARRAY_SIZE(exps))] + rng_below(&R, 3);
		e = e > 2046 ? 2046 : e;
		return (rng_next(&R) & 0x800fffffffffffffull) | e << 52;
	}
	case 2: return (rng_next(&R) & 0x800fffffffffffffull) | (1015 + rng_below(&R, 16)) << 52;
	default: return rng_next(&R);
	}
}

static void fill_vregs(struct tcase *t)
{
	for (unsigned r = 0; r < 32; r++)
		for (unsigned h = 0; h < 2; h++) {
			u64 v;
			switch (rng_below(&R, 5)) {
			case 0: v = f32_val() | (u64)f32_val() << 32; break;
			case 1: case 2: v = f64_val(); break;
			case 3: v = edge_val(); break;
			default: v = rng_next(&R); break;
			}
			memcpy(&t->v[r][8 * h], &v, 8);
		}
	t->fp[0] = (u32)rng_below(&R, 4) << 22 | (rng_chance(&R, 1, 4) ? 1u << 24 : 0) |
		   (rng_chance(&R, 1, 4) ? 1u << 25 : 0);
	t->fp[1] = rng_chance(&R, 1, 2) ? 0 : ((u32)rng_next(&R) & 0x9f) |
					      (rng_chance(&R, 1, 4) ? 1u << 27 : 0);
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

static u32 *word(struct tcase *t)
{
	return &t->in.insn[0];
}

/* Fixed point: 32-bit general registers need scale >= 32. */
static void fix_fixed(const struct family *f, struct tcase *t)
{
	(void)f;
	u32 *w = word(t);
	if (!(*w >> 31) && !rare())
		*w |= 1u << 15;
}

/* Shift by immediate: immh != 0 (immh = 0 is modified immediate). */
static void fix_shift(const struct family *f, struct tcase *t)
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
static void fix_struct(const struct family *f, struct tcase *t)
{
	(void)f;
	u32 *w = word(t);
	unsigned rn = field(*w, 9, 5), rm = field(*w, 20, 16);
	if (rm == rn && rm != 31)
		*w = set_field(*w, 20, 16, rm = other_reg(rn, true));
	set_base(&t->in, rn, window_addr(64, 16));
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
	/* Families with no implemented encoding at all are left out. */
	unsigned kept = 0;
	for (unsigned k = 0; k < g_nfams; k++) {
		bool none = false;
		for (unsigned j = 0; j < ARRAY_SIZE(not_implemented); j++)
			none |= !(g_fams[k].mask & not_implemented[j].mask) &&
				(g_fams[k].value & not_implemented[j].mask) == not_implemented[j].value;
		if (!none)
			g_fams[kept++] = g_fams[k];
	}
	g_nfams = kept;
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
static unsigned lane_size(const struct family *f, u32 w)
{
	if (f->kind == K_QSHIFT)
		return 1u << (31 - __builtin_clz(field(w, 22, 19)));
	if (f->kind == K_RECIP || f->kind == K_STEP || f->kind == K_HALF)
		return field(w, 22, 22) ? 8 : 4;
	return 1u << field(w, 23, 22);
}

/* Keep the lane size among the family's (f->size: the allowed sizes in
 * bytes, ORed; 0 any) and 64-bit vector lanes with Q, but rarely. */
static void fix_lane_size(const struct family *f, u32 *w)
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

static void fix_shaped(const struct family *f, struct tcase *t)
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
	struct family *f = fam(name, value, mask, fix_shaped);
	f->kind = (u8)kind;
	f->mode = narrow;
	f->size = (u8)sizes;
	f->base = 300;
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

static void gen_case(const struct family *f, struct tcase *t)
{
	struct case_in *in = &t->in;
	memset(in, 0, sizeof(*in));
	in->ninsns = 1;
	in->pc = CODE_PC + 4 * rng_below(&R, 16384);
	for (unsigned r = 0; r < 31; r++)
		in->x[r] = rval();
	in->sp = rng_chance(&R, 1, 2) ? rval() : rng_next(&R) & ~15ull;
	in->nzcv = (rng_next(&R) & 0xf) << 28;
	in->flags |= CASE_VREGS | CASE_FP;
	fill_vregs(t);
	unsigned tries = 0;
	do
		in->insn[0] = f->value | ((u32)rng_next(&R) & f->mask);
	while (!implemented(in->insn[0]) && ++tries < 1000);
	if (f->fix)
		f->fix(f, t);
}

static unsigned g_scale = 1;
static const char *g_only;
static unsigned long g_cases;

/*
 * Cases go to QEMU in batches of at most BATCH_MAX: the pipes hold about
 * a thousand cases each way (1 MiB, a64_diff_support.c), and a batch
 * being sent while the previous one's answers wait unread must fit, or
 * QEMU and this side block on each other (ENCORE_DIFF_SCALE multiplies
 * a family's cases well past that).
 */
#define BATCH_MAX 400

/* Some of a family's cases, from case number `first`, sent to QEMU and
 * waiting for its answers. */
struct batch {
	struct family *f;
	struct tcase *t;
	unsigned first, n;
};

static void batch_send(struct batch *b, struct family *f, unsigned first, unsigned n)
{
	b->f = f;
	b->first = first;
	b->n = n;
	b->t = calloc(b->n, sizeof(*b->t));
	if (!b->t) {
		perror("calloc");
		exit(1);
	}
	for (unsigned k = 0; k < b->n; k++)
		gen_case(f, &b->t[k]);
	a64_diff__qemu_send(b->t, b->n);
}

static void batch_check(struct batch *b)
{
	static u8 qdata[DATA_SIZE], edata[DATA_SIZE];
	struct outcome q = { .data = qdata }, e = { .data = edata };
	if (!b->first)
		check_group(b->f->name);
	for (unsigned k = 0; k < b->n; k++) {
		unsigned num = b->first + k;
		if (!a64_diff__qemu_result(&b->t[k], &q)) {
			check_failf(b->f->name, "the harness stopped answering (case %u)", num);
			break;
		}
		a64_diff__encore_run(&b->t[k], &e);
		char tag[64];
		snprintf(tag, sizeof(tag), "%s#%u", b->f->name, num);
		compare(tag, &b->t[k], &q, &e);
		b->f->outcomes[q.kind]++;
		b->f->ran++;
		g_cases++;
	}
	free(b->t);
	b->t = NULL;
}

static double cpu_seconds(const struct rusage *r)
{
	return (double)(r->ru_utime.tv_sec + r->ru_stime.tv_sec) +
	       (r->ru_utime.tv_usec + r->ru_stime.tv_usec) * 1e-6;
}

static bool selected(const struct family *f)
{
	return !g_only || strstr(f->name, g_only);
}

/* Where the batches have got to: a family, and how many of its cases
 * have been sent. */
struct cursor {
	unsigned fam, sent;
};

/* Send the next batch of the selected families' cases; false when all
 * have gone. */
static bool send_next(struct cursor *at, struct batch *b)
{
	while (at->fam < g_nfams && (!selected(&g_fams[at->fam]) ||
				     at->sent == g_fams[at->fam].base * g_scale)) {
		at->fam++;
		at->sent = 0;
	}
	if (at->fam == g_nfams)
		return false;
	struct family *f = &g_fams[at->fam];
	unsigned n = f->base * g_scale - at->sent;
	batch_send(b, f, at->sent, n < BATCH_MAX ? n : BATCH_MAX);
	at->sent += b->n;
	return true;
}

/* Every selected family; the next batch goes out before this one's
 * answers are checked when the pipes allow. */
static void run_families(void)
{
	struct batch cur = { 0 }, next = { 0 };
	struct cursor at = { 0, 0 };
	send_next(&at, &cur);
	while (cur.f && a64_diff__qemu_alive()) {
		if (a64_diff__pipelined())
			send_next(&at, &next);
		batch_check(&cur);
		if (!a64_diff__pipelined())
			send_next(&at, &next);
		cur = next;
		next = (struct batch){ 0 };
	}
	free(cur.t);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	rng_seed(&R, check_seed(0xa64f1ff));
	g_scale = (unsigned)check_env_u64("ENCORE_DIFF_SCALE", 1);
	if (!g_scale)
		g_scale = 1;
	g_only = getenv("ENCORE_DIFF_ONLY");
	static u8 window[DATA_SIZE];
	rng_fill(&R, window, sizeof(window));

	add_simd_families();
	add_shaped_families();

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	a64_diff__start(window);
	run_families();
	check_group_end();
	unsigned nfam = 0, min_ran = ~0u;
	for (unsigned k = 0; k < g_nfams; k++)
		if (selected(&g_fams[k])) {
			nfam++;
			if (g_fams[k].ran < min_ran)
				min_ran = g_fams[k].ran;
		}
	a64_diff__stop();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (check_env_u64("ENCORE_A64_LIST", 0))
		for (unsigned k = 0; k < g_nfams; k++) {
			const unsigned *o = g_fams[k].outcomes;
			if (!selected(&g_fams[k]))
				continue;
			printf("  %-20s %4u cases: %u done, %u undefined, %u alignment, %u abort\n",
			       g_fams[k].name, g_fams[k].ran, o[OUT_DONE], o[OUT_UNDEF],
			       o[OUT_ALIGN], o[OUT_DABT]);
		}
	struct rusage self, qemu;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &qemu);
	printf("%lu cases in %u families (at least %u each) in %.1f s (CPU: %.1f s here, %.1f s "
	       "in QEMU)%s\n", g_cases, nfam, nfam ? min_ran : 0,
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9,
	       cpu_seconds(&self), cpu_seconds(&qemu),
	       a64_diff__pipelined() ? "" : " (not pipelined: the pipes could not grow)");
	CHECK(g_cases > 0 && a64_diff__qemu_alive(), "cases ran against QEMU (%lu)", g_cases);
	return check_summary();
}
