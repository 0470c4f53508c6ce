/*
 * A raw disk image on the host, as a virtual disk sees it: read and
 * written in 512-byte sectors, with writes reaching the file (as QEMU
 * does), refused (readonly), or kept in memory and dropped at the end
 * (snapshot).  The image is locked while open, shared when encore only
 * reads it and exclusive when it writes, so two runs cannot write one
 * image at once.
 */
#ifndef ENCORE_HW_DISK_IMAGE_H
#define ENCORE_HW_DISK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "encore/types.h"

#define DISK_SECTOR_SIZE 512u
#define DISK_BLOCK_SIZE 4096u /* the unit of the in-memory overlay */

struct disk_image;

/* -1 with a message naming `path` and what is wrong: missing,
 * unreadable, not writable (without readonly or snapshot), empty, not a
 * whole number of sectors, locked by another process. */
struct disk_image *disk_image__open(const char *path, bool readonly, bool snapshot, char *err,
				    size_t n);
void disk_image__close(struct disk_image *d);

u64 disk_image__size(const struct disk_image *d);   /* bytes, whole sectors */
u64 disk_image__blocks(const struct disk_image *d); /* DISK_BLOCK_SIZE blocks, the last maybe partial */
bool disk_image__readonly(const struct disk_image *d);

/* [off, off + len) must lie within the image.  -1 with a message when
 * the host failed (or, writing, the image is read-only). */
int disk_image__read(struct disk_image *d, u64 off, void *buf, u64 len, char *err, size_t n);
int disk_image__write(struct disk_image *d, u64 off, const void *buf, u64 len, char *err,
		      size_t n);
/* Make the writes so far durable (nothing to do for snapshot). */
int disk_image__flush(struct disk_image *d, char *err, size_t n);

/*
 * What a recording needs to know, block by block (DISK_BLOCK_SIZE):
 * `touched` gets a block's content as it was before the guest first
 * touched it (read it, or wrote part of it), once per block; `written`
 * gets a block's content after each write to it.  A replay sees the same
 * calls at the same moments, so both can count and hash them alike.
 */
struct disk_observer {
	void (*touched)(void *opaque, u64 block, const u8 *data);
	void (*written)(void *opaque, u64 block, const u8 *data);
	void *opaque;
};

/* Start observing (a block bitmap of the image's size); -1: no memory. */
int disk_image__observe(struct disk_image *d, const struct disk_observer *o);
/* Start the observation over: the next touch of every block is a first
 * one again (a recording that starts from a running machine). */
void disk_image__forget_touched(struct disk_image *d);

/*
 * A disk with no file behind it (a replay): `size` bytes whose content,
 * until the guest writes, comes block by block from fetch (0, or -1 with
 * a message: the run cannot go on); writes are kept in memory.
 */
typedef int (*disk_fetch_fn)(void *opaque, u64 block, u8 *data, char *err, size_t n);
struct disk_image *disk_image__open_source(const char *name, u64 size, bool readonly,
					   disk_fetch_fn fetch, void *opaque);

/* Put a block's state back (a restore): touched, and, when data is not
 * NULL, holding data as written.  -1: no memory. */
int disk_image__restore_block(struct disk_image *d, u64 block, const u8 *data);

#endif
