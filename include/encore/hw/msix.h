/*
 * MSI-X for a PCI function (PCI Local Bus spec 3.0, 6.8.2): the
 * capability in its configuration space, the vector table and the
 * pending-bit array in its BARs, and signalling a vector.
 *
 * A masked vector (its entry's mask bit, or the function mask) is
 * remembered as pending and sent when it is unmasked, so no interrupt is
 * lost across a driver reprogramming its table.
 */
#ifndef ENCORE_HW_MSIX_H
#define ENCORE_HW_MSIX_H

#include "encore/hw/pci.h"

#define MSIX_MAX_VECTORS 8
#define MSIX_ENTRY_SIZE 16
#define MSIX_CAP_SIZE 12
#define MSIX_NO_VECTOR 0xffff  /* what a device's vector register holds for none */

/* Everything the guest can observe besides the capability (plain bytes). */
struct msix_state {
	u8 table[MSIX_MAX_VECTORS][MSIX_ENTRY_SIZE];
	u64 pending;
};

struct msix {
	struct msix_state *s;    /* in the device's saved state */
	u8 *config;              /* the function's live configuration space */
	u8 cap;                  /* where the capability is */
	unsigned nvectors;
	struct pci_host *host;
};

/* Write the capability at `at` (next: the next capability's offset, or
 * 0) into f's reset configuration, with its table and pending bits at
 * the given BARs and offsets (8-byte aligned). */
void msix__add_capability(struct pci_function *f, u8 at, u8 next, unsigned nvectors,
			  unsigned table_bar, u32 table_off, unsigned pba_bar, u32 pba_off);
/* Reset state: every entry masked, nothing pending. */
void msix__reset(struct msix *x);
/* Accesses to the table and to the pending bits (offsets within each). */
void msix__table_access(struct msix *x, u64 off, u8 *data, unsigned len, bool is_write);
void msix__pba_access(struct msix *x, u64 off, u8 *data, unsigned len, bool is_write);
/* The guest wrote the function's configuration: send what it unmasked. */
void msix__config_written(struct msix *x);
/* Is MSI-X on (the capability's enable bit)? */
bool msix__enabled(const struct msix *x);
/* Signal `vector` (MSIX_NO_VECTOR or one past the table: nothing). */
void msix__notify(struct msix *x, unsigned vector);

#endif
