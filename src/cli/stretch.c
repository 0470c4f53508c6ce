/* Replaying one stretch of a recording (stretch.h). */
#include <stdio.h>
#include <string.h>

#include "stretch.h"
#include "rr/disk_log.h"
#include "rr/rec_dir.h"
#include "encore/host_clock.h"

const struct rr_event *stretch__checkpoint_event(const struct recording *rec, u32 k,
						 size_t *index)
{
	for (size_t e = 0; e < rec->log.count; e++) {
		const struct rr_event *ev = &rec->log.events[e];
		if (ev->kind == RR_EV_CHECKPOINT && ev->checkpoint.index == k) {
			if (index)
				*index = e;
			return ev;
		}
	}
	return NULL;
}

static int check_guest_files(const struct stretch_spec *o, const struct recording *rec)
{
	char err[1024];
	const struct rr_meta *m = &rec->meta;
	if (rr_meta__check_engine(m, err, sizeof(err))) {
		fprintf(stderr, "encore %s: %s\n", o->cmd, err);
		return -1;
	}
	if (o->kvm && !rr_meta__by_exits(m)) {
		fprintf(stderr, "encore %s: %s was recorded on the interpreter: its landmarks are "
			"instruction counts, which only the interpreter can stop at (replay it "
			"with --engine interp)\n", o->cmd, rec->dir);
		return -1;
	}
	if (o->has_from) /* the checkpoint holds the loaded guest */
		return 0;
	if ((m->kernel[0] && rec_dir__check_file(rec->dir, m->kernel, m->kernel_hash, err,
						 sizeof(err))) ||
	    (m->initrd[0] && rec_dir__check_file(rec->dir, m->initrd, m->initrd_hash, err,
						 sizeof(err)))) {
		fprintf(stderr, "encore %s: %s\n", o->cmd, err);
		return -1;
	}
	return 0;
}

/* from and to against the checkpoints the recording holds. */
static int check_checkpoints(struct stretch *st, const struct recording *rec)
{
	const struct stretch_spec *o = &st->spec;
	char err[1024];
	st->snap_open = true; /* closed even if opening fails half way */
	if (snap_reader__open(&st->snap, rec->dir, rec->meta.id, err, sizeof(err))) {
		fprintf(stderr, "encore %s: %s\n", o->cmd, err);
		return -1;
	}
	const struct snap_reader *r = &st->snap;
	if (recording__check_checkpoints(rec, r, o->cmd))
		return -1;
	if (!o->has_from && !o->has_to)
		return 0;
	u32 last = r->count ? r->count - 1 : 0;
	bool final = r->count && (r->info[last].flags & CKPT_FLAG_FINAL);
	if (o->has_from && (o->from >= r->count || (final && o->from == last) ||
			    !stretch__checkpoint_event(rec, o->from, NULL))) {
		fprintf(stderr, "encore %s: %s has no checkpoint %u to start from (it has %u%s; "
			"'encore inspect' lists them)\n", o->cmd, rec->dir, o->from, r->count,
			final ? ", the last of them the final state" : ", and was cut short");
		return -1;
	}
	st->to_final = o->has_to && final && o->to == last;
	if (o->has_to && !st->to_final && !stretch__checkpoint_event(rec, o->to, NULL)) {
		fprintf(stderr, "encore %s: %s has no checkpoint %u to stop at (its last is "
			"%u%s)\n", o->cmd, rec->dir, o->to, r->count ? last : 0,
			final ? ", the final state" : "");
		return -1;
	}
	return 0;
}

int stretch__open(struct stretch *st, const struct stretch_spec *spec, const struct recording *rec)
{
	memset(st, 0, sizeof(*st));
	st->spec = *spec;
	/* A recording that branched from another's replay starts at its
	 * checkpoint 0: it has no boot of its own. */
	if (rec->meta.branch_of[0] && !spec->has_from) {
		st->spec.has_from = true;
		st->spec.from = 0;
	}
	if (check_guest_files(&st->spec, rec))
		return -1;
	return check_checkpoints(st, rec);
}

/* The guest options that rebuild the recorded machine. */
static void guest_options(const struct stretch_spec *o, const struct recording *rec,
			  struct guest_opts *g, char *kernel, char *initrd)
{
	const struct rr_meta *m = &rec->meta;
	memset(g, 0, sizeof(*g));
	g->arch = rr_meta__arch(m);
	g->demo = !strcmp(m->guest, "demo");
	g->mem = m->mem;
	g->smp = (unsigned)m->smp;
	g->append = m->has_append ? m->append : NULL;
	g->rtc_epoch = rec->log.events[0].boot_time;
	g->empty = o->has_from;
	g->kvm = o->kvm;
	g->by_exits = rr_meta__by_exits(m);
	g->nic = m->net[0] != 0;
	if (m->kernel[0]) {
		snprintf(kernel, REC_PATH_MAX + 64, "%s/%s", rec->dir, m->kernel);
		g->kernel = kernel;
	}
	if (m->initrd[0]) {
		snprintf(initrd, REC_PATH_MAX + 64, "%s/%s", rec->dir, m->initrd);
		g->initrd = initrd;
	}
}

/* The recorded disks, with no file behind them: their content comes
 * from the recording's disk journal and page store. */
static int replay_disks(struct stretch *st, const struct recording *rec, struct guest_opts *g)
{
	const struct rr_meta *m = &rec->meta;
	int n = rr_meta__ndisks(m);
	if (n <= 0)
		return 0;
	char err[1024];
	st->disks = disk_replayer__open(rec->dir, m->id, &st->snap, err, sizeof(err));
	if (!st->disks) {
		fprintf(stderr, "encore %s: %s\n", st->spec.cmd, err);
		return -1;
	}
	for (int k = 0; k < n; k++) {
		struct guest_disk *d = &g->disks[k];
		rr_meta__disk(m, (unsigned)k, &d->size, &d->readonly);
		d->fetch = disk_replayer__fetch(st->disks, (unsigned)k, &d->fetch_opaque);
	}
	g->ndisks = (unsigned)n;
	g->disk_history = disk_replayer__history(st->disks);
	return 0;
}

/* Put the freshly built machine into checkpoint `from`'s state. */
static int restore(struct stretch *st, const struct recording *rec, const u8 *console,
		   size_t console_len)
{
	const struct stretch_spec *o = &st->spec;
	struct launch *l = &st->launch;
	char err[1024];
	size_t event = 0;
	const struct rr_event *ev = stretch__checkpoint_event(rec, o->from, &event);
	struct page_map map;
	double t0 = host_clock__seconds();
	if (page_map__init(&map, l->guest.machine->pages.nframes)) {
		fprintf(stderr, "encore %s: out of memory\n", o->cmd);
		return -1;
	}
	/* KVM reads guest memory directly: it cannot fetch pages on touch. */
	bool sparse = !o->full_restore && !o->kvm;
	if (snap_reader__restore(&st->snap, o->from, l->guest.machine, sparse, &map,
				 err, sizeof(err))) {
		fprintf(stderr, "encore %s: %s: %s\n", o->cmd, rec->dir, err);
		page_map__free(&map);
		return -1;
	}
	const struct ckpt_info *i = &st->snap.info[o->from];
	if (i->state_hash != ev->checkpoint.state_hash || i->insns != ev->at.insns ||
	    i->event_index != event || i->console_bytes != ev->checkpoint.console_bytes) {
		fprintf(stderr, "encore %s: %s: checkpoint %u and its event in the log "
			"disagree: the recording is corrupt\n", o->cmd, rec->dir, o->from);
		page_map__free(&map);
		return -1;
	}
	if (i->console_bytes > console_len) {
		fprintf(stderr, "encore %s: %s/%s is shorter than checkpoint %u says\n", o->cmd,
			rec->dir, REC_CONSOLE_FILE, o->from);
		page_map__free(&map);
		return -1;
	}
	st->restore_seconds = host_clock__seconds() - t0;
	rr_session__replay_from(&l->session, &rec->log, console, console_len, &map, event);
	return 0;
}

/* A checkpoint did not match: compare the machine with the stored one,
 * through a reader of its own (the stretch's may be feeding a sparse
 * restore its pages). */
static void explain(void *opaque, u32 index, const struct page_map *map, char *out, size_t n)
{
	struct stretch *st = opaque;
	static struct snap_reader r;
	char err[512];
	if (snap_reader__open(&r, st->dir, st->id, err, sizeof(err)))
		snprintf(out, n, "cannot compare with the stored checkpoint: %s", err);
	else
		snap_reader__explain(&r, index, st->launch.guest.machine, map, out, n);
	snap_reader__close(&r);
}

int stretch__start(struct stretch *st, const struct recording *rec, const u8 *console,
		   size_t console_len)
{
	char kernel[REC_PATH_MAX + 64], initrd[REC_PATH_MAX + 64];
	struct guest_opts g;
	guest_options(&st->spec, rec, &g, kernel, initrd);
	if (replay_disks(st, rec, &g))
		return -1;
	st->launched = true; /* destroyed even if creating fails half way */
	if (launch__create(&st->launch, &g, false, false, rec->meta.input_slice))
		return -1;
	if (st->spec.quiet)
		st->launch.console.out = NULL;
	st->dir = rec->dir;
	st->id = rec->meta.id;
	st->launch.session.explain_checkpoint = explain;
	st->launch.session.explain_opaque = st;
	if (st->spec.has_from ? restore(st, rec, console, console_len)
			      : rr_session__replay(&st->launch.session, &rec->log, console,
						   console_len))
		return -1;
	if (st->spec.has_to && !st->to_final)
		rr_session__stop_at_checkpoint(&st->launch.session, st->spec.to);
	return 0;
}

u64 stretch__instruction_bound(const struct stretch *st, const struct recording *rec)
{
	const struct rr_event *to = st->spec.has_to && !st->to_final
		? stretch__checkpoint_event(rec, st->spec.to, NULL) : NULL;
	if (to)
		return to->at.insns + 1;
	const struct rr_event *end = recording__end(rec);
	if (!end)
		return rec->log.through.insns + 1;
	return end->end.outcome == RUN_LIMIT ? end->at.insns : end->at.insns + 1;
}

void stretch__run(struct stretch *st, const struct recording *rec)
{
	struct launch *l = &st->launch;
	launch__run(l, stretch__instruction_bound(st, rec));
	rr_session__end_replay(&l->session, &l->result, launch__status(l, false));
}

bool stretch__exact(const struct stretch *st, const struct recording *rec)
{
	const struct rr_session *s = &st->launch.session;
	if (s->div.found || s->interrupted)
		return false;
	return s->reached_stop || (rec->log.ended && s->next_event == rec->log.count);
}

void stretch__close(struct stretch *st)
{
	if (st->launched)
		launch__destroy(&st->launch);
	disk_replayer__close(st->disks);
	st->disks = NULL;
	if (st->snap_open)
		snap_reader__close(&st->snap);
	st->launched = st->snap_open = false;
}
