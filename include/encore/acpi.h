/*
 * The PC's ACPI tables.  encore has no BIOS, so before boot it writes the
 * tables a firmware would leave: RSDP, RSDT and XSDT, the MADT (the CPUs,
 * the I/O APIC and the ISA interrupt overrides), the FADT (the fixed
 * hardware of hw/acpi_pm.h, the reset register), the FACS and a DSDT whose
 * AML encore encodes itself (the PCI root bridge and _S5).
 */
#ifndef ENCORE_ACPI_H
#define ENCORE_ACPI_H

#include "encore/machine.h"

#define ACPI_TABLES_BASE 0xf0000ull  /* in the BIOS area the e820 map reserves (src/arch/x86/linux_boot.c) */
#define ACPI_TABLES_END  0x100000ull
#define ACPI_PM_BASE 0x600            /* PM1a_EVT_BLK 0x600 (4 bytes), PM1a_CNT_BLK 0x604 (2), PM_TMR_BLK 0x608 (4) */
#define ACPI_SCI_IRQ 9
#define ACPI_MAX_CPUS 255             /* APIC IDs 0-254: 0xff is the xAPIC broadcast ID */

struct acpi_config {
	unsigned ncpus;          /* processors: ACPI UIDs and local APIC IDs 0..ncpus-1 (1..255) */
	u8 ioapic_id;            /* the I/O APIC (one, GSI base 0, 24 inputs) */
	u64 ioapic_base;         /* 0xfec00000 */
	u64 lapic_base;          /* 0xfee00000 */
	u64 pci_mmio_start, pci_mmio_end; /* the 32-bit PCI memory window [start, end): from the end of low RAM to the I/O APIC */
};

/*
 * Write RSDP, XSDT, MADT, FADT, FACS and DSDT into guest RAM from
 * ACPI_TABLES_BASE; *rsdp gets the RSDP's physical address.  -1 with a
 * message in err if they do not fit or the config is invalid.
 */
int acpi__build(struct encore_machine *m, const struct acpi_config *c, u64 *rsdp, char *err, size_t n);

#endif
