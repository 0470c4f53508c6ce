/*
 * The x86 page walk for observers (plugins, the debugger, reports): in
 * software, changing nothing in the guest (no accessed or dirty bits, no
 * faults) and ignoring permissions.
 */
#include <string.h>

#include "arch/x86/x86_arch.h"
#include "encore/cpu_state.h"
#include "encore/machine.h"

#define CR4_LA57 (1ull << 12)
#define PTE_P 1ull
#define PTE_PS (1ull << 7)

static bool read_phys(struct encore_machine *m, u64 paddr, void *out, unsigned size)
{
	u8 *p = machine__ram_ptr(m, paddr);
	if (!p || (paddr & 0xfff) + size > 0x1000)
		return false;
	memcpy(out, p, size);
	return true;
}

/* Long mode and PAE: 8-byte entries, 9 bits per level. */
static bool walk_wide(struct encore_machine *m, u64 table, u64 va, int levels, u64 *pa)
{
	const u64 addr_mask = 0x000ffffffffff000ull;
	for (int level = levels - 1; level >= 0; level--) {
		unsigned shift = 12 + 9 * level;
		u64 entry;
		u64 index = levels == 3 && level == 2 ? (va >> 30) & 3 : (va >> shift) & 511;
		u64 base = table & (levels == 3 && level == 2 ? 0xffffffe0ull : addr_mask);
		if (!read_phys(m, base + index * 8, &entry, 8) || !(entry & PTE_P))
			return false;
		if (level == 0 || ((entry & PTE_PS) && level <= 2 && !(levels == 3 && level == 2))) {
			u64 page_mask = (1ull << shift) - 1;
			*pa = (entry & addr_mask & ~page_mask) | (va & page_mask);
			return true;
		}
		table = entry;
	}
	return false;
}

/* 32-bit paging: 4-byte entries, 4 MiB pages with CR4.PSE. */
static bool walk_legacy(struct encore_machine *m, u64 cr3, bool pse, u32 va, u64 *pa)
{
	u32 pde, pte;
	if (!read_phys(m, (cr3 & 0xfffff000) + (va >> 22) * 4, &pde, 4) || !(pde & PTE_P))
		return false;
	if (pse && (pde & PTE_PS)) {
		*pa = (pde & 0xffc00000u) | (va & 0x3fffff);
		return true;
	}
	if (!read_phys(m, (pde & 0xfffff000u) + ((va >> 12) & 1023) * 4, &pte, 4) || !(pte & PTE_P))
		return false;
	*pa = (pte & 0xfffff000u) | (va & 0xfff);
	return true;
}

bool x86__virt_to_phys(struct encore_machine *m, const void *state, u64 va, u64 *pa)
{
	const struct encore_cpu_state *s = state;
	if (!(s->cr0 & CR0_PG)) {
		*pa = va;
		return true;
	}
	if (s->efer & EFER_LMA)
		return walk_wide(m, s->cr3, va, s->cr4 & CR4_LA57 ? 5 : 4, pa);
	if (s->cr4 & CR4_PAE)
		return walk_wide(m, s->cr3 & 0xffffffe0, (u32)va, 3, pa);
	return walk_legacy(m, s->cr3, s->cr4 & CR4_PSE, (u32)va, pa);
}
