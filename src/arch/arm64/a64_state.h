/*
 * An A64 vCPU's saved state: the architecture's blob (encore/arch.h) that
 * checkpoints store and the state hash covers.  Plain and canonical: the
 * stack pointers are both in their banks, PSTATE is as SPSR holds it, and
 * nothing an engine derives (its TLB, decoded code) is in it.
 */
#ifndef ARM64_A64_STATE_H
#define ARM64_A64_STATE_H

#include "arch/arm64/a64_cpu.h"

#define A64_STATE_VERSION 1u

struct a64_state {
	u64 x[31];
	u64 sp_el0, sp_el1;
	u64 pc;
	u64 pstate;          /* NZCV, DAIF, M[3:0] and IL as SPSR_EL1 holds them */
	u64 v[32][2];        /* the SIMD&FP registers, low then high half */
	u64 fpcr, fpsr;
	u64 monitor_addr;
	u64 others_seen;     /* the other vCPUs' instructions when it last ran
			      * (a64_engine.c: the monitor's clearing) */
	struct a64_sysregs sys;
	u8 monitor_size, monitor_open;
	u8 event, wait;
	u8 irq_pending;      /* an interrupt the machine injected, not yet taken */
	u8 powered_off;      /* off until a PSCI CPU_ON (secondary CPUs at boot) */
	u8 pad[2];           /* explicit, zero: the state is hashed as bytes */
};

/* The CPU's architectural state into `s` (zeroed first), and back. */
void a64_state__save(const struct a64_cpu *c, bool irq_pending, bool powered_off,
		     struct a64_state *s);
void a64_state__load(struct a64_cpu *c, const struct a64_state *s, bool *irq_pending,
		     bool *powered_off);

#endif
