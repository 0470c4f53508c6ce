/*
 * Fuzz target for a virtio disk as a guest drives it: the PCI transport
 * (src/hw/virtio_pci.c, virtio_core.c, msix.c, pci_host.c) and the block device
 * (src/hw/virtio_blk.c) on a 64 KiB image opened with snapshot=on, so
 * nothing reaches the file.  An input is
 *
 *   0  1  features the driver accepts: bit 0 indirect, bit 1 event index
 *   1  2  queue size (le16)
 *   3  1  how many register writes follow (at most 32)
 *   4     the writes, 8 bytes each: BAR (0 or 1, else configuration
 *         space), offset (le16), length (1, 2 or 4; else 4), value (le32)
 *   ...   guest RAM from 0 (1 MiB in all, the rest zero)
 *
 * The harness sets the device up as Linux does (rings at 0x1000, 0x2000
 * and 0x3000, MSI-X aimed at RAM), replays the writes, then notifies
 * queue 0 twice.  Whatever the guest does, the device must not touch
 * host memory outside guest RAM (ASan), must end, and must either serve
 * requests or say the queue broke and set DEVICE_NEEDS_RESET, and once
 * in that state it must not return requests.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "encore/hw/pci_host.h"
#include "encore/hw/virtio_blk.h"
#include "encore/le_bytes.h"

#define RAM_SIZE (1u << 20)
#define HEADER 4
#define WRITE_SIZE 8
#define MAX_WRITES 32
#define BAR0 PCI_HOST_BAR_BASE           /* where the host bridge places them */
#define BAR1 (PCI_HOST_BAR_BASE + 0x4000)
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define MSI_TARGET 0x8000                /* interrupts land in RAM */

static char path[64];

static void remove_image(void)
{
	unlink(path);
}

/* A 64 KiB image of zeros, made once per process. */
static const char *image_path(void)
{
	if (path[0])
		return path;
	snprintf(path, sizeof(path), "/tmp/fuzz_virtio_blk.%d.img", (int)getpid());
	FILE *f = fopen(path, "w");
	if (!f || ftruncate(fileno(f), 64 << 10) || fclose(f))
		abort();
	atexit(remove_image);
	return path;
}

static void mmio(struct encore_machine *m, u64 addr, unsigned len, u32 v)
{
	u8 b[4];
	put32(b, v);
	bus__access(&m->mmio, NULL, addr, b, len, true);
}

static u8 read8(struct encore_machine *m, u64 addr)
{
	u8 b = 0;
	bus__access(&m->mmio, NULL, addr, &b, 1, false);
	return b;
}

static void config(struct encore_machine *m, unsigned off, unsigned len, u32 v)
{
	u8 a[4], b[4];
	put32(a, 0x80000000u | 1u << 11 | (off & 0xfc));
	bus__access(&m->pio, NULL, PCI_CONFIG_ADDRESS_PORT, a, 4, true);
	put32(b, v);
	bus__access(&m->pio, NULL, PCI_CONFIG_DATA_PORT + (off & 3), b, len, true);
}

/* What Linux's virtio_pci and virtio_blk do before the first request. */
static void driver_setup(struct encore_machine *m, const u8 *in)
{
	config(m, 0x04, 2, 0x06);                         /* memory, bus master */
	config(m, 0x42, 2, 0x8001);                       /* MSI-X on (cap at 0x40) */
	for (unsigned v = 0; v < 2; v++) {
		mmio(m, BAR1 + 16 * v, 4, MSI_TARGET + 4 * v);
		mmio(m, BAR1 + 16 * v + 8, 4, 0x40 + v);
		mmio(m, BAR1 + 16 * v + 12, 4, 0);        /* unmasked */
	}
	mmio(m, BAR0 + 0x14, 1, 0);
	mmio(m, BAR0 + 0x14, 1, 3);                       /* ACKNOWLEDGE | DRIVER */
	mmio(m, BAR0 + 0x08, 4, 0);
	mmio(m, BAR0 + 0x0c, 4, (in[0] & 1) << 28 | (in[0] & 2) << 28);
	mmio(m, BAR0 + 0x08, 4, 1);
	mmio(m, BAR0 + 0x0c, 4, 1);                       /* VERSION_1 */
	mmio(m, BAR0 + 0x14, 1, 0x0b);                    /* FEATURES_OK */
	mmio(m, BAR0 + 0x10, 2, 0);                       /* config vector 0 */
	mmio(m, BAR0 + 0x16, 2, 0);
	mmio(m, BAR0 + 0x18, 2, get16(in + 1));
	mmio(m, BAR0 + 0x1a, 2, 1);                       /* queue vector 1 */
	mmio(m, BAR0 + 0x20, 4, DESC);
	mmio(m, BAR0 + 0x28, 4, AVAIL);
	mmio(m, BAR0 + 0x30, 4, USED);
	mmio(m, BAR0 + 0x1c, 2, 1);                       /* enable */
	mmio(m, BAR0 + 0x14, 1, 0x0f);                    /* DRIVER_OK */
}

static void guest_write(struct encore_machine *m, const u8 *w)
{
	unsigned off = get16(w + 1), len = w[3];
	if (len != 1 && len != 2)
		len = 4;
	u32 v = get32(w + 4);
	if (w[0] == 0)
		mmio(m, BAR0 + off % 0x4000, len, v);
	else if (w[0] == 1)
		mmio(m, BAR1 + off % 0x1000, len, v);
	else
		config(m, off & 0xff, len, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HEADER)
		return 0;
	unsigned writes = data[3] < MAX_WRITES ? data[3] : MAX_WRITES;
	size_t ram_at = HEADER + (size_t)writes * WRITE_SIZE;
	if (size < ram_at)
		return 0;
	struct encore_machine *m = machine__create(&arch_x86_64, RAM_SIZE, 1);
	struct pci_host *h = m ? pci_host__create(m) : NULL;
	char err[256];
	struct disk_image *image = disk_image__open(image_path(), false, true, err, sizeof(err));
	if (!h || !image || !virtio_blk__create(m, virtio_slot__pci(h), "vda", image))
		abort();
	size_t n = size - ram_at < RAM_SIZE ? size - ram_at : RAM_SIZE;
	memcpy(m->ram, data + ram_at, n);
	driver_setup(m, data);
	for (unsigned k = 0; k < writes; k++)
		guest_write(m, data + HEADER + k * WRITE_SIZE);
	mmio(m, BAR0 + 0x3000, 2, 0);                     /* notify queue 0 */
	mmio(m, BAR0 + 0x3000, 2, 0);
	/* A device in its error state takes no request until a reset. */
	if (read8(m, BAR0 + 0x14) & 0x40) {
		u16 used = get16(m->ram + USED + 2);
		mmio(m, BAR0 + 0x3000, 2, 0);
		if (get16(m->ram + USED + 2) != used)
			abort();
	}
	machine__destroy(m);
	return 0;
}
