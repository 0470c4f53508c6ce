/*
 * Sealing a metadata text: drop every checksum line and append the right
 * one, so that an edited meta reaches the checks behind the checksum.
 * Shared by tests/tools/meta-seal and the meta fuzz target.
 */
#ifndef ENCORE_TESTS_META_SEAL_H
#define ENCORE_TESTS_META_SEAL_H

#include <string.h>

#include "encore/rr_meta.h"

/* text[len] sealed in place; text has room for len + RR_META_CHECKSUM_LINE
 * + 1 bytes.  Returns the new length. */
static inline size_t meta_seal(char *text, size_t len)
{
	size_t kept = 0, at = 0;
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t next = nl ? (size_t)(nl - text) + 1 : len;
		if (next - at < 9 || memcmp(text + at, "checksum ", 9)) {
			memmove(text + kept, text + at, next - at);
			kept += next - at;
		}
		at = next;
	}
	if (kept && text[kept - 1] != '\n')
		text[kept++] = '\n';
	char line[RR_META_CHECKSUM_LINE];
	size_t n = rr_meta__checksum_line(text, kept, line);
	memcpy(text + kept, line, n);
	return kept + n;
}

#endif
