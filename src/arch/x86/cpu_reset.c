/* x86 power-on, INIT and start-up states (encore/cpu_reset.h). */
#include <string.h>

#include "encore/cpu_reset.h"

void cpu_state__reset(struct encore_cpu_state *s)
{
	memset(s, 0, sizeof(*s));
	s->rflags = RF_FIXED1;
	s->cr0 = CR0_ET | CR0_CD | CR0_NW;
	s->dr[6] = 0xffff0ff0;
	s->dr[7] = 0x400;
	s->msr.pat = 0x0007040600070406ull;
	s->msr.apic_base = CPU_APIC_BASE_ADDR | CPU_APIC_BASE_ENABLE | CPU_APIC_BASE_BSP;
	s->msr.misc_enable = 1; /* fast strings */
	s->fpu.fcw = 0x37f;
	s->fpu.mxcsr = 0x1f80;
}

/* A real-mode segment as reset leaves it: 64 KiB, present, read/write
 * (execute/read for code), accessed. */
static void real_segment(struct encore_segment *seg, u16 sel, u64 base, bool code)
{
	seg->selector = sel;
	seg->base = base;
	seg->limit = 0xffff;
	seg->attr = SEG_ATTR_P | SEG_ATTR_S | (code ? 0xb : 0x3);
}

void cpu_state__init(struct encore_cpu_state *s, const struct encore_cpu_state *like, bool bsp)
{
	/* `like` may be `s` itself (an INIT keeps the CPU's own MSRs, x87
	 * and SSE state): take them before the reset clears them. */
	struct encore_msrs kept = like ? like->msr : (struct encore_msrs){ 0 };
	struct encore_fpu_state fpu = like ? like->fpu : (struct encore_fpu_state){ 0 };
	cpu_state__reset(s);
	s->rip = 0xfff0;
	real_segment(&s->seg[SEG_CS], 0xf000, 0xffff0000ull, true);
	for (int k = 0; k < SEG_COUNT; k++)
		if (k != SEG_CS)
			real_segment(&s->seg[k], 0, 0, false);
	s->ldtr = (struct encore_segment){ .limit = 0xffff, .attr = SEG_ATTR_P | 2 };
	s->tr = (struct encore_segment){ .limit = 0xffff, .attr = SEG_ATTR_P | 0xb };
	s->gdtr.limit = s->idtr.limit = 0xffff;
	/* EDX holds the family/model/stepping after reset (CPUID leaf 1 EAX). */
	s->gpr[REG_RDX] = 0x000306a9;
	if (like) {
		s->msr.pat = kept.pat;
		s->msr.tsc_offset = kept.tsc_offset;
		s->msr.misc_enable = kept.misc_enable;
		s->msr.mtrr_def_type = kept.mtrr_def_type;
		memcpy(s->msr.mtrr_fixed, kept.mtrr_fixed, sizeof(s->msr.mtrr_fixed));
		memcpy(s->msr.mtrr_var, kept.mtrr_var, sizeof(s->msr.mtrr_var));
		s->fpu = fpu;
	}
	s->msr.apic_base = CPU_APIC_BASE_ADDR | CPU_APIC_BASE_ENABLE | (bsp ? CPU_APIC_BASE_BSP : 0);
	s->halted = s->wait_for_sipi = !bsp;
}

bool cpu_state__startup(struct encore_cpu_state *s, u8 vector)
{
	if (!s->wait_for_sipi)
		return false;
	s->wait_for_sipi = 0;
	s->halted = 0;
	real_segment(&s->seg[SEG_CS], (u16)vector << 8, (u64)vector << 12, true);
	s->rip = 0;
	return true;
}
