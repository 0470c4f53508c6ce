/*
 * What the differential test programs (test_diff_*.c) share on top of
 * diff_harness.h: their options, running a named case, and ModRM memory
 * operands that reach the data window.
 *
 * ENCORE_TEST_SEED: the seed.  ENCORE_DIFF_SCALE: multiply the number of
 * cases per form.  ENCORE_DIFF_ONLY: run only the families whose name
 * contains this string.
 */
#ifndef ENCORE_TEST_DIFF_CASES_H
#define ENCORE_TEST_DIFF_CASES_H

#include <stdbool.h>

#include "check.h"
#include "diff_harness.h"

/*
 * Read the options, seed *rng (default_seed unless ENCORE_TEST_SEED is
 * set), set up the harness (or skip the program) and fill `data`
 * (DIFF_DATA_SIZE bytes) with random bytes.
 */
void diff_cases_start(struct rng *rng, u64 default_seed, unsigned default_scale, u8 *data);
/* Whether the family `name` runs (ENCORE_DIFF_ONLY). */
bool diff_family_on(const char *name);
/* How many cases a form with `base` cases at scale 1 runs. */
unsigned diff_ncases(unsigned base);

/* The low `size` bytes of a register. */
static inline u64 diff_size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* A state with random GPRs (RSP 0) and flags, the rest diff_state_init's. */
void diff_random_gprs(struct diff_state *st, struct rng *rng);

/* diff_check with the tag "fam#idx". */
bool diff_check_case(const char *fam, unsigned idx, const u8 *code, unsigned len,
		     const struct diff_state *st, const u8 *data, const struct diff_opts *o);

/* A random window offset at least 4 KiB from either end, aligned to `align`. */
unsigned diff_pick_off(struct rng *rng, unsigned align);

/* The rel32 that makes an instruction `len` bytes long at DIFF_CODE_ADDR reach `target`. */
i32 diff_rip_disp(u64 target, unsigned len);

/*
 * A ModRM memory operand reaching window offset `off`: RIP-relative,
 * [base + disp8] or [base + disp32].
 */
struct diff_mem {
	int base;    /* -1: RIP-relative */
	i32 disp;
	bool disp32; /* else disp8 (with a base) */
	unsigned off;
	int disp_at; /* where diff_mem_emit put the rel32, or -1 */
};

/*
 * Pick the form: rng_below(nforms) gives 0 RIP-relative, 2 disp32, any
 * other disp8.  The base is not RSP nor in `avoid`; st->gpr[base] is set
 * so the operand reaches the window.
 */
void diff_mem_pick(struct diff_mem *m, struct rng *rng, unsigned nforms, u32 avoid,
		   unsigned off, struct diff_state *st);
/* Emit ModRM (reg field `reg`), SIB and displacement at out + n; returns the new length. */
int diff_mem_emit(struct diff_mem *m, u8 *out, int n, int reg);
/* Once the instruction is `len` bytes long: fill in the RIP-relative rel32. */
void diff_mem_finish(const struct diff_mem *m, u8 *out, int len);

#endif
