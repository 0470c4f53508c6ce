/*
 * 4-level page tables with 4 KiB pages, built from a static pool.  Guest
 * memory below 8 MiB is identity-mapped by pt_identity(), so a table's
 * physical address is its pointer.
 */
#include "rt.h"

#define PT_POOL_PAGES 48

static u64 pt_pool[PT_POOL_PAGES][512] ALIGNED(4096);
static int pt_used;
static u64 next_frame = FRAMES_START;

u64 *pt_new(void)
{
	u64 *t;

	if (pt_used >= PT_POOL_PAGES)
		fail("page-table pool exhausted");
	t = pt_pool[pt_used++];
	memset(t, 0, PAGE_SIZE);
	return t;
}

u64 frame_alloc(void)
{
	u64 f = next_frame;

	if (f >= IDENTITY_END)
		fail("frame pool exhausted");
	next_frame += PAGE_SIZE;
	memset((void *)f, 0, PAGE_SIZE);
	return f;
}

u64 *pt_entry(u64 *pml4, u64 va, int level, int create)
{
	u64 *table = pml4;

	for (int l = 4; l > level; l--) {
		u64 *e = &table[va >> (12 + 9 * (l - 1)) & 511];

		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			*e = (u64)pt_new() | PTE_P | PTE_W | PTE_U;
		}
		if (*e & PTE_PS)
			return NULL; /* a large page sits above `level` */
		table = (u64 *)(*e & PTE_ADDR);
	}
	return &table[va >> (12 + 9 * (level - 1)) & 511];
}

void pt_map(u64 *pml4, u64 va, u64 pa, u64 flags)
{
	*pt_entry(pml4, va, 1, 1) = (pa & PTE_ADDR) | flags;
}

/* Map [va, va+size) to [pa, ...) in 4 KiB pages. */
static void pt_map_range(u64 *pml4, u64 va, u64 pa, u64 size, u64 flags)
{
	for (u64 off = 0; off < size; off += PAGE_SIZE)
		pt_map(pml4, va + off, pa + off, flags);
}

u64 *pt_identity(u64 flags)
{
	u64 *pml4 = pt_new();

	pt_map_range(pml4, PAGE_SIZE, PAGE_SIZE, IDENTITY_END - PAGE_SIZE, flags);
	return pml4;
}
