/* Naming where two x86 CPU states differ (encore/cpu_state.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "encore/cpu_state.h"

struct reg_field {
	const char *name;
	size_t offset;
};

#define REG(name, field) { name, offsetof(struct encore_cpu_state, field) }

/* The registers worth naming, in the order a reader looks at them. */
static const struct reg_field fields[] = {
	REG("RIP", rip), REG("RFLAGS", rflags),
	REG("RAX", gpr[0]), REG("RCX", gpr[1]), REG("RDX", gpr[2]), REG("RBX", gpr[3]),
	REG("RSP", gpr[4]), REG("RBP", gpr[5]), REG("RSI", gpr[6]), REG("RDI", gpr[7]),
	REG("R8", gpr[8]), REG("R9", gpr[9]), REG("R10", gpr[10]), REG("R11", gpr[11]),
	REG("R12", gpr[12]), REG("R13", gpr[13]), REG("R14", gpr[14]), REG("R15", gpr[15]),
	REG("CR0", cr0), REG("CR2", cr2), REG("CR3", cr3), REG("CR4", cr4), REG("EFER", efer),
};

bool cpu_state__first_difference(const struct encore_cpu_state *a,
				 const struct encore_cpu_state *b, char *out, size_t n)
{
	for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
		u64 x, y;
		memcpy(&x, (const u8 *)a + fields[k].offset, 8);
		memcpy(&y, (const u8 *)b + fields[k].offset, 8);
		if (x != y) {
			snprintf(out, n, "%s is %#llx in the recording, %#llx in the replay",
				 fields[k].name, (unsigned long long)x, (unsigned long long)y);
			return true;
		}
	}
	const u8 *p = (const u8 *)a, *q = (const u8 *)b;
	size_t at = 0;
	while (at < sizeof(*a) && p[at] == q[at])
		at++;
	if (at == sizeof(*a))
		return false;
	snprintf(out, n, "its state differs from byte %zu (segments, descriptor tables, MSRs, "
		 "FPU or pending events)", at);
	return true;
}
