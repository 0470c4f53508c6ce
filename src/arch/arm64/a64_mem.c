/*
 * The slow paths of virtual memory accesses (a64_mem.h has the fast
 * ones): alignment checks, translation through the TLB (filling it from a
 * walk), permission checks, then RAM or a device; the faults they take.
 *
 * Order of checks, as the architecture prioritises them: alignment that
 * does not depend on the memory type (SCTLR_EL1.A, exclusives and
 * atomics) first, then the MMU faults of each page the access touches
 * (both pages are translated before any byte moves, so a fault on the
 * second leaves memory untouched), then alignment on Device memory.
 *
 * A slow-path write to RAM tells the engine first (cb.ram_written: dirty
 * page, decoded code); then the TLB may cache the write right
 * (a64_tlb_grant_write), so the next write to the page is fast.
 */
#include <string.h>

#include "arch/arm64/a64_exception.h"
#include "arch/arm64/a64_mem.h"
#include "arch/arm64/a64_mmu.h"

#define PAGE_SIZE 4096u
#define DCZ_BLOCK 64u

/* ISS of a Data Abort: WnR (bit 6), CM (bit 8) and the fault status code. */
#define ISS_WNR (1u << 6)
#define ISS_CM (1u << 8)

static int mem_fault(struct a64_cpu *c, u64 va, unsigned acc, unsigned fsc)
{
	if (acc & A64_ACC_FETCH)
		return a64_take_sync(c, A64_EC_IABT_LOWER, fsc, va, true);
	u32 iss = fsc;
	if (acc & (A64_ACC_WRITE | A64_ACC_ATOMIC | A64_ACC_CM))
		iss |= ISS_WNR;
	if (acc & A64_ACC_CM)
		iss |= ISS_CM;
	return a64_take_sync(c, A64_EC_DABT_LOWER, iss, va, true);
}

static u32 needed_right(unsigned acc, unsigned p)
{
	u32 r = (acc & A64_ACC_FETCH) ? A64_TLBE_X0
		: (acc & (A64_ACC_WRITE | A64_ACC_ATOMIC)) ? A64_TLBE_W0 : A64_TLBE_R0;
	return r << (3 * p);
}

/* The TLB entry of va's page with the rights `acc` needs, or NULL after
 * taking the fault. */
static struct a64_tlb_entry *translate(struct a64_cpu *c, u64 va, unsigned acc)
{
	struct a64_tlb_entry *e = a64_tlb_entry_for(c, va);
	if (e->va != (va | 0xfff)) {
		unsigned fault;
		e = a64_tlb_fill(c, va, &fault);
		if (!e) {
			mem_fault(c, va, acc, A64_FSC(fault));
			return NULL;
		}
	}
	if (!(e->pa & needed_right(acc, a64_acc_priv(c, acc)))) {
		mem_fault(c, va, acc, A64_FSC_PERMISSION((e->pa >> A64_TLBE_LEVEL_SHIFT) & 3));
		return NULL;
	}
	return e;
}

/* One piece of an access, within a page. */
struct piece {
	struct a64_tlb_entry *e;
	u64 va, pa;
	unsigned len;
};

static void mmio(struct a64_cpu *c, u64 pa, u8 *buf, unsigned len, bool write)
{
	/* Devices see accesses of at most 8 bytes. */
	for (unsigned k = 0; k < len; k += 8)
		c->bus.mmio(c->bus.opaque, pa + k, buf + k, len - k < 8 ? len - k : 8, write);
}

static void do_piece(struct a64_cpu *c, const struct piece *p, u8 *buf, bool write)
{
	if (!(p->e->pa & A64_TLBE_RAM)) {
		mmio(c, p->pa, buf, p->len, write);
		return;
	}
	u8 *host = (u8 *)(uintptr_t)(p->va + p->e->addend);
	if (!write) {
		memcpy(buf, host, p->len);
		return;
	}
	if (c->cb.ram_written)
		c->cb.ram_written(c->cb.opaque, p->pa, p->len);
	memcpy(host, buf, p->len);
	if (!p->e->tag[A64_TLB_WRITE][0] && !p->e->tag[A64_TLB_WRITE][1])
		a64_tlb_grant_write(c, p->e);
}

/* An access that succeeded, to cb.mem_accessed in pieces of at most 8
 * bytes, each with the physical address of its first byte. */
static void tell_access(struct a64_cpu *c, const struct piece *p, unsigned n, const u8 *buf,
			unsigned size, bool write)
{
	for (unsigned off = 0; off < size; off += 8) {
		unsigned len = size - off < 8 ? size - off : 8;
		unsigned k = n > 1 && off >= p[0].len;
		u64 value = 0;
		memcpy(&value, buf + off, len);
		c->cb.mem_accessed(c->cb.opaque, c, p[0].va + off,
				   p[k].pa + off - (k ? p[0].len : 0), len, value, write);
	}
}

static bool misaligned(u64 va, unsigned size)
{
	return va & (size - 1);
}

static int access(struct a64_cpu *c, u64 va, unsigned size, u8 *buf, unsigned acc)
{
	bool fetch = acc & A64_ACC_FETCH;
	unsigned align = acc & A64_ACC_PAIR ? size / 2 : size;
	if (misaligned(va, align) &&
	    ((acc & A64_ACC_ALIGNED) || (!fetch && (c->sys.sctlr_el1 & A64_SCTLR_A))))
		return mem_fault(c, va, acc, A64_FSC_ALIGNMENT);
	struct piece p[2];
	unsigned room = PAGE_SIZE - (unsigned)(va & (PAGE_SIZE - 1)), n = size <= room ? 1 : 2;
	p[0].va = va;
	p[0].len = n == 1 ? size : room;
	p[1].va = va + room;
	p[1].len = size - p[0].len;
	for (unsigned k = 0; k < n; k++) {
		p[k].e = translate(c, p[k].va, acc);
		if (!p[k].e)
			return A64_EXC;
		p[k].pa = (p[k].e->pa & ~A64_TLBE_FLAGS) | (p[k].va & (PAGE_SIZE - 1));
	}
	for (unsigned k = 0; k < n; k++)
		if (!fetch && (p[k].e->pa & A64_TLBE_DEVICE) && misaligned(va, align))
			return mem_fault(c, va, acc, A64_FSC_ALIGNMENT);
	/* The second translation cannot have evicted the first entry: the
	 * two pages have neighbouring indexes. */
	for (unsigned k = 0; k < n; k++)
		do_piece(c, &p[k], buf + (k ? p[0].len : 0), acc & A64_ACC_WRITE);
	if (unlikely(c->cb.mem_accessed != NULL) && !fetch)
		tell_access(c, p, n, buf, size, acc & A64_ACC_WRITE);
	return A64_OK;
}

int a64_load_slow(struct a64_cpu *c, u64 va, unsigned size, void *out, unsigned acc)
{
	return access(c, va, size, out, acc & ~(unsigned)A64_ACC_WRITE);
}

int a64_store_slow(struct a64_cpu *c, u64 va, unsigned size, const void *in, unsigned acc)
{
	u8 tmp[16];
	memcpy(tmp, in, size);
	return access(c, va, size, tmp, acc | A64_ACC_WRITE);
}

int a64_sp_align_fault(struct a64_cpu *c)
{
	u64 bit = c->el ? A64_SCTLR_SA : A64_SCTLR_SA0;
	if (!(c->sys.sctlr_el1 & bit) || !(c->x[A64_SP] & 15))
		return A64_OK;
	return a64_take_sync(c, A64_EC_SP_ALIGN, 0, 0, false);
}

int a64_mem_probe(struct a64_cpu *c, u64 va, unsigned acc)
{
	return translate(c, va, acc | A64_ACC_CM) ? A64_OK : A64_EXC;
}

int a64_dc_zva(struct a64_cpu *c, u64 va)
{
	u64 block = va & ~(u64)(DCZ_BLOCK - 1);
	unsigned p = a64_acc_priv(c, 0);
	struct a64_tlb_entry *e = a64_tlb_entry_for(c, block);
	if (a64_tlb_hit(e->tag[A64_TLB_WRITE][p], block, DCZ_BLOCK)) {
		memset((void *)(uintptr_t)(block + e->addend), 0, DCZ_BLOCK);
		return A64_OK;
	}
	/* As a store: faults report WnR = 1, CM = 0, FAR = the operand. */
	struct piece pc = { .va = block, .len = DCZ_BLOCK };
	pc.e = translate(c, va, A64_ACC_WRITE);
	if (!pc.e)
		return A64_EXC;
	if (pc.e->pa & A64_TLBE_DEVICE) /* DC ZVA to Device memory */
		return mem_fault(c, va, A64_ACC_WRITE, A64_FSC_ALIGNMENT);
	pc.pa = (pc.e->pa & ~A64_TLBE_FLAGS) | (block & (PAGE_SIZE - 1));
	u8 zero[DCZ_BLOCK] = { 0 };
	do_piece(c, &pc, zero, true);
	if (unlikely(c->cb.mem_accessed != NULL))
		tell_access(c, &pc, 1, zero, DCZ_BLOCK, true);
	return A64_OK;
}

int a64_fetch_translate(struct a64_cpu *c, u64 pc, u64 *pa, const u8 **host)
{
	struct a64_tlb_entry *e = translate(c, pc, A64_ACC_FETCH);
	if (!e)
		return A64_EXC;
	*pa = (e->pa & ~A64_TLBE_FLAGS) | (pc & (PAGE_SIZE - 1));
	*host = (e->pa & A64_TLBE_RAM) ? (const u8 *)(uintptr_t)(pc + e->addend) : NULL;
	return A64_OK;
}
