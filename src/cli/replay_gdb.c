/*
 * encore replay REC --gdb [HOST:]PORT: the recording under gdb, with
 * reverse execution (src/debug/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "debug/gdb_server.h"
#include "debug/snapshots.h"
#include "encore/loader.h"
#include "rr/rec_dir.h"

/* The recording's kernel is an ELF file gdb can read symbols from. */
static bool kernel_is_elf(const struct recording *rec, char *path, size_t n)
{
	if (!rec->meta.kernel[0])
		return false;
	snprintf(path, n, "%s/%s", rec->dir, rec->meta.kernel);
	FILE *f = fopen(path, "rb");
	u8 head[64];
	size_t got = f ? fread(head, 1, sizeof(head), f) : 0;
	if (f)
		fclose(f);
	return elf__is_elf(head, got);
}

static void how_to_attach(const struct recording *rec, const struct gdb_server *srv)
{
	char kernel[REC_PATH_MAX + 80];
	fprintf(stderr, "encore replay: gdb server on %s; the replay waits at the recording's "
		"start.  Attach with\n", srv->where);
	if (kernel_is_elf(rec, kernel, sizeof(kernel))) {
		fprintf(stderr, "  gdb %s -ex 'target remote %s'\n", kernel, srv->where);
		fprintf(stderr, "(the guest's kernel is an ELF file: gdb takes its symbols from "
			"there)\n");
		return;
	}
	fprintf(stderr, "  gdb -ex 'target remote %s'\n", srv->where);
	if (!strcmp(rec->meta.guest, "linux"))
		fprintf(stderr, "and give gdb the kernel's symbols with 'file VMLINUX' (the "
			"uncompressed kernel of the same build)%s\n",
			strstr(rec->meta.has_append ? rec->meta.append : "", "nokaslr") ? "" :
			"; a bzImage relocates itself at random unless its command line has "
			"'nokaslr'");
}

int replay_gdb(const char *spec, const struct recording *rec, bool damaged)
{
	char err[1024];
	size_t console_len;
	if (!rec->log.count) {
		fprintf(stderr, "encore replay: %s was cut short before its first event: nothing "
			"to debug\n", rec->dir);
		return 3;
	}
	u8 *console = rec_dir__read(rec->dir, REC_CONSOLE_FILE, &console_len, err, sizeof(err));
	if (!console) {
		fprintf(stderr, "encore replay: %s\n", err);
		return 2;
	}
	static struct gdb_server srv;
	static struct tt tt;
	int status = 2;
	if (gdb_server__listen(&srv, spec, err, sizeof(err))) {
		fprintf(stderr, "encore replay: %s\n", err);
	} else {
		struct tt_client client = gdb_server__client(&srv);
		if (!tt__open(&tt, rec, console, console_len, &client)) {
			tt.echo_console = true;
			how_to_attach(rec, &srv);
			/* This process supervises; a child serves gdb, and in-memory
			 * checkpoints are copies of it (snapshots.h). */
			bool supervisor;
			int supervised = snapshots__start(tt__handoff_max(&tt), &supervisor);
			if (supervisor) {
				status = supervised;
			} else {
				tt__run(&tt);
				status = tt.divergence[0] ? 1 : tt.live ? tt.live_status : damaged ? 2 : 0;
				snapshots__finish(status);
			}
			tt__close(&tt);
		}
	}
	gdb_server__close(&srv);
	free(console);
	return status;
}
