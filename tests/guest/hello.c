/* hello: print, show a few numbers, exit 0 by returning from main. */
#include "rt.h"

int main(void)
{
	test_start("hello");
	puts("hello from an encore bare-metal guest\n");
	kprintf("hex %lx dec %d unsigned %u str %s char %c\n", 0x123456789abcdeful, -42, 42u,
		"ok", 'x');
	kprintf("cr0 %lx cr3 %lx cr4 %lx efer %lx rsp %lx\n", read_cr0(), read_cr3(), read_cr4(),
		rdmsr(MSR_EFER), read_rsp());
	check((read_cs() & 3) == 0, "running at CPL 0 (cs %x)", read_cs());
	check((read_rflags() & FL_IF) == 0, "interrupts are off");
	check(read_cr0() >> 31 & 1, "paging is on");
	check(rdmsr(MSR_EFER) >> 10 & 1, "long mode is active (EFER.LMA)");
	return test_finish();
}
