/*
 * The A64 interpreter as an encore engine (encore/engine.h): one per vCPU,
 * sharing decoded code with the machine's other A64 engines.  Its state
 * blob is struct a64_state (a64_state.h).
 */
#ifndef ARM64_A64_ENGINE_H
#define ARM64_A64_ENGINE_H

#include "arch/arm64/a64_cpu.h"
#include "encore/engine.h"
#include "encore/machine.h"

/* What the board answers for the CPU (a64_callbacks' board half). */
struct a64_board_ops {
	void (*timer_changed)(void *opaque, struct a64_cpu *c);
	bool (*firmware_call)(void *opaque, struct a64_cpu *c, bool smc, u16 imm);
	void *opaque;
};

struct encore_engine *a64_engine__create(struct encore_machine *m, struct encore_vcpu *v);
void a64_engine__set_board(struct encore_engine *e, const struct a64_board_ops *ops);
/* The CPU an A64 engine runs (for the board: timers, PSCI). */
struct a64_cpu *a64_engine__cpu(struct encore_engine *e);
/* PSCI: a powered-off vCPU runs nothing until it is powered on at
 * `entry` (EL1h, MMU off, interrupts masked, x0 = context). */
bool a64_engine__powered_off(struct encore_engine *e);
void a64_engine__power_off(struct encore_engine *e);
void a64_engine__power_on(struct encore_engine *e, u64 entry, u64 context);

#endif
