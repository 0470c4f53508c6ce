/*
 * The 8254 programmable interval timer at ports 0x40-0x43 and the AT's
 * port 0x61 (channel 2 gate, speaker data, refresh toggle, OUT2).
 *
 * Counters are functions of virtual time: the 1.193182 MHz input clock
 * ticks at fixed instants (pulse n happens at the first nanosecond
 * >= n * 10^9 / 1193182), so a counter's value and output at any moment
 * follow exactly from the pulse at which its count was loaded.
 * Channel 0's OUT drives ISA IRQ 0.
 */
#ifndef ENCORE_HW_PIT8254_H
#define ENCORE_HW_PIT8254_H

#include "encore/hw.h"

/*
 * One counter.  While it counts, the counting element (CE) holds `start`
 * at CLK pulse `anchor` and evolves from there by the rules of its mode;
 * see pit8254.c for the exact meaning of each field.
 */
struct pit8254_counter_state {
	u64 anchor;       /* CLK pulse at which the current run began */
	u64 pending_at;   /* modes 2/3: pulse at which a rewritten count takes over */
	u32 start;        /* modes 0/1/4/5: clocks to terminal count at anchor;
			   * modes 2/3: the period in clocks */
	u32 phase;        /* modes 2/3: position within the period at anchor */
	u32 hold;         /* the CE while not counting (or before anchor) */
	u16 count;        /* count register as written (0 = the maximum) */
	u16 latch;        /* output latch (counter latch / read-back) */
	u8 ctrl;          /* low six bits of the last control word */
	u8 run;           /* idle, counting, or stopped by the gate */
	u8 done;          /* modes 0/1/4/5: terminal count passed before anchor */
	u8 out_idle;      /* OUT while not counting */
	u8 cr_valid;      /* a whole count was written since the control word */
	u8 pending;       /* modes 2/3: a rewritten count waits for pending_at */
	u8 pending_low;   /* ... and starts with OUT low (mode 3 half-cycle) */
	u8 write_msb;     /* byte flip-flops for LSB-then-MSB access */
	u8 read_msb;
	u8 latch_lsb;     /* latched bytes not yet read */
	u8 latch_msb;
	u8 status;        /* latched read-back status */
	u8 status_latched;
	u8 null_count;    /* a written count is not yet in the CE */
	u8 gate;
	u8 load_at_anchor;/* the count register enters the CE at `anchor` */
};

struct pit8254_state {
	struct pit8254_counter_state ch[3];
	u64 irq_deadline; /* ns of channel 0's next OUT rising edge, or VTIMER_OFF */
	u8 port61;        /* bits 3-0 of port 0x61 as last written */
	u8 irq_level;     /* level currently driven on IRQ 0 */
	u8 reserved[6];
};

struct pit8254;

/* Registers ports 0x40-0x43 and 0x61, the timer and the device; NULL on failure. */
struct pit8254 *pit8254__create(struct encore_machine *m);

#endif
