/*
 * A recording's metadata (REC/meta): a versioned text file of "key value"
 * lines that says what machine was recorded and, once the recorder has
 * finished, how the run ended.  Written atomically (temporary file and
 * rename), first with state "recording", and rewritten "complete" at the
 * end, so a recording that was cut short says so.
 */
#ifndef ENCORE_RR_META_H
#define ENCORE_RR_META_H

#include <stddef.h>
#include <stdio.h>

#include "encore/types.h"

#define RR_META_FILE "meta"
#define RR_META_VERSION 4u /* 2: checkpoints and page store; 3: vCPUs, versioned state parts;
			   * 4: a checksum line, checksums in checkpoints */
#define RR_META_TEXT_MAX (64u << 10)
#define RR_META_ARCH_X86_64 "x86_64"

struct rr_meta {
	unsigned version;
	u64 id;                 /* ties events.log to this recording */
	bool complete;          /* false: the recorder never finished */
	char encore[32];        /* the encore version that recorded it */
	char engine[16];        /* "interp" */
	char arch[16];          /* the guest's architecture, "x86_64"; "" in a
				 * recording made before the key existed (x86_64) */
	char started[32];       /* host UTC time at the start, for people */
	char guest[16];         /* "linux", "bare-metal" or "demo" */
	char kernel[64];        /* guest files, copied into the recording */
	char kernel_hash[33];   /* XXH3-128, hex */
	char initrd[64];
	char initrd_hash[33];
	bool has_append;
	char append[4096];
	u64 mem;
	u64 smp;                /* vCPUs */
	u64 quantum;            /* their turns' length (MACHINE_QUANTUM_INSNS) */
	u64 input_slice;        /* the run loop's poll interval (instructions) */
	u64 interval;           /* instructions between checkpoints (0: see interval_ns) */
	u64 interval_ns;        /* virtual ns between checkpoints (0: see interval);
				 * both 0: only the first and the final checkpoint */
	bool realtime;
	char disks[160];        /* "SIZE:rw|ro ..." per disk, vda first (optional) */
	char net[8];            /* "user": a network card, its frames in the log (optional) */
	char branch_of[48];     /* "ID@PROGRESS": recorded from a replay of recording ID
				 * that went live there; it starts at its checkpoint 0,
				 * not by booting its guest files (optional) */
	/* Present once complete: */
	u64 insns, virtual_ns, wall_ns;
	char outcome[24];
	int exit_status;
	u64 state_hash, console_bytes, log_bytes, events, checkpoints;
	char vcpu_insns[1024];  /* instructions retired by each vCPU, space-separated
				 * (interpreter recordings; optional) */
};

#define RR_META_MAX_DISKS 6
/* How many disks m->disks lists (0 if none; -1 if it is malformed), and
 * disk n's size in bytes and whether it is read-only. */
int rr_meta__ndisks(const struct rr_meta *m);
bool rr_meta__disk(const struct rr_meta *m, unsigned n, u64 *size, bool *readonly);

/* m->branch_of's parent id and progress; false if absent or malformed. */
bool rr_meta__branch(const struct rr_meta *m, u64 *parent, u64 *progress);

/* The n-th number of m->vcpu_insns; false if there is none. */
bool rr_meta__vcpu_insns(const struct rr_meta *m, unsigned n, u64 *out);

/* "checksum XXXXXXXXXXXXXXXX\n": the last line, the XXH3-64 of every
 * byte before it.  Returns its length. */
#define RR_META_CHECKSUM_LINE 27
size_t rr_meta__checksum_line(const char *body, size_t len, char line[RR_META_CHECKSUM_LINE]);
/* Parse and validate; -1 with a message naming the line on bad input. */
int rr_meta__parse(const char *text, size_t len, struct rr_meta *m, char *err, size_t errlen);
void rr_meta__format(const struct rr_meta *m, FILE *f);
/* dir/meta, atomically replaced. */
int rr_meta__write(const char *dir, const struct rr_meta *m, char *err, size_t errlen);
int rr_meta__read(const char *dir, struct rr_meta *m, char *err, size_t errlen);

/* A recording made on KVM names places by exits, one made on the
 * interpreter by instructions (docs/kvm.md). */
bool rr_meta__by_exits(const struct rr_meta *m);
/* -1 with a message when this encore has no engine that replays what
 * m->engine recorded. */
/* The architecture a recording names (its arch key, or x86_64 if none). */
const char *rr_meta__arch(const struct rr_meta *m);
int rr_meta__check_engine(const struct rr_meta *m, char *err, size_t errlen);

#endif
