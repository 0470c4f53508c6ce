/*
 * x87/SSE availability checks and exception delivery shared by
 * ops_sse.c and ops_x87.c.
 */
#include "cpu/interp/fpu.h"

/* SSE: #UD if CR0.EM or !CR4.OSFXSR, then #NM if CR0.TS. */
void sse_check(struct cpu *c)
{
	if (unlikely((c->s.cr0 & (CR0_EM | CR0_TS)) || !(c->s.cr4 & CR4_OSFXSR))) {
		if ((c->s.cr0 & CR0_EM) || !(c->s.cr4 & CR4_OSFXSR))
			raise_ud(c);
		cpu_raise(c, EXC_NM, NO_ERRCODE);
	}
}

/* x87 escape opcodes (D8..DF): #NM if CR0.EM or CR0.TS. */
void fpu_check(struct cpu *c)
{
	if (unlikely(c->s.cr0 & (CR0_EM | CR0_TS)))
		cpu_raise(c, EXC_NM, NO_ERRCODE);
}

/*
 * A waiting x87 instruction found FSW.ES set (an unmasked exception is
 * pending).  With CR0.NE the exception is reported as #MF on this
 * instruction.  With CR0.NE clear a PC would signal FERR# to the
 * interrupt controller (IRQ 13); encore has no such wire, so the
 * exception stays pending and the instruction proceeds.
 */
void fpu_deliver_pending(struct cpu *c)
{
	if (c->s.cr0 & CR0_NE)
		cpu_raise(c, EXC_MF, NO_ERRCODE);
}

/* Host MXCSR value for running a guest operation: guest RC/DAZ/FTZ, all masked. */
u32 sse_host_mxcsr(struct cpu *c)
{
	return (c->s.fpu.mxcsr & 0xffc0u) | 0x1f80u;
}

void sse_commit_flags(struct cpu *c, u32 flags)
{
	u32 m = c->s.fpu.mxcsr;
	flags &= 0x3f;
	c->s.fpu.mxcsr = m | flags;
	if (unlikely(flags & ~(m >> 7) & 0x3f)) {
		if (c->s.cr4 & CR4_OSXMMEXCPT)
			cpu_raise(c, EXC_XM, NO_ERRCODE);
		raise_ud(c);
	}
}
