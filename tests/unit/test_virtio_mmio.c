/*
 * The virtio-mmio transport (virtio spec 1.2, "Virtio Over MMIO", Version
 * 2) driven the way Linux's virtio_mmio does it, with a real virtio-blk
 * on a disk image behind it and a virtio-net in the next slot: the
 * register layout and its reset values, feature negotiation (FEATURES_OK
 * refused without VERSION_1), queue set-up and notification with split
 * virtqueues built in guest RAM, InterruptStatus/InterruptACK and the
 * level of the interrupt line, ConfigGeneration, device reset, the error
 * state a broken queue causes, and the saved state through a checkpoint
 * round trip.  Interrupt lines go to a recorder instead of a controller.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "vq_driver.h"
#include "encore/hw/virtio_blk.h"
#include "encore/hw/virtio_mmio.h"
#include "encore/hw/virtio_net.h"
#include "encore/le_bytes.h"

#define MIB (1ull << 20)
#define RAM (16 * MIB)

/* Two slots as QEMU's virt board places them, and their lines. */
#define BLK_BASE 0x0a000000ull
#define NET_BASE (BLK_BASE + 0x200)
#define BLK_IRQ 48
#define NET_IRQ 49
#define LINES 64

/* The driver's layout in guest RAM. */
#define QSIZE 16
#define DESC 0x100000ull
#define AVAIL 0x101000ull
#define USED 0x102000ull
#define INDIRECT 0x103000ull   /* 0x200 bytes (32 entries) per head */
#define HDR 0x110000ull        /* request headers, 16 bytes per slot */
#define STATUS_BYTES 0x111000ull
#define DATA 0x200000ull
#define NET_RING(k) (0x300000ull + 0x4000ull * (k))
#define NET_BUF 0x380000ull

#define DISK_SECTORS 64u
#define DISK_BYTES (DISK_SECTORS * 512u)

/* virtio constants, from the spec (not from the code under test). */
enum {
	MAGIC_VALUE = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, VENDOR_ID = 0x00c,
	DEVICE_FEATURES = 0x010, DEVICE_FEATURES_SEL = 0x014, DRIVER_FEATURES = 0x020,
	DRIVER_FEATURES_SEL = 0x024, QUEUE_SEL = 0x030, QUEUE_NUM_MAX = 0x034, QUEUE_NUM = 0x038,
	QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050, INTERRUPT_STATUS = 0x060,
	INTERRUPT_ACK = 0x064, STATUS = 0x070, QUEUE_DESC_LOW = 0x080, QUEUE_DESC_HIGH = 0x084,
	QUEUE_DRIVER_LOW = 0x090, QUEUE_DRIVER_HIGH = 0x094, QUEUE_DEVICE_LOW = 0x0a0,
	QUEUE_DEVICE_HIGH = 0x0a4, SHM_SEL = 0x0ac, SHM_LEN_LOW = 0x0b0, SHM_LEN_HIGH = 0x0b4,
	SHM_BASE_LOW = 0x0b8, SHM_BASE_HIGH = 0x0bc, QUEUE_RESET = 0x0c0,
	CONFIG_GENERATION = 0x0fc, CONFIG = 0x100,
};
#define F(bit) (1ull << (bit))
#define F_BLK_SIZE_MAX 1
#define F_BLK_SEG_MAX 2
#define F_BLK_BLK_SIZE 6
#define F_BLK_FLUSH 9
#define F_NET_MAC 5
#define F_NET_STATUS 16
#define F_INDIRECT 28
#define F_EVENT_IDX 29
#define F_VERSION_1 32
#define S_ACK 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u
#define S_NEEDS_RESET 64u
#define S_READY (S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK)
#define INT_USED 1u
#define INT_CONFIG 2u
#define T_IN 0u
#define T_OUT 1u
#define NO_INTERRUPT 1u
#define NET_HDR 12u

/* ---- the interrupt lines ---- */

static struct {
	bool level[LINES];
	unsigned sets[LINES];   /* how often each was driven */
} lines;

static void set_irq(void *opaque, unsigned line, bool level)
{
	(void)opaque;
	if (line < LINES) {
		lines.level[line] = level;
		lines.sets[line]++;
	}
}

/* ---- the machine and the driver ---- */

struct vmio {
	struct encore_machine *m;
	struct virtio_blk *blk;
	struct virtio_net *net;
	struct vq_driver q;        /* the disk's queue 0 */
	struct vq_driver nq[2];    /* the network card's receive and transmit queues */
};

static u8 *orig;               /* the image's bytes as created */
static char path[64];
static unsigned net_sent;
static u8 net_frame[64];

static void tx_sink(void *opaque, const u8 *frame, size_t len)
{
	(void)opaque;
	net_sent++;
	memcpy(net_frame, frame, len < sizeof(net_frame) ? len : sizeof(net_frame));
}

static u8 *ram(struct vmio *v, u64 gpa)
{
	return machine__ram_ptr(v->m, gpa);
}

static u64 mm_read(struct vmio *v, u64 addr, unsigned len)
{
	u8 b[8] = { 0 };
	bus__access(&v->m->mmio, NULL, addr, b, len, false);
	return get64(b);
}

static void mm_write(struct vmio *v, u64 addr, unsigned len, u64 val)
{
	u8 b[8];
	put64(b, val);
	bus__access(&v->m->mmio, NULL, addr, b, len, true);
}

/* A register of the slot at `base`, as readl/writel reach it. */
static u32 rd(struct vmio *v, u64 base, unsigned reg)
{
	return (u32)mm_read(v, base + reg, 4);
}

static void wr(struct vmio *v, u64 base, unsigned reg, u32 val)
{
	mm_write(v, base + reg, 4, val);
}

static struct vmio *vmio_new(void)
{
	struct vmio *v = calloc(1, sizeof(*v));
	char err[512];
	v->m = machine__create(&arch_x86_64, RAM, 1);
	/* snapshot=on: what the tests write stays out of the file */
	struct disk_image *img = v->m ? disk_image__open(path, false, true, err, sizeof(err)) : NULL;
	if (!img) {
		printf("FAIL setup: %s\n", v->m ? err : "no machine");
		exit(1);
	}
	v->m->irq = (struct irq_router){ set_irq, NULL };
	static const u8 mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	v->blk = virtio_blk__create(v->m, virtio_slot__mmio(BLK_BASE, BLK_IRQ), "vda", img);
	v->net = virtio_net__create(v->m, virtio_slot__mmio(NET_BASE, NET_IRQ), "net0", mac,
				    tx_sink, NULL);
	if (!v->blk || !v->net) {
		printf("FAIL setup: %s\n", v->blk ? "virtio_net__create" : "virtio_blk__create");
		exit(1);
	}
	v->q = (struct vq_driver){ .m = v->m, .size = QSIZE, .desc = DESC, .avail = AVAIL,
				   .used = USED, .indirect = INDIRECT, .stride = 0x200 };
	for (unsigned k = 0; k < 2; k++)
		v->nq[k] = (struct vq_driver){ .m = v->m, .size = QSIZE, .desc = NET_RING(k),
					       .avail = NET_RING(k) + 0x1000,
					       .used = NET_RING(k) + 0x2000 };
	return v;
}

static void vmio_free(struct vmio *v)
{
	machine__destroy(v->m);
	free(v);
}

/* The transport's saved part of the disk. */
static struct virtio_mmio_state *blk_state(struct vmio *v)
{
	return machine__find_device(v->m, "vda")->state;
}

static u64 device_features(struct vmio *v, u64 base)
{
	wr(v, base, DEVICE_FEATURES_SEL, 0);
	u64 lo = rd(v, base, DEVICE_FEATURES);
	wr(v, base, DEVICE_FEATURES_SEL, 1);
	return lo | (u64)rd(v, base, DEVICE_FEATURES) << 32;
}

static void driver_features(struct vmio *v, u64 base, u64 f)
{
	wr(v, base, DRIVER_FEATURES_SEL, 0);
	wr(v, base, DRIVER_FEATURES, (u32)f);
	wr(v, base, DRIVER_FEATURES_SEL, 1);
	wr(v, base, DRIVER_FEATURES, (u32)(f >> 32));
}

/* Reset, ACKNOWLEDGE|DRIVER, accept `f` and FEATURES_OK: whether the
 * device kept FEATURES_OK. */
static bool negotiate(struct vmio *v, u64 base, u64 f)
{
	wr(v, base, STATUS, 0);
	wr(v, base, STATUS, S_ACK);
	wr(v, base, STATUS, S_ACK | S_DRIVER);
	driver_features(v, base, f);
	wr(v, base, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	return rd(v, base, STATUS) & S_FEATURES_OK;
}

/* Queue k at q's rings as Linux's vm_setup_vq does: whether it was free
 * and reads back ready. */
static bool queue_setup(struct vmio *v, u64 base, unsigned k, struct vq_driver *q)
{
	memset(ram(v, q->desc), 0, 0x3000);
	q->avail_idx = q->next_desc = 0;
	wr(v, base, QUEUE_SEL, k);
	bool free_queue = rd(v, base, QUEUE_READY) == 0 && rd(v, base, QUEUE_NUM_MAX) >= q->size;
	wr(v, base, QUEUE_NUM, q->size);
	const unsigned regs[3] = { QUEUE_DESC_LOW, QUEUE_DRIVER_LOW, QUEUE_DEVICE_LOW };
	const u64 where[3] = { q->desc, q->avail, q->used };
	for (unsigned i = 0; i < 3; i++) {
		wr(v, base, regs[i], (u32)where[i]);
		wr(v, base, regs[i] + 4, (u32)(where[i] >> 32));
	}
	wr(v, base, QUEUE_READY, 1);
	return free_queue && rd(v, base, QUEUE_READY) == 1;
}

/* The disk ready for requests with features `f`. */
static bool blk_start(struct vmio *v, u64 f)
{
	if (!negotiate(v, BLK_BASE, f) || !queue_setup(v, BLK_BASE, 0, &v->q))
		return false;
	wr(v, BLK_BASE, STATUS, S_READY);
	return rd(v, BLK_BASE, STATUS) == S_READY;
}

/* A request in slot `slot`: header, one data buffer, status (0xee). */
static u16 request(struct vmio *v, unsigned slot, u32 type, u64 sector, u64 data, u32 len,
		   bool indirect)
{
	u8 *h = ram(v, HDR + 16 * slot);
	put32(h, type);
	put32(h + 4, 0);
	put64(h + 8, sector);
	*ram(v, STATUS_BYTES + slot) = 0xee;
	struct vq_seg s[3] = { { HDR + 16 * slot, 16, 0 },
			       { data, len, type == T_IN ? VQ_WRITE : 0 },
			       { STATUS_BYTES + slot, 1, VQ_WRITE } };
	return vqd_submit(&v->q, s, 3, indirect);
}

static void kick(struct vmio *v)
{
	wr(v, BLK_BASE, QUEUE_NOTIFY, 0);
}

/* Reads `count` sectors at `sector` into DATA, notified: the status
 * byte, or -1 when the request did not come back (alone, with its
 * length when it succeeded). */
static int read_sectors(struct vmio *v, u64 sector, unsigned count, bool indirect)
{
	u16 before = vqd_used_idx(&v->q);
	u16 head = request(v, 0, T_IN, sector, DATA, count * 512, indirect);
	kick(v);
	if (vqd_used_idx(&v->q) != (u16)(before + 1) || vqd_used_id(&v->q, before) != head)
		return -1;
	u8 status = *ram(v, STATUS_BYTES);
	u32 len = vqd_used_len(&v->q, before);
	return status == 0 && len != count * 512 + 1 ? -1 : status;
}

static bool ram_is(struct vmio *v, u64 gpa, const u8 *bytes, u64 len)
{
	return !memcmp(ram(v, gpa), bytes, len);
}

/* What stderr got while `fn` ran: the number of lines, the text in out. */
static unsigned stderr_of(void (*fn)(struct vmio *), struct vmio *v, char *out, size_t n)
{
	FILE *f = tmpfile();
	int saved = dup(2);
	fflush(stderr);
	dup2(fileno(f), 2);
	fn(v);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	size_t got = fread(out, 1, n - 1, f);
	out[got] = 0;
	fclose(f);
	unsigned count = 0;
	for (size_t i = 0; i < got; i++)
		count += out[i] == '\n';
	return count;
}

/* ---- the register layout ---- */

static void test_layout(void)
{
	check_group("layout");
	struct vmio *v = vmio_new();
	CHECK(rd(v, BLK_BASE, MAGIC_VALUE) == 0x74726976, "MagicValue %#x",
	      rd(v, BLK_BASE, MAGIC_VALUE));
	CHECK(rd(v, BLK_BASE, VERSION) == 2, "Version %u (modern)", rd(v, BLK_BASE, VERSION));
	CHECK(rd(v, BLK_BASE, DEVICE_ID) == 2, "DeviceID %u (block)", rd(v, BLK_BASE, DEVICE_ID));
	CHECK(rd(v, NET_BASE, DEVICE_ID) == 1, "DeviceID %u (network)", rd(v, NET_BASE, DEVICE_ID));
	CHECK(rd(v, BLK_BASE, VENDOR_ID) == 0x554d4551, "VendorID %#x (QEMU's)",
	      rd(v, BLK_BASE, VENDOR_ID));

	/* reset values */
	CHECK(rd(v, BLK_BASE, STATUS) == 0, "Status 0");
	CHECK(rd(v, BLK_BASE, INTERRUPT_STATUS) == 0, "InterruptStatus 0");
	CHECK(rd(v, BLK_BASE, CONFIG_GENERATION) == 0, "ConfigGeneration 0");
	CHECK(rd(v, BLK_BASE, QUEUE_READY) == 0, "queue 0 not ready");
	CHECK(rd(v, BLK_BASE, QUEUE_NUM_MAX) == 256, "QueueNumMax %u", rd(v, BLK_BASE, QUEUE_NUM_MAX));
	wr(v, BLK_BASE, QUEUE_SEL, 1);
	CHECK(rd(v, BLK_BASE, QUEUE_NUM_MAX) == 0 && rd(v, BLK_BASE, QUEUE_READY) == 0,
	      "the disk has no queue 1: QueueNumMax 0");
	wr(v, NET_BASE, QUEUE_SEL, 1);
	CHECK(rd(v, NET_BASE, QUEUE_NUM_MAX) == 256, "the network card has queue 1");
	wr(v, BLK_BASE, QUEUE_SEL, 0x10000);
	CHECK(rd(v, BLK_BASE, QUEUE_NUM_MAX) == 0, "QueueSel 0x10000 is no queue 0");
	CHECK(!lines.level[BLK_IRQ] && !lines.level[NET_IRQ], "both lines low");

	/* features */
	u64 f = device_features(v, BLK_BASE);
	u64 want = F(F_VERSION_1) | F(F_INDIRECT) | F(F_EVENT_IDX) | F(F_BLK_SIZE_MAX) |
		   F(F_BLK_SEG_MAX) | F(F_BLK_BLK_SIZE) | F(F_BLK_FLUSH);
	CHECK(f == want, "disk features %#llx, want %#llx", (unsigned long long)f,
	      (unsigned long long)want);
	f = device_features(v, NET_BASE);
	CHECK(f == (F(F_VERSION_1) | F(F_INDIRECT) | F(F_EVENT_IDX) | F(F_NET_MAC) | F(F_NET_STATUS)),
	      "network features %#llx", (unsigned long long)f);
	wr(v, BLK_BASE, DEVICE_FEATURES_SEL, 2);
	CHECK(rd(v, BLK_BASE, DEVICE_FEATURES) == 0, "features past bit 63 read 0");

	/* absent and write-only registers */
	CHECK(rd(v, BLK_BASE, SHM_LEN_LOW) == ~0u && rd(v, BLK_BASE, SHM_LEN_HIGH) == ~0u &&
	      rd(v, BLK_BASE, SHM_BASE_LOW) == ~0u && rd(v, BLK_BASE, SHM_BASE_HIGH) == ~0u,
	      "no shared memory region: SHMLen and SHMBase read -1");
	wr(v, BLK_BASE, SHM_SEL, 0);
	CHECK(rd(v, BLK_BASE, SHM_LEN_LOW) == ~0u, "not for region 0 either");
	CHECK(rd(v, BLK_BASE, QUEUE_RESET) == 0, "QueueReset reads 0");
	const unsigned wo[] = { DEVICE_FEATURES_SEL, DRIVER_FEATURES, DRIVER_FEATURES_SEL, QUEUE_SEL,
				QUEUE_NUM, QUEUE_NOTIFY, INTERRUPT_ACK, QUEUE_DESC_LOW,
				QUEUE_DEVICE_HIGH, SHM_SEL, 0x018, 0x0f8 };
	bool zero = true;
	for (unsigned k = 0; k < sizeof(wo) / sizeof(wo[0]); k++)
		zero = zero && rd(v, BLK_BASE, wo[k]) == 0;
	CHECK(zero, "write-only and reserved registers read 0");

	/* only aligned 32-bit accesses reach the registers */
	CHECK(mm_read(v, BLK_BASE + MAGIC_VALUE, 1) == 0 && mm_read(v, BLK_BASE + MAGIC_VALUE, 2) == 0,
	      "narrow reads of MagicValue read 0");
	CHECK(mm_read(v, BLK_BASE + MAGIC_VALUE + 2, 4) == 0, "a misaligned read reads 0");
	mm_write(v, BLK_BASE + STATUS, 1, S_ACK);
	mm_write(v, BLK_BASE + STATUS + 1, 4, S_ACK);
	CHECK(rd(v, BLK_BASE, STATUS) == 0, "narrow and misaligned writes do nothing");

	/* the device configuration at 0x100, any width */
	CHECK(mm_read(v, BLK_BASE + CONFIG, 8) == DISK_SECTORS, "capacity %llu",
	      (unsigned long long)mm_read(v, BLK_BASE + CONFIG, 8));
	CHECK(rd(v, BLK_BASE, CONFIG) == DISK_SECTORS && rd(v, BLK_BASE, CONFIG + 4) == 0,
	      "capacity as two 32-bit halves");
	CHECK(mm_read(v, BLK_BASE + CONFIG, 1) == DISK_SECTORS, "capacity's low byte");
	CHECK(rd(v, BLK_BASE, CONFIG + 0x14) == 512, "blk_size %u", rd(v, BLK_BASE, CONFIG + 0x14));
	wr(v, BLK_BASE, CONFIG, 5);
	CHECK(rd(v, BLK_BASE, CONFIG) == DISK_SECTORS, "capacity is read-only");
	CHECK(rd(v, BLK_BASE, 0x1fc) == 0, "past the configuration reads 0");
	CHECK(mm_read(v, NET_BASE + CONFIG, 4) == 0x12005452 &&
	      mm_read(v, NET_BASE + CONFIG + 4, 2) == 0x5634, "the MAC address %#llx",
	      (unsigned long long)mm_read(v, NET_BASE + CONFIG, 8));
	CHECK(mm_read(v, NET_BASE + CONFIG + 6, 2) == 1, "link up");
	CHECK(mm_read(v, BLK_BASE + 0x400, 4) == 0xffffffff, "nothing beyond the two slots");

	/* the saved part */
	struct device *d = machine__find_device(v->m, "vda");
	CHECK(d && d->state_size == sizeof(struct virtio_mmio_state) &&
	      d->version == VIRTIO_MMIO_STATE_VERSION && d->restored,
	      "part vda: the transport's state, version %u, re-driving its line", d ? d->version : 0);
	CHECK(machine__find_device(v->m, "vda-disk") && machine__find_device(v->m, "net0-io"),
	      "the devices' own parts as on PCI");
	vmio_free(v);
}

/* ---- feature negotiation ---- */

static void test_features(void)
{
	check_group("features");
	struct vmio *v = vmio_new();
	CHECK(!negotiate(v, BLK_BASE, F(F_INDIRECT)), "FEATURES_OK refused without VERSION_1");
	CHECK(rd(v, BLK_BASE, STATUS) == (S_ACK | S_DRIVER), "status %#x: the driver sees it",
	      rd(v, BLK_BASE, STATUS));
	CHECK(!negotiate(v, BLK_BASE, F(F_VERSION_1) | F(0)), "refused with a feature not offered");
	CHECK(!negotiate(v, BLK_BASE, F(F_VERSION_1) | F(40)), "refused with bit 40");
	CHECK(negotiate(v, BLK_BASE, F(F_VERSION_1)), "VERSION_1 alone is accepted");
	CHECK(blk_state(v)->core.driver_features == F(F_VERSION_1), "accepted %#llx",
	      (unsigned long long)blk_state(v)->core.driver_features);

	/* DriverFeatures is fixed once FEATURES_OK is set */
	CHECK(negotiate(v, BLK_BASE, F(F_VERSION_1) | F(F_INDIRECT)), "with INDIRECT_DESC");
	driver_features(v, BLK_BASE, 0);
	CHECK(blk_state(v)->core.driver_features == (F(F_VERSION_1) | F(F_INDIRECT)),
	      "DriverFeatures after FEATURES_OK changes nothing");
	CHECK(queue_setup(v, BLK_BASE, 0, &v->q), "queue set up");
	wr(v, BLK_BASE, STATUS, S_READY);
	CHECK(read_sectors(v, 3, 1, true) == 0 && ram_is(v, DATA, orig + 3 * 512, 512),
	      "an indirect request works: INDIRECT_DESC stayed negotiated");

	/* DriverFeaturesSel past 1 */
	wr(v, BLK_BASE, STATUS, 0);
	wr(v, BLK_BASE, STATUS, S_ACK | S_DRIVER);
	wr(v, BLK_BASE, DRIVER_FEATURES_SEL, 2);
	wr(v, BLK_BASE, DRIVER_FEATURES, 1);
	wr(v, BLK_BASE, DRIVER_FEATURES_SEL, 1);
	wr(v, BLK_BASE, DRIVER_FEATURES, 1);
	CHECK(blk_state(v)->core.driver_features == F(F_VERSION_1),
	      "DriverFeaturesSel 2 takes nothing: %#llx",
	      (unsigned long long)blk_state(v)->core.driver_features);
	vmio_free(v);
}

/* ---- queues and requests ---- */

static void test_requests(void)
{
	check_group("requests");
	struct vmio *v = vmio_new();
	wr(v, BLK_BASE, QUEUE_NOTIFY, 0);
	CHECK(vqd_used_idx(&v->q) == 0, "a notify before set-up does nothing");
	CHECK(negotiate(v, BLK_BASE, F(F_VERSION_1)), "negotiate");
	CHECK(queue_setup(v, BLK_BASE, 0, &v->q), "queue 0 set up, ready");
	struct virtio_queue_state *qs = &blk_state(v)->core.queues[0];
	CHECK(qs->size == QSIZE && qs->desc == DESC && qs->driver == AVAIL && qs->device == USED,
	      "the layout taken: size %u desc %#llx", qs->size, (unsigned long long)qs->desc);
	request(v, 0, T_IN, 1, DATA, 512, false);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == 0, "a notify before DRIVER_OK does nothing");
	wr(v, BLK_BASE, STATUS, S_READY);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == 1 && *ram(v, STATUS_BYTES) == 0 &&
	      ram_is(v, DATA, orig + 512, 512), "after DRIVER_OK the request is taken");
	CHECK(read_sectors(v, 0, 4, false) == 0 && ram_is(v, DATA, orig, 2048), "a 4-sector read");
	CHECK(read_sectors(v, DISK_SECTORS, 1, false) == 1, "past the disk: IOERR");

	/* a write, read back */
	memset(ram(v, DATA + 0x10000), 0xa5, 512);
	u16 before = vqd_used_idx(&v->q);
	request(v, 1, T_OUT, 7, DATA + 0x10000, 512, false);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == before + 1 && *ram(v, STATUS_BYTES + 1) == 0, "a write");
	CHECK(read_sectors(v, 7, 1, false) == 0 && *ram(v, DATA) == 0xa5 && *ram(v, DATA + 511) == 0xa5,
	      "and read back");

	/* the layout is fixed while the queue is ready */
	wr(v, BLK_BASE, QUEUE_NUM, 8);
	wr(v, BLK_BASE, QUEUE_DESC_LOW, 0x500000);
	CHECK(qs->size == QSIZE && qs->desc == DESC, "layout writes to a ready queue are ignored");
	CHECK(read_sectors(v, 2, 1, false) == 0, "and requests go on");

	/* notifying other queues */
	before = vqd_used_idx(&v->q);
	request(v, 0, T_IN, 2, DATA, 512, false);
	wr(v, BLK_BASE, QUEUE_NOTIFY, 1);
	wr(v, BLK_BASE, QUEUE_NOTIFY, 0x10000);
	CHECK(vqd_used_idx(&v->q) == before, "notifying queues the disk does not have does nothing");
	kick(v);
	CHECK(vqd_used_idx(&v->q) == before + 1, "queue 0 takes it");

	/* QueueReady 0 stops the queue; set up again it starts afresh */
	wr(v, BLK_BASE, QUEUE_READY, 0);
	CHECK(rd(v, BLK_BASE, QUEUE_READY) == 0, "QueueReady reads 0 after 0");
	before = vqd_used_idx(&v->q);
	request(v, 0, T_IN, 2, DATA, 512, false);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == before, "a stopped queue takes nothing");
	CHECK(queue_setup(v, BLK_BASE, 0, &v->q), "set up again");
	CHECK(read_sectors(v, 5, 1, false) == 0 && ram_is(v, DATA, orig + 5 * 512, 512),
	      "and requests work from its new rings");

	/* sizes: a power of 2 up to QueueNumMax, else ignored */
	wr(v, BLK_BASE, STATUS, 0);
	const u32 bad[] = { 0, 12, 512, 0x10010 };
	for (unsigned k = 0; k < 4; k++) {
		wr(v, BLK_BASE, QUEUE_NUM, bad[k]);
		CHECK(qs->size == 256, "QueueNum %u ignored: size %u", bad[k], qs->size);
	}
	wr(v, BLK_BASE, QUEUE_NUM, 1);
	CHECK(qs->size == 1, "QueueNum 1 taken");
	vmio_free(v);
}

/* ---- interrupts ---- */

static void test_interrupts(void)
{
	check_group("interrupts");
	struct vmio *v = vmio_new();
	CHECK(blk_start(v, F(F_VERSION_1)), "driver start");
	unsigned sets = lines.sets[BLK_IRQ];
	CHECK(read_sectors(v, 0, 1, false) == 0, "a request");
	CHECK(rd(v, BLK_BASE, INTERRUPT_STATUS) == INT_USED && lines.level[BLK_IRQ],
	      "InterruptStatus %u, line high", rd(v, BLK_BASE, INTERRUPT_STATUS));
	CHECK(lines.sets[BLK_IRQ] > sets && !lines.level[NET_IRQ], "only the disk's line moved");
	CHECK(read_sectors(v, 1, 1, false) == 0 && rd(v, BLK_BASE, INTERRUPT_STATUS) == INT_USED &&
	      lines.level[BLK_IRQ], "a second one before the ACK: still bit 0, still high");
	wr(v, BLK_BASE, INTERRUPT_ACK, INT_CONFIG);
	CHECK(rd(v, BLK_BASE, INTERRUPT_STATUS) == INT_USED && lines.level[BLK_IRQ],
	      "acknowledging the other bit leaves it");
	wr(v, BLK_BASE, INTERRUPT_ACK, INT_USED);
	CHECK(rd(v, BLK_BASE, INTERRUPT_STATUS) == 0 && !lines.level[BLK_IRQ],
	      "InterruptACK clears it; the line goes low");

	/* suppression */
	put16(ram(v, AVAIL), NO_INTERRUPT);
	CHECK(read_sectors(v, 2, 1, false) == 0 && rd(v, BLK_BASE, INTERRUPT_STATUS) == 0 &&
	      !lines.level[BLK_IRQ], "NO_INTERRUPT: served, no interrupt");
	put16(ram(v, AVAIL), 0);

	/* event index: an interrupt when used entry used_event is written */
	CHECK(blk_start(v, F(F_VERSION_1) | F(F_EVENT_IDX)), "start with EVENT_IDX");
	put16(ram(v, vqd_used_event(&v->q)), 1);
	CHECK(read_sectors(v, 0, 1, false) == 0 && !lines.level[BLK_IRQ], "entry 0: none");
	CHECK(get16(ram(v, vqd_avail_event(&v->q))) == 1, "avail_event written");
	CHECK(read_sectors(v, 1, 1, false) == 0 && lines.level[BLK_IRQ] &&
	      rd(v, BLK_BASE, INTERRUPT_STATUS) == INT_USED, "entry 1: the line goes high");
	wr(v, BLK_BASE, INTERRUPT_ACK, INT_USED);

	/* the network card's line is its own */
	CHECK(negotiate(v, NET_BASE, F(F_VERSION_1) | F(F_NET_MAC)), "network card negotiated");
	CHECK(queue_setup(v, NET_BASE, 0, &v->nq[0]) && queue_setup(v, NET_BASE, 1, &v->nq[1]),
	      "its two queues");
	wr(v, NET_BASE, STATUS, S_READY);
	memset(ram(v, NET_BUF), 0, NET_HDR);
	memcpy(ram(v, NET_BUF + NET_HDR), "\xff\xff\xff\xff\xff\xff frame", 12);
	struct vq_seg tx = { NET_BUF, NET_HDR + 60, 0 };
	vqd_submit(&v->nq[1], &tx, 1, false);
	wr(v, NET_BASE, QUEUE_NOTIFY, 1);
	CHECK(net_sent == 1 && !memcmp(net_frame, "\xff\xff\xff\xff\xff\xff frame", 12) &&
	      vqd_used_idx(&v->nq[1]) == 1, "a frame sent through the slot");
	CHECK(lines.level[NET_IRQ] && !lines.level[BLK_IRQ], "the network card's line, not the disk's");
	wr(v, NET_BASE, INTERRUPT_ACK, INT_USED);
	struct vq_seg rx = { NET_BUF + 0x1000, 2048, VQ_WRITE };
	vqd_submit(&v->nq[0], &rx, 1, false);
	u8 frame[60] = { 1, 2, 3 };
	CHECK(virtio_net__can_receive(v->net) && virtio_net__receive(v->net, frame, 60) == 0 &&
	      vqd_used_len(&v->nq[0], 0) == NET_HDR + 60 && lines.level[NET_IRQ],
	      "a frame received, the line high");
	vmio_free(v);
}

/* ---- ConfigGeneration ---- */

static void test_config_generation(void)
{
	check_group("config generation");
	struct vmio *v = vmio_new();
	/* Linux reads the configuration between two reads of the generation
	 * and retries while they differ. */
	u32 g0 = rd(v, BLK_BASE, CONFIG_GENERATION);
	u64 capacity = mm_read(v, BLK_BASE + CONFIG, 8);
	u32 g1 = rd(v, BLK_BASE, CONFIG_GENERATION);
	CHECK(g0 == 0 && g1 == 0 && capacity == DISK_SECTORS, "a consistent read: generation %u %u",
	      g0, g1);
	wr(v, BLK_BASE, CONFIG_GENERATION, 7);
	CHECK(rd(v, BLK_BASE, CONFIG_GENERATION) == 0, "read-only");
	CHECK(blk_start(v, F(F_VERSION_1)) && read_sectors(v, 0, 1, false) == 0, "requests");
	CHECK(rd(v, BLK_BASE, CONFIG_GENERATION) == 0, "requests change no configuration");
	wr(v, BLK_BASE, STATUS, 0);
	CHECK(rd(v, BLK_BASE, CONFIG_GENERATION) == 0, "nor does a reset");
	vmio_free(v);
}

/* ---- device reset ---- */

static void test_reset(void)
{
	check_group("reset");
	struct vmio *v = vmio_new();
	CHECK(blk_start(v, F(F_VERSION_1) | F(F_EVENT_IDX)), "driver start");
	CHECK(read_sectors(v, 0, 1, false) == 0 && lines.level[BLK_IRQ], "a request, the line high");
	wr(v, BLK_BASE, QUEUE_SEL, 0);
	wr(v, BLK_BASE, DEVICE_FEATURES_SEL, 1);
	wr(v, BLK_BASE, STATUS, 0);
	const struct virtio_core_state *s = &blk_state(v)->core;
	CHECK(rd(v, BLK_BASE, STATUS) == 0 && rd(v, BLK_BASE, INTERRUPT_STATUS) == 0 &&
	      !lines.level[BLK_IRQ], "Status 0: status and InterruptStatus clear, the line low");
	CHECK(rd(v, BLK_BASE, QUEUE_READY) == 0 && s->queues[0].size == 256 && !s->queues[0].desc &&
	      !s->driver_features && !s->device_feature_select,
	      "queue not ready, at its largest, no rings, no features, selects 0");
	request(v, 0, T_IN, 0, DATA, 512, false);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == 1, "a reset device takes nothing");
	CHECK(blk_start(v, F(F_VERSION_1)), "started again");
	CHECK(read_sectors(v, 9, 1, false) == 0 && ram_is(v, DATA, orig + 9 * 512, 512) &&
	      vqd_used_idx(&v->q) == 1, "requests from used index 0 again");
	vmio_free(v);
}

/* ---- the error state ---- */

static void enable_outside_ram(struct vmio *v)
{
	negotiate(v, BLK_BASE, F(F_VERSION_1));
	wr(v, BLK_BASE, QUEUE_SEL, 0);
	wr(v, BLK_BASE, QUEUE_NUM, QSIZE);
	wr(v, BLK_BASE, QUEUE_DESC_LOW, RAM - 0xf0); /* 16 descriptors need 0x100 bytes */
	wr(v, BLK_BASE, QUEUE_DRIVER_LOW, AVAIL);
	wr(v, BLK_BASE, QUEUE_DEVICE_LOW, USED);
	wr(v, BLK_BASE, QUEUE_READY, 1);
}

static void notify_loop(struct vmio *v)
{
	vqd_put_desc(v->m, DESC, 0, HDR, 16, VQ_NEXT, 1);
	vqd_put_desc(v->m, DESC, 1, DATA, 512, VQ_NEXT, 0);
	vqd_offer(&v->q, 0);
	kick(v);
}

static void test_error_state(void)
{
	check_group("error state");
	char err[1024];
	struct vmio *v = vmio_new();
	unsigned n = stderr_of(enable_outside_ram, v, err, sizeof(err));
	CHECK(n == 1 && strstr(err, "vda") && strstr(err, "virtqueue 0") &&
	      strstr(err, "outside guest RAM"), "one line on stderr: %s", err);
	CHECK(rd(v, BLK_BASE, STATUS) & S_NEEDS_RESET, "rings outside RAM: DEVICE_NEEDS_RESET");
	CHECK(rd(v, BLK_BASE, INTERRUPT_STATUS) == INT_CONFIG && lines.level[BLK_IRQ],
	      "a configuration interrupt, the line high");
	wr(v, BLK_BASE, STATUS, S_READY);
	CHECK(rd(v, BLK_BASE, STATUS) == (S_READY | S_NEEDS_RESET), "NEEDS_RESET stays: %#x",
	      rd(v, BLK_BASE, STATUS));
	wr(v, BLK_BASE, INTERRUPT_ACK, INT_CONFIG);
	CHECK(!lines.level[BLK_IRQ], "acknowledged: low");

	/* a chain that loops, at run time */
	CHECK(blk_start(v, F(F_VERSION_1)), "reset and started again");
	CHECK(read_sectors(v, 0, 1, false) == 0, "a good request");
	wr(v, BLK_BASE, INTERRUPT_ACK, INT_USED);
	v->q.next_desc = 0;
	n = stderr_of(notify_loop, v, err, sizeof(err));
	CHECK(n == 1 && strstr(err, "loop"), "a loop: one line: %s", err);
	CHECK((rd(v, BLK_BASE, STATUS) & S_NEEDS_RESET) &&
	      rd(v, BLK_BASE, INTERRUPT_STATUS) == INT_CONFIG && lines.level[BLK_IRQ],
	      "NEEDS_RESET and the configuration interrupt");
	n = stderr_of(notify_loop, v, err, sizeof(err));
	CHECK(n == 0 && vqd_used_idx(&v->q) == 1, "a device in its error state takes nothing, "
	      "and says nothing more (%u lines)", n);
	CHECK(blk_start(v, F(F_VERSION_1)) && read_sectors(v, 4, 1, false) == 0 &&
	      !(rd(v, BLK_BASE, STATUS) & S_NEEDS_RESET), "a reset brings it back");
	vmio_free(v);
}

/* ---- checkpoints ---- */

static void test_checkpoint(void)
{
	check_group("checkpoint");
	struct vmio *a = vmio_new();
	CHECK(blk_start(a, F(F_VERSION_1) | F(F_INDIRECT)), "driver start");
	CHECK(read_sectors(a, 0, 1, false) == 0 && read_sectors(a, 1, 1, true) == 0, "two requests");
	CHECK(lines.level[BLK_IRQ], "an interrupt pending at the checkpoint");
	struct virtio_mmio_state saved = *blk_state(a);
	u8 *saved_ram = malloc(RAM);
	memcpy(saved_ram, a->m->ram, RAM);
	struct vq_driver q = a->q;

	/* a fresh machine: the state written back, the line driven again */
	struct vmio *b = vmio_new();
	CHECK(!lines.level[BLK_IRQ], "a new device drives its line low");
	memcpy(b->m->ram, saved_ram, RAM);
	device__restore(machine__find_device(b->m, "vda"), &saved);
	CHECK(lines.level[BLK_IRQ], "restored: the line high again");
	CHECK(!memcmp(blk_state(b), &saved, sizeof(saved)), "the same bytes");
	CHECK(rd(b, BLK_BASE, STATUS) == S_READY && rd(b, BLK_BASE, INTERRUPT_STATUS) == INT_USED &&
	      rd(b, BLK_BASE, QUEUE_READY) == 1, "Status, InterruptStatus and QueueReady as saved");
	b->q = q;
	b->q.m = b->m;
	wr(b, BLK_BASE, INTERRUPT_ACK, INT_USED);
	CHECK(read_sectors(b, 6, 1, true) == 0 && ram_is(b, DATA, orig + 6 * 512, 512) &&
	      vqd_used_idx(&b->q) == 3 && lines.level[BLK_IRQ],
	      "the queue goes on where it was: used index %u", vqd_used_idx(&b->q));
	CHECK(read_sectors(a, 6, 1, true) == 0 && !memcmp(blk_state(a), blk_state(b), sizeof(saved)),
	      "the same request on the original leaves the same state");

	/* a restored state with nothing pending lowers the line */
	struct virtio_mmio_state quiet = saved;
	quiet.core.isr = 0;
	device__restore(machine__find_device(b->m, "vda"), &quiet);
	CHECK(!lines.level[BLK_IRQ], "restored without InterruptStatus: low");
	free(saved_ram);
	vmio_free(a);
	vmio_free(b);
}

int main(void)
{
	orig = malloc(DISK_BYTES);
	struct rng r;
	rng_seed(&r, 0x3310);
	rng_fill(&r, orig, DISK_BYTES);
	snprintf(path, sizeof(path), "/tmp/encore-vmmio-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, orig, DISK_BYTES) != DISK_BYTES) {
		perror("image");
		return 1;
	}
	close(fd);
	test_layout();
	test_features();
	test_requests();
	test_interrupts();
	test_config_generation();
	test_reset();
	test_error_state();
	test_checkpoint();
	unlink(path);
	free(orig);
	check_group_end();
	return check_summary();
}
