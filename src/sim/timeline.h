/*
 * The timeline page of `encore simulate` (OUT/timeline.html): which
 * worker ran which interval when, split into restoring the checkpoint,
 * replaying and the plugins' own work, with failures, re-runs, rank 0's
 * merge and (--follow) the recording's progress over the same clock.
 * One self-contained HTML file (inline SVG and CSS, no script, nothing
 * loaded from elsewhere) so it can be opened from any copy of OUT.
 */
#ifndef ENCORE_SIM_TIMELINE_H
#define ENCORE_SIM_TIMELINE_H

#include "encore/types.h"   /* u32, u64, bool */

/* One run of one interval: a re-run after a lost worker is another bar. */
struct timeline_bar {
	u32 row;               /* which worker / MPI rank ran it: index into row_names */
	u32 interval;          /* the job's id: an interval number */
	u32 attempt;           /* 1 = first run; 2.. = re-run after its worker was lost */
	double start, end;     /* seconds since the run began (scheduler's clock) */
	double restore;        /* of it: restoring the start checkpoint (seconds) */
	double plugin;         /* of it: the plugins' own begin/end-of-interval work (writing outputs) */
	u64 insns, pages;      /* instructions simulated, pages loaded */
	bool ok;
	const char *message;   /* why it failed; NULL or "" when ok */
};

struct timeline_mark {     /* --follow: the recording as seen over time */
	double at;             /* seconds since the run began */
	u32 checkpoints;       /* durable checkpoints at that moment */
	u64 insns;             /* the recording's progress then (instructions) */
};

/* Everything the page shows; the writer only reads it.  Times may be
 * anything (negative, inverted, NaN): they are clamped, never trusted. */
struct timeline {
	const char *title;     /* the recording directory */
	const char *mode;      /* e.g. "-j 2: 2 worker processes" or "MPI: 3 ranks, 2 workers" */
	u32 rows;
	const char *const *row_names;  /* [rows], e.g. "worker 0", "rank 1 (host)" */
	const struct timeline_bar *bars;
	u32 nbars;
	double merge_start, merge_end; /* rank 0 merging outputs; merge_start < 0: none */
	const struct timeline_mark *marks;
	u32 nmarks;            /* 0 unless --follow */
	bool recording_final;  /* --follow: the recording ended normally (else: cut short) */
	double wall;           /* seconds, the whole run */
};

/* Write t as one self-contained HTML page at `path` (written to a temp file, then renamed);
 * 0, or -1 with a message naming the path and the reason in err. */
int timeline__write(const char *path, const struct timeline *t, char *err, size_t n);

#endif
