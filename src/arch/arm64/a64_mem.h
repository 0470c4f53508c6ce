/*
 * Guest memory as an instruction sees it: virtual addresses, translated
 * by the stage-1 MMU when SCTLR_EL1.M is set, then RAM or a device.
 * A failed access takes the exception itself (Data Abort, alignment) and
 * returns A64_EXC, which the handler returns at once.
 *
 * The fast path is inline: one TLB entry load, one compare of a tag (the
 * tag also proves the access stays in its page) and a copy from or to host
 * RAM.  Everything else (walks, MMIO, page-crossing, faults, alignment
 * checks, writes the engine must see) is a64_load_slow/a64_store_slow.
 *
 * With the MMU off every data access is to Device memory, so an unaligned
 * one takes an alignment fault (as on hardware and in QEMU); instruction
 * fetches are to Normal memory.
 */
#ifndef ARM64_A64_MEM_H
#define ARM64_A64_MEM_H

#include "arch/arm64/a64_cpu.h"

/* How an access is made (bits). */
#define A64_ACC_WRITE 0x01
#define A64_ACC_UNPRIV 0x02   /* LDTR/STTR: checked as EL0 */
#define A64_ACC_ALIGNED 0x04  /* exclusives, acquire/release, atomics:
			       * unaligned is an alignment fault */
#define A64_ACC_FETCH 0x08    /* instruction fetch */
#define A64_ACC_ATOMIC 0x10   /* read-modify-write (LSE), reported as a write */
#define A64_ACC_CM 0x20       /* cache maintenance by VA (DC, IC IVAU): a
			       * fault reports CM = 1 and WnR = 1 */
#define A64_ACC_PAIR 0x40     /* LDP/STP: two elements of size / 2, each
			       * aligned on its own (Device memory, SCTLR.A) */

int a64_load_slow(struct a64_cpu *c, u64 va, unsigned size, void *out, unsigned acc);
int a64_store_slow(struct a64_cpu *c, u64 va, unsigned size, const void *in, unsigned acc);

/* The TLB entry that caches va's page, if any does (current ASID). */
static inline struct a64_tlb_entry *a64_tlb_entry_for(struct a64_cpu *c, u64 va)
{
	return &c->tlb.e[c->tlb.base + ((va >> 12) & (A64_TLB_SIZE - 1))];
}

/* The privilege an access is checked with: 1 = EL1, 0 = EL0 (and LDTR/STTR). */
static inline unsigned a64_acc_priv(const struct a64_cpu *c, unsigned acc)
{
	return c->el & !(acc & A64_ACC_UNPRIV);
}

/* The fast path's hit: a tag equal to the page of the access's last byte
 * with the low 12 bits set; the tag is in va's entry, so the last byte is
 * in va's page (the next page has another entry). */
static inline bool a64_tlb_hit(u64 tag, u64 va, unsigned size)
{
	return tag == ((va + size - 1) | 0xfff);
}

/* Copies of an access's bytes: 1, 2, 4, 8 or 16; at most 8 for the u64
 * forms (whose size may be a variable the compiler cannot bound). */
static inline void a64_host_copy(void *dst, const void *src, unsigned size)
{
	switch (size) {
	case 1: __builtin_memcpy(dst, src, 1); break;
	case 2: __builtin_memcpy(dst, src, 2); break;
	case 4: __builtin_memcpy(dst, src, 4); break;
	case 8: __builtin_memcpy(dst, src, 8); break;
	default: __builtin_memcpy(dst, src, 16); break;
	}
}

static inline void a64_host_copy8(void *dst, const void *src, unsigned size)
{
	switch (size) {
	case 1: __builtin_memcpy(dst, src, 1); break;
	case 2: __builtin_memcpy(dst, src, 2); break;
	case 4: __builtin_memcpy(dst, src, 4); break;
	default: __builtin_memcpy(dst, src, 8); break;
	}
}

/* An access that may take the fast path: true, with its host address
 * va + *addend. */
static inline bool a64_fast_hit(struct a64_cpu *c, u64 va, unsigned size, unsigned acc,
				unsigned kind, uintptr_t *addend)
{
	const struct a64_tlb_entry *e = a64_tlb_entry_for(c, va);
	*addend = e->addend;
	return likely(a64_tlb_hit(e->tag[kind][a64_acc_priv(c, acc)], va, size)) &&
	       likely(!(acc & A64_ACC_ALIGNED) || !(va & (size - 1)));
}

/* The tag a load checks: execute for fetches, write for read-modify-write. */
static inline unsigned a64_load_kind(unsigned acc)
{
	return (acc & A64_ACC_FETCH) ? A64_TLB_EXEC
	       : (acc & A64_ACC_ATOMIC) ? A64_TLB_WRITE : A64_TLB_READ;
}

/* Read `size` (1, 2, 4, 8 or 16) bytes at `va` into `out` (little-endian). */
static inline int a64_load(struct a64_cpu *c, u64 va, unsigned size, void *out, unsigned acc)
{
	uintptr_t a;
	if (a64_fast_hit(c, va, size, acc, a64_load_kind(acc), &a)) {
		a64_host_copy(out, (const void *)(va + a), size);
		return A64_OK;
	}
	return a64_load_slow(c, va, size, out, acc);
}

/* Write `size` bytes from `in` at `va`. */
static inline int a64_store(struct a64_cpu *c, u64 va, unsigned size, const void *in, unsigned acc)
{
	uintptr_t a;
	if (a64_fast_hit(c, va, size, acc, A64_TLB_WRITE, &a)) {
		a64_host_copy((void *)(va + a), in, size);
		return A64_OK;
	}
	return a64_store_slow(c, va, size, in, acc | A64_ACC_WRITE);
}

/* Zero-extending conveniences (size 1, 2, 4 or 8). */
static inline int a64_load_u64(struct a64_cpu *c, u64 va, unsigned size, u64 *v, unsigned acc)
{
	*v = 0;
	uintptr_t a;
	if (a64_fast_hit(c, va, size, acc, a64_load_kind(acc), &a)) {
		a64_host_copy8(v, (const void *)(va + a), size);
		return A64_OK;
	}
	return a64_load_slow(c, va, size, v, acc);
}
static inline int a64_store_u64(struct a64_cpu *c, u64 va, unsigned size, u64 v, unsigned acc)
{
	uintptr_t a;
	if (a64_fast_hit(c, va, size, acc, A64_TLB_WRITE, &a)) {
		a64_host_copy8((void *)(va + a), &v, size);
		return A64_OK;
	}
	return a64_store_slow(c, va, size, &v, acc | A64_ACC_WRITE);
}

/*
 * SCTLR_EL1.SA/SA0: a load or store whose base register is SP must find
 * it 16-byte aligned, else the SP alignment fault (EC 0x26).  The
 * load/store handlers call a64_check_sp before the access when the base
 * is A64_SP.
 */
int a64_sp_align_fault(struct a64_cpu *c);
static inline int a64_check_sp(struct a64_cpu *c)
{
	if (likely(!(c->x[A64_SP] & 15)))
		return A64_OK;
	return a64_sp_align_fault(c);
}

/* DC ZVA: zero the DCZID_EL0 block (64 bytes) holding va, as a store. */
int a64_dc_zva(struct a64_cpu *c, u64 va);
/* Cache maintenance by VA (DC IVAC/CVAC/CVAU/CIVAC, IC IVAU): the
 * faults the access `acc` (A64_ACC_CM, with A64_ACC_WRITE for DC IVAC)
 * would take at va; nothing else (caches are not modelled). */
int a64_mem_probe(struct a64_cpu *c, u64 va, unsigned acc);

/*
 * The engine's instruction fetch at pc (4-byte aligned): A64_OK with the
 * physical address in *pa and a host pointer to it in *host (good to the
 * end of its page; NULL when the code is in a device), or A64_EXC after
 * taking the Instruction Abort.  Through the TLB, as a64_load would go.
 */
int a64_fetch_translate(struct a64_cpu *c, u64 pc, u64 *pa, const u8 **host);

#endif
