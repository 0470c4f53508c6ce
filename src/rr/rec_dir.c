/* The recording directory on disk (rec_dir.h). */
#define _GNU_SOURCE /* mkdtemp */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "encore/errmsg.h"
#include "rec_dir.h"

static bool is_empty_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return false;
	struct dirent *e;
	bool empty = true;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

int rec_dir__stage(const char *rec, char *staging, char *err, size_t errlen)
{
	struct stat st;
	if (!*rec)
		return errmsg(err, errlen, "the recording directory name is empty");
	if (!stat(rec, &st) && !(S_ISDIR(st.st_mode) && is_empty_dir(rec)))
		return errmsg(err, errlen, "%s already exists; give a new directory (or an empty one)",
			    rec);
	char a[REC_PATH_MAX], b[REC_PATH_MAX];
	snprintf(a, sizeof(a), "%s", rec);
	snprintf(b, sizeof(b), "%s", rec);
	int n = snprintf(staging, REC_PATH_MAX, "%s/.%s.XXXXXX", dirname(a), basename(b));
	if (n >= REC_PATH_MAX)
		return errmsg(err, errlen, "the recording path is too long");
	if (!mkdtemp(staging))
		return errmsg(err, errlen, "cannot create a directory beside %s: %s", rec,
			    strerror(errno));
	mode_t mask = umask(0);
	umask(mask);
	chmod(staging, 0777 & ~mask); /* mkdtemp's 0700 is for secrets, not recordings */
	return 0;
}

/* Stream `fd` through XXH3-128, copying to `out` if it is not -1. */
static int hash_stream(int fd, int out, char hash[33])
{
	XXH3_state_t *h = XXH3_createState();
	static u8 buf[1 << 20];
	ssize_t n;
	int r = 0;
	if (!h)
		return -1;
	XXH3_128bits_reset(h);
	while (!r && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			r = errno == EINTR ? 0 : -1;
			continue;
		}
		XXH3_128bits_update(h, buf, (size_t)n);
		for (ssize_t off = 0; out >= 0 && off < n && !r;) {
			ssize_t k = write(out, buf + off, (size_t)(n - off));
			r = k > 0 || (k < 0 && errno == EINTR) ? 0 : -1;
			off += k > 0 ? k : 0;
		}
	}
	if (!r) {
		XXH128_hash_t d = XXH3_128bits_digest(h);
		snprintf(hash, 33, "%016llx%016llx", (unsigned long long)d.high64,
			 (unsigned long long)d.low64);
	}
	XXH3_freeState(h);
	return r;
}

int rec_dir__add_file(const char *dir, const char *name, const char *src, char hash[33],
		      char *err, size_t errlen)
{
	char path[REC_PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return errmsg(err, errlen, "cannot open %s: %s", src, strerror(errno));
	int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return errmsg(err, errlen, "cannot create %s: %s", path, strerror(errno));
	}
	int r = hash_stream(in, out, hash);
	if (!r)
		r = fsync(out);
	r |= close(out);
	close(in);
	return r ? errmsg(err, errlen, "cannot copy %s to %s: %s", src, path, strerror(errno)) : 0;
}

int rec_dir__check_file(const char *dir, const char *name, const char *hash, char *err,
			size_t errlen)
{
	char path[REC_PATH_MAX + 64], got[33];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errmsg(err, errlen, "cannot open %s: %s", path, strerror(errno));
	int r = hash_stream(fd, -1, got);
	close(fd);
	if (r)
		return errmsg(err, errlen, "cannot read %s: %s", path, strerror(errno));
	if (strcmp(got, hash))
		return errmsg(err, errlen, "%s does not have the hash the metadata gives it (%s, not "
			    "%s): the file is corrupt or was replaced", path, got, hash);
	return 0;
}

void rec_dir__discard(const char *staging)
{
	/* The staging directory is encore's own (mkdtemp): everything in
	 * it was written by this recorder, whatever stage it failed at. */
	DIR *d = opendir(staging);
	char path[REC_PATH_MAX + 300];
	for (struct dirent *e; d && (e = readdir(d));) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", staging, e->d_name);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
	rmdir(staging);
}

int rec_dir__publish(const char *staging, const char *rec, char *err, size_t errlen)
{
	if (rename(staging, rec))
		return errmsg(err, errlen, "cannot rename %s to %s: %s", staging, rec, strerror(errno));
	char a[REC_PATH_MAX];
	snprintf(a, sizeof(a), "%s", rec);
	int fd = open(dirname(a), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd); /* the rename itself survives a crash */
		close(fd);
	}
	return 0;
}

u8 *rec_dir__read(const char *dir, const char *name, size_t *size, char *err, size_t errlen)
{
	char path[REC_PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*size = 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		errmsg(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 16, n = 0;
	u8 *data = malloc(cap);
	while (data) {
		n += fread(data + n, 1, cap - n, f);
		if (n < cap)
			break;
		u8 *bigger = realloc(data, cap * 2);
		if (!bigger) {
			free(data);
			data = NULL;
			break;
		}
		data = bigger;
		cap *= 2;
	}
	bool bad = ferror(f);
	fclose(f);
	if (!data || bad) {
		free(data);
		errmsg(err, errlen, "cannot read %s", path);
		return NULL;
	}
	*size = n;
	return data;
}

int rec_dir__lock(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB)) {
		errmsg(err, errlen, "cannot lock %s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

bool rec_dir__being_recorded(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool locked = flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
	close(fd);
	return locked;
}
