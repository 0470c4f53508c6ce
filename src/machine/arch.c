/* The architectures encore knows (encore/arch.h). */
#include <stdio.h>
#include <string.h>

#include "arch/arm64/arm64_arch.h"
#include "encore/arch.h"
#include "encore/machine.h"

static const struct encore_arch *const arches[] = { &arch_x86_64, &arch_arm64 };

const struct encore_arch *arch__by_name(const char *name)
{
	for (size_t k = 0; k < ARRAY_SIZE(arches); k++)
		if (!strcmp(arches[k]->name, name))
			return arches[k];
	return NULL;
}

void arch__list(char *out, size_t n)
{
	size_t len = 0, count = ARRAY_SIZE(arches);
	if (n)
		out[0] = 0;
	for (size_t k = 0; k < count && len < n; k++) {
		const char *sep = !k ? "" : k + 1 == count ? " and " : ", ";
		int w = snprintf(out + len, n - len, "%s%s", sep, arches[k]->name);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

u64 vcpu__pc(const struct encore_vcpu *v)
{
	u64 blob[ARCH_STATE_MAX / 8];
	v->engine->ops->get_state(v->engine, blob);
	return v->machine->arch->pc(blob);
}

bool arch__first_difference(const struct arch_reg_field *fields, size_t nfields, size_t size,
			    const char *rest, const void *recorded, const void *replayed,
			    char *out, size_t n)
{
	const u8 *p = recorded, *q = replayed;
	for (size_t k = 0; k < nfields; k++) {
		u64 x, y;
		memcpy(&x, p + fields[k].offset, 8);
		memcpy(&y, q + fields[k].offset, 8);
		if (x != y) {
			snprintf(out, n, "%s is %#llx in the recording, %#llx in the replay",
				 fields[k].name, (unsigned long long)x, (unsigned long long)y);
			return true;
		}
	}
	size_t at = 0;
	while (at < size && p[at] == q[at])
		at++;
	if (at == size)
		return false;
	snprintf(out, n, "its state differs from byte %zu (%s)", at, rest);
	return true;
}
