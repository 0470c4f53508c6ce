/*
 * The PC board: the legacy devices (8259 pair, 8254, 16550 COM1, CMOS
 * RTC, i8042, PCI host bridge), the ACPI power-management registers, one
 * local APIC per vCPU (the boot CPU's in virtual-wire mode) and an I/O
 * APIC on one APIC bus, wired together, and the ACPI tables that tell the
 * guest so.
 */
#ifndef ENCORE_PC_H
#define ENCORE_PC_H

#include "encore/machine.h"

/* Guest physical memory: RAM below the PCI hole, the rest above 4 GiB
 * (the x86 architecture's ram_layout). */
#define PC_LOW_RAM_MAX 0xc0000000ull
#define PC_HIGH_RAM_BASE 0x100000000ull

static inline u64 pc__low_ram(const struct encore_machine *m)
{
	return m->ram_regions[0].size;
}

static inline u64 pc__high_ram(const struct encore_machine *m)
{
	return m->ram_regions[1].size;
}

/* machine__ram_offset for the PC's layout, which x86 code knows: low RAM
 * starts at 0, so one compare finds it, as on the interpreter's TLB fill
 * and page walk before RAM regions were the architecture's. */
static inline i64 pc__ram_offset(const struct encore_machine *m, u64 paddr)
{
	u64 low = m->ram_regions[0].size;
	if (paddr < low)
		return (i64)paddr;
	if (paddr >= PC_HIGH_RAM_BASE && paddr - PC_HIGH_RAM_BASE < m->ram_regions[1].size)
		return (i64)(low + (paddr - PC_HIGH_RAM_BASE));
	return -1;
}

static inline u8 *pc__ram_ptr(struct encore_machine *m, u64 paddr)
{
	return machine__ram_at(m, pc__ram_offset(m, paddr));
}

struct pc_config {
	/* Where COM1's transmitted bytes go. */
	void (*console_tx)(void *opaque, u8 byte);
	void *console_opaque;
	i64 rtc_epoch; /* wall-clock seconds at boot */
};

struct pc {
	struct pic8259 *pic;
	struct pit8254 *pit;
	struct uart16550 *com1;
	struct rtc_cmos *rtc;
	struct i8042 *kbc;
	struct pci_host *pci;
	struct acpi_pm *pm;
	struct apic_bus *apic_bus;
	struct lapic *lapic;   /* the boot CPU's */
	struct ioapic *ioapic;
};

/* Create and wire every device (the machine owns and destroys them). */
int pc__create(struct encore_machine *m, const struct pc_config *cfg, struct pc *pc);
/* What a BIOS leaves in RAM before boot: the ACPI tables (*rsdp: where
 * their root is).  Not for a machine a checkpoint will be restored into:
 * its RAM comes from there.  -1 with a message in err. */
int pc__write_firmware(struct encore_machine *m, u64 *rsdp, char *err, size_t n);

#endif
