/* Building the machine a run boots: board, guest image, engine. */
#define _GNU_SOURCE /* strptime, timegm */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "encore/hw/uart16550.h"
#include "encore/hw/virtio_blk.h"
#include "encore/hw/virtio_net.h"
#include "encore/kvm_pmu.h"
#include "encore/linux_boot.h"
#include "encore/bare_metal.h"
#include "encore/loader.h"

#define DEMO_LOAD_ADDR 0x100000ull

extern const u8 demo_guest_start[], demo_guest_end[];

bool guest_parse_rtc(const char *s, i64 *epoch)
{
	if (strncmp(s, "base=", 5))
		return false;
	s += 5;
	if (!strcmp(s, "utc")) {
		*epoch = time(NULL);
		return true;
	}
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (!end || *end)
		return false;
	*epoch = timegm(&tm);
	return true;
}

/* The default guest lives next to the encore binary (build/guest/), or
 * where ENCORE_GUEST_DIR says. */
static void default_guest_path(char *out, size_t n, const char *file)
{
	const char *dir = getenv("ENCORE_GUEST_DIR");
	if (dir && *dir) {
		snprintf(out, n, "%s/%s", dir, file);
		return;
	}
	char exe[PATH_MAX - 32];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[len > 0 ? len : 0] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(out, n, "%s/guest/%s", slash ? exe : ".", file);
}

int guest__find_images(const struct guest_opts *o, char *kernel, char *initrd)
{
	kernel[0] = initrd[0] = 0;
	if (o->demo)
		return 0;
	if (o->kernel) {
		snprintf(kernel, GUEST_PATH_MAX, "%s", o->kernel);
		if (o->initrd)
			snprintf(initrd, GUEST_PATH_MAX, "%s", o->initrd);
		return 0;
	}
	default_guest_path(kernel, GUEST_PATH_MAX, "vmlinux");
	default_guest_path(initrd, GUEST_PATH_MAX, "initramfs.cpio");
	bool missing = access(kernel, R_OK) || (!o->initrd && access(initrd, R_OK));
	if (o->initrd)
		snprintf(initrd, GUEST_PATH_MAX, "%s", o->initrd);
	if (missing) {
		fprintf(stderr, "encore: the default guest (%s and initramfs.cpio beside it) is not "
			"built: run guest/build-guest.sh (setup.sh does), or give --kernel\n", kernel);
		return -1;
	}
	return 0;
}

/* Read the kernel file once and sniff it: a Linux kernel, or a
 * bare-metal ELF. */
static int read_kernel(struct guest *g)
{
	char err[256];
	g->kernel = loader__read_file(g->kernel_path, &g->kernel_size, err, sizeof(err));
	if (!g->kernel) {
		fprintf(stderr, "encore: %s\n", err);
		return -1;
	}
	g->is_linux = linux_boot__is_kernel(g->kernel, g->kernel_size);
	if (!g->is_linux && !elf__is_elf(g->kernel, g->kernel_size)) {
		fprintf(stderr, "encore: %s is neither a Linux kernel (bzImage, or vmlinux ELF) nor "
			"a bare-metal x86-64 ELF\n", g->kernel_path);
		return -1;
	}
	return 0;
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
				   BARE_RESERVED_END, &entry,
				   err, sizeof(err))) {
		fprintf(stderr, "encore: %s\n", err);
		return -1;
	}
	return bare_metal__prepare(g->machine, s, entry);
}

static int load_guest(struct guest *g, const struct guest_opts *o, struct encore_cpu_state *s)
{
	char err[256];
	u64 rsdp;
	if (pc__write_firmware(g->machine, &rsdp, err, sizeof(err))) {
		fprintf(stderr, "encore: cannot write the ACPI tables: %s\n", err);
		return -1;
	}
	if (!o->demo && read_kernel(g))
		return -1;
	int r = g->is_linux ? load_linux(g, o, s, rsdp) : load_bare_metal(g, o, s);
	free(g->kernel); /* loaded into guest RAM now */
	g->kernel = NULL;
	return r;
}

bool guest_parse_engine(const char *name, bool *kvm)
{
	if (strcmp(name, "interp") && strcmp(name, "kvm"))
		return false;
	*kvm = !strcmp(name, "kvm");
	return true;
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

static int create_engines(struct encore_machine *m, bool kvm, bool precise)
{
	char err[256];
	if (kvm && precise)
		explain_delivery();
	for (unsigned k = 0; k < m->nvcpus; k++) {
		struct encore_vcpu *v = &m->vcpus[k];
		if (!kvm && !interp__create(m, v)) {
			fprintf(stderr, "encore: cannot create the interpreter\n");
			return -1;
		}
		if (kvm && !kvm__create(m, v, err, sizeof(err))) {
			fprintf(stderr, "encore: the KVM engine cannot run here: %s\n", err);
			return -1;
		}
	}
	return 0;
}

/* The boot CPU starts where the loader put it; the others wait for a
 * start-up IPI, as after a BIOS. */
static void set_boot_states(struct encore_machine *m, const struct encore_cpu_state *boot)
{
	for (unsigned k = 0; k < m->nvcpus; k++) {
		struct encore_engine *e = m->vcpus[k].engine;
		struct encore_cpu_state ap;
		if (k == 0) {
			e->ops->set_state(e, boot);
			continue;
		}
		cpu_state__init(&ap, boot, false);
		e->ops->set_state(e, &ap);
	}
}

static struct disk_image *open_disk(const struct guest_disk *d, const char *name)
{
	char err[4096 + 256];
	if (d->fetch) {
		struct disk_image *image = disk_image__open_source(name, d->size, d->readonly,
								   d->fetch, d->fetch_opaque);
		if (!image)
			fprintf(stderr, "encore: out of memory for disk %s\n", name);
		return image;
	}
	struct disk_image *image = disk_image__open(d->path, d->readonly, d->snapshot, err,
						    sizeof(err));
	if (!image)
		fprintf(stderr, "encore: %s\n", err);
	return image;
}

/* vda, vdb, ...: the names Linux gives them, in PCI order. */
static int attach_disks(struct guest *g, const struct guest_opts *o)
{
	for (unsigned k = 0; k < o->ndisks; k++) {
		char name[8];
		snprintf(name, sizeof(name), "vd%c", 'a' + k);
		struct disk_image *image = open_disk(&o->disks[k], name);
		if (!image)
			return -1;
		g->disk_size[k] = disk_image__size(image);
		struct virtio_blk *b = virtio_blk__create(g->machine, virtio_slot__pci(g->pc.pci), name, image);
		if (!b) {
			fprintf(stderr, "encore: cannot add disk %s (%s)\n", name, o->disks[k].path);
			return -1;
		}
		if (o->disk_history)
			virtio_blk__set_history(b, k, o->disk_history);
		g->blk[g->nblk++] = b;
	}
	return 0;
}

static void net_tx(void *opaque, const u8 *frame, size_t len)
{
	net_user__from_guest(opaque, frame, len);
}

/* --net user: libslirp on the host side of a virtio network device, with
 * QEMU's MAC address for its first user network card.  A replay's card
 * has nothing behind it: what it sends goes nowhere (its saved part
 * hashes it), what it receives comes from the log. */
static int attach_net(struct guest *g, const struct guest_opts *o, struct console *con)
{
	static const u8 mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	char err[512];
	if (!o->net.enabled && !o->nic)
		return 0;
	if (o->net.enabled && !(g->net = net_user__create(&o->net, err, sizeof(err)))) {
		fprintf(stderr, "encore: %s\n", err);
		return -1;
	}
	g->nic = virtio_net__create(g->machine, virtio_slot__pci(g->pc.pci), "net0", mac,
				    g->net ? net_tx : NULL, g->net);
	if (!g->nic) {
		fprintf(stderr, "encore: cannot add the network device\n");
		return -1;
	}
	if (g->net)
		console__attach_net(con, g->net, g->nic);
	return 0;
}

int guest__go_live(struct guest *g, struct console *con, const struct net_user_opts *o)
{
	console__go_live(con);
	if (!g->nic || g->net)
		return 0;
	struct net_user_opts plain = { .enabled = true };
	char err[512];
	g->net = net_user__create(o && o->enabled ? o : &plain, err, sizeof(err));
	if (!g->net) {
		fprintf(stderr, "encore: %s\n", err);
		return -1;
	}
	virtio_net__set_tx(g->nic, net_tx, g->net);
	console__attach_net(con, g->net, g->nic);
	return 0;
}

int guest__create(struct guest *g, const struct guest_opts *o, struct console *con, bool input)
{
	memset(g, 0, sizeof(*g));
	if (!o->empty && guest__find_images(o, g->kernel_path, g->initrd_path))
		return -1;
	g->machine = machine__create(&arch_x86_64, o->mem, o->smp);
	if (!g->machine) {
		fprintf(stderr, "encore: cannot allocate %llu bytes of guest RAM\n",
			(unsigned long long)o->mem);
		return -1;
	}
	console__init(con, g->machine, input);
	struct pc_config pc = { con->tx, con, o->rtc_epoch };
	struct encore_cpu_state s;
	if (pc__create(g->machine, &pc, &g->pc)) {
		fprintf(stderr, "encore: cannot create the PC devices\n");
		return -1;
	}
	g->console = uart16550__port(g->pc.com1);
	if (attach_disks(g, o) || attach_net(g, o, con))
		return -1;
	if (!o->empty && load_guest(g, o, &s))
		return -1;
	g->machine->by_exits = o->by_exits || o->kvm;
	if (create_engines(g->machine, o->kvm, o->precise))
		return -1;
	if (!o->empty)
		set_boot_states(g->machine, &s);
	return 0;
}

void guest__destroy(struct guest *g)
{
	free(g->kernel);
	g->kernel = NULL;
	machine__destroy(g->machine);
	g->machine = NULL;
	net_user__destroy(g->net);
	g->net = NULL;
}
