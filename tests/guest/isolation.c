/*
 * isolation: every mechanism through which the CPU reaches guest-physical
 * memory, pointed past the end of RAM (just past it, straddling it, far
 * above it: below 4 GiB, the top of the 40-bit physical space, beyond it).
 * On a PC, memory that nothing decodes reads as all-ones and drops
 * writes; the architecture adds faults where it checks something:
 *
 * - plain loads and stores, locked RMW, FXSAVE/FXRSTOR, the stack, SGDT:
 *   all-ones and dropped stores, split exactly at the end of RAM; an
 *   FXRSTOR whose MXCSR lies past RAM is #GP (reserved bits); CMPXCHG16B
 *   past RAM compares with all-ones, and cannot straddle the end (16-byte
 *   alignment: a misaligned one there is #GP before any access);
 * - string instructions (MOVS, STOS, CMPS, SCAS, LODS, INS, OUTS) running
 *   off the end of RAM with huge counts: the same per element, until the
 *   #PF at the first unmapped page, with RCX/RSI/RDI exact there; a
 *   32-bit address-size wrap; a copy from the top of physical space;
 * - paging structures past RAM: the walk reads all-ones entries, whose
 *   reserved bits make it a #PF with RSVD; a PTE beyond MAXPHYADDR too; a
 *   CR3 beyond it is #GP; 2 MiB and 1 GiB pages straddling the end;
 * - GDT, LDT, IDT and TSS straddling the end: an all-ones descriptor is a
 *   conforming DPL 3 code segment (loadable into DS, #GP for SS, CS, LTR,
 *   LLDT), an all-ones gate has selector 0xffff (#GP(0xfffc), with EXT
 *   for an external interrupt), a TSS whose IST slot lies past RAM sends
 *   the frame to where the all-ones pointer says;
 * - the device pages (local APIC, I/O APIC) read across their end.
 *   encore's devices do no DMA: nothing else reads guest memory.  Moving
 *   the local APIC (IA32_APIC_BASE) is not modelled: it stays at its
 *   power-on base, and the new base past RAM reads all-ones (an info line).
 *
 * It runs on our own page tables, with windows (WIN) onto the physical
 * pages around the end of RAM; the end comes from CMOS and is checked by
 * writing.  With more than 3 GiB the RAM above 4 GiB is found by writing
 * too, and its end is tested as well.  What ends the run (CR3, a whole IDT
 * or an instruction past RAM, an AP's IDT) is in isolation_*.c.
 */
#include "isolation.h"

#define WIN 0x8000000000ul	    /* PML4 slot 1: windows onto physical pages */
#define WIN_HOLE (WIN + 3 * PAGE_SIZE)  /* never mapped: ends runaway REPs */
#define WIN_PROBE (WIN + 8 * PAGE_SIZE) /* for finding RAM */
#define BAD 0x10000000000ul	    /* PML4 slot 2: tables past RAM, large pages */
#define IST_HALF 0xffffffff80000000ul   /* an IST pointer with an all-ones upper half */
#define IST_ONES 0xfffffffffffff000ul   /* the page of an all-ones IST pointer */
#define HIGH_RAM 0x100000000ul
#define MAXPHYS (1ul << 40) /* encore's CPUID: 40 physical address bits */
#define ONES (~0ul)
#define HUGE (1ul << 40)    /* a REP count that only a fault can end */
#define RAN (16 + 2 * PAGE_SIZE) /* elements a huge byte REP does from 16 before the end */
#define SZ_2M (2ul << 20)
#define SZ_1G (1ul << 30)

#define PORT_UNCLAIMED 0x80
#define UART_SCR 0x3ff
#define PCI_ADDRESS 0xcf8
#define PCI_ADDRESS_WRITABLE 0x80fffffcu
#define CMOS_EQUIPMENT 0x14
#define IOAPIC_BASE 0xfec00000ul
#define MSR_APIC_BASE 0x1b
#define VEC_EXT 0x40  /* through the part of the IDT past RAM */
#define VEC_HALF 0x1f /* a gate whose upper half lies past RAM */
#define VEC_IST 0x41

static u64 *pml4;
static u64 low_end, high_end; /* where RAM ends below 4 GiB, and above (0: none) */

/* ---- windows ---- */

static void map4k(u64 va, u64 pa)
{
	pt_map(pml4, va, pa, PTE_P | PTE_W);
	invlpg((void *)va);
}

static void unmap4k(u64 va)
{
	*pt_entry(pml4, va, 1, 1) = 0;
	invlpg((void *)va);
}

static void flush_all(void)
{
	write_cr3(read_cr3());
}

/* WIN pages 0-2 onto physical pa0-pa2; page 3 (WIN_HOLE) not present. */
static void window3(u64 pa0, u64 pa1, u64 pa2)
{
	map4k(WIN, pa0);
	map4k(WIN + PAGE_SIZE, pa1);
	map4k(WIN + 2 * PAGE_SIZE, pa2);
	unmap4k(WIN_HOLE);
}

/* A window around `end`: returns the first byte past RAM, after the last
 * RAM page and before 8 KiB past RAM and the hole. */
static u8 *window_at_end(u64 end)
{
	window3(end - PAGE_SIZE, end, end + PAGE_SIZE);
	return isolation_phys(WIN + PAGE_SIZE);
}

/* The qword at `a`, a pointer or an address. */
#define Q(a) (*(volatile u64 *)(a))

static void fill(volatile u8 *p, u64 n, u8 v)
{
	for (u64 k = 0; k < n; k++)
		p[k] = v;
}

static int all_bytes(const volatile u8 *p, u64 n, u8 v)
{
	for (u64 k = 0; k < n; k++)
		if (p[k] != v)
			return 0;
	return 1;
}

static int same(const volatile u8 *a, const volatile u8 *b, u64 n)
{
	for (u64 k = 0; k < n; k++)
		if (a[k] != b[k])
			return 0;
	return 1;
}

/* ---- where RAM ends ---- */

/* Does the page at physical `pa` keep what is written to it? */
static int is_ram(u64 pa)
{
	volatile u64 *p = (volatile u64 *)WIN_PROBE;
	u64 old, probe;
	int ram;

	map4k(WIN_PROBE, pa);
	old = *p;
	probe = old ^ 0x5a5a1234c3c3a5a5ul;
	*p = probe;
	ram = *p == probe;
	*p = old;
	return ram;
}

/* The first page at or after `lo` (RAM) that is not RAM, below `hi`. */
static u64 ram_end_between(u64 lo, u64 hi)
{
	while (hi - lo > PAGE_SIZE) {
		u64 mid = (lo + (hi - lo) / 2) & ~(PAGE_SIZE - 1);

		if (is_ram(mid))
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

static void find_ram(void)
{
	u64 end = cmos_ram_end(), size;

	/* CMOS counts 64 KiB blocks: RAM may go on for a few more pages. */
	while (is_ram(end))
		end += PAGE_SIZE;
	check(is_ram(end - PAGE_SIZE) && !is_ram(end), "RAM below 4 GiB ends at %lx", end);
	low_end = end;
	if (low_end < 16 * MIB)
		fail("needs --mem 16M or more (RAM ends at %lx)", low_end);
	if (!is_ram(HIGH_RAM))
		return;
	for (size = PAGE_SIZE; HIGH_RAM + size < MAXPHYS && is_ram(HIGH_RAM + size); size *= 2)
		;
	high_end = ram_end_between(HIGH_RAM + size / 2, HIGH_RAM + size);
	check(is_ram(high_end - PAGE_SIZE) && !is_ram(high_end), "RAM above 4 GiB ends at %lx",
	      high_end);
}

/* ---- string instructions, in a probe ---- */

struct sregs {
	u64 rdi, rsi, rcx, rax, rdx, rflags;
};

/* Run one string instruction with all inputs, flags included, from r;
 * a fault resumes after it with the registers it left. */
#define DEF_STROP(name, insn) \
	static void name(struct sregs *r) \
	{ \
		u64 di = r->rdi, si = r->rsi, cx = r->rcx, ax = r->rax, dx = r->rdx, fl = r->rflags; \
		asm volatile(PROBE_BEGIN "push %[fl]\n\t" \
					 "popfq\n" \
					 "1: " insn "\n\t" PROBE_END "pushfq\n\t" \
					 "pop %[fl]\n\t" \
					 "cld" \
			     : "+D"(di), "+S"(si), "+c"(cx), "+a"(ax), "+d"(dx), [fl] "+r"(fl) \
			     : \
			     : "r11", "memory", "cc"); \
		*r = (struct sregs){ di, si, cx, ax, dx, fl }; \
	}

DEF_STROP(op_movsb, "rep movsb")
DEF_STROP(op_movsq, "rep movsq")
DEF_STROP(op_stosb, "rep stosb")
DEF_STROP(op_stosq, "rep stosq")
DEF_STROP(op_stosb_a32, "addr32 rep stosb")
DEF_STROP(op_repe_cmpsb, "repe cmpsb")
DEF_STROP(op_repne_scasb, "repne scasb")
DEF_STROP(op_lodsq, "lodsq")
DEF_STROP(op_insb, "rep insb")
DEF_STROP(op_insw, "rep insw")
DEF_STROP(op_insl, "rep insl")
DEF_STROP(op_outsb, "rep outsb")
DEF_STROP(op_outsl, "rep outsl")

static struct sregs sr(u64 rdi, u64 rsi, u64 rcx, u64 rax, u64 rdx, int df)
{
	return (struct sregs){ rdi, rsi, rcx, rax, rdx, FL_FIXED | (df ? FL_DF : 0) };
}

static u16 inw(u16 port)
{
	u16 v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static u32 inl(u16 port)
{
	u32 v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* ---- plain accesses ---- */

static u64 push_pop_at(u64 sp, u64 v)
{
	u64 r;

	asm volatile("mov %%rsp, %%r8\n\t"
		     "mov %[sp], %%rsp\n\t"
		     "push %[v]\n\t"
		     "pop %[r]\n\t"
		     "mov %%r8, %%rsp"
		     : [r] "=&r"(r)
		     : [sp] "r"(sp), [v] "r"(v)
		     : "r8", "memory");
	return r;
}

static int cmpxchg16b(volatile void *m, u64 *lo, u64 *hi, u64 new_lo, u64 new_hi)
{
	u8 zf;

	asm volatile("lock cmpxchg16b %[m]\n\t"
		     "sete %[zf]"
		     : [m] "+m"(*(volatile u64(*)[2])m), "+a"(*lo), "+d"(*hi), [zf] "=q"(zf)
		     : "b"(new_lo), "c"(new_hi)
		     : "memory", "cc");
	return zf;
}

static void test_loads_stores(volatile u8 *p)
{
	u64 add = 0x100000005ul;

	for (int k = 1; k <= 16; k++)
		p[-k] = (u8)(0xa0 + k); /* ... a3 a2 a1 | end of RAM */
	check_eq(p[0], 0xff, "a byte read past RAM is all-ones");
	check_eq(*(volatile u16 *)(p + 2), 0xffff, "a word read past RAM is all-ones");
	check_eq(*(volatile u32 *)(p + 4), 0xffffffff, "a dword read past RAM is all-ones");
	check_eq(Q(p + 8), ONES, "a qword read past RAM is all-ones");
	check_eq(Q(p + 2 * PAGE_SIZE - 8), ONES, "the last qword 8 KiB past RAM is all-ones");
	p[0] = 0x12;
	Q(p + 8) = 0;
	check(p[0] == 0xff && Q(p + 8) == ONES, "stores past RAM are dropped");

	check_eq(Q(p - 4), 0xffffffffa1a2a3a4ul, "a qword across the end: RAM half, then all-ones");
	check_eq(*(volatile u16 *)(p - 1), 0xffa1, "a word across the end: RAM byte, then all-ones");
	Q(p - 4) = 0x1122334455667788ul;
	check_eq(*(volatile u32 *)(p - 4), 0x55667788, "a store across the end writes its RAM half");
	check_eq(Q(p - 4), 0xffffffff55667788ul, "... and drops the other half");

	*(volatile u32 *)(p - 4) = 0x10;
	asm volatile("lock xaddq %0, %1" : "+r"(add), "+m"(*(volatile u64 *)(p - 4)) : : "memory");
	check_eq(add, 0xffffffff00000010ul, "lock xadd across the end reads RAM, then all-ones");
	check_eq(*(volatile u32 *)(p - 4), 0x15, "lock xadd across the end updates its RAM half");

	check_eq(push_pop_at((u64)p + 64, 0x1234), ONES,
		 "a push past RAM is dropped, the pop reads all-ones");
	check_eq(push_pop_at((u64)p + 4, 0x1122334455667788ul), 0xffffffff55667788ul,
		 "a push and pop across the end keep the RAM half");
}

/* CMPXCHG16B needs 16-byte alignment, so it never straddles the end of
 * RAM (a page boundary): a misaligned one there is #GP before any access. */
static void test_cmpxchg16b(volatile u8 *p)
{
	volatile u64 *q = (volatile u64 *)(p - 16);
	u64 lo = 0, hi = 0;
	int zf;

	q[0] = 0x0123456789abcdeful;
	q[1] = 0xfedcba9876543210ul;
	zf = cmpxchg16b(q, &lo, &hi, 1, 2);
	check(!zf && lo == q[0] && hi == q[1], "cmpxchg16b on the last 16 bytes of RAM (differs)");
	zf = cmpxchg16b(q, &lo, &hi, 0x1111, 0x2222);
	check(zf && q[0] == 0x1111 && q[1] == 0x2222, "cmpxchg16b on the last 16 bytes of RAM");

	fault_reset();
	asm volatile(PROBE_BEGIN "1: lock cmpxchg16b (%0)\n\t" PROBE_END
		     : : "r"(p - 8), "a"(0), "d"(0), "b"(0), "c"(0) : "r11", "memory", "cc");
	expect_fault("cmpxchg16b misaligned across the end of RAM", VEC_GP, 0);
	check(q[0] == 0x1111 && q[1] == 0x2222, "... and RAM is untouched");

	q = (volatile u64 *)p;
	lo = hi = ONES;
	zf = cmpxchg16b(q, &lo, &hi, 5, 6);
	check(zf && q[0] == ONES && q[1] == ONES,
	      "cmpxchg16b past RAM: all-ones compares equal, the store is dropped");
}

static u8 fx_ram[512] ALIGNED(16);

static void fxsave(volatile void *a)
{
	asm volatile("fxsave64 (%0)" : : "r"(a) : "memory");
}

static void fxrstor(const volatile void *a)
{
	asm volatile("fxrstor64 (%0)" : : "r"(a) : "memory");
}

static void set_xmm5_15(u64 v5, u64 v15)
{
	asm volatile("movq %0, %%xmm5\n\tmovq %1, %%xmm15" : : "r"(v5), "r"(v15));
}

static u64 xmm5(void)
{
	u64 v;

	asm volatile("movq %%xmm5, %0" : "=r"(v));
	return v;
}

static u64 xmm15(void)
{
	u64 v;

	asm volatile("movq %%xmm15, %0" : "=r"(v));
	return v;
}

/* FXSAVE/FXRSTOR: 512 bytes, the first 256 of them in RAM. */
static void test_fxsave(volatile u8 *p)
{
	volatile u8 *area = p - 256;

	set_xmm5_15(0x5555, 0x1515);
	fxsave(fx_ram);
	fill(area, 256, 0);
	fxsave(area); /* XMM6-15 go past RAM */
	check(same(area, fx_ram, 256), "fxsave across the end stores the part in RAM");
	check_eq(Q(p + 16 * 4), ONES, "fxsave across the end: XMM10 (past RAM) is dropped");
	set_xmm5_15(0, 0);
	fxrstor(area);
	check_eq(xmm5(), 0x5555, "fxrstor across the end: XMM5 comes from RAM");
	check_eq(xmm15(), ONES, "fxrstor across the end: XMM15 (past RAM) is all-ones");
	fxrstor(fx_ram);

	fault_reset();
	asm volatile(PROBE_BEGIN "1: fxrstor64 (%0)\n\t" PROBE_END : : "r"(p - 16) : "r11", "memory");
	expect_fault("fxrstor with MXCSR past RAM (all-ones: reserved bits)", VEC_GP, 0);
	fxrstor(fx_ram);
}

static void test_sgdt(volatile u8 *p)
{
	u8 cur[10];

	asm volatile("sgdt %0" : "=m"(cur));
	fill(p - 8, 8, 0);
	asm volatile("sgdt (%0)" : : "r"(p - 5) : "memory");
	check(same(p - 5, cur, 5) && p[-6] == 0, "sgdt across the end stores the 5 bytes in RAM");
}

static void test_plain(const char *where, u64 end)
{
	volatile u8 *p = window_at_end(end);

	kprintf("isolation: loads and stores at the %s (%lx)\n", where, end);
	test_loads_stores(p);
	test_cmpxchg16b(p);
	test_fxsave(p);
	test_sgdt(p);
}

/* ---- string instructions ---- */

static u8 ff_page[PAGE_SIZE];
static u64 qbuf[512];

static void test_string_ops(const char *where, u64 end)
{
	volatile u8 *p = window_at_end(end);
	const u8 *src = isolation_phys(0x100000); /* our own image: RAM */
	struct sregs r;

	kprintf("isolation: string instructions at the %s (%lx)\n", where, end);
	fill(p - 16, 16, 0);
	r = sr((u64)p - 16, (u64)src, HUGE, 0, 0, 0);
	fault_reset();
	op_movsb(&r);
	expect_pf("rep movsb, huge count, from 16 bytes before the end: #PF at the hole", PFE_W,
		  WIN_HOLE);
	check(r.rcx == HUGE - RAN && r.rdi == WIN_HOLE && r.rsi == (u64)src + RAN,
	      "rep movsb: RCX, RSI, RDI stop at the faulting element");
	check(same(p - 16, src, 16), "rep movsb: the 16 bytes in RAM are copied");
	check_eq(Q(p), ONES, "rep movsb: past RAM still reads all-ones");

	fill((volatile u8 *)qbuf, sizeof(qbuf), 0);
	r = sr((u64)qbuf, (u64)p, 512, 0, 0, 0);
	fault_reset();
	op_movsq(&r);
	expect_no_fault("rep movsq of 4 KiB from past RAM");
	check(r.rcx == 0 && all_bytes((u8 *)qbuf, sizeof(qbuf), 0xff),
	      "rep movsq from past RAM copies all-ones");

	fill(p - 8, 8, 0);
	r = sr((u64)p - 4, (u64)src, 2, 0, 0, 0);
	op_movsq(&r);
	check(same(p - 4, src, 4) && r.rdi == (u64)p + 12, "rep movsq: an element across the end");

	r = sr((u64)p - 64, 0, 1ul << 62, 0x5a5a5a5a5a5a5a5aul, 0, 0);
	fault_reset();
	op_stosq(&r);
	expect_pf("rep stosq, huge count: #PF at the hole", PFE_W, WIN_HOLE);
	check(r.rcx == (1ul << 62) - 8 - 2 * PAGE_SIZE / 8 && r.rdi == WIN_HOLE,
	      "rep stosq: RCX and RDI stop at the faulting element");
	check(all_bytes(p - 64, 64, 0x5a), "rep stosq: the 64 bytes in RAM are filled");

	fill(p - 16, 16, 0);
	r = sr((u64)p + 7, 0, 16, 0x77, 0, 1);
	op_stosb(&r);
	check(all_bytes(p - 8, 8, 0x77) && p[-9] == 0 && r.rdi == (u64)p - 9 && r.rcx == 0,
	      "rep stosb with DF=1 from past RAM down into RAM");

	fill(ff_page, sizeof(ff_page), 0xff);
	r = sr((u64)p, (u64)ff_page, PAGE_SIZE, 0, 0, 0);
	op_repe_cmpsb(&r);
	check(r.rcx == 0 && (r.rflags & FL_ZF), "repe cmpsb: 4 KiB past RAM equal all-ones");

	for (int k = 1; k <= 16; k++)
		p[-k] = (u8)k;
	r = sr((u64)p - 16, 0, HUGE, 0, 0, 0);
	fault_reset();
	op_repne_scasb(&r);
	expect_pf("repne scasb for a zero byte, huge count: #PF at the hole", 0, WIN_HOLE);
	check(r.rcx == HUGE - RAN && r.rdi == WIN_HOLE, "repne scasb: RCX and RDI at the fault");

	r = sr(0, (u64)p - 4, 0, 0, 0, 0);
	op_lodsq(&r);
	check_eq(r.rax, 0xffffffff01020304ul, "lodsq across the end: RAM half, then all-ones");
}

/* The 32-bit address size wraps EDI from past RAM (linear 0xfffff000)
 * to linear 0 (RAM); a copy runs from the top physical page into RAM. */
static void test_wraps(void)
{
	const u8 *src = isolation_phys(0x100000);
	u8 *f = isolation_phys(frame_alloc()), *g = isolation_phys(frame_alloc());
	struct sregs r;

	kprintf("isolation: wrapping addresses\n");
	map4k(0xfffff000ul, low_end);
	map4k(0, (u64)f);
	r = sr(0xfffffff8ul, 0, 16, 0x5a, 0, 0);
	op_stosb_a32(&r);
	check(r.rdi == 8 && r.rcx == 0 && all_bytes(f, 8, 0x5a) && f[8] == 0,
	      "addr32 rep stosb wraps EDI from past RAM to linear 0");
	unmap4k(0);
	unmap4k(0xfffff000ul);

	window3(MAXPHYS - PAGE_SIZE, (u64)g, (u64)g);
	r = sr(WIN + PAGE_SIZE - 8, (u64)src, 16, 0, 0, 0);
	op_movsb(&r);
	check(same(g, src + 8, 8) && g[8] == 0 && Q(WIN + PAGE_SIZE - 8) == ONES,
	      "rep movsb from the top physical page on into RAM: the first half is dropped");
}

static void test_string_io(const char *where, u64 end)
{
	volatile u8 *p = window_at_end(end);
	struct sregs r;
	u8 eq;

	kprintf("isolation: string I/O at the %s (%lx)\n", where, end);
	eq = cmos_read(CMOS_EQUIPMENT); /* the index stays there for the INS below */

	fill(p - 16, 16, 0);
	r = sr((u64)p - 8, 0, 16, 0, CMOS_DATA, 0);
	op_insb(&r);
	check(all_bytes(p - 8, 8, eq) && p[-9] == 0 && r.rdi == (u64)p + 8 && r.rcx == 0,
	      "rep insb across the end: the RAM part is written");
	r = sr((u64)p - 8, 0, 8, 0, CMOS_DATA, 0);
	op_insw(&r);
	check(*(volatile u16 *)(p - 8) == (0xff00 | eq) && *(volatile u16 *)(p - 2) == (0xff00 | eq),
	      "rep insw across the end (the 8-bit port floats high above)");
	fill(p - 16, 16, 0);
	r = sr((u64)p - 6, 0, 4, 0, CMOS_DATA, 0);
	op_insl(&r);
	check(*(volatile u32 *)(p - 6) == (0xffffff00u | eq) &&
		      *(volatile u16 *)(p - 2) == (0xff00 | eq),
	      "rep insd with a dword across the end: its RAM half is written");
	fill(p - 16, 16, 0);
	r = sr((u64)p + 7, 0, 16, 0, CMOS_DATA, 1);
	op_insb(&r);
	check(all_bytes(p - 8, 8, eq) && p[-9] == 0 && r.rdi == (u64)p - 9,
	      "rep insb with DF=1 from past RAM down into RAM");

	r = sr((u64)p - 16, 0, HUGE, 0, CMOS_DATA, 0);
	fault_reset();
	op_insb(&r);
	expect_pf("rep insb, huge count: #PF at the hole", PFE_W, WIN_HOLE);
	check(r.rcx == HUGE - RAN && r.rdi == WIN_HOLE, "rep insb: RCX and RDI at the fault");

	p[-2] = 0x3c;
	p[-1] = 0x4d;
	r = sr(0, (u64)p - 2, 4, 0, UART_SCR, 0);
	op_outsb(&r);
	check(inb(UART_SCR) == 0xff && r.rsi == (u64)p + 2,
	      "rep outsb across the end: the last byte out (past RAM) is all-ones");
	r = sr(0, (u64)p + 1, 4, 0, UART_SCR, 1);
	op_outsb(&r);
	check(inb(UART_SCR) == 0x3c && r.rsi == (u64)p - 3,
	      "rep outsb with DF=1: the last byte out comes from RAM");
	/* A word at the UART's last port: its upper byte is port 0x400. */
	outb(UART_SCR, 0x5a);
	check_eq(inw(UART_SCR), 0xff5a, "in word at 0x3ff: the scratch register, then port 0x400");
	fill(p - 8, 8, 0);
	r = sr((u64)p - 4, 0, 4, 0, UART_SCR, 0);
	op_insw(&r);
	check(*(volatile u32 *)(p - 4) == 0xff5aff5a && r.rdi == (u64)p + 4,
	      "rep insw from 0x3ff across the end of RAM");

	p[-2] = 0x34;
	p[-1] = 0x12;
	r = sr(0, (u64)p - 2, 1, 0, PCI_ADDRESS, 0);
	op_outsl(&r);
	check_eq(inl(PCI_ADDRESS), 0xffff1234u & PCI_ADDRESS_WRITABLE,
		 "rep outsd of a dword across the end (to CONFIG_ADDRESS)");
	outl(PCI_ADDRESS, 0);

	r = sr(0, (u64)p - 16, HUGE, 0, PORT_UNCLAIMED, 0);
	fault_reset();
	op_outsb(&r);
	expect_pf("rep outsb, huge count: #PF at the hole", 0, WIN_HOLE);
	check(r.rcx == HUGE - RAN && r.rsi == WIN_HOLE, "rep outsb: RCX and RSI at the fault");
}

/* ---- physical pages far above RAM, and paging structures past RAM ---- */

static void test_far_pages(void)
{
	static const u64 far[] = { 0xfffff000ul, MAXPHYS - PAGE_SIZE };

	kprintf("isolation: pages far above RAM\n");
	for (unsigned k = 0; k < ARRAY_SIZE(far); k++) {
		map4k(WIN, far[k]);
		Q(WIN + 8) = 0;
		check(Q(WIN) == ONES && Q(WIN + 8) == ONES,
		      "physical %lx: reads all-ones, stores dropped", far[k]);
	}
	map4k(WIN, MAXPHYS);
	fault_reset();
	probe_read8((void *)(WIN + 5));
	expect_pf("a PTE with physical address 2^40 (beyond MAXPHYADDR): read", PFE_P | PFE_RSVD,
		  WIN + 5);
	map4k(WIN, PTE_ADDR);
	fault_reset();
	probe_write8((void *)WIN, 1);
	expect_pf("a PTE with every address bit set: write", PFE_P | PFE_RSVD | PFE_W, WIN);
	map4k(WIN, low_end);
	pt_entry(pml4, WIN, 1, 0)[0] &= ~(PTE_A | PTE_D);
	invlpg((void *)WIN);
	Q(WIN) = 0;
	check((*pt_entry(pml4, WIN, 1, 0) & (PTE_A | PTE_D)) == (PTE_A | PTE_D),
	      "the PTE (in RAM) of a page past RAM gets A and D set");
}

/* BAD's PML4E, or a PDPTE or PDE under it, points at `table`. */
static void bad_tables(int level, u64 table)
{
	static u64 *pdpt, *pd;

	if (!pdpt) {
		pdpt = pt_new();
		pd = pt_new();
	}
	memset(pdpt, 0, PAGE_SIZE);
	memset(pd, 0, PAGE_SIZE);
	if (level == 4) {
		pml4[BAD >> 39 & 511] = table | PTE_P | PTE_W;
	} else {
		pml4[BAD >> 39 & 511] = (u64)pdpt | PTE_P | PTE_W;
		if (level == 3) {
			pdpt[0] = table | PTE_P | PTE_W;
		} else {
			pdpt[0] = (u64)pd | PTE_P | PTE_W;
			pd[0] = table | PTE_P | PTE_W;
		}
	}
	flush_all();
}

static void test_paging(void)
{
	static const char *const rd[] = { "", "", "a PT just past RAM (all-ones PTEs): read",
					  "a PD just past RAM (all-ones PDEs): read",
					  "a PDPT just past RAM (all-ones PDPTEs): read" };
	static const char *const wr[] = { "", "", "a PT just past RAM: write",
					  "a PD just past RAM: write", "a PDPT just past RAM: write" };
	u64 va = BAD + 0x123;

	kprintf("isolation: paging structures past RAM\n");
	for (int level = 4; level >= 2; level--) {
		bad_tables(level, low_end);
		fault_reset();
		probe_read8((void *)va);
		expect_pf(rd[level], PFE_P | PFE_RSVD, va);
		fault_reset();
		probe_write8((void *)va, 1);
		expect_pf(wr[level], PFE_P | PFE_RSVD | PFE_W, va);
	}
	bad_tables(4, 0xfffff000ul);
	fault_reset();
	probe_read8((void *)va);
	expect_pf("a PDPT at physical 0xfffff000", PFE_P | PFE_RSVD, va);
	bad_tables(4, MAXPHYS - PAGE_SIZE);
	fault_reset();
	probe_read8((void *)va);
	expect_pf("a PDPT at the top physical page", PFE_P | PFE_RSVD, va);
	bad_tables(4, MAXPHYS);
	fault_reset();
	probe_read8((void *)va);
	expect_pf("a PML4E pointing beyond MAXPHYADDR", PFE_P | PFE_RSVD, va);
	pml4[BAD >> 39 & 511] = 0;
	flush_all();

	fault_reset();
	asm volatile(PROBE_BEGIN "1: mov %0, %%cr3\n\t" PROBE_END
		     : : "r"(MAXPHYS | read_cr3()) : "r11", "memory");
	expect_fault("mov to CR3 beyond MAXPHYADDR", VEC_GP, 0);
}

/* A 2 MiB and a 1 GiB page holding the end of RAM (and the next one). */
static void test_large_pages(const char *where, u64 end)
{
	volatile u8 *p = window_at_end(end);
	u64 pa2 = (end - 1) & ~(SZ_2M - 1), pa1 = (end - 1) & ~(SZ_1G - 1);
	u64 va2 = BAD + SZ_1G, va1 = BAD + 4 * SZ_1G;

	kprintf("isolation: large pages at the %s (%lx)\n", where, end);
	for (int k = 1; k <= 4; k++)
		p[-k] = (u8)(0xb0 + k);
	*pt_entry(pml4, va2, 2, 1) = pa2 | PTE_P | PTE_W | PTE_PS;
	*pt_entry(pml4, va2 + SZ_2M, 2, 1) = (pa2 + SZ_2M) | PTE_P | PTE_W | PTE_PS;
	*pt_entry(pml4, va1, 3, 1) = pa1 | PTE_P | PTE_W | PTE_PS;
	*pt_entry(pml4, va1 + SZ_1G, 3, 1) = (pa1 + SZ_1G) | PTE_P | PTE_W | PTE_PS;
	flush_all();
	check_eq(Q(va2 + (end - pa2) - 4), 0xffffffffb1b2b3b4ul,
		 "through a 2 MiB page: a qword across the end of RAM");
	check_eq(Q(va1 + (end - pa1) - 4), 0xffffffffb1b2b3b4ul,
		 "through a 1 GiB page: a qword across the end of RAM");
	Q(va1 + (end - pa1) + 64) = 0;
	check_eq(Q(va1 + (end - pa1) + 64), ONES, "through a 1 GiB page: stores past RAM dropped");
	pml4[BAD >> 39 & 511] = 0;
	flush_all();
}

/* ---- descriptor tables ---- */

static u64 sys_lo(u64 base, u32 limit, unsigned type)
{
	return (limit & 0xffff) | (base & 0xffffff) << 16 | (u64)type << 40 | 1ul << 47 |
	       (u64)(limit >> 16 & 0xf) << 48 | (base >> 24 & 0xff) << 56;
}

static u64 sys_hi(u64 base)
{
	return base >> 32;
}

/* In a probe: load `sel` into DS or SS, LTR or LLDT it, or far JMP or
 * RET to it; then put our DS back. */
enum { LD_DS, LD_SS, LD_TR, LD_LDT, LD_JMP, LD_RET };
static u16 loaded_ds; /* DS after load_sel(), before it puts ours back */

static void load_sel(int how, u16 sel)
{
	struct {
		u32 off;
		u16 sel;
	} __attribute__((packed)) far = { 0, sel };

	fault_reset();
	switch (how) {
	case LD_DS:
		asm volatile(PROBE_BEGIN "1: mov %0, %%ds\n\t" PROBE_END : : "r"(sel) : "r11", "memory");
		break;
	case LD_SS:
		asm volatile(PROBE_BEGIN "1: mov %0, %%ss\n\t" PROBE_END : : "r"(sel) : "r11", "memory");
		break;
	case LD_TR:
		asm volatile(PROBE_BEGIN "1: ltr %0\n\t" PROBE_END : : "r"(sel) : "r11", "memory");
		break;
	case LD_LDT:
		asm volatile(PROBE_BEGIN "1: lldt %0\n\t" PROBE_END : : "r"(sel) : "r11", "memory");
		break;
	case LD_JMP:
		asm volatile(PROBE_BEGIN "1: ljmpl *%0\n\t" PROBE_END : : "m"(far) : "r11", "memory");
		break;
	case LD_RET:
		asm volatile(PROBE_BEGIN "pushq %q0\n\t"
					 "pushq $0\n"
					 "1: lretq\n\t" PROBE_END
			     : : "r"((u64)sel) : "r11", "memory");
		break;
	}
	loaded_ds = read_ds();
	asm volatile("mov %0, %%ds" : : "r"(SEL_KDATA));
}

static u16 read_ldtr(void)
{
	u16 v;

	asm volatile("sldt %0" : "=r"(v));
	return v;
}

static void lldt(u16 sel)
{
	asm volatile("lldt %0" : : "r"(sel) : "memory");
}

/* LAR (access rights, ZF) and LSL of `sel`. */
static int lar(u16 sel, u64 *ar)
{
	u8 zf;

	asm volatile("lar %2, %0\n\tsetz %1" : "=r"(*ar), "=q"(zf) : "r"((u64)sel) : "cc");
	return zf;
}

static int lsl(u16 sel, u64 *limit)
{
	u8 zf;

	asm volatile("lsl %2, %0\n\tsetz %1" : "=r"(*limit), "=q"(zf) : "r"((u64)sel) : "cc");
	return zf;
}

static int verr(u16 sel)
{
	u8 zf;

	asm volatile("verr %1\n\tsetz %0" : "=q"(zf) : "r"(sel) : "cc");
	return zf;
}

static int verw(u16 sel)
{
	u8 zf;

	asm volatile("verw %1\n\tsetz %0" : "=q"(zf) : "r"(sel) : "cc");
	return zf;
}

/* An all-ones descriptor: a present, accessed, conforming, readable code
 * segment of DPL 3 with L and D both set and a 4 GiB limit. */
static void check_ones_descriptor(u16 sel, const char *table)
{
	u64 ar = 0, limit = 0;
	int zf;

	load_sel(LD_DS, sel);
	check(last_fault.count == 0 && loaded_ds == sel,
	      "%s: an all-ones descriptor (conforming readable code) loads into DS", table);
	zf = lar(sel, &ar);
	check(zf && (ar & 0x00f0ff00) == 0x00f0ff00, "%s: LAR of an all-ones descriptor", table);
	zf = lsl(sel, &limit);
	check(zf && limit == 0xffffffff, "%s: LSL of an all-ones descriptor is 4 GiB - 1", table);
	check(verr(sel) && !verw(sel), "%s: VERR yes, VERW no", table);
	load_sel(LD_SS, sel);
	expect_fault("all-ones descriptor into SS", VEC_GP, sel);
}

#define T_RAM 6 /* GDT entries in RAM: null, code, data, LDT (2), TSS low half */
#define S_LDT 0x18
#define S_TSS 0x28 /* its upper half lies past RAM */
#define S_ONES 0x30
#define S_BEYOND 0x50
#define T_LIMIT (S_BEYOND - 1)

static void test_gdt(void)
{
	volatile u64 *t = (volatile u64 *)(WIN + PAGE_SIZE - 8 * T_RAM);
	struct dtr d = { T_LIMIT, (u64)t };

	kprintf("isolation: a GDT across the end of RAM\n");
	window_at_end(low_end);
	t[0] = 0;
	t[1] = gdt[SEL_KCODE / 8];
	t[2] = gdt[SEL_KDATA / 8];
	t[3] = sys_lo(WIN + PAGE_SIZE, 0xff, 2); /* an LDT past RAM */
	t[4] = sys_hi(WIN + PAGE_SIZE);
	t[5] = sys_lo(WIN, 0x67, 9); /* an available 64-bit TSS, upper half past RAM */
	lgdt(&d);

	load_sel(LD_DS, SEL_KDATA);
	expect_no_fault("GDT across the end: a data segment from RAM");
	check_ones_descriptor(S_ONES, "GDT");
	load_sel(LD_JMP, S_ONES);
	expect_fault("far jmp to an all-ones descriptor (conforming, DPL 3 > CPL)", VEC_GP, S_ONES);
	load_sel(LD_RET, S_ONES);
	expect_fault("far ret to an all-ones descriptor (conforming, DPL 3 > RPL)", VEC_GP, S_ONES);
	load_sel(LD_TR, S_ONES);
	expect_fault("ltr of an all-ones descriptor (not a TSS)", VEC_GP, S_ONES);
	load_sel(LD_LDT, S_ONES);
	expect_fault("lldt of an all-ones descriptor (not an LDT)", VEC_GP, S_ONES);
	load_sel(LD_DS, S_BEYOND);
	expect_fault("a selector beyond the GDT limit", VEC_GP, S_BEYOND);
	load_sel(LD_TR, S_TSS);
	expect_fault("ltr of a TSS descriptor whose upper half is past RAM (type not 0)", VEC_GP,
		     S_TSS);
	check_eq(t[5] >> 40 & 0xf, 9, "... and the TSS is not marked busy");

	/* An LDT past RAM: every descriptor in it is all-ones. */
	load_sel(LD_LDT, S_LDT);
	expect_no_fault("lldt of an LDT that lies past RAM");
	check_ones_descriptor(0x0c, "LDT past RAM");
	lldt(0);
	gdt_load();
}

/* A GDT in RAM with an LDT across the end of RAM. */
static u64 gdt2[16] ALIGNED(16);
#define S2_LDT 0x40
#define S2_TSS 0x50

static void gdt2_load(void)
{
	struct dtr d = { sizeof(gdt2) - 1, (u64)gdt2 };

	memcpy(gdt2, gdt, sizeof(gdt));
	lgdt(&d);
}

static void test_ldt(void)
{
	volatile u64 *ldt = (volatile u64 *)(WIN + PAGE_SIZE - 8);

	kprintf("isolation: an LDT across the end of RAM\n");
	window_at_end(low_end);
	ldt[0] = gdt[SEL_KDATA / 8];
	gdt2_load();
	gdt2[S2_LDT / 8] = sys_lo((u64)ldt, 0x0f, 2);
	gdt2[S2_LDT / 8 + 1] = sys_hi((u64)ldt);
	lldt(S2_LDT);
	load_sel(LD_DS, 0x04);
	expect_no_fault("LDT across the end: a data segment from RAM");
	check_ones_descriptor(0x0c, "LDT across the end");
	load_sel(LD_DS, 0x14);
	expect_fault("a selector beyond the LDT limit", VEC_GP, 0x14);
	check_eq(read_ldtr(), S2_LDT, "LDTR still holds the LDT");
	lldt(0);
	gdt_load();
}

/* ---- the TSS: IST pointers read past RAM ---- */

static volatile u64 ist_ss_slot;

static void ist_handler(struct intr_frame *f)
{
	ist_ss_slot = (u64)&f->ss;
}

/* Make `tss` this CPU's TSS, raise VEC_IST (IST1), and restore ours. */
static u64 ist_frame_with_tss(u64 tss)
{
	gdt2_load();
	gdt2[S2_TSS / 8] = sys_lo(tss, 0x67, 9);
	gdt2[S2_TSS / 8 + 1] = sys_hi(tss);
	ltr(S2_TSS);
	ist_ss_slot = 0;
	asm volatile("int %0" : : "i"(VEC_IST) : "memory");
	gdt[SEL_TSS / 8] &= ~(2ul << 40); /* ours is busy: make it available again */
	gdt_load();
	ltr(SEL_TSS);
	return ist_ss_slot;
}

static void test_tss(void)
{
	volatile u8 *p = window_at_end(low_end);
	u64 tss = (u64)p - 0x28; /* IST1 (at 0x24) has its upper half past RAM */

	kprintf("isolation: a TSS across the end of RAM and past it\n");
	map4k(IST_HALF, frame_alloc());
	map4k(IST_ONES, frame_alloc());
	idt_set_handler(VEC_IST, ist_handler);
	idt_set_ist(VEC_IST, 1);
	fill((volatile u8 *)tss, 0x28, 0);
	*(volatile u32 *)(tss + 0x24) = (u32)(IST_HALF + 0x1000);
	check_eq(ist_frame_with_tss(tss), IST_HALF + 0x1000 - 8,
		 "IST1 across the end of RAM: the frame goes where RAM half + all-ones says");
	check_eq(ist_frame_with_tss((u64)p), IST_ONES + 0xff0 - 8,
		 "IST1 past RAM: all-ones, the frame goes to the top of the address space");
	idt_set_ist(VEC_IST, 0);
	idt_set_handler(VEC_IST, NULL);
}

/* ---- the IDT ---- */

static void test_idt(void)
{
	u64 base = WIN + PAGE_SIZE - 0x1f8; /* gate VEC_HALF straddles the end */
	struct dtr d = { 0xfff, base };
	u64 target = 0xffffffff00000000ul | (u64)idt[VEC_HALF].off_mid << 16 | idt[VEC_HALF].off_lo;

	kprintf("isolation: an IDT across the end of RAM\n");
	window_at_end(low_end);
	memcpy((void *)base, idt, 0x1f8);
	lldt(0);
	lidt(&d);

	fault_reset();
	asm volatile(PROBE_BEGIN "1: int %0\n\t" PROBE_END : : "i"(VEC_EXT) : "r11", "memory");
	expect_fault("int through an all-ones gate (CS 0xffff, null LDT)", VEC_GP, 0xfffc);

	lapic_enable(0xff);
	lapic_send_ipi(0, ICR_SELF | ICR_FIXED | VEC_EXT);
	fault_reset();
	asm volatile(PROBE_BEGIN "sti\n\t"
				 "1: nop\n\t"
				 "nop\n\t"
				 "cli\n\t" PROBE_END
		     : : : "r11", "memory");
	cli();
	check(last_fault.count == 1 && last_fault.vector == VEC_GP && last_fault.error == 0xfffd,
	      "an external interrupt through an all-ones gate: #GP(0xfffc | EXT)");
	if (last_fault.error != 0xfffd)
		kprintf("    got %d exception(s), vector %d error %lx\n", last_fault.count,
			last_fault.vector, last_fault.error);
	lapic_eoi();

	fault_reset();
	asm volatile(PROBE_BEGIN "1: int %0\n\t" PROBE_END : : "i"(VEC_HALF) : "r11", "memory");
	expect_pf("int through a gate with its upper half past RAM: to 0xffffffff:offset", PFE_I,
		  target);

	d.limit = 0x1ff;
	lidt(&d);
	fault_reset();
	asm volatile(PROBE_BEGIN "1: int $0x20\n\t" PROBE_END : : : "r11", "memory");
	expect_fault("int beyond the IDT limit", VEC_GP, 0x20 * 8 + 2);
	idt_load();
}

/* ---- device pages ---- */

static void test_device_pages(void)
{
	static const struct {
		u64 base;
		const char *name;
	} dev[] = { { LAPIC_BASE, "local APIC" }, { IOAPIC_BASE, "I/O APIC" } };
	u64 old = rdmsr(MSR_APIC_BASE), moved = (old & 0xfff) | low_end;

	kprintf("isolation: device pages\n");
	for (unsigned k = 0; k < ARRAY_SIZE(dev); k++) {
		window3(dev[k].base, dev[k].base + PAGE_SIZE, dev[k].base + PAGE_SIZE);
		check_eq(Q(WIN + PAGE_SIZE - 4), 0xffffffff00000000ul,
			 "a qword across the end of the %s page: 0 (no register), then all-ones",
			 dev[k].name);
	}

	/* Relocating the local APIC: encore keeps it at its power-on base. */
	wrmsr(MSR_APIC_BASE, moved);
	check_eq(rdmsr(MSR_APIC_BASE), moved, "IA32_APIC_BASE takes a base past RAM");
	map4k(WIN, low_end);
	kprintf("  info: with the APIC base past RAM, its version register reads %x there, "
		"%x at %lx\n",
		*(volatile u32 *)(WIN + 0x30), lapic_read(0x30), LAPIC_BASE);
	wrmsr(MSR_APIC_BASE, old);
}

int main(void)
{
	test_start("isolation");
	gdt_init();
	idt_init();
	pml4 = pt_identity(PTE_P | PTE_W);
	map4k(LAPIC_BASE, LAPIC_BASE);
	write_cr3((u64)pml4);
	find_ram();

	test_plain("end of RAM", low_end);
	test_string_ops("end of RAM", low_end);
	test_string_io("end of RAM", low_end);
	test_wraps();
	test_far_pages();
	test_paging();
	test_large_pages("end of RAM", low_end);
	test_gdt();
	test_ldt();
	test_tss();
	test_idt();
	test_device_pages();
	if (high_end) {
		test_plain("end of RAM above 4 GiB", high_end);
		test_string_ops("end of RAM above 4 GiB", high_end);
		test_large_pages("end of RAM above 4 GiB", high_end);
	}
	return test_finish();
}
