/*
 * The PS/2 keyboard controller (i8042) at ports 0x60/0x64 with nothing
 * plugged into it, plus System Control Port A (0x92): enough for the
 * guest to reset the machine and to find out quickly that there is no
 * keyboard or mouse.
 */
#ifndef ENCORE_HW_I8042_H
#define ENCORE_HW_I8042_H

#include "encore/hw.h"

#define I8042_RAM_SIZE 32

/* Everything the guest can observe; a checkpoint saves these bytes. */
struct i8042_state {
	u8 ram[I8042_RAM_SIZE]; /* controller RAM; byte 0 is the command byte */
	u8 out_byte;            /* the output buffer (port 0x60) */
	bool out_full;          /* status OBF */
	bool out_aux;           /* the last output came from the AUX port */
	bool out_timeout;       /* the last output reports a device timeout */
	bool last_was_command;  /* status bit 3: last write went to 0x64 */
	u8 pending_command;     /* command waiting for its data byte, or 0 */
	u8 port92;              /* System Control Port A, bits 2-7 */
	bool irq1_level, irq12_level;
};

struct i8042;

/* The controller and port 0x92; the machine owns and destroys it. */
struct i8042 *i8042__create(struct encore_machine *m);

#endif
