/*
 * The I/O APIC, after the Intel 82093AA datasheet: two memory-mapped
 * registers (IOREGSEL, IOWIN) give indirect access to the ID, version and
 * arbitration registers and to 24 64-bit redirection entries.
 *
 * Delivery is instantaneous: a message goes to the sink the moment its
 * condition holds, so delivery status always reads idle.  A level entry
 * counts as accepted once sent (remote IRR set) until a local APIC's EOI
 * of its vector; this is version 0x11, which has no EOI register, so
 * software that must clear a stuck remote IRR switches the entry to edge
 * and back (Linux does).
 *
 * One invariant keeps checkpoints exact: no level entry is ever left
 * unmasked with its request asserted and remote IRR clear, because every
 * change that could produce that state sends at once.
 */
#include <stdlib.h>
#include <string.h>

#include "encore/hw/ioapic.h"

/* The two directly addressable registers (offsets from IOAPIC_BASE). */
#define IOREGSEL 0x00
#define IOWIN 0x10

/* Indices behind IOWIN. */
#define REG_ID 0x00
#define REG_VER 0x01
#define REG_ARB 0x02
#define REG_REDIR 0x10 /* entry n: low half at 0x10 + 2n, high half at 0x11 + 2n */

#define VER_VALUE ((u32)(IOAPIC_PINS - 1) << 16 | 0x11) /* max entry 23, version 0x11 */
#define ID_MASK 0x0f000000u /* a 4-bit APIC ID in bits 27:24 */

/* Redirection entry bits. */
#define RTE_LOGICAL (1ull << 11)
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_LEVEL (1ull << 15)
#define RTE_MASKED (1ull << 16)
#define RTE_LO_WRITABLE 0x0001afffu /* vector, delivery and destination mode,
				     * polarity, trigger, mask */
#define RTE_HI_WRITABLE 0xff000000u /* the destination */

/* Everything the guest can observe (no pointers). */
struct ioapic_state {
	u32 id;       /* the ID register: ID_MASK bits only */
	u32 ioregsel; /* the selected index, 8 bits */
	u32 requests; /* bit n: pin n's request is asserted */
	u32 reserved; /* keeps the layout free of compiler padding */
	u64 redir[IOAPIC_PINS]; /* entry n: low half in bits 31:0, high in 63:32 */
};

/* Checkpoints copy the state bytes: no compiler padding may hide in them. */
_Static_assert(sizeof(struct ioapic_state) == 4 * 4 + IOAPIC_PINS * 8, "ioapic_state has padding");

struct ioapic {
	struct ioapic_state s;
	struct apic_sink sink;
};

/* ---- sending ---- */

static void send(struct ioapic *io, u64 e)
{
	struct apic_msg msg = {
		.vector = (u8)e,
		.delivery = (e >> 8) & 7,
		.dest = (u8)(e >> 56),
		.shorthand = APIC_SH_NONE,
		.logical = e & RTE_LOGICAL,
		.level = e & RTE_LEVEL,
		.assert = true,
		.source = -1,
	};
	if (io->sink.send)
		io->sink.send(io->sink.opaque, &msg);
}

static bool requested(const struct ioapic *io, unsigned pin)
{
	return io->s.requests >> pin & 1;
}

/* A level entry sends while its request is asserted, it is unmasked and
 * no local APIC holds it (remote IRR clear). */
static void service_level(struct ioapic *io, unsigned pin)
{
	u64 *e = &io->s.redir[pin];
	if (!(*e & RTE_LEVEL) || (*e & (RTE_MASKED | RTE_REMOTE_IRR)) || !requested(io, pin))
		return;
	/* Set before sending, so a sink that answers with an EOI at once
	 * finds it set and clears it. */
	*e |= RTE_REMOTE_IRR;
	send(io, *e);
}

/* ---- the register file behind IOWIN ---- */

static bool is_redir(unsigned idx)
{
	return idx >= REG_REDIR && idx < REG_REDIR + 2 * IOAPIC_PINS;
}

static u32 read_index(const struct ioapic *io, unsigned idx)
{
	if (is_redir(idx)) {
		u64 e = io->s.redir[(idx - REG_REDIR) / 2];
		return (u32)(idx & 1 ? e >> 32 : e);
	}
	switch (idx) {
	case REG_ID: return io->s.id;
	case REG_VER: return VER_VALUE;
	/* Loaded with the ID on every ID write; with no APIC bus arbitration
	 * to rotate it, it keeps reading as the ID. */
	case REG_ARB: return io->s.id;
	default: return 0;
	}
}

/* Remote IRR is read-only, but an entry switched to edge drops it: Linux
 * clears a stuck one that way on I/O APICs without an EOI register. */
static void write_redir_low(struct ioapic *io, unsigned pin, u32 v)
{
	u64 e = io->s.redir[pin];
	e = (e & (~0xffffffffull | RTE_REMOTE_IRR)) | (v & RTE_LO_WRITABLE);
	if (!(e & RTE_LEVEL))
		e &= ~RTE_REMOTE_IRR;
	io->s.redir[pin] = e;
	/* An unmask or a switch to level may owe a message. */
	service_level(io, pin);
}

static void write_redir_high(struct ioapic *io, unsigned pin, u32 v)
{
	u64 *e = &io->s.redir[pin];
	*e = (*e & 0xffffffffull) | (u64)(v & RTE_HI_WRITABLE) << 32;
}

static void write_index(struct ioapic *io, unsigned idx, u32 v)
{
	if (is_redir(idx)) {
		unsigned pin = (idx - REG_REDIR) / 2;
		if (idx & 1)
			write_redir_high(io, pin, v);
		else
			write_redir_low(io, pin, v);
		return;
	}
	if (idx == REG_ID)
		io->s.id = v & ID_MASK;
	/* VER and ARB are read-only; other indices hold nothing. */
}

/*
 * The datasheet has software use 32-bit loads and stores only and does
 * not say what other accesses do; Linux never makes one.  Reading them
 * as 0 and dropping their writes is one simple, deterministic rule
 * (the local APIC model does the same).
 */
static void ioapic_mmio(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
			unsigned len, bool is_write)
{
	(void)vcpu;
	struct ioapic *io = opaque;
	bool is_register = len == 4 && (addr == IOREGSEL || addr == IOWIN);
	u32 v = 0;
	if (is_write) {
		if (!is_register)
			return;
		memcpy(&v, data, 4);
		if (addr == IOREGSEL)
			io->s.ioregsel = v & 0xff;
		else
			write_index(io, io->s.ioregsel, v);
		return;
	}
	memset(data, 0, len);
	if (!is_register)
		return;
	v = addr == IOREGSEL ? io->s.ioregsel : read_index(io, io->s.ioregsel);
	memcpy(data, &v, 4);
}

/* ---- the board's and the local APICs' side ---- */

void ioapic__set_irq(struct ioapic *io, unsigned pin, bool asserted)
{
	if (pin >= IOAPIC_PINS)
		return;
	u32 bit = 1u << pin;
	bool rising = asserted && !(io->s.requests & bit);
	io->s.requests = asserted ? io->s.requests | bit : io->s.requests & ~bit;
	u64 e = io->s.redir[pin];
	if (e & RTE_LEVEL)
		service_level(io, pin);
	else if (rising && !(e & RTE_MASKED))
		send(io, e); /* an edge on a masked pin is lost, not held */
}

void ioapic__eoi(struct ioapic *io, u8 vector)
{
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		u64 *e = &io->s.redir[pin];
		if ((*e & RTE_LEVEL) && (*e & RTE_REMOTE_IRR) && (u8)*e == vector) {
			*e &= ~RTE_REMOTE_IRR;
			service_level(io, pin); /* still asserted: it comes again */
		}
	}
}

/* ---- life cycle ---- */

/* IDs on this generation's APIC bus are 4 bits: a larger `id` keeps its
 * low nibble, as a guest's write of it would. */
static void ioapic_reset(struct ioapic_state *s, u8 id)
{
	memset(s, 0, sizeof(*s));
	s->id = (u32)id << 24 & ID_MASK;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		s->redir[pin] = RTE_MASKED;
}

/* A checkpoint this device wrote never owes a message (the invariant at
 * the top), so this sends nothing for one; it only makes a state written
 * by other means behave as the hardware would. */
static void ioapic_restored(void *dev)
{
	struct ioapic *io = dev;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		service_level(io, pin);
}

struct ioapic *ioapic__create(struct encore_machine *m, u8 id, const struct apic_sink *sink)
{
	struct ioapic *io = calloc(1, sizeof(*io));
	if (!io)
		return NULL;
	if (sink)
		io->sink = *sink;
	ioapic_reset(&io->s, id);
	struct device d = { .name = "ioapic", .state = &io->s, .state_size = sizeof(io->s),
			    .version = 1, .restored = ioapic_restored, .dev = io };
	if (machine__add_device(m, &d)) {
		free(io);
		return NULL;
	}
	/* From here the machine owns `io` and frees it. */
	if (bus__register(&m->mmio, IOAPIC_BASE, IOAPIC_SIZE, ioapic_mmio, io, "ioapic"))
		return NULL;
	return io;
}
