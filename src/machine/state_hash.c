/*
 * The machine-state hash: CPU state, every device's state, all of guest
 * RAM and virtual time, so two runs that agree on it agree on everything
 * the guest can observe.
 */
#include <xxhash.h>

#include "encore/hw.h"
#include "encore/state_hash.h"

u64 machine__state_hash(struct encore_machine *m)
{
	struct encore_cpu_state s;
	m->engine->ops->get_state(m->engine, &s);
	XXH3_state_t *h = XXH3_createState();
	XXH3_64bits_reset(h);
	XXH3_64bits_update(h, &s, sizeof(s));
	for (unsigned k = 0; k < m->ndevices; k++)
		XXH3_64bits_update(h, m->devices[k]->state, m->devices[k]->state_size);
	XXH3_64bits_update(h, &m->idle_ns, sizeof(m->idle_ns));
	XXH3_64bits_update(h, m->ram, m->ram_size);
	u64 r = XXH3_64bits_digest(h);
	XXH3_freeState(h);
	return r;
}
