/*
 * Shared helpers for the unit test programs: pass/fail counters, CHECK,
 * failure-report throttling per group, the summary line and exit code,
 * the seed taken from ENCORE_TEST_SEED, and a small PRNG.
 *
 * Conventions: a test program exits 0 when everything passed, 77 when it
 * was skipped (check_skip), and 1 otherwise.  Every failure prints one
 * line starting with "FAIL"; the last line is "<N> passed, <M> failed".
 */
#ifndef ENCORE_TEST_CHECK_H
#define ENCORE_TEST_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

extern unsigned long check_passed, check_failed;

/*
 * Failure lines are printed for at most check_report_limit failures per
 * group (default 25, ENCORE_TEST_MAX_REPORT overrides, 0 = unlimited);
 * the rest are counted and summarised when the group ends.
 */
extern unsigned long check_report_limit;

/* Start a named group of checks (ends the previous one). */
void check_group(const char *name);
/* End the current group: prints how many failure lines were suppressed. */
void check_group_end(void);

/* Count a pass. */
void check_pass(void);
/* Count a failure; true if its line should be printed. */
bool check_fail(void);
/* Count a failure and print "FAIL <where>: <message>" (if not throttled). */
void check_failf(const char *where, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define CHECK_STR2(x) #x
#define CHECK_STR(x) CHECK_STR2(x)
#define CHECK(cond, fmt, ...)                                                          \
	do {                                                                           \
		if (cond)                                                              \
			check_pass();                                                  \
		else                                                                   \
			check_failf(__FILE__ ":" CHECK_STR(__LINE__), "%s: " fmt, #cond, \
				    ##__VA_ARGS__);                                    \
	} while (0)

/* Print "<N> passed, <M> failed" and return the exit code (0 or 1). */
int check_summary(void);
/* Print "SKIP: <reason>" and exit 77. */
_Noreturn void check_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The seed: ENCORE_TEST_SEED (decimal or 0x hex) if set, else `dflt`.
 * Prints "seed: <value>" so a failing run can be repeated.
 */
uint64_t check_seed(uint64_t dflt);
/* An unsigned integer from the environment, or dflt. */
uint64_t check_env_u64(const char *name, uint64_t dflt);

/* ---- PRNG: xoshiro256** seeded through splitmix64 ---- */

struct rng {
	uint64_t s[4];
};

static inline uint64_t rng__splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = rng__splitmix(&seed);
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t x = s[1] * 5;
	uint64_t res = ((x << 7) | (x >> 57)) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return res;
}

/* Uniform in [0, n), n > 0 (the tiny modulo bias does not matter here). */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

/* True with probability num/den. */
static inline bool rng_chance(struct rng *r, unsigned num, unsigned den)
{
	return rng_below(r, den) < num;
}

static inline void rng_fill(struct rng *r, void *buf, size_t n)
{
	uint8_t *p = buf;
	while (n >= 8) {
		uint64_t v = rng_next(r);
		__builtin_memcpy(p, &v, 8);
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = rng_next(r);
		__builtin_memcpy(p, &v, n);
	}
}

#endif
