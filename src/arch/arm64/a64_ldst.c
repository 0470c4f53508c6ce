/*
 * A64 loads and stores of general-purpose and SIMD&FP registers: literal,
 * unsigned offset, unscaled (LDUR/STUR), pre/post-index, register offset,
 * unprivileged (LDTR/STTR), pairs (LDP/STP/LDPSW/LDNP/STNP) and PRFM.
 * The exclusive, ordered and atomic forms are a64_atomic.c's.
 *
 * The Advanced SIMD load/store multiple and single structure forms
 * (LD1..LD4, ST1..ST4, LD1R..LD4R: bit 31 = 0, bits 29:28 = 00 and V = 1,
 * the first case of a64_decode_ldst) are a64_ldst_simd.c's.  UNDEFINED:
 * the later extensions (RCPC2 LDAPUR/STLUR, MTE tag accesses and STGP,
 * pointer-authenticated LDRAA/LDRAB, MOPS, LS64).
 *
 * Decoded fields, for every handler of this file:
 *   rd    Rt: a GPR index (a64_reg_dst for loads, a64_reg_zr for stores)
 *         or, for SIMD&FP forms, the V register number;
 *   ra    Rt2 of a pair (mapped like rd);
 *   rn    the base register (31 = SP);
 *   rm    the offset register of the register-offset forms (31 = XZR);
 *   op1   the access size in bytes (of one element for pairs);
 *   op2   GPR loads: 64 - the loaded width for sign-extending loads, else 0;
 *   op3   the a64_load/a64_store access flags (A64_ACC_UNPRIV for LDTR/STTR);
 *   imm   the byte offset (immediate and literal forms) or, in the
 *         register-offset forms, the extension shift: 32 for UXTW/SXTW,
 *         0 for LSL/SXTX;
 *   imm2  GPR loads: the result mask (0xffffffff for sign-extending loads
 *         into W registers, else ~0);
 *   sf    register-offset forms: the left shift applied to the offset.
 *
 * Writeback: the base register is written after the transfer, and only
 * when every access succeeded.  CONSTRAINED UNPREDICTABLE choices:
 *   - a load with writeback whose Rt (or Rt2) is the base (not SP) leaves
 *     the base's written-back value in that register (Rt becomes the
 *     "UNKNOWN" value the architecture allows: the written-back address);
 *   - a store with writeback whose Rt (or Rt2) is the base stores the
 *     register's value from before the instruction (Constraint_NONE);
 *   - LDP/LDPSW/LDNP with Rt == Rt2: the register gets the first element
 *     (general-purpose) or the second one (SIMD&FP), as QEMU does.
 * These are the behaviours of QEMU, so the differential tests check them.
 * A Q-register STP is two accesses: when the second faults, the first
 * 16 bytes are already written (the architecture allows it); every other
 * pair is one access, all or nothing.
 */
#include "arch/arm64/a64_alu.h"
#include "arch/arm64/a64_exception.h"
#include "arch/arm64/a64_fp.h"
#include "arch/arm64/a64_mem.h"
#include "arch/arm64/a64_sysreg.h"

/*
 * The checks before any access, in the architecture's order: SIMD&FP
 * enabled (CPACR_EL1.FPEN) for the SIMD&FP forms, then SP alignment when
 * the base is SP (not for PRFM, which never faults).
 */
static inline int pre_checks(struct a64_cpu *c, const struct a64_insn *i, bool fp, bool base)
{
	if (fp) {
		int r = a64_fp_check(c);
		if (r != A64_OK)
			return r;
	}
	return !base || likely(i->rn != A64_SP) ? A64_OK : a64_check_sp(c);
}

/* ---- one register; `size` is a constant in every handler ---- */

static inline int ld(struct a64_cpu *c, const struct a64_insn *i, u64 a, unsigned size)
{
	u64 v;
	int r = a64_load_u64(c, a, size, &v, i->op3);
	if (r != A64_OK)
		return r;
	c->x[i->rd] = (u64)((i64)(v << i->op2) >> i->op2) & i->imm2;
	return A64_OK;
}

static inline int st(struct a64_cpu *c, const struct a64_insn *i, u64 a, unsigned size)
{
	return a64_store_u64(c, a, size, c->x[i->rd], i->op3);
}

/* A scalar load zeroes the rest of the 128-bit register. */
static inline int ldv(struct a64_cpu *c, const struct a64_insn *i, u64 a, unsigned size)
{
	union a64_vreg t = { .d = { 0, 0 } };
	int r = a64_load(c, a, size, t.b, i->op3);
	if (r != A64_OK)
		return r;
	c->v[i->rd] = t;
	return A64_OK;
}

static inline int stv(struct a64_cpu *c, const struct a64_insn *i, u64 a, unsigned size)
{
	return a64_store(c, a, size, c->v[i->rd].b, i->op3);
}

/* Addressing modes: the address, and the writeback after a transfer. */
#define ADDR_OFF (c->x[i->rn] + i->imm)
#define ADDR_PRE (c->x[i->rn] + i->imm)
#define ADDR_POST (c->x[i->rn])
#define ADDR_REGU (c->x[i->rn] + ((c->x[i->rm] << i->imm >> i->imm) << i->sf))
#define ADDR_REGS (c->x[i->rn] + ((u64)((i64)(c->x[i->rm] << i->imm) >> i->imm) << i->sf))
#define ADDR_LIT (c->pc + i->imm)
#define WB_OFF(a)
#define WB_PRE(a) (c->x[i->rn] = (a))
#define WB_POST(a) (c->x[i->rn] = (a) + i->imm)
#define WB_REGU(a)
#define WB_REGS(a)
#define WB_LIT(a)
#define BASE_OFF true
#define BASE_PRE true
#define BASE_POST true
#define BASE_REGU true
#define BASE_REGS true
#define BASE_LIT false

#define TRANSFER(op, size, mode, fp)                                                  \
	static int exec_##op##size##_##mode(struct a64_cpu *c, const struct a64_insn *i) \
	{                                                                             \
		int r = pre_checks(c, i, fp, BASE_##mode);                            \
		if (r != A64_OK)                                                      \
			return r;                                                     \
		u64 a = ADDR_##mode;                                                  \
		r = op(c, i, a, size);                                                \
		if (r != A64_OK)                                                      \
			return r;                                                     \
		WB_##mode(a);                                                         \
		return a64_next(c);                                                   \
	}
#define MODES(op, size, fp)                                                           \
	TRANSFER(op, size, OFF, fp) TRANSFER(op, size, PRE, fp)                        \
	TRANSFER(op, size, POST, fp) TRANSFER(op, size, REGU, fp)                      \
	TRANSFER(op, size, REGS, fp)
#define MODE_ROW(op, size)                                                            \
	{ exec_##op##size##_OFF, exec_##op##size##_PRE, exec_##op##size##_POST,        \
	  exec_##op##size##_REGU, exec_##op##size##_REGS }
MODES(ld, 1, false) MODES(ld, 2, false) MODES(ld, 4, false) MODES(ld, 8, false)
MODES(st, 1, false) MODES(st, 2, false) MODES(st, 4, false) MODES(st, 8, false)
MODES(ldv, 1, true) MODES(ldv, 2, true) MODES(ldv, 4, true) MODES(ldv, 8, true)
MODES(ldv, 16, true)
MODES(stv, 1, true) MODES(stv, 2, true) MODES(stv, 4, true) MODES(stv, 8, true)
MODES(stv, 16, true)
TRANSFER(ld, 4, LIT, false)
TRANSFER(ld, 8, LIT, false)
TRANSFER(ldv, 4, LIT, true)
TRANSFER(ldv, 8, LIT, true)
TRANSFER(ldv, 16, LIT, true)

/* PRFM, PRFUM: hints without an access (and without a fault). */
static int exec_prfm(struct a64_cpu *c, const struct a64_insn *i)
{
	(void)i;
	return a64_next(c);
}

enum { K_LDR, K_STR, K_LDRV, K_STRV, K_PRFM };

/* [kind][log2 size][mode] */
static const a64_exec_fn single_fns[4][5][5] = {
	{ MODE_ROW(ld, 1), MODE_ROW(ld, 2), MODE_ROW(ld, 4), MODE_ROW(ld, 8) },
	{ MODE_ROW(st, 1), MODE_ROW(st, 2), MODE_ROW(st, 4), MODE_ROW(st, 8) },
	{ MODE_ROW(ldv, 1), MODE_ROW(ldv, 2), MODE_ROW(ldv, 4), MODE_ROW(ldv, 8),
	  MODE_ROW(ldv, 16) },
	{ MODE_ROW(stv, 1), MODE_ROW(stv, 2), MODE_ROW(stv, 4), MODE_ROW(stv, 8),
	  MODE_ROW(stv, 16) },
};

/*
 * What size (bits 31:30), V (bit 26) and opc (bits 23:22) make of a
 * single-register access: its kind, and op1/op2/imm2/rd in *i.  -1 when
 * unallocated in every addressing mode.
 */
static int single_kind(u32 w, struct a64_insn *i)
{
	unsigned size = a64_bits(w, 31, 30), opc = a64_bits(w, 23, 22);
	bool vec = (w >> 26) & 1;
	i->imm2 = ~0ull;
	if (vec) {
		if ((opc & 2) && size)
			return -1;
		i->op1 = opc & 2 ? 16 : (u8)(1u << size);
		i->rd = (u8)a64_bits(w, 4, 0);
		return opc & 1 ? K_LDRV : K_STRV;
	}
	i->op1 = (u8)(1u << size);
	switch (opc) {
	case 0:
		i->rd = a64_reg_zr(w);
		return K_STR;
	case 1:
		i->rd = a64_reg_dst(w);
		return K_LDR;
	case 2: /* LDRSB/LDRSH/LDRSW to X; PRFM for size 3 */
		if (size == 3)
			return K_PRFM;
		i->rd = a64_reg_dst(w);
		i->op2 = (u8)(64 - 8 * i->op1);
		return K_LDR;
	default: /* LDRSB/LDRSH to W */
		if (size >= 2)
			return -1;
		i->rd = a64_reg_dst(w);
		i->op2 = (u8)(64 - 8 * i->op1);
		i->imm2 = A64_MASK32;
		return K_LDR;
	}
}

static void decode_single(u32 w, struct a64_insn *i, unsigned mode, u64 imm)
{
	int kind = single_kind(w, i);
	if (kind < 0 || (kind == K_PRFM && (mode == A64_MODE_PRE || mode == A64_MODE_POST))) {
		a64_decode_undefined(i);
		return;
	}
	i->rn = a64_reg_sp(w >> 5);
	i->imm = imm;
	i->exec = kind == K_PRFM ? exec_prfm
				 : single_fns[kind][__builtin_ctz(i->op1)][mode];
	if (kind == K_LDR || kind == K_STR) {
		i->native = kind == K_LDR ? A64_NAT_LD : A64_NAT_ST;
		i->native_op = (u8)mode;
	}
}

/* imm9 forms, by bits 11:10: LDUR/STUR/PRFUM, post-index, LDTR/STTR, pre-index. */
static void decode_imm9(u32 w, struct a64_insn *i)
{
	unsigned op4 = a64_bits(w, 11, 10);
	u64 imm = a64_sext(a64_bits(w, 20, 12), 9);
	if (op4 == 2) { /* unprivileged: GPRs only, no PRFM */
		if ((w >> 26) & 1 || single_kind(w, i) == K_PRFM) {
			a64_decode_undefined(i);
			return;
		}
		decode_single(w, i, A64_MODE_OFF, imm);
		i->op3 = A64_ACC_UNPRIV;
		i->native = A64_NAT_NONE; /* checked as EL0: the handler's */
		return;
	}
	static const unsigned modes[4] = { A64_MODE_OFF, A64_MODE_POST, 0, A64_MODE_PRE };
	decode_single(w, i, modes[op4], imm);
}

static void decode_uimm12(u32 w, struct a64_insn *i)
{
	int kind = single_kind(w, i);
	unsigned bytes = kind == K_PRFM ? 8 : i->op1;
	decode_single(w, i, A64_MODE_OFF, (u64)a64_bits(w, 21, 10) * bytes);
}

/* Register offset: option (bits 15:13) x1x; S (bit 12) scales by the size. */
static void decode_regoff(u32 w, struct a64_insn *i)
{
	unsigned option = a64_bits(w, 15, 13);
	int kind = single_kind(w, i);
	if (kind < 0 || !(option & 2)) {
		a64_decode_undefined(i);
		return;
	}
	unsigned bytes = kind == K_PRFM ? 8 : i->op1;
	decode_single(w, i, option == 6 ? A64_MODE_REGS : A64_MODE_REGU, option & 1 ? 0 : 32);
	i->rm = a64_reg_zr(w >> 16);
	i->sf = (w >> 12) & 1 ? (u8)__builtin_ctz(bytes) : 0;
}

/* LDR/LDRSW/PRFM (literal), LDR S/D/Q (literal): opc bits 31:30, V bit 26. */
static void decode_literal(u32 w, struct a64_insn *i)
{
	unsigned opc = a64_bits(w, 31, 30);
	bool vec = (w >> 26) & 1;
	i->imm = a64_sext(a64_bits(w, 23, 5), 19) << 2;
	i->imm2 = ~0ull;
	if (vec) {
		if (opc == 3) {
			a64_decode_undefined(i);
			return;
		}
		static const a64_exec_fn fns[3] = { exec_ldv4_LIT, exec_ldv8_LIT, exec_ldv16_LIT };
		i->rd = (u8)a64_bits(w, 4, 0);
		i->op1 = (u8)(4u << opc);
		i->exec = fns[opc];
		return;
	}
	if (opc == 3) {
		i->exec = exec_prfm;
		return;
	}
	i->rd = a64_reg_dst(w);
	i->op1 = opc == 1 ? 8 : 4;
	i->op2 = opc == 2 ? 32 : 0;
	i->exec = opc == 1 ? exec_ld8_LIT : exec_ld4_LIT;
}

/* ---- pairs ----
 * rd, ra: Rt, Rt2; op1: the element size; op2: 32 for LDPSW. */

static inline u64 ext32(const struct a64_insn *i, u64 e)
{
	return (u64)((i64)(e << i->op2) >> i->op2);
}

/* General-purpose pairs are one access: a fault leaves every register
 * as it was.  `size` (of the pair) is the handler's constant. */
static inline int ldp(struct a64_cpu *c, const struct a64_insn *i, u64 a, unsigned size)
{
	u64 t[2] = { 0, 0 };
	int r = a64_load(c, a, size, t, A64_ACC_PAIR);
	if (r != A64_OK)
		return r;
	if (size == 8) {
		c->x[i->ra] = ext32(i, t[0] >> 32);
		c->x[i->rd] = ext32(i, t[0] & A64_MASK32);
	} else {
		c->x[i->ra] = t[1];
		c->x[i->rd] = t[0];
	}
	return A64_OK;
}

static inline int stp(struct a64_cpu *c, const struct a64_insn *i, u64 a, unsigned size)
{
	u64 t[2] = { c->x[i->rd], c->x[i->ra] };
	if (size == 8)
		t[0] = (t[0] & A64_MASK32) | t[1] << 32;
	return a64_store(c, a, size, t, A64_ACC_PAIR);
}

/* SIMD&FP pairs of S and D registers are one access; Q pairs two, both
 * loaded before either register is written.  `size`: of one element. */
static inline int ldpv(struct a64_cpu *c, const struct a64_insn *i, u64 a, unsigned size)
{
	union a64_vreg t[2] = { { .d = { 0, 0 } }, { .d = { 0, 0 } } };
	int r;
	if (size == 16) {
		r = a64_load(c, a, 16, t[0].b, 0);
		if (r == A64_OK)
			r = a64_load(c, a + 16, 16, t[1].b, 0);
	} else {
		u8 buf[16];
		r = a64_load(c, a, 2 * size, buf, A64_ACC_PAIR);
		if (r == A64_OK) {
			__builtin_memcpy(t[0].b, buf, size);
			__builtin_memcpy(t[1].b, buf + size, size);
		}
	}
	if (r != A64_OK)
		return r;
	c->v[i->rd] = t[0];
	c->v[i->ra] = t[1];
	return A64_OK;
}

static inline int stpv(struct a64_cpu *c, const struct a64_insn *i, u64 a, unsigned size)
{
	if (size == 16) {
		int r = a64_store(c, a, 16, c->v[i->rd].b, 0);
		return r != A64_OK ? r : a64_store(c, a + 16, 16, c->v[i->ra].b, 0);
	}
	u8 buf[16];
	__builtin_memcpy(buf, c->v[i->rd].b, size);
	__builtin_memcpy(buf + size, c->v[i->ra].b, size);
	return a64_store(c, a, 2 * size, buf, A64_ACC_PAIR);
}

#define PAIR_MODES(op, size, fp)                                                      \
	TRANSFER(op, size, OFF, fp) TRANSFER(op, size, PRE, fp)                        \
	TRANSFER(op, size, POST, fp)
PAIR_MODES(ldp, 8, false)
PAIR_MODES(ldp, 16, false)
PAIR_MODES(stp, 8, false)
PAIR_MODES(stp, 16, false)
PAIR_MODES(ldpv, 4, true)
PAIR_MODES(ldpv, 8, true)
PAIR_MODES(ldpv, 16, true)
PAIR_MODES(stpv, 4, true)
PAIR_MODES(stpv, 8, true)
PAIR_MODES(stpv, 16, true)

/* By type: no-allocate offset, post-index, offset, pre-index. */
#define PAIR_ROW(op, size)                                                            \
	{ exec_##op##size##_OFF, exec_##op##size##_POST, exec_##op##size##_OFF,        \
	  exec_##op##size##_PRE }

/* opc bits 31:30, V bit 26, type bits 24:23 (00 no-allocate, 01 post-index,
 * 10 offset, 11 pre-index), L bit 22, imm7 bits 21:15 scaled. */
static void decode_pair(u32 w, struct a64_insn *i)
{
	/* [row][type]: rows are GPR W/X store/load, then S/D/Q store/load */
	static const a64_exec_fn fns[10][4] = {
		PAIR_ROW(stp, 8), PAIR_ROW(ldp, 8), PAIR_ROW(stp, 16), PAIR_ROW(ldp, 16),
		PAIR_ROW(stpv, 4), PAIR_ROW(ldpv, 4), PAIR_ROW(stpv, 8), PAIR_ROW(ldpv, 8),
		PAIR_ROW(stpv, 16), PAIR_ROW(ldpv, 16),
	};
	unsigned opc = a64_bits(w, 31, 30), type = a64_bits(w, 24, 23);
	bool vec = (w >> 26) & 1, load = (w >> 22) & 1;
	unsigned row;
	if (opc == 3 || (!vec && opc == 1 && (!load || type == 0))) {
		/* opc 11; STGP (MTE); LDNP with opc 01 */
		a64_decode_undefined(i);
		return;
	}
	if (vec) {
		i->op1 = (u8)(4u << opc);
		i->rd = (u8)a64_bits(w, 4, 0);
		i->ra = (u8)a64_bits(w, 14, 10);
		row = 4 + 2 * opc + load;
	} else {
		i->op1 = opc == 2 ? 8 : 4;
		i->op2 = opc == 1 ? 32 : 0;
		i->rd = load ? a64_reg_dst(w) : a64_reg_zr(w);
		i->ra = load ? a64_reg_dst(w >> 10) : a64_reg_zr(w >> 10);
		row = (opc == 2 ? 2 : 0) + load;
	}
	i->rn = a64_reg_sp(w >> 5);
	i->imm = a64_sext(a64_bits(w, 21, 15), 7) * i->op1;
	i->exec = fns[row][type];
	if (!vec) {
		static const u8 modes[4] = { A64_MODE_OFF, A64_MODE_POST, A64_MODE_OFF,
					     A64_MODE_PRE };
		i->native = load ? A64_NAT_LDP : A64_NAT_STP;
		i->native_op = modes[type];
	}
}

/*
 * Bits 29:28 and 24:23 (op2), 21:16 (op3) and 11:10 (op4) pick the class
 * within the loads and stores (bits 27 = 1, 25 = 0).
 */
void a64_decode_ldst(u32 w, struct a64_insn *i)
{
	unsigned op2 = a64_bits(w, 24, 23);
	bool vec = (w >> 26) & 1;
	switch (a64_bits(w, 29, 28)) {
	case 0:
		/* V = 0: exclusives; V = 1: the Advanced SIMD load/store
		 * multiple/single structure forms (a64_ldst_simd.c, which
		 * leaves bit 31 = 1 unallocated). */
		if (!vec && op2 < 2)
			a64_decode_exclusive(w, i);
		else if (vec)
			a64_decode_ldst_simd(w, i); /* a64_ldst_simd.c */
		else
			a64_decode_undefined(i);
		return;
	case 1:
		if (op2 < 2)
			decode_literal(w, i);
		else /* RCPC2 LDAPUR/STLUR, MOPS, MTE tags */
			a64_decode_undefined(i);
		return;
	case 2:
		decode_pair(w, i);
		return;
	default:
		if (op2 >= 2)
			decode_uimm12(w, i);
		else if (!((w >> 21) & 1))
			decode_imm9(w, i);
		else if (a64_bits(w, 11, 10) == 0)
			a64_decode_atomic_memop(w, i);
		else if (a64_bits(w, 11, 10) == 2)
			decode_regoff(w, i);
		else /* LDRAA/LDRAB (pointer authentication) */
			a64_decode_undefined(i);
		return;
	}
}
