/*
 * usermode: the SYSCALL entry point and the user-mode code whose exact
 * register values matter (run at CPL 3 via enter_user()).
 */
#define SYS_EXIT 0
#define SYS_RECORD 2
#define SYS_REDIRECT 3
#define INT80_RECORD 4

	.text
	.code64

/*
 * SYSCALL entry.  percpu (via KERNEL_GS_BASE after SWAPGS) holds the
 * kernel stack at 0 and a scratch slot for the user RSP at 8.  Builds a
 * struct sc_regs and calls syscall_dispatch(), which may change the saved
 * RAX, RCX and R11 before SYSRET.
 */
	.globl syscall_entry
syscall_entry:
	swapgs
	mov %rsp, %gs:8
	mov %gs:0, %rsp
	pushq %gs:8		/* user RSP */
	pushfq			/* RFLAGS as masked by IA32_FMASK */
	push %r11
	push %rcx
	push %rax
	push %rdi
	push %rsi
	push %rdx
	push %r8
	push %r9
	push %r10
	pushq $0		/* 12 qwords: RSP stays 16-byte aligned */
	mov %rsp, %rdi
	call syscall_dispatch
	add $8, %rsp
	pop %r10
	pop %r9
	pop %r8
	pop %rdx
	pop %rsi
	pop %rdi
	pop %rax
	pop %rcx
	pop %r11
	mov 8(%rsp), %rsp	/* skip the RFLAGS slot, load the user RSP */
	swapgs
	sysretq

/*
 * void user_syscall_test(struct sc_result *res)  [CPL 3]
 * Sets DF and AC, records RSP/RFLAGS/the expected return RIP, does
 * SYSCALL(SYS_RECORD, 0x1234) and records what SYSRET left behind.
 */
	.globl user_syscall_test
user_syscall_test:
	mov %rdi, %rbx
	pushfq
	orq $0x40400, (%rsp)	/* DF | AC */
	popfq
	pushfq
	popq 8(%rbx)		/* flags before */
	mov %rsp, 0(%rbx)	/* RSP before */
	lea 1f(%rip), %rax
	mov %rax, 16(%rbx)	/* expected RCX */
	mov $SYS_RECORD, %eax
	mov $0x1234, %edi
	syscall
1:	pushfq
	popq 48(%rbx)		/* flags after SYSRET */
	cld
	mov %rax, 24(%rbx)
	mov %rcx, 32(%rbx)
	mov %r11, 40(%rbx)
	mov %rsp, 56(%rbx)
	xor %eax, %eax
	mov %cs, %ax
	mov %rax, 64(%rbx)
	mov %ss, %ax
	mov %rax, 72(%rbx)
	mov %gs:0, %rax
	mov %rax, 80(%rbx)	/* user GS base restored by the exit SWAPGS */
	mov $SYS_EXIT, %eax
	mov $0x5c, %edi
	syscall
	ud2

/* void user_redirect_test(u64 *res)  [CPL 3]: the kernel changes RCX. */
	.globl user_redirect_test
user_redirect_test:
	mov %rdi, %rbx
	lea 2f(%rip), %rdi
	mov $SYS_REDIRECT, %eax
	syscall
	movq $1, (%rbx)		/* SYSRET ignored RCX */
	jmp 3f
2:	movq $2, (%rbx)
3:	mov $SYS_EXIT, %eax
	xor %edi, %edi
	syscall
	ud2

/*
 * void user_int80_test(void)  [CPL 3]: int $0x80 with R12 = RSP,
 * R13 = the expected return RIP, R14 = RFLAGS, for the handler to compare.
 */
	.globl user_int80_test
user_int80_test:
	pushfq
	pop %r14
	mov %rsp, %r12
	lea 1f(%rip), %r13
	mov $INT80_RECORD, %eax
	int $0x80
1:	mov $SYS_EXIT, %eax
	mov $0x8080, %edi
	int $0x80
	ud2
