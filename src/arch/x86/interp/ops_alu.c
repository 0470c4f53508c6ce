/*
 * Integer arithmetic and logic: the eight classic ALU operations in all
 * their forms, TEST, INC/DEC/NEG/NOT, MUL/IMUL/DIV/IDIV, XADD, CMPXCHG,
 * CMPXCHG8B/16B, sign extensions, the flag instructions, and the decimal
 * adjustments, BOUND and SALC of 16/32-bit code.  The hot forms are
 * specialised per operation, size and operand kind.
 */
#include "cpu.h"

enum { ADD, OR, ADC, SBB, AND, SUB, XOR, CMP };

static inline u64 alu(struct cpu *c, int op, u64 a, u64 b, unsigned size)
{
	u64 r, m = size_mask(size);
	switch (op) {
	case ADD: r = (a + b) & m; set_cc(c, CC_OP(CC_ADD, size), a, b, r); break;
	case ADC: r = (a + b + flag_cf(c)) & m; set_cc(c, CC_OP(CC_ADC, size), a, b, r); break;
	case SUB:
	case CMP: r = (a - b) & m; set_cc(c, CC_OP(CC_SUB, size), a, b, r); break;
	case SBB: r = (a - b - flag_cf(c)) & m; set_cc(c, CC_OP(CC_SBB, size), a, b, r); break;
	case AND: r = a & b; set_cc(c, CC_OP(CC_LOGIC, size), 0, 0, r); break;
	case OR: r = a | b; set_cc(c, CC_OP(CC_LOGIC, size), 0, 0, r); break;
	default: r = a ^ b; set_cc(c, CC_OP(CC_LOGIC, size), 0, 0, r); break;
	}
	return r;
}

/* The result alone, flags untouched (for stores that must precede them). */
static inline u64 alu_value(struct cpu *c, int op, u64 a, u64 b, unsigned size)
{
	u64 m = size_mask(size);
	switch (op) {
	case ADD: return (a + b) & m;
	case ADC: return (a + b + flag_cf(c)) & m;
	case SUB: case CMP: return (a - b) & m;
	case SBB: return (a - b - flag_cf(c)) & m;
	case AND: return a & b;
	case OR: return a | b;
	default: return a ^ b;
	}
}

/* dst = rm register, src = reg register */
#define ALU_FORMS(name, op, size)                                                         \
	static void name##_rr_##size(struct cpu *c, const struct insn *i)                    \
	{                                                                                      \
		u64 r = alu(c, op, reg_read(c, i->rm, size), reg_read(c, i->reg, size), size);  \
		if (op != CMP)                                                                 \
			reg_write(c, i->rm, size, r);                                          \
	}                                                                                      \
	static void name##_mr_##size(struct cpu *c, const struct insn *i)                    \
	{                                                                                      \
		u64 ea = insn_ea(c, i);                                                        \
		u64 a = mem_read(c, ea, size), b = reg_read(c, i->reg, size);                 \
		if (op != CMP) /* store first: it may fault, flags must not change */         \
			mem_write(c, ea, size, alu_value(c, op, a, b, size));                  \
		alu(c, op, a, b, size);                                                        \
	}                                                                                      \
	static void name##_rm_##size(struct cpu *c, const struct insn *i)                    \
	{                                                                                      \
		u64 b = mem_read(c, insn_ea(c, i), size);                                      \
		u64 r = alu(c, op, reg_read(c, i->reg, size), b, size);                        \
		if (op != CMP)                                                                 \
			reg_write(c, i->reg, size, r);                                         \
	}                                                                                      \
	static void name##_ri_##size(struct cpu *c, const struct insn *i)                    \
	{                                                                                      \
		u64 r = alu(c, op, reg_read(c, i->rm, size), i->imm & size_mask(size), size);   \
		if (op != CMP)                                                                 \
			reg_write(c, i->rm, size, r);                                          \
	}                                                                                      \
	static void name##_mi_##size(struct cpu *c, const struct insn *i)                    \
	{                                                                                      \
		u64 ea = insn_ea(c, i);                                                        \
		u64 a = mem_read(c, ea, size);                                                 \
		if (op == CMP) {                                                               \
			alu(c, op, a, i->imm & size_mask(size), size);                          \
			return;                                                                \
		}                                                                              \
		u64 b = i->imm & size_mask(size);                                              \
		u64 r = alu_value(c, op, a, b, size);                                          \
		mem_write(c, ea, size, r);                                                     \
		alu(c, op, a, b, size);                                                        \
	}

/* The memory forms, TLB hits only (see HANDLER_SLOW). */
#define ALU_FAST_FORMS(name, op, size)                                                    \
	HANDLER_SLOW void name##_mr_##size##_any(struct cpu *c, const struct insn *i)         \
	{                                                                                      \
		name##_mr_##size(c, i);                                                        \
	}                                                                                      \
	HANDLER_SLOW void name##_rm_##size##_any(struct cpu *c, const struct insn *i)         \
	{                                                                                      \
		name##_rm_##size(c, i);                                                        \
	}                                                                                      \
	HANDLER_SLOW void name##_mi_##size##_any(struct cpu *c, const struct insn *i)         \
	{                                                                                      \
		name##_mi_##size(c, i);                                                        \
	}                                                                                      \
	FAST_PART(name##_mr_##size##_fast, size, op != CMP, name##_mr_##size##_any,            \
		  u64 r = alu(c, op, host_load(h, size), reg_read(c, i->reg, size), size);      \
		  if (op != CMP)                                                                \
			  host_store(h, size, r);)                                              \
	FAST_PART(name##_rm_##size##_fast, size, false, name##_rm_##size##_any,                 \
		  u64 r = alu(c, op, reg_read(c, i->reg, size), host_load(h, size), size);      \
		  if (op != CMP)                                                                \
			  reg_write(c, i->reg, size, r);)                                       \
	FAST_PART(name##_mi_##size##_fast, size, op != CMP, name##_mi_##size##_any,            \
		  u64 r = alu(c, op, host_load(h, size), i->imm & size_mask(size), size);       \
		  if (op != CMP)                                                                \
			  host_store(h, size, r);)

#define ALU_SIZES(name, op) ALU_FORMS(name, op, 1) ALU_FORMS(name, op, 2) \
	ALU_FORMS(name, op, 4) ALU_FORMS(name, op, 8) ALU_FAST_FORMS(name, op, 1) \
	ALU_FAST_FORMS(name, op, 2) ALU_FAST_FORMS(name, op, 4) ALU_FAST_FORMS(name, op, 8)

ALU_SIZES(add, ADD)
ALU_SIZES(or, OR)
ALU_SIZES(adc, ADC)
ALU_SIZES(sbb, SBB)
ALU_SIZES(and, AND)
ALU_SIZES(sub, SUB)
ALU_SIZES(xor, XOR)
ALU_SIZES(cmp, CMP)

#define ALU_TABLE(form) { \
	{ add_##form##_1, add_##form##_2, add_##form##_4, add_##form##_8 }, \
	{ or_##form##_1, or_##form##_2, or_##form##_4, or_##form##_8 }, \
	{ adc_##form##_1, adc_##form##_2, adc_##form##_4, adc_##form##_8 }, \
	{ sbb_##form##_1, sbb_##form##_2, sbb_##form##_4, sbb_##form##_8 }, \
	{ and_##form##_1, and_##form##_2, and_##form##_4, and_##form##_8 }, \
	{ sub_##form##_1, sub_##form##_2, sub_##form##_4, sub_##form##_8 }, \
	{ xor_##form##_1, xor_##form##_2, xor_##form##_4, xor_##form##_8 }, \
	{ cmp_##form##_1, cmp_##form##_2, cmp_##form##_4, cmp_##form##_8 } }

#define ALU_FAST_ROW(name, form) \
	{ name##_##form##_1_fast, name##_##form##_2_fast, name##_##form##_4_fast, name##_##form##_8_fast }
#define ALU_FAST_TABLE(form) { \
	ALU_FAST_ROW(add, form), ALU_FAST_ROW(or, form), ALU_FAST_ROW(adc, form), \
	ALU_FAST_ROW(sbb, form), ALU_FAST_ROW(and, form), ALU_FAST_ROW(sub, form), \
	ALU_FAST_ROW(xor, form), ALU_FAST_ROW(cmp, form) }

static const insn_fn alu_rr[8][4] = ALU_TABLE(rr);
static const insn_fn alu_mr[8][4] = ALU_FAST_TABLE(mr);
static const insn_fn alu_rm[8][4] = ALU_FAST_TABLE(rm);
static const insn_fn alu_ri[8][4] = ALU_TABLE(ri);
static const insn_fn alu_mi[8][4] = ALU_FAST_TABLE(mi);

/* 00..3D: op = bits 3..5, form = bits 0..2 */
static insn_fn sel_alu(struct insn *i)
{
	unsigned op = (i->op >> 3) & 7, form = i->op & 7, sz = size_index(i->opsize);
	switch (form) {
	case 0: case 1: /* Eb,Gb / Ev,Gv */
		return i->rm == RM_MEM ? alu_mr[op][sz] : alu_rr[op][sz];
	case 2: case 3: /* Gb,Eb / Gv,Ev */
		if (i->rm == RM_MEM)
			return alu_rm[op][sz];
		{ u8 t = i->rm; i->rm = i->reg; i->reg = t; }
		return alu_rr[op][sz];
	default: /* AL,Ib / eAX,Iz */
		i->rm = REG_RAX;
		return alu_ri[op][sz];
	}
}

/* 80, 81, 83: group 1 with an immediate */
static insn_fn sel_grp1(struct insn *i)
{
	unsigned sz = size_index(i->opsize);
	return i->rm == RM_MEM ? alu_mi[i->ext][sz] : alu_ri[i->ext][sz];
}

/* ---- TEST ---- */

static void test_generic(struct cpu *c, const struct insn *i, u64 b)
{
	u64 a = rm_read(c, i, i->opsize);
	set_cc(c, CC_OP(CC_LOGIC, i->opsize), 0, 0, a & b);
}

static void test_rm_reg(struct cpu *c, const struct insn *i)
{
	test_generic(c, i, reg_read(c, i->reg, i->opsize));
}

static void test_rm_imm(struct cpu *c, const struct insn *i)
{
	test_generic(c, i, i->imm & size_mask(i->opsize));
}

static void test_rr_8(struct cpu *c, const struct insn *i)
{
	set_cc(c, CC_OP(CC_LOGIC, 8), 0, 0, c->s.gpr[i->rm] & c->s.gpr[i->reg]);
}

static void test_rr_4(struct cpu *c, const struct insn *i)
{
	set_cc(c, CC_OP(CC_LOGIC, 4), 0, 0, (u32)(c->s.gpr[i->rm] & c->s.gpr[i->reg]));
}

static void test_rr_1(struct cpu *c, const struct insn *i)
{
	set_cc(c, CC_OP(CC_LOGIC, 1), 0, 0, reg_read(c, i->rm, 1) & reg_read(c, i->reg, 1));
}

HANDLER_SLOW void test_rm_reg_any(struct cpu *c, const struct insn *i) { test_rm_reg(c, i); }
HANDLER_SLOW void test_rm_imm_any(struct cpu *c, const struct insn *i) { test_rm_imm(c, i); }

/* Memory operand, register or immediate, per size: the TLB-hit part. */
#define TEST_FAST(size)                                                                  \
	FAST_PART(test_mr_##size, size, false, test_rm_reg_any,                          \
		  set_cc(c, CC_OP(CC_LOGIC, size), 0, 0,                                 \
			 host_load(h, size) & reg_read(c, i->reg, size));)               \
	FAST_PART(test_mi_##size, size, false, test_rm_imm_any,                          \
		  set_cc(c, CC_OP(CC_LOGIC, size), 0, 0,                                 \
			 host_load(h, size) & i->imm & size_mask(size));)
TEST_FAST(1) TEST_FAST(2) TEST_FAST(4) TEST_FAST(8)
static const insn_fn test_mr[4] = { test_mr_1, test_mr_2, test_mr_4, test_mr_8 };
static const insn_fn test_mi[4] = { test_mi_1, test_mi_2, test_mi_4, test_mi_8 };

static insn_fn sel_test_imm(struct insn *i)
{
	return i->rm == RM_MEM ? test_mi[size_index(i->opsize)] : test_rm_imm;
}

static insn_fn sel_test(struct insn *i)
{
	if (i->op == 0xa8 || i->op == 0xa9) {
		i->rm = REG_RAX;
		return test_rm_imm;
	}
	if (i->rm == RM_MEM)
		return test_mr[size_index(i->opsize)];
	if (i->opsize == 8)
		return test_rr_8;
	if (i->opsize == 4)
		return test_rr_4;
	if (i->opsize == 1)
		return test_rr_1;
	return test_rm_reg;
}

/* ---- INC/DEC/NOT/NEG ---- */

/* The flags of INC/DEC of a giving res, once res is stored (a store may
 * fault).  They keep CF: it moves into rflags, where CC_INC/CC_DEC read it. */
static inline void inc_dec_flags(struct cpu *c, u64 a, u64 res, bool dec, unsigned size)
{
	c->s.rflags = (c->s.rflags & ~RF_CF) | flag_cf(c);
	set_cc(c, CC_OP(dec ? CC_DEC : CC_INC, size), a, 1, res);
}

static void inc_dec(struct cpu *c, const struct insn *i, unsigned r, bool dec)
{
	unsigned size = i->opsize;
	u64 ea = 0, a;
	if (r == RM_MEM) {
		ea = insn_ea(c, i);
		a = mem_read(c, ea, size);
	} else {
		a = reg_read(c, r, size);
	}
	u64 res = (dec ? a - 1 : a + 1) & size_mask(size);
	if (r == RM_MEM)
		mem_write(c, ea, size, res);
	else
		reg_write(c, r, size, res);
	inc_dec_flags(c, a, res, dec, size);
}

static void inc_rm(struct cpu *c, const struct insn *i) { inc_dec(c, i, i->rm, false); }
static void dec_rm(struct cpu *c, const struct insn *i) { inc_dec(c, i, i->rm, true); }
static void inc_r(struct cpu *c, const struct insn *i) { inc_dec(c, i, i->reg, false); }
static void dec_r(struct cpu *c, const struct insn *i) { inc_dec(c, i, i->reg, true); }

static void not_rm(struct cpu *c, const struct insn *i)
{
	rm_write(c, i, i->opsize, ~rm_read(c, i, i->opsize));
}

static void neg_rm(struct cpu *c, const struct insn *i)
{
	unsigned size = i->opsize;
	u64 a = rm_read(c, i, size), r = (0 - a) & size_mask(size);
	rm_write(c, i, size, r);
	set_cc(c, CC_OP(CC_SUB, size), 0, a, r);
}

/* ---- multiply and divide ---- */

/* CF = OF = overflow; ZF, SF and PF from the low half and AF clear, as
 * the processors the CPUID model names leave them: lazily (CC_MUL). */
static void set_mul_flags(struct cpu *c, bool overflow, u64 low, unsigned size)
{
	set_cc(c, CC_OP(CC_MUL, size), overflow, 0, low & size_mask(size));
}

/* One-operand MUL/IMUL results: AX for bytes, rDX:rAX otherwise. */
static void write_product(struct cpu *c, unsigned size, u64 low16, u64 lo, u64 hi)
{
	if (size == 1) {
		reg_write(c, REG_RAX, 2, low16);
		return;
	}
	reg_write(c, REG_RAX, size, lo);
	reg_write(c, REG_RDX, size, hi);
}

static void mul_rm(struct cpu *c, const struct insn *i)
{
	unsigned size = i->opsize;
	u64 b = rm_read(c, i, size), a = reg_read(c, REG_RAX, size);
	unsigned __int128 p = (unsigned __int128)a * b;
	u64 lo = (u64)p & size_mask(size);
	u64 hi = size == 8 ? (u64)(p >> 64) : (u64)(p >> (size * 8)) & size_mask(size);
	write_product(c, size, (u64)p, lo, hi);
	set_mul_flags(c, hi != 0, lo, size);
}

static void imul1_rm(struct cpu *c, const struct insn *i)
{
	unsigned size = i->opsize;
	i64 b = (i64)sign_extend(rm_read(c, i, size), size);
	i64 a = (i64)sign_extend(reg_read(c, REG_RAX, size), size);
	__int128 p = (__int128)a * b;
	u64 lo = (u64)p & size_mask(size);
	u64 hi = size == 8 ? (u64)(p >> 64) : (u64)(p >> (size * 8)) & size_mask(size);
	bool of = (__int128)(i64)sign_extend(lo, size) != p;
	write_product(c, size, (u64)p, lo, hi);
	set_mul_flags(c, of, lo, size);
}

/* IMUL Gv, Ev [, imm]: the two- and three-operand forms */
static void imul_reg(struct cpu *c, const struct insn *i, i64 b)
{
	unsigned size = i->opsize;
	i64 a = (i64)sign_extend(rm_read(c, i, size), size);
	__int128 p = (__int128)a * b;
	u64 lo = (u64)p & size_mask(size);
	bool of = (__int128)(i64)sign_extend(lo, size) != p;
	reg_write(c, i->reg, size, lo);
	set_mul_flags(c, of, lo, size);
}

static void imul_gv_ev(struct cpu *c, const struct insn *i)
{
	imul_reg(c, i, (i64)sign_extend(reg_read(c, i->reg, i->opsize), i->opsize));
}

/* IMUL r64, r/m64 and r32, r/m32 with a register or a TLB-hit operand. */
HANDLER_SLOW void imul_gv_ev_any(struct cpu *c, const struct insn *i) { imul_gv_ev(c, i); }
static void imul_gv_ev_8(struct cpu *c, const struct insn *i)
{
	u64 v;
	i64 p;
	if (unlikely(!fast_rm_read(c, i, 8, &v))) {
		imul_gv_ev_any(c, i);
		return;
	}
	bool of = __builtin_mul_overflow((i64)v, (i64)c->s.gpr[i->reg], &p);
	c->s.gpr[i->reg] = (u64)p;
	set_cc(c, CC_OP(CC_MUL, 8), of, 0, (u64)p);
}
static void imul_gv_ev_4(struct cpu *c, const struct insn *i)
{
	u64 v;
	if (unlikely(!fast_rm_read(c, i, 4, &v))) {
		imul_gv_ev_any(c, i);
		return;
	}
	i64 p = (i64)(i32)v * (i32)c->s.gpr[i->reg];
	c->s.gpr[i->reg] = (u32)p;
	set_cc(c, CC_OP(CC_MUL, 4), p != (i32)p, 0, (u32)p);
}

static void imul_gv_ev_imm(struct cpu *c, const struct insn *i)
{
	imul_reg(c, i, (i64)sign_extend(i->imm, i->opsize));
}

static void div_rm(struct cpu *c, const struct insn *i)
{
	unsigned size = i->opsize;
	u64 d = rm_read(c, i, size);
	if (!d)
		cpu_raise(c, EXC_DE, NO_ERRCODE);
	unsigned __int128 n;
	if (size == 1)
		n = reg_read(c, REG_RAX, 2);
	else
		n = ((unsigned __int128)reg_read(c, REG_RDX, size) << (size * 8)) |
		    reg_read(c, REG_RAX, size);
	unsigned __int128 q = n / d, r = n % d;
	if (q > size_mask(size))
		cpu_raise(c, EXC_DE, NO_ERRCODE);
	if (size == 1) {
		reg_write(c, REG_RAX, 2, ((u64)r << 8) | (u64)q);
	} else {
		reg_write(c, REG_RAX, size, (u64)q);
		reg_write(c, REG_RDX, size, (u64)r);
	}
}

static void idiv_rm(struct cpu *c, const struct insn *i)
{
	unsigned size = i->opsize;
	i64 d = (i64)sign_extend(rm_read(c, i, size), size);
	if (!d)
		cpu_raise(c, EXC_DE, NO_ERRCODE);
	__int128 n;
	if (size == 1)
		n = (i16)reg_read(c, REG_RAX, 2);
	else if (size == 8)
		n = (__int128)(((unsigned __int128)c->s.gpr[REG_RDX] << 64) | c->s.gpr[REG_RAX]);
	else /* DX:AX or EDX:EAX as one signed double-width value */
		n = (i64)sign_extend((reg_read(c, REG_RDX, size) << (size * 8)) |
				     reg_read(c, REG_RAX, size), size * 2);
	if (size == 8 && n == (__int128)((unsigned __int128)1 << 127) && d == -1) /* quotient 2^127 overflows */
		cpu_raise(c, EXC_DE, NO_ERRCODE);
	__int128 q = n / d, r = n % d;
	__int128 lim = (__int128)1 << (size * 8 - 1);
	if (q >= lim || q < -lim)
		cpu_raise(c, EXC_DE, NO_ERRCODE);
	if (size == 1) {
		reg_write(c, REG_RAX, 2, (((u64)r & 0xff) << 8) | ((u64)q & 0xff));
	} else {
		reg_write(c, REG_RAX, size, (u64)q);
		reg_write(c, REG_RDX, size, (u64)r);
	}
}

static insn_fn sel_grp3(struct insn *i)
{
	static const insn_fn fns[6] = { not_rm, neg_rm, mul_rm, imul1_rm, div_rm, idiv_rm };
	if (i->ext < 2) /* TEST */
		return sel_test_imm(i);
	return fns[i->ext - 2];
}

static insn_fn sel_grp4(struct insn *i) /* FE */
{
	return i->ext == 0 ? inc_rm : i->ext == 1 ? dec_rm : NULL;
}

static insn_fn sel_inc_dec_r(struct insn *i) /* 40..4F outside 64-bit mode */
{
	i->reg = i->op & 7;
	return i->op < 0x48 ? inc_r : dec_r;
}

static insn_fn sel_imul(struct insn *i)
{
	if (i->op == 0xaf)
		return i->opsize == 8 ? imul_gv_ev_8 : i->opsize == 4 ? imul_gv_ev_4 : imul_gv_ev;
	return imul_gv_ev_imm;
}

/* ---- XADD, CMPXCHG, CMPXCHG8B/16B ---- */

static void xadd(struct cpu *c, const struct insn *i)
{
	unsigned size = i->opsize;
	u64 ea = i->rm == RM_MEM ? insn_ea(c, i) : 0;
	u64 d = i->rm == RM_MEM ? mem_read(c, ea, size) : reg_read(c, i->rm, size);
	u64 s = reg_read(c, i->reg, size), r = (d + s) & size_mask(size);
	if (i->rm == RM_MEM)
		mem_write(c, ea, size, r);
	reg_write(c, i->reg, size, d);
	if (i->rm != RM_MEM)
		reg_write(c, i->rm, size, r);
	set_cc(c, CC_OP(CC_ADD, size), d, s, r);
}

static void cmpxchg(struct cpu *c, const struct insn *i)
{
	unsigned size = i->opsize;
	u64 ea = i->rm == RM_MEM ? insn_ea(c, i) : 0;
	u64 d = i->rm == RM_MEM ? mem_read(c, ea, size) : reg_read(c, i->rm, size);
	u64 acc = reg_read(c, REG_RAX, size);
	bool eq = acc == d;
	u64 nv = eq ? reg_read(c, i->reg, size) : d;
	if (i->rm == RM_MEM)
		mem_write(c, ea, size, nv); /* the destination is always written */
	else if (eq)
		reg_write(c, i->rm, size, nv);
	if (!eq)
		reg_write(c, REG_RAX, size, d);
	set_cc(c, CC_OP(CC_SUB, size), acc, d, (acc - d) & size_mask(size));
}

static void cmpxchg8b(struct cpu *c, const struct insn *i)
{
	u64 ea = insn_ea(c, i);
	u64 m = mem_read64(c, ea);
	u64 cmp = ((u64)(u32)c->s.gpr[REG_RDX] << 32) | (u32)c->s.gpr[REG_RAX];
	bool eq = m == cmp;
	u64 nv = eq ? ((u64)(u32)c->s.gpr[REG_RCX] << 32) | (u32)c->s.gpr[REG_RBX] : m;
	mem_write64(c, ea, nv);
	if (!eq) {
		c->s.gpr[REG_RAX] = (u32)m;
		c->s.gpr[REG_RDX] = m >> 32;
	}
	flags_set(c, eq ? RF_ZF : 0, RF_ZF);
}

static void cmpxchg16b(struct cpu *c, const struct insn *i)
{
	u64 ea = insn_ea(c, i);
	if (ea & 15)
		raise_gp(c, 0);
	u64 m[2];
	mem_read_bytes(c, ea, m, 16);
	bool eq = m[0] == c->s.gpr[REG_RAX] && m[1] == c->s.gpr[REG_RDX];
	u64 nv[2] = { m[0], m[1] };
	if (eq) {
		nv[0] = c->s.gpr[REG_RBX];
		nv[1] = c->s.gpr[REG_RCX];
	}
	mem_write_bytes(c, ea, nv, 16);
	if (!eq) {
		c->s.gpr[REG_RAX] = m[0];
		c->s.gpr[REG_RDX] = m[1];
	}
	flags_set(c, eq ? RF_ZF : 0, RF_ZF);
}

static insn_fn sel_grp9(struct insn *i) /* 0F C7 */
{
	if (i->ext != 1 || i->rm != RM_MEM)
		return NULL;
	return (i->pfx & PFX_REXW) ? cmpxchg16b : cmpxchg8b;
}

static insn_fn sel_xadd(struct insn *i) { (void)i; return xadd; }
static insn_fn sel_cmpxchg(struct insn *i) { (void)i; return cmpxchg; }

/* ---- CBW family, flag instructions ---- */

static void cbw(struct cpu *c, const struct insn *i)
{
	unsigned half = i->opsize / 2;
	reg_write(c, REG_RAX, i->opsize, sign_extend(reg_read(c, REG_RAX, half), half));
}

static void cwd(struct cpu *c, const struct insn *i)
{
	u64 a = reg_read(c, REG_RAX, i->opsize);
	bool neg = (a >> (i->opsize * 8 - 1)) & 1;
	reg_write(c, REG_RDX, i->opsize, neg ? ~0ull : 0);
}

static void sahf(struct cpu *c, const struct insn *i)
{
	(void)i;
	u64 ah = (c->s.gpr[REG_RAX] >> 8) & 0xff;
	flags_set(c, ah, RF_CF | RF_PF | RF_AF | RF_ZF | RF_SF);
}

static void lahf(struct cpu *c, const struct insn *i)
{
	(void)i;
	u64 f = (flags_get(c) & 0xd5) | RF_FIXED1;
	c->s.gpr[REG_RAX] = (c->s.gpr[REG_RAX] & ~0xff00ull) | (f << 8);
}

static void cmc(struct cpu *c, const struct insn *i) { (void)i; flags_set(c, ~flags_get(c), RF_CF); }
static void clc(struct cpu *c, const struct insn *i) { (void)i; flags_set(c, 0, RF_CF); }
static void stc(struct cpu *c, const struct insn *i) { (void)i; flags_set(c, RF_CF, RF_CF); }
static void cld(struct cpu *c, const struct insn *i) { (void)i; c->s.rflags &= ~RF_DF; }
static void std_(struct cpu *c, const struct insn *i) { (void)i; c->s.rflags |= RF_DF; }

static insn_fn sel_misc(struct insn *i)
{
	switch (i->op) {
	case 0x98: return cbw;
	case 0x99: return cwd;
	case 0x9e: return sahf;
	case 0x9f: return lahf;
	case 0xf5: return cmc;
	case 0xf8: return clc;
	case 0xf9: return stc;
	case 0xfc: return cld;
	case 0xfd: return std_;
	}
	return NULL;
}

/* ---- decimal adjustment, BOUND, SALC (not in 64-bit mode) ---- */

/*
 * SF, ZF and PF of AL.  The flags the manual leaves undefined after the
 * BCD instructions are set as for a logic operation on AL (OF and, where
 * undefined, AF and CF cleared): a deterministic choice.
 */
static u64 al_flags(u8 al)
{
	return (al ? 0 : RF_ZF) | (al & 0x80 ? RF_SF : 0) | (parity8(al) ? RF_PF : 0);
}

/* AAA / AAS: adjust AX after an unpacked-BCD add / subtract. */
static void aaa_aas(struct cpu *c, const struct insn *i)
{
	u64 fl = flags_get(c);
	u16 ax = reg_read(c, REG_RAX, 2);
	bool adjust = (ax & 0xf) > 9 || (fl & RF_AF);
	if (adjust)
		ax = i->op == 0x37 ? ax + 0x106 : ax - 6 - 0x100;
	ax &= 0xff0f;
	reg_write(c, REG_RAX, 2, ax);
	flags_set_arith(c, al_flags(ax) | (adjust ? RF_AF | RF_CF : 0));
}

/* DAA / DAS: adjust AL after a packed-BCD add / subtract. */
static void daa_das(struct cpu *c, const struct insn *i)
{
	bool sub = i->op == 0x2f;
	u64 fl = flags_get(c);
	u8 al = reg_read(c, REG_RAX, 1), old_al = al;
	bool old_cf = fl & RF_CF, cf = false, af = false;
	if ((al & 0xf) > 9 || (fl & RF_AF)) {
		cf = old_cf || (sub ? al < 6 : al > 0xf9);
		al = sub ? al - 6 : al + 6;
		af = true;
	}
	if (old_al > 0x99 || old_cf) {
		al = sub ? al - 0x60 : al + 0x60;
		cf = true;
	} else if (!sub) {
		cf = false; /* DAA: CF is only the high-digit carry */
	}
	reg_write(c, REG_RAX, 1, al);
	flags_set_arith(c, al_flags(al) | (af ? RF_AF : 0) | (cf ? RF_CF : 0));
}

/* AAM imm8: AH = AL / imm8, AL = AL % imm8 (#DE for 0). */
static void aam(struct cpu *c, const struct insn *i)
{
	u8 base = i->imm, al = reg_read(c, REG_RAX, 1);
	if (!base)
		cpu_raise(c, EXC_DE, NO_ERRCODE);
	u8 res = al % base;
	reg_write(c, REG_RAX, 2, (u16)(al / base) << 8 | res);
	flags_set_arith(c, al_flags(res));
}

/* AAD imm8: AL = AL + AH * imm8, AH = 0. */
static void aad(struct cpu *c, const struct insn *i)
{
	u16 ax = reg_read(c, REG_RAX, 2);
	u8 al = (u8)((ax & 0xff) + (ax >> 8) * (u8)i->imm);
	reg_write(c, REG_RAX, 2, al);
	flags_set_arith(c, al_flags(al));
}

/* SALC (D6, undocumented): AL = CF ? 0xff : 0, flags unchanged. */
static void salc(struct cpu *c, const struct insn *i)
{
	(void)i;
	reg_write(c, REG_RAX, 1, flag_cf(c) ? 0xff : 0);
}

/* BOUND r, m: #BR unless lower <= r <= upper (signed, at the operand size). */
static void bound(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->opsize;
	u64 ea = insn_ea(c, i);
	i64 lo = (i64)sign_extend(mem_read(c, ea, sz), sz);
	i64 hi = (i64)sign_extend(mem_read(c, ea + sz, sz), sz);
	i64 v = (i64)sign_extend(reg_read(c, i->reg, sz), sz);
	if (v < lo || v > hi)
		cpu_raise(c, EXC_BR, NO_ERRCODE);
}

static insn_fn sel_legacy_alu(struct insn *i)
{
	switch (i->op) {
	case 0x37: case 0x3f: return aaa_aas;
	case 0x27: case 0x2f: return daa_das;
	case 0xd4: return aam;
	case 0xd5: return aad;
	case 0xd6: return salc;
	case 0x62: return i->rm == RM_MEM ? bound : NULL;
	}
	return NULL;
}

void ops_alu__register(void)
{
	static const char *names[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };
	for (unsigned op = 0; op < 8; op++)
		for (unsigned form = 0; form < 6; form++)
			op_register(MAP_1B, op * 8 + form, sel_alu, names[op]);
	for (unsigned op = 0x80; op <= 0x83; op++)
		op_register(MAP_1B, op, sel_grp1, "grp1");
	op_register(MAP_1B, 0x84, sel_test, "test");
	op_register(MAP_1B, 0x85, sel_test, "test");
	op_register(MAP_1B, 0xa8, sel_test, "test");
	op_register(MAP_1B, 0xa9, sel_test, "test");
	op_register(MAP_1B, 0xf6, sel_grp3, "grp3");
	op_register(MAP_1B, 0xf7, sel_grp3, "grp3");
	op_register(MAP_1B, 0xfe, sel_grp4, "inc/dec");
	for (unsigned op = 0x40; op <= 0x4f; op++)
		op_register(MAP_1B, op, sel_inc_dec_r, "inc/dec");
	op_register(MAP_1B, 0x69, sel_imul, "imul");
	op_register(MAP_1B, 0x6b, sel_imul, "imul");
	op_register(MAP_0F, 0xaf, sel_imul, "imul");
	op_register(MAP_0F, 0xc0, sel_xadd, "xadd");
	op_register(MAP_0F, 0xc1, sel_xadd, "xadd");
	op_register(MAP_0F, 0xb0, sel_cmpxchg, "cmpxchg");
	op_register(MAP_0F, 0xb1, sel_cmpxchg, "cmpxchg");
	op_register(MAP_0F, 0xc7, sel_grp9, "cmpxchg8b/16b");
	static const u8 misc[] = { 0x98, 0x99, 0x9e, 0x9f, 0xf5, 0xf8, 0xf9, 0xfc, 0xfd };
	for (unsigned k = 0; k < sizeof(misc); k++)
		op_register(MAP_1B, misc[k], sel_misc, "flags/convert");
	/* Invalid in 64-bit mode: the decoder makes them #UD there. */
	op_register(MAP_1B, 0x37, sel_legacy_alu, "aaa");
	op_register(MAP_1B, 0x3f, sel_legacy_alu, "aas");
	op_register(MAP_1B, 0x27, sel_legacy_alu, "daa");
	op_register(MAP_1B, 0x2f, sel_legacy_alu, "das");
	op_register(MAP_1B, 0xd4, sel_legacy_alu, "aam");
	op_register(MAP_1B, 0xd5, sel_legacy_alu, "aad");
	op_register(MAP_1B, 0xd6, sel_legacy_alu, "salc");
	op_register(MAP_1B, 0x62, sel_legacy_alu, "bound");
}

/* INC/DEC of a 32- or 64-bit register (FF /0, FF /1). */
#define INC_DEC_REG(name, dec, size)                                                      \
	static void name(struct cpu *c, const struct insn *i)                             \
	{                                                                                 \
		u64 a = reg_read(c, i->rm, size);                                         \
		u64 res = (dec ? a - 1 : a + 1) & size_mask(size);                        \
		reg_write(c, i->rm, size, res);                                           \
		inc_dec_flags(c, a, res, dec, size);                                      \
	}
INC_DEC_REG(inc_r4, false, 4)
INC_DEC_REG(inc_r8, false, 8)
INC_DEC_REG(dec_r4, true, 4)
INC_DEC_REG(dec_r8, true, 8)

/* Shared by FF /0 /1 (registered by ops_branch for the whole FF group). */
insn_fn ops_alu__select_inc_dec(struct insn *i)
{
	if (i->rm != RM_MEM && (i->opsize == 4 || i->opsize == 8)) {
		if (i->ext == 0)
			return i->opsize == 8 ? inc_r8 : inc_r4;
		return i->opsize == 8 ? dec_r8 : dec_r4;
	}
	return i->ext == 0 ? inc_rm : dec_rm;
}
