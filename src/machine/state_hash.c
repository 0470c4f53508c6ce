/*
 * The machine-state hash (encore/state_hash.h): every part of the saved
 * state (scheduler, vCPUs, devices), virtual time and the content hash of
 * every RAM frame.
 */
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "encore/hw.h"
#include "encore/ram.h"
#include "encore/state_hash.h"
#include "encore/state_parts.h"

u64 machine__fingerprint(struct encore_machine *m)
{
	XXH3_state_t h;
	XXH3_64bits_reset(&h);
	unsigned n = machine__nparts(m);
	for (unsigned k = 0; k < n; k++) {
		struct state_part p;
		struct vcpu_part scratch;
		const void *bytes = machine__part_view(m, k, &p, &scratch);
		XXH3_64bits_update(&h, bytes, p.size);
	}
	XXH3_64bits_update(&h, &m->idle_ns, sizeof(m->idle_ns));
	return XXH3_64bits_digest(&h);
}

u64 machine__state_hash_of_pages(struct encore_machine *m, const void *page_hashes)
{
	XXH3_state_t h;
	XXH3_64bits_reset(&h);
	u64 fp = machine__fingerprint(m);
	XXH3_64bits_update(&h, &fp, sizeof(fp));
	XXH3_64bits_update(&h, page_hashes, m->pages.nframes * 16);
	return XXH3_64bits_digest(&h);
}

u64 machine__state_hash(struct encore_machine *m)
{
	ram__fetch_all(m);
	XXH3_state_t h;
	XXH3_64bits_reset(&h);
	u64 fp = machine__fingerprint(m);
	XXH3_64bits_update(&h, &fp, sizeof(fp));
	for (u64 f = 0; f < m->pages.nframes; f++) {
		XXH128_hash_t ph = XXH3_128bits(m->ram + f * RAM_PAGE_SIZE, RAM_PAGE_SIZE);
		u64 pair[2] = { ph.low64, ph.high64 };
		XXH3_64bits_update(&h, pair, sizeof(pair));
	}
	return XXH3_64bits_digest(&h);
}

u64 machine__ram_hash(struct encore_machine *m)
{
	ram__fetch_all(m);
	return XXH3_64bits(m->ram, m->ram_size);
}
