/*
 * Guest memory by virtual address, for observers: a software page walk
 * with no side effects on the guest (no accessed/dirty bits, no faults)
 * and no permission checks.
 */
#ifndef ENCORE_VIRT_READ_H
#define ENCORE_VIRT_READ_H

#include "encore/cpu_state.h"
#include "encore/machine.h"

/* Translate `va` under the paging mode of `s`; false if it is not mapped. */
bool machine__virt_to_phys(struct encore_machine *m, const struct encore_cpu_state *s, u64 va,
			   u64 *pa);
/* Copy `len` bytes at `va`; 0, or -1 if some byte is unmapped or not RAM. */
int machine__read_virt(struct encore_machine *m, const struct encore_cpu_state *s, u64 va,
		       void *buf, size_t len);

#endif
