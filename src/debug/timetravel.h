/*
 * Time travel on a recording: a replay that can be stopped at any
 * instruction, run on to a breakpoint or watchpoint, and taken back to
 * any earlier instruction -- by restoring the nearest checkpoint before
 * it (sparsely) and replaying forward to exactly there.  A debugger
 * front end (gdb_server.c) drives it through one callback, `serve`,
 * called at every stop; it returns an order saying what to do next.
 *
 * A position is the machine's count of retired instructions since the
 * recording's start (all vCPUs together).  Being at position P means
 * instruction P is next: any interrupt due there was delivered already,
 * and a vCPU that halted there is at its HLT.  Every way of arriving at
 * P -- stepping, continuing, restoring a checkpoint and replaying --
 * gives the same machine.
 */
#ifndef ENCORE_DEBUG_TIMETRAVEL_H
#define ENCORE_DEBUG_TIMETRAVEL_H

#include "cli/stretch.h"
#include "debug/points.h"
#include "encore/hooks.h"

#define TT_UNKNOWN (~0ull)

enum tt_why {
	TT_AT_START,      /* the session begins here */
	TT_STEPPED,       /* one instruction forward or back */
	TT_BREAK,         /* a breakpoint: its instruction is next */
	TT_WATCH,         /* a watchpoint (stop.watch); forward: after the access,
			   * in reverse: before it */
	TT_INTERRUPTED,   /* the client asked (Ctrl-C) */
	TT_ARRIVED,       /* at the position a goto named */
	TT_BEGIN,         /* reverse execution reached the start of the recording */
	TT_END,           /* forward execution reached the end of the replay */
};

struct tt_stop {
	enum tt_why why;
	struct watch watch;
};

enum tt_verb {
	TT_CONTINUE, TT_STEP, TT_REVERSE_CONTINUE, TT_REVERSE_STEP, TT_GOTO, TT_QUIT,
	TT_LIVE,          /* leave the recording: go on live from here */
	TT_SNAPSHOT,      /* keep an in-memory checkpoint here (tt->last_snapshot) */
	TT_RETURN_TO_HIT, /* internal: a forward run went past its hit */
};

struct tt_order {
	enum tt_verb verb;
	u64 pos; /* TT_GOTO */
};

struct tt;

/* The front end: serve one stop (answer the client until it resumes)
 * and fill in the order; poll (optional) runs every few milliseconds
 * of a forward run and returns true when the client wants it stopped. */
struct tt_client {
	void (*serve)(void *opaque, struct tt *tt, const struct tt_stop *stop,
		      struct tt_order *next);
	bool (*interrupt)(void *opaque);
	/* In-memory checkpoints hand the client over to another process:
	 * its state (at most TT_CLIENT_STATE_MAX bytes) and its connection. */
	size_t (*save)(void *opaque, u8 *buf, size_t max);
	void (*load)(void *opaque, const u8 *buf, size_t len, int fd);
	int (*connection)(void *opaque);
	void *opaque;
};

#define TT_CLIENT_STATE_MAX (64 * 1024)
/* In-memory checkpoints left on the way: a restore that replays more
 * than TT_SNAPSHOT_AFTER instructions leaves one TT_SNAPSHOT_BACK
 * before its target, so that steps back from there are short. */
#define TT_SNAPSHOT_AFTER 4000000ull
#define TT_SNAPSHOT_BACK 1000000ull

struct tt {
	const struct recording *rec;
	const u8 *console;
	size_t console_len;
	bool echo_console;        /* print the guest's console as first reached */
	u64 console_printed;
	struct stretch st;
	bool finished;            /* its replay ran to the end (or diverged) */
	u64 base;                 /* position = base + machine__insns */
	u32 nckpts;
	u64 *ckpt_pos;            /* each checkpoint's position, or TT_UNKNOWN */
	u64 start_pos;            /* checkpoint 0's */
	struct points points;
	struct encore_hooks hooks;
	void **break_blocks;      /* handles given to decoded blocks */
	size_t nbreak_blocks;
	/* the run under way */
	bool scanning;            /* looking for the last hit before scan_end */
	u64 scan_end;
	bool has_hit;
	u64 hit_pos;
	struct tt_stop hit;
	u64 resume_pos;           /* a forward run began here: no break at it */
	enum tt_why arrive_why;   /* what reaching the pause position means */
	bool has_then;            /* on arrival, carry out `then` (no stop) */
	enum tt_verb then;
	bool order_pending;       /* serve asked for what needs a restore */
	struct tt_order order;
	bool quit;
	char divergence[1200];    /* the replay left its recording: why */
	bool live;                /* TT_LIVE was ordered: the run goes on live */
	/* in-memory checkpoints */
	u64 snap_at;              /* leave one here on the way (TT_UNKNOWN: no) */
	u64 go_target;            /* where the run is going */
	enum tt_why arrive_why_after;
	int last_snapshot;        /* the slot TT_SNAPSHOT took, or SNAPSHOT_NONE */
	int live_status;          /* how the live run ended (encore run's status) */
	struct tt_client client;
};

/* Open `rec` (its checkpoints read, console given) for time travel;
 * prints a message and returns -1 if it cannot be. */
int tt__open(struct tt *tt, const struct recording *rec, const u8 *console,
	     size_t console_len, const struct tt_client *client);
/* Stop at the recording's start and serve the client until it quits. */
void tt__run(struct tt *tt);
void tt__close(struct tt *tt);

/* The bytes of state a handover takes (snapshots__start). */
size_t tt__handoff_max(const struct tt *tt);
/* At a stop: the machine and where it is. */
struct encore_machine *tt__machine(struct tt *tt);
u64 tt__pos(struct tt *tt);
/* The latest checkpoint at or before `pos` whose position is known. */
u32 tt__checkpoint_before(const struct tt *tt, u64 pos);
/* The position the replay ends at, once known (else TT_UNKNOWN). */
u64 tt__end_pos(const struct tt *tt);

#endif
