/*
 * The messages of `encore simulate --mpi` between rank 0 (which plans,
 * schedules, serves the recording and merges) and the worker ranks.
 * Every rank runs the same encore build: the hello checks it.
 */
#ifndef ENCORE_SIM_MPI_WIRE_H
#define ENCORE_SIM_MPI_WIRE_H

#include "scheduler.h"

enum mpi_tag {
	MPI_TAG_SETUP = 1,     /* 0 -> w: struct mpi_setup */
	MPI_TAG_HELLO,         /* w -> 0: struct mpi_hello */
	MPI_TAG_JOB,           /* 0 -> w: u32 job; SIM_NO_JOB: stop */
	MPI_TAG_REPORT,        /* w -> 0: struct sim_report */
	MPI_TAG_LOST,          /* w -> 0: struct mpi_lost: its job's process died */
	MPI_TAG_BEAT,          /* w -> 0: one byte, "still here" */
	MPI_TAG_READ,          /* w -> 0: struct mpi_read */
	MPI_TAG_DATA,          /* 0 -> w: i64 result (bytes, or -errno), then the bytes */
	MPI_TAG_OUTPUT,        /* w -> 0: struct mpi_output, then the bytes */
};

#define MPI_BUILD_MAX 48
#define MPI_NAME_MAX 64
#define MPI_PATH_MAX 256
#define MPI_CHUNK_MAX (1u << 20)   /* bytes of one READ or OUTPUT message */

struct mpi_setup {
	u8 ok;                  /* 0: rank 0 could not prepare; workers leave */
	u8 force_ship;          /* --mpi-ship: workers read nothing from shared disks */
	u8 force_shared;        /* --mpi-shared: a worker that cannot is refused */
	u8 pad[5];
	u64 rec_id;             /* the recording's id, to tell a shared directory */
	char out_token[32];     /* OUT/.encore-mpi-TOKEN exists where OUT is shared */
	char build[MPI_BUILD_MAX];
};

struct mpi_hello {
	char build[MPI_BUILD_MAX];
	char host[MPI_NAME_MAX];
	u8 reads_rec;           /* reads the recording's directory itself */
	u8 writes_out;          /* writes the outputs into OUT itself */
	u8 ok;                  /* prepared; else `why` says what failed */
	u8 pad[5];
	char why[256];
};

struct mpi_lost {
	u32 job;
	char why[252];
};

/* Bytes [offset, offset+len) of file `name` of the recording. */
struct mpi_read {
	char name[MPI_NAME_MAX];
	u64 offset;
	u32 len;
	u32 pad;
};

/* A chunk of a plugin output file, `path` relative to OUT; offset 0
 * creates (truncates) it. */
struct mpi_output {
	char path[MPI_PATH_MAX];
	u64 offset;
	u32 len;
	u32 pad;
};

/* A READ message of n bytes from a worker: 0 with it in *out if it names
 * a recording file and asks at most MPI_CHUNK_MAX bytes; -1 otherwise. */
int mpi_wire__take_read(const void *msg, size_t n, struct mpi_read *out);
/* An OUTPUT message of n bytes: 0 with its header in *out and its bytes
 * at *data if its path is an output path and its length matches; -1. */
int mpi_wire__take_output(const void *msg, size_t n, struct mpi_output *out, const u8 **data);

/* The build string every rank must share: version and report layout. */
void mpi_wire__build(char *buf, size_t n, const char *version);
/* Is `name` a file of the recording a worker may read?  Plain names
 * only: no directory parts, nothing outside the recording. */
bool mpi_wire__readable_name(const char *name, size_t n);
/* Is `path` (a relative path of a plugin output under OUT/intervals/) one
 * rank 0 may write?  No "..", no absolute path, no empty part. */
bool mpi_wire__output_path(const char *path, size_t n);

#endif
