/*
 * mmu: 4 KiB-granule tables of our own on top of the boot map (rt.h):
 * TTBR0's second GiB goes through a level-2 table of 2 MiB blocks and one
 * level-3 table for the test region at 0x44000000; the UART stays
 * Device.  Checked: translation of a remapped page, AT S1E1R/S1E1W and
 * PAR_EL1, a read-only page (AP), PXN, an access-flag fault (AF = 0, no
 * hardware update), TLBI VAE1 after a remap, nG pages under two ASIDs
 * with TLBI ASIDE1, and a TTBR1 mapping of RAM at the top of the VA space.
 */
#include "rt.h"

#define REGION 0x44000000ul
#define PAGE(k) (REGION + (u64)(k) * PAGE_SIZE)
#define D_VALID 0x1ul
#define D_TABLE 0x3ul
#define D_PAGE 0x3ul
#define D_BLOCK 0x1ul
#define D_ATTR_NORMAL (1ul << 2)
#define D_AP_RO (2ul << 6)
#define D_SH (3ul << 8)
#define D_AF (1ul << 10)
#define D_NG (1ul << 11)
#define D_PXN (1ul << 53)
#define D_UXN (1ul << 54)
#define NORMAL_PAGE (D_PAGE | D_ATTR_NORMAL | D_SH | D_AF)
#define TCR_T1SZ_25 (25ul << 16)
#define TCR_EPD1 (1ul << 23)
#define TTBR1_VA 0xffffff8000000000ul /* 39-bit TTBR1 space */

static u64 l2[512] ALIGNED(4096);
static u64 l3[512] ALIGNED(4096);
static u64 l1_high[512] ALIGNED(4096);
static volatile u64 marker = 0x5151515151515151ul;

static void tlbi_all(void)
{
	dsb(ishst);
	asm volatile("tlbi vmalle1is\n\tdsb ish\n\tisb" ::: "memory");
}

static void tlbi_page(u64 va, u64 asid)
{
	dsb(ishst);
	asm volatile("tlbi vae1is, %0\n\tdsb ish\n\tisb" ::"r"(asid << 48 | va >> 12) : "memory");
}

static void set_l3(unsigned k, u64 desc)
{
	*(volatile u64 *)&l3[k] = desc;
}

static u64 at_s1e1r(u64 va)
{
	asm volatile("at s1e1r, %0\n\tisb" ::"r"(va) : "memory");
	return sysreg_read(par_el1);
}

static u64 at_s1e1w(u64 va)
{
	asm volatile("at s1e1w, %0\n\tisb" ::"r"(va) : "memory");
	return sysreg_read(par_el1);
}

static void build(void)
{
	for (unsigned k = 0; k < 512; k++) {
		l2[k] = (RAM_BASE + ((u64)k << 21)) | D_BLOCK | D_ATTR_NORMAL | D_SH | D_AF | D_UXN;
		l3[k] = PAGE(k) | NORMAL_PAGE | D_UXN;
	}
	l2[(REGION - RAM_BASE) >> 21] = (u64)l3 | D_TABLE;
	l1_high[1] = RAM_BASE | D_BLOCK | D_ATTR_NORMAL | D_SH | D_AF | D_UXN | D_PXN;
	dsb(ishst);
	boot_l1[1] = (u64)l2 | D_TABLE;
	sysreg_write(ttbr1_el1, (u64)l1_high);
	sysreg_write(tcr_el1, (sysreg_read(tcr_el1) & ~(TCR_EPD1 | (0x3ful << 16))) | TCR_T1SZ_25);
	isb();
	tlbi_all();
}

static int iabt_handler(struct frame *f, unsigned kind)
{
	if (kind != EXC_CUR_SPX_SYNC || ESR_EC(f->esr) != EC_IABT_CUR)
		return 0;
	last_fault.taken = 1;
	last_fault.esr = f->esr;
	last_fault.far = f->far;
	last_fault.elr = f->elr;
	f->elr = f->x[30];
	return 1;
}

int main(void)
{
	test_start("mmu");
	build();
	check_eq(marker, 0x5151515151515151ul, "code and data still run and read through the new tables");

	/* A remapped page. */
	volatile u64 *f2 = (volatile u64 *)PAGE(2), *f3 = (volatile u64 *)PAGE(3);
	volatile u64 *t = (volatile u64 *)PAGE(16);
	*f2 = 0x2222, *f3 = 0x3333;
	set_l3(16, PAGE(2) | NORMAL_PAGE);
	tlbi_page(PAGE(16), 0);
	check_eq(*t, 0x2222, "a page remapped to another frame reads that frame");
	*t = 0x2223;
	check_eq(*f2, 0x2223, "a store through it lands in that frame");
	u64 par = at_s1e1r(PAGE(16) + 0x18);
	check_eq(par & 0xfffffffff001ul, PAGE(2), "AT S1E1R: PAR_EL1.PA is the frame, F = 0");
	check_eq(par >> 56, 0xff, "AT S1E1R: PAR_EL1.ATTR is MAIR attribute 1 (0xff)");

	/* TLBI after changing the mapping. */
	set_l3(16, PAGE(3) | NORMAL_PAGE);
	tlbi_page(PAGE(16), 0);
	check_eq(*t, 0x3333, "after TLBI VAE1 the new mapping is used");

	/* An invalid entry. */
	set_l3(17, 0);
	tlbi_page(PAGE(17), 0);
	par = at_s1e1r(PAGE(17));
	check_eq(par & 0x7f, 1 | FSC_TRANSLATION(3) << 1, "AT S1E1R of an invalid page: F, FST translation level 3");
	probe_arm();
	(void)*(volatile u64 *)PAGE(17);
	check_eq(last_fault.esr, (u64)EC_DABT_CUR << 26 | ESR_IL | FSC_TRANSLATION(3),
		 "load from an invalid page: translation fault level 3");
	check_eq(last_fault.far, PAGE(17), "FAR");

	/* Read-only page. */
	set_l3(18, PAGE(18) | NORMAL_PAGE | D_AP_RO);
	tlbi_page(PAGE(18), 0);
	*(volatile u64 *)PAGE(19) = 0; /* untouched neighbour */
	check_eq(*(volatile u64 *)PAGE(18), *(volatile u64 *)PAGE(18), "a read-only page reads");
	probe_arm();
	*(volatile u64 *)(PAGE(18) + 8) = 1;
	check_eq(last_fault.esr, (u64)EC_DABT_CUR << 26 | ESR_IL | ESR_WNR | FSC_PERMISSION(3),
		 "store to an EL1 read-only page: permission fault level 3, WnR");
	check_eq(last_fault.far, PAGE(18) + 8, "permission fault: FAR");
	check_eq(at_s1e1w(PAGE(18)) & 0x7f, 1 | FSC_PERMISSION(3) << 1,
		 "AT S1E1W of a read-only page: F, FST permission level 3");
	check_eq(at_s1e1r(PAGE(18)) & 1, 0, "AT S1E1R of a read-only page: no fault");

	/* PXN: a page holding `ret`. */
	*(volatile u32 *)PAGE(20) = 0xd65f03c0u;
	sync_handler = iabt_handler;
	set_l3(20, PAGE(20) | NORMAL_PAGE);
	tlbi_page(PAGE(20), 0);
	asm volatile("dc cvau, %0\n\tdsb ish\n\tic iallu\n\tdsb ish\n\tisb" ::"r"(PAGE(20)) : "memory");
	last_fault.taken = 0;
	((void (*)(void))PAGE(20))();
	check(!last_fault.taken, "EL1 runs code from a page without PXN");
	set_l3(20, PAGE(20) | NORMAL_PAGE | D_PXN);
	tlbi_page(PAGE(20), 0);
	((void (*)(void))PAGE(20))();
	sync_handler = NULL;
	check(last_fault.taken, "EL1 fetch from a PXN page faults");
	check_eq(last_fault.esr, (u64)EC_IABT_CUR << 26 | ESR_IL | FSC_PERMISSION(3),
		 "PXN: same-EL instruction abort, permission level 3");
	check_eq(last_fault.far, PAGE(20), "PXN: FAR is the target");

	/* Access flag. */
	u64 noaf = PAGE(21) | D_PAGE | D_ATTR_NORMAL | D_SH;
	set_l3(21, noaf);
	tlbi_page(PAGE(21), 0);
	probe_arm();
	(void)*(volatile u64 *)PAGE(21);
	check_eq(last_fault.esr, (u64)EC_DABT_CUR << 26 | ESR_IL | FSC_ACCESS_FLAG(3),
		 "load from a page with AF = 0: access flag fault level 3");
	check_eq(l3[21], noaf, "the descriptor's AF stays 0 (no hardware update)");
	set_l3(21, noaf | D_AF);
	tlbi_page(PAGE(21), 0);
	*(volatile u64 *)PAGE(21) = 0x2121;
	check_eq(*(volatile u64 *)PAGE(21), 0x2121, "with AF set by software the page works");

	/* nG pages under two ASIDs. */
	u64 ttbr = sysreg_read(ttbr0_el1) & 0xfffffffffffful;
	set_l3(22, PAGE(2) | NORMAL_PAGE | D_NG);
	sysreg_write(ttbr0_el1, 1ul << 48 | ttbr);
	isb();
	tlbi_all();
	check_eq(*(volatile u64 *)PAGE(22), *f2, "ASID 1: the nG page maps frame 2");
	set_l3(22, PAGE(3) | NORMAL_PAGE | D_NG);
	dsb(ishst);
	asm volatile("tlbi aside1is, %0\n\tdsb ish\n\tisb" ::"r"(2ul << 48) : "memory");
	sysreg_write(ttbr0_el1, 2ul << 48 | ttbr);
	isb();
	check_eq(*(volatile u64 *)PAGE(22), 0x3333, "ASID 2 (invalidated by ASID): frame 3");
	check_eq(sysreg_read(ttbr0_el1) >> 48, 2, "TTBR0_EL1.ASID reads back");
	sysreg_write(ttbr0_el1, 1ul << 48 | ttbr);
	isb();
	tlbi_page(PAGE(22), 1);
	check_eq(*(volatile u64 *)PAGE(22), 0x3333, "ASID 1 after TLBI VAE1 with ASID 1: frame 3");
	sysreg_write(ttbr0_el1, ttbr);
	isb();
	tlbi_all();

	/* TTBR1. */
	volatile u64 *high = (volatile u64 *)(TTBR1_VA + (u64)&marker);
	check_eq(*high, marker, "TTBR1: RAM read at the top of the VA space");
	*high = 0x6161;
	check_eq(marker, 0x6161, "TTBR1: a store there lands in RAM");
	par = at_s1e1r((u64)high);
	check_eq(par & 0xfffffffff001ul, (u64)&marker & ~0xffful, "AT S1E1R of a TTBR1 address");
	return 0;
}
