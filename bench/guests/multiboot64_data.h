/*
 * The data of multiboot64.h: a flat GDT (64-bit code, data) and the three
 * page-table pages, in .bss.  Include it where the guest's data goes; it
 * leaves the assembler in .bss.
 */
	.section .text
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
