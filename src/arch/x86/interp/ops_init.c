/* Registers every opcode family once. */
#include "cpu.h"
#include "ops.h"

void interp_init_ops(void)
{
	void (*const families[])(void) = {
		ops_alu__register, ops_move__register, ops_branch__register, ops_shift__register,
		ops_string__register, ops_system__register, ops_sse__register, ops_x87__register,
	};
	for (unsigned k = 0; k < sizeof(families) / sizeof(families[0]); k++)
		families[k]();
}
