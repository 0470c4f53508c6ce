/*
 * Loading guests into a machine.  A bare-metal guest is a freestanding
 * x86-64 ELF: PT_LOAD segments go to their physical addresses and the CPU
 * starts at e_entry in 64-bit mode with the first 4 GiB identity-mapped.
 */
#ifndef ENCORE_LOADER_H
#define ENCORE_LOADER_H

#include "encore/machine.h"

/* encore's own boot structures for bare-metal guests live here. */
#define BARE_PML4 0x1000ull    /* PML4, PDPT at +0x1000, 4 PDs after it */
#define BARE_GDT 0x7000ull     /* null, code64 (0x08), data (0x10) */
#define BARE_STACK_TOP 0x9000ull /* stack page 0x8000..0x8fff */
#define BARE_RESERVED_END 0x10000ull /* guests load at or above 64 KiB */
#define BARE_SEL_CODE 0x08
#define BARE_SEL_DATA 0x10

/* Power-on values of the modelled state (PAT, FPU control words, ...). */
void cpu_state__reset(struct encore_cpu_state *s);

/*
 * Build the identity map, GDT and stack in guest RAM and fill `s` with a
 * 64-bit, CPL 0, interrupts-off state whose RIP is `entry`.
 */
int bare_metal__prepare(struct encore_machine *m, struct encore_cpu_state *s, u64 entry);

/* Load an ELF64 executable's PT_LOAD segments; returns 0 and *entry, or -errno
 * with a message in err. */
int elf__load(struct encore_machine *m, const char *path, u64 *entry, char *err, size_t errlen);

#endif
