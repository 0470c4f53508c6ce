/*
 * What encore simulate leaves after its run: the summary of every job,
 * the plugins' merged outputs and the timeline page (sim_state.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_state.h"
#include "sim/timeline.h"
#include "encore/host_clock.h"

static void summary_line(const struct sim_state *s, FILE *f, u32 k)
{
	const struct sim_plan *p = &s->plan;
	const struct sim_outcome *o = scheduler__outcome(s->sched, k);
	const struct sim_report *r = &o->report;
	u32 interval = p->serial ? p->first_interval : r->job;
	fprintf(f, "%-9u %15llu %13llu %9.3f %11.3f %8llu", r->job,
		(unsigned long long)p->iv[interval].first_icount, (unsigned long long)r->insns,
		r->seconds, r->restore_ms, (unsigned long long)r->pages_loaded);
	if (s->opts.mpi)
		fprintf(f, " %11llu", (unsigned long long)(r->bytes_shipped + 1023) / 1024);
	fprintf(f, "  %s\n", r->ok ? "exact" : "FAILED");
}

static void write_summary(const struct sim_state *s, FILE *f)
{
	const struct sim_plan *p = &s->plan;
	double sum = 0;
	u64 insns = 0;
	u32 failed = 0, n = scheduler__count(s->sched);
	fprintf(f, "%-9s %15s %13s %9s %11s %8s", p->serial ? "job" : "interval", "first-insn",
		"insns", "seconds", "restore-ms", "pages");
	if (s->opts.mpi) /* the page store windows shipped to run it */
		fprintf(f, " %11s", "shipped-KiB");
	fprintf(f, "  %s\n", "result");
	for (u32 k = 0; k < n; k++) {
		const struct sim_report *r = &scheduler__outcome(s->sched, k)->report;
		sum += r->seconds;
		insns += r->insns;
		failed += !r->ok;
		summary_line(s, f, k);
	}
	double wall = scheduler__elapsed(s->sched);
	fprintf(f, "intervals: %u (%u to %u)%s\nworkers: %u\nrun-on: %s\ninstructions: %llu\n"
		"wall-seconds: %.3f\nsum-of-interval-seconds: %.3f\nspeedup-over-one-after-another: "
		"%.2f\nfailed: %u\nworkers-lost: %u\n", s->nselected, p->first_interval,
		p->last_interval, p->serial ? ", in one serial replay" : "", s->workers, s->mode,
		(unsigned long long)insns, wall, sum, wall > 0 ? sum / wall : 0.0, failed,
		scheduler__lost(s->sched));
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
	u32 n = scheduler__count(s->sched);
	for (u32 k = 0; k < n; k++)
		if (!scheduler__outcome(s->sched, k)->report.ok)
			return SIM_EXIT_FAILED;
	return 0;
}

static int merge(struct sim_state *s, int status)
{
	char err[1024];
	if (!s->plugins.count)
		return status;
	if (status) {
		fprintf(stderr, "encore simulate: outputs not merged because intervals failed; "
			"those that succeeded are in %s/intervals/\n", s->opts.out);
		return status;
	}
	double t0 = host_clock__seconds();
	s->merge_start = scheduler__elapsed(s->sched);
	int rc = plugin_set__merge(&s->plugins, s->opts.out, s->selected, s->nselected, err,
				   sizeof(err));
	s->merge_end = s->merge_start + host_clock__seconds() - t0;
	if (rc) {
		fprintf(stderr, "encore simulate: %s\n", err);
		return SIM_EXIT_FAILED;
	}
	for (unsigned k = 0; k < s->plugins.count; k++) {
		char path[4200];
		plugin_set__merged_path(&s->plugins.v[k], s->opts.out, path, sizeof(path));
		fprintf(stderr, "%s: %s\n", s->plugins.v[k].label, path);
	}
	return 0;
}

/* The bars of the attempts lost with their workers. */
static u32 lost_bars(const struct sim_state *s, struct timeline_bar *bars)
{
	u32 n;
	const struct sim_lost_attempt *a = scheduler__lost_attempts(s->sched, &n);
	for (u32 k = 0; k < n; k++)
		bars[k] = (struct timeline_bar){ .row = a[k].worker, .interval = a[k].job,
						 .attempt = a[k].attempt, .start = a[k].start,
						 .end = a[k].end, .ok = false, .message = a[k].why };
	return n;
}

/* OUT/timeline.html: a bar per attempt of each job, in its worker's row. */
static void write_timeline(const struct sim_state *s)
{
	u32 n = scheduler__count(s->sched), nlost;
	scheduler__lost_attempts(s->sched, &nlost);
	struct timeline_bar *bars = calloc(n + nlost ? n + nlost : 1, sizeof(*bars));
	if (!bars)
		return;
	for (u32 k = 0; k < n; k++) {
		const struct sim_outcome *o = scheduler__outcome(s->sched, k);
		bars[k] = (struct timeline_bar){
			.row = o->worker, .interval = o->report.job, .attempt = o->attempts,
			.start = o->start, .end = o->end, .restore = o->report.restore_ms / 1e3,
			.plugin = o->report.plugin_ms / 1e3, .insns = o->report.insns,
			.pages = o->report.pages_loaded, .ok = o->report.ok,
			.message = o->report.message };
	}
	u32 lost = lost_bars(s, bars + n);
	/* A job that failed on its last lost attempt has that one bar only. */
	for (u32 k = 0; k < n; k++) {
		const struct sim_outcome *o = scheduler__outcome(s->sched, k);
		for (u32 a = 0; a < lost; a++)
			if (bars[n + a].interval == o->report.job && bars[n + a].attempt == o->attempts)
				bars[k].attempt = 0; /* dropped below */
	}
	u32 kept = 0;
	for (u32 k = 0; k < n + lost; k++)
		if (bars[k].attempt)
			bars[kept++] = bars[k];
	struct timeline t = { .title = s->opts.dir, .mode = s->mode, .rows = s->workers,
			      .marks = s->marks, .nmarks = s->nmarks,
			      .recording_final = !s->cut,
			      .row_names = (const char *const *)s->worker_names, .bars = bars,
			      .nbars = kept, .merge_start = s->plugins.count ? s->merge_start : -1,
			      .merge_end = s->merge_end,
			      .wall = s->merge_end > scheduler__elapsed(s->sched) ?
				      s->merge_end : scheduler__elapsed(s->sched) };
	char path[4200], err[4400];
	snprintf(path, sizeof(path), "%s/timeline.html", s->opts.out);
	if (timeline__write(path, &t, err, sizeof(err)))
		fprintf(stderr, "encore simulate: %s\n", err);
	free(bars);
}

/* --follow: the recording as it ended. */
static void followed_to_the_end(struct sim_state *s)
{
	if (s->cut)
		fprintf(stderr, "encore simulate: the recorder of %s stopped before the recording "
			"was complete (killed?): simulated its complete prefix, %u interval%s "
			"(up to checkpoint %u)\n", s->opts.dir, s->plan.intervals,
			s->plan.intervals == 1 ? "" : "s", s->plan.intervals);
	else
		sim_state__check_integrity(s);
}

int sim_output__finish(struct sim_state *s)
{
	if (s->opts.follow)
		followed_to_the_end(s);
	int status = merge(s, summarise(s));
	if (s->opts.out)
		write_timeline(s);
	if (scheduler__lost(s->sched)) {
		fprintf(stderr, "encore simulate: %u worker%s lost during the run (see above)%s\n",
			scheduler__lost(s->sched), scheduler__lost(s->sched) == 1 ? " was" : "s were",
			status ? "" : "; every interval they were running was run again and matched");
		status = SIM_EXIT_FAILED;
	}
	return status;
}
