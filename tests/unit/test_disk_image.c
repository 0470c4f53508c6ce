/*
 * The raw disk image backend (encore/hw/disk_image.h): the files it
 * refuses to open and what it says (naming the path), the locks that
 * keep two writers off one image, and reads and writes against a model,
 * straight to the file and through the snapshot overlay (which must
 * leave the file as it was, across the overlay's growth and partial
 * last block).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "encore/hw/disk_image.h"

static char made[16][40];
static unsigned nmade;

/* A new file under /tmp holding `len` bytes of `bytes` (NULL: zeros). */
static const char *new_file(const void *bytes, size_t len)
{
	char *p = made[nmade++];
	snprintf(p, sizeof(made[0]), "/tmp/encore-disk-XXXXXX");
	int fd = mkstemp(p);
	u8 *zeros = bytes ? NULL : calloc(1, len + 1);
	if (fd < 0 || write(fd, bytes ? bytes : zeros, len) != (ssize_t)len) {
		perror("new_file");
		exit(1);
	}
	free(zeros);
	close(fd);
	return p;
}

static bool file_equals(const char *path, const u8 *bytes, size_t len)
{
	u8 *b = malloc(len + 1);
	int fd = open(path, O_RDONLY);
	ssize_t got = fd < 0 ? -1 : read(fd, b, len + 1);
	if (fd >= 0)
		close(fd);
	bool same = got == (ssize_t)len && !memcmp(b, bytes, len);
	free(b);
	return same;
}

/* disk_image__open is refused with a message naming the path and
 * containing `what` (NULL: anything). */
static void refused(const char *name, const char *path, bool readonly, bool snapshot,
		    const char *what)
{
	char err[512] = "";
	struct disk_image *d = disk_image__open(path, readonly, snapshot, err, sizeof(err));
	CHECK(!d, "%s: refused", name);
	CHECK(strstr(err, path) != NULL, "%s: the message names the path: \"%s\"", name, err);
	if (what)
		CHECK(strstr(err, what) != NULL, "%s: the message says \"%s\": \"%s\"", name, what,
		      err);
	disk_image__close(d);
}

static struct disk_image *opened(const char *name, const char *path, bool readonly,
				 bool snapshot)
{
	char err[512] = "";
	struct disk_image *d = disk_image__open(path, readonly, snapshot, err, sizeof(err));
	CHECK(d != NULL, "%s: opened: %s", name, err);
	return d;
}

/*
 * Opens `path` for writing where a mode 0444 file is not writable: here,
 * or (as root, who may write it) in a child running as user 65534.  msg
 * gets '1' (opened) or '0' and the message.  0 when done here, 1 when
 * done in the child, -1 when neither could be.
 */
static int open_for_writing(const char *path, char *msg, size_t n)
{
	int fd = open(path, O_RDWR);
	if (fd < 0) {
		struct disk_image *d = disk_image__open(path, false, false, msg + 1, n - 1);
		msg[0] = d ? '1' : '0';
		disk_image__close(d);
		return 0;
	}
	close(fd);
	int p[2];
	if (getuid() != 0 || pipe(p))
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (setgid(65534) || setuid(65534) || (fd = open(path, O_RDWR)) >= 0)
			_exit(2);
		struct disk_image *d = disk_image__open(path, false, false, msg + 1, n - 1);
		msg[0] = d ? '1' : '0';
		ssize_t put = write(p[1], msg, strlen(msg));
		_exit(put > 0 ? 0 : 2);
	}
	close(p[1]);
	ssize_t got = pid > 0 ? read(p[0], msg, n - 1) : -1;
	close(p[0]);
	int status = 0;
	if (pid > 0)
		waitpid(pid, &status, 0);
	msg[got > 0 ? got : 0] = 0;
	return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && got > 0 ? 1 : -1;
}

static void test_open_errors(void)
{
	check_group("open errors");
	char dir[] = "/tmp/encore-disk-dir-XXXXXX";
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	char missing[64];
	snprintf(missing, sizeof(missing), "%s/missing.img", dir);
	refused("a missing file", missing, false, false, NULL);
	refused("a missing file, readonly", missing, true, false, NULL);
	refused("a directory", dir, false, false, NULL);
	refused("a directory, readonly", dir, true, false, "directory");
	refused("a directory, snapshot", dir, false, true, "directory");
	rmdir(dir);

	const char *empty = new_file(NULL, 0);
	refused("an empty file", empty, false, false, "empty");
	refused("an empty file, readonly", empty, true, false, "empty");
	const char *odd = new_file(NULL, 1000);
	refused("1000 bytes", odd, false, false, "1000");
	refused("1000 bytes, snapshot", odd, false, true, "512");

	const char *ro = new_file(NULL, 4096);
	chmod(ro, 0444);
	char msg[512] = "";
	int how = open_for_writing(ro, msg, sizeof(msg));
	if (how < 0) {
		printf("note: a mode 0444 file is writable here and no unprivileged user could be "
		       "had: the not-writable case is skipped\n");
	} else {
		if (how == 1)
			printf("note: running as root: the not-writable case runs as user 65534\n");
		CHECK(msg[0] == '0' && strstr(msg, ro), "a read-only file opened for writing: \"%s\"",
		      msg);
		CHECK(strstr(msg, "readonly") && strstr(msg, "snapshot"),
		      "the message suggests readonly or snapshot: \"%s\"", msg);
	}
	struct disk_image *d = opened("a read-only file, readonly", ro, true, false);
	CHECK(d && disk_image__readonly(d) && disk_image__size(d) == 4096, "readonly, 4096 bytes");
	disk_image__close(d);
	d = opened("a read-only file, snapshot", ro, false, true);
	CHECK(d && !disk_image__readonly(d), "a snapshot is writable");
	disk_image__close(d);
	char err[8];
	d = disk_image__open(missing, false, false, err, sizeof(err));
	CHECK(!d && strlen(err) == 7, "a short message buffer is cut, terminated");
	CHECK(!disk_image__open(missing, false, false, NULL, 0), "no message buffer at all");
}

static void test_locks(void)
{
	check_group("locks");
	const char *path = new_file(NULL, 8192);
	struct disk_image *w = opened("a writer", path, false, false);
	refused("a second writer", path, false, false, "in use");
	refused("a reader while written", path, true, false, "in use");
	refused("a snapshot while written", path, false, true, "in use");
	disk_image__close(w);
	struct disk_image *r1 = opened("a reader", path, true, false);
	struct disk_image *r2 = opened("a second reader", path, true, false);
	struct disk_image *s = opened("a snapshot beside readers", path, false, true);
	refused("a writer while read", path, false, false, "in use");
	disk_image__close(r1);
	refused("a writer while still read", path, false, false, "in use");
	disk_image__close(r2);
	disk_image__close(s);
	w = opened("a writer once all are gone", path, false, false);
	disk_image__close(w);
}

/* Random reads and writes against a copy in memory. */
static void exercise(struct disk_image *d, u8 *model, u64 size, struct rng *r, unsigned rounds,
		     bool *ok)
{
	u8 *buf = malloc(64 * 1024);
	char err[256];
	for (unsigned k = 0; k < rounds && *ok; k++) {
		u64 sectors = size / DISK_SECTOR_SIZE;
		u64 first = rng_below(r, sectors);
		u64 n = 1 + rng_below(r, sectors - first < 128 ? sectors - first : 128);
		u64 off = first * DISK_SECTOR_SIZE, len = n * DISK_SECTOR_SIZE;
		if (rng_chance(r, 1, 2)) {
			rng_fill(r, buf, len);
			*ok = disk_image__write(d, off, buf, len, err, sizeof(err)) == 0;
			memcpy(model + off, buf, len);
		} else {
			*ok = disk_image__read(d, off, buf, len, err, sizeof(err)) == 0 &&
			      !memcmp(buf, model + off, len);
		}
		if (!*ok)
			printf("  round %u: %s %llu bytes at %llu\n", k, err, (unsigned long long)len,
			       (unsigned long long)off);
	}
	free(buf);
}

static void test_data(void)
{
	check_group("data");
	struct rng r;
	rng_seed(&r, check_seed(0xd15c));
	/* 2.5 MiB + 3 sectors: a partial last block, and room for more
	 * written blocks than the overlay's first table holds */
	u64 size = 640 * DISK_BLOCK_SIZE + 3 * DISK_SECTOR_SIZE;
	u8 *orig = malloc(size), *model = malloc(size), *back = malloc(size);
	rng_fill(&r, orig, size);
	char err[256];

	const char *path = new_file(orig, size);
	struct disk_image *d = opened("writable", path, false, false);
	memcpy(model, orig, size);
	bool ok = d != NULL;
	if (d)
		exercise(d, model, size, &r, 300, &ok);
	CHECK(ok, "300 random reads and writes match the model");
	CHECK(d && disk_image__flush(d, err, sizeof(err)) == 0, "flush");
	disk_image__close(d);
	CHECK(file_equals(path, model, size), "the file holds every write");

	/* snapshot: every block written, reads across overlay and file */
	const char *spath = new_file(orig, size);
	d = opened("snapshot", spath, false, true);
	memcpy(model, orig, size);
	ok = d != NULL;
	if (d)
		exercise(d, model, size, &r, 300, &ok);
	CHECK(ok, "snapshot: 300 random reads and writes match the model");
	u8 *one = malloc(DISK_SECTOR_SIZE);
	for (u64 b = 0; d && ok && b * DISK_BLOCK_SIZE < size; b += 1) {
		/* a sector in each block: the overlay grows past 1024 slots */
		u64 off = b * DISK_BLOCK_SIZE + (b % 8) * DISK_SECTOR_SIZE;
		if (off >= size)
			continue;
		rng_fill(&r, one, DISK_SECTOR_SIZE);
		ok = disk_image__write(d, off, one, DISK_SECTOR_SIZE, err, sizeof(err)) == 0;
		memcpy(model + off, one, DISK_SECTOR_SIZE);
	}
	CHECK(ok, "snapshot: a write in every block");
	CHECK(d && disk_image__read(d, 0, back, size, err, sizeof(err)) == 0 &&
	      !memcmp(back, model, size), "snapshot: the whole image reads back the model");
	u64 last = size - DISK_SECTOR_SIZE;
	CHECK(d && disk_image__write(d, last, one, DISK_SECTOR_SIZE, err, sizeof(err)) == 0 &&
	      disk_image__read(d, last, back, DISK_SECTOR_SIZE, err, sizeof(err)) == 0 &&
	      !memcmp(back, one, DISK_SECTOR_SIZE), "snapshot: the last sector of a partial block");
	CHECK(d && disk_image__flush(d, err, sizeof(err)) == 0, "snapshot flush");
	CHECK(file_equals(spath, orig, size), "snapshot: the file is unchanged");
	disk_image__close(d);
	CHECK(file_equals(spath, orig, size), "snapshot: unchanged after close");

	/* readonly: writes refused with a message, nothing changes */
	d = opened("readonly", spath, true, false);
	err[0] = 0;
	CHECK(d && disk_image__write(d, 0, one, DISK_SECTOR_SIZE, err, sizeof(err)) == -1 &&
	      strstr(err, spath), "readonly write refused: \"%s\"", err);
	CHECK(d && disk_image__read(d, 0, back, size, err, sizeof(err)) == 0 &&
	      !memcmp(back, orig, size), "readonly reads the file");
	CHECK(d && disk_image__flush(d, err, sizeof(err)) == 0, "readonly flush");
	disk_image__close(d);
	CHECK(file_equals(spath, orig, size), "readonly: the file is unchanged");
	free(one);
	free(orig);
	free(model);
	free(back);
}

int main(void)
{
	test_open_errors();
	test_locks();
	test_data();
	for (unsigned k = 0; k < nmade; k++) {
		chmod(made[k], 0644);
		unlink(made[k]);
	}
	check_group_end();
	return check_summary();
}
