/* Subcommands of the encore program: one file each in src/cli/. */
#ifndef ENCORE_CLI_H
#define ENCORE_CLI_H

#include "encore/types.h"

#define ENCORE_VERSION "0.1.0"

int cmd_run(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_simulate(int argc, char **argv);

struct recording;
/* encore replay --gdb (replay_gdb.c): serve `rec` to gdb on `spec`. */
int replay_gdb(const char *spec, const struct recording *rec, bool damaged);
/* encore replay --live-at (replay_live.c): replay `rec` to `point`, then
 * run on live, recording from there into `output` unless it is NULL;
 * images[k] is disk k's original image (fewer than the disks: none). */
struct live_opts {
	const char *point, *output;
	const char *const *images;
	unsigned nimages;
	bool realtime;
};
int replay_live(const struct live_opts *o, const struct recording *rec);

/* Parse "512M", "2G", "65536" into bytes; returns false on bad input. */
bool cli_parse_size(const char *s, u64 *out);
/* Parse a non-negative integer with an optional k/M/G decimal suffix. */
bool cli_parse_count(const char *s, u64 *out);
/* A span of virtual time: a number with ns, us, ms or s ("200ms"). */
bool cli_parse_duration_ns(const char *s, u64 *out);

#endif
