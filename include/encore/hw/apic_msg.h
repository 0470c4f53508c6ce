/*
 * Interrupt messages between APICs: what an I/O APIC's redirection entry,
 * a local APIC's interrupt command register (an IPI) and, later, an MSI
 * write all turn into (SDM vol. 3, "Message Signalled Interrupts" and
 * "Issuing Interprocessor Interrupts").  The board routes each message to
 * the local APICs it names; a local APIC's EOI of a level-triggered
 * vector goes back to every I/O APIC.
 */
#ifndef ENCORE_HW_APIC_MSG_H
#define ENCORE_HW_APIC_MSG_H

#include "encore/types.h"

/* Delivery modes, as encoded in ICR bits 10:8 and redirection entries. */
enum apic_delivery {
	APIC_DM_FIXED = 0,
	APIC_DM_LOWEST = 1,  /* lowest priority: one CPU of the destination set */
	APIC_DM_SMI = 2,
	APIC_DM_NMI = 4,
	APIC_DM_INIT = 5,
	APIC_DM_STARTUP = 6, /* SIPI: the vector is the start page number */
	APIC_DM_EXTINT = 7,
};

/* Destination shorthands (ICR bits 19:18); I/O APICs always send NONE. */
enum apic_shorthand {
	APIC_SH_NONE = 0,
	APIC_SH_SELF = 1,
	APIC_SH_ALL = 2,        /* all including self */
	APIC_SH_OTHERS = 3,     /* all excluding self */
};

#define APIC_BROADCAST 0xff /* physical destination: every local APIC */

struct apic_msg {
	u8 vector;
	u8 delivery;   /* enum apic_delivery */
	u8 dest;       /* physical: an APIC ID; logical: a message destination address */
	u8 shorthand;  /* enum apic_shorthand */
	bool logical;  /* destination mode */
	bool level;    /* trigger mode: level-triggered vectors set TMR and get an EOI back */
	bool assert;   /* level: asserted (an INIT with assert clear is the "INIT level
			* de-assert" IPI, which does nothing on this generation) */
	int source;    /* the sending local APIC's vCPU index, or -1 (an I/O APIC, MSI) */
};

/* Where an interrupt source sends its messages (the board supplies it). */
struct apic_sink {
	void (*send)(void *opaque, const struct apic_msg *m);
	void *opaque;
};

#endif
