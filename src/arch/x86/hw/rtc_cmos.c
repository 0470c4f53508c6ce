/*
 * MC146818 RTC and CMOS RAM (ports 0x70/0x71, IRQ 8).
 *
 * Time: wall-clock ns = virtual ns + wall_offset_ns.  The offset starts
 * at the boot epoch and changes only when the guest sets the clock; its
 * sub-second part is the phase of the 32.768 kHz divider chain, which
 * places the once-a-second update and the periodic interrupts.  While
 * the clock runs the time registers are derived from it on every read;
 * while it is stopped (SET in register B, or the divider not at 010 in
 * register A) they are plain bytes the guest may rewrite, and restarting
 * turns them back into an offset.  As on the chip, clearing SET keeps
 * the divider's phase, and restarting the divider puts the next update
 * half a second later.
 *
 * Flags: PF, AF and UF are accounted lazily, for the virtual-time span
 * since the last look, whenever the guest touches the RTC or a timer
 * fires.  Timers are armed only for a source whose interrupt is enabled
 * and whose flag is still clear, so a guest that ignores the RTC costs
 * nothing, and one that polls register C still sees the flags.
 *
 * UIP reads 1 during the last 8 divider cycles (244 us) before each
 * update; the time registers change at the second boundary, where UF is
 * set.  Daylight-saving (DSE) and the square-wave output are not
 * modelled.  The century byte (0x32) follows the year like the time
 * registers, in the same BCD/binary mode.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encore/hw/rtc_cmos.h"
#include "encore/pc.h"

#define RTC_INDEX_PORT 0x70
#define RTC_DATA_PORT 0x71
#define RTC_IRQ 8
#define NS_PER_SEC 1000000000ll
#define DIVIDER_HZ 32768
#define UIP_CYCLES 8
#define NO_ALARM INT64_MAX

enum {
	REG_SEC = 0x00, REG_SEC_ALARM, REG_MIN, REG_MIN_ALARM, REG_HOUR, REG_HOUR_ALARM,
	REG_WEEKDAY, REG_MDAY, REG_MONTH, REG_YEAR, REG_A, REG_B, REG_C, REG_D,
	REG_CENTURY = 0x32,
};

#define A_UIP 0x80
#define A_DIVIDER 0x70
#define A_DIVIDER_RUN 0x20 /* 32.768 kHz time base, counting */
#define A_RATE 0x0f
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_BINARY 0x04
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40 /* each flag sits at its enable bit's position in B */
#define C_AF 0x20
#define C_UF 0x10
#define D_VRT 0x80
#define ALARM_DONT_CARE 0xc0

struct rtc_cmos {
	struct rtc_cmos_state s;
	struct encore_machine *m;
	struct vtimer periodic_timer, update_timer;
};

/* ---- arithmetic ---- */

static i64 floor_div(i64 a, i64 b)
{
	i64 q = a / b;
	return (a % b < 0) ? q - 1 : q;
}

static i64 floor_mod(i64 a, i64 b)
{
	return a - floor_div(a, b) * b;
}

/* Divider cycles since the epoch at wall time `wall` ns. */
static i64 divider_cycles(i64 wall)
{
	i64 sec = floor_div(wall, NS_PER_SEC);
	return sec * DIVIDER_HZ + (wall - sec * NS_PER_SEC) * DIVIDER_HZ / NS_PER_SEC;
}

/* The first wall-clock ns at which divider_cycles() reaches `cycle`. */
static i64 cycle_wall_ns(i64 cycle)
{
	i64 sec = floor_div(cycle, DIVIDER_HZ);
	i64 sub = cycle - sec * DIVIDER_HZ;
	return sec * NS_PER_SEC + (sub * NS_PER_SEC + DIVIDER_HZ - 1) / DIVIDER_HZ;
}

/* ---- clock state ---- */

static u8 *reg(struct rtc_cmos *r, unsigned index)
{
	return &r->s.cmos[index];
}

static bool divider_running(struct rtc_cmos *r)
{
	return (*reg(r, REG_A) & A_DIVIDER) == A_DIVIDER_RUN;
}

/* The time advances: the divider counts and SET does not hold it. */
static bool clock_running(struct rtc_cmos *r)
{
	return divider_running(r) && !(*reg(r, REG_B) & B_SET);
}

static i64 wall_ns(struct rtc_cmos *r, u64 now)
{
	return (i64)now + r->s.wall_offset_ns;
}

static i64 wall_second(struct rtc_cmos *r, u64 now)
{
	return floor_div(wall_ns(r, now), NS_PER_SEC);
}

static u64 virtual_ns(struct rtc_cmos *r, i64 wall)
{
	return (u64)(wall - r->s.wall_offset_ns);
}

static bool update_in_progress(struct rtc_cmos *r, u64 now)
{
	if (!clock_running(r))
		return false;
	i64 cycles = divider_cycles(wall_ns(r, now));
	return floor_mod(cycles, DIVIDER_HZ) >= DIVIDER_HZ - UIP_CYCLES;
}

/* ---- register encoding: BCD or binary, 12- or 24-hour ---- */

static u8 encode(struct rtc_cmos *r, unsigned v)
{
	return (*reg(r, REG_B) & B_BINARY) ? v : (v / 10) << 4 | v % 10;
}

static unsigned decode(struct rtc_cmos *r, u8 v)
{
	return (*reg(r, REG_B) & B_BINARY) ? v : (v >> 4) * 10 + (v & 0x0f);
}

static u8 encode_hour(struct rtc_cmos *r, unsigned hour)
{
	if (*reg(r, REG_B) & B_24H)
		return encode(r, hour);
	unsigned h12 = hour % 12 ? hour % 12 : 12;
	return encode(r, h12) | (hour >= 12 ? 0x80 : 0);
}

static unsigned decode_hour(struct rtc_cmos *r, u8 v)
{
	if (*reg(r, REG_B) & B_24H)
		return decode(r, v);
	return decode(r, v & 0x7f) % 12 + (v & 0x80 ? 12 : 0);
}

/* Write the time `sec` (Unix seconds) into the time registers. */
static void store_time(struct rtc_cmos *r, i64 sec)
{
	time_t t = sec;
	struct tm tm;
	gmtime_r(&t, &tm);
	unsigned year = tm.tm_year + 1900;
	*reg(r, REG_SEC) = encode(r, tm.tm_sec);
	*reg(r, REG_MIN) = encode(r, tm.tm_min);
	*reg(r, REG_HOUR) = encode_hour(r, tm.tm_hour);
	*reg(r, REG_WEEKDAY) = encode(r, (tm.tm_wday + r->s.weekday_offset) % 7 + 1);
	*reg(r, REG_MDAY) = encode(r, tm.tm_mday);
	*reg(r, REG_MONTH) = encode(r, tm.tm_mon + 1);
	*reg(r, REG_YEAR) = encode(r, year % 100);
	*reg(r, REG_CENTURY) = encode(r, year / 100);
}

/* The time in the registers, in Unix seconds; out-of-range fields roll over. */
static i64 load_time(struct rtc_cmos *r, int *weekday)
{
	struct tm tm = {
		.tm_sec = decode(r, *reg(r, REG_SEC)),
		.tm_min = decode(r, *reg(r, REG_MIN)),
		.tm_hour = decode_hour(r, *reg(r, REG_HOUR)),
		.tm_mday = decode(r, *reg(r, REG_MDAY)),
		.tm_mon = (int)decode(r, *reg(r, REG_MONTH)) - 1,
		.tm_year = (int)(decode(r, *reg(r, REG_CENTURY)) * 100 + decode(r, *reg(r, REG_YEAR))) - 1900,
	};
	i64 sec = timegm(&tm);
	*weekday = tm.tm_wday;
	return sec;
}

/* The registers' time becomes the clock's, `sub_ns` into its second. */
static void restart_clock(struct rtc_cmos *r, u64 now, i64 sub_ns)
{
	int weekday;
	i64 sec = load_time(r, &weekday);
	int guest_weekday = (int)decode(r, *reg(r, REG_WEEKDAY)) - 1;
	r->s.weekday_offset = floor_mod(guest_weekday - weekday, 7);
	r->s.wall_offset_ns = sec * NS_PER_SEC + sub_ns - (i64)now;
}

/* ---- alarm ---- */

#define ALARM_ANY -1
#define ALARM_NEVER -2

/* The field value an alarm byte asks for, ALARM_ANY or ALARM_NEVER. */
static int alarm_target(struct rtc_cmos *r, unsigned index, unsigned limit)
{
	u8 a = *reg(r, index);
	if ((a & ALARM_DONT_CARE) == ALARM_DONT_CARE)
		return ALARM_ANY;
	for (unsigned v = 0; v < limit; v++) {
		u8 e = index == REG_HOUR_ALARM ? encode_hour(r, v) : encode(r, v);
		if (e == a)
			return v;
	}
	return ALARM_NEVER;
}

/* The first second after `t` whose time matches the alarm, or NO_ALARM. */
static i64 next_alarm_after(struct rtc_cmos *r, i64 t)
{
	int hh = alarm_target(r, REG_HOUR_ALARM, 24);
	int mm = alarm_target(r, REG_MIN_ALARM, 60);
	int ss = alarm_target(r, REG_SEC_ALARM, 60);
	if (hh == ALARM_NEVER || mm == ALARM_NEVER || ss == ALARM_NEVER)
		return NO_ALARM;
	i64 c = t + 1;
	/* Each step jumps to the next candidate; a handful always suffice. */
	for (int step = 0; step < 32; step++) {
		i64 tod = floor_mod(c, 86400);
		int h = tod / 3600, m = tod / 60 % 60, s = tod % 60;
		i64 into_hour = tod % 3600;
		if (hh >= 0 && h != hh)
			c += (h < hh ? hh - h : 24 - h + hh) * 3600 - into_hour;
		else if (mm >= 0 && m != mm)
			c += m < mm ? (mm - m) * 60 - s : 3600 - into_hour;
		else if (ss >= 0 && s != ss)
			c += s < ss ? ss - s : 60 - s;
		else
			return c;
	}
	return NO_ALARM;
}

/* ---- flags, interrupt line and timers ---- */

static unsigned periodic_shift(struct rtc_cmos *r)
{
	unsigned rate = *reg(r, REG_A) & A_RATE;
	/* Rates 1 and 2 repeat 8 and 9 (the 32.768 kHz table's quirk). */
	return rate <= 2 ? rate + 6 : rate - 1;
}

static bool periodic_running(struct rtc_cmos *r)
{
	return divider_running(r) && (*reg(r, REG_A) & A_RATE);
}

/* Set PF/UF/AF for what happened since flags_until_ns. */
static void account_flags(struct rtc_cmos *r, u64 now)
{
	u64 from = r->s.flags_until_ns;
	if (now <= from)
		return;
	i64 w0 = wall_ns(r, from), w1 = wall_ns(r, now);
	if (periodic_running(r)) {
		i64 period = 1ll << periodic_shift(r);
		if (floor_div(divider_cycles(w0), period) != floor_div(divider_cycles(w1), period))
			*reg(r, REG_C) |= C_PF;
	}
	if (clock_running(r)) {
		i64 s0 = floor_div(w0, NS_PER_SEC), s1 = floor_div(w1, NS_PER_SEC);
		if (s1 > s0)
			*reg(r, REG_C) |= C_UF;
		if (s1 > s0 && next_alarm_after(r, s0) <= s1)
			*reg(r, REG_C) |= C_AF;
	}
	r->s.flags_until_ns = now;
}

static bool irq_flag(struct rtc_cmos *r)
{
	return *reg(r, REG_C) & *reg(r, REG_B) & (C_PF | C_AF | C_UF);
}

static void update_irq(struct rtc_cmos *r)
{
	bool level = irq_flag(r);
	if (level == r->s.irq_level)
		return;
	r->s.irq_level = level;
	machine__set_irq(r->m, RTC_IRQ, level);
}

/* The next periodic tick, if its interrupt is wanted and not yet flagged. */
static u64 periodic_deadline(struct rtc_cmos *r, u64 now)
{
	u8 b = *reg(r, REG_B), c = *reg(r, REG_C);
	if (!periodic_running(r) || !(b & B_PIE) || (c & C_PF))
		return VTIMER_OFF;
	i64 period = 1ll << periodic_shift(r);
	i64 next = (floor_div(divider_cycles(wall_ns(r, now)), period) + 1) * period;
	return virtual_ns(r, cycle_wall_ns(next));
}

/* The next update or alarm whose interrupt is wanted and not yet flagged. */
static u64 update_deadline(struct rtc_cmos *r, u64 now)
{
	u8 b = *reg(r, REG_B), c = *reg(r, REG_C);
	if (!clock_running(r))
		return VTIMER_OFF;
	i64 sec = wall_second(r, now);
	i64 next = NO_ALARM;
	if ((b & B_UIE) && !(c & C_UF))
		next = sec + 1;
	else if ((b & B_AIE) && !(c & C_AF))
		next = next_alarm_after(r, sec);
	return next == NO_ALARM ? VTIMER_OFF : virtual_ns(r, next * NS_PER_SEC);
}

/* After any change: flags up to date first, then the line and timers. */
static void refresh(struct rtc_cmos *r, u64 now)
{
	account_flags(r, now);
	update_irq(r);
	machine__timer_arm(r->m, &r->periodic_timer, periodic_deadline(r, now));
	machine__timer_arm(r->m, &r->update_timer, update_deadline(r, now));
}

/* Both timers just bring flags, line and deadlines up to date. */
static void timer_fire(void *opaque, u64 now)
{
	refresh(opaque, now);
}

/* ---- registers ---- */

static bool is_time_register(unsigned index)
{
	switch (index) {
	case REG_SEC: case REG_MIN: case REG_HOUR: case REG_WEEKDAY:
	case REG_MDAY: case REG_MONTH: case REG_YEAR: case REG_CENTURY:
		return true;
	default:
		return false;
	}
}

static u8 read_c(struct rtc_cmos *r, u64 now)
{
	account_flags(r, now);
	u8 c = *reg(r, REG_C) | (irq_flag(r) ? C_IRQF : 0);
	*reg(r, REG_C) = 0;
	refresh(r, now);
	return c;
}

static u8 read_register(struct rtc_cmos *r, unsigned index)
{
	u64 now = machine__now(r->m);
	if (is_time_register(index) && clock_running(r))
		store_time(r, wall_second(r, now));
	switch (index) {
	case REG_A: return *reg(r, REG_A) | (update_in_progress(r, now) ? A_UIP : 0);
	case REG_C: return read_c(r, now);
	case REG_D: return D_VRT;
	default: return *reg(r, index);
	}
}

/* A time register written while the clock runs sets the clock. */
static void write_time_register(struct rtc_cmos *r, unsigned index, u8 v, u64 now)
{
	if (!clock_running(r)) {
		*reg(r, index) = v;
		return;
	}
	i64 phase = floor_mod(wall_ns(r, now), NS_PER_SEC);
	store_time(r, wall_second(r, now));
	*reg(r, index) = v;
	restart_clock(r, now, phase);
}

static void write_a(struct rtc_cmos *r, u8 v, u64 now)
{
	bool was_counting = divider_running(r);
	if (clock_running(r))
		store_time(r, wall_second(r, now)); /* in case it stops now */
	*reg(r, REG_A) = v & ~A_UIP;
	if (!was_counting && divider_running(r))
		restart_clock(r, now, NS_PER_SEC / 2);
}

static void write_b(struct rtc_cmos *r, u8 v, u64 now)
{
	bool was_running = clock_running(r);
	if (was_running)
		store_time(r, wall_second(r, now)); /* SET freezes this time */
	if (v & B_SET)
		v &= ~B_UIE;
	*reg(r, REG_B) = v;
	if (!was_running && clock_running(r))
		restart_clock(r, now, floor_mod(wall_ns(r, now), NS_PER_SEC));
}

static void write_register(struct rtc_cmos *r, unsigned index, u8 v)
{
	u64 now = machine__now(r->m);
	/* Flags up to now belong to the clock as it was before this write. */
	account_flags(r, now);
	if (is_time_register(index))
		write_time_register(r, index, v, now);
	else if (index == REG_A)
		write_a(r, v, now);
	else if (index == REG_B)
		write_b(r, v, now);
	else if (index != REG_C && index != REG_D) /* C and D are read-only */
		*reg(r, index) = v;
	refresh(r, now);
}

/* Reads fill only the first byte; wider accesses see a floating bus beyond. */
static void index_io(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
		     unsigned len, bool is_write)
{
	(void)vcpu;
	struct rtc_cmos *r = opaque;
	(void)addr;
	if (!is_write) {
		memset(data, 0xff, len); /* the index register is write-only */
		return;
	}
	r->s.index = data[0] & 0x7f;
	r->s.nmi_masked = data[0] & 0x80;
}

static void data_io(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
		    unsigned len, bool is_write)
{
	(void)vcpu;
	struct rtc_cmos *r = opaque;
	(void)addr;
	if (is_write) {
		write_register(r, r->s.index, data[0]);
		return;
	}
	memset(data, 0xff, len);
	data[0] = read_register(r, r->s.index);
}

/* ---- initial contents ---- */

static void put16(struct rtc_cmos *r, unsigned index, u64 v)
{
	if (v > 0xffff)
		v = 0xffff;
	*reg(r, index) = v & 0xff;
	*reg(r, index + 1) = v >> 8;
}

/* What a PC BIOS leaves in CMOS: clock running in BCD 24-hour mode at
 * 1024 Hz, no drives, an FPU, 640 KiB base memory and the extended
 * memory sizes, and the standard checksum over 0x10-0x2d. */
static void fill_like_bios(struct rtc_cmos *r, u64 low_ram)
{
	*reg(r, REG_A) = A_DIVIDER_RUN | 0x06;
	*reg(r, REG_B) = B_24H;
	*reg(r, 0x14) = 0x02;                     /* equipment: FPU, VGA */
	put16(r, 0x15, 640);                      /* base memory, KiB */
	u64 above_1m = low_ram > (1 << 20) ? (low_ram - (1 << 20)) >> 10 : 0;
	put16(r, 0x17, above_1m);                 /* extended memory, KiB */
	put16(r, 0x30, above_1m);
	u64 above_16m = low_ram > (16 << 20) ? (low_ram - (16 << 20)) >> 16 : 0;
	put16(r, 0x34, above_16m);                /* 64 KiB blocks above 16 MiB */
	unsigned sum = 0;
	for (unsigned k = 0x10; k <= 0x2d; k++)
		sum += *reg(r, k);
	*reg(r, 0x2e) = sum >> 8;
	*reg(r, 0x2f) = sum & 0xff;
}

/* ---- life cycle ---- */

static void rtc_restored(void *dev)
{
	struct rtc_cmos *r = dev;
	machine__set_irq(r->m, RTC_IRQ, r->s.irq_level);
}

/*
 * Registered with the machine first: if wiring it up fails later, the
 * machine still owns it (timers and bus ranges cannot be unregistered).
 */
struct rtc_cmos *rtc_cmos__create(struct encore_machine *m, i64 boot_epoch_seconds)
{
	struct rtc_cmos *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	u64 now = machine__now(m);
	r->m = m;
	r->s.wall_offset_ns = boot_epoch_seconds * NS_PER_SEC - (i64)now;
	r->s.flags_until_ns = now;
	r->s.periodic_deadline = r->s.update_deadline = VTIMER_OFF;
	fill_like_bios(r, pc__low_ram(m));
	struct device d = { .name = "rtc-cmos", .state = &r->s, .state_size = sizeof(r->s),
			    .restored = rtc_restored, .dev = r };
	if (machine__add_device(m, &d)) {
		free(r);
		return NULL;
	}
	if (machine__timer_add(m, &r->periodic_timer, "rtc-periodic", timer_fire, r,
			       &r->s.periodic_deadline) ||
	    machine__timer_add(m, &r->update_timer, "rtc-update", timer_fire, r,
			       &r->s.update_deadline) ||
	    bus__register(&m->pio, RTC_INDEX_PORT, 1, index_io, r, "rtc-index") ||
	    bus__register(&m->pio, RTC_DATA_PORT, 1, data_io, r, "rtc-data"))
		return NULL;
	return r;
}
