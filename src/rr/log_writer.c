/*
 * Writing events.log.  Events are buffered and written as one compressed,
 * checksummed block per flush, with a single write(2): a recorder killed
 * at any moment leaves whole blocks and at most one torn block at the end,
 * and the reader replays the whole ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "log_wire.h"

#define ZSTD_LEVEL 3

struct rr_log_writer {
	int fd;
	char path[4200];
	u8 *raw;            /* encoded events not yet written */
	size_t raw_len, raw_cap;
	u32 pending_events;
	u32 next_block;
	u64 bytes;          /* file size so far */
	int error;          /* first errno of a failed write, or 0 */
};

static int write_all(struct rr_log_writer *w, const u8 *p, size_t n)
{
	while (n) {
		ssize_t k = write(w->fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (!w->error)
				w->error = k < 0 ? errno : EIO;
			return -1;
		}
		p += k;
		n -= (size_t)k;
		w->bytes += (u64)k;
	}
	return 0;
}

struct rr_log_writer *rr_log_writer__create(const char *path, u64 recording_id, char *err,
					    size_t errlen)
{
	struct rr_log_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		free(w);
		return NULL;
	}
	u8 h[LOG_HEADER_SIZE];
	memcpy(h, RR_LOG_MAGIC, 8);
	put32(h + 8, RR_LOG_VERSION);
	put32(h + 12, LOG_HEADER_SIZE);
	put64(h + 16, recording_id);
	put64(h + 24, XXH3_64bits(h, 24));
	if (write_all(w, h, sizeof(h))) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(w->error));
		close(w->fd);
		free(w);
		return NULL;
	}
	return w;
}

static int reserve(struct rr_log_writer *w, size_t n)
{
	if (w->raw_len + n <= w->raw_cap)
		return 0;
	size_t cap = w->raw_cap ? w->raw_cap * 2 : 4096;
	while (cap < w->raw_len + n)
		cap *= 2;
	u8 *p = realloc(w->raw, cap);
	if (!p)
		return -1;
	w->raw = p;
	w->raw_cap = cap;
	return 0;
}

static void encode_body(u8 *p, const struct rr_event *ev)
{
	switch (ev->kind) {
	case RR_EV_BOOT_TIME:
		put64(p, (u64)ev->boot_time);
		break;
	case RR_EV_CHECKPOINT:
		put32(p, ev->checkpoint.index);
		put64(p + 4, ev->checkpoint.state_hash);
		put64(p + 12, ev->checkpoint.console_bytes);
		break;
	case RR_EV_INPUT:
		memcpy(p, ev->input.bytes, ev->input.len);
		break;
	case RR_EV_IDLE:
		put64(p, ev->idle.gap_ns);
		put64(p + 8, ev->idle.skipped_ns);
		break;
	case RR_EV_PACE:
		put64(p, ev->pace.ns);
		break;
	case RR_EV_STOP:
		put32(p, (u32)ev->stop.status);
		break;
	case RR_EV_END:
		put32(p, ev->end.outcome);
		put32(p + 4, (u32)ev->end.status);
		put64(p + 8, ev->end.state_hash);
		put64(p + 16, ev->end.console_bytes);
		break;
	case RR_EV_NET:
		memcpy(p, ev->net.bytes, ev->net.len);
		break;
	case RR_EV_NET_SENT:
		put64(p, ev->net_sent.frames);
		put64(p + 8, ev->net_sent.digest);
		break;
	}
}

int rr_log_writer__append(struct rr_log_writer *w, const struct rr_event *ev)
{
	unsigned body = event_body_size(ev);
	if (!body || (ev->kind == RR_EV_INPUT && body > RR_INPUT_MAX) || body > RR_NET_FRAME_MAX)
		return -1;
	if (w->raw_len + EVENT_COMMON_SIZE + body > BLOCK_MAX_RAW &&
	    rr_log_writer__flush(w, &ev->at))
		return -1;
	if (reserve(w, EVENT_COMMON_SIZE + body))
		return -1;
	u8 *p = w->raw + w->raw_len;
	p[0] = ev->kind;
	p[1] = 0;
	put16(p + 2, (u16)body);
	put64(p + 4, ev->at.insns);
	put64(p + 12, ev->at.idle_ns);
	put32(p + 20, ev->at.seq);
	put32(p + 24, ev->at.vcpu);
	put64(p + 28, ev->at.vcpu_insns);
	put64(p + 36, ev->pc);
	put64(p + 44, ev->fingerprint);
	encode_body(p + EVENT_COMMON_SIZE, ev);
	w->raw_len += EVENT_COMMON_SIZE + body;
	w->pending_events++;
	return 0;
}

int rr_log_writer__flush(struct rr_log_writer *w, const struct rr_landmark *through)
{
	/* After a failed write nothing more is written: the file must end
	 * with the whole blocks before it (see below). */
	if (w->error)
		return -1;
	size_t bound = ZSTD_compressBound(w->raw_len);
	u8 *block = malloc(BLOCK_HEADER_SIZE + bound);
	if (!block) {
		w->error = w->error ? w->error : ENOMEM;
		return -1;
	}
	size_t packed = ZSTD_compress(block + BLOCK_HEADER_SIZE, bound, w->raw, w->raw_len,
				      ZSTD_LEVEL);
	if (ZSTD_isError(packed)) {
		free(block);
		w->error = w->error ? w->error : EIO;
		return -1;
	}
	put32(block, BLOCK_MAGIC);
	put32(block + 4, w->next_block);
	put32(block + 8, (u32)w->raw_len);
	put32(block + 12, (u32)packed);
	put32(block + 16, w->pending_events);
	put32(block + 20, through->seq);
	put64(block + 24, through->insns);
	put64(block + 32, through->idle_ns);
	put64(block + 40, XXH3_64bits_withSeed(block + BLOCK_HEADER_SIZE, packed,
					       XXH3_64bits(block, 40)));
	u64 whole = w->bytes;
	int r = write_all(w, block, BLOCK_HEADER_SIZE + packed);
	free(block);
	if (r) {
		/* A block written in part (the disk filled up) would read as a
		 * torn tail anyway; cutting it leaves the file clean. */
		if (w->bytes != whole && ftruncate(w->fd, (off_t)whole) == 0)
			w->bytes = whole;
		return -1;
	}
	w->next_block++;
	w->raw_len = 0;
	w->pending_events = 0;
	return 0;
}

const char *rr_log_writer__error(const struct rr_log_writer *w, char *buf, size_t n)
{
	if (!w->error)
		return NULL;
	snprintf(buf, n, "cannot write %s: %s", w->path, strerror(w->error));
	return buf;
}

size_t rr_log_writer__pending(const struct rr_log_writer *w)
{
	return w->pending_events;
}

u64 rr_log_writer__bytes(const struct rr_log_writer *w)
{
	return w->bytes;
}

int rr_log_writer__close(struct rr_log_writer *w, char *err, size_t errlen)
{
	if (!w)
		return 0;
	if (!w->error && fsync(w->fd))
		w->error = errno;
	if (close(w->fd) && !w->error)
		w->error = errno;
	int r = w->error ? -1 : 0;
	if (r && err)
		snprintf(err, errlen, "writing %s failed: %s", RR_LOG_FILE, strerror(w->error));
	free(w->raw);
	free(w);
	return r;
}
