/*
 * Running a guest from the command line, shared by run, record and
 * replay: the machine, its console, the session between them and the
 * host, and the report of how the run ended.
 */
#ifndef ENCORE_CLI_LAUNCH_H
#define ENCORE_CLI_LAUNCH_H

#include "console.h"
#include "guest.h"
#include "rr/session.h"

#define EXIT_PANIC_STATUS 1
#define EXIT_RESET_STATUS 3
#define EXIT_LIMIT_STATUS 124
#define EXIT_TRIPLE_STATUS 125
#define EXIT_ERROR_STATUS 126

struct launch {
	struct guest guest;
	struct console console;
	struct rr_session session;
	struct run_result result;
	double wall_seconds;
	/* Called at every poll of the run loop, if set (simulate's progress). */
	void (*on_poll)(void *opaque);
	void *on_poll_opaque;
};

/* Build the guest; `input`: read the host's stdin.  Prints a message and
 * returns -1 on bad input. */
int launch__create(struct launch *l, const struct guest_opts *o, bool input, bool realtime,
		   u64 slice);
void launch__run(struct launch *l, u64 max_insns);
/* encore's exit status for the run; `verbose` prints how it ended. */
int launch__status(struct launch *l, bool verbose);
/* --summary: instructions, times, speed and state hash on stderr. */
void launch__summary(struct launch *l);
/* "1234 instructions", or on KVM (which counts none) "56 exits". */
const char *launch__progress_text(struct launch *l, char *buf, size_t n);
void launch__destroy(struct launch *l);

#endif
