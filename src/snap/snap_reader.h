/*
 * The replayer's side of checkpoints: reads a recording's checkpoints
 * file, and restores a machine to one of them, either loading all its
 * pages at once or (sparse) fetching each page from the page store the
 * first time the machine touches it.
 */
#ifndef ENCORE_SNAP_READER_H
#define ENCORE_SNAP_READER_H

#include <sys/types.h>

#include "encore/machine.h"
#include "encore/state_parts.h"
#include "page_map.h"
#include "snap_wire.h"

struct snap_page_ref {
	u64 offset;
	u32 packed;
	struct page_hash hash;
};

/* Where a page store's bytes come from when it is not a local file: an
 * MPI worker without the recording's directory asks rank 0 for them. */
struct snap_page_source {
	/* Read n bytes at `offset`; how many were read (short at the end),
	 * or -1. */
	ssize_t (*read)(void *opaque, void *buf, size_t n, u64 offset);
	/* Its size now (it grows while the recording is written); -1 if
	 * it cannot be had. */
	i64 (*size)(void *opaque);
	void *opaque;
};

/* Every snap_reader opened from now on reads its page store from `src`
 * (NULL: from the recording's directory again). */
void snap_reader__set_page_source(const struct snap_page_source *src);

struct snap_reader {
	char dir[4096];
	u64 id;
	int pages_fd;
	const struct snap_page_source *pages_src; /* instead of pages_fd */
	u64 pages_size;
	struct ckpt_info *info;     /* every complete checkpoint, in order */
	u8 **payload;               /* their decompressed payloads */
	u32 count;
	bool torn;                  /* the file ends in a partial record */
	bool records_damaged;       /* a record after the last of count is damaged */
	/* set by open and check_page_sums: */
	char damage[8192];          /* the first damage found, naming its file; "" if none */
	u32 usable;                 /* checkpoints 0..usable-1: whole records and pages */
	u64 pages_end;              /* check_page_sums: where the usable checkpoints' pages end */
	/* after a restore */
	u32 restored;
	struct snap_page_ref *pages; /* page number - 1 -> where it is */
	u64 npages;
	u32 *frame_page;            /* frame -> page number (0 = zero page) */
	struct snap_page_ref *all_pages; /* read_page: every usable checkpoint's pages */
	u64 nall_pages;
	u64 nonzero_frames;
	u64 bytes_read;
	struct encore_machine *machine;
};

/* Read and check the checkpoints file of the recording in `dir` (whose
 * id is `id`).  -1 if either file is missing or not this recording's.
 * A file cut inside its last record is not an error (a killed
 * recorder); from a damaged record on, nothing is read, and r->damage
 * says why (r->usable = r->count, the records before it). */
int snap_reader__open(struct snap_reader *r, const char *dir, u64 id, char *err, size_t n);
/* Check each usable checkpoint's new pages in the page store against
 * their checksum (reading the whole store, but decompressing nothing);
 * the first damaged range ends r->usable and sets r->damage. */
void snap_reader__check_page_sums(struct snap_reader *r);
void snap_reader__close(struct snap_reader *r);

/* The checkpoints-file half of snap_reader__open: check `buf` (the whole
 * file, `size` bytes) and read its records into r->info, r->payload,
 * r->count and r->torn, as open does; -1 for a bad header, or with
 * r->records_damaged for a damaged record (count: those before it).  `r` is zeroed or closed, with
 * r->dir set for messages; snap_reader__close frees what it read, also
 * after an error.  The fuzz target calls it directly. */
int snap_reader__parse_checkpoints(struct snap_reader *r, const u8 *buf, size_t size, u64 id,
				   char *err, size_t n);

/* Put `m` (built with the recorded RAM size and devices, nothing loaded)
 * into checkpoint k's state and fill `map` with its frame hashes.
 * sparse: pages come from the page store on first touch; otherwise all
 * are loaded now.  A damaged page makes the fetch report and exit(2). */
int snap_reader__restore(struct snap_reader *r, u32 k, struct encore_machine *m, bool sparse,
			 struct page_map *map, char *err, size_t n);

/* Fill r->pages and r->frame_page as of checkpoint k (what restore and
 * the page checks use); -1 with a message if the checkpoints disagree. */
int snap_reader__load_maps(struct snap_reader *r, u32 k, u64 nframes, char *err, size_t n);
/* After a replay's state hash at checkpoint k disagreed: one line saying
 * where machine `m` (with frame hashes `map`) differs from the stored
 * checkpoint: the state part (naming the vCPU and its first differing
 * register), idle time, or the RAM frames. */
void snap_reader__explain(struct snap_reader *r, u32 k, struct encore_machine *m,
			  const struct page_map *map, char *out, size_t n);


/* Page `number` (1.., any the usable checkpoints stored) into page:
 * 0, or -1 with a message when there is no such page or it is damaged. */
int snap_reader__read_page(struct snap_reader *r, u64 number, u8 *page, char *err, size_t n);

/* Read every stored page that any checkpoint refers to and check it
 * against its hash; -1 names the first damaged page and its checkpoint. */
int snap_reader__verify_pages(struct snap_reader *r, u64 *checked, char *err, size_t n);

/* Read every page the usable checkpoints stored and check it against its
 * hash; set unusable[k] for each usable checkpoint k whose RAM holds a
 * damaged page.  Returns how many are damaged (err names the first). */
u64 snap_reader__mark_bad_pages(struct snap_reader *r, u8 *unusable, u64 *checked, char *err,
				size_t n);
/* Check that checkpoint k's stored state (its parts, idle time and page
 * map) has its recorded state hash; -1 says it does not.  Reads no pages. */
int snap_reader__verify_state(struct snap_reader *r, u32 k, char *err, size_t n);

/* State part `index` of checkpoint k (0: the scheduler, 1..nvcpus: the
 * vCPUs as struct vcpu_part, then the devices): its description and
 * bytes, as stored (the parts were checked to add up at open). */
const u8 *snap_reader__part(const struct snap_reader *r, u32 k, u32 index,
			    struct state_part *part);

#endif
