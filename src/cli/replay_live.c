/*
 * encore replay REC --live-at POINT [-o NEWREC]: replay a recording
 * (verified) to a point, then leave it and go on live from there: the
 * console is the user's again, time goes on (virtually, or with
 * --realtime), a network card gets a user network, and the disks go on
 * from their recorded content (in memory: the recording is not changed).
 * With -o, what happens from there is recorded into NEWREC: a recording
 * of its own that starts at its checkpoint 0, the machine as it was
 * there, and names REC as where it branched from.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "recorder.h"
#include "rr/disk_log.h"
#include "rr/rec_dir.h"
#include "stretch.h"
#include "encore/hw.h"
#include "encore/ram.h"

struct live_point {
	u32 from;        /* the checkpoint to restore */
	u64 progress;    /* where to go live: instructions (exits on KVM recordings) */
};

/* "K" (checkpoint K) or "insn:N" (instruction N); false after a message. */
static bool parse_point(const char *text, const struct recording *rec, struct live_point *p)
{
	u64 v;
	const struct rr_event *end = recording__end(rec);
	u64 last = end ? end->at.insns : rec->log.through.insns;
	if (!strncmp(text, "insn:", 5)) {
		if (rr_meta__by_exits(&rec->meta)) {
			fprintf(stderr, "encore replay: %s was recorded on KVM: its landmarks count exits, "
				"not instructions; give --live-at a checkpoint number\n", rec->dir);
			return false;
		}
		if (!cli_parse_count(text + 5, &v) || v > last) {
			fprintf(stderr, "encore replay: --live-at %s: give an instruction from 0 to %llu, "
				"where the recording ends\n", text, (unsigned long long)last);
			return false;
		}
		p->progress = v;
		p->from = 0;
		for (size_t k = 0; k < rec->log.count; k++) {
			const struct rr_event *ev = &rec->log.events[k];
			if (ev->kind == RR_EV_CHECKPOINT && ev->at.insns <= v && ev != end)
				p->from = ev->checkpoint.index;
		}
		return true;
	}
	const struct rr_event *ev;
	if (!cli_parse_count(text, &v) || v > 0xffffffffu ||
	    !(ev = stretch__checkpoint_event(rec, (u32)v, NULL))) {
		fprintf(stderr, "encore replay: --live-at '%s': give a checkpoint number ('encore inspect' "
			"lists them) or insn:N\n", text);
		return false;
	}
	p->from = (u32)v;
	p->progress = ev->at.insns;
	return true;
}

struct going_live {
	struct launch *l;
	const struct recording *rec;
	struct recorder *rc;      /* -o NEWREC, or NULL */
	bool recording;           /* rc started at the live point */
};

/* NEWREC's meta: REC's machine, a new id, where it branched. */
static void branch_meta(struct recorder *rc, const struct recording *rec, u64 progress,
			bool realtime)
{
	struct rr_meta *m = &rc->meta;
	*m = rec->meta;
	recorder__stamp(m);
	m->complete = false;
	m->insns = m->virtual_ns = m->wall_ns = m->state_hash = m->console_bytes = 0;
	m->log_bytes = m->events = m->checkpoints = 0;
	m->outcome[0] = m->vcpu_insns[0] = 0;
	m->exit_status = 0;
	m->realtime = realtime;
	snprintf(m->branch_of, sizeof(m->branch_of), "%016llx@%llu",
		 (unsigned long long)rec->meta.id, (unsigned long long)progress);
}

/* REC's guest files, linked (or copied) into NEWREC: inspect and the
 * integrity check find them as in any recording. */
static int link_guest_file(struct recorder *rc, const struct recording *rec, const char *name,
			   char *hash)
{
	char src[REC_PATH_MAX + 80], dst[REC_PATH_MAX + 80], err[512];
	if (!name[0])
		return 0;
	snprintf(src, sizeof(src), "%s/%s", rec->dir, name);
	snprintf(dst, sizeof(dst), "%s/%s", rc->staging, name);
	if (!link(src, dst))
		return 0;
	if (rec_dir__add_file(rc->staging, name, src, hash, err, sizeof(err))) {
		fprintf(stderr, "encore replay: %s\n", err);
		return -1;
	}
	return 0;
}

/* -o NEWREC: the directory, meta, guest files and outputs, before the
 * replay starts (a bad path fails now, not at the live point). */
static int open_branch(struct recorder *rc, const char *out, const struct recording *rec,
		       struct launch *l, u64 progress, bool realtime)
{
	char err[512];
	if (rr_meta__by_exits(&rec->meta)) {
		fprintf(stderr, "encore replay: -o records a live branch of recordings made on the "
			"interpreter; %s was made on KVM (its landmarks count exits)\n", rec->dir);
		return -1;
	}
	rc->opts.output = out;
	rc->opts.interval = (struct rr_interval){ rec->meta.interval, rec->meta.interval_ns };
	rc->opts.realtime = realtime;
	rc->l = l;
	branch_meta(rc, rec, progress, realtime);
	if (rec_dir__stage(out, rc->staging, err, sizeof(err))) {
		fprintf(stderr, "encore replay: %s\n", err);
		return -1;
	}
	if (link_guest_file(rc, rec, rec->meta.kernel, rc->meta.kernel_hash) ||
	    link_guest_file(rc, rec, rec->meta.initrd, rc->meta.initrd_hash) ||
	    recorder__open_outputs(rc))
		return -1;
	if (l->guest.nblk &&
	    !(rc->disks = disk_recorder__create(rc->staging, rc->meta.id, err, sizeof(err)))) {
		fprintf(stderr, "encore replay: %s\n", err);
		return -1;
	}
	return 0;
}

/* At the live point: NEWREC's first checkpoint holds the whole machine,
 * and each disk's history starts over from the disk as it is. */
static void start_branch(struct going_live *g)
{
	struct guest *guest = &g->l->guest;
	ram__mark_all_dirty(guest->machine);
	if (g->rc->disks) {
		disk_recorder__set_snap(g->rc->disks, g->rc->snap);
		for (unsigned k = 0; k < guest->nblk; k++)
			virtio_blk__restart_history(guest->blk[k], k,
						    disk_recorder__history(g->rc->disks));
	}
	if (recorder__start(g->rc, g->rec->log.events[0].boot_time)) {
		machine__request_stop(g->l->guest.machine, 2);
		return;
	}
	g->recording = true;
}

static void on_live(void *opaque)
{
	struct going_live *g = opaque;
	struct launch *l = g->l;
	struct encore_machine *m = l->guest.machine;
	fflush(stdout);
	fprintf(stderr, "\r\nencore replay: live from here (%s %llu, %.3f s of virtual time): the "
		"console is yours, Ctrl-A x leaves\r\n", m->by_exits ? "exit" : "instruction",
		(unsigned long long)machine__progress(m), machine__now(m) / 1e9);
	if (guest__go_live(&l->guest, &l->console, NULL))
		machine__request_stop(m, 2);
	else if (g->rc)
		start_branch(g);
}

/* How the run went: a live run's status, or why it never went live. */
static int outcome(struct going_live *g)
{
	struct launch *l = g->l;
	int status = launch__status(l, true);
	if (l->session.went_live) {
		if (g->recording) {
			if (recorder__finish(g->rc, status))
				return 2;
			recorder__say(g->rc);
		}
		return status;
	}
	if (l->session.div.found) {
		fprintf(stderr, "\nencore replay: diverged before going live: %s\n",
			l->session.div.what);
		return 1;
	}
	fprintf(stderr, "\nencore replay: the replay ended before the point to go live at\n");
	return 3;
}

/* Each disk's original image, where given, for the blocks the
 * recording never saw. */
static int give_images(struct stretch *st, const struct live_opts *o, const struct recording *rec)
{
	char err[1024];
	int n = rr_meta__ndisks(&rec->meta);
	if ((int)o->nimages > (n > 0 ? n : 0)) {
		fprintf(stderr, "encore replay: %u --disk images for a recording with %d disks\n",
			o->nimages, n > 0 ? n : 0);
		return -1;
	}
	for (int k = 0; k < n; k++) {
		u64 size;
		bool ro;
		rr_meta__disk(&rec->meta, (unsigned)k, &size, &ro);
		if (disk_replayer__go_live(st->disks, (unsigned)k,
					   (unsigned)k < o->nimages ? o->images[k] : NULL, size, err,
					   sizeof(err))) {
			fprintf(stderr, "encore replay: %s\n", err);
			return -1;
		}
	}
	return 0;
}

int replay_live(const struct live_opts *o, const struct recording *rec)
{
	struct live_point p;
	const char *output = o->output;
	bool realtime = o->realtime;
	if (!parse_point(o->point, rec, &p))
		return 2;
	char err[1024];
	size_t console_len;
	u8 *console = rec_dir__read(rec->dir, REC_CONSOLE_FILE, &console_len, err, sizeof(err));
	if (!console) {
		fprintf(stderr, "encore replay: %s\n", err);
		return 2;
	}
	static struct stretch st;
	static struct recorder rc;
	memset(&rc, 0, sizeof(rc));
	struct stretch_spec spec = { .has_from = true, .from = p.from, .cmd = "replay" };
	struct going_live g = { &st.launch, rec, output ? &rc : NULL, false };
	int status = 2;
	if (!stretch__open(&st, &spec, rec) && !stretch__start(&st, rec, console, console_len) &&
	    !give_images(&st, o, rec) &&
	    (!output || !open_branch(&rc, output, rec, &st.launch, p.progress, realtime))) {
		struct launch *l = &st.launch;
		l->session.realtime = realtime;
		rr_session__live_at(&l->session, p.progress, on_live, &g);
		launch__run(l, 0);
		status = outcome(&g);
	}
	if (output && !g.recording)
		recorder__discard(&rc);
	stretch__close(&st);
	free(console);
	return status;
}
