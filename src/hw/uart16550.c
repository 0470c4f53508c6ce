/*
 * 16550A UART (PC16550D datasheet).  What this model does and why:
 *
 * - Transmit is immediate: a THR write hands the byte to the host and the
 *   transmitter is empty again at once (LSR THRE and TEMT always read 1).
 *   In loopback mode the byte goes to our own receiver instead.
 * - Receive: a 16-byte FIFO (one byte, the RBR, when FIFOs are off).  The
 *   received-data interrupt follows the trigger level; below it, data is
 *   signalled by the character timeout after 4 character times without a
 *   byte going in or out (Linux uses an 8-byte trigger, so a single typed
 *   character arrives only this way).
 * - IIR reports the highest-priority enabled source: line status, data
 *   available, character timeout, THR empty, modem status.  THRE is
 *   raised when THR becomes empty or when IER.THRI goes 0 -> 1, and
 *   cleared by writing THR or by reading IIR while it is the reported
 *   source; Linux's startup test relies on the re-assertion on IER.
 * - The IRQ line is the chip's INTR output gated the PC way: by the OUT2
 *   pin.  In loopback mode the datasheet forces the modem-control pins
 *   inactive, so no interrupt reaches the PC then, as on real boards.
 * - Divisor 0 ("not recommended" by the datasheet) counts as 65536; the
 *   divisor starts at 1 (115200 baud), the other registers at their
 *   datasheet reset values.  Parity, framing and break are not modelled:
 *   the only line error is overrun, which loopback can produce.
 */
#include <stdlib.h>

#include "encore/devices.h"
#include "encore/hw/uart16550.h"

enum { REG_RBR_THR, REG_IER, REG_IIR_FCR, REG_LCR, REG_MCR, REG_LSR, REG_MSR, REG_SCR };

#define IER_RDI 0x01  /* received data available (and timeout) */
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI 0x08

#define IIR_NONE 0x01
#define IIR_RLS 0x06
#define IIR_RDA 0x04
#define IIR_TIMEOUT 0x0c
#define IIR_THRE 0x02
#define IIR_MSI 0x00
#define IIR_FIFOS_ON 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_KEPT 0xc9 /* enable, DMA mode, trigger level; the rest self-clear */

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_ERRORS 0x1e /* OE, PE, FE, BI */
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
#define MSR_DELTAS 0x0f
#define MSR_TERI 0x04
/* Nothing is cabled to the port, but a console wants to be allowed to talk. */
#define MSR_IDLE_LINES (MSR_CTS | MSR_DSR | MSR_DCD)

#define UART_CLOCK_HZ 1843200ull
#define UART_IRQ_COM1 4
#define UART_IRQ_COM2 3

struct uart16550 {
	struct uart16550_state s;
	struct encore_machine *m;
	unsigned irq;
	void (*tx)(void *opaque, u8 byte);
	void *tx_opaque;
	struct vtimer timeout_timer;
};

/* ---- receive FIFO ---- */

static bool fifo_enabled(const struct uart16550 *u)
{
	return u->s.fcr & FCR_ENABLE;
}

static unsigned rx_capacity(const struct uart16550 *u)
{
	return fifo_enabled(u) ? UART16550_FIFO_SIZE : 1;
}

static unsigned rx_trigger_level(const struct uart16550 *u)
{
	static const u8 levels[4] = { 1, 4, 8, 14 };
	return levels[u->s.fcr >> 6];
}

static void rx_clear(struct uart16550 *u)
{
	u->s.rx_head = u->s.rx_count = 0;
	u->s.timeout_pending = false;
}

/* A character arrives from the shift register (host input or loopback). */
static void rx_push(struct uart16550 *u, u8 byte)
{
	struct uart16550_state *s = &u->s;
	s->rx_activity_ns = machine__now(u->m);
	if (s->rx_count == rx_capacity(u)) {
		s->lsr_errors |= LSR_OE;
		/* FIFO mode keeps the FIFO and loses the new byte; 16450
		 * mode overwrites the unread RBR. */
		if (!fifo_enabled(u))
			s->rx_fifo[s->rx_head] = byte;
		return;
	}
	s->rx_fifo[(s->rx_head + s->rx_count) % UART16550_FIFO_SIZE] = byte;
	s->rx_count++;
}

static u8 rx_pop(struct uart16550 *u)
{
	struct uart16550_state *s = &u->s;
	u8 byte = s->rx_fifo[s->rx_head];
	s->rx_head = (s->rx_head + 1) % UART16550_FIFO_SIZE;
	s->rx_count--;
	return byte;
}

/* ---- character timeout ---- */

/* Bits on the wire per character, in half bits (1.5 stop bits exist). */
static unsigned char_half_bits(const struct uart16550 *u)
{
	u8 lcr = u->s.lcr;
	unsigned data_bits = 5 + (lcr & 3);
	unsigned half = 2 * (1 + data_bits);     /* start + data */
	if (lcr & 0x08)
		half += 2;                       /* parity */
	if (!(lcr & 0x04))
		half += 2;                       /* one stop bit */
	else
		half += data_bits == 5 ? 3 : 4;  /* 1.5 or 2 stop bits */
	return half;
}

static u64 char_timeout_ns(const struct uart16550 *u)
{
	u64 divisor = (u64)u->s.dlm << 8 | u->s.dll;
	if (divisor == 0)
		divisor = 65536;
	/* One bit lasts 16 * divisor clock periods. */
	return 4 * char_half_bits(u) * divisor * 16 * 1000000000ull / (2 * UART_CLOCK_HZ);
}

/* The timer runs only while a timeout interrupt could still come. */
static void update_timeout_timer(struct uart16550 *u)
{
	const struct uart16550_state *s = &u->s;
	bool armed = fifo_enabled(u) && s->rx_count && (s->ier & IER_RDI) && !s->timeout_pending;
	machine__timer_arm(u->m, &u->timeout_timer, armed ? s->rx_activity_ns + char_timeout_ns(u) : VTIMER_OFF);
}

/* ---- interrupts ---- */

static bool rx_data_interrupt(const struct uart16550 *u)
{
	if (!fifo_enabled(u))
		return u->s.rx_count > 0;
	return u->s.rx_count >= rx_trigger_level(u);
}

/* The highest-priority enabled source, as IIR bits 0-3. */
static u8 interrupt_source(const struct uart16550 *u)
{
	const struct uart16550_state *s = &u->s;
	if ((s->ier & IER_RLSI) && (s->lsr_errors & LSR_ERRORS))
		return IIR_RLS;
	if ((s->ier & IER_RDI) && rx_data_interrupt(u))
		return IIR_RDA;
	if ((s->ier & IER_RDI) && s->timeout_pending)
		return IIR_TIMEOUT;
	if ((s->ier & IER_THRI) && s->thre_pending)
		return IIR_THRE;
	if ((s->ier & IER_MSI) && (s->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NONE;
}

static void update_irq(struct uart16550 *u)
{
	u8 mcr = u->s.mcr;
	bool level = interrupt_source(u) != IIR_NONE && (mcr & MCR_OUT2) && !(mcr & MCR_LOOP);
	if (level == u->s.irq_level)
		return;
	u->s.irq_level = level;
	machine__set_irq(u->m, u->irq, level);
}

/* Anything that changed FIFO contents or enables re-evaluates both. */
static void rx_changed(struct uart16550 *u)
{
	update_timeout_timer(u);
	update_irq(u);
}

static void timeout_fire(void *opaque, u64 now)
{
	struct uart16550 *u = opaque;
	(void)now;
	if (fifo_enabled(u) && u->s.rx_count && (u->s.ier & IER_RDI))
		u->s.timeout_pending = true;
	update_irq(u);
}

/* ---- modem lines ---- */

static u8 modem_lines(const struct uart16550 *u)
{
	u8 mcr = u->s.mcr;
	if (!(mcr & MCR_LOOP))
		return MSR_IDLE_LINES;
	return (mcr & MCR_RTS ? MSR_CTS : 0) | (mcr & MCR_DTR ? MSR_DSR : 0) |
	       (mcr & MCR_OUT1 ? MSR_RI : 0) | (mcr & MCR_OUT2 ? MSR_DCD : 0);
}

/* New line levels set the delta bits: changes, and RI's trailing edge. */
static void set_modem_lines(struct uart16550 *u, u8 lines)
{
	u8 old = u->s.msr & 0xf0;
	u8 changed = old ^ lines;
	u8 deltas = (changed >> 4) & (MSR_DELTAS & ~MSR_TERI);
	if ((old & MSR_RI) && !(lines & MSR_RI))
		deltas |= MSR_TERI;
	u->s.msr = lines | (u->s.msr & MSR_DELTAS) | deltas;
}

/* ---- register reads ---- */

static u8 read_rbr(struct uart16550 *u)
{
	if (!u->s.rx_count)
		return 0;
	u8 byte = rx_pop(u);
	u->s.rx_activity_ns = machine__now(u->m);
	u->s.timeout_pending = false;
	rx_changed(u);
	return byte;
}

static u8 read_iir(struct uart16550 *u)
{
	u8 source = interrupt_source(u);
	if (source == IIR_THRE) {
		u->s.thre_pending = false;
		update_irq(u);
	}
	return source | (fifo_enabled(u) ? IIR_FIFOS_ON : 0);
}

static u8 read_lsr(struct uart16550 *u)
{
	u8 lsr = (u->s.rx_count ? LSR_DR : 0) | u->s.lsr_errors | LSR_THRE | LSR_TEMT;
	u->s.lsr_errors = 0;
	update_irq(u);
	return lsr;
}

static u8 read_msr(struct uart16550 *u)
{
	u8 msr = u->s.msr;
	u->s.msr &= ~MSR_DELTAS;
	update_irq(u);
	return msr;
}

static u8 uart_read(struct uart16550 *u, unsigned reg)
{
	bool dlab = u->s.lcr & LCR_DLAB;
	switch (reg) {
	case REG_RBR_THR: return dlab ? u->s.dll : read_rbr(u);
	case REG_IER: return dlab ? u->s.dlm : u->s.ier;
	case REG_IIR_FCR: return read_iir(u);
	case REG_LCR: return u->s.lcr;
	case REG_MCR: return u->s.mcr;
	case REG_LSR: return read_lsr(u);
	case REG_MSR: return read_msr(u);
	default: return u->s.scr;
	}
}

/* ---- register writes ---- */

static void write_thr(struct uart16550 *u, u8 byte)
{
	/* Loading THR clears THRE, and the INTR output drops with it ... */
	u->s.thre_pending = false;
	update_irq(u);
	if (u->s.mcr & MCR_LOOP) {
		rx_push(u, byte);
		rx_changed(u);
	} else if (u->tx) {
		u->tx(u->tx_opaque, byte);
	}
	/* ... and the byte leaves at once: THR is empty again. */
	u->s.thre_pending = true;
	update_irq(u);
}

static void write_ier(struct uart16550 *u, u8 v)
{
	u8 old = u->s.ier;
	u->s.ier = v & 0x0f;
	if (!(old & IER_THRI) && (v & IER_THRI))
		u->s.thre_pending = true; /* THR is always empty here */
	rx_changed(u);
}

static void write_fcr(struct uart16550 *u, u8 v)
{
	bool was_enabled = fifo_enabled(u);
	if (!(v & FCR_ENABLE)) {
		/* The other bits are only programmed together with FCR0. */
		u->s.fcr &= ~FCR_ENABLE;
	} else {
		u->s.fcr = v & FCR_KEPT;
	}
	/* Switching between FIFO and 16450 mode empties the FIFOs. */
	if (was_enabled != fifo_enabled(u) || (fifo_enabled(u) && (v & FCR_CLEAR_RX)))
		rx_clear(u);
	rx_changed(u);
}

static void write_mcr(struct uart16550 *u, u8 v)
{
	u->s.mcr = v & 0x1f;
	set_modem_lines(u, modem_lines(u));
	update_irq(u);
}

static void uart_write(struct uart16550 *u, unsigned reg, u8 v)
{
	bool dlab = u->s.lcr & LCR_DLAB;
	switch (reg) {
	case REG_RBR_THR:
		if (dlab)
			u->s.dll = v;
		else
			write_thr(u, v);
		break;
	case REG_IER:
		if (dlab)
			u->s.dlm = v;
		else
			write_ier(u, v);
		break;
	case REG_IIR_FCR: write_fcr(u, v); break;
	case REG_LCR: u->s.lcr = v; break;
	case REG_MCR: write_mcr(u, v); break;
	case REG_SCR: u->s.scr = v; break;
	default: break; /* LSR and MSR are read-only (writing LSR is factory test) */
	}
	/* The divisor and the character format set the timeout length. */
	if (reg == REG_LCR || (dlab && reg <= REG_IER))
		update_timeout_timer(u);
}

static void uart_io(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
		    unsigned len, bool is_write)
{
	(void)vcpu;
	struct uart16550 *u = opaque;
	for (unsigned k = 0; k < len; k++) {
		if (is_write)
			uart_write(u, (addr + k) & 7, data[k]);
		else
			data[k] = uart_read(u, (addr + k) & 7);
	}
}

/* ---- host side ---- */

size_t uart16550__receive(struct uart16550 *u, const u8 *buf, size_t n)
{
	if (u->s.mcr & MCR_LOOP)
		return 0;
	size_t room = rx_capacity(u) - u->s.rx_count;
	size_t take = n < room ? n : room;
	for (size_t k = 0; k < take; k++)
		rx_push(u, buf[k]);
	if (take)
		rx_changed(u);
	return take;
}

size_t uart16550__rx_room(struct uart16550 *u)
{
	u8 mcr = u->s.mcr;
	if (!(u->s.ier & IER_RDI) || !(mcr & MCR_OUT2) || (mcr & MCR_LOOP))
		return 0;
	return rx_capacity(u) - u->s.rx_count;
}

/* ---- life cycle ---- */

static void uart_restored(void *dev)
{
	struct uart16550 *u = dev;
	machine__set_irq(u->m, u->irq, u->s.irq_level);
}

static void uart_reset_state(struct uart16550_state *s)
{
	*s = (struct uart16550_state){ 0 };
	s->dll = 1;
	s->msr = MSR_IDLE_LINES;
	s->thre_pending = true; /* THR starts empty */
	s->timeout_deadline = VTIMER_OFF;
}

/*
 * The device is registered with the machine first: if wiring it up fails
 * later, the machine still owns it (a timer or bus range cannot be
 * unregistered) and frees it on destroy.
 */
struct uart16550 *uart16550__create(struct encore_machine *m, u16 port, unsigned irq,
				    void (*tx)(void *opaque, u8 byte), void *tx_opaque)
{
	struct uart16550 *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	uart_reset_state(&u->s);
	u->m = m;
	u->irq = irq;
	u->tx = tx;
	u->tx_opaque = tx_opaque;
	struct device d = { .name = "uart16550", .state = &u->s, .state_size = sizeof(u->s),
			    .restored = uart_restored, .dev = u };
	if (machine__add_device(m, &d)) {
		free(u);
		return NULL;
	}
	if (machine__timer_add(m, &u->timeout_timer, "uart16550-timeout", timeout_fire, u,
			       &u->s.timeout_deadline) ||
	    bus__register(&m->pio, port, 8, uart_io, u, "uart16550"))
		return NULL;
	return u;
}

/* ---- the old interface, kept until its callers move to create ---- */

static void file_tx(void *opaque, u8 byte)
{
	FILE *out = opaque;
	fputc(byte, out);
	if (byte == '\n')
		fflush(out);
}

struct uart16550 *uart16550__init(struct encore_machine *m, u16 port, FILE *out)
{
	unsigned irq = port == COM1_PORT ? UART_IRQ_COM1 : UART_IRQ_COM2;
	return uart16550__create(m, port, irq, file_tx, out);
}

void uart16550__destroy(struct uart16550 *u)
{
	(void)u; /* the machine destroys its devices */
}

static size_t port_rx_room(void *uart)
{
	return uart16550__rx_room(uart);
}

static size_t port_receive(void *uart, const u8 *buf, size_t n)
{
	return uart16550__receive(uart, buf, n);
}

struct serial_port uart16550__port(struct uart16550 *u)
{
	return (struct serial_port){ .rx_room = port_rx_room, .receive = port_receive, .uart = u };
}
