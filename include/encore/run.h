/* Running a machine to completion and describing how it ended. */
#ifndef ENCORE_RUN_H
#define ENCORE_RUN_H

#include "encore/machine.h"

enum run_outcome {
	RUN_STOPPED,       /* a device or the front end ended the run with a status */
	RUN_LIMIT,         /* --max-insns reached */
	RUN_TRIPLE_FAULT,
	RUN_POWERED_OFF,   /* HLT with interrupts disabled: how Linux powers off
			    * a PC without ACPI, and how bare-metal guests stop */
	RUN_HALTED_FOREVER,/* HLT with interrupts enabled but nothing to wake it */
	RUN_RESET,         /* the guest asked for a system reset */
	RUN_ERROR,         /* the engine could not continue */
};

struct run_result {
	enum run_outcome outcome;
	int status;
	u64 insns;
	u64 pc;		/* of `vcpu`, the one that ran last (and ended the run, if one
			 * did): its program counter (RIP on x86) */
	unsigned vcpu;
	char message[256];
};

/*
 * Host input for the guest, offered between engine slices.  poll runs at
 * every return from the engine (it may feed devices or stop the machine);
 * wait runs when the guest is idle with no timer armed and returns false
 * if no input can ever come.  idle (optional) runs when the guest halts
 * with its next timer `ns` of virtual time away and returns how much of
 * that to skip now: all of it by default, so an idle guest costs nothing;
 * an interactive front end may wait in real time for input instead.
 * next_stop (optional) names an instruction count the engine must stop
 * at, so that poll runs there (a recorded event's landmark).  slice: the
 * loop also polls at every multiple of it.
 */
struct run_input {
	void (*poll)(void *opaque);
	bool (*wait)(void *opaque);
	u64 (*idle)(void *opaque, u64 ns);
	u64 (*next_stop)(void *opaque);
	void *opaque;
	u64 slice;
};

/* "powered-off", "limit", ...: the names recordings and reports use. */
const char *run_outcome__name(enum run_outcome o);

/* Run until the guest stops, fails, or max_insns (0 = no limit) retire.
 * `in` may be NULL (no host input). */
void machine__run(struct encore_machine *m, u64 max_insns, const struct run_input *in,
		  struct run_result *r);

#endif
