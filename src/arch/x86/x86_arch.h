/* The x86-64 architecture as shared code sees it (encore/arch.h). */
#ifndef ARCH_X86_ARCH_H
#define ARCH_X86_ARCH_H

#include "encore/arch.h"

/* The system registers and pending-event state, a line per group. */
void x86__describe_system(const void *state, char *out, size_t n);
bool x86__virt_to_phys(struct encore_machine *m, const void *state, u64 va, u64 *pa);

#endif
