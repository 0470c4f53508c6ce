/* encore: command dispatch.  Each subcommand lives in src/cli/. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/memtrace.h"


struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run a guest on the interpreter" },
	{ "record", cmd_record, "run a guest and record it" },
	{ "replay", cmd_replay, "re-run a recording exactly, verifying it" },
	{ "inspect", cmd_inspect, "summarise a recording" },
	{ "simulate", cmd_simulate, "replay every interval in parallel with analysis plugins" },
	{ "memtrace", cmd_memtrace, "print a memory trace written by the memtrace plugin" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: encore <command> [options]\n\n"
		   "encore records and replays whole x86-64 machines.\n\ncommands:\n");
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		fprintf(f, "  %-10s %s\n", commands[k].name, commands[k].summary);
	fprintf(f, "\n'encore <command> --help' describes a command.\n");
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
		printf("encore %s\n", ENCORE_VERSION);
		return 0;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (!strcmp(cmd, commands[k].name))
			return commands[k].fn(argc - 1, argv + 1);
	fprintf(stderr, "encore: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
