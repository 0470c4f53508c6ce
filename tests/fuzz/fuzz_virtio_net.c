/*
 * Fuzz target for a virtio network device as a guest drives it and the
 * host feeds it: the PCI transport (src/hw/virtio_pci.c, virtio_core.c,
 * msix.c, pci_host.c) and the network device (src/hw/virtio_net.c).  An
 * input is
 *
 *   0  1  features the driver accepts besides VERSION_1, MAC and STATUS:
 *         bit 0 indirect descriptors, bit 1 event index
 *   1  2  receive queue size (le16)
 *   3  2  transmit queue size (le16)
 *   5  1  how many register writes follow (at most 32)
 *   6  1  how many frames the host offers (low 2 bits: 0 to 3)
 *   7  6  the frames' lengths (3 le16, each taken modulo 2001)
 *  13     the writes, 8 bytes each: BAR (0 or 1, else configuration
 *         space), offset (le16), length (1, 2 or 4; else 4), value (le32)
 *   ...   guest RAM from 0 (1 MiB in all, the rest zero)
 *
 * The frames are the input's last bytes: the last one ends the input,
 * each other one ends where the next begins (cut short where they would
 * reach back before guest RAM's bytes).
 *
 * The harness sets the device up as Linux does (receive rings at 0x1000,
 * 0x2000 and 0x3000, transmit rings at 0x4000, 0x5000 and 0x6000, MSI-X
 * aimed at RAM), replays the writes, notifies the transmit queue twice,
 * then offers the frames through virtio_net__can_receive and
 * virtio_net__receive.  Whatever the guest does, the device must not
 * touch host memory outside guest RAM and the frame (ASan), must end,
 * must hand the tx callback no more than VIRTIO_NET_MAX_FRAME bytes and
 * count every frame it hands over, must answer receive with 0 (one
 * buffer used, one frame received or dropped) or -1 (nothing consumed),
 * -1 whenever can_receive said no, and once in DEVICE_NEEDS_RESET must
 * neither receive nor send.  FUZZ_VERBOSE=1 says what it did with each
 * input.
 *
 * The seeds (corpus/virtio_net/, made by hand): frames both ways, one
 * split over descriptors; indirect tables both ways with event indices,
 * a frame dropped and one without a buffer; a transmit buffer on the
 * device's BAR; a receive buffer past RAM; bus mastering off and on with
 * a masked vector; a reset and set-up with other rings.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encore/hw.h"
#include "encore/hw/pci_host.h"
#include "encore/hw/virtio_net.h"
#include "encore/hw/virtio_pci.h"
#include "encore/le_bytes.h"

#define RAM_SIZE (1u << 20)
#define HEADER 13
#define WRITE_SIZE 8
#define MAX_WRITES 32
#define MAX_FRAMES 3
#define FRAME_MOD 2001                   /* frames of 0 to 2000 bytes */
#define BAR0 PCI_HOST_BAR_BASE           /* where the host bridge places them */
#define BAR1 (PCI_HOST_BAR_BASE + 0x4000)
#define RX_RINGS 0x1000                  /* descriptors, available, used a page apart */
#define TX_RINGS 0x4000
#define MSI_TARGET 0x8000                /* interrupts land in RAM */
#define RXQ 0
#define TXQ 1

static const u8 mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static u64 tx_calls;
static u8 tx_sum;
static int verbose = -1; /* FUZZ_VERBOSE=1: say what the device did */

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_virtio_net: %s\n", what);
	abort();
}

/* Every byte is read, so that ASan sees a frame reaching past its buffer. */
static void tx(void *opaque, const u8 *frame, size_t len)
{
	(void)opaque;
	if (len > VIRTIO_NET_MAX_FRAME)
		fail("the tx callback got more than VIRTIO_NET_MAX_FRAME bytes");
	for (size_t i = 0; i < len; i++)
		tx_sum += frame[i];
	tx_calls++;
}

static void mmio(struct encore_machine *m, u64 addr, unsigned len, u32 v)
{
	u8 b[4];
	put32(b, v);
	bus__access(&m->mmio, NULL, addr, b, len, true);
}

static void config(struct encore_machine *m, unsigned off, unsigned len, u32 v)
{
	u8 a[4], b[4];
	put32(a, 0x80000000u | 1u << 11 | (off & 0xfc));
	bus__access(&m->pio, NULL, PCI_CONFIG_ADDRESS_PORT, a, 4, true);
	put32(b, v);
	bus__access(&m->pio, NULL, PCI_CONFIG_DATA_PORT + (off & 3), b, len, true);
}

static void queue_setup(struct encore_machine *m, unsigned k, u16 size, u64 rings)
{
	mmio(m, BAR0 + 0x16, 2, k);
	mmio(m, BAR0 + 0x18, 2, size);
	mmio(m, BAR0 + 0x1a, 2, k);                       /* vector k */
	mmio(m, BAR0 + 0x20, 4, (u32)rings);
	mmio(m, BAR0 + 0x28, 4, (u32)rings + 0x1000);
	mmio(m, BAR0 + 0x30, 4, (u32)rings + 0x2000);
	mmio(m, BAR0 + 0x1c, 2, 1);                       /* enable */
}

/* What Linux's virtio_pci and virtio_net do before the first frame. */
static void driver_setup(struct encore_machine *m, const u8 *in)
{
	config(m, 0x04, 2, 0x06);                         /* memory, bus master */
	config(m, 0x42, 2, 0x8002);                       /* MSI-X on (cap at 0x40) */
	for (unsigned v = 0; v < 3; v++) {
		mmio(m, BAR1 + 16 * v, 4, MSI_TARGET + 4 * v);
		mmio(m, BAR1 + 16 * v + 8, 4, 0x40 + v);
		mmio(m, BAR1 + 16 * v + 12, 4, 0);        /* unmasked */
	}
	mmio(m, BAR0 + 0x14, 1, 0);
	mmio(m, BAR0 + 0x14, 1, 3);                       /* ACKNOWLEDGE | DRIVER */
	mmio(m, BAR0 + 0x08, 4, 0);
	mmio(m, BAR0 + 0x0c, 4, (in[0] & 1) << 28 | (in[0] & 2) << 28 | 1u << 5 | 1u << 16);
	mmio(m, BAR0 + 0x08, 4, 1);
	mmio(m, BAR0 + 0x0c, 4, 1);                       /* VERSION_1 */
	mmio(m, BAR0 + 0x14, 1, 0x0b);                    /* FEATURES_OK */
	mmio(m, BAR0 + 0x10, 2, 2);                       /* config vector 2 */
	queue_setup(m, RXQ, get16(in + 1), RX_RINGS);
	queue_setup(m, TXQ, get16(in + 3), TX_RINGS);
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

/* Offers one frame of the input's bytes [at, at + len), copied to a
 * buffer of exactly its size, and checks what the device did with it. */
static void offer(struct virtio_net *n, const struct virtio_core_state *t,
		  const struct virtio_net_io_state *io, const u8 *bytes, size_t len)
{
	u8 *frame = malloc(len ? len : 1);
	if (!frame)
		abort();
	memcpy(frame, bytes, len);
	const struct virtq *q = &t->queues[RXQ].q;
	bool needs_reset = t->status & VIRTIO_STATUS_NEEDS_RESET;
	u16 used = q->used_idx, last_avail = q->last_avail;
	struct virtio_net_io_state was = *io;
	bool can = virtio_net__can_receive(n);
	int r = virtio_net__receive(n, frame, len);
	free(frame);
	if (verbose)
		fprintf(stderr, "fuzz_virtio_net: a frame of %zu: can_receive %d, receive %d%s\n",
			len, can, r,
			r ? "" : io->rx_dropped != was.rx_dropped ? " (dropped)" : " (received)");
	if (r != 0 && r != -1)
		fail("receive returned neither 0 nor -1");
	if (!can && r != -1)
		fail("receive took a frame that can_receive refused");
	if (needs_reset && (can || r != -1))
		fail("a device in DEVICE_NEEDS_RESET took a frame");
	if (r == -1 && (q->used_idx != used || q->last_avail != last_avail ||
			memcmp(io, &was, sizeof(was))))
		fail("receive returned -1 but consumed a buffer or counted a frame");
	if (r == 0 && ((u16)(q->used_idx - used) != 1 || (u16)(q->last_avail - last_avail) != 1))
		fail("receive returned 0 but did not use exactly one buffer");
	bool received = io->rx_frames == was.rx_frames + 1 && io->rx_bytes == was.rx_bytes + len &&
			io->rx_dropped == was.rx_dropped;
	bool dropped = io->rx_dropped == was.rx_dropped + 1 && io->rx_frames == was.rx_frames &&
		       io->rx_bytes == was.rx_bytes && io->rx_digest == was.rx_digest;
	if (r == 0 && !received && !dropped)
		fail("receive returned 0 but counted the frame neither received nor dropped");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HEADER)
		return 0;
	unsigned writes = data[5] < MAX_WRITES ? data[5] : MAX_WRITES;
	size_t ram_at = HEADER + (size_t)writes * WRITE_SIZE;
	if (size < ram_at)
		return 0;
	struct encore_machine *m = machine__create(&arch_x86_64, RAM_SIZE, 1);
	struct pci_host *h = m ? pci_host__create(m) : NULL;
	struct virtio_net *n = h ? virtio_net__create(m, virtio_slot__pci(h), "net0", mac, tx, NULL)
				 : NULL;
	struct device *transport = n ? machine__find_device(m, "net0") : NULL;
	struct device *part = n ? machine__find_device(m, "net0-io") : NULL;
	if (!transport || !part)
		abort();
	const struct virtio_pci_state *pci = transport->state;
	const struct virtio_core_state *t = &pci->core;
	const struct virtio_net_io_state *io = part->state;
	size_t n_ram = size - ram_at < RAM_SIZE ? size - ram_at : RAM_SIZE;
	memcpy(m->ram, data + ram_at, n_ram);
	tx_calls = 0;
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") && atoi(getenv("FUZZ_VERBOSE"));

	driver_setup(m, data);
	for (unsigned k = 0; k < writes; k++)
		guest_write(m, data + HEADER + k * WRITE_SIZE);
	mmio(m, BAR0 + 0x3004, 2, TXQ);                  /* notify the transmit queue */
	mmio(m, BAR0 + 0x3004, 2, TXQ);
	if (io->tx_frames != tx_calls)
		fail("a frame counted as sent that the callback did not get");
	if (verbose)
		fprintf(stderr, "fuzz_virtio_net: %zu bytes, %u writes: %llu frames sent "
			"(%llu bytes), status %#x\n", size, writes, (unsigned long long)tx_calls,
			(unsigned long long)io->tx_bytes, t->status);
	/* A device in its error state sends nothing until a reset. */
	if (t->status & VIRTIO_STATUS_NEEDS_RESET) {
		u64 calls = tx_calls;
		u16 used = t->queues[TXQ].q.used_idx;
		mmio(m, BAR0 + 0x3004, 2, TXQ);
		if (tx_calls != calls || t->queues[TXQ].q.used_idx != used)
			fail("a device in DEVICE_NEEDS_RESET sent a frame");
	}

	/* The frames, from the input's end backwards. */
	unsigned frames = data[6] & 3;
	size_t end = size, len[MAX_FRAMES], at[MAX_FRAMES];
	for (unsigned k = frames; k-- > 0;) {
		size_t want = get16(data + 7 + 2 * k) % FRAME_MOD;
		len[k] = end - ram_at < want ? end - ram_at : want;
		at[k] = end - len[k];
		end = at[k];
	}
	for (unsigned k = 0; k < frames; k++)
		offer(n, t, io, data + at[k], len[k]);
	machine__destroy(m);
	return 0;
}
