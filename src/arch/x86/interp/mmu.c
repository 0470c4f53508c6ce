/*
 * Linear-to-physical translation: the page walks of long mode (4 levels),
 * PAE paging (3 levels) and 32-bit paging (2 levels), with accessed and
 * dirty bits, the software TLB that caches them, and the slow paths of
 * memory access (MMIO, unbacked memory, page-crossing, code pages, hooks).
 */
#include <string.h>

#include "interp.h"
#include "mmu.h"

/*
 * The three paging structures.  Long mode: 4 levels of 8-byte entries.
 * PAE paging: a 4-entry PDPT (level 3: no permission bits, no accessed
 * bit), then 2 levels of 8-byte entries.  32-bit paging: 2 levels of
 * 4-byte entries, 4 MiB pages with CR4.PSE.  Level n indexes linear
 * address bits from 12 + bits * (n - 1).
 */
struct paging {
	int top;       /* first level walked */
	unsigned bits; /* index bits per level */
	unsigned size; /* entry size in bytes */
	u64 table;     /* the top table, from CR3 */
};

static void paging_mode(struct cpu *c, struct paging *pg)
{
	if (c->s.efer & EFER_LMA)
		*pg = (struct paging){ 4, 9, 8, c->s.cr3 & PTE_ADDR };
	else if (c->s.cr4 & CR4_PAE)
		*pg = (struct paging){ 3, 9, 8, c->s.cr3 & 0xffffffe0u };
	else
		*pg = (struct paging){ 2, 10, 4, c->s.cr3 & 0xfffff000u };
}

/* PAE PDPTEs reserve bits 63:MAXPHYADDR, 8:5 and 2:1 (and have no NX). */
#define PDPTE_RSVD (~((1ull << PHYS_ADDR_BITS) - 1) | 0x1e6ull)

static u64 rsvd_mask(struct cpu *c, const struct paging *pg, int level, bool large)
{
	if (pg->size == 4) /* 32-bit paging: PSE-36 is not advertised */
		return large ? 0x3fe000ull : 0; /* bits 21:13 of a 4 MiB PDE */
	if (pg->top == 3 && level == 3)
		return PDPTE_RSVD;
	/* Bits 51:M are reserved; 62:52 are ignored in long mode, reserved with PAE. */
	u64 top = pg->top == 3 ? 1ull << 63 : 1ull << 52;
	u64 m = (top - 1) & ~((1ull << PHYS_ADDR_BITS) - 1);
	if (!(c->s.efer & EFER_NXE))
		m |= PTE_NX;
	if (level == 4)
		m |= PTE_PS;
	if (large)
		m |= (level == 3 ? 0x3fffe000ull : 0x1fe000ull); /* low address bits of large pages */
	return m;
}

struct walk {
	u64 paddr;
	bool write_ok, exec_ok, global, dirty;
};

static _Noreturn void page_fault(struct cpu *c, u64 lin, u32 err)
{
	c->s.cr2 = lin;
	cpu_raise(c, EXC_PF, err);
}

/* A paging-structure entry of `size` bytes (all ones where there is no RAM). */
static u64 pte_read(struct cpu *c, u64 paddr, unsigned size)
{
	u8 *p = pc__ram_ptr(c->machine, paddr);
	u64 v = size_mask(size);
	if (p) {
		v = 0;
		memcpy(&v, p, size);
	}
	return v;
}

static void pte_set_bits(struct cpu *c, u64 paddr, unsigned size, u64 bits)
{
	u8 *p = pc__ram_ptr(c->machine, paddr);
	if (!p)
		return;
	u64 v = 0;
	memcpy(&v, p, size);
	if ((v & bits) != bits) {
		v |= bits;
		memcpy(p, &v, size);
		mmu_note_ram_write(c, paddr, size);
	}
}

/*
 * PAE paging outside long mode reads the four PDPTEs at every walk: a
 * processor loads them into registers at MOV CR3 (and the CR0/CR4 writes
 * that start PAE paging) and uses those until the next such write.  What
 * is modelled of that load is its check: a present PDPTE with a reserved
 * bit makes the CR write #GP (ops_system.c).  A guest that edits its
 * PDPTEs without reloading CR3 sees the edit at the next walk here.
 */
bool mmu_pae_pdptes_ok(struct cpu *c, u64 cr3)
{
	for (unsigned k = 0; k < 4; k++) {
		u64 e = pte_read(c, (cr3 & 0xffffffe0u) + 8 * k, 8);
		if ((e & PTE_P) && (e & PDPTE_RSVD))
			return false;
	}
	return true;
}

/*
 * Walk the page tables for `lin`.  `user` is the privilege of the access
 * (implicit supervisor accesses pass false).  Faults are raised here.
 */
static void page_walk(struct cpu *c, u64 lin, enum access acc, bool user, struct walk *w)
{
	struct paging pg;
	paging_mode(c, &pg);
	/* NX exists with PAE and 4-level paging only (CR4.PAE is set for both). */
	bool nx = (c->s.cr4 & CR4_PAE) && (c->s.efer & EFER_NXE);
	u32 err = (acc == ACC_WRITE ? PF_W : 0) | (user ? PF_U : 0);
	if (acc == ACC_EXEC && nx)
		err |= PF_I;
	if (pg.top < 4)
		lin = (u32)lin;
	u64 table = pg.table, addrs[4], idx_mask = (1u << pg.bits) - 1;
	u64 addr_mask = pg.size == 4 ? 0xfffff000ull : PTE_ADDR;
	bool u_ok = true, w_ok = true, x_ok = true;
	int level, n = 0;
	u64 pte = 0;
	for (level = pg.top; level >= 1; level--) {
		unsigned shift = 12 + pg.bits * (level - 1);
		u64 a = table + ((lin >> shift) & idx_mask) * pg.size;
		pte = pte_read(c, a, pg.size);
		if (!(pte & PTE_P))
			page_fault(c, lin, err);
		bool pdpte = pg.top == 3 && level == 3;
		bool large = !pdpte && (pte & PTE_PS) &&
			     (level == 3 || (level == 2 && (pg.size == 8 || (c->s.cr4 & CR4_PSE))));
		if (pte & rsvd_mask(c, &pg, level, large))
			page_fault(c, lin, err | PF_P | PF_RSVD);
		if (!pdpte) { /* PDPTEs have no permission bits and no accessed bit */
			addrs[n++] = a;
			u_ok &= !!(pte & PTE_U);
			w_ok &= !!(pte & PTE_W);
			x_ok &= !(pte & PTE_NX);
		}
		if (large)
			break;
		table = pte & addr_mask;
	}
	if (level == 0)
		level = 1;
	bool wp = c->s.cr0 & CR0_WP;
	bool allowed = (!user || u_ok) && (acc != ACC_WRITE || w_ok || (!user && !wp)) &&
		       (acc != ACC_EXEC || x_ok || !nx);
	if (!allowed)
		page_fault(c, lin, err | PF_P);
	for (int k = 0; k < n; k++)
		pte_set_bits(c, addrs[k], pg.size,
			     PTE_A | (k == n - 1 && acc == ACC_WRITE ? PTE_D : 0));
	u64 page_mask = (1ull << (12 + pg.bits * (level - 1))) - 1;
	w->paddr = (pte & addr_mask & ~page_mask) | (lin & page_mask & ~0xfffull);
	w->write_ok = w_ok || (!user && !wp);
	w->exec_ok = x_ok || !nx;
	w->global = (pte & PTE_G) && (c->s.cr4 & CR4_PGE);
	w->dirty = acc == ACC_WRITE || (pte & PTE_D);
}

static void translate_page(struct cpu *c, u64 lin, enum access acc, bool user, struct walk *w)
{
	if (!(c->s.cr0 & CR0_PG)) {
		*w = (struct walk){ .paddr = lin & ~0xfffull & 0xffffffffull, .write_ok = true,
				    .exec_ok = true, .dirty = true };
		return;
	}
	page_walk(c, lin, acc, user, w);
}

/*
 * Cache a successful walk; fast tags only where every access may take
 * them.  A fast write tag is only handed out for a frame marked dirty
 * (a write fill marks it), so writes on the fast path never need to.
 */
static void tlb_fill(struct cpu *c, u64 lin, bool user, enum access acc, const struct walk *w)
{
	unsigned idx = (lin >> 12) & (TLB_SIZE - 1);
	struct tlb_entry *e = &c->tlb[user][idx];
	u64 page = lin & ~0xfffull;
	u8 *host = pc__ram_ptr(c->machine, w->paddr);
	unsigned kind = w->global ? 1 : 0;
	if (!(c->tlb_listed[user][idx] & (1u << kind))) {
		struct tlb_list *l = &c->tlb_list[user][kind];
		l->idx[l->n++] = (u16)idx;
		c->tlb_listed[user][idx] |= (u8)(1u << kind);
	}
	e->tag_read = e->tag_write = e->tag_exec = TLB_TAG_NONE;
	e->paddr = w->paddr | (w->global ? 1 : 0);
	if (!host)
		return; /* MMIO and unbacked memory always take the slow path */
	e->addend = (uintptr_t)host - page;
	if (w->exec_ok)
		e->tag_exec = page;
	u64 tag = page | (c->hooks && c->hooks->on_mem ? TLB_HOOKED : 0);
	e->tag_read = tag;
	i64 frame = ram_frame(c->machine, w->paddr);
	if (!w->write_ok || !w->dirty || code_page_has_blocks(c, frame))
		return;
	struct ram_pages *rp = &c->machine->pages;
	if (acc == ACC_WRITE)
		rp->dirty[frame >> 6] |= 1ull << (frame & 63);
	if (rp->dirty[frame >> 6] >> (frame & 63) & 1)
		e->tag_write = tag;
}

/*
 * A non-canonical address faults with #SS(0) when the access goes through
 * SS (stack instructions, RSP/RBP-based operands) and with #GP(0) otherwise.
 */
static _Noreturn void noncanonical_fault(struct cpu *c)
{
	const struct insn *i = c->cur;
	bool ss = i && ((i->flags & IF_STACK) || (i->rm == RM_MEM && i->seg == SEG_SS));
	cpu_raise(c, ss ? EXC_SS : EXC_GP, 0);
}

/*
 * Translate `lin` for `acc` and cache the result.  `sys` marks implicit
 * supervisor accesses (GDT, IDT, TSS, exception frames), which use
 * supervisor rights whatever the CPL and fault with #GP when non-canonical.
 */
static u64 translate(struct cpu *c, u64 lin, enum access acc, bool sys)
{
	if ((c->s.efer & EFER_LMA) && !is_canonical(lin)) {
		if (sys)
			raise_gp(c, 0);
		noncanonical_fault(c);
	}
	bool user = !sys && c->cpl == 3;
	struct walk w;
	translate_page(c, lin, acc, user, &w);
	tlb_fill(c, lin, user, acc, &w);
	return w.paddr | (lin & 0xfff);
}

u64 mmu_translate(struct cpu *c, u64 lin, enum access acc)
{
	return translate(c, lin, acc, false);
}

void tlb_init(struct cpu *c)
{
	for (unsigned p = 0; p < 2; p++) {
		for (unsigned k = 0; k < TLB_SIZE; k++) {
			struct tlb_entry *e = &c->tlb[p][k];
			e->tag_read = e->tag_write = e->tag_exec = TLB_TAG_NONE;
			e->paddr = 0;
			c->tlb_listed[p][k] = 0;
		}
		c->tlb_list[p][0].n = c->tlb_list[p][1].n = 0;
	}
}

/* Empty the entries on list `kind` of set p; with keep_global, not those
 * that hold a global translation now (they are on the global list too). */
static void tlb_flush_list(struct cpu *c, unsigned p, unsigned kind, bool keep_global)
{
	struct tlb_list *l = &c->tlb_list[p][kind];
	for (u32 k = 0; k < l->n; k++) {
		u16 idx = l->idx[k];
		struct tlb_entry *e = &c->tlb[p][idx];
		c->tlb_listed[p][idx] &= (u8)~(1u << kind);
		if (!(keep_global && (e->paddr & 1)))
			e->tag_read = e->tag_write = e->tag_exec = TLB_TAG_NONE;
	}
	l->n = 0;
}

static void tlb_flush(struct cpu *c, bool keep_global)
{
	for (unsigned p = 0; p < 2; p++) {
		tlb_flush_list(c, p, 0, keep_global);
		if (!keep_global)
			tlb_flush_list(c, p, 1, false);
	}
	block_jump_cache_flush(c);
}

void tlb_flush_all(struct cpu *c)
{
	tlb_flush(c, false);
}

/* CR3 writes keep global translations (CR4.PGE); everything else goes. */
void tlb_flush_nonglobal(struct cpu *c)
{
	tlb_flush(c, true);
}

void tlb_flush_page(struct cpu *c, u64 lin)
{
	u64 page = lin & ~0xfffull;
	for (unsigned p = 0; p < 2; p++) {
		struct tlb_entry *e = &c->tlb[p][(lin >> 12) & (TLB_SIZE - 1)];
		/* The low bits mark hooked tags (and empty ones, harmlessly for page 0). */
		if ((e->tag_read & ~0xfffull) == page || (e->tag_write & ~0xfffull) == page ||
		    (e->tag_exec & ~0xfffull) == page)
			e->tag_read = e->tag_write = e->tag_exec = TLB_TAG_NONE;
	}
	block_jump_cache_flush_page(c, lin);
}

/* Drop fast write tags that point into a physical page that now holds code. */
void tlb_protect_code_page(struct cpu *c, u64 paddr)
{
	u64 frame = paddr & ~0xfffull;
	for (unsigned p = 0; p < 2; p++)
		for (unsigned g = 0; g < 2; g++) {
			const struct tlb_list *l = &c->tlb_list[p][g];
			for (u32 k = 0; k < l->n; k++) {
				struct tlb_entry *e = &c->tlb[p][l->idx[k]];
				if ((e->paddr & ~0xfffull) == frame)
					e->tag_write = TLB_TAG_NONE;
			}
		}
}

void mmu_note_ram_write(struct cpu *c, u64 paddr, unsigned len)
{
	machine__note_ram_write(c->machine, paddr, len);
	i64 first = ram_frame(c->machine, paddr);
	i64 last = ram_frame(c->machine, paddr + len - 1);
	if (first >= 0 && code_page_has_blocks(c, first))
		code_page_invalidate(c, first);
	if (last >= 0 && last != first && code_page_has_blocks(c, last))
		code_page_invalidate(c, last);
}

u64 insn_ea_extra(struct cpu *c, const struct insn *i, u64 sum)
{
	if (i->ea_extra & EA_MASK)
		sum &= ~0ull >> i->addr_shift;
	if (i->ea_extra & EA_SEGBASE)
		sum = seg_linear(c, i->seg, sum);
	return sum;
}

/* The on_mem hook, which the caller knows is installed. */
static inline void call_on_mem(struct cpu *c, u64 lin, u64 paddr, unsigned size, u64 v,
			       unsigned flags)
{
	const struct encore_hooks *h = c->hooks;
	h->on_mem(h->mem_opaque, c->engine.vcpu->index, cpu_icount(c), lin, paddr, size, v, flags);
}

static void mem_hook(struct cpu *c, u64 lin, u64 paddr, unsigned size, u64 v, bool wr)
{
	if (c->hooks && c->hooks->on_mem)
		call_on_mem(c, lin, paddr, size, v, wr ? HOOK_ACCESS_WRITE : 0);
}

static u64 phys_read(struct cpu *c, u64 paddr, unsigned size)
{
	u8 *p = pc__ram_ptr(c->machine, paddr);
	u64 v = 0;
	if (p)
		memcpy(&v, p, size);
	else
		bus__access(&c->machine->mmio, c->engine.vcpu, paddr, (u8 *)&v, size, false);
	return v;
}

static void phys_write(struct cpu *c, u64 paddr, unsigned size, u64 v)
{
	u8 *p = pc__ram_ptr(c->machine, paddr);
	if (p) {
		memcpy(p, &v, size);
		mmu_note_ram_write(c, paddr, size);
	} else {
		bus__access(&c->machine->mmio, c->engine.vcpu, paddr, (u8 *)&v, size, true);
	}
}

/*
 * The physical pieces of an access of up to 8 bytes: both pages are
 * translated before anything is read or written, so a fault on the
 * second page leaves the first untouched.
 */
struct span {
	u64 p1, p2;     /* physical addresses of the two pieces */
	unsigned first; /* bytes in the first piece (== size if one page) */
};

static void translate_span(struct cpu *c, u64 lin, unsigned size, enum access acc, bool sys,
			   struct span *sp)
{
	unsigned room = 0x1000 - (lin & 0xfff);
	sp->first = size < room ? size : room;
	sp->p1 = translate(c, lin, acc, sys);
	sp->p2 = sp->first < size ? translate(c, lin + sp->first, acc, sys) : 0;
}

static u64 span_read(struct cpu *c, const struct span *sp, unsigned size)
{
	u64 v = phys_read(c, sp->p1, sp->first);
	if (sp->first < size)
		v |= phys_read(c, sp->p2, size - sp->first) << (8 * sp->first);
	return v;
}

static void span_write(struct cpu *c, const struct span *sp, unsigned size, u64 v)
{
	phys_write(c, sp->p1, sp->first, v);
	if (sp->first < size)
		phys_write(c, sp->p2, size - sp->first, v >> (8 * sp->first));
}

/* The hook of an access through a hooked TLB tag: those exist only
 * while on_mem is installed (set_hooks empties the TLB). */
static inline void hooked_access(struct cpu *c, const struct tlb_entry *e, u64 lin,
				 unsigned size, u64 v, unsigned flags)
{
	call_on_mem(c, lin, (e->paddr & ~0xfffull) | (lin & 0xfff), size, v, flags);
}

static __attribute__((noinline)) u64 read_untagged(struct cpu *c, u64 lin, unsigned size)
{
	struct span sp;
	translate_span(c, lin, size, ACC_READ, false, &sp);
	u64 v = span_read(c, &sp, size);
	mem_hook(c, lin, sp.p1, size, v, false);
	return v;
}

static __attribute__((noinline)) void write_untagged(struct cpu *c, u64 lin, unsigned size,
						     u64 v)
{
	struct span sp;
	translate_span(c, lin, size, ACC_WRITE, false, &sp);
	span_write(c, &sp, size, v);
	mem_hook(c, lin, sp.p1, size, v, true);
}

/* A miss of the inline paths: with memory hooks, most are hits of a
 * hooked tag (page | TLB_HOOKED), which cost the access and the hook
 * only; the rest translates, out of line. */
u64 mmu_read_slow(struct cpu *c, u64 lin, unsigned size)
{
	const struct tlb_entry *e = tlb_entry_for(c, lin);
	if (!tlb_hit(e->tag_read ^ TLB_HOOKED, lin, size))
		return read_untagged(c, lin, size);
	u64 v = host_load((const u8 *)(uintptr_t)(lin + e->addend), size);
	hooked_access(c, e, lin, size, v, 0);
	return v;
}

void mmu_write_slow(struct cpu *c, u64 lin, unsigned size, u64 v)
{
	const struct tlb_entry *e = tlb_entry_for(c, lin);
	if (!tlb_hit(e->tag_write ^ TLB_HOOKED, lin, size)) {
		write_untagged(c, lin, size, v);
		return;
	}
	host_store((u8 *)(uintptr_t)(lin + e->addend), size, v);
	hooked_access(c, e, lin, size, v, HOOK_ACCESS_WRITE);
}

u64 mem_read_sys(struct cpu *c, u64 lin, unsigned size)
{
	struct span sp;
	translate_span(c, lin, size, ACC_READ, true, &sp);
	return span_read(c, &sp, size);
}

void mem_write_sys(struct cpu *c, u64 lin, unsigned size, u64 v)
{
	struct span sp;
	translate_span(c, lin, size, ACC_WRITE, true, &sp);
	span_write(c, &sp, size, v);
}

void mem_read_bytes(struct cpu *c, u64 lin, void *dst, unsigned n)
{
	u8 *d = dst;
	while (n) {
		unsigned chunk = 0x1000 - (lin & 0xfff);
		if (chunk > n)
			chunk = n;
		for (unsigned k = 0; k < chunk; k += 8) {
			unsigned len = chunk - k < 8 ? chunk - k : 8;
			u64 v = len == 8 ? mem_read64(c, lin + k) : 0;
			if (len != 8)
				for (unsigned b = 0; b < len; b++)
					v |= (u64)mem_read8(c, lin + k + b) << (8 * b);
			memcpy(d + k, &v, len);
		}
		d += chunk;
		lin += chunk;
		n -= chunk;
	}
}

void mem_write_bytes(struct cpu *c, u64 lin, const void *src, unsigned n)
{
	const u8 *s = src;
	/* Probe every page first so a fault leaves memory untouched. */
	for (u64 a = lin & ~0xfffull; a < lin + n; a += 0x1000)
		mmu_translate(c, a < lin ? lin : a, ACC_WRITE);
	for (unsigned k = 0; k < n; k++)
		mem_write8(c, lin + k, s[k]);
}
