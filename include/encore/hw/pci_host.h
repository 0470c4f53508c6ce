/*
 * The PCI host: configuration mechanism #1 on ports 0xcf8-0xcff, bus 0
 * with the Intel 440FX host bridge at 00:00.0 and the functions devices
 * add (encore/hw/pci.h), the PCI memory window from the end of low RAM
 * to the I/O APIC, and the reset control register at port 0xcf9 (byte
 * accesses only).
 */
#ifndef ENCORE_HW_PCI_HOST_H
#define ENCORE_HW_PCI_HOST_H

#include "encore/hw.h"

#define PCI_CONFIG_ADDRESS_PORT 0xcf8
#define PCI_CONFIG_DATA_PORT 0xcfc
#define PCI_RESET_CONTROL_PORT 0xcf9

#define PCI_CONFIG_ENABLE (1u << 31)
#define PCI_CONFIG_SPACE_SIZE 256
/* Functions on bus 0 the state has room for: the bridge and 7 devices. */
#define PCI_HOST_MAX_FUNCTIONS 8
/* Where firmware places BARs: the top of the window, below the I/O APIC. */
#define PCI_HOST_BAR_BASE 0xfe000000u

/* Everything the guest can observe (no pointers). */
struct pci_host_state {
	u32 address;       /* the CONFIG_ADDRESS register at 0xcf8 */
	u8 reset_control;  /* port 0xcf9: the reset type bits last written */
	u8 reserved[3];    /* keeps the layout free of compiler padding */
	u8 config[PCI_HOST_MAX_FUNCTIONS][PCI_CONFIG_SPACE_SIZE]; /* in the order added */
};

struct pci_host;

/* Claim ports 0xcf8-0xcff and register as a device, in the reset state. */
struct pci_host *pci_host__create(struct encore_machine *m);

#endif
