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

static void dispatch(struct bus *b, struct encore_vcpu *vcpu, u64 addr, u8 *data, unsigned len,
		     bool is_write)
{
	for (unsigned k = 0; k < b->count; k++) {
		struct bus_range *r = &b->ranges[k];
		if (addr >= r->base && addr - r->base < r->len) {
			r->handler(r->opaque, vcpu, addr - r->base, data, len, is_write);
			return;
		}
	}
	if (!is_write)
		memset(data, 0xff, len); /* nothing answers: the bus floats high */
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
