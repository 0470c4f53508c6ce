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
 * Options as test_a64_diff_simd's: ENCORE_TEST_SEED, ENCORE_DIFF_SCALE,
 * ENCORE_DIFF_ONLY, ENCORE_A64_HARNESS, ENCORE_QEMU_AARCH64,
 * ENCORE_A64_LIST=1.
 */
#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "a64_diff_support.h"
#include "check.h"

static struct rng R;

/* What both tests compare, and FPCR and FPSR. */
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

/* ---- values ---- */

static const u32 f32_special[] = {
	0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001,
	0xffa00005, 0x7fbfffff, 0x00000001, 0x807fffff, 0x00400000, 0x00800000, 0x80800000,
	0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000, 0x3f000000, 0xbf000000, 0x3fc00000,
	0x40200000, 0x4f000000, 0xcf000000, 0x5f000000, 0xdf000000, 0x3f7fffff, 0x3f800001,
	0x00800001, 0x34000000, 0x0c000000, 0x1f800000, 0x5f7fffff,
};
static const u64 f64_special[] = {
	0, 0x8000000000000000ull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
	0x7ff8000000000000ull, 0xfff8000000000123ull, 0x7ff0000000000001ull,
	0xfff4000000000abcull, 0x0000000000000001ull, 0x800fffffffffffffull,
	0x0008000000000000ull, 0x0010000000000000ull, 0x8010000000000000ull,
	0x7fefffffffffffffull, 0xffefffffffffffffull, 0x3ff0000000000000ull,
	0xbff0000000000000ull, 0x3fe0000000000000ull, 0xbfe0000000000000ull,
	0x3ff8000000000000ull, 0x4004000000000000ull, 0x3fefffffffffffffull,
	0x3ff0000000000001ull, 0x1ff0000000000000ull, 0x5fefffffffffffffull,
	0x36a0000000000000ull, 0x3810000000000000ull, 0x380fffffffffffffull,
};

/* A float near an interesting exponent: tiny (products underflow),
 * around 1 (fused and unfused rounding differ), huge (overflow), or a
 * special value. */
static u32 f32_val(void)
{
	switch (rng_below(&R, 4)) {
	case 0: return f32_special[rng_below(&R, ARRAY_SIZE(f32_special))];
	case 1: {
		static const u32 exps[] = { 0, 1, 2, 40, 63, 64, 65, 126, 127, 128, 190, 191,
					    192, 254 };
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
		static const u64 exps[] = { 0, 1, 2, 500, 511, 512, 513, 1022, 1023, 1024,
					    1534, 1535, 1536, 2046 };
		u64 e = exps[rng_below(&R, ARRAY_SIZE(exps))] + rng_below(&R, 3);
		e = e > 2046 ? 2046 : e;
		return (rng_next(&R) & 0x800fffffffffffffull) | e << 52;
	}
	case 2: return (rng_next(&R) & 0x800fffffffffffffull) | (1015 + rng_below(&R, 16)) << 52;
	default: return rng_next(&R);
	}
}

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
	case 3: return f32_val() | (u64)f32_val() << 32;
	case 4: return f64_val();
	case 5: return zero_inf(false) | zero_inf(false) << 32;
	case 6: return zero_inf(true);
	default: return rng_next(&R);
	}
}

static void fill_vregs(struct tcase *t)
{
	for (unsigned r = 0; r < 32; r++)
		for (unsigned h = 0; h < 2; h++) {
			u64 v = chunk();
			memcpy(&t->v[r][8 * h], &v, 8);
		}
	t->fp[0] = (u32)rng_below(&R, 4) << 22 | (rng_chance(&R, 1, 3) ? 1u << 24 : 0) |
		   (rng_chance(&R, 1, 3) ? 1u << 25 : 0);
	t->fp[1] = rng_chance(&R, 1, 2) ? 0 : ((u32)rng_next(&R) & 0x9f) |
					      (rng_chance(&R, 1, 4) ? 1u << 27 : 0);
}

/* ---- families ---- */

/* The random fields: Q (vector only), size, L, M, Rm, H, Rn, Rd. */
#define VEC_MASK 0x40ff0bffu
#define SCALAR_MASK 0x00ff0bffu

struct family;
typedef void (*fix_fn)(const struct family *f, struct tcase *t);

struct family {
	char name[24];
	char mnemonic[12]; /* capstone's, without the "2" of the upper-half forms */
	u32 value, mask;
	fix_fn fix;
	bool long_form;    /* the "2" form is Q = 1 */
	unsigned base;     /* cases at scale 1 */
	unsigned ran;
	unsigned outcomes[OUT_OTHER + 1];
};

static struct family g_fams[64];
static unsigned g_nfams;

/* Integer forms: 16- or 32-bit lanes (sizes 00 and 11 are unallocated). */
static void fix_int(const struct family *f, struct tcase *t)
{
	(void)f;
	u32 *w = &t->in.insn[0];
	if (!rare())
		*w = set_field(*w, 23, 22, 1 + (u32)rng_below(&R, 2));
}

/* FP forms: size<1> = 1 (size 00 is half precision: FP16, which QEMU
 * has and this CPU does not; 01 is unallocated); doubles index with H
 * only (L = 1 unallocated) and have no 64-bit vector form (Q = 0). */
static void fix_fp(const struct family *f, struct tcase *t)
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

static void fam(const char *name, const char *mnemonic, u32 value, bool long_form, bool fp)
{
	struct family *f = &g_fams[g_nfams++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->mnemonic, sizeof(f->mnemonic), "%s", mnemonic);
	f->value = value;
	f->mask = (value >> 28) & 1 ? SCALAR_MASK : VEC_MASK;
	f->fix = fp ? fix_fp : fix_int;
	f->long_form = long_form;
	f->base = 400;
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
		fam(name, forms[k].mnemonic, 0x0f000000 | bits, forms[k].long_form, forms[k].fp);
		if (!forms[k].scalar)
			continue;
		snprintf(name, sizeof(name), "s.%s", forms[k].mnemonic);
		fam(name, forms[k].mnemonic, 0x5f000000 | bits, false, forms[k].fp);
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

/* Capstone's mnemonic for an executed case is the family's ("2" added
 * for the upper-half long forms). */
static void check_mnemonic(const struct family *f, const struct tcase *t)
{
	if (!g_cs_ok)
		return;
	u32 w = t->in.insn[0];
	char want[16];
	snprintf(want, sizeof(want), "%s%s", f->mnemonic,
		 f->long_form && (w >> 30) & 1 ? "2" : "");
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

static void gen_case(const struct family *f, struct tcase *t)
{
	struct case_in *in = &t->in;
	memset(in, 0, sizeof(*in));
	in->ninsns = 1;
	in->pc = CODE_PC + 4 * rng_below(&R, 16384);
	for (unsigned r = 0; r < 31; r++)
		in->x[r] = rng_next(&R);
	in->sp = rng_next(&R) & ~15ull;
	in->nzcv = (rng_next(&R) & 0xf) << 28;
	in->flags |= CASE_VREGS | CASE_FP;
	fill_vregs(t);
	in->insn[0] = f->value | ((u32)rng_next(&R) & f->mask);
	f->fix(f, t);
	/* Now and then the destination is a source too. */
	if (rng_chance(&R, 1, 8))
		in->insn[0] = set_field(in->insn[0], 4, 0, field(in->insn[0], 9, 5));
}

static unsigned g_scale = 1;
static const char *g_only;
static unsigned long g_cases;

/*
 * Some of a family's cases, sent to QEMU and waiting for its answers.  A
 * batch must fit the pipes (a64_diff__qemu_send writes all of it before
 * any answer is read): at most BATCH_MAX cases, about 360 KiB.
 */
#define BATCH_MAX 400u

struct batch {
	struct family *f;
	struct tcase *t;
	unsigned n;
};

static void batch_send(struct batch *b, struct family *f, unsigned n)
{
	b->f = f;
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
	static const struct family *group; /* failures are limited per family */
	struct outcome q = { .data = qdata }, e = { .data = edata };
	if (group != b->f)
		check_group((group = b->f)->name);
	for (unsigned k = 0; k < b->n; k++) {
		if (!a64_diff__qemu_result(&b->t[k], &q)) {
			check_failf(b->f->name, "the harness stopped answering (case %u)", k);
			break;
		}
		a64_diff__encore_run(&b->t[k], &e);
		char tag[64];
		snprintf(tag, sizeof(tag), "%s#%u", b->f->name, b->f->ran);
		compare(tag, &b->t[k], &q, &e);
		if (q.kind == OUT_DONE)
			check_mnemonic(b->f, &b->t[k]);
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

/* The next batch: up to BATCH_MAX of the cases a selected family still
 * needs (*k: the family, *sent: its cases sent so far); false when done. */
static bool next_batch(struct batch *b, unsigned *k, unsigned *sent)
{
	for (; *k < g_nfams; (*k)++, *sent = 0) {
		struct family *f = &g_fams[*k];
		unsigned want = f->base * g_scale;
		if (!selected(f) || *sent >= want)
			continue;
		unsigned n = want - *sent < BATCH_MAX ? want - *sent : BATCH_MAX;
		*sent += n;
		batch_send(b, f, n);
		return true;
	}
	return false;
}

/* Every selected family; the next batch goes out before this one's
 * answers are checked when the pipes allow. */
static void run_families(void)
{
	struct batch cur = { 0 }, next = { 0 };
	unsigned k = 0, sent = 0;
	bool more = next_batch(&cur, &k, &sent);
	while (more && a64_diff__qemu_alive()) {
		bool queued = a64_diff__pipelined() && next_batch(&next, &k, &sent);
		batch_check(&cur);
		if (!a64_diff__pipelined())
			queued = next_batch(&next, &k, &sent);
		cur = next;
		next = (struct batch){ 0 };
		more = queued;
	}
	free(cur.t);
}

static void list_families(void)
{
	for (unsigned k = 0; k < g_nfams; k++) {
		const unsigned *o = g_fams[k].outcomes;
		if (selected(&g_fams[k]))
			printf("  %-12s %4u cases: %u done, %u undefined\n", g_fams[k].name,
			       g_fams[k].ran, o[OUT_DONE], o[OUT_UNDEF]);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	rng_seed(&R, check_seed(0xa64e1e));
	g_scale = (unsigned)check_env_u64("ENCORE_DIFF_SCALE", 1);
	if (!g_scale)
		g_scale = 1;
	g_only = getenv("ENCORE_DIFF_ONLY");
	static u8 window[DATA_SIZE];
	rng_fill(&R, window, sizeof(window));

	struct a64_insn u;
	a64_decode_undefined(&u);
	check_unadvertised(u.exec);
	add_families();
	g_cs_ok = cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &g_cs) == CS_ERR_OK;

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
	if (g_cs_ok)
		cs_close(&g_cs);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (check_env_u64("ENCORE_A64_LIST", 0))
		list_families();
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
