/* Executable memory for translations (code_memory.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "host/code_memory.h"

u8 *code_memory_map(size_t size)
{
	uintptr_t near = ((uintptr_t)&code_memory_map & ~(uintptr_t)0xfffff) - (size + (1u << 30));
	void *p = mmap((void *)near, size, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void code_memory_unmap(u8 *p, size_t size)
{
	if (p)
		munmap(p, size);
}

bool code_memory_translate_wanted(void)
{
#if defined(__x86_64__)
	const char *v = getenv("ENCORE_TRANSLATE");
	return !v || strcmp(v, "0") != 0;
#else
	return false;
#endif
}
