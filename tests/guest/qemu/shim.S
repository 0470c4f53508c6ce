/*
 * A multiboot (v1) shim for QEMU that gives an encore bare-metal guest the
 * same start state as `encore run --kernel`: the guest ELF64 is passed as
 * the first multiboot module; the shim copies its PT_LOAD segments to their
 * physical addresses, builds the identity map of the first 4 GiB with
 * 2 MiB pages at 0x1000, a GDT at 0x7000 (0x08 code64, 0x10 data),
 * enters long mode and jumps to e_entry with RSP = 0x9000.
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
	call shim_main		/* returns the guest entry in eax */
	mov %eax, %edi

	lgdt gdt_desc
	mov %cr4, %eax
	or $0x20, %eax		/* PAE */
	mov %eax, %cr4
	mov $0x1000, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $0x100, %eax		/* LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax	/* PG | PE */
	mov %eax, %cr0
	ljmp $0x08, $long_mode

/* These bytes decode the same in 64-bit mode. */
long_mode:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	mov $0x9000, %esp	/* zero-extends into RSP */
	mov %edi, %edi		/* zero-extends into RDI */
	jmp *%edi		/* jmp *%rdi */

	.data
	.align 8
gdt_desc:
	.word 23
	.long 0x7000

	.section .note.GNU-stack, "", @progbits

	.bss
	.align 16
	.skip 16384
stack_top:
