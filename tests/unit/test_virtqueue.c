/*
 * The split virtqueue's device side (encore/hw/virtqueue.h) against rings
 * written here as a driver would: direct and indirect chains, the used
 * ring, interrupt suppression with and without event indices; and every
 * kind of bad ring the guest can make, each breaking the queue with its
 * message, the queue staying broken, and nothing outside guest RAM read.
 */
#include <string.h>

#include "check.h"
#include "encore/guest_mem.h"
#include "encore/hw/virtqueue.h"
#include "encore/le_bytes.h"

#define MIB (1ull << 20)
#define RAM (16 * MIB)
#define DESC 0x10000ull
#define AVAIL 0x11000ull
#define USED 0x12000ull
#define INDIRECT 0x13000ull
#define SIZE 8

static struct encore_machine *m;

static void desc_at(u64 table, unsigned i, u64 addr, u32 len, u16 flags, u16 next)
{
	u8 *p = machine__ram_ptr(m, table + 16ull * i);
	put64(p, addr);
	put32(p + 8, len);
	put16(p + 12, flags);
	put16(p + 14, next);
}

static void desc(unsigned i, u64 addr, u32 len, u16 flags, u16 next)
{
	desc_at(DESC, i, addr, len, flags, next);
}

/* Makes head the driver's next available request. */
static void offer(u16 head)
{
	u8 *a = machine__ram_ptr(m, AVAIL);
	u16 idx = get16(a + 2);
	put16(a + 4 + 2 * (idx % SIZE), head);
	put16(a + 2, (u16)(idx + 1));
}

static void fresh(struct virtq *q, bool indirect_ok, bool event_idx)
{
	memset(machine__ram_ptr(m, DESC), 0, 0x4000);
	CHECK(virtq__setup(q, m, SIZE, DESC, AVAIL, USED, indirect_ok, event_idx) == 0,
	      "setup: %s", q->error);
}

static struct virtq_buf bufs[64];

static int pop(struct virtq *q, struct virtq_req *r)
{
	r->bufs = bufs;
	r->cap = 64;
	return virtq__pop(q, m, r);
}

static void test_chains(void)
{
	check_group("chains");
	struct virtq q;
	struct virtq_req r;
	fresh(&q, true, false);
	CHECK(pop(&q, &r) == 0, "nothing available");
	/* a request: 16 bytes to read, then 512 + 1 to write */
	desc(3, 0x20000, 16, VIRTQ_DESC_F_NEXT, 5);
	desc(5, 0x21000, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0);
	desc(0, 0x22000, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(3);
	CHECK(pop(&q, &r) == 1 && r.head == 3 && r.nbufs == 3 && r.readable == 16 &&
	      r.writable == 513 && !r.bufs[0].write && r.bufs[1].write && r.bufs[2].gpa == 0x22000,
	      "a direct chain: %d bufs, %llu/%llu", (int)r.nbufs, (unsigned long long)r.readable,
	      (unsigned long long)r.writable);
	CHECK(pop(&q, &r) == 0, "and no more");
	/* through an indirect table */
	desc(1, INDIRECT, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	desc_at(INDIRECT, 0, 0x30000, 8, VIRTQ_DESC_F_NEXT, 2);
	desc_at(INDIRECT, 2, 0x31000, 100, VIRTQ_DESC_F_NEXT, 1);
	desc_at(INDIRECT, 1, 0x32000, 4, VIRTQ_DESC_F_WRITE, 0);
	offer(1);
	CHECK(pop(&q, &r) == 1 && r.head == 1 && r.nbufs == 3 && r.readable == 108 &&
	      r.writable == 4, "an indirect chain: %d bufs: %s", (int)r.nbufs, q.error);

	/* the used ring */
	u8 *used = machine__ram_ptr(m, USED);
	CHECK(virtq__push(&q, m, 3, 513) == 0 && virtq__push(&q, m, 1, 4) == 0, "push");
	CHECK(get16(used + 2) == 2 && get32(used + 4) == 3 && get32(used + 8) == 513 &&
	      get32(used + 12) == 1 && get32(used + 16) == 4, "the used ring holds both");
	put16(machine__ram_ptr(m, AVAIL), 0);
	CHECK(virtq__should_interrupt(&q, m, 0), "an interrupt");
	put16(machine__ram_ptr(m, AVAIL), VIRTQ_AVAIL_F_NO_INTERRUPT);
	CHECK(!virtq__should_interrupt(&q, m, 0), "none with NO_INTERRUPT");

	/* event indices: interrupt only when used_event is crossed */
	struct virtq e;
	fresh(&e, false, true);
	u8 *avail = machine__ram_ptr(m, AVAIL);
	put16(avail + 4 + 2 * SIZE, 1);     /* used_event: after the 2nd */
	desc(0, 0x20000, 4, 0, 0);
	offer(0);
	CHECK(pop(&e, &r) == 1 && virtq__push(&e, m, 0, 0) == 0 && !virtq__should_interrupt(&e, m, 0),
	      "used 0 -> 1 does not cross used_event 1");
	offer(0);
	CHECK(pop(&e, &r) == 1 && virtq__push(&e, m, 0, 0) == 0 && virtq__should_interrupt(&e, m, 1),
	      "used 1 -> 2 crosses it");
	CHECK(virtq__want_notify(&e, m) == 0 && get16(used + 4 + 8 * SIZE) == e.last_avail,
	      "avail_event asks for the next request");
}

/* A queue given one bad request breaks with a message containing `what`,
 * and stays broken. */
static void bad(const char *name, bool indirect_ok, void (*make)(void), const char *what)
{
	struct virtq q;
	struct virtq_req r;
	fresh(&q, indirect_ok, false);
	make();
	int rc = pop(&q, &r);
	CHECK(rc == -1 && q.broken && strstr(q.error, what), "%s: %d \"%s\"", name, rc, q.error);
	desc(0, 0x20000, 4, 0, 0);
	offer(0);
	CHECK(pop(&q, &r) == -1, "%s: the queue stays broken", name);
}

static void loop(void)
{
	desc(0, 0x20000, 4, VIRTQ_DESC_F_NEXT, 1);
	desc(1, 0x20000, 4, VIRTQ_DESC_F_NEXT, 0);
	offer(0);
}
static void next_out(void) { desc(0, 0x20000, 4, VIRTQ_DESC_F_NEXT, SIZE); offer(0); }
static void head_out(void) { offer(SIZE + 1); }
static void ahead(void) { put16(machine__ram_ptr(m, AVAIL) + 2, SIZE + 1); }
static void outside(void) { desc(0, RAM - 8, 16, 0, 0); offer(0); }
static void in_hole(void) { desc(0, 0xfee00000, 4, VIRTQ_DESC_F_WRITE, 0); offer(0); }
static void wraps(void) { desc(0, ~0ull - 3, 8, 0, 0); offer(0); }
static void read_after_write(void)
{
	desc(0, 0x20000, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	desc(1, 0x20000, 4, 0, 0);
	offer(0);
}
static void read_after_empty_write(void)
{
	desc(0, 0x20000, 0, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	desc(1, 0x20000, 4, 0, 0);
	offer(0);
}
static void indirect(void) { desc(0, INDIRECT, 16, VIRTQ_DESC_F_INDIRECT, 0); offer(0); }
static void nested(void)
{
	desc(0, INDIRECT, 16, VIRTQ_DESC_F_INDIRECT, 0);
	desc_at(INDIRECT, 0, INDIRECT, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
}
static void indirect_next(void)
{
	desc(0, INDIRECT, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	offer(0);
}
static void indirect_len(void) { desc(0, INDIRECT, 20, VIRTQ_DESC_F_INDIRECT, 0); offer(0); }
static void indirect_outside(void) { desc(0, RAM - 16, 32, VIRTQ_DESC_F_INDIRECT, 0); offer(0); }
static void indirect_loop(void)
{
	desc(0, INDIRECT, 32, VIRTQ_DESC_F_INDIRECT, 0);
	desc_at(INDIRECT, 0, 0x20000, 4, VIRTQ_DESC_F_NEXT, 1);
	desc_at(INDIRECT, 1, 0x20000, 4, VIRTQ_DESC_F_NEXT, 0);
	offer(0);
}
static void too_many(void)
{
	desc(0, INDIRECT, 16 * 100, VIRTQ_DESC_F_INDIRECT, 0);
	for (unsigned i = 0; i < 100; i++)
		desc_at(INDIRECT, i, 0x20000, 4, i < 99 ? VIRTQ_DESC_F_NEXT : 0, (u16)(i + 1));
	offer(0);
}

static void test_bad_rings(void)
{
	check_group("bad rings");
	bad("a loop", true, loop, "a loop");
	bad("next out of the table", true, next_out, "next descriptor 8 of a table of 8");
	bad("head out of the queue", true, head_out, "request head 9");
	bad("available index too far", true, ahead, "ran 9 entries ahead");
	bad("a buffer past RAM", true, outside, "not in guest RAM");
	bad("a buffer in the hole", true, in_hole, "not in guest RAM");
	bad("a buffer around 2^64", true, wraps, "not in guest RAM");
	bad("readable after writable", true, read_after_write, "device-readable buffer after");
	bad("readable after an empty writable", true, read_after_empty_write,
	    "device-readable buffer after");
	bad("indirect not negotiated", false, indirect, "not negotiated");
	bad("nested indirect", true, nested, "inside another");
	bad("indirect with next", true, indirect_next, "with a next one");
	bad("indirect table length", true, indirect_len, "table of 20 bytes");
	bad("indirect table past RAM", true, indirect_outside, "not in guest RAM");
	bad("a loop in an indirect table", true, indirect_loop, "a loop");
	bad("more buffers than the caller holds", true, too_many, "more than 64 buffers");

	struct virtq q;
	CHECK(virtq__setup(&q, m, 6, DESC, AVAIL, USED, true, true) == -1 &&
	      strstr(q.error, "not a power of 2"), "size 6: %s", q.error);
	CHECK(virtq__setup(&q, m, 0, DESC, AVAIL, USED, true, true) == -1, "size 0");
	CHECK(virtq__setup(&q, m, SIZE, DESC + 8, AVAIL, USED, true, true) == -1 &&
	      strstr(q.error, "misaligned"), "misaligned descriptors: %s", q.error);
	CHECK(virtq__setup(&q, m, SIZE, DESC, AVAIL, RAM - 16, true, true) == -1 &&
	      strstr(q.error, "outside guest RAM"), "used ring past RAM: %s", q.error);
	CHECK(virtq__setup(&q, m, 32768, RAM - 0x80000, AVAIL, USED, true, true) == 0,
	      "a descriptor table of 32768 ending with RAM: %s", q.error);
	CHECK(virtq__setup(&q, m, 32768, RAM - 0x7fff0, AVAIL, USED, true, true) == -1,
	      "a descriptor table of 32768 running past RAM");
}

int main(void)
{
	m = machine__create(&arch_x86_64, RAM, 1);
	test_chains();
	test_bad_rings();
	machine__destroy(m);
	check_group_end();
	return check_summary();
}
