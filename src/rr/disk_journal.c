/* A recording's disk journal (disk_journal.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "disk_journal.h"
#include "encore/errmsg.h"
#include "encore/fd_write.h"
#include "encore/le_bytes.h"
#include "encore/loader.h"

struct disk_journal_writer {
	int fd;
	char path[4200];
};

struct disk_journal_writer *disk_journal__create(const char *dir, u64 id, char *err, size_t n)
{
	struct disk_journal_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		errmsg(err, n, "out of memory");
		return NULL;
	}
	snprintf(w->path, sizeof(w->path), "%s/%s", dir, DISK_JOURNAL_FILE);
	w->fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	u8 h[DISK_JOURNAL_HEADER_SIZE] = { 0 };
	memcpy(h, DISK_JOURNAL_MAGIC, 8);
	put32(h + 8, DISK_JOURNAL_VERSION);
	put32(h + 12, DISK_JOURNAL_HEADER_SIZE);
	put64(h + 16, id);
	put64(h + 24, XXH3_64bits(h, 24));
	if (w->fd < 0 || fd_write_all(w->fd, h, sizeof(h))) {
		errmsg(err, n, "cannot create %s: %s", w->path, strerror(errno));
		if (w->fd >= 0)
			close(w->fd);
		free(w);
		return NULL;
	}
	return w;
}

int disk_journal__append(struct disk_journal_writer *w, const struct disk_journal_entry *e,
			 char *err, size_t n)
{
	u8 r[DISK_JOURNAL_RECORD_SIZE] = { 0 };
	r[0] = e->kind;
	r[1] = e->disk;
	put32(r + 4, e->page);
	put64(r + 8, e->block);
	put64(r + 24, XXH3_64bits(r, 24));
	if (fd_write_all(w->fd, r, sizeof(r)))
		return errmsg(err, n, "cannot write %s: %s", w->path, strerror(errno));
	return 0;
}

int disk_journal__close(struct disk_journal_writer *w, char *err, size_t n)
{
	int r = close(w->fd) ? errmsg(err, n, "cannot close %s: %s", w->path, strerror(errno)) : 0;
	free(w);
	return r;
}

int disk_journal__parse(const u8 *buf, size_t size, u64 id, struct disk_journal_entry **entries,
			u64 *count, bool *torn, char *err, size_t n)
{
	*entries = NULL;
	*count = 0;
	*torn = false;
	if (size < DISK_JOURNAL_HEADER_SIZE || memcmp(buf, DISK_JOURNAL_MAGIC, 8))
		return errmsg(err, n, "it is not a disk journal");
	if (get64(buf + 24) != XXH3_64bits(buf, 24))
		return errmsg(err, n, "its header fails its checksum");
	if (get32(buf + 8) != DISK_JOURNAL_VERSION || get32(buf + 12) != DISK_JOURNAL_HEADER_SIZE)
		return errmsg(err, n, "it has version %u; this encore reads version %u",
			      get32(buf + 8), DISK_JOURNAL_VERSION);
	if (get64(buf + 16) != id)
		return errmsg(err, n, "it belongs to another recording");
	size_t records = (size - DISK_JOURNAL_HEADER_SIZE) / DISK_JOURNAL_RECORD_SIZE;
	*torn = (size - DISK_JOURNAL_HEADER_SIZE) % DISK_JOURNAL_RECORD_SIZE != 0;
	struct disk_journal_entry *e = calloc(records ? records : 1, sizeof(*e));
	if (!e)
		return errmsg(err, n, "out of memory");
	for (size_t k = 0; k < records; k++) {
		const u8 *r = buf + DISK_JOURNAL_HEADER_SIZE + k * DISK_JOURNAL_RECORD_SIZE;
		bool zeros = !r[2] && !r[3] && !get64(r + 16);
		if (get64(r + 24) != XXH3_64bits(r, 24) || !zeros || r[0] < 1 || r[0] > 2) {
			free(e);
			return errmsg(err, n, "record %zu (byte %zu) is damaged", k,
				      DISK_JOURNAL_HEADER_SIZE + k * DISK_JOURNAL_RECORD_SIZE);
		}
		e[k] = (struct disk_journal_entry){ r[0], r[1], get32(r + 4), get64(r + 8) };
	}
	*entries = e;
	*count = records;
	return 0;
}

int disk_journal__read(const char *dir, u64 id, struct disk_journal_entry **entries,
		       u64 *count, bool *torn, char *err, size_t n)
{
	char path[4200], why[256];
	size_t size;
	snprintf(path, sizeof(path), "%s/%s", dir, DISK_JOURNAL_FILE);
	u8 *buf = loader__read_file(path, &size, why, sizeof(why));
	if (!buf) {
		*entries = NULL;
		*count = 0;
		return errmsg(err, n, "%s", why);
	}
	int r = disk_journal__parse(buf, size, id, entries, count, torn, why, sizeof(why));
	free(buf);
	return r ? errmsg(err, n, "%s is damaged: %s", path, why) : 0;
}
