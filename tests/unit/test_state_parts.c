/*
 * The vCPU's saved part and the machine fingerprint across engines.  A
 * recording made on KVM (landmarks by exits) is replayed on the
 * interpreter: KVM counts no instructions, the interpreter does, so by
 * exits the saved part must not hold the engine's count, or every
 * fingerprint of such a replay differs from its recording's.  Counted by
 * instructions, the count is part of the state and must show.
 */
#include <string.h>

#include "check.h"
#include "encore/engine.h"
#include "encore/bare_metal.h"
#include "encore/loader.h"
#include "encore/pc.h"
#include "encore/state_hash.h"
#include "encore/state_parts.h"

#define RAM_SIZE (16ull << 20)
#define CODE 0x100000ull

static void discard(void *opaque, u8 byte)
{
	(void)opaque;
	(void)byte;
}

static u64 saved_insns(struct encore_machine *m)
{
	struct state_part p;
	struct vcpu_part scratch;
	const struct vcpu_part *v = machine__part_view(m, 1, &p, &scratch);
	return v->insns;
}

int main(void)
{
	struct encore_machine *m = machine__create(&arch_x86_64, RAM_SIZE, 1);
	struct pc_config cfg = { .console_tx = discard };
	struct pc pc;
	struct encore_cpu_state s;
	check_group("the vCPU part by exits and by instructions");
	if (!m || pc__create(m, &cfg, &pc) || bare_metal__prepare(m, &s, CODE) ||
	    !interp__create(m, &m->vcpus[0])) {
		check_failf(__FILE__, "cannot build the machine");
		return check_summary();
	}
	struct encore_engine *e = m->vcpus[0].engine;
	e->ops->set_state(e, &s);

	m->by_exits = true;
	u64 before = machine__fingerprint(m);
	e->ops->set_insn_count(e, 123456);
	CHECK(saved_insns(m) == 0, "by exits the part saves %llu instructions, not 0",
	      (unsigned long long)saved_insns(m));
	CHECK(machine__fingerprint(m) == before, "by exits the engine's count changes the "
	      "fingerprint");

	m->by_exits = false;
	CHECK(saved_insns(m) == 123456, "by instructions the part saves %llu, not 123456",
	      (unsigned long long)saved_insns(m));
	CHECK(machine__fingerprint(m) != before, "by instructions the count is not in the "
	      "fingerprint");
	check_group_end();
	machine__destroy(m);
	return check_summary();
}
