/*
 * An 82093AA-style I/O APIC (version 0x11, 24 pins, no EOI register): it
 * turns the board's interrupt request lines into APIC messages, one
 * redirection entry per pin, and takes the local APICs' EOIs of
 * level-triggered vectors back.
 *
 * A pin's input is the logical request, as the board drives it
 * (asserted = interrupt wanted).  The polarity bit of its entry is stored
 * and read back but does not invert that input: the board already knows
 * each line's polarity, so a second inversion here could only disagree
 * with it.
 */
#ifndef ENCORE_HW_IOAPIC_H
#define ENCORE_HW_IOAPIC_H

#include "encore/hw.h"
#include "encore/hw/apic_msg.h"

#define IOAPIC_BASE 0xfec00000ull
#define IOAPIC_SIZE 0x1000ull
#define IOAPIC_PINS 24
struct ioapic;
/* Map the I/O APIC at IOAPIC_BASE, register it as device "ioapic", every entry masked; its messages go to `sink`. */
struct ioapic *ioapic__create(struct encore_machine *m, u8 id, const struct apic_sink *sink);
/* Drive input pin `pin` (0..23): `asserted` is the logical state of the request (see the polarity note above). */
void ioapic__set_irq(struct ioapic *io, unsigned pin, bool asserted);
/* A local APIC's EOI for a level-triggered `vector`, broadcast to every I/O APIC. */
void ioapic__eoi(struct ioapic *io, u8 vector);

#endif
