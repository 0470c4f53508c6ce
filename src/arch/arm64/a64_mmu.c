/*
 * Stage-1 translation of the EL1&0 regime and its software TLB.
 *
 * Translation (ARMv8.0, 4 KiB granule only; the TGx fields are read as 4
 * KiB whatever they hold, an IMPLEMENTATION DEFINED choice the
 * architecture allows for unimplemented granules):
 * - VA bit 55 picks TTBR0 or TTBR1; bits [top:64-TxSZ] must all equal it
 *   (top = 55 with TBIx, else 63), else a translation fault at level 0, as
 *   is a walk that EPDx disables.  TxSZ is clamped to 16..39 (48- to
 *   25-bit spaces) and gives the starting level.
 * - Descriptors are read from RAM through cpu->bus (none there: a
 *   synchronous external abort on the walk); table descriptors at levels
 *   0-2, blocks at levels 1-2, pages at level 3.  APTable, UXNTable and
 *   PXNTable restrict the levels below them.  Output addresses (and the
 *   TTBR) beyond min(TCR.IPS, 40 bits) are address size faults.
 * - AF = 0 is an access flag fault (no hardware update: HAFDBS = 0); it
 *   takes priority over the permission check, as in the v8.0 walk.
 * - Permissions: AP[2:1], UXN, PXN, WXN, and "EL0-writable implies PXN".
 *   EL0 execution depends on UXN alone (v8.0 execute-only memory).
 * - MAIR: Device memory (attribute 0000xxxx) makes unaligned data
 *   accesses fault; all else about attributes is ignored.  Instruction
 *   fetches from Device memory are allowed (one of the CONSTRAINED
 *   UNPREDICTABLE choices).
 * - SCTLR_EL1.M = 0: VA = PA (beyond 40 bits: address size fault), data
 *   accesses Device, fetches Normal.
 */
#include <string.h>

#include "arch/arm64/a64_mem.h"
#include "arch/arm64/a64_mmu.h"

#define TCR_T0SZ(t) ((unsigned)(t) & 0x3f)
#define TCR_EPD0 (1ull << 7)
#define TCR_T1SZ(t) ((unsigned)((t) >> 16) & 0x3f)
#define TCR_A1 (1ull << 22)
#define TCR_EPD1 (1ull << 23)
#define TCR_IPS(t) ((unsigned)((t) >> 32) & 7)
#define TCR_AS (1ull << 36)
#define TCR_TBI0 (1ull << 37)
#define TCR_TBI1 (1ull << 38)

#define DESC_VALID 0x1ull
#define DESC_TABLE 0x2ull     /* table (levels 0-2) or page (level 3) */
#define DESC_AF (1ull << 10)
#define DESC_NG (1ull << 11)
#define DESC_PXN (1ull << 53)
#define DESC_UXN (1ull << 54)
#define DESC_PXNTABLE (1ull << 59)
#define DESC_UXNTABLE (1ull << 60)
#define DESC_APTABLE0 (1ull << 61) /* no EL0 access below */
#define DESC_APTABLE1 (1ull << 62) /* read-only below */
#define DESC_OA 0x0000fffffffff000ull

#define PA_MAX_BITS 40
#define VA_TAG_MASK 0x00fffffffffff000ull /* the VA bits a TLBI names */

#define RIGHTS_ALL (A64_TLBE_R0 | A64_TLBE_W0 | A64_TLBE_X0 | A64_TLBE_R1 | A64_TLBE_W1 | \
		    A64_TLBE_X1)

static inline u64 bits_from(unsigned hi, unsigned lo) /* mask of bits [hi:lo] */
{
	return (hi >= 63 ? ~0ull : (2ull << hi) - 1) & ~((1ull << lo) - 1);
}

static unsigned pa_bits(const struct a64_cpu *c)
{
	static const u8 ips[8] = { 32, 36, 40, 42, 44, 48, 52, 52 };
	unsigned b = ips[TCR_IPS(c->sys.tcr_el1)];
	return b > PA_MAX_BITS ? PA_MAX_BITS : b;
}

static bool mmu_on(const struct a64_cpu *c)
{
	return c->sys.sctlr_el1 & A64_SCTLR_M;
}

/* With stage 1 off: the identity, Device for data. */
static unsigned walk_off(struct a64_cpu *c, u64 va, struct a64_walk *w)
{
	bool tbi = c->sys.tcr_el1 & ((va >> 55) & 1 ? TCR_TBI1 : TCR_TBI0);
	if (va & bits_from(tbi ? 55 : 63, PA_MAX_BITS))
		return w->fault = A64_FAULT | A64_FSC_ADDR_SIZE(0);
	w->pa = va & bits_from(PA_MAX_BITS - 1, 12);
	w->flags = RIGHTS_ALL | A64_TLBE_GLOBAL | A64_TLBE_DEVICE;
	w->attr = 0x00; /* Device-nGnRnE */
	w->sh = 2;
	return 0;
}

/* The 8-byte descriptor at pa; false when no RAM is there. */
static bool read_desc(struct a64_cpu *c, u64 pa, u64 *d)
{
	u8 *p = c->bus.ram_ptr(c->bus.opaque, pa);
	if (!p)
		return false;
	memcpy(d, p, 8);
	return true;
}

/* The rights of a leaf, from its AP/XN bits and the tables above it. */
static u32 leaf_rights(const struct a64_cpu *c, u64 d, u64 table_bits)
{
	bool el0 = (d >> 6 & 1) && !(table_bits & DESC_APTABLE0);
	bool ro = (d >> 7 & 1) || (table_bits & DESC_APTABLE1);
	bool wxn = c->sys.sctlr_el1 & A64_SCTLR_WXN;
	bool user_w = el0 && !ro, priv_w = !ro;
	bool uxn = (d & DESC_UXN) || (table_bits & DESC_UXNTABLE) || (wxn && user_w);
	bool pxn = (d & DESC_PXN) || (table_bits & DESC_PXNTABLE) || user_w || (wxn && priv_w);
	u32 r = A64_TLBE_R1;
	r |= priv_w ? A64_TLBE_W1 : 0;
	r |= pxn ? 0 : A64_TLBE_X1;
	r |= el0 ? A64_TLBE_R0 : 0;
	r |= user_w ? A64_TLBE_W0 : 0;
	r |= uxn ? 0 : A64_TLBE_X0;
	return r;
}

static void leaf_attrs(const struct a64_cpu *c, u64 d, struct a64_walk *w)
{
	w->attr = (u8)(c->sys.mair_el1 >> (8 * ((d >> 2) & 7)));
	bool device = (w->attr & 0xf0) == 0;
	w->sh = (d >> 8) & 3;
	if (device || w->attr == 0x44) /* Device and Normal Non-cacheable: OSH */
		w->sh = 2;
	if (device)
		w->flags |= A64_TLBE_DEVICE;
	if (!(d & DESC_NG))
		w->flags |= A64_TLBE_GLOBAL;
}

unsigned a64_mmu_walk(struct a64_cpu *c, u64 va, struct a64_walk *w)
{
	*w = (struct a64_walk){ 0 };
	if (!mmu_on(c))
		return walk_off(c, va, w);
	u64 tcr = c->sys.tcr_el1;
	bool hi = (va >> 55) & 1;
	unsigned tsz = hi ? TCR_T1SZ(tcr) : TCR_T0SZ(tcr);
	tsz = tsz < 16 ? 16 : tsz > 39 ? 39 : tsz;
	unsigned inputsize = 64 - tsz;
	bool tbi = tcr & (hi ? TCR_TBI1 : TCR_TBI0);
	u64 range = bits_from(tbi ? 55 : 63, inputsize);
	if ((va & range) != (hi ? range : 0) || (tcr & (hi ? TCR_EPD1 : TCR_EPD0)))
		return w->fault = A64_FAULT | A64_FSC_TRANSLATION(0);
	unsigned pab = pa_bits(c);
	int level = 4 - (int)(inputsize - 12 + 8) / 9;
	unsigned shift = 39 - 9 * level, nbits = inputsize - shift;
	u64 ttbr = hi ? c->sys.ttbr1_el1 : c->sys.ttbr0_el1;
	if (ttbr & bits_from(47, pab))
		return w->fault = A64_FAULT | A64_FSC_ADDR_SIZE(0);
	u64 table = ttbr & bits_from(47, 3 + nbits), table_bits = 0, d;
	for (;; level++) {
		shift = 39 - 9 * level;
		w->level = (u8)level;
		u64 idx = (va >> shift) & ((1ull << nbits) - 1);
		if (!read_desc(c, table + 8 * idx, &d))
			return w->fault = A64_FAULT | A64_FSC_EXT_WALK(level);
		if (!(d & DESC_VALID))
			return w->fault = A64_FAULT | A64_FSC_TRANSLATION(level);
		if (level == 3 || !(d & DESC_TABLE))
			break;
		table = d & DESC_OA;
		if (table >> pab)
			return w->fault = A64_FAULT | A64_FSC_ADDR_SIZE(level);
		table_bits |= d;
		nbits = 9;
	}
	/* A block at level 0, and 0b01 at level 3, are reserved. */
	if (level == 0 || (level == 3 && !(d & DESC_TABLE)))
		return w->fault = A64_FAULT | A64_FSC_TRANSLATION(level);
	u64 oa = d & DESC_OA & ~((1ull << shift) - 1);
	if (oa >> pab)
		return w->fault = A64_FAULT | A64_FSC_ADDR_SIZE(level);
	if (!(d & DESC_AF))
		return w->fault = A64_FAULT | A64_FSC_ACCESS_FLAG(level);
	w->pa = oa | (va & ((1ull << shift) - 1) & ~0xfffull);
	w->flags = leaf_rights(c, d, table_bits);
	leaf_attrs(c, d, w);
	return 0;
}

/* The right an access needs, for privilege p (A64_TLBE_* of EL0, << 3 for EL1). */
static u32 needed_right(unsigned acc, unsigned p)
{
	u32 r = (acc & A64_ACC_FETCH) ? A64_TLBE_X0
		: (acc & (A64_ACC_WRITE | A64_ACC_ATOMIC)) ? A64_TLBE_W0 : A64_TLBE_R0;
	return r << (3 * p);
}

static unsigned entry_level(const struct a64_tlb_entry *e)
{
	return (e->pa >> A64_TLBE_LEVEL_SHIFT) & 3;
}

int a64_translate(struct a64_cpu *c, u64 va, unsigned acc, u64 *pa)
{
	const struct a64_tlb_entry *e = a64_tlb_entry_for(c, va);
	u64 page, flags;
	unsigned level;
	if (e->va == (va | 0xfff)) {
		page = e->pa & ~A64_TLBE_FLAGS;
		flags = e->pa & A64_TLBE_FLAGS;
		level = entry_level(e);
	} else {
		struct a64_walk w;
		if (a64_mmu_walk(c, va, &w))
			return w.fault;
		page = w.pa;
		flags = w.flags;
		level = w.level;
	}
	if (!(flags & needed_right(acc, a64_acc_priv(c, acc))))
		return A64_FAULT | A64_FSC_PERMISSION(level);
	*pa = page | (va & 0xfff);
	return 0;
}

/* ---- the TLB ---- */

static struct a64_tlb_entry *ctx_entries(struct a64_cpu *c, unsigned k)
{
	return &c->tlb.e[k << A64_TLB_BITS];
}

static void clear_entry(struct a64_cpu *c, unsigned k, unsigned idx)
{
	struct a64_tlb_ctx *x = &c->tlb.ctx[k];
	memset(&ctx_entries(c, k)[idx], 0, sizeof(struct a64_tlb_entry));
	x->filled[idx / 64] &= ~(1ull << (idx % 64));
	x->writable[idx / 64] &= ~(1ull << (idx % 64));
}

static void flush_ctx(struct a64_cpu *c, unsigned k, bool keep_global)
{
	struct a64_tlb_ctx *x = &c->tlb.ctx[k];
	struct a64_tlb_entry *e = ctx_entries(c, k);
	for (unsigned w = 0; w < A64_TLB_SIZE / 64; w++)
		for (u64 bits = x->filled[w]; bits; bits &= bits - 1) {
			unsigned idx = w * 64 + (unsigned)__builtin_ctzll(bits);
			if (!keep_global || !(e[idx].pa & A64_TLBE_GLOBAL))
				clear_entry(c, k, idx);
		}
	if (!keep_global) {
		memset(x->blk2m, 0, sizeof(x->blk2m));
		x->blk1g = 0;
		x->live = false;
	}
}

void a64_tlb_reset(struct a64_cpu *c)
{
	u64 gen = c->tlb.gen;
	memset(&c->tlb, 0, sizeof(c->tlb));
	c->tlb.gen = gen + 1;
	c->tlb.ctx[0].asid = a64_mmu_asid(c);
}

void a64_tlb_flush_all(struct a64_cpu *c)
{
	for (unsigned k = 0; k < A64_TLB_CTXS; k++)
		if (c->tlb.ctx[k].live)
			flush_ctx(c, k, false);
	c->tlb.gen++;
}

void a64_tlb_flush_asid(struct a64_cpu *c, u16 asid)
{
	for (unsigned k = 0; k < A64_TLB_CTXS; k++)
		if (c->tlb.ctx[k].live && c->tlb.ctx[k].asid == asid)
			flush_ctx(c, k, true);
	c->tlb.gen++;
}

/* Entry e caches a translation of va: its page, or the block holding va. */
static bool entry_covers(const struct a64_tlb_entry *e, u64 va)
{
	unsigned level = entry_level(e);
	u64 mask = VA_TAG_MASK;
	if (level == 1 || level == 2) /* (level 0: the MMU off, cached per page) */
		mask &= ~((1ull << (39 - 9 * level)) - 1);
	return e->va && !((e->va ^ va) & mask);
}

static bool tlbi_hits(const struct a64_tlb_ctx *x, const struct a64_tlb_entry *e, u16 asid,
		      bool all_asids)
{
	return all_asids || x->asid == asid || (e->pa & A64_TLBE_GLOBAL);
}

static unsigned blk_hash2m(u64 va)
{
	return (unsigned)(va >> 21) & 4095;
}

static bool blk_maybe(const struct a64_tlb_ctx *x, u64 va)
{
	unsigned h = blk_hash2m(va);
	return (x->blk2m[h / 64] >> (h % 64) & 1) || (x->blk1g >> ((va >> 30) & 63) & 1);
}

void a64_tlb_flush_va(struct a64_cpu *c, u64 va, u16 asid, bool all_asids)
{
	unsigned idx = (va >> 12) & (A64_TLB_SIZE - 1);
	for (unsigned k = 0; k < A64_TLB_CTXS; k++) {
		struct a64_tlb_ctx *x = &c->tlb.ctx[k];
		struct a64_tlb_entry *e = ctx_entries(c, k);
		if (!x->live)
			continue;
		if (entry_covers(&e[idx], va) && tlbi_hits(x, &e[idx], asid, all_asids))
			clear_entry(c, k, idx);
		if (!blk_maybe(x, va))
			continue;
		/* Pages cut from a block that holds va may sit anywhere. */
		for (unsigned w = 0; w < A64_TLB_SIZE / 64; w++)
			for (u64 bits = x->filled[w]; bits; bits &= bits - 1) {
				unsigned j = w * 64 + (unsigned)__builtin_ctzll(bits);
				unsigned level = entry_level(&e[j]);
				if ((level == 1 || level == 2) && entry_covers(&e[j], va) &&
				    tlbi_hits(x, &e[j], asid, all_asids))
					clear_entry(c, k, j);
			}
	}
	c->tlb.gen++;
}

u16 a64_mmu_asid(const struct a64_cpu *c)
{
	u64 tcr = c->sys.tcr_el1;
	u16 asid = (u16)(((tcr & TCR_A1) ? c->sys.ttbr1_el1 : c->sys.ttbr0_el1) >> 48);
	return (tcr & TCR_AS) ? asid : (asid & 0xff);
}

static void use_ctx(struct a64_tlb *t, unsigned k)
{
	t->cur = k;
	t->base = k << A64_TLB_BITS;
}

void a64_tlb_sync_asid(struct a64_cpu *c)
{
	struct a64_tlb *t = &c->tlb;
	u16 asid = a64_mmu_asid(c);
	if (t->ctx[t->cur].asid == asid)
		return;
	t->gen++;
	unsigned pick = A64_TLB_CTXS;
	for (unsigned k = 0; k < A64_TLB_CTXS; k++) {
		if (t->ctx[k].live && t->ctx[k].asid == asid) {
			use_ctx(t, k);
			return;
		}
		if (!t->ctx[k].live && k != t->cur && pick == A64_TLB_CTXS)
			pick = k;
	}
	if (!t->ctx[t->cur].live) {
		pick = t->cur; /* empty: take it over */
	} else if (pick == A64_TLB_CTXS) {
		pick = t->victim % A64_TLB_CTXS;
		if (pick == t->cur)
			pick = (pick + 1) % A64_TLB_CTXS;
		t->victim = (pick + 1) % A64_TLB_CTXS;
		flush_ctx(c, pick, false);
	}
	t->ctx[pick].asid = asid;
	use_ctx(t, pick);
}

static void set_tags(struct a64_tlb_entry *e, unsigned kind, u32 flags, u32 right0, u64 tag)
{
	e->tag[kind][0] = (flags & right0) ? tag : 0;
	e->tag[kind][1] = (flags & (right0 << 3)) ? tag : 0;
}

/* Data may take the fast path: RAM, Normal memory, no alignment checks,
 * no hook to tell. */
static bool fast_data(const struct a64_cpu *c, const struct a64_tlb_entry *e)
{
	return (e->pa & A64_TLBE_RAM) && !(e->pa & A64_TLBE_DEVICE) &&
	       !(c->sys.sctlr_el1 & A64_SCTLR_A) && !c->cb.mem_accessed;
}

void a64_tlb_grant_write(struct a64_cpu *c, struct a64_tlb_entry *e)
{
	u32 flags = (u32)(e->pa & A64_TLBE_FLAGS);
	size_t idx = (size_t)(e - ctx_entries(c, c->tlb.cur));
	if (!e->va || idx >= A64_TLB_SIZE) /* flushed meanwhile, or not current */
		return;
	if (!(flags & (A64_TLBE_W0 | A64_TLBE_W1)) || !fast_data(c, e))
		return;
	u64 pa = e->pa & ~A64_TLBE_FLAGS;
	if (c->cb.write_fast_ok && !c->cb.write_fast_ok(c->cb.opaque, pa))
		return;
	set_tags(e, A64_TLB_WRITE, flags, A64_TLBE_W0, e->va);
	c->tlb.ctx[c->tlb.cur].writable[idx / 64] |= 1ull << (idx % 64);
}

struct a64_tlb_entry *a64_tlb_fill(struct a64_cpu *c, u64 va, unsigned *fault)
{
	struct a64_walk w;
	*fault = a64_mmu_walk(c, va, &w);
	if (*fault)
		return NULL;
	unsigned k = c->tlb.cur, idx = (va >> 12) & (A64_TLB_SIZE - 1);
	struct a64_tlb_ctx *x = &c->tlb.ctx[k];
	struct a64_tlb_entry *e = &ctx_entries(c, k)[idx];
	u64 page = va & ~0xfffull;
	clear_entry(c, k, idx);
	e->va = page | 0xfff;
	e->pa = w.pa | w.flags | (u64)w.level << A64_TLBE_LEVEL_SHIFT;
	x->filled[idx / 64] |= 1ull << (idx % 64);
	x->live = true;
	if (w.level == 1)
		x->blk1g |= 1ull << ((va >> 30) & 63);
	else if (w.level == 2)
		x->blk2m[blk_hash2m(va) / 64] |= 1ull << (blk_hash2m(va) % 64);
	u8 *host = c->bus.ram_ptr(c->bus.opaque, w.pa);
	if (!host)
		return e; /* a device: always the slow path */
	e->pa |= A64_TLBE_RAM;
	e->addend = (uintptr_t)host - (uintptr_t)page;
	set_tags(e, A64_TLB_EXEC, w.flags, A64_TLBE_X0, e->va);
	if (fast_data(c, e)) {
		set_tags(e, A64_TLB_READ, w.flags, A64_TLBE_R0, e->va);
		a64_tlb_grant_write(c, e);
	}
	return e;
}

/* Drop the write tags of context k's entries whose frame is `frame`
 * (every frame when frame is ~0). */
static void drop_writes(struct a64_cpu *c, unsigned k, u64 frame)
{
	struct a64_tlb_ctx *x = &c->tlb.ctx[k];
	struct a64_tlb_entry *e = ctx_entries(c, k);
	for (unsigned w = 0; x->live && w < A64_TLB_SIZE / 64; w++) {
		for (u64 bits = x->writable[w]; bits; bits &= bits - 1) {
			unsigned idx = w * 64 + (unsigned)__builtin_ctzll(bits);
			if (frame != ~0ull && (e[idx].pa & ~A64_TLBE_FLAGS) != frame)
				continue;
			e[idx].tag[A64_TLB_WRITE][0] = e[idx].tag[A64_TLB_WRITE][1] = 0;
			x->writable[w] &= ~(1ull << (idx % 64));
		}
	}
}

void a64_tlb_protect_page(struct a64_cpu *c, u64 pa)
{
	for (unsigned k = 0; k < A64_TLB_CTXS; k++)
		drop_writes(c, k, pa & ~0xfffull);
}

void a64_tlb_revoke_writes(struct a64_cpu *c)
{
	for (unsigned k = 0; k < A64_TLB_CTXS; k++)
		drop_writes(c, k, ~0ull);
}

void a64_tlbi(struct a64_cpu *c, u32 op, u64 arg)
{
	u16 asid = (u16)(arg >> 48);
	if (!(c->sys.tcr_el1 & TCR_AS))
		asid &= 0xff;
	/* VA[55:12] in bits 43:0, sign-extended from VA bit 55. */
	u64 va = (u64)((i64)(arg << 20) >> 8) & ~0xfffull;
	switch (op) {
	case A64_TLBI_VMALLE1:
		a64_tlb_flush_all(c);
		break;
	case A64_TLBI_ASIDE1:
		a64_tlb_flush_asid(c, asid);
		break;
	case A64_TLBI_VAE1:
	case A64_TLBI_VALE1:
		a64_tlb_flush_va(c, va, asid, false);
		break;
	case A64_TLBI_VAAE1:
	case A64_TLBI_VAALE1:
		a64_tlb_flush_va(c, va, 0, true);
		break;
	}
}

/* ---- AT ---- */

#define PAR_F 0x1ull
#define PAR_RES1 (1ull << 11)

u64 a64_mmu_at(struct a64_cpu *c, u64 va, bool el0, bool write)
{
	struct a64_walk w;
	unsigned fault = a64_mmu_walk(c, va, &w);
	if (!fault) {
		u32 need = write ? A64_TLBE_W0 : A64_TLBE_R0;
		if (!(w.flags & (need << (el0 ? 0 : 3))))
			fault = A64_FAULT | A64_FSC_PERMISSION(w.level);
	}
	if (fault)
		return PAR_RES1 | (u64)A64_FSC(fault) << 1 | PAR_F;
	return (u64)w.attr << 56 | (w.pa & bits_from(47, 12)) | PAR_RES1 | (u64)w.sh << 7;
}
