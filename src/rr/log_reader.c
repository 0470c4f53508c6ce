/*
 * Reading events.log: every block is checked (magic, sequence, sizes,
 * checksum) and every event validated (kind, size, landmark order, the
 * rules of each kind) before replay sees any of it.  A file that ends
 * inside a block is a recording cut short (`torn`); anything else that
 * is wrong is corruption, reported with the block and its offset.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>
#include <zstd.h>

#include "encore/loader.h"
#include "encore/machine.h"
#include "encore/run.h"
#include "log_wire.h"

struct parse {
	struct rr_log *log;
	char *err;
	size_t errlen;
	size_t cap;
	u32 checkpoints;
	bool booted;
};

static int fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int rr_landmark__cmp(const struct rr_landmark *a, const struct rr_landmark *b)
{
	if (a->insns != b->insns)
		return a->insns < b->insns ? -1 : 1;
	if (a->idle_ns != b->idle_ns)
		return a->idle_ns < b->idle_ns ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

const char *rr_event_kind__name(unsigned kind)
{
	static const char *const names[RR_EV_KIND_END] = {
		[RR_EV_BOOT_TIME] = "boot-time", [RR_EV_CHECKPOINT] = "checkpoint",
		[RR_EV_INPUT] = "input", [RR_EV_IDLE] = "idle", [RR_EV_PACE] = "pace",
		[RR_EV_STOP] = "stop", [RR_EV_END] = "end", [RR_EV_NET] = "net", [RR_EV_NET_SENT] = "net-sent",
	};
	return kind < RR_EV_KIND_END && names[kind] ? names[kind] : "unknown";
}

/* 0, or -1 when a frame's copy cannot be made. */
static int decode_body(struct rr_event *ev, const u8 *b)
{
	switch (ev->kind) {
	case RR_EV_NET_SENT:
		ev->net_sent.frames = get64(b);
		ev->net_sent.digest = get64(b + 8);
		break;
	case RR_EV_NET:
		ev->net.bytes = malloc(ev->net.len);
		if (!ev->net.bytes)
			return -1;
		memcpy(ev->net.bytes, b, ev->net.len);
		break;
	case RR_EV_BOOT_TIME:
		ev->boot_time = (i64)get64(b);
		break;
	case RR_EV_CHECKPOINT:
		ev->checkpoint.index = get32(b);
		ev->checkpoint.state_hash = get64(b + 4);
		ev->checkpoint.console_bytes = get64(b + 12);
		break;
	case RR_EV_INPUT:
		memcpy(ev->input.bytes, b, ev->input.len);
		break;
	case RR_EV_IDLE:
		ev->idle.gap_ns = get64(b);
		ev->idle.skipped_ns = get64(b + 8);
		break;
	case RR_EV_PACE:
		ev->pace.ns = get64(b);
		break;
	case RR_EV_STOP:
		ev->stop.status = (i32)get32(b);
		break;
	case RR_EV_END:
		ev->end.outcome = get32(b);
		ev->end.status = (i32)get32(b + 4);
		ev->end.state_hash = get64(b + 8);
		ev->end.console_bytes = get64(b + 16);
		break;
	}
	return 0;
}

/* The rules an event must follow given the events before it. */
static int check_event(struct parse *p, const struct rr_event *ev, size_t n, const char *where)
{
	struct rr_log *log = p->log;
	const struct rr_event *prev = log->count ? &log->events[log->count - 1] : NULL;
	if (prev && rr_landmark__cmp(&ev->at, &prev->at) < 0)
		return fail(p, "%s: event %zu (%s) is at an earlier landmark than the one before it",
			    where, n, rr_event_kind__name(ev->kind));
	if (prev && prev->kind == RR_EV_END)
		return fail(p, "%s: event %zu (%s) comes after the end event", where, n,
			    rr_event_kind__name(ev->kind));
	if (ev->kind == RR_EV_BOOT_TIME && (log->count || ev->at.insns || ev->at.idle_ns))
		return fail(p, "%s: event %zu: the boot time must be the first event, at landmark 0",
			    where, n);
	if (ev->kind != RR_EV_BOOT_TIME && !p->booted)
		return fail(p, "%s: event %zu (%s): the log does not begin with the boot time",
			    where, n, rr_event_kind__name(ev->kind));
	if (ev->kind == RR_EV_CHECKPOINT && ev->checkpoint.index != p->checkpoints)
		return fail(p, "%s: event %zu: checkpoint %u where checkpoint %u was due", where, n,
			    ev->checkpoint.index, p->checkpoints);
	if (ev->kind == RR_EV_IDLE && ev->idle.skipped_ns >= ev->idle.gap_ns)
		return fail(p, "%s: event %zu: an idle event that skips its whole gap", where, n);
	if (ev->kind == RR_EV_PACE && !ev->pace.ns)
		return fail(p, "%s: event %zu: a pace event of 0 ns", where, n);
	if (ev->kind == RR_EV_END && ev->end.outcome > RUN_ERROR)
		return fail(p, "%s: event %zu: unknown run outcome %u", where, n, ev->end.outcome);
	p->booted = true;
	p->checkpoints += ev->kind == RR_EV_CHECKPOINT;
	return 0;
}

static int push_event(struct parse *p, const struct rr_event *ev)
{
	struct rr_log *log = p->log;
	if (log->count == RR_LOG_MAX_EVENTS)
		return fail(p, "more than %u events: this encore holds at most that many in memory",
			    RR_LOG_MAX_EVENTS);
	if (log->count == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct rr_event *e = realloc(log->events, cap * sizeof(*e));
		if (!e)
			return fail(p, "out of memory reading the log");
		log->events = e;
		p->cap = cap;
	}
	log->events[log->count++] = *ev;
	return 0;
}

static int parse_events(struct parse *p, const u8 *raw, size_t len, u32 count,
			const struct rr_landmark *through, const char *where)
{
	size_t off = 0;
	for (u32 k = 0; k < count; k++) {
		size_t n = p->log->count;
		if (len - off < EVENT_COMMON_SIZE)
			return fail(p, "%s: event %zu is cut off", where, n);
		const u8 *e = raw + off;
		struct rr_event ev = { .kind = e[0] };
		unsigned body = get16(e + 2);
		if (ev.kind == RR_EV_INPUT)
			ev.input.len = body;
		if (ev.kind == RR_EV_NET)
			ev.net.len = body;
		unsigned want = event_body_size(&ev);
		/* An input or frame event of 0 bytes has a size of 0 too, but a known kind. */
		if (!want && ev.kind != RR_EV_INPUT && ev.kind != RR_EV_NET)
			return fail(p, "%s: event %zu has unknown kind %u", where, n, ev.kind);
		if (e[1] || body != want || !body ||
		    (ev.kind == RR_EV_INPUT && body > RR_INPUT_MAX))
			return fail(p, "%s: event %zu (%s) has a bad size or flags", where, n,
				    rr_event_kind__name(ev.kind));
		if (len - off - EVENT_COMMON_SIZE < body)
			return fail(p, "%s: event %zu is cut off", where, n);
		ev.at.insns = get64(e + 4);
		ev.at.idle_ns = get64(e + 12);
		ev.at.seq = get32(e + 20);
		ev.at.vcpu = get32(e + 24);
		ev.at.vcpu_insns = get64(e + 28);
		ev.pc = get64(e + 36);
		ev.fingerprint = get64(e + 44);
		if (ev.at.vcpu >= MACHINE_MAX_VCPUS || ev.at.vcpu_insns > ev.at.insns)
			return fail(p, "%s: event %zu names vCPU %u at its instruction %llu, which "
				    "cannot be", where, n, ev.at.vcpu,
				    (unsigned long long)ev.at.vcpu_insns);
		if (rr_landmark__cmp(&ev.at, through) > 0)
			return fail(p, "%s: event %zu lies beyond the block's end landmark", where, n);
		/* The blocks before said the log was complete up to their end. */
		if (p->log->blocks && rr_landmark__cmp(&ev.at, &p->log->through) < 0)
			return fail(p, "%s: event %zu lies before the previous block's end landmark",
				    where, n);
		if (decode_body(&ev, e + EVENT_COMMON_SIZE))
			return fail(p, "out of memory reading the log");
		if (check_event(p, &ev, n, where) || push_event(p, &ev)) {
			if (ev.kind == RR_EV_NET)
				free(ev.net.bytes);
			return -1;
		}
		off += EVENT_COMMON_SIZE + body;
	}
	if (off != len)
		return fail(p, "%s: %zu bytes after its %u events", where, len - off, count);
	return 0;
}

static int check_header(struct parse *p, const u8 *data, size_t size)
{
	if (size < 8 || memcmp(data, RR_LOG_MAGIC, 8))
		return fail(p, "not an encore event log (bad magic)");
	if (size < LOG_HEADER_SIZE)
		return fail(p, "the log header is cut off (%zu of %u bytes)", size, LOG_HEADER_SIZE);
	p->log->version = get32(data + 8);
	if (p->log->version != RR_LOG_VERSION)
		return fail(p, "log format version %u; this encore reads version %u",
			    p->log->version, RR_LOG_VERSION);
	if (get64(data + 24) != XXH3_64bits(data, 24))
		return fail(p, "the log header is corrupt (checksum mismatch)");
	if (get32(data + 12) != LOG_HEADER_SIZE)
		return fail(p, "the log header says it is %u bytes long; version %u headers are %u",
			    get32(data + 12), RR_LOG_VERSION, LOG_HEADER_SIZE);
	p->log->recording_id = get64(data + 16);
	return 0;
}

/* One block at `off`; returns its total size, 0 if the file ends inside
 * it (torn), -1 on corruption. */
static long parse_block(struct parse *p, const u8 *data, size_t size, size_t off, u8 *raw)
{
	struct rr_log *log = p->log;
	char where[64];
	snprintf(where, sizeof(where), "block %u at offset %zu", log->blocks, off);
	const u8 *h = data + off;
	if (size - off >= 4 && get32(h) != BLOCK_MAGIC)
		return fail(p, "%s: bad block magic", where);
	if (size - off < BLOCK_HEADER_SIZE)
		return 0;
	u32 index = get32(h + 4), raw_size = get32(h + 8), packed = get32(h + 12);
	if (raw_size > BLOCK_MAX_RAW || packed > ZSTD_compressBound(BLOCK_MAX_RAW))
		return fail(p, "%s: impossible sizes (%u raw, %u packed)", where, raw_size, packed);
	if (size - off - BLOCK_HEADER_SIZE < packed)
		return 0;
	if (get64(h + 40) != XXH3_64bits_withSeed(h + BLOCK_HEADER_SIZE, packed, XXH3_64bits(h, 40)))
		return fail(p, "%s: checksum mismatch (the block is corrupt)", where);
	if (index != log->blocks)
		return fail(p, "%s: numbered %u (blocks missing or out of order)", where, index);
	struct rr_landmark through = { get64(h + 24), get64(h + 32), get32(h + 20), 0, 0 };
	if (log->blocks && rr_landmark__cmp(&through, &log->through) < 0)
		return fail(p, "%s: its end landmark is before the previous block's", where);
	size_t got = ZSTD_decompress(raw, BLOCK_MAX_RAW, h + BLOCK_HEADER_SIZE, packed);
	if (ZSTD_isError(got) || got != raw_size)
		return fail(p, "%s: the compressed events do not decompress to %u bytes", where,
			    raw_size);
	if (parse_events(p, raw, raw_size, get32(h + 16), &through, where))
		return -1;
	log->through = through;
	log->blocks++;
	return (long)(BLOCK_HEADER_SIZE + packed);
}

int rr_log__parse(const u8 *data, size_t size, struct rr_log *log, char *err, size_t errlen)
{
	memset(log, 0, sizeof(*log));
	struct parse p = { .log = log, .err = err, .errlen = errlen };
	log->file_bytes = size;
	u8 *raw = malloc(BLOCK_MAX_RAW);
	int r = raw ? check_header(&p, data, size) : fail(&p, "out of memory");
	size_t off = LOG_HEADER_SIZE;
	while (!r && off < size) {
		long n = parse_block(&p, data, size, off, raw);
		if (n < 0)
			r = -1;
		else if (n == 0)
			log->torn = true;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(raw);
	log->valid_bytes = off < size ? off : size;
	log->ended = log->count && log->events[log->count - 1].kind == RR_EV_END;
	if (!r && log->ended && log->torn)
		r = fail(&p, "%llu bytes of a torn block after the end event",
			 (unsigned long long)(size - off));
	if (r && log->blocks && err) {
		size_t used = strlen(err);
		snprintf(err + used, errlen - used, "; the %u blocks before it are whole, through "
			 "instruction %llu", log->blocks, (unsigned long long)log->through.insns);
	}
	if (r)
		rr_log__free(log);
	return r;
}

int rr_log__read(const char *path, struct rr_log *log, char *err, size_t errlen)
{
	size_t size;
	char msg[256];
	u8 *data = loader__read_file(path, &size, msg, sizeof(msg));
	if (!data) {
		memset(log, 0, sizeof(*log));
		snprintf(err, errlen, "%s", msg);
		return -1;
	}
	int r = rr_log__parse(data, size, log, msg, sizeof(msg));
	if (r)
		snprintf(err, errlen, "%s: %s", path, msg);
	free(data);
	return r;
}

void rr_log__truncate(struct rr_log *log, size_t count)
{
	for (size_t k = count; k < log->count; k++)
		if (log->events[k].kind == RR_EV_NET)
			free(log->events[k].net.bytes);
	if (count < log->count)
		log->count = count;
}

void rr_log__free(struct rr_log *log)
{
	rr_log__truncate(log, 0);
	free(log->events);
	log->events = NULL;
	log->count = 0;
}
