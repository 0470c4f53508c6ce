/*
 * The arm64 boot loader (arm64_boot.h).  Layout in RAM: the kernel at the
 * bottom (RAM starts 2 MiB aligned), the device tree in the last 2 MiB
 * (the protocol wants it in a 2 MiB region of its own), the initramfs
 * right below it.
 */
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arm64/arm64_boot.h"
#include "arch/arm64/virt_fdt.h"
#include "encore/errmsg.h"
#include "encore/le_bytes.h"
#include "encore/loader.h"

#define MIB (1024ull * 1024)
#define HEADER_SIZE 64u
#define FDT_SLOT (2 * MIB)
#define FDT_MAX (64 * 1024)
#define HEADER_LIMIT (1ull << 40) /* text_offset and image_size below 1 TiB */

/* The Image header's flags (booting.rst). */
#define FLAG_BE 1ull
#define FLAG_PAGE_SHIFT 1
#define FLAG_PAGE_MASK 3ull
#define PAGE_4K 1ull

bool arm64_boot__is_image(const u8 *img, size_t size)
{
	return size >= HEADER_SIZE && get32(img + 56) == ARM64_IMAGE_MAGIC;
}

/* Copy host bytes into guest RAM at [pa, pa + len), all of it RAM. */
static int copy_in(struct encore_machine *m, u64 pa, const u8 *src, u64 len, const char *what,
		   char *err, size_t n)
{
	for (u64 done = 0; done < len;) {
		u8 *p = machine__ram_ptr(m, pa + done);
		u64 chunk = 4096 - ((pa + done) & 4095);
		if (chunk > len - done)
			chunk = len - done;
		if (!p)
			return errmsg(err, n, "%s does not fit in RAM at %#llx", what,
				      (unsigned long long)(pa + done));
		memcpy(p, src + done, chunk);
		done += chunk;
	}
	machine__note_ram_range(m, pa, len);
	return 0;
}

/* The header's text_offset and image_size (the kernel's whole footprint,
 * BSS included), checked against what this board can boot. */
static int read_header(const struct arm64_boot_config *cfg, u64 *text_offset, u64 *image_size,
		       char *err, size_t n)
{
	const u8 *h = cfg->kernel;
	if (!arm64_boot__is_image(h, cfg->kernel_size))
		return errmsg(err, n, "%s is not an arm64 Linux Image (no \"ARM\\x64\" magic at "
			      "offset 56; a compressed vmlinuz must be unpacked first)",
			      cfg->kernel_path);
	u64 flags = get64(h + 24);
	*text_offset = get64(h + 8);
	*image_size = get64(h + 16);
	if (flags & FLAG_BE)
		return errmsg(err, n, "%s is a big-endian kernel; encore's Arm CPU is little-endian",
			      cfg->kernel_path);
	u64 page = flags >> FLAG_PAGE_SHIFT & FLAG_PAGE_MASK;
	if (page != 0 && page != PAGE_4K)
		return errmsg(err, n, "%s needs %s pages; encore's MMU has 4 KiB pages only",
			      cfg->kernel_path, page == 2 ? "16 KiB" : "64 KiB");
	/* image_size 0: a kernel older than 3.17, whose size is the file's. */
	if (!*image_size)
		*image_size = cfg->kernel_size;
	/* (No kernel is a TiB: such a size is a damaged header, not a call
	 * for more memory.) */
	if (*image_size < cfg->kernel_size || *text_offset % 4096 || *text_offset >= HEADER_LIMIT ||
	    *image_size >= HEADER_LIMIT)
		return errmsg(err, n, "%s has an inconsistent header (text_offset %#llx, image_size "
			      "%llu for a file of %zu bytes)", cfg->kernel_path,
			      (unsigned long long)*text_offset, (unsigned long long)*image_size,
			      cfg->kernel_size);
	return 0;
}

static int load_initrd(struct encore_machine *m, const struct arm64_boot_config *cfg, u64 top,
		       u64 kernel_end, u64 *start, u64 *end, char *err, size_t n)
{
	*start = *end = 0;
	if (!cfg->initrd_path)
		return 0;
	size_t size;
	u8 *data = loader__read_file(cfg->initrd_path, &size, err, n);
	if (!data)
		return -1;
	u64 at = (top - size) & ~4095ull;
	int r = 0;
	if (size > top || at < kernel_end)
		r = errmsg(err, n, "the initrd %s (%zu bytes) and the kernel do not fit in %llu MiB "
			   "of RAM: give more --mem", cfg->initrd_path, size,
			   (unsigned long long)(m->ram_size / MIB));
	else
		r = copy_in(m, at, data, size, cfg->initrd_path, err, n);
	free(data);
	*start = at;
	*end = at + size;
	return r;
}

int arm64_boot__load_linux(struct encore_machine *m, const struct arm64_boot_config *cfg,
			   struct arm64_entry *entry, char *err, size_t n)
{
	const struct ram_region *ram = &m->ram_regions[0];
	u64 text_offset = 0, image_size = 0;
	if (read_header(cfg, &text_offset, &image_size, err, n))
		return -1;
	u64 kernel_at = ram->base + text_offset;
	u64 fdt_at = (ram->base + ram->size - FDT_SLOT) & ~(FDT_SLOT - 1);
	/* (read_header keeps both sizes below HEADER_LIMIT: no sum wraps.) */
	if (ram->base % FDT_SLOT || fdt_at < kernel_at + image_size)
		return errmsg(err, n, "%s needs %llu MiB of RAM and 2 MiB for the device tree: "
			      "give more --mem", cfg->kernel_path,
			      (unsigned long long)((text_offset + image_size + MIB - 1) / MIB));
	if (copy_in(m, kernel_at, cfg->kernel, cfg->kernel_size, cfg->kernel_path, err, n))
		return -1;
	u64 initrd_start, initrd_end;
	if (load_initrd(m, cfg, fdt_at, kernel_at + image_size, &initrd_start, &initrd_end, err, n))
		return -1;
	static u8 fdt[FDT_MAX];
	struct virt_fdt_config fc = { .ncpus = cfg->ncpus, .ram_base = ram->base,
				      .ram_size = ram->size, .bootargs = cfg->cmdline,
				      .initrd_start = initrd_start, .initrd_end = initrd_end,
				      .nvirtio = cfg->nvirtio };
	if (virt_fdt__build(&fc, fdt, sizeof(fdt), err, n) ||
	    copy_in(m, fdt_at, fdt, fdt_totalsize(fdt), "the device tree", err, n))
		return -1;
	*entry = (struct arm64_entry){ .pc = kernel_at, .x0 = fdt_at };
	return 0;
}
