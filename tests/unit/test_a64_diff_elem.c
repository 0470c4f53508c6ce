/*
 * Differential tests of the AArch64 interpreter's Advanced SIMD "x
 * indexed element" classes (a64_simd_elem.c) against QEMU, with the
 * harness of test_a64_diff_simd.c (a64_diff_support.h, CASE_FP: FPCR
 * and FPSR are inputs and outputs).  One family per instruction form,
 * vector and scalar; every case draws Q, the size, the index bits H:L:M,
 * Rm, Rn and Rd at random (16-bit lanes: Vm is V0..V15, M an index bit)
 * and, rarely, a field value the architecture leaves unallocated (both
 * sides must then take the Undefined Instruction exception).  The V
 * registers mix integer lane boundaries (for the saturating forms) with
 * interesting IEEE values; FPCR (RMode, FZ, DN) and FPSR are random.
 *
 * QEMU runs "-cpu max", which has the extensions this CPU does not
 * advertise (FP16, RDM, DotProd, FHM, FCMA, BF16, I8MM): their forms of
 * these classes are checked to be UNDEFINED here directly, without QEMU.
 * Capstone checks that each case QEMU executed is the family's
 * instruction.
 *
 * Options (a64_diff_support.h): ENCORE_TEST_SEED, ENCORE_DIFF_SCALE,
 * ENCORE_DIFF_ONLY, ENCORE_A64_HARNESS, ENCORE_QEMU_AARCH64,
 * ENCORE_A64_LIST=1.
 */
#include <capstone/capstone.h>
#include <stdio.h>
#include <string.h>

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

/* Floats: those of a64_diff_values.c, and where products and fused
 * results round, underflow and overflow.  Exponents: tiny (products
 * underflow), around 1 (fused and unfused rounding differ), huge
 * (overflow). */
static const u64 f32_more[] = {
	0x3f7fffff, 0x3f800001, 0x00800001, 0x34000000, 0x0c000000, 0x1f800000, 0x5f7fffff,
};
static const u16 f32_exps[] = { 0, 1, 2, 40, 63, 64, 65, 126, 127, 128, 190, 191, 192, 254 };
static const struct a64_diff_floats singles = { f32_more, ARRAY_SIZE(f32_more), f32_exps,
						ARRAY_SIZE(f32_exps) };
static const u64 f64_more[] = {
	0x3fefffffffffffffull, 0x3ff0000000000001ull, 0x1ff0000000000000ull,
	0x5fefffffffffffffull, 0x36a0000000000000ull, 0x3810000000000000ull,
	0x380fffffffffffffull,
};
static const u16 f64_exps[] = { 0, 1, 2, 500, 511, 512, 513, 1022, 1023, 1024, 1534, 1535, 1536,
				2046 };
static const struct a64_diff_floats doubles = { f64_more, ARRAY_SIZE(f64_more), f64_exps,
						ARRAY_SIZE(f64_exps) };

/* An integer lane of `bits` bits: a boundary (min * min is where the
 * doubling forms saturate), a small value, or random. */
static u64 int_lane(unsigned bits)
{
	u64 m = bits == 64 ? ~0ull : (1ull << bits) - 1, min = 1ull << (bits - 1);
	switch (rng_below(&R, 8)) {
	case 0: case 1: return min;
	case 2: return min - 1;          /* max */
	case 3: return (min + 1) & m;    /* min + 1 */
	case 4: return m;                /* -1 */
	case 5: return (u64)((i64)rng_below(&R, 9) - 4) & m;
	case 6: return (min >> 1) + rng_below(&R, 3) - 1;
	default: return rng_next(&R) & m;
	}
}

/* A zero, an infinity or a denormal (FMULX's infinity times zero, under
 * FZ too), of 32 or 64 bits. */
static u64 zero_inf(bool dbl)
{
	static const u64 s[] = { 0, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x807fffff };
	static const u64 d[] = { 0, 1ull << 63, 0x7ffull << 52, 0xfffull << 52, 1,
				 0x800fffffffffffffull };
	return dbl ? d[rng_below(&R, ARRAY_SIZE(d))] : s[rng_below(&R, ARRAY_SIZE(s))];
}

/* 64 bits of lanes of one kind. */
static u64 chunk(void)
{
	u64 v = 0;
	switch (rng_below(&R, 8)) {
	case 0:
		for (unsigned k = 0; k < 4; k++)
			v |= int_lane(16) << (16 * k);
		return v;
	case 1: return int_lane(32) | int_lane(32) << 32;
	case 2: return int_lane(64);
	case 3: return a64_diff__f32_val(&R, &singles) | (u64)a64_diff__f32_val(&R, &singles) << 32;
	case 4: return a64_diff__f64_val(&R, &doubles);
	case 5: return zero_inf(false) | zero_inf(false) << 32;
	case 6: return zero_inf(true);
	default: return rng_next(&R);
	}
}

/* ---- families ---- */

/* The random fields: Q (vector only), size, L, M, Rm, H, Rn, Rd. */
#define VEC_MASK 0x40ff0bffu
#define SCALAR_MASK 0x00ff0bffu

/* A family's name is "v." or "s." and capstone's mnemonic (without the
 * "2" of the upper-half forms); mode: LONG_FORM, whose "2" form is Q = 1. */
enum { SAME_FORM, LONG_FORM };

/* Integer forms: 16- or 32-bit lanes (sizes 00 and 11 are unallocated). */
static void fix_int(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	u32 *w = &t->in.insn[0];
	if (!rare())
		*w = set_field(*w, 23, 22, 1 + (u32)rng_below(&R, 2));
}

/* FP forms: size<1> = 1 (size 00 is half precision: FP16, which QEMU
 * has and this CPU does not; 01 is unallocated); doubles index with H
 * only (L = 1 unallocated) and have no 64-bit vector form (Q = 0). */
static void fix_fp(const struct a64_diff_family *f, struct tcase *t)
{
	u32 *w = &t->in.insn[0];
	bool scalar = (f->value >> 28) & 1;
	u32 size = 2 | (u32)rng_below(&R, 2);
	if (rare())
		size = 1;
	*w = set_field(*w, 23, 22, size);
	if (size == 3 && !rare())
		*w = set_field(*w, 21, 21, 0);
	if (size == 3 && !scalar && !rare())
		*w |= 1u << 30;
}

static void fam(const char *name, u32 value, bool long_form, bool fp)
{
	u32 mask = (value >> 28) & 1 ? SCALAR_MASK : VEC_MASK;
	struct a64_diff_family *f = a64_diff__family(name, value, mask, fp ? fix_fp : fix_int, 400);
	f->mode = long_form ? LONG_FORM : SAME_FORM;
}

static void add_families(void)
{
	static const struct {
		const char *mnemonic;
		u32 u, opc;
		bool long_form, fp, scalar;
	} forms[] = {
		{ "mul", 0, 0x8, false, false, false }, { "mla", 1, 0x0, false, false, false },
		{ "mls", 1, 0x4, false, false, false }, { "smull", 0, 0xa, true, false, false },
		{ "umull", 1, 0xa, true, false, false }, { "smlal", 0, 0x2, true, false, false },
		{ "umlal", 1, 0x2, true, false, false }, { "smlsl", 0, 0x6, true, false, false },
		{ "umlsl", 1, 0x6, true, false, false }, { "sqdmull", 0, 0xb, true, false, true },
		{ "sqdmlal", 0, 0x3, true, false, true }, { "sqdmlsl", 0, 0x7, true, false, true },
		{ "sqdmulh", 0, 0xc, false, false, true }, { "sqrdmulh", 0, 0xd, false, false, true },
		{ "fmul", 0, 0x9, false, true, true }, { "fmla", 0, 0x1, false, true, true },
		{ "fmls", 0, 0x5, false, true, true }, { "fmulx", 1, 0x9, false, true, true },
	};
	char name[32];
	for (unsigned k = 0; k < ARRAY_SIZE(forms); k++) {
		u32 bits = forms[k].u << 29 | forms[k].opc << 12;
		snprintf(name, sizeof(name), "v.%s", forms[k].mnemonic);
		fam(name, 0x0f000000 | bits, forms[k].long_form, forms[k].fp);
		if (!forms[k].scalar)
			continue;
		snprintf(name, sizeof(name), "s.%s", forms[k].mnemonic);
		fam(name, 0x5f000000 | bits, false, forms[k].fp);
	}
}

/* ---- what QEMU has and this CPU does not advertise: UNDEFINED ---- */

/* The forms of these classes of FP16, RDM, DotProd, FHM, FCMA, BF16 and
 * I8MM: value, and the random fields (as the families'). */
static const struct { const char *name; u32 value, mask; } unadvertised[] = {
	{ "fmla.h (FP16)", 0x0f001000, VEC_MASK & ~0x00c00000 },
	{ "fmls.h (FP16)", 0x0f005000, VEC_MASK & ~0x00c00000 },
	{ "fmul.h (FP16)", 0x0f009000, VEC_MASK & ~0x00c00000 },
	{ "fmulx.h (FP16)", 0x2f009000, VEC_MASK & ~0x00c00000 },
	{ "s.fmla.h (FP16)", 0x5f001000, SCALAR_MASK & ~0x00c00000 },
	{ "s.fmls.h (FP16)", 0x5f005000, SCALAR_MASK & ~0x00c00000 },
	{ "s.fmul.h (FP16)", 0x5f009000, SCALAR_MASK & ~0x00c00000 },
	{ "s.fmulx.h (FP16)", 0x7f009000, SCALAR_MASK & ~0x00c00000 },
	{ "sqrdmlah.h (RDM)", 0x2f40d000, VEC_MASK & ~0x00c00000 },
	{ "sqrdmlah.s (RDM)", 0x2f80d000, VEC_MASK & ~0x00c00000 },
	{ "sqrdmlsh.h (RDM)", 0x2f40f000, VEC_MASK & ~0x00c00000 },
	{ "sqrdmlsh.s (RDM)", 0x2f80f000, VEC_MASK & ~0x00c00000 },
	{ "s.sqrdmlah.h (RDM)", 0x7f40d000, SCALAR_MASK & ~0x00c00000 },
	{ "s.sqrdmlah.s (RDM)", 0x7f80d000, SCALAR_MASK & ~0x00c00000 },
	{ "s.sqrdmlsh.h (RDM)", 0x7f40f000, SCALAR_MASK & ~0x00c00000 },
	{ "s.sqrdmlsh.s (RDM)", 0x7f80f000, SCALAR_MASK & ~0x00c00000 },
	{ "sdot (DotProd)", 0x0f80e000, VEC_MASK & ~0x00c00000 },
	{ "udot (DotProd)", 0x2f80e000, VEC_MASK & ~0x00c00000 },
	{ "fmlal (FHM)", 0x0f800000, VEC_MASK & ~0x00c00000 },
	{ "fmlsl (FHM)", 0x0f804000, VEC_MASK & ~0x00c00000 },
	{ "fmlal2 (FHM)", 0x2f808000, VEC_MASK & ~0x00c00000 },
	{ "fmlsl2 (FHM)", 0x2f80c000, VEC_MASK & ~0x00c00000 },
	{ "fcmla.h (FCMA)", 0x2f401000, (VEC_MASK & ~0x00c00000) | 0x00006000 },
	{ "fcmla.s (FCMA)", 0x2f801000, (VEC_MASK & ~0x00c00000) | 0x00006000 },
	{ "bfdot (BF16)", 0x0f40f000, VEC_MASK & ~0x00c00000 },
	{ "bfmlal (BF16)", 0x0fc0f000, VEC_MASK & ~0x00c00000 },
	{ "sudot (I8MM)", 0x0f00f000, VEC_MASK & ~0x00c00000 },
	{ "usdot (I8MM)", 0x0f80f000, VEC_MASK & ~0x00c00000 },
};

static void check_unadvertised(a64_exec_fn undef)
{
	check_group("unadvertised");
	for (unsigned k = 0; k < ARRAY_SIZE(unadvertised); k++)
		for (unsigned n = 0; n < 200; n++) {
			u32 w = unadvertised[k].value | ((u32)rng_next(&R) & unadvertised[k].mask);
			struct a64_insn i;
			a64_decode(w, &i);
			CHECK(i.exec == undef, "%s %08x is UNDEFINED", unadvertised[k].name, w);
		}
	check_group_end();
}

/* ---- capstone: the family's instruction ---- */

static csh g_cs;
static bool g_cs_ok;

/* Capstone's mnemonic for a case QEMU executed is the family's ("2"
 * added for the upper-half long forms). */
static void check_mnemonic(const struct a64_diff_family *f, const struct tcase *t,
			   const struct outcome *q)
{
	if (!g_cs_ok || q->kind != OUT_DONE)
		return;
	u32 w = t->in.insn[0];
	char want[16];
	snprintf(want, sizeof(want), "%s%s", f->name + 2,
		 f->mode == LONG_FORM && (w >> 30) & 1 ? "2" : "");
	cs_insn *insn;
	size_t n = cs_disasm(g_cs, (const u8 *)&w, 4, 0, 1, &insn);
	bool ok = n && !strcmp(insn->mnemonic, want);
	if (ok)
		check_pass();
	else
		check_failf(f->name, "%08x: capstone says %s, not %s", w, n ? insn->mnemonic : "?",
			    want);
	if (n)
		cs_free(insn, n);
}

/* ---- running ---- */

static void gen_case(const struct a64_diff_family *f, struct tcase *t)
{
	struct case_in *in = &t->in;
	a64_diff__case_start(&R, t, false);
	in->flags |= CASE_VREGS | CASE_FP;
	a64_diff__fill_vregs(&R, t, chunk, 3);
	in->insn[0] = f->value | ((u32)rng_next(&R) & f->mask);
	f->fix(f, t);
	/* Now and then the destination is a source too. */
	if (rng_chance(&R, 1, 8))
		in->insn[0] = set_field(in->insn[0], 4, 0, field(in->insn[0], 9, 5));
}

static void setup(void)
{
	struct a64_insn u;
	a64_decode_undefined(&u);
	check_unadvertised(u.exec);
	add_families();
	g_cs_ok = cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &g_cs) == CS_ERR_OK;
}

int main(void)
{
	static const struct a64_diff_test test = {
		.seed = 0xa64e1e,
		.rng = &R,
		.setup = setup,
		.gen_case = gen_case,
		.check = check_mnemonic,
		.list_width = 12,
		.list_faults = false,
	};
	int rc = a64_diff__main(&test);
	if (g_cs_ok)
		cs_close(&g_cs);
	return rc;
}
