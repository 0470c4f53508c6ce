/* Devices reading and writing guest RAM (encore/guest_mem.h). */
#include "encore/guest_mem.h"

#include <string.h>

#include "encore/engine.h"
#include "encore/ram.h"

/* The bytes from gpa to the end of its page, at most len. */
static u64 chunk_len(u64 gpa, u64 len)
{
	u64 room = RAM_PAGE_SIZE - (gpa & (RAM_PAGE_SIZE - 1));
	return len < room ? len : room;
}

bool guest_mem__is_ram(const struct encore_machine *m, u64 gpa, u64 len)
{
	if (len && gpa + (len - 1) < gpa)   /* wraps around 2^64 */
		return false;
	while (len) {
		u64 n = chunk_len(gpa, len);
		if (machine__ram_offset(m, gpa) < 0 || machine__ram_offset(m, gpa + n - 1) < 0)
			return false;
		gpa += n;
		len -= n;
	}
	return true;
}

int guest_mem__read(struct encore_machine *m, u64 gpa, void *buf, u64 len)
{
	if (!guest_mem__is_ram(m, gpa, len))
		return -1;
	u8 *out = buf;
	while (len) {
		u64 n = chunk_len(gpa, len);
		memcpy(out, machine__ram_ptr(m, gpa), n);
		out += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

/* Every engine forgets what it derived from [gpa, gpa + len): code. */
static void tell_engines(struct encore_machine *m, u64 gpa, u64 len)
{
	for (unsigned k = 0; k < m->nvcpus; k++) {
		struct encore_engine *e = m->vcpus[k].engine;
		if (e && e->ops->ram_written)
			e->ops->ram_written(e, gpa, len);
	}
}

int guest_mem__write(struct encore_machine *m, u64 gpa, const void *buf, u64 len)
{
	if (!guest_mem__is_ram(m, gpa, len))
		return -1;
	const u8 *in = buf;
	u64 start = gpa, total = len;
	while (len) {
		u64 n = chunk_len(gpa, len);
		memcpy(machine__ram_ptr(m, gpa), in, n);
		machine__note_ram_write(m, gpa, n);
		in += n;
		gpa += n;
		len -= n;
	}
	if (total)
		tell_engines(m, start, total);
	return 0;
}

/* n (at most 8) bytes at gpa as a little-endian number. */
static int load(struct encore_machine *m, u64 gpa, unsigned n, u64 *v)
{
	u8 b[8];
	*v = 0;
	if (guest_mem__read(m, gpa, b, n))
		return -1;
	for (unsigned k = 0; k < n; k++)
		*v |= (u64)b[k] << 8 * k;
	return 0;
}

static int store(struct encore_machine *m, u64 gpa, unsigned n, u64 v)
{
	u8 b[8];
	for (unsigned k = 0; k < n; k++)
		b[k] = (u8)(v >> 8 * k);
	return guest_mem__write(m, gpa, b, n);
}

int guest_mem__read16(struct encore_machine *m, u64 gpa, u16 *v)
{
	u64 x;
	int rc = load(m, gpa, 2, &x);
	*v = (u16)x;
	return rc;
}

int guest_mem__read32(struct encore_machine *m, u64 gpa, u32 *v)
{
	u64 x;
	int rc = load(m, gpa, 4, &x);
	*v = (u32)x;
	return rc;
}

int guest_mem__read64(struct encore_machine *m, u64 gpa, u64 *v)
{
	return load(m, gpa, 8, v);
}

int guest_mem__write16(struct encore_machine *m, u64 gpa, u16 v)
{
	return store(m, gpa, 2, v);
}

int guest_mem__write32(struct encore_machine *m, u64 gpa, u32 v)
{
	return store(m, gpa, 4, v);
}
