/*
 * Stage-1 translation of the EL1&0 regime (4 KiB granule) and the
 * software TLB that caches it (a64_mmu.c).
 *
 * The TLB keeps A64_TLB_CTXS address spaces at once, one per ASID
 * (global translations are filled into whichever context is current), so
 * a switch between a few processes keeps their translations.  Each
 * context is a direct-mapped table of A64_TLB_SIZE entries indexed by VA
 * page.  An entry holds the translation (va, pa, rights per privilege) and
 * the fast-path tags: tag[kind][priv] equals `page | 0xfff` when an access
 * of that kind and privilege may go straight to host RAM at va + addend,
 * else 0, so an all-zero TLB (a calloc'ed CPU) is a valid empty one.
 *
 * Write tags exist only for frames the engine says are dirty and hold no
 * decoded code (a64_callbacks.write_fast_ok), so a fast-path write needs
 * no bookkeeping; the engine takes them back with a64_tlb_protect_page or
 * a64_tlb_revoke_writes.  This header only needs encore/types.h: a64_cpu.h
 * embeds the TLB.
 */
#ifndef ARM64_A64_MMU_H
#define ARM64_A64_MMU_H

#include "encore/types.h"

#define A64_TLB_BITS 10
#define A64_TLB_SIZE (1u << A64_TLB_BITS)
#define A64_TLB_CTXS 4

/* Fast-path tag kinds (tag[kind][priv]; priv 0 = EL0 rights, 1 = EL1). */
#define A64_TLB_READ 0
#define A64_TLB_WRITE 1
#define A64_TLB_EXEC 2

/* Low bits of a64_tlb_entry.pa: the rights and what the walk found. */
#define A64_TLBE_R0 0x001     /* EL0 (and LDTR/STTR) may read */
#define A64_TLBE_W0 0x002
#define A64_TLBE_X0 0x004
#define A64_TLBE_R1 0x008     /* EL1 may read */
#define A64_TLBE_W1 0x010
#define A64_TLBE_X1 0x020
#define A64_TLBE_GLOBAL 0x040 /* nG = 0 (or the MMU is off) */
#define A64_TLBE_DEVICE 0x080 /* Device memory for data accesses */
#define A64_TLBE_RAM 0x100    /* addend is valid */
#define A64_TLBE_LEVEL_SHIFT 9/* bits 10:9: the level of the leaf */
#define A64_TLBE_FLAGS 0xfffull

struct a64_tlb_entry {
	u64 tag[3][2];     /* [kind][priv]: page | 0xfff, or 0 */
	uintptr_t addend;  /* host address = va + addend (RAM only) */
	u64 va;            /* the translated page | 0xfff; 0 = empty */
	u64 pa;            /* physical page | A64_TLBE_* */
};

/* One context's bookkeeping; its entries are a64_tlb.e[k << A64_TLB_BITS ...]. */
struct a64_tlb_ctx {
	u64 filled[A64_TLB_SIZE / 64];   /* entries with va != 0 */
	u64 writable[A64_TLB_SIZE / 64]; /* entries holding a write tag */
	/* Entries cut from blocks (level 1 or 2 leaves), so that a TLBI of
	 * one address in a block finds the pages cached from the rest of it:
	 * hashed bitmaps of the 2 MiB and 1 GiB regions they cover. */
	u64 blk2m[64], blk1g;
	u16 asid;
	bool live;         /* holds entries (the current context may not) */
};

struct a64_tlb {
	struct a64_tlb_entry e[A64_TLB_CTXS * A64_TLB_SIZE];
	struct a64_tlb_ctx ctx[A64_TLB_CTXS];
	u32 cur;           /* the context of the current ASID */
	u32 base;          /* cur << A64_TLB_BITS: its first entry */
	u32 victim;        /* the next context to recycle */
	/* Incremented whenever a cached translation may have changed (any
	 * flush, a context switch): an engine that keeps VA-keyed caches
	 * (a jump cache) compares it with the value they were built under. */
	u64 gen;
};

struct a64_cpu;

/* The outcome of a walk (a64_mmu_walk). */
struct a64_walk {
	u64 pa;            /* output address of the page holding va */
	u32 flags;         /* A64_TLBE_* */
	u8 level;          /* level of the leaf (or of the fault) */
	u8 attr;           /* MAIR attribute byte */
	u8 sh;             /* shareability of the leaf */
	u16 fault;         /* 0, or A64_FAULT | the fault status code */
};

/* Fault status codes (ESR_EL1.ISS.DFSC/IFSC, PAR_EL1.FST).  Results
 * that may be a fault carry A64_FAULT with the code, since the address
 * size fault at level 0 is code 0. */
#define A64_FAULT 0x100
#define A64_FSC(fault) ((fault) & 0x3f)
#define A64_FSC_ADDR_SIZE(l) (0x00 + (l))
#define A64_FSC_TRANSLATION(l) (0x04 + (l))
#define A64_FSC_ACCESS_FLAG(l) (0x08 + (l))
#define A64_FSC_PERMISSION(l) (0x0c + (l))
#define A64_FSC_EXT_WALK(l) (0x14 + (l))
#define A64_FSC_ALIGNMENT 0x21

/* Walk the tables for `va` (no TLB, no exception, no side effect):
 * returns w->fault (0 when translated; then w->flags has both
 * privileges' rights, not checked against any access; else A64_FAULT |
 * the code). */
unsigned a64_mmu_walk(struct a64_cpu *c, u64 va, struct a64_walk *w);

/*
 * Translate `va` for an access `acc` (A64_ACC_* of a64_mem.h: WRITE,
 * FETCH, UNPRIV, ATOMIC) as the CPU would now, TLB included, without
 * filling the TLB or taking an exception: for debuggers and plugins.
 * Returns 0 and the physical address in *pa, or A64_FAULT | the fault
 * status code.
 */
int a64_translate(struct a64_cpu *c, u64 va, unsigned acc, u64 *pa);

/* The TLB entry for `va` after a walk and fill (the slow path of
 * a64_mem.c): NULL with A64_FAULT | the fault code in *fault. */
struct a64_tlb_entry *a64_tlb_fill(struct a64_cpu *c, u64 va, unsigned *fault);
/* Give the entry's fast write tags where its rights allow and the
 * engine agrees (after a slow-path write marked the frame dirty). */
void a64_tlb_grant_write(struct a64_cpu *c, struct a64_tlb_entry *e);

/*
 * Empty the TLB and forget which contexts held which ASIDs, then follow
 * the current one: after writing translation registers directly (a
 * restore), and at checkpoints, so that the TLB's state, which decides
 * how long entries the guest forgot to invalidate live on, is the same
 * whether execution goes on or restarts from the checkpoint.
 */
void a64_tlb_reset(struct a64_cpu *c);

/* TLB maintenance (TLBI and the registers whose writes flush). */
void a64_tlb_flush_all(struct a64_cpu *c);
/* Every entry of context `asid` that is not global (TLBI ASIDE1). */
void a64_tlb_flush_asid(struct a64_cpu *c, u16 asid);
/* The entries for va's page: of `asid` and global ones (TLBI VAE1),
 * or of every ASID when all_asids (TLBI VAAE1). */
void a64_tlb_flush_va(struct a64_cpu *c, u64 va, u16 asid, bool all_asids);
/* TTBR0/TTBR1/TCR changed: follow the current ASID (a context switch). */
void a64_tlb_sync_asid(struct a64_cpu *c);
/* The ASID translations of the current regime are tagged with. */
u16 a64_mmu_asid(const struct a64_cpu *c);

/* For the engine.  Drop every fast write tag into physical page `pa`
 * (the engine decoded code from it, on any vCPU); and all write tags
 * (the dirty bitmap was cleared; at a checkpoint a64_tlb_reset is the
 * better choice, see above). */
void a64_tlb_protect_page(struct a64_cpu *c, u64 pa);
void a64_tlb_revoke_writes(struct a64_cpu *c);

/* TLBI operations: the op2 field of TLBI <op>E1 (CRm 7; 3 for the
 * Inner Shareable forms), and what a64_tlbi does with the operand. */
#define A64_TLBI_VMALLE1 0  /* everything */
#define A64_TLBI_VAE1 1     /* Xt: ASID[63:48], VA[55:12] in bits 43:0 */
#define A64_TLBI_ASIDE1 2   /* Xt: ASID[63:48] */
#define A64_TLBI_VAAE1 3    /* Xt: VA, any ASID */
#define A64_TLBI_VALE1 5    /* as VAE1 (only leaves are cached) */
#define A64_TLBI_VAALE1 7   /* as VAAE1 */
void a64_tlbi(struct a64_cpu *c, u32 op, u64 arg);

/* AT S1E1R/S1E1W/S1E0R/S1E0W: the PAR_EL1 value for `va`. */
u64 a64_mmu_at(struct a64_cpu *c, u64 va, bool el0, bool write);

#endif
