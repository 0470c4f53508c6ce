/*
 * Preparing encore simulate: the recording opened and checked, its
 * intervals planned with their per-vCPU counts, the intervals chosen,
 * the plugins loaded (sim_state.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim_state.h"
#include "rr/rec_dir.h"
#include "stretch.h"

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
bool sim_parse_list(const char *list, u32 count, bool *chosen)
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



/* vCPU v's retired instructions at checkpoint k, from its state part. */
static int vcpu_insns(const struct snap_reader *r, const struct encore_arch *arch, u32 k,
		      u32 v, u64 *out)
{
	struct state_part part;
	const u8 *bytes = snap_reader__part(r, k, 1 + v, &part);
	if (part.size != vcpu_part__size(arch)) {
		fprintf(stderr, "encore simulate: checkpoint %u: the state of vCPU %u ('%s') has "
			"%u bytes, not the %u of a %s vCPU\n", k, v, part.name, part.size,
			vcpu_part__size(arch), arch->name);
		return -1;
	}
	memcpy(out, bytes + offsetof(struct vcpu_part, insns), sizeof(*out));
	return 0;
}

/* Each vCPU's count at checkpoints k and k+1, from their vCPU parts, into
 * first[] and end[]; they must add up to the checkpoints' own counts. */
static int vcpu_counts(const struct snap_reader *r, const struct encore_arch *arch, u32 k,
		       u32 nvcpus, u64 *first, u64 *end)
{
	u64 sum[2] = { 0, 0 };
	for (u32 v = 0; v < nvcpus; v++) {
		if (vcpu_insns(r, arch, k, v, &first[v]) || vcpu_insns(r, arch, k + 1, v, &end[v]))
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
		return vcpu_counts(r, arch__by_name(rr_meta__arch(&s->rec.meta)), k, nv, first, end);
	for (u32 v = 0; v < nv; v++) {
		first[v] = 0;
		end[v] = ENCORE_ICOUNT_UNKNOWN;
	}
	return 0;
}

/* Intervals whose end checkpoint is durable: stored, and (unless it is
 * the final state) named by an event in the log, which the recorder
 * flushes right after storing it. */
static u32 complete_intervals(const struct sim_state *s)
{
	const struct snap_reader *r = &s->snap;
	u32 n = r->count ? r->count - 1 : 0;
	while (n && !(r->info[n].flags & CKPT_FLAG_FINAL) &&
	       !stretch__checkpoint_event(&s->rec, n, NULL))
		n--;
	return n;
}

/* The intervals between the checkpoints the recording holds. */
static int plan_intervals(struct sim_state *s)
{
	const struct snap_reader *r = &s->snap;
	bool final = r->count && (r->info[r->count - 1].flags & CKPT_FLAG_FINAL);
	u32 n = s->opts.follow ? complete_intervals(s) : r->count ? r->count - 1 : 0;
	s->final = final;
	if (s->opts.follow && !n)
		return 0; /* the recording has just begun */
	if (!final && !s->opts.follow)
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
	if (!sim_parse_list(s->opts.intervals, p->intervals, chosen)) {
		fprintf(stderr, "encore simulate: %s has intervals 0 to %u; --intervals %s names "
			"others\n", s->rec.dir, p->intervals - 1, s->opts.intervals);
		return -1;
	}
	return 0;
}

static int plan_jobs(struct sim_state *s)
{
	struct sim_plan *p = &s->plan;
	size_t n = p->intervals ? p->intervals : 1;
	bool *chosen = calloc(n, sizeof(*chosen));
	s->selected = calloc(n, sizeof(*s->selected));
	s->job_ids = calloc(n, sizeof(*s->job_ids));
	int rc = -1;
	if (chosen && s->selected && s->job_ids && !choose_intervals(s, chosen)) {
		for (u32 k = 0; k < p->intervals; k++)
			if (chosen[k])
				s->selected[s->nselected++] = p->iv[k];
		p->first_interval = s->nselected ? s->selected[0].index : 0;
		p->last_interval = s->nselected ? s->selected[s->nselected - 1].index : 0;
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

/* The plugins' code and options (what a worker needs). */
static int load_plugin_code(struct sim_state *s)
{
	char err[1024];
	for (unsigned k = 0; k < s->opts.nplugins; k++)
		if (plugin_set__add(&s->plugins, s->opts.plugin_specs[k], err, sizeof(err))) {
			fprintf(stderr, "encore simulate: %s\n", err);
			return -1;
		}
	return 0;
}

/* The plugins, and an output directory with no earlier results in it. */
static int load_plugins(struct sim_state *s)
{
	if (load_plugin_code(s))
		return -1;
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

/* The recording as it is now: meta, log, checkpoints, console output. */
static int open_recording(struct sim_state *s)
{
	char err[1024];
	if (recording__open(&s->rec, s->opts.dir, "simulate"))
		return -1;
	s->rec_open = true;
	if (rr_meta__check_engine(&s->rec.meta, err, sizeof(err))) {
		fprintf(stderr, "encore simulate: %s\n", err);
		return -1;
	}
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
	return 0;
}

static void close_recording(struct sim_state *s)
{
	snap_reader__close(&s->snap);
	free((void *)s->plan.console);
	free(s->plan.iv);
	free(s->plan.vcpu_first);
	free(s->plan.vcpu_end);
	free(s->plan.landmark);
	free(s->selected);
	free(s->job_ids);
	if (s->rec_open)
		recording__close(&s->rec);
	s->rec_open = false;
	s->plan = (struct sim_plan){ 0 };
	s->selected = NULL;
	s->job_ids = NULL;
	s->nselected = s->njobs = 0;
}

int sim_state__prepare(struct sim_state *s, bool worker)
{
	if (open_recording(s))
		return -1;
	/* A recording still being written is checked once it is final. */
	if (!worker && !s->opts.follow)
		sim_state__check_integrity(s);
	if (plan_intervals(s) || plan_jobs(s))
		return -1;
	return worker ? load_plugin_code(s) : load_plugins(s);
}

void sim_state__check_integrity(struct sim_state *s)
{
	integrity__check(&s->rec, false, &s->health);
	if (s->health.damaged)
		integrity__print(&s->health, "simulate");
}

int sim_state__refresh(struct sim_state *s)
{
	close_recording(s);
	return open_recording(s) || plan_intervals(s) || plan_jobs(s) ? -1 : 0;
}

void sim_state__free(struct sim_state *s)
{
	integrity__free(&s->health);
	plugin_set__free(&s->plugins);
	close_recording(s);
	scheduler__free(s->sched);
	free(s->marks);
	for (unsigned k = 0; s->worker_names && k < s->workers; k++)
		free(s->worker_names[k]);
	free(s->worker_names);
	memset(s, 0, sizeof(*s));
}

