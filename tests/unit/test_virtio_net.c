/*
 * virtio-net on the modern virtio PCI transport, driven the way a guest
 * driver does it (virtio spec 1.2, "Network Device"): the function found
 * through its capability list, features negotiated, the receive queue (0)
 * and the transmit queue (1) laid out in guest RAM, and each MSI-X vector
 * aimed at a word of guest RAM so that every interrupt is a visible 32-bit
 * write.  Transmit through the tx callback (one buffer, split, indirect,
 * header only, batches), receive through virtio_net__receive (one buffer,
 * split, indirect, a frame that does not fit), when the device may take a
 * frame, the counters and digests of the saved part, interrupts per
 * direction and their suppression, bad rings putting the device into
 * DEVICE_NEEDS_RESET until a reset, and chains as long as the queue.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vq_driver.h"
#include "encore/hw.h"
#include "encore/hw/pci.h"
#include "encore/hw/pci_host.h"
#include "encore/hw/virtio_net.h"
#include "encore/le_bytes.h"

#define MIB (1ull << 20)
#define RAM (16 * MIB)

/* The driver's layout in guest RAM: per queue, descriptors, available
 * ring and used ring a page apart. */
#define RXQ 0
#define TXQ 1
#define QSIZE 128
#define RING(q) (0x100000ull + 0x4000ull * (q))
#define INDIRECT(q) (0x140000ull + 0x40000ull * (q)) /* 0x800 bytes (128 entries) per head */
#define RXBUF 0x200000ull      /* receive buffers */
#define TXBUF 0x300000ull      /* frames to send */
#define BIG 0x400000ull        /* 0x20000 bytes for frames past VIRTIO_NET_MAX_FRAME */
#define MSI_RX 0x130000ull     /* vector 0's messages land here */
#define MSI_TX 0x130010ull     /* vector 1's */
#define MSI_CONFIG 0x130020ull /* vector 2's */
#define MSI_DATA_RX 0x4e7a0001u
#define MSI_DATA_TX 0x4e7a0002u
#define MSI_DATA_CONFIG 0x4e7a00c0u

/* 00:01.0, configuration mechanism #1 */
#define CFG(reg) (0x80000000u | 1u << 11 | ((reg) & 0xfc))

/* virtio constants, from the spec (not from the code under test). */
#define F(bit) (1ull << (bit))
#define F_CSUM 0
#define F_MAC 5
#define F_MRG_RXBUF 15
#define F_STATUS 16
#define F_INDIRECT 28
#define F_EVENT_IDX 29
#define F_VERSION_1 32
#define NET_FEATURES (F(F_MAC) | F(F_STATUS))
#define ALL_FEATURES (NET_FEATURES | F(F_VERSION_1) | F(F_INDIRECT) | F(F_EVENT_IDX))
#define S_ACK 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u
#define S_NEEDS_RESET 64u
#define S_READY (S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK)
#define NO_INTERRUPT 1u
#define NET_HDR 12u            /* struct virtio_net_hdr with num_buffers */

/* struct virtio_pci_common_cfg */
enum {
	DFSEL = 0x00, DF = 0x04, GFSEL = 0x08, GF = 0x0c, MSIX_CONFIG = 0x10, NUM_QUEUES = 0x12,
	DEVICE_STATUS = 0x14, Q_SELECT = 0x16, Q_SIZE = 0x18, Q_MSIX_VECTOR = 0x1a,
	Q_ENABLE = 0x1c, Q_NOTIFY_OFF = 0x1e, Q_DESC = 0x20, Q_DRIVER = 0x28, Q_DEVICE = 0x30,
};

/* cfg_type of the vendor capabilities */
enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4, CAP_PCI_CFG = 5 };

static const u8 mac[6] = { 0x52, 0x54, 0x00, 0xe7, 0xc0, 0x5a };

/* The machine, the device and what the driver found. */
struct vnet {
	struct encore_machine *m;
	struct pci_host *host;
	struct virtio_net *net;
	struct virtio_net_io_state *io;  /* the saved part "net0-io" */
	u8 cap[6], cap_bar[6], cap_len[6];
	u32 cap_off[6], cap_length[6];
	u8 msix_cap;
	unsigned ncaps;
	const char *chain_error;
	u32 notify_mult;
	u64 common, isr, device, notify, table, pba;
	u64 features;
	struct vq_driver q[2];
	u64 notify_addr[2];
};

/* ---- what the tx callback saw ---- */

#define KEEP 8
#define KEEP_BYTES 2048

static struct {
	unsigned calls;
	bool wrong_opaque;
	size_t len[KEEP];
	u8 bytes[KEEP][KEEP_BYTES];  /* the first bytes of the first KEEP frames */
	size_t max_len;
	u8 *last;                    /* the last frame, whole */
	size_t last_len;
} sent;

static void tx_sink(void *opaque, const u8 *frame, size_t len)
{
	if (opaque != &sent)
		sent.wrong_opaque = true;
	if (sent.calls < KEEP) {
		sent.len[sent.calls] = len;
		memcpy(sent.bytes[sent.calls], frame, len < KEEP_BYTES ? len : KEEP_BYTES);
	}
	sent.calls++;
	if (len > sent.max_len)
		sent.max_len = len;
	sent.last_len = len;
	memcpy(sent.last, frame, len <= VIRTIO_NET_MAX_FRAME ? len : VIRTIO_NET_MAX_FRAME);
}

static void sent_clear(void)
{
	u8 *last = sent.last;
	memset(&sent, 0, sizeof(sent));
	sent.last = last;
}

/* ---- guest accesses ---- */

static u8 *ram(struct vnet *v, u64 gpa)
{
	return machine__ram_ptr(v->m, gpa);
}

static u32 cfg_read(struct vnet *v, unsigned reg, unsigned len)
{
	u8 a[4], d[4] = { 0 };
	put32(a, CFG(reg));
	bus__access(&v->m->pio, NULL, 0xcf8, a, 4, true);
	bus__access(&v->m->pio, NULL, 0xcfc + (reg & 3), d, len, false);
	return get32(d);
}

static void cfg_write(struct vnet *v, unsigned reg, unsigned len, u32 val)
{
	u8 a[4], d[4];
	put32(a, CFG(reg));
	put32(d, val);
	bus__access(&v->m->pio, NULL, 0xcf8, a, 4, true);
	bus__access(&v->m->pio, NULL, 0xcfc + (reg & 3), d, len, true);
}

static u64 mm_read(struct vnet *v, u64 addr, unsigned len)
{
	u8 b[8] = { 0 };
	bus__access(&v->m->mmio, NULL, addr, b, len, false);
	return get64(b);
}

static void mm_write(struct vnet *v, u64 addr, unsigned len, u64 val)
{
	u8 b[8];
	put64(b, val);
	bus__access(&v->m->mmio, NULL, addr, b, len, true);
}

static u64 com_read(struct vnet *v, unsigned off, unsigned len)
{
	return mm_read(v, v->common + off, len);
}

static void com_write(struct vnet *v, unsigned off, unsigned len, u64 val)
{
	mm_write(v, v->common + off, len, val);
}

static u8 status(struct vnet *v)
{
	return (u8)com_read(v, DEVICE_STATUS, 1);
}

static void set_status(struct vnet *v, u8 s)
{
	com_write(v, DEVICE_STATUS, 1, s);
}

static u8 isr_read(struct vnet *v)
{
	return (u8)mm_read(v, v->isr, 1);
}

/* The word an MSI-X message leaves in RAM, cleared for the next one. */
static u32 take_msi(struct vnet *v, u64 at)
{
	u32 w = get32(ram(v, at));
	put32(ram(v, at), 0);
	return w;
}

/* ---- finding the function ---- */

static void vendor_cap(struct vnet *v, u8 at)
{
	u8 type = (u8)cfg_read(v, at + 3, 1);
	if (type < 1 || type > 5 || v->cap[type])
		return; /* the driver uses the first of each type */
	v->cap[type] = at;
	v->cap_len[type] = (u8)cfg_read(v, at + 2, 1);
	v->cap_bar[type] = (u8)cfg_read(v, at + 4, 1);
	v->cap_off[type] = cfg_read(v, at + 8, 4);
	v->cap_length[type] = cfg_read(v, at + 12, 4);
	if (type == CAP_NOTIFY)
		v->notify_mult = cfg_read(v, at + 16, 4);
}

/* Walks the capability list from 0x34 as a driver does; the addresses
 * of the structures from the BARs. */
static void discover(struct vnet *v)
{
	u8 at = (u8)cfg_read(v, 0x34, 1);
	while (at && !v->chain_error) {
		if (at < 0x40 || (at & 3))
			v->chain_error = "a capability pointer below 0x40 or not dword-aligned";
		else if (++v->ncaps > 48)
			v->chain_error = "the capability list loops";
		else if (cfg_read(v, at, 1) == 0x11)
			v->msix_cap = v->msix_cap ? v->msix_cap : at;
		else if (cfg_read(v, at, 1) == 0x09)
			vendor_cap(v, at);
		at = (u8)cfg_read(v, at + 1, 1);
	}
	u64 bar[6], where[6] = { 0 };
	for (unsigned b = 0; b < 6; b++)
		bar[b] = cfg_read(v, 0x10 + 4 * b, 4) & ~0xfu;
	for (unsigned t = 1; t < 6; t++)
		if (v->cap[t] && v->cap_bar[t] < 6)
			where[t] = bar[v->cap_bar[t]] + v->cap_off[t];
	v->common = where[CAP_COMMON];
	v->notify = where[CAP_NOTIFY];
	v->isr = where[CAP_ISR];
	v->device = where[CAP_DEVICE];
	if (v->msix_cap) {
		u32 t = cfg_read(v, v->msix_cap + 4, 4), p = cfg_read(v, v->msix_cap + 8, 4);
		v->table = bar[t & 7] + (t & ~7u);
		v->pba = bar[p & 7] + (p & ~7u);
	}
}

static struct vnet *vnet_new_with(void (*tx)(void *, const u8 *, size_t))
{
	struct vnet *v = calloc(1, sizeof(*v));
	v->m = machine__create(&arch_x86_64, RAM, 1);
	v->host = v->m ? pci_host__create(v->m) : NULL;
	struct virtio_slot at = virtio_slot__pci(v->host);
	v->net = v->host ? virtio_net__create(v->m, at, "net0", mac, tx, &sent) : NULL;
	struct device *part = v->net ? machine__find_device(v->m, "net0-io") : NULL;
	if (!part || part->state_size != sizeof(*v->io)) {
		printf("FAIL setup: %s\n", !v->net ? "virtio_net__create" : "no part net0-io");
		exit(1);
	}
	v->io = part->state;
	discover(v);
	return v;
}

static struct vnet *vnet_new(void)
{
	return vnet_new_with(tx_sink);
}

static void vnet_free(struct vnet *v)
{
	machine__destroy(v->m);
	free(v);
}

/* ---- the driver ---- */

static u64 device_features(struct vnet *v)
{
	com_write(v, DFSEL, 4, 0);
	u64 lo = com_read(v, DF, 4);
	com_write(v, DFSEL, 4, 1);
	return lo | com_read(v, DF, 4) << 32;
}

static void driver_features(struct vnet *v, u64 f)
{
	com_write(v, GFSEL, 4, 0);
	com_write(v, GF, 4, (u32)f);
	com_write(v, GFSEL, 4, 1);
	com_write(v, GF, 4, (u32)(f >> 32));
}

/* Reset, ACKNOWLEDGE|DRIVER, accept exactly `want` and FEATURES_OK:
 * whether the device kept FEATURES_OK. */
static bool negotiate(struct vnet *v, u64 want)
{
	set_status(v, 0);
	if (status(v) != 0)
		return false;
	set_status(v, S_ACK);
	set_status(v, S_ACK | S_DRIVER);
	v->features = want;
	driver_features(v, want);
	set_status(v, S_ACK | S_DRIVER | S_FEATURES_OK);
	return status(v) & S_FEATURES_OK;
}

static void msix_entry(struct vnet *v, unsigned k, u64 addr, u32 data, bool masked)
{
	u64 e = v->table + 16 * k;
	mm_write(v, e + 0, 4, (u32)addr);
	mm_write(v, e + 4, 4, (u32)(addr >> 32));
	mm_write(v, e + 8, 4, data);
	mm_write(v, e + 12, 4, masked);
}

/* Bus mastering and memory decode on; vectors 0 (rx), 1 (tx) and 2
 * (config) aimed at guest RAM; MSI-X enabled. */
static void msix_on(struct vnet *v)
{
	cfg_write(v, 0x04, 2, cfg_read(v, 0x04, 2) | 0x06);
	msix_entry(v, 0, MSI_RX, MSI_DATA_RX, false);
	msix_entry(v, 1, MSI_TX, MSI_DATA_TX, false);
	msix_entry(v, 2, MSI_CONFIG, MSI_DATA_CONFIG, false);
	cfg_write(v, v->msix_cap + 2, 2, 0x8000);
}

/* Where the driver puts queue k, with nothing made available yet. */
static struct vq_driver rings(struct vnet *v, unsigned k)
{
	return (struct vq_driver){ .m = v->m, .size = QSIZE, .desc = RING(k),
				   .avail = RING(k) + 0x1000, .used = RING(k) + 0x2000,
				   .indirect = INDIRECT(k), .stride = 0x800 };
}

/* Queue k laid out at RING(k) with vector k, enabled: whether the
 * registers read back. */
static bool queue_setup(struct vnet *v, unsigned k)
{
	struct vq_driver *q = &v->q[k];
	*q = rings(v, k);
	memset(ram(v, RING(k)), 0, 0x3000);
	com_write(v, Q_SELECT, 2, k);
	com_write(v, Q_SIZE, 2, QSIZE);
	const unsigned fields[3] = { Q_DESC, Q_DRIVER, Q_DEVICE };
	const u64 where[3] = { q->desc, q->avail, q->used };
	for (unsigned i = 0; i < 3; i++) {
		com_write(v, fields[i], 4, (u32)where[i]);
		com_write(v, fields[i] + 4, 4, (u32)(where[i] >> 32));
	}
	com_write(v, Q_MSIX_VECTOR, 2, k);
	v->notify_addr[k] = v->notify + com_read(v, Q_NOTIFY_OFF, 2) * v->notify_mult;
	bool ok = com_read(v, Q_MSIX_VECTOR, 2) == k && com_read(v, Q_SIZE, 2) == QSIZE;
	com_write(v, Q_ENABLE, 2, 1);
	return ok && com_read(v, Q_ENABLE, 2) == 1;
}

/* Both queues set up and enabled, without DRIVER_OK. */
static bool queues_setup(struct vnet *v)
{
	for (unsigned k = 0; k < 3; k++)
		put32(ram(v, MSI_RX + 16 * k), 0);
	com_write(v, MSIX_CONFIG, 2, 2);
	bool ok = com_read(v, MSIX_CONFIG, 2) == 2;
	return queue_setup(v, RXQ) && queue_setup(v, TXQ) && ok;
}

/* The whole initialisation: the device ready for frames. */
static bool driver_start(struct vnet *v, u64 want)
{
	if (!negotiate(v, want))
		return false;
	msix_on(v);
	if (!queues_setup(v))
		return false;
	set_status(v, S_READY);
	return status(v) == S_READY;
}

/* Notifies queue k as Linux does (the queue index at its address). */
static void kick(struct vnet *v, unsigned k)
{
	mm_write(v, v->notify_addr[k], 2, k);
}

/* Queue k's used ring: its index, entry i's id and length. */
static u16 used_idx(struct vnet *v, unsigned k)
{
	return vqd_used_idx(&v->q[k]);
}

static u32 used_id(struct vnet *v, unsigned k, u16 i)
{
	return vqd_used_id(&v->q[k], i);
}

static u32 used_len(struct vnet *v, unsigned k, u16 i)
{
	return vqd_used_len(&v->q[k], i);
}

/* ---- frames ---- */

/* An Ethernet frame of `len` bytes for us from a peer, its payload
 * made from `seed`. */
static void make_frame(u8 *f, size_t len, u8 seed)
{
	static const u8 peer[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
	for (size_t i = 0; i < len; i++)
		f[i] = (u8)(seed * 31 + i * 7 + (i >> 8));
	if (len >= 14) {
		memcpy(f, mac, 6);
		memcpy(f + 6, peer, 6);
		f[12] = 0x08;
		f[13] = 0x00;
	}
}

/* Lays `len` bytes over the buffers s[0..n) in order. */
static void scatter(struct vnet *v, const struct vq_seg *s, unsigned n, const u8 *bytes, size_t len)
{
	for (unsigned i = 0; i < n && len; i++) {
		size_t take = s[i].len < len ? s[i].len : len;
		memcpy(ram(v, s[i].addr), bytes, take);
		bytes += take;
		len -= take;
	}
}

/* The first `len` bytes of the buffers s[0..n), in order. */
static void gather(struct vnet *v, const struct vq_seg *s, unsigned n, u8 *bytes, size_t len)
{
	for (unsigned i = 0; i < n && len; i++) {
		size_t take = s[i].len < len ? s[i].len : len;
		memcpy(bytes, ram(v, s[i].addr), take);
		bytes += take;
		len -= take;
	}
}

/* The frame of `len` bytes from `seed` after a zero header, laid over
 * s[0..n) (device-readable) and made available on the transmit queue. */
static u16 send_frame(struct vnet *v, const struct vq_seg *s, unsigned n, size_t len, u8 seed,
		      bool indirect)
{
	u8 *buf = calloc(1, NET_HDR + len);
	make_frame(buf + NET_HDR, len, seed);
	scatter(v, s, n, buf, NET_HDR + len);
	free(buf);
	return vqd_submit(&v->q[TXQ], s, n, indirect);
}

/* Did the callback's frame k (of KEEP) hold the frame of `len` from `seed`? */
static bool sent_is(unsigned k, size_t len, u8 seed)
{
	if (k >= sent.calls || sent.len[k] != len)
		return false;
	u8 *want = malloc(len ? len : 1);
	make_frame(want, len, seed);
	bool same = !memcmp(sent.bytes[k], want, len < KEEP_BYTES ? len : KEEP_BYTES);
	free(want);
	return same;
}

/* Was the callback's last frame the frame of `len` from `seed`, whole? */
static bool last_is(size_t len, u8 seed)
{
	if (!sent.calls || sent.last_len != len)
		return false;
	u8 *want = malloc(len ? len : 1);
	make_frame(want, len, seed);
	bool same = !memcmp(sent.last, want, len);
	free(want);
	return same;
}

/* One receive buffer of `size` bytes at `at` (0xcc-filled), offered. */
static u16 post_rx(struct vnet *v, u64 at, u32 size)
{
	memset(ram(v, at), 0xcc, size + 16);
	struct vq_seg s = { at, size, VQ_WRITE };
	return vqd_submit(&v->q[RXQ], &s, 1, false);
}

static int deliver(struct vnet *v, size_t len, u8 seed)
{
	u8 *f = malloc(len ? len : 1);
	make_frame(f, len, seed);
	int r = virtio_net__receive(v->net, f, len);
	free(f);
	return r;
}

/* Does RAM at the buffers s[0..n) hold a zero header with num_buffers 1,
 * then the frame of `len` from `seed`? */
static bool received_is(struct vnet *v, const struct vq_seg *s, unsigned n, size_t len, u8 seed)
{
	u8 *got = malloc(NET_HDR + len), *want = calloc(1, NET_HDR + len);
	gather(v, s, n, got, NET_HDR + len);
	put16(want + 10, 1);
	make_frame(want + NET_HDR, len, seed);
	bool same = !memcmp(got, want, NET_HDR + len);
	free(got);
	free(want);
	return same;
}

static bool all_bytes(struct vnet *v, u64 at, u8 byte, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (*ram(v, at + i) != byte)
			return false;
	return true;
}

/* ---- identity, features, configuration ---- */

static void test_identity(void)
{
	check_group("identity");
	struct vnet *v = vnet_new();
	CHECK(cfg_read(v, 0x00, 2) == 0x1af4 && cfg_read(v, 0x02, 2) == 0x1041,
	      "vendor/device %#x", cfg_read(v, 0x00, 4));
	CHECK(cfg_read(v, 0x08, 1) == 1, "revision 1 (modern): %u", cfg_read(v, 0x08, 1));
	CHECK(cfg_read(v, 0x08, 4) >> 8 == 0x020000, "class 02/00/00 (Ethernet): %#x",
	      cfg_read(v, 0x08, 4) >> 8);
	CHECK(cfg_read(v, 0x2c, 2) == 0x1af4, "subsystem vendor %#x", cfg_read(v, 0x2c, 2));
	CHECK(cfg_read(v, 0x0e, 1) == 0, "header type 0");
	CHECK(!v->chain_error, "capability chain: %s", v->chain_error);
	for (unsigned t = 1; t <= 5; t++)
		CHECK(v->cap[t] && v->cap_len[t] >= 16, "cfg_type %u present (len %u)", t,
		      v->cap_len[t]);
	CHECK(v->cap_bar[CAP_COMMON] == 0 && v->cap_off[CAP_COMMON] == 0 &&
	      v->cap_off[CAP_ISR] == 0x1000 && v->cap_off[CAP_DEVICE] == 0x2000 &&
	      v->cap_off[CAP_NOTIFY] == 0x3000, "BAR0 layout %#x %#x %#x %#x", v->cap_off[1],
	      v->cap_off[3], v->cap_off[4], v->cap_off[2]);
	CHECK(v->notify_mult == 4, "notify multiplier %u", v->notify_mult);
	CHECK(v->cap_length[CAP_DEVICE] >= 8, "device config holds mac and status: %u",
	      v->cap_length[CAP_DEVICE]);
	CHECK(v->common == 0xfe000000, "common cfg at %#llx", (unsigned long long)v->common);
	CHECK(v->msix_cap && (cfg_read(v, v->msix_cap + 2, 2) & 0x7ff) == 2,
	      "MSI-X: 3 vectors (table size field %u)", cfg_read(v, v->msix_cap + 2, 2) & 0x7ff);
	CHECK(v->table == 0xfe004000 && v->pba == 0xfe004800, "MSI-X table %#llx, PBA %#llx",
	      (unsigned long long)v->table, (unsigned long long)v->pba);
	CHECK(com_read(v, NUM_QUEUES, 2) == 2, "two queues: %llu",
	      (unsigned long long)com_read(v, NUM_QUEUES, 2));
	for (unsigned k = 0; k < 2; k++) {
		com_write(v, Q_SELECT, 2, k);
		u16 max = (u16)com_read(v, Q_SIZE, 2);
		CHECK(max >= QSIZE && !(max & (max - 1)), "queue %u max size %u", k, max);
		CHECK(com_read(v, Q_NOTIFY_OFF, 2) * v->notify_mult + 2 <= v->cap_length[CAP_NOTIFY],
		      "queue %u's notify address inside the region", k);
	}
	com_write(v, Q_SELECT, 2, 2);
	CHECK(com_read(v, Q_SIZE, 2) == 0, "no queue 2 (no control queue)");
	struct device *d = machine__find_device(v->m, "net0");
	CHECK(d != NULL, "the transport's part net0");
	d = machine__find_device(v->m, "net0-io");
	CHECK(d && d->version == VIRTIO_NET_IO_STATE_VERSION &&
	      d->state_size == sizeof(struct virtio_net_io_state), "the part net0-io, version %u",
	      d ? d->version : 0);
	static const struct virtio_net_io_state zero;
	CHECK(!memcmp(v->io, &zero, sizeof(zero)), "its counters start at 0");
	vnet_free(v);
}

static void test_features(void)
{
	check_group("features");
	struct vnet *v = vnet_new();
	u64 f = device_features(v);
	CHECK(f == ALL_FEATURES, "offered %#llx, want MAC|STATUS|INDIRECT|EVENT_IDX|VERSION_1",
	      (unsigned long long)f);
	com_write(v, DFSEL, 4, 2);
	CHECK(com_read(v, DF, 4) == 0, "device_feature_select 2 reads 0");
	CHECK(negotiate(v, ALL_FEATURES), "everything offered is accepted");
	CHECK(negotiate(v, F(F_VERSION_1)), "VERSION_1 alone is accepted");
	CHECK(!negotiate(v, NET_FEATURES), "FEATURES_OK refused without VERSION_1 (%#x)", status(v));
	CHECK(!negotiate(v, F(F_VERSION_1) | F(F_MRG_RXBUF)),
	      "refused with MRG_RXBUF, which is not offered (%#x)", status(v));
	CHECK(!negotiate(v, F(F_VERSION_1) | F(F_CSUM)), "refused with CSUM, not offered");
	CHECK(negotiate(v, F(F_VERSION_1) | F(F_MAC)), "VERSION_1|MAC accepted");
	com_write(v, GFSEL, 4, 0);
	CHECK(com_read(v, GF, 4) == F(F_MAC), "driver_feature reads back %#llx",
	      (unsigned long long)com_read(v, GF, 4));
	vnet_free(v);
}

static void test_config(void)
{
	check_group("config");
	struct vnet *v = vnet_new();
	u8 got[6];
	for (unsigned i = 0; i < 6; i++)
		got[i] = (u8)mm_read(v, v->device + i, 1);
	CHECK(!memcmp(got, mac, 6), "MAC byte by byte %02x:%02x:%02x:%02x:%02x:%02x", got[0],
	      got[1], got[2], got[3], got[4], got[5]);
	u64 w = mm_read(v, v->device, 4) | mm_read(v, v->device + 4, 2) << 32;
	CHECK(w == (get32(mac) | (u64)get16(mac + 4) << 32), "MAC as a dword and a word: %#llx",
	      (unsigned long long)w);
	CHECK(mm_read(v, v->device + 6, 2) == 1, "status: link up (%llu)",
	      (unsigned long long)mm_read(v, v->device + 6, 2));
	mm_write(v, v->device, 4, 0);
	mm_write(v, v->device + 6, 2, 0);
	CHECK(mm_read(v, v->device, 1) == mac[0] && mm_read(v, v->device + 6, 2) == 1,
	      "the configuration is read-only");
	CHECK(mm_read(v, v->device + 0x100, 4) == 0, "past the configuration reads 0");
	CHECK(driver_start(v, ALL_FEATURES), "driver start: %#x", status(v));
	CHECK(mm_read(v, v->device + 6, 2) == 1 && mm_read(v, v->device + 5, 1) == mac[5],
	      "the same once the driver is ready");
	CHECK(take_msi(v, MSI_CONFIG) == 0, "no config interrupt");
	vnet_free(v);
}

/* ---- transmit ---- */

static void test_tx(void)
{
	check_group("tx");
	struct vnet *v = vnet_new();
	CHECK(driver_start(v, ALL_FEATURES), "driver start: %#x", status(v));
	sent_clear();

	/* header and frame in one buffer */
	struct vq_seg one = { TXBUF, NET_HDR + 60, 0 };
	u16 head = send_frame(v, &one, 1, 60, 1, false);
	kick(v, TXQ);
	CHECK(sent.calls == 1 && sent_is(0, 60, 1), "one frame of 60: %u calls, len %zu",
	      sent.calls, sent.len[0]);
	CHECK(!sent.wrong_opaque, "the callback gets its opaque");
	CHECK(used_idx(v, TXQ) == 1 && used_id(v, TXQ, 0) == head && used_len(v, TXQ, 0) == 0,
	      "used: idx %u, id %u, len %u", used_idx(v, TXQ), used_id(v, TXQ, 0),
	      used_len(v, TXQ, 0));
	CHECK(v->io->tx_frames == 1 && v->io->tx_bytes == 60 && v->io->tx_digest != 0,
	      "counters: %llu frames, %llu bytes", (unsigned long long)v->io->tx_frames,
	      (unsigned long long)v->io->tx_bytes);
	CHECK(v->io->rx_frames == 0 && v->io->rx_bytes == 0 && v->io->rx_digest == 0,
	      "the receive counters untouched");
	u64 digest = v->io->tx_digest;

	/* split over four descriptors, the header itself split */
	struct vq_seg split[4] = { { TXBUF + 0x1000, 5, 0 }, { TXBUF + 0x2000, 7 + 500, 0 },
				{ TXBUF + 0x3000, 995, 0 }, { TXBUF + 0x4000, 19, 0 } };
	head = send_frame(v, split, 4, 1514, 2, false);
	kick(v, TXQ);
	CHECK(sent.calls == 2 && sent_is(1, 1514, 2), "a frame over 4 descriptors: len %zu",
	      sent.len[1]);
	CHECK(used_idx(v, TXQ) == 2 && used_id(v, TXQ, 1) == head && used_len(v, TXQ, 1) == 0,
	      "used len %u", used_len(v, TXQ, 1));
	CHECK(v->io->tx_frames == 2 && v->io->tx_bytes == 60 + 1514 && v->io->tx_digest != digest,
	      "counters and digest move on");
	digest = v->io->tx_digest;

	/* the same through an indirect table */
	head = send_frame(v, split, 4, 1514, 3, true);
	kick(v, TXQ);
	CHECK(sent.calls == 3 && sent_is(2, 1514, 3), "an indirect frame: len %zu", sent.len[2]);
	CHECK(used_idx(v, TXQ) == 3 && used_id(v, TXQ, 2) == head && used_len(v, TXQ, 2) == 0,
	      "used id %u len %u", used_id(v, TXQ, 2), used_len(v, TXQ, 2));
	CHECK(v->io->tx_frames == 3 && v->io->tx_digest != digest, "counted");
	digest = v->io->tx_digest;

	/* only a header: nothing to send, the buffer comes back */
	struct vq_seg hdr = { TXBUF, NET_HDR, 0 };
	head = send_frame(v, &hdr, 1, 0, 4, false);
	kick(v, TXQ);
	CHECK(sent.calls == 3, "a header alone: no callback (%u)", sent.calls);
	CHECK(used_idx(v, TXQ) == 4 && used_id(v, TXQ, 3) == head && used_len(v, TXQ, 3) == 0,
	      "the header-only buffer is returned");
	CHECK(v->io->tx_frames == 3 && v->io->tx_bytes == 60 + 2 * 1514 && v->io->tx_digest == digest,
	      "and not counted");
	struct vq_seg shorter = { TXBUF, 8, 0 };
	vqd_submit(&v->q[TXQ], &shorter, 1, false);
	kick(v, TXQ);
	CHECK(sent.calls == 3 && used_idx(v, TXQ) == 5 && v->io->tx_frames == 3,
	      "a buffer shorter than the header: returned, nothing sent");

	/* three frames, one notify: three calls in order */
	struct vq_seg b[3] = { { TXBUF + 0x5000, NET_HDR + 64, 0 }, { TXBUF + 0x6000, NET_HDR + 100, 0 },
			    { TXBUF + 0x7000, NET_HDR + 1500, 0 } };
	sent_clear();
	send_frame(v, &b[0], 1, 64, 5, false);
	send_frame(v, &b[1], 1, 100, 6, false);
	send_frame(v, &b[2], 1, 1500, 7, true);
	kick(v, TXQ);
	CHECK(sent.calls == 3 && sent_is(0, 64, 5) && sent_is(1, 100, 6) && sent_is(2, 1500, 7),
	      "a batch of three, in order (%u calls)", sent.calls);
	CHECK(used_idx(v, TXQ) == 8 && used_len(v, TXQ, 5) == 0 && used_len(v, TXQ, 6) == 0 &&
	      used_len(v, TXQ, 7) == 0, "all three used with len 0");
	kick(v, TXQ);
	CHECK(sent.calls == 3 && used_idx(v, TXQ) == 8, "a notify with nothing new sends nothing");

	/* a jumbo frame, and one larger than any frame may be */
	struct vq_seg jumbo = { BIG, NET_HDR + 9000, 0 };
	send_frame(v, &jumbo, 1, 9000, 8, false);
	kick(v, TXQ);
	CHECK(sent.calls == 4 && last_is(9000, 8), "a 9000-byte frame: len %zu", sent.last_len);
	struct vq_seg huge = { BIG, NET_HDR + VIRTIO_NET_MAX_FRAME + 100, 0 };
	send_frame(v, &huge, 1, VIRTIO_NET_MAX_FRAME + 100, 9, false);
	kick(v, TXQ);
	CHECK(sent.max_len <= VIRTIO_NET_MAX_FRAME, "the callback never sees more than %u: %zu",
	      VIRTIO_NET_MAX_FRAME, sent.max_len);
	CHECK(used_idx(v, TXQ) == 10 && used_len(v, TXQ, 9) == 0 && !(status(v) & S_NEEDS_RESET),
	      "the oversized buffer is returned, the device fine");

	/* a notify on the receive queue sends nothing */
	unsigned calls = sent.calls;
	send_frame(v, &one, 1, 60, 10, false);
	kick(v, RXQ);
	CHECK(sent.calls == calls && used_idx(v, TXQ) == 10,
	      "the receive queue's notify does not transmit (%u calls)", sent.calls - calls);
	kick(v, TXQ);
	CHECK(sent.calls == calls + 1 && sent.last_len == 60 && used_idx(v, TXQ) == 11,
	      "its own notify does");
	vnet_free(v);
}

/* Both directions deterministic and order-sensitive; no callback. */
static void test_digest(void)
{
	check_group("digest");
	struct virtio_net_io_state st[3];
	static const size_t lens[2] = { 60, 1400 };
	for (unsigned run = 0; run < 3; run++) {
		struct vnet *v = vnet_new();
		CHECK(driver_start(v, F(F_VERSION_1)), "driver start %u", run);
		for (unsigned i = 0; i < 2; i++) {
			unsigned k = run == 2 ? 1 - i : i; /* the third run in the other order */
			struct vq_seg s = { TXBUF + 0x1000 * i, (u32)(NET_HDR + lens[k]), 0 };
			send_frame(v, &s, 1, lens[k], (u8)(k + 1), false);
			post_rx(v, RXBUF + 0x1000 * i, 2048);
		}
		kick(v, TXQ);
		for (unsigned i = 0; i < 2; i++) {
			unsigned k = run == 2 ? 1 - i : i;
			CHECK(deliver(v, lens[k], (u8)(k + 1)) == 0, "run %u: frame %u delivered", run, i);
		}
		st[run] = *v->io;
		vnet_free(v);
	}
	CHECK(!memcmp(&st[0], &st[1], sizeof(st[0])), "the same frames: the same saved part");
	CHECK(st[0].tx_frames == 2 && st[0].tx_bytes == 1460 && st[0].rx_frames == 2 &&
	      st[0].rx_bytes == 1460 && st[0].rx_dropped == 0, "counters: tx %llu/%llu rx %llu/%llu",
	      (unsigned long long)st[0].tx_frames, (unsigned long long)st[0].tx_bytes,
	      (unsigned long long)st[0].rx_frames, (unsigned long long)st[0].rx_bytes);
	CHECK(st[2].tx_bytes == st[0].tx_bytes && st[2].tx_digest != st[0].tx_digest,
	      "another order: the same bytes, another tx digest");
	CHECK(st[2].rx_bytes == st[0].rx_bytes && st[2].rx_digest != st[0].rx_digest,
	      "another order: another rx digest");

	/* no callback: frames are still taken and counted */
	struct vnet *v = vnet_new_with(NULL);
	CHECK(driver_start(v, F(F_VERSION_1)), "driver start without a callback");
	struct vq_seg s = { TXBUF, NET_HDR + 60, 0 };
	sent_clear();
	send_frame(v, &s, 1, 60, 1, false);
	kick(v, TXQ);
	CHECK(used_idx(v, TXQ) == 1 && used_len(v, TXQ, 0) == 0 && v->io->tx_frames == 1 &&
	      v->io->tx_bytes == 60 && v->io->tx_digest != 0 && sent.calls == 0,
	      "no callback: used and counted");
	vnet_free(v);
}

/* ---- receive ---- */

static void test_rx(void)
{
	check_group("rx");
	struct vnet *v = vnet_new();
	CHECK(driver_start(v, ALL_FEATURES), "driver start: %#x", status(v));

	/* one buffer */
	u16 head = post_rx(v, RXBUF, 2048);
	CHECK(virtio_net__can_receive(v->net), "a buffer offered: can receive");
	CHECK(deliver(v, 100, 1) == 0, "a frame of 100 delivered");
	struct vq_seg one = { RXBUF, 2048, VQ_WRITE };
	CHECK(used_idx(v, RXQ) == 1 && used_id(v, RXQ, 0) == head &&
	      used_len(v, RXQ, 0) == NET_HDR + 100, "used: idx %u id %u len %u", used_idx(v, RXQ),
	      used_id(v, RXQ, 0), used_len(v, RXQ, 0));
	CHECK(received_is(v, &one, 1, 100, 1), "a zero header with num_buffers 1, then the frame");
	CHECK(get16(ram(v, RXBUF + 10)) == 1, "num_buffers %u", get16(ram(v, RXBUF + 10)));
	CHECK(all_bytes(v, RXBUF + NET_HDR + 100, 0xcc, 64), "nothing written past the frame");
	CHECK(v->io->rx_frames == 1 && v->io->rx_bytes == 100 && v->io->rx_digest != 0 &&
	      v->io->rx_dropped == 0, "counters: %llu frames, %llu bytes",
	      (unsigned long long)v->io->rx_frames, (unsigned long long)v->io->rx_bytes);
	CHECK(!virtio_net__can_receive(v->net), "the only buffer is used: cannot receive");
	CHECK(deliver(v, 100, 2) == -1 && used_idx(v, RXQ) == 1 && v->io->rx_frames == 1,
	      "no buffer: -1, nothing consumed or counted");
	u64 digest = v->io->rx_digest;

	/* split over four descriptors, the header itself split */
	struct vq_seg split[4] = { { RXBUF + 0x1000, 4, VQ_WRITE }, { RXBUF + 0x2000, 8 + 50, VQ_WRITE },
				{ RXBUF + 0x3000, 1000, VQ_WRITE }, { RXBUF + 0x4000, 2000, VQ_WRITE } };
	for (unsigned i = 0; i < 4; i++)
		memset(ram(v, split[i].addr), 0xcc, split[i].len + 16);
	head = vqd_submit(&v->q[RXQ], split, 4, false);
	CHECK(deliver(v, 1514, 3) == 0, "a frame of 1514 into 4 descriptors");
	CHECK(used_idx(v, RXQ) == 2 && used_id(v, RXQ, 1) == head &&
	      used_len(v, RXQ, 1) == NET_HDR + 1514, "used len %u", used_len(v, RXQ, 1));
	CHECK(received_is(v, split, 4, 1514, 3), "header and frame across the buffers");
	CHECK(all_bytes(v, RXBUF + 0x4000 + (NET_HDR + 1514 - 1062), 0xcc, 16), "nothing past it");
	CHECK(v->io->rx_frames == 2 && v->io->rx_bytes == 1614 && v->io->rx_digest != digest,
	      "counters and digest move on");

	/* the same through an indirect table */
	for (unsigned i = 0; i < 4; i++)
		memset(ram(v, split[i].addr), 0xcc, split[i].len + 16);
	head = vqd_submit(&v->q[RXQ], split, 4, true);
	CHECK(deliver(v, 1200, 4) == 0, "a frame of 1200 through an indirect table");
	CHECK(used_idx(v, RXQ) == 3 && used_id(v, RXQ, 2) == head &&
	      used_len(v, RXQ, 2) == NET_HDR + 1200 && received_is(v, split, 4, 1200, 4),
	      "indirect: used len %u", used_len(v, RXQ, 2));

	/* exactly the buffer, then one byte more */
	post_rx(v, RXBUF, NET_HDR + 64);
	CHECK(deliver(v, 64, 5) == 0 && used_len(v, RXQ, 3) == NET_HDR + 64, "an exact fit: len %u",
	      used_len(v, RXQ, 3));
	struct vq_seg fit = { RXBUF, NET_HDR + 64, VQ_WRITE };
	CHECK(received_is(v, &fit, 1, 64, 5), "and its bytes");
	u64 frames = v->io->rx_frames, bytes = v->io->rx_bytes;
	head = post_rx(v, RXBUF + 0x1000, NET_HDR + 64);
	CHECK(deliver(v, 65, 6) == 0, "a frame one byte too large: 0 (its buffer consumed)");
	CHECK(used_idx(v, RXQ) == 5 && used_id(v, RXQ, 4) == head && used_len(v, RXQ, 4) == 0,
	      "returned with used len %u", used_len(v, RXQ, 4));
	CHECK(v->io->rx_dropped == 1 && v->io->rx_frames == frames && v->io->rx_bytes == bytes,
	      "counted as dropped (%llu), not received", (unsigned long long)v->io->rx_dropped);
	CHECK(all_bytes(v, RXBUF + 0x1000, 0xcc, NET_HDR + 64), "the buffer untouched");

	/* a frame past VIRTIO_NET_MAX_FRAME, even into a buffer that holds it */
	post_rx(v, BIG, 0x20000);
	CHECK(deliver(v, VIRTIO_NET_MAX_FRAME + 1, 7) == 0 && used_len(v, RXQ, 5) == 0 &&
	      v->io->rx_dropped == 2, "a frame of MAX_FRAME + 1: dropped (%llu)",
	      (unsigned long long)v->io->rx_dropped);
	post_rx(v, BIG, 0x20000);
	CHECK(deliver(v, VIRTIO_NET_MAX_FRAME, 8) == 0 &&
	      used_len(v, RXQ, 6) == NET_HDR + VIRTIO_NET_MAX_FRAME, "one of MAX_FRAME fits: len %u",
	      used_len(v, RXQ, 6));

	/* one frame, one buffer */
	post_rx(v, RXBUF, 2048);
	post_rx(v, RXBUF + 0x1000, 2048);
	CHECK(deliver(v, 300, 9) == 0 && virtio_net__can_receive(v->net),
	      "two buffers, one frame: can still receive");
	CHECK(deliver(v, 400, 10) == 0 && !virtio_net__can_receive(v->net),
	      "the second frame takes the second buffer");
	struct vq_seg second = { RXBUF + 0x1000, 2048, VQ_WRITE };
	CHECK(used_idx(v, RXQ) == 9 && used_len(v, RXQ, 8) == NET_HDR + 400 &&
	      received_is(v, &second, 1, 400, 10), "in its own buffer");
	CHECK(deliver(v, 60, 11) == -1 && used_idx(v, RXQ) == 9, "a third: -1");
	CHECK(!(status(v) & S_NEEDS_RESET), "the device is fine: %#x", status(v));
	vnet_free(v);
}

/* When may the host offer a frame? */
static void test_can_receive(void)
{
	check_group("can_receive");
	struct vnet *v = vnet_new();
	u8 f[64];
	make_frame(f, sizeof(f), 1);
	CHECK(!virtio_net__can_receive(v->net), "a fresh device: no");
	CHECK(virtio_net__receive(v->net, f, sizeof(f)) == -1, "a fresh device: receive -1");

	CHECK(negotiate(v, F(F_VERSION_1)), "negotiate");
	msix_on(v);
	CHECK(queues_setup(v), "queues set up");
	post_rx(v, RXBUF, 2048);
	CHECK(!virtio_net__can_receive(v->net), "a buffer but no DRIVER_OK: no");
	CHECK(virtio_net__receive(v->net, f, sizeof(f)) == -1, "before DRIVER_OK: -1");
	CHECK(used_idx(v, RXQ) == 0 && all_bytes(v, RXBUF, 0xcc, 128) && v->io->rx_frames == 0 &&
	      take_msi(v, MSI_RX) == 0, "and nothing consumed, written or counted");

	set_status(v, S_READY);
	CHECK(virtio_net__can_receive(v->net), "DRIVER_OK: yes");

	cfg_write(v, 0x04, 2, 0x02); /* bus mastering off */
	CHECK(!virtio_net__can_receive(v->net), "bus mastering off: no");
	CHECK(virtio_net__receive(v->net, f, sizeof(f)) == -1 && used_idx(v, RXQ) == 0 &&
	      all_bytes(v, RXBUF, 0xcc, 128), "bus mastering off: -1, RAM untouched");
	cfg_write(v, 0x04, 2, 0x06);
	CHECK(virtio_net__can_receive(v->net), "bus mastering on: yes");
	CHECK(deliver(v, 64, 1) == 0 && used_idx(v, RXQ) == 1 && used_len(v, RXQ, 0) == NET_HDR + 64,
	      "the buffer offered before DRIVER_OK takes the frame");
	CHECK(!virtio_net__can_receive(v->net) && deliver(v, 64, 2) == -1 && used_idx(v, RXQ) == 1,
	      "no buffer left: no, and -1");

	/* the receive queue not enabled */
	CHECK(negotiate(v, F(F_VERSION_1)), "negotiate again");
	msix_on(v);
	queue_setup(v, TXQ);
	set_status(v, S_READY);
	v->q[RXQ] = rings(v, RXQ);
	memset(ram(v, RING(RXQ)), 0, 0x3000);
	post_rx(v, RXBUF, 2048);
	CHECK(!virtio_net__can_receive(v->net) && deliver(v, 64, 3) == -1 && used_idx(v, RXQ) == 0,
	      "receive queue not enabled: no, -1");

	/* a driver that reset the device */
	CHECK(driver_start(v, F(F_VERSION_1)), "driver start");
	post_rx(v, RXBUF, 2048);
	set_status(v, 0);
	CHECK(!virtio_net__can_receive(v->net) && deliver(v, 64, 4) == -1 && used_idx(v, RXQ) == 0,
	      "after a reset: no, -1");
	vnet_free(v);
}

/* ---- interrupts ---- */

static unsigned sunk;
static struct apic_msg sunk_last;

static void sink_send(void *opaque, const struct apic_msg *msg)
{
	(void)opaque;
	sunk++;
	sunk_last = *msg;
}

static void test_interrupts(void)
{
	check_group("interrupts");
	struct vnet *v = vnet_new();
	CHECK(driver_start(v, F(F_VERSION_1)), "driver start");

	/* a message per frame received, on the receive vector */
	for (unsigned i = 0; i < 3; i++)
		post_rx(v, RXBUF + 0x1000 * i, 2048);
	isr_read(v);
	CHECK(deliver(v, 60, 1) == 0 && take_msi(v, MSI_RX) == MSI_DATA_RX,
	      "a frame received: the rx vector's message");
	CHECK(take_msi(v, MSI_TX) == 0 && take_msi(v, MSI_CONFIG) == 0, "no tx or config message");
	CHECK(isr_read(v) == 1 && isr_read(v) == 0, "ISR: the queue bit, cleared by reading");
	CHECK(deliver(v, 60, 2) == 0 && take_msi(v, MSI_RX) == MSI_DATA_RX,
	      "the next frame: another message");
	put16(ram(v, v->q[RXQ].avail), NO_INTERRUPT);
	CHECK(deliver(v, 60, 3) == 0 && used_idx(v, RXQ) == 3 && take_msi(v, MSI_RX) == 0,
	      "rx NO_INTERRUPT: used, no message");
	put16(ram(v, v->q[RXQ].avail), 0);

	/* a message per transmit batch, counted at an APIC sink */
	struct apic_sink sink = { sink_send, NULL };
	pci_host__set_msi_sink(v->host, &sink);
	msix_entry(v, 1, 0xfee00000, 0x42, false);
	struct vq_seg s[3] = { { TXBUF, NET_HDR + 60, 0 }, { TXBUF + 0x1000, NET_HDR + 60, 0 },
			    { TXBUF + 0x2000, NET_HDR + 60, 0 } };
	for (unsigned i = 0; i < 3; i++)
		send_frame(v, &s[i], 1, 60, (u8)i, false);
	kick(v, TXQ);
	CHECK(used_idx(v, TXQ) == 3 && sunk == 1 && sunk_last.vector == 0x42,
	      "three frames, one notify: one message (%u)", sunk);
	CHECK(take_msi(v, MSI_RX) == 0, "none on the rx vector");
	kick(v, TXQ);
	CHECK(sunk == 1, "a notify with nothing new: no message (%u)", sunk);
	send_frame(v, &s[0], 1, 60, 4, false);
	kick(v, TXQ);
	CHECK(sunk == 2, "the next batch: another (%u)", sunk);
	put16(ram(v, v->q[TXQ].avail), NO_INTERRUPT);
	send_frame(v, &s[0], 1, 60, 5, false);
	kick(v, TXQ);
	CHECK(used_idx(v, TXQ) == 5 && sunk == 2, "tx NO_INTERRUPT: used, no message (%u)", sunk);
	put16(ram(v, v->q[TXQ].avail), 0);
	msix_entry(v, 1, MSI_TX, MSI_DATA_TX, false);

	/* event indices */
	CHECK(driver_start(v, F(F_VERSION_1) | F(F_EVENT_IDX)), "driver start with EVENT_IDX");
	put16(ram(v, vqd_used_event(&v->q[TXQ])), 1); /* a message when used entry 1 is written */
	send_frame(v, &s[0], 1, 60, 6, false);
	kick(v, TXQ);
	CHECK(used_idx(v, TXQ) == 1 && take_msi(v, MSI_TX) == 0, "tx used_event 1: none after entry 0");
	CHECK(get16(ram(v, vqd_avail_event(&v->q[TXQ]))) == 1, "tx avail_event written: %u",
	      get16(ram(v, vqd_avail_event(&v->q[TXQ]))));
	send_frame(v, &s[1], 1, 60, 7, false);
	kick(v, TXQ);
	CHECK(used_idx(v, TXQ) == 2 && take_msi(v, MSI_TX) == MSI_DATA_TX,
	      "tx used_event 1: a message after entry 1");
	CHECK(get16(ram(v, vqd_avail_event(&v->q[TXQ]))) == 2, "tx avail_event follows: %u",
	      get16(ram(v, vqd_avail_event(&v->q[TXQ]))));
	put16(ram(v, vqd_used_event(&v->q[RXQ])), 1);
	post_rx(v, RXBUF, 2048);
	post_rx(v, RXBUF + 0x1000, 2048);
	CHECK(deliver(v, 60, 8) == 0 && take_msi(v, MSI_RX) == 0, "rx used_event 1: none after entry 0");
	CHECK(deliver(v, 60, 9) == 0 && take_msi(v, MSI_RX) == MSI_DATA_RX,
	      "rx used_event 1: a message after entry 1");
	put16(ram(v, v->q[RXQ].avail), NO_INTERRUPT); /* ignored with EVENT_IDX */
	put16(ram(v, vqd_used_event(&v->q[RXQ])), 2);
	post_rx(v, RXBUF, 2048);
	CHECK(deliver(v, 60, 10) == 0 && take_msi(v, MSI_RX) == MSI_DATA_RX,
	      "with EVENT_IDX the NO_INTERRUPT flag is ignored");
	CHECK(take_msi(v, MSI_CONFIG) == 0, "never a config message");
	vnet_free(v);
}

/* ---- bad guests ---- */

static void bad_rx_outside(struct vnet *v)
{
	struct vq_seg s = { 0xfe000000, 2048, VQ_WRITE }; /* the device's own registers */
	vqd_submit(&v->q[RXQ], &s, 1, false);
}

static void bad_rx_past_ram(struct vnet *v)
{
	struct vq_seg s = { RAM - 256, 2048, VQ_WRITE };
	vqd_submit(&v->q[RXQ], &s, 1, false);
}

static void bad_rx_indirect_past_ram(struct vnet *v)
{
	vqd_put_desc(v->m, v->q[RXQ].desc, 0, RAM - 16, 64, VQ_INDIRECT, 0);
	vqd_offer(&v->q[RXQ], 0);
}

static void bad_rx_loop(struct vnet *v)
{
	vqd_put_desc(v->m, v->q[RXQ].desc, 0, RXBUF, 4, VQ_WRITE | VQ_NEXT, 1);
	vqd_put_desc(v->m, v->q[RXQ].desc, 1, RXBUF + 0x1000, 4, VQ_WRITE | VQ_NEXT, 0);
	vqd_offer(&v->q[RXQ], 0);
}

static void bad_tx_outside(struct vnet *v)
{
	struct vq_seg s = { 0xfe000000, NET_HDR + 60, 0 };
	vqd_submit(&v->q[TXQ], &s, 1, false);
}

static void bad_tx_past_ram(struct vnet *v)
{
	struct vq_seg s[2] = { { TXBUF, NET_HDR, 0 }, { RAM - 16, 60, 0 } };
	vqd_submit(&v->q[TXQ], s, 2, false);
}

static void bad_tx_head(struct vnet *v)
{
	vqd_offer(&v->q[TXQ], QSIZE + 3); /* a head outside the table */
}

static void bad_tx_indirect_in_indirect(struct vnet *v)
{
	u64 table = INDIRECT(TXQ);
	vqd_put_desc(v->m, table, 0, INDIRECT(TXQ) + 0x800, 16, VQ_INDIRECT, 0);
	vqd_put_desc(v->m, v->q[TXQ].desc, 0, table, 16, VQ_INDIRECT, 0);
	vqd_offer(&v->q[TXQ], 0);
}

/* A ring the guest broke on queue `k` (through receive for rx, a notify
 * for tx): DEVICE_NEEDS_RESET, a config message, nothing more in either
 * direction until a reset; then it works again. */
static void bad_guest(const char *name, unsigned k, void (*make)(struct vnet *))
{
	struct vnet *v = vnet_new();
	CHECK(driver_start(v, F(F_VERSION_1) | F(F_INDIRECT)), "%s: driver start", name);
	sent_clear();
	make(v);
	if (k == RXQ)
		CHECK(deliver(v, 60, 1) == -1, "%s: receive returns -1", name);
	else
		kick(v, TXQ);
	u8 st = status(v);
	CHECK(st == (S_READY | S_NEEDS_RESET), "%s: DEVICE_NEEDS_RESET: status %#x", name, st);
	CHECK(take_msi(v, MSI_CONFIG) == MSI_DATA_CONFIG, "%s: the config vector's message", name);
	CHECK(isr_read(v) & 2, "%s: ISR config bit", name);
	CHECK(used_idx(v, k) == 0 && sent.calls == 0 && v->io->rx_frames == 0 &&
	      v->io->tx_frames == 0, "%s: nothing used, sent or received", name);

	/* good buffers in both directions are left alone now */
	post_rx(v, RXBUF + 0x8000, 2048);
	struct vq_seg s = { TXBUF, NET_HDR + 60, 0 };
	send_frame(v, &s, 1, 60, 2, false);
	kick(v, TXQ);
	CHECK(!virtio_net__can_receive(v->net) && deliver(v, 60, 3) == -1,
	      "%s: cannot receive until reset", name);
	CHECK(sent.calls == 0 && used_idx(v, TXQ) == 0 && used_idx(v, RXQ) == 0 &&
	      all_bytes(v, RXBUF + 0x8000, 0xcc, 64), "%s: nothing taken until reset", name);
	set_status(v, S_READY);
	CHECK(status(v) & S_NEEDS_RESET, "%s: the driver cannot clear NEEDS_RESET", name);

	set_status(v, 0);
	CHECK(status(v) == 0, "%s: reset clears the status", name);
	CHECK(driver_start(v, F(F_VERSION_1)), "%s: set up again", name);
	post_rx(v, RXBUF, 2048);
	struct vq_seg rx = { RXBUF, 2048, VQ_WRITE };
	CHECK(deliver(v, 70, 4) == 0 && used_idx(v, RXQ) == 1 && used_len(v, RXQ, 0) == NET_HDR + 70 &&
	      received_is(v, &rx, 1, 70, 4) && take_msi(v, MSI_RX) == MSI_DATA_RX,
	      "%s: receives after the reset", name);
	send_frame(v, &s, 1, 60, 5, false);
	kick(v, TXQ);
	CHECK(sent.calls == 1 && sent_is(0, 60, 5) && used_idx(v, TXQ) == 1 &&
	      take_msi(v, MSI_TX) == MSI_DATA_TX, "%s: sends after the reset", name);
	vnet_free(v);
}

static void test_bad_guests(void)
{
	check_group("bad guests");
	bad_guest("rx: a buffer on the device's BAR", RXQ, bad_rx_outside);
	bad_guest("rx: a buffer past RAM", RXQ, bad_rx_past_ram);
	bad_guest("rx: an indirect table past RAM", RXQ, bad_rx_indirect_past_ram);
	bad_guest("rx: a descriptor loop", RXQ, bad_rx_loop);
	bad_guest("tx: a buffer on the device's BAR", TXQ, bad_tx_outside);
	bad_guest("tx: a buffer past RAM", TXQ, bad_tx_past_ram);
	bad_guest("tx: a head outside the table", TXQ, bad_tx_head);
	bad_guest("tx: an indirect table inside another", TXQ, bad_tx_indirect_in_indirect);

	/* a good frame before the bad one in the same batch is still sent */
	struct vnet *v = vnet_new();
	CHECK(driver_start(v, F(F_VERSION_1)), "driver start");
	sent_clear();
	struct vq_seg s = { TXBUF, NET_HDR + 60, 0 };
	send_frame(v, &s, 1, 60, 1, false);
	bad_tx_outside(v);
	kick(v, TXQ);
	CHECK(sent.calls == 1 && used_idx(v, TXQ) == 1 && (status(v) & S_NEEDS_RESET),
	      "good then bad: one frame sent, then NEEDS_RESET (%u calls, status %#x)", sent.calls,
	      status(v));
	vnet_free(v);

	/* rings outside RAM: broken when the queue is enabled */
	v = vnet_new();
	CHECK(negotiate(v, F(F_VERSION_1)), "negotiate");
	msix_on(v);
	queue_setup(v, TXQ);
	com_write(v, Q_SELECT, 2, RXQ);
	com_write(v, Q_SIZE, 2, QSIZE);
	com_write(v, Q_DESC, 4, 0xfe000000);
	com_write(v, Q_DRIVER, 4, RING(RXQ) + 0x1000);
	com_write(v, Q_DEVICE, 4, RING(RXQ) + 0x2000);
	com_write(v, Q_ENABLE, 2, 1);
	set_status(v, S_READY);
	CHECK(status(v) & S_NEEDS_RESET, "an rx descriptor table on the BAR: NEEDS_RESET (%#x)",
	      status(v));
	CHECK(!virtio_net__can_receive(v->net) && deliver(v, 60, 1) == -1, "and no receiving");
	vnet_free(v);
}

/* A reset in the middle of normal work, then the device set up again. */
static void test_reset(void)
{
	check_group("reset");
	struct vnet *v = vnet_new();
	CHECK(driver_start(v, ALL_FEATURES), "driver start");
	sent_clear();
	struct vq_seg s = { TXBUF, NET_HDR + 80, 0 };
	post_rx(v, RXBUF, 2048);
	post_rx(v, RXBUF + 0x1000, 2048);
	send_frame(v, &s, 1, 80, 1, false);
	kick(v, TXQ);
	CHECK(deliver(v, 90, 2) == 0 && sent.calls == 1, "traffic before the reset");
	struct virtio_net_io_state before = *v->io;

	set_status(v, 0);
	CHECK(status(v) == 0 && !virtio_net__can_receive(v->net), "reset: status 0, no receiving");
	com_write(v, Q_SELECT, 2, RXQ);
	CHECK(com_read(v, Q_ENABLE, 2) == 0 && com_read(v, Q_SIZE, 2) >= QSIZE,
	      "reset: the queues are disabled");
	CHECK(!memcmp(v->io, &before, sizeof(before)), "the wire counters stay (what crossed it did)");

	/* the driver sets up anew: the used rings restart at 0 */
	CHECK(driver_start(v, F(F_VERSION_1)), "set up again: %#x", status(v));
	CHECK(!virtio_net__can_receive(v->net), "fresh rings: nothing offered");
	post_rx(v, RXBUF, 2048);
	struct vq_seg rx = { RXBUF, 2048, VQ_WRITE };
	CHECK(deliver(v, 200, 3) == 0 && used_idx(v, RXQ) == 1 && used_id(v, RXQ, 0) == 0 &&
	      used_len(v, RXQ, 0) == NET_HDR + 200 && received_is(v, &rx, 1, 200, 3),
	      "a frame received into the new ring");
	send_frame(v, &s, 1, 80, 4, false);
	kick(v, TXQ);
	CHECK(sent.calls == 2 && sent_is(1, 80, 4) && used_idx(v, TXQ) == 1 && used_id(v, TXQ, 0) == 0,
	      "a frame sent from the new ring");
	CHECK(v->io->tx_frames == 2 && v->io->rx_frames == 2, "counted on");
	vnet_free(v);
}

/*
 * The spec bounds a chain only by the queue size ("A driver MUST NOT
 * create a descriptor chain longer than the Queue Size of the device");
 * a network device has no seg_max to lower that.  So chains up to the
 * queue size the driver chose are good requests.
 */
static void test_long_chains(void)
{
	check_group("long chains");
	struct vnet *v = vnet_new();
	CHECK(driver_start(v, F(F_VERSION_1) | F(F_INDIRECT)), "driver start");
	sent_clear();

	/* transmit: an indirect table of 80 (header, then 79 pieces of 16 bytes) */
	struct vq_seg s[80];
	s[0] = (struct vq_seg){ TXBUF, NET_HDR, 0 };
	for (unsigned i = 1; i < 80; i++)
		s[i] = (struct vq_seg){ TXBUF + 0x100 * i, 16, 0 };
	send_frame(v, s, 80, 79 * 16, 1, true);
	kick(v, TXQ);
	CHECK(!(status(v) & S_NEEDS_RESET), "tx: an indirect table of 80 (queue size %u) is no "
	      "error: status %#x", QSIZE, status(v));
	CHECK(sent.calls == 1 && sent_is(0, 79 * 16, 1) && used_idx(v, TXQ) == 1,
	      "tx: its frame of %u bytes is sent (%u calls)", 79 * 16, sent.calls);
	vnet_free(v);

	/* receive: a direct chain of 80 buffers of 20 bytes */
	v = vnet_new();
	CHECK(driver_start(v, F(F_VERSION_1)), "driver start");
	for (unsigned i = 0; i < 80; i++) {
		s[i] = (struct vq_seg){ RXBUF + 0x100 * i, 20, VQ_WRITE };
		memset(ram(v, s[i].addr), 0xcc, 20);
	}
	vqd_submit(&v->q[RXQ], s, 80, false);
	int r = deliver(v, 1000, 2);
	CHECK(r == 0 && !(status(v) & S_NEEDS_RESET), "rx: a chain of 80 buffers (queue size %u) "
	      "takes a frame: %d, status %#x", QSIZE, r, status(v));
	CHECK(used_idx(v, RXQ) == 1 && used_len(v, RXQ, 0) == NET_HDR + 1000 &&
	      received_is(v, s, 80, 1000, 2), "rx: header and frame across the 80 buffers");
	vnet_free(v);
}

int main(void)
{
	sent.last = malloc(VIRTIO_NET_MAX_FRAME);
	test_identity();
	test_features();
	test_config();
	test_tx();
	test_digest();
	test_rx();
	test_can_receive();
	test_interrupts();
	test_bad_guests();
	test_reset();
	test_long_chains();
	free(sent.last);
	check_group_end();
	return check_summary();
}
