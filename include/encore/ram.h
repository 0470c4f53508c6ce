/*
 * Guest RAM page tracking (machine.h's struct ram_pages): which frames
 * were written since the last checkpoint, and which are still to be
 * fetched in a sparse restore.
 */
#ifndef ENCORE_RAM_H
#define ENCORE_RAM_H

#include "encore/machine.h"

#define RAM_PAGE_SIZE 4096u

/* Set up tracking for m->ram_size bytes: every frame starts clean (RAM
 * starts zero, so a first checkpoint looks only at what loaders marked
 * with machine__note_ram_range and the guest wrote) and present. */
int ram__init(struct encore_machine *m);
void ram__free(struct encore_machine *m);

/* The dirty frames as a bitmap of m->pages.nframes bits (copied into
 * `out`), then clear them and make the engine catch the next write to
 * each page again.  Returns how many frames were dirty. */
u64 ram__take_dirty(struct encore_machine *m, u64 *out);
static inline u64 ram__bitmap_words(const struct encore_machine *m)
{
	return (m->pages.nframes + 63) / 64;
}

/* Sparse restore: `frame` holds content that `fetch` will supply when
 * it is first touched.  ram__fetch_all loads every absent frame now (a
 * full restore, or before reading all of RAM). */
int ram__mark_absent(struct encore_machine *m, u64 frame);
void ram__fetch_all(struct encore_machine *m);
/* Every frame loaded and dirty: a recording that starts from a running
 * machine (a replay gone live) stores all of it in its first checkpoint. */
void ram__mark_all_dirty(struct encore_machine *m);

#endif
