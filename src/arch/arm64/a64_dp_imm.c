/*
 * A64 data processing (immediate): PC-relative addressing, add/subtract,
 * logical, move wide, bitfield and extract.  Bits 25:22 pick the class;
 * the decoders fold every immediate into its final form (shifted,
 * negated, bitmask-decoded), so each handler is a line or two.
 */
#include "arch/arm64/a64_alu.h"

/* ---- ADR, ADRP ----
 * rd: Xd; imm: the offset (ADRP: already << 12); imm2: the mask applied
 * to pc (ADRP clears the low 12 bits). */
static int exec_adr(struct a64_cpu *c, const struct a64_insn *i)
{
	c->x[i->rd] = (c->pc & i->imm2) + i->imm;
	return a64_next(c);
}

static void decode_pcrel(u32 w, struct a64_insn *i)
{
	bool page = w >> 31;
	u64 off = a64_sext(a64_bits(w, 23, 5) << 2 | a64_bits(w, 30, 29), 21);
	i->rd = a64_reg_dst(w);
	i->imm = page ? off << 12 : off;
	i->imm2 = page ? ~0xfffull : ~0ull;
	i->exec = exec_adr;
	i->native = A64_NAT_ADR;
}

/* ---- ADD, SUB (immediate) and the flag-setting forms ----
 * rd, rn: registers (SP for rn, and for rd without S); imm: the operand
 * (SUB: negated; SUBS: inverted, with carry-in op1 = 1); imm2: the width
 * mask (non-flag forms). */
static int exec_add_imm(struct a64_cpu *c, const struct a64_insn *i)
{
	c->x[i->rd] = (c->x[i->rn] + i->imm) & i->imm2;
	return a64_next(c);
}

static int exec_adds_imm64(struct a64_cpu *c, const struct a64_insn *i)
{
	c->x[i->rd] = a64_adc64(c->x[i->rn], i->imm, i->op1, &c->nzcv);
	return a64_next(c);
}

static int exec_adds_imm32(struct a64_cpu *c, const struct a64_insn *i)
{
	c->x[i->rd] = a64_adc32(c->x[i->rn], i->imm, i->op1, &c->nzcv);
	return a64_next(c);
}

static void decode_add_imm(u32 w, struct a64_insn *i)
{
	unsigned sf = w >> 31, sub = (w >> 30) & 1, s = (w >> 29) & 1;
	u64 v = (u64)a64_bits(w, 21, 10) << (((w >> 22) & 1) * 12);
	i->rn = a64_reg_sp(w >> 5);
	i->imm2 = a64_width_mask(sf);
	if (!s) {
		i->rd = a64_reg_sp(w);
		i->imm = sub ? -v : v;
		i->exec = exec_add_imm;
		i->native = A64_NAT_ADD_IMM;
		return;
	}
	i->rd = a64_reg_dst(w);
	i->imm = (sub ? ~v : v) & i->imm2;
	i->op1 = (u8)sub;
	i->exec = sf ? exec_adds_imm64 : exec_adds_imm32;
	i->native = A64_NAT_ADDS_IMM;
}

/* ---- AND, ORR, EOR, ANDS (immediate) ----
 * rd: Xd|SP (ANDS: Xd|XZR); rn: Xn; imm: the decoded bitmask (already
 * cut to the width); imm2: the width mask; op1: the sign bit's index. */
static int exec_and_imm(struct a64_cpu *c, const struct a64_insn *i)
{
	c->x[i->rd] = c->x[i->rn] & i->imm;
	return a64_next(c);
}

static int exec_orr_imm(struct a64_cpu *c, const struct a64_insn *i)
{
	c->x[i->rd] = (c->x[i->rn] | i->imm) & i->imm2;
	return a64_next(c);
}

static int exec_eor_imm(struct a64_cpu *c, const struct a64_insn *i)
{
	c->x[i->rd] = (c->x[i->rn] ^ i->imm) & i->imm2;
	return a64_next(c);
}

static int exec_ands_imm(struct a64_cpu *c, const struct a64_insn *i)
{
	u64 r = c->x[i->rn] & i->imm;
	c->nzcv = a64_nz(r, i->op1);
	c->x[i->rd] = r;
	return a64_next(c);
}

static void decode_logical_imm(u32 w, struct a64_insn *i)
{
	static const a64_exec_fn fns[4] = { exec_and_imm, exec_orr_imm, exec_eor_imm,
					    exec_ands_imm };
	unsigned sf = w >> 31, opc = a64_bits(w, 30, 29), n = (w >> 22) & 1;
	u64 wmask, tmask;
	if ((!sf && n) || !a64_decode_bit_masks(n, a64_bits(w, 15, 10), a64_bits(w, 21, 16), true,
						sf ? 64 : 32, &wmask, &tmask)) {
		a64_decode_undefined(i);
		return;
	}
	i->rd = opc == 3 ? a64_reg_dst(w) : a64_reg_sp(w);
	i->rn = a64_reg_zr(w >> 5);
	i->imm = wmask;
	i->imm2 = a64_width_mask(sf);
	i->op1 = sf ? 63 : 31;
	i->exec = fns[opc];
	i->native = A64_NAT_LOGIC_IMM;
	i->native_op = (u8)opc;
}

/* ---- MOVN, MOVZ, MOVK ----
 * rd: Xd; imm: the value (MOVN/MOVZ) or the shifted immediate (MOVK);
 * imm2 (MOVK): the bits of Xd kept (within the width). */
static int exec_mov_const(struct a64_cpu *c, const struct a64_insn *i)
{
	c->x[i->rd] = i->imm;
	return a64_next(c);
}

static int exec_movk(struct a64_cpu *c, const struct a64_insn *i)
{
	c->x[i->rd] = (c->x[i->rd] & i->imm2) | i->imm;
	return a64_next(c);
}

static void decode_move_wide(u32 w, struct a64_insn *i)
{
	unsigned sf = w >> 31, opc = a64_bits(w, 30, 29), hw = a64_bits(w, 22, 21);
	if (opc == 1 || (!sf && hw >= 2)) {
		a64_decode_undefined(i);
		return;
	}
	u64 mask = a64_width_mask(sf);
	u64 v = (u64)a64_bits(w, 20, 5) << (16 * hw);
	i->rd = a64_reg_dst(w);
	switch (opc) {
	case 0: /* MOVN */
		i->imm = ~v & mask;
		i->exec = exec_mov_const;
		i->native = A64_NAT_MOV_CONST;
		break;
	case 2: /* MOVZ */
		i->imm = v;
		i->exec = exec_mov_const;
		i->native = A64_NAT_MOV_CONST;
		break;
	default: /* MOVK */
		i->imm = v;
		i->imm2 = ~(0xffffull << (16 * hw)) & mask;
		i->exec = exec_movk;
		i->native = A64_NAT_MOVK;
		break;
	}
}

/* ---- SBFM, BFM, UBFM (and the LSL, LSR, ASR, SXTx, UXTx, BFI, BFXIL... aliases) ----
 * rd: Xd; rn: Xn; op1: the rotation R; op2: the source's sign bit S;
 * imm: wmask & tmask (the bits taken from the rotated source);
 * imm2: the bits of the result not taken from it (SBFM: filled with the
 * sign; BFM: kept from Xd), within the width.  From the pseudocode:
 * bot = (dst & ~wmask) | (ROR(src, R) & wmask); result = (top & ~tmask) |
 * (bot & tmask), which folds to the forms below. */
static int exec_ubfm64(struct a64_cpu *c, const struct a64_insn *i)
{
	c->x[i->rd] = a64_ror64(c->x[i->rn], i->op1) & i->imm;
	return a64_next(c);
}

static int exec_ubfm32(struct a64_cpu *c, const struct a64_insn *i)
{
	c->x[i->rd] = a64_ror32((u32)c->x[i->rn], i->op1) & i->imm;
	return a64_next(c);
}

static int exec_sbfm64(struct a64_cpu *c, const struct a64_insn *i)
{
	u64 src = c->x[i->rn];
	u64 top = -((src >> i->op2) & 1);
	c->x[i->rd] = (a64_ror64(src, i->op1) & i->imm) | (top & i->imm2);
	return a64_next(c);
}

static int exec_sbfm32(struct a64_cpu *c, const struct a64_insn *i)
{
	u64 src = c->x[i->rn];
	u64 top = -((src >> i->op2) & 1);
	c->x[i->rd] = (a64_ror32((u32)src, i->op1) & i->imm) | (top & i->imm2);
	return a64_next(c);
}

static int exec_bfm64(struct a64_cpu *c, const struct a64_insn *i)
{
	u64 bits = a64_ror64(c->x[i->rn], i->op1) & i->imm;
	c->x[i->rd] = (c->x[i->rd] & i->imm2) | bits;
	return a64_next(c);
}

static int exec_bfm32(struct a64_cpu *c, const struct a64_insn *i)
{
	u64 bits = a64_ror32((u32)c->x[i->rn], i->op1) & i->imm;
	c->x[i->rd] = (c->x[i->rd] & i->imm2) | bits;
	return a64_next(c);
}

static void decode_bitfield(u32 w, struct a64_insn *i)
{
	static const a64_exec_fn fns[2][3] = {
		{ exec_sbfm32, exec_bfm32, exec_ubfm32 },
		{ exec_sbfm64, exec_bfm64, exec_ubfm64 },
	};
	unsigned sf = w >> 31, opc = a64_bits(w, 30, 29), n = (w >> 22) & 1;
	unsigned immr = a64_bits(w, 21, 16), imms = a64_bits(w, 15, 10);
	u64 wmask, tmask;
	if (opc == 3 || n != sf || (!sf && ((immr | imms) & 0x20)) ||
	    !a64_decode_bit_masks(n, imms, immr, false, sf ? 64 : 32, &wmask, &tmask)) {
		a64_decode_undefined(i);
		return;
	}
	u64 mask = a64_width_mask(sf);
	i->rd = a64_reg_dst(w);
	i->rn = a64_reg_zr(w >> 5);
	i->op1 = (u8)immr;
	i->op2 = (u8)imms;
	i->imm = wmask & tmask;
	i->imm2 = opc == 0 ? ~tmask & mask : ~i->imm & mask;
	i->exec = fns[sf][opc];
	if (opc != 1)
		i->native = opc == 2 ? A64_NAT_UBFM : A64_NAT_SBFM;
}

/* ---- EXTR (and ROR (immediate)) ----
 * rd: Xd; rn, rm: the high and low halves of the concatenation; op1: lsb. */
static int exec_extr64(struct a64_cpu *c, const struct a64_insn *i)
{
	u64 hi = c->x[i->rn], lo = c->x[i->rm];
	c->x[i->rd] = (lo >> i->op1) | ((hi << 1) << (63 - i->op1));
	return a64_next(c);
}

static int exec_extr32(struct a64_cpu *c, const struct a64_insn *i)
{
	u64 cat = c->x[i->rn] << 32 | (c->x[i->rm] & A64_MASK32);
	c->x[i->rd] = (cat >> i->op1) & A64_MASK32;
	return a64_next(c);
}

static void decode_extract(u32 w, struct a64_insn *i)
{
	unsigned sf = w >> 31, n = (w >> 22) & 1, imms = a64_bits(w, 15, 10);
	if (a64_bits(w, 30, 29) || (w >> 21) & 1 || n != sf || (!sf && imms >= 32)) {
		a64_decode_undefined(i);
		return;
	}
	i->rd = a64_reg_dst(w);
	i->rn = a64_reg_zr(w >> 5);
	i->rm = a64_reg_zr(w >> 16);
	i->op1 = (u8)imms;
	i->exec = sf ? exec_extr64 : exec_extr32;
	i->native = A64_NAT_EXTR;
}

void a64_decode_dp_imm(u32 word, struct a64_insn *i)
{
	switch (a64_bits(word, 25, 22)) {
	case 0x0: case 0x1: case 0x2: case 0x3:
		decode_pcrel(word, i);
		return;
	case 0x4: case 0x5:
		decode_add_imm(word, i);
		return;
	case 0x8: case 0x9:
		decode_logical_imm(word, i);
		return;
	case 0xa: case 0xb:
		decode_move_wide(word, i);
		return;
	case 0xc: case 0xd:
		decode_bitfield(word, i);
		return;
	case 0xe: case 0xf:
		decode_extract(word, i);
		return;
	default: /* 0110 add/subtract with tags (MTE), 0111 min/max (CSSC) */
		a64_decode_undefined(i);
		return;
	}
}
