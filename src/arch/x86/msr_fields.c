/* Which field of struct encore_msrs holds which MSR (encore/msr.h). */
#include <stddef.h>

#include "encore/msr.h"

#define FIELD(idx, name) { idx, offsetof(struct encore_msrs, name) }
#define FIXED(idx, n) { idx, offsetof(struct encore_msrs, mtrr_fixed) + 8 * (n) }
#define VAR(n) { MSR_MTRR_PHYS_BASE0 + (n), offsetof(struct encore_msrs, mtrr_var) + 8 * (n) }

const struct msr_field msr_fields[] = {
	FIELD(MSR_STAR, star), FIELD(MSR_LSTAR, lstar), FIELD(MSR_CSTAR, cstar),
	FIELD(MSR_FMASK, fmask), FIELD(MSR_KERNEL_GS_BASE, kernel_gs_base),
	FIELD(MSR_TSC_AUX, tsc_aux), FIELD(MSR_PAT, pat), FIELD(MSR_APIC_BASE, apic_base),
	FIELD(MSR_MISC_ENABLE, misc_enable), FIELD(MSR_SYSENTER_CS, sysenter_cs),
	FIELD(MSR_SYSENTER_ESP, sysenter_esp), FIELD(MSR_SYSENTER_EIP, sysenter_eip),
	FIELD(MSR_MTRR_DEF_TYPE, mtrr_def_type),
	FIXED(MSR_MTRR_FIX64K, 0), FIXED(MSR_MTRR_FIX16K_80000, 1),
	FIXED(MSR_MTRR_FIX16K_A0000, 2),
	FIXED(MSR_MTRR_FIX4K_C0000, 3), FIXED(MSR_MTRR_FIX4K_C0000 + 1, 4),
	FIXED(MSR_MTRR_FIX4K_C0000 + 2, 5), FIXED(MSR_MTRR_FIX4K_C0000 + 3, 6),
	FIXED(MSR_MTRR_FIX4K_C0000 + 4, 7), FIXED(MSR_MTRR_FIX4K_C0000 + 5, 8),
	FIXED(MSR_MTRR_FIX4K_C0000 + 6, 9), FIXED(MSR_MTRR_FIX4K_C0000 + 7, 10),
	VAR(0), VAR(1), VAR(2), VAR(3), VAR(4), VAR(5), VAR(6), VAR(7),
	VAR(8), VAR(9), VAR(10), VAR(11), VAR(12), VAR(13), VAR(14), VAR(15),
};

const unsigned msr_field_count = sizeof(msr_fields) / sizeof(msr_fields[0]);

_Static_assert(sizeof(msr_fields) / sizeof(msr_fields[0]) ==
		       13 + 11 + 2 * MTRR_VAR_COUNT,
	       "every MSR field of struct encore_msrs but tsc_offset is listed");

u64 *msr_field__find(struct encore_msrs *m, u32 index)
{
	for (unsigned k = 0; k < msr_field_count; k++)
		if (msr_fields[k].index == index)
			return msr_field__ptr(m, &msr_fields[k]);
	return NULL;
}
