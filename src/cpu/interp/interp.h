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

struct interp_stats {
	u64 exceptions[32];
	u64 interrupts;
	u64 blocks_decoded, blocks_invalidated, cache_flushes;
	struct unimpl_record unimpl[UNIMPL_MAX];
	unsigned unimpl_count;
};

/* A straight-line run of decoded instructions. */
struct block {
	u64 paddr;          /* physical address of the first byte */
	u64 vrip;           /* virtual RIP it was decoded at */
	u64 page2;          /* second physical frame if it crosses a page, else ~0 */
	struct block *hash_next, *page_next[2];
	u16 ninsns;
	u8 mode_key;
	u8 valid;
	struct insn insns[];
};

#define JUMP_BITS 12

static inline unsigned jump_hash(u64 rip)
{
	return (unsigned)((rip ^ (rip >> JUMP_BITS)) & ((1u << JUMP_BITS) - 1));
}

void block_cache_init(struct cpu *c);
void block_cache_destroy(struct cpu *c);
/* The block at the current RIP (decoded on a miss); raises on fetch faults. */
struct block *block_lookup(struct cpu *c);
void block_jump_cache_flush(struct cpu *c);
void block_cache_flush(struct cpu *c);

void cpu_software_interrupt(struct cpu *c, unsigned vector);
void cpu_external_interrupt(struct cpu *c, unsigned vector);
void tlb_flush_nonglobal(struct cpu *c);
void tlb_protect_code_page(struct cpu *c, u64 paddr);
/* Read up to 15 instruction bytes at `rip` for reports and hooks; returns count. */
unsigned fetch_bytes_for_report(struct cpu *c, u64 rip, u8 *buf);

static inline u8 cpu_mode_key(struct cpu *c)
{
	return c->mode64 | ((c->s.seg[SEG_CS].attr & SEG_ATTR_DB) ? 2 : 0) | (c->cpl == 3 ? 4 : 0);
}

/* The block at RIP: the jump-cache hit inline, everything else in block.c. */
static inline struct block *block_find(struct cpu *c)
{
	u64 rip = c->s.rip;
	struct block *b = c->jump_cache[jump_hash(rip)];
	if (likely(b && b->vrip == rip && b->mode_key == cpu_mode_key(c) && b->valid && c->mode64))
		return b;
	return block_lookup(c);
}

int msr_read(struct cpu *c, u32 idx, u64 *v);
int msr_write(struct cpu *c, u32 idx, u64 v);

#endif
