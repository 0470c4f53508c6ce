/*
 * Fuzz target for the events.log reader, rr_log__parse.  Any input must
 * be either rejected with a message or accepted; an accepted log must
 * keep the promises replay relies on, which are checked here one by one
 * (abort() on the first that fails), and read the same when cut short.
 *
 * Built with libFuzzer (make fuzz, -DFUZZ_LIBFUZZER), a custom mutator
 * also decompresses a block, mutates its events and recompresses and
 * re-seals it: byte mutations alone almost never get past the
 * checksums and the compression to the event rules.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "encore/rr_log.h"
#include "encore/machine.h"
#include "log_craft.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_log: check failed: %s\n", #cond); \
		abort(); \
	} \
} while (0)

static void check_event(const struct rr_log *log, size_t k, u32 *checkpoints)
{
	const struct rr_event *ev = &log->events[k];
	CHECK(ev->kind >= RR_EV_BOOT_TIME && ev->kind < RR_EV_KIND_END);
	CHECK((ev->kind == RR_EV_BOOT_TIME) == (k == 0));
	CHECK(ev->kind != RR_EV_END || k == log->count - 1);
	CHECK(k == 0 || rr_landmark__cmp(&log->events[k - 1].at, &ev->at) <= 0);
	CHECK(rr_landmark__cmp(&ev->at, &log->through) <= 0);
	CHECK(ev->at.vcpu < MACHINE_MAX_VCPUS && ev->at.vcpu_insns <= ev->at.insns);
	if (ev->kind == RR_EV_CHECKPOINT)
		CHECK(ev->checkpoint.index == (*checkpoints)++);
	if (ev->kind == RR_EV_INPUT)
		CHECK(ev->input.len >= 1 && ev->input.len <= RR_INPUT_MAX);
	if (ev->kind == RR_EV_NET)
		CHECK(ev->net.len >= 1 && ev->net.len <= RR_NET_FRAME_MAX && ev->net.bytes);
	if (ev->kind == RR_EV_IDLE)
		CHECK(ev->idle.skipped_ns < ev->idle.gap_ns);
}

static void check_log(const struct rr_log *log)
{
	CHECK(log->version == RR_LOG_VERSION);
	CHECK(log->valid_bytes >= LOG_HEADER_SIZE && log->valid_bytes <= log->file_bytes);
	CHECK(log->torn == (log->valid_bytes < log->file_bytes));
	CHECK(log->blocks || !log->count);
	CHECK(!log->count == !log->events);
	u32 checkpoints = 0;
	for (size_t k = 0; k < log->count; k++)
		check_event(log, k, &checkpoints);
	CHECK(log->ended == (log->count && log->events[log->count - 1].kind == RR_EV_END));
	CHECK(!(log->ended && log->torn));
}

/* Field by field: the reader leaves the padding and unused bytes as they come. */
static bool same_event(const struct rr_event *a, const struct rr_event *b)
{
	if (a->kind != b->kind || rr_landmark__cmp(&a->at, &b->at) || a->pc != b->pc ||
	    a->at.vcpu != b->at.vcpu || a->at.vcpu_insns != b->at.vcpu_insns ||
	    a->fingerprint != b->fingerprint)
		return false;
	switch (a->kind) {
	case RR_EV_BOOT_TIME: return a->boot_time == b->boot_time;
	case RR_EV_CHECKPOINT:
		return a->checkpoint.index == b->checkpoint.index &&
		       a->checkpoint.state_hash == b->checkpoint.state_hash &&
		       a->checkpoint.console_bytes == b->checkpoint.console_bytes;
	case RR_EV_INPUT:
		return a->input.len == b->input.len &&
		       !memcmp(a->input.bytes, b->input.bytes, a->input.len);
	case RR_EV_IDLE:
		return a->idle.gap_ns == b->idle.gap_ns && a->idle.skipped_ns == b->idle.skipped_ns;
	case RR_EV_PACE: return a->pace.ns == b->pace.ns;
	case RR_EV_NET:
		return a->net.len == b->net.len && !memcmp(a->net.bytes, b->net.bytes, a->net.len);
	case RR_EV_NET_SENT:
		return a->net_sent.frames == b->net_sent.frames &&
		       a->net_sent.digest == b->net_sent.digest;
	case RR_EV_STOP: return a->stop.status == b->stop.status;
	case RR_EV_END:
		return a->end.outcome == b->end.outcome && a->end.status == b->end.status &&
		       a->end.state_hash == b->end.state_hash &&
		       a->end.console_bytes == b->end.console_bytes;
	}
	return false;
}

/*
 * A recorder killed mid-write leaves a prefix of the file, and that must
 * read as a log cut short, not as a corrupt one: every prefix of an
 * accepted log is accepted, with the first of its events (bytes after
 * the end event are the one thing refused).  One cut per input, chosen
 * by its last bytes, in a buffer of its own so that ASan sees a read
 * past the cut.
 */
static void check_prefix(const u8 *data, size_t size, const struct rr_log *log)
{
	if (size <= LOG_HEADER_SIZE)
		return;
	size_t cut = LOG_HEADER_SIZE + get32(data + size - 4) % (size - LOG_HEADER_SIZE);
	u8 *copy = malloc(cut);
	if (!copy)
		abort();
	memcpy(copy, data, cut);
	struct rr_log part;
	char err[256];
	int r = rr_log__parse(copy, cut, &part, err, sizeof(err));
	free(copy);
	if (r) {
		CHECK(log->ended);
		return;
	}
	check_log(&part);
	CHECK(part.count <= log->count && part.blocks <= log->blocks);
	for (size_t k = 0; k < part.count; k++)
		CHECK(same_event(&part.events[k], &log->events[k]));
	rr_log__free(&part);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rr_log log;
	char err[256] = "";
	if (rr_log__parse(data, size, &log, err, sizeof(err))) {
		CHECK(err[0] && !log.events && !log.count);
		return 0;
	}
	check_log(&log);
	check_prefix(data, size, &log);
	rr_log__free(&log);
	return 0;
}

#ifdef FUZZ_LIBFUZZER
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#define RAW_CAP (64u << 10) /* events of one mutated block: plenty for fuzz inputs */
#define MAX_BLOCKS 64

/* Replace the events of one whole block (or of a new block after the
 * last) with a mutation of them, recompressed and sealed, with the
 * event count the new events have.  Returns the new size, 0 if none. */
static size_t mutate_events(u8 *data, size_t size, size_t max_size, unsigned seed)
{
	static u8 raw[RAW_CAP], out[BLOCK_HEADER_SIZE + ZSTD_COMPRESSBOUND(RAW_CAP)];
	size_t offs[MAX_BLOCKS], off = LOG_HEADER_SIZE;
	unsigned n = 0;
	for (; n < MAX_BLOCKS && craft_next_block(data, size, off); n++) {
		offs[n] = off;
		off += BLOCK_HEADER_SIZE + get32(data + off + 12);
	}
	if (size < LOG_HEADER_SIZE)
		return 0;
	unsigned pick = seed % (n + 1);
	size_t at = off, old = 0, len = 0;
	u32 index = n;
	struct rr_landmark through = { 0 };
	if (n) {
		const u8 *h = data + offs[pick < n ? pick : n - 1];
		through = (struct rr_landmark){ get64(h + 24), get64(h + 32), get32(h + 20), 0, 0 };
	}
	if (pick < n) {
		const u8 *h = data + offs[pick];
		at = offs[pick];
		old = BLOCK_HEADER_SIZE + get32(h + 12);
		index = get32(h + 4);
		len = ZSTD_decompress(raw, RAW_CAP, h + BLOCK_HEADER_SIZE, get32(h + 12));
		if (ZSTD_isError(len))
			len = 0;
	}
	len = LLVMFuzzerMutate(raw, len, RAW_CAP);
	size_t nb = craft_block(out, sizeof(out), index, raw, len, craft_count_events(raw, len),
				&through);
	if (!nb || size - old + nb > max_size)
		return 0;
	memmove(data + at + nb, data + at + old, size - at - old);
	memcpy(data + at, out, nb);
	return size - old + nb;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
	size_t n;
	switch (seed % 4) {
	case 0: /* bytes as they come: bad checksums, cut-off blocks */
		return LLVMFuzzerMutate(data, size, max_size);
	case 1: /* headers and block headers with their checksums right */
		n = LLVMFuzzerMutate(data, size, max_size);
		craft_fix_checksums(data, n);
		return n;
	default:
		n = mutate_events(data, size, max_size, seed / 4);
		return n ? n : LLVMFuzzerMutate(data, size, max_size);
	}
}
#endif
