/*
 * A run session: what stands between the machine's run loop and the
 * host.  Live, it passes host input (console bytes, idle decisions, stop
 * requests) to the machine; recording, it also logs each of them at its
 * landmark with checkpoints between; replaying, it takes them from a log
 * instead of the host, and checks at every event and checkpoint that the
 * execution is where the recording says.
 */
#ifndef ENCORE_RR_SESSION_H
#define ENCORE_RR_SESSION_H

#include <stdio.h>

#include "encore/serial.h"
#include "encore/hw/virtio_net.h"
#include "encore/rr_log.h"
#include "encore/run.h"
#include "snap/page_map.h"
#include "snap/snap_writer.h"

/* How often a recording takes a checkpoint: every `insns` instructions,
 * or every `ns` of virtual time (at most one of them non-zero; neither:
 * only at the start and the end). */
struct rr_interval {
	u64 insns, ns;
};

/* What the user-facing front end (the console) offers a session. */
struct rr_frontend {
	/* At every poll, in every mode: flush output, read host input, watch
	 * the output (deterministic checks such as panic detection). */
	void (*poll)(void *opaque);
	/* Take up to `max` bytes of host input for the guest's console. */
	size_t (*take_input)(void *opaque, u8 *buf, size_t max);
	/* The user asked to stop (Ctrl-A x, a signal): status for the run. */
	bool (*stop_requested)(void *opaque, int *status);
	/* How much of an idle gap of `ns` to skip (live; see run_input). */
	u64 (*idle)(void *opaque, u64 ns);
	/* Block until input comes; false if none can. */
	bool (*wait)(void *opaque);
	/* The oldest frame the host's network holds for the guest (optional),
	 * and taking it. */
	bool (*next_frame)(void *opaque, const u8 **frame, size_t *len);
	void (*drop_frame)(void *opaque);
	void *opaque;
};

enum rr_mode { RR_LIVE, RR_RECORD, RR_REPLAY };

/* The first place where a replay left its recording. */
struct rr_divergence {
	bool found;
	char what[1024];           /* what was expected, what was found */
	struct rr_landmark at;     /* where it was noticed */
	bool matched_any;
	char last_match[320];      /* the last event or checkpoint that matched */
};

struct rr_session {
	enum rr_mode mode;
	struct encore_machine *machine;
	struct serial_port console;   /* where typed input goes */
	struct virtio_net *nic;       /* the network card, if any (rr_session__set_nic) */
	u64 sent_logged;              /* recording: frames sent as of the last net-sent event */
	struct rr_frontend fe;
	u64 slice;
	bool realtime;
	u64 wall_start_ns;
	u64 host_time_seen;           /* by exits: host clock virtual time follows */
	bool stop_pending;            /* a stop seen between landmarks */
	int stop_pending_status;
	u64 stop_pending_since;
	bool stopped_between_landmarks;
	struct rr_landmark last_poll; /* landmarks: how many polls at this point */
	u32 polls_here;
	u64 console_bytes;            /* guest console output so far */
	u32 checkpoints;
	/* recording */
	struct rr_log_writer *log;
	struct snap_writer *snap;
	FILE *console_file;
	struct XXH3_state_s *console_sum; /* of the output so far (checkpoints store it) */
	struct rr_interval interval;
	u64 next_checkpoint;          /* instruction count, or virtual ns */
	u64 last_flush_ns;
	struct rr_landmark flushed_through;
	u64 events;
	u64 end_state_hash;           /* logged with the end event */
	char error[4400];             /* a recording write failed: why */
	/* replaying */
	const struct rr_log *replay;
	size_t first_event;           /* where it started (--from: its checkpoint) */
	struct page_map map;          /* frame hashes for the state hash */
	bool map_ready;
	u32 stop_checkpoint;          /* --to: stop once this one is verified */
	bool has_stop_checkpoint, reached_stop;
	size_t next_event;
	const u8 *expected_console;
	size_t expected_len;
	bool reached_through;         /* a cut-short log was replayed to its end */
	int interrupted;              /* a stop signal ended the replay: its status */
	struct rr_divergence div;
	/* replaying: told of each checkpoint once it is verified (the start
	 * of a stretch included); simulate starts and ends intervals here */
	void (*on_checkpoint)(void *opaque, u32 index);
	void *checkpoint_opaque;
	/* replaying: when checkpoint `index` does not match, say where the
	 * machine differs from it (the stored checkpoint's parts and frames) */
	void (*explain_checkpoint)(void *opaque, u32 index, const struct page_map *map, char *out,
				   size_t n);
	void *explain_opaque;
	/* replaying: go live at the first poll at or after live_at */
	bool has_live_at, went_live;
	u64 live_at;
	void (*on_live)(void *opaque);
	void *live_opaque;
};

void rr_session__init(struct rr_session *s, struct encore_machine *m,
		      const struct serial_port *console,
		      const struct rr_frontend *fe, u64 slice, bool realtime);
/* Record into `log` (its header written), `snap` and `console_file`:
 * logs the boot time and, at the first poll, checkpoint 0. */
int rr_session__record(struct rr_session *s, struct rr_log_writer *log, struct snap_writer *snap,
		       FILE *console_file, struct rr_interval interval, i64 boot_time);
/* Replay `log` (validated), checking output against `console`.  The boot
 * time event must already have been used to build the machine. */
int rr_session__replay(struct rr_session *s, const struct rr_log *log, const u8 *console,
		       size_t console_len);
/* Replay from a machine restored to a checkpoint (snap_reader.h): `map`
 * holds its frame hashes (taken over), `event` is its CHECKPOINT event,
 * which the first poll verifies again. */
void rr_session__replay_from(struct rr_session *s, const struct rr_log *log, const u8 *console,
			     size_t console_len, struct page_map *map, size_t event);
/* The machine's network card: frames for it are host input (logged). */
void rr_session__set_nic(struct rr_session *s, struct virtio_net *nic);
/* Replaying: at the first poll whose progress (instructions, or exits
 * on a recording made on KVM) is at least `progress`, stop following the
 * log and go on live, before that poll's events: input from the front
 * end, virtual time (or real time with realtime), nothing checked.
 * on_live (optional) runs there, to give the front end the machine. */
void rr_session__live_at(struct rr_session *s, u64 progress, void (*on_live)(void *opaque),
			 void *opaque);
/* Stop the replay once checkpoint `index` has been verified. */
void rr_session__stop_at_checkpoint(struct rr_session *s, u32 index);
void rr_session__destroy(struct rr_session *s);
/* "instruction N, idle N ns, poll N", with "(vCPU V at its instruction M)"
 * after N when that says more; RR_LANDMARK_TEXT bytes are enough. */
#define RR_LANDMARK_TEXT 160
void rr_landmark__format(char *buf, size_t n, const struct rr_landmark *at);
/* The callbacks for machine__run. */
struct run_input rr_session__run_input(struct rr_session *s);
/* Every byte the guest's console prints passes here. */
void rr_session__console_byte(struct rr_session *s, u8 byte);
/* Recording: log how the run ended and flush; -1 if the log is lost. */
int rr_session__end_record(struct rr_session *s, const struct run_result *r, int status);
/* Replaying: the machine's state hash here, as checkpoints compute it. */
u64 rr_session__state_hash(struct rr_session *s);
/* Replaying: check the end against the recording (sets s->div). */
void rr_session__end_replay(struct rr_session *s, const struct run_result *r, int status);

#endif
