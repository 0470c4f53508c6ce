/* Where the Arm board's RAM is (arm64_arch.h). */
#include "arch/arm64/arm64_arch.h"
#include "arch/arm64/virt_map.h"
#include "encore/machine.h"

void arm64__ram_layout(u64 ram_size, struct ram_region *r)
{
	r[0] = (struct ram_region){ .base = VIRT_RAM_BASE, .size = ram_size };
	r[1] = (struct ram_region){ .base = 0, .size = 0 };
}
