/*
 * gdb's remote protocol below the server: the framing (debug/gdb_packet.h)
 * fed one byte at a time, as a socket may deliver it, with every byte
 * value in a body, bad checksums, overlong packets and the bytes that
 * stand alone (+, -, 0x03); the hex helpers; and the request parser
 * (debug/gdb_request.h) on each request as gdb 13 sends it, on malformed
 * ones (each refused with a reason) and on ones encore does not know.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "debug/gdb_packet.h"
#include "debug/gdb_request.h"

#define MAX_EVENTS 16
#define WIRE_MAX (2 * GDB_PACKET_MAX + 4) /* every byte escaped, "$#cc" */

/* What the receiver said for a stream: its events other than MORE, in
 * order, and where the last of them came. */
struct events {
	enum gdb_rx_event ev[MAX_EVENTS];
	int n;
	size_t last_at;
};

static struct gdb_rx rx;
static u8 wire[WIRE_MAX];

static struct events feed(const void *bytes, size_t len)
{
	const u8 *b = bytes;
	struct events e = { .n = 0 };
	for (size_t k = 0; k < len; k++) {
		enum gdb_rx_event ev = gdb_rx__feed(&rx, b[k]);
		if (ev == GDB_RX_MORE)
			continue;
		if (e.n < MAX_EVENTS)
			e.ev[e.n] = ev;
		e.n++;
		e.last_at = k;
	}
	return e;
}

static struct events feed_str(const char *s)
{
	return feed(s, strlen(s));
}

/* A stream that is exactly one event, given on its last byte. */
static bool one_event(struct events e, enum gdb_rx_event ev, size_t len)
{
	return e.n == 1 && e.ev[0] == ev && e.last_at == len - 1;
}

static bool is_packet(const char *s)
{
	return rx.len == strlen(s) && !memcmp(rx.data, s, rx.len) && rx.data[rx.len] == 0;
}

static size_t escapes_in(const u8 *body, size_t len)
{
	size_t n = 0;
	for (size_t k = 0; k < len; k++)
		n += body[k] == '$' || body[k] == '#' || body[k] == '}' || body[k] == '*';
	return n;
}

/* Frames `body`, feeds it back and checks the same bytes come out. */
static bool round_trip(const u8 *body, size_t len)
{
	size_t n = gdb_packet__frame(body, len, wire, sizeof(wire));
	if (n != len + escapes_in(body, len) + 4)
		return false;
	/* Only the framing may hold a raw '$' or '#'. */
	if (memchr(wire + 1, '$', n - 1) || memchr(wire + 1, '#', n - 4) != NULL)
		return false;
	gdb_rx__init(&rx);
	struct events e = feed(wire, n);
	return one_event(e, GDB_RX_PACKET, n) && rx.len == len && !memcmp(rx.data, body, len) &&
	       rx.data[len] == 0;
}

static void test_round_trip(void)
{
	check_group("round trip");
	u8 body[256];
	for (int k = 0; k < 256; k++)
		body[k] = (u8)k;
	CHECK(round_trip(body, sizeof(body)), "a body of every byte value 0..255");
	for (int k = 0; k < 256; k++)
		CHECK(round_trip(&body[k], 1), "a body of the one byte %#x", k);
	CHECK(round_trip(body, 0), "an empty body");
	const char *specials = "$#}*\x03}}##$$**\x03\x03";
	CHECK(round_trip((const u8 *)specials, strlen(specials)), "$ # } * and 0x03 in a row");

	static u8 big[GDB_PACKET_MAX];
	memset(big, '}', sizeof(big));
	CHECK(round_trip(big, sizeof(big)), "GDB_PACKET_MAX bytes, all escaped on the wire");
	struct rng r;
	rng_seed(&r, check_seed(1));
	for (int t = 0; t < 300; t++) {
		size_t len = (size_t)rng_below(&r, t < 10 ? GDB_PACKET_MAX + 1 : 600);
		rng_fill(&r, big, len);
		CHECK(round_trip(big, len), "random body %d of %zu bytes", t, len);
	}
}

static void test_checksums(void)
{
	check_group("checksums");
	gdb_rx__init(&rx);
	struct events e = feed_str("$g#67");
	CHECK(one_event(e, GDB_RX_PACKET, 5) && is_packet("g"), "'g' sums to 0x67");
	e = feed_str("$qC#B4");
	CHECK(one_event(e, GDB_RX_PACKET, 6) && is_packet("qC"), "upper-case checksum digits");
	e = feed_str("$g#68");
	CHECK(one_event(e, GDB_RX_BAD, 5) && rx.why, "a wrong checksum is BAD");
	e = feed_str("$g#76");
	CHECK(one_event(e, GDB_RX_BAD, 5) && rx.why, "checksum digits swapped");
	e = feed_str("$g#6z");
	CHECK(one_event(e, GDB_RX_BAD, 5) && rx.why, "a second checksum digit not hex");
	e = feed_str("$g#z7");
	CHECK(one_event(e, GDB_RX_BAD, 4) && rx.why, "a first checksum digit not hex, at once");
	/* "7" after the BAD above is noise between packets. */
	e = feed_str("$g#67");
	CHECK(one_event(e, GDB_RX_PACKET, 5) && is_packet("g"), "and the next good one parses");
	e = feed_str("$a}#de");
	CHECK(one_event(e, GDB_RX_BAD, 6) && rx.why, "a body that ends inside an escape");
	/* The sum is of the bytes as sent: "}]" is '}' (0x7d + 0x5d = 0xda). */
	e = feed_str("$}]#da");
	CHECK(one_event(e, GDB_RX_PACKET, 6) && is_packet("}"), "an escape sums as sent");
	e = feed_str("$}]#7d");
	CHECK(one_event(e, GDB_RX_BAD, 6), "not as unescaped");
}

static void test_too_long(void)
{
	check_group("too long");
	static u8 body[GDB_PACKET_MAX + 1];
	memset(body, 'a', sizeof(body));
	gdb_rx__init(&rx);
	size_t n = gdb_packet__frame(body, sizeof(body), wire, sizeof(wire));
	struct events e = feed(wire, n);
	CHECK(n && one_event(e, GDB_RX_BAD, n) && rx.why, "GDB_PACKET_MAX + 1 bytes: %d events",
	      e.n);
	e = feed_str("$g#67");
	CHECK(one_event(e, GDB_RX_PACKET, 5) && is_packet("g"), "and the next good one parses");
	n = gdb_packet__frame(body, GDB_PACKET_MAX, wire, sizeof(wire));
	e = feed(wire, n);
	CHECK(one_event(e, GDB_RX_PACKET, n) && rx.len == GDB_PACKET_MAX, "GDB_PACKET_MAX bytes");
	/* Far longer, with the right checksum of what was sent. */
	static u8 huge[3 * GDB_PACKET_MAX];
	memset(huge, 'm', sizeof(huge));
	static u8 wire3[sizeof(huge) + 4];
	n = gdb_packet__frame(huge, sizeof(huge), wire3, sizeof(wire3));
	e = feed(wire3, n);
	CHECK(one_event(e, GDB_RX_BAD, n) && rx.why, "three times GDB_PACKET_MAX");
	e = feed_str("$?#3f");
	CHECK(one_event(e, GDB_RX_PACKET, 5) && is_packet("?"), "then '?'");
}

static void test_single_bytes(void)
{
	check_group("single bytes");
	gdb_rx__init(&rx);
	CHECK(one_event(feed_str("\x03"), GDB_RX_INTERRUPT, 1), "0x03 alone is an interrupt");
	CHECK(one_event(feed_str("+"), GDB_RX_ACK, 1), "'+' is an ACK");
	CHECK(one_event(feed_str("-"), GDB_RX_NACK, 1), "'-' is a NACK");
	CHECK(feed_str("x\r\n #00 ]}*").n == 0, "noise between packets is ignored");
	struct events e = feed_str("+$g#67\x03-");
	CHECK(e.n == 4 && e.ev[0] == GDB_RX_ACK && e.ev[1] == GDB_RX_PACKET &&
	      e.ev[2] == GDB_RX_INTERRUPT && e.ev[3] == GDB_RX_NACK && is_packet("g"),
	      "ACK, packet, interrupt, NACK in one stream");
	/* Inside a packet 0x03, '+' and '-' are data. */
	e = feed_str("$\x03+-#5b");
	CHECK(one_event(e, GDB_RX_PACKET, 7) && is_packet("\x03+-"), "0x03 + - inside a packet");
	e = feed_str("$abc$g#67");
	CHECK(one_event(e, GDB_RX_PACKET, 9) && is_packet("g"), "a '$' inside a packet restarts it");
	e = feed_str("$}$g#67");
	CHECK(one_event(e, GDB_RX_PACKET, 7) && is_packet("g"), "even right after a '}'");
	e = feed_str("$g#67$g#67");
	CHECK(e.n == 2 && e.ev[0] == GDB_RX_PACKET && e.ev[1] == GDB_RX_PACKET && is_packet("g"),
	      "two packets back to back");
	e = feed_str("$#00");
	CHECK(one_event(e, GDB_RX_PACKET, 4) && is_packet(""), "an empty packet");
}

static void test_frame_room(void)
{
	check_group("frame room");
	u8 out[16];
	memset(out, 0xee, sizeof(out));
	CHECK(gdb_packet__frame(NULL, 0, out, 3) == 0, "no room for '$#cc'");
	CHECK(gdb_packet__frame(NULL, 0, out, 4) == 4 && !memcmp(out, "$#00", 4), "just room");
	CHECK(gdb_packet__frame((const u8 *)"g", 1, out, 4) == 0, "'g' needs 5");
	CHECK(gdb_packet__frame((const u8 *)"g", 1, out, 5) == 5 && !memcmp(out, "$g#67", 5),
	      "and gets them");
	CHECK(gdb_packet__frame((const u8 *)"$", 1, out, 5) == 0, "an escaped '$' needs 6");
	CHECK(gdb_packet__frame((const u8 *)"$", 1, out, 6) == 6 && !memcmp(out, "$}\x04#81", 6),
	      "and gets them: %.6s", out);
	CHECK(gdb_packet__frame((const u8 *)"OK", 2, out, sizeof(out)) == 6 &&
	      !memcmp(out, "$OK#9a", 6), "OK");
	CHECK(out[6] == 0xee, "nothing written past the packet");
	for (size_t cap = 0; cap < 9; cap++) {
		memset(out, 0xee, sizeof(out));
		size_t n = gdb_packet__frame((const u8 *)"a*b", 3, out, cap);
		CHECK(cap < 8 ? n == 0 : n == 8, "\"a*b\" in %zu bytes: %zu", cap, n);
		CHECK(out[cap] == 0xee, "nothing written past %zu bytes", cap);
	}
}

static void test_hex(void)
{
	check_group("hex");
	u8 bytes[256], back[256];
	char text[2 * 256 + 1];
	for (int k = 0; k < 256; k++)
		bytes[k] = (u8)(255 - k);
	gdb_hex__encode(bytes, 256, text);
	CHECK(strlen(text) == 512 && !strncmp(text, "fffefd", 6) && !strcmp(text + 506, "020100"),
	      "encoded: %.6s...", text);
	CHECK(gdb_hex__decode(text, 256, back) && !memcmp(back, bytes, 256), "decoded back");
	CHECK(gdb_hex__decode("DeadBEEF", 4, back) && !memcmp(back, "\xde\xad\xbe\xef", 4),
	      "either case");
	CHECK(gdb_hex__decode("", 0, back), "nothing");
	CHECK(!gdb_hex__decode("0g", 1, back), "a second digit not hex");
	CHECK(!gdb_hex__decode("g0", 1, back), "a first digit not hex");
	CHECK(!gdb_hex__decode("00112x", 3, back), "the last digit not hex");
	CHECK(!gdb_hex__decode("0", 1, back), "a digit short");
	CHECK(!gdb_hex__decode(" 1", 1, back), "a space");
}

static bool number(const char *s, u64 want, size_t digits)
{
	const char *p = s;
	u64 v = 0;
	return gdb_hex__number(&p, &v) && v == want && p == s + digits;
}

static bool no_number(const char *s)
{
	const char *p = s;
	u64 v = 12345;
	return !gdb_hex__number(&p, &v) && p == s && v == 12345;
}

static void test_hex_number(void)
{
	check_group("hex number");
	CHECK(number("0", 0, 1), "one digit");
	CHECK(number("f,", 15, 1), "stops at ','");
	CHECK(number("101370,1", 0x101370, 6), "an address");
	CHECK(number("ABCdef", 0xabcdef, 6), "either case");
	CHECK(number("0123456789abcdef", 0x0123456789abcdefull, 16), "16 digits");
	CHECK(number("ffffffffffffffff:", ~0ull, 16), "the largest");
	CHECK(number("0000000000000001", 1, 16), "16 digits with leading zeros");
	CHECK(no_number("00000000000000001"), "17 digits, even zeros");
	CHECK(no_number("10000000000000000"), "17 digits");
	CHECK(no_number(""), "empty");
	CHECK(no_number(",1"), "no digit before ','");
	CHECK(no_number("-1"), "a sign");
	CHECK(no_number("x1"), "not hex");
}

/* ---- requests ---- */

static struct gdb_request req;

static const struct gdb_request *parse_n(const char *body, size_t len)
{
	gdb_request__parse(body, len, &req);
	return &req;
}

static const struct gdb_request *parse(const char *body)
{
	return parse_n(body, strlen(body));
}

static bool kind_is(const char *body, enum gdb_req_kind kind)
{
	return parse(body)->kind == kind;
}

static bool data_is(const struct gdb_request *r, const char *data, size_t len)
{
	return r->data_len == len && !memcmp(r->data, data, len);
}

static void test_simple_requests(void)
{
	check_group("simple requests");
	CHECK(kind_is("?", GDB_REQ_HALT_REASON), "?");
	CHECK(kind_is("g", GDB_REQ_READ_REGS), "g");
	CHECK(kind_is("bc", GDB_REQ_REVERSE_CONTINUE), "bc");
	CHECK(kind_is("bs", GDB_REQ_REVERSE_STEP), "bs");
	CHECK(kind_is("vCont?", GDB_REQ_VCONT_QUERY), "vCont?");
	CHECK(kind_is("qC", GDB_REQ_CURRENT_THREAD), "qC");
	CHECK(kind_is("qfThreadInfo", GDB_REQ_THREADS_FIRST), "qfThreadInfo");
	CHECK(kind_is("qsThreadInfo", GDB_REQ_THREADS_NEXT), "qsThreadInfo");
	CHECK(kind_is("qAttached", GDB_REQ_ATTACHED), "qAttached");
	CHECK(kind_is("qAttached:1", GDB_REQ_ATTACHED), "qAttached with a pid");
	CHECK(kind_is("QStartNoAckMode", GDB_REQ_NO_ACK_MODE), "QStartNoAckMode");
	CHECK(kind_is("D", GDB_REQ_DETACH), "D");
	CHECK(kind_is("k", GDB_REQ_KILL), "k");
	CHECK(kind_is("vKill;1", GDB_REQ_KILL), "vKill;1");
	CHECK(kind_is("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;"
		      "vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;"
		      "memory-tagging+", GDB_REQ_SUPPORTED), "qSupported as gdb 13 sends it");
	CHECK(kind_is("qSupported", GDB_REQ_SUPPORTED), "a bare qSupported");
}

static void test_registers(void)
{
	check_group("registers");
	const struct gdb_request *r = parse("p10");
	CHECK(r->kind == GDB_REQ_READ_REG && r->regno == 0x10, "p10: kind %d regno %u", r->kind,
	      r->regno);
	r = parse("pffff");
	CHECK(r->kind == GDB_REQ_READ_REG && r->regno == 0xffff, "pffff");
	r = parse("P0=0100000000000000");
	CHECK(r->kind == GDB_REQ_WRITE_REG && r->regno == 0 && data_is(r, "0100000000000000", 16),
	      "P0=0100000000000000: kind %d", r->kind);
	r = parse("P1a=");
	CHECK(r->kind == GDB_REQ_WRITE_REG && r->regno == 0x1a && r->data_len == 0, "P1a=");
	static char g[1 + 2 * 560 + 1] = "G";
	memset(g + 1, '0', 2 * 560);
	r = parse(g);
	CHECK(r->kind == GDB_REQ_WRITE_REGS && r->data == g + 1 && r->data_len == 2 * 560,
	      "G with 560 bytes of registers");
}

static void test_memory(void)
{
	check_group("memory");
	const struct gdb_request *r = parse("m100000,40");
	CHECK(r->kind == GDB_REQ_READ_MEM && r->addr == 0x100000 && r->len == 0x40,
	      "m100000,40: kind %d", r->kind);
	r = parse("mffffffff81000000,1");
	CHECK(r->kind == GDB_REQ_READ_MEM && r->addr == 0xffffffff81000000ull && r->len == 1,
	      "a kernel address");
	const char *m = "M100000,4:01020304";
	r = parse(m);
	CHECK(r->kind == GDB_REQ_WRITE_MEM && r->addr == 0x100000 && r->len == 4 &&
	      r->data == m + 10 && data_is(r, "01020304", 8), "M100000,4:01020304");

	/* X as it comes off the wire: framed, the '#' and '}' escaped. */
	static const u8 x[] = "X100000,4:\x00#}\xcc";
	size_t xlen = sizeof(x) - 1;
	size_t n = gdb_packet__frame(x, xlen, wire, sizeof(wire));
	gdb_rx__init(&rx);
	CHECK(one_event(feed(wire, n), GDB_RX_PACKET, n) && rx.len == xlen, "X framed and back");
	r = parse_n((const char *)rx.data, rx.len);
	CHECK(r->kind == GDB_REQ_WRITE_MEM && r->addr == 0x100000 && r->len == 4 &&
	      r->data == (const char *)rx.data + 10 && data_is(r, "\x00#}\xcc", 4),
	      "X100000,4: and 4 binary bytes with a NUL: kind %d (%s)", r->kind,
	      r->why ? r->why : "");
	r = parse("X100000,0:");
	CHECK(r->kind == GDB_REQ_WRITE_MEM && r->len == 0 && r->data_len == 0,
	      "X100000,0: (gdb's probe for X)");
}

static void test_points(void)
{
	check_group("points");
	const struct gdb_request *r = parse("Z0,101370,1");
	CHECK(r->kind == GDB_REQ_INSERT_POINT && r->point == GDB_POINT_SOFTWARE &&
	      r->addr == 0x101370 && r->len == 1, "Z0,101370,1: kind %d", r->kind);
	r = parse("z2,104010,8");
	CHECK(r->kind == GDB_REQ_REMOVE_POINT && r->point == GDB_POINT_WRITE &&
	      r->addr == 0x104010 && r->len == 8, "z2,104010,8: kind %d", r->kind);
	r = parse("Z1,ffffffff81000000,1");
	CHECK(r->kind == GDB_REQ_INSERT_POINT && r->point == GDB_POINT_HARDWARE, "Z1");
	r = parse("Z3,104010,4");
	CHECK(r->kind == GDB_REQ_INSERT_POINT && r->point == GDB_POINT_READ, "Z3");
	r = parse("z4,104010,2");
	CHECK(r->kind == GDB_REQ_REMOVE_POINT && r->point == GDB_POINT_ACCESS, "z4");
	r = parse("Z0,101370,1;X3,220c05");
	CHECK(r->kind == GDB_REQ_INSERT_POINT && r->addr == 0x101370,
	      "a condition is left to gdb: kind %d", r->kind);
}

static void test_resume(void)
{
	check_group("resume");
	CHECK(kind_is("c", GDB_REQ_CONTINUE), "c");
	CHECK(kind_is("s", GDB_REQ_STEP), "s");
	CHECK(kind_is("C05", GDB_REQ_CONTINUE), "C05");
	CHECK(kind_is("S0b", GDB_REQ_STEP), "S0b");
	const struct gdb_request *r = parse("vCont;s:1;c");
	CHECK(r->kind == GDB_REQ_STEP && r->has_thread && r->thread == 1,
	      "vCont;s:1;c: kind %d thread %lld", r->kind, (long long)r->thread);
	r = parse("vCont;c");
	CHECK(r->kind == GDB_REQ_CONTINUE && !r->has_thread, "vCont;c: kind %d", r->kind);
	r = parse("vCont;c:-1");
	CHECK(r->kind == GDB_REQ_CONTINUE && !r->has_thread, "vCont;c:-1");
	r = parse("vCont;s:2");
	CHECK(r->kind == GDB_REQ_STEP && r->has_thread && r->thread == 2, "vCont;s:2");
	r = parse("vCont;c:1;s:2");
	CHECK(r->kind == GDB_REQ_STEP && r->thread == 2, "a step after a continue");
	r = parse("vCont;S05:1;C05");
	CHECK(r->kind == GDB_REQ_STEP && r->thread == 1, "vCont with signals");
}

static void test_threads(void)
{
	check_group("threads");
	const struct gdb_request *r = parse("Hg1");
	CHECK(r->kind == GDB_REQ_SET_THREAD && r->thread_op == 'g' && r->thread == 1, "Hg1");
	r = parse("Hc-1");
	CHECK(r->kind == GDB_REQ_SET_THREAD && r->thread_op == 'c' && r->thread == -1, "Hc-1");
	r = parse("Hg0");
	CHECK(r->kind == GDB_REQ_SET_THREAD && r->thread == 0, "Hg0");
	r = parse("T1");
	CHECK(r->kind == GDB_REQ_THREAD_ALIVE && r->thread == 1, "T1");
	r = parse("Ta");
	CHECK(r->kind == GDB_REQ_THREAD_ALIVE && r->thread == 10, "Ta");
	r = parse("qThreadExtraInfo,2");
	CHECK(r->kind == GDB_REQ_THREAD_EXTRA && r->thread == 2, "qThreadExtraInfo,2");
	r = parse("Hg7fffffff");
	CHECK(r->kind == GDB_REQ_SET_THREAD && r->thread == 0x7fffffff, "the largest thread id");
}

static void test_queries(void)
{
	check_group("queries");
	const struct gdb_request *r = parse("qXfer:features:read:target.xml:0,ffb");
	CHECK(r->kind == GDB_REQ_FEATURES && !strcmp(r->annex, "target.xml") && r->addr == 0 &&
	      r->len == 0xffb, "target.xml: kind %d", r->kind);
	r = parse("qXfer:features:read:64bit-core.xml:ffb,ffb");
	CHECK(r->kind == GDB_REQ_FEATURES && !strcmp(r->annex, "64bit-core.xml") &&
	      r->addr == 0xffb, "64bit-core.xml from 0xffb");
	char annex[128];
	snprintf(annex, sizeof(annex), "qXfer:features:read:%063d:0,1", 7);
	r = parse(annex);
	CHECK(r->kind == GDB_REQ_FEATURES && strlen(r->annex) == 63, "an annex of 63 bytes");
	r = parse("qRcmd,7768656e");
	CHECK(r->kind == GDB_REQ_MONITOR && !strcmp(r->text, "when"), "qRcmd \"when\": kind %d",
	      r->kind);
	r = parse("qRcmd,");
	CHECK(r->kind == GDB_REQ_MONITOR && !r->text[0], "an empty monitor command");
	static char longest[6 + 2 * GDB_MONITOR_MAX + 1] = "qRcmd,";
	for (int k = 0; k < GDB_MONITOR_MAX; k++)
		memcpy(longest + 6 + 2 * k, "41", 2);
	r = parse(longest);
	CHECK(r->kind == GDB_REQ_MONITOR && strlen(r->text) == GDB_MONITOR_MAX,
	      "a monitor command of GDB_MONITOR_MAX bytes");
}

/* BAD with a reason. */
static bool refused_n(const char *body, size_t len)
{
	const struct gdb_request *r = parse_n(body, len);
	return r->kind == GDB_REQ_BAD && r->why && r->why[0];
}

static bool refused(const char *body)
{
	return refused_n(body, strlen(body));
}

static void test_malformed(void)
{
	check_group("malformed");
	static const char *const bad[] = {
		"m100000", "m100000,", "m,40", "m100000,40x", "m100000;40",
		"m10000000000000000,1", "M100000,4", "M100000,4;01020304", "X100000",
		"X100000,4", "Z9,0,1", "Z5,0,1", "Zx", "Z", "Z0", "Z0,101370", "Z0,101370,",
		"z0,101370,1x", "c100", "s100", "C05;100", "C", "S", "Cxx",
		"qRcmd,7", "qRcmd,zz", "qRcmd,00", "qRcmd,7700", "vCont;x", "vCont;",
		"vCont;c;", "vCont;C", "vCont;s:zz", "vCont;c:-2", "vCont;cs", "H", "Hx1",
		"Hg", "Hg-", "Hg80000000", "Hg1x", "T", "T-", "Tz", "p", "pq", "p10000",
		"p10x", "P", "P0", "P0:00", "qThreadExtraInfo,", "qThreadExtraInfo,1,",
		"qXfer:features:read:target.xml:0", "qXfer:features:read:target.xml",
		"qXfer:features:read:target.xml:0,", "qXfer:features:read:target.xml:0,ffbx",
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		CHECK(refused(bad[k]), "\"%s\": kind %d", bad[k], req.kind);
	char annex[128];
	snprintf(annex, sizeof(annex), "qXfer:features:read:%064d:0,1", 7);
	CHECK(refused(annex), "an annex of 64 bytes");
	static char longest[6 + 2 * (GDB_MONITOR_MAX + 1) + 1] = "qRcmd,";
	for (int k = 0; k <= GDB_MONITOR_MAX; k++)
		memcpy(longest + 6 + 2 * k, "41", 2);
	CHECK(refused(longest), "a monitor command of GDB_MONITOR_MAX + 1 bytes");
	CHECK(refused_n("m1\0,2", 5), "a NUL inside a text packet");
	CHECK(refused_n("qC\0", 3), "a NUL after a text packet");
}

static void test_unknown(void)
{
	check_group("unknown");
	static const char *const unknown[] = {
		"qTStatus", "vMustReplyEmpty", "qOffsets", "qSymbol::", "qTfV",
		"QThreadEvents:1", "QDisableRandomization:1", "vFile:setfs:0", "qL1200000000000000000",
		"gg", "??", "b", "bx", "vCon", "!", "qCx", "qfThreadInfox", "Q",
	};
	for (size_t k = 0; k < sizeof(unknown) / sizeof(unknown[0]); k++)
		CHECK(kind_is(unknown[k], GDB_REQ_UNKNOWN), "\"%s\": kind %d", unknown[k], req.kind);
	CHECK(parse_n("", 0)->kind == GDB_REQ_UNKNOWN, "an empty packet");
}

int main(void)
{
	test_round_trip();
	test_checksums();
	test_too_long();
	test_single_bytes();
	test_frame_room();
	test_hex();
	test_hex_number();
	test_simple_requests();
	test_registers();
	test_memory();
	test_points();
	test_resume();
	test_threads();
	test_queries();
	test_malformed();
	test_unknown();
	check_group_end();
	return check_summary();
}
