/*
 * Building and repairing events.log images byte by byte (the layout is
 * src/rr/log_wire.h), for the fuzz target's mutator and the seed
 * generator: both need blocks whose checksums are right although their
 * contents are not what the writer would ever produce.
 */
#ifndef ENCORE_FUZZ_LOG_CRAFT_H
#define ENCORE_FUZZ_LOG_CRAFT_H

#include <xxhash.h>
#include <zstd.h>

#include "rr/log_wire.h"

/* The 32-byte file header, checksum included. */
static inline void craft_header(u8 *h, u32 version, u64 id)
{
	memcpy(h, RR_LOG_MAGIC, 8);
	put32(h + 8, version);
	put32(h + 12, LOG_HEADER_SIZE);
	put64(h + 16, id);
	put64(h + 24, XXH3_64bits(h, 24));
}

/* Recompute the checksum of the block at `h`, whose payload follows it. */
static inline void craft_seal_block(u8 *h)
{
	u32 packed = get32(h + 12);
	put64(h + 40, XXH3_64bits_withSeed(h + BLOCK_HEADER_SIZE, packed, XXH3_64bits(h, 40)));
}

/* A block of `raw` (encoded events) at `out`, compressed and sealed;
 * returns its size, or 0 if it does not fit in `cap`. */
static inline size_t craft_block(u8 *out, size_t cap, u32 index, const u8 *raw, size_t raw_len,
				 u32 count, const struct rr_landmark *through)
{
	if (cap < BLOCK_HEADER_SIZE)
		return 0;
	size_t packed = ZSTD_compress(out + BLOCK_HEADER_SIZE, cap - BLOCK_HEADER_SIZE, raw,
				      raw_len, 1);
	if (ZSTD_isError(packed))
		return 0;
	put32(out, BLOCK_MAGIC);
	put32(out + 4, index);
	put32(out + 8, (u32)raw_len);
	put32(out + 12, (u32)packed);
	put32(out + 16, count);
	put32(out + 20, through->seq);
	put64(out + 24, through->insns);
	put64(out + 32, through->idle_ns);
	craft_seal_block(out);
	return BLOCK_HEADER_SIZE + packed;
}

/* The offset of the next whole block at or after `off` with the right
 * magic, or 0 if there is none. */
static inline size_t craft_next_block(const u8 *data, size_t size, size_t off)
{
	if (off < LOG_HEADER_SIZE || off > size || size - off < BLOCK_HEADER_SIZE)
		return 0;
	if (get32(data + off) != BLOCK_MAGIC || size - off - BLOCK_HEADER_SIZE < get32(data + off + 12))
		return 0;
	return off;
}

/* Make every checksum in the image right again: the header's, and each
 * whole block's from the start until one is cut off or has a bad magic. */
static inline void craft_fix_checksums(u8 *data, size_t size)
{
	if (size < LOG_HEADER_SIZE)
		return;
	put64(data + 24, XXH3_64bits(data, 24));
	for (size_t off = LOG_HEADER_SIZE; craft_next_block(data, size, off);
	     off += BLOCK_HEADER_SIZE + get32(data + off + 12))
		craft_seal_block(data + off);
}

/* Append one encoded event (`body_len` bytes of body) at raw + *len. */
static inline void craft_event(u8 *raw, size_t *len, u8 kind, u16 body_len,
			       const struct rr_landmark *at, const u8 *body)
{
	u8 *e = raw + *len;
	e[0] = kind;
	e[1] = 0;
	put16(e + 2, body_len);
	put64(e + 4, at->insns);
	put64(e + 12, at->idle_ns);
	put32(e + 20, at->seq);
	put32(e + 24, at->vcpu);
	put64(e + 28, at->vcpu_insns);
	put64(e + 36, 0x100000);  /* rip */
	put64(e + 44, 0x5eed);    /* fingerprint */
	memcpy(e + EVENT_COMMON_SIZE, body, body_len);
	*len += EVENT_COMMON_SIZE + body_len;
}

/* How many whole events `raw` holds, going by their size fields. */
static inline u32 craft_count_events(const u8 *raw, size_t len)
{
	u32 n = 0;
	size_t off = 0;
	while (len - off >= EVENT_COMMON_SIZE &&
	       len - off - EVENT_COMMON_SIZE >= get16(raw + off + 2)) {
		off += EVENT_COMMON_SIZE + get16(raw + off + 2);
		n++;
	}
	return n;
}

#endif
