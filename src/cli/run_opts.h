/*
 * The options of the commands that start a machine: encore run, and
 * encore record, which takes the same ones plus where to record to.
 */
#ifndef ENCORE_CLI_RUN_OPTS_H
#define ENCORE_CLI_RUN_OPTS_H

#include "guest.h"
#include "rr/session.h"

#define RUN_DEFAULT_MEM (256ull << 20)
#define RUN_INPUT_SLICE_INSNS 4000000ull /* poll the console about every 10 ms */
/* A few dozen checkpoints for the default guest's boot and workload.  In
 * instructions: an idle guest skips virtual time, and a time interval
 * would checkpoint at every wake-up of a long idle stretch. */
#define RECORD_DEFAULT_INTERVAL_INSNS 200000000ull
#define RECORD_DEFAULT_INTERVAL_KVM_NS 1000000000ull
#define RECORD_APPEND_MAX 4096 /* struct rr_meta's append */

struct run_opts {
	struct guest_opts guest;
	u64 max_insns;
	bool summary;
	bool realtime;
	/* encore record only */
	const char *output;
	struct rr_interval interval;
	/* --simulate: plugins simulated while recording (record_simulate.c) */
	const char *simulate[16];
	unsigned nsimulate;
	const char *simulate_out;      /* --simulate-out (default REC.sim) */
	unsigned simulate_jobs;        /* -j (0: simulate's default) */
};

/* Returns 0 to go on, 1 when help was printed (exit 0), 2 on bad usage. */
int run_opts__parse(int argc, char **argv, bool record, struct run_opts *o);

#endif
