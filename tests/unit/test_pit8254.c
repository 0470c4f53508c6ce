/*
 * The 8254 and port 0x61 against virtual time: counts in every mode at
 * known CLK pulses, IRQ 0 edges at exact instants (periodic, one-shot,
 * Linux's shutdown), latches and read-back, BCD, access modes, the gate
 * of channel 2 and Linux's TSC-calibration polling of OUT2, times past
 * 2^64 / 1193182 ns, bad input, and a state copy into a second machine.
 *
 * CLK pulse n happens at ceil(n * 10^9 / 1193182) ns; a count written
 * at pulse c is in the counter at pulse c + 1.
 */
#include <string.h>

#include "check.h"
#include "encore/hw/pit8254.h"

#define PIT_HZ 1193182u
#define CH0 0x40
#define CH1 0x41
#define CH2 0x42
#define MODE 0x43
#define PORT61 0x61
#define MAX_EDGES 4096

/* What IRQ 0 did: its level and the times of its rising edges. */
struct irq_log {
	struct encore_machine *m;
	bool level;
	unsigned rises;
	u64 at[MAX_EDGES];
};

static void record_irq(void *opaque, unsigned line, bool level)
{
	struct irq_log *log = opaque;
	if (line != 0)
		return;
	if (level && !log->level && log->rises < MAX_EDGES)
		log->at[log->rises++] = machine__now(log->m);
	else if (level && !log->level)
		log->rises++;
	log->level = level;
}

static struct encore_machine *board(struct irq_log *log)
{
	struct encore_machine *m = machine__create(&arch_x86_64, 1 << 20, 1);
	memset(log, 0, sizeof(*log));
	log->m = m;
	m->irq.set_irq = record_irq;
	m->irq.opaque = log;
	CHECK(pit8254__create(m) != NULL, "created");
	return m;
}

static u64 pulse_ns(u64 n)
{
	return (u64)(((unsigned __int128)n * 1000000000u + PIT_HZ - 1) / PIT_HZ);
}

/* Advance virtual time to `ns`, firing every timer on the way at its
 * own deadline (what the engine does at instruction boundaries). */
static void run_until(struct encore_machine *m, u64 ns)
{
	for (;;) {
		u64 d = machine__next_deadline(m);
		if (d > ns)
			break;
		if (d > m->idle_ns)
			m->idle_ns = d;
		machine__fire_timers(m);
	}
	if (ns > m->idle_ns)
		m->idle_ns = ns;
}

static void at_pulse(struct encore_machine *m, u64 n)
{
	run_until(m, pulse_ns(n));
}

static void outb(struct encore_machine *m, u16 port, u8 v)
{
	bus__access(&m->pio, NULL, port, &v, 1, true);
}

static u8 inb(struct encore_machine *m, u16 port)
{
	u8 v = 0;
	bus__access(&m->pio, NULL, port, &v, 1, false);
	return v;
}

static void write_word(struct encore_machine *m, u16 port, u16 v)
{
	outb(m, port, v & 0xff);
	outb(m, port, v >> 8);
}

static u16 read_word(struct encore_machine *m, u16 port)
{
	u16 lo = inb(m, port);
	return lo | (u16)(inb(m, port) << 8);
}

/* Counter latch command, then the two bytes. */
static u16 latched(struct encore_machine *m, unsigned ch)
{
	outb(m, MODE, (u8)(ch << 6));
	return read_word(m, CH0 + ch);
}

/* Read-back status of one channel. */
static u8 status(struct encore_machine *m, unsigned ch)
{
	outb(m, MODE, (u8)(0xe0 | 2u << ch));
	return inb(m, CH0 + ch);
}

static bool out_of(struct encore_machine *m, unsigned ch)
{
	return status(m, ch) & 0x80;
}

static void test_mode0(void)
{
	check_group("mode0");
	struct irq_log log;
	struct encore_machine *m = board(&log);
	const u64 c0 = 1000;
	at_pulse(m, c0);
	outb(m, MODE, 0x30);
	write_word(m, CH0, 100);
	CHECK(!log.level && !out_of(m, 0), "OUT low after the count");
	at_pulse(m, c0 + 1);
	CHECK(latched(m, 0) == 100, "loaded at the next pulse");
	at_pulse(m, c0 + 51);
	CHECK(latched(m, 0) == 50, "count %u", latched(m, 0));
	CHECK(read_word(m, CH0) == 50, "direct read LSB then MSB");
	at_pulse(m, c0 + 100);
	CHECK(latched(m, 0) == 1 && !log.level, "one to go, line low");
	run_until(m, pulse_ns(c0 + 101) - 1);
	CHECK(log.rises == 0, "no edge a nanosecond early");
	at_pulse(m, c0 + 101);
	CHECK(log.rises == 1 && log.at[0] == pulse_ns(c0 + 101), "OUT rises N+1 clocks after the write");
	CHECK(log.level && latched(m, 0) == 0, "line stays high at terminal count");
	at_pulse(m, c0 + 103);
	CHECK(latched(m, 0) == 0xfffe, "the count wraps on: %#x", latched(m, 0));
	at_pulse(m, c0 + 70000);
	CHECK(log.rises == 1 && log.level, "mode 0 fires once");
	CHECK(machine__next_deadline(m) == VTIMER_OFF, "timer idle after terminal count");
	/* A new count drops OUT at once; the first byte stops counting. */
	outb(m, CH0, 10);
	CHECK(!log.level, "first byte drops OUT");
	u16 frozen = latched(m, 0);
	at_pulse(m, c0 + 70100);
	CHECK(latched(m, 0) == frozen, "first byte stopped the count");
	outb(m, CH0, 0);
	at_pulse(m, c0 + 70100 + 11);
	CHECK(log.rises == 2 && log.at[1] == pulse_ns(c0 + 70111), "rewritten count fires");
	machine__destroy(m);
}

/* Linux's periodic tick (HZ = 1000): one edge per 1193 clocks, exactly. */
static void test_mode2_periodic(void)
{
	check_group("mode2");
	struct irq_log log;
	struct encore_machine *m = board(&log);
	const u64 c0 = 5000, n = 1193, anchor = c0 + 1;
	at_pulse(m, c0);
	outb(m, MODE, 0x34);
	write_word(m, CH0, n);
	at_pulse(m, anchor + 500);
	CHECK(latched(m, 0) == n - 500, "count %u", latched(m, 0));
	at_pulse(m, anchor + n - 1);
	CHECK(latched(m, 0) == 1 && !out_of(m, 0), "OUT low for the clock the count is 1");
	at_pulse(m, anchor + n);
	CHECK(latched(m, 0) == n && out_of(m, 0), "reloaded, OUT high");
	run_until(m, pulse_ns(anchor + 1000 * n) - 1);
	CHECK(log.rises == 999, "999 edges just before 1000 periods: %u", log.rises);
	at_pulse(m, anchor + 1000 * n);
	CHECK(log.rises == 1000, "1000 edges in 1000 periods: %u", log.rises);
	unsigned on_grid = 0;
	for (unsigned k = 0; k < 1000; k++)
		on_grid += log.at[k] == pulse_ns(anchor + (k + 1) * n);
	CHECK(on_grid == 1000, "every edge on the load grid (%u/1000)", on_grid);
	CHECK(!log.level, "the line rests low between pulses");
	/* A late timer does not shift the grid. */
	m->idle_ns = pulse_ns(anchor + 1000 * n + 700);
	machine__fire_timers(m);
	m->idle_ns = pulse_ns(anchor + 1001 * n + 5);
	unsigned before = log.rises;
	machine__fire_timers(m);
	CHECK(log.rises == before + 1 && machine__next_deadline(m) == pulse_ns(anchor + 1002 * n),
	      "next deadline back on the grid");
	/* Linux's clocksource read: latch command then two bytes. */
	outb(m, MODE, 0x00);
	u16 v = read_word(m, CH0);
	CHECK(v == n - 5, "clocksource read %u", v);
	machine__destroy(m);
}

static void test_mode3(void)
{
	check_group("mode3");
	struct irq_log log;
	struct encore_machine *m = board(&log);
	const u64 c0 = 200, anchor = c0 + 1;
	at_pulse(m, c0);
	outb(m, MODE, 0x36);
	write_word(m, CH0, 1000);
	at_pulse(m, anchor + 10);
	CHECK(latched(m, 0) == 980, "decrements by two: %u", latched(m, 0));
	at_pulse(m, anchor + 499);
	CHECK(out_of(m, 0) && latched(m, 0) == 2, "end of the high half");
	at_pulse(m, anchor + 500);
	CHECK(!out_of(m, 0) && latched(m, 0) == 1000, "low half starts full");
	at_pulse(m, anchor + 100 * 1000);
	CHECK(log.rises == 100 && log.at[99] == pulse_ns(anchor + 100000), "100 periods, 100 edges");
	/* Odd count on channel 1: high (N+1)/2 clocks with N-1, N-3 .. 0; low (N-1)/2. */
	const u64 c1 = 300000;
	at_pulse(m, c1);
	outb(m, MODE, 0x76);
	write_word(m, CH1, 5);
	static const u16 ce[] = { 4, 2, 0, 4, 2, 4, 2, 0 };
	static const bool out[] = { 1, 1, 1, 0, 0, 1, 1, 1 };
	unsigned good = 0;
	for (unsigned k = 0; k < 8; k++) {
		at_pulse(m, c1 + 1 + k);
		good += latched(m, 1) == ce[k] && out_of(m, 1) == out[k];
	}
	CHECK(good == 8, "odd-count square wave (%u/8)", good);
	/* Now at the last clock of a high half: a rewrite waits for its end. */
	write_word(m, CH1, 8);
	CHECK(status(m, 1) & 0x40, "null count until the new count is in");
	CHECK(latched(m, 1) == 0 && out_of(m, 1), "old half-cycle runs out");
	at_pulse(m, c1 + 1 + 8);
	CHECK(latched(m, 1) == 8 && !out_of(m, 1), "new count from the low half");
	CHECK(!(status(m, 1) & 0x40), "null count cleared");
	at_pulse(m, c1 + 1 + 12);
	CHECK(latched(m, 1) == 8 && out_of(m, 1), "then the high half");
	machine__destroy(m);
}

/* A count rewritten without a mode write takes over at the end of the
 * period (mode 2) or of the half-cycle (mode 3); IRQ edges follow. */
static void test_periodic_rewrite(void)
{
	check_group("rewrite");
	struct irq_log log;
	struct encore_machine *m = board(&log);
	const u64 a = 1001;
	at_pulse(m, a - 1);
	outb(m, MODE, 0x34);
	write_word(m, CH0, 1000);
	at_pulse(m, a + 300);
	write_word(m, CH0, 500);
	CHECK(latched(m, 0) == 700, "old period goes on");
	at_pulse(m, a + 2000);
	CHECK(log.rises == 3 && log.at[0] == pulse_ns(a + 1000) && log.at[1] == pulse_ns(a + 1500) &&
		      log.at[2] == pulse_ns(a + 2000),
	      "mode 2: edges at 1000, 1500, 2000");
	/* Mode 3, rewritten 100 clocks into the high half of 1000: the new
	 * count 600 starts at 500 with its low half (300), so OUT rises at 800. */
	const u64 b = a + 3001;
	at_pulse(m, b - 1);
	outb(m, MODE, 0x36);
	write_word(m, CH0, 1000);
	at_pulse(m, b + 100);
	unsigned before = log.rises;
	write_word(m, CH0, 600);
	at_pulse(m, b + 800 + 600); /* no port access on the way: the timer alone */
	CHECK(log.rises == before + 2 && log.at[before] == pulse_ns(b + 800) &&
		      log.at[before + 1] == pulse_ns(b + 1400),
	      "mode 3: edges at 800 and 1400");
	/* The same on channel 1, read on the way. */
	at_pulse(m, b - 1 + 10000);
	outb(m, MODE, 0x76);
	write_word(m, CH1, 1000);
	at_pulse(m, b + 10000 + 100);
	write_word(m, CH1, 600);
	at_pulse(m, b + 10000 + 499);
	CHECK(out_of(m, 1) && latched(m, 1) == 2, "high half of the old count");
	at_pulse(m, b + 10000 + 500);
	CHECK(!out_of(m, 1) && latched(m, 1) == 600, "low half of the new count");
	at_pulse(m, b + 10000 + 800);
	CHECK(out_of(m, 1) && latched(m, 1) == 600, "high half of the new count");
	/* An access after the deadline, before the timer ran, sees the edge first. */
	before = log.rises;
	u64 due = machine__next_deadline(m);
	m->idle_ns = due + 5;
	outb(m, MODE, 0x30);
	CHECK(log.rises == before + 1 && log.at[before] == due + 5, "overdue edge delivered");
	machine__destroy(m);
}

/* Linux's one-shot clockevent: mode 4, then counts without mode writes. */
static void test_mode4_oneshot(void)
{
	check_group("mode4");
	struct irq_log log;
	struct encore_machine *m = board(&log);
	const u64 c0 = 10000;
	at_pulse(m, c0);
	outb(m, MODE, 0x38);
	CHECK(out_of(m, 0) && !log.level, "OUT high, line low");
	write_word(m, CH0, 50);
	at_pulse(m, c0 + 51);
	CHECK(!out_of(m, 0) && latched(m, 0) == 0, "one-clock strobe at zero");
	CHECK(log.rises == 0, "no edge yet");
	at_pulse(m, c0 + 52);
	CHECK(out_of(m, 0) && log.rises == 1 && log.at[0] == pulse_ns(c0 + 52), "edge as the strobe ends");
	at_pulse(m, c0 + 200000);
	CHECK(log.rises == 1, "once");
	write_word(m, CH0, 7);
	at_pulse(m, c0 + 200000 + 9);
	CHECK(log.rises == 2 && log.at[1] == pulse_ns(c0 + 200009), "re-armed by a count alone");
	/* Retriggered before expiry: only the new count fires. */
	at_pulse(m, c0 + 300000);
	write_word(m, CH0, 100);
	at_pulse(m, c0 + 300050);
	write_word(m, CH0, 100);
	at_pulse(m, c0 + 301000);
	CHECK(log.rises == 3 && log.at[2] == pulse_ns(c0 + 300050 + 102), "restart on rewrite");
	machine__destroy(m);
}

/* Linux's shutdown: mode 0 and a zero count, i.e. one last edge 65537
 * clocks later (the real chip does the same) and then silence. */
static void test_shutdown(void)
{
	check_group("shutdown");
	struct irq_log log;
	struct encore_machine *m = board(&log);
	at_pulse(m, 100);
	outb(m, MODE, 0x34);
	write_word(m, CH0, 1193);
	at_pulse(m, 101 + 3 * 1193 + 20);
	CHECK(log.rises == 3, "periodic before");
	const u64 c = 101 + 3 * 1193 + 20;
	outb(m, MODE, 0x30);
	CHECK(machine__next_deadline(m) == VTIMER_OFF, "mode write alone stops the edges");
	write_word(m, CH0, 0);
	at_pulse(m, c + 65536);
	CHECK(log.rises == 3, "quiet for 65536 clocks");
	at_pulse(m, c + 65537);
	CHECK(log.rises == 4, "count 0 = 65536: one edge");
	at_pulse(m, c + 10 * 65536);
	CHECK(log.rises == 4 && machine__next_deadline(m) == VTIMER_OFF, "then silence");
	machine__destroy(m);
}

static void test_latch_and_read_back(void)
{
	check_group("latch");
	struct irq_log log;
	struct encore_machine *m = board(&log);
	at_pulse(m, 50);
	outb(m, MODE, 0x34);
	write_word(m, CH0, 40000);
	CHECK(status(m, 0) == (0x80 | 0x40 | 0x34), "status before the load: %#x", status(m, 0));
	at_pulse(m, 51);
	CHECK(status(m, 0) == (0x80 | 0x34), "status after the load: %#x", status(m, 0));
	at_pulse(m, 1051);
	outb(m, MODE, 0x00);
	at_pulse(m, 2051);
	outb(m, MODE, 0x00); /* ignored: the first latch is unread */
	CHECK(read_word(m, CH0) == 39000, "latched value survives time");
	CHECK(read_word(m, CH0) == 38000, "latch released after two bytes");
	/* Split read: latch, LSB, time passes, MSB still from the latch. */
	outb(m, MODE, 0x00);
	u8 lo = inb(m, CH0);
	at_pulse(m, 3051);
	u8 hi = inb(m, CH0);
	CHECK((lo | hi << 8) == 38000, "latched MSB");
	/* Read-back of count and status on all three: status first. */
	outb(m, MODE, 0x76);
	write_word(m, CH1, 300);
	outb(m, MODE, 0xb0);
	outb(m, PORT61, 0x01);
	write_word(m, CH2, 1000);
	at_pulse(m, 3061);
	outb(m, MODE, 0xce);
	u8 s0 = inb(m, CH0);
	u16 v0 = read_word(m, CH0);
	u8 s1 = inb(m, CH1);
	u16 v1 = read_word(m, CH1);
	u8 s2 = inb(m, CH2);
	u16 v2 = read_word(m, CH2);
	CHECK(s0 == (0x80 | 0x34) && v0 == 40000 - 3010, "ch0 %#x %u", s0, v0);
	CHECK(s1 == (0x80 | 0x36) && v1 == 300 - 2 * 9, "ch1 %#x %u", s1, v1);
	CHECK(s2 == 0x30 && v2 == 1000 - 9, "ch2 %#x %u", s2, v2);
	/* Status-only read-back then an ordinary read. */
	outb(m, MODE, 0xe2);
	CHECK(inb(m, CH0) == (0x80 | 0x34), "status alone");
	CHECK(read_word(m, CH0) == 40000 - 3010, "then the live count");
	/* LSB-only and MSB-only access. */
	outb(m, MODE, 0x10);
	outb(m, CH0, 0x20);
	at_pulse(m, 3062 + 4);
	CHECK(inb(m, CH0) == 0x20 - 4 && inb(m, CH0) == 0x20 - 4, "LSB only, no flip-flop");
	outb(m, MODE, 0x20);
	outb(m, CH0, 0x02);
	at_pulse(m, 3067);
	CHECK(inb(m, CH0) == 0x02, "MSB only: 0x200 reads MSB 2");
	at_pulse(m, 3068 + 1);
	CHECK(inb(m, CH0) == 0x01, "0x1ff reads MSB 1");
	CHECK(inb(m, MODE) == 0xff, "the control register cannot be read");
	/* A control word drops an unread latch. */
	outb(m, MODE, 0x34);
	write_word(m, CH0, 5000);
	at_pulse(m, 3080);
	outb(m, MODE, 0x00);
	outb(m, MODE, 0x34);
	write_word(m, CH0, 6000);
	at_pulse(m, 3090);
	CHECK(read_word(m, CH0) == 6000 - 9, "live count, not the old latch");
	machine__destroy(m);
}

static void test_bcd(void)
{
	check_group("bcd");
	struct irq_log log;
	struct encore_machine *m = board(&log);
	at_pulse(m, 10);
	outb(m, MODE, 0x75); /* ch1, word, mode 2, BCD */
	write_word(m, CH1, 0x1000);
	at_pulse(m, 12);
	CHECK(latched(m, 1) == 0x0999, "BCD 1000 - 1 = %#x", latched(m, 1));
	at_pulse(m, 11 + 1000);
	CHECK(latched(m, 1) == 0x1000, "BCD period 1000");
	outb(m, MODE, 0x31); /* ch0, mode 0, BCD */
	write_word(m, CH0, 0);
	const u64 load = 11 + 1000 + 1;
	at_pulse(m, load + 1);
	CHECK(latched(m, 0) == 0x9999, "BCD 0 = 10000: %#x", latched(m, 0));
	at_pulse(m, load + 9999);
	CHECK(log.rises == 0, "not yet");
	at_pulse(m, load + 10000);
	CHECK(log.rises == 1, "10000 clocks after the load");
	/* Binary 0 = 65536 in mode 2. */
	outb(m, MODE, 0x34);
	write_word(m, CH0, 0);
	const u64 anchor = load + 10000 + 1;
	at_pulse(m, anchor + 65536);
	CHECK(log.rises == 2 && log.at[1] == pulse_ns(anchor + 65536), "period 65536");
	machine__destroy(m);
}

/* calibrate_tsc: gate high, speaker off, mode 0 on channel 2, poll OUT2. */
static void test_tsc_calibration(void)
{
	check_group("port61");
	struct irq_log log;
	struct encore_machine *m = board(&log);
	CHECK((inb(m, PORT61) & 0x23) == 0, "gate, speaker and OUT2 low at power-on");
	run_until(m, 15084);
	CHECK(!(inb(m, PORT61) & 0x10), "refresh bit low");
	run_until(m, 15085);
	CHECK(inb(m, PORT61) & 0x10, "refresh toggles every 15.085 us");
	run_until(m, 2 * 15085);
	CHECK(!(inb(m, PORT61) & 0x10), "and back");
	outb(m, PORT61, 0x0e);
	CHECK((inb(m, PORT61) & 0x0f) == 0x0e, "bits 3-0 read back");
	const u64 c0 = 100000;
	const u16 latch = 59659; /* 50 ms */
	at_pulse(m, c0);
	outb(m, PORT61, (u8)((inb(m, PORT61) & ~0x02) | 0x01));
	outb(m, MODE, 0xb0);
	write_word(m, CH2, latch);
	u64 t = m->idle_ns, seen = 0;
	unsigned polls = 0;
	while (!seen && polls < 1000000) {
		t += 997; /* a poll loop iteration */
		run_until(m, t);
		polls++;
		if (inb(m, PORT61) & 0x20)
			seen = t;
	}
	u64 tc = pulse_ns(c0 + 1 + latch);
	CHECK(seen >= tc && seen < tc + 997, "OUT2 seen at %llu, terminal count at %llu",
	      (unsigned long long)seen, (unsigned long long)tc);
	/* The exact instant, on a fresh count. */
	at_pulse(m, c0 + 200000);
	outb(m, MODE, 0xb0);
	write_word(m, CH2, 1000);
	run_until(m, pulse_ns(c0 + 200000 + 1001) - 1);
	CHECK(!(inb(m, PORT61) & 0x20), "OUT2 low a nanosecond early");
	run_until(m, pulse_ns(c0 + 200000 + 1001));
	CHECK(inb(m, PORT61) & 0x20, "OUT2 high exactly at terminal count");
	/* quick_pit_calibrate: 0xffff, LSB/MSB pairs, the MSB steps every 256 clocks. */
	const u64 c1 = c0 + 300000;
	at_pulse(m, c1);
	outb(m, MODE, 0xb0);
	write_word(m, CH2, 0xffff);
	unsigned good = 0;
	for (unsigned k = 1; k < 50; k++) {
		at_pulse(m, c1 + 1 + 256 * k);
		inb(m, CH2);
		good += inb(m, CH2) == 0xff - k;
	}
	CHECK(good == 49, "MSB steps (%u/49)", good);
	/* The gate pauses mode 0 and resumes where it stopped. */
	const u64 c2 = c1 + 100000;
	at_pulse(m, c2);
	write_word(m, CH2, 500);
	at_pulse(m, c2 + 101);
	outb(m, PORT61, 0x00);
	u16 held = latched(m, 2);
	at_pulse(m, c2 + 5000);
	CHECK(held == 400 && latched(m, 2) == 400 && !(inb(m, PORT61) & 0x20), "held at 400");
	outb(m, PORT61, 0x01);
	at_pulse(m, c2 + 5000 + 399);
	CHECK(!(inb(m, PORT61) & 0x20), "resumed: one to go");
	at_pulse(m, c2 + 5000 + 400);
	CHECK(inb(m, PORT61) & 0x20, "resumed: terminal count");
	/* Mode 3 on channel 2 (the speaker): a low gate holds OUT high and
	 * the count; a rising gate reloads the full count. */
	const u64 c3 = c2 + 10000;
	at_pulse(m, c3);
	outb(m, MODE, 0xb6);
	write_word(m, CH2, 100);
	at_pulse(m, c3 + 1 + 60);
	CHECK(!(inb(m, PORT61) & 0x20) && latched(m, 2) == 80, "low half");
	outb(m, PORT61, 0x00);
	at_pulse(m, c3 + 1 + 500);
	CHECK((inb(m, PORT61) & 0x20) && latched(m, 2) == 80, "gate low: OUT high, count held");
	outb(m, PORT61, 0x01);
	at_pulse(m, c3 + 1 + 501);
	CHECK((inb(m, PORT61) & 0x20) && latched(m, 2) == 100, "gate high: reloaded");
	at_pulse(m, c3 + 1 + 551);
	CHECK(!(inb(m, PORT61) & 0x20), "then the square wave again");
	CHECK(log.rises == 0, "channel 2 never touches IRQ 0");
	machine__destroy(m);
}

/* Modes 1 and 5 start on a gate rising edge (only channel 2 has one). */
static void test_gate_triggered(void)
{
	check_group("modes1-5");
	struct irq_log log;
	struct encore_machine *m = board(&log);
	at_pulse(m, 1000);
	outb(m, MODE, 0xb2); /* ch2 mode 1 */
	write_word(m, CH2, 10);
	at_pulse(m, 2000);
	CHECK((inb(m, PORT61) & 0x20) && (status(m, 2) & 0x40), "waiting for a trigger, null count");
	outb(m, PORT61, 0x01);
	at_pulse(m, 2001);
	CHECK(!(inb(m, PORT61) & 0x20) && latched(m, 2) == 10, "one-shot starts low");
	at_pulse(m, 2010);
	CHECK(!(inb(m, PORT61) & 0x20) && latched(m, 2) == 1, "still low");
	at_pulse(m, 2011);
	CHECK(inb(m, PORT61) & 0x20, "high at terminal count");
	outb(m, PORT61, 0x00);
	at_pulse(m, 2020);
	outb(m, PORT61, 0x01);
	at_pulse(m, 2025);
	outb(m, PORT61, 0x00);
	outb(m, PORT61, 0x01); /* retrigger restarts the full count */
	at_pulse(m, 2035);
	CHECK(!(inb(m, PORT61) & 0x20), "retriggered: still low");
	at_pulse(m, 2036);
	CHECK(inb(m, PORT61) & 0x20, "retriggered: ends 10 clocks after");
	outb(m, MODE, 0xba); /* ch2 mode 5 */
	write_word(m, CH2, 10);
	outb(m, PORT61, 0x00);
	at_pulse(m, 3000);
	outb(m, PORT61, 0x01);
	at_pulse(m, 3010);
	CHECK(inb(m, PORT61) & 0x20, "mode 5 high while counting");
	at_pulse(m, 3011);
	CHECK(!(inb(m, PORT61) & 0x20), "strobe at zero");
	at_pulse(m, 3012);
	CHECK(inb(m, PORT61) & 0x20, "one clock long");
	/* Channel 0 in mode 1 has no gate edge: nothing happens. */
	outb(m, MODE, 0x32);
	write_word(m, CH0, 10);
	at_pulse(m, 10000);
	CHECK(log.rises == 0 && machine__next_deadline(m) == VTIMER_OFF, "ch0 mode 1 idle");
	machine__destroy(m);
}

/* Beyond 2^64 / 1193182 ns the products need 128 bits. */
static void test_far_future(void)
{
	check_group("far-future");
	struct irq_log log;
	struct encore_machine *m = board(&log);
	const u64 c0 = 1193182ull * 3000000000ull; /* ~95 years */
	at_pulse(m, c0);
	outb(m, MODE, 0x34);
	write_word(m, CH0, 1193);
	at_pulse(m, c0 + 1 + 10 * 1193);
	CHECK(log.rises == 10 && log.at[9] == pulse_ns(c0 + 1 + 10 * 1193), "exact edges far out");
	at_pulse(m, c0 + 1 + 10 * 1193 + 93);
	CHECK(latched(m, 0) == 1100, "count far out: %u", latched(m, 0));
	machine__destroy(m);
}

static void test_garbage(void)
{
	check_group("garbage");
	struct irq_log log;
	struct encore_machine *m = board(&log);
	struct rng r;
	rng_seed(&r, check_seed(0x8254));
	static const u16 ports[] = { CH0, CH1, CH2, MODE, PORT61 };
	for (int i = 0; i < 300000; i++) {
		u8 buf[4];
		rng_fill(&r, buf, sizeof(buf));
		unsigned len = 1u << rng_below(&r, 3);
		u16 port = ports[rng_below(&r, 5)];
		if (rng_chance(&r, 1, 3))
			run_until(m, m->idle_ns + rng_below(&r, 100000));
		bus__access(&m->pio, NULL, port, buf, len, rng_chance(&r, 1, 2));
	}
	run_until(m, m->idle_ns + 100000000);
	u64 c = m->idle_ns * (unsigned __int128)PIT_HZ / 1000000000u;
	outb(m, MODE, 0x34);
	write_word(m, CH0, 2000);
	unsigned before = log.rises;
	at_pulse(m, c + 1 + 5 * 2000);
	CHECK(log.rises == before + 5, "sane after garbage: %u edges", log.rises - before);
	machine__destroy(m);
}

static void test_state_copy(void)
{
	check_group("state-copy");
	struct irq_log la, lb;
	struct encore_machine *a = board(&la);
	struct encore_machine *b = board(&lb);
	at_pulse(a, 777);
	outb(a, MODE, 0x34);
	write_word(a, CH0, 1193);
	outb(a, PORT61, 0x01);
	outb(a, MODE, 0xb0);
	write_word(a, CH2, 30000);
	outb(a, MODE, 0x76);
	write_word(a, CH1, 5000);
	at_pulse(a, 777 + 5 * 1193 + 600);
	outb(a, MODE, 0x40); /* an unread latch is state too */
	struct device *da = machine__find_device(a, "pit8254"), *db = machine__find_device(b, "pit8254");
	CHECK(da && db && da->state_size == sizeof(struct pit8254_state), "device registered");
	if (!da || !db) {
		machine__destroy(a);
		machine__destroy(b);
		return;
	}
	b->idle_ns = a->idle_ns;
	device__restore(db, da->state);
	CHECK(machine__next_deadline(b) == machine__next_deadline(a), "timer re-armed from the state");
	CHECK(inb(a, CH1) == inb(b, CH1) && inb(a, CH1) == inb(b, CH1), "latched bytes copied");
	unsigned ra = la.rises, rb = lb.rises, same = 0;
	for (unsigned k = 1; k <= 20; k++) {
		u64 n = 777 + 5 * 1193 + 600 + k * 997;
		at_pulse(a, n);
		at_pulse(b, n);
		same += latched(a, 0) == latched(b, 0) && latched(a, 2) == latched(b, 2) &&
			inb(a, PORT61) == inb(b, PORT61);
	}
	CHECK(same == 20, "same counts after the copy (%u/20)", same);
	unsigned edges = la.rises - ra;
	bool times = edges == lb.rises - rb && edges > 0;
	for (unsigned k = 0; times && k < edges; k++)
		times = la.at[ra + k] == lb.at[rb + k];
	CHECK(times, "same IRQ 0 edges at the same times (%u)", edges);
	/* Mode 0 past terminal count holds IRQ 0 high: restored re-drives it. */
	outb(a, MODE, 0x30);
	write_word(a, CH0, 10);
	run_until(a, a->idle_ns + 1000000);
	struct irq_log lc;
	struct encore_machine *c = board(&lc);
	struct device *dc = machine__find_device(c, "pit8254");
	c->idle_ns = a->idle_ns;
	device__restore(dc, da->state);
	CHECK(la.level && lc.level, "IRQ 0 high again after the restore");
	machine__destroy(a);
	machine__destroy(b);
	machine__destroy(c);
}

int main(void)
{
	test_mode0();
	test_mode2_periodic();
	test_mode3();
	test_periodic_rewrite();
	test_mode4_oneshot();
	test_shutdown();
	test_latch_and_read_back();
	test_bcd();
	test_tsc_calibration();
	test_gate_triggered();
	test_far_future();
	test_garbage();
	test_state_copy();
	check_group_end();
	return check_summary();
}
