/*
 * The local APIC in xAPIC mode (at its power-on base, identity-mapped),
 * and the ACPI tables a firmware leaves: enough for a guest to find the
 * other processors in the MADT and to send them IPIs.
 */
#include "rt.h"

#define RSDP_SCAN_START 0xe0000ul /* ACPI: the RSDP is on a 16-byte boundary here */
#define RSDP_SCAN_END 0x100000ul
#define RSDP_V1_SIZE 20
#define RSDP_V2_SIZE 36
#define MADT_ENTRIES 44 /* header, local APIC address, flags */
#define MADT_LOCAL_APIC 0
#define MADT_LAPIC_ENABLED 1u

/* A pointer to physical `pa` (identity-mapped) that the compiler may not
 * reason about, so that it does not warn about fixed addresses. */
static const void *phys(u64 pa)
{
	const void *p = (const void *)pa;

	asm("" : "+r"(p));
	return p;
}

static volatile u32 *lapic_reg(u32 reg)
{
	return (volatile u32 *)(u64)phys(LAPIC_BASE + reg);
}

u32 lapic_read(u32 reg)
{
	return *lapic_reg(reg);
}

void lapic_write(u32 reg, u32 v)
{
	*lapic_reg(reg) = v;
}

u32 lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

void lapic_enable(u8 spurious)
{
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | spurious);
	lapic_write(LAPIC_TPR, 0);
}

/* Interrupts stay off from the ICR's high half to its low half, so that
 * no handler on this CPU can send an IPI of its own in between. */
void lapic_send_ipi(u32 dest, u32 icr_lo)
{
	u64 flags = read_rflags();

	cli();
	while (lapic_read(LAPIC_ICR_LO) & ICR_PENDING)
		cpu_relax();
	lapic_write(LAPIC_ICR_HI, dest << 24);
	lapic_write(LAPIC_ICR_LO, icr_lo);
	if (flags & FL_IF)
		sti();
}

/* ---- ACPI ---- */

static int checksum_ok(const void *p, u32 len)
{
	const u8 *b = p;
	u8 sum = 0;

	for (u32 k = 0; k < len; k++)
		sum += b[k];
	return sum == 0;
}

static const u8 *find_rsdp(void)
{
	for (u64 a = RSDP_SCAN_START; a < RSDP_SCAN_END; a += 16) {
		const u8 *p = phys(a);

		if (!memcmp(p, "RSD PTR ", 8) && checksum_ok(p, RSDP_V1_SIZE))
			return p;
	}
	return NULL;
}

static u64 get_u64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, 8);
	return v;
}

static u32 get_u32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, 4);
	return v;
}

static const struct acpi_header *valid_table(u64 pa, const char *signature)
{
	const struct acpi_header *t = phys(pa);

	if (!pa || (signature && memcmp(t->signature, signature, 4)))
		return NULL;
	return t->length >= sizeof(*t) && checksum_ok(t, t->length) ? t : NULL;
}

/*
 * ACPI 2.0 and later firmware (encore's) gives an XSDT of 64-bit
 * pointers; ACPI 1.0 firmware (SeaBIOS on QEMU) only an RSDT of 32-bit
 * ones.
 */
const struct acpi_header *acpi_find_table(const char *signature)
{
	const u8 *rsdp = find_rsdp();
	const struct acpi_header *root = NULL, *t;
	unsigned width = 8;

	if (!rsdp)
		return NULL;
	if (rsdp[15] >= 2 && checksum_ok(rsdp, RSDP_V2_SIZE))
		root = valid_table(get_u64(rsdp + 24), "XSDT");
	if (!root) {
		root = valid_table(get_u32(rsdp + 16), "RSDT");
		width = 4;
	}
	if (!root)
		return NULL;
	for (u32 at = sizeof(*root); at + width <= root->length; at += width) {
		const u8 *e = (const u8 *)root + at;

		t = valid_table(width == 8 ? get_u64(e) : get_u32(e), signature);
		if (t)
			return t;
	}
	return NULL;
}

int acpi_madt_apic_ids(u8 *ids, int max)
{
	const struct acpi_header *madt = acpi_find_table("APIC");
	const u8 *p = (const u8 *)madt;
	int n = 0;

	if (!madt)
		return -1;
	for (u32 at = MADT_ENTRIES; at + 2 <= madt->length; at += p[at + 1]) {
		const u8 *e = p + at;

		if (e[1] < 2 || at + e[1] > madt->length)
			break; /* a damaged entry: what came before stands */
		if (e[0] == MADT_LOCAL_APIC && e[1] >= 8 && (get_u32(e + 4) & MADT_LAPIC_ENABLED) && n < max)
			ids[n++] = e[3];
	}
	return n;
}
