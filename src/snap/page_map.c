/* Frame content hashes and the state hash built on them (page_map.h). */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "encore/ram.h"
#include "encore/state_hash.h"
#include "page_map.h"

int page_map__init(struct page_map *pm, u64 nframes)
{
	memset(pm, 0, sizeof(*pm));
	pm->nframes = nframes;
	pm->hash = calloc(nframes ? nframes : 1, sizeof(*pm->hash));
	pm->dirty = calloc((nframes + 63) / 64 + 1, sizeof(u64));
	if (!pm->hash || !pm->dirty) {
		page_map__free(pm);
		return -1;
	}
	struct page_hash z = page_hash__zero();
	for (u64 f = 0; f < nframes; f++)
		pm->hash[f] = z;
	return 0;
}

void page_map__free(struct page_map *pm)
{
	free(pm->hash);
	free(pm->dirty);
	pm->hash = NULL;
	pm->dirty = NULL;
}

struct page_hash page_hash__of(const u8 *page)
{
	XXH128_hash_t h = XXH3_128bits(page, RAM_PAGE_SIZE);
	return (struct page_hash){ h.low64, h.high64 };
}

struct page_hash page_hash__zero(void)
{
	static struct page_hash zero;
	static bool done;
	if (!done) {
		static const u8 page[RAM_PAGE_SIZE];
		zero = page_hash__of(page);
		done = true;
	}
	return zero;
}

u64 page_map__update(struct page_map *pm, struct encore_machine *m,
		     void (*changed)(void *opaque, u64 frame, const struct page_hash *h),
		     void *opaque)
{
	u64 count = ram__take_dirty(m, pm->dirty);
	u64 words = (pm->nframes + 63) / 64;
	for (u64 w = 0; w < words; w++)
		for (u64 bits = pm->dirty[w]; bits; bits &= bits - 1) {
			u64 f = w * 64 + (u64)__builtin_ctzll(bits);
			/* A dirty frame was written, so it is loaded. */
			struct page_hash h = page_hash__of(m->ram + f * RAM_PAGE_SIZE);
			if (page_hash__eq(&h, &pm->hash[f]))
				continue;
			pm->hash[f] = h;
			if (changed)
				changed(opaque, f, &h);
		}
	return count;
}

u64 page_map__state_hash(const struct page_map *pm, struct encore_machine *m)
{
	_Static_assert(sizeof(struct page_hash) == 16, "16 bytes per frame");
	(void)pm->nframes;
	return machine__state_hash_of_pages(m, pm->hash);
}

i64 page_map__audit(const struct page_map *pm, struct encore_machine *m)
{
	for (u64 f = 0; f < pm->nframes; f++) {
		if (ram__frame_absent(m, f))
			continue; /* not loaded, so not written either */
		struct page_hash h = page_hash__of(m->ram + f * RAM_PAGE_SIZE);
		if (!page_hash__eq(&h, &pm->hash[f]))
			return (i64)f;
	}
	return -1;
}
