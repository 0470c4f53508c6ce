/* Device constructors: each registers itself on the machine's buses. */
#ifndef ENCORE_DEVICES_H
#define ENCORE_DEVICES_H

#include "encore/machine.h"

#define DEBUG_EXIT_PORT 0xf4
#define COM1_PORT 0x3f8

/* Port 0xf4: a 32-bit write ends the run with (value & 0xff) as the status. */
int debug_exit__init(struct encore_machine *m);

/*
 * Compatibility wrappers, to be removed (use uart16550__create from
 * encore/hw/uart16550.h): a 16550 UART at `port` on IRQ 4 (COM1) or 3,
 * transmitting to `out`.  destroy does nothing: the machine destroys
 * its devices.
 */
struct uart16550;
struct uart16550 *uart16550__init(struct encore_machine *m, u16 port, FILE *out);
void uart16550__destroy(struct uart16550 *u);

#endif
