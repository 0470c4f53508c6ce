/*
 * isolation_ap: the AP's start-up code, copied to AP_TRAMP (isolation_ap.c).
 * Real mode, then flat 32-bit protected mode (paging off), then an IDT at
 * the address the BSP put in ap_idt_base (the end of RAM) and INT 0x20.
 */
#define AP_TRAMP 0x20000
#define L(x) (AP_TRAMP + (x) - ap_tramp_start)
#define O(x) ((x) - ap_tramp_start)

	.section .rodata.ap_tramp, "a"
	.balign 16
	.globl ap_tramp_start, ap_tramp_end, ap_idt_base
ap_tramp_start:
	.code16
	cli
	mov %cs, %ax
	mov %ax, %ds
	lgdtl O(ap_gdtr)
	mov %cr0, %eax
	or $1, %eax			/* PE */
	mov %eax, %cr0
	ljmpl $0x08, $L(pm32)

	.code32
pm32:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %ss
	movl $1, L(ap_stage)
	lidt L(ap_idtr)
	int $0x20
	movl $2, L(ap_stage)		/* not reached: a triple fault */
1:	hlt
	jmp 1b

	.balign 8
ap_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: flat 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: flat data */
ap_gdtr:
	.word 23
	.long L(ap_gdt)
	.balign 4
ap_stage:
	.long 0
	.word 0
ap_idtr:
	.word 0x7ff			/* 256 8-byte gates */
ap_idt_base:
	.long 0
ap_tramp_end:
