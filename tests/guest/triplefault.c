/*
 * triplefault: load an IDT with limit 0 and execute UD2.  #UD cannot be
 * delivered (vector beyond the limit: #GP), nor can #GP, nor #DF: the CPU
 * shuts down and encore must report a triple fault and exit 125.
 */
#include "rt.h"

int main(void)
{
	struct dtr empty = { .limit = 0, .base = 0 };

	test_start("triplefault");
	puts("triplefault: loading an empty IDT and executing ud2\n");
	lidt(&empty);
	asm volatile("ud2");
	fail("survived ud2 with an empty IDT");
}
