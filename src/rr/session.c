/*
 * Run sessions: live, recording and replaying (session.h).  Every host
 * input reaches the machine at a run-loop poll or an idle decision, so
 * those are the only places where a recording logs and a replay injects;
 * a landmark names such a place exactly (rr_log.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "encore/host_clock.h"
#include "encore/hw.h"
#include "encore/state_hash.h"
#include "session.h"

#define FLUSH_EVERY_NS 1000000000ull /* a killed recorder loses at most ~1 s */
#define PACE_SLACK_NS 5000000ull     /* --realtime: tolerated lag before a jump */
#define PACE_MAX_SLEEP_NS 50000000ull
/* By exits: the host time that must pass before virtual time follows
 * (one logged event), which bounds the events per second of a guest
 * that exits often; timers fire up to this late. */
#define HOST_TIME_STEP_NS 100000ull
/* By exits: how long a stop request may wait for the next exit before
 * the run stops between landmarks (which a recording cannot log). */
#define ASYNC_STOP_AFTER_NS 1000000000ull

/* The landmark of this point, without counting a poll here. */
static struct rr_landmark landmark_peek(struct rr_session *s)
{
	struct encore_machine *m = s->machine;
	struct encore_engine *e = m->cur->engine;
	struct rr_landmark at = { machine__progress(m), m->idle_ns, 0, m->cur->index, 0 };
	/* By exits the engines count differently; the one vCPU's count is
	 * the machine's. */
	at.vcpu_insns = m->by_exits ? at.insns : e->ops->insn_count(e);
	if (at.insns == s->last_poll.insns && at.idle_ns == s->last_poll.idle_ns)
		at.seq = s->polls_here;
	return at;
}

static struct rr_landmark landmark_poll(struct rr_session *s)
{
	struct rr_landmark at = landmark_peek(s);
	s->last_poll = at;
	s->polls_here = at.seq + 1;
	return at;
}

/* The vCPU is named when it says more than the machine's count does. */
void rr_landmark__format(char *buf, size_t n, const struct rr_landmark *at)
{
	char who[64] = "";
	if (at->vcpu || at->vcpu_insns != at->insns)
		snprintf(who, sizeof(who), " (vCPU %u at its instruction %llu)", at->vcpu,
			 (unsigned long long)at->vcpu_insns);
	snprintf(buf, n, "instruction %llu%s, idle %llu ns, poll %u", (unsigned long long)at->insns,
		 who, (unsigned long long)at->idle_ns, at->seq);
}

static struct rr_event event_here(struct rr_session *s, u8 kind, const struct rr_landmark *at)
{
	struct rr_event ev = { .kind = kind, .at = *at };
	ev.pc = vcpu__pc(s->machine->cur);
	ev.fingerprint = machine__fingerprint(s->machine);
	return ev;
}

static bool on_async(void *opaque);

void rr_session__init(struct rr_session *s, struct encore_machine *m,
		      const struct serial_port *console,
		      const struct rr_frontend *fe, u64 slice, bool realtime)
{
	memset(s, 0, sizeof(*s));
	s->mode = RR_LIVE;
	s->machine = m;
	s->console = *console;
	s->fe = *fe;
	s->slice = slice;
	s->realtime = realtime;
	s->last_poll = (struct rr_landmark){ ~0ull, ~0ull, 0, 0, 0 };
	s->wall_start_ns = s->host_time_seen = host_clock__ns();
	m->async_poll = on_async;
	m->async_opaque = s;
}

/* ---- recording ---- */

/* Writing the recording failed (a full disk, a write error, a file-size
 * limit): recording stops, but the guest goes on, live, until it exits,
 * so that whoever is at its console loses nothing but the recording.
 * What was written before stays a replayable prefix: nothing more is
 * written to the log after this. */
static void record_failed(struct rr_session *s, const char *what)
{
	if (s->error[0])
		return;
	snprintf(s->error, sizeof(s->error), "%s", what);
	s->mode = RR_LIVE;
	fprintf(stderr, "\r\nencore record: %s\r\nencore record: recording stopped here; the "
		"guest goes on, unrecorded, until it exits, and the recording keeps what was "
		"written before (it replays as cut short)\r\n", what);
}

static void log_event(struct rr_session *s, const struct rr_event *ev)
{
	char err[4400];
	if (s->mode != RR_RECORD)
		return;
	if (!rr_log_writer__append(s->log, ev))
		s->events++;
	else
		record_failed(s, rr_log_writer__error(s->log, err, sizeof(err)) ? err :
			      "out of memory adding an event to the log");
}

static void flush_log(struct rr_session *s, const struct rr_landmark *at)
{
	char err[4400];
	if (s->mode != RR_RECORD)
		return;
	/* Console output first: the log must never run ahead of it. */
	if (fflush(s->console_file)) {
		snprintf(err, sizeof(err), "cannot write the console output file: %s",
			 strerror(errno));
		record_failed(s, err);
	} else if (snap_writer__failed(s->snap, err, sizeof(err))) {
		/* Checkpoints fail on their own thread: noticed here, at the
		 * latest a second later. */
		record_failed(s, err);
	} else if (rr_log_writer__flush(s->log, at)) {
		record_failed(s, rr_log_writer__error(s->log, err, sizeof(err)) ? err :
			      "out of memory writing the log");
	}
	s->flushed_through = *at;
	s->last_flush_ns = host_clock__ns();
}

/* Before the host may wait: make everything so far survive a kill.  The
 * log is complete through the last poll (an idle decision comes after
 * it and is logged after this flush). */
static void flush_here(struct rr_session *s)
{
	if (rr_log_writer__pending(s->log) || rr_landmark__cmp(&s->last_poll, &s->flushed_through))
		flush_log(s, &s->last_poll);
}

static void maybe_flush(struct rr_session *s, const struct rr_landmark *at)
{
	if (host_clock__ns() - s->last_flush_ns < FLUSH_EVERY_NS)
		return;
	if (!rr_log_writer__pending(s->log) && !rr_landmark__cmp(at, &s->flushed_through))
		return;
	flush_log(s, at);
}

int rr_session__record(struct rr_session *s, struct rr_log_writer *log, struct snap_writer *snap,
		       FILE *console_file, struct rr_interval interval, i64 boot_time)
{
	s->mode = RR_RECORD;
	s->log = log;
	s->snap = snap;
	s->console_file = console_file;
	/* A replay gone live starts a recording of its own from here. */
	s->checkpoints = 0;
	s->console_bytes = 0;
	s->events = 0;
	s->next_checkpoint = 0;
	s->flushed_through = (struct rr_landmark){ 0 };
	s->console_sum = XXH3_createState();
	if (!s->console_sum || XXH3_64bits_reset(s->console_sum) != XXH_OK) {
		record_failed(s, "out of memory");
		return -1;
	}
	s->interval = interval;
	struct rr_landmark zero = { 0, 0, 0, 0, 0 };
	struct rr_event ev = event_here(s, RR_EV_BOOT_TIME, &zero);
	ev.boot_time = boot_time;
	log_event(s, &ev);
	return s->error[0] ? -1 : 0;
}

/* Where the recorder's next checkpoint is due, in its interval's unit. */
static bool checkpoint_due(struct rr_session *s, const struct rr_landmark *at)
{
	if (!s->checkpoints)
		return true;
	if (s->interval.insns)
		return at->insns >= s->next_checkpoint;
	return s->interval.ns && machine__now(s->machine) >= s->next_checkpoint;
}

static void plan_next_checkpoint(struct rr_session *s, const struct rr_landmark *at)
{
	u64 now = s->interval.insns ? at->insns : machine__now(s->machine);
	u64 step = s->interval.insns ? s->interval.insns : s->interval.ns;
	if (!step) {
		s->next_checkpoint = ~0ull;
		return;
	}
	while (s->next_checkpoint <= now)
		s->next_checkpoint += step;
}

/* Store a checkpoint of the machine as it is at `at`; the event that
 * names it is logged next, as event number s->events. */
static u64 store_checkpoint(struct rr_session *s, const struct rr_landmark *at, bool final)
{
	char err[4400];
	u64 hash = 0;
	struct snap_point p = { at->insns, at->idle_ns, at->seq, s->console_bytes,
				XXH3_64bits_digest(s->console_sum), s->events, final };
	if (snap_writer__take(s->snap, &p, &hash, err, sizeof(err)))
		record_failed(s, err);
	s->checkpoints++;
	return hash;
}

static void take_checkpoint(struct rr_session *s, const struct rr_landmark *at)
{
	struct rr_event ev = event_here(s, RR_EV_CHECKPOINT, at);
	ev.checkpoint.index = s->checkpoints;
	ev.checkpoint.state_hash = store_checkpoint(s, at, false);
	ev.checkpoint.console_bytes = s->console_bytes;
	log_event(s, &ev);
	plan_next_checkpoint(s, at);
	flush_log(s, at);
	/* By exits: the guest did not run while its checkpoint was taken. */
	s->host_time_seen = host_clock__ns();
}

static void deliver_host_input(struct rr_session *s, const struct rr_landmark *at)
{
	size_t room = serial_port__rx_room(&s->console);
	if (!room || !s->fe.take_input)
		return;
	u8 buf[RR_INPUT_MAX];
	size_t n = s->fe.take_input(s->fe.opaque, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (!n)
		return;
	/* The event describes the machine as replay will find it: before. */
	struct rr_event ev = s->mode == RR_RECORD ? event_here(s, RR_EV_INPUT, at)
						  : (struct rr_event){ 0 };
	size_t taken = serial_port__receive(&s->console, buf, n);
	if (s->mode == RR_RECORD && taken) {
		ev.input.len = (u32)taken;
		memcpy(ev.input.bytes, buf, taken);
		log_event(s, &ev);
	}
}

/* Frames the host's network holds, as many as the guest has receive
 * buffers for: each is an event, logged as replay will find the machine
 * (before it). */
static void deliver_frames(struct rr_session *s, const struct rr_landmark *at)
{
	const u8 *frame;
	size_t len;
	if (!s->nic || !s->fe.next_frame)
		return;
	while (s->fe.next_frame(s->fe.opaque, &frame, &len) && virtio_net__can_receive(s->nic)) {
		if (len && len <= RR_NET_FRAME_MAX) {
			struct rr_event ev = s->mode == RR_RECORD ? event_here(s, RR_EV_NET, at)
								  : (struct rr_event){ 0 };
			virtio_net__receive(s->nic, frame, len);
			ev.net.len = (u32)len;
			ev.net.bytes = (u8 *)frame;
			log_event(s, &ev);
		}
		s->fe.drop_frame(s->fe.opaque);
	}
}

/* Recording: what the guest sent since the last poll, as a check for the
 * replay (its frames go out now and are not logged). */
static void log_sent(struct rr_session *s, const struct rr_landmark *at)
{
	u64 frames, digest;
	if (!s->nic || s->mode != RR_RECORD)
		return;
	virtio_net__sent(s->nic, &frames, &digest);
	if (frames == s->sent_logged)
		return;
	struct rr_event ev = event_here(s, RR_EV_NET_SENT, at);
	ev.net_sent.frames = frames;
	ev.net_sent.digest = digest;
	log_event(s, &ev);
	s->sent_logged = frames;
}

void rr_session__set_nic(struct rr_session *s, struct virtio_net *nic)
{
	s->nic = nic;
}

/* A stop the user asked for: one seen between landmarks waits here. */
static bool take_stop_request(struct rr_session *s, int *status)
{
	if (s->stop_pending) {
		s->stop_pending = false;
		*status = s->stop_pending_status;
		return true;
	}
	return s->fe.stop_requested && s->fe.stop_requested(s->fe.opaque, status);
}

static void check_stop_request(struct rr_session *s, const struct rr_landmark *at)
{
	int status;
	if (!take_stop_request(s, &status))
		return;
	if (s->mode == RR_RECORD) {
		struct rr_event ev = event_here(s, RR_EV_STOP, at);
		ev.stop.status = status;
		log_event(s, &ev);
	}
	machine__request_stop(s->machine, status);
}

/* --realtime: keep virtual time with the host clock.  A guest running
 * behind jumps ahead (logged); one running ahead waits (not logged: the
 * guest cannot tell). */
static void pace(struct rr_session *s, const struct rr_landmark *at)
{
	u64 wall = host_clock__ns() - s->wall_start_ns, virt = machine__now(s->machine);
	if (wall > virt + PACE_SLACK_NS) {
		struct rr_event ev = event_here(s, RR_EV_PACE, at);
		ev.pace.ns = wall - virt;
		if (s->mode == RR_RECORD)
			log_event(s, &ev);
		s->machine->idle_ns += ev.pace.ns;
	} else if (virt > wall + PACE_SLACK_NS) {
		u64 ns = virt - wall < PACE_MAX_SLEEP_NS ? virt - wall : PACE_MAX_SLEEP_NS;
		struct timespec ts = { 0, (long)ns };
		nanosleep(&ts, NULL);
	}
}

/* By exits (a run on KVM): virtual time follows the host clock while the
 * guest runs, in logged steps; halts still skip to the next timer. */
static void follow_host_time(struct rr_session *s, const struct rr_landmark *at)
{
	u64 now = host_clock__ns(), ran = now - s->host_time_seen;
	if (ran < HOST_TIME_STEP_NS)
		return;
	s->host_time_seen = now;
	if (s->mode == RR_RECORD) {
		struct rr_event ev = event_here(s, RR_EV_PACE, at);
		ev.pace.ns = ran;
		log_event(s, &ev);
	}
	s->machine->idle_ns += ran;
}

static void poll_live(struct rr_session *s)
{
	struct rr_landmark at = landmark_poll(s);
	if (s->fe.poll)
		s->fe.poll(s->fe.opaque);
	if (s->mode == RR_RECORD && checkpoint_due(s, &at))
		take_checkpoint(s, &at);
	deliver_host_input(s, &at);
	log_sent(s, &at);
	deliver_frames(s, &at);
	check_stop_request(s, &at);
	if (s->realtime)
		pace(s, &at);
	else if (s->machine->by_exits)
		follow_host_time(s, &at);
	if (s->mode == RR_RECORD)
		maybe_flush(s, &at);
}

/* How much of an idle gap to skip: live, the front end decides (at a
 * terminal, real time passes); with --realtime, the host clock does. */
static u64 idle_live(struct rr_session *s, u64 gap)
{
	if (s->mode == RR_RECORD && rr_log_writer__pending(s->log))
		flush_here(s);
	u64 skip = gap;
	if (s->realtime) {
		u64 virt = machine__now(s->machine), wall = host_clock__ns() - s->wall_start_ns;
		u64 wait = virt + gap > wall ? virt + gap - wall : 0;
		u64 waited = s->fe.idle ? s->fe.idle(s->fe.opaque, wait) : wait;
		if (waited < wait)
			skip = wall + waited > virt ? wall + waited - virt : 0;
	} else if (s->fe.idle) {
		skip = s->fe.idle(s->fe.opaque, gap);
		/* The host time spent waiting is in `skip` already. */
		s->host_time_seen = host_clock__ns();
	}
	if (skip > gap)
		skip = gap;
	if (s->mode == RR_RECORD && skip < gap) {
		struct rr_landmark at = landmark_peek(s);
		struct rr_event ev = event_here(s, RR_EV_IDLE, &at);
		ev.idle.gap_ns = gap;
		ev.idle.skipped_ns = skip;
		log_event(s, &ev);
	}
	return skip;
}

static bool wait_live(struct rr_session *s)
{
	if (s->mode == RR_RECORD)
		flush_here(s);
	return s->fe.wait && s->fe.wait(s->fe.opaque);
}

int rr_session__end_record(struct rr_session *s, const struct run_result *r, int status)
{
	if (s->error[0])
		return -1;
	/* Stopped between landmarks: the recording ends, replayable, at the
	 * last one, as if the recorder had been killed there. */
	if (s->stopped_between_landmarks) {
		flush_log(s, &s->last_poll);
		return s->error[0] ? -1 : 0;
	}
	struct rr_landmark at = landmark_peek(s);
	struct rr_event ev = event_here(s, RR_EV_END, &at);
	ev.end.outcome = r->outcome;
	ev.end.status = status;
	ev.end.state_hash = s->end_state_hash = store_checkpoint(s, &at, true);
	ev.end.console_bytes = s->console_bytes;
	log_event(s, &ev);
	flush_log(s, &at);
	return s->error[0] ? -1 : 0;
}

/* ---- replaying ---- */

static void diverge(struct rr_session *s, const struct rr_landmark *at, const char *fmt, ...)
{
	if (s->div.found)
		return;
	s->div.found = true;
	s->div.at = *at;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->div.what, sizeof(s->div.what), fmt, ap);
	va_end(ap);
	machine__request_stop(s->machine, 1);
}

static void note_match(struct rr_session *s, const struct rr_event *ev, size_t index)
{
	char where[RR_LANDMARK_TEXT];
	rr_landmark__format(where, sizeof(where), &ev->at);
	s->div.matched_any = true;
	if (ev->kind == RR_EV_CHECKPOINT)
		snprintf(s->div.last_match, sizeof(s->div.last_match), "checkpoint %u (event %zu) "
			 "at %s, %s %#llx", ev->checkpoint.index, index, where,
			 s->machine->arch->pc_name, (unsigned long long)ev->pc);
	else
		snprintf(s->div.last_match, sizeof(s->div.last_match), "event %zu (%s) at %s, %s "
			 "%#llx", index, rr_event_kind__name(ev->kind), where,
			 s->machine->arch->pc_name, (unsigned long long)ev->pc);
}

/* Is the machine where event `index` says (the same vCPU at the same
 * count, program counter and state)?  Reports a divergence if not. */
static bool at_event(struct rr_session *s, size_t index)
{
	const struct rr_event *ev = &s->replay->events[index];
	struct rr_landmark at = landmark_peek(s);
	u64 pc = vcpu__pc(s->machine->cur), fp = machine__fingerprint(s->machine);
	if (pc == ev->pc && fp == ev->fingerprint && at.vcpu == ev->at.vcpu &&
	    at.vcpu_insns == ev->at.vcpu_insns)
		return true;
	/* Only called where the landmark matches the event's. */
	char where[RR_LANDMARK_TEXT];
	rr_landmark__format(where, sizeof(where), &ev->at);
	const char *pc_name = s->machine->arch->pc_name;
	diverge(s, &ev->at, "at event %zu (%s), %s: the recording has %s %#llx on vCPU %u at its "
		"instruction %llu, fingerprint %016llx; the replay has %s %#llx on vCPU %u at its "
		"instruction %llu, fingerprint %016llx", index, rr_event_kind__name(ev->kind), where,
		pc_name, (unsigned long long)ev->pc, ev->at.vcpu,
		(unsigned long long)ev->at.vcpu_insns, (unsigned long long)ev->fingerprint, pc_name,
		(unsigned long long)pc, at.vcpu,
		(unsigned long long)at.vcpu_insns, (unsigned long long)fp);
	return false;
}

static void missed_event(struct rr_session *s, size_t index, const struct rr_landmark *at)
{
	const struct rr_event *ev = &s->replay->events[index];
	char want[RR_LANDMARK_TEXT], got[RR_LANDMARK_TEXT];
	rr_landmark__format(want, sizeof(want), &ev->at);
	rr_landmark__format(got, sizeof(got), at);
	diverge(s, at, "event %zu (%s) was recorded at %s, but the replay went past that point "
		"without reaching it (now at %s)", index, rr_event_kind__name(ev->kind), want, got);
}

/* The state hash, from the frames written since the last one. */
u64 rr_session__state_hash(struct rr_session *s)
{
	page_map__update(&s->map, s->machine, NULL, NULL);
	return page_map__state_hash(&s->map, s->machine);
}

static void verify_checkpoint(struct rr_session *s, size_t index)
{
	const struct rr_event *ev = &s->replay->events[index];
	u64 hash = rr_session__state_hash(s);
	if (hash != ev->checkpoint.state_hash || s->console_bytes != ev->checkpoint.console_bytes) {
		char where[RR_LANDMARK_TEXT], why[400] = "";
		rr_landmark__format(where, sizeof(where), &ev->at);
		if (hash != ev->checkpoint.state_hash && s->explain_checkpoint) {
			why[0] = ';';
			why[1] = ' ';
			s->explain_checkpoint(s->explain_opaque, ev->checkpoint.index, &s->map, why + 2,
					      sizeof(why) - 2);
		}
		diverge(s, &ev->at, "checkpoint %u (event %zu) at %s: the recording has state hash "
			"%016llx after %llu console bytes; the replay has %016llx after %llu%s",
			ev->checkpoint.index, index, where,
			(unsigned long long)ev->checkpoint.state_hash,
			(unsigned long long)ev->checkpoint.console_bytes, (unsigned long long)hash,
			(unsigned long long)s->console_bytes, why);
		return;
	}
	s->checkpoints++;
	if (s->on_checkpoint)
		s->on_checkpoint(s->checkpoint_opaque, ev->checkpoint.index);
	if (s->has_stop_checkpoint && ev->checkpoint.index == s->stop_checkpoint) {
		s->reached_stop = true;
		machine__request_stop(s->machine, 0);
	}
}

static void replay_input(struct rr_session *s, size_t index)
{
	const struct rr_event *ev = &s->replay->events[index];
	size_t room = serial_port__rx_room(&s->console);
	if (room < ev->input.len) {
		diverge(s, &ev->at, "input event %zu: the recording gave the console %u bytes, but "
			"its console port has room for %zu", index, ev->input.len, room);
		return;
	}
	serial_port__receive(&s->console, ev->input.bytes, ev->input.len);
}

static void replay_frame(struct rr_session *s, size_t index)
{
	const struct rr_event *ev = &s->replay->events[index];
	if (!s->nic || virtio_net__receive(s->nic, ev->net.bytes, ev->net.len))
		diverge(s, &ev->at, "frame event %zu: the recording gave the network card a frame "
			"of %u bytes, but %s", index, ev->net.len,
			s->nic ? "it had no receive buffer ready" : "this machine has no network card");
}

/* The guest must have sent exactly what it sent when recorded. */
static void check_sent(struct rr_session *s, size_t index)
{
	const struct rr_event *ev = &s->replay->events[index];
	u64 frames = 0, digest = 0;
	if (s->nic)
		virtio_net__sent(s->nic, &frames, &digest);
	if (frames != ev->net_sent.frames || digest != ev->net_sent.digest)
		diverge(s, &ev->at, "event %zu: the guest had sent %llu frames (digest %016llx) when "
			"recorded; the replay's guest has sent %llu (digest %016llx)", index,
			(unsigned long long)ev->net_sent.frames,
			(unsigned long long)ev->net_sent.digest, (unsigned long long)frames,
			(unsigned long long)digest);
}

static void apply_event(struct rr_session *s, size_t index)
{
	const struct rr_event *ev = &s->replay->events[index];
	switch (ev->kind) {
	case RR_EV_CHECKPOINT: verify_checkpoint(s, index); break;
	case RR_EV_INPUT: replay_input(s, index); break;
	case RR_EV_NET: replay_frame(s, index); break;
	case RR_EV_NET_SENT: check_sent(s, index); break;
	case RR_EV_STOP: machine__request_stop(s->machine, ev->stop.status); break;
	case RR_EV_PACE: s->machine->idle_ns += ev->pace.ns; break;
	default:
		diverge(s, &ev->at, "event %zu (%s) cannot happen at a poll", index,
			rr_event_kind__name(ev->kind));
		break;
	}
	if (!s->div.found)
		note_match(s, ev, index);
}

/* Replaying, the point to go live at is reached: from here the session
 * follows the host instead of the log, and nothing more is checked. */
static bool going_live(struct rr_session *s)
{
	if (!s->has_live_at || landmark_peek(s).insns < s->live_at)
		return false;
	s->has_live_at = false;
	s->mode = RR_LIVE;
	s->went_live = true;
	s->wall_start_ns = host_clock__ns() - machine__now(s->machine);
	s->host_time_seen = host_clock__ns();
	if (s->on_live)
		s->on_live(s->live_opaque);
	return true;
}

static void poll_live(struct rr_session *s);

static void poll_replay(struct rr_session *s)
{
	const struct rr_log *log = s->replay;
	if (going_live(s))
		return poll_live(s);
	struct rr_landmark at = landmark_poll(s);
	if (s->fe.poll)
		s->fe.poll(s->fe.opaque);
	int status;
	if (take_stop_request(s, &status)) {
		s->interrupted = status;
		machine__request_stop(s->machine, status);
		return;
	}
	/* After --to's checkpoint the replay is over: later events at the
	 * same poll belong to the next stretch. */
	while (!s->div.found && !s->reached_stop && s->next_event < log->count) {
		const struct rr_event *ev = &log->events[s->next_event];
		int c = rr_landmark__cmp(&ev->at, &at);
		if (c > 0 || (c == 0 && (ev->kind == RR_EV_IDLE || ev->kind == RR_EV_END)))
			break;
		if (c < 0) {
			missed_event(s, s->next_event, &at);
			return;
		}
		if (!at_event(s, s->next_event))
			return;
		apply_event(s, s->next_event++);
	}
	if (!log->ended && s->next_event == log->count && rr_landmark__cmp(&at, &log->through) >= 0) {
		s->reached_through = true;
		machine__request_stop(s->machine, 0);
	}
}

static u64 idle_replay(struct rr_session *s, u64 gap)
{
	const struct rr_log *log = s->replay;
	if (s->div.found || s->next_event >= log->count)
		return gap;
	const struct rr_event *ev = &log->events[s->next_event];
	struct rr_landmark at = landmark_peek(s);
	int c = rr_landmark__cmp(&ev->at, &at);
	if (c < 0)
		missed_event(s, s->next_event, &at);
	if (c != 0 || ev->kind != RR_EV_IDLE || !at_event(s, s->next_event))
		return gap;
	if (ev->idle.gap_ns != gap) {
		diverge(s, &at, "idle event %zu: the recording halted %llu ns before the next timer, "
			"the replay %llu ns", s->next_event, (unsigned long long)ev->idle.gap_ns,
			(unsigned long long)gap);
		return gap;
	}
	note_match(s, ev, s->next_event++);
	return ev->idle.skipped_ns;
}

/* The guest halted with no timer armed: only recorded input wakes it,
 * and that must come at this very point (time cannot pass). */
static bool wait_replay(struct rr_session *s)
{
	const struct rr_log *log = s->replay;
	if (s->div.found)
		return false;
	const struct rr_event *ev = s->next_event < log->count ? &log->events[s->next_event] : NULL;
	if (ev && ev->kind == RR_EV_END)
		return false;
	const struct rr_landmark *next = ev ? &ev->at : log->ended ? NULL : &log->through;
	struct rr_landmark at = landmark_peek(s);
	if (!next)
		return false;
	if (next->insns != at.insns || next->idle_ns != at.idle_ns) {
		char want[RR_LANDMARK_TEXT], got[RR_LANDMARK_TEXT];
		rr_landmark__format(want, sizeof(want), next);
		rr_landmark__format(got, sizeof(got), &at);
		diverge(s, &at, "the guest halted with no timer at %s, but the recording goes on at %s",
			got, want);
		return false;
	}
	return true;
}

int rr_session__replay(struct rr_session *s, const struct rr_log *log, const u8 *console,
		       size_t console_len)
{
	s->mode = RR_REPLAY;
	s->replay = log;
	s->expected_console = console;
	s->expected_len = console_len;
	s->next_event = 0;
	if (page_map__init(&s->map, s->machine->pages.nframes))
		return -1;
	s->map_ready = true;
	if (log->count && log->events[0].kind == RR_EV_BOOT_TIME && at_event(s, 0)) {
		note_match(s, &log->events[0], 0);
		s->next_event = 1;
	}
	if (s->div.found)
		snprintf(s->div.what + strlen(s->div.what), sizeof(s->div.what) - strlen(s->div.what),
			 " (the machine built from the recording is not the recorded one)");
	return 0;
}

void rr_session__replay_from(struct rr_session *s, const struct rr_log *log, const u8 *console,
			     size_t console_len, struct page_map *map, size_t event)
{
	const struct rr_event *ev = &log->events[event];
	s->mode = RR_REPLAY;
	s->replay = log;
	s->expected_console = console;
	s->expected_len = console_len;
	s->map = *map;
	s->map_ready = true;
	memset(map, 0, sizeof(*map));
	s->next_event = s->first_event = event;
	s->console_bytes = ev->checkpoint.console_bytes;
	/* The first poll lands on the checkpoint's own landmark again. */
	s->last_poll = (struct rr_landmark){ ev->at.insns, ev->at.idle_ns, 0, 0, 0 };
	s->polls_here = ev->at.seq;
}

void rr_session__stop_at_checkpoint(struct rr_session *s, u32 index)
{
	s->has_stop_checkpoint = true;
	s->stop_checkpoint = index;
}

void rr_session__destroy(struct rr_session *s)
{
	if (s->map_ready)
		page_map__free(&s->map);
	s->map_ready = false;
	XXH3_freeState(s->console_sum);
	s->console_sum = NULL;
}

void rr_session__end_replay(struct rr_session *s, const struct run_result *r, int status)
{
	const struct rr_log *log = s->replay;
	struct rr_landmark at = landmark_peek(s);
	char got[RR_LANDMARK_TEXT], want[RR_LANDMARK_TEXT];
	rr_landmark__format(got, sizeof(got), &at);
	if (s->div.found || s->interrupted || s->reached_stop)
		return;
	if (!log->ended) {
		rr_landmark__format(want, sizeof(want), &log->through);
		if (!s->reached_through)
			diverge(s, &at, "the guest ended (%s) at %s, before the recording's last "
				"complete point at %s", run_outcome__name(r->outcome), got, want);
		return;
	}
	const struct rr_event *ev = &log->events[s->next_event < log->count ? s->next_event : log->count - 1];
	if (ev->kind != RR_EV_END) {
		rr_landmark__format(want, sizeof(want), &ev->at);
		diverge(s, &at, "the guest ended (%s) at %s, but the recording goes on with event %zu "
			"(%s) at %s", run_outcome__name(r->outcome), got, s->next_event,
			rr_event_kind__name(ev->kind), want);
		return;
	}
	rr_landmark__format(want, sizeof(want), &ev->at);
	u64 hash = rr_session__state_hash(s);
	if (rr_landmark__cmp(&at, &ev->at) || (u32)r->outcome != ev->end.outcome ||
	    status != ev->end.status || hash != ev->end.state_hash ||
	    s->console_bytes != ev->end.console_bytes || !at_event(s, s->next_event)) {
		diverge(s, &at, "at the end: the recording ended (%s, status %d) at %s with state hash "
			"%016llx after %llu console bytes; the replay ended (%s, status %d) at %s "
			"with %016llx after %llu", run_outcome__name(ev->end.outcome),
			ev->end.status, want, (unsigned long long)ev->end.state_hash,
			(unsigned long long)ev->end.console_bytes, run_outcome__name(r->outcome),
			status, got, (unsigned long long)hash, (unsigned long long)s->console_bytes);
		return;
	}
	note_match(s, ev, s->next_event++);
}

/* ---- both ---- */

void rr_session__console_byte(struct rr_session *s, u8 byte)
{
	u64 pos = s->console_bytes++;
	if (s->mode == RR_RECORD) {
		putc(byte, s->console_file);
		XXH3_64bits_update(s->console_sum, &byte, 1);
		return;
	}
	if (s->mode != RR_REPLAY || s->div.found)
		return;
	if (pos < s->expected_len && s->expected_console[pos] == byte)
		return;
	struct rr_landmark at = landmark_peek(s);
	char where[RR_LANDMARK_TEXT];
	rr_landmark__format(where, sizeof(where), &at);
	if (pos >= s->expected_len)
		diverge(s, &at, "console output: the replay printed byte %llu (0x%02x) near %s, but "
			"the recording's output ends after %zu bytes", (unsigned long long)pos, byte,
			where, s->expected_len);
	else
		diverge(s, &at, "console output byte %llu near %s: the recording has 0x%02x, the "
			"replay printed 0x%02x", (unsigned long long)pos, where,
			s->expected_console[pos], byte);
}

static void on_poll(void *opaque)
{
	struct rr_session *s = opaque;
	if (s->mode == RR_REPLAY)
		poll_replay(s);
	else
		poll_live(s);
}

static u64 on_idle(void *opaque, u64 gap)
{
	struct rr_session *s = opaque;
	return s->mode == RR_REPLAY ? idle_replay(s, gap) : idle_live(s, gap);
}

static bool on_wait(void *opaque)
{
	struct rr_session *s = opaque;
	return s->mode == RR_REPLAY ? wait_replay(s) : wait_live(s);
}

/* Where the log's next poll event is.  Only poll events: an idle
 * decision or the end comes where the engine stops by itself, and an
 * extra stop there would add a poll the recording did not have. */
static u64 next_poll_event(struct rr_session *s)
{
	const struct rr_log *log = s->replay;
	for (size_t k = s->next_event; k < log->count; k++) {
		u8 kind = log->events[k].kind;
		if (kind != RR_EV_IDLE && kind != RR_EV_END)
			return log->events[k].at.insns;
	}
	return log->ended ? ~0ull : log->through.insns;
}

void rr_session__live_at(struct rr_session *s, u64 progress, void (*on_live)(void *opaque),
			 void *opaque)
{
	s->has_live_at = true;
	s->live_at = progress;
	s->on_live = on_live;
	s->live_opaque = opaque;
}

static u64 on_next_stop(void *opaque)
{
	struct rr_session *s = opaque;
	if (s->mode == RR_RECORD) {
		if (s->interval.insns || !s->checkpoints)
			return s->checkpoints ? s->next_checkpoint : 0;
		u64 idle = s->machine->idle_ns;
		return s->next_checkpoint > idle ? s->next_checkpoint - idle : 0;
	}
	if (s->mode != RR_REPLAY)
		return ~0ull;
	u64 next = next_poll_event(s);
	return s->has_live_at && s->live_at < next ? s->live_at : next;
}

/* The engine ran a while without reaching a landmark (by exits: a guest
 * that does not exit).  A stop request is kept for the next landmark; a
 * recording waits ASYNC_STOP_AFTER_NS for one before it gives up. */
static bool on_async(void *opaque)
{
	struct rr_session *s = opaque;
	u64 now = host_clock__ns();
	if (!s->stop_pending) {
		if (!s->fe.stop_requested || !s->fe.stop_requested(s->fe.opaque, &s->stop_pending_status))
			return false;
		s->stop_pending = true;
		s->stop_pending_since = now;
	}
	if (s->mode == RR_RECORD && now - s->stop_pending_since < ASYNC_STOP_AFTER_NS)
		return false;
	if (s->mode == RR_RECORD)
		s->stopped_between_landmarks = true;
	if (s->mode == RR_REPLAY)
		s->interrupted = s->stop_pending_status;
	s->stop_pending = false;
	machine__request_stop(s->machine, s->stop_pending_status);
	return true;
}

struct run_input rr_session__run_input(struct rr_session *s)
{
	return (struct run_input){ on_poll, on_wait, on_idle, on_next_stop, s, s->slice };
}
