/*
 * encore's gdb server: gdb's remote serial protocol over TCP, in front of
 * time travel on a recording (timetravel.h).  One client at a time; a
 * client that disconnects leaves the replay where it is for the next.
 */
#ifndef ENCORE_DEBUG_GDB_SERVER_H
#define ENCORE_DEBUG_GDB_SERVER_H

#include "debug/gdb_packet.h"
#include "debug/gdb_request.h"
#include "debug/timetravel.h"

#define GDB_OUT_MAX (2 * GDB_PACKET_MAX + 8)

struct gdb_server {
	int listen_fd, fd;
	char where[128];          /* HOST:PORT, as listening */
	bool no_ack;
	struct gdb_rx rx;
	u8 in[4096];
	size_t in_len, in_off;
	u8 out[GDB_OUT_MAX];      /* the last packet sent, framed (for '-') */
	size_t out_len;
	char body[GDB_PACKET_MAX + 1];
	struct tt *tt;
	struct tt_stop stop;
	unsigned stop_vcpu;       /* the vCPU that was running at the stop */
	unsigned g_vcpu;          /* whose registers and memory (Hg) */
	bool resume_waiting;      /* the client waits for a stop reply */
	bool monitor_waiting;     /* ... or for a monitor command's end */
	char monitor_note[256];   /* said when a monitor command's run ends */
	bool interrupted;         /* Ctrl-C came while running */
};

/* Listen on `spec` ("PORT" or "HOST:PORT"; the host defaults to
 * 127.0.0.1); -1 with a message in err. */
int gdb_server__listen(struct gdb_server *srv, const char *spec, char *err, size_t n);
/* The client callbacks for tt__open. */
struct tt_client gdb_server__client(struct gdb_server *srv);
void gdb_server__close(struct gdb_server *srv);

/* Run a monitor command (gdb_monitor.c) at a stop: its output into
 * `out`; true when it orders a run (`o` filled; its output then goes
 * after the run, into srv->monitor_note's place). */
bool gdb_monitor__run(struct gdb_server *srv, const char *cmd, char *out, size_t n,
		      struct tt_order *o);
/* After a monitor command's run arrived: what to say. */
void gdb_monitor__arrived(struct gdb_server *srv, char *out, size_t n);

#endif
