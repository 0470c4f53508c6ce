/*
 * Guest code for test_modes.c: real-mode, 16-bit and 32-bit protected-mode
 * snippets.  test_modes.c copies each snippet (from its label to its _end
 * label) to guest RAM and runs it; offsets in a snippet are relative to its
 * label, so RM_CS:(x - snippet) addresses x when the snippet is at RM_CODE.
 * Results go to the slots R(n) in RM_DS (test_modes.h).
 */
#include "test_modes.h"

#define SNIPPET(name) .globl name, name##_end; name:
#define OFF(name, snippet) ((name) - (snippet))
/* A label test_modes.c reads the offset of (name - snippet). */

	.section .rodata.test_modes, "a"

/* ------------------------------------------------------------------ */
/* Real-mode addressing: segment arithmetic, 16-bit forms and wraps,
 * 32-bit operand and address prefixes, a 16-bit stack. */
	.code16
SNIPPET(rm_addr)
	mov $RM_DS, %ax
	mov %ax, %ds
	mov $RM_SS, %ax
	mov %ax, %ss
	movl $0x12340000, %esp		/* SP = 0: the first push wraps */
	movw $0x1234, 0x10		/* DS:0x10 = 0x20010 */
	mov $RM_DS + 1, %ax
	mov %ax, %es
	mov %es:0, %bx			/* ES:0 = 0x20010 too */
	mov %bx, R(0)
	mov $0xffff, %si
	mov 2(%si), %dx			/* offset wraps to DS:1 */
	mov %dx, R(1)
	mov $0xffff, %ax
	mov %ax, %fs
	mov %fs:0x10, %edi		/* 0xffff0 + 0x10 = 1 MiB: no wrap at 1 MiB */
	mov %edi, R(2)
	movl $8, %eax
	movl $4, %ecx
	addr32 mov (%eax,%ecx,2), %si	/* 67: 32-bit address DS:0x10 */
	mov %si, R(3)
	/* the eight 16-bit r/m forms, with disp8; BP forms use SS */
	mov $0x100, %bx
	mov $0x20, %si
	mov $0x40, %di
	mov $0x200, %bp
	mov 1(%bx,%si), %ax
	mov %ax, R(4)
	mov 1(%bx,%di), %ax
	mov %ax, R(5)
	mov 1(%bp,%si), %ax		/* SS:0x221 */
	mov %ax, R(6)
	mov 1(%bp,%di), %ax		/* SS:0x241 */
	mov %ax, R(7)
	mov 1(%si), %ax
	mov %ax, R(8)
	mov 1(%di), %ax
	mov %ax, R(9)
	mov 1(%bp), %ax			/* SS:0x201 */
	mov %ax, R(10)
	mov 1(%bx), %ax
	mov %ax, R(11)
	mov %ds:1(%bp,%si), %ax		/* override: DS:0x221 */
	mov %ax, R(12)
	mov $0xfff0, %bx
	lea 0x50(%bx,%si), %ax		/* 0xfff0 + 0x20 + 0x50 wraps to 0x60 */
	mov %ax, R(13)
	mov 0x50(%bx,%si), %ax		/* DS:0x60 */
	mov %ax, R(14)
	/* 16-bit stack: SP wraps, ESP[31:16] stay */
	push %bx			/* at SS:0xfffe */
	pushl $0xa5a5c3c3		/* 66 68: 4 bytes */
	mov %esp, R(15)
	popl %ecx
	mov %ecx, R(16)
	pop %ax
	mov %esp, R(17)
	hlt
rm_addr_end:

/* ------------------------------------------------------------------ */
/* Far JMP/CALL/RET in real mode, direct and through memory, 16- and
 * 32-bit operand sizes; the same IP in two code segments. */
SNIPPET(rm_far)
	mov $RM_DS, %ax
	mov %ax, %ds
	mov $RM_SS, %ax
	mov %ax, %ss
	mov $0x1000, %sp
	ljmp $RM_CS + 1, $OFF(f1, rm_far) - 0x10	/* same code, CS base + 0x10 */
f1:
	mov %cs, R(0)
	ljmp $RM_CS, $OFF(f2, rm_far)
f2:
	mov %cs, R(1)
	lcall $FAR_A, $0			/* 9a: pushes CS, IP (2 bytes each) */
	lcall $FAR_B, $0
	lcall $FAR_A, $0			/* again: the jump cache must not keep B */
	movw $0, 0x900
	movw $FAR_B, 0x902
	lcall *0x900				/* ff /3 m16:16 */
	movl $OFF(f3, rm_far), 0x904
	movw $RM_CS, 0x908
	ljmpl *0x904				/* 66 ff /5 m16:32 */
f3:
	lcalll $RM_CS, $OFF(f32, rm_far)	/* 66 9a: 4-byte CS and EIP */
	.globl rm_far_ret32
rm_far_ret32:
f3ret:
	mov %sp, R(2)
	movw $OFF(f4, rm_far), 0x90a
	movw $RM_CS, 0x90c
	ljmp *0x90a				/* ff /5 m16:16 */
	hlt
f4:
	mov %cl, R(3)
	mov %dl, R(4)
	hlt
f32:
	mov %sp, %bp
	mov (%bp), %eax
	mov %eax, R(5)				/* 32-bit return EIP */
	mov 4(%bp), %eax
	mov %eax, R(6)				/* CS in a 4-byte slot */
	mov %sp, R(7)
	lretl					/* 66 cb */
rm_far_end:

/* The far-call targets, copied to FAR_A:0 and FAR_B:0. */
SNIPPET(rm_far_a)
	inc %cl
	mov %cs, R(8)
	lret
rm_far_a_end:
SNIPPET(rm_far_b)
	inc %dl
	mov %cs, R(9)
	lret $0					/* ca 00 00 */
rm_far_b_end:

/* ------------------------------------------------------------------ */
/* INT/IRET through the IVT: frames, flags, INT3/INTO, 32-bit IRET. */
SNIPPET(rm_int)
	mov $RM_DS, %ax
	mov %ax, %ds
	mov $RM_SS, %ax
	mov %ax, %ss
	mov $0x1000, %sp
	pushfl				/* AC through a 32-bit IRET */
	popl %eax
	orl $0x40000, %eax
	pushl %eax
	pushl $RM_CS
	pushl $OFF(i1, rm_int)
	iretl
i1:
	pushfl
	popl %eax
	mov %eax, R(0)			/* AC set, IF clear */
	sti
	mov %sp, R(1)
	int $0x21
	.globl rm_int_i2
rm_int_i2:
i2:
	mov %sp, R(2)
	pushf
	pop %ax
	mov %ax, R(3)			/* IF back */
	int3
	mov $0x7f, %al
	add $1, %al			/* OF = 1 */
	into
	xor %al, %al			/* OF = 0 */
	into				/* no interrupt */
	hlt				/* the test injects vector 0x30 here */
	mov $0x77, %cl
	hlt
	.globl rm_int_h21
rm_int_h21:
h21:
	mov %sp, %bp
	mov (%bp), %ax
	mov %ax, R(4)			/* IP */
	mov 2(%bp), %ax
	mov %ax, R(5)			/* CS */
	mov 4(%bp), %ax
	mov %ax, R(6)			/* FLAGS */
	pushfl
	popl %eax
	mov %eax, R(7)			/* IF, TF, AC clear */
	mov %sp, R(8)
	iret
	.globl rm_int_h3
rm_int_h3:
h3:
	incw R(9)
	mov %sp, %bp
	mov (%bp), %ax
	mov %ax, R(10)			/* INT3 is a trap: the next IP */
	iret
	.globl rm_int_h4
rm_int_h4:
h4:
	incw R(11)
	iret
	.globl rm_int_h30
rm_int_h30:
h30:
	incw R(12)
	mov %sp, %bp
	mov (%bp), %ax
	mov %ax, R(13)
	iret
rm_int_end:

/* ------------------------------------------------------------------ */
/* Faults in real mode: #DE (restarted), #UD, #GP from the IVT limit. */
SNIPPET(rm_fault)
	mov $RM_DS, %ax
	mov %ax, %ds
	mov $RM_SS, %ax
	mov %ax, %ss
	mov $0x1000, %sp
	xor %dx, %dx
	mov $5, %ax
	xor %cx, %cx
	.globl rm_fault_de
rm_fault_de:
de_insn:
	div %cx				/* #DE; the handler sets CX = 1 */
	mov %ax, R(0)
	.globl rm_fault_ud
rm_fault_ud:
ud_insn:
	ud2
	lidt 0x900			/* limit 0x3f: vectors 0..15 */
	.globl rm_fault_gp
rm_fault_gp:
gp_insn:
	int $0x20			/* beyond the limit: #GP */
	mov %sp, R(1)
	hlt
	.globl rm_fault_hde
rm_fault_hde:
hde:
	mov %sp, %bp
	mov (%bp), %bx
	mov %bx, R(2)			/* IP of the DIV */
	mov %sp, R(3)
	mov $1, %cx
	iret
	.globl rm_fault_hud
rm_fault_hud:
hud:
	mov %sp, %bp
	mov (%bp), %ax
	mov %ax, R(4)
	addw $2, (%bp)
	iret
	.globl rm_fault_hgp
rm_fault_hgp:
hgp:
	mov %sp, %bp
	mov (%bp), %ax
	mov %ax, R(5)			/* IP of the INT: a fault */
	mov %sp, R(6)			/* no error code pushed */
	addw $2, (%bp)
	iret
rm_fault_end:

/* An IVT with limit 0: INT3 -> #GP -> #DF -> shutdown. */
SNIPPET(rm_triple)
	lidt %cs:OFF(zero_idt, rm_triple)
	int3
	hlt
zero_idt:
	.word 0
	.long 0
rm_triple_end:

/* ------------------------------------------------------------------ */
/* Real mode -> 16-bit protected mode -> 32-bit protected mode and back
 * to real mode, keeping a 4 GiB FS limit ("unreal" mode). */
SNIPPET(rm_pm)
	mov $RM_DS, %ax
	mov %ax, %ds
	lgdt 0x900			/* 16-bit form: 24-bit base */
	smsw %ax
	or $1, %ax
	lmsw %ax			/* PE */
	mov %cs, R(0)			/* still the real-mode selector */
	ljmp $SEL_CODE16, $OFF(pm16, rm_pm)
pm16:
	mov $SEL_DATA16, %ax
	mov %ax, %ds			/* base RM_DATA: R(n) still works */
	mov %cs, R(1)
	mov 0x10, %bx
	mov %bx, R(2)
	ljmpl $SEL_CODE32, $RM_CODE + OFF(pm32, rm_pm)
	.code32
pm32:
	mov $SEL_DATA32, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov $PM_STACK, %esp
	mov %cs, %eax
	mov %eax, RP(3)
	push $0x11223344		/* 4 bytes on a 32-bit stack */
	mov $PM_STACK, %eax
	sub %esp, %eax
	mov %eax, RP(4)
	pop %eax
	sgdt RP(5)			/* limit + 32-bit base */
	xor %eax, %eax
	lmsw %ax			/* cannot clear PE */
	mov %cr0, %eax
	mov %eax, RP(7)
	ljmp $SEL_CODE16, $OFF(back16, rm_pm)
	.code16
back16:
	mov $SEL_DATA16, %ax		/* 16-bit segments before real mode */
	mov %ax, %ss
	mov %ax, %ds
	mov %ax, %es
	mov $SEL_DATA32, %ax
	mov %ax, %fs			/* 4 GiB limit, kept in real mode */
	mov %cr0, %eax
	and $0xfe, %al
	mov %eax, %cr0
	ljmp $RM_CS, $OFF(real_again, rm_pm)
real_again:
	mov $RM_DS, %ax
	mov %ax, %ds
	mov %cs, R(8)
	mov $0x1234, %ax
	mov %ax, %fs			/* base 0x12340, limit stays 4 GiB */
	mov $0x100000, %esi
	addr32 mov %fs:(%esi), %eax	/* linear 0x112340 */
	mov %eax, R(9)
	hlt
rm_pm_end:

/* ------------------------------------------------------------------ */
/* 32-bit protected mode at PM_CODE (flat CS): a 16-bit interrupt gate,
 * IRET to CPL 3, INT 0x80 through a DPL 3 trap gate onto TSS.SS0:ESP0,
 * #GP with error codes through an interrupt gate, and IRET back. */
#define A(x) (PM_CODE + OFF(x, pm_idt))
	.code32
SNIPPET(pm_idt)
	mov %esp, RP(0)
	int $0x40			/* 16-bit gate: 2-byte slots */
	.globl pm_idt_ret40
pm_idt_ret40:
	mov %esp, RP(1)
	pushl $SEL_UDATA32 | 3
	pushl $PM_STACK3
	pushl $0x202			/* IF, IOPL 0 */
	pushl $SEL_UCODE32 | 3
	pushl $A(user)
	iret				/* to CPL 3: pops ESP and SS, nulls DS/ES */
user:
	mov %ds, %ebx
	mov $SEL_UDATA32 | 3, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %ebx, RP(4)
	mov %cs, %eax
	mov %eax, RP(2)
	mov %ss, %eax
	mov %eax, RP(3)
	mov %esp, RP(5)
	int $0x80			/* DPL 3 trap gate: to CPL 0 */
	.globl pm_idt_user2
pm_idt_user2:
	mov %esp, RP(6)
	.globl pm_idt_cli
pm_idt_cli:
	cli				/* CPL 3 > IOPL: #GP(0) */
	.globl pm_idt_int81
pm_idt_int81:
	int $0x81			/* gate DPL 0 < CPL: #GP(0x81 * 8 + 2) */
	int $0x82			/* to CPL 0, which halts */
	ud2
	.code16
	.globl pm_idt_h40
pm_idt_h40:				/* 16-bit code through a 16-bit gate */
	addr32 mov (%esp), %ax
	addr32 mov %ax, RP(7)		/* IP */
	addr32 mov 2(%esp), %ax
	addr32 mov %ax, RP(8)		/* CS */
	addr32 mov 4(%esp), %ax
	addr32 mov %ax, RP(9)		/* FLAGS */
	addr32 mov %esp, RP(10)
	iret				/* 16-bit IRET back to 32-bit code */
	.code32
	.globl pm_idt_h80
pm_idt_h80:
	mov %esp, RP(11)
	mov (%esp), %eax
	mov %eax, RP(12)		/* EIP */
	mov 4(%esp), %eax
	mov %eax, RP(13)		/* CS */
	mov 8(%esp), %eax
	mov %eax, RP(14)		/* EFLAGS */
	mov 12(%esp), %eax
	mov %eax, RP(15)		/* ESP */
	mov 16(%esp), %eax
	mov %eax, RP(16)		/* SS */
	pushfl
	popl %eax
	mov %eax, RP(17)		/* a trap gate keeps IF */
	mov %ss, %eax
	mov %eax, RP(18)		/* SS0 */
	iret
	.globl pm_idt_hgp
pm_idt_hgp:
	incl RP(19)
	mov (%esp), %eax
	cmpl $1, RP(19)
	jne 1f
	mov %eax, RP(20)		/* CLI: error code 0 */
	mov 4(%esp), %eax
	mov %eax, RP(21)
	pushfl
	popl %eax
	mov %eax, RP(22)		/* an interrupt gate clears IF */
	addl $1, 4(%esp)
	jmp 2f
1:	mov %eax, RP(23)		/* INT 0x81: IDT error code */
	mov 4(%esp), %eax
	mov %eax, RP(24)
	mov %esp, RP(25)
	addl $2, 4(%esp)
2:	add $4, %esp			/* the error code */
	iret
	.globl pm_idt_h82
pm_idt_h82:
	mov %esp, RP(26)
	hlt
pm_idt_end:

/* Things the interpreter does not model: each entry runs alone. */
SNIPPET(pm_unsup)
	.globl pm_unsup_task
pm_unsup_task:
	int $0x50			/* a task gate */
	hlt
	.globl pm_unsup_callgate
pm_unsup_callgate:
	lcall $SEL_CALLGATE, $0
	hlt
	.globl pm_unsup_tss
pm_unsup_tss:
	ljmp $SEL_TSS32, $0
	hlt
	.globl pm_unsup_nt
pm_unsup_nt:
	pushfl
	orl $0x4000, (%esp)
	popfl
	.globl pm_unsup_iret
pm_unsup_iret:
	iret				/* NT: a return from a nested task */
	hlt
	.globl pm_unsup_vm
pm_unsup_vm:
	pushl $0x23			/* a virtual-8086 frame */
	pushl $0x1000
	pushl $0x20002			/* VM */
	pushl $0x1000
	pushl $0
	.globl pm_unsup_iret_vm
pm_unsup_iret_vm:
	iret
	hlt
pm_unsup_end:

/* ------------------------------------------------------------------ */
/* Handlers for the paging tests, at PM_HANDLERS.  #PF k stores its error
 * code in R(10 + 2k) and CR2 in R(11 + 2k), then resumes at R(8) if set
 * (once) or after a 2-byte instruction.  #GP stores its error code in
 * R(6), counts in R(7) and skips a 3-byte instruction (MOV CR). */
SNIPPET(pm_handlers)
	.globl pm_handlers_pf
pm_handlers_pf:
	push %eax
	push %ecx
	mov RP(9), %eax
	incl RP(9)
	mov 8(%esp), %ecx
	mov %ecx, RES_PHYS + 40(,%eax,8)
	mov %cr2, %ecx
	mov %ecx, RES_PHYS + 44(,%eax,8)
	mov RP(8), %ecx
	test %ecx, %ecx
	jz 1f
	movl $0, RP(8)
	mov %ecx, 12(%esp)
	jmp 2f
1:	addl $2, 12(%esp)
2:	pop %ecx
	pop %eax
	add $4, %esp
	iret
	.globl pm_handlers_gp
pm_handlers_gp:
	push %eax
	incl RP(7)
	mov 4(%esp), %eax
	mov %eax, RP(6)
	pop %eax
	add $4, %esp
	addl $3, (%esp)
	iret
	.globl pm_handlers_halt
pm_handlers_halt:
	hlt
pm_handlers_end:

/* 32-bit paging: 4 KiB and 4 MiB pages, #PF error codes and CR2, A/D
 * bits, CR0.WP, U/S from CPL 3. */
#define B(x) (PM_CODE + OFF(x, pm_pg32))
SNIPPET(pm_pg32)
	mov $PT_PHYS, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $0x10, %eax			/* PSE */
	mov %eax, %cr4
	mov %cr0, %eax
	or $0x80010000, %eax		/* PG, WP */
	mov %eax, %cr0
	mov $0x300000, %ebx
	mov (%ebx), %eax		/* not present: #PF(0) */
	mov $0x301000, %ebx
	mov (%ebx), %eax		/* read-only page: reads are fine */
	mov %eax, (%ebx)		/* #PF(P | W) */
	mov $0x303000, %ebx
	mov (%ebx), %eax		/* A */
	mov $0x304000, %ebx
	mov %eax, (%ebx)		/* A and D */
	mov $0x400010, %ebx
	mov (%ebx), %eax
	mov %eax, (%ebx)		/* 4 MiB page: A and D in the PDE */
	mov $0x800000, %ebx
	mov (%ebx), %eax		/* reserved bit 13 in a 4 MiB PDE: #PF(P | RSVD) */
	mov %cr0, %eax
	and $~0x10000, %eax
	mov %eax, %cr0			/* WP = 0 */
	mov $0x301000, %ebx
	mov %eax, (%ebx)		/* supervisor writes ignore R/W now */
	mov %cr0, %eax
	or $0x10000, %eax
	mov %eax, %cr0
	pushl $SEL_UDATA32 | 3
	pushl $PM_STACK3
	pushl $0x2
	pushl $SEL_UCODE32 | 3
	pushl $B(pg32_user)
	iret
pg32_user:
	mov $0x303000, %ebx
	mov (%ebx), %eax		/* supervisor page: #PF(P | U) */
	mov $0x302000, %ebx
	mov %eax, (%ebx)		/* user page */
	mov $0x305000, %ebx
	mov %eax, (%ebx)		/* read-only user page: #PF(P | W | U) */
	int $0x80
pm_pg32_end:

/* PAE paging: a PDPT, 2 MiB pages, NX with EFER.NXE, a PDPTE with a
 * reserved bit (#GP at MOV CR3), A/D bits. */
#define P(x) (PM_CODE + OFF(x, pm_pae))
SNIPPET(pm_pae)
	mov $0xc0000080, %ecx
	rdmsr
	or $0x800, %eax			/* EFER.NXE */
	wrmsr
	mov %cr4, %eax
	or $0x20, %eax			/* PAE */
	mov %eax, %cr4
	mov $PT_PHYS + 0x4000, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $0x80010000, %eax
	mov %eax, %cr0
	mov $PT_PHYS + 0x4020, %eax
	mov %eax, %cr3			/* reserved PDPTE bit: #GP(0) */
	mov %cr3, %eax
	mov %eax, RP(5)
	mov $0x200010, %ebx
	mov (%ebx), %eax		/* 2 MiB page: A */
	mov $0x201000, %ebx
	mov %eax, (%ebx)		/* D */
	mov $0x1f0000, %ebx
	mov %eax, (%ebx)		/* read-only 4 KiB page: #PF(P | W) */
	mov $0x600000, %ebx
	mov (%ebx), %eax		/* reserved bit 13 in a 2 MiB PDE: #PF(P | RSVD) */
	mov $0x800000, %ebx
	mov (%ebx), %eax		/* bit 52: reserved with PAE (ignored in long mode) */
	movl $P(pae_after_nx), RP(8)
	mov $0x400000, %ebx
	jmp *%ebx			/* fetch from an NX page: #PF(P | I) */
pae_after_nx:
	mov $0x400000, %ebx
	mov (%ebx), %eax		/* NX pages are readable */
	hlt
pm_pae_end:

/* ------------------------------------------------------------------ */
/* Instructions of 16/32-bit code that 64-bit mode lacks, in real mode. */
	.code16
#define FLAGS_TO(n) pushf; pop %bx; mov %bx, R(n)
SNIPPET(rm_insn)
	mov $RM_DS, %ax
	mov %ax, %ds
	mov $RM_SS, %ax
	mov %ax, %ss
	mov $0x1000, %sp
	/* PUSHA / POPA */
	mov $0x1111, %ax
	mov $0x2222, %cx
	mov $0x3333, %dx
	mov $0x4444, %bx
	mov $0x5555, %bp
	mov $0x6666, %si
	mov $0x7777, %di
	pusha
	mov %sp, R(0)
	xor %ax, %ax
	xor %cx, %cx
	xor %dx, %dx
	xor %bx, %bx
	xor %bp, %bp
	xor %si, %si
	xor %di, %di
	movw $0x9999, %ss:0xff6		/* the saved SP: POPA skips it */
	popa
	mov %sp, R(1)
	mov %ax, R(2)
	mov %di, R(3)
	mov %bp, R(4)
	movl $0xaabbccdd, %eax
	pushal
	mov %sp, R(5)
	xorl %eax, %eax
	popal
	mov %eax, R(6)
	mov %sp, R(7)
	/* far-pointer loads */
	movw $0x1234, 0x900
	movw $0x5678, 0x902
	les 0x900, %di
	lfs 0x900, %bx
	lgs 0x900, %cx
	movl $0x9abcdef0, 0x904
	movw $0x4321, 0x908
	lssl 0x904, %esp
	mov %esp, R(8)
	mov %ss, R(9)
	mov $RM_SS, %ax
	mov %ax, %ss
	movl $0x1000, %esp
	mov %es, R(10)
	mov %di, R(11)
	mov %fs, R(12)
	mov %bx, R(13)
	mov %gs, R(14)
	mov %cx, R(15)
	lds 0x900, %si
	mov %ds, %ax
	mov $RM_DS, %bx
	mov %bx, %ds
	mov %ax, R(16)
	mov %si, R(17)
	/* decimal adjustment */
	mov $0x0008, %ax
	add $6, %al
	aaa				/* AX = 0x0104, CF AF */
	mov %ax, R(18)
	FLAGS_TO(19)
	mov $0x0203, %ax
	sub $5, %al
	aas				/* AX = 0x0108, CF AF */
	mov %ax, R(20)
	FLAGS_TO(21)
	mov $0x79, %al
	add $0x35, %al
	daa				/* 79 + 35 = 114: AL = 0x14, CF AF PF */
	mov %ax, R(22)
	FLAGS_TO(23)
	mov $0x35, %al
	sub $0x47, %al
	das				/* 35 - 47: AL = 0x88, CF AF SF PF */
	mov %ax, R(24)
	FLAGS_TO(25)
	mov $0x0053, %ax
	aam				/* AX = 0x0803 */
	mov %ax, R(26)
	FLAGS_TO(27)
	aad				/* AX = 0x0053 */
	mov %ax, R(28)
	mov $0x0053, %ax
	aam $16				/* AX = 0x0503 */
	mov %ax, R(29)
	.byte 0xd4, 0			/* AAM 0: #DE */
	/* SALC, 0x82 */
	stc
	.byte 0xd6			/* SALC: AL = 0xff */
	mov %al, R(30)
	clc
	.byte 0xd6
	mov %al, R(30) + 1
	mov $3, %al
	.byte 0x82, 0xc0, 0x05		/* add $5, %al */
	mov %al, R(30) + 2
	/* BOUND: [-2, 5] at DS:0x910 */
	movw $-2, 0x910
	movw $5, 0x912
	mov $5, %ax
	bound %ax, 0x910
	mov $-2, %ax
	bound %ax, 0x910
	mov $6, %ax
	bound %ax, 0x910		/* #BR */
	mov $-3, %ax
	bound %ax, 0x910		/* #BR */
	/* LOOP and JCXZ count with CX in 16-bit code */
	movl $0x10002, %ecx
	xor %dx, %dx
1:	inc %dx
	loop 1b
	mov %ecx, R(31)
	mov %dx, R(32)
	jcxz 2f				/* CX = 0, ECX is not */
	movw $0xbad, R(32)
2:	/* string instructions wrap SI and DI at 64 KiB */
	mov $0x4000, %ax
	mov %ax, %es
	mov $0xfffe, %si
	mov %si, %di
	mov $4, %cx
	cld
	rep movsb
	mov %si, R(33)
	mov %di, R(34)
	mov %cx, R(35)
	mov $0x5000, %ax
	mov %ax, %es
	mov $0x1234, %ax
	mov $0xfffe, %di
	mov $2, %cx
	rep stosw
	mov %di, R(36)
	/* INC/DEC 40-4f, 16-bit */
	mov $0xffff, %ax
	inc %ax				/* 40 */
	FLAGS_TO(37)
	dec %ax				/* 48 */
	mov %ax, R(38)
	/* PUSHF/POPF: IOPL and IF are writable at CPL 0 */
	pushl $0x00243202		/* ID AC IOPL=3 IF */
	popfl
	pushfl
	popl %eax
	mov %eax, R(39)
	push $0x0002
	popf				/* FLAGS[15:0] only */
	pushfl
	popl %eax
	mov %eax, R(40)
	/* PUSH/POP segment registers */
	push %cs
	pop %es
	mov %es, R(41)
	push %ss
	pop %fs
	mov %fs, R(42)
	/* 64-bit-only instructions and ARPL are #UD here */
	movw $2, R(43)
	syscall
	movw $2, R(43)
	sysret
	movw $3, R(43)
	.byte 0x0f, 0x01, 0xf8		/* SWAPGS */
	movw $2, R(43)
	arpl %cx, %ax
	hlt
	.globl rm_insn_hde
rm_insn_hde:				/* AAM 0: skip it */
	incw R(44)
	mov %sp, %bp
	addw $2, (%bp)
	iret
	.globl rm_insn_hbr
rm_insn_hbr:				/* BOUND: skip it (4 bytes) */
	incw R(45)
	mov %sp, %bp
	addw $4, (%bp)
	iret
	.globl rm_insn_hud
rm_insn_hud:				/* skip R(43) bytes */
	incw R(46)
	mov %sp, %bp
	mov R(43), %bx
	add %bx, (%bp)
	iret
rm_insn_end:

/* ARPL in protected mode; SYSCALL #UD with EFER.SCE outside long mode. */
	.code32
SNIPPET(pm_insn)
	mov $0x10, %eax
	mov $0x3, %ecx
	arpl %cx, %ax			/* AX = 0x13, ZF */
	pushfl
	mov %eax, RP(0)
	arpl %cx, %ax			/* unchanged, ZF = 0 */
	pushfl
	mov %eax, RP(1)
	popl %eax
	mov %eax, RP(2)
	popl %eax
	mov %eax, RP(3)
	movw $0x0010, RP(4)
	mov $2, %edx
	arpl %dx, RP(4)			/* memory destination */
	mov $0xc0000080, %ecx
	rdmsr
	or $1, %eax			/* EFER.SCE */
	wrmsr
	.globl pm_insn_syscall
pm_insn_syscall:
	syscall				/* #UD: not in long mode */
	hlt
pm_insn_end:

/* ------------------------------------------------------------------ */
/* The walk of Linux's AP trampoline (arch/x86/realmode/rm/trampoline_64.S
 * and kernel/verify_cpu.S): real mode, a CPUID check, LIDTL/LGDTL,
 * 32-bit protected mode, PAE + EFER.LME + CR0.PG (compatibility mode),
 * and a far jump to 64-bit code. */
	.code16
SNIPPET(rm_tramp)
	cli
	wbinvd
	ljmpw $RM_CS, $OFF(tr_1, rm_tramp)
tr_1:
	mov %cs, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	movl $OFF(tr_stack_end, rm_tramp), %esp
	call tr_verify_cpu
	testl %eax, %eax
	jnz tr_no_longmode
	lidtl OFF(tr_idt, rm_tramp)
	lgdtl OFF(tr_gdt, rm_tramp)
	movw $SEL_DATA32, %dx
	movl $0x11, %eax		/* PE | ET, no PG */
	movl %eax, %cr0
	ljmpl $SEL_CODE32, $RM_CODE + OFF(tr_startup_32, rm_tramp)
tr_verify_cpu:
	pushf
	push $0
	popf
	pushfl				/* CPUID exists if EFLAGS.ID toggles */
	popl %eax
	movl %eax, %ebx
	xorl $0x200000, %eax
	pushl %eax
	popfl
	pushfl
	popl %eax
	cmpl %eax, %ebx
	jz tr_verify_no
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb tr_verify_no
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx			/* LM */
	jnc tr_verify_no
	popf
	xorl %eax, %eax
	ret
tr_verify_no:
	popf
	movl $1, %eax
	ret
	.code32
tr_startup_32:
	movl %edx, %ss
	addl $RM_CODE, %esp
	movl %edx, %ds
	movl %edx, %es
	movl %edx, %fs
	movl %edx, %gs
	movl $0x20, %eax		/* CR4.PAE */
	movl %eax, %cr4
	movl $PT_PHYS, %eax		/* 4-level tables */
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	movl $0x901, %eax		/* LME | NXE | SCE */
	xorl %edx, %edx
	wrmsr
	movl $0x80000011, %eax		/* PG: long mode, compatibility mode */
	movl %eax, %cr0
	rdmsr
	movl %eax, RM_CODE + OFF(tr_efer, rm_tramp)
	ljmpl $SEL_CODE64, $RM_CODE + OFF(tr_startup_64, rm_tramp)
	.code64
	.globl tr_startup_64
tr_startup_64:
	movabs $0x123456789abcdef0, %rax
	lea tr_startup_64(%rip), %rbx
	push %rax			/* a 64-bit stack */
	hlt
tr_no_longmode:
	ud2
	.balign 8
tr_gdt:
	.word GDT_ENTRIES * 8 - 1
	.long GDT_PHYS
	.word 0
tr_idt:
	.word 0
	.long 0
	.globl tr_efer
tr_efer:
	.long 0
	.skip 64
tr_stack_end:
rm_tramp_end:

/* A #UD whose gate is not present: #NP, then #GP past the IDT limit,
 * then #DF (32-bit protected mode). */
	.code32
SNIPPET(pm_df)
	.globl pm_df_ud
pm_df_ud:
	ud2
pm_df_end:

	.section .note.GNU-stack, "", @progbits
