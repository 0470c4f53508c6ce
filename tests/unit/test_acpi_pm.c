/*
 * The ACPI PM1 registers and PM timer: SCI_EN stuck at 1, write-1-to-clear
 * status, the enable mask, power-off on S5 and nothing on other sleep
 * types, the timer's count at chosen virtual times (the 24-bit wrap
 * included), TMR_STS with and without TMR_EN and the SCI seen through a
 * fake interrupt router, the access widths, and a checkpoint restored into
 * a second machine.
 */
#include <string.h>

#include "check.h"
#include "encore/hw/acpi_pm.h"

#define BASE 0x600
#define SCI 9
#define SEC 1000000000ull
/* ceil(n * 10^9 / 3579545) ns: when the count reaches n (hand-computed). */
#define T_TICK1 280ull          /* 279 ns is 0.9987 ticks */
#define T_CARRY1 2343484438ull  /* 2^23: bit 23 sets */
#define T_WRAP 4686968875ull    /* 2^24: the count wraps to 0, bit 23 clears */
#define T_CARRY3 7030453312ull  /* 3 * 2^23 */
#define T_CARRY4 9373937750ull  /* 2^25: the second wrap */

struct bench {
	struct encore_machine *m;
	bool level;
	unsigned raises, other_lines;
};

static void record_irq(void *opaque, unsigned line, bool level)
{
	struct bench *b = opaque;
	if (line != SCI) {
		b->other_lines++;
		return;
	}
	b->level = level;
	b->raises += level;
}

static void bench_init(struct bench *b, u64 t)
{
	memset(b, 0, sizeof(*b));
	b->m = machine__create(&arch_x86_64, 16 << 20, 1);
	b->m->irq = (struct irq_router){ record_irq, b };
	b->m->idle_ns = t;
	acpi_pm__create(b->m, BASE, SCI);
}

static void at(struct bench *b, u64 t)
{
	b->m->idle_ns = t;
	machine__fire_timers(b->m);
}

static u32 rd(struct bench *b, unsigned off, unsigned len)
{
	u8 d[4] = { 0 };
	bus__access(&b->m->pio, NULL, BASE + off, d, len, false);
	return (u32)d[0] | (u32)d[1] << 8 | (u32)d[2] << 16 | (u32)d[3] << 24;
}

static void wr(struct bench *b, unsigned off, unsigned len, u32 v)
{
	u8 d[4] = { (u8)v, (u8)(v >> 8), (u8)(v >> 16), (u8)(v >> 24) };
	bus__access(&b->m->pio, NULL, BASE + off, d, len, true);
}

static u16 sts(struct bench *b) { return (u16)rd(b, ACPI_PM_STS, 2); }
static u16 en(struct bench *b) { return (u16)rd(b, ACPI_PM_EN, 2); }
static u16 cnt(struct bench *b) { return (u16)rd(b, ACPI_PM_CNT, 2); }
static u32 tmr(struct bench *b) { return rd(b, ACPI_PM_TMR, 4); }

static struct device *device(struct bench *b)
{
	return machine__find_device(b->m, "acpi-pm");
}

static void test_reset(void)
{
	check_group("reset");
	struct bench b;
	bench_init(&b, 0);
	struct device *d = device(&b);
	CHECK(d && d->version == 1 && d->state_size == sizeof(struct acpi_pm_state),
	      "device acpi-pm, version 1, the plain state");
	CHECK(sts(&b) == 0 && en(&b) == 0, "nothing pending or enabled");
	CHECK(cnt(&b) == ACPI_PM1_SCI_EN, "SCI_EN: in ACPI mode from the start");
	CHECK(tmr(&b) == 0, "timer at 0 at time 0");
	CHECK(rd(&b, 6, 2) == 0xffff, "ports 6-7 hold nothing");
	CHECK(machine__next_deadline(b.m) == VTIMER_OFF, "no timer while TMR_EN is clear");
	CHECK(!b.level && b.raises == 0 && b.other_lines == 0, "SCI low");
	machine__destroy(b.m);
}

static void test_control(void)
{
	check_group("control");
	struct bench b;
	bench_init(&b, 0);
	wr(&b, ACPI_PM_CNT, 2, 0);
	CHECK(cnt(&b) == ACPI_PM1_SCI_EN, "SCI_EN cannot be cleared");
	wr(&b, ACPI_PM_CNT, 2, ACPI_PM1_BM_RLD | ACPI_PM1_GBL_RLS | (3u << ACPI_PM1_SLP_TYP_SHIFT));
	CHECK(cnt(&b) == (ACPI_PM1_SCI_EN | ACPI_PM1_BM_RLD | (3u << ACPI_PM1_SLP_TYP_SHIFT)),
	      "BM_RLD and SLP_TYP stored, GBL_RLS write-only: %#x", cnt(&b));
	wr(&b, ACPI_PM_CNT, 2, 0xffff);
	CHECK(cnt(&b) == 0x1c03, "reserved bits and SLP_EN read 0: %#x", cnt(&b));
	CHECK(!b.m->poweroff_requested, "SLP_EN with type 7 does nothing");
	machine__destroy(b.m);
}

static void test_sleep(void)
{
	check_group("sleep");
	for (unsigned typ = 0; typ < 8; typ++) {
		struct bench b;
		bench_init(&b, 0);
		u16 v = (u16)(typ << ACPI_PM1_SLP_TYP_SHIFT);
		wr(&b, ACPI_PM_CNT, 2, v);
		CHECK(!b.m->poweroff_requested, "type %u without SLP_EN: nothing", typ);
		wr(&b, ACPI_PM_CNT, 2, v | ACPI_PM1_SLP_EN);
		CHECK(b.m->poweroff_requested == (typ == ACPI_PM_SLP_TYP_S5),
		      "type %u with SLP_EN: %s", typ, typ == 5 ? "powered off" : "nothing");
		CHECK(cnt(&b) == (ACPI_PM1_SCI_EN | v), "type %u kept, SLP_EN reads 0", typ);
		machine__destroy(b.m);
	}
	struct bench b;
	bench_init(&b, 0);
	wr(&b, ACPI_PM_CNT + 1, 1, (ACPI_PM1_SLP_EN | 5u << ACPI_PM1_SLP_TYP_SHIFT) >> 8);
	CHECK(b.m->poweroff_requested, "a byte write of the high half does it too");
	machine__destroy(b.m);
}

/* GBL, PWRBTN and WAK have no source here; a restored state sets them. */
static void with_status(struct bench *b, u16 sts_bits, u16 en_bits)
{
	struct acpi_pm_state s;
	memcpy(&s, device(b)->state, sizeof(s));
	s.sts = sts_bits;
	s.en = en_bits;
	device__restore(device(b), &s);
	wr(b, ACPI_PM_EN, 2, en_bits); /* a register write re-evaluates the SCI */
}

static void test_status_enable(void)
{
	check_group("status");
	struct bench b;
	bench_init(&b, 0);
	wr(&b, ACPI_PM_EN, 2, 0xffff);
	CHECK(en(&b) == (ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_RTC),
	      "PM1_EN keeps its 4 bits: %#x", en(&b));
	wr(&b, ACPI_PM_EN, 2, ACPI_PM1_RTC);
	CHECK(en(&b) == ACPI_PM1_RTC, "RTC_EN reads back, as ACPICA's acpi_enable_event checks");
	CHECK(sts(&b) == 0 && !b.level, "and nothing sets RTC_STS");
	wr(&b, ACPI_PM_EN, 2, 0);
	with_status(&b, ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_RTC | ACPI_PM1_WAK_STS, 0);
	CHECK(sts(&b) == 0x8520, "GBL, PWRBTN, RTC, WAK: %#x", sts(&b));
	CHECK(!b.level, "no SCI while nothing is enabled");
	wr(&b, ACPI_PM_STS, 2, 0);
	CHECK(sts(&b) == 0x8520, "writing 0 clears nothing");
	wr(&b, ACPI_PM_STS, 2, ACPI_PM1_PWRBTN | ACPI_PM1_RTC);
	CHECK(sts(&b) == 0x8020, "writing 1 clears those bits alone: %#x", sts(&b));
	wr(&b, ACPI_PM_EN, 2, ACPI_PM1_PWRBTN);
	CHECK(!b.level, "PWRBTN_EN without PWRBTN_STS: no SCI");
	wr(&b, ACPI_PM_EN, 2, ACPI_PM1_GBL);
	CHECK(b.level && b.raises == 1, "GBL_STS & GBL_EN: SCI up");
	wr(&b, ACPI_PM_STS, 2, ACPI_PM1_WAK_STS);
	CHECK(b.level && sts(&b) == ACPI_PM1_GBL, "clearing WAK_STS leaves the SCI up");
	wr(&b, ACPI_PM_STS, 2, ACPI_PM1_GBL);
	CHECK(!b.level && sts(&b) == 0, "clearing GBL_STS drops it");
	with_status(&b, ACPI_PM1_PWRBTN, ACPI_PM1_PWRBTN);
	CHECK(b.level, "PWRBTN raises the SCI");
	wr(&b, ACPI_PM_EN, 2, 0);
	CHECK(!b.level, "and masking it lowers the SCI");
	machine__destroy(b.m);
}

static void test_timer_values(void)
{
	check_group("timer");
	struct bench b;
	bench_init(&b, 0);
	static const struct { u64 t; u32 count; } v[] = {
		{ 0, 0 },
		{ T_TICK1 - 1, 0 },
		{ T_TICK1, 1 },
		{ SEC, 3579545 },
		{ T_CARRY1 - 1, 0x7fffff },
		{ T_CARRY1, 0x800000 },
		{ T_WRAP - 1, 0xffffff },
		{ T_WRAP, 0 },
		{ 10000 * SEC, 9648272 }, /* 35795450000 ticks mod 2^24 */
		{ UINT64_MAX, 0xa5bec0 }, /* 66030950515326656 ticks: the product needs 128 bits */
	};
	for (unsigned k = 0; k < ARRAY_SIZE(v); k++) {
		at(&b, v[k].t);
		u32 c = tmr(&b);
		CHECK(c == v[k].count, "at %llu ns: %#x, want %#x", (unsigned long long)v[k].t, c,
		      v[k].count);
	}
	at(&b, T_WRAP - 1);
	CHECK(rd(&b, ACPI_PM_TMR, 2) == 0xffff && rd(&b, ACPI_PM_TMR + 2, 2) == 0x00ff &&
	      rd(&b, ACPI_PM_TMR + 3, 1) == 0, "narrow reads agree; bits 31:24 read 0");
	wr(&b, ACPI_PM_TMR, 4, 0x12345678);
	CHECK(tmr(&b) == 0xffffff, "the timer ignores writes");
	machine__destroy(b.m);
}

static void test_tmr_sts_polled(void)
{
	check_group("tmr-polled");
	struct bench b;
	bench_init(&b, 0);
	at(&b, T_CARRY1 - 1);
	CHECK(!(sts(&b) & ACPI_PM1_TMR), "not before bit 23 changes");
	at(&b, T_CARRY1);
	CHECK(sts(&b) & ACPI_PM1_TMR, "TMR_STS when bit 23 sets");
	CHECK(!b.level && machine__next_deadline(b.m) == VTIMER_OFF, "TMR_EN clear: no SCI, no timer");
	at(&b, T_CARRY3 + 5);
	CHECK(sts(&b) == ACPI_PM1_TMR, "one flag after three changes");
	wr(&b, ACPI_PM_STS, 2, ACPI_PM1_TMR);
	CHECK(sts(&b) == 0, "write 1 clears it");
	at(&b, T_CARRY4 - 1);
	CHECK(sts(&b) == 0, "no change since the clear");
	at(&b, T_CARRY4);
	CHECK(sts(&b) & ACPI_PM1_TMR, "the 4th change (the wrap at 2^25) sets it again");
	machine__destroy(b.m);
}

static void test_tmr_sts_sci(void)
{
	check_group("tmr-sci");
	struct bench b;
	bench_init(&b, 0);
	wr(&b, ACPI_PM_EN, 2, ACPI_PM1_TMR);
	CHECK(machine__next_deadline(b.m) == T_CARRY1, "TMR_EN arms the timer for the first change");
	at(&b, T_CARRY1 - 1);
	CHECK(!b.level, "no SCI yet");
	at(&b, T_CARRY1);
	CHECK(b.level && b.raises == 1, "SCI at the change, to the ns");
	CHECK(machine__next_deadline(b.m) == VTIMER_OFF, "flag pending: timer idle");
	at(&b, 3 * SEC);
	wr(&b, ACPI_PM_STS, 2, ACPI_PM1_TMR);
	CHECK(!b.level, "clearing TMR_STS drops the SCI");
	CHECK(machine__next_deadline(b.m) == T_WRAP, "re-armed for the next change (the wrap)");
	at(&b, T_WRAP);
	CHECK(b.level && b.raises == 2, "SCI at the wrap");
	wr(&b, ACPI_PM_EN, 2, 0);
	CHECK(!b.level, "TMR_EN cleared: SCI down, TMR_STS kept");
	CHECK(sts(&b) == ACPI_PM1_TMR, "TMR_STS kept");
	wr(&b, ACPI_PM_EN, 2, ACPI_PM1_TMR);
	CHECK(b.level && b.raises == 3, "enabling a pending TMR_STS raises the SCI at once");
	wr(&b, ACPI_PM_STS, 2, ACPI_PM1_TMR);
	wr(&b, ACPI_PM_EN, 2, 0);
	CHECK(machine__next_deadline(b.m) == VTIMER_OFF, "TMR_EN clear disarms");
	machine__destroy(b.m);

	/* Created later in virtual time: the first change is still at a
	 * multiple of 2^23 ticks, not 2^23 ticks after creation. */
	bench_init(&b, 2 * SEC);
	wr(&b, ACPI_PM_EN, 2, ACPI_PM1_TMR);
	CHECK(sts(&b) == 0 && machine__next_deadline(b.m) == T_CARRY1, "created at 2 s");
	machine__destroy(b.m);
}

/* Widths other than Linux's 16/32 bits go byte by byte to their registers. */
static void test_widths(void)
{
	check_group("widths");
	struct bench b;
	bench_init(&b, 0);
	at(&b, T_CARRY1);
	wr(&b, ACPI_PM_STS, 4, (u32)ACPI_PM1_GBL << 16 | ACPI_PM1_TMR);
	CHECK(sts(&b) == 0 && en(&b) == ACPI_PM1_GBL, "a 32-bit write: STS cleared, EN set at once");
	CHECK(rd(&b, ACPI_PM_STS, 4) == (u32)ACPI_PM1_GBL << 16, "a 32-bit read: STS | EN << 16");
	wr(&b, ACPI_PM_EN + 1, 1, ACPI_PM1_PWRBTN >> 8);
	CHECK(en(&b) == (ACPI_PM1_GBL | ACPI_PM1_PWRBTN), "a byte write to EN's high half");
	CHECK(rd(&b, ACPI_PM_EN, 1) == ACPI_PM1_GBL && rd(&b, ACPI_PM_EN + 1, 1) == 1, "byte reads");
	CHECK(rd(&b, ACPI_PM_CNT, 4) == 0xffff0001u, "a 32-bit read of CNT: ports 6-7 all-ones");
	wr(&b, 6, 2, 0x1234);
	CHECK(rd(&b, 6, 2) == 0xffff, "ports 6-7 drop writes");
	CHECK(rd(&b, 0xa, 4) == 0xffff0000u + (tmr(&b) >> 16), "a read past the block: all-ones beyond");
	machine__destroy(b.m);
}

/* A checkpoint with the timer armed and the SCI up, restored elsewhere. */
static void test_checkpoint(void)
{
	check_group("checkpoint");
	struct bench a, b;
	bench_init(&a, 0);
	bench_init(&b, 0);
	wr(&a, ACPI_PM_CNT, 2, ACPI_PM1_BM_RLD | (2u << ACPI_PM1_SLP_TYP_SHIFT));
	wr(&a, ACPI_PM_EN, 2, ACPI_PM1_TMR);
	at(&a, T_CARRY1 + 7);
	wr(&a, ACPI_PM_STS, 2, ACPI_PM1_TMR); /* the next change is the wrap */
	struct acpi_pm_state saved;
	memcpy(&saved, device(&a)->state, sizeof(saved));
	b.m->idle_ns = a.m->idle_ns;
	device__restore(device(&b), &saved);
	CHECK(machine__next_deadline(b.m) == T_WRAP, "the deadline comes with the state");
	CHECK(cnt(&b) == cnt(&a) && en(&b) == en(&a) && sts(&b) == sts(&a) && tmr(&b) == tmr(&a),
	      "same registers");
	CHECK(!b.level, "SCI low in both");
	at(&a, T_WRAP);
	at(&b, T_WRAP);
	CHECK(a.level && b.level, "both raise the SCI at the wrap");
	memcpy(&saved, device(&a)->state, sizeof(saved));
	struct bench c;
	bench_init(&c, T_WRAP);
	device__restore(device(&c), &saved);
	CHECK(c.level && c.raises == 1, "restored re-drives a raised SCI");
	wr(&c, ACPI_PM_STS, 2, ACPI_PM1_TMR);
	wr(&a, ACPI_PM_STS, 2, ACPI_PM1_TMR);
	CHECK(!c.level && machine__next_deadline(c.m) == machine__next_deadline(a.m) &&
	      machine__next_deadline(c.m) == T_CARRY3, "and behaves the same after");
	machine__destroy(a.m);
	machine__destroy(b.m);
	machine__destroy(c.m);
}

int main(void)
{
	test_reset();
	test_control();
	test_sleep();
	test_status_enable();
	test_timer_values();
	test_tmr_sts_polled();
	test_tmr_sts_sci();
	test_widths();
	test_checkpoint();
	check_group_end();
	return check_summary();
}
