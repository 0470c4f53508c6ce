/*
 * The driver's side of a split virtqueue in a test machine's guest RAM
 * (virtio spec 1.2, "Split Virtqueues"), for the virtio device tests:
 * descriptor chains laid out directly or through an indirect table, made
 * available, and what the used ring returned.  The layout is the spec's,
 * not taken from the code under test.
 */
#ifndef ENCORE_TEST_VQ_DRIVER_H
#define ENCORE_TEST_VQ_DRIVER_H

#include <stdbool.h>

#include "encore/machine.h"

/* Descriptor flags */
#define VQ_NEXT 1u
#define VQ_WRITE 2u
#define VQ_INDIRECT 4u

/* One guest buffer of a request. */
struct vq_seg {
	u64 addr;
	u32 len;
	u16 flags;       /* VQ_WRITE for a device-writable buffer */
};

/* A queue's rings and where the driver is in them. */
struct vq_driver {
	struct encore_machine *m;
	u16 size;
	u64 desc, avail, used;
	u64 indirect;         /* head h's indirect table is at indirect + h * stride */
	u64 stride;
	u16 avail_idx, next_desc;
};

/* Descriptor i of the table at `table`. */
void vqd_put_desc(struct encore_machine *m, u64 table, unsigned i, u64 addr, u32 len, u16 flags,
		  u16 next);
/* Makes chain `head` available. */
void vqd_offer(struct vq_driver *q, u16 head);
/* Makes the chain s[0..n) available, in the descriptors after the last
 * chain's or through head's indirect table: its head. */
u16 vqd_submit(struct vq_driver *q, const struct vq_seg *s, unsigned n, bool indirect);
/* The used ring's index, and entry i's id and length. */
u16 vqd_used_idx(struct vq_driver *q);
u32 vqd_used_id(struct vq_driver *q, u16 i);
u32 vqd_used_len(struct vq_driver *q, u16 i);
/* Where the event-index fields are: the available ring's used_event and
 * the used ring's avail_event. */
u64 vqd_used_event(const struct vq_driver *q);
u64 vqd_avail_event(const struct vq_driver *q);

#endif
