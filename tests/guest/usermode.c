/*
 * usermode: CPL 3 through our GDT, TSS and page tables.  IRETQ into ring 3,
 * SYSCALL/SYSRET (EFER.SCE, STAR, LSTAR, FMASK; RCX/R11 semantics),
 * int $0x80 through a DPL-3 gate onto the TSS.RSP0 stack, #PF with the U
 * bit, #GP(0) for privileged instructions at CPL 3, SWAPGS.
 */
#include "rt.h"

#define SYS_EXIT 0
#define SYS_PUTC 1
#define SYS_RECORD 2
#define SYS_REDIRECT 3
#define INT80_RECORD 4

#define FMASK_BITS (FL_IF | FL_DF | FL_TF | FL_AC)
#define USER_RFLAGS (FL_FIXED | FL_IF)
#define FRAME_SS_OFF __builtin_offsetof(struct intr_frame, ss)

#define SUP_VA 0x40000000ul     /* present, supervisor */
#define ABSENT_VA 0x40001000ul  /* not present */
#define RO_VA 0x40002000ul      /* present, user, read-only */
#define PDE_SUP_VA 0x40200000ul /* PTE user, PDE supervisor */

/* Saved syscall registers, lowest address first (see usermode.S). */
struct sc_regs {
	u64 pad, r10, r9, r8, rdx, rsi, rdi, rax, rcx, r11, rflags, user_rsp;
};

/* What user_syscall_test() stores. */
struct sc_result {
	u64 rsp_before, flags_before, rip_expected, rax, rcx, r11, flags_after, rsp_after;
	u64 cs, ss, gs0;
};

struct percpu {
	u64 kernel_rsp, user_rsp_scratch;
};

void syscall_entry(void);
void user_syscall_test(struct sc_result *res);
void user_redirect_test(u64 *res);
void user_int80_test(void);
void syscall_dispatch(struct sc_regs *r);

static u8 user_stack[16384] ALIGNED(4096);
static u8 sc_stack[8192] ALIGNED(16);
static struct percpu percpu;
static u64 user_gs_area[2] = { 0x5555aaaa5555aaaaul, 0 };
static u64 *pml4;

/* ---- kernel side ---- */

static struct sc_regs sc_seen;
static u64 sc_seen_cs, sc_seen_ss;
static int sc_calls;

void syscall_dispatch(struct sc_regs *r)
{
	sc_calls++;
	switch (r->rax) {
	case SYS_EXIT:
		return_to_kernel(r->rdi);
	case SYS_PUTC:
		putc((char)r->rdi);
		break;
	case SYS_RECORD:
		sc_seen = *r;
		sc_seen_cs = read_cs();
		sc_seen_ss = read_ss();
		r->rax = r->rdi + 1;
		r->r11 ^= FL_CF | FL_ZF; /* SYSRET must load RFLAGS from R11 */
		break;
	case SYS_REDIRECT:
		r->rcx = r->rdi; /* SYSRET must return to RCX */
		break;
	default:
		r->rax = (u64)-1;
	}
}

static struct intr_frame int80_seen;
static u64 int80_frame_addr, int80_rsp, int80_rflags;

static void int80_handler(struct intr_frame *f)
{
	switch (f->rax) {
	case SYS_EXIT:
		return_to_kernel(f->rdi);
	case INT80_RECORD:
		int80_seen = *f;
		int80_frame_addr = (u64)f;
		int80_rsp = read_rsp();
		int80_rflags = read_rflags();
		break;
	}
}

static u64 run_user(void (*fn)(void), u64 arg)
{
	/* user GS base, and the kernel's per-CPU area for SWAPGS */
	wrmsr(MSR_GS_BASE, (u64)user_gs_area);
	wrmsr(MSR_KERNEL_GS_BASE, (u64)&percpu);
	fault_reset();
	return enter_user((u64)fn, (u64)user_stack + sizeof(user_stack) - 8, USER_RFLAGS, arg);
}

/* ---- user side (C, CPL 3): no port I/O, results go through memory ---- */

#define USER_EXIT(v) \
	do { \
		asm volatile("int $0x80" : : "a"(SYS_EXIT), "D"((u64)(v)) : "memory"); \
		__builtin_unreachable(); \
	} while (0)

static void user_segments(void)
{
	USER_EXIT((u64)read_cs() | (u64)read_ss() << 16 | (read_rflags() & FL_IF) << 32);
}

static void user_hello(void)
{
	static const char msg[] = "usermode: hello from CPL 3 via SYSCALL\n";

	for (const char *p = msg; *p; p++)
		asm volatile("syscall"
			     :
			     : "a"(SYS_PUTC), "D"((u64)*p)
			     : "rcx", "r11", "memory");
	USER_EXIT(0x600d);
}

static volatile u64 user_arg;

static void user_read(void)
{
	probe_read8((void *)user_arg);
	USER_EXIT(0);
}

static void user_write(void)
{
	probe_write8((void *)user_arg, 0x77);
	USER_EXIT(0);
}

static void user_exec(void)
{
	probe_exec((void *)user_arg);
	USER_EXIT(0);
}

#define USER_PROBE(body, ...) \
	asm volatile(PROBE_BEGIN "1: " body "\n\t" PROBE_END : : __VA_ARGS__)

/* Ordered so that an instruction wrongly allowed at CPL 3 harms the later ones least. */
enum priv_op {
	OP_SYSCALL, OP_INT81, OP_READ_CR0, OP_RDMSR, OP_IN, OP_OUT, OP_SWAPGS, OP_INVLPG,
	OP_CLI, OP_STI, OP_WRMSR, OP_WRITE_CR3, OP_LGDT, OP_HLT, OP_COUNT
};
static const char *const op_names[] = {
	[OP_SYSCALL] = "syscall with EFER.SCE=0", [OP_INT81] = "int $0x81 (DPL 0 gate)",
	[OP_READ_CR0] = "mov rax, cr0", [OP_RDMSR] = "rdmsr", [OP_IN] = "in al, dx",
	[OP_OUT] = "out dx, al", [OP_SWAPGS] = "swapgs", [OP_INVLPG] = "invlpg",
	[OP_CLI] = "cli", [OP_STI] = "sti", [OP_WRMSR] = "wrmsr", [OP_WRITE_CR3] = "mov cr3, rax",
	[OP_LGDT] = "lgdt", [OP_HLT] = "hlt",
};

static void user_priv(void)
{
	static struct dtr d;

	switch (user_arg) {
	case OP_HLT:
		USER_PROBE("hlt", : "r11", "memory");
		break;
	case OP_CLI:
		USER_PROBE("cli", : "r11", "memory");
		break;
	case OP_STI:
		USER_PROBE("sti", : "r11", "memory");
		break;
	case OP_READ_CR0:
		USER_PROBE("mov %%cr0, %%rax", : "rax", "r11", "memory");
		break;
	case OP_WRITE_CR3:
		USER_PROBE("mov %%rax, %%cr3", "a"(0ul) : "r11", "memory");
		break;
	case OP_RDMSR:
		USER_PROBE("rdmsr", "c"(MSR_EFER) : "rax", "rdx", "r11", "memory");
		break;
	case OP_WRMSR:
		USER_PROBE("wrmsr", "c"(MSR_LSTAR), "a"(0), "d"(0) : "r11", "memory");
		break;
	case OP_LGDT:
		USER_PROBE("lgdt %0", "m"(d) : "r11", "memory");
		break;
	case OP_INVLPG:
		USER_PROBE("invlpg (%0)", "r"(user_stack) : "r11", "memory");
		break;
	case OP_SWAPGS:
		USER_PROBE("swapgs", : "r11", "memory");
		break;
	case OP_OUT:
		USER_PROBE("outb %%al, %%dx", "a"(0x41), "d"(PORT_CONSOLE) : "r11", "memory");
		break;
	case OP_IN:
		USER_PROBE("inb %%dx, %%al", "d"(PORT_CONSOLE) : "rax", "r11", "memory");
		break;
	case OP_INT81:
		USER_PROBE("int $0x81", : "r11", "memory");
		break;
	case OP_SYSCALL:
		USER_PROBE("syscall", "a"(SYS_PUTC), "D"('!') : "rcx", "r11", "memory");
		break;
	}
	USER_EXIT(0);
}

/* ---- tests ---- */

static void test_swapgs(void)
{
	static u64 gsa[1] = { 0xaaaa }, gsb[1] = { 0xbbbb };
	u64 v;

	wrmsr(MSR_GS_BASE, (u64)gsa);
	wrmsr(MSR_KERNEL_GS_BASE, (u64)gsb);
	asm volatile("mov %%gs:0, %0" : "=r"(v));
	check_eq(v, 0xaaaa, "GS base from IA32_GS_BASE");
	asm volatile("swapgs" : : : "memory");
	asm volatile("mov %%gs:0, %0" : "=r"(v));
	check_eq(v, 0xbbbb, "SWAPGS: GS base now the old KERNEL_GS_BASE");
	check_eq(rdmsr(MSR_GS_BASE), (u64)gsb, "SWAPGS: IA32_GS_BASE swapped");
	check_eq(rdmsr(MSR_KERNEL_GS_BASE), (u64)gsa, "SWAPGS: IA32_KERNEL_GS_BASE swapped");
	asm volatile("swapgs" : : : "memory");
	check_eq(rdmsr(MSR_GS_BASE), (u64)gsa, "SWAPGS twice restores GS base");
}

static void test_iret_to_user(void)
{
	u64 v = run_user(user_segments, 0);

	check_eq(v & 0xffff, SEL_UCODE | 3, "IRETQ to ring 3: CS = user code, RPL 3");
	check_eq(v >> 16 & 0xffff, SEL_UDATA | 3, "IRETQ to ring 3: SS = user data, RPL 3");
	check(v >> 32 & FL_IF, "IRETQ to ring 3: IF from the frame");
}

static void test_syscall(void)
{
	static struct sc_result res;
	static u64 redirect;
	u64 r11_ret, v;

	v = run_user(user_hello, 0);
	check_eq(v, 0x600d, "SYSCALL from C at CPL 3 (putc) and exit");

	memset(&res, 0, sizeof(res));
	sc_calls = 0;
	v = run_user((void (*)(void))user_syscall_test, (u64)&res);
	check_eq(v, 0x5c, "syscall test ran to its exit");
	check_eq(sc_calls, 2, "two syscalls seen");
	check_eq(sc_seen.rdi, 0x1234, "SYSCALL: arguments arrive in registers");
	check_eq(sc_seen.rcx, res.rip_expected, "SYSCALL: RCX = RIP of the next instruction");
	check_eq(sc_seen.r11, res.flags_before, "SYSCALL: R11 = RFLAGS before the syscall");
	check(res.flags_before & FL_DF && res.flags_before & FL_AC && res.flags_before & FL_IF,
	      "user RFLAGS had IF, DF and AC set");
	check_eq(sc_seen.rflags, res.flags_before & ~(FMASK_BITS | FL_RF),
		 "SYSCALL: RFLAGS &= ~IA32_FMASK (IF, DF, AC cleared)");
	check_eq(sc_seen.user_rsp, res.rsp_before, "SYSCALL: RSP is not switched");
	check_eq(sc_seen_cs, SEL_KCODE, "SYSCALL: CS = STAR[47:32]");
	check_eq(sc_seen_ss, SEL_KDATA, "SYSCALL: SS = STAR[47:32] + 8");

	r11_ret = res.flags_before ^ (FL_CF | FL_ZF);
	check_eq(res.rax, 0x1235, "SYSRET: RAX from the kernel");
	check_eq(res.rcx, res.rip_expected, "SYSRET: RCX unchanged");
	check_eq(res.r11, r11_ret, "SYSRET: R11 unchanged");
	check_eq(res.flags_after, (r11_ret & 0x3c7fd7) | FL_FIXED, "SYSRET: RFLAGS = R11");
	check_eq(res.rsp_after, res.rsp_before, "SYSRET: RSP back to the user's");
	check_eq(res.cs, SEL_UCODE | 3, "SYSRET: CS = STAR[63:48] + 16, RPL 3");
	check_eq(res.ss, SEL_UDATA | 3, "SYSRET: SS = STAR[63:48] + 8, RPL 3");
	check_eq(res.gs0, user_gs_area[0], "SWAPGS on the way out restored the user GS base");

	redirect = 0;
	run_user((void (*)(void))user_redirect_test, (u64)&redirect);
	check_eq(redirect, 2, "SYSRET returns to the RIP in RCX");
}

static void test_int80(void)
{
	u64 v = run_user(user_int80_test, 0);
	struct intr_frame *f = &int80_seen;

	check_eq(v, 0x8080, "int $0x80 test ran to its exit");
	check_eq(int80_frame_addr + FRAME_SS_OFF, (u64)rsp0_stack_top - 8,
		 "int $0x80 from CPL 3: frame at the top of TSS.RSP0");
	check(int80_rsp >= (u64)rsp0_stack && int80_rsp < (u64)rsp0_stack_top,
	      "int $0x80: handler runs on the RSP0 stack (rsp %lx)", int80_rsp);
	check_eq(f->ss, SEL_UDATA | 3, "int $0x80: saved SS");
	check_eq(f->rsp, f->r12, "int $0x80: saved RSP is the user's");
	check_eq(f->cs, SEL_UCODE | 3, "int $0x80: saved CS");
	check_eq(f->rip, f->r13, "int $0x80: saved RIP after the int");
	check_eq(f->rflags, f->r14, "int $0x80: saved RFLAGS");
	check(!(int80_rflags & FL_IF), "int $0x80: interrupt gate cleared IF");
}

static void user_fault(void (*fn)(void), u64 addr, const char *what, u64 err)
{
	user_arg = addr;
	run_user(fn, 0);
	expect_pf(what, err, addr);
	check_eq(last_fault.cs, SEL_UCODE | 3, "%s: fault came from CPL 3", what);
}

static void test_user_pf(void)
{
	user_fault(user_read, SUP_VA + 0x10, "CPL 3 read of a supervisor page", PFE_P | PFE_U);
	check_eq(last_fault.frame_addr + FRAME_SS_OFF, (u64)rsp0_stack_top - 8,
		 "#PF from CPL 3 is delivered on the RSP0 stack");
	user_fault(user_write, SUP_VA + 0x20, "CPL 3 write to a supervisor page",
		   PFE_P | PFE_W | PFE_U);
	user_fault(user_exec, SUP_VA + 0x30, "CPL 3 fetch from a supervisor page",
		   PFE_P | PFE_U | PFE_I);
	user_fault(user_read, ABSENT_VA + 0x40, "CPL 3 read of a not-present page", PFE_U);
	user_fault(user_write, ABSENT_VA + 0x50, "CPL 3 write to a not-present page",
		   PFE_W | PFE_U);
	user_fault(user_write, RO_VA + 0x60, "CPL 3 write to a read-only user page",
		   PFE_P | PFE_W | PFE_U);
	user_fault(user_read, PDE_SUP_VA + 0x70, "CPL 3 read, U=0 in the PDE only", PFE_P | PFE_U);

	user_arg = RO_VA + 0x80;
	run_user(user_read, 0);
	expect_no_fault("CPL 3 read of a read-only user page");
	check_eq(probe_value, 0x99, "CPL 3 read-only page content");
	fault_reset();
	probe_read8((void *)SUP_VA);
	expect_no_fault("CPL 0 read of the supervisor page");
}

static void test_privileged(void)
{
	for (int op = 0; op < OP_COUNT; op++) {
		u64 vec = VEC_GP, err = 0;

		if (op == OP_INT81)
			err = 0x81 * 8 + 2; /* gate DPL < CPL: #GP(vector | IDT) */
		if (op == OP_SYSCALL) {
			vec = VEC_UD;
			wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_SCE);
		}
		user_arg = (u64)op;
		run_user(user_priv, 0);
		if (op == OP_SYSCALL)
			wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
		expect_fault(op_names[op], (int)vec, err);
		check_eq(last_fault.cs, SEL_UCODE | 3, "%s: fault came from CPL 3", op_names[op]);
	}
}

int main(void)
{
	u64 f;

	test_start("usermode");
	gdt_init();
	idt_init();
	idt_set_dpl(0x80, 3);
	idt_set_handler(0x80, int80_handler);

	/* Everything user-accessible except the test pages. */
	pml4 = pt_identity(PTE_P | PTE_W | PTE_U);
	pt_map(pml4, SUP_VA, frame_alloc(), PTE_P | PTE_W);
	pt_map(pml4, ABSENT_VA, frame_alloc(), PTE_W | PTE_U);
	f = frame_alloc();
	memset((void *)f, 0x99, PAGE_SIZE);
	pt_map(pml4, RO_VA, f, PTE_P | PTE_U);
	pt_map(pml4, PDE_SUP_VA, frame_alloc(), PTE_P | PTE_W | PTE_U);
	*pt_entry(pml4, PDE_SUP_VA, 2, 0) &= ~PTE_U;
	write_cr3((u64)pml4);
	write_cr0(read_cr0() | CR0_WP);

	percpu.kernel_rsp = (u64)sc_stack + sizeof(sc_stack);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE | EFER_NXE);
	wrmsr(MSR_STAR, (u64)SEL_KDATA << 48 | (u64)SEL_KCODE << 32);
	wrmsr(MSR_LSTAR, (u64)syscall_entry);
	wrmsr(MSR_FMASK, FMASK_BITS);
	puts("usermode: GDT, TSS, IDT, page tables and SYSCALL MSRs set up\n");

	test_swapgs();
	test_iret_to_user();
	test_syscall();
	test_int80();
	test_user_pf();
	test_privileged();
	return test_finish();
}
