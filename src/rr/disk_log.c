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

/* Block -> page, open addressing (key: block + 1; 0 is empty), at most
 * half full. */
struct block_pages {
	u64 *key;
	u32 *page;
	u64 size, used;  /* size a power of 2 */
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
	/* Per disk: the base entries, and, after a restore, the content of
	 * each block written before the checkpoint (fetched on first use,
	 * so a restore stays sparse). */
	struct block_pages base[DISK_LOG_MAX_DISKS], restored[DISK_LOG_MAX_DISKS];
	struct disk_source source[DISK_LOG_MAX_DISKS];
	struct disk_history history;
};

static u64 slot_of(const struct block_pages *b, u64 block)
{
	u64 h = (block + 1) * 0x9e3779b97f4a7c15ull;
	return (h ^ h >> 31) & (b->size - 1);
}

static u64 *find_slot(const struct block_pages *b, u64 block)
{
	u64 s = slot_of(b, block);
	while (b->key[s] && b->key[s] != block + 1)
		s = (s + 1) & (b->size - 1);
	return &b->key[s];
}

static int grow(struct block_pages *b)
{
	if (b->size && 2 * (b->used + 1) <= b->size)
		return 0;
	struct block_pages old = *b;
	b->size = old.size ? 2 * old.size : 64;
	b->used = 0;
	b->key = calloc(b->size, sizeof(*b->key));
	b->page = calloc(b->size, sizeof(*b->page));
	if (!b->key || !b->page) {
		free(b->key);
		free(b->page);
		*b = old;
		return -1;
	}
	for (u64 k = 0; k < old.size; k++)
		if (old.key[k]) {
			u64 *slot = find_slot(b, old.key[k] - 1);
			*slot = old.key[k];
			b->page[slot - b->key] = old.page[k];
			b->used++;
		}
	free(old.key);
	free(old.page);
	return 0;
}

/* Map block to page; keep an existing mapping unless `replace`. */
static int put(struct block_pages *b, u64 block, u32 page, bool replace)
{
	if (grow(b))
		return -1;
	u64 *slot = find_slot(b, block);
	if (*slot && !replace)
		return 0;
	b->used += !*slot;
	*slot = block + 1;
	b->page[slot - b->key] = page;
	return 0;
}

static bool get(const struct block_pages *b, u64 block, u32 *page)
{
	if (!b->size)
		return false;
	const u64 *slot = find_slot(b, block);
	if (*slot)
		*page = b->page[slot - b->key];
	return *slot != 0;
}

static void free_pages(struct block_pages *b)
{
	free(b->key);
	free(b->page);
	memset(b, 0, sizeof(*b));
}

/* A block's first touch is its only BASE entry. */
static int index_base(struct disk_replayer *r)
{
	for (u64 k = 0; k < r->count; k++) {
		const struct disk_journal_entry *e = &r->e[k];
		if (e->kind == DISK_ENTRY_BASE && e->disk < DISK_LOG_MAX_DISKS &&
		    put(&r->base[e->disk], e->block, e->page, false))
			return -1;
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

/* A block the guest has not written since the replay began: as the
 * restored checkpoint left it, else as the guest first found it. */
static int fetch_block(void *opaque, u64 block, u8 *data, char *err, size_t n)
{
	const struct disk_source *src = opaque;
	char why[4400];
	u32 page;
	(void)err, (void)n;
	if (!get(&src->r->restored[src->disk], block, &page) &&
	    !get(&src->r->base[src->disk], block, &page))
		fetch_failed(src, block, "the recording holds no content for it (its disk journal "
			     "was cut short, or is damaged)");
	if (snap_reader__read_page(src->r->snap, page, data, why, sizeof(why)))
		fetch_failed(src, block, why);
	return 0;
}

/* The disk at the restored checkpoint: every block its first `count`
 * entries touched is touched; the written ones read, when the guest
 * reads them, as their last write before it left them. */
static int rebuild(void *opaque, unsigned disk, u64 count, struct disk_image *image, char *err,
		   size_t n)
{
	struct disk_replayer *r = opaque;
	struct block_pages *w = &r->restored[disk];
	u64 seen = 0;
	free_pages(w);
	for (u64 k = 0; k < r->count && seen < count; k++) {
		const struct disk_journal_entry *e = &r->e[k];
		if (e->disk != disk)
			continue;
		seen++;
		if (e->block >= (disk_image__size(image) + DISK_BLOCK_SIZE - 1) / DISK_BLOCK_SIZE)
			return errmsg(err, n, "disk journal entry %llu names block %llu of disk %u, "
				      "which has %llu bytes (the journal is damaged)",
				      (unsigned long long)k, (unsigned long long)e->block, disk,
				      (unsigned long long)disk_image__size(image));
		if ((e->kind == DISK_ENTRY_WRITTEN && put(w, e->block, e->page, true)) ||
		    disk_image__restore_block(image, e->block, NULL))
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
	for (unsigned d = 0; d < DISK_LOG_MAX_DISKS; d++)
		r->source[d] = (struct disk_source){ r, d };
	if (index_base(r)) {
		disk_replayer__close(r);
		errmsg(err, n, "out of memory");
		return NULL;
	}
	r->history = (struct disk_history){ .rebuild = rebuild, .opaque = r };
	return r;
}

void disk_replayer__close(struct disk_replayer *r)
{
	if (!r)
		return;
	for (unsigned d = 0; d < DISK_LOG_MAX_DISKS; d++) {
		free_pages(&r->base[d]);
		free_pages(&r->restored[d]);
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
	return fetch_block;
}
