/*
 * The 8259A pair through its ports, as Linux drives it: initialisation,
 * vectors, nested priority and EOI, the cascade, edge versus level
 * (ELCR), spurious IR7/IR15, poll, special masks, rotation, AEOI, bad
 * input, and a state copy into a second machine.
 */
#include <string.h>

#include "check.h"
#include "encore/hw/pic8259.h"

#define MASTER_CMD 0x20
#define MASTER_DATA 0x21
#define SLAVE_CMD 0xa0
#define SLAVE_DATA 0xa1
#define ELCR0 0x4d0
#define ELCR1 0x4d1
#define BASE_MASTER 0x30
#define BASE_SLAVE 0x38
#define OCW3_READ_IRR 0x0a
#define OCW3_READ_ISR 0x0b
#define OCW3_POLL 0x0c
#define EOI 0x20

/* The board's wiring: ISA lines straight into the pair. */
static void route_irq(void *opaque, unsigned line, bool level)
{
	pic8259__set_irq(opaque, line, level);
}

static struct encore_machine *board(struct pic8259 **p)
{
	struct encore_machine *m = machine__create(&arch_x86_64, 1 << 20, 1);
	*p = pic8259__create(m);
	m->irq.set_irq = route_irq;
	m->irq.opaque = *p;
	return m;
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

static u8 read_reg(struct encore_machine *m, u16 cmd, u8 ocw3)
{
	outb(m, cmd, ocw3);
	return inb(m, cmd);
}

/* init_8259A() with vectors 0x30/0x38; `icw4_master` selects AEOI or SFNM. */
static void linux_init(struct encore_machine *m, u8 icw4_master)
{
	outb(m, MASTER_DATA, 0xff);
	outb(m, SLAVE_DATA, 0xff);
	outb(m, MASTER_CMD, 0x11);
	outb(m, MASTER_DATA, BASE_MASTER);
	outb(m, MASTER_DATA, 1 << 2);
	outb(m, MASTER_DATA, icw4_master);
	outb(m, SLAVE_CMD, 0x11);
	outb(m, SLAVE_DATA, BASE_SLAVE);
	outb(m, SLAVE_DATA, 2);
	outb(m, SLAVE_DATA, 0x01);
	outb(m, MASTER_DATA, 0x00);
	outb(m, SLAVE_DATA, 0x00);
}

static void pulse(struct encore_machine *m, unsigned line)
{
	machine__set_irq(m, line, true);
	machine__set_irq(m, line, false);
}

static void test_linux_init(void)
{
	check_group("init");
	struct pic8259 *p;
	struct encore_machine *m = board(&p);
	CHECK(p != NULL, "created");
	CHECK(inb(m, MASTER_DATA) == 0xff && inb(m, SLAVE_DATA) == 0xff, "masked at power-on");
	pulse(m, 1);
	CHECK(!pic8259__intr(p), "nothing delivered before programming");
	linux_init(m, 0x01);
	/* probe_8259A(): the mask reads back. */
	outb(m, MASTER_DATA, 0xff);
	CHECK(inb(m, MASTER_DATA) == 0xff, "IMR readback 0xff");
	outb(m, MASTER_DATA, 0x5a);
	CHECK(inb(m, MASTER_DATA) == 0x5a, "IMR readback 0x5a");
	outb(m, MASTER_DATA, 0);
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_IRR) == 0, "ICW1 cleared the edge latched before");
	m->irq_changed = false;
	pulse(m, 1);
	CHECK(pic8259__intr(p), "IRQ1 raises INTR");
	CHECK(m->irq_changed, "the machine was told");
	int v = pic8259__acknowledge(p);
	CHECK(v == BASE_MASTER + 1, "vector %#x", v);
	CHECK(!pic8259__intr(p), "INTR drops after INTA");
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_ISR) == 0x02, "ISR bit 1");
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_IRR) == 0x00, "IRR cleared by INTA");
	CHECK(inb(m, MASTER_CMD) == 0x00, "read selection sticks (IRR)");
	outb(m, MASTER_CMD, EOI);
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_ISR) == 0, "EOI clears ISR");
	machine__destroy(m);
}

static void test_priority_and_eoi(void)
{
	check_group("priority");
	struct pic8259 *p;
	struct encore_machine *m = board(&p);
	linux_init(m, 0x01);
	pulse(m, 5);
	pulse(m, 3);
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 3, "3 before 5");
	CHECK(!pic8259__intr(p), "5 waits while 3 is in service");
	pulse(m, 1);
	CHECK(pic8259__intr(p), "1 nests over 3");
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 1, "then 1");
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_ISR) == 0x0a, "ISR 1 and 3");
	outb(m, MASTER_CMD, EOI);
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_ISR) == 0x08, "non-specific EOI ends 1 first");
	CHECK(!pic8259__intr(p), "5 still blocked by 3");
	outb(m, MASTER_CMD, 0x60 | 3); /* specific EOI */
	CHECK(pic8259__intr(p), "5 released");
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 5, "then 5");
	outb(m, MASTER_CMD, EOI);
	/* Masking keeps IRR but hides the request. */
	outb(m, MASTER_DATA, 0x10);
	pulse(m, 4);
	CHECK(!pic8259__intr(p), "masked");
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_IRR) == 0x10, "still requested");
	outb(m, MASTER_DATA, 0);
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 4, "unmasked request delivered");
	machine__destroy(m);
}

static void test_cascade(void)
{
	check_group("cascade");
	struct pic8259 *p;
	struct encore_machine *m = board(&p);
	linux_init(m, 0x01);
	pulse(m, 12);
	CHECK(pic8259__intr(p), "slave request reaches INTR");
	CHECK(pic8259__acknowledge(p) == BASE_SLAVE + 4, "IRQ12 vector");
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_ISR) == 0x04, "master: IR2 in service");
	CHECK(read_reg(m, SLAVE_CMD, OCW3_READ_ISR) == 0x10, "slave: IR4 in service");
	outb(m, SLAVE_CMD, EOI);
	outb(m, MASTER_CMD, EOI);
	/* Two slave lines: 8 first, 12 after both EOIs. */
	pulse(m, 12);
	pulse(m, 8);
	CHECK(pic8259__acknowledge(p) == BASE_SLAVE + 0, "IRQ8 first");
	outb(m, SLAVE_CMD, EOI);
	CHECK(!pic8259__intr(p), "master IR2 still in service");
	outb(m, MASTER_CMD, EOI);
	CHECK(pic8259__intr(p), "IRQ12 after the master EOI");
	CHECK(pic8259__acknowledge(p) == BASE_SLAVE + 4, "IRQ12");
	outb(m, SLAVE_CMD, EOI);
	outb(m, MASTER_CMD, EOI);
	/* Master IRQ1 outranks the whole slave, IRQ3 does not. */
	pulse(m, 3);
	pulse(m, 9);
	pulse(m, 1);
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 1, "1 first");
	CHECK(!pic8259__intr(p), "the cascade ranks below 1 in service");
	outb(m, MASTER_CMD, EOI);
	CHECK(pic8259__acknowledge(p) == BASE_SLAVE + 1, "then 9, through IR2");
	outb(m, SLAVE_CMD, EOI);
	outb(m, MASTER_CMD, EOI);
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 3, "then 3");
	/* The line 2 pin does not exist on the AT. */
	struct pic8259 *q;
	struct encore_machine *m2 = board(&q);
	linux_init(m2, 0x01);
	pic8259__set_irq(q, 2, true);
	pic8259__set_irq(q, 16, true);
	pic8259__set_irq(q, 1000, true);
	CHECK(!pic8259__intr(q), "line 2 and out-of-range lines ignored");
	machine__destroy(m2);
	machine__destroy(m);
}

static void test_edge_and_level(void)
{
	check_group("edge-level");
	struct pic8259 *p;
	struct encore_machine *m = board(&p);
	linux_init(m, 0x01);
	machine__set_irq(m, 3, true);
	machine__set_irq(m, 3, false);
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_IRR) == 0x08, "edge: lowering keeps IRR");
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 3, "edge delivered");
	outb(m, MASTER_CMD, EOI);
	machine__set_irq(m, 3, true);
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 3, "rising edge");
	outb(m, MASTER_CMD, EOI);
	CHECK(!pic8259__intr(p), "edge: a line held high asks once");
	machine__set_irq(m, 3, false);
	/* ELCR: forced-edge lines read as 0. */
	outb(m, ELCR0, 0xff);
	outb(m, ELCR1, 0xff);
	CHECK(inb(m, ELCR0) == 0xf8, "ELCR0 %#x", inb(m, ELCR0));
	CHECK(inb(m, ELCR1) == 0xde, "ELCR1 %#x", inb(m, ELCR1));
	outb(m, ELCR0, 0x08);
	outb(m, ELCR1, 0x00);
	machine__set_irq(m, 3, true);
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_IRR) == 0x08, "level: IRR follows the line up");
	machine__set_irq(m, 3, false);
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_IRR) == 0x00, "level: and down");
	CHECK(!pic8259__intr(p), "level: no request left");
	machine__set_irq(m, 3, true);
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 3, "level delivered");
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_IRR) == 0x08, "level: INTA keeps IRR");
	outb(m, MASTER_CMD, EOI);
	CHECK(pic8259__intr(p), "level: still high after EOI asks again");
	machine__set_irq(m, 3, false);
	CHECK(!pic8259__intr(p), "level: gone with the line");
	/* Switching a high line to level mode makes it a request. */
	outb(m, ELCR0, 0x00);
	machine__set_irq(m, 6, true);
	pic8259__acknowledge(p);
	outb(m, MASTER_CMD, EOI);
	CHECK(!pic8259__intr(p), "edge line high, served");
	outb(m, ELCR0, 0x40);
	CHECK(pic8259__intr(p), "level again: the high line requests");
	machine__set_irq(m, 6, false);
	/* ICW1's LTIM makes every line level-triggered. */
	outb(m, ELCR0, 0x00);
	outb(m, MASTER_CMD, 0x19);
	outb(m, MASTER_DATA, BASE_MASTER);
	outb(m, MASTER_DATA, 0x04);
	outb(m, MASTER_DATA, 0x01);
	outb(m, MASTER_DATA, 0x00);
	machine__set_irq(m, 5, true);
	CHECK(pic8259__intr(p), "LTIM: high line requests");
	machine__set_irq(m, 5, false);
	CHECK(!pic8259__intr(p), "LTIM: IRR follows the line down");
	machine__destroy(m);
}

static void test_spurious(void)
{
	check_group("spurious");
	struct pic8259 *p;
	struct encore_machine *m = board(&p);
	linux_init(m, 0x01);
	outb(m, ELCR0, 0x08);
	outb(m, ELCR1, 0x04);
	machine__set_irq(m, 3, true);
	CHECK(pic8259__intr(p), "level IRQ3 requests");
	machine__set_irq(m, 3, false);
	int v = pic8259__acknowledge(p);
	CHECK(v == BASE_MASTER + 7, "master spurious %#x", v);
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_ISR) == 0, "no ISR bit for a spurious IR7");
	machine__set_irq(m, 10, true);
	CHECK(pic8259__intr(p), "level IRQ10 requests");
	machine__set_irq(m, 10, false);
	v = pic8259__acknowledge(p);
	CHECK(v == BASE_SLAVE + 7, "slave spurious %#x", v);
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_ISR) == 0x04, "master IR2 in service");
	CHECK(read_reg(m, SLAVE_CMD, OCW3_READ_ISR) == 0x00, "slave nothing in service");
	outb(m, MASTER_CMD, EOI);
	/* A request masked between INTR and INTA. */
	pulse(m, 4);
	outb(m, MASTER_DATA, 0x10);
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 7, "masked in between: IR7");
	machine__destroy(m);
}

static void test_poll_smm_rotation(void)
{
	check_group("poll-smm-rotate");
	struct pic8259 *p;
	struct encore_machine *m = board(&p);
	linux_init(m, 0x01);
	CHECK(read_reg(m, MASTER_CMD, OCW3_POLL) == 0x00, "poll with no request");
	pulse(m, 6);
	u8 v = read_reg(m, MASTER_CMD, OCW3_POLL);
	CHECK(v == 0x86, "poll word %#x", v);
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_ISR) == 0x40, "poll acknowledged IR6");
	CHECK(inb(m, MASTER_CMD) == 0x40, "poll lasts one read");
	outb(m, MASTER_CMD, EOI);
	/* Special mask mode: a masked in-service level stops blocking. */
	pulse(m, 3);
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 3, "3 in service");
	pulse(m, 5);
	CHECK(!pic8259__intr(p), "5 blocked");
	outb(m, MASTER_CMD, 0x68);
	outb(m, MASTER_DATA, 0x08);
	CHECK(pic8259__intr(p), "SMM with 3 masked lets 5 in");
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 5, "5");
	outb(m, MASTER_CMD, 0x48);
	outb(m, MASTER_DATA, 0x00);
	outb(m, MASTER_CMD, 0x60 | 5);
	outb(m, MASTER_CMD, 0x60 | 3);
	/* Rotate on non-specific EOI: the served level becomes lowest. */
	pulse(m, 1);
	pic8259__acknowledge(p);
	outb(m, MASTER_CMD, 0xa0);
	pulse(m, 0);
	pulse(m, 4);
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 4, "after rotation 4 outranks 0");
	pulse(m, 3);
	outb(m, MASTER_CMD, 0xe0 | 4); /* rotate on specific EOI: 4 lowest */
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_ISR) == 0, "specific rotate ended 4");
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 0, "0 now outranks 3");
	outb(m, MASTER_CMD, EOI);
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 3, "then 3");
	outb(m, MASTER_CMD, EOI);
	/* Set priority: 5 lowest, so 3 beats 5 again. */
	outb(m, MASTER_CMD, 0xc0 | 5);
	pulse(m, 5);
	pulse(m, 3);
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 3, "set priority");
	outb(m, MASTER_CMD, 0x40); /* no operation */
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_ISR) == 0x08, "NOP changed nothing");
	machine__destroy(m);
}

static void test_aeoi_sfnm_single(void)
{
	check_group("aeoi-sfnm-single");
	struct pic8259 *p;
	struct encore_machine *m = board(&p);
	linux_init(m, 0x03);
	pulse(m, 1);
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 1, "AEOI vector");
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_ISR) == 0, "AEOI leaves nothing in service");
	outb(m, MASTER_CMD, 0x80); /* rotate in AEOI */
	pulse(m, 1);
	pic8259__acknowledge(p);
	pulse(m, 0);
	pulse(m, 3);
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 3, "1 went lowest: 3 beats 0");
	outb(m, MASTER_CMD, 0x00); /* rotate in AEOI off: 3 stays lowest */
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 0, "0");
	pulse(m, 1);
	pulse(m, 4);
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 4, "no rotation after 0: 4 beats 1");
	pic8259__acknowledge(p);
	/* Special fully nested: a higher slave request passes master IR2 in service. */
	linux_init(m, 0x11);
	pulse(m, 12);
	CHECK(pic8259__acknowledge(p) == BASE_SLAVE + 4, "12 in service");
	pulse(m, 9);
	CHECK(pic8259__intr(p), "SFNM: 9 gets through");
	CHECK(pic8259__acknowledge(p) == BASE_SLAVE + 1, "9");
	linux_init(m, 0x01);
	pulse(m, 12);
	pic8259__acknowledge(p);
	pulse(m, 9);
	CHECK(!pic8259__intr(p), "fully nested: 9 waits for the master EOI");
	/* Single mode without ICW4: ICW2 then straight to OCW1. */
	outb(m, MASTER_CMD, 0x12);
	outb(m, MASTER_DATA, 0x40);
	outb(m, MASTER_DATA, 0xfe);
	CHECK(inb(m, MASTER_DATA) == 0xfe, "third byte was OCW1");
	pulse(m, 0);
	CHECK(pic8259__acknowledge(p) == 0x40, "single-mode vector");
	CHECK(read_reg(m, MASTER_CMD, OCW3_READ_ISR) == 0x01, "no AEOI without ICW4");
	/* Re-initialisation mid-sequence restarts it. */
	outb(m, MASTER_CMD, 0x11);
	outb(m, MASTER_DATA, 0x50);
	outb(m, MASTER_CMD, 0x11);
	outb(m, MASTER_DATA, 0x60);
	outb(m, MASTER_DATA, 0x04);
	outb(m, MASTER_DATA, 0x01);
	outb(m, MASTER_DATA, 0x00);
	pulse(m, 5);
	CHECK(pic8259__acknowledge(p) == 0x65, "restarted init uses the last ICW2");
	machine__destroy(m);
}

/* Random bytes at every port and random lines must never crash, and a
 * fresh initialisation afterwards behaves. */
static void test_garbage(void)
{
	check_group("garbage");
	struct pic8259 *p;
	struct encore_machine *m = board(&p);
	struct rng r;
	rng_seed(&r, check_seed(0x8259));
	static const u16 ports[] = { MASTER_CMD, MASTER_DATA, SLAVE_CMD, SLAVE_DATA, ELCR0, ELCR1 };
	bool in_range = true;
	for (int i = 0; i < 200000; i++) {
		u16 port = ports[rng_below(&r, 6)];
		u8 buf[4];
		rng_fill(&r, buf, sizeof(buf));
		unsigned len = 1u << rng_below(&r, 3);
		switch (rng_below(&r, 4)) {
		case 0: bus__access(&m->pio, NULL, port, buf, len, true); break;
		case 1: bus__access(&m->pio, NULL, port, buf, len, false); break;
		case 2: pic8259__set_irq(p, (unsigned)rng_below(&r, 20), rng_chance(&r, 1, 2)); break;
		default:
			if (pic8259__intr(p)) {
				int v = pic8259__acknowledge(p);
				in_range &= v >= 0 && v <= 255;
			}
			break;
		}
	}
	CHECK(in_range, "vectors are bytes");
	for (unsigned line = 0; line < 16; line++)
		machine__set_irq(m, line, false);
	outb(m, ELCR0, 0);
	outb(m, ELCR1, 0);
	linux_init(m, 0x01);
	outb(m, MASTER_CMD, 0xc7); /* default priority */
	pulse(m, 1);
	CHECK(pic8259__acknowledge(p) == BASE_MASTER + 1, "sane after garbage");
	machine__destroy(m);
}

static void test_state_copy(void)
{
	check_group("state-copy");
	struct pic8259 *p, *q;
	struct encore_machine *m = board(&p);
	struct encore_machine *m2 = board(&q);
	linux_init(m, 0x01);
	outb(m, ELCR1, 0x08); /* IRQ11 level-triggered */
	pulse(m, 4);
	pulse(m, 6);
	machine__set_irq(m, 11, true);
	pic8259__acknowledge(p); /* 11 in service via the cascade */
	struct device *a = machine__find_device(m, "pic8259"), *b = machine__find_device(m2, "pic8259");
	CHECK(a && b && a->state_size == sizeof(struct pic8259_state), "device registered");
	if (!a || !b) {
		machine__destroy(m);
		machine__destroy(m2);
		return;
	}
	m2->irq_changed = false;
	device__restore(b, a->state);
	CHECK(m2->irq_changed, "restored re-evaluates INTR");
	CHECK(pic8259__intr(q) == pic8259__intr(p), "same INTR");
	int same = 0;
	for (int i = 0; i < 4; i++) {
		outb(m, SLAVE_CMD, EOI);
		outb(m, MASTER_CMD, EOI);
		outb(m2, SLAVE_CMD, EOI);
		outb(m2, MASTER_CMD, EOI);
		same += pic8259__acknowledge(p) == pic8259__acknowledge(q);
	}
	CHECK(same == 4, "same vectors after the copy (%d/4)", same);
	machine__set_irq(m, 11, false);
	machine__set_irq(m2, 11, false);
	CHECK(read_reg(m, SLAVE_CMD, OCW3_READ_IRR) == read_reg(m2, SLAVE_CMD, OCW3_READ_IRR),
	      "the copied line level drops alike");
	machine__destroy(m);
	machine__destroy(m2);
}

int main(void)
{
	test_linux_init();
	test_priority_and_eoi();
	test_cascade();
	test_edge_and_level();
	test_spurious();
	test_poll_smm_rotation();
	test_aeoi_sfnm_single();
	test_garbage();
	test_state_copy();
	check_group_end();
	return check_summary();
}
