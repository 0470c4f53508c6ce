/*
 * encore's CPUID model.  Every feature bit set here is implemented by the
 * interpreter; anything else stays clear so guests do not use it.
 */
#include <string.h>

#include "encore/cpuid.h"

#define MAX_BASIC_LEAF 0x16

#define MAX_EXT_LEAF 0x80000008u

/* Leaf 1 EDX: FPU PSE TSC MSR PAE CX8 APIC MTRR PGE CMOV PAT CLFSH MMX FXSR SSE SSE2 */
#define L1_EDX ((1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | \
		(1u << 9) | (1u << 12) | (1u << 13) | (1u << 15) | (1u << 16) | (1u << 19) | \
		(1u << 23) | (1u << 24) | (1u << 25) | (1u << 26))
/* Leaf 1 ECX: CX16 POPCNT */
#define L1_ECX ((1u << 13) | (1u << 23))
/* 0x80000001 EDX: SYSCALL NX 1GB-pages RDTSCP LM; ECX: LAHF/SAHF in 64-bit mode */
#define E1_EDX ((1u << 11) | (1u << 20) | (1u << 26) | (1u << 27) | (1u << 29))
#define E1_ECX (1u << 0)

static void put_string(u32 *regs, const char *s)
{
	memcpy(regs, s, 16);
}

void cpuid__query(u32 leaf, u32 subleaf, u32 apic_id, u32 out[4])
{
	static const char brand[48] = "encore virtual x86-64 CPU";
	memset(out, 0, 16);
	switch (leaf) {
	case 0:
		out[0] = MAX_BASIC_LEAF;
		memcpy(&out[1], "Genu", 4); /* EBX, EDX, ECX spell GenuineIntel */
		memcpy(&out[3], "ineI", 4);
		memcpy(&out[2], "ntel", 4);
		return;
	case 1:
		out[0] = 0x000306a9; /* family 6, model 0x3a, stepping 9 */
		/* One logical CPU per package (no HTT), CLFLUSH line 64 bytes. */
		out[1] = (apic_id << 24) | (1u << 16) | (8u << 8);
		out[2] = L1_ECX;
		out[3] = L1_EDX;
		return;
	case 7: /* structured features: only IA32_ARCH_CAPABILITIES (EDX bit 29) */
		if (subleaf == 0)
			out[3] = 1u << 29;
		return;
	case 0x15: /* TSC = crystal * EBX / EAX: Linux needs no calibration */
		out[0] = 1;
		out[1] = 1;
		out[2] = CPUID_CRYSTAL_HZ;
		return;
	case 0x16: /* base, maximum and bus frequency in MHz */
		out[0] = out[1] = out[2] = CPUID_CRYSTAL_HZ / 1000000;
		return;
	case 0x80000000u:
		out[0] = MAX_EXT_LEAF;
		return;
	case 0x80000001u:
		out[2] = E1_ECX;
		out[3] = E1_EDX;
		return;
	case 0x80000002u: case 0x80000003u: case 0x80000004u:
		put_string(out, brand + 16 * (leaf - 0x80000002u));
		return;
	case 0x80000007u:
		out[3] = 1u << 8; /* invariant TSC: virtual time never stops */
		return;
	case 0x80000008u:
		out[0] = 40 | (48 << 8); /* physical and linear address bits */
		return;
	}
}
