/*
 * The CPUID model: what encore's virtual CPU advertises.  It lists exactly
 * what the interpreter implements, so guests never pick a code path the
 * engine lacks (no AVX, no SSE3+, no RDRAND/RDSEED, no PCID, no SMEP).
 */
#ifndef ENCORE_CPUID_H
#define ENCORE_CPUID_H

#include "encore/types.h"

/* The core crystal (leaf 0x15), which also clocks the local APIC timer:
 * the TSC and virtual time both run at 1 GHz. */
#define CPUID_CRYSTAL_HZ 1000000000u

/* out = { eax, ebx, ecx, edx } for CPUID leaf/subleaf. */
void cpuid__query(u32 leaf, u32 subleaf, u32 out[4]);

#endif
