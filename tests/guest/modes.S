/*
 * modes: the way down from 64-bit long mode to real mode and back up.
 *
 * modes_run (64-bit) enters the low blob in compatibility mode; the blob,
 * copied to LOW (modes.c) because real mode needs it below 1 MiB, then
 *   - turns paging off (which ends long mode) and clears EFER.LME;
 *   - runs 32-bit protected mode: INT 0x40 through a 32-bit trap gate,
 *     #UD through an interrupt gate, then 32-bit paging with a 4 MiB
 *     identity map, a 4 KiB mapping and a #PF, and paging off again;
 *   - runs 16-bit protected mode: INT 0x41 through a 16-bit gate;
 *   - clears PE: real mode, INT 0x21 and #DE through the IVT at IVT,
 *     segment arithmetic and a 4 GiB FS limit kept from protected mode;
 *   - climbs back the way Linux's AP trampoline does: LIDTL, LGDTL, PE,
 *     a far jump to 32-bit code, CR4.PAE, CR3, EFER.LME, CR0.PG and a far
 *     jump to 64-bit code (modes_back64).
 * Each mode prints a line from that mode; what the code observes goes to
 * lowres[] (slots in modes.h), which modes.c checks.
 */
#include "modes.h"

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10

/* Addresses in the blob: L() linear, O() offset from LOW (real mode and
 * the 16-bit segments), R32/R16 result slots. */
#define L(x) (LOW + (x) - lowblob)
#define O(x) ((x) - lowblob)
#define R32(n) (L(lowres) + 4 * (n))
#define R16(n) (O(lowres) + 4 * (n))

	.text
	.code64

	.globl modes_run
modes_run:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, saved_rsp(%rip)
	mov %cr0, %rax
	mov %eax, L(saved_cr0)
	mov %cr3, %rax
	mov %eax, L(saved_cr3)
	mov %cr4, %rax
	mov %eax, L(saved_cr4)
	pushq $SEL_CODE32
	pushq $L(c_entry)
	lretq

	.globl modes_back64
modes_back64:
	mov $SEL_KDATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	mov saved_rsp(%rip), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

	.bss
	.balign 8
saved_rsp:
	.skip 8

/* ------------------------------------------------------------------ */
	.section .rodata.modes_low, "a"
	.balign 16
	.globl lowblob, lowblob_end, lowres
lowblob:

/* ---- compatibility mode (CS = SEL_CODE32 while EFER.LMA = 1) ---- */
	.code32
c_entry:
	cld
	mov $SEL_DATA32, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	mov $LOW + LOW_STACK, %esp
	mov $L(str_compat), %esi
	call print32
	mov $0xc0000080, %ecx
	rdmsr
	mov %eax, R32(R_C_EFER)
	mov %cs, %eax
	mov %eax, R32(R_C_CS)
	/* Leave long mode: paging off from compatibility mode, then LME off. */
	mov %cr0, %eax
	and $0x7fffffff, %eax
	mov %eax, %cr0
	mov $0xc0000080, %ecx
	rdmsr
	and $~0x100, %eax
	wrmsr
	rdmsr
	mov %eax, R32(R_OFF_EFER)
	mov %cr0, %eax
	mov %eax, R32(R_OFF_CR0)
	lidt L(idt32_ptr)

/* ---- 32-bit protected mode ---- */
	mov $L(str_pm32), %esi
	call print32
	int $0x40			/* 32-bit trap gate */
	.globl low_int40_ret
low_int40_ret:
	mov %esp, R32(R_P_AFTER)
	.globl low_ud2
low_ud2:
	ud2				/* #UD: the handler skips it */
	/* 32-bit paging: CR4.PSE without PAE */
	mov %cr4, %eax
	and $~0x20, %eax
	or $0x10, %eax
	mov %eax, %cr4
	mov $pd32, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	movl $0x5a5a5a5a, PAGED_VA	/* lands in test_page */
	mov $PAGED_VA + 0x1000, %ebx
	.globl low_pf
low_pf:
	mov (%ebx), %eax		/* not present: #PF(0), skipped */
	mov PAGED_VA, %eax
	mov %eax, R32(R_G_READ)
	mov %cr0, %eax
	and $0x7fffffff, %eax
	mov %eax, %cr0
	mov $L(str_paging), %esi
	call print32
	ljmp $SEL_CODE16, $O(p16)

/* ---- 16-bit protected mode ---- */
	.code16
p16:
	mov $SEL_DATA16, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $LOW_STACK, %sp
	mov $O(str_pm16), %si
	call print16
	mov %cs, R16(R_S_CS)
	mov %sp, %bx
	push %ax
	sub %sp, %bx
	mov %bx, R16(R_S_PUSH)		/* 2: a 16-bit push */
	pop %ax
	int $0x41			/* 16-bit interrupt gate */
	.globl low_int41_ret
low_int41_ret:
	mov %sp, R16(R_S_AFTER)
	/* Real mode: PE off, then a far jump reloads CS. */
	mov %cr0, %eax
	and $0xfe, %al
	mov %eax, %cr0
	ljmp $LOW_SEG, $O(rm)

/* ---- real mode ---- */
rm:
	mov $LOW_SEG, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $LOW_STACK, %sp
	lidt O(ivt_ptr)
	mov $O(str_rm), %si
	call print16
	mov %cs, R16(R_R_CS)
	int $0x21
	.globl low_int21_ret
low_int21_ret:
	mov %sp, R16(R_R_AFTER)
	xor %dx, %dx
	mov $7, %ax
	xor %cx, %cx
	.globl low_div
low_div:
	div %cx				/* #DE: the handler sets CX = 1 */
	mov %ax, R16(R_R_DIV)
	movw $0x1234, R16(R_R_ES)
	mov $LOW_SEG + 1, %ax		/* ES:(x - 16) is DS:x */
	mov %ax, %es
	mov %es:R16(R_R_ES) - 16, %bx
	mov %bx, R16(R_R_ES)
	xor %ax, %ax
	mov %ax, %fs			/* base 0; the 4 GiB limit stays */
	movl $test_page, %esi
	addr32 mov %fs:(%esi), %eax	/* above 1 MiB: unreal mode */
	mov %eax, R16(R_R_UNREAL)

/* ---- back up, as Linux's trampoline_64.S does ---- */
	mov $O(str_up), %si
	call print16
	lidtl O(null_idt)
	lgdtl O(gdt_ptr)		/* 32-bit operand: the full base */
	movw $SEL_DATA32, %dx
	movl O(saved_cr0), %eax
	andl $0x7fffffff, %eax		/* PE, no PG yet */
	movl %eax, %cr0
	ljmpl $SEL_CODE32, $L(up32)
	.code32
up32:
	movl %edx, %ss
	movl $LOW + LOW_STACK, %esp
	movl %edx, %ds
	movl %edx, %es
	movl %edx, %fs
	movl %edx, %gs
	movl L(saved_cr4), %eax		/* PAE */
	movl %eax, %cr4
	movl L(saved_cr3), %eax		/* the 4-level tables */
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	orl $0x100, %eax		/* LME */
	wrmsr
	movl L(saved_cr0), %eax		/* PG: long mode, compatibility mode */
	movl %eax, %cr0
	rdmsr
	movl %eax, R32(R_U_EFER)
	mov %cs, %eax
	mov %eax, R32(R_U_CS)
	ljmpl $SEL_KCODE, $modes_back64

/* ---- handlers ---- */
	.globl low_h40, low_hud, low_hpf, low_h41, low_h21, low_hde
low_h40:				/* 32-bit trap gate */
	mov (%esp), %eax
	mov %eax, R32(R_P_EIP)
	mov 4(%esp), %eax
	mov %eax, R32(R_P_CS)
	mov 8(%esp), %eax
	mov %eax, R32(R_P_EFLAGS)
	mov %esp, R32(R_P_ESP)
	iret
low_hud:
	mov (%esp), %eax
	mov %eax, R32(R_P_UD_EIP)
	addl $2, (%esp)
	iret
low_hpf:
	mov (%esp), %eax
	mov %eax, R32(R_G_ERR)
	mov %cr2, %eax
	mov %eax, R32(R_G_CR2)
	mov 4(%esp), %eax
	mov %eax, R32(R_G_EIP)
	add $4, %esp
	addl $2, (%esp)
	iret
	.code16
low_h41:				/* 16-bit gate, 16-bit code */
	mov %sp, %bp
	mov (%bp), %ax
	mov %ax, R16(R_S_IP)
	mov 2(%bp), %ax
	mov %ax, R16(R_S_GCS)
	mov 4(%bp), %ax
	mov %ax, R16(R_S_FLAGS)
	mov %sp, R16(R_S_SP)
	iret
low_h21:				/* real mode, through the IVT */
	mov %sp, %bp
	mov (%bp), %ax
	mov %ax, R16(R_R_IP)
	mov 2(%bp), %ax
	mov %ax, R16(R_R_ICS)
	mov 4(%bp), %ax
	mov %ax, R16(R_R_FLAGS)
	mov %sp, R16(R_R_SP)
	iret
low_hde:
	mov %sp, %bp
	mov (%bp), %bx
	mov %bx, R16(R_R_DE_IP)
	mov $1, %cx
	iret

/* ---- console output from 32-bit and 16-bit code ---- */
	.code32
print32:				/* DS:ESI: a NUL-terminated string */
	push %eax
	push %edx
	mov $0x3f8, %dx
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	pop %edx
	pop %eax
	ret
	.code16
print16:				/* DS:SI */
	push %ax
	push %dx
	mov $0x3f8, %dx
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	pop %dx
	pop %ax
	ret

/* ---- data ---- */
	.balign 8
idt32_ptr:
	.word 256 * 8 - 1
	.long idt32
	.balign 8
ivt_ptr:
	.word 0x3ff
	.long IVT
	.balign 8
null_idt:
	.word 0
	.long 0
	.balign 8
gdt_ptr:
	.word MGDT_ENTRIES * 8 - 1
	.long mgdt
	.balign 4
saved_cr0:
	.long 0
saved_cr3:
	.long 0
saved_cr4:
	.long 0
str_compat:
	.asciz "modes: running in compatibility mode\n"
str_pm32:
	.asciz "modes: running in 32-bit protected mode\n"
str_paging:
	.asciz "modes: ran with 32-bit paging\n"
str_pm16:
	.asciz "modes: running in 16-bit protected mode\n"
str_rm:
	.asciz "modes: running in real mode\n"
str_up:
	.asciz "modes: climbing back to long mode\n"
	.balign 4
lowres:
	.skip 4 * R_COUNT
lowblob_end:

	.section .note.GNU-stack, "", @progbits
