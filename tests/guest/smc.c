/*
 * smc: self-modifying code.  Machine code is written into writable pages,
 * run, modified and run again; the new bytes must take effect, including
 * bytes that follow the modifying store in the same straight-line block,
 * an instruction that straddles two pages, code written by REP MOVSB, and
 * code modified through a second virtual alias of its physical page.
 */
#include "rt.h"

typedef u64 (*fn0)(void);
typedef u64 (*fn1)(u64);
typedef u64 (*fn3)(u64, u64, u64);

static u8 codebuf[3 * 4096] ALIGNED(4096);

static void emit(u8 *at, const u8 *bytes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((volatile u8 *)at)[i] = bytes[i];
}

static void put32(u8 *at, u32 v)
{
	for (int i = 0; i < 4; i++)
		((volatile u8 *)at)[i] = (u8)(v >> (8 * i));
}

/* mov eax, imm32; ret -- then change the immediate between calls. */
static void test_immediate(void)
{
	u8 *code = codebuf;
	static const u8 tmpl[] = { 0xb8, 0, 0, 0, 0, 0xc3 };
	int bad = 0;

	emit(code, tmpl, sizeof(tmpl));
	for (u32 round = 1; round <= 8; round++) {
		u32 want = 0x11111111u * round;

		put32(code + 1, want);
		for (int i = 0; i < 50; i++)
			bad += ((fn0)code)() != want;
	}
	check_eq(bad, 0, "new immediate seen after rewriting a called function");

	bad = 0;
	put32(code + 1, 0);
	for (u32 b = 1; b < 256; b++) {
		((volatile u8 *)code)[2] = (u8)b; /* one byte of a hot function */
		bad += ((fn0)code)() != b << 8;
	}
	check_eq(bad, 0, "single-byte changes of a hot function's immediate");
}

/* The store rewrites the immediate of the very next instruction. */
static void test_next_instruction(void)
{
	u8 *code = codebuf + 0x100;
	static const u8 tmpl[] = {
		0x40, 0x88, 0x3d, 0x01, 0x00, 0x00, 0x00, /* mov [rip+1], dil */
		0xb8, 0x00, 0x00, 0x00, 0x00,             /* mov eax, imm32 */
		0xc3,                                     /* ret */
	};
	int bad = 0;
	u64 first;

	emit(code, tmpl, sizeof(tmpl));
	first = ((fn1)code)(0x5a);
	check_eq(first, 0x5a, "store into the next instruction: first run");
	for (u64 x = 0; x < 600; x++)
		bad += ((fn1)code)(x) != (x & 0xff);
	check_eq(bad, 0, "store into the next instruction: 600 runs with changing values");
}

/* The store rewrites an immediate three instructions further on. */
static void test_later_instruction(void)
{
	u8 *code = codebuf + 0x200;
	static const u8 tmpl[] = {
		0x40, 0x88, 0x3d, 0x0a, 0x00, 0x00, 0x00, /* mov [rip+10], dil */
		0x31, 0xc0,                               /* xor eax, eax */
		0x83, 0xc0, 0x01,                         /* add eax, 1 */
		0x83, 0xc0, 0x01,                         /* add eax, 1 */
		0x83, 0xc0, 0x00,                         /* add eax, imm8 (patched) */
		0xc3,                                     /* ret */
	};
	int bad = 0;

	emit(code, tmpl, sizeof(tmpl));
	for (u64 round = 0; round < 3; round++)
		for (u64 x = 0; x < 128; x++)
			bad += ((fn1)code)(x) != 2 + x;
	check_eq(bad, 0, "store into an instruction later in the same block");
}

/* The store rewrites the opcode of a later instruction: add/sub/xor/and/or. */
static void test_opcode(void)
{
	u8 *code = codebuf + 0x300;
	static const u8 tmpl[] = {
		0x40, 0x88, 0x3d, 0x04, 0x00, 0x00, 0x00, /* mov [rip+4], dil */
		0x89, 0xf0,                               /* mov eax, esi */
		0x89, 0xd1,                               /* mov ecx, edx */
		0x01, 0xc8,                               /* add eax, ecx (opcode patched) */
		0xc3,                                     /* ret */
	};
	static const u8 ops[] = { 0x01, 0x29, 0x31, 0x21, 0x09 };
	int bad = 0;

	emit(code, tmpl, sizeof(tmpl));
	for (u32 i = 0; i < 100; i++) {
		u32 a = 0x12345678u + i * 77, b = 0x0ff00ff0u ^ i * 3, want = 0;
		u8 op = ops[i % ARRAY_SIZE(ops)];

		switch (op) {
		case 0x01: want = a + b; break;
		case 0x29: want = a - b; break;
		case 0x31: want = a ^ b; break;
		case 0x21: want = a & b; break;
		case 0x09: want = a | b; break;
		}
		bad += (u32)((fn3)code)(op, a, b) != want;
	}
	check_eq(bad, 0, "store rewrites a later instruction's opcode");
}

/* A loop whose body rewrites its own next instruction every iteration. */
static void test_loop(void)
{
	u8 *code = codebuf + 0x400;
	static const u8 tmpl[] = {
		0x89, 0xf9,                         /* mov ecx, edi */
		0x31, 0xc0,                         /* xor eax, eax */
		0x88, 0x0d, 0x02, 0x00, 0x00, 0x00, /* 4: mov [rip+2], cl */
		0x83, 0xc0, 0x00,                   /* add eax, imm8 (patched) */
		0xe2, 0xf5,                         /* loop 4 */
		0xc3,                               /* ret */
	};
	static const u64 ns[] = { 1, 2, 100, 127, 50 };

	emit(code, tmpl, sizeof(tmpl));
	for (u32 i = 0; i < ARRAY_SIZE(ns); i++)
		check_eq(((fn1)code)(ns[i]), ns[i] * (ns[i] + 1) / 2,
			 "loop rewriting its own body, n=%lu", ns[i]);
}

/* mov eax, imm32 whose immediate straddles a page boundary. */
static void test_page_straddle(void)
{
	u8 *entry = codebuf + 0xff0, *mov = codebuf + 0xffd;
	int bad = 0;

	for (u8 *p = entry; p < mov; p++)
		*(volatile u8 *)p = 0x90; /* nop */
	mov[0] = 0xb8;
	put32(mov + 1, 0x44332211);
	mov[5] = 0xc3;
	check_eq(((fn0)entry)(), 0x44332211, "instruction straddling a page: first run");
	for (u32 b = 0; b < 256; b++) {
		((volatile u8 *)mov)[3] = (u8)b; /* byte on the second page */
		bad += ((fn0)entry)() != (0x00002211u | b << 16 | 0x44000000u);
	}
	check_eq(bad, 0, "straddling instruction: byte on the second page rewritten");
	bad = 0;
	for (u32 b = 0; b < 256; b++) {
		((volatile u8 *)mov)[1] = (u8)b; /* byte on the first page */
		bad += ((fn0)entry)() != (0x44ff2200u | b);
	}
	check_eq(bad, 0, "straddling instruction: byte on the first page rewritten");
}

/* New code copied in by REP MOVSB over a function that already ran. */
static void test_rep_movsb(void)
{
	u8 *code = codebuf + 0x500;
	static u8 newcode[] = { 0x90, 0x90, 0xb8, 0x0d, 0xd0, 0xfe, 0xca, 0xc3 };
	static const u8 old[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3, 0x90, 0x90 };
	void *d = code;
	const void *s = newcode;
	size_t n = sizeof(newcode);

	emit(code, old, sizeof(old));
	for (int i = 0; i < 10; i++)
		((fn0)code)();
	check_eq(((fn0)code)(), 1, "REP MOVSB target: old code");
	asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	check_eq(((fn0)code)(), 0xcafed00d, "code written by REP MOVSB");
}

/* Code executed at one virtual address and modified through another. */
static void test_alias(void)
{
	u64 *pml4 = pt_identity(PTE_P | PTE_W);
	u64 frame = frame_alloc(), x = 0x40000000ul, y = 0x40001000ul;
	static const u8 tmpl[] = {
		0xb8, 0, 0, 0, 0, 0xc3,       /* 0: mov eax, imm32; ret */
		0, 0,                         /* 6: pad */
		0x40, 0x88, 0x3e,             /* 8: mov [rsi], dil */
		0xb8, 0x00, 0x00, 0x00, 0x00, /* 11: mov eax, imm32 */
		0xc3,                         /* 16: ret */
	};
	int bad = 0;

	pt_map(pml4, x, frame, PTE_P | PTE_W);
	pt_map(pml4, y, frame, PTE_P | PTE_W);
	write_cr3((u64)pml4);

	emit((u8 *)y, tmpl, sizeof(tmpl));
	for (u32 round = 1; round <= 20; round++) {
		put32((u8 *)y + 1, round * 0x01010101u);
		for (int i = 0; i < 5; i++)
			bad += ((fn0)x)() != round * 0x01010101u;
	}
	check_eq(bad, 0, "code run at one alias, rewritten through another");

	bad = 0;
	for (u64 v = 0; v < 300; v++)
		bad += ((fn3)(x + 8))(v, y + 12, 0) != (v & 0xff);
	check_eq(bad, 0, "store through an alias into the next instruction");
}

int main(void)
{
	test_start("smc");
	test_immediate();
	test_next_instruction();
	test_later_instruction();
	test_opcode();
	test_loop();
	test_page_straddle();
	test_rep_movsb();
	test_alias();
	return test_finish();
}
