/*
 * The output of the memtrace plugin: every guest data memory access, with
 * the vCPU that made it.
 *
 * A file is a zstd stream of one frame per interval (so the interval
 * files concatenated are the whole trace).  Each frame decompresses to
 *
 *   header, 32 + 8 * vCPUs bytes, little-endian:
 *     0  8  magic "encmemtr"
 *     8  2  version (3)
 *    10  2  flags: bit 0 = records carry a physical address
 *    12  4  interval index
 *    16  4  intervals in the recording
 *    20  4  vCPUs of the machine (1 to MEMTRACE_MAX_VCPUS)
 *    24  8  first icount of the interval (the machine's: all vCPUs)
 *    32  8  per vCPU: its own first icount of the interval
 *   records, each
 *     tag     1 byte: bits 0-2 size code, bit 3 write, bits 4-7 icount code
 *     [icount code 14: varint, icount delta - 14]
 *     [size code 7: varint, the size]
 *     vaddr   zig-zag varint, vaddr - the vaddr predicted by its context
 *     [flags bit 0: zig-zag varint, (paddr - vaddr) - previous (paddr - vaddr)]
 *   vCPU records between them: 0xf1, varint vCPU: the records after it
 *     are that vCPU's (until the next one; at the start of a frame they
 *     are vCPU 0's)
 *   an end record
 *     0xf0, varint records in the frame, varint icount at the interval's end
 *     (the machine's)
 *
 * Size code 0-6 means 1 << code bytes (1 to 64), 7 an explicit size.  The
 * icount of a record is its vCPU's own (instructions that vCPU retired
 * before the accessing instruction); its delta is taken from the same
 * vCPU's previous record, or for its first from the vCPU's first icount
 * in the header, modulo 2^64, and is the icount code itself for 0-13.
 * Icount code 15 marks control records: 0xf0 (end) and 0xf1 (vCPU), the
 * others are invalid, and so is a vCPU record naming a vCPU the frame
 * does not have or the vCPU the records already are.  Varints are LEB128
 * (7 bits a byte, low first); zig-zag maps 0, -1, 1, -2 ... to 0, 1, 2,
 * 3 ...  A file holds increasing intervals of one recording (a merged
 * file: all of them); the reader refuses frames out of order.
 *
 * A record's context is bits 0-3 (size code and write) of its tag and
 * of the two access records' tags before it in the frame (of any vCPU; 0
 * before the first): tag & 0xf | (previous & 0xf) << 4 | (the one before
 * & 0xf) << 8.  The predicted vaddr is the vaddr of the frame's last
 * record of the same context, or where that is 0 (none yet), the
 * previous record's (0 for the first).  Where an access stands in a
 * repeated pattern of accesses (a loop's loads from one array, its stores
 * to another, a stack slot) tells its stream apart, where the accesses
 * one after another jump between stack, heap and tables.
 *
 * paddr - vaddr only changes between pages.  vCPUs take turns of
 * thousands of instructions, so vCPU records are rare.  Version 2 took
 * every vaddr from the previous record's (one context); this encore
 * reads it.  Version 1 (before vCPUs) had no vCPU records and a 32-byte
 * header with 0 where the vCPUs are now.
 */
#ifndef ENCORE_PLUGINS_MEMTRACE_FORMAT_H
#define ENCORE_PLUGINS_MEMTRACE_FORMAT_H

#include <stdio.h>

#include "plugin_util.h"

#define MEMTRACE_MAGIC "encmemtr"
/* Version 4 stores 0 where 2 and 3 stored the recording's interval count:
 * an interval simulated while the recording grows (simulate --follow)
 * cannot know it, and its frame must be the same as a later run's. */
#define MEMTRACE_VERSION 4
#define MEMTRACE_OLDEST_VERSION 2 /* the first whose records name their vCPU */
#define MEMTRACE_CONTEXTS 4096  /* see memtrace__context */
#define MEMTRACE_HEADER_LEN 32     /* before the vCPUs' first icounts */
#define MEMTRACE_MAX_VCPUS 256
#define MEMTRACE_FLAG_PADDR 1u
#define MEMTRACE_TAG_END 0xf0
#define MEMTRACE_TAG_VCPU 0xf1
#define MEMTRACE_TAG_WRITE 0x08
#define MEMTRACE_SIZE_EXPLICIT 7
#define MEMTRACE_ICOUNT_VARINT 14
#define MEMTRACE_ICOUNT_CONTROL 15
/* The longest record: a vCPU record (a tag and a varint), a tag and four
 * varints. */
#define MEMTRACE_RECORD_MAX (2 + 5 * VARINT_MAX)

/* The whole header of a frame of nvcpus vCPUs. */
static inline size_t memtrace__header_len(unsigned nvcpus)
{
	return MEMTRACE_HEADER_LEN + 8 * (size_t)nvcpus;
}

struct memtrace_record {
	u64 icount, vaddr, paddr;   /* icount: the vCPU's own; paddr: only if has_paddr */
	u32 size;
	u32 vcpu;                   /* that made the access */
	bool write, has_paddr;
	u32 interval;               /* the interval of the frame it is in */
};

/* ---- writing ---- */

/* What the records of one frame are encoded against. */
struct memtrace_encoder {
	u64 offset;                 /* of the previous record: paddr - vaddr */
	u64 last_vaddr;             /* of the previous record */
	u8 history;                 /* bits 0-3 of the last two access records' tags */
	u64 records;
	bool paddr;
	u32 vcpu;                   /* whose records come now */
	u32 nvcpus;
	u64 icount[MEMTRACE_MAX_VCPUS]; /* per vCPU: its previous record's icount */
	u64 vaddr[MEMTRACE_CONTEXTS];   /* per context: the vaddr of its last record, 0 = none */
};

/* The context of a record of the given tag after the history of its
 * frame: the size and write bits of its tag and of the two tags before. */
static inline unsigned memtrace__context(u8 tag, u8 history)
{
	return (tag & 0x0fu) | (unsigned)history << 4;
}

/* The vaddr predicted from a record's context slot (memtrace__context):
 * the slot's, or where it has none yet, the previous record's. */
static inline u64 memtrace__predicted(const struct memtrace_encoder *e, const u64 *slot)
{
	return *slot ? *slot : e->last_vaddr;
}

/* After a record of `tag` at vaddr, whose slot it was and whose history
 * (e->history) was `history`. */
static inline void memtrace__seen(struct memtrace_encoder *e, u64 *slot, u8 history, u8 tag,
				  u64 vaddr)
{
	*slot = vaddr;
	e->last_vaddr = vaddr;
	e->history = (u8)(history << 4 | (tag & 0x0f));
}

/* Writes the frame header of interval iv (at most MEMTRACE_MAX_VCPUS
 * vCPUs) at p and starts e; returns the end. */
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

/* Writes one record of vCPU vcpu (< e->nvcpus), after a vCPU record if
 * the previous one was another vCPU's (at most MEMTRACE_RECORD_MAX bytes
 * in all) at p; returns the end. */
static inline u8 *memtrace__put(struct memtrace_encoder *e, u8 *p, unsigned vcpu, u64 icount,
				u64 vaddr, u64 paddr, unsigned size, bool write)
{
	if (unlikely(vcpu != e->vcpu)) {
		*p++ = MEMTRACE_TAG_VCPU;
		p = varint__put(p, vcpu);
		e->vcpu = vcpu;
	}
	u64 delta = icount - e->icount[vcpu];
	unsigned scode = memtrace__size_code(size);
	unsigned dcode = delta < MEMTRACE_ICOUNT_VARINT ? (unsigned)delta : MEMTRACE_ICOUNT_VARINT;
	u8 tag = (u8)(dcode << 4 | (write ? MEMTRACE_TAG_WRITE : 0) | scode);
	u64 *slot = &e->vaddr[memtrace__context(tag, e->history)];
	u64 predicted = memtrace__predicted(e, slot);
	*p++ = tag;
	if (dcode == MEMTRACE_ICOUNT_VARINT)
		p = varint__put(p, delta - MEMTRACE_ICOUNT_VARINT);
	if (scode == MEMTRACE_SIZE_EXPLICIT)
		p = varint__put(p, size);
	p = varint__put(p, zigzag__encode(vaddr - predicted));
	if (e->paddr) {
		p = varint__put(p, zigzag__encode(paddr - vaddr - e->offset));
		e->offset = paddr - vaddr;
	}
	e->icount[vcpu] = icount;
	memtrace__seen(e, slot, e->history, tag, vaddr);
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
 * (frames = 0 before the first), of a machine of nvcpus vCPUs. */
struct memtrace_span {
	u64 frames;
	u32 first, last, count;
	u32 nvcpus;
};
struct memtrace_span memtrace_reader__span(const struct memtrace_reader *r);

#endif
