/*
 * Booting Linux on the Arm board through the arm64 boot protocol
 * (Documentation/arch/arm64/booting.rst): the kernel Image at a 2 MiB
 * aligned address (plus its text_offset), the initramfs and the device
 * tree elsewhere in RAM, and the boot CPU entering the Image at EL1 with
 * the MMU off and x0 = the device tree's address.
 */
#ifndef ARM64_ARM64_BOOT_H
#define ARM64_ARM64_BOOT_H

#include "encore/machine.h"

#define ARM64_IMAGE_MAGIC 0x644d5241u /* "ARM\x64" at offset 56 */

/* Where the boot CPU starts. */
struct arm64_entry {
	u64 pc;
	u64 x0;
};

struct arm64_boot_config {
	const char *kernel_path;  /* names the kernel in messages */
	const u8 *kernel;         /* the Image file's bytes */
	size_t kernel_size;
	const char *initrd_path;  /* NULL: no initramfs */
	const char *cmdline;
	unsigned ncpus;           /* described in the device tree */
	unsigned nvirtio;         /* virtio-mmio slots described */
};

/* Is this an arm64 Linux Image (its header's magic)? */
bool arm64_boot__is_image(const u8 *img, size_t size);

/* Load Image, initrd and device tree into RAM and say where the boot CPU
 * starts; -1 with a one-line message in err (not an Image, a big-endian
 * or 16K/64K-page kernel, too little RAM, an unreadable initrd). */
int arm64_boot__load_linux(struct encore_machine *m, const struct arm64_boot_config *cfg,
			   struct arm64_entry *entry, char *err, size_t n);

#endif
