/*
 * smc: self-modifying code.  Instructions are written into a code page,
 * made visible with the architected maintenance (DC CVAU, DSB ISH,
 * IC IVAU, DSB ISH, ISB) and run; the new code must run every time,
 * through many rewrites of a function the engine has already decoded
 * (an immediate, a whole instruction, and the instruction after a
 * rewritten one in the same block).
 */
#include "rt.h"

#define ROUNDS 500

typedef u64 (*fn1)(u64);

static u32 code[1024] ALIGNED(4096);

static u32 movz_x0(u32 imm16) { return 0xd2800000u | imm16 << 5; }
static u32 add_x0_x0(u32 imm12) { return 0x91000000u | imm12 << 10; }
static u32 sub_x0_x0(u32 imm12) { return 0xd1000000u | imm12 << 10; }
#define RET 0xd65f03c0u
#define NOP 0xd503201fu

static void sync_code(u32 *from, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		asm volatile("dc cvau, %0" ::"r"(from + k) : "memory");
	dsb(ish);
	for (unsigned k = 0; k < n; k++)
		asm volatile("ic ivau, %0" ::"r"(from + k) : "memory");
	dsb(ish);
	isb();
}

static void put(u32 *at, u32 insn)
{
	*(volatile u32 *)at = insn;
}

int main(void)
{
	test_start("smc");
	fn1 f = (fn1)(u64)code;
	unsigned bad = 0;

	put(&code[0], movz_x0(0));
	put(&code[1], RET);
	sync_code(code, 2);
	for (u32 round = 1; round <= ROUNDS; round++) {
		put(&code[0], movz_x0(round * 7));
		sync_code(code, 1);
		for (int i = 0; i < 4; i++)
			bad += f(0) != round * 7;
	}
	check_eq(bad, 0, "500 rewrites of a movz immediate, each seen");

	bad = 0;
	put(&code[0], add_x0_x0(0));
	sync_code(code, 1);
	for (u32 round = 0; round < ROUNDS; round++) {
		u32 imm = round % 4096;
		put(&code[0], round & 1 ? sub_x0_x0(imm) : add_x0_x0(imm));
		sync_code(code, 1);
		u64 want = round & 1 ? 1000000 - imm : 1000000 + imm;
		bad += f(1000000) != want;
	}
	check_eq(bad, 0, "alternating ADD/SUB instructions, each seen");

	/* A straight-line block of 64 adds; one of them changes each round. */
	bad = 0;
	for (unsigned k = 0; k < 64; k++)
		put(&code[64 + k], add_x0_x0(1));
	put(&code[128], RET);
	sync_code(&code[64], 65);
	fn1 g = (fn1)(u64)&code[64];
	bad += g(0) != 64;
	for (u32 round = 0; round < ROUNDS; round++) {
		unsigned k = round % 64;
		put(&code[64 + k], add_x0_x0(2 + round % 100));
		sync_code(&code[64 + k], 1);
		bad += g(0) != 63 + 2 + round % 100;
		put(&code[64 + k], add_x0_x0(1));
		sync_code(&code[64 + k], 1);
	}
	check_eq(bad, 0, "an instruction in the middle of a 64-instruction block, rewritten 500 times");

	/* A ret turned into a nop: the function runs on into new code. */
	put(&code[200], movz_x0(1));
	put(&code[201], RET);
	put(&code[202], add_x0_x0(10));
	put(&code[203], RET);
	sync_code(&code[200], 4);
	fn1 h = (fn1)(u64)&code[200];
	u64 r1 = h(0);
	put(&code[201], NOP);
	sync_code(&code[201], 1);
	u64 r2 = h(0);
	check(r1 == 1 && r2 == 11, "a RET replaced by a NOP: the code after it runs");

	/* Code written through the Device alias of its page. */
	put((u32 *)DEVICE_ALIAS(&code[0]), movz_x0(0x4321));
	sync_code(code, 1);
	check_eq(f(0), 0x4321, "code written through another mapping of its page");
	return 0;
}
