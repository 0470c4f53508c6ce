/*
 * The MC146818 model: the time at a known epoch in BCD, binary and
 * 12-hour forms, the UIP window, periodic / update-ended / alarm
 * interrupts to the ns, register C, setting the clock the way Linux
 * does, timers left off while nothing is enabled, the BIOS bytes, and a
 * checkpoint copied into a second machine.
 */
#include <string.h>

#include "check.h"
#include "encore/hw/rtc_cmos.h"

#define EPOCH 1709251198ll /* 2024-02-29 23:59:58 UTC, a Thursday */
#define SEC 1000000000ull
enum { R_SEC = 0, R_SEC_AL, R_MIN, R_MIN_AL, R_HOUR, R_HOUR_AL, R_WDAY, R_MDAY, R_MON, R_YEAR,
       R_A, R_B, R_C, R_D, R_CENTURY = 0x32 };

struct bench {
	struct encore_machine *m;
	bool level;
	unsigned raises;
};

static void record_irq(void *opaque, unsigned line, bool level)
{
	struct bench *b = opaque;
	if (line != 8)
		return;
	b->level = level;
	b->raises += level;
}

static void bench_init(struct bench *b, i64 epoch)
{
	memset(b, 0, sizeof(*b));
	b->m = machine__create(&arch_x86_64, 64 << 20, 1);
	b->m->irq = (struct irq_router){ record_irq, b };
	rtc_cmos__create(b->m, epoch);
}

static u8 rd(struct bench *b, u8 index)
{
	u8 v;
	bus__access(&b->m->pio, NULL, 0x70, &index, 1, true);
	bus__access(&b->m->pio, NULL, 0x71, &v, 1, false);
	return v;
}

static void wr(struct bench *b, u8 index, u8 v)
{
	bus__access(&b->m->pio, NULL, 0x70, &index, 1, true);
	bus__access(&b->m->pio, NULL, 0x71, &v, 1, true);
}

static void at(struct bench *b, u64 t)
{
	b->m->idle_ns = t;
	machine__fire_timers(b->m);
}

/* Seconds, minutes, hours, weekday, day, month, year, century. */
static bool time_is(struct bench *b, const u8 want[8])
{
	static const u8 regs[8] = { R_SEC, R_MIN, R_HOUR, R_WDAY, R_MDAY, R_MON, R_YEAR, R_CENTURY };
	bool ok = true;
	for (int k = 0; k < 8; k++) {
		u8 v = rd(b, regs[k]);
		if (v != want[k]) {
			printf("  register %#x: %#x, want %#x\n", regs[k], v, want[k]);
			ok = false;
		}
	}
	return ok;
}

static void test_time_bcd(void)
{
	check_group("bcd");
	struct bench b;
	bench_init(&b, EPOCH);
	CHECK(rd(&b, R_B) == 0x02 && rd(&b, R_A) == 0x26 && rd(&b, R_D) == 0x80,
	      "BIOS state: 24 h BCD, 1024 Hz, VRT");
	CHECK(time_is(&b, (const u8[]){ 0x58, 0x59, 0x23, 5, 0x29, 0x02, 0x24, 0x20 }),
	      "2024-02-29 23:59:58 Thursday");
	at(&b, 2 * SEC - 1);
	CHECK(rd(&b, R_SEC) == 0x59, "one ns before the second boundary");
	at(&b, 2 * SEC);
	CHECK(time_is(&b, (const u8[]){ 0x00, 0x00, 0x00, 6, 0x01, 0x03, 0x24, 0x20 }),
	      "leap day rolls into Friday 2024-03-01");
	CHECK(machine__next_deadline(b.m) == VTIMER_OFF, "reading the clock arms no timer");
	machine__destroy(b.m);

	bench_init(&b, 4102444799ll); /* 2099-12-31 23:59:59 */
	at(&b, SEC);
	CHECK(time_is(&b, (const u8[]){ 0x00, 0x00, 0x00, 6, 0x01, 0x01, 0x00, 0x21 }),
	      "century byte follows the year into 2100");
	machine__destroy(b.m);
}

static void test_time_binary_12h(void)
{
	check_group("binary");
	struct bench b;
	bench_init(&b, EPOCH);
	wr(&b, R_B, 0x06);
	CHECK(time_is(&b, (const u8[]){ 58, 59, 23, 5, 29, 2, 24, 20 }), "binary 24 h");
	wr(&b, R_B, 0x04);
	CHECK(rd(&b, R_HOUR) == (0x80 | 11), "binary 12 h: 11 PM");
	wr(&b, R_B, 0x00);
	CHECK(rd(&b, R_HOUR) == 0x91, "BCD 12 h: 11 PM");
	at(&b, 2 * SEC);
	CHECK(rd(&b, R_HOUR) == 0x12, "midnight is 12 AM");
	at(&b, 2 * SEC + 12 * 3600 * SEC);
	CHECK(rd(&b, R_HOUR) == 0x92, "noon is 12 PM");
	machine__destroy(b.m);
}

/* UIP: the last 8 divider cycles (244.14 us) before each update. */
static void test_uip(void)
{
	check_group("uip");
	struct bench b;
	bench_init(&b, EPOCH);
	at(&b, SEC - 244141);
	CHECK(!(rd(&b, R_A) & 0x80), "clear 244.141 us before");
	at(&b, SEC - 244140);
	CHECK(rd(&b, R_A) & 0x80, "set 244.140 us before");
	CHECK(rd(&b, R_SEC) == 0x58, "old second during UIP");
	at(&b, SEC - 1);
	CHECK(rd(&b, R_A) & 0x80, "set 1 ns before");
	at(&b, SEC);
	CHECK(!(rd(&b, R_A) & 0x80) && rd(&b, R_SEC) == 0x59, "clear at the update, new second");
	/* mc146818_avoid_UIP's loop: seconds, A without UIP, seconds again. */
	at(&b, SEC + SEC / 2);
	u8 s1 = rd(&b, R_SEC);
	bool uip = rd(&b, R_A) & 0x80;
	CHECK(!uip && s1 == rd(&b, R_SEC), "a stable read mid-second");
	wr(&b, R_B, 0x82);
	at(&b, 2 * SEC - 1000);
	CHECK(!(rd(&b, R_A) & 0x80), "SET clears UIP");
	machine__destroy(b.m);
}

static void test_periodic(void)
{
	check_group("periodic");
	struct bench b;
	bench_init(&b, EPOCH);
	at(&b, 1000);
	CHECK(rd(&b, R_C) == 0, "nothing yet");
	CHECK(machine__next_deadline(b.m) == VTIMER_OFF, "PIE off: no timer");
	at(&b, 5 * 1000 * 1000);
	CHECK(rd(&b, R_C) == 0x40, "PF set without PIE, and no IRQF");
	CHECK(b.raises == 0, "no IRQ without PIE");
	wr(&b, R_B, 0x42);
	/* 1024 Hz ticks every 32 divider cycles; 5 ms is past the 5th
	 * (160 cycles), so the next is the 6th at 192 cycles = 5.859375 ms. */
	at(&b, 5859374);
	CHECK(!b.level, "before the tick");
	at(&b, 5859375);
	CHECK(b.level, "IRQ 8 at the tick");
	CHECK(rd(&b, R_C) == 0xc0 && !b.level, "C = IRQF|PF, reading lowers the line");
	CHECK(rd(&b, R_C) == 0, "and clears it");
	at(&b, 6835937);
	CHECK(!b.level, "next tick not yet");
	at(&b, 6835938);
	CHECK(b.level, "next tick 976.5625 us later (rounded up to the ns)");
	rd(&b, R_C);

	static const struct { u8 rate; u64 first; } rates[] = {
		{ 1, 3906250 }, { 2, 7812500 }, { 3, 122071 }, { 15, 500000000 },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(rates); k++) {
		struct bench c;
		bench_init(&c, EPOCH);
		wr(&c, R_A, 0x20 | rates[k].rate);
		wr(&c, R_B, 0x42);
		at(&c, rates[k].first - 1);
		CHECK(!c.level, "rate %u: not before %llu ns", rates[k].rate, (unsigned long long)rates[k].first);
		at(&c, rates[k].first);
		CHECK(c.level, "rate %u: first tick at %llu ns", rates[k].rate, (unsigned long long)rates[k].first);
		machine__destroy(c.m);
	}
	wr(&b, R_A, 0x20);
	rd(&b, R_C);
	CHECK(machine__next_deadline(b.m) == VTIMER_OFF, "rate 0: no timer");
	machine__destroy(b.m);
}

static void test_update_ended(void)
{
	check_group("update");
	struct bench b;
	bench_init(&b, EPOCH);
	wr(&b, R_A, 0x20);      /* no periodic flag in the way */
	wr(&b, R_SEC_AL, 0x45); /* nor a midnight alarm flag */
	at(&b, SEC / 4);
	wr(&b, R_B, 0x12);
	at(&b, SEC - 1);
	CHECK(!b.level, "not before the boundary");
	at(&b, SEC);
	CHECK(b.level && rd(&b, R_SEC) == 0x59, "IRQ with the new second");
	CHECK(rd(&b, R_C) == 0x90 && !b.level, "C = IRQF|UF");
	at(&b, 2 * SEC);
	CHECK(b.level && b.raises == 2, "every second");
	/* With UF left unread, the timer stays off: nothing new to say. */
	CHECK(machine__next_deadline(b.m) == VTIMER_OFF, "flag pending: timer idle");
	at(&b, 5 * SEC);
	CHECK(rd(&b, R_C) == 0x90, "still one flag after skipped seconds");
	CHECK(machine__next_deadline(b.m) == 6 * SEC, "re-armed for the next second");
	wr(&b, R_B, 0x92);
	CHECK(rd(&b, R_B) == 0x82, "SET clears UIE");
	CHECK(machine__next_deadline(b.m) == VTIMER_OFF, "and the timer");
	machine__destroy(b.m);
}

static void test_alarm(void)
{
	check_group("alarm");
	struct bench b;
	bench_init(&b, EPOCH);
	wr(&b, R_A, 0x20);
	wr(&b, R_HOUR_AL, 0x00);
	wr(&b, R_MIN_AL, 0x00);
	wr(&b, R_SEC_AL, 0x03); /* 00:00:03, 5 s after boot */
	wr(&b, R_B, 0x22);
	CHECK(machine__next_deadline(b.m) == 5 * SEC, "armed for the match, not every second");
	at(&b, 5 * SEC - 1);
	CHECK(!b.level, "not before");
	at(&b, 5 * SEC);
	CHECK(b.level, "IRQ 8 at 00:00:03");
	u8 c = rd(&b, R_C);
	CHECK((c & 0xa0) == 0xa0 && !b.level, "C has IRQF|AF: %#x", c);
	CHECK(machine__next_deadline(b.m) == (5 + 86400) * SEC, "next match a day later");

	/* Don't-care hours and minutes: every minute at :30. */
	wr(&b, R_HOUR_AL, 0xc0);
	wr(&b, R_MIN_AL, 0xff);
	wr(&b, R_SEC_AL, 0x30);
	CHECK(machine__next_deadline(b.m) == 32 * SEC, "next :30 is at 00:00:30");
	at(&b, 32 * SEC);
	CHECK(b.level, "don't-care alarm fired");
	rd(&b, R_C);
	CHECK(machine__next_deadline(b.m) == 92 * SEC, "and again a minute later");

	/* An alarm that can never match (0x61 seconds) arms nothing. */
	wr(&b, R_SEC_AL, 0x61);
	CHECK(machine__next_deadline(b.m) == VTIMER_OFF, "impossible alarm: no timer");

	/* Polled, with AIE off: AF still shows in C afterwards. */
	wr(&b, R_B, 0x02);
	wr(&b, R_SEC_AL, 0xc0);
	at(&b, 100 * SEC);
	c = rd(&b, R_C);
	CHECK(c == 0x30, "AF and UF without enables, no IRQF: %#x", c);
	machine__destroy(b.m);
}

/* Linux's mc146818_set_time: SET, divider reset, registers, restore. */
static void test_set_time(void)
{
	check_group("set");
	struct bench b;
	bench_init(&b, EPOCH);
	at(&b, 3 * SEC + 250000000);
	wr(&b, R_B, 0x82);
	wr(&b, R_A, 0x70 | 0x06);
	static const u8 regs[] = { R_YEAR, R_MON, R_MDAY, R_HOUR, R_MIN, R_SEC, R_WDAY, R_CENTURY };
	static const u8 vals[] = { 0x31, 0x07, 0x04, 0x09, 0x08, 0x07, 0x06, 0x20 };
	for (unsigned k = 0; k < ARRAY_SIZE(regs); k++)
		wr(&b, regs[k], vals[k]);
	at(&b, 10 * SEC);
	CHECK(rd(&b, R_SEC) == 0x07 && !(rd(&b, R_A) & 0x80), "stopped clock holds the time");
	wr(&b, R_B, 0x02);
	wr(&b, R_A, 0x26);
	u64 t = 10 * SEC;
	CHECK(time_is(&b, (const u8[]){ 0x07, 0x08, 0x09, 6, 0x04, 0x07, 0x31, 0x20 }),
	      "2031-07-04 09:08:07 Friday");
	at(&b, t + SEC / 2 - 1);
	CHECK(rd(&b, R_SEC) == 0x07, "restarted divider: no update for 500 ms");
	at(&b, t + SEC / 2);
	CHECK(rd(&b, R_SEC) == 0x08, "first update at 500 ms");
	at(&b, t + SEC / 2 + SEC);
	CHECK(rd(&b, R_SEC) == 0x09 && rd(&b, R_WDAY) == 6, "counting on, weekday kept");

	/* SET alone keeps the divider's phase. */
	at(&b, t + 2 * SEC);
	wr(&b, R_B, 0x82);
	wr(&b, R_MIN, 0x30);
	wr(&b, R_B, 0x02);
	CHECK(rd(&b, R_MIN) == 0x30 && rd(&b, R_SEC) == 0x09, "minute set, second held");
	at(&b, t + 2 * SEC + SEC / 2 - 1);
	CHECK(rd(&b, R_SEC) == 0x09, "phase kept: not early");
	at(&b, t + 2 * SEC + SEC / 2);
	CHECK(rd(&b, R_SEC) == 0x10, "phase kept: update on the old boundary");

	/* A time register written while running sets the clock too. */
	wr(&b, R_HOUR, 0x21);
	at(&b, t + 4 * SEC);
	CHECK(rd(&b, R_HOUR) == 0x21 && rd(&b, R_SEC) == 0x11, "hour written on the fly");

	/* The weekday counter is the guest's to set, right or wrong. */
	wr(&b, R_WDAY, 0x02);
	at(&b, t + 4 * SEC + 3 * 3600 * SEC);
	CHECK(rd(&b, R_WDAY) == 0x03 && rd(&b, R_MDAY) == 0x05, "a wrong weekday advances at midnight");
	machine__destroy(b.m);
}

/* The index port, NMI mask bit, plain CMOS RAM and the BIOS bytes. */
static void test_cmos_ram(void)
{
	check_group("cmos");
	struct bench b;
	bench_init(&b, EPOCH);
	wr(&b, 0x80 | 0x40, 0x5a);
	CHECK(rd(&b, 0x40) == 0x5a, "RAM byte, NMI mask bit ignored for the index");
	struct rtc_cmos_state *s = b.m->devices[b.m->ndevices - 1]->state;
	CHECK(!s->nmi_masked, "last index write cleared the NMI mask");
	wr(&b, R_C, 0xff);
	wr(&b, R_D, 0x00);
	CHECK(rd(&b, R_C) == 0 && rd(&b, R_D) == 0x80, "C and D are read-only");
	CHECK((rd(&b, 0x15) | rd(&b, 0x16) << 8) == 640, "640 KiB base memory");
	CHECK((rd(&b, 0x17) | rd(&b, 0x18) << 8) == 63 * 1024, "63 MiB extended memory");
	CHECK((rd(&b, 0x34) | rd(&b, 0x35) << 8) == (48 << 4), "64 KiB blocks above 16 MiB");
	unsigned sum = 0;
	for (u8 k = 0x10; k <= 0x2d; k++)
		sum += rd(&b, k);
	CHECK((unsigned)(rd(&b, 0x2e) << 8 | rd(&b, 0x2f)) == sum, "checksum");
	u8 v;
	bus__access(&b.m->pio, NULL, 0x70, &v, 1, false);
	CHECK(v == 0xff, "index port reads as floating");
	machine__destroy(b.m);
}

/* A checkpoint with the periodic timer armed and set time copied over. */
static void test_checkpoint(void)
{
	check_group("checkpoint");
	struct bench a, b;
	bench_init(&a, EPOCH);
	bench_init(&b, 0);
	at(&a, SEC / 3);
	wr(&a, R_B, 0x82);
	wr(&a, R_HOUR, 0x05);
	wr(&a, R_B, 0x52); /* PIE, UIE */
	rd(&a, R_C);
	struct device *da = a.m->devices[a.m->ndevices - 1];
	struct device *db = b.m->devices[b.m->ndevices - 1];
	CHECK(da->state_size == sizeof(struct rtc_cmos_state), "state is the plain struct");
	b.m->idle_ns = a.m->idle_ns;
	device__restore(db, da->state);
	CHECK(machine__next_deadline(b.m) == machine__next_deadline(a.m), "same next deadline");
	CHECK(rd(&a, R_HOUR) == rd(&b, R_HOUR) && rd(&b, R_HOUR) == 0x05, "same set time");
	a.raises = b.raises = 0;
	for (u64 t = SEC / 3; t < 2 * SEC; t += 100000) {
		at(&a, t);
		at(&b, t);
		if (a.level != b.level || a.raises != b.raises)
			break;
		if (a.level) {
			rd(&a, R_C);
			rd(&b, R_C);
		}
	}
	CHECK(a.raises == b.raises && a.raises > 1000, "same interrupts: %u and %u", a.raises, b.raises);
	CHECK(rd(&a, R_SEC) == rd(&b, R_SEC), "same seconds");
	at(&a, 3 * SEC);
	CHECK(a.level, "the original has IRQ 8 up");
	device__restore(db, da->state);
	CHECK(b.level, "restored re-drives a raised line");
	machine__destroy(a.m);
	machine__destroy(b.m);
}

int main(void)
{
	test_time_bcd();
	test_time_binary_12h();
	test_uip();
	test_periodic();
	test_update_ended();
	test_alarm();
	test_set_time();
	test_cmos_ram();
	test_checkpoint();
	check_group_end();
	return check_summary();
}
