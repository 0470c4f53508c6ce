/*
 * The bus: an access goes to the device whose range holds its first byte,
 * but each device sees only the bytes in its range; bytes in no range
 * read as all-ones and their writes are dropped.  Two recording devices
 * with a gap between them, and accesses of every width at every offset
 * around them.
 */
#include <stddef.h>
#include <string.h>

#include "check.h"
#include "encore/machine.h"

#define A_BASE 0x10
#define A_LEN 4
#define B_BASE 0x16 /* 0x14-0x15: nothing */
#define B_LEN 2

/* A device: each byte it is given, by absolute port, and reads as port ^ id. */
struct dev {
	u8 id;
	int seen[0x40];   /* times each port was accessed */
	u8 written[0x40]; /* the last byte written to each port */
	u64 base;
};

static void dev_io(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data, unsigned len,
		   bool is_write)
{
	struct dev *d = opaque;
	(void)vcpu;
	for (unsigned k = 0; k < len; k++) {
		u64 port = d->base + addr + k;
		if (port >= sizeof(d->seen) / sizeof(d->seen[0]))
			return;
		d->seen[port]++;
		if (is_write)
			d->written[port] = data[k];
		else
			data[k] = (u8)(port ^ d->id);
	}
}

static u8 expected(u64 port)
{
	if (port >= A_BASE && port < A_BASE + A_LEN)
		return (u8)(port ^ 0xa0);
	if (port >= B_BASE && port < B_BASE + B_LEN)
		return (u8)(port ^ 0xb0);
	return 0xff;
}

static bool owned_by(const struct dev *d, u64 port)
{
	return port >= d->base && port < d->base + (d->id == 0xa0 ? A_LEN : B_LEN);
}

int main(void)
{
	struct encore_machine *m = machine__create(&arch_x86_64, 1 << 20, 1);
	struct dev a = { .id = 0xa0, .base = A_BASE }, b = { .id = 0xb0, .base = B_BASE };
	CHECK(m != NULL, "a machine");
	CHECK(!bus__register(&m->pio, A_BASE, A_LEN, dev_io, &a, "a"), "register a");
	CHECK(!bus__register(&m->pio, B_BASE, B_LEN, dev_io, &b, "b"), "register b");

	check_group("reads of every width at every port around the devices");
	for (unsigned len = 1; len <= 8; len *= 2)
		for (u64 port = 0x0c; port < 0x1c; port++) {
			u8 data[8];
			memset(&a.seen, 0, sizeof(a.seen));
			memset(&b.seen, 0, sizeof(b.seen));
			memset(data, 0x5a, sizeof(data));
			bus__access(&m->pio, NULL, port, data, len, false);
			for (unsigned k = 0; k < len; k++) {
				u64 p = port + k;
				CHECK(data[k] == expected(p), "read %u at %#llx: byte %u is %#x, want %#x",
				      len, (unsigned long long)port, k, data[k], expected(p));
				CHECK(a.seen[p] == owned_by(&a, p) && b.seen[p] == owned_by(&b, p),
				      "read %u at %#llx: port %#llx reached a %d and b %d times", len,
				      (unsigned long long)port, (unsigned long long)p, a.seen[p],
				      b.seen[p]);
			}
		}

	check_group("writes reach only the devices' own ports");
	for (unsigned len = 1; len <= 8; len *= 2)
		for (u64 port = 0x0c; port < 0x1c; port++) {
			u8 data[8];
			memset(&a, 0, offsetof(struct dev, base));
			memset(&b, 0, offsetof(struct dev, base));
			a.id = 0xa0;
			b.id = 0xb0;
			for (unsigned k = 0; k < 8; k++)
				data[k] = (u8)(0x40 + k);
			bus__access(&m->pio, NULL, port, data, len, true);
			for (u64 p = 0; p < 0x40; p++) {
				bool in = p >= port && p < port + len;
				int want_a = in && owned_by(&a, p), want_b = in && owned_by(&b, p);
				CHECK(a.seen[p] == want_a && b.seen[p] == want_b,
				      "write %u at %#llx: port %#llx reached a %d and b %d times", len,
				      (unsigned long long)port, (unsigned long long)p, a.seen[p],
				      b.seen[p]);
				if (want_a || want_b)
					CHECK((want_a ? a.written[p] : b.written[p]) == 0x40 + (p - port),
					      "write %u at %#llx: port %#llx got its own byte", len,
					      (unsigned long long)port, (unsigned long long)p);
			}
		}
	machine__destroy(m);
	return check_summary();
}
