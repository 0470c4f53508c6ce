/*
 * Fuzz target for the arm64 Image loader (src/arch/arm64/arm64_boot.c):
 * the input is a kernel file, loaded into a 64 MiB Arm machine with no
 * initramfs.  Whatever the header says (magic, flags, text_offset,
 * image_size, a file cut short), the loader either refuses with a
 * one-line message naming the kernel, or places the kernel where the boot
 * protocol says: at RAM's 2 MiB aligned base plus text_offset, 4 KiB
 * aligned, the file's bytes there and its whole image_size inside RAM and
 * below the device tree, which is a valid one in the last 2 MiB of RAM.
 * ASan checks that nothing outside guest RAM is touched.
 */
#include <libfdt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arm64/arm64_arch.h"
#include "arch/arm64/arm64_boot.h"
#include "encore/le_bytes.h"

#define RAM (64ull << 20)
#define NAME "fuzz-Image"

static struct encore_machine *machine(void)
{
	static struct encore_machine *m;
	if (!m && !(m = machine__create(&arch_arm64, RAM, 1))) {
		fprintf(stderr, "fuzz_arm64_image: cannot create the machine\n");
		abort();
	}
	return m;
}

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_arm64_image: %s\n", why);
	abort();
}

/* A successful load: everything where the protocol puts it. */
static void check_loaded(struct encore_machine *m, const uint8_t *data, size_t size,
			 const struct arm64_entry *e)
{
	const struct ram_region *ram = &m->ram_regions[0];
	u64 text_offset = get64(data + 8), image_size = get64(data + 16);
	if (!image_size)
		image_size = size;
	if (e->pc != ram->base + text_offset || e->pc % 4096)
		fail("the kernel is not at RAM's base plus text_offset, 4 KiB aligned");
	if (image_size < size || e->pc + image_size > e->x0)
		fail("the kernel's image_size is not below the device tree");
	if (e->x0 % (2u << 20) || e->x0 < ram->base || e->x0 + (2u << 20) > ram->base + ram->size)
		fail("the device tree is not in a 2 MiB slot of RAM");
	for (size_t done = 0; done < size; done += 4096) {
		size_t len = size - done < 4096 ? size - done : 4096;
		const u8 *p = machine__ram_ptr(m, e->pc + done);
		if (!p || memcmp(p, data + done, len))
			fail("the kernel's bytes are not in RAM as in the file");
	}
	const void *fdt = machine__ram_ptr(m, e->x0);
	if (!fdt || fdt_check_header(fdt) || fdt_totalsize(fdt) > (2u << 20))
		fail("no valid device tree at x0");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct encore_machine *m = machine();
	struct arm64_boot_config cfg = { .kernel_path = NAME, .kernel = data, .kernel_size = size,
					 .cmdline = "console=ttyAMA0", .ncpus = 1 };
	struct arm64_entry e;
	char err[300] = "";
	if (arm64_boot__load_linux(m, &cfg, &e, err, sizeof(err))) {
		if (!strstr(err, NAME) || strchr(err, '\n'))
			fail("a refusal that does not name the kernel in one line");
		if (getenv("FUZZ_VERBOSE"))
			fprintf(stderr, "refused: %s\n", err);
		return 0;
	}
	if (!arm64_boot__is_image(data, size))
		fail("loaded a file without the Image magic");
	check_loaded(m, data, size, &e);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "loaded at %#llx, device tree at %#llx\n", (unsigned long long)e.pc,
			(unsigned long long)e.x0);
	return 0;
}
