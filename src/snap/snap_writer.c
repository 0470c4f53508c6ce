/*
 * Taking and storing checkpoints (snap_writer.h).  The guest's thread
 * hashes the dirty frames, deduplicates them against every page stored
 * so far, and copies the new ones into a job; a writer thread compresses
 * the job's pages, appends them to the page store, and then appends the
 * checkpoint record that refers to them, so a record is never on disk
 * before its pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "encore/errmsg.h"
#include "encore/fd_write.h"
#include "encore/hw.h"
#include "encore/ram.h"
#include "encore/state_parts.h"
#include "page_map.h"
#include "snap_wire.h"
#include "snap_writer.h"
#include "encore/host_clock.h"

#define PAGE_ZSTD_LEVEL 1
#define RECORD_ZSTD_LEVEL 3
#define MAX_PENDING_BYTES (256ull << 20) /* the guest waits beyond this */

struct dedup_slot {
	struct page_hash h;
	u32 number; /* 0: empty */
};

struct job {
	struct job *next;
	u8 *head;         /* info + CPU state + devices */
	size_t head_size;
	struct page_hash *new_hash;
	u8 *new_data;     /* nnew pages */
	u8 *delta;        /* ndelta entries */
	struct ckpt_info info;
	size_t cap_new, cap_hash, cap_delta;
};

struct snap_writer {
	struct encore_machine *m;
	int pages_fd, ckpts_fd;
	char pages_path[4200], ckpts_path[4200];
	u64 pages_offset, ckpts_offset;
	struct page_map map;
	struct dedup_slot *slots;
	u64 nslots, used;
	u32 next_page;       /* numbers 1.. in order of storing */
	bool audit;          /* ENCORE_AUDIT_DIRTY: check the map against RAM */
	struct job *building;
	/* Pages stored between checkpoints (snap_writer__store_page), for
	 * the next one; their numbers come before its RAM pages'. */
	struct page_hash *extra_hash;
	u8 *extra_data;
	u32 nextra;
	size_t cap_extra_hash, cap_extra_data;
	struct snap_writer_stats stats;
	/* the writer thread */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *queue, **queue_tail;
	u64 pending_bytes;
	bool closing, failed;
	char error[4400];
	ZSTD_CCtx *zc;
	u8 *scratch;
	size_t scratch_cap;
	/* A written job's page copies, kept for the next checkpoint: a fresh
	 * buffer costs a page fault per page copied into it. */
	u8 *spare_data;
	size_t spare_cap;
};

/* The most page-copy memory kept between checkpoints. */
#define SPARE_DATA_MAX (32u << 20)

static int create_file(const char *dir, const char *name, const char *magic, u64 id, int *fd,
		       char *path, char *err, size_t n)
{
	snprintf(path, 4200, "%s/%s", dir, name);
	*fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	u8 h[SNAP_FILE_HEADER_SIZE] = { 0 };
	memcpy(h, magic, 8);
	put32(h + 8, SNAP_VERSION);
	put32(h + 12, SNAP_FILE_HEADER_SIZE);
	put64(h + 16, id);
	put64(h + 24, XXH3_64bits(h, 24));
	if (*fd < 0 || fd_write_all(*fd, h, sizeof(h))) {
		errmsg(err, n, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- deduplication: every page stored so far, by content hash ---- */

static struct dedup_slot *dedup_find(struct snap_writer *w, const struct page_hash *h)
{
	u64 mask = w->nslots - 1;
	for (u64 k = h->lo & mask;; k = (k + 1) & mask)
		if (!w->slots[k].number || page_hash__eq(&w->slots[k].h, h))
			return &w->slots[k];
}

static int dedup_grow(struct snap_writer *w)
{
	struct dedup_slot *old = w->slots;
	u64 n = w->nslots;
	w->nslots = n ? n * 2 : 1u << 16;
	w->slots = calloc(w->nslots, sizeof(*w->slots));
	if (!w->slots) {
		w->slots = old;
		w->nslots = n;
		return -1;
	}
	for (u64 k = 0; k < n; k++)
		if (old[k].number)
			*dedup_find(w, &old[k].h) = old[k];
	free(old);
	return 0;
}

/* ---- the writer thread ---- */

static void thread_fail(struct snap_writer *w, const char *what)
{
	pthread_mutex_lock(&w->lock);
	if (!w->failed)
		snprintf(w->error, sizeof(w->error), "%s", what);
	w->failed = true;
	pthread_mutex_unlock(&w->lock);
}

static u8 *scratch(struct snap_writer *w, size_t n)
{
	if (n > w->scratch_cap) {
		free(w->scratch);
		w->scratch = malloc(n);
		w->scratch_cap = w->scratch ? n : 0;
	}
	return w->scratch;
}

/* Compress the job's new pages and append them; fills `table`. */
static int store_pages(struct snap_writer *w, struct job *j, u8 *table)
{
	u32 nnew = j->info.nnew;
	size_t bound = ZSTD_compressBound(RAM_PAGE_SIZE) + PAGE_REC_HEADER_SIZE;
	u8 *buf = malloc(nnew ? nnew * bound : 1);
	if (!buf)
		return -1;
	size_t used = 0;
	for (u32 k = 0; k < nnew; k++) {
		const u8 *page = j->new_data + (size_t)k * RAM_PAGE_SIZE;
		u8 *rec = buf + used;
		size_t packed = ZSTD_compressCCtx(w->zc, rec + PAGE_REC_HEADER_SIZE, bound,
						  page, RAM_PAGE_SIZE, PAGE_ZSTD_LEVEL);
		if (ZSTD_isError(packed) || packed >= RAM_PAGE_SIZE) {
			memcpy(rec + PAGE_REC_HEADER_SIZE, page, RAM_PAGE_SIZE);
			packed = RAM_PAGE_SIZE;
		}
		put32(rec, PAGE_REC_MAGIC);
		put32(rec + 4, (u32)packed);
		put64(rec + 8, j->new_hash[k].lo);
		put64(rec + 16, j->new_hash[k].hi);
		u8 *t = table + (size_t)k * CKPT_NEW_PAGE_SIZE;
		memset(t, 0, CKPT_NEW_PAGE_SIZE);
		put64(t, w->pages_offset + used);
		put32(t + 8, (u32)packed);
		put64(t + 16, j->new_hash[k].lo);
		put64(t + 24, j->new_hash[k].hi);
		used += PAGE_REC_HEADER_SIZE + packed;
	}
	int r = fd_write_all(w->pages_fd, buf, used);
	j->info.pages_start = w->pages_offset;
	j->info.pages_sum = XXH3_64bits(buf, used);
	free(buf);
	if (r)
		return -1;
	w->pages_offset += used;
	j->info.new_packed_bytes = used;
	return 0;
}

static int store_record(struct snap_writer *w, struct job *j, const u8 *table)
{
	size_t table_size = (size_t)j->info.nnew * CKPT_NEW_PAGE_SIZE;
	size_t delta_size = (size_t)j->info.ndelta * CKPT_DELTA_SIZE;
	size_t raw = j->head_size + table_size + delta_size;
	if (raw > CKPT_MAX_RAW)
		return -1;
	u8 *payload = malloc(raw);
	if (!payload)
		return -1;
	ckpt_info__put(j->head, &j->info);
	memcpy(payload, j->head, j->head_size);
	if (table_size) /* memcpy from NULL is undefined even for 0 bytes */
		memcpy(payload + j->head_size, table, table_size);
	if (delta_size)
		memcpy(payload + j->head_size + table_size, j->delta, delta_size);
	size_t bound = ZSTD_compressBound(raw);
	u8 *rec = scratch(w, CKPT_REC_HEADER_SIZE + bound);
	size_t packed = rec ? ZSTD_compressCCtx(w->zc, rec + CKPT_REC_HEADER_SIZE, bound, payload,
						raw, RECORD_ZSTD_LEVEL) : 0;
	free(payload);
	if (!rec || ZSTD_isError(packed))
		return -1;
	put32(rec, CKPT_REC_MAGIC);
	put32(rec + 4, j->info.index);
	put32(rec + 8, (u32)raw);
	put32(rec + 12, (u32)packed);
	put64(rec + 16, XXH3_64bits(rec + CKPT_REC_HEADER_SIZE, packed));
	put64(rec + 24, XXH3_64bits(rec, 24));
	if (fd_write_all(w->ckpts_fd, rec, CKPT_REC_HEADER_SIZE + packed))
		return -1;
	w->ckpts_offset += CKPT_REC_HEADER_SIZE + packed;
	return 0;
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	free(j->head);
	free(j->new_hash);
	free(j->new_data);
	free(j->delta);
	free(j);
}

static u64 job_bytes(const struct job *j)
{
	return (u64)j->info.nnew * RAM_PAGE_SIZE + j->info.ndelta * CKPT_DELTA_SIZE + j->head_size;
}

static void write_job(struct snap_writer *w, struct job *j)
{
	char why[4400];
	u8 *table = malloc(j->info.nnew ? (size_t)j->info.nnew * CKPT_NEW_PAGE_SIZE : 1);
	errno = 0;
	if (!table) {
		thread_fail(w, "out of memory writing a checkpoint");
	} else if (store_pages(w, j, table)) {
		snprintf(why, sizeof(why), "cannot write %s: %s", w->pages_path,
			 errno ? strerror(errno) : "out of memory");
		thread_fail(w, why);
	} else if (store_record(w, j, table)) {
		snprintf(why, sizeof(why), "cannot write %s: %s", w->ckpts_path,
			 errno ? strerror(errno) : "out of memory");
		/* A record written in part reads as a torn tail; cutting it
		 * off leaves the file clean (if even that fails, torn it is). */
		int cut = ftruncate(w->ckpts_fd, (off_t)w->ckpts_offset);
		(void)cut;
		thread_fail(w, why);
	} else {
		w->stats.page_bytes += j->info.new_packed_bytes;
	}
	free(table);
}

/* Under w->lock. */
static void keep_spare(struct snap_writer *w, struct job *j)
{
	if (w->spare_data || j->cap_new * RAM_PAGE_SIZE > SPARE_DATA_MAX)
		return;
	w->spare_data = j->new_data;
	w->spare_cap = j->cap_new;
	j->new_data = NULL;
}

/* The spare page-copy buffer, if the writer has one, for a new job. */
static void take_spare(struct snap_writer *w, struct job *j)
{
	pthread_mutex_lock(&w->lock);
	j->new_data = w->spare_data;
	j->cap_new = w->spare_cap;
	w->spare_data = NULL;
	w->spare_cap = 0;
	pthread_mutex_unlock(&w->lock);
}

static void *writer_thread(void *opaque)
{
	struct snap_writer *w = opaque;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->queue && !w->closing)
			pthread_cond_wait(&w->cond, &w->lock);
		struct job *j = w->queue;
		if (!j)
			break;
		bool failed = w->failed;
		pthread_mutex_unlock(&w->lock);
		if (!failed)
			write_job(w, j);
		pthread_mutex_lock(&w->lock);
		w->queue = j->next;
		if (!w->queue)
			w->queue_tail = &w->queue;
		w->pending_bytes -= job_bytes(j);
		pthread_cond_broadcast(&w->cond);
		keep_spare(w, j);
		pthread_mutex_unlock(&w->lock);
		job_free(j);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void enqueue(struct snap_writer *w, struct job *j)
{
	pthread_mutex_lock(&w->lock);
	while (w->pending_bytes > MAX_PENDING_BYTES && !w->failed)
		pthread_cond_wait(&w->cond, &w->lock);
	j->next = NULL;
	*w->queue_tail = j;
	w->queue_tail = &j->next;
	w->pending_bytes += job_bytes(j);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* ---- taking a checkpoint (the guest's thread) ---- */

static int reserve(void **p, size_t *cap, size_t need, size_t unit)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * unit);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

static void add_delta(struct job *j, u64 frame, u32 number, bool *oom)
{
	if (reserve((void **)&j->delta, &j->cap_delta, j->info.ndelta + 1, CKPT_DELTA_SIZE)) {
		*oom = true;
		return;
	}
	u8 *d = j->delta + (size_t)j->info.ndelta++ * CKPT_DELTA_SIZE;
	put32(d, (u32)frame);
	put32(d + 4, number);
}

struct take_ctx {
	struct snap_writer *w;
	struct job *j;
	struct page_hash zero;
	bool oom;
};

static void frame_changed(void *opaque, u64 frame, const struct page_hash *h)
{
	struct take_ctx *t = opaque;
	struct snap_writer *w = t->w;
	struct job *j = t->j;
	if (page_hash__eq(h, &t->zero)) {
		add_delta(j, frame, 0, &t->oom);
		return;
	}
	if (w->used * 2 >= w->nslots && dedup_grow(w)) {
		t->oom = true;
		return;
	}
	struct dedup_slot *s = dedup_find(w, h);
	if (!s->number) {
		if (reserve((void **)&j->new_hash, &j->cap_hash, j->info.nnew + 1, sizeof(*h)) ||
		    reserve((void **)&j->new_data, &j->cap_new, j->info.nnew + 1, RAM_PAGE_SIZE)) {
			t->oom = true;
			return;
		}
		j->new_hash[j->info.nnew] = *h;
		memcpy(j->new_data + (size_t)j->info.nnew++ * RAM_PAGE_SIZE,
		       w->m->ram + frame * RAM_PAGE_SIZE, RAM_PAGE_SIZE);
		s->h = *h;
		s->number = ++w->next_page;
		w->used++;
	}
	add_delta(j, frame, s->number, &t->oom);
}

u32 snap_writer__store_page(struct snap_writer *w, const u8 *page, bool *oom)
{
	struct page_hash h = page_hash__of(page), zero = page_hash__zero();
	if (page_hash__eq(&h, &zero))
		return 0;
	if (w->used * 2 >= w->nslots && dedup_grow(w)) {
		*oom = true;
		return 0;
	}
	struct dedup_slot *s = dedup_find(w, &h);
	if (s->number)
		return s->number;
	if (reserve((void **)&w->extra_hash, &w->cap_extra_hash, w->nextra + 1, sizeof(h)) ||
	    reserve((void **)&w->extra_data, &w->cap_extra_data, w->nextra + 1, RAM_PAGE_SIZE)) {
		*oom = true;
		return 0;
	}
	w->extra_hash[w->nextra] = h;
	memcpy(w->extra_data + (size_t)w->nextra++ * RAM_PAGE_SIZE, page, RAM_PAGE_SIZE);
	s->h = h;
	s->number = ++w->next_page;
	w->used++;
	return s->number;
}

/* The pages stored since the last checkpoint open this one's new pages. */
static int take_extra(struct snap_writer *w, struct job *j)
{
	if (!w->nextra)
		return 0;
	if (reserve((void **)&j->new_hash, &j->cap_hash, w->nextra, sizeof(*j->new_hash)) ||
	    reserve((void **)&j->new_data, &j->cap_new, w->nextra, RAM_PAGE_SIZE))
		return -1;
	memcpy(j->new_hash, w->extra_hash, w->nextra * sizeof(*j->new_hash));
	memcpy(j->new_data, w->extra_data, (size_t)w->nextra * RAM_PAGE_SIZE);
	j->info.nnew = w->nextra;
	w->nextra = 0;
	return 0;
}

/* Info and the machine's state parts: the head of the payload. */
static int build_head(struct snap_writer *w, struct job *j)
{
	struct encore_machine *m = w->m;
	unsigned nparts = machine__nparts(m);
	struct vcpu_part scratch;
	struct state_part part;
	size_t size = CKPT_INFO_SIZE;
	for (unsigned k = 0; k < nparts; k++) {
		machine__part_view(m, k, &part, NULL);
		size += CKPT_PART_HEADER_SIZE + part.size;
	}
	j->head = calloc(1, size);
	if (!j->head)
		return -1;
	j->head_size = size;
	u8 *p = j->head + CKPT_INFO_SIZE;
	for (unsigned k = 0; k < nparts; k++) {
		const void *bytes = machine__part_view(m, k, &part, &scratch);
		memcpy(p, part.name, STATE_PART_NAME);
		put32(p + STATE_PART_NAME, part.version);
		put32(p + STATE_PART_NAME + 4, part.size);
		if (part.size)
			memcpy(p + CKPT_PART_HEADER_SIZE, bytes, part.size);
		p += CKPT_PART_HEADER_SIZE + part.size;
	}
	j->info.nparts = nparts;
	j->info.nvcpus = m->nvcpus;
	return 0;
}

int snap_writer__take(struct snap_writer *w, const struct snap_point *at, u64 *state_hash,
		      char *err, size_t n)
{
	u64 t0 = host_clock__ns();
	pthread_mutex_lock(&w->lock);
	bool failed = w->failed;
	if (failed)
		errmsg(err, n, "%s", w->error);
	pthread_mutex_unlock(&w->lock);
	if (failed)
		return -1;
	struct job *j = calloc(1, sizeof(*j));
	struct take_ctx t = { w, j, page_hash__zero(), false };
	if (!j || build_head(w, j)) {
		job_free(j);
		errmsg(err, n, "out of memory taking checkpoint %u", w->stats.checkpoints);
		return -1;
	}
	take_spare(w, j);
	struct ckpt_info *i = &j->info;
	i->index = w->stats.checkpoints;
	i->flags = at->final ? CKPT_FLAG_FINAL : 0;
	i->insns = at->insns;
	i->idle_ns = at->idle_ns;
	i->seq = at->seq;
	i->console_bytes = at->console_bytes;
	i->console_sum = at->console_sum;
	i->event_index = at->event_index;
	i->nframes = w->map.nframes;
	i->machine_flags = w->m->irq_changed ? CKPT_MACHINE_IRQ_CHANGED : 0;
	i->first_page = (u64)w->next_page + 1 - w->nextra;
	if (take_extra(w, j)) {
		errmsg(err, n, "out of memory taking checkpoint %u", i->index);
		job_free(j);
		return -1;
	}
	i->dirty_frames = page_map__update(&w->map, w->m, frame_changed, &t);
	if (t.oom) {
		errmsg(err, n, "out of memory taking checkpoint %u", i->index);
		job_free(j);
		return -1;
	}
	if (w->audit) {
		i64 missed = page_map__audit(&w->map, w->m);
		if (missed >= 0) {
			fprintf(stderr, "encore: ENCORE_AUDIT_DIRTY: frame %#llx changed since checkpoint "
				"%u without being marked dirty\n", (unsigned long long)missed, i->index);
			abort();
		}
	}
	i->state_hash = *state_hash = page_map__state_hash(&w->map, w->m);
	w->stats.checkpoints++;
	w->stats.dirty_frames += i->dirty_frames;
	w->stats.changed_frames += i->ndelta;
	w->stats.new_pages += i->nnew;
	enqueue(w, j);
	w->stats.take_ns += host_clock__ns() - t0;
	return 0;
}

struct snap_writer *snap_writer__create(const char *dir, u64 id, struct encore_machine *m,
					char *err, size_t n)
{
	struct snap_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		errmsg(err, n, "out of memory");
		return NULL;
	}
	w->m = m;
	w->audit = getenv("ENCORE_AUDIT_DIRTY") != NULL;
	w->pages_fd = w->ckpts_fd = -1;
	w->queue_tail = &w->queue;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->pages_offset = SNAP_FILE_HEADER_SIZE;
	w->ckpts_offset = SNAP_FILE_HEADER_SIZE;
	if (create_file(dir, SNAP_PAGES_FILE, SNAP_PAGES_MAGIC, id, &w->pages_fd, w->pages_path,
			err, n) ||
	    create_file(dir, SNAP_CKPTS_FILE, SNAP_CKPTS_MAGIC, id, &w->ckpts_fd, w->ckpts_path,
			err, n))
		goto fail;
	if (page_map__init(&w->map, m->pages.nframes) || dedup_grow(w) ||
	    !(w->zc = ZSTD_createCCtx())) {
		errmsg(err, n, "out of memory");
		goto fail;
	}
	/* The map starts all-zero: the first checkpoint stores every frame
	 * that differs (all frames start dirty). */
	if (pthread_create(&w->thread, NULL, writer_thread, w)) {
		errmsg(err, n, "cannot start the checkpoint writer thread");
		goto fail;
	}
	return w;
fail:
	if (w->pages_fd >= 0)
		close(w->pages_fd);
	if (w->ckpts_fd >= 0)
		close(w->ckpts_fd);
	page_map__free(&w->map);
	free(w->slots);
	ZSTD_freeCCtx(w->zc);
	free(w);
	return NULL;
}

bool snap_writer__failed(struct snap_writer *w, char *err, size_t n)
{
	pthread_mutex_lock(&w->lock);
	bool failed = w->failed;
	if (failed)
		errmsg(err, n, "%s", w->error);
	pthread_mutex_unlock(&w->lock);
	return failed;
}

int snap_writer__close(struct snap_writer *w, struct snap_writer_stats *stats, char *err,
		       size_t n)
{
	pthread_mutex_lock(&w->lock);
	w->closing = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	int r = w->failed ? -1 : 0;
	if (r)
		errmsg(err, n, "%s", w->error);
	if (close(w->pages_fd) | close(w->ckpts_fd)) {
		if (!r)
			errmsg(err, n, "cannot close the checkpoint files: %s", strerror(errno));
		r = -1;
	}
	if (stats)
		*stats = w->stats;
	page_map__free(&w->map);
	free(w->slots);
	free(w->scratch);
	free(w->spare_data);
	free(w->extra_hash);
	free(w->extra_data);
	ZSTD_freeCCtx(w->zc);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
	return r;
}
