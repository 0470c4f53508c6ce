/* exit42: end the run through guest_exit(42); encore must exit with 42. */
#include "rt.h"

int main(void)
{
	test_start("exit42");
	puts("exit42: exiting with status 42\n");
	guest_exit(42);
}
