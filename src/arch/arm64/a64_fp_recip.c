/*
 * The reciprocal and reciprocal square root estimates of A64: FRECPE,
 * FRSQRTE, FRECPX and the unsigned fixed-point URECPE, URSQRTE.  The
 * Arm ARM defines them exactly (FPRecipEstimate, FPRSqrtEstimate,
 * FPRecpX, UnsignedRecipEstimate, UnsignedRSqrtEstimate and the 8-bit
 * RecipEstimate / RecipSqrtEstimate tables), as integer algorithms on
 * the encodings: no host arithmetic is involved.  Without FEAT_RPRES
 * (and with FPCR.AH absent) the estimates are always 8 bits.
 */
#include "arch/arm64/a64_fp.h"

/* The formats' parameters: fraction bits, exponent field, sign. */
struct fmt {
	unsigned fb;
	u64 emax, sign;
};

static struct fmt fmt_of(bool dbl)
{
	if (dbl)
		return (struct fmt){ 52, 0x7ff, 1ull << 63 };
	return (struct fmt){ 23, 0xff, 1ull << 31 };
}

/* RecipEstimate: `a` in [256, 512) is [0.5, 1) in steps of 1/512; the
 * result in [256, 512) is its reciprocal in [1, 2) in steps of 1/256. */
static unsigned recip_estimate(unsigned a)
{
	a = a * 2 + 1; /* the middle of the step */
	unsigned b = (1u << 19) / a;
	return (b + 1) / 2;
}

/* RecipSqrtEstimate: `a` in [128, 512) is [0.25, 1) in steps of 1/512.
 * The architecture's loop finds the largest b with b < 2^14 / sqrt(a)
 * from b = 512 up; a binary search finds the same b. */
static unsigned rsqrt_estimate(unsigned a)
{
	if (a < 256)
		a = a * 2 + 1;
	else
		a = ((a >> 1) << 1 | 1) * 2; /* in steps of 1/256, rounded */
	/* the smallest t in [513, 1024] with a * t * t >= 2^28; b = t - 1 */
	unsigned lo = 513, hi = 1024;
	while (lo < hi) {
		unsigned t = (lo + hi) / 2;
		if ((u64)a * t * t >= 1u << 28)
			hi = t;
		else
			lo = t + 1;
	}
	return lo / 2; /* (b + 1) / 2 */
}

/* The overflow FPRecipEstimate signals for inputs too tiny for a finite
 * reciprocal: infinity or the largest normal, as the rounding mode says. */
static u64 recip_overflow(struct a64_cpu *c, struct fmt f, u64 sign)
{
	unsigned rmode = A64_FPCR_RMODE(c->fpcr);
	bool to_inf = rmode == A64_RN || (rmode == A64_RP && !sign) || (rmode == A64_RM && sign);
	c->fpsr |= A64_FPSR_OFC | A64_FPSR_IXC;
	return sign | (to_inf ? f.emax << f.fb : ((f.emax << f.fb) - 1));
}

u64 a64_fp_recip_estimate(struct a64_cpu *c, bool dbl, u64 a)
{
	struct fmt f = fmt_of(dbl);
	a = a64_fp_flush_in(c, dbl, a);
	u64 sign = a & f.sign, exp = (a >> f.fb) & f.emax;
	u64 frac = (a & a64_ones(f.fb)) << (52 - f.fb); /* as 52 fraction bits */
	if (exp == f.emax && frac)
		return a64_fp_process_nan(c, dbl, a);
	if (exp == f.emax)
		return sign;
	if (!exp && !frac) {
		c->fpsr |= A64_FPSR_DZC;
		return sign | f.emax << f.fb;
	}
	if (!exp && frac < 1ull << 50) /* below 2^-128 (2^-1024) */
		return recip_overflow(c, f, sign);
	int bias_twice = dbl ? 2046 : 254; /* the result's exponent is bias_twice - 1 - exp */
	if ((c->fpcr & A64_FPCR_FZ) && exp >= (u64)bias_twice - 1) { /* at least 2^126 (2^1022) */
		c->fpsr |= A64_FPSR_UFC;
		return sign;
	}
	int e = (int)exp;
	if (!e) { /* a denormal: normalised by one or two places */
		e = (frac >> 51) ? 0 : -1;
		frac = (frac << (e ? 2 : 1)) & a64_ones(52);
	}
	unsigned est = recip_estimate(256 | (unsigned)(frac >> 44));
	int rexp = bias_twice - 1 - e;
	u64 rfrac = (u64)(est & 0xff) << 44;
	if (rexp == 0) {
		rfrac = 1ull << 51 | rfrac >> 1;
	} else if (rexp == -1) {
		rfrac = 1ull << 50 | rfrac >> 2;
		rexp = 0;
	}
	return sign | (u64)rexp << f.fb | rfrac >> (52 - f.fb);
}

u64 a64_fp_rsqrt_estimate(struct a64_cpu *c, bool dbl, u64 a)
{
	struct fmt f = fmt_of(dbl);
	a = a64_fp_flush_in(c, dbl, a);
	u64 sign = a & f.sign, exp = (a >> f.fb) & f.emax;
	u64 frac = (a & a64_ones(f.fb)) << (52 - f.fb);
	if (exp == f.emax && frac)
		return a64_fp_process_nan(c, dbl, a);
	if (!exp && !frac) {
		c->fpsr |= A64_FPSR_DZC;
		return sign | f.emax << f.fb;
	}
	if (sign) {
		c->fpsr |= A64_FPSR_IOC;
		return dbl ? 0x7ff8000000000000ull : 0x7fc00000ull; /* always the default NaN */
	}
	if (exp == f.emax)
		return 0;
	int e = (int)exp;
	if (!e) { /* a denormal: normalised, the exponent going below zero */
		while (!(frac >> 51)) {
			frac <<= 1;
			e--;
		}
		frac = (frac << 1) & a64_ones(52);
	}
	/* scaled to [0.25, 1), keeping the exponent's parity */
	unsigned scaled = ((unsigned)e & 1) ? 128 | (unsigned)(frac >> 45)
					    : 256 | (unsigned)(frac >> 44);
	unsigned est = rsqrt_estimate(scaled);
	int rexp = ((dbl ? 3068 : 380) - e) / 2;
	return (u64)rexp << f.fb | (u64)(est & 0xff) << (f.fb - 8);
}

u64 a64_fp_recpx(struct a64_cpu *c, bool dbl, u64 a)
{
	struct fmt f = fmt_of(dbl);
	u64 exp = (a >> f.fb) & f.emax;
	a = a64_fp_flush_in(c, dbl, a);
	if (exp == f.emax && (a & a64_ones(f.fb)))
		return a64_fp_process_nan(c, dbl, a);
	u64 sign = a & f.sign;
	/* zeros and denormals: the largest normal exponent; else the
	 * exponent's complement (infinities: zero) */
	return sign | (exp ? ~exp & f.emax : f.emax - 1) << f.fb;
}

u32 a64_recip_estimate_u32(u32 a)
{
	if (!(a >> 31)) /* below 0.5 */
		return 0xffffffffu;
	return (u32)recip_estimate(a >> 23) << 23;
}

u32 a64_rsqrt_estimate_u32(u32 a)
{
	if (!(a >> 30)) /* below 0.25 */
		return 0xffffffffu;
	return (u32)rsqrt_estimate(a >> 23) << 23;
}
