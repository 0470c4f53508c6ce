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
#include "integrity.h"
#include "plugins/registry.h"
#include "rr/rec_dir.h"
#include "sim/progress.h"
#include "sim_job.h"
#include "snap/snap_reader.h"
#include "encore/host_clock.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

struct sim_opts {
	const char *dir, *out;
	unsigned jobs;
	bool quiet, serial;
	const char *intervals;   /* --intervals LIST, checked by parse_list */
	const char *plugin_specs[PLUGIN_SET_MAX];
	unsigned nplugins;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: encore simulate REC [-j N] [--plugin NAME[,key=value...]]... [-o OUT]\n"
		"\n"
		"Replay every interval of the recording REC (from checkpoint i to checkpoint\n"
		"i+1) on its own worker process, starting from checkpoint i restored\n"
		"sparsely, run the analysis plugins on it, and verify that it ends exactly\n"
		"in checkpoint i+1's state.  Each plugin's outputs are merged in interval\n"
		"order into OUT/NAME.SUFFIX, identical whatever the number of workers;\n"
		"OUT/intervals/ keeps the per-interval outputs, OUT/summary.txt the times.\n"
		"\n"
		"  -j N              worker processes (default: the number of CPUs)\n"
		"  --plugin SPEC     NAME[,key=value...]: a built-in plugin, or a path to a\n"
		"                    plugin built as a shared object (docs/plugins.md)\n"
		"  -o OUT            output directory (needed with plugins)\n"
		"  --intervals LIST  only these intervals, e.g. 5, 0-3 or 0-1,7,20-23\n"
		"  --serial          one replay through all the intervals, for comparison\n"
		"                    (with --intervals: one range A-B)\n"
		"  --list-plugins    list the built-in plugins and their options\n"
		"  -q, --quiet       no progress display\n"
		"  -h, --help        this help\n"
		"\n"
		"Exit status: 0 every interval replayed exactly and the outputs merged;\n"
		"1 some interval failed or diverged (each is reported, the others still\n"
		"run); 2 bad usage, or a recording that is unreadable or damaged\n"
		"anywhere (even outside the intervals simulated).\n");
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

/* One item of an interval list: "A" or "A-B". */
static bool parse_item(const char *s, const char **rest, u32 *first, u32 *last)
{
	char *end;
	errno = 0;
	unsigned long a = strtoul(s, &end, 10), b = a;
	if (errno || end == s || *s == '-' || a > 0xfffffffful)
		return false;
	if (*end == '-') {
		const char *t = end + 1;
		b = strtoul(t, &end, 10);
		if (errno || end == t || *t == '-' || b > 0xfffffffful)
			return false;
	}
	*first = (u32)a;
	*last = (u32)b;
	*rest = end;
	return a <= b;
}

/* "A-B,C,D-E": mark the intervals it names in `chosen` (NULL: only
 * check); false if it is malformed or names one past `count`. */
static bool parse_list(const char *list, u32 count, bool *chosen)
{
	const char *s = list;
	for (;;) {
		u32 a, b;
		if (!parse_item(s, &s, &a, &b) || (chosen && b >= count))
			return false;
		for (u32 k = a; chosen && k <= b; k++)
			chosen[k] = true;
		if (!*s)
			return true;
		if (*s++ != ',')
			return false;
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
			return EXIT_USAGE;
		}
		o->jobs = (unsigned)v;
		return 0;
	case 'p':
		if (o->nplugins == PLUGIN_SET_MAX) {
			fprintf(stderr, "encore simulate: at most %d plugins\n", PLUGIN_SET_MAX);
			return EXIT_USAGE;
		}
		o->plugin_specs[o->nplugins++] = optarg;
		return 0;
	case 'r':
		if (!parse_list(optarg, 0, NULL)) {
			fprintf(stderr, "encore simulate: --intervals wants a list like 3, 0-4 or "
				"0-1,7,20-23, not '%s'\n", optarg);
			return EXIT_USAGE;
		}
		o->intervals = optarg;
		return 0;
	case 's': o->serial = true; return 0;
	case 'L': list_plugins(); return -1;
	case 'h': usage(stdout); return -1;
	default: usage(stderr); return EXIT_USAGE;
	}
}

/* 0 to go on, -1 to stop with success (help), else an exit status. */
static int parse(int argc, char **argv, struct sim_opts *o)
{
	static const struct option longopts[] = {
		{ "plugin", required_argument, 0, 'p' },
		{ "intervals", required_argument, 0, 'r' },
		{ "serial", no_argument, 0, 's' },
		{ "list-plugins", no_argument, 0, 'L' },
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	memset(o, 0, sizeof(*o));
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	o->jobs = cpus > 0 ? (unsigned)cpus : 1;
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
		return EXIT_USAGE;
	}
	o->dir = argv[optind];
	if (o->nplugins && !o->out) {
		fprintf(stderr, "encore simulate: plugins write their results to a directory: "
			"give one with -o OUT\n");
		return EXIT_USAGE;
	}
	return 0;
}

/* ---- the plan ---- */

struct sim_state {
	struct sim_opts opts;
	struct recording rec;
	struct snap_reader snap;
	struct plugin_set plugins;
	struct sim_plan plan;
	struct encore_interval *selected;  /* the intervals simulated, in order */
	u32 nselected;
	u32 *job_ids;
	u32 njobs;
	struct sim_report *results;
	double wall_seconds;
	struct integrity health;
};

/* vCPU v's retired instructions at checkpoint k, from its state part. */
static int vcpu_insns(const struct snap_reader *r, u32 k, u32 v, u64 *out)
{
	struct state_part part;
	const u8 *bytes = snap_reader__part(r, k, 1 + v, &part);
	if (part.size != sizeof(struct vcpu_part)) {
		fprintf(stderr, "encore simulate: checkpoint %u: the state of vCPU %u ('%s') has "
			"%u bytes, not the %zu of a vCPU\n", k, v, part.name, part.size,
			sizeof(struct vcpu_part));
		return -1;
	}
	memcpy(out, bytes + offsetof(struct vcpu_part, insns), sizeof(*out));
	return 0;
}

/* Each vCPU's count at checkpoints k and k+1, from their vCPU parts, into
 * first[] and end[]; they must add up to the checkpoints' own counts. */
static int vcpu_counts(const struct snap_reader *r, u32 k, u32 nvcpus, u64 *first, u64 *end)
{
	u64 sum[2] = { 0, 0 };
	for (u32 v = 0; v < nvcpus; v++) {
		if (vcpu_insns(r, k, v, &first[v]) || vcpu_insns(r, k + 1, v, &end[v]))
			return -1;
		sum[0] += first[v];
		sum[1] += end[v];
	}
	for (u32 j = 0; j < 2; j++)
		if (sum[j] != r->info[k + j].insns) {
			fprintf(stderr, "encore simulate: checkpoint %u: its vCPUs' instruction "
				"counts add up to %llu, not to its %llu\n", k + j,
				(unsigned long long)sum[j], (unsigned long long)r->info[k + j].insns);
			return -1;
		}
	return 0;
}

/* Interval k, with its per-vCPU counts in the plan's arrays.  Recorded
 * on KVM, the checkpoints hold exit counts, not instructions: every
 * count starts at 0 and the ends are unknown (docs/kvm.md). */
static int plan_interval(struct sim_state *s, u32 k, bool by_exits)
{
	const struct snap_reader *r = &s->snap;
	struct sim_plan *p = &s->plan;
	u32 nv = p->nvcpus;
	u64 *first = &p->vcpu_first[(size_t)k * nv], *end = &p->vcpu_end[(size_t)k * nv];
	p->iv[k] = (struct encore_interval){ .index = k, .count = p->intervals,
					     .first_icount = by_exits ? 0 : r->info[k].insns,
					     .end_icount = by_exits ? ENCORE_ICOUNT_UNKNOWN
								    : r->info[k + 1].insns,
					     .nvcpus = nv, .vcpu_first_icount = first,
					     .vcpu_end_icount = end };
	if (r->info[k].nvcpus != nv || r->info[k + 1].nvcpus != nv) {
		fprintf(stderr, "encore simulate: %s: checkpoint %u has %u vCPUs, checkpoint 0 "
			"has %u\n", s->rec.dir, r->info[k].nvcpus != nv ? k : k + 1,
			r->info[k].nvcpus != nv ? r->info[k].nvcpus : r->info[k + 1].nvcpus, nv);
		return -1;
	}
	if (!by_exits)
		return vcpu_counts(r, k, nv, first, end);
	for (u32 v = 0; v < nv; v++) {
		first[v] = 0;
		end[v] = ENCORE_ICOUNT_UNKNOWN;
	}
	return 0;
}

/* The intervals between the checkpoints the recording holds. */
static int plan_intervals(struct sim_state *s)
{
	const struct snap_reader *r = &s->snap;
	bool final = r->count && (r->info[r->count - 1].flags & CKPT_FLAG_FINAL);
	u32 n = r->count ? r->count - 1 : 0;
	if (!final)
		fprintf(stderr, "encore simulate: %s was cut short: its last stretch after "
			"checkpoint %u is not simulated\n", s->rec.dir, n);
	if (!n) {
		fprintf(stderr, "encore simulate: %s has no complete interval (it needs two "
			"checkpoints)\n", s->rec.dir);
		return -1;
	}
	struct sim_plan *p = &s->plan;
	p->intervals = n;
	p->nvcpus = r->info[0].nvcpus;
	p->iv = calloc(n, sizeof(*p->iv));
	p->landmark = calloc(n + 1, sizeof(*p->landmark));
	p->vcpu_first = calloc((size_t)n * p->nvcpus, sizeof(*p->vcpu_first));
	p->vcpu_end = calloc((size_t)n * p->nvcpus, sizeof(*p->vcpu_end));
	if (!p->iv || !p->landmark || !p->vcpu_first || !p->vcpu_end)
		return -1;
	for (u32 k = 0; k <= n; k++)
		p->landmark[k] = r->info[k].insns;
	bool by_exits = rr_meta__by_exits(&s->rec.meta);
	for (u32 k = 0; k < n; k++)
		if (plan_interval(s, k, by_exits))
			return -1;
	return 0;
}

/* The intervals to simulate, in order: all, or those --intervals names. */
static int choose_intervals(struct sim_state *s, bool *chosen)
{
	const struct sim_plan *p = &s->plan;
	if (!s->opts.intervals) {
		memset(chosen, 1, p->intervals * sizeof(*chosen));
		return 0;
	}
	if (!parse_list(s->opts.intervals, p->intervals, chosen)) {
		fprintf(stderr, "encore simulate: %s has intervals 0 to %u; --intervals %s names "
			"others\n", s->rec.dir, p->intervals - 1, s->opts.intervals);
		return -1;
	}
	return 0;
}

static int plan_jobs(struct sim_state *s)
{
	struct sim_plan *p = &s->plan;
	bool *chosen = calloc(p->intervals, sizeof(*chosen));
	s->selected = calloc(p->intervals, sizeof(*s->selected));
	s->job_ids = calloc(p->intervals, sizeof(*s->job_ids));
	s->results = calloc(p->intervals, sizeof(*s->results));
	int rc = -1;
	if (chosen && s->selected && s->job_ids && s->results && !choose_intervals(s, chosen)) {
		for (u32 k = 0; k < p->intervals; k++)
			if (chosen[k])
				s->selected[s->nselected++] = p->iv[k];
		p->first_interval = s->selected[0].index;
		p->last_interval = s->selected[s->nselected - 1].index;
		p->serial = s->opts.serial;
		rc = 0;
		if (p->serial && p->last_interval - p->first_interval + 1 != s->nselected) {
			fprintf(stderr, "encore simulate: --serial replays one stretch: give "
				"--intervals as one range A-B\n");
			rc = -1;
		}
		s->njobs = p->serial ? 1 : s->nselected;
		for (u32 k = 0; k < s->njobs; k++)
			s->job_ids[k] = s->selected[k].index;
	}
	free(chosen);
	return rc;
}

/* A plugin's outputs of an earlier run into the same directory would
 * pass for this run's where an interval fails: remove them. */
static void forget_outputs(const struct sim_plugin *sp, const char *out)
{
	char path[4200];
	plugin_set__merged_path(sp, out, path, sizeof(path));
	unlink(path);
	snprintf(path, sizeof(path), "%s/intervals/%s", out, sp->label);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
}

static int load_plugins(struct sim_state *s)
{
	char err[1024];
	for (unsigned k = 0; k < s->opts.nplugins; k++)
		if (plugin_set__add(&s->plugins, s->opts.plugin_specs[k], err, sizeof(err))) {
			fprintf(stderr, "encore simulate: %s\n", err);
			return -1;
		}
	struct stat st;
	if (s->opts.out && mkdir(s->opts.out, 0777) && errno != EEXIST) {
		fprintf(stderr, "encore simulate: cannot create %s: %s\n", s->opts.out,
			strerror(errno));
		return -1;
	}
	if (s->opts.out && (stat(s->opts.out, &st) || !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "encore simulate: %s is not a directory\n", s->opts.out);
		return -1;
	}
	for (unsigned k = 0; k < s->plugins.count; k++)
		forget_outputs(&s->plugins.v[k], s->opts.out);
	return 0;
}

static int prepare(struct sim_state *s)
{
	char err[1024];
	if (rr_meta__check_engine(&s->rec.meta, err, sizeof(err))) {
		fprintf(stderr, "encore simulate: %s\n", err);
		return -1;
	}
	integrity__check(&s->rec, false, &s->health);
	if (s->health.damaged)
		integrity__print(&s->health, "simulate");
	if (snap_reader__open(&s->snap, s->rec.dir, s->rec.meta.id, err, sizeof(err))) {
		fprintf(stderr, "encore simulate: %s\n", err);
		return -1;
	}
	if (recording__check_checkpoints(&s->rec, &s->snap, "simulate"))
		return -1;
	u8 *console = rec_dir__read(s->rec.dir, REC_CONSOLE_FILE, &s->plan.console_len, err,
				    sizeof(err));
	if (!console) {
		fprintf(stderr, "encore simulate: %s\n", err);
		return -1;
	}
	s->plan.console = console;
	s->plan.rec = &s->rec;
	s->plan.plugins = &s->plugins;
	s->plan.out_dir = s->opts.out;
	return plan_intervals(s) || plan_jobs(s) || load_plugins(s) ? -1 : 0;
}

/* ---- running and reporting ---- */

static int run_jobs(struct sim_state *s)
{
	struct progress prog;
	u64 total = 0;
	for (u32 k = 0; k < s->nselected; k++)
		total += s->plan.landmark[s->selected[k].index + 1] - s->plan.landmark[s->selected[k].index];
	if (progress__init(&prog, stderr, s->opts.quiet, s->job_ids, s->njobs, total))
		return -1;
	struct sim_worker w = { sim_job__run, &s->plan };
	double t0 = host_clock__seconds();
	int rc = scheduler__run(s->job_ids, s->njobs, s->opts.jobs, &w, progress__observe, &prog,
				s->results);
	s->wall_seconds = host_clock__seconds() - t0;
	progress__finish(&prog);
	progress__free(&prog);
	if (rc)
		fprintf(stderr, "encore simulate: cannot start worker processes: %s\n",
			strerror(errno));
	return rc;
}

static void write_summary(const struct sim_state *s, FILE *f)
{
	const struct sim_plan *p = &s->plan;
	double sum = 0;
	u64 insns = 0;
	u32 failed = 0;
	fprintf(f, "%-9s %15s %13s %9s %11s %8s  %s\n", p->serial ? "job" : "interval",
		"first-insn", "insns", "seconds", "restore-ms", "pages", "result");
	for (u32 k = 0; k < s->njobs; k++) {
		const struct sim_report *r = &s->results[k];
		sum += r->seconds;
		insns += r->insns;
		failed += !r->ok;
		fprintf(f, "%-9u %15llu %13llu %9.3f %11.3f %8llu  %s\n", s->job_ids[k],
			(unsigned long long)p->iv[p->serial ? p->first_interval : s->job_ids[k]]
				.first_icount, (unsigned long long)r->insns, r->seconds, r->restore_ms,
			(unsigned long long)r->pages_loaded, r->ok ? "exact" : "FAILED");
	}
	fprintf(f, "intervals: %u (%u to %u)%s\nworkers: %u\ninstructions: %llu\n"
		"wall-seconds: %.3f\nsum-of-interval-seconds: %.3f\nspeedup-over-one-after-another: "
		"%.2f\nfailed: %u\n", s->nselected, p->first_interval, p->last_interval,
		p->serial ? ", in one serial replay" : "",
		p->serial ? 1 : (s->opts.jobs < s->njobs ? s->opts.jobs : s->njobs),
		(unsigned long long)insns, s->wall_seconds, sum,
		s->wall_seconds > 0 ? sum / s->wall_seconds : 0.0, failed);
}

static int summarise(const struct sim_state *s)
{
	write_summary(s, stderr);
	if (s->opts.out) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/summary.txt", s->opts.out);
		FILE *f = fopen(path, "w");
		if (f) {
			write_summary(s, f);
			fclose(f);
		}
	}
	for (u32 k = 0; k < s->njobs; k++)
		if (!s->results[k].ok)
			return EXIT_FAILED;
	return 0;
}

static int merge(const struct sim_state *s, int status)
{
	char err[1024];
	if (!s->plugins.count)
		return status;
	if (status) {
		fprintf(stderr, "encore simulate: outputs not merged because intervals failed; "
			"those that succeeded are in %s/intervals/\n", s->opts.out);
		return status;
	}
	if (plugin_set__merge(&s->plugins, s->opts.out, s->selected, s->nselected, err,
			      sizeof(err))) {
		fprintf(stderr, "encore simulate: %s\n", err);
		return EXIT_FAILED;
	}
	for (unsigned k = 0; k < s->plugins.count; k++) {
		char path[4200];
		plugin_set__merged_path(&s->plugins.v[k], s->opts.out, path, sizeof(path));
		fprintf(stderr, "%s: %s\n", s->plugins.v[k].label, path);
	}
	return 0;
}

int cmd_simulate(int argc, char **argv)
{
	static struct sim_state s;
	int rc = parse(argc, argv, &s.opts);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (recording__open(&s.rec, s.opts.dir, "simulate"))
		return EXIT_USAGE;
	int status = EXIT_USAGE;
	if (!prepare(&s) && !run_jobs(&s))
		status = merge(&s, summarise(&s));
	if (s.health.damaged && status == 0) {
		fprintf(stderr, "encore simulate: %s is damaged (see above), although every interval "
			"simulated matched it\n", s.opts.dir);
		status = EXIT_USAGE;
	}
	integrity__free(&s.health);
	plugin_set__free(&s.plugins);
	snap_reader__close(&s.snap);
	free((void *)s.plan.console);
	free(s.plan.iv);
	free(s.plan.vcpu_first);
	free(s.plan.vcpu_end);
	free(s.plan.landmark);
	free(s.selected);
	free(s.job_ids);
	free(s.results);
	recording__close(&s.rec);
	return status;
}
