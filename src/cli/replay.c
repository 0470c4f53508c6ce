/*
 * encore replay: re-run a recording with no input from the user and
 * verify it: the console output byte for byte, the machine at every
 * event and checkpoint, and the final state.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "launch.h"
#include "recording.h"
#include "rr/rec_dir.h"

#define EXIT_DIVERGED 1
#define EXIT_BAD_RECORDING 2
#define EXIT_CUT_SHORT 3

struct replay_opts {
	const char *dir;
	bool quiet, summary;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: encore replay REC [options]\n"
		"\n"
		"Re-run the recording REC exactly, with no input from the user, and\n"
		"verify it: the console output must be the recorded one byte for byte,\n"
		"and the machine must be where the recording says at every event (RIP\n"
		"and a fingerprint of CPU and devices), at every checkpoint (a hash of\n"
		"the whole machine, RAM included) and at the end.  The first mismatch\n"
		"stops the replay with a report.\n"
		"\n"
		"  -q, --quiet   do not print the guest's console output\n"
		"  --summary     print instructions, times and the final state hash\n"
		"  -h, --help    this help\n"
		"\n"
		"Exit status: 0 the whole recording replayed exactly; 1 the replay\n"
		"diverged (the report says where); 2 the recording is unreadable or\n"
		"corrupt; 3 the recording was cut short (its recorder was killed) and\n"
		"its complete prefix replayed exactly; 128+N stopped by signal N.\n");
}

static int parse(int argc, char **argv, struct replay_opts *o)
{
	enum { OPT_SUMMARY = 256 };
	static const struct option longopts[] = {
		{ "quiet", no_argument, 0, 'q' },
		{ "summary", no_argument, 0, OPT_SUMMARY },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	memset(o, 0, sizeof(*o));
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'q': o->quiet = true; break;
		case OPT_SUMMARY: o->summary = true; break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "encore replay: give one recording directory\n");
		usage(stderr);
		return 2;
	}
	o->dir = argv[optind];
	return 0;
}

static int check_guest_files(const struct recording *rec)
{
	char err[1024];
	const struct rr_meta *m = &rec->meta;
	if ((m->kernel[0] && rec_dir__check_file(rec->dir, m->kernel, m->kernel_hash, err,
						 sizeof(err))) ||
	    (m->initrd[0] && rec_dir__check_file(rec->dir, m->initrd, m->initrd_hash, err,
						 sizeof(err)))) {
		fprintf(stderr, "encore replay: %s\n", err);
		return -1;
	}
	if (strcmp(m->engine, "interp")) {
		fprintf(stderr, "encore replay: recorded on the '%s' engine; this encore replays "
			"recordings of the interpreter ('interp')\n", m->engine);
		return -1;
	}
	return 0;
}

/* The guest options that rebuild the recorded machine. */
static void guest_options(const struct recording *rec, struct guest_opts *g, char *kernel,
			  char *initrd)
{
	const struct rr_meta *m = &rec->meta;
	memset(g, 0, sizeof(*g));
	g->demo = !strcmp(m->guest, "demo");
	g->mem = m->mem;
	g->append = m->has_append ? m->append : NULL;
	g->rtc_epoch = rec->log.events[0].boot_time;
	if (m->kernel[0]) {
		snprintf(kernel, REC_PATH_MAX + 64, "%s/%s", rec->dir, m->kernel);
		g->kernel = kernel;
	}
	if (m->initrd[0]) {
		snprintf(initrd, REC_PATH_MAX + 64, "%s/%s", rec->dir, m->initrd);
		g->initrd = initrd;
	}
}

/* Where the replay must stop at the latest. */
static u64 instruction_bound(const struct recording *rec)
{
	const struct rr_event *end = recording__end(rec);
	if (!end)
		return rec->log.through.insns + 1;
	return end->end.outcome == RUN_LIMIT ? end->at.insns : end->at.insns + 1;
}

static int report(const struct recording *rec, const struct launch *l)
{
	const struct rr_session *s = &l->session;
	const struct run_result *r = &l->result;
	double vt = (r->insns + l->guest.machine->idle_ns) / 1e9;
	if (s->div.found) {
		fprintf(stderr, "\nencore replay: %s diverged from its recording\n  %s\n  last match: "
			"%s\n", rec->dir, s->div.what, s->div.matched_any ? s->div.last_match :
			"none (the machine differed from the start)");
		return EXIT_DIVERGED;
	}
	if (s->interrupted) {
		fprintf(stderr, "\nencore replay: stopped by signal %d after %llu instructions; "
			"everything up to there matched\n", s->interrupted - 128,
			(unsigned long long)r->insns);
		return s->interrupted;
	}
	if (!rec->log.ended) {
		char why[256];
		recording__describe_cut(rec, why, sizeof(why));
		fprintf(stderr, "\nencore replay: %s was cut short (%s); its complete prefix "
			"replayed exactly: %llu instructions (%.3f s of virtual time), %zu events, %u "
			"checkpoints verified, %llu bytes of console output matched\n", rec->dir, why,
			(unsigned long long)r->insns, vt, s->next_event, s->checkpoints,
			(unsigned long long)s->console_bytes);
		return EXIT_CUT_SHORT;
	}
	fprintf(stderr, "\nencore replay: %s replayed exactly: %llu instructions (%.3f s of virtual "
		"time) in %.3f s, %zu events and %u checkpoints verified, %llu bytes of console "
		"output matched, final state hash %016llx\n", rec->dir,
		(unsigned long long)r->insns, vt, l->wall_seconds, s->next_event, s->checkpoints,
		(unsigned long long)s->console_bytes,
		(unsigned long long)recording__end(rec)->end.state_hash);
	return 0;
}

static int replay(const struct replay_opts *o, struct recording *rec)
{
	char err[1024], kernel[REC_PATH_MAX + 64], initrd[REC_PATH_MAX + 64];
	size_t console_len;
	if (check_guest_files(rec))
		return EXIT_BAD_RECORDING;
	if (!rec->log.count) {
		char why[256];
		recording__describe_cut(rec, why, sizeof(why));
		fprintf(stderr, "encore replay: %s was cut short before its first event (%s): "
			"nothing to replay\n", rec->dir, why);
		return EXIT_CUT_SHORT;
	}
	u8 *console = rec_dir__read(rec->dir, REC_CONSOLE_FILE, &console_len, err, sizeof(err));
	if (!console) {
		fprintf(stderr, "encore replay: %s\n", err);
		return EXIT_BAD_RECORDING;
	}
	const struct rr_event *end = recording__end(rec);
	if (end && end->end.console_bytes != console_len) {
		fprintf(stderr, "encore replay: %s/%s holds %zu bytes, but the recorded guest printed "
			"%llu: the recording is corrupt\n", rec->dir, REC_CONSOLE_FILE, console_len,
			(unsigned long long)end->end.console_bytes);
		free(console);
		return EXIT_BAD_RECORDING;
	}
	struct guest_opts g;
	guest_options(rec, &g, kernel, initrd);
	static struct launch l;
	int status = EXIT_BAD_RECORDING;
	if (!launch__create(&l, &g, false, false, rec->meta.input_slice)) {
		if (o->quiet)
			l.console.out = NULL;
		rr_session__replay(&l.session, &rec->log, console, console_len);
		launch__run(&l, instruction_bound(rec));
		rr_session__end_replay(&l.session, &l.result, launch__status(&l, false));
		status = report(rec, &l);
		if (o->summary)
			launch__summary(&l);
	}
	launch__destroy(&l);
	free(console);
	return status;
}

int cmd_replay(int argc, char **argv)
{
	struct replay_opts o;
	int pr = parse(argc, argv, &o);
	if (pr)
		return pr == 1 ? 0 : pr;
	struct recording rec;
	if (recording__open(&rec, o.dir, "replay"))
		return EXIT_BAD_RECORDING;
	int status = replay(&o, &rec);
	recording__close(&rec);
	return status;
}
