/*
 * Entry, exception vectors and the EL0 trampoline of the AArch64 test
 * guests.  encore starts CPU 0 at _start at EL1h, MMU off, DAIF masked;
 * other CPUs come to secondary_start through PSCI CPU_ON with x0 = the
 * top of their stack.  Both turn the MMU on with the boot map (rt.h)
 * before any C code runs, so that compiled code works on Normal memory.
 */
#define EL0_OFFSET 0x80000000
#define FRAME_SIZE 288 /* struct frame: 36 words */

/* Block descriptors of level 1 (1 GiB). */
#define BLK 0x1
#define AF (1 << 10)
#define SH_INNER (3 << 8)
#define AP_EL0_RW (1 << 6)
#define ATTR_DEVICE (0 << 2)
#define ATTR_NORMAL (1 << 2)
#define PXN (1 << 53)
#define UXN (1 << 54)
/* MAIR: attribute 0 Device-nGnRnE, 1 Normal write-back. */
#define MAIR_VALUE 0xff00
/* TCR: T0SZ 25 (39-bit VA, walks start at level 1), WBWA inner
 * shareable walks, 4 KiB granule, TTBR1 walks off (EPD1), 36-bit PA. */
#define TCR_VALUE (25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (1 << 32))
#define SCTLR_MCI ((1 << 0) | (1 << 2) | (1 << 12))

	.section .text.start, "ax"
	.global _start
_start:
	ldr x0, =boot_stack_top
	mov sp, x0
	ldr x0, =vectors
	msr vbar_el1, x0
	isb
	ldr x0, =__bss_start
	ldr x1, =__bss_end
1:	cmp x0, x1
	b.hs 2f
	str xzr, [x0], #8
	b 1b
2:	ldr x0, =boot_l1
	ldr x1, =(0x00000000 | BLK | AF | ATTR_DEVICE | PXN | UXN)
	str x1, [x0, #0]
	ldr x1, =(0x40000000 | BLK | AF | SH_INNER | ATTR_NORMAL | UXN)
	str x1, [x0, #8]
	ldr x1, =(0x40000000 | BLK | AF | ATTR_DEVICE | PXN | UXN)
	str x1, [x0, #16]
	ldr x1, =(0x40000000 | BLK | AF | SH_INNER | ATTR_NORMAL | AP_EL0_RW)
	str x1, [x0, #24]
	dsb ish
	bl mmu_on
	bl main
	bl test_finish
3:	wfi
	b 3b

	.text
	/* Turn the MMU on with the boot map (x0, x1 clobbered). */
mmu_on:
	ldr x0, =MAIR_VALUE
	msr mair_el1, x0
	ldr x0, =TCR_VALUE
	msr tcr_el1, x0
	ldr x0, =boot_l1
	msr ttbr0_el1, x0
	isb
	tlbi vmalle1
	dsb nsh
	mrs x0, sctlr_el1
	ldr x1, =SCTLR_MCI
	orr x0, x0, x1
	msr sctlr_el1, x0
	isb
	ret

	/* PSCI CPU_ON's entry: x0 = stack top; cpu_start left the function
	 * to call in secondary_fn[cpu]. */
	.global secondary_start
secondary_start:
	mov sp, x0
	ldr x0, =vectors
	msr vbar_el1, x0
	isb
	bl mmu_on
	bl secondary_main
4:	wfi
	b 4b

	/* u64 el0_call(u64 (*fn)(u64), u64 arg, u64 sp) */
	.global el0_call
el0_call:
	stp x29, x30, [sp, #-96]!
	stp x19, x20, [sp, #16]
	stp x21, x22, [sp, #32]
	stp x23, x24, [sp, #48]
	stp x25, x26, [sp, #64]
	stp x27, x28, [sp, #80]
	msr sp_el0, x2
	msr elr_el1, x0
	mov x0, #0x3c0          /* EL0t, DAIF masked */
	msr spsr_el1, x0
	mov x0, x1
	ldr x30, =el0_exit
	ldr x1, =EL0_OFFSET
	add x30, x30, x1
	eret
	/* The handler of svc #0xffff from EL0 returns here at EL1h. */
	.global el0_return
el0_return:
	ldp x19, x20, [sp, #16]
	ldp x21, x22, [sp, #32]
	ldp x23, x24, [sp, #48]
	ldp x25, x26, [sp, #64]
	ldp x27, x28, [sp, #80]
	ldp x29, x30, [sp], #96
	ret

	.global el0_exit
el0_exit:
	svc #0xffff
	b el0_exit

/* ---- the vector table ---- */
.macro vent kind
	.balign 0x80
	sub sp, sp, #FRAME_SIZE
	stp x0, x1, [sp, #0]
	mov x1, #\kind
	b exc_common
.endm

	.balign 2048
	.global vectors
vectors:
	vent 0
	vent 1
	vent 2
	vent 3
	vent 4
	vent 5
	vent 6
	vent 7
	vent 8
	vent 9
	vent 10
	vent 11
	vent 12
	vent 13
	vent 14
	vent 15

exc_common:
	stp x2, x3, [sp, #16]
	stp x4, x5, [sp, #32]
	stp x6, x7, [sp, #48]
	stp x8, x9, [sp, #64]
	stp x10, x11, [sp, #80]
	stp x12, x13, [sp, #96]
	stp x14, x15, [sp, #112]
	stp x16, x17, [sp, #128]
	stp x18, x19, [sp, #144]
	stp x20, x21, [sp, #160]
	stp x22, x23, [sp, #176]
	stp x24, x25, [sp, #192]
	stp x26, x27, [sp, #208]
	stp x28, x29, [sp, #224]
	mrs x2, sp_el0
	stp x30, x2, [sp, #240]
	mrs x2, elr_el1
	mrs x3, spsr_el1
	stp x2, x3, [sp, #256]
	mrs x2, esr_el1
	mrs x3, far_el1
	stp x2, x3, [sp, #272]
	mov x0, sp
	bl exc_dispatch
	ldp x30, x2, [sp, #240]
	msr sp_el0, x2
	ldp x2, x3, [sp, #256]
	msr elr_el1, x2
	msr spsr_el1, x3
	ldp x0, x1, [sp, #0]
	ldp x2, x3, [sp, #16]
	ldp x4, x5, [sp, #32]
	ldp x6, x7, [sp, #48]
	ldp x8, x9, [sp, #64]
	ldp x10, x11, [sp, #80]
	ldp x12, x13, [sp, #96]
	ldp x14, x15, [sp, #112]
	ldp x16, x17, [sp, #128]
	ldp x18, x19, [sp, #144]
	ldp x20, x21, [sp, #160]
	ldp x22, x23, [sp, #176]
	ldp x24, x25, [sp, #192]
	ldp x26, x27, [sp, #208]
	ldp x28, x29, [sp, #224]
	add sp, sp, #FRAME_SIZE
	eret

	.bss
	.balign 4096
	.global boot_l1
boot_l1:
	.space 4096
	.balign 16
boot_stack:
	.space 16384
boot_stack_top:
