/*
 * The machine's main loop around the CPU engine: the engine runs to the
 * next timer deadline (or input poll), timers fire between slices,
 * interrupts are offered at instruction boundaries, and a halted CPU
 * skips virtual time to the next deadline, so an idle guest costs nothing.
 */
#include <stdio.h>
#include <string.h>

#include "encore/hw.h"
#include "encore/run.h"

/* Offer the interrupt controller's request to the CPU, or ask the engine
 * to come back when its interrupt window opens. */
static void offer_interrupt(struct encore_machine *m, struct encore_engine *e)
{
	m->irq_changed = false;
	bool want = m->intc.has_interrupt && m->intc.has_interrupt(m->intc.opaque);
	if (want && e->ops->interrupt_window(e)) {
		int vector = m->intc.acknowledge(m->intc.opaque);
		if (vector >= 0)
			e->ops->inject_interrupt(e, (u8)vector);
		want = false;
	}
	/* By exits, an interrupt waits for the next exit with the window
	 * open: where a window exit comes is up to the hypervisor (this
	 * project's KVM was seen not to take them), exits are not. */
	e->ops->request_interrupt_window(e, want && !m->by_exits);
}

/* The instruction count at which the engine must next return. */
static u64 slice_limit(struct encore_machine *m, u64 max_insns, const struct run_input *in)
{
	/* By exits, the engine returns at every exit (machine__count_exit). */
	if (m->by_exits)
		return ~0ull;
	u64 insns = m->engine->ops->insn_count(m->engine);
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

/* HLT: wake for a deliverable interrupt, else skip to the next timer. */
static bool handle_halt(struct encore_machine *m, const struct run_input *in,
			struct run_result *r)
{
	struct encore_engine *e = m->engine;
	if (!e->ops->interrupt_window(e)) {
		r->outcome = RUN_POWERED_OFF;
		snprintf(r->message, sizeof(r->message),
			 "the guest halted the CPU with interrupts disabled");
		return true;
	}
	if (m->intc.has_interrupt && m->intc.has_interrupt(m->intc.opaque))
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
			const struct run_input *in, struct run_result *r)
{
	if (finished(m, r))
		return true;
	switch (x->reason) {
	case EXIT_LIMIT:
		if (max_insns && m->engine->ops->insn_count(m->engine) >= max_insns) {
			r->outcome = RUN_LIMIT;
			return true;
		}
		return false;
	case EXIT_HLT:
		if (m->by_exits)
			m->exits++;
		return handle_halt(m, in, r);
	case EXIT_TRIPLE_FAULT:
		r->outcome = RUN_TRIPLE_FAULT;
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

void machine__run(struct encore_machine *m, u64 max_insns, const struct run_input *in,
		  struct run_result *r)
{
	struct encore_engine *e = m->engine;
	memset(r, 0, sizeof(*r));
	/* A machine restored from a checkpoint taken at a poll continues
	 * there: its timers and interrupt were already handled. */
	bool resume = m->resume_at_poll;
	m->resume_at_poll = false;
	for (;;) {
		if (!resume) {
			machine__fire_timers(m);
			offer_interrupt(m, e);
		}
		resume = false;
		if (in && in->poll)
			in->poll(in->opaque);
		if (finished(m, r))
			break;
		struct encore_exit x;
		u64 limit = slice_limit(m, max_insns, in);
		/* Between landmarks nothing guest-visible may happen: only a
		 * stop (which ends the run there) is looked at. */
		do
			engine__run(e, limit, &x);
		while (x.reason == EXIT_ASYNC && !m->stopped);
		r->rip = x.rip;
		if (handle_exit(m, &x, max_insns, in, r))
			break;
		/* By exits, the limit counts exits (a replay's bound). */
		if (m->by_exits && max_insns && m->exits >= max_insns) {
			r->outcome = RUN_LIMIT;
			break;
		}
	}
	r->insns = e->ops->insn_count(e);
}
