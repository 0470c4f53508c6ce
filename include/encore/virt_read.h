/*
 * Guest memory by virtual address, for observers: translated by the
 * machine's architecture (encore/arch.h) as the vCPU with a given state
 * would, with no side effects on the guest and no permission checks.
 */
#ifndef ENCORE_VIRT_READ_H
#define ENCORE_VIRT_READ_H

#include "encore/machine.h"

/* Copy `len` bytes at `va` as seen by a vCPU in `state` (its
 * architecture's blob); 0, or -1 if some byte is unmapped or not RAM. */
int machine__read_virt(struct encore_machine *m, const void *state, u64 va, void *buf,
		       size_t len);

#endif
