/*
 * Differential tests of the AArch64 interpreter's integer ISA against
 * QEMU: every instruction form of the data-processing, branch and
 * load/store groups (exclusives and LSE atomics included) runs from the
 * same random state in encore (a64_step at EL0) and in qemu-aarch64,
 * which runs tests/guest/arm64/diff_harness (see its header for the
 * protocol and how a case runs there), and the results are compared:
 * X0..X30, SP, NZCV, the pc reached (branch targets, X30 after BL/BLR),
 * the V registers for the SIMD&FP forms, the data window, and how the
 * case ended (fell through, undefined instruction, alignment fault,
 * data abort).
 *
 * Families: one per instruction form (and addressing mode), each a base
 * encoding with random fields, fixed up so that memory operands land in
 * the data window (any base register value works: addresses wrap) and
 * branches stay clear of their own code.  Register values mix random
 * ones with edge values; NZCV is random.  A few percent of cases keep
 * unallocated field values, so both sides must agree on UNDEFINED too.
 *
 * Encore's side: one CPU at EL0 with the MMU on, an L1 block mapping the
 * 1 GiB around the code and the window as Normal memory (identity), RAM
 * allocated page by page; SCTLR_EL1.A and SA0 are off and FPEN allows
 * SIMD&FP, as for a Linux process.
 *
 * Where QEMU is not the architecture and the test leaves a case out:
 * a store exclusive to an unaligned address with the monitor closed
 * (QEMU fails it without the alignment check the architecture makes
 * first; test_a64_decode checks ours).  Sizes of LDXR and STXR always
 * match (QEMU compares values, not sizes).
 *
 * Options (a64_diff_support.h): ENCORE_TEST_SEED, ENCORE_DIFF_SCALE,
 * ENCORE_DIFF_ONLY, ENCORE_A64_HARNESS, ENCORE_QEMU_AARCH64,
 * ENCORE_A64_LIST=1.
 */
#include <stdio.h>
#include <string.h>

#include "a64_diff_support.h"
#include "a64_diff_values.h"
#include "check.h"

static struct rng R;

/* ---- values and fields ---- */

static u64 sext(u64 v, unsigned bits)
{
	return (u64)((i64)(v << (64 - bits)) >> (64 - bits));
}

/* Rarely: keep a field value the architecture leaves unallocated. */
static bool rare(void)
{
	return rng_chance(&R, 1, 16);
}

/* Registers as a source (31 = XZR). */
static u64 src_reg(const struct case_in *in, unsigned r)
{
	return r == 31 ? 0 : in->x[r];
}

static void patch(struct case_in *in, u64 addr, const void *bytes, unsigned len)
{
	in->patch_off = (u32)(addr - DATA_ADDR);
	in->patch_len = len;
	memcpy(in->patch, bytes, len);
}

/* ---- families ---- */

/* A family of 300 cases. */
static struct a64_diff_family *fam(const char *name, u32 value, u32 mask, a64_diff_fix_fn fix)
{
	return a64_diff__family(name, value, mask, fix, 300);
}

/* ---- data processing fix-ups ---- */

static u32 *word(struct tcase *t)
{
	return &t->in.insn[0];
}

static void fix_logical_imm(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	u32 *w = word(t);
	if (!(*w >> 31) && !rare())
		*w &= ~(1u << 22); /* N = 0 for 32 bits */
	/* Reserved masks: all-ones element, or no element size. */
	unsigned n = field(*w, 22, 22), imms = field(*w, 15, 10);
	unsigned combined = n << 6 | (~imms & 0x3f);
	unsigned len = combined ? 31 - (unsigned)__builtin_clz(combined) : 0;
	if (!rare() && (len < 1 || (imms & ((1u << len) - 1)) == (1u << len) - 1))
		*w = set_field(*w, 15, 10, imms & ~1u & ((1u << (len ? len : 1)) - 1));
}

static void fix_bitfield(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	u32 *w = word(t);
	bool sf = *w >> 31;
	if (!rare())
		*w = set_field(*w, 22, 22, sf);
	if (!sf && !rare())
		*w &= ~(1u << 21 | 1u << 15); /* immr, imms < 32 */
}

static void fix_extr(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	u32 *w = word(t);
	bool sf = *w >> 31;
	if (!rare())
		*w = set_field(*w, 22, 22, sf);
	if (!sf && !rare())
		*w &= ~(1u << 15);
}

static void fix_move_wide(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	u32 *w = word(t);
	if (!(*w >> 31) && !rare())
		*w &= ~(1u << 22); /* hw < 2 */
}

/* Shifted register: 32-bit shift amounts below 32; some equal operands. */
static void fix_shifted(const struct a64_diff_family *f, struct tcase *t)
{
	u32 *w = word(t);
	if (!(*w >> 31) && !rare())
		*w &= ~(1u << 15);
	if (f->kind == 1 && field(*w, 23, 22) == 3 && !rare()) /* add/sub: no ROR */
		*w = set_field(*w, 23, 22, (u32)rng_below(&R, 3));
	if (field(*w, 20, 16) != 31 && rng_chance(&R, 1, 6))
		t->in.x[field(*w, 20, 16)] = src_reg(&t->in, field(*w, 9, 5));
}

static void fix_extended(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	u32 *w = word(t);
	if (field(*w, 12, 10) > 4 && !rare())
		*w = set_field(*w, 12, 10, (u32)rng_below(&R, 5));
}

/* REV (64-bit): sf = 0 is unallocated, keep it rare. */
static void fix_sf1(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	if (!rare())
		*word(t) |= 1u << 31;
}

static void fix_equal_sometimes(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	u32 w = *word(t);
	if (rng_chance(&R, 1, 4) && field(w, 20, 16) != 31)
		t->in.x[field(w, 20, 16)] = src_reg(&t->in, field(w, 9, 5));
}

static void fix_div(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	u32 w = *word(t);
	unsigned rn = field(w, 9, 5), rm = field(w, 20, 16);
	if (rm != 31 && rng_chance(&R, 1, 4))
		t->in.x[rm] = rng_chance(&R, 1, 2) ? 0 : rng_next(&R) & ~0xffffffffull;
	if (rm != 31 && rn != 31 && rn != rm && rng_chance(&R, 1, 4)) {
		t->in.x[rm] = rng_chance(&R, 1, 2) ? ~0ull : 0x5555555500000000ull | 0xffffffff;
		t->in.x[rn] = rng_chance(&R, 1, 2) ? 0x8000000000000000ull
						   : (rng_next(&R) & ~0xffffffffull) | 0x80000000;
	}
}

/* ---- branch fix-ups ---- */

static bool in_code(const struct case_in *in, u64 target)
{
	return target >= in->pc && target < in->pc + 4 * in->ninsns;
}

/* imm at bits hi:lo, times 4: never a branch to the instruction itself. */
static void fix_branch_imm(struct tcase *t, unsigned hi, unsigned lo)
{
	u32 *w = word(t);
	if (!field(*w, hi, lo))
		*w = set_field(*w, hi, lo, rng_chance(&R, 1, 2) ? 1 : ~0u);
}

static void fix_b(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	fix_branch_imm(t, 25, 0);
}

static void fix_bcond(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	fix_branch_imm(t, 23, 5);
}

static void fix_cb(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	fix_branch_imm(t, 23, 5);
	unsigned rt = field(*word(t), 4, 0);
	if (rt != 31 && rng_chance(&R, 1, 3))
		t->in.x[rt] = rng_chance(&R, 1, 2) ? 0 : rng_next(&R) << 32;
}

static void fix_tb(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	fix_branch_imm(t, 18, 5);
}

static void fix_br(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	unsigned rn = field(*word(t), 9, 5);
	if (rn == 31 && !rng_chance(&R, 1, 8))
		rn = (unsigned)rng_below(&R, 31);
	*word(t) = set_field(*word(t), 9, 5, rn);
	if (rn == 31)
		return; /* to address 0 */
	u64 target;
	do
		target = CODE_BASE + 4 * rng_below(&R, CODE_SIZE / 4);
	while (in_code(&t->in, target));
	t->in.x[rn] = target;
}

/* ---- load/store fix-ups ---- */

enum { M_UIMM, M_UNSCALED, M_PRE, M_POST, M_UNPRIV, M_REG, M_LIT, M_PAIR_OFF, M_PAIR_PRE,
       M_PAIR_POST };

/* Sometimes make the transfer register the base (writeback forms: the
 * CONSTRAINED UNPREDICTABLE case both sides resolve the same way). */
static void maybe_same(u32 *w, unsigned hi, unsigned lo)
{
	if (rng_chance(&R, 1, 8))
		*w = set_field(*w, hi, lo, field(*w, 9, 5));
}

static void fix_single(const struct a64_diff_family *f, struct tcase *t)
{
	u32 *w = word(t);
	struct case_in *in = &t->in;
	unsigned size = f->size, rn = field(*w, 9, 5);
	unsigned align = rng_chance(&R, 1, 4) ? 1 : size;
	u64 a = a64_diff__window_addr(&R, size, align), base = a;
	if (f->mode == M_PRE || f->mode == M_POST)
		maybe_same(w, 4, 0);
	switch (f->mode) {
	case M_UIMM:
		base = a - field(*w, 21, 10) * (u64)(f->kind ? size : 8);
		break;
	case M_UNSCALED:
	case M_PRE:
	case M_UNPRIV:
		base = a - sext(field(*w, 20, 12), 9);
		break;
	case M_REG: {
		static const u32 options[4] = { 2, 3, 6, 7 };
		u32 option = rare() ? (u32)rng_below(&R, 8) : options[rng_below(&R, 4)];
		unsigned rm = field(*w, 20, 16);
		if (rm == rn)
			rm = a64_diff__other_reg(&R, rn, true);
		*w = set_field(set_field(*w, 15, 13, option), 20, 16, rm);
		u64 off = src_reg(in, rm);
		off = option & 1 ? off : option & 4 ? sext(off, 32) : off & 0xffffffff;
		base = a - (off << (field(*w, 12, 12) ? __builtin_ctz(size) : 0));
		break;
	}
	case M_LIT:
		a &= ~3ull;
		*w = set_field(*w, 23, 5, (u32)((a - in->pc) >> 2));
		return;
	default:
		break;
	}
	a64_diff__set_base(in, rn, base);
}

static void fix_pair(const struct a64_diff_family *f, struct tcase *t)
{
	u32 *w = word(t);
	unsigned size = f->size, rn = field(*w, 9, 5);
	u64 a = a64_diff__window_addr(&R, 2 * size, rng_chance(&R, 1, 4) ? 1 : size);
	if (rng_chance(&R, 1, 8))
		*w = set_field(*w, 14, 10, field(*w, 4, 0)); /* Rt2 == Rt */
	if (f->mode != M_PAIR_OFF && !f->vregs) {
		maybe_same(w, 4, 0);
		if (rng_chance(&R, 1, 8))
			*w = set_field(*w, 14, 10, rn);
	}
	u64 off = sext(field(*w, 21, 15), 7) * size;
	a64_diff__set_base(&t->in, rn, f->mode == M_PAIR_POST ? a : a - off);
}

/* Exclusive, ordered and atomic kinds. */
enum { X_LDXR, X_STXR, X_LDXP, X_STXP, X_LDAR, X_STLR, X_CAS, X_CASP, X_LSE, X_LDAPR, X_FAULT };

/* An aligned address for `total` bytes, misaligned in 1 case of 10 when
 * `may_misalign`. */
static u64 atomic_addr(unsigned total, bool may_misalign)
{
	u64 a = a64_diff__window_addr(&R, total, total);
	if (may_misalign && rng_chance(&R, 1, 10))
		a += 1 + rng_below(&R, total - 1 ? total - 1 : 1);
	return a;
}

/* LDXR/LDXP with the store's size, base and transfer registers. */
static u32 load_exclusive_for(u32 store, unsigned rt)
{
	/* L = 1, Rs = 11111; keep size, o1 (pair), Rt2 and Rn; o0 random */
	u32 w = (store & 0xc02003e0u) | 0x08400000u | 31u << 16 | (store & (31u << 10));
	return set_field(set_field(w, 4, 0, rt), 15, 15, (u32)rng_below(&R, 2));
}

static void fix_store_exclusive(const struct a64_diff_family *f, struct tcase *t)
{
	struct case_in *in = &t->in;
	u32 st = *word(t);
	unsigned rn = field(st, 9, 5), total = f->size;
	u64 a = atomic_addr(total, false);
	a64_diff__set_base(in, rn, a);
	unsigned how = (unsigned)rng_below(&R, 10);
	u32 ld = load_exclusive_for(st, (unsigned)rng_below(&R, 32));
	if (field(ld, 4, 0) == rn || (f->kind == X_STXP && field(ld, 14, 10) == rn))
		ld = set_field(ld, 4, 0, a64_diff__other_reg(&R, rn, false)); /* keep the base */
	if (f->kind == X_STXP && field(ld, 14, 10) == rn)
		ld = set_field(ld, 14, 10, a64_diff__other_reg(&R, rn, false));
	if (how < 6) { /* LDXR; STXR: succeeds */
		in->insn[0] = ld;
		in->insn[1] = st;
		in->ninsns = 2;
	} else if (how < 8) { /* LDXR elsewhere (another base); STXR: fails */
		unsigned r2 = a64_diff__other_reg(&R, rn, false);
		ld = set_field(ld, 9, 5, r2);
		in->x[r2] = a + total * (1 + rng_below(&R, 4)) * (rng_chance(&R, 1, 2) ? 1 : ~0ull);
		in->insn[0] = ld;
		in->insn[1] = st;
		in->ninsns = 2;
	} else if (how < 9) { /* STXR alone: fails */
		in->ninsns = 1;
	} else { /* LDXR; STXR; STXR: the second fails */
		in->insn[0] = ld;
		in->insn[1] = st;
		in->insn[2] = st;
		in->ninsns = 3;
	}
}

static void fix_atomic(const struct a64_diff_family *f, struct tcase *t)
{
	struct case_in *in = &t->in;
	u32 *w = word(t);
	unsigned rn = field(*w, 9, 5), rs = field(*w, 20, 16), rt = field(*w, 4, 0);
	unsigned total = f->size;
	u64 a = atomic_addr(total, f->kind != X_LDAPR); /* QEMU 7.2: no check */
	a64_diff__set_base(in, rn, a);
	if (f->kind == X_CAS && rng_chance(&R, 1, 2)) {
		u64 v = src_reg(in, rs);
		patch(in, a, &v, total); /* the comparison succeeds */
	}
	if (f->kind == X_CASP) {
		rs &= ~1u;
		rt &= ~1u;
		if (rare())
			rs |= 1; /* odd: undefined */
		*w = set_field(set_field(*w, 20, 16, rs), 4, 0, rt);
		if (rng_chance(&R, 1, 2) && !(rs & 1)) {
			u64 v[2] = { src_reg(in, rs), src_reg(in, rs + 1) };
			if (total == 8)
				v[0] = (v[0] & 0xffffffff) | v[1] << 32;
			patch(in, a, v, total);
		}
	}
}

/* Accesses to an unmapped address (a translation fault in encore, SIGSEGV
 * in QEMU): nothing may change, writeback included. */
static void fix_fault(const struct a64_diff_family *f, struct tcase *t)
{
	(void)f;
	u32 *w = word(t);
	unsigned rn = field(*w, 9, 5);
	u64 a = 0x10000 + 8 * rng_below(&R, 512);
	/* the address is the base (post-index, exclusives) or base + offset */
	u64 off = 0;
	if (field(*w, 29, 27) == 7 && field(*w, 25, 24) == 1)
		off = field(*w, 21, 10) * (u64)(1u << field(*w, 31, 30));
	else if (field(*w, 29, 27) == 7 && !field(*w, 21, 21) && field(*w, 11, 10) != 1)
		off = sext(field(*w, 20, 12), 9);
	else if (field(*w, 29, 27) == 5 && field(*w, 24, 23) != 1)
		off = sext(field(*w, 21, 15), 7) << (2 + (*w >> 31));
	a64_diff__set_base(&t->in, rn, a - off);
}

/* ---- the family table ---- */

static void add_dp_families(void)
{
	fam("adr", 0x10000000, 0x60ffffff, NULL);
	fam("adrp", 0x90000000, 0x60ffffff, NULL);
	static const char *const addsub[4] = { "add.imm", "adds.imm", "sub.imm", "subs.imm" };
	for (u32 k = 0; k < 4; k++)
		fam(addsub[k], 0x11000000 | k << 29, 0x807fffff, NULL);
	static const char *const logic[4] = { "and.imm", "orr.imm", "eor.imm", "ands.imm" };
	for (u32 k = 0; k < 4; k++)
		fam(logic[k], 0x12000000 | k << 29, 0x807fffff, fix_logical_imm);
	static const char *const mov[4] = { "movn", NULL, "movz", "movk" };
	for (u32 k = 0; k < 4; k++)
		if (mov[k])
			fam(mov[k], 0x12800000 | k << 29, 0x807fffff, fix_move_wide);
	static const char *const bfm[3] = { "sbfm", "bfm", "ubfm" };
	for (u32 k = 0; k < 3; k++)
		fam(bfm[k], 0x13000000 | k << 29, 0x807fffff, fix_bitfield);
	fam("extr", 0x13800000, 0x805fffff, fix_extr);

	static const char *const lsh[8] = { "and.sh", "bic.sh", "orr.sh", "orn.sh",
					    "eor.sh", "eon.sh", "ands.sh", "bics.sh" };
	for (u32 k = 0; k < 8; k++)
		fam(lsh[k], 0x0a000000 | (k >> 1) << 29 | (k & 1) << 21, 0x80dfffff, fix_shifted);
	static const char *const ash[4] = { "add.sh", "adds.sh", "sub.sh", "subs.sh" };
	for (u32 k = 0; k < 4; k++)
		fam(ash[k], 0x0b000000 | k << 29, 0x80dfffff, fix_shifted)->kind = 1;
	static const char *const aext[4] = { "add.ext", "adds.ext", "sub.ext", "subs.ext" };
	for (u32 k = 0; k < 4; k++)
		fam(aext[k], 0x0b200000 | k << 29, 0x801fffff, fix_extended);
	static const char *const adc[4] = { "adc", "adcs", "sbc", "sbcs" };
	for (u32 k = 0; k < 4; k++)
		fam(adc[k], 0x1a000000 | k << 29, 0x801f03ff, fix_equal_sometimes);
	fam("ccmn.reg", 0x3a400000, 0x801ff3ef, fix_equal_sometimes);
	fam("ccmp.reg", 0x7a400000, 0x801ff3ef, fix_equal_sometimes);
	fam("ccmn.imm", 0x3a400800, 0x801ff3ef, NULL);
	fam("ccmp.imm", 0x7a400800, 0x801ff3ef, NULL);
	static const char *const csel[4] = { "csel", "csinc", "csinv", "csneg" };
	for (u32 k = 0; k < 4; k++)
		fam(csel[k], 0x1a800000 | (k >> 1) << 30 | (k & 1) << 10, 0x801ff3ff,
		    fix_equal_sometimes);
	static const char *const one[6] = { "rbit", "rev16", "rev32", "rev", "clz", "cls" };
	for (u32 k = 0; k < 6; k++)
		fam(one[k], 0x5ac00000 | k << 10, 0x800003ff, k == 3 ? fix_sf1 : NULL);
	static const struct { const char *name; u32 opcode; } two[] = {
		{ "udiv", 0x02 }, { "sdiv", 0x03 }, { "lslv", 0x08 }, { "lsrv", 0x09 },
		{ "asrv", 0x0a }, { "rorv", 0x0b },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(two); k++)
		fam(two[k].name, 0x1ac00000 | two[k].opcode << 10, 0x801f03ff,
		    two[k].opcode < 4 ? fix_div : NULL);
	static const char *const crc[8] = { "crc32b", "crc32h", "crc32w", "crc32x",
					    "crc32cb", "crc32ch", "crc32cw", "crc32cx" };
	for (u32 k = 0; k < 8; k++)
		fam(crc[k], ((k & 3) == 3 ? 0x9ac00000u : 0x1ac00000u) | (0x10 + k) << 10,
		    0x001f03ff, NULL);
	fam("madd", 0x1b000000, 0x801f7fff, NULL);
	fam("msub", 0x1b008000, 0x801f7fff, NULL);
	fam("smaddl", 0x9b200000, 0x001f7fff, NULL);
	fam("smsubl", 0x9b208000, 0x001f7fff, NULL);
	fam("umaddl", 0x9ba00000, 0x001f7fff, NULL);
	fam("umsubl", 0x9ba08000, 0x001f7fff, NULL);
	fam("smulh", 0x9b407c00, 0x001f03ff, NULL);
	fam("umulh", 0x9bc07c00, 0x001f03ff, NULL);

	fam("b", 0x14000000, 0x03ffffff, fix_b);
	fam("bl", 0x94000000, 0x03ffffff, fix_b);
	fam("b.cond", 0x54000000, 0x00ffffef, fix_bcond);
	fam("cbz", 0x34000000, 0x80ffffff, fix_cb);
	fam("cbnz", 0x35000000, 0x80ffffff, fix_cb);
	fam("tbz", 0x36000000, 0x80ffffff, fix_tb);
	fam("tbnz", 0x37000000, 0x80ffffff, fix_tb);
	fam("br", 0xd61f0000, 0x000003e0, fix_br);
	fam("blr", 0xd63f0000, 0x000003e0, fix_br);
	fam("ret", 0xd65f0000, 0x000003e0, fix_br);
}

/* Single-register forms: name, V, size, opc. */
static const struct single_form {
	const char *name;
	u8 v, size, opc;
} singles[] = {
	{ "strb", 0, 0, 0 }, { "ldrb", 0, 0, 1 }, { "ldrsb.x", 0, 0, 2 }, { "ldrsb.w", 0, 0, 3 },
	{ "strh", 0, 1, 0 }, { "ldrh", 0, 1, 1 }, { "ldrsh.x", 0, 1, 2 }, { "ldrsh.w", 0, 1, 3 },
	{ "str.w", 0, 2, 0 }, { "ldr.w", 0, 2, 1 }, { "ldrsw", 0, 2, 2 },
	{ "str.x", 0, 3, 0 }, { "ldr.x", 0, 3, 1 }, { "prfm", 0, 3, 2 },
	{ "str.b", 1, 0, 0 }, { "ldr.b", 1, 0, 1 }, { "str.h", 1, 1, 0 }, { "ldr.h", 1, 1, 1 },
	{ "str.s", 1, 2, 0 }, { "ldr.s", 1, 2, 1 }, { "str.d", 1, 3, 0 }, { "ldr.d", 1, 3, 1 },
	{ "str.q", 1, 0, 2 }, { "ldr.q", 1, 0, 3 },
};

static void add_ldst_families(void)
{
	static const struct {
		const char *suffix;
		u32 base, mask;
		u8 mode;
	} modes[] = {
		{ "uimm", 0x39000000, 0x003fffff, M_UIMM },
		{ "unscaled", 0x38000000, 0x001ff3ff, M_UNSCALED },
		{ "post", 0x38000400, 0x001ff3ff, M_POST },
		{ "unpriv", 0x38000800, 0x001ff3ff, M_UNPRIV },
		{ "pre", 0x38000c00, 0x001ff3ff, M_PRE },
		{ "reg", 0x38200800, 0x001ff3ff, M_REG },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(singles); k++) {
		const struct single_form *s = &singles[k];
		unsigned bytes = s->v && (s->opc & 2) ? 16 : 1u << s->size;
		bool prfm = !s->v && s->size == 3 && s->opc == 2;
		for (unsigned m = 0; m < ARRAY_SIZE(modes); m++) {
			if ((prfm || s->v) && modes[m].mode == M_UNPRIV)
				continue;
			if (prfm && (modes[m].mode == M_PRE || modes[m].mode == M_POST))
				continue;
			char name[40];
			snprintf(name, sizeof(name), "%s.%s", s->name, modes[m].suffix);
			struct a64_diff_family *f = fam(name, modes[m].base | (u32)s->size << 30 |
							 (u32)s->v << 26 | (u32)s->opc << 22,
					       modes[m].mask, fix_single);
			f->mode = modes[m].mode;
			f->size = (u8)bytes;
			f->kind = !prfm;
			f->vregs = s->v;
		}
	}
	/* Literal: opc, V. */
	static const struct { const char *name; u8 opc, v, size; } lits[] = {
		{ "ldr.w.lit", 0, 0, 4 }, { "ldr.x.lit", 1, 0, 8 }, { "ldrsw.lit", 2, 0, 4 },
		{ "prfm.lit", 3, 0, 8 }, { "ldr.s.lit", 0, 1, 4 }, { "ldr.d.lit", 1, 1, 8 },
		{ "ldr.q.lit", 2, 1, 16 },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(lits); k++) {
		struct a64_diff_family *f = fam(lits[k].name, 0x18000000 | (u32)lits[k].opc << 30 |
							 (u32)lits[k].v << 26,
				       0x0000001f, fix_single);
		f->mode = M_LIT;
		f->size = lits[k].size;
		f->kind = 1;
		f->vregs = lits[k].v;
	}
	/* Pairs: name, opc, V, L; by type. */
	static const struct { const char *name; u8 opc, v, l, size; } pairs[] = {
		{ "stp.w", 0, 0, 0, 4 }, { "ldp.w", 0, 0, 1, 4 }, { "ldpsw", 1, 0, 1, 4 },
		{ "stp.x", 2, 0, 0, 8 }, { "ldp.x", 2, 0, 1, 8 },
		{ "stp.s", 0, 1, 0, 4 }, { "ldp.s", 0, 1, 1, 4 }, { "stp.d", 1, 1, 0, 8 },
		{ "ldp.d", 1, 1, 1, 8 }, { "stp.q", 2, 1, 0, 16 }, { "ldp.q", 2, 1, 1, 16 },
	};
	static const struct { const char *suffix; u8 type, mode; } ptypes[] = {
		{ "np", 0, M_PAIR_OFF }, { "post", 1, M_PAIR_POST }, { "off", 2, M_PAIR_OFF },
		{ "pre", 3, M_PAIR_PRE },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(pairs); k++)
		for (unsigned m = 0; m < ARRAY_SIZE(ptypes); m++) {
			if (pairs[k].opc == 1 && !pairs[k].v && ptypes[m].type == 0)
				continue; /* no LDNPSW */
			char name[40];
			snprintf(name, sizeof(name), "%s.%s", pairs[k].name, ptypes[m].suffix);
			struct a64_diff_family *f = fam(name, 0x28000000 | (u32)pairs[k].opc << 30 |
							 (u32)pairs[k].v << 26 |
							 (u32)ptypes[m].type << 23 |
							 (u32)pairs[k].l << 22,
					       0x003fffff, fix_pair);
			f->mode = ptypes[m].mode;
			f->size = pairs[k].size;
			f->vregs = pairs[k].v;
		}
}

static void add_atomic_families(void)
{
	static const char *const sz[4] = { "b", "h", "w", "x" };
	char name[40];
	for (u32 s = 0; s < 4; s++) {
		struct a64_diff_family *f;
		/* LDXR/LDAXR (o0 random), Rs = Rt2 = 11111 */
		snprintf(name, sizeof(name), "ldxr.%s", sz[s]);
		f = fam(name, 0x085f7c00 | s << 30, 0x000083ff, fix_atomic);
		f->kind = X_LDXR, f->size = (u8)(1u << s);
		snprintf(name, sizeof(name), "stxr.%s", sz[s]);
		f = fam(name, 0x08007c00 | s << 30, 0x001f83ff, fix_store_exclusive);
		f->kind = X_STXR, f->size = (u8)(1u << s);
		snprintf(name, sizeof(name), "ldar.%s", sz[s]);
		f = fam(name, 0x08df7c00 | s << 30, 0x000083ff, fix_atomic); /* LDAR, LDLAR */
		f->kind = X_LDAR, f->size = (u8)(1u << s);
		snprintf(name, sizeof(name), "stlr.%s", sz[s]);
		f = fam(name, 0x089f7c00 | s << 30, 0x000083ff, fix_atomic); /* STLR, STLLR */
		f->kind = X_STLR, f->size = (u8)(1u << s);
		snprintf(name, sizeof(name), "ldapr.%s", sz[s]);
		f = fam(name, 0x38bfc000 | s << 30, 0x000003ff, fix_atomic);
		f->kind = X_LDAPR, f->size = (u8)(1u << s);
		snprintf(name, sizeof(name), "cas.%s", sz[s]);
		f = fam(name, 0x08a07c00 | s << 30, 0x005f83ff, fix_atomic); /* L, o0 random */
		f->kind = X_CAS, f->size = (u8)(1u << s);
		static const char *const ops[9] = { "ldadd", "ldclr", "ldeor", "ldset", "ldsmax",
						    "ldsmin", "ldumax", "ldumin", "swp" };
		for (u32 op = 0; op < 9; op++) {
			snprintf(name, sizeof(name), "%s.%s", ops[op], sz[s]);
			u32 enc = op < 8 ? op << 12 : 1u << 15;
			/* A and R random */
			f = fam(name, 0x38200000 | s << 30 | enc, 0x00df03ff, fix_atomic);
			f->kind = X_LSE, f->size = (u8)(1u << s);
		}
	}
	for (u32 x = 0; x < 2; x++) {
		struct a64_diff_family *f;
		snprintf(name, sizeof(name), "ldxp.%s", x ? "x" : "w");
		f = fam(name, 0x887f0000 | x << 30, 0x0000ffff, fix_atomic);
		f->kind = X_LDXP, f->size = (u8)(8u << x);
		snprintf(name, sizeof(name), "stxp.%s", x ? "x" : "w");
		f = fam(name, 0x88200000 | x << 30, 0x001fffff, fix_store_exclusive);
		f->kind = X_STXP, f->size = (u8)(8u << x);
		snprintf(name, sizeof(name), "casp.%s", x ? "x" : "w");
		f = fam(name, 0x08207c00 | x << 30, 0x005f83ff, fix_atomic);
		f->kind = X_CASP, f->size = (u8)(8u << x);
	}
	/* Faults at an unmapped address, for the forms with writeback and
	 * the read-modify-write ones. */
	static const struct { const char *name; u32 value, mask; } faults[] = {
		{ "fault.ldr.pre", 0xf8400c00, 0x001ff3ff },
		{ "fault.str.post", 0xb8000400, 0x001ff3ff },
		{ "fault.ldp.pre", 0xa9c00000, 0x003fffff },
		{ "fault.stp.post", 0x28800000, 0x003fffff },
		{ "fault.ldr.q.uimm", 0x3dc00000, 0x003fffff },
		{ "fault.ldadd.x", 0xf8200000, 0x00df03ff },
		{ "fault.casp.x", 0x48207c00, 0x005e83de },
		{ "fault.ldxr.w", 0x885f7c00, 0x000083ff },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(faults); k++) {
		struct a64_diff_family *f = fam(faults[k].name, faults[k].value, faults[k].mask,
						fix_fault);
		f->kind = X_FAULT;
		f->vregs = true;
	}
}

/* ---- running ---- */

static void gen_case(const struct a64_diff_family *f, struct tcase *t)
{
	struct case_in *in = &t->in;
	a64_diff__case_start(&R, t, true);
	if (f->vregs) {
		in->flags |= CASE_VREGS;
		rng_fill(&R, t->v, sizeof(t->v));
	}
	in->insn[0] = f->value | ((u32)rng_next(&R) & f->mask);
	if (f->fix)
		f->fix(f, t);
}

static void setup(void)
{
	add_dp_families();
	add_ldst_families();
	add_atomic_families();
}

int main(void)
{
	static const struct a64_diff_test test = {
		.seed = 0xa64d1ff,
		.rng = &R,
		.setup = setup,
		.gen_case = gen_case,
		.list_width = 20,
		.list_faults = true,
	};
	return a64_diff__main(&test);
}
