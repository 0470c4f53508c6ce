/*
 * A recording's disk journal (REC/disks): every disk's history (see
 * encore/hw/virtio_blk.h) as fixed-size records, each naming a page of
 * the page store by number, in the order the guest made them.  Written
 * one record at a time, so a recorder killed at any moment leaves whole
 * records and at most one torn one.  Little-endian:
 *
 *   header  magic "ENCDISKS", version, header size, recording id,
 *           XXH3-64 of the 24 bytes before it
 *   record  kind (1 base, 2 written), disk, 0 (2 bytes), page number
 *           (le32, 0 = all zeros), block (le64), 0 (8 bytes), XXH3-64 of
 *           the 24 bytes before it
 */
#ifndef ENCORE_RR_DISK_JOURNAL_H
#define ENCORE_RR_DISK_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "encore/types.h"

#define DISK_JOURNAL_FILE "disks"
#define DISK_JOURNAL_MAGIC "ENCDISKS"
#define DISK_JOURNAL_VERSION 1u
#define DISK_JOURNAL_HEADER_SIZE 32u
#define DISK_JOURNAL_RECORD_SIZE 32u

struct disk_journal_entry {
	u8 kind;
	u8 disk;
	u32 page;
	u64 block;
};

struct disk_journal_writer;

/* Create dir/disks; NULL with a message. */
struct disk_journal_writer *disk_journal__create(const char *dir, u64 id, char *err, size_t n);
/* Append one record: 0, or -1 with a message (the file could not take it). */
int disk_journal__append(struct disk_journal_writer *w, const struct disk_journal_entry *e,
			 char *err, size_t n);
/* Close and free; -1 with a message if closing failed. */
int disk_journal__close(struct disk_journal_writer *w, char *err, size_t n);

/* Everything the journal in `dir` holds: its whole records in *entries
 * (malloc'ed; the caller frees), *torn when it ends inside one.  -1 with
 * a message when it is missing, another recording's, or damaged (a
 * record failing its checksum, naming it). */
int disk_journal__read(const char *dir, u64 id, struct disk_journal_entry **entries,
		       u64 *count, bool *torn, char *err, size_t n);
/* The same for the file's bytes in buf (the fuzz target's entry). */
int disk_journal__parse(const u8 *buf, size_t size, u64 id, struct disk_journal_entry **entries,
			u64 *count, bool *torn, char *err, size_t n);

#endif
