/*
 * Running jobs (intervals) on workers.  The scheduler hands each idle
 * worker the next job, collects progress and outcomes, and re-runs a job
 * once elsewhere when its worker is lost.  How workers exist and talk is
 * a transport's business: forked processes on this host
 * (fork_workers.h) or MPI ranks (mpi_sim.h); the schedule is the same.
 */
#ifndef ENCORE_SIM_SCHEDULER_H
#define ENCORE_SIM_SCHEDULER_H

#include <stddef.h>

#include "encore/types.h"

#define SIM_MESSAGE_MAX 1536
#define SIM_NO_JOB 0xffffffffu

/* What a worker says about a job: progress, or (done) its outcome. */
struct sim_report {
	u32 job;
	u8 done;
	u8 ok;
	u64 insns;             /* instructions simulated so far / in all */
	double seconds;        /* wall time of the job, as the worker measured it */
	double restore_ms;     /* of it, restoring the checkpoint */
	double plugin_ms;      /* of it, the plugins' begin/end-of-interval work */
	u64 pages_loaded;
	u64 bytes_shipped;     /* recording bytes that crossed MPI for it (shipping mode) */
	char message[SIM_MESSAGE_MAX]; /* why it failed */
};

/* A job's final outcome as the scheduler saw it. */
struct sim_outcome {
	struct sim_report report;
	unsigned worker;       /* the worker of its last attempt */
	u32 attempts;
	double start, end;     /* of its last attempt, seconds since the run began */
};

/* An attempt whose worker was lost (the job then ran again, or failed). */
struct sim_lost_attempt {
	u32 job;
	unsigned worker;
	u32 attempt;
	double start, end;
	char why[256];
};

/* What a transport has to tell the scheduler. */
enum sim_event_kind { SIM_EVENT_NONE, SIM_EVENT_REPORT, SIM_EVENT_LOST };
struct sim_event {
	enum sim_event_kind kind;
	unsigned worker;
	struct sim_report report;      /* REPORT */
	char why[256];                 /* LOST: what became of the worker */
};

struct sim_transport {
	unsigned workers;
	/* Start worker k (again, after a loss); -1 if it cannot be. */
	int (*start)(void *self, unsigned k);
	/* Hand worker k a job; -1 if it is gone (a LOST event follows). */
	int (*give)(void *self, unsigned k, u32 job);
	/* Wait up to `timeout` seconds for the next event. */
	void (*wait)(void *self, double timeout, struct sim_event *ev);
	/* Tell every worker still there to stop, and wait for them. */
	void (*finish)(void *self);
	/* A name for worker k (timeline rows, messages). */
	void (*name)(void *self, unsigned k, char *buf, size_t n);
	void *self;
};

struct sim_sched;

/* Called by the scheduler for every report, and with NULL a few times
 * a second to redraw. */
typedef void (*sim_observer_fn)(void *opaque, const struct sim_report *r);
/* Called a few times a second while jobs may still come (--follow):
 * adds jobs with scheduler__add and says scheduler__no_more. */
typedef void (*sim_source_fn)(void *opaque, struct sim_sched *s);

struct sim_sched_config {
	sim_observer_fn observe;
	void *observer_opaque;
	sim_source_fn source;          /* NULL: every job was added before the run */
	void *source_opaque;
	u32 max_attempts;              /* runs of a job whose worker is lost; 0 means 2 */
};

struct sim_sched *scheduler__new(const struct sim_sched_config *cfg);
/* Queue job `id`; -1 if out of memory. */
int scheduler__add(struct sim_sched *s, u32 id);
/* No job will be added any more. */
void scheduler__no_more(struct sim_sched *s);
/* Run every job to its end on t's workers; 0, or -1 if no worker could
 * be started at all. */
int scheduler__run(struct sim_sched *s, const struct sim_transport *t);
/* The jobs in the order they were added, with their outcomes. */
u32 scheduler__count(const struct sim_sched *s);
const struct sim_outcome *scheduler__outcome(const struct sim_sched *s, u32 k);
/* Workers lost during the run (each reported on stderr as it happened). */
u32 scheduler__lost(const struct sim_sched *s);
/* The attempts lost with them, in the order they were lost (those of
 * jobs that ran again, and the last of jobs that then failed). */
const struct sim_lost_attempt *scheduler__lost_attempts(const struct sim_sched *s, u32 *n);
double scheduler__elapsed(const struct sim_sched *s);
/* Seconds since the run began. */
double scheduler__now(const struct sim_sched *s);
void scheduler__free(struct sim_sched *s);

/* In a worker: tell the scheduler how far the job is (cheap; reaches it
 * at most a few times a second).  Set up by the worker's transport. */
void sim_progress(u32 job, u64 insns);
typedef void (*sim_progress_fn)(u32 job, u64 insns);
void sim_progress__set(sim_progress_fn fn);

#endif
