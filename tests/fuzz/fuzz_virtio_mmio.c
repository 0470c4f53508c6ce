/*
 * Fuzz target for a virtio disk on the virtio-mmio transport as a guest
 * drives it: the transport (src/hw/virtio_mmio.c, virtio_core.c) and the
 * block device (src/hw/virtio_blk.c) on a 64 KiB image opened with
 * snapshot=on, so nothing reaches the file.  An input is
 *
 *   0  1  bit 0: accept INDIRECT_DESC, bit 1: accept EVENT_IDX, bit 2: no
 *         set-up (the accesses start from the reset state), bit 3: leave
 *         VERSION_1 out (FEATURES_OK is refused)
 *   1  2  queue size (le16)
 *   3  1  how many register accesses follow (at most 48)
 *   4     the accesses, 8 bytes each: kind (bit 0: a write, else a read;
 *         bit 1: then notify queue 0), offset in the slot (le16, modulo
 *         0x200), length (1, 2, 4 or 8; else 4), value (le32)
 *   ...   guest RAM from 0 (1 MiB in all, the rest zero)
 *
 * The harness sets the device up as Linux's virtio_mmio does (rings at
 * 0x1000, 0x2000 and 0x3000), replays the accesses, then notifies queue
 * 0 twice.  Whatever the guest does, the device must not touch host
 * memory outside guest RAM (ASan) and must end; after every access the
 * interrupt line must be high exactly while InterruptStatus is not 0,
 * InterruptStatus may hold only bits 0 and 1, MagicValue, Version and
 * VendorID read what they are, and FEATURES_OK may be set only with
 * VERSION_1 and nothing the device did not offer accepted; a queue the
 * device would use has a valid size; once in DEVICE_NEEDS_RESET the
 * device returns no request; and its saved state restored onto itself
 * changes nothing and drives the line as before.  FUZZ_VERBOSE=1 says
 * where each input left the device.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "encore/hw/virtio_blk.h"
#include "encore/hw/virtio_mmio.h"
#include "encore/le_bytes.h"

#define RAM_SIZE (1u << 20)
#define HEADER 4
#define ACCESS_SIZE 8
#define MAX_ACCESSES 48
#define BASE 0x0a000000ull               /* QEMU virt's first slot */
#define IRQ 16
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000

/* virtio-mmio registers and status bits, from the spec */
enum {
	MAGIC_VALUE = 0x000, VERSION = 0x004, VENDOR_ID = 0x00c, DEVICE_FEATURES = 0x010,
	DEVICE_FEATURES_SEL = 0x014, DRIVER_FEATURES = 0x020, DRIVER_FEATURES_SEL = 0x024,
	QUEUE_SEL = 0x030, QUEUE_NUM = 0x038, QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050,
	STATUS = 0x070, QUEUE_DESC_LOW = 0x080, QUEUE_DRIVER_LOW = 0x090,
	QUEUE_DEVICE_LOW = 0x0a0,
};
#define S_FEATURES_OK 8u
#define S_NEEDS_RESET 64u

static char path[64];
static bool line;                        /* the level IRQ was driven to last */
static int verbose = -1;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_virtio_mmio: %s\n", what);
	abort();
}

static void remove_image(void)
{
	unlink(path);
}

/* A 64 KiB image of zeros, made once per process. */
static const char *image_path(void)
{
	if (path[0])
		return path;
	snprintf(path, sizeof(path), "/tmp/fuzz_virtio_mmio.%d.img", (int)getpid());
	FILE *f = fopen(path, "w");
	if (!f || ftruncate(fileno(f), 64 << 10) || fclose(f))
		abort();
	atexit(remove_image);
	return path;
}

static void set_irq(void *opaque, unsigned l, bool level)
{
	(void)opaque;
	if (l != IRQ)
		fail("the device drove another line");
	line = level;
}

static void wr(struct encore_machine *m, unsigned reg, u32 v)
{
	u8 b[4];
	put32(b, v);
	bus__access(&m->mmio, NULL, BASE + reg, b, 4, true);
}

static u32 rd(struct encore_machine *m, unsigned reg)
{
	u8 b[4] = { 0 };
	bus__access(&m->mmio, NULL, BASE + reg, b, 4, false);
	return get32(b);
}

/* What Linux's virtio_mmio and virtio_blk do before the first request. */
static void driver_setup(struct encore_machine *m, const u8 *in)
{
	wr(m, STATUS, 0);
	wr(m, STATUS, 1);                                 /* ACKNOWLEDGE */
	wr(m, STATUS, 3);                                 /* DRIVER */
	wr(m, DRIVER_FEATURES_SEL, 0);
	wr(m, DRIVER_FEATURES, (in[0] & 1u) << 28 | (in[0] & 2u) << 28);
	wr(m, DRIVER_FEATURES_SEL, 1);
	wr(m, DRIVER_FEATURES, in[0] & 8 ? 0 : 1);        /* VERSION_1 */
	wr(m, STATUS, 0x0b);                              /* FEATURES_OK */
	wr(m, QUEUE_SEL, 0);
	wr(m, QUEUE_NUM, get16(in + 1));
	wr(m, QUEUE_DESC_LOW, DESC);
	wr(m, QUEUE_DRIVER_LOW, AVAIL);
	wr(m, QUEUE_DEVICE_LOW, USED);
	wr(m, QUEUE_READY, 1);
	wr(m, STATUS, 0x0f);                              /* DRIVER_OK */
}

/* What must hold between any two accesses. */
static void check(struct encore_machine *m, const struct virtio_core_state *s, u64 offered)
{
	if (line != (s->isr != 0))
		fail("the line does not follow InterruptStatus");
	if (s->isr & ~3u)
		fail("InterruptStatus has a bit besides 0 and 1");
	if ((s->status & S_FEATURES_OK) &&
	    (!(s->driver_features >> 32 & 1) || (s->driver_features & ~offered)))
		fail("FEATURES_OK with VERSION_1 missing or a feature not offered");
	const struct virtio_queue_state *vq = &s->queues[0];
	if (vq->enabled && !vq->q.broken &&
	    (!vq->q.size || vq->q.size > 256 || (vq->q.size & (vq->q.size - 1))))
		fail("a usable queue of a size the device does not allow");
	if (rd(m, MAGIC_VALUE) != VIRTIO_MMIO_MAGIC || rd(m, VERSION) != 2 ||
	    rd(m, VENDOR_ID) != VIRTIO_MMIO_VENDOR)
		fail("the identification registers changed");
}

static void guest_access(struct encore_machine *m, const u8 *a)
{
	unsigned off = get16(a + 1) % VIRTIO_MMIO_SLOT_SIZE, len = a[3];
	if (len != 1 && len != 2 && len != 8)
		len = 4;
	u8 b[8] = { 0 };
	put32(b, get32(a + 4));
	bus__access(&m->mmio, NULL, BASE + off, b, len, a[0] & 1);
	if (a[0] & 2)
		wr(m, QUEUE_NOTIFY, 0);
}

static u64 offered_features(struct encore_machine *m)
{
	wr(m, DEVICE_FEATURES_SEL, 1);
	u64 hi = rd(m, DEVICE_FEATURES);
	wr(m, DEVICE_FEATURES_SEL, 0);
	return hi << 32 | rd(m, DEVICE_FEATURES);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HEADER)
		return 0;
	unsigned accesses = data[3] < MAX_ACCESSES ? data[3] : MAX_ACCESSES;
	size_t ram_at = HEADER + (size_t)accesses * ACCESS_SIZE;
	if (size < ram_at)
		return 0;
	struct encore_machine *m = machine__create(&arch_x86_64, RAM_SIZE, 1);
	char err[256];
	struct disk_image *image = disk_image__open(image_path(), false, true, err, sizeof(err));
	if (!m || !image)
		abort();
	m->irq = (struct irq_router){ set_irq, NULL };
	line = true;
	if (!virtio_blk__create(m, virtio_slot__mmio(BASE, IRQ), "vda", image))
		abort();
	struct device *d = machine__find_device(m, "vda");
	const struct virtio_core_state *s = &((const struct virtio_mmio_state *)d->state)->core;
	size_t n = size - ram_at < RAM_SIZE ? size - ram_at : RAM_SIZE;
	memcpy(m->ram, data + ram_at, n);
	u64 offered = offered_features(m);
	check(m, s, offered);
	if (!(data[0] & 4))
		driver_setup(m, data);
	check(m, s, offered);
	for (unsigned k = 0; k < accesses; k++) {
		guest_access(m, data + HEADER + k * ACCESS_SIZE);
		check(m, s, offered);
	}
	wr(m, QUEUE_NOTIFY, 0);
	wr(m, QUEUE_NOTIFY, 0);
	check(m, s, offered);
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") && atoi(getenv("FUZZ_VERBOSE"));
	if (verbose)
		fprintf(stderr, "fuzz_virtio_mmio: %zu bytes, %u accesses: status %#x, queue 0 %s, "
			"used index %u, InterruptStatus %u\n", size, accesses, s->status,
			s->queues[0].enabled ? "ready" : "not ready", s->queues[0].q.used_idx, s->isr);
	/* A device in its error state takes no request until a reset. */
	if (s->status & S_NEEDS_RESET) {
		u16 used = get16(m->ram + USED + 2);
		wr(m, QUEUE_NOTIFY, 0);
		if (get16(m->ram + USED + 2) != used)
			fail("a device in DEVICE_NEEDS_RESET returned a request");
	}
	/* Its saved state, restored, is the same and drives the line again. */
	struct virtio_mmio_state saved;
	memcpy(&saved, d->state, sizeof(saved));
	line = !line;
	device__restore(d, &saved);
	if (memcmp(d->state, &saved, sizeof(saved)))
		fail("a restore changed the state");
	check(m, s, offered);
	machine__destroy(m);
	return 0;
}
