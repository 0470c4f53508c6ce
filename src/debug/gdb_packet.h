/*
 * The framing of gdb's remote serial protocol: packets "$data#cc" with a
 * two-digit checksum, '+'/'-' acknowledgements, and a lone 0x03 for an
 * interrupt (Ctrl-C).  Bytes arrive one at a time from the network, so
 * the receiver is a state machine that never needs more than one packet
 * of memory; whatever a client sends, it only ever yields the events
 * below.
 */
#ifndef ENCORE_DEBUG_GDB_PACKET_H
#define ENCORE_DEBUG_GDB_PACKET_H

#include <stddef.h>

#include "encore/types.h"

/* The longest packet body taken or sent (advertised as PacketSize). */
#define GDB_PACKET_MAX 16384

enum gdb_rx_event {
	GDB_RX_MORE,       /* nothing complete yet */
	GDB_RX_PACKET,     /* rx->data holds a packet, unescaped, NUL-terminated */
	GDB_RX_INTERRUPT,  /* 0x03 outside a packet */
	GDB_RX_ACK,        /* '+' */
	GDB_RX_NACK,       /* '-': send the last packet again */
	GDB_RX_BAD,        /* a packet was dropped: rx->why says why (answer '-') */
};

struct gdb_rx {
	int state;
	u8 data[GDB_PACKET_MAX + 1];
	size_t len;
	u8 sum;            /* of the bytes as sent, escapes included */
	u8 check;          /* the checksum the packet ends with */
	bool escaped;      /* the previous byte was '}' */
	bool overflow;
	const char *why;
};

void gdb_rx__init(struct gdb_rx *rx);
enum gdb_rx_event gdb_rx__feed(struct gdb_rx *rx, u8 byte);

/* "$body#cc" of `len` bytes of `body` into `out` (escaping '$', '#', '}'
 * and '*'); returns its length, or 0 if it needs more than `cap`. */
size_t gdb_packet__frame(const u8 *body, size_t len, u8 *out, size_t cap);

/* Hex digits, as the protocol writes numbers and data. */
void gdb_hex__encode(const u8 *in, size_t n, char *out); /* 2n chars and a NUL */
/* Exactly 2n hex digits at `in` into n bytes; false if any is not hex. */
bool gdb_hex__decode(const char *in, size_t n, u8 *out);
/* A hex number of 1 to 16 digits at *p, advancing *p past it. */
bool gdb_hex__number(const char **p, u64 *v);

#endif
