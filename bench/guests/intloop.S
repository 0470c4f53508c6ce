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
#define LOAD_ADDR 0x100000

	.section .text
	.code32
	.balign 4
multiboot_header:
	.long	0x1badb002			/* magic */
	.long	0x00010000			/* flags: the address fields below are valid */
	.long	-(0x1badb002 + 0x00010000)	/* checksum */
	.long	multiboot_header		/* header_addr */
	.long	LOAD_ADDR			/* load_addr */
	.long	0				/* load_end_addr: the whole file */
	.long	bss_end				/* bss_end_addr */
	.long	_start32			/* entry_addr */

_start32:
	/* identity-map the first 1 GiB with 2 MiB pages */
	lea	pd, %edi
	mov	$0x83, %eax			/* present, writable, 2 MiB */
	mov	$512, %ecx
1:	mov	%eax, (%edi)
	movl	$0, 4(%edi)
	add	$0x200000, %eax
	add	$8, %edi
	loop	1b
	lea	pd, %eax
	or	$3, %eax
	mov	%eax, pdpt
	lea	pdpt, %eax
	or	$3, %eax
	mov	%eax, pml4
	lea	pml4, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$0x20, %eax			/* PAE */
	mov	%eax, %cr4
	mov	$0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	or	$0x100, %eax
	wrmsr
	mov	%cr0, %eax
	or	$0x80000001, %eax		/* PG | PE */
	mov	%eax, %cr0
	lgdt	gdt_ptr
	ljmp	$0x08, $long_entry
	.code64
long_entry:
	mov	$0x10, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
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

	.balign 8
gdt:	.quad	0
	.quad	0x00af9b000000ffff	/* 64-bit code */
	.quad	0x00cf93000000ffff	/* data */
gdt_ptr: .word	23
	.long	gdt
hexdigits: .ascii "0123456789abcdef"

	.section .bss
	.balign 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4096
table:	.skip 65536 + 8
	.skip 4096
stack_top:
bss_end:
	.section .note.GNU-stack,"",@progbits
