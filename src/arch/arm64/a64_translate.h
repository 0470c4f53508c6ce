/*
 * The A64 translator (a64_translate.c): a decoded block becomes host
 * x86-64 code that does what the engine's run_block does with it.
 */
#ifndef ARM64_A64_TRANSLATE_H
#define ARM64_A64_TRANSLATE_H

#include <stddef.h>

#include "arch/arm64/a64_cpu.h"

struct a64_block;

/* Host code of one block never needs more than this. */
#define A64_TRANSLATE_MAX_CODE (16u << 10)

/*
 * A translated block, run from its first instruction with c->pc there.
 * It goes on into the translations it is linked to (a64_translate_link)
 * while their blocks fit c->chain_limit.  Returns A64_OK when the last
 * block ran whole, else the status of the instruction that ended the run
 * (A64_EXC, A64_WAIT, A64_STOP) | its encoding << 32.  c->pc and
 * c->insns are then exactly what running the handlers one by one leaves;
 * the caller does what the engine does on an exception (as after
 * run_block).
 */
typedef u64 (*a64_block_code)(struct a64_cpu *c);

/* Where a linked translation enters another (a64_translate.c's
 * emit_entries says what it checks first). */
#define A64_CHAINED_ENTRY 9

/* Translate b into host code at dst (room bytes at most) for running at
 * exception level `el` (memory accesses check that EL's TLB rights);
 * `frame_gen` is the generation counter of b's frame: the bytes used, or
 * 0 when it does not fit. */
size_t a64_translate_block(const struct a64_block *b, unsigned el, const u32 *frame_gen,
			   u8 *dst, size_t room);

#endif
