/*
 * Executable memory for the translators' host code (code_memory.c).
 */
#ifndef HOST_CODE_MEMORY_H
#define HOST_CODE_MEMORY_H

#include <stdbool.h>
#include <stddef.h>

#include "encore/types.h"

/* `size` bytes of readable, writable, executable memory, placed near
 * encore's own code when the kernel allows, so that calls from it to
 * handlers are direct (rel32); committed only as it is used.  NULL when
 * none can be had (the interpreter then runs alone). */
u8 *code_memory_map(size_t size);
void code_memory_unmap(u8 *p, size_t size);

/* Does the user want translation (not ENCORE_TRANSLATE=0), and can this
 * host run it (x86-64)? */
bool code_memory_translate_wanted(void);

#endif
