/*
 * interrupts: exception delivery through our IDT at CPL 0.
 * #DE, #UD, #BP (trap: RIP after int3), #GP/#NP/#SS with error codes,
 * #PF error code and CR2, gate checks (not present, beyond the IDT limit),
 * IST stacks, 16-byte stack alignment, interrupt vs trap gates, and a
 * double fault raised by a #PF whose delivery itself page-faults.
 *
 * Runs on encore's identity map (first 4 GiB); UNMAPPED lies far above it.
 */
#include "rt.h"

#define UNMAPPED 0x700000000000ul /* PML4 slot 224: never mapped by encore */
#define NONCANON 0x8000000000000000ul
#define FRAME_SS_OFF __builtin_offsetof(struct intr_frame, ss)

/* ---- faults: one probed instruction each ---- */

static void test_de(void)
{
	u64 rax;

	fault_reset();
	asm volatile(PROBE_BEGIN "xor %%edx, %%edx\n\t"
				 "mov $100, %%eax\n\t"
				 "1: divl %[d]\n\t" PROBE_END
		     : "=&a"(rax)
		     : [d] "r"(0)
		     : "rdx", "r11", "memory", "cc");
	expect_fault("div by zero", VEC_DE, 0);

	fault_reset();
	asm volatile(PROBE_BEGIN "movabs $0x8000000000000000, %%rax\n\t"
				 "cqo\n\t"
				 "1: idivq %[d]\n\t" PROBE_END
		     : "=&a"(rax)
		     : [d] "r"(-1l)
		     : "rdx", "r11", "memory", "cc");
	expect_fault("idiv overflow (INT64_MIN / -1)", VEC_DE, 0);
}

static void test_ud(void)
{
	fault_reset();
	asm volatile(PROBE_BEGIN "1: ud2\n\t" PROBE_END : : : "r11", "memory");
	expect_fault("ud2", VEC_UD, 0);

	fault_reset();
	asm volatile(PROBE_BEGIN "1: .byte 0xf0, 0x90\n\t" PROBE_END : : : "r11", "memory");
	expect_fault("lock nop", VEC_UD, 0);

	fault_reset();
	asm volatile(PROBE_BEGIN "1: .byte 0xce\n\t" PROBE_END : : : "r11", "memory");
	expect_fault("into (invalid in 64-bit mode)", VEC_UD, 0);
}

static void bp_handler(struct intr_frame *f)
{
	fault_record(f); /* a trap: resume after int3 */
}

static void test_bp(void)
{
	u64 after;
	u8 cf;

	idt_set_handler(VEC_BP, bp_handler);

	fault_reset();
	asm volatile("lea 1f(%%rip), %0\n\t"
		     "stc\n\t"
		     "int3\n"
		     "1: setc %1"
		     : "=&r"(after), "=r"(cf)
		     :
		     : "memory", "cc");
	check(last_fault.count == 1 && last_fault.vector == VEC_BP, "int3 raises #BP");
	check_eq(last_fault.rip, after, "int3: saved RIP is the next instruction");
	check_eq(last_fault.error, 0, "int3: no error code");
	check_eq(last_fault.cs, SEL_KCODE, "int3: saved CS");
	check(cf == 1, "int3: CF survives the handler's IRETQ");

	fault_reset();
	asm volatile("lea 1f(%%rip), %0\n\t"
		     "int $3\n"
		     "1:"
		     : "=&r"(after)
		     :
		     : "memory");
	check(last_fault.count == 1 && last_fault.vector == VEC_BP, "int $3 raises #BP");
	check_eq(last_fault.rip, after, "int $3 (CD 03): saved RIP is the next instruction");

	idt_set_handler(VEC_BP, NULL);
}

static void load_ds(u16 sel)
{
	asm volatile(PROBE_BEGIN "1: mov %0, %%ds\n\t" PROBE_END : : "r"(sel) : "r11", "memory");
}

static void test_gp(void)
{
	u16 ds = read_ds();

	fault_reset();
	load_ds(0x1230);
	expect_fault("mov ds, selector beyond the GDT limit", VEC_GP, 0x1230);
	check_eq(read_ds(), ds, "DS unchanged after the faulting load");

	fault_reset();
	load_ds(SEL_TSS);
	expect_fault("mov ds, TSS selector", VEC_GP, SEL_TSS);

	fault_reset();
	load_ds(SEL_NOTPRESENT);
	expect_fault("mov ds, not-present data segment", VEC_NP, SEL_NOTPRESENT);

	fault_reset();
	asm volatile(PROBE_BEGIN "1: mov %0, %%ss\n\t" PROBE_END
		     :
		     : "r"((u16)(SEL_UDATA | 3))
		     : "r11", "memory");
	expect_fault("mov ss, RPL-3 selector at CPL 0", VEC_GP, SEL_UDATA);
	check_eq(read_ss(), SEL_KDATA, "SS unchanged after the faulting load");

	fault_reset();
	asm volatile(PROBE_BEGIN "1: wrmsr\n\t" PROBE_END
		     :
		     : "c"(0x12345678u), "a"(0), "d"(0)
		     : "r11", "memory");
	expect_fault("wrmsr to a nonexistent MSR", VEC_GP, 0);

	fault_reset();
	asm volatile(PROBE_BEGIN "1: rdmsr\n\t" PROBE_END
		     :
		     : "c"(0x12345678u)
		     : "rax", "rdx", "r11", "memory");
	expect_fault("rdmsr of a nonexistent MSR", VEC_GP, 0);

	fault_reset();
	asm volatile(PROBE_BEGIN "1: mov (%0), %%rax\n\t" PROBE_END
		     :
		     : "r"(NONCANON)
		     : "rax", "r11", "memory");
	expect_fault("load from a non-canonical address", VEC_GP, 0);

	/* A non-canonical address formed from RSP is a stack reference: #SS(0). */
	fault_reset();
	asm volatile(PROBE_BEGIN "1: mov (%%rsp,%0), %%rax\n\t" PROBE_END
		     :
		     : "r"(NONCANON)
		     : "rax", "r11", "memory");
	expect_fault("load from a non-canonical RSP-based address", VEC_SS, 0);
}

static void test_pf(void)
{
	u64 nxe = rdmsr(MSR_EFER) & EFER_NXE;

	fault_reset();
	probe_read8((void *)(UNMAPPED + 0x123));
	expect_fault("read of an unmapped page", VEC_PF, 0);
	expect_pf("read of an unmapped page", 0, UNMAPPED + 0x123);

	fault_reset();
	probe_write8((void *)(UNMAPPED + 0x1ff8), 1);
	expect_pf("write to an unmapped page", PFE_W, UNMAPPED + 0x1ff8);

	fault_reset();
	probe_exec((void *)(UNMAPPED + 0x40));
	/* I/D is reported only when EFER.NXE (or SMEP) is on. */
	expect_pf("fetch from an unmapped page", nxe ? PFE_I : 0, UNMAPPED + 0x40);
	check_eq(last_fault.rip, UNMAPPED + 0x40, "fetch fault: saved RIP is the target");
}

static void test_gates(void)
{
	struct dtr small = { .limit = 0x80 * 16 - 1, .base = (u64)idt };

	idt_set_present(0x50, 0);
	fault_reset();
	asm volatile(PROBE_BEGIN "1: int $0x50\n\t" PROBE_END : : : "r11", "memory");
	expect_fault("int through a not-present gate", VEC_NP, 0x50 * 8 + 2);
	idt_set_present(0x50, 1);

	lidt(&small);
	fault_reset();
	asm volatile(PROBE_BEGIN "1: int $0x90\n\t" PROBE_END : : : "r11", "memory");
	idt_load();
	expect_fault("int beyond the IDT limit", VEC_GP, 0x90 * 8 + 2);
}

/* ---- software interrupts: where the frame lands ---- */

static volatile u64 h_frame, h_rflags_now;

static void soft_handler(struct intr_frame *f)
{
	fault_record(f);
	h_frame = (u64)f;
	h_rflags_now = read_rflags();
}

static void test_ist(void)
{
	u64 before, after;

	idt_set_handler(0x40, soft_handler);
	idt_set_ist(0x40, 1);
	for (int round = 0; round < 2; round++) {
		fault_reset();
		h_frame = 0;
		asm volatile("lea 1f(%%rip), %1\n\t"
			     "mov %%rsp, %0\n\t"
			     "int $0x40\n"
			     "1:"
			     : "=&r"(before), "=&r"(after)
			     :
			     : "memory");
		check_eq(h_frame + FRAME_SS_OFF, (u64)ist1_stack_top - 8,
			 "IST1 gate at CPL 0 (round %d): frame at the top of TSS.IST1", round);
		check_eq(last_fault.rsp, before, "IST1 gate: saved RSP is the interrupted stack");
		check_eq(last_fault.ss, SEL_KDATA, "IST1 gate: saved SS");
		check_eq(last_fault.cs, SEL_KCODE, "IST1 gate: saved CS");
		check_eq(last_fault.rip, after, "IST1 gate: saved RIP after int");
	}
	idt_set_ist(0x40, 0);
	idt_set_handler(0x40, NULL);
}

static void test_alignment(void)
{
	idt_set_handler(0x41, soft_handler);
	for (int mis = 0; mis <= 8; mis += 8) {
		u64 before;

		fault_reset();
		asm volatile("mov %%rsp, %%r12\n\t"
			     "and $-16, %%rsp\n\t"
			     "sub %1, %%rsp\n\t"
			     "mov %%rsp, %0\n\t"
			     "int $0x41\n\t"
			     "mov %%r12, %%rsp"
			     : "=&r"(before)
			     : "r"((u64)mis)
			     : "r12", "memory");
		check_eq(before & 15, mis, "stack misaligned by %d before int", mis);
		check_eq(h_frame + FRAME_SS_OFF, (before & ~15ul) - 8,
			 "no-IST gate, RSP%%16=%d: frame pushed at RSP aligned down to 16", mis);
		check_eq(last_fault.rsp, before, "no-IST gate, RSP%%16=%d: saved RSP is exact", mis);
	}
	idt_set_handler(0x41, NULL);
}

static void test_if(void)
{
	idt_set_handler(0x42, soft_handler);
	idt_set_handler(0x43, soft_handler);
	idt_set_trap(0x43, 1);

	asm volatile("sti\n\t"
		     "int $0x42\n\t"
		     "cli"
		     :
		     :
		     : "memory");
	check(!(h_rflags_now & FL_IF), "interrupt gate clears IF in the handler");
	check(last_fault.rflags & FL_IF, "interrupt gate: saved RFLAGS has IF set");

	asm volatile("sti\n\t"
		     "int $0x43\n\t"
		     "cli"
		     :
		     :
		     : "memory");
	check(h_rflags_now & FL_IF, "trap gate keeps IF in the handler");

	idt_set_trap(0x43, 0);
	idt_set_handler(0x42, NULL);
	idt_set_handler(0x43, NULL);
}

/*
 * #PF on a load with RSP pointing at an unmapped page: pushing the #PF
 * frame faults again, which is a double fault.  #PF has no IST, #DF uses
 * IST1, so #DF is delivered on a good stack with error code 0.
 */
static void test_double_fault(void)
{
	idt_set_ist(VEC_DF, 1);
	idt_set_ist(VEC_PF, 0);
	fault_reset();
	asm volatile(PROBE_BEGIN "mov %0, %%rsp\n\t"
				 "1: mov (%1), %%rax\n\t" PROBE_END
		     :
		     : "r"(UNMAPPED + 0x2000), "r"(UNMAPPED + 0x40)
		     : "rax", "r11", "memory");
	check_eq(last_fault.count, 1, "double fault: exactly one exception reached the handler");
	check_eq(last_fault.vector, VEC_DF, "double fault: vector 8");
	check_eq(last_fault.error, 0, "double fault: error code 0");
	check_eq(last_fault.frame_addr + FRAME_SS_OFF, (u64)ist1_stack_top - 8,
		 "double fault: delivered on the IST1 stack");
	check_eq(last_fault.cs, SEL_KCODE, "double fault: saved CS");
	kprintf("  info: #DF saved rip %lx rsp %lx, cr2 %lx\n", last_fault.rip, last_fault.rsp,
		read_cr2());
}

int main(void)
{
	test_start("interrupts");
	gdt_init();
	idt_init();
	puts("interrupts: GDT, TSS and IDT loaded\n");

	test_de();
	test_ud();
	test_bp();
	test_gp();
	test_pf();
	test_gates();
	test_ist();
	test_alignment();
	test_if();
	test_double_fault();
	return test_finish();
}
