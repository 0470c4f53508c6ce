/*
 * Differential tests for the shift/bit and string handlers
 * (ops_shift.c, ops_string.c), complementing test_diff_int.c:
 *
 *  - "strict" mode also compares the flags the SDM leaves undefined
 *    (shift/rotate OF for counts > 1, AF, CF for over-wide counts,
 *    SHLD/SHRD 16-bit counts > 16 including the result, BT's OF/SF/AF/PF,
 *    BSF/BSR's CF/OF/SF/AF/PF) and the REP-with-ECX=0 register
 *    zero-extension: the interpreter reproduces what Intel CPUs do.  It is
 *    on when the host is GenuineIntel; ENCORE_DIFF_STRICT=0/1 overrides.
 *    Otherwise those flags are masked.
 *  - edge counts for RCL/RCR (multiples of 9 and 17), immediate vs CL
 *    rotates, 8-bit high registers, bit offsets far from the operand,
 *    BSWAP r16, LOCK forms, and longer REP string runs (page crossings in
 *    the window, forward-overlapping copies, REPE/REPNE, DF = 1).
 *
 * Options: see diff_cases.h; ENCORE_DIFF_STRICT as above.
 */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

#include "diff_cases.h"

static struct rng R;
static u8 data[DIFF_DATA_SIZE];
static bool strict;

static u64 edge_val(unsigned size)
{
	unsigned bits = size * 8;
	u64 m = diff_size_mask(size), sign = 1ull << (bits - 1);
	switch (rng_below(&R, 10)) {
	case 0: return 0;
	case 1: return m;
	case 2: return sign;
	case 3: return sign - 1;
	case 4: return 1ull << rng_below(&R, bits);
	case 5: return (1ull << rng_below(&R, bits)) - 1;
	case 6: return rng_below(&R, 16);
	default: return rng_next(&R) & m;
	}
}

static u64 rval(unsigned size)
{
	u64 v = rng_next(&R);
	if (rng_chance(&R, 1, 2))
		v = (v & ~diff_size_mask(size)) | edge_val(size);
	return v;
}

static void random_state(struct diff_state *st)
{
	diff_state_init(st);
	for (unsigned r = 0; r < 16; r++)
		st->gpr[r] = rval(8);
	st->rflags = rng_next(&R) & RF_ARITH;
}

/*
 * A ModRM instruction: prefixes, optional 0F, opcode, ModRM with reg
 * field `reg` and r/m either register `rm` or [rbx] (rm < 0; RBX points
 * at window offset `off`), optional imm8.  Byte registers 4..7 name
 * AH..BH unless `rex8` forces a REX prefix (SPL..DIL).
 */
struct enc {
	u8 b[16];
	unsigned len;
};

static void encode(struct enc *e, u8 pfx, unsigned size, bool map0f, u8 op, int reg, int rm,
		   bool rex8, int imm)
{
	unsigned n = 0;
	u8 rex = 0x40;
	if (pfx)
		e->b[n++] = pfx;
	if (size == 2)
		e->b[n++] = 0x66;
	if (size == 8)
		rex |= 8;
	if (reg >= 8)
		rex |= 4;
	if (rm >= 8)
		rex |= 1;
	if (rex != 0x40 || rex8)
		e->b[n++] = rex;
	if (map0f)
		e->b[n++] = 0x0f;
	e->b[n++] = op;
	e->b[n++] = rm < 0 ? (u8)(((reg & 7) << 3) | 3) : (u8)(0xc0 | ((reg & 7) << 3) | (rm & 7));
	if (imm >= 0)
		e->b[n++] = (u8)imm;
	e->len = n;
}

/* A register other than RSP and RBX (the memory base). */
static int pick_reg(u32 avoid)
{
	for (;;) {
		int r = (int)rng_below(&R, 16);
		if (r != REG_RSP && r != REG_RBX && !(avoid & (1u << r)))
			return r;
	}
}

static void run_case(const char *fam, unsigned idx, const struct enc *e, const struct diff_state *st,
		     u64 undef)
{
	struct diff_opts o = { .flags_undef = strict ? 0 : undef };
	diff_check_case(fam, idx, e->b, e->len, st, data, &o);
}

/* Memory operand: RBX -> window offset `off` holding v. */
static void set_mem(struct diff_state *st, unsigned off, unsigned size, u64 v)
{
	memcpy(data + off, &v, size);
	st->gpr[REG_RBX] = DIFF_DATA_ADDR + off;
}

static unsigned pick_count(void)
{
	static const unsigned edges[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 18, 27, 31, 32, 33, 34, 63, 64 };
	if (rng_chance(&R, 1, 2))
		return edges[rng_below(&R, ARRAY_SIZE(edges))];
	return (unsigned)rng_below(&R, 256);
}

static const unsigned sizes_all[4] = { 1, 2, 4, 8 };
static const unsigned sizes_wide[3] = { 2, 4, 8 };

/* ---- group 2 ---- */

static void test_grp2(void)
{
	static const char *const names[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar" };
	if (!diff_family_on("grp2"))
		return;
	check_group("grp2");
	for (unsigned digit = 0; digit < 8; digit++)
		for (unsigned form = 0; form < 3; form++)
			for (unsigned k = 0; k < diff_ncases(40); k++) {
				unsigned size = sizes_all[rng_below(&R, 4)];
				struct diff_state st;
				struct enc e;
				random_state(&st);
				bool mem = rng_chance(&R, 1, 3);
				bool rex8 = size == 1 && rng_chance(&R, 1, 2);
				int rm = mem ? -1 : pick_reg(form == 1 ? 1u << REG_RCX : 0);
				unsigned count = form == 0 ? 1 : pick_count();
				static const u8 ops[3] = { 0xd0, 0xd2, 0xc0 };
				encode(&e, 0, size, false, (u8)(ops[form] | (size != 1)), (int)digit, rm, rex8,
				       form == 2 ? (int)count : -1);
				if (form == 1)
					st.gpr[REG_RCX] = (st.gpr[REG_RCX] & ~0xffull) | count;
				if (mem)
					set_mem(&st, 0x100 + (unsigned)rng_below(&R, 0x1000), size, rval(size));
				unsigned mc = count & (size == 8 ? 63 : 31);
				u64 undef = 0;
				if (mc) {
					undef = mc > 1 ? RF_OF : 0;
					if (digit >= 4) {
						undef |= RF_AF;
						if (digit != 7 && mc >= size * 8)
							undef |= RF_CF;
					}
				}
				char fam[32];
				snprintf(fam, sizeof(fam), "grp2.%s%u.%s", names[digit], size * 8,
					 form == 0 ? "1" : form == 1 ? "cl" : "imm");
				run_case(fam, k, &e, &st, undef);
			}
}

/* ---- SHLD / SHRD ---- */

static void test_dshift(void)
{
	static const u8 ops[4] = { 0xa4, 0xa5, 0xac, 0xad };
	if (!diff_family_on("dshift"))
		return;
	check_group("dshift");
	for (unsigned f = 0; f < 4; f++)
		for (unsigned k = 0; k < diff_ncases(80); k++) {
			unsigned size = sizes_wide[rng_below(&R, 3)];
			struct diff_state st;
			struct enc e;
			random_state(&st);
			bool cl = ops[f] & 1, mem = rng_chance(&R, 1, 3);
			unsigned count = pick_count();
			int reg = pick_reg(cl ? 1u << REG_RCX : 0);
			int rm = mem ? -1 : pick_reg(cl ? 1u << REG_RCX : 0);
			encode(&e, 0, size, true, ops[f], reg, rm, false, cl ? -1 : (int)count);
			if (cl)
				st.gpr[REG_RCX] = (st.gpr[REG_RCX] & ~0xffull) | count;
			if (mem)
				set_mem(&st, 0x100 + (unsigned)rng_below(&R, 0x1000), size, rval(size));
			unsigned mc = count & (size == 8 ? 63 : 31);
			u64 undef = 0;
			if (mc)
				undef = RF_AF | (mc > 1 ? RF_OF : 0);
			if (size == 2 && mc > 16) {
				/* result undefined too: only compare in strict mode */
				if (!strict)
					continue;
				undef = RF_ARITH;
			}
			char fam[32];
			snprintf(fam, sizeof(fam), "dshift.%s%u.%s", f < 2 ? "shld" : "shrd", size * 8,
				 cl ? "cl" : "imm");
			run_case(fam, k, &e, &st, undef);
		}
}

/* ---- BT family, bit scans, POPCNT, BSWAP ---- */

static void test_bits(void)
{
	static const u8 reg_ops[4] = { 0xa3, 0xab, 0xb3, 0xbb };
	static const char *const bt_names[4] = { "bt", "bts", "btr", "btc" };
	if (!diff_family_on("bits"))
		return;
	check_group("bits");
	for (unsigned f = 0; f < 4; f++)
		for (unsigned k = 0; k < diff_ncases(60); k++) {
			unsigned size = sizes_wide[rng_below(&R, 3)];
			struct diff_state st;
			struct enc e;
			random_state(&st);
			bool imm = rng_chance(&R, 1, 3), mem = rng_chance(&R, 1, 2);
			bool lock = mem && f && rng_chance(&R, 1, 4);
			int rm = mem ? -1 : pick_reg(0);
			int reg = imm ? (int)(4 + f) : pick_reg(0);
			encode(&e, lock ? 0xf0 : 0, size, true, imm ? 0xba : reg_ops[f], reg, rm, false,
			       imm ? (int)rng_below(&R, 256) : -1);
			if (mem) {
				unsigned off = 0x6000 + (unsigned)rng_below(&R, 0x4000);
				set_mem(&st, off, size, rval(size));
				if (!imm) {
					/* signed bit offsets reaching +-0x1000 bytes */
					i64 bo = (i64)rng_below(&R, 0x10000) - 0x8000;
					if (size == 2 && rng_chance(&R, 1, 2))
						bo = (i16)rng_next(&R) / 16;
					st.gpr[reg] = (st.gpr[reg] & ~diff_size_mask(size)) | ((u64)bo & diff_size_mask(size));
				}
			}
			char fam[32];
			snprintf(fam, sizeof(fam), "bits.%s%u.%s%s", bt_names[f], size * 8, imm ? "imm" : "reg",
				 mem ? ".m" : "");
			run_case(fam, k, &e, &st, RF_OF | RF_SF | RF_AF | RF_PF);
		}
	/* BSF/BSR (and F3 forms, which encore runs as BSF/BSR: not compared
	 * natively, as the host may have BMI1), POPCNT */
	for (unsigned f = 0; f < 3; f++)
		for (unsigned k = 0; k < diff_ncases(80); k++) {
			unsigned size = sizes_wide[rng_below(&R, 3)];
			struct diff_state st;
			struct enc e;
			random_state(&st);
			bool mem = rng_chance(&R, 1, 3);
			u64 v = rng_chance(&R, 1, 4) ? 0 : rval(size);
			int reg = pick_reg(0), rm = mem ? -1 : pick_reg(0);
			encode(&e, f == 2 ? 0xf3 : 0, size, true, f == 2 ? 0xb8 : (u8)(0xbc + f), reg, rm,
			       false, -1);
			if (mem)
				set_mem(&st, 0x100 + (unsigned)rng_below(&R, 0x1000), size, v);
			else if (rm != reg)
				st.gpr[rm] = (st.gpr[rm] & ~diff_size_mask(size)) | (v & diff_size_mask(size));
			static const char *const names[3] = { "bsf", "bsr", "popcnt" };
			char fam[32];
			snprintf(fam, sizeof(fam), "bits.%s%u", names[f], size * 8);
			run_case(fam, k, &e, &st, f == 2 ? 0 : RF_CF | RF_OF | RF_SF | RF_AF | RF_PF);
		}
	for (unsigned k = 0; k < diff_ncases(48); k++) {
		unsigned size = sizes_wide[k % 3];
		struct diff_state st;
		struct enc e;
		random_state(&st);
		int r = pick_reg(0);
		unsigned n = 0;
		if (size == 2)
			e.b[n++] = 0x66;
		if (size == 8 || r >= 8)
			e.b[n++] = (u8)(0x40 | (size == 8 ? 8 : 0) | (r >= 8));
		e.b[n++] = 0x0f;
		e.b[n++] = (u8)(0xc8 + (r & 7));
		e.len = n;
		run_case(size == 2 ? "bits.bswap16" : "bits.bswap", k, &e, &st, 0);
	}
	/* LOCK with a register destination, LOCK BT, LOCK shifts: #UD */
	for (unsigned k = 0; k < diff_ncases(16); k++) {
		struct diff_state st;
		struct enc e;
		random_state(&st);
		switch (k % 4) {
		case 0: encode(&e, 0xf0, 4, true, 0xab, pick_reg(0), pick_reg(0), false, -1); break;
		case 1: encode(&e, 0xf0, 4, true, 0xa3, pick_reg(0), -1, false, -1); break;
		case 2: encode(&e, 0xf0, 8, false, 0xd1, 4, -1, false, -1); break;
		default: encode(&e, 0xf0, 4, true, 0xbc, pick_reg(0), pick_reg(0), false, -1); break;
		}
		st.gpr[REG_RBX] = DIFF_DATA_ADDR + 0x200;
		run_case("bits.lock-ud", k, &e, &st, 0);
	}
}

/* ---- longer REP string runs ---- */

static void test_rep(void)
{
	static const struct { const char *name; u8 op; bool cmp; } ops[] = {
		{ "movs", 0xa4, false }, { "stos", 0xaa, false }, { "cmps", 0xa6, true },
		{ "scas", 0xae, true }, { "lods", 0xac, false },
	};
	if (!diff_family_on("rep"))
		return;
	check_group("rep");
	for (unsigned f = 0; f < ARRAY_SIZE(ops); f++)
		for (unsigned k = 0; k < diff_ncases(12); k++) {
			unsigned size = sizes_all[rng_below(&R, 4)];
			struct diff_state st;
			struct enc e;
			random_state(&st);
			unsigned n = 0;
			bool a32 = rng_chance(&R, 1, 4), df = rng_chance(&R, 1, 4);
			e.b[n++] = ops[f].cmp && rng_chance(&R, 1, 2) ? 0xf2 : 0xf3;
			if (a32)
				e.b[n++] = 0x67;
			if (size == 2)
				e.b[n++] = 0x66;
			if (size == 8)
				e.b[n++] = 0x48;
			e.b[n++] = (u8)(ops[f].op | (size != 1));
			e.len = n;

			/* up to ~1.5 pages of elements, crossing page boundaries */
			u64 count = rng_chance(&R, 1, 8) ? 0 : rng_below(&R, 0x1800 / size);
			u64 span = count * size + 8;
			unsigned lo = 0x100 + (df ? (unsigned)span : 0);
			unsigned hi = DIFF_DATA_SIZE - 0x100 - (df ? 0 : (unsigned)span);
			unsigned so = lo + (unsigned)rng_below(&R, hi - lo);
			unsigned dof = lo + (unsigned)rng_below(&R, hi - lo);
			if (rng_chance(&R, 1, 3)) { /* forward/backward overlap */
				int d = (int)rng_below(&R, 33) - 16;
				if ((int)so + d >= (int)lo && (int)so + d < (int)hi)
					dof = (unsigned)((int)so + d);
			}
			u8 fill = (u8)rng_next(&R);
			memset(data, fill, sizeof(data));
			for (unsigned j = 0; j < 64; j++)
				data[rng_below(&R, DIFF_DATA_SIZE)] = (u8)rng_next(&R);
			if (ops[f].cmp || rng_chance(&R, 1, 2))
				st.gpr[REG_RAX] = fill * 0x0101010101010101ull;
			u64 rsi = DIFF_DATA_ADDR + so, rdi = DIFF_DATA_ADDR + dof;
			if (a32) {
				rsi |= rng_next(&R) << 32;
				rdi |= rng_next(&R) << 32;
				count |= rng_next(&R) << 32;
			}
			st.gpr[REG_RSI] = rsi;
			st.gpr[REG_RDI] = rdi;
			st.gpr[REG_RCX] = count;
			st.rflags = (st.rflags & ~RF_DF) | (df ? RF_DF : 0);
			struct diff_opts o = { 0 };
			u16 undef = 0;
			if (!strict && a32 && !(u32)count) /* ECX = 0: register writes vary by vendor */
				undef = (u16)(1u << REG_RCX | 1u << REG_RSI | 1u << REG_RDI);
			o.gpr_undef = undef;
			char tag[64];
			snprintf(tag, sizeof(tag), "rep.%s%u#%u", ops[f].name, size * 8, k);
			diff_check(tag, e.b, e.len, &st, data, &o);
		}
	rng_fill(&R, data, sizeof(data));
}

static bool host_is_intel(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(0, &a, &b, &c, &d))
		return false;
	return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e; /* GenuineIntel */
}

int main(void)
{
	diff_cases_start(&R, 0x5417ull, 1, data);
	strict = check_env_u64("ENCORE_DIFF_STRICT", host_is_intel()) != 0;
	printf("strict undefined-flag checks: %s\n", strict ? "on" : "off");

	test_grp2();
	test_dshift();
	test_bits();
	test_rep();
	return check_summary();
}
