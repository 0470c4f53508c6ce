/*
 * The virtio-mmio transport (virtio spec 1.2, "Virtio Over MMIO"), the
 * modern interface only (Version 2): one device per slot of
 * VIRTIO_MMIO_SLOT_SIZE bytes, as QEMU's Arm `virt` board lays them out
 * and a device tree describes them ("virtio,mmio", reg, interrupts).  The
 * rules every transport shares (status, features, queue set-up, the error
 * state) are in encore/hw/virtio_core.h.  What this model does and why:
 *
 * - Identification: MagicValue "virt", Version 2, DeviceID the device
 *   type, VendorID QEMU's ("QEMU", 0x554d4551), so that the slots look
 *   to a guest as they do on QEMU's virt board.
 * - Registers below 0x100 take aligned 32-bit accesses only (the spec's
 *   driver requirement; Linux uses readl/writel); any other access there
 *   reads 0 and writes nothing, as do the write-only registers when read
 *   and the reserved offsets.  The device configuration from 0x100 takes
 *   any width within its size.
 * - Features: the device type's, VERSION_1 (which a driver must accept:
 *   FEATURES_OK is refused without it, there is no legacy interface),
 *   INDIRECT_DESC and EVENT_IDX.  No notification data, no queue reset
 *   (QueueReset reads 0), no shared memory regions (SHMLen and SHMBase
 *   read all ones, the spec's "no such region").
 * - Queues: QueueNumMax is the device's largest size (0 past its
 *   queues); QueueNum takes a power of 2 up to it (others are ignored);
 *   the layout registers are fixed while QueueReady is 1.  QueueReady 0
 *   stops the queue (Linux writes it when it deletes one); its layout may
 *   change then and the next 1 sets it up afresh.  QueueNotify's value is
 *   the queue's index.
 * - Interrupts: InterruptStatus bit 0 (used buffers) and bit 1
 *   (configuration change) drive one level-triggered line, high while
 *   either is set, until InterruptACK clears them or a reset does.  The
 *   devices' configurations never change while they run, so
 *   ConfigGeneration stays 0; the configuration interrupt means the error
 *   state.
 * - A guest that breaks a queue puts the device into its error state, as
 *   on PCI: DEVICE_NEEDS_RESET, the configuration interrupt, one line on
 *   stderr, and no more requests until the driver writes Status 0.
 */
#ifndef ENCORE_HW_VIRTIO_MMIO_H
#define ENCORE_HW_VIRTIO_MMIO_H

#include "encore/hw/virtio_core.h"

#define VIRTIO_MMIO_SLOT_SIZE 0x200u
#define VIRTIO_MMIO_MAGIC 0x74726976u  /* "virt" */
#define VIRTIO_MMIO_VERSION 2u
#define VIRTIO_MMIO_VENDOR 0x554d4551u /* "QEMU" */

/* Everything the guest can observe of the transport (no pointers): the
 * interrupt line's level is InterruptStatus != 0. */
struct virtio_mmio_state {
	struct virtio_core_state core;
};

#define VIRTIO_MMIO_STATE_VERSION 1u

/*
 * Add device `d` in the slot at `base`, driving interrupt line `irq`, and
 * register its transport state as part d->name; fill *t (virtio__attach,
 * whose ownership rules apply).  0, or -1 when the bus is full or the
 * device has more queues or configuration than a slot carries.
 */
int virtio_mmio__create(struct encore_machine *m, u64 base, unsigned irq,
			const struct virtio_device *d, struct virtio_transport *t);

#endif
