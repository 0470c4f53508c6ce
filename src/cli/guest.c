/* Building the machine a run boots: board, guest image, engine. */
#define _GNU_SOURCE /* strptime, timegm */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "guest_board.h"
#include "encore/hw/virtio_blk.h"
#include "encore/hw/virtio_net.h"
#include "encore/loader.h"

static const struct guest_board *const boards[] = { &guest_board_pc, &guest_board_arm64 };

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

const struct encore_arch *guest_parse_arch(const char *name)
{
	if (!strcmp(name, "amd64") || !strcmp(name, "x86-64"))
		name = "x86_64";
	if (!strcmp(name, "aarch64"))
		name = "arm64";
	return arch__by_name(name);
}

static const struct guest_board *board_of(const struct encore_arch *arch)
{
	for (size_t k = 0; k < ARRAY_SIZE(boards); k++)
		if (boards[k]->arch == arch)
			return boards[k];
	return NULL;
}

/* The board --arch names (x86-64's without one); NULL after a message. */
static const struct guest_board *board_named(const struct guest_opts *o)
{
	const struct encore_arch *arch = o->arch ? guest_parse_arch(o->arch) : &arch_x86_64;
	const struct guest_board *b = arch ? board_of(arch) : NULL;
	if (!b) {
		char known[128];
		arch__list(known, sizeof(known));
		fprintf(stderr, "encore: no architecture '%s': encore has %s\n", o->arch, known);
	}
	return b;
}

/*
 * Where a board's default guest may be: the board's variable
 * (ENCORE_GUEST_DIR, ENCORE_ARM64_GUEST_DIR) alone when it is set, else
 * the user's cache ($XDG_CACHE_HOME/encore/DIR, by default
 * ~/.cache/encore/DIR), then the build tree beside the encore binary
 * (build/DIR).  Returns how many.
 */
#define GUEST_DIRS 3
static unsigned guest_dirs(const struct guest_board *b, char dirs[GUEST_DIRS][GUEST_PATH_MAX])
{
	unsigned n = 0;
	const char *env = getenv(b->default_dir_env);
	if (env && *env) { /* the user's word: nowhere else, or a typo would go unseen */
		snprintf(dirs[n++], GUEST_PATH_MAX, "%s", env);
		return n;
	}
	const char *cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	if (cache && *cache)
		snprintf(dirs[n++], GUEST_PATH_MAX, "%s/encore/%s", cache, b->default_dir);
	else if (home && *home)
		snprintf(dirs[n++], GUEST_PATH_MAX, "%s/.cache/encore/%s", home, b->default_dir);
	char exe[PATH_MAX - 32];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[len > 0 ? len : 0] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(dirs[n++], GUEST_PATH_MAX, "%s/%s", slash ? exe : ".", b->default_dir);
	return n;
}

/* The first of the board's guest directories holding its kernel and (if
 * the initrd is not given) initramfs.cpio, in kernel/initrd; -1 after
 * one line naming every place looked at. */
static int find_default_guest(const struct guest_opts *o, const struct guest_board *b,
			      char *kernel, char *initrd)
{
	char dirs[GUEST_DIRS][GUEST_PATH_MAX], tried[3 * GUEST_PATH_MAX + 16] = "";
	unsigned n = guest_dirs(b, dirs);
	for (unsigned k = 0; k < n; k++) {
		snprintf(kernel, GUEST_PATH_MAX, "%.*s/%s", GUEST_PATH_MAX - 64, dirs[k],
			 b->default_kernel);
		snprintf(initrd, GUEST_PATH_MAX, "%.*s/initramfs.cpio", GUEST_PATH_MAX - 64, dirs[k]);
		if (!access(kernel, R_OK) && (o->initrd || !access(initrd, R_OK)))
			return 0;
		size_t used = strlen(tried);
		snprintf(tried + used, sizeof(tried) - used, "%s%s", k ? ", " : "", dirs[k]);
	}
	fprintf(stderr, "encore: no default %s guest (%s and initramfs.cpio) in %s: build one with "
		"%s DIR (setup.sh builds the build tree's), or give --kernel\n", b->arch->name,
		b->default_kernel, tried, b->build_script);
	return -1;
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
	const struct guest_board *b = board_named(o);
	if (!b || find_default_guest(o, b, kernel, initrd))
		return -1;
	if (o->initrd)
		snprintf(initrd, GUEST_PATH_MAX, "%s", o->initrd);
	return 0;
}

/* Read the kernel file once. */
static int read_kernel(struct guest *g)
{
	char err[256];
	g->kernel = loader__read_file(g->kernel_path, &g->kernel_size, err, sizeof(err));
	if (!g->kernel) {
		fprintf(stderr, "encore: %s\n", err);
		return -1;
	}
	return 0;
}

/* The board of the options' architecture: --arch, else the kernel
 * file's, else x86-64's.  The kernel must be that board's. */
static const struct guest_board *pick_board(struct guest *g, const struct guest_opts *o)
{
	if (o->arch || !g->kernel)
		return board_named(o);
	for (size_t k = 0; k < ARRAY_SIZE(boards); k++)
		if (boards[k]->recognises(g->kernel, g->kernel_size))
			return boards[k];
	if (elf__is_elf(g->kernel, g->kernel_size)) {
		char known[128];
		arch__list(known, sizeof(known));
		fprintf(stderr, "encore: %s is not an ELF64 file of an architecture encore has (%s): "
			"its e_machine is %u, its class %u\n", g->kernel_path, known,
			elf__machine(g->kernel, g->kernel_size), g->kernel[4]);
	} else {
		fprintf(stderr, "encore: %s is neither a Linux kernel (an x86-64 bzImage or vmlinux, "
			"an arm64 Image) nor a bare-metal ELF\n", g->kernel_path);
	}
	return NULL;
}

static int check_kernel(const struct guest *g)
{
	if (!g->kernel || g->board->recognises(g->kernel, g->kernel_size))
		return 0;
	fprintf(stderr, "encore: %s is not a kernel or bare-metal ELF for %s\n", g->kernel_path,
		g->board->arch->name);
	return -1;
}

static int load_guest(struct guest *g, const struct guest_opts *o)
{
	int r = g->board->load(g, o);
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
		struct virtio_blk *b = virtio_blk__create(g->machine, g->board->virtio_slot(g, k),
							  name, image);
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
	g->nic = virtio_net__create(g->machine, g->board->virtio_slot(g, o->ndisks), "net0", mac,
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
	if (!o->empty && !o->demo && read_kernel(g))
		return -1;
	if (!(g->board = pick_board(g, o)) || check_kernel(g))
		return -1;
	g->is_linux = g->kernel && g->board->is_linux(g->kernel, g->kernel_size);
	g->machine = machine__create(g->board->arch, o->mem, o->smp);
	if (!g->machine) {
		fprintf(stderr, "encore: cannot allocate %llu bytes of guest RAM\n",
			(unsigned long long)o->mem);
		return -1;
	}
	console__init(con, g->machine, input);
	if (g->board->create(g, o, con) || attach_disks(g, o) || attach_net(g, o, con))
		return -1;
	if (!o->empty && load_guest(g, o))
		return -1;
	g->machine->by_exits = o->by_exits || o->kvm;
	if (g->board->engines(g, o))
		return -1;
	g->board->start(g, !o->empty);
	return 0;
}

void guest__destroy(struct guest *g)
{
	if (g->board)
		g->board->destroy(g);
	free(g->kernel);
	g->kernel = NULL;
	machine__destroy(g->machine);
	g->machine = NULL;
	net_user__destroy(g->net);
	g->net = NULL;
}
