/*
 * The virtio 1.x PCI transport, modern interface (virtio spec 1.2,
 * "Virtio Over PCI Bus"): a PCI function with the common, notification,
 * ISR, device and PCI-access configuration capabilities, and MSI-X.  The
 * rules every transport shares (status, features, queue set-up, the
 * error state) are in encore/hw/virtio_core.h; device types reach it
 * through encore/hw/virtio_transport.h.
 *
 * Interrupts are MSI-X only: the function has no INTx pin (Linux's
 * virtio_pci uses MSI-X whenever the platform has it, as every PC with
 * local APICs does).
 */
#ifndef ENCORE_HW_VIRTIO_PCI_H
#define ENCORE_HW_VIRTIO_PCI_H

#include "encore/hw/msix.h"
#include "encore/hw/virtio_core.h"

/* Everything the guest can observe of the transport (no pointers). */
struct virtio_pci_state {
	struct virtio_core_state core;
	struct msix_state msix;
};

#define VIRTIO_PCI_STATE_VERSION 1u

/*
 * Add device `d` on the host bridge `h` (one function) and register its
 * transport state as part d->name; fill *t (virtio__attach, whose
 * ownership rules apply).  0, or -1 when the bus is full or the device
 * has more queues or configuration than the function can carry.
 */
int virtio_pci__create(struct encore_machine *m, struct pci_host *h,
		       const struct virtio_device *d, struct virtio_transport *t);

#endif
