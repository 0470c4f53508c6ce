/* Decoded A64 code shared by a machine's vCPUs (a64_code.h). */
#include <stdlib.h>
#include <string.h>

#include "arch/arm64/a64_code.h"

#define PAGE_SIZE 4096u
/* op0 = 101x: branches, exception generation and system instructions. */
#define ENDS_BLOCK(word) (((word) >> 26 & 7) == 5)

struct a64_code *a64_code__create(struct encore_machine *m)
{
	struct a64_code *k = calloc(1, sizeof(*k));
	u64 nframes = m->ram_size / PAGE_SIZE;
	if (!k)
		return NULL;
	k->m = m;
	k->frame_gen = calloc(nframes, sizeof(*k->frame_gen));
	k->has_code = calloc((nframes + 63) / 64, sizeof(*k->has_code));
	if (!k->frame_gen || !k->has_code) {
		a64_code__put(k);
		return NULL;
	}
	k->users = 1;
	return k;
}

void a64_code__put(struct a64_code *k)
{
	if (!k || (k->users && --k->users))
		return;
	for (unsigned s = 0; s < A64_CODE_SLOTS; s++)
		free(k->slots[s]);
	free(k->frame_gen);
	free(k->has_code);
	free(k);
}

/* With a hook key, the page's virtual address moves the slot too, so that
 * one frame mapped at several addresses does not fight over one slot. */
static unsigned slot_of(u64 pa, u64 key)
{
	u64 h = pa ^ ((key >> 12) * 0x9e3779b97f4a7c15ull);
	return (unsigned)((h >> 2) ^ (h >> 16)) & (A64_CODE_SLOTS - 1);
}

static void decode_into(struct a64_code *k, struct a64_block *b, u64 pa, u64 key,
			const u8 *host)
{
	i64 off = machine__ram_offset(k->m, pa);
	u64 frame = (u64)off / PAGE_SIZE;
	unsigned room = (PAGE_SIZE - (pa & (PAGE_SIZE - 1))) / 4, n = 0;
	if (room > A64_BLOCK_MAX)
		room = A64_BLOCK_MAX;
	while (n < room) {
		u32 word;
		memcpy(&word, host + 4 * n, 4);
		a64_decode(word, &b->insns[n++]);
		if (ENDS_BLOCK(word))
			break;
	}
	if (!a64_code__frame_has_code(k, frame)) {
		k->has_code[frame >> 6] |= 1ull << (frame & 63);
		if (k->became_code)
			k->became_code(k->opaque, pa & ~(u64)(PAGE_SIZE - 1));
	}
	b->pa = pa;
	b->key = key;
	b->serial = ++k->decoded;
	b->hook_told = false;
	b->hook_handle = NULL;
	b->frame = frame;
	b->gen = k->frame_gen[frame];
	b->ninsns = (u16)n;
}

struct a64_block *a64_code__block(struct a64_code *k, u64 pa, u64 key, const u8 *host)
{
	struct a64_block **slot = &k->slots[slot_of(pa, key)], *b = *slot;
	if (likely(b && b->pa == pa && b->key == key && b->gen == k->frame_gen[b->frame]))
		return b;
	if (!b && !(b = *slot = malloc(sizeof(*b))))
		abort(); /* a few KiB: nothing sensible is left to do */
	decode_into(k, b, pa, key, host);
	return b;
}

void a64_code__flush(struct a64_code *k)
{
	u64 nframes = k->m->ram_size / PAGE_SIZE;
	for (u64 f = 0; f < nframes; f++)
		a64_code__frame_written(k, f);
}
