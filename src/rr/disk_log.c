/* Disks in a recording (disk_log.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk_journal.h"
#include "disk_log.h"
#include "encore/errmsg.h"
#include "encore/u64_table.h"

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

struct disk_source {
	struct disk_replayer *r;
	unsigned disk;
};

struct disk_replayer {
	struct snap_reader *snap;
	struct disk_journal_entry *e;
	u64 count;
	bool torn;
	/* Per disk, block -> page: the base entries, and, after a restore,
	 * each block's last write before the checkpoint (fetched on first
	 * use, so a restore stays sparse). */
	struct u64_table base[DISK_LOG_MAX_DISKS], restored[DISK_LOG_MAX_DISKS];
	struct disk_source source[DISK_LOG_MAX_DISKS];
	struct disk_history history;
	/* Going live: where blocks the recording never saw come from (an
	 * image file, or -1: none, and reading one ends the run). */
	int fallback_fd[DISK_LOG_MAX_DISKS];
	bool live;
};

/* Map block to page in t (made on first use); keep an existing mapping
 * unless `replace`. */
static int put(struct u64_table *t, u64 block, u32 page, bool replace)
{
	if (!t->slots && u64_table__init(t))
		return -1;
	if (!replace && u64_table__find(t, block))
		return 0;
	u64 *v = u64_table__value(t, block);
	if (!v)
		return -1;
	*v = page;
	return 0;
}

static bool get(const struct u64_table *t, u64 block, u32 *page)
{
	const u64 *v = t->slots ? u64_table__find(t, block) : NULL;
	if (v)
		*page = (u32)*v;
	return v != NULL;
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

/* A block the recording never saw, gone live: from the image file (a
 * partial last block reads as zeros past the end). */
static int fallback_block(const struct disk_source *src, u64 block, u8 *data)
{
	memset(data, 0, DISK_BLOCK_SIZE);
	ssize_t r = pread(src->r->fallback_fd[src->disk], data, DISK_BLOCK_SIZE,
			  (off_t)(block * DISK_BLOCK_SIZE));
	if (r < 0)
		fetch_failed(src, block, strerror(errno));
	return 0;
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
	    !get(&src->r->base[src->disk], block, &page)) {
		if (src->r->fallback_fd[src->disk] >= 0)
			return fallback_block(src, block, data);
		fetch_failed(src, block, src->r->live ?
			     "the recording never saw it (give encore replay the disk's original "
			     "image with --disk FILE to go live with it)" :
			     "the recording holds no content for it (its disk journal was cut "
			     "short, or is damaged)");
	}
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
	struct u64_table *w = &r->restored[disk];
	u64 seen = 0;
	u64_table__free(w);
	for (u64 k = 0; k < r->count && seen < count; k++) {
		const struct disk_journal_entry *e = &r->e[k];
		if (e->disk != disk)
			continue;
		seen++;
		if (e->block >= disk_image__blocks(image))
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
	for (unsigned d = 0; d < DISK_LOG_MAX_DISKS; d++) {
		r->source[d] = (struct disk_source){ r, d };
		r->fallback_fd[d] = -1;
	}
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
		u64_table__free(&r->base[d]);
		u64_table__free(&r->restored[d]);
		if (r->fallback_fd[d] >= 0)
			close(r->fallback_fd[d]);
	}
	free(r->e);
	free(r);
}

const struct disk_history *disk_replayer__history(struct disk_replayer *r)
{
	return &r->history;
}

int disk_replayer__go_live(struct disk_replayer *r, unsigned disk, const char *image, u64 size,
			   char *err, size_t n)
{
	r->live = true;
	if (!image)
		return 0;
	int fd = open(image, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return errmsg(err, n, "cannot open disk image %s: %s", image, strerror(errno));
	if (fstat(fd, &st) || (u64)st.st_size != size) {
		close(fd);
		return errmsg(err, n, "disk image %s holds %llu bytes, but the recording's vd%c had "
			      "%llu: not its image", image, (unsigned long long)st.st_size, 'a' + disk,
			      (unsigned long long)size);
	}
	if (r->fallback_fd[disk] >= 0)
		close(r->fallback_fd[disk]);
	r->fallback_fd[disk] = fd;
	return 0;
}

disk_fetch_fn disk_replayer__fetch(struct disk_replayer *r, unsigned disk, void **opaque)
{
	*opaque = &r->source[disk];
	return fetch_block;
}
