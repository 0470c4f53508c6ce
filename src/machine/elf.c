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
			 char *err, size_t errlen)
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
		if (ph->p_paddr < BARE_RESERVED_END) {
			snprintf(err, errlen, "segment %u at physical %#llx overlaps encore's boot area "
				 "below %#llx", k, (unsigned long long)ph->p_paddr, BARE_RESERVED_END);
			return -EINVAL;
		}
		u8 *dst = machine__ram_ptr(m, ph->p_paddr);
		memcpy(dst, img + ph->p_offset, ph->p_filesz);
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	}
	return 0;
}

int elf__load(struct encore_machine *m, const char *path, u64 *entry, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return fail(err, errlen, -errno, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	u8 *img = size > 0 ? malloc(size) : NULL;
	if (!img || fread(img, 1, size, f) != (size_t)size) {
		fclose(f);
		free(img);
		return fail(err, errlen, -EIO, "cannot read %s", path);
	}
	fclose(f);
	const Elf64_Ehdr *eh = (const void *)img;
	int r = 0;
	if ((size_t)size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		r = fail(err, errlen, -EINVAL, "%s is not an ELF file", path);
	else if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64)
		r = fail(err, errlen, -EINVAL, "%s is not an x86-64 ELF64 file", path);
	else if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > (u64)size ||
		 (u64)eh->e_phnum * sizeof(Elf64_Phdr) > (u64)size - eh->e_phoff)
		r = fail(err, errlen, -EINVAL, "%s has a corrupt program header table", path);
	else
		r = load_segments(m, img, size, eh, err, errlen);
	if (r == 0)
		*entry = eh->e_entry;
	free(img);
	return r;
}
