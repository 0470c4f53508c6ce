/*
 * Integer/memory loop benchmark guest: loads, stores, ALU ops, compares
 * and branches over a 64 KiB table, 25 million iterations of 8
 * instructions.  Prints a checksum so runs can be compared, then exits 0
 * through port 0xf4.
 *
 * One source serves both machines: encore starts at _start64 (the ELF
 * entry, already in long mode); QEMU boots the flat binary through the
 * multiboot header and enters at _start32, which switches to long mode.
 */
#define MULTIBOOT_BSS_END bss_end
#include "multiboot64.h"
	lea	stack_top(%rip), %rsp

	.globl _start64
_start64:
	lea	table(%rip), %rsi
	xor	%eax, %eax		/* index */
	xor	%ebx, %ebx		/* checksum */
	mov	$25000000, %ecx		/* 8 instructions per iteration */
1:	mov	(%rsi,%rax,8), %rdx
	add	%rbx, %rdx
	lea	1(%rdx,%rax), %rbx
	mov	%rbx, 8(%rsi,%rax,8)
	add	$1, %eax
	and	$8190, %eax
	sub	$1, %ecx
	jnz	1b
	/* print the checksum in hex */
	mov	$16, %ecx
2:	rol	$4, %rbx
	mov	%ebx, %eax
	and	$15, %eax
	lea	hexdigits(%rip), %rdx
	movzbl	(%rdx,%rax), %eax
	mov	$0x3f8, %dx
	out	%al, %dx
	dec	%ecx
	jnz	2b
	mov	$'\n', %al
	out	%al, %dx
	xor	%eax, %eax
	mov	$0xf4, %dx
	out	%eax, %dx
3:	hlt
	jmp	3b

hexdigits: .ascii "0123456789abcdef"

#include "multiboot64_data.h"
table:	.skip 65536 + 8
	.skip 4096
stack_top:
bss_end:
	.section .note.GNU-stack,"",@progbits
