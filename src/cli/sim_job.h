/*
 * One job of `encore simulate`, run in a worker process: replay a run of
 * intervals from the checkpoint at its start (restored sparsely) with the
 * plugins hooked in, interval by interval, verifying each end.
 */
#ifndef ENCORE_CLI_SIM_JOB_H
#define ENCORE_CLI_SIM_JOB_H

#include "recording.h"
#include "sim/plugin_host.h"
#include "sim/scheduler.h"

struct sim_plan {
	const struct recording *rec;
	const u8 *console;
	size_t console_len;
	const struct plugin_set *plugins;
	const char *out_dir;
	u32 intervals;                  /* in the recording */
	struct encore_interval *iv;     /* [intervals] */
	u32 nvcpus;                     /* of the recording */
	u64 *vcpu_first, *vcpu_end;     /* [intervals * nvcpus]: what iv[k]'s per-vCPU
					 * counts point to, from the checkpoints */
	u64 *landmark;                  /* [intervals + 1]: each checkpoint's landmark
					 * progress (exits on KVM), for progress */
	bool serial;                    /* one job: first_interval..last_interval */
	u32 first_interval, last_interval;
};

/* The sim_worker run function: job k is interval k, or (serial) all. */
void sim_job__run(void *plan, u32 job, struct sim_report *out);

#endif
