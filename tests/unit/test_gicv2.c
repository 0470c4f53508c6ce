/*
 * The GICv2 model on machines with no engines and 1-8 vCPUs, accessed as
 * each vCPU: identification and TYPER, the banked and global enable,
 * pending, active, group and configuration bits, priorities and the
 * priority mask, running priority, preemption and the binary point,
 * IAR/EOIR sequences and spurious IDs, SGIs with each SGIR filter and the
 * source CPU in IAR, level and edge SPIs, ITARGETSR routing, per-CPU PPIs,
 * EOImode 1 with DIR, interrupt groups with AckCtl, FIQEn and the
 * aliases, access sizes, the outputs and their notification, the SPI
 * router, Linux's initialisation and interrupt flow, and a checkpoint
 * restored into a second machine.
 */
#include <string.h>

#include "check.h"
#include "encore/arch.h"
#include "arch/arm64/hw/gicv2.h"

#define DIST 0x08000000ull
#define CPUIF 0x08010000ull

#define SPURIOUS 1023
#define GROUP1_NOT_ACKED 1022
#define CTLR_EOIMODE 0x200
#define CTLR_ACKCTL 0x004
#define CTLR_FIQEN 0x008
#define CTLR_CBPR 0x010

struct rig {
	struct encore_machine *m;
	struct gicv2 *g;
	unsigned ncpus, nirqs;
};

static void rig_init(struct rig *r, unsigned ncpus, unsigned nirqs)
{
	r->m = machine__create(&arch_x86_64, 1 << 20, ncpus);
	r->g = gicv2__create(r->m, DIST, CPUIF, nirqs);
	r->ncpus = ncpus;
	r->nirqs = nirqs;
}

static void rig_done(struct rig *r)
{
	machine__destroy(r->m);
}

static struct encore_vcpu *vcpu(struct rig *r, unsigned cpu)
{
	return &r->m->vcpus[cpu];
}

static u32 rd(struct rig *r, unsigned cpu, u64 addr)
{
	u32 v = 0;
	bus__access(&r->m->mmio, vcpu(r, cpu), addr, (u8 *)&v, 4, false);
	return v;
}

static void wr(struct rig *r, unsigned cpu, u64 addr, u32 v)
{
	bus__access(&r->m->mmio, vcpu(r, cpu), addr, (u8 *)&v, 4, true);
}

static u32 dr(struct rig *r, unsigned cpu, unsigned off)
{
	return rd(r, cpu, DIST + off);
}

static void dw(struct rig *r, unsigned cpu, unsigned off, u32 v)
{
	wr(r, cpu, DIST + off, v);
}

static u32 cr(struct rig *r, unsigned cpu, unsigned off)
{
	return rd(r, cpu, CPUIF + off);
}

static void cw(struct rig *r, unsigned cpu, unsigned off, u32 v)
{
	wr(r, cpu, CPUIF + off, v);
}

static u8 db(struct rig *r, unsigned cpu, unsigned off)
{
	u8 v = 0;
	bus__access(&r->m->mmio, vcpu(r, cpu), DIST + off, &v, 1, false);
	return v;
}

static void dbw(struct rig *r, unsigned cpu, unsigned off, u8 v)
{
	bus__access(&r->m->mmio, vcpu(r, cpu), DIST + off, &v, 1, true);
}

/* One bit of a set/clear register bank (ISENABLER, ISPENDR, ...). */
static bool bit(struct rig *r, unsigned cpu, unsigned bank, unsigned id)
{
	return dr(r, cpu, bank + id / 32 * 4) >> (id % 32) & 1;
}

static void set_bit(struct rig *r, unsigned cpu, unsigned bank, unsigned id)
{
	dw(r, cpu, bank + id / 32 * 4, 1u << (id % 32));
}

static bool irq(struct rig *r, unsigned cpu)
{
	return gicv2__irq_pending(r->g, cpu);
}

/* Linux's gic_dist_init (on CPU 0): everything off, SPIs to this CPU,
 * level, priority 0xa0, then the distributor on (Group 0). */
static void linux_dist_init(struct rig *r)
{
	dw(r, 0, GICD_CTLR, 0);
	u32 mask = 0;
	for (unsigned i = 0; i < 32 && !mask; i += 4) {
		mask = dr(r, 0, GICD_ITARGETSR + i);
		mask |= mask >> 16;
		mask |= mask >> 8;
	}
	mask = (mask & 0xff) * 0x01010101u;
	for (unsigned i = 32; i < r->nirqs; i += 4)
		dw(r, 0, GICD_ITARGETSR + i, mask);
	for (unsigned i = 32; i < r->nirqs; i += 16)
		dw(r, 0, GICD_ICFGR + i / 4, 0);
	for (unsigned i = 32; i < r->nirqs; i += 4)
		dw(r, 0, GICD_IPRIORITYR + i, 0xa0a0a0a0);
	for (unsigned i = 32; i < r->nirqs; i += 32) {
		dw(r, 0, GICD_ICACTIVER + i / 8, ~0u);
		dw(r, 0, GICD_ICENABLER + i / 8, ~0u);
	}
	dw(r, 0, GICD_CTLR, 1);
}

/* Linux's gic_cpu_init and gic_cpu_if_up on `cpu`. */
static void linux_cpu_init(struct rig *r, unsigned cpu)
{
	dw(r, cpu, GICD_ICACTIVER, ~0u);
	dw(r, cpu, GICD_ICENABLER, 0xffff0000);
	dw(r, cpu, GICD_ISENABLER, 0x0000ffff);
	for (unsigned i = 0; i < 32; i += 4)
		dw(r, cpu, GICD_IPRIORITYR + i, 0xa0a0a0a0);
	cw(r, cpu, GICC_PMR, 0xf0);
	u32 bypass = cr(r, cpu, GICC_CTLR) & 0x1e0;
	cw(r, cpu, GICC_CTLR, bypass | 1);
}

static void linux_init(struct rig *r)
{
	linux_dist_init(r);
	for (unsigned cpu = 0; cpu < r->ncpus; cpu++)
		linux_cpu_init(r, cpu);
}

/* SPI `id` enabled, aimed at the CPUs in `targets`, with `prio`. */
static void spi_setup(struct rig *r, unsigned id, u8 targets, u8 prio)
{
	dbw(r, 0, GICD_ITARGETSR + id, targets);
	dbw(r, 0, GICD_IPRIORITYR + id, prio);
	set_bit(r, 0, GICD_ISENABLER, id);
}

static void test_identification(void)
{
	check_group("identification");
	struct rig r;
	rig_init(&r, 4, 128);
	CHECK(r.g != NULL, "created");
	CHECK(dr(&r, 0, GICD_TYPER) == 0x63, "TYPER %#x: ITLinesNumber 3, CPUNumber 3, no security",
	      dr(&r, 0, GICD_TYPER));
	CHECK(dr(&r, 0, GICD_IIDR) == 0x0200143b, "GICD_IIDR %#x", dr(&r, 0, GICD_IIDR));
	CHECK(cr(&r, 0, GICC_IIDR) == 0x0202143b, "GICC_IIDR %#x (what Linux's gic_check_gicv2 wants)",
	      cr(&r, 0, GICC_IIDR));
	CHECK((cr(&r, 0, GICC_IIDR) & 0xff0fff) == 0x02043b, "GICv2 architecture in GICC_IIDR");
	CHECK((dr(&r, 0, 0xfe8) >> 4 & 0xf) == 2, "PIDR2.ArchRev 2: %#x", dr(&r, 0, 0xfe8));
	CHECK(dr(&r, 0, 0xfe0) == 0x90 && dr(&r, 0, 0xfe4) == 0xb4 && dr(&r, 0, 0xfd0) == 0x04, "PIDR0, 1, 4");
	u32 cid = 0;
	for (unsigned k = 0; k < 4; k++)
		cid |= (dr(&r, 0, 0xff0 + 4 * k) & 0xff) << (8 * k);
	CHECK(cid == 0xb105f00d, "CIDR %#x", cid);
	struct device *d = machine__find_device(r.m, "gicv2");
	CHECK(d && d->version == 1 && d->restored && d->state_size > 0, "registered as \"gicv2\", version 1");
	rig_done(&r);

	rig_init(&r, 1, 1024);
	CHECK(r.g && dr(&r, 0, GICD_TYPER) == 31, "1 CPU, 1020 IDs: TYPER %#x", dr(&r, 0, GICD_TYPER));
	dw(&r, 0, GICD_ISENABLER + 31 * 4, ~0u);
	CHECK(dr(&r, 0, GICD_ISENABLER + 31 * 4) == 0x0fffffff, "IDs 1020-1023 do not exist");
	rig_done(&r);

	rig_init(&r, 8, 32);
	CHECK(r.g && dr(&r, 0, GICD_TYPER) == 0xe0, "8 CPUs, no SPIs: %#x", dr(&r, 0, GICD_TYPER));
	rig_done(&r);

	static const unsigned bad[] = { 0, 16, 100, 1025, 1056 };
	for (unsigned k = 0; k < ARRAY_SIZE(bad); k++) {
		rig_init(&r, 1, bad[k]);
		CHECK(r.g == NULL, "%u interrupts refused", bad[k]);
		rig_done(&r);
	}
	rig_init(&r, 9, 128);
	CHECK(r.g == NULL, "9 CPUs refused (GICv2's limit is 8)");
	CHECK(machine__find_device(r.m, "gicv2") == NULL && r.m->mmio.count == 0, "and nothing registered");
	rig_done(&r);
}

static void test_reset_values(void)
{
	check_group("reset");
	struct rig r;
	rig_init(&r, 2, 128);
	CHECK(dr(&r, 0, GICD_CTLR) == 0 && cr(&r, 0, GICC_CTLR) == 0, "distributor and CPU interface off");
	CHECK(cr(&r, 0, GICC_PMR) == 0 && cr(&r, 0, GICC_BPR) == 2 && cr(&r, 0, GICC_ABPR) == 3,
	      "PMR 0, BPR 2, ABPR 3");
	CHECK(cr(&r, 0, GICC_RPR) == 0xff && cr(&r, 0, GICC_IAR) == SPURIOUS && cr(&r, 0, GICC_HPPIR) == SPURIOUS,
	      "idle: RPR 0xff, IAR and HPPIR 1023");
	CHECK(dr(&r, 0, GICD_ISENABLER) == 0xffff && dr(&r, 1, GICD_ISENABLER) == 0xffff, "SGIs enabled");
	CHECK(dr(&r, 0, GICD_ISENABLER + 4) == 0, "SPIs disabled");
	CHECK(dr(&r, 0, GICD_ICFGR) == 0xaaaaaaaa && dr(&r, 0, GICD_ICFGR + 4) == 0 && dr(&r, 0, GICD_ICFGR + 8) == 0,
	      "SGIs edge, PPIs and SPIs level");
	CHECK(dr(&r, 0, GICD_ITARGETSR) == 0x01010101 && dr(&r, 1, GICD_ITARGETSR + 28) == 0x02020202,
	      "ITARGETSR0-7 read as the reader's own bit");
	CHECK(dr(&r, 0, GICD_ITARGETSR + 32) == 0, "SPIs target no CPU");
	CHECK(dr(&r, 0, GICD_IGROUPR) == 0 && dr(&r, 0, GICD_IGROUPR + 4) == 0, "all Group 0");
	CHECK(dr(&r, 0, GICD_IPRIORITYR + 40) == 0, "priority 0");
	CHECK(!irq(&r, 0) && !irq(&r, 1) && !gicv2__fiq_pending(r.g, 0), "no outputs");
	rig_done(&r);
}

static void test_bits_per_type(void)
{
	check_group("bits");
	struct rig r;
	rig_init(&r, 2, 128);
	/* SGIs: always enabled; their ISPENDR/ICPENDR bits are read-only. */
	dw(&r, 0, GICD_ICENABLER, 0xffff);
	CHECK(dr(&r, 0, GICD_ISENABLER) == 0xffff, "SGI enables RAO/WI");
	dw(&r, 0, GICD_ISPENDR, 0x8);
	CHECK(dr(&r, 0, GICD_ISPENDR) == 0, "ISPENDR cannot pend an SGI");
	dw(&r, 0, GICD_ISACTIVER, 0x4);
	CHECK(dr(&r, 0, GICD_ISACTIVER) == 0x4 && dr(&r, 1, GICD_ISACTIVER) == 0, "SGI active is banked");
	dw(&r, 0, GICD_ICACTIVER, 0x4);
	CHECK(dr(&r, 0, GICD_ISACTIVER) == 0, "ICACTIVER clears it");

	/* PPIs: banked per CPU. */
	set_bit(&r, 1, GICD_ISENABLER, 27);
	CHECK(bit(&r, 1, GICD_ISENABLER, 27) && !bit(&r, 0, GICD_ISENABLER, 27), "PPI enable banked");
	CHECK(bit(&r, 1, GICD_ICENABLER, 27), "ICENABLER reads the enables too");
	set_bit(&r, 1, GICD_ISPENDR, 27);
	CHECK(bit(&r, 1, GICD_ICPENDR, 27) && !bit(&r, 0, GICD_ISPENDR, 27), "PPI pending banked");
	set_bit(&r, 1, GICD_ICPENDR, 27);
	CHECK(!bit(&r, 1, GICD_ISPENDR, 27), "ICPENDR clears it");
	set_bit(&r, 0, GICD_ISACTIVER, 27);
	CHECK(bit(&r, 0, GICD_ICACTIVER, 27) && !bit(&r, 1, GICD_ISACTIVER, 27), "PPI active banked");
	set_bit(&r, 0, GICD_ICACTIVER, 27);
	set_bit(&r, 1, GICD_ICENABLER, 27);
	CHECK(!bit(&r, 0, GICD_ISACTIVER, 27) && !bit(&r, 1, GICD_ISENABLER, 27), "cleared");

	/* SPIs: one copy, whichever CPU looks. */
	set_bit(&r, 0, GICD_ISENABLER, 40);
	set_bit(&r, 1, GICD_ISPENDR, 41);
	set_bit(&r, 0, GICD_ISACTIVER, 42);
	CHECK(bit(&r, 1, GICD_ISENABLER, 40) && bit(&r, 0, GICD_ISPENDR, 41) && bit(&r, 1, GICD_ISACTIVER, 42),
	      "SPI bits are global");
	CHECK(dr(&r, 0, GICD_ISENABLER + 4) == 1u << 8 && dr(&r, 0, GICD_ISPENDR + 4) == 1u << 9 &&
	      dr(&r, 0, GICD_ISACTIVER + 4) == 1u << 10, "one bit each");
	set_bit(&r, 1, GICD_ICENABLER, 40);
	set_bit(&r, 0, GICD_ICPENDR, 41);
	set_bit(&r, 1, GICD_ICACTIVER, 42);
	CHECK(dr(&r, 0, GICD_ISENABLER + 4) == 0 && dr(&r, 0, GICD_ISPENDR + 4) == 0 &&
	      dr(&r, 0, GICD_ISACTIVER + 4) == 0, "cleared from the other CPU");

	/* Groups: banked below 32. */
	dw(&r, 1, GICD_IGROUPR, 0x80000001);
	dw(&r, 0, GICD_IGROUPR + 4, 0x100);
	CHECK(dr(&r, 1, GICD_IGROUPR) == 0x80000001 && dr(&r, 0, GICD_IGROUPR) == 0, "IGROUPR0 banked");
	CHECK(dr(&r, 1, GICD_IGROUPR + 4) == 0x100, "IGROUPR1 global");

	/* ICFGR: SGIs fixed edge, PPIs banked, the model bit reads 0. */
	dw(&r, 0, GICD_ICFGR, 0);
	dw(&r, 1, GICD_ICFGR + 4, 0xffffffff);
	dw(&r, 0, GICD_ICFGR + 8, 0x00000008);
	CHECK(dr(&r, 0, GICD_ICFGR) == 0xaaaaaaaa, "SGI configuration read-only");
	CHECK(dr(&r, 1, GICD_ICFGR + 4) == 0xaaaaaaaa && dr(&r, 0, GICD_ICFGR + 4) == 0, "PPI configuration banked");
	CHECK(dr(&r, 0, GICD_ICFGR + 8) == 0x8, "ID 33 edge, the rest level");

	/* Beyond the implemented IDs: RAZ/WI. */
	dw(&r, 0, GICD_ISENABLER + 16, ~0u);
	dw(&r, 0, GICD_ISPENDR + 16, ~0u);
	dbw(&r, 0, GICD_IPRIORITYR + 130, 0x80);
	dbw(&r, 0, GICD_ITARGETSR + 130, 0x1);
	dw(&r, 0, GICD_ICFGR + 0x20, ~0u);
	CHECK(dr(&r, 0, GICD_ISENABLER + 16) == 0 && dr(&r, 0, GICD_ISPENDR + 16) == 0 &&
	      db(&r, 0, GICD_IPRIORITYR + 130) == 0 && db(&r, 0, GICD_ITARGETSR + 130) == 0 &&
	      dr(&r, 0, GICD_ICFGR + 0x20) == 0, "IDs 128 and up do not exist");
	dw(&r, 0, GICD_CTLR, ~0u);
	CHECK(dr(&r, 0, GICD_CTLR) == 3, "GICD_CTLR: EnableGrp0 and EnableGrp1 only");
	dw(&r, 0, GICD_TYPER, 0);
	dw(&r, 0, GICD_IIDR, 0);
	CHECK(dr(&r, 0, GICD_TYPER) == 0x23 && dr(&r, 0, GICD_IIDR) == 0x0200143b, "TYPER and IIDR read-only");
	CHECK(dr(&r, 0, 0xe00) == 0 && dr(&r, 0, 0xd00) == 0 && dr(&r, 0, GICD_SGIR) == 0, "NSACR, PPISR, SGIR read 0");
	rig_done(&r);
}

static void test_priorities_and_mask(void)
{
	check_group("priority-mask");
	struct rig r;
	rig_init(&r, 2, 128);
	dbw(&r, 0, GICD_IPRIORITYR + 40, 0xff);
	CHECK(db(&r, 0, GICD_IPRIORITYR + 40) == 0xf8, "5 priority bits: 0xff reads 0xf8");
	dw(&r, 0, GICD_IPRIORITYR + 40, 0x12345678);
	CHECK(dr(&r, 0, GICD_IPRIORITYR + 40) == 0x10305078, "word write: %#x", dr(&r, 0, GICD_IPRIORITYR + 40));
	CHECK(db(&r, 0, GICD_IPRIORITYR + 41) == 0x50 && db(&r, 1, GICD_IPRIORITYR + 43) == 0x10, "byte reads");
	dbw(&r, 1, GICD_IPRIORITYR + 27, 0x48);
	CHECK(db(&r, 1, GICD_IPRIORITYR + 27) == 0x48 && db(&r, 0, GICD_IPRIORITYR + 27) == 0, "PPI priority banked");
	cw(&r, 0, GICC_PMR, 0xff);
	CHECK(cr(&r, 0, GICC_PMR) == 0xf8 && cr(&r, 1, GICC_PMR) == 0, "PMR 5 bits, per CPU");

	linux_init(&r);
	spi_setup(&r, 40, 1, 0x80);
	set_bit(&r, 0, GICD_ISPENDR, 40);
	cw(&r, 0, GICC_PMR, 0x80);
	CHECK(!irq(&r, 0) && cr(&r, 0, GICC_IAR) == SPURIOUS, "priority 0x80 under PMR 0x80: masked");
	CHECK(cr(&r, 0, GICC_HPPIR) == SPURIOUS, "HPPIR applies the mask too");
	cw(&r, 0, GICC_PMR, 0x88);
	CHECK(irq(&r, 0) && cr(&r, 0, GICC_HPPIR) == 40, "PMR 0x88: signalled");
	cw(&r, 0, GICC_PMR, 0);
	CHECK(!irq(&r, 0), "PMR 0 masks everything");
	cw(&r, 0, GICC_PMR, 0xf0);
	CHECK(cr(&r, 0, GICC_IAR) == 40 && !irq(&r, 0), "acknowledged");
	cw(&r, 0, GICC_EOIR, 40);
	CHECK(cr(&r, 0, GICC_RPR) == 0xff && !bit(&r, 0, GICD_ISACTIVER, 40), "done");
	rig_done(&r);
}

static void test_preemption(void)
{
	check_group("preemption");
	struct rig r;
	rig_init(&r, 1, 64);
	linux_init(&r);
	spi_setup(&r, 40, 1, 0xa0);
	spi_setup(&r, 41, 1, 0xa0);
	spi_setup(&r, 42, 1, 0x80);
	spi_setup(&r, 43, 1, 0xa8);
	set_bit(&r, 0, GICD_ISPENDR, 40);
	CHECK(cr(&r, 0, GICC_IAR) == 40, "first");
	CHECK(cr(&r, 0, GICC_RPR) == 0xa0 && cr(&r, 0, GICC_APR0) == 1u << (0xa0 >> 3), "RPR 0xa0, APR0 bit 20");
	set_bit(&r, 0, GICD_ISPENDR, 41);
	CHECK(!irq(&r, 0) && cr(&r, 0, GICC_IAR) == SPURIOUS, "same priority does not preempt");
	CHECK(cr(&r, 0, GICC_HPPIR) == 41, "but HPPIR names it");
	set_bit(&r, 0, GICD_ISPENDR, 42);
	CHECK(irq(&r, 0) && cr(&r, 0, GICC_IAR) == 42, "higher priority preempts");
	CHECK(cr(&r, 0, GICC_RPR) == 0x80, "RPR 0x80");
	CHECK(cr(&r, 0, GICC_APR0) == (1u << 20 | 1u << 16), "two active priorities");
	cw(&r, 0, GICC_EOIR, 42);
	CHECK(cr(&r, 0, GICC_RPR) == 0xa0 && !irq(&r, 0), "back to 0xa0, 41 still waits");
	cw(&r, 0, GICC_EOIR, 40);
	CHECK(cr(&r, 0, GICC_RPR) == 0xff && irq(&r, 0), "idle: 41 signalled");
	CHECK(cr(&r, 0, GICC_IAR) == 41, "41");
	cw(&r, 0, GICC_EOIR, 41);

	/* Two pending: the higher priority first, then the lower ID. */
	set_bit(&r, 0, GICD_ISPENDR, 43);
	set_bit(&r, 0, GICD_ISPENDR, 41);
	set_bit(&r, 0, GICD_ISPENDR, 40);
	u32 a = cr(&r, 0, GICC_IAR);
	cw(&r, 0, GICC_EOIR, a);
	u32 b = cr(&r, 0, GICC_IAR);
	cw(&r, 0, GICC_EOIR, b);
	u32 c = cr(&r, 0, GICC_IAR);
	cw(&r, 0, GICC_EOIR, c);
	CHECK(a == 40 && b == 41 && c == 43, "order 40, 41, 43: %u %u %u", a, b, c);

	/* The binary point splits group priority from subpriority. */
	cw(&r, 0, GICC_BPR, 4); /* group priority bits 7:5 */
	set_bit(&r, 0, GICD_ISPENDR, 43);
	CHECK(cr(&r, 0, GICC_IAR) == 43 && cr(&r, 0, GICC_RPR) == 0xa0, "0xa8 runs at group priority 0xa0");
	set_bit(&r, 0, GICD_ISPENDR, 40);
	CHECK(!irq(&r, 0), "0xa0: same group priority, no preemption");
	set_bit(&r, 0, GICD_ISPENDR, 42);
	CHECK(irq(&r, 0) && cr(&r, 0, GICC_IAR) == 42, "0x80 preempts");
	cw(&r, 0, GICC_EOIR, 42);
	cw(&r, 0, GICC_EOIR, 43);
	CHECK(cr(&r, 0, GICC_IAR) == 40, "then 40");
	cw(&r, 0, GICC_EOIR, 40);
	cw(&r, 0, GICC_BPR, 7);
	set_bit(&r, 0, GICD_ISPENDR, 43);
	CHECK(cr(&r, 0, GICC_IAR) == 43 && cr(&r, 0, GICC_RPR) == 0, "BPR 7: all priority is subpriority");
	set_bit(&r, 0, GICD_ISPENDR, 42);
	CHECK(!irq(&r, 0), "nothing preempts");
	cw(&r, 0, GICC_EOIR, 43);
	CHECK(irq(&r, 0), "42 after the EOI");
	cw(&r, 0, GICC_BPR, 0);
	CHECK(cr(&r, 0, GICC_BPR) == 2, "BPR below its minimum reads 2");
	rig_done(&r);
}

static void test_iar_eoir(void)
{
	check_group("iar-eoir");
	struct rig r;
	rig_init(&r, 1, 64);
	linux_init(&r);
	CHECK(cr(&r, 0, GICC_IAR) == SPURIOUS, "nothing pending: 1023");
	cw(&r, 0, GICC_EOIR, SPURIOUS);
	CHECK(cr(&r, 0, GICC_RPR) == 0xff, "EOI of 1023 ignored");

	spi_setup(&r, 33, 1, 0xa0);
	set_bit(&r, 0, GICD_ICENABLER, 33);
	set_bit(&r, 0, GICD_ISPENDR, 33);
	CHECK(!irq(&r, 0) && cr(&r, 0, GICC_IAR) == SPURIOUS, "disabled: not signalled");
	set_bit(&r, 0, GICD_ISENABLER, 33);
	CHECK(irq(&r, 0), "enabled: signalled");
	dw(&r, 0, GICD_CTLR, 0);
	CHECK(!irq(&r, 0) && cr(&r, 0, GICC_IAR) == SPURIOUS, "distributor off: 1023");
	dw(&r, 0, GICD_CTLR, 1);
	cw(&r, 0, GICC_CTLR, 0);
	CHECK(!irq(&r, 0) && cr(&r, 0, GICC_IAR) == SPURIOUS, "CPU interface off: 1023");
	cw(&r, 0, GICC_CTLR, 1);
	CHECK(irq(&r, 0) && bit(&r, 0, GICD_ISPENDR, 33), "on again, still pending");
	CHECK(cr(&r, 0, GICC_IAR) == 33, "acknowledged");
	CHECK(!bit(&r, 0, GICD_ISPENDR, 33) && bit(&r, 0, GICD_ISACTIVER, 33), "pending -> active");
	CHECK(cr(&r, 0, GICC_IAR) == SPURIOUS, "a second IAR: 1023");
	cw(&r, 0, GICC_EOIR, 33);
	CHECK(!bit(&r, 0, GICD_ISACTIVER, 33) && cr(&r, 0, GICC_RPR) == 0xff, "EOIR: inactive, idle");

	/* An edge during the active state: active and pending, then again. */
	dw(&r, 0, GICD_ICFGR + 8, 0x8);
	gicv2__set_spi(r.g, 1, true);
	gicv2__set_spi(r.g, 1, false);
	CHECK(cr(&r, 0, GICC_IAR) == 33, "edge acknowledged");
	gicv2__set_spi(r.g, 1, true);
	CHECK(bit(&r, 0, GICD_ISPENDR, 33) && bit(&r, 0, GICD_ISACTIVER, 33) && !irq(&r, 0), "active and pending");
	cw(&r, 0, GICC_EOIR, 33);
	CHECK(irq(&r, 0) && cr(&r, 0, GICC_IAR) == 33, "signalled again after the EOI");
	cw(&r, 0, GICC_EOIR, 33);
	CHECK(!irq(&r, 0) && !bit(&r, 0, GICD_ISPENDR, 33), "the held line does not pend it again");

	/* EOIR of IDs that do not exist: ignored, the priority stays. */
	set_bit(&r, 0, GICD_ISPENDR, 34);
	spi_setup(&r, 34, 1, 0x90);
	CHECK(cr(&r, 0, GICC_IAR) == 34, "34");
	cw(&r, 0, GICC_EOIR, 1022);
	cw(&r, 0, GICC_EOIR, 100);
	CHECK(cr(&r, 0, GICC_RPR) == 0x90 && bit(&r, 0, GICD_ISACTIVER, 34), "ignored");
	cw(&r, 0, GICC_EOIR, 34);
	CHECK(cr(&r, 0, GICC_RPR) == 0xff, "done");
	rig_done(&r);
}

static void test_sgis(void)
{
	check_group("sgi");
	struct rig r;
	rig_init(&r, 4, 64);
	linux_init(&r);
	dw(&r, 1, GICD_SGIR, 0x00050003); /* list: CPUs 0 and 2, SGI 3 */
	CHECK(irq(&r, 0) && !irq(&r, 1) && irq(&r, 2) && !irq(&r, 3), "filter 0: CPUs 0 and 2");
	CHECK(dr(&r, 0, GICD_ISPENDR) == 0x8 && db(&r, 0, GICD_SPENDSGIR + 3) == 0x2, "pending from CPU 1");
	CHECK(cr(&r, 0, GICC_HPPIR) == (3 | 1 << 10), "HPPIR with the source");
	u32 v = cr(&r, 0, GICC_IAR);
	CHECK(v == (3 | 1 << 10), "IAR %#x: SGI 3 from CPU 1", v);
	cw(&r, 0, GICC_EOIR, v);
	v = cr(&r, 2, GICC_IAR);
	CHECK(v == (3 | 1 << 10), "CPU 2 too: %#x", v);
	cw(&r, 2, GICC_EOIR, v);
	CHECK(!irq(&r, 0) && !irq(&r, 2), "all done");

	dw(&r, 2, GICD_SGIR, 0x01000007); /* all but self */
	CHECK(irq(&r, 0) && irq(&r, 1) && !irq(&r, 2) && irq(&r, 3), "filter 1: all but CPU 2");
	for (unsigned cpu = 0; cpu < 4; cpu++) {
		if (cpu == 2)
			continue;
		v = cr(&r, cpu, GICC_IAR);
		CHECK(v == (7 | 2 << 10), "CPU %u: %#x", cpu, v);
		cw(&r, cpu, GICC_EOIR, v);
	}
	dw(&r, 3, GICD_SGIR, 0x02ff000f); /* self; the list is ignored */
	CHECK(!irq(&r, 0) && !irq(&r, 1) && !irq(&r, 2) && irq(&r, 3), "filter 2: self");
	v = cr(&r, 3, GICC_IAR);
	CHECK(v == (15 | 3 << 10), "%#x", v);
	cw(&r, 3, GICC_EOIR, v);
	dw(&r, 0, GICD_SGIR, 0x03ff0001);
	dw(&r, 0, GICD_SGIR, 0x00f00001); /* CPUs 4-7 do not exist */
	CHECK(!irq(&r, 0) && !irq(&r, 1) && !irq(&r, 2) && !irq(&r, 3), "filter 3 and absent CPUs: nothing");

	/* Two sources of one SGI: one at a time, the lower source first. */
	dw(&r, 2, GICD_SGIR, 0x00010005);
	dw(&r, 1, GICD_SGIR, 0x00010005);
	CHECK(db(&r, 0, GICD_SPENDSGIR + 5) == 0x6, "sources 1 and 2 pending");
	v = cr(&r, 0, GICC_IAR);
	CHECK(v == (5 | 1 << 10) && db(&r, 0, GICD_SPENDSGIR + 5) == 0x4, "source 1 first");
	CHECK(!irq(&r, 0) && bit(&r, 0, GICD_ISPENDR, 5) && bit(&r, 0, GICD_ISACTIVER, 5), "active and pending");
	cw(&r, 0, GICC_EOIR, v);
	v = cr(&r, 0, GICC_IAR);
	CHECK(v == (5 | 2 << 10), "then source 2: %#x", v);
	cw(&r, 0, GICC_EOIR, v);

	/* SPENDSGIR and CPENDSGIR, banked for the reading CPU. */
	dbw(&r, 0, GICD_SPENDSGIR + 7, 0xf8);
	CHECK(db(&r, 0, GICD_SPENDSGIR + 7) == 0x08 && db(&r, 1, GICD_SPENDSGIR + 7) == 0,
	      "set from source 3 only (4 CPUs), on CPU 0 only");
	CHECK(dr(&r, 0, GICD_CPENDSGIR + 4) == 0x08000000, "word read of CPENDSGIR1");
	CHECK(cr(&r, 0, GICC_IAR) == (7 | 3 << 10), "acknowledged with its source");
	cw(&r, 0, GICC_EOIR, 7 | 3 << 10);
	dbw(&r, 1, GICD_SPENDSGIR + 9, 0x3);
	dbw(&r, 1, GICD_CPENDSGIR + 9, 0x1);
	CHECK(db(&r, 1, GICD_SPENDSGIR + 9) == 0x2, "CPENDSGIR clears source 0");
	dbw(&r, 1, GICD_CPENDSGIR + 9, 0xff);
	CHECK(!irq(&r, 1), "and all of them");

	/* Linux's IPI: SGIR = its CPU map << 16 | n, the map from ITARGETSR. */
	u8 map2 = db(&r, 2, GICD_ITARGETSR);
	dw(&r, 0, GICD_SGIR, (u32)map2 << 16 | 1);
	CHECK(map2 == 4 && irq(&r, 2) && cr(&r, 2, GICC_IAR) == 1, "IPI to CPU 2 from CPU 0");
	cw(&r, 2, GICC_EOIR, 1);
	rig_done(&r);
}

static void test_level_spi(void)
{
	check_group("level");
	struct rig r;
	rig_init(&r, 1, 64);
	linux_init(&r);
	spi_setup(&r, 50, 1, 0xa0);
	gicv2__set_spi(r.g, 18, true);
	CHECK(bit(&r, 0, GICD_ISPENDR, 50) && irq(&r, 0), "line high: pending, signalled");
	gicv2__set_spi(r.g, 18, false);
	CHECK(!bit(&r, 0, GICD_ISPENDR, 50) && !irq(&r, 0), "line low before the IAR: not pending");
	gicv2__set_spi(r.g, 18, true);
	CHECK(cr(&r, 0, GICC_IAR) == 50, "acknowledged");
	CHECK(bit(&r, 0, GICD_ISACTIVER, 50) && bit(&r, 0, GICD_ISPENDR, 50) && !irq(&r, 0),
	      "line still high: active and pending, not signalled");
	cw(&r, 0, GICC_EOIR, 50);
	CHECK(irq(&r, 0) && bit(&r, 0, GICD_ISPENDR, 50), "EOI with the line high: asserted again");
	CHECK(cr(&r, 0, GICC_IAR) == 50, "again");
	gicv2__set_spi(r.g, 18, false); /* the handler quiets the device */
	CHECK(!bit(&r, 0, GICD_ISPENDR, 50), "line low: active only");
	cw(&r, 0, GICC_EOIR, 50);
	CHECK(!irq(&r, 0) && !bit(&r, 0, GICD_ISPENDR, 50) && !bit(&r, 0, GICD_ISACTIVER, 50), "idle");

	/* Software pending on a level interrupt: latched until acknowledged. */
	set_bit(&r, 0, GICD_ISPENDR, 50);
	CHECK(irq(&r, 0) && cr(&r, 0, GICC_IAR) == 50, "ISPENDR with the line low");
	cw(&r, 0, GICC_EOIR, 50);
	CHECK(!irq(&r, 0) && !bit(&r, 0, GICD_ISPENDR, 50), "the IAR consumed the latch");
	gicv2__set_spi(r.g, 18, true);
	set_bit(&r, 0, GICD_ICPENDR, 50);
	CHECK(bit(&r, 0, GICD_ISPENDR, 50) && irq(&r, 0), "ICPENDR cannot clear a held line");
	gicv2__set_spi(r.g, 18, false);
	CHECK(!irq(&r, 0), "the line can");

	/* A disabled level interrupt keeps following its line. */
	set_bit(&r, 0, GICD_ICENABLER, 50);
	gicv2__set_spi(r.g, 18, true);
	CHECK(bit(&r, 0, GICD_ISPENDR, 50) && !irq(&r, 0), "disabled: pending, not signalled");
	set_bit(&r, 0, GICD_ISENABLER, 50);
	CHECK(irq(&r, 0), "enabled: signalled");
	gicv2__set_spi(r.g, 18, false);
	gicv2__set_spi(r.g, 99, true);
	gicv2__set_spi(r.g, 32, true);
	CHECK(!irq(&r, 0) && dr(&r, 0, GICD_ISPENDR + 8) == 0, "SPIs beyond the count are ignored");
	rig_done(&r);
}

static void test_edge_spi(void)
{
	check_group("edge");
	struct rig r;
	rig_init(&r, 1, 64);
	linux_init(&r);
	spi_setup(&r, 51, 1, 0xa0);
	dw(&r, 0, GICD_ICFGR + 12, 2u << 6); /* ID 51 edge */
	CHECK(dr(&r, 0, GICD_ICFGR + 12) == 2u << 6, "configured edge");
	gicv2__set_spi(r.g, 19, true);
	CHECK(irq(&r, 0), "rising edge: pending");
	gicv2__set_spi(r.g, 19, false);
	CHECK(irq(&r, 0) && bit(&r, 0, GICD_ISPENDR, 51), "stays pending after the line falls");
	set_bit(&r, 0, GICD_ICPENDR, 51);
	CHECK(!irq(&r, 0), "ICPENDR clears the latch");
	gicv2__set_spi(r.g, 19, true);
	gicv2__set_spi(r.g, 19, true);
	CHECK(cr(&r, 0, GICC_IAR) == 51, "acknowledged");
	CHECK(!bit(&r, 0, GICD_ISPENDR, 51), "one edge, one interrupt");
	cw(&r, 0, GICC_EOIR, 51);
	CHECK(!irq(&r, 0), "a held line is not an edge");
	gicv2__set_spi(r.g, 19, false);
	gicv2__set_spi(r.g, 19, true);
	CHECK(irq(&r, 0), "the next edge");
	CHECK(cr(&r, 0, GICC_IAR) == 51, "acknowledged");
	cw(&r, 0, GICC_EOIR, 51);

	/* An edge while disabled is remembered. */
	set_bit(&r, 0, GICD_ICENABLER, 51);
	gicv2__set_spi(r.g, 19, false);
	gicv2__set_spi(r.g, 19, true);
	CHECK(!irq(&r, 0) && bit(&r, 0, GICD_ISPENDR, 51), "disabled: latched");
	set_bit(&r, 0, GICD_ISENABLER, 51);
	CHECK(irq(&r, 0), "enabling delivers it");
	rig_done(&r);
}

static void test_targets(void)
{
	check_group("targets");
	struct rig r;
	rig_init(&r, 4, 96);
	linux_init(&r);
	spi_setup(&r, 60, 0x04, 0xa0);
	gicv2__set_spi(r.g, 28, true);
	CHECK(!irq(&r, 0) && !irq(&r, 1) && irq(&r, 2) && !irq(&r, 3), "to CPU 2 only");
	CHECK(cr(&r, 0, GICC_IAR) == SPURIOUS && cr(&r, 0, GICC_HPPIR) == SPURIOUS, "CPU 0 does not see it");
	dbw(&r, 0, GICD_ITARGETSR + 60, 0x0a);
	CHECK(!irq(&r, 0) && irq(&r, 1) && !irq(&r, 2) && irq(&r, 3), "retargeted to CPUs 1 and 3");
	CHECK(cr(&r, 3, GICC_IAR) == 60, "CPU 3 takes it");
	CHECK(!irq(&r, 1) && cr(&r, 1, GICC_IAR) == SPURIOUS, "then CPU 1 has nothing (1-N)");
	gicv2__set_spi(r.g, 28, false);
	cw(&r, 3, GICC_EOIR, 60);
	dbw(&r, 0, GICD_ITARGETSR + 60, 0);
	gicv2__set_spi(r.g, 28, true);
	CHECK(!irq(&r, 0) && !irq(&r, 1) && !irq(&r, 2) && !irq(&r, 3) && bit(&r, 0, GICD_ISPENDR, 60),
	      "no target: pending, nobody signalled");
	dbw(&r, 0, GICD_ITARGETSR + 60, 0xff);
	CHECK(db(&r, 0, GICD_ITARGETSR + 60) == 0x0f, "only implemented CPUs stick");
	dw(&r, 2, GICD_ITARGETSR + 60, 0x01010101);
	CHECK(dr(&r, 1, GICD_ITARGETSR + 60) == 0x01010101, "word write of four targets");
	dw(&r, 2, GICD_ITARGETSR, 0);
	CHECK(dr(&r, 2, GICD_ITARGETSR) == 0x04040404 && dr(&r, 3, GICD_ITARGETSR + 16) == 0x08080808,
	      "IDs 0-31: the reader's own bit, read-only");
	rig_done(&r);

	rig_init(&r, 1, 64);
	CHECK(dr(&r, 0, GICD_ITARGETSR) == 0x01010101, "one CPU: its mask is 1 (Linux needs one)");
	rig_done(&r);
}

static void test_ppis(void)
{
	check_group("ppi");
	struct rig r;
	rig_init(&r, 2, 64);
	linux_init(&r);
	set_bit(&r, 0, GICD_ISENABLER, 30); /* the timer PPI, enabled on CPU 0 only */
	gicv2__set_ppi(r.g, 1, 14, true);
	CHECK(!irq(&r, 0) && !irq(&r, 1) && bit(&r, 1, GICD_ISPENDR, 30) && !bit(&r, 0, GICD_ISPENDR, 30),
	      "CPU 1's line: pending on CPU 1, disabled there");
	set_bit(&r, 1, GICD_ISENABLER, 30);
	CHECK(!irq(&r, 0) && irq(&r, 1), "enabled on CPU 1: signalled there");
	gicv2__set_ppi(r.g, 0, 14, true);
	CHECK(irq(&r, 0), "CPU 0's own line");
	CHECK(cr(&r, 1, GICC_IAR) == 30 && !irq(&r, 1) && irq(&r, 0), "CPU 1 acknowledges its own");
	CHECK(bit(&r, 1, GICD_ISACTIVER, 30) && !bit(&r, 0, GICD_ISACTIVER, 30), "active on CPU 1 only");
	gicv2__set_ppi(r.g, 1, 14, false);
	cw(&r, 1, GICC_EOIR, 30);
	CHECK(!irq(&r, 1) && irq(&r, 0), "CPU 1 done, CPU 0 still asserted");
	dbw(&r, 0, GICD_IPRIORITYR + 30, 0xf0);
	CHECK(!irq(&r, 0), "CPU 0's copy of the priority at the mask");
	gicv2__set_ppi(r.g, 0, 14, false);

	/* Edge PPIs, per CPU. */
	dw(&r, 1, GICD_ICFGR + 4, 2u << 28); /* ID 30 edge on CPU 1 */
	gicv2__set_ppi(r.g, 1, 14, true);
	gicv2__set_ppi(r.g, 1, 14, false);
	CHECK(irq(&r, 1) && cr(&r, 1, GICC_IAR) == 30, "edge PPI latched on CPU 1");
	cw(&r, 1, GICC_EOIR, 30);
	gicv2__set_ppi(r.g, 0, 14, true);
	gicv2__set_ppi(r.g, 0, 14, false);
	CHECK(!bit(&r, 0, GICD_ISPENDR, 30), "level on CPU 0: gone with the line");
	gicv2__set_ppi(r.g, 2, 14, true);
	gicv2__set_ppi(r.g, 0, 16, true);
	CHECK(!irq(&r, 0) && !irq(&r, 1) && dr(&r, 0, GICD_ISPENDR) == 0, "absent CPU or PPI: ignored");
	rig_done(&r);
}

static void test_eoimode1(void)
{
	check_group("eoimode1");
	struct rig r;
	rig_init(&r, 1, 64);
	linux_init(&r);
	spi_setup(&r, 40, 1, 0xa0);
	cw(&r, 0, GICC_CTLR, 1 | CTLR_EOIMODE);
	gicv2__set_spi(r.g, 8, true);
	CHECK(cr(&r, 0, GICC_IAR) == 40, "acknowledged");
	cw(&r, 0, GICC_EOIR, 40);
	CHECK(cr(&r, 0, GICC_RPR) == 0xff && bit(&r, 0, GICD_ISACTIVER, 40), "EOIR: priority dropped, still active");
	CHECK(!irq(&r, 0), "not signalled while active");
	cw(&r, 0, GICC_DIR, 40);
	CHECK(!bit(&r, 0, GICD_ISACTIVER, 40) && irq(&r, 0), "DIR deactivates: the held line comes back");
	CHECK(cr(&r, 0, GICC_IAR) == 40, "again");
	gicv2__set_spi(r.g, 8, false);
	cw(&r, 0, GICC_CTLR, 1);
	cw(&r, 0, GICC_DIR, 40);
	CHECK(bit(&r, 0, GICD_ISACTIVER, 40), "DIR ignored with EOImode 0");
	cw(&r, 0, GICC_EOIR, 40);
	CHECK(!bit(&r, 0, GICD_ISACTIVER, 40) && cr(&r, 0, GICC_RPR) == 0xff, "EOIR does both");
	rig_done(&r);
}

static void test_groups(void)
{
	check_group("groups");
	struct rig r;
	rig_init(&r, 1, 64);
	linux_init(&r);
	spi_setup(&r, 40, 1, 0xa0);
	spi_setup(&r, 41, 1, 0x80);
	dw(&r, 0, GICD_IGROUPR + 4, 1u << 8); /* ID 40: Group 1 */
	set_bit(&r, 0, GICD_ISPENDR, 40);
	CHECK(!irq(&r, 0) && cr(&r, 0, GICC_HPPIR) == SPURIOUS, "Group 1 off in the distributor (Linux's setup)");
	dw(&r, 0, GICD_CTLR, 3);
	CHECK(!irq(&r, 0), "and in the CPU interface");
	cw(&r, 0, GICC_CTLR, 3);
	CHECK(irq(&r, 0) && !gicv2__fiq_pending(r.g, 0), "both on: an IRQ");
	CHECK(cr(&r, 0, GICC_HPPIR) == GROUP1_NOT_ACKED && cr(&r, 0, GICC_AHPPIR) == 40, "HPPIR 1022, AHPPIR 40");
	CHECK(cr(&r, 0, GICC_IAR) == GROUP1_NOT_ACKED && bit(&r, 0, GICD_ISPENDR, 40), "IAR 1022 (AckCtl 0): not taken");
	CHECK(cr(&r, 0, GICC_AIAR) == 40, "AIAR takes it");
	CHECK(cr(&r, 0, GICC_NSAPR0) == 1u << 20 && cr(&r, 0, GICC_APR0) == 0, "Group 1 active priority");
	cw(&r, 0, GICC_AEOIR, 40);
	CHECK(cr(&r, 0, GICC_RPR) == 0xff && !bit(&r, 0, GICD_ISACTIVER, 40), "AEOIR ends it");
	set_bit(&r, 0, GICD_ISPENDR, 40);
	set_bit(&r, 0, GICD_ISPENDR, 41);
	CHECK(cr(&r, 0, GICC_AIAR) == SPURIOUS, "AIAR: 1023 while a Group 0 one is highest");
	CHECK(cr(&r, 0, GICC_IAR) == 41, "IAR takes Group 0");
	cw(&r, 0, GICC_EOIR, 41);
	cw(&r, 0, GICC_CTLR, 3 | CTLR_ACKCTL);
	CHECK(cr(&r, 0, GICC_HPPIR) == 40 && cr(&r, 0, GICC_IAR) == 40, "AckCtl: IAR takes Group 1");
	cw(&r, 0, GICC_EOIR, 40);

	/* FIQEn: Group 0 is signalled as FIQ, Group 1 stays IRQ. */
	cw(&r, 0, GICC_CTLR, 3 | CTLR_FIQEN);
	set_bit(&r, 0, GICD_ISPENDR, 41);
	CHECK(gicv2__fiq_pending(r.g, 0) && !irq(&r, 0), "Group 0 as FIQ");
	set_bit(&r, 0, GICD_ICPENDR, 41);
	set_bit(&r, 0, GICD_ISPENDR, 40);
	CHECK(!gicv2__fiq_pending(r.g, 0) && irq(&r, 0), "Group 1 as IRQ");
	set_bit(&r, 0, GICD_ICPENDR, 40);

	/* ABPR: Group 1's binary point, minimum 3; CBPR makes BPR rule both. */
	cw(&r, 0, GICC_ABPR, 0);
	CHECK(cr(&r, 0, GICC_ABPR) == 3, "ABPR minimum 3");
	cw(&r, 0, GICC_CTLR, 3 | CTLR_ACKCTL);
	dbw(&r, 0, GICD_IPRIORITYR + 40, 0x98);
	set_bit(&r, 0, GICD_ISPENDR, 40);
	CHECK(cr(&r, 0, GICC_IAR) == 40 && cr(&r, 0, GICC_RPR) == 0x98, "ABPR 3: group priority 0x98");
	cw(&r, 0, GICC_EOIR, 40);
	cw(&r, 0, GICC_ABPR, 5);
	set_bit(&r, 0, GICD_ISPENDR, 40);
	CHECK(cr(&r, 0, GICC_IAR) == 40 && cr(&r, 0, GICC_RPR) == 0x80, "ABPR 5: bits 7:5, 0x80");
	cw(&r, 0, GICC_EOIR, 40);
	cw(&r, 0, GICC_CTLR, 3 | CTLR_ACKCTL | CTLR_CBPR);
	set_bit(&r, 0, GICD_ISPENDR, 40);
	CHECK(cr(&r, 0, GICC_IAR) == 40 && cr(&r, 0, GICC_RPR) == 0x98, "CBPR: BPR 2 for Group 1 too");
	cw(&r, 0, GICC_EOIR, 40);
	cw(&r, 0, GICC_CTLR, ~0u);
	CHECK(cr(&r, 0, GICC_CTLR) == 0x3ff, "GICC_CTLR: bits 9:0");
	rig_done(&r);
}

static void test_access_sizes(void)
{
	check_group("access-sizes");
	struct rig r;
	rig_init(&r, 2, 64);
	linux_init(&r);
	u16 h = 0x8890;
	bus__access(&r.m->mmio, vcpu(&r, 0), DIST + GICD_IPRIORITYR + 44, (u8 *)&h, 2, true);
	CHECK(db(&r, 0, GICD_IPRIORITYR + 44) == 0x90 && db(&r, 0, GICD_IPRIORITYR + 45) == 0x88, "halfword priorities");
	u64 q = 0;
	bus__access(&r.m->mmio, vcpu(&r, 0), DIST + GICD_IPRIORITYR + 40, (u8 *)&q, 8, false);
	CHECK(q == 0xa0a08890a0a0a0a0ull, "8-byte read of eight priorities: %#llx", (unsigned long long)q);
	dbw(&r, 0, GICD_ITARGETSR + 45, 2);
	CHECK(dr(&r, 0, GICD_ITARGETSR + 44) == 0x01010201, "byte target in a word");

	/* Word-only registers ignore other sizes. */
	u8 b = 0xff;
	bus__access(&r.m->mmio, vcpu(&r, 0), DIST + GICD_ISENABLER + 4, &b, 1, true);
	CHECK(dr(&r, 0, GICD_ISENABLER + 4) == 0, "byte write to ISENABLER ignored");
	b = 0xff;
	bus__access(&r.m->mmio, vcpu(&r, 0), DIST + GICD_ISENABLER, &b, 1, false);
	CHECK(b == 0, "byte read of ISENABLER: 0");
	dw(&r, 0, GICD_ISENABLER + 2, ~0u);
	CHECK(dr(&r, 0, GICD_ISENABLER + 4) == 0, "misaligned word ignored");
	spi_setup(&r, 40, 1, 0xa0);
	set_bit(&r, 0, GICD_ISPENDR, 40);
	u16 iar = 0;
	bus__access(&r.m->mmio, vcpu(&r, 0), CPUIF + GICC_IAR, (u8 *)&iar, 2, false);
	CHECK(iar == 0 && irq(&r, 0), "halfword IAR read: 0, nothing acknowledged");
	CHECK(cr(&r, 0, GICC_IAR) == 40, "a word read acknowledges");
	b = 0;
	bus__access(&r.m->mmio, vcpu(&r, 0), CPUIF + GICC_EOIR, &b, 1, true);
	CHECK(cr(&r, 0, GICC_RPR) == 0xa0, "byte EOIR ignored");
	cw(&r, 0, GICC_EOIR, 40);
	u32 v = 0;
	bus__access(&r.m->mmio, NULL, CPUIF + GICC_PMR, (u8 *)&v, 4, false);
	CHECK(v == 0xf0, "no vCPU: CPU 0's interface");
	CHECK(cr(&r, 0, 0x1004) == 0 && cr(&r, 0, GICC_APR0 + 4) == 0, "reserved CPU interface words read 0");
	v = 0;
	bus__access(&r.m->mmio, NULL, CPUIF + GICV2_CPU_SIZE, (u8 *)&v, 4, false);
	CHECK(v == 0xffffffff, "the CPU interface ends at GICV2_CPU_SIZE");
	rig_done(&r);
}

/* Outputs change -> machine__interrupt_changed; struct intc for the board. */
static void test_outputs(void)
{
	check_group("outputs");
	struct rig r;
	rig_init(&r, 2, 64);
	linux_init(&r);
	spi_setup(&r, 40, 2, 0xa0);
	r.m->irq_changed = false;
	dbw(&r, 0, GICD_IPRIORITYR + 41, 0x10);
	CHECK(!r.m->irq_changed, "no output changed: no notification");
	gicv2__set_spi(r.g, 8, true);
	CHECK(r.m->irq_changed && irq(&r, 1), "CPU 1's IRQ raised: notified");
	r.m->irq_changed = false;
	struct intc ic = gicv2__intc(r.g, 1);
	CHECK(ic.has_interrupt(ic.opaque) && ic.acknowledge(ic.opaque) == 0, "intc: has_interrupt, acknowledge 0");
	CHECK(irq(&r, 1) && !r.m->irq_changed, "the intc's acknowledge changes nothing");
	CHECK(cr(&r, 1, GICC_IAR) == 40 && r.m->irq_changed, "the guest's IAR lowers it: notified");
	CHECK(!ic.has_interrupt(ic.opaque) && ic.acknowledge(ic.opaque) == -1, "intc: gone");
	struct intc ic0 = gicv2__intc(r.g, 0);
	CHECK(!ic0.has_interrupt(ic0.opaque), "CPU 0 has nothing");
	struct intc none = gicv2__intc(r.g, 2);
	CHECK(none.has_interrupt == NULL, "no CPU 2: an empty intc");
	CHECK(!gicv2__irq_pending(r.g, 5) && !gicv2__fiq_pending(r.g, 8), "absent CPUs: no outputs");
	rig_done(&r);
}

static void test_router(void)
{
	check_group("router");
	struct rig r;
	rig_init(&r, 1, 64);
	linux_init(&r);
	gicv2__install_router(r.g);
	spi_setup(&r, 37, 1, 0xa0);
	machine__set_irq(r.m, 5, true);
	CHECK(bit(&r, 0, GICD_ISPENDR, 37) && irq(&r, 0), "line 5 is SPI 5, ID 37");
	machine__set_irq(r.m, 5, false);
	CHECK(!irq(&r, 0), "and follows it");
	machine__set_irq(r.m, 32, true);
	CHECK(dr(&r, 0, GICD_ISPENDR + 4) == 0 && dr(&r, 0, GICD_ISPENDR + 8) == 0, "line 32 beyond 64 IDs: ignored");
	rig_done(&r);
}

/* Linux's whole flow: init, an SPI from a device, a timer PPI, an IPI. */
static void test_linux_flow(void)
{
	check_group("linux-flow");
	struct rig r;
	rig_init(&r, 2, 288);
	gicv2__install_router(r.g);
	linux_init(&r);
	CHECK(dr(&r, 0, GICD_ITARGETSR + 32) == 0x01010101, "SPIs aimed at CPU 0 by gic_dist_init");
	CHECK(cr(&r, 1, GICC_CTLR) == 1 && cr(&r, 1, GICC_PMR) == 0xf0, "CPU 1's interface up");
	/* request_irq for the UART (SPI 1) and the timer PPI 14. */
	set_bit(&r, 0, GICD_ISENABLER, 33);
	set_bit(&r, 0, GICD_ISENABLER, 30);
	set_bit(&r, 1, GICD_ISENABLER, 30);
	machine__set_irq(r.m, 1, true);
	CHECK(irq(&r, 0) && !irq(&r, 1), "UART interrupt to CPU 0");
	u32 v = cr(&r, 0, GICC_IAR);
	machine__set_irq(r.m, 1, false); /* the handler reads the UART */
	cw(&r, 0, GICC_EOIR, v);
	CHECK(v == 33 && cr(&r, 0, GICC_IAR) == SPURIOUS, "handled; the loop's next IAR is spurious");
	/* irq_set_affinity to CPU 1: a byte write of its map. */
	dbw(&r, 0, GICD_ITARGETSR + 33, db(&r, 1, GICD_ITARGETSR));
	machine__set_irq(r.m, 1, true);
	CHECK(!irq(&r, 0) && irq(&r, 1), "moved to CPU 1");
	gicv2__set_ppi(r.g, 1, 14, true);
	v = cr(&r, 1, GICC_IAR);
	u32 w = cr(&r, 1, GICC_IAR);
	CHECK(v == 30 && w == SPURIOUS, "same priority: the lower ID first, no nesting");
	gicv2__set_ppi(r.g, 1, 14, false);
	cw(&r, 1, GICC_EOIR, v);
	CHECK(cr(&r, 1, GICC_IAR) == 33, "then the UART");
	machine__set_irq(r.m, 1, false);
	cw(&r, 1, GICC_EOIR, 33);
	/* An IPI from CPU 1 to CPU 0 (SGI 2, Linux's IPI_CALL_FUNC). */
	dw(&r, 1, GICD_SGIR, (u32)db(&r, 0, GICD_ITARGETSR) << 16 | 2);
	v = cr(&r, 0, GICC_IAR);
	cw(&r, 0, GICC_EOIR, v);
	CHECK(v == (2 | 1 << 10) && !irq(&r, 0) && !irq(&r, 1), "IPI %#x handled, all quiet", v);
	rig_done(&r);
}

/* The registers a guest can read without side effects, from each CPU:
 * about 950 words per CPU. */
#define DUMP_MAX 8000

static void dump(struct rig *r, u32 *out, unsigned n)
{
	unsigned k = 0;
	for (unsigned cpu = 0; cpu < r->ncpus; cpu++) {
		for (unsigned off = GICD_IGROUPR; off < GICD_SGIR && k < n; off += 4)
			out[k++] = dr(r, cpu, off);
		for (unsigned off = GICD_CPENDSGIR; off < GICD_SPENDSGIR + 16 && k < n; off += 4)
			out[k++] = dr(r, cpu, off);
		static const unsigned regs[] = { GICC_CTLR, GICC_PMR, GICC_BPR, GICC_RPR, GICC_HPPIR,
						 GICC_ABPR, GICC_AHPPIR, GICC_APR0, GICC_NSAPR0 };
		for (unsigned j = 0; j < ARRAY_SIZE(regs) && k < n; j++)
			out[k++] = cr(r, cpu, regs[j]);
		if (k < n)
			out[k++] = irq(r, cpu) | gicv2__fiq_pending(r->g, cpu) << 1;
	}
	out[k < n ? k : n - 1] = dr(r, 0, GICD_CTLR);
}

static void test_checkpoint(void)
{
	check_group("checkpoint");
	struct rig a, b;
	rig_init(&a, 3, 96);
	rig_init(&b, 3, 96);
	linux_init(&a);
	spi_setup(&a, 40, 0x1, 0xa0);
	spi_setup(&a, 41, 0x6, 0x80);
	dw(&a, 0, GICD_ICFGR + 8, 2u << 18); /* ID 41 edge */
	dw(&a, 2, GICD_IGROUPR + 4, 0); /* global: still Group 0 */
	gicv2__set_spi(a.g, 8, true);     /* level, held */
	CHECK(cr(&a, 0, GICC_IAR) == 40, "CPU 0 runs 40");
	gicv2__set_spi(a.g, 9, true);     /* edge */
	dw(&a, 2, GICD_SGIR, 0x00030004); /* SGI 4 to CPUs 0 and 1 from 2 */
	set_bit(&a, 1, GICD_ISENABLER, 27);
	gicv2__set_ppi(a.g, 1, 11, true);
	cw(&a, 2, GICC_BPR, 3);
	cw(&a, 1, GICC_CTLR, 1 | CTLR_EOIMODE);

	struct device *da = machine__find_device(a.m, "gicv2");
	struct device *db_ = machine__find_device(b.m, "gicv2");
	CHECK(da->state_size == db_->state_size && da->version == db_->version, "same layout");
	u8 saved[8192];
	CHECK(da->state_size <= sizeof(saved), "state fits: %u bytes", da->state_size);
	memcpy(saved, da->state, da->state_size);
	b.m->irq_changed = false;
	device__restore(db_, saved);
	CHECK(b.m->irq_changed, "restore re-evaluates and notifies");
	CHECK(!memcmp(da->state, db_->state, da->state_size), "state bytes equal");
	static u32 ra[DUMP_MAX], rb[DUMP_MAX];
	memset(ra, 0, sizeof(ra));
	memset(rb, 0, sizeof(rb));
	dump(&a, ra, DUMP_MAX);
	dump(&b, rb, DUMP_MAX);
	CHECK(!memcmp(ra, rb, sizeof(ra)), "every register and output equal");

	/* The same future on both. */
	bool same = true;
	for (unsigned round = 0; round < 4; round++) {
		for (unsigned cpu = 0; cpu < 3; cpu++) {
			u32 x = cr(&a, cpu, GICC_IAR), y = cr(&b, cpu, GICC_IAR);
			same &= x == y;
			if (x != SPURIOUS) {
				cw(&a, cpu, GICC_EOIR, x);
				cw(&b, cpu, GICC_EOIR, y);
				cw(&a, cpu, GICC_DIR, x);
				cw(&b, cpu, GICC_DIR, y);
			}
		}
		gicv2__set_spi(a.g, 8, round & 1);
		gicv2__set_spi(b.g, 8, round & 1);
	}
	dump(&a, ra, DUMP_MAX);
	dump(&b, rb, DUMP_MAX);
	CHECK(same && !memcmp(ra, rb, sizeof(ra)), "same acknowledgements and state afterwards");
	CHECK(!memcmp(da->state, db_->state, da->state_size), "state bytes still equal");
	memcpy(saved, db_->state, db_->state_size);
	b.m->irq_changed = false;
	device__restore(db_, saved);
	CHECK(b.m->irq_changed, "a restore notifies even when no output changed");
	rig_done(&a);
	rig_done(&b);
}

int main(void)
{
	test_identification();
	test_reset_values();
	test_bits_per_type();
	test_priorities_and_mask();
	test_preemption();
	test_iar_eoir();
	test_sgis();
	test_level_spi();
	test_edge_spi();
	test_targets();
	test_ppis();
	test_eoimode1();
	test_groups();
	test_access_sizes();
	test_outputs();
	test_router();
	test_linux_flow();
	test_checkpoint();
	check_group_end();
	return check_summary();
}
