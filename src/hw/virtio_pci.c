/* The virtio 1.x PCI transport, modern interface (encore/hw/virtio_pci.h). */
#include <stdlib.h>
#include <string.h>

#include "encore/hw/virtio_pci.h"
#include "encore/le_bytes.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040 /* + the device type: a modern-only device */
#define VIRTIO_PCI_SUBSYSTEM 0x1100

/* BAR 0: the four virtio structures; BAR 1: the MSI-X table and pending bits. */
#define REGS_BAR 0
#define REGS_SIZE 0x4000u
#define COMMON_OFF 0x0000u
#define COMMON_SIZE 0x38u
#define ISR_OFF 0x1000u
#define DEVICE_OFF 0x2000u
#define NOTIFY_OFF 0x3000u
#define NOTIFY_MULTIPLIER 4u
#define REGION_SIZE 0x1000u
#define MSIX_BAR 1
#define MSIX_SIZE 0x1000u
#define MSIX_TABLE_OFF 0x000u
#define MSIX_PBA_OFF 0x800u

/* Capabilities in configuration space, one after another. */
#define CAP_MSIX 0x40
#define CAP_COMMON 0x4c
#define CAP_NOTIFY 0x5c
#define CAP_ISR 0x70
#define CAP_DEVICE 0x80
#define CAP_PCI_CFG 0x90
#define VIRTIO_CAP_SIZE 16
#define PCI_CFG_DATA (CAP_PCI_CFG + VIRTIO_CAP_SIZE)

/* virtio_pci_cap.cfg_type */
enum { CFG_COMMON = 1, CFG_NOTIFY = 2, CFG_ISR = 3, CFG_DEVICE = 4, CFG_PCI = 5 };

/* The common configuration structure's fields. */
enum {
	DEVICE_FEATURE_SELECT = 0x00, DEVICE_FEATURE = 0x04, DRIVER_FEATURE_SELECT = 0x08,
	DRIVER_FEATURE = 0x0c, MSIX_CONFIG = 0x10, NUM_QUEUES = 0x12, DEVICE_STATUS = 0x14,
	CONFIG_GENERATION = 0x15, QUEUE_SELECT = 0x16, QUEUE_SIZE = 0x18,
	QUEUE_MSIX_VECTOR = 0x1a, QUEUE_ENABLE = 0x1c, QUEUE_NOTIFY_OFF = 0x1e,
	QUEUE_DESC = 0x20, QUEUE_DRIVER = 0x28, QUEUE_DEVICE = 0x30,
};

/* PCI's class code of each device type (class, subclass, programming
 * interface), as QEMU's virtio-pci gives them. */
static u32 class_of(u16 type)
{
	switch (type) {
	case VIRTIO_ID_NET: return 0x020000;   /* Ethernet */
	case VIRTIO_ID_BLOCK: return 0x010000; /* SCSI storage */
	default: return 0xff0000;              /* unclassified */
	}
}

struct virtio_pci {
	struct virtio_pci_state s;
	struct virtio_core core;
	u8 *config;          /* the function's live configuration space */
	struct msix msix;
};

/* ---- what the device asks of its transport ---- */

static u64 features(void *opaque)
{
	struct virtio_pci *vp = opaque;
	return vp->s.core.driver_features;
}

static void queue_done(void *opaque, unsigned k, u16 old_used)
{
	struct virtio_pci *vp = opaque;
	if (virtio_core__queue_done(&vp->core, k, old_used))
		msix__notify(&vp->msix, vp->s.core.queues[k].vector);
}

static void queue_broken(void *opaque, unsigned k)
{
	struct virtio_pci *vp = opaque;
	if (virtio_core__queue_broken(&vp->core, k))
		msix__notify(&vp->msix, vp->s.core.config_vector);
}

/* The core's queue, when bus mastering lets the device reach memory. */
static struct virtq *queue(void *opaque, unsigned k)
{
	struct virtio_pci *vp = opaque;
	if (!(vp->config[PCI_COMMAND] & PCI_COMMAND_MASTER))
		return NULL;
	return virtio_core__queue(&vp->core, k);
}

static const struct virtio_transport_ops ops = { queue, queue_done, queue_broken, features };

/* ---- the common configuration structure ---- */

/* The core reset everything else: no vector is chosen. */
static void reset_vectors(void *opaque)
{
	struct virtio_core_state *s = &((struct virtio_pci *)opaque)->s.core;
	s->config_vector = MSIX_NO_VECTOR;
	for (unsigned k = 0; k < VIRTIO_MAX_QUEUES; k++)
		s->queues[k].vector = MSIX_NO_VECTOR;
}

/* The structure as the guest reads it now. */
static void common_image(struct virtio_pci *vp, u8 *c)
{
	const struct virtio_core_state *s = &vp->s.core;
	memset(c, 0, COMMON_SIZE);
	put32(c + DEVICE_FEATURE_SELECT, s->device_feature_select);
	put32(c + DEVICE_FEATURE, virtio_core__device_features(&vp->core));
	put32(c + DRIVER_FEATURE_SELECT, s->driver_feature_select);
	put32(c + DRIVER_FEATURE, virtio_core__driver_features(&vp->core));
	put16(c + MSIX_CONFIG, s->config_vector);
	put16(c + NUM_QUEUES, (u16)vp->core.d.nqueues);
	c[DEVICE_STATUS] = s->status;
	c[CONFIG_GENERATION] = s->config_generation;
	put16(c + QUEUE_SELECT, s->queue_select);
	const struct virtio_queue_state *vq = virtio_core__selected(&vp->core);
	if (!vq)
		return;
	put16(c + QUEUE_SIZE, vq->size);
	put16(c + QUEUE_MSIX_VECTOR, vq->vector);
	put16(c + QUEUE_ENABLE, vq->enabled);
	put16(c + QUEUE_NOTIFY_OFF, s->queue_select);
	put64(c + QUEUE_DESC, vq->desc);
	put64(c + QUEUE_DRIVER, vq->driver);
	put64(c + QUEUE_DEVICE, vq->device);
}

/* A vector register holds a vector of the table or none. */
static u16 vector_or_none(const struct virtio_pci *vp, u16 v)
{
	return v < vp->msix.nvectors ? v : MSIX_NO_VECTOR;
}

static void write_queue_field(struct virtio_pci *vp, unsigned field, const u8 *c)
{
	struct virtio_queue_state *vq = virtio_core__selected(&vp->core);
	if (vq && field == QUEUE_MSIX_VECTOR) {
		vq->vector = vector_or_none(vp, get16(c + field));
		return;
	}
	vq = virtio_core__layout(&vp->core);
	if (!vq)
		return;
	switch (field) {
	case QUEUE_SIZE: virtio_core__write_queue_size(&vp->core, get16(c + field)); break;
	case QUEUE_ENABLE: {
		unsigned k = (unsigned)(vq - vp->s.core.queues);
		if (get16(c + field) == 1 && virtio_core__enable_queue(&vp->core, k))
			queue_broken(vp, k);
		break;
	}
	case QUEUE_DESC: vq->desc = get64(c + field); break;
	case QUEUE_DRIVER: vq->driver = get64(c + field); break;
	case QUEUE_DEVICE: vq->device = get64(c + field); break;
	}
}

/* The field written: the guest's bytes are in c, over the old image. */
static void write_common_field(struct virtio_pci *vp, unsigned field, const u8 *c)
{
	struct virtio_core_state *s = &vp->s.core;
	switch (field) {
	case DEVICE_FEATURE_SELECT: s->device_feature_select = get32(c + field); break;
	case DRIVER_FEATURE_SELECT: s->driver_feature_select = get32(c + field); break;
	case DRIVER_FEATURE: virtio_core__write_driver_features(&vp->core, get32(c + field)); break;
	case MSIX_CONFIG: s->config_vector = vector_or_none(vp, get16(c + field)); break;
	case DEVICE_STATUS: virtio_core__write_status(&vp->core, c[field]); break;
	case QUEUE_SELECT: s->queue_select = get16(c + field); break;
	default: write_queue_field(vp, field, c); break;
	}
}

/* Fields in offset order, with their sizes; read-only ones included. */
static const u8 field_size[COMMON_SIZE] = {
	[DEVICE_FEATURE_SELECT] = 4, [DEVICE_FEATURE] = 4, [DRIVER_FEATURE_SELECT] = 4,
	[DRIVER_FEATURE] = 4, [MSIX_CONFIG] = 2, [NUM_QUEUES] = 2, [DEVICE_STATUS] = 1,
	[CONFIG_GENERATION] = 1, [QUEUE_SELECT] = 2, [QUEUE_SIZE] = 2, [QUEUE_MSIX_VECTOR] = 2,
	[QUEUE_ENABLE] = 2, [QUEUE_NOTIFY_OFF] = 2, [QUEUE_DESC] = 8, [QUEUE_DRIVER] = 8,
	[QUEUE_DEVICE] = 8,
};

/*
 * Any width at any offset: a read copies from the current image; a write
 * lays the guest's bytes over it and applies each field it touched, in
 * offset order (drivers write each field whole, as the spec asks).
 */
static void common_access(struct virtio_pci *vp, u64 off, u8 *data, unsigned len, bool is_write)
{
	u8 c[COMMON_SIZE];
	common_image(vp, c);
	for (unsigned i = 0; i < len; i++) {
		u64 at = off + i;
		if (!is_write)
			data[i] = at < COMMON_SIZE ? c[at] : 0;
		else if (at < COMMON_SIZE)
			c[at] = data[i];
	}
	if (!is_write)
		return;
	for (unsigned f = 0; f < COMMON_SIZE; f++)
		if (field_size[f] && f < off + len && off < f + field_size[f])
			write_common_field(vp, f, c);
}

/* ---- the other regions ---- */

static void isr_access(struct virtio_pci *vp, u64 off, u8 *data, unsigned len, bool is_write)
{
	if (is_write)
		return;
	memset(data, 0, len);
	if (off == 0) {
		data[0] = vp->s.core.isr; /* reading acknowledges */
		vp->s.core.isr = 0;
	}
}

/* Any write at queue k's notification address notifies queue k. */
static void notify_access(struct virtio_pci *vp, u64 off, u8 *data, unsigned len, bool is_write)
{
	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	unsigned k = (unsigned)(off / NOTIFY_MULTIPLIER);
	if (off % NOTIFY_MULTIPLIER == 0 && queue(vp, k))
		vp->core.d.notify(vp->core.d.opaque, k);
}

static void regs_bar(void *opaque, struct encore_vcpu *vcpu, u64 off, u8 *data, unsigned len,
		     bool is_write)
{
	(void)vcpu;
	struct virtio_pci *vp = opaque;
	u64 in = off % REGION_SIZE;
	switch (off / REGION_SIZE) {
	case COMMON_OFF / REGION_SIZE: common_access(vp, in, data, len, is_write); break;
	case ISR_OFF / REGION_SIZE: isr_access(vp, in, data, len, is_write); break;
	case DEVICE_OFF / REGION_SIZE:
		virtio_core__config_access(&vp->core, in, data, len, is_write);
		break;
	default: notify_access(vp, in, data, len, is_write); break;
	}
}

static void msix_bar(void *opaque, struct encore_vcpu *vcpu, u64 off, u8 *data, unsigned len,
		     bool is_write)
{
	(void)vcpu;
	struct virtio_pci *vp = opaque;
	if (off >= MSIX_PBA_OFF)
		msix__pba_access(&vp->msix, off - MSIX_PBA_OFF, data, len, is_write);
	else
		msix__table_access(&vp->msix, off - MSIX_TABLE_OFF, data, len, is_write);
}

/* ---- configuration space ---- */

/*
 * The PCI configuration access capability: a window through which
 * configuration cycles reach the BARs (bar, offset and length in the
 * capability, the data after it).
 */
static void pci_cfg_window(struct virtio_pci *vp, bool is_write)
{
	u8 *cap = vp->config + CAP_PCI_CFG;
	u8 bar = cap[4];
	u32 off = get32(cap + 8), len = get32(cap + 12);
	u8 *data = vp->config + PCI_CFG_DATA;
	if ((len != 1 && len != 2 && len != 4) || off % len)
		return;
	if (bar == REGS_BAR && off + len <= REGS_SIZE)
		regs_bar(vp, NULL, off, data, len, is_write);
	else if (bar == MSIX_BAR && off + len <= MSIX_SIZE)
		msix_bar(vp, NULL, off, data, len, is_write);
}

static bool touches_window(unsigned off, unsigned len)
{
	return off < PCI_CFG_DATA + 4 && PCI_CFG_DATA < off + len;
}

static void config_read(void *opaque, unsigned off, unsigned len)
{
	if (touches_window(off, len))
		pci_cfg_window(opaque, false);
}

static void config_written(void *opaque, unsigned off, unsigned len)
{
	struct virtio_pci *vp = opaque;
	if (touches_window(off, len))
		pci_cfg_window(vp, true);
	msix__config_written(&vp->msix);
}

static void virtio_cap(struct pci_function *f, u8 at, u8 next, u8 len, u8 type, u32 off,
		       u32 size)
{
	u8 *c = f->config + at;
	c[0] = PCI_CAP_ID_VNDR;
	c[1] = next;
	c[2] = len;
	c[3] = type;
	c[4] = REGS_BAR;
	put32(c + 8, off);
	put32(c + 12, size);
}

static void describe_function(struct virtio_pci *vp, struct pci_function *f)
{
	const struct virtio_device *d = &vp->core.d;
	u32 class = class_of(d->type);
	u8 *c = f->config;
	put16(c + PCI_VENDOR_ID, VIRTIO_PCI_VENDOR);
	put16(c + PCI_DEVICE_ID, (u16)(VIRTIO_PCI_DEVICE_BASE + d->type));
	put16(c + PCI_STATUS, PCI_STATUS_CAP_LIST);
	c[PCI_REVISION_ID] = 1; /* modern */
	c[PCI_CLASS_PROG] = (u8)class;
	c[PCI_CLASS_PROG + 1] = (u8)(class >> 8);
	c[PCI_CLASS_PROG + 2] = (u8)(class >> 16);
	put16(c + PCI_SUBSYSTEM_VENDOR_ID, VIRTIO_PCI_VENDOR);
	put16(c + PCI_SUBSYSTEM_ID, VIRTIO_PCI_SUBSYSTEM);
	c[PCI_CAPABILITY_LIST] = CAP_MSIX;
	f->writable[PCI_COMMAND] = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	f->writable[PCI_COMMAND + 1] = 0x04; /* INTx disable (there is no INTx) */
	msix__add_capability(f, CAP_MSIX, CAP_COMMON, vp->msix.nvectors, MSIX_BAR, MSIX_TABLE_OFF,
			     MSIX_BAR, MSIX_PBA_OFF);
	virtio_cap(f, CAP_COMMON, CAP_NOTIFY, VIRTIO_CAP_SIZE, CFG_COMMON, COMMON_OFF, COMMON_SIZE);
	virtio_cap(f, CAP_NOTIFY, CAP_ISR, VIRTIO_CAP_SIZE + 4, CFG_NOTIFY, NOTIFY_OFF,
		   NOTIFY_MULTIPLIER * d->nqueues);
	put32(c + CAP_NOTIFY + VIRTIO_CAP_SIZE, NOTIFY_MULTIPLIER);
	virtio_cap(f, CAP_ISR, CAP_DEVICE, VIRTIO_CAP_SIZE, CFG_ISR, ISR_OFF, 1);
	virtio_cap(f, CAP_DEVICE, CAP_PCI_CFG, VIRTIO_CAP_SIZE, CFG_DEVICE, DEVICE_OFF,
		   d->config_size);
	virtio_cap(f, CAP_PCI_CFG, 0, VIRTIO_CAP_SIZE + 4, CFG_PCI, 0, 0);
	c[CAP_PCI_CFG + 4] = 0;
	/* bar, offset, length and data of the window are the driver's */
	memset(f->writable + CAP_PCI_CFG + 4, 0xff, 1);
	memset(f->writable + CAP_PCI_CFG + 8, 0xff, 12);
	f->bars[REGS_BAR] = (struct pci_bar){ REGS_SIZE, regs_bar, vp };
	f->bars[MSIX_BAR] = (struct pci_bar){ MSIX_SIZE, msix_bar, vp };
	f->config_read = config_read;
	f->config_written = config_written;
	f->opaque = vp;
}

/* ---- life cycle ---- */

static void destroy(void *opaque)
{
	struct virtio_pci *vp = opaque;
	if (vp->core.d.destroy)
		vp->core.d.destroy(vp->core.d.opaque);
	free(vp);
}

static int give_up(const struct virtio_device *d)
{
	if (d->destroy)
		d->destroy(d->opaque);
	return -1;
}

int virtio_pci__create(struct encore_machine *m, struct pci_host *h,
		       const struct virtio_device *d, struct virtio_transport *t)
{
	if (d->nqueues > VIRTIO_MAX_QUEUES || d->nqueues + 1 > MSIX_MAX_VECTORS ||
	    d->config_size > REGION_SIZE)
		return give_up(d);
	struct virtio_pci *vp = calloc(1, sizeof(*vp));
	if (!vp)
		return give_up(d);
	vp->core = (struct virtio_core){ .s = &vp->s.core, .d = *d, .m = m,
					 .reset = reset_vectors, .transport = vp };
	vp->msix = (struct msix){ .s = &vp->s.msix, .nvectors = d->nqueues + 1, .host = h };
	struct device dev = { .name = d->name, .state = &vp->s, .state_size = sizeof(vp->s),
			      .version = VIRTIO_PCI_STATE_VERSION, .destroy = destroy,
			      .dev = vp };
	if (machine__add_device(m, &dev)) {
		free(vp);
		return give_up(d);
	}
	/* The machine owns vp (and vp the device) now. */
	struct pci_function f = { .name = d->name };
	describe_function(vp, &f);
	vp->config = pci_host__add(h, &f);
	if (!vp->config)
		return -1;
	vp->msix.config = vp->config;
	vp->msix.cap = CAP_MSIX;
	msix__reset(&vp->msix);
	virtio_core__reset(&vp->core);
	*t = (struct virtio_transport){ &ops, vp, m };
	return 0;
}
