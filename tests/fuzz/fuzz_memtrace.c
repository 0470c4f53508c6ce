/*
 * Fuzz target for the memtrace reader (src/plugins/memtrace_format.c),
 * which `encore memtrace` and programs of users' own run on trace files
 * from anywhere.  Each input is read as a file as it is, and compressed
 * into one zstd frame (so that the record decoding behind zstd's checks is
 * fuzzed too).  The reader must end every file with 0 or with -1 and a
 * message; every record it returns must name a vCPU of its frame and an
 * interval of the span read so far, carry a physical address exactly when
 * the frame says so, and no frame may give more records than it has
 * decompressed bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "plugins/memtrace_format.h"

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_memtrace: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static void read_all(const void *data, size_t size, size_t decompressed_max)
{
	if (!size)
		return;  /* fmemopen refuses size 0 */
	FILE *f = fmemopen((void *)data, size, "rb");
	if (!f)
		abort();
	struct memtrace_reader *r = memtrace_reader__open(f);
	if (!r)
		abort();
	struct memtrace_record rec;
	u64 records = 0;
	int rc;
	while ((rc = memtrace_reader__next(r, &rec)) == 1) {
		struct memtrace_span span = memtrace_reader__span(r);
		if (!span.frames || rec.vcpu >= span.nvcpus || rec.interval != span.last ||
		    rec.interval < span.first || span.last >= span.count)
			fail("a record outside its frame", NULL);
		if (!rec.has_paddr && rec.paddr)
			fail("a physical address where the frame has none", NULL);
		if (++records > decompressed_max)
			fail("more records than decompressed bytes", NULL);
	}
	const char *err = memtrace_reader__error(r);
	if (rc == -1 && (!err[0] || !strcmp(err, "no error")))
		fail("an error without a message", NULL);
	if (rc != 0 && rc != -1)
		fail("an unexpected return", NULL);
	memtrace_reader__close(r);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* As a file, whose decompressed size is not known here: no bound on
	 * the records. */
	read_all(data, size, UINT64_MAX);
	size_t cap = ZSTD_compressBound(size);
	void *z = malloc(cap);
	if (!z)
		abort();
	ZSTD_CCtx *c = ZSTD_createCCtx();
	if (!c || ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)))
		abort();
	size_t n = ZSTD_compress2(c, z, cap, data, size);
	if (ZSTD_isError(n))
		abort();
	read_all(z, n, size);
	ZSTD_freeCCtx(c);
	free(z);
	return 0;
}
