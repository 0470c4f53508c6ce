/*
 * Model-specific register numbers encore models, and where struct
 * encore_msrs keeps the ones it stores as they are.  Both engines use
 * them: the interpreter answers RDMSR/WRMSR, KVM copies the values in
 * and out of the vCPU.
 */
#ifndef ENCORE_MSR_H
#define ENCORE_MSR_H

#include "encore/cpu_state.h"

enum {
	MSR_TSC = 0x10, MSR_PLATFORM_ID = 0x17, MSR_APIC_BASE = 0x1b,
	MSR_FEATURE_CONTROL = 0x3a, MSR_BIOS_SIGN_ID = 0x8b, MSR_MTRRCAP = 0xfe,
	MSR_ARCH_CAPABILITIES = 0x10a,
	MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176,
	MSR_MISC_ENABLE = 0x1a0, MSR_MTRR_PHYS_BASE0 = 0x200, MSR_MTRR_FIX64K = 0x250,
	MSR_MTRR_FIX16K_80000 = 0x258, MSR_MTRR_FIX16K_A0000 = 0x259,
	MSR_MTRR_FIX4K_C0000 = 0x268, MSR_PAT = 0x277, MSR_MTRR_DEF_TYPE = 0x2ff,
	MSR_EFER = 0xc0000080, MSR_STAR = 0xc0000081, MSR_LSTAR = 0xc0000082,
	MSR_CSTAR = 0xc0000083, MSR_FMASK = 0xc0000084, MSR_FS_BASE = 0xc0000100,
	MSR_GS_BASE = 0xc0000101, MSR_KERNEL_GS_BASE = 0xc0000102, MSR_TSC_AUX = 0xc0000103,
};

/* An MSR whose value a field of struct encore_msrs holds as it is. */
struct msr_field {
	u32 index;
	u16 offset; /* in struct encore_msrs */
};

/* Every such MSR (all fields but tsc_offset, which is not an MSR). */
extern const struct msr_field msr_fields[];
extern const unsigned msr_field_count;

static inline u64 *msr_field__ptr(struct encore_msrs *m, const struct msr_field *f)
{
	return (u64 *)((u8 *)m + f->offset);
}

/* The field holding MSR `index`, or NULL. */
u64 *msr_field__find(struct encore_msrs *m, u32 index);

#endif
