/* The machine's saved state, part by part (encore/state_parts.h). */
#include <stdio.h>
#include <string.h>

#include "encore/errmsg.h"
#include "encore/state_parts.h"

unsigned machine__nparts(const struct encore_machine *m)
{
	return 1 + m->nvcpus + m->ndevices;
}

static void describe(struct state_part *p, const char *name, u32 version, u32 size)
{
	memset(p->name, 0, sizeof(p->name));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->version = version;
	p->size = size;
}

/* By exits the saved count is 0, as restore_vcpu sets it: KVM counts no
 * instructions and the interpreter replaying its recording does, so a
 * count would make the two engines' states differ. */
static const void *view_vcpu(const struct encore_machine *m, struct encore_vcpu *v,
			     struct vcpu_part *part)
{
	memset(part, 0, vcpu_part__size(m->arch));
	if (v->engine) {
		part->insns = m->by_exits ? 0 : v->engine->ops->insn_count(v->engine);
		v->engine->ops->get_state(v->engine, part->state);
	}
	return part;
}

const void *machine__part_view(struct encore_machine *m, unsigned k, struct state_part *p,
			       struct vcpu_part *scratch)
{
	if (k == 0) {
		describe(p, "sched", SCHED_STATE_VERSION, sizeof(m->sched));
		return &m->sched;
	}
	if (k <= m->nvcpus) {
		char name[STATE_PART_NAME];
		snprintf(name, sizeof(name), "%s%u", m->arch->cpu_part, k - 1);
		describe(p, name, m->arch->state_version, vcpu_part__size(m->arch));
		return scratch ? view_vcpu(m, &m->vcpus[k - 1], scratch) : NULL;
	}
	const struct device *d = m->devices[k - 1 - m->nvcpus];
	describe(p, d->name, d->version, d->state_size);
	return d->state;
}

static void restore_vcpu(struct encore_machine *m, struct encore_vcpu *v, const void *bytes)
{
	struct vcpu_part part;
	memcpy(&part, bytes, vcpu_part__size(m->arch));
	v->engine->ops->set_state(v->engine, part.state);
	/* By exits, landmarks count exits and the engine counts from 0. */
	v->engine->ops->set_insn_count(v->engine, m->by_exits ? 0 : part.insns);
}

/* The saved scheduler must name a vCPU of this machine. */
static int restore_sched(struct encore_machine *m, const void *bytes, char *err, size_t n)
{
	struct vcpu_sched_state s;
	memcpy(&s, bytes, sizeof(s));
	if (s.nvcpus != m->nvcpus || s.cur >= m->nvcpus)
		return errmsg(err, n, "the saved scheduler is for %u vCPUs (running vCPU %u); this "
			      "machine has %u", s.nvcpus, s.cur, m->nvcpus);
	m->sched = s;
	return 0;
}

int machine__part_restore(struct encore_machine *m, unsigned k, const struct state_part *p,
			  const void *bytes, char *err, size_t n)
{
	struct state_part want;
	machine__part_view(m, k, &want, NULL);
	if (strcmp(p->name, want.name))
		return errmsg(err, n, "part %u is '%s'; this machine has '%s' there", k, p->name,
			      want.name);
	if (p->version != want.version)
		return errmsg(err, n, "the state of '%s' has layout version %u; this encore reads "
			      "version %u", p->name, p->version, want.version);
	if (p->size != want.size)
		return errmsg(err, n, "the state of '%s' (layout version %u) is %u bytes; this encore "
			      "expects %u", p->name, p->version, p->size, want.size);
	if (k == 0)
		return restore_sched(m, bytes, err, n);
	if (k <= m->nvcpus)
		restore_vcpu(m, &m->vcpus[k - 1], bytes);
	else
		device__restore(m->devices[k - 1 - m->nvcpus], bytes);
	return 0;
}
