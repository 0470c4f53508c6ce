/*
 * The IEEE 754 core of the A64 SIMD&FP instructions: Arm's results and
 * FPSR flags, identical on every host.
 *
 * What the host computes, and why that is host-independent: only the
 * operations IEEE 754 defines as correctly rounded (+, -, *, /, sqrt,
 * fused multiply-add, conversion from binary64 to binary32 and from
 * 64-bit integers) run on the host, on finite
 * non-NaN operands, inside host_begin/host_end: those save the host's
 * floating-point environment, install the default one (fesetenv
 * FE_DFL_ENV: all exceptions masked, no flush-to-zero or
 * denormals-are-zero, i.e. x86 MXCSR = 0x1f80) with the rounding mode
 * FPCR.RMode names, read the exception flags the operation raised, and
 * restore the host's environment.  The operands and results go through
 * volatile objects so the compiler cannot move or fold the arithmetic
 * across the environment changes.  On x86-64 this is SSE arithmetic
 * (never x87: float and double are SSE types in the System V ABI).
 *
 * Everything else is Arm's own rule and is done here explicitly:
 *   - FPProcessNaN(s): signalling NaNs are quietened (IOC), the first
 *     operand in order has priority (FPMulAdd: the addend first), DN
 *     gives the default NaN (positive, quiet, zero payload); an invalid
 *     operation on non-NaN operands gives the default NaN (x86's is
 *     negative);
 *   - FZ: denormal operands become signed zeros (IDC), and results that
 *     are tiny before rounding become signed zeros with UFC only;
 *   - underflow: Arm detects tininess before rounding, x86 after; the
 *     two differ only when a result rounds to the smallest normal, so
 *     any result of magnitude at most the smallest normal is recomputed
 *     rounding toward zero: the exact value is tiny iff that result is
 *     below the smallest normal;
 *   - maximum/minimum, comparisons, rounding to integral (floor, ceil,
 *     trunc, round: exact, mode-independent) and conversions to integers
 *     (Arm's saturation and flags);
 *   - conversions to half precision (integer rounding here: hosts have
 *     no portable half type) and FPCR.AHP's alternative format;
 *   - the special cases of FMULX, FRECPS and FRSQRTS (infinity times
 *     zero), and FRSQRTS's exact halving.
 */
#include <fenv.h>
#include <math.h>

#include "arch/arm64/a64_fp.h"

#define S_SIGN 0x80000000ull
#define D_SIGN (1ull << 63)
#define S_QUIET (1ull << 22)
#define D_QUIET (1ull << 51)
#define S_DEFNAN 0x7fc00000ull
#define D_DEFNAN 0x7ff8000000000000ull
#define S_MINNORM 0x00800000ull
#define D_MINNORM 0x0010000000000000ull

static inline u64 sign_bit(bool dbl)
{
	return dbl ? D_SIGN : S_SIGN;
}
static inline u64 mag(bool dbl, u64 a)
{
	return a & (sign_bit(dbl) - 1);
}
static inline u64 exp_mask(bool dbl)
{
	return dbl ? 0x7ff0000000000000ull : 0x7f800000ull;
}
static inline bool is_nan(bool dbl, u64 a)
{
	return mag(dbl, a) > exp_mask(dbl);
}
static inline bool is_snan(bool dbl, u64 a)
{
	return is_nan(dbl, a) && !(a & (dbl ? D_QUIET : S_QUIET));
}
static inline bool is_inf(bool dbl, u64 a)
{
	return mag(dbl, a) == exp_mask(dbl);
}
static inline bool is_zero(bool dbl, u64 a)
{
	return mag(dbl, a) == 0;
}
static inline u64 default_nan(bool dbl)
{
	return dbl ? D_DEFNAN : S_DEFNAN;
}
static inline u64 infinity(bool dbl, u64 sign)
{
	return (sign & sign_bit(dbl)) | exp_mask(dbl);
}
/* 2.0 and 1.5: FPTwo, FPOnePointFive. */
static inline u64 fp_two(bool dbl)
{
	return dbl ? 0x4000000000000000ull : 0x40000000ull;
}
static inline u64 fp_three(bool dbl)
{
	return dbl ? 0x4008000000000000ull : 0x40400000ull;
}
static inline u64 fp_one_point_five(bool dbl)
{
	return dbl ? 0x3ff8000000000000ull : 0x3fc00000ull;
}

static inline double as_d(u64 a)
{
	double d;
	__builtin_memcpy(&d, &a, 8);
	return d;
}
static inline u64 from_d(double d)
{
	u64 a;
	__builtin_memcpy(&a, &d, 8);
	return a;
}
static inline float as_s(u64 a)
{
	u32 w = (u32)a;
	float f;
	__builtin_memcpy(&f, &w, 4);
	return f;
}
static inline u64 from_s(float f)
{
	u32 w;
	__builtin_memcpy(&w, &f, 4);
	return w;
}

/* FPUnpack's flush: a denormal operand under FZ is a signed zero (IDC). */
static inline u64 flush_in(struct a64_cpu *c, bool dbl, u64 a)
{
	if ((c->fpcr & A64_FPCR_FZ) && !(a & exp_mask(dbl)) && mag(dbl, a)) {
		c->fpsr |= A64_FPSR_IDC;
		return a & sign_bit(dbl);
	}
	return a;
}

/* FPProcessNaN: the NaN a NaN operand gives. */
static u64 process_nan(struct a64_cpu *c, bool dbl, u64 a)
{
	if (is_snan(dbl, a)) {
		c->fpsr |= A64_FPSR_IOC;
		a |= dbl ? D_QUIET : S_QUIET;
	}
	return (c->fpcr & A64_FPCR_DN) ? default_nan(dbl) : a;
}

u64 a64_fp_flush_in(struct a64_cpu *c, bool dbl, u64 a)
{
	return flush_in(c, dbl, a);
}

u64 a64_fp_process_nan(struct a64_cpu *c, bool dbl, u64 a)
{
	return process_nan(c, dbl, a);
}

/* FPProcessNaNs(3): true with *r set when an operand is a NaN. */
static bool process_nans(struct a64_cpu *c, bool dbl, const u64 *ops, unsigned n, u64 *r)
{
	for (unsigned k = 0; k < n; k++)
		if (is_snan(dbl, ops[k])) {
			*r = process_nan(c, dbl, ops[k]);
			return true;
		}
	for (unsigned k = 0; k < n; k++)
		if (is_nan(dbl, ops[k])) {
			*r = process_nan(c, dbl, ops[k]);
			return true;
		}
	return false;
}

/* ---- the host ---- */

static const int host_modes[4] = { FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO };

static inline void host_begin(fenv_t *saved, unsigned rmode)
{
	fegetenv(saved);
	fesetenv(FE_DFL_ENV);
	fesetround(host_modes[rmode & 3]);
}

/* The flags raised since host_begin, as FPSR bits; the host's
 * environment is back. */
static inline u32 host_end(fenv_t *saved)
{
	int e = fetestexcept(FE_ALL_EXCEPT);
	fesetenv(saved);
	return (e & FE_INVALID ? A64_FPSR_IOC : 0) | (e & FE_DIVBYZERO ? A64_FPSR_DZC : 0) |
	       (e & FE_OVERFLOW ? A64_FPSR_OFC : 0) | (e & FE_UNDERFLOW ? A64_FPSR_UFC : 0) |
	       (e & FE_INEXACT ? A64_FPSR_IXC : 0);
}

enum { H_ADD, H_SUB, H_MUL, H_DIV, H_SQRT, H_FMA, H_D2S };

/* One correctly rounded host operation in rounding mode `rmode`. */
static u64 host_op(unsigned op, bool dbl, u64 a, u64 b, u64 d, unsigned rmode, u32 *flags)
{
	fenv_t saved;
	u64 r;
	host_begin(&saved, rmode);
	if (op == H_D2S) {
		volatile double x = as_d(a);
		volatile float y = (float)x;
		r = from_s(y);
	} else if (dbl) {
		volatile double x = as_d(a), y = as_d(b), z = as_d(d), v;
		switch (op) {
		case H_ADD: v = x + y; break;
		case H_SUB: v = x - y; break;
		case H_MUL: v = x * y; break;
		case H_DIV: v = x / y; break;
		case H_SQRT: v = sqrt(x); break;
		default: v = fma(x, y, z); break;
		}
		r = from_d(v);
	} else {
		volatile float x = as_s(a), y = as_s(b), z = as_s(d), v;
		switch (op) {
		case H_ADD: v = x + y; break;
		case H_SUB: v = x - y; break;
		case H_MUL: v = x * y; break;
		case H_DIV: v = x / y; break;
		case H_SQRT: v = sqrtf(x); break;
		default: v = fmaf(x, y, z); break;
		}
		r = from_s(v);
	}
	*flags = host_end(&saved);
	return r;
}

/*
 * A rounded operation on non-NaN operands (already flushed) in rounding
 * mode `rmode`: the host's result and flags (returned in *flags, not
 * yet in FPSR), corrected to Arm's default NaN, tininess before
 * rounding and FZ (FPRound).  `rdbl`: the result's format.
 */
static u64 rounded_in(struct a64_cpu *c, unsigned op, bool dbl, u64 a, u64 b, u64 d,
		      unsigned rmode, u32 *flags)
{
	bool rdbl = op == H_D2S ? false : dbl;
	u32 fl;
	u64 r = host_op(op, dbl, a, b, d, rmode, &fl);
	if (is_nan(rdbl, r)) {
		r = default_nan(rdbl);
	} else if (mag(rdbl, r) <= (rdbl ? D_MINNORM : S_MINNORM) &&
		   (mag(rdbl, r) || (fl & A64_FPSR_IXC))) {
		u32 fz_fl;
		u64 rz = host_op(op, dbl, a, b, d, A64_RZ, &fz_fl);
		bool tiny = mag(rdbl, rz) < (rdbl ? D_MINNORM : S_MINNORM);
		if (tiny && (c->fpcr & A64_FPCR_FZ)) {
			r &= sign_bit(rdbl);
			fl = A64_FPSR_UFC;
		} else if (tiny && (fl & A64_FPSR_IXC)) {
			fl |= A64_FPSR_UFC;
		} else {
			fl &= ~A64_FPSR_UFC;
		}
	}
	*flags = fl;
	return r;
}

/* The same in FPCR's rounding mode, its flags raised. */
static u64 rounded(struct a64_cpu *c, unsigned op, bool dbl, u64 a, u64 b, u64 d)
{
	u32 fl;
	u64 r = rounded_in(c, op, dbl, a, b, d, A64_FPCR_RMODE(c->fpcr), &fl);
	c->fpsr |= fl;
	return r;
}

/* ---- arithmetic ---- */

/* FPMax/FPMin (and the NM forms) of non-NaN operands. */
static u64 max_min(bool dbl, u64 a, u64 b, bool is_max)
{
	if (is_zero(dbl, a) && is_zero(dbl, b)) {
		bool neg = is_max ? (a & b & sign_bit(dbl)) : ((a | b) & sign_bit(dbl));
		return neg ? sign_bit(dbl) : 0;
	}
	double x = dbl ? as_d(a) : (double)as_s(a), y = dbl ? as_d(b) : (double)as_s(b);
	return (is_max ? x > y : x < y) ? a : b;
}

u64 a64_fp_binop(struct a64_cpu *c, unsigned op, bool dbl, u64 a, u64 b)
{
	a = flush_in(c, dbl, a);
	b = flush_in(c, dbl, b);
	u64 ops[2] = { a, b }, r;
	if (op == A64_FMAXNM || op == A64_FMINNM) {
		/* FPMaxNum/FPMinNum: a quiet NaN against a number loses */
		bool qa = is_nan(dbl, a) && !is_snan(dbl, a), qb = is_nan(dbl, b) && !is_snan(dbl, b);
		u64 lose = op == A64_FMAXNM ? exp_mask(dbl) | sign_bit(dbl) : exp_mask(dbl);
		if (qa && !is_nan(dbl, b))
			ops[0] = a = lose;
		else if (qb && !is_nan(dbl, a))
			ops[1] = b = lose;
	}
	if (process_nans(c, dbl, ops, 2, &r)) {
		if (op == A64_FNMUL)
			r = a64_fp_neg(dbl, r);
		else if (op == A64_FABD)
			r = a64_fp_abs(dbl, r);
		return r;
	}
	switch (op) {
	case A64_FADD: return rounded(c, H_ADD, dbl, a, b, 0);
	case A64_FSUB: return rounded(c, H_SUB, dbl, a, b, 0);
	case A64_FMUL: return rounded(c, H_MUL, dbl, a, b, 0);
	case A64_FNMUL: return a64_fp_neg(dbl, rounded(c, H_MUL, dbl, a, b, 0));
	case A64_FABD: return a64_fp_abs(dbl, rounded(c, H_SUB, dbl, a, b, 0));
	case A64_FMULX: /* FPMulX: infinity times zero is 2, signed */
		if ((is_inf(dbl, a) && is_zero(dbl, b)) || (is_zero(dbl, a) && is_inf(dbl, b)))
			return ((a ^ b) & sign_bit(dbl)) | fp_two(dbl);
		return rounded(c, H_MUL, dbl, a, b, 0);
	case A64_FDIV:
		if (is_zero(dbl, b) && !is_zero(dbl, a) && !is_inf(dbl, a)) {
			c->fpsr |= A64_FPSR_DZC;
			return ((a ^ b) & sign_bit(dbl)) | exp_mask(dbl);
		}
		return rounded(c, H_DIV, dbl, a, b, 0);
	case A64_FMAX: case A64_FMAXNM: return max_min(dbl, a, b, true);
	default: return max_min(dbl, a, b, false);
	}
}

u64 a64_fp_sqrt(struct a64_cpu *c, bool dbl, u64 a)
{
	a = flush_in(c, dbl, a);
	if (is_nan(dbl, a))
		return process_nan(c, dbl, a);
	if (is_zero(dbl, a))
		return a;
	if (a & sign_bit(dbl)) {
		c->fpsr |= A64_FPSR_IOC;
		return default_nan(dbl);
	}
	return rounded(c, H_SQRT, dbl, a, 0, 0);
}

u64 a64_fp_muladd(struct a64_cpu *c, bool dbl, u64 addend, u64 a, u64 b)
{
	addend = flush_in(c, dbl, addend);
	a = flush_in(c, dbl, a);
	b = flush_in(c, dbl, b);
	u64 ops[3] = { addend, a, b }, r;
	bool infzero = (is_inf(dbl, a) && is_zero(dbl, b)) || (is_zero(dbl, a) && is_inf(dbl, b));
	if (process_nans(c, dbl, ops, 3, &r)) {
		if (infzero && is_nan(dbl, addend) && !is_snan(dbl, addend)) {
			c->fpsr |= A64_FPSR_IOC;
			r = default_nan(dbl);
		}
		return r;
	}
	return rounded(c, H_FMA, dbl, a, b, addend);
}

/* The exponent field of a finite value, and the value halved when that
 * is exact (a normal whose exponent stays normal). */
static inline unsigned biased_exp(bool dbl, u64 a)
{
	return (unsigned)((a & exp_mask(dbl)) >> (dbl ? 52 : 23));
}
static inline u64 halve_normal(bool dbl, u64 a)
{
	return a - (dbl ? 1ull << 52 : 1ull << 23);
}

/*
 * FPRecipStepFused / FPRSqrtStepFused: the first operand is negated
 * before anything else (so a NaN in it comes back negated), then
 * 2 + a * b or (3 + a * b) / 2 with one rounding.  The halving is exact
 * on the operand of larger exponent when that one stays normal; when
 * neither can be halved the product is below 2^-250 and 3 + a * b rounds
 * to a value near 3 whose half is exact and rounds as (3 + a * b) / 2
 * would.  Neither result can be tiny unless it is exactly zero (the
 * product's last bit is at least 2^-47 of 3's scale).
 */
u64 a64_fp_recip_step(struct a64_cpu *c, bool dbl, u64 a, u64 b, bool rsqrt)
{
	a = flush_in(c, dbl, a64_fp_neg(dbl, a));
	b = flush_in(c, dbl, b);
	u64 ops[2] = { a, b }, r;
	if (process_nans(c, dbl, ops, 2, &r))
		return r;
	if ((is_inf(dbl, a) && is_zero(dbl, b)) || (is_zero(dbl, a) && is_inf(dbl, b)))
		return rsqrt ? fp_one_point_five(dbl) : fp_two(dbl);
	if (is_inf(dbl, a) || is_inf(dbl, b))
		return infinity(dbl, a ^ b);
	if (!rsqrt)
		return rounded(c, H_FMA, dbl, a, b, fp_two(dbl));
	if (biased_exp(dbl, a) < biased_exp(dbl, b)) {
		u64 t = a;
		a = b;
		b = t;
	}
	if (biased_exp(dbl, a) >= 2)
		return rounded(c, H_FMA, dbl, halve_normal(dbl, a), b, fp_one_point_five(dbl));
	return halve_normal(dbl, rounded(c, H_FMA, dbl, a, b, fp_three(dbl)));
}

/* ---- comparisons ---- */

u32 a64_fp_compare(struct a64_cpu *c, bool dbl, u64 a, u64 b, bool signal)
{
	a = flush_in(c, dbl, a);
	b = flush_in(c, dbl, b);
	if (is_nan(dbl, a) || is_nan(dbl, b)) {
		if (signal || is_snan(dbl, a) || is_snan(dbl, b))
			c->fpsr |= A64_FPSR_IOC;
		return A64_C | A64_V;
	}
	double x = dbl ? as_d(a) : (double)as_s(a), y = dbl ? as_d(b) : (double)as_s(b);
	if (x == y)
		return A64_Z | A64_C;
	return x < y ? A64_N : A64_C;
}

bool a64_fp_cmp_lane(struct a64_cpu *c, unsigned op, bool dbl, u64 a, u64 b)
{
	a = flush_in(c, dbl, a);
	b = flush_in(c, dbl, b);
	if (is_nan(dbl, a) || is_nan(dbl, b)) {
		if (op || is_snan(dbl, a) || is_snan(dbl, b))
			c->fpsr |= A64_FPSR_IOC;
		return false;
	}
	double x = dbl ? as_d(a) : (double)as_s(a), y = dbl ? as_d(b) : (double)as_s(b);
	return op == 0 ? x == y : op == 1 ? x >= y : x > y;
}

/* ---- rounding and conversions ---- */

/* x rounded to an integral value in `rmode` (finite x); *inexact.  No
 * host rounding mode is involved (floor, ceil, trunc and round are exact
 * in every mode; GCC's inline rint assumes round-to-nearest). */
static double round_integral(double x, unsigned rmode, bool *inexact)
{
	double r;
	switch (rmode) {
	case A64_RP: r = ceil(x); break;
	case A64_RM: r = floor(x); break;
	case A64_RZ: r = trunc(x); break;
	case A64_RA: r = round(x); break;
	default: {
		r = floor(x);
		double frac = x - r; /* exact */
		if (frac > 0.5 || (frac == 0.5 && fmod(r, 2.0) != 0.0))
			r += 1.0;
		break;
	}
	}
	*inexact = r != x;
	return r;
}

u64 a64_fp_round_int(struct a64_cpu *c, bool dbl, u64 a, unsigned rmode, bool exact)
{
	a = flush_in(c, dbl, a);
	if (is_nan(dbl, a))
		return process_nan(c, dbl, a);
	if (is_inf(dbl, a) || is_zero(dbl, a))
		return a;
	bool inexact;
	double r = round_integral(dbl ? as_d(a) : (double)as_s(a), rmode, &inexact);
	if (exact && inexact)
		c->fpsr |= A64_FPSR_IXC;
	u64 out = dbl ? from_d(r) : from_s((float)r); /* integral: exact */
	return out | (a & sign_bit(dbl)); /* -0.3 rounds to -0 */
}

u64 a64_fp_to_int(struct a64_cpu *c, bool dbl, u64 a, unsigned fbits, bool is_unsigned,
		  unsigned ibits, unsigned rmode)
{
	a = flush_in(c, dbl, a);
	if (is_nan(dbl, a)) {
		c->fpsr |= A64_FPSR_IOC;
		return 0;
	}
	double x = dbl ? as_d(a) : (double)as_s(a);
	x = ldexp(x, (int)fbits); /* exact, or infinite (saturates) */
	bool inexact = false;
	double r = isinf(x) ? x : round_integral(x, rmode, &inexact);
	double lo = is_unsigned ? 0.0 : -ldexp(1.0, (int)ibits - 1);
	double hi = ldexp(1.0, (int)(is_unsigned ? ibits : ibits - 1));
	u64 mask = a64_ones(ibits);
	if (r < lo) {
		c->fpsr |= A64_FPSR_IOC;
		return is_unsigned ? 0 : (1ull << (ibits - 1)) & mask;
	}
	if (r >= hi) {
		c->fpsr |= A64_FPSR_IOC;
		return is_unsigned ? mask : mask >> 1;
	}
	if (inexact)
		c->fpsr |= A64_FPSR_IXC;
	if (is_unsigned)
		return (u64)r & mask;
	return (u64)(i64)r & mask;
}

u64 a64_fp_from_int(struct a64_cpu *c, bool dbl, u64 v, unsigned fbits, bool is_unsigned,
		    unsigned ibits)
{
	if (ibits == 32)
		v = is_unsigned ? v & A64_MASK32 : a64_sext(v, 32);
	fenv_t saved;
	u64 r;
	host_begin(&saved, A64_FPCR_RMODE(c->fpcr));
	if (dbl) {
		volatile double d = is_unsigned ? (double)v : (double)(i64)v;
		r = from_d(ldexp(d, -(int)fbits));
	} else {
		volatile float f = is_unsigned ? (float)v : (float)(i64)v;
		r = from_s(ldexpf(f, -(int)fbits));
	}
	c->fpsr |= host_end(&saved) & A64_FPSR_IXC;
	return r;
}

/* Half precision to a double (exact).  Under AHP (FPCR.AHP, the
 * alternative format) exponent 31 is an ordinary one. */
static double half_to_double(u64 h)
{
	unsigned e = (h >> 10) & 0x1f, f = h & 0x3ff;
	double m = e ? ldexp(1024 + f, (int)e - 25) : ldexp(f, -24);
	return (h & 0x8000) ? -m : m;
}

/* FPRounding's decision for the discarded part `rem` of `q` ulps, `half`
 * being half an ulp. */
static bool round_up(unsigned rmode, bool neg, u64 q, u64 rem, u64 half)
{
	switch (rmode) {
	case A64_RN: return rem > half || (rem == half && (q & 1));
	case A64_RP: return rem && !neg;
	case A64_RM: return rem && neg;
	default: return false;
	}
}

/*
 * FPRoundCV to half precision of a finite nonzero single or double,
 * already flushed: the result is never flushed (FZ is not FZ16),
 * tininess is before rounding, and under AHP there are no infinities:
 * what exceeds the largest value saturates with Invalid Operation.
 */
static u64 round_to_half(struct a64_cpu *c, bool dbl, u64 a)
{
	unsigned fb = dbl ? 52 : 23, bexp = biased_exp(dbl, a), rmode = A64_FPCR_RMODE(c->fpcr);
	bool neg = a & sign_bit(dbl);
	/* |a| = m * 2^e, and 2^top <= |a| < 2^(top + 1) */
	u64 m = bexp ? (a & a64_ones(fb)) | 1ull << fb : a & a64_ones(fb);
	int e = (bexp ? (int)bexp : 1) - (dbl ? 1023 : 127) - (int)fb;
	int top = 63 - __builtin_clzll(m) + e;
	bool tiny = top < -14;
	/* the result's ulp is 2^-24 (denormal) or 2^(top - 10): drop sh bits */
	unsigned sh = (unsigned)((tiny ? -24 : top - 10) - e); /* > 0: fb >= 23 */
	u64 q = 0, rem = 1, half = 2; /* beyond 64 bits: below half an ulp */
	if (sh == 64) {
		rem = m;
		half = 1ull << 63;
	} else if (sh < 64) {
		q = m >> sh;
		rem = m & a64_ones(sh);
		half = 1ull << (sh - 1);
	}
	u32 fl = rem ? (tiny ? A64_FPSR_IXC | A64_FPSR_UFC : A64_FPSR_IXC) : 0;
	q += round_up(rmode, neg, q, rem, half);
	u64 enc = tiny ? q : ((u64)(top + 15) << 10) + q - 1024; /* a carry moves up the exponent */
	if (c->fpcr & A64_FPCR_AHP) {
		if (enc > 0x7fff) {
			enc = 0x7fff;
			fl = A64_FPSR_IOC;
		}
	} else if (enc >= 0x7c00) {
		bool to_inf = rmode == A64_RN || (rmode == A64_RP && !neg) ||
			      (rmode == A64_RM && neg);
		enc = to_inf ? 0x7c00 : 0x7bff;
		fl = A64_FPSR_OFC | A64_FPSR_IXC;
	}
	c->fpsr |= fl;
	return (neg ? 0x8000 : 0) | enc;
}

/* FPConvert of a NaN (AHP to half: a signed zero, Invalid Operation). */
static u64 convert_nan(struct a64_cpu *c, u64 a, unsigned from, unsigned to)
{
	unsigned fb = from == 2 ? 10 : from == 4 ? 23 : 52, tb = to == 2 ? 10 : to == 4 ? 23 : 52;
	u64 fsign = 1ull << (8 * from - 1), tsign = 1ull << (8 * to - 1);
	u64 texp = to == 2 ? 0x7c00 : exp_mask(to == 8);
	bool snan = !(a & (1ull << (fb - 1)));
	if (snan || (to == 2 && (c->fpcr & A64_FPCR_AHP)))
		c->fpsr |= A64_FPSR_IOC;
	if (to == 2 && (c->fpcr & A64_FPCR_AHP))
		return a & fsign ? tsign : 0;
	if (c->fpcr & A64_FPCR_DN)
		return texp | (1ull << (tb - 1));
	/* quietened, the payload kept in the top fraction bits */
	u64 frac = a & a64_ones(fb);
	frac = fb > tb ? frac >> (fb - tb) : frac << (tb - fb);
	return (a & fsign ? tsign : 0) | texp | frac | (1ull << (tb - 1));
}

/* From half precision (never flushed: FZ is not FZ16). */
static u64 convert_from_half(struct a64_cpu *c, u64 a, unsigned to)
{
	bool ahp = c->fpcr & A64_FPCR_AHP;
	if (!ahp && (a & 0x7fff) > 0x7c00)
		return convert_nan(c, a, 2, to);
	u64 s = (a & 0x8000) ? 1 : 0;
	if (!ahp && (a & 0x7fff) == 0x7c00)
		return to == 8 ? s << 63 | exp_mask(true) : s << 31 | exp_mask(false);
	double d = half_to_double(a);
	return to == 8 ? from_d(d) : from_s((float)d); /* exact */
}

u64 a64_fp_convert(struct a64_cpu *c, u64 a, unsigned from, unsigned to)
{
	if (from == 2)
		return convert_from_half(c, a, to);
	bool fdbl = from == 8;
	a = flush_in(c, fdbl, a);
	if (is_nan(fdbl, a))
		return convert_nan(c, a, from, to);
	u64 neg = a & sign_bit(fdbl) ? 1 : 0;
	if (to == 2 && is_inf(fdbl, a)) {
		if (!(c->fpcr & A64_FPCR_AHP))
			return neg << 15 | 0x7c00;
		c->fpsr |= A64_FPSR_IOC;
		return neg << 15 | 0x7fff;
	}
	if (to == 2)
		return is_zero(fdbl, a) ? neg << 15 : round_to_half(c, fdbl, a);
	if (to == 8)
		return from_d((double)as_s(a)); /* exact, denormals too */
	if (is_inf(true, a) || is_zero(true, a))
		return neg << 31 | (is_inf(true, a) ? exp_mask(false) : 0);
	return rounded(c, H_D2S, true, a, 0, 0);
}

/* FCVTXN: rounding to odd is truncation with the last bit set when
 * anything was dropped.  A result flushed under FZ raises no Inexact and
 * stays zero; an overflowing one is the largest normal, odd already. */
u64 a64_fp_convert_odd(struct a64_cpu *c, u64 a)
{
	a = flush_in(c, true, a);
	if (is_nan(true, a) || is_inf(true, a) || is_zero(true, a))
		return a64_fp_convert(c, a, 8, 4);
	u32 fl;
	u64 r = rounded_in(c, H_D2S, true, a, 0, 0, A64_RZ, &fl);
	c->fpsr |= fl;
	return (fl & A64_FPSR_IXC) ? r | 1 : r;
}
