/*
 * Inline helpers shared by the A64 integer handlers: retiring to the next
 * instruction, add-with-carry with NZCV, shifts, the condition table the
 * decoders precompute, and DecodeBitMasks for logical and bitfield
 * immediates.
 */
#ifndef ARM64_A64_ALU_H
#define ARM64_A64_ALU_H

#include "arch/arm64/a64_cpu.h"

#define A64_MASK32 0xffffffffull

/* Retire a non-branching instruction. */
static inline int a64_next(struct a64_cpu *c)
{
	c->pc += 4;
	return A64_OK;
}

/* The width mask of an operation: sf = 1 for 64 bits. */
static inline u64 a64_width_mask(unsigned sf)
{
	return sf ? ~0ull : A64_MASK32;
}

/* AddWithCarry(a, b, carry) on 64 bits; *nzcv gets the flags. */
static inline u64 a64_adc64(u64 a, u64 b, u64 carry, u32 *nzcv)
{
	unsigned __int128 s = (unsigned __int128)a + b + carry;
	u64 r = (u64)s;
	u32 n = (u32)(r >> 63), z = r == 0, cf = (u32)(s >> 64);
	u32 v = (u32)(((a ^ r) & (b ^ r)) >> 63);
	*nzcv = n << 31 | z << 30 | cf << 29 | v << 28;
	return r;
}

/* The same on the low 32 bits of a and b; the result is zero-extended. */
static inline u64 a64_adc32(u64 a, u64 b, u64 carry, u32 *nzcv)
{
	u64 s = (a & A64_MASK32) + (b & A64_MASK32) + carry;
	u32 r = (u32)s;
	u32 n = r >> 31, z = r == 0, cf = (u32)(s >> 32);
	u32 v = (((u32)a ^ r) & ((u32)b ^ r)) >> 31;
	*nzcv = n << 31 | z << 30 | cf << 29 | v << 28;
	return r;
}

/* N and Z of a logical result whose sign bit is bit `top`; C = V = 0. */
static inline u32 a64_nz(u64 r, unsigned top)
{
	return (u32)((r >> top) & 1) << 31 | (u32)(r == 0) << 30;
}

static inline u64 a64_ror64(u64 v, unsigned s)
{
	return (v >> (s & 63)) | (v << ((64 - s) & 63));
}

static inline u32 a64_ror32(u32 v, unsigned s)
{
	return (v >> (s & 31)) | (v << ((32 - s) & 31));
}

/* Shift types of the shifted-register forms. */
enum { A64_LSL, A64_LSR, A64_ASR, A64_ROR };

static inline u64 a64_shift64(u64 v, unsigned type, unsigned amount)
{
	switch (type) {
	case A64_LSL: return v << amount;
	case A64_LSR: return v >> amount;
	case A64_ASR: return (u64)((i64)v >> amount);
	default: return a64_ror64(v, amount);
	}
}

static inline u32 a64_shift32(u32 v, unsigned type, unsigned amount)
{
	switch (type) {
	case A64_LSL: return v << amount;
	case A64_LSR: return v >> amount;
	case A64_ASR: return (u32)((i32)v >> amount);
	default: return a64_ror32(v, amount);
	}
}

/*
 * A condition as a 16-bit table: bit k is set when the condition holds
 * for NZCV = k (bits 31:28 shifted down), so a handler tests it with one
 * shift: a64_cond_in(table, c->nzcv).
 */
static inline u16 a64_cond_table(unsigned cond)
{
	u16 t = 0;
	for (u32 k = 0; k < 16; k++)
		t |= (u16)(a64_cond_holds(k << 28, cond) << k);
	return t;
}

static inline bool a64_cond_in(u64 table, u32 nzcv)
{
	return (table >> (nzcv >> 28)) & 1;
}

/* The sign-extension of the low `bits` bits of v. */
static inline u64 a64_sext(u64 v, unsigned bits)
{
	unsigned s = 64 - bits;
	return (u64)((i64)(v << s) >> s);
}

static inline u64 a64_ones(unsigned n) /* n in 0..64 */
{
	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

/*
 * DecodeBitMasks (Arm ARM, shared pseudocode): the wmask and tmask of a
 * logical (immediate = true) or bitfield (immediate = false) encoding,
 * replicated to 64 bits and cut to `datasize`.  False for a reserved
 * encoding.
 */
static inline bool a64_decode_bit_masks(unsigned n, unsigned imms, unsigned immr, bool immediate,
					unsigned datasize, u64 *wmask, u64 *tmask)
{
	unsigned combined = n << 6 | (~imms & 0x3f);
	if (!combined)
		return false;
	unsigned len = 31 - (unsigned)__builtin_clz(combined);
	if (len < 1 || (1u << len) > datasize)
		return false;
	unsigned levels = (1u << len) - 1;
	if (immediate && (imms & levels) == levels)
		return false;
	unsigned s = imms & levels, r = immr & levels;
	unsigned d = (s - r) & levels;
	unsigned esize = 1u << len;
	u64 emask = a64_ones(esize);
	u64 welem = a64_ones(s + 1), telem = a64_ones(d + 1);
	welem = r ? ((welem >> r) | (welem << (esize - r))) & emask : welem;
	u64 w = 0, t = 0;
	for (unsigned k = 0; k < 64; k += esize) {
		w |= welem << k;
		t |= telem << k;
	}
	*wmask = w & a64_ones(datasize);
	*tmask = t & a64_ones(datasize);
	return true;
}

/*
 * The decoders of a64_atomic.c, called by a64_decode_ldst for the
 * exclusive/ordered/compare-and-swap class (bits 29:28 = 00, V = 0,
 * bit 24 = 0) and the atomic memory operations (LSE) class.
 */
void a64_decode_exclusive(u32 word, struct a64_insn *i);
void a64_decode_atomic_memop(u32 word, struct a64_insn *i);

#endif
