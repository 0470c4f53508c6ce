/* A64 group decoder placeholder: every encoding is undefined for now. */
#include "arch/arm64/a64_cpu.h"

void a64_decode_dp_reg(u32 word, struct a64_insn *i)
{
	(void)word;
	a64_decode_undefined(i);
}
