/* Disks in a recording (disk_log.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk_journal.h"
#include "disk_log.h"
#include "encore/errmsg.h"

/* ---- recording ---- */

struct disk_recorder {
	struct disk_journal_writer *journal;
	struct snap_writer *snap;
	struct disk_history history;
	bool failed;
	char error[4400];
};

static void record_entry(void *opaque, unsigned disk, enum disk_entry_kind kind, u64 block,
			 const u8 *data)
{
	struct disk_recorder *r = opaque;
	if (r->failed)
		return;
	bool oom = false;
	struct disk_journal_entry e = { (u8)kind, (u8)disk, 0, block };
	e.page = snap_writer__store_page(r->snap, data, &oom);
	if (oom) {
		snprintf(r->error, sizeof(r->error), "out of memory storing disk blocks");
		r->failed = true;
	} else if (disk_journal__append(r->journal, &e, r->error, sizeof(r->error))) {
		r->failed = true;
	}
	if (r->failed)
		fprintf(stderr, "\nencore record: %s; the recording's disks end here\n", r->error);
}

struct disk_recorder *disk_recorder__create(const char *dir, u64 id, char *err, size_t n)
{
	struct disk_recorder *r = calloc(1, sizeof(*r));
	if (!r) {
		errmsg(err, n, "out of memory");
		return NULL;
	}
	r->journal = disk_journal__create(dir, id, err, n);
	if (!r->journal) {
		free(r);
		return NULL;
	}
	r->history = (struct disk_history){ .entry = record_entry, .opaque = r };
	return r;
}

void disk_recorder__set_snap(struct disk_recorder *r, struct snap_writer *snap)
{
	r->snap = snap;
}

const struct disk_history *disk_recorder__history(struct disk_recorder *r)
{
	return &r->history;
}

int disk_recorder__close(struct disk_recorder *r, char *err, size_t n)
{
	int rc = disk_journal__close(r->journal, err, n);
	if (r->failed)
		rc = errmsg(err, n, "%s", r->error);
	free(r);
	return rc;
}

/* ---- replaying ---- */

/* A disk's BASE entries: block -> page, open addressing (key block + 1). */
struct base_index {
	u64 *key;
	u32 *page;
	u64 size;  /* a power of 2 */
};

struct disk_source {
	struct disk_replayer *r;
	unsigned disk;
};

struct disk_replayer {
	struct snap_reader *snap;
	struct disk_journal_entry *e;
	u64 count;
	bool torn;
	struct base_index base[DISK_LOG_MAX_DISKS];
	struct disk_source source[DISK_LOG_MAX_DISKS];
	struct disk_history history;
};

static u64 slot_of(const struct base_index *b, u64 block)
{
	u64 h = (block + 1) * 0x9e3779b97f4a7c15ull;
	return (h ^ h >> 31) & (b->size - 1);
}

static int index_disk(struct disk_replayer *r, unsigned disk)
{
	struct base_index *b = &r->base[disk];
	u64 n = 0;
	for (u64 k = 0; k < r->count; k++)
		n += r->e[k].disk == disk && r->e[k].kind == DISK_ENTRY_BASE;
	for (b->size = 16; b->size < 2 * n; b->size *= 2)
		;
	b->key = calloc(b->size, sizeof(*b->key));
	b->page = calloc(b->size, sizeof(*b->page));
	if (!b->key || !b->page)
		return -1;
	for (u64 k = 0; k < r->count; k++) {
		const struct disk_journal_entry *e = &r->e[k];
		if (e->disk != disk || e->kind != DISK_ENTRY_BASE)
			continue;
		u64 s = slot_of(b, e->block);
		while (b->key[s] && b->key[s] != e->block + 1)
			s = (s + 1) & (b->size - 1);
		if (!b->key[s]) { /* a block's first touch is its only BASE entry */
			b->key[s] = e->block + 1;
			b->page[s] = e->page;
		}
	}
	return 0;
}

/* A replay cannot go on without the block: like a RAM page that cannot
 * be fetched, it ends the run with a report (the guest must not see an
 * I/O error the recording never had). */
static _Noreturn void fetch_failed(const struct disk_source *src, u64 block, const char *why)
{
	fprintf(stderr, "\nencore: disk vd%c, block %llu (bytes %llu-%llu), which the guest reads "
		"here: %s\n", 'a' + src->disk, (unsigned long long)block,
		(unsigned long long)(block * DISK_BLOCK_SIZE),
		(unsigned long long)((block + 1) * DISK_BLOCK_SIZE - 1), why);
	exit(2);
}

static int fetch_base(void *opaque, u64 block, u8 *data, char *err, size_t n)
{
	const struct disk_source *src = opaque;
	const struct base_index *b = &src->r->base[src->disk];
	char why[4400];
	(void)err, (void)n;
	for (u64 s = slot_of(b, block); b->key[s]; s = (s + 1) & (b->size - 1)) {
		if (b->key[s] != block + 1)
			continue;
		if (snap_reader__read_page(src->r->snap, b->page[s], data, why, sizeof(why)))
			fetch_failed(src, block, why);
		return 0;
	}
	fetch_failed(src, block, "the recording holds no content for it (its disk journal was "
		     "cut short, or is damaged)");
}

static int rebuild(void *opaque, unsigned disk, u64 count, struct disk_image *image, char *err,
		   size_t n)
{
	struct disk_replayer *r = opaque;
	u8 data[DISK_BLOCK_SIZE];
	u64 seen = 0;
	for (u64 k = 0; k < r->count && seen < count; k++) {
		const struct disk_journal_entry *e = &r->e[k];
		if (e->disk != disk)
			continue;
		seen++;
		bool written = e->kind == DISK_ENTRY_WRITTEN;
		if (written && snap_reader__read_page(r->snap, e->page, data, err, n))
			return -1;
		if (disk_image__restore_block(image, e->block, written ? data : NULL))
			return errmsg(err, n, "out of memory");
	}
	if (seen < count)
		return errmsg(err, n, "the disk journal holds %llu entries of disk %u; the checkpoint "
			      "needs %llu (it was cut short%s)", (unsigned long long)seen, disk,
			      (unsigned long long)count, r->torn ? " in a record" : "");
	return 0;
}

struct disk_replayer *disk_replayer__open(const char *dir, u64 id, struct snap_reader *snap,
					  char *err, size_t n)
{
	struct disk_replayer *r = calloc(1, sizeof(*r));
	if (!r) {
		errmsg(err, n, "out of memory");
		return NULL;
	}
	r->snap = snap;
	if (disk_journal__read(dir, id, &r->e, &r->count, &r->torn, err, n)) {
		free(r);
		return NULL;
	}
	for (unsigned d = 0; d < DISK_LOG_MAX_DISKS; d++) {
		r->source[d] = (struct disk_source){ r, d };
		if (index_disk(r, d)) {
			disk_replayer__close(r);
			errmsg(err, n, "out of memory");
			return NULL;
		}
	}
	r->history = (struct disk_history){ .rebuild = rebuild, .opaque = r };
	return r;
}

void disk_replayer__close(struct disk_replayer *r)
{
	if (!r)
		return;
	for (unsigned d = 0; d < DISK_LOG_MAX_DISKS; d++) {
		free(r->base[d].key);
		free(r->base[d].page);
	}
	free(r->e);
	free(r);
}

const struct disk_history *disk_replayer__history(struct disk_replayer *r)
{
	return &r->history;
}

disk_fetch_fn disk_replayer__fetch(struct disk_replayer *r, unsigned disk, void **opaque)
{
	*opaque = &r->source[disk];
	return fetch_base;
}
