/*
 * A National/TI 16550A UART as on a PC serial port: 16-byte receive FIFO
 * with trigger levels, the character-timeout interrupt, the THRE
 * interrupt rules, modem status with loopback, the scratch register and
 * the divisor latch.  Transmission is immediate: a byte written to THR
 * goes to the host at once and the transmitter is empty again.
 */
#ifndef ENCORE_HW_UART16550_H
#define ENCORE_HW_UART16550_H

#include "encore/hw.h"
#include "encore/serial.h"

#define UART16550_FIFO_SIZE 16

/* Everything the guest can observe; a checkpoint saves these bytes. */
struct uart16550_state {
	u64 rx_activity_ns;   /* last byte into or out of the receive FIFO */
	u64 timeout_deadline; /* character-timeout timer, or VTIMER_OFF */
	u8 rx_fifo[UART16550_FIFO_SIZE];
	u8 rx_head, rx_count;
	u8 ier, lcr, mcr, scr, dll, dlm;
	u8 fcr;               /* FIFO enable, DMA mode and trigger bits */
	u8 lsr_errors;        /* OE/PE/FE/BI until the guest reads LSR */
	u8 msr;               /* modem lines (bits 4-7) and deltas (bits 0-3) */
	bool thre_pending;    /* THRE interrupt not yet acknowledged */
	bool timeout_pending; /* character-timeout interrupt */
	bool irq_level;       /* what the IRQ line is driven to */
};

struct uart16550;

/*
 * A UART at `port` (8 ports) on ISA line `irq`.  Transmitted bytes go to
 * tx(tx_opaque, byte).  The machine owns the device and destroys it.
 */
struct uart16550 *uart16550__create(struct encore_machine *m, u16 port, unsigned irq,
				    void (*tx)(void *opaque, u8 byte), void *tx_opaque);

/* Host input: accept up to n bytes into the receive FIFO; returns how many
 * were taken (none in loopback mode, where the serial input is cut off). */
size_t uart16550__receive(struct uart16550 *u, const u8 *buf, size_t n);

/*
 * How many bytes the guest can take now: 0 until the guest has enabled
 * the received-data interrupt (IER bit 0) with OUT2 set, so input typed
 * before the driver is ready is not lost when it resets the FIFOs; else
 * free FIFO space.
 */
size_t uart16550__rx_room(struct uart16550 *u);

/* The UART as a console port (encore/serial.h). */
struct serial_port uart16550__port(struct uart16550 *u);

#endif
