/*
 * Virtual memory accesses: alignment checks, then (with the MMU off) the
 * address is the physical one, served from RAM or a device.  Stage-1
 * translation is added by a64_mmu.c.
 */
#include <string.h>

#include "arch/arm64/a64_exception.h"
#include "arch/arm64/a64_mem.h"

#define PAGE_SIZE 4096u

/* ISS of a Data Abort: WnR (bit 6) and the fault status code. */
#define DFSC_ALIGNMENT 0x21
#define DFSC_EXTERNAL 0x10
#define ISS_WNR (1u << 6)

static int abort_data(struct a64_cpu *c, u64 va, unsigned acc, unsigned dfsc)
{
	u32 iss = dfsc | ((acc & (A64_ACC_WRITE | A64_ACC_ATOMIC)) ? ISS_WNR : 0);
	if (acc & A64_ACC_FETCH)
		return a64_take_sync(c, A64_EC_IABT_LOWER, dfsc, va, true);
	return a64_take_sync(c, A64_EC_DABT_LOWER, iss, va, true);
}

/* One access that stays within a page. */
static void access_phys(struct a64_cpu *c, u64 pa, unsigned size, u8 *buf, bool write)
{
	u8 *p = c->bus.ram_ptr(c->bus.opaque, pa);
	if (p) {
		if (write)
			memcpy(p, buf, size);
		else
			memcpy(buf, p, size);
		return;
	}
	c->bus.mmio(c->bus.opaque, pa, buf, size, write);
}

static int access(struct a64_cpu *c, u64 va, unsigned size, u8 *buf, unsigned acc)
{
	if ((acc & A64_ACC_ALIGNED) && (va & (size - 1)))
		return abort_data(c, va, acc, DFSC_ALIGNMENT);
	bool write = acc & A64_ACC_WRITE;
	u64 room = PAGE_SIZE - (va & (PAGE_SIZE - 1));
	if (size <= room) {
		access_phys(c, va, size, buf, write);
		return A64_OK;
	}
	access_phys(c, va, (unsigned)room, buf, write);
	access_phys(c, va + room, size - (unsigned)room, buf + room, write);
	return A64_OK;
}

int a64_load(struct a64_cpu *c, u64 va, unsigned size, void *out, unsigned acc)
{
	return access(c, va, size, out, acc & ~(unsigned)A64_ACC_WRITE);
}

int a64_store(struct a64_cpu *c, u64 va, unsigned size, const void *in, unsigned acc)
{
	u8 tmp[16];
	memcpy(tmp, in, size);
	return access(c, va, size, tmp, acc | A64_ACC_WRITE);
}
