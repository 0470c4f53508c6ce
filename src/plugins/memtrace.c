/*
 * memtrace: every guest data memory access (on_mem) with its vCPU, as a
 * zstd stream of the records of memtrace_format.h, one zstd frame per
 * interval.
 *
 * Records are encoded into a 1 MiB buffer which is compressed whenever it
 * fills, so memory stays bounded however long the interval.  Compression
 * is single-threaded with fixed parameters and the buffer always fills
 * the same way, so the bytes depend only on the accesses.  The frame
 * carries zstd's content checksum, so damage is detected when reading.
 */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "builtin.h"
#include "encore/errmsg.h"
#include "memtrace_format.h"

#define NAME "memtrace"
#define BUF_SIZE (1u << 20)
#define LEVEL_DEFAULT 3

struct memtrace {
	struct encore_plugin_env env;
	ZSTD_CCtx *cctx;
	u8 *buf;                /* encoded records not compressed yet */
	size_t len;
	void *zbuf;             /* compressed output on its way to env.out */
	size_t zcap;
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
	ZSTD_freeCCtx(s->cctx);
	free(s->buf);
	free(s->zbuf);
	free(s);
}

static bool set_params(ZSTD_CCtx *c, int level)
{
	return !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level)) &&
	       !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)) &&
	       !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_nbWorkers, 0));
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
	if (s) {
		s->env = *env;
		s->paddr = paddr;
		s->zcap = ZSTD_CStreamOutSize();
		s->cctx = ZSTD_createCCtx();
		s->buf = malloc(BUF_SIZE);
		s->zbuf = malloc(s->zcap);
	}
	if (!s || !s->cctx || !s->buf || !s->zbuf || !set_params(s->cctx, (int)level)) {
		memtrace_destroy(s);
		errmsg(err, errlen, "cannot set up zstd compression (out of memory?)");
		return NULL;
	}
	return s;
}

static void fail(struct memtrace *s, const char *what, const char *detail)
{
	if (!s->failed)
		snprintf(s->failure, sizeof(s->failure), "%s%s", what, detail);
	s->failed = true;
}

/* Compresses the buffer; with ZSTD_e_end, also closes the frame. */
static void compress(struct memtrace *s, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { s->buf, s->len, 0 };
	bool done = false;
	while (!done && !s->failed) {
		ZSTD_outBuffer out = { s->zbuf, s->zcap, 0 };
		size_t left = ZSTD_compressStream2(s->cctx, &out, &in, mode);
		if (ZSTD_isError(left))
			fail(s, "compression failed: zstd: ", ZSTD_getErrorName(left));
		else if (out.pos && fwrite(s->zbuf, 1, out.pos, s->env.out) != out.pos)
			fail(s, "cannot write the interval's output", "");
		done = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
	}
	s->len = 0;
}

static __attribute__((noinline, cold)) void fail_vcpu(struct memtrace *s, unsigned vcpu)
{
	char what[80];
	snprintf(what, sizeof(what), "an access of vCPU %u, in an interval of %u vCPUs", vcpu,
		 s->enc.nvcpus);
	fail(s, what, "");
}

/* Out of the per-access path, so that it saves no registers for a call. */
static __attribute__((noinline, cold)) void compress_full_buffer(struct memtrace *s)
{
	compress(s, ZSTD_e_continue);
}

static void memtrace_begin(void *self, const struct encore_interval *iv)
{
	struct memtrace *s = self;
	s->len = (size_t)(memtrace__put_header(&s->enc, s->buf, iv, s->paddr) - s->buf);
}

static void memtrace_on_mem(void *self, unsigned vcpu, u64 icount, u64 vaddr, u64 paddr,
			    unsigned size, u64 value, unsigned flags)
{
	struct memtrace *s = self;
	(void)value;
	if (unlikely(vcpu >= s->enc.nvcpus)) {
		fail_vcpu(s, vcpu);
		return;
	}
	if (unlikely(s->len > BUF_SIZE - MEMTRACE_RECORD_MAX))
		compress_full_buffer(s);
	u8 *end = memtrace__put(&s->enc, s->buf + s->len, vcpu, icount, vaddr, paddr, size,
				flags & ENCORE_ACCESS_WRITE);
	s->len = (size_t)(end - s->buf);
}

static int memtrace_end(void *self, const struct encore_interval *iv, char *err, size_t errlen)
{
	struct memtrace *s = self;
	if (s->len > BUF_SIZE - MEMTRACE_RECORD_MAX)
		compress(s, ZSTD_e_continue);
	s->len = (size_t)(memtrace__put_end(&s->enc, s->buf + s->len, iv->end_icount) - s->buf);
	compress(s, ZSTD_e_end);
	if (!s->failed && fflush(s->env.out))
		fail(s, "cannot write the interval's output", "");
	if (s->failed)
		return errmsg(err, errlen, "%s", s->failure);
	return 0;
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
