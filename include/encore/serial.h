/*
 * A board's console serial port as the front end sees it, whichever UART
 * it is (a PC's 16550, an Arm board's PL011): how many typed bytes the
 * guest can take now, and giving them to it.  Output goes through the tx
 * callback each UART is created with.
 */
#ifndef ENCORE_SERIAL_H
#define ENCORE_SERIAL_H

#include "encore/types.h"

struct serial_port {
	size_t (*rx_room)(void *uart);
	/* Accept up to n bytes; returns how many were taken. */
	size_t (*receive)(void *uart, const u8 *buf, size_t n);
	void *uart; /* NULL: the machine has no console port */
};

static inline size_t serial_port__rx_room(const struct serial_port *p)
{
	return p->uart ? p->rx_room(p->uart) : 0;
}

static inline size_t serial_port__receive(const struct serial_port *p, const u8 *buf, size_t n)
{
	return p->uart ? p->receive(p->uart, buf, n) : 0;
}

#endif
