/*
 * vCPU turns and polls: where the run loop is asked to stop (a replay
 * stops at every recorded event's instruction count) must not change
 * whose turn it is there, nor anything else.  A recording polls at such
 * a count for its own reasons (a kick, every vCPU halted) after any turn
 * that ended there has passed on; a replay stopping at the same count
 * must see the same vCPU.  Two vCPUs of a PC: vCPU 0 counts forever,
 * vCPU 1 counts down for a quantum and a half and halts with interrupts
 * off; the first turn is vCPU 1's (the machine starts with no quantum
 * left, and turns go round from the current vCPU, 0).  Checked:
 *   - a stop at each quantum boundary finds the vCPU whose turn starts
 *     there, and a stop where vCPU 1 halts finds vCPU 0;
 *   - with those stops the machine ends exactly as without them.
 */
#include <string.h>

#include "check.h"
#include "encore/engine.h"
#include "encore/bare_metal.h"
#include "encore/loader.h"
#include "encore/pc.h"
#include "encore/run.h"
#include "encore/state_hash.h"

#define RAM_SIZE (16ull << 20)
#define CODE0 0x100000ull
#define CODE1 0x101000ull
#define STACKS 0x200000ull
#define RUN_INSNS 200000ull
#define COUNTDOWN 15000u

/* inc %rax; jmp back */
static const u8 forever[] = { 0x48, 0xff, 0xc0, 0xeb, 0xfb };
/* mov $COUNTDOWN,%ecx; 1: dec %ecx; jnz 1b; cli; hlt */
static const u8 countdown[] = { 0xb9, COUNTDOWN & 0xff, COUNTDOWN >> 8, 0, 0,
				0xff, 0xc9, 0x75, 0xfc, 0xfa, 0xf4 };

static void discard(void *opaque, u8 byte)
{
	(void)opaque;
	(void)byte;
}

static struct encore_machine *build(struct pc *pc)
{
	struct encore_machine *m = machine__create(&arch_x86_64, RAM_SIZE, 2);
	struct pc_config cfg = { .console_tx = discard };
	struct encore_cpu_state s;
	if (!m || pc__create(m, &cfg, pc) || bare_metal__prepare(m, &s, CODE0))
		return NULL;
	memcpy(machine__ram_ptr(m, CODE0), forever, sizeof(forever));
	memcpy(machine__ram_ptr(m, CODE1), countdown, sizeof(countdown));
	for (unsigned k = 0; k < 2; k++) {
		struct encore_vcpu *v = &m->vcpus[k];
		if (!interp__create(m, v))
			return NULL;
		s.rip = k ? CODE1 : CODE0;
		s.gpr[REG_RSP] = STACKS + 0x1000 * (k + 1);
		v->engine->ops->set_state(v->engine, &s);
	}
	return m;
}

/* The stops asked for, and what each poll found. */
struct probe {
	struct encore_machine *m;
	const u64 *stops;
	unsigned nstops, next;
	u64 poll_insns[64];
	unsigned poll_vcpu[64], npolls;
};

static void on_poll(void *opaque)
{
	struct probe *p = opaque;
	if (p->npolls < 64) {
		p->poll_insns[p->npolls] = machine__insns(p->m);
		p->poll_vcpu[p->npolls++] = p->m->cur->index;
	}
}

static u64 next_stop(void *opaque)
{
	struct probe *p = opaque;
	u64 now = machine__insns(p->m);
	while (p->next < p->nstops && p->stops[p->next] <= now)
		p->next++;
	return p->next < p->nstops ? p->stops[p->next] : ~0ull;
}

static u64 run(struct probe *p, u64 *vcpu1_insns)
{
	struct pc pc;
	p->m = build(&pc);
	CHECK(p->m != NULL, "a PC with 2 vCPUs");
	if (!p->m)
		return 0;
	struct run_input in = { .poll = on_poll, .next_stop = next_stop, .opaque = p,
				.slice = 1ull << 40 };
	struct run_result r;
	machine__run(p->m, RUN_INSNS, &in, &r);
	CHECK(r.outcome == RUN_LIMIT, "ran to the limit (outcome %d)", r.outcome);
	struct encore_engine *e = p->m->vcpus[1].engine;
	*vcpu1_insns = e->ops->insn_count(e);
	u64 fp = machine__fingerprint(p->m);
	machine__destroy(p->m);
	return fp;
}

/* The vCPU a poll at `insns` found, or -1 if none polled there. */
static int vcpu_at(const struct probe *p, u64 insns)
{
	for (unsigned k = 0; k < p->npolls; k++)
		if (p->poll_insns[k] == insns)
			return (int)p->poll_vcpu[k];
	return -1;
}

int main(void)
{
	check_group("turns and stops");
	struct probe plain = { 0 };
	u64 halted_after;
	u64 fp_plain = run(&plain, &halted_after);
	u64 q = MACHINE_QUANTUM_INSNS, v1_total = 3 + 2 * COUNTDOWN;
	CHECK(halted_after == v1_total, "vCPU 1 halted after %llu instructions",
	      (unsigned long long)halted_after);
	/* vCPU 1 [0, q), vCPU 0 [q, 2q), vCPU 1 until it halts, then vCPU 0. */
	u64 halt_at = 2 * q + (v1_total - q);
	u64 stops[] = { q, 2 * q, halt_at, halt_at + q };
	struct probe stopped = { .stops = stops, .nstops = 4 };
	u64 halted_after2;
	u64 fp_stopped = run(&stopped, &halted_after2);
	CHECK(vcpu_at(&stopped, q) == 0, "at %llu, where vCPU 1's quantum ends, vCPU 0's turn "
	      "has begun (found %d)", (unsigned long long)q, vcpu_at(&stopped, q));
	CHECK(vcpu_at(&stopped, 2 * q) == 1, "at %llu, where vCPU 0's quantum ends, vCPU 1's "
	      "turn has begun (found %d)", (unsigned long long)(2 * q), vcpu_at(&stopped, 2 * q));
	CHECK(vcpu_at(&stopped, halt_at) == 0, "at %llu, where vCPU 1 halts, vCPU 0's turn has "
	      "begun (found %d)", (unsigned long long)halt_at, vcpu_at(&stopped, halt_at));
	CHECK(vcpu_at(&stopped, halt_at + q) == 0, "with vCPU 1 halted, vCPU 0 takes the next "
	      "turn too (found %d)", vcpu_at(&stopped, halt_at + q));
	CHECK(fp_stopped == fp_plain && halted_after2 == halted_after,
	      "the stops change nothing: fingerprint %016llx, not %016llx",
	      (unsigned long long)fp_stopped, (unsigned long long)fp_plain);
	check_group_end();
	return check_summary();
}
