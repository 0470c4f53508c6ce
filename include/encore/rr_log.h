/*
 * The event log of a recording (docs/recording-format.md): everything
 * non-deterministic that entered the machine, each at its landmark, plus
 * verification points.  A header, then self-contained blocks of zstd-
 * compressed events, each with a checksum and the landmark up to which
 * the log is complete, so that any prefix of whole blocks replays.
 */
#ifndef ENCORE_RR_LOG_H
#define ENCORE_RR_LOG_H

#include <stddef.h>

#include "encore/types.h"

#define RR_LOG_FILE "events.log"
#define RR_LOG_MAGIC "ENCORLOG"
#define RR_LOG_VERSION 2u /* 2: landmarks name the vCPU */
#define RR_INPUT_MAX 64 /* bytes in one input event (a UART FIFO takes 16) */
#define RR_NET_FRAME_MAX 65535u /* bytes in one frame event (an event's size is 16-bit) */
/* Replay holds the whole log in memory (about 120 bytes an event); a
 * small file of highly compressible blocks must not claim gigabytes. */
#define RR_LOG_MAX_EVENTS (4u << 20)

enum rr_event_kind {
	RR_EV_BOOT_TIME = 1,  /* the wall-clock time the machine boots at */
	RR_EV_CHECKPOINT = 2, /* a verification point: the full state hash */
	RR_EV_INPUT = 3,      /* bytes the console UART received */
	RR_EV_IDLE = 4,       /* a halt skipped less idle time than the gap */
	RR_EV_PACE = 5,       /* --realtime moved virtual time ahead */
	RR_EV_STOP = 6,       /* the user stopped the run (Ctrl-A x, a signal) */
	RR_EV_END = 7,        /* how the run ended, and its final state */
	RR_EV_NET = 8,        /* a frame the network card received */
	RR_EV_NET_SENT = 9,   /* what the guest had sent by this poll (a check) */
	RR_EV_KIND_END
};

/*
 * Where in the execution an event happened.  On the interpreter: the
 * instructions all vCPUs retired, idle virtual time skipped so far, and
 * how many run-loop polls came before at exactly that (insns, idle_ns)
 * (a halted machine can pass the same count several times).  Ordered
 * lexicographically by those three; the vCPU whose turn it was, and how
 * many instructions that vCPU had retired, follow from them and are
 * checked on replay, to name the vCPU in a divergence.
 */
struct rr_landmark {
	u64 insns;
	u64 idle_ns;
	u32 seq;
	u32 vcpu;
	u64 vcpu_insns;
};

struct rr_event {
	u8 kind;
	struct rr_landmark at;
	u64 pc;           /* where the CPU is (RIP on x86) */
	u64 fingerprint;  /* machine__fingerprint: CPU, devices, virtual time */
	union {
		i64 boot_time;  /* RR_EV_BOOT_TIME: seconds since 1970, UTC */
		struct {
			u32 index;
			u64 state_hash; /* machine__state_hash, RAM included */
			u64 console_bytes;
		} checkpoint;
		struct {
			u32 len;
			u8 bytes[RR_INPUT_MAX];
		} input;
		struct {
			u32 len;
			u8 *bytes;      /* the log's own copy (rr_log__free frees it) */
		} net;
		struct {
			u64 frames;     /* sent since boot */
			u64 digest;     /* the card's chain over them */
		} net_sent;
		struct {
			u64 gap_ns;     /* time to the next timer deadline */
			u64 skipped_ns; /* what was skipped instead (input came) */
		} idle;
		struct {
			u64 ns;
		} pace;
		struct {
			i32 status;
		} stop;
		struct {
			u32 outcome;    /* enum run_outcome */
			i32 status;     /* encore's exit status for the run */
			u64 state_hash;
			u64 console_bytes;
		} end;
	};
};

int rr_landmark__cmp(const struct rr_landmark *a, const struct rr_landmark *b);
const char *rr_event_kind__name(unsigned kind);

/* ---- writing ---- */

struct rr_log_writer;

/* Create `path` (which must not exist) with the header written. */
struct rr_log_writer *rr_log_writer__create(const char *path, u64 recording_id, char *err,
					    size_t errlen);
/* Buffer an event; it reaches the file with the next flush. */
int rr_log_writer__append(struct rr_log_writer *w, const struct rr_event *ev);
/* Write the buffered events as one block, declaring the log complete up
 * to `through`; one write(2), so a killed recorder leaves whole blocks
 * and at most one torn one at the end. */
int rr_log_writer__flush(struct rr_log_writer *w, const struct rr_landmark *through);
size_t rr_log_writer__pending(const struct rr_log_writer *w);
/* "cannot write PATH: REASON" into buf once a write has failed, else NULL. */
const char *rr_log_writer__error(const struct rr_log_writer *w, char *buf, size_t n);
u64 rr_log_writer__bytes(const struct rr_log_writer *w);
/* fsync and close; returns -1 if any write failed. */
int rr_log_writer__close(struct rr_log_writer *w, char *err, size_t errlen);

/* ---- reading ---- */

struct rr_log {
	u32 version;
	u64 recording_id;
	struct rr_event *events;
	size_t count;
	u32 blocks;
	struct rr_landmark through; /* the log is complete up to here */
	bool ended;                 /* the last event is RR_EV_END */
	bool torn;                  /* the file ends inside a block */
	u64 valid_bytes, file_bytes;
};

/* Parse and validate a whole log held in memory; on error returns -1
 * with a message naming the block and what is wrong. */
int rr_log__parse(const u8 *data, size_t size, struct rr_log *log, char *err, size_t errlen);
int rr_log__read(const char *path, struct rr_log *log, char *err, size_t errlen);
/* Keep the first `count` events only. */
void rr_log__truncate(struct rr_log *log, size_t count);
void rr_log__free(struct rr_log *log);

#endif
