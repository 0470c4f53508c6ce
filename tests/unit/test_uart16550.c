/*
 * The 16550A model: Linux 8250 autoconfig and startup probes, IIR
 * priorities, the THRE rules, the character timeout's timing, rx_room
 * flow control, loopback and modem status, the OUT2 gate on the IRQ
 * line, and a checkpoint copied into a second machine.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "encore/devices.h"
#include "encore/hw/uart16550.h"

#define BASE 0x3f8
#define IRQ 4
enum { RBR = 0, IER, IIR, LCR, MCR, LSR, MSR, SCR };
#define FCR IIR
#define DLL RBR
#define DLM IER

struct bench {
	struct encore_machine *m;
	struct uart16550 *u;
	bool level;
	unsigned raises, lowers;
	u8 tx[512];
	unsigned ntx;
};

static void record_irq(void *opaque, unsigned line, bool level)
{
	struct bench *b = opaque;
	if (line != IRQ)
		return;
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
	b->u = uart16550__create(b->m, BASE, IRQ, record_tx, b);
}

static void bench_fini(struct bench *b)
{
	machine__destroy(b->m);
}

static u8 in(struct bench *b, unsigned reg)
{
	u8 v;
	bus__access(&b->m->pio, NULL, BASE + reg, &v, 1, false);
	return v;
}

static void out(struct bench *b, unsigned reg, u8 v)
{
	bus__access(&b->m->pio, NULL, BASE + reg, &v, 1, true);
}

/* Advance virtual time to `t` ns and fire what is due. */
static void at(struct bench *b, u64 t)
{
	b->m->idle_ns = t;
	machine__fire_timers(b->m);
}

static void feed(struct bench *b, const char *s)
{
	uart16550__receive(b->u, (const u8 *)s, strlen(s));
}

/* What Linux's set_termios leaves: 115200 8N1, FIFO with an 8-byte
 * trigger, OUT2 on, received-data and line-status interrupts. */
static void linux_setup(struct bench *b)
{
	out(b, LCR, 0x80);
	out(b, DLL, 1);
	out(b, DLM, 0);
	out(b, LCR, 0x03);
	out(b, FCR, 0x81);
	out(b, MCR, 0x0b);
	out(b, IER, 0x05);
}

/* 8250 autoconfig: scratch test, loopback test, FIFO and EFR probes, the
 * NS16550A / 16750 / Xscale checks, and size_fifo's loopback count. */
static void test_autoconfig(void)
{
	check_group("autoconfig");
	struct bench b;
	bench_init(&b);
	out(&b, IER, 0);
	CHECK((in(&b, IER) & 0x0f) == 0, "IER reads back 0");
	out(&b, IER, 0x0f);
	CHECK((in(&b, IER) & 0x0f) == 0x0f, "IER reads back 0x0f");
	out(&b, IER, 0);
	out(&b, MCR, 0x10 | 0x0a);
	CHECK((in(&b, MSR) & 0xf0) == 0x90, "loopback RTS/OUT2 -> CTS/DCD: %#x", in(&b, MSR) & 0xf0);
	out(&b, MCR, 0);
	out(&b, LCR, 0xbf);
	out(&b, 2, 0);       /* EFR on a 16650: FCR here */
	out(&b, LCR, 0);
	out(&b, FCR, 0x01);
	u8 iir = in(&b, IIR);
	CHECK(iir >> 6 == 3, "FIFOs reported: IIR %#x", iir);
	CHECK((iir & 0x30) == 0, "IIR bits 4-5 read 0 (no 64-byte FIFO)");
	out(&b, LCR, 0xbf);
	CHECK(in(&b, 2) != 0, "no EFR behind LCR 0xbf");
	out(&b, LCR, 0x80);
	CHECK(in(&b, 2) != 0, "no EFR behind LCR 0x80");
	out(&b, LCR, 0);
	out(&b, MCR, 0x10);
	out(&b, LCR, 0xe0);
	CHECK((in(&b, 2) & 0x10) == 0, "not an NS16550A: reg 2 does not mirror LOOP");
	out(&b, LCR, 0);
	out(&b, MCR, 0);
	out(&b, FCR, 0x21);
	CHECK(in(&b, IIR) >> 5 == 6, "not a 16750: IIR bit 5 stays 0");
	out(&b, IER, 0x40);
	CHECK(in(&b, IER) == 0, "IER bits 4-7 read 0 (not an Xscale UART)");
	CHECK(in(&b, SCR) == 0, "scratch starts at 0");
	out(&b, SCR, 0xa5);
	CHECK(in(&b, SCR) == 0xa5, "scratch holds a byte");

	/* size_fifo: 256 bytes into the loopback, count what comes back. */
	out(&b, FCR, 0x07);
	out(&b, MCR, 0x10);
	out(&b, LCR, 0x03);
	for (int k = 0; k < 256; k++)
		out(&b, RBR, k);
	int count = 0;
	while ((in(&b, LSR) & 0x01) && count < 256) {
		u8 v = in(&b, RBR);
		CHECK(v == count, "loopback byte %d is %d", count, v);
		count++;
	}
	CHECK(count == 16, "FIFO holds 16 bytes: %d", count);
	CHECK(b.ntx == 0, "loopback sends nothing to the host");
	bench_fini(&b);
}

/* serial8250_do_startup's THRE re-assertion test and its TXEN check. */
static void test_startup_thre(void)
{
	check_group("startup");
	struct bench b;
	bench_init(&b);
	out(&b, FCR, 0x01);
	out(&b, FCR, 0x07);
	out(&b, FCR, 0);
	in(&b, LSR);
	in(&b, RBR);
	in(&b, IIR);
	in(&b, MSR);
	CHECK(in(&b, LSR) != 0xff, "LSR is not 0xff");
	out(&b, IER, 0x02);
	u8 iir1 = in(&b, IIR);
	out(&b, IER, 0);
	out(&b, IER, 0x02);
	u8 iir2 = in(&b, IIR);
	out(&b, IER, 0);
	CHECK(iir1 == 0x02, "THRE reported on enabling THRI: %#x", iir1);
	CHECK(iir2 == 0x02, "THRE reasserted on enabling THRI again: %#x", iir2);
	CHECK(b.raises == 0, "no IRQ while OUT2 is off");
	out(&b, LCR, 0x03);
	out(&b, MCR, 0x0b);
	out(&b, IER, 0x02);
	CHECK(b.level && b.raises == 1, "IRQ raised once OUT2 gates it on");
	u8 lsr = in(&b, LSR);
	u8 iir = in(&b, IIR);
	out(&b, IER, 0);
	CHECK((lsr & 0x60) == 0x60, "THRE and TEMT: LSR %#x", lsr);
	CHECK(!(iir & 0x01), "TXEN check sees the interrupt: IIR %#x", iir);
	CHECK(!b.level && b.lowers == 1, "IIR read acknowledged THRE, line low");
	bench_fini(&b);
}

/* THRE: set on THRI's rising edge and by each transmit, cleared by THR
 * writes and by IIR reads only when THRE is what IIR reports. */
static void test_thre_rules(void)
{
	check_group("thre");
	struct bench b;
	bench_init(&b);
	out(&b, MCR, 0x08);
	out(&b, IER, 0x02);
	CHECK(b.level, "THRI enable raises the line");
	CHECK(in(&b, IIR) == 0x02 && !b.level, "IIR read clears THRE");
	out(&b, IER, 0x02);
	CHECK(in(&b, IIR) == 0x01, "rewriting THRI (no rising edge) does not re-arm");
	unsigned r0 = b.raises;
	out(&b, RBR, 'x');
	CHECK(b.ntx == 1 && b.tx[0] == 'x', "THR byte transmitted");
	CHECK(b.level && b.raises == r0 + 1, "transmitter empty again: THRE raised");
	unsigned l0 = b.lowers;
	out(&b, RBR, 'y');
	CHECK(b.lowers == l0 + 1 && b.raises == r0 + 2, "each THR write pulses the line low then high");
	CHECK((in(&b, LSR) & 0x60) == 0x60, "THRE/TEMT always set");

	/* Received data outranks THRE: reading IIR then leaves THRE pending. */
	out(&b, FCR, 0x01);
	out(&b, IER, 0x03);
	feed(&b, "a");
	CHECK(in(&b, IIR) == 0xc4, "data available reported first");
	in(&b, RBR);
	CHECK(in(&b, IIR) == 0xc2, "THRE still pending behind it");
	CHECK(in(&b, IIR) == 0xc1, "and cleared by that read");
	out(&b, IER, 0x01);
	out(&b, IER, 0x03);
	CHECK(in(&b, IIR) == 0xc2, "THRI 0 -> 1 re-asserts");
	bench_fini(&b);
}

/* All five sources pending at once come out in datasheet order. */
static void test_iir_priorities(void)
{
	check_group("priorities");
	struct bench b;
	bench_init(&b);
	out(&b, FCR, 0x01);   /* trigger level 1 */
	out(&b, MCR, 0x10);   /* loopback: CTS/DSR/DCD drop, deltas set */
	out(&b, IER, 0x0f);
	for (int k = 0; k < 17; k++)
		out(&b, RBR, 0x40 + k); /* the 17th overruns */
	u8 lsr_seen = 0;
	CHECK(in(&b, IIR) == 0xc6, "receiver line status first");
	lsr_seen = in(&b, LSR);
	CHECK(lsr_seen & 0x02, "overrun in LSR: %#x", lsr_seen);
	CHECK(!(in(&b, LSR) & 0x02), "reading LSR cleared OE");
	CHECK(in(&b, IIR) == 0xc4, "then received data");
	for (int k = 0; k < 16; k++) {
		u8 v = in(&b, RBR);
		CHECK(v == 0x40 + k, "byte %d = %#x", k, v);
	}
	CHECK(in(&b, IIR) == 0xc2, "then THRE");
	CHECK(in(&b, IIR) == 0xc0, "then modem status");
	u8 msr = in(&b, MSR);
	CHECK((msr & 0x0f) == 0x0b, "DCTS, DDSR, DDCD (no TERI): %#x", msr);
	CHECK(in(&b, IIR) == 0xc1, "then nothing");
	CHECK(b.raises == 0, "loopback keeps the PC's IRQ line off");

	/* Timeout sits between data available and THRE. */
	out(&b, FCR, 0xc1);   /* trigger 14 */
	out(&b, RBR, 1);
	at(&b, 10 * 1000 * 1000);
	CHECK(in(&b, IIR) == 0xcc, "timeout outranks THRE");
	in(&b, RBR);
	CHECK(in(&b, IIR) == 0xc2, "THRE after the timeout is gone");

	/* Data available outranks a timeout that is still pending. */
	out(&b, FCR, 0x41);   /* trigger 4 */
	out(&b, RBR, 2);
	at(&b, 20 * 1000 * 1000);
	CHECK(in(&b, IIR) == 0xcc, "timeout with 1 byte");
	out(&b, RBR, 3);
	out(&b, RBR, 4);
	out(&b, RBR, 5);
	CHECK(in(&b, IIR) == 0xc4, "4 bytes: data available, ahead of the timeout");
	bench_fini(&b);
}

/* 4 character times after the last byte in or out; exact to the ns. */
static void test_char_timeout(void)
{
	check_group("timeout");
	struct bench b;
	bench_init(&b);
	linux_setup(&b);
	const u64 t4 = 4 * 10 * 16 * 1000000000ull / 1843200; /* 8N1 at divisor 1 */
	at(&b, 1000);
	feed(&b, "a");
	at(&b, 1000 + t4 - 1);
	CHECK(!b.level && in(&b, IIR) == 0xc1, "nothing before 4 character times");
	at(&b, 1000 + t4);
	CHECK(b.level, "IRQ at 4 character times (%llu ns)", (unsigned long long)t4);
	CHECK(in(&b, IIR) == 0xcc, "IIR says character timeout");
	CHECK(in(&b, RBR) == 'a' && !b.level && in(&b, IIR) == 0xc1, "reading the byte clears it");

	/* A new byte restarts the count. */
	u64 t = 2000000;
	at(&b, t);
	feed(&b, "b");
	at(&b, t + t4 / 2);
	feed(&b, "c");
	at(&b, t + t4);
	CHECK(!b.level, "second byte restarted the timer");
	at(&b, t + t4 / 2 + t4);
	CHECK(b.level && in(&b, IIR) == 0xcc, "timeout from the second byte");
	/* Reading one of two bytes clears it and restarts from the read. */
	t = t + t4 / 2 + t4 + 500;
	at(&b, t);
	CHECK(in(&b, RBR) == 'b' && !b.level, "one read clears the timeout");
	at(&b, t + t4 - 1);
	CHECK(!b.level, "restarted at the read");
	at(&b, t + t4);
	CHECK(b.level && in(&b, RBR) == 'c', "and fires again for the rest");

	/* Reaching the trigger level interrupts at once. */
	feed(&b, "12345678");
	CHECK(b.level && in(&b, IIR) == 0xc4, "8 bytes: data available at once");

	/* 7 data bits, even parity, 2 stop bits at 9600 baud: 11 bits. */
	out(&b, FCR, 0x83);
	out(&b, LCR, 0x80);
	out(&b, DLL, 12);
	out(&b, LCR, 0x1e);
	const u64 t4b = 4ull * 11 * 12 * 16 * 1000000000ull / 1843200;
	t = 50000000;
	at(&b, t);
	feed(&b, "z");
	at(&b, t + t4b - 1);
	CHECK(in(&b, IIR) == 0xc1, "7E2 at 9600: not yet");
	at(&b, t + t4b);
	CHECK(in(&b, IIR) == 0xcc, "7E2 at 9600: %llu ns", (unsigned long long)t4b);
	bench_fini(&b);
}

/* rx_room gates host input on the guest's readiness. */
static void test_rx_room(void)
{
	check_group("rx_room");
	struct bench b;
	bench_init(&b);
	CHECK(uart16550__rx_room(b.u) == 0, "nothing before the driver runs");
	out(&b, IER, 0x01);
	CHECK(uart16550__rx_room(b.u) == 0, "RDI without OUT2 is not enough");
	out(&b, MCR, 0x08);
	CHECK(uart16550__rx_room(b.u) == 1, "16450 mode holds one byte");
	out(&b, FCR, 0x81);
	CHECK(uart16550__rx_room(b.u) == 16, "FIFO mode: 16");
	CHECK(uart16550__receive(b.u, (const u8 *)"0123456789abcdefXYZ", 19) == 16, "takes 16 of 19");
	CHECK(uart16550__rx_room(b.u) == 0, "full");
	in(&b, RBR);
	CHECK(uart16550__rx_room(b.u) == 1, "one read frees one");
	CHECK(!(in(&b, LSR) & 0x02), "no overrun from host input");
	out(&b, FCR, 0x83);
	CHECK(uart16550__rx_room(b.u) == 16 && !(in(&b, LSR) & 0x01), "FIFO reset empties it");
	out(&b, MCR, 0x18);
	CHECK(uart16550__rx_room(b.u) == 0, "loopback cuts the serial input");
	CHECK(uart16550__receive(b.u, (const u8 *)"q", 1) == 0, "receive refuses in loopback");
	out(&b, MCR, 0x08);
	out(&b, IER, 0);
	CHECK(uart16550__rx_room(b.u) == 0, "RDI off again: 0");
	bench_fini(&b);
}

/* Loopback modem lines, delta bits and TERI; the OUT2 gate. */
static void test_modem_and_gate(void)
{
	check_group("modem");
	struct bench b;
	bench_init(&b);
	CHECK(in(&b, MSR) == 0xb0, "CTS, DSR, DCD asserted, no deltas");
	static const struct { u8 mcr, msr; } map[] = {
		{ 0x11, 0x20 }, { 0x12, 0x10 }, { 0x14, 0x40 }, { 0x18, 0x80 },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(map); k++) {
		out(&b, MCR, map[k].mcr);
		CHECK((in(&b, MSR) & 0xf0) == map[k].msr, "MCR %#x -> MSR %#x", map[k].mcr, map[k].msr);
	}
	out(&b, MCR, 0x14);
	in(&b, MSR);
	out(&b, MCR, 0x10);
	CHECK((in(&b, MSR) & 0x0f) == 0x04, "RI falling edge: TERI only");
	out(&b, MCR, 0x14);
	CHECK((in(&b, MSR) & 0x0f) == 0, "RI rising edge: no delta");
	out(&b, MCR, 0x10);
	in(&b, MSR);

	/* A pending interrupt reaches the line only with OUT2 and no loopback. */
	out(&b, IER, 0x08);
	out(&b, MCR, 0x12); /* loopback, RTS: DCTS pending */
	CHECK(in(&b, IIR) == 0x00 && !b.level, "pending but gated in loopback");
	out(&b, MCR, 0x1a);
	CHECK(!b.level, "still gated with OUT2 in loopback");
	out(&b, MCR, 0x08); /* leaving loopback: lines change again */
	CHECK(b.level, "OUT2 without loopback drives the line");
	out(&b, MCR, 0x00);
	CHECK(!b.level, "OUT2 off lowers it");
	out(&b, MCR, 0x08);
	in(&b, MSR);
	CHECK(!b.level, "reading MSR clears the deltas and the line");
	bench_fini(&b);
}

/* DLAB switches registers 0 and 1 to the divisor latch. */
static void test_dlab(void)
{
	check_group("dlab");
	struct bench b;
	bench_init(&b);
	out(&b, IER, 0x05);
	out(&b, LCR, 0x83);
	out(&b, DLL, 0x34);
	out(&b, DLM, 0x12);
	CHECK(in(&b, DLL) == 0x34 && in(&b, DLM) == 0x12, "divisor latch reads back");
	CHECK(b.ntx == 0, "DLL write is not a transmit");
	out(&b, LCR, 0x03);
	CHECK(in(&b, IER) == 0x05, "IER kept behind the latch");
	CHECK(in(&b, LCR) == 0x03, "LCR reads back");
	bench_fini(&b);
}

/* A checkpoint: state bytes into a fresh machine, restored, same future. */
static void test_checkpoint(void)
{
	check_group("checkpoint");
	struct bench a, b;
	bench_init(&a);
	bench_init(&b);
	linux_setup(&a);
	out(&a, SCR, 0x77);
	at(&a, 5000);
	feed(&a, "hi");
	at(&a, 100000);

	struct device *da = a.m->devices[a.m->ndevices - 1];
	struct device *db = b.m->devices[b.m->ndevices - 1];
	CHECK(da->state_size == sizeof(struct uart16550_state) && db->state_size == da->state_size,
	      "state is the plain struct");
	b.m->idle_ns = a.m->idle_ns;
	device__restore(db, da->state);
	CHECK(!b.level && b.lowers == 1, "restored re-drives the (low) line");
	CHECK(in(&b, SCR) == 0x77 && in(&b, LCR) == 0x03, "registers carried over");

	const u64 t4 = 4 * 10 * 16 * 1000000000ull / 1843200;
	at(&a, 5000 + t4);
	at(&b, 5000 + t4 - 1);
	CHECK(a.level && !b.level, "not yet in the copy");
	at(&b, 5000 + t4);
	CHECK(b.level, "the copy's timer fires at the same ns");
	CHECK(in(&a, IIR) == in(&b, IIR), "same IIR");
	CHECK(in(&b, RBR) == 'h' && in(&b, RBR) == 'i', "same FIFO contents");

	/* A raised line is raised again on restore. */
	device__restore(db, da->state);
	CHECK(b.level, "restored raises a pending line");
	bench_fini(&a);
	bench_fini(&b);
}

/* The old uart16550__init interface still prints to a FILE. */
static void test_compat_init(void)
{
	check_group("compat");
	struct encore_machine *m = machine__create(&arch_x86_64, 1 << 20, 1);
	FILE *f = tmpfile();
	struct uart16550 *u = uart16550__init(m, COM1_PORT, f);
	CHECK(u != NULL, "created");
	const char *msg = "ok\n";
	for (const char *p = msg; *p; p++) {
		u8 v = *p;
		bus__access(&m->pio, NULL, COM1_PORT, &v, 1, true);
	}
	uart16550__destroy(u);
	char buf[8] = { 0 };
	rewind(f);
	CHECK(fread(buf, 1, sizeof(buf) - 1, f) == 3 && !strcmp(buf, msg), "bytes reached the file");
	fclose(f);
	machine__destroy(m);
}

int main(void)
{
	test_autoconfig();
	test_startup_thre();
	test_thre_rules();
	test_iir_priorities();
	test_char_timeout();
	test_rx_room();
	test_modem_and_gate();
	test_dlab();
	test_checkpoint();
	test_compat_init();
	check_group_end();
	return check_summary();
}
