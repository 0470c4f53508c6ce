/* EL0 routines and probes of the exceptions guest (exceptions.c). */
	.text

	/* u64 el0_sp(u64): the stack pointer EL0 runs on. */
	.global el0_sp
el0_sp:
	mov x0, sp
	ret

	/* u64 el0_svc(u64 x): svc #0x42 with x0 = x; returns what the
	 * handler left in x0.  el0_svc_next: the instruction after it. */
	.global el0_svc, el0_svc_next
el0_svc:
	svc #0x42
el0_svc_next:
	ret

	/* u64 el0_mrs(u64): reads SCTLR_EL1 at EL0: undefined. */
	.global el0_mrs, el0_mrs_insn
el0_mrs:
el0_mrs_insn:
	mrs x0, sctlr_el1
	ret

	/* u64 el0_brk(u64): brk #5 at EL0. */
	.global el0_brk, el0_brk_insn
el0_brk:
el0_brk_insn:
	brk #5
	ret

	/* u64 svc_on_sp0(u64 sp0): svc #0x7 at EL1t on SP_EL0 = sp0, back
	 * to EL1h; returns SP as EL1t saw it.  svc_on_sp0_next: after svc. */
	.global svc_on_sp0, svc_on_sp0_next
svc_on_sp0:
	msr sp_el0, x0
	msr spsel, #0
	mov x1, sp
	svc #0x7
svc_on_sp0_next:
	msr spsel, #1
	mov x0, x1
	ret

	/* u64 load_on_sp0(u64 sp0): ldr x0, [sp] at EL1t on SP_EL0 = sp0. */
	.global load_on_sp0, load_on_sp0_insn
load_on_sp0:
	msr sp_el0, x0
	msr spsel, #0
	mov x0, #0
load_on_sp0_insn:
	ldr x0, [sp]
	msr spsel, #1
	ret

	/* void branch_to(u64 target): br to target with x30 = the return;
	 * a PC alignment fault's handler resumes at x30. */
	.global branch_to
branch_to:
	br x0

	/* void illegal_return(void): ERET with SPSR.M = EL2h (no EL2):
	 * illegal, PSTATE.IL set, the next instruction (illegal_return_at)
	 * takes an illegal-state exception. */
	.global illegal_return, illegal_return_at
illegal_return:
	adr x1, illegal_return_at
	msr elr_el1, x1
	mov x1, #0x3c9
	msr spsr_el1, x1
	eret
illegal_return_at:
	nop
	ret

	/* u64 el0_load(u64 addr): an EL0 load. */
	.global el0_load, el0_load_insn
el0_load:
el0_load_insn:
	ldr x0, [x0]
	ret
