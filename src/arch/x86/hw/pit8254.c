/*
 * The 8254 programmable interval timer (Intel 8254 datasheet) and port
 * 0x61 of the PC/AT.
 *
 * Nothing ticks: a counter remembers the CLK pulse at which its current
 * run began (`anchor`) and computes its count and OUT for any later pulse
 * in closed form.  CLK pulse n happens at ceil(n * 10^9 / 1193182) ns of
 * virtual time, so every value is exact and periodic deadlines stay on
 * the grid of the load pulse.
 *
 * Timing follows the datasheet: a count written between pulses c and c+1
 * is loaded into the CE at pulse c+1 and decremented at every pulse
 * after that; a gate edge takes effect at the next pulse.
 *
 * Channel 0's OUT drives IRQ 0.  In mode 0 the line follows OUT.  In the
 * other modes OUT rests high and each interrupt is its rising edge, so
 * the line rests low and each rising edge is a 1-then-0 pulse: the
 * edge-triggered PIC latches exactly one request per edge.
 */
#include <stdlib.h>

#include "encore/hw/pit8254.h"

#define PIT_HZ 1193182u
#define NS_PER_S 1000000000u
#define REFRESH_NS 15085u /* DRAM refresh request period on the AT */
#define PULSE_NEVER UINT64_MAX

#define PIT_PORT 0x40
#define PIT_CONTROL 3
#define PORT61 0x61
#define PORT61_GATE2 0x01
#define PORT61_WRITABLE 0x0f
#define PORT61_REFRESH 0x10
#define PORT61_OUT2 0x20

#define CTRL_BCD 0x01
#define CTRL_READ_BACK 3        /* SC field value */
#define READBACK_NO_COUNT 0x20  /* active low */
#define READBACK_NO_STATUS 0x10 /* active low */
#define STATUS_OUT 0x80
#define STATUS_NULL_COUNT 0x40

enum { ACCESS_LATCH, ACCESS_LSB, ACCESS_MSB, ACCESS_WORD };
enum { RUN_IDLE, RUN_COUNTING, RUN_GATED };

_Static_assert(sizeof(struct pit8254_counter_state) == 48, "counter state has padding");
_Static_assert(sizeof(struct pit8254_state) == 3 * 48 + 16, "PIT state has padding");

typedef struct pit8254_counter_state counter;

struct pit8254 {
	struct pit8254_state s;
	struct encore_machine *m;
	struct vtimer irq_timer;
};

/* ---- time ---- */

static u64 pulses_at(u64 ns)
{
	return (u64)((unsigned __int128)ns * PIT_HZ / NS_PER_S);
}

/* The first nanosecond at which pulse `n` has happened. */
static u64 ns_of_pulse(u64 n)
{
	if (n == PULSE_NEVER)
		return VTIMER_OFF;
	unsigned __int128 ns = ((unsigned __int128)n * NS_PER_S + PIT_HZ - 1) / PIT_HZ;
	return ns >= VTIMER_OFF ? VTIMER_OFF : (u64)ns;
}

/* ---- the control word's fields ---- */

static unsigned access_of(const counter *k)
{
	return (k->ctrl >> 4) & 3;
}

/* Modes 6 and 7 are aliases of 2 and 3. */
static unsigned mode_of(const counter *k)
{
	unsigned mode = (k->ctrl >> 1) & 7;
	return mode > 5 ? mode - 4 : mode;
}

static bool periodic(unsigned mode)
{
	return mode == 2 || mode == 3;
}

/* Modes 1 and 5 start on a gate rising edge; the others count while the
 * gate is high. */
static bool gate_triggered(unsigned mode)
{
	return mode == 1 || mode == 5;
}

/* ---- count values ---- */

static u32 modulus(const counter *k)
{
	return (k->ctrl & CTRL_BCD) ? 10000 : 65536;
}

/* Invalid BCD digits are taken at face value: the result only has to be
 * deterministic. */
static u32 bcd_decode(u16 v)
{
	return ((v >> 12) & 15) * 1000u + ((v >> 8) & 15) * 100u + ((v >> 4) & 15) * 10u + (v & 15);
}

static u16 bcd_encode(u32 v)
{
	return (u16)((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | (v % 10));
}

/* The count register in clocks: 0 stands for 2^16 (10^4 in BCD). */
static u32 count_clocks(const counter *k)
{
	u32 v = (k->ctrl & CTRL_BCD) ? bcd_decode(k->count) : k->count;
	return v ? v : modulus(k);
}

/* A CE value as the register reads it. */
static u16 ce_register(const counter *k, u64 value)
{
	u32 v = (u32)(value % modulus(k));
	return (k->ctrl & CTRL_BCD) ? bcd_encode(v) : (u16)v;
}

/* (start - e) modulo the counter's modulus, for any e. */
static u64 count_down(const counter *k, u64 start, u64 e)
{
	if (e <= start)
		return start - e;
	u64 r = (e - start) % modulus(k);
	return r ? modulus(k) - r : 0;
}

/* ---- the run in closed form ---- */

static u64 elapsed(const counter *k, u64 c)
{
	return c > k->anchor ? c - k->anchor : 0;
}

/* Modes 0/1/4/5: terminal count reached by pulse c. */
static bool reached_tc(const counter *k, u64 c)
{
	return k->done || elapsed(k, c) >= k->start;
}

/* Modes 2/3: position within the period at pulse c. */
static u32 position(const counter *k, u64 c)
{
	return (u32)((elapsed(k, c) + k->phase) % k->start);
}

/* Mode 3: OUT is high for the first ceil(N/2) clocks of each period. */
static u32 high_half(const counter *k)
{
	return (k->start + 1) / 2;
}

/* Mode 3 decrements by two from N (odd N: from N-1) in each half. */
static u32 square_wave_ce(const counter *k, u64 c)
{
	u32 pos = position(k, c);
	u32 in_half = pos < high_half(k) ? pos : pos - high_half(k);
	return (k->start & ~1u) - 2 * in_half;
}

static u64 counting_ce(const counter *k, u64 c)
{
	switch (mode_of(k)) {
	case 2: return k->start - position(k, c);
	case 3: return square_wave_ce(k, c);
	default: return count_down(k, k->start, elapsed(k, c));
	}
}

/* The CE's value at pulse c (a number; ce_register formats it). */
static u64 ce_value(const counter *k, u64 c)
{
	if (k->run != RUN_COUNTING || c < k->anchor)
		return k->hold;
	return counting_ce(k, c);
}

static bool counting_out(const counter *k, u64 c)
{
	switch (mode_of(k)) {
	case 0:
	case 1: return reached_tc(k, c); /* low until terminal count */
	case 2: return position(k, c) != k->start - 1; /* low while the CE is 1 */
	case 3: return position(k, c) < high_half(k);
	default: return k->done || elapsed(k, c) != k->start; /* one-clock strobe at 0 */
	}
}

static bool out_at(const counter *k, u64 c)
{
	if (k->run == RUN_GATED && periodic(mode_of(k)))
		return true; /* a low gate forces OUT high in modes 2 and 3 */
	if (k->run != RUN_COUNTING)
		return k->out_idle;
	return counting_out(k, c);
}

/* The first pulse after c at which OUT rises, ignoring a pending count. */
static u64 run_next_rise(const counter *k, u64 c)
{
	if (k->run != RUN_COUNTING)
		return PULSE_NEVER;
	unsigned mode = mode_of(k);
	if (periodic(mode)) {
		if (k->start < 2)
			return PULSE_NEVER; /* no low phase, so no edge */
		if (c < k->anchor)
			return k->anchor + (k->start - k->phase);
		return c + (k->start - position(k, c));
	}
	if (k->done)
		return PULSE_NEVER;
	u64 rise = k->anchor + k->start + (mode == 4 || mode == 5); /* strobe ends a clock later */
	return rise > c ? rise : PULSE_NEVER;
}

/* Modes 2/3: the rewritten count takes over as a new run. */
static void apply_pending(counter *k)
{
	k->anchor = k->pending_at;
	k->start = count_clocks(k);
	k->phase = k->pending_low ? high_half(k) % k->start : 0;
	k->pending = 0;
}

static u64 next_rise(const counter *k, u64 c)
{
	u64 rise = run_next_rise(k, c);
	if (!k->pending || rise <= k->pending_at)
		return rise;
	/* The new count starts mid-cycle (mode 3, after a high half). */
	counter next = *k;
	apply_pending(&next);
	return run_next_rise(&next, next.anchor - 1);
}

/* Bring lazily-due changes up to pulse c: a pending count that took
 * over, and the null-count flag of a count that reached the CE. */
static void catch_up(counter *k, u64 c)
{
	if (k->run == RUN_COUNTING && k->pending && c >= k->pending_at) {
		apply_pending(k);
		k->null_count = 0;
	}
	if (k->load_at_anchor && c >= k->anchor) {
		k->load_at_anchor = 0;
		k->null_count = 0;
	}
}

/* ---- transitions ---- */

static void start_run(counter *k, u64 c, u64 anchor, u32 start)
{
	k->hold = (u32)ce_value(k, c); /* what reads show until the anchor */
	k->run = RUN_COUNTING;
	k->anchor = anchor;
	k->start = start;
	k->phase = 0;
	k->done = 0;
	k->pending = 0;
}

/* The count register enters the CE at the next pulse and a run starts. */
static void load_register(counter *k, u64 c)
{
	start_run(k, c, c + 1, count_clocks(k));
	k->load_at_anchor = 1;
}

/* Stop counting, keeping what reads and OUT show. */
static void freeze(counter *k, u64 c, u8 run)
{
	k->hold = (u32)ce_value(k, c);
	k->out_idle = out_at(k, c);
	k->run = run;
}

/* Modes 0 and 4 stopped by the gate: remember the clocks still to go so
 * the run resumes exactly where it stopped. */
static void gate_pause_one_shot(counter *k, u64 c)
{
	bool tc = reached_tc(k, c);
	u64 left = tc ? count_down(k, k->start, elapsed(k, c)) : k->start - elapsed(k, c);
	k->out_idle = out_at(k, c) || mode_of(k) == 4;
	k->done = tc;
	k->hold = (u32)left;
	k->run = RUN_GATED;
}

static void gate_falls(counter *k, u64 c)
{
	unsigned mode = mode_of(k);
	if (k->run != RUN_COUNTING || gate_triggered(mode))
		return;
	if (periodic(mode)) {
		freeze(k, c, RUN_GATED);
		k->pending = 0; /* the rising gate reloads the count register anyway */
	} else {
		gate_pause_one_shot(k, c);
	}
}

static void gate_rises(counter *k, u64 c)
{
	unsigned mode = mode_of(k);
	if (gate_triggered(mode)) {
		if (k->cr_valid) /* (re)trigger */
			load_register(k, c);
	} else if (k->run == RUN_GATED && periodic(mode)) {
		load_register(k, c);
	} else if (k->run == RUN_GATED) {
		bool done = k->done;
		start_run(k, c, c, k->hold); /* the CE holds `hold` now, decrements from c+1 */
		k->done = done;
	}
}

static void set_gate(counter *k, u64 c, bool gate)
{
	catch_up(k, c);
	if (gate == k->gate)
		return;
	k->gate = gate;
	if (gate)
		gate_rises(k, c);
	else
		gate_falls(k, c);
}

/* Modes 2/3 rewritten while counting: the new count waits for the end of
 * the period (mode 2) or of the current half-cycle (mode 3). */
static void schedule_rewrite(counter *k, u64 c)
{
	if (c < k->anchor) {
		k->start = count_clocks(k); /* not loaded yet: the new count goes in */
		return;
	}
	if (k->pending)
		return; /* count_clocks() at pending_at picks up the newest count */
	u32 pos = position(k, c);
	bool in_high = mode_of(k) == 3 && pos < high_half(k);
	k->pending_at = c + (in_high ? high_half(k) - pos : k->start - pos);
	k->pending_low = in_high;
	k->pending = 1;
}

static void load_count(counter *k, u64 c)
{
	unsigned mode = mode_of(k);
	k->cr_valid = 1;
	k->null_count = 1;
	if (gate_triggered(mode))
		return; /* used by the next trigger */
	if (periodic(mode) && k->run == RUN_COUNTING) {
		schedule_rewrite(k, c);
	} else if (k->gate) {
		load_register(k, c);
	} else {
		/* Loaded at the next pulse but held by the gate. */
		k->run = RUN_GATED;
		k->anchor = c + 1;
		k->load_at_anchor = 1;
		k->hold = count_clocks(k);
		k->done = 0;
		k->pending = 0;
		k->out_idle = mode != 0;
	}
}

static void write_control(counter *k, u64 c, u8 v)
{
	catch_up(k, c);
	freeze(k, c, RUN_IDLE);
	k->ctrl = v & 0x3f;
	k->out_idle = mode_of(k) != 0; /* mode 0 starts low, the others high */
	k->cr_valid = 0;
	k->pending = 0;
	k->done = 0;
	k->null_count = 1;
	k->load_at_anchor = 0;
	k->write_msb = 0;
	k->read_msb = 0;
	k->latch_lsb = 0;
	k->latch_msb = 0;
	k->status_latched = 0;
}

static void write_counter(counter *k, u64 c, u8 v)
{
	catch_up(k, c);
	switch (access_of(k)) {
	case ACCESS_LSB: k->count = v; break;
	case ACCESS_MSB: k->count = (u16)(v << 8); break;
	default:
		if (!k->write_msb) {
			k->count = (u16)((k->count & 0xff00) | v);
			k->write_msb = 1;
			/* Mode 0: the first byte stops the count and drops OUT. */
			if (mode_of(k) == 0) {
				freeze(k, c, RUN_IDLE);
				k->out_idle = 0;
			}
			return;
		}
		k->count = (u16)((k->count & 0x00ff) | v << 8);
		k->write_msb = 0;
		break;
	}
	load_count(k, c);
}

/* ---- latches and reads ---- */

static void latch_count(counter *k, u64 c)
{
	if (k->latch_lsb || k->latch_msb)
		return; /* a second latch before the read is ignored */
	catch_up(k, c);
	k->latch = ce_register(k, ce_value(k, c));
	unsigned access = access_of(k);
	k->latch_lsb = access != ACCESS_MSB;
	k->latch_msb = access != ACCESS_LSB;
}

static void latch_status(counter *k, u64 c)
{
	if (k->status_latched)
		return;
	catch_up(k, c);
	k->status = (u8)((out_at(k, c) ? STATUS_OUT : 0) | (k->null_count ? STATUS_NULL_COUNT : 0) |
			 k->ctrl);
	k->status_latched = 1;
}

static u8 read_counter(counter *k, u64 c)
{
	if (k->status_latched) {
		k->status_latched = 0;
		return k->status;
	}
	if (k->latch_lsb) {
		k->latch_lsb = 0;
		return (u8)k->latch;
	}
	if (k->latch_msb) {
		k->latch_msb = 0;
		return (u8)(k->latch >> 8);
	}
	catch_up(k, c);
	u16 v = ce_register(k, ce_value(k, c));
	bool msb = access_of(k) == ACCESS_MSB;
	if (access_of(k) == ACCESS_WORD) {
		msb = k->read_msb;
		k->read_msb = !k->read_msb;
	}
	return msb ? (u8)(v >> 8) : (u8)v;
}

static void read_back(struct pit8254 *p, u64 c, u8 v)
{
	for (unsigned ch = 0; ch < 3; ch++) {
		if (!(v & (2u << ch)))
			continue;
		if (!(v & READBACK_NO_COUNT))
			latch_count(&p->s.ch[ch], c);
		if (!(v & READBACK_NO_STATUS))
			latch_status(&p->s.ch[ch], c);
	}
}

static void control_port(struct pit8254 *p, u64 c, u8 v)
{
	unsigned sc = v >> 6;
	if (sc == CTRL_READ_BACK)
		read_back(p, c, v);
	else if (((v >> 4) & 3) == ACCESS_LATCH)
		latch_count(&p->s.ch[sc], c);
	else
		write_control(&p->s.ch[sc], c, v);
}

/* ---- IRQ 0 ---- */

static void drive_irq0(struct pit8254 *p, bool level)
{
	if (p->s.irq_level == level)
		return;
	p->s.irq_level = level;
	machine__set_irq(p->m, 0, level);
}

/* After anything that may have changed channel 0: the line's resting
 * level and the timer for the next rising edge. */
static void channel0_update(struct pit8254 *p, u64 c)
{
	counter *k = &p->s.ch[0];
	catch_up(k, c);
	drive_irq0(p, mode_of(k) == 0 && out_at(k, c));
	machine__timer_arm(p->m, &p->irq_timer, ns_of_pulse(next_rise(k, c)));
}

/* Channel 0's OUT rose at the deadline. */
static void channel0_edge(struct pit8254 *p, u64 now)
{
	if (mode_of(&p->s.ch[0]) != 0) {
		drive_irq0(p, false);
		machine__set_irq(p->m, 0, true);
		machine__set_irq(p->m, 0, false);
	}
	channel0_update(p, pulses_at(now)); /* mode 0: the line follows OUT up */
}

static void irq_timer_fire(void *opaque, u64 now)
{
	channel0_edge(opaque, now);
}

/* An access at a moment past the deadline sees the edge first, even if
 * the timer has not run yet. */
static void deliver_due_edge(struct pit8254 *p, u64 now)
{
	if (p->s.irq_deadline <= now) {
		machine__timer_disarm(p->m, &p->irq_timer);
		channel0_edge(p, now);
	}
}

/* ---- ports ---- */

static void pit_byte(struct pit8254 *p, u64 c, unsigned reg, u8 *data, bool is_write)
{
	if (reg == PIT_CONTROL) {
		if (is_write)
			control_port(p, c, *data);
		else
			*data = 0xff; /* the control register cannot be read */
	} else if (is_write) {
		write_counter(&p->s.ch[reg], c, *data);
	} else {
		*data = read_counter(&p->s.ch[reg], c);
	}
}

static void pit_io(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
		   unsigned len, bool is_write)
{
	(void)vcpu;
	struct pit8254 *p = opaque;
	u64 now = machine__now(p->m);
	u64 c = pulses_at(now);
	deliver_due_edge(p, now);
	for (unsigned k = 0; k < len; k++) {
		if (addr + k <= PIT_CONTROL)
			pit_byte(p, c, (unsigned)(addr + k), &data[k], is_write);
		else if (!is_write)
			data[k] = 0xff;
	}
	channel0_update(p, c);
}

static u8 port61_read(struct pit8254 *p, u64 now)
{
	counter *k = &p->s.ch[2];
	u64 c = pulses_at(now);
	catch_up(k, c);
	u8 v = p->s.port61 & PORT61_WRITABLE;
	if ((now / REFRESH_NS) & 1)
		v |= PORT61_REFRESH;
	if (out_at(k, c))
		v |= PORT61_OUT2;
	return v; /* bits 7-6: no parity or I/O channel errors */
}

static void port61_io(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
		      unsigned len, bool is_write)
{
	(void)vcpu;
	struct pit8254 *p = opaque;
	u64 now = machine__now(p->m);
	for (unsigned k = 0; k < len; k++) {
		if (addr + k != 0) {
			if (!is_write)
				data[k] = 0xff;
		} else if (is_write) {
			p->s.port61 = data[k] & PORT61_WRITABLE;
			set_gate(&p->s.ch[2], pulses_at(now), data[k] & PORT61_GATE2);
		} else {
			data[k] = port61_read(p, now);
		}
	}
}

/* ---- the device ---- */

static void pit_restored(void *dev)
{
	struct pit8254 *p = dev;
	machine__set_irq(p->m, 0, p->s.irq_level);
}

/* Until programmed, every counter is idle with OUT low; gates 0 and 1
 * are wired high, gate 2 comes from port 0x61 (clear at power-on). */
static void power_on(struct pit8254 *p)
{
	for (unsigned ch = 0; ch < 3; ch++) {
		counter *k = &p->s.ch[ch];
		k->ctrl = ACCESS_WORD << 4;
		k->run = RUN_IDLE;
		k->gate = ch != 2;
	}
	p->s.irq_deadline = VTIMER_OFF;
}

static int register_ports(struct pit8254 *p)
{
	if (bus__register(&p->m->pio, PIT_PORT, 4, pit_io, p, "pit8254"))
		return -1;
	return bus__register(&p->m->pio, PORT61, 1, port61_io, p, "port61");
}

struct pit8254 *pit8254__create(struct encore_machine *m)
{
	struct pit8254 *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->m = m;
	power_on(p);
	struct device dev = {
		.name = "pit8254",
		.state = &p->s,
		.state_size = sizeof(p->s),
		.restored = pit_restored,
		.dev = p,
	};
	if (machine__add_device(m, &dev)) {
		free(p);
		return NULL;
	}
	/* From here the machine owns p and frees it on destroy. */
	if (machine__timer_add(m, &p->irq_timer, "pit8254-irq0", irq_timer_fire, p,
			       &p->s.irq_deadline))
		return NULL;
	if (register_ports(p))
		return NULL;
	return p;
}
