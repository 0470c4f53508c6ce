/*
 * What the virtio transports share (virtio spec 1.2, "Basic Facilities of
 * a Virtio Device" and "General Initialization And Device Operation"):
 * the device status and its rules (0 resets, FEATURES_OK refused without
 * VERSION_1 or with a feature not offered, NEEDS_RESET kept until a
 * reset), the features offered and accepted through 32-bit windows, the
 * queue layout registers and when they may change, setting a queue up,
 * the error state, and the interrupt reasons.  The PCI and MMIO
 * transports map their registers onto these; device types never see
 * this header (they see encore/hw/virtio_transport.h).
 */
#ifndef ENCORE_HW_VIRTIO_CORE_H
#define ENCORE_HW_VIRTIO_CORE_H

#include "encore/hw/virtio_transport.h"

/* Why the device interrupted: PCI's ISR status, MMIO's InterruptStatus. */
#define VIRTIO_ISR_QUEUE 1u
#define VIRTIO_ISR_CONFIG 2u

struct virtio_queue_state {
	struct virtq q;        /* set up when the driver enables the queue */
	u64 desc, driver, device;
	u16 size;
	u16 vector;            /* PCI: its MSI-X vector; MMIO: unused (0) */
	u16 enabled;
	u16 reserved;          /* keeps the layout free of padding */
};

/* What every transport keeps of the device (no pointers): the first
 * part of each transport's saved state. */
struct virtio_core_state {
	u32 device_feature_select, driver_feature_select;
	u64 driver_features;
	u16 config_vector;     /* PCI: the MSI-X vector of configuration changes; MMIO: 0 */
	u16 queue_select;
	u8 status;
	u8 config_generation;
	u8 isr;                /* VIRTIO_ISR_*, until the driver takes them */
	u8 reserved;
	struct virtio_queue_state queues[VIRTIO_MAX_QUEUES];
};

/* A transport's live view of its device. */
struct virtio_core {
	struct virtio_core_state *s;   /* in the transport's saved state */
	struct virtio_device d;
	struct encore_machine *m;
	/* The transport's part of a device reset, after the core's and
	 * before the device type's (optional). */
	void (*reset)(void *transport);
	void *transport;
};

/* Everything offered: the device type's features and the transport's. */
u64 virtio_core__offered(const struct virtio_core *c);

/* The 32 bits of the offered or the accepted features that the
 * corresponding select register picks (0 past bit 63). */
u32 virtio_core__device_features(const struct virtio_core *c);
u32 virtio_core__driver_features(const struct virtio_core *c);
/* The driver accepts 32 bits of features at its select; ignored once
 * FEATURES_OK is set. */
void virtio_core__write_driver_features(struct virtio_core *c, u32 v);

/* An access to the device configuration at `off`: the device type's,
 * within its configuration size; beyond it reads 0 and writes nothing. */
void virtio_core__config_access(struct virtio_core *c, u64 off, u8 *data, unsigned len,
				bool is_write);

/* The driver writes the device status: 0 resets the device. */
void virtio_core__write_status(struct virtio_core *c, u8 v);
/* Reset: everything 0 but each queue's size (the largest), then the
 * transport's and the device type's resets. */
void virtio_core__reset(struct virtio_core *c);

/* The queue QueueSel / queue_select picks, or NULL past the device's. */
struct virtio_queue_state *virtio_core__selected(struct virtio_core *c);
/* The same, when the driver may still change its layout (not enabled);
 * NULL otherwise. */
struct virtio_queue_state *virtio_core__layout(struct virtio_core *c);
/* Sets the selected queue's size: a power of 2 up to the device's
 * largest, else ignored (the queue keeps its size). */
void virtio_core__write_queue_size(struct virtio_core *c, u32 size);
/* Enables queue k with the layout the driver gave: 0, or -1 when its
 * layout is unusable (q->error says why) and the transport must call
 * its queue_broken. */
int virtio_core__enable_queue(struct virtio_core *c, unsigned k);

/* Queue k if the driver is ready and the device may use it (enabled,
 * not broken, the device not in its error state), else NULL; the
 * transport adds its own conditions. */
struct virtq *virtio_core__queue(struct virtio_core *c, unsigned k);
/* Queue k returned requests since old_used: true (and VIRTIO_ISR_QUEUE
 * set) when the driver wants an interrupt, which the transport sends. */
bool virtio_core__queue_done(struct virtio_core *c, unsigned k, u16 old_used);
/* Queue k broke: true when the device enters its error state now
 * (DEVICE_NEEDS_RESET and VIRTIO_ISR_CONFIG set, one line on stderr);
 * the transport then sends the configuration interrupt. */
bool virtio_core__queue_broken(struct virtio_core *c, unsigned k);

#endif
