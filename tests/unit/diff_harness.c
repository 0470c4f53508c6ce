/*
 * Differential harness: run one instruction natively and in the
 * interpreter (see diff_harness.h for the contract).
 *
 * Native side: the instruction is copied to an RWX page at DIFF_CODE_ADDR
 * and followed by an absolute jump back into a trampoline (file-scope asm
 * below).  The trampoline saves the host's callee-saved registers and
 * x87/SSE state, loads the test's FXSAVE image, flags and GPRs (all but
 * RSP), jumps to the instruction, then stores everything back.  Faults
 * arrive as signals; the handler reads the vector from the trap number in
 * the signal context and siglongjmps out.
 *
 * Interpreter side: one machine with GUEST_RAM (258 MiB) prepared once by
 * bare_metal__prepare (identity map, GDT, stack); each run copies the
 * window and the code into guest RAM, creates a fresh interpreter engine
 * (so no decoded block of an earlier run survives), runs exactly one
 * instruction and reads the state back.  A run that does not complete is
 * repeated with an on_exception hook to learn the vector (the fault then
 * ends in a triple fault, as there is no IDT); ENCORE_DIFF_HOOKS=1 installs
 * the hook on every run (tests the instrumented path instead of the fast
 * path).  ENCORE_DIFF_VERBOSE=1 prints every case with its native outcome.
 *
 * 32- and 16-bit code (the end of the file, diff_harness.h): natively a
 * second trampoline far-jumps into a 32- or 16-bit code segment and back,
 * with the test's stack and data segments from modify_ldt(2), and the
 * signal handlers run on an alternate stack; the guest runs at CPL 3 with
 * copies of the same descriptors.
 */
#include "diff_harness.h"

#include <capstone/capstone.h>
#include <cpuid.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include <asm/ldt.h>

#include "check.h"
#include "encore/engine.h"
#include "encore/hooks.h"
#include "encore/bare_metal.h"
#include "encore/loader.h"
#include "encore/machine.h"

/*
 * Guest RAM: enough for the code page at DIFF_CODE_ADDR (the highest
 * address the harness uses) plus 1 MiB of margin.  Keep it small: the
 * interpreter's block cache has a per-page table sized by RAM, and each
 * run creates a fresh engine.
 */
#define GUEST_RAM (DIFF_CODE_ADDR + (1ull << 20))
_Static_assert(DIFF_DATA_ADDR + DIFF_DATA_SIZE <= DIFF_CODE_ADDR, "window below the code page");

/*
 * Indices into mcontext gregs (glibc x86-64 <sys/ucontext.h>); spelled out
 * because glibc's REG_* names clash with enum encore_reg.
 */
#define GREG_RIP 16
#define GREG_CSGSFS 18 /* CS in bits 0..15 */
#define GREG_TRAPNO 20

/* ---- native trampoline ---- */

/* Offsets are used by the assembly below; keep them in sync. */
struct native_ctx {
	u64 gpr[16];   /* 0 */
	u64 rflags;    /* 128 */
	u64 host_rsp;  /* 136 */
	u64 entry;     /* 144 */
	u64 pad;       /* 152 */
	u8 fx[512];    /* 160: the test's FXSAVE image */
	u8 host_fx[512]; /* 672: the host's, restored afterwards */
};

__attribute__((visibility("hidden"), aligned(64))) struct native_ctx diff__native_ctx;
_Static_assert(__builtin_offsetof(struct native_ctx, rflags) == 128, "ctx layout");
_Static_assert(__builtin_offsetof(struct native_ctx, entry) == 144, "ctx layout");
_Static_assert(__builtin_offsetof(struct native_ctx, fx) == 160, "ctx layout");
_Static_assert(__builtin_offsetof(struct native_ctx, host_fx) == 672, "ctx layout");

void diff__native_enter(void);
void diff__native_return(void);

__asm__(
	".text\n"
	".globl diff__native_enter\n"
	".hidden diff__native_enter\n"
	".type diff__native_enter,@function\n"
	"diff__native_enter:\n"
	"	push %rbx\n"
	"	push %rbp\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	lea diff__native_ctx(%rip), %rax\n"
	"	mov %rsp, 136(%rax)\n"
	"	fxsave64 672(%rax)\n"
	"	fxrstor64 160(%rax)\n"
	"	pushq 128(%rax)\n"
	"	popfq\n"
	"	mov 8(%rax), %rcx\n"
	"	mov 16(%rax), %rdx\n"
	"	mov 24(%rax), %rbx\n"
	"	mov 40(%rax), %rbp\n"
	"	mov 48(%rax), %rsi\n"
	"	mov 56(%rax), %rdi\n"
	"	mov 64(%rax), %r8\n"
	"	mov 72(%rax), %r9\n"
	"	mov 80(%rax), %r10\n"
	"	mov 88(%rax), %r11\n"
	"	mov 96(%rax), %r12\n"
	"	mov 104(%rax), %r13\n"
	"	mov 112(%rax), %r14\n"
	"	mov 120(%rax), %r15\n"
	"	mov 0(%rax), %rax\n"
	"	jmp *diff__native_ctx+144(%rip)\n"
	".size diff__native_enter, .-diff__native_enter\n"
	"\n"
	".globl diff__native_return\n"
	".hidden diff__native_return\n"
	".type diff__native_return,@function\n"
	"diff__native_return:\n"
	"	pushfq\n"
	"	push %rax\n"
	"	lea diff__native_ctx(%rip), %rax\n"
	"	mov %rcx, 8(%rax)\n"
	"	mov %rdx, 16(%rax)\n"
	"	mov %rbx, 24(%rax)\n"
	"	mov %rbp, 40(%rax)\n"
	"	mov %rsi, 48(%rax)\n"
	"	mov %rdi, 56(%rax)\n"
	"	mov %r8, 64(%rax)\n"
	"	mov %r9, 72(%rax)\n"
	"	mov %r10, 80(%rax)\n"
	"	mov %r11, 88(%rax)\n"
	"	mov %r12, 96(%rax)\n"
	"	mov %r13, 104(%rax)\n"
	"	mov %r14, 112(%rax)\n"
	"	mov %r15, 120(%rax)\n"
	"	pop %rcx\n"
	"	mov %rcx, 0(%rax)\n"
	"	pop %rcx\n"
	"	mov %rcx, 128(%rax)\n"
	"	fxsave64 160(%rax)\n"
	"	fxrstor64 672(%rax)\n"
	"	cld\n"
	"	mov 136(%rax), %rsp\n"
	"	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbp\n"
	"	pop %rbx\n"
	"	ret\n"
	".size diff__native_return, .-diff__native_return\n");

/*
 * The compatibility-mode trampoline.  diff__compat_enter saves the host's
 * callee-saved registers, RSP and data segment selectors, loads the test's
 * flags, DS/ES/SS, GPRs and ESP, and far-jumps (JMP m16:32, valid in
 * 64-bit mode) into the 32- or 16-bit code segment.  After the code under
 * test, a far jump to the host's 64-bit CS lands on a stub in the code page
 * (below 4 GiB, where a 32-bit offset reaches) that jumps on to
 * diff__compat_return.  That stores the GPRs and ESP before anything
 * touches them, goes back to the host stack, stores the flags, restores
 * the host's segments and resets the flags (the test may have set NT or
 * ID).  No x87/SSE state is involved.
 */
struct compat_ctx {
	u64 gpr[8];   /* 0: RAX..RDI, gpr[REG_RSP] = ESP */
	u64 rflags;   /* 64 */
	u64 host_rsp; /* 72 */
	u32 far_off;  /* 80: the far pointer JMP m16:32 reads */
	u16 far_sel;  /* 84 */
	u16 ds, es, ss;                /* 86, 88, 90: the test's */
	u16 host_ds, host_es, host_ss; /* 92, 94, 96 */
};

__attribute__((visibility("hidden"), aligned(64))) struct compat_ctx diff__compat_ctx;
_Static_assert(__builtin_offsetof(struct compat_ctx, far_off) == 80, "ctx layout");
_Static_assert(__builtin_offsetof(struct compat_ctx, ds) == 86, "ctx layout");
_Static_assert(__builtin_offsetof(struct compat_ctx, host_ss) == 96, "ctx layout");

void diff__compat_enter(void);
void diff__compat_return(void);
void diff__flags_reset(void);

__asm__(
	".text\n"
	".globl diff__compat_enter\n"
	".hidden diff__compat_enter\n"
	".type diff__compat_enter,@function\n"
	"diff__compat_enter:\n"
	"	push %rbx\n"
	"	push %rbp\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	lea diff__compat_ctx(%rip), %rax\n"
	"	mov %rsp, 72(%rax)\n"
	"	mov %ds, 92(%rax)\n"
	"	mov %es, 94(%rax)\n"
	"	mov %ss, 96(%rax)\n"
	"	pushq 64(%rax)\n"
	"	popfq\n"
	"	mov 86(%rax), %ds\n"
	"	mov 88(%rax), %es\n"
	"	mov 90(%rax), %ss\n"
	"	mov 32(%rax), %rsp\n"
	"	mov 8(%rax), %rcx\n"
	"	mov 16(%rax), %rdx\n"
	"	mov 24(%rax), %rbx\n"
	"	mov 40(%rax), %rbp\n"
	"	mov 48(%rax), %rsi\n"
	"	mov 56(%rax), %rdi\n"
	"	mov 0(%rax), %rax\n"
	"	ljmpl *diff__compat_ctx+80(%rip)\n"
	".size diff__compat_enter, .-diff__compat_enter\n"
	"\n"
	".globl diff__compat_return\n"
	".hidden diff__compat_return\n"
	".type diff__compat_return,@function\n"
	"diff__compat_return:\n"
	"	mov %rax, diff__compat_ctx(%rip)\n"
	"	lea diff__compat_ctx(%rip), %rax\n"
	"	mov %rcx, 8(%rax)\n"
	"	mov %rdx, 16(%rax)\n"
	"	mov %rbx, 24(%rax)\n"
	"	mov %rsp, 32(%rax)\n"
	"	mov %rbp, 40(%rax)\n"
	"	mov %rsi, 48(%rax)\n"
	"	mov %rdi, 56(%rax)\n"
	"	mov 72(%rax), %rsp\n"
	"	pushfq\n"
	"	popq 64(%rax)\n"
	"	mov 96(%rax), %ss\n"
	"	mov 92(%rax), %ds\n"
	"	mov 94(%rax), %es\n"
	"	call diff__flags_reset\n"
	"	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbp\n"
	"	pop %rbx\n"
	"	ret\n"
	".size diff__compat_return, .-diff__compat_return\n"
	"\n"
	".globl diff__flags_reset\n"
	".hidden diff__flags_reset\n"
	".type diff__flags_reset,@function\n"
	"diff__flags_reset:\n"
	"	pushq $0x202\n"
	"	popfq\n"
	"	ret\n"
	".size diff__flags_reset, .-diff__flags_reset\n");

/* ---- global state ---- */

static bool g_ready, g_failed_init;
static u8 *g_code; /* host page at DIFF_CODE_ADDR */
static u8 *g_data; /* host window at DIFF_DATA_ADDR */
static sigjmp_buf g_jb;
static volatile sig_atomic_t g_in_native;
static volatile int g_fault_vector;

static struct encore_machine *g_m;
static struct encore_cpu_state g_base;
static bool g_always_hooks, g_verbose;
/* The interpreter side runs the HLT after the code too, so the code runs
 * as part of a whole decoded block: by the translator where there is one. */
static bool g_whole_block;
static int g_exc_vector;
static char g_err[512];
static csh g_cs;
static bool g_cs_ok;

static u64 g_interp_rip;
static int g_last_native_vec = DIFF_NO_EXC;

const char *diff_last_error(void)
{
	return g_err;
}

int diff_last_native_vector(void)
{
	return g_last_native_vec;
}

bool diff_host_is_intel(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(0, &a, &b, &c, &d))
		return false;
	return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e; /* GenuineIntel */
}

u32 diff_host_mxcsr_mask(void)
{
	static u8 image[512] __attribute__((aligned(16)));
	u32 mask;
	__asm__ volatile("fxsave %0" : "=m"(image));
	memcpy(&mask, image + 28, 4);
	return mask ? mask : 0xffbf; /* 0: a CPU from before DAZ */
}

/* g_in_native: what runs natively, so the signal handler knows which
 * faults are the test's. */
enum { NATIVE_NONE, NATIVE_64, NATIVE_COMPAT, NATIVE_PROBE };
static u16 g_sel_code16; /* the 16-bit code segment (IP is an offset in it) */

/* Does the fault come from the code under test?  (A probe of the host's
 * segments accepts any: the far jump into them may be what faults.) */
static bool fault_is_test(const ucontext_t *uc)
{
	u64 rip = (u64)uc->uc_mcontext.gregs[GREG_RIP];
	u16 cs = (u16)uc->uc_mcontext.gregs[GREG_CSGSFS];
	if (g_in_native == NATIVE_PROBE)
		return true;
	if (g_in_native == NATIVE_COMPAT && cs == g_sel_code16)
		return rip < 4096;
	return g_in_native != NATIVE_NONE && rip >= DIFF_CODE_ADDR && rip <= DIFF_CODE_ADDR + 4096;
}

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)si;
	if (!fault_is_test(uc)) {
		/* Not the instruction under test: a harness bug.  Die loudly. */
		static const char msg[] = "diff_harness: unexpected signal outside the test page\n";
		if (write(2, msg, sizeof(msg) - 1) < 0) {
		}
		signal(sig, SIG_DFL);
		return; /* re-executes the faulting instruction: default action */
	}
	g_fault_vector = (int)uc->uc_mcontext.gregs[GREG_TRAPNO];
	g_in_native = NATIVE_NONE;
	siglongjmp(g_jb, 1);
}

static void *map_fixed(u64 addr, size_t len, int prot)
{
	void *p = mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0);
	if (p == MAP_FAILED || (u64)p != addr) {
		fprintf(stderr, "diff_harness: cannot map %#llx: %s\n", (unsigned long long)addr,
			p == MAP_FAILED ? strerror(errno) : "kernel chose another address");
		if (p != MAP_FAILED)
			munmap(p, len);
		return NULL;
	}
	return p;
}

int diff_init(void)
{
	if (g_ready)
		return 0;
	if (g_failed_init)
		return -1;
	g_failed_init = true;

	g_data = map_fixed(DIFF_DATA_ADDR, DIFF_DATA_SIZE, PROT_READ | PROT_WRITE);
	g_code = map_fixed(DIFF_CODE_ADDR, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
	if (!g_data || !g_code)
		return -1;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
	for (unsigned i = 0; i < ARRAY_SIZE(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL)) {
			perror("diff_harness: sigaction");
			return -1;
		}

	g_m = machine__create(&arch_x86_64, GUEST_RAM, 1);
	if (!g_m) {
		fprintf(stderr, "diff_harness: machine__create failed\n");
		return -1;
	}
	if (bare_metal__prepare(g_m, &g_base, DIFF_CODE_ADDR)) {
		fprintf(stderr, "diff_harness: bare_metal__prepare failed\n");
		return -1;
	}
	/* SSE and x87 usable as on a Linux host. */
	g_base.cr0 = (g_base.cr0 | CR0_MP | CR0_NE) & ~(CR0_EM | CR0_TS);
	g_base.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	g_base.rflags &= ~(DIFF_FLAGS | RF_TF | RF_AC);
	if (!machine__ram_ptr(g_m, DIFF_DATA_ADDR) ||
	    !machine__ram_ptr(g_m, DIFF_DATA_ADDR + DIFF_DATA_SIZE - 1) ||
	    !machine__ram_ptr(g_m, DIFF_CODE_ADDR + 4095)) {
		fprintf(stderr, "diff_harness: guest RAM does not cover the window\n");
		return -1;
	}
	g_always_hooks = check_env_u64("ENCORE_DIFF_HOOKS", 0) != 0;
	g_verbose = check_env_u64("ENCORE_DIFF_VERBOSE", 0) != 0;

	g_cs_ok = cs_open(CS_ARCH_X86, CS_MODE_64, &g_cs) == CS_ERR_OK;

	g_failed_init = false;
	g_ready = true;
	return 0;
}

void diff_fini(void)
{
	if (!g_ready)
		return;
	if (g_cs_ok)
		cs_close(&g_cs);
	g_cs_ok = false;
	if (g_m)
		machine__destroy(g_m);
	g_m = NULL;
	munmap(g_data, DIFF_DATA_SIZE);
	munmap(g_code, 4096);
	g_ready = false;
}

void diff_state_init(struct diff_state *st)
{
	memset(st, 0, sizeof(*st));
	st->mxcsr = 0x1f80;
	st->fcw = 0x037f;
}

/* ---- native ---- */

static void build_fx(u8 *fx, const struct diff_state *st)
{
	memset(fx, 0, 512);
	memcpy(fx + 0, &st->fcw, 2);
	memcpy(fx + 2, &st->fsw, 2);
	fx[4] = st->ftw;
	u32 mx = st->mxcsr & 0xffff;
	memcpy(fx + 24, &mx, 4);
	for (int i = 0; i < 8; i++)
		memcpy(fx + 32 + 16 * i, st->st[i], 10);
	memcpy(fx + 160, st->xmm, 256);
}

static void read_fx(const u8 *fx, struct diff_state *st)
{
	memcpy(&st->fcw, fx + 0, 2);
	memcpy(&st->fsw, fx + 2, 2);
	st->ftw = fx[4];
	memcpy(&st->mxcsr, fx + 24, 4);
	for (int i = 0; i < 8; i++)
		memcpy(st->st[i], fx + 32 + 16 * i, 10);
	memcpy(st->xmm, fx + 160, 256);
}

static void host_fx_restore(void)
{
	__asm__ volatile("fxrstor64 %0" : : "m"(diff__native_ctx.host_fx));
}

int diff_run_native(const u8 *code, unsigned len, struct diff_state *st, u8 *data)
{
	if (diff_init())
		return DIFF_HARNESS_ERROR;
	if (len > DIFF_MAX_INSN)
		len = DIFF_MAX_INSN;
	struct native_ctx *c = &diff__native_ctx;
	u64 back = (u64)(uintptr_t)diff__native_return;

	memcpy(g_code, code, len);
	/* jmp *0(%rip); .quad diff__native_return */
	static const u8 jmp[6] = { 0xff, 0x25, 0, 0, 0, 0 };
	memcpy(g_code + len, jmp, 6);
	memcpy(g_code + len + 6, &back, 8);

	memcpy(g_data, data, DIFF_DATA_SIZE);
	build_fx(c->fx, st);
	memcpy(c->gpr, st->gpr, sizeof(c->gpr));
	c->rflags = (st->rflags & DIFF_FLAGS) | RF_FIXED1 | RF_IF;
	c->entry = DIFF_CODE_ADDR;

	g_fault_vector = DIFF_NO_EXC;
	if (sigsetjmp(g_jb, 0)) {
		host_fx_restore();
		__asm__ volatile("cld");
		memcpy(data, g_data, DIFF_DATA_SIZE);
		return g_fault_vector;
	}
	g_in_native = NATIVE_64;
	diff__native_enter();
	g_in_native = NATIVE_NONE;

	u64 rsp = st->gpr[REG_RSP];
	memcpy(st->gpr, c->gpr, sizeof(c->gpr));
	st->gpr[REG_RSP] = rsp;
	st->rflags = c->rflags & DIFF_FLAGS;
	read_fx(c->fx, st);
	memcpy(data, g_data, DIFF_DATA_SIZE);
	return DIFF_NO_EXC;
}

/* ---- interpreter ---- */

static void hook_exception(void *opaque, unsigned vcpu, u64 icount, u64 rip, unsigned vector,
			   i64 error_code, bool external)
{
	(void)opaque;
	(void)vcpu;
	(void)icount;
	(void)rip;
	(void)error_code;
	if (g_exc_vector == DIFF_NO_EXC && !external)
		g_exc_vector = (int)vector;
}

static const struct encore_hooks g_hooks = {
	.on_exception = hook_exception,
};

enum interp_outcome { RUN_DONE, RUN_FAULT, RUN_ERROR, RUN_ELSEWHERE };

/* One attempt; fills s.  Returns the outcome. */
static enum interp_outcome interp_attempt(const u8 *code, unsigned len, unsigned ninsns,
					  const struct diff_state *st, const u8 *data, bool hooks,
					  struct encore_cpu_state *s)
{
	*s = g_base;
	u64 rsp = g_base.gpr[REG_RSP];
	memcpy(s->gpr, st->gpr, sizeof(s->gpr));
	s->gpr[REG_RSP] = rsp;
	s->rip = DIFF_CODE_ADDR;
	s->rflags = (g_base.rflags & ~DIFF_FLAGS) | (st->rflags & DIFF_FLAGS) | RF_FIXED1;
	s->fpu.fcw = st->fcw;
	s->fpu.fsw = st->fsw;
	s->fpu.ftw = st->ftw;
	s->fpu.fop = 0;
	s->fpu.fip = s->fpu.fdp = 0;
	s->fpu.mxcsr = st->mxcsr;
	unsigned top = (st->fsw >> 11) & 7;
	memset(s->fpu.st, 0, sizeof(s->fpu.st));
	for (unsigned i = 0; i < 8; i++)
		memcpy(s->fpu.st[(top + i) & 7], st->st[i], 10);
	memcpy(s->fpu.xmm, st->xmm, sizeof(s->fpu.xmm));

	memcpy(machine__ram_ptr(g_m, DIFF_DATA_ADDR), data, DIFF_DATA_SIZE);
	u8 *cp = machine__ram_ptr(g_m, DIFF_CODE_ADDR);
	memset(cp, 0xf4, 64); /* HLT after the instruction */
	memcpy(cp, code, len);

	struct encore_engine *e = interp__create(g_m, &g_m->vcpus[0]);
	if (!e) {
		snprintf(g_err, sizeof(g_err), "interp__create failed");
		return RUN_ERROR;
	}
	enum interp_outcome out = RUN_DONE;
	g_exc_vector = DIFF_NO_EXC;
	if (e->ops->set_state(e, s)) {
		snprintf(g_err, sizeof(g_err), "set_state refused the state");
		out = RUN_ERROR;
		goto done;
	}
	if (hooks)
		e->ops->set_hooks(e, &g_hooks);

	/* Run all `ninsns` instructions in one call (so a sequence shares a
	 * decoded block and lazy flags).  A REP string instruction may retire
	 * iteration by iteration with RIP staying on it: keep going while RIP
	 * is still inside the code. */
	u64 start = e->ops->insn_count(e);
	for (unsigned round = 0;; round++) {
		struct encore_exit x;
		memset(&x, 0, sizeof(x));
		u64 now = e->ops->insn_count(e), done = now - start;
		u64 limit = now + (done < ninsns ? ninsns - done + g_whole_block : 1);
		engine__run(e, limit, &x);
		e->ops->get_state(e, s);
		if (g_whole_block && x.reason == EXIT_HLT && s->rip == DIFF_CODE_ADDR + len + 1 &&
		    g_exc_vector == DIFF_NO_EXC) {
			s->rip--; /* as after the code */
			break;
		}
		if (g_whole_block && x.reason == EXIT_LIMIT && done + 1 >= ninsns &&
		    (s->rip < DIFF_CODE_ADDR || s->rip > DIFF_CODE_ADDR + len) &&
		    g_exc_vector == DIFF_NO_EXC) {
			out = RUN_ELSEWHERE; /* it left the code: the extra one ran elsewhere */
			break;
		}
		if (x.reason == EXIT_LIMIT) {
			if (s->rip >= DIFF_CODE_ADDR && s->rip < DIFF_CODE_ADDR + len && round < 100000 &&
			    g_exc_vector == DIFF_NO_EXC)
				continue;
			if (g_exc_vector != DIFF_NO_EXC)
				out = RUN_FAULT;
			break;
		}
		if (x.reason == EXIT_TRIPLE_FAULT || g_exc_vector != DIFF_NO_EXC) {
			out = RUN_FAULT;
			break;
		}
		snprintf(g_err, sizeof(g_err), "engine exit %d at rip %#llx: %s", (int)x.reason,
			 (unsigned long long)x.pc, x.message);
		out = RUN_ERROR;
		break;
	}
done:
	if (hooks)
		e->ops->set_hooks(e, NULL);
	e->ops->destroy(e);
	if (g_m->vcpus[0].engine == e)
		g_m->vcpus[0].engine = NULL;
	return out;
}

int diff_run_interp(const u8 *code, unsigned len, struct diff_state *st, u8 *data)
{
	return diff_run_interp_seq(code, len, 1, st, data);
}

int diff_run_interp_seq(const u8 *code, unsigned len, unsigned ninsns, struct diff_state *st,
			u8 *data)
{
	if (diff_init())
		return DIFF_HARNESS_ERROR;
	if (len > DIFF_MAX_INSN)
		len = DIFF_MAX_INSN;
	g_err[0] = 0;
	struct encore_cpu_state s;
	enum interp_outcome out = interp_attempt(code, len, ninsns, st, data, g_always_hooks, &s);
	if (out == RUN_FAULT && !g_always_hooks)
		out = interp_attempt(code, len, ninsns, st, data, true, &s);
	memcpy(data, machine__ram_ptr(g_m, DIFF_DATA_ADDR), DIFF_DATA_SIZE);
	g_interp_rip = s.rip;
	if (out == RUN_ERROR)
		return DIFF_HARNESS_ERROR;
	if (out == RUN_FAULT)
		return g_exc_vector == DIFF_NO_EXC ? 255 : g_exc_vector;
	if (out == RUN_ELSEWHERE)
		return DIFF_NOT_WHOLE_BLOCK;

	u64 rsp = st->gpr[REG_RSP];
	memcpy(st->gpr, s.gpr, sizeof(st->gpr));
	st->gpr[REG_RSP] = rsp;
	st->rflags = s.rflags & DIFF_FLAGS;
	st->fcw = s.fpu.fcw;
	st->fsw = s.fpu.fsw;
	st->ftw = s.fpu.ftw;
	st->mxcsr = s.fpu.mxcsr;
	unsigned top = (s.fpu.fsw >> 11) & 7;
	for (unsigned i = 0; i < 8; i++)
		memcpy(st->st[i], s.fpu.st[(top + i) & 7], 10);
	memcpy(st->xmm, s.fpu.xmm, sizeof(st->xmm));
	return DIFF_NO_EXC;
}

/* ---- comparison and reports ---- */

/* Capstone for 64-bit code (opened with the harness), 32- and 16-bit code
 * (opened on first use). */
static csh capstone_for(int mode)
{
	static csh handles[2];
	static bool tried[2], ok[2];
	if (mode == CS_MODE_64)
		return g_cs_ok ? g_cs : 0;
	int k = mode == CS_MODE_16;
	if (!tried[k]) {
		tried[k] = true;
		ok[k] = cs_open(CS_ARCH_X86, (cs_mode)mode, &handles[k]) == CS_ERR_OK;
	}
	return ok[k] ? handles[k] : 0;
}

static void disasm_mode(int mode, const u8 *code, unsigned len, char *out, size_t outlen)
{
	cs_insn *insn;
	size_t n = 0, k;
	csh h = diff_init() == 0 ? capstone_for(mode) : 0;
	u64 addr = mode == CS_MODE_16 ? 0 : DIFF_CODE_ADDR;
	if (h && (n = cs_disasm(h, code, len, addr, 0, &insn)) > 0) {
		size_t used = 0, total = 0;
		out[0] = 0;
		for (k = 0; k < n && used < outlen; k++) {
			int w = snprintf(out + used, outlen - used, "%s%s%s%s", k ? "; " : "",
					 insn[k].mnemonic, insn[k].op_str[0] ? " " : "", insn[k].op_str);
			if (w > 0)
				used += (size_t)w;
			total += insn[k].size;
		}
		if (total < len && used < outlen)
			snprintf(out + used, outlen - used, "; (bad)");
		cs_free(insn, n);
	} else {
		snprintf(out, outlen, "(bad)");
	}
}

void diff_disasm(const u8 *code, unsigned len, char *out, size_t outlen)
{
	disasm_mode(CS_MODE_64, code, len, out, outlen);
}

unsigned diff_capstone_length(const u8 *code, unsigned len)
{
	cs_insn *insn;
	unsigned n = 0;
	if (diff_init() == 0 && g_cs_ok && cs_disasm(g_cs, code, len, DIFF_CODE_ADDR, 1, &insn) == 1) {
		n = insn->size;
		cs_free(insn, 1);
	}
	return n;
}

static const char *const reg_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static const char *vec_name(int v, char *buf)
{
	static const char *const names[32] = {
		[0] = "#DE", [1] = "#DB", [3] = "#BP", [4] = "#OF", [5] = "#BR", [6] = "#UD",
		[7] = "#NM", [8] = "#DF", [10] = "#TS", [11] = "#NP", [12] = "#SS", [13] = "#GP",
		[14] = "#PF", [16] = "#MF", [17] = "#AC", [18] = "#MC", [19] = "#XM",
	};
	if (v == DIFF_NO_EXC)
		return "none";
	if (v == DIFF_HARNESS_ERROR)
		return "engine-error";
	if (v >= 0 && v < 32 && names[v])
		snprintf(buf, 16, "%s(%d)", names[v], v);
	else
		snprintf(buf, 16, "vec%d", v);
	return buf;
}

/* Flags as hex (the bits in `mask`) and the arithmetic ones by letter. */
static void flags_str(u64 f, u64 mask, char *buf)
{
	snprintf(buf, 40, "%#llx[%s%s%s%s%s%s%s]", (unsigned long long)(f & mask),
		 f & RF_OF ? "O" : "-", f & RF_DF ? "D" : "-", f & RF_SF ? "S" : "-",
		 f & RF_ZF ? "Z" : "-", f & RF_AF ? "A" : "-", f & RF_PF ? "P" : "-",
		 f & RF_CF ? "C" : "-");
}

/* A growing one-line report. */
struct line {
	char buf[8192];
	size_t n;
};

static void addf(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(struct line *l, const char *fmt, ...)
{
	if (l->n >= sizeof(l->buf) - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(l->buf + l->n, sizeof(l->buf) - l->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		l->n += (size_t)k;
	if (l->n > sizeof(l->buf) - 1)
		l->n = sizeof(l->buf) - 1;
}

/* " native=<hex> interp=<hex>", each a little-endian value of `len` bytes. */
static void add_native_interp_bytes(struct line *l, const u8 *nat, const u8 *itp, unsigned len)
{
	addf(l, " native=");
	for (unsigned b = len; b-- > 0;)
		addf(l, "%02x", nat[b]);
	addf(l, " interp=");
	for (unsigned b = len; b-- > 0;)
		addf(l, "%02x", itp[b]);
}

static void add_hex(struct line *l, const u8 *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		addf(l, "%02x", p[i]);
}

static u8 data_in_buf[DIFF_DATA_SIZE], data_nat[DIFF_DATA_SIZE], data_int[DIFF_DATA_SIZE];

/* The input window of the next comparison (all zeros without one). */
static void data_prepare(const u8 *data_in)
{
	if (data_in)
		memcpy(data_in_buf, data_in, DIFF_DATA_SIZE);
	else
		memset(data_in_buf, 0, DIFF_DATA_SIZE);
	memcpy(data_nat, data_in_buf, DIFF_DATA_SIZE);
	memcpy(data_int, data_in_buf, DIFF_DATA_SIZE);
}

/* What a comparison looks at: the 64-bit view or the compatibility-mode one. */
struct view {
	unsigned nregs; /* GPRs compared: 16, or 8 in compatibility mode */
	bool rsp;       /* RSP is one of them */
	u64 reg_mask;   /* the bits of each compared */
	u64 flags;      /* flags compared (before opts->flags_undef) */
	u64 rip_end;    /* where the interpreter must stop */
	int cs_mode;    /* capstone mode for the report */
};

static void cmp_gprs(struct line *l, bool *bad, const struct view *v, const struct diff_state *nat,
		     const struct diff_state *itp, const struct diff_opts *opts)
{
	for (unsigned r = 0; r < v->nregs; r++) {
		if ((r == REG_RSP && !v->rsp) || (opts->gpr_undef >> r & 1))
			continue;
		if ((nat->gpr[r] ^ itp->gpr[r]) & v->reg_mask) {
			*bad = true;
			addf(l, " %s: native=%#llx interp=%#llx", reg_names[r],
			     (unsigned long long)(nat->gpr[r] & v->reg_mask),
			     (unsigned long long)(itp->gpr[r] & v->reg_mask));
		}
	}
}

static void cmp_flags(struct line *l, bool *bad, const struct view *v, u64 nat, u64 itp,
		      const struct diff_opts *opts)
{
	char fb1[40], fb2[40];
	u64 fm = v->flags & ~opts->flags_undef;
	if (!((nat ^ itp) & fm))
		return;
	*bad = true;
	flags_str(nat, v->flags, fb1);
	flags_str(itp, v->flags, fb2);
	addf(l, " flags: native=%s interp=%s differ=%#llx (undefined %#llx)", fb1, fb2,
	     (unsigned long long)((nat ^ itp) & fm), (unsigned long long)(opts->flags_undef & v->flags));
}

/* XMM, MXCSR and x87 as opts->cmp asks. */
static void cmp_fpu(struct line *l, bool *bad, const struct diff_state *nat,
		    const struct diff_state *itp, const struct diff_opts *opts)
{
	if (opts->cmp & DIFF_CMP_XMM)
		for (int r = 0; r < 16; r++) {
			if (opts->xmm_undef >> r & 1)
				continue;
			if (memcmp(nat->xmm[r], itp->xmm[r], 16)) {
				*bad = true;
				addf(l, " xmm%d:", r);
				add_native_interp_bytes(l, nat->xmm[r], itp->xmm[r], 16);
			}
		}
	if ((opts->cmp & DIFF_CMP_MXCSR) && nat->mxcsr != itp->mxcsr) {
		*bad = true;
		addf(l, " mxcsr: native=%#x interp=%#x", nat->mxcsr, itp->mxcsr);
	}
	if (!(opts->cmp & (DIFF_CMP_X87 | DIFF_CMP_X87_ALL)))
		return;
	if (nat->fcw != itp->fcw) {
		*bad = true;
		addf(l, " fcw: native=%#x interp=%#x", nat->fcw, itp->fcw);
	}
	if ((nat->fsw ^ itp->fsw) & ~opts->fsw_undef) {
		*bad = true;
		addf(l, " fsw: native=%#x interp=%#x (undefined %#x)", nat->fsw, itp->fsw,
		     opts->fsw_undef);
	}
	if (nat->ftw != itp->ftw) {
		*bad = true;
		addf(l, " ftw: native=%#x interp=%#x", nat->ftw, itp->ftw);
	}
	unsigned top = (nat->fsw >> 11) & 7;
	for (int i = 0; i < 8; i++) {
		bool valid = nat->ftw >> ((top + i) & 7) & 1;
		if (!valid && !(opts->cmp & DIFF_CMP_X87_ALL))
			continue;
		if (memcmp(nat->st[i], itp->st[i], 10)) {
			*bad = true;
			addf(l, " st%d:", i);
			add_native_interp_bytes(l, nat->st[i], itp->st[i], 10);
		}
	}
}

/* The window is usually identical: memcmp it, walk bytes only to report. */
static void cmp_data(struct line *l, bool *bad, const struct diff_opts *opts)
{
	if (!memcmp(data_nat, data_int, DIFF_DATA_SIZE))
		return;
	unsigned first = DIFF_DATA_SIZE, last = 0, count = 0;
	for (unsigned o = 0; o < DIFF_DATA_SIZE; o++) {
		if (o >= opts->data_undef_off && o - opts->data_undef_off < opts->data_undef_len)
			continue;
		if (data_nat[o] != data_int[o]) {
			if (first == DIFF_DATA_SIZE)
				first = o;
			last = o;
			count++;
		}
	}
	if (!count)
		return;
	*bad = true;
	unsigned n = last - first + 1;
	if (n > 16)
		n = 16;
	addf(l, " data[%#llx]: %u bytes differ in [%#x..%#x]; from there native=",
	     (unsigned long long)(DIFF_DATA_ADDR + first), count, first, last);
	add_hex(l, data_nat + first, n);
	addf(l, " interp=");
	add_hex(l, data_int + first, n);
	addf(l, " input=");
	add_hex(l, data_in_buf + first, n);
}

/* Everything but the data window; returns whether anything differed. */
static bool cmp_results(struct line *l, const struct view *v, int vn, int vi,
			const struct diff_state *nat, const struct diff_state *itp,
			const struct diff_opts *opts)
{
	char vb1[16], vb2[16];
	bool bad = false;
	if (vn != vi) {
		bad = true;
		addf(l, " exception: native=%s interp=%s", vec_name(vn, vb1), vec_name(vi, vb2));
		if (vi == DIFF_HARNESS_ERROR)
			addf(l, " (%s)", g_err);
	}
	if (vn != DIFF_NO_EXC || vi != DIFF_NO_EXC)
		return bad;
	if (g_interp_rip != v->rip_end) {
		bad = true;
		addf(l, " rip: native=%#llx interp=%#llx", (unsigned long long)v->rip_end,
		     (unsigned long long)g_interp_rip);
	}
	cmp_gprs(l, &bad, v, nat, itp, opts);
	cmp_flags(l, &bad, v, nat->rflags, itp->rflags, opts);
	cmp_fpu(l, &bad, nat, itp, opts);
	return bad;
}

static void print_case(const char *what, const char *tag, const struct view *v, const u8 *code,
		       unsigned len, const char *mode_name)
{
	char dis[400];
	disasm_mode(v->cs_mode, code, len, dis, sizeof(dis));
	printf("%s %s: ", what, tag);
	for (unsigned i = 0; i < len; i++)
		printf("%02x", code[i]);
	printf(" [%s]%s%s", dis, mode_name ? " " : "", mode_name ? mode_name : "");
}

/* The one-line failure report: the case, its inputs, what differed. */
static void report(const char *tag, const struct view *v, const char *mode_name, const u8 *code,
		   unsigned len, const struct diff_state *in, const struct line *l)
{
	char fb[40];
	print_case("FAIL", tag, v, code, len, mode_name);
	flags_str(in->rflags, DIFF_FLAGS, fb);
	printf(" in:");
	for (unsigned r = 0; r < v->nregs; r++)
		if (r != REG_RSP || v->rsp)
			printf(" %s=%#llx", reg_names[r], (unsigned long long)(in->gpr[r] & v->reg_mask));
	printf(" fl=%s; result:%s\n", fb, l->buf);
	fflush(stdout);
}

/* Count the outcome of a comparison; print it if it failed. */
static bool conclude(const char *tag, const struct view *v, const char *mode_name, const u8 *code,
		     unsigned len, const struct diff_state *in, const struct line *l, bool bad)
{
	if (!bad) {
		check_pass();
		return true;
	}
	if (check_fail())
		report(tag, v, mode_name, code, len, in, l);
	return false;
}

/*
 * The same case again as part of a whole decoded block (g_whole_block):
 * the engine's other execution path (the translator, translate.c) must
 * agree with the host as well.  Cases whose code leaves the block (a
 * taken branch) have no whole block to run.
 */
static bool check_whole_block(struct line *l, const struct view *v, const u8 *code, unsigned len,
			      unsigned ninsns, const struct diff_state *in, int vn,
			      const struct diff_state *nat, const struct diff_opts *opts)
{
	struct diff_state blk = *in;
	memcpy(data_int, data_in_buf, DIFF_DATA_SIZE);
	g_whole_block = true;
	int vb = diff_run_interp_seq(code, len, ninsns, &blk, data_int);
	g_whole_block = false;
	if (vb == DIFF_NOT_WHOLE_BLOCK)
		return false;
	bool bad = cmp_results(l, v, vn, vb, nat, &blk, opts);
	if (!(opts->cmp & DIFF_CMP_NO_DATA) && vb != DIFF_HARNESS_ERROR)
		cmp_data(l, &bad, opts);
	if (bad)
		addf(l, " (run as a whole block: the translator)");
	return bad;
}

bool diff_check(const char *tag, const u8 *code, unsigned len, const struct diff_state *in,
		const u8 *data_in, const struct diff_opts *opts)
{
	return diff_check_seq(tag, code, len, 1, in, data_in, opts);
}

bool diff_check_seq(const char *tag, const u8 *code, unsigned len, unsigned ninsns,
		    const struct diff_state *in, const u8 *data_in, const struct diff_opts *opts)
{
	static const struct diff_opts none;
	if (!opts)
		opts = &none;
	if (diff_init()) {
		check_failf(tag, "harness init failed");
		return false;
	}
	data_prepare(data_in);
	struct diff_state nat = *in, itp = *in;
	int vn = diff_run_native(code, len, &nat, data_nat);
	int vi = diff_run_interp_seq(code, len, ninsns, &itp, data_int);
	g_last_native_vec = vn;
	const struct view v = { .nregs = 16, .rsp = false, .reg_mask = ~0ull, .flags = DIFF_FLAGS,
				.rip_end = DIFF_CODE_ADDR + len, .cs_mode = CS_MODE_64 };
	if (g_verbose) {
		char vb[16];
		print_case("case", tag, &v, code, len, NULL);
		printf(" native=%s\n", vec_name(vn, vb));
	}
	struct line l;
	l.n = 0;
	bool bad = cmp_results(&l, &v, vn, vi, &nat, &itp, opts);
	if (!(opts->cmp & DIFF_CMP_NO_DATA) && vi != DIFF_HARNESS_ERROR)
		cmp_data(&l, &bad, opts);
	if (!bad)
		bad = check_whole_block(&l, &v, code, len, ninsns, in, vn, &nat, opts);
	return conclude(tag, &v, NULL, code, len, in, &l, bad);
}

/* ---- 32- and 16-bit code (compatibility mode) ---- */

/* The host's LDT as the harness fills it (selector = index << 3 | TI | RPL 3). */
enum { LDT_CODE16, LDT_CODE32, LDT_ES, LDT_SS32, LDT_SS16, LDT_N };
#define LDT_SEL(i) ((u16)((i) << 3 | 4 | 3))
#define LINUX_USER32_CS 0x23
#define LINUX_USER_DS 0x2b

/* The guest's copies: a GDT laid out like Linux's (0x23 32-bit user code,
 * 0x2b user data, 0x33 64-bit user code) with the LDT's descriptor at 0x40,
 * in the free low memory bare_metal__prepare leaves. */
#define COMPAT_GDT 0xa000ull
#define COMPAT_LDT 0xb000ull
#define COMPAT_SEL_LDT 0x40
#define COMPAT_GDT_ENTRIES 10

/* In the code page, after the code under test: the 64-bit stub. */
#define COMPAT_STUB_OFF 0xf00u

static bool g_compat_ready, g_compat_failed;
static u16 g_host_cs64, g_sel_code32;
static u64 g_ldt[LDT_N];  /* the descriptors the host installed */
static u64 g_code32_desc; /* the 32-bit code segment's */
static u64 g_ds_desc;     /* the host's flat data segment's (DS) */
static struct encore_cpu_state g_compat_base; /* g_base with the guest's tables */
static char g_compat_what[240];
static u8 *g_altstack;
#define ALTSTACK_SIZE (256u << 10)

static u16 seg_selector_of(int seg, const struct diff_compat *mode)
{
	switch (seg) {
	case SEG_CS: return mode->code == 4 ? g_sel_code32 : g_sel_code16;
	case SEG_DS: return LINUX_USER_DS;
	case SEG_ES: return LDT_SEL(LDT_ES);
	case SEG_SS: return LDT_SEL(mode->stack16 ? LDT_SS16 : LDT_SS32);
	default: return 0;
	}
}

u16 diff_compat_selector(const struct diff_compat *mode, int seg)
{
	return seg_selector_of(seg, mode);
}

u32 diff_compat_seg_base(int seg)
{
	switch (seg) {
	case SEG_ES: return (u32)DIFF_DATA_ADDR + DIFF_COMPAT_ES_OFF;
	case SEG_SS: return (u32)DIFF_DATA_ADDR + DIFF_COMPAT_SS_OFF;
	default: return 0;
	}
}

const char *diff_compat_describe(void)
{
	return g_compat_what;
}

static int ldt_set(unsigned idx, u32 base, u32 limit, bool pages, bool big, bool code)
{
	struct user_desc d;
	memset(&d, 0, sizeof(d));
	d.entry_number = idx;
	d.base_addr = base;
	d.limit = limit;
	d.seg_32bit = big;
	d.contents = code ? 2 : 0; /* MODIFY_LDT_CONTENTS_CODE : _DATA */
	d.limit_in_pages = pages;
	d.useable = 1;
	/* 0x11: write an entry with the "new" semantics (AVL from useable). */
	return syscall(SYS_modify_ldt, 0x11, &d, sizeof(d)) ? -errno : 0;
}

/* Install the LDT and read it back as the CPU sees it. */
static int ldt_install(void)
{
	int rc = ldt_set(LDT_CODE16, (u32)DIFF_CODE_ADDR, 0xffff, false, false, true);
	if (!rc)
		rc = ldt_set(LDT_CODE32, 0, 0xfffff, true, true, true);
	if (!rc)
		rc = ldt_set(LDT_ES, diff_compat_seg_base(SEG_ES), 0xfffff, true, true, false);
	if (!rc)
		rc = ldt_set(LDT_SS32, diff_compat_seg_base(SEG_SS), 0xfffff, true, true, false);
	if (!rc)
		rc = ldt_set(LDT_SS16, diff_compat_seg_base(SEG_SS), 0xfffff, true, false, false);
	if (rc) {
		snprintf(g_err, sizeof(g_err), "modify_ldt(2) refused a segment: %s", strerror(-rc));
		return -1;
	}
	memset(g_ldt, 0, sizeof(g_ldt));
	if (syscall(SYS_modify_ldt, 0, g_ldt, sizeof(g_ldt)) != (long)sizeof(g_ldt)) {
		snprintf(g_err, sizeof(g_err), "modify_ldt(2) does not read the LDT back");
		return -1;
	}
	return 0;
}

/* LAR: the access rights of `sel` (descriptor bits 40..55 in bits 8..23),
 * if CPL 3 code may use it. */
static bool host_lar(u32 sel, u32 *ar)
{
	u8 ok = 0;
	__asm__("lar %2, %0\n\tsetz %1" : "=r"(*ar), "=qm"(ok) : "r"(sel) : "cc");
	return ok;
}

/*
 * The descriptor of a host GDT segment as far as user mode can read it:
 * LAR gives the attributes, LSL the limit, the base cannot be read (Linux's
 * user segments are flat: 0).  False if CPL 3 cannot use it (Linux marks
 * __USER32_CS not present when IA-32 emulation is off).
 */
static bool host_gdt_desc(u32 sel, u64 *desc)
{
	u32 ar = 0, lim = 0;
	if (!host_lar(sel, &ar))
		return false;
	__asm__("lsl %1, %0" : "=r"(lim) : "r"(sel) : "cc");
	u32 raw = (ar & 0x800000) ? lim >> 12 : lim;
	*desc = ((u64)(ar & 0x00f0ff00) << 32) | (raw & 0xffff) | ((u64)(raw >> 16 & 0xf) << 48);
	return true;
}

/* A present DPL 3 code segment with D set and L clear. */
static bool desc_is_code32(u64 d)
{
	return (d >> 40 & 0xf8) == 0xf8 && (d >> 53 & 3) == 2;
}

/* An encore_segment from a descriptor. */
static struct encore_segment seg_from_desc(u16 sel, u64 d)
{
	struct encore_segment s;
	u32 lim = (u32)(d & 0xffff) | (u32)((d >> 32) & 0xf0000);
	s.selector = sel;
	s.base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
	s.limit = (d >> 55 & 1) ? lim << 12 | 0xfff : lim;
	s.attr = (u16)((d >> 40) & 0xf0ff);
	return s;
}

static void put_guest64(u64 pa, u64 v)
{
	memcpy(machine__ram_ptr(g_m, pa), &v, 8);
}

#define PTE_US 4ull

static void guest_or64(u64 pa, u64 bits)
{
	u64 v;
	memcpy(&v, machine__ram_ptr(g_m, pa), 8);
	put_guest64(pa, v | bits);
}

/* Guest GDT and LDT with the host's descriptors; user pages for CPL 3. */
static void compat_guest_tables(void)
{
	static const u64 gdt[COMPAT_GDT_ENTRIES] = {
		[1] = 0x00af9b000000ffffull, /* 0x08: kernel 64-bit code */
		[2] = 0x00cf93000000ffffull, /* 0x10: kernel data */
		[4] = 0x00cffb000000ffffull, /* 0x23: 32-bit user code */
		[5] = 0x00cff3000000ffffull, /* 0x2b: user data */
		[6] = 0x00affb000000ffffull, /* 0x33: 64-bit user code */
	};
	for (unsigned k = 0; k < COMPAT_GDT_ENTRIES; k++)
		put_guest64(COMPAT_GDT + 8 * k, gdt[k]);
	if (g_sel_code32 == LINUX_USER32_CS)
		put_guest64(COMPAT_GDT + 8 * 4, g_code32_desc);
	put_guest64(COMPAT_GDT + 8 * 5, g_ds_desc);
	/* 0x40: the LDT (a 16-byte system descriptor in long mode, type 2) */
	u64 limit = LDT_N * 8 - 1, base = COMPAT_LDT;
	put_guest64(COMPAT_GDT + 8 * 8, limit | (base & 0xffffff) << 16 | 0x82ull << 40 |
						(base >> 24 & 0xff) << 56);
	put_guest64(COMPAT_GDT + 8 * 9, base >> 32);
	for (unsigned k = 0; k < LDT_N; k++)
		put_guest64(COMPAT_LDT + 8 * k, g_ldt[k]);

	/* U/S on the path to the 2 MiB pages holding the window and the code
	 * (bare_metal__identity_map: PML4, PDPT, then the page directories). */
	u64 pml4 = BARE_PML4, pdpt = pml4 + 0x1000, pd = pdpt + 0x1000;
	u64 lin[2] = { DIFF_DATA_ADDR, DIFF_CODE_ADDR };
	for (unsigned k = 0; k < 2; k++) {
		guest_or64(pml4 + 8 * (lin[k] >> 39 & 511), PTE_US);
		guest_or64(pdpt + 8 * (lin[k] >> 30 & 511), PTE_US);
		guest_or64(pd + 0x1000 * (lin[k] >> 30) + 8 * (lin[k] >> 21 & 511), PTE_US);
	}

	struct encore_cpu_state *s = &g_compat_base;
	*s = g_base;
	s->gdtr.base = COMPAT_GDT;
	s->gdtr.limit = COMPAT_GDT_ENTRIES * 8 - 1;
	s->ldtr = (struct encore_segment){ .selector = COMPAT_SEL_LDT, .base = COMPAT_LDT,
					   .limit = (u32)limit, .attr = SEG_ATTR_P | 2 };
	s->seg[SEG_FS] = s->seg[SEG_GS] = (struct encore_segment){ 0 };
}

/* The code page: the code, a far jump to the 64-bit stub, the stub. */
static void compat_code_page(const struct diff_compat *mode, const u8 *code, unsigned len)
{
	u32 stub = (u32)DIFF_CODE_ADDR + COMPAT_STUB_OFF;
	u64 back = (u64)(uintptr_t)diff__compat_return;
	u8 *p = g_code + len;
	memcpy(g_code, code, len);
	if (mode->code == 2)
		*p++ = 0x66; /* a 32-bit offset in 16-bit code */
	*p++ = 0xea;   /* JMP ptr16:32 */
	memcpy(p, &stub, 4);
	memcpy(p + 4, &g_host_cs64, 2);
	static const u8 jmp[6] = { 0xff, 0x25, 0, 0, 0, 0 }; /* jmp *0(%rip) */
	memcpy(g_code + COMPAT_STUB_OFF, jmp, 6);
	memcpy(g_code + COMPAT_STUB_OFF + 6, &back, 8);
}

/* After a fault: the host's data segments and clean flags again. */
static void compat_host_restore(void)
{
	const struct compat_ctx *c = &diff__compat_ctx;
	u32 ds = c->host_ds, es = c->host_es, ss = c->host_ss;
	__asm__ volatile("mov %k0, %%ds\n\tmov %k1, %%es\n\tmov %k2, %%ss"
			 : : "r"(ds), "r"(es), "r"(ss) : "memory");
	diff__flags_reset();
}

static int run_native_compat(const struct diff_compat *mode, const u8 *code, unsigned len,
			     struct diff_state *st, u8 *data, bool probe)
{
	struct compat_ctx *c = &diff__compat_ctx;
	if (len > DIFF_MAX_INSN)
		len = DIFF_MAX_INSN;
	compat_code_page(mode, code, len);
	memcpy(g_data, data, DIFF_DATA_SIZE);
	memcpy(c->gpr, st->gpr, sizeof(c->gpr));
	c->rflags = (st->rflags & DIFF_FLAGS) | RF_FIXED1 | RF_IF;
	c->far_off = mode->code == 4 ? (u32)DIFF_CODE_ADDR : 0;
	c->far_sel = seg_selector_of(SEG_CS, mode);
	c->ds = seg_selector_of(SEG_DS, mode);
	c->es = seg_selector_of(SEG_ES, mode);
	c->ss = seg_selector_of(SEG_SS, mode);

	g_fault_vector = DIFF_NO_EXC;
	if (sigsetjmp(g_jb, 0)) {
		compat_host_restore();
		memcpy(data, g_data, DIFF_DATA_SIZE);
		return g_fault_vector;
	}
	g_in_native = probe ? NATIVE_PROBE : NATIVE_COMPAT;
	diff__compat_enter();
	g_in_native = NATIVE_NONE;
	memcpy(st->gpr, c->gpr, sizeof(c->gpr));
	st->rflags = c->rflags & DIFF_COMPAT_FLAGS;
	memcpy(data, g_data, DIFF_DATA_SIZE);
	return DIFF_NO_EXC;
}

/* Run MOV EAX, ECX in `mode` natively: does the host let the harness in and out? */
static bool compat_probe(const struct diff_compat *mode, const char *what)
{
	static u8 scratch[DIFF_DATA_SIZE];
	struct diff_state st;
	diff_state_init(&st);
	st.gpr[REG_RCX] = 0x12345678;
	st.gpr[REG_RSP] = 0x8000;
	static const u8 mov[3] = { 0x66, 0x89, 0xc8 }; /* 32-bit operands in 16-bit code */
	unsigned skip = mode->code == 4;
	int v = run_native_compat(mode, mov + skip, 3 - skip, &st, scratch, true);
	if (v == DIFF_NO_EXC && (u32)st.gpr[REG_RAX] == 0x12345678)
		return true;
	snprintf(g_err, sizeof(g_err), "%s: the host %s", what,
		 v == DIFF_NO_EXC ? "ran it wrongly" : "faulted entering or running it");
	return false;
}

/* Faults in 32/16-bit code arrive with RSP inside the test's stack (or
 * anywhere): the handlers run on their own stack. */
static int signals_on_altstack(void)
{
	g_altstack = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if (g_altstack == MAP_FAILED) {
		g_altstack = NULL;
		return -1;
	}
	stack_t ss = { .ss_sp = g_altstack, .ss_size = ALTSTACK_SIZE, .ss_flags = 0 };
	if (sigaltstack(&ss, NULL))
		return -1;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
	for (unsigned i = 0; i < ARRAY_SIZE(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -1;
	return 0;
}

/* The 32-bit code segment: Linux's 0x23 when it is usable and works, else
 * the LDT's own.  Returns what was chosen, for the description. */
static const char *pick_code32(void)
{
	const struct diff_compat m32 = { 4, false };
	u64 d;
	g_sel_code32 = LDT_SEL(LDT_CODE32);
	g_code32_desc = g_ldt[LDT_CODE32];
	if (!host_gdt_desc(LINUX_USER32_CS, &d) || !desc_is_code32(d))
		return "its own in the LDT (0x23 is not usable here)";
	g_sel_code32 = LINUX_USER32_CS;
	g_code32_desc = d;
	if (compat_probe(&m32, "0x23"))
		return "Linux's __USER32_CS";
	g_sel_code32 = LDT_SEL(LDT_CODE32);
	g_code32_desc = g_ldt[LDT_CODE32];
	return "its own in the LDT (0x23 faulted)";
}

/* The host's side: segments, a probe of each code size. */
static int compat_host_init(void)
{
	u16 cs;
	u32 ar;
	__asm__("mov %%cs, %0" : "=r"(cs));
	g_host_cs64 = cs;
	if (signals_on_altstack()) {
		snprintf(g_err, sizeof(g_err), "sigaltstack: %s", strerror(errno));
		return -1;
	}
	if (!host_gdt_desc(LINUX_USER_DS, &g_ds_desc)) {
		snprintf(g_err, sizeof(g_err), "no flat user data segment %#x", LINUX_USER_DS);
		return -1;
	}
	if (ldt_install())
		return -1;
	if (!host_lar(LDT_SEL(LDT_ES), &ar)) {
		/* Seen on PVM guests: the kernel keeps the LDT but never loads it,
		 * and runs 64-bit user code only. */
		snprintf(g_err, sizeof(g_err),
			 "no 32/16-bit code here: modify_ldt(2) took the segments but the CPU does "
			 "not see them (LAR fails on %#x: no LDT is loaded), and Linux's 32-bit "
			 "code segment %#x is %s", LDT_SEL(LDT_ES), LINUX_USER32_CS,
			 host_lar(LINUX_USER32_CS, &ar) ? "there" : "not usable either");
		return -1;
	}
	g_sel_code16 = LDT_SEL(LDT_CODE16);
	const char *how = pick_code32();
	const struct diff_compat m32 = { 4, false }, m16 = { 2, true };
	if (!compat_probe(&m32, "32-bit code") || !compat_probe(&m16, "16-bit code"))
		return -1;
	snprintf(g_compat_what, sizeof(g_compat_what),
		 "32-bit code segment %#x (%s), 16-bit %#x; DS %#x (flat), ES %#x, SS %#x (32-bit) "
		 "and %#x (16-bit)",
		 g_sel_code32, how, g_sel_code16, LINUX_USER_DS, LDT_SEL(LDT_ES),
		 LDT_SEL(LDT_SS32), LDT_SEL(LDT_SS16));
	return 0;
}

int diff_compat_init(void)
{
	if (g_compat_ready)
		return 0;
	if (g_compat_failed)
		return -1;
	g_compat_failed = true;
	if (diff_init()) {
		snprintf(g_err, sizeof(g_err), "the differential harness did not start");
		return -1;
	}
	if (compat_host_init())
		return -1;
	compat_guest_tables();
	g_compat_failed = false;
	g_compat_ready = true;
	return 0;
}

int diff_run_native_compat(const struct diff_compat *mode, const u8 *code, unsigned len,
			   struct diff_state *st, u8 *data)
{
	if (diff_compat_init())
		return DIFF_HARNESS_ERROR;
	return run_native_compat(mode, code, len, st, data, false);
}

/* The guest's state for a run: CPL 3 in the mode's code segment. */
static void compat_state(struct encore_cpu_state *s, const struct diff_compat *mode,
			 const struct diff_state *st)
{
	*s = g_compat_base;
	memcpy(s->gpr, st->gpr, sizeof(s->gpr));
	u16 cs = seg_selector_of(SEG_CS, mode);
	s->seg[SEG_CS] = seg_from_desc(cs, mode->code == 4 ? g_code32_desc : g_ldt[LDT_CODE16]);
	s->seg[SEG_DS] = seg_from_desc(seg_selector_of(SEG_DS, mode), g_ds_desc);
	s->seg[SEG_ES] = seg_from_desc(seg_selector_of(SEG_ES, mode), g_ldt[LDT_ES]);
	s->seg[SEG_SS] = seg_from_desc(seg_selector_of(SEG_SS, mode),
				       g_ldt[mode->stack16 ? LDT_SS16 : LDT_SS32]);
	s->rip = mode->code == 4 ? DIFF_CODE_ADDR : 0;
	s->rflags = (g_base.rflags & ~DIFF_COMPAT_FLAGS) | (st->rflags & DIFF_FLAGS) | RF_IF |
		    RF_FIXED1;
}

static u64 compat_end(const struct diff_compat *mode, unsigned len)
{
	return (mode->code == 4 ? DIFF_CODE_ADDR : 0) + len;
}

/* Run `ninsns` instructions, then one at a time until EIP is at `end`. */
static enum interp_outcome compat_steps(struct encore_engine *e, unsigned ninsns, u64 end)
{
	struct encore_exit x;
	memset(&x, 0, sizeof(x));
	engine__run(e, e->ops->insn_count(e) + ninsns, &x);
	for (unsigned step = 0; x.reason == EXIT_LIMIT && x.pc != end; step++) {
		if (g_exc_vector != DIFF_NO_EXC || step >= 100000)
			break;
		engine__run(e, e->ops->insn_count(e) + 1, &x);
	}
	if (g_exc_vector != DIFF_NO_EXC || x.reason == EXIT_TRIPLE_FAULT)
		return RUN_FAULT;
	if (x.reason == EXIT_LIMIT && x.pc == end)
		return RUN_DONE;
	snprintf(g_err, sizeof(g_err), "engine exit %d at rip %#llx: %s", (int)x.reason,
		 (unsigned long long)x.pc, x.reason == EXIT_LIMIT ? "did not reach the end" : x.message);
	return RUN_ERROR;
}

static enum interp_outcome compat_attempt(const struct diff_compat *mode, const u8 *code,
					  unsigned len, unsigned ninsns, const struct diff_state *st,
					  const u8 *data, bool hooks, struct encore_cpu_state *s)
{
	compat_state(s, mode, st);
	memcpy(machine__ram_ptr(g_m, DIFF_DATA_ADDR), data, DIFF_DATA_SIZE);
	u8 *cp = machine__ram_ptr(g_m, DIFF_CODE_ADDR);
	for (unsigned k = 0; k < 64; k += 2) { /* UD2 after the code: overruns show */
		cp[k] = 0x0f;
		cp[k + 1] = 0x0b;
	}
	memcpy(cp, code, len);

	struct encore_engine *e = interp__create(g_m, &g_m->vcpus[0]);
	if (!e) {
		snprintf(g_err, sizeof(g_err), "interp__create failed");
		return RUN_ERROR;
	}
	enum interp_outcome out = RUN_ERROR;
	g_exc_vector = DIFF_NO_EXC;
	if (e->ops->set_state(e, s)) {
		snprintf(g_err, sizeof(g_err), "set_state refused the state");
	} else {
		if (hooks)
			e->ops->set_hooks(e, &g_hooks);
		out = compat_steps(e, ninsns ? ninsns : 1, compat_end(mode, len));
		e->ops->get_state(e, s);
		if (hooks)
			e->ops->set_hooks(e, NULL);
	}
	e->ops->destroy(e);
	if (g_m->vcpus[0].engine == e)
		g_m->vcpus[0].engine = NULL;
	return out;
}

int diff_run_interp_compat(const struct diff_compat *mode, const u8 *code, unsigned len,
			   unsigned ninsns, struct diff_state *st, u8 *data)
{
	if (diff_compat_init())
		return DIFF_HARNESS_ERROR;
	if (len > DIFF_MAX_INSN)
		len = DIFF_MAX_INSN;
	g_err[0] = 0;
	struct encore_cpu_state s;
	enum interp_outcome out = compat_attempt(mode, code, len, ninsns, st, data, g_always_hooks, &s);
	if (out == RUN_FAULT && !g_always_hooks)
		out = compat_attempt(mode, code, len, ninsns, st, data, true, &s);
	memcpy(data, machine__ram_ptr(g_m, DIFF_DATA_ADDR), DIFF_DATA_SIZE);
	g_interp_rip = s.rip;
	if (out == RUN_ERROR)
		return DIFF_HARNESS_ERROR;
	if (out == RUN_FAULT)
		return g_exc_vector == DIFF_NO_EXC ? 255 : g_exc_vector;
	memcpy(st->gpr, s.gpr, sizeof(st->gpr));
	st->rflags = s.rflags & DIFF_COMPAT_FLAGS;
	return DIFF_NO_EXC;
}

bool diff_check_compat(const char *tag, const struct diff_compat *mode, const u8 *code,
		       unsigned len, unsigned ninsns, const struct diff_state *in, const u8 *data_in,
		       const struct diff_opts *opts)
{
	static const struct diff_opts none;
	if (!opts)
		opts = &none;
	if (diff_compat_init()) {
		check_failf(tag, "compatibility-mode harness: %s", g_err);
		return false;
	}
	data_prepare(data_in);
	struct diff_state nat = *in, itp = *in;
	int vn = diff_run_native_compat(mode, code, len, &nat, data_nat);
	int vi = diff_run_interp_compat(mode, code, len, ninsns, &itp, data_int);
	g_last_native_vec = vn;
	const struct view v = { .nregs = 8, .rsp = true, .reg_mask = 0xffffffffull,
				.flags = DIFF_COMPAT_FLAGS, .rip_end = compat_end(mode, len),
				.cs_mode = mode->code == 4 ? CS_MODE_32 : CS_MODE_16 };
	char mode_name[24];
	snprintf(mode_name, sizeof(mode_name), "(code%u ss%u)", mode->code * 8,
		 mode->stack16 ? 16 : 32);
	if (g_verbose) {
		char vb[16];
		print_case("case", tag, &v, code, len, mode_name);
		printf(" native=%s\n", vec_name(vn, vb));
	}
	struct line l;
	l.n = 0;
	bool bad = cmp_results(&l, &v, vn, vi, &nat, &itp, opts);
	if (!(opts->cmp & DIFF_CMP_NO_DATA) && vi != DIFF_HARNESS_ERROR)
		cmp_data(&l, &bad, opts);
	return conclude(tag, &v, mode_name, code, len, in, &l, bad);
}
