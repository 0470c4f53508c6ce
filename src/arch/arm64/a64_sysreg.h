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
	/* Debug registers Linux writes: kept, not acted on (no breakpoints,
	 * watchpoints, software step or debug communications channel). */
	u64 csselr_el1, osdlr_el1, oslsr_el1, mdccint_el1, dbgprcr_el1;
	u64 dbgbcr[2], dbgbvr[2], dbgwcr[2], dbgwvr[2], dbgclaim;
};

/* A system register's key: its encoding as MRS/MSR name it. */
#define A64_SYSREG(op0, op1, crn, crm, op2) \
	((u32)(op0) << 14 | (u32)(op1) << 11 | (u32)(crn) << 7 | (u32)(crm) << 3 | (u32)(op2))

/* The generic timer counts at 62.5 MHz: 16 ns a tick, exactly. */
#define A64_CNTFRQ_HZ 62500000u
#define A64_NS_PER_TICK 16u

/* CNTx_CTL_EL0 bits. */
#define A64_CNT_ENABLE 0x1u
#define A64_CNT_IMASK 0x2u
#define A64_CNT_ISTATUS 0x4u

/* SCTLR_EL1 bits this CPU acts on. */
#define A64_SCTLR_M (1ull << 0)
#define A64_SCTLR_A (1ull << 1)
#define A64_SCTLR_SA (1ull << 3)
#define A64_SCTLR_SA0 (1ull << 4)
#define A64_SCTLR_UMA (1ull << 9)
#define A64_SCTLR_DZE (1ull << 14)
#define A64_SCTLR_UCT (1ull << 15)
#define A64_SCTLR_NTWI (1ull << 16)
#define A64_SCTLR_NTWE (1ull << 18)
#define A64_SCTLR_WXN (1ull << 19)
#define A64_SCTLR_UCI (1ull << 26)

struct a64_cpu;

/* Reset values: EL1h with DAIF masked, the MMU off, SCTLR_EL1's RES1
 * bits, the OS lock set; the TLB empty.  Keeps the bus, the callbacks,
 * cpu_index and the general registers' zero. */
void a64_sysreg_reset(struct a64_cpu *c);

/* Read or write a system register by key as EL1 would, with its side
 * effects (TLB, timer) but no trap: for boards, debuggers, checkpoints.
 * Returns false when no such register exists (or it is write- or
 * read-only). */
bool a64_sysreg_read(struct a64_cpu *c, u32 key, u64 *v);
bool a64_sysreg_write(struct a64_cpu *c, u32 key, u64 v);
/* The register's name ("SCTLR_EL1"), or NULL. */
const char *a64_sysreg_name(u32 key);

/* The generic timer, for the board.  The count (CNTVCT = CNTPCT: there is
 * no CNTVOFF without EL2) from cb.now_ns. */
u64 a64_timer_count(struct a64_cpu *c);
/* The output of timer `phys` (0: virtual, PPI 27; 1: physical, PPI 30):
 * ENABLE, not IMASK, and the count has reached CVAL. */
bool a64_timer_irq(struct a64_cpu *c, bool phys);
/* The virtual time (ns) at which that output will rise, if it is not
 * already high: ~0 when the timer is disabled or masked. */
u64 a64_timer_deadline_ns(struct a64_cpu *c, bool phys);
/* The virtual time (ns) of the next event of the event stream
 * (CNTKCTL_EL1.EVNTEN) after `now_ns`, which wakes WFE: ~0 when off. */
u64 a64_evtstrm_next_ns(struct a64_cpu *c, u64 now_ns);

/*
 * MRS and MSR (a64_system.c decodes, these execute).  The entry of `key`
 * is looked up once, at decode (NULL: no such register); the access
 * checks the EL0 rules, read-only/write-only, CPACR for FPCR/FPSR, then
 * reads or writes with the side effects.  `rt` is the instruction's Rt
 * field, for the syndrome of a trap.  They return A64_OK, A64_STOP (a
 * write the engine must see: translation registers, timer, an unmasked
 * interrupt) or A64_EXC.
 */
struct a64_sysreg_def;
const struct a64_sysreg_def *a64_sysreg_lookup(u32 key);
int a64_sysreg_mrs(struct a64_cpu *c, const struct a64_sysreg_def *r, u32 key, unsigned rt,
		   u64 *v);
int a64_sysreg_msr(struct a64_cpu *c, const struct a64_sysreg_def *r, u32 key, unsigned rt,
		   u64 v);
/* Trap an EL0 access to EL1 with EC 0x18 (the ISS names the encoding of
 * `key`, Rt and the direction; SYS instructions have op0 = 1). */
int a64_sysreg_trap(struct a64_cpu *c, u32 key, unsigned rt, bool read);

/*
 * CPACR_EL1.FPEN: A64_OK when FP/SIMD instructions may run at the current
 * EL, else takes the trap (EC 0x07) and returns A64_EXC.  The SIMD&FP
 * handlers call it first (the MRS/MSR of FPCR/FPSR here do).
 */
int a64_fp_check(struct a64_cpu *c);

#endif
