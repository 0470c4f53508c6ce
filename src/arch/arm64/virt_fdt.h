/*
 * The device tree of encore's Arm board, built at start with libfdt: what
 * Linux's arm64 boot protocol hands the kernel in x0.
 */
#ifndef ARM64_VIRT_FDT_H
#define ARM64_VIRT_FDT_H

#include "encore/types.h"

struct virt_fdt_config {
	unsigned ncpus;           /* 1..8 (GICv2) */
	u64 ram_base, ram_size;
	const char *bootargs;     /* the kernel command line; NULL: none */
	u64 initrd_start, initrd_end; /* 0, 0: no initrd */
	unsigned nvirtio;         /* virtio-mmio slots described, from slot 0 */
};

/* Write the tree into buf[0 .. size); its total size is fdt_totalsize(buf).
 * -1 with a message in err when it does not fit or the config is bad. */
int virt_fdt__build(const struct virt_fdt_config *cfg, void *buf, size_t size, char *err,
		    size_t n);

#endif
