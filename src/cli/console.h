/* The serial console front end of encore run (see console.c). */
#ifndef ENCORE_CLI_CONSOLE_H
#define ENCORE_CLI_CONSOLE_H

#include <stdio.h>

#include "encore/machine.h"

struct console {
	struct encore_machine *machine;
	FILE *out;           /* where guest output goes (NULL: nowhere) */
	void (*tx)(void *opaque, u8 byte); /* give this to the console UART */
	void (*tap)(void *opaque, u8 byte); /* sees every output byte first */
	void *tap_opaque;
	bool realtime;       /* idle time passes in real time even when piped */
	bool input_open;     /* stdin may still deliver bytes */
	bool escape_pending; /* Ctrl-A seen */
	bool quit_requested; /* Ctrl-A x */
	bool signal_taken;   /* a stop signal has been passed on */
	u8 pending[4096];    /* read from stdin, not yet taken by the guest */
	size_t npending;
	char line[512];      /* the output line being printed */
	size_t line_len;
	bool panicked, panic_report_done;
	u64 panic_at;
	char panic_line[256];
	struct net_user *net;      /* --net user: frames for the guest come from here */
	struct virtio_net *nic;
};

/* interactive: read stdin (raw mode on a terminal). */
void console__init(struct console *c, struct encore_machine *m, bool interactive);
/* A user network too: its sockets are served at polls, and idle time
 * passes in real time (the host's side must have time to answer). */
struct net_user;
struct virtio_net;
void console__attach_net(struct console *c, struct net_user *net, struct virtio_net *nic);
/* The oldest frame the network holds for the guest, and taking it. */
bool console__next_frame(struct console *c, const u8 **frame, size_t *len);
void console__drop_frame(struct console *c);
/* A replay goes live: read stdin from now on (raw mode on a terminal). */
void console__go_live(struct console *c);
/* The run is over: flush, and give the terminal back (before reports). */
void console__finish(struct console *c);
/* At every poll: flush output, read what stdin has, stop a panicked
 * kernel once it has reported. */
void console__poll(struct console *c);
/* Take up to max bytes of input read from stdin. */
size_t console__take(struct console *c, u8 *buf, size_t max);
/* Ctrl-A x (status 0) or a stop signal (128 + its number), once. */
bool console__stop_requested(struct console *c, int *status);
/* The guest is idle with no timer: wait for input; false if none can come. */
bool console__wait(struct console *c);
/* How much of `ns` idle virtual time to skip: all of it unless the input
 * is a terminal, where it passes in real time (input cuts it short). */
u64 console__idle(struct console *c, u64 ns);

#endif
