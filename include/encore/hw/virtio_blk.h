/*
 * A virtio block device (virtio spec 1.2, "Block Device") on any virtio
 * transport: reads, writes, flushes and the device ID, on a disk image.
 * Requests complete when the driver notifies the queue, in the same
 * instruction, so the disk adds nothing to a recording's event log.
 * Besides the transport's part ("vda"), each disk saves a part
 * "vda-disk": where it is in its history (below).
 */
#ifndef ENCORE_HW_VIRTIO_BLK_H
#define ENCORE_HW_VIRTIO_BLK_H

#include "encore/hw/disk_image.h"
#include "encore/hw/virtio_transport.h"

#define VIRTIO_BLK_ID_BYTES 20

/*
 * A disk's history, as a recording keeps it: entry 0, 1, 2... is a block
 * as the guest first touched it (BASE: its content before) or as a write
 * left it (WRITTEN).  The device counts the entries and hashes them into
 * its saved state, so a checkpoint says how much of the history makes
 * the disk it saw, and the state hash covers the disk's content.
 */
enum disk_entry_kind { DISK_ENTRY_BASE = 1, DISK_ENTRY_WRITTEN = 2 };

struct virtio_blk_disk_state {
	u64 entries;
	u64 digest;    /* XXH3-64 chain over the entries' kinds, blocks and contents */
};

#define VIRTIO_BLK_DISK_STATE_VERSION 1u

/* Where the entries go (a recorder) and where they come back from (a
 * replay that starts at a checkpoint). */
struct disk_history {
	void (*entry)(void *opaque, unsigned disk, enum disk_entry_kind kind, u64 block,
		      const u8 *data);
	/* Rebuild `image` from entries [0, count) of the disk; -1 with a
	 * message when the recording does not hold them. */
	int (*rebuild)(void *opaque, unsigned disk, u64 count, struct disk_image *image,
		       char *err, size_t n);
	void *opaque;
};

struct virtio_blk;

/* A disk `name` ("vda", also its device ID) at `at`, reading and writing
 * `image` (the device closes it).  NULL when the bus is full. */
struct virtio_blk *virtio_blk__create(struct encore_machine *m, struct virtio_slot at,
				      const char *name, struct disk_image *image);

/* Send this disk's (number `disk`) entries to h, and rebuild it from h
 * when a checkpoint is restored. */
void virtio_blk__set_history(struct virtio_blk *b, unsigned disk, const struct disk_history *h);
/* A new history from here (a replay gone live that records): the disk
 * as it is now is what its entries start from, with none yet. */
void virtio_blk__restart_history(struct virtio_blk *b, unsigned disk,
				 const struct disk_history *h);

#endif
