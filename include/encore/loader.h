/*
 * Loading guest images into a machine: reading a file, and an ELF64
 * image's PT_LOAD segments at their physical addresses.
 */
#ifndef ENCORE_LOADER_H
#define ENCORE_LOADER_H

#include "encore/machine.h"

/* Read a whole file; NULL with a message in err on failure (or if empty). */
u8 *loader__read_file(const char *path, size_t *size, char *err, size_t errlen);
bool elf__is_elf(const u8 *img, size_t size);
/* An ELF file's e_machine (EM_X86_64, EM_AARCH64), or 0 if it is none. */
u16 elf__machine(const u8 *img, size_t size);
/* Does a PT_NOTE segment hold a note from `owner` (vmlinux has "Linux")? */
bool elf__has_note(const u8 *img, size_t size, const char *owner);
/* Load an ELF64 image of the machine's architecture: its PT_LOAD segments
 * at their physical addresses, none below `lowest` (what the loader keeps
 * for itself); `path` names it in messages.  Returns 0 and *entry =
 * e_entry, or -errno with a message in err. */
int elf__load_image(struct encore_machine *m, const u8 *img, size_t size, const char *path,
		    u64 lowest, u64 *entry, char *err, size_t errlen);
/* The highest loaded physical address + 1 (BSS included); 0 if the
 * program header table is unusable. */
u64 elf__load_end(const u8 *img, size_t size);
/* e_entry translated to a physical address through its PT_LOAD segment. */
u64 elf__entry_paddr(const u8 *img, size_t size);

#endif
