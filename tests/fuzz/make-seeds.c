/*
 * Writes the hand-made events.log seeds of the fuzz corpus (hand-*):
 * small logs that exercise each rule of the reader, most of them broken
 * in one way but with every checksum right, which the recorder never
 * writes.  tests/fuzz/make-corpus.sh builds and runs it:
 *
 *   make-seeds DIR
 */
#include <stdio.h>
#include <stdlib.h>

#include "encore/machine.h"
#include "log_craft.h"

#define ID 0x0123456789abcdefull

static struct {
	u8 d[1 << 16];
	size_t n;
} img;                 /* the file being made */
static struct {
	u8 raw[1 << 16];
	size_t n;
	u32 count;
} evs;                 /* the events of the next block */
static const char *dir;

static void start(void)
{
	craft_header(img.d, RR_LOG_VERSION, ID);
	img.n = LOG_HEADER_SIZE;
	evs.n = evs.count = 0;
}

static void save(const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(img.d, 1, img.n, f) != img.n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void event(u8 kind, u16 len, u64 insns, u32 seq, const u8 *body)
{
	struct rr_landmark at = { insns, 0, seq };
	craft_event(evs.raw, &evs.n, kind, len, &at, body);
	evs.count++;
}

/* The pending events as block `index`, complete through `insns`. */
static size_t block(u32 index, u64 insns)
{
	struct rr_landmark through = { insns, 0, 0 };
	size_t at = img.n;
	img.n += craft_block(img.d + img.n, sizeof(img.d) - img.n, index, evs.raw, evs.n,
			     evs.count, &through);
	evs.n = evs.count = 0;
	return at;
}

static void boot(void)
{
	u8 b[8];
	put64(b, 1700000000);
	event(RR_EV_BOOT_TIME, 8, 0, 0, b);
}

static void checkpoint(u32 index, u64 insns)
{
	u8 b[20];
	put32(b, index);
	put64(b + 4, 0x1122334455667788ull);
	put64(b + 12, 42);
	event(RR_EV_CHECKPOINT, 20, insns, 0, b);
}

static void input(u64 insns, u32 seq, u16 len)
{
	u8 b[256];
	for (unsigned k = 0; k < len; k++)
		b[k] = (u8)('a' + k % 26);
	event(RR_EV_INPUT, len, insns, seq, b);
}

static void idle(u64 insns, u64 gap, u64 skipped)
{
	u8 b[16];
	put64(b, gap);
	put64(b + 8, skipped);
	event(RR_EV_IDLE, 16, insns, 0, b);
}

static void pace(u64 insns, u64 ns)
{
	u8 b[8];
	put64(b, ns);
	event(RR_EV_PACE, 8, insns, 0, b);
}

static void stop(u64 insns, u32 status)
{
	u8 b[4];
	put32(b, status);
	event(RR_EV_STOP, 4, insns, 0, b);
}

static void end(u64 insns, u32 outcome, u32 status)
{
	u8 b[24];
	put32(b, outcome);
	put32(b + 4, status);
	put64(b + 8, 0x8877665544332211ull);
	put64(b + 16, 42);
	event(RR_EV_END, 24, insns, 0, b);
}

static void header_cases(void)
{
	img.n = 0;
	save("hand-empty");
	memcpy(img.d, RR_LOG_MAGIC, 8);
	img.n = 8;
	save("hand-magic-only");
	start();
	img.n = 20;
	save("hand-header-cut");
	start();
	save("hand-header-only");
	img.d[7] = 'X';
	craft_fix_checksums(img.d, img.n);
	save("hand-bad-magic");
	craft_header(img.d, RR_LOG_VERSION + 1, ID);
	save("hand-version-2");
	start();
	put32(img.d + 12, 64);
	craft_fix_checksums(img.d, img.n);
	save("hand-header-size");
	start();
	img.d[16] ^= 1;
	save("hand-header-checksum");
}

/* Logs the reader must accept, whole or cut short. */
static void good_cases(void)
{
	start();
	boot();
	end(100, 3, 0);
	block(0, 100);
	save("hand-minimal");

	start();
	boot();
	checkpoint(0, 0);
	input(1000, 0, 1);
	input(2000, 1, RR_INPUT_MAX);
	block(0, 2500);
	idle(3000, 500, 100);
	pace(4000, 1000);
	input(4000, 1, 3);
	stop(5000, 130);
	checkpoint(1, 6000);
	block(1, 6000);
	end(7000, 0, 130);
	block(2, 7000);
	save("hand-all-kinds");
	img.n -= 10;
	save("hand-torn-mid-block");

	start();
	boot();
	checkpoint(0, 0);
	block(0, 10);
	block(1, 10);
	checkpoint(1, 20);
	block(2, 30);
	save("hand-no-end-empty-block");
	memcpy(img.d + img.n, img.d + LOG_HEADER_SIZE, 20);
	img.n += 20;
	save("hand-torn-header");
	img.n -= 17;
	save("hand-torn-magic");

	/* Every number at its limit: a boot time before 1970, landmarks and
	 * statuses at their maximum. */
	start();
	u8 b[8];
	put64(b, 1ull << 63);
	event(RR_EV_BOOT_TIME, 8, 0, ~0u, b);
	input(~0ull - 1, ~0u, 1);
	pace(~0ull, 1ull << 63);
	end(~0ull, 6, 0x80000000u);
	put64(evs.raw + evs.n - 24 - EVENT_COMMON_SIZE + 12, ~0ull); /* idle ns */
	put32(evs.raw + evs.n - 24 - EVENT_COMMON_SIZE + 20, ~0u);   /* seq */
	struct rr_landmark max = { ~0ull, ~0ull, ~0u };
	img.n += craft_block(img.d + img.n, sizeof(img.d) - img.n, 0, evs.raw, evs.n, evs.count,
			     &max);
	save("hand-huge-numbers");

	start();
	boot();
	for (u32 k = 0; k < 300; k++)
		input(5000, k, 16);
	block(0, 5001);
	save("hand-many-inputs");

	start();
	boot();
	end(10, 0, 0);
	block(0, 10);
	block(1, 10);
	save("hand-end-empty-block");
}

/* A block with `payload` as its compressed bytes, sealed. */
static void raw_block(const u8 *payload, size_t packed, u32 raw_size, u32 count)
{
	u8 *h = img.d + img.n;
	memset(h, 0, BLOCK_HEADER_SIZE);
	put32(h, BLOCK_MAGIC);
	put32(h + 8, raw_size);
	put32(h + 12, (u32)packed);
	put32(h + 16, count);
	put64(h + 24, 100);
	memcpy(h + BLOCK_HEADER_SIZE, payload, packed);
	craft_seal_block(h);
	img.n += BLOCK_HEADER_SIZE + packed;
}

static void block_cases(void)
{
	size_t at;
	start();
	boot();
	end(100, 3, 0);
	at = block(0, 100);
	img.d[img.n - 1] ^= 1;
	save("hand-block-checksum");
	img.d[img.n - 1] ^= 1;
	img.d[at] ^= 1;
	craft_fix_checksums(img.d, img.n);
	save("hand-block-magic");
	img.d[at] ^= 1;
	put32(img.d + at + 4, 1);
	craft_fix_checksums(img.d, img.n);
	save("hand-block-index");
	put32(img.d + at + 4, 0);
	put32(img.d + at + 8, get32(img.d + at + 8) + 1);
	craft_fix_checksums(img.d, img.n);
	save("hand-raw-size");
	put32(img.d + at + 8, 2u << 20);
	craft_fix_checksums(img.d, img.n);
	save("hand-raw-size-huge");
	put32(img.d + at + 8, 48);
	put32(img.d + at + 12, ~0u);
	save("hand-packed-huge");
	put32(img.d + at + 12, 300);
	save("hand-packed-past-end");

	start();
	boot();
	end(100, 3, 0);
	at = block(0, 100);
	put32(img.d + at + 16, 3);
	craft_fix_checksums(img.d, img.n);
	save("hand-count-more");
	put32(img.d + at + 16, 1);
	craft_fix_checksums(img.d, img.n);
	save("hand-count-less");

	start();
	boot();
	checkpoint(0, 0);
	block(0, 100);
	checkpoint(1, 100);
	block(1, 50);
	save("hand-through-back");

	start();
	boot();
	checkpoint(0, 200);
	block(0, 100);
	save("hand-beyond-through");

	start();
	raw_block((const u8 *)"not zstd", 8, 48, 1);
	save("hand-not-zstd");

	/* One block's events as two zstd frames, and behind a skippable one. */
	u8 raw[256], packed[1024];
	size_t n = 0;
	craft_event(raw, &n, RR_EV_BOOT_TIME, 8, &(struct rr_landmark){ 0 }, (const u8 *)"\0\0\0\0\0\0\0\0");
	size_t half = ZSTD_compress(packed, sizeof(packed), raw, 24, 1);
	size_t rest = ZSTD_compress(packed + half, sizeof(packed) - half, raw + 24, n - 24, 1);
	start();
	raw_block(packed, half + rest, (u32)n, 1);
	save("hand-two-frames");
	u8 skip[8 + 4 + 1024];
	put32(skip, 0x184d2a50);
	put32(skip + 4, 4);
	memcpy(skip + 8, "skip", 4);
	memcpy(skip + 12, packed, half + rest);
	start();
	raw_block(skip, 12 + half + rest, (u32)n, 1);
	save("hand-skippable-frame");

	start();
	boot();
	end(100, 3, 0);
	block(0, 100);
	boot();
	at = block(1, 100);
	img.n = at + 30;
	save("hand-end-then-torn");
}

/* One event that breaks a rule, after a good boot event (if `booted`). */
static void bad_event(const char *name, bool booted, void (*add)(void))
{
	start();
	if (booted)
		boot();
	add();
	block(0, 1000);
	save(name);
}

static void add_unknown(void) { event(9, 8, 10, 0, (const u8 *)"12345678"); }
static void add_kind0(void) { event(0, 8, 10, 0, (const u8 *)"12345678"); }
static void add_input0(void) { input(10, 0, 0); }
static void add_input65(void) { input(10, 0, RR_INPUT_MAX + 1); }
static void add_body_size(void) { event(RR_EV_CHECKPOINT, 21, 10, 0, (const u8 *)"0123456789abcdefghijk"); }
static void add_flags(void) { checkpoint(0, 10); evs.raw[evs.n - 20 - EVENT_COMMON_SIZE + 1] = 1; }
static void add_cut(void) { checkpoint(0, 10); evs.n -= 4; }
static void add_order(void) { checkpoint(0, 100); input(50, 0, 1); }
static void add_seq_order(void) { input(100, 2, 1); input(100, 1, 1); }
static void add_no_boot(void) { checkpoint(0, 0); }
static void add_boot_twice(void) { boot(); }
static void add_boot_late(void) { u8 b[8] = { 0 }; event(RR_EV_BOOT_TIME, 8, 5, 0, b); }
static void add_boot_seq(void) { u8 b[8] = { 0 }; event(RR_EV_BOOT_TIME, 8, 0, 3, b); }
static void add_checkpoint_gap(void) { checkpoint(1, 10); }
static void add_checkpoint_repeat(void) { checkpoint(0, 10); checkpoint(0, 20); }
static void add_idle_whole(void) { idle(10, 500, 500); }
static void add_idle_zero(void) { idle(10, 0, 0); }
static void add_pace_zero(void) { pace(10, 0); }
static void add_outcome7(void) { end(10, 7, 0); }
static void add_outcome17(void) { end(10, 17, 0); }
static void add_after_end(void) { end(10, 0, 0); checkpoint(0, 20); }
static void add_end_twice(void) { end(10, 0, 0); end(10, 0, 0); }
/* The vCPU fields of a landmark: one no machine has, and a vCPU count
 * above the machine's. */
static void add_vcpu_range(void) { checkpoint(0, 10); put32(evs.raw + evs.n - 20 - EVENT_COMMON_SIZE + 24, MACHINE_MAX_VCPUS); }
static void add_vcpu_count(void) { checkpoint(0, 10); put64(evs.raw + evs.n - 20 - EVENT_COMMON_SIZE + 28, 11); }

static void event_cases(void)
{
	bad_event("hand-unknown-kind", true, add_unknown);
	bad_event("hand-kind-0", true, add_kind0);
	bad_event("hand-input-empty", true, add_input0);
	bad_event("hand-input-65", true, add_input65);
	bad_event("hand-body-size", true, add_body_size);
	bad_event("hand-flags", true, add_flags);
	bad_event("hand-event-cut", true, add_cut);
	bad_event("hand-order", true, add_order);
	bad_event("hand-seq-order", true, add_seq_order);
	bad_event("hand-no-boot", false, add_no_boot);
	bad_event("hand-boot-twice", true, add_boot_twice);
	bad_event("hand-boot-late", false, add_boot_late);
	bad_event("hand-boot-seq", false, add_boot_seq);
	bad_event("hand-checkpoint-gap", true, add_checkpoint_gap);
	bad_event("hand-checkpoint-repeat", true, add_checkpoint_repeat);
	bad_event("hand-idle-whole", true, add_idle_whole);
	bad_event("hand-idle-zero", true, add_idle_zero);
	bad_event("hand-pace-zero", true, add_pace_zero);
	bad_event("hand-outcome-7", true, add_outcome7);
	bad_event("hand-outcome-17", true, add_outcome17);
	bad_event("hand-after-end", true, add_after_end);
	bad_event("hand-end-twice", true, add_end_twice);
	bad_event("hand-vcpu-range", true, add_vcpu_range);
	bad_event("hand-vcpu-count", true, add_vcpu_count);

	start();
	boot();
	end(10, 0, 0);
	block(0, 10);
	checkpoint(0, 20);
	block(1, 20);
	save("hand-after-end-block");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make-seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	header_cases();
	good_cases();
	block_cases();
	event_cases();
	return 0;
}
