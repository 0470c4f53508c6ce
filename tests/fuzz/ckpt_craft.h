/*
 * Building and repairing checkpoints files byte by byte (the layout is
 * src/snap/snap_wire.h), for the checkpoint fuzz target's mutator and
 * its seed generator, and the small fixed page store both run the
 * reader's page checks against: records whose checksums are right
 * although their contents are not what the writer would ever produce.
 */
#ifndef ENCORE_FUZZ_CKPT_CRAFT_H
#define ENCORE_FUZZ_CKPT_CRAFT_H

#include <stdbool.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

#include "encore/cpu_state.h"
#include "encore/machine.h"
#include "encore/ram.h"
#include "encore/state_parts.h"
#include "snap/snap_wire.h"

/* A 32-byte pages or checkpoints file header, checksum included. */
static inline void craft_snap_header(u8 *h, const char *magic, u64 id)
{
	memset(h, 0, SNAP_FILE_HEADER_SIZE);
	memcpy(h, magic, 8);
	put32(h + 8, SNAP_VERSION);
	put32(h + 12, SNAP_FILE_HEADER_SIZE);
	put64(h + 16, id);
	put64(h + 24, XXH3_64bits(h, 24));
}

/* Recompute both checksums of the record at `h`, whose payload follows it. */
static inline void craft_ckpt_seal(u8 *h)
{
	put64(h + 16, XXH3_64bits(h + CKPT_REC_HEADER_SIZE, get32(h + 12)));
	put64(h + 24, XXH3_64bits(h, 24));
}

/* A record of `raw` (a payload) at `out`, compressed and sealed; returns
 * its size, or 0 if it does not fit in `cap`. */
static inline size_t craft_ckpt_record(u8 *out, size_t cap, u32 index, const u8 *raw,
				       size_t raw_len)
{
	if (cap < CKPT_REC_HEADER_SIZE)
		return 0;
	size_t packed = ZSTD_compress(out + CKPT_REC_HEADER_SIZE, cap - CKPT_REC_HEADER_SIZE, raw,
				      raw_len, 1);
	if (ZSTD_isError(packed))
		return 0;
	put32(out, CKPT_REC_MAGIC);
	put32(out + 4, index);
	put32(out + 8, (u32)raw_len);
	put32(out + 12, (u32)packed);
	craft_ckpt_seal(out);
	return CKPT_REC_HEADER_SIZE + packed;
}

/* Whether a whole record with the right magic starts at `off`. */
static inline bool craft_ckpt_at(const u8 *data, size_t size, size_t off)
{
	return off >= SNAP_FILE_HEADER_SIZE && off <= size &&
	       size - off >= CKPT_REC_HEADER_SIZE && get32(data + off) == CKPT_REC_MAGIC &&
	       size - off - CKPT_REC_HEADER_SIZE >= get32(data + off + 12);
}

static inline size_t craft_ckpt_size(const u8 *data, size_t off)
{
	return CKPT_REC_HEADER_SIZE + get32(data + off + 12);
}

/* Make every checksum in the image right again: the file header's, and
 * each whole record's until one is cut off or has a bad magic. */
static inline void craft_ckpt_fix_checksums(u8 *data, size_t size)
{
	if (size < SNAP_FILE_HEADER_SIZE)
		return;
	put64(data + 24, XXH3_64bits(data, 24));
	for (size_t off = SNAP_FILE_HEADER_SIZE; craft_ckpt_at(data, size, off);
	     off += craft_ckpt_size(data, off))
		craft_ckpt_seal(data + off);
}

/* Where the pieces of a payload are, by its own size fields. */
struct craft_layout {
	u32 nparts, nvcpus, nnew, ndelta;
	size_t parts, table, delta, end;
};

/* Walk a payload of `len` bytes the way restore does; false unless its
 * info, state parts (each by its size field), new-page table and changed
 * frames fit. */
static inline bool craft_ckpt_layout(const u8 *raw, size_t len, struct craft_layout *l)
{
	if (len < CKPT_INFO_SIZE)
		return false;
	l->nparts = get32(raw + 28);
	l->nvcpus = get32(raw + 72);
	l->nnew = get32(raw + 76);
	l->ndelta = get32(raw + 80);
	if (l->nparts > CKPT_MAX_PARTS || l->nvcpus < 1 || l->nvcpus > MACHINE_MAX_VCPUS ||
	    l->nparts < 1 + l->nvcpus)
		return false;
	size_t at = CKPT_INFO_SIZE;
	l->parts = at;
	for (u32 d = 0; d < l->nparts; d++) {
		if (len - at < CKPT_PART_HEADER_SIZE)
			return false;
		u32 size = get32(raw + at + STATE_PART_NAME + 4);
		if (size > STATE_PART_MAX_SIZE || len - at - CKPT_PART_HEADER_SIZE < size)
			return false;
		at += CKPT_PART_HEADER_SIZE + size;
	}
	l->table = at;
	if ((len - at) / CKPT_NEW_PAGE_SIZE < l->nnew)
		return false;
	at += (size_t)l->nnew * CKPT_NEW_PAGE_SIZE;
	l->delta = at;
	if ((len - at) / CKPT_DELTA_SIZE < l->ndelta)
		return false;
	l->end = at + (size_t)l->ndelta * CKPT_DELTA_SIZE;
	return true;
}

/* ---- the fixed page store ---- */

#define STORE_ID 0x5707e5707e5707e5ull
#define STORE_PAGES 6
#define STORE_GOOD 4  /* pages 0-3 are good; 4 fails its hash, 5 does not decompress */
#define STORE_CAP (SNAP_FILE_HEADER_SIZE + STORE_PAGES * (PAGE_REC_HEADER_SIZE + RAM_PAGE_SIZE))

struct craft_page_ref {
	u64 offset;
	u32 packed;
	u64 lo, hi;
};

/* The content of store page k (4 stores page 0x22's hash over 0x23s). */
static inline void craft_store_page(unsigned k, u8 *page)
{
	u64 x = 0x9e3779b97f4a7c15ull;
	switch (k) {
	case 0: memset(page, 0x11, RAM_PAGE_SIZE); break;
	case 1:
		for (unsigned i = 0; i < RAM_PAGE_SIZE; i++)
			page[i] = (u8)i;
		break;
	case 2: /* incompressible: stored raw */
		for (unsigned i = 0; i < RAM_PAGE_SIZE; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			page[i] = (u8)(x >> 32);
		}
		break;
	case 3:
		memset(page, 0, RAM_PAGE_SIZE);
		memcpy(page + 100, "encore checkpoint fuzzing", 25);
		break;
	case 4: memset(page, 0x22, RAM_PAGE_SIZE); break;
	default: memset(page, 0x55, RAM_PAGE_SIZE); break;
	}
}

/* The page store at `out` (STORE_CAP bytes) and where its pages are;
 * returns its size. */
static inline size_t craft_store(u8 *out, struct craft_page_ref refs[STORE_PAGES])
{
	static u8 page[RAM_PAGE_SIZE];
	craft_snap_header(out, SNAP_PAGES_MAGIC, STORE_ID);
	size_t at = SNAP_FILE_HEADER_SIZE;
	for (unsigned k = 0; k < STORE_PAGES; k++) {
		craft_store_page(k, page);
		XXH128_hash_t h = XXH3_128bits(page, RAM_PAGE_SIZE);
		u8 *rec = out + at, *body = rec + PAGE_REC_HEADER_SIZE;
		size_t packed = ZSTD_compress(body, RAM_PAGE_SIZE, page, RAM_PAGE_SIZE, 1);
		if (ZSTD_isError(packed) || packed >= RAM_PAGE_SIZE) {
			memcpy(body, page, RAM_PAGE_SIZE);
			packed = RAM_PAGE_SIZE;
		}
		if (k == 4) { /* the right hash, other content */
			memset(page, 0x23, RAM_PAGE_SIZE);
			packed = ZSTD_compress(body, RAM_PAGE_SIZE, page, RAM_PAGE_SIZE, 1);
		} else if (k == 5) { /* not a zstd frame */
			packed = 64;
			memset(body, 0x5a, packed);
		}
		put32(rec, PAGE_REC_MAGIC);
		put32(rec + 4, (u32)packed);
		put64(rec + 8, h.low64);
		put64(rec + 16, h.high64);
		refs[k] = (struct craft_page_ref){ at, (u32)packed, h.low64, h.high64 };
		at += PAGE_REC_HEADER_SIZE + packed;
	}
	return at;
}

/*
 * Point a payload at the store: index `index`, its new pages numbered
 * from `first_page` and each a good store page (chosen by `seed`), its
 * changed frames inside its RAM size and page numbers.  What is left
 * then is what the reader's page checks cannot tell from a recording.
 * False if the payload does not add up.
 */
static inline bool craft_ckpt_retarget(u8 *raw, size_t len, u32 index, u64 first_page,
				       const struct craft_page_ref refs[STORE_PAGES], unsigned seed)
{
	struct craft_layout l;
	if (!craft_ckpt_layout(raw, len, &l))
		return false;
	put32(raw, index);
	put64(raw + 88, first_page);
	u64 bytes = 0, nframes = get64(raw + 64), pages = first_page - 1 + l.nnew;
	for (u32 q = 0; q < l.nnew; q++) {
		const struct craft_page_ref *ref = &refs[(seed + q * 3) % STORE_GOOD];
		u8 *t = raw + l.table + (size_t)q * CKPT_NEW_PAGE_SIZE;
		memset(t, 0, CKPT_NEW_PAGE_SIZE);
		put64(t, ref->offset);
		put32(t + 8, ref->packed);
		put64(t + 16, ref->lo);
		put64(t + 24, ref->hi);
		bytes += PAGE_REC_HEADER_SIZE + ref->packed;
	}
	put64(raw + 96, bytes);
	for (u32 q = 0; q < l.ndelta; q++) {
		u8 *d = raw + l.delta + (size_t)q * CKPT_DELTA_SIZE;
		if (nframes && get32(d) >= nframes)
			put32(d, (u32)(get32(d) % nframes));
		if (get32(d + 4) > pages)
			put32(d + 4, (u32)(get32(d + 4) % (pages + 1)));
	}
	return true;
}

#endif
