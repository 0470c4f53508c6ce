/*
 * encore replay: re-run a recording with no input from the user and
 * verify it: the console output byte for byte, the machine at every
 * event and checkpoint, and the final state.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "integrity.h"
#include "rr/rec_dir.h"
#include "stretch.h"

#define REPLAY_MAX_IMAGES 6
#define EXIT_DIVERGED 1
#define EXIT_BAD_RECORDING 2
#define EXIT_CUT_SHORT 3

struct replay_opts {
	const char *dir;
	bool quiet, summary, stats, full_restore, kvm;
	bool has_from, has_to;
	u32 from, to;
	bool damaged;        /* the recording is, outside what this run needs */
	const char *gdb;     /* --gdb [HOST:]PORT */
	const char *live_at; /* --live-at POINT */
	const char *output;  /* -o NEWREC */
	const char *images[REPLAY_MAX_IMAGES]; /* --disk FILE, vda first */
	unsigned nimages;
	bool realtime;
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
		"  --from K      start at checkpoint K (encore inspect lists them),\n"
		"                restored sparsely: each page is read from the page\n"
		"                store the first time the guest touches it\n"
		"  --to L        stop once checkpoint L has been reached and verified\n"
		"  --full-restore  with --from: load every page before starting\n"
		"  --engine NAME the CPU engine: interp (the default; replays recordings\n"
		"                of either engine) or kvm (recordings made on KVM)\n"
		"  --stats       report pages loaded vs pages in the guest, restore\n"
		"                time and peak memory\n"
		"  -q, --quiet   do not print the guest's console output\n"
		"  --summary     print instructions, times and the final state hash\n"
		"  --gdb [HOST:]PORT  serve the replay to gdb ('target remote'), with\n"
		"                reverse execution; HOST defaults to 127.0.0.1, PORT 0\n"
		"                picks a free one (docs/debugging.md)\n"
		"  --live-at POINT  replay to POINT (a checkpoint number, or insn:N for\n"
		"                instruction N), then go on live from there: the console\n"
		"                is yours, a network card gets a user network, disks go on\n"
		"                in memory; the recording is not changed\n"
		"  -o, --output NEWREC  with --live-at: record from the live point on into\n"
		"                NEWREC, a recording of its own that starts there (its\n"
		"                checkpoint 0 holds the machine) and names REC as where it\n"
		"                branched (recordings made on the interpreter)\n"
		"  --realtime    with --live-at: live time keeps pace with the host clock\n"
		"  --disk FILE   with --live-at: the original image of the next disk (vda\n"
		"                first), for the blocks the recording never saw; without\n"
		"                it, a live guest that reads one of those ends the run\n"
		"  -h, --help    this help\n"
		"\n"
		"Exit status: 0 the whole recording replayed exactly; 1 the replay\n"
		"diverged (the report says where); 2 the recording is unreadable,\n"
		"corrupt, or damaged anywhere (even where this run did not need\n"
		"it); 3 the recording was cut short (its recorder was killed) and\n"
		"its complete prefix replayed exactly; 128+N stopped by signal N.\n");
}

static int parse(int argc, char **argv, struct replay_opts *o)
{
	enum { OPT_SUMMARY = 256, OPT_FROM, OPT_TO, OPT_STATS, OPT_FULL, OPT_ENGINE, OPT_GDB,
	       OPT_LIVE_AT, OPT_REALTIME, OPT_DISK };
	static const struct option longopts[] = {
		{ "from", required_argument, 0, OPT_FROM },
		{ "to", required_argument, 0, OPT_TO },
		{ "stats", no_argument, 0, OPT_STATS },
		{ "full-restore", no_argument, 0, OPT_FULL },
		{ "engine", required_argument, 0, OPT_ENGINE },
		{ "gdb", required_argument, 0, OPT_GDB },
		{ "live-at", required_argument, 0, OPT_LIVE_AT },
		{ "realtime", no_argument, 0, OPT_REALTIME },
		{ "output", required_argument, 0, 'o' },
		{ "disk", required_argument, 0, OPT_DISK },
		{ "quiet", no_argument, 0, 'q' },
		{ "summary", no_argument, 0, OPT_SUMMARY },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	memset(o, 0, sizeof(*o));
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "qho:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'q': o->quiet = true; break;
		case OPT_SUMMARY: o->summary = true; break;
		case OPT_STATS: o->stats = true; break;
		case OPT_FULL: o->full_restore = true; break;
		case OPT_GDB: o->gdb = optarg; break;
		case OPT_LIVE_AT: o->live_at = optarg; break;
		case OPT_REALTIME: o->realtime = true; break;
		case 'o': o->output = optarg; break;
		case OPT_DISK:
			if (o->nimages == REPLAY_MAX_IMAGES) {
				fprintf(stderr, "encore replay: at most %u --disk images\n",
					REPLAY_MAX_IMAGES);
				return 2;
			}
			o->images[o->nimages++] = optarg;
			break;
		case OPT_ENGINE:
			if (!guest_parse_engine(optarg, &o->kvm)) {
				fprintf(stderr, "encore replay: bad --engine '%s' (interp or kvm)\n",
					optarg);
				return 2;
			}
			break;
		case OPT_FROM:
		case OPT_TO: {
			u64 v;
			if (!cli_parse_count(optarg, &v) || v > 0xffffffffu) {
				fprintf(stderr, "encore replay: bad checkpoint number '%s'\n", optarg);
				return 2;
			}
			if (ch == OPT_FROM) {
				o->has_from = true;
				o->from = (u32)v;
			} else {
				o->has_to = true;
				o->to = (u32)v;
			}
			break;
		}
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
	if (o->has_from && o->has_to && o->to <= o->from) {
		fprintf(stderr, "encore replay: --to must name a later checkpoint than --from\n");
		return 2;
	}
	if (o->gdb && (o->has_from || o->has_to || o->kvm || o->stats || o->summary)) {
		fprintf(stderr, "encore replay: --gdb goes alone: gdb moves through the whole "
			"recording itself, on the interpreter\n");
		return 2;
	}
	if (o->live_at && (o->gdb || o->has_from || o->has_to || o->kvm || o->stats || o->summary ||
			   o->quiet)) {
		fprintf(stderr, "encore replay: --live-at goes alone (or with --realtime): it picks "
			"its own checkpoint to start from\n");
		return 2;
	}
	if (o->nimages && !o->live_at) {
		fprintf(stderr, "encore replay: --disk goes with --live-at (a replay needs no "
			"image: its disks come from the recording)\n");
		return 2;
	}
	if (o->output && !o->live_at) {
		fprintf(stderr, "encore replay: -o goes with --live-at (what is recorded is what "
			"happens live)\n");
		return 2;
	}
	if (o->realtime && !o->live_at) {
		fprintf(stderr, "encore replay: --realtime goes with --live-at (a replay keeps the "
			"recorded time)\n");
		return 2;
	}
	if (o->full_restore && !o->has_from) {
		fprintf(stderr, "encore replay: --full-restore goes with --from\n");
		return 2;
	}
	return 0;
}

static const char *stretch_name(const struct replay_opts *o, char *buf, size_t n)
{
	if (!o->has_from && !o->has_to)
		return "";
	char from[32] = "the start", to[32] = "the end";
	if (o->has_from)
		snprintf(from, sizeof(from), "checkpoint %u", o->from);
	if (o->has_to)
		snprintf(to, sizeof(to), "checkpoint %u", o->to);
	snprintf(buf, n, " from %s to %s", from, to);
	return buf;
}

static int report(const struct replay_opts *o, const struct recording *rec,
		  const struct launch *l)
{
	const struct rr_session *s = &l->session;
	double vt = machine__now(l->guest.machine) / 1e9;
	char part[96], done[64];
	launch__progress_text((struct launch *)l, done, sizeof(done));
	if (s->div.found) {
		fprintf(stderr, "\nencore replay: %s diverged from its recording\n  %s\n  last match: "
			"%s\n", rec->dir, s->div.what, s->div.matched_any ? s->div.last_match :
			"none (the machine differed from the start)");
		return EXIT_DIVERGED;
	}
	if (s->interrupted) {
		fprintf(stderr, "\nencore replay: stopped by signal %d after %s; everything up to "
			"there matched\n", s->interrupted - 128, done);
		return s->interrupted;
	}
	const char *how = o->damaged ? "replayed without diverging" : "replayed exactly";
	if (s->reached_stop) {
		fprintf(stderr, "\nencore replay: %s %s%s: %s (%.3f s of virtual "
			"time) in %.3f s, %zu events and %u checkpoints verified, console output "
			"matched through byte %llu\n", rec->dir, how,
			stretch_name(o, part, sizeof(part)), done, vt,
			l->wall_seconds, s->next_event - s->first_event, s->checkpoints,
			(unsigned long long)s->console_bytes);
		return 0;
	}
	if (!rec->log.ended) {
		char why[256];
		recording__describe_cut(rec, why, sizeof(why));
		fprintf(stderr, "\nencore replay: %s was cut short (%s); its complete prefix "
			"%s%s: %s (%.3f s of virtual time), %zu events, %u "
			"checkpoints verified, %llu bytes of console output matched\n", rec->dir, why,
			how, stretch_name(o, part, sizeof(part)), done, vt,
			s->next_event - s->first_event, s->checkpoints,
			(unsigned long long)s->console_bytes);
		return EXIT_CUT_SHORT;
	}
	fprintf(stderr, "\nencore replay: %s %s%s: %s (%.3f s of virtual time) in "
		"%.3f s, %zu events and %u checkpoints verified, %llu bytes of console output "
		"matched, final state hash %016llx\n", rec->dir, how,
		stretch_name(o, part, sizeof(part)), done, vt,
		l->wall_seconds, s->next_event - s->first_event, s->checkpoints,
		(unsigned long long)s->console_bytes,
		(unsigned long long)recording__end(rec)->end.state_hash);
	return 0;
}

static void print_stats(const struct replay_opts *o, const struct stretch *st,
			const struct launch *l)
{
	const struct encore_machine *m = l->guest.machine;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	u64 frames = m->pages.nframes;
	if (!o->has_from) {
		fprintf(stderr, "pages: all %llu guest pages built by the loader (no restore)\n"
			"peak-rss-mib: %.1f\n", (unsigned long long)frames, ru.ru_maxrss / 1024.0);
		return;
	}
	const struct snap_reader *r = &st->snap;
	u64 loaded = o->full_restore ? r->nonzero_frames : m->pages.fetched;
	fprintf(stderr, "restore: checkpoint %u, %s, %.3f ms\n"
		"pages-in-guest: %llu\npages-nonzero-at-checkpoint: %llu\n"
		"pages-loaded: %llu (%.1f%% of the guest)\npage-store-bytes-read: %llu\n"
		"peak-rss-mib: %.1f\n", o->from, o->full_restore ? "full" : "sparse",
		st->restore_seconds * 1e3, (unsigned long long)frames,
		(unsigned long long)r->nonzero_frames, (unsigned long long)loaded,
		frames ? 100.0 * loaded / frames : 0.0, (unsigned long long)r->bytes_read,
		ru.ru_maxrss / 1024.0);
}

static int run_replay(const struct replay_opts *o, const struct recording *rec,
		      struct stretch *st, const u8 *console, size_t console_len)
{
	if (stretch__start(st, rec, console, console_len))
		return EXIT_BAD_RECORDING;
	stretch__run(st, rec);
	int status = report(o, rec, &st->launch);
	if (o->stats)
		print_stats(o, st, &st->launch);
	if (o->summary)
		launch__summary(&st->launch);
	return status;
}

static int replay(const struct replay_opts *o, struct recording *rec)
{
	char err[1024];
	size_t console_len;
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
	int status = EXIT_BAD_RECORDING;
	static struct stretch st;
	struct stretch_spec spec = { .has_from = o->has_from, .has_to = o->has_to, .from = o->from,
				     .to = o->to, .full_restore = o->full_restore,
				     .quiet = o->quiet, .kvm = o->kvm, .cmd = "replay" };
	if (end && end->end.console_bytes != console_len)
		fprintf(stderr, "encore replay: %s/%s holds %zu bytes, but the recorded guest printed "
			"%llu: the recording is corrupt\n", rec->dir, REC_CONSOLE_FILE, console_len,
			(unsigned long long)end->end.console_bytes);
	else if (!stretch__open(&st, &spec, rec))
		status = run_replay(o, rec, &st, console, console_len);
	stretch__close(&st);
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
	static struct integrity health;
	integrity__check(&rec, false, &health);
	int status = EXIT_BAD_RECORDING;
	o.damaged = health.damaged;
	if (health.damaged)
		integrity__print(&health, "replay");
	if (o.live_at && health.damaged)
		fprintf(stderr, "encore replay: %s is damaged: it cannot be taken live\n", o.dir);
	else if (o.live_at)
		status = replay_live(&(struct live_opts){ o.live_at, o.output, o.images, o.nimages,
							  o.realtime }, &rec);
	else if (o.gdb && (!health.damaged || integrity__can_start(&health, false, 0)))
		status = replay_gdb(o.gdb, &rec, health.damaged);
	else if (!health.damaged || integrity__can_start(&health, o.has_from, o.from))
		status = replay(&o, &rec);
	else if (o.has_from)
		fprintf(stderr, "encore replay: %s cannot be replayed from checkpoint %u: the "
			"damage reaches it\n", o.dir, o.from);
	else
		fprintf(stderr, "encore replay: %s cannot be replayed from the start: its guest "
			"files or console output are damaged\n", o.dir);
	if (health.damaged && (status == 0 || status == EXIT_CUT_SHORT)) {
		fprintf(stderr, "encore replay: %s is damaged (see above), although what was "
			"replayed matched it\n", o.dir);
		status = EXIT_BAD_RECORDING;
	}
	integrity__free(&health);
	recording__close(&rec);
	return status;
}
