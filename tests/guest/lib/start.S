/*
 * Entry point of every guest: zero .bss, switch to our own stack, call
 * main() and hand its return value to encore's exit port (0xf4).
 */
	.section .text.start, "ax"
	.code64
	.globl _start
_start:
	cli
	cld
	/* .bss is 16-byte aligned at both ends (guest.ld): clear it by qwords.
	 * We still run on encore's stack at 0x9000 here. */
	lea __bss_start(%rip), %rdi
	lea __bss_end(%rip), %rcx
	xor %eax, %eax
1:	cmp %rcx, %rdi
	jae 2f
	mov %rax, (%rdi)
	mov %rax, 8(%rdi)
	add $16, %rdi
	jmp 1b
2:	lea boot_stack_top(%rip), %rsp
	xor %ebp, %ebp
	call main
	mov %eax, %edi
	call guest_exit
3:	hlt
	jmp 3b

	.section .bss
	.balign 4096
boot_stack:
	.skip 32768
boot_stack_top:
