/*
 * The start of every bench guest (include it first in a .S file): a
 * multiboot header and a 32- to 64-bit switch, so that one flat binary
 * runs on both machines.  encore enters at the guest's _start64 (the ELF
 * entry, already in long mode); QEMU boots the flat binary through the
 * multiboot header and enters at _start32, which identity-maps the first
 * 1 GiB, enters long mode and falls through to the code after this file.
 * Define MULTIBOOT_BSS_END (the end of everything QEMU must leave alone)
 * before including it; the GDT and page tables come from
 * multiboot64_data.h.
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
	.long	MULTIBOOT_BSS_END		/* bss_end_addr */
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
