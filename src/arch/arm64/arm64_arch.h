/* The arm64 architecture as shared code sees it (encore/arch.h). */
#ifndef ARM64_ARM64_ARCH_H
#define ARM64_ARM64_ARCH_H

#include "encore/arch.h"

extern const struct encore_arch arch_arm64;

/* gdb's view (arm64_gdb.c): aarch64 core and FP registers. */
const char *arm64__gdb_target_xml(void);
unsigned arm64__gdb_nregs(void);
unsigned arm64__gdb_reg(const void *state, unsigned n, u8 *out);

/* RAM in one region from 1 GiB up, as on QEMU's virt (virt_map.h). */
void arm64__ram_layout(u64 ram_size, struct ram_region *regions);

#endif
