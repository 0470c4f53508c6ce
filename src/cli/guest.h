/*
 * The guest a run boots: options shared by the commands that start a
 * machine (run, record, replay), and building the machine from them.
 */
#ifndef ENCORE_CLI_GUEST_H
#define ENCORE_CLI_GUEST_H

#include "console.h"
#include "net_user.h"
#include "encore/hw/virtio_blk.h"
#include "encore/machine.h"
#include "encore/pc.h"
#include "encore/serial.h"

#define GUEST_PATH_MAX 4096
#define GUEST_MAX_DISKS 6 /* vda..vdf: the PCI bus's free slots, less one */

/* A --disk: a raw image the guest sees as a virtio disk. */
struct guest_disk {
	char path[GUEST_PATH_MAX];
	bool readonly;       /* the guest cannot write it */
	bool snapshot;       /* writes stay in memory and are dropped at the end */
	/* A replay: no file; `size` bytes from `fetch` (disk_image.h). */
	disk_fetch_fn fetch;
	void *fetch_opaque;
	u64 size;
};

struct guest_opts {
	const char *arch;    /* --arch (x86_64, arm64); NULL: the kernel's, else x86_64 */
	const char *kernel;  /* NULL: the default guest (or the demo) */
	const char *initrd;
	const char *append;
	bool demo;           /* the built-in bare-metal demo guest */
	u64 mem;
	unsigned smp;        /* vCPUs (--smp) */
	i64 rtc_epoch;       /* the wall-clock time the guest boots at */
	bool empty;          /* build the machine only: a checkpoint will be
			      * restored into it (kernel and initrd unused) */
	bool kvm;            /* run on the KVM engine (default: the interpreter) */
	bool by_exits;       /* landmarks count exits (a run on KVM, or a replay
			      * of a recording made there) */
	bool precise;        /* KVM: --delivery precise was asked for */
	struct guest_disk disks[GUEST_MAX_DISKS];
	unsigned ndisks;
	const struct disk_history *disk_history; /* recording or replaying disks */
	struct net_user_opts net;                /* --net */
	bool nic;            /* a network card with nothing behind it (a replay) */
};

struct guest_board;
struct virt_board;

struct guest {
	struct encore_machine *machine;
	const struct guest_board *board; /* that of the machine's architecture */
	struct pc pc;                    /* x86-64 */
	struct virt_board *virt;         /* arm64 */
	struct serial_port console;      /* the board's console UART */
	u64 boot[ARCH_STATE_MAX / 8];    /* the boot CPU's state (its architecture's blob) */
	bool is_linux;
	u8 *kernel;          /* the kernel file, while it is being loaded */
	size_t kernel_size;
	char kernel_path[GUEST_PATH_MAX], initrd_path[GUEST_PATH_MAX];
	u64 disk_size[GUEST_MAX_DISKS]; /* each disk's bytes */
	struct net_user *net;           /* --net user: the host side */
	struct virtio_net *nic;         /* the network card, if any */
	struct virtio_blk *blk[GUEST_MAX_DISKS]; /* the disks (the machine owns them) */
	unsigned nblk;
};

/* The architecture --arch names (encore's names and the usual aliases:
 * amd64, x86-64, aarch64), or NULL. */
const struct encore_arch *guest_parse_arch(const char *name);

/* "interp" or "kvm" into o->kvm; false on a name encore has no engine for. */
bool guest_parse_engine(const char *name, bool *kvm);

/* Parse a --disk argument, FILE[,readonly][,snapshot=on] (",," is a
 * comma in FILE); false with a message in err. */
bool guest_parse_disk(const char *arg, struct guest_disk *d, char *err, size_t n);

/* A replay goes live: the machine's network card, if it has one, gets
 * the user network `o` (with none given, a plain one); -1 after a
 * message.  Everything else goes on as it is. */
int guest__go_live(struct guest *g, struct console *con, const struct net_user_opts *o);

/* Default kernel command line for Linux guests. */
#define GUEST_DEFAULT_APPEND "console=ttyS0"

/* Parse QEMU's "base=utc|YYYY-MM-DD[THH:MM:SS]"; false on bad input. */
bool guest_parse_rtc(const char *s, i64 *epoch);

/* The kernel and initrd files the options name (the default guest's if
 * none; "" for none); prints a message and returns -1 if they are
 * missing.  Both buffers hold GUEST_PATH_MAX bytes. */
int guest__find_images(const struct guest_opts *o, char *kernel, char *initrd);

/* Build machine, devices, loaded guest and engine, with the console on
 * COM1 (`input`: read stdin); prints a message and returns -1 on bad
 * input. */
int guest__create(struct guest *g, const struct guest_opts *o, struct console *con, bool input);
void guest__destroy(struct guest *g);

#endif
