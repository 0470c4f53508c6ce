/*
 * encore simulate over MPI ranks.  Rank 0 is the coordinator: it runs
 * the scheduler with the worker ranks as its transport, answers their
 * reads of the recording and writes the outputs they ship.  Every other
 * rank is a worker: a supervisor that talks MPI and runs each job in a
 * forked process, so a job that crashes costs its attempt, not the rank.
 * Built only with Open MPI (ENCORE_HAVE_MPI).
 */
#ifndef ENCORE_SIM_MPI_SIM_H
#define ENCORE_SIM_MPI_SIM_H

#include <sys/types.h>

#include "fork_workers.h"
#include "snap/snap_reader.h"
#include "mpi_wire.h"

/* Started by mpirun (its environment says so)? */
bool mpi_sim__under_mpirun(void);
/* MPI_Init; this rank and the number of ranks.  -1 with a message. */
int mpi_sim__init(int *rank, int *size);
void mpi_sim__finalize(void);

/* ---- rank 0 ---- */

struct mpi_coordinator;

/* Serving the recording in rec_dir and writing outputs into out_dir
 * (NULL: none); a rank silent for `timeout` seconds is lost. */
struct mpi_coordinator *mpi_coordinator__new(int size, const char *rec_dir, const char *out_dir,
					     double timeout);
/* Send `setup` to every worker rank and wait for their hellos; how many
 * are ready (the others are named on stderr).  setup->ok = 0 dismisses
 * them. */
unsigned mpi_coordinator__greet(struct mpi_coordinator *c, const struct mpi_setup *setup);
struct sim_transport mpi_coordinator__transport(struct mpi_coordinator *c);
/* How many workers read the recording themselves / were shipped it. */
void mpi_coordinator__modes(const struct mpi_coordinator *c, unsigned *shared, unsigned *shipped);
u64 mpi_coordinator__bytes_served(const struct mpi_coordinator *c);
/* Ranks lost to silence: they may be hung, and would hang MPI_Finalize. */
unsigned mpi_coordinator__silent(const struct mpi_coordinator *c);
/* End every rank now with `status` (after a rank went silent). */
_Noreturn void mpi_sim__abort(int status);
void mpi_coordinator__free(struct mpi_coordinator *c);

/* ---- worker ranks ---- */

/* Wait for rank 0's setup. -1 if rank 0 is gone. */
int mpi_worker__setup(struct mpi_setup *setup);
/* Tell rank 0 this rank is ready (or, !hello->ok, why not). */
void mpi_worker__hello(const struct mpi_hello *hello);

/* Bytes [offset, offset+len) of the recording's file `name`, from rank 0;
 * bytes read, or -errno.  len 0: the file's size. */
ssize_t mpi_worker__read(const char *name, void *buf, size_t len, u64 offset);
/* The whole file `name` into local_path; -1 with a message. */
int mpi_worker__fetch(const char *name, const char *local_path, char *err, size_t n);
/* Ship local_path to rank 0 as OUT/rel; -1 with a message. */
int mpi_worker__ship_output(const char *local_path, const char *rel, char *err, size_t n);

/* The page store as job processes see it: reads go through this rank's
 * supervisor to rank 0, a window at a time, cached.  Call before the
 * job processes are forked (mpi_worker__serve). */
const struct snap_page_source *mpi_worker__page_source(void);
/* Page store bytes this (job) process has been shipped so far. */
u64 mpi_worker__shipped(void);

struct mpi_worker_hooks {
	/* Before job `job` goes to the job process: fetch what it needs;
	 * -1 with why (the job fails with it). */
	int (*before)(void *opaque, u32 job, char *why, size_t n);
	/* After its outcome: ship its outputs; -1 with why (it fails). */
	int (*after)(void *opaque, u32 job, char *why, size_t n);
	void *opaque;
};
/* Run jobs from rank 0 on `fw` (one job process) until told to stop. */
void mpi_worker__serve(struct fork_workers *fw, const struct mpi_worker_hooks *h);

#endif
