/*
 * isolation_idt: an IDT that lies wholly past the end of RAM (encore's
 * boot tables map it 1:1).  INT reads an all-ones gate: a present trap
 * gate to selector 0xffff, which is #GP(0xfffc); delivering the #GP reads
 * another all-ones gate, #GP again: #DF, and the same once more: a triple
 * fault.  encore must stop with status 125 and its report.
 */
#include "isolation.h"

int main(void)
{
	u64 end = cmos_ram_end();
	struct dtr d = { 0xfff, end };

	test_start("isolation_idt");
	kprintf("isolation_idt: loading the IDT at %lx, the end of RAM, and raising int 0x20\n",
		end);
	lidt(&d);
	asm volatile("int $0x20");
	fail("survived an interrupt through an IDT past the end of RAM");
}
