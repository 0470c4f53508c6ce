/*
 * A small x86-64 encoder for the translators (x86 translate.c, arm64
 * a64_translate.c): the handful of instruction forms they emit, with
 * memory operands [base + index*scale + disp].  Emitting past the end of the buffer sets `full` instead of
 * writing; the translator then gives the block up.
 */
#ifndef HOST_X86_64_EMIT_H
#define HOST_X86_64_EMIT_H

#include <stdbool.h>
#include <string.h>

#include "encore/types.h"

enum hreg { H_RAX, H_RCX, H_RDX, H_RBX, H_RSP, H_RBP, H_RSI, H_RDI };

#define H_NOINDEX (-1)

struct hmem {
	int base, index; /* host registers; index H_NOINDEX for none */
	unsigned scale;  /* 0..3 */
	i32 disp;
};

struct emitter {
	u8 *p, *end;
	bool full;
};

static inline struct hmem hm(int base, i32 disp)
{
	return (struct hmem){ base, H_NOINDEX, 0, disp };
}

static inline struct hmem hm_index(int base, int index, unsigned scale, i32 disp)
{
	return (struct hmem){ base, index, scale, disp };
}

static inline void e_byte(struct emitter *e, u8 b)
{
	if (e->p < e->end)
		*e->p++ = b;
	else
		e->full = true;
}

static inline void e_u32(struct emitter *e, u32 v)
{
	for (unsigned k = 0; k < 4; k++)
		e_byte(e, (u8)(v >> (8 * k)));
}

static inline void e_u64(struct emitter *e, u64 v)
{
	e_u32(e, (u32)v);
	e_u32(e, (u32)(v >> 32));
}

/* Operand size of an emitted integer instruction, in bytes. */
static inline void e_prefixes(struct emitter *e, unsigned size, unsigned reg, int base, int index,
			      bool byte_regs)
{
	if (size == 2)
		e_byte(e, 0x66);
	u8 rex = (u8)(0x40 | (size == 8 ? 8 : 0) | ((reg & 8) ? 4 : 0) |
		      (index >= 0 && (index & 8) ? 2 : 0) | (base >= 0 && (base & 8) ? 1 : 0));
	/* SPL/BPL/SIL/DIL need a REX; without one they would be AH..BH. */
	if (rex != 0x40 || (byte_regs && (reg >= 4 || base >= 4)))
		e_byte(e, rex);
}

static inline void e_opcode(struct emitter *e, u32 op)
{
	if (op > 0xffff)
		e_byte(e, (u8)(op >> 16));
	if (op > 0xff)
		e_byte(e, (u8)(op >> 8));
	e_byte(e, (u8)op);
}

/* op reg, [m] (or the reverse, as the opcode says). */
static inline void e_rm_mem(struct emitter *e, unsigned size, u32 op, unsigned reg,
			    struct hmem m)
{
	e_prefixes(e, size, reg, m.base, m.index, size == 1);
	e_opcode(e, op);
	unsigned base = (unsigned)m.base & 7;
	bool sib = m.index >= 0 || base == H_RSP;
	unsigned mod = (m.disp == 0 && base != H_RBP) ? 0 : (m.disp >= -128 && m.disp <= 127) ? 1 : 2;
	e_byte(e, (u8)(mod << 6 | (reg & 7) << 3 | (sib ? 4 : base)));
	if (sib)
		e_byte(e, (u8)(m.scale << 6 | ((m.index >= 0 ? (unsigned)m.index : 4) & 7) << 3 | base));
	if (mod == 1)
		e_byte(e, (u8)m.disp);
	else if (mod == 2)
		e_u32(e, (u32)m.disp);
}

/* op reg, rm (both registers). */
static inline void e_rm_reg(struct emitter *e, unsigned size, u32 op, unsigned reg, unsigned rm)
{
	e_prefixes(e, size, reg, (int)rm, H_NOINDEX, size == 1);
	e_opcode(e, op);
	e_byte(e, (u8)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* Loads zero-extended to 64 bits: movzx for 1 and 2 bytes. */
static inline void e_load(struct emitter *e, unsigned size, unsigned reg, struct hmem m)
{
	if (size == 1)
		e_rm_mem(e, 4, 0x0fb6, reg, m);
	else if (size == 2)
		e_rm_mem(e, 4, 0x0fb7, reg, m);
	else
		e_rm_mem(e, size, 0x8b, reg, m);
}

static inline void e_store(struct emitter *e, unsigned size, unsigned reg, struct hmem m)
{
	e_rm_mem(e, size, size == 1 ? 0x88 : 0x89, reg, m);
}

/* mov reg, imm: the shortest form for the 64-bit value. */
static inline void e_mov_imm(struct emitter *e, unsigned reg, u64 v)
{
	if (v <= 0xffffffffull) { /* mov r32, imm32 zero-extends */
		e_prefixes(e, 4, 0, (int)reg, H_NOINDEX, false);
		e_byte(e, (u8)(0xb8 + (reg & 7)));
		e_u32(e, (u32)v);
	} else if ((u64)(i64)(i32)v == v) { /* mov r64, simm32 */
		e_rm_reg(e, 8, 0xc7, 0, reg);
		e_u32(e, (u32)v);
	} else {
		e_prefixes(e, 8, 0, (int)reg, H_NOINDEX, false);
		e_byte(e, (u8)(0xb8 + (reg & 7)));
		e_u64(e, v);
	}
}

/* mov qword/dword [m], simm32 */
static inline void e_store_imm32(struct emitter *e, unsigned size, struct hmem m, u32 v)
{
	e_rm_mem(e, size, 0xc7, 0, m);
	e_u32(e, v);
}

/* ALU reg-to-rm (ADD 01, OR 09, AND 21, SUB 29, XOR 31, CMP 39) by its /digit. */
static inline void e_alu_rr(struct emitter *e, unsigned size, unsigned alu, unsigned dst,
			    unsigned src)
{
	e_rm_reg(e, size, (alu << 3) | (size == 1 ? 0 : 1), src, dst);
}

/* ALU [m] into reg (ADD 03 ... CMP 3B). */
static inline void e_alu_rm(struct emitter *e, unsigned size, unsigned alu, unsigned dst,
			    struct hmem m)
{
	e_rm_mem(e, size, (alu << 3) | (size == 1 ? 2 : 3), dst, m);
}

/* ALU reg, imm32 (81 /alu; 64-bit sign-extends the immediate). */
static inline void e_alu_ri(struct emitter *e, unsigned size, unsigned alu, unsigned reg, u32 v)
{
	if (size == 1) {
		e_rm_reg(e, 1, 0x80, alu, reg);
		e_byte(e, (u8)v);
		return;
	}
	e_rm_reg(e, size, 0x81, alu, reg);
	if (size == 2) {
		e_byte(e, (u8)v);
		e_byte(e, (u8)(v >> 8));
	} else {
		e_u32(e, v);
	}
}

/* ALU qword [m], simm32 (81 /alu). */
static inline void e_alu_mi(struct emitter *e, unsigned alu, struct hmem m, u32 v)
{
	e_rm_mem(e, 8, 0x81, alu, m);
	e_u32(e, v);
}

static inline void e_lea(struct emitter *e, unsigned reg, struct hmem m)
{
	e_rm_mem(e, 8, 0x8d, reg, m);
}

/* shr/shl/sar reg, imm8 (C1 /5, /4, /7). */
static inline void e_shift_ri(struct emitter *e, unsigned size, unsigned ext, unsigned reg, u8 n)
{
	e_rm_reg(e, size, 0xc1, ext, reg);
	e_byte(e, n);
}

/* A rel32 jump or Jcc whose target is patched later: returns the offset
 * of its rel32 field from `start`. */
static inline size_t e_jcc32(struct emitter *e, const u8 *start, unsigned cc)
{
	e_byte(e, 0x0f);
	e_byte(e, (u8)(0x80 | cc));
	size_t at = (size_t)(e->p - start);
	e_u32(e, 0);
	return at;
}

static inline size_t e_jmp32(struct emitter *e, const u8 *start)
{
	e_byte(e, 0xe9);
	size_t at = (size_t)(e->p - start);
	e_u32(e, 0);
	return at;
}

/* Point the rel32 at `at` (an offset from start) to offset `to`.  A
 * jump emitted once the buffer was full has no field to patch. */
static inline void e_patch(struct emitter *e, u8 *start, size_t at, size_t to)
{
	if (at + 4 > (size_t)(e->end - start)) {
		e->full = true;
		return;
	}
	i32 rel = (i32)((i64)to - (i64)(at + 4));
	memcpy(start + at, &rel, 4);
}

/* call rax, jmp rax: to an address known only when the code runs. */
static inline void e_call_rax(struct emitter *e)
{
	e_byte(e, 0xff);
	e_byte(e, 0xd0);
}

static inline void e_jmp_rax(struct emitter *e)
{
	e_byte(e, 0xff);
	e_byte(e, 0xe0);
}

/* call fn: rel32 when it is within reach, else through rax. */
static inline void e_call(struct emitter *e, const void *fn)
{
	i64 rel = (i64)(uintptr_t)fn - (i64)(uintptr_t)(e->p + 5);
	if (rel == (i32)rel) {
		e_byte(e, 0xe8);
		e_u32(e, (u32)rel);
		return;
	}
	e_mov_imm(e, H_RAX, (u64)(uintptr_t)fn);
	e_call_rax(e);
}

#endif
