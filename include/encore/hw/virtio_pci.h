/*
 * The virtio 1.x PCI transport, modern interface (virtio spec 1.2,
 * "Virtio Over PCI Bus"): a PCI function with the common, notification,
 * ISR, device and PCI-access configuration capabilities, feature
 * negotiation, the device status, split virtqueues and MSI-X.  A device
 * type (block, network) supplies its configuration space and what to do
 * when the driver notifies a queue; the transport does the rest.
 *
 * Interrupts are MSI-X only: the function has no INTx pin (Linux's
 * virtio_pci uses MSI-X whenever the platform has it, as every PC with
 * local APICs does).
 *
 * A guest that breaks a queue (a descriptor outside RAM, a loop) puts
 * the device into its error state: DEVICE_NEEDS_RESET, a configuration
 * interrupt, one line on stderr, and no more requests until the driver
 * resets the device.
 */
#ifndef ENCORE_HW_VIRTIO_PCI_H
#define ENCORE_HW_VIRTIO_PCI_H

#include "encore/hw/msix.h"
#include "encore/hw/virtqueue.h"

#define VIRTIO_PCI_MAX_QUEUES 4

/* Feature bits the transport offers itself. */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* Device types (virtio spec, "Device Types"). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2

/* What a device type supplies. */
struct virtio_device {
	const char *name;      /* its saved-state part and messages ("vda") */
	u16 type;              /* VIRTIO_ID_* */
	u32 pci_class;         /* class, subclass, programming interface */
	u64 features;          /* device-specific feature bits offered */
	unsigned nqueues;
	u16 queue_size;        /* the largest each queue may be */
	unsigned config_size;  /* bytes of device configuration */
	/* Device configuration accesses, within config_size. */
	void (*config_access)(void *opaque, unsigned off, u8 *data, unsigned len, bool is_write);
	/* The driver made buffers available on queue k (it is enabled and
	 * the driver is ready). */
	void (*notify)(void *opaque, unsigned k);
	/* The driver reset the device (status 0). */
	void (*reset)(void *opaque);
	/* The machine is going away (optional): free what opaque holds. */
	void (*destroy)(void *opaque);
	void *opaque;
};

struct virtio_pci_queue {
	struct virtq q;        /* set up when the driver enables the queue */
	u64 desc, driver, device;
	u16 size;
	u16 msix_vector;
	u16 enabled;
	u16 reserved;          /* keeps the layout free of padding */
};

/* Everything the guest can observe of the transport (no pointers). */
struct virtio_pci_state {
	u32 device_feature_select, driver_feature_select;
	u64 driver_features;
	u16 msix_config;
	u16 queue_select;
	u8 status;
	u8 config_generation;
	u8 isr;
	u8 reserved;
	struct virtio_pci_queue queues[VIRTIO_PCI_MAX_QUEUES];
	struct msix_state msix;
};

#define VIRTIO_PCI_STATE_VERSION 1u

struct virtio_pci;

/*
 * Add device `d` on the host bridge `h` (one function) and register its
 * transport state as part d->name.  NULL when the bus is full.  The
 * machine owns and destroys it, and it owns d->opaque from this call on
 * (calling d->destroy when it goes, or at once if it cannot be made).
 */
struct virtio_pci *virtio_pci__create(struct encore_machine *m, struct pci_host *h,
				      const struct virtio_device *d);

/* Queue k when the driver has enabled it and the device may use it (the
 * driver is ready, bus mastering is on, the device is not in error),
 * else NULL. */
struct virtq *virtio_pci__queue(struct virtio_pci *vp, unsigned k);
/* Requests were returned on queue k since its used index was old_used:
 * interrupt the driver if it wants one. */
void virtio_pci__queue_done(struct virtio_pci *vp, unsigned k, u16 old_used);
/* Queue k broke (q->error says why): the device enters its error state. */
void virtio_pci__queue_broken(struct virtio_pci *vp, unsigned k);
/* The features the driver accepted. */
u64 virtio_pci__features(const struct virtio_pci *vp);
struct encore_machine *virtio_pci__machine(struct virtio_pci *vp);

#endif
