/* The arm64 architecture as shared code sees it (encore/arch.h). */
#ifndef ARM64_ARM64_ARCH_H
#define ARM64_ARM64_ARCH_H

#include "encore/arch.h"

/* RAM in one region from 1 GiB up, as on QEMU's virt (virt_map.h). */
void arm64__ram_layout(u64 ram_size, struct ram_region *regions);

#endif
