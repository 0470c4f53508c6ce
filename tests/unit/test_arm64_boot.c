/*
 * The arm64 boot loader (src/arch/arm64/arm64_boot.c): where the Image,
 * the initrd and the device tree go, and the header checks, on made-up
 * Images and, when it is built, Debian's kernel (build/guest-arm64/Image).
 */
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/arm64/arm64_arch.h"
#include "arch/arm64/arm64_boot.h"
#include "arch/arm64/virt_map.h"
#include "check.h"
#include "encore/le_bytes.h"
#include "encore/loader.h"

#define MIB (1024ull * 1024)

/* Only what machine__create and the loader use. */
static const struct encore_arch arm64_layout = { .name = "arm64", .ram_layout = arm64__ram_layout };

static u8 image[8192];

static void make_image(u64 text_offset, u64 image_size, u64 flags)
{
	memset(image, 0, sizeof(image));
	put32(image, 0x14000010); /* b +64: the code0 a real Image has */
	put64(image + 8, text_offset);
	put64(image + 16, image_size);
	put64(image + 24, flags);
	put32(image + 56, ARM64_IMAGE_MAGIC);
	memcpy(image + 64, "kernel text", 11);
}

static int load(struct encore_machine *m, const char *initrd, struct arm64_entry *e, char *err)
{
	struct arm64_boot_config cfg = { .kernel_path = "Image", .kernel = image,
					 .kernel_size = sizeof(image), .initrd_path = initrd,
					 .cmdline = "console=ttyAMA0", .ncpus = 2, .nvirtio = 4 };
	return arm64_boot__load_linux(m, &cfg, e, err, 256);
}

static void test_layout(void)
{
	check_group("the Image, the initrd and the device tree in RAM");
	char initrd[] = "/tmp/encore-initrd-XXXXXX", err[256];
	int fd = mkstemp(initrd);
	static u8 data[300000];
	for (size_t k = 0; k < sizeof(data); k++)
		data[k] = (u8)(k * 7);
	CHECK(fd >= 0 && write(fd, data, sizeof(data)) == (ssize_t)sizeof(data), "initrd written");
	close(fd);
	struct encore_machine *m = machine__create(&arm64_layout, 128 * MIB, 2);
	make_image(0, 4 * MIB, 2 /* 4K pages */);
	struct arm64_entry e;
	int r = load(m, initrd, &e, err);
	CHECK(r == 0, "loads: %s", r ? err : "");
	CHECK(e.pc == VIRT_RAM_BASE, "entry at the Image: %#llx", (unsigned long long)e.pc);
	CHECK(e.x0 % (2 * MIB) == 0 && e.x0 >= VIRT_RAM_BASE + 4 * MIB &&
	      e.x0 < VIRT_RAM_BASE + 128 * MIB, "x0 = the device tree, 2 MiB aligned: %#llx",
	      (unsigned long long)e.x0);
	const u8 *k = machine__ram_ptr(m, VIRT_RAM_BASE);
	CHECK(k && !memcmp(k + 64, "kernel text", 11), "the Image's bytes");
	const void *fdt = machine__ram_ptr(m, e.x0);
	CHECK(fdt && fdt_check_header(fdt) == 0, "a device tree at x0");
	int chosen = fdt ? fdt_path_offset(fdt, "/chosen") : -1, len;
	const fdt64_t *p = chosen >= 0 ? fdt_getprop(fdt, chosen, "linux,initrd-start", &len) : NULL;
	fdt64_t v;
	u64 start = 0;
	if (p) {
		memcpy(&v, p, sizeof(v));
		start = fdt64_to_cpu(v);
	}
	CHECK(start && start % 4096 == 0 && start + sizeof(data) <= e.x0 &&
	      start >= VIRT_RAM_BASE + 4 * MIB, "initrd between the kernel and the tree: %#llx",
	      (unsigned long long)start);
	bool same = start != 0;
	for (size_t off = 0; same && off < sizeof(data); off += 4096) {
		size_t n = sizeof(data) - off < 4096 ? sizeof(data) - off : 4096;
		const u8 *g = machine__ram_ptr(m, start + off);
		same = g && !memcmp(g, data + off, n);
	}
	CHECK(same, "the initrd's bytes");
	machine__destroy(m);

	check_group("text_offset moves the Image");
	m = machine__create(&arm64_layout, 128 * MIB, 1);
	make_image(0x80000, 4 * MIB, 0);
	CHECK(load(m, NULL, &e, err) == 0 && e.pc == VIRT_RAM_BASE + 0x80000, "at base + 512 KiB");
	machine__destroy(m);
	unlink(initrd);
}

static void test_refusals(void)
{
	check_group("what the loader refuses, with a reason");
	char err[256];
	struct arm64_entry e;
	struct encore_machine *m = machine__create(&arm64_layout, 16 * MIB, 1);
	make_image(0, 4 * MIB, 1);
	CHECK(load(m, NULL, &e, err) < 0 && strstr(err, "big-endian"), "big-endian: %s", err);
	make_image(0, 4 * MIB, 3 << 1);
	CHECK(load(m, NULL, &e, err) < 0 && strstr(err, "64 KiB"), "64K pages: %s", err);
	make_image(0, 64 * MIB, 2);
	CHECK(load(m, NULL, &e, err) < 0 && strstr(err, "--mem"), "too little RAM: %s", err);
	make_image(0, 4 * MIB, 2);
	put32(image + 56, 0x1234);
	CHECK(load(m, NULL, &e, err) < 0 && strstr(err, "not an arm64 Linux Image"),
	      "no magic: %s", err);
	make_image(0, 4 * MIB, 2);
	CHECK(load(m, "/nonexistent/initrd", &e, err) < 0 && strstr(err, "/nonexistent/initrd"),
	      "a missing initrd is named: %s", err);
	make_image(0, 4 * MIB, 2);
	struct arm64_boot_config cfg = { .kernel_path = "Image", .kernel = image,
					 .kernel_size = 32, .cmdline = "", .ncpus = 1 };
	CHECK(arm64_boot__load_linux(m, &cfg, &e, err, sizeof(err)) < 0, "a cut header");
	machine__destroy(m);
}

/* Debian's arm64 kernel, when the arm64 guest is built. */
static void test_debian_image(void)
{
	const char *path = "build/guest-arm64/Image";
	char err[256];
	size_t size;
	u8 *img = access(path, R_OK) ? NULL : loader__read_file(path, &size, err, sizeof(err));
	if (!img) {
		printf("SKIP: Debian's Image (%s is not built)\n", path);
		return;
	}
	check_group("Debian's arm64 Image");
	CHECK(arm64_boot__is_image(img, size), "recognised");
	struct encore_machine *m = machine__create(&arm64_layout, 256 * MIB, 1);
	struct arm64_boot_config cfg = { .kernel_path = path, .kernel = img, .kernel_size = size,
					 .cmdline = "console=ttyAMA0", .ncpus = 1 };
	struct arm64_entry e;
	CHECK(arm64_boot__load_linux(m, &cfg, &e, err, sizeof(err)) == 0, "loads: %s", err);
	machine__destroy(m);
	free(img);
}

int main(void)
{
	test_layout();
	test_refusals();
	test_debian_image();
	return check_summary();
}
