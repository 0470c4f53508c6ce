/*
 * Fuzz target for the disk journal reader, disk_journal__parse
 * (src/rr/disk_journal.c), which reads REC/disks of an untrusted
 * recording.  Any input must be rejected with a message or accepted; an
 * accepted journal holds exactly its whole records, each of kind 1 or 2,
 * `torn` says whether a partial record follows, and every prefix keeping
 * the header reads as the same records, cut short.  Each input is tried
 * as it is and with its header and every record's checksum made right,
 * so that the checks behind the checksums are fuzzed too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "encore/le_bytes.h"
#include "rr/disk_journal.h"

#define ID 0x1234567890abcdefull

static void fail(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_disk_journal: %s (%s)\n", what, err);
	abort();
}

static void check_prefix(const u8 *data, size_t size, const struct disk_journal_entry *all,
			 u64 count)
{
	struct disk_journal_entry *e;
	u64 n;
	bool torn;
	char err[256] = "";
	size_t cut = DISK_JOURNAL_HEADER_SIZE + (size - DISK_JOURNAL_HEADER_SIZE) / 2;
	if (disk_journal__parse(data, cut, ID, &e, &n, &torn, err, sizeof(err)))
		fail("a prefix of an accepted journal is rejected", err);
	if (n > count)
		fail("a prefix reads more records", "");
	for (u64 k = 0; k < n; k++)
		if (e[k].kind != all[k].kind || e[k].disk != all[k].disk ||
		    e[k].page != all[k].page || e[k].block != all[k].block)
			fail("a prefix reads other records", "");
	free(e);
}

static void try_one(const u8 *data, size_t size)
{
	struct disk_journal_entry *e;
	u64 count;
	bool torn;
	char err[256] = "";
	if (disk_journal__parse(data, size, ID, &e, &count, &torn, err, sizeof(err))) {
		if (!err[0])
			fail("rejected without a message", "");
		return;
	}
	size_t body = size - DISK_JOURNAL_HEADER_SIZE;
	if (count != body / DISK_JOURNAL_RECORD_SIZE || torn != (body % DISK_JOURNAL_RECORD_SIZE != 0))
		fail("records or torn miscounted", "");
	for (u64 k = 0; k < count; k++)
		if (e[k].kind != 1 && e[k].kind != 2)
			fail("a record of an unknown kind accepted", "");
	check_prefix(data, size, e, count);
	free(e);
}

/* The same bytes with the header and every whole record sealed. */
static void seal(u8 *p, size_t size)
{
	if (size < DISK_JOURNAL_HEADER_SIZE)
		return;
	memcpy(p, DISK_JOURNAL_MAGIC, 8);
	put64(p + 16, ID);
	put64(p + 24, XXH3_64bits(p, 24));
	for (size_t at = DISK_JOURNAL_HEADER_SIZE; at + DISK_JOURNAL_RECORD_SIZE <= size;
	     at += DISK_JOURNAL_RECORD_SIZE)
		put64(p + at + 24, XXH3_64bits(p + at, 24));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	try_one(data, size);
	u8 *sealed = malloc(size ? size : 1);
	if (!sealed)
		abort();
	memcpy(sealed, data, size);
	seal(sealed, size);
	try_one(sealed, size);
	free(sealed);
	return 0;
}
