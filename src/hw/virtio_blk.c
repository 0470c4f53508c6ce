/* A virtio block device on a disk image (encore/hw/virtio_blk.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encore/hw.h"
#include "encore/hw/virtio_blk.h"
#include "encore/le_bytes.h"

#include <xxhash.h>

/* Feature bits. */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9

/* Request types and statuses. */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

/* struct virtio_blk_config, up to the fields this device offers. */
#define CONFIG_CAPACITY 0x00
#define CONFIG_SIZE_MAX 0x08
#define CONFIG_SEG_MAX 0x0c
#define CONFIG_BLK_SIZE 0x14
#define CONFIG_SIZE 0x3c

#define QUEUE_SIZE 256
#define SEG_MAX 128        /* data buffers per request */
#define SIZE_MAX_BYTES (1u << 20)
#define HEADER_BYTES 16    /* type, reserved, sector */
#define CHUNK (64u << 10)  /* bytes moved between image and RAM at a time */

struct virtio_blk {
	struct virtio_blk_disk_state s;
	char name[16];
	char part[24];     /* its saved state's name */
	struct disk_image *image;
	struct disk_history history;
	unsigned disk;     /* its number in the history's eyes */
	struct virtio_transport t;
	u8 config[CONFIG_SIZE];
	struct virtq_buf bufs[SEG_MAX + 2];
	u8 chunk[CHUNK];
	bool reported;     /* a host I/O error was reported on stderr */
};

static void config_access(void *opaque, unsigned off, u8 *data, unsigned len, bool is_write)
{
	struct virtio_blk *b = opaque;
	if (!is_write)
		memcpy(data, b->config + off, len); /* the transport checked off + len */
}

/* A host failure reaches the guest as an I/O error; the user hears of
 * it once. */
static u8 host_error(struct virtio_blk *b, const char *why)
{
	if (!b->reported)
		fprintf(stderr, "encore: %s: %s; the guest gets an I/O error\n", b->name, why);
	b->reported = true;
	return VIRTIO_BLK_S_IOERR;
}

/* Moves `len` bytes between the image at byte `pos` and the request's
 * data buffers (after the header when writing to the image). */
static u8 transfer(struct virtio_blk *b, struct encore_machine *m, const struct virtq_req *r,
		   u64 pos, u64 len, bool to_image)
{
	char err[256];
	for (u64 done = 0; done < len;) {
		u64 n = len - done < CHUNK ? len - done : CHUNK;
		if (to_image) {
			if (virtq_req__read(m, r, HEADER_BYTES + done, b->chunk, n))
				return VIRTIO_BLK_S_IOERR;
			if (disk_image__write(b->image, pos + done, b->chunk, n, err, sizeof(err)))
				return host_error(b, err);
		} else {
			if (disk_image__read(b->image, pos + done, b->chunk, n, err, sizeof(err)))
				return host_error(b, err);
			if (virtq_req__write(m, r, done, b->chunk, n))
				return VIRTIO_BLK_S_IOERR;
		}
		done += n;
	}
	return VIRTIO_BLK_S_OK;
}

/* A read or write of `len` bytes at `sector`: whole sectors, inside the disk. */
static u8 read_write(struct virtio_blk *b, struct encore_machine *m, const struct virtq_req *r,
		     u64 sector, u64 len, bool write)
{
	u64 size = disk_image__size(b->image);
	if (len % DISK_SECTOR_SIZE || sector > size / DISK_SECTOR_SIZE ||
	    len > size - sector * DISK_SECTOR_SIZE)
		return VIRTIO_BLK_S_IOERR;
	if (write && disk_image__readonly(b->image))
		return VIRTIO_BLK_S_IOERR;
	return transfer(b, m, r, sector * DISK_SECTOR_SIZE, len, write);
}

static u8 get_id(struct virtio_blk *b, struct encore_machine *m, const struct virtq_req *r,
		 u64 room, u32 *written)
{
	u8 id[VIRTIO_BLK_ID_BYTES] = { 0 };
	memcpy(id, b->name, strnlen(b->name, sizeof(b->name)));
	u64 n = room < sizeof(id) ? room : sizeof(id);
	if (virtq_req__write(m, r, 0, id, n))
		return VIRTIO_BLK_S_IOERR;
	*written = (u32)n;
	return VIRTIO_BLK_S_OK;
}

/* Carries out request r; returns the bytes written into its buffers,
 * the status byte (its last writable byte) included. */
static u32 handle(struct virtio_blk *b, struct encore_machine *m, const struct virtq_req *r)
{
	u8 header[HEADER_BYTES];
	u64 data_in = r->writable - 1; /* room before the status byte */
	u32 written = 0;
	u8 status;
	if (virtq_req__read(m, r, 0, header, sizeof(header))) {
		status = VIRTIO_BLK_S_IOERR;
	} else {
		u32 type = get32(header);
		u64 sector = get64(header + 8);
		switch (type) {
		case VIRTIO_BLK_T_IN:
			status = read_write(b, m, r, sector, data_in, false);
			written = status == VIRTIO_BLK_S_OK ? (u32)data_in : 0;
			break;
		case VIRTIO_BLK_T_OUT:
			status = read_write(b, m, r, sector, r->readable - HEADER_BYTES, true);
			break;
		case VIRTIO_BLK_T_FLUSH: {
			char err[256];
			status = disk_image__flush(b->image, err, sizeof(err)) ? host_error(b, err)
									       : VIRTIO_BLK_S_OK;
			break;
		}
		case VIRTIO_BLK_T_GET_ID: status = get_id(b, m, r, data_in, &written); break;
		default: status = VIRTIO_BLK_S_UNSUPP; break;
		}
	}
	virtq_req__write(m, r, data_in, &status, 1);
	return written + 1;
}

/* A request the device cannot answer at all breaks the queue. */
static const char *malformed(const struct virtq_req *r)
{
	if (r->readable < HEADER_BYTES)
		return "a request without its 16-byte header";
	if (!r->writable)
		return "a request without a status byte";
	return NULL;
}

/* Carry out every request available, then interrupt once. */
static void notify(void *opaque, unsigned k)
{
	struct virtio_blk *b = opaque;
	struct encore_machine *m = b->t.m;
	struct virtq *q = virtio__queue(&b->t, k);
	if (!q)
		return;
	u16 old_used = q->used_idx;
	struct virtq_req r = { .bufs = b->bufs, .cap = SEG_MAX + 2 };
	int got;
	while ((got = virtq__pop(q, m, &r)) > 0) {
		const char *why = malformed(&r);
		if (why) {
			snprintf(q->error, sizeof(q->error), "request %u: %s", r.head, why);
			q->broken = true;
			break;
		}
		if (virtq__push(q, m, r.head, handle(b, m, &r)))
			break;
	}
	if (!q->broken)
		virtq__want_notify(q, m);
	if (q->broken)
		virtio__queue_broken(&b->t, k);
	virtio__queue_done(&b->t, k, old_used);
}

static void destroy(void *opaque)
{
	struct virtio_blk *b = opaque;
	disk_image__close(b->image);
	free(b);
}

/* ---- the disk's history ---- */

/* The part's `destroy`: b goes with its transport. */
static void forget(void *opaque)
{
	(void)opaque;
}

static void note_entry(struct virtio_blk *b, enum disk_entry_kind kind, u64 block, const u8 *data)
{
	u64 seed = b->s.digest ^ ((u64)kind << 56) ^ (block * 0x9e3779b97f4a7c15ull);
	b->s.digest = XXH3_64bits_withSeed(data, DISK_BLOCK_SIZE, seed);
	b->s.entries++;
	if (b->history.entry)
		b->history.entry(b->history.opaque, b->disk, kind, block, data);
}

static void touched(void *opaque, u64 block, const u8 *data)
{
	note_entry(opaque, DISK_ENTRY_BASE, block, data);
}

static void written(void *opaque, u64 block, const u8 *data)
{
	note_entry(opaque, DISK_ENTRY_WRITTEN, block, data);
}

/* A checkpoint put the counters back: the disk must be as they say. */
static void restored(void *opaque)
{
	struct virtio_blk *b = opaque;
	char err[512];
	if (!b->history.rebuild) {
		fprintf(stderr, "encore: %s: a checkpoint was restored with no disk history to "
			"rebuild the disk from\n", b->name);
		exit(2);
	}
	if (b->history.rebuild(b->history.opaque, b->disk, b->s.entries, b->image, err,
			       sizeof(err))) {
		fprintf(stderr, "encore: %s: cannot rebuild the disk at the checkpoint: %s\n",
			b->name, err);
		exit(2);
	}
}

void virtio_blk__set_history(struct virtio_blk *b, unsigned disk, const struct disk_history *h)
{
	b->disk = disk;
	b->history = *h;
}

void virtio_blk__restart_history(struct virtio_blk *b, unsigned disk,
				 const struct disk_history *h)
{
	virtio_blk__set_history(b, disk, h);
	b->s = (struct virtio_blk_disk_state){ 0 };
	disk_image__forget_touched(b->image);
}

static void fill_config(struct virtio_blk *b)
{
	put64(b->config + CONFIG_CAPACITY, disk_image__size(b->image) / DISK_SECTOR_SIZE);
	put32(b->config + CONFIG_SIZE_MAX, SIZE_MAX_BYTES);
	put32(b->config + CONFIG_SEG_MAX, SEG_MAX);
	put32(b->config + CONFIG_BLK_SIZE, DISK_SECTOR_SIZE);
}

struct virtio_blk *virtio_blk__create(struct encore_machine *m, struct virtio_slot at,
				      const char *name, struct disk_image *image)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	struct disk_observer obs = { touched, written, b };
	if (!b || disk_image__observe(image, &obs)) {
		free(b);
		disk_image__close(image);
		return NULL;
	}
	snprintf(b->name, sizeof(b->name), "%s", name);
	snprintf(b->part, sizeof(b->part), "%s-disk", name);
	b->image = image;
	fill_config(b);
	u64 features = 1ull << VIRTIO_BLK_F_SIZE_MAX | 1ull << VIRTIO_BLK_F_SEG_MAX |
		       1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_FLUSH;
	if (disk_image__readonly(image))
		features |= 1ull << VIRTIO_BLK_F_RO;
	struct virtio_device d = {
		.name = b->name, .type = VIRTIO_ID_BLOCK, .features = features, .nqueues = 1,
		.queue_size = QUEUE_SIZE, .config_size = CONFIG_SIZE, .config_access = config_access,
		.notify = notify, .destroy = destroy, .opaque = b,
	};
	if (virtio__attach(m, at, &d, &b->t))
		return NULL;
	/* The transport owns b; this part only points at its counters. */
	struct device part = { .name = b->part, .state = &b->s, .state_size = sizeof(b->s),
			       .version = VIRTIO_BLK_DISK_STATE_VERSION, .restored = restored,
			       .destroy = forget, .dev = b };
	return machine__add_device(m, &part) ? NULL : b;
}
