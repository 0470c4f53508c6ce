/* The x86-64 architecture as shared code sees it (encore/arch.h). */
#ifndef ARCH_X86_ARCH_H
#define ARCH_X86_ARCH_H

#include "encore/arch.h"

/* gdb's view (x86_gdb.c): the target description encore sends
 * (general registers, RIP, flags, segment selectors, x87, SSE, the FS/GS
 * bases), and register n of a state in that order (little-endian, at
 * most 16 bytes: its size, 0 if there is no register n). */
const char *x86__gdb_target_xml(void);
unsigned x86__gdb_nregs(void);
unsigned x86__gdb_reg(const void *state, unsigned n, u8 *out);
/* The system registers and pending-event state, a line per group. */
void x86__describe_system(const void *state, char *out, size_t n);
bool x86__virt_to_phys(struct encore_machine *m, const void *state, u64 va, u64 *pa);

#endif
