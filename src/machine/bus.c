/* Address-range dispatch for port I/O and MMIO. */
#include <string.h>

#include "encore/machine.h"

int bus__register(struct bus *b, u64 base, u64 len, bus_handler_fn fn, void *opaque,
		  const char *name)
{
	if (b->count == BUS_MAX_RANGES)
		return -1;
	for (unsigned k = 0; k < b->count; k++) {
		struct bus_range *r = &b->ranges[k];
		if (base < r->base + r->len && r->base < base + len)
			return -1; /* overlapping ranges are a wiring bug */
	}
	b->ranges[b->count++] = (struct bus_range){ base, len, fn, opaque, name };
	return 0;
}

/*
 * Each device sees only the bytes of an access that fall in its range:
 * a word or dword at a device's last port reaches the ports after it
 * (a UART's scratch register at 0x3ff and the unclaimed 0x400-0x402),
 * not the device's first ports again.
 */
static void dispatch(struct bus *b, struct encore_vcpu *vcpu, u64 addr, u8 *data, unsigned len,
		     bool is_write)
{
	while (len) {
		struct bus_range *hit = NULL;
		unsigned n = len;
		for (unsigned k = 0; k < b->count; k++) {
			struct bus_range *r = &b->ranges[k];
			if (addr >= r->base && addr - r->base < r->len) {
				hit = r;
				if (r->len - (addr - r->base) < n)
					n = (unsigned)(r->len - (addr - r->base));
				break;
			}
			if (r->base > addr && r->base - addr < n)
				n = (unsigned)(r->base - addr); /* a range starts within */
		}
		if (hit)
			hit->handler(hit->opaque, vcpu, addr - hit->base, data, n, is_write);
		else if (!is_write)
			memset(data, 0xff, n); /* nothing answers: the bus floats high */
		addr += n;
		data += n;
		len -= n;
	}
}

void bus__access(struct bus *b, struct encore_vcpu *vcpu, u64 addr, u8 *data, unsigned len,
		 bool is_write)
{
	dispatch(b, vcpu, addr, data, len, is_write);
	if (b->machine && b->machine->by_exits)
		machine__count_exit(b->machine);
	if (unlikely(b->observer != NULL))
		b->observer(b->observer_opaque, vcpu, addr, data, len, is_write);
}
