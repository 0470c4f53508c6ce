/*
 * An Arm PrimeCell PL031 real-time clock, revision r1 (with RTCCR), as on
 * the QEMU-virt style AArch64 board: a 32-bit seconds counter, a match
 * register raising one level-triggered interrupt line, and the PrimeCell
 * ID registers Linux's AMBA bus matches rtc-pl031 by.
 * The count is derived from virtual time, never from the host clock.
 */
#ifndef ARM64_HW_PL031_H
#define ARM64_HW_PL031_H

#include "encore/hw.h"

#define PL031_SIZE 0x1000ull
/* PeriphID (part 0x031, designer 0x41 = Arm, revision 1) and PCellID. */
#define PL031_PERIPH_ID 0x00141031u
#define PL031_CELL_ID 0xb105f00du

/* Register offsets (PL031 TRM, "Summary of registers"). */
enum pl031_reg {
	PL031_DR = 0x000,   /* data: the count, read-only */
	PL031_MR = 0x004,   /* match */
	PL031_LR = 0x008,   /* load: sets the count; reads the last value written */
	PL031_CR = 0x00c,   /* control: bit 0 RTCStart */
	PL031_IMSC = 0x010, /* interrupt mask set/clear: bit 0 */
	PL031_RIS = 0x014,  /* raw interrupt status: bit 0, the match */
	PL031_MIS = 0x018,  /* RIS & IMSC */
	PL031_ICR = 0x01c,  /* interrupt clear, write-only */
	PL031_PERIPH_ID0 = 0xfe0, /* PeriphID0-3, then PCellID0-3 at 0xff0 */
};

/* Everything the guest can observe; a checkpoint saves these bytes. */
struct pl031_state {
	u64 load_ns;        /* virtual ns at which the count was load_count */
	u64 match_deadline; /* when the count next becomes RTCMR, or VTIMER_OFF */
	u32 load_count;     /* the boot epoch, then the value of the last RTCLR write */
	u32 mr, lr;
	u8 imsc, ris;
	u8 irq_level;       /* what the interrupt line is driven to */
	u8 reserved;        /* keeps the layout free of compiler padding */
};

struct pl031;

/*
 * A PL031 at MMIO `base` (PL031_SIZE bytes) driving interrupt line `irq`
 * (machine__set_irq; on the board an SPI number).  The count starts at
 * `epoch` (wall-clock Unix seconds at virtual time 0, encore's --rtc;
 * taken modulo 2^32) and advances with virtual time.  Registered as
 * device "pl031"; the machine owns it.  NULL on failure.
 */
struct pl031 *pl031__create(struct encore_machine *m, u64 base, unsigned irq, i64 epoch);

#endif
