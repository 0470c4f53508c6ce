/*
 * compat: the 64-bit trampolines and the 32-bit (compatibility-mode) code
 * of the compat guest.  The 32-bit code stores what it observes in r32[]
 * (defined in compat.c) through absolute 32-bit addresses; the slot
 * numbers below must match compat.c.
 *
 * Selectors (compat.c builds a GDT with these after the runtime's):
 *   0x40  32-bit code, DPL 0 (L=0, D=1, flat)
 *   0x48  32-bit data, DPL 0, base = based_area, byte-granular limit
 *   0x50  32-bit code, DPL 3 (L=0, D=1, flat)
 */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_CODE32 0x40
#define SEL_DATA32B 0x48
#define SEL_UCODE32 0x50	/* 32-bit code, DPL 3 */
#define SEL_UDATA 0x18
#define SEL_BAD 0x1000		/* beyond the GDT limit */

#define R(n) (r32 + 4 * (n))

/* Slots of r32[] (same numbers in compat.c). */
#define R_ESP0 0
#define R_CS 1
#define R_SS 2
#define R_PUSH_ESP 3
#define R_PUSH_MEM 4
#define R_PUSH_TOTAL 5
#define R_POPW 6
#define R_POP_EBP 7
#define R_POP_IMM 8
#define R_POP_DELTA 9
#define R_PUSHF_DELTA 10
#define R_PUSHCS_DELTA 11
#define R_PUSHCS_VAL 12
#define R_ADD1_RES 13
#define R_ADD1_FL 14
#define R_ADD2_RES 15
#define R_ADD2_FL 16
#define R_MUL_EAX 17
#define R_MUL_EDX 18
#define R_MUL_FL 19
#define R_SUB_RES 20
#define R_SUB_FL 21
#define R_SHL_RES 22
#define R_SHL_FL 23
#define R_ADC_EAX 24
#define R_ADC_EDX 25
#define R_CALL_DELTA 26
#define R_CALL_RET 27
#define R_CALL_AFTER 28
#define R_CALLR_ARG1 29
#define R_CALLR_ARG2 30
#define R_CALLR_AFTER 31
#define R_W_ADD_RES 32
#define R_W_ADD_FL 33
#define R_W_MOV 34
#define R_W_ADD2_RES 35
#define R_W_ADD2_FL 36
#define R_W_MEM 37
#define R_W_INC 38
#define R_W_INC_FL 39
#define R_W_PUSH_DELTA 40
#define R_ID_MOV 41
#define R_ID_EAX 42
#define R_ID_ECX 43
#define R_ID_EDX 44
#define R_ID_EBX 45
#define R_ID_ESP 46
#define R_ID_EBP 47
#define R_ID_ESI 48
#define R_ID_EDI 49
#define R_INC_RES 50
#define R_INC_FL 51
#define R_DEC_RES 52
#define R_DEC_FL 53
#define R_M_ABS 54
#define R_M_BASE 55
#define R_M_WRAP 56
#define R_M_LEA 57
#define R_M_SIB 58
#define R_S_ES_BASE 59
#define R_S_A16 60
#define R_DONE 61
#define R_LC_ESP 62
#define R_LC_EIP 63
#define R_LC_CS 64
#define R_F_ESP 65
#define R_F_CF 66
#define R_F_ESP2 67
#define R_F_MODE 68
#define R_F_DONE 69
#define R_F_EAX 70
#define R_U_CS 71
#define R_U_SS 72
#define R_U_ESP 73
#define R_U_RESUMED 74

	.text
	.code64

/* Save the callee-saved registers and RSP: the upper halves of the GPRs
 * (and R8-R15) are undefined after a round trip through a 32-bit mode. */
.macro SAVE64
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, saved_rsp(%rip)
.endm

.macro RESTORE64
	mov $SEL_KDATA, %ecx
	mov %ecx, %ds
	mov %ecx, %es
	mov %ecx, %ss
	mov saved_rsp(%rip), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
.endm

/*
 * void compat_run(void): LRETQ to c32_main (CS 0x40) on stack32; it comes
 * back with a 32-bit LRET to compat_back (CS 0x08).
 */
	.globl compat_run
compat_run:
	SAVE64
	lea stack32_top(%rip), %rsp
	pushq $SEL_CODE32
	lea c32_main(%rip), %rax
	push %rax
	lretq
compat_back:
	RESTORE64

/*
 * u64 compat_lcall(void): far CALL through an m16:32 pointer (FF /3, no
 * REX.W: pushes CS and EIP as 4 bytes each) into 32-bit code that LRETs;
 * returns RSP after the return (must be stack32_top again).
 */
	.globl compat_lcall, compat_lcall_ret
compat_lcall:
	SAVE64
	lea stack32_top(%rip), %rsp
	lcall *fp_lcall(%rip)
compat_lcall_ret:
	mov %rsp, %rax
	RESTORE64

/*
 * void compat_fault(void): far JMP through an m16:32 pointer (FF /5) into
 * 32-bit code that raises #UD and #GP (compat.c's handlers resume it with
 * IRETQ), then comes back with a direct far JMP (EA ptr16:32).
 */
	.globl compat_fault
compat_fault:
	SAVE64
	lea stack32_top(%rip), %rsp
	ljmp *fp_fault(%rip)
compat_fault_back:
	RESTORE64

/*
 * void compat_user(void): IRETQ to CPL 3 in 32-bit code (CS 0x53, SS 0x1b,
 * ESP = stack32_top).  It raises #UD (resumed by IRETQ) and then does
 * int $0x80, whose handler calls compat_user_exit() to come back here.
 */
	.globl compat_user, compat_user_exit
compat_user:
	SAVE64
	pushq $(SEL_UDATA | 3)
	lea stack32_top(%rip), %rax
	push %rax
	pushq $2			/* RFLAGS: IF=0, IOPL 0 */
	pushq $(SEL_UCODE32 | 3)
	lea c32_user(%rip), %rax
	push %rax
	iretq
compat_user_exit:			/* from the int $0x80 handler, CPL 0 */
	RESTORE64

	.section .rodata
	.balign 8
fp_lcall:
	.long c32_lcall
	.word SEL_CODE32
	.balign 8
fp_fault:
	.long c32_fault
	.word SEL_CODE32

/* ------------------------------------------------------------------ */
	.text
	.code32

	.globl c32_main, c32_ret_addr
c32_main:
	/* ESP = stack32_top, whose low 16 bits are 0: a push must write at
	 * ESP-4 (not at SP-4 = 0xfffc in the segment). */
	mov %esp, R(R_ESP0)
	xor %eax, %eax
	mov %cs, %ax
	mov %eax, R(R_CS)
	xor %eax, %eax
	mov %ss, %ax
	mov %eax, R(R_SS)

	/* ---- push/pop: 4-byte slots on ESP ---- */
	mov %esp, %ebp
	push $0x11223344		/* 68 imm32 */
	mov %esp, R(R_PUSH_ESP)
	mov (%esp), %eax
	mov %eax, R(R_PUSH_MEM)
	push %ebp			/* 55 */
	pushw $0x5566			/* 66 68 imm16: 2 bytes */
	mov %ebp, %eax
	sub %esp, %eax
	mov %eax, R(R_PUSH_TOTAL)	/* 4 + 4 + 2 */
	mov $0xaaaaaaaa, %eax
	popw %ax			/* 66 58 */
	mov %eax, R(R_POPW)
	pop %ecx			/* 59 */
	mov %ecx, R(R_POP_EBP)
	pop %edx			/* 5a */
	mov %edx, R(R_POP_IMM)
	mov %ebp, %eax
	sub %esp, %eax
	mov %eax, R(R_POP_DELTA)	/* 0 */
	pushfl				/* 9c */
	mov %ebp, %eax
	sub %esp, %eax
	mov %eax, R(R_PUSHF_DELTA)
	popfl
	push %cs			/* 0e: 4-byte slot, low 16 bits = CS */
	mov %ebp, %eax
	sub %esp, %eax
	mov %eax, R(R_PUSHCS_DELTA)
	pop %eax
	and $0xffff, %eax
	mov %eax, R(R_PUSHCS_VAL)

	/* ---- 32-bit arithmetic and flags ---- */
	mov $0xffffffff, %eax
	add $1, %eax			/* 0, CF ZF PF AF */
	pushfl
	pop %ecx
	mov %eax, R(R_ADD1_RES)
	mov %ecx, R(R_ADD1_FL)
	mov $0x7fffffff, %eax
	add $1, %eax			/* 0x80000000, OF SF PF AF */
	pushfl
	pop %ecx
	mov %eax, R(R_ADD2_RES)
	mov %ecx, R(R_ADD2_FL)
	mov $0x12345678, %eax
	mov $0x100, %ecx
	mul %ecx			/* EDX:EAX = 0x12:0x34567800, CF OF */
	pushfl
	pop %ecx
	mov %eax, R(R_MUL_EAX)
	mov %edx, R(R_MUL_EDX)
	mov %ecx, R(R_MUL_FL)
	mov $5, %eax
	sub $7, %eax			/* 0xfffffffe, CF SF AF */
	pushfl
	pop %ecx
	mov %eax, R(R_SUB_RES)
	mov %ecx, R(R_SUB_FL)
	mov $0x80000001, %eax
	shl $1, %eax			/* 2, CF OF */
	pushfl
	pop %ecx
	mov %eax, R(R_SHL_RES)
	mov %ecx, R(R_SHL_FL)
	mov $0xffffffff, %eax
	mov $1, %edx
	add $1, %eax
	adc $0, %edx			/* carry out of bit 31 */
	mov %eax, R(R_ADC_EAX)
	mov %edx, R(R_ADC_EDX)

	/* ---- near CALL/RET: 4-byte return address ---- */
	mov %esp, %ebp
	call c32_func			/* e8 rel32 */
c32_ret_addr:
	mov %ebp, %eax
	sub %esp, %eax
	mov %eax, R(R_CALL_AFTER)	/* 0 */
	push $1
	push $2
	mov $c32_func2, %eax
	call *%eax			/* ff d0 */
	mov %ebp, %eax
	sub %esp, %eax
	mov %eax, R(R_CALLR_AFTER)	/* 0 after ret $8 */

	/* ---- operand-size prefix 0x66: 16-bit operations ---- */
	mov $0x1234ffff, %eax
	addw $1, %ax			/* 66 83 c0 01: 0x12340000, CF ZF PF AF */
	pushfl
	pop %ecx
	mov %eax, R(R_W_ADD_RES)
	mov %ecx, R(R_W_ADD_FL)
	.byte 0x66, 0xb8, 0xef, 0xbe	/* mov $0xbeef, %ax (imm16) */
	mov %eax, R(R_W_MOV)		/* 0x1234beef */
	mov $0x00018000, %edx
	addw $0x8000, %dx		/* 66 81 c2 00 80: 0x00010000, CF ZF PF OF */
	pushfl
	pop %ecx
	mov %edx, R(R_W_ADD2_RES)
	mov %ecx, R(R_W_ADD2_FL)
	movl $0xaaaaaaaa, data32w
	movw $0x7777, data32w		/* 66 c7 05 disp32 imm16 */
	mov data32w, %eax
	mov %eax, R(R_W_MEM)		/* 0xaaaa7777 */
	mov $0x5555ffff, %eax
	stc
	.byte 0x66, 0x40		/* inc %ax: 0x55550000, ZF PF AF, CF kept */
	pushfl
	pop %ecx
	mov %eax, R(R_W_INC)
	mov %ecx, R(R_W_INC_FL)
	mov %esp, %ebp
	pushw %cx			/* 66 51: 2 bytes */
	mov %ebp, %eax
	sub %esp, %eax
	mov %eax, R(R_W_PUSH_DELTA)
	popw %cx

	/* ---- INC/DEC r32 as 0x40-0x4f (REX prefixes only in 64-bit mode) ---- */
	mov $5, %eax
	.byte 0x48, 0x89, 0xc1		/* dec %eax; mov %eax,%ecx (64-bit: mov %rax,%rcx) */
	mov %ecx, R(R_ID_MOV)		/* 4 */
	mov %esp, %ebp
	mov %ebp, R(R_ID_ESP)		/* temporarily: ESP before */
	mov $0x10, %eax
	mov $0x20, %ecx
	mov $0x30, %edx
	mov $0x40, %ebx
	mov $0x50, %ebp
	mov $0x60, %esi
	mov $0x70, %edi
	.byte 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47	/* inc eax..edi */
	.byte 0x4c			/* dec %esp */
	.byte 0x48, 0x48		/* eax -2 */
	.byte 0x49			/* ecx -1 */
	.byte 0x4a, 0x4a, 0x4a		/* edx -3 */
	.byte 0x4b			/* ebx -1 */
	.byte 0x4d, 0x4d, 0x4d		/* ebp -3 */
	.byte 0x4e			/* esi -1 */
	.byte 0x4f, 0x4f		/* edi -2 */
	mov %eax, R(R_ID_EAX)		/* 0x0f */
	mov %ecx, R(R_ID_ECX)		/* 0x20 */
	mov %edx, R(R_ID_EDX)		/* 0x2e */
	mov %ebx, R(R_ID_EBX)		/* 0x40 */
	mov %ebp, R(R_ID_EBP)		/* 0x4e */
	mov %esi, R(R_ID_ESI)		/* 0x60 */
	mov %edi, R(R_ID_EDI)		/* 0x6f */
	mov %esp, %eax
	sub R(R_ID_ESP), %eax
	mov %eax, R(R_ID_ESP)		/* 0: inc+dec esp */
	stc
	mov $0x7fffffff, %edx
	.byte 0x42			/* inc %edx: CF kept, OF SF PF AF */
	pushfl
	pop %ecx
	mov %edx, R(R_INC_RES)
	mov %ecx, R(R_INC_FL)
	clc
	mov $1, %ebx
	.byte 0x4b			/* dec %ebx: 0, ZF PF */
	pushfl
	pop %ecx
	mov %ebx, R(R_DEC_RES)
	mov %ecx, R(R_DEC_FL)

	/* ---- memory through 32-bit addresses ---- */
	movl $0xcafebabe, data32	/* c7 05 disp32: absolute, not RIP-relative */
	mov data32, %eax		/* a1 moffs32 */
	mov %eax, R(R_M_ABS)
	mov $data32, %ebx
	mov (%ebx), %eax
	mov %eax, R(R_M_BASE)
	mov $0xfffffff0, %ebx
	mov data32+0x10(%ebx), %eax	/* EA wraps at 4 GiB to data32 */
	mov %eax, R(R_M_WRAP)
	lea data32+0x10(%ebx), %ecx
	mov %ecx, R(R_M_LEA)		/* = data32 */
	mov $data32arr, %esi
	mov $3, %ecx
	mov (%esi,%ecx,4), %eax		/* SIB */
	mov %eax, R(R_M_SIB)

	/* ---- a data segment with a base (used in compatibility mode) ---- */
	mov $SEL_DATA32B, %eax
	mov %eax, %es
	mov %es:4, %eax			/* based_area[1] */
	mov %eax, R(R_S_ES_BASE)
	mov $0xabcd0008, %ebx
	.byte 0x26, 0x67, 0x8b, 0x07	/* mov %es:(%bx),%eax: 16-bit address = 8 */
	mov %eax, R(R_S_A16)
	movl $0x5e5e5e5e, %es:12	/* based_area[3] */
	mov $SEL_KDATA, %eax
	mov %eax, %es

	movl $0x600d, R(R_DONE)
	pushl $SEL_KCODE
	pushl $compat_back
	lret				/* cb: 32-bit far return to 64-bit code */

c32_func:
	mov %ebp, %eax
	sub %esp, %eax
	mov %eax, R(R_CALL_DELTA)	/* 4 */
	mov (%esp), %eax
	mov %eax, R(R_CALL_RET)
	ret				/* c3: pops 4 bytes */

c32_func2:
	mov 4(%esp), %eax
	mov %eax, R(R_CALLR_ARG1)	/* 2 */
	mov 8(%esp), %eax
	mov %eax, R(R_CALLR_ARG2)	/* 1 */
	ret $8				/* c2 08 00 */

/* Target of compat_lcall's far call. */
c32_lcall:
	mov %esp, R(R_LC_ESP)		/* stack32_top - 8 */
	mov (%esp), %eax
	mov %eax, R(R_LC_EIP)
	mov 4(%esp), %eax
	and $0xffff, %eax
	mov %eax, R(R_LC_CS)
	lret

/* Target of compat_fault's far jump. */
	.globl c32_ud2, c32_ud2_end, c32_gp, c32_gp_end
c32_fault:
	mov %esp, R(R_F_ESP)
	mov $0x11111111, %eax
	clc
c32_ud2:
	ud2				/* 0f 0b: the handler sets CF and skips it */
c32_ud2_end:
	sbb %ecx, %ecx
	mov %ecx, R(R_F_CF)		/* 0xffffffff: CF from the handler's frame */
	mov %eax, R(R_F_EAX)
	mov %esp, R(R_F_ESP2)
	mov $5, %eax
	.byte 0x48, 0x89, 0xc1		/* still 32-bit after IRETQ: dec; mov */
	mov %ecx, R(R_F_MODE)
	mov $SEL_BAD, %eax
c32_gp:
	mov %eax, %es			/* 8e c0: #GP(0x1000) */
c32_gp_end:
	movl $1, R(R_F_DONE)
	ljmp $SEL_KCODE, $compat_fault_back	/* ea ptr16:32 */

/* CPL 3, 32-bit: entered by compat_user's IRETQ. */
	.globl c32_user_ud2, c32_user_ud2_end, c32_user_int80_end
c32_user:
	xor %eax, %eax
	mov %cs, %ax
	mov %eax, R(R_U_CS)
	mov %ss, %ax
	mov %eax, R(R_U_SS)
	mov %esp, R(R_U_ESP)
c32_user_ud2:
	ud2				/* #UD from CPL 3 compat: stack switch to RSP0 */
c32_user_ud2_end:
	mov $5, %eax
	.byte 0x48, 0x89, 0xc1		/* dec eax; mov ecx, eax: still 32-bit */
	mov %ecx, R(R_U_RESUMED)
	int $0x80			/* cd 80: DPL 3 gate; does not return */
c32_user_int80_end:
	ud2

	.code64

	.bss
	.balign 65536
	.globl stack32, stack32_top
stack32:
	.skip 65536
stack32_top:
	.balign 8
saved_rsp:
	.skip 8
	.globl data32, data32w, data32arr
data32:
	.skip 4
data32w:
	.skip 4

	.data
	.balign 4
data32arr:
	.long 0x10, 0x20, 0x30, 0x40, 0x50
