/*
 * The ACPI fixed power-management hardware (ACPI spec, "ACPI Hardware
 * Specification"): the PM1a event block (PM1_STS, PM1_EN), the PM1a
 * control block (PM1_CNT) and the 24-bit power-management timer, in 12
 * consecutive ports, with the SCI on an ISA line.  The machine is in
 * ACPI mode from the start (no SMI command port), and a sleep request of
 * type ACPI_PM_SLP_TYP_S5 powers it off.
 */
#ifndef ENCORE_HW_ACPI_PM_H
#define ENCORE_HW_ACPI_PM_H

#include "encore/hw.h"

#define ACPI_PM_SIZE 12            /* ports base .. base + 0xb */
#define ACPI_PM_STS 0x0            /* offsets from base */
#define ACPI_PM_EN 0x2
#define ACPI_PM_CNT 0x4
#define ACPI_PM_TMR 0x8
#define ACPI_PM_TIMER_HZ 3579545u
/* The SLP_TYP value the DSDT's _S5 object advertises. */
#define ACPI_PM_SLP_TYP_S5 5

/* PM1_STS / PM1_EN bits */
#define ACPI_PM1_TMR (1u << 0)
#define ACPI_PM1_GBL (1u << 5)
#define ACPI_PM1_PWRBTN (1u << 8)
#define ACPI_PM1_RTC (1u << 10)
#define ACPI_PM1_WAK_STS (1u << 15)
/* PM1_CNT bits */
#define ACPI_PM1_SCI_EN (1u << 0)
#define ACPI_PM1_BM_RLD (1u << 1)
#define ACPI_PM1_GBL_RLS (1u << 2)
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP (7u << ACPI_PM1_SLP_TYP_SHIFT)
#define ACPI_PM1_SLP_EN (1u << 13)

/* Everything the guest can observe (no pointers, no padding). */
struct acpi_pm_state {
	u64 tmr_deadline;   /* the next carry of timer bit 23 while TMR_EN waits
			     * for it, or VTIMER_OFF */
	u64 tmr_clear_tick; /* timer ticks since virtual time 0 when TMR_STS was
			     * last cleared (or the device created) */
	u16 sts;            /* PM1_STS latched bits: GBL, PWRBTN, RTC, WAK
			     * (TMR_STS is computed from tmr_clear_tick) */
	u16 en;             /* PM1_EN: TMR_EN, GBL_EN, PWRBTN_EN, RTC_EN */
	u16 cnt;            /* PM1_CNT stored bits: BM_RLD, SLP_TYP */
	u8 sci_level;       /* the SCI line as last driven */
	u8 reserved;        /* keeps the layout free of compiler padding */
};

struct acpi_pm;

/* Claim ports base .. base + 0xb and register device "acpi-pm", its SCI
 * on ISA line `sci_line`; the machine owns and destroys it. */
struct acpi_pm *acpi_pm__create(struct encore_machine *m, u16 base, unsigned sci_line);

#endif
