/*
 * A disk's history, layer by layer, without the virtio device: the
 * observer of a disk image (which blocks are reported touched, with what
 * content, and when a write is reported), a file-less "source" disk
 * (what it fetches, and what it must never fetch), a recording's disks
 * written by the recorder and read back by the replayer (base content,
 * rebuilding at a count of entries, deduplicated pages), and the
 * journal and page store cut short or damaged.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "encore/hw/disk_image.h"
#include "encore/machine.h"
#include "rr/disk_journal.h"
#include "rr/disk_log.h"
#include "snap/snap_reader.h"
#include "snap/snap_writer.h"

#define BS DISK_BLOCK_SIZE
#define SS DISK_SECTOR_SIZE
#define ID 0x5eed0d15c0ffee01ull

/* ---- temporary files and directories ---- */

static char files[8][40], dirs[8][40];
static unsigned nfiles, ndirs;

static const char *new_file(const u8 *bytes, size_t len)
{
	char *p = files[nfiles++];
	snprintf(p, sizeof(files[0]), "/tmp/encore-dh-XXXXXX");
	int fd = mkstemp(p);
	if (fd < 0 || write(fd, bytes, len) != (ssize_t)len) {
		perror("new_file");
		exit(1);
	}
	close(fd);
	return p;
}

static const char *new_dir(void)
{
	char *p = dirs[ndirs++];
	snprintf(p, sizeof(dirs[0]), "/tmp/encore-dh-XXXXXX");
	if (!mkdtemp(p)) {
		perror("new_dir");
		exit(1);
	}
	return p;
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[320];
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static u8 *slurp(const char *path, size_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	u8 *b = NULL;
	if (fd >= 0 && !fstat(fd, &st) && (b = malloc((size_t)st.st_size + 1)) &&
	    read(fd, b, (size_t)st.st_size) == st.st_size) {
		*size = (size_t)st.st_size;
	} else {
		free(b);
		b = NULL;
	}
	if (fd >= 0)
		close(fd);
	return b;
}

static void spill(const char *path, const u8 *bytes, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, bytes, len) != (ssize_t)len) {
		perror("spill");
		exit(1);
	}
	close(fd);
}

/* ---- content ---- */

/* A block of bytes made from `seed` (not all zeros). */
static void pattern(u8 *b, size_t len, u64 seed)
{
	struct rng r;
	rng_seed(&r, seed * 0x100000001b3ull + 7);
	rng_fill(&r, b, len);
	b[0] |= 1;
}

/* Block `b` of an image of `size` bytes held in `img`, zero-padded. */
static void block_of(const u8 *img, u64 size, u64 b, u8 *out)
{
	u64 off = b * BS, len = size - off < BS ? size - off : BS;
	memset(out, 0, BS);
	memcpy(out, img + off, len);
}

/* ---- an observer that keeps every call ---- */

#define MAX_CALLS 16

struct call {
	char kind;   /* 'T' touched, 'W' written */
	u64 block;
	u8 data[BS];
};

struct calls {
	struct call c[MAX_CALLS];
	unsigned n;  /* every call, also those past MAX_CALLS */
};

static void keep(struct calls *l, char kind, u64 block, const u8 *data)
{
	if (l->n < MAX_CALLS) {
		l->c[l->n].kind = kind;
		l->c[l->n].block = block;
		memcpy(l->c[l->n].data, data, BS);
	}
	l->n++;
}

static void on_touched(void *opaque, u64 block, const u8 *data)
{
	keep(opaque, 'T', block, data);
}

static void on_written(void *opaque, u64 block, const u8 *data)
{
	keep(opaque, 'W', block, data);
}

static struct disk_image *observed(struct disk_image *d, struct calls *l)
{
	struct disk_observer o = { on_touched, on_written, l };
	memset(l, 0, sizeof(*l));
	if (d)
		CHECK(disk_image__observe(d, &o) == 0, "observe");
	return d;
}

struct want {
	char kind;
	u64 block;
	const u8 *data; /* BS bytes; NULL: do not compare */
};

/* The calls since the last expect are exactly `w`, in order. */
static void expect(const char *what, struct calls *l, const struct want *w, unsigned nw)
{
	bool same = l->n == nw;
	for (unsigned k = 0; same && k < nw; k++)
		same = l->c[k].kind == w[k].kind && l->c[k].block == w[k].block &&
		       (!w[k].data || !memcmp(l->c[k].data, w[k].data, BS));
	char got[256] = "", want[256] = "";
	for (unsigned k = 0; k < l->n && k < MAX_CALLS; k++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), " %c%llu%s", l->c[k].kind,
			 (unsigned long long)l->c[k].block,
			 k < nw && w[k].data && memcmp(l->c[k].data, w[k].data, BS) ? "(data!)" : "");
	for (unsigned k = 0; k < nw; k++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), " %c%llu", w[k].kind,
			 (unsigned long long)w[k].block);
	CHECK(same, "%s: calls [%s ] (want [%s ])", what, got, want);
	l->n = 0;
}

/* ---- 1. the observer on an image file ---- */

static bool io(struct disk_image *d, bool write, u64 off, void *buf, u64 len)
{
	char err[512] = "";
	int r = write ? disk_image__write(d, off, buf, len, err, sizeof(err))
		      : disk_image__read(d, off, buf, len, err, sizeof(err));
	if (r)
		printf("  %s %llu bytes at %llu: %s\n", write ? "write" : "read",
		       (unsigned long long)len, (unsigned long long)off, err);
	return r == 0;
}

/* Write `len` bytes of pattern `seed` at `off`, to d and to the model. */
static bool put(struct disk_image *d, u8 *model, u64 off, u64 len, u64 seed)
{
	u8 *buf = malloc(len);
	pattern(buf, len, seed);
	memcpy(model + off, buf, len);
	bool ok = io(d, true, off, buf, len);
	free(buf);
	return ok;
}

/* Read [off, off + len) and compare with the model. */
static bool reads_as(struct disk_image *d, const u8 *model, u64 off, u64 len)
{
	u8 *buf = malloc(len);
	bool ok = io(d, false, off, buf, len) && !memcmp(buf, model + off, len);
	free(buf);
	return ok;
}

static void observe_file(bool snapshot)
{
	/* 8 whole blocks and a last block of 3 sectors */
	const u64 size = 8 * BS + 3 * SS;
	u8 *orig = malloc(size), *model = malloc(size);
	u8 o[9][BS], m[BS], m2[BS];
	pattern(orig, size, 1);
	memcpy(model, orig, size);
	for (u64 b = 0; b < 9; b++)
		block_of(orig, size, b, o[b]);
	const char *path = new_file(orig, size);
	char err[512] = "";
	struct calls *l = calloc(1, sizeof(*l));
	struct disk_image *d = observed(disk_image__open(path, false, snapshot, err, sizeof(err)), l);
	CHECK(d != NULL, "open: %s", err);
	if (!d)
		goto out;

	CHECK(reads_as(d, model, SS, SS), "a sector of block 0 reads");
	expect("first read of block 0", l, (struct want[]){ { 'T', 0, o[0] } }, 1);
	CHECK(reads_as(d, model, 0, BS), "block 0 reads");
	expect("second read of block 0", l, NULL, 0);

	CHECK(put(d, model, BS + 2 * SS, SS, 11), "a sector into block 1");
	block_of(model, size, 1, m);
	expect("a partial write to untouched block 1", l,
	       (struct want[]){ { 'T', 1, o[1] }, { 'W', 1, m } }, 2);
	CHECK(put(d, model, BS + 5 * SS, 2 * SS, 12), "two more sectors into block 1");
	block_of(model, size, 1, m);
	expect("a second partial write to block 1", l, (struct want[]){ { 'W', 1, m } }, 1);

	CHECK(put(d, model, 2 * BS, BS, 13), "all of block 2");
	block_of(model, size, 2, m);
	expect("a whole-block write to untouched block 2", l, (struct want[]){ { 'W', 2, m } }, 1);

	CHECK(put(d, model, 3 * BS + 4 * SS, BS, 14), "the second half of 3, the first of 4");
	block_of(model, size, 3, m);
	block_of(model, size, 4, m2);
	expect("a write across untouched blocks 3 and 4", l,
	       (struct want[]){ { 'T', 3, o[3] }, { 'T', 4, o[4] }, { 'W', 3, m }, { 'W', 4, m2 } },
	       4);

	CHECK(put(d, model, 5 * BS - SS, SS + BS, 15), "the last sector of 4 and all of 5");
	block_of(model, size, 4, m);
	block_of(model, size, 5, m2);
	expect("a write ending touched block 4 and covering untouched 5", l,
	       (struct want[]){ { 'W', 4, m }, { 'W', 5, m2 } }, 2);

	CHECK(reads_as(d, model, 7 * BS - SS, 2 * SS), "the sectors either side of 6|7");
	expect("a read across untouched blocks 6 and 7", l,
	       (struct want[]){ { 'T', 6, o[6] }, { 'T', 7, o[7] } }, 2);

	CHECK(reads_as(d, model, 8 * BS + SS, SS), "a sector of the last, partial block");
	expect("the last block, zero-padded, when read", l, (struct want[]){ { 'T', 8, o[8] } }, 1);
	CHECK(put(d, model, 8 * BS + 2 * SS, SS, 16), "the last sector of the image");
	block_of(model, size, 8, m);
	CHECK(!memcmp(m + 3 * SS, (u8[BS - 3 * SS]){ 0 }, BS - 3 * SS), "(the model pads)");
	expect("the last block, zero-padded, when written", l, (struct want[]){ { 'W', 8, m } },
	       1);

	CHECK(reads_as(d, model, 0, size), "the whole image reads as written");
	expect("reading everything, all touched", l, NULL, 0);
	CHECK(io(d, true, 3 * BS, model + 3 * BS, 0) && io(d, false, 0, m, 0),
	      "zero-length accesses");
	expect("zero-length accesses", l, NULL, 0);
	disk_image__close(d);

	size_t got_size = 0;
	u8 *got = slurp(path, &got_size);
	CHECK(got && got_size == size && !memcmp(got, snapshot ? orig : model, size),
	      "the file %s", snapshot ? "is unchanged" : "holds the writes");
	free(got);

	/* An image whose only block is partial, written whole: no base. */
	const char *small = new_file(orig, 3 * SS);
	d = observed(disk_image__open(small, false, snapshot, err, sizeof(err)), l);
	CHECK(d != NULL, "open 3 sectors: %s", err);
	memcpy(model, orig, 3 * SS);
	CHECK(d && put(d, model, 0, 3 * SS, 17), "write all 3 sectors");
	block_of(model, 3 * SS, 0, m);
	expect("a whole write of a partial block", l, (struct want[]){ { 'W', 0, m } }, 1);
	CHECK(d && reads_as(d, model, 0, 3 * SS), "reads back");
	expect("and a read after it", l, NULL, 0);
	disk_image__close(d);
out:
	free(l);
	free(orig);
	free(model);
}

static void test_observer(void)
{
	check_group("observer, file");
	observe_file(false);
	check_group("observer, snapshot=on");
	observe_file(true);

	check_group("observer, readonly");
	const u64 size = 4 * BS;
	u8 *orig = malloc(size), blk[BS], o0[BS];
	pattern(orig, size, 2);
	block_of(orig, size, 0, o0);
	const char *path = new_file(orig, size);
	char err[512] = "";
	struct calls *l = calloc(1, sizeof(*l));
	struct disk_image *d = observed(disk_image__open(path, true, false, err, sizeof(err)), l);
	CHECK(d != NULL, "open readonly: %s", err);
	if (d) {
		memset(blk, 0x5a, BS);
		CHECK(disk_image__write(d, 0, blk, SS, err, sizeof(err)) == -1 &&
		      strstr(err, "read-only"), "a partial write is refused: \"%s\"", err);
		CHECK(disk_image__write(d, BS, blk, BS, err, sizeof(err)) == -1,
		      "a whole-block write is refused");
		expect("refused writes", l, NULL, 0);
		CHECK(reads_as(d, orig, 0, BS), "block 0 reads the file");
		expect("a read after the refused write", l, (struct want[]){ { 'T', 0, o0 } }, 1);
		CHECK(reads_as(d, orig, BS, BS), "block 1 reads the file");
		expect("block 1, refused whole write before", l, (struct want[]){ { 'T', 1, NULL } },
		       1);
	}
	disk_image__close(d);
	size_t got_size = 0;
	u8 *got = slurp(path, &got_size);
	CHECK(got && got_size == size && !memcmp(got, orig, size), "the file is unchanged");
	free(got);
	free(l);
	free(orig);
}

/* ---- 2. a disk with no file: a source ---- */

#define SRC_BLOCKS 8
#define SRC_SIZE (SRC_BLOCKS * BS - 2 * SS) /* the last block holds 6 sectors */

struct source {
	unsigned fetches[SRC_BLOCKS];
	unsigned forbidden;     /* bit per block that must never be fetched */
	unsigned violations;
	bool fail;
};

static void base_of(u64 block, u8 *data)
{
	pattern(data, BS, 100 + block);
	if (block == SRC_BLOCKS - 1) /* as a recording stores it: padded */
		memset(data + (SRC_SIZE - block * BS), 0, BS - (SRC_SIZE - block * BS));
}

static int fetch_source(void *opaque, u64 block, u8 *data, char *err, size_t n)
{
	struct source *s = opaque;
	if (block >= SRC_BLOCKS) {
		s->violations++;
		return snprintf(err, n, "block %llu is past the end", (unsigned long long)block), -1;
	}
	s->fetches[block]++;
	if (s->forbidden >> block & 1)
		s->violations++;
	if (s->fail)
		return snprintf(err, n, "the source has gone away"), -1;
	base_of(block, data);
	return 0;
}

static void source_model(u8 *model)
{
	u8 b[BS];
	for (u64 k = 0; k < SRC_BLOCKS; k++) {
		base_of(k, b);
		memcpy(model + k * BS, b, k == SRC_BLOCKS - 1 ? SRC_SIZE - k * BS : BS);
	}
}

static void test_source(void)
{
	check_group("source, no observer");
	struct source s = { .forbidden = 1u << 2 | 1u << 5 | 1u << 7 };
	u8 *model = malloc(SRC_SIZE), m[BS], base[BS];
	source_model(model);
	struct disk_image *d = disk_image__open_source("vdz", SRC_SIZE, false, fetch_source, &s);
	CHECK(d && disk_image__size(d) == SRC_SIZE && !disk_image__readonly(d), "open, size");
	if (!d) {
		free(model);
		return;
	}

	CHECK(reads_as(d, model, SS, SS), "a sector of block 0 is the base");
	CHECK(s.fetches[0] == 1, "the read fetched block 0 once (%u)", s.fetches[0]);
	CHECK(reads_as(d, model, 0, BS), "block 0 again");
	CHECK(s.fetches[0] == 1, "the block fetched last is not fetched again: %u fetches",
	      s.fetches[0]);
	CHECK(reads_as(d, model, BS, BS) && reads_as(d, model, 0, BS),
	      "block 1, then block 0 again");
	CHECK(s.fetches[0] == 2, "another block in between: block 0 is fetched again (%u)",
	      s.fetches[0]);

	CHECK(put(d, model, 2 * BS, BS, 21), "a whole write of block 2");
	CHECK(reads_as(d, model, 2 * BS, BS) && reads_as(d, model, 2 * BS + SS, SS),
	      "block 2 reads back what was written");
	CHECK(s.fetches[2] == 0, "block 2, written whole, was never fetched (%u)", s.fetches[2]);

	CHECK(put(d, model, 3 * BS + 3 * SS, 2 * SS, 22), "a partial write of block 3");
	CHECK(s.fetches[3] == 1, "its base was fetched once (%u)", s.fetches[3]);
	CHECK(reads_as(d, model, 3 * BS, BS) && reads_as(d, model, 3 * BS, BS),
	      "block 3 reads as the base with the write");
	CHECK(put(d, model, 3 * BS, SS, 23), "another partial write of block 3");
	CHECK(reads_as(d, model, 3 * BS, BS), "which reads back");
	CHECK(s.fetches[3] == 1, "written blocks read from memory: still %u fetch", s.fetches[3]);

	CHECK(put(d, model, 4 * BS + 4 * SS, 4 * SS + BS, 24), "half of 4, all of 5");
	CHECK(s.fetches[4] == 1 && s.fetches[5] == 0, "4 fetched once (%u), 5 never (%u)",
	      s.fetches[4], s.fetches[5]);
	CHECK(reads_as(d, model, 4 * BS, 2 * BS), "4 and 5 read back");

	CHECK(put(d, model, 7 * BS, SRC_SIZE - 7 * BS, 25), "the partial last block, whole");
	CHECK(reads_as(d, model, 7 * BS, SRC_SIZE - 7 * BS), "reads back");
	CHECK(s.fetches[7] == 0, "the last block was never fetched (%u)", s.fetches[7]);

	unsigned before = s.fetches[1];
	CHECK(reads_as(d, model, BS, 2 * BS), "a read across unwritten 1 and written 2");
	CHECK(s.fetches[1] == before + 1 && s.fetches[2] == 0, "fetched 1 (%u), not 2 (%u)",
	      s.fetches[1] - before, s.fetches[2]);
	CHECK(reads_as(d, model, 0, SRC_SIZE), "the whole disk reads as the model");

	/* restore_block without an observer */
	pattern(m, BS, 26);
	memcpy(model + 6 * BS, m, BS);
	before = s.fetches[6];
	CHECK(disk_image__restore_block(d, 6, m) == 0, "restore block 6 with content");
	CHECK(reads_as(d, model, 6 * BS, BS), "block 6 reads the restored content");
	CHECK(s.fetches[6] == before, "block 6 was not fetched since (%u)", s.fetches[6] - before);

	s.fail = true;
	char err[512] = "";
	CHECK(disk_image__read(d, 0, m, SS, err, sizeof(err)) == -1 &&
	      strstr(err, "the source has gone away"), "a failing fetch fails the read: \"%s\"",
	      err);
	CHECK(disk_image__write(d, BS + SS, m, SS, err, sizeof(err)) == -1,
	      "and a partial write of an unwritten block");
	CHECK(reads_as(d, model, 2 * BS, 2 * BS), "written blocks still read");
	s.fail = false;
	CHECK(s.violations == 0, "no forbidden block was fetched (%u times)", s.violations);
	disk_image__close(d);

	d = disk_image__open_source("vdy", SRC_SIZE, true, fetch_source, &s);
	CHECK(d && disk_image__readonly(d), "a readonly source");
	CHECK(d && disk_image__write(d, 0, m, BS, err, sizeof(err)) == -1 &&
	      strstr(err, "vdy"), "refuses writes, naming it: \"%s\"", err);
	disk_image__close(d);

	check_group("source, observed");
	memset(&s, 0, sizeof(s));
	s.forbidden = 1u << 2 | 1u << 5 | 1u << 6;
	source_model(model);
	struct calls *l = calloc(1, sizeof(*l));
	d = observed(disk_image__open_source("vdx", SRC_SIZE, false, fetch_source, &s), l);
	CHECK(d != NULL, "open");
	if (!d) {
		free(l);
		free(model);
		return;
	}

	base_of(0, base);
	CHECK(reads_as(d, model, 0, SS), "a sector of block 0");
	expect("the first read", l, (struct want[]){ { 'T', 0, base } }, 1);
	CHECK(s.fetches[0] == 1, "the first read, observed, fetched block 0 once (%u): the "
	      "observer's copy serves the read", s.fetches[0]);
	CHECK(reads_as(d, model, 0, BS), "again");
	expect("the second read", l, NULL, 0);

	CHECK(put(d, model, 2 * BS, BS, 31), "a whole write of block 2");
	block_of(model, SRC_SIZE, 2, m);
	expect("a whole write", l, (struct want[]){ { 'W', 2, m } }, 1);
	CHECK(s.fetches[2] == 0, "block 2 was never fetched (%u)", s.fetches[2]);

	base_of(3, base);
	CHECK(put(d, model, 3 * BS + SS, SS, 32), "a partial write of block 3");
	block_of(model, SRC_SIZE, 3, m);
	expect("a partial write", l, (struct want[]){ { 'T', 3, base }, { 'W', 3, m } }, 2);
	CHECK(s.fetches[3] == 1, "the partial write, observed, fetched block 3 once (%u)",
	      s.fetches[3]);
	CHECK(s.fetches[3] >= 1, "block 3 fetched");

	CHECK(disk_image__restore_block(d, 4, NULL) == 0, "restore block 4, touched only");
	CHECK(reads_as(d, model, 4 * BS, BS), "block 4 reads its base");
	expect("a read of block 4, restored touched", l, NULL, 0);
	CHECK(s.fetches[4] >= 1, "(from the source)");

	pattern(m, BS, 33);
	memcpy(model + 5 * BS, m, BS);
	CHECK(disk_image__restore_block(d, 5, m) == 0, "restore block 5 with content");
	CHECK(reads_as(d, model, 5 * BS, BS), "block 5 reads the restored content");
	expect("a read of block 5, restored with content", l, NULL, 0);

	pattern(m, BS, 34);
	memcpy(model + 6 * BS, m, BS);
	CHECK(disk_image__restore_block(d, 6, m) == 0, "restore block 6 with content");
	CHECK(put(d, model, 6 * BS + 7 * SS, SS, 35), "a partial write of block 6");
	block_of(model, SRC_SIZE, 6, m);
	expect("a partial write of restored block 6", l, (struct want[]){ { 'W', 6, m } }, 1);

	pattern(m, BS, 36);
	memcpy(model + 2 * BS, m, BS);
	CHECK(disk_image__restore_block(d, 2, m) == 0, "restore written block 2 with content");
	CHECK(reads_as(d, model, 2 * BS, BS), "block 2 reads the restored content");
	expect("restores and the reads after them", l, NULL, 0);
	CHECK(s.fetches[2] == 0 && s.fetches[5] == 0 && s.fetches[6] == 0 && !s.violations,
	      "blocks written whole or restored with content were never fetched (%u, %u, %u)",
	      s.fetches[2], s.fetches[5], s.fetches[6]);
	disk_image__close(d);
	free(l);
	free(model);
}

/* ---- 3. a recording's disks, written and read back ---- */

struct entry {
	unsigned disk;
	enum disk_entry_kind kind;
	u64 block;
	int content;    /* 0: zeros; else pattern(1000 + content) */
};

/* What the device would send for two disks: a checkpoint after [0, 5),
 * another after all of them. */
static const struct entry script[] = {
	{ 0, DISK_ENTRY_BASE, 0, 1 },     /* 0 */
	{ 0, DISK_ENTRY_BASE, 1, 0 },     /* 1: zeros: page 0 */
	{ 1, DISK_ENTRY_BASE, 0, 2 },     /* 2 */
	{ 0, DISK_ENTRY_BASE, 2, 1 },     /* 3: as entry 0: its page */
	{ 0, DISK_ENTRY_WRITTEN, 1, 3 },  /* 4 */
	/* checkpoint 0 */
	{ 1, DISK_ENTRY_BASE, 3, 4 },     /* 5 */
	{ 0, DISK_ENTRY_WRITTEN, 1, 5 },  /* 6: block 1 again */
	{ 1, DISK_ENTRY_WRITTEN, 0, 0 },  /* 7: written zeros */
	{ 0, DISK_ENTRY_WRITTEN, 5, 6 },  /* 8: written whole, no base */
	{ 0, DISK_ENTRY_BASE, 3, 2 },     /* 9: as entry 2, on the other disk */
	{ 1, DISK_ENTRY_WRITTEN, 3, 7 },  /* 10 */
	/* checkpoint 1 */
};
#define NSCRIPT (sizeof(script) / sizeof(script[0]))
#define FIRST_CKPT_AFTER 5
#define RAM_SEED 3   /* a RAM page with the content of entries 0 and 3 */

static void content(int c, u8 *data)
{
	memset(data, 0, BS);
	if (c)
		pattern(data, BS, 1000 + (u64)c);
}

static bool take(struct snap_writer *w, unsigned k)
{
	struct snap_point at = { .insns = 1000 * (k + 1), .seq = k, .event_index = k };
	u64 hash;
	char err[512] = "";
	bool ok = snap_writer__take(w, &at, &hash, err, sizeof(err)) == 0;
	CHECK(ok, "checkpoint %u: %s", k, err);
	return ok;
}

/* Record `script` into dir; checkpoints after FIRST_CKPT_AFTER entries
 * and at the end. */
static bool record(const char *dir, struct encore_machine *m)
{
	char err[4400] = "";
	struct disk_recorder *rec = disk_recorder__create(dir, ID, err, sizeof(err));
	CHECK(rec != NULL, "disk_recorder__create: %s", err);
	struct snap_writer *w = snap_writer__create(dir, ID, m, err, sizeof(err));
	CHECK(w != NULL, "snap_writer__create: %s", err);
	if (!rec || !w)
		return false;
	disk_recorder__set_snap(rec, w);
	const struct disk_history *h = disk_recorder__history(rec);
	CHECK(h->entry && !h->rebuild, "a recorder takes entries");
	/* RAM: a page like disk content 1, and one of its own */
	content(1, m->ram + 3 * BS);
	pattern(m->ram + 7 * BS, BS, 77);
	machine__frame_dirty(m, 3);
	machine__frame_dirty(m, 7);
	u8 data[BS];
	for (unsigned k = 0; k < NSCRIPT; k++) {
		if (k == FIRST_CKPT_AFTER)
			take(w, 0);
		content(script[k].content, data);
		h->entry(h->opaque, script[k].disk, script[k].kind, script[k].block, data);
	}
	take(w, 1);
	struct snap_writer_stats st;
	bool ok = snap_writer__close(w, &st, err, sizeof(err)) == 0;
	CHECK(ok, "snap_writer__close: %s", err);
	/* disk contents 1..7 and the RAM page of its own */
	CHECK(st.checkpoints == 2 && st.new_pages == 8, "%u checkpoints, %llu pages stored",
	      st.checkpoints, (unsigned long long)st.new_pages);
	ok = disk_recorder__close(rec, err, sizeof(err)) == 0;
	CHECK(ok, "disk_recorder__close: %s", err);
	return ok;
}

static void check_journal(const char *dir, u32 *page)
{
	struct disk_journal_entry *e = NULL;
	u64 count = 0;
	bool torn = true;
	char err[4400] = "";
	int r = disk_journal__read(dir, ID, &e, &count, &torn, err, sizeof(err));
	CHECK(r == 0 && count == NSCRIPT && !torn, "the journal holds %llu records (%s)",
	      (unsigned long long)count, err);
	for (unsigned k = 0; r == 0 && k < NSCRIPT && k < count; k++) {
		CHECK(e[k].kind == script[k].kind && e[k].disk == script[k].disk &&
		      e[k].block == script[k].block, "record %u: kind %u disk %u block %llu", k,
		      e[k].kind, e[k].disk, (unsigned long long)e[k].block);
		page[k] = e[k].page;
	}
	free(e);
	if (r || count != NSCRIPT)
		return;
	CHECK(page[1] == 0 && page[7] == 0, "zero blocks are page 0 (%u, %u)", page[1], page[7]);
	CHECK(page[3] == page[0], "a repeated block is the same page (%u, %u)", page[3], page[0]);
	CHECK(page[9] == page[2], "also across disks (%u, %u)", page[9], page[2]);
	bool distinct = true;
	for (unsigned a = 0; a < NSCRIPT; a++)
		for (unsigned b = 0; b < a; b++)
			if (script[a].content != script[b].content && page[a] == page[b])
				distinct = false;
	CHECK(distinct, "different contents are different pages");
	/* numbered in the order stored: before checkpoint 0's RAM pages */
	CHECK(page[0] == 1 && page[2] == 2 && page[4] == 3, "the first pages are 1, 2, 3 (%u %u %u)",
	      page[0], page[2], page[4]);
}

static bool read_block(struct disk_image *d, u64 block, u8 *data)
{
	return io(d, false, block * BS, data, BS);
}

/* A replayed disk: a source whose fetch is the replayer's. */
static struct disk_image *replayed(struct disk_replayer *rp, unsigned disk, struct calls *l)
{
	void *opaque = NULL;
	disk_fetch_fn fetch = disk_replayer__fetch(rp, disk, &opaque);
	return observed(disk_image__open_source(disk ? "vdb" : "vda", 8 * BS, false, fetch, opaque),
			l);
}

/* Block `block` of image d reads as content c; `touch` whether that
 * read is the block's first touch. */
static void block_is(const char *what, struct disk_image *d, struct calls *l, u64 block, int c,
		     bool touch)
{
	u8 want[BS], got[BS];
	content(c, want);
	bool ok = read_block(d, block, got);
	CHECK(ok && !memcmp(got, want, BS), "%s: block %llu reads as content %d", what,
	      (unsigned long long)block, c);
	char name[160];
	snprintf(name, sizeof(name), "%s: block %llu", what, (unsigned long long)block);
	if (touch)
		expect(name, l, (struct want[]){ { 'T', block, want } }, 1);
	else
		expect(name, l, NULL, 0);
}

/* Rebuild disk `disk` of a new image at `count` entries. */
static struct disk_image *rebuilt(struct disk_replayer *rp, unsigned disk, u64 count,
				  struct calls *l)
{
	const struct disk_history *h = disk_replayer__history(rp);
	struct disk_image *d = replayed(rp, disk, l);
	char err[512] = "";
	CHECK(d && h->rebuild(h->opaque, disk, count, d, err, sizeof(err)) == 0,
	      "rebuild disk %u at %llu entries: %s", disk, (unsigned long long)count, err);
	expect("rebuilding", l, NULL, 0);
	return d;
}

/* A child reads an untouched block of a replayed disk: the replay ends. */
static void fetch_unknown(struct disk_replayer *rp)
{
	int p[2];
	if (pipe(p))
		return;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], 2);
		struct calls *l = calloc(1, sizeof(*l));
		struct disk_image *d = replayed(rp, 0, l);
		u8 data[BS];
		read_block(d, 4, data);
		_exit(0);
	}
	close(p[1]);
	char msg[1024];
	ssize_t got = pid > 0 ? read(p[0], msg, sizeof(msg) - 1) : -1;
	close(p[0]);
	msg[got > 0 ? got : 0] = 0;
	int status = 0;
	if (pid > 0)
		waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 2,
	      "reading a block the journal never names ends the replay (status %#x)", status);
	CHECK(strstr(msg, "vda") && strstr(msg, "block 4"), "naming disk and block: \"%s\"", msg);
}

static void test_round_trip(struct encore_machine *m)
{
	check_group("round trip: recording");
	const char *dir = new_dir();
	if (!record(dir, m))
		return;
	u32 page[NSCRIPT] = { 0 };
	check_journal(dir, page);

	check_group("round trip: pages");
	struct snap_reader snap;
	char err[4400] = "";
	int r = snap_reader__open(&snap, dir, ID, err, sizeof(err));
	CHECK(r == 0 && snap.count == 2 && snap.usable == 2, "snap_reader__open: %u checkpoints %s",
	      snap.count, err);
	if (r)
		return;
	snap_reader__check_page_sums(&snap);
	CHECK(snap.usable == 2 && !snap.damage[0], "the page sums hold: %s", snap.damage);
	u8 got[BS], want[BS];
	for (unsigned k = 0; k < NSCRIPT; k++) {
		content(script[k].content, want);
		CHECK(snap_reader__read_page(&snap, page[k], got, err, sizeof(err)) == 0 &&
		      !memcmp(got, want, BS), "entry %u's page %u: %s", k, page[k], err);
	}
	pattern(want, BS, 77);
	CHECK(snap_reader__read_page(&snap, 4, got, err, sizeof(err)) == 0 &&
	      !memcmp(got, want, BS), "page 4 is checkpoint 0's RAM page: %s", err);
	err[0] = 0;
	CHECK(snap_reader__read_page(&snap, 9, got, err, sizeof(err)) == -1 &&
	      strstr(err, "cut short") && strstr(err, "9"), "no page 9: \"%s\"", err);
	CHECK(snap_reader__read_page(&snap, 1ull << 40, got, err, sizeof(err)) == -1,
	      "no page 2^40");

	check_group("round trip: base content");
	struct disk_replayer *rp = disk_replayer__open(dir, ID, &snap, err, sizeof(err));
	CHECK(rp != NULL, "disk_replayer__open: %s", err);
	if (!rp) {
		snap_reader__close(&snap);
		return;
	}
	const struct disk_history *h = disk_replayer__history(rp);
	CHECK(h->rebuild && !h->entry, "a replayer rebuilds");
	struct calls *l = calloc(1, sizeof(*l));
	struct disk_image *d = replayed(rp, 0, l);
	block_is("vda from the start", d, l, 0, 1, true);
	block_is("vda from the start", d, l, 1, 0, true);
	block_is("vda from the start", d, l, 2, 1, true);
	block_is("vda from the start", d, l, 3, 2, true);
	block_is("vda from the start", d, l, 3, 2, false);
	disk_image__close(d);
	d = replayed(rp, 1, l);
	block_is("vdb from the start", d, l, 3, 4, true);
	block_is("vdb from the start", d, l, 0, 2, true);
	disk_image__close(d);
	fetch_unknown(rp);

	check_group("round trip: rebuild");
	/* vda's entries: 0 1 3 4 6 8 9 of the script (7); vdb's: 2 5 7 10 (4) */
	d = rebuilt(rp, 0, 0, l);
	block_is("vda at 0", d, l, 1, 0, true);
	block_is("vda at 0", d, l, 0, 1, true);
	disk_image__close(d);
	d = rebuilt(rp, 0, 4, l);
	block_is("vda at 4", d, l, 1, 3, false);
	block_is("vda at 4", d, l, 0, 1, false);
	block_is("vda at 4", d, l, 2, 1, false);
	block_is("vda at 4", d, l, 3, 2, true);
	disk_image__close(d);
	d = rebuilt(rp, 0, 5, l);
	block_is("vda at 5", d, l, 1, 5, false);
	block_is("vda at 5", d, l, 2, 1, false);
	disk_image__close(d);
	d = rebuilt(rp, 0, 4, l); /* back: the later write is forgotten */
	block_is("vda at 4 again", d, l, 1, 3, false);
	/* a partial write after the restore: based on the restored block */
	u8 sector[SS], model[BS];
	content(3, model);
	pattern(sector, SS, 50);
	memcpy(model + 2 * SS, sector, SS);
	CHECK(d && io(d, true, BS + 2 * SS, sector, SS), "a partial write to restored block 1");
	expect("a partial write to restored block 1", l, (struct want[]){ { 'W', 1, model } }, 1);
	disk_image__close(d);
	d = rebuilt(rp, 1, 2, l);
	block_is("vdb at 2", d, l, 0, 2, false);
	block_is("vdb at 2", d, l, 3, 4, false);
	disk_image__close(d);
	d = rebuilt(rp, 0, 7, l);
	for (u64 b = 0; b < 4; b++)
		block_is("vda at 7", d, l, b, (int[]){ 1, 5, 1, 2 }[b], false);
	block_is("vda at 7", d, l, 5, 6, false);
	disk_image__close(d);
	d = rebuilt(rp, 1, 3, l);
	block_is("vdb at 3", d, l, 0, 0, false);
	block_is("vdb at 3", d, l, 3, 4, false);
	disk_image__close(d);
	d = rebuilt(rp, 1, 4, l);
	block_is("vdb at 4", d, l, 3, 7, false);
	disk_image__close(d);

	check_group("round trip: rebuild past the journal");
	d = replayed(rp, 0, l);
	err[0] = 0;
	CHECK(d && h->rebuild(h->opaque, 0, 8, d, err, sizeof(err)) == -1 &&
	      strstr(err, "7 entries") && strstr(err, "8"), "vda at 8: \"%s\"", err);
	disk_image__close(d);
	d = replayed(rp, 1, l);
	err[0] = 0;
	CHECK(d && h->rebuild(h->opaque, 1, 5, d, err, sizeof(err)) == -1 &&
	      strstr(err, "4 entries") && strstr(err, "disk 1"), "vdb at 5: \"%s\"", err);
	disk_image__close(d);
	d = replayed(rp, 2, l);
	err[0] = 0;
	CHECK(d && h->rebuild(h->opaque, 2, 1, d, err, sizeof(err)) == -1 && strstr(err, "0 entries"),
	      "a disk the journal never names, at 1: \"%s\"", err);
	disk_image__close(d);

	free(l);
	disk_replayer__close(rp);
	snap_reader__close(&snap);

	/* 4, second half: the page store cut inside checkpoint 1's pages */
	check_group("pages cut short");
	char path[256];
	snprintf(path, sizeof(path), "%s/pages", dir);
	size_t size = 0;
	u8 *bytes = slurp(path, &size);
	CHECK(bytes && size > 100, "the page store");
	if (!bytes)
		return;
	spill(path, bytes, size - 100);
	free(bytes);
	r = snap_reader__open(&snap, dir, ID, err, sizeof(err));
	CHECK(r == 0, "open with the page store cut: %s", err);
	if (r)
		return;
	snap_reader__check_page_sums(&snap);
	CHECK(snap.usable == 1 && strstr(snap.damage, "cut short"), "checkpoint 0 is usable: %s",
	      snap.damage);
	content(1, want);
	CHECK(snap_reader__read_page(&snap, page[0], got, err, sizeof(err)) == 0 &&
	      !memcmp(got, want, BS), "a page of checkpoint 0 reads: %s", err);
	err[0] = 0;
	CHECK(snap_reader__read_page(&snap, page[6], got, err, sizeof(err)) == -1 &&
	      strstr(err, "cut short"), "a page of checkpoint 1 does not: \"%s\"", err);
	snap_reader__close(&snap);
}

/* ---- 4. the journal cut short or damaged ---- */

static int read_journal(const char *dir, u64 id, u64 *count, bool *torn, char *err, size_t n)
{
	struct disk_journal_entry *e = NULL;
	int r = disk_journal__read(dir, id, &e, count, torn, err, n);
	free(e);
	return r;
}

static void test_journal(void)
{
	check_group("journal");
	const char *dir = new_dir();
	char err[4400] = "", path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, DISK_JOURNAL_FILE);
	struct disk_journal_writer *w = disk_journal__create(dir, ID, err, sizeof(err));
	CHECK(w != NULL, "create: %s", err);
	if (!w)
		return;
	CHECK(!disk_journal__create(dir, ID, err, sizeof(err)) && strstr(err, path),
	      "a second journal in the same place is refused: \"%s\"", err);
	struct disk_journal_entry e[3] = {
		{ DISK_ENTRY_BASE, 0, 7, 1 },
		{ DISK_ENTRY_WRITTEN, 1, 0, 1ull << 40 },
		{ DISK_ENTRY_BASE, 5, 0xfffffffeu, 3 },
	};
	for (unsigned k = 0; k < 3; k++)
		CHECK(disk_journal__append(w, &e[k], err, sizeof(err)) == 0, "append %u: %s", k, err);
	CHECK(disk_journal__close(w, err, sizeof(err)) == 0, "close: %s", err);

	struct disk_journal_entry *got = NULL;
	u64 count = 0;
	bool torn = true;
	CHECK(disk_journal__read(dir, ID, &got, &count, &torn, err, sizeof(err)) == 0 &&
	      count == 3 && !torn, "reads 3 records: %s", err);
	for (unsigned k = 0; got && k < count && k < 3; k++)
		CHECK(got[k].kind == e[k].kind && got[k].disk == e[k].disk &&
		      got[k].page == e[k].page && got[k].block == e[k].block, "record %u as written",
		      k);
	free(got);

	size_t size = 0;
	u8 *whole = slurp(path, &size);
	CHECK(whole && size == DISK_JOURNAL_HEADER_SIZE + 3 * DISK_JOURNAL_RECORD_SIZE,
	      "%zu bytes", size);
	if (!whole || size != DISK_JOURNAL_HEADER_SIZE + 3 * DISK_JOURNAL_RECORD_SIZE) {
		free(whole);
		return;
	}
	u8 *b = malloc(size);

	size_t cut = DISK_JOURNAL_HEADER_SIZE + 2 * DISK_JOURNAL_RECORD_SIZE + 13;
	spill(path, whole, cut);
	CHECK(read_journal(dir, ID, &count, &torn, err, sizeof(err)) == 0 && count == 2 && torn,
	      "cut inside record 2: 2 records, torn (%llu, %d): %s", (unsigned long long)count,
	      torn, err);
	spill(path, whole, cut - 13);
	CHECK(read_journal(dir, ID, &count, &torn, err, sizeof(err)) == 0 && count == 2 && !torn,
	      "cut after record 1: 2 records, not torn");
	spill(path, whole, DISK_JOURNAL_HEADER_SIZE);
	CHECK(read_journal(dir, ID, &count, &torn, err, sizeof(err)) == 0 && count == 0 && !torn,
	      "the header alone: no records");
	spill(path, whole, DISK_JOURNAL_HEADER_SIZE + 1);
	CHECK(read_journal(dir, ID, &count, &torn, err, sizeof(err)) == 0 && count == 0 && torn,
	      "the header and a byte: torn");

	/* a flipped byte: in each field of record 1 */
	static const unsigned at[] = { 0, 1, 2, 5, 9, 17, 27 };
	for (unsigned k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		memcpy(b, whole, size);
		b[DISK_JOURNAL_HEADER_SIZE + DISK_JOURNAL_RECORD_SIZE + at[k]] ^= 0x10;
		spill(path, b, size);
		err[0] = 0;
		int r = read_journal(dir, ID, &count, &torn, err, sizeof(err));
		CHECK(r == -1 && strstr(err, "record 1") && strstr(err, path),
		      "byte %u of record 1 flipped: \"%s\"", at[k], err);
	}
	memcpy(b, whole, size);
	b[20] ^= 1;
	spill(path, b, size);
	CHECK(read_journal(dir, ID, &count, &torn, err, sizeof(err)) == -1 &&
	      strstr(err, "header"), "a flipped byte in the header: \"%s\"", err);

	spill(path, whole, size);
	err[0] = 0;
	CHECK(read_journal(dir, ID + 1, &count, &torn, err, sizeof(err)) == -1 &&
	      strstr(err, "another recording"), "another recording's id: \"%s\"", err);
	spill(path, (const u8 *)"ENCDISKZ", 8);
	CHECK(read_journal(dir, ID, &count, &torn, err, sizeof(err)) == -1 &&
	      strstr(err, "not a disk journal"), "not a journal: \"%s\"", err);
	unlink(path);
	err[0] = 0;
	CHECK(read_journal(dir, ID, &count, &torn, err, sizeof(err)) == -1 && strstr(err, path),
	      "missing, naming it: \"%s\"", err);

	/* A replayer over a torn journal says so when it runs out. */
	spill(path, whole, cut);
	struct snap_reader snap = { .pages_fd = -1 };
	struct disk_replayer *rp = disk_replayer__open(dir, ID, &snap, err, sizeof(err));
	CHECK(rp != NULL, "a replayer opens a torn journal: %s", err);
	if (rp) {
		const struct disk_history *h = disk_replayer__history(rp);
		struct calls *l = calloc(1, sizeof(*l));
		struct disk_image *d = replayed(rp, 0, l);
		err[0] = 0;
		CHECK(h->rebuild(h->opaque, 0, 1, d, err, sizeof(err)) == 0, "disk 0 at 1: %s", err);
		disk_image__close(d);
		d = replayed(rp, 5, l);
		CHECK(h->rebuild(h->opaque, 5, 1, d, err, sizeof(err)) == -1 &&
		      strstr(err, "cut short in a record"), "disk 5 at 1: \"%s\"", err);
		disk_image__close(d);
		free(l);
		disk_replayer__close(rp);
	}
	free(b);
	free(whole);
}

/*
 * A journal record naming a block past the end of the disk (a journal
 * that does not belong with the recording's disk sizes, or a crafted
 * one that passes its checksums): rebuilding must refuse it, not mark a
 * bit past the image's touched bitmap.  Run in a child, since the
 * out-of-bounds write may crash it.
 */
static void test_block_past_end(void)
{
	check_group("journal: a block past the disk's end");
	const char *dir = new_dir();
	char err[4400] = "";
	struct disk_journal_writer *w = disk_journal__create(dir, ID, err, sizeof(err));
	struct disk_journal_entry e = { DISK_ENTRY_BASE, 0, 0, 64 };
	CHECK(w && disk_journal__append(w, &e, err, sizeof(err)) == 0 &&
	      disk_journal__close(w, err, sizeof(err)) == 0, "a journal: %s", err);
	int p[2];
	if (pipe(p))
		return;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], 2);
		struct snap_reader snap = { .pages_fd = -1 };
		struct disk_replayer *rp = disk_replayer__open(dir, ID, &snap, err, sizeof(err));
		if (!rp)
			_exit(3);
		const struct disk_history *h = disk_replayer__history(rp);
		struct calls *l = calloc(1, sizeof(*l));
		struct disk_image *d = replayed(rp, 0, l);
		int r = h->rebuild(h->opaque, 0, 1, d, err, sizeof(err));
		_exit(r == -1 ? 0 : 10);
	}
	close(p[1]);
	char msg[8192];
	size_t have = 0;
	ssize_t got;
	while (pid > 0 && have < sizeof(msg) - 1 &&
	       (got = read(p[0], msg + have, sizeof(msg) - 1 - have)) > 0)
		have += (size_t)got;
	close(p[0]);
	msg[have] = 0;
	int status = 0;
	if (pid > 0)
		waitpid(pid, &status, 0);
	char *what = strstr(msg, "ERROR: AddressSanitizer: ");
	if (what)
		what[strcspn(what, "\n")] = 0;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "rebuild refuses an entry for block 64 of an 8-block disk (child %s %d: %s)",
	      WIFEXITED(status) ? "exit" : "signal",
	      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
	      what ? what : WIFEXITED(status) && WEXITSTATUS(status) == 10
	      ? "it accepted the entry, having set a bit past the touched bitmap" : "crashed");
}

/* ---- 5. pages stored after the last checkpoint ---- */

static void test_pages_after_last(struct encore_machine *m)
{
	check_group("pages after the last checkpoint");
	memset(m->ram, 0, 8 * BS);
	machine__frame_dirty(m, 3);
	machine__frame_dirty(m, 7);
	const char *dir = new_dir();
	char err[4400] = "";
	struct snap_writer *w = snap_writer__create(dir, ID, m, err, sizeof(err));
	CHECK(w != NULL, "snap_writer__create: %s", err);
	if (!w)
		return;
	u8 p[4][BS], got[BS];
	for (unsigned k = 0; k < 4; k++)
		pattern(p[k], BS, 500 + k);
	bool oom = false;
	u32 n0 = snap_writer__store_page(w, p[0], &oom);
	u32 n1 = snap_writer__store_page(w, p[1], &oom);
	CHECK(snap_writer__store_page(w, p[0], &oom) == n0, "stored twice: one page");
	memset(got, 0, BS);
	CHECK(snap_writer__store_page(w, got, &oom) == 0, "zeros: page 0");
	take(w, 0);
	u32 n2 = snap_writer__store_page(w, p[2], &oom);
	u32 again = snap_writer__store_page(w, p[1], &oom);
	u32 n3 = snap_writer__store_page(w, p[3], &oom);
	CHECK(!oom && n0 == 1 && n1 == 2 && n2 == 3 && n3 == 4 && again == n1,
	      "numbers %u %u %u %u, again %u", n0, n1, n2, n3, again);
	CHECK(snap_writer__close(w, NULL, err, sizeof(err)) == 0, "close: %s", err);

	struct snap_reader snap;
	int r = snap_reader__open(&snap, dir, ID, err, sizeof(err));
	CHECK(r == 0 && snap.usable == 1, "open: %s", err);
	if (r)
		return;
	CHECK(snap_reader__read_page(&snap, n0, got, err, sizeof(err)) == 0 &&
	      !memcmp(got, p[0], BS), "page %u, stored before the checkpoint: %s", n0, err);
	CHECK(snap_reader__read_page(&snap, n1, got, err, sizeof(err)) == 0 &&
	      !memcmp(got, p[1], BS), "page %u, stored before the checkpoint: %s", n1, err);
	CHECK(snap_reader__read_page(&snap, 0, got, err, sizeof(err)) == 0 &&
	      !memcmp(got, (u8[BS]){ 0 }, BS), "page 0 is zeros");
	for (u32 k = n2; k <= n3; k++) {
		err[0] = 0;
		CHECK(snap_reader__read_page(&snap, k, got, err, sizeof(err)) == -1 &&
		      strstr(err, "cut short"), "page %u, stored after it: \"%s\"", k, err);
	}
	snap_reader__close(&snap);
}

int main(void)
{
	test_observer();
	test_source();
	struct encore_machine *m = machine__create(&arch_x86_64, 1 << 20, 1);
	CHECK(m != NULL, "machine__create");
	if (m) {
		test_round_trip(m);
		test_pages_after_last(m);
		machine__destroy(m);
	}
	test_journal();
	test_block_past_end();
	for (unsigned k = 0; k < nfiles; k++)
		unlink(files[k]);
	for (unsigned k = 0; k < ndirs; k++)
		remove_dir(dirs[k]);
	check_group_end();
	return check_summary();
}
