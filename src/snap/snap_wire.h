/*
 * The byte layout of a recording's checkpoints and page store, shared by
 * their writer and reader (docs/recording-format.md describes it for
 * people).  Little-endian.
 *
 * pages:       file header, then page records: magic "PAGE", packed size
 *              (RAM_PAGE_SIZE = stored raw), XXH3-128 of the page, and the
 *              zstd frame (or raw page).  Records are only appended; each
 *              is written before any checkpoint that refers to it.
 * checkpoints: file header, then one record per checkpoint: a 32-byte
 *              header (magic "CKPT", index, raw and packed payload sizes,
 *              payload checksum, header checksum) and a zstd payload:
 *              info, the state parts (scheduler, each vCPU, each device:
 *              name, layout version, size, bytes; encore/state_parts.h),
 *              the page table entries of the pages new in this
 *              checkpoint, and the frames whose content changed since
 *              the previous one with their page numbers (0 = the zero
 *              page, never stored).
 */
#ifndef ENCORE_SNAP_WIRE_H
#define ENCORE_SNAP_WIRE_H

#include "encore/le_bytes.h"
#include "encore/machine.h"

#define SNAP_PAGES_FILE "pages"
#define SNAP_CKPTS_FILE "checkpoints"
#define SNAP_PAGES_MAGIC "ENCPAGES"
#define SNAP_CKPTS_MAGIC "ENCCKPTS"
#define SNAP_VERSION 3u /* 2: versioned state parts, several vCPUs; 3: checksums of
			  * the page store and console per checkpoint */
#define SNAP_FILE_HEADER_SIZE 32u  /* magic[8], version, header size, id, checksum */

#define PAGE_REC_MAGIC 0x45474150u /* "PAGE" */
#define PAGE_REC_HEADER_SIZE 24u   /* magic, packed size, hash low, hash high */

#define CKPT_REC_MAGIC 0x54504b43u /* "CKPT" */
#define CKPT_REC_HEADER_SIZE 32u   /* magic, index, raw, packed, payload sum, header sum */
#define CKPT_MAX_RAW (1u << 30)

#define CKPT_INFO_SIZE 128u
#define CKPT_PART_HEADER_SIZE 24u  /* name[16], layout version, size */
#define CKPT_MAX_PARTS (1u + MACHINE_MAX_VCPUS + MACHINE_MAX_DEVICES)
#define CKPT_NEW_PAGE_SIZE 32u     /* offset, packed size, 0, hash low, hash high */
#define CKPT_DELTA_SIZE 8u         /* frame, page number */

#define CKPT_FLAG_FINAL 1u         /* taken where the run ended */
#define CKPT_MACHINE_IRQ_CHANGED 1u

/* The info block at the start of a checkpoint's payload. */
struct ckpt_info {
	u32 index, flags;
	u64 insns, idle_ns;
	u32 seq;                /* the landmark's poll ordinal */
	u32 nparts;             /* state parts that follow the info */
	u64 state_hash;
	u64 console_bytes;
	u64 event_index;        /* its CHECKPOINT (or, final, END) event */
	u64 dirty_frames;       /* frames written in the interval before it */
	u64 nframes;            /* guest RAM frames */
	u32 nvcpus, nnew, ndelta, machine_flags;
	u64 first_page;         /* number of its first new page */
	u64 new_packed_bytes;   /* what its new pages take in the page store */
	u64 pages_start;        /* where in the page store its new pages begin */
	u64 pages_sum;          /* XXH3-64 of those new_packed_bytes bytes */
	u64 console_sum;        /* XXH3-64 of the first console_bytes of console.out */
};

static inline void ckpt_info__put(u8 *p, const struct ckpt_info *i)
{
	memset(p, 0, CKPT_INFO_SIZE);
	put32(p + 0, i->index);
	put32(p + 4, i->flags);
	put64(p + 8, i->insns);
	put64(p + 16, i->idle_ns);
	put32(p + 24, i->seq);
	put32(p + 28, i->nparts);
	put64(p + 32, i->state_hash);
	put64(p + 40, i->console_bytes);
	put64(p + 48, i->event_index);
	put64(p + 56, i->dirty_frames);
	put64(p + 64, i->nframes);
	put32(p + 72, i->nvcpus);
	put32(p + 76, i->nnew);
	put32(p + 80, i->ndelta);
	put32(p + 84, i->machine_flags);
	put64(p + 88, i->first_page);
	put64(p + 96, i->new_packed_bytes);
	put64(p + 104, i->pages_start);
	put64(p + 112, i->pages_sum);
	put64(p + 120, i->console_sum);
}

static inline void ckpt_info__get(const u8 *p, struct ckpt_info *i)
{
	i->index = get32(p + 0);
	i->flags = get32(p + 4);
	i->insns = get64(p + 8);
	i->idle_ns = get64(p + 16);
	i->seq = get32(p + 24);
	i->nparts = get32(p + 28);
	i->state_hash = get64(p + 32);
	i->console_bytes = get64(p + 40);
	i->event_index = get64(p + 48);
	i->dirty_frames = get64(p + 56);
	i->nframes = get64(p + 64);
	i->nvcpus = get32(p + 72);
	i->nnew = get32(p + 76);
	i->ndelta = get32(p + 80);
	i->machine_flags = get32(p + 84);
	i->first_page = get64(p + 88);
	i->new_packed_bytes = get64(p + 96);
	i->pages_start = get64(p + 104);
	i->pages_sum = get64(p + 112);
	i->console_sum = get64(p + 120);
}

#endif
