/*
 * count: a loop of exactly 4 instructions per iteration, 1,000,000
 * iterations, run before anything is printed.  tests/e2e/arm64_guests.sh
 * stops it at exact instruction counts (--max-insns) and checks that
 * stops 4k instructions apart inside the loop land on the same PC.
 */
#include "rt.h"

#define ITERATIONS 1000000u

static u64 reference(void)
{
	u64 a = 1, b = 0x9e3779b97f4a7c15ul;
	for (u64 i = ITERATIONS; i; i--) {
		a = a * 3 + i;
		b ^= a;
	}
	return a ^ b;
}

int main(void)
{
	u64 a = 1, b = 0x9e3779b97f4a7c15ul, i = ITERATIONS;
	/* 4 instructions per iteration. */
	asm volatile(".global count_loop\n"
		     "count_loop:\n\t"
		     "madd %[a], %[a], %[three], %[i]\n\t"
		     "eor %[b], %[b], %[a]\n\t"
		     "subs %[i], %[i], #1\n\t"
		     "b.ne count_loop"
		     : [a] "+r"(a), [b] "+r"(b), [i] "+r"(i)
		     : [three] "r"(3ul)
		     : "cc");
	test_start("count");
	check_eq(a ^ b, reference(), "the loop's result matches the C reference");
	return 0;
}
