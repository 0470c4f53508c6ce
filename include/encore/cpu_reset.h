/*
 * The x86 CPU states that do not come from a boot loader: power-on,
 * INIT (an application processor waiting for a start-up IPI), and the
 * start-up IPI itself (SDM vol. 3, "Processor State After Reset" and
 * "MP Initialization").
 */
#ifndef ENCORE_CPU_RESET_H
#define ENCORE_CPU_RESET_H

#include "encore/cpu_state.h"

/* IA32_APIC_BASE: the local APIC's address, enable and boot-CPU bits. */
#define CPU_APIC_BASE_ADDR 0xfee00000ull
#define CPU_APIC_BASE_ENABLE (1ull << 11)
#define CPU_APIC_BASE_BSP (1ull << 8)

/* Power-on values of the modelled state (PAT, FPU control words, ...). */
void cpu_state__reset(struct encore_cpu_state *s);
/* After INIT: real mode at F000:FFF0, halted until a start-up IPI.  The
 * MSRs a BIOS programs the same on every CPU (MTRRs, PAT, TSC offset)
 * come from `like`; the APIC base says whether this is the boot CPU. */
void cpu_state__init(struct encore_cpu_state *s, const struct encore_cpu_state *like, bool bsp);
/* A start-up IPI with `vector` to a CPU waiting for one: it runs from
 * vector:0000 (physical vector << 12) in real mode.  False if it was
 * not waiting (the SIPI is then ignored, as the hardware does). */
bool cpu_state__startup(struct encore_cpu_state *s, u8 vector);

#endif
