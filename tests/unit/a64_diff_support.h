/*
 * What the two differential tests of the AArch64 interpreter against QEMU
 * (test_a64_diff, test_a64_diff_simd) share: the protocol of
 * tests/guest/arm64/diff_harness.c, qemu-aarch64 running that harness, the
 * encore side that runs the same case (one CPU at EL0 over flat memory),
 * and the failure report.  Each test keeps its families, its case
 * generator and any comparison of its own.
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

/* Start qemu-aarch64 with the harness (skips the test when either is
 * missing) and the encore CPU; `window` is the data window every case
 * starts from, on both sides. */
void a64_diff__start(const u8 window[DATA_SIZE]);
void a64_diff__stop(void);
/* False once the harness stopped answering or could not be started. */
bool a64_diff__qemu_alive(void);
/* Both pipes hold a whole batch, so the next batch can be sent before
 * this one's answers are read. */
bool a64_diff__pipelined(void);

/* Send a batch of cases; the answers come, in order, with qemu_result. */
void a64_diff__qemu_send(const struct tcase *t, unsigned n);
bool a64_diff__qemu_result(const struct tcase *t, struct outcome *o);
void a64_diff__encore_run(const struct tcase *t, struct outcome *o);

/* A failure line, kept within its buffer. */
struct a64_diff_line {
	char s[4096];
	size_t n;
};

void a64_diff__add(struct a64_diff_line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Add to `l` everything that differs between QEMU's outcome and encore's
 * that both tests check (how the case ended, X, SP, NZCV, V with
 * CASE_VREGS, the window); true if anything did. */
bool a64_diff__differences(struct a64_diff_line *l, const struct tcase *t,
			   const struct outcome *q, const struct outcome *e);
/* Count the case as passed, or as failed with one line: the
 * instructions, their inputs and `diffs`.  Returns !bad. */
bool a64_diff__report(const char *tag, const struct tcase *t, const struct a64_diff_line *diffs,
		      bool bad);

#endif
