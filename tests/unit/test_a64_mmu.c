/*
 * The AArch64 stage-1 MMU and its TLB (src/arch/arm64/a64_mmu.c,
 * a64_mem.c), on page tables built by hand in a flat RAM buffer:
 * L1 and L2 blocks and L3 pages, TTBR1 addresses, T0SZ from 16 to 39,
 * translation, access-flag, address-size and permission faults with their
 * DFSC, WnR, EC and FAR, AP/UXN/PXN/WXN at EL0 and EL1 and the table-level
 * limits, LDTR-style accesses, alignment (SCTLR.A, Device memory, the MMU
 * off, exclusives), TBI, the ASID-tagged TLB across TTBR switches and
 * every TLBI form (also blocks), global versus nG entries, AT and PAR_EL1,
 * DC ZVA, MMIO through a mapping, the engine's hooks on writes
 * (ram_written, write_fast_ok, a64_tlb_protect_page) and a64_translate.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "arch/arm64/a64_cpu.h"
#include "arch/arm64/a64_exception.h"
#include "arch/arm64/a64_mem.h"
#include "arch/arm64/a64_mmu.h"
#include "arch/arm64/a64_sysreg.h"
#include "a64_tables.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (16u << 20)
#define TABLES (RAM_BASE + (8u << 20)) /* page tables come from here up */
#define MMIO_BASE 0x09000000ull
#define VBAR 0xffff000000010000ull

/* TCR fields. */
#define TCR_T0SZ(n) ((u64)(n))
#define TCR_EPD0 (1ull << 7)
#define TCR_T1SZ(n) ((u64)(n) << 16)
#define TCR_A1 (1ull << 22)
#define TCR_EPD1 (1ull << 23)
#define TCR_TG1_4K (2ull << 30)
#define TCR_IPS_40 (2ull << 32)
#define TCR_AS (1ull << 36)
#define TCR_TBI0 (1ull << 37)

static u8 *ram;
static struct a64_cpu *c;
static u64 next_table;

static unsigned mmio_count;
static u64 mmio_pa;
static unsigned mmio_len;
static bool mmio_write;
static u8 mmio_data[8];

static unsigned ram_written_count;
static bool fast_ok = true;
static unsigned broadcasts;

static u8 *ram_ptr(void *opaque, u64 pa)
{
	(void)opaque;
	return pa >= RAM_BASE && pa - RAM_BASE < RAM_SIZE ? ram + (pa - RAM_BASE) : NULL;
}

static void mmio(void *opaque, u64 pa, u8 *data, unsigned len, bool is_write)
{
	(void)opaque;
	mmio_count++;
	mmio_pa = pa;
	mmio_len = len;
	mmio_write = is_write;
	if (is_write)
		memcpy(mmio_data, data, len);
	else
		for (unsigned k = 0; k < len; k++)
			data[k] = (u8)(0xa0 + k);
}

static void on_ram_written(void *opaque, u64 pa, unsigned len)
{
	(void)opaque;
	(void)pa;
	(void)len;
	ram_written_count++;
}

static bool on_write_fast_ok(void *opaque, u64 pa)
{
	(void)opaque;
	(void)pa;
	return fast_ok;
}

static void on_tlbi_broadcast(void *opaque, struct a64_cpu *cpu, u32 op, u64 arg)
{
	(void)opaque;
	(void)cpu;
	(void)op;
	(void)arg;
	broadcasts++;
}

static u64 rd64(u64 pa)
{
	u64 v;
	memcpy(&v, ram + (pa - RAM_BASE), 8);
	return v;
}

static void wr64(u64 pa, u64 v)
{
	memcpy(ram + (pa - RAM_BASE), &v, 8);
}

static void wr32(u64 pa, u32 v)
{
	memcpy(ram + (pa - RAM_BASE), &v, 4);
}

static u64 alloc_table(void)
{
	u64 t = next_table;
	next_table += 4096;
	memset(ram + (t - RAM_BASE), 0, 4096);
	return t;
}

static void set_reg(u32 key, u64 v)
{
	CHECK(a64_sysreg_write(c, key, v), "write of %#x", key);
}

/* A fresh CPU at EL1h with the MMU off and an empty RAM. */
static void setup(void)
{
	if (!c) {
		c = calloc(1, sizeof(*c));
		ram = calloc(1, RAM_SIZE);
	}
	memset(c, 0, sizeof(*c));
	memset(ram, 0, RAM_SIZE);
	c->bus = (struct a64_bus){ .ram_ptr = ram_ptr, .mmio = mmio };
	c->cb.ram_written = on_ram_written;
	c->cb.write_fast_ok = on_write_fast_ok;
	c->cb.tlbi_broadcast = on_tlbi_broadcast;
	a64_sysreg_reset(c);
	c->daif = 0;
	c->sys.vbar_el1 = VBAR;
	c->pc = 0x1000;
	next_table = TABLES;
	mmio_count = ram_written_count = broadcasts = 0;
	fast_ok = true;
}

/*
 * The tables of one translation: a root and the geometry the walk will
 * use (start level and input size, from TxSZ).
 */
struct space {
	u64 root;
	int start;
	unsigned isz;
};

static struct space new_space(unsigned txsz)
{
	unsigned isz = 64 - txsz;
	return (struct space){ alloc_table(), 4 - (int)(isz - 12 + 8) / 9, isz };
}

/* The address of the descriptor for va at `level`, creating the tables
 * above it (with `tbits` ORed into the table descriptor of each level
 * in tlevel_mask). */
static u64 slot(const struct space *s, u64 va, int level)
{
	u64 table = s->root;
	for (int l = s->start;; l++) {
		unsigned shift = 39 - 9 * l, nbits = l == s->start ? s->isz - shift : 9;
		u64 at = table + 8 * ((va >> shift) & ((1ull << nbits) - 1));
		if (l == level)
			return at;
		u64 d = rd64(at);
		if (!(d & D_VALID)) {
			d = alloc_table() | D_TABLE;
			wr64(at, d);
		}
		table = d & 0x0000fffffffff000ull;
	}
}

static void map(const struct space *s, u64 va, int level, u64 desc)
{
	wr64(slot(s, va, level), desc);
}

static void map_page(const struct space *s, u64 va, u64 pa, u64 bits)
{
	map(s, va, 3, pa | D_PAGE | D_AF | bits);
}

/* OR `bits` into the table descriptor at `level` on va's walk. */
static void table_bits(const struct space *s, u64 va, int level, u64 bits)
{
	u64 at = slot(s, va, level);
	wr64(at, rd64(at) | bits);
}

/* MMU on with T0SZ/T1SZ, 16-bit ASIDs from TTBR0, 40-bit IPS. */
static void mmu_on(const struct space *s0, const struct space *s1, u64 tcr_extra, u16 asid)
{
	u64 tcr = TCR_TG1_4K | TCR_IPS_40 | TCR_AS | tcr_extra;
	tcr |= s0 ? TCR_T0SZ(64 - s0->isz) : TCR_EPD0 | TCR_T0SZ(25);
	tcr |= s1 ? TCR_T1SZ(64 - s1->isz) : TCR_EPD1 | TCR_T1SZ(25);
	set_reg(MAIR_KEY, MAIR_VALUE);
	set_reg(TCR_KEY, tcr);
	set_reg(TTBR0_KEY, (s0 ? s0->root : 0) | (u64)asid << 48);
	set_reg(TTBR1_KEY, s1 ? s1->root : 0);
	set_reg(SCTLR_KEY, c->sys.sctlr_el1 | A64_SCTLR_M);
}

static void at_el(unsigned el)
{
	c->el = (u8)el;
	c->spsel = (u8)el;
	c->pc = 0x1000;
	c->daif = 0;
	c->sys.esr_el1 = c->sys.far_el1 = 0;
}

static int ld(u64 va, unsigned size, u64 *v, unsigned acc)
{
	return a64_load_u64(c, va, size, v, acc);
}

static int st(u64 va, unsigned size, u64 v, unsigned acc)
{
	return a64_store_u64(c, va, size, v, acc);
}

static u64 ld64(u64 va)
{
	u64 v = 0;
	CHECK(ld(va, 8, &v, 0) == A64_OK, "load at %#llx", (unsigned long long)va);
	return v;
}

static unsigned esr_ec(void)
{
	return (unsigned)(c->sys.esr_el1 >> 26) & 0x3f;
}

static unsigned esr_iss(void)
{
	return (unsigned)c->sys.esr_el1 & 0x1ffffff;
}

/* The last access took a data abort from `el` with `dfsc` (and WnR). */
static void check_dabt(const char *what, unsigned from_el, u64 far, unsigned dfsc, bool wnr)
{
	unsigned ec = from_el ? 0x25 : 0x24;
	CHECK(esr_ec() == ec, "%s: EC %#x, expected %#x", what, esr_ec(), ec);
	CHECK((esr_iss() & 0x3f) == dfsc, "%s: DFSC %#x, expected %#x", what, esr_iss() & 0x3f,
	      dfsc);
	CHECK(!!(esr_iss() & (1u << 6)) == wnr, "%s: WnR %d", what, !!(esr_iss() & (1u << 6)));
	CHECK(c->sys.far_el1 == far, "%s: FAR %#llx, expected %#llx", what,
	      (unsigned long long)c->sys.far_el1, (unsigned long long)far);
	CHECK(c->pc == VBAR + (from_el ? 0x200 : 0x400), "%s: pc %#llx", what,
	      (unsigned long long)c->pc);
	CHECK(c->sys.elr_el1 == 0x1000, "%s: ELR", what);
}

static void check_iabt(const char *what, unsigned from_el, u64 far, unsigned ifsc)
{
	unsigned ec = from_el ? 0x21 : 0x20;
	CHECK(esr_ec() == ec, "%s: EC %#x, expected %#x", what, esr_ec(), ec);
	CHECK(esr_iss() == ifsc, "%s: ISS %#x, expected %#x", what, esr_iss(), ifsc);
	CHECK(c->sys.far_el1 == far, "%s: FAR %#llx", what, (unsigned long long)c->sys.far_el1);
}

/* Run one instruction placed at physical/virtual 0x1000 (MMU off) or at
 * `va` mapped to RAM_BASE (the caller maps it). */
static int step_at(u64 pc, u64 code_pa, u32 word)
{
	wr32(code_pa, word);
	c->pc = pc;
	return a64_step(c);
}

static u32 sys_word(u32 key, unsigned rt)
{
	return 0xd5000000u | key << 5 | rt;
}

/* ---- tests ---- */

static void test_mmu_off(void)
{
	check_group("mmu off");
	setup();
	wr64(RAM_BASE + 0x100, 0x1122334455667788ull);
	CHECK(ld64(RAM_BASE + 0x100) == 0x1122334455667788ull, "identity");
	u64 v;
	at_el(1);
	CHECK(ld(RAM_BASE + 0x101, 4, &v, 0) == A64_EXC, "unaligned data is Device: faults");
	check_dabt("unaligned, MMU off", 1, RAM_BASE + 0x101, A64_FSC_ALIGNMENT, false);
	at_el(1);
	CHECK(st(RAM_BASE + 0x103, 2, 1, 0) == A64_EXC, "unaligned store faults");
	check_dabt("unaligned store, MMU off", 1, RAM_BASE + 0x103, A64_FSC_ALIGNMENT, true);
	at_el(1);
	CHECK(ld(1ull << 40, 8, &v, 0) == A64_EXC, "beyond 40 bits");
	check_dabt("address size, MMU off", 1, 1ull << 40, A64_FSC_ADDR_SIZE(0), false);
	at_el(1);
	CHECK(ld(MMIO_BASE + 8, 4, &v, 0) == A64_OK && mmio_pa == MMIO_BASE + 8 && mmio_len == 4 &&
	      v == 0xa3a2a1a0, "MMIO read: pa %#llx len %u v %#llx", (unsigned long long)mmio_pa,
	      mmio_len, (unsigned long long)v);
	/* Instruction fetches are Normal; stores through the slow path are
	 * reported to the engine. */
	wr32(RAM_BASE + 0x2000, 0xd503201f);
	u32 w;
	CHECK(a64_load(c, RAM_BASE + 0x2000, 4, &w, A64_ACC_FETCH) == A64_OK && w == 0xd503201f,
	      "fetch");
	unsigned before = ram_written_count;
	CHECK(st(RAM_BASE + 0x3000, 8, 5, 0) == A64_OK && ram_written_count == before + 1,
	      "store reported");
	CHECK(st(RAM_BASE + 0x3008, 8, 6, 0) == A64_OK && ram_written_count == before + 2,
	      "Device stores stay on the slow path");
	const struct a64_tlb_entry *e = a64_tlb_entry_for(c, RAM_BASE + 0x2000);
	CHECK(e->tag[A64_TLB_EXEC][1] == (RAM_BASE + 0x2fff) && e->tag[A64_TLB_READ][1] == 0,
	      "fast fetch tag, no fast data tag");
	check_group_end();
}

/* A 4-level space (T0SZ 16), a 3-level one (25), a 2-level one (34) and a
 * 25-bit one (39, 16 entries at level 2). */
static void test_geometry(void)
{
	check_group("T0SZ and levels");
	static const unsigned txszs[] = { 16, 20, 25, 30, 34, 39 };
	for (size_t k = 0; k < ARRAY_SIZE(txszs); k++) {
		setup();
		struct space s = new_space(txszs[k]);
		u64 top = 1ull << (64 - txszs[k]);
		u64 va_lo = 0x1000, va_hi = top - 0x1000;
		map_page(&s, va_lo, RAM_BASE + 0x5000, NORMAL);
		map_page(&s, va_hi, RAM_BASE + 0x6000, NORMAL);
		wr64(RAM_BASE + 0x5008, 0x5555);
		wr64(RAM_BASE + 0x6010, 0x6666);
		mmu_on(&s, NULL, 0, 0);
		at_el(1);
		CHECK(ld64(va_lo + 8) == 0x5555, "T0SZ %u: low page", txszs[k]);
		CHECK(ld64(va_hi + 0x10) == 0x6666, "T0SZ %u: highest page", txszs[k]);
		u64 v;
		at_el(1);
		CHECK(ld(top, 8, &v, 0) == A64_EXC, "T0SZ %u: beyond the range", txszs[k]);
		check_dabt("out of range", 1, top, A64_FSC_TRANSLATION(0), false);
		u64 mid = top / 2 + 0x123000;
		at_el(1);
		CHECK(ld(mid, 8, &v, 0) == A64_EXC, "T0SZ %u: unmapped", txszs[k]);
		CHECK((esr_iss() & 0x3c) == 0x04, "T0SZ %u: translation fault (DFSC %#x)", txszs[k],
		      esr_iss() & 0x3f);
	}
	check_group_end();
}

static void test_blocks_and_ttbr1(void)
{
	check_group("blocks, pages, TTBR1");
	setup();
	struct space s0 = new_space(25), s1 = new_space(16);
	/* L1 block: VA 1 GiB -> PA RAM_BASE (1 GiB aligned). */
	map(&s0, 0x40000000, 1, RAM_BASE | D_BLOCK | D_AF | NORMAL);
	/* L2 block: VA 0x00600000 -> PA RAM_BASE + 2 MiB. */
	map(&s0, 0x00600000, 2, (RAM_BASE + 0x200000) | D_BLOCK | D_AF | NORMAL);
	/* TTBR1: a page at the bottom of the 48-bit kernel half and one at the top. */
	map_page(&s1, 0xffff000000000000ull, RAM_BASE + 0x7000, NORMAL);
	map_page(&s1, 0xfffffffffffff000ull, RAM_BASE + 0x8000, NORMAL);
	wr64(RAM_BASE + 0x123458, 0xb1);
	wr64(RAM_BASE + 0x200000 + 0x1ff000, 0xb2);
	wr64(RAM_BASE + 0x7ff8, 0xb3);
	wr64(RAM_BASE + 0x8ff8, 0xb4);
	mmu_on(&s0, &s1, 0, 0);
	at_el(1);
	CHECK(ld64(0x40123458) == 0xb1, "L1 block");
	CHECK(ld64(0x007ff000) == 0xb2, "L2 block");
	CHECK(ld64(0xffff000000000ff8ull) == 0xb3, "TTBR1 low");
	CHECK(ld64(0xfffffffffffffff8ull) == 0xb4, "TTBR1 high");
	u64 pa = 0;
	CHECK(a64_translate(c, 0x40123458, 0, &pa) == 0 && pa == RAM_BASE + 0x123458,
	      "a64_translate in a block: %#llx", (unsigned long long)pa);
	/* A VA whose bits 63:48 are neither all 0 nor all 1. */
	u64 v;
	at_el(1);
	CHECK(ld(0xff00000000001000ull, 8, &v, 0) == A64_EXC, "non-canonical");
	check_dabt("non-canonical", 1, 0xff00000000001000ull, A64_FSC_TRANSLATION(0), false);
	/* EPD1 disables TTBR1 walks (but not TLB hits: flush first). */
	set_reg(TCR_KEY, c->sys.tcr_el1 | TCR_EPD1);
	at_el(1);
	CHECK(ld(0xffff000000000008ull, 8, &v, 0) == A64_EXC, "EPD1");
	check_dabt("EPD1", 1, 0xffff000000000008ull, A64_FSC_TRANSLATION(0), false);
	check_group_end();
}

static void test_fault_levels(void)
{
	check_group("fault levels");
	setup();
	struct space s = new_space(16);
	u64 va0 = 0x0000800000000000ull; /* nothing at level 0 */
	u64 va1 = 0x0000008000000000ull; /* level 0 table, nothing at level 1 */
	u64 va2 = 0x0000000040000000ull;
	u64 va3 = 0x0000000000200000ull;
	map_page(&s, 0x1000, RAM_BASE, NORMAL); /* creates L0[0], L1[0], L2[0] */
	map_page(&s, va1 + 0x200000, RAM_BASE, NORMAL); /* L0[1] and below */
	wr64(slot(&s, va1, 1), 0);                       /* ... but L1[0] of it invalid */
	map_page(&s, va2 + 0x200000, RAM_BASE, NORMAL);  /* L1[1], L2[1] */
	wr64(slot(&s, va2, 2), 0);                       /* L2[0] of it invalid */
	map_page(&s, va3 + 0x1000, RAM_BASE, NORMAL);
	mmu_on(&s, NULL, 0, 0);
	const u64 vas[4] = { va0, va1, va2, va3 };
	for (int l = 0; l < 4; l++) {
		u64 v;
		at_el(1);
		CHECK(ld(vas[l] + 0x18, 8, &v, 0) == A64_EXC, "level %d", l);
		check_dabt("translation fault", 1, vas[l] + 0x18, A64_FSC_TRANSLATION(l), false);
		at_el(0);
		CHECK(st(vas[l] + 0x20, 4, 0, 0) == A64_EXC, "level %d store at EL0", l);
		check_dabt("translation fault EL0 store", 0, vas[l] + 0x20, A64_FSC_TRANSLATION(l),
			   true);
	}
	/* A block at level 0 and 0b01 at level 3 are reserved. */
	wr64(slot(&s, va0, 0), D_BLOCK | D_AF);
	at_el(1);
	u64 v;
	CHECK(ld(va0, 8, &v, 0) == A64_EXC, "level 0 block");
	check_dabt("level 0 block", 1, va0, A64_FSC_TRANSLATION(0), false);
	wr64(slot(&s, va3, 3), RAM_BASE | D_BLOCK | D_AF);
	at_el(1);
	CHECK(ld(va3, 8, &v, 0) == A64_EXC, "level 3 block");
	check_dabt("level 3 0b01", 1, va3, A64_FSC_TRANSLATION(3), false);
	/* Access flag at each level that can have a leaf. */
	map(&s, 0x80000000ull, 1, RAM_BASE | D_BLOCK | NORMAL);
	map(&s, 0x00400000ull, 2, RAM_BASE | D_BLOCK | NORMAL);
	map(&s, 0x00205000ull, 3, RAM_BASE | D_PAGE | NORMAL);
	const u64 af[3] = { 0x80000000ull, 0x00400000ull, 0x00205000ull };
	for (int l = 1; l <= 3; l++) {
		at_el(1);
		CHECK(st(af[l - 1] + 8, 8, 1, 0) == A64_EXC, "AF level %d", l);
		check_dabt("access flag", 1, af[l - 1] + 8, A64_FSC_ACCESS_FLAG(l), true);
	}
	/* The access flag fault comes before the permission fault. */
	map(&s, 0x00206000ull, 3, RAM_BASE | D_PAGE | NORMAL | D_AP_RO);
	at_el(0);
	CHECK(st(0x00206000ull, 8, 1, 0) == A64_EXC, "AF before permission");
	check_dabt("AF before permission", 0, 0x00206000ull, A64_FSC_ACCESS_FLAG(3), true);
	/* Address size: an output address beyond 40 bits, at the leaf and in
	 * a table; and a TTBR beyond. */
	map(&s, 0x00207000ull, 3, (1ull << 40) | D_PAGE | D_AF | NORMAL);
	at_el(1);
	CHECK(ld(0x00207000ull, 8, &v, 0) == A64_EXC, "leaf beyond 40 bits");
	check_dabt("address size leaf", 1, 0x00207000ull, A64_FSC_ADDR_SIZE(3), false);
	wr64(slot(&s, 0x0000010000000000ull, 0), (1ull << 41) | D_TABLE);
	at_el(1);
	CHECK(ld(0x0000010000000000ull, 8, &v, 0) == A64_EXC, "table beyond 40 bits");
	check_dabt("address size table", 1, 0x0000010000000000ull, A64_FSC_ADDR_SIZE(0), false);
	/* No RAM under a table: external abort on the walk. */
	wr64(slot(&s, 0x0000018000000000ull, 0), MMIO_BASE | D_TABLE);
	at_el(1);
	CHECK(ld(0x0000018000000000ull, 8, &v, 0) == A64_EXC, "table in a device");
	check_dabt("walk external abort", 1, 0x0000018000000000ull, A64_FSC_EXT_WALK(1), false);
	set_reg(TTBR0_KEY, s.root | 1ull << 45);
	a64_tlb_flush_all(c);
	at_el(1);
	CHECK(ld(0x1000, 8, &v, 0) == A64_EXC, "TTBR beyond 40 bits");
	check_dabt("address size TTBR", 1, 0x1000, A64_FSC_ADDR_SIZE(0), false);
	check_group_end();
}

/* The rights a page with AP[2:1] = ap, UXN, PXN gives (WXN off). */
static bool allowed(unsigned ap, bool uxn, bool pxn, unsigned el, char kind)
{
	bool el0_access = ap & 1, ro = ap & 2;
	bool user_w = el0_access && !ro;
	switch (kind) {
	case 'r': return el ? true : el0_access;
	case 'w': return el ? !ro : user_w;
	default: return el ? !pxn && !user_w : !uxn;
	}
}

static void test_permissions(void)
{
	check_group("permissions");
	setup();
	struct space s = new_space(25);
	u64 va = 0x100000;
	for (unsigned ap = 0; ap < 4; ap++)
		for (unsigned xn = 0; xn < 4; xn++) {
			u64 bits = NORMAL | (u64)ap << 6 | ((xn & 1) ? D_UXN : 0) | ((xn & 2) ? D_PXN : 0);
			map_page(&s, va + (ap * 4 + xn) * 0x1000ull, RAM_BASE + 0x10000, bits);
		}
	mmu_on(&s, NULL, 0, 0);
	for (unsigned ap = 0; ap < 4; ap++)
		for (unsigned xn = 0; xn < 4; xn++)
			for (unsigned el = 0; el < 2; el++)
				for (const char *k = "rwx"; *k; k++) {
					u64 a = va + (ap * 4 + xn) * 0x1000ull + 0x40, v = 0;
					bool ok = allowed(ap, xn & 1, xn & 2, el, *k);
					at_el(el);
					int r = *k == 'r' ? ld(a, 8, &v, 0)
						: *k == 'w' ? st(a, 8, 7, 0)
						: ld(a, 4, &v, A64_ACC_FETCH);
					CHECK((r == A64_OK) == ok, "AP %u UXN %u PXN %u EL%u %c: %s", ap,
					      xn & 1, xn >> 1, el, *k, r == A64_OK ? "allowed" : "fault");
					if (ok || r == A64_OK)
						continue;
					if (*k == 'x')
						check_iabt("exec", el, a, A64_FSC_PERMISSION(3));
					else
						check_dabt("data", el, a, A64_FSC_PERMISSION(3), *k == 'w');
				}
	/* LDTR/STTR at EL1 are checked with EL0's rights, and fault as EL1. */
	at_el(1);
	u64 v;
	CHECK(ld(va + 0x40, 8, &v, A64_ACC_UNPRIV) == A64_EXC, "LDTR on an EL1-only page");
	check_dabt("LDTR", 1, va + 0x40, A64_FSC_PERMISSION(3), false);
	at_el(1);
	CHECK(st(va + 4 * 0x1000 + 8, 8, 1, A64_ACC_UNPRIV) == A64_OK, "STTR on an EL0 RW page");
	at_el(1);
	CHECK(st(va + 12 * 0x1000 + 8, 8, 1, A64_ACC_UNPRIV) == A64_EXC, "STTR on EL0 RO");
	/* Atomics need write permission and report WnR. */
	at_el(1);
	CHECK(ld(va + 8 * 0x1000, 8, &v, A64_ACC_ATOMIC) == A64_EXC, "atomic on read-only");
	check_dabt("atomic", 1, va + 8 * 0x1000, A64_FSC_PERMISSION(3), true);
	/* WXN: writable means execute-never, at both ELs. */
	set_reg(SCTLR_KEY, c->sys.sctlr_el1 | A64_SCTLR_WXN);
	at_el(1);
	CHECK(ld(va, 4, &v, A64_ACC_FETCH) == A64_EXC, "WXN: EL1 RW page not executable");
	at_el(1);
	CHECK(ld(va + 8 * 0x1000, 4, &v, A64_ACC_FETCH) == A64_OK, "WXN: EL1 RO page executable");
	at_el(0);
	CHECK(ld(va + 4 * 0x1000, 4, &v, A64_ACC_FETCH) == A64_EXC, "WXN: EL0 RW page");
	at_el(0);
	CHECK(ld(va + 12 * 0x1000, 4, &v, A64_ACC_FETCH) == A64_OK, "WXN: EL0 RO page");
	check_group_end();
}

static void test_table_limits(void)
{
	check_group("APTable, UXNTable, PXNTable");
	setup();
	struct space s = new_space(25);
	/* Four 2 MiB regions, each with its own level 3 table under L2. */
	u64 base = 0x40000000;
	for (unsigned k = 0; k < 4; k++)
		map_page(&s, base + k * 0x200000ull, RAM_BASE + 0x20000, NORMAL | D_AP_EL0);
	table_bits(&s, base + 0 * 0x200000ull, 2, T_AP_NOEL0);
	table_bits(&s, base + 1 * 0x200000ull, 2, T_AP_RO);
	table_bits(&s, base + 2 * 0x200000ull, 2, T_UXN);
	table_bits(&s, base + 3 * 0x200000ull, 1, T_PXN); /* a level up: covers all four */
	mmu_on(&s, NULL, 0, 0);
	u64 v;
	at_el(0);
	CHECK(ld(base, 8, &v, 0) == A64_EXC, "APTable[0]: no EL0 access");
	check_dabt("APTable[0]", 0, base, A64_FSC_PERMISSION(3), false);
	at_el(1);
	CHECK(ld(base, 8, &v, 0) == A64_OK, "APTable[0]: EL1 reads");
	at_el(0);
	CHECK(ld(base + 0x200000, 8, &v, 0) == A64_OK, "APTable[1]: EL0 reads");
	at_el(0);
	CHECK(st(base + 0x200000, 8, 0, 0) == A64_EXC, "APTable[1]: EL0 cannot write");
	at_el(1);
	CHECK(st(base + 0x200000, 8, 0, 0) == A64_EXC, "APTable[1]: EL1 cannot write");
	at_el(0);
	CHECK(ld(base + 0x400000, 4, &v, A64_ACC_FETCH) == A64_EXC, "UXNTable");
	check_iabt("UXNTable", 0, base + 0x400000, A64_FSC_PERMISSION(3));
	at_el(0);
	CHECK(ld(base + 0x600000, 4, &v, A64_ACC_FETCH) == A64_OK, "PXNTable: EL0 executes");
	/* EL1 cannot execute there anyway (EL0-writable), so use a read-only
	 * page under the PXNTable for EL1. */
	map_page(&s, base + 0x601000, RAM_BASE + 0x20000, NORMAL | D_AP_RO);
	at_el(1);
	CHECK(ld(base + 0x601000, 4, &v, A64_ACC_FETCH) == A64_EXC, "PXNTable: EL1 cannot");
	check_iabt("PXNTable", 1, base + 0x601000, A64_FSC_PERMISSION(3));
	check_group_end();
}

static void test_alignment(void)
{
	check_group("alignment");
	setup();
	struct space s = new_space(25);
	map_page(&s, 0x10000, RAM_BASE + 0x30000, NORMAL);
	map_page(&s, 0x11000, RAM_BASE + 0x50000, NORMAL); /* not contiguous in PA */
	map_page(&s, 0x12000, RAM_BASE + 0x31000, DEVICE);
	map_page(&s, 0x13000, MMIO_BASE, DEVICE);
	mmu_on(&s, NULL, 0, 0);
	wr64(RAM_BASE + 0x30ff8, 0x8877665544332211ull);
	wr64(RAM_BASE + 0x50000, 0xffeeddccbbaa9988ull);
	u64 v = 0;
	at_el(1);
	CHECK(ld(0x10ffc, 8, &v, 0) == A64_OK && v == 0xbbaa998888776655ull,
	      "unaligned across pages: %#llx", (unsigned long long)v);
	at_el(1);
	CHECK(st(0x10fff, 2, 0x1234, 0) == A64_OK && ram[0x30fff] == 0x34 && ram[0x50000] == 0x12,
	      "store across pages");
	/* The second page faults: nothing is written to the first. */
	ram[0x30fff] = 0;
	map(&s, 0x11000, 3, 0);
	a64_tlb_flush_all(c);
	at_el(1);
	CHECK(st(0x10fff, 2, 0x1234, 0) == A64_EXC && ram[0x30fff] == 0, "fault on the second page");
	check_dabt("second page", 1, 0x11000, A64_FSC_TRANSLATION(3), true);
	at_el(1);
	CHECK(ld(0x10004, 8, &v, A64_ACC_ALIGNED) == A64_EXC, "exclusive unaligned");
	check_dabt("exclusive", 1, 0x10004, A64_FSC_ALIGNMENT, false);
	at_el(1);
	CHECK(ld(0x10008, 8, &v, A64_ACC_ALIGNED) == A64_OK, "exclusive aligned");
	at_el(1);
	CHECK(ld(0x12004, 8, &v, 0) == A64_EXC, "Device memory unaligned");
	check_dabt("device", 1, 0x12004, A64_FSC_ALIGNMENT, false);
	at_el(1);
	CHECK(ld(0x12008, 8, &v, 0) == A64_OK, "Device memory aligned");
	at_el(1);
	CHECK(st(0x13010, 4, 0xcafef00d, 0) == A64_OK && mmio_pa == MMIO_BASE + 0x10 &&
	      mmio_write && mmio_len == 4, "MMIO through a mapping");
	set_reg(SCTLR_KEY, c->sys.sctlr_el1 | A64_SCTLR_A);
	at_el(0);
	CHECK(ld(0x10002, 4, &v, 0) == A64_EXC, "SCTLR.A");
	check_dabt("SCTLR.A", 0, 0x10002, A64_FSC_ALIGNMENT, false);
	at_el(1);
	CHECK(ld(0x10004, 4, &v, 0) == A64_OK, "SCTLR.A aligned");
	/* SP alignment (the load/store handlers ask a64_check_sp). */
	set_reg(SCTLR_KEY, c->sys.sctlr_el1 & ~(A64_SCTLR_A | A64_SCTLR_SA | A64_SCTLR_SA0));
	at_el(1);
	c->x[A64_SP] = 0x10008;
	CHECK(a64_check_sp(c) == A64_OK, "SA off");
	set_reg(SCTLR_KEY, c->sys.sctlr_el1 | A64_SCTLR_SA);
	CHECK(a64_check_sp(c) == A64_EXC && esr_ec() == A64_EC_SP_ALIGN, "SA on");
	at_el(0);
	c->x[A64_SP] = 0x10008;
	CHECK(a64_check_sp(c) == A64_OK, "SA0 off at EL0");
	check_group_end();
}

static void test_tbi(void)
{
	check_group("TBI");
	setup();
	struct space s = new_space(25);
	map_page(&s, 0x10000, RAM_BASE + 0x30000, NORMAL | D_AP_EL0);
	wr64(RAM_BASE + 0x30010, 0x7b1);
	mmu_on(&s, NULL, TCR_TBI0, 0);
	at_el(0);
	CHECK(ld64(0x5a00000000010010ull) == 0x7b1, "tagged pointer");
	set_reg(TCR_KEY, c->sys.tcr_el1 & ~TCR_TBI0);
	u64 v;
	at_el(0);
	CHECK(ld(0x5a00000000010010ull, 8, &v, 0) == A64_EXC, "no TBI: out of range");
	check_dabt("no TBI", 0, 0x5a00000000010010ull, A64_FSC_TRANSLATION(0), false);
	check_group_end();
}

/* Two address spaces with ASIDs 1 and 2 mapping VA X differently, a
 * global page at G, and every TLBI form. */
#define X 0x200000ull
#define G 0x300000ull
#define PA_A (RAM_BASE + 0x40000)
#define PA_B (RAM_BASE + 0x41000)
#define PA_C (RAM_BASE + 0x42000)
#define PA_D (RAM_BASE + 0x43000)

static struct space as1, as2;

static void asid_setup(void)
{
	setup();
	wr64(PA_A, 0xa);
	wr64(PA_B, 0xb);
	wr64(PA_C, 0xc);
	wr64(PA_D, 0xd);
	as1 = new_space(25);
	as2 = new_space(25);
	map_page(&as1, X, PA_A, NORMAL | D_NG);
	map_page(&as2, X, PA_B, NORMAL | D_NG);
	map_page(&as1, G, PA_A, NORMAL);
	map_page(&as2, G, PA_A, NORMAL);
	mmu_on(&as1, NULL, 0, 1);
	at_el(1);
}

static void use_asid(unsigned asid)
{
	set_reg(TTBR0_KEY, (asid == 1 ? as1.root : as2.root) | (u64)asid << 48);
}

/* Run TLBI <op> with Xt = arg through the decoder (op2 and the CRm). */
static void tlbi(unsigned op2, bool is, u64 arg)
{
	map_page(&as1, 0x7000, RAM_BASE, NORMAL); /* the code page, in both */
	map_page(&as2, 0x7000, RAM_BASE, NORMAL);
	c->x[7] = arg;
	u64 saved_pc = c->pc;
	int r = step_at(0x7000, RAM_BASE, sys_word(A64_SYSREG(1, 0, 8, is ? 3 : 7, op2), 7));
	CHECK(r == A64_STOP && c->pc == 0x7004, "TLBI op2 %u runs (r %d)", op2, r);
	c->pc = saved_pc;
}

static u64 tlbi_va(u64 va, unsigned asid)
{
	return (u64)asid << 48 | ((va >> 12) & ((1ull << 44) - 1));
}

static void test_asid_tlb(void)
{
	check_group("ASID TLB");
	asid_setup();
	CHECK(ld64(X) == 0xa, "ASID 1 sees A");
	map_page(&as1, X, PA_C, NORMAL | D_NG); /* no TLBI: the TLB keeps A */
	CHECK(ld64(X) == 0xa, "cached");
	use_asid(2);
	CHECK(c->tlb.ctx[c->tlb.cur].asid == 2, "context of ASID 2");
	CHECK(ld64(X) == 0xb, "ASID 2 sees B");
	use_asid(1);
	CHECK(ld64(X) == 0xa, "ASID 1's entry survived the switch");
	/* TLBI VAE1 of ASID 2 leaves ASID 1's entry. */
	tlbi(A64_TLBI_VAE1, false, tlbi_va(X, 2));
	CHECK(ld64(X) == 0xa, "VAE1 of another ASID");
	tlbi(A64_TLBI_VAE1, false, tlbi_va(X, 1));
	CHECK(ld64(X) == 0xc, "VAE1 of this ASID");
	/* VALE1 likewise. */
	map_page(&as1, X, PA_D, NORMAL | D_NG);
	tlbi(A64_TLBI_VALE1, false, tlbi_va(X, 1));
	CHECK(ld64(X) == 0xd, "VALE1");
	/* ASIDE1: only that ASID's non-global entries. */
	use_asid(2);
	CHECK(ld64(X) == 0xb, "ASID 2 again");
	map_page(&as2, X, PA_C, NORMAL | D_NG);
	use_asid(1);
	CHECK(ld64(G) == 0xa, "global page");
	map_page(&as1, G, PA_B, NORMAL);
	map_page(&as1, X, PA_A, NORMAL | D_NG);
	tlbi(A64_TLBI_ASIDE1, true, 1ull << 48);
	CHECK(ld64(X) == 0xa, "ASIDE1 flushed ASID 1's entry");
	CHECK(ld64(G) == 0xa, "ASIDE1 kept the global entry");
	use_asid(2);
	CHECK(ld64(X) == 0xb, "ASIDE1 of 1 kept ASID 2's entry");
	use_asid(1);
	/* VAE1 with any ASID removes global entries of that VA. */
	tlbi(A64_TLBI_VAE1, false, tlbi_va(G, 7));
	CHECK(ld64(G) == 0xb, "VAE1 of another ASID flushes a global entry");
	/* VAAE1: every ASID. */
	map_page(&as1, X, PA_D, NORMAL | D_NG);
	tlbi(A64_TLBI_VAAE1, false, tlbi_va(X, 0));
	CHECK(ld64(X) == 0xd, "VAAE1 in ASID 1");
	use_asid(2);
	CHECK(ld64(X) == 0xc, "VAAE1 in ASID 2");
	map_page(&as2, X, PA_A, NORMAL | D_NG);
	tlbi(A64_TLBI_VAALE1, true, tlbi_va(X, 0));
	CHECK(ld64(X) == 0xa, "VAALE1");
	/* VMALLE1: everything, global included. */
	map_page(&as2, X, PA_B, NORMAL | D_NG);
	map_page(&as2, G, PA_C, NORMAL);
	use_asid(1);
	map_page(&as1, X, PA_C, NORMAL | D_NG);
	tlbi(A64_TLBI_VMALLE1, true, 0);
	CHECK(ld64(X) == 0xc && ld64(G) == 0xb, "VMALLE1 in ASID 1");
	use_asid(2);
	CHECK(ld64(X) == 0xb && ld64(G) == 0xc, "VMALLE1 in ASID 2");
	CHECK(broadcasts == 3, "IS forms broadcast (%u)", broadcasts);
	check_group_end();

	check_group("ASID sources and recycling");
	asid_setup();
	/* 8-bit ASIDs: 0x101 and 0x001 are the same. */
	set_reg(TCR_KEY, c->sys.tcr_el1 & ~TCR_AS);
	set_reg(TTBR0_KEY, as1.root | 0x101ull << 48);
	CHECK(a64_mmu_asid(c) == 1, "AS = 0: 8 bits");
	CHECK(ld64(X) == 0xa, "ASID 1");
	map_page(&as1, X, PA_B, NORMAL | D_NG);
	set_reg(TTBR0_KEY, as1.root | 0x001ull << 48);
	CHECK(ld64(X) == 0xa, "same ASID: the entry stays");
	/* A1: the ASID comes from TTBR1. */
	set_reg(TCR_KEY, c->sys.tcr_el1 | TCR_AS | TCR_A1);
	set_reg(TTBR1_KEY, 5ull << 48);
	CHECK(a64_mmu_asid(c) == 5, "A1 = 1: TTBR1's ASID");
	CHECK(ld64(X) == 0xb, "a TCR write flushes");
	/* More ASIDs than contexts: recycled ones lose their entries, the
	 * current one never. */
	for (unsigned k = 0; k < 3 * A64_TLB_CTXS; k++) {
		set_reg(TTBR1_KEY, (u64)(10 + k) << 48);
		CHECK(ld64(X) == 0xb, "ASID %u", 10 + k);
		CHECK(a64_tlb_entry_for(c, X)->va == (X | 0xfff), "cached in its context");
	}
	check_group_end();
}

/* A TLBI of one address in a block removes the pages cached from the
 * whole block. */
static void test_block_tlbi(void)
{
	check_group("TLBI of a block");
	asid_setup();
	u64 z = 0x40000000;
	map(&as1, z, 2, (RAM_BASE + 0x200000) | D_BLOCK | D_AF | NORMAL | D_NG);
	wr64(RAM_BASE + 0x201000, 1);
	wr64(RAM_BASE + 0x205000, 5);
	wr64(RAM_BASE + 0x401000, 11);
	wr64(RAM_BASE + 0x405000, 15);
	CHECK(ld64(z + 0x1000) == 1 && ld64(z + 0x5000) == 5, "block");
	map(&as1, z, 2, (RAM_BASE + 0x400000) | D_BLOCK | D_AF | NORMAL | D_NG);
	CHECK(ld64(z + 0x5000) == 5, "cached");
	tlbi(A64_TLBI_VAE1, false, tlbi_va(z, 1));
	CHECK(ld64(z + 0x1000) == 11 && ld64(z + 0x5000) == 15, "whole block flushed");
	/* An L1 block likewise. */
	u64 y = 0x80000000;
	map(&as1, y, 1, RAM_BASE | D_BLOCK | D_AF | NORMAL | D_NG);
	CHECK(ld64(y + 0x201000) == 1, "L1 block");
	map(&as1, y, 1, 0);
	tlbi(A64_TLBI_VAAE1, false, tlbi_va(y + 0x3000000, 0));
	u64 v;
	at_el(1);
	CHECK(ld(y + 0x201000, 8, &v, 0) == A64_EXC, "L1 block flushed by an address inside");
	check_group_end();
}

static void test_at(void)
{
	check_group("AT and PAR_EL1");
	setup();
	struct space s = new_space(25);
	map_page(&s, 0x10000, RAM_BASE + 0x30000, NORMAL | D_SH_ISH);
	map_page(&s, 0x11000, RAM_BASE + 0x31000, D_ATTR(2) | D_AP_EL0 | D_AP_RO);
	map(&s, 0x12000, 3, (RAM_BASE + 0x32000) | D_PAGE | NORMAL); /* AF = 0 */
	map_page(&s, 0x7000, RAM_BASE, NORMAL);
	mmu_on(&s, NULL, 0, 0);
	at_el(1);
	struct {
		unsigned op2;
		u64 va, par;
	} cases[] = {
		{ 0, 0x10123, 0xff00000000000000ull | (RAM_BASE + 0x30000) | 1u << 11 | 3u << 7 },
		{ 1, 0x10123, 0xff00000000000000ull | (RAM_BASE + 0x30000) | 1u << 11 | 3u << 7 },
		{ 2, 0x10123, 1u << 11 | A64_FSC_PERMISSION(3) << 1 | 1 },
		{ 2, 0x11000, 0x4400000000000000ull | (RAM_BASE + 0x31000) | 1u << 11 | 2u << 7 },
		{ 3, 0x11000, 1u << 11 | A64_FSC_PERMISSION(3) << 1 | 1 },
		{ 1, 0x11000, 1u << 11 | A64_FSC_PERMISSION(3) << 1 | 1 },
		{ 0, 0x12000, 1u << 11 | A64_FSC_ACCESS_FLAG(3) << 1 | 1 },
		{ 0, 0x400000, 1u << 11 | A64_FSC_TRANSLATION(2) << 1 | 1 },
	};
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		c->x[9] = cases[k].va;
		int r = step_at(0x7000, RAM_BASE, sys_word(A64_SYSREG(1, 0, 7, 8, cases[k].op2), 9));
		CHECK(r == A64_OK && c->sys.par_el1 == cases[k].par,
		      "AT op2 %u at %#llx: PAR %#llx, expected %#llx", cases[k].op2,
		      (unsigned long long)cases[k].va, (unsigned long long)c->sys.par_el1,
		      (unsigned long long)cases[k].par);
	}
	CHECK(esr_ec() == 0, "AT takes no exception");
	at_el(0);
	CHECK(step_at(0x7000, RAM_BASE, sys_word(A64_SYSREG(1, 0, 7, 8, 0), 9)) == A64_EXC &&
	      esr_ec() == A64_EC_UNKNOWN, "AT at EL0 is UNDEFINED");
	check_group_end();
}

static void test_dc(void)
{
	check_group("DC ZVA and maintenance by VA");
	setup();
	struct space s = new_space(25);
	map_page(&s, 0x10000, RAM_BASE + 0x30000, NORMAL | D_AP_EL0);
	map_page(&s, 0x11000, RAM_BASE + 0x31000, NORMAL | D_AP_EL0 | D_AP_RO);
	map_page(&s, 0x12000, RAM_BASE + 0x32000, DEVICE);
	map_page(&s, 0x7000, RAM_BASE, NORMAL | D_AP_EL0 | D_AP_RO);
	mmu_on(&s, NULL, 0, 0);
	memset(ram + 0x30000, 0x5a, 0x1000);
	at_el(1);
	c->x[1] = 0x10047;
	CHECK(step_at(0x7000, RAM_BASE, sys_word(A64_SYSREG(1, 3, 7, 4, 1), 1)) == A64_OK,
	      "DC ZVA");
	CHECK(ram[0x3003f] == 0x5a && ram[0x30040] == 0 && ram[0x3007f] == 0 &&
	      ram[0x30080] == 0x5a, "64 aligned bytes zeroed");
	c->x[1] = 0x11000;
	CHECK(step_at(0x7000, RAM_BASE, sys_word(A64_SYSREG(1, 3, 7, 4, 1), 1)) == A64_EXC,
	      "DC ZVA on read-only");
	c->pc = 0x1000;
	CHECK(esr_ec() == 0x25 && (esr_iss() & 0x3f) == A64_FSC_PERMISSION(3) &&
	      (esr_iss() & 0x40) && !(esr_iss() & 0x100) && c->sys.far_el1 == 0x11000,
	      "as a store: ESR %#llx", (unsigned long long)c->sys.esr_el1);
	at_el(1);
	c->x[1] = 0x12008;
	CHECK(step_at(0x7000, RAM_BASE, sys_word(A64_SYSREG(1, 3, 7, 4, 1), 1)) == A64_EXC &&
	      (esr_iss() & 0x3f) == A64_FSC_ALIGNMENT, "DC ZVA on Device memory");
	at_el(1);
	c->x[2] = 0x13000;
	CHECK(step_at(0x7000, RAM_BASE, sys_word(A64_SYSREG(1, 0, 7, 6, 1), 2)) == A64_EXC,
	      "DC IVAC unmapped");
	CHECK((esr_iss() & 0x3f) == A64_FSC_TRANSLATION(3) && (esr_iss() & 0x140) == 0x140 &&
	      c->sys.far_el1 == 0x13000, "DC IVAC: CM and WnR: ESR %#llx",
	      (unsigned long long)c->sys.esr_el1);
	at_el(1);
	c->x[2] = 0x11000;
	CHECK(step_at(0x7000, RAM_BASE, sys_word(A64_SYSREG(1, 3, 7, 14, 1), 2)) == A64_OK,
	      "DC CIVAC of a read-only page");
	c->x[2] = 0x10000;
	CHECK(step_at(0x7000, RAM_BASE, sys_word(A64_SYSREG(1, 0, 7, 14, 2), 2)) == A64_OK,
	      "DC CISW");
	/* At EL0: ZVA and CVAC are allowed by SCTLR.DZE/UCI, else trapped. */
	at_el(0);
	c->x[1] = 0x10000;
	CHECK(step_at(0x7000, RAM_BASE, sys_word(A64_SYSREG(1, 3, 7, 4, 1), 1)) == A64_EXC &&
	      esr_ec() == A64_EC_SYSREG, "DC ZVA at EL0 without DZE traps");
	CHECK(esr_iss() == (1u << 20 | 1u << 17 | 3u << 14 | 7u << 10 | 1u << 5 | 4u << 1),
	      "trap ISS %#x", esr_iss());
	set_reg(SCTLR_KEY, c->sys.sctlr_el1 | A64_SCTLR_DZE | A64_SCTLR_UCI);
	at_el(0);
	memset(ram + 0x30000, 0x5a, 64);
	CHECK(step_at(0x7000, RAM_BASE, sys_word(A64_SYSREG(1, 3, 7, 4, 1), 1)) == A64_OK &&
	      ram[0x30000] == 0, "DC ZVA at EL0 with DZE");
	at_el(0);
	CHECK(step_at(0x7000, RAM_BASE, sys_word(A64_SYSREG(1, 0, 7, 6, 1), 1)) == A64_EXC &&
	      esr_ec() == A64_EC_UNKNOWN, "DC IVAC at EL0 is UNDEFINED");
	check_group_end();
}

static void test_write_tracking(void)
{
	check_group("write tracking and fast path");
	setup();
	struct space s = new_space(25);
	map_page(&s, 0x10000, RAM_BASE + 0x30000, NORMAL);
	mmu_on(&s, NULL, 0, 0);
	at_el(1);
	fast_ok = false;
	unsigned n = ram_written_count;
	st(0x10000, 8, 1, 0);
	st(0x10008, 8, 2, 0);
	CHECK(ram_written_count == n + 2, "not fast-ok: every store is reported");
	fast_ok = true;
	st(0x10010, 8, 3, 0);
	st(0x10018, 8, 4, 0);
	st(0x10020, 4, 5, 0);
	CHECK(ram_written_count == n + 3, "fast-ok: the first store only (%u)",
	      ram_written_count - n);
	CHECK(rd64(RAM_BASE + 0x30018) == 4, "fast store landed");
	a64_tlb_protect_page(c, RAM_BASE + 0x30000);
	st(0x10028, 8, 6, 0);
	CHECK(ram_written_count == n + 4, "protect_page: reported again");
	st(0x10030, 8, 7, 0);
	CHECK(ram_written_count == n + 4, "and fast again");
	a64_tlb_revoke_writes(c);
	st(0x10038, 8, 8, 0);
	CHECK(ram_written_count == n + 5, "revoke_writes: reported again");
	/* Reads stay fast throughout. */
	const struct a64_tlb_entry *e = a64_tlb_entry_for(c, 0x10000);
	CHECK(e->tag[A64_TLB_READ][1] == 0x10fff && e->tag[A64_TLB_READ][0] == 0,
	      "read tags by privilege");
	/* a64_translate neither faults nor fills. */
	u64 pa = 0;
	CHECK(a64_translate(c, 0x10abc, A64_ACC_WRITE, &pa) == 0 && pa == RAM_BASE + 0x30abc,
	      "a64_translate");
	CHECK(a64_translate(c, 0x10abc, A64_ACC_UNPRIV, &pa) == (A64_FAULT | A64_FSC_PERMISSION(3)),
	      "a64_translate EL0");
	CHECK(a64_translate(c, 0x20000, 0, &pa) == (A64_FAULT | A64_FSC_TRANSLATION(3)) && esr_ec() == 0,
	      "a64_translate of an unmapped page");
	CHECK(a64_tlb_entry_for(c, 0x20000)->va == 0, "no fill");
	/* The engine's fetch translation. */
	const u8 *host = NULL;
	CHECK(a64_fetch_translate(c, 0x10004, &pa, &host) == A64_OK && pa == RAM_BASE + 0x30004 &&
	      host == ram + 0x30004, "a64_fetch_translate");
	check_group_end();
}

/* MSR SCTLR_EL1 turns translation on: the next fetch goes through it. */
static void test_mmu_enable(void)
{
	check_group("MSR SCTLR_EL1 and fetching through the tables");
	setup();
	struct space s = new_space(25);
	map(&s, RAM_BASE, 2, RAM_BASE | D_BLOCK | D_AF | NORMAL); /* identity, 2 MiB */
	map_page(&s, 0x8000, RAM_BASE + 0x1000, NORMAL);           /* an alias of the code */
	map_page(&s, 0x9000, RAM_BASE + 0x1000, NORMAL | D_UXN);
	set_reg(MAIR_KEY, MAIR_VALUE);
	set_reg(TCR_KEY, TCR_T0SZ(25) | TCR_EPD1 | TCR_TG1_4K | TCR_IPS_40 | TCR_AS);
	set_reg(TTBR0_KEY, s.root);
	wr32(RAM_BASE + 0x1004, 0xd50320bfu); /* SEVL */
	c->x[1] = c->sys.sctlr_el1 | A64_SCTLR_M;
	at_el(1);
	int r = step_at(RAM_BASE + 0x1000, RAM_BASE + 0x1000,
			0xd5000000u | SCTLR_KEY << 5 | 1); /* MSR SCTLR_EL1, X1 */
	CHECK(r == A64_STOP && (c->sys.sctlr_el1 & A64_SCTLR_M), "MSR SCTLR_EL1 (r %d)", r);
	c->pc = 0x8004;
	CHECK(a64_step(c) == A64_OK && c->event == 1 && c->pc == 0x8008,
	      "the alias runs the code at its PA");
	/* AP = 00 with UXN = 0 is execute-only at EL0 (Armv8.0). */
	at_el(0);
	c->pc = 0x8004;
	CHECK(a64_step(c) == A64_OK && c->pc == 0x8008, "EL0 runs execute-only code");
	at_el(0);
	c->pc = 0x9004;
	CHECK(a64_step(c) == A64_EXC, "EL0 fetch from a UXN page");
	check_iabt("UXN fetch", 0, 0x9004, A64_FSC_PERMISSION(3));
	CHECK(c->sys.elr_el1 == 0x9004 && c->pc == VBAR + 0x400, "ELR and vector");
	at_el(1);
	c->pc = 0x9004;
	CHECK(a64_step(c) == A64_OK, "EL1 runs it");
	check_group_end();
}

int main(void)
{
	test_mmu_off();
	test_geometry();
	test_blocks_and_ttbr1();
	test_fault_levels();
	test_permissions();
	test_table_limits();
	test_alignment();
	test_tbi();
	test_asid_tlb();
	test_block_tlbi();
	test_at();
	test_dc();
	test_write_tracking();
	test_mmu_enable();
	free(c);
	free(ram);
	return check_summary();
}
