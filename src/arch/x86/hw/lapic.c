/*
 * A vCPU's local APIC (xAPIC), after the SDM vol. 3 chapter "Advanced
 * Programmable Interrupt Controller".
 *
 * The timer is not stepped tick by tick: the current count is computed
 * from virtual time since the count was loaded, with exact integer
 * arithmetic, so it reads the same in every run; one vtimer is armed for
 * the next time the count reaches zero.
 *
 * ExtINT (the 8259 through LINT0) bypasses IRR, ISR and the priority
 * rules, as the SDM says of every non-fixed delivery mode; it is polled
 * from the 8259 rather than latched, since the 8259 holds its own request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encore/cpu_reset.h"
#include "encore/hw/apic_bus.h"
#include "encore/hw/lapic.h"

typedef unsigned __int128 u128;

#define LAPIC_VERSION_VALUE 0x00050014u /* integrated APIC, max LVT entry 5 */

#define LVT_MASKED (1u << 16)
#define LVT_TIMER_PERIODIC (1u << 17)
#define DELIVERY_MODE(v) (((v) >> 8) & 7)

#define SVR_ENABLE (1u << 8)
#define SVR_WRITABLE 0x3ffu /* vector, enable, focus-check disable */

#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_RECV_ILLEGAL (1u << 6)

#define ICR_LO_WRITABLE 0x000ccfffu /* delivery status (bit 12) always reads idle */
#define ICR_DEST_LOGICAL (1u << 11)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_SHORTHAND(v) (((v) >> 18) & 3)

#define DFR_FLAT 0xf

/* The bits software may change in each LVT entry (the rest read 0). */
static const u32 lvt_writable[LAPIC_NLVT] = {
	[LVT_TIMER] = 0x000300ff,   /* vector, mask, periodic (no TSC-deadline) */
	[LVT_THERMAL] = 0x000107ff, /* vector, delivery mode, mask */
	[LVT_PERF] = 0x000107ff,
	[LVT_LINT0] = 0x0001a7ff,   /* + polarity, trigger mode */
	[LVT_LINT1] = 0x0001a7ff,
	[LVT_ERROR] = 0x000100ff,   /* vector, mask */
};

/* Checkpoints copy the state bytes: no compiler padding may hide in them. */
_Static_assert(sizeof(struct lapic_state) == 46 * 4 + 2 * 8, "lapic_state has padding");

struct lapic {
	struct lapic_state s;
	struct encore_machine *m;
	unsigned index;
	struct apic_bus *bus;
	struct lapic_extint pic;
	u64 timer_hz;
	struct vtimer timer;
	char name[16];
};

/* ---- 256-bit vector sets (IRR, ISR, TMR) ---- */

static void vec_set(u32 *set, unsigned v)
{
	set[v >> 5] |= 1u << (v & 31);
}

static void vec_clear(u32 *set, unsigned v)
{
	set[v >> 5] &= ~(1u << (v & 31));
}

/* The highest vector in the set, or -1. */
static int vec_highest(const u32 *set)
{
	for (int k = 7; k >= 0; k--)
		if (set[k])
			return k * 32 + 31 - __builtin_clz(set[k]);
	return -1;
}

/* The priority class (bits 7:4) of a vector or priority; -1 counts as 0. */
static u32 class_of(int v)
{
	return v < 0 ? 0 : (u32)v & 0xf0;
}

/* ---- priorities ---- */

static bool sw_enabled(const struct lapic *a)
{
	return a->s.svr & SVR_ENABLE;
}

/* PPR: the TPR, or the class of the highest in-service vector if higher. */
static u32 processor_priority(const struct lapic_state *s)
{
	u32 isr_class = class_of(vec_highest(s->isr));
	return class_of(s->tpr) >= isr_class ? s->tpr : isr_class;
}

/* APR: what lowest-priority delivery compares between APICs. */
static u32 arbitration_priority(const struct lapic_state *s)
{
	u32 tpr_class = class_of(s->tpr);
	u32 isr_class = class_of(vec_highest(s->isr));
	u32 irr_class = class_of(vec_highest(s->irr));
	if (tpr_class >= irr_class && tpr_class > isr_class)
		return s->tpr;
	u32 top = tpr_class > isr_class ? tpr_class : isr_class;
	return top > irr_class ? top : irr_class;
}

/* The IRR vector the CPU would take now, or -1: its class must beat PPR's. */
static int deliverable_vector(const struct lapic *a)
{
	int v = vec_highest(a->s.irr);
	if (v < 0 || class_of(v) <= class_of(processor_priority(&a->s)))
		return -1;
	return v;
}

/* The 8259's request, through LINT0 in ExtINT mode or an ExtINT message. */
static bool extint_pending(struct lapic *a)
{
	u32 lint0 = a->s.lvt[LVT_LINT0];
	bool lint0_extint = !(lint0 & LVT_MASKED) && DELIVERY_MODE(lint0) == APIC_DM_EXTINT;
	if (!a->pic.intr || !(lint0_extint || (a->s.pending & LAPIC_PENDING_EXTINT)))
		return false;
	return a->pic.intr(a->pic.opaque);
}

/* ---- accepting interrupts ---- */

static void accept(struct lapic *a, unsigned vector, bool level);

/* Latch `bits` for the next ESR write; newly seen errors raise the error LVT. */
static void record_error(struct lapic *a, u32 bits)
{
	u32 fresh = bits & ~a->s.esr_pending;
	a->s.esr_pending |= bits;
	/* Only fresh bits interrupt, so an illegal error vector cannot recurse. */
	if (fresh && !(a->s.lvt[LVT_ERROR] & LVT_MASKED))
		accept(a, a->s.lvt[LVT_ERROR] & 0xff, false);
}

/*
 * A fixed interrupt for this CPU.  Vectors 0-15 are illegal and are never
 * set in IRR.  A software-disabled APIC still dispatches what IRR already
 * holds but takes no new fixed interrupts; the SDM lists only INIT, NMI,
 * SMI and SIPI as answered in that state.
 */
static void accept(struct lapic *a, unsigned vector, bool level)
{
	if (vector < 16) {
		record_error(a, ESR_RECV_ILLEGAL);
		return;
	}
	if (!sw_enabled(a))
		return;
	vec_set(a->s.irr, vector);
	if (level)
		vec_set(a->s.tmr, vector);
	else
		vec_clear(a->s.tmr, vector);
	machine__interrupt_changed(a->m);
}

/* A local source (timer, error) fires: fixed, edge-triggered, unless masked. */
static void fire_local(struct lapic *a, enum lapic_lvt which)
{
	u32 lvt = a->s.lvt[which];
	if (!(lvt & LVT_MASKED))
		accept(a, lvt & 0xff, false);
}

/* EOI retires the highest in-service vector.  A level-triggered one (its
 * TMR bit set) is also broadcast to the I/O APICs, which may send it
 * again if its line is still asserted. */
static void end_of_interrupt(struct lapic *a)
{
	int v = vec_highest(a->s.isr);
	if (v < 0)
		return;
	vec_clear(a->s.isr, (unsigned)v);
	machine__interrupt_changed(a->m);
	if ((a->s.tmr[v >> 5] >> (v & 31) & 1) && a->bus)
		apic_bus__eoi(a->bus, (u8)v);
}

/* ---- interrupt messages: sending IPIs, matching and taking messages ---- */

static bool logical_destination_matches(const struct lapic_state *s, u8 dest)
{
	u8 ldr = s->ldr >> 24;
	if (dest == APIC_BROADCAST)
		return true;
	if (s->dfr >> 28 == DFR_FLAT)
		return (dest & ldr) != 0;
	/* Cluster model: the high nibbles name the cluster, the low ones a set in it. */
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf) != 0;
}

bool lapic__matches(const struct lapic *a, const struct apic_msg *m)
{
	if (m->logical)
		return logical_destination_matches(&a->s, m->dest);
	return m->dest == APIC_BROADCAST || m->dest == a->s.id >> 24;
}

/* Writing ICR low sends the IPI it describes onto the APIC bus. */
static void send_ipi(struct lapic *a)
{
	u32 lo = a->s.icr_lo;
	struct apic_msg msg = {
		.vector = lo & 0xff,
		.delivery = DELIVERY_MODE(lo),
		.dest = a->s.icr_hi >> 24,
		.shorthand = ICR_SHORTHAND(lo),
		.logical = lo & ICR_DEST_LOGICAL,
		/* The trigger mode only means something to INIT (level
		 * de-assert); every other IPI is edge-triggered (SDM). */
		.level = DELIVERY_MODE(lo) == APIC_DM_INIT && (lo & ICR_LEVEL),
		.assert = lo & ICR_ASSERT,
		.source = (int)a->index,
	};
	bool fixed = msg.delivery == APIC_DM_FIXED || msg.delivery == APIC_DM_LOWEST;
	if (fixed && msg.vector < 16)
		record_error(a, ESR_SEND_ILLEGAL);
	if (a->bus)
		apic_bus__send(a->bus, &msg);
}

/* INIT resets the APIC to its power-on state, except its ID (SDM:
 * "INIT Reset"); a STARTUP may follow. */
static void init_reset(struct lapic_state *s)
{
	u32 id = s->id;
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->dfr = 0xffffffff;
	s->svr = 0xff;
	for (unsigned k = 0; k < LAPIC_NLVT; k++)
		s->lvt[k] = LVT_MASKED;
	s->timer_deadline = VTIMER_OFF;
}

void lapic__receive(struct lapic *a, const struct apic_msg *m)
{
	switch (m->delivery) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		accept(a, m->vector, m->level);
		return;
	case APIC_DM_NMI:
		a->s.pending |= LAPIC_PENDING_NMI;
		break;
	case APIC_DM_INIT:
		if (m->level && !m->assert)
			return; /* INIT level de-assert: nothing on this generation */
		a->s.pending = (a->s.pending & ~LAPIC_PENDING_STARTUP) | LAPIC_PENDING_INIT;
		break;
	case APIC_DM_STARTUP:
		a->s.pending |= LAPIC_PENDING_STARTUP;
		a->s.startup_vector = m->vector;
		break;
	case APIC_DM_EXTINT:
		if (!a->pic.intr)
			return; /* no 8259 behind this CPU's APIC to ask */
		a->s.pending |= LAPIC_PENDING_EXTINT;
		break;
	default:
		return; /* SMI and the reserved modes: no SMM here */
	}
	machine__interrupt_changed(a->m);
}

u32 lapic__arbitration_priority(const struct lapic *a)
{
	return arbitration_priority(&a->s);
}

bool lapic__enabled(const struct lapic *a)
{
	return sw_enabled(a);
}

unsigned lapic__index(const struct lapic *a)
{
	return a->index;
}

u8 lapic__id(const struct lapic *a)
{
	return a->s.id >> 24;
}

/* ---- the timer ---- */

/* Divide configuration bits 3,1,0: 000 = /2 ... 110 = /128, 111 = /1. */
static unsigned timer_divisor(u32 dcr)
{
	unsigned code = (dcr & 3) | ((dcr >> 1) & 4);
	return 1u << ((code + 1) & 7);
}

static bool timer_periodic(const struct lapic *a)
{
	return a->s.lvt[LVT_TIMER] & LVT_TIMER_PERIODIC;
}

/* ns * timer_hz per tick: one tick lasts this / timer_hz nanoseconds. */
static u128 tick_length(const struct lapic *a)
{
	return (u128)1000000000u * timer_divisor(a->s.timer_divide);
}

/* Whole ticks counted from timer_start to `now`. */
static u128 ticks_since_start(const struct lapic *a, u64 now)
{
	return (u128)(now - a->s.timer_start) * a->timer_hz / tick_length(a);
}

/* The virtual time of the n-th tick after timer_start (rounded up). */
static u64 time_of_tick(const struct lapic *a, u128 n)
{
	u128 t = a->s.timer_start + (n * tick_length(a) + a->timer_hz - 1) / a->timer_hz;
	return t >= VTIMER_OFF ? VTIMER_OFF : (u64)t;
}

/* Counting down from timer_base, then (periodic) from the initial count
 * again each time zero is reached; one-shot stays at zero. */
static u32 timer_count(const struct lapic *a, u64 now)
{
	if (!a->s.timer_active)
		return 0;
	u128 ticks = ticks_since_start(a, now);
	if (ticks < a->s.timer_base)
		return a->s.timer_base - (u32)ticks;
	if (!timer_periodic(a))
		return 0;
	return a->s.timer_initial - (u32)((ticks - a->s.timer_base) % a->s.timer_initial);
}

/* The tick after `ticks` at which the count next reaches zero. */
static u128 next_zero_tick(const struct lapic *a, u128 ticks)
{
	if (ticks < a->s.timer_base || !timer_periodic(a))
		return a->s.timer_base;
	u128 periods = (ticks - a->s.timer_base) / a->s.timer_initial + 1;
	return a->s.timer_base + periods * a->s.timer_initial;
}

/* Armed while counting, masked or not: a masked periodic timer must keep
 * its phase for when it is unmasked.  Deadlines are computed from
 * timer_start, so periodic reloads never accumulate rounding. */
static void timer_schedule(struct lapic *a, u64 now)
{
	if (!a->s.timer_active) {
		machine__timer_arm(a->m, &a->timer, VTIMER_OFF);
		return;
	}
	machine__timer_arm(a->m, &a->timer, time_of_tick(a, next_zero_tick(a, ticks_since_start(a, now))));
}

static void timer_expired(struct lapic *a, u64 now)
{
	if (!timer_periodic(a))
		a->s.timer_active = 0;
	fire_local(a, LVT_TIMER);
	timer_schedule(a, now);
}

static void timer_fire(void *opaque, u64 now)
{
	struct lapic *a = opaque;
	timer_expired(a, now);
}

/* A register write must not overtake an expiry that is due but has not
 * been fired yet (only possible when time moved without fire_timers). */
static void timer_catch_up(struct lapic *a, u64 now)
{
	if (a->s.timer_deadline > now)
		return;
	machine__timer_arm(a->m, &a->timer, VTIMER_OFF);
	timer_expired(a, now);
}

/* Before the mode or divider changes: carry on from the current count. */
static void timer_rebase(struct lapic *a, u64 now)
{
	if (!a->s.timer_active)
		return;
	u32 count = timer_count(a, now);
	a->s.timer_active = count != 0;
	a->s.timer_start = now;
	a->s.timer_base = count;
}

/* Writing the initial count (re)starts the timer; 0 stops it. */
static void write_timer_initial(struct lapic *a, u32 v, u64 now)
{
	timer_catch_up(a, now);
	a->s.timer_initial = v;
	a->s.timer_base = v;
	a->s.timer_start = now;
	a->s.timer_active = v != 0;
	timer_schedule(a, now);
}

static void write_timer_divide(struct lapic *a, u32 v, u64 now)
{
	timer_catch_up(a, now);
	timer_rebase(a, now);
	a->s.timer_divide = v & 0xb;
	timer_schedule(a, now);
}

static void write_timer_lvt(struct lapic *a, u32 v, u64 now)
{
	timer_catch_up(a, now);
	bool mode_changes = (v ^ a->s.lvt[LVT_TIMER]) & LVT_TIMER_PERIODIC;
	if (mode_changes)
		timer_rebase(a, now);
	a->s.lvt[LVT_TIMER] = v;
	if (mode_changes)
		timer_schedule(a, now);
}

/* ---- register writes with side effects ---- */

/* While software-disabled every LVT mask is set and stays set (SDM). */
static void write_lvt(struct lapic *a, enum lapic_lvt which, u32 v, u64 now)
{
	v &= lvt_writable[which];
	if (!sw_enabled(a))
		v |= LVT_MASKED;
	if (which == LVT_TIMER) {
		write_timer_lvt(a, v, now);
		return;
	}
	a->s.lvt[which] = v;
	if (which == LVT_LINT0)
		machine__interrupt_changed(a->m);
}

static void write_svr(struct lapic *a, u32 v)
{
	a->s.svr = v & SVR_WRITABLE;
	if (!sw_enabled(a))
		for (unsigned k = 0; k < LAPIC_NLVT; k++)
			a->s.lvt[k] |= LVT_MASKED;
	machine__interrupt_changed(a->m);
}

/* ESR is write-to-update: a write latches the errors seen since the last one. */
static void write_esr(struct lapic *a)
{
	a->s.esr = a->s.esr_pending;
	a->s.esr_pending = 0;
}

/* ---- register file ---- */

static bool in_vector_set(unsigned off, unsigned base)
{
	return off >= base && off < base + 8 * 16;
}

static bool is_lvt(unsigned off)
{
	return off >= LAPIC_LVT_BASE && off < LAPIC_LVT_BASE + LAPIC_NLVT * 16;
}

static u32 read_reg(struct lapic *a, unsigned off)
{
	const struct lapic_state *s = &a->s;
	if (in_vector_set(off, LAPIC_ISR))
		return s->isr[(off - LAPIC_ISR) / 16];
	if (in_vector_set(off, LAPIC_TMR))
		return s->tmr[(off - LAPIC_TMR) / 16];
	if (in_vector_set(off, LAPIC_IRR))
		return s->irr[(off - LAPIC_IRR) / 16];
	if (is_lvt(off))
		return s->lvt[(off - LAPIC_LVT_BASE) / 16];
	switch (off) {
	case LAPIC_ID: return s->id;
	case LAPIC_VERSION: return LAPIC_VERSION_VALUE;
	case LAPIC_TPR: return s->tpr;
	case LAPIC_APR: return arbitration_priority(s);
	case LAPIC_PPR: return processor_priority(s);
	case LAPIC_LDR: return s->ldr;
	case LAPIC_DFR: return s->dfr;
	case LAPIC_SVR: return s->svr;
	case LAPIC_ESR: return s->esr;
	case LAPIC_ICR_LO: return s->icr_lo;
	case LAPIC_ICR_HI: return s->icr_hi;
	case LAPIC_TIMER_INITIAL: return s->timer_initial;
	case LAPIC_TIMER_CURRENT: return timer_count(a, machine__now(a->m));
	case LAPIC_TIMER_DIVIDE: return s->timer_divide;
	default: return 0; /* EOI is write-only; the rest is reserved */
	}
}

static void write_reg(struct lapic *a, unsigned off, u32 v)
{
	struct lapic_state *s = &a->s;
	u64 now = machine__now(a->m);
	if (is_lvt(off)) {
		write_lvt(a, (off - LAPIC_LVT_BASE) / 16, v, now);
		return;
	}
	switch (off) {
	case LAPIC_ID: s->id = v & 0xff000000; break;
	case LAPIC_TPR:
		s->tpr = v & 0xff;
		machine__interrupt_changed(a->m);
		break;
	case LAPIC_EOI: end_of_interrupt(a); break;
	case LAPIC_LDR: s->ldr = v & 0xff000000; break;
	case LAPIC_DFR: s->dfr = v | 0x0fffffff; break; /* bits 27:0 read as ones */
	case LAPIC_SVR: write_svr(a, v); break;
	case LAPIC_ESR: write_esr(a); break;
	case LAPIC_ICR_LO:
		s->icr_lo = v & ICR_LO_WRITABLE;
		send_ipi(a);
		break;
	case LAPIC_ICR_HI: s->icr_hi = v & 0xff000000; break;
	case LAPIC_TIMER_INITIAL: write_timer_initial(a, v, now); break;
	case LAPIC_TIMER_DIVIDE: write_timer_divide(a, v, now); break;
	default: break; /* read-only or reserved */
	}
}

/* Registers are 32 bits wide, 16 bytes apart; any other access reads 0
 * and writes nothing (the SDM leaves narrower accesses model specific). */
void lapic__mmio(struct lapic *a, u64 addr, u8 *data, unsigned len, bool is_write)
{
	bool is_register = len == 4 && (addr & 0xf) == 0;
	u32 v = 0;
	if (is_write) {
		if (is_register) {
			memcpy(&v, data, 4);
			write_reg(a, (unsigned)addr, v);
		}
		return;
	}
	memset(data, 0, len);
	if (is_register) {
		v = read_reg(a, (unsigned)addr);
		memcpy(data, &v, 4);
	}
}

/* ---- the CPU's side ---- */

bool lapic__has_interrupt(struct lapic *a)
{
	return extint_pending(a) || deliverable_vector(a) >= 0;
}

int lapic__acknowledge(struct lapic *a)
{
	if (extint_pending(a)) {
		a->s.pending &= ~LAPIC_PENDING_EXTINT;
		return a->pic.acknowledge(a->pic.opaque);
	}
	int v = deliverable_vector(a);
	if (v >= 0) {
		vec_clear(a->s.irr, (unsigned)v);
		vec_set(a->s.isr, (unsigned)v);
		return v;
	}
	/* Software raised the TPR between INTR and INTA: the SDM's spurious
	 * interrupt, which leaves ISR alone (its handler sends no EOI). */
	if (vec_highest(a->s.irr) >= 0)
		return a->s.svr & 0xff;
	return -1;
}

void lapic__deliver(struct lapic *a, u8 vector, bool level)
{
	accept(a, vector, level);
}

static bool intc_has_interrupt(void *opaque)
{
	return lapic__has_interrupt(opaque);
}

static int intc_acknowledge(void *opaque)
{
	return lapic__acknowledge(opaque);
}

/* INIT, then STARTUP, then NMI, each carried out on the vCPU's state. */
static void intc_service(void *opaque, struct encore_vcpu *v)
{
	struct lapic *a = opaque;
	u32 p = a->s.pending & (LAPIC_PENDING_NMI | LAPIC_PENDING_INIT | LAPIC_PENDING_STARTUP);
	if (!p || !v->engine)
		return;
	struct encore_engine *e = v->engine;
	u8 startup_vector = (u8)a->s.startup_vector; /* INIT's reset clears it */
	a->s.pending &= ~p;
	struct encore_cpu_state s;
	if (p & (LAPIC_PENDING_INIT | LAPIC_PENDING_STARTUP))
		e->ops->get_state(e, &s);
	if (p & LAPIC_PENDING_INIT) {
		cpu_state__init(&s, &s, s.msr.apic_base & CPU_APIC_BASE_BSP);
		init_reset(&a->s);
		machine__timer_arm(a->m, &a->timer, VTIMER_OFF);
	}
	if (p & LAPIC_PENDING_STARTUP)
		cpu_state__startup(&s, startup_vector);
	if (p & (LAPIC_PENDING_INIT | LAPIC_PENDING_STARTUP))
		e->ops->set_state(e, &s);
	if ((p & LAPIC_PENDING_NMI) && e->ops->inject_nmi)
		e->ops->inject_nmi(e);
}

struct intc lapic__intc(struct lapic *a)
{
	return (struct intc){ .has_interrupt = intc_has_interrupt, .acknowledge = intc_acknowledge,
			      .service = intc_service, .opaque = a };
}

/* ---- life cycle ---- */

/* What a PC BIOS leaves: for the boot CPU software-enabled with
 * virtual-wire LINT0/LINT1, for the others the power-on state; the ID is
 * the vCPU's index. */
static void lapic_reset(struct lapic_state *s, unsigned index)
{
	memset(s, 0, sizeof(*s));
	s->id = index << 24;
	init_reset(s);
	if (index)
		return;
	s->svr = SVR_ENABLE | 0xff;
	s->lvt[LVT_LINT0] = APIC_DM_EXTINT << 8;
	s->lvt[LVT_LINT1] = APIC_DM_NMI << 8;
}

static void lapic_restored(void *dev)
{
	struct lapic *a = dev;
	/* Counting with no initial count would divide by zero on a damaged
	 * checkpoint; a real one never holds that. */
	if (!a->s.timer_initial)
		a->s.timer_active = 0;
	machine__interrupt_changed(a->m);
}

struct lapic *lapic__create(struct encore_machine *m, unsigned index, u64 timer_hz,
			    const struct lapic_extint *pic)
{
	if (!timer_hz || index > 0xfe)
		return NULL;
	struct lapic *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->m = m;
	a->index = index;
	a->timer_hz = timer_hz;
	if (pic)
		a->pic = *pic;
	lapic_reset(&a->s, index);
	snprintf(a->name, sizeof(a->name), "lapic%u", index);
	struct device d = { .name = a->name, .state = &a->s, .state_size = sizeof(a->s),
			    .version = 1, .restored = lapic_restored, .dev = a };
	if (machine__add_device(m, &d)) {
		free(a);
		return NULL;
	}
	/* From here the machine owns `a` and frees it, so a timer or bus slot
	 * taken before a later failure never points at freed memory. */
	if (machine__timer_add(m, &a->timer, "lapic-timer", timer_fire, a, &a->s.timer_deadline))
		return NULL;
	return a;
}

void lapic__connect(struct lapic *a, struct apic_bus *bus)
{
	a->bus = bus;
}
