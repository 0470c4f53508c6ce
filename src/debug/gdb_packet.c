/* The framing of gdb's remote serial protocol (gdb_packet.h). */
#include <string.h>

#include "debug/gdb_packet.h"

enum { RX_IDLE, RX_BODY, RX_CHECK1, RX_CHECK2 };

void gdb_rx__init(struct gdb_rx *rx)
{
	rx->state = RX_IDLE;
	rx->len = 0;
	rx->why = NULL;
}

static int hex_value(u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void start_packet(struct gdb_rx *rx)
{
	rx->state = RX_BODY;
	rx->len = 0;
	rx->sum = 0;
	rx->escaped = rx->overflow = false;
}

static void body_byte(struct gdb_rx *rx, u8 byte)
{
	rx->sum += byte;
	if (rx->escaped) {
		byte ^= 0x20;
		rx->escaped = false;
	} else if (byte == '}') {
		rx->escaped = true;
		return;
	}
	if (rx->len < GDB_PACKET_MAX)
		rx->data[rx->len++] = byte;
	else
		rx->overflow = true;
}

static enum gdb_rx_event bad(struct gdb_rx *rx, const char *why)
{
	rx->state = RX_IDLE;
	rx->why = why;
	return GDB_RX_BAD;
}

static enum gdb_rx_event end_packet(struct gdb_rx *rx)
{
	rx->state = RX_IDLE;
	if (rx->check != rx->sum)
		return bad(rx, "its checksum is wrong");
	if (rx->overflow)
		return bad(rx, "it is longer than the packet size encore advertised");
	if (rx->escaped)
		return bad(rx, "it ends inside an escape");
	rx->data[rx->len] = 0;
	return GDB_RX_PACKET;
}

enum gdb_rx_event gdb_rx__feed(struct gdb_rx *rx, u8 byte)
{
	switch (rx->state) {
	case RX_IDLE:
		if (byte == '$')
			start_packet(rx);
		else if (byte == 0x03)
			return GDB_RX_INTERRUPT;
		else if (byte == '+')
			return GDB_RX_ACK;
		else if (byte == '-')
			return GDB_RX_NACK;
		return GDB_RX_MORE; /* noise between packets is ignored */
	case RX_BODY:
		if (byte == '#')
			rx->state = RX_CHECK1;
		else if (byte == '$')
			start_packet(rx); /* a new packet: the client gave up on this one */
		else
			body_byte(rx, byte);
		return GDB_RX_MORE;
	case RX_CHECK1: {
		int v = hex_value(byte);
		if (v < 0)
			return bad(rx, "its checksum is not hex");
		rx->check = (u8)(v << 4);
		rx->state = RX_CHECK2;
		return GDB_RX_MORE;
	}
	default: {
		int v = hex_value(byte);
		if (v < 0)
			return bad(rx, "its checksum is not hex");
		rx->check |= (u8)v;
		return end_packet(rx);
	}
	}
}

size_t gdb_packet__frame(const u8 *body, size_t len, u8 *out, size_t cap)
{
	static const char digits[] = "0123456789abcdef";
	size_t n = 0;
	u8 sum = 0;
	if (cap < 4)
		return 0;
	out[n++] = '$';
	for (size_t k = 0; k < len; k++) {
		u8 c = body[k];
		bool esc = c == '$' || c == '#' || c == '}' || c == '*';
		if (n + (esc ? 2 : 1) + 3 > cap)
			return 0;
		if (esc) {
			out[n++] = '}';
			sum += '}';
			c ^= 0x20;
		}
		out[n++] = c;
		sum += c;
	}
	out[n++] = '#';
	out[n++] = (u8)digits[sum >> 4];
	out[n++] = (u8)digits[sum & 15];
	return n;
}

void gdb_hex__encode(const u8 *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t k = 0; k < n; k++) {
		out[2 * k] = digits[in[k] >> 4];
		out[2 * k + 1] = digits[in[k] & 15];
	}
	out[2 * n] = 0;
}

bool gdb_hex__decode(const char *in, size_t n, u8 *out)
{
	for (size_t k = 0; k < n; k++) {
		int hi = hex_value((u8)in[2 * k]), lo = hi < 0 ? -1 : hex_value((u8)in[2 * k + 1]);
		if (lo < 0)
			return false;
		out[k] = (u8)(hi << 4 | lo);
	}
	return true;
}

bool gdb_hex__number(const char **p, u64 *v)
{
	const char *s = *p;
	u64 x = 0;
	unsigned digits = 0;
	int d;
	while ((d = hex_value((u8)*s)) >= 0) {
		if (++digits > 16)
			return false;
		x = x << 4 | (u64)d;
		s++;
	}
	if (!digits)
		return false;
	*p = s;
	*v = x;
	return true;
}
