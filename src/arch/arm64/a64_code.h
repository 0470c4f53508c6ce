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
#define A64_CODE_SLOTS 16384 /* direct-mapped by physical address */

struct a64_block {
	u64 pa;
	u64 key;            /* 0, or with decoded-code hooks its (va, EL) */
	u64 frame;          /* the RAM frame of its instructions */
	u32 gen;            /* that frame's generation when decoded */
	u16 ninsns;
	u64 serial;         /* new each time the block is decoded (for any code) */
	bool hook_told;     /* on_block_decoded has seen it: hook_handle is its answer */
	void *hook_handle;
	struct a64_insn insns[A64_BLOCK_MAX];
};

/* The key of a block for decoded-code hooks, which see a block at one
 * virtual address and privilege: the same frame at two addresses (a
 * library in two processes) is two blocks to them. */
static inline u64 a64_code__hook_key(u64 va, unsigned el)
{
	return va | 1 | (u64)el << 1; /* va is 4-byte aligned; never 0 */
}

struct a64_code {
	struct encore_machine *m;
	u32 *frame_gen;     /* per RAM frame */
	u64 *has_code;      /* bit per RAM frame: some block was decoded there */
	struct a64_block *slots[A64_CODE_SLOTS];
	unsigned users;     /* engines sharing it */
	u64 decoded;        /* blocks decoded so far: the next one's serial */
	/* A frame just became code: no vCPU may keep a cached write right
	 * to it (set by the engine). */
	void (*became_code)(void *opaque, u64 pa);
	void *opaque;
};

struct a64_code *a64_code__create(struct encore_machine *m);
void a64_code__put(struct a64_code *k);

/* The valid block at physical `pa` with `key` (0, or a64_code__hook_key)
 * (its bytes at `host`, good to the end of the page), decoding it if
 * needed; `pa` must be RAM. */
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

/* Drop every block (the IC IALLU a guest may rely on, after a restore). */
void a64_code__flush(struct a64_code *k);

#endif
