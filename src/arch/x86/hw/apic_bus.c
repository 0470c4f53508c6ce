/*
 * The APIC bus (encore/hw/apic_bus.h): routing interrupt messages to the
 * local APICs they name, and each vCPU's accesses to the local APIC page
 * to its own APIC.
 */
#include <stdlib.h>
#include <string.h>

#include "encore/hw/apic_bus.h"

struct apic_bus {
	struct encore_machine *m;
	struct lapic *lapic[MACHINE_MAX_VCPUS];
	unsigned nlapics;
	struct ioapic *ioapic;
};

/* The page at LAPIC_BASE: every vCPU sees its own APIC there.  An access
 * that no vCPU made (there is no DMA yet) reaches none. */
static void lapic_page(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data, unsigned len,
		       bool is_write)
{
	struct apic_bus *b = opaque;
	struct lapic *a = vcpu && vcpu->index < b->nlapics ? b->lapic[vcpu->index] : NULL;
	if (a) {
		lapic__mmio(a, addr, data, len, is_write);
		return;
	}
	if (!is_write)
		memset(data, 0, len);
}

struct apic_bus *apic_bus__create(struct encore_machine *m)
{
	struct apic_bus *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->m = m;
	/* A device with no state of its own: the machine frees it. */
	struct device d = { .name = "apic-bus", .version = 1, .dev = b };
	if (machine__add_device(m, &d)) {
		free(b);
		return NULL;
	}
	if (bus__register(&m->mmio, LAPIC_BASE, LAPIC_SIZE, lapic_page, b, "lapic"))
		return NULL;
	return b;
}

int apic_bus__add_lapic(struct apic_bus *b, unsigned vcpu, struct lapic *a)
{
	if (vcpu >= MACHINE_MAX_VCPUS || b->lapic[vcpu])
		return -1;
	b->lapic[vcpu] = a;
	if (vcpu >= b->nlapics)
		b->nlapics = vcpu + 1;
	lapic__connect(a, b);
	return 0;
}

void apic_bus__add_ioapic(struct apic_bus *b, struct ioapic *io)
{
	b->ioapic = io;
}

static void sink_send(void *opaque, const struct apic_msg *m)
{
	apic_bus__send(opaque, m);
}

struct apic_sink apic_bus__sink(struct apic_bus *b)
{
	return (struct apic_sink){ sink_send, b };
}

/* Is APIC `k` a destination of `m`? */
static bool addressed(const struct apic_bus *b, unsigned k, const struct apic_msg *m)
{
	bool self = m->source == (int)k;
	switch (m->shorthand) {
	case APIC_SH_SELF: return self;
	case APIC_SH_ALL: return true;
	case APIC_SH_OTHERS: return !self;
	default: return lapic__matches(b->lapic[k], m);
	}
}

/* SDM, "Valid Combinations for the Local xAPIC Interrupt Command
 * Register": the self shorthand and "all including self" take fixed
 * interrupts only; anything else there is dropped. */
static bool valid_combination(const struct apic_msg *m)
{
	if (m->shorthand == APIC_SH_SELF || m->shorthand == APIC_SH_ALL)
		return m->delivery == APIC_DM_FIXED;
	return true;
}

/* Ties go by the ID register, not the vCPU number: software may have
 * rewritten the IDs. */
static struct lapic *lowest_priority(const struct apic_bus *b, const struct apic_msg *m)
{
	struct lapic *best = NULL;
	u32 best_apr = 0;
	for (unsigned k = 0; k < b->nlapics; k++) {
		struct lapic *a = b->lapic[k];
		if (!a || !lapic__enabled(a) || !addressed(b, k, m))
			continue;
		u32 apr = lapic__arbitration_priority(a);
		bool better = !best || apr < best_apr ||
			      (apr == best_apr && lapic__id(a) < lapic__id(best));
		if (better) {
			best = a;
			best_apr = apr;
		}
	}
	return best;
}

void apic_bus__send(struct apic_bus *b, const struct apic_msg *m)
{
	if (!valid_combination(m))
		return;
	if (m->delivery == APIC_DM_LOWEST) {
		struct lapic *a = lowest_priority(b, m);
		if (a)
			lapic__receive(a, m);
		return;
	}
	for (unsigned k = 0; k < b->nlapics; k++)
		if (b->lapic[k] && addressed(b, k, m))
			lapic__receive(b->lapic[k], m);
}

void apic_bus__eoi(struct apic_bus *b, u8 vector)
{
	if (b->ioapic)
		ioapic__eoi(b->ioapic, vector);
}
