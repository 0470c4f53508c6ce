/*
 * x87/SSE exception delivery shared by
 * ops_sse.c and ops_x87.c.
 */
#include "arch/x86/interp/fpu.h"

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

void sse_commit_flags(struct cpu *c, u32 flags)
{
	u32 m = c->s.fpu.mxcsr;
	flags &= MXCSR_EXC;
	c->s.fpu.mxcsr = m | flags;
	if (unlikely(flags & ~(m >> MXCSR_MASK_SHIFT) & MXCSR_EXC)) {
		if (c->s.cr4 & CR4_OSXMMEXCPT)
			cpu_raise(c, EXC_XM, NO_ERRCODE);
		raise_ud(c);
	}
}
