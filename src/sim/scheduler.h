/*
 * Running jobs (intervals) on worker processes: each worker is forked
 * once and takes one job after another from the scheduler, reporting
 * progress and results through a pipe.  A worker that dies fails only
 * the job it had; a new worker takes over the rest.
 */
#ifndef ENCORE_SIM_SCHEDULER_H
#define ENCORE_SIM_SCHEDULER_H

#include "encore/types.h"

#define SIM_MESSAGE_MAX 1536

/* What a worker says about a job: progress, or (done) its outcome. */
struct sim_report {
	u32 job;
	u8 done;
	u8 ok;
	u64 insns;             /* instructions simulated so far / in all */
	double seconds;        /* wall time of the job */
	double restore_ms;     /* of it, restoring the checkpoint */
	u64 pages_loaded;
	char message[SIM_MESSAGE_MAX]; /* why it failed */
};

struct sim_worker {
	/* Run `job` in this (worker) process and fill `out`. */
	void (*run)(void *opaque, u32 job, struct sim_report *out);
	void *opaque;
};

/* Called by run() now and then: tells the scheduler how far the job is
 * (at most a few times a second reach it; cheap otherwise). */
void sim_progress(u32 job, u64 insns);

/* Called in the scheduler's process for every report, and with NULL a
 * few times a second to redraw. */
typedef void (*sim_observer_fn)(void *opaque, const struct sim_report *r);

/* Run jobs[0..njobs) on `workers` processes; results[k] gets job k's
 * final report.  Returns 0, or -1 if workers could not be started. */
int scheduler__run(const u32 *jobs, u32 njobs, unsigned workers, const struct sim_worker *w,
		   sim_observer_fn observe, void *observer_opaque, struct sim_report *results);

#endif
