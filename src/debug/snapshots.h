/*
 * In-memory checkpoints of a replay under gdb: each is a forked copy of
 * the replaying process, stopped at a position and waiting.  Going to a
 * position at or after one, the process serving gdb hands over to it:
 * the copy forks again, the fork takes the handed-over state (gdb's
 * connection, breakpoints, what to do next) and replays on from there,
 * and the old process exits.  Memory is copy-on-write, so a checkpoint
 * costs what the replay writes after it.
 *
 * All of it hangs off a supervisor, the process the user started: it
 * only waits, adopts every orphaned copy (a child subreaper), and at the
 * end (snapshots__finish, or a process that dies) stops them all and
 * exits with the session's status.
 */
#ifndef ENCORE_DEBUG_SNAPSHOTS_H
#define ENCORE_DEBUG_SNAPSHOTS_H

#include <stddef.h>

#include "encore/types.h"

#define SNAPSHOTS_MAX 24
#define SNAPSHOT_NONE (-1)
#define SNAPSHOT_RESUMED (-2)

struct snapshot_info {
	bool alive, automatic;
	u64 pos;
	u32 id;        /* as `monitor info checkpoints` numbers it */
};

/* Make the shared area (for `handoff_max` bytes of handed-over state),
 * then fork: the parent supervises until the session ends and returns
 * its exit status (> 0 or 0); the child returns -1 and runs the session.
 * -1 with errno in the parent when no fork can be made. */
int snapshots__start(size_t handoff_max, bool *is_supervisor);
/* Is there a supervisor (snapshots__start ran)? */
bool snapshots__enabled(void);

/* In the serving process, at `pos`: fork a waiting copy.  Returns its
 * slot (>= 0), SNAPSHOT_NONE if none could be made (full of manual
 * ones, no memory), or SNAPSHOT_RESUMED in a process that has just taken
 * over from this copy: then *fd is the connection handed over (or -1). */
int snapshots__take(u64 pos, bool automatic, int *fd);
/* The slot whose position is the latest at or before `pos` (-1: none,
 * or no supervisor). */
int snapshots__before(u64 pos);
const struct snapshot_info *snapshots__info(int slot);
/* The buffer for the state to hand over (handoff_max bytes). */
u8 *snapshots__handoff(size_t *max);
/* Hand over to `slot` (the state is in the handoff buffer already) with
 * connection `fd`: this process exits.  Returns -1 only if the copy is
 * gone (its slot is then free). */
int snapshots__resume(int slot, int fd);
/* The session is over with `status`: the supervisor ends everything. */
void snapshots__finish(int status);

#endif
