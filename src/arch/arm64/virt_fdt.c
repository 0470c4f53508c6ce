/*
 * The board's device tree (virt_fdt.h), written with libfdt's sequential
 * writer.  Nodes and properties follow QEMU's `virt` tree for the same
 * devices, so that Linux binds the same drivers: the GICv2 as
 * "arm,cortex-a15-gic", the PL011 and the PL031 with their apb_pclk clock, the generic
 * timer's four PPIs, PSCI 0.2 over HVC, and virtio-mmio slots.
 */
#include <libfdt.h>
#include <stdio.h>

#include "arch/arm64/virt_fdt.h"
#include "arch/arm64/virt_map.h"
#include "encore/errmsg.h"

#define PHANDLE_GIC 1
#define PHANDLE_CLOCK 2

/* GIC interrupt specifier cells (#interrupt-cells = 3). */
#define GIC_SPI 0
#define GIC_PPI 1
#define IRQ_EDGE_RISING 1
#define IRQ_LEVEL_HIGH 4

/* PSCI 0.2 function IDs, SMC64 where the call takes 64-bit arguments. */
#define PSCI_CPU_SUSPEND 0xc4000001u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON 0xc4000003u
#define PSCI_MIGRATE 0xc4000005u

struct writer {
	void *fdt;
	int err; /* the first libfdt error */
};

static void check(struct writer *w, int r)
{
	if (r < 0 && !w->err)
		w->err = r;
}

static void begin(struct writer *w, const char *name)
{
	check(w, fdt_begin_node(w->fdt, name));
}

static void end(struct writer *w)
{
	check(w, fdt_end_node(w->fdt));
}

static void prop_str(struct writer *w, const char *name, const char *value)
{
	check(w, fdt_property_string(w->fdt, name, value));
}

/* A string list: values separated by NULs, `len` bytes with the last. */
static void prop_strs(struct writer *w, const char *name, const char *values, int len)
{
	check(w, fdt_property(w->fdt, name, values, len));
}

static void prop_u32(struct writer *w, const char *name, u32 value)
{
	check(w, fdt_property_u32(w->fdt, name, value));
}

static void prop_empty(struct writer *w, const char *name)
{
	check(w, fdt_property(w->fdt, name, NULL, 0));
}

static void prop_cells(struct writer *w, const char *name, const u32 *cells, int n)
{
	fdt32_t be[16];
	for (int k = 0; k < n; k++)
		be[k] = cpu_to_fdt32(cells[k]);
	check(w, fdt_property(w->fdt, name, be, n * (int)sizeof(be[0])));
}

/* reg = <base size> with two cells each (#address-cells = #size-cells = 2). */
static void prop_reg(struct writer *w, u64 base, u64 size)
{
	const u32 cells[] = { (u32)(base >> 32), (u32)base, (u32)(size >> 32), (u32)size };
	prop_cells(w, "reg", cells, 4);
}

static void node_name(char *out, size_t n, const char *kind, u64 addr)
{
	snprintf(out, n, "%s@%llx", kind, (unsigned long long)addr);
}

static void add_cpus(struct writer *w, unsigned ncpus)
{
	begin(w, "cpus");
	prop_u32(w, "#address-cells", 1);
	prop_u32(w, "#size-cells", 0);
	for (unsigned k = 0; k < ncpus; k++) {
		char name[32];
		snprintf(name, sizeof(name), "cpu@%u", k);
		begin(w, name);
		prop_str(w, "device_type", "cpu");
		prop_str(w, "compatible", "arm,armv8");
		prop_u32(w, "reg", k); /* MPIDR Aff0 */
		prop_str(w, "enable-method", "psci");
		end(w);
	}
	end(w);
}

static void add_psci(struct writer *w)
{
	static const char compat[] = "arm,psci-0.2\0arm,psci";
	begin(w, "psci");
	prop_strs(w, "compatible", compat, sizeof(compat));
	prop_str(w, "method", "hvc");
	prop_u32(w, "cpu_suspend", PSCI_CPU_SUSPEND);
	prop_u32(w, "cpu_off", PSCI_CPU_OFF);
	prop_u32(w, "cpu_on", PSCI_CPU_ON);
	prop_u32(w, "migrate", PSCI_MIGRATE);
	end(w);
}

static void add_memory(struct writer *w, u64 base, u64 size)
{
	char name[48];
	node_name(name, sizeof(name), "memory", base);
	begin(w, name);
	prop_str(w, "device_type", "memory");
	prop_reg(w, base, size);
	end(w);
}

static void add_gic(struct writer *w)
{
	char name[48];
	const u32 reg[] = { 0, (u32)VIRT_GICD_BASE, 0, (u32)VIRT_GICD_SIZE,
			    0, (u32)VIRT_GICC_BASE, 0, (u32)VIRT_GICC_SIZE };
	node_name(name, sizeof(name), "intc", VIRT_GICD_BASE);
	begin(w, name);
	prop_str(w, "compatible", "arm,cortex-a15-gic");
	prop_u32(w, "#interrupt-cells", 3);
	prop_empty(w, "interrupt-controller");
	prop_cells(w, "reg", reg, 8);
	prop_u32(w, "phandle", PHANDLE_GIC);
	end(w);
}

/* The timer's PPIs go to every CPU: GICv2 puts the CPU mask in the
 * flags.  The board drives them active-high (the timer condition), as
 * QEMU declares them. */
static void add_timer(struct writer *w, unsigned ncpus)
{
	static const char compat[] = "arm,armv8-timer\0arm,armv7-timer";
	u32 flags = ((1u << ncpus) - 1) << 8 | IRQ_LEVEL_HIGH;
	const u32 irqs[] = { GIC_PPI, VIRT_TIMER_SEC_PPI, flags, GIC_PPI, VIRT_TIMER_PHYS_PPI,
			     flags, GIC_PPI, VIRT_TIMER_VIRT_PPI, flags, GIC_PPI,
			     VIRT_TIMER_HYP_PPI, flags };
	begin(w, "timer");
	prop_strs(w, "compatible", compat, sizeof(compat));
	prop_cells(w, "interrupts", irqs, 12);
	prop_empty(w, "always-on");
	end(w);
}

static void add_clock(struct writer *w)
{
	begin(w, "apb-pclk");
	prop_str(w, "compatible", "fixed-clock");
	prop_u32(w, "#clock-cells", 0);
	prop_u32(w, "clock-frequency", VIRT_APB_CLOCK_HZ);
	prop_str(w, "clock-output-names", "clk24mhz");
	prop_u32(w, "phandle", PHANDLE_CLOCK);
	end(w);
}

static void add_uart(struct writer *w)
{
	static const char compat[] = "arm,pl011\0arm,primecell";
	static const char clock_names[] = "uartclk\0apb_pclk";
	const u32 irq[] = { GIC_SPI, VIRT_UART_SPI, IRQ_LEVEL_HIGH };
	const u32 clocks[] = { PHANDLE_CLOCK, PHANDLE_CLOCK };
	char name[48];
	node_name(name, sizeof(name), "pl011", VIRT_UART_BASE);
	begin(w, name);
	prop_strs(w, "compatible", compat, sizeof(compat));
	prop_reg(w, VIRT_UART_BASE, VIRT_UART_SIZE);
	prop_cells(w, "interrupts", irq, 3);
	prop_cells(w, "clocks", clocks, 2);
	prop_strs(w, "clock-names", clock_names, sizeof(clock_names));
	end(w);
}

static void add_rtc(struct writer *w)
{
	static const char compat[] = "arm,pl031\0arm,primecell";
	const u32 irq[] = { GIC_SPI, VIRT_RTC_SPI, IRQ_LEVEL_HIGH };
	char name[48];
	node_name(name, sizeof(name), "pl031", VIRT_RTC_BASE);
	begin(w, name);
	prop_strs(w, "compatible", compat, sizeof(compat));
	prop_reg(w, VIRT_RTC_BASE, VIRT_RTC_SIZE);
	prop_cells(w, "interrupts", irq, 3);
	prop_u32(w, "clocks", PHANDLE_CLOCK);
	prop_str(w, "clock-names", "apb_pclk");
	end(w);
}

/* Slot k: its registers and its level-triggered SPI. */
static void add_virtio(struct writer *w, unsigned k)
{
	u64 base = VIRT_VIRTIO_BASE + k * VIRT_VIRTIO_SLOT;
	const u32 irq[] = { GIC_SPI, VIRT_VIRTIO_SPI + k, IRQ_LEVEL_HIGH };
	char name[48];
	node_name(name, sizeof(name), "virtio_mmio", base);
	begin(w, name);
	prop_str(w, "compatible", "virtio,mmio");
	prop_reg(w, base, VIRT_VIRTIO_SLOT);
	prop_cells(w, "interrupts", irq, 3);
	prop_empty(w, "dma-coherent");
	end(w);
}

static void add_chosen(struct writer *w, const struct virt_fdt_config *cfg)
{
	char stdout_path[48];
	snprintf(stdout_path, sizeof(stdout_path), "/pl011@%llx",
		 (unsigned long long)VIRT_UART_BASE);
	begin(w, "chosen");
	if (cfg->bootargs)
		prop_str(w, "bootargs", cfg->bootargs);
	prop_str(w, "stdout-path", stdout_path);
	if (cfg->initrd_end > cfg->initrd_start) {
		check(w, fdt_property_u64(w->fdt, "linux,initrd-start", cfg->initrd_start));
		check(w, fdt_property_u64(w->fdt, "linux,initrd-end", cfg->initrd_end));
	}
	end(w);
}

int virt_fdt__build(const struct virt_fdt_config *cfg, void *buf, size_t size, char *err,
		    size_t n)
{
	if (cfg->ncpus < 1 || cfg->ncpus > 8)
		return errmsg(err, n, "a GICv2 board has 1 to 8 CPUs, not %u", cfg->ncpus);
	if (cfg->nvirtio > VIRT_VIRTIO_SLOTS)
		return errmsg(err, n, "the board has %u virtio-mmio slots, not %u",
			      VIRT_VIRTIO_SLOTS, cfg->nvirtio);
	struct writer w = { .fdt = buf };
	check(&w, fdt_create(buf, (int)size));
	check(&w, fdt_finish_reservemap(buf));
	begin(&w, "");
	prop_str(&w, "compatible", "linux,dummy-virt");
	prop_str(&w, "model", "encore virt");
	prop_u32(&w, "#address-cells", 2);
	prop_u32(&w, "#size-cells", 2);
	prop_u32(&w, "interrupt-parent", PHANDLE_GIC);
	add_chosen(&w, cfg);
	add_cpus(&w, cfg->ncpus);
	add_psci(&w);
	add_memory(&w, cfg->ram_base, cfg->ram_size);
	add_gic(&w);
	add_timer(&w, cfg->ncpus);
	add_clock(&w);
	add_uart(&w);
	add_rtc(&w);
	/* In slot order, as in QEMU's tree: Linux probes them in tree order,
	 * so the disks are vda, vdb, ... from the lowest slot. */
	for (unsigned k = 0; k < cfg->nvirtio; k++)
		add_virtio(&w, k);
	end(&w);
	check(&w, fdt_finish(buf));
	if (w.err)
		return errmsg(err, n, "cannot build the device tree: %s", fdt_strerror(w.err));
	return 0;
}
