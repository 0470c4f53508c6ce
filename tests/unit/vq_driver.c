/* The driver's side of a split virtqueue, for the tests (vq_driver.h). */
#include "vq_driver.h"

#include "encore/le_bytes.h"

void vqd_put_desc(struct encore_machine *m, u64 table, unsigned i, u64 addr, u32 len, u16 flags,
		  u16 next)
{
	u8 *p = machine__ram_ptr(m, table + 16ull * i);
	put64(p, addr);
	put32(p + 8, len);
	put16(p + 12, flags);
	put16(p + 14, next);
}

void vqd_offer(struct vq_driver *q, u16 head)
{
	u8 *a = machine__ram_ptr(q->m, q->avail);
	put16(a + 4 + 2 * (q->avail_idx % q->size), head);
	q->avail_idx++;
	put16(a + 2, q->avail_idx);
}

u16 vqd_submit(struct vq_driver *q, const struct vq_seg *s, unsigned n, bool indirect)
{
	u16 head = q->next_desc % q->size;
	if (indirect) {
		u64 table = q->indirect + q->stride * head;
		for (unsigned i = 0; i < n; i++)
			vqd_put_desc(q->m, table, i, s[i].addr, s[i].len,
				     (u16)(s[i].flags | (i + 1 < n ? VQ_NEXT : 0)), (u16)(i + 1));
		vqd_put_desc(q->m, q->desc, head, table, 16 * n, VQ_INDIRECT, 0);
		q->next_desc++;
	} else {
		for (unsigned i = 0; i < n; i++) {
			unsigned at = (q->next_desc + i) % q->size;
			vqd_put_desc(q->m, q->desc, at, s[i].addr, s[i].len,
				     (u16)(s[i].flags | (i + 1 < n ? VQ_NEXT : 0)),
				     (u16)((at + 1) % q->size));
		}
		q->next_desc = (u16)(q->next_desc + n);
	}
	vqd_offer(q, head);
	return head;
}

u16 vqd_used_idx(struct vq_driver *q)
{
	return get16(machine__ram_ptr(q->m, q->used + 2));
}

u32 vqd_used_id(struct vq_driver *q, u16 i)
{
	return get32(machine__ram_ptr(q->m, q->used + 4 + 8 * (i % q->size)));
}

u32 vqd_used_len(struct vq_driver *q, u16 i)
{
	return get32(machine__ram_ptr(q->m, q->used + 8 + 8 * (i % q->size)));
}

u64 vqd_used_event(const struct vq_driver *q)
{
	return q->avail + 4 + 2ull * q->size;
}

u64 vqd_avail_event(const struct vq_driver *q)
{
	return q->used + 4 + 8ull * q->size;
}
