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
 * A translated block, run from its first instruction with c->pc there:
 * A64_OK when every instruction retired, else the status of the one that
 * ended the run (A64_EXC, A64_WAIT, A64_STOP) | its index << 8.  c->pc
 * and c->insns are then exactly what running the handlers one by one
 * leaves; the caller takes care of what the engine does on an exception
 * (as it does after run_block).
 */
typedef u32 (*a64_block_code)(struct a64_cpu *c);

/* Translate b into host code at dst (room bytes at most) for running at
 * exception level `el` (memory accesses check that EL's TLB rights):
 * the bytes used, or 0 when it does not fit. */
size_t a64_translate_block(const struct a64_block *b, unsigned el, u8 *dst, size_t room);

#endif
