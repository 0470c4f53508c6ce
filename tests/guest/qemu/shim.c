/*
 * The C half of the QEMU shim (see shim.S): load the guest ELF64 module,
 * build encore's bare-metal boot structures and CPU state as
 * bare_metal__prepare() does (src/arch/x86/bare_metal.c), then enter long
 * mode.  32-bit, starts with paging off.
 *
 * Not reproduced: encore starts with TR holding a busy 64-bit TSS at base
 * 0 that has no GDT descriptor (the guests load their own TSS), and the
 * rest of QEMU's RAM is not zeroed.
 */
#include "encore/cpu_state.h" /* CR0_*, CR4_*, EFER_* (freestanding) */

/*
 * The layout of include/encore/bare_metal.h (BARE_*), mirrored: it pulls
 * in <stdio.h> through machine.h, which a -m32 freestanding build cannot
 * include.  Keep in sync with bare_metal.h.
 */
#define BARE_PML4 0x1000u    /* PML4, PDPT at +0x1000, 4 PDs after it */
#define BARE_GDT 0x7000u     /* null, code64 (0x08), data (0x10) */
#define BARE_STACK_TOP 0x9000u /* stack page 0x8000..0x8fff */
#define BARE_SEL_CODE 0x08
#define BARE_SEL_DATA 0x10

/* src/arch/x86/bare_metal.c: bare_metal__prepare() and cpu_state__reset(). */
#define START_CR0 (CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG)
#define START_CR4 (CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT)
#define START_EFER (EFER_LME | EFER_SCE | EFER_NXE) /* LMA follows from PG */
#define START_MXCSR 0x1f80u
#define MSR_EFER 0xc0000080u
#define PTE_P 1ull
#define PTE_W 2ull
#define PTE_PS 0x80ull

struct mb_info { u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr; };
struct mb_mod { u32 start, end, string, reserved; };
struct elf64_ehdr { u8 ident[16]; u16 type, machine; u32 version; u64 entry, phoff, shoff; u32 flags; u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx; };
struct elf64_phdr { u32 type, flags; u64 offset, vaddr, paddr, filesz, memsz, align; };
struct dtr32 { u16 limit; u32 base; } __attribute__((packed));

/* Read by long_mode in shim.S. */
u16 shim_sel_data = BARE_SEL_DATA;
u64 shim_rsp = BARE_STACK_TOP;
u64 shim_entry;

void long_mode(void);
u32 shim_main(struct mb_info *mbi);

static void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static void die(const char *s)
{
	while (*s)
		outb(0x3f8, (u8)*s++);
	outl(0xf4, 0x7e);
	for (;;)
		__asm__ volatile("hlt");
}

static void put64(u32 paddr, u64 v)
{
	*(volatile u64 *)paddr = v;
}

/* As build_identity_map() in bare_metal.c: the first 4 GiB with 2 MiB pages. */
static void build_identity_map(void)
{
	u32 pml4 = BARE_PML4, pdpt = pml4 + 0x1000, pd = pdpt + 0x1000;

	for (u32 a = pml4; a < pml4 + 6 * 0x1000; a += 8)
		put64(a, 0);
	put64(pml4, pdpt | PTE_P | PTE_W);
	for (u32 g = 0; g < 4; g++) {
		put64(pdpt + 8 * g, (pd + 0x1000 * g) | PTE_P | PTE_W);
		for (u32 k = 0; k < 512; k++)
			put64(pd + 0x1000 * g + 8 * k,
			      (((u64)g << 30) + ((u64)k << 21)) | PTE_P | PTE_W | PTE_PS);
	}
}

u32 shim_main(struct mb_info *mbi)
{
	struct mb_mod *mod;
	struct elf64_ehdr *eh;
	static const struct dtr32 gdtr = { 23, BARE_GDT }, idtr = { 0, 0 };
	static const u32 mxcsr = START_MXCSR;

	if (!(mbi->flags & 8) || mbi->mods_count < 1)
		die("shim: no guest module\n");
	mod = (struct mb_mod *)mbi->mods_addr;
	eh = (struct elf64_ehdr *)mod->start;
	if (eh->ident[0] != 0x7f || eh->ident[4] != 2)
		die("shim: module is not ELF64\n");
	for (int i = 0; i < eh->phnum; i++) {
		struct elf64_phdr *ph = (struct elf64_phdr *)(mod->start + (u32)eh->phoff + i * eh->phentsize);
		volatile u8 *dst = (u8 *)(u32)ph->paddr;
		const u8 *src = (const u8 *)(mod->start + (u32)ph->offset);

		if (ph->type != 1)
			continue;
		if (ph->paddr + ph->memsz > mod->start && ph->paddr < mod->end)
			die("shim: guest overlaps its module\n");
		for (u64 j = 0; j < ph->memsz; j++)
			dst[j] = j < ph->filesz ? src[j] : 0;
	}
	if (eh->entry >> 32)
		die("shim: entry above 4 GiB\n");
	shim_entry = eh->entry;

	build_identity_map();
	/* GDT: null, 64-bit code, data (accessed bits set, as encore's). */
	put64(BARE_GDT, 0);
	put64(BARE_GDT + 8, 0x00af9b000000ffffull);
	put64(BARE_GDT + 16, 0x00cf93000000ffffull);
	/* encore's stack page starts zeroed. */
	for (u32 a = BARE_STACK_TOP - 0x1000; a < BARE_STACK_TOP; a += 8)
		put64(a, 0);
	/* encore has no interrupt sources at boot: mask the PICs firmware set up. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);

	/* encore starts with an empty IDT (base 0, limit 0). */
	__asm__ volatile("lgdt %0; lidt %1" : : "m"(gdtr), "m"(idtr) : "memory");
	__asm__ volatile("mov %0, %%cr4" : : "r"((u32)START_CR4) : "memory");
	__asm__ volatile("mov %0, %%cr3" : : "r"((u32)BARE_PML4) : "memory");
	__asm__ volatile("wrmsr" : : "c"(MSR_EFER), "a"((u32)START_EFER), "d"(0) : "memory");
	/* PG with EFER.LME: IA-32e mode (this code is identity-mapped). */
	__asm__ volatile("mov %0, %%cr0" : : "r"((u32)START_CR0) : "memory");
	/* The x87/SSE power-on state: FCW 0x37f, FSW 0, all empty; MXCSR 0x1f80. */
	__asm__ volatile("fninit; ldmxcsr %0" : : "m"(mxcsr) : "memory");
	__asm__ volatile("ljmp %0, $long_mode" : : "i"(BARE_SEL_CODE) : "memory");
	__builtin_unreachable();
}
