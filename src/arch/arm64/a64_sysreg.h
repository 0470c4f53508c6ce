/*
 * AArch64 system registers at EL0/EL1 that the interpreter keeps (the rest
 * are constant ID values or read as zero: a64_sysreg.c).  Plain data, so a
 * checkpoint saves it with the CPU.
 */
#ifndef ARM64_A64_SYSREG_H
#define ARM64_A64_SYSREG_H

#include "encore/types.h"

struct a64_sysregs {
	u64 sctlr_el1, tcr_el1, ttbr0_el1, ttbr1_el1, mair_el1, amair_el1;
	u64 vbar_el1, elr_el1, spsr_el1, esr_el1, far_el1, par_el1;
	u64 contextidr_el1, tpidr_el0, tpidrro_el0, tpidr_el1, cpacr_el1;
	u64 sp_el0_unused; /* (SP_EL0 lives in a64_cpu) */
	u64 mdscr_el1, cntkctl_el1;
	u64 cntv_ctl_el0, cntv_cval_el0, cntp_ctl_el0, cntp_cval_el0;
	u64 afsr0_el1, afsr1_el1;
};

#endif
