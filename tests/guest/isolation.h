/*
 * What the isolation guests share: where guest RAM ends.  A PC BIOS
 * leaves the size of RAM below 4 GiB in CMOS (extended memory in KiB at
 * 0x17-0x18, memory above 16 MiB in 64 KiB blocks at 0x34-0x35), and so
 * does encore.
 */
#ifndef GUEST_ISOLATION_H
#define GUEST_ISOLATION_H

#include "rt.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define MIB (1ul << 20)

static inline u8 cmos_read(u8 index)
{
	outb(CMOS_INDEX, index);
	return inb(CMOS_DATA);
}

static inline u64 cmos_read16(u8 index)
{
	return cmos_read(index) | (u64)cmos_read(index + 1) << 8;
}

/* The end of RAM below 4 GiB, to 64 KiB (1 KiB below 16 MiB). */
static inline u64 cmos_ram_end(void)
{
	u64 blocks = cmos_read16(0x34);

	return blocks ? 16 * MIB + (blocks << 16) : MIB + (cmos_read16(0x17) << 10);
}

/* A pointer to physical `pa` (identity-mapped) that the compiler may not
 * reason about. */
static inline void *isolation_phys(u64 pa)
{
	void *p = (void *)pa;

	asm("" : "+r"(p));
	return p;
}

#endif
