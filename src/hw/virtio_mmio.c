/* The virtio-mmio transport, Version 2 (encore/hw/virtio_mmio.h). */
#include <stdlib.h>
#include <string.h>

#include "encore/hw.h"
#include "encore/hw/virtio_mmio.h"
#include "encore/le_bytes.h"

/* The registers (virtio spec 1.2, 4.2.2). */
enum {
	MAGIC_VALUE = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, VENDOR_ID = 0x00c,
	DEVICE_FEATURES = 0x010, DEVICE_FEATURES_SEL = 0x014, DRIVER_FEATURES = 0x020,
	DRIVER_FEATURES_SEL = 0x024, QUEUE_SEL = 0x030, QUEUE_NUM_MAX = 0x034, QUEUE_NUM = 0x038,
	QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050, INTERRUPT_STATUS = 0x060,
	INTERRUPT_ACK = 0x064, STATUS = 0x070, QUEUE_DESC_LOW = 0x080, QUEUE_DESC_HIGH = 0x084,
	QUEUE_DRIVER_LOW = 0x090, QUEUE_DRIVER_HIGH = 0x094, QUEUE_DEVICE_LOW = 0x0a0,
	QUEUE_DEVICE_HIGH = 0x0a4, SHM_SEL = 0x0ac, SHM_LEN_LOW = 0x0b0, SHM_LEN_HIGH = 0x0b4,
	SHM_BASE_LOW = 0x0b8, SHM_BASE_HIGH = 0x0bc, QUEUE_RESET = 0x0c0,
	CONFIG_GENERATION = 0x0fc, CONFIG = 0x100,
};

struct virtio_mmio {
	struct virtio_mmio_state s;
	struct virtio_core core;
	unsigned irq;
};

/* ---- the interrupt line ---- */

/* High while InterruptStatus has a bit set; also after a reset (which
 * clears it) and a restore (which brings it back). */
static void update_line(void *opaque)
{
	struct virtio_mmio *vm = opaque;
	machine__set_irq(vm->core.m, vm->irq, vm->s.core.isr != 0);
}

/* ---- what the device asks of its transport ---- */

static u64 features(void *opaque)
{
	struct virtio_mmio *vm = opaque;
	return vm->s.core.driver_features;
}

static void queue_done(void *opaque, unsigned k, u16 old_used)
{
	struct virtio_mmio *vm = opaque;
	if (virtio_core__queue_done(&vm->core, k, old_used))
		update_line(vm);
}

static void queue_broken(void *opaque, unsigned k)
{
	struct virtio_mmio *vm = opaque;
	if (virtio_core__queue_broken(&vm->core, k))
		update_line(vm);
}

static struct virtq *queue(void *opaque, unsigned k)
{
	struct virtio_mmio *vm = opaque;
	return virtio_core__queue(&vm->core, k);
}

static const struct virtio_transport_ops ops = { queue, queue_done, queue_broken, features };

/* ---- the registers ---- */

static u32 read_reg(struct virtio_mmio *vm, unsigned reg)
{
	const struct virtio_core_state *s = &vm->s.core;
	const struct virtio_queue_state *vq = virtio_core__selected(&vm->core);
	switch (reg) {
	case MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
	case VERSION: return VIRTIO_MMIO_VERSION;
	case DEVICE_ID: return vm->core.d.type;
	case VENDOR_ID: return VIRTIO_MMIO_VENDOR;
	case DEVICE_FEATURES: return virtio_core__device_features(&vm->core);
	case QUEUE_NUM_MAX: return vq ? vm->core.d.queue_size : 0;
	case QUEUE_READY: return vq ? vq->enabled : 0;
	case INTERRUPT_STATUS: return s->isr;
	case STATUS: return s->status;
	case SHM_LEN_LOW: case SHM_LEN_HIGH: case SHM_BASE_LOW: case SHM_BASE_HIGH:
		return 0xffffffffu; /* no shared memory region has the selected id */
	case CONFIG_GENERATION: return s->config_generation;
	default: return 0;  /* write-only, reserved, QueueReset */
	}
}

/* Half `high` of a 64-bit ring address. */
static void set_half(u64 *addr, bool high, u32 v)
{
	*addr = high ? (*addr & 0xffffffffull) | (u64)v << 32 : (*addr & ~0xffffffffull) | v;
}

static void write_queue_ready(struct virtio_mmio *vm, u32 v)
{
	struct virtio_queue_state *vq = virtio_core__selected(&vm->core);
	if (!vq)
		return;
	unsigned k = (unsigned)(vq - vm->s.core.queues);
	if (!v)
		vq->enabled = 0;
	else if (virtio_core__enable_queue(&vm->core, k))
		queue_broken(vm, k);
}

/* The selected queue's layout registers, while it is not ready. */
static void write_layout(struct virtio_mmio *vm, unsigned reg, u32 v)
{
	struct virtio_queue_state *vq = virtio_core__layout(&vm->core);
	if (!vq)
		return;
	switch (reg) {
	case QUEUE_NUM: virtio_core__write_queue_size(&vm->core, v); break;
	case QUEUE_DESC_LOW: case QUEUE_DESC_HIGH:
		set_half(&vq->desc, reg == QUEUE_DESC_HIGH, v);
		break;
	case QUEUE_DRIVER_LOW: case QUEUE_DRIVER_HIGH:
		set_half(&vq->driver, reg == QUEUE_DRIVER_HIGH, v);
		break;
	case QUEUE_DEVICE_LOW: case QUEUE_DEVICE_HIGH:
		set_half(&vq->device, reg == QUEUE_DEVICE_HIGH, v);
		break;
	}
}

static void write_reg(struct virtio_mmio *vm, unsigned reg, u32 v)
{
	struct virtio_core_state *s = &vm->s.core;
	switch (reg) {
	case DEVICE_FEATURES_SEL: s->device_feature_select = v; break;
	case DRIVER_FEATURES: virtio_core__write_driver_features(&vm->core, v); break;
	case DRIVER_FEATURES_SEL: s->driver_feature_select = v; break;
	case QUEUE_SEL: s->queue_select = v > 0xffff ? 0xffff : (u16)v; break;
	case QUEUE_READY: write_queue_ready(vm, v); break;
	case QUEUE_NOTIFY:
		if (queue(vm, v))
			vm->core.d.notify(vm->core.d.opaque, v);
		break;
	case INTERRUPT_ACK:
		s->isr &= (u8)~v;
		update_line(vm);
		break;
	case STATUS: virtio_core__write_status(&vm->core, (u8)v); break;
	default: write_layout(vm, reg, v); break;
	}
}

static void slot_access(void *opaque, struct encore_vcpu *vcpu, u64 off, u8 *data, unsigned len,
			bool is_write)
{
	(void)vcpu;
	struct virtio_mmio *vm = opaque;
	if (off >= CONFIG) {
		virtio_core__config_access(&vm->core, off - CONFIG, data, len, is_write);
	} else if (len != 4 || off % 4) {
		if (!is_write)
			memset(data, 0, len);
	} else if (is_write) {
		write_reg(vm, (unsigned)off, get32(data));
	} else {
		put32(data, read_reg(vm, (unsigned)off));
	}
}

/* ---- life cycle ---- */

static void destroy(void *opaque)
{
	struct virtio_mmio *vm = opaque;
	if (vm->core.d.destroy)
		vm->core.d.destroy(vm->core.d.opaque);
	free(vm);
}

static int give_up(const struct virtio_device *d)
{
	if (d->destroy)
		d->destroy(d->opaque);
	return -1;
}

int virtio_mmio__create(struct encore_machine *m, u64 base, unsigned irq,
			const struct virtio_device *d, struct virtio_transport *t)
{
	if (d->nqueues > VIRTIO_MAX_QUEUES || d->config_size > VIRTIO_MMIO_SLOT_SIZE - CONFIG)
		return give_up(d);
	struct virtio_mmio *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return give_up(d);
	vm->core = (struct virtio_core){ .s = &vm->s.core, .d = *d, .m = m, .reset = update_line,
					 .transport = vm };
	vm->irq = irq;
	struct device dev = { .name = d->name, .state = &vm->s, .state_size = sizeof(vm->s),
			      .version = VIRTIO_MMIO_STATE_VERSION, .restored = update_line,
			      .destroy = destroy, .dev = vm };
	if (machine__add_device(m, &dev)) {
		free(vm);
		return give_up(d);
	}
	/* The machine owns vm (and vm the device) now. */
	if (bus__register(&m->mmio, base, VIRTIO_MMIO_SLOT_SIZE, slot_access, vm, "virtio-mmio"))
		return -1;
	virtio_core__reset(&vm->core);
	*t = (struct virtio_transport){ &ops, vm, m };
	return 0;
}
