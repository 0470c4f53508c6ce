/*
 * timer: the virtual timer through the GICv2.  The distributor and CPU
 * interface are enabled, INTID 27 (the virtual timer's PPI) too; each of
 * TICKS deadlines is programmed (CVAL, or TVAL), the CPU waits with WFI
 * and takes the IRQ, acknowledges it (GICC_IAR) and ends it (GICC_EOIR).
 * The interrupt must come at or after the programmed count, CNTVCT must
 * advance monotonically, and nothing is pending after the EOI.  With a
 * second CPU (--smp 2) CPU 0 sends it SGI 5 through GICD_SGIR.
 */
#include "rt.h"

#define TICKS 20
#define PERIOD (COUNTER_HZ / 1000) /* 1 ms */
#define SGI_NUM 5u

#define GICD_CTLR 0x000
#define GICD_ISENABLER 0x100
#define GICD_IPRIORITYR 0x400
#define GICD_SGIR 0xf00
#define GICC_CTLR 0x00
#define GICC_PMR 0x04
#define GICC_IAR 0x0c
#define GICC_EOIR 0x10
#define SPURIOUS 1023u

#define CNTV_ENABLE 1ul
#define CNTV_IMASK 2ul
#define CNTV_ISTATUS 4ul

static volatile u32 ticks, bad_intid, early;
static volatile u64 deadline, last_seen;
static volatile u32 cpu1_ready, cpu1_sgi, cpu1_iar;

static u64 cntvct(void)
{
	isb();
	return sysreg_read(cntvct_el0);
}

static void gic_cpu_init(void)
{
	mmio_write32(GICC_BASE + GICC_PMR, 0xff);
	mmio_write32(GICC_BASE + GICC_CTLR, 1);
}

static void gic_enable(unsigned intid)
{
	u64 prio = GICD_BASE + GICD_IPRIORITYR + (intid & ~3u);
	u32 shift = (intid & 3) * 8;
	mmio_write32(prio, (mmio_read32(prio) & ~(0xffu << shift)) | 0x80u << shift);
	mmio_write32(GICD_BASE + GICD_ISENABLER + (intid / 32) * 4, 1u << (intid % 32));
}

static int timer_irq(struct frame *f, unsigned kind)
{
	(void)f, (void)kind;
	u32 iar = mmio_read32(GICC_BASE + GICC_IAR);
	u32 intid = iar & 0x3ff;
	if (intid == INTID_VTIMER) {
		u64 now = cntvct();
		if (now < deadline)
			early++;
		if (now < last_seen)
			early++;
		last_seen = now;
		sysreg_write(cntv_ctl_el0, CNTV_ENABLE | CNTV_IMASK);
		ticks++;
	} else if (intid != SPURIOUS) {
		bad_intid = iar;
	}
	if (intid != SPURIOUS)
		mmio_write32(GICC_BASE + GICC_EOIR, iar);
	return 1;
}

static void test_timer(void)
{
	check_eq(sysreg_read(cntfrq_el0), COUNTER_HZ, "CNTFRQ_EL0 is 62.5 MHz");
	u64 t0 = cntvct(), t1 = cntvct(), t2 = cntvct();
	check(t0 <= t1 && t1 <= t2, "CNTVCT_EL0 never goes backwards");

	irq_handler = timer_irq;
	mmio_write32(GICD_BASE + GICD_CTLR, 1);
	gic_cpu_init();
	gic_enable(INTID_VTIMER);

	unsigned waits = 0;
	last_seen = cntvct();
	for (u32 k = 0; k < TICKS; k++) {
		u64 now = cntvct();
		if (k & 1) {
			deadline = now + PERIOD;
			sysreg_write(cntv_cval_el0, deadline);
		} else {
			/* TVAL counts from the write; the deadline is at least now + PERIOD. */
			deadline = now + PERIOD;
			sysreg_write(cntv_tval_el0, PERIOD);
		}
		sysreg_write(cntv_ctl_el0, CNTV_ENABLE);
		isb();
		while (ticks == k) {
			asm volatile("wfi");
			waits++;
			asm volatile("msr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
		}
	}
	check_eq(ticks, TICKS, "20 virtual-timer interrupts taken");
	check_eq(early, 0, "each at or after its programmed count, CNTVCT monotonic");
	check_eq(bad_intid, 0, "no other interrupt acknowledged");
	u64 elapsed = cntvct() - t0;
	checkf(elapsed >= TICKS * PERIOD, "CNTVCT advanced by at least 20 periods (%lu counts)",
	       elapsed);
	check(waits >= TICKS, "WFI waited for each");
	check_eq(mmio_read32(GICC_BASE + GICC_IAR) & 0x3ff, SPURIOUS,
		 "nothing pending after the EOIs: IAR reads 1023");

	/* A deadline in the past fires at once; ISTATUS says so. */
	sysreg_write(cntv_cval_el0, cntvct() - 1);
	sysreg_write(cntv_ctl_el0, CNTV_ENABLE | CNTV_IMASK);
	isb();
	check(sysreg_read(cntv_ctl_el0) & CNTV_ISTATUS, "ISTATUS set once CVAL has passed");
	check((s32)(u32)sysreg_read(cntv_tval_el0) < 0, "TVAL (32 bits, signed) is negative past the deadline");
	sysreg_write(cntv_ctl_el0, 0);
}

static int sgi_irq(struct frame *f, unsigned kind)
{
	(void)f, (void)kind;
	u32 iar = mmio_read32(GICC_BASE + GICC_IAR);
	if ((iar & 0x3ff) == SPURIOUS)
		return 1;
	cpu1_iar = iar;
	mmio_write32(GICC_BASE + GICC_EOIR, iar);
	cpu1_sgi++;
	return 1;
}

static void cpu1_main(unsigned cpu)
{
	(void)cpu;
	gic_cpu_init();
	gic_enable(SGI_NUM);
	cpu1_ready = 1;
	while (!cpu1_sgi) {
		asm volatile("wfi");
		asm volatile("msr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
	}
}

static void test_sgi(void)
{
	s64 r = cpu_start(1, cpu1_main);
	if (r == -2) {
		printf("timer: one CPU: the SGI check is skipped\n");
		return;
	}
	irq_handler = sgi_irq; /* shared: CPU 0 takes no interrupt from here on */
	check_eq(r, 0, "PSCI CPU_ON of CPU 1");
	while (!cpu1_ready)
		asm volatile("yield");
	dsb(ish);
	mmio_write32(GICD_BASE + GICD_SGIR, 1u << (16 + 1) | SGI_NUM);
	while (!cpu1_sgi)
		asm volatile("yield");
	check_eq(cpu1_iar, SGI_NUM, "CPU 1 acknowledged SGI 5 from CPU 0 (IAR source 0)");
	check_eq(cpu1_sgi, 1, "exactly one SGI");
}

int main(void)
{
	test_start("timer");
	test_timer();
	test_sgi();
	return 0;
}
