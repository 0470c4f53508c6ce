/*
 * The Arm board as the board of an arm64 guest (guest_board.h): its
 * devices, Linux's arm64 boot protocol with a device tree, or a
 * bare-metal AArch64 ELF, and the A64 interpreter.
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "guest_board.h"
#include "arch/arm64/a64_engine.h"
#include "arch/arm64/a64_state.h"
#include "arch/arm64/arm64_arch.h"
#include "arch/arm64/arm64_boot.h"
#include "arch/arm64/virt_board.h"
#include "arch/arm64/virt_map.h"
#include "encore/loader.h"

#define DEFAULT_APPEND "console=ttyAMA0"

/* Where the boot CPU starts, kept in g->boot until the engines exist. */
struct arm64_start {
	u64 pc, x0;
};

static bool arm64_recognises(const u8 *kernel, size_t size)
{
	if (elf__is_elf(kernel, size))
		return elf__machine(kernel, size) == EM_AARCH64;
	return arm64_boot__is_image(kernel, size);
}

/* The virtio devices the options give: each has a slot in the tree. */
static unsigned virtio_count(const struct guest_opts *o)
{
	return o->ndisks + (o->net.enabled || o->nic);
}

static bool arm64_is_linux(const u8 *kernel, size_t size)
{
	return arm64_boot__is_image(kernel, size);
}

static int arm64_create(struct guest *g, const struct guest_opts *o, struct console *con)
{
	char err[256];
	if (o->kvm) {
		fprintf(stderr, "encore: the KVM engine runs x86-64 guests only; an arm64 guest "
			"runs on the interpreter\n");
		return -1;
	}
	struct virt_board_config cfg = { .console_tx = con->tx, .console_opaque = con,
					 .rtc_epoch = o->rtc_epoch };
	g->virt = virt_board__create(g->machine, &cfg, err, sizeof(err));
	if (!g->virt) {
		fprintf(stderr, "encore: %s\n", err);
		return -1;
	}
	g->console = virt_board__console(g->virt);
	return 0;
}

static struct virtio_slot arm64_virtio_slot(struct guest *g, unsigned k)
{
	(void)g;
	return virtio_slot__mmio(VIRT_VIRTIO_BASE + k * VIRT_VIRTIO_SLOT, VIRT_VIRTIO_SPI + k);
}

static int load_linux(struct guest *g, const struct guest_opts *o, struct arm64_start *start)
{
	char err[256];
	struct arm64_boot_config cfg = {
		.kernel_path = g->kernel_path,
		.kernel = g->kernel,
		.kernel_size = g->kernel_size,
		.initrd_path = g->initrd_path[0] ? g->initrd_path : NULL,
		.cmdline = o->append ? o->append : DEFAULT_APPEND,
		.ncpus = g->machine->nvcpus,
		.nvirtio = virtio_count(o),
	};
	struct arm64_entry entry;
	if (arm64_boot__load_linux(g->machine, &cfg, &entry, err, sizeof(err))) {
		fprintf(stderr, "encore: %s\n", err);
		return -1;
	}
	*start = (struct arm64_start){ entry.pc, entry.x0 };
	return 0;
}

/* A bare-metal AArch64 ELF at its physical addresses, entered at EL1
 * with the MMU off. */
static int load_bare_metal(struct guest *g, const struct guest_opts *o,
			   struct arm64_start *start)
{
	char err[256];
	u64 entry;
	if (o->demo) {
		fprintf(stderr, "encore: the built-in demo guest is an x86-64 program; give an "
			"arm64 --kernel\n");
		return -1;
	}
	if (o->initrd || o->append) {
		fprintf(stderr, "encore: --initrd and --append need a Linux kernel; %s is a "
			"bare-metal guest\n", g->kernel_path);
		return -1;
	}
	if (elf__load_image(g->machine, g->kernel, g->kernel_size, g->kernel_path,
			    VIRT_RAM_BASE, &entry, err, sizeof(err))) {
		fprintf(stderr, "encore: %s\n", err);
		return -1;
	}
	*start = (struct arm64_start){ entry, 0 };
	return 0;
}

static int arm64_load(struct guest *g, const struct guest_opts *o)
{
	struct arm64_start *start = (struct arm64_start *)g->boot;
	return g->is_linux ? load_linux(g, o, start) : load_bare_metal(g, o, start);
}

static int arm64_engines(struct guest *g, const struct guest_opts *o)
{
	(void)o;
	struct encore_machine *m = g->machine;
	for (unsigned k = 0; k < m->nvcpus; k++)
		if (!a64_engine__create(m, &m->vcpus[k])) {
			fprintf(stderr, "encore: cannot create the A64 interpreter\n");
			return -1;
		}
	return 0;
}

static void arm64_start(struct guest *g, bool boot)
{
	const struct arm64_start *start = (const struct arm64_start *)g->boot;
	virt_board__start(g->virt, boot, start->pc, start->x0);
}

static void arm64_destroy(struct guest *g)
{
	g->virt = NULL; /* the machine frees it */
}

const struct guest_board guest_board_arm64 = {
	.arch = &arch_arm64,
	.default_dir = "guest-arm64",
	.default_dir_env = "ENCORE_ARM64_GUEST_DIR",
	.default_kernel = "Image",
	.build_script = "guest/build-guest-arm64.sh",
	.recognises = arm64_recognises,
	.is_linux = arm64_is_linux,
	.create = arm64_create,
	.virtio_slot = arm64_virtio_slot,
	.load = arm64_load,
	.engines = arm64_engines,
	.start = arm64_start,
	.destroy = arm64_destroy,
};
