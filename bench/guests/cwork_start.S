/*
 * Start-up for the compiled C benchmark guest (cwork.c), after the
 * start every bench guest shares (multiboot64.h): both machines run
 * cwork_main() on the stack below, print nothing here, and exit 0
 * through port 0xf4.
 *
 * Link this object first: the header must lie in the image's first
 * 8 KiB.  bss_tail is a common symbol, which guest.ld places after every
 * .bss section (the C code's included), so bss_end_addr covers the whole
 * image and QEMU puts its multiboot data beyond it.
 */
#define MULTIBOOT_BSS_END (bss_tail + 16)
#include "multiboot64.h"

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

#include "multiboot64_data.h"
	.skip 65536
stack_top:
	.comm	bss_tail, 16, 16
	.section .note.GNU-stack,"",@progbits
