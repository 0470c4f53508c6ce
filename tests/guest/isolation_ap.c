/*
 * isolation_ap (--smp 2): an AP, not the boot CPU, takes an interrupt
 * through an IDT past the end of RAM.  It starts in real mode at
 * AP_TRAMP, enters 32-bit protected mode and raises INT 0x20 through
 * all-ones 8-byte gates (type 0x1f: no gate; #GP, whose gate is the
 * same: #DF, likewise: a triple fault).  The run must end there, status
 * 125 with encore's report, while the BSP waits.  With one CPU there is
 * nothing to do (status 0).
 */
#include "isolation.h"

#define AP_TRAMP 0x20000 /* as in isolation_ap.S: a free page below 1 MiB */
#define SPIN_LIMIT 100000000ul

extern u8 ap_tramp_start[], ap_tramp_end[], ap_idt_base[];

int main(void)
{
	u64 end = cmos_ram_end();
	u8 ids[2], *tramp = isolation_phys(AP_TRAMP);
	int n = acpi_madt_apic_ids(ids, 2);
	u32 ap;

	test_start("isolation_ap");
	if (n < 2) {
		kprintf("isolation_ap: one CPU, nothing to do (run with --smp 2)\n");
		return 0;
	}
	ap = ids[0] == lapic_id() ? ids[1] : ids[0];
	memcpy(tramp, ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
	*(volatile u32 *)(tramp + (ap_idt_base - ap_tramp_start)) = (u32)end;
	kprintf("isolation_ap: starting AP %u with its IDT at %lx, the end of RAM\n", ap, end);
	lapic_enable(0xff);
	lapic_send_ipi(ap, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	lapic_send_ipi(ap, ICR_INIT | ICR_LEVEL);
	lapic_send_ipi(ap, ICR_STARTUP | ICR_ASSERT | (AP_TRAMP >> 12));
	for (u64 k = 0; k < SPIN_LIMIT; k++)
		cpu_relax();
	fail("the machine still runs after the AP's interrupt through an IDT past RAM");
}
