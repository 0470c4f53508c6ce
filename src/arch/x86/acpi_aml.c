/* encore's AML encoder (see acpi_aml.h). */
#include <string.h>

#include "encore/le_bytes.h"
#include "arch/x86/acpi_aml.h"

enum {
	ZERO_OP = 0x00, ONE_OP = 0x01, ONES_OP = 0xff,
	BYTE_PREFIX = 0x0a, WORD_PREFIX = 0x0b, DWORD_PREFIX = 0x0c, QWORD_PREFIX = 0x0e,
	NAME_OP = 0x08, SCOPE_OP = 0x10, BUFFER_OP = 0x11, PACKAGE_OP = 0x12,
	EXT_OP_PREFIX = 0x5b, DEVICE_OP = 0x82,
	ROOT_CHAR = '\\', PARENT_PREFIX_CHAR = '^',
	DUAL_NAME_PREFIX = 0x2e, MULTI_NAME_PREFIX = 0x2f, NULL_NAME = 0x00,
};

#define NAME_SEG_SIZE 4
#define MAX_SEGMENTS 255

/* Resource descriptor tags and fields. */
enum {
	RES_IO = 0x47,             /* small item 0x08, 7 bytes follow */
	RES_END = 0x79,            /* small item 0x0f, 1 byte follows */
	RES_DWORD_ADDRESS = 0x87,  /* large items */
	RES_WORD_ADDRESS = 0x88,
};
enum { SPACE_MEMORY = 0, SPACE_IO = 1, SPACE_BUS = 2 };
#define RES_PRODUCER_FIXED 0x0c    /* general flags: _MAF, _MIF; producer, positive decode */
#define RES_IO_ENTIRE_RANGE 0x03   /* I/O type flags: _RNG */
#define RES_MEM_READ_WRITE 0x01    /* memory type flags: _RW */
#define RES_MEM_CACHEABLE 0x02     /* _MEM = 1 */
#define RES_IO_DECODE16 0x01

void aml__init(struct aml *a, u8 *buf, size_t cap)
{
	*a = (struct aml){ .buf = buf, .cap = cap };
}

/* ---- package length ---- */

/* One byte holds 6 bits; longer forms put the byte count in bits 7:6 of
 * the first byte, then 4 bits there and 8 in each following byte. */
unsigned aml__pkglength_value(u8 out[4], u32 value)
{
	if (value > AML_PKGLENGTH_MAX)
		return 0;
	if (value < 0x40) {
		out[0] = (u8)value;
		return 1;
	}
	unsigned n = value < 0x1000 ? 2 : value < 0x100000 ? 3 : 4;
	out[0] = (u8)((n - 1) << 6 | (value & 0x0f));
	for (unsigned k = 1; k < n; k++)
		out[k] = (u8)(value >> (4 + 8 * (k - 1)));
	return n;
}

unsigned aml__pkglength(u8 out[4], size_t body)
{
	static const u32 limit[5] = { 0, 0x3f, 0xfff, 0xfffff, AML_PKGLENGTH_MAX };
	for (unsigned n = 1; n <= 4; n++)
		if (body <= limit[n] - n)
			return aml__pkglength_value(out, (u32)(body + n));
	return 0;
}

/* ---- bytes ---- */

static bool room(struct aml *a, size_t n)
{
	if (a->failed || n > a->cap - a->len) {
		a->failed = true;
		return false;
	}
	return true;
}

void aml__bytes(struct aml *a, const void *p, size_t n)
{
	if (!room(a, n))
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml__byte(struct aml *a, u8 b)
{
	aml__bytes(a, &b, 1);
}

/* A prefix, then `size` little-endian bytes of v. */
static void prefixed(struct aml *a, u8 prefix, u64 v, unsigned size)
{
	u8 b[9] = { prefix };
	put64(b + 1, v);
	aml__bytes(a, b, 1 + size);
}

void aml__integer(struct aml *a, u64 v)
{
	if (v == 0)
		aml__byte(a, ZERO_OP);
	else if (v == 1)
		aml__byte(a, ONE_OP);
	else if (v == UINT64_MAX)
		aml__byte(a, ONES_OP);
	else if (v <= 0xff)
		prefixed(a, BYTE_PREFIX, v, 1);
	else if (v <= 0xffff)
		prefixed(a, WORD_PREFIX, v, 2);
	else if (v <= 0xffffffff)
		prefixed(a, DWORD_PREFIX, v, 4);
	else
		prefixed(a, QWORD_PREFIX, v, 8);
}

/* ---- names ---- */

static bool lead_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return lead_name_char(c) || (c >= '0' && c <= '9');
}

/* One segment of `n` characters, padded to four; false if invalid. */
static bool name_seg(const char *s, size_t n, u8 seg[NAME_SEG_SIZE])
{
	if (n == 0 || n > NAME_SEG_SIZE || !lead_name_char(s[0]))
		return false;
	memset(seg, '_', NAME_SEG_SIZE);
	for (size_t k = 0; k < n; k++) {
		if (!name_char(s[k]))
			return false;
		seg[k] = (u8)s[k];
	}
	return true;
}

static unsigned count_segments(const char *path)
{
	if (!*path)
		return 0;
	unsigned n = 1;
	for (const char *p = path; *p; p++)
		n += *p == '.';
	return n;
}

/* The segments of `path` after its prefixes, with the prefix that says how many. */
static void name_path(struct aml *a, const char *path)
{
	unsigned n = count_segments(path);
	if (n > MAX_SEGMENTS) {
		a->failed = true;
		return;
	}
	if (n == 0)
		aml__byte(a, NULL_NAME);
	else if (n == 2)
		aml__byte(a, DUAL_NAME_PREFIX);
	else if (n > 2)
		aml__bytes(a, (u8[]){ MULTI_NAME_PREFIX, (u8)n }, 2);
	for (const char *s = path; n > 0; n--) {
		size_t len = strcspn(s, ".");
		u8 seg[NAME_SEG_SIZE];
		if (!name_seg(s, len, seg)) {
			a->failed = true;
			return;
		}
		aml__bytes(a, seg, sizeof(seg));
		s += len + 1;
	}
}

void aml__name_string(struct aml *a, const char *path)
{
	if (*path == ROOT_CHAR)
		aml__byte(a, *path++);
	else
		while (*path == PARENT_PREFIX_CHAR)
			aml__byte(a, *path++);
	name_path(a, path);
}

/* EISA IDs: three letters in 5 bits each ('A' = 1), then four hex digits,
 * stored big-endian (the byte order the ID is read in). */
void aml__eisaid(struct aml *a, const char *id)
{
	u32 v = 0;
	for (unsigned k = 0; k < 3; k++) {
		if (id[k] < 'A' || id[k] > 'Z') {
			a->failed = true;
			return;
		}
		v = v << 5 | (u32)(id[k] - '@');
	}
	for (unsigned k = 3; k < 7; k++) {
		char c = id[k];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
		if (d > 15) {
			a->failed = true;
			return;
		}
		v = v << 4 | d;
	}
	if (id[7]) {
		a->failed = true;
		return;
	}
	aml__integer(a, __builtin_bswap32(v));
}

/* ---- objects ---- */

void aml__end(struct aml *a, size_t mark)
{
	if (a->failed)
		return;
	size_t body = a->len - mark;
	u8 enc[4];
	unsigned n = aml__pkglength(enc, body);
	if (!n || !room(a, n)) {
		a->failed = true;
		return;
	}
	memmove(a->buf + mark + n, a->buf + mark, body);
	memcpy(a->buf + mark, enc, n);
	a->len += n;
}

size_t aml__scope_begin(struct aml *a, const char *name)
{
	aml__byte(a, SCOPE_OP);
	size_t mark = a->len;
	aml__name_string(a, name);
	return mark;
}

size_t aml__device_begin(struct aml *a, const char *name)
{
	aml__bytes(a, (u8[]){ EXT_OP_PREFIX, DEVICE_OP }, 2);
	size_t mark = a->len;
	aml__name_string(a, name);
	return mark;
}

size_t aml__package_begin(struct aml *a, u8 nelements)
{
	aml__byte(a, PACKAGE_OP);
	size_t mark = a->len;
	aml__byte(a, nelements);
	return mark;
}

void aml__name(struct aml *a, const char *name)
{
	aml__byte(a, NAME_OP);
	aml__name_string(a, name);
}

void aml__buffer(struct aml *a, const u8 *bytes, size_t n)
{
	aml__byte(a, BUFFER_OP);
	size_t mark = a->len;
	aml__integer(a, n);
	aml__bytes(a, bytes, n);
	aml__end(a, mark);
}

/* ---- resource descriptors ---- */

/* Word address space: _GRA 0, _TRA 0, _LEN = max - min + 1. */
static void word_address(struct aml *a, u8 space, u8 type_flags, u16 min, u16 max)
{
	u8 d[16] = { RES_WORD_ADDRESS, sizeof(d) - 3, 0, space, RES_PRODUCER_FIXED, type_flags };
	put16(d + 8, min);
	put16(d + 10, max);
	put16(d + 14, (u16)(max - min + 1));
	aml__bytes(a, d, sizeof(d));
}

void aml__res_word_bus(struct aml *a, u16 min, u16 max)
{
	word_address(a, SPACE_BUS, 0, min, max);
}

void aml__res_word_io(struct aml *a, u16 min, u16 max)
{
	word_address(a, SPACE_IO, RES_IO_ENTIRE_RANGE, min, max);
}

void aml__res_io(struct aml *a, u16 min, u8 len)
{
	u8 d[8] = { RES_IO, RES_IO_DECODE16 };
	put16(d + 2, min);
	put16(d + 4, min);
	d[6] = 1; /* alignment */
	d[7] = len;
	aml__bytes(a, d, sizeof(d));
}

void aml__res_dword_memory(struct aml *a, bool cacheable, u32 min, u32 max)
{
	u8 flags = RES_MEM_READ_WRITE | (cacheable ? RES_MEM_CACHEABLE : 0);
	u8 d[26] = { RES_DWORD_ADDRESS, sizeof(d) - 3, 0, SPACE_MEMORY, RES_PRODUCER_FIXED, flags };
	put32(d + 10, min);
	put32(d + 14, max);
	put32(d + 22, max - min + 1);
	aml__bytes(a, d, sizeof(d));
}

void aml__res_end(struct aml *a)
{
	aml__bytes(a, (u8[]){ RES_END, 0 }, 2);
}
