/* Decoder entry points shared by the block builder and the tests. */
#ifndef INTERP_DECODE_H
#define INTERP_DECODE_H

#include "cpu.h"

/* 0, EXC_UD (invalid encoding), EXC_GP (> 15 bytes) or -1 (needs more bytes). */
int decode_bytes(const u8 *bytes, unsigned avail, bool mode64, bool default32, struct insn *i);
/* Fill i->fn from the registered selectors (insn_ud when none). */
void decode_select(struct insn *i);
/* Name an opcode was registered under, or NULL. */
const char *op_name(unsigned map, u8 opcode);

#endif
