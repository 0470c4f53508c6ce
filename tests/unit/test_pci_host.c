/*
 * The PCI host: configuration mechanism #1 at every width and byte lane,
 * the 440FX host bridge's identity and write mask, absent functions,
 * Linux's type-1/type-2 probes, the 0xcf9 reset control register, and a
 * checkpoint copied into a second machine.
 */
#include <string.h>

#include "check.h"
#include "encore/hw/pci_host.h"

#define CFG(bus, dev, fn, reg) (0x80000000u | (bus) << 16 | (dev) << 11 | (fn) << 8 | (reg))

/* 00:00.0 after reset; everything past 0x0f is 0. */
static const u8 i440fx_reset[16] = {
	0x86, 0x80, 0x37, 0x12, 0x06, 0x00, 0x80, 0x02,
	0x02, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00,
};

static u32 in(struct encore_machine *m, u16 port, unsigned len)
{
	u8 b[4] = { 0 };
	bus__access(&m->pio, NULL, port, b, len, false);
	u32 v;
	memcpy(&v, b, 4);
	return v;
}

static void out(struct encore_machine *m, u16 port, unsigned len, u32 v)
{
	u8 b[4];
	memcpy(b, &v, 4);
	bus__access(&m->pio, NULL, port, b, len, true);
}

static u32 cfg_read(struct encore_machine *m, u32 addr, unsigned len, unsigned lane)
{
	out(m, 0xcf8, 4, addr);
	return in(m, 0xcfc + lane, len);
}

static void cfg_write(struct encore_machine *m, u32 addr, unsigned len, unsigned lane, u32 v)
{
	out(m, 0xcf8, 4, addr);
	out(m, 0xcfc + lane, len, v);
}

static struct encore_machine *boot(void)
{
	struct encore_machine *m = machine__create(&arch_x86_64, 1 << 20, 1);
	pci_host__create(m);
	return m;
}

static u8 reset_byte(unsigned off)
{
	return off < sizeof(i440fx_reset) ? i440fx_reset[off] : 0;
}

/* The value a read of `len` bytes at config offset `off` should give. */
static u32 expected(unsigned off, unsigned len)
{
	u32 v = 0;
	for (unsigned k = 0; k < len; k++)
		v |= (u32)reset_byte(off + k) << (8 * k);
	return v;
}

static void test_identity(void)
{
	check_group("identity");
	struct encore_machine *m = boot();
	CHECK(cfg_read(m, CFG(0, 0, 0, 0x00), 4, 0) == 0x12378086, "vendor/device dword");
	CHECK(cfg_read(m, CFG(0, 0, 0, 0x00), 2, 2) == 0x1237, "device word at 0xcfe");
	CHECK(cfg_read(m, CFG(0, 0, 0, 0x00), 1, 1) == 0x80, "vendor high byte at 0xcfd");
	CHECK(cfg_read(m, CFG(0, 0, 0, 0x04), 4, 0) == 0x02800006, "status/command");
	CHECK(cfg_read(m, CFG(0, 0, 0, 0x08), 4, 0) == 0x06000002, "class 06/00/00, revision 02");
	CHECK(cfg_read(m, CFG(0, 0, 0, 0x08), 2, 2) == 0x0600, "class word (Linux's sanity check)");
	CHECK(cfg_read(m, CFG(0, 0, 0, 0x0c), 1, 2) == 0x00, "header type 0");
	unsigned wrong = 0;
	for (unsigned reg = 0; reg < 256; reg += 4) {
		wrong += cfg_read(m, CFG(0, 0, 0, reg), 4, 0) != expected(reg, 4);
		for (unsigned lane = 0; lane < 4; lane += 2)
			wrong += cfg_read(m, CFG(0, 0, 0, reg), 2, lane) != expected(reg + lane, 2);
		for (unsigned lane = 0; lane < 4; lane++)
			wrong += cfg_read(m, CFG(0, 0, 0, reg), 1, lane) != expected(reg + lane, 1);
	}
	CHECK(wrong == 0, "%u of 448 reads over the whole space differ", wrong);
	CHECK(cfg_read(m, CFG(0, 0, 0, 0x00), 2, 1) == 0x3780, "unaligned word at 0xcfd");
	CHECK(cfg_read(m, CFG(0, 0, 0, 0x00), 4, 2) == 0xffff1237, "dword at 0xcfe: past 0xcff floats");
	machine__destroy(m);
}

static void test_address_register(void)
{
	check_group("address");
	struct encore_machine *m = boot();
	out(m, 0xcf8, 4, 0xffffffff);
	CHECK(in(m, 0xcf8, 4) == 0x80fffffc, "reserved and low bits read 0: %#x", in(m, 0xcf8, 4));
	/* Linux's pci_check_type1(). */
	out(m, 0xcfb, 1, 0x01);
	out(m, 0xcf8, 4, 0x80000000);
	CHECK(in(m, 0xcf8, 4) == 0x80000000, "type 1 probe reads back");
	out(m, 0xcf8, 1, 0x12);
	out(m, 0xcf8, 2, 0x1234);
	CHECK(in(m, 0xcf8, 4) == 0x80000000, "byte/word writes do not reach CONFIG_ADDRESS");
	CHECK(in(m, 0xcf8, 1) == 0xff && in(m, 0xcf8, 2) == 0xffff && in(m, 0xcfa, 1) == 0xff,
	      "byte/word reads of 0xcf8-0xcfb float");
	/* Linux's pci_check_type2() must fail. */
	out(m, 0xcfb, 1, 0);
	out(m, 0xcf8, 1, 0);
	out(m, 0xcfa, 1, 0);
	CHECK(!(in(m, 0xcf8, 1) == 0 && in(m, 0xcfa, 1) == 0), "no mechanism #2");
	CHECK(in(m, 0xcf8, 4) == 0x80000000, "address untouched by the probes");

	CHECK(cfg_read(m, 0x00000000, 4, 0) == 0xffffffff, "enable bit clear: data floats");
	cfg_write(m, 0x00000004, 4, 0, 0xffffffff);
	CHECK(cfg_read(m, CFG(0, 0, 0, 4), 4, 0) == 0x02800006, "enable bit clear: writes dropped");
	machine__destroy(m);
}

static void test_absent(void)
{
	check_group("absent");
	struct encore_machine *m = boot();
	static const u32 nowhere[] = {
		CFG(0, 1, 0, 0), CFG(0, 0, 1, 0), CFG(0, 31, 7, 0), CFG(1, 0, 0, 0), CFG(255, 0, 0, 0x40),
	};
	struct device *d = m->devices[0];
	struct pci_host_state before;
	memcpy(&before, d->state, sizeof(before));
	for (unsigned k = 0; k < ARRAY_SIZE(nowhere); k++) {
		u32 a = nowhere[k];
		CHECK(cfg_read(m, a, 4, 0) == 0xffffffff && cfg_read(m, a, 2, 0) == 0xffff &&
		      cfg_read(m, a, 2, 2) == 0xffff && cfg_read(m, a, 1, 0) == 0xff &&
		      cfg_read(m, a, 1, 3) == 0xff, "%#x reads all-ones", a);
		cfg_write(m, a + 4, 4, 0, 0xffffffff);
		cfg_write(m, a + 0x58, 4, 0, 0xffffffff);
	}
	out(m, 0xcf8, 4, before.address);
	CHECK(!memcmp(&before, d->state, sizeof(before)), "writes to absent functions change nothing");
	machine__destroy(m);
}

/* Which bits of each config byte software can change. */
static u8 writable_bits(unsigned off)
{
	switch (off) {
	case 0x04: return 0x40;
	case 0x05: return 0x01;
	case 0x0d: return 0xf8;
	case 0x59: return 0x30;
	case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f: return 0x33;
	default: return 0;
	}
}

static void test_write_mask(void)
{
	check_group("write-mask");
	struct encore_machine *m = boot();
	cfg_write(m, CFG(0, 0, 0, 4), 4, 0, 0xffffffff);
	CHECK(cfg_read(m, CFG(0, 0, 0, 4), 4, 0) == 0x02800146, "command gets SERR#/PERR, status stays: %#x",
	      cfg_read(m, CFG(0, 0, 0, 4), 4, 0));
	cfg_write(m, CFG(0, 0, 0, 4), 4, 0, 0);
	CHECK(cfg_read(m, CFG(0, 0, 0, 4), 4, 0) == 0x02800006, "memory/master stay on");
	cfg_write(m, CFG(0, 0, 0, 4), 1, 1, 0xff);
	CHECK(cfg_read(m, CFG(0, 0, 0, 4), 4, 0) == 0x02800106, "a byte at 0xcfd writes offset 5 only");
	cfg_write(m, CFG(0, 0, 0, 4), 2, 2, 0xffff);
	CHECK(cfg_read(m, CFG(0, 0, 0, 4), 4, 0) == 0x02800106, "status is read-only");
	cfg_write(m, CFG(0, 0, 0, 0), 4, 0, 0);
	CHECK(cfg_read(m, CFG(0, 0, 0, 0), 4, 0) == 0x12378086, "identity is read-only");
	unsigned bars_written = 0;
	for (unsigned reg = 0x10; reg <= 0x24; reg += 4) {
		cfg_write(m, CFG(0, 0, 0, reg), 4, 0, 0xffffffff);
		bars_written += cfg_read(m, CFG(0, 0, 0, reg), 4, 0) != 0;
	}
	CHECK(bars_written == 0, "no BARs: sizing reads 0");
	cfg_write(m, CFG(0, 0, 0, 0x58), 4, 0, 0xffffffff);
	CHECK(cfg_read(m, CFG(0, 0, 0, 0x58), 4, 0) == 0x33333000, "PAM0-2: %#x",
	      cfg_read(m, CFG(0, 0, 0, 0x58), 4, 0));

	/* Byte by byte over the whole space: ones then zeros show the mask. */
	for (unsigned off = 0; off < 256; off++) {
		u32 addr = CFG(0, 0, 0, off & 0xfc);
		cfg_write(m, addr, 1, off & 3, 0xff);
		u8 ones = (u8)cfg_read(m, addr, 1, off & 3);
		cfg_write(m, addr, 1, off & 3, 0x00);
		u8 zeros = (u8)cfg_read(m, addr, 1, off & 3);
		u8 fixed = reset_byte(off) & ~writable_bits(off);
		CHECK((ones ^ zeros) == writable_bits(off) && (zeros & ~writable_bits(off)) == fixed,
		      "offset %#x: ones %#x zeros %#x", off, ones, zeros);
	}
	machine__destroy(m);
}

static void test_reset_control(void)
{
	check_group("reset-control");
	struct encore_machine *m = boot();
	CHECK(in(m, 0xcf9, 1) == 0 && !m->reset_requested, "idle");
	out(m, 0xcf9, 1, 0x02);
	CHECK(!m->reset_requested && in(m, 0xcf9, 1) == 0x02, "bit 1 alone picks the type only");
	out(m, 0xcf9, 1, 0x06);
	CHECK(m->reset_requested, "bits 2+1: hard reset");
	m->reset_requested = false;
	out(m, 0xcf9, 1, 0x04);
	CHECK(m->reset_requested, "bit 2: soft reset");
	m->reset_requested = false;
	out(m, 0xcf9, 1, 0x0e);
	CHECK(m->reset_requested && in(m, 0xcf9, 1) == 0x0a, "bit 2 does not stick: %#x", in(m, 0xcf9, 1));
	m->reset_requested = false;
	out(m, 0xcf8, 4, 0x80000400);
	out(m, 0xcf8, 2, 0x0400);
	CHECK(!m->reset_requested && in(m, 0xcf8, 4) == 0x80000400, "dword/word at 0xcf8 are no reset");
	/* Linux's reboot=pci: read, request the type, then pull bit 2. */
	u8 cf9 = (u8)in(m, 0xcf9, 1) & ~0x06;
	out(m, 0xcf9, 1, cf9 | 0x02);
	CHECK(!m->reset_requested, "type selected, no reset yet");
	out(m, 0xcf9, 1, cf9 | 0x06);
	CHECK(m->reset_requested, "Linux's sequence resets");
	machine__destroy(m);
}

static void test_save_restore(void)
{
	check_group("save-restore");
	struct encore_machine *a = boot(), *b = boot();
	cfg_write(a, CFG(0, 0, 0, 4), 2, 0, 0x0140);
	cfg_write(a, CFG(0, 0, 0, 0x0c), 1, 1, 0x40);
	cfg_write(a, CFG(0, 0, 0, 0x5c), 4, 0, 0x11223311);
	out(a, 0xcf9, 1, 0x02);
	out(a, 0xcf8, 4, CFG(0, 0, 0, 0x08));
	struct device *da = a->devices[0], *db = b->devices[0];
	CHECK(!strcmp(da->name, "pci-host") && da->state_size == sizeof(struct pci_host_state),
	      "registered as a device");
	device__restore(db, da->state);
	CHECK(in(b, 0xcf8, 4) == CFG(0, 0, 0, 0x08) && in(b, 0xcfc, 4) == 0x06000002,
	      "address register restored");
	CHECK(in(b, 0xcf9, 1) == 0x02, "reset control restored");
	unsigned differ = 0;
	for (unsigned reg = 0; reg < 256; reg += 4)
		differ += cfg_read(a, CFG(0, 0, 0, reg), 4, 0) != cfg_read(b, CFG(0, 0, 0, reg), 4, 0);
	CHECK(differ == 0, "%u config dwords differ", differ);
	CHECK(cfg_read(b, CFG(0, 0, 0, 0x5c), 4, 0) == 0x11223311, "PAM restored");
	cfg_write(b, CFG(0, 0, 0, 4), 4, 0, 0xffffffff);
	CHECK(cfg_read(b, CFG(0, 0, 0, 4), 4, 0) == 0x02800146, "mask still honoured");
	machine__destroy(a);
	machine__destroy(b);
}

int main(void)
{
	test_identity();
	test_address_register();
	test_absent();
	test_write_mask();
	test_reset_control();
	test_save_restore();
	check_group_end();
	return check_summary();
}
