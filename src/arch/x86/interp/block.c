/*
 * The decoded-block cache.  Each guest instruction is decoded once into a
 * block that ends at a control transfer or page end.  Blocks are keyed by
 * physical address (so every mapping, and every vCPU of the machine,
 * shares them), found quickly through each vCPU's own jump cache keyed
 * by virtual RIP, and dropped when their page is written, by whichever
 * vCPU writes it: pages holding blocks never get fast write tags in any
 * vCPU's TLB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "decode.h"
#include "host/code_memory.h"
#include "interp.h"
#include "mmu.h"
#include "ops.h"
#include "translate.h"

#define HASH_BITS 16
#define ARENA_SIZE (64u << 20)
#define CODE_SIZE (128u << 20)

/* Shared by the interpreters of one machine's vCPUs. */
struct interp_caches {
	u8 *arena;
	size_t arena_used;
	u8 *code;            /* translations, or NULL: blocks run in exec_block */
	size_t code_used;
	struct block *hash[1u << HASH_BITS];
	struct block **page_blocks; /* per RAM frame: blocks that start or end there */
	u64 nframes;
	struct cpu *cpus[MACHINE_MAX_VCPUS]; /* whose jump caches and TLBs to keep right */
	unsigned ncpus;
};

static unsigned hash_paddr(u64 paddr)
{
	return (unsigned)((paddr * 0x9e3779b97f4a7c15ull) >> (64 - HASH_BITS));
}


static struct interp_caches *caches_create(struct encore_machine *m)
{
	struct interp_caches *k = calloc(1, sizeof(*k));
	if (!k)
		abort();
	/* Anonymous memory: only the part of the arena in use is ever committed. */
	k->arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (k->arena == MAP_FAILED)
		k->arena = NULL;
	k->nframes = m->ram_size >> 12;
	k->page_blocks = calloc(k->nframes ? k->nframes : 1, sizeof(*k->page_blocks));
	if (!k->arena || !k->page_blocks)
		abort();
	if (code_memory_translate_wanted())
		k->code = code_memory_map(CODE_SIZE); /* NULL: the interpreter alone */
	return k;
}

void block_cache_init(struct cpu *c, struct cpu *sibling)
{
	struct interp_caches *k = sibling ? sibling->caches : caches_create(c->machine);
	if (k->ncpus == MACHINE_MAX_VCPUS)
		abort();
	k->cpus[k->ncpus++] = c;
	c->caches = k;
	c->jump_cache = calloc(1u << JUMP_BITS, sizeof(*c->jump_cache));
	if (!c->jump_cache)
		abort();
}

void block_cache_destroy(struct cpu *c)
{
	struct interp_caches *k = c->caches;
	if (!k)
		return;
	for (unsigned i = 0; i < k->ncpus; i++)
		if (k->cpus[i] == c)
			k->cpus[i] = k->cpus[--k->ncpus];
	free(c->jump_cache);
	c->jump_cache = NULL;
	c->caches = NULL;
	if (k->ncpus)
		return;
	munmap(k->arena, ARENA_SIZE);
	if (k->code)
		code_memory_unmap(k->code, CODE_SIZE);
	free(k->page_blocks);
	free(k);
}

/* Translations changed: the jump cache goes, and so does the chain of
 * linked blocks being run (block_next trusts the running block's page). */
void block_jump_cache_flush(struct cpu *c)
{
	if (c->jump_cache)
		memset(c->jump_cache, 0, sizeof(*c->jump_cache) << JUMP_BITS);
	cpu_end_block(c);
}

/* Blocks that start in the page, or in the one before it (they may run
 * into it), leave the jump cache; the running chain of blocks ends. */
void block_jump_cache_flush_page(struct cpu *c, u64 lin)
{
	unsigned slots = 1u << (JUMP_BITS - JUMP_GROUP_BITS);
	if (!c->jump_cache)
		return;
	if (!c->mode64 && c->code_base) {
		block_jump_cache_flush(c); /* the cache is keyed by RIP, not linear address */
		return;
	}
	memset(&c->jump_cache[jump_group(lin) * slots], 0, slots * sizeof(*c->jump_cache));
	memset(&c->jump_cache[jump_group(lin - 0x1000) * slots], 0, slots * sizeof(*c->jump_cache));
	cpu_end_block(c);
}

/* The arena is full: every block goes, from every vCPU's jump cache too. */
void block_cache_flush(struct cpu *c)
{
	struct interp_caches *k = c->caches;
	k->arena_used = 0;
	k->code_used = 0;
	memset(k->hash, 0, sizeof(k->hash));
	memset(k->page_blocks, 0, k->nframes * sizeof(*k->page_blocks));
	for (unsigned i = 0; i < k->ncpus; i++)
		block_jump_cache_flush(k->cpus[i]);
	cpu_end_block(c);
}

/* Drop `b` from every vCPU's jump cache. */
static void unlink_jumps(struct interp_caches *k, const struct block *b)
{
	unsigned h = jump_hash(b->vrip);
	for (unsigned i = 0; i < k->ncpus; i++)
		if (k->cpus[i]->jump_cache[h] == b)
			k->cpus[i]->jump_cache[h] = NULL;
}

bool code_page_has_blocks(struct cpu *c, i64 frame)
{
	return frame >= 0 && c->caches->page_blocks[frame] != NULL;
}

static void unlink_hash(struct interp_caches *k, struct block *b)
{
	struct block **p = &k->hash[hash_paddr(b->paddr)];
	while (*p && *p != b)
		p = &(*p)->hash_next;
	if (*p)
		*p = b->hash_next;
}

void code_page_invalidate(struct cpu *c, i64 frame)
{
	struct interp_caches *k = c->caches;
	struct block *b = k->page_blocks[frame];
	k->page_blocks[frame] = NULL;
	while (b) {
		/* A block is on the list of its first frame via page_next[0] and of
		 * the frame it spills into via page_next[1]. */
		i64 f0 = ram_frame(c->machine, b->paddr);
		struct block *next = (f0 == frame) ? b->page_next[0] : b->page_next[1];
		if (b->mode_key != MODE_KEY_DEAD) {
			b->mode_key = MODE_KEY_DEAD; /* lookups and links no longer match it */
			unlink_hash(k, b);
			unlink_jumps(k, b);
			if (b->code)
				translate_unlink(b->code);
		}
		b = next;
	}
	/* The running block may be stale; the other vCPUs are between
	 * blocks and look theirs up again when they run. */
	cpu_end_block(c);
}

static struct block *arena_alloc(struct cpu *c)
{
	struct interp_caches *k = c->caches;
	size_t need = sizeof(struct block) + BLOCK_MAX_INSNS * sizeof(struct insn);
	if (k->arena_used + need > ARENA_SIZE ||
	    (k->code && k->code_used + TRANSLATE_MAX_CODE > CODE_SIZE))
		block_cache_flush(c);
	return (struct block *)(k->arena + k->arena_used);
}

static _Noreturn void fetch_error(struct cpu *c, u64 lin)
{
	snprintf(c->exit_message, sizeof(c->exit_message),
		 "instruction fetch at linear address %#llx from guest memory that is not RAM",
		 (unsigned long long)lin);
	c->exit_reason = EXIT_ERROR;
	longjmp(c->exc_jmp, 1);
}

/*
 * Decode the instruction at linear address `lin` (physical `paddr`) into *i.
 * Returns false when the block must end before it (a fault that the first
 * instruction raises).
 */
static bool decode_one(struct cpu *c, u64 lin, u64 paddr, struct insn *i, u64 *page2, bool first)
{
	unsigned avail = 0x1000 - (paddr & 0xfff); /* bytes up to the page end */
	const u8 *p = pc__ram_ptr(c->machine, paddr);
	if (!p)
		fetch_error(c, lin);
	bool default32 = c->s.seg[SEG_CS].attr & SEG_ATTR_DB;
	int r = decode_bytes(p, avail, c->mode64, default32, i);
	if (r == -1) {
		/* The instruction runs into the next page. */
		if (!first)
			return false;
		u8 buf[16];
		unsigned n1 = avail < 15 ? avail : 15;
		memcpy(buf, p, n1);
		u64 p2 = mmu_translate(c, lin + avail, ACC_EXEC) & ~0xfffull;
		const u8 *q = pc__ram_ptr(c->machine, p2);
		if (!q)
			fetch_error(c, lin + avail);
		memcpy(buf + n1, q, 15 - n1);
		r = decode_bytes(buf, 15, c->mode64, default32, i);
		*page2 = p2;
	}
	if (r == EXC_UD) {
		/* A complete but invalid encoding: its handler counts and reports it. */
		i->fn = insn_ud;
		i->flags |= IF_BLOCK_END;
		return true;
	}
	if (r != 0) {
		if (!first)
			return false;
		cpu_raise(c, EXC_GP, 0); /* longer than 15 bytes */
	}
	decode_select(i);
	return true;
}

/* A frame that just got its first block: no vCPU may keep a fast write
 * tag for it (later ones are never handed out: code_page_has_blocks). */
static void protect_frame(struct interp_caches *k, u64 paddr)
{
	for (unsigned i = 0; i < k->ncpus; i++)
		tlb_protect_code_page(k->cpus[i], paddr);
}

static void link_block(struct cpu *c, struct block *b)
{
	struct interp_caches *k = c->caches;
	unsigned h = hash_paddr(b->paddr);
	b->hash_next = k->hash[h];
	k->hash[h] = b;
	i64 f0 = ram_frame(c->machine, b->paddr);
	if (!k->page_blocks[f0])
		protect_frame(k, b->paddr);
	b->page_next[0] = k->page_blocks[f0];
	k->page_blocks[f0] = b;
	b->page_next[1] = NULL;
	if (b->page2 != ~0ull) {
		i64 f1 = ram_frame(c->machine, b->page2);
		if (!k->page_blocks[f1])
			protect_frame(k, b->page2);
		b->page_next[1] = k->page_blocks[f1];
		k->page_blocks[f1] = b;
	}
}

static void translate_new_block(struct cpu *c, struct block *b)
{
	struct interp_caches *k = c->caches;
	b->code = NULL;
	b->code_hooks = c->code_hooks;
	if (!k->code || c->code_hooks == CODE_HOOKS_NONE)
		return;
	u8 *at = k->code + k->code_used;
	size_t used = translate_block(b, at, TRANSLATE_MAX_CODE, c->code_hooks);
	if (!used)
		return;
	b->code = (block_code_fn)(void *)at;
	k->code_used += (used + 15) & ~(size_t)15;
}

/* `lin` is the linear address of `rip` (CS.base + RIP outside 64-bit mode). */
static struct block *block_build(struct cpu *c, u64 rip, u64 lin, u64 paddr)
{
	struct block *b = arena_alloc(c);
	b->paddr = paddr;
	b->vrip = rip;
	b->page2 = ~0ull;
	b->mode_key = c->mode_key;
	b->next[0] = b->next[1] = NULL;
	b->next_slot = 0;
	unsigned n = 0;
	u64 r = lin, p = paddr;
	while (n < BLOCK_MAX_INSNS) {
		u64 page2 = ~0ull;
		struct insn *i = &b->insns[n];
		if (!decode_one(c, r, p, i, &page2, n == 0))
			break;
		n++;
		r += i->len;
		p += i->len;
		if (i->flags & IF_BLOCK_END)
			ops_branch__resolve(i, rip + (r - lin));
		if (page2 != ~0ull) {
			b->page2 = page2;
			break;
		}
		if ((i->flags & IF_BLOCK_END) || (p & 0xfff) == 0)
			break;
	}
	b->ninsns = n;
	for (unsigned k = n; k-- > 0;) {
		struct insn *i = &b->insns[k];
		i->hook_run = k + 1 == n || (i->flags & IF_SIDE_EXIT) ? 1 : i[1].hook_run + 1;
	}
	c->caches->arena_used += sizeof(struct block) + n * sizeof(struct insn);
	link_block(c, b);
	b->hook_handle = NULL;
	if (unlikely(c->hooks != NULL) && c->hooks->on_block_decoded)
		hooks_block_decoded(c, b);
	translate_new_block(c, b);
	return b;
}

struct block *block_lookup(struct cpu *c)
{
	struct interp_caches *k = c->caches;
	u64 rip = c->s.rip;
	u64 lin = rip;
	if (!c->mode64) {
		rip = (u32)rip;
		lin = (u32)(rip + c->code_base); /* CS.base: see cpu_update_mode */
	}
	u8 key = c->mode_key;
	struct block *b;
	struct tlb_entry *e = tlb_entry_for(c, lin);
	u64 paddr;
	if (e->tag_exec == (lin & ~0xfffull))
		paddr = (e->paddr & ~0xfffull) | (lin & 0xfff);
	else
		paddr = mmu_translate(c, lin, ACC_EXEC);
	u64 page2 = ~0ull; /* where the next page maps, once a block needs it */
	for (b = k->hash[hash_paddr(paddr)]; b; b = b->hash_next) {
		if (b->paddr != paddr || b->vrip != rip || b->mode_key != key)
			continue; /* invalidated blocks are no longer in the hash */
		if (b->page2 == ~0ull)
			break;
		/* Its first instruction runs into the next page: fetched from
		 * where that page maps now (a fault here is that fetch's). */
		if (page2 == ~0ull)
			page2 = mmu_translate(c, (lin & ~0xfffull) + 0x1000, ACC_EXEC) & ~0xfffull;
		if (b->page2 == page2)
			break;
	}
	if (!b)
		b = block_build(c, rip, lin, paddr);
	c->jump_cache[jump_hash(rip)] = b;
	return b;
}

/* Whether b may link to n: when n lies in b's first page at the offset
 * its RIP says (and does not run into the next page), b's translation,
 * valid whenever b runs, maps n's RIP to n's physical address (whatever
 * CS base or vCPU). */
static bool may_link(const struct block *b, const struct block *n)
{
	return ((n->paddr ^ b->paddr) & ~0xfffull) == 0 && n->paddr - b->paddr == n->vrip - b->vrip &&
	       n->page2 == ~0ull; /* its next page may map elsewhere: always looked up */
}

struct block *block_follow(struct cpu *c, struct block *b)
{
	struct block *n = block_find(c);
	if (may_link(b, n) && n != b->next[0] && n != b->next[1]) {
		b->next[b->next_slot] = n;
		b->next_slot ^= 1;
	}
	return n;
}

/*
 * The jump cache holds the block a translation jumps to (the first time
 * it is taken, or the run loop has not found it yet): its translation
 * enters it directly from now on, for as long as both are valid (an
 * invalidated block's translation is unlinked: translate_unlink).  Both
 * run in one mode and call the same hooks, so the target needs no checks
 * but its budget.
 */
const void *block_link(struct cpu *c, u8 *site, const void *lookup, u64 target,
		       const struct block *b)
{
	const struct block *n = c->jump_cache[jump_hash(target)];
	if (!n || n->vrip != target || n->mode_key != b->mode_key)
		return NULL; /* not looked up yet, or of another mode for now */
	if (!may_link(b, n) || !n->code || n->code_hooks != b->code_hooks) {
		translate_patch_jump(site, lookup); /* no link will ever be made */
		return lookup;
	}
	void *entry = translate_chained_entry(n->code);
	translate_patch_jump(site, entry);
	return entry;
}
