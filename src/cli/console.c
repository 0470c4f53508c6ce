/*
 * The guest's serial console on the user's terminal: guest output to
 * stdout, stdin to the guest's UART.  A terminal is put in raw mode so
 * every key reaches the guest; Ctrl-A x leaves encore, Ctrl-A Ctrl-A sends
 * a Ctrl-A.  SIGINT, SIGTERM and SIGHUP ask the run to stop cleanly
 * (a recording is finished, not lost).  The console also watches the
 * output for a Linux kernel panic, so that encore can stop with a report
 * instead of spinning.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "net_user.h"
#include "encore/hw.h"

#define ESCAPE_KEY 0x01 /* Ctrl-A */
#define PANIC_MARK "Kernel panic - not syncing"
#define PANIC_END_MARK "---[ end Kernel panic"
/* Virtual time to let a panicking kernel finish its report. */
#define PANIC_GRACE_NS 200000000ull

static struct termios saved_termios;
static bool termios_saved;
static volatile sig_atomic_t stop_signal;

static void restore_terminal(void)
{
	if (termios_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}

/* The first signal stops the run cleanly; a second one, if the run does
 * not stop, kills encore as the signal normally would. */
static void note_stop_signal(int sig)
{
	if (stop_signal) {
		restore_terminal();
		signal(sig, SIG_DFL);
		raise(sig);
	}
	stop_signal = sig;
}

/* Without SA_RESTART, so that a blocked poll(2) returns. */
static void catch_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = note_stop_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void enter_raw_mode(void)
{
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios))
		return;
	termios_saved = true;
	atexit(restore_terminal);
	struct termios raw = saved_termios;
	cfmakeraw(&raw); /* the guest sends its own CR LF */
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
}

/* Remember the panic line as it is printed; note where its report ends. */
static void watch_line(struct console *c)
{
	c->line[c->line_len] = 0;
	if (!c->panicked && strstr(c->line, PANIC_MARK)) {
		c->panicked = true;
		c->panic_at = machine__now(c->machine);
		const char *p = strstr(c->line, PANIC_MARK);
		snprintf(c->panic_line, sizeof(c->panic_line), "%s", p);
	} else if (c->panicked && strstr(c->line, PANIC_END_MARK)) {
		c->panic_report_done = true;
	}
	c->line_len = 0;
}

static void console_tx(void *opaque, u8 byte)
{
	struct console *c = opaque;
	if (c->tap)
		c->tap(c->tap_opaque, byte);
	if (c->out)
		putc(byte, c->out);
	if (byte == '\n' || byte == '\r') {
		if (c->line_len)
			watch_line(c);
		return;
	}
	if (c->line_len < sizeof(c->line) - 1)
		c->line[c->line_len++] = (char)byte;
}

void console__init(struct console *c, struct encore_machine *m, bool interactive)
{
	memset(c, 0, sizeof(*c));
	c->machine = m;
	c->out = stdout;
	c->tx = console_tx;
	c->input_open = interactive;
	catch_stop_signals();
	if (interactive)
		enter_raw_mode();
}

void console__go_live(struct console *c)
{
	if (c->input_open)
		return;
	c->input_open = true;
	enter_raw_mode();
}

void console__finish(struct console *c)
{
	if (c->out)
		fflush(c->out);
	restore_terminal();
}

/* Interpret the escape key; returns false when the byte is consumed. */
static bool escape_filter(struct console *c, u8 byte)
{
	if (!termios_saved)
		return true;
	if (c->escape_pending) {
		c->escape_pending = false;
		if (byte == 'x' || byte == 'X') {
			c->quit_requested = true;
			return false;
		}
		return byte == ESCAPE_KEY;
	}
	if (byte == ESCAPE_KEY) {
		c->escape_pending = true;
		return false;
	}
	return true;
}

static void read_input(struct console *c)
{
	u8 buf[sizeof(c->pending)];
	size_t room = sizeof(c->pending) - c->npending;
	if (!c->input_open || room == 0)
		return;
	/* Poll rather than O_NONBLOCK, which would leak to the user's shell. */
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	if (poll(&p, 1, 0) <= 0)
		return;
	ssize_t n = read(STDIN_FILENO, buf, room);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		c->input_open = false;
		return;
	}
	for (ssize_t k = 0; k < n; k++)
		if (escape_filter(c, buf[k]))
			c->pending[c->npending++] = buf[k];
}

void console__attach_net(struct console *c, struct net_user *net, struct virtio_net *nic)
{
	c->net = net;
	c->nic = nic;
}

bool console__next_frame(struct console *c, const u8 **frame, size_t *len)
{
	return c->net && net_user__next(c->net, frame, len);
}

void console__drop_frame(struct console *c)
{
	net_user__drop(c->net);
}

static u64 since_ns(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (u64)(t1.tv_sec - t0->tv_sec) * 1000000000ull + (u64)t1.tv_nsec - (u64)t0->tv_nsec;
}

/* With a network, idle time passes in real time: the host's side of
 * every connection must have time to answer.  A frame for the guest or
 * input ends the wait. */
static u64 net_idle(struct console *c, u64 ns)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	u64 waited = 0;
	const u8 *frame;
	size_t len;
	while (waited < ns) {
		int ms = (int)((ns - waited + 999999) / 1000000);
		bool input = net_user__poll(c->net, c->input_open ? STDIN_FILENO : -1, ms);
		waited = since_ns(&t0);
		if (input || net_user__next(c->net, &frame, &len))
			break;
	}
	return waited < ns ? waited : ns;
}

void console__poll(struct console *c)
{
	if (c->out)
		fflush(c->out);
	read_input(c);
	if (c->net) /* its frames go to the guest from the session, logged */
		net_user__poll(c->net, -1, 0);
	struct encore_machine *m = c->machine;
	if (c->panicked && (c->panic_report_done || machine__now(m) - c->panic_at > PANIC_GRACE_NS))
		machine__request_stop(m, 1);
}

size_t console__take(struct console *c, u8 *buf, size_t max)
{
	size_t n = c->npending < max ? c->npending : max;
	memcpy(buf, c->pending, n);
	memmove(c->pending, c->pending + n, c->npending - n);
	c->npending -= n;
	return n;
}

bool console__stop_requested(struct console *c, int *status)
{
	if (stop_signal && !c->signal_taken) {
		*status = 128 + stop_signal;
		c->signal_taken = true;
		return true;
	}
	if (c->quit_requested) {
		*status = 0;
		c->quit_requested = false;
		return true;
	}
	return false;
}

u64 console__idle(struct console *c, u64 ns)
{
	if (c->net) {
		if (c->out)
			fflush(c->out);
		return net_idle(c, ns);
	}
	if (!c->realtime && (!termios_saved || !c->input_open))
		return ns; /* not interactive: skip idle time at once */
	if (c->out)
		fflush(c->out);
	/* At a terminal, idle time passes in real time, like a normal VM's:
	 * the guest's clock keeps pace with the user's and the host rests. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct pollfd p = { .fd = STDIN_FILENO, .events = c->input_open ? POLLIN : 0 };
	if (poll(&p, 1, (int)(ns / 1000000)) == 0)
		return ns;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	u64 waited = (u64)(t1.tv_sec - t0.tv_sec) * 1000000000ull + t1.tv_nsec - t0.tv_nsec;
	return waited < ns ? waited : ns;
}

bool console__wait(struct console *c)
{
	if (c->out)
		fflush(c->out);
	const u8 *frame;
	size_t len;
	while (c->net && !c->npending && !c->quit_requested && !stop_signal) {
		bool input = net_user__poll(c->net, c->input_open ? STDIN_FILENO : -1, 1000);
		if (input)
			read_input(c);
		if (net_user__next(c->net, &frame, &len))
			return true;
	}
	while (c->input_open && !c->npending && !c->quit_requested && !stop_signal) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return false;
		read_input(c);
	}
	return c->npending || c->quit_requested || stop_signal;
}
