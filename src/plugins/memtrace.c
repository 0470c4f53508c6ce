/*
 * memtrace: every guest data memory access (on_mem) with its vCPU, as a
 * zstd stream of the records of memtrace_format.h, one zstd frame per
 * interval.
 *
 * on_mem only stores each access in a 2 MiB buffer, which is handed over
 * whenever it fills, to be encoded and compressed on a thread of its own
 * (zstd_writer.h) while the next one fills, so memory stays bounded
 * however long the interval and the vCPU's thread does little per access.
 * Compression has fixed parameters and the buffer always fills the same
 * way, so the bytes depend only on the accesses.  The frame carries
 * zstd's content checksum, so damage is detected when reading.
 */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "builtin.h"
#include "encore/errmsg.h"
#include "memtrace_format.h"
#include "zstd_writer.h"

#define NAME "memtrace"
#define BUF_SIZE (2u << 20)
#define LEVEL_DEFAULT 3

/*
 * An access as on_mem hands it over, for the writer's thread to encode:
 * 16 bytes, so that the two threads move little memory.  Most accesses
 * fit one slot, { vaddr, icount << 16 | write << 15 | size code << 8 |
 * vCPU }; one with an icount from 2^48 on, a size that is not a power of
 * two up to 64, or a physical address to keep (paddr=1) takes two:
 * { vaddr, size << 16 | write << 15 | 7 << 8 | vCPU }, { icount, paddr }.
 */
struct raw_access {
	u64 vaddr, info;
};

#define RAW_SIZE_LONG 7u
#define RAW_PER_BUF (BUF_SIZE / sizeof(struct raw_access))
/* What the encoding of one full buffer can take: the frame header, its
 * records, the end record. */
#define ENCODED_MAX (MEMTRACE_HEADER_LEN + 8 * MEMTRACE_MAX_VCPUS + \
		     RAW_PER_BUF * MEMTRACE_RECORD_MAX + 1 + 2 * VARINT_MAX)

struct memtrace {
	struct encore_plugin_env env;
	struct zstd_writer *out;
	struct raw_access *buf;     /* accesses not handed to out yet */
	size_t len;
	u32 nvcpus;
	bool paddr;
	bool failed;
	char failure[160];
	/* The encoding, on the writer's thread once the interval began.  The
	 * producer sets these before it submits what they apply to. */
	struct memtrace_encoder enc;
	u8 header[MEMTRACE_HEADER_LEN + 8 * MEMTRACE_MAX_VCPUS];
	size_t header_len;          /* not written yet: goes before the next records */
	u64 end_icount;             /* of the interval, for the end record */
};

static int parse_options(const struct encore_plugin_options *o, u64 *level, u64 *paddr,
			 char *err, size_t errlen)
{
	static const char *const known[] = { "level", "paddr", NULL };
	if (plugin_opts__check_known(o, known, err, errlen) ||
	    plugin_opts__u64(o, "level", LEVEL_DEFAULT, 1, (u64)ZSTD_maxCLevel(), level,
			     err, errlen) ||
	    plugin_opts__u64(o, "paddr", 0, 0, 1, paddr, err, errlen))
		return -1;
	return 0;
}

static int memtrace_check_options(const struct encore_plugin_options *o,
				  const struct encore_plugin_host *host, void *host_ctx,
				  char *err, size_t errlen)
{
	u64 level, paddr;
	(void)host;
	(void)host_ctx;
	return parse_options(o, &level, &paddr, err, errlen);
}

static void memtrace_destroy(void *self)
{
	struct memtrace *s = self;
	if (!s)
		return;
	zstd_writer__destroy(s->out);
	free(s);
}

/* The writer's stage: a buffer of accesses into records, after the frame
 * header if it is due and before the end record at the frame's end. */
static size_t encode(void *ctx, const u8 *in, size_t n, bool end_frame, u8 *out)
{
	struct memtrace *s = ctx;
	u8 *p = out;
	memcpy(p, s->header, s->header_len);
	p += s->header_len;
	s->header_len = 0;
	const struct raw_access *a = (const struct raw_access *)(const void *)in;
	const struct raw_access *end = a + n / sizeof(*a);
	while (a < end) {
		u64 info = a->info;
		unsigned scode = (info >> 8) & 7;
		bool two = scode == RAW_SIZE_LONG;
		p = memtrace__put(&s->enc, p, (u8)info, two ? a[1].vaddr : info >> 16, a->vaddr,
				  two ? a[1].info : 0, two ? (u32)(info >> 16) : 1u << scode,
				  info >> 15 & 1);
		a += 1 + two;
	}
	if (end_frame)
		p = memtrace__put_end(&s->enc, p, s->end_icount);
	return (size_t)(p - out);
}

static void *memtrace_create(const struct encore_plugin_env *env, char *err, size_t errlen)
{
	u64 level, paddr;
	if (parse_options(env->options, &level, &paddr, err, errlen))
		return NULL;
	if (env->interval->nvcpus > MEMTRACE_MAX_VCPUS) {
		errmsg(err, errlen, "a machine of %u vCPUs; the trace format holds at most %u",
		       env->interval->nvcpus, MEMTRACE_MAX_VCPUS);
		return NULL;
	}
	struct memtrace *s = calloc(1, sizeof(*s));
	if (!s) {
		errmsg(err, errlen, "out of memory");
		return NULL;
	}
	s->env = *env;
	s->paddr = paddr;
	struct zstd_writer_stage stage = { encode, s, ENCODED_MAX };
	s->out = zstd_writer__create(env->out, (int)level, BUF_SIZE, &stage, err, errlen);
	if (!s->out) {
		free(s);
		return NULL;
	}
	s->buf = (struct raw_access *)(void *)zstd_writer__buffer(s->out);
	return s;
}

static void fail(struct memtrace *s, const char *what)
{
	if (!s->failed)
		snprintf(s->failure, sizeof(s->failure), "%s", what);
	s->failed = true;
}

static __attribute__((noinline, cold)) void fail_vcpu(struct memtrace *s, unsigned vcpu)
{
	char what[80];
	snprintf(what, sizeof(what), "an access of vCPU %u, in an interval of %u vCPUs", vcpu,
		 s->nvcpus);
	fail(s, what);
}

static void hand_over(struct memtrace *s, bool end_frame)
{
	s->buf = (struct raw_access *)(void *)zstd_writer__submit(s->out, s->len * sizeof(*s->buf),
								 end_frame);
	s->len = 0;
}

/* Out of the per-access path, so that it saves no registers for a call. */
static __attribute__((noinline, cold)) void hand_over_full_buffer(struct memtrace *s)
{
	hand_over(s, false);
}

static void memtrace_begin(void *self, const struct encore_interval *iv)
{
	struct memtrace *s = self;
	s->nvcpus = iv->nvcpus;
	s->header_len = (size_t)(memtrace__put_header(&s->enc, s->header, iv, s->paddr) -
				 s->header);
	zstd_writer__start(s->out);
}

static void memtrace_on_mem(void *self, unsigned vcpu, u64 icount, u64 vaddr, u64 paddr,
			    unsigned size, u64 value, unsigned flags)
{
	struct memtrace *s = self;
	(void)value;
	if (unlikely(vcpu >= s->nvcpus)) {
		fail_vcpu(s, vcpu);
		return;
	}
	if (unlikely(s->len >= RAW_PER_BUF - 1))
		hand_over_full_buffer(s);
	u64 tail = (flags & ENCORE_ACCESS_WRITE ? 1u << 15 : 0) | vcpu;
	struct raw_access *a = &s->buf[s->len];
	a->vaddr = vaddr;
	if (likely(size - 1 < 64 && !(size & (size - 1)) && icount < 1ull << 48 && !s->paddr)) {
		a->info = icount << 16 | (u64)__builtin_ctz(size) << 8 | tail;
		s->len++;
		return;
	}
	a->info = (u64)size << 16 | RAW_SIZE_LONG << 8 | tail;
	a[1] = (struct raw_access){ icount, paddr };
	s->len += 2;
}

static int memtrace_end(void *self, const struct encore_interval *iv, char *err, size_t errlen)
{
	struct memtrace *s = self;
	s->end_icount = iv->end_icount;
	hand_over(s, true);
	int rc = zstd_writer__finish(s->out, err, errlen);
	if (s->failed)
		return errmsg(err, errlen, "%s", s->failure);
	return rc;
}

const struct encore_plugin plugin_memtrace = {
	.api_version = ENCORE_PLUGIN_API_VERSION,
	.name = NAME,
	.summary = "every guest data memory access, zstd-compressed (read it with encore memtrace)",
	.options_help = "level=N: zstd compression level, 1 to 22 (default 3)\n"
			"paddr=0|1: also record physical addresses (default 0)\n",
	.suffix = "zst",
	.check_options = memtrace_check_options,
	.create = memtrace_create,
	.destroy = memtrace_destroy,
	.interval_begin = memtrace_begin,
	.interval_end = memtrace_end,
	.on_mem = memtrace_on_mem,
	.merge_kind = ENCORE_MERGE_CONCAT,
};
