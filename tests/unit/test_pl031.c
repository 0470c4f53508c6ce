/*
 * The PL031 model on a machine with no engine: the PrimeCell IDs the AMBA
 * bus matches, reset values, the count advancing from the boot epoch with
 * virtual time, RTCCR that cannot stop it, RTCLR, the match interrupt at
 * the exact ns the count reaches RTCMR, mask and clear, the line seen
 * through a fake router, access sizes, and a checkpoint restored into a
 * second machine.
 */
#include <string.h>

#include "check.h"
#include "encore/arch.h"
#include "arch/arm64/hw/pl031.h"

#define BASE 0x09010000ull
#define IRQ 2
#define EPOCH 1700000000ll /* 2023-11-14 22:13:20 UTC */
#define SEC 1000000000ull

struct bench {
	struct encore_machine *m;
	struct pl031 *p;
	bool level;
	unsigned raises, lowers, other_lines;
};

static void record_irq(void *opaque, unsigned line, bool level)
{
	struct bench *b = opaque;
	if (line != IRQ) {
		b->other_lines++;
		return;
	}
	b->level = level;
	if (level)
		b->raises++;
	else
		b->lowers++;
}

static void bench_init_epoch(struct bench *b, i64 epoch)
{
	memset(b, 0, sizeof(*b));
	b->m = machine__create(&arch_x86_64, 1 << 20, 1);
	b->m->irq = (struct irq_router){ record_irq, b };
	b->p = pl031__create(b->m, BASE, IRQ, epoch);
}

static void bench_init(struct bench *b)
{
	bench_init_epoch(b, EPOCH);
}

static void bench_fini(struct bench *b)
{
	machine__destroy(b->m);
}

static u32 rd(struct bench *b, unsigned off)
{
	u32 v = 0;
	bus__access(&b->m->mmio, NULL, BASE + off, (u8 *)&v, 4, false);
	return v;
}

static void wr(struct bench *b, unsigned off, u32 v)
{
	bus__access(&b->m->mmio, NULL, BASE + off, (u8 *)&v, 4, true);
}

/* Advance virtual time to `t` ns and fire what is due. */
static void at(struct bench *b, u64 t)
{
	b->m->idle_ns = t;
	machine__fire_timers(b->m);
}

static void test_ids(void)
{
	check_group("ids");
	struct bench b;
	bench_init(&b);
	static const u8 id[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
	u32 periph = 0, cell = 0;
	for (unsigned k = 0; k < 8; k++) {
		u32 v = rd(&b, PL031_PERIPH_ID0 + 4 * k);
		CHECK(v == id[k], "ID word %u: %#x, want %#x", k, v, id[k]);
		if (k < 4)
			periph |= v << (8 * k);
		else
			cell |= v << (8 * (k - 4));
	}
	CHECK(periph == PL031_PERIPH_ID && cell == PL031_CELL_ID, "periph %#x cell %#x", periph, cell);
	CHECK((periph & 0x000fffff) == 0x00041031, "Linux's AMBA match (0x00041031 under 0x000fffff)");
	wr(&b, PL031_PERIPH_ID0, 0xff);
	CHECK(rd(&b, PL031_PERIPH_ID0) == 0x31, "IDs are read-only");
	bench_fini(&b);
}

static void test_reset(void)
{
	check_group("reset");
	struct bench b;
	bench_init(&b);
	CHECK(rd(&b, PL031_DR) == (u32)EPOCH, "DR is the epoch at boot: %u", rd(&b, PL031_DR));
	CHECK(rd(&b, PL031_MR) == 0 && rd(&b, PL031_LR) == 0, "MR, LR 0");
	CHECK(rd(&b, PL031_CR) == 1, "started: CR %#x", rd(&b, PL031_CR));
	CHECK(rd(&b, PL031_IMSC) == 0 && rd(&b, PL031_RIS) == 0 && rd(&b, PL031_MIS) == 0, "no interrupt");
	CHECK(rd(&b, PL031_ICR) == 0 && rd(&b, 0x020) == 0 && rd(&b, 0xfdc) == 0, "ICR, reserved read 0");
	CHECK(!b.level && b.raises == 0, "line low");
	bench_fini(&b);
}

/* epoch + whole virtual seconds; the host clock plays no part. */
static void test_count(void)
{
	check_group("count");
	struct bench b;
	bench_init(&b);
	at(&b, SEC - 1);
	CHECK(rd(&b, PL031_DR) == (u32)EPOCH, "1 ns before the first second");
	at(&b, SEC);
	CHECK(rd(&b, PL031_DR) == (u32)EPOCH + 1, "at 1 s: %u", rd(&b, PL031_DR));
	at(&b, 3 * SEC + SEC / 2);
	CHECK(rd(&b, PL031_DR) == (u32)EPOCH + 3, "at 3.5 s");
	at(&b, 86400 * SEC);
	CHECK(rd(&b, PL031_DR) == (u32)EPOCH + 86400, "a day later");
	wr(&b, PL031_DR, 5);
	CHECK(rd(&b, PL031_DR) == (u32)EPOCH + 86400, "DR is read-only");

	/* Writing 1 changes nothing; writing 0 cannot stop it. */
	wr(&b, PL031_CR, 0);
	CHECK(rd(&b, PL031_CR) == 1, "CR still reads 1 after writing 0");
	at(&b, 86401 * SEC);
	CHECK(rd(&b, PL031_DR) == (u32)EPOCH + 86401, "still counting");
	wr(&b, PL031_CR, 1);
	CHECK(rd(&b, PL031_DR) == (u32)EPOCH + 86401 && rd(&b, PL031_CR) == 1, "writing 1: no change");
	bench_fini(&b);

	/* The epoch is taken modulo 2^32. */
	bench_init_epoch(&b, (1ll << 32) + 7);
	CHECK(rd(&b, PL031_DR) == 7, "epoch 2^32 + 7 reads 7");
	bench_fini(&b);
	bench_init_epoch(&b, 0xffffffffll);
	at(&b, SEC);
	CHECK(rd(&b, PL031_DR) == 0, "the count wraps to 0");
	bench_fini(&b);
}

/* RTCLR: the loaded value plus the seconds since the write. */
static void test_load(void)
{
	check_group("load");
	struct bench b;
	bench_init(&b);
	at(&b, 2 * SEC + 300000000);
	wr(&b, PL031_LR, 1000);
	CHECK(rd(&b, PL031_DR) == 1000 && rd(&b, PL031_LR) == 1000, "loaded: DR, LR 1000");
	at(&b, 3 * SEC + 300000000 - 1);
	CHECK(rd(&b, PL031_DR) == 1000, "its second starts at the write");
	at(&b, 3 * SEC + 300000000);
	CHECK(rd(&b, PL031_DR) == 1001, "one s after the write: 1001");
	at(&b, 10 * SEC);
	wr(&b, PL031_LR, 0xfffffffe);
	at(&b, 12 * SEC);
	CHECK(rd(&b, PL031_DR) == 0 && rd(&b, PL031_LR) == 0xfffffffe, "loaded near the top, wrapped");
	bench_fini(&b);
}

/* The match interrupt at exactly the ns the count ticks to RTCMR. */
static void test_match(void)
{
	check_group("match");
	struct bench b;
	bench_init(&b);
	at(&b, SEC / 4);
	wr(&b, PL031_MR, (u32)EPOCH + 5);
	CHECK(rd(&b, PL031_RIS) == 0, "not yet");
	at(&b, 5 * SEC - 1);
	CHECK(rd(&b, PL031_RIS) == 0 && rd(&b, PL031_DR) == (u32)EPOCH + 4, "not a ns early");
	at(&b, 5 * SEC);
	CHECK(rd(&b, PL031_RIS) == 1 && rd(&b, PL031_DR) == (u32)EPOCH + 5, "RIS when the count reaches MR");
	CHECK(rd(&b, PL031_MIS) == 0 && !b.level, "masked: MIS 0, line low");
	wr(&b, PL031_ICR, 0);
	CHECK(rd(&b, PL031_RIS) == 1, "ICR 0 clears nothing");
	wr(&b, PL031_ICR, 1);
	CHECK(rd(&b, PL031_RIS) == 0, "ICR 1 clears it");
	at(&b, 60 * SEC);
	CHECK(rd(&b, PL031_RIS) == 0, "no second match while the count runs past MR");

	/* After an RTCLR write, at the loaded value's seconds. */
	u64 t = 70 * SEC + 300000000;
	at(&b, t);
	wr(&b, PL031_LR, 100);
	wr(&b, PL031_MR, 103);
	at(&b, t + 3 * SEC - 1);
	CHECK(rd(&b, PL031_RIS) == 0, "after a load: not a ns early");
	at(&b, t + 3 * SEC);
	CHECK(rd(&b, PL031_RIS) == 1, "after a load: at load + 3 s");
	wr(&b, PL031_ICR, 1);

	/* A load that moves the match point re-times it. */
	at(&b, 80 * SEC);
	wr(&b, PL031_MR, 500);
	wr(&b, PL031_LR, 490);
	wr(&b, PL031_LR, 495);
	at(&b, 85 * SEC - 1);
	CHECK(rd(&b, PL031_RIS) == 0, "re-timed: not yet");
	at(&b, 85 * SEC);
	CHECK(rd(&b, PL031_RIS) == 1, "re-timed by the second load");
	wr(&b, PL031_ICR, 1);

	/* Loading the match value, or matching the current count, sets RIS. */
	wr(&b, PL031_LR, 500);
	CHECK(rd(&b, PL031_RIS) == 1, "RTCLR to the MR value: match at once");
	wr(&b, PL031_ICR, 1);
	wr(&b, PL031_MR, rd(&b, PL031_DR));
	CHECK(rd(&b, PL031_RIS) == 1, "RTCMR of the current count: match at once");
	wr(&b, PL031_ICR, 1);

	/* Across the wrap of the 32-bit count. */
	at(&b, 90 * SEC);
	wr(&b, PL031_LR, 0xfffffffe);
	wr(&b, PL031_MR, 1);
	at(&b, 93 * SEC - 1);
	CHECK(rd(&b, PL031_RIS) == 0, "wrap: not yet");
	at(&b, 93 * SEC);
	CHECK(rd(&b, PL031_RIS) == 1 && rd(&b, PL031_DR) == 1, "wrap: 3 s on");
	bench_fini(&b);
}

/* A due match is seen by a register read before its timer runs. */
static void test_catch_up(void)
{
	check_group("catch-up");
	struct bench b;
	bench_init(&b);
	wr(&b, PL031_MR, (u32)EPOCH + 2);
	wr(&b, PL031_IMSC, 1);
	CHECK(machine__next_deadline(b.m) == 2 * SEC, "timer at 2 s: %llu",
	      (unsigned long long)machine__next_deadline(b.m));
	b.m->idle_ns = 2 * SEC; /* the timer has not run */
	CHECK(rd(&b, PL031_RIS) == 1 && b.level, "the read catches it up");
	CHECK(machine__fire_timers(b.m) == 0, "and the timer does not fire again");
	CHECK(b.raises == 1, "one raise");
	bench_fini(&b);
}

/* The level line = RIS & IMSC, through the board's router. */
static void test_line(void)
{
	check_group("line");
	struct bench b;
	bench_init(&b);
	wr(&b, PL031_IMSC, 0xff);
	CHECK(rd(&b, PL031_IMSC) == 1, "IMSC has one bit");
	CHECK(!b.level && b.raises == 0, "unmasked, nothing raw: low");
	wr(&b, PL031_MR, (u32)EPOCH + 1);
	at(&b, SEC);
	CHECK(b.level && b.raises == 1 && rd(&b, PL031_MIS) == 1, "match raises");
	wr(&b, PL031_IMSC, 0);
	CHECK(!b.level && b.lowers == 1 && rd(&b, PL031_RIS) == 1, "masking lowers; RIS stays");
	wr(&b, PL031_IMSC, 1);
	CHECK(b.level && b.raises == 2, "unmasking raises again");
	wr(&b, PL031_RIS, 0);
	wr(&b, PL031_MIS, 0);
	CHECK(b.level && rd(&b, PL031_RIS) == 1, "RIS, MIS are read-only");
	wr(&b, PL031_ICR, 0xffffffff);
	CHECK(!b.level && b.lowers == 2, "ICR lowers");
	wr(&b, PL031_IMSC, 1);
	CHECK(b.raises == 2 && b.lowers == 2, "no change, no edge");
	CHECK(b.other_lines == 0, "only line %u is driven", IRQ);
	bench_fini(&b);
}

/* Reads of any size return the bytes of the words they cover; writes
 * must start a word and are zero-extended, others are ignored. */
static void test_access_sizes(void)
{
	check_group("access-sizes");
	struct bench b;
	bench_init(&b);
	u32 now = (u32)EPOCH;
	u8 v8 = 0;
	for (unsigned k = 0; k < 4; k++) {
		bus__access(&b.m->mmio, NULL, BASE + PL031_DR + k, &v8, 1, false);
		CHECK(v8 == (u8)(now >> (8 * k)), "readb DR+%u: %#x", k, v8);
	}
	u16 v16 = 0;
	bus__access(&b.m->mmio, NULL, BASE + PL031_DR + 2, (u8 *)&v16, 2, false);
	CHECK(v16 == (u16)(now >> 16), "readw DR+2: %#x", v16);
	wr(&b, PL031_MR, 0x12345678);
	v8 = 0xff;
	bus__access(&b.m->mmio, NULL, BASE + PL031_MR + 1, &v8, 1, true);
	CHECK(rd(&b, PL031_MR) == 0x12345678, "a write not at the word's first byte is ignored");
	v8 = 0xab;
	bus__access(&b.m->mmio, NULL, BASE + PL031_MR, &v8, 1, true);
	CHECK(rd(&b, PL031_MR) == 0xab, "writeb zero-extends: %#x", rd(&b, PL031_MR));
	v16 = 0x0001;
	bus__access(&b.m->mmio, NULL, BASE + PL031_IMSC, (u8 *)&v16, 2, true);
	CHECK(rd(&b, PL031_IMSC) == 1, "writew IMSC");
	u64 both = 0;
	bus__access(&b.m->mmio, NULL, BASE + PL031_DR, (u8 *)&both, 8, false);
	CHECK(both == ((u64)0xab << 32 | now), "an 8-byte read covers DR and MR: %#llx",
	      (unsigned long long)both);
	u8 cid = 0;
	bus__access(&b.m->mmio, NULL, BASE + 0xffc, &cid, 1, false);
	CHECK(cid == 0xb1, "readb PCellID3");
	u32 all = 0;
	bus__access(&b.m->mmio, NULL, BASE + PL031_SIZE, (u8 *)&all, 4, false);
	CHECK(all == 0xffffffff, "the window ends at PL031_SIZE");
	bench_fini(&b);
}

static void dump(struct bench *b, u32 *out)
{
	static const unsigned offs[] = { PL031_DR, PL031_MR, PL031_LR, PL031_CR,
					 PL031_IMSC, PL031_RIS, PL031_MIS };
	for (unsigned k = 0; k < ARRAY_SIZE(offs); k++)
		out[k] = rd(b, offs[k]);
}

static void test_checkpoint(void)
{
	check_group("checkpoint");
	struct bench a, b;
	bench_init(&a);
	bench_init_epoch(&b, 42); /* a different epoch: the state carries the count */
	at(&a, 3 * SEC + 700);
	wr(&a, PL031_LR, 5000);
	wr(&a, PL031_MR, 5010);
	wr(&a, PL031_IMSC, 1);
	at(&a, 7 * SEC);

	struct device *da = machine__find_device(a.m, "pl031");
	struct device *db = machine__find_device(b.m, "pl031");
	CHECK(da && db && da->state_size == sizeof(struct pl031_state) && db->state_size == da->state_size &&
	      da->version == db->version, "same plain state");
	u8 saved[sizeof(struct pl031_state)];
	memcpy(saved, da->state, sizeof(saved));
	b.m->idle_ns = a.m->idle_ns;
	device__restore(db, saved);
	CHECK(!b.level && b.lowers == 1, "restored re-drives the (low) line");
	CHECK(!memcmp(da->state, db->state, sizeof(saved)), "state bytes equal");
	u32 ra[7], rb[7];
	dump(&a, ra);
	dump(&b, rb);
	CHECK(!memcmp(ra, rb, sizeof(ra)), "registers equal (DR %u vs %u)", ra[0], rb[0]);
	CHECK(machine__next_deadline(b.m) == 13 * SEC + 700, "the copy's match timer: %llu",
	      (unsigned long long)machine__next_deadline(b.m));

	at(&a, 13 * SEC + 700);
	at(&b, 13 * SEC + 699);
	CHECK(a.level && !b.level, "not yet in the copy");
	at(&b, 13 * SEC + 700);
	CHECK(b.level && rd(&b, PL031_DR) == 5010, "the copy matches at the same ns");
	CHECK(rd(&a, PL031_RIS) == rd(&b, PL031_RIS), "same RIS");

	/* A raised line is raised again on restore. */
	unsigned r0 = b.raises;
	memcpy(saved, da->state, sizeof(saved));
	device__restore(db, saved);
	CHECK(b.level && b.raises == r0 + 1, "restored raises a raised line");
	bench_fini(&a);
	bench_fini(&b);
}

static void test_create(void)
{
	check_group("create");
	struct bench b;
	bench_init(&b);
	CHECK(b.p != NULL, "created");
	CHECK(pl031__create(b.m, BASE, IRQ, 0) == NULL, "a second RTC on the same range fails");
	bench_fini(&b);
}

int main(void)
{
	test_ids();
	test_reset();
	test_count();
	test_load();
	test_match();
	test_catch_up();
	test_line();
	test_access_sizes();
	test_checkpoint();
	test_create();
	check_group_end();
	return check_summary();
}
