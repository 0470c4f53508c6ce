/*
 * Wiring the PC board: ISA lines to the 8259 pair and the I/O APIC, the
 * 8259s to LINT0 of the boot CPU's local APIC, one local APIC per vCPU,
 * all APICs on one APIC bus, and the ACPI tables that describe it all.
 */
#include "encore/acpi.h"
#include "encore/cpuid.h"
#include "encore/devices.h"
#include "encore/hw.h"
#include "encore/hw/acpi_pm.h"
#include "encore/hw/apic_bus.h"
#include "encore/hw/i8042.h"
#include "encore/hw/pci.h"
#include "encore/hw/pci_host.h"
#include "encore/hw/pic8259.h"
#include "encore/hw/pit8254.h"
#include "encore/hw/rtc_cmos.h"
#include "encore/hw/uart16550.h"
#include "encore/pc.h"

#define COM1_IRQ 4
#define IOAPIC_ID 0 /* I/O and local APIC IDs are separate spaces on the system bus */

/* ISA IRQ n reaches I/O APIC input n, but IRQ 0 input 2 (the MADT's
 * interrupt source override says so, as on every PC with an I/O APIC). */
static unsigned isa_to_gsi(unsigned line)
{
	return line == 0 ? 2 : line;
}

static void route_irq(void *opaque, unsigned line, bool level)
{
	struct pc *pc = opaque;
	pic8259__set_irq(pc->pic, line, level);
	ioapic__set_irq(pc->ioapic, isa_to_gsi(line), level);
}

static bool pic_intr(void *opaque)
{
	return pic8259__intr(opaque);
}

static int pic_ack(void *opaque)
{
	return pic8259__acknowledge(opaque);
}

/* One local APIC per vCPU; the 8259 reaches the boot CPU's through LINT0. */
static int create_apics(struct encore_machine *m, struct pc *pc)
{
	pc->apic_bus = apic_bus__create(m);
	if (!pc->apic_bus)
		return -1;
	struct lapic_extint extint = { pic_intr, pic_ack, pc->pic };
	for (unsigned k = 0; k < m->nvcpus; k++) {
		struct lapic *a = lapic__create(m, k, CPUID_CRYSTAL_HZ, k == 0 ? &extint : NULL);
		if (!a || apic_bus__add_lapic(pc->apic_bus, k, a))
			return -1;
		m->vcpus[k].intc = lapic__intc(a);
		if (k == 0)
			pc->lapic = a;
	}
	struct apic_sink sink = apic_bus__sink(pc->apic_bus);
	pc->ioapic = ioapic__create(m, IOAPIC_ID, &sink);
	if (!pc->ioapic)
		return -1;
	apic_bus__add_ioapic(pc->apic_bus, pc->ioapic);
	return 0;
}

int pc__create(struct encore_machine *m, const struct pc_config *cfg, struct pc *pc)
{
	pc->pic = pic8259__create(m);
	if (!pc->pic || create_apics(m, pc))
		return -1;
	m->irq = (struct irq_router){ route_irq, pc };
	pc->pit = pit8254__create(m);
	pc->com1 = uart16550__create(m, COM1_PORT, COM1_IRQ, cfg->console_tx, cfg->console_opaque);
	pc->rtc = rtc_cmos__create(m, cfg->rtc_epoch);
	pc->kbc = i8042__create(m);
	pc->pci = pci_host__create(m);
	pc->pm = acpi_pm__create(m, ACPI_PM_BASE, ACPI_SCI_IRQ);
	if (!pc->pit || !pc->com1 || !pc->rtc || !pc->kbc || !pc->pci || !pc->pm)
		return -1;
	struct apic_sink msi = apic_bus__sink(pc->apic_bus);
	pci_host__set_msi_sink(pc->pci, &msi);
	return debug_exit__init(m);
}

int pc__write_firmware(struct encore_machine *m, u64 *rsdp, char *err, size_t n)
{
	struct acpi_config c = {
		.ncpus = m->nvcpus,
		.ioapic_id = IOAPIC_ID,
		.ioapic_base = IOAPIC_BASE,
		.lapic_base = LAPIC_BASE,
		.pci_mmio_start = pc__low_ram(m),
		.pci_mmio_end = IOAPIC_BASE,
	};
	return acpi__build(m, &c, rsdp, err, n);
}
