/*
 * Start-up for the compiled C benchmark guest (cwork.c): the same
 * multiboot header and 32- to 64-bit switch as intloop.S, so one flat
 * binary runs on both machines.  encore enters at _start64 (the ELF
 * entry, already in long mode); QEMU boots the flat binary through the
 * multiboot header and enters at _start32.  Both then run cwork_main()
 * on the stack below, print nothing here, and exit 0 through port 0xf4.
 *
 * Link this object first: the header must lie in the image's first
 * 8 KiB.  bss_tail is a common symbol, which guest.ld places after every
 * .bss section (the C code's included), so bss_end_addr covers the whole
 * image and QEMU puts its multiboot data beyond it.
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
	.long	bss_tail + 16			/* bss_end_addr */
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

	.globl _start64
_start64:
	lea	stack_top(%rip), %rsp		/* the same stack on both machines */
	cld
	call	cwork_main
	xor	%eax, %eax
	mov	$0xf4, %dx
	out	%eax, %dx
2:	hlt
	jmp	2b

	.balign 8
gdt:	.quad	0
	.quad	0x00af9b000000ffff	/* 64-bit code */
	.quad	0x00cf93000000ffff	/* data */
gdt_ptr: .word	23
	.long	gdt

	.section .bss
	.balign 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4096
	.skip 65536
stack_top:
	.comm	bss_tail, 16, 16
	.section .note.GNU-stack,"",@progbits
