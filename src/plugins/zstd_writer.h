/*
 * A zstd stream written to a FILE by a thread of its own, so that a plugin
 * producing a large output (memtrace) compresses on another core while
 * its vCPU runs on.
 *
 * The producer fills one buffer while the thread compresses the other.
 * The compressed bytes depend only on the bytes submitted and where each
 * frame ends (buffers are always handed over full, at the same points),
 * never on the timing of the two threads.
 */
#ifndef ENCORE_PLUGINS_ZSTD_WRITER_H
#define ENCORE_PLUGINS_ZSTD_WRITER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "encore/types.h"

struct zstd_writer;

/* A writer of frames at the given zstd level (with content checksums) to
 * out, through buffers of buf_size bytes; NULL (and err) on failure. */
struct zstd_writer *zstd_writer__create(FILE *out, int level, size_t buf_size, char *err,
					size_t errlen);

/* Starts the compressing thread, for one or more frames.  Where no thread
 * can be made, submitting compresses on the caller's thread instead: the
 * same bytes, later. */
void zstd_writer__start(struct zstd_writer *w);

/* The buffer to fill now (buf_size bytes). */
u8 *zstd_writer__buffer(const struct zstd_writer *w);

/* Hands over the first len bytes of the buffer, ending the frame if
 * end_frame; returns the buffer to fill next. */
u8 *zstd_writer__submit(struct zstd_writer *w, size_t len, bool end_frame);

/* Waits until everything submitted is compressed and written, stops the
 * thread and flushes out; 0, or -1 and err naming the first failure. */
int zstd_writer__finish(struct zstd_writer *w, char *err, size_t errlen);

/* Stops the thread if it still runs, discarding what was not written. */
void zstd_writer__destroy(struct zstd_writer *w);

#endif
