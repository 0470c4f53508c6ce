/*
 * Fuzz target for the virtqueue walker (src/hw/virtqueue.c), whose every
 * input comes from the guest.  An input is a queue's set-up and the guest
 * RAM it lives in:
 *
 *   0  2  queue size (le16)
 *   2  1  bit 0: indirect descriptors negotiated, bit 1: event indices
 *   3  4  descriptor table address (le32)
 *   7  4  available ring address (le32)
 *  11  4  used ring address (le32)
 *  15     the first bytes of guest RAM (1 MiB in all, the rest zero)
 *
 * Requests are taken and returned until none is left or the queue
 * breaks.  Every buffer of a request must be in guest RAM, the
 * device-readable ones first, the totals their sum, at most the caller's
 * count; a broken queue must say why and stay broken; and it all ends
 * (the walker's loop checks).  ASan catches any access outside RAM.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encore/guest_mem.h"
#include "encore/hw/virtqueue.h"
#include "encore/le_bytes.h"

#define RAM_SIZE (1u << 20)
#define HEADER 15
#define CAP 64
#define MAX_REQUESTS 300

static void fail(const char *what, const struct virtq *q)
{
	fprintf(stderr, "fuzz_virtq: %s (queue error: \"%s\")\n", what, q->error);
	abort();
}

static void check_request(struct encore_machine *m, const struct virtq *q,
			  const struct virtq_req *r)
{
	u64 readable = 0, writable = 0;
	bool seen_write = false;
	if (r->nbufs > r->cap || r->head >= q->size)
		fail("a request beyond its bounds", q);
	for (unsigned k = 0; k < r->nbufs; k++) {
		const struct virtq_buf *b = &r->bufs[k];
		if (!guest_mem__is_ram(m, b->gpa, b->len))
			fail("a buffer outside guest RAM", q);
		if (!b->write && seen_write)
			fail("a device-readable buffer after a device-writable one", q);
		seen_write |= b->write;
		*(b->write ? &writable : &readable) += b->len;
	}
	if (readable != r->readable || writable != r->writable)
		fail("totals that are not the buffers' sums", q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct encore_machine *m;
	if (!m && !(m = machine__create(&arch_x86_64, RAM_SIZE, 1)))
		abort();
	if (size < HEADER)
		return 0;
	memset(m->ram, 0, RAM_SIZE);
	size_t image = size - HEADER < RAM_SIZE ? size - HEADER : RAM_SIZE;
	memcpy(m->ram, data + HEADER, image);

	struct virtq q;
	if (virtq__setup(&q, m, get16(data), get32(data + 3), get32(data + 7), get32(data + 11),
			 data[2] & 1, data[2] & 2)) {
		if (!q.broken || !q.error[0])
			fail("a refused set-up without a reason", &q);
		return 0;
	}
	struct virtq_buf bufs[CAP];
	for (int n = 0; n < MAX_REQUESTS; n++) {
		struct virtq_req r = { .bufs = bufs, .cap = CAP };
		u16 old_used = q.used_idx;
		int rc = virtq__pop(&q, m, &r);
		if (rc == 0)
			break;
		if (rc < 0) {
			if (!q.broken || !q.error[0])
				fail("an error without a reason", &q);
			if (virtq__pop(&q, m, &r) != -1 || virtq__push(&q, m, 0, 0) != -1)
				fail("a broken queue that goes on", &q);
			break;
		}
		check_request(m, &q, &r);
		if (virtq__push(&q, m, r.head, (u32)(r.writable & 0xffffffffu)) == 0)
			(void)virtq__should_interrupt(&q, m, old_used);
		(void)virtq__want_notify(&q, m);
	}
	return 0;
}
