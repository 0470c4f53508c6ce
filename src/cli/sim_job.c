/* One job of encore simulate (sim_job.h). */
#include <stdio.h>
#include <string.h>

#include "sim_job.h"
#include "stretch.h"
#include "encore/host_clock.h"

struct job {
	const struct sim_plan *plan;
	u32 id;
	u32 first, last;        /* the intervals it analyses */
	struct stretch *st;
	struct plugin_run run;
	bool failed;            /* a plugin failed */
	double plugin_seconds;  /* in the plugins' begin and end of intervals */
	char error[SIM_MESSAGE_MAX];
};

/* The plugins' end of an interval, timed. */
static int end_interval(struct job *j)
{
	double t0 = host_clock__seconds();
	int rc = plugin_run__end(&j->run);
	j->plugin_seconds += host_clock__seconds() - t0;
	return rc;
}

static int begin_interval(struct job *j, u32 index)
{
	double t0 = host_clock__seconds();
	int rc = plugin_run__begin(&j->run, &j->plan->iv[index]);
	j->plugin_seconds += host_clock__seconds() - t0;
	return rc;
}

/* Checkpoint `index` verified: interval index-1 ends, interval index starts. */
static void boundary(void *opaque, u32 index)
{
	struct job *j = opaque;
	if (j->run.active && end_interval(j) && !j->failed) {
		j->failed = true;
		snprintf(j->error, sizeof(j->error), "interval %u: %s", index - 1, j->run.error);
	}
	if (j->failed || index < j->first || index > j->last)
		return;
	if (begin_interval(j, index)) {
		j->failed = true;
		snprintf(j->error, sizeof(j->error), "interval %u: %s", index, j->run.error);
		machine__request_stop(j->st->launch.guest.machine, 0);
	}
}

static void progress(void *opaque)
{
	struct job *j = opaque;
	/* Landmark progress: exits for a recording made on KVM. */
	u64 done = machine__progress(j->st->launch.guest.machine) - j->plan->landmark[j->first];
	sim_progress(j->id, done);
}

/* Why the stretch did not end exactly, with its landmark. */
static void describe_failure(struct job *j, struct sim_report *out)
{
	const struct rr_session *s = &j->st->launch.session;
	char where[RR_LANDMARK_TEXT];
	if (j->failed) {
		snprintf(out->message, sizeof(out->message), "%s", j->error);
	} else if (s->div.found) {
		rr_landmark__format(where, sizeof(where), &s->div.at);
		snprintf(out->message, sizeof(out->message), "diverged at %s: %s (last match: %s)",
			 where, s->div.what, s->div.matched_any ? s->div.last_match : "none");
	} else if (s->interrupted) {
		snprintf(out->message, sizeof(out->message), "stopped by signal %d",
			 s->interrupted - 128);
	} else {
		snprintf(out->message, sizeof(out->message), "the replay ended at instruction %llu "
			 "without reaching checkpoint %u", (unsigned long long)j->st->launch.result.insns,
			 j->last + 1);
	}
}

static void run_stretch(struct job *j, struct sim_report *out)
{
	const struct sim_plan *p = j->plan;
	struct stretch *st = j->st;
	struct stretch_spec spec = { .has_from = !(p->serial && j->first == 0), .from = j->first,
				     .has_to = true, .to = j->last + 1, .quiet = true,
				     .cmd = "simulate" };
	if (stretch__open(st, &spec, p->rec) || stretch__start(st, p->rec, p->console,
							       p->console_len)) {
		snprintf(out->message, sizeof(out->message), "could not start at checkpoint %u (the "
			 "message above says why)", j->first);
		return;
	}
	struct launch *l = &st->launch;
	plugin_run__init(&j->run, p->plugins, l->guest.machine, p->out_dir);
	l->session.on_checkpoint = boundary;
	l->session.checkpoint_opaque = j;
	l->on_poll = progress;
	l->on_poll_opaque = j;
	stretch__run(st, p->rec);
	bool exact = stretch__exact(st, p->rec);
	if (exact && !j->failed && j->run.active && end_interval(j)) {
		j->failed = true;
		snprintf(j->error, sizeof(j->error), "interval %u: %s", j->last, j->run.error);
	}
	plugin_run__abort(&j->run);
	out->ok = exact && !j->failed;
	/* A recording made on KVM has no instruction counts at its
	 * checkpoints: the interpreter counts from 0 at the start. */
	u64 start = l->guest.machine->by_exits ? 0 : p->iv[j->first].first_icount;
	out->insns = l->result.insns > start ? l->result.insns - start : 0;
	out->restore_ms = st->restore_seconds * 1e3;
	out->plugin_ms = j->plugin_seconds * 1e3;
	out->pages_loaded = l->guest.machine->pages.fetched;
	if (!out->ok)
		describe_failure(j, out);
}

void sim_job__run(void *plan, u32 id, struct sim_report *out)
{
	const struct sim_plan *p = plan;
	static struct stretch st;
	struct job j = { .plan = p, .id = id, .st = &st };
	j.first = p->serial ? p->first_interval : id;
	j.last = p->serial ? p->last_interval : id;
	run_stretch(&j, out);
	stretch__close(&st);
}
