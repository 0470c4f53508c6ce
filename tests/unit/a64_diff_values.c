/*
 * The values the AArch64 differential tests draw: see a64_diff_values.h.
 * Keep the order of the draws (one a statement where an expression would
 * leave it to the compiler): a seed names its cases.
 */
#include "a64_diff_values.h"

#include <string.h>

/* ---- integers and registers ---- */

u64 a64_diff__edge_val(struct rng *r)
{
	static const u64 e[] = {
		0, 1, 2, 3, ~0ull, ~0ull - 1, 0x7fffffffffffffffull, 0x8000000000000000ull,
		0x8000000000000001ull, 0xffffffffull, 0x7fffffffull, 0x80000000ull, 0x80000001ull,
		0x100000000ull, 0xfffffffeull, 0xffffffff00000000ull, 0xffffffff80000000ull,
		0xffffffff7fffffffull, 0x00000000ffff8000ull, 0xff, 0x80, 0x7f, 0xffff, 0x8000,
	};
	switch (rng_below(r, 6)) {
	case 0: return e[rng_below(r, ARRAY_SIZE(e))];
	case 1: return 1ull << rng_below(r, 64);
	case 2: return (1ull << rng_below(r, 64)) - 1;
	case 3: {
		u64 high = rng_next(r) & ~0xffffffffull;
		return high | (e[rng_below(r, ARRAY_SIZE(e))] & 0xffffffff);
	}
	case 4: return (u64)((i64)rng_below(r, 64) - 32);
	default: return rng_next(r);
	}
}

/* An edge value or random bits, as often. */
static u64 rval(struct rng *r)
{
	return rng_chance(r, 1, 2) ? a64_diff__edge_val(r) : rng_next(r);
}

void a64_diff__set_base(struct case_in *in, unsigned reg, u64 v)
{
	if (reg == 31)
		in->sp = v;
	else
		in->x[reg] = v;
}

u64 a64_diff__window_addr(struct rng *r, unsigned size, unsigned align)
{
	u64 off = 64 + rng_below(r, DATA_SIZE - 128 - size);
	return DATA_ADDR + (off & ~(u64)(align - 1));
}

unsigned a64_diff__other_reg(struct rng *r, unsigned avoid, bool allow31)
{
	unsigned reg;
	do
		reg = (unsigned)rng_below(r, allow31 ? 32 : 31);
	while (reg == avoid);
	return reg;
}

void a64_diff__case_start(struct rng *r, struct tcase *t, bool edges)
{
	struct case_in *in = &t->in;
	memset(in, 0, sizeof(*in));
	in->ninsns = 1;
	in->pc = CODE_PC + 4 * rng_below(r, 16384);
	for (unsigned k = 0; k < 31; k++)
		in->x[k] = edges ? rval(r) : rng_next(r);
	in->sp = edges && rng_chance(r, 1, 2) ? rval(r) : rng_next(r) & ~15ull;
	in->nzcv = (rng_next(r) & 0xf) << 28;
}

/* ---- floating point ---- */

static const u64 f32_special[] = {
	0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001,
	0xffa00005, 0x7fbfffff, 0x00000001, 0x807fffff, 0x00400000, 0x00800000, 0x80800000,
	0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000, 0x3f000000, 0xbf000000, 0x3fc00000,
	0x40200000, 0x4f000000, 0xcf000000, 0x5f000000, 0xdf000000,
};
static const u64 f64_special[] = {
	0, 0x8000000000000000ull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
	0x7ff8000000000000ull, 0xfff8000000000123ull, 0x7ff0000000000001ull,
	0xfff4000000000abcull, 0x0000000000000001ull, 0x800fffffffffffffull,
	0x0008000000000000ull, 0x0010000000000000ull, 0x8010000000000000ull,
	0x7fefffffffffffffull, 0xffefffffffffffffull, 0x3ff0000000000000ull,
	0xbff0000000000000ull, 0x3fe0000000000000ull, 0xbfe0000000000000ull,
	0x3ff8000000000000ull, 0x4004000000000000ull,
};

/* A width: its special values, fraction bits, sign and fraction bits,
 * all bits, largest finite exponent, and the lowest of the 16 exponents
 * drawn around 1. */
struct fmt {
	const u64 *special;
	unsigned nspecial, frac_bits;
	u64 sign_frac, all;
	u64 max_exp, near_one;
};

static const struct fmt f32_fmt = { f32_special, ARRAY_SIZE(f32_special), 23, 0x807fffff,
				    0xffffffff, 254, 120 };
static const struct fmt f64_fmt = { f64_special, ARRAY_SIZE(f64_special), 52,
				    0x800fffffffffffffull, ~0ull, 2046, 1015 };

static u64 float_val(struct rng *r, const struct a64_diff_floats *s, const struct fmt *f)
{
	switch (rng_below(r, 4)) {
	case 0: {
		u64 k = rng_below(r, f->nspecial + s->nmore);
		return k < f->nspecial ? f->special[k] : s->more[k - f->nspecial];
	}
	case 1: {
		u64 e = s->exps[rng_below(r, s->nexps)];
		e += rng_below(r, 3);
		e = e > f->max_exp ? f->max_exp : e;
		return (rng_next(r) & f->sign_frac) | e << f->frac_bits;
	}
	case 2: {
		u64 v = rng_next(r) & f->sign_frac;
		return v | (f->near_one + rng_below(r, 16)) << f->frac_bits;
	}
	default: return rng_next(r) & f->all;
	}
}

u32 a64_diff__f32_val(struct rng *r, const struct a64_diff_floats *s)
{
	return (u32)float_val(r, s, &f32_fmt);
}

u64 a64_diff__f64_val(struct rng *r, const struct a64_diff_floats *s)
{
	return float_val(r, s, &f64_fmt);
}

void a64_diff__fill_vregs(struct rng *r, struct tcase *t, u64 (*chunk)(void),
			  unsigned fz_dn_one_in)
{
	for (unsigned k = 0; k < 32; k++)
		for (unsigned h = 0; h < 2; h++) {
			u64 v = chunk();
			memcpy(&t->v[k][8 * h], &v, 8);
		}
	u32 fpcr = (u32)rng_below(r, 4) << 22; /* RMode */
	fpcr |= rng_chance(r, 1, fz_dn_one_in) ? 1u << 24 : 0; /* FZ */
	fpcr |= rng_chance(r, 1, fz_dn_one_in) ? 1u << 25 : 0; /* DN */
	u32 fpsr = 0;
	if (!rng_chance(r, 1, 2)) {
		fpsr = (u32)rng_next(r) & 0x9f; /* the cumulative flags */
		fpsr |= rng_chance(r, 1, 4) ? 1u << 27 : 0; /* QC */
	}
	t->fp[0] = fpcr;
	t->fp[1] = fpsr;
}
