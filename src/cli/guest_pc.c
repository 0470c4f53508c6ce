/*
 * The PC as the board of an x86-64 guest (guest_board.h): its devices,
 * the ACPI tables a BIOS would leave, Linux's x86 boot protocol or a
 * bare-metal ELF (or the built-in demo), and the engines.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_board.h"
#include "encore/bare_metal.h"
#include "encore/hw/uart16550.h"
#include "encore/kvm_pmu.h"
#include "encore/linux_boot.h"
#include "encore/loader.h"

#define DEMO_LOAD_ADDR 0x100000ull

extern const u8 demo_guest_start[], demo_guest_end[];

/* An x86-64 ELF (vmlinux or bare metal), or a bzImage. */
static bool pc_recognises(const u8 *kernel, size_t size)
{
	if (elf__is_elf(kernel, size))
		return elf__machine(kernel, size) == EM_X86_64;
	return linux_boot__is_kernel(kernel, size);
}

static bool pc_is_linux(const u8 *kernel, size_t size)
{
	return linux_boot__is_kernel(kernel, size);
}

static int pc_create(struct guest *g, const struct guest_opts *o, struct console *con)
{
	struct pc_config pc = { con->tx, con, o->rtc_epoch };
	if (pc__create(g->machine, &pc, &g->pc)) {
		fprintf(stderr, "encore: cannot create the PC devices\n");
		return -1;
	}
	g->console = uart16550__port(g->pc.com1);
	return 0;
}

/* Every virtio device is a function on the PCI host bridge. */
static struct virtio_slot pc_virtio_slot(struct guest *g, unsigned k)
{
	(void)k;
	return virtio_slot__pci(g->pc.pci);
}

static int load_linux(struct guest *g, const struct guest_opts *o, struct encore_cpu_state *s,
		      u64 rsdp)
{
	char err[256];
	struct linux_boot_config cfg = {
		.acpi_rsdp = rsdp,
		.kernel_path = g->kernel_path,
		.kernel = g->kernel,
		.kernel_size = g->kernel_size,
		.initrd_path = g->initrd_path[0] ? g->initrd_path : NULL,
		.cmdline = o->append ? o->append : GUEST_DEFAULT_APPEND,
	};
	enum linux_image_kind kind;
	if (linux_boot__load(g->machine, &cfg, s, &kind, err, sizeof(err))) {
		fprintf(stderr, "encore: %s\n", err);
		return -1;
	}
	return 0;
}

static int load_bare_metal(struct guest *g, const struct guest_opts *o,
			   struct encore_cpu_state *s)
{
	char err[256];
	u64 entry = DEMO_LOAD_ADDR;
	if (o->initrd || o->append) {
		fprintf(stderr, "encore: --initrd and --append need a Linux kernel; %s is a "
			"bare-metal guest\n", o->demo ? "the demo" : g->kernel_path);
		return -1;
	}
	if (o->demo) {
		size_t n = demo_guest_end - demo_guest_start;
		u8 *at = machine__ram_ptr(g->machine, DEMO_LOAD_ADDR);
		if (!at || !machine__ram_ptr(g->machine, DEMO_LOAD_ADDR + n - 1)) {
			fprintf(stderr, "encore: the demo guest needs RAM at %#llx-%#llx: give more "
				"--mem\n", DEMO_LOAD_ADDR, DEMO_LOAD_ADDR + n);
			return -1;
		}
		memcpy(at, demo_guest_start, n);
		machine__note_ram_range(g->machine, DEMO_LOAD_ADDR, n);
	} else if (elf__load_image(g->machine, g->kernel, g->kernel_size, g->kernel_path,
				   BARE_RESERVED_END, &entry, err, sizeof(err))) {
		fprintf(stderr, "encore: %s\n", err);
		return -1;
	}
	return bare_metal__prepare(g->machine, s, entry);
}

static int pc_load(struct guest *g, const struct guest_opts *o)
{
	char err[256];
	u64 rsdp;
	struct encore_cpu_state *s = (struct encore_cpu_state *)g->boot;
	if (pc__write_firmware(g->machine, &rsdp, err, sizeof(err))) {
		fprintf(stderr, "encore: cannot write the ACPI tables: %s\n", err);
		return -1;
	}
	return g->is_linux ? load_linux(g, o, s, rsdp) : load_bare_metal(g, o, s);
}

/* --delivery precise needs a PMU counting guest branches (docs/kvm.md);
 * either way this encore delivers interrupts at exits. */
static void explain_delivery(void)
{
	char why[256];
	bool pmu = kvm_pmu__probe(why, sizeof(why));
	fprintf(stderr, "encore: %s; %s, so interrupts are delivered at VM exits\n", why,
		pmu ? "but this encore does not implement precise delivery yet"
		    : "precise delivery is not possible");
}

static int pc_engines(struct guest *g, const struct guest_opts *o)
{
	struct encore_machine *m = g->machine;
	char err[256];
	if (o->kvm && o->precise)
		explain_delivery();
	for (unsigned k = 0; k < m->nvcpus; k++) {
		struct encore_vcpu *v = &m->vcpus[k];
		if (!o->kvm && !interp__create(m, v)) {
			fprintf(stderr, "encore: cannot create the interpreter\n");
			return -1;
		}
		if (o->kvm && !kvm__create(m, v, err, sizeof(err))) {
			fprintf(stderr, "encore: the KVM engine cannot run here: %s\n", err);
			return -1;
		}
	}
	return 0;
}

/* The boot CPU starts where the loader put it; the others wait for a
 * start-up IPI, as after a BIOS. */
static void pc_start(struct guest *g, bool boot)
{
	struct encore_machine *m = g->machine;
	const struct encore_cpu_state *s = (const struct encore_cpu_state *)g->boot;
	for (unsigned k = 0; boot && k < m->nvcpus; k++) {
		struct encore_engine *e = m->vcpus[k].engine;
		struct encore_cpu_state ap;
		if (k == 0) {
			e->ops->set_state(e, s);
			continue;
		}
		cpu_state__init(&ap, s, false);
		e->ops->set_state(e, &ap);
	}
}

static void pc_destroy(struct guest *g)
{
	(void)g; /* the machine owns the devices */
}

const struct guest_board guest_board_pc = {
	.arch = &arch_x86_64,
	.default_dir = "guest",
	.default_dir_env = "ENCORE_GUEST_DIR",
	.default_kernel = "vmlinux",
	.build_script = "guest/build-guest.sh",
	.recognises = pc_recognises,
	.is_linux = pc_is_linux,
	.create = pc_create,
	.virtio_slot = pc_virtio_slot,
	.load = pc_load,
	.engines = pc_engines,
	.start = pc_start,
	.destroy = pc_destroy,
};
