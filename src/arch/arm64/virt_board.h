/*
 * encore's Arm board, in the style of QEMU's `virt` (virt_map.h): a GICv2,
 * a PL011 console, a PL031 real-time clock, the generic timer's
 * interrupts, PSCI over HVC, and virtio-mmio slots described in the
 * device tree.
 */
#ifndef ARM64_VIRT_BOARD_H
#define ARM64_VIRT_BOARD_H

#include "encore/machine.h"
#include "encore/serial.h"

#define VIRT_MAX_CPUS 8 /* GICv2 */

struct virt_board_config {
	/* Where the console's transmitted bytes go. */
	void (*console_tx)(void *opaque, u8 byte);
	void *console_opaque;
	i64 rtc_epoch; /* the PL031's wall-clock seconds at boot (--rtc) */
};

struct virt_board;

/* The devices, wired; the machine owns and destroys them and the board.
 * NULL with a message in err (more vCPUs than a GICv2 serves). */
struct virt_board *virt_board__create(struct encore_machine *m,
				      const struct virt_board_config *cfg, char *err, size_t n);
struct serial_port virt_board__console(struct virt_board *b);

/* Once every vCPU has its A64 engine: give them the board (timers, PSCI)
 * and leave every vCPU but the first powered off until PSCI CPU_ON.  The
 * first starts at `pc` with x0 = `x0`, at EL1 with the MMU off and
 * interrupts masked, unless the vCPUs' state comes from a checkpoint
 * (`boot` false). */
void virt_board__start(struct virt_board *b, bool boot, u64 pc, u64 x0);

#endif
