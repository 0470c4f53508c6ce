/*
 * The I/O APIC on a machine with no engine, its messages caught by a fake
 * sink: the ID, version and arbitration registers, write masks, unknown
 * indices and odd accesses, every entry field reaching the message, edge
 * and level delivery with remote IRR and EOI, Linux's remote-IRR clearing
 * sequence, pin independence, and a checkpoint restored into a second
 * machine.
 */
#include <limits.h>
#include <string.h>

#include "check.h"
#include "encore/hw/ioapic.h"

#define REG_ID 0x00
#define REG_VER 0x01
#define REG_ARB 0x02
#define VER_VALUE 0x00170011u

#define DELIVERY(m) ((u32)(m) << 8)
#define LOGICAL (1u << 11)
#define POLARITY_LOW (1u << 13)
#define REMOTE_IRR (1u << 14)
#define LEVEL (1u << 15)
#define MASKED (1u << 16)

#define MAX_MSGS 64

/* Where redirection entry n lies in the saved state bytes (the layout of
 * the device's private struct ioapic_state: four u32, then the entries). */
#define STATE_ENTRY(n) (16 + 8 * (n))

struct fake_sink {
	struct apic_msg msg[MAX_MSGS];
	unsigned n;
};

static void sink_send(void *opaque, const struct apic_msg *m)
{
	struct fake_sink *s = opaque;
	if (s->n < MAX_MSGS)
		s->msg[s->n] = *m;
	s->n++;
}

struct rig {
	struct encore_machine *m;
	struct ioapic *io;
	struct fake_sink sink;
};

/* `r` must stay put: the I/O APIC keeps a pointer to r->sink. */
static void rig_init_sink(struct rig *r, u8 id, bool with_sink)
{
	memset(r, 0, sizeof(*r));
	r->m = machine__create(&arch_x86_64, 1 << 20, 1);
	struct apic_sink sink = { sink_send, &r->sink };
	r->io = ioapic__create(r->m, id, with_sink ? &sink : NULL);
}

static void rig_init(struct rig *r, u8 id)
{
	rig_init_sink(r, id, true);
}

static void rig_done(struct rig *r)
{
	machine__destroy(r->m);
}

static struct device *rig_device(struct rig *r)
{
	return machine__find_device(r->m, "ioapic");
}

static u32 rd(struct rig *r, unsigned off)
{
	u8 b[4];
	bus__access(&r->m->mmio, NULL, IOAPIC_BASE + off, b, 4, false);
	u32 v;
	memcpy(&v, b, 4);
	return v;
}

static void wr(struct rig *r, unsigned off, u32 v)
{
	u8 b[4];
	memcpy(b, &v, 4);
	bus__access(&r->m->mmio, NULL, IOAPIC_BASE + off, b, 4, true);
}

static u32 reg_rd(struct rig *r, unsigned idx)
{
	wr(r, 0x00, idx);
	return rd(r, 0x10);
}

static void reg_wr(struct rig *r, unsigned idx, u32 v)
{
	wr(r, 0x00, idx);
	wr(r, 0x10, v);
}

static u32 lo(struct rig *r, unsigned pin)
{
	return reg_rd(r, 0x10 + 2 * pin);
}

static u32 hi(struct rig *r, unsigned pin)
{
	return reg_rd(r, 0x11 + 2 * pin);
}

/* As Linux writes an entry: the high half (destination) first. */
static void set_entry(struct rig *r, unsigned pin, u32 low, u8 dest)
{
	reg_wr(r, 0x11 + 2 * pin, (u32)dest << 24);
	reg_wr(r, 0x10 + 2 * pin, low);
}

static void set_low(struct rig *r, unsigned pin, u32 low)
{
	reg_wr(r, 0x10 + 2 * pin, low);
}

/* Messages sent since the last call. */
static unsigned sent(struct rig *r)
{
	unsigned n = r->sink.n;
	r->sink.n = 0;
	return n;
}

/* The latest message (an empty one if none was kept). */
static const struct apic_msg *last(struct rig *r)
{
	static const struct apic_msg none;
	if (r->sink.n == 0 || r->sink.n > MAX_MSGS)
		return &none;
	return &r->sink.msg[r->sink.n - 1];
}

/* One message with this vector went out (and the count is reset). */
static bool sent_one(struct rig *r, u8 vector)
{
	bool ok = r->sink.n == 1 && r->sink.msg[0].vector == vector;
	r->sink.n = 0;
	return ok;
}

static void pulse(struct rig *r, unsigned pin)
{
	ioapic__set_irq(r->io, pin, true);
	ioapic__set_irq(r->io, pin, false);
}

/* Every register the guest can read through IOWIN, plus IOREGSEL. */
static void dump_regs(struct rig *r, u32 *out)
{
	u32 sel = rd(r, 0x00);
	for (unsigned idx = 0; idx < 256; idx++)
		out[idx] = reg_rd(r, idx);
	wr(r, 0x00, sel);
	out[256] = sel;
}

static void test_reset(void)
{
	check_group("reset");
	struct rig r;
	rig_init(&r, 5);
	CHECK(r.io != NULL, "created");
	CHECK(rd(&r, 0x00) == 0, "IOREGSEL reads 0");
	CHECK(reg_rd(&r, REG_ID) == 5u << 24, "ID %#x", reg_rd(&r, REG_ID));
	CHECK(reg_rd(&r, REG_VER) == VER_VALUE, "VER %#x", reg_rd(&r, REG_VER));
	CHECK(reg_rd(&r, REG_ARB) == 5u << 24, "ARB %#x", reg_rd(&r, REG_ARB));
	unsigned good = 0;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		good += lo(&r, pin) == MASKED && hi(&r, pin) == 0;
	CHECK(good == IOAPIC_PINS, "every entry masked and otherwise 0: %u/24", good);
	struct device *d = rig_device(&r);
	CHECK(d && d->version == 1 && d->state_size == 4 * 4 + IOAPIC_PINS * 8 && d->restored,
	      "registered as device \"ioapic\", version 1, with its state");
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		pulse(&r, pin);
	CHECK(sent(&r) == 0, "masked at reset: nothing sent");
	rig_done(&r);

	rig_init(&r, 0x1c);
	CHECK(reg_rd(&r, REG_ID) == 0x0c000000, "only 4 ID bits: %#x", reg_rd(&r, REG_ID));
	rig_done(&r);
}

static void test_id_registers(void)
{
	check_group("id-ver-arb");
	struct rig r;
	rig_init(&r, 0);
	reg_wr(&r, REG_ID, 0x03000000);
	CHECK(reg_rd(&r, REG_ID) == 0x03000000, "ID written: %#x", reg_rd(&r, REG_ID));
	CHECK(reg_rd(&r, REG_ARB) == 0x03000000, "ARB follows the ID: %#x", reg_rd(&r, REG_ARB));
	reg_wr(&r, REG_ID, ~0u);
	CHECK(reg_rd(&r, REG_ID) == 0x0f000000, "ID reserved bits: %#x", reg_rd(&r, REG_ID));
	reg_wr(&r, REG_ID, 0xf0ffffff);
	CHECK(reg_rd(&r, REG_ID) == 0, "ID only from bits 27:24: %#x", reg_rd(&r, REG_ID));
	reg_wr(&r, REG_ID, 0x0a000000);
	reg_wr(&r, REG_VER, 0);
	reg_wr(&r, REG_ARB, 0x01000000);
	CHECK(reg_rd(&r, REG_VER) == VER_VALUE, "VER is read-only: %#x", reg_rd(&r, REG_VER));
	CHECK(reg_rd(&r, REG_ARB) == 0x0a000000, "ARB is read-only: %#x", reg_rd(&r, REG_ARB));
	CHECK(sent(&r) == 0, "nothing sent");
	rig_done(&r);
}

static void test_reserved_bits(void)
{
	check_group("reserved-bits");
	struct rig r;
	rig_init(&r, 0);
	wr(&r, 0x00, ~0u);
	CHECK(rd(&r, 0x00) == 0xff, "IOREGSEL keeps 8 bits: %#x", rd(&r, 0x00));
	wr(&r, 0x00, 0x112);
	CHECK(rd(&r, 0x00) == 0x12 && rd(&r, 0x10) == MASKED,
	      "index 0x112 selects 0x12 (entry 1 low): %#x", rd(&r, 0x10));
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		reg_wr(&r, 0x11 + 2 * pin, ~0u);
		reg_wr(&r, 0x10 + 2 * pin, ~0u); /* level, masked: sends nothing */
	}
	unsigned good = 0;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		good += lo(&r, pin) == 0x0001afff && hi(&r, pin) == 0xff000000;
	CHECK(good == IOAPIC_PINS, "low keeps 0x1afff (no delivery status, no remote IRR), "
	      "high 0xff000000: %u/24, pin 0 %#x:%#x", good, hi(&r, 0), lo(&r, 0));
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		reg_wr(&r, 0x10 + 2 * pin, 0);
	good = 0;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		good += lo(&r, pin) == 0 && hi(&r, pin) == 0xff000000;
	CHECK(good == IOAPIC_PINS, "writing one half leaves the other: %u/24", good);
	set_low(&r, 0, POLARITY_LOW | MASKED | 0x31);
	CHECK(lo(&r, 0) == (POLARITY_LOW | MASKED | 0x31), "polarity reads back");
	CHECK(sent(&r) == 0, "nothing sent");
	rig_done(&r);
}

static void test_unknown_indices(void)
{
	check_group("unknown-indices");
	struct rig r;
	rig_init(&r, 2);
	set_entry(&r, 4, MASKED | 0x44, 0x12);
	u32 before[257], after[257];
	dump_regs(&r, before);
	unsigned zero = 0, n = 0;
	for (unsigned idx = 0x03; idx < 0x100; idx++) {
		if (idx >= 0x10 && idx < 0x40)
			continue;
		n++;
		zero += before[idx] == 0;
		reg_wr(&r, idx, ~0u);
	}
	CHECK(zero == n, "indices 0x03-0x0f and 0x40-0xff read 0: %u/%u", zero, n);
	wr(&r, 0x00, before[256]);
	dump_regs(&r, after);
	CHECK(!memcmp(before, after, sizeof(before)), "writes to them change nothing");
	CHECK(sent(&r) == 0, "nothing sent");
	rig_done(&r);
}

/* Only 32-bit accesses at 0x00 and 0x10 are registers. */
static void test_odd_accesses(void)
{
	check_group("odd-accesses");
	struct rig r;
	rig_init(&r, 7);
	wr(&r, 0x00, REG_ID);
	u8 b[8];
	static const unsigned lens[] = { 1, 2, 8 };
	unsigned good = 0;
	for (unsigned k = 0; k < ARRAY_SIZE(lens); k++) {
		for (unsigned off = 0; off <= 0x10; off += 0x10) {
			memset(b, 0xaa, sizeof(b));
			bus__access(&r.m->mmio, NULL, IOAPIC_BASE + off, b, lens[k], false);
			good += !memcmp(b, (u8[8]){ 0 }, lens[k]) && (lens[k] == 8 || b[lens[k]] == 0xaa);
		}
	}
	CHECK(good == 6, "byte, word and qword reads at 0x00 and 0x10 read 0: %u/6", good);
	static const unsigned offs[] = { 0x01, 0x02, 0x04, 0x08, 0x0c, 0x11, 0x14, 0x20, 0x40, 0xff0, 0xffc };
	good = 0;
	for (unsigned k = 0; k < ARRAY_SIZE(offs); k++)
		good += rd(&r, offs[k]) == 0;
	CHECK(good == ARRAY_SIZE(offs), "dword reads elsewhere read 0: %u/%zu", good, ARRAY_SIZE(offs));
	CHECK(rd(&r, 0x10) == 7u << 24, "IOWIN still reads the ID");

	u32 before[257], after[257];
	dump_regs(&r, before);
	memset(b, 0x01, sizeof(b));
	for (unsigned k = 0; k < ARRAY_SIZE(lens); k++) {
		bus__access(&r.m->mmio, NULL, IOAPIC_BASE + 0x00, b, lens[k], true);
		bus__access(&r.m->mmio, NULL, IOAPIC_BASE + 0x10, b, lens[k], true);
	}
	for (unsigned k = 0; k < ARRAY_SIZE(offs); k++)
		wr(&r, offs[k], 0x01010101);
	CHECK(rd(&r, 0x00) == REG_ID && rd(&r, 0x10) == 7u << 24, "IOREGSEL and ID unchanged");
	dump_regs(&r, after);
	CHECK(!memcmp(before, after, sizeof(before)), "no register changed");
	memset(b, 0, sizeof(b));
	bus__access(&r.m->mmio, NULL, IOAPIC_BASE + IOAPIC_SIZE, b, 4, false);
	CHECK(b[0] == 0xff, "the window ends at IOAPIC_SIZE");
	CHECK(sent(&r) == 0, "nothing sent");
	rig_done(&r);
}

static bool msg_is(const struct apic_msg *m, u8 vector, u8 delivery, u8 dest, bool logical, bool level)
{
	return m->vector == vector && m->delivery == delivery && m->dest == dest && m->logical == logical &&
	       m->level == level && m->assert && m->shorthand == APIC_SH_NONE && m->source == -1;
}

/* Every field of the entry reaches the message as it is. */
static void test_message_fields(void)
{
	check_group("message-fields");
	struct rig r;
	rig_init(&r, 0);
	for (unsigned dm = 0; dm < 8; dm++) {
		set_entry(&r, 2, DELIVERY(dm) | (0x40 + dm), 0x03);
		pulse(&r, 2);
		CHECK(r.sink.n == 1 && msg_is(last(&r), 0x40 + dm, dm, 0x03, false, false),
		      "delivery mode %u: %u sent, vector %#x mode %u", dm, r.sink.n, last(&r)->vector,
		      last(&r)->delivery);
		sent(&r);
	}
	set_entry(&r, 9, LOGICAL | DELIVERY(APIC_DM_LOWEST) | 0x91, 0xa5);
	pulse(&r, 9);
	CHECK(r.sink.n == 1 && msg_is(last(&r), 0x91, APIC_DM_LOWEST, 0xa5, true, false),
	      "logical, lowest priority, destination 0xa5");
	sent(&r);
	set_entry(&r, 9, 0x92, 0xff);
	pulse(&r, 9);
	CHECK(r.sink.n == 1 && msg_is(last(&r), 0x92, APIC_DM_FIXED, 0xff, false, false),
	      "physical broadcast 0xff");
	sent(&r);
	set_entry(&r, 9, 0xfe, 0x5a);
	pulse(&r, 9);
	CHECK(r.sink.n == 1 && last(&r)->dest == 0x5a && last(&r)->vector == 0xfe,
	      "the whole destination byte");
	sent(&r);
	set_entry(&r, 11, LEVEL | LOGICAL | DELIVERY(APIC_DM_FIXED) | 0x6b, 0x0f);
	ioapic__set_irq(r.io, 11, true);
	CHECK(r.sink.n == 1 && msg_is(last(&r), 0x6b, APIC_DM_FIXED, 0x0f, true, true), "level trigger");
	sent(&r);
	set_entry(&r, 12, POLARITY_LOW | 0x6c, 0);
	pulse(&r, 12);
	CHECK(sent_one(&r, 0x6c), "polarity low does not invert the request");
	rig_done(&r);
}

static void test_edge(void)
{
	check_group("edge");
	struct rig r;
	rig_init(&r, 0);
	set_entry(&r, 4, 0x34, 0);
	ioapic__set_irq(r.io, 4, true);
	CHECK(sent_one(&r, 0x34), "rising edge sends one");
	ioapic__set_irq(r.io, 4, true);
	ioapic__set_irq(r.io, 4, true);
	CHECK(sent(&r) == 0, "none while held");
	ioapic__set_irq(r.io, 4, false);
	CHECK(sent(&r) == 0, "none on the falling edge");
	ioapic__set_irq(r.io, 4, true);
	CHECK(sent_one(&r, 0x34), "the next rising edge sends one");
	ioapic__set_irq(r.io, 4, false);
	ioapic__eoi(r.io, 0x34);
	CHECK(sent(&r) == 0 && !(lo(&r, 4) & REMOTE_IRR), "edge entries ignore EOI, no remote IRR");

	set_low(&r, 4, MASKED | 0x34);
	pulse(&r, 4);
	ioapic__set_irq(r.io, 4, true);
	CHECK(sent(&r) == 0, "none on a masked pin");
	set_low(&r, 4, 0x34);
	CHECK(sent(&r) == 0, "none when unmasked later: the edge was ignored, not held");
	ioapic__set_irq(r.io, 4, false);
	ioapic__set_irq(r.io, 4, true);
	CHECK(sent_one(&r, 0x34), "a fresh edge after unmasking");
	rig_done(&r);
}

static void test_level(void)
{
	check_group("level");
	struct rig r;
	rig_init(&r, 0);
	set_entry(&r, 10, LEVEL | 0x5a, 1);
	CHECK(sent(&r) == 0 && !(lo(&r, 10) & REMOTE_IRR), "idle");
	ioapic__set_irq(r.io, 10, true);
	CHECK(sent_one(&r, 0x5a), "assert sends");
	CHECK(lo(&r, 10) == (REMOTE_IRR | LEVEL | 0x5a), "remote IRR set: %#x", lo(&r, 10));
	ioapic__set_irq(r.io, 10, true);
	ioapic__set_irq(r.io, 10, true);
	CHECK(sent(&r) == 0, "no repeat without EOI");
	ioapic__eoi(r.io, 0x5a);
	CHECK(sent_one(&r, 0x5a) && (lo(&r, 10) & REMOTE_IRR), "EOI while asserted: sent again, remote IRR set");
	ioapic__set_irq(r.io, 10, false);
	CHECK(sent(&r) == 0 && (lo(&r, 10) & REMOTE_IRR), "deassert keeps remote IRR until EOI");
	ioapic__eoi(r.io, 0x5a);
	CHECK(sent(&r) == 0 && !(lo(&r, 10) & REMOTE_IRR), "EOI after deassert: cleared, nothing sent");
	ioapic__eoi(r.io, 0x5a);
	CHECK(sent(&r) == 0, "a second EOI does nothing");
	ioapic__set_irq(r.io, 10, true);
	CHECK(sent_one(&r, 0x5a), "asserted again: sent");

	ioapic__eoi(r.io, 0x5b);
	ioapic__eoi(r.io, 0xa5);
	CHECK(sent(&r) == 0 && (lo(&r, 10) & REMOTE_IRR), "EOI of another vector changes nothing");

	/* Reprogramming keeps remote IRR: the EOI of the new vector clears it. */
	set_low(&r, 10, LEVEL | 0x5c);
	CHECK(sent(&r) == 0 && (lo(&r, 10) & REMOTE_IRR), "vector change keeps remote IRR");
	ioapic__eoi(r.io, 0x5a);
	CHECK(sent(&r) == 0 && (lo(&r, 10) & REMOTE_IRR), "the old vector's EOI no longer matches");
	ioapic__eoi(r.io, 0x5c);
	CHECK(sent_one(&r, 0x5c), "the new vector's EOI redelivers");

	/* A masked entry's remote IRR still clears on EOI; it sends on unmask. */
	set_low(&r, 10, MASKED | LEVEL | 0x5c);
	ioapic__eoi(r.io, 0x5c);
	CHECK(sent(&r) == 0 && !(lo(&r, 10) & REMOTE_IRR), "EOI clears a masked entry, sends nothing");
	set_low(&r, 10, LEVEL | 0x5c);
	CHECK(sent_one(&r, 0x5c), "unmasking sends");
	rig_done(&r);
}

static void test_unmask_level(void)
{
	check_group("unmask-level");
	struct rig r;
	rig_init(&r, 0);
	set_entry(&r, 1, MASKED | LEVEL | 0x21, 0);
	ioapic__set_irq(r.io, 1, true);
	CHECK(sent(&r) == 0 && !(lo(&r, 1) & REMOTE_IRR), "masked: held, no remote IRR");
	set_low(&r, 1, LEVEL | 0x21);
	CHECK(sent_one(&r, 0x21) && (lo(&r, 1) & REMOTE_IRR), "unmasking an asserted level pin sends");
	set_low(&r, 1, LEVEL | 0x21);
	CHECK(sent(&r) == 0, "rewriting it while remote IRR is set does not");

	/* An edge entry switched to level while its request is asserted. */
	set_entry(&r, 6, 0x26, 0);
	ioapic__set_irq(r.io, 6, true);
	CHECK(sent_one(&r, 0x26), "edge");
	set_low(&r, 6, LEVEL | 0x27);
	CHECK(sent_one(&r, 0x27) && (lo(&r, 6) & REMOTE_IRR), "reprogrammed to level: sent");

	set_entry(&r, 7, MASKED | LEVEL | 0x28, 0);
	set_low(&r, 7, LEVEL | 0x28);
	CHECK(sent(&r) == 0, "unmasking a deasserted level pin sends nothing");
	rig_done(&r);
}

/*
 * Linux on I/O APICs without an EOI register (version < 0x20) clears a
 * stuck remote IRR by masking the entry, switching it to edge and writing
 * the level entry back.
 */
static void test_linux_remote_irr_clear(void)
{
	check_group("linux-remote-irr");
	struct rig r;
	rig_init(&r, 0);
	const u32 entry = LEVEL | LOGICAL | 0x39;
	set_entry(&r, 9, entry, 1);
	ioapic__set_irq(r.io, 9, true);
	CHECK(sent_one(&r, 0x39) && (lo(&r, 9) & REMOTE_IRR), "delivered, remote IRR stuck");
	set_low(&r, 9, MASKED | entry);
	CHECK(lo(&r, 9) == (REMOTE_IRR | MASKED | entry), "mask keeps remote IRR: %#x", lo(&r, 9));
	set_low(&r, 9, MASKED | (entry & ~LEVEL));
	CHECK(lo(&r, 9) == (MASKED | (entry & ~LEVEL)), "switched to edge: remote IRR clear: %#x", lo(&r, 9));
	CHECK(sent(&r) == 0, "nothing sent while masked");
	set_low(&r, 9, MASKED | entry);
	CHECK(lo(&r, 9) == (MASKED | entry) && sent(&r) == 0, "back to level, masked: clear, silent");
	set_low(&r, 9, entry);
	CHECK(sent_one(&r, 0x39) && (lo(&r, 9) & REMOTE_IRR), "unmasked while still asserted: sent again");

	/* The same with the request gone meanwhile: nothing is owed. */
	ioapic__set_irq(r.io, 9, false);
	set_low(&r, 9, MASKED | (entry & ~LEVEL));
	set_low(&r, 9, entry);
	CHECK(sent(&r) == 0 && lo(&r, 9) == entry, "deasserted: cleared and silent: %#x", lo(&r, 9));
	rig_done(&r);
}

static void test_pins_independent(void)
{
	check_group("pins");
	struct rig r;
	rig_init(&r, 0);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		set_entry(&r, pin, (pin & 1 ? LEVEL : 0) | (0x20 + pin), (u8)pin);
	unsigned good = 0;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		ioapic__set_irq(r.io, pin, true);
		good += r.sink.n == 1 && msg_is(last(&r), 0x20 + pin, 0, (u8)pin, false, pin & 1);
		sent(&r);
	}
	CHECK(good == IOAPIC_PINS, "each pin sends its own entry: %u/24", good);
	good = 0;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		good += !!(lo(&r, pin) & REMOTE_IRR) == (pin & 1);
	CHECK(good == IOAPIC_PINS, "remote IRR on the level pins only: %u/24", good);
	ioapic__eoi(r.io, 0x20 + 13);
	CHECK(sent_one(&r, 0x20 + 13), "EOI of pin 13's vector redelivers pin 13 alone");
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin += 2)
		ioapic__set_irq(r.io, pin, false);
	CHECK(sent(&r) == 0, "deasserting the edge pins sends nothing");
	ioapic__set_irq(r.io, 22, true);
	CHECK(sent_one(&r, 0x20 + 22), "pin 22 alone");
	good = 0;
	for (unsigned pin = 1; pin < IOAPIC_PINS; pin += 2) {
		ioapic__set_irq(r.io, pin, false);
		ioapic__eoi(r.io, 0x20 + pin);
		good += !(lo(&r, pin) & REMOTE_IRR) && sent(&r) == 0;
	}
	CHECK(good == IOAPIC_PINS / 2, "each level pin clears on its own EOI: %u/12", good);
	set_low(&r, 23, MASKED | LEVEL | 0x37);
	ioapic__set_irq(r.io, 23, true);
	ioapic__set_irq(r.io, 0, true);
	CHECK(sent_one(&r, 0x20), "masking pin 23 leaves pin 0 alone");
	rig_done(&r);
}

static void test_out_of_range(void)
{
	check_group("out-of-range");
	struct rig r;
	rig_init(&r, 0);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		set_entry(&r, pin, 0x40 + pin, 0);
	struct device *d = rig_device(&r);
	u8 before[256];
	memcpy(before, d->state, d->state_size);
	static const unsigned pins[] = { 24, 25, 31, 32, 63, 64, 255, 1000, UINT_MAX };
	for (unsigned k = 0; k < ARRAY_SIZE(pins); k++) {
		ioapic__set_irq(r.io, pins[k], true);
		ioapic__set_irq(r.io, pins[k], false);
		ioapic__set_irq(r.io, pins[k], true);
	}
	CHECK(sent(&r) == 0, "nothing sent");
	CHECK(!memcmp(before, d->state, d->state_size), "state unchanged");

	rig_done(&r);

	rig_init_sink(&r, 0, false);
	set_entry(&r, 0, 0x40, 0);
	set_entry(&r, 1, LEVEL | 0x41, 0);
	ioapic__set_irq(r.io, 0, true);
	ioapic__set_irq(r.io, 1, true);
	CHECK(r.io && r.sink.n == 0 && (lo(&r, 1) & REMOTE_IRR), "no sink: messages dropped, state kept");
	rig_done(&r);
}

/* Field by field: struct apic_msg has padding, which memcmp would see. */
static bool msg_equal(const struct apic_msg *x, const struct apic_msg *y)
{
	return x->vector == y->vector && x->delivery == y->delivery && x->dest == y->dest &&
	       x->shorthand == y->shorthand && x->logical == y->logical && x->level == y->level &&
	       x->assert == y->assert && x->source == y->source;
}

/* Both machines sent the same messages since the last check (then forgets them). */
static bool same_messages(struct rig *a, struct rig *b)
{
	bool same = a->sink.n == b->sink.n && a->sink.n <= MAX_MSGS;
	for (unsigned k = 0; same && k < a->sink.n; k++)
		same = msg_equal(&a->sink.msg[k], &b->sink.msg[k]);
	sent(a);
	sent(b);
	return same;
}

/* b sent `n` messages, the last with `vector`, and a sent the same;
 * forgets them either way, so one failure does not spill into the next. */
static bool both_sent(struct rig *a, struct rig *b, unsigned n, u8 vector)
{
	bool ok = b->sink.n == n && (n == 0 || last(b)->vector == vector);
	return same_messages(a, b) && ok;
}

static void both_set_irq(struct rig *a, struct rig *b, unsigned pin, bool level)
{
	ioapic__set_irq(a->io, pin, level);
	ioapic__set_irq(b->io, pin, level);
}

static void both_eoi(struct rig *a, struct rig *b, u8 vector)
{
	ioapic__eoi(a->io, vector);
	ioapic__eoi(b->io, vector);
}

static void test_save_restore(void)
{
	check_group("save-restore");
	struct rig a, b;
	rig_init(&a, 1);
	rig_init(&b, 9);
	reg_wr(&a, REG_ID, 0x04000000);
	set_entry(&a, 3, LEVEL | LOGICAL | 0x53, 0x02);     /* asserted, remote IRR set */
	set_entry(&a, 5, DELIVERY(APIC_DM_LOWEST) | 0x55, 0x0f); /* edge, held asserted */
	set_entry(&a, 7, MASKED | LEVEL | 0x57, 0x01);      /* masked, asserted */
	set_entry(&a, 8, LEVEL | 0x58, 0x01);               /* deasserted */
	ioapic__set_irq(a.io, 3, true);
	ioapic__set_irq(a.io, 5, true);
	ioapic__set_irq(a.io, 7, true);
	wr(&a, 0x00, 0x17);
	CHECK(sent(&a) == 2, "pins 3 and 5 sent before the checkpoint");

	struct device *da = rig_device(&a), *db = rig_device(&b);
	CHECK(da->state_size == db->state_size && da->version == db->version, "same layout");
	u8 saved[256];
	memcpy(saved, da->state, da->state_size);
	device__restore(db, saved);
	CHECK(sent(&b) == 0, "a restore sends nothing: nothing was owed");
	CHECK(!memcmp(da->state, db->state, da->state_size), "state bytes equal");
	u32 ra[257], rb[257];
	dump_regs(&a, ra);
	dump_regs(&b, rb);
	CHECK(!memcmp(ra, rb, sizeof(ra)), "registers equal, IOREGSEL included");
	CHECK(rd(&b, 0x00) == 0x17 && reg_rd(&b, REG_ID) == 0x04000000, "ID and IOREGSEL restored");

	both_set_irq(&a, &b, 3, true);
	CHECK(both_sent(&a, &b, 0, 0), "pin 3: asserted, remote IRR set: waits for EOI");
	both_set_irq(&a, &b, 5, true);
	CHECK(both_sent(&a, &b, 0, 0), "pin 5: still held, no edge");
	both_eoi(&a, &b, 0x53);
	CHECK(msg_is(last(&b), 0x53, 0, 0x02, true, true), "pin 3: its entry's message");
	CHECK(both_sent(&a, &b, 1, 0x53), "pin 3: EOI redelivers on both");
	both_set_irq(&a, &b, 5, false);
	both_set_irq(&a, &b, 5, true);
	CHECK(msg_is(last(&b), 0x55, APIC_DM_LOWEST, 0x0f, false, false), "pin 5: its entry's message");
	CHECK(both_sent(&a, &b, 1, 0x55), "pin 5: the next edge sends on both");
	set_low(&a, 7, LEVEL | 0x57);
	set_low(&b, 7, LEVEL | 0x57);
	CHECK(both_sent(&a, &b, 1, 0x57), "pin 7: unmask sends on both");
	both_set_irq(&a, &b, 8, true);
	CHECK(both_sent(&a, &b, 1, 0x58), "pin 8: assert sends on both");
	CHECK(!memcmp(da->state, db->state, da->state_size), "state bytes still equal");

	/* A state this device never writes: a level request owed a message.
	 * The restore delivers it, as the hardware would. */
	memcpy(saved, db->state, db->state_size);
	both_set_irq(&a, &b, 8, false);
	both_eoi(&a, &b, 0x58);
	sent(&a);
	sent(&b);
	struct rig c;
	rig_init(&c, 0);
	device__restore(rig_device(&c), saved);
	CHECK(sent(&c) == 0, "genuine checkpoint: nothing sent");
	u64 e8;
	memcpy(&e8, saved + STATE_ENTRY(8), 8);
	e8 &= ~(u64)REMOTE_IRR;
	memcpy(saved + STATE_ENTRY(8), &e8, 8);
	device__restore(rig_device(&c), saved);
	CHECK(sent_one(&c, 0x58) && (lo(&c, 8) & REMOTE_IRR), "owed level message sent on restore");
	rig_done(&c);
	rig_done(&a);
	rig_done(&b);
}

int main(void)
{
	test_reset();
	test_id_registers();
	test_reserved_bits();
	test_unknown_indices();
	test_odd_accesses();
	test_message_fields();
	test_edge();
	test_level();
	test_unmask_level();
	test_linux_remote_irr_clear();
	test_pins_independent();
	test_out_of_range();
	test_save_restore();
	check_group_end();
	return check_summary();
}
