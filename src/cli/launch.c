/* Running a guest from the command line (launch.h). */
#include <stdio.h>
#include <string.h>

#include "launch.h"
#include "encore/state_hash.h"
#include "encore/host_clock.h"

static struct console *con(void *launch) { return &((struct launch *)launch)->console; }

static void fe_poll(void *opaque)
{
	struct launch *l = opaque;
	console__poll(&l->console);
	if (l->on_poll)
		l->on_poll(l->on_poll_opaque);
}

static size_t fe_take(void *l, u8 *buf, size_t max) { return console__take(con(l), buf, max); }
static bool fe_stop(void *l, int *status) { return console__stop_requested(con(l), status); }
static u64 fe_idle(void *l, u64 ns) { return console__idle(con(l), ns); }
static bool fe_wait(void *l) { return console__wait(con(l)); }
static bool fe_next_frame(void *l, const u8 **f, size_t *n) { return console__next_frame(con(l), f, n); }
static void fe_drop_frame(void *l) { console__drop_frame(con(l)); }
static void tap_byte(void *opaque, u8 byte) { rr_session__console_byte(opaque, byte); }

int launch__create(struct launch *l, const struct guest_opts *o, bool input, bool realtime,
		   u64 slice)
{
	memset(l, 0, sizeof(*l));
	if (guest__create(&l->guest, o, &l->console, input))
		return -1;
	l->console.realtime = realtime;
	struct rr_frontend fe = { fe_poll, fe_take, fe_stop, fe_idle, fe_wait, fe_next_frame,
				  fe_drop_frame, l };
	rr_session__init(&l->session, l->guest.machine, &l->guest.console, &fe, slice, realtime);
	rr_session__set_nic(&l->session, l->guest.nic);
	l->console.tap = tap_byte;
	l->console.tap_opaque = &l->session;
	return 0;
}

void launch__run(struct launch *l, u64 max_insns)
{
	struct run_input in = rr_session__run_input(&l->session);
	double t0 = host_clock__seconds();
	machine__run(l->guest.machine, max_insns, &in, &l->result);
	l->wall_seconds = host_clock__seconds() - t0;
	console__finish(&l->console);
}

/* "1234 instructions", or on KVM (which counts none) "56 exits". */
const char *launch__progress_text(struct launch *l, char *buf, size_t n)
{
	struct encore_machine *m = l->guest.machine;
	if (m->by_exits && machine__insns(m) == 0)
		snprintf(buf, n, "%llu exits", (unsigned long long)m->exits);
	else
		snprintf(buf, n, "%llu instructions", (unsigned long long)l->result.insns);
	return buf;
}

static int report_fault(struct launch *l, bool verbose)
{
	struct encore_machine *m = l->guest.machine;
	const struct run_result *r = &l->result;
	double vt = machine__now(m) / 1e9;
	char done[64], where[32] = "";
	launch__progress_text(l, done, sizeof(done));
	if (!verbose)
		return r->outcome == RUN_TRIPLE_FAULT ? EXIT_TRIPLE_STATUS : EXIT_ERROR_STATUS;
	if (m->nvcpus > 1)
		snprintf(where, sizeof(where), " on vCPU %u", r->vcpu);
	const char *pc = m->arch->pc_name;
	if (r->outcome == RUN_TRIPLE_FAULT && !r->message[0])
		fprintf(stderr, "\nencore: triple fault: the guest faulted while delivering a double "
			"fault, at %s %#llx%s after %s (%.3f s of virtual time); a real PC would "
			"reset here\n", pc, (unsigned long long)r->pc, where, done, vt);
	else if (r->outcome == RUN_TRIPLE_FAULT)
		fprintf(stderr, "\nencore: the guest's exceptions fault: %s%s after %s (%.3f s of "
			"virtual time); real hardware would hang here\n", r->message, where, done, vt);
	else
		fprintf(stderr, "\nencore: %s, at %s %#llx%s after %s (%.3f s of virtual time)\n",
			r->message, pc, (unsigned long long)r->pc, where, done, vt);
	machine__report(m, stderr);
	return r->outcome == RUN_TRIPLE_FAULT ? EXIT_TRIPLE_STATUS : EXIT_ERROR_STATUS;
}

int launch__status(struct launch *l, bool verbose)
{
	struct encore_machine *m = l->guest.machine;
	const struct console *con = &l->console;
	const struct run_result *r = &l->result;
	double vt = machine__now(m) / 1e9;
	if (con->panicked) {
		if (verbose)
			fprintf(stderr, "\nencore: the guest kernel panicked (\"%s\") after %llu "
				"instructions (%.3f s of virtual time); encore stopped it at %s "
				"%#llx\n", con->panic_line, (unsigned long long)r->insns, vt,
				m->arch->pc_name, (unsigned long long)r->pc);
		return EXIT_PANIC_STATUS;
	}
	switch (r->outcome) {
	case RUN_STOPPED:
		if (verbose && r->status > 128)
			fprintf(stderr, "\nencore: stopped by signal %d after %llu instructions\n",
				r->status - 128, (unsigned long long)r->insns);
		return r->status;
	case RUN_POWERED_OFF:
		return 0;
	case RUN_LIMIT:
		if (verbose)
			fprintf(stderr, "\nencore: stopped at instruction limit %llu (%s %#llx, "
				"%.3f s of virtual time)\n", (unsigned long long)r->insns,
				m->arch->pc_name, (unsigned long long)r->pc, vt);
		return EXIT_LIMIT_STATUS;
	case RUN_RESET:
		if (verbose)
			fprintf(stderr, "\nencore: the guest asked for a system reset (a reboot, or a "
				"panic with panic=N) after %llu instructions; encore does not reboot "
				"guests\n", (unsigned long long)r->insns);
		return EXIT_RESET_STATUS;
	default:
		return report_fault(l, verbose);
	}
}

void launch__summary(struct launch *l)
{
	struct encore_machine *m = l->guest.machine;
	const struct run_result *r = &l->result;
	double dt = l->wall_seconds;
	if (m->by_exits)
		fprintf(stderr, "exits: %llu\n", (unsigned long long)m->exits);
	fprintf(stderr, "instructions: %llu\nvirtual-seconds: %.3f\nwall-seconds: %.3f\n"
		"guest-mips: %.1f\nstate-hash: %016llx\nram-hash: %016llx\n",
		(unsigned long long)r->insns, machine__now(m) / 1e9, dt,
		dt > 0 ? r->insns / dt / 1e6 : 0.0, (unsigned long long)machine__state_hash(m),
		(unsigned long long)machine__ram_hash(m));
	if (m->nvcpus == 1)
		return;
	fprintf(stderr, "vcpu-instructions:");
	for (unsigned k = 0; k < m->nvcpus; k++) {
		struct encore_engine *e = m->vcpus[k].engine;
		fprintf(stderr, " %llu", (unsigned long long)e->ops->insn_count(e));
	}
	fprintf(stderr, "\n");
}

void launch__destroy(struct launch *l)
{
	rr_session__destroy(&l->session);
	guest__destroy(&l->guest);
}
