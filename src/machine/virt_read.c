/* Reading guest memory at a virtual address for observers (encore/virt_read.h). */
#include <string.h>

#include "encore/arch.h"
#include "encore/virt_read.h"

#define PAGE_SIZE 0x1000u

int machine__read_virt(struct encore_machine *m, const void *state, u64 va, void *buf,
		       size_t len)
{
	u8 *out = buf;
	while (len) {
		u64 pa;
		size_t chunk = PAGE_SIZE - (va & (PAGE_SIZE - 1));
		if (chunk > len)
			chunk = len;
		if (!m->arch->virt_to_phys(m, state, va, &pa))
			return -1;
		/* Byte by byte: a translated page need not be one RAM page
		 * (a large page's frames lie in order, but not across holes). */
		for (size_t k = 0; k < chunk; k++) {
			const u8 *p = machine__ram_ptr(m, pa + k);
			if (!p)
				return -1;
			out[k] = *p;
		}
		out += chunk;
		va += chunk;
		len -= chunk;
	}
	return 0;
}
