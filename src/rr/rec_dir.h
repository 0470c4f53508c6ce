/*
 * The recording directory: created under a hidden temporary name and
 * renamed into place once it holds the metadata and the log header, so a
 * recorder killed at any moment leaves either no recording or one whose
 * prefix replays.  The guest files are copied in, with their hashes in
 * the metadata, so a recording replays later and elsewhere.
 */
#ifndef ENCORE_RR_REC_DIR_H
#define ENCORE_RR_REC_DIR_H

#include <stddef.h>

#include "encore/types.h"

#define REC_CONSOLE_FILE "console.out"
#define REC_PATH_MAX 4096

/* `rec` must not exist (or be an empty directory); creates a hidden
 * staging directory beside it, its path in `staging`. */
int rec_dir__stage(const char *rec, char *staging, char *err, size_t errlen);
/* Copy `src` to dir/name; its XXH3-128 as 32 hex digits in hash. */
int rec_dir__add_file(const char *dir, const char *name, const char *src, char hash[33],
		      char *err, size_t errlen);
/* Does dir/name still have this hash? */
int rec_dir__check_file(const char *dir, const char *name, const char *hash, char *err,
			size_t errlen);
/* Remove a staging directory that was never published. */
void rec_dir__discard(const char *staging);
/* Rename the staging directory to `rec`. */
int rec_dir__publish(const char *staging, const char *rec, char *err, size_t errlen);
/* The recorder holds an flock on the directory while it records, so that
 * a reader following the recording (simulate --follow) can tell a
 * recording still being written from one whose recorder was killed.
 * Returns the descriptor holding it (close it when done), or -1 with a
 * message. */
int rec_dir__lock(const char *dir, char *err, size_t errlen);
/* Is a recorder writing dir right now? */
bool rec_dir__being_recorded(const char *dir);
/* All of dir/name (it may be empty); NULL with a message on error. */
u8 *rec_dir__read(const char *dir, const char *name, size_t *size, char *err, size_t errlen);

#endif
