/*
 * accessed: the accessed (A) and dirty (D) bits of 4-level paging, as the
 * Intel SDM (vol. 3A 4.8, 4.10) and the AMD APM (vol. 2 ch. 5) specify them.
 *
 * - A read through a fresh PTE sets A and leaves D clear; the walk sets A
 *   in the PML4E, PDPTE and PDE too.  A write sets D (and A).
 * - A write through a translation cached by an earlier read (so cached
 *   with D = 0) still sets D in memory.
 * - After software clears A and D and invalidates the translation (INVLPG,
 *   or a CR3 reload), the next read sets A and the next write sets D.
 * - After clearing A in every level and reloading CR3, the next walk sets
 *   A in every level again.
 *
 * - Loading a segment selector (a far return for CS, MOV for DS) sets the
 *   accessed bit of its descriptor.
 *
 * Whether A and D come back after a clear WITHOUT an invalidation is left
 * open by both manuals (a cached translation may be used, and it already
 * records A = D = 1): that is only reported, on a line starting
 * "unspecified:".
 *
 * The tests run on our own tables: the identity map of pt_identity() for
 * the image and stacks, and a test region in PML4 slot 3 (T_BASE) that
 * nothing else walks through, so its upper-level entries change only for
 * these tests.
 */
#include "rt.h"

#define T_BASE 0x18000000000ul /* PML4 slot 3 */
#define T_PAGES 5
#define PTE_AD (PTE_A | PTE_D)

static u64 *pml4;
static u64 frames[T_PAGES];

static u64 page(int k)
{
	return T_BASE + (u64)k * PAGE_SIZE;
}

/* The entry for page k at `level` (1 = PTE ... 4 = PML4E). */
static volatile u64 *entry(int k, int level)
{
	return pt_entry(pml4, page(k), level, 0);
}

static u64 pte(int k)
{
	return *entry(k, 1);
}

/*
 * The processor may walk the tables for loads it runs speculatively
 * (SDM 4.10.2.3), so an access could set A before the instructions ahead
 * of it have read the entry.  LFENCE before each access keeps it from
 * starting early; MFENCE+LFENCE after it keep our next reads of the
 * tables from passing the access (and its A/D update).
 */
static u64 do_read(u64 va)
{
	u64 v;

	asm volatile("lfence\n\t"
		     "mov (%1), %0\n\t"
		     "mfence\n\t"
		     "lfence"
		     : "=r"(v)
		     : "r"(va)
		     : "memory");
	return v;
}

static void do_write(u64 va, u64 v)
{
	asm volatile("lfence\n\t"
		     "mov %1, (%0)\n\t"
		     "mfence\n\t"
		     "lfence"
		     :
		     : "r"(va), "r"(v)
		     : "memory");
}

/*
 * Clear A and D in an entry with a locked AND, as an OS does: on a
 * multiprocessor another CPU's walk may set D between a plain read and
 * write-back, and that update would be lost.  (One CPU would do with a
 * plain store.)  Clearing is not enough by itself: the TLB and the
 * paging-structure caches may keep the translation, which was only cached
 * after A was set (SDM 4.10.2.3, 4.10.3.1) and which records D.  While
 * such an entry is used, the processor has no reason to write A or D
 * again, and the manuals allow it not to (SDM 4.8, 4.10.4.3).  Only an
 * invalidation (INVLPG, a CR3 reload) guarantees that the next access
 * walks the tables in memory and sets the bits again.
 */
static void clear_bits(volatile u64 *e, u64 bits)
{
	__atomic_fetch_and(e, ~bits, __ATOMIC_SEQ_CST);
}

static void check_ad(int k, u64 want, const char *what)
{
	check_eq(pte(k) & PTE_AD, want, "%s: PTE A=%d D=%d", what, !!(want & PTE_A),
		 !!(want & PTE_D));
}

static void test_fresh(void)
{
	static const char *const names[5] = { "", "PTE", "PDE", "PDPTE", "PML4E" };
	u64 before[5], after[5];

	for (int l = 1; l <= 4; l++)
		before[l] = *entry(0, l);
	check_eq(do_read(page(0)), 0x1000, "read through a fresh PTE returns the frame's data");
	for (int l = 1; l <= 4; l++)
		after[l] = *entry(0, l);
	for (int l = 4; l >= 2; l--) {
		check_eq(before[l] & PTE_A, 0, "before the first walk: A clear in the %s", names[l]);
		check_eq(after[l] & PTE_A, PTE_A, "the first walk sets A in the %s", names[l]);
	}
	check_eq(before[1] & PTE_AD, 0, "before the first access: PTE A=0 D=0");
	check_eq(after[1] & PTE_AD, PTE_A, "first read: PTE A=1 D=0");

	do_write(page(0), 0x1001);
	check_ad(0, PTE_AD, "then a write");
	check_eq(*(volatile u64 *)frames[0], 0x1001, "the write reached the frame");
}

static void test_write_first(void)
{
	check_eq(pte(1) & PTE_AD, 0, "before the first access to page 1: PTE A=0 D=0");
	do_write(page(1), 0x2001);
	check_ad(1, PTE_AD, "first access a write");
}

/* Read then write with nothing in between: the write uses the TLB entry
 * the read created, which holds D = 0, and must still set D in memory. */
static void test_read_then_write(void)
{
	u64 after_read, after_write;

	check_eq(pte(2) & PTE_AD, 0, "before the first access to page 2: PTE A=0 D=0");
	do_read(page(2));
	after_read = pte(2);
	do_write(page(2), 0x3001);
	after_write = pte(2);
	check_eq(after_read & PTE_AD, PTE_A, "read: PTE A=1 D=0");
	check_eq(after_write & PTE_AD, PTE_AD,
		 "write right after, through the translation the read cached: PTE A=1 D=1");
}

static void invalidate_invlpg(void)
{
	invlpg((void *)page(0));
}

static void invalidate_cr3(void)
{
	write_cr3(read_cr3());
}

/* Page 0 has been read and written, so A and D are set and cached. */
static void test_clear_and_invalidate(void (*invalidate)(void), const char *how)
{
	check_eq(pte(0) & PTE_AD, PTE_AD, "%s: page 0 starts with PTE A=1 D=1", how);
	clear_bits(entry(0, 1), PTE_AD);
	invalidate();
	check_eq(pte(0) & PTE_AD, 0, "%s: A and D cleared, translation invalidated", how);
	do_read(page(0));
	check_eq(pte(0) & PTE_AD, PTE_A, "%s: the next read sets A again: PTE A=1 D=0", how);
	do_write(page(0), 0x1002);
	check_eq(pte(0) & PTE_AD, PTE_AD, "%s: the next write sets D again: PTE A=1 D=1", how);
}

static void test_upper_levels(void)
{
	static const char *const names[5] = { "", "PTE", "PDE", "PDPTE", "PML4E" };

	do_read(page(3));
	for (int l = 1; l <= 4; l++)
		clear_bits(entry(3, l), PTE_A);
	invalidate_cr3();
	for (int l = 4; l >= 1; l--)
		check_eq(*entry(3, l) & PTE_A, 0, "A cleared in the %s", names[l]);
	do_read(page(3));
	for (int l = 4; l >= 1; l--)
		check_eq(*entry(3, l) & PTE_A, PTE_A,
			 "after a CR3 reload the next walk sets A in the %s again", names[l]);
	check_eq(pte(3) & PTE_D, 0, "and leaves D clear in the PTE");
}

/* The unspecified case: clear without invalidating.  Reported, not checked. */
static void report_no_invalidation(void)
{
	u64 after_read, after_write;

	do_write(page(4), 0x6001);
	do_read(page(4));
	check_ad(4, PTE_AD, "page 4 read and written");
	clear_bits(entry(4, 1), PTE_AD);
	do_read(page(4));
	after_read = pte(4);
	do_write(page(4), 0x6002);
	after_write = pte(4);
	invlpg((void *)page(4));
	kprintf("unspecified: after clearing A and D without an invalidation, the next read %s A "
		"and the next write %s D\n",
		after_read & PTE_A ? "set" : "did not set", after_write & PTE_D ? "set" : "did not set");
}

/*
 * Segment descriptors have an accessed bit too (type bit 0, descriptor
 * bit 40): loading a selector sets it when clear, for CS by a far
 * transfer as for a data segment register (SDM vol. 3A 3.4.5.1).
 */
#define DESC_ACCESSED (1ul << 40)

static void far_return_to_kernel_code(void)
{
	asm volatile("pushq %0\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:"
		     : : "i"(SEL_KCODE) : "rax", "memory");
}

static void test_descriptor_accessed(void)
{
	gdt[SEL_KCODE / 8] &= ~DESC_ACCESSED;
	gdt[SEL_KDATA / 8] &= ~DESC_ACCESSED;
	far_return_to_kernel_code();
	asm volatile("mov %0, %%ds" : : "r"((u16)SEL_KDATA) : "memory");
	check(!!(gdt[SEL_KCODE / 8] & DESC_ACCESSED), "far return sets the code descriptor's accessed bit");
	check(!!(gdt[SEL_KDATA / 8] & DESC_ACCESSED), "mov to DS sets the data descriptor's accessed bit");
}

int main(void)
{
	test_start("accessed");
	gdt_init();
	idt_init();
	pml4 = pt_identity(PTE_P | PTE_W);
	for (int k = 0; k < T_PAGES; k++) {
		frames[k] = frame_alloc();
		*(u64 *)frames[k] = 0x1000 * (u64)(k + 1);
		pt_map(pml4, page(k), frames[k], PTE_P | PTE_W);
	}
	write_cr3((u64)pml4);
	kprintf("accessed: test pages at %lx on our own tables\n", T_BASE);

	test_fresh();
	test_write_first();
	test_read_then_write();
	test_clear_and_invalidate(invalidate_invlpg, "INVLPG");
	test_clear_and_invalidate(invalidate_cr3, "CR3 reload");
	test_upper_levels();
	test_descriptor_accessed();
	report_no_invalidation();
	return test_finish();
}
