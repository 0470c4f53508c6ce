/*
 * The built-in demo guest: bare-metal 64-bit code that counts the primes
 * below 20000 by trial division, prints the count on the serial console
 * and exits through the debug-exit port.  Position independent.
 */
	.section .rodata
	.globl demo_guest_start, demo_guest_end
demo_guest_start:
	lea	msg(%rip), %rsi
	call	puts
	xor	%ebx, %ebx		/* prime count */
	mov	$2, %ecx		/* candidate */
1:	mov	$2, %edi		/* divisor */
2:	mov	%edi, %eax
	imul	%edi, %eax
	cmp	%ecx, %eax
	ja	3f			/* divisor^2 > candidate: prime */
	mov	%ecx, %eax
	xor	%edx, %edx
	div	%edi
	test	%edx, %edx
	jz	4f			/* divisible: not prime */
	inc	%edi
	jmp	2b
3:	inc	%ebx
4:	inc	%ecx
	cmp	$20000, %ecx
	jb	1b
	lea	msg2(%rip), %rsi
	call	puts
	mov	%ebx, %eax
	call	putdec
	mov	$'\n', %al
	call	putc
	xor	%eax, %eax
	mov	$0xf4, %dx
	out	%eax, %dx
5:	hlt
	jmp	5b

putc:	push	%rdx
	mov	$0x3f8, %dx
	out	%al, %dx
	pop	%rdx
	ret
puts:	lodsb
	test	%al, %al
	jz	1f
	call	putc
	jmp	puts
1:	ret
putdec:	/* print eax in decimal */
	mov	$10, %ecx
	xor	%r8d, %r8d
1:	xor	%edx, %edx
	div	%ecx
	push	%rdx
	inc	%r8d
	test	%eax, %eax
	jnz	1b
2:	pop	%rax
	add	$'0', %al
	call	putc
	dec	%r8d
	jnz	2b
	ret
msg:	.asciz	"encore demo guest: counting primes below 20000 on the interpreter\n"
msg2:	.asciz	"primes found: "
demo_guest_end:
	.section .note.GNU-stack,"",@progbits
