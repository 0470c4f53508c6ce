/*
 * paging: our own 4-level tables with 4 KiB pages.  Accessed/dirty bits,
 * #PF error codes (P, W/R, U/S, RSVD, I/D) and CR2, CR0.WP, EFER.NXE,
 * INVLPG / CR3 reload / CR4.PGE flushes, a 2 MiB page.
 *
 * Test mappings live in PML4 slot 1 (T_BASE) so that only these tests
 * walk through those tables.
 */
#include "rt.h"

#define T_BASE 0x8000000000ul
#define T_ABSENT 0x10000000000ul /* PML4 slot 2: not present */

static u64 *pml4;

static u64 *pte_of(u64 va)
{
	return pt_entry(pml4, va, 1, 1);
}

static u64 read64(u64 va)
{
	return *(volatile u64 *)va;
}

static void write64(u64 va, u64 v)
{
	*(volatile u64 *)va = v;
}

/* A fresh frame filled with `pattern`. */
static u64 frame_with(u64 pattern)
{
	u64 f = frame_alloc();

	for (int i = 0; i < 512; i++)
		((u64 *)f)[i] = pattern;
	return f;
}

static void flush_all(void)
{
	write_cr3(read_cr3());
}

static void test_accessed_dirty(void)
{
	u64 va = T_BASE, va2 = T_BASE + 0x1000;
	u64 f = frame_with(0x1234), f2 = frame_with(0);
	u64 *e[5];

	pt_map(pml4, va, f, PTE_P | PTE_W);
	pt_map(pml4, va2, f2, PTE_P | PTE_W);
	for (int l = 1; l <= 4; l++) {
		e[l] = pt_entry(pml4, va, l, 0);
		*e[l] &= ~(PTE_A | PTE_D);
	}
	*pte_of(va2) &= ~(PTE_A | PTE_D);
	flush_all();

	check_eq(read64(va), 0x1234, "read through a fresh 4 KiB mapping");
	check(*e[4] & PTE_A, "read sets A in the PML4E");
	check(*e[3] & PTE_A, "read sets A in the PDPTE");
	check(*e[2] & PTE_A, "read sets A in the PDE");
	check(*e[1] & PTE_A, "read sets A in the PTE");
	check(!(*e[1] & PTE_D), "read leaves D clear in the PTE");

	write64(va, 0x5678);
	check(*e[1] & PTE_D, "write sets D in the PTE");
	check_eq(*(volatile u64 *)f, 0x5678, "write reached the frame");

	write64(va2, 1);
	check((*pte_of(va2) & (PTE_A | PTE_D)) == (PTE_A | PTE_D),
	      "first access being a write sets both A and D");
}

static void test_not_present(void)
{
	u64 va = T_BASE + 0x10000;

	pt_map(pml4, va, frame_alloc(), PTE_W); /* P = 0 */
	invlpg((void *)va);

	fault_reset();
	probe_read8((void *)(va + 0x123));
	expect_pf("read, PTE not present", 0, va + 0x123);
	check_eq(last_fault.rip, probe_insn, "read fault: saved RIP is the faulting instruction");

	fault_reset();
	probe_write8((void *)(va + 0xfff), 7);
	expect_pf("write, PTE not present", PFE_W, va + 0xfff);

	fault_reset();
	probe_read64((void *)(T_ABSENT + 0x456));
	expect_pf("read, PML4E not present", 0, T_ABSENT + 0x456);

	fault_reset();
	probe_write64((void *)(T_ABSENT + 0x1000), 7);
	expect_pf("write, PML4E not present", PFE_W, T_ABSENT + 0x1000);

	fault_reset();
	probe_read8((void *)0x800000000000ul);
	expect_fault("read of a non-canonical address is #GP, not #PF", VEC_GP, 0);
}

static void test_write_protect(void)
{
	u64 va = T_BASE + 0x20000, f = frame_with(0);
	u64 va_pd = T_BASE + 0x200000, f_pd = frame_with(0);
	u64 cr0 = read_cr0();

	pt_map(pml4, va, f, PTE_P); /* read-only */
	invlpg((void *)va);

	write_cr0(cr0 & ~CR0_WP);
	fault_reset();
	probe_write8((void *)va, 0x5a);
	expect_no_fault("CR0.WP=0: CPL 0 write to a read-only page");
	check_eq(*(volatile u8 *)f, 0x5a, "CR0.WP=0: the write landed");

	write_cr0(cr0 | CR0_WP);
	fault_reset();
	probe_write8((void *)(va + 8), 0xa5);
	expect_pf("CR0.WP=1: CPL 0 write to a read-only page", PFE_P | PFE_W, va + 8);
	check_eq(*(volatile u8 *)(f + 8), 0, "CR0.WP=1: the write did not land");
	fault_reset();
	probe_read8((void *)va);
	expect_no_fault("CR0.WP=1: read of a read-only page");

	/* R/W=0 in the PDE only: the combined right is read-only. */
	pt_map(pml4, va_pd, f_pd, PTE_P | PTE_W);
	*pt_entry(pml4, va_pd, 2, 0) &= ~PTE_W;
	flush_all();
	fault_reset();
	probe_write8((void *)va_pd, 1);
	expect_pf("CR0.WP=1: write with R/W=0 in the PDE only", PFE_P | PFE_W, va_pd);

	write_cr0(cr0 & ~CR0_WP);
	fault_reset();
	probe_write8((void *)va_pd, 2);
	expect_no_fault("CR0.WP=0: write with R/W=0 in the PDE only");
	check_eq(*(volatile u8 *)f_pd, 2, "CR0.WP=0: PDE-read-only write landed");
	write_cr0(cr0 | CR0_WP);
}

static void test_nx(void)
{
	u64 efer = rdmsr(MSR_EFER);
	u64 va_nx = T_BASE + 0x30000, va_x = T_BASE + 0x31000, va_np = T_BASE + 0x32000;
	u64 va_pdnx = T_BASE + 0x400000;
	u64 f_nx = frame_with(0xc3c3c3c3c3c3c3c3ul), f_x = frame_with(0xc3c3c3c3c3c3c3c3ul);

	pt_map(pml4, va_nx, f_nx, PTE_P | PTE_W | PTE_NX);
	pt_map(pml4, va_x, f_x, PTE_P | PTE_W);
	pt_map(pml4, va_np, f_x, PTE_W); /* not present */
	pt_map(pml4, va_pdnx, f_x, PTE_P | PTE_W);
	*pt_entry(pml4, va_pdnx, 2, 0) |= PTE_NX;

	/* NXE=0: bit 63 is reserved, and fetch faults do not report I/D. */
	wrmsr(MSR_EFER, efer & ~EFER_NXE);
	flush_all();
	fault_reset();
	probe_read8((void *)(va_nx + 4));
	expect_pf("EFER.NXE=0: XD bit set is a reserved-bit fault", PFE_P | PFE_RSVD, va_nx + 4);
	fault_reset();
	probe_exec((void *)(va_np + 0x10));
	expect_pf("EFER.NXE=0: fetch from a not-present page (I/D clear)", 0, va_np + 0x10);
	fault_reset();
	probe_exec((void *)va_x);
	expect_no_fault("EFER.NXE=0: executing an ordinary page");

	wrmsr(MSR_EFER, efer | EFER_NXE);
	flush_all();
	fault_reset();
	probe_exec((void *)(va_nx + 0x20));
	expect_pf("EFER.NXE=1: fetch from an XD page", PFE_P | PFE_I, va_nx + 0x20);
	check_eq(last_fault.rip, va_nx + 0x20, "XD fetch fault: saved RIP is the target");
	fault_reset();
	probe_read8((void *)(va_nx + 0x20));
	expect_no_fault("EFER.NXE=1: reading an XD page");
	check_eq(probe_value, 0xc3, "EFER.NXE=1: XD page reads back");
	fault_reset();
	probe_exec((void *)(va_x + 0x30));
	expect_no_fault("EFER.NXE=1: executing a page without XD");
	fault_reset();
	probe_exec((void *)(va_np + 0x10));
	expect_pf("EFER.NXE=1: fetch from a not-present page", PFE_I, va_np + 0x10);
	fault_reset();
	probe_exec((void *)(va_pdnx + 0x40));
	expect_pf("EFER.NXE=1: fetch with XD set in the PDE only", PFE_P | PFE_I, va_pdnx + 0x40);
}

static void test_tlb(void)
{
	u64 va = T_BASE + 0x40000;
	u64 fa = frame_with(0xaaaaaaaaaaaaaaaaul), fb = frame_with(0xbbbbbbbbbbbbbbbbul);
	u64 *pte = pte_of(va), *pml4b;
	u64 v;

	*pte = fa | PTE_P | PTE_W;
	invlpg((void *)va);
	check_eq(read64(va), 0xaaaaaaaaaaaaaaaaul, "TLB: first translation");

	*pte = fb | PTE_P | PTE_W;
	v = read64(va);
	kprintf("  info: after remapping without a flush the old frame is %s\n",
		v == 0xaaaaaaaaaaaaaaaaul ? "still used (TLB hit)" : "no longer used");
	invlpg((void *)va);
	check_eq(read64(va), 0xbbbbbbbbbbbbbbbbul, "TLB: INVLPG makes the new frame visible");

	*pte = fa | PTE_P | PTE_W;
	flush_all();
	check_eq(read64(va), 0xaaaaaaaaaaaaaaaaul, "TLB: CR3 reload makes the new frame visible");

	*pte = fa | PTE_W;
	invlpg((void *)va);
	fault_reset();
	probe_read8((void *)va);
	expect_pf("TLB: INVLPG after clearing P: the access faults", 0, va);

	/* P 0 -> 1 needs no invalidation (not-present entries are never cached). */
	*pte = fb | PTE_P | PTE_W;
	fault_reset();
	probe_read64((void *)va);
	expect_no_fault("TLB: setting P needs no flush");
	check_eq(probe_value, 0xbbbbbbbbbbbbbbbbul, "TLB: newly present page reads the new frame");

	/* A second address space sharing the identity map. */
	*pte = fa | PTE_P | PTE_W;
	invlpg((void *)va);
	pml4b = pt_new();
	pml4b[0] = pml4[0];
	pt_map(pml4b, va, fb, PTE_P | PTE_W);
	check_eq(read64(va), 0xaaaaaaaaaaaaaaaaul, "CR3 switch: before");
	write_cr3((u64)pml4b);
	check_eq(read64(va), 0xbbbbbbbbbbbbbbbbul, "CR3 switch: the other tables' frame");
	write_cr3((u64)pml4);
	check_eq(read64(va), 0xaaaaaaaaaaaaaaaaul, "CR3 switch back: the first frame again");
}

static void test_global(void)
{
	u64 vg = T_BASE + 0x50000, vn = T_BASE + 0x51000;
	u64 fa = frame_with(0xa1a1a1a1a1a1a1a1ul), fb = frame_with(0xb2b2b2b2b2b2b2b2ul);
	u64 *pg = pte_of(vg), *pn = pte_of(vn);
	u64 cr4 = read_cr4();
	u64 v;

	write_cr4(cr4 | CR4_PGE);
	*pg = fa | PTE_P | PTE_W | PTE_G;
	*pn = fa | PTE_P | PTE_W;
	invlpg((void *)vg);
	invlpg((void *)vn);
	check_eq(read64(vg), 0xa1a1a1a1a1a1a1a1ul, "global page: first translation");
	check_eq(read64(vn), 0xa1a1a1a1a1a1a1a1ul, "non-global page: first translation");

	*pg = fb | PTE_P | PTE_W | PTE_G;
	*pn = fb | PTE_P | PTE_W;
	flush_all();
	v = read64(vg);
	kprintf("  info: global translation %s a CR3 reload\n",
		v == 0xa1a1a1a1a1a1a1a1ul ? "survived" : "did not survive");
	check_eq(read64(vn), 0xb2b2b2b2b2b2b2b2ul,
		 "CR4.PGE=1: CR3 reload refreshes a non-global page");
	invlpg((void *)vg);
	check_eq(read64(vg), 0xb2b2b2b2b2b2b2b2ul, "global page: INVLPG flushes it");

	*pg = fa | PTE_P | PTE_W | PTE_G;
	write_cr4(cr4 & ~CR4_PGE);
	write_cr4(cr4 | CR4_PGE);
	check_eq(read64(vg), 0xa1a1a1a1a1a1a1a1ul, "global page: toggling CR4.PGE flushes it");

	write_cr4(cr4);
}

static void test_large_page(void)
{
	u64 va = T_BASE + 0x600000, alias = T_BASE + 0x60000;
	u64 pa = 0x1000000; /* 16 MiB, 2 MiB aligned, outside the identity map */
	u64 *pde = pt_entry(pml4, va, 2, 1);

	*pde = pa | PTE_P | PTE_W | PTE_PS;
	pt_map(pml4, alias, pa + 0x12000, PTE_P | PTE_W);
	flush_all();
	write64(va + 0x12345 - 5, 0x0123456789abcdeful);
	check_eq(read64(alias + 0x345 - 5), 0x0123456789abcdeful,
		 "2 MiB page: write shows through a 4 KiB alias of the same frame");
	check((*pde & (PTE_A | PTE_D)) == (PTE_A | PTE_D), "2 MiB page: A and D set in the PDE");
	write64(alias + 0x800, 0xfeed);
	check_eq(read64(va + 0x12800), 0xfeed, "2 MiB page: alias write shows through");
}

int main(void)
{
	test_start("paging");
	gdt_init();
	idt_init();
	pml4 = pt_identity(PTE_P | PTE_W);
	write_cr0(read_cr0() | CR0_WP);
	write_cr3((u64)pml4);
	kprintf("paging: running on our own tables at %p\n", pml4);

	test_accessed_dirty();
	test_not_present();
	test_write_protect();
	test_nx();
	test_tlb();
	test_global();
	test_large_page();
	return test_finish();
}
