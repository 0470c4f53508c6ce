/*
 * Loading guests into a machine.  A bare-metal guest is a freestanding
 * x86-64 ELF: PT_LOAD segments go to their physical addresses and the CPU
 * starts at e_entry in 64-bit mode with the first 4 GiB identity-mapped.
 */
#ifndef ENCORE_LOADER_H
#define ENCORE_LOADER_H

#include "encore/machine.h"

/* encore's own boot structures for bare-metal guests live here. */
#define BARE_PML4 0x1000ull    /* PML4, PDPT at +0x1000, 4 PDs after it */
#define BARE_GDT 0x7000ull     /* null, code64 (0x08), data (0x10) */
#define BARE_STACK_TOP 0x9000ull /* stack page 0x8000..0x8fff */
#define BARE_RESERVED_END 0x10000ull /* guests load at or above 64 KiB */
#define BARE_SEL_CODE 0x08
#define BARE_SEL_DATA 0x10

#include "encore/cpu_reset.h"

/*
 * Build the identity map, GDT and stack in guest RAM and fill `s` with a
 * 64-bit, CPL 0, interrupts-off state whose RIP is `entry`.
 */
int bare_metal__prepare(struct encore_machine *m, struct encore_cpu_state *s, u64 entry);

/* Read a whole file; NULL with a message in err on failure (or if empty). */
u8 *loader__read_file(const char *path, size_t *size, char *err, size_t errlen);
bool elf__is_elf(const u8 *img, size_t size);
/* Does a PT_NOTE segment hold a note from `owner` (vmlinux has "Linux")? */
bool elf__has_note(const u8 *img, size_t size, const char *owner);
/* Load an ELF64 image's PT_LOAD segments at their physical addresses
 * (`path` names it in messages); returns 0 and *entry = e_entry, or -errno
 * with a message in err. */
int elf__load_image(struct encore_machine *m, const u8 *img, size_t size, const char *path,
		    u64 *entry, char *err, size_t errlen);
/* The highest loaded physical address + 1 (BSS included); 0 if the
 * program header table is unusable. */
u64 elf__load_end(const u8 *img, size_t size);
/* e_entry translated to a physical address through its PT_LOAD segment. */
u64 elf__entry_paddr(const u8 *img, size_t size);

/* The identity map of the first 4 GiB (2 MiB pages) at BARE_PML4. */
void bare_metal__identity_map(struct encore_machine *m);

#endif
