/*
 * What the differential tests of the AArch64 interpreter against QEMU
 * (test_a64_diff, test_a64_diff_simd, test_a64_diff_elem) share: the
 * protocol of tests/guest/arm64/diff_harness.c, qemu-aarch64 running
 * that harness, the encore side that runs the same case (one CPU at EL0
 * over flat memory), the comparison and failure report, and the run:
 * the options, the families' cases sent in batches, the summary.  Each
 * test keeps its families, its case generator and any check of its own
 * (the values they draw from: a64_diff_values.h).
 *
 * Options: ENCORE_TEST_SEED, ENCORE_DIFF_SCALE (cases per family times
 * this, default 1), ENCORE_DIFF_ONLY (families whose name contains it),
 * ENCORE_A64_HARNESS (the harness; default BUILD/tests/arm64/diff_harness
 * next to the program), ENCORE_QEMU_AARCH64 (default qemu-aarch64),
 * ENCORE_A64_LIST=1 (print every family with its number of cases).
 */
#ifndef ENCORE_TESTS_A64_DIFF_SUPPORT_H
#define ENCORE_TESTS_A64_DIFF_SUPPORT_H

#include <stdbool.h>

#include "check.h"
#include "arch/arm64/a64_cpu.h"

/* ---- the protocol (tests/guest/arm64/diff_harness.c) ---- */

#define CODE_BASE 0x50000000ull
#define CODE_SIZE 0x10000000ull
#define DATA_ADDR 0x57f80000ull
#define DATA_SIZE 0x4000u
#define MAX_INSNS 4
#define CODE_PC 0x58000000ull /* cases start in the 64 KiB from here */

#define CASE_VREGS 1u /* V0..V31 are inputs and outputs */
#define CASE_FP 2u    /* FPCR and FPSR too */

struct case_in {
	u32 flags;
	u32 ninsns;
	u32 insn[MAX_INSNS];
	u64 pc;
	u64 x[31];
	u64 sp;
	u64 nzcv;
	u32 patch_off, patch_len;
	u8 patch[64];
};

_Static_assert(sizeof(struct case_in) == 368, "case layout");

/* ---- a case and how it ended ---- */

struct tcase {
	struct case_in in;
	u8 v[32][16];
	u32 fp[2]; /* FPCR, FPSR */
};

enum { OUT_DONE, OUT_UNDEF, OUT_ALIGN, OUT_DABT, OUT_SPALIGN, OUT_OTHER };

struct outcome {
	int kind;
	u64 pc;       /* done: the pc reached; else the faulting instruction */
	u64 far;      /* alignment fault, data abort */
	u32 info;     /* QEMU: the signal; encore: ESR_EL1 */
	u64 x[31], sp;
	u32 nzcv;
	u8 v[32][16];
	u32 fp[2];
	u8 *data;     /* the window after the case */
};

/* ---- families and the run ---- */

struct a64_diff_family;
typedef void (*a64_diff_fix_fn)(const struct a64_diff_family *f, struct tcase *t);

/* An instruction form (and addressing mode): its cases are the word
 * value | (random & mask), then fix (if any) on the whole case. */
struct a64_diff_family {
	char name[40];
	u32 value, mask;
	a64_diff_fix_fn fix;
	/* The test's own: what its generator, fix-ups and checks need. */
	u8 kind, mode, size;
	bool vregs;
	unsigned base;       /* cases at scale 1 */
	unsigned ran;
	unsigned outcomes[OUT_OTHER + 1]; /* how QEMU's runs ended */
};

/* Add a family of `base` cases at scale 1 (at most 1000 families). */
struct a64_diff_family *a64_diff__family(const char *name, u32 value, u32 mask,
					 a64_diff_fix_fn fix, unsigned base);

/* A test: its generator, families, cases and checks. */
struct a64_diff_test {
	u64 seed;          /* ENCORE_TEST_SEED's default */
	/* The test's generator: seeded here, it fills the window, then
	 * setup and the cases draw from it. */
	struct rng *rng;
	/* Add the families (and check what needs no QEMU). */
	void (*setup)(void);
	/* A case of `f` (its whole struct tcase). */
	void (*gen_case)(const struct a64_diff_family *f, struct tcase *t);
	/* Called after the comparison of each case, with QEMU's outcome `q`
	 * (NULL: nothing more to check). */
	void (*check)(const struct a64_diff_family *f, const struct tcase *t,
		      const struct outcome *q);
	/* ENCORE_A64_LIST: the width of the names, and whether to count
	 * alignment faults and data aborts. */
	int list_width;
	bool list_faults;
};

/*
 * The whole test: the seed, the data window, setup, then every selected
 * family's cases run in QEMU and in encore and compared (how the case
 * ended, X, SP, NZCV, V with CASE_VREGS, FPCR and FPSR with CASE_FP, the
 * window), one check each; the summary.  Returns the exit code.
 */
int a64_diff__main(const struct a64_diff_test *test);

#endif
