/*
 * The Arm board's device tree (src/arch/arm64/virt_fdt.c): read back with
 * libfdt, and compared with the tree QEMU's own `virt` machine gives for
 * the same devices (qemu-system-aarch64 -M virt,dumpdtb=FILE).
 */
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/arm64/virt_fdt.h"
#include "arch/arm64/virt_map.h"
#include "check.h"

static u8 tree[64 * 1024];

static int build(unsigned ncpus, const char *bootargs, u64 initrd_start, u64 initrd_end,
		 unsigned nvirtio)
{
	struct virt_fdt_config cfg = { .ncpus = ncpus, .ram_base = VIRT_RAM_BASE,
				       .ram_size = 512ull << 20, .bootargs = bootargs,
				       .initrd_start = initrd_start, .initrd_end = initrd_end,
				       .nvirtio = nvirtio };
	char err[256];
	return virt_fdt__build(&cfg, tree, sizeof(tree), err, sizeof(err));
}

static const void *prop(const void *fdt, const char *path, const char *name, int *len)
{
	int node = fdt_path_offset(fdt, path);
	if (node < 0)
		return NULL;
	return fdt_getprop(fdt, node, name, len);
}

static u32 cell(const void *p, int k)
{
	return fdt32_to_cpu(((const fdt32_t *)p)[k]);
}

/* An 8-byte property (properties are only 4-byte aligned); 0 if absent. */
static u64 prop_u64(const void *fdt, const char *path, const char *name)
{
	int len;
	const void *p = prop(fdt, path, name, &len);
	fdt64_t v;
	if (!p || len != sizeof(v))
		return 0;
	memcpy(&v, p, sizeof(v));
	return fdt64_to_cpu(v);
}

static void test_structure(void)
{
	check_group("the tree's nodes and properties");
	CHECK(build(2, "console=ttyAMA0", 0x48000000, 0x48100000, 4) == 0, "builds");
	CHECK(fdt_check_header(tree) == 0, "a valid header");
	int len;
	const char *s = prop(tree, "/chosen", "bootargs", &len);
	CHECK(s && !strcmp(s, "console=ttyAMA0"), "bootargs");
	CHECK(prop_u64(tree, "/chosen", "linux,initrd-start") == 0x48000000, "initrd start");
	CHECK(prop_u64(tree, "/chosen", "linux,initrd-end") == 0x48100000, "initrd end");
	s = prop(tree, "/chosen", "stdout-path", &len);
	CHECK(s && !strcmp(s, "/pl011@9000000"), "stdout-path %s", s ? s : "(none)");
	CHECK(fdt_path_offset(tree, "/cpus/cpu@0") >= 0 && fdt_path_offset(tree, "/cpus/cpu@1") >= 0,
	      "two CPUs");
	CHECK(fdt_path_offset(tree, "/cpus/cpu@2") < 0, "not three");
	const void *reg = prop(tree, "/memory@40000000", "reg", &len);
	CHECK(reg && len == 16 && cell(reg, 1) == 0x40000000 && cell(reg, 3) == 512u << 20,
	      "memory reg");
	const void *irqs = prop(tree, "/timer", "interrupts", &len);
	CHECK(irqs && len == 48 && cell(irqs, 0) == 1 && cell(irqs, 1) == 13 &&
	      cell(irqs, 2) == 0x304 && cell(irqs, 7) == 11, "timer PPIs with the CPU mask");
	const void *gic = prop(tree, "/intc@8000000", "phandle", &len);
	const void *parent = prop(tree, "/", "interrupt-parent", &len);
	CHECK(gic && parent && cell(gic, 0) == cell(parent, 0), "the GIC is the interrupt parent");
	unsigned found = 0;
	for (unsigned k = 0; k < 6; k++) {
		char path[64];
		snprintf(path, sizeof(path), "/virtio_mmio@%llx",
			 (unsigned long long)(VIRT_VIRTIO_BASE + k * VIRT_VIRTIO_SLOT));
		const void *irq = prop(tree, path, "interrupts", &len);
		if (irq && cell(irq, 1) == VIRT_VIRTIO_SPI + k)
			found++;
	}
	CHECK(found == 4, "4 virtio slots with their SPIs, not %u", found);
	s = prop(tree, "/psci", "method", &len);
	CHECK(s && !strcmp(s, "hvc"), "PSCI over HVC");

	check_group("no initrd, no command line");
	CHECK(build(1, NULL, 0, 0, 0) == 0, "builds");
	CHECK(!prop(tree, "/chosen", "linux,initrd-start", &len), "no initrd property");
	CHECK(!prop(tree, "/chosen", "bootargs", &len), "no bootargs");
	irqs = prop(tree, "/timer", "interrupts", &len);
	CHECK(irqs && cell(irqs, 2) == 0x104, "one CPU in the timer's mask");
}

static void test_errors(void)
{
	check_group("bad configurations and a small buffer");
	char err[256];
	struct virt_fdt_config cfg = { .ncpus = 9, .ram_base = VIRT_RAM_BASE, .ram_size = 1 << 30 };
	CHECK(virt_fdt__build(&cfg, tree, sizeof(tree), err, sizeof(err)) < 0 &&
	      strstr(err, "1 to 8"), "nine CPUs refused: %s", err);
	cfg.ncpus = 1;
	cfg.nvirtio = 33;
	CHECK(virt_fdt__build(&cfg, tree, sizeof(tree), err, sizeof(err)) < 0, "33 slots refused");
	cfg.nvirtio = 0;
	u8 small[256];
	CHECK(virt_fdt__build(&cfg, small, sizeof(small), err, sizeof(err)) < 0 &&
	      strstr(err, "device tree"), "too small a buffer: %s", err);
}

/* The same property in both trees, byte for byte. */
static void same_prop(const void *ours, const void *qemu, const char *path, const char *name)
{
	int la, lb;
	const void *a = prop(ours, path, name, &la), *b = prop(qemu, path, name, &lb);
	CHECK(a && b && la == lb && !memcmp(a, b, (size_t)la), "%s %s matches QEMU's", path, name);
}

static void test_against_qemu(void)
{
	check_group("the devices as QEMU's virt describes them");
	char path[] = "/tmp/encore-virt-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		check_failf(__FILE__, "mkstemp");
		return;
	}
	close(fd);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "qemu-system-aarch64 -M virt,gic-version=2,dumpdtb=%s "
		 "-cpu cortex-a57 -smp 2 -m 512M -nographic >/dev/null 2>&1", path);
	if (system("command -v qemu-system-aarch64 >/dev/null") != 0 || system(cmd) != 0) {
		unlink(path);
		printf("SKIP: the comparison with QEMU (no qemu-system-aarch64)\n");
		return;
	}
	static u8 qemu[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(qemu, 1, sizeof(qemu), f) : 0;
	if (f)
		fclose(f);
	unlink(path);
	CHECK(n > 0 && fdt_check_header(qemu) == 0, "QEMU's tree reads");
	CHECK(build(2, NULL, 0, 0, 32) == 0, "ours builds");
	same_prop(tree, qemu, "/intc@8000000", "reg");
	same_prop(tree, qemu, "/intc@8000000", "compatible");
	same_prop(tree, qemu, "/intc@8000000", "#interrupt-cells");
	same_prop(tree, qemu, "/pl011@9000000", "reg");
	same_prop(tree, qemu, "/pl011@9000000", "interrupts");
	same_prop(tree, qemu, "/pl011@9000000", "compatible");
	same_prop(tree, qemu, "/pl011@9000000", "clock-names");
	same_prop(tree, qemu, "/pl031@9010000", "reg");
	same_prop(tree, qemu, "/pl031@9010000", "interrupts");
	same_prop(tree, qemu, "/pl031@9010000", "compatible");
	same_prop(tree, qemu, "/pl031@9010000", "clock-names");
	same_prop(tree, qemu, "/apb-pclk", "clock-frequency");
	same_prop(tree, qemu, "/memory@40000000", "reg");
	same_prop(tree, qemu, "/psci", "method");
	same_prop(tree, qemu, "/psci", "cpu_on");
	same_prop(tree, qemu, "/psci", "cpu_off");
	same_prop(tree, qemu, "/cpus/cpu@1", "reg");
	same_prop(tree, qemu, "/cpus/cpu@1", "enable-method");
	same_prop(tree, qemu, "/chosen", "stdout-path");
	same_prop(tree, qemu, "/virtio_mmio@a003e00", "reg");
	/* Two CPUs in the mask, level-high: flags 0x304. */
	same_prop(tree, qemu, "/timer", "interrupts");
	/* QEMU declares its virtio-mmio interrupts edge-triggered; encore's
	 * transport drives a level, and says so: only the SPI must agree. */
	int la, lb;
	const void *a = prop(tree, "/virtio_mmio@a003e00", "interrupts", &la);
	const void *b = prop(qemu, "/virtio_mmio@a003e00", "interrupts", &lb);
	CHECK(a && b && la == 12 && lb == 12 && cell(a, 1) == cell(b, 1), "the last slot's SPI");
}

int main(void)
{
	test_structure();
	test_errors();
	test_against_qemu();
	return check_summary();
}
