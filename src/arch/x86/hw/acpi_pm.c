/*
 * The ACPI fixed power-management registers (ACPI spec, "ACPI Hardware
 * Specification", PM1 event and control blocks and the PM timer).
 *
 * The timer is not stepped: its count is computed from virtual time with
 * exact integer arithmetic, so it reads the same in every run.  TMR_STS
 * ("bit 23 of the count changed") is computed the same way, from the count
 * when the guest last cleared it; a vtimer is armed for the next carry only
 * while TMR_EN waits for it, so that the SCI rises on time.
 *
 * Access widths: any access works byte by byte, each byte going to the
 * register lane it covers.  So the 16-bit accesses Linux makes to PM1_STS,
 * PM1_EN and PM1_CNT, its 32-bit read of the timer and a 32-bit access to
 * the whole event block (PM1_STS and PM1_EN at once, which ACPICA may
 * make) all do what they should.  Ports base+6 and
 * base+7 hold nothing: they read as all-ones and drop writes, and the
 * timer drops writes.
 *
 * RTC_EN is kept although nothing sets RTC_STS (the RTC alarm matters as a
 * wake event, and encore never sleeps): Linux's rtc-cmos enables the fixed
 * RTC event under ACPI, and ACPICA reports an error if the bit reads back 0.
 */
#include <stdlib.h>
#include <string.h>

#include "encore/hw/acpi_pm.h"
#include "encore/le_bytes.h"

typedef unsigned __int128 u128;

#define NS_PER_SEC 1000000000u
#define TMR_CARRY_SHIFT 23   /* TMR_STS follows bit 23 of the 24-bit count */
#define TMR_MASK 0xffffffu
#define NO_REGISTER 0xff     /* what bytes 6-7 read */

#define STS_LATCHED (ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_RTC | ACPI_PM1_WAK_STS)
#define EN_BITS (ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_RTC)
#define SCI_SOURCES EN_BITS   /* each enabled status is an SCI (the spec's rule) */
#define CNT_STORED (ACPI_PM1_BM_RLD | ACPI_PM1_SLP_TYP)

/* Checkpoints copy the state bytes: no compiler padding may hide in them. */
_Static_assert(sizeof(struct acpi_pm_state) == 2 * 8 + 3 * 2 + 2, "acpi_pm_state has padding");

struct acpi_pm {
	struct acpi_pm_state s;
	struct encore_machine *m;
	unsigned sci_line;
	struct vtimer timer;
};

/* ---- the timer ---- */

/* Ticks of the 3.579545 MHz clock from virtual time 0 to `now`. */
static u64 ticks_at(u64 now)
{
	return (u64)((u128)now * ACPI_PM_TIMER_HZ / NS_PER_SEC);
}

/* The first virtual ns at which ticks_at() reaches `tick`. */
static u64 time_of_tick(u64 tick)
{
	u128 t = ((u128)tick * NS_PER_SEC + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ;
	return t >= VTIMER_OFF ? VTIMER_OFF : (u64)t;
}

/* Bit 23 changes once every 2^23 ticks: set if a change happened since the clear. */
static bool tmr_sts(const struct acpi_pm *p, u64 now)
{
	return ticks_at(now) >> TMR_CARRY_SHIFT != p->s.tmr_clear_tick >> TMR_CARRY_SHIFT;
}

static u16 sts_now(const struct acpi_pm *p, u64 now)
{
	return p->s.sts | (tmr_sts(p, now) ? ACPI_PM1_TMR : 0);
}

/* The next carry, only when TMR_EN waits for it: nothing else needs a timer. */
static u64 tmr_deadline(const struct acpi_pm *p, u64 now)
{
	if (!(p->s.en & ACPI_PM1_TMR) || tmr_sts(p, now))
		return VTIMER_OFF;
	return time_of_tick(((p->s.tmr_clear_tick >> TMR_CARRY_SHIFT) + 1) << TMR_CARRY_SHIFT);
}

/* ---- the SCI ---- */

/* After any change: the SCI follows status & enable, then the timer. */
static void refresh(struct acpi_pm *p, u64 now)
{
	u8 level = (sts_now(p, now) & p->s.en & SCI_SOURCES) != 0;
	if (level != p->s.sci_level) {
		p->s.sci_level = level;
		machine__set_irq(p->m, p->sci_line, level);
	}
	machine__timer_arm(p->m, &p->timer, tmr_deadline(p, now));
}

static void timer_fire(void *opaque, u64 now)
{
	refresh(opaque, now);
}

/* ---- registers ---- */

static u16 cnt_read(const struct acpi_pm *p)
{
	return ACPI_PM1_SCI_EN | (p->s.cnt & CNT_STORED); /* SLP_EN, GBL_RLS: write-only */
}

/* Write-1-to-clear; clearing TMR_STS restarts the wait for a carry from now. */
static void sts_write(struct acpi_pm *p, u16 v, u64 now)
{
	if (v & ACPI_PM1_TMR)
		p->s.tmr_clear_tick = ticks_at(now);
	p->s.sts &= ~(v & STS_LATCHED);
}

/* SCI_EN stays set: there is no legacy mode to return to.  GBL_RLS would
 * signal a BIOS, and there is none.  Only S5 is advertised (DSDT _S5). */
static void cnt_write(struct acpi_pm *p, u16 v)
{
	p->s.cnt = v & CNT_STORED;
	unsigned slp_typ = (v & ACPI_PM1_SLP_TYP) >> ACPI_PM1_SLP_TYP_SHIFT;
	if ((v & ACPI_PM1_SLP_EN) && slp_typ == ACPI_PM_SLP_TYP_S5)
		machine__request_poweroff(p->m);
}

/* The register block as the guest reads it at `now`. */
static void read_block(const struct acpi_pm *p, u64 now, u8 block[ACPI_PM_SIZE])
{
	put16(block + ACPI_PM_STS, sts_now(p, now));
	put16(block + ACPI_PM_EN, p->s.en);
	put16(block + ACPI_PM_CNT, cnt_read(p));
	block[6] = block[7] = NO_REGISTER;
	put32(block + ACPI_PM_TMR, (u32)(ticks_at(now) & TMR_MASK));
}

/* The bytes an access writes into the 16-bit register at `reg`: their
 * value and which of the register's bytes they are; false if none. */
static bool lane(u64 addr, const u8 *data, unsigned len, unsigned reg, u16 *v, u16 *mask)
{
	*v = *mask = 0;
	for (unsigned k = 0; k < 2; k++) {
		u64 off = reg + k;
		if (off < addr || off - addr >= len)
			continue;
		*v |= (u16)(data[off - addr] << 8 * k);
		*mask |= (u16)(0xff << 8 * k);
	}
	return *mask != 0;
}

static void write_block(struct acpi_pm *p, u64 addr, const u8 *data, unsigned len, u64 now)
{
	u16 v, mask;
	if (lane(addr, data, len, ACPI_PM_STS, &v, &mask))
		sts_write(p, v, now);
	if (lane(addr, data, len, ACPI_PM_EN, &v, &mask))
		p->s.en = ((p->s.en & ~mask) | v) & EN_BITS;
	if (lane(addr, data, len, ACPI_PM_CNT, &v, &mask))
		cnt_write(p, (u16)((cnt_read(p) & ~mask) | v));
}

static void pm_io(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
		  unsigned len, bool is_write)
{
	(void)vcpu;
	struct acpi_pm *p = opaque;
	u64 now = machine__now(p->m);
	if (is_write) {
		write_block(p, addr, data, len, now);
		refresh(p, now);
		return;
	}
	u8 block[ACPI_PM_SIZE];
	read_block(p, now, block);
	for (unsigned k = 0; k < len; k++)
		data[k] = addr + k < ACPI_PM_SIZE ? block[addr + k] : NO_REGISTER;
}

/* ---- life cycle ---- */

static void pm_restored(void *dev)
{
	struct acpi_pm *p = dev;
	machine__set_irq(p->m, p->sci_line, p->s.sci_level);
}

/*
 * Registered with the machine first: if wiring it up fails later, the
 * machine still owns it (timers and bus ranges cannot be unregistered).
 */
struct acpi_pm *acpi_pm__create(struct encore_machine *m, u16 base, unsigned sci_line)
{
	struct acpi_pm *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->m = m;
	p->sci_line = sci_line;
	p->s.tmr_clear_tick = ticks_at(machine__now(m));
	p->s.tmr_deadline = VTIMER_OFF;
	struct device d = { .name = "acpi-pm", .state = &p->s, .state_size = sizeof(p->s),
			    .version = 1, .restored = pm_restored, .dev = p };
	if (machine__add_device(m, &d)) {
		free(p);
		return NULL;
	}
	if (machine__timer_add(m, &p->timer, "acpi-pm-timer", timer_fire, p, &p->s.tmr_deadline) ||
	    bus__register(&m->pio, base, ACPI_PM_SIZE, pm_io, p, "acpi-pm"))
		return NULL;
	return p;
}
