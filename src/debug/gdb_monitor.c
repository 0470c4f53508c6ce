/*
 * gdb's `monitor` commands for encore (gdb_server.h): where the replay
 * is, going to any instruction, the state hash, the CPU state gdb's
 * registers leave out, and physical memory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "debug/gdb_server.h"
#include "debug/snapshots.h"
#include "encore/hw.h"
#include "encore/state_hash.h"

struct out {
	char *p;
	size_t n, len;
};

static void say(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct out *o, const char *fmt, ...)
{
	if (o->len >= o->n)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(o->p + o->len, o->n - o->len, fmt, ap);
	va_end(ap);
	if (w > 0)
		o->len += (size_t)w < o->n - o->len ? (size_t)w : o->n - o->len - 1;
}

static const char help[] =
	"encore's monitor commands:\n"
	"  when                 where the replay is: instruction, checkpoint, events\n"
	"  goto N               go to instruction N (forward or back)\n"
	"  goto checkpoint K    go to checkpoint K\n"
	"  goto start | end     go to the recording's start or its end\n"
	"  info checkpoints     the recording's checkpoints and where they are\n"
	"  hash                 the machine's state hash here\n"
	"  regs                 control registers, descriptor tables, MSRs\n"
	"  phys ADDR [LEN]      physical memory (up to 4096 bytes)\n"
	"  checkpoint           keep the machine here in memory: going back to here or\n"
	"                       after it starts from it (encore also leaves some itself)\n"
	"  live                 leave the recording and go on live from here (this\n"
	"                       gdb session ends; the console becomes the user's)\n"
	"Writes to registers or memory are refused: a replay cannot change the machine.\n";

static u64 progress_now(struct gdb_server *srv)
{
	struct encore_machine *m = tt__machine(srv->tt);
	return m->by_exits ? m->exits : tt__pos(srv->tt);
}

/* The events of the log around here, by the log's landmarks. */
static void say_events(struct gdb_server *srv, struct out *o)
{
	const struct rr_log *log = &srv->tt->rec->log;
	struct rr_session *s = &srv->tt->st.launch.session;
	u64 now = progress_now(srv);
	const char *unit = tt__machine(srv->tt)->by_exits ? "exit" : "instruction";
	size_t next = s->next_event;
	if (next > 0) {
		const struct rr_event *ev = &log->events[next - 1];
		say(o, "last event: #%zu (%s) at %s %llu\n", next - 1, rr_event_kind__name(ev->kind),
		    unit, (unsigned long long)ev->at.insns);
	}
	if (next < log->count) {
		const struct rr_event *ev = &log->events[next];
		say(o, "next event: #%zu (%s) at %s %llu, %llu ahead\n", next,
		    rr_event_kind__name(ev->kind), unit, (unsigned long long)ev->at.insns,
		    (unsigned long long)(ev->at.insns - now));
	} else {
		say(o, "next event: none (the log ends)\n");
	}
}

static void when(struct gdb_server *srv, struct out *o)
{
	struct tt *tt = srv->tt;
	struct encore_machine *m = tt__machine(tt);
	u64 pos = tt__pos(tt);
	say(o, "at instruction %llu (vCPU %u at %s %#llx), %.9f s of virtual time%s\n",
	    (unsigned long long)pos, m->cur->index, m->arch->pc_name,
	    (unsigned long long)vcpu__pc(m->cur),
	    machine__now(m) / 1e9, tt->finished ? ", where the replay ended" : "");
	if (m->by_exits)
		say(o, "exit %llu (the recording's landmarks count exits)\n",
		    (unsigned long long)m->exits);
	u32 k = tt__checkpoint_before(tt, pos);
	say(o, "checkpoint %u (at instruction %llu) is the latest at or before here, %llu "
	    "instructions back\n", k, (unsigned long long)tt->ckpt_pos[k],
	    (unsigned long long)(pos - tt->ckpt_pos[k]));
	say_events(srv, o);
	if (tt->divergence[0])
		say(o, "the replay diverged: %s\n", tt->divergence);
}

static void info_checkpoints(struct gdb_server *srv, struct out *o)
{
	struct tt *tt = srv->tt;
	say(o, "%u checkpoints:\n", tt->nckpts);
	for (u32 k = 0; k < tt->nckpts; k++) {
		if (tt->ckpt_pos[k] == TT_UNKNOWN)
			say(o, "  %4u  (not reached yet, or the final state)\n", k);
		else
			say(o, "  %4u  instruction %llu\n", k, (unsigned long long)tt->ckpt_pos[k]);
	}
	u64 end = tt__end_pos(tt);
	if (end != TT_UNKNOWN)
		say(o, "the recording ends at instruction %llu\n", (unsigned long long)end);
	if (!snapshots__enabled())
		return;
	say(o, "in memory:\n");
	for (int k = 0; k < SNAPSHOTS_MAX; k++) {
		const struct snapshot_info *i = snapshots__info(k);
		if (i->alive)
			say(o, "  m%-3u  instruction %llu%s\n", i->id, (unsigned long long)i->pos,
			    i->automatic ? " (left by encore on the way)" : "");
	}
}

static void hash(struct gdb_server *srv, struct out *o)
{
	struct tt *tt = srv->tt;
	u64 h = rr_session__state_hash(&tt->st.launch.session), pos = tt__pos(tt);
	say(o, "state hash %016llx at instruction %llu\n", (unsigned long long)h,
	    (unsigned long long)pos);
	for (u32 k = 0; k < tt->nckpts; k++) {
		if (tt->ckpt_pos[k] != pos)
			continue;
		const struct rr_event *ev = stretch__checkpoint_event(tt->rec, k, NULL);
		if (ev)
			say(o, "checkpoint %u recorded %016llx at this instruction%s\n", k,
			    (unsigned long long)ev->checkpoint.state_hash,
			    ev->checkpoint.state_hash == h ? " (the same)" :
			    " (a checkpoint is taken at the run loop's poll at its instruction, "
			    "where timers and interrupts are handled: a stop there can differ)");
	}
}

static void regs(struct gdb_server *srv, struct out *o)
{
	struct encore_machine *m = tt__machine(srv->tt);
	struct encore_engine *e = m->vcpus[srv->g_vcpu].engine;
	u64 blob[ARCH_STATE_MAX / 8];
	e->ops->get_state(e, blob);
	say(o, "vCPU %u\n", srv->g_vcpu);
	if (o->len < o->n) {
		m->arch->describe_system(blob, o->p + o->len, o->n - o->len);
		o->len += strlen(o->p + o->len);
	}
}

static bool number(const char *s, u64 *v)
{
	char *end;
	if (!*s)
		return false;
	*v = strtoull(s, &end, 0);
	return !*end;
}

static void phys(struct gdb_server *srv, const char *args, struct out *o)
{
	char a[64] = "", l[64] = "";
	u64 addr, len = 64;
	if (sscanf(args, "%63s %63s", a, l) < 1 || !number(a, &addr) || (l[0] && !number(l, &len)) ||
	    !len || len > 4096)
		return say(o, "usage: monitor phys ADDR [LEN], LEN at most 4096\n");
	struct encore_machine *m = tt__machine(srv->tt);
	for (u64 off = 0; off < len; off += 16) {
		say(o, "%#014llx:", (unsigned long long)(addr + off));
		for (u64 k = off; k < len && k < off + 16; k++) {
			const u8 *p = machine__ram_ptr(m, addr + k);
			if (p)
				say(o, " %02x", *p);
			else
				say(o, " --");
		}
		say(o, "\n");
	}
}

/* "goto ..." into an order; false after a message. */
static bool parse_goto(struct gdb_server *srv, const char *arg, struct tt_order *ord,
		       struct out *o)
{
	struct tt *tt = srv->tt;
	u64 v, end = tt__end_pos(tt);
	ord->verb = TT_GOTO;
	if (!strcmp(arg, "start")) {
		ord->pos = tt->start_pos;
	} else if (!strcmp(arg, "end")) {
		ord->pos = ~0ull; /* runs until the replay ends */
	} else if (!strncmp(arg, "checkpoint ", 11)) {
		if (!number(arg + 11, &v) || v >= tt->nckpts || tt->ckpt_pos[v] == TT_UNKNOWN) {
			say(o, "no checkpoint '%s' to go to ('monitor info checkpoints' lists them)\n",
			    arg + 11);
			return false;
		}
		ord->pos = tt->ckpt_pos[v];
	} else if (cli_parse_count(arg, &v)) {
		ord->pos = v;
	} else {
		say(o, "usage: monitor goto N | goto checkpoint K | goto start | goto end\n");
		return false;
	}
	if (ord->pos < tt->start_pos) {
		say(o, "instruction %llu is before the recording's start (%llu)\n",
		    (unsigned long long)ord->pos, (unsigned long long)tt->start_pos);
		return false;
	}
	if (end != TT_UNKNOWN && ord->pos != ~0ull && ord->pos > end) {
		say(o, "instruction %llu is beyond the recording's end at instruction %llu\n",
		    (unsigned long long)ord->pos, (unsigned long long)end);
		return false;
	}
	snprintf(srv->monitor_note, sizeof(srv->monitor_note), "%s", arg);
	return true;
}

bool gdb_monitor__run(struct gdb_server *srv, const char *cmd, char *buf, size_t n,
		      struct tt_order *ord)
{
	struct out o = { buf, n, 0 };
	buf[0] = 0;
	while (*cmd == ' ')
		cmd++;
	if (!strcmp(cmd, "help") || !*cmd)
		say(&o, "%s", help);
	else if (!strcmp(cmd, "when"))
		when(srv, &o);
	else if (!strcmp(cmd, "info checkpoints"))
		info_checkpoints(srv, &o);
	else if (!strcmp(cmd, "hash"))
		hash(srv, &o);
	else if (!strcmp(cmd, "regs"))
		regs(srv, &o);
	else if (!strncmp(cmd, "phys ", 5))
		phys(srv, cmd + 5, &o);
	else if (!strncmp(cmd, "goto ", 5))
		return parse_goto(srv, cmd + 5, ord, &o);
	else if (!strcmp(cmd, "checkpoint")) {
		snprintf(srv->monitor_note, sizeof(srv->monitor_note), "checkpoint");
		ord->verb = TT_SNAPSHOT;
		return true;
	} else if (!strcmp(cmd, "live")) {
		say(&o, "going live from instruction %llu: this gdb session ends, the guest's "
		    "console is encore's terminal's\n", (unsigned long long)tt__pos(srv->tt));
		ord->verb = TT_LIVE;
		return true;
	}
	else
		say(&o, "unknown monitor command '%s' ('monitor help' lists them)\n", cmd);
	return false;
}

void gdb_monitor__arrived(struct gdb_server *srv, char *buf, size_t n)
{
	struct out o = { buf, n, 0 };
	struct encore_machine *m = tt__machine(srv->tt);
	if (!strcmp(srv->monitor_note, "checkpoint")) {
		const struct snapshot_info *i = snapshots__info(srv->tt->last_snapshot);
		if (i && i->alive)
			say(&o, "checkpoint m%u kept in memory at instruction %llu\n", i->id,
			    (unsigned long long)i->pos);
		else
			say(&o, "no checkpoint kept: %s\n", srv->tt->finished ?
			    "the replay has ended here" : !snapshots__enabled() ?
			    "this encore runs without in-memory checkpoints" :
			    "every slot holds one made with 'monitor checkpoint'");
		return;
	}
	if (srv->stop.why == TT_END && strcmp(srv->monitor_note, "end"))
		say(&o, "the replay ended before 'goto %s': ", srv->monitor_note);
	say(&o, "at instruction %llu (vCPU %u at %s %#llx)%s\n",
	    (unsigned long long)tt__pos(srv->tt), m->cur->index, m->arch->pc_name,
	    (unsigned long long)vcpu__pc(m->cur),
	    srv->stop.why == TT_END ? ", the end of the replay" : "");
	say(&o, "(gdb still shows the registers it read before: 'maintenance flush "
	    "register-cache' shows these)\n");
}
