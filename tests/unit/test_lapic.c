/*
 * The local APIC on a machine with no engine, so virtual time is
 * machine->idle_ns: register reset values and write masks, priority and
 * EOI rules, self-IPIs, the timer's exact counts and deadlines for every
 * divider, ExtINT from a fake 8259, error and spurious vectors, software
 * disable, and a checkpoint copied into a second machine.
 */
#include <string.h>

#include "check.h"
#include "encore/hw/apic_bus.h"
#include "encore/hw/lapic.h"

/* 30.00000003 ns per tick at divide-by-1: tick edges never fall on whole
 * nanoseconds, so any rounding shortcut shows up as an off-by-one. */
#define HZ 33333333ull
#define NS_PER_S 1000000000ull

#define SH_SELF (1u << 18)
#define SH_ALL (2u << 18)
#define SH_OTHERS (3u << 18)
#define DEST_LOGICAL (1u << 11)
#define MASKED (1u << 16)
#define PERIODIC (1u << 17)

typedef unsigned __int128 u128;

struct fake_pic {
	bool intr;
	int vector;
	unsigned acks;
};

static bool pic_intr(void *opaque)
{
	return ((struct fake_pic *)opaque)->intr;
}

static int pic_acknowledge(void *opaque)
{
	struct fake_pic *p = opaque;
	p->acks++;
	return p->vector;
}

struct rig {
	struct encore_machine *m;
	struct lapic *a;
	struct fake_pic pic;
};

/* `r` must stay put: the APIC keeps a pointer to r->pic. */
static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	r->m = machine__create(&arch_x86_64, 1 << 20, 1);
	struct lapic_extint pic = { pic_intr, pic_acknowledge, &r->pic };
	struct apic_bus *bus = apic_bus__create(r->m);
	r->a = lapic__create(r->m, 0, HZ, &pic);
	apic_bus__add_lapic(bus, 0, r->a);
	r->pic.vector = 0x28;
}

static void rig_done(struct rig *r)
{
	machine__destroy(r->m);
}

static u32 rd(struct rig *r, unsigned off)
{
	u8 b[4];
	bus__access(&r->m->mmio, &r->m->vcpus[0], LAPIC_BASE + off, b, 4, false);
	u32 v;
	memcpy(&v, b, 4);
	return v;
}

static void wr(struct rig *r, unsigned off, u32 v)
{
	u8 b[4];
	memcpy(b, &v, 4);
	bus__access(&r->m->mmio, &r->m->vcpus[0], LAPIC_BASE + off, b, 4, true);
}

static unsigned lvt_reg(enum lapic_lvt which)
{
	return LAPIC_LVT_BASE + 16 * which;
}

/* Move virtual time to `t` and fire what is due; returns how many fired. */
static unsigned at(struct rig *r, u64 t)
{
	r->m->idle_ns = t;
	return machine__fire_timers(r->m);
}

static bool irr_has(struct rig *r, unsigned v)
{
	return rd(r, LAPIC_IRR + 16 * (v / 32)) >> (v % 32) & 1;
}

static bool vector_set_empty(struct rig *r, unsigned base)
{
	for (unsigned k = 0; k < 8; k++)
		if (rd(r, base + 16 * k))
			return false;
	return true;
}

/* Take the interrupt and retire it, as a handler would. */
static int take(struct rig *r)
{
	int v = lapic__acknowledge(r->a);
	wr(r, LAPIC_EOI, 0);
	return v;
}

static void test_reset_values(void)
{
	check_group("reset");
	struct rig r;
	rig_init(&r);
	static const struct { unsigned off; u32 value; } expect[] = {
		{ LAPIC_ID, 0 }, { LAPIC_VERSION, 0x00050014 }, { LAPIC_TPR, 0 }, { LAPIC_APR, 0 },
		{ LAPIC_PPR, 0 }, { LAPIC_LDR, 0 }, { LAPIC_DFR, 0xffffffff }, { LAPIC_SVR, 0x1ff },
		{ LAPIC_ESR, 0 }, { LAPIC_ICR_LO, 0 }, { LAPIC_ICR_HI, 0 },
		{ LAPIC_LVT_BASE + 0x00, 0x10000 }, { LAPIC_LVT_BASE + 0x10, 0x10000 },
		{ LAPIC_LVT_BASE + 0x20, 0x10000 }, { LAPIC_LVT_BASE + 0x30, 0x700 },
		{ LAPIC_LVT_BASE + 0x40, 0x400 }, { LAPIC_LVT_BASE + 0x50, 0x10000 },
		{ LAPIC_TIMER_INITIAL, 0 }, { LAPIC_TIMER_CURRENT, 0 }, { LAPIC_TIMER_DIVIDE, 0 },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(expect); k++)
		CHECK(rd(&r, expect[k].off) == expect[k].value, "reg %#x reads %#x, want %#x",
		      expect[k].off, rd(&r, expect[k].off), expect[k].value);
	CHECK(vector_set_empty(&r, LAPIC_ISR) && vector_set_empty(&r, LAPIC_TMR) &&
	      vector_set_empty(&r, LAPIC_IRR), "ISR, TMR, IRR clear");
	CHECK(!lapic__has_interrupt(r.a), "nothing pending");
	CHECK(lapic__acknowledge(r.a) == -1, "INTA with nothing pending");
	CHECK(machine__next_deadline(r.m) == VTIMER_OFF, "timer idle");
	CHECK(r.m->ndevices == 2 && !strcmp(r.m->devices[1]->name, "lapic0") &&
	      r.m->devices[1]->state_size == sizeof(struct lapic_state) &&
	      r.m->devices[1]->version == 1, "registered as a device");
	rig_done(&r);
}

/* Only aligned dwords are registers; the rest reads 0 and writes nothing. */
static void test_odd_accesses(void)
{
	check_group("odd-accesses");
	struct rig r;
	rig_init(&r);
	u8 b[8];
	memset(b, 0xaa, sizeof(b));
	bus__access(&r.m->mmio, &r.m->vcpus[0], LAPIC_BASE + LAPIC_VERSION, b, 1, false);
	CHECK(b[0] == 0, "byte read of VERSION: %#x", b[0]);
	memset(b, 0xaa, sizeof(b));
	bus__access(&r.m->mmio, &r.m->vcpus[0], LAPIC_BASE + LAPIC_VERSION, b, 8, false);
	CHECK(!memcmp(b, (u8[8]){ 0 }, 8), "qword read of VERSION reads 0");
	CHECK(rd(&r, LAPIC_VERSION + 4) == 0, "dword inside a register's slot");
	CHECK(rd(&r, 0x040) == 0 && rd(&r, 0xff0) == 0 && rd(&r, LAPIC_EOI) == 0, "reserved and EOI read 0");
	b[0] = 0x77;
	bus__access(&r.m->mmio, &r.m->vcpus[0], LAPIC_BASE + LAPIC_TPR, b, 1, true);
	wr(&r, LAPIC_TPR + 4, 0x77);
	CHECK(rd(&r, LAPIC_TPR) == 0, "narrow and misaligned writes ignored: TPR %#x", rd(&r, LAPIC_TPR));
	wr(&r, LAPIC_VERSION, 0);
	wr(&r, LAPIC_PPR, 0xff);
	wr(&r, LAPIC_APR, 0xff);
	wr(&r, LAPIC_IRR + 0x30, ~0u);
	wr(&r, LAPIC_ISR + 0x30, ~0u);
	wr(&r, LAPIC_TMR + 0x30, ~0u);
	wr(&r, LAPIC_TIMER_CURRENT, 1234);
	wr(&r, 0x040, ~0u);
	CHECK(rd(&r, LAPIC_VERSION) == 0x00050014 && rd(&r, LAPIC_PPR) == 0 && rd(&r, LAPIC_APR) == 0,
	      "read-only registers keep their values");
	CHECK(vector_set_empty(&r, LAPIC_IRR) && vector_set_empty(&r, LAPIC_ISR) &&
	      vector_set_empty(&r, LAPIC_TMR) && rd(&r, LAPIC_TIMER_CURRENT) == 0,
	      "IRR, ISR, TMR, current count are read-only");
	rig_done(&r);
}

static void test_write_masks(void)
{
	check_group("write-masks");
	struct rig r;
	rig_init(&r);
	static const struct { unsigned off; u32 value; } expect[] = {
		{ LAPIC_ID, 0xff000000 }, { LAPIC_TPR, 0xff }, { LAPIC_LDR, 0xff000000 },
		{ LAPIC_DFR, 0xffffffff }, { LAPIC_ICR_HI, 0xff000000 }, { LAPIC_TIMER_DIVIDE, 0xb },
		{ LAPIC_LVT_BASE + 0x00, 0x300ff }, { LAPIC_LVT_BASE + 0x10, 0x107ff },
		{ LAPIC_LVT_BASE + 0x20, 0x107ff }, { LAPIC_LVT_BASE + 0x30, 0x1a7ff },
		{ LAPIC_LVT_BASE + 0x40, 0x1a7ff }, { LAPIC_LVT_BASE + 0x50, 0x100ff },
		/* ExtINT mode is no IPI: nothing is sent, delivery status reads idle */
		{ LAPIC_ICR_LO, 0xccfff }, { LAPIC_SVR, 0x3ff },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(expect); k++) {
		wr(&r, expect[k].off, ~0u);
		CHECK(rd(&r, expect[k].off) == expect[k].value, "reg %#x after all-ones: %#x, want %#x",
		      expect[k].off, rd(&r, expect[k].off), expect[k].value);
	}
	wr(&r, LAPIC_DFR, 0);
	CHECK(rd(&r, LAPIC_DFR) == 0x0fffffff, "DFR bits 27:0 read as ones: %#x", rd(&r, LAPIC_DFR));
	CHECK(vector_set_empty(&r, LAPIC_IRR), "no IPI was sent");
	rig_done(&r);
}

/* Highest class first; a class in service blocks its own and lower ones. */
static void test_priority_order(void)
{
	check_group("priority");
	struct rig r;
	rig_init(&r);
	lapic__deliver(r.a, 0x31, false);
	lapic__deliver(r.a, 0x52, false);
	lapic__deliver(r.a, 0x45, false);
	CHECK(lapic__has_interrupt(r.a), "pending");
	CHECK(lapic__acknowledge(r.a) == 0x52, "highest first");
	CHECK(rd(&r, LAPIC_PPR) == 0x50, "PPR follows ISR: %#x", rd(&r, LAPIC_PPR));
	CHECK(!lapic__has_interrupt(r.a), "lower classes wait for EOI");
	wr(&r, LAPIC_EOI, 0);
	CHECK(rd(&r, LAPIC_PPR) == 0, "PPR back to 0");
	CHECK(take(&r) == 0x45, "then 0x45");
	CHECK(take(&r) == 0x31, "then 0x31");
	CHECK(!lapic__has_interrupt(r.a) && lapic__acknowledge(r.a) == -1, "drained");

	lapic__deliver(r.a, 0x53, false);
	lapic__deliver(r.a, 0x57, false);
	CHECK(lapic__acknowledge(r.a) == 0x57, "within a class, the higher vector");
	CHECK(!lapic__has_interrupt(r.a), "same class blocked while one is in service");
	wr(&r, LAPIC_EOI, 0);
	CHECK(take(&r) == 0x53, "then the lower one");
	rig_done(&r);
}

static void test_tpr_masking(void)
{
	check_group("tpr-ppr");
	struct rig r;
	rig_init(&r);
	r.m->irq_changed = false;
	wr(&r, LAPIC_TPR, 0x50);
	CHECK(r.m->irq_changed, "a TPR write re-evaluates interrupts");
	lapic__deliver(r.a, 0x55, false);
	CHECK(rd(&r, LAPIC_PPR) == 0x50 && !lapic__has_interrupt(r.a), "class 5 masked by TPR 0x50");
	lapic__deliver(r.a, 0x65, false);
	CHECK(lapic__has_interrupt(r.a), "class 6 beats TPR 0x50");
	CHECK(lapic__acknowledge(r.a) == 0x65, "takes 0x65");
	CHECK(rd(&r, LAPIC_PPR) == 0x60, "PPR = ISR class when above TPR: %#x", rd(&r, LAPIC_PPR));
	wr(&r, LAPIC_TPR, 0x6a);
	CHECK(rd(&r, LAPIC_PPR) == 0x6a, "PPR = TPR when its class is not below: %#x", rd(&r, LAPIC_PPR));
	wr(&r, LAPIC_EOI, 0);
	CHECK(rd(&r, LAPIC_PPR) == 0x6a && !lapic__has_interrupt(r.a), "0x55 still masked");
	wr(&r, LAPIC_TPR, 0x4f);
	CHECK(lapic__has_interrupt(r.a) && lapic__acknowledge(r.a) == 0x55, "TPR 0x4f lets 0x55 in");
	wr(&r, LAPIC_EOI, 0);

	/* APR: the TPR if it is at least the IRR class, else the highest class. */
	wr(&r, LAPIC_TPR, 0x20);
	lapic__deliver(r.a, 0x31, false);
	CHECK(rd(&r, LAPIC_APR) == 0x30, "APR from IRR: %#x", rd(&r, LAPIC_APR));
	wr(&r, LAPIC_TPR, 0x41);
	CHECK(rd(&r, LAPIC_APR) == 0x41, "APR = TPR: %#x", rd(&r, LAPIC_APR));
	rig_done(&r);
}

static void test_eoi_nesting(void)
{
	check_group("eoi-nesting");
	struct rig r;
	rig_init(&r);
	lapic__deliver(r.a, 0x40, false);
	CHECK(lapic__acknowledge(r.a) == 0x40, "first");
	CHECK(rd(&r, LAPIC_ISR + 0x20) == 1 && vector_set_empty(&r, LAPIC_IRR), "0x40 moved IRR -> ISR");
	lapic__deliver(r.a, 0x80, false);
	CHECK(lapic__has_interrupt(r.a), "a higher class nests");
	CHECK(lapic__acknowledge(r.a) == 0x80, "nested");
	CHECK(rd(&r, LAPIC_ISR + 0x40) == 1 && rd(&r, LAPIC_ISR + 0x20) == 1, "both in service");
	CHECK(rd(&r, LAPIC_PPR) == 0x80, "PPR %#x", rd(&r, LAPIC_PPR));
	r.m->irq_changed = false;
	wr(&r, LAPIC_EOI, 0);
	CHECK(r.m->irq_changed, "EOI re-evaluates interrupts");
	CHECK(rd(&r, LAPIC_ISR + 0x40) == 0 && rd(&r, LAPIC_ISR + 0x20) == 1, "EOI retires the highest");
	CHECK(rd(&r, LAPIC_PPR) == 0x40, "PPR %#x", rd(&r, LAPIC_PPR));
	lapic__deliver(r.a, 0x41, false);
	CHECK(!lapic__has_interrupt(r.a), "same class as the one in service waits");
	wr(&r, LAPIC_EOI, 0);
	CHECK(vector_set_empty(&r, LAPIC_ISR), "ISR empty");
	CHECK(take(&r) == 0x41, "the waiting one");
	wr(&r, LAPIC_EOI, 0);
	CHECK(vector_set_empty(&r, LAPIC_ISR) && !lapic__has_interrupt(r.a), "EOI with nothing in service");

	lapic__deliver(r.a, 0x61, true);
	CHECK(rd(&r, LAPIC_TMR + 0x30) == 2, "level sets TMR: %#x", rd(&r, LAPIC_TMR + 0x30));
	take(&r);
	lapic__deliver(r.a, 0x61, false);
	CHECK(rd(&r, LAPIC_TMR + 0x30) == 0, "edge clears TMR");
	r.m->irq_changed = false;
	lapic__deliver(r.a, 0x62, false);
	CHECK(r.m->irq_changed, "delivery re-evaluates interrupts");
	rig_done(&r);
}

static void test_self_ipi(void)
{
	check_group("self-ipi");
	struct rig r;
	rig_init(&r);
	r.m->irq_changed = false;
	wr(&r, LAPIC_ICR_LO, SH_SELF | 0x40);
	CHECK(irr_has(&r, 0x40) && r.m->irq_changed, "self shorthand");
	CHECK(rd(&r, LAPIC_ICR_LO) == (SH_SELF | 0x40), "ICR reads back, delivery status idle: %#x",
	      rd(&r, LAPIC_ICR_LO));
	wr(&r, LAPIC_ICR_LO, SH_ALL | 0x41);
	CHECK(irr_has(&r, 0x41), "all including self");
	wr(&r, LAPIC_ICR_LO, SH_OTHERS | 0x42);
	CHECK(!irr_has(&r, 0x42), "all excluding self");
	wr(&r, LAPIC_ICR_HI, 0);
	wr(&r, LAPIC_ICR_LO, 0x43);
	CHECK(irr_has(&r, 0x43), "physical destination = our ID 0");
	wr(&r, LAPIC_ICR_HI, 5u << 24);
	wr(&r, LAPIC_ICR_LO, 0x44);
	CHECK(!irr_has(&r, 0x44), "physical destination 5 is another CPU");
	wr(&r, LAPIC_ID, 5u << 24);
	wr(&r, LAPIC_ICR_LO, 0x45);
	CHECK(irr_has(&r, 0x45), "physical destination 5 after ID = 5");
	wr(&r, LAPIC_ICR_HI, 0xffu << 24);
	wr(&r, LAPIC_ICR_LO, 0x46);
	CHECK(irr_has(&r, 0x46), "physical broadcast");
	wr(&r, LAPIC_LDR, 0x02u << 24);
	wr(&r, LAPIC_ICR_HI, 0x06u << 24);
	wr(&r, LAPIC_ICR_LO, DEST_LOGICAL | 0x47);
	CHECK(irr_has(&r, 0x47), "logical flat, overlapping bit");
	wr(&r, LAPIC_ICR_HI, 0x01u << 24);
	wr(&r, LAPIC_ICR_LO, DEST_LOGICAL | 0x48);
	CHECK(!irr_has(&r, 0x48), "logical flat, other bit");
	wr(&r, LAPIC_DFR, 0x0fffffff);
	wr(&r, LAPIC_LDR, 0x12u << 24);
	wr(&r, LAPIC_ICR_HI, 0x13u << 24);
	wr(&r, LAPIC_ICR_LO, DEST_LOGICAL | 0x49);
	CHECK(irr_has(&r, 0x49), "logical cluster 1, member overlap");
	wr(&r, LAPIC_ICR_HI, 0x22u << 24);
	wr(&r, LAPIC_ICR_LO, DEST_LOGICAL | 0x4a);
	CHECK(!irr_has(&r, 0x4a), "logical cluster 2 is not ours");
	wr(&r, LAPIC_ICR_LO, SH_SELF | (1u << 8) | 0x4b);
	wr(&r, LAPIC_ICR_LO, SH_SELF | (4u << 8) | 0x4c);
	wr(&r, LAPIC_ICR_LO, SH_ALL | (5u << 8));
	wr(&r, LAPIC_ICR_LO, SH_ALL | (6u << 8) | 0x4d);
	CHECK(!irr_has(&r, 0x4b) && !irr_has(&r, 0x4c) && !irr_has(&r, 0x4d),
	      "lowest-priority, NMI, INIT and SIPI IPIs set no IRR bit");
	CHECK(rd(&r, LAPIC_IRR + 0x20) == 0x02eb, "IRR exactly 0x40,41,43,45,46,47,49: %#x",
	      rd(&r, LAPIC_IRR + 0x20));
	CHECK(take(&r) == 0x49, "delivered highest first");
	rig_done(&r);
}

/* The divide-configuration value for divider code 0..7 (/2 ... /128, /1). */
static u32 dcr_for(unsigned code)
{
	return (code & 3) | ((code & 4) << 1);
}

static u64 divisor_for(unsigned code)
{
	return code == 7 ? 1 : 2ull << code;
}

/* Whole ticks in `ns` at divider `div`, and the first ns with `n` ticks. */
static u64 ticks_in(u64 ns, u64 div)
{
	return (u64)((u128)ns * HZ / (NS_PER_S * div));
}

static u64 ns_for_ticks(u128 n, u64 div)
{
	return (u64)((n * NS_PER_S * div + HZ - 1) / HZ);
}

/* Hand-computed: 10 ticks at /2 last 600.000006 ns. */
static void test_oneshot_anchor(void)
{
	check_group("oneshot-anchor");
	struct rig r;
	rig_init(&r);
	at(&r, 1000);
	wr(&r, LAPIC_LVT_BASE, 0x30);
	wr(&r, LAPIC_TIMER_DIVIDE, 0);
	wr(&r, LAPIC_TIMER_INITIAL, 10);
	CHECK(machine__next_deadline(r.m) == 1601, "deadline %llu",
	      (unsigned long long)machine__next_deadline(r.m));
	at(&r, 1540);
	CHECK(rd(&r, LAPIC_TIMER_CURRENT) == 2, "8.99999991 ticks at +540: %u", rd(&r, LAPIC_TIMER_CURRENT));
	at(&r, 1541);
	CHECK(rd(&r, LAPIC_TIMER_CURRENT) == 1, "9.0166 ticks at +541: %u", rd(&r, LAPIC_TIMER_CURRENT));
	CHECK(at(&r, 1600) == 0 && rd(&r, LAPIC_TIMER_CURRENT) == 1 && !irr_has(&r, 0x30), "not yet at +600");
	CHECK(at(&r, 1601) == 1 && rd(&r, LAPIC_TIMER_CURRENT) == 0 && irr_has(&r, 0x30), "fires at +601");
	rig_done(&r);
}

static void test_oneshot_dividers(void)
{
	check_group("oneshot");
	struct rng g;
	rng_seed(&g, check_seed(0x1a91c));
	for (unsigned code = 0; code < 8; code++) {
		struct rig r;
		rig_init(&r);
		u64 div = divisor_for(code), t0 = 1000 + 7 * code, n = 1000 + code;
		at(&r, t0);
		wr(&r, LAPIC_LVT_BASE, 0x30);
		wr(&r, LAPIC_TIMER_DIVIDE, dcr_for(code));
		wr(&r, LAPIC_TIMER_INITIAL, (u32)n);
		u64 deadline = t0 + ns_for_ticks(n, div);
		CHECK(machine__next_deadline(r.m) == deadline, "/%llu: deadline %llu, want %llu",
		      (unsigned long long)div, (unsigned long long)machine__next_deadline(r.m),
		      (unsigned long long)deadline);
		u64 t = t0;
		for (unsigned k = 0; k < 40; k++) {
			t += rng_below(&g, (deadline - t0) / 20);
			if (t >= deadline)
				break;
			at(&r, t);
			u32 want = (u32)(n - ticks_in(t - t0, div));
			CHECK(rd(&r, LAPIC_TIMER_CURRENT) == want, "/%llu at +%llu: %u, want %u",
			      (unsigned long long)div, (unsigned long long)(t - t0),
			      rd(&r, LAPIC_TIMER_CURRENT), want);
		}
		CHECK(at(&r, deadline - 1) == 0 && rd(&r, LAPIC_TIMER_CURRENT) == 1 && !irr_has(&r, 0x30),
		      "/%llu: count 1 just before the deadline", (unsigned long long)div);
		CHECK(at(&r, deadline) == 1 && irr_has(&r, 0x30) && rd(&r, LAPIC_TIMER_CURRENT) == 0,
		      "/%llu: fires at the deadline", (unsigned long long)div);
		CHECK(machine__next_deadline(r.m) == VTIMER_OFF, "one-shot does not re-arm");
		at(&r, deadline * 3);
		CHECK(rd(&r, LAPIC_TIMER_CURRENT) == 0 && rd(&r, LAPIC_TIMER_INITIAL) == n,
		      "count stays 0, initial count kept");
		rig_done(&r);
	}
}

/* Every reload lands on the exact tick, however many periods have passed. */
static void test_periodic_dividers(void)
{
	check_group("periodic");
	for (unsigned code = 0; code < 8; code++) {
		struct rig r;
		rig_init(&r);
		u64 div = divisor_for(code), t0 = 333 + code, n = 7 + code;
		at(&r, t0);
		wr(&r, LAPIC_LVT_BASE, PERIODIC | 0x31);
		wr(&r, LAPIC_TIMER_DIVIDE, dcr_for(code));
		wr(&r, LAPIC_TIMER_INITIAL, (u32)n);
		u64 failed_at = 0;
		for (u64 k = 1; k <= 300 && !failed_at; k++) {
			u64 deadline = t0 + ns_for_ticks(k * n, div);
			bool ok = machine__next_deadline(r.m) == deadline;
			ok = ok && at(&r, deadline - 1) == 0 && rd(&r, LAPIC_TIMER_CURRENT) == 1;
			ok = ok && at(&r, deadline) == 1 && irr_has(&r, 0x31) && rd(&r, LAPIC_TIMER_CURRENT) == n;
			ok = ok && take(&r) == 0x31;
			if (!ok)
				failed_at = k;
		}
		CHECK(!failed_at, "/%llu: 300 exact periods, wrong at period %llu", (unsigned long long)div,
		      (unsigned long long)failed_at);
		/* A late wake-up skips the missed reloads and keeps the phase. */
		u64 late = t0 + ns_for_ticks(1000 * n, div) + 5;
		CHECK(at(&r, late) == 1 && take(&r) == 0x31, "/%llu: one interrupt after a long gap",
		      (unsigned long long)div);
		u32 want = (u32)(n - ticks_in(late - t0, div) % n);
		CHECK(rd(&r, LAPIC_TIMER_CURRENT) == want, "/%llu: count %u, want %u",
		      (unsigned long long)div, rd(&r, LAPIC_TIMER_CURRENT), want);
		CHECK(machine__next_deadline(r.m) == t0 + ns_for_ticks(1001 * n, div),
		      "/%llu: next reload on the original grid", (unsigned long long)div);
		rig_done(&r);
	}
}

static void test_masked_timer(void)
{
	check_group("masked-timer");
	struct rig r;
	rig_init(&r);
	const u64 div = 1, n = 100;
	wr(&r, LAPIC_TIMER_DIVIDE, 0xb);
	wr(&r, LAPIC_LVT_BASE, MASKED | PERIODIC | 0x32);
	wr(&r, LAPIC_TIMER_INITIAL, (u32)n);
	at(&r, 1234);
	CHECK(rd(&r, LAPIC_TIMER_CURRENT) == n - ticks_in(1234, div), "masked still counts: %u",
	      rd(&r, LAPIC_TIMER_CURRENT));
	at(&r, ns_for_ticks(2 * n, div));
	CHECK(!irr_has(&r, 0x32) && rd(&r, LAPIC_TIMER_CURRENT) == n, "masked: reloads, no interrupt");
	at(&r, ns_for_ticks(2 * n + 30, div));
	wr(&r, LAPIC_LVT_BASE, PERIODIC | 0x32);
	CHECK(machine__next_deadline(r.m) == ns_for_ticks(3 * n, div), "unmasking keeps the phase");
	CHECK(at(&r, ns_for_ticks(3 * n, div)) == 1 && irr_has(&r, 0x32), "unmasked: interrupts");
	take(&r);

	wr(&r, LAPIC_LVT_BASE, MASKED | 0x33);
	u64 t0 = 100000;
	at(&r, t0);
	wr(&r, LAPIC_TIMER_INITIAL, 10);
	at(&r, t0 + ns_for_ticks(10, div));
	CHECK(rd(&r, LAPIC_TIMER_CURRENT) == 0 && vector_set_empty(&r, LAPIC_IRR), "masked one-shot: silent");
	wr(&r, LAPIC_LVT_BASE, 0x33);
	at(&r, t0 + 10 * ns_for_ticks(10, div));
	CHECK(vector_set_empty(&r, LAPIC_IRR), "unmasking after expiry raises nothing");
	rig_done(&r);
}

static void test_timer_changes(void)
{
	check_group("timer-changes");
	struct rig r;
	rig_init(&r);
	wr(&r, LAPIC_TIMER_DIVIDE, 0xb); /* /1 */
	wr(&r, LAPIC_LVT_BASE, 0x34);
	wr(&r, LAPIC_TIMER_INITIAL, 1000);
	wr(&r, LAPIC_TIMER_INITIAL, 0);
	CHECK(machine__next_deadline(r.m) == VTIMER_OFF && rd(&r, LAPIC_TIMER_CURRENT) == 0, "0 stops it");
	at(&r, 5000);
	CHECK(vector_set_empty(&r, LAPIC_IRR), "a stopped timer stays silent");

	/* Divider change mid-count: the count carries on at the new rate. */
	u64 t0 = 10000;
	at(&r, t0);
	wr(&r, LAPIC_TIMER_INITIAL, 1000);
	u64 t1 = t0 + 3001;
	at(&r, t1);
	u32 c = (u32)(1000 - ticks_in(3001, 1));
	CHECK(rd(&r, LAPIC_TIMER_CURRENT) == c, "count before the change: %u", rd(&r, LAPIC_TIMER_CURRENT));
	wr(&r, LAPIC_TIMER_DIVIDE, 1); /* /4 */
	CHECK(rd(&r, LAPIC_TIMER_CURRENT) == c, "unchanged by the divider write");
	at(&r, t1 + 1000);
	CHECK(rd(&r, LAPIC_TIMER_CURRENT) == c - ticks_in(1000, 4), "counts at /4: %u, want %u",
	      rd(&r, LAPIC_TIMER_CURRENT), (u32)(c - ticks_in(1000, 4)));
	CHECK(machine__next_deadline(r.m) == t1 + ns_for_ticks(c, 4), "deadline at the new rate");

	/* One-shot -> periodic mid-count: finishes this count, then reloads 1000. */
	u64 t2 = t1 + 2000;
	at(&r, t2);
	u32 c2 = rd(&r, LAPIC_TIMER_CURRENT);
	wr(&r, LAPIC_LVT_BASE, PERIODIC | 0x34);
	CHECK(rd(&r, LAPIC_TIMER_CURRENT) == c2, "mode switch keeps the count");
	u64 zero = t2 + ns_for_ticks(c2, 4);
	CHECK(at(&r, zero) == 1 && take(&r) == 0x34 && rd(&r, LAPIC_TIMER_CURRENT) == 1000,
	      "reaches 0 and reloads the initial count");
	CHECK(machine__next_deadline(r.m) == t2 + ns_for_ticks(c2 + 1000, 4), "next period");

	/* An expired one-shot does not restart when switched to periodic. */
	wr(&r, LAPIC_LVT_BASE, 0x34);
	wr(&r, LAPIC_TIMER_INITIAL, 5);
	at(&r, zero + 1000000);
	take(&r);
	wr(&r, LAPIC_LVT_BASE, PERIODIC | 0x34);
	CHECK(machine__next_deadline(r.m) == VTIMER_OFF && rd(&r, LAPIC_TIMER_CURRENT) == 0,
	      "expired one-shot stays stopped");
	rig_done(&r);
}

/* Time moved past an expiry the machine has not fired yet: a register
 * write must not lose that interrupt. */
static void test_due_before_write(void)
{
	check_group("due-before-write");
	struct rig r;
	rig_init(&r);
	wr(&r, LAPIC_LVT_BASE, 0x36);
	wr(&r, LAPIC_TIMER_INITIAL, 10);
	r.m->idle_ns = 10000; /* no fire_timers */
	wr(&r, LAPIC_TIMER_INITIAL, 10);
	CHECK(irr_has(&r, 0x36), "the due one-shot fired before the restart");
	CHECK(machine__next_deadline(r.m) == 10000 + ns_for_ticks(10, 2), "restarted from now");
	take(&r);
	r.m->idle_ns = 20000;
	wr(&r, LAPIC_LVT_BASE, MASKED | 0x36);
	CHECK(irr_has(&r, 0x36), "fired with the mask it had when due");
	rig_done(&r);
}

static void test_extint(void)
{
	check_group("extint");
	struct rig r;
	rig_init(&r);
	CHECK(!lapic__has_interrupt(r.a), "8259 quiet");
	r.pic.intr = true;
	CHECK(lapic__has_interrupt(r.a), "8259 INTR through LINT0 (reset state ExtINT)");
	CHECK(lapic__acknowledge(r.a) == 0x28 && r.pic.acks == 1, "INTA goes to the 8259");
	CHECK(vector_set_empty(&r, LAPIC_ISR) && rd(&r, LAPIC_PPR) == 0, "ExtINT bypasses ISR");
	wr(&r, LAPIC_TPR, 0xff);
	CHECK(lapic__has_interrupt(r.a), "TPR does not mask ExtINT");
	wr(&r, LAPIC_TPR, 0);
	r.m->irq_changed = false;
	wr(&r, lvt_reg(LVT_LINT0), MASKED | 0x700);
	CHECK(r.m->irq_changed && !lapic__has_interrupt(r.a), "masked LINT0 blocks it");
	wr(&r, lvt_reg(LVT_LINT0), 0x30);
	CHECK(!lapic__has_interrupt(r.a), "LINT0 in fixed mode is no ExtINT");
	wr(&r, lvt_reg(LVT_LINT0), 0x700);
	lapic__deliver(r.a, 0x90, false);
	CHECK(lapic__acknowledge(r.a) == 0x28, "ExtINT before a fixed vector");
	r.pic.intr = false;
	CHECK(lapic__acknowledge(r.a) == 0x90 && r.pic.acks == 2, "then the fixed vector");
	rig_done(&r);

	struct encore_machine *m = machine__create(&arch_x86_64, 1 << 20, 1);
	struct lapic *a = lapic__create(m, 0, HZ, NULL);
	CHECK(!lapic__has_interrupt(a) && lapic__acknowledge(a) == -1, "no 8259 wired");
	machine__destroy(m);
}

static void test_spurious(void)
{
	check_group("spurious");
	struct rig r;
	rig_init(&r);
	lapic__deliver(r.a, 0x50, false);
	CHECK(lapic__has_interrupt(r.a), "pending");
	wr(&r, LAPIC_TPR, 0x60); /* raised between INTR and INTA */
	CHECK(lapic__acknowledge(r.a) == 0xff, "INTA gets the spurious vector");
	CHECK(vector_set_empty(&r, LAPIC_ISR) && irr_has(&r, 0x50), "ISR untouched, request kept");
	wr(&r, LAPIC_SVR, 0x13f);
	CHECK(lapic__acknowledge(r.a) == 0x3f, "spurious vector from SVR");
	wr(&r, LAPIC_TPR, 0);
	CHECK(lapic__acknowledge(r.a) == 0x50, "taken once TPR drops");
	rig_done(&r);
}

static void test_illegal_vectors(void)
{
	check_group("illegal-vectors");
	struct rig r;
	rig_init(&r);
	lapic__deliver(r.a, 7, false);
	CHECK(vector_set_empty(&r, LAPIC_IRR) && !lapic__has_interrupt(r.a), "vector 7 never reaches IRR");
	CHECK(rd(&r, LAPIC_ESR) == 0, "ESR shows nothing before a write");
	wr(&r, LAPIC_ESR, 0);
	CHECK(rd(&r, LAPIC_ESR) == 0x40, "receive illegal vector: %#x", rd(&r, LAPIC_ESR));
	wr(&r, LAPIC_ESR, 0);
	CHECK(rd(&r, LAPIC_ESR) == 0, "the next write clears it");
	wr(&r, LAPIC_ICR_LO, SH_SELF | 3);
	wr(&r, LAPIC_ESR, 0);
	CHECK(rd(&r, LAPIC_ESR) == 0x60, "self-IPI: send and receive illegal: %#x", rd(&r, LAPIC_ESR));
	wr(&r, LAPIC_ICR_LO, SH_OTHERS | 3);
	wr(&r, LAPIC_ESR, 0);
	CHECK(rd(&r, LAPIC_ESR) == 0x20, "IPI to others: send illegal only: %#x", rd(&r, LAPIC_ESR));

	wr(&r, lvt_reg(LVT_ERROR), 0xfe);
	wr(&r, LAPIC_ESR, 0);
	lapic__deliver(r.a, 5, false);
	CHECK(irr_has(&r, 0xfe), "the error LVT interrupts");
	CHECK(take(&r) == 0xfe, "error vector taken");
	lapic__deliver(r.a, 5, false);
	CHECK(!irr_has(&r, 0xfe), "the same unread error does not interrupt again");
	wr(&r, LAPIC_ESR, 0);
	lapic__deliver(r.a, 5, false);
	CHECK(irr_has(&r, 0xfe), "after the ESR write it does");
	take(&r);

	wr(&r, lvt_reg(LVT_ERROR), 0x05); /* an illegal error vector must not recurse */
	wr(&r, LAPIC_ESR, 0);
	lapic__deliver(r.a, 6, false);
	wr(&r, LAPIC_ESR, 0);
	CHECK(rd(&r, LAPIC_ESR) == 0x40 && vector_set_empty(&r, LAPIC_IRR), "illegal error vector");

	wr(&r, lvt_reg(LVT_ERROR), MASKED);
	wr(&r, LAPIC_LVT_BASE, 0x0a);
	wr(&r, LAPIC_TIMER_INITIAL, 1);
	at(&r, 1000);
	wr(&r, LAPIC_ESR, 0);
	CHECK(rd(&r, LAPIC_ESR) == 0x40 && vector_set_empty(&r, LAPIC_IRR), "timer with vector 10");
	rig_done(&r);
}

static void test_software_disable(void)
{
	check_group("sw-disable");
	struct rig r;
	rig_init(&r);
	lapic__deliver(r.a, 0x70, false);
	wr(&r, LAPIC_LVT_BASE, 0x20);
	wr(&r, LAPIC_TIMER_INITIAL, 10);
	wr(&r, LAPIC_SVR, 0xff);
	CHECK(rd(&r, LAPIC_SVR) == 0xff, "SVR");
	CHECK(rd(&r, lvt_reg(LVT_TIMER)) == (MASKED | 0x20) && rd(&r, lvt_reg(LVT_LINT0)) == (MASKED | 0x700) &&
	      rd(&r, lvt_reg(LVT_LINT1)) == (MASKED | 0x400) && rd(&r, lvt_reg(LVT_ERROR)) == MASKED,
	      "every LVT masked");
	wr(&r, lvt_reg(LVT_LINT0), 0x700);
	wr(&r, LAPIC_LVT_BASE, 0x20);
	CHECK(rd(&r, lvt_reg(LVT_LINT0)) == (MASKED | 0x700) && rd(&r, LAPIC_LVT_BASE) == (MASKED | 0x20),
	      "masks stick while disabled");
	CHECK(lapic__acknowledge(r.a) == 0x70, "what IRR held is still dispatched");
	wr(&r, LAPIC_EOI, 0);
	at(&r, 100000);
	CHECK(vector_set_empty(&r, LAPIC_IRR), "the masked timer stays silent");
	lapic__deliver(r.a, 0x71, false);
	wr(&r, LAPIC_ICR_LO, SH_SELF | 0x72);
	CHECK(vector_set_empty(&r, LAPIC_IRR), "no new fixed interrupts while disabled");
	r.pic.intr = true;
	CHECK(!lapic__has_interrupt(r.a), "masked LINT0 blocks the 8259");
	wr(&r, LAPIC_SVR, 0x1ff);
	CHECK(rd(&r, lvt_reg(LVT_LINT0)) == (MASKED | 0x700) && !lapic__has_interrupt(r.a),
	      "re-enabling leaves the masks set");
	wr(&r, lvt_reg(LVT_LINT0), 0x700);
	CHECK(lapic__has_interrupt(r.a) && lapic__acknowledge(r.a) == 0x28, "unmasked: the 8259 again");
	rig_done(&r);
}

static void test_intc(void)
{
	check_group("intc");
	struct rig r;
	rig_init(&r);
	struct intc c = lapic__intc(r.a);
	CHECK(c.opaque == r.a && !c.has_interrupt(c.opaque), "idle through intc");
	lapic__deliver(r.a, 0x66, false);
	CHECK(c.has_interrupt(c.opaque) && c.acknowledge(c.opaque) == 0x66, "through intc");
	rig_done(&r);
}

/* Every register, plus what the timer and INTA do next. */
static void snapshot_regs(struct rig *r, u32 *out)
{
	for (unsigned off = 0; off < 0x400; off += 16)
		out[off / 16] = rd(r, off);
}

static void test_save_restore(void)
{
	check_group("save-restore");
	struct rig a, b;
	rig_init(&a);
	rig_init(&b);
	at(&a, 777);
	wr(&a, LAPIC_ID, 3u << 24);
	wr(&a, LAPIC_LDR, 1u << 24);
	wr(&a, LAPIC_TIMER_DIVIDE, 0);
	wr(&a, LAPIC_LVT_BASE, PERIODIC | 0x35);
	wr(&a, LAPIC_TIMER_INITIAL, 1000);
	lapic__deliver(a.a, 0x40, true);
	lapic__acknowledge(a.a);
	lapic__deliver(a.a, 0x90, false);
	lapic__deliver(a.a, 3, false);
	wr(&a, LAPIC_TPR, 0x10);
	at(&a, 123456);

	struct device *da = a.m->devices[1], *db = b.m->devices[1];
	CHECK(da->state_size == db->state_size, "same state size");
	b.m->idle_ns = a.m->idle_ns; /* the checkpoint's clock */
	device__restore(db, da->state);

	u32 ra[64], rb[64];
	snapshot_regs(&a, ra);
	snapshot_regs(&b, rb);
	CHECK(!memcmp(ra, rb, sizeof(ra)), "registers match after restore");
	CHECK(machine__next_deadline(a.m) == machine__next_deadline(b.m) &&
	      machine__next_deadline(b.m) != VTIMER_OFF, "timer re-armed at the same deadline");
	unsigned same = 0;
	for (unsigned k = 0; k < 20; k++) {
		u64 t = machine__next_deadline(a.m);
		same += at(&a, t) == at(&b, t);
		same += take(&a) == take(&b);
		same += rd(&a, LAPIC_TIMER_CURRENT) == rd(&b, LAPIC_TIMER_CURRENT);
	}
	CHECK(same == 60, "the next 20 periods match: %u/60", same);
	CHECK(!memcmp(da->state, db->state, da->state_size), "state bytes still equal");
	rig_done(&a);
	rig_done(&b);
}

int main(void)
{
	test_reset_values();
	test_odd_accesses();
	test_write_masks();
	test_priority_order();
	test_tpr_masking();
	test_eoi_nesting();
	test_self_ipi();
	test_oneshot_anchor();
	test_oneshot_dividers();
	test_periodic_dividers();
	test_masked_timer();
	test_timer_changes();
	test_due_before_write();
	test_extint();
	test_spurious();
	test_illegal_vectors();
	test_software_disable();
	test_intc();
	test_save_restore();
	check_group_end();
	return check_summary();
}
