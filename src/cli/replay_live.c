/*
 * encore replay REC --live-at POINT: replay a recording (verified) to a
 * point, then leave it and go on live from there: the console is the
 * user's again, time goes on (virtually, or with --realtime), a network
 * card gets a user network, and the disks go on from their recorded
 * content (in memory: the recording is not changed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rr/rec_dir.h"
#include "stretch.h"

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

static void on_live(void *opaque)
{
	struct launch *l = opaque;
	struct encore_machine *m = l->guest.machine;
	fflush(stdout);
	fprintf(stderr, "\r\nencore replay: live from here (%s %llu, %.3f s of virtual time): the "
		"console is yours, Ctrl-A x leaves\r\n", m->by_exits ? "exit" : "instruction",
		(unsigned long long)machine__progress(m), machine__now(m) / 1e9);
	if (guest__go_live(&l->guest, &l->console, NULL))
		machine__request_stop(m, 2);
}

int replay_live(const char *point, bool realtime, const struct recording *rec)
{
	struct live_point p;
	if (!parse_point(point, rec, &p))
		return 2;
	char err[1024];
	size_t console_len;
	u8 *console = rec_dir__read(rec->dir, REC_CONSOLE_FILE, &console_len, err, sizeof(err));
	if (!console) {
		fprintf(stderr, "encore replay: %s\n", err);
		return 2;
	}
	static struct stretch st;
	struct stretch_spec spec = { .has_from = true, .from = p.from, .cmd = "replay" };
	int status = 2;
	if (!stretch__open(&st, &spec, rec) && !stretch__start(&st, rec, console, console_len)) {
		struct launch *l = &st.launch;
		l->session.realtime = realtime;
		rr_session__live_at(&l->session, p.progress, on_live, l);
		launch__run(l, 0);
		if (l->session.went_live) {
			status = launch__status(l, true);
		} else if (l->session.div.found) {
			fprintf(stderr, "\nencore replay: diverged before going live: %s\n",
				l->session.div.what);
			status = 1;
		} else {
			fprintf(stderr, "\nencore replay: the replay ended before the point to go live "
				"at\n");
			status = 3;
		}
	}
	stretch__close(&st);
	free(console);
	return status;
}
