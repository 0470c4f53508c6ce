/*
 * Writes the hand-made checkpoints seeds of the fuzz corpus (hand-*):
 * each breaks one rule of the reader (or of its page checks) with every
 * checksum right, which the recorder never writes, starting from a real
 * checkpoints file whose records are pointed at the fuzz target's fixed
 * page store (ckpt_craft.h).  tests/fuzz/make-corpus.sh builds and runs
 * it:
 *
 *   make-ckpt-seeds DIR BASE [REAL...]
 *
 * BASE: a real checkpoints file with at least two records, devices, new
 * pages and changed frames (the echo guest's).  Each REAL is also
 * written as DIR/store-NAME (NAME its parent directory's name): all its
 * records pointed at the store, so that the page checks pass.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ckpt_craft.h"

#define CAP (1u << 20)

static const char *dir;
static struct craft_page_ref refs[STORE_PAGES];

/* A file as records of payloads, to be changed and then written. */
static struct {
	u8 head[SNAP_FILE_HEADER_SIZE];
	u32 count;
	u8 *raw[64];
	size_t len[64];
} base, f;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static u8 *read_file(const char *path, size_t *size)
{
	FILE *fp = fopen(path, "rb");
	static u8 buf[CAP];
	if (!fp)
		die(path);
	*size = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	return buf;
}

/* Split a real file into its payloads and point them at the store. */
static void load(const char *path)
{
	size_t size;
	const u8 *d = read_file(path, &size);
	if (size < SNAP_FILE_HEADER_SIZE)
		die(path);
	for (u32 k = 0; k < f.count; k++)
		free(f.raw[k]);
	memcpy(f.head, d, SNAP_FILE_HEADER_SIZE);
	f.count = 0;
	u64 first_page = 1;
	for (size_t off = SNAP_FILE_HEADER_SIZE; craft_ckpt_at(d, size, off) && f.count < 64;
	     off += craft_ckpt_size(d, off)) {
		u32 len = get32(d + off + 8);
		u8 *raw = malloc(len);
		if (!raw || ZSTD_decompress(raw, len, d + off + CKPT_REC_HEADER_SIZE,
					    get32(d + off + 12)) != len ||
		    !craft_ckpt_retarget(raw, len, f.count, first_page, refs, f.count)) {
			fprintf(stderr, "make-ckpt-seeds: %s: record %u does not read\n", path,
				f.count);
			exit(1);
		}
		first_page += get32(raw + 76);
		f.raw[f.count] = raw;
		f.len[f.count++] = len;
	}
}

static void reset(void)
{
	for (u32 k = 0; k < f.count; k++)
		free(f.raw[k]);
	memcpy(f.head, base.head, sizeof(f.head));
	f.count = base.count;
	for (u32 k = 0; k < f.count; k++) {
		f.raw[k] = malloc(base.len[k]);
		memcpy(f.raw[k], base.raw[k], base.len[k]);
		f.len[k] = base.len[k];
	}
}

static u8 img[CAP];

/* The records as a file image; returns its size. */
static size_t build(void)
{
	memcpy(img, f.head, SNAP_FILE_HEADER_SIZE);
	size_t n = SNAP_FILE_HEADER_SIZE;
	for (u32 k = 0; k < f.count; k++) {
		size_t r = craft_ckpt_record(img + n, CAP - n, k, f.raw[k], f.len[k]);
		if (!r)
			die("too big");
		n += r;
	}
	return n;
}

static void save_image(const char *name, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	if (!fp || fwrite(img, 1, n, fp) != n || fclose(fp))
		die(path);
}

static void save(const char *name)
{
	save_image(name, build());
}

/* Where record k starts in the image. */
static size_t record_at(u32 k)
{
	size_t off = SNAP_FILE_HEADER_SIZE;
	for (u32 j = 0; j < k; j++)
		off += craft_ckpt_size(img, off);
	return off;
}

static struct craft_layout layout(u32 k)
{
	struct craft_layout l;
	if (!craft_ckpt_layout(f.raw[k], f.len[k], &l))
		die("layout");
	return l;
}

static void header_cases(void)
{
	reset();
	size_t n = build();
	save_image("hand-empty", 0);
	save_image("hand-magic-only", 8);
	save_image("hand-header-cut", 20);
	save_image("hand-header-only", SNAP_FILE_HEADER_SIZE);
	img[7] = 'X';
	craft_ckpt_fix_checksums(img, n);
	save_image("hand-bad-magic", n);
	build();
	put32(img + 8, SNAP_VERSION + 1);
	craft_ckpt_fix_checksums(img, n);
	save_image("hand-version-2", n);
	build();
	put32(img + 12, 64);
	craft_ckpt_fix_checksums(img, n);
	save_image("hand-header-size", n);
	build();
	img[16] ^= 1;
	save_image("hand-header-checksum", n);
	build();
	memcpy(img, SNAP_PAGES_MAGIC, 8);
	craft_ckpt_fix_checksums(img, n);
	save_image("hand-pages-magic", n);
}

/* Record headers: each case breaks record 1 of the base. */
static void record_cases(void)
{
	reset();
	size_t n = build(), r1 = record_at(1);
	static const struct {
		const char *name;
		unsigned field; /* 32-bit field of the header */
		u32 value;
	} cases[] = {
		{ "hand-rec-magic", 0, 0x54504b44 },
		{ "hand-rec-index-0", 4, 0 },
		{ "hand-rec-index-2", 4, 2 },
		{ "hand-rec-raw-127", 8, CKPT_INFO_SIZE - 1 },
		{ "hand-rec-raw-huge", 8, CKPT_MAX_RAW + 1 },
		{ "hand-rec-raw-more", 8, 0 },  /* its size + 1 */
		{ "hand-rec-raw-less", 8, 1 },  /* its size - 1 */
		{ "hand-rec-packed-less", 12, 1 }, /* packed - 1, cuts the frame */
	};
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		build();
		u32 v = cases[c].value;
		if (!strcmp(cases[c].name, "hand-rec-raw-more"))
			v = (u32)f.len[1] + 1;
		else if (!strcmp(cases[c].name, "hand-rec-raw-less"))
			v = (u32)f.len[1] - 1;
		else if (!strcmp(cases[c].name, "hand-rec-packed-less"))
			v = get32(img + r1 + 12) - 1;
		put32(img + r1 + cases[c].field, v);
		craft_ckpt_seal(img + r1);
		/* A shorter record: what follows is not a record any more. */
		save_image(cases[c].name, n);
	}
	build();
	put64(img + r1 + 24, get64(img + r1 + 24) ^ 1);
	save_image("hand-rec-header-checksum", n);
	build();
	img[r1 + CKPT_REC_HEADER_SIZE + 5] ^= 0x40;
	save_image("hand-rec-payload-checksum", n);
	build();
	img[r1 + CKPT_REC_HEADER_SIZE + 5] ^= 0x40;
	craft_ckpt_seal(img + r1);
	save_image("hand-rec-corrupt-frame", n);
	build();
	memset(img + r1 + CKPT_REC_HEADER_SIZE, 0x5a, get32(img + r1 + 12));
	craft_ckpt_seal(img + r1);
	save_image("hand-rec-not-zstd", n);
}

/* Payloads that do not add up, in record 1. */
static void payload_cases(void)
{
	struct { const char *name; unsigned at, size; u64 value; } cases[] = {
		{ "hand-info-index", 0, 4, 0 },
		{ "hand-info-parts-more", 28, 4, 0 },   /* its own + 1 */
		{ "hand-info-parts-huge", 28, 4, 0xffffffffu },
		{ "hand-info-parts-max", 28, 4, CKPT_MAX_PARTS + 1 },
		{ "hand-info-parts-too-few", 28, 4, 1 }, /* fewer than 1 + the vCPUs */
		{ "hand-info-vcpus-0", 72, 4, 0x100000000ull }, /* written as 0 */
		{ "hand-info-vcpus-max", 72, 4, MACHINE_MAX_VCPUS + 1 },
		{ "hand-info-nnew-more", 76, 4, 0 },    /* its own + 1 */
		{ "hand-info-nnew-huge", 76, 4, 0xffffffffu },
		{ "hand-info-ndelta-more", 80, 4, 0 },  /* its own + 1 */
		{ "hand-info-ndelta-huge", 80, 4, 0xffffffffu },
	};
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		reset();
		u8 *p = f.raw[1] + cases[c].at;
		u64 v = cases[c].value;
		if (!v && cases[c].at != 0)
			v = get32(p) + 1;
		v &= cases[c].size == 4 ? 0xffffffffull : ~0ull;
		if (cases[c].size == 4)
			put32(p, (u32)v);
		else
			put64(p, v);
		save(cases[c].name);
	}
	/* A state part that runs past the payload (by 4 bytes, by 4 GiB), or
	 * is bigger than any part may be: restore walks the parts to find
	 * the page table. */
	reset();
	u32 k = f.count - 1;
	struct craft_layout l = layout(k);
	size_t last = l.parts;
	for (u32 d = 0; d + 1 < l.nparts; d++)
		last += CKPT_PART_HEADER_SIZE + get32(f.raw[k] + last + STATE_PART_NAME + 4);
	u8 *size = f.raw[k] + last + STATE_PART_NAME + 4;
	put32(size, get32(size) + (u32)(f.len[k] - l.table) + 4);
	save("hand-part-size-past-end");
	reset();
	put32(f.raw[k] + last + STATE_PART_NAME + 4, 0xfffffff0u);
	save("hand-part-size-huge");
	reset();
	put32(f.raw[k] + last + STATE_PART_NAME + 4, STATE_PART_MAX_SIZE + 1);
	save("hand-part-size-max");
	/* Bytes after the changed frames: accepted. */
	reset();
	f.raw[1] = realloc(f.raw[1], f.len[1] + 40);
	memset(f.raw[1] + f.len[1], 0xee, 40);
	f.len[1] += 40;
	save("hand-payload-trailing");
	/* Just the info, the scheduler and one vCPU: no devices, pages or
	 * frames. */
	reset();
	struct craft_layout l1 = layout(1);
	size_t two = l1.parts;
	for (u32 d = 0; d < 2; d++)
		two += CKPT_PART_HEADER_SIZE + get32(f.raw[1] + two + STATE_PART_NAME + 4);
	put32(f.raw[1] + 28, 2);
	put32(f.raw[1] + 72, 1);
	put32(f.raw[1] + 76, 0);
	put32(f.raw[1] + 80, 0);
	f.len[1] = two;
	save("hand-payload-minimal");
}

/* Files cut short, and what may follow the last whole record. */
static void torn_cases(void)
{
	reset();
	size_t n = build(), last = record_at(f.count - 1);
	save_image("hand-whole", n);
	save_image("hand-torn-payload", n - 7);
	save_image("hand-torn-last-byte", n - 1);
	save_image("hand-torn-header", last + 20);
	save_image("hand-torn-after-header", last + CKPT_REC_HEADER_SIZE);
	memset(img + n, 0, 31);
	save_image("hand-trailing-zeros-31", n + 31);
	memset(img + n, 0, 32);
	save_image("hand-trailing-zeros-32", n + 32);
	/* A good header of a record that claims more than is left. */
	build();
	memcpy(img + n, img + last, CKPT_REC_HEADER_SIZE);
	put32(img + n + 4, f.count);
	craft_ckpt_seal(img + n);
	save_image("hand-torn-claims-more", n + CKPT_REC_HEADER_SIZE);
}

/* Accepted by the reader; its page checks (verify_pages) say no. */
static void page_cases(void)
{
	reset();
	struct craft_layout l0 = layout(0), l1 = layout(1);
	u8 *t0 = f.raw[0] + l0.table;
	if (!l0.nnew || !l1.ndelta)
		die("the base needs new pages in record 0 and changed frames in record 1");
	/* Page numbering. */
	put64(f.raw[1] + 88, get64(f.raw[1] + 88) + 1);
	save("hand-first-page-gap");
	reset();
	put64(f.raw[0] + 88, 0);
	save("hand-first-page-0");
	reset();
	put64(f.raw[1] + 64, get64(f.raw[1] + 64) + 1);
	save("hand-nframes-change");
	reset();
	put64(f.raw[0] + 64, 1ull << 40);
	save("hand-nframes-huge");
	reset();
	put64(f.raw[0] + 64, 0);
	put64(f.raw[1] + 64, 0);
	save("hand-nframes-0");
	/* Changed frames. */
	reset();
	u8 *d1 = f.raw[1] + l1.delta;
	put32(d1, (u32)get64(f.raw[1] + 64));
	save("hand-delta-frame-past-ram");
	reset();
	put32(d1 + 4, (u32)(get64(f.raw[1] + 88) + l1.nnew));
	save("hand-delta-page-ahead");
	reset();
	put32(d1 + 4, 0);
	save("hand-delta-zero-page");
	/* New pages. */
	struct { const char *name; u64 offset; u32 packed; int page; } cases[] = {
		{ "hand-page-beyond-store", 1u << 20, 100, -1 },
		{ "hand-page-offset-wraps", ~0ull - 30, 100, -1 },
		{ "hand-page-packed-0", 0, 0, 0 },
		{ "hand-page-packed-4097", 0, RAM_PAGE_SIZE + 1, 0 },
		{ "hand-page-at-end", 0, 0, -2 },
		{ "hand-page-misplaced", 0, 0, -3 },
		{ "hand-page-bad-hash", 0, 0, 4 },
		{ "hand-page-not-zstd", 0, 0, 5 },
		{ "hand-page-raw", 0, 0, 2 },
	};
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		reset();
		t0 = f.raw[0] + layout(0).table;
		int p = cases[c].page;
		if (p >= 0) {
			put64(t0, refs[p].offset);
			put32(t0 + 8, refs[p].packed);
			put64(t0 + 16, refs[p].lo);
			put64(t0 + 24, refs[p].hi);
		}
		if (p == -1) {
			put64(t0, cases[c].offset);
			put32(t0 + 8, cases[c].packed);
		} else if (p == -2) { /* the last page, one byte too long */
			put64(t0, refs[STORE_PAGES - 1].offset);
			put32(t0 + 8, refs[STORE_PAGES - 1].packed + 1);
		} else if (p == -3) { /* one byte into a good record */
			put64(t0, get64(t0) + 1);
		}
		if (!strcmp(cases[c].name, "hand-page-packed-0"))
			put32(t0 + 8, 0);
		else if (!strcmp(cases[c].name, "hand-page-packed-4097"))
			put32(t0 + 8, RAM_PAGE_SIZE + 1);
		save(cases[c].name);
	}
}

int main(int argc, char **argv)
{
	static u8 store[STORE_CAP];
	if (argc < 3) {
		fprintf(stderr, "usage: make-ckpt-seeds DIR BASE [REAL...]\n");
		return 2;
	}
	dir = argv[1];
	craft_store(store, refs);
	for (int k = 3; k < argc; k++) {
		load(argv[k]);
		char name[512], *p = strrchr(argv[k], '/');
		const char *parent = argv[k];
		if (p) { /* DIR/NAME/checkpoints -> NAME */
			*p = 0;
			parent = strrchr(argv[k], '/') ? strrchr(argv[k], '/') + 1 : argv[k];
		}
		snprintf(name, sizeof(name), "store-%s", parent);
		save(name);
	}
	load(argv[2]);
	if (f.count < 2)
		die("the base needs two records");
	base = f;
	memset(&f, 0, sizeof(f));
	header_cases();
	record_cases();
	payload_cases();
	torn_cases();
	page_cases();
	return 0;
}
