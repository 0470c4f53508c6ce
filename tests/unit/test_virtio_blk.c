/*
 * virtio-blk on the modern virtio PCI transport, driven the way a guest
 * driver does it (virtio spec 1.2, "Virtio Over PCI Bus", "Block
 * Device"): the function found through its BARs and capability list,
 * features negotiated, queue 0 laid out in guest RAM, and each MSI-X
 * vector aimed at a word of guest RAM so every interrupt is a visible
 * 32-bit write.  Reads and writes (to the file, to a snapshot, refused
 * when read-only), flush, GET_ID and the error statuses; interrupt
 * suppression, event indices and masking; bad rings putting the device
 * into DEVICE_NEEDS_RESET until a reset; transport corners (feature
 * refusal, register checks, memory decode, a moved BAR, the PCI
 * configuration access capability).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "vq_driver.h"
#include "encore/hw/pci.h"
#include "encore/hw/pci_host.h"
#include "encore/hw/virtio_blk.h"
#include "encore/le_bytes.h"

#define MIB (1ull << 20)
#define RAM (16 * MIB)

/* The driver's layout in guest RAM. */
#define QSIZE 16
#define DESC 0x100000ull
#define AVAIL 0x101000ull
#define USED 0x102000ull
#define INDIRECT 0x103000ull   /* 0x200 bytes (32 entries) per head */
#define HDR 0x110000ull        /* request headers, 16 bytes per slot */
#define STATUS 0x111000ull     /* status bytes, one per slot */
#define DATA 0x200000ull       /* data buffers */
#define MSI_QUEUE 0x130000ull  /* vector 0's messages land here */
#define MSI_CONFIG 0x130010ull /* vector 1's */
#define MSI_DATA_QUEUE 0x51a70000u
#define MSI_DATA_CONFIG 0xc0f16dd0u
#define AVAIL_USED_EVENT (AVAIL + 4 + 2 * QSIZE)
#define USED_AVAIL_EVENT (USED + 4 + 8 * QSIZE)

/* 131 sectors: the last 4 KiB block of the image is partial. */
#define DISK_SECTORS 131u
#define DISK_BYTES (DISK_SECTORS * 512u)

/* 00:01.0, configuration mechanism #1 */
#define CFG(reg) (0x80000000u | 1u << 11 | ((reg) & 0xfc))

/* virtio constants, from the spec (not from the code under test). */
#define F(bit) (1ull << (bit))
#define F_SIZE_MAX 1
#define F_SEG_MAX 2
#define F_GEOMETRY 4
#define F_RO 5
#define F_BLK_SIZE 6
#define F_FLUSH 9
#define F_INDIRECT 28
#define F_EVENT_IDX 29
#define F_VERSION_1 32
#define S_ACK 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u
#define S_NEEDS_RESET 64u
#define S_READY (S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK)
#define T_IN 0u
#define T_OUT 1u
#define T_FLUSH 4u
#define T_GET_ID 8u
#define NO_VECTOR 0xffffu

/* struct virtio_pci_common_cfg */
enum {
	DFSEL = 0x00, DF = 0x04, GFSEL = 0x08, GF = 0x0c, MSIX_CONFIG = 0x10, NUM_QUEUES = 0x12,
	DEVICE_STATUS = 0x14, CONFIG_GENERATION = 0x15, Q_SELECT = 0x16, Q_SIZE = 0x18,
	Q_MSIX_VECTOR = 0x1a, Q_ENABLE = 0x1c, Q_NOTIFY_OFF = 0x1e, Q_DESC = 0x20, Q_DRIVER = 0x28,
	Q_DEVICE = 0x30,
};

/* cfg_type of the vendor capabilities */
enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4, CAP_PCI_CFG = 5 };

/* The machine, the disk and what the driver found and keeps. */
struct vblk {
	struct encore_machine *m;
	struct pci_host *host;
	struct virtio_blk *blk;
	u32 bar[6], bar_size[6];
	u8 cap[6];                      /* config offset of the first cap of each cfg_type */
	u8 cap_len[6], cap_bar[6];
	u32 cap_off[6], cap_length[6];
	u8 msix_cap;
	unsigned ncaps;
	const char *chain_error;        /* NULL: the capability list is well formed */
	u64 common, isr, device, notify, table, pba, notify_addr;
	u32 notify_mult;
	u64 dev_features, features;
	struct vq_driver q;             /* queue 0 */
};

static u8 *orig;                        /* the image's bytes as created */
static char paths[24][32];
static unsigned npaths;

/* ---- host files ---- */

/* A new image holding `orig`, under /tmp. */
static const char *new_image(void)
{
	char *p = paths[npaths++];
	snprintf(p, sizeof(paths[0]), "/tmp/encore-vblk-XXXXXX");
	int fd = mkstemp(p);
	if (fd < 0 || write(fd, orig, DISK_BYTES) != DISK_BYTES) {
		perror("new_image");
		exit(1);
	}
	close(fd);
	return p;
}

static void file_bytes(const char *path, u64 off, void *buf, u64 len)
{
	FILE *f = fopen(path, "rb");
	memset(buf, 0, len);
	if (f) {
		if (fseek(f, (long)off, SEEK_SET) || fread(buf, 1, len, f) != len)
			memset(buf, 0xbd, len);
		fclose(f);
	}
}

static bool file_is_orig(const char *path)
{
	u8 *b = malloc(DISK_BYTES);
	file_bytes(path, 0, b, DISK_BYTES);
	bool same = !memcmp(b, orig, DISK_BYTES);
	free(b);
	return same;
}

/* ---- guest accesses ---- */

static u8 *ram(struct vblk *v, u64 gpa)
{
	return machine__ram_ptr(v->m, gpa);
}

static u32 cfg_read(struct vblk *v, unsigned reg, unsigned len)
{
	u8 a[4], d[4] = { 0 };
	put32(a, CFG(reg));
	bus__access(&v->m->pio, NULL, 0xcf8, a, 4, true);
	bus__access(&v->m->pio, NULL, 0xcfc + (reg & 3), d, len, false);
	return get32(d);
}

static void cfg_write(struct vblk *v, unsigned reg, unsigned len, u32 val)
{
	u8 a[4], d[4];
	put32(a, CFG(reg));
	put32(d, val);
	bus__access(&v->m->pio, NULL, 0xcf8, a, 4, true);
	bus__access(&v->m->pio, NULL, 0xcfc + (reg & 3), d, len, true);
}

static u64 mm_read(struct vblk *v, u64 addr, unsigned len)
{
	u8 b[8] = { 0 };
	bus__access(&v->m->mmio, NULL, addr, b, len, false);
	return get64(b);
}

static void mm_write(struct vblk *v, u64 addr, unsigned len, u64 val)
{
	u8 b[8];
	put64(b, val);
	bus__access(&v->m->mmio, NULL, addr, b, len, true);
}

static u64 com_read(struct vblk *v, unsigned off, unsigned len)
{
	return mm_read(v, v->common + off, len);
}

static void com_write(struct vblk *v, unsigned off, unsigned len, u64 val)
{
	mm_write(v, v->common + off, len, val);
}

static u8 status(struct vblk *v)
{
	return (u8)com_read(v, DEVICE_STATUS, 1);
}

static void set_status(struct vblk *v, u8 s)
{
	com_write(v, DEVICE_STATUS, 1, s);
}

static u8 isr_read(struct vblk *v)
{
	return (u8)mm_read(v, v->isr, 1);
}

/* The word an MSI-X message leaves in RAM, cleared for the next one. */
static u32 take_msi(struct vblk *v, u64 at)
{
	u32 w = get32(ram(v, at));
	put32(ram(v, at), 0);
	return w;
}

/* ---- finding the function ---- */

static void read_bars(struct vblk *v)
{
	for (unsigned b = 0; b < 6; b++)
		v->bar[b] = cfg_read(v, 0x10 + 4 * b, 4) & ~0xfu;
}

/* Addresses of the structures, from the BARs and capabilities. */
static void locate(struct vblk *v)
{
	read_bars(v);
	u64 at[6] = { 0 };
	for (unsigned t = 1; t < 6; t++)
		if (v->cap[t] && v->cap_bar[t] < 6)
			at[t] = v->bar[v->cap_bar[t]] + v->cap_off[t];
	v->common = at[CAP_COMMON];
	v->notify = at[CAP_NOTIFY];
	v->isr = at[CAP_ISR];
	v->device = at[CAP_DEVICE];
	if (v->msix_cap) {
		u32 t = cfg_read(v, v->msix_cap + 4, 4), p = cfg_read(v, v->msix_cap + 8, 4);
		v->table = v->bar[t & 7] + (t & ~7u);
		v->pba = v->bar[p & 7] + (p & ~7u);
	}
	v->notify_addr = v->notify; /* queue_notify_off is read at setup */
}

static void vendor_cap(struct vblk *v, u8 at)
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

/* Walks the capability list from 0x34 as a driver does. */
static void discover(struct vblk *v)
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
	locate(v);
}

static struct vblk *vblk_new(const char *path, bool readonly, bool snapshot)
{
	struct vblk *v = calloc(1, sizeof(*v));
	char err[512];
	v->m = machine__create(&arch_x86_64, RAM, 1);
	v->host = v->m ? pci_host__create(v->m) : NULL;
	struct disk_image *img = disk_image__open(path, readonly, snapshot, err, sizeof(err));
	if (!v->host || !img) {
		printf("FAIL setup: %s\n", img ? "no machine" : err);
		exit(1);
	}
	v->blk = virtio_blk__create(v->m, virtio_slot__pci(v->host), "vda", img);
	if (!v->blk) {
		printf("FAIL setup: virtio_blk__create\n");
		exit(1);
	}
	v->q = (struct vq_driver){ .m = v->m, .size = QSIZE, .desc = DESC, .avail = AVAIL,
				   .used = USED, .indirect = INDIRECT, .stride = 0x200 };
	discover(v);
	return v;
}

static void vblk_free(struct vblk *v)
{
	machine__destroy(v->m);
	free(v);
}

/* ---- the driver ---- */

static u64 device_features(struct vblk *v)
{
	com_write(v, DFSEL, 4, 0);
	u64 lo = com_read(v, DF, 4);
	com_write(v, DFSEL, 4, 1);
	return lo | com_read(v, DF, 4) << 32;
}

static void driver_features(struct vblk *v, u64 f)
{
	com_write(v, GFSEL, 4, 0);
	com_write(v, GF, 4, (u32)f);
	com_write(v, GFSEL, 4, 1);
	com_write(v, GF, 4, (u32)(f >> 32));
}

/* Reset, ACKNOWLEDGE|DRIVER, accept `want` of what is offered and
 * FEATURES_OK: whether the device kept FEATURES_OK. */
static bool negotiate(struct vblk *v, u64 want)
{
	set_status(v, 0);
	if (status(v) != 0)
		return false;
	set_status(v, S_ACK);
	set_status(v, S_ACK | S_DRIVER);
	v->dev_features = device_features(v);
	v->features = want & v->dev_features;
	driver_features(v, v->features);
	set_status(v, S_ACK | S_DRIVER | S_FEATURES_OK);
	return status(v) & S_FEATURES_OK;
}

static void msix_entry(struct vblk *v, unsigned k, u64 addr, u32 data, bool masked)
{
	u64 e = v->table + 16 * k;
	mm_write(v, e + 0, 4, (u32)addr);
	mm_write(v, e + 4, 4, (u32)(addr >> 32));
	mm_write(v, e + 8, 4, data);
	mm_write(v, e + 12, 4, masked);
}

/* Bus mastering and memory decode on; vector 0 (queue) and 1 (config)
 * aimed at guest RAM; MSI-X enabled. */
static void msix_on(struct vblk *v)
{
	cfg_write(v, 0x04, 2, cfg_read(v, 0x04, 2) | 0x06);
	msix_entry(v, 0, MSI_QUEUE, MSI_DATA_QUEUE, false);
	msix_entry(v, 1, MSI_CONFIG, MSI_DATA_CONFIG, false);
	cfg_write(v, v->msix_cap + 2, 2, 0x8000);
}

static void clear_rings(struct vblk *v)
{
	memset(ram(v, DESC), 0, 0x5000);
	put32(ram(v, MSI_QUEUE), 0);
	put32(ram(v, MSI_CONFIG), 0);
	v->q.avail_idx = v->q.next_desc = 0;
}

/* Queue 0 laid out at DESC/AVAIL/USED, vector 0, enabled (no DRIVER_OK). */
static bool queue_setup(struct vblk *v, u64 desc)
{
	clear_rings(v);
	com_write(v, MSIX_CONFIG, 2, 1);
	com_write(v, Q_SELECT, 2, 0);
	com_write(v, Q_SIZE, 2, QSIZE);
	const unsigned fields[3] = { Q_DESC, Q_DRIVER, Q_DEVICE };
	const u64 where[3] = { desc, AVAIL, USED };
	for (unsigned k = 0; k < 3; k++) {
		com_write(v, fields[k], 4, (u32)where[k]);
		com_write(v, fields[k] + 4, 4, (u32)(where[k] >> 32));
	}
	com_write(v, Q_MSIX_VECTOR, 2, 0);
	v->notify_addr = v->notify + com_read(v, Q_NOTIFY_OFF, 2) * v->notify_mult;
	bool ok = com_read(v, Q_MSIX_VECTOR, 2) == 0 && com_read(v, MSIX_CONFIG, 2) == 1 &&
		  com_read(v, Q_SIZE, 2) == QSIZE;
	com_write(v, Q_ENABLE, 2, 1);
	return ok && com_read(v, Q_ENABLE, 2) == 1;
}

/* The whole initialisation: the device ready for requests. */
static bool driver_start(struct vblk *v, u64 want)
{
	if (!negotiate(v, want))
		return false;
	msix_on(v);
	if (!queue_setup(v, DESC))
		return false;
	set_status(v, S_READY);
	return status(v) == S_READY;
}

static void kick(struct vblk *v)
{
	mm_write(v, v->notify_addr, 2, 0);
}

/* A request in slot `slot`: header, data, status byte (preset to 0xee). */
static u16 request(struct vblk *v, unsigned slot, u32 type, u64 sector,
		   const struct vq_seg *data, unsigned n, bool indirect)
{
	u8 *h = ram(v, HDR + 16 * slot);
	put32(h, type);
	put32(h + 4, 0);
	put64(h + 8, sector);
	*ram(v, STATUS + slot) = 0xee;
	struct vq_seg s[32];
	s[0] = (struct vq_seg){ HDR + 16 * slot, 16, 0 };
	if (n)
		memcpy(s + 1, data, n * sizeof(*data));
	s[n + 1] = (struct vq_seg){ STATUS + slot, 1, VQ_WRITE };
	return vqd_submit(&v->q, s, n + 2, indirect);
}

struct done {
	bool returned;  /* the used ring got it (alone) */
	int status;     /* its status byte, -1 if not returned */
	u32 len;        /* its used length */
};

/* One request, notified: what came back. */
static struct done run(struct vblk *v, u32 type, u64 sector, const struct vq_seg *data,
		       unsigned n, bool indirect)
{
	u16 before = vqd_used_idx(&v->q);
	u16 head = request(v, 0, type, sector, data, n, indirect);
	kick(v);
	struct done d = { .status = -1 };
	if (vqd_used_idx(&v->q) != (u16)(before + 1) || vqd_used_id(&v->q, before) != head)
		return d;
	return (struct done){ true, *ram(v, STATUS), vqd_used_len(&v->q, before) };
}

/* Reads `count` sectors at `sector` into DATA as one buffer. */
static struct done read_sectors(struct vblk *v, u64 sector, unsigned count)
{
	struct vq_seg d = { DATA, count * 512, VQ_WRITE };
	return run(v, T_IN, sector, &d, 1, false);
}

static struct done write_sectors(struct vblk *v, u64 sector, u64 from, unsigned count)
{
	struct vq_seg d = { from, count * 512, 0 };
	return run(v, T_OUT, sector, &d, 1, false);
}

static bool ram_is(struct vblk *v, u64 gpa, const u8 *bytes, u64 len)
{
	return !memcmp(ram(v, gpa), bytes, len);
}

/* ---- identity and layout ---- */

static void test_identity(void)
{
	check_group("identity");
	const char *path = new_image();
	struct vblk *v = vblk_new(path, false, false);
	CHECK(cfg_read(v, 0x00, 2) == 0x1af4 && cfg_read(v, 0x02, 2) == 0x1042,
	      "vendor/device %#x", cfg_read(v, 0x00, 4));
	CHECK(cfg_read(v, 0x08, 1) == 1, "revision 1 (modern): %u", cfg_read(v, 0x08, 1));
	CHECK(cfg_read(v, 0x08, 4) >> 8 == 0x010000, "class 01/00/00: %#x", cfg_read(v, 0x08, 4) >> 8);
	CHECK(cfg_read(v, 0x0e, 1) == 0, "header type 0");
	CHECK(cfg_read(v, 0x06, 2) & 0x10, "status has the capability list bit");
	CHECK(cfg_read(v, 0x3d, 1) == 0, "no INTx pin");
	CHECK(!v->chain_error, "capability chain: %s", v->chain_error);
	CHECK(v->ncaps == 6, "six capabilities: %u", v->ncaps);
	for (unsigned t = 1; t <= 5; t++)
		CHECK(v->cap[t] && v->cap_len[t] >= 16 && v->cap_bar[t] == 0,
		      "cfg_type %u present, cap_len %u, bar %u", t, v->cap_len[t], v->cap_bar[t]);
	CHECK(v->cap_len[CAP_NOTIFY] >= 20 && v->notify_mult == 4, "notify cap: len %u, multiplier %u",
	      v->cap_len[CAP_NOTIFY], v->notify_mult);
	CHECK(v->cap_off[CAP_COMMON] == 0 && v->cap_off[CAP_ISR] == 0x1000 &&
	      v->cap_off[CAP_DEVICE] == 0x2000 && v->cap_off[CAP_NOTIFY] == 0x3000,
	      "offsets %#x %#x %#x %#x", v->cap_off[1], v->cap_off[3], v->cap_off[4], v->cap_off[2]);
	CHECK(v->cap_length[CAP_COMMON] >= 0x38 && v->cap_length[CAP_ISR] >= 1 &&
	      v->cap_length[CAP_DEVICE] >= 24 && v->cap_length[CAP_NOTIFY] >= 2,
	      "lengths: common %#x isr %u device %u notify %u", v->cap_length[1], v->cap_length[3],
	      v->cap_length[4], v->cap_length[2]);
	CHECK(v->cap_len[CAP_PCI_CFG] >= 20, "pci cfg access cap is 20 bytes: %u", v->cap_len[5]);
	CHECK(v->msix_cap && (cfg_read(v, v->msix_cap + 2, 2) & 0x7ff) == 1,
	      "MSI-X: 2 vectors (table size field %u)", cfg_read(v, v->msix_cap + 2, 2) & 0x7ff);
	CHECK(cfg_read(v, v->msix_cap + 4, 4) == 1 && cfg_read(v, v->msix_cap + 8, 4) == 0x801,
	      "MSI-X table at BAR1+0, PBA at BAR1+0x800: %#x %#x", cfg_read(v, v->msix_cap + 4, 4),
	      cfg_read(v, v->msix_cap + 8, 4));

	/* BAR sizing */
	u32 raw0 = cfg_read(v, 0x10, 4), raw1 = cfg_read(v, 0x14, 4);
	CHECK(raw0 == 0xfe000000 && raw1 == 0xfe004000, "pre-placed BARs %#x %#x", raw0, raw1);
	for (unsigned b = 0; b < 6; b++) {
		u32 was = cfg_read(v, 0x10 + 4 * b, 4);
		cfg_write(v, 0x10 + 4 * b, 4, 0xffffffff);
		u32 mask = cfg_read(v, 0x10 + 4 * b, 4);
		cfg_write(v, 0x10 + 4 * b, 4, was);
		v->bar_size[b] = mask ? ~(mask & ~0xfu) + 1 : 0;
		u32 want = b == 0 ? 0xffffc000 : b == 1 ? 0xfffff000 : 0;
		CHECK(mask == want, "BAR%u sizing reads %#x, want %#x", b, mask, want);
		CHECK(cfg_read(v, 0x10 + 4 * b, 4) == was, "BAR%u restored", b);
	}
	for (unsigned t = 1; t <= 4; t++)
		CHECK((u64)v->cap_off[t] + v->cap_length[t] <= v->bar_size[v->cap_bar[t]] &&
		      v->cap_off[t] % 4 == 0, "cfg_type %u lies within its BAR", t);

	/* the device configuration and its feature bits */
	u64 f = device_features(v);
	CHECK(f & F(F_VERSION_1), "VERSION_1 offered: %#llx", (unsigned long long)f);
	CHECK((f & (F(F_SIZE_MAX) | F(F_SEG_MAX) | F(F_BLK_SIZE))) ==
	      (F(F_SIZE_MAX) | F(F_SEG_MAX) | F(F_BLK_SIZE)), "SIZE_MAX, SEG_MAX, BLK_SIZE offered");
	CHECK(f & F(F_FLUSH), "FLUSH offered");
	CHECK(!(f & F(F_RO)), "a writable image is not RO");
	CHECK(f & F(F_INDIRECT) && f & F(F_EVENT_IDX), "INDIRECT_DESC and EVENT_IDX offered");
	CHECK(mm_read(v, v->device, 8) == DISK_SECTORS, "capacity %llu",
	      (unsigned long long)mm_read(v, v->device, 8));
	CHECK(mm_read(v, v->device + 4, 4) == 0, "capacity high half via a dword read");
	CHECK(mm_read(v, v->device + 8, 4) != 0, "size_max %llu",
	      (unsigned long long)mm_read(v, v->device + 8, 4));
	CHECK(mm_read(v, v->device + 12, 4) >= 1, "seg_max %llu",
	      (unsigned long long)mm_read(v, v->device + 12, 4));
	CHECK(mm_read(v, v->device + 20, 4) == 512, "blk_size %llu",
	      (unsigned long long)mm_read(v, v->device + 20, 4));
	mm_write(v, v->device, 8, 5);
	CHECK(mm_read(v, v->device, 8) == DISK_SECTORS, "capacity is read-only");
	CHECK(com_read(v, NUM_QUEUES, 2) == 1, "one queue");
	vblk_free(v);

	struct vblk *ro = vblk_new(path, true, false);
	f = device_features(ro);
	CHECK(f & F(F_RO), "a readonly image adds VIRTIO_BLK_F_RO: %#llx", (unsigned long long)f);
	vblk_free(ro);
}

/* ---- reads ---- */

static void test_reads(void)
{
	check_group("reads");
	struct vblk *v = vblk_new(new_image(), false, false);
	CHECK(driver_start(v, F(F_VERSION_1) | F(F_INDIRECT)), "driver start: status %#x", status(v));
	CHECK(v->features == (F(F_VERSION_1) | F(F_INDIRECT)), "features %#llx",
	      (unsigned long long)v->features);

	memset(ram(v, DATA), 0xaa, 0x10000);
	struct done d = read_sectors(v, 5, 3);
	CHECK(d.returned && d.status == 0 && d.len == 3 * 512 + 1, "3 sectors at 5: %d, len %u",
	      d.status, d.len);
	CHECK(ram_is(v, DATA, orig + 5 * 512, 3 * 512), "they match the file");
	CHECK(*ram(v, DATA + 3 * 512) == 0xaa, "nothing past the buffer");
	CHECK(take_msi(v, MSI_QUEUE) == MSI_DATA_QUEUE, "the queue vector's message arrived");
	CHECK(take_msi(v, MSI_CONFIG) == 0, "no config message");

	/* split across several descriptors */
	static const u32 lens[] = { 100, 412, 1000, 536 };
	struct vq_seg segs[4];
	u64 at = DATA + 0x4000;
	for (unsigned k = 0; k < 4; k++) {
		segs[k] = (struct vq_seg){ at, lens[k], VQ_WRITE };
		at += lens[k] + 0x300;
	}
	memset(ram(v, DATA + 0x4000), 0, 0x4000);
	d = run(v, T_IN, 10, segs, 4, false);
	bool same = true;
	u64 off = 10 * 512;
	for (unsigned k = 0; k < 4; k++) {
		same &= ram_is(v, segs[k].addr, orig + off, lens[k]);
		off += lens[k];
	}
	CHECK(d.returned && d.status == 0 && d.len == 2048 + 1 && same,
	      "a read over 4 descriptors: %d, len %u, data %s", d.status, d.len, same ? "ok" : "wrong");

	/* the same through an indirect table */
	memset(ram(v, DATA + 0x4000), 0, 0x4000);
	d = run(v, T_IN, 20, segs, 4, true);
	same = true;
	off = 20 * 512;
	for (unsigned k = 0; k < 4; k++) {
		same &= ram_is(v, segs[k].addr, orig + off, lens[k]);
		off += lens[k];
	}
	CHECK(d.returned && d.status == 0 && d.len == 2048 + 1 && same,
	      "an indirect read: %d, len %u, data %s", d.status, d.len, same ? "ok" : "wrong");

	/* the whole disk in one request: more than the device moves at a time */
	d = read_sectors(v, 0, DISK_SECTORS);
	CHECK(d.status == 0 && d.len == DISK_BYTES + 1 && ram_is(v, DATA, orig, DISK_BYTES),
	      "the whole disk in one read: %d, len %u", d.status, d.len);

	/* seg_max data buffers (an indirect table of header, 128, status) */
	u32 seg_max = (u32)mm_read(v, v->device + 12, 4);
	u32 nseg = seg_max < 128 ? seg_max : 128;
	u64 table = 0x140000;
	put32(ram(v, HDR), T_IN);
	put64(ram(v, HDR + 8), 0);
	vqd_put_desc(v->m, table, 0, HDR, 16, VQ_NEXT, 1);
	for (u32 k = 0; k < nseg; k++)
		vqd_put_desc(v->m, table, k + 1, DATA + 0x40000 + 0x400ull * k, 512,
			     VQ_WRITE | VQ_NEXT, (u16)(k + 2));
	vqd_put_desc(v->m, table, nseg + 1, STATUS, 1, VQ_WRITE, 0);
	*ram(v, STATUS) = 0xee;
	memset(ram(v, DATA + 0x40000), 0, 0x400ull * nseg);
	u16 head = v->q.next_desc++ % QSIZE;
	vqd_put_desc(v->m, DESC, head, table, 16 * (nseg + 2), VQ_INDIRECT, 0);
	vqd_offer(&v->q, head);
	u16 was = vqd_used_idx(&v->q);
	kick(v);
	same = vqd_used_idx(&v->q) == was + 1 && *ram(v, STATUS) == 0;
	for (u32 k = 0; k < nseg && same; k++)
		same = ram_is(v, DATA + 0x40000 + 0x400ull * k, orig + 512 * k, 512);
	CHECK(same && vqd_used_len(&v->q, was) == 512 * nseg + 1,
	      "%u data buffers (seg_max %u): len %u", nseg, seg_max, vqd_used_len(&v->q, was));

	/* the last sector, and data and status in one descriptor */
	d = read_sectors(v, DISK_SECTORS - 1, 1);
	CHECK(d.status == 0 && ram_is(v, DATA, orig + DISK_BYTES - 512, 512), "the last sector: %d",
	      d.status);
	u8 *h = ram(v, HDR + 16);
	put32(h, T_IN);
	put32(h + 4, 0);
	put64(h + 8, 2);
	*ram(v, DATA + 0x8000 + 512) = 0xee;
	struct vq_seg one[2] = { { HDR + 16, 16, 0 }, { DATA + 0x8000, 513, VQ_WRITE } };
	u16 before = vqd_used_idx(&v->q);
	vqd_submit(&v->q, one, 2, false);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == before + 1 && vqd_used_len(&v->q, before) == 513 &&
	      *ram(v, DATA + 0x8000 + 512) == 0 && ram_is(v, DATA + 0x8000, orig + 1024, 512),
	      "data and status in one buffer (any layout): len %u status %u",
	      vqd_used_len(&v->q, before), *ram(v, DATA + 0x8000 + 512));
	vblk_free(v);
}

/* ---- writes ---- */

static void fill(struct vblk *v, u64 gpa, unsigned len, u8 seed)
{
	for (unsigned i = 0; i < len; i++)
		ram(v, gpa)[i] = (u8)(seed + i * 13 + (i >> 9));
}

static void test_writes(void)
{
	check_group("writes");
	const char *path = new_image();
	struct vblk *v = vblk_new(path, false, false);
	CHECK(driver_start(v, F(F_VERSION_1)), "driver start");
	fill(v, DATA + 0x10000, 1024, 0x31);
	struct done d = write_sectors(v, 20, DATA + 0x10000, 2);
	CHECK(d.returned && d.status == 0 && d.len == 1, "write 2 sectors at 20: %d, len %u",
	      d.status, d.len);
	memset(ram(v, DATA), 0, 1024);
	d = read_sectors(v, 20, 2);
	CHECK(d.status == 0 && ram_is(v, DATA, ram(v, DATA + 0x10000), 1024),
	      "read back through the device");
	u8 file[2048];
	file_bytes(path, 19 * 512, file, 2048);
	CHECK(!memcmp(file + 512, ram(v, DATA + 0x10000), 1024), "the file holds them");
	CHECK(!memcmp(file, orig + 19 * 512, 512) && !memcmp(file + 1536, orig + 22 * 512, 512),
	      "the sectors around are untouched");

	/* a write split over an indirect table */
	struct vq_seg segs[3] = { { DATA + 0x20000, 700, 0 }, { DATA + 0x21000, 324, 0 },
			       { DATA + 0x22000, 512, 0 } };
	fill(v, DATA + 0x20000, 700, 1);
	fill(v, DATA + 0x21000, 324, 2);
	fill(v, DATA + 0x22000, 512, 3);
	CHECK(negotiate(v, F(F_VERSION_1) | F(F_INDIRECT)), "renegotiate with INDIRECT_DESC");
	msix_on(v);
	queue_setup(v, DESC);
	set_status(v, S_READY);
	d = run(v, T_OUT, 40, segs, 3, true);
	file_bytes(path, 40 * 512, file, 1536);
	CHECK(d.status == 0 && !memcmp(file, ram(v, DATA + 0x20000), 700) &&
	      !memcmp(file + 700, ram(v, DATA + 0x21000), 324) &&
	      !memcmp(file + 1024, ram(v, DATA + 0x22000), 512), "an indirect write reaches the file");
	d = run(v, T_FLUSH, 0, NULL, 0, false);
	CHECK(d.returned && d.status == 0 && d.len == 1, "flush: %d, len %u", d.status, d.len);

	/* header and data in one readable buffer (any layout) */
	u8 *h = ram(v, DATA + 0x30000);
	put32(h, T_OUT);
	put32(h + 4, 0);
	put64(h + 8, 50);
	fill(v, DATA + 0x30000 + 16, 512, 0x42);
	struct vq_seg one[2] = { { DATA + 0x30000, 16 + 512, 0 }, { STATUS, 1, VQ_WRITE } };
	*ram(v, STATUS) = 0xee;
	vqd_submit(&v->q, one, 2, false);
	kick(v);
	file_bytes(path, 50 * 512, file, 512);
	CHECK(*ram(v, STATUS) == 0 && !memcmp(file, ram(v, DATA + 0x30000 + 16), 512),
	      "a write with header and data in one buffer: status %u", *ram(v, STATUS));

	/* the whole disk in one write */
	u8 *all = malloc(DISK_BYTES);
	fill(v, DATA + 0x100000, DISK_BYTES, 0x17);
	d = write_sectors(v, 0, DATA + 0x100000, DISK_SECTORS);
	file_bytes(path, 0, all, DISK_BYTES);
	CHECK(d.status == 0 && !memcmp(all, ram(v, DATA + 0x100000), DISK_BYTES),
	      "the whole disk in one write: %d", d.status);
	free(all);
	vblk_free(v);

	/* snapshot=on: the guest sees its writes, the file does not change */
	path = new_image();
	v = vblk_new(path, false, true);
	CHECK(!(device_features(v) & F(F_RO)), "a snapshot is writable for the guest");
	CHECK(driver_start(v, F(F_VERSION_1)), "driver start (snapshot)");
	fill(v, DATA + 0x10000, 4096, 0x77);
	d = write_sectors(v, 6, DATA + 0x10000, 4); /* bytes 3072..5120: across a 4 KiB block */
	CHECK(d.status == 0, "snapshot write across blocks: %d", d.status);
	d = write_sectors(v, DISK_SECTORS - 1, DATA + 0x11000, 1); /* in the partial last block */
	CHECK(d.status == 0, "snapshot write of the last sector: %d", d.status);
	memset(ram(v, DATA), 0, 0x3000);
	d = read_sectors(v, 4, 8);
	CHECK(d.status == 0 && ram_is(v, DATA, orig + 4 * 512, 1024) &&
	      ram_is(v, DATA + 1024, ram(v, DATA + 0x10000), 2048) &&
	      ram_is(v, DATA + 3072, orig + 10 * 512, 1024), "snapshot reads back writes and around");
	d = read_sectors(v, DISK_SECTORS - 2, 2);
	CHECK(d.status == 0 && ram_is(v, DATA, orig + DISK_BYTES - 1024, 512) &&
	      ram_is(v, DATA + 512, ram(v, DATA + 0x11000), 512), "snapshot: the last sector");
	d = run(v, T_FLUSH, 0, NULL, 0, false);
	CHECK(d.status == 0, "snapshot flush: %d", d.status);
	CHECK(file_is_orig(path), "the file is unchanged under snapshot=on");
	vblk_free(v);
	CHECK(file_is_orig(path), "and after the device is gone");

	/* readonly: writes fail, reads work */
	v = vblk_new(path, true, false);
	CHECK(driver_start(v, F(F_VERSION_1) | F(F_RO)), "driver start (readonly)");
	fill(v, DATA + 0x10000, 512, 0x99);
	d = write_sectors(v, 3, DATA + 0x10000, 1);
	CHECK(d.returned && d.status == 1 && d.len == 1, "a readonly write: IOERR (%d)", d.status);
	d = read_sectors(v, 3, 1);
	CHECK(d.status == 0 && ram_is(v, DATA, orig + 3 * 512, 512), "readonly reads the file");
	d = run(v, T_FLUSH, 0, NULL, 0, false);
	CHECK(d.status == 0, "readonly flush: %d", d.status);
	CHECK(file_is_orig(path), "the file is unchanged when readonly");
	vblk_free(v);
}

/* ---- other requests and error statuses ---- */

static void test_requests(void)
{
	check_group("requests");
	const char *path = new_image();
	struct vblk *v = vblk_new(path, false, false);
	CHECK(driver_start(v, F(F_VERSION_1)), "driver start");
	memset(ram(v, DATA), 0xff, 64);
	struct vq_seg id = { DATA, 20, VQ_WRITE };
	struct done d = run(v, T_GET_ID, 0, &id, 1, false);
	static const u8 want[20] = "vda";
	CHECK(d.status == 0 && d.len == 21 && ram_is(v, DATA, want, 20) && *ram(v, DATA + 20) == 0xff,
	      "GET_ID: \"vda\" NUL-padded: status %d len %u", d.status, d.len);
	d = run(v, 0x1234, 0, NULL, 0, false);
	CHECK(d.returned && d.status == 2 && d.len == 1, "an unknown type: UNSUPP (%d)", d.status);
	struct vq_seg buf = { DATA, 512, VQ_WRITE };
	d = run(v, 0x1234, 0, &buf, 1, false);
	CHECK(d.status == 2, "an unknown type with a buffer: UNSUPP (%d)", d.status);
	d = read_sectors(v, DISK_SECTORS - 1, 2);
	CHECK(d.returned && d.status == 1 && d.len == 1, "a read past the end: IOERR (%d, len %u)",
	      d.status, d.len);
	d = read_sectors(v, DISK_SECTORS, 1);
	CHECK(d.status == 1, "a read at the capacity: IOERR (%d)", d.status);
	d = read_sectors(v, 1ull << 60, 1);
	CHECK(d.status == 1, "a read at sector 2^60: IOERR (%d)", d.status);
	d = read_sectors(v, ~0ull, 1);
	CHECK(d.status == 1, "a read at sector 2^64-1: IOERR (%d)", d.status);
	struct vq_seg odd = { DATA, 700, VQ_WRITE };
	d = run(v, T_IN, 0, &odd, 1, false);
	CHECK(d.status == 1, "a read of 700 bytes: IOERR (%d)", d.status);
	fill(v, DATA, 1024, 5);
	struct vq_seg odd_out = { DATA, 100, 0 };
	d = run(v, T_OUT, 0, &odd_out, 1, false);
	CHECK(d.status == 1, "a write of 100 bytes: IOERR (%d)", d.status);
	d = write_sectors(v, DISK_SECTORS - 1, DATA, 2);
	CHECK(d.status == 1, "a write past the end: IOERR (%d)", d.status);
	CHECK(file_is_orig(path), "failed writes leave the file alone");
	d = run(v, T_FLUSH, 0, NULL, 0, false);
	CHECK(d.status == 0, "flush: %d", d.status);
	vblk_free(v);
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
	struct vblk *v = vblk_new(new_image(), false, false);
	CHECK(driver_start(v, F(F_VERSION_1)), "driver start");
	struct vq_seg d1 = { DATA, 512, VQ_WRITE }, d2 = { DATA + 0x1000, 512, VQ_WRITE };
	struct vq_seg d3 = { DATA + 0x2000, 512, VQ_WRITE };
	request(v, 0, T_IN, 0, &d1, 1, false);
	request(v, 1, T_IN, 1, &d2, 1, false);
	request(v, 2, T_IN, 2, &d3, 1, false);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == 3 && take_msi(v, MSI_QUEUE) == MSI_DATA_QUEUE,
	      "three requests, one kick: all used, a message");
	CHECK(isr_read(v) == 1, "ISR: the queue bit");
	CHECK(isr_read(v) == 0, "reading the ISR cleared it");

	/* count messages through an APIC sink */
	struct apic_sink sink = { sink_send, NULL };
	pci_host__set_msi_sink(v->host, &sink);
	msix_entry(v, 0, 0xfee00000, 0x41, false);
	request(v, 0, T_IN, 0, &d1, 1, false);
	request(v, 1, T_IN, 1, &d2, 1, false);
	request(v, 2, T_IN, 2, &d3, 1, false);
	kick(v);
	CHECK(sunk == 1 && sunk_last.vector == 0x41, "one message per notify batch: %u", sunk);
	kick(v);
	CHECK(sunk == 1, "a kick with nothing new sends nothing: %u", sunk);
	request(v, 0, T_IN, 0, &d1, 1, false);
	kick(v);
	request(v, 0, T_IN, 0, &d1, 1, false);
	kick(v);
	CHECK(sunk == 3, "two kicks, two messages: %u", sunk);
	msix_entry(v, 0, MSI_QUEUE, MSI_DATA_QUEUE, false);

	/* NO_INTERRUPT without event_idx */
	put16(ram(v, AVAIL), 1);
	u16 before = vqd_used_idx(&v->q);
	request(v, 0, T_IN, 0, &d1, 1, false);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == before + 1 && take_msi(v, MSI_QUEUE) == 0,
	      "NO_INTERRUPT: used, no message");
	put16(ram(v, AVAIL), 0);
	request(v, 0, T_IN, 0, &d1, 1, false);
	kick(v);
	CHECK(take_msi(v, MSI_QUEUE) == MSI_DATA_QUEUE, "flag cleared: a message again");

	/* a masked entry: pending, then sent once on unmasking */
	isr_read(v);
	mm_write(v, v->table + 12, 4, 1);
	request(v, 0, T_IN, 0, &d1, 1, false);
	kick(v);
	CHECK(take_msi(v, MSI_QUEUE) == 0, "masked: no message");
	CHECK(mm_read(v, v->pba, 8) == 1, "masked: PBA bit 0 set: %#llx",
	      (unsigned long long)mm_read(v, v->pba, 8));
	mm_write(v, v->table + 12, 4, 0);
	CHECK(take_msi(v, MSI_QUEUE) == MSI_DATA_QUEUE, "unmasking delivers it");
	CHECK(mm_read(v, v->pba, 8) == 0, "and clears the PBA bit");
	mm_write(v, v->table + 12, 4, 0);
	CHECK(take_msi(v, MSI_QUEUE) == 0, "only once");
	mm_write(v, v->pba, 8, 1);
	CHECK(mm_read(v, v->pba, 8) == 0, "the PBA is read-only");

	/* the function mask */
	cfg_write(v, v->msix_cap + 2, 2, 0xc000);
	request(v, 0, T_IN, 0, &d1, 1, false);
	kick(v);
	CHECK(take_msi(v, MSI_QUEUE) == 0 && mm_read(v, v->pba, 8) == 1,
	      "function mask: pending, no message");
	cfg_write(v, v->msix_cap + 2, 2, 0x8000);
	CHECK(take_msi(v, MSI_QUEUE) == MSI_DATA_QUEUE && mm_read(v, v->pba, 8) == 0,
	      "function unmasked: delivered");

	/* a vector register of NO_VECTOR: no message */
	com_write(v, Q_SELECT, 2, 0);
	com_write(v, Q_MSIX_VECTOR, 2, NO_VECTOR);
	request(v, 0, T_IN, 0, &d1, 1, false);
	kick(v);
	CHECK(take_msi(v, MSI_QUEUE) == 0 && mm_read(v, v->pba, 8) == 0,
	      "queue vector NO_VECTOR: nothing sent or pending");
	com_write(v, Q_MSIX_VECTOR, 2, 0);

	/* event indices */
	CHECK(negotiate(v, F(F_VERSION_1) | F(F_EVENT_IDX)), "negotiate EVENT_IDX");
	CHECK(v->features & F(F_EVENT_IDX), "EVENT_IDX accepted");
	msix_on(v);
	queue_setup(v, DESC);
	set_status(v, S_READY);
	put16(ram(v, AVAIL_USED_EVENT), 1); /* a message when used entry 1 is written */
	request(v, 0, T_IN, 0, &d1, 1, false);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == 1 && take_msi(v, MSI_QUEUE) == 0, "used_event 1: not after entry 0");
	CHECK(get16(ram(v, USED_AVAIL_EVENT)) == 1, "avail_event written: %u",
	      get16(ram(v, USED_AVAIL_EVENT)));
	request(v, 0, T_IN, 0, &d1, 1, false);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == 2 && take_msi(v, MSI_QUEUE) == MSI_DATA_QUEUE,
	      "used_event 1: a message after entry 1");
	CHECK(get16(ram(v, USED_AVAIL_EVENT)) == 2, "avail_event follows: %u",
	      get16(ram(v, USED_AVAIL_EVENT)));
	put16(ram(v, AVAIL), 1); /* ignored with event_idx */
	put16(ram(v, AVAIL_USED_EVENT), 2);
	request(v, 0, T_IN, 0, &d1, 1, false);
	kick(v);
	CHECK(take_msi(v, MSI_QUEUE) == MSI_DATA_QUEUE, "with EVENT_IDX the NO_INTERRUPT flag is ignored");
	put16(ram(v, AVAIL), 0);
	put16(ram(v, AVAIL_USED_EVENT), 4);
	request(v, 0, T_IN, 0, &d1, 1, false);
	request(v, 1, T_IN, 1, &d2, 1, false);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == 5 && take_msi(v, MSI_QUEUE) == MSI_DATA_QUEUE,
	      "a batch crossing used_event: a message");
	put16(ram(v, AVAIL_USED_EVENT), 100);
	request(v, 0, T_IN, 0, &d1, 1, false);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == 6 && take_msi(v, MSI_QUEUE) == 0, "used_event far ahead: none");
	vblk_free(v);
}

/* ---- bad guests ---- */

static void bad_in_hole(struct vblk *v)
{
	struct vq_seg s = { 0xfe000000, 4, VQ_WRITE }; /* the device's own common configuration */
	request(v, 0, T_IN, 0, &s, 1, false);
}

static void bad_past_ram(struct vblk *v)
{
	struct vq_seg s = { RAM - 256, 512, VQ_WRITE };
	request(v, 0, T_IN, 0, &s, 1, false);
}

static void bad_high(struct vblk *v)
{
	struct vq_seg s = { 0x100000000ull, 512, VQ_WRITE };
	request(v, 0, T_IN, 0, &s, 1, false);
}

static void bad_loop(struct vblk *v)
{
	vqd_put_desc(v->m, DESC, 0, HDR, 16, VQ_NEXT, 1);
	vqd_put_desc(v->m, DESC, 1, DATA, 512, VQ_NEXT, 0);
	vqd_offer(&v->q, 0);
}

static void bad_no_status(struct vblk *v)
{
	put32(ram(v, HDR), T_IN);
	struct vq_seg s = { HDR, 16, 0 };
	vqd_submit(&v->q, &s, 1, false);
}

static void bad_short_header(struct vblk *v)
{
	struct vq_seg s[2] = { { HDR, 8, 0 }, { STATUS, 1, VQ_WRITE } };
	vqd_submit(&v->q, s, 2, false);
}

static void bad_indirect_table(struct vblk *v)
{
	vqd_put_desc(v->m, DESC, 0, RAM - 16, 64, VQ_INDIRECT, 0);
	vqd_offer(&v->q, 0);
}

static void bad_guest(const char *name, void (*make)(struct vblk *))
{
	struct vblk *v = vblk_new(new_image(), false, false);
	CHECK(driver_start(v, F(F_VERSION_1) | F(F_INDIRECT)), "%s: driver start", name);
	com_write(v, DFSEL, 4, 1);
	memset(ram(v, DATA), 0x5a, 4096);
	make(v);
	kick(v);
	u8 st = status(v);
	CHECK(st == (S_READY | S_NEEDS_RESET), "%s: DEVICE_NEEDS_RESET: status %#x", name, st);
	CHECK(take_msi(v, MSI_CONFIG) == MSI_DATA_CONFIG, "%s: the config vector's message", name);
	CHECK(take_msi(v, MSI_QUEUE) == 0 && vqd_used_idx(&v->q) == 0, "%s: nothing used", name);
	CHECK(isr_read(v) & 2, "%s: ISR config bit", name);
	CHECK(com_read(v, DFSEL, 4) == 1, "%s: the device's registers untouched", name);

	/* a good request now is not processed */
	read_sectors(v, 1, 1);
	CHECK(vqd_used_idx(&v->q) == 0 && *ram(v, DATA) == 0x5a && *ram(v, STATUS) == 0xee,
	      "%s: no requests taken until reset", name);
	set_status(v, S_READY);
	CHECK(status(v) & S_NEEDS_RESET, "%s: the driver cannot clear NEEDS_RESET", name);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == 0 && *ram(v, STATUS) == 0xee, "%s: still nothing", name);

	set_status(v, 0);
	CHECK(status(v) == 0, "%s: reset clears the status", name);
	CHECK(driver_start(v, F(F_VERSION_1)), "%s: set up again", name);
	struct done d = read_sectors(v, 1, 1);
	CHECK(d.returned && d.status == 0 && ram_is(v, DATA, orig + 512, 512) &&
	      take_msi(v, MSI_QUEUE) == MSI_DATA_QUEUE, "%s: works after the reset", name);
	vblk_free(v);
}

static void test_bad_guests(void)
{
	check_group("bad guests");
	bad_guest("a buffer on the device's BAR", bad_in_hole);
	bad_guest("a buffer past RAM", bad_past_ram);
	bad_guest("a buffer at 4 GiB (no high RAM)", bad_high);
	bad_guest("a descriptor loop", bad_loop);
	bad_guest("no status byte", bad_no_status);
	bad_guest("a short header", bad_short_header);
	bad_guest("an indirect table past RAM", bad_indirect_table);

	/* rings outside RAM: broken at enable */
	struct vblk *v = vblk_new(new_image(), false, false);
	CHECK(negotiate(v, F(F_VERSION_1)), "negotiate");
	msix_on(v);
	queue_setup(v, 0xfe000000);
	set_status(v, S_READY);
	CHECK(status(v) & S_NEEDS_RESET, "a descriptor table on the BAR: NEEDS_RESET (%#x)",
	      status(v));
	CHECK(take_msi(v, MSI_CONFIG) == MSI_DATA_CONFIG, "and the config vector's message");
	CHECK(com_read(v, DFSEL, 4) == 1, "the registers untouched");
	CHECK(driver_start(v, F(F_VERSION_1)) && read_sectors(v, 0, 1).status == 0,
	      "after reset, a good layout works");
	vblk_free(v);
}

/* ---- transport details ---- */

static void test_features(struct vblk *v)
{
	u64 offered = device_features(v);
	CHECK(!negotiate(v, offered & 0xffffffffull), "FEATURES_OK refused without VERSION_1");
	CHECK(status(v) == (S_ACK | S_DRIVER), "status reads %#x", status(v));
	set_status(v, 0);
	set_status(v, S_ACK | S_DRIVER);
	driver_features(v, F(F_VERSION_1) | F(F_GEOMETRY));
	set_status(v, S_ACK | S_DRIVER | S_FEATURES_OK);
	CHECK(!(status(v) & S_FEATURES_OK), "FEATURES_OK refused with a bit not offered (%#x)",
	      status(v));
	set_status(v, 0);
	set_status(v, S_ACK | S_DRIVER);
	driver_features(v, F(F_VERSION_1) | F(34));
	set_status(v, S_ACK | S_DRIVER | S_FEATURES_OK);
	CHECK(!(status(v) & S_FEATURES_OK), "refused with RING_PACKED (not offered)");
	CHECK(negotiate(v, F(F_VERSION_1) | F(F_FLUSH)), "accepted: VERSION_1|FLUSH");
	com_write(v, GFSEL, 4, 1);
	CHECK(com_read(v, GF, 4) == 1, "driver_feature reads back");
	com_write(v, DFSEL, 4, 2);
	CHECK(com_read(v, DF, 4) == 0, "device_feature_select 2 reads 0");
}

static void test_queue_registers(struct vblk *v)
{
	com_write(v, Q_SELECT, 2, 0);
	u16 max = (u16)com_read(v, Q_SIZE, 2);
	CHECK(max >= QSIZE && !(max & (max - 1)), "queue 0 max size %u", max);
	com_write(v, Q_SIZE, 2, 24);
	CHECK(com_read(v, Q_SIZE, 2) == max, "size 24 ignored");
	com_write(v, Q_SIZE, 2, 0);
	CHECK(com_read(v, Q_SIZE, 2) == max, "size 0 ignored");
	com_write(v, Q_SIZE, 2, (u32)max * 2);
	CHECK(com_read(v, Q_SIZE, 2) == max, "size above the max ignored");
	com_write(v, Q_SIZE, 2, 32);
	CHECK(com_read(v, Q_SIZE, 2) == 32, "size 32 taken");
	com_write(v, Q_SIZE, 2, 48);
	CHECK(com_read(v, Q_SIZE, 2) == 32, "size 48 ignored");
	com_write(v, Q_MSIX_VECTOR, 2, 7);
	CHECK(com_read(v, Q_MSIX_VECTOR, 2) == NO_VECTOR, "queue vector 7 of 2: NO_VECTOR (%#llx)",
	      (unsigned long long)com_read(v, Q_MSIX_VECTOR, 2));
	com_write(v, Q_MSIX_VECTOR, 2, 1);
	CHECK(com_read(v, Q_MSIX_VECTOR, 2) == 1, "queue vector 1 taken");
	com_write(v, MSIX_CONFIG, 2, 2);
	CHECK(com_read(v, MSIX_CONFIG, 2) == NO_VECTOR, "config vector 2 of 2: NO_VECTOR");
	com_write(v, MSIX_CONFIG, 2, 0);
	CHECK(com_read(v, MSIX_CONFIG, 2) == 0, "config vector 0 taken");
	com_write(v, Q_SELECT, 2, 1);
	CHECK(com_read(v, Q_SIZE, 2) == 0, "queue 1 does not exist: size 0");
	com_write(v, Q_SELECT, 2, 0);
}

static void test_before_driver_ok(struct vblk *v)
{
	bool ok = negotiate(v, F(F_VERSION_1));
	msix_on(v);
	CHECK(ok && queue_setup(v, DESC), "queue set up without DRIVER_OK");
	struct vq_seg d = { DATA, 512, VQ_WRITE };
	request(v, 0, T_IN, 0, &d, 1, false);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == 0 && *ram(v, STATUS) == 0xee && take_msi(v, MSI_QUEUE) == 0,
	      "a notify before DRIVER_OK does nothing");
	set_status(v, S_READY);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == 1 && *ram(v, STATUS) == 0 &&
	      take_msi(v, MSI_QUEUE) == MSI_DATA_QUEUE, "after DRIVER_OK the request is taken");
	com_write(v, Q_SIZE, 2, 64);
	CHECK(com_read(v, Q_SIZE, 2) == QSIZE, "an enabled queue's size is fixed");

	/* bus mastering off: the device leaves RAM alone */
	cfg_write(v, 0x04, 2, 0x02);
	request(v, 0, T_IN, 0, &d, 1, false);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == 1 && take_msi(v, MSI_QUEUE) == 0, "bus master off: nothing done");
	cfg_write(v, 0x04, 2, 0x06);
	kick(v);
	CHECK(vqd_used_idx(&v->q) == 2 && take_msi(v, MSI_QUEUE) == MSI_DATA_QUEUE, "bus master on: done");
}

static void test_decode(struct vblk *v)
{
	CHECK(driver_start(v, F(F_VERSION_1)), "driver start");
	cfg_write(v, 0x04, 2, 0x04);
	CHECK(com_read(v, NUM_QUEUES, 2) == 0xffff && mm_read(v, v->device, 8) == ~0ull,
	      "memory decode off: the BAR reads all-ones");
	set_status(v, 0);
	cfg_write(v, 0x04, 2, 0x06);
	CHECK(com_read(v, NUM_QUEUES, 2) == 1 && status(v) == S_READY,
	      "memory decode on: back, and the write while off was dropped (%#x)", status(v));

	u64 old_common = v->common, old_notify = v->notify_addr, queue_off = old_notify - v->notify;
	cfg_write(v, 0x10, 4, 0xfd000000);
	CHECK(cfg_read(v, 0x10, 4) == 0xfd000000, "BAR0 moved: %#x", cfg_read(v, 0x10, 4));
	locate(v);
	v->notify_addr = v->notify + queue_off;
	CHECK(v->common == 0xfd000000, "common at %#llx", (unsigned long long)v->common);
	CHECK(com_read(v, NUM_QUEUES, 2) == 1 && status(v) == S_READY, "the device answers there");
	CHECK(mm_read(v, old_common + NUM_QUEUES, 2) == 0xffff, "and not at the old address");
	mm_write(v, old_common + DEVICE_STATUS, 1, 0);
	CHECK(status(v) == S_READY, "a write at the old address goes nowhere");
	struct vq_seg d = { DATA, 512, VQ_WRITE };
	u16 before = vqd_used_idx(&v->q);
	request(v, 0, T_IN, 7, &d, 1, false);
	mm_write(v, old_notify, 2, 0);
	CHECK(vqd_used_idx(&v->q) == before, "the old notify address does nothing");
	kick(v);
	CHECK(vqd_used_idx(&v->q) == before + 1 && *ram(v, STATUS) == 0 &&
	      ram_is(v, DATA, orig + 7 * 512, 512),
	      "a request notified at the new address");
	cfg_write(v, 0x10, 4, 0xfe000000);
	locate(v);
}

/* The PCI configuration access capability: bar, offset, length, data. */
static u32 window_read(struct vblk *v, u8 bar, u32 off, u32 len)
{
	u8 c = v->cap[CAP_PCI_CFG];
	cfg_write(v, c + 4, 1, bar);
	cfg_write(v, c + 8, 4, off);
	cfg_write(v, c + 12, 4, len);
	return cfg_read(v, c + 16, 4) & (len == 4 ? ~0u : (1u << 8 * len) - 1);
}

static void window_write(struct vblk *v, u8 bar, u32 off, u32 len, u32 val)
{
	u8 c = v->cap[CAP_PCI_CFG];
	cfg_write(v, c + 4, 1, bar);
	cfg_write(v, c + 8, 4, off);
	cfg_write(v, c + 12, 4, len);
	cfg_write(v, c + 16, 4, val);
}

static void test_pci_cfg_window(struct vblk *v)
{
	CHECK(v->cap[CAP_PCI_CFG], "the capability is there");
	if (!v->cap[CAP_PCI_CFG])
		return;
	u32 bar = v->cap_bar[CAP_COMMON], base = v->cap_off[CAP_COMMON];
	CHECK(window_read(v, (u8)bar, base + NUM_QUEUES, 2) == 1, "num_queues through config space");
	CHECK(window_read(v, (u8)bar, base + DEVICE_STATUS, 1) == status(v), "device_status too");
	window_write(v, (u8)bar, base + DFSEL, 4, 1);
	CHECK(com_read(v, DFSEL, 4) == 1, "a write through the window");
	CHECK(window_read(v, (u8)bar, base + DF, 4) == 1, "device_feature high half: VERSION_1");
	CHECK(window_read(v, (u8)bar, v->cap_off[CAP_DEVICE], 4) == DISK_SECTORS,
	      "the capacity through the window");
	cfg_write(v, 0x04, 2, 0x04);
	CHECK(window_read(v, (u8)bar, base + NUM_QUEUES, 2) == 1,
	      "the window works with memory decode off");
	cfg_write(v, 0x04, 2, 0x06);
	struct vq_seg d = { DATA, 512, VQ_WRITE };
	u16 before = vqd_used_idx(&v->q);
	request(v, 0, T_IN, 9, &d, 1, false);
	window_write(v, (u8)v->cap_bar[CAP_NOTIFY], (u32)(v->notify_addr - v->bar[0]), 2, 0);
	CHECK(vqd_used_idx(&v->q) == before + 1 && *ram(v, STATUS) == 0 &&
	      ram_is(v, DATA, orig + 9 * 512, 512),
	      "a notify through the window");
	window_write(v, (u8)bar, base + DFSEL + 1, 2, 0);
	CHECK(com_read(v, DFSEL, 4) == 1, "a misaligned window access is ignored");
}

static void test_transport(void)
{
	check_group("transport");
	struct vblk *v = vblk_new(new_image(), false, false);
	test_features(v);
	test_queue_registers(v);
	test_before_driver_ok(v);
	CHECK(driver_start(v, F(F_VERSION_1)), "driver start");
	isr_read(v);
	CHECK(read_sectors(v, 0, 1).status == 0 && isr_read(v) == 1, "ISR read after a request: 1");
	CHECK(isr_read(v) == 0, "then 0");
	CHECK(mm_read(v, v->table + 8, 4) == MSI_DATA_QUEUE && mm_read(v, v->table, 8) == MSI_QUEUE &&
	      mm_read(v, v->table + 16 + 12, 4) == 0, "the MSI-X table reads back");
	CHECK(com_read(v, 0x38, 8) == 0 && com_read(v, 0xff8, 8) == 0,
	      "past the common configuration reads 0");
	test_decode(v);
	test_pci_cfg_window(v);
	vblk_free(v);
}

int main(void)
{
	orig = malloc(DISK_BYTES);
	struct rng r;
	rng_seed(&r, 0xb10c);
	rng_fill(&r, orig, DISK_BYTES);
	test_identity();
	test_reads();
	test_writes();
	test_requests();
	test_interrupts();
	test_bad_guests();
	test_transport();
	for (unsigned k = 0; k < npaths; k++)
		unlink(paths[k]);
	free(orig);
	check_group_end();
	return check_summary();
}
