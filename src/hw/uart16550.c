/*
 * 16550 UART: the guest's serial console.  This model transmits
 * immediately (the transmitter is always empty) and keeps the register
 * file Linux's 8250 driver probes; receive and interrupts come with the
 * PC machine.
 */
#include <stdlib.h>
#include <string.h>

#include "encore/devices.h"

enum { UART_RBR_THR, UART_IER, UART_IIR_FCR, UART_LCR, UART_MCR, UART_LSR, UART_MSR, UART_SCR };
#define LCR_DLAB 0x80
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

struct uart16550_state {
	u8 ier, lcr, mcr, scr, dll, dlm, fcr;
};

struct uart16550 {
	struct uart16550_state s;
	FILE *out;
};

static u8 uart_read(struct uart16550 *u, unsigned reg)
{
	bool dlab = u->s.lcr & LCR_DLAB;
	switch (reg) {
	case UART_RBR_THR: return dlab ? u->s.dll : 0;
	case UART_IER: return dlab ? u->s.dlm : u->s.ier;
	case UART_IIR_FCR: return 0x01 | ((u->s.fcr & 1) ? 0xc0 : 0); /* no interrupt pending */
	case UART_LCR: return u->s.lcr;
	case UART_MCR: return u->s.mcr;
	case UART_LSR: return LSR_THRE | LSR_TEMT;
	case UART_MSR: return (u->s.mcr & 0x10) ? ((u->s.mcr & 0xf) << 4) : 0xb0; /* loopback or DCD/DSR/CTS */
	default: return u->s.scr;
	}
}

static void uart_write(struct uart16550 *u, unsigned reg, u8 v)
{
	bool dlab = u->s.lcr & LCR_DLAB;
	switch (reg) {
	case UART_RBR_THR:
		if (dlab) {
			u->s.dll = v;
		} else if (!(u->s.mcr & 0x10)) {
			fputc(v, u->out);
			if (v == '\n')
				fflush(u->out);
		}
		break;
	case UART_IER: if (dlab) u->s.dlm = v; else u->s.ier = v & 0x0f; break;
	case UART_IIR_FCR: u->s.fcr = v; break;
	case UART_LCR: u->s.lcr = v; break;
	case UART_MCR: u->s.mcr = v & 0x1f; break;
	case UART_SCR: u->s.scr = v; break;
	}
}

static void uart_io(void *opaque, u64 addr, u8 *data, unsigned len, bool is_write)
{
	struct uart16550 *u = opaque;
	for (unsigned k = 0; k < len; k++) {
		if (is_write)
			uart_write(u, (addr + k) & 7, data[k]);
		else
			data[k] = uart_read(u, (addr + k) & 7);
	}
}

struct uart16550 *uart16550__init(struct encore_machine *m, u16 port, FILE *out)
{
	struct uart16550 *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->out = out;
	if (bus__register(&m->pio, port, 8, uart_io, u, "uart16550")) {
		free(u);
		return NULL;
	}
	return u;
}

void uart16550__destroy(struct uart16550 *u)
{
	if (u)
		fflush(u->out);
	free(u);
}
