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
#include <ucontext.h>
#include <unistd.h>

#include "check.h"
#include "encore/engine.h"
#include "encore/hooks.h"
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

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	u64 rip = (u64)uc->uc_mcontext.gregs[GREG_RIP];
	(void)si;
	if (!g_in_native || rip < DIFF_CODE_ADDR || rip > DIFF_CODE_ADDR + 4096) {
		/* Not the instruction under test: a harness bug.  Die loudly. */
		static const char msg[] = "diff_harness: unexpected signal outside the test page\n";
		if (write(2, msg, sizeof(msg) - 1) < 0) {
		}
		signal(sig, SIG_DFL);
		return; /* re-executes the faulting instruction: default action */
	}
	g_fault_vector = (int)uc->uc_mcontext.gregs[GREG_TRAPNO];
	g_in_native = 0;
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

	g_m = machine__create(GUEST_RAM, 1);
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
	g_in_native = 1;
	diff__native_enter();
	g_in_native = 0;

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

enum interp_outcome { RUN_DONE, RUN_FAULT, RUN_ERROR };

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
		u64 limit = now + (done < ninsns ? ninsns - done : 1);
		engine__run(e, limit, &x);
		e->ops->get_state(e, s);
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
			 (unsigned long long)x.rip, x.message);
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

void diff_disasm(const u8 *code, unsigned len, char *out, size_t outlen)
{
	cs_insn *insn;
	size_t n = 0, k;
	if (diff_init() == 0 && g_cs_ok && (n = cs_disasm(g_cs, code, len, DIFF_CODE_ADDR, 0, &insn)) > 0) {
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

static void flags_str(u64 f, char *buf)
{
	snprintf(buf, 40, "%#llx[%s%s%s%s%s%s%s]", (unsigned long long)(f & DIFF_FLAGS),
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
	if (data_in)
		memcpy(data_in_buf, data_in, DIFF_DATA_SIZE);
	else
		memset(data_in_buf, 0, DIFF_DATA_SIZE);
	memcpy(data_nat, data_in_buf, DIFF_DATA_SIZE);
	memcpy(data_int, data_in_buf, DIFF_DATA_SIZE);

	struct diff_state nat = *in, itp = *in;
	int vn = diff_run_native(code, len, &nat, data_nat);
	int vi = diff_run_interp_seq(code, len, ninsns, &itp, data_int);
	g_last_native_vec = vn;
	if (g_verbose) {
		char dis[400], vb[16];
		diff_disasm(code, len, dis, sizeof(dis));
		printf("case %s: ", tag);
		for (unsigned i = 0; i < len; i++)
			printf("%02x", code[i]);
		printf(" [%s] native=%s\n", dis, vec_name(vn, vb));
	}

	struct line l;
	l.n = 0;
	char vb1[16], vb2[16], fb1[40], fb2[40];
	bool bad = false;

	if (vn != vi) {
		bad = true;
		addf(&l, " exception: native=%s interp=%s", vec_name(vn, vb1), vec_name(vi, vb2));
		if (vi == DIFF_HARNESS_ERROR)
			addf(&l, " (%s)", g_err);
	}
	if (vn == DIFF_NO_EXC && vi == DIFF_NO_EXC) {
		if (g_interp_rip != DIFF_CODE_ADDR + len) {
			bad = true;
			addf(&l, " rip: native=%#llx interp=%#llx",
			     (unsigned long long)(DIFF_CODE_ADDR + len), (unsigned long long)g_interp_rip);
		}
		for (int r = 0; r < 16; r++) {
			if (r == REG_RSP || (opts->gpr_undef >> r & 1))
				continue;
			if (nat.gpr[r] != itp.gpr[r]) {
				bad = true;
				addf(&l, " %s: native=%#llx interp=%#llx", reg_names[r],
				     (unsigned long long)nat.gpr[r], (unsigned long long)itp.gpr[r]);
			}
		}
		u64 fm = DIFF_FLAGS & ~opts->flags_undef;
		if ((nat.rflags ^ itp.rflags) & fm) {
			bad = true;
			flags_str(nat.rflags, fb1);
			flags_str(itp.rflags, fb2);
			addf(&l, " flags: native=%s interp=%s differ=%#llx (undefined %#llx)", fb1, fb2,
			     (unsigned long long)((nat.rflags ^ itp.rflags) & fm),
			     (unsigned long long)(opts->flags_undef & DIFF_FLAGS));
		}
		if (opts->cmp & DIFF_CMP_XMM)
			for (int r = 0; r < 16; r++) {
				if (opts->xmm_undef >> r & 1)
					continue;
				if (memcmp(nat.xmm[r], itp.xmm[r], 16)) {
					bad = true;
					addf(&l, " xmm%d:", r);
					add_native_interp_bytes(&l, nat.xmm[r], itp.xmm[r], 16);
				}
			}
		if ((opts->cmp & DIFF_CMP_MXCSR) && nat.mxcsr != itp.mxcsr) {
			bad = true;
			addf(&l, " mxcsr: native=%#x interp=%#x", nat.mxcsr, itp.mxcsr);
		}
		if (opts->cmp & (DIFF_CMP_X87 | DIFF_CMP_X87_ALL)) {
			if (nat.fcw != itp.fcw) {
				bad = true;
				addf(&l, " fcw: native=%#x interp=%#x", nat.fcw, itp.fcw);
			}
			if ((nat.fsw ^ itp.fsw) & ~opts->fsw_undef) {
				bad = true;
				addf(&l, " fsw: native=%#x interp=%#x (undefined %#x)", nat.fsw, itp.fsw,
				     opts->fsw_undef);
			}
			if (nat.ftw != itp.ftw) {
				bad = true;
				addf(&l, " ftw: native=%#x interp=%#x", nat.ftw, itp.ftw);
			}
			unsigned top = (nat.fsw >> 11) & 7;
			for (int i = 0; i < 8; i++) {
				bool valid = nat.ftw >> ((top + i) & 7) & 1;
				if (!valid && !(opts->cmp & DIFF_CMP_X87_ALL))
					continue;
				if (memcmp(nat.st[i], itp.st[i], 10)) {
					bad = true;
					addf(&l, " st%d:", i);
					add_native_interp_bytes(&l, nat.st[i], itp.st[i], 10);
				}
			}
		}
	}
	/* The window is usually identical: memcmp it, walk bytes only to report. */
	if (!(opts->cmp & DIFF_CMP_NO_DATA) && vi != DIFF_HARNESS_ERROR &&
	    memcmp(data_nat, data_int, DIFF_DATA_SIZE)) {
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
		if (count) {
			bad = true;
			unsigned n = last - first + 1;
			if (n > 16)
				n = 16;
			addf(&l, " data[%#llx]: %u bytes differ in [%#x..%#x]; from there native=",
			     (unsigned long long)(DIFF_DATA_ADDR + first), count, first, last);
			add_hex(&l, data_nat + first, n);
			addf(&l, " interp=");
			add_hex(&l, data_int + first, n);
			addf(&l, " input=");
			add_hex(&l, data_in_buf + first, n);
		}
	}

	if (!bad) {
		check_pass();
		return true;
	}
	if (!check_fail())
		return false;
	char dis[400];
	diff_disasm(code, len, dis, sizeof(dis));
	printf("FAIL %s: ", tag);
	for (unsigned i = 0; i < len; i++)
		printf("%02x", code[i]);
	flags_str(in->rflags, fb1);
	printf(" [%s] in:", dis);
	for (int r = 0; r < 16; r++)
		if (r != REG_RSP)
			printf(" %s=%#llx", reg_names[r], (unsigned long long)in->gpr[r]);
	printf(" fl=%s; result:%s\n", fb1, l.buf);
	fflush(stdout);
	return false;
}
