/*
 * The output of the memtrace plugin: every guest data memory access.
 *
 * A file is a zstd stream of one frame per interval (so the interval
 * files concatenated are the whole trace).  Each frame decompresses to
 *
 *   header, 32 bytes, little-endian:
 *     0  8  magic "encmemtr"
 *     8  2  version (1)
 *    10  2  flags: bit 0 = records carry a physical address
 *    12  4  interval index
 *    16  4  intervals in the recording
 *    20  4  0 (reserved)
 *    24  8  first icount of the interval
 *   records, each
 *     tag     1 byte: bits 0-2 size code, bit 3 write, bits 4-7 icount code
 *     [icount code 14: varint, icount delta - 14]
 *     [size code 7: varint, the size]
 *     vaddr   zig-zag varint, vaddr - previous vaddr (previous starts at 0)
 *     [flags bit 0: zig-zag varint, (paddr - vaddr) - previous (paddr - vaddr)]
 *   an end record
 *     0xf0, varint records in the frame, varint icount at the interval's end
 *
 * Size code 0-6 means 1 << code bytes (1 to 64), 7 an explicit size.  The
 * icount delta (from the previous record, the first from the header's
 * icount; modulo 2^64) is the icount code itself for 0-13.  Icount code
 * 15 marks control records; only 0xf0 (end) exists, the others are
 * invalid.  Varints are LEB128 (7 bits a byte, low first); zig-zag maps
 * 0, -1, 1, -2 ... to 0, 1, 2, 3 ...  The icount of a record is that of
 * the accessing instruction (instructions retired before it).  A file
 * holds consecutive intervals (a merged file: all of them); the reader
 * refuses frames out of order.
 *
 * Typical records take 2-4 bytes before compression: consecutive accesses
 * are close in icount and in address, and paddr - vaddr only changes
 * between pages.
 */
#ifndef ENCORE_PLUGINS_MEMTRACE_FORMAT_H
#define ENCORE_PLUGINS_MEMTRACE_FORMAT_H

#include <stdio.h>

#include "plugin_util.h"

#define MEMTRACE_MAGIC "encmemtr"
#define MEMTRACE_VERSION 1
#define MEMTRACE_HEADER_LEN 32
#define MEMTRACE_FLAG_PADDR 1u
#define MEMTRACE_TAG_END 0xf0
#define MEMTRACE_TAG_WRITE 0x08
#define MEMTRACE_SIZE_EXPLICIT 7
#define MEMTRACE_ICOUNT_VARINT 14
#define MEMTRACE_ICOUNT_CONTROL 15
/* The longest record: a tag and four varints. */
#define MEMTRACE_RECORD_MAX (1 + 4 * VARINT_MAX)

struct memtrace_record {
	u64 icount, vaddr, paddr;   /* paddr: only if has_paddr */
	u32 size;
	bool write, has_paddr;
	u32 interval;               /* the interval of the frame it is in */
};

/* ---- writing ---- */

/* What the records of one frame are encoded against. */
struct memtrace_encoder {
	u64 icount, vaddr, offset;  /* of the previous record; offset = paddr - vaddr */
	u64 records;
	bool paddr;
};

/* Writes the frame header of interval iv at p and starts e; returns the end. */
u8 *memtrace__put_header(struct memtrace_encoder *e, u8 *p, const struct encore_interval *iv,
			 bool paddr);
/* Writes the end record at p; returns the end. */
u8 *memtrace__put_end(const struct memtrace_encoder *e, u8 *p, u64 end_icount);

static inline unsigned memtrace__size_code(unsigned size)
{
	if (size && size <= 64 && !(size & (size - 1)))
		return (unsigned)__builtin_ctz(size);
	return MEMTRACE_SIZE_EXPLICIT;
}

/* Writes one record (at most MEMTRACE_RECORD_MAX bytes) at p; returns the end. */
static inline u8 *memtrace__put(struct memtrace_encoder *e, u8 *p, u64 icount, u64 vaddr,
				u64 paddr, unsigned size, bool write)
{
	u64 delta = icount - e->icount;
	unsigned scode = memtrace__size_code(size);
	unsigned dcode = delta < MEMTRACE_ICOUNT_VARINT ? (unsigned)delta : MEMTRACE_ICOUNT_VARINT;
	*p++ = (u8)(dcode << 4 | (write ? MEMTRACE_TAG_WRITE : 0) | scode);
	if (dcode == MEMTRACE_ICOUNT_VARINT)
		p = varint__put(p, delta - MEMTRACE_ICOUNT_VARINT);
	if (scode == MEMTRACE_SIZE_EXPLICIT)
		p = varint__put(p, size);
	p = varint__put(p, zigzag__encode(vaddr - e->vaddr));
	if (e->paddr) {
		p = varint__put(p, zigzag__encode(paddr - vaddr - e->offset));
		e->offset = paddr - vaddr;
	}
	e->icount = icount;
	e->vaddr = vaddr;
	e->records++;
	return p;
}

/* ---- reading ---- */

struct memtrace_reader;

/* A reader of the file f (left open by memtrace_reader__close); NULL
 * only when out of memory. */
struct memtrace_reader *memtrace_reader__open(FILE *f);
void memtrace_reader__close(struct memtrace_reader *r);
/* The next record: 1, or 0 at the end of the file, or -1 if the file is
 * cut short or corrupt (memtrace_reader__error says how).  A file with
 * no frame at all is an error. */
int memtrace_reader__next(struct memtrace_reader *r, struct memtrace_record *rec);
const char *memtrace_reader__error(const struct memtrace_reader *r);
/* The intervals read so far: first to last of count in the recording
 * (frames = 0 before the first). */
struct memtrace_span {
	u64 frames;
	u32 first, last, count;
};
struct memtrace_span memtrace_reader__span(const struct memtrace_reader *r);

#endif
