/* Time travel on a recording (timetravel.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debug/snapshots.h"
#include "debug/timetravel.h"
#include "encore/hooks.h"
#include "encore/plugin.h"

static struct encore_machine *machine_of(struct tt *tt)
{
	return tt->st.launch.guest.machine;
}

struct encore_machine *tt__machine(struct tt *tt)
{
	return machine_of(tt);
}

u64 tt__pos(struct tt *tt)
{
	return tt->base + machine__insns(machine_of(tt));
}

u64 tt__end_pos(const struct tt *tt)
{
	const struct rr_event *end = recording__end(tt->rec);
	if (rr_meta__by_exits(&tt->rec->meta))
		return TT_UNKNOWN; /* its landmarks count exits, not instructions */
	return end ? end->at.insns : tt->rec->log.through.insns;
}

u32 tt__checkpoint_before(const struct tt *tt, u64 pos)
{
	u32 best = 0;
	for (u32 k = 1; k < tt->nckpts; k++)
		if (tt->ckpt_pos[k] != TT_UNKNOWN && tt->ckpt_pos[k] <= pos &&
		    tt->ckpt_pos[k] >= tt->ckpt_pos[best])
			best = k;
	return best;
}

/* The checkpoint to restore to reach `target` for the first time:
 * the latest one before it (a checkpoint at `target` itself may be
 * later than the first arrival there, in an idle gap). */
static u32 restore_point(const struct tt *tt, u64 target)
{
	return target > tt->start_pos ? tt__checkpoint_before(tt, target - 1) : 0;
}

/* ---- what the guest printed ---- */

static void echo_console(struct tt *tt)
{
	u64 upto = tt->st.launch.session.console_bytes;
	if (!tt->echo_console || upto <= tt->console_printed || upto > tt->console_len)
		return;
	fwrite(tt->console + tt->console_printed, 1, upto - tt->console_printed, stdout);
	fflush(stdout);
	tt->console_printed = upto;
}

/* ---- hooks: breakpoints and watchpoints ----
 *
 * The interpreter runs its translated code with these hooks: a decoded
 * block that holds a breakpoint gets a handle listing where, each run of
 * it reports which instructions began, and every memory access is seen.
 * A search for the last hit (scanning) just notes each hit.  Going
 * forward, the first hit stops the run a few instructions later (at the
 * end of its block); the machine then goes back to the hit exactly,
 * from the checkpoint before it. */

struct break_block {
	unsigned n;
	u16 index[]; /* the instructions of the block that are breakpoints */
};

static u64 hook_pos(struct tt *tt, u64 icount)
{
	return tt->base + machine_of(tt)->insns_others + icount;
}

static void note_hit(struct tt *tt, u64 pos, enum tt_why why, const struct watch *w)
{
	tt->has_hit = true;
	tt->hit_pos = pos;
	tt->hit = (struct tt_stop){ .why = why };
	if (w)
		tt->hit.watch = *w;
}

/* Going forward: the first hit ends the run soon after. */
static void forward_hit(struct tt *tt, unsigned vcpu, u64 pos, enum tt_why why,
			const struct watch *w)
{
	if (tt->has_hit || pos == tt->resume_pos)
		return;
	note_hit(tt, pos, why, w);
	struct encore_machine *m = machine_of(tt);
	m->pause.requested = true;
	m->vcpus[vcpu].engine->ops->kick(m->vcpus[vcpu].engine);
}

static void *hook_decoded(void *opaque, unsigned vcpu, const struct encore_code_block *b)
{
	(void)vcpu;
	struct tt *tt = opaque;
	u16 found[256];
	unsigned n = 0;
	u64 rip = b->rip;
	for (unsigned k = 0; k < b->ninsns && n < 256; rip += b->lens[k++])
		if (points__break_at(&tt->points, rip))
			found[n++] = (u16)k;
	if (!n)
		return NULL;
	struct break_block *bb = malloc(sizeof(*bb) + n * sizeof(u16));
	void **list = realloc(tt->break_blocks, (tt->nbreak_blocks + 1) * sizeof(void *));
	if (!bb || !list) {
		fprintf(stderr, "encore replay: out of memory\n");
		exit(2);
	}
	bb->n = n;
	memcpy(bb->index, found, n * sizeof(u16));
	tt->break_blocks = list;
	tt->break_blocks[tt->nbreak_blocks++] = bb;
	return bb;
}

static void hook_ran(void *opaque, unsigned vcpu, u64 icount, void *handle, unsigned started,
		     unsigned retired)
{
	(void)retired;
	struct tt *tt = opaque;
	const struct break_block *bb = handle;
	if (!bb)
		return;
	for (unsigned k = 0; k < bb->n && bb->index[k] < started; k++) {
		u64 pos = hook_pos(tt, icount + bb->index[k]);
		if (!tt->scanning)
			forward_hit(tt, vcpu, pos, TT_BREAK, NULL);
		else if (pos < tt->scan_end)
			note_hit(tt, pos, TT_BREAK, NULL);
	}
}

static void hook_mem(void *opaque, unsigned vcpu, u64 icount, u64 vaddr, u64 paddr,
		     unsigned size, u64 value, unsigned flags)
{
	(void)paddr, (void)value;
	struct tt *tt = opaque;
	const struct watch *w = points__watch_hit(&tt->points, vaddr, size,
						  flags & HOOK_ACCESS_WRITE);
	if (!w)
		return;
	/* Where gdb wants the stop: after the access going forward and
	 * before it in reverse, or (watchpoints gdb steps over itself) the
	 * other way round, so that its step lands where the first would. */
	u64 pos = hook_pos(tt, icount);
	unsigned before = machine_of(tt)->arch->gdb_watch_before_access;
	if (!tt->scanning)
		forward_hit(tt, vcpu, pos + !before, TT_WATCH, w);
	else if (pos < tt->scan_end)
		note_hit(tt, pos + before, TT_WATCH, w);
}

static void free_break_blocks(struct tt *tt)
{
	for (size_t k = 0; k < tt->nbreak_blocks; k++)
		free(tt->break_blocks[k]);
	free(tt->break_blocks);
	tt->break_blocks = NULL;
	tt->nbreak_blocks = 0;
}

/* Engines keep the pointer: the hooks live in tt.  Setting hooks with
 * decoded-code callbacks, or removing them, drops every decoded block
 * (encore/hooks.h), so none keeps a handle made for other points. */
static void set_hooks(struct tt *tt, bool on)
{
	struct encore_machine *m = machine_of(tt);
	on = on && !points__empty(&tt->points);
	tt->hooks = (struct encore_hooks){ .code_opaque = tt };
	if (tt->points.nbreaks) {
		tt->hooks.on_block_decoded = hook_decoded;
		tt->hooks.on_block_ran = hook_ran;
	}
	if (tt->points.nwatches) {
		tt->hooks.on_mem = hook_mem;
		tt->hooks.mem_opaque = tt;
	}
	for (unsigned k = 0; k < m->nvcpus; k++) {
		struct encore_engine *e = m->vcpus[k].engine;
		e->ops->set_hooks(e, on ? &tt->hooks : NULL);
	}
	free_break_blocks(tt); /* no decoded block holds one now */
}

/* ---- runs ---- */

static void arm_pause(struct tt *tt, u64 pos, enum tt_why why)
{
	machine_of(tt)->pause.at = pos - tt->base;
	tt->arrive_why = why;
}

/* Go on forward from the stop the machine is at (inside its run). */
static void arm_forward(struct tt *tt, enum tt_verb verb)
{
	struct encore_machine *m = machine_of(tt);
	tt->resume_pos = tt__pos(tt);
	tt->has_hit = false;
	set_hooks(tt, verb == TT_CONTINUE);
	if (verb == TT_STEP)
		arm_pause(tt, tt->resume_pos + 1, TT_STEPPED);
	else
		m->pause.at = MACHINE_NO_PAUSE;
}

static void leave_run(struct tt *tt)
{
	machine__request_stop(machine_of(tt), 0);
}

static void on_live(void *opaque)
{
	struct tt *tt = opaque;
	struct launch *l = &tt->st.launch;
	echo_console(tt);
	fprintf(stderr, "\r\nencore replay: live from instruction %llu: the console is yours, "
		"Ctrl-A x leaves\r\n", (unsigned long long)tt__pos(tt));
	l->console.out = stdout;
	if (guest__go_live(&l->guest, &l->console, NULL))
		leave_run(tt);
}

/* Leave the recording at the next poll: no more stops, nothing checked. */
static void go_live(struct tt *tt)
{
	struct encore_machine *m = machine_of(tt);
	set_hooks(tt, false);
	m->pause.at = MACHINE_NO_PAUSE;
	tt->live = true;
	tt->echo_console = false;
	echo_console(tt);
	rr_session__live_at(&tt->st.launch.session, machine__progress(m), on_live, tt);
}

/* ---- in-memory checkpoints (snapshots.h) ---- */

static void arrived(struct tt *tt);
static void head_for(struct tt *tt, u64 from, u64 target, enum tt_why why);

/* What a process taking over from an in-memory checkpoint needs: where
 * to go and what to say there, and everything that changed since the
 * copy was made (it knows the rest). */
struct handoff {
	u64 target;
	struct tt_stop stop;
	bool has_then;
	enum tt_verb then;
	struct points points;
	u64 console_printed;
	bool echo_console;
	char divergence[1200];
	u32 nckpts;
	size_t client_len;
	/* then nckpts u64 checkpoint positions, then the client's state */
};

size_t tt__handoff_max(const struct tt *tt)
{
	return sizeof(struct handoff) + tt->nckpts * sizeof(u64) + TT_CLIENT_STATE_MAX;
}

/* Hand over to the in-memory checkpoint in `slot` (at or before
 * `target`); returns only if that copy is gone. */
static void hand_over(struct tt *tt, int slot, u64 target, struct tt_stop stop)
{
	size_t max;
	u8 *buf = snapshots__handoff(&max);
	struct handoff *h = (struct handoff *)buf;
	*h = (struct handoff){ .target = target, .stop = stop, .has_then = tt->has_then,
			       .then = tt->then, .points = tt->points,
			       .console_printed = tt->console_printed,
			       .echo_console = tt->echo_console, .nckpts = tt->nckpts };
	memcpy(h->divergence, tt->divergence, sizeof(h->divergence));
	u8 *p = buf + sizeof(*h);
	memcpy(p, tt->ckpt_pos, tt->nckpts * sizeof(u64));
	p += tt->nckpts * sizeof(u64);
	h->client_len = tt->client.save(tt->client.opaque, p, max - (size_t)(p - buf));
	snapshots__resume(slot, tt->client.connection(tt->client.opaque));
}

static void load_handoff(struct tt *tt, int fd)
{
	size_t max;
	const u8 *buf = snapshots__handoff(&max);
	const struct handoff *h = (const struct handoff *)buf;
	tt->points = h->points;
	tt->console_printed = h->console_printed;
	tt->echo_console = h->echo_console;
	memcpy(tt->divergence, h->divergence, sizeof(tt->divergence));
	const u8 *p = buf + sizeof(*h);
	memcpy(tt->ckpt_pos, p, tt->nckpts * sizeof(u64));
	p += h->nckpts * sizeof(u64);
	tt->client.load(tt->client.opaque, p, h->client_len, fd);
	tt->has_then = h->has_then;
	tt->then = h->then;
	tt->go_target = h->target;
	tt->arrive_why_after = h->stop.why;
	tt->has_hit = h->stop.why == TT_BREAK || h->stop.why == TT_WATCH;
	tt->hit = h->stop;
	tt->hit_pos = h->target;
}

/* Leave a copy of this process here; true in a process that has just
 * taken over from such a copy (its state loaded: continue_resumed). */
static bool take_snapshot(struct tt *tt, bool automatic)
{
	int fd = -1;
	int r = snapshots__take(tt__pos(tt), automatic, &fd);
	if (r != SNAPSHOT_RESUMED) {
		tt->last_snapshot = r;
		return false;
	}
	load_handoff(tt, fd);
	return true;
}

/* Taken over from a copy: go where the handed-over order says. */
static void continue_resumed(struct tt *tt)
{
	set_hooks(tt, false);
	tt->snap_at = TT_UNKNOWN;
	tt->arrive_why = tt->arrive_why_after;
	if (tt->go_target == tt__pos(tt))
		return arrived(tt);
	head_for(tt, tt__pos(tt), tt->go_target, tt->arrive_why_after);
}

/* Run from `from` to `target`, where the stop is `why`.  From far away,
 * leave an in-memory copy a little before the target on the way, for
 * the steps back that usually follow. */
static void head_for(struct tt *tt, u64 from, u64 target, enum tt_why why)
{
	u64 end = tt__end_pos(tt);
	tt->go_target = target;
	tt->arrive_why_after = why;
	tt->snap_at = TT_UNKNOWN;
	if (snapshots__enabled() && target != ~0ull && (end == TT_UNKNOWN || target <= end) &&
	    target - from > TT_SNAPSHOT_AFTER)
		tt->snap_at = target - TT_SNAPSHOT_BACK;
	arm_pause(tt, tt->snap_at != TT_UNKNOWN ? tt->snap_at : target, why);
}

/* The nearest position before `target` that a restore or a handover
 * starts from. */
static u64 best_start(const struct tt *tt, u64 target)
{
	u64 best = tt->ckpt_pos[restore_point(tt, target)];
	int slot = snapshots__before(target);
	if (slot >= 0 && snapshots__info(slot)->pos > best)
		best = snapshots__info(slot)->pos;
	return best;
}

/* Inside a pause: serve the client until it orders something; carry
 * out what can be done from here (going forward), and leave the run
 * for the rest. */
static void serve_here(struct tt *tt, struct tt_stop stop)
{
	for (;;) {
		struct tt_order o;
		tt->client.serve(tt->client.opaque, tt, &stop, &o);
		u64 pos = tt__pos(tt);
		switch (o.verb) {
		case TT_STEP:
		case TT_CONTINUE:
			arm_forward(tt, o.verb);
			return;
		case TT_GOTO:
			if (o.pos == pos) {
				stop = (struct tt_stop){ .why = TT_ARRIVED };
				continue;
			}
			if (o.pos > pos && best_start(tt, o.pos) <= pos) {
				set_hooks(tt, false); /* nothing nearer: run on there */
				head_for(tt, pos, o.pos, TT_ARRIVED);
				return;
			}
			break;
		case TT_QUIT:
			tt->quit = true;
			leave_run(tt);
			return;
		case TT_LIVE:
			go_live(tt);
			return;
		case TT_SNAPSHOT:
			if (take_snapshot(tt, false))
				return continue_resumed(tt);
			continue; /* the same stop: the client says what it got */
		default:
			break;
		}
		tt->order = o;
		tt->order_pending = true;
		leave_run(tt);
		return;
	}
}

/* The machine is where it was going: report the stop, or carry out the
 * forward order that waited for getting there. */
static void arrived(struct tt *tt)
{
	if (tt->has_then) { /* arrived where a forward order was given */
		tt->has_then = false;
		if (tt->then == TT_LIVE)
			go_live(tt);
		else
			arm_forward(tt, tt->then);
		return;
	}
	struct tt_stop stop = { .why = tt->arrive_why };
	if (tt->has_hit) {
		tt->has_hit = false;
		if (tt__pos(tt) != tt->hit_pos) { /* ran past it: go back there */
			tt->order = (struct tt_order){ .verb = TT_RETURN_TO_HIT };
			tt->order_pending = true;
			leave_run(tt);
			return;
		}
		stop = tt->hit;
	}
	serve_here(tt, stop);
}

static void on_pause(void *opaque)
{
	struct tt *tt = opaque;
	echo_console(tt);
	if (tt->scanning) {
		leave_run(tt);
		return;
	}
	if (tt->snap_at == tt__pos(tt)) { /* on the way: leave a copy here */
		tt->snap_at = TT_UNKNOWN;
		if (take_snapshot(tt, true))
			return continue_resumed(tt);
		arm_pause(tt, tt->go_target, tt->arrive_why_after);
		return;
	}
	arrived(tt);
}

static void on_poll(void *opaque)
{
	struct tt *tt = opaque;
	echo_console(tt);
	struct encore_machine *m = machine_of(tt);
	if (tt->scanning || tt->live || !tt->client.interrupt || !tt->client.interrupt(tt->client.opaque))
		return;
	u64 next = machine__insns(m) + 1;
	if (m->pause.at == MACHINE_NO_PAUSE || m->pause.at > next) {
		m->pause.at = next;
		tt->arrive_why = TT_INTERRUPTED;
	}
}

static void learn_checkpoint(void *opaque, u32 index)
{
	struct tt *tt = opaque;
	if (index < tt->nckpts && tt->ckpt_pos[index] == TT_UNKNOWN)
		tt->ckpt_pos[index] = tt__pos(tt);
}

/* A fresh machine at checkpoint k; -1 after a message. */
static int build(struct tt *tt, u32 k)
{
	stretch__close(&tt->st); /* the last machine, if any */
	struct stretch_spec spec = { .has_from = true, .from = k, .quiet = true, .cmd = "replay" };
	if (stretch__open(&tt->st, &spec, tt->rec))
		return -1;
	if (stretch__start(&tt->st, tt->rec, tt->console, tt->console_len))
		return -1;
	struct launch *l = &tt->st.launch;
	struct encore_machine *m = l->guest.machine;
	tt->base = tt->ckpt_pos[k] - machine__insns(m);
	m->pause.fn = on_pause;
	m->pause.opaque = tt;
	l->on_poll = on_poll;
	l->on_poll_opaque = tt;
	l->session.on_checkpoint = learn_checkpoint;
	l->session.checkpoint_opaque = tt;
	tt->finished = false;
	tt->has_hit = false;
	tt->snap_at = TT_UNKNOWN;
	free_break_blocks(tt);
	return 0;
}

/* The run ended by itself: the replay's end (checked), a divergence or
 * a signal. */
static void finish(struct tt *tt)
{
	struct launch *l = &tt->st.launch;
	struct rr_session *s = &l->session;
	echo_console(tt);
	tt->finished = true;
	if (s->interrupted || tt->live) {
		if (s->went_live)
			tt->live_status = launch__status(l, true);
		tt->quit = true;
		return;
	}
	rr_session__end_replay(s, &l->result, launch__status(l, false));
	if (s->div.found && !tt->divergence[0]) {
		snprintf(tt->divergence, sizeof(tt->divergence), "%s", s->div.what);
		fprintf(stderr, "\nencore replay: the replay diverged from its recording: %s\n",
			s->div.what);
	}
}

/* Run the machine build() made, to the replay's end at the latest. */
static void run(struct tt *tt)
{
	launch__run(&tt->st.launch, stretch__instruction_bound(&tt->st, tt->rec));
	if (!tt->order_pending && !tt->quit && !tt->scanning)
		finish(tt);
}

/* Arrive at `target` from the checkpoint before it, then serve `stop`
 * there (unless the replay ends first). */
static void go(struct tt *tt, u64 target, struct tt_stop stop)
{
	u32 k = restore_point(tt, target);
	int slot = snapshots__before(target);
	if (slot >= 0 && snapshots__info(slot)->pos >= tt->ckpt_pos[k])
		hand_over(tt, slot, target, stop); /* returns if that copy is gone */
	if (build(tt, k)) {
		tt->quit = true;
		return;
	}
	set_hooks(tt, false);
	head_for(tt, tt->ckpt_pos[k], target, stop.why);
	if (stop.why == TT_WATCH || stop.why == TT_BREAK) {
		tt->hit = stop;
		tt->hit_pos = target;
		tt->has_hit = true; /* reported as is on arrival */
	}
	run(tt);
}

/* The last breakpoint or watchpoint hit before `end`, searching back one
 * checkpoint interval at a time; false if there is none since the start. */
static bool scan_back(struct tt *tt, u64 end)
{
	u64 hi = end;
	for (;;) {
		u32 k = restore_point(tt, hi);
		if (build(tt, k)) {
			tt->quit = true;
			return false;
		}
		tt->scanning = true;
		tt->scan_end = hi;
		set_hooks(tt, true);
		arm_pause(tt, hi, TT_ARRIVED);
		run(tt);
		tt->scanning = false;
		if (tt->has_hit || tt->quit || k == 0)
			return tt->has_hit && !tt->quit;
		hi = tt->ckpt_pos[k];
	}
}

/* Serve a stop outside any run (the machine has stopped), then carry out
 * the order. */
static void serve_stopped(struct tt *tt, struct tt_stop stop);

static void carry_out(struct tt *tt, const struct tt_order *o)
{
	u64 pos = tt__pos(tt);
	switch (o->verb) {
	case TT_QUIT:
		tt->quit = true;
		return;
	case TT_STEP:
	case TT_CONTINUE:
		if (tt->finished)
			return serve_stopped(tt, (struct tt_stop){ .why = TT_END });
		/* get back to here in a live run, then go on */
		tt->has_then = true;
		tt->then = o->verb;
		go(tt, pos, (struct tt_stop){ .why = TT_ARRIVED });
		return;
	case TT_REVERSE_STEP:
		if (pos <= tt->start_pos)
			return go(tt, tt->start_pos, (struct tt_stop){ .why = TT_BEGIN });
		return go(tt, pos - 1, (struct tt_stop){ .why = TT_STEPPED });
	case TT_REVERSE_CONTINUE:
		if (pos > tt->start_pos && scan_back(tt, pos)) {
			return go(tt, tt->hit_pos, tt->hit);
		}
		if (tt->quit)
			return;
		return go(tt, tt->start_pos, (struct tt_stop){ .why = TT_BEGIN });
	case TT_GOTO:
		return go(tt, o->pos, (struct tt_stop){ .why = TT_ARRIVED });
	case TT_RETURN_TO_HIT:
		return go(tt, tt->hit_pos, tt->hit);
	case TT_SNAPSHOT: /* the replay has ended: nothing to keep */
		tt->last_snapshot = SNAPSHOT_NONE;
		return serve_stopped(tt, (struct tt_stop){ .why = TT_END });
	case TT_LIVE:
		if (tt->finished) {
			fprintf(stderr, "encore replay: the replay is at its end: there is nothing to go "
				"on live from\n");
			tt->quit = true;
			return;
		}
		tt->has_then = true;
		tt->then = TT_LIVE;
		go(tt, pos, (struct tt_stop){ .why = TT_ARRIVED });
		return;
	}
}

static void serve_stopped(struct tt *tt, struct tt_stop stop)
{
	struct tt_order o;
	tt->client.serve(tt->client.opaque, tt, &stop, &o);
	carry_out(tt, &o);
}

void tt__run(struct tt *tt)
{
	go(tt, tt->start_pos, (struct tt_stop){ .why = TT_AT_START });
	while (!tt->quit) {
		if (tt->order_pending) {
			tt->order_pending = false;
			struct tt_order o = tt->order;
			carry_out(tt, &o);
		} else if (tt->finished) {
			serve_stopped(tt, (struct tt_stop){ .why = TT_END });
		} else {
			break; /* cannot happen: a run ends one of the ways above */
		}
	}
}

int tt__open(struct tt *tt, const struct recording *rec, const u8 *console,
	     size_t console_len, const struct tt_client *client)
{
	memset(tt, 0, sizeof(*tt));
	tt->rec = rec;
	tt->console = console;
	tt->console_len = console_len;
	tt->client = *client;
	/* The checkpoints: their positions are known from the log when it
	 * counts instructions; a recording by exits learns them on the way. */
	struct stretch_spec spec = { .cmd = "replay" };
	if (stretch__open(&tt->st, &spec, rec)) {
		stretch__close(&tt->st);
		return -1;
	}
	const struct snap_reader *r = &tt->st.snap;
	tt->nckpts = r->count;
	tt->ckpt_pos = malloc((r->count ? r->count : 1) * sizeof(u64));
	if (!tt->ckpt_pos) {
		stretch__close(&tt->st);
		fprintf(stderr, "encore replay: out of memory\n");
		return -1;
	}
	bool by_exits = rr_meta__by_exits(&rec->meta);
	for (u32 k = 0; k < r->count; k++) {
		const struct rr_event *ev = stretch__checkpoint_event(rec, k, NULL);
		bool final = r->info[k].flags & CKPT_FLAG_FINAL;
		tt->ckpt_pos[k] = ev && !final && (!by_exits || k == 0) ? ev->at.insns : TT_UNKNOWN;
	}
	stretch__close(&tt->st);
	if (!tt->nckpts || tt->ckpt_pos[0] == TT_UNKNOWN) {
		fprintf(stderr, "encore replay: %s has no first checkpoint to start from\n",
			rec->dir);
		free(tt->ckpt_pos);
		return -1;
	}
	if (by_exits)
		tt->ckpt_pos[0] = 0;
	tt->start_pos = tt->ckpt_pos[0];
	tt->snap_at = TT_UNKNOWN;
	tt->last_snapshot = SNAPSHOT_NONE;
	return 0;
}

void tt__close(struct tt *tt)
{
	stretch__close(&tt->st);
	free(tt->ckpt_pos);
	tt->ckpt_pos = NULL;
	free_break_blocks(tt);
}
