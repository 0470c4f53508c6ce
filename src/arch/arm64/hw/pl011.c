/*
 * PL011 UART (Arm PrimeCell UART TRM, r1p5).  What this model does and why:
 *
 * - Identification: PeriphID 0x00341011 (part 0x011, designer 0x41 = Arm,
 *   revision 3 = r1p5), PCellID 0xb105f00d.  Linux's AMBA bus matches
 *   amba-pl011 on 0x00041011 under the mask 0x000fffff, and the driver
 *   takes revision 3 to mean 32-entry FIFOs, which this model has (FEN
 *   set; one holding register each way when FEN is clear).
 * - Transmit is immediate while UARTEN and TXE are set: the byte goes to
 *   the host (or, with LBE, to our own receiver) and the FIFO is empty
 *   again.  While the transmitter is disabled, written bytes wait in the
 *   TX FIFO (BUSY set, TXFE clear) and leave when it is enabled, as on the
 *   hardware; a board that starts a kernel with earlycon=pl011 without
 *   firmware must enable the UART first, as firmware does.
 * - TX interrupt: set when the transmitter takes a byte and leaves the
 *   FIFO at or below the trigger level (empty, with the FIFOs off);
 *   cleared by filling it above the level (by one byte with the FIFOs
 *   off) or by UARTICR.  The TRM: it is "based on a transition through a
 *   level", so it is clear at reset and unmasking TXIM with an empty FIFO
 *   raises nothing; Linux primes the FIFO before unmasking TXIM.
 * - RX interrupt: set when a character arrives and the FIFO holds the
 *   trigger level (any character, with the FIFOs off); cleared by reading
 *   below the level or by UARTICR.
 * - RX timeout: set when the FIFO is not empty and no character has come
 *   for 32 bit periods, measured in virtual time with a device timer from
 *   the newest character; cleared by reading the FIFO empty or by
 *   UARTICR.  The bit period follows IBRD/FBRD as latched by the last
 *   LCR_H write (TRM: the three form one register updated by that write)
 *   and UARTCLK = PL011_CLOCK_HZ; an invalid IBRD of 0 counts as 1.
 * - Modem lines: nothing is cabled, so CTS, DSR and DCD read asserted (a
 *   console may talk) and RI not; with LBE they follow RTS, DTR, Out1 and
 *   Out2 (TRM loopback wiring).  Each change sets its modem interrupt.
 *   CTSEn/RTSEn flow control is stored but has no effect.
 * - Errors: only overrun exists (loopback into a full FIFO; host input
 *   is never taken beyond rx_room).  It sets RSR.OE, OERIS, and DR.OE on
 *   the next character stored.  Break, parity and framing are not
 *   modelled (LCR_H.BRK is stored only); IrDA (ILPR) and DMA (DMACR) are
 *   registers without function.
 * - Accesses: registers are 32-bit words; a read of any size returns the
 *   bytes of the word it covers, a write must start at the word's first
 *   byte and is zero-extended (writeb to UARTDR, writew, writel all work);
 *   other writes and unknown offsets are ignored, unknown reads are 0.
 */
#include <stdlib.h>
#include <string.h>

#include "arch/arm64/hw/pl011.h"

#define DR_OE 0x800
#define RSR_OE 0x08

#define FR_CTS 0x001
#define FR_DSR 0x002
#define FR_DCD 0x004
#define FR_BUSY 0x008
#define FR_RXFE 0x010
#define FR_TXFF 0x020
#define FR_RXFF 0x040
#define FR_TXFE 0x080
#define FR_RI 0x100

#define LCRH_FEN 0x10

#define CR_UARTEN 0x0001
#define CR_LBE 0x0080
#define CR_TXE 0x0100
#define CR_RXE 0x0200
#define CR_DTR 0x0400
#define CR_RTS 0x0800
#define CR_OUT1 0x1000
#define CR_OUT2 0x2000
#define CR_WRITABLE 0xff87 /* bits 3-6 are reserved */

/* Interrupt bits in RIS, MIS, IMSC and ICR. */
#define INT_RI 0x001
#define INT_CTS 0x002
#define INT_DCD 0x004
#define INT_DSR 0x008
#define INT_RX 0x010
#define INT_TX 0x020
#define INT_RT 0x040
#define INT_OE 0x400
#define INT_ALL 0x7ff

/* The modem inputs in pl011_state.modem. */
#define MODEM_CTS 0x1
#define MODEM_DSR 0x2
#define MODEM_DCD 0x4
#define MODEM_RI 0x8

#define CR_RESET (CR_TXE | CR_RXE)
#define IFLS_RESET 0x12 /* both trigger levels at 1/2 */

/* PeriphID0-3 then PCellID0-3, one byte per word from 0xfe0. */
static const u8 pl011_id[8] = { 0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

_Static_assert(sizeof(struct pl011_state) == 144, "pl011_state has padding");

struct pl011 {
	struct pl011_state s;
	struct encore_machine *m;
	unsigned irq;
	void (*tx)(void *opaque, u8 byte);
	void *tx_opaque;
	struct vtimer timeout_timer;
};

/* ---- configuration ---- */

static bool fifo_enabled(const struct pl011 *p)
{
	return p->s.lcr_h & LCRH_FEN;
}

static unsigned capacity(const struct pl011 *p)
{
	return fifo_enabled(p) ? PL011_FIFO_DEPTH : 1;
}

/* IFLS fields: 1/8, 1/4, 1/2, 3/4, 7/8 of the FIFO; the reserved codes
 * 5-7 act as 7/8. */
static unsigned fifo_level(unsigned code)
{
	static const u8 eighths[5] = { 1, 2, 4, 6, 7 };
	return eighths[code < 5 ? code : 4] * PL011_FIFO_DEPTH / 8;
}

static unsigned rx_trigger(const struct pl011 *p)
{
	return fifo_level((p->s.ifls >> 3) & 7);
}

static unsigned tx_trigger(const struct pl011 *p)
{
	return fifo_level(p->s.ifls & 7);
}

static bool tx_enabled(const struct pl011 *p)
{
	return (p->s.cr & (CR_UARTEN | CR_TXE)) == (CR_UARTEN | CR_TXE);
}

static bool rx_enabled(const struct pl011 *p)
{
	return (p->s.cr & (CR_UARTEN | CR_RXE)) == (CR_UARTEN | CR_RXE);
}

static bool loopback(const struct pl011 *p)
{
	return p->s.cr & CR_LBE;
}

/* 32 bit periods: 32 * 16 UARTCLK cycles per bit, times the divisor
 * (in 64ths), rounded up to whole ns. */
static u64 timeout_ns(const struct pl011 *p)
{
	u64 div = p->s.baud_divisor;
	if (div < 64)
		div = 64;
	return (8 * div * 1000000000ull + PL011_CLOCK_HZ - 1) / PL011_CLOCK_HZ;
}

/* ---- the interrupt line ---- */

static void update_irq(struct pl011 *p)
{
	u8 level = (p->s.ris & p->s.imsc) != 0;
	if (level == p->s.irq_level)
		return;
	p->s.irq_level = level;
	machine__set_irq(p->m, p->irq, level);
}

/* ---- receive ---- */

static void rx_timer_arm(struct pl011 *p)
{
	u64 deadline = p->s.rx_count ? p->s.rx_last_ns + timeout_ns(p) : VTIMER_OFF;
	machine__timer_arm(p->m, &p->timeout_timer, deadline);
}

static void rx_flush(struct pl011 *p)
{
	p->s.rx_head = p->s.rx_count = 0;
	p->s.overrun = 0;
	p->s.ris &= ~(INT_RX | INT_RT);
	machine__timer_disarm(p->m, &p->timeout_timer);
}

/* A character arrives from the receive shift register. */
static void rx_push(struct pl011 *p, u16 entry)
{
	struct pl011_state *s = &p->s;
	if (s->rx_count == capacity(p)) {
		/* The FIFO keeps its contents; the new character is lost. */
		s->rsr |= RSR_OE;
		s->ris |= INT_OE;
		s->overrun = 1;
		return;
	}
	if (s->overrun)
		entry |= DR_OE;
	s->overrun = 0;
	s->rx_fifo[(s->rx_head + s->rx_count) % PL011_FIFO_DEPTH] = entry;
	s->rx_count++;
	s->rx_last_ns = machine__now(p->m);
	if (!fifo_enabled(p) || s->rx_count >= rx_trigger(p))
		s->ris |= INT_RX;
	rx_timer_arm(p);
}

static u16 read_dr(struct pl011 *p)
{
	struct pl011_state *s = &p->s;
	if (!s->rx_count)
		return 0;
	u16 entry = s->rx_fifo[s->rx_head];
	s->rx_head = (s->rx_head + 1) % PL011_FIFO_DEPTH;
	s->rx_count--;
	s->rsr |= (entry >> 8) & 0x7; /* FE, PE, BE of the character read */
	if (!fifo_enabled(p) || s->rx_count < rx_trigger(p))
		s->ris &= ~INT_RX;
	if (!s->rx_count) {
		s->ris &= ~INT_RT;
		machine__timer_disarm(p->m, &p->timeout_timer);
	}
	update_irq(p);
	return entry;
}

static void timeout_fire(void *opaque, u64 now)
{
	struct pl011 *p = opaque;
	(void)now;
	if (p->s.rx_count)
		p->s.ris |= INT_RT;
	update_irq(p);
}

/* ---- transmit ---- */

/* The transmitter sends one character: to the host, or to our receiver. */
static void tx_send(struct pl011 *p, u8 byte)
{
	if (!loopback(p)) {
		if (p->tx)
			p->tx(p->tx_opaque, byte);
	} else if (rx_enabled(p)) {
		rx_push(p, byte);
	}
}

/* Send everything the FIFO holds; the level passing the trigger on the
 * way down (to empty) is what raises the TX interrupt. */
static void tx_drain(struct pl011 *p)
{
	struct pl011_state *s = &p->s;
	if (!s->tx_count)
		return;
	while (s->tx_count) {
		u8 byte = s->tx_fifo[s->tx_head];
		s->tx_head = (s->tx_head + 1) % PL011_FIFO_DEPTH;
		s->tx_count--;
		tx_send(p, byte);
	}
	s->ris |= INT_TX;
}

static void write_dr(struct pl011 *p, u8 byte)
{
	struct pl011_state *s = &p->s;
	if (s->tx_count == capacity(p))
		return; /* the TX FIFO has no overrun flag: the byte is lost */
	s->tx_fifo[(s->tx_head + s->tx_count) % PL011_FIFO_DEPTH] = byte;
	s->tx_count++;
	if (!fifo_enabled(p) || s->tx_count > tx_trigger(p))
		s->ris &= ~INT_TX;
	if (tx_enabled(p))
		tx_drain(p);
	update_irq(p);
}

/* ---- modem lines ---- */

static u8 modem_inputs(const struct pl011 *p)
{
	u16 cr = p->s.cr;
	if (!loopback(p))
		return MODEM_CTS | MODEM_DSR | MODEM_DCD;
	return (cr & CR_RTS ? MODEM_CTS : 0) | (cr & CR_DTR ? MODEM_DSR : 0) |
	       (cr & CR_OUT1 ? MODEM_DCD : 0) | (cr & CR_OUT2 ? MODEM_RI : 0);
}

static void set_modem_inputs(struct pl011 *p, u8 lines)
{
	u8 changed = p->s.modem ^ lines;
	p->s.modem = lines;
	p->s.ris |= (changed & MODEM_CTS ? INT_CTS : 0) | (changed & MODEM_DSR ? INT_DSR : 0) |
		    (changed & MODEM_DCD ? INT_DCD : 0) | (changed & MODEM_RI ? INT_RI : 0);
}

/* ---- registers ---- */

static u16 read_fr(const struct pl011 *p)
{
	const struct pl011_state *s = &p->s;
	u16 fr = (s->modem & MODEM_CTS ? FR_CTS : 0) | (s->modem & MODEM_DSR ? FR_DSR : 0) |
		 (s->modem & MODEM_DCD ? FR_DCD : 0) | (s->modem & MODEM_RI ? FR_RI : 0);
	if (s->tx_count)
		fr |= FR_BUSY;
	else
		fr |= FR_TXFE;
	if (!s->rx_count)
		fr |= FR_RXFE;
	if (s->rx_count == capacity(p))
		fr |= FR_RXFF;
	if (s->tx_count == capacity(p))
		fr |= FR_TXFF;
	return fr;
}

static u32 read_reg(struct pl011 *p, unsigned off)
{
	const struct pl011_state *s = &p->s;
	if (off >= PL011_PERIPH_ID0)
		return pl011_id[(off - PL011_PERIPH_ID0) / 4];
	switch (off) {
	case PL011_DR: return read_dr(p);
	case PL011_RSR_ECR: return s->rsr;
	case PL011_FR: return read_fr(p);
	case PL011_ILPR: return s->ilpr;
	case PL011_IBRD: return s->ibrd;
	case PL011_FBRD: return s->fbrd;
	case PL011_LCR_H: return s->lcr_h;
	case PL011_CR: return s->cr;
	case PL011_IFLS: return s->ifls;
	case PL011_IMSC: return s->imsc;
	case PL011_RIS: return s->ris;
	case PL011_MIS: return s->ris & s->imsc;
	case PL011_DMACR: return s->dmacr;
	default: return 0; /* ICR is write-only; the rest is reserved or test logic */
	}
}

static void write_lcr_h(struct pl011 *p, u32 v)
{
	struct pl011_state *s = &p->s;
	bool fen_changed = (s->lcr_h ^ v) & LCRH_FEN;
	s->lcr_h = v & 0xff;
	/* Switching between FIFO and character mode empties both ways (the
	 * TRM flushes the TX FIFO by clearing FEN). */
	if (fen_changed) {
		rx_flush(p);
		s->tx_head = s->tx_count = 0;
	}
	s->baud_divisor = 64u * s->ibrd + s->fbrd;
	if (s->timeout_deadline != VTIMER_OFF)
		rx_timer_arm(p);
}

static void write_cr(struct pl011 *p, u32 v)
{
	p->s.cr = v & CR_WRITABLE;
	set_modem_inputs(p, modem_inputs(p));
	if (tx_enabled(p))
		tx_drain(p);
}

static void write_reg(struct pl011 *p, unsigned off, u32 v)
{
	struct pl011_state *s = &p->s;
	switch (off) {
	case PL011_DR: write_dr(p, (u8)v); return;
	case PL011_RSR_ECR: s->rsr = 0; return;
	case PL011_ILPR: s->ilpr = (u8)v; return;
	case PL011_IBRD: s->ibrd = (u16)v; return;
	case PL011_FBRD: s->fbrd = v & 0x3f; return;
	case PL011_LCR_H: write_lcr_h(p, v); break;
	case PL011_CR: write_cr(p, v); break;
	case PL011_IFLS: s->ifls = v & 0x3f; return;
	case PL011_IMSC: s->imsc = v & INT_ALL; break;
	case PL011_ICR: s->ris &= ~(v & INT_ALL); break;
	case PL011_DMACR: s->dmacr = v & 0x7; return;
	default: return; /* FR, RIS, MIS and the IDs are read-only */
	}
	update_irq(p);
}

static void pl011_mmio(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
		       unsigned len, bool is_write)
{
	(void)vcpu;
	struct pl011 *p = opaque;
	for (unsigned k = 0; k < len;) {
		unsigned off = (unsigned)(addr + k), word = off & ~3u, first = off & 3;
		unsigned n = 4 - first < len - k ? 4 - first : len - k;
		if (is_write) {
			if (!first) {
				u32 v = 0;
				memcpy(&v, data + k, n);
				write_reg(p, word, v);
			}
		} else {
			u32 v = read_reg(p, word) >> (8 * first);
			memcpy(data + k, &v, n);
		}
		k += n;
	}
}

/* ---- host side ---- */

size_t pl011__receive(struct pl011 *p, const u8 *buf, size_t n)
{
	if (!rx_enabled(p) || loopback(p))
		return 0;
	size_t room = capacity(p) - p->s.rx_count;
	size_t take = n < room ? n : room;
	for (size_t k = 0; k < take; k++)
		rx_push(p, buf[k]);
	update_irq(p);
	return take;
}

size_t pl011__rx_room(struct pl011 *p)
{
	if (!rx_enabled(p) || loopback(p) || !(p->s.imsc & INT_RX))
		return 0;
	return capacity(p) - p->s.rx_count;
}

static size_t port_rx_room(void *uart)
{
	return pl011__rx_room(uart);
}

static size_t port_receive(void *uart, const u8 *buf, size_t n)
{
	return pl011__receive(uart, buf, n);
}

struct serial_port pl011__port(struct pl011 *p)
{
	return (struct serial_port){ .rx_room = port_rx_room, .receive = port_receive, .uart = p };
}

/* ---- life cycle ---- */

/* Indices from a damaged checkpoint must not reach past the FIFOs; a
 * checkpoint this device wrote always passes unchanged. */
static void pl011_restored(void *dev)
{
	struct pl011 *p = dev;
	struct pl011_state *s = &p->s;
	s->rx_head %= PL011_FIFO_DEPTH;
	s->tx_head %= PL011_FIFO_DEPTH;
	if (s->rx_count > capacity(p))
		s->rx_count = (u8)capacity(p);
	if (s->tx_count > capacity(p))
		s->tx_count = (u8)capacity(p);
	machine__set_irq(p->m, p->irq, s->irq_level);
}

static void pl011_reset(struct pl011_state *s)
{
	memset(s, 0, sizeof(*s));
	s->cr = CR_RESET;
	s->ifls = IFLS_RESET;
	s->modem = MODEM_CTS | MODEM_DSR | MODEM_DCD;
	s->timeout_deadline = VTIMER_OFF;
}

/*
 * The device is registered with the machine first: if wiring it up fails
 * later, the machine still owns it (a timer or bus range cannot be
 * unregistered) and frees it on destroy.
 */
struct pl011 *pl011__create(struct encore_machine *m, u64 base, unsigned irq,
			    void (*tx)(void *opaque, u8 byte), void *tx_opaque)
{
	struct pl011 *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pl011_reset(&p->s);
	p->m = m;
	p->irq = irq;
	p->tx = tx;
	p->tx_opaque = tx_opaque;
	struct device d = { .name = "pl011", .state = &p->s, .state_size = sizeof(p->s),
			    .version = 1, .restored = pl011_restored, .dev = p };
	if (machine__add_device(m, &d)) {
		free(p);
		return NULL;
	}
	if (machine__timer_add(m, &p->timeout_timer, "pl011-timeout", timeout_fire, p,
			       &p->s.timeout_deadline) ||
	    bus__register(&m->mmio, base, PL011_SIZE, pl011_mmio, p, "pl011"))
		return NULL;
	return p;
}
