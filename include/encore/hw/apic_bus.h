/*
 * The APIC bus of a PC: the local APIC of every vCPU and the I/O APIC,
 * and the interrupt messages between them (apic_msg.h).  It also maps
 * the local APICs' register page, where each vCPU reaches its own APIC.
 */
#ifndef ENCORE_HW_APIC_BUS_H
#define ENCORE_HW_APIC_BUS_H

#include "encore/hw/apic_msg.h"
#include "encore/hw/ioapic.h"
#include "encore/hw/lapic.h"

struct apic_bus;

/* Register the local APICs' page at LAPIC_BASE on `m` (the machine owns
 * and destroys the bus). */
struct apic_bus *apic_bus__create(struct encore_machine *m);
/* Attach vCPU `vcpu`'s local APIC (and connect its IPIs to the bus). */
int apic_bus__add_lapic(struct apic_bus *b, unsigned vcpu, struct lapic *a);
/* Attach the I/O APIC, which then hears the EOIs of level vectors. */
void apic_bus__add_ioapic(struct apic_bus *b, struct ioapic *io);
/* What an interrupt source (the I/O APIC) sends through. */
struct apic_sink apic_bus__sink(struct apic_bus *b);

/*
 * Deliver a message to the local APICs it names: its shorthand, else its
 * physical or logical destination.  Lowest priority picks one enabled
 * APIC of the destination, the one with the lowest arbitration priority,
 * the lowest APIC ID among equals (so the choice is deterministic).
 */
void apic_bus__send(struct apic_bus *b, const struct apic_msg *m);
/* A local APIC's EOI of level-triggered `vector`, for the I/O APIC. */
void apic_bus__eoi(struct apic_bus *b, u8 vector);

#endif
