/*
 * The scheduler's transport over worker processes forked on this host:
 * each worker takes jobs through a pipe and reports through another.  A
 * worker that dies is replaced by a new one.
 */
#ifndef ENCORE_SIM_FORK_WORKERS_H
#define ENCORE_SIM_FORK_WORKERS_H

#include "scheduler.h"

/* Runs a job in the worker process and fills `out`. */
typedef void (*sim_run_fn)(void *opaque, u32 job, struct sim_report *out);

struct fork_workers;

/* `count` workers running `run`; NULL if out of memory. */
struct fork_workers *fork_workers__new(unsigned count, sim_run_fn run, void *opaque);
/* The transport for scheduler__run. */
struct sim_transport fork_workers__transport(struct fork_workers *fw);
/* The descriptors a caller may add to its own poll(2) while waiting
 * (MPI supervisors): the workers' report pipes.  Returns how many. */
unsigned fork_workers__fds(const struct fork_workers *fw, int *fds, unsigned max);
void fork_workers__free(struct fork_workers *fw);

#endif
