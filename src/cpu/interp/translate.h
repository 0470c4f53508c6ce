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

/* A translated block's entry (see translate.c for what it expects). */
typedef void (*block_code_fn)(struct cpu *c);

/* Translate b into host code at dst (room bytes at most): the bytes used,
 * or 0 where b is better left to the interpreter. */
size_t translate_block(const struct block *b, u8 *dst, size_t room);

#endif
