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

/*
 * IA32_ARCH_CAPABILITIES: the interpreter does not speculate, so it is
 * immune to Meltdown, MDS, TAA and their kin; saying so spares guests
 * page-table isolation and buffer clearing on every kernel exit.
 * RDCL_NO SKIP_L1DFL SSB_NO MDS_NO PSCHANGE_MC_NO TAA_NO SBDR_SSDP_NO
 * FBSDP_NO PSDP_NO PBRSB_NO GDS_NO RFDS_NO.
 */
#define CPUID_ARCH_CAPABILITIES ((1ull << 0) | (1ull << 3) | (1ull << 4) | (1ull << 5) | \
				 (1ull << 6) | (1ull << 8) | (1ull << 13) | (1ull << 14) | \
				 (1ull << 15) | (1ull << 24) | (1ull << 26) | (1ull << 27))

/* out = { eax, ebx, ecx, edx } for CPUID leaf/subleaf on the CPU whose
 * initial APIC ID is `apic_id` (leaf 1 reports it). */
void cpuid__query(u32 leaf, u32 subleaf, u32 apic_id, u32 out[4]);

#endif
