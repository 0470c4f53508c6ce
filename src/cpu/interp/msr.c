/*
 * Model-specific registers.  encore models the MSRs Linux uses; every
 * other index raises #GP, as on a CPU that lacks it.
 */
#include "cpu.h"
#include "encore/cpuid.h"
#include "interp.h"

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

/* The fixed-range MTRR slot for an index, or NULL. */
static u64 *mtrr_fixed(struct cpu *c, u32 idx)
{
	if (idx == MSR_MTRR_FIX64K)
		return &c->s.msr.mtrr_fixed[0];
	if (idx == MSR_MTRR_FIX16K_80000 || idx == MSR_MTRR_FIX16K_A0000)
		return &c->s.msr.mtrr_fixed[1 + idx - MSR_MTRR_FIX16K_80000];
	if (idx >= MSR_MTRR_FIX4K_C0000 && idx < MSR_MTRR_FIX4K_C0000 + 8)
		return &c->s.msr.mtrr_fixed[3 + idx - MSR_MTRR_FIX4K_C0000];
	return NULL;
}

/* Storage-only MSRs: a pointer to their value, or NULL. */
static u64 *msr_slot(struct cpu *c, u32 idx)
{
	struct encore_msrs *m = &c->s.msr;
	switch (idx) {
	case MSR_STAR: return &m->star;
	case MSR_CSTAR: return &m->cstar;
	case MSR_FMASK: return &m->fmask;
	case MSR_TSC_AUX: return &m->tsc_aux;
	case MSR_SYSENTER_CS: return &m->sysenter_cs;
	case MSR_SYSENTER_ESP: return &m->sysenter_esp;
	case MSR_SYSENTER_EIP: return &m->sysenter_eip;
	case MSR_MISC_ENABLE: return &m->misc_enable;
	case MSR_MTRR_DEF_TYPE: return &m->mtrr_def_type;
	case MSR_APIC_BASE: return &m->apic_base;
	}
	if (idx >= MSR_MTRR_PHYS_BASE0 && idx < MSR_MTRR_PHYS_BASE0 + 2 * MTRR_VAR_COUNT)
		return &m->mtrr_var[idx - MSR_MTRR_PHYS_BASE0];
	return mtrr_fixed(c, idx);
}

int msr_read(struct cpu *c, u32 idx, u64 *v)
{
	u64 *slot = msr_slot(c, idx);
	if (slot) {
		*v = *slot;
		return 0;
	}
	switch (idx) {
	case MSR_TSC: *v = cpu_tsc(c); return 0;
	case MSR_EFER: *v = c->s.efer; return 0;
	case MSR_LSTAR: *v = c->s.msr.lstar; return 0;
	case MSR_FS_BASE: *v = c->s.seg[SEG_FS].base; return 0;
	case MSR_GS_BASE: *v = c->s.seg[SEG_GS].base; return 0;
	case MSR_KERNEL_GS_BASE: *v = c->s.msr.kernel_gs_base; return 0;
	case MSR_PAT: *v = c->s.msr.pat; return 0;
	case MSR_MTRRCAP: *v = MTRR_VAR_COUNT | (1u << 8) | (1u << 10); return 0;
	case MSR_PLATFORM_ID: *v = 0; return 0;
	case MSR_BIOS_SIGN_ID: *v = 0; return 0;
	case MSR_FEATURE_CONTROL: *v = 1; return 0; /* locked, VMX off */
	case MSR_ARCH_CAPABILITIES: *v = CPUID_ARCH_CAPABILITIES; return 0;
	}
	return -1;
}

static int write_efer(struct cpu *c, u64 v)
{
	u64 allowed = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	if (v & ~allowed)
		return -1;
	if ((c->s.cr0 & CR0_PG) && ((v ^ c->s.efer) & EFER_LME))
		return -1;
	c->s.efer = (v & ~EFER_LMA) | (c->s.efer & EFER_LMA);
	tlb_flush_all(c); /* NXE changes what the cached translations allow */
	return 0;
}

static bool valid_pat(u64 v)
{
	for (int k = 0; k < 8; k++) {
		unsigned t = (v >> (8 * k)) & 0xff;
		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

int msr_write(struct cpu *c, u32 idx, u64 v)
{
	switch (idx) {
	case MSR_TSC: c->s.msr.tsc_offset = v - (cpu_tsc(c) - c->s.msr.tsc_offset); return 0;
	case MSR_EFER: return write_efer(c, v);
	case MSR_LSTAR: if (!is_canonical(v)) return -1; c->s.msr.lstar = v; return 0;
	case MSR_CSTAR: if (!is_canonical(v)) return -1; c->s.msr.cstar = v; return 0;
	case MSR_FS_BASE: if (!is_canonical(v)) return -1; c->s.seg[SEG_FS].base = v; return 0;
	case MSR_GS_BASE: if (!is_canonical(v)) return -1; c->s.seg[SEG_GS].base = v; return 0;
	case MSR_KERNEL_GS_BASE:
		if (!is_canonical(v)) return -1;
		c->s.msr.kernel_gs_base = v;
		return 0;
	case MSR_PAT: if (!valid_pat(v)) return -1; c->s.msr.pat = v; return 0;
	case MSR_BIOS_SIGN_ID: return 0;
	case MSR_MTRRCAP: case MSR_PLATFORM_ID: case MSR_FEATURE_CONTROL:
	case MSR_ARCH_CAPABILITIES:
		return -1;
	case MSR_APIC_BASE:
		c->s.msr.apic_base = (v & ~0x6ffull) | (c->s.msr.apic_base & 0x100);
		return 0;
	}
	u64 *slot = msr_slot(c, idx);
	if (!slot)
		return -1;
	*slot = v;
	return 0;
}
