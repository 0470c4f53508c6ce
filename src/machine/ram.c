/*
 * Page tracking for checkpoints and sparse restore (encore/ram.h).  The
 * bitmaps are only touched off the engines' fast paths: on a TLB fill
 * for writing, on slow-path writes, and on the first pointer taken into
 * a frame that a sparse restore has not loaded yet.
 */
#include <stdlib.h>
#include <string.h>

#include "encore/ram.h"

int ram__init(struct encore_machine *m)
{
	struct ram_pages *p = &m->pages;
	p->nframes = m->ram_size / RAM_PAGE_SIZE;
	size_t words = ram__bitmap_words(m) ? ram__bitmap_words(m) : 1;
	/* Reading a never-written frame to hash it would cost a page fault
	 * per frame and map it, for a frame known to be zero. */
	p->dirty = calloc(words, sizeof(u64));
	return p->dirty ? 0 : -1;
}

void ram__mark_all_dirty(struct encore_machine *m)
{
	struct ram_pages *p = &m->pages;
	ram__fetch_all(m);
	u64 words = ram__bitmap_words(m);
	memset(p->dirty, 0xff, words * sizeof(u64));
	if (p->nframes & 63)
		p->dirty[words - 1] = (1ull << (p->nframes & 63)) - 1;
}

void machine__note_ram_range(struct encore_machine *m, u64 paddr, u64 len)
{
	for (u64 at = paddr & ~(u64)(RAM_PAGE_SIZE - 1); len && at < paddr + len;
	     at += RAM_PAGE_SIZE) {
		i64 off = machine__ram_offset(m, at);
		if (off >= 0)
			machine__frame_dirty(m, (u64)off >> 12);
	}
}

void ram__free(struct encore_machine *m)
{
	free(m->pages.dirty);
	free(m->pages.absent);
	m->pages.dirty = m->pages.absent = NULL;
}

u64 ram__take_dirty(struct encore_machine *m, u64 *out)
{
	struct ram_pages *p = &m->pages;
	u64 words = ram__bitmap_words(m), count = 0;
	for (unsigned k = 0; k < m->nvcpus; k++) {
		struct encore_engine *e = m->vcpus[k].engine;
		if (e && e->ops->sync_dirty)
			e->ops->sync_dirty(e);
	}
	memcpy(out, p->dirty, words * sizeof(u64));
	if (p->nframes & 63)
		out[words - 1] &= (1ull << (p->nframes & 63)) - 1;
	for (u64 w = 0; w < words; w++)
		count += (u64)__builtin_popcountll(out[w]);
	memset(p->dirty, 0, words * sizeof(u64));
	for (unsigned k = 0; k < m->nvcpus; k++) {
		struct encore_engine *e = m->vcpus[k].engine;
		if (e && e->ops->protect_ram)
			e->ops->protect_ram(e);
	}
	return count;
}

int ram__mark_absent(struct encore_machine *m, u64 frame)
{
	struct ram_pages *p = &m->pages;
	if (frame >= p->nframes)
		return -1;
	if (!p->absent) {
		p->absent = calloc(ram__bitmap_words(m) ? ram__bitmap_words(m) : 1, sizeof(u64));
		if (!p->absent)
			return -1;
	}
	if (!(p->absent[frame >> 6] >> (frame & 63) & 1)) {
		p->absent[frame >> 6] |= 1ull << (frame & 63);
		p->absent_left++;
	}
	return 0;
}

void ram__fetch_frame(struct encore_machine *m, u64 frame)
{
	struct ram_pages *p = &m->pages;
	/* Clear first: the fetch may take pointers into the frame itself. */
	p->absent[frame >> 6] &= ~(1ull << (frame & 63));
	p->fetch(p->fetch_opaque, frame, m->ram + frame * RAM_PAGE_SIZE);
	p->fetched++;
	if (--p->absent_left == 0) {
		free(p->absent);
		p->absent = NULL; /* every later ram_ptr skips the check */
	}
}

void ram__fetch_all(struct encore_machine *m)
{
	struct ram_pages *p = &m->pages;
	for (u64 f = 0; p->absent && f < p->nframes; f++)
		if (ram__frame_absent(m, f))
			ram__fetch_frame(m, f);
}
