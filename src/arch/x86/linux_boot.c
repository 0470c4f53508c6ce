/*
 * The boot loader for Linux kernels (64-bit boot protocol).  Offsets are
 * those of struct boot_params and struct setup_header in boot.rst.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encore/errmsg.h"
#include "encore/linux_boot.h"
#include "encore/bare_metal.h"
#include "encore/loader.h"
#include "encore/pc.h"

/* boot_params / setup_header fields encore reads or writes. */
enum {
	BP_ACPI_RSDP_ADDR = 0x070, BP_EXT_RAMDISK_IMAGE = 0x0c0, BP_EXT_RAMDISK_SIZE = 0x0c4, BP_EXT_CMD_LINE_PTR = 0x0c8,
	BP_E820_ENTRIES = 0x1e8, BP_SETUP_SECTS = 0x1f1, BP_BOOT_FLAG = 0x1fe,
	BP_JUMP = 0x200, BP_HEADER = 0x202, BP_VERSION = 0x206, BP_TYPE_OF_LOADER = 0x210,
	BP_LOADFLAGS = 0x211, BP_RAMDISK_IMAGE = 0x218, BP_RAMDISK_SIZE = 0x21c,
	BP_CMD_LINE_PTR = 0x228, BP_INITRD_ADDR_MAX = 0x22c, BP_KERNEL_ALIGNMENT = 0x230,
	BP_RELOCATABLE = 0x234, BP_MIN_ALIGNMENT = 0x235, BP_XLOADFLAGS = 0x236,
	BP_CMDLINE_SIZE = 0x238, BP_PREF_ADDRESS = 0x258, BP_INIT_SIZE = 0x260,
	BP_E820_TABLE = 0x2d0, BP_SIZE = 0x1000,
};
#define E820_MAX_ENTRIES 128
#define E820_RAM 1
#define E820_RESERVED 2
#define LOADED_HIGH 0x01
#define XLF_KERNEL_64 0x01
#define MIN_PROTOCOL 0x020c /* the first with a 64-bit entry point */
#define LOADER_UNDEFINED 0xff
#define HEADROOM (32ull << 20) /* RAM a kernel needs beyond its image and initrd */
#define MIB (1ull << 20)
#define MTRR_ENABLE 0x800
#define MTRR_TYPE_WB 6

struct boot_image {
	const char *path;
	const u8 *img;
	size_t size;
	u64 entry;      /* physical address of the 64-bit entry */
	u64 end;        /* end of the memory the kernel uses while it starts */
	u64 initrd_max; /* highest address an initrd byte may occupy */
};

static u16 get16(const u8 *p) { u16 v; memcpy(&v, p, 2); return v; }
static u32 get32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }
static u64 get64(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }
static void put16(u8 *p, u16 v) { memcpy(p, &v, 2); }
static void put32(u8 *p, u32 v) { memcpy(p, &v, 4); }
static void put64(u8 *p, u64 v) { memcpy(p, &v, 8); }

static bool is_bzimage(const u8 *img, size_t size)
{
	return size > BP_INIT_SIZE + 4 && !memcmp(img + BP_HEADER, "HdrS", 4);
}

bool linux_boot__is_kernel(const u8 *img, size_t size)
{
	return is_bzimage(img, size) || elf__has_note(img, size, "Linux");
}

/* A bzImage: its protected-mode part goes to the preferred address and
 * runs from there, decompressing the kernel into place. */
static int load_bzimage(struct encore_machine *m, struct boot_image *k, u8 *bp, char *err,
			size_t errlen)
{
	const u8 *img = k->img;
	u16 version = get16(img + BP_VERSION);
	if (version < MIN_PROTOCOL || !(get16(img + BP_XLOADFLAGS) & XLF_KERNEL_64))
		return errmsg(err, errlen, "%s: boot protocol %u.%02u has no 64-bit entry point "
			    "(encore needs 2.12 or later)", k->path, version >> 8, version & 0xff);
	unsigned sects = img[BP_SETUP_SECTS] ? img[BP_SETUP_SECTS] : 4;
	size_t pm_offset = (size_t)(sects + 1) * 512;
	if (pm_offset >= k->size)
		return errmsg(err, errlen, "%s: truncated bzImage (no protected-mode kernel)", k->path);
	u64 load = get64(img + BP_PREF_ADDRESS);
	if (!load)
		load = MIB;
	u64 pm_size = k->size - pm_offset, init = get32(img + BP_INIT_SIZE);
	k->end = load + (init > pm_size ? init : pm_size);
	if (k->end > pc__low_ram(m))
		return errmsg(err, errlen, "%s needs RAM up to %llu MiB to decompress; --mem is too small",
			    k->path, (unsigned long long)(k->end + MIB - 1) / MIB);
	memcpy(machine__ram_ptr(m, load), img + pm_offset, pm_size);
	machine__note_ram_range(m, load, pm_size);
	/* The setup header is copied as the kernel wrote it, then filled in. */
	size_t hdr_end = BP_HEADER + img[BP_JUMP + 1];
	memcpy(bp + BP_SETUP_SECTS, img + BP_SETUP_SECTS, hdr_end - BP_SETUP_SECTS);
	k->entry = load + 0x200;
	k->initrd_max = (u64)get32(img + BP_INITRD_ADDR_MAX) + 1;
	return 0;
}

/* A vmlinux: segments at their physical addresses, a setup header made
 * up as a bzImage of protocol 2.15 would have it. */
static int load_vmlinux(struct encore_machine *m, struct boot_image *k, u8 *bp, char *err,
			size_t errlen)
{
	u64 entry, end = elf__load_end(k->img, k->size);
	if (end > pc__low_ram(m))
		return errmsg(err, errlen, "%s is loaded up to %llu MiB (its BSS included): use --mem "
			    "%lluM or more", k->path, (unsigned long long)(end + MIB - 1) / MIB,
			    (unsigned long long)(end + HEADROOM) / MIB);
	if (elf__load_image(m, k->img, k->size, k->path, BARE_RESERVED_END, &entry, err,
			    errlen))
		return -1;
	k->end = end;
	k->entry = elf__entry_paddr(k->img, k->size);
	k->initrd_max = 0x80000000ull;
	put16(bp + BP_BOOT_FLAG, 0xaa55);
	memcpy(bp + BP_HEADER, "HdrS", 4);
	put16(bp + BP_VERSION, 0x020f);
	bp[BP_LOADFLAGS] = LOADED_HIGH;
	put32(bp + BP_INITRD_ADDR_MAX, 0x7fffffff);
	put32(bp + BP_KERNEL_ALIGNMENT, 0x200000);
	bp[BP_MIN_ALIGNMENT] = 21;
	put16(bp + BP_XLOADFLAGS, XLF_KERNEL_64);
	put32(bp + BP_CMDLINE_SIZE, 2047); /* x86 COMMAND_LINE_SIZE - 1 */
	return 0;
}

static void add_e820(u8 *bp, u64 addr, u64 size, u32 type)
{
	unsigned n = bp[BP_E820_ENTRIES];
	if (size == 0 || n == E820_MAX_ENTRIES)
		return;
	u8 *e = bp + BP_E820_TABLE + 20 * n;
	put64(e, addr);
	put64(e + 8, size);
	put32(e + 16, type);
	bp[BP_E820_ENTRIES] = n + 1;
}

/* The PC memory map: base memory, the BIOS area, RAM above 1 MiB and
 * above 4 GiB. */
static void build_e820(struct encore_machine *m, u8 *bp)
{
	add_e820(bp, 0, 0x9fc00, E820_RAM);
	add_e820(bp, 0x9fc00, 0x400, E820_RESERVED);
	add_e820(bp, 0xf0000, 0x10000, E820_RESERVED);
	add_e820(bp, MIB, pc__low_ram(m) - MIB, E820_RAM);
	add_e820(bp, PC_HIGH_RAM_BASE, pc__high_ram(m), E820_RAM);
}

static int set_cmdline(struct encore_machine *m, u8 *bp, const char *cmdline, char *err,
		       size_t errlen)
{
	size_t len = strlen(cmdline);
	u32 max = get32(bp + BP_CMDLINE_SIZE);
	if (get16(bp + BP_VERSION) < 0x0206 || max == 0 || max >= LINUX_CMDLINE_MAX)
		max = LINUX_CMDLINE_MAX - 1;
	if (len > max)
		return errmsg(err, errlen, "the kernel command line is %zu bytes; this kernel takes "
			    "at most %u", len, max);
	memcpy(machine__ram_ptr(m, LINUX_CMDLINE), cmdline, len + 1);
	machine__note_ram_range(m, LINUX_CMDLINE, len + 1);
	put32(bp + BP_CMD_LINE_PTR, (u32)LINUX_CMDLINE);
	put32(bp + BP_EXT_CMD_LINE_PTR, 0);
	return 0;
}

/* The initramfs goes as high in low RAM as the kernel allows. */
static int load_initrd(struct encore_machine *m, const struct boot_image *k, const char *path,
		       u8 *bp, char *err, size_t errlen)
{
	size_t size;
	u8 *data = loader__read_file(path, &size, err, errlen);
	if (!data)
		return -1;
	u64 top = k->initrd_max < pc__low_ram(m) ? k->initrd_max : pc__low_ram(m);
	u64 need = (k->end + size + HEADROOM + MIB - 1) / MIB;
	if (top < size || ((top - size) & ~0xfffull) < k->end || m->ram_size < need * MIB) {
		free(data);
		return errmsg(err, errlen, "%llu MiB of RAM is too little for this kernel and a "
			    "%zu KiB initrd: use --mem %lluM or more",
			    (unsigned long long)(m->ram_size / MIB), size / 1024,
			    (unsigned long long)need);
	}
	u64 at = (top - size) & ~0xfffull;
	memcpy(machine__ram_ptr(m, at), data, size);
	machine__note_ram_range(m, at, size);
	free(data);
	put32(bp + BP_RAMDISK_IMAGE, (u32)at);
	put32(bp + BP_RAMDISK_SIZE, (u32)size);
	put32(bp + BP_EXT_RAMDISK_IMAGE, (u32)(at >> 32));
	put32(bp + BP_EXT_RAMDISK_SIZE, (u32)((u64)size >> 32));
	return 0;
}

/* The 64-bit entry state: long mode on encore's identity map, a GDT
 * with __BOOT_CS and __BOOT_DS, interrupts off, RSI = boot_params. */
static void entry_state(struct encore_machine *m, struct encore_cpu_state *s, u64 entry)
{
	u8 *gdt = machine__ram_ptr(m, BARE_GDT);
	memset(gdt, 0, 32);
	machine__note_ram_range(m, BARE_GDT, 32);
	put64(gdt + LINUX_SEL_CODE, 0x00af9b000000ffffull);
	put64(gdt + LINUX_SEL_DATA, 0x00cf93000000ffffull);
	bare_metal__identity_map(m);
	cpu_state__reset(s);
	s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG;
	s->cr3 = BARE_PML4;
	s->cr4 = CR4_PAE;
	s->efer = EFER_LME | EFER_LMA;
	s->gdtr.base = BARE_GDT;
	s->gdtr.limit = 31;
	s->msr.mtrr_def_type = MTRR_ENABLE | MTRR_TYPE_WB; /* as a BIOS leaves it */
	segment__set_flat(&s->seg[SEG_CS], LINUX_SEL_CODE, true, true, 0);
	for (int k = 0; k < SEG_COUNT; k++)
		if (k != SEG_CS)
			segment__set_flat(&s->seg[k], LINUX_SEL_DATA, false, false, 0);
	s->tr.attr = SEG_ATTR_P | 0xb;
	s->tr.limit = 0x67;
	s->ldtr.attr = SEG_ATTR_P | 0x2;
	s->gpr[REG_RSI] = LINUX_BOOT_PARAMS;
	s->gpr[REG_RSP] = BARE_STACK_TOP;
	s->rip = entry;
}

static int load_kernel(struct encore_machine *m, struct boot_image *k, u8 *bp,
		       enum linux_image_kind *kind, char *err, size_t errlen)
{
	if (is_bzimage(k->img, k->size)) {
		*kind = LINUX_BZIMAGE;
		return load_bzimage(m, k, bp, err, errlen);
	}
	if (elf__has_note(k->img, k->size, "Linux")) {
		*kind = LINUX_VMLINUX;
		return load_vmlinux(m, k, bp, err, errlen);
	}
	return errmsg(err, errlen, "%s is not a Linux kernel (neither a bzImage nor a vmlinux ELF "
		    "with a Linux note)", k->path);
}

int linux_boot__load(struct encore_machine *m, const struct linux_boot_config *cfg,
		     struct encore_cpu_state *s, enum linux_image_kind *kind, char *err,
		     size_t errlen)
{
	if (pc__low_ram(m) < 16 * MIB)
		return errmsg(err, errlen, "%llu KiB of RAM is too little to boot Linux",
			    (unsigned long long)m->ram_size / 1024);
	struct boot_image k = { .path = cfg->kernel_path, .img = cfg->kernel,
				.size = cfg->kernel_size };
	u8 *bp = machine__ram_ptr(m, LINUX_BOOT_PARAMS);
	memset(bp, 0, BP_SIZE);
	machine__note_ram_range(m, LINUX_BOOT_PARAMS, BP_SIZE);
	if (load_kernel(m, &k, bp, kind, err, errlen))
		return -1;
	bp[BP_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	put64(bp + BP_ACPI_RSDP_ADDR, cfg->acpi_rsdp);
	build_e820(m, bp);
	if (set_cmdline(m, bp, cfg->cmdline ? cfg->cmdline : "", err, errlen))
		return -1;
	if (cfg->initrd_path && load_initrd(m, &k, cfg->initrd_path, bp, err, errlen))
		return -1;
	if (!cfg->initrd_path && k.end + HEADROOM > m->ram_size)
		return errmsg(err, errlen, "%llu MiB of RAM is too little for this kernel: use --mem "
			    "%lluM or more", (unsigned long long)(m->ram_size / MIB),
			    (unsigned long long)((k.end + HEADROOM) / MIB));
	entry_state(m, s, k.entry);
	return 0;
}
