/*
 * smp: the AP trampoline and the function that cross-modifying code
 * rewrites.
 *
 * The trampoline is copied to TRAMP (smp.c), where a STARTUP IPI starts
 * an AP in real mode at TRAMP_SEG:0000.  It walks up the way an OS's AP
 * start-up code does: real mode, a 16-bit protected-mode segment, flat
 * 32-bit protected mode, then CR4.PAE, the BSP's CR3, EFER.LME and
 * CR0.PG (long mode) and a far jump to 64-bit code, which calls
 * ap_entry(cpu) on the stack the BSP gave.  Each mode sets a STAGE_* bit
 * in the trampoline's data (which the BSP fills in for one AP at a time).
 */
#include "smp.h"

/* L(): a blob label's linear address at TRAMP; O(): its offset there
 * (real mode and the 16-bit segments are based at TRAMP). */
#define L(x) (TRAMP + (x) - tramp_start)
#define O(x) ((x) - tramp_start)
#define TD16(f) (O(tramp_data) + (f))
#define TD32(f) (L(tramp_data) + (f))

/* A segment descriptor (SDM vol. 3, "Segment Descriptors"). */
#define DESC(base, limit, access, flags) \
	(((limit) & 0xffff) | (((base) & 0xffffff) << 16) | ((access) << 40) | \
	 ((((limit) >> 16) & 0xf) << 48) | ((flags) << 52) | (((base) >> 24) << 56))

#define MSR_EFER 0xc0000080
#define CR0_PE 1

	.section .rodata.tramp, "a"
	.balign 16
	.globl tramp_start, tramp_end, tramp_data
tramp_start:
	.code16
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	mov %ax, TD16(TD_RM_CS)
	orw $STAGE_REAL, TD16(TD_STAGES)
	lgdtl O(tramp_gdtr)		/* 32-bit operand: the full base */
	mov %cr0, %eax
	or $CR0_PE, %eax		/* paging stays off */
	mov %eax, %cr0
	ljmp $TSEL_CODE16, $O(pm16)

pm16:	/* 16-bit protected mode, segments based at TRAMP */
	mov $TSEL_DATA16, %ax
	mov %ax, %ds
	orw $STAGE_PM16, TD16(TD_STAGES)
	ljmpl $TSEL_CODE32, $L(pm32)

	.code32
pm32:	/* flat 32-bit protected mode */
	mov $TSEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	orl $STAGE_PM32, TD32(TD_STAGES)
	mov TD32(TD_CR4), %eax		/* PAE */
	mov %eax, %cr4
	mov TD32(TD_CR3), %eax		/* the BSP's 4-level tables */
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	mov TD32(TD_EFER), %eax		/* LME */
	xor %edx, %edx
	wrmsr
	mov TD32(TD_CR0), %eax		/* PG: long mode, in compatibility mode */
	mov %eax, %cr0
	ljmp $TSEL_CODE64, $L(lm64)

	.code64
lm64:
	mov $TSEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov $L(tramp_data), %ebx
	orl $STAGE_LONG, TD_STAGES(%rbx)
	mov TD_STACK(%rbx), %rsp
	mov TD_ARG(%rbx), %rdi
	call *TD_ENTRY(%rbx)		/* does not return */
1:	hlt
	jmp 1b

	.balign 8
tramp_gdt:
	.quad 0
	.quad DESC(0, 0xfffff, 0x9a, 0xa)	/* TSEL_CODE64: L=1 */
	.quad DESC(0, 0xfffff, 0x92, 0xc)	/* TSEL_DATA: flat, 32-bit */
	.quad DESC(TRAMP, 0xffff, 0x9a, 0x0)	/* TSEL_CODE16 */
	.quad DESC(TRAMP, 0xffff, 0x92, 0x0)	/* TSEL_DATA16 */
	.quad DESC(0, 0xfffff, 0x9a, 0xc)	/* TSEL_CODE32: flat */
tramp_gdtr:
	.word TGDT_ENTRIES * 8 - 1
	.long L(tramp_gdt)
	.balign 8
tramp_data:
	.skip TD_SIZE
tramp_end:

/*
 * u32 xmc_fn(void): returns the immediate at xmc_imm, which smp.c
 * rewrites while other CPUs run the function.  It has its page to
 * itself, so the guest's other writes never touch the code's page.
 */
	.section .data.xmc, "aw"
	.balign 4096
	.globl xmc_fn, xmc_imm
xmc_fn:
	.byte 0xb8			/* mov $imm32, %eax */
xmc_imm:
	.long 0
	ret
	.balign 4096

	.section .note.GNU-stack, "", @progbits
