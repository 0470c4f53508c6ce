/* Parsing gdb's remote protocol requests (gdb_request.h). */
#include <string.h>

#include "debug/gdb_packet.h"
#include "debug/gdb_request.h"

static void bad(struct gdb_request *r, const char *why)
{
	r->kind = GDB_REQ_BAD;
	r->why = why;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* "addr,len" at p; *p is left after it. */
static bool addr_len(const char **p, struct gdb_request *r)
{
	return gdb_hex__number(p, &r->addr) && *(*p)++ == ',' && gdb_hex__number(p, &r->len);
}

/* A thread id: "-1", or hex. */
static bool thread_id(const char **p, i64 *t)
{
	u64 v;
	if ((*p)[0] == '-' && (*p)[1] == '1') {
		*p += 2;
		*t = -1;
		return true;
	}
	if (!gdb_hex__number(p, &v) || v > 0x7fffffff)
		return false;
	*t = (i64)v;
	return true;
}

static void parse_memory(const char *s, const char *end, struct gdb_request *r)
{
	const char *p = s + 1;
	if (!addr_len(&p, r))
		return bad(r, "a memory request needs ADDR,LENGTH in hex");
	if (s[0] == 'm') {
		if (*p)
			return bad(r, "junk after a memory read's length");
		r->kind = GDB_REQ_READ_MEM;
		return;
	}
	if (*p != ':')
		return bad(r, "a memory write needs ':' before its data");
	r->kind = GDB_REQ_WRITE_MEM;
	r->data = p + 1;
	r->data_len = (size_t)(end - (p + 1));
}

static void parse_point(const char *s, struct gdb_request *r)
{
	const char *p = s + 1;
	u64 type;
	if (!gdb_hex__number(&p, &type) || type > GDB_POINT_ACCESS || *p++ != ',' ||
	    !addr_len(&p, r))
		return bad(r, "a breakpoint request needs TYPE,ADDR,KIND (type 0 to 4)");
	/* Conditions and commands (";X...") are the target's to evaluate:
	 * encore lets gdb evaluate them instead, so it ignores them. */
	if (*p && *p != ';')
		return bad(r, "junk after a breakpoint's kind");
	r->kind = s[0] == 'Z' ? GDB_REQ_INSERT_POINT : GDB_REQ_REMOVE_POINT;
	r->point = (unsigned)type;
}

/* vCont;ACTION[:TID][;ACTION[:TID]]...: a step anywhere makes the whole
 * request a step (one machine runs: it steps one instruction). */
static void parse_vcont(const char *s, struct gdb_request *r)
{
	const char *p = s + 5;
	bool step = false, any = false;
	while (*p == ';') {
		char a = *++p;
		if (a != 'c' && a != 's' && a != 'C' && a != 'S')
			return bad(r, "vCont action other than c, C, s, S");
		p++;
		u64 sig;
		if ((a == 'C' || a == 'S') && !gdb_hex__number(&p, &sig))
			return bad(r, "vCont C and S need a signal number");
		i64 t = 0;
		if (*p == ':') {
			p++;
			if (!thread_id(&p, &t))
				return bad(r, "vCont thread id is not a number");
		}
		if (a == 's' || a == 'S') {
			if (!step || t > 0) {
				r->thread = t;
				r->has_thread = t > 0;
			}
			step = true;
		}
		any = true;
	}
	if (!any || *p)
		return bad(r, "vCont needs ;ACTION[:THREAD] items");
	r->kind = step ? GDB_REQ_STEP : GDB_REQ_CONTINUE;
}

/* c [addr], s [addr], C sig[;addr], S sig[;addr]: resuming elsewhere than
 * where the machine is would change the replay, so an address is bad. */
static void parse_resume(const char *s, struct gdb_request *r)
{
	const char *p = s + 1;
	u64 sig;
	if ((s[0] == 'C' || s[0] == 'S') && !gdb_hex__number(&p, &sig))
		return bad(r, "C and S need a signal number");
	if (*p)
		return bad(r, "encore cannot resume at another address: it replays a recording");
	r->kind = s[0] == 'c' || s[0] == 'C' ? GDB_REQ_CONTINUE : GDB_REQ_STEP;
}

static void parse_features(const char *s, struct gdb_request *r)
{
	const char *p = s + strlen("qXfer:features:read:"), *colon = strchr(p, ':');
	if (!colon || (size_t)(colon - p) >= sizeof(r->annex))
		return bad(r, "qXfer:features:read needs ANNEX:OFFSET,LENGTH");
	memcpy(r->annex, p, (size_t)(colon - p));
	r->annex[colon - p] = 0;
	p = colon + 1;
	if (!addr_len(&p, r) || *p)
		return bad(r, "qXfer:features:read needs ANNEX:OFFSET,LENGTH");
	r->kind = GDB_REQ_FEATURES;
}

static void parse_monitor(const char *s, struct gdb_request *r)
{
	const char *hex = s + strlen("qRcmd,");
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > GDB_MONITOR_MAX || !gdb_hex__decode(hex, n / 2, (u8 *)r->text))
		return bad(r, "qRcmd needs the command in hex (at most 512 bytes)");
	r->text[n / 2] = 0;
	if (strlen(r->text) != n / 2)
		return bad(r, "a monitor command holds a NUL byte");
	r->kind = GDB_REQ_MONITOR;
}

static void parse_query(const char *s, struct gdb_request *r)
{
	const char *p;
	if (starts(s, "qSupported"))
		r->kind = GDB_REQ_SUPPORTED;
	else if (!strcmp(s, "qC"))
		r->kind = GDB_REQ_CURRENT_THREAD;
	else if (!strcmp(s, "qfThreadInfo"))
		r->kind = GDB_REQ_THREADS_FIRST;
	else if (!strcmp(s, "qsThreadInfo"))
		r->kind = GDB_REQ_THREADS_NEXT;
	else if (starts(s, "qAttached"))
		r->kind = GDB_REQ_ATTACHED;
	else if (starts(s, "qXfer:features:read:"))
		parse_features(s, r);
	else if (starts(s, "qRcmd,"))
		parse_monitor(s, r);
	else if (starts(s, "qThreadExtraInfo,")) {
		p = s + strlen("qThreadExtraInfo,");
		if (!thread_id(&p, &r->thread) || *p)
			return bad(r, "qThreadExtraInfo needs a thread id");
		r->kind = GDB_REQ_THREAD_EXTRA;
	}
}

static void parse_register(const char *s, struct gdb_request *r)
{
	const char *p = s + 1;
	u64 n;
	if (!gdb_hex__number(&p, &n) || n > 0xffff)
		return bad(r, "a register request needs its number in hex");
	r->regno = (unsigned)n;
	if (s[0] == 'p') {
		if (*p)
			return bad(r, "junk after a register number");
		r->kind = GDB_REQ_READ_REG;
		return;
	}
	if (*p != '=')
		return bad(r, "a register write needs '=' and a value");
	r->kind = GDB_REQ_WRITE_REG;
	r->data = p + 1;
	r->data_len = strlen(p + 1);
}

static void parse_thread(const char *s, struct gdb_request *r)
{
	const char *p = s + 1;
	if (s[0] == 'H') {
		r->thread_op = *p++;
		if (r->thread_op != 'g' && r->thread_op != 'c')
			return bad(r, "H needs g or c");
	}
	if (!thread_id(&p, &r->thread) || *p)
		return bad(r, "a thread request needs a thread id");
	r->kind = s[0] == 'H' ? GDB_REQ_SET_THREAD : GDB_REQ_THREAD_ALIVE;
}

void gdb_request__parse(const char *body, size_t len, struct gdb_request *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = GDB_REQ_UNKNOWN;
	if (!len)
		return;
	if (body[0] != 'X' && strlen(body) != len)
		return bad(r, "a NUL byte in a packet that takes text");
	switch (body[0]) {
	case '?': r->kind = len == 1 ? GDB_REQ_HALT_REASON : GDB_REQ_UNKNOWN; break;
	case 'g': r->kind = len == 1 ? GDB_REQ_READ_REGS : GDB_REQ_UNKNOWN; break;
	case 'G':
		r->kind = GDB_REQ_WRITE_REGS;
		r->data = body + 1;
		r->data_len = len - 1;
		break;
	case 'p': case 'P': parse_register(body, r); break;
	case 'm': case 'M': case 'X': parse_memory(body, body + len, r); break;
	case 'Z': case 'z': parse_point(body, r); break;
	case 'c': case 'C': case 's': case 'S': parse_resume(body, r); break;
	case 'b':
		if (!strcmp(body, "bc"))
			r->kind = GDB_REQ_REVERSE_CONTINUE;
		else if (!strcmp(body, "bs"))
			r->kind = GDB_REQ_REVERSE_STEP;
		break;
	case 'H': case 'T': parse_thread(body, r); break;
	case 'q': parse_query(body, r); break;
	case 'Q':
		if (!strcmp(body, "QStartNoAckMode"))
			r->kind = GDB_REQ_NO_ACK_MODE;
		break;
	case 'v':
		if (!strcmp(body, "vCont?"))
			r->kind = GDB_REQ_VCONT_QUERY;
		else if (starts(body, "vCont;"))
			parse_vcont(body, r);
		else if (starts(body, "vKill"))
			r->kind = GDB_REQ_KILL;
		break;
	case 'D': r->kind = GDB_REQ_DETACH; break;
	case 'k': r->kind = GDB_REQ_KILL; break;
	default: break;
	}
}
