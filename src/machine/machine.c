/* The machine object: guest RAM and the buses devices hang on. */
#include <stdlib.h>
#include <sys/mman.h>

#include "encore/hw.h"
#include "encore/ram.h"

struct encore_machine *machine__create(u64 ram_size)
{
	struct encore_machine *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	/* Anonymous memory: untouched guest pages cost the host nothing. */
	m->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->ram == MAP_FAILED) {
		free(m);
		return NULL;
	}
	m->ram_size = ram_size;
	m->low_ram_size = ram_size < MACHINE_LOW_RAM_MAX ? ram_size : MACHINE_LOW_RAM_MAX;
	m->high_ram_size = ram_size - m->low_ram_size;
	m->console_out = stdout;
	m->pio.machine = m->mmio.machine = m;
	if (ram__init(m)) {
		munmap(m->ram, ram_size);
		free(m);
		return NULL;
	}
	return m;
}

void machine__destroy(struct encore_machine *m)
{
	if (!m)
		return;
	if (m->engine)
		m->engine->ops->destroy(m->engine);
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
	free(m);
}

void machine__kick(struct encore_machine *m)
{
	if (m->engine)
		m->engine->ops->kick(m->engine);
}

void machine__request_stop(struct encore_machine *m, int status)
{
	m->stopped = true;
	m->exit_status = status;
	machine__kick(m);
}

u64 machine__progress(struct encore_machine *m)
{
	if (m->by_exits)
		return m->exits;
	return m->engine ? m->engine->ops->insn_count(m->engine) : 0;
}

void machine__count_exit(struct encore_machine *m)
{
	m->exits++;
	machine__kick(m);
}
