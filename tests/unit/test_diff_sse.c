/*
 * SSE/SSE2/MMX differential tests: every SSE/SSE2 form the interpreter
 * implements (and the MMX-register forms of the integer ops), run natively
 * and in the interpreter from the same random state (diff_harness.h).
 * Floating-point inputs mix random bit patterns with NaNs, infinities,
 * denormals, zeros, extremes and near-integers; MXCSR gets a random
 * rounding mode, FTZ, DAZ and sticky flags, with all exceptions masked.
 *
 * Options: see diff_cases.h.
 */
#include <stdio.h>
#include <string.h>

#include "diff_cases.h"

static struct rng R;
static u8 data[DIFF_DATA_SIZE];

/* ---- values ---- */

static u32 rand_f32(void)
{
	u32 s = (u32)(rng_next(&R) & 1) << 31, m = (u32)rng_next(&R) & 0x7fffff;
	switch (rng_below(&R, 16)) {
	case 0: return s;                                   /* zero */
	case 1: return s | 0x7f800000;                      /* inf */
	case 2: return s | 0x7fc00000 | (m & 0x3fffff);     /* QNaN */
	case 3: return s | 0x7f800000 | ((m & 0x3fffff) | 1); /* SNaN */
	case 4: return s | (m ? m : 1);                     /* denormal */
	case 5: return s | (u32)(1 + rng_below(&R, 3)) << 23 | m; /* tiny normal */
	case 6: return s | (u32)(252 + rng_below(&R, 3)) << 23 | m; /* huge */
	case 7: return s | (u32)(127 + rng_below(&R, 32)) << 23 | (m & ~0xffffu); /* near-integer */
	case 8: return s | 0x3f800000;                      /* 1 */
	case 9: return s | (u32)(150 + rng_below(&R, 40)) << 23 | m; /* ~int32 range edges */
	case 10: return 0xffc00000;                          /* default NaN */
	default: return s | (u32)(100 + rng_below(&R, 56)) << 23 | m;
	}
}

static u64 rand_f64(void)
{
	u64 s = (rng_next(&R) & 1) << 63, m = rng_next(&R) & 0xfffffffffffffull;
	switch (rng_below(&R, 16)) {
	case 0: return s;
	case 1: return s | 0x7ff0000000000000ull;
	case 2: return s | 0x7ff8000000000000ull | (m & 0x7ffffffffffffull);
	case 3: return s | 0x7ff0000000000000ull | ((m & 0x7ffffffffffffull) | 1);
	case 4: return s | (m ? m : 1);
	case 5: return s | (u64)(1 + rng_below(&R, 3)) << 52 | m;
	case 6: return s | (u64)(2044 + rng_below(&R, 3)) << 52 | m;
	case 7: return s | (u64)(1023 + rng_below(&R, 64)) << 52 | (m & ~0xffffffffull);
	case 8: return s | 0x3ff0000000000000ull;
	case 9: return s | (u64)(1023 + 28 + rng_below(&R, 40)) << 52 | m;
	case 10: /* representable in float: exercises cvtpd2ps exactness */
		return s | (u64)(1023 - 100 + rng_below(&R, 200)) << 52 | (m & ~0x1fffffffull);
	case 11: return 0xfff8000000000000ull;
	default: return s | (u64)(900 + rng_below(&R, 250)) << 52 | m;
	}
}

static u64 rand_int(void)
{
	switch (rng_below(&R, 8)) {
	case 0: return 0;
	case 1: return ~0ull;
	case 2: return 0x8000000080000000ull;
	case 3: return 0x7fffffff7fffffffull;
	case 4: return rng_next(&R) & 0x00ff00ff00ff00ffull;
	case 5: return rng_next(&R) & 0x8080808080808080ull;
	default: return rng_next(&R);
	}
}

/* 16 bytes of floats (kind 0 = single, 1 = double, 2 = integers). */
static void rand_vec(u8 *v, int kind)
{
	for (int k = 0; k < 16; k += kind == 0 ? 4 : 8) {
		if (kind == 0) {
			u32 x = rand_f32();
			memcpy(v + k, &x, 4);
		} else {
			u64 x = kind == 1 ? rand_f64() : rand_int();
			memcpy(v + k, &x, 8);
		}
	}
}

static u32 rand_mxcsr(void)
{
	u32 m = 0x1f80;
	m |= (u32)rng_below(&R, 4) << 13;          /* RC */
	if (rng_chance(&R, 1, 3))
		m |= 0x8000;                       /* FTZ */
	if (rng_chance(&R, 1, 3))
		m |= 0x0040;                       /* DAZ */
	if (rng_chance(&R, 1, 4))
		m |= (u32)rng_below(&R, 64);       /* sticky flags */
	return m;
}

static void random_state(struct diff_state *st, int kind)
{
	diff_random_gprs(st, &R);
	for (int r = 0; r < 16; r++)
		rand_vec(st->xmm[r], kind);
	st->mxcsr = rand_mxcsr();
	/* MMX registers: valid x87 registers with integer-ish contents */
	st->fsw = (u16)(rng_below(&R, 8) << 11);
	st->ftw = (u8)rng_next(&R);
	for (int i = 0; i < 8; i++) {
		u64 v = kind == 2 ? rand_int() : rng_next(&R);
		if (kind == 0) {
			u32 a = rand_f32(), b = rand_f32();
			v = a | (u64)b << 32;
		}
		memcpy(st->st[i], &v, 8);
		u16 e = rng_chance(&R, 1, 2) ? 0xffff : (u16)rng_next(&R);
		memcpy(st->st[i] + 8, &e, 2);
	}
}

/* ---- encoder ---- */

struct enc {
	u8 pfx;       /* 0, 0x66, 0xf2, 0xf3 */
	bool rexw;
	u8 op[2];     /* after 0F */
	int nop;      /* 1 or 2 */
	int reg;      /* ModRM.reg (0..15) */
	bool mem;
	int rm;       /* register when !mem */
	unsigned off; /* window offset when mem */
	int immsz;
	u8 imm;
};

/* Encode; for memory operands sets a base register in st (never in avoid). */
static int encode(const struct enc *e, struct diff_state *st, u32 avoid, u8 *out)
{
	int n = 0;
	u8 rex = 0;
	struct diff_mem m;
	if (e->pfx)
		out[n++] = e->pfx;
	if (e->rexw)
		rex |= 8;
	if (e->reg & 8)
		rex |= 4;
	if (e->mem) {
		diff_mem_pick(&m, &R, 4, avoid, e->off, st);
		if (m.base >= 8)
			rex |= 1;
	} else if (e->rm & 8) {
		rex |= 1;
	}
	if (rex)
		out[n++] = 0x40 | rex;
	out[n++] = 0x0f;
	for (int k = 0; k < e->nop; k++)
		out[n++] = e->op[k];
	if (e->mem)
		n = diff_mem_emit(&m, out, n, e->reg);
	else
		out[n++] = (u8)(0xc0 | (e->reg & 7) << 3 | (e->rm & 7));
	if (e->immsz)
		out[n++] = e->imm;
	if (e->mem)
		diff_mem_finish(&m, out, n);
	return n;
}

static void run(const char *fam, unsigned idx, const struct enc *e, struct diff_state *st, u32 avoid,
		const struct diff_opts *o)
{
	u8 code[16];
	int len = encode(e, st, avoid, code);
	diff_check_case(fam, idx, code, (unsigned)len, st, data, o);
}

static const struct diff_opts OPT_XMM = { .cmp = DIFF_CMP_XMM | DIFF_CMP_MXCSR };
static const struct diff_opts OPT_ALL = { .cmp = DIFF_CMP_XMM | DIFF_CMP_MXCSR | DIFF_CMP_X87 | DIFF_CMP_X87_ALL };

/* Fill the memory operand at a fresh offset with `n` random bytes of `kind`. */
static unsigned mem_operand(unsigned align, int kind)
{
	unsigned off = diff_pick_off(&R, align);
	u8 v[16];
	rand_vec(v, kind);
	memcpy(data + off, v, 16);
	return off;
}

/* ---- floating point ---- */

static const u8 pfxs[4] = { 0, 0x66, 0xf3, 0xf2 };

struct fpform {
	u8 op;
	u8 pmask; /* bit k: pfxs[k] form exists */
	const char *name;
};

static void test_fp(void)
{
	static const struct fpform forms[] = {
		{ 0x51, 15, "sqrt" }, { 0x52, 5, "rsqrt" }, { 0x53, 5, "rcp" }, { 0x58, 15, "add" },
		{ 0x59, 15, "mul" }, { 0x5a, 15, "cvtps2pd" }, { 0x5b, 7, "cvtdq2ps" },
		{ 0x5c, 15, "sub" }, { 0x5d, 15, "min" }, { 0x5e, 15, "div" }, { 0x5f, 15, "max" },
		{ 0xe6, 14, "cvtpd2dq" }, { 0xc2, 15, "cmp" }, { 0x2e, 3, "ucomis" }, { 0x2f, 3, "comis" },
		{ 0x14, 3, "unpcklp" }, { 0x15, 3, "unpckhp" }, { 0x54, 3, "andp" }, { 0x55, 3, "andnp" },
		{ 0x56, 3, "orp" }, { 0x57, 3, "xorp" }, { 0xc6, 3, "shufp" },
	};
	check_group("fp");
	for (unsigned f = 0; f < ARRAY_SIZE(forms); f++) {
		if (!diff_family_on(forms[f].name) && !diff_family_on("fp"))
			continue;
		for (unsigned k = 0; k < 4; k++) {
			if (!(forms[f].pmask >> k & 1))
				continue;
			char fam[48];
			snprintf(fam, sizeof(fam), "%s/%02x", forms[f].name, pfxs[k]);
			u8 op = forms[f].op;
			/* element kind of the sources */
			int kind = (k == 1 || k == 3) ? 1 : 0;
			if (op == 0x5a)
				kind = (k == 0 || k == 2) ? 0 : 1;
			if (op == 0x5b)
				kind = k == 0 ? 2 : 0;
			if (op == 0xe6)
				kind = k == 2 ? 2 : 1;
			for (unsigned n = 0; n < diff_ncases(300); n++) {
				struct diff_state st;
				random_state(&st, kind);
				struct enc e = { .pfx = pfxs[k], .op = { op }, .nop = 1 };
				e.reg = (int)rng_below(&R, 16);
				e.mem = rng_chance(&R, 1, 3);
				if (e.mem) {
					bool scalar = (k >= 2 && op != 0x5b && op != 0xe6) || op == 0x2e || op == 0x2f;
					e.off = mem_operand(scalar ? 1 : 16, kind);
				} else {
					e.rm = (int)rng_below(&R, 16);
				}
				if (op == 0xc2 || op == 0xc6) {
					e.immsz = 1;
					e.imm = op == 0xc2 ? (u8)rng_below(&R, 8) : (u8)rng_next(&R);
				}
				/* both operands from the same special values sometimes */
				if (!e.mem && rng_chance(&R, 1, 8))
					memcpy(st.xmm[e.rm], st.xmm[e.reg], 16);
				run(fam, n, &e, &st, 0, &OPT_XMM);
			}
		}
	}
}

/* CVTSI2SS/SD (F3/F2 0F 2A), CVT(T)SS2SI/SD2SI (F3/F2 0F 2C/2D), with REX.W */
static void test_cvt_gpr(void)
{
	if (!diff_family_on("cvtgpr"))
		return;
	check_group("cvtgpr");
	static const u8 ops[3] = { 0x2a, 0x2c, 0x2d };
	for (unsigned o = 0; o < 3; o++)
		for (unsigned k = 2; k < 4; k++)
			for (int w = 0; w < 2; w++) {
				char fam[48];
				snprintf(fam, sizeof(fam), "cvtgpr/%02x/%02x/w%d", ops[o], pfxs[k], w);
				for (unsigned n = 0; n < diff_ncases(300); n++) {
					struct diff_state st;
					int kind = k == 2 ? 0 : 1;
					random_state(&st, kind);
					struct enc e = { .pfx = pfxs[k], .rexw = w, .op = { ops[o] }, .nop = 1 };
					e.reg = (int)rng_below(&R, 16);
					e.mem = rng_chance(&R, 1, 3);
					u32 avoid = 0;
					if (ops[o] == 0x2a) {
						u64 v = rand_int();
						if (rng_chance(&R, 1, 3))
							v = (u64)(i64)(i32)rng_next(&R) >> rng_below(&R, 32);
						if (e.mem) {
							e.off = diff_pick_off(&R, 1);
							memcpy(data + e.off, &v, 8);
						} else {
							do
								e.rm = (int)rng_below(&R, 16);
							while (e.rm == REG_RSP);
							st.gpr[e.rm] = v;
						}
					} else {
						if (e.reg == REG_RSP)
							e.reg = 0;
						avoid = 1u << e.reg;
						if (e.mem)
							e.off = mem_operand(1, kind);
						else
							e.rm = (int)rng_below(&R, 16);
					}
					run(fam, n, &e, &st, avoid, &OPT_XMM);
				}
			}
}

/* MMX <-> XMM conversions: CVTPI2PS/PD, CVT(T)PS2PI, CVT(T)PD2PI */
static void test_cvt_mmx(void)
{
	if (!diff_family_on("cvtmmx"))
		return;
	check_group("cvtmmx");
	static const u8 ops[3] = { 0x2a, 0x2c, 0x2d };
	for (unsigned o = 0; o < 3; o++)
		for (unsigned k = 0; k < 2; k++) {
			char fam[48];
			snprintf(fam, sizeof(fam), "cvtmmx/%02x/%02x", ops[o], pfxs[k]);
			for (unsigned n = 0; n < diff_ncases(200); n++) {
				struct diff_state st;
				int kind = ops[o] == 0x2a ? 2 : k == 0 ? 0 : 1;
				random_state(&st, kind);
				struct enc e = { .pfx = pfxs[k], .op = { ops[o] }, .nop = 1 };
				e.reg = (int)rng_below(&R, ops[o] == 0x2a ? 16 : 8);
				e.mem = rng_chance(&R, 1, 3);
				if (e.mem)
					e.off = mem_operand(k == 1 && ops[o] != 0x2a ? 16 : 1, kind);
				else
					e.rm = (int)rng_below(&R, ops[o] == 0x2a ? 8 : 16);
				run(fam, n, &e, &st, 0, &OPT_ALL);
			}
		}
}

/* ---- integer SIMD ---- */

static void test_int(void)
{
	static const u8 ops[] = {
		0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
		0x74, 0x75, 0x76, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd,
		0xde, 0xdf, 0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed,
		0xee, 0xef, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
		0xfe,
	};
	if (!diff_family_on("int"))
		return;
	check_group("int");
	for (unsigned f = 0; f < ARRAY_SIZE(ops); f++) {
		u8 op = ops[f];
		bool shift = (op >= 0xd1 && op <= 0xd3) || op == 0xe1 || op == 0xe2 || (op >= 0xf1 && op <= 0xf3);
		for (int x = 0; x < 2; x++) {
			if (!x && (op == 0x6c || op == 0x6d))
				continue;
			char fam[48];
			snprintf(fam, sizeof(fam), "int/%s%02x", x ? "66/" : "", op);
			for (unsigned n = 0; n < diff_ncases(150); n++) {
				struct diff_state st;
				random_state(&st, 2);
				struct enc e = { .pfx = x ? 0x66 : 0, .op = { op }, .nop = 1 };
				e.reg = (int)rng_below(&R, x ? 16 : 8);
				e.mem = rng_chance(&R, 1, 3);
				u64 cnt = rng_below(&R, 70);
				if (rng_chance(&R, 1, 8))
					cnt = rng_next(&R);
				if (e.mem) {
					e.off = mem_operand(x ? 16 : 1, 2);
					if (shift)
						memcpy(data + e.off, &cnt, 8);
				} else {
					e.rm = (int)rng_below(&R, x ? 16 : 8);
					if (shift) {
						if (x)
							memcpy(st.xmm[e.rm], &cnt, 8);
						else
							memcpy(st.st[(e.rm - ((st.fsw >> 11) & 7)) & 7], &cnt, 8);
					}
				}
				run(fam, n, &e, &st, 0, x ? &OPT_XMM : &OPT_ALL);
			}
		}
	}
}

/* 0F 71/72/73 shift by immediate */
static void test_shift_imm(void)
{
	static const u8 forms[][2] = { { 0x71, 2 }, { 0x71, 4 }, { 0x71, 6 }, { 0x72, 2 }, { 0x72, 4 },
				       { 0x72, 6 }, { 0x73, 2 }, { 0x73, 3 }, { 0x73, 6 }, { 0x73, 7 } };
	if (!diff_family_on("shimm"))
		return;
	check_group("shimm");
	for (unsigned f = 0; f < ARRAY_SIZE(forms); f++)
		for (int x = 0; x < 2; x++) {
			if (!x && (forms[f][1] == 3 || forms[f][1] == 7))
				continue;
			char fam[48];
			snprintf(fam, sizeof(fam), "shimm/%s%02x/%d", x ? "66/" : "", forms[f][0], forms[f][1]);
			for (unsigned n = 0; n < diff_ncases(100); n++) {
				struct diff_state st;
				random_state(&st, 2);
				struct enc e = { .pfx = x ? 0x66 : 0, .op = { forms[f][0] }, .nop = 1, .immsz = 1 };
				e.reg = forms[f][1];
				e.rm = (int)rng_below(&R, x ? 16 : 8);
				e.imm = (u8)(rng_chance(&R, 1, 6) ? rng_next(&R) : rng_below(&R, 70));
				run(fam, n, &e, &st, 0, x ? &OPT_XMM : &OPT_ALL);
			}
		}
}

/* ---- moves and shuffles ---- */

struct mform {
	u8 pfx, op;
	u8 rmkind;   /* 0 xmm, 1 mmx, 2 gpr */
	u8 regkind;  /* 0 xmm, 1 mmx, 2 gpr */
	u8 memok;    /* 0 reg only, 1 both, 2 mem only */
	u8 align;    /* memory alignment needed */
	u8 imm;
	u8 rexw;     /* 1: also with REX.W */
	const char *name;
};

static void test_moves(void)
{
	static const struct mform forms[] = {
		{ 0, 0x10, 0, 0, 1, 1, 0, 0, "movups" }, { 0x66, 0x10, 0, 0, 1, 1, 0, 0, "movupd" },
		{ 0xf3, 0x10, 0, 0, 1, 1, 0, 0, "movss" }, { 0xf2, 0x10, 0, 0, 1, 1, 0, 0, "movsd" },
		{ 0, 0x11, 0, 0, 1, 1, 0, 0, "movups.st" }, { 0x66, 0x11, 0, 0, 1, 1, 0, 0, "movupd.st" },
		{ 0xf3, 0x11, 0, 0, 1, 1, 0, 0, "movss.st" }, { 0xf2, 0x11, 0, 0, 1, 1, 0, 0, "movsd.st" },
		{ 0, 0x12, 0, 0, 1, 1, 0, 0, "movlps" }, { 0x66, 0x12, 0, 0, 2, 1, 0, 0, "movlpd" },
		{ 0, 0x13, 0, 0, 2, 1, 0, 0, "movlps.st" }, { 0x66, 0x13, 0, 0, 2, 1, 0, 0, "movlpd.st" },
		{ 0, 0x16, 0, 0, 1, 1, 0, 0, "movhps" }, { 0x66, 0x16, 0, 0, 2, 1, 0, 0, "movhpd" },
		{ 0, 0x17, 0, 0, 2, 1, 0, 0, "movhps.st" }, { 0x66, 0x17, 0, 0, 2, 1, 0, 0, "movhpd.st" },
		{ 0, 0x28, 0, 0, 1, 16, 0, 0, "movaps" }, { 0x66, 0x28, 0, 0, 1, 16, 0, 0, "movapd" },
		{ 0, 0x29, 0, 0, 1, 16, 0, 0, "movaps.st" }, { 0x66, 0x29, 0, 0, 1, 16, 0, 0, "movapd.st" },
		{ 0, 0x2b, 0, 0, 2, 16, 0, 0, "movntps" }, { 0x66, 0x2b, 0, 0, 2, 16, 0, 0, "movntpd" },
		{ 0, 0x50, 0, 2, 0, 1, 0, 0, "movmskps" }, { 0x66, 0x50, 0, 2, 0, 1, 0, 0, "movmskpd" },
		{ 0, 0x6e, 2, 1, 1, 1, 0, 1, "movd.mm" }, { 0x66, 0x6e, 2, 0, 1, 1, 0, 1, "movd.xmm" },
		{ 0, 0x7e, 2, 1, 1, 1, 0, 1, "movd.mm.st" }, { 0x66, 0x7e, 2, 0, 1, 1, 0, 1, "movd.xmm.st" },
		{ 0xf3, 0x7e, 0, 0, 1, 1, 0, 0, "movq.xmm" }, { 0x66, 0xd6, 0, 0, 1, 1, 0, 0, "movq.xmm.st" },
		{ 0, 0x6f, 1, 1, 1, 1, 0, 0, "movq.mm" }, { 0, 0x7f, 1, 1, 1, 1, 0, 0, "movq.mm.st" },
		{ 0x66, 0x6f, 0, 0, 1, 16, 0, 0, "movdqa" }, { 0xf3, 0x6f, 0, 0, 1, 1, 0, 0, "movdqu" },
		{ 0x66, 0x7f, 0, 0, 1, 16, 0, 0, "movdqa.st" }, { 0xf3, 0x7f, 0, 0, 1, 1, 0, 0, "movdqu.st" },
		{ 0xf3, 0xd6, 1, 0, 0, 1, 0, 0, "movq2dq" }, { 0xf2, 0xd6, 0, 1, 0, 1, 0, 0, "movdq2q" },
		{ 0, 0x70, 1, 1, 1, 1, 1, 0, "pshufw" }, { 0x66, 0x70, 0, 0, 1, 16, 1, 0, "pshufd" },
		{ 0xf3, 0x70, 0, 0, 1, 16, 1, 0, "pshufhw" }, { 0xf2, 0x70, 0, 0, 1, 16, 1, 0, "pshuflw" },
		{ 0, 0xc4, 2, 1, 1, 1, 1, 0, "pinsrw.mm" }, { 0x66, 0xc4, 2, 0, 1, 1, 1, 0, "pinsrw" },
		{ 0, 0xc5, 1, 2, 0, 1, 1, 0, "pextrw.mm" }, { 0x66, 0xc5, 0, 2, 0, 1, 1, 0, "pextrw" },
		{ 0, 0xd7, 1, 2, 0, 1, 0, 0, "pmovmskb.mm" }, { 0x66, 0xd7, 0, 2, 0, 1, 0, 0, "pmovmskb" },
		{ 0, 0xe7, 1, 1, 2, 1, 0, 0, "movntq" }, { 0x66, 0xe7, 0, 0, 2, 16, 0, 0, "movntdq" },
		{ 0, 0xc3, 2, 2, 2, 1, 0, 1, "movnti" },
	};
	check_group("moves");
	for (unsigned f = 0; f < ARRAY_SIZE(forms); f++) {
		const struct mform *m = &forms[f];
		if (!diff_family_on(m->name) && !diff_family_on("moves"))
			continue;
		for (int w = 0; w <= m->rexw; w++) {
			char fam[48];
			snprintf(fam, sizeof(fam), "%s%s", m->name, w ? ".w" : "");
			for (unsigned n = 0; n < diff_ncases(150); n++) {
				struct diff_state st;
				random_state(&st, (int)rng_below(&R, 3));
				struct enc e = { .pfx = m->pfx, .rexw = w, .op = { m->op }, .nop = 1 };
				e.immsz = m->imm;
				e.imm = (u8)rng_next(&R);
				u32 avoid = 0;
				e.reg = (int)rng_below(&R, m->regkind == 1 ? 8 : 16);
				if (m->regkind == 2) {
					if (e.reg == REG_RSP)
						e.reg = REG_RAX;
					avoid |= 1u << e.reg;
				}
				e.mem = m->memok == 2 || (m->memok == 1 && rng_chance(&R, 1, 2));
				if (e.mem) {
					unsigned align = m->align;
					if (align == 16 && rng_chance(&R, 1, 30))
						align = 4; /* misaligned: #GP on both sides (usually) */
					e.off = mem_operand(align, 2);
					if (align == 4)
						e.off |= 4;
				} else {
					e.rm = (int)rng_below(&R, m->rmkind == 1 ? 8 : 16);
					if (m->rmkind == 2 && e.rm == REG_RSP)
						e.rm = REG_RBX;
				}
				run(fam, n, &e, &st, avoid, &OPT_ALL);
			}
		}
	}
}

/* MASKMOVQ / MASKMOVDQU: store through RDI */
static void test_maskmov(void)
{
	if (!diff_family_on("maskmov"))
		return;
	check_group("maskmov");
	for (int x = 0; x < 2; x++)
		for (unsigned n = 0; n < diff_ncases(200); n++) {
			struct diff_state st;
			random_state(&st, 2);
			struct enc e = { .pfx = x ? 0x66 : 0, .op = { 0xf7 }, .nop = 1 };
			e.reg = (int)rng_below(&R, x ? 16 : 8);
			e.rm = (int)rng_below(&R, x ? 16 : 8);
			st.gpr[REG_RDI] = DIFF_DATA_ADDR + diff_pick_off(&R, 1);
			run(x ? "maskmovdqu" : "maskmovq", n, &e, &st, 0, &OPT_ALL);
		}
}

/* EMMS, LDMXCSR/STMXCSR, FXSAVE/FXRSTOR, fences, CLFLUSH, PREFETCH */
static void test_misc(void)
{
	if (!diff_family_on("misc"))
		return;
	check_group("misc");
	for (unsigned n = 0; n < diff_ncases(100); n++) {
		struct diff_state st;
		u8 code[16];
		unsigned len;

		random_state(&st, 2);
		static const u8 emms[2] = { 0x0f, 0x77 };
		diff_check("emms", emms, 2, &st, data, &OPT_ALL);

		static const u8 fences[3][3] = { { 0x0f, 0xae, 0xe8 }, { 0x0f, 0xae, 0xf0 }, { 0x0f, 0xae, 0xf8 } };
		diff_check("fence", fences[n % 3], 3, &st, data, &OPT_ALL);

		/* LDMXCSR / STMXCSR / CLFLUSH / PREFETCHh / 0F 0D */
		static const u8 memops[][3] = { { 0xae, 2, 0 }, { 0xae, 3, 0 }, { 0xae, 7, 0 },
						{ 0x18, 0, 0 }, { 0x18, 1, 0 }, { 0x18, 2, 0 },
						{ 0x18, 3, 0 }, { 0x0d, 1, 0 } };
		for (unsigned k = 0; k < ARRAY_SIZE(memops); k++) {
			random_state(&st, 2);
			struct enc e = { .op = { memops[k][0] }, .nop = 1, .reg = memops[k][1], .mem = true };
			e.off = diff_pick_off(&R, 4);
			u32 mx = rand_mxcsr() & ~0x1f80u;
			mx |= 0x1f80;
			u32 reserved = ~DIFF_MODEL_MXCSR_MASK & ~diff_host_mxcsr_mask();
			if (k == 0 && rng_chance(&R, 1, 10)) { /* reserved on both: #GP */
				u32 bit = 1u << (16 + rng_below(&R, 16));
				mx |= bit & reserved ? bit : 0x80000000u;
			}
			memcpy(data + e.off, &mx, 4);
			char fam[32];
			snprintf(fam, sizeof(fam), "misc/%02x/%d", memops[k][0], memops[k][1]);
			run(fam, n, &e, &st, 0, &OPT_ALL);
		}

		/* FXSAVE64 then FXRSTOR64 of a random image */
		for (int w = 0; w < 2; w++) {
			random_state(&st, 2);
			struct enc e = { .rexw = w, .op = { 0xae }, .nop = 1, .reg = 0, .mem = true };
			e.off = diff_pick_off(&R, 16);
			struct diff_opts o = OPT_ALL;
			o.data_undef_off = e.off + 6; /* FOP, FIP, FDP: the harness's own */
			o.data_undef_len = 18;
			/* MXCSR_MASK is the model's: left out where the host's
			 * differs (AMD's MM bit), with MXCSR between them */
			if (diff_host_mxcsr_mask() != DIFF_MODEL_MXCSR_MASK)
				o.data_undef_len = 26;
			len = (unsigned)encode(&e, &st, 0, code);
			diff_check(w ? "fxsave64" : "fxsave", code, len, &st, data, &o);

			random_state(&st, 2);
			e.reg = 1;
			e.off = diff_pick_off(&R, 16);
			u8 *img = data + e.off;
			rng_fill(&R, img, 512);
			u16 fsw = (u16)(rng_next(&R) & 0x3f00); /* no pending exceptions */
			u16 fcw = (u16)(0x037f | (rng_next(&R) & 0x0f00));
			memcpy(img, &fcw, 2);
			memcpy(img + 2, &fsw, 2);
			u32 mx = rand_mxcsr();
			if (rng_chance(&R, 1, 10))
				mx |= 0x10000; /* reserved: #GP */
			memcpy(img + 24, &mx, 4);
			len = (unsigned)encode(&e, &st, 0, code);
			diff_check(w ? "fxrstor64" : "fxrstor", code, len, &st, data, &OPT_ALL);
		}
	}
}

/* Unmasked SIMD exceptions: #XM on both sides, state unchanged */
static void test_unmasked(void)
{
	static const u8 ops[] = { 0x51, 0x58, 0x59, 0x5a, 0x5c, 0x5d, 0x5e, 0x5f, 0x2f };
	if (!diff_family_on("unmasked"))
		return;
	check_group("unmasked");
	for (unsigned n = 0; n < diff_ncases(400); n++) {
		struct diff_state st;
		unsigned k = (unsigned)rng_below(&R, 4);
		u8 op = ops[rng_below(&R, ARRAY_SIZE(ops))];
		if (op == 0x2f)
			k &= 1;
		random_state(&st, (k == 1 || k == 3) ? 1 : 0);
		st.mxcsr &= ~(u32)rng_next(&R) & ~0x3fu & 0xffff; /* unmask some, no sticky flags */
		st.mxcsr |= 0x1f80 & (u32)rng_next(&R);
		struct enc e = { .pfx = pfxs[k], .op = { op }, .nop = 1 };
		e.reg = (int)rng_below(&R, 16);
		e.rm = (int)rng_below(&R, 16);
		char fam[32];
		snprintf(fam, sizeof(fam), "unmasked/%02x/%02x", op, pfxs[k]);
		run(fam, n, &e, &st, 0, &OPT_XMM);
	}
}

int main(void)
{
	diff_cases_start(&R, 0x55e55e2ull, 1, data);

	test_fp();
	test_cvt_gpr();
	test_cvt_mmx();
	test_int();
	test_shift_imm();
	test_moves();
	test_maskmov();
	test_misc();
	test_unmasked();
	return check_summary();
}
