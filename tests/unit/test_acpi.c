/*
 * The ACPI tables and the AML encoder: package lengths and integers at
 * every encoding boundary against bytes computed by hand from the spec;
 * names and objects; the tables for 1 to 255 CPUs found the way Linux
 * finds them (a scan of 0xE0000-0xFFFFF), walked from the XSDT and checked
 * field by field; bad configurations refused without writing anything;
 * and an oracle nobody here wrote: Debian's iasl disassembles every table,
 * names the fields we meant, and recompiles the DSDT into the same AML.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "encore/acpi.h"
#include "encore/le_bytes.h"
#include "arch/x86/acpi_aml.h"

#define RAM (64ull << 20)
#define SCAN_START 0xe0000u
#define SCAN_END 0x100000u

/* ---- the AML encoder ---- */

static bool bytes_are(const u8 *got, unsigned n, const u8 *want, unsigned wn)
{
	return n == wn && !memcmp(got, want, n);
}

#define BYTES(...) (const u8[]){ __VA_ARGS__ }, sizeof((const u8[]){ __VA_ARGS__ })

static void test_pkglength(void)
{
	check_group("pkglength");
	static const struct { u32 value; u8 n, b[4]; } v[] = {
		{ 0, 1, { 0x00 } },
		{ 63, 1, { 0x3f } },
		{ 64, 2, { 0x40, 0x04 } },
		{ 0x123, 2, { 0x43, 0x12 } },
		{ 4095, 2, { 0x4f, 0xff } },
		{ 4096, 3, { 0x80, 0x00, 0x01 } },
		{ 0xfffff, 3, { 0x8f, 0xff, 0xff } },
		{ 0x100000, 4, { 0xc0, 0x00, 0x00, 0x01 } },
		{ 0x0fffffff, 4, { 0xcf, 0xff, 0xff, 0xff } },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(v); k++) {
		u8 out[4];
		unsigned n = aml__pkglength_value(out, v[k].value);
		CHECK(bytes_are(out, n, v[k].b, v[k].n), "value %#x: %u bytes %02x %02x", v[k].value, n,
		      out[0], out[1]);
	}
	u8 out[4];
	CHECK(aml__pkglength_value(out, 0x10000000) == 0, "2^28 does not fit");

	/* A body's PkgLength counts its own bytes: 62 + 1 = 63 still fits one
	 * byte, 63 + 2 = 65 needs two; 4093 + 2 = 4095, 4094 + 3 = 4097;
	 * 0xffffc + 3 = 0xfffff, 0xffffd + 4 = 0x100001. */
	static const struct { u32 body; u8 n, b[4]; } w[] = {
		{ 0, 1, { 0x01 } },
		{ 62, 1, { 0x3f } },
		{ 63, 2, { 0x41, 0x04 } },
		{ 4093, 2, { 0x4f, 0xff } },
		{ 4094, 3, { 0x81, 0x00, 0x01 } },
		{ 0xffffc, 3, { 0x8f, 0xff, 0xff } },
		{ 0xffffd, 4, { 0xc1, 0x00, 0x00, 0x01 } },
		{ 0x0ffffffb, 4, { 0xcf, 0xff, 0xff, 0xff } },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(w); k++) {
		unsigned n = aml__pkglength(out, w[k].body);
		CHECK(bytes_are(out, n, w[k].b, w[k].n), "body %#x: %u bytes %02x %02x", w[k].body, n,
		      out[0], out[1]);
	}
	CHECK(aml__pkglength(out, 0x0ffffffc) == 0, "a body of 2^28 - 4 has no PkgLength");
}

static bool encodes(u64 v, const u8 *want, unsigned n)
{
	u8 buf[16];
	struct aml a;
	aml__init(&a, buf, sizeof(buf));
	aml__integer(&a, v);
	return !a.failed && bytes_are(buf, (unsigned)a.len, want, n);
}

static void test_integers(void)
{
	check_group("integers");
	CHECK(encodes(0, BYTES(0x00)), "0: ZeroOp");
	CHECK(encodes(1, BYTES(0x01)), "1: OneOp");
	CHECK(encodes(2, BYTES(0x0a, 0x02)), "2: BytePrefix");
	CHECK(encodes(0xff, BYTES(0x0a, 0xff)), "0xff: BytePrefix (not OnesOp)");
	CHECK(encodes(0x100, BYTES(0x0b, 0x00, 0x01)), "0x100: WordPrefix");
	CHECK(encodes(0xffff, BYTES(0x0b, 0xff, 0xff)), "0xffff");
	CHECK(encodes(0x10000, BYTES(0x0c, 0x00, 0x00, 0x01, 0x00)), "0x10000: DWordPrefix");
	CHECK(encodes(0xffffffff, BYTES(0x0c, 0xff, 0xff, 0xff, 0xff)), "0xffffffff");
	CHECK(encodes(1ull << 32, BYTES(0x0e, 0, 0, 0, 0, 1, 0, 0, 0)), "2^32: QWordPrefix");
	CHECK(encodes(0xfffffffffffffffeull, BYTES(0x0e, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)),
	      "2^64 - 2");
	CHECK(encodes(UINT64_MAX, BYTES(0xff)), "all ones: OnesOp (revision 2 tables)");
	u8 buf[4];
	struct aml a;
	aml__init(&a, buf, sizeof(buf));
	aml__integer(&a, 0x10000);
	CHECK(a.failed && a.len == 0, "a DWord does not fit in 4 bytes: failed, nothing written");
}

static bool name_is(const char *path, const u8 *want, unsigned n)
{
	u8 buf[64];
	struct aml a;
	aml__init(&a, buf, sizeof(buf));
	aml__name_string(&a, path);
	return !a.failed && bytes_are(buf, (unsigned)a.len, want, n);
}

static bool name_fails(const char *path)
{
	u8 buf[64];
	struct aml a;
	aml__init(&a, buf, sizeof(buf));
	aml__name_string(&a, path);
	return a.failed;
}

static void test_names(void)
{
	check_group("names");
	CHECK(name_is("_S5", BYTES('_', 'S', '5', '_')), "_S5 padded");
	CHECK(name_is("PCI0", BYTES('P', 'C', 'I', '0')), "four characters");
	CHECK(name_is("\\_SB", BYTES('\\', '_', 'S', 'B', '_')), "root prefix");
	CHECK(name_is("\\_SB.PCI0", BYTES('\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0')),
	      "DualNamePrefix");
	CHECK(name_is("A.B.C", BYTES(0x2f, 3, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C', '_', '_', '_')),
	      "MultiNamePrefix with its count");
	CHECK(name_is("^^X", BYTES('^', '^', 'X', '_', '_', '_')), "parent prefixes");
	CHECK(name_is("\\", BYTES('\\', 0x00)), "the root alone: NullName");
	CHECK(name_fails("pci0"), "lower case");
	CHECK(name_fails("0ABC"), "leading digit");
	CHECK(name_fails("ABCDE"), "five characters");
	CHECK(name_fails("A..B"), "empty segment");
	CHECK(name_fails("\\^A"), "root then parent");
}

static void test_objects(void)
{
	check_group("objects");
	u8 buf[256];
	struct aml a;
	aml__init(&a, buf, sizeof(buf));
	aml__eisaid(&a, "PNP0A03");
	CHECK(bytes_are(buf, (unsigned)a.len, BYTES(0x0c, 0x41, 0xd0, 0x0a, 0x03)), "EisaId(PNP0A03)");

	aml__init(&a, buf, sizeof(buf));
	aml__name(&a, "_S5");
	size_t mark = aml__package_begin(&a, 4);
	aml__integer(&a, 5);
	aml__integer(&a, 5);
	aml__integer(&a, 0);
	aml__integer(&a, 0);
	aml__end(&a, mark);
	CHECK(bytes_are(buf, (unsigned)a.len,
			BYTES(0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 5, 0x0a, 5, 0, 0)),
	      "Name(_S5, Package(4){5, 5, 0, 0})");

	aml__init(&a, buf, sizeof(buf));
	aml__buffer(&a, (const u8[]){ 0x79, 0x00 }, 2);
	CHECK(bytes_are(buf, (unsigned)a.len, BYTES(0x11, 0x05, 0x0a, 0x02, 0x79, 0x00)),
	      "Buffer(2){0x79, 0}: the PkgLength counts the size, the bytes and itself");

	/* A scope whose body (a 5-byte name + 57 bytes) is 62 bytes, then 63. */
	for (unsigned extra = 57; extra <= 58; extra++) {
		aml__init(&a, buf, sizeof(buf));
		mark = aml__scope_begin(&a, "\\_SB");
		for (unsigned k = 0; k < extra; k++)
			aml__byte(&a, 0xa3); /* NoopOp */
		aml__end(&a, mark);
		unsigned body = 5 + extra;
		bool one = body == 62;
		CHECK(buf[0] == 0x10 && a.len == 1 + body + (one ? 1 : 2), "scope of %u: length %zu", body,
		      a.len);
		CHECK(one ? buf[1] == 63 : buf[1] == 0x41 && buf[2] == 0x04,
		      "scope of %u: PkgLength %02x %02x", body, buf[1], buf[2]);
		CHECK(buf[one ? 2 : 3] == '\\', "scope of %u: the name follows", body);
	}

	aml__init(&a, buf, sizeof(buf));
	mark = aml__device_begin(&a, "PCI0");
	aml__end(&a, mark);
	CHECK(bytes_are(buf, (unsigned)a.len, BYTES(0x5b, 0x82, 0x05, 'P', 'C', 'I', '0')),
	      "Device(PCI0) {}");

	/* Not enough room for the PkgLength's second byte. */
	aml__init(&a, buf, 66);
	mark = aml__scope_begin(&a, "\\_SB");
	for (unsigned k = 0; k < 59; k++)
		aml__byte(&a, 0xa3);
	aml__end(&a, mark);
	CHECK(a.failed, "a body that fits but whose PkgLength does not: failed");
}

/* Hand-assembled descriptors, field by field from the spec's tables. */
static void test_resources(void)
{
	check_group("resources");
	u8 buf[64];
	struct aml a;
	aml__init(&a, buf, sizeof(buf));
	aml__res_word_bus(&a, 0, 0xff);
	CHECK(bytes_are(buf, (unsigned)a.len, BYTES(0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0x00, 0x00,
						     0xff, 0x00, 0, 0, 0x00, 0x01)), "WordBusNumber 0-255");
	aml__init(&a, buf, sizeof(buf));
	aml__res_io(&a, 0xcf8, 8);
	CHECK(bytes_are(buf, (unsigned)a.len, BYTES(0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08)),
	      "IO(Decode16, 0xcf8, 0xcf8, 1, 8)");
	aml__init(&a, buf, sizeof(buf));
	aml__res_word_io(&a, 0x0d00, 0xffff);
	CHECK(bytes_are(buf, (unsigned)a.len, BYTES(0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0, 0, 0x00, 0x0d,
						     0xff, 0xff, 0, 0, 0x00, 0xf3)), "WordIO 0xd00-0xffff");
	aml__init(&a, buf, sizeof(buf));
	aml__res_dword_memory(&a, false, 0x04000000, 0xfebfffff);
	CHECK(bytes_are(buf, (unsigned)a.len,
			BYTES(0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x04,
			      0xff, 0xff, 0xbf, 0xfe, 0, 0, 0, 0, 0x00, 0x00, 0xc0, 0xfa)),
	      "DWordMemory non-cacheable 0x04000000-0xfebfffff");
	aml__init(&a, buf, sizeof(buf));
	aml__res_end(&a);
	CHECK(bytes_are(buf, (unsigned)a.len, BYTES(0x79, 0x00)), "EndTag");
}

/* ---- the tables ---- */

struct tables {
	u64 rsdp, rsdt, xsdt, fadt, madt, facs, dsdt;
};

static struct acpi_config config(unsigned ncpus)
{
	return (struct acpi_config){ .ncpus = ncpus, .ioapic_id = ncpus < 255 ? ncpus : 0,
				     .ioapic_base = 0xfec00000, .lapic_base = 0xfee00000,
				     .pci_mmio_start = RAM, .pci_mmio_end = 0xfec00000 };
}

static u8 *gp(struct encore_machine *m, u64 addr)
{
	return m->ram + addr; /* low RAM is one block in these machines */
}

static bool contains(const u8 *p, u32 n, const u8 *s, u32 sn)
{
	for (u32 k = 0; k + sn <= n; k++)
		if (!memcmp(p + k, s, sn))
			return true;
	return false;
}

static u8 sum(const u8 *p, u64 n)
{
	u8 s = 0;
	for (u64 k = 0; k < n; k++)
		s += p[k];
	return s;
}

/* Like Linux's acpi_find_root_pointer: 16-byte steps, the signature and
 * both checksums. */
static u64 scan_rsdp(struct encore_machine *m)
{
	for (u64 a = SCAN_START; a < SCAN_END; a += 16) {
		u8 *p = gp(m, a);
		if (memcmp(p, "RSD PTR ", 8) || sum(p, 20))
			continue;
		if (p[15] >= 2 && sum(p, get32(p + 20)))
			continue;
		return a;
	}
	return 0;
}

/* A table in the ACPI area with a sound header, or false. */
static bool table_ok(struct encore_machine *m, u64 addr, const char *sig, u32 min_len)
{
	if (addr < ACPI_TABLES_BASE || addr + min_len > ACPI_TABLES_END)
		return false;
	u8 *t = gp(m, addr);
	u32 len = get32(t + 4);
	return !memcmp(t, sig, 4) && len >= min_len && addr + len <= ACPI_TABLES_END &&
	       sum(t, len) == 0 && !memcmp(t + 10, "ENCORE", 6);
}

static void check_roots(struct encore_machine *m, struct tables *t, unsigned ncpus)
{
	u8 *r = gp(m, t->rsdp);
	CHECK(r[15] == 2 && get32(r + 20) == 36 && !memcmp(r + 9, "ENCORE", 6), "%u: RSDP v2, 36 bytes",
	      ncpus);
	t->xsdt = get64(r + 24);
	t->rsdt = get32(r + 16);
	CHECK(table_ok(m, t->xsdt, "XSDT", 36), "%u: XSDT at %#llx", ncpus, (unsigned long long)t->xsdt);
	CHECK(table_ok(m, t->rsdt, "RSDT", 36), "%u: RSDT at %#llx", ncpus, (unsigned long long)t->rsdt);
	u8 *x = gp(m, t->xsdt), *rs = gp(m, t->rsdt);
	unsigned n = (get32(x + 4) - 36) / 8;
	CHECK(n == 2 && get32(x + 4) == 36 + 8 * n, "%u: XSDT has %u entries", ncpus, n);
	for (unsigned k = 0; k < n && k < 2; k++) {
		u64 a = get64(x + 36 + 8 * k);
		CHECK(get32(rs + 36 + 4 * k) == a, "%u: RSDT entry %u = XSDT's", ncpus, k);
		if (!memcmp(gp(m, a), "FACP", 4))
			t->fadt = a;
		else if (!memcmp(gp(m, a), "APIC", 4))
			t->madt = a;
	}
	CHECK(get32(rs + 4) == 36 + 4 * 2, "%u: RSDT length", ncpus);
	CHECK(!memcmp(x + 16, "ENCOREPC", 8) && !memcmp(rs + 16, "ENCOREPC", 8), "%u: OEM table IDs",
	      ncpus);
}

static bool gas_is(const u8 *g, u8 space, u8 width, u8 access, u64 addr)
{
	return g[0] == space && g[1] == width && g[2] == 0 && g[3] == access && get64(g + 4) == addr;
}

static void check_fadt(struct encore_machine *m, struct tables *t, unsigned ncpus)
{
	CHECK(table_ok(m, t->fadt, "FACP", 276), "%u: FADT", ncpus);
	u8 *f = gp(m, t->fadt);
	CHECK(get32(f + 4) == 276 && f[8] == 6 && f[131] == 0, "%u: FADT 6.0, 276 bytes", ncpus);
	CHECK(!memcmp(f + 16, "ENCOREPC", 8), "%u: FADT OEM table ID matches the XSDT's", ncpus);
	t->facs = get32(f + 36);
	t->dsdt = get64(f + 140);
	CHECK(get64(f + 132) == 0, "%u: X_FIRMWARE_CTRL 0: the spec allows one of the two", ncpus);
	CHECK(get32(f + 40) == t->dsdt, "%u: DSDT = X_DSDT", ncpus);
	CHECK(get16(f + 46) == 9 && get32(f + 48) == 0 && f[52] == 0 && f[53] == 0,
	      "%u: SCI 9, no SMI port", ncpus);
	CHECK(get32(f + 56) == 0x600 && f[88] == 4 && gas_is(f + 148, 1, 32, 0, 0x600),
	      "%u: PM1a_EVT_BLK 0x600, 4 bytes, both forms", ncpus);
	CHECK(get32(f + 64) == 0x604 && f[89] == 2 && gas_is(f + 172, 1, 16, 0, 0x604),
	      "%u: PM1a_CNT_BLK 0x604, 2 bytes, both forms", ncpus);
	CHECK(get32(f + 76) == 0x608 && f[91] == 4 && gas_is(f + 208, 1, 32, 0, 0x608),
	      "%u: PM_TMR_BLK 0x608, 4 bytes, both forms", ncpus);
	static const u8 zero[12];
	CHECK(!get32(f + 60) && !get32(f + 68) && !get32(f + 72) && !get32(f + 80) && !get32(f + 84) &&
	      !f[90] && !f[92] && !f[93] && !memcmp(f + 160, zero, 12) && !memcmp(f + 184, zero, 12) &&
	      !memcmp(f + 196, zero, 12) && !memcmp(f + 220, zero, 12) && !memcmp(f + 232, zero, 12),
	      "%u: no PM1b, PM2 or GPE blocks", ncpus);
	CHECK(get16(f + 109) == 0x3, "%u: IAPC_BOOT_ARCH legacy devices + 8042", ncpus);
	u32 flags = get32(f + 112);
	CHECK(flags == ((1u << 0) | (1u << 2) | (1u << 4) | (1u << 5) | (1u << 10)),
	      "%u: flags WBINVD PROC_C1 PWR_BUTTON SLP_BUTTON RESET_REG_SUP: %#x", ncpus, flags);
	CHECK(!(flags & (1u << 8)), "%u: 24-bit timer (TMR_VAL_EXT clear)", ncpus);
	CHECK(gas_is(f + 116, 1, 8, 1, 0xcf9) && f[128] == 0x06, "%u: reset register 0xcf9 <- 6", ncpus);
	CHECK(f[108] == 0x32, "%u: CENTURY 0x32", ncpus);
	CHECK(get16(f + 96) > 100 && get16(f + 98) > 1000, "%u: no C2, no C3", ncpus);
}

static void check_facs_dsdt(struct encore_machine *m, struct tables *t, unsigned ncpus, u64 mmio)
{
	u8 *f = gp(m, t->facs);
	CHECK(t->facs % 64 == 0 && t->facs >= ACPI_TABLES_BASE && t->facs + 64 <= ACPI_TABLES_END,
	      "%u: FACS 64-byte aligned at %#llx", ncpus, (unsigned long long)t->facs);
	CHECK(!memcmp(f, "FACS", 4) && get32(f + 4) == 64 && get32(f + 8) == 0 && f[32] == 2,
	      "%u: FACS 64 bytes, hardware signature 0, version 2", ncpus);
	CHECK(table_ok(m, t->dsdt, "DSDT", 36) && gp(m, t->dsdt)[8] == 2, "%u: DSDT revision 2", ncpus);
	u8 *d = gp(m, t->dsdt);
	u32 len = get32(d + 4);
	static const u8 hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
	static const u8 s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 5, 0x0a, 5, 0, 0 };
	u8 window[8];
	put32(window, (u32)mmio);
	put32(window + 4, 0xfebfffff);
	CHECK(contains(d, len, hid, sizeof(hid)), "%u: _HID PNP0A03 in the DSDT", ncpus);
	CHECK(contains(d, len, s5, sizeof(s5)), "%u: _S5 in the DSDT", ncpus);
	CHECK(contains(d, len, window, sizeof(window)), "%u: the PCI window in _CRS", ncpus);
}

/* Walk the entries by their lengths; every one must be where it belongs. */
static void check_madt(struct encore_machine *m, struct tables *t, const struct acpi_config *c)
{
	unsigned ncpus = c->ncpus;
	CHECK(table_ok(m, t->madt, "APIC", 44), "%u: MADT", ncpus);
	u8 *a = gp(m, t->madt);
	u32 len = get32(a + 4);
	CHECK(len == 44 + 8 * ncpus + 12 + 20 + 6, "%u: MADT length %u", ncpus, len);
	CHECK(get32(a + 36) == 0xfee00000 && get32(a + 40) == 1, "%u: LAPIC address, PCAT_COMPAT", ncpus);
	u8 *e = a + 44;
	unsigned bad = 0;
	for (unsigned k = 0; k < ncpus; k++, e += 8)
		bad += !(e[0] == 0 && e[1] == 8 && e[2] == k && e[3] == k && get32(e + 4) == 1);
	CHECK(bad == 0, "%u: %u processor entries wrong", ncpus, bad);
	CHECK(e[0] == 1 && e[1] == 12 && e[2] == c->ioapic_id && get32(e + 4) == 0xfec00000 &&
	      get32(e + 8) == 0, "%u: I/O APIC", ncpus);
	e += 12;
	CHECK(e[0] == 2 && e[1] == 10 && e[2] == 0 && e[3] == 0 && get32(e + 4) == 2 && get16(e + 8) == 0,
	      "%u: IRQ 0 -> GSI 2, conforming", ncpus);
	e += 10;
	CHECK(e[0] == 2 && e[1] == 10 && e[2] == 0 && e[3] == 9 && get32(e + 4) == 9 &&
	      get16(e + 8) == 0xd, "%u: IRQ 9 -> GSI 9, level, active high", ncpus);
	e += 10;
	CHECK(e[0] == 4 && e[1] == 6 && e[2] == 0xff && get16(e + 3) == 0 && e[5] == 1,
	      "%u: LAPIC NMI on LINT1 for all processors", ncpus);
	e += 6;
	CHECK(e == a + len, "%u: the entries fill the table exactly", ncpus);
}

/* No two tables overlap, and all lie in the ACPI area. */
static void check_layout(struct encore_machine *m, const struct tables *t, unsigned ncpus)
{
	const u64 at[] = { t->rsdp, t->facs, t->dsdt, t->fadt, t->madt, t->rsdt, t->xsdt };
	u64 len[ARRAY_SIZE(at)];
	for (unsigned k = 0; k < ARRAY_SIZE(at); k++)
		len[k] = k == 0 ? 36 : get32(gp(m, at[k]) + 4);
	bool ok = true;
	for (unsigned i = 0; i < ARRAY_SIZE(at); i++) {
		ok &= at[i] >= ACPI_TABLES_BASE && at[i] + len[i] <= ACPI_TABLES_END;
		for (unsigned j = 0; j < i; j++)
			ok &= at[i] + len[i] <= at[j] || at[j] + len[j] <= at[i];
	}
	CHECK(ok, "%u: tables inside the area, none overlapping", ncpus);
	if (ncpus == 1 || ncpus == 16)
		printf("layout for %u CPUs: RSDP %#llx FACS %#llx DSDT %#llx+%llu FADT %#llx MADT "
		       "%#llx+%llu RSDT %#llx XSDT %#llx, ends %#llx\n", ncpus,
		       (unsigned long long)t->rsdp, (unsigned long long)t->facs,
		       (unsigned long long)t->dsdt, (unsigned long long)len[2],
		       (unsigned long long)t->fadt, (unsigned long long)t->madt,
		       (unsigned long long)len[4], (unsigned long long)t->rsdt,
		       (unsigned long long)t->xsdt, (unsigned long long)(t->xsdt + len[6]));
}

static void test_tables(unsigned ncpus, struct tables *out, struct encore_machine **mp)
{
	char group[32];
	snprintf(group, sizeof(group), "tables-%u", ncpus);
	check_group(group);
	struct encore_machine *m = machine__create(&arch_x86_64, RAM, 1);
	struct acpi_config c = config(ncpus);
	u64 rsdp = 0;
	char err[200] = "";
	CHECK(acpi__build(m, &c, &rsdp, err, sizeof(err)) == 0, "%u CPUs: %s", ncpus, err);
	struct tables t = { .rsdp = scan_rsdp(m) };
	CHECK(t.rsdp == rsdp && rsdp == ACPI_TABLES_BASE, "%u: the scan finds the RSDP at %#llx",
	      ncpus, (unsigned long long)rsdp);
	if (t.rsdp) {
		check_roots(m, &t, ncpus);
		check_fadt(m, &t, ncpus);
		check_facs_dsdt(m, &t, ncpus, c.pci_mmio_start);
		check_madt(m, &t, &c);
		check_layout(m, &t, ncpus);
	}
	*out = t;
	*mp = m;
}

static bool area_zero(struct encore_machine *m)
{
	for (u64 a = ACPI_TABLES_BASE; a < ACPI_TABLES_END; a++)
		if (*gp(m, a))
			return false;
	return true;
}

static void refused(struct acpi_config c, u64 ram, const char *what)
{
	struct encore_machine *m = machine__create(&arch_x86_64, ram, 1);
	u64 rsdp = 0x1234;
	char err[200] = "";
	int rc = acpi__build(m, &c, &rsdp, err, sizeof(err));
	CHECK(rc == -1 && err[0] && rsdp == 0x1234, "%s: refused with a message: %s", what, err);
	if (ram > ACPI_TABLES_END)
		CHECK(area_zero(m), "%s: nothing written", what);
	machine__destroy(m);
}

static void test_refused(void)
{
	check_group("refused");
	refused(config(0), RAM, "0 CPUs");
	refused(config(256), RAM, "256 CPUs");
	struct acpi_config c = config(4);
	c.ioapic_base = 1ull << 32;
	refused(c, RAM, "I/O APIC above 4 GiB");
	c = config(4);
	c.pci_mmio_start = c.pci_mmio_end;
	refused(c, RAM, "empty PCI window");
	c = config(4);
	c.pci_mmio_end = (1ull << 32) + 4096;
	refused(c, RAM, "PCI window beyond 4 GiB");
	refused(config(4), 512 << 10, "512 KiB of RAM: no RAM at 0xf0000");
}

/* ---- the oracle: iasl ---- */

static bool iasl_present(void)
{
	return system("command -v iasl >/dev/null 2>&1") == 0;
}

/* `cmd` run in `dir` with its output in dir/log: its exit status. */
static int run_in(const char *dir, const char *cmd)
{
	char line[512];
	snprintf(line, sizeof(line), "cd '%s' && %s >log 2>&1", dir, cmd);
	int rc = system(line);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *read_whole(const char *dir, const char *name, size_t *n)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, len = 0, got;
	do {
		cap = cap ? 2 * cap : 65536;
		buf = realloc(buf, cap + 1);
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (len == cap);
	fclose(f);
	buf[len] = 0;
	if (n)
		*n = len;
	return buf;
}

/* Disassemble one table; its .dsl (caller frees) if iasl took it cleanly. */
static char *disassemble(const char *dir, const char *name, const u8 *table, u32 len)
{
	char path[256], cmd[128];
	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(table, 1, len, f) != len || fclose(f))
		return NULL;
	snprintf(cmd, sizeof(cmd), "iasl -d %s.dat", name);
	int rc = run_in(dir, cmd);
	char dsl[64];
	snprintf(dsl, sizeof(dsl), "%s.dsl", name);
	char *text = read_whole(dir, dsl, NULL);
	CHECK(rc == 0 && text, "iasl -d %s: exit %d", name, rc);
	if (text && (strstr(text, "Incorrect") || strstr(text, "Invalid") || strstr(text, "Unknown"))) {
		CHECK(false, "iasl finds %s wrong (see %s/%s)", name, dir, dsl);
		free(text);
		return NULL;
	}
	return text;
}

static unsigned occurrences(const char *text, const char *s)
{
	unsigned n = 0;
	for (const char *p = text; (p = strstr(p, s)); p += strlen(s))
		n++;
	return n;
}

#define HAS(text, ...)                                                     \
	do {                                                               \
		char want_[128];                                           \
		snprintf(want_, sizeof(want_), __VA_ARGS__);               \
		CHECK(strstr(text, want_), "iasl shows \"%s\"", want_);    \
	} while (0)

static void oracle_dsdt(const char *dir, struct encore_machine *m, const struct tables *t, u64 mmio)
{
	u8 *d = gp(m, t->dsdt);
	u32 len = get32(d + 4);
	char *dsl = disassemble(dir, "dsdt", d, len);
	if (!dsl)
		return;
	HAS(dsl, "Device (PCI0)");
	HAS(dsl, "EisaId (\"PNP0A03\")");
	HAS(dsl, "0x00FF,             // Range Maximum");
	HAS(dsl, "0x0CF8,             // Range Minimum");
	HAS(dsl, "0x0CF7,             // Range Maximum");
	HAS(dsl, "0x0D00,             // Range Minimum");
	HAS(dsl, "0xFFFF,             // Range Maximum");
	HAS(dsl, "0x000A0000,         // Range Minimum");
	HAS(dsl, "0x000BFFFF,         // Range Maximum");
	HAS(dsl, "0x%08llX,         // Range Minimum", (unsigned long long)mmio);
	HAS(dsl, "0xFEBFFFFF,         // Range Maximum");
	HAS(dsl, "Name (_S5, Package (0x04)");
	CHECK(occurrences(dsl, "0x05, ") == 2, "_S5 holds SLP_TYP 5 twice");
	free(dsl);
	/* iasl compiles its own disassembly, unoptimized, into our AML. */
	int rc = run_in(dir, "iasl -oa -p again dsdt.dsl");
	size_t n = 0;
	char *again = read_whole(dir, "again.aml", &n);
	CHECK(rc == 0 && again, "iasl recompiles the DSDT: exit %d", rc);
	CHECK(again && n == len && !memcmp(again + 36, d + 36, len - 36),
	      "iasl's AML is ours, byte for byte (%zu and %u bytes)", n, len);
	free(again);
}

static void oracle_fadt(const char *dir, struct encore_machine *m, const struct tables *t)
{
	char *dsl = disassemble(dir, "facp", gp(m, t->fadt), 276);
	if (!dsl)
		return;
	HAS(dsl, "FACS Address : %08llX", (unsigned long long)t->facs);
	HAS(dsl, "FACS Address : 0000000000000000");
	HAS(dsl, "DSDT Address : %08llX", (unsigned long long)t->dsdt);
	HAS(dsl, "DSDT Address : %016llX", (unsigned long long)t->dsdt);
	HAS(dsl, "SCI Interrupt : 0009");
	HAS(dsl, "SMI Command Port : 00000000");
	HAS(dsl, "PM1A Event Block Address : 00000600");
	HAS(dsl, "PM1A Control Block Address : 00000604");
	HAS(dsl, "PM Timer Block Address : 00000608");
	HAS(dsl, "PM1 Event Block Length : 04");
	HAS(dsl, "PM1 Control Block Length : 02");
	HAS(dsl, "PM Timer Block Length : 04");
	HAS(dsl, "RTC Century Index : 32");
	HAS(dsl, "Legacy Devices Supported (V2) : 1");
	HAS(dsl, "8042 Present on ports 60/64 (V2) : 1");
	HAS(dsl, "32-bit PM Timer (V1) : 0");
	HAS(dsl, "Reset Register Supported (V2) : 1");
	HAS(dsl, "Control Method Power Button (V1) : 1");
	HAS(dsl, "Address : 0000000000000CF9");
	HAS(dsl, "Value to cause reset : 06");
	HAS(dsl, "Address : 0000000000000600");
	HAS(dsl, "Address : 0000000000000604");
	HAS(dsl, "Address : 0000000000000608");
	free(dsl);
}

static void oracle_madt(const char *dir, struct encore_machine *m, const struct tables *t,
			unsigned ncpus)
{
	u8 *a = gp(m, t->madt);
	char *dsl = disassemble(dir, "apic", a, get32(a + 4));
	if (!dsl)
		return;
	CHECK(occurrences(dsl, "[Processor Local APIC]") == ncpus, "iasl counts %u processors", ncpus);
	HAS(dsl, "Local Apic ID : %02X", ncpus - 1);
	CHECK(occurrences(dsl, "Processor Enabled : 1") == ncpus, "all enabled");
	HAS(dsl, "Local Apic Address : FEE00000");
	HAS(dsl, "PC-AT Compatibility : 1");
	HAS(dsl, "[I/O APIC]");
	HAS(dsl, "Address : FEC00000");
	CHECK(occurrences(dsl, "[Interrupt Source Override]") == 2, "two overrides");
	HAS(dsl, "Interrupt : 00000002");
	HAS(dsl, "Trigger Mode : 3");
	HAS(dsl, "[Local APIC NMI]");
	HAS(dsl, "Interrupt Input LINT : 01");
	free(dsl);
}

static void oracle_rest(const char *dir, struct encore_machine *m, const struct tables *t)
{
	static const struct { const char *name; size_t off; } more[] = {
		{ "facs", offsetof(struct tables, facs) },
		{ "xsdt", offsetof(struct tables, xsdt) },
		{ "rsdt", offsetof(struct tables, rsdt) },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(more); k++) {
		u64 at = *(const u64 *)((const u8 *)t + more[k].off);
		free(disassemble(dir, more[k].name, gp(m, at), get32(gp(m, at) + 4)));
	}
}

static void test_iasl(unsigned ncpus, struct encore_machine *m, const struct tables *t)
{
	char group[32];
	snprintf(group, sizeof(group), "iasl-%u", ncpus);
	check_group(group);
	char dir[] = "/tmp/encore-acpi-XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(false, "mkdtemp");
		return;
	}
	unsigned failed = check_failed;
	oracle_dsdt(dir, m, t, config(ncpus).pci_mmio_start);
	oracle_fadt(dir, m, t);
	oracle_madt(dir, m, t, ncpus);
	oracle_rest(dir, m, t);
	if (check_failed == failed) {
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			printf("could not remove %s\n", dir);
	} else {
		printf("iasl's inputs and outputs are kept in %s\n", dir);
	}
}

int main(void)
{
	test_pkglength();
	test_integers();
	test_names();
	test_objects();
	test_resources();
	bool iasl = iasl_present();
	if (!iasl)
		printf("iasl is not installed (Debian package acpica-tools): the disassembler checks "
		       "are skipped; everything else runs\n");
	static const unsigned ncpus[] = { 1, 2, 4, 16, 255 };
	for (unsigned k = 0; k < ARRAY_SIZE(ncpus); k++) {
		struct tables t;
		struct encore_machine *m;
		test_tables(ncpus[k], &t, &m);
		if (iasl && t.rsdp)
			test_iasl(ncpus[k], m, &t);
		machine__destroy(m);
	}
	test_refused();
	check_group_end();
	return check_summary();
}
