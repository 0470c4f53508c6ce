/*
 * Writes the seeds of fuzz_virtio_mmio (corpus/virtio_mmio/): a virtio
 * disk on the MMIO transport driven through requests that work, that
 * break a queue, and through the registers alone.  The input format is
 * fuzz_virtio_mmio.c's.  tests/fuzz/make-corpus.sh builds and runs it:
 *
 *   make-virtio-mmio-seeds DIR
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "encore/le_bytes.h"

#define MAX_ACCESSES 48
#define RAM_BYTES 0x10000

/* The harness's rings, and where the seeds put the rest. */
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define HDR 0x4000
#define DATA 0x5000
#define STATUS_BYTE 0x6000
#define TABLE 0x7000       /* an indirect table */
#define DESC2 0x8000       /* a second set of rings */
#define AVAIL2 0x9000
#define USED2 0xa000
#define OUTSIDE 0x200000   /* past the harness's 1 MiB of RAM */

/* Flags of byte 0 */
#define INDIRECT 1
#define EVENT_IDX 2
#define NO_SETUP 4
#define NO_VERSION_1 8

/* Access kinds */
#define READ 0
#define WRITE 1
#define WRITE_NOTIFY 3

/* virtio-mmio registers (virtio spec 1.2, 4.2.2) */
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

#define D_NEXT 1u
#define D_WRITE 2u
#define D_INDIRECT 4u
#define T_IN 0u
#define T_OUT 1u
#define T_GET_ID 8u

static struct {
	u8 head[4];
	u8 accesses[MAX_ACCESSES][8];
	unsigned naccesses;
	u8 ram[RAM_BYTES];
	size_t ram_used;
} s;
static const char *dir;

static void start(u8 flags, u16 qsize)
{
	memset(&s, 0, sizeof(s));
	s.head[0] = flags;
	put16(s.head + 1, qsize);
}

static void reg_access(u8 kind, u16 off, u8 len, u32 value)
{
	if (s.naccesses == MAX_ACCESSES) {
		fprintf(stderr, "make-virtio-mmio-seeds: more than %d accesses\n", MAX_ACCESSES);
		exit(1);
	}
	u8 *a = s.accesses[s.naccesses++];
	a[0] = kind;
	put16(a + 1, off);
	a[3] = len;
	put32(a + 4, value);
}

static void wr(u16 reg, u32 value)
{
	reg_access(WRITE, reg, 4, value);
}

static void rd(u16 reg)
{
	reg_access(READ, reg, 4, 0);
}

static u8 *ram(u64 at, size_t n)
{
	if (at + n > s.ram_used)
		s.ram_used = at + n;
	return s.ram + at;
}

static void save(const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	s.head[3] = (u8)s.naccesses;
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(s.head, 1, 4, f) != 4 ||
	    fwrite(s.accesses, 8, s.naccesses, f) != s.naccesses ||
	    fwrite(s.ram, 1, s.ram_used, f) != s.ram_used || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void desc(u64 table, unsigned i, u64 addr, u32 len, u16 flags, u16 next)
{
	u8 *p = ram(table + 16ull * i, 16);
	put64(p, addr);
	put32(p + 8, len);
	put16(p + 12, flags);
	put16(p + 14, next);
}

/* Entry `slot` of the available ring at `avail` is `head`; idx = slot + 1. */
static void offer(u64 avail, u16 slot, u16 head)
{
	put16(ram(avail + 4 + 2ull * slot, 2), head);
	put16(ram(avail + 2, 2), (u16)(slot + 1));
}

/* A request header at HDR + 16 * k. */
static u64 header(unsigned k, u32 type, u64 sector)
{
	u8 *h = ram(HDR + 16ull * k, 16);
	put32(h, type);
	put64(h + 8, sector);
	return HDR + 16ull * k;
}

/* Header k, one data buffer, status byte k, from descriptor `first` of
 * the table at `table`. */
static void chain(u64 table, unsigned first, unsigned k, u32 type, u64 sector, u64 data,
		  u32 len)
{
	desc(table, first, header(k, type, sector), 16, D_NEXT, (u16)(first + 1));
	desc(table, first + 1, data, len, (u16)(D_NEXT | (type == T_OUT ? 0 : D_WRITE)),
	     (u16)(first + 2));
	desc(table, first + 2, STATUS_BYTE + k, 1, D_WRITE, 0);
}

/* Status through FEATURES_OK with `features`, as a driver writes it. */
static void negotiate(u64 features)
{
	wr(STATUS, 0);
	wr(STATUS, 1);
	wr(STATUS, 3);
	wr(DRIVER_FEATURES_SEL, 0);
	wr(DRIVER_FEATURES, (u32)features);
	wr(DRIVER_FEATURES_SEL, 1);
	wr(DRIVER_FEATURES, (u32)(features >> 32));
	wr(STATUS, 0x0b);
}

/* Queue 0 at the given rings, ready. */
static void queue(u16 size, u32 d, u32 a, u32 u)
{
	wr(QUEUE_SEL, 0);
	rd(QUEUE_READY);
	rd(QUEUE_NUM_MAX);
	wr(QUEUE_NUM, size);
	wr(QUEUE_DESC_LOW, d);
	wr(QUEUE_DESC_HIGH, 0);
	wr(QUEUE_DRIVER_LOW, a);
	wr(QUEUE_DRIVER_HIGH, 0);
	wr(QUEUE_DEVICE_LOW, u);
	wr(QUEUE_DEVICE_HIGH, 0);
	wr(QUEUE_READY, 1);
}

static void seed_read(void)
{
	start(0, 16);
	chain(DESC, 0, 0, T_IN, 0, DATA, 512);
	offer(AVAIL, 0, 0);
	save("read");
}

static void seed_write_read_eventidx(void)
{
	start(EVENT_IDX, 16);
	for (unsigned k = 0; k < 512; k++)
		*ram(DATA + k, 1) = (u8)k;
	chain(DESC, 0, 0, T_OUT, 3, DATA, 512);
	chain(DESC, 3, 1, T_IN, 3, DATA + 0x200, 512);
	offer(AVAIL, 0, 0);
	offer(AVAIL, 1, 3);
	put16(ram(AVAIL + 4 + 2 * 16, 2), 1);            /* used_event: after entry 1 */
	rd(INTERRUPT_STATUS);
	wr(INTERRUPT_ACK, 1);
	save("write-read-eventidx");
}

static void seed_indirect_getid(void)
{
	start(INDIRECT, 16);
	desc(TABLE, 0, header(0, T_GET_ID, 0), 16, D_NEXT, 1);
	desc(TABLE, 1, DATA, 20, D_WRITE | D_NEXT, 2);
	desc(TABLE, 2, STATUS_BYTE, 1, D_WRITE, 0);
	desc(DESC, 0, TABLE, 48, D_INDIRECT, 0);
	offer(AVAIL, 0, 0);
	save("indirect-getid");
}

/* A buffer outside RAM breaks the queue; the driver acknowledges,
 * resets and sets the device up again on other rings. */
static void seed_outside_ram_reset(void)
{
	start(0, 16);
	chain(DESC, 0, 0, T_IN, 0, OUTSIDE, 512);
	offer(AVAIL, 0, 0);
	reg_access(WRITE_NOTIFY, QUEUE_NOTIFY, 4, 0);
	rd(STATUS);
	rd(INTERRUPT_STATUS);
	wr(INTERRUPT_ACK, 2);
	negotiate(1ull << 32);
	queue(16, DESC2, AVAIL2, USED2);
	wr(STATUS, 0x0f);
	chain(DESC2, 0, 1, T_IN, 1, DATA, 512);
	offer(AVAIL2, 0, 0);
	reg_access(WRITE_NOTIFY, INTERRUPT_ACK, 4, 0);
	save("outside-ram-reset");
}

/* Every register read, and accesses of other widths. */
static void seed_registers(void)
{
	start(NO_SETUP, 16);
	const u16 regs[] = { MAGIC_VALUE, VERSION, DEVICE_ID, VENDOR_ID, DEVICE_FEATURES,
			     QUEUE_NUM_MAX, QUEUE_READY, INTERRUPT_STATUS, STATUS, SHM_LEN_LOW,
			     SHM_LEN_HIGH, SHM_BASE_LOW, SHM_BASE_HIGH, QUEUE_RESET,
			     CONFIG_GENERATION, CONFIG, CONFIG + 4, CONFIG + 0x14, 0x0f8 };
	for (unsigned k = 0; k < sizeof(regs) / sizeof(regs[0]); k++)
		rd(regs[k]);
	wr(DEVICE_FEATURES_SEL, 1);
	rd(DEVICE_FEATURES);
	wr(DEVICE_FEATURES_SEL, 2);
	rd(DEVICE_FEATURES);
	wr(QUEUE_SEL, 1);
	rd(QUEUE_NUM_MAX);
	wr(SHM_SEL, 0);
	wr(QUEUE_RESET, 1);
	reg_access(READ, MAGIC_VALUE, 1, 0);
	reg_access(READ, MAGIC_VALUE + 2, 2, 0);
	reg_access(READ, VERSION + 1, 4, 0);
	reg_access(READ, CONFIG, 8, 0);
	reg_access(READ, CONFIG + 1, 1, 0);
	reg_access(READ, CONFIG + 0x3a, 4, 0);                /* across the configuration's end */
	reg_access(READ, 0x1fc, 8, 0);                        /* across the slot's end */
	reg_access(WRITE, STATUS, 1, 1);
	reg_access(WRITE, STATUS, 8, 1);
	reg_access(WRITE, CONFIG, 4, 0x1234);
	wr(CONFIG_GENERATION, 5);
	wr(MAGIC_VALUE, 0);
	save("registers");
}

/* The driver's whole set-up in the accesses: FEATURES_OK refused without
 * VERSION_1, a queue size refused, then a request. */
static void seed_driver_by_hand(void)
{
	start(NO_SETUP, 16);
	negotiate(1u << 28);
	rd(STATUS);
	negotiate(1ull << 32 | 1u << 28);
	wr(QUEUE_NUM, 12);
	queue(8, DESC, AVAIL, USED);
	wr(STATUS, 0x0f);
	chain(DESC, 0, 0, T_IN, 2, DATA, 1024);
	offer(AVAIL, 0, 0);
	reg_access(WRITE_NOTIFY, QUEUE_NOTIFY, 4, 0);
	rd(INTERRUPT_STATUS);
	wr(INTERRUPT_ACK, 3);
	save("driver-by-hand");
}

/* QueueReady 0 stops the queue; other rings, ready again. */
static void seed_queue_ready_0(void)
{
	start(0, 16);
	chain(DESC2, 0, 0, T_IN, 4, DATA, 512);
	offer(AVAIL2, 0, 0);
	wr(QUEUE_READY, 0);
	rd(QUEUE_READY);
	wr(QUEUE_DESC_LOW, DESC2);
	wr(QUEUE_DRIVER_LOW, AVAIL2);
	wr(QUEUE_DEVICE_LOW, USED2);
	wr(QUEUE_READY, 1);
	save("queue-ready-0");
}

/* FEATURES_OK refused (no VERSION_1), the driver going on regardless. */
static void seed_no_version_1(void)
{
	start(NO_VERSION_1 | INDIRECT, 16);
	chain(DESC, 0, 0, T_IN, 0, DATA, 512);
	offer(AVAIL, 0, 0);
	rd(STATUS);
	save("no-version-1");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make-virtio-mmio-seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	seed_read();
	seed_write_read_eventidx();
	seed_indirect_getid();
	seed_outside_ram_reset();
	seed_registers();
	seed_driver_by_hand();
	seed_queue_ready_0();
	seed_no_version_1();
	return 0;
}
