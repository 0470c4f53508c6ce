/*
 * encore record: run a guest like encore run and record it (rec_dir.h,
 * rr_meta.h, rr_log.h): the guest files are copied in, the metadata
 * says "recording" until the run has ended, and the session logs every
 * host input at its landmark.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <time.h>

#include "cli.h"
#include "launch.h"
#include "rr/rec_dir.h"
#include "rr/disk_log.h"
#include "snap/snap_writer.h"
#include "record_simulate.h"
#include "recorder.h"
#include "run_opts.h"
#include "encore/hw.h"
#include "encore/rr_meta.h"

static int fail(const char *msg)
{
	fprintf(stderr, "encore record: %s\n", msg);
	return -1;
}

void recorder__stamp(struct rr_meta *m)
{
	if (getrandom(&m->id, sizeof(m->id), 0) != sizeof(m->id))
		m->id = (u64)time(NULL) * 0x9e3779b97f4a7c15ull;
	snprintf(m->encore, sizeof(m->encore), "%s", ENCORE_VERSION);
	time_t now = time(NULL);
	strftime(m->started, sizeof(m->started), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
}

static void fill_meta(struct recorder *rc)
{
	struct rr_meta *m = &rc->meta;
	const struct run_opts *o = &rc->opts;
	recorder__stamp(m);
	snprintf(m->engine, sizeof(m->engine), "%s", o->guest.kvm ? "kvm" : "interp");
	m->has_append = o->guest.append != NULL;
	if (o->guest.append)
		snprintf(m->append, sizeof(m->append), "%s", o->guest.append);
	m->mem = o->guest.mem;
	m->smp = o->guest.smp;
	m->quantum = MACHINE_QUANTUM_INSNS;
	m->input_slice = RUN_INPUT_SLICE_INSNS;
	m->interval = o->interval.insns;
	m->interval_ns = o->interval.ns;
	m->realtime = o->realtime;
	if (o->guest.net.enabled)
		snprintf(m->net, sizeof(m->net), "user");
}

/* Copy one guest file in as `name`; the run boots the copy. */
static int add_guest_file(struct recorder *rc, const char *name, const char *src, char *meta_name,
			  size_t meta_size, char *hash, char *copy, const char **opt)
{
	char err[512];
	if (!src[0])
		return 0;
	if (rec_dir__add_file(rc->staging, name, src, hash, err, sizeof(err)))
		return fail(err);
	snprintf(meta_name, meta_size, "%s", name);
	snprintf(copy, REC_PATH_MAX + 64, "%s/%s", rc->staging, name);
	*opt = copy;
	return 0;
}

/* Copy the guest files into the staging directory, so the recording
 * holds exactly what ran. */
static int copy_guest(struct recorder *rc)
{
	char kernel[GUEST_PATH_MAX], initrd[GUEST_PATH_MAX];
	struct rr_meta *m = &rc->meta;
	rc->guest = rc->opts.guest;
	if (guest__find_images(&rc->opts.guest, kernel, initrd))
		return -1;
	if (add_guest_file(rc, "kernel", kernel, m->kernel, sizeof(m->kernel), m->kernel_hash,
			   rc->kernel, &rc->guest.kernel))
		return -1;
	return add_guest_file(rc, "initrd", initrd, m->initrd, sizeof(m->initrd), m->initrd_hash,
			      rc->initrd, &rc->guest.initrd);
}

/* The disks' sizes and modes, for the replay to rebuild them. */
static void describe_disks(struct recorder *rc, const struct guest *g)
{
	size_t used = 0;
	char *out = rc->meta.disks;
	for (unsigned k = 0; k < rc->guest.ndisks; k++)
		used += snprintf(out + used, sizeof(rc->meta.disks) - used, "%s%llu:%s", k ? " " : "",
				 (unsigned long long)g->disk_size[k],
				 rc->guest.disks[k].readonly ? "ro" : "rw");
}

/* Everything up to the first instruction, in the staging directory. */
static int prepare(struct recorder *rc)
{
	char err[512];
	if (rec_dir__stage(rc->opts.output, rc->staging, err, sizeof(err)))
		return fail(err);
	fill_meta(rc);
	if (copy_guest(rc))
		return -1;
	if (rc->guest.ndisks) {
		rc->disks = disk_recorder__create(rc->staging, rc->meta.id, err, sizeof(err));
		if (!rc->disks)
			return fail(err);
		rc->guest.disk_history = disk_recorder__history(rc->disks);
	}
	rc->l = &rc->own_launch;
	if (launch__create(rc->l, &rc->guest, true, rc->opts.realtime, RUN_INPUT_SLICE_INSNS))
		return -1;
	struct guest *g = &rc->l->guest;
	snprintf(rc->meta.arch, sizeof(rc->meta.arch), "%s", g->machine->arch->name);
	describe_disks(rc, g);
	snprintf(rc->meta.guest, sizeof(rc->meta.guest), "%s",
		 rc->opts.guest.demo ? "demo" : g->is_linux ? "linux" : "bare-metal");
	if (recorder__open_outputs(rc))
		return -1;
	if (rc->disks)
		disk_recorder__set_snap(rc->disks, rc->snap);
	return recorder__start(rc, rc->opts.guest.rtc_epoch);
}

/* Closes the lock, if held: a follower then knows the recorder is gone. */
static void unlock(struct recorder *rc)
{
	if (rc->lock_fd > 0)
		close(rc->lock_fd);
	rc->lock_fd = 0;
}

int recorder__open_outputs(struct recorder *rc)
{
	char err[512], path[REC_PATH_MAX + 64];
	rc->lock_fd = rec_dir__lock(rc->staging, err, sizeof(err));
	if (rc->lock_fd < 0) {
		rc->lock_fd = 0;
		return fail(err);
	}
	snprintf(path, sizeof(path), "%s/%s", rc->staging, REC_CONSOLE_FILE);
	rc->console = fopen(path, "wx");
	if (!rc->console)
		return fail("cannot create the console output file");
	snprintf(path, sizeof(path), "%s/%s", rc->staging, RR_LOG_FILE);
	rc->log = rr_log_writer__create(path, rc->meta.id, err, sizeof(err));
	if (!rc->log)
		return fail(err);
	rc->snap = snap_writer__create(rc->staging, rc->meta.id, rc->l->guest.machine, err,
				       sizeof(err));
	if (!rc->snap)
		return fail(err);
	return 0;
}

int recorder__start(struct recorder *rc, i64 boot_time)
{
	char err[512];
	if (rr_session__record(&rc->l->session, rc->log, rc->snap, rc->console, rc->opts.interval,
			       boot_time))
		return fail(rc->l->session.error);
	if (rr_meta__write(rc->staging, &rc->meta, err, sizeof(err)) ||
	    rec_dir__publish(rc->staging, rc->opts.output, err, sizeof(err)))
		return fail(err);
	return 0;
}

/* "N N ...": what each vCPU retired. */
static void list_vcpu_insns(struct encore_machine *m, char *out, size_t n)
{
	size_t used = 0;
	out[0] = 0;
	for (unsigned k = 0; k < m->nvcpus && used < n; k++) {
		struct encore_engine *e = m->vcpus[k].engine;
		used += snprintf(out + used, n - used, "%s%llu", k ? " " : "",
				 (unsigned long long)e->ops->insn_count(e));
	}
}

void recorder__discard(struct recorder *rc)
{
	if (rc->log)
		rr_log_writer__close(rc->log, NULL, 0);
	if (rc->snap)
		snap_writer__close(rc->snap, NULL, NULL, 0);
	if (rc->disks)
		disk_recorder__close(rc->disks, NULL, 0);
	if (rc->console)
		fclose(rc->console);
	if (rc->staging[0])
		rec_dir__discard(rc->staging);
	unlock(rc);
	rc->log = NULL;
	rc->snap = NULL;
	rc->disks = NULL;
	rc->console = NULL;
	rc->staging[0] = 0;
}

int recorder__finish(struct recorder *rc, int status)
{
	struct launch *l = rc->l;
	struct rr_session *s = &l->session;
	char err[4400] = "";
	int r = rr_session__end_record(s, &l->result, status);
	if (snap_writer__close(rc->snap, &rc->snap_stats, err, sizeof(err)))
		r = -1;
	rc->snap = NULL;
	if (rc->disks && disk_recorder__close(rc->disks, err[0] ? NULL : err, sizeof(err)))
		r = -1;
	rc->disks = NULL;
	rc->meta.log_bytes = rr_log_writer__bytes(rc->log);
	if (rr_log_writer__close(rc->log, err[0] ? NULL : err, sizeof(err)))
		r = -1;
	if (fclose(rc->console) && !err[0])
		snprintf(err, sizeof(err), "cannot write the console output file: %s",
			 strerror(errno));
	rc->log = NULL;
	rc->console = NULL;
	if (s->error[0] || r || err[0])
		unlock(rc);
	if (s->error[0]) {
		fprintf(stderr, "encore record: %s was cut short where writing it failed (%s); "
			"'encore replay %s' replays what it holds (exit status 3)\n",
			rc->opts.output, s->error, rc->opts.output);
		return -1;
	}
	if (r || err[0]) {
		fprintf(stderr, "encore record: %s was cut short at its end (%s); 'encore replay "
			"%s' replays what it holds\n", rc->opts.output,
			err[0] ? err : "writing it failed", rc->opts.output);
		return -1;
	}
	struct rr_meta *m = &rc->meta;
	struct encore_machine *mach = l->guest.machine;
	m->complete = true;
	/* The landmark count: exits on KVM (docs/kvm.md). */
	m->insns = machine__progress(mach);
	m->virtual_ns = machine__now(mach);
	m->wall_ns = (u64)(l->wall_seconds * 1e9);
	snprintf(m->outcome, sizeof(m->outcome), "%s", run_outcome__name(l->result.outcome));
	m->exit_status = status;
	m->state_hash = s->end_state_hash;
	m->console_bytes = s->console_bytes;
	m->events = s->events;
	m->checkpoints = s->checkpoints;
	if (!mach->by_exits)
		list_vcpu_insns(mach, m->vcpu_insns, sizeof(m->vcpu_insns));
	int written = rr_meta__write(rc->opts.output, m, err, sizeof(err));
	unlock(rc);
	return written ? fail(err) : 0;
}

void recorder__say(const struct recorder *rc)
{
	const struct rr_meta *m = &rc->meta;
	const struct snap_writer_stats *st = &rc->snap_stats;
	fprintf(stderr, "encore: recorded %llu %s (%.3f s of virtual time, %.3f s of wall "
		"time) into %s: %llu events, %llu bytes of log, %llu checkpoints (%llu unique pages, "
		"%.1f MB stored; checkpoints held the guest %.3f s)\n",
		(unsigned long long)m->insns, rr_meta__by_exits(m) ? "exits" : "instructions",
		m->virtual_ns / 1e9, m->wall_ns / 1e9,
		rc->opts.output, (unsigned long long)m->events, (unsigned long long)m->log_bytes,
		(unsigned long long)m->checkpoints, (unsigned long long)st->new_pages,
		st->page_bytes / 1e6, st->take_ns / 1e9);
}

int cmd_record(int argc, char **argv)
{
	static struct recorder rc;
	memset(&rc, 0, sizeof(rc));
	int pr = run_opts__parse(argc, argv, true, &rc.opts);
	if (pr)
		return pr == 1 ? 0 : pr;
	/* Past a file-size limit (ulimit -f), a write fails with EFBIG,
	 * which stops recording cleanly; the signal would kill encore. */
	signal(SIGXFSZ, SIG_IGN);
	struct follower sim = { 0 };
	if (rc.opts.nsimulate && follower__prepare(&sim, &rc.opts))
		return 2;
	if (prepare(&rc)) {
		recorder__discard(&rc);
		if (rc.l) {
			console__finish(&rc.l->console);
			launch__destroy(rc.l);
		}
		return 2;
	}
	/* Without its simulation the recording still goes on. */
	if (rc.opts.nsimulate)
		follower__start(&sim, &rc.opts);
	launch__run(rc.l, rc.opts.max_insns);
	int status = launch__status(rc.l, true);
	int r = recorder__finish(&rc, status);
	if (!r)
		recorder__say(&rc);
	follower__finish(&sim);
	if (rc.opts.summary)
		launch__summary(rc.l);
	launch__destroy(rc.l);
	return r ? 2 : status;
}
