/*
 * The master/slave 8259A pair of the PC (Intel 8259A datasheet), with
 * the PIIX/ICH edge/level control registers at 0x4d0/0x4d1.
 *
 * Only 8086 mode is modelled: the CPU is an x86, so the MCS-80 CALL
 * sequence never happens and ICW2 always supplies vector bits 7-3.
 */
#include <stdlib.h>

#include "encore/hw/pic8259.h"

#define PIC_MASTER 0
#define PIC_SLAVE 1
#define CASCADE_IR 2
#define SPURIOUS_IR 7

#define MASTER_PORT 0x20
#define SLAVE_PORT 0xa0
#define ELCR_PORT 0x4d0

#define ICW1_IC4 0x01
#define ICW1_SNGL 0x02
#define ICW1_LTIM 0x08
#define ICW1_SELECT 0x10
#define ICW4_AEOI 0x02
#define ICW4_SFNM 0x10
#define OCW3_RIS 0x01
#define OCW3_RR 0x02
#define OCW3_POLL 0x04
#define OCW3_SELECT 0x08
#define OCW3_SMM 0x20
#define OCW3_ESMM 0x40
#define POLL_VALID 0x80

enum { INIT_READY = 0, INIT_ICW2 = 2, INIT_ICW3 = 3, INIT_ICW4 = 4 };

/* OCW2 bits 7-5: R, SL, EOI. */
enum {
	OCW2_ROTATE_AEOI_CLEAR = 0,
	OCW2_EOI = 1,
	OCW2_NOP = 2,
	OCW2_SPECIFIC_EOI = 3,
	OCW2_ROTATE_AEOI_SET = 4,
	OCW2_ROTATE_EOI = 5,
	OCW2_SET_PRIORITY = 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};

/* Lines the south bridge hard-wires to edge: timer, keyboard and cascade
 * on the master, RTC and FPU error on the slave. */
static const u8 elcr_writable[2] = { 0xf8, 0xde };

struct pic8259 {
	struct pic8259_state s;
	struct encore_machine *m;
};

static u8 level_lines(const struct pic8259_chip_state *c)
{
	return (c->icw1 & ICW1_LTIM) ? 0xff : c->elcr;
}

/* Level lines: IRR follows the input.  Edge lines: a rising edge latches
 * IRR, and only acknowledge or re-initialisation clears it. */
static void chip_set_line(struct pic8259_chip_state *c, unsigned ir, bool level)
{
	u8 bit = 1u << ir;
	if (level_lines(c) & bit)
		c->irr = level ? c->irr | bit : c->irr & ~bit;
	else if (level && !(c->lines & bit))
		c->irr |= bit;
	c->lines = level ? c->lines | bit : c->lines & ~bit;
}

/* After a trigger-mode change, level lines take the input's level. */
static void chip_resync_levels(struct pic8259_chip_state *c)
{
	u8 level = level_lines(c);
	c->irr = (c->irr & ~level) | (c->lines & level);
}

static bool cascade_at(const struct pic8259_chip_state *master, unsigned ir)
{
	return !(master->icw1 & ICW1_SNGL) && ir == CASCADE_IR && (master->icw3 & (1u << ir));
}

/*
 * The level this chip presents now, or -1: walking from the highest
 * priority down, the first unmasked request wins unless an in-service
 * level of equal or higher priority comes first.  In special mask mode a
 * masked level in service blocks nothing; in special fully nested mode
 * the master lets a slave's new request through its in-service cascade
 * line (the slave has already ranked it).
 */
static int chip_pending(const struct pic8259_chip_state *c, bool master)
{
	u8 requests = c->irr & ~c->imr;
	u8 blocking = c->special_mask ? c->isr & ~c->imr : c->isr;
	if (!requests)
		return -1;
	for (unsigned k = 1; k <= 8; k++) {
		unsigned ir = (c->lowest + k) & 7;
		u8 bit = 1u << ir;
		if (blocking & bit) {
			bool nested = master && (c->icw4 & ICW4_SFNM) && cascade_at(c, ir);
			return nested && (requests & bit) ? (int)ir : -1;
		}
		if (requests & bit)
			return (int)ir;
	}
	return -1;
}

/* The INTA sequence on one chip for level `ir`. */
static void chip_ack(struct pic8259_chip_state *c, unsigned ir)
{
	u8 bit = 1u << ir;
	c->isr |= bit;
	if (!(level_lines(c) & bit))
		c->irr &= ~bit;
	if (c->icw4 & ICW4_AEOI) {
		c->isr &= ~bit;
		if (c->rotate_aeoi)
			c->lowest = ir;
	}
}

/* Non-specific EOI: the highest-priority level in service ends. */
static void chip_eoi_highest(struct pic8259_chip_state *c, bool rotate)
{
	for (unsigned k = 1; k <= 8; k++) {
		unsigned ir = (c->lowest + k) & 7;
		if (c->isr & (1u << ir)) {
			c->isr &= ~(1u << ir);
			if (rotate)
				c->lowest = ir;
			return;
		}
	}
}

static bool master_intr(const struct pic8259 *p)
{
	return chip_pending(&p->s.chip[PIC_MASTER], true) >= 0;
}

/* The slave's INT output is the master's IR2 input. */
static void propagate_cascade(struct pic8259 *p)
{
	bool slave_int = chip_pending(&p->s.chip[PIC_SLAVE], false) >= 0;
	chip_set_line(&p->s.chip[PIC_MASTER], CASCADE_IR, slave_int);
}

/* Every entry point ends here: bring the cascade up to date and tell the
 * machine if the master's INTR moved. */
static void settle(struct pic8259 *p, bool intr_before)
{
	propagate_cascade(p);
	if (master_intr(p) != intr_before)
		machine__interrupt_changed(p->m);
}

/* ICW1 restarts initialisation: IMR and ISR cleared, edge latches reset
 * (an input already high must fall and rise again), IR7 lowest priority,
 * special mask and poll off, status reads select IRR, ICW4 functions off. */
static void write_icw1(struct pic8259_chip_state *c, u8 v)
{
	c->icw1 = v;
	c->icw3 = 0;
	c->icw4 = 0;
	c->imr = 0;
	c->isr = 0;
	c->irr = 0;
	c->lowest = 7;
	c->rotate_aeoi = 0;
	c->special_mask = 0;
	c->read_isr = 0;
	c->poll = 0;
	c->init_step = INIT_ICW2;
	chip_resync_levels(c);
}

static u8 step_after_icw3(const struct pic8259_chip_state *c)
{
	return (c->icw1 & ICW1_IC4) ? INIT_ICW4 : INIT_READY;
}

/* The data port: the remaining ICWs during initialisation, else OCW1. */
static void write_data(struct pic8259_chip_state *c, u8 v)
{
	switch (c->init_step) {
	case INIT_ICW2:
		c->vector_base = v & 0xf8;
		c->init_step = (c->icw1 & ICW1_SNGL) ? step_after_icw3(c) : INIT_ICW3;
		break;
	case INIT_ICW3:
		c->icw3 = v;
		c->init_step = step_after_icw3(c);
		break;
	case INIT_ICW4:
		c->icw4 = v;
		c->init_step = INIT_READY;
		break;
	default:
		c->imr = v;
		break;
	}
}

static void write_ocw2(struct pic8259_chip_state *c, u8 v)
{
	unsigned ir = v & 7;
	switch (v >> 5) {
	case OCW2_EOI: chip_eoi_highest(c, false); break;
	case OCW2_ROTATE_EOI: chip_eoi_highest(c, true); break;
	case OCW2_SPECIFIC_EOI: c->isr &= ~(1u << ir); break;
	case OCW2_ROTATE_SPECIFIC_EOI:
		c->isr &= ~(1u << ir);
		c->lowest = ir;
		break;
	case OCW2_SET_PRIORITY: c->lowest = ir; break;
	case OCW2_ROTATE_AEOI_SET: c->rotate_aeoi = 1; break;
	case OCW2_ROTATE_AEOI_CLEAR: c->rotate_aeoi = 0; break;
	default: break; /* OCW2_NOP */
	}
}

static void write_ocw3(struct pic8259_chip_state *c, u8 v)
{
	if (v & OCW3_ESMM)
		c->special_mask = !!(v & OCW3_SMM);
	if (v & OCW3_RR)
		c->read_isr = v & OCW3_RIS;
	c->poll = !!(v & OCW3_POLL);
}

static void write_command(struct pic8259_chip_state *c, u8 v)
{
	if (v & ICW1_SELECT)
		write_icw1(c, v);
	else if (v & OCW3_SELECT)
		write_ocw3(c, v);
	else
		write_ocw2(c, v);
}

/* Poll mode: the read is this chip's own INTA; bit 7 says whether there
 * was a request, bits 2-0 which.  (A master reporting its cascade line
 * leaves the slave to be polled separately, as on the real pair.) */
static u8 poll_read(struct pic8259 *p, unsigned idx)
{
	struct pic8259_chip_state *c = &p->s.chip[idx];
	int ir = chip_pending(c, idx == PIC_MASTER);
	if (ir < 0)
		return 0;
	chip_ack(c, (unsigned)ir);
	return POLL_VALID | (u8)ir;
}

static u8 chip_read(struct pic8259 *p, unsigned idx, unsigned a0)
{
	struct pic8259_chip_state *c = &p->s.chip[idx];
	if (a0)
		return c->imr;
	if (c->poll) {
		c->poll = 0;
		return poll_read(p, idx);
	}
	return c->read_isr ? c->isr : c->irr;
}

static void chip_io(struct pic8259 *p, unsigned idx, u64 addr, u8 *data, unsigned len,
		    bool is_write)
{
	bool before = master_intr(p);
	for (unsigned k = 0; k < len; k++) {
		u64 a0 = addr + k;
		if (a0 > 1) {
			if (!is_write)
				data[k] = 0xff; /* beyond the chip: nothing drives the bus */
		} else if (is_write) {
			if (a0 == 0)
				write_command(&p->s.chip[idx], data[k]);
			else
				write_data(&p->s.chip[idx], data[k]);
		} else {
			data[k] = chip_read(p, idx, (unsigned)a0);
		}
		/* A slave change seen by the next byte's master access. */
		propagate_cascade(p);
	}
	settle(p, before);
}

static void master_io(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
		      unsigned len, bool is_write)
{
	(void)vcpu;
	chip_io(opaque, PIC_MASTER, addr, data, len, is_write);
}

static void slave_io(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
		     unsigned len, bool is_write)
{
	(void)vcpu;
	chip_io(opaque, PIC_SLAVE, addr, data, len, is_write);
}

static void elcr_io(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
		    unsigned len, bool is_write)
{
	(void)vcpu;
	struct pic8259 *p = opaque;
	bool before = master_intr(p);
	for (unsigned k = 0; k < len; k++) {
		u64 idx = addr + k;
		if (idx > 1) {
			if (!is_write)
				data[k] = 0xff;
		} else if (is_write) {
			struct pic8259_chip_state *c = &p->s.chip[idx];
			c->elcr = data[k] & elcr_writable[idx];
			chip_resync_levels(c);
		} else {
			data[k] = p->s.chip[idx].elcr;
		}
	}
	settle(p, before);
}

void pic8259__set_irq(struct pic8259 *p, unsigned line, bool level)
{
	/* Line 2 is the cascade: on the AT the ISA pin called IRQ2 is IRQ9. */
	if (line > 15 || line == CASCADE_IR)
		return;
	bool before = master_intr(p);
	chip_set_line(&p->s.chip[line >> 3], line & 7, level);
	settle(p, before);
}

bool pic8259__intr(struct pic8259 *p)
{
	return master_intr(p);
}

/* The slave half of a cascaded INTA: its vector, or its IR7 if its
 * request went away after it raised INT. */
static int acknowledge_slave(struct pic8259 *p)
{
	struct pic8259_chip_state *slave = &p->s.chip[PIC_SLAVE];
	int ir = chip_pending(slave, false);
	if (ir < 0)
		return slave->vector_base + SPURIOUS_IR;
	chip_ack(slave, (unsigned)ir);
	return slave->vector_base + ir;
}

int pic8259__acknowledge(struct pic8259 *p)
{
	struct pic8259_chip_state *master = &p->s.chip[PIC_MASTER];
	bool before = master_intr(p);
	int ir = chip_pending(master, true);
	int vector;
	if (ir < 0) {
		/* Spurious: IR7's vector and no in-service bit. */
		vector = master->vector_base + SPURIOUS_IR;
	} else {
		chip_ack(master, (unsigned)ir);
		vector = cascade_at(master, (unsigned)ir) ? acknowledge_slave(p)
							  : master->vector_base + ir;
	}
	settle(p, before);
	return vector;
}

static void pic_restored(void *dev)
{
	struct pic8259 *p = dev;
	/* The CPU side may have seen a different INTR before the restore. */
	machine__interrupt_changed(p->m);
}

/* Before the guest programs it, a chip delivers nothing: all lines masked. */
static void power_on(struct pic8259 *p)
{
	for (unsigned idx = 0; idx < 2; idx++) {
		p->s.chip[idx].imr = 0xff;
		p->s.chip[idx].lowest = 7;
	}
}

static int register_ports(struct pic8259 *p)
{
	struct bus *pio = &p->m->pio;
	if (bus__register(pio, MASTER_PORT, 2, master_io, p, "pic8259-master"))
		return -1;
	if (bus__register(pio, SLAVE_PORT, 2, slave_io, p, "pic8259-slave"))
		return -1;
	return bus__register(pio, ELCR_PORT, 2, elcr_io, p, "pic8259-elcr");
}

struct pic8259 *pic8259__create(struct encore_machine *m)
{
	struct pic8259 *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->m = m;
	power_on(p);
	struct device dev = {
		.name = "pic8259",
		.state = &p->s,
		.state_size = sizeof(p->s),
		.restored = pic_restored,
		.dev = p,
	};
	if (machine__add_device(m, &dev)) {
		free(p);
		return NULL;
	}
	/* From here the machine owns p and frees it on destroy. */
	if (register_ports(p))
		return NULL;
	return p;
}
