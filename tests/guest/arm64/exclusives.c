/*
 * exclusives: LDXR/STXR loops; STXR failing with the monitor closed, after
 * CLREX and after an exception between LDXR and STXR (encore clears the
 * monitor on exception entry and return); LDAXR/STLXR and LDXP/STXP; the
 * LSE atomics (LDADD, SWP, CAS, LDCLR, LDSET, LDEOR, LDSMAX, LDUMIN) and
 * their results.  With a second CPU (--smp 2, PSCI CPU_ON) both CPUs add
 * to shared counters with LDXR/STXR and with LDADD: exact totals.
 */
#include "rt.h"

/* The LSE atomics are ARMv8.1: the A64 engine has them. */
asm(".arch_extension lse");

#define ROUNDS 1000
#define SMP_ROUNDS 20000

static u64 word ALIGNED(16);
static u64 pair[2] ALIGNED(16);
static volatile u64 shared_llsc ALIGNED(64), shared_ldadd ALIGNED(64);
static volatile u32 cpu1_done;

static u64 ldxr(u64 *p)
{
	u64 v;
	asm volatile("ldxr %0, [%1]" : "=r"(v) : "r"(p) : "memory");
	return v;
}

static u32 stxr(u64 *p, u64 v)
{
	u32 st;
	asm volatile("stxr %w0, %2, [%1]" : "=&r"(st) : "r"(p), "r"(v) : "memory");
	return st;
}

static void add_llsc(volatile u64 *p, u64 n)
{
	u64 tmp;
	u32 st;
	asm volatile("1: ldxr %0, [%2]\n\t"
		     "add %0, %0, %3\n\t"
		     "stxr %w1, %0, [%2]\n\t"
		     "cbnz %w1, 1b"
		     : "=&r"(tmp), "=&r"(st) : "r"(p), "r"(n) : "memory");
}

static void test_llsc(void)
{
	word = 0;
	for (int i = 0; i < ROUNDS; i++)
		add_llsc(&word, 3);
	check_eq(word, 3 * ROUNDS, "1000 LDXR/ADD/STXR loops");

	unsigned fails = 0;
	word = 5;
	for (int i = 0; i < ROUNDS; i++) {
		u64 v = ldxr(&word);
		fails += stxr(&word, v + 1);
	}
	check_eq(fails, 0, "STXR right after LDXR always succeeds here (no contention)");
	check_eq(word, 5 + ROUNDS, "and stores");

	asm volatile("clrex" ::: "memory");
	check_eq(stxr(&word, 77), 1, "STXR with the monitor closed fails (status 1)");
	check_eq(word, 5 + ROUNDS, "a failed STXR stores nothing");

	(void)ldxr(&word);
	asm volatile("clrex" ::: "memory");
	check_eq(stxr(&word, 78), 1, "LDXR, CLREX, STXR: the STXR fails");

	u32 st;
	u64 v;
	probe_arm();
	asm volatile("ldxr %0, [%2]\n\t"
		     "svc #1\n\t"
		     "stxr %w1, %0, [%2]"
		     : "=&r"(v), "=&r"(st) : "r"(&word) : "memory");
	check(last_fault.taken, "the SVC between LDXR and STXR was taken");
	check_eq(st, 1, "LDXR, an exception taken and returned, STXR: the STXR fails");
	check_eq(word, 5 + ROUNDS, "and stores nothing");

	u64 a;
	asm volatile("ldaxr %0, [%2]\n\t"
		     "add %0, %0, #1\n\t"
		     "stlxr %w1, %0, [%2]"
		     : "=&r"(a), "=&r"(st) : "r"(&word) : "memory");
	check(st == 0 && word == 6 + ROUNDS, "LDAXR/STLXR increment");

	u32 w32;
	asm volatile("ldxr %w0, [%2]\n\t"
		     "add %w0, %w0, #2\n\t"
		     "stxr %w1, %w0, [%2]"
		     : "=&r"(w32), "=&r"(st) : "r"(&word) : "memory");
	check(st == 0 && word == 8 + ROUNDS, "32-bit LDXR/STXR on the low half");

	pair[0] = 10, pair[1] = 20;
	u64 lo, hi;
	asm volatile("ldxp %0, %1, [%3]\n\t"
		     "add %0, %0, #1\n\t"
		     "add %1, %1, #2\n\t"
		     "stxp %w2, %0, %1, [%3]"
		     : "=&r"(lo), "=&r"(hi), "=&r"(st) : "r"(pair) : "memory");
	check(st == 0 && pair[0] == 11 && pair[1] == 22, "LDXP/STXP of a 128-bit pair");
}

static void test_lse(void)
{
	u64 old, m;
	word = 100;
	asm volatile("ldadd %1, %0, [%2]" : "=&r"(old) : "r"(23ul), "r"(&word) : "memory");
	check(old == 100 && word == 123, "LDADD returns the old value and adds");
	asm volatile("ldaddal %1, %0, [%2]" : "=&r"(old) : "r"(-3ul), "r"(&word) : "memory");
	check(old == 123 && word == 120, "LDADDAL with a negative addend");
	asm volatile("swp %1, %0, [%2]" : "=&r"(old) : "r"(0xabcdul), "r"(&word) : "memory");
	check(old == 120 && word == 0xabcd, "SWP");

	m = 0xabcd;
	asm volatile("cas %0, %1, [%2]" : "+r"(m) : "r"(0x1234ul), "r"(&word) : "memory");
	check(m == 0xabcd && word == 0x1234, "CAS with the expected value: swaps, Rs = old");
	m = 0x9999;
	asm volatile("casal %0, %1, [%2]" : "+r"(m) : "r"(0x5555ul), "r"(&word) : "memory");
	check(m == 0x1234 && word == 0x1234, "CASAL with a wrong value: no store, Rs = current");

	word = 0xff00ff00ff00ff00ul;
	asm volatile("ldclr %1, %0, [%2]" : "=&r"(old) : "r"(0xf000000000000f00ul), "r"(&word) : "memory");
	check(old == 0xff00ff00ff00ff00ul && word == 0x0f00ff00ff00f000ul, "LDCLR");
	asm volatile("ldset %1, %0, [%2]" : "=&r"(old) : "r"(0xful), "r"(&word) : "memory");
	check(word == 0x0f00ff00ff00f00ful, "LDSET");
	asm volatile("ldeor %1, %0, [%2]" : "=&r"(old) : "r"(0xffful), "r"(&word) : "memory");
	check(word == 0x0f00ff00ff00fff0ul, "LDEOR");

	word = (u64)-5;
	asm volatile("ldsmax %1, %0, [%2]" : "=&r"(old) : "r"(3ul), "r"(&word) : "memory");
	check(old == (u64)-5 && word == 3, "LDSMAX: signed");
	asm volatile("ldumin %1, %0, [%2]" : "=&r"(old) : "r"((u64)-1), "r"(&word) : "memory");
	check(old == 3 && word == 3, "LDUMIN: unsigned");

	u32 w = 0xfffffff0u, o32;
	asm volatile("ldadd %w1, %w0, [%2]" : "=&r"(o32) : "r"(0x20u), "r"(&w) : "memory");
	check(o32 == 0xfffffff0u && w == 0x10, "32-bit LDADD wraps");
	u8 b = 7, ob;
	asm volatile("swpb %w1, %w0, [%2]" : "=&r"(ob) : "r"(0x1ffu), "r"(&b) : "memory");
	check(ob == 7 && b == 0xff, "SWPB stores one byte");
}

static void count_both(void)
{
	for (int i = 0; i < SMP_ROUNDS; i++) {
		add_llsc(&shared_llsc, 1);
		u64 old;
		asm volatile("ldadd %1, %0, [%2]" : "=&r"(old) : "r"(1ul), "r"(&shared_ldadd) : "memory");
	}
}

static void cpu1_main(unsigned cpu)
{
	(void)cpu;
	count_both();
	asm volatile("stlr %w0, [%1]" ::"r"(1u), "r"(&cpu1_done) : "memory");
}

static void test_smp(void)
{
	s64 r = cpu_start(1, cpu1_main);
	if (r == -2) {
		printf("exclusives: one CPU: the two-CPU checks are skipped\n");
		return;
	}
	check_eq(r, 0, "PSCI CPU_ON of CPU 1");
	count_both();
	while (!cpu1_done)
		asm volatile("yield");
	dmb(ish);
	check_eq(shared_llsc, 2 * SMP_ROUNDS, "two CPUs, LDXR/STXR: exact total");
	check_eq(shared_ldadd, 2 * SMP_ROUNDS, "two CPUs, LDADD: exact total");
	for (int i = 0; i < 1000 && psci(PSCI_AFFINITY_INFO, 1, 0, 0) != 1; i++)
		asm volatile("yield");
	check_eq(psci(PSCI_AFFINITY_INFO, 1, 0, 0), 1, "CPU 1 is off after CPU_OFF");
}

int main(void)
{
	test_start("exclusives");
	test_llsc();
	test_lse();
	test_smp();
	return 0;
}
