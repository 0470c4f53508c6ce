/*
 * Shifts, rotates, double shifts, bit tests, bit scans, POPCNT, BSWAP.
 *
 * Flags are computed eagerly and stored with flags_set(), or with
 * flags_set_arith() where all six arithmetic flags are written.  Where the
 * SDM leaves a flag undefined we produce what the Intel CPUs we compared
 * against produce (see each helper); that keeps differential tests against
 * the host exact and is fully deterministic.
 */
#include "arch/x86/interp/cpu.h"
#include "arch/x86/interp/ops.h"

#define AI static inline __attribute__((always_inline))

/* ---- flag helpers ---- */

AI u64 msb(u64 v, unsigned size)
{
	return (v >> (size * 8 - 1)) & 1;
}

#define FL_CF_OF (RF_CF | RF_OF)

/* ---- group 2: shifts and rotates ---- */

/* Numbered as ModRM.reg; /6 (SAL) runs as SHL. */
enum { G2_ROL, G2_ROR, G2_RCL, G2_RCR, G2_SHL, G2_SHR, G2_SAR = 7 };

/* g2_core's *mask for SHL/SHR/SAR: *fl holds CF and OF only, and the
 * other arithmetic flags come lazily from the result (CC_SHIFT). */
#define MASK_SHIFT (~0ull)

/*
 * Compute op(v, n) for a masked count n != 0 (`imm`: an immediate count,
 * never 1, see sel_g2_imm).  Returns the result and sets *fl / *mask to
 * the flags to store.
 *
 * SDM: OF is defined only for 1-bit shifts/rotates; AF is undefined for
 * SHL/SHR/SAR with a non-zero count; CF is undefined for SHL/SHR when the
 * count is >= the operand width (8/16-bit forms).  What Intel CPUs do, and
 * what we do (measured against the host):
 *  - OF uses the 1-bit formula on the *original* operand for every count:
 *    SHL/ROL/RCL: MSB(v) ^ MSB-1(v); SHR: MSB(v); SAR: 0;
 *    ROR: LSB(v) ^ MSB(v); RCR: CF(in) ^ MSB(v).
 *  - AF is cleared by SHL/SHR/SAR; rotates never touch SF/ZF/AF/PF.
 *  - CF comes from the wide internal shift (0 once everything is shifted
 *    out for SHL/SHR, the sign for SAR).
 *  - ROL/ROR with an immediate count other than 1 leave OF unchanged
 *    (with a CL count they write it as above).
 *  - RCL/RCR whose count is a non-zero multiple of 9 (8-bit) or 17
 *    (16-bit) change nothing, not even OF.
 */
AI u64 g2_core(struct cpu *c, unsigned op, unsigned size, u64 v, unsigned n, bool imm, u64 *fl,
		   u64 *mask)
{
	const unsigned bits = size * 8;
	const u64 m = size_mask(size);
	const u64 of_left = (msb(v, size) ^ ((v >> (bits - 2)) & 1)) ? RF_OF : 0;
	u64 res, cf;

	switch (op) {
	case G2_ROL: {
		unsigned r = n & (bits - 1);
		res = r ? ((v << r) | (v >> (bits - r))) & m : v;
		*fl = (res & 1 ? RF_CF : 0) | of_left;
		*mask = imm ? RF_CF : FL_CF_OF;
		return res;
	}
	case G2_ROR: {
		unsigned r = n & (bits - 1);
		res = r ? ((v >> r) | (v << (bits - r))) & m : v;
		*fl = (msb(res, size) ? RF_CF : 0) | (((v & 1) ^ msb(v, size)) ? RF_OF : 0);
		*mask = imm ? RF_CF : FL_CF_OF;
		return res;
	}
	case G2_RCL:
	case G2_RCR: {
		/* Rotate the (bits+1)-bit value CF:v. */
		unsigned w = bits + 1;
		unsigned r = size == 1 ? n % 9 : size == 2 ? n % 17 : n;
		u64 cfin;
		unsigned __int128 x, wm;
		if (!r) {
			*mask = 0;
			return v;
		}
		cfin = flag_cf(c);
		x = ((unsigned __int128)cfin << bits) | v;
		wm = (((unsigned __int128)1) << w) - 1;
		if (op == G2_RCR)
			r = w - r;
		x = ((x << r) | (x >> (w - r))) & wm;
		res = (u64)x & m;
		cf = (u64)(x >> bits) & 1;
		if (op == G2_RCL)
			*fl = (cf ? RF_CF : 0) | of_left;
		else
			*fl = (cf ? RF_CF : 0) | ((cfin ^ msb(v, size)) ? RF_OF : 0);
		*mask = FL_CF_OF;
		return res;
	}
	case G2_SHL:
		/* n <= 63; for 8/16/32-bit operands n <= 31 so v << n fits. */
		res = (v << n) & m;
		cf = ((v << (n - 1)) >> (bits - 1)) & 1;
		*fl = (cf ? RF_CF : 0) | of_left;
		*mask = MASK_SHIFT;
		return res;
	case G2_SHR:
		res = v >> n;
		cf = (v >> (n - 1)) & 1;
		*fl = (cf ? RF_CF : 0) | (msb(v, size) ? RF_OF : 0);
		*mask = MASK_SHIFT;
		return res;
	default: { /* G2_SAR */
		i64 sv = (i64)sign_extend(v, size);
		res = (u64)(sv >> n) & m;
		cf = (u64)(sv >> (n - 1)) & 1;
		*fl = cf ? RF_CF : 0;
		*mask = MASK_SHIFT;
		return res;
	}
	}
}

AI unsigned g2_mask_count(unsigned size, u64 cnt)
{
	return (unsigned)cnt & (size == 8 ? 63 : 31);
}

AI void g2_flags(struct cpu *c, u64 fl, u64 mask, u64 res, unsigned size)
{
	if (mask == MASK_SHIFT)
		set_cc(c, CC_OP(CC_SHIFT, size), fl, 0, res);
	else if (mask) /* rotates: CF and OF, the others as they evaluate now */
		flags_set_arith(c, (flags_get(c) & ~mask) | (fl & mask));
}

/* `imm`: the count is an immediate, masked by the selector and never 1. */
AI void g2_reg(struct cpu *c, const struct insn *i, unsigned op, unsigned size, u64 cnt, bool imm)
{
	unsigned n = imm ? (unsigned)cnt : g2_mask_count(size, cnt);
	u64 v = reg_read(c, i->rm, size), fl, mask, res;
	if (!n) {
		if (size == 4) /* a 32-bit destination is still written (zero-extended) */
			reg_write(c, i->rm, 4, v);
		return;
	}
	res = g2_core(c, op, size, v, n, imm, &fl, &mask);
	reg_write(c, i->rm, size, res);
	g2_flags(c, fl, mask, res, size);
}

/* Memory forms: ROL/ROR write OF whatever the count source. */
AI void g2_mem(struct cpu *c, const struct insn *i, unsigned op, unsigned size, u64 cnt, bool imm)
{
	unsigned n = imm ? (unsigned)cnt : g2_mask_count(size, cnt);
	u64 lin = insn_ea(c, i);
	u64 v = mem_read(c, lin, size), fl, mask, res;
	if (!n)
		return;
	res = g2_core(c, op, size, v, n, false, &fl, &mask);
	mem_write(c, lin, size, res);
	g2_flags(c, fl, mask, res, size);
}

#define CNT_ONE(c, i) 1u
#define CNT_CL(c, i) ((c)->s.gpr[REG_RCX])
#define CNT_IMM(c, i) ((i)->imm)
#define IS_ONE false
#define IS_CL false
#define IS_IMM true

#define G2_DEF1(op, sz, cs)                                                         \
	static void g2_##op##_##sz##_##cs##_r(struct cpu *c, const struct insn *i)  \
	{                                                                           \
		g2_reg(c, i, G2_##op, sz, CNT_##cs(c, i), IS_##cs);                 \
	}                                                                           \
	static void g2_##op##_##sz##_##cs##_m(struct cpu *c, const struct insn *i)  \
	{                                                                           \
		g2_mem(c, i, G2_##op, sz, CNT_##cs(c, i), IS_##cs);                 \
	}
#define G2_DEF_CS(op, sz) G2_DEF1(op, sz, ONE) G2_DEF1(op, sz, CL) G2_DEF1(op, sz, IMM)
#define G2_DEF_SZ(op) G2_DEF_CS(op, 1) G2_DEF_CS(op, 2) G2_DEF_CS(op, 4) G2_DEF_CS(op, 8)
G2_DEF_SZ(ROL)
G2_DEF_SZ(ROR)
G2_DEF_SZ(RCL)
G2_DEF_SZ(RCR)
G2_DEF_SZ(SHL)
G2_DEF_SZ(SHR)
G2_DEF_SZ(SAR)

#define G2_ENT1(op, sz, cs) { g2_##op##_##sz##_##cs##_r, g2_##op##_##sz##_##cs##_m }
#define G2_ENT_CS(op, sz) { G2_ENT1(op, sz, ONE), G2_ENT1(op, sz, CL), G2_ENT1(op, sz, IMM) }
#define G2_ENT_SZ(op) { G2_ENT_CS(op, 1), G2_ENT_CS(op, 2), G2_ENT_CS(op, 4), G2_ENT_CS(op, 8) }

/* [ext][log2 size][count source][reg/mem] */
static const insn_fn g2_table[8][4][3][2] = {
	G2_ENT_SZ(ROL), G2_ENT_SZ(ROR), G2_ENT_SZ(RCL), G2_ENT_SZ(RCR),
	G2_ENT_SZ(SHL), G2_ENT_SZ(SHR), G2_ENT_SZ(SHL), G2_ENT_SZ(SAR),
};

enum { CS_ONE, CS_CL, CS_IMM };

static insn_fn g2_select(struct insn *i, unsigned cs)
{
	if (i->pfx & PFX_LOCK)
		return NULL;
	return g2_table[i->ext & 7][__builtin_ctz(i->opsize)][cs][i->rm == RM_MEM];
}

static insn_fn sel_g2_imm(struct insn *i)
{
	/* Mask the count once here; a count of 1 runs exactly as D0/D1. */
	i->imm &= i->opsize == 8 ? 63 : 31;
	return g2_select(i, i->imm == 1 ? CS_ONE : CS_IMM);
}
static insn_fn sel_g2_one(struct insn *i) { return g2_select(i, CS_ONE); }
static insn_fn sel_g2_cl(struct insn *i) { return g2_select(i, CS_CL); }

/* ---- SHLD / SHRD ---- */

/*
 * Double shift of d by n (1..31, or 1..63 for 64-bit) filling from s.
 * SDM: AF undefined; OF defined for n == 1 only; for 16-bit operands with
 * n > 16 the result and flags are undefined.  Like Intel (P6 and later)
 * CPUs: the 16-bit forms shift the 48-bit value d:s:d, so counts 17..31
 * bring bits of d back in; OF uses the 1-bit formula on the original
 * operands for every count (SHLD: MSB(d) ^ MSB-1(d), SHRD: MSB(d) ^
 * LSB(s)); AF is cleared.  *fl gets CF and OF; ZF, SF and PF come lazily
 * from the result (CC_SHIFT).
 */
AI u64 dsh_core(bool left, unsigned size, u64 d, u64 s, unsigned n, u64 *fl)
{
	const unsigned bits = size * 8;
	const u64 m = size_mask(size);
	u64 res, cf, of;

	if (size == 2) {
		/* 48-bit working value, n <= 31 */
		u64 x = (d << 32) | (s << 16) | d;
		if (left) {
			res = (x >> (32 - n)) & 0xffff;
			cf = (x >> (48 - n)) & 1;
		} else {
			res = (x >> n) & 0xffff;
			cf = (x >> (n - 1)) & 1;
		}
	} else if (left) {
		res = ((d << n) | (s >> (bits - n))) & m;
		cf = (d >> (bits - n)) & 1;
	} else {
		res = ((d >> n) | (s << (bits - n))) & m;
		cf = (d >> (n - 1)) & 1;
	}
	if (left)
		of = msb(d, size) ^ ((d >> (bits - 2)) & 1);
	else
		of = msb(d, size) ^ (s & 1);
	*fl = (cf ? RF_CF : 0) | (of ? RF_OF : 0);
	return res;
}

AI void dsh(struct cpu *c, const struct insn *i, bool left, unsigned size, u64 cnt, bool mem)
{
	unsigned n = g2_mask_count(size, cnt);
	u64 lin = 0, d, s, res, fl;
	if (mem) {
		lin = insn_ea(c, i);
		d = mem_read(c, lin, size);
	} else {
		d = reg_read(c, i->rm, size);
	}
	if (!n) {
		if (!mem && size == 4)
			reg_write(c, i->rm, 4, d);
		return;
	}
	s = reg_read(c, i->reg, size);
	res = dsh_core(left, size, d, s, n, &fl);
	if (mem)
		mem_write(c, lin, size, res);
	else
		reg_write(c, i->rm, size, res);
	set_cc(c, CC_OP(CC_SHIFT, size), fl, 0, res);
}

#define DSH_DEF1(name, left, sz, cs, mem)                                      \
	static void name##_##sz##_##cs##_##mem(struct cpu *c, const struct insn *i) \
	{                                                                       \
		dsh(c, i, left, sz, CNT_##cs(c, i), mem);                       \
	}
#define DSH_DEF2(name, left, sz) \
	DSH_DEF1(name, left, sz, IMM, 0) DSH_DEF1(name, left, sz, IMM, 1) \
	DSH_DEF1(name, left, sz, CL, 0) DSH_DEF1(name, left, sz, CL, 1)
#define DSH_DEF(name, left) DSH_DEF2(name, left, 2) DSH_DEF2(name, left, 4) DSH_DEF2(name, left, 8)
DSH_DEF(shld, true)
DSH_DEF(shrd, false)

#define DSH_ENT2(name, sz, cs) { name##_##sz##_##cs##_0, name##_##sz##_##cs##_1 }
#define DSH_ENT(name, cs) { DSH_ENT2(name, 2, cs), DSH_ENT2(name, 4, cs), DSH_ENT2(name, 8, cs) }
/* [left][cl][size 2/4/8][mem] */
static const insn_fn dsh_table[2][2][3][2] = {
	{ DSH_ENT(shrd, IMM), DSH_ENT(shrd, CL) },
	{ DSH_ENT(shld, IMM), DSH_ENT(shld, CL) },
};

/* size 2/4/8 -> 0/1/2; -1 for 1 */
AI int wsize_idx(unsigned size)
{
	return (int)__builtin_ctz(size) - 1;
}

static insn_fn sel_dsh(struct insn *i)
{
	int k = wsize_idx(i->opsize);
	if (k < 0 || (i->pfx & PFX_LOCK))
		return NULL;
	/* 0F A4: SHLD imm, A5: SHLD CL, AC: SHRD imm, AD: SHRD CL */
	return dsh_table[(i->op & 8) == 0][i->op & 1][k][i->rm == RM_MEM];
}

/* ---- BT / BTS / BTR / BTC ---- */

enum { BT_TEST, BT_SET, BT_RESET, BT_COMP };

/*
 * SDM: CF = the selected bit; ZF unaffected; OF, SF, AF, PF undefined.
 * Intel CPUs leave OF, SF, AF and PF unchanged, so only CF is written.
 */
AI u64 bt_apply(unsigned op, u64 v, unsigned bit)
{
	switch (op) {
	case BT_SET: return v | (1ull << bit);
	case BT_RESET: return v & ~(1ull << bit);
	case BT_COMP: return v ^ (1ull << bit);
	default: return v;
	}
}

AI void bt_reg(struct cpu *c, const struct insn *i, unsigned op, unsigned size, u64 off)
{
	unsigned bit = (unsigned)off & (size * 8 - 1);
	u64 v = reg_read(c, i->rm, size);
	if (op != BT_TEST)
		reg_write(c, i->rm, size, bt_apply(op, v, bit));
	flags_set(c, (v >> bit) & 1 ? RF_CF : 0, RF_CF);
}

AI void bt_mem(struct cpu *c, const struct insn *i, unsigned op, unsigned size, u64 off,
	       bool reg_off)
{
	unsigned bits = size * 8, bit;
	u64 lin, v;
	if (reg_off) {
		i64 so = (i64)sign_extend(off, size);
		bit = (unsigned)so & (bits - 1);
		lin = insn_ea_disp(c, i, (u64)((so >> __builtin_ctz(bits)) * (i64)size));
	} else {
		bit = (unsigned)off & (bits - 1);
		lin = insn_ea(c, i);
	}
	v = mem_read(c, lin, size);
	if (op != BT_TEST)
		mem_write(c, lin, size, bt_apply(op, v, bit));
	flags_set(c, (v >> bit) & 1 ? RF_CF : 0, RF_CF);
}

#define BT_DEF1(op, sz)                                                                   \
	static void bt_##op##_##sz##_rr(struct cpu *c, const struct insn *i)              \
	{                                                                                 \
		bt_reg(c, i, BT_##op, sz, c->s.gpr[i->reg]);                              \
	}                                                                                 \
	static void bt_##op##_##sz##_ri(struct cpu *c, const struct insn *i)              \
	{                                                                                 \
		bt_reg(c, i, BT_##op, sz, i->imm);                                        \
	}                                                                                 \
	static void bt_##op##_##sz##_mr(struct cpu *c, const struct insn *i)              \
	{                                                                                 \
		bt_mem(c, i, BT_##op, sz, c->s.gpr[i->reg], true);                        \
	}                                                                                 \
	static void bt_##op##_##sz##_mi(struct cpu *c, const struct insn *i)              \
	{                                                                                 \
		bt_mem(c, i, BT_##op, sz, i->imm, false);                                 \
	}
#define BT_DEF(op) BT_DEF1(op, 2) BT_DEF1(op, 4) BT_DEF1(op, 8)
BT_DEF(TEST)
BT_DEF(SET)
BT_DEF(RESET)
BT_DEF(COMP)

#define BT_ENT1(op, sz) { bt_##op##_##sz##_rr, bt_##op##_##sz##_ri, bt_##op##_##sz##_mr, bt_##op##_##sz##_mi }
#define BT_ENT(op) { BT_ENT1(op, 2), BT_ENT1(op, 4), BT_ENT1(op, 8) }
/* [op][size 2/4/8][reg-reg, reg-imm, mem-reg, mem-imm] */
static const insn_fn bt_table[4][3][4] = { BT_ENT(TEST), BT_ENT(SET), BT_ENT(RESET), BT_ENT(COMP) };

static insn_fn bt_select(struct insn *i, unsigned op, bool imm)
{
	int k = wsize_idx(i->opsize);
	bool mem = i->rm == RM_MEM;
	if (k < 0)
		return NULL;
	if ((i->pfx & PFX_LOCK) && (op == BT_TEST || !mem))
		return NULL;
	return bt_table[op][k][mem * 2 + imm];
}

static insn_fn sel_bt_reg(struct insn *i)
{
	/* 0F A3 BT, AB BTS, B3 BTR, BB BTC: bits 4..3 are the BT_* number */
	return bt_select(i, (i->op >> 3) & 3, false);
}

static insn_fn sel_bt_imm(struct insn *i)
{
	/* 0F BA /4 BT, /5 BTS, /6 BTR, /7 BTC; /0-/3 are #UD */
	if (i->ext < 4)
		return NULL;
	return bt_select(i, i->ext - 4, true);
}

/* ---- BSF / BSR / POPCNT / BSWAP ---- */

/*
 * Source 0: ZF = 1 and the destination is not modified (all 64 bits, on
 * Intel and AMD alike).  SDM: CF, OF, SF, AF, PF undefined.  Intel
 * computes PF from the result index (from 0 for a zero source) and clears
 * CF, OF, SF, AF; so do we.
 */
AI void bs_common(struct cpu *c, const struct insn *i, bool rev, unsigned size, u64 src)
{
	unsigned idx;
	if (!src) {
		flags_set_arith(c, RF_ZF | RF_PF);
		return;
	}
	idx = rev ? 63 - __builtin_clzll(src) : __builtin_ctzll(src);
	reg_write(c, i->reg, size, idx);
	flags_set_arith(c, __builtin_parity(idx) ? 0 : RF_PF);
}

AI void bsf_common(struct cpu *c, const struct insn *i, unsigned size, u64 src)
{
	bs_common(c, i, false, size, src);
}

AI void bsr_common(struct cpu *c, const struct insn *i, unsigned size, u64 src)
{
	bs_common(c, i, true, size, src);
}

/* POPCNT: ZF = (src == 0); OF, SF, AF, CF, PF cleared. */
AI void popcnt_common(struct cpu *c, const struct insn *i, unsigned size, u64 src)
{
	reg_write(c, i->reg, size, (u64)__builtin_popcountll(src));
	flags_set_arith(c, src ? 0 : RF_ZF);
}

/* name_sz_r / name_sz_m: name_common on the r/m operand as source. */
#define RM_SRC_DEF1(name, sz)                                                      \
	static void name##_##sz##_r(struct cpu *c, const struct insn *i)           \
	{                                                                          \
		name##_common(c, i, sz, reg_read(c, i->rm, sz));                   \
	}                                                                          \
	static void name##_##sz##_m(struct cpu *c, const struct insn *i)           \
	{                                                                          \
		name##_common(c, i, sz, mem_read(c, insn_ea(c, i), sz));           \
	}
#define RM_SRC_DEF(name) RM_SRC_DEF1(name, 2) RM_SRC_DEF1(name, 4) RM_SRC_DEF1(name, 8)
RM_SRC_DEF(bsf)
RM_SRC_DEF(bsr)
RM_SRC_DEF(popcnt)

/* [size 2/4/8][mem] */
#define RM_SRC_ENT(name) \
	{ { name##_2_r, name##_2_m }, { name##_4_r, name##_4_m }, { name##_8_r, name##_8_m } }
static const insn_fn bs_table[2][3][2] = { RM_SRC_ENT(bsf), RM_SRC_ENT(bsr) };
static const insn_fn popcnt_table[3][2] = RM_SRC_ENT(popcnt);

static insn_fn sel_bs(struct insn *i)
{
	int k = wsize_idx(i->opsize);
	/* F3 0F BC/BD (TZCNT/LZCNT) run as BSF/BSR: no BMI1/ABM in CPUID. */
	if (k < 0 || (i->pfx & PFX_LOCK))
		return NULL;
	return bs_table[i->op & 1][k][i->rm == RM_MEM];
}

static insn_fn sel_popcnt(struct insn *i)
{
	int k = wsize_idx(i->opsize);
	/* 0F B8 without F3 is JMPE (IA-64 only): #UD. */
	if (k < 0 || !(i->pfx & PFX_REP) || (i->pfx & PFX_LOCK))
		return NULL;
	return popcnt_table[k][i->rm == RM_MEM];
}

/* BSWAP r16 is undefined; CPUs zero the low 16 bits, and so do we. */
static void bswap_2(struct cpu *c, const struct insn *i)
{
	reg_write(c, i->reg, 2, 0);
}

static void bswap_4(struct cpu *c, const struct insn *i)
{
	reg_write(c, i->reg, 4, __builtin_bswap32((u32)c->s.gpr[i->reg]));
}

static void bswap_8(struct cpu *c, const struct insn *i)
{
	c->s.gpr[i->reg] = __builtin_bswap64(c->s.gpr[i->reg]);
}

static insn_fn sel_bswap(struct insn *i)
{
	if (i->pfx & PFX_LOCK)
		return NULL;
	switch (i->opsize) {
	case 2: return bswap_2;
	case 4: return bswap_4;
	case 8: return bswap_8;
	default: return NULL;
	}
}

void ops_shift__register(void)
{
	op_register(MAP_1B, 0xc0, sel_g2_imm, "grp2 Eb,Ib");
	op_register(MAP_1B, 0xc1, sel_g2_imm, "grp2 Ev,Ib");
	op_register(MAP_1B, 0xd0, sel_g2_one, "grp2 Eb,1");
	op_register(MAP_1B, 0xd1, sel_g2_one, "grp2 Ev,1");
	op_register(MAP_1B, 0xd2, sel_g2_cl, "grp2 Eb,CL");
	op_register(MAP_1B, 0xd3, sel_g2_cl, "grp2 Ev,CL");

	op_register(MAP_0F, 0xa4, sel_dsh, "shld Ev,Gv,Ib");
	op_register(MAP_0F, 0xa5, sel_dsh, "shld Ev,Gv,CL");
	op_register(MAP_0F, 0xac, sel_dsh, "shrd Ev,Gv,Ib");
	op_register(MAP_0F, 0xad, sel_dsh, "shrd Ev,Gv,CL");

	op_register(MAP_0F, 0xa3, sel_bt_reg, "bt Ev,Gv");
	op_register(MAP_0F, 0xab, sel_bt_reg, "bts Ev,Gv");
	op_register(MAP_0F, 0xb3, sel_bt_reg, "btr Ev,Gv");
	op_register(MAP_0F, 0xbb, sel_bt_reg, "btc Ev,Gv");
	op_register(MAP_0F, 0xba, sel_bt_imm, "grp8 Ev,Ib");

	op_register(MAP_0F, 0xbc, sel_bs, "bsf Gv,Ev");
	op_register(MAP_0F, 0xbd, sel_bs, "bsr Gv,Ev");
	op_register(MAP_0F, 0xb8, sel_popcnt, "popcnt Gv,Ev");
	for (unsigned r = 0; r < 8; r++)
		op_register(MAP_0F, 0xc8 + r, sel_bswap, "bswap");
}
