/*
 * The progress display of `encore simulate`: a bar of intervals done,
 * instructions simulated and the estimated time left, redrawn in place
 * on a terminal, or a line per finished interval otherwise.
 */
#ifndef ENCORE_SIM_PROGRESS_H
#define ENCORE_SIM_PROGRESS_H

#include <stdio.h>

#include "scheduler.h"

struct progress {
	FILE *f;
	bool tty, quiet;
	u32 jobs, done, failed;
	u64 total_insns, done_insns;
	u64 *running;          /* per job: instructions so far (in flight) */
	u32 *job_ids;          /* job k's id, for reports */
	u32 cap;
	double start;
	bool drawn;
};

void progress__init(struct progress *p, FILE *f, bool quiet);
/* One more job to show, of `insns` instructions; -1 if out of memory. */
int progress__add(struct progress *p, u32 id, u64 insns);
/* The scheduler's observer (sim_observer_fn). */
void progress__observe(void *opaque, const struct sim_report *r);
/* Clear the bar before other output. */
void progress__finish(struct progress *p);
void progress__free(struct progress *p);

#endif
