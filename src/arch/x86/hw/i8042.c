/*
 * i8042 keyboard controller with no keyboard and no mouse attached, and
 * System Control Port A (0x92).
 *
 * The controller itself answers every command Linux and firmware use at
 * once: command byte read/write (0x20-0x3f/0x60-0x7f address its RAM),
 * self test 0xAA -> 0x55, interface tests 0xAB/0xA9 -> 0x00, port
 * enable/disable, output port read/write, the 0xD2/0xD3 "as if received"
 * writes, and the output-line pulses 0xF0-0xFF, where pulsing bit 0
 * (0xFE) is the classic system reset.
 *
 * "Nothing attached" is answered the way a PS/2-mode controller reports
 * a device that never clocks in a byte it was sent: at once, with 0xFE
 * in the output buffer, the time-out bit (status bit 6) set, AUXDATA set
 * for the mouse port, and IRQ 1/12 if the command byte enables them.
 * Why this and not silence or a controller without an AUX port:
 * - Linux waits up to I8042_CTL_TIMEOUT (10000 x 50 us = 0.5 s) for each
 *   unanswered controller command, and libps2 waits 200 ms (1 s for a
 *   reset) per unanswered device byte; those waits are busy loops or
 *   timers in virtual time, so silence costs seconds of emulated time.
 * - With the time-out bit, i8042_interrupt() passes SERIO_TIMEOUT:
 *   psmouse aborts the command on the spot (ps2_cmd_aborted; PS2_ERROR
 *   in newer kernels), and atkbd hands 0xFE (NAK) to libps2, which
 *   retries once and fails.  atkbd's
 *   probe (GET ID, then SET LEDS) and psmouse's (GET ID) therefore fail
 *   within a few port accesses and Linux registers no input device.
 * - The controller answers its own AUX tests like a real PS/2 controller
 *   (0xD3 loops back with AUXDATA, 0xA9 -> 0x00, 0xA7/0xA8 toggle the
 *   command-byte bit), so i8042_check_aux() passes quickly, its IRQ 12
 *   delivery test gets its interrupt at once, and the MUX probe fails
 *   because its third loop byte comes back unchanged (an active
 *   multiplexer would answer with its version), as on ordinary hardware.
 * Nothing here has a duration: the input buffer is never full (status
 * bit 1 reads 0), so guests polling it never spin.
 *
 * A20 is always enabled: output-port bit 1 and port 0x92 bit 1 read 1
 * and writes to them are ignored.
 */
#include <stdlib.h>
#include <string.h>

#include "encore/hw/i8042.h"

#define I8042_DATA_PORT 0x60
#define I8042_COMMAND_PORT 0x64
#define SYSCTRL_A_PORT 0x92

#define STATUS_OBF 0x01
#define STATUS_SYSFLAG 0x04
#define STATUS_COMMAND 0x08
#define STATUS_NOT_INHIBITED 0x10
#define STATUS_AUXDATA 0x20
#define STATUS_TIMEOUT 0x40

#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYSFLAG 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE 0x40
/* What a BIOS leaves behind on a machine without a mouse. */
#define CTR_AT_BOOT (CTR_XLATE | CTR_AUXDIS | CTR_SYSFLAG | CTR_KBDINT)

#define OUTPORT_RESET_HIGH 0x01 /* low = CPU held in reset */
#define OUTPORT_A20 0x02
#define OUTPORT_KBD_OBF 0x10
#define OUTPORT_AUX_OBF 0x20

#define SELF_TEST_OK 0x55
#define INTERFACE_OK 0x00
#define DEVICE_ABSENT 0xfe

#define PORT92_RESET 0x01
#define PORT92_A20 0x02

#define KBD_IRQ 1
#define AUX_IRQ 12

enum source { FROM_KBD, FROM_AUX };

struct i8042 {
	struct i8042_state s;
	struct encore_machine *m;
};

/* ---- output buffer and interrupts ---- */

static void update_irqs(struct i8042 *k)
{
	struct i8042_state *s = &k->s;
	u8 ctr = s->ram[0];
	bool irq1 = s->out_full && !s->out_aux && (ctr & CTR_KBDINT);
	bool irq12 = s->out_full && s->out_aux && (ctr & CTR_AUXINT);
	if (irq1 != s->irq1_level) {
		s->irq1_level = irq1;
		machine__set_irq(k->m, KBD_IRQ, irq1);
	}
	if (irq12 != s->irq12_level) {
		s->irq12_level = irq12;
		machine__set_irq(k->m, AUX_IRQ, irq12);
	}
}

/* A byte for the host; the status bits describe the latest one. */
static void output(struct i8042 *k, u8 byte, enum source from, bool timeout)
{
	k->s.out_byte = byte;
	k->s.out_full = true;
	k->s.out_aux = from == FROM_AUX;
	k->s.out_timeout = timeout;
	update_irqs(k);
}

/* A byte sent to a port with no device: the transmission times out. */
static void send_to_absent_device(struct i8042 *k, enum source port)
{
	output(k, DEVICE_ABSENT, port, true);
}

static u8 read_status(const struct i8042 *k)
{
	const struct i8042_state *s = &k->s;
	u8 st = STATUS_NOT_INHIBITED;
	st |= s->out_full ? STATUS_OBF : 0;
	st |= (s->ram[0] & CTR_SYSFLAG) ? STATUS_SYSFLAG : 0;
	st |= s->last_was_command ? STATUS_COMMAND : 0;
	st |= s->out_aux ? STATUS_AUXDATA : 0;
	st |= s->out_timeout ? STATUS_TIMEOUT : 0;
	return st;
}

static u8 read_data(struct i8042 *k)
{
	k->s.out_full = false;
	update_irqs(k);
	return k->s.out_byte; /* an empty buffer reads its last byte again */
}

/* ---- commands ---- */

static u8 output_port(const struct i8042 *k)
{
	u8 v = OUTPORT_RESET_HIGH | OUTPORT_A20;
	if (k->s.out_full)
		v |= k->s.out_aux ? OUTPORT_AUX_OBF : OUTPORT_KBD_OBF;
	return v;
}

static void set_command_byte_bits(struct i8042 *k, u8 set, u8 clear)
{
	k->s.ram[0] = (k->s.ram[0] | set) & ~clear;
	update_irqs(k);
}

/* Commands that are complete without a data byte. */
static void run_command(struct i8042 *k, u8 cmd)
{
	switch (cmd) {
	case 0xa7: set_command_byte_bits(k, CTR_AUXDIS, 0); break;
	case 0xa8: set_command_byte_bits(k, 0, CTR_AUXDIS); break;
	case 0xa9: output(k, INTERFACE_OK, FROM_KBD, false); break;
	case 0xaa:
		/* A passed self test sets the system flag. */
		k->s.ram[0] |= CTR_SYSFLAG;
		output(k, SELF_TEST_OK, FROM_KBD, false);
		break;
	case 0xab: output(k, INTERFACE_OK, FROM_KBD, false); break;
	case 0xad: set_command_byte_bits(k, CTR_KBDDIS, 0); break;
	case 0xae: set_command_byte_bits(k, 0, CTR_KBDDIS); break;
	case 0xd0: output(k, output_port(k), FROM_KBD, false); break;
	default: break; /* unknown commands are ignored */
	}
}

static bool takes_data_byte(u8 cmd)
{
	return (cmd >= 0x60 && cmd <= 0x7f) || (cmd >= 0xd1 && cmd <= 0xd4);
}

static void write_command(struct i8042 *k, u8 cmd)
{
	k->s.last_was_command = true;
	k->s.pending_command = 0; /* a new command abandons a half-done one */
	if (cmd >= 0x20 && cmd <= 0x3f) {
		output(k, k->s.ram[cmd & 0x1f], FROM_KBD, false);
	} else if (takes_data_byte(cmd)) {
		k->s.pending_command = cmd;
	} else if (cmd >= 0xf0) {
		/* Pulse the output lines whose bit is 0; line 0 is reset. */
		if (!(cmd & OUTPORT_RESET_HIGH))
			machine__request_reset(k->m);
	} else {
		run_command(k, cmd);
	}
}

/* The data byte of a pending command. */
static void finish_command(struct i8042 *k, u8 cmd, u8 v)
{
	switch (cmd) {
	case 0xd1:
		if (!(v & OUTPORT_RESET_HIGH))
			machine__request_reset(k->m);
		break;
	case 0xd2: output(k, v, FROM_KBD, false); break;
	case 0xd3: output(k, v, FROM_AUX, false); break;
	case 0xd4: send_to_absent_device(k, FROM_AUX); break;
	default:
		k->s.ram[cmd & 0x1f] = v;
		update_irqs(k); /* the command byte holds the IRQ enables */
		break;
	}
}

static void write_data(struct i8042 *k, u8 v)
{
	u8 cmd = k->s.pending_command;
	k->s.last_was_command = false;
	k->s.pending_command = 0;
	if (cmd)
		finish_command(k, cmd, v);
	else
		send_to_absent_device(k, FROM_KBD);
}

/* ---- port handlers ---- */

/* Reads fill only the first byte; wider accesses see a floating bus beyond. */
static void data_io(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
		    unsigned len, bool is_write)
{
	(void)vcpu;
	struct i8042 *k = opaque;
	(void)addr;
	if (is_write) {
		write_data(k, data[0]);
		return;
	}
	memset(data, 0xff, len);
	data[0] = read_data(k);
}

static void command_io(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
		       unsigned len, bool is_write)
{
	(void)vcpu;
	struct i8042 *k = opaque;
	(void)addr;
	if (is_write) {
		write_command(k, data[0]);
		return;
	}
	memset(data, 0xff, len);
	data[0] = read_status(k);
}

static void port92_io(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
		      unsigned len, bool is_write)
{
	(void)vcpu;
	struct i8042 *k = opaque;
	(void)addr;
	if (!is_write) {
		memset(data, 0xff, len);
		data[0] = k->s.port92 | PORT92_A20;
		return;
	}
	k->s.port92 = data[0] & ~(PORT92_RESET | PORT92_A20);
	if (data[0] & PORT92_RESET)
		machine__request_reset(k->m);
}

/* ---- life cycle ---- */

static void i8042_restored(void *dev)
{
	struct i8042 *k = dev;
	machine__set_irq(k->m, KBD_IRQ, k->s.irq1_level);
	machine__set_irq(k->m, AUX_IRQ, k->s.irq12_level);
}

/*
 * Registered with the machine first: if wiring it up fails later, the
 * machine still owns it (bus ranges cannot be unregistered).
 */
struct i8042 *i8042__create(struct encore_machine *m)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->m = m;
	k->s.ram[0] = CTR_AT_BOOT;
	struct device d = { .name = "i8042", .state = &k->s, .state_size = sizeof(k->s),
			    .restored = i8042_restored, .dev = k };
	if (machine__add_device(m, &d)) {
		free(k);
		return NULL;
	}
	/* Two single ports: 0x61-0x63 belong to other devices. */
	if (bus__register(&m->pio, I8042_DATA_PORT, 1, data_io, k, "i8042-data") ||
	    bus__register(&m->pio, I8042_COMMAND_PORT, 1, command_io, k, "i8042-command") ||
	    bus__register(&m->pio, SYSCTRL_A_PORT, 1, port92_io, k, "sysctrl-a"))
		return NULL;
	return k;
}
