/*
 * encore simulate's state: its options, the recording it reads, the plan
 * of intervals its jobs run, and the scheduler's outcomes.  Prepared the
 * same way by the process that schedules and by MPI workers.
 */
#ifndef ENCORE_CLI_SIM_STATE_H
#define ENCORE_CLI_SIM_STATE_H

#include "integrity.h"
#include "sim_job.h"
#include "snap/snap_reader.h"
#include "sim/timeline.h"

#define SIM_EXIT_FAILED 1
#define SIM_EXIT_USAGE 2

struct sim_opts {
	const char *dir, *out;
	unsigned jobs;
	bool quiet, serial;
	bool follow;             /* --follow: the recording may still be growing */
	bool jobs_given;         /* -j: not with --mpi */
	bool mpi, mpi_ship;      /* --mpi, --mpi-ship */
	bool mpi_shared;         /* --mpi-shared */
	double mpi_timeout;      /* --mpi-timeout: a rank silent this long is lost */
	const char *intervals;   /* --intervals LIST, checked by sim_parse_list */
	const char *plugin_specs[PLUGIN_SET_MAX];
	unsigned nplugins;
};

struct sim_state {
	struct sim_opts opts;
	struct recording rec;
	bool rec_open;
	struct snap_reader snap;
	struct plugin_set plugins;
	struct sim_plan plan;
	struct encore_interval *selected;  /* the intervals simulated, in order */
	u32 nselected;
	u32 *job_ids;
	u32 njobs;
	struct sim_sched *sched;
	char mode[160];                    /* how the workers ran, for reports */
	unsigned workers;
	char **worker_names;               /* [workers], for the timeline */
	double merge_start, merge_end;
	bool final;                        /* the recording holds its final state */
	/* --follow */
	u32 announced;                     /* intervals handed to the scheduler */
	bool cut;                          /* its recorder stopped before the end */
	struct timeline_mark *marks;       /* the recording as seen over time */
	u32 nmarks, marks_cap;
	struct progress *progress;         /* the display, while jobs run */
	struct integrity health;
};

/* "A-B,C,D-E": mark the intervals it names in `chosen` (NULL: only
 * check); false if it is malformed or names one past `count`. */
bool sim_parse_list(const char *list, u32 count, bool *chosen);

/* Open s->opts.dir and plan its jobs.  The scheduling process (not
 * `worker`) also checks the recording's integrity and prepares the
 * output directory; a worker loads only what running jobs needs.
 * Prints why and returns -1 on failure. */
int sim_state__prepare(struct sim_state *s, bool worker);
void sim_state__free(struct sim_state *s);
/* Read the recording again and plan the intervals it holds now
 * (--follow); -1 with a message. */
int sim_state__refresh(struct sim_state *s);
/* Check the whole recording; damage is printed and kept in s->health. */
void sim_state__check_integrity(struct sim_state *s);

/* --follow (sim_follow.c): the scheduler's source of new intervals, and
 * the run function of workers, which read the recording again when
 * given an interval they do not know yet. */
void sim_follow__source(void *state, struct sim_sched *sched);
void sim_follow__run_job(void *state, u32 job, struct sim_report *out);

/* Run the planned jobs on t's workers, showing progress; -1 if no
 * worker could be started. */
int sim_run(struct sim_state *s, const struct sim_transport *t);

/* The run under mpirun (simulate_mpi.c): this rank's part; the exit
 * status (rank 0's is the run's). */
int simulate_mpi(struct sim_state *s);

/* After the run: the summary (stderr and OUT/summary.txt), the merged
 * outputs and OUT/timeline.html; the exit status. */
int sim_output__finish(struct sim_state *s);

#endif
