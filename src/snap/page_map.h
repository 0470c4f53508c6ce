/*
 * The content hash (XXH3-128) of every guest RAM frame, kept current at
 * checkpoints by rehashing only the frames written since the previous
 * one.  The machine's state hash covers these hashes rather than RAM
 * itself, so a checkpoint costs a hash of the dirty pages only, and a
 * sparse replay can verify frames it never loaded.
 */
#ifndef ENCORE_SNAP_PAGE_MAP_H
#define ENCORE_SNAP_PAGE_MAP_H

#include "encore/machine.h"

struct page_hash {
	u64 lo, hi;
};

struct page_map {
	u64 nframes;
	struct page_hash *hash;
	u64 *dirty;          /* scratch bitmap: the frames of the last update */
};

int page_map__init(struct page_map *pm, u64 nframes);
void page_map__free(struct page_map *pm);
/* Take the machine's dirty frames and rehash them; each frame whose hash
 * changed is passed to `changed` (may be NULL).  Returns the number of
 * dirty frames. */
u64 page_map__update(struct page_map *pm, struct encore_machine *m,
		     void (*changed)(void *opaque, u64 frame, const struct page_hash *h),
		     void *opaque);
struct page_hash page_hash__of(const u8 *page);
/* The hash of an all-zero page. */
struct page_hash page_hash__zero(void);
static inline bool page_hash__eq(const struct page_hash *a, const struct page_hash *b)
{
	return a->lo == b->lo && a->hi == b->hi;
}

/* Test oracle for dirty tracking: the first frame whose content no
 * longer matches its hash (a write nobody marked), or -1. */
i64 page_map__audit(const struct page_map *pm, struct encore_machine *m);

/* The machine-state hash: CPU, devices, virtual time and these frame
 * hashes (encore/state_hash.h hashes a fresh map of all RAM). */
u64 page_map__state_hash(const struct page_map *pm, struct encore_machine *m);

#endif
