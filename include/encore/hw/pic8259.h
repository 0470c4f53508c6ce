/*
 * The PC's pair of 8259A interrupt controllers: the master at ports
 * 0x20/0x21 takes ISA lines 0-7, the slave at 0xa0/0xa1 takes lines 8-15
 * and cascades into the master's IR2.  Ports 0x4d0/0x4d1 are the edge/level
 * control registers (ELCR) of the PIIX/ICH south bridges.
 *
 * The board routes ISA lines into pic8259__set_irq and asks
 * pic8259__intr / pic8259__acknowledge on behalf of the CPU.
 */
#ifndef ENCORE_HW_PIC8259_H
#define ENCORE_HW_PIC8259_H

#include "encore/hw.h"

/* One 8259A.  Every field is guest-visible state; nothing is derived. */
struct pic8259_chip_state {
	u8 irr;          /* interrupt request register */
	u8 isr;          /* in-service register */
	u8 imr;          /* interrupt mask register (OCW1) */
	u8 lines;        /* current level of the IR inputs (edge detection) */
	u8 elcr;         /* ELCR: 1 = level-triggered line */
	u8 vector_base;  /* ICW2 with the low three bits cleared */
	u8 icw1;         /* last ICW1 (LTIM, SNGL, IC4) */
	u8 icw3;         /* master: lines with a slave; slave: its cascade id */
	u8 icw4;         /* AEOI, SFNM, ...; all zero when IC4 was clear */
	u8 init_step;    /* next ICW expected on the data port; 0 when ready */
	u8 lowest;       /* the lowest-priority level (rotation) */
	u8 rotate_aeoi;  /* rotate in automatic-EOI mode */
	u8 special_mask; /* OCW3 special mask mode */
	u8 read_isr;     /* OCW3 RIS: reads of the command port return ISR */
	u8 poll;         /* OCW3 poll: the next command-port read is an INTA */
};

struct pic8259_state {
	struct pic8259_chip_state chip[2]; /* [0] master, [1] slave */
};

struct pic8259;

/* Registers the ports and the device; NULL on failure. */
struct pic8259 *pic8259__create(struct encore_machine *m);
/* Drive ISA line 0..15 (line 2 is the cascade and has no ISA pin). */
void pic8259__set_irq(struct pic8259 *p, unsigned line, bool level);
/* The master's INTR output. */
bool pic8259__intr(struct pic8259 *p);
/* The CPU's INTA cycle: the vector, spurious IR7 (7 or 15) if the
 * request went away; updates IRR and ISR. */
int pic8259__acknowledge(struct pic8259 *p);

#endif
