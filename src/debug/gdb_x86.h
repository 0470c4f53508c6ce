/*
 * An x86-64 CPU's registers as gdb sees them: the target description
 * encore sends (qXfer:features:read:target.xml) and each register's
 * bytes in that description's order, from encore's CPU state.
 */
#ifndef ENCORE_DEBUG_GDB_X86_H
#define ENCORE_DEBUG_GDB_X86_H

#include "encore/cpu_state.h"

/* The description: general registers, RIP, flags, segment selectors,
 * x87, SSE, and the FS/GS bases. */
const char *gdb_x86__target_xml(void);
unsigned gdb_x86__nregs(void);
/* Register n of `s` into `out` (little-endian, at most 16 bytes): its
 * size in bytes, 0 if there is no register n. */
unsigned gdb_x86__reg(const struct encore_cpu_state *s, unsigned n, u8 *out);

#endif
