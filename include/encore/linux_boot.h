/*
 * Booting a Linux kernel through the x86 64-bit boot protocol
 * (Documentation/x86/boot.rst): a bzImage runs its own decompressor from
 * its 64-bit entry; an uncompressed vmlinux ELF starts at startup_64.
 * Either way encore plays the boot loader: boot_params with the setup
 * header, an e820 map, the command line and the initramfs.
 */
#ifndef ENCORE_LINUX_BOOT_H
#define ENCORE_LINUX_BOOT_H

#include "encore/cpu_state.h"
#include "encore/machine.h"

/* Where encore puts the boot loader's structures (below the kernel). */
#define LINUX_BOOT_PARAMS 0x10000ull
#define LINUX_CMDLINE 0x20000ull
#define LINUX_CMDLINE_MAX 0x1000ull
#define LINUX_SEL_CODE 0x10 /* __BOOT_CS */
#define LINUX_SEL_DATA 0x18 /* __BOOT_DS */

enum linux_image_kind { LINUX_BZIMAGE, LINUX_VMLINUX };

/* Is this image a Linux kernel (bzImage, or an ELF with a "Linux" note)? */
bool linux_boot__is_kernel(const u8 *img, size_t size);

struct linux_boot_config {
	const char *kernel_path; /* names the kernel in messages */
	const u8 *kernel;        /* the kernel file's bytes */
	size_t kernel_size;
	const char *initrd_path; /* NULL: no initramfs */
	const char *cmdline;
	u64 acpi_rsdp;           /* where the ACPI tables' root is (0: none) */
};

/*
 * Load kernel and initrd into the machine's RAM, write the boot
 * structures, and fill `s` with the 64-bit entry state.  Returns 0, or -1
 * with a one-line message in err (bad file, too little memory, ...).
 */
int linux_boot__load(struct encore_machine *m, const struct linux_boot_config *cfg,
		     struct encore_cpu_state *s, enum linux_image_kind *kind, char *err,
		     size_t errlen);

#endif
