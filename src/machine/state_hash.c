/*
 * The machine-state hash: CPU state, every device's state, all of guest
 * RAM and virtual time, so two runs that agree on it agree on everything
 * the guest can observe.
 */
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "encore/hw.h"
#include "encore/state_hash.h"

static u64 hash_state(struct encore_machine *m, bool with_ram)
{
	struct encore_cpu_state s;
	m->engine->ops->get_state(m->engine, &s);
	XXH3_state_t h;
	XXH3_64bits_reset(&h);
	XXH3_64bits_update(&h, &s, sizeof(s));
	for (unsigned k = 0; k < m->ndevices; k++)
		XXH3_64bits_update(&h, m->devices[k]->state, m->devices[k]->state_size);
	XXH3_64bits_update(&h, &m->idle_ns, sizeof(m->idle_ns));
	if (with_ram)
		XXH3_64bits_update(&h, m->ram, m->ram_size);
	return XXH3_64bits_digest(&h);
}

u64 machine__state_hash(struct encore_machine *m)
{
	return hash_state(m, true);
}

u64 machine__fingerprint(struct encore_machine *m)
{
	return hash_state(m, false);
}
