/*
 * Decoded A64 code, shared by the vCPUs of one machine: blocks of
 * straight-line instructions keyed by the physical address of the first,
 * each ending at a branch or system instruction, at A64_BLOCK_MAX
 * instructions or at the end of its page.
 *
 * A block is valid while its frame's generation is the one it was
 * decoded under: a write to a frame holding code bumps the generation
 * (and the frame holds no code until something is decoded there again),
 * so an invalidation costs one increment whatever the blocks.
 */
#ifndef ARM64_A64_CODE_H
#define ARM64_A64_CODE_H

#include "arch/arm64/a64_cpu.h"
#include "encore/machine.h"

#define A64_BLOCK_MAX 32
#define A64_CODE_BUCKETS (1u << 16) /* hash chains by physical address */

struct a64_block {
	struct a64_block *next; /* in its hash chain */
	u64 pa;
	u64 key;            /* 0, or with decoded-code hooks its (va, EL) */
	u64 frame;          /* the RAM frame of its instructions */
	u32 gen;            /* that frame's generation when decoded */
	u16 ninsns;
	u16 room;           /* instructions insns[] has room for */
	u64 serial;         /* new each time the block is decoded (for any code) */
	bool hook_told;     /* on_block_decoded has seen it: hook_handle is its answer */
	void *hook_handle;
	bool code_tried;    /* a64_code__translate was asked (code: its answer) */
	u8 code_el;         /* the EL `code` was translated for */
	u8 code_hooks;      /* and the hooks it calls (enum a64_trans_hooks) */
	void *code;         /* an a64_block_code, or NULL: interpret */
	struct a64_insn insns[]; /* room of them */
};

/* The key of a block for decoded-code hooks, which see a block at one
 * virtual address and privilege: the same frame at two addresses (a
 * library in two processes) is two blocks to them. */
static inline u64 a64_code__hook_key(u64 va, unsigned el)
{
	return va | 1 | (u64)el << 1; /* va is 4-byte aligned; never 0 */
}

/*
 * Blocks live in one arena until it is full; then every block (and every
 * translation) is dropped at once and decoded again as it runs.  A block
 * whose frame was written is decoded again in place, or anew when its
 * new code is longer.  Pointers to blocks held outside (the engines' jump
 * caches) are checked by serial while the arena lasts, and dropped with
 * it (the `dropped` callback).
 */
struct a64_code {
	struct encore_machine *m;
	u32 *frame_gen;     /* per RAM frame */
	u64 *has_code;      /* bit per RAM frame: some block was decoded there */
	struct a64_block *buckets[A64_CODE_BUCKETS];
	u8 *blocks;         /* the arena */
	size_t blocks_used;
	unsigned users;     /* engines sharing it */
	u64 decoded;        /* blocks decoded so far: the next one's serial */
	u8 *code_memory;    /* translations (NULL: none) */
	size_t code_used;
	/* A frame just became code: no vCPU may keep a cached write right
	 * to it (set by the engine). */
	void (*became_code)(void *opaque, u64 pa);
	/* Every block was dropped: no pointer to one may be used again. */
	void (*dropped)(void *opaque);
	void *opaque;
};

struct a64_code *a64_code__create(struct encore_machine *m);
void a64_code__put(struct a64_code *k);

/* The valid block at physical `pa` with `key` (0, or a64_code__hook_key)
 * (its bytes at `host`, good to the end of the page), decoding it if
 * needed (which may drop every other block); `pa` must be RAM. */
struct a64_block *a64_code__block(struct a64_code *k, u64 pa, u64 key, const u8 *host);

/* The RAM frame at offset `frame` was (or will be) written: drop its code. */
static inline void a64_code__frame_written(struct a64_code *k, u64 frame)
{
	if (k->has_code[frame >> 6] >> (frame & 63) & 1) {
		k->has_code[frame >> 6] &= ~(1ull << (frame & 63));
		k->frame_gen[frame]++;
	}
}

static inline bool a64_code__frame_has_code(const struct a64_code *k, u64 frame)
{
	return k->has_code[frame >> 6] >> (frame & 63) & 1;
}

/* The valid block at `pa` with `key` if there is one; never decodes. */
struct a64_block *a64_code__find(struct a64_code *k, u64 pa, u64 key);

/* Give b host code to run at exception level `el` calling the hooks of
 * `hooks` (enum a64_trans_hooks), if translation is on (ENCORE_TRANSLATE)
 * and b fits; b->code_tried is set either way.  When the code memory is
 * full, every translation is dropped first. */
void a64_code__translate(struct a64_code *k, struct a64_block *b, unsigned el, unsigned hooks);

/* Drop every translation (the hooks they call changed): blocks are
 * translated again as they run. */
void a64_code__drop_translations(struct a64_code *k);

/* Invalidate every block (the IC IALLU a guest may rely on, after a restore). */
void a64_code__flush(struct a64_code *k);

#endif
