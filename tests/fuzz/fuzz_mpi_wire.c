/*
 * Fuzz target for what rank 0 of `encore simulate --mpi` takes from a
 * worker rank before acting on it: a READ request (which file of the
 * recording, how many bytes) and an OUTPUT chunk (where under OUT to
 * write).  Whatever a rank sends, rank 0 must read only plain names inside
 * the recording and write only below OUT/intervals/: an accepted name
 * has no '/', an accepted path starts with "intervals/" and has no empty,
 * "." or ".." part, and lengths add up.  The first byte picks the message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/mpi_wire.h"

static void fail(const char *what, const char *s)
{
	fprintf(stderr, "fuzz_mpi_wire: %s: '%s'\n", what, s);
	abort();
}

static void check_read(const uint8_t *data, size_t size)
{
	struct mpi_read rq;
	if (mpi_wire__take_read(data, size, &rq))
		return;
	if (!memchr(rq.name, 0, sizeof(rq.name)) || strchr(rq.name, '/') || !rq.name[0] ||
	    !strcmp(rq.name, "..") || !strcmp(rq.name, "."))
		fail("a READ name outside the recording was accepted", rq.name);
	if (rq.len > MPI_CHUNK_MAX)
		fail("a READ of too many bytes was accepted", rq.name);
}

static void check_output(const uint8_t *data, size_t size)
{
	struct mpi_output o;
	const u8 *bytes;
	if (mpi_wire__take_output(data, size, &o, &bytes))
		return;
	if (!memchr(o.path, 0, sizeof(o.path)) || strncmp(o.path, "intervals/", 10))
		fail("an OUTPUT path outside OUT/intervals was accepted", o.path);
	for (const char *p = o.path; *p;) {
		size_t len = strcspn(p, "/");
		if (!len || (len == 1 && p[0] == '.') || (len == 2 && !strncmp(p, "..", 2)))
			fail("an OUTPUT path with an empty, . or .. part was accepted", o.path);
		p += len + (p[len] == '/');
	}
	if (bytes != data + sizeof(o) || o.len != size - sizeof(o))
		fail("an OUTPUT whose length does not match was accepted", o.path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		check_output(data + 1, size - 1);
	else
		check_read(data + 1, size - 1);
	return 0;
}
