/* encore: command dispatch.  Each subcommand lives in src/cli/. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/memtrace.h"
#include "encore/plugin.h"
#include "encore/rr_log.h"
#include "encore/rr_meta.h"
#include "plugins/memtrace_format.h"
#include "rr/disk_journal.h"
#include "snap/snap_wire.h"


struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run a guest" },
	{ "record", cmd_record, "run a guest and record it" },
	{ "replay", cmd_replay, "re-run a recording exactly, verifying it" },
	{ "inspect", cmd_inspect, "summarise a recording" },
	{ "simulate", cmd_simulate, "replay every interval in parallel with analysis plugins" },
	{ "memtrace", cmd_memtrace, "print a memory trace written by the memtrace plugin" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: encore <command> [options]\n\n"
		   "encore records and replays whole x86-64 and AArch64 machines.\n\ncommands:\n");
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		fprintf(f, "  %-10s %s\n", commands[k].name, commands[k].summary);
	fprintf(f, "\n'encore <command> --help' describes a command; 'encore --version' prints\n"
		   "the version and the file formats this encore reads and writes.\n");
}

/* The version, and every format a recording or a plugin must match: what
 * a user needs to know before moving recordings between encores. */
static void version(void)
{
	printf("encore %s\n", ENCORE_VERSION);
	printf("recordings: metadata %u, event log %u, checkpoints %u, disk journal %u "
	       "(read and written)\n", RR_META_VERSION, RR_LOG_VERSION, SNAP_VERSION,
	       DISK_JOURNAL_VERSION);
	printf("plugin API %u (plugins built for API 2 and later load)\n",
	       ENCORE_PLUGIN_API_VERSION);
	printf("memtrace files: format %u written, %u to %u read\n", MEMTRACE_VERSION,
	       MEMTRACE_OLDEST_VERSION, MEMTRACE_VERSION);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		version();
		return 0;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (!strcmp(cmd, commands[k].name))
			return commands[k].fn(argc - 1, argv + 1);
	fprintf(stderr, "encore: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
