/*
 * encore simulate: replay every interval of a recording (checkpoint i to
 * checkpoint i+1) on its own worker process, with analysis plugins, verify
 * each against its end checkpoint, and merge the plugins' outputs in
 * interval order.  The merged outputs do not depend on the worker count.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "plugins/registry.h"
#include "rr/rec_dir.h"
#include "sim/progress.h"
#include "sim/fork_workers.h"
#include "sim_state.h"
#include "encore/host_clock.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: encore simulate REC [-j N] [--plugin NAME[,key=value...]]... [-o OUT]\n"
		"       mpirun -np N encore simulate REC --mpi [--plugin ...]... [-o OUT]\n"
		"\n"
		"Replay every interval of the recording REC (from checkpoint i to checkpoint\n"
		"i+1) on its own worker process, starting from checkpoint i restored\n"
		"sparsely, run the analysis plugins on it, and verify that it ends exactly\n"
		"in checkpoint i+1's state.  Each plugin's outputs are merged in interval\n"
		"order into OUT/NAME.SUFFIX, identical whatever the number of workers;\n"
		"OUT/intervals/ keeps the per-interval outputs, OUT/summary.txt the times,\n"
		"OUT/timeline.html a page showing which worker ran what when.\n"
		"\n"
		"  -j N              worker processes (default: the number of CPUs)\n"
		"  --plugin SPEC     NAME[,key=value...]: a built-in plugin, or a path to a\n"
		"                    plugin built as a shared object (docs/plugins.md)\n"
		"  -o OUT            output directory (needed with plugins)\n"
		"  --intervals LIST  only these intervals, e.g. 5, 0-3 or 0-1,7,20-23\n"
		"  --serial          one replay through all the intervals, for comparison\n"
		"                    (with --intervals: one range A-B)\n"
		"  --follow          the recording may still be being written: simulate each\n"
		"                    interval once its end checkpoint is stored, until the\n"
		"                    recording is final (or its recorder is gone)\n"
		"  --mpi             run under mpirun: rank 0 schedules and merges, the other\n"
		"                    ranks run intervals (docs/cluster.md)\n"
		"  --mpi-ship        ship the recording and outputs over MPI even to ranks\n"
		"                    that could read and write the directories themselves\n"
		"  --mpi-shared      every rank must read REC and write OUT itself (a shared\n"
		"                    file system); one that cannot gets no work\n"
		"  --mpi-timeout S   a rank silent for S seconds is lost (default 60)\n"
		"  --list-plugins    list the built-in plugins and their options\n"
		"  -q, --quiet       no progress display\n"
		"  -h, --help        this help\n"
		"\n"
		"Exit status: 0 every interval replayed exactly and the outputs merged;\n"
		"1 some interval failed or diverged (each is reported, the others still\n"
		"run), or a worker was lost (its interval ran again; the outputs are\n"
		"merged if every interval then matched); 2 bad usage, or a recording\n"
		"that is unreadable or damaged anywhere (even outside the intervals\n"
		"simulated).\n");
}

static void list_plugins(void)
{
	size_t n;
	const struct encore_plugin *const *list = plugins__list(&n);
	for (size_t k = 0; k < n; k++) {
		printf("%-10s %s\n", list[k]->name, list[k]->summary ? list[k]->summary : "");
		const char *h = list[k]->options_help;
		while (h && *h) {
			size_t len = strcspn(h, "\n");
			printf("           %.*s\n", (int)len, h);
			h += len + (h[len] == '\n');
		}
	}
}

static int parse_option(int ch, struct sim_opts *o)
{
	u64 v;
	switch (ch) {
	case 'q': o->quiet = true; return 0;
	case 'o': o->out = optarg; return 0;
	case 'j':
		if (!cli_parse_count(optarg, &v) || !v || v > 1024) {
			fprintf(stderr, "encore simulate: -j wants 1 to 1024 workers, not '%s'\n",
				optarg);
			return SIM_EXIT_USAGE;
		}
		o->jobs = (unsigned)v;
		o->jobs_given = true;
		return 0;
	case 'M': o->mpi = true; return 0;
	case 'S': o->mpi_ship = true; return 0;
	case 'H': o->mpi_shared = true; return 0;
	case 'T':
		if (!cli_parse_count(optarg, &v) || !v || v > 86400) {
			fprintf(stderr, "encore simulate: --mpi-timeout wants 1 to 86400 seconds, "
				"not '%s'\n", optarg);
			return SIM_EXIT_USAGE;
		}
		o->mpi_timeout = (double)v;
		return 0;
	case 'p':
		if (o->nplugins == PLUGIN_SET_MAX) {
			fprintf(stderr, "encore simulate: at most %d plugins\n", PLUGIN_SET_MAX);
			return SIM_EXIT_USAGE;
		}
		o->plugin_specs[o->nplugins++] = optarg;
		return 0;
	case 'r':
		if (!sim_parse_list(optarg, 0, NULL)) {
			fprintf(stderr, "encore simulate: --intervals wants a list like 3, 0-4 or "
				"0-1,7,20-23, not '%s'\n", optarg);
			return SIM_EXIT_USAGE;
		}
		o->intervals = optarg;
		return 0;
	case 's': o->serial = true; return 0;
	case 'F': o->follow = true; return 0;
	case 'L': list_plugins(); return -1;
	case 'h': usage(stdout); return -1;
	default: usage(stderr); return SIM_EXIT_USAGE;
	}
}

/* 0 to go on, -1 to stop with success (help), else an exit status. */
static int parse(int argc, char **argv, struct sim_opts *o)
{
	static const struct option longopts[] = {
		{ "plugin", required_argument, 0, 'p' },
		{ "intervals", required_argument, 0, 'r' },
		{ "serial", no_argument, 0, 's' },
		{ "follow", no_argument, 0, 'F' },
		{ "mpi", no_argument, 0, 'M' },
		{ "mpi-ship", no_argument, 0, 'S' },
		{ "mpi-shared", no_argument, 0, 'H' },
		{ "mpi-timeout", required_argument, 0, 'T' },
		{ "list-plugins", no_argument, 0, 'L' },
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	memset(o, 0, sizeof(*o));
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	o->jobs = cpus > 0 ? (unsigned)cpus : 1;
	o->mpi_timeout = 60;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "j:o:qh", longopts, NULL)) != -1) {
		int rc = parse_option(ch, o);
		if (rc)
			return rc;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "encore simulate: give one recording directory\n");
		usage(stderr);
		return SIM_EXIT_USAGE;
	}
	o->dir = argv[optind];
	if (o->mpi && o->jobs_given) {
		fprintf(stderr, "encore simulate: with --mpi the ranks are the workers (mpirun "
			"-np N): -j does not apply\n");
		return SIM_EXIT_USAGE;
	}
	if ((o->mpi_ship || o->mpi_shared || o->mpi_timeout != 60) && !o->mpi) {
		fprintf(stderr, "encore simulate: --mpi-ship, --mpi-shared and --mpi-timeout go "
			"with --mpi\n");
		return SIM_EXIT_USAGE;
	}
	if (o->mpi_ship && o->mpi_shared) {
		fprintf(stderr, "encore simulate: --mpi-ship or --mpi-shared, not both\n");
		return SIM_EXIT_USAGE;
	}
	if (o->follow && (o->serial || o->intervals)) {
		fprintf(stderr, "encore simulate: --follow simulates every interval as it comes: "
			"not with --serial or --intervals\n");
		return SIM_EXIT_USAGE;
	}
	if (o->nplugins && !o->out) {
		fprintf(stderr, "encore simulate: plugins write their results to a directory: "
			"give one with -o OUT\n");
		return SIM_EXIT_USAGE;
	}
	return 0;
}

/* ---- running ---- */

static int name_workers(struct sim_state *s, const struct sim_transport *t)
{
	s->workers = t->workers;
	s->worker_names = calloc(t->workers, sizeof(*s->worker_names));
	if (!s->worker_names)
		return -1;
	for (unsigned k = 0; k < t->workers; k++) {
		char name[128];
		t->name(t->self, k, name, sizeof(name));
		if (!(s->worker_names[k] = strdup(name)))
			return -1;
	}
	return 0;
}

/* Run every job on t's workers, showing progress. */
int sim_run(struct sim_state *s, const struct sim_transport *t)
{
	struct progress prog;
	progress__init(&prog, stderr, s->opts.quiet);
	s->progress = &prog;
	struct sim_sched_config cfg = { .observe = progress__observe, .observer_opaque = &prog };
	if (s->opts.follow) {
		cfg.source = sim_follow__source;
		cfg.source_opaque = s;
		s->announced = s->njobs;
	}
	s->sched = scheduler__new(&cfg);
	int rc = !s->sched || name_workers(s, t) ? -1 : 0;
	for (u32 k = 0; !rc && k < s->njobs; k++) {
		const struct sim_plan *p = &s->plan;
		u32 first = p->serial ? p->first_interval : s->job_ids[k];
		u32 last = p->serial ? p->last_interval : s->job_ids[k];
		rc = scheduler__add(s->sched, s->job_ids[k]) ||
		     progress__add(&prog, s->job_ids[k], p->landmark[last + 1] - p->landmark[first]);
	}
	if (!rc) {
		rc = scheduler__run(s->sched, t);
		if (rc)
			fprintf(stderr, "encore simulate: cannot start workers: %s\n",
				strerror(errno));
	} else {
		fprintf(stderr, "encore simulate: out of memory\n");
	}
	progress__finish(&prog);
	progress__free(&prog);
	s->progress = NULL;
	return rc;
}

static int run_here(struct sim_state *s)
{
	unsigned n = s->opts.jobs < s->njobs || s->opts.follow ? s->opts.jobs : s->njobs;
	struct fork_workers *fw = fork_workers__new(n, sim_follow__run_job, s);
	if (!fw)
		return -1;
	struct sim_transport t = fork_workers__transport(fw);
	snprintf(s->mode, sizeof(s->mode), "%u worker process%s on this host", n,
		 n == 1 ? "" : "es");
	int rc = sim_run(s, &t);
	fork_workers__free(fw);
	return rc;
}

int cmd_simulate(int argc, char **argv)
{
	static struct sim_state s;
	int rc = parse(argc, argv, &s.opts);
	if (rc)
		return rc < 0 ? 0 : rc;
	int status = SIM_EXIT_USAGE;
	if (s.opts.mpi)
		status = simulate_mpi(&s);
	else if (!sim_state__prepare(&s, false) && !run_here(&s))
		status = sim_output__finish(&s);
	if (s.health.damaged && status == 0) {
		fprintf(stderr, "encore simulate: %s is damaged (see above), although every interval "
			"simulated matched it\n", s.opts.dir);
		status = SIM_EXIT_USAGE;
	}
	sim_state__free(&s);
	return status;
}
