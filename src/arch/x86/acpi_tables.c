/*
 * The ACPI tables a PC firmware would leave (ACPI spec, "ACPI Software
 * Programming Model"), written by encore before boot.
 *
 * They are built in a host image of [ACPI_TABLES_BASE, ACPI_TABLES_END)
 * and copied into guest RAM page by page.  The RSDP comes first, on a
 * 16-byte boundary, so that a scan of 0xE0000-0xFFFFF finds it; then the
 * FACS on its 64-byte boundary; then DSDT, FADT, MADT, RSDT and XSDT, each
 * 16-byte aligned.  The tables claim ACPI 6.0: FADT revision 6 (minor 0),
 * MADT revision 3, FACS version 2, DSDT revision 2 (64-bit integers).
 */
#include <stdlib.h>
#include <string.h>

#include "encore/acpi.h"
#include "encore/errmsg.h"
#include "encore/hw/acpi_pm.h"
#include "encore/le_bytes.h"
#include "arch/x86/acpi_aml.h"

#define IMAGE_SIZE (ACPI_TABLES_END - ACPI_TABLES_BASE)
#define HEADER_SIZE 36
#define RSDP_SIZE 36
#define RSDP_V1_SIZE 20
#define FACS_SIZE 64
#define FADT_SIZE 276
#define MADT_HEADER_SIZE 44
#define GAS_SIZE 12
#define FOUR_GIB 0x100000000ull
#define PAGE 4096u

#define OEM_ID "ENCORE"
#define OEM_TABLE_ID "ENCOREPC"  /* the FADT's must match the RSDT's and XSDT's */
#define CREATOR_ID "ENCR"

#define RESET_PORT 0xcf9         /* src/hw/pci_host.c: reset control */
#define RESET_VALUE 0x06         /* full reset: system reset + reset CPU */
#define CMOS_CENTURY 0x32
#define IOAPIC_INPUTS 24

struct image {
	u8 *bytes;  /* IMAGE_SIZE bytes standing for ACPI_TABLES_BASE onwards */
	u64 next;   /* the first free physical address */
	bool full;
};

/* ---- space and checksums ---- */

/* Room for `len` bytes aligned to `align`: their physical address, or 0. */
static u64 place(struct image *im, u64 len, u64 align)
{
	u64 at = (im->next + align - 1) & ~(align - 1);
	if (im->full || at > ACPI_TABLES_END || len > ACPI_TABLES_END - at) {
		im->full = true;
		return 0;
	}
	im->next = at + len;
	return at;
}

static u8 *ptr(struct image *im, u64 addr)
{
	return im->bytes + (addr - ACPI_TABLES_BASE);
}

/* The byte that makes `len` bytes from `p` sum to zero (its own slot at 0). */
static u8 checksum(const u8 *p, u64 len)
{
	u8 sum = 0;
	for (u64 k = 0; k < len; k++)
		sum += p[k];
	return (u8)-sum;
}

/* The standard header; its checksum is set by seal() once the body is done. */
static void header(u8 *t, const char *sig, u32 len, u8 revision)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = revision;
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE_ID, 8);
	put32(t + 24, 1);            /* OEM revision */
	memcpy(t + 28, CREATOR_ID, 4);
	put32(t + 32, 1);            /* creator revision */
}

static void seal(u8 *t)
{
	t[9] = 0;
	t[9] = checksum(t, get32(t + 4));
}

/* A Generic Address Structure in system I/O space. */
static void gas_io(u8 *g, u8 bit_width, u8 access_size, u64 port)
{
	g[0] = 1; /* system I/O */
	g[1] = bit_width;
	g[2] = 0;
	g[3] = access_size;
	put64(g + 4, port);
}

/* ---- FACS and DSDT ---- */

static u64 build_facs(struct image *im)
{
	u64 at = place(im, FACS_SIZE, 64);
	if (!at)
		return 0;
	u8 *f = ptr(im, at);
	memcpy(f, "FACS", 4);
	put32(f + 4, FACS_SIZE);
	put32(f + 8, 0); /* hardware signature: the hardware never changes under a sleeping guest */
	f[32] = 2;       /* version */
	return at;
}

/* _CRS of the PCI root bridge: bus 0-255, the config ports, all other
 * I/O ports, the legacy VGA window and the 32-bit memory window. */
static void pci0_crs(struct aml *a, const struct acpi_config *c)
{
	u8 buf[128];
	struct aml r;
	aml__init(&r, buf, sizeof(buf));
	aml__res_word_bus(&r, 0x00, 0xff);
	aml__res_io(&r, 0xcf8, 8);
	aml__res_word_io(&r, 0x0000, 0x0cf7);
	aml__res_word_io(&r, 0x0d00, 0xffff);
	aml__res_dword_memory(&r, true, 0x000a0000, 0x000bffff);
	aml__res_dword_memory(&r, false, (u32)c->pci_mmio_start, (u32)(c->pci_mmio_end - 1));
	aml__res_end(&r);
	if (r.failed)
		a->failed = true;
	aml__name(a, "_CRS");
	aml__buffer(a, buf, r.len);
}

static void dsdt_body(struct aml *a, const struct acpi_config *c)
{
	size_t sb = aml__scope_begin(a, "\\_SB");
	size_t pci0 = aml__device_begin(a, "PCI0");
	aml__name(a, "_HID");
	aml__eisaid(a, "PNP0A03");
	aml__name(a, "_UID");
	aml__integer(a, 0);
	aml__name(a, "_SEG");
	aml__integer(a, 0);
	aml__name(a, "_BBN");
	aml__integer(a, 0);
	pci0_crs(a, c);
	aml__end(a, pci0);
	aml__end(a, sb);
	/* _S5: SLP_TYPa, SLP_TYPb, two reserved. */
	aml__name(a, "_S5");
	size_t pkg = aml__package_begin(a, 4);
	aml__integer(a, ACPI_PM_SLP_TYP_S5);
	aml__integer(a, ACPI_PM_SLP_TYP_S5);
	aml__integer(a, 0);
	aml__integer(a, 0);
	aml__end(a, pkg);
}

/* The AML goes straight into the image after the header. */
static u64 build_dsdt(struct image *im, const struct acpi_config *c)
{
	u64 at = place(im, HEADER_SIZE, 16);
	if (!at)
		return 0;
	struct aml a;
	aml__init(&a, ptr(im, at) + HEADER_SIZE, ACPI_TABLES_END - im->next);
	dsdt_body(&a, c);
	if (a.failed || !place(im, a.len, 1)) {
		im->full = true;
		return 0;
	}
	header(ptr(im, at), "DSDT", (u32)(HEADER_SIZE + a.len), 2);
	seal(ptr(im, at));
	return at;
}

/* ---- FADT ---- */

enum {
	FADT_FIRMWARE_CTRL = 36, FADT_DSDT = 40, FADT_SCI_INT = 46, FADT_SMI_CMD = 48,
	FADT_PM1A_EVT_BLK = 56, FADT_PM1A_CNT_BLK = 64, FADT_PM_TMR_BLK = 76,
	FADT_PM1_EVT_LEN = 88, FADT_PM1_CNT_LEN = 89, FADT_PM_TMR_LEN = 91,
	FADT_P_LVL2_LAT = 96, FADT_P_LVL3_LAT = 98, FADT_CENTURY = 108,
	FADT_IAPC_BOOT_ARCH = 109, FADT_FLAGS = 112, FADT_RESET_REG = 116,
	FADT_RESET_VALUE = 128, FADT_MINOR_VERSION = 131, FADT_X_FIRMWARE_CTRL = 132,
	FADT_X_DSDT = 140, FADT_X_PM1A_EVT_BLK = 148, FADT_X_PM1A_CNT_BLK = 172,
	FADT_X_PM_TMR_BLK = 208,
};

#define BOOT_LEGACY_DEVICES (1u << 0)
#define BOOT_8042 (1u << 1)
#define FADT_WBINVD (1u << 0)
#define FADT_PROC_C1 (1u << 2)
#define FADT_PWR_BUTTON (1u << 4)   /* set: no fixed-feature power button */
#define FADT_SLP_BUTTON (1u << 5)   /* set: no fixed-feature sleep button */
#define FADT_RESET_REG_SUP (1u << 10)
#define C2_UNSUPPORTED 101          /* latencies above 100 / 1000 us: no C2, no C3 */
#define C3_UNSUPPORTED 1001

/* The PM blocks, each in its 32-bit and its Generic Address form. */
static void fadt_pm_blocks(u8 *f)
{
	static const struct { unsigned addr, len_field, gas; u16 port; u8 len; } blk[] = {
		{ FADT_PM1A_EVT_BLK, FADT_PM1_EVT_LEN, FADT_X_PM1A_EVT_BLK, ACPI_PM_BASE + ACPI_PM_STS, 4 },
		{ FADT_PM1A_CNT_BLK, FADT_PM1_CNT_LEN, FADT_X_PM1A_CNT_BLK, ACPI_PM_BASE + ACPI_PM_CNT, 2 },
		{ FADT_PM_TMR_BLK, FADT_PM_TMR_LEN, FADT_X_PM_TMR_BLK, ACPI_PM_BASE + ACPI_PM_TMR, 4 },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(blk); k++) {
		put32(f + blk[k].addr, blk[k].port);
		f[blk[k].len_field] = blk[k].len;
		gas_io(f + blk[k].gas, (u8)(blk[k].len * 8), 0, blk[k].port);
	}
}

static u64 build_fadt(struct image *im, u64 facs, u64 dsdt)
{
	u64 at = place(im, FADT_SIZE, 16);
	if (!at)
		return 0;
	u8 *f = ptr(im, at);
	header(f, "FACP", FADT_SIZE, 6);
	/* One of FIRMWARE_CTRL and X_FIRMWARE_CTRL must be zero (ACPI 6.0
	 * 5.2.9); with both set ACPICA installs the FACS twice. */
	put32(f + FADT_FIRMWARE_CTRL, (u32)facs);
	put64(f + FADT_X_FIRMWARE_CTRL, 0);
	put32(f + FADT_DSDT, (u32)dsdt);
	put64(f + FADT_X_DSDT, dsdt);
	put16(f + FADT_SCI_INT, ACPI_SCI_IRQ);
	put32(f + FADT_SMI_CMD, 0); /* no SMI port: in ACPI mode from the start */
	fadt_pm_blocks(f);
	put16(f + FADT_P_LVL2_LAT, C2_UNSUPPORTED);
	put16(f + FADT_P_LVL3_LAT, C3_UNSUPPORTED);
	f[FADT_CENTURY] = CMOS_CENTURY;
	put16(f + FADT_IAPC_BOOT_ARCH, BOOT_LEGACY_DEVICES | BOOT_8042);
	put32(f + FADT_FLAGS, FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON |
				      FADT_RESET_REG_SUP);
	gas_io(f + FADT_RESET_REG, 8, 1, RESET_PORT);
	f[FADT_RESET_VALUE] = RESET_VALUE;
	f[FADT_MINOR_VERSION] = 0;
	seal(f);
	return at;
}

/* ---- MADT ---- */

enum { MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_OVERRIDE = 2, MADT_LAPIC_NMI = 4 };
#define MADT_PCAT_COMPAT 1u
#define LAPIC_ENABLED 1u
#define MPS_CONFORMING 0x0
#define MPS_HIGH_LEVEL 0xd          /* polarity 01 active high, trigger 11 level */
#define ALL_PROCESSORS 0xff

static u64 madt_size(unsigned ncpus)
{
	return MADT_HEADER_SIZE + 8ull * ncpus + 12 + 2 * 10 + 6;
}

static u8 *madt_lapic(u8 *e, unsigned cpu)
{
	e[0] = MADT_LAPIC;
	e[1] = 8;
	e[2] = (u8)cpu; /* ACPI processor UID */
	e[3] = (u8)cpu; /* APIC ID */
	put32(e + 4, LAPIC_ENABLED);
	return e + 8;
}

static u8 *madt_ioapic(u8 *e, const struct acpi_config *c)
{
	e[0] = MADT_IOAPIC;
	e[1] = 12;
	e[2] = c->ioapic_id;
	put32(e + 4, (u32)c->ioapic_base);
	put32(e + 8, 0); /* GSI base */
	return e + 12;
}

/* An ISA IRQ that reaches the I/O APIC on another input or with other flags. */
static u8 *madt_override(u8 *e, u8 irq, u32 gsi, u16 flags)
{
	e[0] = MADT_OVERRIDE;
	e[1] = 10;
	e[2] = 0; /* bus: ISA */
	e[3] = irq;
	put32(e + 4, gsi);
	put16(e + 8, flags);
	return e + 10;
}

static u8 *madt_lapic_nmi(u8 *e)
{
	e[0] = MADT_LAPIC_NMI;
	e[1] = 6;
	e[2] = ALL_PROCESSORS;
	put16(e + 3, MPS_CONFORMING);
	e[5] = 1; /* LINT1 */
	return e + 6;
}

static u64 build_madt(struct image *im, const struct acpi_config *c)
{
	u64 size = madt_size(c->ncpus);
	u64 at = place(im, size, 16);
	if (!at)
		return 0;
	u8 *t = ptr(im, at);
	header(t, "APIC", (u32)size, 3);
	put32(t + 36, (u32)c->lapic_base);
	put32(t + 40, MADT_PCAT_COMPAT);
	u8 *e = t + MADT_HEADER_SIZE;
	for (unsigned cpu = 0; cpu < c->ncpus; cpu++)
		e = madt_lapic(e, cpu);
	e = madt_ioapic(e, c);
	/* The PIT's IRQ 0 is wired to input 2 (input 0 is the 8259's INTR). */
	e = madt_override(e, 0, 2, MPS_CONFORMING);
	e = madt_override(e, ACPI_SCI_IRQ, ACPI_SCI_IRQ, MPS_HIGH_LEVEL);
	madt_lapic_nmi(e);
	seal(t);
	return at;
}

/* ---- RSDT, XSDT, RSDP ---- */

/* A root table of entries of `width` bytes pointing at `tables`. */
static u64 build_root(struct image *im, const char *sig, unsigned width, const u64 *tables,
		      unsigned n)
{
	u32 size = HEADER_SIZE + width * n;
	u64 at = place(im, size, 16);
	if (!at)
		return 0;
	u8 *t = ptr(im, at);
	header(t, sig, size, 1);
	for (unsigned k = 0; k < n; k++) {
		if (width == 4)
			put32(t + HEADER_SIZE + 4 * k, (u32)tables[k]);
		else
			put64(t + HEADER_SIZE + 8 * k, tables[k]);
	}
	seal(t);
	return at;
}

static void build_rsdp(struct image *im, u64 at, u64 rsdt, u64 xsdt)
{
	u8 *r = ptr(im, at);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, OEM_ID, 6);
	r[15] = 2; /* revision: ACPI 2.0+, with the XSDT */
	put32(r + 16, (u32)rsdt);
	put32(r + 20, RSDP_SIZE);
	put64(r + 24, xsdt);
	r[8] = checksum(r, RSDP_V1_SIZE);
	r[32] = checksum(r, RSDP_SIZE);
}

/* Every table; false if they do not fit. */
static bool build_all(struct image *im, const struct acpi_config *c, u64 *rsdp)
{
	u64 rsdp_at = place(im, RSDP_SIZE, 16);
	u64 facs = build_facs(im);
	u64 dsdt = build_dsdt(im, c);
	u64 fadt = build_fadt(im, facs, dsdt);
	u64 madt = build_madt(im, c);
	const u64 tables[] = { fadt, madt };
	u64 rsdt = build_root(im, "RSDT", 4, tables, ARRAY_SIZE(tables));
	u64 xsdt = build_root(im, "XSDT", 8, tables, ARRAY_SIZE(tables));
	if (im->full)
		return false;
	build_rsdp(im, rsdp_at, rsdt, xsdt);
	*rsdp = rsdp_at;
	return true;
}

/* ---- into guest RAM ---- */

static int check_config(const struct acpi_config *c, char *err, size_t n)
{
	if (c->ncpus < 1 || c->ncpus > ACPI_MAX_CPUS)
		return errmsg(err, n, "ACPI: %u CPUs: encore describes 1 to %u (APIC IDs 0-%u; "
			      "0xff is the broadcast ID)", c->ncpus, ACPI_MAX_CPUS, ACPI_MAX_CPUS - 1);
	if (c->lapic_base >= FOUR_GIB || c->ioapic_base >= FOUR_GIB)
		return errmsg(err, n, "ACPI: the local APIC (%#llx) and I/O APIC (%#llx) must be "
			      "below 4 GiB", (unsigned long long)c->lapic_base,
			      (unsigned long long)c->ioapic_base);
	if (c->pci_mmio_start >= c->pci_mmio_end || c->pci_mmio_end > FOUR_GIB)
		return errmsg(err, n, "ACPI: the PCI memory window [%#llx, %#llx) is empty or not "
			      "below 4 GiB", (unsigned long long)c->pci_mmio_start,
			      (unsigned long long)c->pci_mmio_end);
	return 0;
}

/* Page by page: a RAM pointer is good only to the end of its page.  All
 * of the area is checked first, so a failure writes nothing. */
static int copy_to_ram(struct encore_machine *m, const u8 *img, char *err, size_t n)
{
	for (u64 off = 0; off < IMAGE_SIZE; off += PAGE)
		if (machine__ram_offset(m, ACPI_TABLES_BASE + off) < 0)
			return errmsg(err, n, "ACPI: no guest RAM at %#llx for the tables",
				      (unsigned long long)(ACPI_TABLES_BASE + off));
	for (u64 off = 0; off < IMAGE_SIZE; off += PAGE) {
		memcpy(machine__ram_ptr(m, ACPI_TABLES_BASE + off), img + off, PAGE);
		machine__note_ram_range(m, ACPI_TABLES_BASE + off, PAGE);
	}
	return 0;
}

int acpi__build(struct encore_machine *m, const struct acpi_config *c, u64 *rsdp, char *err, size_t n)
{
	if (check_config(c, err, n))
		return -1;
	struct image im = { .bytes = calloc(1, IMAGE_SIZE), .next = ACPI_TABLES_BASE };
	if (!im.bytes)
		return errmsg(err, n, "ACPI: out of memory");
	u64 at = 0;
	int rc;
	if (!build_all(&im, c, &at))
		rc = errmsg(err, n, "ACPI: the tables for %u CPUs do not fit in %#llx-%#llx", c->ncpus,
			    (unsigned long long)ACPI_TABLES_BASE, (unsigned long long)ACPI_TABLES_END - 1);
	else
		rc = copy_to_ram(m, im.bytes, err, n);
	free(im.bytes);
	if (rc == 0)
		*rsdp = at;
	return rc;
}
