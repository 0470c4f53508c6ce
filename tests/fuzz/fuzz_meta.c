/*
 * Fuzz target for the metadata reader, rr_meta__parse.  Any input must
 * be either rejected with a message or accepted; what is accepted must
 * survive rr_meta__format and a second parse unchanged, since a
 * recording's meta is rewritten that way (state recording, then
 * complete) and replay trusts what it reads back.  Each input is tried
 * as it is and sealed (its checksum line made right), so that the checks
 * behind the checksum are fuzzed too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encore/rr_meta.h"
#include "meta_seal.h"

static void fail(const char *what, const char *err, const char *text)
{
	fprintf(stderr, "fuzz_meta: %s%s%s\n--- formatted:\n%s---\n", what, err ? ": " : "",
		err ? err : "", text);
	abort();
}

static void try_one(const char *data, size_t size)
{
	/* Parsed structs start from memset, padding included: memcmp is fair. */
	static struct rr_meta m, again;
	char err[256] = "";
	if (rr_meta__parse(data, size, &m, err, sizeof(err))) {
		if (!err[0])
			fail("rejected without a message", NULL, "");
		return;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		abort();
	rr_meta__format(&m, f);
	if (fclose(f))
		abort();
	if (rr_meta__parse(text, len, &again, err, sizeof(err)))
		fail("the formatted metadata does not parse", err, text);
	if (memcmp(&m, &again, sizeof(m)))
		fail("the formatted metadata parses to something else", NULL, text);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	try_one((const char *)data, size);
	if (size > RR_META_TEXT_MAX)
		return 0;
	char *sealed = malloc(size + RR_META_CHECKSUM_LINE + 2);
	if (!sealed)
		abort();
	memcpy(sealed, data, size);
	try_one(sealed, meta_seal(sealed, size));
	free(sealed);
	return 0;
}
