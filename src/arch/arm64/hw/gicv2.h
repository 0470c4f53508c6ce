/*
 * An Arm GICv2 (Generic Interrupt Controller architecture version 2.0,
 * ARM IHI 0048B) without the Security and Virtualization Extensions, as
 * a GIC-400 presents itself: a distributor and one memory-mapped CPU
 * interface per CPU (up to 8), SGIs 0-15 and PPIs 16-31 banked per CPU,
 * SPIs from 32 up to the count given at creation.
 *
 * Inputs: SPI lines (gicv2__set_spi, or machine__set_irq once the board
 * installed the router), per-CPU PPI lines (gicv2__set_ppi), and the
 * guest's register accesses; the CPU interface answers the vCPU that
 * made the access (a NULL vCPU is CPU 0).  Outputs: per CPU, whether IRQ
 * (and FIQ) should be signalled; machine__interrupt_changed is called
 * whenever one of them changes.
 */
#ifndef ARM64_HW_GICV2_H
#define ARM64_HW_GICV2_H

#include "encore/hw.h"

#define GICV2_MAX_CPUS 8
#define GICV2_MAX_IRQS 1024   /* IDs 1020-1023 are special and never exist */
#define GICV2_DIST_SIZE 0x1000ull
#define GICV2_CPU_SIZE 0x2000ull /* GICC_DIR is at 0x1000 */

/* Distributor register offsets. */
enum gicv2_dist_reg {
	GICD_CTLR = 0x000,
	GICD_TYPER = 0x004,
	GICD_IIDR = 0x008,
	GICD_IGROUPR = 0x080,
	GICD_ISENABLER = 0x100,
	GICD_ICENABLER = 0x180,
	GICD_ISPENDR = 0x200,
	GICD_ICPENDR = 0x280,
	GICD_ISACTIVER = 0x300,
	GICD_ICACTIVER = 0x380,
	GICD_IPRIORITYR = 0x400,
	GICD_ITARGETSR = 0x800,
	GICD_ICFGR = 0xc00,
	GICD_SGIR = 0xf00,
	GICD_CPENDSGIR = 0xf10,
	GICD_SPENDSGIR = 0xf20,
	GICD_PIDR4 = 0xfd0, /* PIDR4-7, PIDR0-3 at 0xfe0, CIDR0-3 at 0xff0 */
};

/* CPU interface register offsets. */
enum gicv2_cpu_reg {
	GICC_CTLR = 0x000,
	GICC_PMR = 0x004,
	GICC_BPR = 0x008,
	GICC_IAR = 0x00c,
	GICC_EOIR = 0x010,
	GICC_RPR = 0x014,
	GICC_HPPIR = 0x018,
	GICC_ABPR = 0x01c,
	GICC_AIAR = 0x020,
	GICC_AEOIR = 0x024,
	GICC_AHPPIR = 0x028,
	GICC_APR0 = 0x0d0,
	GICC_NSAPR0 = 0x0e0,
	GICC_IIDR = 0x0fc,
	GICC_DIR = 0x1000,
};

struct gicv2;

/*
 * A GICv2 for the machine's vCPUs (m->nvcpus, at most GICV2_MAX_CPUS,
 * else NULL) with `nirqs` interrupt IDs (a multiple of 32 from 32 to
 * GICV2_MAX_IRQS: 32 + the number of SPIs, rounded up), its distributor
 * at `dist_base` (GICV2_DIST_SIZE bytes) and its CPU interface at
 * `cpu_base` (GICV2_CPU_SIZE bytes).  Registered as device "gicv2"; the
 * machine owns it.
 */
struct gicv2 *gicv2__create(struct encore_machine *m, u64 dist_base, u64 cpu_base, unsigned nirqs);

/* Make machine__set_irq(m, n, level) drive SPI n (interrupt ID 32 + n),
 * as the device tree numbers SPIs. */
void gicv2__install_router(struct gicv2 *g);

/* Drive SPI `spi` (interrupt ID 32 + spi; out of range: ignored). */
void gicv2__set_spi(struct gicv2 *g, unsigned spi, bool level);
/* Drive CPU `cpu`'s PPI `ppi` (0-15, interrupt ID 16 + ppi, as the
 * device tree numbers PPIs: the EL1 virtual timer is PPI 11, ID 27). */
void gicv2__set_ppi(struct gicv2 *g, unsigned cpu, unsigned ppi, bool level);

/*
 * Should CPU `cpu` be interrupted: a pending, enabled interrupt targeted
 * at it, its group enabled in the distributor and the CPU interface, of
 * higher priority than the priority mask and than the running priority.
 * It is an IRQ unless it is a Group 0 interrupt and GICC_CTLR.FIQEn is
 * set, which makes it an FIQ (Linux leaves FIQEn clear).
 */
bool gicv2__irq_pending(struct gicv2 *g, unsigned cpu);
bool gicv2__fiq_pending(struct gicv2 *g, unsigned cpu);

/*
 * What the board puts in vCPU `cpu`'s struct intc: has_interrupt is
 * gicv2__irq_pending; acknowledge returns 0 while the IRQ is still
 * signalled (the engine takes its IRQ exception; the guest acknowledges
 * by reading GICC_IAR), -1 if it went away.  A `cpu` without a CPU
 * interface gets an intc that never interrupts.
 */
struct intc gicv2__intc(struct gicv2 *g, unsigned cpu);

#endif
