/*
 * Replaying one stretch of a recording: from its start or from a
 * checkpoint (restored sparsely or in full) to a later checkpoint or the
 * end, with every event and checkpoint on the way verified.  `encore
 * replay` runs one stretch; `encore simulate` runs one per interval.
 */
#ifndef ENCORE_CLI_STRETCH_H
#define ENCORE_CLI_STRETCH_H

#include "launch.h"
#include "recording.h"
#include "snap/snap_reader.h"

struct stretch_spec {
	bool has_from, has_to;
	u32 from, to;
	bool full_restore;   /* with from: load every page before starting */
	bool quiet;          /* do not print the guest's console */
	bool kvm;            /* replay on KVM (recordings made there only) */
	const char *cmd;     /* "replay", "simulate": for messages */
};

struct stretch {
	struct stretch_spec spec;
	struct snap_reader snap;
	bool snap_open;
	bool to_final;       /* `to` names the final checkpoint: run to the end */
	double restore_seconds;
	struct launch launch;
	bool launched;
	const char *dir;     /* the recording, for explaining a divergence */
	u64 id;
	struct disk_replayer *disks; /* a recording with disks */
};

/* Check the spec against the recording (opening its checkpoints when it
 * names any); prints a message and returns -1 if it cannot be run. */
int stretch__open(struct stretch *st, const struct stretch_spec *spec, const struct recording *rec);
/* Build the machine and put it at the stretch's start; -1 after a
 * message.  `console` is the recorded console output. */
int stretch__start(struct stretch *st, const struct recording *rec, const u8 *console,
		   size_t console_len);
/* The max_insns for launch__run: where the replay must stop at the latest. */
u64 stretch__instruction_bound(const struct stretch *st, const struct recording *rec);
/* Run to the stretch's end and check it (st->launch.session.div). */
void stretch__run(struct stretch *st, const struct recording *rec);
/* True when the stretch ended where it should, everything verified. */
bool stretch__exact(const struct stretch *st, const struct recording *rec);
void stretch__close(struct stretch *st);

/* The CHECKPOINT event of checkpoint k in the log, or NULL. */
const struct rr_event *stretch__checkpoint_event(const struct recording *rec, u32 k,
						 size_t *index);

#endif
