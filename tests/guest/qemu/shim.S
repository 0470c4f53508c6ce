/*
 * A multiboot (v1) shim for QEMU that gives an encore bare-metal guest the
 * start state of `encore run --kernel` (src/arch/x86/bare_metal.c): the
 * guest ELF64 is passed as the first multiboot module; shim_main (shim.c)
 * copies its PT_LOAD segments to their physical addresses, builds
 * encore's identity map, GDT and CPU state and far-jumps to long_mode
 * below, which loads the data segments, clears the GPRs and RFLAGS and
 * jumps to e_entry with encore's RSP.
 */
	.set MB_MAGIC, 0x1badb002
	.set MB_FLAGS, 0x00000000
	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl _start
_start:
	cli
	cld
	mov $stack_top, %esp
	push %ebx		/* multiboot info */
	call shim_main		/* does not return: ends in a far jump to long_mode */
1:	hlt
	jmp 1b

/* 64-bit mode, CS = encore's code selector, still on the shim's stack. */
	.code64
	.globl long_mode
long_mode:
	mov %esp, %esp		/* zero-extends into RSP */
	movzwl shim_sel_data(%rip), %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	xor %eax, %eax
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %ebp, %ebp
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
	pushq $2		/* RFLAGS: only the fixed bit 1 */
	popfq
	mov shim_rsp(%rip), %rsp
	jmp *shim_entry(%rip)

	.section .note.GNU-stack, "", @progbits

	.bss
	.align 16
	.skip 16384
stack_top:
