/*
 * encore record --simulate: an `encore simulate --follow` process started
 * beside the recorder once the recording exists, simulating each interval
 * as soon as its end checkpoint is stored.  It runs in its own process
 * group (a Ctrl-C stops the recording, not the simulation) with its report
 * in OUT/simulate.log; the recorder waits for it at the end.
 */
#ifndef ENCORE_CLI_RECORD_SIMULATE_H
#define ENCORE_CLI_RECORD_SIMULATE_H

#include <sys/types.h>

#include "run_opts.h"

struct follower {
	pid_t pid;
	char out[4200];
};

/* Before recording: its output directory, o->simulate_out (or REC.sim);
 * -1 after a message. */
int follower__prepare(struct follower *f, const struct run_opts *o);
/* Once the recording exists: start simulating it; -1 after a message. */
int follower__start(struct follower *f, const struct run_opts *o);
/* Wait for it and say how it went; its exit status (-1: none ran). */
int follower__finish(struct follower *f);

#endif
