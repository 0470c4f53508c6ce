/* Wiring the PC board: ISA lines to the 8259s, the 8259s to LINT0 of the
 * local APIC, the local APIC to the CPU. */
#include "encore/cpuid.h"
#include "encore/devices.h"
#include "encore/hw.h"
#include "encore/hw/i8042.h"
#include "encore/hw/lapic.h"
#include "encore/hw/pci_host.h"
#include "encore/hw/pic8259.h"
#include "encore/hw/pit8254.h"
#include "encore/hw/rtc_cmos.h"
#include "encore/hw/uart16550.h"
#include "encore/pc.h"

#define COM1_IRQ 4

static void route_irq(void *opaque, unsigned line, bool level)
{
	pic8259__set_irq(opaque, line, level);
}

static bool pic_intr(void *opaque)
{
	return pic8259__intr(opaque);
}

static int pic_ack(void *opaque)
{
	return pic8259__acknowledge(opaque);
}

int pc__create(struct encore_machine *m, const struct pc_config *cfg, struct pc *pc)
{
	pc->pic = pic8259__create(m);
	if (!pc->pic)
		return -1;
	m->irq = (struct irq_router){ route_irq, pc->pic };
	struct lapic_extint extint = { pic_intr, pic_ack, pc->pic };
	pc->lapic = lapic__create(m, CPUID_CRYSTAL_HZ, &extint);
	if (!pc->lapic)
		return -1;
	m->vcpus[0].intc = lapic__intc(pc->lapic);
	pc->pit = pit8254__create(m);
	pc->com1 = uart16550__create(m, COM1_PORT, COM1_IRQ, cfg->console_tx, cfg->console_opaque);
	pc->rtc = rtc_cmos__create(m, cfg->rtc_epoch);
	pc->kbc = i8042__create(m);
	pc->pci = pci_host__create(m);
	if (!pc->pit || !pc->com1 || !pc->rtc || !pc->kbc || !pc->pci)
		return -1;
	return debug_exit__init(m);
}
