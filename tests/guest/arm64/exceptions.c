/*
 * exceptions: the vector table at VBAR_EL1 and what an exception leaves
 * in ESR_EL1, ELR_EL1, SPSR_EL1 and FAR_EL1: SVC from EL1h, EL1t and EL0
 * (dropped to with ERET, back with SVC), BRK, an undefined instruction,
 * an EL0 access to an EL1 register, data aborts (unmapped, outside the
 * VA range, an EL0 access to an EL1 page), alignment faults (Device
 * memory, SCTLR.A, an unaligned exclusive, SP and PC alignment) and the
 * pairs that must not fault there, an illegal exception return;
 * SP_EL0/SP_EL1 banking; PSCI answers.  On the boot map (rt.h).
 */
#include "rt.h"

extern u64 el0_sp(u64), el0_svc(u64), el0_mrs(u64), el0_brk(u64), el0_load(u64);
extern char el0_load_insn[];
extern char el0_svc_next[], el0_mrs_insn[], el0_brk_insn[];
extern u64 svc_on_sp0(u64), load_on_sp0(u64);
extern char svc_on_sp0_next[], load_on_sp0_insn[];
extern void branch_to(u64 target);
extern void illegal_return(void);
extern char illegal_return_at[];

#define SCTLR_A (1ul << 1)
#define SCTLR_SA (1ul << 3)

static u8 el0_stack[4096] ALIGNED(16);
static u8 sp0_stack[1024] ALIGNED(16);
static u64 data_word[2] ALIGNED(16) = { 0x1122334455667788ul, 0x99aabbccddeeff00ul };

static void test_svc_el1(void)
{
	u64 after, sp;
	asm volatile("msr nzcv, %0" ::"r"(0x60000000ul));
	probe_arm();
	asm volatile("mov %1, sp\n\t"
		     "svc #0x123\n\t"
		     "1: adr %0, 1b"
		     : "=r"(after), "=r"(sp)::"memory", "cc");
	check(last_fault.taken && last_fault.kind == EXC_CUR_SPX_SYNC,
	      "svc at EL1h: taken through the current-EL SPx sync vector");
	check_eq(last_fault.esr, (u64)EC_SVC << 26 | ESR_IL | 0x123,
		 "svc #0x123 at EL1h: ESR = EC 0x15, IL, imm16");
	check_eq(last_fault.elr, after, "svc at EL1h: ELR is the next instruction");
	check_eq(last_fault.spsr, 0x600003c5ul, "svc at EL1h: SPSR = NZCV 0110, DAIF, EL1h");
	check_eq(last_fault.sp, sp, "svc at EL1h: the handler ran on the same SP_EL1");
}

static void test_svc_el1t(void)
{
	u64 sp, top = (u64)(sp0_stack + sizeof(sp0_stack));
	asm volatile("mov %0, sp" : "=r"(sp));
	probe_arm();
	u64 seen = svc_on_sp0(top);
	check_eq(seen, top, "EL1t: SP reads SP_EL0");
	check(last_fault.taken && last_fault.kind == EXC_CUR_SP0_SYNC,
	      "svc at EL1t: taken through the current-EL SP0 sync vector");
	check_eq(last_fault.esr, (u64)EC_SVC << 26 | ESR_IL | 7, "svc #7 at EL1t: ESR");
	check_eq(last_fault.elr, (u64)svc_on_sp0_next, "svc at EL1t: ELR");
	check_eq(last_fault.spsr & 0x3ff, 0x3c4ul, "svc at EL1t: SPSR.M = EL1t");
	check_eq(last_fault.sp_el0, top, "svc at EL1t: SP_EL0 kept in its bank");
	check_eq(last_fault.sp, sp, "svc at EL1t: the handler ran on SP_EL1, not SP_EL0");
}

static void test_sp_banking(void)
{
	u64 a = 0x40001230ul, b, in0, back;
	asm volatile("msr sp_el0, %3\n\t"
		     "mov %0, sp\n\t"
		     "msr spsel, #0\n\t"
		     "mov %1, sp\n\t"
		     "msr spsel, #1\n\t"
		     "mov %2, sp"
		     : "=&r"(b), "=&r"(in0), "=&r"(back) : "r"(a) : "memory");
	check_eq(in0, a, "SPSel 0: SP is SP_EL0");
	check_eq(back, b, "SPSel 1: SP is SP_EL1 again, unchanged");
	check_eq(sysreg_read(spsel), 1, "SPSel reads 1 at EL1h");
}

/* A "system call" from EL0: x0 = 2 * x0 + 1. */
static int svc_handler(struct frame *f, unsigned kind)
{
	if (kind != EXC_LOWER_SYNC || ESR_EC(f->esr) != EC_SVC || ESR_ISS(f->esr) != 0x42)
		return 0;
	last_fault.esr = f->esr;
	last_fault.elr = f->elr;
	last_fault.spsr = f->spsr;
	last_fault.sp = (u64)(f + 1);
	last_fault.sp_el0 = f->sp_el0;
	f->x[0] = 2 * f->x[0] + 1;
	return 1;
}

#define EL0_FN(f) ((u64 (*)(u64))EL0_ALIAS(f))

static void test_el0(void)
{
	u64 top = EL0_ALIAS(el0_stack + sizeof(el0_stack)), sp;
	asm volatile("mov %0, sp" : "=r"(sp));

	check_eq(el0_call(EL0_FN(el0_sp), 0, top), top, "EL0 runs on SP_EL0");

	sync_handler = svc_handler;
	u64 r = el0_call(EL0_FN(el0_svc), 20, top);
	sync_handler = NULL;
	check_eq(r, 41, "svc #0x42 from EL0: the handler's result back in x0");
	check_eq(last_fault.esr, (u64)EC_SVC << 26 | ESR_IL | 0x42, "svc from EL0: ESR");
	check_eq(last_fault.elr, EL0_ALIAS(el0_svc_next), "svc from EL0: ELR is the next instruction");
	check_eq(last_fault.spsr & 0x3ff, 0x3c0ul, "svc from EL0: SPSR.M = EL0t, DAIF as set");
	check_eq(last_fault.sp_el0, top, "svc from EL0: SP_EL0 is EL0's stack pointer");
	/* el0_call's frame is 96 bytes below our SP. */
	check_eq(last_fault.sp, sp - 96, "svc from EL0: the handler ran on SP_EL1");

	probe_arm();
	r = el0_call(EL0_FN(el0_mrs), 0, top);
	check(r == ~0ul && last_fault.taken && last_fault.kind == EXC_LOWER_SYNC,
	      "mrs sctlr_el1 at EL0 traps to the lower-EL sync vector");
	check_eq(last_fault.esr, ESR_IL, "mrs sctlr_el1 at EL0: ESR = EC 0 (unknown), IL");
	check_eq(last_fault.elr, EL0_ALIAS(el0_mrs_insn), "mrs at EL0: ELR is the instruction");

	probe_arm();
	r = el0_call(EL0_FN(el0_brk), 0, top);
	check_eq(last_fault.esr, (u64)EC_BRK << 26 | ESR_IL | 5, "brk #5 at EL0: ESR");
	check_eq(last_fault.elr, EL0_ALIAS(el0_brk_insn), "brk at EL0: ELR is the brk");

	check_eq(el0_call(EL0_FN(el0_load), EL0_ALIAS(data_word), top), data_word[0],
		 "EL0 reads an EL0-readable page");
	probe_arm();
	r = el0_call(EL0_FN(el0_load), (u64)data_word, top);
	check(r == ~0ul && last_fault.taken, "EL0 load from an EL1-only page faults");
	check_eq(last_fault.esr, (u64)EC_DABT_LOWER << 26 | ESR_IL | FSC_PERMISSION(1),
		 "EL0 load from an EL1-only page: ESR = lower-EL data abort, permission level 1");
	check_eq(last_fault.far, (u64)data_word, "EL0 permission fault: FAR");
	check_eq(last_fault.elr, EL0_ALIAS(el0_load_insn), "EL0 permission fault: ELR");

	probe_arm();
	r = el0_call((u64 (*)(u64))(u64)el0_sp, 0, top);
	check(r == ~0ul && last_fault.taken, "EL0 fetch from a UXN page faults");
	check_eq(last_fault.esr, (u64)EC_IABT_LOWER << 26 | ESR_IL | FSC_PERMISSION(1),
		 "EL0 fetch from a UXN page: lower-EL instruction abort, permission level 1");
	check_eq(last_fault.elr, (u64)el0_sp, "EL0 instruction abort: ELR is the target");
	check_eq(last_fault.far, (u64)el0_sp, "EL0 instruction abort: FAR is the target");
}

static void test_brk_udf(void)
{
	u64 at;
	probe_arm();
	asm volatile("adr %0, 1f\n1:\tbrk #0x77" : "=r"(at)::"memory");
	check_eq(last_fault.esr, (u64)EC_BRK << 26 | ESR_IL | 0x77, "brk #0x77 at EL1: ESR");
	check_eq(last_fault.elr, at, "brk at EL1: ELR is the brk itself");

	probe_arm();
	asm volatile("adr %0, 1f\n1:\t.inst 0x00000000" : "=r"(at)::"memory");
	check(last_fault.taken, "udf #0 at EL1 is taken");
	check_eq(last_fault.esr, ESR_IL, "udf #0: ESR = EC 0 (unknown), IL");
	check_eq(last_fault.elr, at, "udf #0: ELR is the instruction");

	probe_arm();
	asm volatile("adr %0, 1f\n1:\tmsr s3_0_c15_c15_7, xzr" : "=r"(at)::"memory");
	check_eq(ESR_EC(last_fault.esr), EC_UNKNOWN, "msr to an unallocated register: EC 0");
	check_eq(last_fault.elr, at, "msr to an unallocated register: ELR");
}

static void test_data_abort(void)
{
	volatile u64 *unmapped = (volatile u64 *)(UNMAPPED_VA + 0x1238);
	volatile u64 *far_away = (volatile u64 *)(1ul << 48 | 0x5670);
	u64 at, v = 0;
	probe_arm();
	asm volatile("adr %0, 1f\n1:\tldr %1, [%2]" : "=r"(at), "+r"(v) : "r"(unmapped) : "memory");
	check_eq(last_fault.esr, (u64)EC_DABT_CUR << 26 | ESR_IL | FSC_TRANSLATION(1),
		 "load from an unmapped VA: same-EL data abort, translation fault level 1, WnR 0");
	check_eq(last_fault.far, (u64)unmapped, "data abort: FAR is the address");
	check_eq(last_fault.elr, at, "data abort: ELR is the load");

	probe_arm();
	asm volatile("adr %0, 1f\n1:\tstr xzr, [%1]" : "=r"(at) : "r"(unmapped + 2) : "memory");
	check_eq(last_fault.esr & (ESR_WNR | 0x3f), ESR_WNR | FSC_TRANSLATION(1),
		 "store to an unmapped VA: WnR = 1");
	check_eq(last_fault.far, (u64)(unmapped + 2), "store: FAR");

	probe_arm();
	asm volatile("adr %0, 1f\n1:\tldr %1, [%2]" : "=r"(at), "+r"(v) : "r"(far_away) : "memory");
	check_eq(last_fault.esr & 0x3f, FSC_TRANSLATION(0),
		 "load above the 39-bit VA range: translation fault level 0");
	check_eq(last_fault.far, (u64)far_away, "above the VA range: FAR");
}

static u64 pair_buf[4] ALIGNED(16);

/* Pairs at element-aligned, pair-misaligned addresses of base; returns
 * 1 if the X pair faulted or read back wrong, 2 for the W pair (nothing
 * printed here: SCTLR.A may be set). */
static unsigned pairs_fault(u64 base)
{
	u64 a = 0, b = 0;
	u32 c = 0, d = 0;
	unsigned bad = 0;
	probe_arm();
	asm volatile("stp %0, %1, [%2, #8]" : : "r"(0x1111ul), "r"(0x2222ul), "r"(base) : "memory");
	bad |= last_fault.taken;
	probe_arm();
	asm volatile("ldp %0, %1, [%2, #8]" : "+r"(a), "+r"(b) : "r"(base) : "memory");
	bad |= last_fault.taken || a != 0x1111 || b != 0x2222;
	probe_arm();
	asm volatile("stp %w0, %w1, [%2, #4]" : : "r"(0x33u), "r"(0x44u), "r"(base) : "memory");
	bad |= last_fault.taken << 1;
	probe_arm();
	asm volatile("ldp %w0, %w1, [%2, #4]" : "+r"(c), "+r"(d) : "r"(base) : "memory");
	bad |= (last_fault.taken || c != 0x33 || d != 0x44) << 1;
	probe_disarm();
	return bad;
}

static void check_pairs(unsigned bad, const char *where)
{
	checkf(!(bad & 1), "%s: stp/ldp of X registers at 8 mod 16: no fault (element-size alignment)",
	       where);
	checkf(!(bad & 2), "%s: stp/ldp of W registers at 4 mod 8: no fault", where);
}

static void test_alignment(void)
{
	u64 at, v = 0, addr = DEVICE_ALIAS(data_word) + 3;
	check_eq(*(volatile u64 *)DEVICE_ALIAS(data_word), data_word[0],
		 "the Device alias reads RAM");
	probe_arm();
	asm volatile("adr %0, 1f\n1:\tldr %1, [%2]" : "=r"(at), "+r"(v) : "r"(addr) : "memory");
	check_eq(ESR_EC(last_fault.esr), EC_DABT_CUR,
		 "unaligned ldr from Device memory: data abort");
	check_eq(last_fault.esr & 0x3f, FSC_ALIGNMENT, "unaligned ldr: DFSC alignment");
	check_eq(last_fault.far, addr, "unaligned ldr: FAR is the unaligned address");
	check_eq(last_fault.elr, at, "unaligned ldr: ELR");
	check_pairs(pairs_fault(DEVICE_ALIAS(pair_buf)), "Device memory");

	check_eq(*(volatile u32 *)((u64)data_word + 3 + 8), 0xaabbccddu,
		 "unaligned ldr from Normal memory with SCTLR.A = 0 works");
	sysreg_write(sctlr_el1, sysreg_read(sctlr_el1) | SCTLR_A);
	isb();
	addr = (u64)data_word + 2;
	probe_arm();
	asm volatile("ldr %w0, [%1]" : "+r"(v) : "r"(addr) : "memory");
	probe_disarm();
	int unaligned_faults = last_fault.taken && (last_fault.esr & 0x3f) == FSC_ALIGNMENT &&
			       last_fault.far == addr;
	unsigned bad = pairs_fault((u64)pair_buf);
	sysreg_write(sctlr_el1, sysreg_read(sctlr_el1) & ~SCTLR_A);
	isb();
	check(unaligned_faults, "SCTLR.A = 1: an unaligned ldr from Normal memory is an alignment fault");
	check_pairs(bad, "SCTLR.A = 1");

	addr = (u64)data_word + 4;
	probe_arm();
	asm volatile("adr %0, 1f\n1:\tldxr %1, [%2]" : "=r"(at), "+r"(v) : "r"(addr) : "memory");
	check_eq(last_fault.esr & 0x3f, FSC_ALIGNMENT, "ldxr of 8 bytes at 4 mod 8: alignment fault");
	check_eq(last_fault.far, addr, "unaligned ldxr: FAR");

	check_eq(*(volatile u32 *)(DEVICE_ALIAS(data_word) + 4), 0x11223344u,
		 "an aligned 32-bit load from Device memory");

	sysreg_write(sctlr_el1, sysreg_read(sctlr_el1) | SCTLR_SA);
	isb();
	u64 sp0 = (u64)(sp0_stack + 512 + 8);
	probe_arm();
	load_on_sp0(sp0);
	sysreg_write(sctlr_el1, sysreg_read(sctlr_el1) & ~SCTLR_SA);
	isb();
	check_eq(ESR_EC(last_fault.esr), EC_SP_ALIGN, "ldr [sp] with SP 8 mod 16 and SCTLR.SA: SP alignment");
	check_eq(last_fault.elr, (u64)load_on_sp0_insn, "SP alignment fault: ELR is the load");
}

/* A PC alignment fault resumes at x30 (as does any synchronous
 * exception at the misaligned target, so that a wrong one is reported). */
static u64 pc_align_target;

static int pc_align_handler(struct frame *f, unsigned kind)
{
	if (kind != EXC_CUR_SPX_SYNC ||
	    (ESR_EC(f->esr) != EC_PC_ALIGN && f->elr != pc_align_target))
		return 0;
	last_fault.taken = 1;
	last_fault.esr = f->esr;
	last_fault.elr = f->elr;
	last_fault.far = f->far;
	f->elr = f->x[30];
	return 1;
}

static void test_pc_alignment(void)
{
	u64 target = (u64)illegal_return_at + 2;
	pc_align_target = target;
	last_fault.taken = 0;
	sync_handler = pc_align_handler;
	branch_to(target);
	sync_handler = NULL;
	check(last_fault.taken, "br to a misaligned address: PC alignment fault");
	check_eq(last_fault.esr, (u64)EC_PC_ALIGN << 26 | ESR_IL, "PC alignment: ESR");
	check_eq(last_fault.far, target, "PC alignment: FAR is the target");
	check_eq(last_fault.elr, target, "PC alignment: ELR is the target");
}

static void test_illegal_return(void)
{
	probe_arm();
	illegal_return();
	check_eq(ESR_EC(last_fault.esr), EC_ILLEGAL_STATE,
		 "eret to EL2 (absent): illegal execution state at the target");
	check_eq(last_fault.elr, (u64)illegal_return_at, "illegal return: ELR is the target");
	check(last_fault.spsr & SPSR_IL, "illegal return: SPSR.IL set");
	check_eq(last_fault.spsr & 0xf, 5, "illegal return: the EL and SP stayed EL1h");
}

static void test_psci(void)
{
	check_eq(psci(PSCI_VERSION, 0, 0, 0), 2, "PSCI_VERSION is 0.2");
	check_eq(psci(0x8400ffffu, 0, 0, 0), (u64)-1, "an unknown PSCI function: NOT_SUPPORTED");
	check_eq(psci(PSCI_AFFINITY_INFO, 0, 0, 0), 0, "AFFINITY_INFO: CPU 0 is on");
	check_eq(psci(PSCI_CPU_ON, 0, 0, 0), (u64)-4, "CPU_ON of CPU 0: ALREADY_ON");
	check_eq(psci(PSCI_CPU_ON, 7, 0, 0), (u64)-2, "CPU_ON of an absent CPU: INVALID_PARAMETERS");
}

int main(void)
{
	test_start("exceptions");
	check_eq(sysreg_read(vbar_el1), (u64)vectors, "VBAR_EL1 holds the vector table");
	check_eq(sysreg_read(currentel), 1ul << 2, "CurrentEL is EL1");
	check_eq(sysreg_read(daif), 0x3c0ul, "DAIF masked at entry");
	test_svc_el1();
	test_svc_el1t();
	test_sp_banking();
	test_el0();
	test_brk_udf();
	test_data_abort();
	test_alignment();
	test_pc_alignment();
	test_illegal_return();
	test_psci();
	return 0;
}
