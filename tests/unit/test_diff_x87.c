/*
 * x87 differential tests: the x87 forms the interpreter implements, run
 * natively and in the interpreter from the same random state
 * (diff_harness.h).  Register values mix random extended values with
 * zeros, denormals, pseudo-denormals, unnormals, infinities, QNaNs,
 * SNaNs, integers and extremes; the control word gets a random precision
 * and rounding control with all exceptions masked; the tag word is
 * sometimes random so stack overflow and underflow happen.
 *
 * Options: see diff_cases.h.
 */
#include <stdio.h>
#include <string.h>

#include "diff_cases.h"

static struct rng R;
static u8 data[DIFF_DATA_SIZE];

/* ---- values ---- */

static void rand_f80(u8 *v)
{
	u64 m = rng_next(&R);
	u16 s = (u16)(rng_next(&R) & 1) << 15, e;
	switch (rng_below(&R, 20)) {
	case 0: m = 0; e = 0; break;                                   /* zero */
	case 1: m >>= 1 + rng_below(&R, 62); e = 0; break;             /* denormal */
	case 2: m |= 1ull << 63; e = 0; break;                         /* pseudo-denormal */
	case 3: m = 1ull << 63; e = 0x7fff; break;                     /* infinity */
	case 4: m |= 3ull << 62; e = 0x7fff; break;                    /* QNaN */
	case 5: m = (m & ~(1ull << 62)) | (1ull << 63) | 1; e = 0x7fff; break; /* SNaN */
	case 6: m &= ~(1ull << 63); e = (u16)(1 + rng_below(&R, 0x7ffe)); if (!rng_chance(&R, 1, 4)) m |= 1ull << 63; break; /* mostly normal, some unnormal */
	case 7: m = 1ull << 63; e = 0x3fff; break;                     /* 1.0 */
	case 8: /* an integer */
		e = (u16)(0x3fff + rng_below(&R, 64));
		m |= 1ull << 63;
		m &= ~0ull << (63 - (e - 0x3fff));
		break;
	case 9: m |= 1ull << 63; e = (u16)(1 + rng_below(&R, 80)); break;        /* tiny */
	case 10: m |= 1ull << 63; e = (u16)(0x7ffe - rng_below(&R, 80)); break;  /* huge */
	case 11: m |= 1ull << 63; e = (u16)(0x3c00 + rng_below(&R, 0x800)); break; /* double range */
	case 12: m |= 1ull << 63; e = (u16)(0x3f00 + rng_below(&R, 0x100)); break;  /* float range */
	case 13: m = (m | (1ull << 63)) & ~0x7ffull; e = (u16)(0x3fff + rng_below(&R, 20)); break; /* double-exact */
	default: m |= 1ull << 63; e = (u16)(0x3fff - 40 + rng_below(&R, 80)); break; /* moderate */
	}
	e |= s;
	memcpy(v, &m, 8);
	memcpy(v + 8, &e, 2);
}

static u16 rand_fcw(void)
{
	static const u16 pc[3] = { 0x000, 0x200, 0x300 };
	return (u16)(0x007f | pc[rng_below(&R, 3)] | (u16)rng_below(&R, 4) << 10);
}

static void random_state(struct diff_state *st, bool random_tags)
{
	diff_random_gprs(st, &R);
	st->fcw = rand_fcw();
	st->fsw = (u16)(rng_below(&R, 8) << 11 | (rng_next(&R) & 0x4700)); /* TOP, C0..C3 */
	if (rng_chance(&R, 1, 4))
		st->fsw |= (u16)(rng_next(&R) & 0x7f); /* sticky flags (masked) */
	st->ftw = 0xff;
	if (random_tags && rng_chance(&R, 1, 6))
		st->ftw = (u8)rng_next(&R);
	else if (random_tags && rng_chance(&R, 1, 6))
		st->ftw = (u8)(0xff >> rng_below(&R, 8) << ((st->fsw >> 11) & 7) |
			       0xff >> (8 - ((st->fsw >> 11) & 7))); /* a partly filled stack */
	for (int i = 0; i < 8; i++)
		rand_f80(st->st[i]);
	if (rng_chance(&R, 1, 8))
		memcpy(st->st[1], st->st[0], 10);
}

/* ---- encoder: one-byte opcode + ModRM ---- */

struct enc {
	u8 pfx;      /* 0 or 0x66 */
	u8 op;
	int ext;     /* ModRM.reg */
	bool mem;
	int rm;      /* ST(i) when !mem */
	unsigned off;
};

static int encode(const struct enc *e, struct diff_state *st, u8 *out)
{
	int n = 0;
	struct diff_mem m;
	if (e->pfx)
		out[n++] = e->pfx;
	if (e->mem) {
		diff_mem_pick(&m, &R, 3, 0, e->off, st);
		if (m.base >= 8)
			out[n++] = 0x41;
	}
	out[n++] = e->op;
	if (!e->mem) {
		out[n++] = (u8)(0xc0 | e->ext << 3 | e->rm);
		return n;
	}
	n = diff_mem_emit(&m, out, n, e->ext);
	diff_mem_finish(&m, out, n);
	return n;
}

static struct diff_opts opts(u16 fsw_undef)
{
	struct diff_opts o = { .cmp = DIFF_CMP_X87 | DIFF_CMP_XMM | DIFF_CMP_MXCSR, .fsw_undef = fsw_undef };
	return o;
}

static void run(const char *fam, unsigned idx, const struct enc *e, struct diff_state *st,
		const struct diff_opts *o)
{
	u8 code[16];
	int len = encode(e, st, code);
	diff_check_case(fam, idx, code, (unsigned)len, st, data, o);
}

/* ---- memory operand values ---- */

enum mkind { MK_F32, MK_F64, MK_I16, MK_I32, MK_I64, MK_BCD, MK_F80, MK_RAW };

static void put_operand(unsigned off, enum mkind k)
{
	u8 *p = data + off;
	switch (k) {
	case MK_F32: {
		u8 v[10];
		rand_f80(v);
		u32 x;
		u64 m;
		u16 se;
		memcpy(&m, v, 8);
		memcpy(&se, v + 8, 2);
		switch (rng_below(&R, 6)) {
		case 0: x = (u32)rng_next(&R); break;
		case 1: x = (se & 0x8000u) << 16 | 0x7f800000 | (u32)(m >> 40 & 0x7fffff); break; /* inf/NaN */
		case 2: x = (u32)(m >> 41) & 0x807fffff; break; /* denormal/zero */
		default: x = (se & 0x8000u) << 16 | (u32)(100 + rng_below(&R, 56)) << 23 | (u32)(m >> 40 & 0x7fffff); break;
		}
		memcpy(p, &x, 4);
		break;
	}
	case MK_F64: {
		u64 x, m = rng_next(&R);
		switch (rng_below(&R, 6)) {
		case 0: x = m; break;
		case 1: x = (m & 0x800fffffffffffffull) | 0x7ff0000000000000ull; break;
		case 2: x = m & 0x800fffffffffffffull >> rng_below(&R, 52); break;
		default: x = (m & 0x800fffffffffffffull) | (u64)(900 + rng_below(&R, 250)) << 52; break;
		}
		memcpy(p, &x, 8);
		break;
	}
	case MK_I16: case MK_I32: case MK_I64: {
		u64 x = rng_next(&R);
		if (rng_chance(&R, 1, 3))
			x = (u64)((i64)x >> rng_below(&R, 64));
		if (rng_chance(&R, 1, 8))
			x = k == MK_I16 ? 0x8000 : k == MK_I32 ? 0x80000000u : 1ull << 63;
		memcpy(p, &x, 8);
		break;
	}
	case MK_BCD:
		for (int b = 0; b < 9; b++)
			p[b] = (u8)(rng_below(&R, 10) | rng_below(&R, 10) << 4);
		p[9] = rng_chance(&R, 1, 2) ? 0x80 : 0;
		if (rng_chance(&R, 1, 10))
			rng_fill(&R, p, 10); /* invalid digits: undefined result */
		break;
	case MK_F80:
		rand_f80(p);
		break;
	default:
		rng_fill(&R, p, 16);
		break;
	}
}

/* ---- register forms ---- */

struct rform {
	u8 op, modrm; /* modrm base; +i when has_i */
	bool has_i;
	u16 fsw_undef;
	u8 flags;     /* 1: uses/sets RFLAGS (FCOMI, FCMOV) */
	const char *name;
};

#define CC_UNDEF (0x4000 | 0x0400 | 0x0100) /* C3 C2 C0 */

static void test_reg(void)
{
	static const struct rform forms[] = {
		{ 0xd8, 0xc0, 1, CC_UNDEF, 0, "fadd st,sti" }, { 0xd8, 0xc8, 1, CC_UNDEF, 0, "fmul st,sti" },
		{ 0xd8, 0xd0, 1, 0, 0, "fcom sti" }, { 0xd8, 0xd8, 1, 0, 0, "fcomp sti" },
		{ 0xd8, 0xe0, 1, CC_UNDEF, 0, "fsub st,sti" }, { 0xd8, 0xe8, 1, CC_UNDEF, 0, "fsubr st,sti" },
		{ 0xd8, 0xf0, 1, CC_UNDEF, 0, "fdiv st,sti" }, { 0xd8, 0xf8, 1, CC_UNDEF, 0, "fdivr st,sti" },
		{ 0xdc, 0xc0, 1, CC_UNDEF, 0, "fadd sti,st" }, { 0xdc, 0xc8, 1, CC_UNDEF, 0, "fmul sti,st" },
		{ 0xdc, 0xe0, 1, CC_UNDEF, 0, "fsubr sti,st" }, { 0xdc, 0xe8, 1, CC_UNDEF, 0, "fsub sti,st" },
		{ 0xdc, 0xf0, 1, CC_UNDEF, 0, "fdivr sti,st" }, { 0xdc, 0xf8, 1, CC_UNDEF, 0, "fdiv sti,st" },
		{ 0xde, 0xc0, 1, CC_UNDEF, 0, "faddp" }, { 0xde, 0xc8, 1, CC_UNDEF, 0, "fmulp" },
		{ 0xde, 0xe0, 1, CC_UNDEF, 0, "fsubrp" }, { 0xde, 0xe8, 1, CC_UNDEF, 0, "fsubp" },
		{ 0xde, 0xf0, 1, CC_UNDEF, 0, "fdivrp" }, { 0xde, 0xf8, 1, CC_UNDEF, 0, "fdivp" },
		{ 0xde, 0xd9, 0, 0, 0, "fcompp" }, { 0xda, 0xe9, 0, 0, 0, "fucompp" },
		{ 0xdd, 0xe0, 1, 0, 0, "fucom" }, { 0xdd, 0xe8, 1, 0, 0, "fucomp" },
		{ 0xdb, 0xe8, 1, CC_UNDEF, 1, "fucomi" }, { 0xdb, 0xf0, 1, CC_UNDEF, 1, "fcomi" },
		{ 0xdf, 0xe8, 1, CC_UNDEF, 1, "fucomip" }, { 0xdf, 0xf0, 1, CC_UNDEF, 1, "fcomip" },
		{ 0xda, 0xc0, 1, CC_UNDEF, 1, "fcmovb" }, { 0xda, 0xc8, 1, CC_UNDEF, 1, "fcmove" },
		{ 0xda, 0xd0, 1, CC_UNDEF, 1, "fcmovbe" }, { 0xda, 0xd8, 1, CC_UNDEF, 1, "fcmovu" },
		{ 0xdb, 0xc0, 1, CC_UNDEF, 1, "fcmovnb" }, { 0xdb, 0xc8, 1, CC_UNDEF, 1, "fcmovne" },
		{ 0xdb, 0xd0, 1, CC_UNDEF, 1, "fcmovnbe" }, { 0xdb, 0xd8, 1, CC_UNDEF, 1, "fcmovnu" },
		{ 0xd9, 0xc0, 1, CC_UNDEF, 0, "fld sti" }, { 0xd9, 0xc8, 1, CC_UNDEF, 0, "fxch" },
		{ 0xdd, 0xd0, 1, CC_UNDEF, 0, "fst sti" }, { 0xdd, 0xd8, 1, CC_UNDEF, 0, "fstp sti" },
		{ 0xdd, 0xc0, 1, 0, 0, "ffree" }, { 0xd9, 0xd0, 0, 0, 0, "fnop" },
		{ 0xd9, 0xe0, 0, CC_UNDEF, 0, "fchs" }, { 0xd9, 0xe1, 0, CC_UNDEF, 0, "fabs" },
		{ 0xd9, 0xe4, 0, 0, 0, "ftst" }, { 0xd9, 0xe5, 0, 0, 0, "fxam" },
		{ 0xd9, 0xe8, 0, CC_UNDEF, 0, "fld1" }, { 0xd9, 0xe9, 0, CC_UNDEF, 0, "fldl2t" },
		{ 0xd9, 0xea, 0, CC_UNDEF, 0, "fldl2e" }, { 0xd9, 0xeb, 0, CC_UNDEF, 0, "fldpi" },
		{ 0xd9, 0xec, 0, CC_UNDEF, 0, "fldlg2" }, { 0xd9, 0xed, 0, CC_UNDEF, 0, "fldln2" },
		{ 0xd9, 0xee, 0, CC_UNDEF, 0, "fldz" }, { 0xd9, 0xf0, 0, CC_UNDEF, 0, "f2xm1" },
		{ 0xd9, 0xf1, 0, CC_UNDEF, 0, "fyl2x" }, { 0xd9, 0xf2, 0, 0x4100, 0, "fptan" },
		{ 0xd9, 0xf3, 0, CC_UNDEF, 0, "fpatan" }, { 0xd9, 0xf4, 0, CC_UNDEF, 0, "fxtract" },
		{ 0xd9, 0xf5, 0, 0, 0, "fprem1" }, { 0xd9, 0xf6, 0, CC_UNDEF, 0, "fdecstp" },
		{ 0xd9, 0xf7, 0, CC_UNDEF, 0, "fincstp" }, { 0xd9, 0xf8, 0, 0, 0, "fprem" },
		{ 0xd9, 0xf9, 0, CC_UNDEF, 0, "fyl2xp1" }, { 0xd9, 0xfa, 0, CC_UNDEF, 0, "fsqrt" },
		{ 0xd9, 0xfb, 0, 0x4100, 0, "fsincos" }, { 0xd9, 0xfc, 0, CC_UNDEF, 0, "frndint" },
		{ 0xd9, 0xfd, 0, CC_UNDEF, 0, "fscale" }, { 0xd9, 0xfe, 0, 0x4100, 0, "fsin" },
		{ 0xd9, 0xff, 0, 0x4100, 0, "fcos" }, { 0xdb, 0xe2, 0, 0, 0, "fnclex" },
		{ 0xdb, 0xe3, 0, 0, 0, "fninit" }, { 0xdf, 0xe0, 0, 0, 0, "fnstsw ax" },
		{ 0xdf, 0xc0, 1, 0, 0, "ffreep" },
	};
	check_group("reg");
	for (unsigned f = 0; f < ARRAY_SIZE(forms); f++) {
		const struct rform *r = &forms[f];
		if (!diff_family_on(r->name) && !diff_family_on("reg"))
			continue;
		for (unsigned n = 0; n < diff_ncases(200); n++) {
			struct diff_state st;
			random_state(&st, true);
			struct enc e = { .op = r->op, .ext = (r->modrm >> 3) & 7 };
			e.rm = (r->modrm & 7) + (r->has_i ? (int)rng_below(&R, 8) : 0);
			struct diff_opts o = opts(r->fsw_undef);
			/* transcendental functions with huge arguments: keep most in range */
			run(r->name, n, &e, &st, &o);
		}
	}
}

/* ---- memory forms ---- */

struct mform {
	u8 pfx, op, ext;
	enum mkind kind;
	u16 fsw_undef;
	u8 cmp;             /* extra DIFF_CMP bits */
	int undef_off, undef_len; /* data range (relative to the operand) not compared */
	const char *name;
};

static void test_mem(void)
{
	static const struct mform forms[] = {
		{ 0, 0xd8, 0, MK_F32, CC_UNDEF, 0, 0, 0, "fadd m32" }, { 0, 0xd8, 1, MK_F32, CC_UNDEF, 0, 0, 0, "fmul m32" },
		{ 0, 0xd8, 2, MK_F32, 0, 0, 0, 0, "fcom m32" }, { 0, 0xd8, 3, MK_F32, 0, 0, 0, 0, "fcomp m32" },
		{ 0, 0xd8, 4, MK_F32, CC_UNDEF, 0, 0, 0, "fsub m32" }, { 0, 0xd8, 5, MK_F32, CC_UNDEF, 0, 0, 0, "fsubr m32" },
		{ 0, 0xd8, 6, MK_F32, CC_UNDEF, 0, 0, 0, "fdiv m32" }, { 0, 0xd8, 7, MK_F32, CC_UNDEF, 0, 0, 0, "fdivr m32" },
		{ 0, 0xdc, 0, MK_F64, CC_UNDEF, 0, 0, 0, "fadd m64" }, { 0, 0xdc, 1, MK_F64, CC_UNDEF, 0, 0, 0, "fmul m64" },
		{ 0, 0xdc, 2, MK_F64, 0, 0, 0, 0, "fcom m64" }, { 0, 0xdc, 3, MK_F64, 0, 0, 0, 0, "fcomp m64" },
		{ 0, 0xdc, 4, MK_F64, CC_UNDEF, 0, 0, 0, "fsub m64" }, { 0, 0xdc, 5, MK_F64, CC_UNDEF, 0, 0, 0, "fsubr m64" },
		{ 0, 0xdc, 6, MK_F64, CC_UNDEF, 0, 0, 0, "fdiv m64" }, { 0, 0xdc, 7, MK_F64, CC_UNDEF, 0, 0, 0, "fdivr m64" },
		{ 0, 0xda, 0, MK_I32, CC_UNDEF, 0, 0, 0, "fiadd m32" }, { 0, 0xda, 1, MK_I32, CC_UNDEF, 0, 0, 0, "fimul m32" },
		{ 0, 0xda, 2, MK_I32, 0, 0, 0, 0, "ficom m32" }, { 0, 0xda, 3, MK_I32, 0, 0, 0, 0, "ficomp m32" },
		{ 0, 0xda, 4, MK_I32, CC_UNDEF, 0, 0, 0, "fisub m32" }, { 0, 0xda, 5, MK_I32, CC_UNDEF, 0, 0, 0, "fisubr m32" },
		{ 0, 0xda, 6, MK_I32, CC_UNDEF, 0, 0, 0, "fidiv m32" }, { 0, 0xda, 7, MK_I32, CC_UNDEF, 0, 0, 0, "fidivr m32" },
		{ 0, 0xde, 0, MK_I16, CC_UNDEF, 0, 0, 0, "fiadd m16" }, { 0, 0xde, 1, MK_I16, CC_UNDEF, 0, 0, 0, "fimul m16" },
		{ 0, 0xde, 2, MK_I16, 0, 0, 0, 0, "ficom m16" }, { 0, 0xde, 3, MK_I16, 0, 0, 0, 0, "ficomp m16" },
		{ 0, 0xde, 4, MK_I16, CC_UNDEF, 0, 0, 0, "fisub m16" }, { 0, 0xde, 5, MK_I16, CC_UNDEF, 0, 0, 0, "fisubr m16" },
		{ 0, 0xde, 6, MK_I16, CC_UNDEF, 0, 0, 0, "fidiv m16" }, { 0, 0xde, 7, MK_I16, CC_UNDEF, 0, 0, 0, "fidivr m16" },
		{ 0, 0xd9, 0, MK_F32, CC_UNDEF, 0, 0, 0, "fld m32" }, { 0, 0xd9, 2, MK_RAW, CC_UNDEF, 0, 0, 0, "fst m32" },
		{ 0, 0xd9, 3, MK_RAW, CC_UNDEF, 0, 0, 0, "fstp m32" }, { 0, 0xdd, 0, MK_F64, CC_UNDEF, 0, 0, 0, "fld m64" },
		{ 0, 0xdd, 2, MK_RAW, CC_UNDEF, 0, 0, 0, "fst m64" }, { 0, 0xdd, 3, MK_RAW, CC_UNDEF, 0, 0, 0, "fstp m64" },
		{ 0, 0xdb, 5, MK_F80, CC_UNDEF, 0, 0, 0, "fld m80" }, { 0, 0xdb, 7, MK_RAW, CC_UNDEF, 0, 0, 0, "fstp m80" },
		{ 0, 0xdf, 0, MK_I16, CC_UNDEF, 0, 0, 0, "fild m16" }, { 0, 0xdb, 0, MK_I32, CC_UNDEF, 0, 0, 0, "fild m32" },
		{ 0, 0xdf, 5, MK_I64, CC_UNDEF, 0, 0, 0, "fild m64" }, { 0, 0xdf, 2, MK_RAW, CC_UNDEF, 0, 0, 0, "fist m16" },
		{ 0, 0xdf, 3, MK_RAW, CC_UNDEF, 0, 0, 0, "fistp m16" }, { 0, 0xdb, 2, MK_RAW, CC_UNDEF, 0, 0, 0, "fist m32" },
		{ 0, 0xdb, 3, MK_RAW, CC_UNDEF, 0, 0, 0, "fistp m32" }, { 0, 0xdf, 7, MK_RAW, CC_UNDEF, 0, 0, 0, "fistp m64" },
		{ 0, 0xdf, 1, MK_RAW, CC_UNDEF, 0, 0, 0, "fisttp m16" }, { 0, 0xdb, 1, MK_RAW, CC_UNDEF, 0, 0, 0, "fisttp m32" },
		{ 0, 0xdd, 1, MK_RAW, CC_UNDEF, 0, 0, 0, "fisttp m64" }, { 0, 0xdf, 4, MK_BCD, CC_UNDEF, 0, 0, 0, "fbld" },
		{ 0, 0xdf, 6, MK_RAW, CC_UNDEF, 0, 0, 0, "fbstp" },
		{ 0, 0xd9, 7, MK_RAW, 0, 0, 0, 0, "fnstcw" }, { 0, 0xdd, 7, MK_RAW, 0, 0, 0, 0, "fnstsw m16" },
		{ 0, 0xd9, 6, MK_RAW, 0, 0, 12, 16, "fnstenv" }, { 0x66, 0xd9, 6, MK_RAW, 0, 0, 6, 8, "fnstenv16" },
		{ 0, 0xdd, 6, MK_RAW, 0, 0, 12, 16, "fnsave" },
	};
	check_group("mem");
	for (unsigned f = 0; f < ARRAY_SIZE(forms); f++) {
		const struct mform *m = &forms[f];
		if (!diff_family_on(m->name) && !diff_family_on("mem"))
			continue;
		for (unsigned n = 0; n < diff_ncases(200); n++) {
			struct diff_state st;
			random_state(&st, true);
			struct enc e = { .pfx = m->pfx, .op = m->op, .ext = m->ext, .mem = true };
			e.off = diff_pick_off(&R, 1);
			put_operand(e.off, m->kind);
			struct diff_opts o = opts(m->fsw_undef);
			o.cmp |= m->cmp;
			if (m->undef_len) {
				o.data_undef_off = e.off + (unsigned)m->undef_off;
				o.data_undef_len = (u32)m->undef_len;
			}
			run(m->name, n, &e, &st, &o);
		}
	}
}

/* FLDCW, FLDENV, FRSTOR from random (valid, no pending exception) images */
static void test_load_env(void)
{
	if (!diff_family_on("ldenv"))
		return;
	check_group("ldenv");
	for (unsigned n = 0; n < diff_ncases(300); n++) {
		struct diff_state st;
		random_state(&st, true);
		unsigned kind = n % 4;
		struct enc e = { .mem = true };
		e.off = diff_pick_off(&R, 1);
		u8 *p = data + e.off;
		rng_fill(&R, p, 108);
		u16 fcw = rand_fcw(), fsw = (u16)(rng_next(&R) & 0x7f7f & ~0x80);
		u16 tag = (u16)rng_next(&R);
		const char *name;
		if (kind == 0) {
			e.op = 0xd9;
			e.ext = 5;
			memcpy(p, &fcw, 2);
			name = "fldcw";
		} else if (kind == 3) {
			e.pfx = 0x66;
			e.op = 0xd9;
			e.ext = 4;
			memcpy(p, &fcw, 2);
			memcpy(p + 2, &fsw, 2);
			memcpy(p + 4, &tag, 2);
			name = "fldenv16";
		} else {
			e.op = kind == 1 ? 0xd9 : 0xdd;
			e.ext = 4;
			memcpy(p, &fcw, 2);
			memcpy(p + 4, &fsw, 2);
			memcpy(p + 8, &tag, 2);
			name = kind == 1 ? "fldenv" : "frstor";
		}
		struct diff_opts o = opts(0);
		run(name, n, &e, &st, &o);
	}
}

/* FWAIT with nothing pending */
static void test_wait(void)
{
	if (!diff_family_on("fwait"))
		return;
	check_group("fwait");
	for (unsigned n = 0; n < diff_ncases(50); n++) {
		struct diff_state st;
		random_state(&st, true);
		static const u8 w[1] = { 0x9b };
		struct diff_opts o = opts(0);
		diff_check("fwait", w, 1, &st, data, &o);
	}
}

/* A pending unmasked exception (FSW.ES): #MF on waiting instructions only */
static void test_pending(void)
{
	static const u8 insns[][2] = { { 0xd8, 0xc1 }, { 0xd9, 0xe8 }, { 0xd9, 0xfa }, { 0xdf, 0xe0 },
				       { 0xdb, 0xe2 }, { 0x9b, 0x90 }, { 0xd9, 0xc9 }, { 0xdd, 0xc1 } };
	if (!diff_family_on("pending"))
		return;
	check_group("pending");
	for (unsigned n = 0; n < diff_ncases(200); n++) {
		struct diff_state st;
		random_state(&st, false);
		u16 exc = (u16)(1u << rng_below(&R, 6));
		st.fcw &= (u16)~exc;
		st.fsw |= exc | 0x8080;
		unsigned k = (unsigned)rng_below(&R, ARRAY_SIZE(insns));
		unsigned len = insns[k][0] == 0x9b ? 1 : 2;
		struct diff_opts o = opts(0);
		char fam[32];
		snprintf(fam, sizeof(fam), "pending/%02x%02x", insns[k][0], insns[k][1]);
		diff_check(fam, insns[k], len, &st, data, &o);
	}
}

int main(void)
{
	diff_cases_start(&R, 0x87878787ull, 1, data);

	test_reg();
	test_mem();
	test_load_env();
	test_wait();
	test_pending();
	return check_summary();
}
