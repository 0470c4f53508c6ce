/*
 * Fuzz target for the checkpoints reader, snap_reader__parse_checkpoints
 * (the part of snap_reader__open that reads a recording's checkpoints
 * file), and for the page-table checks of snap_reader__verify_pages run
 * against a small fixed page store.  Any input must be either rejected
 * with a message or accepted; an accepted file must keep the promises
 * restore relies on, checked here one by one (abort() on the first that
 * fails), and read the same when cut short.
 *
 * Built with libFuzzer (make fuzz, -DFUZZ_LIBFUZZER), a custom mutator
 * also decompresses a record's payload, mutates it, and recompresses and
 * re-seals it, or points its page table at the fixed page store: byte
 * mutations alone almost never get past the checksums and the
 * compression to the payload rules.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ckpt_craft.h"
#include "snap/snap_reader.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_ckpt: check failed: %s\n", #cond); \
		abort(); \
	} \
} while (0)

/* verify_pages allocates a u32 per guest frame: only for RAM sizes up to
 * this (4 GiB), which is the reader's business only at restore. */
#define MAX_VERIFY_FRAMES (1u << 20)

static int store_fd = -1, verbose = -1; /* FUZZ_VERBOSE=1: say what the reader said */
static u64 store_size;
static struct craft_page_ref store_refs[STORE_PAGES];

/* The fixed page store, in a memfd (or a temporary file). */
static void open_store(void)
{
	static u8 buf[STORE_CAP];
	if (store_fd >= 0)
		return;
	store_size = craft_store(buf, store_refs);
	store_fd = memfd_create("fuzz-ckpt-pages", MFD_CLOEXEC);
	if (store_fd < 0) {
		FILE *f = tmpfile();
		store_fd = f ? dup(fileno(f)) : -1;
		if (f)
			fclose(f);
	}
	CHECK(store_fd >= 0 && pwrite(store_fd, buf, store_size, 0) == (ssize_t)store_size);
}

static void reader_init(struct snap_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->pages_fd = -1;
	snprintf(r->dir, sizeof(r->dir), "fuzz");
}

/*
 * What an accepted file promises: records numbered 0, 1, 2... one after
 * the other from the header on, each with the right checksums and a
 * payload whose parts fit in it as restore walks them, its info read
 * as it is; and `torn` exactly when bytes are left that do not make a
 * whole record (a header, or the header of a record cut short).
 * Returns where the last whole record ends.
 */
static size_t check_reader(const struct snap_reader *r, const u8 *data, size_t size)
{
	size_t at = SNAP_FILE_HEADER_SIZE;
	CHECK(size >= at && !memcmp(data, SNAP_CKPTS_MAGIC, 8));
	CHECK(get64(data + 16) == r->id);
	CHECK(r->count == 0 || (r->info && r->payload));
	for (u32 k = 0; k < r->count; k++) {
		const u8 *h = data + at;
		CHECK(craft_ckpt_at(data, size, at));
		CHECK(get32(h + 4) == k);
		CHECK(get64(h + 24) == XXH3_64bits(h, 24));
		u32 raw = get32(h + 8), packed = get32(h + 12);
		CHECK(get64(h + 16) == XXH3_64bits(h + CKPT_REC_HEADER_SIZE, packed));
		CHECK(raw >= CKPT_INFO_SIZE && raw <= CKPT_MAX_RAW);
		const u8 *p = r->payload[k];
		CHECK(p);
		volatile u8 last = p[raw - 1]; /* ASan: the payload is all there */
		(void)last;
		struct ckpt_info i;
		memset(&i, 0, sizeof(i));
		ckpt_info__get(p, &i);
		CHECK(!memcmp(&i, &r->info[k], sizeof(i)));
		CHECK(i.index == k);
		CHECK(i.nparts <= CKPT_MAX_PARTS && i.nvcpus >= 1 && i.nvcpus <= MACHINE_MAX_VCPUS);
		struct craft_layout l;
		CHECK(craft_ckpt_layout(p, raw, &l) && l.end <= raw);
		struct state_part part;
		CHECK(snap_reader__part(r, k, 0, &part) == p + CKPT_INFO_SIZE + CKPT_PART_HEADER_SIZE);
		at += craft_ckpt_size(data, at);
	}
	CHECK(r->torn == (at < size));
	if (r->torn) {
		/* Either not even a record header, or a good one whose payload is cut. */
		const u8 *h = data + at;
		CHECK(size - at < CKPT_REC_HEADER_SIZE ||
		      (get32(h) == CKPT_REC_MAGIC && get32(h + 4) == r->count &&
		       get64(h + 24) == XXH3_64bits(h, 24) &&
		       get32(h + 12) > size - at - CKPT_REC_HEADER_SIZE));
	}
	return at;
}

/*
 * The page table and frame map verify_pages built, for the last
 * checkpoint, from an independent walk of the payloads: page numbers
 * running on from checkpoint to checkpoint, one RAM size, every page in
 * the store where a good page is, every changed frame inside RAM with a
 * page number already stored.
 */
static void check_maps(const struct snap_reader *r, const u8 *data, u64 checked)
{
	u64 nframes = r->info[0].nframes, total = 0;
	u32 *map = calloc(nframes ? nframes : 1, sizeof(u32));
	CHECK(map);
	size_t at = SNAP_FILE_HEADER_SIZE;
	for (u32 c = 0; c < r->count; c++) {
		const struct ckpt_info *i = &r->info[c];
		CHECK(i->first_page == total + 1 && i->nframes == nframes);
		total += i->nnew;
		const u8 *p = r->payload[c];
		struct craft_layout l;
		CHECK(craft_ckpt_layout(p, get32(data + at + 8), &l));
		at += craft_ckpt_size(data, at);
		for (u32 q = 0; q < l.nnew; q++) {
			const struct snap_page_ref *ref = &r->pages[i->first_page - 1 + q];
			const u8 *t = p + l.table + (size_t)q * CKPT_NEW_PAGE_SIZE;
			CHECK(ref->offset == get64(t) && ref->packed == get32(t + 8) &&
			      ref->hash.lo == get64(t + 16) && ref->hash.hi == get64(t + 24));
			bool good = false;
			for (unsigned s = 0; s < STORE_GOOD; s++)
				good |= ref->offset == store_refs[s].offset &&
					ref->packed == store_refs[s].packed &&
					ref->hash.lo == store_refs[s].lo && ref->hash.hi == store_refs[s].hi;
			CHECK(good);
		}
		for (u32 q = 0; q < l.ndelta; q++) {
			const u8 *d = p + l.delta + (size_t)q * CKPT_DELTA_SIZE;
			CHECK(get32(d) < nframes && get32(d + 4) <= total);
			map[get32(d)] = get32(d + 4);
		}
	}
	CHECK(r->npages == total && checked == total);
	CHECK(!memcmp(map, r->frame_page, nframes * sizeof(u32)));
	free(map);
}

/*
 * The checks that find damage without stopping at it: the page-store
 * checksums end `usable` at the first bad stretch and say why; the page
 * walk finds bad pages only where verify_pages would have refused one,
 * and names the first (a bad page no checkpoint's RAM holds marks none).
 */
static void check_damage_marks(struct snap_reader *r, bool pages_good)
{
	r->usable = r->count;
	r->damage[0] = 0;
	snap_reader__check_page_sums(r);
	CHECK(r->usable <= r->count && (r->usable == r->count) == !r->damage[0]);
	CHECK(r->pages_end >= SNAP_FILE_HEADER_SIZE);
	r->usable = r->count;
	u8 *unusable = calloc(r->count, 1);
	CHECK(unusable);
	u64 checked = 0;
	char err[512] = "x";
	u64 bad = snap_reader__mark_bad_pages(r, unusable, &checked, err, sizeof(err));
	bool any = false;
	for (u32 k = 0; k < r->count; k++)
		any |= unusable[k];
	if (pages_good)
		CHECK(!bad && !any && !err[0] && checked == r->npages);
	if (bad)
		CHECK(err[0]);
	free(unusable);
}

/* Run the page checks against the fixed store. */
static void verify(struct snap_reader *r, const u8 *data)
{
	if (!r->count || r->info[0].nframes > MAX_VERIFY_FRAMES)
		return;
	open_store();
	r->pages_fd = store_fd;
	r->pages_size = store_size;
	u64 checked = ~0ull;
	char err[512] = "";
	int v = snap_reader__verify_pages(r, &checked, err, sizeof(err));
	if (verbose)
		fprintf(stderr, "fuzz_ckpt:   pages: %s\n", v ? err : "all good");
	if (v)
		CHECK(err[0]);
	else
		check_maps(r, data, checked);
	check_damage_marks(r, v == 0);
	r->pages_fd = -1;
}

/*
 * A recorder killed mid-write leaves a prefix of the file, and that must
 * read as a file cut short, not as a damaged one: every prefix of an
 * accepted file that keeps its header is accepted, with the records
 * wholly inside it and `torn` unless it ends between two.  One cut per
 * input, chosen by its last bytes, in a buffer of its own so that ASan
 * sees a read past the cut.
 */
static void check_prefix(const u8 *data, size_t size, const struct snap_reader *whole)
{
	if (size <= SNAP_FILE_HEADER_SIZE)
		return;
	size_t cut = SNAP_FILE_HEADER_SIZE + get32(data + size - 4) % (size - SNAP_FILE_HEADER_SIZE);
	u8 *copy = malloc(cut);
	CHECK(copy);
	memcpy(copy, data, cut);
	struct snap_reader part;
	reader_init(&part);
	char err[512] = "";
	int r = snap_reader__parse_checkpoints(&part, copy, cut, whole->id, err, sizeof(err));
	if (r)
		fprintf(stderr, "fuzz_ckpt: a prefix of %zu bytes: %s\n", cut, err);
	CHECK(r == 0);
	size_t end = check_reader(&part, copy, cut);
	CHECK(part.count <= whole->count);
	CHECK(part.count == whole->count || end + craft_ckpt_size(data, end) > cut);
	for (u32 k = 0; k < part.count; k++)
		CHECK(!memcmp(&part.info[k], &whole->info[k], sizeof(part.info[k])));
	size_t at = SNAP_FILE_HEADER_SIZE;
	for (u32 k = 0; k < part.count; k++) {
		CHECK(!memcmp(part.payload[k], whole->payload[k], get32(data + at + 8)));
		at += craft_ckpt_size(data, at);
	}
	free(copy);
	snap_reader__close(&part);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The id the header names, so that real recordings get past it; but
	 * another one now and then. */
	u64 id = size >= 24 ? get64(data + 16) : 0;
	if (size && data[size - 1] == 0xa5)
		id ^= 1;
	struct snap_reader r;
	reader_init(&r);
	char err[512] = "";
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") && atoi(getenv("FUZZ_VERBOSE"));
	int bad = snap_reader__parse_checkpoints(&r, data, size, id, err, sizeof(err));
	if (verbose)
		fprintf(stderr, "fuzz_ckpt: %zu bytes: %s%s\n", size, bad ? err : "accepted",
			!bad && r.torn ? ", torn" : "");
	if (bad) {
		CHECK(err[0]);
	} else {
		check_reader(&r, data, size);
		check_prefix(data, size, &r);
		verify(&r, data);
	}
	snap_reader__close(&r);
	return 0;
}

#ifdef FUZZ_LIBFUZZER
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#define RAW_CAP (1u << 20) /* one mutated payload: plenty for fuzz inputs */
#define MAX_RECORDS 256

static u8 raw[RAW_CAP], scratch[RAW_CAP], out[CKPT_REC_HEADER_SIZE + ZSTD_COMPRESSBOUND(RAW_CAP)];

/* The payload of the record at `off` into `buf`; its size, 0 if none. */
static size_t unpack(const u8 *data, size_t off, u8 *buf)
{
	u32 want = get32(data + off + 8);
	if (want > RAW_CAP)
		return 0;
	size_t len = ZSTD_decompress(buf, want, data + off + CKPT_REC_HEADER_SIZE,
				     get32(data + off + 12));
	return ZSTD_isError(len) ? 0 : len;
}

/*
 * Replace the payload of one whole record (or of a new record after the
 * last, starting from a copy of the last) with a mutation of it, and/or
 * point it at the fixed store, numbered as the records before it say;
 * recompressed and sealed.  Returns the new size, 0 if none.
 */
static size_t mutate_payload(u8 *data, size_t size, size_t max_size, unsigned seed)
{
	size_t offs[MAX_RECORDS], off = SNAP_FILE_HEADER_SIZE;
	unsigned n = 0;
	for (; n < MAX_RECORDS && craft_ckpt_at(data, size, off); n++) {
		offs[n] = off;
		off += craft_ckpt_size(data, off);
	}
	if (size < SNAP_FILE_HEADER_SIZE)
		return 0;
	unsigned pick = seed % (n + 1), how = (seed >> 16) % 4;
	size_t at = pick < n ? offs[pick] : off, old = pick < n ? craft_ckpt_size(data, at) : 0;
	/* The first page number: the new pages of the records before it. */
	u64 first_page = 1;
	for (unsigned k = 0; k < pick && k < n; k++) {
		size_t len = unpack(data, offs[k], scratch);
		if (len >= CKPT_INFO_SIZE)
			first_page += get32(scratch + 76);
	}
	size_t len = n ? unpack(data, offs[pick < n ? pick : n - 1], raw) : 0;
	if (how != 3) /* 3: only retarget */
		len = LLVMFuzzerMutate(raw, len, RAW_CAP);
	if (how >= 2)
		craft_ckpt_retarget(raw, len, pick, first_page, store_refs, seed);
	else if (how == 1 && len >= CKPT_INFO_SIZE)
		put32(raw, pick);
	size_t nb = craft_ckpt_record(out, sizeof(out), pick, raw, len);
	if (!nb || size - old + nb > max_size)
		return 0;
	memmove(data + at + nb, data + at + old, size - at - old);
	memcpy(data + at, out, nb);
	return size - old + nb;
}

/* Point every whole record at the fixed store, numbered in order. */
static size_t retarget_all(u8 *data, size_t size, size_t max_size, unsigned seed)
{
	u64 first_page = 1;
	for (size_t off = SNAP_FILE_HEADER_SIZE, k = 0; craft_ckpt_at(data, size, off); k++) {
		size_t old = craft_ckpt_size(data, off), len = unpack(data, off, raw);
		if (!craft_ckpt_retarget(raw, len, (u32)k, first_page, store_refs, seed + (u32)k))
			break;
		first_page += get32(raw + 76);
		size_t nb = craft_ckpt_record(out, sizeof(out), (u32)k, raw, len);
		if (!nb || size - old + nb > max_size)
			break;
		memmove(data + off + nb, data + off + old, size - off - old);
		memcpy(data + off, out, nb);
		size = size - old + nb;
		off += nb;
	}
	return size;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
	size_t n;
	open_store();
	switch (seed % 8) {
	case 0: /* bytes as they come: bad checksums, cut-off records */
		return LLVMFuzzerMutate(data, size, max_size);
	case 1: case 2: /* headers and record headers with their checksums right */
		n = LLVMFuzzerMutate(data, size, max_size);
		craft_ckpt_fix_checksums(data, n);
		return n;
	case 3:
		return retarget_all(data, size, max_size, seed / 8);
	default:
		n = mutate_payload(data, size, max_size, seed / 8);
		return n ? n : LLVMFuzzerMutate(data, size, max_size);
	}
}
#endif
