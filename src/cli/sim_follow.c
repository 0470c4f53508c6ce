/*
 * encore simulate --follow: simulate a recording while it is written.
 * The scheduler asks a few times a second for new intervals; one is new
 * once its end checkpoint is durable.  The run ends when the recording is
 * final, or when its recorder is gone (killed) without finishing it: then
 * the complete prefix is what was simulated (sim_state.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "sim_state.h"
#include "rr/rec_dir.h"
#include "sim/progress.h"

void sim_follow__run_job(void *state, u32 job, struct sim_report *out)
{
	struct sim_state *s = state;
	/* Forked before the interval existed: read the recording again. */
	if (s->opts.follow && job >= s->plan.intervals &&
	    (sim_state__refresh(s) || job >= s->plan.intervals)) {
		snprintf(out->message, sizeof(out->message), "interval %u is not in %s as this "
			 "worker reads it", job, s->opts.dir);
		return;
	}
	sim_job__run(&s->plan, job, out);
}

static void add_mark(struct sim_state *s, struct sim_sched *sched)
{
	const struct snap_reader *r = &s->snap;
	u32 durable = s->plan.intervals ? s->plan.intervals + 1 : r->count ? 1 : 0;
	if (s->nmarks && s->marks[s->nmarks - 1].checkpoints == durable)
		return;
	if (s->nmarks == s->marks_cap) {
		u32 cap = s->marks_cap ? s->marks_cap * 2 : 64;
		struct timeline_mark *m = realloc(s->marks, cap * sizeof(*m));
		if (!m)
			return;
		s->marks = m;
		s->marks_cap = cap;
	}
	s->marks[s->nmarks++] = (struct timeline_mark){
		.at = scheduler__now(sched), .checkpoints = durable,
		.insns = durable ? r->info[durable - 1].insns : 0 };
}

void sim_follow__source(void *state, struct sim_sched *sched)
{
	struct sim_state *s = state;
	/* Asked before reading: a recorder gone now has written all it will. */
	bool recorder_alive = rec_dir__being_recorded(s->opts.dir);
	if (sim_state__refresh(s)) {
		if (!recorder_alive) {
			s->cut = true;
			scheduler__no_more(sched);
		}
		return;
	}
	const struct sim_plan *p = &s->plan;
	for (; s->announced < p->intervals; s->announced++) {
		u32 k = s->announced;
		if (scheduler__add(sched, k) ||
		    (s->progress && progress__add(s->progress, k, p->landmark[k + 1] -
								    p->landmark[k])))
			fprintf(stderr, "encore simulate: out of memory\n");
	}
	add_mark(s, sched);
	if (s->final) {
		scheduler__no_more(sched);
	} else if (!recorder_alive) {
		s->cut = true;
		scheduler__no_more(sched);
	}
}
