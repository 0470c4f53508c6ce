/* Registers every opcode family once. */
#include "cpu.h"
#include "ops.h"

/* Families still being written may be absent; weak references tolerate that. */
#pragma weak ops_shift__register
#pragma weak ops_string__register
#pragma weak ops_sse__register
#pragma weak ops_x87__register

void interp_init_ops(void)
{
	void (*const families[])(void) = {
		ops_alu__register, ops_move__register, ops_branch__register, ops_shift__register,
		ops_string__register, ops_system__register, ops_sse__register, ops_x87__register,
	};
	for (unsigned k = 0; k < sizeof(families) / sizeof(families[0]); k++)
		if (families[k])
			families[k]();
}
