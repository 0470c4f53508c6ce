/*
 * What devices see of the machine besides the buses: virtual time and
 * timers, interrupt lines, the CPU's interrupt controller, and the device
 * registry that checkpoints will walk.
 *
 * Virtual time is in nanoseconds and comes from the engine: on the
 * interpreter it is the retired-instruction count plus the time skipped
 * while the CPU was halted, so every timer fires at the same instruction
 * in every run.
 */
#ifndef ENCORE_HW_H
#define ENCORE_HW_H

#include "encore/machine.h"

/* ---- virtual time and timers ---- */

#define VTIMER_OFF UINT64_MAX

/*
 * A timer owned by a device.  Its deadline lives in the device's plain
 * state struct (`deadline` points there), so a checkpoint saves it with
 * the rest and a restore re-arms it by writing the state back.  `fire`
 * runs outside the engine, at the first instruction boundary at or after
 * the deadline, with the timer already disarmed.
 */
struct vtimer {
	u64 *deadline;
	void (*fire)(void *opaque, u64 now);
	void *opaque;
	const char *name;
};

/* Current virtual time in ns (valid inside I/O handlers too). */
u64 machine__now(struct encore_machine *m);
/* Register a timer once, at device creation; `deadline` is its slot in
 * the device's state, set to VTIMER_OFF (disarmed). */
int machine__timer_add(struct encore_machine *m, struct vtimer *t, const char *name,
		       void (*fire)(void *opaque, u64 now), void *opaque, u64 *deadline);
/* Arm for an absolute virtual time (a deadline in the past fires at once);
 * VTIMER_OFF disarms, so a restored deadline can be passed as it is. */
void machine__timer_arm(struct encore_machine *m, struct vtimer *t, u64 deadline);
void machine__timer_disarm(struct encore_machine *m, struct vtimer *t);
/* Earliest armed deadline, or VTIMER_OFF. */
u64 machine__next_deadline(struct encore_machine *m);
/* Fire every timer whose deadline is <= now; returns how many fired. */
unsigned machine__fire_timers(struct encore_machine *m);

/* ---- interrupt lines and the CPU's interrupt controller ---- */

/* Drive ISA interrupt line `line` (0..15) to `level`.  Edge-triggered
 * sources pulse it: set_irq(1) then set_irq(0). */
void machine__set_irq(struct encore_machine *m, unsigned line, bool level);

/* The board fills machine->irq (line routing) and machine->intc (the
 * CPU's interrupt controller); see encore/machine.h. */

/* A device's interrupt output changed: the machine re-evaluates at the
 * next instruction boundary (kicks the engine if it is running). */
void machine__interrupt_changed(struct encore_machine *m);

/* ---- the device registry ---- */

/*
 * Every device registers one of these.  `state` points at a plain struct
 * (no pointers) holding everything the guest can observe, timer deadlines
 * included; a checkpoint saves those bytes and a restore writes them back
 * and then calls `restored` (if set) to re-drive interrupt lines (the
 * timers' deadlines are in the state already).  `destroy` NULL means the machine just frees `dev`.
 */
struct device {
	const char *name;
	void *state;
	u32 state_size;
	/* The layout version of `state`: bump it whenever the struct
	 * changes, so that a checkpoint of another layout is refused (or
	 * migrated) instead of restored wrongly. */
	u32 version;
	void (*restored)(void *dev);
	void (*destroy)(void *dev);
	void *dev;
};

int machine__add_device(struct encore_machine *m, const struct device *d);
/* The registered device called `name`, or NULL. */
struct device *machine__find_device(struct encore_machine *m, const char *name);
/* Write saved state bytes back into `d` and let it re-drive its lines. */
void device__restore(struct device *d, const void *state);

/* ---- run control a device can request ---- */

/* The guest asked for a system reset (i8042 pulse, port 0xcf9). */
void machine__request_reset(struct encore_machine *m);
/* The guest powered the machine off (ACPI S5): the run ends "powered-off". */
void machine__request_poweroff(struct encore_machine *m);

#endif
