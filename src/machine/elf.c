/* Loading an ELF64 executable's PT_LOAD segments into guest RAM. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encore/loader.h"

static int fail(char *err, size_t n, int code, const char *fmt, const char *path)
{
	snprintf(err, n, fmt, path);
	return code;
}

/* Every byte of [paddr, paddr+len) must be guest RAM. */
static bool ram_range_ok(struct encore_machine *m, u64 paddr, u64 len)
{
	if (len == 0)
		return true;
	u8 *a = machine__ram_ptr(m, paddr), *b = machine__ram_ptr(m, paddr + len - 1);
	return a && b && b - a == (i64)(len - 1);
}

static int load_segments(struct encore_machine *m, const u8 *img, size_t size, const Elf64_Ehdr *eh,
			 u64 lowest, char *err, size_t errlen)
{
	for (unsigned k = 0; k < eh->e_phnum; k++) {
		const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff + (size_t)k * eh->e_phentsize);
		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_filesz > ph->p_memsz || ph->p_offset > size || ph->p_filesz > size - ph->p_offset) {
			snprintf(err, errlen, "segment %u lies outside the file", k);
			return -EINVAL;
		}
		if (!ram_range_ok(m, ph->p_paddr, ph->p_memsz)) {
			snprintf(err, errlen, "segment %u at physical %#llx+%#llx is outside guest RAM "
				 "(try a larger --mem)", k, (unsigned long long)ph->p_paddr,
				 (unsigned long long)ph->p_memsz);
			return -ENOMEM;
		}
		if (ph->p_paddr < lowest) {
			snprintf(err, errlen, "segment %u at physical %#llx overlaps encore's boot area "
				 "below %#llx", k, (unsigned long long)ph->p_paddr,
				 (unsigned long long)lowest);
			return -EINVAL;
		}
		u8 *dst = machine__ram_ptr(m, ph->p_paddr);
		memcpy(dst, img + ph->p_offset, ph->p_filesz);
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
		machine__note_ram_range(m, ph->p_paddr, ph->p_memsz);
	}
	return 0;
}

u8 *loader__read_file(const char *path, size_t *size, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fail(err, errlen, 0, "cannot open %s", path);
		return NULL;
	}
	long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	u8 *img = n > 0 ? malloc(n) : NULL;
	if (!img || fseek(f, 0, SEEK_SET) || fread(img, 1, n, f) != (size_t)n) {
		fail(err, errlen, 0, n == 0 ? "%s is empty" : "cannot read %s", path);
		free(img);
		img = NULL;
	}
	fclose(f);
	*size = img ? (size_t)n : 0;
	return img;
}

/* The first program header, if the table lies inside the image. */
static const Elf64_Phdr *program_headers(const u8 *img, size_t size)
{
	const Elf64_Ehdr *eh = (const void *)img;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > (u64)size ||
	    (u64)eh->e_phnum * sizeof(Elf64_Phdr) > (u64)size - eh->e_phoff)
		return NULL;
	return (const void *)(img + eh->e_phoff);
}

bool elf__is_elf(const u8 *img, size_t size)
{
	return size >= sizeof(Elf64_Ehdr) && !memcmp(img, ELFMAG, SELFMAG);
}

u16 elf__machine(const u8 *img, size_t size)
{
	if (!elf__is_elf(img, size))
		return 0;
	return ((const Elf64_Ehdr *)img)->e_machine;
}

/* Does a note in one of the PT_NOTE segments carry this owner name? */
static bool note_segment_has(const u8 *p, u64 len, const char *owner)
{
	size_t olen = strlen(owner) + 1;
	while (len >= sizeof(Elf64_Nhdr)) {
		const Elf64_Nhdr *nh = (const void *)p;
		u64 name_sz = (nh->n_namesz + 3) & ~3ull, desc_sz = (nh->n_descsz + 3) & ~3ull;
		u64 total = sizeof(*nh) + name_sz + desc_sz;
		if (total > len)
			return false;
		if (nh->n_namesz == olen && !memcmp(p + sizeof(*nh), owner, olen))
			return true;
		p += total;
		len -= total;
	}
	return false;
}

bool elf__has_note(const u8 *img, size_t size, const char *owner)
{
	if (!elf__is_elf(img, size))
		return false;
	const Elf64_Ehdr *eh = (const void *)img;
	const Elf64_Phdr *ph = program_headers(img, size);
	for (unsigned k = 0; ph && k < eh->e_phnum; k++)
		if (ph[k].p_type == PT_NOTE && ph[k].p_offset <= size &&
		    ph[k].p_filesz <= size - ph[k].p_offset &&
		    note_segment_has(img + ph[k].p_offset, ph[k].p_filesz, owner))
			return true;
	return false;
}

u64 elf__load_end(const u8 *img, size_t size)
{
	const Elf64_Ehdr *eh = (const void *)img;
	const Elf64_Phdr *ph = elf__is_elf(img, size) ? program_headers(img, size) : NULL;
	u64 end = 0;
	for (unsigned k = 0; ph && k < eh->e_phnum; k++)
		if (ph[k].p_type == PT_LOAD && ph[k].p_paddr + ph[k].p_memsz > end)
			end = ph[k].p_paddr + ph[k].p_memsz;
	return end;
}

u64 elf__entry_paddr(const u8 *img, size_t size)
{
	const Elf64_Ehdr *eh = (const void *)img;
	const Elf64_Phdr *ph = elf__is_elf(img, size) ? program_headers(img, size) : NULL;
	for (unsigned k = 0; ph && k < eh->e_phnum; k++)
		if (ph[k].p_type == PT_LOAD && eh->e_entry >= ph[k].p_vaddr &&
		    eh->e_entry - ph[k].p_vaddr < ph[k].p_memsz)
			return eh->e_entry - ph[k].p_vaddr + ph[k].p_paddr;
	return eh->e_entry;
}

int elf__load_image(struct encore_machine *m, const u8 *img, size_t size, const char *path,
		    u64 lowest, u64 *entry, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = (const void *)img;
	int r;
	if (!elf__is_elf(img, size))
		r = fail(err, errlen, -EINVAL, "%s is not an ELF file", path);
	else if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != m->arch->elf_machine) {
		snprintf(err, errlen, "%s is not an ELF64 file for %s", path, m->arch->name);
		r = -EINVAL;
	} else if (!program_headers(img, size))
		r = fail(err, errlen, -EINVAL, "%s has a corrupt program header table", path);
	else
		r = load_segments(m, img, size, eh, lowest, err, errlen);
	if (r == 0)
		*entry = eh->e_entry;
	return r;
}
