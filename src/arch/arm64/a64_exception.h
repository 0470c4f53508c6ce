/*
 * Taking exceptions to EL1 and returning from them (ERET).
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

/* Take a synchronous exception with syndrome `ec`/`iss` from the
 * instruction at pc (ELR = pc); `far` is written to FAR_EL1 when
 * `far_valid`.  Returns A64_EXC. */
int a64_take_sync(struct a64_cpu *c, unsigned ec, u32 iss, u64 far, bool far_valid);
/* The Undefined Instruction exception for the instruction at pc. */
int a64_undefined(struct a64_cpu *c);
/* Take an IRQ (or FIQ) between instructions: ELR = pc. */
void a64_take_irq(struct a64_cpu *c, bool fiq);
/* ERET: restore PSTATE from SPSR_EL1 and branch to ELR_EL1. */
int a64_exception_return(struct a64_cpu *c);

/* PSTATE as SPSR holds it, and back (switching the banked SP). */
u64 a64_pstate_read(const struct a64_cpu *c);
void a64_pstate_write(struct a64_cpu *c, u64 spsr);

#endif
