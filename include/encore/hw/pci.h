/*
 * A PCI function on the host bridge's bus 0 (encore/hw/pci_host.h): its
 * configuration space as the guest sees it, the memory regions its BARs
 * decode, and its message-signalled interrupts.
 *
 * A device describes its function once: the reset contents of its
 * configuration space, which bits software may write, the size and
 * handler of each memory BAR, and hooks around configuration accesses.
 * The live configuration bytes belong to the host bridge's saved state,
 * so a checkpoint holds them with the rest of the bus.
 */
#ifndef ENCORE_HW_PCI_H
#define ENCORE_HW_PCI_H

#include "encore/hw.h"
#include "encore/hw/apic_msg.h"

/* Configuration space registers (PCI Local Bus spec 3.0, 6.1). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_COMMAND_MEMORY 0x02  /* decode the memory BARs */
#define PCI_COMMAND_MASTER 0x04  /* may read and write memory (DMA, MSI) */
#define PCI_STATUS_CAP_LIST 0x10

#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11

#define PCI_NUM_BARS 6
#define PCI_BAR_MIN_SIZE 16u

/* A 32-bit, non-prefetchable memory BAR. */
struct pci_bar {
	u32 size;                /* a power of 2 >= PCI_BAR_MIN_SIZE; 0: unused */
	bus_handler_fn handler;  /* gets offsets within the BAR */
	void *opaque;
};

struct pci_function {
	const char *name;
	/* Reset contents and per-bit write masks.  BAR bytes are filled in
	 * by the host bridge (where the firmware placed them, and which
	 * bits their sizes let software write). */
	u8 config[256];
	u8 writable[256];
	struct pci_bar bars[PCI_NUM_BARS];
	/* Optional: before the guest reads configuration bytes
	 * [off, off + len) (to refresh a live register), and after it
	 * wrote them. */
	void (*config_read)(void *opaque, unsigned off, unsigned len);
	void (*config_written)(void *opaque, unsigned off, unsigned len);
	void *opaque;
};

struct pci_host;

/*
 * Add `f` at the next free device number of bus 0, its BARs placed in
 * the PCI memory window and memory decoding on, as firmware leaves a
 * function before boot.  Returns its live configuration space (256
 * bytes, saved with the host bridge), or NULL when the bus is full.
 */
u8 *pci_host__add(struct pci_host *h, const struct pci_function *f);

/* Where the function's MSI and MSI-X messages go (the board's APICs). */
void pci_host__set_msi_sink(struct pci_host *h, const struct apic_sink *sink);

/*
 * A function with bus mastering on signals a message: a 32-bit write of
 * `data` to `addr`.  Writes to the interrupt range 0xfeexxxxx become
 * APIC messages (SDM vol. 3, "Message Signalled Interrupts"); writes to
 * RAM land there; writes elsewhere are dropped.
 */
void pci_host__msi(struct pci_host *h, u64 addr, u32 data);

#endif
