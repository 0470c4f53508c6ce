/*
 * Boot state for bare-metal guests: an identity map of the first 4 GiB
 * with 2 MiB pages, a flat GDT and a stack, and a CPU already in 64-bit
 * long mode at CPL 0 with interrupts off.
 */
#include <string.h>

#include "encore/bare_metal.h"
#include "encore/loader.h"
#include "encore/pc.h"

#define PTE_P 1ull
#define PTE_W 2ull
#define PTE_PS 0x80ull

static void put64(struct encore_machine *m, u64 paddr, u64 v)
{
	memcpy(machine__ram_ptr(m, paddr), &v, 8);
	machine__note_ram_range(m, paddr, 8);
}

void bare_metal__identity_map(struct encore_machine *m)
{
	u64 pml4 = BARE_PML4, pdpt = pml4 + 0x1000, pd = pdpt + 0x1000;
	memset(machine__ram_ptr(m, pml4), 0, 6 * 0x1000);
	machine__note_ram_range(m, pml4, 6 * 0x1000);
	put64(m, pml4, pdpt | PTE_P | PTE_W);
	for (u64 g = 0; g < 4; g++) {
		put64(m, pdpt + 8 * g, (pd + 0x1000 * g) | PTE_P | PTE_W);
		for (u64 k = 0; k < 512; k++)
			put64(m, pd + 0x1000 * g + 8 * k,
			      ((g << 30) + (k << 21)) | PTE_P | PTE_W | PTE_PS);
	}
}

int bare_metal__prepare(struct encore_machine *m, struct encore_cpu_state *s, u64 entry)
{
	if (pc__low_ram(m) < BARE_RESERVED_END)
		return -1;
	bare_metal__identity_map(m);
	/* GDT: null, 64-bit code, data */
	put64(m, BARE_GDT, 0);
	put64(m, BARE_GDT + 8, 0x00af9b000000ffffull);
	put64(m, BARE_GDT + 16, 0x00cf93000000ffffull);
	cpu_state__reset(s);
	s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s->cr3 = BARE_PML4;
	s->cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	s->efer = EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE;
	s->gdtr.base = BARE_GDT;
	s->gdtr.limit = 23;
	segment__set_flat(&s->seg[SEG_CS], BARE_SEL_CODE, true, true, 0);
	for (int k = 0; k < SEG_COUNT; k++)
		if (k != SEG_CS)
			segment__set_flat(&s->seg[k], BARE_SEL_DATA, false, false, 0);
	s->tr.attr = SEG_ATTR_P | 0xb; /* busy 64-bit TSS with base 0 until the guest loads one */
	s->tr.limit = 0x67;
	s->ldtr.attr = SEG_ATTR_P | 0x2;
	s->gpr[REG_RSP] = BARE_STACK_TOP;
	s->rip = entry;
	return 0;
}
