/*
 * The translator (translate.c): decoded blocks of 64-bit code into host
 * x86-64 code, run by the plain run loop in place of exec_block.
 */
#ifndef INTERP_TRANSLATE_H
#define INTERP_TRANSLATE_H

#include <stddef.h>

#include "cpu.h"

struct block;

/* Host code of one block never needs more than this. */
#define TRANSLATE_MAX_CODE (32u << 10)

/* The hooks a translation calls where the interpreter would: on_block_ran
 * after each run, on_block before each block as hooks see it, on_mem at
 * each access.  Per-instruction hooks (on_insn) have no translations. */
enum code_hooks {
	CODE_HOOKS_RAN = 1,
	CODE_HOOKS_BLOCK = 2,
	CODE_HOOKS_MEM = 4,   /* on_mem: accesses that hit call it (emit_mem_hook) */
	CODE_HOOKS_COUNT = 8, /* with RAN: runs add 1 to a count at the handle (count_runs) */
	CODE_HOOKS_NONE = 0xff,
};

/* Translate b into host code at dst (room bytes at most): the bytes used,
 * or 0 where b is better left to the interpreter.  It calls the hooks of
 * `hooks` (enum code_hooks) and goes on only to translations that call
 * the same. */
size_t translate_block(const struct block *b, u8 *dst, size_t room, unsigned hooks);

#endif
