/* encore's gdb server (gdb_server.h). */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "debug/gdb_server.h"
#include "encore/fd_write.h"
#include "encore/virt_read.h"

/* ---- the connection ---- */

int gdb_server__listen(struct gdb_server *srv, const char *spec, char *err, size_t n)
{
	memset(srv, 0, sizeof(*srv));
	srv->listen_fd = srv->fd = -1;
	char host[96] = "127.0.0.1";
	const char *port = spec, *colon = strrchr(spec, ':');
	if (colon) {
		size_t hl = (size_t)(colon - spec);
		if (hl >= sizeof(host)) {
			snprintf(err, n, "--gdb: host name too long in '%s'", spec);
			return -1;
		}
		if (hl) {
			memcpy(host, spec, hl);
			host[hl] = 0;
		}
		port = colon + 1;
	}
	char *end;
	long p = strtol(port, &end, 10);
	if (!*port || *end || p < 0 || p > 65535) {
		snprintf(err, n, "--gdb: '%s' is not [HOST:]PORT (a port 0 to 65535)", spec);
		return -1;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		snprintf(err, n, "--gdb: cannot resolve '%s': %s", host, gai_strerror(rc));
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 1)) {
		snprintf(err, n, "--gdb: cannot listen on %s:%s: %s", host, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage sa;
	socklen_t sl = sizeof(sa);
	char shown[INET6_ADDRSTRLEN] = "?";
	unsigned real_port = 0;
	if (!getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		void *a = sa.ss_family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)&sa)->sin6_addr
						   : (void *)&((struct sockaddr_in *)&sa)->sin_addr;
		inet_ntop(sa.ss_family, a, shown, sizeof(shown));
		real_port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
							   : ((struct sockaddr_in *)&sa)->sin_port);
	}
	snprintf(srv->where, sizeof(srv->where), sa.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 shown, real_port);
	srv->listen_fd = fd;
	return 0;
}

static void reset_connection(struct gdb_server *srv)
{
	srv->no_ack = false;
	srv->g_vcpu = 0;
	srv->in_len = srv->in_off = 0;
	srv->out_len = 0;
	srv->resume_waiting = srv->monitor_waiting = false;
	gdb_rx__init(&srv->rx);
}

static bool accept_client(struct gdb_server *srv)
{
	int fd;
	do
		fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		fprintf(stderr, "encore replay: gdb server: accept failed: %s\n", strerror(errno));
		return false;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	srv->fd = fd;
	reset_connection(srv);
	fprintf(stderr, "encore replay: gdb attached\n");
	return true;
}

static void disconnected(struct gdb_server *srv)
{
	close(srv->fd);
	srv->fd = -1;
	fprintf(stderr, "encore replay: gdb disconnected without detaching; the replay stays where "
		"it was, waiting for gdb on %s (Ctrl-C ends encore)\n", srv->where);
}

/* The next byte from the client: -1 once it is gone. */
static int read_byte(struct gdb_server *srv)
{
	if (srv->in_off == srv->in_len) {
		ssize_t r;
		do
			r = read(srv->fd, srv->in, sizeof(srv->in));
		while (r < 0 && errno == EINTR);
		if (r <= 0)
			return -1;
		srv->in_len = (size_t)r;
		srv->in_off = 0;
	}
	return srv->in[srv->in_off++];
}

static void send_raw(struct gdb_server *srv, const void *p, size_t n)
{
	if (srv->fd >= 0)
		fd_write_all(srv->fd, p, n);
}

/* Wait for the client's '+' (sending again on '-').  A client that
 * sends its next packet instead is taken to have acknowledged. */
static void await_ack(struct gdb_server *srv)
{
	for (int tries = 0; srv->fd >= 0;) {
		int b = read_byte(srv);
		if (b < 0 || b == '+')
			return;
		if (b == '$' || b == 0x03) {
			srv->in_off--; /* for receive() */
			return;
		}
		if (b == '-' && ++tries < 8)
			send_raw(srv, srv->out, srv->out_len);
	}
}

static void send_packet(struct gdb_server *srv, const char *body, size_t len)
{
	srv->out_len = gdb_packet__frame((const u8 *)body, len, srv->out, sizeof(srv->out));
	send_raw(srv, srv->out, srv->out_len);
	if (!srv->no_ack)
		await_ack(srv);
}

static void reply(struct gdb_server *srv, const char *body)
{
	send_packet(srv, body, strlen(body));
}

/* The next packet into srv->body; false if the client went away. */
static bool receive(struct gdb_server *srv, size_t *len)
{
	for (;;) {
		int b = read_byte(srv);
		if (b < 0)
			return false;
		switch (gdb_rx__feed(&srv->rx, (u8)b)) {
		case GDB_RX_PACKET:
			if (!srv->no_ack)
				send_raw(srv, "+", 1);
			memcpy(srv->body, srv->rx.data, srv->rx.len + 1);
			*len = srv->rx.len;
			return true;
		case GDB_RX_BAD:
			fprintf(stderr, "encore replay: gdb server: dropped a packet: %s\n", srv->rx.why);
			if (!srv->no_ack)
				send_raw(srv, "-", 1);
			break;
		case GDB_RX_NACK:
			send_raw(srv, srv->out, srv->out_len);
			break;
		default:
			break; /* acks, and Ctrl-C while stopped */
		}
	}
}

/* ---- answers ---- */

static struct encore_machine *mach(struct gdb_server *srv)
{
	return tt__machine(srv->tt);
}

/* vCPU v's state blob (encore/arch.h) into `s`. */
static void vcpu_state(struct gdb_server *srv, unsigned v, u64 s[ARCH_STATE_MAX / 8])
{
	struct encore_engine *e = mach(srv)->vcpus[v].engine;
	e->ops->get_state(e, s);
}

static void send_stop_reply(struct gdb_server *srv)
{
	static const char *const watch_key[] = { "", "watch", "rwatch", "awatch" };
	const struct tt_stop *st = &srv->stop;
	char buf[160];
	int n = snprintf(buf, sizeof(buf), "T%02xthread:%x;", st->why == TT_INTERRUPTED ? 2 : 5,
			 srv->stop_vcpu + 1);
	if (st->why == TT_BREAK)
		snprintf(buf + n, sizeof(buf) - n, "swbreak:;");
	else if (st->why == TT_WATCH)
		snprintf(buf + n, sizeof(buf) - n, "%s:%llx;", watch_key[st->watch.kind & 3],
			 (unsigned long long)st->watch.addr);
	else if (st->why == TT_BEGIN)
		snprintf(buf + n, sizeof(buf) - n, "replaylog:begin;");
	else if (st->why == TT_END)
		snprintf(buf + n, sizeof(buf) - n, "replaylog:end;");
	srv->g_vcpu = srv->stop_vcpu;
	reply(srv, buf);
}

static void read_registers(struct gdb_server *srv)
{
	const struct encore_arch *arch = mach(srv)->arch;
	u64 s[ARCH_STATE_MAX / 8];
	vcpu_state(srv, srv->g_vcpu, s);
	size_t n = 0;
	u8 val[16];
	for (unsigned r = 0; r < arch->gdb_nregs(); r++) {
		unsigned size = arch->gdb_reg(s, r, val);
		gdb_hex__encode(val, size, srv->body + n);
		n += 2 * size;
	}
	send_packet(srv, srv->body, n);
}

static void read_register(struct gdb_server *srv, unsigned regno)
{
	u64 s[ARCH_STATE_MAX / 8];
	u8 val[16];
	char hex[40];
	vcpu_state(srv, srv->g_vcpu, s);
	unsigned size = mach(srv)->arch->gdb_reg(s, regno, val);
	if (!size)
		return reply(srv, "E45");
	gdb_hex__encode(val, size, hex);
	reply(srv, hex);
}

/* Through the page tables of the selected vCPU, up to the first byte
 * that is not mapped. */
static void read_memory(struct gdb_server *srv, u64 addr, u64 len)
{
	static u8 buf[GDB_PACKET_MAX / 2];
	u64 s[ARCH_STATE_MAX / 8];
	vcpu_state(srv, srv->g_vcpu, s);
	if (len > sizeof(buf))
		len = sizeof(buf);
	size_t got = 0;
	while (got < len) {
		u64 va = addr + got, chunk = 4096 - (va & 4095);
		if (chunk > len - got)
			chunk = len - got;
		if (machine__read_virt(mach(srv), s, va, buf + got, chunk))
			break;
		got += chunk;
	}
	if (!got && len)
		return reply(srv, "E14");
	gdb_hex__encode(buf, got, srv->body);
	send_packet(srv, srv->body, 2 * got);
}

static void refuse_write(struct gdb_server *srv, const char *what)
{
	fprintf(stderr, "encore replay: gdb asked to write %s: refused, a replay cannot change "
		"the machine (it would leave its recording)\n", what);
	reply(srv, "E.encore replays a recording: writes would make it diverge");
}

static void change_point(struct gdb_server *srv, const struct gdb_request *r)
{
	static const unsigned kinds[] = { [GDB_POINT_WRITE] = WATCH_WRITE,
					  [GDB_POINT_READ] = WATCH_READ,
					  [GDB_POINT_ACCESS] = WATCH_ACCESS };
	struct points *p = &srv->tt->points;
	bool insert = r->kind == GDB_REQ_INSERT_POINT;
	int rc = 0;
	if (r->point <= GDB_POINT_HARDWARE) {
		if (insert)
			rc = points__add_break(p, r->addr);
		else
			points__remove_break(p, r->addr);
	} else if (insert) {
		rc = points__add_watch(p, r->addr, r->len, kinds[r->point]);
	} else {
		points__remove_watch(p, r->addr, r->len, kinds[r->point]);
	}
	reply(srv, rc ? "E01" : "OK");
}

static void send_features(struct gdb_server *srv, const struct gdb_request *r)
{
	if (strcmp(r->annex, "target.xml"))
		return reply(srv, "E00");
	const char *xml = mach(srv)->arch->gdb_target_xml();
	size_t total = strlen(xml), off = r->addr < total ? r->addr : total;
	size_t len = r->len < GDB_PACKET_MAX - 1 ? r->len : GDB_PACKET_MAX - 1;
	if (len > total - off)
		len = total - off;
	srv->body[0] = off + len < total ? 'm' : 'l';
	memcpy(srv->body + 1, xml + off, len);
	send_packet(srv, srv->body, len + 1);
}

/* Text for the client's console, as 'O' packets (while a command runs). */
static void console_output(struct gdb_server *srv, const char *text)
{
	size_t n = strlen(text);
	for (size_t off = 0; off < n;) {
		size_t chunk = n - off < 1024 ? n - off : 1024;
		srv->body[0] = 'O';
		gdb_hex__encode((const u8 *)text + off, chunk, srv->body + 1);
		send_packet(srv, srv->body, 1 + 2 * chunk);
		off += chunk;
	}
}

static bool monitor(struct gdb_server *srv, const char *cmd, struct tt_order *o)
{
	static char out[8192];
	out[0] = 0;
	bool run = gdb_monitor__run(srv, cmd, out, sizeof(out), o);
	console_output(srv, out);
	if (run && o->verb == TT_LIVE) { /* the last this client hears */
		reply(srv, "OK");
		gdb_server__close(srv);
		return true;
	}
	if (run) {
		srv->monitor_waiting = true;
		return true;
	}
	reply(srv, "OK");
	return false;
}

static void threads(struct gdb_server *srv)
{
	char *b = srv->body;
	size_t n = 0;
	b[n++] = 'm';
	for (unsigned k = 0; k < mach(srv)->nvcpus; k++)
		n += (size_t)snprintf(b + n, 16, k ? ",%x" : "%x", k + 1);
	send_packet(srv, b, n);
}

static void thread_extra(struct gdb_server *srv, i64 t)
{
	char name[32], hex[80];
	snprintf(name, sizeof(name), "vCPU %lld", (long long)t - 1);
	gdb_hex__encode((const u8 *)name, strlen(name), hex);
	reply(srv, hex);
}

static bool valid_thread(struct gdb_server *srv, i64 t)
{
	return t > 0 && (u64)t <= mach(srv)->nvcpus;
}

static void set_thread(struct gdb_server *srv, const struct gdb_request *r)
{
	if (r->thread > 0 && !valid_thread(srv, r->thread))
		return reply(srv, "E01");
	if (r->thread_op == 'g')
		srv->g_vcpu = r->thread > 0 ? (unsigned)r->thread - 1 : srv->stop_vcpu;
	reply(srv, "OK");
}

static bool resume(struct gdb_server *srv, enum tt_verb verb, struct tt_order *o)
{
	o->verb = verb;
	srv->resume_waiting = true;
	return true;
}

static void supported(struct gdb_server *srv)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;"
		 "QStartNoAckMode+;ReverseStep+;ReverseContinue+", GDB_PACKET_MAX);
	reply(srv, buf);
}

/* Act on one packet; true when it resumes (o filled). */
static bool handle(struct gdb_server *srv, size_t len, struct tt_order *o)
{
	struct gdb_request r;
	gdb_request__parse(srv->body, len, &r);
	switch (r.kind) {
	case GDB_REQ_BAD:
		fprintf(stderr, "encore replay: gdb server: malformed request '%.40s': %s\n",
			srv->body, r.why);
		reply(srv, "E01");
		return false;
	case GDB_REQ_HALT_REASON: send_stop_reply(srv); return false;
	case GDB_REQ_READ_REGS: read_registers(srv); return false;
	case GDB_REQ_READ_REG: read_register(srv, r.regno); return false;
	case GDB_REQ_WRITE_REGS: case GDB_REQ_WRITE_REG: refuse_write(srv, "a register"); return false;
	case GDB_REQ_WRITE_MEM: refuse_write(srv, "memory"); return false;
	case GDB_REQ_READ_MEM: read_memory(srv, r.addr, r.len); return false;
	case GDB_REQ_INSERT_POINT: case GDB_REQ_REMOVE_POINT: change_point(srv, &r); return false;
	case GDB_REQ_CONTINUE: return resume(srv, TT_CONTINUE, o);
	case GDB_REQ_STEP: return resume(srv, TT_STEP, o);
	case GDB_REQ_REVERSE_CONTINUE: return resume(srv, TT_REVERSE_CONTINUE, o);
	case GDB_REQ_REVERSE_STEP: return resume(srv, TT_REVERSE_STEP, o);
	case GDB_REQ_SET_THREAD: set_thread(srv, &r); return false;
	case GDB_REQ_THREAD_ALIVE: reply(srv, valid_thread(srv, r.thread) ? "OK" : "E01"); return false;
	case GDB_REQ_CURRENT_THREAD: {
		char buf[32];
		snprintf(buf, sizeof(buf), "QC%x", srv->stop_vcpu + 1);
		reply(srv, buf);
		return false;
	}
	case GDB_REQ_THREADS_FIRST: threads(srv); return false;
	case GDB_REQ_THREADS_NEXT: reply(srv, "l"); return false;
	case GDB_REQ_THREAD_EXTRA: thread_extra(srv, r.thread); return false;
	case GDB_REQ_SUPPORTED: supported(srv); return false;
	case GDB_REQ_FEATURES: send_features(srv, &r); return false;
	case GDB_REQ_ATTACHED: reply(srv, "1"); return false;
	case GDB_REQ_MONITOR: return monitor(srv, r.text, o);
	case GDB_REQ_NO_ACK_MODE:
		reply(srv, "OK");
		srv->no_ack = true;
		return false;
	case GDB_REQ_VCONT_QUERY: reply(srv, "vCont;c;C;s;S"); return false;
	case GDB_REQ_DETACH:
		reply(srv, "OK");
		/* fall through */
	case GDB_REQ_KILL:
		if (!strncmp(srv->body, "vKill", 5))
			reply(srv, "OK");
		fprintf(stderr, "encore replay: gdb %s; the replay ends\n",
			r.kind == GDB_REQ_KILL ? "killed the target" : "detached");
		o->verb = TT_QUIT;
		return true;
	default:
		reply(srv, "");
		return false;
	}
}

static void serve(void *opaque, struct tt *tt, const struct tt_stop *stop, struct tt_order *o)
{
	struct gdb_server *srv = opaque;
	srv->tt = tt;
	srv->stop = *stop;
	/* gdb takes the thread a stop reply names as the one its register
	 * reads go to (remote.c's record_currthread) and sends Hg only when
	 * it wants another: send_stop_reply makes it encore's too. */
	srv->stop_vcpu = mach(srv)->cur->index;
	if (srv->g_vcpu >= mach(srv)->nvcpus)
		srv->g_vcpu = srv->stop_vcpu;
	srv->interrupted = false;
	if (srv->monitor_waiting) {
		static char out[1024];
		gdb_monitor__arrived(srv, out, sizeof(out));
		console_output(srv, out);
		reply(srv, "OK");
		srv->monitor_waiting = false;
	} else if (srv->resume_waiting) {
		send_stop_reply(srv);
		srv->resume_waiting = false;
	}
	for (;;) {
		if (srv->fd < 0 && !accept_client(srv)) {
			o->verb = TT_QUIT;
			return;
		}
		size_t len;
		if (!receive(srv, &len)) {
			disconnected(srv);
			continue;
		}
		if (handle(srv, len, o))
			return;
	}
}

/* While running: has the client sent Ctrl-C (or gone away)? */
static bool interrupt(void *opaque)
{
	struct gdb_server *srv = opaque;
	if (srv->fd < 0)
		return false;
	for (;;) {
		while (srv->in_off < srv->in_len)
			if (gdb_rx__feed(&srv->rx, srv->in[srv->in_off++]) == GDB_RX_INTERRUPT)
				srv->interrupted = true;
		struct pollfd p = { .fd = srv->fd, .events = POLLIN };
		if (srv->interrupted || poll(&p, 1, 0) <= 0)
			return srv->interrupted;
		ssize_t r = read(srv->fd, srv->in, sizeof(srv->in));
		if (r <= 0) {
			disconnected(srv);
			return true; /* stop, so that the next client finds it stopped */
		}
		srv->in_len = (size_t)r;
		srv->in_off = 0;
	}
}

/* What an in-memory checkpoint's process takes over (timetravel.h). */
struct handed_over {
	bool no_ack, resume_waiting, monitor_waiting;
	unsigned g_vcpu;
	char monitor_note[256];
	size_t in_len, in_off;
	u8 in[4096];
	struct gdb_rx rx;
};

static size_t save(void *opaque, u8 *buf, size_t max)
{
	struct gdb_server *srv = opaque;
	struct handed_over h = { srv->no_ack, srv->resume_waiting, srv->monitor_waiting,
				 srv->g_vcpu, "", srv->in_len, srv->in_off, { 0 }, srv->rx };
	_Static_assert(sizeof(h) <= TT_CLIENT_STATE_MAX, "the handover must fit");
	if (sizeof(h) > max)
		return 0;
	memcpy(h.monitor_note, srv->monitor_note, sizeof(h.monitor_note));
	memcpy(h.in, srv->in, sizeof(h.in));
	memcpy(buf, &h, sizeof(h));
	return sizeof(h);
}

static void load(void *opaque, const u8 *buf, size_t len, int fd)
{
	struct gdb_server *srv = opaque;
	struct handed_over h;
	if (srv->fd >= 0)
		close(srv->fd); /* the copy's, from when it was made */
	srv->fd = fd;
	if (len != sizeof(h))
		return reset_connection(srv);
	memcpy(&h, buf, sizeof(h));
	srv->no_ack = h.no_ack;
	srv->resume_waiting = h.resume_waiting;
	srv->monitor_waiting = h.monitor_waiting;
	srv->g_vcpu = h.g_vcpu;
	memcpy(srv->monitor_note, h.monitor_note, sizeof(h.monitor_note));
	srv->in_len = h.in_len;
	srv->in_off = h.in_off;
	memcpy(srv->in, h.in, sizeof(h.in));
	srv->rx = h.rx;
}

static int connection(void *opaque)
{
	return ((struct gdb_server *)opaque)->fd;
}

struct tt_client gdb_server__client(struct gdb_server *srv)
{
	return (struct tt_client){ serve, interrupt, save, load, connection, srv };
}

void gdb_server__close(struct gdb_server *srv)
{
	if (srv->fd >= 0)
		close(srv->fd);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	srv->fd = srv->listen_fd = -1;
}
