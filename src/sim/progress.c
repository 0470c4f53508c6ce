/* The progress display of encore simulate (progress.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"
#include "encore/host_clock.h"

void progress__init(struct progress *p, FILE *f, bool quiet)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->tty = isatty(fileno(f));
	p->quiet = quiet;
	p->start = host_clock__seconds();
}

int progress__add(struct progress *p, u32 id, u64 insns)
{
	if (p->jobs == p->cap) {
		u32 cap = p->cap ? p->cap * 2 : 64;
		u64 *running = realloc(p->running, cap * sizeof(*running));
		if (running)
			p->running = running;
		u32 *ids = realloc(p->job_ids, cap * sizeof(*ids));
		if (ids)
			p->job_ids = ids;
		if (!running || !ids)
			return -1;
		p->cap = cap;
	}
	p->running[p->jobs] = 0;
	p->job_ids[p->jobs++] = id;
	p->total_insns += insns;
	return 0;
}

static int job_slot(const struct progress *p, u32 id)
{
	for (u32 k = 0; k < p->jobs; k++)
		if (p->job_ids[k] == id)
			return (int)k;
	return -1;
}

static void format_time(char *buf, size_t n, double s)
{
	unsigned t = s < 0 ? 0 : (unsigned)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, n, "%u:%02u:%02u", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, n, "%u:%02u", t / 60, t % 60);
}

static void draw(struct progress *p)
{
	u64 insns = p->done_insns;
	for (u32 k = 0; k < p->jobs; k++)
		insns += p->running[k];
	double frac = p->total_insns ? (double)insns / p->total_insns : 0;
	if (frac > 1)
		frac = 1;
	double elapsed = host_clock__seconds() - p->start;
	char bar[31], took[16], left[16] = "?";
	unsigned full = (unsigned)(frac * 30);
	memset(bar, '#', full);
	memset(bar + full, '.', 30 - full);
	bar[30] = 0;
	format_time(took, sizeof(took), elapsed);
	if (frac > 0.001)
		format_time(left, sizeof(left), elapsed / frac - elapsed);
	fprintf(p->f, "\r[%s] %u/%u intervals%s, %.2f/%.2f G instructions, %s elapsed, ~%s "
		"left \033[K", bar, p->done, p->jobs, p->failed ? " (some FAILED)" : "", insns / 1e9,
		p->total_insns / 1e9, took, left);
	fflush(p->f);
	p->drawn = true;
}

static void clear(struct progress *p)
{
	if (p->drawn)
		fprintf(p->f, "\r\033[K");
	p->drawn = false;
}

static void finished(struct progress *p, int slot, const struct sim_report *r)
{
	p->running[slot] = 0;
	p->done++;
	p->done_insns += r->insns;
	if (!r->ok)
		p->failed++;
	if (p->tty)
		clear(p);
	if (!r->ok)
		fprintf(p->f, "encore simulate: interval %u FAILED: %s\n", r->job, r->message);
	else if (!p->tty && !p->quiet)
		fprintf(p->f, "interval %u done: %.3f s, %llu instructions (%u/%u)\n", r->job,
			r->seconds, (unsigned long long)r->insns, p->done, p->jobs);
}

void progress__observe(void *opaque, const struct sim_report *r)
{
	struct progress *p = opaque;
	int slot = r ? job_slot(p, r->job) : -1;
	if (r && slot >= 0 && r->done)
		finished(p, slot, r);
	else if (r && slot >= 0)
		p->running[slot] = r->insns;
	if (p->tty && !p->quiet)
		draw(p);
}

void progress__finish(struct progress *p)
{
	if (p->tty)
		clear(p);
}

void progress__free(struct progress *p)
{
	free(p->running);
	free(p->job_ids);
	p->running = NULL;
	p->job_ids = NULL;
}
