/* Decoded A64 code shared by a machine's vCPUs (a64_code.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "arch/arm64/a64_code.h"
#include "arch/arm64/a64_translate.h"
#include "host/code_memory.h"

#define PAGE_SIZE 4096u
/* op0 = 101x: branches, exception generation and system instructions. */
#define ENDS_BLOCK(word) (((word) >> 26 & 7) == 5)
/* Address space for blocks and for their translations; only what is used
 * is committed.  Either one full drops everything (a64_code.h). */
#define BLOCK_MEMORY_SIZE (256u << 20)
#define CODE_MEMORY_SIZE (128u << 20)

struct a64_code *a64_code__create(struct encore_machine *m)
{
	struct a64_code *k = calloc(1, sizeof(*k));
	u64 nframes = m->ram_size / PAGE_SIZE;
	if (!k)
		return NULL;
	k->m = m;
	k->users = 1;
	k->frame_gen = calloc(nframes, sizeof(*k->frame_gen));
	k->has_code = calloc((nframes + 63) / 64, sizeof(*k->has_code));
	void *blocks = mmap(NULL, BLOCK_MEMORY_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	k->blocks = blocks == MAP_FAILED ? NULL : blocks;
	if (!k->frame_gen || !k->has_code || !k->blocks) {
		a64_code__put(k);
		return NULL;
	}
	if (code_memory_translate_wanted())
		k->code_memory = code_memory_map(CODE_MEMORY_SIZE); /* NULL: interpret */
	return k;
}

void a64_code__put(struct a64_code *k)
{
	if (!k || (k->users && --k->users))
		return;
	if (k->blocks)
		munmap(k->blocks, BLOCK_MEMORY_SIZE);
	code_memory_unmap(k->code_memory, CODE_MEMORY_SIZE);
	free(k->frame_gen);
	free(k->has_code);
	free(k);
}

/* With a hook key, the page's virtual address moves the bucket too, so
 * that one frame mapped at many addresses does not make one long chain. */
static unsigned bucket_of(u64 pa, u64 key)
{
	u64 h = (pa ^ (key >> 12 << 20)) * 0x9e3779b97f4a7c15ull;
	return (unsigned)(h >> 48) & (A64_CODE_BUCKETS - 1);
}

/* Everything goes: blocks, translations, and the engines' pointers. */
static void drop_all(struct a64_code *k)
{
	memset(k->buckets, 0, sizeof(k->buckets));
	k->blocks_used = 0;
	k->code_used = 0;
	if (k->dropped)
		k->dropped(k->opaque);
}

static struct a64_block *block_alloc(struct a64_code *k, unsigned n)
{
	size_t size = (sizeof(struct a64_block) + n * sizeof(struct a64_insn) + 15) & ~(size_t)15;
	if (k->blocks_used + size > BLOCK_MEMORY_SIZE)
		drop_all(k);
	struct a64_block *b = (struct a64_block *)(k->blocks + k->blocks_used);
	k->blocks_used += size;
	b->room = (u16)n;
	return b;
}

/* Decode the instructions of a block at `host` (pa's page) into insns:
 * how many. */
static unsigned decode_insns(u64 pa, const u8 *host, struct a64_insn *insns)
{
	unsigned room = (PAGE_SIZE - (pa & (PAGE_SIZE - 1))) / 4, n = 0;
	if (room > A64_BLOCK_MAX)
		room = A64_BLOCK_MAX;
	while (n < room) {
		u32 word;
		memcpy(&word, host + 4 * n, 4);
		a64_decode(word, &insns[n++]);
		if (ENDS_BLOCK(word))
			break;
	}
	return n;
}

static void mark_code(struct a64_code *k, u64 pa, u64 frame)
{
	if (!a64_code__frame_has_code(k, frame)) {
		k->has_code[frame >> 6] |= 1ull << (frame & 63);
		if (k->became_code)
			k->became_code(k->opaque, pa & ~(u64)(PAGE_SIZE - 1));
	}
}

/* The first block of the chain with pa and key, valid or stale, or NULL. */
static struct a64_block *chain_find(struct a64_block *head, u64 pa, u64 key)
{
	for (struct a64_block *b = head; b; b = b->next)
		if (b->pa == pa && b->key == key)
			return b;
	return NULL;
}

static bool block_valid(const struct a64_code *k, const struct a64_block *b)
{
	return b->gen == k->frame_gen[b->frame];
}

struct a64_block *a64_code__find(struct a64_code *k, u64 pa, u64 key)
{
	struct a64_block *b = chain_find(k->buckets[bucket_of(pa, key)], pa, key);
	return b && block_valid(k, b) ? b : NULL;
}

struct a64_block *a64_code__block(struct a64_code *k, u64 pa, u64 key, const u8 *host)
{
	struct a64_block **head = &k->buckets[bucket_of(pa, key)];
	struct a64_block *b = chain_find(*head, pa, key);
	if (likely(b && block_valid(k, b)))
		return b;
	struct a64_insn insns[A64_BLOCK_MAX];
	unsigned n = decode_insns(pa, host, insns);
	if (!b || b->room < n) { /* a stale shorter one stays shadowed in the chain */
		b = block_alloc(k, n); /* may empty every chain, *head too */
		b->next = *head;
		*head = b;
	}
	u64 frame = (u64)machine__ram_offset(k->m, pa) / PAGE_SIZE;
	memcpy(b->insns, insns, n * sizeof(insns[0]));
	mark_code(k, pa, frame);
	b->pa = pa;
	b->key = key;
	b->serial = ++k->decoded;
	b->hook_told = false;
	b->hook_handle = NULL;
	b->code_tried = false;
	b->code = NULL;
	b->frame = frame;
	b->gen = k->frame_gen[frame];
	b->ninsns = (u16)n;
	return b;
}

void a64_code__drop_translations(struct a64_code *k)
{
	for (unsigned s = 0; s < A64_CODE_BUCKETS; s++)
		for (struct a64_block *o = k->buckets[s]; o; o = o->next) {
			o->code = NULL;
			o->code_tried = false;
		}
	k->code_used = 0;
}

void a64_code__translate(struct a64_code *k, struct a64_block *b, unsigned el, unsigned hooks)
{
	b->code_tried = true;
	if (!k->code_memory || hooks == A64_TH_NONE)
		return;
	if (k->code_used + A64_TRANSLATE_MAX_CODE > CODE_MEMORY_SIZE) {
		a64_code__drop_translations(k); /* b gets one below */
		b->code_tried = true;
	}
	u8 *at = k->code_memory + k->code_used;
	size_t used = a64_translate_block(b, el, hooks, &k->frame_gen[b->frame], at,
					  A64_TRANSLATE_MAX_CODE);
	if (!used)
		return;
	b->code = at;
	b->code_el = (u8)el;
	b->code_hooks = (u8)hooks;
	k->code_used += (used + 15) & ~(size_t)15;
}

void a64_code__flush(struct a64_code *k)
{
	u64 nframes = k->m->ram_size / PAGE_SIZE;
	for (u64 f = 0; f < nframes; f++)
		a64_code__frame_written(k, f);
}
