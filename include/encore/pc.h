/*
 * The PC board: the legacy devices Linux expects on a PC without ACPI
 * (8259 pair, 8254, 16550 COM1, CMOS RTC, i8042, PCI host bridge) and the
 * boot CPU's local APIC in virtual-wire mode, wired together.
 */
#ifndef ENCORE_PC_H
#define ENCORE_PC_H

#include "encore/machine.h"

struct pc_config {
	/* Where COM1's transmitted bytes go. */
	void (*console_tx)(void *opaque, u8 byte);
	void *console_opaque;
	i64 rtc_epoch; /* wall-clock seconds at boot */
};

struct pc {
	struct pic8259 *pic;
	struct pit8254 *pit;
	struct uart16550 *com1;
	struct rtc_cmos *rtc;
	struct i8042 *kbc;
	struct pci_host *pci;
	struct lapic *lapic;
};

/* Create and wire every device (the machine owns and destroys them). */
int pc__create(struct encore_machine *m, const struct pc_config *cfg, struct pc *pc);

#endif
