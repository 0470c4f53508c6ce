/*
 * What building a guest (guest.c) asks of the board of its architecture:
 * the PC (guest_pc.c) or the Arm board (guest_arm64.c).
 */
#ifndef ENCORE_CLI_GUEST_BOARD_H
#define ENCORE_CLI_GUEST_BOARD_H

#include "guest.h"
#include "encore/hw/virtio_transport.h"

struct guest_board {
	const struct encore_arch *arch;
	/* The default guest: its directory in the build tree, the variable
	 * that names another, its kernel file, and the script that builds it. */
	const char *default_dir, *default_dir_env, *default_kernel, *build_script;
	/* Is this kernel file one of this board's (a Linux image or an ELF)? */
	bool (*recognises)(const u8 *kernel, size_t size);
	/* Is it Linux (else a bare-metal ELF)? */
	bool (*is_linux)(const u8 *kernel, size_t size);
	/* The devices, with the console's transmit side; g->console set. */
	int (*create)(struct guest *g, const struct guest_opts *o, struct console *con);
	/* Where the k-th virtio device (disks first, then the network card) goes. */
	struct virtio_slot (*virtio_slot)(struct guest *g, unsigned k);
	/* Firmware and the guest in RAM (g->kernel read unless a demo), the
	 * boot CPU's start in g->boot (the architecture's state blob). */
	int (*load)(struct guest *g, const struct guest_opts *o);
	/* The engine of every vCPU (the interpreter, or KVM where it exists). */
	int (*engines)(struct guest *g, const struct guest_opts *o);
	/* Every vCPU's start: the boot CPU at g->boot, the others waiting
	 * (when `boot`; else a checkpoint will give their state). */
	void (*start)(struct guest *g, bool boot);
	void (*destroy)(struct guest *g);
};

extern const struct guest_board guest_board_pc, guest_board_arm64;

#endif
