/* Probing the host for what KVM's precise interrupt delivery needs. */
#ifndef ENCORE_KVM_PMU_H
#define ENCORE_KVM_PMU_H

#include <stdbool.h>
#include <stddef.h>

/* True when a counter of the guest's retired branches (host excluded)
 * with overflow interrupts can be opened; `why` says what was found. */
bool kvm_pmu__probe(char *why, size_t n);

#endif
