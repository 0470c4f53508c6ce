/*
 * Opening a recording for replay or inspection: its metadata and its
 * event log, read and checked against each other.
 */
#ifndef ENCORE_CLI_RECORDING_H
#define ENCORE_CLI_RECORDING_H

#include "encore/rr_log.h"
#include "encore/rr_meta.h"

struct recording {
	const char *dir;
	struct rr_meta meta;
	struct rr_log log;
};

/* Prints "encore CMD: ..." and returns -1 if it is unreadable, corrupt,
 * or its parts do not belong together. */
int recording__open(struct recording *rec, const char *dir, const char *cmd);
void recording__close(struct recording *rec);
/* The END event, or NULL for a recording cut short. */
const struct rr_event *recording__end(const struct recording *rec);
/* Why a recording is incomplete, in a few words. */
void recording__describe_cut(const struct recording *rec, char *buf, size_t n);

struct snap_reader;
/* The checkpoints (opened) must be of the machine the metadata describes
 * (its vCPUs); prints "encore CMD: ..." and returns -1 if not. */
int recording__check_checkpoints(const struct recording *rec, const struct snap_reader *r,
				 const char *cmd);

#endif
