/*
 * isolation_cr3: CR3 pointing just past the end of RAM.  The next fetch
 * walks a PML4 of all-ones entries (reserved bits set): #PF, whose
 * delivery walks the same tables (#PF again: #DF), whose delivery does
 * too: a triple fault.  encore must stop with status 125 and its report.
 */
#include "isolation.h"

int main(void)
{
	u64 end = cmos_ram_end();

	test_start("isolation_cr3");
	kprintf("isolation_cr3: loading CR3 with %lx, the end of RAM\n", end);
	write_cr3(end);
	fail("survived a CR3 past the end of RAM");
}
