/*
 * The PC's MC146818 real-time clock and CMOS RAM at ports 0x70/0x71,
 * on ISA IRQ 8.  Its time runs on virtual time, so every run of a guest
 * reads the same clock at the same instruction.
 */
#ifndef ENCORE_HW_RTC_CMOS_H
#define ENCORE_HW_RTC_CMOS_H

#include "encore/hw.h"

#define RTC_CMOS_SIZE 128

/* Everything the guest can observe; a checkpoint saves these bytes. */
struct rtc_cmos_state {
	i64 wall_offset_ns;     /* wall-clock ns minus virtual ns: the time and
				 * the divider's phase (kept while SET holds
				 * the time registers) */
	u64 flags_until_ns;     /* PF/AF/UF are accounted up to this virtual time */
	u64 periodic_deadline;  /* periodic-interrupt timer, or VTIMER_OFF */
	u64 update_deadline;    /* update-ended / alarm timer, or VTIMER_OFF */
	u8 cmos[RTC_CMOS_SIZE]; /* registers A-C and RAM; the time registers
				 * hold the time while the clock is stopped */
	u8 index;               /* port 0x70, bits 0-6 */
	u8 weekday_offset;      /* guest-set weekday minus the date's, mod 7 */
	bool nmi_masked;        /* port 0x70 bit 7 (no NMI source exists) */
	bool irq_level;
};

struct rtc_cmos;

/*
 * The RTC showing boot_epoch_seconds (Unix time, UTC) at the current
 * virtual time; the machine owns and destroys it.  Wall time is kept in
 * signed 64-bit ns, which covers the years 1678 to 2262.
 */
struct rtc_cmos *rtc_cmos__create(struct encore_machine *m, i64 boot_epoch_seconds);

#endif
