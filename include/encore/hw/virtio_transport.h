/*
 * virtio devices apart from their transport (virtio spec 1.2, "Basic
 * Facilities of a Virtio Device"): what a device type (block, network)
 * supplies, what it asks of the transport that carries it, and where it
 * goes: a function on a PCI host bridge (encore/hw/virtio_pci.h) or a
 * slot of virtio-mmio registers (encore/hw/virtio_mmio.h).  A device type
 * includes this header, not a transport's, and never knows which one
 * carries it.
 */
#ifndef ENCORE_HW_VIRTIO_TRANSPORT_H
#define ENCORE_HW_VIRTIO_TRANSPORT_H

#include "encore/hw.h"
#include "encore/hw/virtqueue.h"

/* The most queues a device may have. */
#define VIRTIO_MAX_QUEUES 4

/* Feature bits the transports offer themselves. */
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
	u64 features;          /* device-specific feature bits offered */
	unsigned nqueues;      /* at most VIRTIO_MAX_QUEUES */
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

/* What a device asks of its transport. */
struct virtio_transport_ops {
	/* Queue k when the driver has enabled it and the device may use it
	 * (the driver is ready, the device is not in its error state, the
	 * transport lets it reach memory), else NULL. */
	struct virtq *(*queue)(void *opaque, unsigned k);
	/* Requests were returned on queue k since its used index was
	 * old_used: interrupt the driver if it wants one. */
	void (*queue_done)(void *opaque, unsigned k, u16 old_used);
	/* Queue k broke (q->error says why): the device enters its error
	 * state (DEVICE_NEEDS_RESET, a configuration interrupt, one line on
	 * stderr) and takes no more requests until the driver resets it. */
	void (*queue_broken)(void *opaque, unsigned k);
	/* The features the driver accepted. */
	u64 (*features)(void *opaque);
};

/* A device's handle on its transport, filled in by virtio__attach. */
struct virtio_transport {
	const struct virtio_transport_ops *ops;
	void *opaque;
	struct encore_machine *m;  /* whose RAM the queues are in */
};

static inline struct virtq *virtio__queue(const struct virtio_transport *t, unsigned k)
{
	return t->ops->queue(t->opaque, k);
}

static inline void virtio__queue_done(const struct virtio_transport *t, unsigned k, u16 old_used)
{
	t->ops->queue_done(t->opaque, k, old_used);
}

static inline void virtio__queue_broken(const struct virtio_transport *t, unsigned k)
{
	t->ops->queue_broken(t->opaque, k);
}

static inline u64 virtio__features(const struct virtio_transport *t)
{
	return t->ops->features(t->opaque);
}

/* Where a device goes. */
enum virtio_bus { VIRTIO_BUS_PCI = 1, VIRTIO_BUS_MMIO = 2 };

struct pci_host;

struct virtio_slot {
	enum virtio_bus bus;
	struct pci_host *pci;  /* PCI: the host bridge it becomes a function of */
	u64 base;              /* MMIO: where its VIRTIO_MMIO_SLOT_SIZE bytes of registers are */
	unsigned irq;          /* MMIO: the interrupt line it drives (machine__set_irq) */
};

static inline struct virtio_slot virtio_slot__pci(struct pci_host *h)
{
	return (struct virtio_slot){ .bus = VIRTIO_BUS_PCI, .pci = h };
}

static inline struct virtio_slot virtio_slot__mmio(u64 base, unsigned irq)
{
	return (struct virtio_slot){ .bus = VIRTIO_BUS_MMIO, .base = base, .irq = irq };
}

/*
 * Put device `d` at `at` and register its transport state as part
 * d->name; fill *t with the device's handle on it.  0, or -1 when it
 * cannot be placed (a full bus, a device the transport cannot carry).
 * The machine owns the transport, and the transport owns d->opaque from
 * this call on: it calls d->destroy when the machine goes, or at once if
 * the device was never registered.
 */
int virtio__attach(struct encore_machine *m, struct virtio_slot at, const struct virtio_device *d,
		   struct virtio_transport *t);

#endif
