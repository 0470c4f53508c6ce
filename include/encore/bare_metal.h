/*
 * x86-64 bare-metal guests: a freestanding x86-64 ELF whose PT_LOAD
 * segments go to their physical addresses; the CPU starts at e_entry in
 * 64-bit mode with the first 4 GiB identity-mapped.
 */
#ifndef ENCORE_BARE_METAL_H
#define ENCORE_BARE_METAL_H

#include "encore/cpu_reset.h"
#include "encore/machine.h"

/* encore's own boot structures for bare-metal guests live here. */
#define BARE_PML4 0x1000ull    /* PML4, PDPT at +0x1000, 4 PDs after it */
#define BARE_GDT 0x7000ull     /* null, code64 (0x08), data (0x10) */
#define BARE_STACK_TOP 0x9000ull /* stack page 0x8000..0x8fff */
#define BARE_RESERVED_END 0x10000ull /* guests load at or above 64 KiB */
#define BARE_SEL_CODE 0x08
#define BARE_SEL_DATA 0x10

/*
 * Build the identity map, GDT and stack in guest RAM and fill `s` with a
 * 64-bit, CPL 0, interrupts-off state whose RIP is `entry`.
 */
int bare_metal__prepare(struct encore_machine *m, struct encore_cpu_state *s, u64 entry);

/* The identity map of the first 4 GiB (2 MiB pages) at BARE_PML4. */
void bare_metal__identity_map(struct encore_machine *m);

#endif
