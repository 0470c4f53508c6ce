/*
 * gdb's remote protocol requests, parsed from a packet body into one
 * plain struct the server acts on.  Parsing is all that touches the
 * client's bytes: a malformed request is GDB_REQ_BAD with a reason, an
 * unknown one GDB_REQ_UNKNOWN (answered with an empty packet, as the
 * protocol asks).
 */
#ifndef ENCORE_DEBUG_GDB_REQUEST_H
#define ENCORE_DEBUG_GDB_REQUEST_H

#include <stddef.h>

#include "encore/types.h"

enum gdb_req_kind {
	GDB_REQ_UNKNOWN,
	GDB_REQ_BAD,
	GDB_REQ_HALT_REASON,     /* ? */
	GDB_REQ_READ_REGS,       /* g */
	GDB_REQ_WRITE_REGS,      /* G */
	GDB_REQ_READ_REG,        /* p n */
	GDB_REQ_WRITE_REG,       /* P n=v */
	GDB_REQ_READ_MEM,        /* m addr,len */
	GDB_REQ_WRITE_MEM,       /* M addr,len:hex, X addr,len:bin */
	GDB_REQ_INSERT_POINT,    /* Z type,addr,kind */
	GDB_REQ_REMOVE_POINT,    /* z type,addr,kind */
	GDB_REQ_CONTINUE,        /* c, C sig, vCont;c */
	GDB_REQ_STEP,            /* s, S sig, vCont;s */
	GDB_REQ_REVERSE_CONTINUE,/* bc */
	GDB_REQ_REVERSE_STEP,    /* bs */
	GDB_REQ_SET_THREAD,      /* H op tid */
	GDB_REQ_THREAD_ALIVE,    /* T tid */
	GDB_REQ_CURRENT_THREAD,  /* qC */
	GDB_REQ_THREADS_FIRST,   /* qfThreadInfo */
	GDB_REQ_THREADS_NEXT,    /* qsThreadInfo */
	GDB_REQ_THREAD_EXTRA,    /* qThreadExtraInfo,tid */
	GDB_REQ_SUPPORTED,       /* qSupported */
	GDB_REQ_FEATURES,        /* qXfer:features:read:annex:off,len */
	GDB_REQ_ATTACHED,        /* qAttached */
	GDB_REQ_MONITOR,         /* qRcmd,hex */
	GDB_REQ_NO_ACK_MODE,     /* QStartNoAckMode */
	GDB_REQ_VCONT_QUERY,     /* vCont? */
	GDB_REQ_DETACH,          /* D */
	GDB_REQ_KILL,            /* k, vKill */
};

/* Z/z types. */
enum gdb_point_type {
	GDB_POINT_SOFTWARE, GDB_POINT_HARDWARE, GDB_POINT_WRITE, GDB_POINT_READ,
	GDB_POINT_ACCESS,
};

#define GDB_MONITOR_MAX 512

struct gdb_request {
	enum gdb_req_kind kind;
	const char *why;         /* GDB_REQ_BAD: what is wrong */
	u64 addr, len;           /* memory, points (len: the point's kind) */
	unsigned regno;
	unsigned point;          /* enum gdb_point_type */
	char thread_op;          /* H: 'g' or 'c' */
	i64 thread;              /* -1 all, 0 any, else a thread id */
	bool has_thread;         /* vCont: the action names a thread */
	const char *data;        /* G, P: hex digits; M: hex, X: binary (data_len bytes) */
	size_t data_len;
	char annex[64];          /* qXfer: the document asked for */
	char text[GDB_MONITOR_MAX + 1]; /* qRcmd: the command, decoded */
};

/* Parse the packet body `body` (`len` bytes, NUL-terminated); the
 * request may point into it. */
void gdb_request__parse(const char *body, size_t len, struct gdb_request *r);

#endif
