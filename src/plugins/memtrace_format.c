/*
 * Encoding the memtrace frame header and end, and the reader: zstd
 * streaming decompression into a buffer that always holds a whole record
 * (or the end of the data), then one record at a time.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "encore/le_bytes.h"
#include "memtrace_format.h"

u8 *memtrace__put_header(struct memtrace_encoder *e, u8 *p, const struct encore_interval *iv,
			 bool paddr)
{
	memset(e, 0, sizeof(*e));
	e->paddr = paddr;
	e->nvcpus = iv->nvcpus;
	memcpy(p, MEMTRACE_MAGIC, 8);
	put16(p + 8, MEMTRACE_VERSION);
	put16(p + 10, paddr ? MEMTRACE_FLAG_PADDR : 0);
	put32(p + 12, iv->index);
	put32(p + 16, 0); /* version 4: the interval count is not stored */
	put32(p + 20, iv->nvcpus);
	put64(p + 24, iv->first_icount);
	p += MEMTRACE_HEADER_LEN;
	for (unsigned v = 0; v < iv->nvcpus; v++, p += 8) {
		e->icount[v] = iv->vcpu_first_icount[v];
		put64(p, e->icount[v]);
	}
	return p;
}

u8 *memtrace__put_end(const struct memtrace_encoder *e, u8 *p, u64 end_icount)
{
	*p++ = MEMTRACE_TAG_END;
	p = varint__put(p, e->records);
	return varint__put(p, end_icount);
}

/* ---- reader ---- */

#define DECODED_CAP (1u << 20)

struct memtrace_reader {
	FILE *f;
	ZSTD_DCtx *dctx;
	void *in;
	size_t in_cap;
	ZSTD_inBuffer zin;
	bool input_eof;
	bool frame_open;     /* zstd is inside a frame (its last call did not return 0) */
	bool flush_pending;  /* zstd may hold output that did not fit */
	u8 *buf;             /* decompressed; buf[pos, len) not parsed yet */
	size_t pos, len;
	u64 consumed;        /* decompressed bytes before buf[0], for messages */
	bool in_frame;       /* between a header and its end record */
	struct memtrace_encoder state;  /* the previous record of the frame */
	bool one_context;    /* a version 2 frame: vaddrs from the previous record's */
	u32 interval;
	struct memtrace_span span;
	bool failed;
	char error[256];
};

static int fail(struct memtrace_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct memtrace_reader *r, const char *fmt, ...)
{
	if (!r->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->error, sizeof(r->error), fmt, ap);
		va_end(ap);
		r->failed = true;
	}
	return -1;
}

struct memtrace_reader *memtrace_reader__open(FILE *f)
{
	struct memtrace_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->f = f;
	r->dctx = ZSTD_createDCtx();
	r->in_cap = ZSTD_DStreamInSize();
	r->in = malloc(r->in_cap);
	r->buf = malloc(DECODED_CAP);
	if (!r->dctx || !r->in || !r->buf) {
		memtrace_reader__close(r);
		return NULL;
	}
	return r;
}

void memtrace_reader__close(struct memtrace_reader *r)
{
	if (!r)
		return;
	ZSTD_freeDCtx(r->dctx);
	free(r->in);
	free(r->buf);
	free(r);
}

const char *memtrace_reader__error(const struct memtrace_reader *r)
{
	return r->failed ? r->error : "no error";
}

struct memtrace_span memtrace_reader__span(const struct memtrace_reader *r)
{
	return r->span;
}

/* More compressed input; false at the end of the file or on an error. */
static bool read_input(struct memtrace_reader *r)
{
	size_t n = fread(r->in, 1, r->in_cap, r->f);
	if (!n) {
		if (ferror(r->f))
			fail(r, "read error");
		r->input_eof = true;
		return false;
	}
	r->zin = (ZSTD_inBuffer){ r->in, n, 0 };
	return true;
}

/* Makes buf[pos, len) hold at least want bytes, or all that is left. */
static void fill(struct memtrace_reader *r, size_t want)
{
	if (r->len - r->pos >= want)
		return;
	memmove(r->buf, r->buf + r->pos, r->len - r->pos);
	r->len -= r->pos;
	r->consumed += r->pos;
	r->pos = 0;
	while (r->len < want && !r->failed) {
		if (r->zin.pos == r->zin.size && !r->flush_pending && !read_input(r))
			return;
		ZSTD_outBuffer out = { r->buf, DECODED_CAP, r->len };
		size_t ret = ZSTD_decompressStream(r->dctx, &out, &r->zin);
		if (ZSTD_isError(ret)) {
			fail(r, "corrupt compressed data after %llu decompressed bytes (zstd: %s)",
			     (unsigned long long)(r->consumed + r->len), ZSTD_getErrorName(ret));
			return;
		}
		r->flush_pending = out.pos == out.size;
		r->frame_open = ret != 0;
		r->len = out.pos;
	}
}

/* The data ended (want more than is left): how to say so. */
static int ended_early(struct memtrace_reader *r, const char *inside)
{
	if (r->failed)
		return -1;
	if (r->frame_open)
		return fail(r, "the file is cut short (it ends inside a zstd frame)");
	return fail(r, "corrupt: the data of interval %u ends inside %s", r->interval, inside);
}

/* The magic and version of a header; 0, or -1 with the error. */
static int check_version(struct memtrace_reader *r, const u8 *h)
{
	unsigned version = get16(h + 8);
	if (memcmp(h, MEMTRACE_MAGIC, 8))
		return fail(r, "not a memtrace file (bad magic at decompressed byte %llu)",
			    (unsigned long long)(r->consumed + r->pos));
	if (version == 1)
		return fail(r, "memtrace format version 1, from an encore before records named "
			    "their vCPU; this encore reads versions %u to %u: simulate the "
			    "recording again with --plugin memtrace", MEMTRACE_OLDEST_VERSION,
			    MEMTRACE_VERSION);
	if (version < MEMTRACE_OLDEST_VERSION || version > MEMTRACE_VERSION)
		return fail(r, "memtrace format version %u, this encore reads %u to %u", version,
			    MEMTRACE_OLDEST_VERSION, MEMTRACE_VERSION);
	return 0;
}

/* Checks a header's fixed fields; 0, or -1 with the error. */
static int check_header(struct memtrace_reader *r, const u8 *h)
{
	u32 index = get32(h + 12), count = get32(h + 16), nvcpus = get32(h + 20);
	if (check_version(r, h))
		return -1;
	/* Versions 2 and 3 name the recording's interval count, 4 stores 0. */
	bool bad_count = get16(h + 8) >= 4 ? count != 0 : index >= count;
	if ((get16(h + 10) & ~MEMTRACE_FLAG_PADDR) || bad_count || !nvcpus ||
	    nvcpus > MEMTRACE_MAX_VCPUS)
		return fail(r, "corrupt frame header (flags %#x, interval %u of %u, %u vCPUs)",
			    get16(h + 10), index, count, nvcpus);
	/* Increasing, not necessarily consecutive: simulate --intervals may
	 * pick some. */
	if (r->span.frames && (index <= r->span.last || count != r->span.count))
		return fail(r, "interval %u of %u follows interval %u of %u: the intervals are "
			    "out of order", index, count, r->span.last, r->span.count);
	if (r->span.frames && nvcpus != r->span.nvcpus)
		return fail(r, "interval %u has %u vCPUs, interval %u had %u: frames of different "
			    "machines", index, nvcpus, r->span.last, r->span.nvcpus);
	return 0;
}

/* Makes buf[pos, len) hold the next `want` bytes of a header: 1, or 0
 * at the end of the data, or -1. */
static int fill_header(struct memtrace_reader *r, size_t want)
{
	fill(r, want);
	size_t left = r->len - r->pos;
	if (r->failed)
		return -1;
	if (!left && !r->frame_open && want == MEMTRACE_HEADER_LEN)
		return 0;
	if (left < want)
		return ended_early(r, "a frame header");
	return 1;
}

/* The encoder state of the frame whose (checked) header is at h. */
static void start_frame(struct memtrace_reader *r, const u8 *h)
{
	struct memtrace_encoder *e = &r->state;
	memset(e, 0, sizeof(*e));
	e->paddr = get16(h + 10) & MEMTRACE_FLAG_PADDR;
	e->nvcpus = get32(h + 20);
	for (unsigned v = 0; v < e->nvcpus; v++)
		e->icount[v] = get64(h + MEMTRACE_HEADER_LEN + 8 * v);
	r->one_context = get16(h + 8) == 2;
	r->interval = get32(h + 12);
	if (!r->span.frames++)
		r->span.first = r->interval;
	r->span.last = r->interval;
	r->span.count = get32(h + 16);
	r->span.nvcpus = e->nvcpus;
}

static int read_header(struct memtrace_reader *r)
{
	int rc = fill_header(r, MEMTRACE_HEADER_LEN);
	if (rc <= 0)
		return rc < 0 || r->span.frames ? rc : fail(r, "empty: no memtrace data at all");
	if (check_header(r, r->buf + r->pos))
		return -1;
	size_t len = memtrace__header_len(get32(r->buf + r->pos + 20));
	if (fill_header(r, len) <= 0)
		return -1;
	start_frame(r, r->buf + r->pos);
	r->pos += len;
	r->in_frame = true;
	return 1;
}

/* A varint of the current record, or a failure (returned as false). */
static bool get_varint(struct memtrace_reader *r, const u8 **p, const u8 *end, u64 *v)
{
	int rc = varint__get(p, end, v);
	if (rc > 0)
		return true;
	if (rc < 0)
		fail(r, "corrupt: a varint longer than 64 bits in interval %u", r->interval);
	else
		ended_early(r, "a record");
	return false;
}

static int read_end_record(struct memtrace_reader *r, const u8 *p, const u8 *end)
{
	u64 records, end_icount;
	if (!get_varint(r, &p, end, &records) || !get_varint(r, &p, end, &end_icount))
		return -1;
	if (records != r->state.records)
		return fail(r, "corrupt: interval %u has %llu records, its end says %llu",
			    r->interval, (unsigned long long)r->state.records,
			    (unsigned long long)records);
	r->pos = (size_t)(p - r->buf);
	r->in_frame = false;
	return 0;
}

/* A vCPU record: the records after it are that vCPU's. */
static int read_vcpu_record(struct memtrace_reader *r, const u8 *p, const u8 *end)
{
	u64 vcpu;
	if (!get_varint(r, &p, end, &vcpu))
		return -1;
	if (vcpu >= r->state.nvcpus || vcpu == r->state.vcpu)
		return fail(r, "corrupt: a switch to vCPU %llu in interval %u, of %u vCPUs, whose "
			    "records were vCPU %u's", (unsigned long long)vcpu, r->interval,
			    r->state.nvcpus, r->state.vcpu);
	r->state.vcpu = (u32)vcpu;
	r->pos = (size_t)(p - r->buf);
	return 2;
}

/* A control record: 0 for the end record, 2 for a vCPU record, -1. */
static int read_control(struct memtrace_reader *r, u8 tag, const u8 *p, const u8 *end)
{
	if (tag == MEMTRACE_TAG_END)
		return read_end_record(r, p, end);
	if (tag == MEMTRACE_TAG_VCPU)
		return read_vcpu_record(r, p, end);
	return fail(r, "corrupt: unknown record tag %#x in interval %u", tag, r->interval);
}

/* Decodes the record at buf[pos]: 1, 0 for the end record, 2 for a vCPU
 * record, -1. */
static int read_record(struct memtrace_reader *r, struct memtrace_record *rec)
{
	const u8 *p = r->buf + r->pos, *end = r->buf + r->len;
	u8 tag = *p++;
	unsigned dcode = tag >> 4, scode = tag & 7;
	u64 delta = dcode, size = 1u << scode, voff, poff = 0;
	if (dcode == MEMTRACE_ICOUNT_CONTROL)
		return read_control(r, tag, p, end);
	if ((dcode == MEMTRACE_ICOUNT_VARINT && !get_varint(r, &p, end, &delta)) ||
	    (scode == MEMTRACE_SIZE_EXPLICIT && !get_varint(r, &p, end, &size)) ||
	    !get_varint(r, &p, end, &voff) || (r->state.paddr && !get_varint(r, &p, end, &poff)))
		return -1;
	if (size > UINT32_MAX)
		return fail(r, "corrupt: an access of %llu bytes", (unsigned long long)size);
	struct memtrace_encoder *s = &r->state;
	u64 *icount = &s->icount[s->vcpu];
	*icount += delta + (dcode == MEMTRACE_ICOUNT_VARINT ? MEMTRACE_ICOUNT_VARINT : 0);
	u64 *slot = &s->vaddr[r->one_context ? 0 : memtrace__context(tag, s->history)];
	u64 vaddr = memtrace__predicted(s, slot) + zigzag__decode(voff);
	memtrace__seen(s, slot, s->history, tag, vaddr);
	s->offset += zigzag__decode(poff);
	s->records++;
	*rec = (struct memtrace_record){ .icount = *icount, .vaddr = vaddr,
					 .paddr = s->paddr ? vaddr + s->offset : 0,
					 .size = (u32)size, .vcpu = s->vcpu,
					 .write = tag & MEMTRACE_TAG_WRITE, .has_paddr = s->paddr,
					 .interval = r->interval };
	r->pos = (size_t)(p - r->buf);
	return 1;
}

int memtrace_reader__next(struct memtrace_reader *r, struct memtrace_record *rec)
{
	while (!r->failed) {
		if (!r->in_frame) {
			int rc = read_header(r);
			if (rc <= 0)
				return rc;
		}
		fill(r, MEMTRACE_RECORD_MAX);
		if (r->failed)
			break;
		if (r->pos == r->len)
			return ended_early(r, "its records (no end record)");
		int rc = read_record(r, rec);
		if (rc == 1 || rc < 0)
			return rc;
	}
	return -1;
}
