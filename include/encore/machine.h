/*
 * The machine: guest RAM, the port-I/O and MMIO buses, virtual time, and
 * the engine that runs the CPU.  Devices register address ranges on a bus
 * and never see the engine.
 */
#ifndef ENCORE_MACHINE_H
#define ENCORE_MACHINE_H

#include <stdio.h>

#include "encore/engine.h"

/* One handler signature for port I/O and MMIO (kvmtool's shape). */
typedef void (*bus_handler_fn)(void *opaque, u64 addr, u8 *data, unsigned len, bool is_write);

struct bus_range {
	u64 base, len;
	bus_handler_fn handler;
	void *opaque;
	const char *name;
};

#define BUS_MAX_RANGES 64

struct bus {
	struct bus_range ranges[BUS_MAX_RANGES];
	unsigned count;
};

int bus__register(struct bus *b, u64 base, u64 len, bus_handler_fn fn, void *opaque,
		  const char *name);
/* Dispatch an access; unclaimed reads return all-ones, writes are dropped. */
void bus__access(struct bus *b, u64 addr, u8 *data, unsigned len, bool is_write);

/* Guest physical memory: RAM below the PCI hole, the rest above 4 GiB. */
#define MACHINE_LOW_RAM_MAX 0xc0000000ull
#define MACHINE_HIGH_RAM_BASE 0x100000000ull

/* The board routes interrupt lines (to the 8259 pair). */
struct irq_router {
	void (*set_irq)(void *opaque, unsigned line, bool level);
	void *opaque;
};

/*
 * What the CPU asks at an instruction boundary (the local APIC on a PC).
 * has_interrupt: a maskable interrupt is ready for the CPU (priority
 * rules already applied); acknowledge: the INTA cycle, returning the
 * vector or -1 if the request went away.
 */
struct intc {
	bool (*has_interrupt)(void *opaque);
	int (*acknowledge)(void *opaque);
	void *opaque;
};

#define MACHINE_MAX_TIMERS 16
#define MACHINE_MAX_DEVICES 32

struct vtimer;
struct device;

struct encore_machine {
	u8 *ram;          /* host mapping of all guest RAM, low then high */
	u64 ram_size;
	u64 low_ram_size; /* RAM at [0, low_ram_size) */
	u64 high_ram_size;/* RAM at [4 GiB, 4 GiB + high_ram_size) */
	struct bus pio, mmio;
	struct encore_engine *engine;
	FILE *console_out;
	bool stopped;     /* a device ended the run */
	int exit_status;  /* status requested by the device that ended it */
	u64 idle_ns;      /* virtual time skipped while the CPU was halted;
			   * with no engine (unit tests) it is all of time */
	bool reset_requested;  /* the guest asked for a system reset */
	bool irq_changed;      /* re-evaluate interrupts at the next boundary */
	struct vtimer *timers[MACHINE_MAX_TIMERS];
	unsigned ntimers;
	struct device *devices[MACHINE_MAX_DEVICES];
	unsigned ndevices;
	struct irq_router irq;  /* where interrupt lines go (the board sets it) */
	struct intc intc;       /* what the CPU asks for interrupts */
};

struct encore_machine *machine__create(u64 ram_size);
void machine__destroy(struct encore_machine *m);

/* Host pointer for guest physical `paddr`, or NULL if no RAM is there. */
static inline u8 *machine__ram_ptr(struct encore_machine *m, u64 paddr)
{
	if (paddr < m->low_ram_size)
		return m->ram + paddr;
	if (paddr >= MACHINE_HIGH_RAM_BASE && paddr - MACHINE_HIGH_RAM_BASE < m->high_ram_size)
		return m->ram + m->low_ram_size + (paddr - MACHINE_HIGH_RAM_BASE);
	return NULL;
}

/* Ask the engine to return so the machine can act (interrupt, stop). */
void machine__kick(struct encore_machine *m);
/* A device ends the run with `status` as encore's exit status. */
void machine__request_stop(struct encore_machine *m, int status);

#endif
