/*
 * The PL011 model on a machine with no engine: the PrimeCell IDs the AMBA
 * bus matches, reset values, FIFO and character mode, the flag register,
 * each interrupt source through IMSC/RIS/MIS/ICR, the trigger levels, the
 * TX interrupt rules Linux relies on, the receive timeout in virtual
 * time, loopback with modem lines and overrun, rx_room, access sizes as
 * earlycon makes them, the interrupt line seen through a fake router,
 * and a checkpoint restored into a second machine.
 */
#include <string.h>

#include "check.h"
#include "encore/arch.h"
#include "arch/arm64/hw/pl011.h"

#define BASE 0x09000000ull
#define IRQ 1

/* UARTDR error bits and the interrupt bits (RIS, MIS, IMSC, ICR). */
#define DR_OE 0x800
#define INT_RI 0x001
#define INT_CTS 0x002
#define INT_DCD 0x004
#define INT_DSR 0x008
#define INT_RX 0x010
#define INT_TX 0x020
#define INT_RT 0x040
#define INT_OE 0x400

#define FR_CTS 0x001
#define FR_DSR 0x002
#define FR_DCD 0x004
#define FR_BUSY 0x008
#define FR_RXFE 0x010
#define FR_TXFF 0x020
#define FR_RXFF 0x040
#define FR_TXFE 0x080
#define FR_RI 0x100

#define CR_ON 0x0301   /* UARTEN, TXE, RXE */
#define CR_LBE 0x0080
#define LCRH_8N1_FIFO 0x70
#define LCRH_8N1 0x60

/* 32 bit periods at UARTCLK 24 MHz for a divisor in 64ths, rounded up. */
static u64 timeout_for(u64 div64)
{
	return (8 * div64 * 1000000000ull + 24000000 - 1) / 24000000;
}

#define T115200 timeout_for(64 * 13 + 1) /* IBRD 13, FBRD 1: 277667 ns */

struct bench {
	struct encore_machine *m;
	struct pl011 *p;
	bool level;
	unsigned raises, lowers, other_lines;
	u8 tx[512];
	unsigned ntx;
};

static void record_irq(void *opaque, unsigned line, bool level)
{
	struct bench *b = opaque;
	if (line != IRQ) {
		b->other_lines++;
		return;
	}
	b->level = level;
	if (level)
		b->raises++;
	else
		b->lowers++;
}

static void record_tx(void *opaque, u8 byte)
{
	struct bench *b = opaque;
	if (b->ntx < sizeof(b->tx))
		b->tx[b->ntx++] = byte;
}

static void bench_init(struct bench *b)
{
	memset(b, 0, sizeof(*b));
	b->m = machine__create(&arch_x86_64, 1 << 20, 1);
	b->m->irq = (struct irq_router){ record_irq, b };
	b->p = pl011__create(b->m, BASE, IRQ, record_tx, b);
}

static void bench_fini(struct bench *b)
{
	machine__destroy(b->m);
}

static u32 rd(struct bench *b, unsigned off)
{
	u32 v = 0;
	bus__access(&b->m->mmio, NULL, BASE + off, (u8 *)&v, 4, false);
	return v;
}

static void wr(struct bench *b, unsigned off, u32 v)
{
	bus__access(&b->m->mmio, NULL, BASE + off, (u8 *)&v, 4, true);
}

/* Advance virtual time to `t` ns and fire what is due. */
static void at(struct bench *b, u64 t)
{
	b->m->idle_ns = t;
	machine__fire_timers(b->m);
}

static size_t feed(struct bench *b, const char *s)
{
	return pl011__receive(b->p, (const u8 *)s, strlen(s));
}

/* Read the receive FIFO empty; returns how many bytes came out. */
static unsigned drain(struct bench *b)
{
	unsigned n = 0;
	while (!(rd(b, PL011_FR) & FR_RXFE) && n < 100) {
		rd(b, PL011_DR);
		n++;
	}
	return n;
}

/* What Linux's pl011_startup and set_termios leave at 115200 8N1:
 * interrupts cleared and masked, trigger levels 1/2, UART enabled, the
 * FIFOs on, the receive FIFO drained, then RX and RT unmasked. */
static void linux_startup(struct bench *b)
{
	wr(b, PL011_ICR, 0x7d0);
	wr(b, PL011_IMSC, 0);
	wr(b, PL011_IFLS, 0x12);
	wr(b, PL011_CR, CR_ON);
	wr(b, PL011_IBRD, 13);
	wr(b, PL011_FBRD, 1);
	wr(b, PL011_LCR_H, LCRH_8N1_FIFO);
	drain(b);
	wr(b, PL011_ICR, INT_RT | INT_RX);
	wr(b, PL011_IMSC, INT_RT | INT_RX);
}

static void test_ids(void)
{
	check_group("ids");
	struct bench b;
	bench_init(&b);
	static const u8 expect[8] = { 0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
	u32 pid = 0, cid = 0;
	unsigned good = 0;
	for (unsigned k = 0; k < 8; k++) {
		u32 v = rd(&b, 0xfe0 + 4 * k);
		good += v == expect[k];
		if (k < 4)
			pid |= (v & 0xff) << (8 * k);
		else
			cid |= (v & 0xff) << (8 * (k - 4));
	}
	CHECK(good == 8, "the eight ID words: %u/8", good);
	CHECK(pid == 0x00341011, "PeriphID %#x (r1p5)", pid);
	CHECK((pid & 0x000fffff) == 0x00041011, "matches amba-pl011's id under its mask");
	CHECK(pid >> 20 == 3, "revision 3: Linux takes 32-entry FIFOs");
	CHECK(cid == 0xb105f00d, "PCellID %#x", cid);
	u8 byte = 0;
	bus__access(&b.m->mmio, NULL, BASE + 0xfe8, &byte, 1, false);
	CHECK(byte == 0x34, "byte read of PeriphID2: %#x", byte);
	wr(&b, 0xfe0, 0);
	wr(&b, 0xff0, 0);
	CHECK(rd(&b, 0xfe0) == 0x11 && rd(&b, 0xff0) == 0x0d, "ID registers are read-only");
	CHECK(rd(&b, 0x080) == 0 && rd(&b, 0x04c) == 0 && rd(&b, 0xfdc) == 0, "reserved offsets read 0");
	bench_fini(&b);
}

static void test_reset(void)
{
	check_group("reset");
	struct bench b;
	bench_init(&b);
	CHECK(b.p != NULL, "created");
	struct device *d = machine__find_device(b.m, "pl011");
	CHECK(d && d->version == 1 && d->state_size == sizeof(struct pl011_state) && d->restored,
	      "registered as \"pl011\", version 1, with its plain state");
	CHECK(rd(&b, PL011_FR) == (FR_TXFE | FR_RXFE | FR_CTS | FR_DSR | FR_DCD), "FR %#x", rd(&b, PL011_FR));
	CHECK(rd(&b, PL011_CR) == 0x300, "CR %#x: TXE, RXE, not enabled", rd(&b, PL011_CR));
	CHECK(rd(&b, PL011_IFLS) == 0x12, "IFLS %#x", rd(&b, PL011_IFLS));
	CHECK(rd(&b, PL011_LCR_H) == 0 && rd(&b, PL011_IBRD) == 0 && rd(&b, PL011_FBRD) == 0, "LCR_H, IBRD, FBRD 0");
	CHECK(rd(&b, PL011_IMSC) == 0 && rd(&b, PL011_RIS) == 0 && rd(&b, PL011_MIS) == 0, "no interrupts");
	CHECK(rd(&b, PL011_RSR_ECR) == 0 && rd(&b, PL011_DMACR) == 0 && rd(&b, PL011_ILPR) == 0, "RSR, DMACR, ILPR 0");
	CHECK(rd(&b, PL011_DR) == 0, "empty DR reads 0");
	CHECK(!b.level && b.raises == 0 && b.lowers == 0, "line untouched");

	/* Register widths. */
	wr(&b, PL011_IBRD, 0xffffffff);
	wr(&b, PL011_FBRD, 0xffffffff);
	wr(&b, PL011_LCR_H, 0xffffffff);
	wr(&b, PL011_IFLS, 0xffffffff);
	wr(&b, PL011_ILPR, 0xffffffff);
	wr(&b, PL011_DMACR, 0xffffffff);
	wr(&b, PL011_IMSC, 0xffffffff);
	CHECK(rd(&b, PL011_IBRD) == 0xffff && rd(&b, PL011_FBRD) == 0x3f, "IBRD 16 bits, FBRD 6");
	CHECK(rd(&b, PL011_LCR_H) == 0xff && rd(&b, PL011_IFLS) == 0x3f, "LCR_H 8 bits, IFLS 6");
	CHECK(rd(&b, PL011_ILPR) == 0xff && rd(&b, PL011_DMACR) == 7, "ILPR 8 bits, DMACR 3");
	CHECK(rd(&b, PL011_IMSC) == 0x7ff, "IMSC 11 bits");
	wr(&b, PL011_IMSC, 0);
	wr(&b, PL011_CR, 0xffffffff);
	CHECK(rd(&b, PL011_CR) == 0xff87, "CR without its reserved bits: %#x", rd(&b, PL011_CR));
	wr(&b, PL011_FR, 0);
	wr(&b, PL011_RIS, 0xffff);
	wr(&b, PL011_MIS, 0xffff);
	CHECK(rd(&b, PL011_RIS) != 0xffff, "RIS is read-only");
	bench_fini(&b);
}

/* FEN clear: a one-byte holding register each way. */
static void test_character_mode(void)
{
	check_group("character-mode");
	struct bench b;
	bench_init(&b);
	wr(&b, PL011_CR, CR_ON);
	wr(&b, PL011_LCR_H, LCRH_8N1);
	wr(&b, PL011_IMSC, INT_RX);
	CHECK(pl011__rx_room(b.p) == 1, "room for one byte");
	CHECK(feed(&b, "ab") == 1, "takes one of two");
	u32 fr = rd(&b, PL011_FR);
	CHECK((fr & (FR_RXFF | FR_RXFE)) == FR_RXFF, "holding register full: FR %#x", fr);
	CHECK((rd(&b, PL011_RIS) & INT_RX) && b.level, "RX interrupt on the one byte");
	CHECK(pl011__rx_room(b.p) == 0 && feed(&b, "b") == 0, "no room");
	CHECK(rd(&b, PL011_DR) == 'a', "the byte");
	CHECK(!(rd(&b, PL011_RIS) & INT_RX) && !b.level, "read clears RX");
	CHECK((rd(&b, PL011_FR) & (FR_RXFF | FR_RXFE)) == FR_RXFE, "empty again");

	/* Transmit with the transmitter off: the byte waits. */
	wr(&b, PL011_CR, 0x0201);
	wr(&b, PL011_DR, 'x');
	fr = rd(&b, PL011_FR);
	CHECK((fr & (FR_TXFF | FR_TXFE | FR_BUSY)) == (FR_TXFF | FR_BUSY), "held: TXFF, BUSY: FR %#x", fr);
	wr(&b, PL011_DR, 'y');
	CHECK(b.ntx == 0, "nothing sent while TXE is clear");
	wr(&b, PL011_CR, CR_ON);
	CHECK(b.ntx == 1 && b.tx[0] == 'x', "enabling sends the held byte; the second was lost");
	CHECK((rd(&b, PL011_FR) & (FR_TXFF | FR_TXFE | FR_BUSY)) == FR_TXFE, "transmitter empty");
	wr(&b, PL011_DR, 'z');
	CHECK(b.ntx == 2 && b.tx[1] == 'z', "immediate while enabled");
	wr(&b, PL011_CR, 0x0300);
	wr(&b, PL011_DR, 'w');
	CHECK(b.ntx == 2 && (rd(&b, PL011_FR) & FR_BUSY), "UARTEN clear holds too");
	wr(&b, PL011_CR, CR_ON);
	CHECK(b.ntx == 3 && b.tx[2] == 'w', "and UARTEN sends it");
	bench_fini(&b);
}

/* FEN set: 32 entries each way, in order. */
static void test_fifo_mode(void)
{
	check_group("fifo-mode");
	struct bench b;
	bench_init(&b);
	wr(&b, PL011_CR, CR_ON);
	wr(&b, PL011_LCR_H, LCRH_8N1_FIFO);
	wr(&b, PL011_IMSC, INT_RX);
	CHECK(pl011__rx_room(b.p) == 32, "32 free");
	const char *in = "0123456789abcdefghijklmnopqrstuvwxyzABCD";
	CHECK(feed(&b, in) == 32, "takes 32 of 40");
	CHECK(rd(&b, PL011_FR) & FR_RXFF, "RXFF");
	CHECK(pl011__rx_room(b.p) == 0, "full");
	unsigned good = 0;
	for (unsigned k = 0; k < 32; k++)
		good += rd(&b, PL011_DR) == (u8)in[k];
	CHECK(good == 32, "32 bytes in order: %u", good);
	CHECK(rd(&b, PL011_FR) & FR_RXFE, "RXFE");
	CHECK(rd(&b, PL011_RSR_ECR) == 0, "no error from host input");

	/* Switching FEN empties the FIFOs. */
	feed(&b, "xyz");
	wr(&b, PL011_LCR_H, LCRH_8N1);
	CHECK((rd(&b, PL011_FR) & FR_RXFE) && !(rd(&b, PL011_RIS) & INT_RX), "FEN cleared: flushed");
	feed(&b, "q");
	wr(&b, PL011_LCR_H, LCRH_8N1 | 0x02); /* parity: FEN unchanged */
	CHECK(rd(&b, PL011_DR) == 'q', "other LCR_H writes keep the data");

	/* The transmit FIFO holds 32 while the transmitter is off. */
	wr(&b, PL011_LCR_H, LCRH_8N1_FIFO);
	wr(&b, PL011_CR, 0x0201);
	for (unsigned k = 0; k < 33; k++) {
		if (k == 31)
			CHECK(!(rd(&b, PL011_FR) & FR_TXFF), "31 held: not full");
		wr(&b, PL011_DR, 'A' + k);
	}
	u32 fr = rd(&b, PL011_FR);
	CHECK((fr & (FR_TXFF | FR_TXFE | FR_BUSY)) == (FR_TXFF | FR_BUSY), "32 held: FR %#x", fr);
	wr(&b, PL011_CR, CR_ON);
	good = 0;
	for (unsigned k = 0; k < 32; k++)
		good += b.tx[k] == 'A' + k;
	CHECK(b.ntx == 32 && good == 32, "32 sent in order (%u, %u good), the 33rd lost", b.ntx, good);
	bench_fini(&b);
}

/* RX interrupt at each trigger level (of 32 entries), cleared by reading
 * below it; MIS follows IMSC. */
static void test_rx_trigger(void)
{
	check_group("rx-trigger");
	static const unsigned levels[] = { 4, 8, 16, 24, 28, 28, 28, 28 };
	for (unsigned code = 0; code < 8; code++) {
		struct bench b;
		bench_init(&b);
		wr(&b, PL011_CR, CR_ON);
		wr(&b, PL011_LCR_H, LCRH_8N1_FIFO);
		wr(&b, PL011_IFLS, code << 3);
		wr(&b, PL011_IMSC, INT_RX);
		unsigned lv = levels[code];
		for (unsigned k = 0; k + 1 < lv; k++)
			feed(&b, "r");
		bool before = rd(&b, PL011_RIS) & INT_RX;
		feed(&b, "r");
		bool at_level = (rd(&b, PL011_RIS) & INT_RX) && (rd(&b, PL011_MIS) & INT_RX) && b.level;
		rd(&b, PL011_DR);
		bool below = !(rd(&b, PL011_RIS) & INT_RX) && !b.level;
		CHECK(!before && at_level && below, "IFLS RX code %u: level %u (%d %d %d)", code, lv,
		      before, at_level, below);
		bench_fini(&b);
	}

	struct bench b;
	bench_init(&b);
	wr(&b, PL011_CR, CR_ON);
	wr(&b, PL011_LCR_H, LCRH_8N1_FIFO);
	for (unsigned k = 0; k < 16; k++)
		feed(&b, "m");
	CHECK((rd(&b, PL011_RIS) & INT_RX) && !(rd(&b, PL011_MIS) & INT_RX) && !b.level,
	      "masked: RIS only, line low");
	wr(&b, PL011_IMSC, INT_RX);
	CHECK((rd(&b, PL011_MIS) & INT_RX) && b.level, "unmasked: MIS and the line");
	wr(&b, PL011_ICR, INT_RX);
	CHECK(!(rd(&b, PL011_RIS) & INT_RX) && !b.level, "ICR clears it though 16 remain");
	feed(&b, "m");
	CHECK((rd(&b, PL011_RIS) & INT_RX) && b.level, "the next byte at the level sets it again");
	bench_fini(&b);
}

/* The TX interrupt: a transition through the level, never the empty
 * FIFO by itself. */
static void test_tx_interrupt(void)
{
	check_group("tx-interrupt");
	struct bench b;
	bench_init(&b);
	linux_startup(&b);
	wr(&b, PL011_IMSC, INT_RT | INT_RX | INT_TX);
	CHECK(!(rd(&b, PL011_RIS) & INT_TX) && !b.level, "unmasking TXIM with an empty FIFO raises nothing");
	wr(&b, PL011_DR, 'a');
	CHECK(b.ntx == 1 && (rd(&b, PL011_RIS) & INT_TX) && b.level, "a byte sent: TX interrupt");
	CHECK(rd(&b, PL011_MIS) == INT_TX, "MIS %#x", rd(&b, PL011_MIS));
	wr(&b, PL011_ICR, INT_TX);
	CHECK(!(rd(&b, PL011_RIS) & INT_TX) && !b.level, "ICR clears it");
	wr(&b, PL011_IMSC, INT_RT | INT_RX);
	wr(&b, PL011_IMSC, INT_RT | INT_RX | INT_TX);
	CHECK(!b.level, "re-unmasking does not bring it back");
	wr(&b, PL011_DR, 'b');
	CHECK(b.level, "the next byte does");
	wr(&b, PL011_IMSC, INT_RT | INT_RX);
	CHECK(!b.level && (rd(&b, PL011_RIS) & INT_TX), "masked: raw status stays");

	/* Held bytes above the trigger level (16 of 32) clear it. */
	wr(&b, PL011_CR, 0x0201);
	for (unsigned k = 0; k < 16; k++)
		wr(&b, PL011_DR, 'h');
	CHECK(rd(&b, PL011_RIS) & INT_TX, "16 held: at the level, still set");
	wr(&b, PL011_DR, 'h');
	CHECK(!(rd(&b, PL011_RIS) & INT_TX), "17 held: above it, cleared");
	wr(&b, PL011_CR, CR_ON);
	CHECK((rd(&b, PL011_RIS) & INT_TX) && b.ntx == 19, "drained through the level: set");

	/* The TX trigger field: 1/8 = 4 entries. */
	wr(&b, PL011_IFLS, 0x10);
	wr(&b, PL011_CR, 0x0201);
	for (unsigned k = 0; k < 4; k++)
		wr(&b, PL011_DR, 'h');
	CHECK(rd(&b, PL011_RIS) & INT_TX, "TX 1/8: 4 held, still set");
	wr(&b, PL011_DR, 'h');
	CHECK(!(rd(&b, PL011_RIS) & INT_TX), "TX 1/8: 5 held, cleared");
	wr(&b, PL011_CR, CR_ON);

	/* Character mode: one held byte clears it. */
	wr(&b, PL011_LCR_H, LCRH_8N1);
	wr(&b, PL011_CR, 0x0201);
	wr(&b, PL011_DR, 'c');
	CHECK(!(rd(&b, PL011_RIS) & INT_TX), "character mode: the held byte clears it");
	wr(&b, PL011_CR, CR_ON);
	CHECK(rd(&b, PL011_RIS) & INT_TX, "and sending it sets it");

	/* At reset the interrupt is clear even with everything enabled. */
	struct bench c;
	bench_init(&c);
	wr(&c, PL011_CR, CR_ON);
	wr(&c, PL011_LCR_H, LCRH_8N1_FIFO);
	wr(&c, PL011_IMSC, 0x7ff);
	CHECK(rd(&c, PL011_RIS) == 0 && !c.level, "fresh UART, all unmasked: nothing");
	bench_fini(&c);
	bench_fini(&b);
}

/* 32 bit periods after the newest character, to the ns. */
static void test_rx_timeout(void)
{
	check_group("rx-timeout");
	struct bench b;
	bench_init(&b);
	linux_startup(&b);
	const u64 t32 = T115200;
	CHECK(t32 == 277667, "32 bits at 115200 baud: %llu ns", (unsigned long long)t32);
	at(&b, 1000);
	feed(&b, "a");
	CHECK(!(rd(&b, PL011_RIS) & (INT_RX | INT_RT)) && !b.level, "one byte: below the trigger");
	at(&b, 1000 + t32 - 1);
	CHECK(!(rd(&b, PL011_RIS) & INT_RT) && !b.level, "nothing before 32 bit periods");
	at(&b, 1000 + t32);
	CHECK((rd(&b, PL011_RIS) & INT_RT) && (rd(&b, PL011_MIS) & INT_RT) && b.level, "RT at 32 bit periods");
	CHECK(rd(&b, PL011_DR) == 'a' && !(rd(&b, PL011_RIS) & INT_RT) && !b.level, "reading it empty clears RT");

	/* A new byte restarts the count; reading part does not clear it. */
	u64 t = 2000000;
	at(&b, t);
	feed(&b, "b");
	at(&b, t + t32 / 2);
	feed(&b, "c");
	at(&b, t + t32);
	CHECK(!b.level, "second byte restarted the count");
	at(&b, t + t32 / 2 + t32);
	CHECK(b.level && (rd(&b, PL011_RIS) & INT_RT), "RT from the second byte");
	CHECK(rd(&b, PL011_DR) == 'b' && (rd(&b, PL011_RIS) & INT_RT), "one of two read: RT stays");
	CHECK(rd(&b, PL011_DR) == 'c' && !(rd(&b, PL011_RIS) & INT_RT), "FIFO empty: cleared");

	/* ICR clears it with data left; the next byte starts a new count. */
	t = 5000000;
	at(&b, t);
	feed(&b, "de");
	at(&b, t + t32);
	wr(&b, PL011_ICR, INT_RT);
	CHECK(!(rd(&b, PL011_RIS) & INT_RT) && !b.level, "ICR clears RT");
	at(&b, t + 10 * t32);
	CHECK(!(rd(&b, PL011_RIS) & INT_RT), "no new RT without a new byte");
	feed(&b, "f");
	at(&b, t + 11 * t32 - 1);
	CHECK(!(rd(&b, PL011_RIS) & INT_RT), "not before its 32 bit periods");
	at(&b, t + 11 * t32);
	CHECK(rd(&b, PL011_RIS) & INT_RT, "RT for the new byte");
	CHECK(drain(&b) == 3, "three bytes waited");

	/* The trigger level interrupts at once. */
	feed(&b, "0123456789abcdef");
	CHECK((rd(&b, PL011_RIS) & (INT_RX | INT_RT)) == INT_RX && b.level, "16 bytes: RX at once");
	drain(&b);

	/* IBRD/FBRD take effect with the next LCR_H write. */
	t = 10000000;
	wr(&b, PL011_IBRD, 156);
	wr(&b, PL011_FBRD, 16);
	at(&b, t);
	feed(&b, "g");
	at(&b, t + t32);
	CHECK(rd(&b, PL011_RIS) & INT_RT, "IBRD alone: old timing");
	drain(&b);
	wr(&b, PL011_LCR_H, LCRH_8N1_FIFO);
	const u64 t9600 = timeout_for(64 * 156 + 16);
	t = 20000000;
	at(&b, t);
	feed(&b, "h");
	at(&b, t + t9600 - 1);
	CHECK(!(rd(&b, PL011_RIS) & INT_RT), "9600 baud: not yet");
	at(&b, t + t9600);
	CHECK(rd(&b, PL011_RIS) & INT_RT, "9600 baud: at %llu ns", (unsigned long long)t9600);
	drain(&b);

	/* A baud change re-times a count under way. */
	t = 40000000;
	at(&b, t);
	feed(&b, "i");
	wr(&b, PL011_IBRD, 13);
	wr(&b, PL011_FBRD, 1);
	wr(&b, PL011_LCR_H, LCRH_8N1_FIFO);
	at(&b, t + t32);
	CHECK(rd(&b, PL011_RIS) & INT_RT, "re-timed from the byte at the new rate");
	drain(&b);
	bench_fini(&b);

	/* The invalid IBRD 0 at reset counts as 1. */
	bench_init(&b);
	wr(&b, PL011_CR, CR_ON);
	wr(&b, PL011_IMSC, INT_RT);
	feed(&b, "z");
	at(&b, timeout_for(64) - 1);
	CHECK(!b.level, "IBRD 0: not yet");
	at(&b, timeout_for(64));
	CHECK(b.level, "IBRD 0 times as divisor 1: %llu ns", (unsigned long long)timeout_for(64));
	bench_fini(&b);
}

/* LBE: the transmitter feeds the receiver; modem outputs feed the inputs. */
static void test_loopback(void)
{
	check_group("loopback");
	struct bench b;
	bench_init(&b);
	wr(&b, PL011_LCR_H, LCRH_8N1_FIFO);
	wr(&b, PL011_IMSC, INT_RX);
	wr(&b, PL011_CR, CR_ON | CR_LBE);
	CHECK((rd(&b, PL011_FR) & (FR_CTS | FR_DSR | FR_DCD | FR_RI)) == 0, "modem inputs follow the (clear) outputs");
	CHECK((rd(&b, PL011_RIS) & 0xf) == (INT_CTS | INT_DSR | INT_DCD), "CTS, DSR, DCD changed: %#x",
	      rd(&b, PL011_RIS) & 0xf);
	wr(&b, PL011_ICR, 0xf);
	static const struct { u32 cr; u32 fr; u32 ris; } map[] = {
		{ 0x0800, FR_CTS, INT_CTS }, { 0x0400, FR_DSR, INT_DSR },
		{ 0x1000, FR_DCD, INT_DCD }, { 0x2000, FR_RI, INT_RI },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(map); k++) {
		wr(&b, PL011_CR, CR_ON | CR_LBE | map[k].cr);
		u32 fr = rd(&b, PL011_FR) & (FR_CTS | FR_DSR | FR_DCD | FR_RI);
		u32 ris = rd(&b, PL011_RIS) & 0xf;
		CHECK(fr == map[k].fr && ris == map[k].ris, "CR %#x -> FR %#x (%#x), RIS %#x (%#x)", map[k].cr, map[k].fr,
		      fr, map[k].ris, ris);
		wr(&b, PL011_CR, CR_ON | CR_LBE);
		wr(&b, PL011_ICR, 0xf);
	}
	CHECK(pl011__rx_room(b.p) == 0 && feed(&b, "no") == 0, "serial input cut off");
	wr(&b, PL011_DR, 'h');
	wr(&b, PL011_DR, 'i');
	CHECK(b.ntx == 0, "nothing reaches the host");
	CHECK(rd(&b, PL011_DR) == 'h' && rd(&b, PL011_DR) == 'i', "the bytes come back in order");
	CHECK(rd(&b, PL011_RIS) & INT_TX, "and were transmitted");

	/* Character mode overrun: the second byte is lost, OE marks the next. */
	wr(&b, PL011_LCR_H, LCRH_8N1);
	wr(&b, PL011_IMSC, INT_OE);
	wr(&b, PL011_DR, '1');
	CHECK(!b.level, "no overrun yet");
	wr(&b, PL011_DR, '2');
	CHECK((rd(&b, PL011_RSR_ECR) & 0x8) && (rd(&b, PL011_RIS) & INT_OE) && b.level, "overrun: RSR.OE, OERIS");
	CHECK(rd(&b, PL011_DR) == '1', "the first byte kept");
	wr(&b, PL011_DR, '3');
	CHECK(rd(&b, PL011_DR) == (DR_OE | '3'), "the next byte carries DR.OE");
	CHECK(rd(&b, PL011_RSR_ECR) & 0x8, "RSR.OE sticks");
	wr(&b, PL011_RSR_ECR, 0);
	CHECK(rd(&b, PL011_RSR_ECR) == 0, "a write to ECR clears it");
	wr(&b, PL011_ICR, INT_OE);
	CHECK(!b.level, "ICR clears OERIS");

	/* The receiver must be enabled to take the looped byte. */
	wr(&b, PL011_CR, 0x0101 | CR_LBE);
	wr(&b, PL011_DR, '4');
	CHECK((rd(&b, PL011_FR) & FR_RXFE) && b.ntx == 0, "RXE clear: the byte is lost");

	/* Leaving loopback: inputs back to their idle levels, input open. */
	wr(&b, PL011_CR, CR_ON);
	CHECK((rd(&b, PL011_FR) & (FR_CTS | FR_DSR | FR_DCD | FR_RI)) == (FR_CTS | FR_DSR | FR_DCD),
	      "CTS, DSR, DCD asserted again");
	wr(&b, PL011_IMSC, INT_RX);
	CHECK(feed(&b, "k") == 1, "serial input again");
	bench_fini(&b);
}

static void test_rx_room(void)
{
	check_group("rx_room");
	struct bench b;
	bench_init(&b);
	CHECK(pl011__rx_room(b.p) == 0, "nothing at reset");
	CHECK(feed(&b, "x") == 0, "receiver disabled (UARTEN clear): refused");
	wr(&b, PL011_CR, CR_ON);
	CHECK(pl011__rx_room(b.p) == 0, "enabled but RXIM masked: 0");
	CHECK(feed(&b, "x") == 1, "receive still takes it");
	CHECK(rd(&b, PL011_DR) == 'x', "and the guest reads it");
	wr(&b, PL011_IMSC, INT_RX);
	CHECK(pl011__rx_room(b.p) == 1, "character mode: 1");
	wr(&b, PL011_LCR_H, LCRH_8N1_FIFO);
	CHECK(pl011__rx_room(b.p) == 32, "FIFO: 32");
	feed(&b, "abc");
	CHECK(pl011__rx_room(b.p) == 29, "29 after 3");
	wr(&b, PL011_CR, 0x0101);
	CHECK(pl011__rx_room(b.p) == 0 && feed(&b, "d") == 0, "RXE clear: 0, refused");
	wr(&b, PL011_CR, 0x0300);
	CHECK(pl011__rx_room(b.p) == 0, "UARTEN clear: 0");
	wr(&b, PL011_CR, CR_ON | CR_LBE);
	CHECK(pl011__rx_room(b.p) == 0, "loopback: 0");
	wr(&b, PL011_CR, CR_ON);
	wr(&b, PL011_IMSC, INT_RT);
	CHECK(pl011__rx_room(b.p) == 0, "RXIM masked again (Linux's throttle): 0");
	wr(&b, PL011_IMSC, INT_RT | INT_RX);
	CHECK(pl011__rx_room(b.p) == 29, "unthrottled");

	/* Linux's start-up drains what came before it unmasked RX. */
	struct bench c;
	bench_init(&c);
	wr(&c, PL011_CR, CR_ON);
	wr(&c, PL011_LCR_H, LCRH_8N1_FIFO);
	feed(&c, "early");
	linux_startup(&c);
	CHECK(rd(&c, PL011_FR) & FR_RXFE, "start-up read away early input (rx_room kept it back)");
	CHECK(pl011__rx_room(c.p) == 32, "ready afterwards");
	bench_fini(&c);
	bench_fini(&b);
}

/* The combined line, as the board's router sees it. */
static void test_line(void)
{
	check_group("line");
	struct bench b;
	bench_init(&b);
	linux_startup(&b);
	CHECK(b.raises == 0 && !b.level, "quiet after start-up");
	wr(&b, PL011_IMSC, INT_RT | INT_RX | INT_TX);
	feed(&b, "0123456789abcdef");
	CHECK(b.level && b.raises == 1, "RX raises");
	wr(&b, PL011_DR, '!');
	CHECK(b.level && b.raises == 1 && b.lowers == 0, "TX as well: still one raise");
	drain(&b);
	CHECK(b.level, "TX keeps it up after RX is read");
	wr(&b, PL011_ICR, INT_TX);
	CHECK(!b.level && b.lowers == 1, "last source cleared: lowered once");
	wr(&b, PL011_IMSC, 0);
	wr(&b, PL011_DR, '?');
	CHECK(!b.level && b.raises == 1, "all masked: no raise");
	wr(&b, PL011_IMSC, INT_TX);
	CHECK(b.level && b.raises == 2, "unmasking a raised source raises");
	CHECK(b.other_lines == 0, "only line %u is driven", IRQ);
	bench_fini(&b);
}

/* earlycon=pl011 writes UARTDR with writeb and polls FR with readl;
 * amba-pl011 uses 16-bit accesses; odd ones follow the stated rule. */
static void test_access_sizes(void)
{
	check_group("access-sizes");
	struct bench b;
	bench_init(&b);
	u16 h = 0x0301;
	bus__access(&b.m->mmio, NULL, BASE + PL011_CR, (u8 *)&h, 2, true);
	CHECK(rd(&b, PL011_CR) == CR_ON, "writew CR");
	const char *msg = "boot\n";
	for (const char *c = msg; *c; c++) {
		u32 fr = rd(&b, PL011_FR);
		CHECK(!(fr & FR_TXFF), "not full");
		u8 v = (u8)*c;
		bus__access(&b.m->mmio, NULL, BASE + PL011_DR, &v, 1, true);
		CHECK(!(rd(&b, PL011_FR) & FR_BUSY), "not busy after each byte");
	}
	CHECK(b.ntx == 5 && !memcmp(b.tx, msg, 5), "earlycon's bytes reached the host");
	h = 0;
	bus__access(&b.m->mmio, NULL, BASE + PL011_FR, (u8 *)&h, 2, false);
	CHECK(h == (FR_TXFE | FR_RXFE | FR_CTS | FR_DSR | FR_DCD), "readw FR %#x", h);
	u8 v = 0xff;
	bus__access(&b.m->mmio, NULL, BASE + PL011_CR + 1, &v, 1, true);
	CHECK(rd(&b, PL011_CR) == CR_ON, "a write not at the word's first byte is ignored");
	v = 0;
	bus__access(&b.m->mmio, NULL, BASE + PL011_CR + 1, &v, 1, false);
	CHECK(v == 0x03, "a byte read inside the word: %#x", v);
	wr(&b, PL011_IBRD, 13);
	wr(&b, PL011_FBRD, 1);
	u64 both = 0;
	bus__access(&b.m->mmio, NULL, BASE + PL011_IBRD, (u8 *)&both, 8, false);
	CHECK(both == (1ull << 32 | 13), "an 8-byte read covers two registers: %#llx", (unsigned long long)both);
	u32 all = 0;
	bus__access(&b.m->mmio, NULL, BASE + PL011_SIZE, (u8 *)&all, 4, false);
	CHECK(all == 0xffffffff, "the window ends at PL011_SIZE");
	bench_fini(&b);
}

/* Every register the guest can read without side effects. */
static void dump(struct bench *b, u32 *out)
{
	static const unsigned offs[] = { PL011_RSR_ECR, PL011_FR, PL011_ILPR, PL011_IBRD, PL011_FBRD,
					 PL011_LCR_H, PL011_CR, PL011_IFLS, PL011_IMSC, PL011_RIS,
					 PL011_MIS, PL011_DMACR };
	for (unsigned k = 0; k < ARRAY_SIZE(offs); k++)
		out[k] = rd(b, offs[k]);
}

static void test_checkpoint(void)
{
	check_group("checkpoint");
	struct bench a, b;
	bench_init(&a);
	bench_init(&b);
	linux_startup(&a);
	wr(&a, PL011_ILPR, 0x5a);
	wr(&a, PL011_IMSC, INT_RT | INT_RX | INT_TX);
	wr(&a, PL011_DR, '>');
	wr(&a, PL011_ICR, INT_TX);
	at(&a, 5000);
	feed(&a, "hi");
	at(&a, 100000);

	struct device *da = machine__find_device(a.m, "pl011");
	struct device *db = machine__find_device(b.m, "pl011");
	CHECK(da->state_size == sizeof(struct pl011_state) && db->state_size == da->state_size &&
	      da->version == db->version, "same plain state");
	u8 saved[sizeof(struct pl011_state)];
	memcpy(saved, da->state, sizeof(saved));
	b.m->idle_ns = a.m->idle_ns;
	device__restore(db, saved);
	CHECK(!b.level && b.lowers == 1, "restored re-drives the (low) line");
	CHECK(!memcmp(da->state, db->state, sizeof(saved)), "state bytes equal");
	u32 ra[12], rb[12];
	dump(&a, ra);
	dump(&b, rb);
	CHECK(!memcmp(ra, rb, sizeof(ra)), "registers equal");

	at(&a, 5000 + T115200);
	at(&b, 5000 + T115200 - 1);
	CHECK(a.level && !b.level, "not yet in the copy");
	at(&b, 5000 + T115200);
	CHECK(b.level, "the copy's timeout fires at the same ns");
	CHECK(rd(&a, PL011_RIS) == rd(&b, PL011_RIS), "same RIS");
	CHECK(rd(&b, PL011_DR) == 'h' && rd(&b, PL011_DR) == 'i', "same FIFO contents");
	wr(&b, PL011_DR, '<');
	CHECK(b.ntx == 1 && b.tx[0] == '<' && b.level, "the copy transmits to its own host");

	/* A raised line is raised again on restore. */
	unsigned r0 = b.raises;
	memcpy(saved, da->state, sizeof(saved));
	device__restore(db, saved);
	CHECK(b.level && b.raises == r0 + 1, "restored raises a raised line");
	bench_fini(&a);
	bench_fini(&b);
}

/* No tx callback: bytes are dropped, nothing else changes. */
static void test_no_host(void)
{
	check_group("no-host");
	struct encore_machine *m = machine__create(&arch_x86_64, 1 << 20, 1);
	struct pl011 *p = pl011__create(m, BASE, IRQ, NULL, NULL);
	u32 v = CR_ON;
	bus__access(&m->mmio, NULL, BASE + PL011_CR, (u8 *)&v, 4, true);
	v = 'x';
	bus__access(&m->mmio, NULL, BASE + PL011_DR, (u8 *)&v, 4, true);
	bus__access(&m->mmio, NULL, BASE + PL011_RIS, (u8 *)&v, 4, false);
	CHECK(p && v == INT_TX, "sent into the void, TX interrupt as usual");
	CHECK(pl011__create(m, BASE, IRQ, NULL, NULL) == NULL, "a second UART on the same range fails");
	machine__destroy(m);
}

int main(void)
{
	test_ids();
	test_reset();
	test_character_mode();
	test_fifo_mode();
	test_rx_trigger();
	test_tx_interrupt();
	test_rx_timeout();
	test_loopback();
	test_rx_room();
	test_line();
	test_access_sizes();
	test_checkpoint();
	test_no_host();
	check_group_end();
	return check_summary();
}
