/*
 * Fuzz target for gdb's remote protocol as a client sends it: the framing
 * (src/debug/gdb_packet.c) and the request parser (src/debug/gdb_request.c),
 * the first code to see what anyone who connects to `encore replay --gdb`
 * sends.  An input is the byte stream as it arrives on the socket; it is
 * fed to a receiver one byte at a time.
 *
 * The receiver may only give an interrupt, ACK or NACK on 0x03, '+' or
 * '-'; a BAD must say why; a packet must be what the wire says: the bytes
 * between the last '$' and the "#cc" that ends it, with no '#' among them,
 * summing to cc, '}' escapes undone, at most GDB_PACKET_MAX of them and a
 * NUL after.  Conversely a "#cc" that the wire says ends a good packet may
 * not be refused.  Each packet is framed again with gdb_packet__frame
 * (which must not fit one byte less) and must come back the same through
 * a fresh receiver.
 *
 * Each packet is then parsed, from a copy of exactly its size (so that
 * ASan sees a read past it), twice, to the same request.  BAD must say
 * why; a text packet with a NUL in it must be BAD; a known request must
 * be what its body says: addresses, lengths, register numbers and point
 * types as the body writes them in hex (read here again), data inside the
 * packet, the monitor command NUL-terminated, at most GDB_MONITOR_MAX
 * bytes and the body's hex decoded, the annex NUL-terminated and the one
 * in the body, thread ids -1 to 0x7fffffff.
 *
 * Built with libFuzzer (make fuzz, -DFUZZ_LIBFUZZER), a custom mutator
 * makes most mutants' checksums right again: a mutated body almost never
 * keeps its checksum, and only a good packet reaches the parser.
 * FUZZ_VERBOSE=1 prints each event and request.
 *
 * The seeds (corpus/gdb/, made by hand): sessions as gdb 13 starts them,
 * reads memory and registers, sets breakpoints and watchpoints, steps and
 * continues both ways, asks monitor commands, writes memory with X (binary,
 * escaped) and M, and detaches or kills; and streams with bad checksums, an
 * overlong packet, a '$' restarting a packet, Ctrl-C and malformed requests.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "debug/gdb_packet.h"
#include "debug/gdb_request.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_gdb: check failed: %s\n", #cond); \
		abort(); \
	} \
} while (0)

static int verbose = -1; /* FUZZ_VERBOSE=1: say what came out */

/* ---- what the wire says (read here without the receiver) ---- */

static int hex_digit(u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The packet that ends with the "#cc" at in[end - 2 .. end]: its body on
 * the wire starts after the last '$' before the '#'.  False if there is
 * no '$' or the body holds a '#' (then the '#' there ended it). */
static bool wire_body(const u8 *in, size_t end, size_t *start)
{
	size_t k = end - 2;
	while (k-- > 0) {
		if (in[k] == '$') {
			*start = k + 1;
			return true;
		}
		if (in[k] == '#')
			return false;
	}
	return false;
}

/* Whether in[start .. hash) with checksum cc is a good packet, and its
 * unescaped bytes (up to GDB_PACKET_MAX + 1 of them) in out. */
static bool wire_packet(const u8 *in, size_t start, size_t hash, u8 *out, size_t *len)
{
	u8 sum = 0;
	bool escaped = false;
	*len = 0;
	for (size_t k = start; k < hash; k++) {
		sum += in[k];
		if (!escaped && in[k] == '}') {
			escaped = true;
			continue;
		}
		if (*len <= GDB_PACKET_MAX)
			out[*len] = escaped ? in[k] ^ 0x20 : in[k];
		++*len;
		escaped = false;
	}
	u8 cc = (u8)(hex_digit(in[hash + 1]) << 4 | hex_digit(in[hash + 2]));
	return sum == cc && !escaped && *len <= GDB_PACKET_MAX;
}

static bool ends_with_checksum(const u8 *in, size_t at)
{
	return at >= 3 && in[at - 2] == '#' && hex_digit(in[at - 1]) >= 0 && hex_digit(in[at]) >= 0;
}

/* The receiver's packet or BAD at in[at] against the wire. */
static void check_against_wire(const u8 *in, size_t at, const struct gdb_rx *rx, bool packet)
{
	static u8 want[GDB_PACKET_MAX + 1];
	size_t start, len;
	if (!packet) {
		/* A BAD after "#cc" with two hex digits: the wire must say so too. */
		if (ends_with_checksum(in, at) && wire_body(in, at, &start))
			CHECK(!wire_packet(in, start, at - 2, want, &len));
		return;
	}
	CHECK(ends_with_checksum(in, at) && wire_body(in, at, &start));
	CHECK(wire_packet(in, start, at - 2, want, &len));
	CHECK(rx->len == len && !memcmp(rx->data, want, len) && rx->data[len] == 0);
}

/* ---- framing ---- */

/* Framed again, the packet must come back the same. */
static bool must_escape(u8 c)
{
	return c == '$' || c == '#' || c == '}' || c == '*';
}

/* Framed again, the packet must come back the same; on the wire, only
 * the framing may be '$' or '#', and no '*' (gdb reads it as a repeat). */
static void check_reframe(const u8 *body, size_t len)
{
	static u8 out[2 * GDB_PACKET_MAX + 4];
	static struct gdb_rx rx;
	size_t n = gdb_packet__frame(body, len, out, sizeof(out)), escapes = 0;
	for (size_t k = 0; k < len; k++)
		escapes += must_escape(body[k]);
	CHECK(n == len + escapes + 4 && out[0] == '$' && out[n - 3] == '#');
	for (size_t k = 1; k < n - 3; k++) {
		if (out[k] == '}')
			CHECK(must_escape(out[++k] ^ 0x20));
		else
			CHECK(!must_escape(out[k]));
	}
	CHECK(gdb_packet__frame(body, len, out, n - 1) == 0);
	gdb_rx__init(&rx);
	for (size_t k = 0; k + 1 < n; k++)
		CHECK(gdb_rx__feed(&rx, out[k]) == GDB_RX_MORE);
	CHECK(gdb_rx__feed(&rx, out[n - 1]) == GDB_RX_PACKET);
	CHECK(rx.len == len && !memcmp(rx.data, body, len));
}

/* ---- requests ---- */

/* A hex number of 1 to 16 digits at *p, read here again. */
static bool hex_field(const char **p, u64 *v)
{
	int d, n = 0;
	*v = 0;
	for (; (d = hex_digit((u8)**p)) >= 0; ++*p, n++)
		*v = *v << 4 | (u64)d;
	return n >= 1 && n <= 16;
}

/* "addr,len" at *p must be the request's. */
static void check_addr_len(const char **p, const struct gdb_request *r)
{
	u64 addr, len;
	CHECK(hex_field(p, &addr) && *(*p)++ == ',' && hex_field(p, &len));
	CHECK(addr == r->addr && len == r->len);
}

static void check_inside(const char *body, size_t len, const struct gdb_request *r)
{
	CHECK(r->data && r->data >= body && r->data_len <= len &&
	      r->data <= body + len - r->data_len);
}

static void check_memory(const char *body, size_t len, const struct gdb_request *r)
{
	const char *p = body + 1;
	check_addr_len(&p, r);
	if (r->kind == GDB_REQ_READ_MEM) {
		CHECK(body[0] == 'm' && *p == 0);
		return;
	}
	CHECK((body[0] == 'M' || body[0] == 'X') && *p == ':' && r->data == p + 1);
	check_inside(body, len, r);
	CHECK(r->data + r->data_len == body + len);
}

static void check_point(const char *body, const struct gdb_request *r)
{
	const char *p = body + 1;
	u64 type;
	CHECK(body[0] == (r->kind == GDB_REQ_INSERT_POINT ? 'Z' : 'z'));
	CHECK(hex_field(&p, &type) && type == r->point && type <= GDB_POINT_ACCESS && *p++ == ',');
	check_addr_len(&p, r);
	CHECK(*p == 0 || *p == ';');
}

static void check_register(const char *body, size_t len, const struct gdb_request *r)
{
	const char *p = body + 1;
	u64 n;
	CHECK(body[0] == (r->kind == GDB_REQ_READ_REG ? 'p' : 'P'));
	CHECK(hex_field(&p, &n) && n == r->regno && n <= 0xffff);
	if (r->kind == GDB_REQ_READ_REG) {
		CHECK(*p == 0);
		return;
	}
	CHECK(*p == '=' && r->data == p + 1);
	check_inside(body, len, r);
}

static void check_monitor(const char *body, const struct gdb_request *r)
{
	CHECK(!strncmp(body, "qRcmd,", 6) && memchr(r->text, 0, sizeof(r->text)));
	const char *hex = body + 6;
	size_t n = strlen(r->text);
	CHECK(n <= GDB_MONITOR_MAX && strlen(hex) == 2 * n);
	for (size_t k = 0; k < n; k++) {
		int hi = hex_digit((u8)hex[2 * k]), lo = hex_digit((u8)hex[2 * k + 1]);
		CHECK(hi >= 0 && lo >= 0 && (u8)r->text[k] == (hi << 4 | lo));
	}
	/* The server's replies are encoded the other way: same digits. */
	static char again[2 * GDB_MONITOR_MAX + 1];
	gdb_hex__encode((const u8 *)r->text, n, again);
	CHECK(!strcasecmp(again, hex));
}

static void check_features(const char *body, const struct gdb_request *r)
{
	static const char prefix[] = "qXfer:features:read:";
	CHECK(memchr(r->annex, 0, sizeof(r->annex)) && !strchr(r->annex, ':'));
	size_t n = strlen(r->annex);
	const char *p = body + strlen(prefix);
	CHECK(!strncmp(body, prefix, strlen(prefix)) && !strncmp(p, r->annex, n) && p[n] == ':');
	p += n + 1;
	check_addr_len(&p, r);
	CHECK(*p == 0);
}

/* A thread id at *p, read here again: "-1" or 1 to 8 hex digits up to
 * 0x7fffffff. */
static bool thread_field(const char **p, i64 *t)
{
	u64 v;
	if (!strncmp(*p, "-1", 2)) {
		*p += 2;
		*t = -1;
		return true;
	}
	*t = 0;
	if (!hex_field(p, &v) || v > 0x7fffffff)
		return false;
	*t = (i64)v;
	return true;
}

static void check_thread(const struct gdb_request *r)
{
	CHECK(r->thread >= -1 && r->thread <= 0x7fffffff);
	CHECK(!r->has_thread || r->thread > 0);
}

/* H op thread, T thread, qThreadExtraInfo,thread. */
static void check_thread_request(const char *body, const struct gdb_request *r)
{
	static const char extra[] = "qThreadExtraInfo,";
	const char *p;
	i64 t;
	if (r->kind == GDB_REQ_SET_THREAD) {
		CHECK(body[0] == 'H' && body[1] == r->thread_op && (body[1] == 'g' || body[1] == 'c'));
		p = body + 2;
	} else if (r->kind == GDB_REQ_THREAD_ALIVE) {
		CHECK(body[0] == 'T');
		p = body + 1;
	} else {
		CHECK(!strncmp(body, extra, strlen(extra)));
		p = body + strlen(extra);
	}
	CHECK(thread_field(&p, &t) && *p == 0 && t == r->thread);
}

/* vCont;ACTION[SIG][:THREAD]..., a step if any action is one. */
static void check_vcont(const char *body, const struct gdb_request *r)
{
	const char *p = body + 5;
	bool step = false;
	u64 sig;
	i64 t;
	CHECK(!strncmp(body, "vCont;", 6));
	while (*p == ';') {
		char a = *++p;
		CHECK(a == 'c' || a == 'C' || a == 's' || a == 'S');
		p++;
		step |= a == 's' || a == 'S';
		if (a == 'C' || a == 'S')
			CHECK(hex_field(&p, &sig));
		if (*p == ':') {
			p++;
			CHECK(thread_field(&p, &t));
		}
	}
	CHECK(*p == 0 && step == (r->kind == GDB_REQ_STEP));
}

/* c, s, C sig, S sig (no address: replay cannot resume elsewhere), vCont. */
static void check_resume(const char *body, size_t len, const struct gdb_request *r)
{
	const char *p = body + 1;
	u64 sig;
	bool step = r->kind == GDB_REQ_STEP;
	if (body[0] == 'v') {
		check_vcont(body, r);
		return;
	}
	CHECK(body[0] == (step ? 's' : 'c') || body[0] == (step ? 'S' : 'C'));
	if (body[0] == 'c' || body[0] == 's')
		CHECK(len == 1);
	else
		CHECK(hex_field(&p, &sig) && *p == 0);
}

/* Requests that are one exact body. */
static const char *const exact[GDB_REQ_KILL + 1] = {
	[GDB_REQ_HALT_REASON] = "?", [GDB_REQ_READ_REGS] = "g",
	[GDB_REQ_REVERSE_CONTINUE] = "bc", [GDB_REQ_REVERSE_STEP] = "bs",
	[GDB_REQ_CURRENT_THREAD] = "qC", [GDB_REQ_THREADS_FIRST] = "qfThreadInfo",
	[GDB_REQ_THREADS_NEXT] = "qsThreadInfo", [GDB_REQ_NO_ACK_MODE] = "QStartNoAckMode",
	[GDB_REQ_VCONT_QUERY] = "vCont?",
};

static void check_request(const char *body, size_t len, const struct gdb_request *r)
{
	CHECK(r->kind >= GDB_REQ_UNKNOWN && r->kind <= GDB_REQ_KILL);
	if (r->kind == GDB_REQ_BAD) {
		CHECK(r->why && r->why[0]);
		return;
	}
	/* Only X carries binary data: a NUL anywhere else is refused. */
	CHECK(!len || body[0] == 'X' || strlen(body) == len);
	if (exact[r->kind])
		CHECK(!strcmp(body, exact[r->kind]));
	check_thread(r);
	switch (r->kind) {
	case GDB_REQ_READ_MEM: case GDB_REQ_WRITE_MEM: check_memory(body, len, r); break;
	case GDB_REQ_INSERT_POINT: case GDB_REQ_REMOVE_POINT: check_point(body, r); break;
	case GDB_REQ_READ_REG: case GDB_REQ_WRITE_REG: check_register(body, len, r); break;
	case GDB_REQ_WRITE_REGS:
		CHECK(body[0] == 'G' && r->data == body + 1 && r->data_len == len - 1);
		break;
	case GDB_REQ_MONITOR: check_monitor(body, r); break;
	case GDB_REQ_FEATURES: check_features(body, r); break;
	case GDB_REQ_SET_THREAD: case GDB_REQ_THREAD_ALIVE: case GDB_REQ_THREAD_EXTRA:
		check_thread_request(body, r);
		break;
	case GDB_REQ_SUPPORTED: CHECK(!strncmp(body, "qSupported", 10)); break;
	case GDB_REQ_CONTINUE: case GDB_REQ_STEP: check_resume(body, len, r); break;
	default: break;
	}
}

static const char *const event_names[] = { "more", "packet", "interrupt", "ack", "nack", "bad" };

/* Parsed from a copy of exactly its size, twice, to the same request. */
static void check_packet(const u8 *data, size_t len)
{
	static struct gdb_request r, again;
	char *body = malloc(len + 1);
	CHECK(body);
	memcpy(body, data, len + 1);
	gdb_request__parse(body, len, &r);
	if (verbose)
		fprintf(stderr, "  request %d%s%s\n", r.kind, r.why ? ": " : "", r.why ? r.why : "");
	check_request(body, len, &r);
	gdb_request__parse(body, len, &again);
	CHECK(!memcmp(&r, &again, sizeof(r)));
	free(body);
	check_reframe(data, len);
}

static void check_event(const u8 *in, size_t at, const struct gdb_rx *rx, enum gdb_rx_event ev)
{
	CHECK(ev >= GDB_RX_MORE && ev <= GDB_RX_BAD);
	if (verbose && ev != GDB_RX_MORE)
		fprintf(stderr, "%zu: %s%s%s\n", at, event_names[ev], ev == GDB_RX_BAD ? ": " : "",
			ev == GDB_RX_BAD ? rx->why : "");
	switch (ev) {
	case GDB_RX_INTERRUPT: CHECK(in[at] == 0x03); break;
	case GDB_RX_ACK: CHECK(in[at] == '+'); break;
	case GDB_RX_NACK: CHECK(in[at] == '-'); break;
	case GDB_RX_BAD:
		CHECK(rx->why && rx->why[0]);
		check_against_wire(in, at, rx, false);
		break;
	case GDB_RX_PACKET:
		CHECK(rx->len <= GDB_PACKET_MAX && rx->data[rx->len] == 0);
		check_against_wire(in, at, rx, true);
		check_packet(rx->data, rx->len);
		break;
	default: break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gdb_rx rx;
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") && atoi(getenv("FUZZ_VERBOSE"));
	gdb_rx__init(&rx);
	for (size_t k = 0; k < size; k++)
		check_event(data, k, &rx, gdb_rx__feed(&rx, data[k]));
	return 0;
}

#ifdef FUZZ_LIBFUZZER
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* Every "$...#cc" of the stream gets the checksum of its bytes. */
static void fix_checksums(u8 *data, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	u8 sum = 0;
	bool in_packet = false;
	for (size_t k = 0; k < size; k++) {
		if (data[k] == '$') {
			in_packet = true;
			sum = 0;
		} else if (in_packet && data[k] == '#') {
			in_packet = false;
			if (k + 2 < size) {
				data[k + 1] = (u8)digits[sum >> 4];
				data[k + 2] = (u8)digits[sum & 15];
				k += 2;
			}
		} else if (in_packet) {
			sum += data[k];
		}
	}
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
	size_t n = LLVMFuzzerMutate(data, size, max_size);
	if (seed % 8) /* and one in eight as it comes: bad checksums too */
		fix_checksums(data, n);
	return n;
}
#endif
