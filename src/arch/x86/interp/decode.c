/*
 * x86 instruction decoder.  The opcode tables below describe the encoding
 * of every opcode (ModRM, immediates, operand-size rules) whether or not
 * the interpreter implements it, so lengths are always right; the handler
 * comes from the selector that an ops_*.c file registered.
 */
#include <string.h>

#include "decode.h"
#include "interp.h"
#include "ops.h"

/* Encoding flags of one opcode. */
enum {
	E_M = 1 << 0,      /* has ModRM */
	E_I8 = 1 << 1,     /* imm8 */
	E_I16 = 1 << 2,    /* imm16 */
	E_IZ = 1 << 3,     /* imm16 or imm32 by operand size */
	E_IV = 1 << 4,     /* imm16/32/64 by operand size (MOV r, imm) */
	E_MO = 1 << 5,     /* moffs: address-size offset */
	E_AP = 1 << 6,     /* far pointer: offset (16/32) + selector */
	E_B = 1 << 7,      /* byte operands */
	E_D64 = 1 << 8,    /* default operand size 64 in 64-bit mode */
	E_F64 = 1 << 9,    /* operand size forced to 64 in 64-bit mode */
	E_INV64 = 1 << 10, /* invalid in 64-bit mode */
	E_INV = 1 << 11,   /* invalid in every mode */
	E_PFX = 1 << 12,   /* a prefix byte */
	E_ESC = 1 << 13,   /* opcode escape (0F, 0F 38, 0F 3A) */
	E_GRP3 = 1 << 14,  /* F6/F7: /0 and /1 carry an immediate */
	E_MREG = 1 << 15,  /* ModRM always names registers (MOV CR/DR) */
	E_END = 1 << 16,   /* ends a decoded block */
	E_ENTER = 1 << 17, /* imm16 + imm8 */
	E_VEX = 1 << 18,   /* C4/C5: VEX in 64-bit mode */
};

#define ALU6(b) [b] = E_M | E_B, [b + 1] = E_M, [b + 2] = E_M | E_B, [b + 3] = E_M, \
		[b + 4] = E_I8 | E_B, [b + 5] = E_IZ
#define R8(b, f) [b] = f, [b + 1] = f, [b + 2] = f, [b + 3] = f, [b + 4] = f, [b + 5] = f, \
		[b + 6] = f, [b + 7] = f
#define R16(b, f) R8(b, f), R8(b + 8, f)

static const u32 enc_1b[256] = {
	ALU6(0x00), [0x06] = E_INV64, [0x07] = E_INV64,
	ALU6(0x08), [0x0e] = E_INV64, [0x0f] = E_ESC,
	ALU6(0x10), [0x16] = E_INV64, [0x17] = E_INV64,
	ALU6(0x18), [0x1e] = E_INV64, [0x1f] = E_INV64,
	ALU6(0x20), [0x26] = E_PFX, [0x27] = E_INV64,
	ALU6(0x28), [0x2e] = E_PFX, [0x2f] = E_INV64,
	ALU6(0x30), [0x36] = E_PFX, [0x37] = E_INV64,
	ALU6(0x38), [0x3e] = E_PFX, [0x3f] = E_INV64,
	R16(0x40, 0), /* REX in 64-bit mode, INC/DEC in 32-bit mode */
	R16(0x50, E_D64),
	[0x60] = E_INV64, [0x61] = E_INV64, [0x62] = E_INV64 | E_M, [0x63] = E_M,
	[0x64] = E_PFX, [0x65] = E_PFX, [0x66] = E_PFX, [0x67] = E_PFX,
	[0x68] = E_IZ | E_D64, [0x69] = E_M | E_IZ, [0x6a] = E_I8 | E_D64, [0x6b] = E_M | E_I8,
	[0x6c] = E_B, [0x6d] = 0, [0x6e] = E_B, [0x6f] = 0,
	R16(0x70, E_I8 | E_F64 | E_END),
	[0x80] = E_M | E_I8 | E_B, [0x81] = E_M | E_IZ, [0x82] = E_M | E_I8 | E_B | E_INV64,
	[0x83] = E_M | E_I8,
	[0x84] = E_M | E_B, [0x85] = E_M, [0x86] = E_M | E_B, [0x87] = E_M,
	[0x88] = E_M | E_B, [0x89] = E_M, [0x8a] = E_M | E_B, [0x8b] = E_M,
	[0x8c] = E_M, [0x8d] = E_M, [0x8e] = E_M | E_END, [0x8f] = E_M | E_D64,
	R8(0x90, 0), [0x98] = 0, [0x99] = 0, [0x9a] = E_AP | E_INV64 | E_END, [0x9b] = 0,
	[0x9c] = E_D64, [0x9d] = E_D64 | E_END, [0x9e] = 0, [0x9f] = 0,
	[0xa0] = E_MO | E_B, [0xa1] = E_MO, [0xa2] = E_MO | E_B, [0xa3] = E_MO,
	[0xa4] = E_B, [0xa6] = E_B, [0xa8] = E_I8 | E_B, [0xa9] = E_IZ,
	[0xaa] = E_B, [0xac] = E_B, [0xae] = E_B,
	R8(0xb0, E_I8 | E_B), R8(0xb8, E_IV),
	[0xc0] = E_M | E_I8 | E_B, [0xc1] = E_M | E_I8, [0xc2] = E_I16 | E_F64 | E_END,
	[0xc3] = E_F64 | E_END, [0xc4] = E_M | E_VEX | E_INV64, [0xc5] = E_M | E_VEX | E_INV64,
	[0xc6] = E_M | E_I8 | E_B, [0xc7] = E_M | E_IZ, [0xc8] = E_ENTER | E_D64,
	[0xc9] = E_D64, [0xca] = E_I16 | E_END, [0xcb] = E_END, [0xcc] = E_END,
	[0xcd] = E_I8 | E_END, [0xce] = E_INV64 | E_END, [0xcf] = E_END,
	[0xd0] = E_M | E_B, [0xd1] = E_M, [0xd2] = E_M | E_B, [0xd3] = E_M,
	[0xd4] = E_I8 | E_INV64, [0xd5] = E_I8 | E_INV64, [0xd6] = E_INV64, [0xd7] = 0,
	R8(0xd8, E_M),
	[0xe0] = E_I8 | E_F64 | E_END, [0xe1] = E_I8 | E_F64 | E_END,
	[0xe2] = E_I8 | E_F64 | E_END, [0xe3] = E_I8 | E_F64 | E_END,
	[0xe4] = E_I8 | E_B | E_END, [0xe5] = E_I8 | E_END, [0xe6] = E_I8 | E_B | E_END,
	[0xe7] = E_I8 | E_END, [0xe8] = E_IZ | E_F64 | E_END, [0xe9] = E_IZ | E_F64 | E_END,
	[0xea] = E_AP | E_INV64 | E_END, [0xeb] = E_I8 | E_F64 | E_END,
	[0xec] = E_B | E_END, [0xed] = E_END, [0xee] = E_B | E_END, [0xef] = E_END,
	[0xf0] = E_PFX, [0xf1] = E_END, [0xf2] = E_PFX, [0xf3] = E_PFX, [0xf4] = E_END,
	[0xf5] = 0, [0xf6] = E_M | E_B | E_GRP3, [0xf7] = E_M | E_GRP3,
	[0xf8] = 0, [0xf9] = 0, [0xfa] = E_END, [0xfb] = E_END, [0xfc] = 0, [0xfd] = 0,
	[0xfe] = E_M | E_B, [0xff] = E_M | E_END,
};

static const u32 enc_0f[256] = {
	[0x00] = E_M | E_END, [0x01] = E_M | E_END, [0x02] = E_M, [0x03] = E_M,
	[0x04] = E_INV, [0x05] = E_END, [0x06] = E_END, [0x07] = E_END,
	[0x08] = E_END, [0x09] = E_END, [0x0a] = E_INV, [0x0b] = E_END, [0x0c] = E_INV,
	[0x0d] = E_M, [0x0e] = E_INV, [0x0f] = E_INV, /* 3DNow! is not supported */
	R16(0x10, E_M),
	[0x20] = E_M | E_MREG | E_END, [0x21] = E_M | E_MREG | E_END,
	[0x22] = E_M | E_MREG | E_END, [0x23] = E_M | E_MREG | E_END,
	[0x24] = E_INV, [0x25] = E_INV, [0x26] = E_INV, [0x27] = E_INV,
	R8(0x28, E_M),
	[0x30] = E_END, [0x31] = 0, [0x32] = 0, [0x33] = 0, [0x34] = E_END, [0x35] = E_END,
	[0x36] = E_INV, [0x37] = 0, [0x38] = E_ESC, [0x39] = E_INV, [0x3a] = E_ESC,
	[0x3b] = E_INV, [0x3c] = E_INV, [0x3d] = E_INV, [0x3e] = E_INV, [0x3f] = E_INV,
	R16(0x40, E_M), R16(0x50, E_M), R16(0x60, E_M),
	[0x70] = E_M | E_I8, [0x71] = E_M | E_I8, [0x72] = E_M | E_I8, [0x73] = E_M | E_I8,
	[0x74] = E_M, [0x75] = E_M, [0x76] = E_M, [0x77] = 0,
	[0x78] = E_M, [0x79] = E_M, [0x7a] = E_INV, [0x7b] = E_INV,
	[0x7c] = E_M, [0x7d] = E_M, [0x7e] = E_M, [0x7f] = E_M,
	R16(0x80, E_IZ | E_F64 | E_END),
	R16(0x90, E_M | E_B),
	[0xa0] = E_D64, [0xa1] = E_D64 | E_END, [0xa2] = 0, [0xa3] = E_M,
	[0xa4] = E_M | E_I8, [0xa5] = E_M, [0xa6] = E_INV, [0xa7] = E_INV,
	[0xa8] = E_D64, [0xa9] = E_D64 | E_END, [0xaa] = E_END, [0xab] = E_M,
	[0xac] = E_M | E_I8, [0xad] = E_M, [0xae] = E_M | E_END, [0xaf] = E_M,
	[0xb0] = E_M | E_B, [0xb1] = E_M, [0xb2] = E_M | E_END, [0xb3] = E_M,
	[0xb4] = E_M | E_END, [0xb5] = E_M | E_END, [0xb6] = E_M, [0xb7] = E_M,
	[0xb8] = E_M, [0xb9] = E_M, [0xba] = E_M | E_I8, [0xbb] = E_M,
	[0xbc] = E_M, [0xbd] = E_M, [0xbe] = E_M, [0xbf] = E_M,
	[0xc0] = E_M | E_B, [0xc1] = E_M, [0xc2] = E_M | E_I8, [0xc3] = E_M,
	[0xc4] = E_M | E_I8, [0xc5] = E_M | E_I8, [0xc6] = E_M | E_I8, [0xc7] = E_M,
	R8(0xc8, 0),
	R16(0xd0, E_M), R16(0xe0, E_M), R16(0xf0, E_M),
};

/* 0F 38 has ModRM and no immediate; 0F 3A has ModRM and imm8. */

static struct {
	select_fn sel;
	const char *name;
} op_table[MAP_COUNT][256];

void op_register(enum op_map map, u8 opcode, select_fn sel, const char *name)
{
	op_table[map][opcode].sel = sel;
	op_table[map][opcode].name = name;
}

const char *op_name(unsigned map, u8 opcode)
{
	return map < MAP_COUNT ? op_table[map][opcode].name : NULL;
}

static u32 enc_flags(unsigned map, u8 op, bool mode64)
{
	u32 f;
	switch (map) {
	case MAP_1B: f = enc_1b[op]; break;
	case MAP_0F: f = enc_0f[op]; break;
	case MAP_0F38: f = E_M; break;
	default: f = E_M | E_I8; break;
	}
	if (!mode64 && (f & E_INV64)) {
		f &= ~(E_INV64 | E_VEX);
		if (map == MAP_1B && (op == 0xd4 || op == 0xd5))
			f |= E_I8;
	}
	return f;
}

struct decoder {
	const u8 *bytes;
	unsigned avail, pos;
	bool mode64;
	bool default32; /* compat mode: CS.D */
	u8 rex;
	bool seg_override; /* a prefix chose i->seg */
	int error;
};

static int next_byte(struct decoder *d)
{
	if (d->pos >= 15) {
		d->error = EXC_GP; /* longer than 15 bytes */
		return -1;
	}
	if (d->pos >= d->avail) {
		d->error = -1; /* needs more bytes than are available */
		return -1;
	}
	return d->bytes[d->pos++];
}

static u64 next_le(struct decoder *d, unsigned n)
{
	u64 v = 0;
	for (unsigned k = 0; k < n; k++) {
		int b = next_byte(d);
		if (b < 0)
			return 0;
		v |= (u64)b << (8 * k);
	}
	return v;
}

static void decode_modrm16(struct decoder *d, struct insn *i, u8 mod, u8 rm)
{
	static const u8 base16[8] = { REG_RBX, REG_RBX, REG_RBP, REG_RBP, REG_RSI, REG_RDI,
				      REG_RBP, REG_RBX };
	static const u8 index16[8] = { EA_REG(REG_RSI), EA_REG(REG_RDI), EA_REG(REG_RSI),
				       EA_REG(REG_RDI), EA_NONE, EA_NONE, EA_NONE, EA_NONE };
	i->ea_base = EA_REG(base16[rm]);
	i->ea_index = index16[rm];
	i->scale = 0;
	if (mod == 0 && rm == 6) {
		i->ea_base = EA_NONE;
		i->disp = (i16)next_le(d, 2);
	} else if (mod == 1) {
		i->disp = (i8)next_le(d, 1);
	} else if (mod == 2) {
		i->disp = (i16)next_le(d, 2);
	}
	if (i->ea_base == EA_REG(REG_RBP))
		i->seg = SEG_SS;
}

static void decode_modrm_mem(struct decoder *d, struct insn *i, u8 mod, u8 rm)
{
	u8 rexb = (d->rex & 1) << 3, rexx = (d->rex & 2) << 2;
	i->ea_index = EA_NONE;
	i->scale = 0;
	if (rm == 4) {
		int sib = next_byte(d);
		if (sib < 0)
			return;
		u8 base = sib & 7, index = ((sib >> 3) & 7) | rexx;
		i->scale = sib >> 6;
		if (index != REG_RSP)
			i->ea_index = EA_REG(index);
		if (base == 5 && mod == 0) {
			i->ea_base = EA_NONE;
			i->disp = (i32)next_le(d, 4);
		} else {
			i->ea_base = EA_REG(base | rexb);
		}
	} else if (rm == 5 && mod == 0) {
		i->ea_base = d->mode64 ? EA_RIP : EA_NONE;
		i->disp = (i32)next_le(d, 4);
	} else {
		i->ea_base = EA_REG(rm | rexb);
	}
	if (mod == 1)
		i->disp = (i8)next_le(d, 1);
	else if (mod == 2)
		i->disp = (i32)next_le(d, 4);
	if (i->ea_base == EA_REG(REG_RSP) || i->ea_base == EA_REG(REG_RBP))
		i->seg = SEG_SS;
}

static void decode_modrm(struct decoder *d, struct insn *i, u32 f)
{
	int m = next_byte(d);
	if (m < 0)
		return;
	u8 mod = m >> 6, reg = (m >> 3) & 7, rm = m & 7;
	i->modrm = m;
	i->ext = reg;
	i->reg = reg | ((d->rex & 4) << 1);
	if (mod == 3 || (f & E_MREG)) {
		i->rm = rm | ((d->rex & 1) << 3);
		return;
	}
	i->rm = RM_MEM;
	if (i->addrsize == 2)
		decode_modrm16(d, i, mod, rm);
	else
		decode_modrm_mem(d, i, mod, rm);
}

static void decode_operand_size(struct decoder *d, struct insn *i, u32 f)
{
	bool opsize_pfx = i->pfx & PFX_OPSIZE;
	if (f & E_B)
		i->opsize = 1;
	else if (d->mode64 && (f & E_F64))
		i->opsize = 8;
	else if (d->rex & 8)
		i->opsize = 8;
	else if (d->mode64)
		i->opsize = opsize_pfx ? 2 : (f & E_D64) ? 8 : 4;
	else
		i->opsize = (d->default32 ^ opsize_pfx) ? 4 : 2;
}

static void decode_immediates(struct decoder *d, struct insn *i, u32 f)
{
	if (f & E_GRP3) {
		if (i->ext < 2)
			f |= (f & E_B) ? E_I8 : E_IZ;
	}
	if (f & E_I8)
		i->imm = (u64)(i64)(i8)next_le(d, 1);
	else if (f & E_I16)
		i->imm = next_le(d, 2);
	else if (f & E_IZ)
		i->imm = i->opsize == 2 ? (u64)(i64)(i16)next_le(d, 2) : (u64)(i64)(i32)next_le(d, 4);
	else if (f & E_IV)
		i->imm = next_le(d, i->opsize);
	else if (f & E_MO)
		i->imm = next_le(d, i->addrsize);
	else if (f & E_AP) {
		i->imm = next_le(d, i->opsize == 2 ? 2 : 4);
		i->imm2 = next_le(d, 2);
	} else if (f & E_ENTER) {
		i->imm = next_le(d, 2);
		i->imm2 = next_le(d, 1);
	}
}

static void apply_prefix(struct decoder *d, struct insn *i, u8 b)
{
	static const u8 legacy_seg[4] = { SEG_ES, SEG_CS, SEG_SS, SEG_DS }; /* 26 2e 36 3e */
	switch (b) {
	case 0xf0: i->pfx |= PFX_LOCK; break;
	case 0xf2: i->pfx = (i->pfx & ~PFX_REP) | PFX_REPNE; break;
	case 0xf3: i->pfx = (i->pfx & ~PFX_REPNE) | PFX_REP; break;
	case 0x66: i->pfx |= PFX_OPSIZE; break;
	case 0x67: i->pfx |= PFX_ADSIZE; break;
	case 0x26: case 0x2e: case 0x36: case 0x3e:
		/* In 64-bit mode ES/CS/SS/DS overrides are ignored. */
		if (!d->mode64) {
			i->seg = legacy_seg[(b >> 3) & 3];
			d->seg_override = true;
		}
		break;
	case 0x64: case 0x65:
		i->seg = b == 0x64 ? SEG_FS : SEG_GS;
		d->seg_override = true;
		break;
	}
}

/* Decode the prefixes and opcode; returns the encoding flags with the map
 * and opcode stored in i. */
static u32 decode_opcode(struct decoder *d, struct insn *i)
{
	int b;
	for (;;) {
		b = next_byte(d);
		if (b < 0)
			return 0;
		if (d->mode64 && (b & 0xf0) == 0x40) {
			d->rex = b;
			continue;
		}
		if (!(enc_1b[b] & E_PFX))
			break;
		d->rex = 0; /* a REX before a legacy prefix is ignored */
		apply_prefix(d, i, b);
	}
	i->map = MAP_1B;
	if (b == 0x0f) {
		b = next_byte(d);
		if (b < 0)
			return 0;
		i->map = MAP_0F;
		if (b == 0x38 || b == 0x3a) {
			i->map = b == 0x38 ? MAP_0F38 : MAP_0F3A;
			b = next_byte(d);
			if (b < 0)
				return 0;
		}
	}
	i->op = b;
	return enc_flags(i->map, b, d->mode64);
}

/* Opcodes that address memory through SS:RSP implicitly. */
static bool implicit_stack(const struct insn *i)
{
	if (i->map == MAP_0F)
		return i->op == 0xa0 || i->op == 0xa1 || i->op == 0xa8 || i->op == 0xa9;
	if (i->map != MAP_1B)
		return false;
	u8 op = i->op;
	if ((op >= 0x50 && op <= 0x5f) || op == 0x68 || op == 0x6a || op == 0x8f || op == 0x9c ||
	    op == 0x9d || (op >= 0xc2 && op <= 0xc3) || (op >= 0xc8 && op <= 0xcb) || op == 0xcf ||
	    op == 0xe8 || op == 0x9a)
		return true;
	if (op == 0xff)
		return i->ext == 2 || i->ext == 3 || i->ext == 6;
	return op < 0x20 && ((op & 7) == 6 || (op & 7) == 7) && op != 0x0f;
}

/*
 * Decode one instruction from `bytes`.  Returns 0 on success, EXC_UD for
 * an invalid encoding, EXC_GP for one longer than 15 bytes, or -1 when
 * more than `avail` bytes are needed.
 */
int decode_bytes(const u8 *bytes, unsigned avail, bool mode64, bool default32, struct insn *i)
{
	struct decoder d = { .bytes = bytes, .avail = avail, .mode64 = mode64,
			     .default32 = default32 };

	memset(i, 0, sizeof(*i));
	i->seg = SEG_DS;
	i->rm = RM_MEM;
	u32 f = decode_opcode(&d, i);
	bool adsize_pfx = i->pfx & PFX_ADSIZE;
	if (d.error)
		return d.error;
	if (d.rex) {
		i->pfx |= PFX_REX;
		if (d.rex & 8)
			i->pfx |= PFX_REXW;
	}
	if (mode64)
		i->addrsize = adsize_pfx ? 4 : 8;
	else
		i->addrsize = (default32 ^ adsize_pfx) ? 4 : 2;
	decode_operand_size(&d, i, f);
	if (f & E_M) {
		u8 seg = i->seg;
		decode_modrm(&d, i, f); /* may pick SS for RSP/RBP bases */
		if (d.seg_override)
			i->seg = seg;
	}
	decode_immediates(&d, i, f);
	if (d.error)
		return d.error;
	i->len = d.pos;
	if (f & (E_INV | E_INV64 | E_VEX))
		return EXC_UD;
	if (!(f & E_M) && (i->map == MAP_1B && ((i->op >= 0x50 && i->op <= 0x5f) ||
						 (i->op >= 0x90 && i->op <= 0x97) ||
						 (i->op >= 0xb0 && i->op <= 0xbf))))
		i->reg = (i->op & 7) | ((d.rex & 1) << 3);
	if (i->map == MAP_0F && i->op >= 0xc8 && i->op <= 0xcf)
		i->reg = (i->op & 7) | ((d.rex & 1) << 3);
	if (f & E_B) {
		i->reg = byte_reg(i, i->reg);
		if (i->rm != RM_MEM)
			i->rm = byte_reg(i, i->rm);
	}
	if (f & E_END)
		i->flags |= IF_BLOCK_END;
	if (mode64)
		i->flags |= IF_MODE64;
	i->addr_shift = i->addrsize == 8 ? 0 : i->addrsize == 4 ? 32 : 48;
	i->ea_extra = (i->addr_shift ? EA_MASK : 0) | (!mode64 || i->seg >= SEG_FS ? EA_SEGBASE : 0);
	if (implicit_stack(i))
		i->flags |= IF_STACK;
	return 0;
}

int decode_length(const u8 *bytes, unsigned avail, bool mode64)
{
	struct insn i;
	int r = decode_bytes(bytes, avail, mode64, true, &i);
	return r == 0 ? i.len : 0;
}

/* LOCK is valid only on read-modify-write forms with a memory destination. */
static bool lock_allowed(const struct insn *i)
{
	if (i->rm != RM_MEM)
		return false;
	if (i->map == MAP_1B) {
		u8 op = i->op;
		if (op < 0x40 && (op & 7) < 2 && (op & 0x38) != 0x38)
			return true;
		if (op >= 0x80 && op <= 0x83)
			return i->ext != 7;
		if (op == 0x86 || op == 0x87)
			return true;
		if (op == 0xf6 || op == 0xf7)
			return i->ext == 2 || i->ext == 3;
		if (op == 0xfe || op == 0xff)
			return i->ext < 2;
		return false;
	}
	if (i->map == MAP_0F) {
		switch (i->op) {
		case 0xab: case 0xb3: case 0xbb: case 0xb0: case 0xb1: case 0xc0: case 0xc1:
			return true;
		case 0xba: return i->ext >= 5;
		case 0xc7: return i->ext == 1;
		}
	}
	return false;
}

/* Choose the handler for a decoded instruction. */
void decode_select(struct insn *i)
{
	select_fn sel = op_table[i->map][i->op].sel;
	if ((i->pfx & PFX_LOCK) && !lock_allowed(i)) {
		i->fn = insn_invalid;
		return;
	}
	i->fn = sel ? sel(i) : NULL;
	if (!i->fn)
		i->fn = insn_ud;
}
