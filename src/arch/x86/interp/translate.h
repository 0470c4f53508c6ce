/*
 * The translator (translate.c): decoded blocks of 64-bit code into host
 * x86-64 code, run by the plain run loop in place of exec_block.
 */
#ifndef INTERP_TRANSLATE_H
#define INTERP_TRANSLATE_H

#include <stddef.h>

#include "cpu.h"
#include "interp.h"

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

/* Where other translations enter one (the run loop's call enters before
 * it): the check that the block may run now (emit_chain_check). */
void *translate_chained_entry(block_code_fn code);

/* Point the jump whose rel32 field is at `rel32` (4-byte aligned) to `to`. */
void translate_patch_jump(u8 *rel32, const void *to);

/* A translation whose block was invalidated: every link to it now goes
 * back to the run loop, which finds the block at its RIP again.
 * Patching code another thread runs would need more than this: the vCPUs
 * of a machine run on one thread. */
void translate_unlink(block_code_fn code);

/* Called by the translation of block `from` at a jump to `target` in
 * from's first page (`site`: the jump's rel32): links the jump to the
 * translation of the block there and returns where to go on, or `lookup`
 * (the jump cache lookup that follows the jump) where no link can be
 * made, or NULL when the block is not known yet (block.c). */
const void *block_link(struct cpu *c, u8 *site, const void *lookup, u64 target,
		       const struct block *from);

#endif
