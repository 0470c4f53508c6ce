/*
 * GICv2 distributor and CPU interfaces (ARM IHI 0048B), no Security or
 * Virtualization Extensions.  What this model does and why:
 *
 * - Identity: a GIC-400 r0p1 (GICD_IIDR 0x0200143b, GICC_IIDR 0x0202143b,
 *   PIDR2.ArchRev 2); GICD_TYPER gives ITLinesNumber and CPUNumber,
 *   SecurityExtn 0.
 * - Groups: GICv2 has interrupt grouping in every implementation, so
 *   GICD_IGROUPRn hold real group bits (banked per CPU for IDs 0-31),
 *   reset 0: everything is Group 0, which is what Linux's irq-gic driver
 *   uses on QEMU virt without security (it never writes IGROUPR, enables
 *   the distributor with GICD_CTLR = 1 and the CPU interface with
 *   GICC_CTLR.EnableGrp0, FIQEn clear, so Group 0 is signalled as IRQ).
 *   GICD_CTLR has EnableGrp0/EnableGrp1; GICC_CTLR has EnableGrp0/1,
 *   AckCtl, FIQEn, CBPR, the bypass-disable bits (stored: there is no
 *   legacy bypass signal) and EOImode.  A Group 1 interrupt read through
 *   GICC_IAR or GICC_HPPIR with AckCtl clear gives 1022; the aliases
 *   GICC_AIAR/AEOIR/AHPPIR/ABPR serve Group 1.
 * - Priorities: 5 bits (32 levels) as on the GIC-400; the 3 low bits of
 *   IPRIORITYR and PMR read as zero.  Minimum binary points: BPR 2, ABPR
 *   3 (their reset values), so GICC_APR0 (Group 0) and GICC_NSAPR0
 *   (Group 1) hold one bit per preemption level: bit n is group priority
 *   n << 3.  The running priority is the highest of those; an interrupt
 *   is signalled if its priority is below PMR and its group priority
 *   below the running priority.  Ties go to the lowest ID, then (SGIs)
 *   the lowest source CPU.
 * - States: pending, active, active-and-pending.  An edge-triggered
 *   interrupt latches pending on a rising edge; a level-sensitive one is
 *   pending while its line is high or its pending latch (GICD_ISPENDR) is
 *   set.  Acknowledging clears the latch, so a level interrupt whose line
 *   is still high is active and pending and comes back after its
 *   deactivation.  SGIs are edge-triggered, pending per source CPU
 *   (GICD_SGIR, SPENDSGIR/CPENDSGIR; their ISPENDR/ICPENDR bits are
 *   read-only in GICv2) and always enabled (the ISENABLER0 bits read as
 *   one, an implementation choice the architecture allows; Linux sets
 *   them anyway).  PPI and SPI trigger modes are programmable.
 * - EOI: GICC_EOIR (or AEOIR) drops the running priority (the highest
 *   active priority bit) and, with EOImode 0, deactivates the interrupt
 *   named; with EOImode 1, GICC_DIR deactivates it (and is ignored with
 *   EOImode 0, where the architecture leaves it unpredictable).  IDs
 *   1020-1023 and IDs not implemented are ignored.  AEOIR acts as EOIR.
 * - GICC_HPPIR/AHPPIR name what IAR would consider, masked by PMR but not
 *   by the running priority (QEMU's choice; Linux never reads them).
 * - ITARGETSR: SPI targets hold one bit per implemented CPU; the bytes of
 *   IDs 0-31 read as the reading CPU's own bit, also with one CPU (as
 *   QEMU does, rather than the architecture's RAZ/WI for uniprocessors,
 *   since Linux takes its CPU mask from them and uses it for IPIs).
 * - Accesses: IPRIORITYR, ITARGETSR, CPENDSGIR and SPENDSGIR are byte
 *   accessible (any size, byte by byte); every other register takes
 *   aligned 32-bit accesses only, other accesses read 0 and write
 *   nothing.  Unimplemented IDs and registers are RAZ/WI.
 * - Outputs are recomputed after every change (input, access, restore)
 *   and machine__interrupt_changed is called when one changes.
 */
#include <stdlib.h>
#include <string.h>

#include "arch/arm64/hw/gicv2.h"

#define NWORDS (GICV2_MAX_IRQS / 32)
#define FIRST_SPECIAL_ID 1020
#define ID_GROUP1_NOT_ACKED 1022
#define ID_SPURIOUS 1023

#define PRIORITY_MASK 0xf8 /* 5 implemented bits */
#define MIN_BPR 2
#define MIN_ABPR 3
#define IDLE_PRIORITY 0x100 /* no active priority; GICC_RPR reads 0xff */

#define DCTLR_GRP0 0x1
#define DCTLR_GRP1 0x2

#define CCTLR_GRP0 0x001
#define CCTLR_GRP1 0x002
#define CCTLR_ACKCTL 0x004
#define CCTLR_FIQEN 0x008
#define CCTLR_CBPR 0x010
#define CCTLR_EOIMODE 0x200
#define CCTLR_WRITABLE 0x3ff

#define SGI_BITS 0x0000ffffu
#define GICD_IIDR_VALUE 0x0200143bu
#define GICC_IIDR_VALUE 0x0202143bu

/* PIDR4-7, PIDR0-3, CIDR0-3: one byte per word from GICD_PIDR4. */
static const u8 dist_id[12] = { 0x04, 0x00, 0x00, 0x00, 0x90, 0xb4, 0x2b, 0x00,
				0x0d, 0xf0, 0x05, 0xb1 };

/* One bit per interrupt ID, of each of these kinds. */
enum bit_kind {
	B_ENABLED,
	B_PENDING, /* the pending latch (see the top) */
	B_ACTIVE,
	B_GROUP,
	B_EDGE,    /* 1: edge-triggered */
	B_LINE,    /* the input line's level */
	NKINDS
};

/* A CPU interface, and its CPU's banked view of IDs 0-31. */
struct gicv2_cpu_state {
	u32 ctlr, pmr, bpr, abpr;
	u32 apr[2];          /* active priorities of Group 0 and Group 1 */
	u32 bits[NKINDS];    /* IDs 0-31 */
	u8 priority[32];
	u8 sgi_sources[16];  /* pending SGIs: bit n set = from CPU n */
};

/* Everything the guest can observe (no pointers). */
struct gicv2_state {
	u32 ctlr;
	u32 reserved;        /* keeps the layout free of compiler padding */
	u32 bits[NKINDS][NWORDS]; /* word 0 unused: IDs 0-31 are per CPU */
	u8 priority[GICV2_MAX_IRQS];
	u8 targets[GICV2_MAX_IRQS];
	struct gicv2_cpu_state cpu[GICV2_MAX_CPUS];
};

_Static_assert(sizeof(struct gicv2_cpu_state) == 96, "gicv2_cpu_state has padding");
_Static_assert(sizeof(struct gicv2_state) == 8 + NKINDS * NWORDS * 4 + 2 * GICV2_MAX_IRQS +
						 GICV2_MAX_CPUS * 96,
	       "gicv2_state has padding");

/* One CPU interface as a vCPU's struct intc sees it. */
struct gicv2_port {
	struct gicv2 *g;
	unsigned cpu;
};

struct gicv2 {
	struct gicv2_state s;
	struct encore_machine *m;
	unsigned ncpus, nirqs;
	/* The outputs last reported (derived from the state, so not saved). */
	bool irq_out[GICV2_MAX_CPUS], fiq_out[GICV2_MAX_CPUS];
	struct gicv2_port ports[GICV2_MAX_CPUS];
};

/* ---- interrupt bits ---- */

/* Word `w` of a kind: IDs 0-31 come from the CPU's bank. */
static u32 *word_of(struct gicv2 *g, enum bit_kind k, unsigned cpu, unsigned w)
{
	return w ? &g->s.bits[k][w] : &g->s.cpu[cpu].bits[k];
}

static bool bit_of(struct gicv2 *g, enum bit_kind k, unsigned cpu, unsigned id)
{
	return *word_of(g, k, cpu, id / 32) >> (id % 32) & 1;
}

static void set_bit_to(struct gicv2 *g, enum bit_kind k, unsigned cpu, unsigned id, bool on)
{
	u32 *w = word_of(g, k, cpu, id / 32);
	u32 bit = 1u << (id % 32);
	*w = on ? *w | bit : *w & ~bit;
}

/* The IDs of word `w` that exist. */
static u32 implemented(const struct gicv2 *g, unsigned w)
{
	if (w * 32 >= g->nirqs)
		return 0;
	return w == NWORDS - 1 ? 0x0fffffffu : ~0u; /* 1020-1023 are special */
}

static bool id_exists(const struct gicv2 *g, unsigned id)
{
	return id < g->nirqs && id < FIRST_SPECIAL_ID;
}

/* Pending as GICD_ISPENDR shows it: SGIs from any source, the latch, and
 * level-sensitive lines that are high. */
static u32 pending_word(struct gicv2 *g, unsigned cpu, unsigned w)
{
	u32 p = *word_of(g, B_PENDING, cpu, w) | (*word_of(g, B_LINE, cpu, w) & ~*word_of(g, B_EDGE, cpu, w));
	if (w)
		return p;
	p &= ~SGI_BITS;
	for (unsigned sgi = 0; sgi < 16; sgi++)
		if (g->s.cpu[cpu].sgi_sources[sgi])
			p |= 1u << sgi;
	return p;
}

static u8 *priority_of(struct gicv2 *g, unsigned cpu, unsigned id)
{
	return id < 32 ? &g->s.cpu[cpu].priority[id] : &g->s.priority[id];
}

/* ---- priorities ---- */

/* The group priority: the bits above the binary point of the group's BPR
 * (Group 1 uses ABPR, whose field starts one bit lower, unless CBPR). */
static u32 group_priority(const struct gicv2_cpu_state *c, unsigned group, u32 priority)
{
	unsigned shift = group == 0 || (c->ctlr & CCTLR_CBPR) ? c->bpr + 1 : c->abpr;
	return priority & (0xffu << shift) & 0xff;
}

static u32 running_priority(const struct gicv2_cpu_state *c)
{
	u32 apr = c->apr[0] | c->apr[1];
	return apr ? (u32)__builtin_ctz(apr) << 3 : IDLE_PRIORITY;
}

/* The highest-priority pending interrupt a CPU interface considers. */
struct hppi {
	bool found;
	unsigned id, source, group;
	u32 priority;
};

/* Interrupts of groups enabled in both the distributor and the CPU interface. */
static u32 group_filter(struct gicv2 *g, unsigned cpu, unsigned w)
{
	u32 grp = *word_of(g, B_GROUP, cpu, w), ok = 0;
	u32 dctlr = g->s.ctlr, cctlr = g->s.cpu[cpu].ctlr;
	if ((dctlr & DCTLR_GRP0) && (cctlr & CCTLR_GRP0))
		ok |= ~grp;
	if ((dctlr & DCTLR_GRP1) && (cctlr & CCTLR_GRP1))
		ok |= grp;
	return ok;
}

/* Pending (not active), enabled, targeted at `cpu`, its group enabled. */
static struct hppi highest_pending(struct gicv2 *g, unsigned cpu)
{
	struct hppi best = { .id = ID_SPURIOUS };
	for (unsigned w = 0; w < g->nirqs / 32; w++) {
		u32 cand = pending_word(g, cpu, w) & *word_of(g, B_ENABLED, cpu, w) &
			   ~*word_of(g, B_ACTIVE, cpu, w) & group_filter(g, cpu, w) & implemented(g, w);
		for (; cand; cand &= cand - 1) {
			unsigned id = w * 32 + (unsigned)__builtin_ctz(cand);
			u32 priority = *priority_of(g, cpu, id);
			if (id >= 32 && !(g->s.targets[id] >> cpu & 1))
				continue;
			if (best.found && priority >= best.priority)
				continue;
			best = (struct hppi){ .found = true, .id = id, .priority = priority,
					      .group = bit_of(g, B_GROUP, cpu, id) };
		}
	}
	if (best.found && best.id < 16)
		best.source = (unsigned)__builtin_ctz(g->s.cpu[cpu].sgi_sources[best.id]);
	return best;
}

/* Enough priority to be signalled: above the mask and the running priority. */
static bool deliverable(struct gicv2 *g, unsigned cpu, const struct hppi *h)
{
	const struct gicv2_cpu_state *c = &g->s.cpu[cpu];
	return h->found && h->priority < c->pmr &&
	       group_priority(c, h->group, h->priority) < running_priority(c);
}

/* ---- outputs ---- */

static void compute_outputs(struct gicv2 *g, unsigned cpu, bool *irq, bool *fiq)
{
	struct hppi h = highest_pending(g, cpu);
	bool signal = deliverable(g, cpu, &h);
	*fiq = signal && h.group == 0 && (g->s.cpu[cpu].ctlr & CCTLR_FIQEN);
	*irq = signal && !*fiq;
}

/* Re-evaluate every CPU's outputs; tell the machine if one changed
 * (always, with `force`). */
static void update(struct gicv2 *g, bool force)
{
	bool changed = force;
	for (unsigned cpu = 0; cpu < g->ncpus; cpu++) {
		bool irq, fiq;
		compute_outputs(g, cpu, &irq, &fiq);
		changed |= irq != g->irq_out[cpu] || fiq != g->fiq_out[cpu];
		g->irq_out[cpu] = irq;
		g->fiq_out[cpu] = fiq;
	}
	if (changed)
		machine__interrupt_changed(g->m);
}

/* ---- the CPU interface ---- */

static u32 interrupt_id(const struct hppi *h)
{
	return h->id | (h->id < 16 ? h->source << 10 : 0);
}

/* IAR (alias false) and AIAR (alias true): pending -> active. */
static u32 acknowledge(struct gicv2 *g, unsigned cpu, bool alias)
{
	struct gicv2_cpu_state *c = &g->s.cpu[cpu];
	struct hppi h = highest_pending(g, cpu);
	if (!deliverable(g, cpu, &h) || (alias && h.group == 0))
		return ID_SPURIOUS;
	if (!alias && h.group == 1 && !(c->ctlr & CCTLR_ACKCTL))
		return ID_GROUP1_NOT_ACKED;
	set_bit_to(g, B_ACTIVE, cpu, h.id, true);
	if (h.id < 16)
		c->sgi_sources[h.id] &= ~(1u << h.source);
	else
		set_bit_to(g, B_PENDING, cpu, h.id, false);
	c->apr[h.group] |= 1u << (group_priority(c, h.group, h.priority) >> 3);
	update(g, false);
	return interrupt_id(&h);
}

/* HPPIR and AHPPIR: what IAR would consider, masked by PMR but not by the
 * running priority (as QEMU's GICv2 does). */
static u32 read_hppir(struct gicv2 *g, unsigned cpu, bool alias)
{
	const struct gicv2_cpu_state *c = &g->s.cpu[cpu];
	struct hppi h = highest_pending(g, cpu);
	if (!h.found || h.priority >= c->pmr || (alias && h.group == 0))
		return ID_SPURIOUS;
	if (!alias && h.group == 1 && !(c->ctlr & CCTLR_ACKCTL))
		return ID_GROUP1_NOT_ACKED;
	return interrupt_id(&h);
}

static void deactivate(struct gicv2 *g, unsigned cpu, u32 v)
{
	unsigned id = v & 0x3ff;
	if (id_exists(g, id))
		set_bit_to(g, B_ACTIVE, cpu, id, false);
}

/* EOIR and AEOIR: drop the running priority (the highest active priority
 * bit); with EOImode 0 also deactivate the interrupt named. */
static void end_of_interrupt(struct gicv2 *g, unsigned cpu, u32 v)
{
	struct gicv2_cpu_state *c = &g->s.cpu[cpu];
	if (!id_exists(g, v & 0x3ff))
		return;
	u32 apr = c->apr[0] | c->apr[1];
	u32 highest = apr & -apr;
	c->apr[0] &= ~highest;
	c->apr[1] &= ~highest;
	if (!(c->ctlr & CCTLR_EOIMODE))
		deactivate(g, cpu, v);
}

static u32 cpu_read(struct gicv2 *g, unsigned cpu, unsigned off)
{
	const struct gicv2_cpu_state *c = &g->s.cpu[cpu];
	switch (off) {
	case GICC_CTLR: return c->ctlr;
	case GICC_PMR: return c->pmr;
	case GICC_BPR: return c->bpr;
	case GICC_IAR: return acknowledge(g, cpu, false);
	case GICC_RPR: {
		u32 rp = running_priority(c);
		return rp == IDLE_PRIORITY ? 0xff : rp;
	}
	case GICC_HPPIR: return read_hppir(g, cpu, false);
	case GICC_ABPR: return c->abpr;
	case GICC_AIAR: return acknowledge(g, cpu, true);
	case GICC_AHPPIR: return read_hppir(g, cpu, true);
	case GICC_APR0: return c->apr[0];
	case GICC_NSAPR0: return c->apr[1];
	case GICC_IIDR: return GICC_IIDR_VALUE;
	default: return 0; /* EOIR, AEOIR and DIR are write-only; APR1-3 hold nothing */
	}
}

static u32 binary_point(u32 v, u32 min)
{
	v &= 7;
	return v < min ? min : v;
}

static void cpu_write(struct gicv2 *g, unsigned cpu, unsigned off, u32 v)
{
	struct gicv2_cpu_state *c = &g->s.cpu[cpu];
	switch (off) {
	case GICC_CTLR: c->ctlr = v & CCTLR_WRITABLE; break;
	case GICC_PMR: c->pmr = v & PRIORITY_MASK; break;
	case GICC_BPR: c->bpr = binary_point(v, MIN_BPR); break;
	case GICC_EOIR:
	case GICC_AEOIR: end_of_interrupt(g, cpu, v); break;
	case GICC_ABPR: c->abpr = binary_point(v, MIN_ABPR); break;
	/* For saving and restoring: software writes back what it read. */
	case GICC_APR0: c->apr[0] = v; break;
	case GICC_NSAPR0: c->apr[1] = v; break;
	case GICC_DIR:
		if (c->ctlr & CCTLR_EOIMODE)
			deactivate(g, cpu, v);
		break;
	default: break; /* read-only or reserved */
	}
}

/* The CPU interface answers the CPU that accesses it (NULL: CPU 0). */
static unsigned accessing_cpu(const struct encore_vcpu *vcpu)
{
	return vcpu ? vcpu->index : 0;
}

static void cpu_mmio(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data, unsigned len,
		     bool is_write)
{
	struct gicv2 *g = opaque;
	unsigned cpu = accessing_cpu(vcpu);
	bool ok = cpu < g->ncpus && len == 4 && !(addr & 3);
	u32 v = 0;
	if (is_write) {
		if (!ok)
			return;
		memcpy(&v, data, 4);
		cpu_write(g, cpu, (unsigned)addr, v);
		update(g, false);
		return;
	}
	memset(data, 0, len);
	if (!ok)
		return;
	v = cpu_read(g, cpu, (unsigned)addr);
	memcpy(data, &v, 4);
}

/* ---- the distributor: word registers ---- */

/* GICD_SGIR: the target list filter picks the CPUs the SGI goes to. */
static void send_sgi(struct gicv2 *g, unsigned source, u32 v)
{
	u32 all = (1u << g->ncpus) - 1, targets;
	switch ((v >> 24) & 3) {
	case 0: targets = (v >> 16) & 0xff; break;   /* the CPU target list */
	case 1: targets = all & ~(1u << source); break; /* every CPU but this one */
	case 2: targets = 1u << source; break;        /* this CPU */
	default: return;                              /* reserved */
	}
	targets &= all;
	for (unsigned cpu = 0; cpu < g->ncpus; cpu++)
		if (targets >> cpu & 1)
			g->s.cpu[cpu].sgi_sources[v & 0xf] |= 1u << source;
}

/* GICD_ICFGRn: two bits per ID, the upper one 1 for edge; SGIs fixed edge. */
static u32 read_icfgr(struct gicv2 *g, unsigned cpu, unsigned n)
{
	u32 v = 0;
	for (unsigned k = 0; k < 16; k++) {
		unsigned id = n * 16 + k;
		if (id_exists(g, id) && bit_of(g, B_EDGE, cpu, id))
			v |= 2u << (2 * k);
	}
	return v;
}

static void write_icfgr(struct gicv2 *g, unsigned cpu, unsigned n, u32 v)
{
	for (unsigned k = 0; k < 16; k++) {
		unsigned id = n * 16 + k;
		if (id >= 16 && id_exists(g, id))
			set_bit_to(g, B_EDGE, cpu, id, v >> (2 * k + 1) & 1);
	}
}

/* The set/clear register pairs from 0x080 to 0x3ff: 32 IDs a word. */
static u32 read_bits(struct gicv2 *g, unsigned cpu, unsigned off)
{
	unsigned w = (off & 0x7f) / 4;
	u32 v;
	switch (off & ~0x7fu) {
	case GICD_IGROUPR: v = *word_of(g, B_GROUP, cpu, w); break;
	case GICD_ISENABLER:
	case GICD_ICENABLER: v = *word_of(g, B_ENABLED, cpu, w); break;
	case GICD_ISPENDR:
	case GICD_ICPENDR: v = pending_word(g, cpu, w); break;
	default: v = *word_of(g, B_ACTIVE, cpu, w); break;
	}
	return v & implemented(g, w);
}

static void write_bits(struct gicv2 *g, unsigned cpu, unsigned off, u32 v)
{
	unsigned w = (off & 0x7f) / 4;
	u32 kept = w ? 0 : SGI_BITS; /* SGI enables and pending bits are fixed here */
	v &= implemented(g, w);
	switch (off & ~0x7fu) {
	case GICD_IGROUPR: *word_of(g, B_GROUP, cpu, w) = v; break;
	case GICD_ISENABLER: *word_of(g, B_ENABLED, cpu, w) |= v & ~kept; break;
	case GICD_ICENABLER: *word_of(g, B_ENABLED, cpu, w) &= ~(v & ~kept); break;
	case GICD_ISPENDR: *word_of(g, B_PENDING, cpu, w) |= v & ~kept; break;
	case GICD_ICPENDR: *word_of(g, B_PENDING, cpu, w) &= ~(v & ~kept); break;
	case GICD_ISACTIVER: *word_of(g, B_ACTIVE, cpu, w) |= v; break;
	default: *word_of(g, B_ACTIVE, cpu, w) &= ~v; break;
	}
}

static u32 dist_read_word(struct gicv2 *g, unsigned cpu, unsigned off)
{
	if (off >= GICD_IGROUPR && off < GICD_IPRIORITYR)
		return read_bits(g, cpu, off);
	if (off >= GICD_ICFGR && off < GICD_ICFGR + 0x100)
		return read_icfgr(g, cpu, (off - GICD_ICFGR) / 4);
	if (off >= GICD_PIDR4)
		return dist_id[(off - GICD_PIDR4) / 4];
	switch (off) {
	case GICD_CTLR: return g->s.ctlr;
	case GICD_TYPER: return (g->nirqs / 32 - 1) | (g->ncpus - 1) << 5;
	case GICD_IIDR: return GICD_IIDR_VALUE;
	default: return 0; /* SGIR is write-only; NSACR and the rest are RAZ */
	}
}

static void dist_write_word(struct gicv2 *g, unsigned cpu, unsigned off, u32 v)
{
	if (off >= GICD_IGROUPR && off < GICD_IPRIORITYR)
		write_bits(g, cpu, off, v);
	else if (off >= GICD_ICFGR && off < GICD_ICFGR + 0x100)
		write_icfgr(g, cpu, (off - GICD_ICFGR) / 4, v);
	else if (off == GICD_CTLR)
		g->s.ctlr = v & (DCTLR_GRP0 | DCTLR_GRP1);
	else if (off == GICD_SGIR)
		send_sgi(g, cpu, v);
}

/* ---- the distributor: byte registers ---- */

static bool byte_accessible(unsigned off)
{
	return (off >= GICD_IPRIORITYR && off < GICD_ICFGR) ||
	       (off >= GICD_CPENDSGIR && off < GICD_SPENDSGIR + 16);
}

static u8 dist_read_byte(struct gicv2 *g, unsigned cpu, unsigned off)
{
	if (off >= GICD_CPENDSGIR)
		return g->s.cpu[cpu].sgi_sources[off & 0xf];
	unsigned id = off & 0x3ff;
	if (!id_exists(g, id))
		return 0;
	if (off < GICD_ITARGETSR)
		return *priority_of(g, cpu, id);
	return id < 32 ? 1u << cpu : g->s.targets[id];
}

static void dist_write_byte(struct gicv2 *g, unsigned cpu, unsigned off, u8 v)
{
	u8 all = (u8)((1u << g->ncpus) - 1);
	if (off >= GICD_SPENDSGIR) {
		g->s.cpu[cpu].sgi_sources[off & 0xf] |= v & all;
		return;
	}
	if (off >= GICD_CPENDSGIR) {
		g->s.cpu[cpu].sgi_sources[off & 0xf] &= ~v;
		return;
	}
	unsigned id = off & 0x3ff;
	if (!id_exists(g, id))
		return;
	if (off < GICD_ITARGETSR)
		*priority_of(g, cpu, id) = v & PRIORITY_MASK;
	else if (id >= 32)
		g->s.targets[id] = v & all; /* IDs 0-31: read-only */
}

static void dist_mmio(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data, unsigned len,
		      bool is_write)
{
	struct gicv2 *g = opaque;
	unsigned cpu = accessing_cpu(vcpu), off = (unsigned)addr;
	if (!is_write)
		memset(data, 0, len);
	if (cpu >= g->ncpus)
		return;
	if (byte_accessible(off)) {
		for (unsigned k = 0; k < len; k++) {
			if (!byte_accessible(off + k))
				continue;
			if (is_write)
				dist_write_byte(g, cpu, off + k, data[k]);
			else
				data[k] = dist_read_byte(g, cpu, off + k);
		}
	} else if (len == 4 && !(off & 3)) {
		u32 v = 0;
		if (is_write) {
			memcpy(&v, data, 4);
			dist_write_word(g, cpu, off, v);
		} else {
			v = dist_read_word(g, cpu, off);
			memcpy(data, &v, 4);
		}
	}
	if (is_write)
		update(g, false);
}

/* ---- inputs ---- */

static void set_line(struct gicv2 *g, unsigned cpu, unsigned id, bool level)
{
	if (bit_of(g, B_LINE, cpu, id) == level)
		return;
	set_bit_to(g, B_LINE, cpu, id, level);
	if (level && bit_of(g, B_EDGE, cpu, id))
		set_bit_to(g, B_PENDING, cpu, id, true);
	update(g, false);
}

void gicv2__set_spi(struct gicv2 *g, unsigned spi, bool level)
{
	if (spi < g->nirqs - 32 && id_exists(g, 32 + spi))
		set_line(g, 0, 32 + spi, level);
}

void gicv2__set_ppi(struct gicv2 *g, unsigned cpu, unsigned ppi, bool level)
{
	if (cpu < g->ncpus && ppi < 16)
		set_line(g, cpu, 16 + ppi, level);
}

static void route_line(void *opaque, unsigned line, bool level)
{
	gicv2__set_spi(opaque, line, level);
}

void gicv2__install_router(struct gicv2 *g)
{
	g->m->irq = (struct irq_router){ route_line, g };
}

bool gicv2__irq_pending(struct gicv2 *g, unsigned cpu)
{
	return cpu < g->ncpus && g->irq_out[cpu];
}

bool gicv2__fiq_pending(struct gicv2 *g, unsigned cpu)
{
	return cpu < g->ncpus && g->fiq_out[cpu];
}

static bool intc_has_interrupt(void *opaque)
{
	struct gicv2_port *port = opaque;
	return gicv2__irq_pending(port->g, port->cpu);
}

static int intc_acknowledge(void *opaque)
{
	return intc_has_interrupt(opaque) ? 0 : -1;
}

struct intc gicv2__intc(struct gicv2 *g, unsigned cpu)
{
	if (cpu >= g->ncpus)
		return (struct intc){ 0 }; /* no CPU interface: never interrupted */
	return (struct intc){ .has_interrupt = intc_has_interrupt, .acknowledge = intc_acknowledge,
			      .opaque = &g->ports[cpu] };
}

/* ---- life cycle ---- */

static void gicv2_restored(void *dev)
{
	update(dev, true);
}

/* GIC-400 reset values: all disabled, Group 0, priority 0, level, no
 * targets, PMR 0 (everything masked), binary points at their minimum. */
static void gicv2_reset(struct gicv2_state *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned cpu = 0; cpu < GICV2_MAX_CPUS; cpu++) {
		struct gicv2_cpu_state *c = &s->cpu[cpu];
		c->bpr = MIN_BPR;
		c->abpr = MIN_ABPR;
		c->bits[B_ENABLED] = SGI_BITS;
		c->bits[B_EDGE] = SGI_BITS;
	}
}

struct gicv2 *gicv2__create(struct encore_machine *m, u64 dist_base, u64 cpu_base, unsigned nirqs)
{
	if (m->nvcpus > GICV2_MAX_CPUS || nirqs < 32 || nirqs > GICV2_MAX_IRQS || nirqs % 32)
		return NULL;
	struct gicv2 *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	gicv2_reset(&g->s);
	g->m = m;
	g->ncpus = m->nvcpus;
	g->nirqs = nirqs;
	for (unsigned cpu = 0; cpu < GICV2_MAX_CPUS; cpu++)
		g->ports[cpu] = (struct gicv2_port){ g, cpu };
	struct device d = { .name = "gicv2", .state = &g->s, .state_size = sizeof(g->s),
			    .version = 1, .restored = gicv2_restored, .dev = g };
	if (machine__add_device(m, &d)) {
		free(g);
		return NULL;
	}
	/* From here the machine owns `g` and frees it. */
	if (bus__register(&m->mmio, dist_base, GICV2_DIST_SIZE, dist_mmio, g, "gicv2-dist") ||
	    bus__register(&m->mmio, cpu_base, GICV2_CPU_SIZE, cpu_mmio, g, "gicv2-cpu"))
		return NULL;
	return g;
}
