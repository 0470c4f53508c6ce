/*
 * The recorder's side of checkpoints: takes a checkpoint of a machine
 * (CPU, devices, the frames written since the last one) and stores it in
 * a recording's checkpoints file and page store (snap_wire.h).  Pages
 * are hashed and deduplicated at once; compressing and writing them
 * happens on a background thread, so the guest goes on meanwhile.
 */
#ifndef ENCORE_SNAP_WRITER_H
#define ENCORE_SNAP_WRITER_H

#include "encore/machine.h"

/* Where a checkpoint is taken, as the event log names it. */
struct snap_point {
	u64 insns, idle_ns;
	u32 seq;
	u64 console_bytes;
	u64 console_sum;     /* XXH3-64 of those console bytes */
	u64 event_index;
	bool final;
};

struct snap_writer_stats {
	u32 checkpoints;
	u64 dirty_frames;    /* frames written, summed over intervals */
	u64 changed_frames;  /* ... whose content changed */
	u64 new_pages;       /* unique pages stored */
	u64 page_bytes;      /* their size in the page store */
	u64 take_ns;         /* time the guest waited for checkpoints */
};

struct snap_writer;

/* Create the checkpoints file and page store in `dir`. */
struct snap_writer *snap_writer__create(const char *dir, u64 id, struct encore_machine *m,
					char *err, size_t n);
/* Checkpoint the machine now; its state hash goes to *state_hash.
 * -1 (message in err) if storing a checkpoint failed. */
int snap_writer__take(struct snap_writer *w, const struct snap_point *at, u64 *state_hash,
		      char *err, size_t n);
/* Store a page of content that is not RAM (a disk block) in the page
 * store, deduplicated like RAM pages: its number (0 for the zero page),
 * or 0 with *oom set when memory ran out.  It is written with the next
 * checkpoint, whose new pages it heads. */
u32 snap_writer__store_page(struct snap_writer *w, const u8 *page, bool *oom);
/* Has writing failed (the disk is full, say)?  Then why, in err. */
bool snap_writer__failed(struct snap_writer *w, char *err, size_t n);
/* Wait until everything taken is on disk, then close; -1 if anything
 * failed.  Also frees w. */
int snap_writer__close(struct snap_writer *w, struct snap_writer_stats *stats, char *err,
		       size_t n);

#endif
