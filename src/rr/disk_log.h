/*
 * Disks in a recording: the recorder's and the replayer's sides of a
 * disk's history (encore/hw/virtio_blk.h).  Recording, each entry's
 * block goes into the page store by content (deduplicated: zero and
 * repeated blocks cost nothing) and a record naming its page into the
 * disk journal (disk_journal.h); the cost follows what the guest touches,
 * not the image's size.  Replaying, the disks have no file behind them:
 * a block the guest reads before writing comes from its BASE entry, and
 * a replay that starts at a checkpoint rebuilds each disk from the
 * entries before it.
 */
#ifndef ENCORE_RR_DISK_LOG_H
#define ENCORE_RR_DISK_LOG_H

#include "encore/hw/virtio_blk.h"
#include "snap/snap_reader.h"
#include "snap/snap_writer.h"

#define DISK_LOG_MAX_DISKS 8

struct disk_recorder;

/* The journal in dir; entries' pages go to `snap` (set it before the
 * guest runs).  NULL with a message. */
struct disk_recorder *disk_recorder__create(const char *dir, u64 id, char *err, size_t n);
void disk_recorder__set_snap(struct disk_recorder *r, struct snap_writer *snap);
const struct disk_history *disk_recorder__history(struct disk_recorder *r);
/* Close the journal and free r; -1 with the first failure (a full disk,
 * say), which also left the recording without what followed. */
int disk_recorder__close(struct disk_recorder *r, char *err, size_t n);

struct disk_replayer;

/* The journal of the recording in `dir`, with pages from `snap` (kept
 * open by the caller).  NULL with a message. */
struct disk_replayer *disk_replayer__open(const char *dir, u64 id, struct snap_reader *snap,
					  char *err, size_t n);
void disk_replayer__close(struct disk_replayer *r);
const struct disk_history *disk_replayer__history(struct disk_replayer *r);
/* The replay goes live: a block of disk `disk` the recording never saw
 * comes from `image` (its original, `size` bytes; checked), or, with
 * no image, ends the run with a message saying so.  -1 with a message. */
int disk_replayer__go_live(struct disk_replayer *r, unsigned disk, const char *image, u64 size,
			   char *err, size_t n);
/* What a replayed disk number `disk` reads where the guest has not
 * written: disk_image__open_source's fetch and its opaque. */
disk_fetch_fn disk_replayer__fetch(struct disk_replayer *r, unsigned disk, void **opaque);

#endif
