/* Running jobs on workers, whatever carries them (scheduler.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler.h"
#include "encore/host_clock.h"

enum job_state { JOB_WAITING, JOB_RUNNING, JOB_DONE };

struct job {
	u32 id;
	enum job_state state;
	struct sim_outcome out;
};

struct sim_sched {
	struct sim_sched_config cfg;
	struct job *jobs;
	u32 count, cap, done;
	bool complete;                 /* no job will be added */
	unsigned workers;
	u32 *running;                  /* worker -> index of its job, or SIM_NO_JOB */
	bool *alive;
	unsigned nalive;
	u32 lost;
	struct sim_lost_attempt *lost_attempts;   /* [lost_count] */
	u32 lost_count, lost_cap;
	double t0, elapsed;
};

static sim_progress_fn progress_fn;

void sim_progress__set(sim_progress_fn fn)
{
	progress_fn = fn;
}

void sim_progress(u32 job, u64 insns)
{
	if (progress_fn)
		progress_fn(job, insns);
}

struct sim_sched *scheduler__new(const struct sim_sched_config *cfg)
{
	struct sim_sched *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = *cfg;
	if (!s->cfg.max_attempts)
		s->cfg.max_attempts = 2;
	s->complete = !cfg->source;
	return s;
}

int scheduler__add(struct sim_sched *s, u32 id)
{
	if (s->count == s->cap) {
		u32 cap = s->cap ? s->cap * 2 : 64;
		struct job *j = realloc(s->jobs, cap * sizeof(*j));
		if (!j)
			return -1;
		s->jobs = j;
		s->cap = cap;
	}
	s->jobs[s->count++] = (struct job){ .id = id, .state = JOB_WAITING,
					    .out = { .report = { .job = id } } };
	return 0;
}

void scheduler__no_more(struct sim_sched *s)
{
	s->complete = true;
}

static void observe(struct sim_sched *s, const struct sim_report *r)
{
	if (s->cfg.observe)
		s->cfg.observe(s->cfg.observer_opaque, r);
}

static double now(const struct sim_sched *s)
{
	return host_clock__seconds() - s->t0;
}

static void finish_job(struct sim_sched *s, struct job *j, const struct sim_report *r)
{
	j->state = JOB_DONE;
	j->out.report = *r;
	j->out.report.job = j->id;
	j->out.report.done = 1;
	j->out.end = now(s);
	s->done++;
	observe(s, &j->out.report);
}

/* The next job waiting, in the order added; SIM_NO_JOB if none. */
static u32 next_waiting(const struct sim_sched *s)
{
	for (u32 k = 0; k < s->count; k++)
		if (s->jobs[k].state == JOB_WAITING)
			return k;
	return SIM_NO_JOB;
}

static void give_work(struct sim_sched *s, const struct sim_transport *t)
{
	for (unsigned w = 0; w < s->workers; w++) {
		if (!s->alive[w] || s->running[w] != SIM_NO_JOB)
			continue;
		u32 k = next_waiting(s);
		if (k == SIM_NO_JOB)
			return;
		struct job *j = &s->jobs[k];
		j->state = JOB_RUNNING;
		j->out.worker = w;
		j->out.attempts++;
		j->out.start = now(s);
		s->running[w] = k;
		/* A worker that cannot take it is lost: its event says so. */
		t->give(t->self, w, j->id);
	}
}

static void note_lost_attempt(struct sim_sched *s, const struct job *j, const char *why)
{
	if (s->lost_count == s->lost_cap) {
		u32 cap = s->lost_cap ? s->lost_cap * 2 : 8;
		struct sim_lost_attempt *a = realloc(s->lost_attempts, cap * sizeof(*a));
		if (!a)
			return; /* only the timeline misses it */
		s->lost_attempts = a;
		s->lost_cap = cap;
	}
	struct sim_lost_attempt *a = &s->lost_attempts[s->lost_count++];
	*a = (struct sim_lost_attempt){ j->id, j->out.worker, j->out.attempts, j->out.start, now(s),
					"" };
	snprintf(a->why, sizeof(a->why), "%s", why);
}

/* Worker w is gone: run its job again, or fail it. */
static void worker_lost(struct sim_sched *s, const struct sim_transport *t, unsigned w,
			const char *why)
{
	char name[128];
	t->name(t->self, w, name, sizeof(name));
	s->lost++;
	u32 k = s->running[w];
	s->running[w] = SIM_NO_JOB;
	bool restarted = t->start(t->self, w) == 0;
	if (!restarted) {
		s->alive[w] = false;
		s->nalive--;
	}
	if (k == SIM_NO_JOB) {
		fprintf(stderr, "encore simulate: %s was lost (%s)\n", name, why);
		return;
	}
	struct job *j = &s->jobs[k];
	fprintf(stderr, "encore simulate: %s was lost (%s) running interval %u%s\n", name, why,
		j->id, j->out.attempts < s->cfg.max_attempts && s->nalive ? "; it runs again" : "");
	note_lost_attempt(s, j, why);
	if (j->out.attempts < s->cfg.max_attempts && s->nalive) {
		j->state = JOB_WAITING;
		return;
	}
	struct sim_report r = { .job = j->id };
	snprintf(r.message, sizeof(r.message), "%s was lost running it (%s)%s", name, why,
		 j->out.attempts > 1 ? ", on every attempt" : "");
	finish_job(s, j, &r);
}

static void take_event(struct sim_sched *s, const struct sim_transport *t,
		       const struct sim_event *ev)
{
	if (ev->kind == SIM_EVENT_LOST) {
		worker_lost(s, t, ev->worker, ev->why);
		return;
	}
	u32 k = s->running[ev->worker];
	if (k == SIM_NO_JOB || s->jobs[k].id != ev->report.job)
		return; /* a late word about a job no longer its own */
	if (!ev->report.done) {
		observe(s, &ev->report);
		return;
	}
	s->running[ev->worker] = SIM_NO_JOB;
	finish_job(s, &s->jobs[k], &ev->report);
}

/* Every job still waiting fails: no worker is left to run it. */
static void fail_waiting(struct sim_sched *s)
{
	for (u32 k = 0; k < s->count; k++)
		if (s->jobs[k].state == JOB_WAITING) {
			struct sim_report r = { .job = s->jobs[k].id };
			snprintf(r.message, sizeof(r.message), "no worker was left to run it");
			finish_job(s, &s->jobs[k], &r);
		}
}

static bool finished(const struct sim_sched *s)
{
	return s->complete && s->done == s->count;
}

static int start_workers(struct sim_sched *s, const struct sim_transport *t)
{
	s->workers = t->workers;
	s->running = malloc(s->workers * sizeof(*s->running));
	s->alive = calloc(s->workers, sizeof(*s->alive));
	if (!s->running || !s->alive)
		return -1;
	for (unsigned w = 0; w < s->workers; w++) {
		s->running[w] = SIM_NO_JOB;
		s->alive[w] = t->start(t->self, w) == 0;
		s->nalive += s->alive[w];
	}
	return s->nalive ? 0 : -1;
}

int scheduler__run(struct sim_sched *s, const struct sim_transport *t)
{
	s->t0 = host_clock__seconds();
	if (start_workers(s, t)) {
		t->finish(t->self);
		return -1;
	}
	double last_source = -1;
	while (!finished(s)) {
		if (s->cfg.source && !s->complete && now(s) - last_source >= 0.2) {
			s->cfg.source(s->cfg.source_opaque, s);
			last_source = now(s);
		}
		if (!s->nalive)
			fail_waiting(s);
		give_work(s, t);
		if (finished(s))
			break;
		struct sim_event ev;
		t->wait(t->self, 0.25, &ev);
		if (ev.kind == SIM_EVENT_NONE)
			observe(s, NULL);
		else
			take_event(s, t, &ev);
	}
	t->finish(t->self);
	s->elapsed = now(s);
	return 0;
}

u32 scheduler__count(const struct sim_sched *s)
{
	return s->count;
}

const struct sim_outcome *scheduler__outcome(const struct sim_sched *s, u32 k)
{
	return &s->jobs[k].out;
}

u32 scheduler__lost(const struct sim_sched *s)
{
	return s->lost;
}

const struct sim_lost_attempt *scheduler__lost_attempts(const struct sim_sched *s, u32 *n)
{
	*n = s->lost_count;
	return s->lost_attempts;
}

double scheduler__now(const struct sim_sched *s)
{
	return now(s);
}

double scheduler__elapsed(const struct sim_sched *s)
{
	return s->elapsed;
}

void scheduler__free(struct sim_sched *s)
{
	if (!s)
		return;
	free(s->jobs);
	free(s->lost_attempts);
	free(s->running);
	free(s->alive);
	free(s);
}
