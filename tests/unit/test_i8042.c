/*
 * The i8042 with nothing attached: Linux's controller probe (flush, CTR,
 * self test, AUX loop/bit/IRQ tests, MUX probe), immediate time-outs for
 * bytes sent to the absent keyboard and mouse, IRQ 1/12 gating by the
 * command byte, the reset paths (0xFE, output port, port 0x92), A20
 * always on, and a checkpoint copied into a second machine.
 */
#include <string.h>

#include "check.h"
#include "encore/hw/i8042.h"

#define DATA 0x60
#define CMD 0x64
#define PORT_A 0x92

#define ST_OBF 0x01
#define ST_IBF 0x02
#define ST_SYS 0x04
#define ST_CMD 0x08
#define ST_KEYLOCK 0x10
#define ST_AUX 0x20
#define ST_TIMEOUT 0x40

#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20

struct bench {
	struct encore_machine *m;
	bool level[16];
	unsigned raises[16];
};

static void record_irq(void *opaque, unsigned line, bool level)
{
	struct bench *b = opaque;
	b->level[line] = level;
	b->raises[line] += level;
}

static void bench_init(struct bench *b)
{
	memset(b, 0, sizeof(*b));
	b->m = machine__create(&arch_x86_64, 1 << 20, 1);
	b->m->irq = (struct irq_router){ record_irq, b };
	i8042__create(b->m);
}

static u8 in(struct bench *b, u16 port)
{
	u8 v;
	bus__access(&b->m->pio, NULL, port, &v, 1, false);
	return v;
}

static void out(struct bench *b, u16 port, u8 v)
{
	bus__access(&b->m->pio, NULL, port, &v, 1, true);
}

/* i8042_command: the command, its parameter if any, then one reply. */
static int command(struct bench *b, u8 cmd, int param)
{
	out(b, CMD, cmd);
	if (param >= 0)
		out(b, DATA, param);
	if (!(in(b, CMD) & ST_OBF))
		return -1;
	return in(b, DATA);
}

static void command_only(struct bench *b, u8 cmd, int param)
{
	out(b, CMD, cmd);
	if (param >= 0)
		out(b, DATA, param);
}

/* i8042_controller_check/init, i8042_check_aux and i8042_check_mux. */
static void test_linux_probe(void)
{
	check_group("probe");
	struct bench b;
	bench_init(&b);
	u8 st = in(&b, CMD);
	CHECK(!(st & (ST_OBF | ST_IBF)), "empty and ready: %#x", st);
	CHECK(st & ST_KEYLOCK, "keyboard not inhibited (no keylock warning)");
	CHECK(st & ST_SYS, "system flag: POST passed");
	int ctr = command(&b, 0x20, -1);
	CHECK(ctr == command(&b, 0x20, -1), "stable CTR reads");
	CHECK(ctr == 0x65, "BIOS-style CTR: %#x", ctr);
	CHECK(in(&b, CMD) & ST_CMD, "last write was a command");
	u8 new_ctr = (ctr | CTR_KBDDIS) & ~CTR_KBDINT;
	command_only(&b, 0x60, new_ctr);
	unsigned irq1_raises = b.raises[1];
	CHECK(!(in(&b, CMD) & ST_CMD), "last write was data");
	CHECK(command(&b, 0x20, -1) == new_ctr, "CTR written");
	CHECK(command(&b, 0xaa, -1) == 0x55, "self test passes");
	CHECK(command(&b, 0xab, -1) == 0x00, "keyboard interface test");

	/* check_aux: loop, bit assignment, IRQ delivery. */
	out(&b, CMD, 0xd3);
	out(&b, DATA, 0x5a);
	st = in(&b, CMD);
	CHECK((st & (ST_OBF | ST_AUX)) == (ST_OBF | ST_AUX), "AUX loop data flagged AUX: %#x", st);
	CHECK(in(&b, DATA) == 0x5a, "AUX loop echoes");
	CHECK(b.raises[12] == 0, "no IRQ 12 while AUXINT is off");
	command_only(&b, 0xa8, -1);
	CHECK(!(command(&b, 0x20, -1) & CTR_AUXDIS), "AUX enable clears the CTR bit");
	command_only(&b, 0xa7, -1);
	CHECK(command(&b, 0x20, -1) & CTR_AUXDIS, "AUX disable sets it");
	command_only(&b, 0xa8, -1);
	CHECK(!(command(&b, 0x20, -1) & CTR_AUXDIS), "AUX enable clears it again");
	CHECK(command(&b, 0xa9, -1) == 0x00, "AUX interface test");
	u8 c = command(&b, 0x20, -1);
	command_only(&b, 0x60, (c | CTR_AUXINT) & ~CTR_AUXDIS);
	command_only(&b, 0xd3, 0xa5);
	CHECK(b.level[12], "IRQ 12 delivered at once for the loop byte");
	CHECK(in(&b, DATA) == 0xa5 && !b.level[12], "reading it lowers IRQ 12");

	/* check_mux: the third loop byte comes back unchanged, so no MUX. */
	CHECK(command(&b, 0xd3, 0xf0) == 0xf0, "mux probe 1");
	CHECK(command(&b, 0xd3, 0x56) == 0x56, "mux probe 2");
	CHECK(command(&b, 0xd3, 0xa4) == 0xa4, "mux probe 3: unchanged, not a MUX");
	CHECK(b.raises[1] == irq1_raises, "IRQ 1 stayed quiet once KBDINT was off");
	machine__destroy(b.m);
}

/* Bytes for the absent devices come back as 0xFE with the time-out bit. */
static void test_no_devices(void)
{
	check_group("no-device");
	struct bench b;
	bench_init(&b);
	command_only(&b, 0x60, 0x47); /* KBDINT, AUXINT, XLATE, SYS */
	out(&b, DATA, 0xf2);          /* keyboard GET ID */
	u8 st = in(&b, CMD);
	CHECK((st & (ST_OBF | ST_TIMEOUT | ST_AUX)) == (ST_OBF | ST_TIMEOUT), "keyboard time-out: %#x", st);
	CHECK(b.level[1] && !b.level[12], "IRQ 1 raised");
	CHECK(in(&b, DATA) == 0xfe && !b.level[1], "0xFE, then the line drops");
	command_only(&b, 0xd4, 0xf2); /* mouse GET ID */
	st = in(&b, CMD);
	CHECK((st & (ST_OBF | ST_TIMEOUT | ST_AUX)) == (ST_OBF | ST_TIMEOUT | ST_AUX), "mouse time-out: %#x", st);
	CHECK(b.level[12] && !b.level[1], "IRQ 12 raised");
	CHECK(in(&b, DATA) == 0xfe && !b.level[12], "0xFE from the mouse port");
	/* A controller reply clears the time-out bit again. */
	CHECK(command(&b, 0xaa, -1) == 0x55 && !(in(&b, CMD) & ST_TIMEOUT), "time-out bit cleared");

	/* Interrupts off in the command byte: data still arrives, no IRQ. */
	command_only(&b, 0x60, 0x44);
	unsigned r1 = b.raises[1];
	out(&b, DATA, 0xff);
	CHECK((in(&b, CMD) & ST_OBF) && b.raises[1] == r1, "no IRQ 1 with KBDINT off");
	/* Enabling KBDINT with a byte waiting raises the line. */
	command_only(&b, 0x60, 0x45);
	CHECK(b.level[1], "KBDINT on with output pending");
	in(&b, DATA);
	machine__destroy(b.m);
}

/* Controller RAM, the 0xD2 keyboard-buffer write, the output port. */
static void test_ram_and_ports(void)
{
	check_group("ram");
	struct bench b;
	bench_init(&b);
	command_only(&b, 0x7f, 0x3c);
	CHECK(command(&b, 0x3f, -1) == 0x3c, "RAM byte 31");
	command_only(&b, 0xd2, 0x1c);
	CHECK(b.level[1] && !(in(&b, CMD) & ST_AUX), "0xD2 data looks like the keyboard's");
	CHECK(in(&b, DATA) == 0x1c, "0xD2 byte read back");
	CHECK(in(&b, DATA) == 0x1c && !(in(&b, CMD) & ST_OBF), "empty buffer rereads its last byte");
	int op = command(&b, 0xd0, -1);
	CHECK(op >= 0 && (op & 0x03) == 0x03, "output port: reset line high, A20 on: %#x", op);
	CHECK((in(&b, PORT_A) & 0x02), "port 0x92 reports A20 on");
	out(&b, PORT_A, 0x08);
	CHECK(in(&b, PORT_A) == 0x0a && !b.m->reset_requested, "other 0x92 bits kept, A20 forced");
	/* A command written while another waits for its byte replaces it. */
	out(&b, CMD, 0xd1);
	out(&b, CMD, 0xad);
	out(&b, DATA, 0x00);
	CHECK(!b.m->reset_requested && in(&b, DATA) == 0xfe, "abandoned 0xD1: the byte went to the keyboard");
	out(&b, CMD, 0x55); /* unknown: ignored */
	CHECK(!(in(&b, CMD) & ST_OBF), "unknown command answers nothing");
	machine__destroy(b.m);
}

/* Every path to a system reset, and the near misses. */
static void test_reset(void)
{
	check_group("reset");
	static const struct { u16 port; u8 cmd; int param; bool resets; const char *what; } cases[] = {
		{ CMD, 0xfe, -1, true, "pulse line 0 (0xFE)" },
		{ CMD, 0xf0, -1, true, "pulse all lines (0xF0)" },
		{ CMD, 0xff, -1, false, "pulse nothing (0xFF)" },
		{ CMD, 0xd1, 0x02, true, "output port with reset low" },
		{ CMD, 0xd1, 0x03, false, "output port with reset high" },
		{ PORT_A, 0x01, -1, true, "port 0x92 bit 0" },
		{ PORT_A, 0x02, -1, false, "port 0x92 A20 only" },
		{ DATA, 0xfe, -1, false, "0xFE to the keyboard is not a reset" },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(cases); k++) {
		struct bench b;
		bench_init(&b);
		out(&b, cases[k].port, cases[k].cmd);
		if (cases[k].param >= 0)
			out(&b, DATA, cases[k].param);
		CHECK(b.m->reset_requested == cases[k].resets, "%s", cases[k].what);
		machine__destroy(b.m);
	}
}

/* A checkpoint with a byte and IRQ 12 pending, copied and restored. */
static void test_checkpoint(void)
{
	check_group("checkpoint");
	struct bench a, b;
	bench_init(&a);
	bench_init(&b);
	command_only(&a, 0x60, 0x47);
	command_only(&a, 0xd4, 0xff);
	command_only(&a, 0xd1, -1); /* pending command waiting for its byte */
	struct device *da = a.m->devices[a.m->ndevices - 1];
	struct device *db = b.m->devices[b.m->ndevices - 1];
	CHECK(da->state_size == sizeof(struct i8042_state), "state is the plain struct");
	device__restore(db, da->state);
	CHECK(b.level[12] && !b.level[1], "IRQ 12 re-driven");
	CHECK(in(&a, CMD) == in(&b, CMD), "same status");
	out(&b, DATA, 0x00);
	CHECK(b.m->reset_requested, "the pending 0xD1 survived: its byte resets");
	CHECK(in(&b, DATA) == 0xfe && !b.level[12], "same output byte");
	machine__destroy(a.m);
	machine__destroy(b.m);
}

int main(void)
{
	test_linux_probe();
	test_no_devices();
	test_ram_and_ports();
	test_reset();
	test_checkpoint();
	check_group_end();
	return check_summary();
}
