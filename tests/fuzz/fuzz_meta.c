/*
 * Fuzz target for the metadata reader, rr_meta__parse.  Any input must
 * be either rejected with a message or accepted; what is accepted must
 * survive rr_meta__format and a second parse unchanged, since a
 * recording's meta is rewritten that way (state recording, then
 * complete) and replay trusts what it reads back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encore/rr_meta.h"

static void fail(const char *what, const char *err, const char *text)
{
	fprintf(stderr, "fuzz_meta: %s%s%s\n--- formatted:\n%s---\n", what, err ? ": " : "",
		err ? err : "", text);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Parsed structs start from memset, padding included: memcmp is fair. */
	static struct rr_meta m, again;
	char err[256] = "";
	if (rr_meta__parse((const char *)data, size, &m, err, sizeof(err))) {
		if (!err[0])
			fail("rejected without a message", NULL, "");
		return 0;
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
	return 0;
}
