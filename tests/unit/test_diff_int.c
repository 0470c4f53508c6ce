/*
 * Integer differential tests: every unprivileged integer instruction form
 * the interpreter implements, run natively and in the interpreter from
 * the same random state (diff_harness.h), for all operand sizes, register
 * and memory operands, random operands mixed with edge values and random
 * initial flags.  Flags the SDM leaves undefined for a form are masked
 * (see the undefined-flag notes at each family).
 *
 * Options: see diff_cases.h (ENCORE_DIFF_SCALE defaults to 2 here).
 */
#include <stdio.h>
#include <string.h>

#include "diff_cases.h"

static struct rng R;
static u8 data[DIFF_DATA_SIZE];

/* ---- values ---- */

static u64 sext(u64 v, unsigned size)
{
	switch (size) {
	case 1: return (u64)(i64)(i8)v;
	case 2: return (u64)(i64)(i16)v;
	case 4: return (u64)(i64)(i32)v;
	default: return v;
	}
}

/* An "interesting" value in the low `size` bytes. */
static u64 edge_val(unsigned size)
{
	unsigned bits = size * 8;
	u64 m = diff_size_mask(size), sign = 1ull << (bits - 1);
	switch (rng_below(&R, 14)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return m;                 /* -1 */
	case 3: return sign - 1;          /* max signed */
	case 4: return sign;              /* min signed */
	case 5: return sign + 1;
	case 6: return 1ull << rng_below(&R, bits);
	case 7: return m & ~(1ull << rng_below(&R, bits));
	case 8: return (1ull << rng_below(&R, bits)) - 1;
	case 9: return m - 1;
	case 10: return rng_below(&R, 16);
	case 11: return (m - rng_below(&R, 16)) & m;
	case 12: return (sign + rng_below(&R, 16) - 8) & m;
	default: return rng_next(&R) & m;
	}
}

/* A 64-bit register value whose low `size` bytes are an operand. */
static u64 rval(unsigned size)
{
	u64 v = rng_next(&R);
	if (rng_chance(&R, 1, 2))
		v = (v & ~diff_size_mask(size)) | (edge_val(size) & diff_size_mask(size));
	return v;
}

static u64 rand_flags(void)
{
	return rng_next(&R) & DIFF_FLAGS;
}

static void random_state(struct diff_state *st)
{
	diff_state_init(st);
	for (int r = 0; r < 16; r++)
		st->gpr[r] = rng_chance(&R, 1, 4) ? rval(8) : rng_next(&R);
	st->gpr[REG_RSP] = 0;
	st->rflags = rand_flags();
}

/* Register ids: 0..15, and 16..19 = AH, CH, DH, BH for byte operands. */
#define AH_ID 16

static void set_reg(struct diff_state *st, int id, unsigned size, u64 v)
{
	if (id >= AH_ID) {
		u64 *g = &st->gpr[id - AH_ID];
		*g = (*g & ~0xff00ull) | ((v & 0xff) << 8);
		return;
	}
	st->gpr[id] = (st->gpr[id] & ~diff_size_mask(size)) | (v & diff_size_mask(size));
}

static u64 get_reg(const struct diff_state *st, int id, unsigned size)
{
	if (id >= AH_ID)
		return (st->gpr[id - AH_ID] >> 8) & 0xff;
	return st->gpr[id] & diff_size_mask(size);
}

/* A register operand for `size`; never RSP/SPL, never one in `avoid`
 * (a bit mask of GPR numbers; AH..BH count as their full register). */
static int pick_reg(unsigned size, u32 avoid)
{
	for (;;) {
		int r;
		if (size == 1 && rng_chance(&R, 1, 4))
			r = AH_ID + (int)rng_below(&R, 4);
		else
			r = (int)rng_below(&R, 16);
		if (r == REG_RSP)
			continue;
		int full = r >= AH_ID ? r - AH_ID : r;
		if (avoid >> full & 1)
			continue;
		return r;
	}
}

static int pick_gpr(u32 avoid)
{
	return pick_reg(8, avoid);
}

/* ---- encoder ---- */

#define BASE_RIP 16

struct mem {
	int base;  /* -1 none, 0..15, BASE_RIP */
	int index; /* -1 none */
	int scale;
	i32 disp;
	int dispsz; /* 0, 1 or 4 (the encoder may turn 0 into 1 for RBP/R13) */
	bool a32;
	u64 rip_target; /* BASE_RIP: the absolute address wanted */
};

struct ins {
	u8 pre[2];   /* emitted first: a stale REX + a null segment prefix */
	int npre;
	u8 pfx[4];
	int npfx;
	bool p66, rexw, rex40, a32;
	u8 op[3];
	int nop;
	int reg;  /* ModRM.reg as a register id or /digit; -1: no ModRM */
	bool reg8;
	bool rm_mem;
	int rm;   /* register id when !rm_mem */
	bool rm8;
	struct mem m;
	int opreg; /* +r opcode register id, or -1 */
	bool opreg8;
	int immsz;
	u64 imm;
	int moffsz; /* 4 or 8: an absolute moffs follows the opcode */
	u64 moffs;
};

static void ins_init(struct ins *in)
{
	memset(in, 0, sizeof(*in));
	in->reg = -1;
	in->opreg = -1;
	in->m.base = in->m.index = -1;
}

static void ins_op(struct ins *in, int n, u8 a, u8 b, u8 c)
{
	in->nop = n;
	in->op[0] = a;
	in->op[1] = b;
	in->op[2] = c;
}

/* Operand size prefix/REX.W for a non-byte form (sometimes 66 together
 * with REX.W: REX.W wins). */
static void ins_size(struct ins *in, unsigned size)
{
	in->p66 = size == 2 || (size == 8 && rng_chance(&R, 1, 10));
	in->rexw = size == 8;
	if (size == 1) { /* both are ignored by byte forms */
		in->p66 = rng_chance(&R, 1, 12);
		in->rexw = rng_chance(&R, 1, 12);
	}
}

static int reg_code(int id)
{
	return id >= AH_ID ? id - AH_ID + 4 : id & 7;
}

/* Track REX needs of a register operand: returns false on conflict. */
static void reg_rex(int id, bool is8, u8 bit, u8 *rex, bool *need, bool *forbid)
{
	if (id >= AH_ID) {
		*forbid = true;
		return;
	}
	if (id & 8)
		*rex |= bit;
	if (is8 && id >= 4 && id < 8)
		*need = true;
}

/* Encode; returns the length, or -1 if the operands cannot be encoded
 * together (AH..BH with a REX prefix). */
static int encode(const struct ins *in, u8 *out)
{
	int n = 0;
	u8 rex = 0;
	bool need = in->rex40, forbid = false;

	for (int k = 0; k < in->npre; k++)
		out[n++] = in->pre[k];
	if (in->p66)
		out[n++] = 0x66;
	for (int k = 0; k < in->npfx; k++)
		out[n++] = in->pfx[k];
	if ((in->rm_mem && in->m.a32) || in->a32 || in->moffsz == 4)
		out[n++] = 0x67;
	if (in->rexw)
		rex |= 8;
	if (in->reg >= 0)
		reg_rex(in->reg, in->reg8, 4, &rex, &need, &forbid);
	if (in->reg >= 0 && !in->rm_mem)
		reg_rex(in->rm, in->rm8, 1, &rex, &need, &forbid);
	if (in->reg >= 0 && in->rm_mem) {
		if (in->m.base >= 8 && in->m.base < 16)
			rex |= 1;
		if (in->m.index >= 8)
			rex |= 2;
	}
	if (in->opreg >= 0)
		reg_rex(in->opreg, in->opreg8, 1, &rex, &need, &forbid);
	if (rex || need) {
		if (forbid)
			return -1;
		out[n++] = 0x40 | rex;
	}
	for (int k = 0; k < in->nop; k++)
		out[n++] = in->op[k];
	if (in->opreg >= 0)
		out[n - 1] |= (u8)reg_code(in->opreg);
	int disp_at = -1;
	if (in->reg >= 0) {
		int rc = reg_code(in->reg) & 7;
		if (!in->rm_mem) {
			out[n++] = (u8)(0xc0 | rc << 3 | (reg_code(in->rm) & 7));
		} else {
			const struct mem *m = &in->m;
			int idx = m->index < 0 ? 4 : m->index & 7;
			if (m->base == BASE_RIP) {
				out[n++] = (u8)(rc << 3 | 5);
				disp_at = n;
				n += 4;
			} else if (m->base < 0) {
				out[n++] = (u8)(rc << 3 | 4);
				out[n++] = (u8)(m->scale << 6 | idx << 3 | 5);
				memcpy(out + n, &m->disp, 4);
				n += 4;
			} else {
				int mod;
				if (m->dispsz == 0 && (m->base & 7) != 5)
					mod = 0;
				else if (m->dispsz <= 1)
					mod = 1;
				else
					mod = 2;
				if (m->index >= 0 || (m->base & 7) == 4) {
					out[n++] = (u8)(mod << 6 | rc << 3 | 4);
					out[n++] = (u8)(m->scale << 6 | idx << 3 | (m->base & 7));
				} else {
					out[n++] = (u8)(mod << 6 | rc << 3 | (m->base & 7));
				}
				if (mod == 1)
					out[n++] = (u8)m->disp;
				else if (mod == 2) {
					memcpy(out + n, &m->disp, 4);
					n += 4;
				}
			}
		}
	}
	if (in->moffsz) {
		memcpy(out + n, &in->moffs, (size_t)in->moffsz);
		n += in->moffsz;
	}
	if (in->immsz) {
		memcpy(out + n, &in->imm, (size_t)in->immsz);
		n += in->immsz;
	}
	if (disp_at >= 0) {
		i32 d = diff_rip_disp(in->m.rip_target, (unsigned)n);
		memcpy(out + disp_at, &d, 4);
	}
	if (n > 15)
		return -1;
	return n;
}

/*
 * A memory operand reaching DIFF_DATA_ADDR + off, in a random addressing
 * form; sets the base/index registers in st.  Registers in `avoid` are not
 * used.  With `anywhere` (LEA, NOP) the registers keep their random
 * values and the displacement is random: the address is not used.
 */
static void gen_mem(struct mem *m, unsigned off, u32 avoid, struct diff_state *st, bool anywhere)
{
	u64 target = DIFF_DATA_ADDR + off;
	avoid |= 1u << REG_RSP;
	memset(m, 0, sizeof(*m));
	m->base = m->index = -1;
	m->a32 = rng_chance(&R, 1, 5);
	int form = (int)rng_below(&R, 9);
	int base = -1, index = -1;
	switch (form) {
	case 0: /* [rip + disp32] */
		m->base = BASE_RIP;
		if (anywhere) {
			m->rip_target = DIFF_CODE_ADDR + (u64)((i64)(i32)rng_next(&R) / 2);
		} else {
			m->rip_target = target;
		}
		return;
	case 1: /* [base] */
		base = pick_gpr(avoid);
		break;
	case 2: /* [base + disp8] */
		base = pick_gpr(avoid);
		m->dispsz = 1;
		break;
	case 3: /* [base + disp32] */
		base = pick_gpr(avoid);
		m->dispsz = 4;
		break;
	case 4: /* [base + index*s + disp] */
	case 5:
		base = pick_gpr(avoid);
		index = pick_gpr(avoid | 1u << base);
		m->dispsz = (int)rng_below(&R, 3);
		if (m->dispsz == 2)
			m->dispsz = 4;
		break;
	case 6: /* [index*s + disp32] */
		index = pick_gpr(avoid);
		m->dispsz = 4;
		break;
	case 7: /* [disp32] through SIB */
		m->dispsz = 4;
		break;
	default: /* [base + index] */
		base = pick_gpr(avoid);
		index = pick_gpr(avoid | 1u << base);
		m->dispsz = 1;
		break;
	}
	m->base = base;
	m->index = index;
	m->scale = index >= 0 ? (int)rng_below(&R, 4) : 0;
	if (m->dispsz == 1)
		m->disp = (i32)(i8)rng_next(&R);
	else if (m->dispsz == 4 && base >= 0 && rng_chance(&R, 1, 3))
		m->disp = (i32)rng_next(&R); /* base + disp wraps (mod 2^64 or 2^32) */
	else if (m->dispsz == 4)
		m->disp = (i32)((i64)rng_below(&R, 0x20000) - 0x10000);
	if (base >= 0 && (base & 7) == 5 && m->dispsz == 0)
		m->dispsz = 1; /* encoder writes disp8 = 0 */

	if (anywhere) {
		if (base < 0)
			m->disp = (i32)rng_next(&R);
		return;
	}
	u64 ival = 0;
	if (index >= 0) {
		ival = (u64)((i64)rng_below(&R, 1024) - 512);
		if (rng_chance(&R, 1, 8))
			ival = 0;
	}
	u64 rest = target - (ival << m->scale);
	if (base < 0) {
		m->disp = (i32)rest; /* the window is below 2 GiB */
	} else {
		u64 bval = rest - (u64)(i64)m->disp;
		if (m->a32)
			bval = (u32)bval | (rng_next(&R) << 32);
		st->gpr[base] = bval;
	}
	if (index >= 0) {
		if (m->a32)
			ival = (u32)ival | (rng_next(&R) << 32);
		st->gpr[index] = ival;
	}
}

/* A random offset in the window with `room` bytes after it, aligned. */
static unsigned pick_off(unsigned room, unsigned align)
{
	unsigned lo = 0x1000, hi = DIFF_DATA_SIZE - 0x1000 - room;
	unsigned off = lo + (unsigned)rng_below(&R, hi - lo);
	if (align <= 1 && rng_chance(&R, 1, 8)) /* straddle a page boundary */
		return ((off + 0xfff) & ~0xfffu) - 1 - (unsigned)rng_below(&R, 15);
	if (align > 1)
		off &= ~(align - 1);
	else if (rng_chance(&R, 1, 2))
		off &= ~7u; /* mostly aligned, sometimes not */
	return off;
}

static void put_mem(unsigned off, unsigned size, u64 v)
{
	memcpy(data + off, &v, size);
}

/* ---- running cases ---- */

/* Per-group tally of the native outcomes, printed when the group ends, so
 * the mix (e.g. how many divisions raised #DE) is visible. */
static const char *grp_name;
static unsigned long grp_cases, grp_vec[33];

static void group_end(void)
{
	if (!grp_name)
		return;
	printf("group %-8s %5lu cases", grp_name, grp_cases);
	bool first = true;
	for (int v = 0; v < 33; v++)
		if (grp_vec[v]) {
			printf("%s vector %d: %lu", first ? "; native exceptions:" : ",", v, grp_vec[v]);
			first = false;
		}
	printf("\n");
	grp_name = NULL;
}

static void group(const char *name)
{
	group_end();
	check_group(name);
	grp_name = name;
	grp_cases = 0;
	memset(grp_vec, 0, sizeof(grp_vec));
}

static void tally(void)
{
	int v = diff_last_native_vector();
	grp_cases++;
	if (v >= 0)
		grp_vec[v < 32 ? v : 32]++;
}

/* Encode and compare; false if the operands could not be encoded. */
static bool run(const char *fam, unsigned idx, const struct ins *in, const struct diff_state *st,
		const struct diff_opts *o)
{
	u8 code[16];
	struct ins copy;
	if (in->rm_mem && in->reg >= 0 && in->npfx < 4 && rng_chance(&R, 1, 16)) {
		/* A null segment override (ES/CS/SS/DS: base 0 in 64-bit mode). */
		copy = *in;
		copy.pfx[copy.npfx++] = (u8[]){ 0x26, 0x2e, 0x36, 0x3e }[rng_below(&R, 4)];
		in = &copy;
	}
	if (rng_chance(&R, 1, 24)) {
		/* A REX followed by a legacy prefix is ignored (SDM Vol. 2A
		 * 2.2.1: REX must immediately precede the opcode). */
		if (in != &copy) {
			copy = *in;
			in = &copy;
		}
		copy.npre = 2;
		copy.pre[0] = (u8)(0x40 | rng_below(&R, 16));
		copy.pre[1] = 0x3e;
	}
	bool locked = false;
	for (int k = 0; k < in->npfx; k++)
		locked |= in->pfx[k] == 0xf0;
	if (in->nop == 1 && !locked && in->npfx < 4 && in->op[0] != 0x90 &&
	    !(in->op[0] >= 0xa4 && in->op[0] <= 0xaf) && rng_chance(&R, 1, 24)) {
		/* F2/F3 mean nothing to these one-byte opcodes. */
		if (in != &copy) {
			copy = *in;
			in = &copy;
		}
		copy.pfx[copy.npfx++] = rng_chance(&R, 1, 2) ? 0xf2 : 0xf3;
	}
	int len = encode(in, code);
	if (len < 0)
		return false;
	diff_check_case(fam, idx, code, (unsigned)len, st, data, o);
	tally();
	return true;
}

static void run_bytes(const char *fam, unsigned idx, const u8 *code, unsigned len,
		      const struct diff_state *st, const struct diff_opts *o)
{
	diff_check_case(fam, idx, code, len, st, data, o);
	tally();
}

/*
 * The r/m operand: a register (id) or memory at a fresh window offset
 * holding `v`.  mem_pct: percent chance of a memory operand.
 */
static void set_rm(struct ins *in, struct diff_state *st, unsigned size, u64 v, u32 avoid,
		   unsigned mem_pct, unsigned *off_out)
{
	if (rng_below(&R, 100) < mem_pct) {
		unsigned off = pick_off(32, 1);
		in->rm_mem = true;
		put_mem(off, size, v);
		/* Neighbouring bytes random, so wrong-size writes show. */
		gen_mem(&in->m, off, avoid, st, false);
		if (off_out)
			*off_out = off;
	} else {
		in->rm_mem = false;
		in->rm = pick_reg(size, avoid);
		set_reg(st, in->rm, size, v);
		if (off_out)
			*off_out = ~0u;
	}
}

static const unsigned sizes_all[4] = { 1, 2, 4, 8 };
static const unsigned sizes_wide[3] = { 2, 4, 8 };

/* ---- ALU: ADD OR ADC SBB AND SUB XOR CMP ---- */

static const char *const alu_names[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };

/* Undefined: AF after the logic ops (OR, AND, XOR); all else defined. */
static u64 alu_undef(unsigned op)
{
	return (op == 1 || op == 4 || op == 6) ? RF_AF : 0;
}

static void test_alu(void)
{
	if (!diff_family_on("alu"))
		return;
	group("alu");
	/* forms: 0 r/m8,r8  1 r/m,r  2 r8,r/m8  3 r,r/m  4 AL,imm8  5 eAX,imm
	 *        6: 80 /op  7: 81 /op  8: 83 /op */
	for (unsigned op = 0; op < 8; op++)
		for (unsigned form = 0; form < 9; form++)
			for (unsigned k = 0; k < diff_ncases(12); k++) {
				struct diff_state st;
				struct ins in;
				random_state(&st);
				ins_init(&in);
				bool byte = form == 0 || form == 2 || form == 4 || form == 6;
				unsigned size = byte ? 1 : sizes_wide[rng_below(&R, 3)];
				ins_size(&in, size);
				u64 a = rval(size), b = rval(size);
				switch (form) {
				case 0: case 1: case 2: case 3:
					ins_op(&in, 1, (u8)(op * 8 + form), 0, 0);
					in.reg = pick_reg(size, 0);
					in.reg8 = in.rm8 = byte;
					set_reg(&st, in.reg, size, b);
					set_rm(&in, &st, size, a, 0, 50, NULL);
					break;
				case 4: case 5:
					ins_op(&in, 1, (u8)(op * 8 + form), 0, 0);
					set_reg(&st, REG_RAX, size, a);
					in.immsz = size == 1 ? 1 : size == 2 ? 2 : 4;
					in.imm = b;
					break;
				default:
					ins_op(&in, 1, (u8)(form == 6 ? 0x80 : form == 7 ? 0x81 : 0x83), 0, 0);
					in.reg = (int)op;
					in.rm8 = byte;
					set_rm(&in, &st, size, a, 0, 50, NULL);
					in.immsz = form == 8 ? 1 : size == 1 ? 1 : size == 2 ? 2 : 4;
					in.imm = rng_chance(&R, 1, 2) ? b : edge_val((unsigned)in.immsz);
					break;
				}
				/* LOCK: valid on a memory destination except CMP, else #UD. */
				if (rng_chance(&R, 1, 8))
					in.pfx[in.npfx++] = 0xf0;
				if (rng_chance(&R, 1, 16))
					in.rex40 = true;
				struct diff_opts o = { .flags_undef = alu_undef(op) };
				char fam[32];
				snprintf(fam, sizeof(fam), "alu.%s.%u", alu_names[op], form);
				if (!run(fam, k, &in, &st, &o))
					k--;
			}
	/* 82 is the 80 group's alias, invalid in 64-bit mode (#UD). */
	for (unsigned op = 0; op < 8; op++) {
		struct diff_state st;
		random_state(&st);
		u8 code[3] = { 0x82, (u8)(0xc0 | op << 3 | 1), 0x12 };
		run_bytes("alu.82-invalid", op, code, 3, &st, NULL);
	}
}

/* ---- INC DEC NOT NEG ---- */

static void test_unary(void)
{
	if (!diff_family_on("unary"))
		return;
	group("unary");
	static const struct { const char *name; u8 op8, op, digit; } forms[] = {
		{ "inc", 0xfe, 0xff, 0 }, { "dec", 0xfe, 0xff, 1 },
		{ "not", 0xf6, 0xf7, 2 }, { "neg", 0xf6, 0xf7, 3 },
	};
	for (unsigned f = 0; f < ARRAY_SIZE(forms); f++)
		for (unsigned si = 0; si < 4; si++)
			for (unsigned k = 0; k < diff_ncases(12); k++) {
				unsigned size = sizes_all[si];
				struct diff_state st;
				struct ins in;
				random_state(&st);
				ins_init(&in);
				ins_size(&in, size);
				ins_op(&in, 1, size == 1 ? forms[f].op8 : forms[f].op, 0, 0);
				in.reg = forms[f].digit;
				in.rm8 = size == 1;
				set_rm(&in, &st, size, rval(size), 0, 50, NULL);
				if (in.rm_mem && rng_chance(&R, 1, 4))
					in.pfx[in.npfx++] = 0xf0;
				char fam[32];
				snprintf(fam, sizeof(fam), "unary.%s%u", forms[f].name, size * 8);
				if (!run(fam, k, &in, &st, NULL))
					k--;
			}
	/* FE /2../7 and FF /7 are invalid (#UD). */
	static const u8 bad[][2] = { { 0xfe, 0xd0 }, { 0xfe, 0xd8 }, { 0xfe, 0xe0 }, { 0xfe, 0xe8 },
				     { 0xfe, 0xf0 }, { 0xfe, 0xf8 }, { 0xff, 0xf8 } };
	for (unsigned k = 0; k < ARRAY_SIZE(bad); k++) {
		struct diff_state st;
		random_state(&st);
		run_bytes("unary.invalid", k, bad[k], 2, &st, NULL);
	}
}

/* ---- TEST ---- */

static void test_test(void)
{
	if (!diff_family_on("test"))
		return;
	group("test");
	/* AF is undefined after TEST. */
	struct diff_opts o = { .flags_undef = RF_AF };
	for (unsigned form = 0; form < 6; form++)
		for (unsigned k = 0; k < diff_ncases(16); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			ins_init(&in);
			bool byte = form == 0 || form == 2 || form == 4;
			unsigned size = byte ? 1 : sizes_wide[rng_below(&R, 3)];
			ins_size(&in, size);
			u64 a = rval(size), b = rng_chance(&R, 1, 3) ? a : rval(size);
			switch (form) {
			case 0: case 1: /* 84/85 r/m, r */
				ins_op(&in, 1, (u8)(0x84 + form), 0, 0);
				in.reg = pick_reg(size, 0);
				in.reg8 = in.rm8 = byte;
				set_reg(&st, in.reg, size, b);
				set_rm(&in, &st, size, a, 0, 50, NULL);
				break;
			case 2: case 3: /* A8/A9 acc, imm */
				ins_op(&in, 1, (u8)(0xa8 + form - 2), 0, 0);
				set_reg(&st, REG_RAX, size, a);
				in.immsz = size == 1 ? 1 : size == 2 ? 2 : 4;
				in.imm = b;
				break;
			default: /* F6/F7 /0 imm */
				ins_op(&in, 1, byte ? 0xf6 : 0xf7, 0, 0);
				in.reg = 0;
				in.rm8 = byte;
				set_rm(&in, &st, size, a, 0, 50, NULL);
				in.immsz = size == 1 ? 1 : size == 2 ? 2 : 4;
				in.imm = b;
				break;
			}
			if (!run("test", form * 1000 + k, &in, &st, &o))
				k--;
		}
}

/* ---- MUL IMUL ---- */

static void test_mul(void)
{
	if (!diff_family_on("mul"))
		return;
	group("mul");
	/* MUL/IMUL: CF and OF defined; SF, ZF, AF, PF undefined. */
	struct diff_opts o = { .flags_undef = RF_SF | RF_ZF | RF_AF | RF_PF };
	/* One-operand F6/F7 /4 (MUL) and /5 (IMUL). */
	for (unsigned digit = 4; digit <= 5; digit++)
		for (unsigned si = 0; si < 4; si++)
			for (unsigned k = 0; k < diff_ncases(20); k++) {
				unsigned size = sizes_all[si];
				struct diff_state st;
				struct ins in;
				random_state(&st);
				ins_init(&in);
				ins_size(&in, size);
				ins_op(&in, 1, size == 1 ? 0xf6 : 0xf7, 0, 0);
				in.reg = (int)digit;
				in.rm8 = size == 1;
				set_reg(&st, REG_RAX, size, rval(size));
				set_rm(&in, &st, size, rval(size), 1u << REG_RAX | 1u << REG_RDX, 40, NULL);
				if (!run(digit == 4 ? "mul.mul1" : "mul.imul1", si * 1000 + k, &in, &st, &o))
					k--;
			}
	/* IMUL r, r/m (0F AF); r, r/m, imm32 (69); r, r/m, imm8 (6B). */
	for (unsigned form = 0; form < 3; form++)
		for (unsigned k = 0; k < diff_ncases(30); k++) {
			unsigned size = sizes_wide[rng_below(&R, 3)];
			struct diff_state st;
			struct ins in;
			random_state(&st);
			ins_init(&in);
			ins_size(&in, size);
			if (form == 0)
				ins_op(&in, 2, 0x0f, 0xaf, 0);
			else
				ins_op(&in, 1, form == 1 ? 0x69 : 0x6b, 0, 0);
			in.reg = pick_reg(size, 0);
			set_reg(&st, in.reg, size, rval(size));
			set_rm(&in, &st, size, rval(size), 0, 40, NULL);
			if (form == 1) {
				in.immsz = size == 2 ? 2 : 4;
				in.imm = rng_chance(&R, 1, 2) ? rng_next(&R) : edge_val((unsigned)in.immsz);
			} else if (form == 2) {
				in.immsz = 1;
				in.imm = edge_val(1);
			}
			static const char *const names[3] = { "mul.imul2", "mul.imul3", "mul.imul3b" };
			if (!run(names[form], k, &in, &st, &o))
				k--;
		}
}

/* ---- DIV IDIV ---- */

/* Dividend hi:lo and divisor for a division of `size`; a mix of valid
 * divisions, division by zero and quotient overflow. */
static void gen_div(unsigned size, bool sgn, u64 *hi, u64 *lo, u64 *d)
{
	unsigned bits = size * 8;
	u64 m = diff_size_mask(size);
	unsigned mode = (unsigned)rng_below(&R, 10);
	*d = rval(size) & m;
	*lo = rval(size) & m;
	*hi = rval(size) & m;
	if (mode == 0) { /* divide by zero */
		*d = 0;
		return;
	}
	if (mode == 1) /* raw random: mostly overflow */
		return;
	if (*d == 0)
		*d = 1 + (rng_next(&R) & m) / 2;
	if (!sgn) {
		if (mode == 2) /* overflow: hi >= d */
			*hi = *d + (rng_next(&R) % (m - *d + 1));
		else if (mode == 3)
			*hi = 0;
		else
			*hi = rng_next(&R) % *d;
		return;
	}
	i64 ds = (i64)sext(*d, size);
	if (mode == 2) { /* MIN / -1, or a large quotient */
		if (rng_chance(&R, 1, 2)) {
			*hi = m;
			*lo = 1ull << (bits - 1);
			*d = m; /* -1 */
		} else {
			*hi = (rng_next(&R) & m) >> 1;
			*d = 1 + rng_below(&R, 3);
		}
		return;
	}
	/* dividend = q * d + r with q in range and |r| < |d| */
	__int128 q = (__int128)(i64)sext(rval(size) & m, size);
	if (mode == 3)
		q = (__int128)(i64)sext(edge_val(size), size);
	__int128 ad = ds < 0 ? -(__int128)ds : ds;
	__int128 r = (__int128)(rng_next(&R) % (u64)(ad > 0 ? ad : 1));
	__int128 n = q * ds;
	n = n < 0 ? n - r : n + r;
	if (bits == 64) {
		*lo = (u64)n;
		*hi = (u64)(n >> 64);
	} else {
		*lo = (u64)n & m;
		*hi = (u64)(n >> bits) & m;
	}
}

static void test_div(void)
{
	if (!diff_family_on("div"))
		return;
	group("div");
	/* DIV/IDIV: CF, OF, SF, ZF, AF, PF all undefined. */
	struct diff_opts o = { .flags_undef = RF_ARITH };
	for (unsigned digit = 6; digit <= 7; digit++)
		for (unsigned si = 0; si < 4; si++)
			for (unsigned k = 0; k < diff_ncases(64); k++) {
				unsigned size = sizes_all[si];
				struct diff_state st;
				struct ins in;
				random_state(&st);
				ins_init(&in);
				ins_size(&in, size);
				ins_op(&in, 1, size == 1 ? 0xf6 : 0xf7, 0, 0);
				in.reg = (int)digit;
				in.rm8 = size == 1;
				u64 hi, lo, d;
				gen_div(size, digit == 7, &hi, &lo, &d);
				set_rm(&in, &st, size, d, 1u << REG_RAX | 1u << REG_RDX, 40, NULL);
				/* A register divisor that is part of the dividend
				 * (AH, AL, RAX, RDX) gets the dividend's value. */
				if (size == 1) {
					set_reg(&st, REG_RAX, 2, hi << 8 | lo);
				} else {
					set_reg(&st, REG_RAX, size, lo);
					set_reg(&st, REG_RDX, size, hi);
				}
				char fam[32];
				snprintf(fam, sizeof(fam), "div.%s%u", digit == 6 ? "div" : "idiv", size * 8);
				if (!run(fam, k, &in, &st, &o))
					k--;
			}
}

/* ---- MOV forms, MOVZX/MOVSX/MOVSXD, MOVNTI ---- */

static void test_mov(void)
{
	if (!diff_family_on("mov"))
		return;
	group("mov");
	/* 88 89 8A 8B */
	for (unsigned form = 0; form < 4; form++)
		for (unsigned k = 0; k < diff_ncases(20); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			ins_init(&in);
			bool byte = !(form & 1);
			unsigned size = byte ? 1 : sizes_wide[rng_below(&R, 3)];
			ins_size(&in, size);
			ins_op(&in, 1, (u8)(0x88 + form), 0, 0);
			in.reg = pick_reg(size, 0);
			in.reg8 = in.rm8 = byte;
			set_reg(&st, in.reg, size, rval(size));
			set_rm(&in, &st, size, rval(size), 0, 50, NULL);
			if (!run("mov.88-8b", form * 1000 + k, &in, &st, NULL))
				k--;
		}
	/* C6 /0 ib, C7 /0 iw/id (sign-extended with REX.W) */
	for (unsigned k = 0; k < diff_ncases(40); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in);
		unsigned size = sizes_all[rng_below(&R, 4)];
		ins_size(&in, size);
		ins_op(&in, 1, size == 1 ? 0xc6 : 0xc7, 0, 0);
		in.reg = 0;
		in.rm8 = size == 1;
		set_rm(&in, &st, size, rval(size), 0, 50, NULL);
		in.immsz = size == 1 ? 1 : size == 2 ? 2 : 4;
		in.imm = edge_val((unsigned)in.immsz);
		if (!run("mov.c6c7", k, &in, &st, NULL))
			k--;
	}
	/* B0+r ib, B8+r iw/id/iq */
	for (unsigned k = 0; k < diff_ncases(48); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in);
		unsigned size = sizes_all[rng_below(&R, 4)];
		ins_size(&in, size);
		ins_op(&in, 1, size == 1 ? 0xb0 : 0xb8, 0, 0);
		in.opreg = pick_reg(size, 0);
		in.opreg8 = size == 1;
		in.immsz = (int)size;
		in.imm = rng_chance(&R, 1, 2) ? rng_next(&R) : edge_val(size);
		if (!run("mov.b0b8", k, &in, &st, NULL))
			k--;
	}
	/* A0-A3 moffs (64-bit address, or 32-bit with 67) */
	for (unsigned k = 0; k < diff_ncases(32); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in);
		unsigned form = (unsigned)rng_below(&R, 4);
		unsigned size = (form & 1) ? sizes_wide[rng_below(&R, 3)] : 1;
		ins_size(&in, size);
		ins_op(&in, 1, (u8)(0xa0 + form), 0, 0);
		unsigned off = pick_off(16, 1);
		put_mem(off, 8, rng_next(&R));
		in.moffsz = rng_chance(&R, 1, 4) ? 4 : 8;
		in.moffs = DIFF_DATA_ADDR + off;
		if (!run("mov.moffs", k, &in, &st, NULL))
			k--;
	}
	/* MOVZX/MOVSX 0F B6/B7/BE/BF: r16/32/64 <- r/m8 or r/m16 */
	static const u8 ext_ops[4] = { 0xb6, 0xb7, 0xbe, 0xbf };
	for (unsigned f = 0; f < 4; f++)
		for (unsigned k = 0; k < diff_ncases(24); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			ins_init(&in);
			unsigned size = sizes_wide[rng_below(&R, 3)];
			unsigned ssize = (ext_ops[f] & 1) ? 2 : 1;
			ins_size(&in, size);
			ins_op(&in, 2, 0x0f, ext_ops[f], 0);
			in.reg = pick_reg(size, 0);
			in.rm8 = ssize == 1;
			set_rm(&in, &st, ssize, rval(ssize), 0, 50, NULL);
			if (!run(f < 2 ? "mov.movzx" : "mov.movsx", f * 1000 + k, &in, &st, NULL))
				k--;
		}
	/* MOVSXD 63 /r: REX.W (sign-extend), none (32-bit move), 66 */
	for (unsigned k = 0; k < diff_ncases(36); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in);
		unsigned v = (unsigned)rng_below(&R, 4);
		unsigned size = v == 0 ? 2 : v == 1 ? 4 : 8;
		ins_size(&in, size);
		ins_op(&in, 1, 0x63, 0, 0);
		in.reg = pick_reg(size, 0);
		set_rm(&in, &st, size == 2 ? 2 : 4, rval(4), 0, 50, NULL);
		if (!run("mov.movsxd", k, &in, &st, NULL))
			k--;
	}
	/* MOVNTI m32/m64, r (0F C3): memory only */
	for (unsigned k = 0; k < diff_ncases(10); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in);
		unsigned size = rng_chance(&R, 1, 2) ? 4 : 8;
		ins_size(&in, size);
		ins_op(&in, 2, 0x0f, 0xc3, 0);
		in.reg = pick_reg(size, 0);
		set_rm(&in, &st, size, rval(size), 0, 100, NULL);
		if (!run("mov.movnti", k, &in, &st, NULL))
			k--;
	}
}

/* ---- LEA ---- */

static void test_lea(void)
{
	if (!diff_family_on("lea"))
		return;
	group("lea");
	for (unsigned k = 0; k < diff_ncases(240); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in);
		unsigned size = sizes_wide[rng_below(&R, 3)];
		ins_size(&in, size);
		ins_op(&in, 1, 0x8d, 0, 0);
		in.reg = pick_reg(size, 0);
		in.rm_mem = true;
		gen_mem(&in.m, 0, 0, &st, true);
		if (!run("lea", k, &in, &st, NULL))
			k--;
	}
	/* Register operand: #UD. */
	for (unsigned k = 0; k < 4; k++) {
		struct diff_state st;
		random_state(&st);
		u8 code[3] = { 0x48, 0x8d, (u8)(0xc0 | k) };
		run_bytes("lea.reg-invalid", k, code + (k & 1), 3 - (k & 1), &st, NULL);
	}
}

/* ---- XCHG XADD CMPXCHG CMPXCHG8B/16B ---- */

/* XCHG 86/87 or XADD 0F C0/C1 (op8 is the byte form): r/m, r at every
 * size, sometimes LOCKed. */
static void xchg_rm_r_cases(const char *fam, bool map0f, u8 op8)
{
	for (unsigned k = 0; k < diff_ncases(48); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in);
		unsigned size = sizes_all[rng_below(&R, 4)];
		ins_size(&in, size);
		u8 op = size == 1 ? op8 : (u8)(op8 + 1);
		if (map0f)
			ins_op(&in, 2, 0x0f, op, 0);
		else
			ins_op(&in, 1, op, 0, 0);
		in.reg = pick_reg(size, 0);
		in.reg8 = in.rm8 = size == 1;
		set_reg(&st, in.reg, size, rval(size));
		set_rm(&in, &st, size, rval(size), 0, 50, NULL);
		if (in.rm_mem && rng_chance(&R, 1, 4))
			in.pfx[in.npfx++] = 0xf0;
		if (!run(fam, k, &in, &st, NULL))
			k--;
	}
}

static void test_xchg(void)
{
	if (!diff_family_on("xchg"))
		return;
	group("xchg");
	/* 86/87 r/m, r */
	xchg_rm_r_cases("xchg.86-87", false, 0x86);
	/* 90+r: XCHG eAX, r (90 itself is NOP: no zero-extension of RAX) */
	for (unsigned k = 0; k < diff_ncases(40); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in);
		unsigned size = sizes_wide[rng_below(&R, 3)];
		ins_size(&in, size);
		ins_op(&in, 1, 0x90, 0, 0);
		in.opreg = rng_chance(&R, 1, 8) ? 0 : pick_reg(size, 0);
		if (in.opreg == 8 && rng_chance(&R, 1, 2))
			in.opreg = 0;
		if (!run("xchg.90", k, &in, &st, NULL))
			k--;
	}
	{
		static const u8 nops[][3] = { { 0x90 }, { 0x66, 0x90 }, { 0xf3, 0x90 }, { 0x48, 0x90 },
					      { 0x41, 0x90 }, { 0x49, 0x90 } };
		static const u8 lens[] = { 1, 2, 2, 2, 2, 2 };
		for (unsigned k = 0; k < ARRAY_SIZE(nops); k++) {
			struct diff_state st;
			random_state(&st);
			run_bytes("xchg.nop90", k, nops[k], lens[k], &st, NULL);
		}
	}
	/* XADD 0F C0/C1 */
	xchg_rm_r_cases("xchg.xadd", true, 0xc0);
	/* CMPXCHG 0F B0/B1: flags as CMP accumulator, dest */
	for (unsigned k = 0; k < diff_ncases(64); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in);
		unsigned size = sizes_all[rng_below(&R, 4)];
		ins_size(&in, size);
		ins_op(&in, 2, 0x0f, size == 1 ? 0xb0 : 0xb1, 0);
		in.reg = pick_reg(size, 0);
		in.reg8 = in.rm8 = size == 1;
		set_reg(&st, in.reg, size, rval(size));
		u64 dv = rval(size);
		set_rm(&in, &st, size, dv, 1u << REG_RAX, 50, NULL);
		if (rng_chance(&R, 1, 2))
			set_reg(&st, REG_RAX, size, in.rm_mem ? dv : get_reg(&st, in.rm, size));
		if (in.rm_mem && rng_chance(&R, 1, 4))
			in.pfx[in.npfx++] = 0xf0;
		if (!run("xchg.cmpxchg", k, &in, &st, NULL))
			k--;
	}
	/* CMPXCHG8B m64 / CMPXCHG16B m128 (16-byte aligned): only ZF changes. */
	for (unsigned k = 0; k < diff_ncases(48); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in);
		bool wide = rng_chance(&R, 1, 2);
		unsigned half = wide ? 8 : 4;
		in.rexw = wide;
		ins_op(&in, 2, 0x0f, 0xc7, 0);
		in.reg = 1;
		in.rm_mem = true;
		unsigned off = pick_off(32, 16);
		u64 lo = rng_next(&R), hi = rng_next(&R);
		put_mem(off, half, lo);
		put_mem(off + half, half, hi);
		gen_mem(&in.m, off, 1u << REG_RAX | 1u << REG_RDX | 1u << REG_RBX | 1u << REG_RCX, &st,
			false);
		if (rng_chance(&R, 1, 2)) {
			set_reg(&st, REG_RAX, half, lo);
			set_reg(&st, REG_RDX, half, hi);
		} else if (rng_chance(&R, 1, 2)) {
			set_reg(&st, REG_RAX, half, lo); /* half equal */
		}
		if (rng_chance(&R, 1, 4))
			in.pfx[in.npfx++] = 0xf0;
		if (!run(wide ? "xchg.cmpxchg16b" : "xchg.cmpxchg8b", k, &in, &st, NULL))
			k--;
	}
	/* CMPXCHG16B on a misaligned operand: #GP; register operand: #UD. */
	for (unsigned k = 0; k < 4; k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in);
		in.rexw = true;
		ins_op(&in, 2, 0x0f, 0xc7, 0);
		in.reg = 1;
		in.rm_mem = true;
		gen_mem(&in.m, pick_off(32, 16) + 8, 0, &st, false);
		if (!run("xchg.cmpxchg16b-misaligned", k, &in, &st, NULL))
			k--;
		u8 code[3] = { 0x0f, 0xc7, (u8)(0xc8 | k) };
		run_bytes("xchg.cmpxchg8b-reg", k, code, 3, &st, NULL);
	}
}

/* ---- CMOVcc SETcc ---- */

static void test_cond(void)
{
	if (!diff_family_on("cond"))
		return;
	group("cond");
	for (unsigned cc = 0; cc < 16; cc++)
		for (unsigned k = 0; k < diff_ncases(12); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			ins_init(&in);
			unsigned size = sizes_wide[rng_below(&R, 3)];
			ins_size(&in, size);
			ins_op(&in, 2, 0x0f, (u8)(0x40 + cc), 0);
			in.reg = pick_reg(size, 0);
			set_rm(&in, &st, size, rval(size), 0, 40, NULL);
			if (!run("cond.cmov", cc * 1000 + k, &in, &st, NULL))
				k--;
		}
	for (unsigned cc = 0; cc < 16; cc++)
		for (unsigned k = 0; k < diff_ncases(10); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			ins_init(&in);
			ins_op(&in, 2, 0x0f, (u8)(0x90 + cc), 0);
			/* The reg field is ignored by SETcc. */
			in.reg = rng_chance(&R, 3, 4) ? 0 : (int)rng_below(&R, 8);
			in.rm8 = true;
			set_rm(&in, &st, 1, rval(1), 0, 40, NULL);
			if (!run("cond.setcc", cc * 1000 + k, &in, &st, NULL))
				k--;
		}
}

/* ---- CBW/CWDE/CDQE, CWD/CDQ/CQO, LAHF/SAHF, BSWAP, flag ops, XLAT ---- */

static void test_misc(void)
{
	if (!diff_family_on("misc"))
		return;
	group("misc");
	for (unsigned op = 0x98; op <= 0x99; op++)
		for (unsigned k = 0; k < diff_ncases(24); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			ins_init(&in);
			unsigned size = sizes_wide[rng_below(&R, 3)];
			ins_size(&in, size);
			ins_op(&in, 1, (u8)op, 0, 0);
			set_reg(&st, REG_RAX, 8, rval(size));
			run(op == 0x98 ? "misc.cbw" : "misc.cwd", k, &in, &st, NULL);
		}
	/* LAHF 9F / SAHF 9E */
	for (unsigned k = 0; k < diff_ncases(40); k++) {
		struct diff_state st;
		random_state(&st);
		u8 code[2] = { 0x9f };
		unsigned len = 1;
		if (k & 1)
			code[0] = 0x9e;
		if (rng_chance(&R, 1, 4)) { /* REX.W or 66 are ignored */
			code[1] = code[0];
			code[0] = rng_chance(&R, 1, 2) ? 0x48 : 0x66;
			len = 2;
		}
		run_bytes((k & 1) ? "misc.sahf" : "misc.lahf", k, code, len, &st, NULL);
	}
	/* BSWAP r32/r64 (16-bit BSWAP is undefined: not tested) */
	for (unsigned k = 0; k < diff_ncases(40); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in);
		unsigned size = rng_chance(&R, 1, 2) ? 4 : 8;
		ins_size(&in, size);
		ins_op(&in, 2, 0x0f, 0xc8, 0);
		in.opreg = pick_reg(size, 0);
		run("misc.bswap", k, &in, &st, NULL);
	}
	/* CMC F5, CLC F8, STC F9, CLD FC, STD FD */
	static const u8 fl[] = { 0xf5, 0xf8, 0xf9, 0xfc, 0xfd };
	for (unsigned f = 0; f < ARRAY_SIZE(fl); f++)
		for (unsigned k = 0; k < diff_ncases(6); k++) {
			struct diff_state st;
			random_state(&st);
			run_bytes("misc.flagop", f * 100 + k, &fl[f], 1, &st, NULL);
		}
	/* XLAT D7: AL = [rBX + AL] (67: EBX) */
	for (unsigned k = 0; k < diff_ncases(16); k++) {
		struct diff_state st;
		random_state(&st);
		unsigned off = pick_off(256, 1);
		for (unsigned b = 0; b < 256; b += 8)
			put_mem(off + b, 8, rng_next(&R));
		u8 code[3];
		unsigned len = 0;
		bool a32 = rng_chance(&R, 1, 3);
		if (a32)
			code[len++] = 0x67;
		if (rng_chance(&R, 1, 3))
			code[len++] = 0x48;
		code[len++] = 0xd7;
		u64 rbx = DIFF_DATA_ADDR + off;
		if (a32)
			rbx |= rng_next(&R) << 32;
		st.gpr[REG_RBX] = rbx;
		run_bytes("misc.xlat", k, code, len, &st, NULL);
	}
}

/* ---- shifts and rotates ---- */

static const char *const shift_names[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar" };

/*
 * Undefined flags for group 2 with masked count mc (SDM SAL/SAR/SHL/SHR,
 * RCL/RCR/ROL/ROR "Flags Affected"):
 *  - mc == 0: no flag changes (all defined).
 *  - rotates: OF defined only for mc == 1; nothing else undefined.
 *  - shifts: AF undefined for mc != 0; OF undefined for mc > 1; CF
 *    undefined for SHL/SHR (and the SAL alias /6) when mc >= operand bits.
 */
static u64 shift_undef(unsigned digit, unsigned size, unsigned mc)
{
	if (mc == 0)
		return 0;
	u64 u = mc > 1 ? RF_OF : 0;
	if (digit >= 4) {
		u |= RF_AF;
		if (digit != 7 && mc >= size * 8)
			u |= RF_CF;
	}
	return u;
}

static unsigned pick_count(void)
{
	static const unsigned edges[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65 };
	unsigned r = (unsigned)rng_below(&R, 10);
	if (r < 6)
		return (unsigned)rng_below(&R, 71);
	if (r < 9)
		return edges[rng_below(&R, ARRAY_SIZE(edges))];
	return (unsigned)rng_below(&R, 256);
}

static void test_shift(void)
{
	if (!diff_family_on("shift"))
		return;
	group("shift");
	/* count forms: 0 = by 1 (D0/D1), 1 = by CL (D2/D3), 2 = imm8 (C0/C1) */
	for (unsigned digit = 0; digit < 8; digit++)
		for (unsigned cf = 0; cf < 3; cf++)
			for (unsigned si = 0; si < 4; si++)
				for (unsigned k = 0; k < diff_ncases(10); k++) {
					unsigned size = sizes_all[si];
					struct diff_state st;
					struct ins in;
					random_state(&st);
					ins_init(&in);
					ins_size(&in, size);
					static const u8 base_op[3] = { 0xd0, 0xd2, 0xc0 };
					ins_op(&in, 1, (u8)(base_op[cf] + (size == 1 ? 0 : 1)), 0, 0);
					in.reg = (int)digit;
					in.rm8 = size == 1;
					unsigned count = 1;
					u32 avoid = 0;
					if (cf == 1) {
						count = pick_count();
						st.gpr[REG_RCX] = (st.gpr[REG_RCX] & ~0xffull) | count;
						avoid = 1u << REG_RCX;
					}
					set_rm(&in, &st, size, rval(size), avoid, 40, NULL);
					if (cf == 1 && !in.rm_mem && in.rm == REG_RCX)
						count = (unsigned)st.gpr[REG_RCX] & 0xff;
					if (cf == 2) {
						count = pick_count();
						in.immsz = 1;
						in.imm = count;
					}
					unsigned mc = count & (size == 8 ? 63 : 31);
					struct diff_opts o = { .flags_undef = shift_undef(digit, size, mc) };
					char fam[32];
					snprintf(fam, sizeof(fam), "shift.%s%u", shift_names[digit], size * 8);
					if (!run(fam, cf * 1000 + k, &in, &st, &o))
						k--;
				}
}

/*
 * SHLD/SHRD (0F A4/A5/AC/AD).  SDM: count masked to 5 (6 with REX.W)
 * bits; 0 = no flag changes; otherwise AF undefined, OF undefined unless
 * the count is 1; a count greater than the operand size (16-bit only)
 * leaves the result and all flags undefined.
 */
static void test_shld(void)
{
	if (!diff_family_on("shld"))
		return;
	group("shld");
	static const u8 ops[4] = { 0xa4, 0xa5, 0xac, 0xad };
	for (unsigned f = 0; f < 4; f++)
		for (unsigned si = 0; si < 3; si++)
			for (unsigned k = 0; k < diff_ncases(24); k++) {
				unsigned size = sizes_wide[si];
				struct diff_state st;
				struct ins in;
				random_state(&st);
				ins_init(&in);
				ins_size(&in, size);
				ins_op(&in, 2, 0x0f, ops[f], 0);
				bool by_cl = ops[f] & 1;
				unsigned count = pick_count();
				u32 avoid = 0;
				if (by_cl) {
					st.gpr[REG_RCX] = (st.gpr[REG_RCX] & ~0xffull) | count;
					avoid = 1u << REG_RCX;
				}
				in.reg = pick_reg(size, avoid);
				set_reg(&st, in.reg, size, rval(size));
				unsigned off;
				set_rm(&in, &st, size, rval(size), avoid, 40, &off);
				if (!by_cl) {
					in.immsz = 1;
					in.imm = count;
				}
				unsigned mc = count & (size == 8 ? 63 : 31);
				struct diff_opts o = { 0 };
				if (mc) {
					o.flags_undef = RF_AF | (mc > 1 ? RF_OF : 0);
					if (mc > size * 8) {
						o.flags_undef = RF_ARITH;
						if (in.rm_mem) {
							o.data_undef_off = off;
							o.data_undef_len = size;
						} else {
							o.gpr_undef = (u16)(1u << in.rm);
						}
					}
				}
				if (!run(f < 2 ? "shld.shld" : "shld.shrd", f * 10000 + si * 1000 + k, &in, &st,
					 &o))
					k--;
			}
}

/*
 * BT/BTS/BTR/BTC: CF = the bit; ZF unchanged (current SDM: "The ZF flag
 * is unaffected"); OF, SF, AF, PF undefined.  Register bit offsets with a
 * memory operand address outside the operand (signed, by operand-size
 * units).
 */
static void test_bt(void)
{
	if (!diff_family_on("bt"))
		return;
	group("bt");
	struct diff_opts o = { .flags_undef = RF_OF | RF_SF | RF_AF | RF_PF };
	static const u8 reg_ops[4] = { 0xa3, 0xab, 0xb3, 0xbb };
	static const char *const names[4] = { "bt.bt", "bt.bts", "bt.btr", "bt.btc" };
	for (unsigned f = 0; f < 4; f++)
		for (unsigned immf = 0; immf < 2; immf++)
			for (unsigned k = 0; k < diff_ncases(36); k++) {
				unsigned size = sizes_wide[rng_below(&R, 3)];
				struct diff_state st;
				struct ins in;
				random_state(&st);
				ins_init(&in);
				ins_size(&in, size);
				if (immf) {
					ins_op(&in, 2, 0x0f, 0xba, 0);
					in.reg = (int)(4 + f);
					in.immsz = 1;
					in.imm = rng_chance(&R, 1, 2) ? rng_below(&R, size * 8) : rng_below(&R, 256);
					set_rm(&in, &st, size, rval(size), 0, 40, NULL);
				} else {
					ins_op(&in, 2, 0x0f, reg_ops[f], 0);
					in.reg = pick_reg(size, 0);
					if (rng_chance(&R, 1, 2)) {
						/* memory: offsets up to +-0x6000 bytes around the operand */
						unsigned off = 0x7000 + (unsigned)rng_below(&R, 0x2000);
						off &= ~(size - 1);
						in.rm_mem = true;
						gen_mem(&in.m, off, 1u << in.reg, &st, false);
						i64 bo;
						if (size == 2)
							bo = (i64)(i16)rng_next(&R); /* +-4 KiB */
						else
							bo = (i64)rng_below(&R, 0x60000) - 0x30000;
						if (rng_chance(&R, 1, 4))
							bo = (i64)rng_below(&R, size * 8);
						u64 v = (u64)bo;
						if (size < 8) /* upper bits beyond the operand are ignored */
							v = (v & diff_size_mask(size)) | (rng_next(&R) & ~diff_size_mask(size));
						st.gpr[in.reg] = v;
					} else {
						in.rm_mem = false;
						in.rm = pick_reg(size, 0);
						set_reg(&st, in.reg, size, rval(size));
						set_reg(&st, in.rm, size, rval(size));
					}
				}
				if (in.rm_mem && f && rng_chance(&R, 1, 4))
					in.pfx[in.npfx++] = 0xf0;
				if (!run(names[f], immf * 1000 + k, &in, &st, &o))
					k--;
			}
	/* 0F BA /0../3: #UD */
	for (unsigned d = 0; d < 4; d++) {
		struct diff_state st;
		random_state(&st);
		u8 code[4] = { 0x0f, 0xba, (u8)(0xc0 | d << 3), 3 };
		run_bytes("bt.ba-invalid", d, code, 4, &st, NULL);
	}
}

/* BSF/BSR: ZF defined, CF OF SF AF PF undefined.  With a zero source the
 * destination is architecturally undefined but real CPUs leave it
 * unchanged; that is compared.  POPCNT: all flags defined. */
static void test_bitscan(void)
{
	if (!diff_family_on("bitscan"))
		return;
	group("bitscan");
	struct diff_opts o = { .flags_undef = RF_CF | RF_OF | RF_SF | RF_AF | RF_PF };
	for (unsigned f = 0; f < 3; f++)
		for (unsigned k = 0; k < diff_ncases(48); k++) {
			unsigned size = sizes_wide[rng_below(&R, 3)];
			struct diff_state st;
			struct ins in;
			random_state(&st);
			ins_init(&in);
			ins_size(&in, size);
			if (f == 2) {
				in.pfx[in.npfx++] = 0xf3;
				ins_op(&in, 2, 0x0f, 0xb8, 0);
			} else {
				ins_op(&in, 2, 0x0f, (u8)(0xbc + f), 0);
			}
			in.reg = pick_reg(size, 0);
			u64 v = rng_chance(&R, 1, 4) ? 0 : rval(size);
			if (rng_chance(&R, 1, 4))
				v = 1ull << rng_below(&R, size * 8);
			set_rm(&in, &st, size, v, 0, 40, NULL);
			static const char *const names[3] = { "bitscan.bsf", "bitscan.bsr", "bitscan.popcnt" };
			if (!run(names[f], k, &in, &st, f == 2 ? NULL : &o))
				k--;
		}
}

/* ---- string instructions ---- */

static void test_string(void)
{
	if (!diff_family_on("string"))
		return;
	group("string");
	static const struct { const char *name; u8 op; bool cmp; bool src, dst; } ops[] = {
		{ "string.movs", 0xa4, false, true, true }, { "string.cmps", 0xa6, true, true, true },
		{ "string.stos", 0xaa, false, false, true }, { "string.lods", 0xac, false, true, false },
		{ "string.scas", 0xae, true, false, true },
	};
	for (unsigned f = 0; f < ARRAY_SIZE(ops); f++)
		for (unsigned si = 0; si < 4; si++)
			for (unsigned k = 0; k < diff_ncases(24); k++) {
				unsigned size = sizes_all[si];
				struct diff_state st;
				random_state(&st);
				u8 code[8];
				unsigned len = 0;
				if (size == 2)
					code[len++] = 0x66;
				unsigned rep = (unsigned)rng_below(&R, ops[f].cmp ? 3 : 2);
				if (rep)
					code[len++] = rep == 1 ? 0xf3 : 0xf2;
				bool a32 = rng_chance(&R, 1, 5);
				if (a32)
					code[len++] = 0x67;
				if (rng_chance(&R, 1, 10)) /* null segment override in 64-bit mode */
					code[len++] = (u8[]){ 0x2e, 0x3e, 0x26, 0x36 }[rng_below(&R, 4)];
				if (size == 8)
					code[len++] = 0x48;
				code[len++] = (u8)(ops[f].op + (size == 1 ? 0 : 1));

				bool df = rng_chance(&R, 1, 2);
				st.rflags = (st.rflags & ~RF_DF) | (df ? RF_DF : 0);
				u64 count = rng_below(&R, 10);
				unsigned so = pick_off(0x200, 1) + 0x100, dof = pick_off(0x200, 1) + 0x100;
				if (rng_chance(&R, 1, 8)) /* overlapping */
					dof = so + (unsigned)rng_below(&R, 16) - 8;
				for (unsigned b = 0; b < 0x100; b += 8) {
					put_mem(so - 0x80 + b, 8, rng_next(&R));
					put_mem(dof - 0x80 + b, 8, rng_next(&R));
				}
				if (ops[f].op == 0xa6) { /* CMPS: mostly equal strings */
					memmove(data + dof - 0x80, data + so - 0x80, 0x100);
					if (rng_chance(&R, 2, 3))
						data[dof - 0x80 + rng_below(&R, 0x100)] ^= (u8)(1 + rng_below(&R, 255));
				}
				if (ops[f].op == 0xae) { /* SCAS: runs of the accumulator */
					u64 acc = st.gpr[REG_RAX];
					for (unsigned b = 0; b < 0x100; b += size)
						put_mem(dof - 0x80 + b, size, acc);
					unsigned nd = (unsigned)rng_below(&R, 4);
					for (unsigned d = 0; d < nd; d++)
						data[dof - 0x80 + rng_below(&R, 0x100)] ^= (u8)(1 + rng_below(&R, 255));
				}
				u64 rsi = DIFF_DATA_ADDR + so, rdi = DIFF_DATA_ADDR + dof;
				if (a32) {
					rsi |= rng_next(&R) << 32;
					rdi |= rng_next(&R) << 32;
					count |= rng_next(&R) << 32;
				}
				st.gpr[REG_RSI] = ops[f].src ? rsi : (rng_chance(&R, 1, 2) ? rsi : rng_next(&R));
				st.gpr[REG_RDI] = ops[f].dst ? rdi : (rng_chance(&R, 1, 2) ? rdi : rng_next(&R));
				if (rep || rng_chance(&R, 1, 2))
					st.gpr[REG_RCX] = count;
				/* A REP with a 32-bit address size and ECX = 0: Intel
				 * still writes ECX (and ESI/EDI for MOVS/STOS),
				 * clearing their upper halves, as the interpreter
				 * does; AMD leaves them alone. */
				if (rep && a32 && !(u32)st.gpr[REG_RCX] && !diff_host_is_intel())
					continue;
				run_bytes(ops[f].name, si * 1000 + k, code, len, &st, NULL);
			}
}

/* ---- NOP forms ---- */

static void test_nop(void)
{
	if (!diff_family_on("nop"))
		return;
	group("nop");
	/* 0F 1F /0 with every ModRM form (the address is never used); also
	 * the other hint-NOP reg fields and 0F 18 /0../3 prefetches. */
	for (unsigned k = 0; k < diff_ncases(96); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in);
		unsigned size = sizes_wide[rng_below(&R, 3)];
		ins_size(&in, size);
		unsigned kind = (unsigned)rng_below(&R, 8);
		if (kind < 5) {
			ins_op(&in, 2, 0x0f, 0x1f, 0);
			in.reg = kind < 4 ? 0 : (int)rng_below(&R, 8);
		} else {
			ins_op(&in, 2, 0x0f, 0x18, 0);
			in.reg = (int)rng_below(&R, 4);
		}
		if (kind < 4 && rng_chance(&R, 1, 4)) {
			in.rm_mem = false;
			in.rm = pick_reg(size, 0);
		} else {
			in.rm_mem = true;
			gen_mem(&in.m, 0, 0, &st, true);
		}
		if (!run(kind < 5 ? "nop.0f1f" : "nop.prefetch", k, &in, &st, NULL))
			k--;
	}
	/* ENDBR64/ENDBR32 (NOPs without CET), PREFETCHW 0F 0D /1. */
	static const struct { u8 b[8]; u8 len; } fixed[] = {
		{ { 0xf3, 0x0f, 0x1e, 0xfa }, 4 },
		{ { 0xf3, 0x0f, 0x1e, 0xfb }, 4 },
		{ { 0x0f, 0x0d, 0x0e }, 3 },            /* prefetchw [rsi] */
		{ { 0x0f, 0x0d, 0x4c, 0x8f, 0x40 }, 5 }, /* prefetchw [rdi+rcx*4+0x40] */
	};
	for (unsigned k = 0; k < ARRAY_SIZE(fixed); k++) {
		struct diff_state st;
		random_state(&st);
		run_bytes("nop.fixed", k, fixed[k].b, fixed[k].len, &st, NULL);
	}
}

/* ---- lazy flags: flag producers followed by flag consumers ----
 *
 * The interpreter evaluates flags lazily; a single-instruction test only
 * sees them materialised by get_state.  Here a producer (with an optional
 * flag-neutral or CF-preserving instruction after it) feeds consumers in
 * the same block: SETcc, CMOVcc, ADC/SBB, RCL/RCR, CMC, LAHF.  A consumer
 * never reads a flag the SDM leaves undefined at that point, and the
 * final comparison masks the flags still undefined after the sequence.
 * Only the first instruction may use memory (later ones could clobber a
 * pointer register).
 */

struct fx {
	u64 w, u, r; /* flags written, left undefined, read */
};

static u64 cc_reads(unsigned cc)
{
	switch (cc >> 1) {
	case 0: return RF_OF;
	case 1: return RF_CF;
	case 2: return RF_ZF;
	case 3: return RF_CF | RF_ZF;
	case 4: return RF_SF;
	case 5: return RF_PF;
	case 6: return RF_SF | RF_OF;
	default: return RF_ZF | RF_SF | RF_OF;
	}
}

/* A flag producer; memory operands allowed when `mem`. */
static struct fx gen_producer(struct ins *in, struct diff_state *st, bool mem)
{
	unsigned size = sizes_all[rng_below(&R, 4)];
	unsigned mp = mem ? 40 : 0;
	ins_init(in);
	ins_size(in, size);
	struct fx f = { RF_ARITH, 0, 0 };
	bool byte = size == 1;
	switch (rng_below(&R, 12)) {
	case 0: { /* ALU r/m, r */
		unsigned op = (unsigned)rng_below(&R, 8);
		ins_op(in, 1, (u8)(op * 8 + (byte ? 0 : 1)), 0, 0);
		in->reg = pick_reg(size, 0);
		in->reg8 = in->rm8 = byte;
		set_reg(st, in->reg, size, rval(size));
		set_rm(in, st, size, rval(size), 0, mp, NULL);
		f.u = alu_undef(op);
		f.r = (op == 2 || op == 3) ? RF_CF : 0;
		break;
	}
	case 1: { /* ALU r/m, imm8 */
		unsigned op = (unsigned)rng_below(&R, 8);
		ins_op(in, 1, byte ? 0x80 : 0x83, 0, 0);
		in->reg = (int)op;
		in->rm8 = byte;
		set_rm(in, st, size, rval(size), 0, mp, NULL);
		in->immsz = 1;
		in->imm = edge_val(1);
		f.u = alu_undef(op);
		f.r = (op == 2 || op == 3) ? RF_CF : 0;
		break;
	}
	case 2: /* INC/DEC */
		ins_op(in, 1, byte ? 0xfe : 0xff, 0, 0);
		in->reg = (int)rng_below(&R, 2);
		in->rm8 = byte;
		set_rm(in, st, size, rval(size), 0, mp, NULL);
		f.w = RF_ARITH & ~RF_CF;
		break;
	case 3: /* NEG */
		ins_op(in, 1, byte ? 0xf6 : 0xf7, 0, 0);
		in->reg = 3;
		in->rm8 = byte;
		set_rm(in, st, size, rval(size), 0, mp, NULL);
		break;
	case 4: /* TEST */
		ins_op(in, 1, byte ? 0x84 : 0x85, 0, 0);
		in->reg = pick_reg(size, 0);
		in->reg8 = in->rm8 = byte;
		set_reg(st, in->reg, size, rval(size));
		set_rm(in, st, size, rval(size), 0, mp, NULL);
		f.u = RF_AF;
		break;
	case 5: /* SHL/SHR/SAR by 1 */
		ins_op(in, 1, byte ? 0xd0 : 0xd1, 0, 0);
		in->reg = (int)(u8[]){ 4, 5, 7 }[rng_below(&R, 3)];
		in->rm8 = byte;
		set_rm(in, st, size, rval(size), 0, mp, NULL);
		f.u = RF_AF;
		break;
	case 6: /* IMUL r, r/m */
		if (byte)
			ins_size(in, size = 4);
		ins_op(in, 2, 0x0f, 0xaf, 0);
		in->reg = pick_reg(size, 0);
		set_reg(st, in->reg, size, rval(size));
		set_rm(in, st, size, rval(size), 0, mp, NULL);
		f.u = RF_SF | RF_ZF | RF_AF | RF_PF;
		break;
	case 7: /* BT r, r */
		if (byte)
			ins_size(in, size = 4);
		ins_op(in, 2, 0x0f, 0xa3, 0);
		in->reg = pick_reg(size, 0);
		in->rm = pick_reg(size, 0);
		f.w = RF_CF | RF_OF | RF_SF | RF_AF | RF_PF;
		f.u = RF_OF | RF_SF | RF_AF | RF_PF;
		break;
	case 8: /* SAHF */
		ins_init(in);
		ins_op(in, 1, 0x9e, 0, 0);
		f.w = RF_SF | RF_ZF | RF_AF | RF_PF | RF_CF;
		break;
	case 9: /* CMC, CLC, STC */
		ins_init(in);
		ins_op(in, 1, (u8[]){ 0xf5, 0xf8, 0xf9 }[rng_below(&R, 3)], 0, 0);
		f.w = RF_CF;
		f.r = in->op[0] == 0xf5 ? RF_CF : 0;
		break;
	case 10: /* BSF */
		if (byte)
			ins_size(in, size = 4);
		ins_op(in, 2, 0x0f, 0xbc, 0);
		in->reg = pick_reg(size, 0);
		set_rm(in, st, size, rng_chance(&R, 1, 4) ? 0 : rval(size), 0, mp, NULL);
		f.u = RF_CF | RF_OF | RF_SF | RF_AF | RF_PF;
		/* a zero source leaves the destination as it was: fine */
		break;
	default: /* CMPXCHG r/m, r */
		ins_op(in, 2, 0x0f, byte ? 0xb0 : 0xb1, 0);
		in->reg = pick_reg(size, 0);
		in->reg8 = in->rm8 = byte;
		set_reg(st, in->reg, size, rval(size));
		set_rm(in, st, size, rval(size), 0, mp, NULL);
		break;
	}
	return f;
}

/* A flag consumer (registers only) that reads nothing in `undef`. */
static struct fx gen_consumer(struct ins *in, struct diff_state *st, u64 undef)
{
	for (;;) {
		unsigned size = sizes_all[rng_below(&R, 4)];
		bool byte = size == 1;
		struct fx f = { 0, 0, 0 };
		ins_init(in);
		ins_size(in, size);
		switch (rng_below(&R, 7)) {
		case 0: { /* SETcc */
			unsigned cc = (unsigned)rng_below(&R, 16);
			ins_init(in);
			ins_op(in, 2, 0x0f, (u8)(0x90 + cc), 0);
			in->reg = 0;
			in->rm8 = true;
			in->rm = pick_reg(1, 0);
			f.r = cc_reads(cc);
			break;
		}
		case 1: { /* CMOVcc */
			unsigned cc = (unsigned)rng_below(&R, 16);
			if (byte)
				ins_size(in, size = 8);
			ins_op(in, 2, 0x0f, (u8)(0x40 + cc), 0);
			in->reg = pick_reg(size, 0);
			in->rm = pick_reg(size, 0);
			f.r = cc_reads(cc);
			break;
		}
		case 2: /* ADC/SBB r, r */
			ins_op(in, 1, (u8)((rng_chance(&R, 1, 2) ? 0x10 : 0x18) + (byte ? 0 : 1)), 0, 0);
			in->reg = pick_reg(size, 0);
			in->rm = pick_reg(size, 0);
			in->reg8 = in->rm8 = byte;
			f.w = RF_ARITH;
			f.r = RF_CF;
			break;
		case 3: /* RCL/RCR r, 1 */
			ins_op(in, 1, byte ? 0xd0 : 0xd1, 0, 0);
			in->reg = 2 + (int)rng_below(&R, 2);
			in->rm = pick_reg(size, 0);
			in->rm8 = byte;
			f.w = RF_CF | RF_OF;
			f.r = RF_CF;
			break;
		case 4: /* CMC */
			ins_init(in);
			ins_op(in, 1, 0xf5, 0, 0);
			f.w = f.r = RF_CF;
			break;
		case 5: /* LAHF */
			ins_init(in);
			ins_op(in, 1, 0x9f, 0, 0);
			f.r = RF_SF | RF_ZF | RF_AF | RF_PF | RF_CF;
			break;
		default: /* INC/DEC r: keeps CF */
			ins_op(in, 1, byte ? 0xfe : 0xff, 0, 0);
			in->reg = (int)rng_below(&R, 2);
			in->rm = pick_reg(size, 0);
			in->rm8 = byte;
			f.w = RF_ARITH & ~RF_CF;
			break;
		}
		(void)st;
		if (!(f.r & undef))
			return f;
	}
}

static void test_lazy(void)
{
	if (!diff_family_on("lazy"))
		return;
	group("lazy");
	for (unsigned k = 0; k < diff_ncases(600); k++) {
		struct diff_state st;
		random_state(&st);
		u8 code[DIFF_MAX_INSN];
		unsigned len = 0, n = 0;
		u64 undef = 0;
		struct ins in;
		struct fx f;
		bool ok = true;
		/* producer */
		f = gen_producer(&in, &st, true);
		int l = encode(&in, code);
		if (l < 0) {
			k--;
			continue;
		}
		len += (unsigned)l;
		n++;
		undef = (undef & ~f.w) | f.u;
		/* 1..3 consumers (the first may be a MOV that changes no flag) */
		unsigned nc = 1 + (unsigned)rng_below(&R, 3);
		for (unsigned c = 0; c < nc && ok; c++) {
			if (c == 0 && rng_chance(&R, 1, 4)) {
				ins_init(&in);
				ins_size(&in, 8);
				ins_op(&in, 1, 0x8b, 0, 0); /* mov r64, r64 */
				in.reg = pick_reg(8, 0);
				in.rm = pick_reg(8, 0);
				f.w = f.u = f.r = 0;
			} else {
				f = gen_consumer(&in, &st, undef);
			}
			l = encode(&in, code + len);
			if (l < 0 || len + (unsigned)l > 15 * 4) {
				ok = false;
				break;
			}
			len += (unsigned)l;
			n++;
			undef = (undef & ~f.w) | f.u;
		}
		if (!ok || len > DIFF_MAX_INSN) {
			k--;
			continue;
		}
		struct diff_opts o = { .flags_undef = undef };
		char tag[64];
		snprintf(tag, sizeof(tag), "lazy#%u", k);
		diff_check_seq(tag, code, len, n, &st, data, &o);
		tally();
	}
}

/* ---- invalid opcodes in 64-bit mode (#UD) and LOCK misuse ---- */

static void test_invalid(void)
{
	if (!diff_family_on("invalid"))
		return;
	group("invalid");
	static const struct { u8 b[4]; u8 len; } cases[] = {
		{ { 0x06 }, 1 }, { { 0x07 }, 1 }, { { 0x0e }, 1 }, { { 0x16 }, 1 }, { { 0x17 }, 1 },
		{ { 0x1e }, 1 }, { { 0x1f }, 1 }, { { 0x27 }, 1 }, { { 0x2f }, 1 }, { { 0x37 }, 1 },
		{ { 0x3f }, 1 }, { { 0x60 }, 1 }, { { 0x61 }, 1 }, { { 0xce }, 1 }, { { 0xd6 }, 1 },
		{ { 0xd4, 0x0a }, 2 }, { { 0xd5, 0x0a }, 2 },
		{ { 0x9a, 0, 0, 0 }, 4 }, { { 0xea, 0, 0, 0 }, 4 },
		{ { 0x0f, 0x0b }, 2 },             /* UD2 */
		{ { 0x0f, 0xb9, 0xc0 }, 3 },       /* UD1 */
		{ { 0xf0, 0x01, 0xc0 }, 3 },       /* LOCK ADD reg, reg */
		{ { 0xf0, 0x8b, 0x00 }, 3 },       /* LOCK MOV */
		{ { 0xf0, 0x90 }, 2 },             /* LOCK NOP */
		{ { 0xf0, 0x0f, 0xaf, 0xc0 }, 4 }, /* LOCK IMUL */
		{ { 0xf0, 0x0f, 0xa3, 0xc0 }, 4 }, /* LOCK BT reg */
	};
	for (unsigned k = 0; k < ARRAY_SIZE(cases); k++) {
		struct diff_state st;
		random_state(&st);
		run_bytes("invalid", k, cases[k].b, cases[k].len, &st, NULL);
	}
	/* Instruction length: 15 bytes is fine, 16 or more raise #GP(0). */
	for (unsigned len = 14; len <= 17; len++) {
		struct diff_state st;
		random_state(&st);
		u8 code[32];
		unsigned n = 0;
		while (n < len - 3)
			code[n++] = (u8[]){ 0x3e, 0x2e, 0x26, 0x36, 0x66 }[rng_below(&R, 5)];
		code[n++] = 0x48; /* add rax, rcx */
		code[n++] = 0x01;
		code[n++] = 0xc8;
		run_bytes("invalid.length", len, code, n, &st, NULL);
	}
}

int main(void)
{
	diff_cases_start(&R, 0x5eed1e55ull, 2, data);

	test_alu();
	test_unary();
	test_test();
	test_mul();
	test_div();
	test_mov();
	test_lea();
	test_xchg();
	test_cond();
	test_misc();
	test_shift();
	test_shld();
	test_bt();
	test_bitscan();
	test_string();
	test_nop();
	test_lazy();
	test_invalid();
	group_end();
	return check_summary();
}
