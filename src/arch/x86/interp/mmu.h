/* Page-walk details shared by the MMU and the block cache. */
#ifndef INTERP_MMU_H
#define INTERP_MMU_H

#include "cpu.h"

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

#define PF_P (1u << 0)
#define PF_W (1u << 1)
#define PF_U (1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I (1u << 4)

/* Physical address width advertised by CPUID 0x80000008. */
#define PHYS_ADDR_BITS 40

/* Guest-physical RAM frame index for code-page tracking, or -1. */
static inline i64 ram_frame(struct encore_machine *m, u64 paddr)
{
	u8 *p = pc__ram_ptr(m, paddr);
	return p ? (i64)((u64)(p - m->ram) >> 12) : -1;
}

/* PAE paging outside long mode: false when a present PDPTE at `cr3` has a
 * reserved bit set (the CR write that loads them is then #GP). */
bool mmu_pae_pdptes_ok(struct cpu *c, u64 cr3);

/* Block cache hooks called by the MMU (block.c). */
bool code_page_has_blocks(struct cpu *c, i64 frame);
void code_page_invalidate(struct cpu *c, i64 frame);

#endif
