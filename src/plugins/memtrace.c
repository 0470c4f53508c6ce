/*
 * memtrace: every guest data memory access (on_mem) with its vCPU, as a
 * zstd stream of the records of memtrace_format.h, one zstd frame per
 * interval.
 *
 * Records are encoded into a 1 MiB buffer which is handed over whenever it
 * fills, to be compressed on a thread of its own (zstd_writer.h) while the
 * next one fills, so memory stays bounded however long the interval.
 * Compression has fixed parameters and the buffer always fills the same
 * way, so the bytes depend only on the accesses.  The frame carries
 * zstd's content checksum, so damage is detected when reading.
 *
 * Encoding stays on the vCPU's thread: handing raw accesses to the
 * compressing thread made one worker 10% faster but cost 16-18% more
 * CPU, which `simulate -j N` on every core pays (bench/RESULTS.md).
 */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "builtin.h"
#include "encore/errmsg.h"
#include "memtrace_format.h"
#include "zstd_writer.h"

#define NAME "memtrace"
#define BUF_SIZE (1u << 20)
#define LEVEL_DEFAULT 3

struct memtrace {
	struct encore_plugin_env env;
	struct zstd_writer *out;
	u8 *buf;                /* encoded records not handed to out yet */
	size_t len;
	struct memtrace_encoder enc;
	bool paddr;
	bool failed;
	char failure[160];
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
	s->out = zstd_writer__create(env->out, (int)level, BUF_SIZE, err, errlen);
	if (!s->out) {
		free(s);
		return NULL;
	}
	s->buf = zstd_writer__buffer(s->out);
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
		 s->enc.nvcpus);
	fail(s, what);
}

static void hand_over(struct memtrace *s, bool end_frame)
{
	s->buf = zstd_writer__submit(s->out, s->len, end_frame);
	s->len = 0;
}

static __attribute__((noinline, cold)) void hand_over_full_buffer(struct memtrace *s)
{
	hand_over(s, false);
}

static void memtrace_begin(void *self, const struct encore_interval *iv)
{
	struct memtrace *s = self;
	zstd_writer__start(s->out);
	s->len = (size_t)(memtrace__put_header(&s->enc, s->buf, iv, s->paddr) - s->buf);
}

/* A record always fits: a buffer without room for the next is handed
 * over at once, from the end, where the call needs no stack frame. */
static void memtrace_on_mem(void *self, unsigned vcpu, u64 icount, u64 vaddr, u64 paddr,
			    unsigned size, u64 value, unsigned flags)
{
	struct memtrace *s = self;
	(void)value;
	if (unlikely(vcpu >= s->enc.nvcpus))
		return fail_vcpu(s, vcpu);
	u8 *end = memtrace__put(&s->enc, s->buf + s->len, vcpu, icount, vaddr, paddr, size,
				flags & ENCORE_ACCESS_WRITE);
	s->len = (size_t)(end - s->buf);
	if (unlikely(s->len > BUF_SIZE - MEMTRACE_RECORD_MAX))
		return hand_over_full_buffer(s);
}

static int memtrace_end(void *self, const struct encore_interval *iv, char *err, size_t errlen)
{
	struct memtrace *s = self;
	/* the end record fits, as any record does (memtrace_on_mem) */
	s->len = (size_t)(memtrace__put_end(&s->enc, s->buf + s->len, iv->end_icount) - s->buf);
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
