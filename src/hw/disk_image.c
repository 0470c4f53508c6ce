/* A raw disk image on the host (encore/hw/disk_image.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encore/errmsg.h"
#include "encore/hw/disk_image.h"
#include "encore/u64_table.h"

struct disk_image {
	int fd;              /* -1: a source-backed disk (a replay) */
	char path[4096];
	u64 size;
	bool readonly, snapshot;
	struct u64_table overlay; /* snapshot: block -> its written copy (a u8 *) */
	disk_fetch_fn fetch; /* the base content of a source-backed disk */
	void *fetch_opaque;
	/* The base block fetched last: a first read fetches for the observer
	 * and for the read itself, and base content never changes. */
	u64 cached_block;    /* UINT64_MAX: none */
	u8 cached[DISK_BLOCK_SIZE];
	struct disk_observer obs;
	u64 *touched;        /* with an observer: a bit per block touched */
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
	for (u64 k = 0; d->overlay.slots && k <= d->overlay.mask; k++)
		if (d->overlay.slots[k].key != U64_TABLE_FREE)
			free((u8 *)(uintptr_t)d->overlay.slots[k].value);
	u64_table__free(&d->overlay);
	free(d->touched);
	free(d);
}

u64 disk_image__size(const struct disk_image *d)
{
	return d->size;
}

u64 disk_image__blocks(const struct disk_image *d)
{
	return (d->size + DISK_BLOCK_SIZE - 1) / DISK_BLOCK_SIZE;
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

/* ---- the base content: the file, or a source ---- */

static u64 block_bytes(const struct disk_image *d, u64 block)
{
	u64 off = block * DISK_BLOCK_SIZE;
	return d->size - off < DISK_BLOCK_SIZE ? d->size - off : DISK_BLOCK_SIZE;
}

/* Block `block` as it is under the overlay, zero-padded past the end. */
static int base_block(struct disk_image *d, u64 block, u8 *data, char *err, size_t n)
{
	if (d->fetch && block == d->cached_block) {
		memcpy(data, d->cached, DISK_BLOCK_SIZE);
		return 0;
	}
	if (d->fetch) {
		if (d->fetch(d->fetch_opaque, block, data, err, n))
			return -1;
		memcpy(d->cached, data, DISK_BLOCK_SIZE);
		d->cached_block = block;
		return 0;
	}
	u64 len = block_bytes(d, block);
	memset(data + len, 0, DISK_BLOCK_SIZE - len);
	return file_read(d, block * DISK_BLOCK_SIZE, data, len, err, n);
}

/* [off, off + len) of the base content. */
static int base_read(struct disk_image *d, u64 off, u8 *buf, u64 len, char *err, size_t n)
{
	if (!d->fetch)
		return file_read(d, off, buf, len, err, n);
	u8 data[DISK_BLOCK_SIZE];
	while (len) {
		u64 block = off / DISK_BLOCK_SIZE, in = off % DISK_BLOCK_SIZE;
		u64 take = DISK_BLOCK_SIZE - in < len ? DISK_BLOCK_SIZE - in : len;
		if (base_block(d, block, data, err, n))
			return -1;
		memcpy(buf, data + in, take);
		buf += take;
		off += take;
		len -= take;
	}
	return 0;
}

/* ---- the snapshot overlay ---- */

static u8 *overlay_find(const struct disk_image *d, u64 block)
{
	const u64 *v = d->overlay.slots ? u64_table__find(&d->overlay, block) : NULL;
	return v ? (u8 *)(uintptr_t)*v : NULL;
}

/* A new overlay block of zeros. */
static u8 *overlay_new(struct disk_image *d, u64 block, char *err, size_t n)
{
	u8 *data = calloc(1, DISK_BLOCK_SIZE);
	u64 *v = data && (d->overlay.slots || !u64_table__init(&d->overlay))
			 ? u64_table__value(&d->overlay, block) : NULL;
	if (!v) {
		free(data);
		errmsg(err, n, "out of memory keeping the writes to disk image %s", d->path);
		return NULL;
	}
	*v = (uintptr_t)data;
	return data;
}

/* The overlay's copy of `block`, made from the base on first write. */
static u8 *overlay_block(struct disk_image *d, u64 block, char *err, size_t n)
{
	u8 *data = overlay_find(d, block);
	if (data)
		return data;
	u8 base[DISK_BLOCK_SIZE];
	if (base_block(d, block, base, err, n) || !(data = overlay_new(d, block, err, n)))
		return NULL;
	memcpy(data, base, DISK_BLOCK_SIZE);
	return data;
}

/* ---- sector access ---- */

static int observe_touch(struct disk_image *d, u64 off, u64 len, bool write, char *err,
			 size_t n);

int disk_image__read(struct disk_image *d, u64 off, void *buf, u64 len, char *err, size_t n)
{
	if (observe_touch(d, off, len, false, err, n))
		return -1;
	if (!d->snapshot || !d->overlay.used)
		return base_read(d, off, buf, len, err, n);
	u8 *out = buf;
	while (len) {
		u64 block = off / DISK_BLOCK_SIZE, in = off % DISK_BLOCK_SIZE;
		u64 take = DISK_BLOCK_SIZE - in < len ? DISK_BLOCK_SIZE - in : len;
		const u8 *data = overlay_find(d, block);
		if (data)
			memcpy(out, data + in, take);
		else if (base_read(d, off, out, take, err, n))
			return -1;
		out += take;
		off += take;
		len -= take;
	}
	return 0;
}

static int overlay_write(struct disk_image *d, u64 off, const u8 *in, u64 len, char *err,
			 size_t n);
static int observe_touch(struct disk_image *d, u64 off, u64 len, bool write, char *err,
			 size_t n);
static int observe_written(struct disk_image *d, u64 off, u64 len, char *err, size_t n);

int disk_image__write(struct disk_image *d, u64 off, const void *buf, u64 len, char *err,
		      size_t n)
{
	if (d->readonly)
		return errmsg(err, n, "disk image %s is read-only", d->path);
	if (observe_touch(d, off, len, true, err, n))
		return -1;
	int r = d->snapshot ? overlay_write(d, off, buf, len, err, n)
			    : file_write(d, off, buf, len, err, n);
	return r ? r : observe_written(d, off, len, err, n);
}

static int overlay_write(struct disk_image *d, u64 off, const u8 *in, u64 len, char *err,
			 size_t n)
{
	while (len) {
		u64 block = off / DISK_BLOCK_SIZE, at = off % DISK_BLOCK_SIZE;
		u64 take = DISK_BLOCK_SIZE - at < len ? DISK_BLOCK_SIZE - at : len;
		/* A block written whole needs no base (a replay may not have it). */
		bool whole = at == 0 && take == block_bytes(d, block);
		u8 *data = overlay_find(d, block);
		if (!data)
			data = whole ? overlay_new(d, block, err, n) : overlay_block(d, block, err, n);
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
	if (d->readonly || d->snapshot || d->fd < 0)
		return 0;
	if (fdatasync(d->fd))
		return errmsg(err, n, "flushing disk image %s: %s", d->path, strerror(errno));
	return 0;
}

/* ---- observing, for recordings ---- */

int disk_image__observe(struct disk_image *d, const struct disk_observer *o)
{
	free(d->touched);
	d->touched = calloc((disk_image__blocks(d) + 63) / 64, sizeof(u64));
	if (!d->touched)
		return -1;
	d->obs = *o;
	return 0;
}

void disk_image__forget_touched(struct disk_image *d)
{
	if (d->touched)
		memset(d->touched, 0, (disk_image__blocks(d) + 63) / 64 * sizeof(u64));
}

static bool is_touched(const struct disk_image *d, u64 block)
{
	return d->touched[block / 64] >> (block % 64) & 1;
}

static void set_touched(struct disk_image *d, u64 block)
{
	d->touched[block / 64] |= 1ull << (block % 64);
}

/* Before an access: each block touched for the first time is reported
 * with its content before the access, unless a write replaces it whole. */
static int observe_touch(struct disk_image *d, u64 off, u64 len, bool write, char *err,
			 size_t n)
{
	if (!d->touched || !len)
		return 0;
	u8 data[DISK_BLOCK_SIZE];
	for (u64 b = off / DISK_BLOCK_SIZE; b <= (off + len - 1) / DISK_BLOCK_SIZE; b++) {
		if (is_touched(d, b))
			continue;
		u64 start = b * DISK_BLOCK_SIZE;
		bool whole = write && off <= start && off + len >= start + block_bytes(d, b);
		if (!whole) {
			const u8 *mine = d->snapshot ? overlay_find(d, b) : NULL;
			if (mine)
				memcpy(data, mine, DISK_BLOCK_SIZE);
			else if (base_block(d, b, data, err, n))
				return -1;
			d->obs.touched(d->obs.opaque, b, data);
		}
		set_touched(d, b);
	}
	return 0;
}

/* After a write: each block written, as it is now. */
static int observe_written(struct disk_image *d, u64 off, u64 len, char *err, size_t n)
{
	if (!d->touched || !len)
		return 0;
	u8 data[DISK_BLOCK_SIZE];
	for (u64 b = off / DISK_BLOCK_SIZE; b <= (off + len - 1) / DISK_BLOCK_SIZE; b++) {
		const u8 *mine = d->snapshot ? overlay_find(d, b) : NULL;
		if (mine)
			memcpy(data, mine, DISK_BLOCK_SIZE);
		else if (base_block(d, b, data, err, n))
			return -1;
		d->obs.written(d->obs.opaque, b, data);
	}
	return 0;
}

/* ---- a disk with no file: a replay ---- */

struct disk_image *disk_image__open_source(const char *name, u64 size, bool readonly,
					   disk_fetch_fn fetch, void *opaque)
{
	struct disk_image *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->fd = -1;
	snprintf(d->path, sizeof(d->path), "%s", name);
	d->size = size;
	d->readonly = readonly;
	d->snapshot = true; /* every write stays in memory */
	d->fetch = fetch;
	d->fetch_opaque = opaque;
	d->cached_block = UINT64_MAX;
	return d;
}

int disk_image__restore_block(struct disk_image *d, u64 block, const u8 *data)
{
	if (block >= disk_image__blocks(d))
		return -1;
	if (d->touched)
		set_touched(d, block);
	if (!data)
		return 0;
	char err[64];
	u8 *mine = overlay_find(d, block);
	if (!mine && !(mine = overlay_new(d, block, err, sizeof(err))))
		return -1;
	memcpy(mine, data, DISK_BLOCK_SIZE);
	return 0;
}
