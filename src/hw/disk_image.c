/* A raw disk image on the host (encore/hw/disk_image.h). */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encore/errmsg.h"
#include "encore/hw/disk_image.h"

/* snapshot: the blocks written, by block number (open addressing). */
struct overlay_slot {
	u64 block;
	u8 *data;            /* NULL: empty slot */
};

struct disk_image {
	int fd;
	char path[4096];
	u64 size;
	bool readonly, snapshot;
	struct overlay_slot *slots;
	u64 nslots, used;    /* nslots a power of 2 */
};

static int open_file(struct disk_image *d, const char *path, char *err, size_t n)
{
	bool write = !d->readonly && !d->snapshot;
	d->fd = open(path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (d->fd < 0 && write && (errno == EACCES || errno == EROFS || errno == EPERM))
		return errmsg(err, n, "disk image %s is not writable (%s); add ',readonly' or "
			      "',snapshot=on' to use it without writing", path, strerror(errno));
	if (d->fd < 0 && errno == EISDIR)
		return errmsg(err, n, "disk image %s is a directory", path);
	if (d->fd < 0)
		return errmsg(err, n, "cannot open disk image %s: %s", path, strerror(errno));
	if (flock(d->fd, (write ? LOCK_EX : LOCK_SH) | LOCK_NB))
		return errmsg(err, n, "disk image %s is in use by another process (%s)", path,
			      errno == EWOULDBLOCK ? "it holds a lock on it" : strerror(errno));
	return 0;
}

static int check_size(struct disk_image *d, const char *path, char *err, size_t n)
{
	struct stat st;
	if (fstat(d->fd, &st))
		return errmsg(err, n, "cannot stat disk image %s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return errmsg(err, n, "disk image %s is a directory", path);
	off_t end = lseek(d->fd, 0, SEEK_END); /* a block device's size too */
	if (end < 0)
		return errmsg(err, n, "cannot find the size of disk image %s: %s", path,
			      strerror(errno));
	if (end == 0)
		return errmsg(err, n, "disk image %s is empty", path);
	if (end % DISK_SECTOR_SIZE)
		return errmsg(err, n, "disk image %s is %lld bytes, not a multiple of %u (a raw "
			      "image is whole sectors)", path, (long long)end, DISK_SECTOR_SIZE);
	d->size = (u64)end;
	return 0;
}

struct disk_image *disk_image__open(const char *path, bool readonly, bool snapshot, char *err,
				    size_t n)
{
	struct disk_image *d = calloc(1, sizeof(*d));
	if (!d) {
		errmsg(err, n, "out of memory opening disk image %s", path);
		return NULL;
	}
	d->fd = -1;
	d->readonly = readonly;
	d->snapshot = snapshot;
	snprintf(d->path, sizeof(d->path), "%s", path);
	if (open_file(d, path, err, n) || check_size(d, path, err, n)) {
		disk_image__close(d);
		return NULL;
	}
	return d;
}

void disk_image__close(struct disk_image *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	for (u64 k = 0; k < d->nslots; k++)
		free(d->slots[k].data);
	free(d->slots);
	free(d);
}

u64 disk_image__size(const struct disk_image *d)
{
	return d->size;
}

bool disk_image__readonly(const struct disk_image *d)
{
	return d->readonly;
}

/* ---- the file ---- */

static int file_read(struct disk_image *d, u64 off, u8 *buf, u64 len, char *err, size_t n)
{
	while (len) {
		ssize_t got = pread(d->fd, buf, len, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errmsg(err, n, "reading disk image %s at byte %llu: %s", d->path,
				      (unsigned long long)off, strerror(errno));
		if (got == 0) /* the file shrank under us: what is gone reads as zeros */
			return memset(buf, 0, len), 0;
		buf += got;
		off += (u64)got;
		len -= (u64)got;
	}
	return 0;
}

static int file_write(struct disk_image *d, u64 off, const u8 *buf, u64 len, char *err, size_t n)
{
	while (len) {
		ssize_t put = pwrite(d->fd, buf, len, (off_t)off);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return errmsg(err, n, "writing disk image %s at byte %llu: %s", d->path,
				      (unsigned long long)off, put < 0 ? strerror(errno) : "no progress");
		buf += put;
		off += (u64)put;
		len -= (u64)put;
	}
	return 0;
}

/* ---- the snapshot overlay ---- */

static u64 slot_of(const struct disk_image *d, u64 block)
{
	u64 h = block * 0x9e3779b97f4a7c15ull;
	return (h ^ h >> 29) & (d->nslots - 1);
}

static u8 *overlay_find(const struct disk_image *d, u64 block)
{
	if (!d->nslots)
		return NULL;
	for (u64 k = slot_of(d, block);; k = (k + 1) & (d->nslots - 1)) {
		if (!d->slots[k].data)
			return NULL;
		if (d->slots[k].block == block)
			return d->slots[k].data;
	}
}

static void overlay_put(struct disk_image *d, u64 block, u8 *data)
{
	u64 k = slot_of(d, block);
	while (d->slots[k].data)
		k = (k + 1) & (d->nslots - 1);
	d->slots[k] = (struct overlay_slot){ block, data };
	d->used++;
}

/* Keep the table at most half full. */
static int overlay_grow(struct disk_image *d)
{
	if (2 * (d->used + 1) <= d->nslots)
		return 0;
	struct overlay_slot *old = d->slots;
	u64 nold = d->nslots;
	d->nslots = nold ? 2 * nold : 1024;
	d->slots = calloc(d->nslots, sizeof(*d->slots));
	if (!d->slots) {
		d->slots = old;
		d->nslots = nold;
		return -1;
	}
	d->used = 0;
	for (u64 k = 0; k < nold; k++)
		if (old[k].data)
			overlay_put(d, old[k].block, old[k].data);
	free(old);
	return 0;
}

/* The overlay's copy of `block`, made from the file on first write. */
static u8 *overlay_block(struct disk_image *d, u64 block, char *err, size_t n)
{
	u8 *data = overlay_find(d, block);
	if (data)
		return data;
	data = malloc(DISK_BLOCK_SIZE);
	if (!data || overlay_grow(d)) {
		free(data);
		errmsg(err, n, "out of memory keeping the writes to disk image %s (snapshot=on)",
		       d->path);
		return NULL;
	}
	u64 off = block * DISK_BLOCK_SIZE;
	u64 len = d->size - off < DISK_BLOCK_SIZE ? d->size - off : DISK_BLOCK_SIZE;
	memset(data + len, 0, DISK_BLOCK_SIZE - len);
	if (file_read(d, off, data, len, err, n)) {
		free(data);
		return NULL;
	}
	overlay_put(d, block, data);
	return data;
}

/* ---- sector access ---- */

int disk_image__read(struct disk_image *d, u64 off, void *buf, u64 len, char *err, size_t n)
{
	if (!d->snapshot || !d->used)
		return file_read(d, off, buf, len, err, n);
	u8 *out = buf;
	while (len) {
		u64 block = off / DISK_BLOCK_SIZE, in = off % DISK_BLOCK_SIZE;
		u64 take = DISK_BLOCK_SIZE - in < len ? DISK_BLOCK_SIZE - in : len;
		const u8 *data = overlay_find(d, block);
		if (data)
			memcpy(out, data + in, take);
		else if (file_read(d, off, out, take, err, n))
			return -1;
		out += take;
		off += take;
		len -= take;
	}
	return 0;
}

int disk_image__write(struct disk_image *d, u64 off, const void *buf, u64 len, char *err,
		      size_t n)
{
	if (d->readonly)
		return errmsg(err, n, "disk image %s is read-only", d->path);
	if (!d->snapshot)
		return file_write(d, off, buf, len, err, n);
	const u8 *in = buf;
	while (len) {
		u64 block = off / DISK_BLOCK_SIZE, at = off % DISK_BLOCK_SIZE;
		u64 take = DISK_BLOCK_SIZE - at < len ? DISK_BLOCK_SIZE - at : len;
		u8 *data = overlay_block(d, block, err, n);
		if (!data)
			return -1;
		memcpy(data + at, in, take);
		in += take;
		off += take;
		len -= take;
	}
	return 0;
}

int disk_image__flush(struct disk_image *d, char *err, size_t n)
{
	if (d->readonly || d->snapshot)
		return 0;
	if (fdatasync(d->fd))
		return errmsg(err, n, "flushing disk image %s: %s", d->path, strerror(errno));
	return 0;
}
