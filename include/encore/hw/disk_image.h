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
bool disk_image__readonly(const struct disk_image *d);

/* [off, off + len) must lie within the image.  -1 with a message when
 * the host failed (or, writing, the image is read-only). */
int disk_image__read(struct disk_image *d, u64 off, void *buf, u64 len, char *err, size_t n);
int disk_image__write(struct disk_image *d, u64 off, const void *buf, u64 len, char *err,
		      size_t n);
/* Make the writes so far durable (nothing to do for snapshot). */
int disk_image__flush(struct disk_image *d, char *err, size_t n);

#endif
