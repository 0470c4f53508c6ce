/*
 * What encore record keeps while it records (record.c), shared with a
 * replay that goes live and records from there (replay_live.c).
 */
#ifndef ENCORE_CLI_RECORDER_H
#define ENCORE_CLI_RECORDER_H

#include "launch.h"
#include "run_opts.h"
#include "encore/rr_meta.h"
#include "rr/rec_dir.h"
#include "snap/snap_writer.h"

struct recorder {
	struct run_opts opts;          /* output, interval, realtime */
	struct rr_meta meta;
	char staging[REC_PATH_MAX];
	struct guest_opts guest;       /* pointing at the copied files */
	char kernel[REC_PATH_MAX + 64], initrd[REC_PATH_MAX + 64];
	struct rr_log_writer *log;
	struct snap_writer *snap;
	struct snap_writer_stats snap_stats;
	struct disk_recorder *disks;   /* with --disk */
	FILE *console;
	int lock_fd;                   /* rec_dir__lock's, while recording; 0: none */
	struct launch own_launch;      /* encore record's */
	struct launch *l;              /* the run recorded */
};

/* A new recording's id, the encore that makes it, and when it starts. */
void recorder__stamp(struct rr_meta *m);
/* The console output file, the log and the checkpoint store, in the
 * staging directory (meta and guest files there already); -1 after a
 * message. */
int recorder__open_outputs(struct recorder *rc);
/* Start recording the run (its session logs from here, boot time
 * `boot_time`), write meta and publish the directory. */
int recorder__start(struct recorder *rc, i64 boot_time);
/* The run has ended with `status`: log the end, close everything, mark
 * the recording complete; -1 after a message if it was cut short. */
int recorder__finish(struct recorder *rc, int status);
/* "encore: recorded N instructions ... into REC" on stderr. */
void recorder__say(const struct recorder *rc);
/* Recording could not start: close what was opened, remove the staging
 * directory. */
void recorder__discard(struct recorder *rc);

#endif
