/* Interpreter internals shared by the run loop, block cache and delivery. */
#ifndef INTERP_INTERP_H
#define INTERP_INTERP_H

#include "cpu.h"

#define UNIMPL_MAX 64

struct unimpl_record {
	u8 bytes[15];
	u8 len;
	u64 count;
	u64 first_rip;
};

/* What engine report prints: opcodes that raised #UD for want of a handler. */
struct interp_stats {
	struct unimpl_record unimpl[UNIMPL_MAX];
	unsigned unimpl_count;
};

/* A translated block's entry (see translate.c for what it expects). */
typedef void (*block_code_fn)(struct cpu *c);

/* A straight-line run of decoded instructions. */
struct block {
	u64 paddr;          /* physical address of the first byte */
	u64 vrip;           /* virtual RIP it was decoded at */
	u64 page2;          /* second physical frame if it crosses a page, else ~0 */
	struct block *hash_next, *page_next[2];
	struct block *next[2]; /* blocks that followed it, in its first page: see block_next */
	u16 ninsns;
	u8 mode_key;        /* MODE_KEY_DEAD once invalidated (its page was written) */
	u8 next_slot;       /* which of next[] the next link replaces */
	void *hook_handle;  /* from the on_block_decoded hook, for on_block_ran */
	/* Its translation (translate.c), or NULL; it calls the per-block hooks
	 * of code_hooks (enum code_hooks), those installed when it was built. */
	block_code_fn code;
	u8 code_hooks;
	struct insn insns[];
};

/* The block whose first instruction is `first` (c->cur_first). */
static inline const struct block *block_of(const struct insn *first)
{
	return (const struct block *)((const u8 *)first - offsetof(struct block, insns));
}

/* No vCPU is ever in this mode: an invalidated block matches no lookup. */
#define MODE_KEY_DEAD 0xff

/*
 * The jump cache: 64 groups of 64 slots.  A RIP's page picks the group and
 * its offset the slot, so the entries of one page are one group, and
 * INVLPG empties that group (block_jump_cache_flush_page), not the cache.
 */
#define JUMP_BITS 12
#define JUMP_GROUP_BITS 6

static inline unsigned jump_group(u64 rip)
{
	u64 page = rip >> 12;
	return (unsigned)((page ^ (page >> JUMP_GROUP_BITS)) & ((1u << JUMP_GROUP_BITS) - 1));
}

static inline unsigned jump_hash(u64 rip)
{
	unsigned slot_bits = JUMP_BITS - JUMP_GROUP_BITS;
	return jump_group(rip) << slot_bits | (unsigned)((rip ^ (rip >> slot_bits)) & ((1u << slot_bits) - 1));
}

/* Share the blocks of `sibling` (another vCPU of the machine), or start a
 * cache of its own when NULL. */
void block_cache_init(struct cpu *c, struct cpu *sibling);
void block_cache_destroy(struct cpu *c);
/* The block at RIP after a jump-cache miss (decoded if new); raises on fetch faults. */
struct block *block_lookup(struct cpu *c);
void block_jump_cache_flush(struct cpu *c);
/* The translation of the page at linear address `lin` changed. */
void block_jump_cache_flush_page(struct cpu *c, u64 lin);
void block_cache_flush(struct cpu *c);

#define BLOCK_MAX_INSNS 64

/* The decoded-code hooks (encore/hooks.h): a block was built; the block
 * of c->cur_first is left at a fault in its `started`-th instruction,
 * having begun at `icount` (c->icount now counts what retired). */
void hooks_block_decoded(struct cpu *c, struct block *b);
void hooks_block_left(struct cpu *c, u64 icount, unsigned started);

/* #UD for a form with no handler: counted and reported. */
void insn_ud(struct cpu *c, const struct insn *i);
/* #UD for an invalid form (LOCK misuse, UD0/UD1/UD2): not reported. */
void insn_invalid(struct cpu *c, const struct insn *i);
/* NOP and the hint NOPs (0F 19..1F): nothing; the translator emits none. */
void insn_nop(struct cpu *c, const struct insn *i);

void cpu_software_interrupt(struct cpu *c, unsigned vector);
void cpu_external_interrupt(struct cpu *c, unsigned vector);
void tlb_flush_nonglobal(struct cpu *c);
void tlb_protect_code_page(struct cpu *c, u64 paddr);

/*
 * The block at RIP: the jump-cache hit inline, everything else in block.c.
 * Invalidated blocks leave the jump cache, so a hit is always valid.
 */
static inline struct block *block_find(struct cpu *c)
{
	u64 rip = c->s.rip;
	struct block *b = c->jump_cache[jump_hash(rip)];
	if (likely(b && b->vrip == rip && b->mode_key == c->mode_key))
		return b;
	return block_lookup(c);
}

/* A successor of `b` not among its links: found and linked (block.c). */
struct block *block_follow(struct cpu *c, struct block *b);

/*
 * The block to run after `b`: one of the two it links to when either
 * starts at RIP, without a hash lookup.  Links stay within b's first page,
 * where b's own translation gives the successor's physical address, so a
 * link holds for as long as entering b does (a flush of the translation
 * ends the chain of blocks: block_jump_cache_flush); an invalidated block
 * no longer matches (MODE_KEY_DEAD).
 */
static inline struct block *block_next(struct cpu *c, struct block *b)
{
	u64 rip = c->s.rip;
	struct block *n = b->next[0];
	if (likely(n && n->vrip == rip && n->mode_key == c->mode_key))
		return n;
	n = b->next[1];
	if (n && n->vrip == rip && n->mode_key == c->mode_key)
		return n;
	return block_follow(c, b);
}

int msr_read(struct cpu *c, u32 idx, u64 *v);
int msr_write(struct cpu *c, u32 idx, u64 v);

#endif
