/*
 * The AArch64 differential oracle: a static Linux program that runs under
 * qemu-aarch64 (or on a real arm64 host) and executes test cases sent by
 * tests/unit/test_a64_diff.c on stdin, one case after another in one
 * process, answering each on stdout.
 *
 * Memory: a 256 MiB region at CODE_BASE, zero-filled (the word 0 is
 * UDF #0) and RWX, with the instructions of a case written at its pc; the
 * DATA_SIZE data window at DATA_ADDR is its own RW mapping inside that
 * region (not executable).  Every way out of the code therefore ends in
 * SIGILL at the address reached: pc+4*n after straight-line code, the
 * target after a taken branch; loads and stores outside the window fault.
 *
 * Entry and exit go through signals, so no register is needed for the
 * harness itself: SIGUSR1's handler writes the case's X0..X30, SP, NZCV
 * and V0..V31 into its signal context and sets the context's pc to the
 * code, so that returning from the handler runs the case; the handler of
 * the signal that ends the case (SIGILL, SIGSEGV, SIGBUS, SIGTRAP) reads
 * the context back and siglongjmps to the main loop.  Both handlers run
 * on an alternate stack: the case's SP can be anything.  CLREX runs
 * before every case, so every case starts with the exclusive monitor
 * closed.
 *
 * Protocol (little-endian, fixed layouts shared with test_a64_diff.c,
 * which checks the sizes in the hello record):
 *   harness -> test: struct hello at start.
 *   test -> harness: u32 command, then its payload:
 *     CMD_DATA: DATA_SIZE bytes, the window's contents at the start of
 *               every following case;
 *     CMD_CASE: struct case, then 512 bytes of V0..V31 if CASE_VREGS,
 *               then u32 FPCR and FPSR if CASE_FP; the answer is
 *               buffered;
 *     CMD_FLUSH: write out the buffered answers (the test sends a batch,
 *               then this, then reads: no pipe can fill up in both
 *               directions at once).
 *   answer: struct result, then 512 bytes of V0..V31 if CASE_VREGS, then
 *           u32 FPCR and FPSR if CASE_FP, then
 *           `ndiff` u32 words (offset << 8 | new byte) for each window
 *           byte the case changed.
 * EOF on stdin ends the program.
 */
#define _GNU_SOURCE
#include <asm/sigcontext.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define CODE_BASE 0x50000000ul
#define CODE_SIZE 0x10000000ul
#define DATA_ADDR 0x57f80000ul
#define DATA_SIZE 0x4000u
#define MAX_INSNS 4

#define PROTO_VERSION 1
#define CMD_DATA 0x41363444u  /* "D46A" */
#define CMD_CASE 0x41363443u
#define CMD_FLUSH 0x41363446u
#define RESULT_MAGIC 0x41363452u
#define HELLO_MAGIC 0x41363448u

#define CASE_VREGS 1u
#define CASE_FP 2u /* FPCR and FPSR too (test_a64_diff_simd) */

struct hello {
	uint32_t magic, version;
	uint32_t case_size, result_size;
	uint64_t code_base, code_size, data_addr;
	uint32_t data_size, max_insns;
};

struct case_in {
	uint32_t flags;       /* CASE_* */
	uint32_t ninsns;      /* 1..MAX_INSNS */
	uint32_t insn[MAX_INSNS];
	uint64_t pc;          /* where insn[0] goes */
	uint64_t x[31];
	uint64_t sp;
	uint64_t nzcv;        /* bits 31:28 */
	uint32_t patch_off, patch_len; /* window bytes set for this case only */
	uint8_t patch[64];
};

struct result {
	uint32_t magic;
	uint32_t sig;         /* the signal that ended the case */
	uint32_t si_code;
	uint32_t ndiff;
	uint64_t fault_addr;  /* si_addr */
	uint64_t pc;
	uint64_t x[31];
	uint64_t sp;
	uint64_t nzcv;
};

static uint8_t *g_data;
static uint8_t g_base[DATA_SIZE];
static struct case_in g_case;
static uint8_t g_vin[32][16], g_vout[32][16];
static uint32_t g_fpin[2], g_fpout[2]; /* FPCR, FPSR */
static struct result g_res;
static sigjmp_buf g_jb;

static struct fpsimd_context *fpsimd_of(ucontext_t *uc)
{
	struct _aarch64_ctx *h = (void *)uc->uc_mcontext.__reserved;
	while (h->magic && h->magic != FPSIMD_MAGIC)
		h = (void *)((uint8_t *)h + h->size);
	return h->magic ? (struct fpsimd_context *)h : NULL;
}

static void on_enter(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)sig;
	(void)si;
	memcpy(uc->uc_mcontext.regs, g_case.x, sizeof(g_case.x));
	uc->uc_mcontext.sp = g_case.sp;
	uc->uc_mcontext.pc = g_case.pc;
	uc->uc_mcontext.pstate = (uc->uc_mcontext.pstate & 0x0fffffffu) |
				 (g_case.nzcv & 0xf0000000u);
	struct fpsimd_context *f = fpsimd_of(uc);
	if (f && (g_case.flags & CASE_VREGS))
		memcpy(f->vregs, g_vin, sizeof(g_vin));
	if (f && (g_case.flags & CASE_FP)) {
		f->fpcr = g_fpin[0];
		f->fpsr = g_fpin[1];
	}
	sigemptyset(&uc->uc_sigmask);
}

static void on_exit_signal(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	g_res.sig = (uint32_t)sig;
	g_res.si_code = (uint32_t)si->si_code;
	g_res.fault_addr = (uint64_t)si->si_addr;
	g_res.pc = uc->uc_mcontext.pc;
	memcpy(g_res.x, uc->uc_mcontext.regs, sizeof(g_res.x));
	g_res.sp = uc->uc_mcontext.sp;
	g_res.nzcv = uc->uc_mcontext.pstate & 0xf0000000u;
	struct fpsimd_context *f = fpsimd_of(uc);
	if (f) {
		memcpy(g_vout, f->vregs, sizeof(g_vout));
		g_fpout[0] = f->fpcr;
		g_fpout[1] = f->fpsr;
	}
	siglongjmp(g_jb, 1);
}

static void die(const char *msg)
{
	fprintf(stderr, "diff_harness: %s\n", msg);
	exit(2);
}

static int read_all(void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		ssize_t r = read(0, b, n);
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Answers are collected here until CMD_FLUSH. */
static uint8_t *g_out;
static size_t g_out_len, g_out_cap;

static void out_put(const void *p, size_t n)
{
	if (g_out_len + n > g_out_cap) {
		g_out_cap = (g_out_len + n) * 2;
		g_out = realloc(g_out, g_out_cap);
		if (!g_out)
			die("out of memory");
	}
	memcpy(g_out + g_out_len, p, n);
	g_out_len += n;
}

static void out_flush(void)
{
	size_t off = 0;
	while (off < g_out_len) {
		ssize_t w = write(1, g_out + off, g_out_len - off);
		if (w <= 0)
			die("write failed");
		off += (size_t)w;
	}
	g_out_len = 0;
}

static void setup(void)
{
	void *code = mmap((void *)CODE_BASE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	void *data = mmap((void *)DATA_ADDR, DATA_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (code != (void *)CODE_BASE || data != (void *)DATA_ADDR)
		die("cannot map the code region or the data window");
	g_data = data;

	static uint8_t altstack[64 * 1024] __attribute__((aligned(16)));
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	if (sigaltstack(&ss, NULL))
		die("sigaltstack");
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sa.sa_sigaction = on_enter;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_sigaction = on_exit_signal;
	int ends[] = { SIGILL, SIGSEGV, SIGBUS, SIGTRAP, SIGFPE };
	for (unsigned k = 0; k < sizeof(ends) / sizeof(ends[0]); k++)
		sigaction(ends[k], &sa, NULL);
}

static void put_code(uint64_t pc, const uint32_t *w, unsigned n)
{
	memcpy((void *)pc, w, 4 * n);
	__builtin___clear_cache((char *)pc, (char *)pc + 4 * n);
}

/*
 * The window holds g_base between cases, and g_ref holds what the window
 * held when the current case started (g_base plus its patch), so a case
 * costs a block-wise memcmp and restoring what changed.
 */
static uint8_t g_ref[DATA_SIZE];
#define BLOCK 256u

static void run_case(void)
{
	struct case_in *c = &g_case;
	if (c->ninsns < 1 || c->ninsns > MAX_INSNS || c->pc < CODE_BASE ||
	    c->pc + 4 * c->ninsns > CODE_BASE + CODE_SIZE || (c->pc & 3) ||
	    c->patch_len > sizeof(c->patch) || c->patch_off + c->patch_len > DATA_SIZE)
		die("malformed case");
	memcpy(g_data + c->patch_off, c->patch, c->patch_len);
	memcpy(g_ref + c->patch_off, c->patch, c->patch_len);
	put_code(c->pc, c->insn, c->ninsns);

	memset(&g_res, 0, sizeof(g_res));
	g_res.magic = RESULT_MAGIC;
	__asm__ volatile("clrex" ::: "memory");
	if (!sigsetjmp(g_jb, 1)) {
		raise(SIGUSR1);
		die("the case returned");
	}
	static const uint32_t zero[MAX_INSNS];
	put_code(c->pc, zero, c->ninsns);

	static uint32_t diffs[DATA_SIZE];
	uint32_t nd = 0;
	for (uint32_t blk = 0; blk < DATA_SIZE; blk += BLOCK) {
		if (!memcmp(g_data + blk, g_ref + blk, BLOCK))
			continue;
		for (uint32_t k = blk; k < blk + BLOCK; k++)
			if (g_data[k] != g_ref[k])
				diffs[nd++] = k << 8 | g_data[k];
		memcpy(g_data + blk, g_base + blk, BLOCK);
	}
	memcpy(g_data + c->patch_off, g_base + c->patch_off, c->patch_len);
	memcpy(g_ref + c->patch_off, g_base + c->patch_off, c->patch_len);
	g_res.ndiff = nd;
	out_put(&g_res, sizeof(g_res));
	if (c->flags & CASE_VREGS)
		out_put(g_vout, sizeof(g_vout));
	if (c->flags & CASE_FP)
		out_put(g_fpout, sizeof(g_fpout));
	out_put(diffs, 4 * nd);
}

int main(void)
{
	setup();
	struct hello h = {
		.magic = HELLO_MAGIC, .version = PROTO_VERSION,
		.case_size = sizeof(struct case_in), .result_size = sizeof(struct result),
		.code_base = CODE_BASE, .code_size = CODE_SIZE, .data_addr = DATA_ADDR,
		.data_size = DATA_SIZE, .max_insns = MAX_INSNS,
	};
	out_put(&h, sizeof(h));
	out_flush();
	for (;;) {
		uint32_t cmd;
		if (read_all(&cmd, 4))
			return 0;
		switch (cmd) {
		case CMD_DATA:
			if (read_all(g_base, DATA_SIZE))
				die("short data");
			memcpy(g_data, g_base, DATA_SIZE);
			memcpy(g_ref, g_base, DATA_SIZE);
			break;
		case CMD_CASE:
			if (read_all(&g_case, sizeof(g_case)))
				die("short case");
			if ((g_case.flags & CASE_VREGS) && read_all(g_vin, sizeof(g_vin)))
				die("short case");
			if ((g_case.flags & CASE_FP) && read_all(g_fpin, sizeof(g_fpin)))
				die("short case");
			run_case();
			break;
		case CMD_FLUSH:
			out_flush();
			break;
		default:
			die("unknown command");
		}
	}
}
