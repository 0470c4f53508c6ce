/*
 * Taking exceptions to EL1 and returning from them (ERET), and the
 * interrupt inputs.
 */
#ifndef ARM64_A64_EXCEPTION_H
#define ARM64_A64_EXCEPTION_H

#include "arch/arm64/a64_cpu.h"

/* Exception classes (ESR_ELx.EC). */
#define A64_EC_UNKNOWN 0x00
#define A64_EC_WFX 0x01
#define A64_EC_FP_ACCESS 0x07
#define A64_EC_ILLEGAL_STATE 0x0e
#define A64_EC_SVC64 0x15
#define A64_EC_HVC64 0x16
#define A64_EC_SMC64 0x17
#define A64_EC_SYSREG 0x18
#define A64_EC_IABT_LOWER 0x20
#define A64_EC_IABT_SAME 0x21
#define A64_EC_PC_ALIGN 0x22
#define A64_EC_DABT_LOWER 0x24
#define A64_EC_DABT_SAME 0x25
#define A64_EC_SP_ALIGN 0x26
#define A64_EC_BRK 0x3c

/* PSTATE.DAIF as a64_cpu.daif holds it (SPSR/DAIF bits 9:6). */
#define A64_DAIF_D 0x8
#define A64_DAIF_A 0x4
#define A64_DAIF_I 0x2
#define A64_DAIF_F 0x1

/* SPSR_EL1.IL (PSTATE.IL saved). */
#define A64_SPSR_IL (1u << 20)

/* Take a synchronous exception with syndrome `ec`/`iss` from the
 * instruction at pc (ELR = pc); `far` is written to FAR_EL1 when
 * `far_valid`.  Returns A64_EXC. */
int a64_take_sync(struct a64_cpu *c, unsigned ec, u32 iss, u64 far, bool far_valid);
/* The Undefined Instruction exception for the instruction at pc. */
int a64_undefined(struct a64_cpu *c);
/* Take an IRQ (or FIQ) between instructions: ELR = pc. */
void a64_take_irq(struct a64_cpu *c, bool fiq);
/*
 * ERET: restore PSTATE from SPSR_EL1 and branch to ELR_EL1; sets the event
 * register and closes the monitor.  An illegal return (to EL2/EL3,
 * AArch32, EL0 with SP_ELx) keeps the EL and SP selection and sets
 * PSTATE.IL: the next instruction takes the Illegal Execution State
 * exception (a64_take_interrupt_if_pending does).  Returns A64_OK, or
 * A64_STOP when something is to be taken at once (IL, an interrupt
 * unmasked by the return).
 */
int a64_exception_return(struct a64_cpu *c);

/* PSTATE as SPSR holds it, and back (switching the banked SP). */
u64 a64_pstate_read(const struct a64_cpu *c);
void a64_pstate_write(struct a64_cpu *c, u64 spsr);
/* PSTATE.SP at EL1 (MSR SPSel): switch the banked stack pointer. */
void a64_set_spsel(struct a64_cpu *c, bool spx);

/*
 * Between instructions: take an FIQ or IRQ whose line is high and that
 * PSTATE.F/I does not mask (FIQ first), or the Illegal Execution State
 * exception that PSTATE.IL asks for.  True when an exception was entered
 * (pc is its vector, a64_cpu.wait is cleared).  Deterministic: depends
 * only on the lines, which the board sets at landmarks.
 */
bool a64_take_interrupt_if_pending(struct a64_cpu *c);
/* An interrupt would be taken at the next boundary. */
static inline bool a64_interrupt_pending(const struct a64_cpu *c)
{
	return (c->fiq_line && !(c->daif & A64_DAIF_F)) ||
	       (c->irq_line && !(c->daif & A64_DAIF_I));
}
/*
 * After A64_WAIT: has the wait ended?  WFI ends with an IRQ or FIQ line
 * high, masked or not; WFE with the event register set (SEV on another
 * vCPU, through cb.send_event) or an unmasked interrupt.  The engine must
 * also end a WFE wait at the event stream's next event
 * (a64_evtstrm_next_ns) and should treat WFE as a yield when other vCPUs
 * can run: a store by another vCPU that clears this one's exclusive
 * monitor is a wake-up event too, and this CPU does not see it.
 * When the wait is over, clears a64_cpu.wait (and the event register if
 * that ended a WFE).
 */
bool a64_wait_over(struct a64_cpu *c);

#endif
