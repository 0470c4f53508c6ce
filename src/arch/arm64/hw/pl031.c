/*
 * PL031 real-time clock (Arm PrimeCell RTC TRM, DDI 0224, r1).  What this
 * model does and why:
 *
 * - Identification: PeriphID 0x00141031 (part 0x031, designer 0x41 = Arm,
 *   revision 1, the revision with RTCCR; QEMU's model reports the same),
 *   PCellID 0xb105f00d.  Linux's AMBA bus matches rtc-pl031 on 0x00041031
 *   under the mask 0x000fffff.
 * - Time: count(now) = load_count + whole virtual seconds since load_ns,
 *   modulo 2^32.  At creation load_count is the boot epoch and load_ns 0,
 *   so the count is epoch + virtual seconds; an RTCLR write makes it the
 *   value written plus the virtual seconds since the write (the second
 *   restarts at the write).  The host clock is never read.
 * - RTCCR: the clock comes out of creation already started, as firmware
 *   leaves it (the epoch is the wall-clock time at boot), so RTCCR reads 1.
 *   As on the r1 hardware, writing 1 (Linux's probe does) changes nothing
 *   and writing 0 cannot stop it.
 * - Match: RIS bit 0 is set when the count becomes equal to RTCMR: at the
 *   exact virtual ns of the second boundary where it ticks to RTCMR (a
 *   device timer whose deadline is in the plain state), at an RTCLR write
 *   that loads the RTCMR value, and at an RTCMR write of the current count
 *   (so an alarm for the current second is not lost for 136 years; QEMU
 *   does the same).  It stays set until RTCICR bit 0 is written.  A timer
 *   that is due but has not run yet is caught up by any register access,
 *   so a guest polling RIS sees the match at the same ns either way.
 * - The interrupt line is level-triggered: RIS & IMSC.
 * - Accesses: registers are 32-bit words; a read of any size returns the
 *   bytes of the word it covers; a write must start at the word's first
 *   byte and is zero-extended (writeb to RTCMR sets it to that byte);
 *   other writes, writes to read-only registers and unknown offsets are
 *   ignored; unknown offsets and RTCICR read 0.
 */
#include <stdlib.h>
#include <string.h>

#include "arch/arm64/hw/pl031.h"

#define NS_PER_SEC 1000000000ull
#define CR_START 0x1
#define INT_MATCH 0x1

_Static_assert(sizeof(struct pl031_state) == 32, "pl031_state has padding");

struct pl031 {
	struct pl031_state s;
	struct encore_machine *m;
	unsigned irq;
	struct vtimer match_timer;
};

/* ---- the count ---- */

/* Whole virtual seconds since the count was loaded (0 before it, which a
 * damaged checkpoint is the only way to reach). */
static u64 seconds_since_load(const struct pl031_state *s, u64 now)
{
	return now < s->load_ns ? 0 : (now - s->load_ns) / NS_PER_SEC;
}

static u32 count_at(const struct pl031_state *s, u64 now)
{
	return s->load_count + (u32)seconds_since_load(s, now);
}

/* The first second boundary after `now` at which the count ticks to
 * RTCMR (2^32 s on if it equals RTCMR now), or VTIMER_OFF past u64. */
static u64 next_match(const struct pl031_state *s, u64 now)
{
	u64 elapsed = seconds_since_load(s, now);
	u64 ahead = (u32)(s->mr - (s->load_count + (u32)elapsed));
	if (!ahead)
		ahead = 1ull << 32;
	u64 sec = elapsed + ahead;
	if (sec > (VTIMER_OFF - 1 - s->load_ns) / NS_PER_SEC)
		return VTIMER_OFF;
	return s->load_ns + sec * NS_PER_SEC;
}

/* ---- the interrupt line ---- */

static void update_irq(struct pl031 *p)
{
	u8 level = (p->s.ris & p->s.imsc) != 0;
	if (level == p->s.irq_level)
		return;
	p->s.irq_level = level;
	machine__set_irq(p->m, p->irq, level);
}

static void match_arm(struct pl031 *p, u64 now)
{
	machine__timer_arm(p->m, &p->match_timer, next_match(&p->s, now));
}

static void match_fire(void *opaque, u64 now)
{
	struct pl031 *p = opaque;
	p->s.ris |= INT_MATCH;
	match_arm(p, now);
	update_irq(p);
}

/* A register access sees a match that is due even if its timer has not
 * run yet (the engine fires timers at instruction boundaries). */
static void catch_up(struct pl031 *p, u64 now)
{
	if (p->s.match_deadline <= now) {
		p->s.match_deadline = VTIMER_OFF;
		match_fire(p, now);
	}
}

/* ---- registers ---- */

static u32 read_id(unsigned off)
{
	unsigned k = (off - PL031_PERIPH_ID0) / 4;
	u32 id = k < 4 ? PL031_PERIPH_ID : PL031_CELL_ID;
	return (id >> (8 * (k % 4))) & 0xff;
}

static u32 read_reg(struct pl031 *p, unsigned off, u64 now)
{
	struct pl031_state *s = &p->s;
	if (off >= PL031_PERIPH_ID0 && off < PL031_SIZE)
		return read_id(off);
	switch (off) {
	case PL031_DR: return count_at(s, now);
	case PL031_MR: return s->mr;
	case PL031_LR: return s->lr;
	case PL031_CR: return CR_START;
	case PL031_IMSC: return s->imsc;
	case PL031_RIS: return s->ris;
	case PL031_MIS: return s->ris & s->imsc;
	default: return 0; /* ICR is write-only; the rest is reserved */
	}
}

static void write_reg(struct pl031 *p, unsigned off, u32 v, u64 now)
{
	struct pl031_state *s = &p->s;
	switch (off) {
	case PL031_MR:
		s->mr = v;
		break;
	case PL031_LR:
		s->lr = s->load_count = v;
		s->load_ns = now;
		break;
	case PL031_IMSC: s->imsc = v & INT_MATCH; update_irq(p); return;
	case PL031_ICR: s->ris &= ~(v & INT_MATCH); update_irq(p); return;
	default: return; /* DR, RIS, MIS and the IDs are read-only; CR cannot stop it */
	}
	if (count_at(s, now) == s->mr)
		s->ris |= INT_MATCH;
	match_arm(p, now);
	update_irq(p);
}

static void pl031_mmio(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
		       unsigned len, bool is_write)
{
	(void)vcpu;
	struct pl031 *p = opaque;
	u64 now = machine__now(p->m);
	catch_up(p, now);
	for (unsigned k = 0; k < len;) {
		unsigned off = (unsigned)(addr + k), word = off & ~3u, first = off & 3;
		unsigned n = 4 - first < len - k ? 4 - first : len - k;
		if (is_write) {
			if (!first) {
				u32 v = 0;
				memcpy(&v, data + k, n);
				write_reg(p, word, v, now);
			}
		} else {
			u32 v = read_reg(p, word, now) >> (8 * first);
			memcpy(data + k, &v, n);
		}
		k += n;
	}
}

/* ---- life cycle ---- */

/* Bits a damaged checkpoint may carry are dropped; the line follows the
 * restored status (a checkpoint this device wrote passes unchanged). */
static void pl031_restored(void *dev)
{
	struct pl031 *p = dev;
	struct pl031_state *s = &p->s;
	s->imsc &= INT_MATCH;
	s->ris &= INT_MATCH;
	s->irq_level = (s->ris & s->imsc) != 0;
	machine__set_irq(p->m, p->irq, s->irq_level);
}

/*
 * The device is registered with the machine first: if wiring it up fails
 * later, the machine still owns it (a timer or bus range cannot be
 * unregistered) and frees it on destroy.
 */
struct pl031 *pl031__create(struct encore_machine *m, u64 base, unsigned irq, i64 epoch)
{
	struct pl031 *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->s.load_count = (u32)epoch;
	p->s.match_deadline = VTIMER_OFF;
	p->m = m;
	p->irq = irq;
	struct device d = { .name = "pl031", .state = &p->s, .state_size = sizeof(p->s),
			    .version = 1, .restored = pl031_restored, .dev = p };
	if (machine__add_device(m, &d)) {
		free(p);
		return NULL;
	}
	if (machine__timer_add(m, &p->match_timer, "pl031-match", match_fire, p,
			       &p->s.match_deadline) ||
	    bus__register(&m->mmio, base, PL031_SIZE, pl031_mmio, p, "pl031"))
		return NULL;
	match_arm(p, machine__now(m));
	return p;
}
