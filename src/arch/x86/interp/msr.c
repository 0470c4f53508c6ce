/*
 * Model-specific registers.  encore models the MSRs Linux uses; every
 * other index raises #GP, as on a CPU that lacks it.
 */
#include "cpu.h"
#include "encore/cpuid.h"
#include "encore/msr.h"
#include "interp.h"

int msr_read(struct cpu *c, u32 idx, u64 *v)
{
	switch (idx) {
	case MSR_TSC: *v = cpu_tsc(c); return 0;
	case MSR_EFER: *v = c->s.efer; return 0;
	case MSR_FS_BASE: *v = c->s.seg[SEG_FS].base; return 0;
	case MSR_GS_BASE: *v = c->s.seg[SEG_GS].base; return 0;
	case MSR_MTRRCAP: *v = MTRR_VAR_COUNT | (1u << 8) | (1u << 10); return 0;
	case MSR_PLATFORM_ID: *v = 0; return 0;
	case MSR_BIOS_SIGN_ID: *v = 0; return 0;
	case MSR_FEATURE_CONTROL: *v = 1; return 0; /* locked, VMX off */
	case MSR_ARCH_CAPABILITIES: *v = CPUID_ARCH_CAPABILITIES; return 0;
	}
	/* The rest are stored as they are (encore/msr.h). */
	u64 *slot = msr_field__find(&c->s.msr, idx);
	if (!slot)
		return -1;
	*v = *slot;
	return 0;
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
	/* The rest are stored as they are written. */
	u64 *slot = msr_field__find(&c->s.msr, idx);
	if (!slot)
		return -1;
	*slot = v;
	return 0;
}
