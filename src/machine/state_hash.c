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

u64 state_hash__fingerprint(unsigned nparts, const void *(*part)(void *ctx, unsigned k, u32 *size),
			    void *ctx, u64 idle_ns)
{
	XXH3_state_t h;
	XXH3_64bits_reset(&h);
	for (unsigned k = 0; k < nparts; k++) {
		u32 size;
		const void *bytes = part(ctx, k, &size);
		XXH3_64bits_update(&h, bytes, size);
	}
	XXH3_64bits_update(&h, &idle_ns, sizeof(idle_ns));
	return XXH3_64bits_digest(&h);
}

u64 state_hash__with_pages(u64 fingerprint, const void *page_hashes, u64 nframes)
{
	XXH3_state_t h;
	XXH3_64bits_reset(&h);
	XXH3_64bits_update(&h, &fingerprint, sizeof(fingerprint));
	XXH3_64bits_update(&h, page_hashes, nframes * 16);
	return XXH3_64bits_digest(&h);
}

struct live_parts {
	struct encore_machine *m;
	struct vcpu_part scratch;
};

static const void *live_part(void *ctx, unsigned k, u32 *size)
{
	struct live_parts *l = ctx;
	struct state_part p;
	const void *bytes = machine__part_view(l->m, k, &p, &l->scratch);
	*size = p.size;
	return bytes;
}

u64 machine__fingerprint(struct encore_machine *m)
{
	struct live_parts l = { .m = m };
	return state_hash__fingerprint(machine__nparts(m), live_part, &l, m->idle_ns);
}

u64 machine__state_hash_of_pages(struct encore_machine *m, const void *page_hashes)
{
	return state_hash__with_pages(machine__fingerprint(m), page_hashes, m->pages.nframes);
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
