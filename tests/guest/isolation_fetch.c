/*
 * isolation_fetch: an instruction that starts in the last two bytes of
 * RAM and runs past its end (MOVABS, 10 bytes).  A PC would fetch
 * all-ones for the rest; encore's interpreter executes only RAM, so it
 * must stop cleanly, with status 126 and a report naming the address.
 */
#include "isolation.h"

int main(void)
{
	u64 end = cmos_ram_end();
	u8 *insn = isolation_phys(end - 2);

	test_start("isolation_fetch");
	insn[0] = 0x48; /* movabs $imm64, %rax */
	insn[1] = 0xb8;
	kprintf("isolation_fetch: jumping to %lx, an instruction across the end of RAM\n",
		end - 2);
	((void (*)(void))insn)();
	fail("survived executing past the end of RAM");
}
