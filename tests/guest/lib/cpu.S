/*
 * Interrupt entry stubs, fault probes and the user-mode trampolines.
 */
#define FRAME_GPRS 15

	.text
	.code64

/*
 * 256 entry stubs, 16 bytes apart starting at isr_stubs.  Vectors whose
 * exceptions push an error code (8, 10-14, 17, 21, 29, 30) do not push a
 * dummy; all others push 0, so the frame is uniform.
 */
	.balign 16
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 256
	.org isr_stubs + vec * 16
	.if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq $0
	.endif
	pushq $vec
	jmp isr_common
	.set vec, vec + 1
	.endr
	.org isr_stubs + 256 * 16

/* Save the GPRs, call isr_dispatch(frame), restore, drop vector+error, iretq. */
isr_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	cld
	call isr_dispatch
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp
	iretq

/*
 * Probes: int probe_xxx(addr[, value]).  Arm the dispatcher with the
 * resume point and the RSP to resume with, do one access, disarm.
 * Return 0 on success, 1 when the access faulted.
 */
.macro ARM insn, resume
	lea \resume(%rip), %r11
	mov %r11, probe_resume(%rip)
	lea \insn(%rip), %r11
	mov %r11, probe_insn(%rip)
	mov %rsp, probe_rsp(%rip)
	movl $1, probe_armed(%rip)
.endm

/* PROBE name, store, access: a probe doing `access`; with store=1 the
 * value read (RAX) also goes to probe_value. */
.macro PROBE name, store, access:vararg
	.globl \name
\name:
	ARM 1f, 9f
1:	\access
	.if \store
	mov %rax, probe_value(%rip)
	.endif
	movl $0, probe_armed(%rip)
	xor %eax, %eax
	ret
9:	movl $0, probe_armed(%rip)
	mov $1, %eax
	ret
.endm

	PROBE probe_read8, 1, movzbl (%rdi), %eax
	PROBE probe_read64, 1, mov (%rdi), %rax
	PROBE probe_write8, 0, mov %sil, (%rdi)
	PROBE probe_write64, 0, mov %rsi, (%rdi)
/* A fetch fault reports the target's address, not this call's. */
	PROBE probe_exec, 0, call *%rdi

/*
 * u64 enter_user(rip, rsp, rflags, arg): save callee-saved registers and
 * RSP in kernel_ctx, then IRETQ to CPL 3 with RDI = arg.
 */
	.globl enter_user
enter_user:
	mov %rbx, kernel_ctx+0(%rip)
	mov %rbp, kernel_ctx+8(%rip)
	mov %r12, kernel_ctx+16(%rip)
	mov %r13, kernel_ctx+24(%rip)
	mov %r14, kernel_ctx+32(%rip)
	mov %r15, kernel_ctx+40(%rip)
	mov %rsp, kernel_ctx+48(%rip)
	pushq $0x1b		/* SS: user data, RPL 3 */
	push %rsi		/* RSP */
	push %rdx		/* RFLAGS */
	pushq $0x23		/* CS: user code, RPL 3 */
	push %rdi		/* RIP */
	mov %rcx, %rdi
	xor %eax, %eax
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %ebp, %ebp
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
	iretq

/* void return_to_kernel(val): back to enter_user's caller (CPL 0 only). */
	.globl return_to_kernel
return_to_kernel:
	mov kernel_ctx+0(%rip), %rbx
	mov kernel_ctx+8(%rip), %rbp
	mov kernel_ctx+16(%rip), %r12
	mov kernel_ctx+24(%rip), %r13
	mov kernel_ctx+32(%rip), %r14
	mov kernel_ctx+40(%rip), %r15
	mov kernel_ctx+48(%rip), %rsp
	mov %rdi, %rax
	ret

/* Reload CS with a far return and the data segments; used by gdt_init. */
	.globl reload_segments
reload_segments:
	pushq $0x08
	lea 1f(%rip), %rax
	push %rax
	lretq
1:	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	ret

	.bss
	.balign 16
kernel_ctx:
	.skip 64
