/*
 * count: a deterministic arithmetic loop of 1,000,000 iterations.  The
 * driver stops it at exact instruction counts (--max-insns) and compares
 * state hashes of two runs.  Nothing is printed before the loop ends.
 */
#include "rt.h"

#define ITERATIONS 1000000u

/* The same recurrence in C, to check the assembly loop's result. */
static u32 reference(void)
{
	u32 a = 1, b = 0x9e3779b9u;

	for (u32 i = ITERATIONS; i; i--) {
		a = a * 3 + i;
		b ^= a;
		b = b << 5 | b >> 27;
	}
	return a ^ b;
}

int main(void)
{
	u32 a = 1, b = 0x9e3779b9u, i = ITERATIONS;

	/* 6 instructions per iteration */
	asm volatile("1:\n\t"
		     "imul $3, %[a], %[a]\n\t"
		     "add %[i], %[a]\n\t"
		     "xor %[a], %[b]\n\t"
		     "rol $5, %[b]\n\t"
		     "dec %[i]\n\t"
		     "jnz 1b\n\t"
		     : [a] "+r"(a), [b] "+r"(b), [i] "+r"(i)
		     :
		     : "cc");
	test_start("count");
	check_eq(a ^ b, reference(), "loop result matches the C reference");
	return test_finish();
}
