/*
 * The C half of the QEMU shim (see shim.S): load the guest ELF64 module,
 * build encore's bare-metal boot structures, return the entry point.
 * 32-bit, runs with paging off.
 */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

struct mb_info { u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr; };
struct mb_mod { u32 start, end, string, reserved; };
struct elf64_ehdr { u8 ident[16]; u16 type, machine; u32 version; u64 entry, phoff, shoff; u32 flags; u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx; };
struct elf64_phdr { u32 type, flags; u64 offset, vaddr, paddr, filesz, memsz, align; };

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

u32 shim_main(struct mb_info *mbi)
{
	struct mb_mod *mod;
	struct elf64_ehdr *eh;
	u64 *pml4 = (u64 *)0x1000, *pdpt = (u64 *)0x2000, *pd = (u64 *)0x3000, *gdt = (u64 *)0x7000;

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
	for (int i = 0; i < 512; i++) {
		pml4[i] = 0;
		pdpt[i] = 0;
	}
	pml4[0] = 0x2000 | 3;
	for (int i = 0; i < 4; i++)
		pdpt[i] = (0x3000 + 0x1000 * i) | 3;
	for (int i = 0; i < 2048; i++)
		pd[i] = ((u64)i << 21) | 0x83;
	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffull;
	gdt[2] = 0x00cf92000000ffffull;
	/* encore has no interrupt sources at boot: mask the PICs firmware set up. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	if (eh->entry >> 32)
		die("shim: entry above 4 GiB\n");
	return (u32)eh->entry;
}
