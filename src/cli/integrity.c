/* Checking a whole recording for damage (integrity.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "integrity.h"
#include "rr/disk_journal.h"
#include "rr/rec_dir.h"
#include "snap/snap_reader.h"

static void damage(struct integrity *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void damage(struct integrity *h, const char *fmt, ...)
{
	size_t used = strlen(h->report);
	if (used + 2 >= sizeof(h->report))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->report + used, sizeof(h->report) - used - 1, fmt, ap);
	va_end(ap);
	strcat(h->report, "\n");
	h->damaged = true;
}

static void check_guest_file(const struct recording *rec, const char *name, const char *hash,
			     struct integrity *h)
{
	char err[REC_PATH_MAX + 256];
	if (name[0] && rec_dir__check_file(rec->dir, name, hash, err, sizeof(err))) {
		damage(h, "%s", err);
		h->guest_ok = false;
	}
}

/* The log's event for each checkpoint record (CHECKPOINT, or END for the
 * final one), or NULL: one pass over the log. */
static const struct rr_event **events_of(const struct recording *rec, const struct snap_reader *r)
{
	const struct rr_event **ev = calloc(r->count ? r->count : 1, sizeof(*ev));
	for (size_t e = 0; ev && e < rec->log.count; e++) {
		const struct rr_event *x = &rec->log.events[e];
		if (x->kind == RR_EV_CHECKPOINT && x->checkpoint.index < r->count &&
		    !(r->info[x->checkpoint.index].flags & CKPT_FLAG_FINAL))
			ev[x->checkpoint.index] = x;
	}
	const struct rr_event *end = recording__end(rec);
	if (ev && end && r->count && (r->info[r->count - 1].flags & CKPT_FLAG_FINAL))
		ev[r->count - 1] = end;
	return ev;
}

/* A checkpoint the log names must be the one the log describes. */
static bool matches_log(const struct ckpt_info *i, const struct rr_event *ev)
{
	if (!ev)
		return true;
	if (ev->kind == RR_EV_END)
		return ev->end.state_hash == i->state_hash && ev->at.insns == i->insns;
	return ev->checkpoint.state_hash == i->state_hash && ev->at.insns == i->insns &&
	       ev->checkpoint.console_bytes == i->console_bytes;
}

/* What a complete recording's checkpoints and page store must add up to. */
static void check_complete(const struct recording *rec, const struct snap_reader *r,
			   struct integrity *h)
{
	if (r->records_damaged)
		return; /* said already */
	if (r->torn)
		damage(h, "%s/checkpoints ends inside the record of checkpoint %u: it was cut short "
		       "after the recording was complete", rec->dir, r->count);
	else if (r->count != rec->meta.checkpoints || !r->count ||
		 !(r->info[r->count - 1].flags & CKPT_FLAG_FINAL))
		damage(h, "%s/checkpoints holds %u checkpoints%s; the metadata says %llu", rec->dir,
		       r->count, r->count && !(r->info[r->count - 1].flags & CKPT_FLAG_FINAL) ?
		       ", the last not the final one" : "",
		       (unsigned long long)rec->meta.checkpoints);
	if (!r->damage[0] && r->pages_size > r->pages_end)
		damage(h, "%s/pages has %llu bytes after the last page any checkpoint stored "
		       "(it was appended to, or belongs to another recording)", rec->dir,
		       (unsigned long long)(r->pages_size - r->pages_end));
}

/* console.out against the checksum of the last checkpoint that covers it. */
static void check_console(const struct recording *rec, const struct snap_reader *r,
			  const struct rr_event **ev, struct integrity *h)
{
	char err[REC_PATH_MAX + 256];
	size_t len;
	u8 *text = rec_dir__read(rec->dir, REC_CONSOLE_FILE, &len, err, sizeof(err));
	if (!text) {
		damage(h, "%s", err);
		h->console_ok = false;
		return;
	}
	if (rec->meta.complete && len != rec->meta.console_bytes) {
		damage(h, "%s/%s holds %zu bytes, but the guest printed %llu", rec->dir,
		       REC_CONSOLE_FILE, len, (unsigned long long)rec->meta.console_bytes);
		h->console_ok = false;
	}
	const struct ckpt_info *last = NULL;
	/* A cut-short recording's last records may have no log event: the
	 * recorder stored them, then died before logging them. */
	for (u32 k = 0; ev && k < r->count; k++)
		if (ev[k] && r->info[k].console_bytes <= len)
			last = &r->info[k];
	if (h->console_ok && last &&
	    XXH3_64bits(text, last->console_bytes) != last->console_sum) {
		damage(h, "%s/%s is not what the guest printed: its first %llu bytes fail the "
		       "checksum checkpoint %u stored", rec->dir, REC_CONSOLE_FILE,
		       (unsigned long long)last->console_bytes, last->index);
		h->console_ok = false;
	}
	free(text);
}

/* Mark the checkpoints that cannot be restored, and why. */
static void check_records(const struct recording *rec, struct snap_reader *r,
			  const struct rr_event **ev, bool full, struct integrity *h)
{
	char err[REC_PATH_MAX + 1024];
	for (u32 k = 0; k < r->count; k++) {
		h->unusable[k] = k >= r->usable || !ev[k];
		if (k < r->usable && !matches_log(&r->info[k], ev[k])) {
			damage(h, "%s/checkpoints: checkpoint %u is not the one the event log "
			       "records (a file of another recording?)", rec->dir, k);
			h->unusable[k] = 1;
		}
	}
	if (rec->meta.complete)
		check_complete(rec, r, h);
	if (!full)
		return;
	if (snap_reader__mark_bad_pages(r, h->unusable, &h->pages_checked, err, sizeof(err)))
		damage(h, "%s", err);
	for (u32 k = 0; k < r->usable; k++) {
		if (snap_reader__verify_state(r, k, err, sizeof(err))) {
			damage(h, "%s/checkpoints: %s", rec->dir, err);
			h->unusable[k] = 1;
		}
	}
}

/* How many checkpoints the recording should have: its metadata says so
 * once complete; before, the log names each it took. */
static u32 expected_checkpoints(const struct recording *rec, u32 records)
{
	u64 n = rec->meta.complete ? rec->meta.checkpoints : 0, logged = 0;
	for (size_t e = 0; e < rec->log.count; e++)
		logged += rec->log.events[e].kind == RR_EV_CHECKPOINT;
	logged += recording__end(rec) != NULL;
	n = n > logged ? n : logged;
	n = n > records ? n : records;
	return n > 0xffffffu ? 0xffffffu : (u32)n;
}

/* The disk journal of a recording with disks: whole, of its disks, and
 * not cut inside a record once the recording is complete. */
static void check_disks(const struct recording *rec, struct integrity *h)
{
	int ndisks = rr_meta__ndisks(&rec->meta);
	if (ndisks <= 0)
		return;
	struct disk_journal_entry *e;
	u64 count;
	bool torn;
	char err[REC_PATH_MAX + 1024];
	if (disk_journal__read(rec->dir, rec->meta.id, &e, &count, &torn, err, sizeof(err))) {
		damage(h, "%s", err);
		return;
	}
	for (u64 k = 0; k < count; k++)
		if (e[k].disk >= ndisks) {
			damage(h, "%s/%s: record %llu is of disk %u; the recording has %d", rec->dir,
			       DISK_JOURNAL_FILE, (unsigned long long)k, e[k].disk, ndisks);
			break;
		}
	if (torn && rec->meta.complete)
		damage(h, "%s/%s ends inside a record, but the recording is complete", rec->dir,
		       DISK_JOURNAL_FILE);
	free(e);
}

void integrity__check(const struct recording *rec, bool full, struct integrity *h)
{
	static struct snap_reader r;
	char err[REC_PATH_MAX + 1024];
	memset(h, 0, sizeof(*h));
	h->guest_ok = h->console_ok = true;
	check_guest_file(rec, rec->meta.kernel, rec->meta.kernel_hash, h);
	check_guest_file(rec, rec->meta.initrd, rec->meta.initrd_hash, h);
	check_disks(rec, h);
	bool opened = !snap_reader__open(&r, rec->dir, rec->meta.id, err, sizeof(err));
	if (!opened)
		damage(h, "%s", err);
	else
		snap_reader__check_page_sums(&r);
	if (r.damage[0])
		damage(h, "%s", r.damage);
	/* --verify checks each page: it says exactly which checkpoints a
	 * damaged stretch of the page store hurts. */
	if (full)
		r.usable = r.count;
	h->checkpoints = expected_checkpoints(rec, r.count);
	h->unusable = malloc(h->checkpoints ? h->checkpoints : 1);
	const struct rr_event **ev = events_of(rec, &r);
	if (!h->unusable || !ev) {
		damage(h, "out of memory");
		h->checkpoints = 0;
	} else {
		memset(h->unusable, 1, h->checkpoints);
		if (opened)
			check_records(rec, &r, ev, full, h);
	}
	check_console(rec, &r, ev, h);
	free(ev);
	for (u32 k = 0; k < h->checkpoints; k++)
		h->restorable += !h->unusable[k];
	snap_reader__close(&r);
}

void integrity__free(struct integrity *h)
{
	free(h->unusable);
	h->unusable = NULL;
}

bool integrity__can_start(const struct integrity *h, bool has_from, u32 from)
{
	if (!h->console_ok)
		return false;
	if (!has_from)
		return h->guest_ok;
	return from < h->checkpoints && !h->unusable[from];
}

/* "0-4, 7 and 9": the checkpoints k with unusable[k] == bad. */
static void list_runs(const struct integrity *h, u8 bad, char *out, size_t n)
{
	size_t used = 0;
	out[0] = 0;
	for (u32 k = 0; k < h->checkpoints && used < n; k++) {
		if (h->unusable[k] != bad || (k && h->unusable[k - 1] == bad))
			continue;
		u32 end = k;
		while (end + 1 < h->checkpoints && h->unusable[end + 1] == bad)
			end++;
		used += (size_t)snprintf(out + used, n - used, used ? ", %u" : "%u", k);
		if (end > k && used < n)
			used += (size_t)snprintf(out + used, n - used, "-%u", end);
	}
}

void integrity__usable(const struct integrity *h, char *out, size_t n)
{
	char good[512], bad[512];
	list_runs(h, 0, good, sizeof(good));
	list_runs(h, 1, bad, sizeof(bad));
	const char *start = h->guest_ok && h->console_ok ? "a replay from the start can run"
			    : "a replay from the start cannot run";
	if (!h->console_ok)
		snprintf(out, n, "%s, and none from a checkpoint (the console output it checks "
			 "against is damaged)", start);
	else if (!h->checkpoints)
		snprintf(out, n, "%s; no checkpoint can be restored", start);
	else if (!h->restorable)
		snprintf(out, n, "%s; no checkpoint can be restored (%s)", start, bad);
	else if (h->restorable == h->checkpoints)
		snprintf(out, n, "%s; every checkpoint (%s) can be restored", start, good);
	else
		snprintf(out, n, "%s; checkpoint%s %s can be restored, %s cannot", start,
			 strpbrk(good, ",-") ? "s" : "", good, bad);
}

void integrity__print(const struct integrity *h, const char *cmd)
{
	char usable[1200];
	const char *line = h->report;
	while (*line) {
		const char *nl = strchr(line, '\n');
		fprintf(stderr, "encore %s: %.*s\n", cmd, (int)(nl - line), line);
		line = nl + 1;
	}
	integrity__usable(h, usable, sizeof(usable));
	fprintf(stderr, "encore %s: what is usable: %s\n", cmd, usable);
}
