/*
 * Reading checkpoints and restoring a machine from them (snap_reader.h).
 * Checkpoints are small (state plus page-table deltas) and are all read
 * at open; pages are read one at a time, on demand, and each is checked
 * against its content hash before the guest sees it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "encore/errmsg.h"
#include "encore/hw.h"
#include "encore/ram.h"
#include "encore/state_hash.h"
#include "encore/state_parts.h"
#include "snap_reader.h"

/* The 32-byte header of a pages or checkpoints file, `got` bytes of it read. */
static int check_header(const u8 *h, size_t got, const char *path, const char *magic, u64 id,
			char *err, size_t n)
{
	if (got < SNAP_FILE_HEADER_SIZE || memcmp(h, magic, 8) ||
	    get64(h + 24) != XXH3_64bits(h, 24) ||
	    (get32(h + 8) == SNAP_VERSION && get32(h + 12) != SNAP_FILE_HEADER_SIZE)) {
		errmsg(err, n, "%s: not an encore %s file, or its header is damaged", path,
		       !strcmp(magic, SNAP_PAGES_MAGIC) ? "page store" : "checkpoints");
		return -1;
	}
	if (get32(h + 8) != SNAP_VERSION || get32(h + 12) != SNAP_FILE_HEADER_SIZE) {
		errmsg(err, n, "%s: format version %u; this encore reads version %u", path,
		       get32(h + 8), SNAP_VERSION);
		return -1;
	}
	if (get64(h + 16) != id) {
		errmsg(err, n, "%s belongs to another recording (id %016llx, expected %016llx)",
		       path, (unsigned long long)get64(h + 16), (unsigned long long)id);
		return -1;
	}
	return 0;
}

static const struct snap_page_source *page_source;

void snap_reader__set_page_source(const struct snap_page_source *src)
{
	page_source = src;
}

/* n bytes of the page store at `at`, from the file or the page source. */
static ssize_t pages_read(const struct snap_reader *r, void *buf, size_t n, u64 at)
{
	if (r->pages_src)
		return r->pages_src->read(r->pages_src->opaque, buf, n, at);
	return pread(r->pages_fd, buf, n, (off_t)at);
}

static int read_header(const struct snap_reader *r, const char *path, const char *magic,
		       u64 id, char *err, size_t n)
{
	u8 h[SNAP_FILE_HEADER_SIZE];
	ssize_t got = pages_read(r, h, sizeof(h), 0);
	return check_header(h, got > 0 ? (size_t)got : 0, path, magic, id, err, n);
}

static int open_pages(struct snap_reader *r, const char *path, char *err, size_t n)
{
	if (page_source) {
		i64 size = page_source->size(page_source->opaque);
		if (size < 0)
			return errmsg(err, n, "cannot learn the size of %s from where it is", path);
		r->pages_src = page_source;
		r->pages_size = (u64)size;
		return 0;
	}
	r->pages_fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (r->pages_fd < 0 || fstat(r->pages_fd, &st))
		return errmsg(err, n, "cannot open %s: %s", path, strerror(errno));
	r->pages_size = (u64)st.st_size;
	return 0;
}

static u8 *read_whole(const char *path, size_t *size, char *err, size_t n)
{
	FILE *f = fopen(path, "rb");
	u8 *buf = NULL;
	if (!f) {
		errmsg(err, n, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0) {
		long len = ftell(f);
		rewind(f);
		buf = len >= 0 ? malloc((size_t)len + 1) : NULL;
		if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len) {
			*size = (size_t)len;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	if (!buf)
		errmsg(err, n, "cannot read %s", path);
	fclose(f);
	return buf;
}

/* Sizes inside a payload must add up, the state parts' included (restore
 * walks them by their size fields); k names the checkpoint in messages. */
static int check_payload(const struct ckpt_info *i, const u8 *payload, size_t raw, u32 k,
			 char *err, size_t n)
{
	u64 need = CKPT_INFO_SIZE;
	bool bad = i->index != k || i->nparts > CKPT_MAX_PARTS || i->nvcpus < 1 ||
		   i->nvcpus > MACHINE_MAX_VCPUS || i->nparts < 1 + i->nvcpus;
	for (u32 d = 0; !bad && d < i->nparts; d++) {
		bad = raw - need < CKPT_PART_HEADER_SIZE;
		if (!bad) {
			u32 size = get32(payload + need + STATE_PART_NAME + 4);
			need += CKPT_PART_HEADER_SIZE + (u64)size;
			bad = size > STATE_PART_MAX_SIZE || need > raw;
		}
	}
	need += (u64)i->nnew * CKPT_NEW_PAGE_SIZE + (u64)i->ndelta * CKPT_DELTA_SIZE;
	if (bad || need > raw) {
		errmsg(err, n, "checkpoint %u is damaged (its contents do not add up)", k);
		return -1;
	}
	return 0;
}

static int parse_record(struct snap_reader *r, const u8 *rec, size_t avail, size_t *used,
			char *err, size_t n)
{
	u32 k = r->count;
	if (avail < CKPT_REC_HEADER_SIZE) {
		r->torn = true;
		return 1;
	}
	u32 raw = get32(rec + 8), packed = get32(rec + 12);
	if (get32(rec) != CKPT_REC_MAGIC || get64(rec + 24) != XXH3_64bits(rec, 24) ||
	    get32(rec + 4) != k || raw < CKPT_INFO_SIZE || raw > CKPT_MAX_RAW) {
		errmsg(err, n, "checkpoint %u: its record header is damaged", k);
		return -1;
	}
	if (avail - CKPT_REC_HEADER_SIZE < packed) {
		r->torn = true;
		return 1;
	}
	const u8 *body = rec + CKPT_REC_HEADER_SIZE;
	u8 *payload = malloc(raw);
	if (!payload || get64(rec + 16) != XXH3_64bits(body, packed) ||
	    ZSTD_decompress(payload, raw, body, packed) != raw) {
		free(payload);
		errmsg(err, n, "checkpoint %u is corrupt (checksum or compression error)", k);
		return -1;
	}
	ckpt_info__get(payload, &r->info[k]);
	if (check_payload(&r->info[k], payload, raw, k, err, n)) {
		free(payload);
		return -1;
	}
	r->payload[k] = payload;
	r->count++;
	*used = CKPT_REC_HEADER_SIZE + packed;
	return 0;
}

int snap_reader__parse_checkpoints(struct snap_reader *r, const u8 *buf, size_t size, u64 id,
				   char *err, size_t n)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", r->dir, SNAP_CKPTS_FILE);
	r->id = id;
	r->count = 0;
	r->torn = false;
	if (check_header(buf, size, path, SNAP_CKPTS_MAGIC, id, err, n))
		return -1;
	size_t at = SNAP_FILE_HEADER_SIZE, cap = size / CKPT_REC_HEADER_SIZE + 1;
	r->info = calloc(cap, sizeof(*r->info));
	r->payload = calloc(cap, sizeof(*r->payload));
	if (!r->info || !r->payload) {
		errmsg(err, n, "out of memory");
		return -1;
	}
	while (at < size) {
		size_t used;
		int pr = parse_record(r, buf + at, size - at, &used, err, n);
		if (pr < 0) {
			r->records_damaged = true;
			return -1;
		}
		if (pr)
			return 0;
		at += used;
	}
	return 0;
}

int snap_reader__open(struct snap_reader *r, const char *dir, u64 id, char *err, size_t n)
{
	char path[4200];
	memset(r, 0, sizeof(*r));
	r->pages_fd = -1;
	r->id = id;
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/%s", dir, SNAP_PAGES_FILE);
	if (open_pages(r, path, err, n))
		return -1;
	if (read_header(r, path, SNAP_PAGES_MAGIC, id, err, n))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, SNAP_CKPTS_FILE);
	size_t size;
	u8 *file = read_whole(path, &size, err, n);
	if (!file)
		return -1;
	char why[512];
	int bad = snap_reader__parse_checkpoints(r, file, size, id, why, sizeof(why));
	free(file);
	r->usable = r->count;
	r->pages_end = SNAP_FILE_HEADER_SIZE;
	if (bad && !r->records_damaged)
		return errmsg(err, n, "%s", why);
	if (bad)
		snprintf(r->damage, sizeof(r->damage), "%.4200s: %.512s", path, why);
	return 0;
}

/* XXH3-64 of `len` bytes of the page store from `at`; -1 if it is shorter. */
static int sum_range(struct snap_reader *r, u64 at, u64 len, u64 *sum)
{
	static u8 buf[1 << 20];
	XXH3_state_t *st = XXH3_createState();
	int bad = !st || XXH3_64bits_reset(st) != XXH_OK;
	while (!bad && len) {
		size_t want = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		ssize_t got = pages_read(r, buf, want, at);
		bad = got != (ssize_t)want;
		if (!bad)
			XXH3_64bits_update(st, buf, want);
		at += want;
		len -= want;
	}
	if (!bad)
		*sum = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	return bad ? -1 : 0;
}

void snap_reader__check_page_sums(struct snap_reader *r)
{
	u64 at = SNAP_FILE_HEADER_SIZE;
	for (u32 k = 0; k < r->usable; k++) {
		const struct ckpt_info *i = &r->info[k];
		u64 len = i->new_packed_bytes, sum = 0;
		const char *why = NULL;
		if (i->pages_start != at || len > r->pages_size || at > r->pages_size - len)
			why = "lie beyond its end (it was cut short)";
		else if (sum_range(r, at, len, &sum))
			why = "cannot be read";
		else if (sum != i->pages_sum)
			why = "fail their checksum";
		if (why) {
			if (!r->damage[0])
				snprintf(r->damage, sizeof(r->damage), "%.4096s/%s is damaged: the %u pages "
					 "checkpoint %u stored (bytes %llu to %llu) %s", r->dir,
					 SNAP_PAGES_FILE, i->nnew, k, (unsigned long long)at,
					 (unsigned long long)(at + len), why);
			r->usable = k;
			break;
		}
		at += len;
	}
	r->pages_end = at;
}

void snap_reader__close(struct snap_reader *r)
{
	for (u32 k = 0; r->payload && k < r->count; k++)
		free(r->payload[k]);
	free(r->payload);
	free(r->info);
	free(r->pages);
	free(r->frame_page);
	free(r->all_pages);
	if (r->pages_fd >= 0)
		close(r->pages_fd);
	memset(r, 0, sizeof(*r));
	r->pages_fd = -1;
}

/* The part at `p`: its header into *part, its bytes returned. */
static const u8 *read_part(const u8 *p, struct state_part *part)
{
	memset(part->name, 0, sizeof(part->name));
	memcpy(part->name, p, STATE_PART_NAME);
	part->version = get32(p + STATE_PART_NAME);
	part->size = get32(p + STATE_PART_NAME + 4);
	return p + CKPT_PART_HEADER_SIZE;
}

/* Where checkpoint k's page table starts: after its parts. */
static const u8 *after_parts(const struct snap_reader *r, u32 k)
{
	const u8 *p = r->payload[k] + CKPT_INFO_SIZE;
	for (u32 d = 0; d < r->info[k].nparts; d++) {
		struct state_part part;
		p = read_part(p, &part) + part.size;
	}
	return p;
}

const u8 *snap_reader__part(const struct snap_reader *r, u32 k, u32 index,
			    struct state_part *part)
{
	const u8 *p = r->payload[k] + CKPT_INFO_SIZE;
	for (u32 d = 0; d < index; d++)
		p = read_part(p, part) + part->size;
	return read_part(p, part);
}

/* ---- pages ---- */

static _Noreturn void page_failed(struct snap_reader *r, u64 frame, u32 number, const char *why)
{
	fprintf(stderr, "\nencore: %s/%s is corrupt: page %u (guest frame %#llx, physical address "
		"%#llx), needed to restore checkpoint %u, %s\n", r->dir, SNAP_PAGES_FILE, number,
		(unsigned long long)frame, (unsigned long long)(frame * RAM_PAGE_SIZE), r->restored,
		why);
	exit(2);
}

/* What is wrong with stored page `ref`, or NULL (its content in page). */
static const char *page_problem(struct snap_reader *r, const struct snap_page_ref *ref, u8 *page)
{
	u8 rec[PAGE_REC_HEADER_SIZE + RAM_PAGE_SIZE];
	size_t want = PAGE_REC_HEADER_SIZE + ref->packed;
	if (pages_read(r, rec, want, ref->offset) != (ssize_t)want)
		return "is missing (the page store is too short)";
	if (get32(rec) != PAGE_REC_MAGIC || get32(rec + 4) != ref->packed ||
	    get64(rec + 8) != ref->hash.lo || get64(rec + 16) != ref->hash.hi)
		return "is not where the checkpoint says (its record header differs)";
	if (ref->packed == RAM_PAGE_SIZE)
		memcpy(page, rec + PAGE_REC_HEADER_SIZE, RAM_PAGE_SIZE);
	else if (ZSTD_decompress(page, RAM_PAGE_SIZE, rec + PAGE_REC_HEADER_SIZE,
				 ref->packed) != RAM_PAGE_SIZE)
		return "does not decompress";
	struct page_hash h = page_hash__of(page);
	return page_hash__eq(&h, &ref->hash) ? NULL : "fails its XXH3-128 content hash check";
}

static void fetch_page(void *opaque, u64 frame, u8 *page)
{
	struct snap_reader *r = opaque;
	u32 number = r->frame_page[frame];
	const struct snap_page_ref *ref = &r->pages[number - 1];
	const char *why = page_problem(r, ref, page);
	if (why)
		page_failed(r, frame, number, why);
	r->bytes_read += PAGE_REC_HEADER_SIZE + ref->packed;
}

/* Checkpoint c's new pages into `pages` (indexed by page number - 1):
 * where its changed-frame list begins, or NULL with a message when a
 * page lies beyond the end of the page store. */
static const u8 *read_new_pages(struct snap_reader *r, u32 c, struct snap_page_ref *pages,
				char *err, size_t n)
{
	const struct ckpt_info *i = &r->info[c];
	const u8 *p = after_parts(r, c);
	for (u32 q = 0; q < i->nnew; q++, p += CKPT_NEW_PAGE_SIZE) {
		struct snap_page_ref *ref = &pages[i->first_page - 1 + q];
		ref->offset = get64(p);
		ref->packed = get32(p + 8);
		ref->hash = (struct page_hash){ get64(p + 16), get64(p + 24) };
		if (ref->packed == 0 || ref->packed > RAM_PAGE_SIZE || ref->offset > r->pages_size ||
		    r->pages_size - ref->offset < PAGE_REC_HEADER_SIZE + ref->packed) {
			errmsg(err, n, "checkpoint %u refers to page %llu beyond the end of the page "
			       "store (%s/%s was cut or damaged)", c,
			       (unsigned long long)(i->first_page + q), r->dir, SNAP_PAGES_FILE);
			return NULL;
		}
	}
	return p;
}

/* The page table and frame map as of checkpoint k. */
static int build_maps(struct snap_reader *r, u32 k, u64 nframes, char *err, size_t n)
{
	u64 total = 0;
	free(r->pages);
	free(r->frame_page);
	r->pages = NULL;
	r->frame_page = NULL;
	for (u32 c = 0; c <= k; c++) {
		if (r->info[c].first_page != total + 1 || r->info[c].nframes != nframes) {
			errmsg(err, n, "checkpoint %u is damaged (page numbering or RAM size)", c);
			return -1;
		}
		total += r->info[c].nnew;
	}
	r->pages = calloc(total ? total : 1, sizeof(*r->pages));
	r->frame_page = calloc(nframes ? nframes : 1, sizeof(u32));
	if (!r->pages || !r->frame_page) {
		errmsg(err, n, "out of memory");
		return -1;
	}
	r->npages = total;
	for (u32 c = 0; c <= k; c++) {
		const struct ckpt_info *i = &r->info[c];
		const u8 *p = read_new_pages(r, c, r->pages, err, n);
		if (!p)
			return -1;
		/* Each frame to a page stored by this checkpoint or an earlier one. */
		for (u32 q = 0; q < i->ndelta; q++, p += CKPT_DELTA_SIZE) {
			u32 frame = get32(p), number = get32(p + 4);
			if (frame >= nframes || number > i->first_page - 1 + i->nnew) {
				errmsg(err, n, "checkpoint %u is damaged (a page map entry is out "
				       "of range)", c);
				return -1;
			}
			r->frame_page[frame] = number;
		}
	}
	return 0;
}

/* The parts must be this machine's, in the same order, layout versions
 * and sizes: the scheduler, each vCPU, each device. */
static int restore_parts(struct snap_reader *r, u32 k, struct encore_machine *m, char *err,
			 size_t n)
{
	const struct ckpt_info *i = &r->info[k];
	if (i->nvcpus != m->nvcpus || i->nparts != machine__nparts(m))
		return errmsg(err, n, "checkpoint %u is of a machine with %u vCPUs and %u state "
			      "parts; this machine has %u and %u", k, i->nvcpus, i->nparts,
			      m->nvcpus, machine__nparts(m));
	/* Devices first: restoring one re-drives its lines, which kicks the
	 * running vCPU; the vCPUs' own state then says what was pending. */
	for (int pass = 0; pass < 2; pass++) {
		const u8 *p = r->payload[k] + CKPT_INFO_SIZE;
		for (u32 d = 0; d < i->nparts; d++) {
			struct state_part part;
			const u8 *bytes = read_part(p, &part);
			char why[256];
			bool device = d > m->nvcpus;
			if (device == (pass == 0) &&
			    machine__part_restore(m, d, &part, bytes, why, sizeof(why)))
				return errmsg(err, n, "checkpoint %u: %s", k, why);
			p = bytes + part.size;
		}
	}
	machine__counts_changed(m);
	return 0;
}

static int restore_ram(struct snap_reader *r, struct encore_machine *m, bool sparse,
		       struct page_map *map)
{
	struct page_hash zero = page_hash__zero();
	m->pages.fetch = fetch_page;
	m->pages.fetch_opaque = r;
	for (u64 f = 0; f < m->pages.nframes; f++) {
		u32 number = r->frame_page[f];
		map->hash[f] = number ? r->pages[number - 1].hash : zero;
		if (!number)
			continue;
		r->nonzero_frames++;
		if (ram__mark_absent(m, f))
			return -1;
	}
	if (!sparse)
		ram__fetch_all(m);
	/* Restoring is not the guest writing: start the interval clean. */
	ram__take_dirty(m, map->dirty);
	return 0;
}

int snap_reader__restore(struct snap_reader *r, u32 k, struct encore_machine *m, bool sparse,
			 struct page_map *map, char *err, size_t n)
{
	if (k >= r->count) {
		errmsg(err, n, "there is no checkpoint %u (the recording has %u)", k, r->count);
		return -1;
	}
	r->restored = k;
	r->machine = m;
	const struct ckpt_info *i = &r->info[k];
	if (build_maps(r, k, m->pages.nframes, err, n) || restore_parts(r, k, m, err, n))
		return -1;
	/* By exits, the landmark counts exits; the engines count from 0. */
	if (m->by_exits)
		m->exits = i->insns;
	m->idle_ns = i->idle_ns;
	m->irq_changed = i->machine_flags & CKPT_MACHINE_IRQ_CHANGED;
	m->resume_at_poll = !(i->flags & CKPT_FLAG_FINAL);
	if (restore_ram(r, m, sparse, map)) {
		errmsg(err, n, "out of memory");
		return -1;
	}
	if (page_map__state_hash(map, m) != i->state_hash) {
		errmsg(err, n, "checkpoint %u does not restore to its recorded state hash "
		       "%016llx (the checkpoint is damaged, or this encore saves state "
		       "differently)", k, (unsigned long long)i->state_hash);
		return -1;
	}
	return 0;
}

/* The page table of every usable checkpoint, apart from the restore's. */
static int load_all_pages(struct snap_reader *r, char *err, size_t n)
{
	u64 total = 0;
	for (u32 c = 0; c < r->usable; c++) {
		if (r->info[c].first_page != total + 1)
			return errmsg(err, n, "checkpoint %u is damaged (page numbering)", c);
		total += r->info[c].nnew;
	}
	r->all_pages = calloc(total ? total : 1, sizeof(*r->all_pages));
	if (!r->all_pages)
		return errmsg(err, n, "out of memory");
	for (u32 c = 0; c < r->usable; c++)
		if (!read_new_pages(r, c, r->all_pages, err, n))
			return -1;
	r->nall_pages = total;
	return 0;
}

int snap_reader__read_page(struct snap_reader *r, u64 number, u8 *page, char *err, size_t n)
{
	if (!r->all_pages && load_all_pages(r, err, n))
		return -1;
	if (number == 0) {
		memset(page, 0, RAM_PAGE_SIZE);
		return 0;
	}
	if (number > r->nall_pages)
		return errmsg(err, n, "%s/%s holds no page %llu (the recording was cut short before "
			      "it was stored)", r->dir, SNAP_PAGES_FILE, (unsigned long long)number);
	const struct snap_page_ref *ref = &r->all_pages[number - 1];
	const char *why = page_problem(r, ref, page);
	if (why)
		return errmsg(err, n, "%s/%s is corrupt: page %llu %s", r->dir, SNAP_PAGES_FILE,
			      (unsigned long long)number, why);
	r->bytes_read += PAGE_REC_HEADER_SIZE + ref->packed;
	return 0;
}

int snap_reader__load_maps(struct snap_reader *r, u32 k, u64 nframes, char *err, size_t n)
{
	return build_maps(r, k, nframes, err, n);
}

/* ---- checking stored state against its hashes ---- */

struct stored_parts {
	const struct snap_reader *r;
	u32 k;
};

static const void *stored_part(void *ctx, unsigned index, u32 *size)
{
	const struct stored_parts *s = ctx;
	struct state_part part;
	const u8 *bytes = snap_reader__part(s->r, s->k, index, &part);
	*size = part.size;
	return bytes;
}

/* Checkpoint k's state hash from what it stores: its parts, its idle
 * time and its frames' content hashes. */
static int check_state_hash(struct snap_reader *r, u32 k, struct page_hash *frames, char *err,
			    size_t n)
{
	const struct ckpt_info *i = &r->info[k];
	if (build_maps(r, k, i->nframes, err, n))
		return -1;
	struct page_hash zero = page_hash__zero();
	for (u64 f = 0; f < i->nframes; f++)
		frames[f] = r->frame_page[f] ? r->pages[r->frame_page[f] - 1].hash : zero;
	struct stored_parts s = { r, k };
	u64 fp = state_hash__fingerprint(i->nparts, stored_part, &s, i->idle_ns);
	if (state_hash__with_pages(fp, frames, i->nframes) != i->state_hash)
		return errmsg(err, n, "checkpoint %u is damaged: its stored state (CPU, devices, page "
			      "map) does not have its recorded state hash %016llx", k,
			      (unsigned long long)i->state_hash);
	return 0;
}

/* ---- checking the whole page store ---- */

/* The checkpoint that stored page `number`. */
static u32 page_owner(const struct snap_reader *r, u64 number)
{
	u32 k = 0;
	while (k + 1 < r->count && r->info[k + 1].first_page <= number)
		k++;
	return k;
}

static void page_damaged(struct snap_reader *r, u64 p, const char *why, char *err, size_t n)
{
	errmsg(err, n, "%s/%s is corrupt: page %llu (stored by checkpoint %u, at byte %llu) %s",
	       r->dir, SNAP_PAGES_FILE, (unsigned long long)(p + 1), page_owner(r, p + 1),
	       (unsigned long long)r->pages[p].offset, why);
}

int snap_reader__verify_pages(struct snap_reader *r, u64 *checked, char *err, size_t n)
{
	*checked = 0;
	if (!r->count)
		return 0;
	if (build_maps(r, r->count - 1, r->info[0].nframes, err, n))
		return -1;
	u8 page[RAM_PAGE_SIZE];
	for (u64 p = 0; p < r->npages; p++) {
		const char *why = page_problem(r, &r->pages[p], page);
		if (why) {
			page_damaged(r, p, why, err, n);
			return -1;
		}
		++*checked;
	}
	return 0;
}

/* Mark every usable checkpoint whose RAM holds a page in `bad`. */
static void mark_users(struct snap_reader *r, const u8 *bad, u8 *unusable)
{
	u64 nframes = r->info[0].nframes, frames_bad = 0;
	u32 *frame_page = calloc(nframes ? nframes : 1, sizeof(u32));
	for (u32 c = 0; c < r->usable; c++) {
		const struct ckpt_info *i = &r->info[c];
		const u8 *p = after_parts(r, c) + (size_t)i->nnew * CKPT_NEW_PAGE_SIZE;
		for (u32 q = 0; frame_page && q < i->ndelta; q++, p += CKPT_DELTA_SIZE) {
			u32 frame = get32(p), number = get32(p + 4);
			frames_bad -= bad[frame_page[frame]];
			frame_page[frame] = number;
			frames_bad += bad[number];
		}
		if (frames_bad || !frame_page)
			unusable[c] = 1;
	}
	free(frame_page);
}

u64 snap_reader__mark_bad_pages(struct snap_reader *r, u8 *unusable, u64 *checked, char *err,
				size_t n)
{
	*checked = 0;
	err[0] = 0;
	if (!r->usable)
		return 0;
	if (build_maps(r, r->usable - 1, r->info[0].nframes, err, n)) {
		memset(unusable, 1, r->usable);
		return 0;
	}
	u8 *bad = calloc(r->npages + 1, 1), page[RAM_PAGE_SIZE];
	u64 nbad = 0;
	for (u64 p = 0; bad && p < r->npages; p++, ++*checked) {
		const char *why = page_problem(r, &r->pages[p], page);
		if (why && !nbad++)
			page_damaged(r, p, why, err, n);
		bad[p + 1] = why != NULL;
	}
	if (!bad) {
		errmsg(err, n, "out of memory");
		memset(unusable, 1, r->usable);
	} else if (nbad) {
		mark_users(r, bad, unusable);
	}
	free(bad);
	return nbad;
}

int snap_reader__verify_state(struct snap_reader *r, u32 k, char *err, size_t n)
{
	struct page_hash *frames = calloc(r->info[k].nframes ? r->info[k].nframes : 1,
					  sizeof(*frames));
	if (!frames)
		return errmsg(err, n, "out of memory");
	int bad = check_state_hash(r, k, frames, err, n);
	free(frames);
	return bad;
}
