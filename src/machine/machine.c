/* The machine object: guest RAM and the buses devices hang on. */
#include <stdlib.h>
#include <sys/mman.h>

#include "encore/hw.h"
#include "encore/ram.h"

static int create_vcpus(struct encore_machine *m, unsigned n)
{
	m->vcpus = calloc(n, sizeof(*m->vcpus));
	if (!m->vcpus)
		return -1;
	for (unsigned k = 0; k < n; k++)
		m->vcpus[k] = (struct encore_vcpu){ .index = k, .machine = m };
	m->nvcpus = n;
	m->cur = &m->vcpus[0];
	m->sched = (struct vcpu_sched_state){ .cur = 0, .nvcpus = n };
	return 0;
}

struct encore_machine *machine__create(const struct encore_arch *arch, u64 ram_size,
				       unsigned nvcpus)
{
	/* RAM is whole 4 KiB frames: the page tracking, the engines' TLBs and
	 * code-page lists index it by frame, and a pointer into RAM is good
	 * to the end of its frame. */
	if (nvcpus < 1 || nvcpus > MACHINE_MAX_VCPUS || !ram_size || ram_size % 4096)
		return NULL;
	struct encore_machine *m = calloc(1, sizeof(*m));
	if (!m || create_vcpus(m, nvcpus)) {
		free(m);
		return NULL;
	}
	/* Anonymous memory: untouched guest pages cost the host nothing. */
	m->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->ram == MAP_FAILED) {
		free(m->vcpus);
		free(m);
		return NULL;
	}
	m->arch = arch;
	m->ram_size = ram_size;
	arch->ram_layout(ram_size, m->ram_regions);
	m->console_out = stdout;
	m->pause.at = MACHINE_NO_PAUSE;
	m->pio.machine = m->mmio.machine = m;
	if (ram__init(m)) {
		munmap(m->ram, ram_size);
		free(m->vcpus);
		free(m);
		return NULL;
	}
	return m;
}

void machine__destroy(struct encore_machine *m)
{
	if (!m)
		return;
	for (unsigned k = m->nvcpus; k-- > 0;)
		if (m->vcpus[k].engine)
			m->vcpus[k].engine->ops->destroy(m->vcpus[k].engine);
	/* Newest first: a device may use one registered before it. */
	for (unsigned k = m->ndevices; k-- > 0;) {
		struct device *d = m->devices[k];
		if (d->destroy)
			d->destroy(d->dev);
		else
			free(d->dev);
		free(d);
	}
	munmap(m->ram, m->ram_size);
	ram__free(m);
	free(m->vcpus);
	free(m);
}

void machine__report(struct encore_machine *m, FILE *f)
{
	for (unsigned k = 0; k < m->nvcpus; k++)
		if (m->vcpus[k].engine)
			m->vcpus[k].engine->ops->report(m->vcpus[k].engine, f);
}

void machine__kick(struct encore_machine *m)
{
	struct encore_engine *e = m->cur->engine;
	if (e)
		e->ops->kick(e);
}

void machine__request_stop(struct encore_machine *m, int status)
{
	m->stopped = true;
	m->exit_status = status;
	machine__kick(m);
}

u64 machine__insns(struct encore_machine *m)
{
	struct encore_engine *e = m->cur->engine;
	return m->insns_others + (e ? e->ops->insn_count(e) : 0);
}

u64 machine__progress(struct encore_machine *m)
{
	return m->by_exits ? m->exits : machine__insns(m);
}

static u64 vcpu_insns(const struct encore_vcpu *v)
{
	return v->engine ? v->engine->ops->insn_count(v->engine) : 0;
}

/* Only the running vCPU's count moves, so the others' sum changes only
 * here: machine__insns stays one addition. */
void machine__switch_to(struct encore_machine *m, struct encore_vcpu *v)
{
	if (v == m->cur)
		return;
	m->insns_others += vcpu_insns(m->cur);
	m->insns_others -= vcpu_insns(v);
	m->cur = v;
	m->sched.cur = v->index;
}

void machine__counts_changed(struct encore_machine *m)
{
	m->cur = &m->vcpus[m->sched.cur < m->nvcpus ? m->sched.cur : 0];
	m->insns_others = 0;
	for (unsigned k = 0; k < m->nvcpus; k++)
		if (&m->vcpus[k] != m->cur)
			m->insns_others += vcpu_insns(&m->vcpus[k]);
}

void machine__count_exit(struct encore_machine *m)
{
	m->exits++;
	machine__kick(m);
}
