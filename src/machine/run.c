/*
 * The machine's main loop around the vCPUs' engines: the running vCPU's
 * engine runs to the next timer deadline (or input poll, or the end of
 * its turn), timers fire between slices, interrupts are offered to every
 * vCPU at instruction boundaries, and when every vCPU is halted virtual
 * time skips to the next deadline, so an idle guest costs nothing.
 *
 * Several vCPUs take turns on this one thread, round robin, each for a
 * quantum of the machine's retired instructions or until it halts or
 * spins (PAUSE).  Every decision depends on machine state alone, so the
 * interleaving is the same in every run and a recording logs nothing
 * for it.
 */
#include <stdio.h>
#include <string.h>

#include "encore/hw.h"
#include "encore/run.h"

/* Serve the controller's non-maskable requests, then offer its maskable
 * request to the vCPU, or ask the engine to come back when its
 * interrupt window opens. */
static void offer_interrupt(struct encore_machine *m, struct encore_vcpu *v)
{
	struct encore_engine *e = v->engine;
	struct intc *ic = &v->intc;
	if (ic->service)
		ic->service(ic->opaque, v);
	bool want = ic->has_interrupt && ic->has_interrupt(ic->opaque);
	if (want && e->ops->interrupt_window(e)) {
		int vector = ic->acknowledge(ic->opaque);
		if (vector >= 0)
			e->ops->inject_interrupt(e, (u8)vector);
		want = false;
	}
	/* By exits, an interrupt waits for the next exit with the window
	 * open: where a window exit comes is up to the hypervisor (this
	 * project's KVM was seen not to take them), exits are not. */
	e->ops->request_interrupt_window(e, want && !m->by_exits);
}

static void offer_interrupts(struct encore_machine *m)
{
	m->irq_changed = false;
	for (unsigned k = 0; k < m->nvcpus; k++)
		offer_interrupt(m, &m->vcpus[k]);
}

static bool vcpu_runnable(struct encore_vcpu *v)
{
	return v->engine->ops->runnable(v->engine);
}

/* Whose turn it is: the current vCPU while its quantum lasts and it can
 * run, else the next one after it (in index order, itself last) that
 * can, with a fresh quantum.  NULL when every vCPU waits. */
static struct encore_vcpu *pick_vcpu(struct encore_machine *m)
{
	struct encore_vcpu *cur = m->cur;
	if (vcpu_runnable(cur) && (m->nvcpus == 1 || machine__insns(m) < m->sched.quantum_end))
		return cur;
	for (unsigned k = 1; k <= m->nvcpus; k++) {
		struct encore_vcpu *v = &m->vcpus[(cur->index + k) % m->nvcpus];
		if (vcpu_runnable(v)) {
			machine__switch_to(m, v);
			m->sched.quantum_end = machine__insns(m) + MACHINE_QUANTUM_INSNS;
			return v;
		}
	}
	return NULL;
}

/* The machine's instruction count at which the running engine must next
 * return. */
static u64 slice_limit(struct encore_machine *m, u64 max_insns, const struct run_input *in)
{
	/* By exits, the engine returns at every exit (machine__count_exit). */
	if (m->by_exits)
		return ~0ull;
	u64 insns = machine__insns(m);
	u64 limit = max_insns ? max_insns : ~0ull;
	u64 deadline = machine__next_deadline(m);
	if (deadline != VTIMER_OFF) {
		u64 at = deadline > m->idle_ns ? deadline - m->idle_ns : 0;
		if (at < insns)
			at = insns;
		if (at < limit)
			limit = at;
	}
	/* Slices end at multiples of in->slice, so where the loop polls does
	 * not depend on where a run started (replay from a checkpoint). */
	if (in && in->slice) {
		u64 end = (insns / in->slice + 1) * in->slice;
		if (end < limit)
			limit = end;
	}
	if (in && in->next_stop) {
		u64 at = in->next_stop(in->opaque);
		if (at >= insns && at < limit)
			limit = at;
	}
	return limit;
}

static bool finished(struct encore_machine *m, struct run_result *r)
{
	if (m->stopped) {
		r->outcome = RUN_STOPPED;
		r->status = m->exit_status;
		return true;
	}
	if (m->poweroff_requested) {
		r->outcome = RUN_POWERED_OFF;
		snprintf(r->message, sizeof(r->message), "the guest powered the machine off");
		return true;
	}
	if (m->reset_requested) {
		r->outcome = RUN_RESET;
		snprintf(r->message, sizeof(r->message), "the guest asked for a system reset");
		return true;
	}
	return false;
}

/* Can a maskable interrupt still wake some vCPU? */
static bool any_wakeable(struct encore_machine *m)
{
	for (unsigned k = 0; k < m->nvcpus; k++) {
		struct encore_engine *e = m->vcpus[k].engine;
		if (e->ops->wakeable ? e->ops->wakeable(e) : e->ops->interrupt_window(e))
			return true;
	}
	return false;
}

static bool any_interrupt_ready(struct encore_machine *m)
{
	for (unsigned k = 0; k < m->nvcpus; k++) {
		const struct intc *ic = &m->vcpus[k].intc;
		if (ic->has_interrupt && ic->has_interrupt(ic->opaque))
			return true;
	}
	return false;
}

/* Every vCPU waits: wake for a deliverable interrupt, else skip to the
 * next timer; true when the run is over. */
static bool handle_idle(struct encore_machine *m, const struct run_input *in,
			struct run_result *r)
{
	if (!any_wakeable(m)) {
		r->outcome = RUN_POWERED_OFF;
		snprintf(r->message, sizeof(r->message),
			 "the guest halted %s with interrupts disabled",
			 m->nvcpus > 1 ? "every CPU" : "the CPU");
		return true;
	}
	if (any_interrupt_ready(m))
		return false;
	u64 deadline = machine__next_deadline(m), now = machine__now(m);
	if (deadline != VTIMER_OFF) {
		u64 gap = deadline > now ? deadline - now : 0;
		m->idle_ns += in && in->idle && gap ? in->idle(in->opaque, gap) : gap;
		return false;
	}
	if (in && in->wait && in->wait(in->opaque))
		return false;
	r->outcome = RUN_HALTED_FOREVER;
	snprintf(r->message, sizeof(r->message), "the guest halted with no interrupt source");
	return true;
}

/* Act on an engine exit; true when the run is over. */
static bool handle_exit(struct encore_machine *m, const struct encore_exit *x, u64 max_insns,
			struct run_result *r)
{
	if (finished(m, r))
		return true;
	switch (x->reason) {
	case EXIT_LIMIT:
		if (max_insns && !m->by_exits && machine__insns(m) >= max_insns) {
			r->outcome = RUN_LIMIT;
			return true;
		}
		return false;
	case EXIT_HLT:
		if (m->by_exits)
			m->exits++;
		return false;
	case EXIT_YIELD:
		m->sched.quantum_end = machine__insns(m); /* the turn ends here */
		return false;
	case EXIT_TRIPLE_FAULT:
		r->outcome = RUN_TRIPLE_FAULT;
		snprintf(r->message, sizeof(r->message), "%s", x->message); /* "" on x86 */
		return true;
	case EXIT_ERROR:
		r->outcome = RUN_ERROR;
		snprintf(r->message, sizeof(r->message), "%s", x->message);
		return true;
	default:
		return false;
	}
}

const char *run_outcome__name(enum run_outcome o)
{
	static const char *const names[] = {
		[RUN_STOPPED] = "stopped", [RUN_LIMIT] = "limit", [RUN_TRIPLE_FAULT] = "triple-fault",
		[RUN_POWERED_OFF] = "powered-off", [RUN_HALTED_FOREVER] = "halted-forever",
		[RUN_RESET] = "reset", [RUN_ERROR] = "error",
	};
	return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "unknown";
}

/* The engine's own count at the machine's pause point, if its run to
 * `own` reaches that point. */
static bool pause_within(struct encore_machine *m, struct encore_engine *e, u64 own, u64 *at)
{
	if (m->pause.at == MACHINE_NO_PAUSE)
		return false;
	u64 insns = machine__insns(m);
	if (m->pause.at < insns)
		return false;
	u64 p = e->ops->insn_count(e) + (m->pause.at - insns);
	if (p > own)
		return false;
	*at = p;
	return true;
}

/* The engine returned where the machine must pause: run the pause's
 * function there.  True when the engine should go on to its limit. */
static bool pause_here(struct encore_machine *m, struct encore_exit *x)
{
	if (machine__insns(m) == m->pause.at)
		m->pause.at = MACHINE_NO_PAUSE;
	m->pause.requested = false;
	m->pause.fn(m->pause.opaque);
	if (m->stopped) {
		x->reason = EXIT_KICK; /* back to the main loop, which ends the run */
		return false;
	}
	return x->reason == EXIT_LIMIT;
}

/* Run the engine of `v` to the machine's instruction count `end`. */
static void run_engine(struct encore_machine *m, struct encore_vcpu *v, u64 end,
		       struct encore_exit *x)
{
	struct encore_engine *e = v->engine;
	u64 own = end;
	if (!m->by_exits)
		own = e->ops->insn_count(e) + (end - machine__insns(m));
	/* Between landmarks nothing guest-visible may happen: only a stop
	 * (which ends the run there) or a pause is looked at. */
	for (;;) {
		u64 stop = own;
		bool pausing = pause_within(m, e, own, &stop);
		engine__run(e, stop, x);
		if ((pausing && machine__insns(m) == m->pause.at) || m->pause.requested) {
			if (pause_here(m, x))
				continue;
			return;
		}
		if (x->reason != EXIT_ASYNC || m->stopped)
			return;
	}
}

/* A turn that ended by itself: its quantum, a PAUSE, or a halt.  The
 * next vCPU takes over without the main loop (its poll costs host time
 * and would move where input can arrive); anything else goes back.
 * Whether the slice ends at the same count does not matter: a replay
 * stops at each event's count, where the recording's slice may have gone
 * on, and the vCPU at that poll must be the same in both. */
static bool turn_over(struct encore_machine *m, const struct encore_exit *x)
{
	if (m->by_exits)
		return false;
	if (x->reason == EXIT_YIELD) {
		m->sched.quantum_end = machine__insns(m); /* the turn ends here */
		return true;
	}
	if (x->reason == EXIT_HLT)
		return true;
	return x->reason == EXIT_LIMIT && m->nvcpus > 1 &&
	       machine__insns(m) >= m->sched.quantum_end;
}

/*
 * Run vCPUs, from `v` on, until the machine has retired `limit`
 * instructions or an exit needs the main loop (a kick: an interrupt or a
 * timer changed, a stop; an error).  Nothing outside the vCPUs changes
 * meanwhile, so their interrupts were offered already.  Returns the vCPU
 * whose exit `x` is.
 */
static struct encore_vcpu *run_turns(struct encore_machine *m, struct encore_vcpu *v, u64 limit,
				     struct encore_exit *x)
{
	for (;;) {
		u64 end = limit;
		if (m->nvcpus > 1 && m->sched.quantum_end < end)
			end = m->sched.quantum_end > machine__insns(m) ? m->sched.quantum_end
								   : machine__insns(m);
		run_engine(m, v, end, x);
		struct encore_vcpu *next;
		if (!turn_over(m, x) || !(next = pick_vcpu(m)))
			return v;
		v = next;
	}
}

static void set_yield(struct encore_machine *m)
{
	for (unsigned k = 0; k < m->nvcpus; k++) {
		struct encore_engine *e = m->vcpus[k].engine;
		if (e->ops->set_yield)
			e->ops->set_yield(e, m->nvcpus > 1);
	}
}

void machine__run(struct encore_machine *m, u64 max_insns, const struct run_input *in,
		  struct run_result *r)
{
	memset(r, 0, sizeof(*r));
	set_yield(m);
	/* A machine restored from a checkpoint taken at a poll continues
	 * there: its timers and interrupts were already handled. */
	bool resume = m->resume_at_poll;
	m->resume_at_poll = false;
	for (;;) {
		if (!resume) {
			machine__fire_timers(m);
			offer_interrupts(m);
		}
		resume = false;
		if (in && in->poll)
			in->poll(in->opaque);
		if (finished(m, r))
			break;
		struct encore_vcpu *v = pick_vcpu(m);
		if (!v) {
			if (handle_idle(m, in, r))
				break;
			continue;
		}
		struct encore_exit x;
		r->vcpu = run_turns(m, v, slice_limit(m, max_insns, in), &x)->index;
		r->pc = x.pc;
		if (handle_exit(m, &x, max_insns, r))
			break;
		/* By exits, the limit counts exits (a replay's bound). */
		if (m->by_exits && max_insns && m->exits >= max_insns) {
			r->outcome = RUN_LIMIT;
			break;
		}
	}
	r->insns = machine__insns(m);
}
