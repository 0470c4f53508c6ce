/* Opening a recording (recording.h). */
#include <stdio.h>
#include <string.h>

#include "recording.h"
#include "snap/snap_reader.h"
#include "rr/rec_dir.h"

static int fail(const char *cmd, const char *msg)
{
	fprintf(stderr, "encore %s: %s\n", cmd, msg);
	return -1;
}

/* Checkpoints whose records reached the checkpoints file.  The recorder
 * logs a checkpoint's event as soon as it takes it, while its writer
 * thread stores the pages and then the record: a recorder killed in
 * between leaves an event whose checkpoint was never stored. */
static u32 stored_checkpoints(const struct recording *rec)
{
	static struct snap_reader r;
	char err[512];
	u32 n = snap_reader__open(&r, rec->dir, rec->meta.id, err, sizeof(err)) ? 0 : r.count;
	snap_reader__close(&r);
	return n;
}

/*
 * A recording with disks that was cut short replays only to its last
 * stored checkpoint: the disk blocks the guest touched after it may be in
 * the disk journal without their pages, which are stored with the next
 * checkpoint, so the log's tail beyond it is not a prefix replay can
 * keep.
 */
static void cut_at_last_checkpoint(struct recording *rec)
{
	struct rr_log *log = &rec->log;
	if (log->ended || rr_meta__ndisks(&rec->meta) <= 0)
		return;
	u32 stored = stored_checkpoints(rec);
	size_t keep = log->count ? 1 : 0; /* the boot-time event */
	for (size_t k = 0; k < log->count; k++)
		if (log->events[k].kind == RR_EV_CHECKPOINT && log->events[k].checkpoint.index < stored)
			keep = k + 1;
	if (keep)
		log->through = log->events[keep - 1].at;
	rr_log__truncate(log, keep);
}

int recording__open(struct recording *rec, const char *dir, const char *cmd)
{
	char err[REC_PATH_MAX + 1024], path[REC_PATH_MAX + 64];
	memset(rec, 0, sizeof(*rec));
	rec->dir = dir;
	if (rr_meta__read(dir, &rec->meta, err, sizeof(err)))
		return fail(cmd, err);
	snprintf(path, sizeof(path), "%s/%s", dir, RR_LOG_FILE);
	if (rr_log__read(path, &rec->log, err, sizeof(err)))
		return fail(cmd, err);
	if (rec->log.recording_id != rec->meta.id) {
		snprintf(err, sizeof(err), "%s belongs to another recording (id %016llx, the "
			 "metadata says %016llx)", path, (unsigned long long)rec->log.recording_id,
			 (unsigned long long)rec->meta.id);
		recording__close(rec);
		return fail(cmd, err);
	}
	if (rec->meta.complete && !rec->log.ended) {
		snprintf(err, sizeof(err), "%s: the metadata says the recording is complete, but "
			 "the log %s: the recording is corrupt", path, rec->log.torn ?
			 "ends inside a block" : "has no end event");
		recording__close(rec);
		return fail(cmd, err);
	}
	cut_at_last_checkpoint(rec);
	const struct rr_event *end = recording__end(rec);
	if (end && rec->meta.complete && (end->at.insns != rec->meta.insns ||
					  end->end.state_hash != rec->meta.state_hash)) {
		recording__close(rec);
		return fail(cmd, "the metadata's summary and the log's end event disagree (a "
			    "hand-edited recording?)");
	}
	return 0;
}

void recording__close(struct recording *rec)
{
	rr_log__free(&rec->log);
}

const struct rr_event *recording__end(const struct recording *rec)
{
	return rec->log.ended ? &rec->log.events[rec->log.count - 1] : NULL;
}

void recording__describe_cut(const struct recording *rec, char *buf, size_t n)
{
	const struct rr_log *log = &rec->log;
	if (log->torn)
		snprintf(buf, n, "the recorder did not finish; its log ends in a torn block (%llu "
			 "bytes after %u whole blocks)",
			 (unsigned long long)(log->file_bytes - log->valid_bytes), log->blocks);
	else
		snprintf(buf, n, "the recorder did not finish; its log ends after %u whole blocks",
			 log->blocks);
}

/* A replay from the start reads no checkpoint but builds a machine with
 * the metadata's vCPUs: the two must agree before anything runs, and
 * this encore must take vCPU turns as the recorder did. */
int recording__check_checkpoints(const struct recording *rec, const struct snap_reader *r,
				 const char *cmd)
{
	const struct rr_meta *m = &rec->meta;
	if (r->count && r->info[0].nvcpus != m->smp) {
		fprintf(stderr, "encore %s: %s is damaged: its metadata says %llu vCPUs, its "
			"checkpoints %u\n", cmd, rec->dir, (unsigned long long)m->smp,
			r->info[0].nvcpus);
		return -1;
	}
	if (m->smp > 1 && m->quantum != MACHINE_QUANTUM_INSNS) {
		fprintf(stderr, "encore %s: %s was recorded by an encore whose vCPUs take turns of "
			"%llu instructions; this one's take %llu, so it cannot replay it\n", cmd,
			rec->dir, (unsigned long long)m->quantum,
			(unsigned long long)MACHINE_QUANTUM_INSNS);
		return -1;
	}
	return 0;
}
