/* User-mode networking through libslirp (net_user.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <libslirp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "encore/errmsg.h"
#include "net_user.h"

#define QUEUE_FRAMES 512   /* frames for the guest the host side holds */
#define MAX_POLLFDS 1024
#define MAX_TIMERS 16

struct frame {
	u8 *data;
	size_t len;
};

struct slirp_timer {
	SlirpTimerCb cb;
	void *cb_opaque;
	i64 expire_ms;     /* -1: off */
	bool used;
};

struct net_user {
	Slirp *slirp;
	struct frame q[QUEUE_FRAMES];
	unsigned head, count;
	struct pollfd fds[MAX_POLLFDS];
	int nfds;
	struct slirp_timer timers[MAX_TIMERS];
	bool warned;
};

/* ---- parsing ---- */

static bool parse_port(const char *s, size_t len, u16 *port)
{
	unsigned v = 0;
	if (!len || len > 5)
		return false;
	for (size_t k = 0; k < len; k++) {
		if (s[k] < '0' || s[k] > '9')
			return false;
		v = v * 10 + (unsigned)(s[k] - '0');
	}
	if (!v || v > 65535)
		return false;
	*port = (u16)v;
	return true;
}

/* tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT */
static bool parse_forward(const char *r, size_t len, struct net_forward *f)
{
	char rule[128], addr[64];
	if (len >= sizeof(rule) || strncmp(r, "tcp:", 4))
		return false;
	memcpy(rule, r, len);
	rule[len] = 0;
	char *colon = strchr(rule + 4, ':'), *dash = colon ? strstr(colon, "-:") : NULL;
	if (!colon || !dash || (size_t)(colon - (rule + 4)) >= sizeof(addr))
		return false;
	memcpy(addr, rule + 4, (size_t)(colon - (rule + 4)));
	addr[colon - (rule + 4)] = 0;
	struct in_addr a = { 0 };
	if (addr[0] && inet_pton(AF_INET, addr, &a) != 1)
		return false;
	f->host_addr = a.s_addr;
	return parse_port(colon + 1, (size_t)(dash - colon - 1), &f->host_port) &&
	       parse_port(dash + 2, strlen(dash + 2), &f->guest_port);
}

bool net_user__parse(const char *arg, struct net_user_opts *o, char *err, size_t n)
{
	memset(o, 0, sizeof(*o));
	if (!strcmp(arg, "none"))
		return true;
	if (strncmp(arg, "user", 4) || (arg[4] && arg[4] != ',')) {
		errmsg(err, n, "--net '%s': say 'user' (with ,hostfwd=... rules) or 'none'", arg);
		return false;
	}
	o->enabled = true;
	for (const char *p = arg + 4; *p == ',';) {
		const char *opt = p + 1, *end = strchr(opt, ',');
		size_t len = end ? (size_t)(end - opt) : strlen(opt);
		if (len > 5 && !strncmp(opt, "tftp=", 5) && len - 5 < sizeof(o->tftp)) {
			memcpy(o->tftp, opt + 5, len - 5);
			o->tftp[len - 5] = 0;
			p = opt + len;
			continue;
		}
		if (len <= 8 || strncmp(opt, "hostfwd=", 8) || o->nfwd == NET_USER_MAX_FORWARDS ||
		    !parse_forward(opt + 8, len - 8, &o->fwd[o->nfwd])) {
			errmsg(err, n, "--net '%s': bad '%.*s' (want hostfwd=tcp:[HOSTADDR]:HOSTPORT-:"
			       "GUESTPORT, at most %d, or tftp=DIR)", arg, (int)len, opt,
			       NET_USER_MAX_FORWARDS);
			return false;
		}
		o->nfwd++;
		p = opt + len;
	}
	return true;
}

/* ---- libslirp's callbacks ---- */

static ssize_t to_guest(const void *buf, size_t len, void *opaque)
{
	struct net_user *u = opaque;
	if (u->count == QUEUE_FRAMES || !len)
		return (ssize_t)len; /* the guest is not taking frames: TCP will resend */
	u8 *copy = malloc(len);
	if (!copy)
		return (ssize_t)len;
	memcpy(copy, buf, len);
	u->q[(u->head + u->count++) % QUEUE_FRAMES] = (struct frame){ copy, len };
	return (ssize_t)len;
}

static void guest_error(const char *msg, void *opaque)
{
	struct net_user *u = opaque;
	if (!u->warned)
		fprintf(stderr, "encore: user network: %s\n", msg);
	u->warned = true;
}

static i64 host_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (i64)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int64_t clock_ns(void *opaque)
{
	(void)opaque;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void *timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct net_user *u = opaque;
	for (unsigned k = 0; k < MAX_TIMERS; k++)
		if (!u->timers[k].used) {
			u->timers[k] = (struct slirp_timer){ cb, cb_opaque, -1, true };
			return &u->timers[k];
		}
	return NULL;
}

static void timer_free(void *timer, void *opaque)
{
	(void)opaque;
	if (timer)
		((struct slirp_timer *)timer)->used = false;
}

static void timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	(void)opaque;
	if (timer)
		((struct slirp_timer *)timer)->expire_ms = expire_ms;
}

static void no_fd(int fd, void *opaque)
{
	(void)fd, (void)opaque;
}

static void no_notify(void *opaque)
{
	(void)opaque;
}

static const SlirpCb callbacks = {
	.send_packet = to_guest, .guest_error = guest_error, .clock_get_ns = clock_ns,
	.timer_new = timer_new, .timer_free = timer_free, .timer_mod = timer_mod,
	.register_poll_fd = no_fd, .unregister_poll_fd = no_fd, .notify = no_notify,
};

/* ---- life cycle ---- */

static struct in_addr ip(const char *s)
{
	struct in_addr a;
	inet_pton(AF_INET, s, &a);
	return a;
}

struct net_user *net_user__create(const struct net_user_opts *o, char *err, size_t n)
{
	struct net_user *u = calloc(1, sizeof(*u));
	if (!u) {
		errmsg(err, n, "out of memory");
		return NULL;
	}
	SlirpConfig cfg = {
		.version = 3, .in_enabled = true, .vnetwork = ip("10.0.2.0"),
		.vnetmask = ip("255.255.255.0"), .vhost = ip("10.0.2.2"),
		.vdhcp_start = ip("10.0.2.15"), .vnameserver = ip("10.0.2.3"),
		.vhostname = "encore",
	};
	if (o->tftp[0]) {
		struct stat st;
		if (stat(o->tftp, &st) || !S_ISDIR(st.st_mode)) {
			free(u);
			errmsg(err, n, "--net user,tftp=%s: not a directory", o->tftp);
			return NULL;
		}
		cfg.tftp_path = o->tftp;
		cfg.tftp_server_name = "10.0.2.2";
	}
	u->slirp = slirp_new(&cfg, &callbacks, u);
	if (!u->slirp) {
		free(u);
		errmsg(err, n, "cannot start the user network (libslirp)");
		return NULL;
	}
	for (unsigned k = 0; k < o->nfwd; k++) {
		const struct net_forward *f = &o->fwd[k];
		struct in_addr host = { f->host_addr };
		if (slirp_add_hostfwd(u->slirp, 0, host, f->host_port, ip("10.0.2.15"),
				      f->guest_port) < 0) {
			char a[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &host, a, sizeof(a));
			errmsg(err, n, "cannot forward host port %s:%u to the guest's port %u: %s",
			       a, f->host_port, f->guest_port,
			       errno ? strerror(errno) : "the port is in use");
			net_user__destroy(u);
			return NULL;
		}
	}
	return u;
}

void net_user__destroy(struct net_user *u)
{
	if (!u)
		return;
	while (u->count)
		net_user__drop(u);
	slirp_cleanup(u->slirp);
	free(u);
}

/* ---- traffic ---- */

void net_user__from_guest(struct net_user *u, const u8 *frame, size_t len)
{
	slirp_input(u->slirp, frame, (int)len);
}

bool net_user__next(struct net_user *u, const u8 **frame, size_t *len)
{
	if (!u->count)
		return false;
	*frame = u->q[u->head].data;
	*len = u->q[u->head].len;
	return true;
}

void net_user__drop(struct net_user *u)
{
	if (!u->count)
		return;
	free(u->q[u->head].data);
	u->head = (u->head + 1) % QUEUE_FRAMES;
	u->count--;
}

static int add_poll(int fd, int events, void *opaque)
{
	struct net_user *u = opaque;
	if (u->nfds == MAX_POLLFDS)
		return -1;
	short ev = 0;
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	u->fds[u->nfds] = (struct pollfd){ .fd = fd, .events = ev };
	return u->nfds++;
}

static int get_revents(int idx, void *opaque)
{
	struct net_user *u = opaque;
	if (idx < 0 || idx >= u->nfds)
		return 0;
	short r = u->fds[idx].revents;
	return (r & POLLIN ? SLIRP_POLL_IN : 0) | (r & POLLOUT ? SLIRP_POLL_OUT : 0) |
	       (r & POLLPRI ? SLIRP_POLL_PRI : 0) | (r & POLLERR ? SLIRP_POLL_ERR : 0) |
	       (r & POLLHUP ? SLIRP_POLL_HUP : 0);
}

static void fire_timers(struct net_user *u)
{
	i64 now = host_ms();
	for (unsigned k = 0; k < MAX_TIMERS; k++) {
		struct slirp_timer *t = &u->timers[k];
		if (t->used && t->expire_ms >= 0 && t->expire_ms <= now) {
			t->expire_ms = -1;
			t->cb(t->cb_opaque);
		}
	}
}

/* Milliseconds to the next timer, at most `limit` (-1: no limit). */
static int timer_wait(const struct net_user *u, int limit)
{
	i64 now = host_ms();
	for (unsigned k = 0; k < MAX_TIMERS; k++) {
		const struct slirp_timer *t = &u->timers[k];
		if (!t->used || t->expire_ms < 0)
			continue;
		i64 w = t->expire_ms > now ? t->expire_ms - now : 0;
		if (limit < 0 || w < limit)
			limit = (int)w;
	}
	return limit;
}

bool net_user__poll(struct net_user *u, int fd, int timeout_ms)
{
	uint32_t slirp_timeout = UINT32_MAX;
	u->nfds = 0;
	int own = fd >= 0 ? add_poll(fd, SLIRP_POLL_IN, u) : -1;
	slirp_pollfds_fill(u->slirp, &slirp_timeout, add_poll, u);
	int wait = timer_wait(u, timeout_ms);
	if (slirp_timeout != UINT32_MAX && (wait < 0 || (u32)wait > slirp_timeout))
		wait = (int)slirp_timeout;
	int r = poll(u->fds, (nfds_t)u->nfds, u->count ? 0 : wait);
	slirp_pollfds_poll(u->slirp, r < 0, get_revents, u);
	fire_timers(u);
	return own >= 0 && r > 0 && (u->fds[own].revents & (POLLIN | POLLHUP));
}
