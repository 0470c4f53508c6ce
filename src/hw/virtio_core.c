/* What the virtio transports share (encore/hw/virtio_core.h). */
#include <stdio.h>
#include <string.h>

#include "encore/hw/virtio_core.h"

u64 virtio_core__offered(const struct virtio_core *c)
{
	return c->d.features | 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_INDIRECT_DESC |
	       1ull << VIRTIO_F_EVENT_IDX;
}

/* Bits [32 * sel, 32 * sel + 32) of f. */
static u32 window(u64 f, u32 sel)
{
	return sel < 2 ? (u32)(f >> (32 * sel)) : 0;
}

u32 virtio_core__device_features(const struct virtio_core *c)
{
	return window(virtio_core__offered(c), c->s->device_feature_select);
}

u32 virtio_core__driver_features(const struct virtio_core *c)
{
	return window(c->s->driver_features, c->s->driver_feature_select);
}

void virtio_core__write_driver_features(struct virtio_core *c, u32 v)
{
	u32 sel = c->s->driver_feature_select;
	if (sel >= 2 || (c->s->status & VIRTIO_STATUS_FEATURES_OK))
		return;
	u64 mask = 0xffffffffull << (32 * sel);
	c->s->driver_features = (c->s->driver_features & ~mask) | ((u64)v << (32 * sel) & mask);
}

void virtio_core__config_access(struct virtio_core *c, u64 off, u8 *data, unsigned len,
				bool is_write)
{
	if (off + len <= c->d.config_size) {
		c->d.config_access(c->d.opaque, (unsigned)off, data, len, is_write);
		return;
	}
	if (!is_write)
		memset(data, 0, len);
}

void virtio_core__reset(struct virtio_core *c)
{
	memset(c->s, 0, sizeof(*c->s));
	for (unsigned k = 0; k < c->d.nqueues; k++)
		c->s->queues[k].size = c->d.queue_size;
	if (c->reset)
		c->reset(c->transport);
	if (c->d.reset)
		c->d.reset(c->d.opaque);
}

void virtio_core__write_status(struct virtio_core *c, u8 v)
{
	if (!v) {
		virtio_core__reset(c);
		return;
	}
	u64 accepted = c->s->driver_features;
	bool features_ok = (accepted & ~virtio_core__offered(c)) == 0 &&
			   (accepted >> VIRTIO_F_VERSION_1 & 1);
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(c->s->status & VIRTIO_STATUS_FEATURES_OK) &&
	    !features_ok)
		v &= (u8)~VIRTIO_STATUS_FEATURES_OK; /* the driver sees it refused */
	/* The device's own bit stays until a reset. */
	c->s->status = v | (c->s->status & VIRTIO_STATUS_NEEDS_RESET);
}

struct virtio_queue_state *virtio_core__selected(struct virtio_core *c)
{
	return c->s->queue_select < c->d.nqueues ? &c->s->queues[c->s->queue_select] : NULL;
}

struct virtio_queue_state *virtio_core__layout(struct virtio_core *c)
{
	struct virtio_queue_state *vq = virtio_core__selected(c);
	/* The layout of an enabled queue is fixed until a reset. */
	return vq && !vq->enabled ? vq : NULL;
}

void virtio_core__write_queue_size(struct virtio_core *c, u32 size)
{
	struct virtio_queue_state *vq = virtio_core__layout(c);
	if (vq && size && size <= c->d.queue_size && !(size & (size - 1)))
		vq->size = (u16)size;
}

int virtio_core__enable_queue(struct virtio_core *c, unsigned k)
{
	struct virtio_queue_state *vq = &c->s->queues[k];
	if (vq->enabled)
		return 0;
	u64 f = c->s->driver_features;
	vq->enabled = 1;
	return virtq__setup(&vq->q, c->m, vq->size, vq->desc, vq->driver, vq->device,
			    f >> VIRTIO_F_INDIRECT_DESC & 1, f >> VIRTIO_F_EVENT_IDX & 1);
}

struct virtq *virtio_core__queue(struct virtio_core *c, unsigned k)
{
	if (k >= c->d.nqueues)
		return NULL;
	u8 st = c->s->status;
	struct virtio_queue_state *vq = &c->s->queues[k];
	if (!(st & VIRTIO_STATUS_DRIVER_OK) || (st & VIRTIO_STATUS_NEEDS_RESET) || !vq->enabled ||
	    vq->q.broken)
		return NULL;
	return &vq->q;
}

bool virtio_core__queue_done(struct virtio_core *c, unsigned k, u16 old_used)
{
	struct virtq *q = &c->s->queues[k].q;
	if (q->used_idx == old_used || !virtq__should_interrupt(q, c->m, old_used))
		return false;
	c->s->isr |= VIRTIO_ISR_QUEUE;
	return true;
}

bool virtio_core__queue_broken(struct virtio_core *c, unsigned k)
{
	if (c->s->status & VIRTIO_STATUS_NEEDS_RESET)
		return false;
	fprintf(stderr, "encore: %s: the guest broke virtqueue %u (%s); the device stops until "
		"its driver resets it\n", c->d.name, k, c->s->queues[k].q.error);
	c->s->status |= VIRTIO_STATUS_NEEDS_RESET;
	c->s->isr |= VIRTIO_ISR_CONFIG;
	return true;
}
