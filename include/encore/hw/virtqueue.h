/*
 * The device side of a virtio 1.x split virtqueue (virtio spec, "Split
 * Virtqueues"): taking the requests the driver made available, as chains
 * of guest buffers, and returning them through the used ring, with
 * indirect descriptors and event-index notification.
 *
 * Everything in the rings comes from the guest.  Every descriptor, ring
 * index and buffer is checked (through encore/guest_mem.h) before it is
 * used: a chain that leaves the queue, loops, nests indirect tables,
 * puts a device-readable buffer after a device-writable one, or names
 * memory that is not RAM breaks the queue with a message, and a broken
 * queue takes no more requests until it is set up again.  Ring fields
 * are little-endian (virtio 1.x).
 */
#ifndef ENCORE_HW_VIRTQUEUE_H
#define ENCORE_HW_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include "encore/machine.h"

#define VIRTQ_MAX_SIZE 32768u

/* Descriptor flags */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
/* Available ring flags: the driver wants no interrupt */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

/* The layout the driver chose and where the device is in it. */
struct virtq {
	u16 size;            /* entries, a power of 2; 0: not set up */
	u64 desc, avail, used;  /* guest-physical addresses of the three parts */
	bool indirect_ok;    /* VIRTIO_F_INDIRECT_DESC negotiated */
	bool event_idx;      /* VIRTIO_F_EVENT_IDX negotiated */
	u16 last_avail;      /* the next available entry to take */
	u16 used_idx;        /* the next used entry to fill */
	bool broken;
	char error[160];     /* why it broke */
};

/* One guest buffer of a request. */
struct virtq_buf {
	u64 gpa;
	u32 len;
	bool write;          /* device-writable */
};

/* A request: the buffers of one chain, the device-readable ones first. */
struct virtq_req {
	u16 head;            /* its id in the used ring */
	unsigned nbufs;
	struct virtq_buf *bufs;  /* the caller's array */
	unsigned cap;            /* of bufs */
	u64 readable, writable;  /* bytes in all */
};

/* Copy n bytes of r's device-readable buffers, from byte `off` of
 * them all, into buf; or buf into its device-writable ones.  0, or -1
 * when they hold fewer bytes (or, which pop ruled out, leave RAM). */
int virtq_req__read(struct encore_machine *m, const struct virtq_req *r, u64 off, void *buf,
		    u64 n);
int virtq_req__write(struct encore_machine *m, const struct virtq_req *r, u64 off,
		     const void *buf, u64 n);

/* Sets q up from the driver's layout: 0, or -1 (q broken, with the
 * reason) when the size is not a power of 2 up to VIRTQ_MAX_SIZE or a
 * part is misaligned or not all in RAM. */
int virtq__setup(struct virtq *q, struct encore_machine *m, u16 size, u64 desc, u64 avail,
		 u64 used, bool indirect_ok, bool event_idx);

/* The next available request into r (whose bufs and cap the caller
 * set): 1, 0 when there is none, -1 when the queue is (or now is)
 * broken. */
int virtq__pop(struct virtq *q, struct encore_machine *m, struct virtq_req *r);

/* Whether the driver has made a request available that pop would take
 * (false for a queue not set up or broken, or rings not in RAM). */
bool virtq__has_request(struct virtq *q, struct encore_machine *m);

/* Returns request `head` to the driver with `written` bytes written into
 * its device-writable buffers: 0, or -1 (broken). */
int virtq__push(struct virtq *q, struct encore_machine *m, u16 head, u32 written);

/* Whether the driver wants an interrupt now that the used index went
 * from old_used to q->used_idx (its used_event with event_idx, else the
 * available ring's NO_INTERRUPT flag). */
bool virtq__should_interrupt(struct virtq *q, struct encore_machine *m, u16 old_used);

/* With event_idx: asks the driver to notify at its next request (the
 * used ring's avail_event := last_avail).  0, or -1 (broken). */
int virtq__want_notify(struct virtq *q, struct encore_machine *m);

#endif
