/*
 * Guest memory as an instruction sees it: virtual addresses, translated
 * by the stage-1 MMU when SCTLR_EL1.M is set, then RAM or a device.
 * A failed access takes the exception itself (Data Abort, alignment) and
 * returns A64_EXC, which the handler returns at once.
 */
#ifndef ARM64_A64_MEM_H
#define ARM64_A64_MEM_H

#include "arch/arm64/a64_cpu.h"

/* How an access is made (bits). */
#define A64_ACC_WRITE 0x01
#define A64_ACC_UNPRIV 0x02   /* LDTR/STTR: checked as EL0 */
#define A64_ACC_ALIGNED 0x04  /* exclusives, acquire/release, atomics:
			       * unaligned is an alignment fault */
#define A64_ACC_FETCH 0x08    /* instruction fetch */
#define A64_ACC_ATOMIC 0x10   /* read-modify-write (LSE), reported as a write */

/* Read `size` (1, 2, 4, 8 or 16) bytes at `va` into `out` (little-endian). */
int a64_load(struct a64_cpu *c, u64 va, unsigned size, void *out, unsigned acc);
/* Write `size` bytes from `in` at `va`. */
int a64_store(struct a64_cpu *c, u64 va, unsigned size, const void *in, unsigned acc);

/* Zero-extending conveniences. */
static inline int a64_load_u64(struct a64_cpu *c, u64 va, unsigned size, u64 *v, unsigned acc)
{
	*v = 0;
	return a64_load(c, va, size, v, acc);
}
static inline int a64_store_u64(struct a64_cpu *c, u64 va, unsigned size, u64 v, unsigned acc)
{
	return a64_store(c, va, size, &v, acc);
}

#endif
