/* A64 system-instruction decoder placeholder: claims nothing yet. */
#include "arch/arm64/a64_cpu.h"

bool a64_decode_system(u32 word, struct a64_insn *i)
{
	(void)word;
	(void)i;
	return false;
}
