/* The device side of a split virtqueue (encore/hw/virtqueue.h). */
#include "encore/hw/virtqueue.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "encore/guest_mem.h"
#include "encore/le_bytes.h"

#define DESC_SIZE 16u

static int broken(struct virtq *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int broken(struct virtq *q, const char *fmt, ...)
{
	if (!q->broken) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(q->error, sizeof(q->error), fmt, ap);
		va_end(ap);
		q->broken = true;
	}
	return -1;
}

static u64 avail_bytes(const struct virtq *q)
{
	return 4 + 2ull * q->size + (q->event_idx ? 2 : 0);
}

static u64 used_bytes(const struct virtq *q)
{
	return 4 + 8ull * q->size + (q->event_idx ? 2 : 0);
}

int virtq__setup(struct virtq *q, struct encore_machine *m, u16 size, u64 desc, u64 avail,
		 u64 used, bool indirect_ok, bool event_idx)
{
	/* Whole, padding included: a device's saved state holds q. */
	memset(q, 0, sizeof(*q));
	q->size = size;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->indirect_ok = indirect_ok;
	q->event_idx = event_idx;
	if (!size || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return broken(q, "queue size %u is not a power of 2 up to %u", size, VIRTQ_MAX_SIZE);
	if ((desc & 15) || (avail & 1) || (used & 3))
		return broken(q, "misaligned rings (descriptors %#llx, available %#llx, used %#llx)",
			      (unsigned long long)desc, (unsigned long long)avail,
			      (unsigned long long)used);
	if (!guest_mem__is_ram(m, desc, DESC_SIZE * size) ||
	    !guest_mem__is_ram(m, avail, avail_bytes(q)) || !guest_mem__is_ram(m, used, used_bytes(q)))
		return broken(q, "rings outside guest RAM (descriptors %#llx, available %#llx, "
			      "used %#llx, %u entries)", (unsigned long long)desc,
			      (unsigned long long)avail, (unsigned long long)used, size);
	return 0;
}

struct desc {
	u64 addr;
	u32 len;
	u16 flags, next;
};

/* Entry i of the descriptor table at `table`. */
static int read_desc(struct virtq *q, struct encore_machine *m, u64 table, u32 i, struct desc *d)
{
	u8 b[DESC_SIZE];
	if (guest_mem__read(m, table + (u64)i * DESC_SIZE, b, DESC_SIZE))
		return broken(q, "descriptor %u of the table at %#llx is not in guest RAM", i,
			      (unsigned long long)table);
	*d = (struct desc){ get64(b), get32(b + 8), get16(b + 12), get16(b + 14) };
	return 0;
}

/* A buffer descriptor into r. */
static int add_buf(struct virtq *q, struct encore_machine *m, struct virtq_req *r,
		   const struct desc *d)
{
	bool write = d->flags & VIRTQ_DESC_F_WRITE;
	if (!guest_mem__is_ram(m, d->addr, d->len))
		return broken(q, "request %u: a buffer of %u bytes at %#llx is not in guest RAM",
			      r->head, d->len, (unsigned long long)d->addr);
	if (!write && r->nbufs && r->bufs[r->nbufs - 1].write)
		return broken(q, "request %u: a device-readable buffer after a device-writable one",
			      r->head);
	if (r->nbufs == r->cap)
		return broken(q, "request %u: more than %u buffers", r->head, r->cap);
	r->bufs[r->nbufs++] = (struct virtq_buf){ d->addr, d->len, write };
	if (write)
		r->writable += d->len;
	else
		r->readable += d->len;
	return 0;
}

/* The indirect table of descriptor d: its place and entries. */
static int enter_indirect(struct virtq *q, struct encore_machine *m, struct virtq_req *r,
			  const struct desc *d, u64 *table, u32 *entries)
{
	if (!q->indirect_ok)
		return broken(q, "request %u: an indirect descriptor, not negotiated", r->head);
	if (d->flags & VIRTQ_DESC_F_NEXT)
		return broken(q, "request %u: an indirect descriptor with a next one", r->head);
	if (!d->len || d->len % DESC_SIZE || d->len / DESC_SIZE > VIRTQ_MAX_SIZE)
		return broken(q, "request %u: an indirect table of %u bytes", r->head, d->len);
	if (!guest_mem__is_ram(m, d->addr, d->len))
		return broken(q, "request %u: an indirect table of %u bytes at %#llx is not in "
			      "guest RAM", r->head, d->len, (unsigned long long)d->addr);
	*table = d->addr;
	*entries = d->len / DESC_SIZE;
	return 0;
}

/* Walks the chain from `head`: direct descriptors, then at most one
 * indirect table.  Each table can give at most its own number of
 * descriptors, so a loop ends as an error. */
static int walk(struct virtq *q, struct encore_machine *m, struct virtq_req *r)
{
	u64 table = q->desc;
	u32 entries = q->size, i = r->head, taken = 0;
	bool indirect = false;
	for (;;) {
		struct desc d = { 0 };
		if (read_desc(q, m, table, i, &d))
			return -1;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect)
				return broken(q, "request %u: an indirect table inside another", r->head);
			if (enter_indirect(q, m, r, &d, &table, &entries))
				return -1;
			indirect = true;
			i = taken = 0;
			continue;
		}
		if (add_buf(q, m, r, &d))
			return -1;
		if (++taken > entries)
			return broken(q, "request %u: a chain longer than its table (%u): a loop",
				      r->head, entries);
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= entries)
			return broken(q, "request %u: next descriptor %u of a table of %u", r->head, i,
				      entries);
	}
}

int virtq__pop(struct virtq *q, struct encore_machine *m, struct virtq_req *r)
{
	if (q->broken)
		return -1;
	if (!q->size)
		return 0;
	u16 avail_idx, head;
	if (guest_mem__read16(m, q->avail + 2, &avail_idx))
		return broken(q, "the available ring is not in guest RAM");
	u16 pending = (u16)(avail_idx - q->last_avail);
	if (!pending)
		return 0;
	if (pending > q->size)
		return broken(q, "the available index ran %u entries ahead of a queue of %u", pending,
			      q->size);
	if (guest_mem__read16(m, q->avail + 4 + 2ull * (q->last_avail & (q->size - 1)), &head))
		return broken(q, "the available ring is not in guest RAM");
	if (head >= q->size)
		return broken(q, "request head %u in a queue of %u", head, q->size);
	r->head = head;
	r->nbufs = 0;
	r->readable = r->writable = 0;
	if (walk(q, m, r))
		return -1;
	q->last_avail++;
	return 1;
}

bool virtq__has_request(struct virtq *q, struct encore_machine *m)
{
	u16 avail_idx;
	if (!q->size || q->broken || guest_mem__read16(m, q->avail + 2, &avail_idx))
		return false;
	return avail_idx != q->last_avail;
}

int virtq__push(struct virtq *q, struct encore_machine *m, u16 head, u32 written)
{
	if (q->broken)
		return -1;
	u8 elem[8];
	put32(elem, head);
	put32(elem + 4, written);
	u64 slot = q->used + 4 + 8ull * (q->used_idx & (q->size - 1));
	if (guest_mem__write(m, slot, elem, sizeof(elem)) ||
	    guest_mem__write16(m, q->used + 2, (u16)(q->used_idx + 1)))
		return broken(q, "the used ring is not in guest RAM");
	q->used_idx++;
	return 0;
}

bool virtq__should_interrupt(struct virtq *q, struct encore_machine *m, u16 old_used)
{
	u16 v;
	if (q->event_idx) {
		if (guest_mem__read16(m, q->avail + 4 + 2ull * q->size, &v))
			return true;
		/* the spec's vring_need_event */
		return (u16)(q->used_idx - v - 1) < (u16)(q->used_idx - old_used);
	}
	if (guest_mem__read16(m, q->avail, &v))
		return true;
	return !(v & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

int virtq__want_notify(struct virtq *q, struct encore_machine *m)
{
	if (q->broken)
		return -1;
	if (!q->event_idx)
		return 0;
	if (guest_mem__write16(m, q->used + 4 + 8ull * q->size, q->last_avail))
		return broken(q, "the used ring is not in guest RAM");
	return 0;
}

/* Visits the part [off, off + n) of r's buffers of one direction. */
static int req_copy(struct encore_machine *m, const struct virtq_req *r, bool write, u64 off,
		    u8 *buf, u64 n)
{
	for (unsigned k = 0; k < r->nbufs && n; k++) {
		const struct virtq_buf *b = &r->bufs[k];
		if (b->write != write)
			continue;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		u64 take = b->len - off < n ? b->len - off : n;
		int err = write ? guest_mem__write(m, b->gpa + off, buf, take)
				: guest_mem__read(m, b->gpa + off, buf, take);
		if (err)
			return -1;
		buf += take;
		n -= take;
		off = 0;
	}
	return n ? -1 : 0;
}

int virtq_req__read(struct encore_machine *m, const struct virtq_req *r, u64 off, void *buf,
		    u64 n)
{
	return req_copy(m, r, false, off, buf, n);
}

int virtq_req__write(struct encore_machine *m, const struct virtq_req *r, u64 off,
		     const void *buf, u64 n)
{
	return req_copy(m, r, true, off, (u8 *)buf, n);
}
