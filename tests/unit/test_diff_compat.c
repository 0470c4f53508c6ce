/*
 * Integer differential tests in 32-bit and 16-bit code segments
 * (compatibility mode): each instruction runs natively in a 32- or 16-bit
 * code segment of the host and in the interpreter in the same kind of
 * segment, from the same random state (diff_harness.h, "32- and 16-bit
 * code"), and registers (32-bit views), flags and the data window are
 * compared.  Every family runs in both code sizes, with both operand sizes
 * (with and without 66), both address sizes (with and without 67) and
 * 16- and 32-bit stacks.  Flags the SDM leaves undefined for a form are
 * masked (see the notes at each family; the same rules as test_diff_int.c).
 *
 * At the end it prints, per code size, how many instruction forms (an
 * opcode form at an operand size and address size) and cases ran.
 *
 * Options: see diff_cases.h.  Skips (77) when the host cannot run 32/16-bit
 * code (no usable 32-bit code segment, or modify_ldt(2) refused or not
 * loaded).
 */
#include <stdio.h>
#include <string.h>

#include "diff_cases.h"

static struct rng R;
static u8 data[DIFF_DATA_SIZE];

/* ---- the current code size and what ran in it ---- */

static unsigned g_code;   /* 4: 32-bit code segment, 2: 16-bit */

#define FORM_SLOTS 4096
struct tally {
	unsigned long cases, vec[33];
	unsigned forms;
	u64 form_hash[FORM_SLOTS]; /* open addressing, 0 = empty */
};
static struct tally g_tally[2]; /* [0] 32-bit code, [1] 16-bit code */

static struct tally *cur_tally(void)
{
	return &g_tally[g_code == 2];
}

static u64 hash_str(const char *s)
{
	u64 h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (u8)*s) * 0x100000001b3ull;
	return h | 1;
}

/* Count a form (by its name) once per code size. */
static void note_form(const char *key)
{
	struct tally *t = cur_tally();
	u64 h = hash_str(key);
	for (unsigned i = (unsigned)h % FORM_SLOTS;; i = (i + 1) % FORM_SLOTS) {
		if (t->form_hash[i] == h)
			return;
		if (!t->form_hash[i]) {
			if (t->forms < FORM_SLOTS - 1) {
				t->form_hash[i] = h;
				t->forms++;
			}
			return;
		}
	}
}

static void note_case(void)
{
	struct tally *t = cur_tally();
	int v = diff_last_native_vector();
	t->cases++;
	if (v >= 0)
		t->vec[v < 32 ? v : 32]++;
}

/* ---- values ---- */

static u64 mask_of(unsigned size)
{
	return diff_size_mask(size);
}

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
	u64 m = mask_of(size), sign = 1ull << (bits - 1);
	switch (rng_below(&R, 12)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return m;
	case 3: return sign - 1;
	case 4: return sign;
	case 5: return 1ull << rng_below(&R, bits);
	case 6: return (1ull << rng_below(&R, bits)) - 1;
	case 7: return rng_below(&R, 16);
	case 8: return (m - rng_below(&R, 16)) & m;
	case 9: return (sign + rng_below(&R, 16) - 8) & m;
	default: return rng_next(&R) & m;
	}
}

/* A 32-bit register value whose low `size` bytes are an operand. */
static u64 rval(unsigned size)
{
	u64 v = rng_next(&R);
	if (rng_chance(&R, 1, 2))
		v = (v & ~mask_of(size)) | (edge_val(size) & mask_of(size));
	return v;
}

/* Registers: 0..7 as in ModRM; byte registers 4..7 are AH, CH, DH, BH. */
static void set_reg(struct diff_state *st, int r, unsigned size, u64 v)
{
	if (size == 1 && r >= 4) {
		u64 *g = &st->gpr[r - 4];
		*g = (*g & ~0xff00ull) | ((v & 0xff) << 8);
		return;
	}
	st->gpr[r] = (st->gpr[r] & ~mask_of(size)) | (v & mask_of(size));
}

/* The register holding operand register r (AH..BH live in EAX..EBX). */
static int full_reg(int r, unsigned size)
{
	return size == 1 && r >= 4 ? r - 4 : r;
}

/* A stack pointer with room around it: a 16-bit stack keeps random bits
 * in ESP[31:16]. */
static u64 stack_ptr(bool stack16)
{
	u64 sp = 0x2000 + (rng_below(&R, 0xc000) & ~1ull);
	if (rng_chance(&R, 1, 2))
		sp &= ~3ull;
	return stack16 ? (rng_next(&R) & 0xffff0000ull) | sp : sp;
}

static struct diff_compat g_mode; /* the mode of the case being built */

static void random_state(struct diff_state *st)
{
	diff_state_init(st);
	for (int r = 0; r < 16; r++)
		st->gpr[r] = rng_chance(&R, 1, 4) ? rval(4) : rng_next(&R);
	st->rflags = rng_next(&R) & DIFF_FLAGS;
	g_mode.code = g_code;
	g_mode.stack16 = rng_chance(&R, g_code == 2 ? 3 : 1, 4);
	st->gpr[REG_RSP] = stack_ptr(g_mode.stack16);
}

/* Now and then a stack pointer at the edge of a 16-bit stack, where SP
 * wraps at 64 KiB (4-byte aligned: no access straddles the wrap). */
static void stack_edge(struct diff_state *st)
{
	static const u16 edges[] = { 0, 4, 8, 0x20, 0xffe0, 0xfff0, 0xfff8, 0xfffc };
	if (g_mode.stack16 && rng_chance(&R, 1, 4))
		st->gpr[REG_RSP] = (st->gpr[REG_RSP] & ~0xffffull) | edges[rng_below(&R, 8)];
}

/* The window offset of the stack top (SS's base is the window's start). */
static unsigned stack_top(const struct diff_state *st)
{
	return (unsigned)(g_mode.stack16 ? (u16)st->gpr[REG_RSP] : (u32)st->gpr[REG_RSP]);
}

/* A register that is not ESP nor in `avoid` (for operand size `size`:
 * byte registers 4..7 count as EAX..EBX). */
static int pick_reg(unsigned size, u32 avoid)
{
	for (;;) {
		int r = (int)rng_below(&R, 8);
		int f = full_reg(r, size);
		if (f != REG_RSP && !(avoid >> f & 1))
			return r;
	}
}

/* A random window offset with `room` bytes after it, at least 4 KiB from
 * either end; unaligned ones sometimes straddle a page boundary. */
static unsigned pick_off(unsigned room, unsigned align)
{
	unsigned off = 0x1000 + (unsigned)rng_below(&R, DIFF_DATA_SIZE - 0x2000 - room);
	if (align <= 1 && rng_chance(&R, 1, 8))
		return ((off + 0xfff) & ~0xfffu) - 1 - (unsigned)rng_below(&R, 7);
	if (align > 1)
		off &= ~(align - 1);
	else if (rng_chance(&R, 1, 2))
		off &= ~3u;
	return off;
}

static void put_mem(unsigned off, unsigned size, u64 v)
{
	memcpy(data + off, &v, size);
}

/* ---- memory operands ---- */

struct mem {
	unsigned asize;   /* 2 or 4 */
	u8 mod, rm;       /* ModRM fields (reg comes from the instruction) */
	bool has_sib;
	u8 sib;
	i32 disp;
	unsigned dispsz;  /* 0, 1, 2 or 4 bytes */
	int seg;          /* the segment used */
	u8 seg_pfx;       /* its override prefix, or 0 */
	const char *form; /* for the form count (LEA) */
};

static const u8 seg_prefix[SEG_COUNT] = {
	[SEG_ES] = 0x26, [SEG_CS] = 0x2e, [SEG_SS] = 0x36, [SEG_DS] = 0x3e,
};

/* 16-bit forms by r/m: base, index (-1: none), default segment. */
static const struct {
	int base, index, seg;
	const char *name;
} modrm16[8] = {
	{ REG_RBX, REG_RSI, SEG_DS, "bx+si" }, { REG_RBX, REG_RDI, SEG_DS, "bx+di" },
	{ REG_RBP, REG_RSI, SEG_SS, "bp+si" }, { REG_RBP, REG_RDI, SEG_SS, "bp+di" },
	{ REG_RSI, -1, SEG_DS, "si" },           { REG_RDI, -1, SEG_DS, "di" },
	{ REG_RBP, -1, SEG_SS, "bp" },           { REG_RBX, -1, SEG_DS, "bx" },
};

/*
 * The segment a memory operand uses: its default, or an override.  A
 * 16-bit offset cannot reach the window through the flat DS, so 16-bit
 * DS-relative operands always get ES or SS.
 */
static void pick_seg(struct mem *m, int dflt)
{
	m->seg = dflt;
	m->seg_pfx = 0;
	unsigned r = (unsigned)rng_below(&R, 8);
	if (m->asize == 2 && dflt == SEG_DS)
		r = r & 1 ? 0 : 1;
	if (r < 2) {
		m->seg = r == 0 ? SEG_ES : SEG_SS;
		m->seg_pfx = seg_prefix[m->seg];
	} else if (r == 2) {
		m->seg_pfx = seg_prefix[dflt]; /* a redundant override */
	} else if (r == 3 && m->asize == 4) {
		m->seg = SEG_DS;
		m->seg_pfx = 0x3e;
	}
}

/* The offset that reaches window offset `off` through the operand's segment. */
static u32 seg_offset(const struct mem *m, unsigned off)
{
	return (u32)DIFF_DATA_ADDR + off - diff_compat_seg_base(m->seg);
}

static i32 rand_disp(unsigned sz)
{
	switch (sz) {
	case 1: return (i8)rng_next(&R);
	case 2: return (i16)rng_next(&R);
	case 4: return (i32)rng_next(&R);
	default: return 0;
	}
}

/* A 16-bit form reaching `off` (anywhere: random registers, for LEA). */
static bool gen_mem16(struct mem *m, unsigned off, u32 avoid, struct diff_state *st, bool anywhere)
{
	unsigned rm = (unsigned)rng_below(&R, 8), mod = (unsigned)rng_below(&R, 3);
	int base = modrm16[rm].base, index = modrm16[rm].index;
	bool direct = mod == 0 && rm == 6;
	if (direct)
		base = index = -1;
	if ((base >= 0 && (avoid >> base & 1)) || (index >= 0 && (avoid >> index & 1)))
		return false;
	m->mod = (u8)mod;
	m->rm = (u8)rm;
	m->dispsz = direct ? 2 : mod == 1 ? 1 : mod == 2 ? 2 : 0;
	m->disp = rand_disp(m->dispsz);
	m->form = direct ? "disp16" : modrm16[rm].name;
	pick_seg(m, direct ? SEG_DS : modrm16[rm].seg);
	if (anywhere)
		return true;
	u32 ea = seg_offset(m, off);
	if (index >= 0)
		st->gpr[index] = rng_next(&R);
	if (base < 0) {
		m->disp = (i16)ea;
		return true;
	}
	u32 rest = ea - (u32)m->disp - (index >= 0 ? (u32)st->gpr[index] : 0);
	st->gpr[base] = (rng_next(&R) & ~0xffffull) | (rest & 0xffff);
	return true;
}

/* A 32-bit form reaching `off`: [disp32], [base(+disp)], SIB with and without
 * base or index. */
static bool gen_mem32(struct mem *m, unsigned off, u32 avoid, struct diff_state *st, bool anywhere)
{
	static const char *const names[5] = { "disp32", "base", "sib", "sib-nobase", "sib-noindex" };
	unsigned form = (unsigned)rng_below(&R, 5);
	int base = -1, index = -1;
	unsigned scale = (unsigned)rng_below(&R, 4);
	m->has_sib = form >= 2;
	if (form != 0 && form != 3) {
		base = (int)rng_below(&R, 8);
		if (form == 1 && base == REG_RSP)
			return false; /* needs a SIB: that is form 4 */
	}
	if (form == 2 || form == 3) {
		index = (int)rng_below(&R, 8);
		if (index == REG_RSP || index == base)
			return false;
	}
	if ((base >= 0 && (avoid >> base & 1)) || (index >= 0 && (avoid >> index & 1)))
		return false;
	if (base < 0)
		m->mod = 0, m->dispsz = 4;
	else {
		m->mod = (u8)rng_below(&R, 3);
		if (m->mod == 0 && base == REG_RBP)
			m->mod = 1;
		m->dispsz = m->mod == 1 ? 1 : m->mod == 2 ? 4 : 0;
	}
	m->rm = (u8)(m->has_sib ? 4 : base < 0 ? 5 : base);
	m->sib = (u8)(scale << 6 | (index < 0 ? 4 : index) << 3 | (base < 0 ? 5 : base));
	m->disp = rand_disp(m->dispsz);
	m->form = names[form];
	pick_seg(m, base == REG_RSP || base == REG_RBP ? SEG_SS : SEG_DS);
	if (anywhere)
		return true;
	u32 ea = seg_offset(m, off), iv = 0;
	if (index >= 0) {
		iv = (u32)rng_next(&R);
		st->gpr[index] = iv;
	}
	u32 rest = ea - (iv << scale);
	if (base < 0)
		m->disp = (i32)rest;
	else
		st->gpr[base] = rest - (u32)m->disp;
	return true;
}

/*
 * A memory operand whose bytes are at window offset `off` in a random form
 * of address size `asize` (0: random), its registers set in st (never one
 * in `avoid`); `anywhere` (LEA) leaves registers and displacement random.
 */
static void gen_mem(struct mem *m, unsigned asize, unsigned off, u32 avoid, struct diff_state *st,
		    bool anywhere)
{
	if (!asize)
		asize = rng_chance(&R, 1, 2) ? 2 : 4;
	for (;;) {
		memset(m, 0, sizeof(*m));
		m->asize = asize;
		bool ok = asize == 2 ? gen_mem16(m, off, avoid, st, anywhere)
				     : gen_mem32(m, off, avoid, st, anywhere);
		if (ok)
			return;
	}
}

/* ---- instructions ---- */

struct ins {
	unsigned osize;  /* operand size: 1, 2 or 4 */
	bool p66;        /* a 66 prefix (set from osize by ins_size) */
	u8 pfx[4];       /* more prefixes (LOCK, REP) */
	int npfx;
	u8 op[3];
	int nop;
	int reg;         /* ModRM.reg (register or /digit); -1: no ModRM */
	bool rm_mem;
	int rm;
	struct mem m;
	unsigned asize;  /* without ModRM: the address size (0: default) */
	u8 seg_pfx;      /* without ModRM: a segment override */
	int opreg;       /* +r in the opcode, or -1 */
	unsigned immsz;
	u64 imm;
	unsigned moffsz; /* 2 or 4: a moffs follows the opcode */
	u32 moffs;
};

static void ins_init(struct ins *in, unsigned osize)
{
	memset(in, 0, sizeof(*in));
	in->reg = in->opreg = -1;
	in->osize = osize;
	/* 66 selects the other of 16/32; byte forms ignore it. */
	in->p66 = osize == 1 ? rng_chance(&R, 1, 10) : osize != g_code;
}

static void ins_op(struct ins *in, int n, u8 a, u8 b)
{
	in->nop = n;
	in->op[0] = a;
	in->op[1] = b;
}

/* An operand size for a non-byte form: the code size's or the other. */
static unsigned wide_size(void)
{
	return rng_chance(&R, 1, 2) ? 2 : 4;
}

/* Immediate size of an Iz operand. */
static unsigned iz(unsigned osize)
{
	return osize == 1 ? 1 : osize;
}

static unsigned ins_asize(const struct ins *in)
{
	if (in->reg >= 0 && in->rm_mem)
		return in->m.asize;
	if (in->moffsz)
		return in->moffsz;
	return in->asize ? in->asize : g_code;
}

static int encode(const struct ins *in, u8 *out)
{
	int n = 0;
	if (in->p66)
		out[n++] = 0x66;
	for (int k = 0; k < in->npfx; k++)
		out[n++] = in->pfx[k];
	if (in->reg >= 0 && in->rm_mem && in->m.seg_pfx)
		out[n++] = in->m.seg_pfx;
	if (in->seg_pfx)
		out[n++] = in->seg_pfx;
	if (ins_asize(in) != g_code)
		out[n++] = 0x67;
	for (int k = 0; k < in->nop; k++)
		out[n++] = in->op[k];
	if (in->opreg >= 0)
		out[n - 1] |= (u8)in->opreg;
	if (in->reg >= 0) {
		const struct mem *m = &in->m;
		if (!in->rm_mem) {
			out[n++] = (u8)(0xc0 | (in->reg & 7) << 3 | (in->rm & 7));
		} else {
			out[n++] = (u8)(m->mod << 6 | (in->reg & 7) << 3 | m->rm);
			if (m->has_sib)
				out[n++] = m->sib;
			memcpy(out + n, &m->disp, m->dispsz);
			n += (int)m->dispsz;
		}
	}
	if (in->moffsz) {
		memcpy(out + n, &in->moffs, in->moffsz);
		n += (int)in->moffsz;
	}
	memcpy(out + n, &in->imm, in->immsz);
	n += (int)in->immsz;
	return n;
}

/* "fam o16 a32 m": the form of an instruction, for the count. */
static void form_key(const char *fam, const struct ins *in, char *key, size_t n)
{
	bool mem = in->reg >= 0 && in->rm_mem;
	snprintf(key, n, "%s o%u a%u%s%s", fam, in->osize * 8, ins_asize(in) * 8,
		 mem ? " m" : in->reg >= 0 ? " r" : "", in->npfx ? " pfx" : "");
}

/* Run `code` (ninsns instructions before any branch) as case `idx` of `fam`. */
static void run_code(const char *fam, const char *key, const u8 *code, unsigned len,
		     unsigned ninsns, const struct diff_state *st, const struct diff_opts *o)
{
	char tag[96];
	snprintf(tag, sizeof(tag), "%s#%lu", fam, cur_tally()->cases);
	note_form(key);
	diff_check_compat(tag, &g_mode, code, len, ninsns, st, data, o);
	note_case();
}

static void run_ins(const char *fam, const struct ins *in, const struct diff_state *st,
		    const struct diff_opts *o)
{
	u8 code[24];
	char key[96];
	int len = encode(in, code);
	form_key(fam, in, key, sizeof(key));
	run_code(fam, key, code, (unsigned)len, 1, st, o);
}

static void run_bytes(const char *fam, const u8 *code, unsigned len, const struct diff_state *st,
		      const struct diff_opts *o)
{
	char key[96];
	snprintf(key, sizeof(key), "%s", fam);
	run_code(fam, key, code, len, 1, st, o);
}

/*
 * The r/m operand: a register or (mem_pct percent) memory at a fresh
 * window offset, holding `v`.  Memory address registers are set last, so
 * they win over operand registers they share.
 */
static void set_rm(struct ins *in, struct diff_state *st, u64 v, u32 avoid, unsigned mem_pct,
		   unsigned *off_out)
{
	unsigned size = in->osize;
	if (rng_below(&R, 100) < mem_pct) {
		unsigned off = pick_off(32, 1);
		in->rm_mem = true;
		put_mem(off, size, v);
		gen_mem(&in->m, 0, off, avoid, st, false);
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

static bool family_on(const char *name)
{
	return diff_family_on(name);
}

/* ---- ALU: ADD OR ADC SBB AND SUB XOR CMP ---- */

static const char *const alu_names[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };

/* AF is undefined after the logic ops (OR, AND, XOR); all else defined. */
static u64 alu_undef(unsigned op)
{
	return (op == 1 || op == 4 || op == 6) ? RF_AF : 0;
}

/* forms: 0 r/m8,r8  1 r/m,r  2 r8,r/m8  3 r,r/m  4 AL,imm8  5 eAX,imm
 *        6: 80 /op  7: 81  8: 82 (80's alias outside 64-bit mode)  9: 83 */
static void alu_case(unsigned op, unsigned form, struct ins *in, struct diff_state *st)
{
	bool byte = form == 0 || form == 2 || form == 4 || form == 6 || form == 8;
	unsigned size = byte ? 1 : wide_size();
	u64 a = rval(size), b = rval(size);
	ins_init(in, size);
	if (form < 6) {
		ins_op(in, 1, (u8)(op * 8 + form), 0);
		if (form >= 4) {
			set_reg(st, REG_RAX, size, a);
			in->immsz = iz(size);
			in->imm = b;
			return;
		}
		in->reg = pick_reg(size, 0);
		set_reg(st, in->reg, size, b);
		set_rm(in, st, a, 0, 50, NULL);
		return;
	}
	static const u8 grp[4] = { 0x80, 0x81, 0x82, 0x83 };
	ins_op(in, 1, grp[form - 6], 0);
	in->reg = (int)op;
	set_rm(in, st, a, 0, 50, NULL);
	in->immsz = form == 7 ? iz(size) : 1;
	in->imm = rng_chance(&R, 1, 2) ? b : edge_val(in->immsz);
}

static void test_alu(void)
{
	if (!family_on("alu"))
		return;
	for (unsigned op = 0; op < 8; op++)
		for (unsigned form = 0; form < 10; form++)
			for (unsigned k = 0; k < diff_ncases(4); k++) {
				struct diff_state st;
				struct ins in;
				random_state(&st);
				alu_case(op, form, &in, &st);
				/* LOCK: valid on a memory destination except CMP, else #UD.
				 * Not on XOR/SUB r, r of one register: QEMU's TCG (where
				 * this runs on hosts without 32-bit code) takes those for
				 * zeroing idioms and forgets the #UD. */
				bool same = !in.rm_mem && in.reg == in.rm && form < 2;
				if (rng_chance(&R, 1, 8) && (form == 0 || form == 1 || form >= 6) && !same)
					in.pfx[in.npfx++] = 0xf0;
				struct diff_opts o = { .flags_undef = alu_undef(op) };
				char fam[32];
				snprintf(fam, sizeof(fam), "alu.%s.%u", alu_names[op], form);
				run_ins(fam, &in, &st, &o);
			}
}

/* ---- INC DEC NOT NEG, INC/DEC 40-4F ---- */

static void test_unary(void)
{
	if (!family_on("unary"))
		return;
	static const struct { const char *name; u8 op8, op, digit; } forms[] = {
		{ "unary.inc", 0xfe, 0xff, 0 }, { "unary.dec", 0xfe, 0xff, 1 },
		{ "unary.not", 0xf6, 0xf7, 2 }, { "unary.neg", 0xf6, 0xf7, 3 },
	};
	for (unsigned f = 0; f < ARRAY_SIZE(forms); f++)
		for (unsigned k = 0; k < diff_ncases(18); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			unsigned size = rng_chance(&R, 1, 3) ? 1 : wide_size();
			ins_init(&in, size);
			ins_op(&in, 1, size == 1 ? forms[f].op8 : forms[f].op, 0);
			in.reg = forms[f].digit;
			set_rm(&in, &st, rval(size), 0, 50, NULL);
			if (in.rm_mem && rng_chance(&R, 1, 4))
				in.pfx[in.npfx++] = 0xf0;
			run_ins(forms[f].name, &in, &st, NULL);
		}
	/* 40+r INC r, 48+r DEC r: REX prefixes in 64-bit mode, and CF kept. */
	for (unsigned r = 0; r < 16; r++)
		for (unsigned k = 0; k < diff_ncases(4); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			unsigned size = wide_size();
			ins_init(&in, size);
			ins_op(&in, 1, (u8)(0x40 + (r & 8)), 0);
			in.opreg = (int)(r & 7);
			set_reg(&st, in.opreg, size, edge_val(size));
			run_ins(r < 8 ? "unary.inc40" : "unary.dec48", &in, &st, NULL);
		}
}

/* ---- TEST ---- */

static void test_test(void)
{
	if (!family_on("test"))
		return;
	struct diff_opts o = { .flags_undef = RF_AF }; /* AF undefined after TEST */
	for (unsigned form = 0; form < 6; form++)
		for (unsigned k = 0; k < diff_ncases(6); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			bool byte = form == 0 || form == 2 || form == 4;
			unsigned size = byte ? 1 : wide_size();
			u64 a = rval(size), b = rng_chance(&R, 1, 3) ? a : rval(size);
			ins_init(&in, size);
			if (form < 2) { /* 84/85 r/m, r */
				ins_op(&in, 1, (u8)(0x84 + form), 0);
				in.reg = pick_reg(size, 0);
				set_reg(&st, in.reg, size, b);
				set_rm(&in, &st, a, 0, 50, NULL);
			} else if (form < 4) { /* A8/A9 acc, imm */
				ins_op(&in, 1, (u8)(0xa8 + form - 2), 0);
				set_reg(&st, REG_RAX, size, a);
				in.immsz = iz(size);
				in.imm = b;
			} else { /* F6/F7 /0 imm */
				ins_op(&in, 1, byte ? 0xf6 : 0xf7, 0);
				in.reg = 0;
				set_rm(&in, &st, a, 0, 50, NULL);
				in.immsz = iz(size);
				in.imm = b;
			}
			run_ins("test", &in, &st, &o);
		}
}

/* ---- MUL IMUL DIV IDIV ---- */

static void test_mul(void)
{
	if (!family_on("mul"))
		return;
	/* MUL/IMUL: CF and OF defined; SF, ZF, AF, PF undefined. */
	struct diff_opts o = { .flags_undef = RF_SF | RF_ZF | RF_AF | RF_PF };
	const u32 acc = 1u << REG_RAX | 1u << REG_RDX;
	for (unsigned digit = 4; digit <= 5; digit++)
		for (unsigned k = 0; k < diff_ncases(20); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			unsigned size = rng_chance(&R, 1, 3) ? 1 : wide_size();
			ins_init(&in, size);
			ins_op(&in, 1, size == 1 ? 0xf6 : 0xf7, 0);
			in.reg = (int)digit;
			set_reg(&st, REG_RAX, size, rval(size));
			set_rm(&in, &st, rval(size), acc, 40, NULL);
			run_ins(digit == 4 ? "mul.mul" : "mul.imul1", &in, &st, &o);
		}
	/* IMUL r, r/m (0F AF); r, r/m, imm (69); r, r/m, imm8 (6B). */
	static const char *const names[3] = { "mul.imul2", "mul.imul3", "mul.imul3b" };
	for (unsigned form = 0; form < 3; form++)
		for (unsigned k = 0; k < diff_ncases(12); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			unsigned size = wide_size();
			ins_init(&in, size);
			if (form == 0)
				ins_op(&in, 2, 0x0f, 0xaf);
			else
				ins_op(&in, 1, form == 1 ? 0x69 : 0x6b, 0);
			in.reg = pick_reg(size, 0);
			set_reg(&st, in.reg, size, rval(size));
			set_rm(&in, &st, rval(size), 0, 40, NULL);
			if (form) {
				in.immsz = form == 1 ? size : 1;
				in.imm = edge_val(in.immsz);
			}
			run_ins(names[form], &in, &st, &o);
		}
}

/* Dividend hi:lo and divisor: valid divisions, division by zero, overflow. */
static void gen_div(unsigned size, bool sgn, u64 *hi, u64 *lo, u64 *d)
{
	u64 m = mask_of(size);
	unsigned mode = (unsigned)rng_below(&R, 8);
	*d = rval(size) & m;
	*lo = rval(size) & m;
	*hi = rval(size) & m;
	if (mode == 0) {
		*d = 0;
		return;
	}
	if (mode == 1) /* raw random: mostly overflow */
		return;
	if (*d == 0)
		*d = 1 + (rng_next(&R) & m) / 2;
	if (!sgn) {
		*hi = mode == 2 ? 0 : rng_next(&R) % *d;
		return;
	}
	/* dividend = q * d + r with q in range and |r| < |d| */
	i64 ds = (i64)sext(*d, size);
	i64 q = (i64)sext(rval(size) & m, size) >> (mode == 2 ? 0 : 1);
	u64 ad = (u64)(ds < 0 ? -ds : ds);
	i64 r = (i64)(rng_next(&R) % ad);
	__int128 n = (__int128)q * ds;
	n = n < 0 ? n - r : n + r;
	*lo = (u64)n & m;
	*hi = (u64)(n >> (size * 8)) & m;
}

static void test_div(void)
{
	if (!family_on("div"))
		return;
	struct diff_opts o = { .flags_undef = RF_ARITH }; /* all undefined */
	for (unsigned digit = 6; digit <= 7; digit++)
		for (unsigned k = 0; k < diff_ncases(36); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			unsigned size = rng_chance(&R, 1, 3) ? 1 : wide_size();
			ins_init(&in, size);
			ins_op(&in, 1, size == 1 ? 0xf6 : 0xf7, 0);
			in.reg = (int)digit;
			u64 hi, lo, d;
			gen_div(size, digit == 7, &hi, &lo, &d);
			set_rm(&in, &st, d, 1u << REG_RAX | 1u << REG_RDX, 40, NULL);
			if (size == 1) {
				set_reg(&st, REG_RAX, 2, hi << 8 | lo);
			} else {
				set_reg(&st, REG_RAX, size, lo);
				set_reg(&st, REG_RDX, size, hi);
			}
			run_ins(digit == 6 ? "div.div" : "div.idiv", &in, &st, &o);
		}
}

/* ---- shifts and rotates ---- */

static const char *const shift_names[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar" };

/*
 * Undefined flags for group 2 with masked count mc (SDM SAL/SAR/SHL/SHR,
 * RCL/RCR/ROL/ROR "Flags Affected"): none for mc == 0; rotates: OF unless
 * mc == 1; shifts: AF, OF unless mc == 1, and CF for SHL/SHR when mc is at
 * least the operand size.  RCL/RCR of 8/16-bit operands rotate through CF
 * modulo 9/17 (the count is masked to 5 bits first).
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
	static const unsigned edges[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 18, 31, 32, 33 };
	unsigned r = (unsigned)rng_below(&R, 10);
	if (r < 6)
		return (unsigned)rng_below(&R, 40);
	if (r < 9)
		return edges[rng_below(&R, ARRAY_SIZE(edges))];
	return (unsigned)rng_below(&R, 256);
}

static void test_shift(void)
{
	if (!family_on("shift"))
		return;
	static const u8 base_op[3] = { 0xd0, 0xd2, 0xc0 }; /* by 1, by CL, by imm8 */
	for (unsigned digit = 0; digit < 8; digit++)
		for (unsigned cf = 0; cf < 3; cf++)
			for (unsigned k = 0; k < diff_ncases(8); k++) {
				struct diff_state st;
				struct ins in;
				random_state(&st);
				unsigned size = rng_chance(&R, 1, 3) ? 1 : wide_size();
				ins_init(&in, size);
				ins_op(&in, 1, (u8)(base_op[cf] + (size == 1 ? 0 : 1)), 0);
				in.reg = (int)digit;
				unsigned count = 1;
				u32 avoid = 0;
				if (cf == 1) {
					count = pick_count();
					set_reg(&st, REG_RCX, 1, count);
					avoid = 1u << REG_RCX;
				}
				set_rm(&in, &st, rval(size), avoid, 40, NULL);
				if (cf == 2) {
					count = pick_count();
					in.immsz = 1;
					in.imm = count;
				}
				struct diff_opts o = { .flags_undef = shift_undef(digit, size, count & 31) };
				char fam[32];
				snprintf(fam, sizeof(fam), "shift.%s.%u", shift_names[digit], cf);
				run_ins(fam, &in, &st, &o);
			}
}

/*
 * SHLD/SHRD: count masked to 5 bits; 0 = no change; else AF undefined, OF
 * unless the count is 1; a count above the operand size (16-bit only)
 * leaves the destination and all flags undefined.
 */
static void test_shld(void)
{
	if (!family_on("shld"))
		return;
	static const u8 ops[4] = { 0xa4, 0xa5, 0xac, 0xad };
	for (unsigned f = 0; f < 4; f++)
		for (unsigned k = 0; k < diff_ncases(16); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			unsigned size = wide_size();
			ins_init(&in, size);
			ins_op(&in, 2, 0x0f, ops[f]);
			bool by_cl = ops[f] & 1;
			unsigned count = pick_count(), off;
			u32 avoid = 0;
			if (by_cl) {
				set_reg(&st, REG_RCX, 1, count);
				avoid = 1u << REG_RCX;
			}
			in.reg = pick_reg(size, avoid);
			set_reg(&st, in.reg, size, rval(size));
			set_rm(&in, &st, rval(size), avoid, 40, &off);
			if (!by_cl) {
				in.immsz = 1;
				in.imm = count;
			}
			unsigned mc = count & 31;
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
			run_ins(f < 2 ? "shld.shld" : "shld.shrd", &in, &st, &o);
		}
}

/* ---- BT BTS BTR BTC, BSF BSR POPCNT ---- */

/*
 * BT*: CF = the bit, ZF unchanged, OF SF AF PF undefined.  A register bit
 * offset with a memory operand reaches outside the operand (signed, in
 * operand-size units from the effective address).
 */
static void test_bt(void)
{
	if (!family_on("bt"))
		return;
	struct diff_opts o = { .flags_undef = RF_OF | RF_SF | RF_AF | RF_PF };
	static const u8 reg_ops[4] = { 0xa3, 0xab, 0xb3, 0xbb };
	static const char *const names[4] = { "bt.bt", "bt.bts", "bt.btr", "bt.btc" };
	for (unsigned f = 0; f < 4; f++)
		for (unsigned immf = 0; immf < 2; immf++)
			for (unsigned k = 0; k < diff_ncases(10); k++) {
				struct diff_state st;
				struct ins in;
				random_state(&st);
				unsigned size = wide_size();
				ins_init(&in, size);
				if (immf) {
					ins_op(&in, 2, 0x0f, 0xba);
					in.reg = (int)(4 + f);
					in.immsz = 1;
					in.imm = rng_below(&R, 256);
					set_rm(&in, &st, rval(size), 0, 40, NULL);
				} else {
					ins_op(&in, 2, 0x0f, reg_ops[f]);
					in.reg = pick_reg(size, 0);
					set_reg(&st, in.reg, size, rval(size));
					if (rng_chance(&R, 1, 2)) {
						/* memory: bit offsets within +-2 KiB of the operand */
						unsigned off = 0x7000 + ((unsigned)rng_below(&R, 0x1000) & ~(size - 1));
						i64 bo = (i64)rng_below(&R, 0x8000) - 0x4000;
						in.rm_mem = true;
						gen_mem(&in.m, 0, off, 1u << in.reg, &st, false);
						set_reg(&st, in.reg, size, (u64)bo);
					} else {
						in.rm = pick_reg(size, 0);
						set_reg(&st, in.rm, size, rval(size));
					}
				}
				if (in.rm_mem && f && rng_chance(&R, 1, 4))
					in.pfx[in.npfx++] = 0xf0;
				run_ins(names[f], &in, &st, &o);
			}
}

/* BSF/BSR: ZF defined, the rest undefined; a zero source leaves the
 * destination unchanged on current processors (compared).  POPCNT: all
 * defined. */
static void test_bitscan(void)
{
	if (!family_on("bitscan"))
		return;
	struct diff_opts o = { .flags_undef = RF_CF | RF_OF | RF_SF | RF_AF | RF_PF };
	static const char *const names[3] = { "bitscan.bsf", "bitscan.bsr", "bitscan.popcnt" };
	for (unsigned f = 0; f < 3; f++)
		for (unsigned k = 0; k < diff_ncases(14); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			unsigned size = wide_size();
			ins_init(&in, size);
			if (f == 2) {
				in.pfx[in.npfx++] = 0xf3;
				ins_op(&in, 2, 0x0f, 0xb8);
			} else {
				ins_op(&in, 2, 0x0f, (u8)(0xbc + f));
			}
			in.reg = pick_reg(size, 0);
			u64 v = rng_chance(&R, 1, 4) ? 0 : rval(size);
			set_rm(&in, &st, v, 0, 40, NULL);
			run_ins(names[f], &in, &st, f == 2 ? NULL : &o);
		}
}

/* ---- MOV forms, MOVZX/MOVSX, MOV from a segment register ---- */

static void mov_rm_cases(void)
{
	/* 88 89 8A 8B */
	for (unsigned form = 0; form < 4; form++)
		for (unsigned k = 0; k < diff_ncases(6); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			unsigned size = form & 1 ? wide_size() : 1;
			ins_init(&in, size);
			ins_op(&in, 1, (u8)(0x88 + form), 0);
			in.reg = pick_reg(size, 0);
			set_reg(&st, in.reg, size, rval(size));
			set_rm(&in, &st, rval(size), 0, 60, NULL);
			run_ins("mov.88", &in, &st, NULL);
		}
	/* C6 /0 ib, C7 /0 iw/id; B0+r ib, B8+r iw/id */
	for (unsigned k = 0; k < diff_ncases(24); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		unsigned size = rng_chance(&R, 1, 3) ? 1 : wide_size();
		ins_init(&in, size);
		in.immsz = iz(size);
		in.imm = edge_val(in.immsz);
		if (k & 1) {
			ins_op(&in, 1, size == 1 ? 0xc6 : 0xc7, 0);
			in.reg = 0;
			set_rm(&in, &st, rval(size), 0, 60, NULL);
			run_ins("mov.c6", &in, &st, NULL);
		} else {
			ins_op(&in, 1, size == 1 ? 0xb0 : 0xb8, 0);
			in.opreg = pick_reg(size, 0);
			run_ins("mov.b0", &in, &st, NULL);
		}
	}
}

/* A0-A3: the moffs is an offset of the address size, in DS (flat: only a
 * 32-bit one reaches the window) or an override. */
static void mov_moffs_cases(void)
{
	for (unsigned k = 0; k < diff_ncases(16); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		unsigned form = (unsigned)rng_below(&R, 4);
		unsigned size = form & 1 ? wide_size() : 1;
		ins_init(&in, size);
		ins_op(&in, 1, (u8)(0xa0 + form), 0);
		unsigned off = pick_off(16, 1);
		struct mem m = { .asize = rng_chance(&R, 1, 2) ? 2 : 4 };
		pick_seg(&m, SEG_DS);
		in.moffsz = m.asize;
		in.moffs = seg_offset(&m, off);
		in.seg_pfx = m.seg_pfx;
		run_ins("mov.moffs", &in, &st, NULL);
	}
}

static void mov_ext_cases(void)
{
	/* MOVZX/MOVSX 0F B6/B7/BE/BF: r16/32 <- r/m8 or r/m16 */
	static const u8 ext_ops[4] = { 0xb6, 0xb7, 0xbe, 0xbf };
	for (unsigned f = 0; f < 4; f++)
		for (unsigned k = 0; k < diff_ncases(8); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			unsigned size = wide_size(), ssize = (ext_ops[f] & 1) ? 2 : 1;
			ins_init(&in, size);
			ins_op(&in, 2, 0x0f, ext_ops[f]);
			in.reg = pick_reg(size, 0);
			in.osize = ssize; /* the r/m operand's size, for set_rm */
			set_rm(&in, &st, rval(ssize), 0, 50, NULL);
			in.osize = size;
			run_ins(f < 2 ? "mov.movzx" : "mov.movsx", &in, &st, NULL);
		}
	/* 8C MOV r/m, Sreg: a register destination gets the selector
	 * zero-extended at 32 bits (SDM MOV: P6 family and later), memory
	 * always 16 bits. */
	for (unsigned k = 0; k < diff_ncases(12); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in, wide_size());
		ins_op(&in, 1, 0x8c, 0);
		static const int segs[4] = { SEG_ES, SEG_CS, SEG_SS, SEG_DS };
		in.reg = segs[rng_below(&R, 4)];
		unsigned size = in.osize;
		in.osize = 2;
		set_rm(&in, &st, rval(2), 0, 40, NULL);
		in.osize = size;
		run_ins("mov.8c", &in, &st, NULL);
	}
}

static void test_mov(void)
{
	if (!family_on("mov"))
		return;
	mov_rm_cases();
	mov_moffs_cases();
	mov_ext_cases();
}

/* ---- LEA: every addressing form, both address and operand sizes ---- */

static void lea_case(unsigned asize, unsigned mod, unsigned rm, unsigned k)
{
	struct diff_state st;
	struct ins in;
	random_state(&st);
	ins_init(&in, wide_size());
	ins_op(&in, 1, 0x8d, 0);
	in.reg = pick_reg(in.osize, 0);
	in.rm_mem = true;
	if (asize == 2) {
		/* [BX+SI], [BX+DI], [BP+SI], [BP+DI], [SI], [DI], [disp16]/[BP], [BX]
		 * with no, 8- and 16-bit displacements; registers near 64 KiB
		 * now and then so the sum wraps. */
		in.m = (struct mem){ .asize = 2, .mod = (u8)mod, .rm = (u8)rm };
		in.m.dispsz = (mod == 0 && rm == 6) ? 2 : mod == 1 ? 1 : mod == 2 ? 2 : 0;
		in.m.disp = rand_disp(in.m.dispsz);
		if (k & 1)
			for (int r = REG_RBX; r <= REG_RDI; r++)
				st.gpr[r] = (st.gpr[r] & ~0xffffull) | (0xff00 + rng_below(&R, 0x100));
	} else {
		gen_mem(&in.m, 4, 0, 0, &st, true);
	}
	char key[64];
	snprintf(key, sizeof(key), "lea o%u a%u %u/%u%s", in.osize * 8, asize * 8, mod, rm,
		 asize == 4 ? in.m.form : "");
	u8 code[24];
	int len = encode(&in, code);
	run_code("lea", key, code, (unsigned)len, 1, &st, NULL);
}

static void test_lea(void)
{
	if (!family_on("lea"))
		return;
	for (unsigned mod = 0; mod < 3; mod++)
		for (unsigned rm = 0; rm < 8; rm++)
			for (unsigned k = 0; k < diff_ncases(4); k++)
				lea_case(2, mod, rm, k);
	for (unsigned k = 0; k < diff_ncases(96); k++)
		lea_case(4, 0, 0, k);
	/* A register operand: #UD. */
	struct diff_state st;
	random_state(&st);
	static const u8 bad[2] = { 0x8d, 0xc1 };
	run_bytes("lea.reg-invalid", bad, 2, &st, NULL);
}

/* ---- XCHG XADD CMPXCHG CMPXCHG8B ---- */

static void xchg_rm_cases(const char *fam, bool map0f, u8 op8)
{
	for (unsigned k = 0; k < diff_ncases(12); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		unsigned size = rng_chance(&R, 1, 3) ? 1 : wide_size();
		u8 op = size == 1 ? op8 : (u8)(op8 + 1);
		ins_init(&in, size);
		if (map0f)
			ins_op(&in, 2, 0x0f, op);
		else
			ins_op(&in, 1, op, 0);
		in.reg = pick_reg(size, 0);
		set_reg(&st, in.reg, size, rval(size));
		set_rm(&in, &st, rval(size), 0, 50, NULL);
		if (in.rm_mem && rng_chance(&R, 1, 4))
			in.pfx[in.npfx++] = 0xf0;
		run_ins(fam, &in, &st, NULL);
	}
}

static void test_xchg(void)
{
	if (!family_on("xchg"))
		return;
	xchg_rm_cases("xchg.86", false, 0x86);
	xchg_rm_cases("xchg.xadd", true, 0xc0);
	/* 90+r: XCHG eAX, r (90 itself is NOP) */
	for (unsigned k = 0; k < diff_ncases(12); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in, wide_size());
		ins_op(&in, 1, 0x90, 0);
		in.opreg = pick_reg(in.osize, 0);
		run_ins("xchg.90", &in, &st, NULL);
	}
	/* CMPXCHG 0F B0/B1: equal or not */
	for (unsigned k = 0; k < diff_ncases(16); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		unsigned size = rng_chance(&R, 1, 3) ? 1 : wide_size();
		ins_init(&in, size);
		ins_op(&in, 2, 0x0f, size == 1 ? 0xb0 : 0xb1);
		in.reg = pick_reg(size, 0);
		set_reg(&st, in.reg, size, rval(size));
		u64 dv = rval(size);
		set_rm(&in, &st, dv, 1u << REG_RAX, 50, NULL);
		if (rng_chance(&R, 1, 2))
			set_reg(&st, REG_RAX, size, dv);
		if (!in.rm_mem && rng_chance(&R, 1, 2))
			set_reg(&st, REG_RAX, size, st.gpr[full_reg(in.rm, size)] >>
							    (size == 1 && in.rm >= 4 ? 8 : 0));
		if (in.rm_mem && rng_chance(&R, 1, 4))
			in.pfx[in.npfx++] = 0xf0;
		run_ins("xchg.cmpxchg", &in, &st, NULL);
	}
	/* CMPXCHG8B m64: only ZF changes */
	for (unsigned k = 0; k < diff_ncases(12); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in, wide_size());
		ins_op(&in, 2, 0x0f, 0xc7);
		in.reg = 1;
		in.rm_mem = true;
		unsigned off = pick_off(16, 8);
		u64 v = rng_next(&R);
		put_mem(off, 8, v);
		gen_mem(&in.m, 0, off, 0xf, &st, false);
		if (rng_chance(&R, 1, 2)) {
			set_reg(&st, REG_RAX, 4, v);
			set_reg(&st, REG_RDX, 4, v >> 32);
		}
		if (rng_chance(&R, 1, 4))
			in.pfx[in.npfx++] = 0xf0;
		run_ins("xchg.cmpxchg8b", &in, &st, NULL);
	}
}

/* ---- CMOVcc SETcc Jcc JCXZ LOOP ---- */

/* Now and then SF == OF: the signed conditions' other outcome. */
static void cond_flags(struct diff_state *st)
{
	if (rng_chance(&R, 1, 3)) /* SF == OF or ZF alone: the signed compares' edges */
		st->rflags = (st->rflags & ~(RF_SF | RF_OF)) |
			     (rng_chance(&R, 1, 2) ? RF_SF | RF_OF : 0);
}

static void test_cmov_setcc(void)
{
	for (unsigned cc = 0; cc < 16; cc++)
		for (unsigned k = 0; k < diff_ncases(4); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			cond_flags(&st);
			ins_init(&in, wide_size());
			ins_op(&in, 2, 0x0f, (u8)(0x40 + cc));
			in.reg = pick_reg(in.osize, 0);
			set_rm(&in, &st, rval(in.osize), 0, 40, NULL);
			run_ins("cond.cmov", &in, &st, NULL);
		}
	for (unsigned cc = 0; cc < 16; cc++)
		for (unsigned k = 0; k < diff_ncases(3); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			cond_flags(&st);
			ins_init(&in, 1);
			ins_op(&in, 2, 0x0f, (u8)(0x90 + cc));
			in.reg = rng_chance(&R, 3, 4) ? 0 : (int)rng_below(&R, 8); /* ignored */
			set_rm(&in, &st, rval(1), 0, 40, NULL);
			run_ins("cond.setcc", &in, &st, NULL);
		}
}

/*
 * A branch to the end of the code over MOV EAX/AX, imm (which shows
 * whether it was taken): `n` bytes of branch, then the MOV.  The
 * interpreter runs the branch, then steps to the end.
 */
static void run_branch(const char *fam, u8 *code, unsigned n, unsigned rel_at, unsigned rel_size,
		       unsigned osize, const struct diff_state *st)
{
	unsigned mov = g_code == 4 ? 5 : 3; /* B8 imm of the code size */
	i32 rel = (i32)mov;
	memcpy(code + rel_at, &rel, rel_size);
	code[n] = 0xb8;
	u32 imm = (u32)rng_next(&R);
	memcpy(code + n + 1, &imm, mov - 1);
	char key[64];
	snprintf(key, sizeof(key), "%s o%u rel%u", fam, osize * 8, rel_size * 8);
	run_code(fam, key, code, n + mov, 1, st, NULL);
}

static void test_jcc(void)
{
	for (unsigned cc = 0; cc < 16; cc++)
		for (unsigned k = 0; k < diff_ncases(6); k++) {
			struct diff_state st;
			random_state(&st);
			cond_flags(&st);
			u8 code[16];
			unsigned n = 0;
			/* 70+cc rel8, or 0F 80+cc rel16/32.  A 66 on the long
			 * form in 32-bit code would cut EIP to 16 bits: only
			 * 16-bit code gets it (rel32 there). */
			bool longf = k & 1, p66 = longf && g_code == 2 && rng_chance(&R, 1, 2);
			unsigned osize = p66 ? 4 : g_code, rel_size = longf ? osize : 1;
			if (p66)
				code[n++] = 0x66;
			if (longf) {
				code[n++] = 0x0f;
				code[n++] = (u8)(0x80 + cc);
			} else {
				code[n++] = (u8)(0x70 + cc);
			}
			unsigned at = n;
			n += rel_size;
			run_branch("cond.jcc", code, n, at, rel_size, osize, &st);
		}
	/* E3 JCXZ/JECXZ, E2 LOOP, E1 LOOPE, E0 LOOPNE: the address size picks
	 * CX or ECX. */
	static const char *const names[4] = { "cond.loopne", "cond.loope", "cond.loop", "cond.jcxz" };
	for (unsigned op = 0; op < 4; op++)
		for (unsigned k = 0; k < diff_ncases(10); k++) {
			struct diff_state st;
			random_state(&st);
			u8 code[16];
			unsigned n = 0, asize = rng_chance(&R, 1, 2) ? 2 : 4;
			if (asize != g_code)
				code[n++] = 0x67;
			code[n++] = (u8)(0xe0 + op);
			static const u64 counts[] = { 0, 1, 2, 0x10000, 0x10001, 0xffff, 0xffffffff };
			if (rng_chance(&R, 2, 3))
				st.gpr[REG_RCX] = (st.gpr[REG_RCX] & ~0xffffffffull) |
						  counts[rng_below(&R, ARRAY_SIZE(counts))];
			cond_flags(&st);
			char fam[40];
			snprintf(fam, sizeof(fam), "%s a%u", names[op], asize * 8);
			run_branch(fam, code, n + 1, n, 1, g_code, &st);
		}
}

/* JMP rel8/rel16/32 over the MOV; JMP and CALL r/m (FF /4, FF /2) to the
 * end, from a register or memory.  A 16-bit operand size in 32-bit code
 * would cut EIP to 16 bits: only 16-bit code gets 66. */
static void test_near(void)
{
	for (unsigned k = 0; k < diff_ncases(8); k++) {
		struct diff_state st;
		random_state(&st);
		u8 code[16];
		unsigned n = 0;
		bool p66 = g_code == 2 && rng_chance(&R, 1, 2), longf = k & 1;
		unsigned osize = p66 ? 4 : g_code, rel_size = longf ? osize : 1;
		if (p66)
			code[n++] = 0x66;
		code[n++] = longf ? 0xe9 : 0xeb;
		unsigned at = n;
		n += rel_size;
		run_branch("cond.jmp", code, n, at, rel_size, osize, &st);
	}
	for (unsigned k = 0; k < diff_ncases(16); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		stack_edge(&st);
		bool call = k & 1;
		ins_init(&in, g_code == 2 && rng_chance(&R, 1, 2) ? 4 : g_code);
		ins_op(&in, 1, 0xff, 0);
		in.reg = call ? 2 : 4;
		unsigned off;
		set_rm(&in, &st, 0, 1u << REG_RSP, 50, &off);
		u8 code[24];
		int n = encode(&in, code);
		u32 end = (g_code == 4 ? (u32)DIFF_CODE_ADDR : 0) + (u32)n; /* the target */
		if (in.rm_mem)
			put_mem(off, in.osize, end);
		else
			set_reg(&st, in.rm, in.osize, end);
		run_ins(call ? "cond.call-rm" : "cond.jmp-rm", &in, &st, NULL);
	}
}

static void test_cond(void)
{
	if (!family_on("cond"))
		return;
	test_cmov_setcc();
	test_jcc();
	test_near();
}

/* ---- CBW/CWDE, CWD/CDQ, LAHF/SAHF, BSWAP, flag ops, XLAT ---- */

static void test_misc(void)
{
	if (!family_on("misc"))
		return;
	for (unsigned op = 0x98; op <= 0x99; op++)
		for (unsigned k = 0; k < diff_ncases(8); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			ins_init(&in, wide_size());
			ins_op(&in, 1, (u8)op, 0);
			set_reg(&st, REG_RAX, 4, rval(in.osize));
			run_ins(op == 0x98 ? "misc.cbw" : "misc.cwd", &in, &st, NULL);
		}
	for (unsigned k = 0; k < diff_ncases(8); k++) {
		struct diff_state st;
		random_state(&st);
		u8 code[2] = { (u8)(k & 1 ? 0x9e : 0x9f) };
		run_bytes(k & 1 ? "misc.sahf" : "misc.lahf", code, 1, &st, NULL);
	}
	/* BSWAP r32 (BSWAP of a 16-bit register is undefined: not tested) */
	for (unsigned k = 0; k < diff_ncases(8); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in, 4);
		ins_op(&in, 2, 0x0f, 0xc8);
		in.opreg = pick_reg(4, 0);
		run_ins("misc.bswap", &in, &st, NULL);
	}
	/* CMC F5, CLC F8, STC F9, CLD FC, STD FD */
	static const u8 fl[] = { 0xf5, 0xf8, 0xf9, 0xfc, 0xfd };
	for (unsigned f = 0; f < ARRAY_SIZE(fl); f++) {
		struct diff_state st;
		random_state(&st);
		run_bytes("misc.flagop", &fl[f], 1, &st, NULL);
	}
	/* XLAT D7: AL = seg:[(E)BX + AL], the address size picks BX or EBX */
	for (unsigned k = 0; k < diff_ncases(12); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		ins_init(&in, 1);
		in.p66 = false;
		ins_op(&in, 1, 0xd7, 0);
		unsigned off = pick_off(256, 1);
		for (unsigned b = 0; b < 256; b += 8)
			put_mem(off + b, 8, rng_next(&R));
		struct mem m = { .asize = rng_chance(&R, 1, 2) ? 2 : 4 };
		pick_seg(&m, SEG_DS);
		in.asize = m.asize;
		in.seg_pfx = m.seg_pfx;
		u64 bx = seg_offset(&m, off);
		st.gpr[REG_RBX] = m.asize == 2 ? (st.gpr[REG_RBX] & ~0xffffull) | (bx & 0xffff) : bx;
		run_ins("misc.xlat", &in, &st, NULL);
	}
}

/* ---- AAA AAS DAA DAS AAM AAD (not in 64-bit mode) ---- */

/*
 * SDM "Flags Affected": AAA/AAS define AF and CF, OF SF ZF PF undefined;
 * DAA/DAS define CF AF SF ZF PF, OF undefined; AAM/AAD define SF ZF PF,
 * OF AF CF undefined.  AAM with an immediate of 0 raises #DE.
 */
/*
 * Where the adjustment of AAA/AAS carries out of AL, the manuals differ:
 * Intel's SDM (AAA, AAS) adds 106H to AX or subtracts 6 from AX, so the
 * carry or borrow reaches AH; AMD's APM (Vol. 3, AAA, AAS) adds 6 to AL
 * and 1 to AH, or subtracts 6 from AL and 1 from AH.  The interpreter
 * models Intel; on other hosts AL stays clear of those values.
 */
static void bcd_vendor_guard(u8 op, struct diff_state *st)
{
	u8 al = (u8)st->gpr[REG_RAX];
	if (diff_host_is_intel())
		return;
	if (op == 0x37 && al >= 0xfa)
		set_reg(st, REG_RAX, 1, al - 0x10);
	if (op == 0x3f && al < 6)
		set_reg(st, REG_RAX, 1, al + 0x10);
}

static void test_bcd(void)
{
	if (!family_on("bcd"))
		return;
	static const struct { const char *name; u8 op; u64 undef; } ops[] = {
		{ "bcd.daa", 0x27, RF_OF }, { "bcd.das", 0x2f, RF_OF },
		{ "bcd.aaa", 0x37, RF_OF | RF_SF | RF_ZF | RF_PF },
		{ "bcd.aas", 0x3f, RF_OF | RF_SF | RF_ZF | RF_PF },
	};
	for (unsigned f = 0; f < ARRAY_SIZE(ops); f++)
		for (unsigned k = 0; k < diff_ncases(30); k++) {
			struct diff_state st;
			random_state(&st);
			set_reg(&st, REG_RAX, 2, rng_chance(&R, 1, 2) ? rng_next(&R) : edge_val(2));
			if (rng_chance(&R, 1, 3)) /* valid BCD digits in AL */
				set_reg(&st, REG_RAX, 1, rng_below(&R, 10) << 4 | rng_below(&R, 10));
			bcd_vendor_guard(ops[f].op, &st);
			struct diff_opts o = { .flags_undef = ops[f].undef };
			run_bytes(ops[f].name, &ops[f].op, 1, &st, &o);
		}
	for (unsigned f = 0; f < 2; f++)
		for (unsigned k = 0; k < diff_ncases(24); k++) {
			struct diff_state st;
			random_state(&st);
			set_reg(&st, REG_RAX, 2, rng_next(&R));
			static const u8 bases[] = { 10, 10, 10, 16, 0, 1, 2, 7, 0xff };
			u8 code[2] = { (u8)(0xd4 + f), rng_chance(&R, 1, 2) ? bases[rng_below(&R, 9)]
									   : (u8)rng_next(&R) };
			struct diff_opts o = { .flags_undef = RF_OF | RF_AF | RF_CF };
			run_bytes(f ? "bcd.aad" : "bcd.aam", code, 2, &st, &o);
		}
}

/* ---- the stack: PUSH POP PUSHA POPA PUSHF POPF, segment registers, CALL RET LEAVE ---- */

/* What POPF may pop: anything but TF (a trap after it, in the harness)
 * and AC (alignment checks in the harness's 64-bit code). */
static u64 popf_value(void)
{
	return rng_next(&R) & ~(RF_TF | RF_AC);
}

static void push_pop_reg_cases(void)
{
	for (unsigned k = 0; k < diff_ncases(32); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		stack_edge(&st);
		ins_init(&in, wide_size());
		bool pop = k & 1;
		ins_op(&in, 1, pop ? 0x58 : 0x50, 0);
		in.opreg = (int)rng_below(&R, 8); /* ESP too: PUSH ESP pushes the old value */
		run_ins(pop ? "stack.pop" : "stack.push", &in, &st, NULL);
	}
	/* 68 iz, 6A ib (sign-extended to the operand size) */
	for (unsigned k = 0; k < diff_ncases(12); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		stack_edge(&st);
		ins_init(&in, wide_size());
		ins_op(&in, 1, k & 1 ? 0x6a : 0x68, 0);
		in.immsz = k & 1 ? 1 : in.osize;
		in.imm = edge_val(in.immsz);
		run_ins("stack.push-imm", &in, &st, NULL);
	}
}

/* FF /6 PUSH r/m, 8F /0 POP r/m (never ESP-relative here: see pop_esp_cases). */
static void push_pop_rm_cases(void)
{
	for (unsigned k = 0; k < diff_ncases(24); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		stack_edge(&st);
		ins_init(&in, wide_size());
		bool pop = k & 1;
		ins_op(&in, 1, pop ? 0x8f : 0xff, 0);
		in.reg = pop ? 0 : 6;
		set_rm(&in, &st, rval(in.osize), 1u << REG_RSP, 50, NULL);
		run_ins(pop ? "stack.pop-rm" : "stack.push-rm", &in, &st, NULL);
	}
}

/* POP [ESP + disp8]: the address is computed with ESP after the pop (SDM
 * POP). A 32-bit stack, so that ESP is the whole offset. */
static void pop_esp_cases(void)
{
	for (unsigned k = 0; k < diff_ncases(6); k++) {
		struct diff_state st;
		random_state(&st);
		g_mode.stack16 = false;
		st.gpr[REG_RSP] = stack_ptr(false);
		u8 code[8];
		unsigned n = 0;
		bool p66 = rng_chance(&R, 1, 2);
		if (p66)
			code[n++] = 0x66;
		if (g_code == 2)
			code[n++] = 0x67; /* [ESP+disp8] needs 32-bit addressing */
		code[n++] = 0x8f;
		code[n++] = 0x44;
		code[n++] = 0x24;
		code[n++] = (u8)(rng_below(&R, 32) * 2 - 16);
		run_bytes("stack.pop-esp", code, n, &st, NULL);
	}
}

static void pusha_pushf_cases(void)
{
	/* 60 PUSHA, 61 POPA (ESP's slot is skipped), 9C PUSHF, 9D POPF */
	static const struct { const char *name; u8 op; } ops[] = {
		{ "stack.pusha", 0x60 }, { "stack.popa", 0x61 },
		{ "stack.pushf", 0x9c }, { "stack.popf", 0x9d },
	};
	for (unsigned f = 0; f < ARRAY_SIZE(ops); f++)
		for (unsigned k = 0; k < diff_ncases(12); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			stack_edge(&st);
			ins_init(&in, wide_size());
			ins_op(&in, 1, ops[f].op, 0);
			if (ops[f].op == 0x9d)
				put_mem(stack_top(&st), in.osize, popf_value());
			run_ins(ops[f].name, &in, &st, NULL);
		}
}

/*
 * PUSH ES/CS/SS/DS/FS/GS and POP ES/SS/DS of the selector they hold (or a
 * null DS).  A 32-bit push of a segment register writes 16 bits or a
 * zero-extended 32 (SDM PUSH: recent Intel processors write 16, leaving
 * the upper half): the upper half is not compared.
 */
static void push_pop_sreg_cases(void)
{
	static const struct { u8 op[2]; u8 n; int seg; bool pop; } ops[] = {
		{ { 0x06 }, 1, SEG_ES, false }, { { 0x0e }, 1, SEG_CS, false },
		{ { 0x16 }, 1, SEG_SS, false }, { { 0x1e }, 1, SEG_DS, false },
		{ { 0x0f, 0xa0 }, 2, SEG_FS, false }, { { 0x0f, 0xa8 }, 2, SEG_GS, false },
		{ { 0x07 }, 1, SEG_ES, true }, { { 0x17 }, 1, SEG_SS, true },
		{ { 0x1f }, 1, SEG_DS, true },
	};
	for (unsigned f = 0; f < ARRAY_SIZE(ops); f++)
		for (unsigned k = 0; k < diff_ncases(4); k++) {
			struct diff_state st;
			struct ins in;
			random_state(&st);
			stack_edge(&st);
			ins_init(&in, wide_size());
			ins_op(&in, ops[f].n, ops[f].op[0], ops[f].op[1]);
			unsigned top = stack_top(&st);
			struct diff_opts o = { 0 };
			if (ops[f].pop) {
				u16 sel = diff_compat_selector(&g_mode, ops[f].seg);
				if (ops[f].seg == SEG_DS && rng_chance(&R, 1, 3))
					sel = 0;
				put_mem(top, in.osize, sel | (rng_next(&R) << 16));
			} else if (in.osize == 4) {
				unsigned at = g_mode.stack16 ? (u16)(top - 4) : top - 4;
				o.data_undef_off = at + 2;
				o.data_undef_len = 2;
			}
			run_ins(ops[f].pop ? "stack.pop-sreg" : "stack.push-sreg", &in, &st, &o);
		}
}

/* CALL rel (to the next instruction), RET and RET imm16 (to the end of the
 * code), LEAVE. */
static void call_ret_cases(void)
{
	for (unsigned k = 0; k < diff_ncases(24); k++) {
		struct diff_state st;
		random_state(&st);
		stack_edge(&st);
		u8 code[8];
		unsigned n = 0, kind = k % 4;
		/* 66 on a near branch in 32-bit code would cut EIP to 16 bits. */
		bool p66 = g_code == 2 && rng_chance(&R, 1, 2);
		unsigned osize = p66 ? 4 : g_code;
		if (p66)
			code[n++] = 0x66;
		static const char *const names[4] = { "stack.call", "stack.ret", "stack.ret-imm",
						      "stack.leave" };
		if (kind == 0) {
			code[n++] = 0xe8;
			memset(code + n, 0, osize); /* rel 0 */
			n += osize;
		} else if (kind < 3) {
			code[n++] = kind == 1 ? 0xc3 : 0xc2;
			if (kind == 2) {
				u16 imm = (u16)(rng_below(&R, 64) * 2);
				memcpy(code + n, &imm, 2);
				n += 2;
			}
			u32 end = (g_code == 4 ? (u32)DIFF_CODE_ADDR : 0) + n;
			put_mem(stack_top(&st), osize, end);
		} else {
			code[n++] = 0xc9;
			u64 bp = stack_ptr(false);
			st.gpr[REG_RBP] = g_mode.stack16 ? (st.gpr[REG_RBP] & ~0xffffull) | bp : bp;
		}
		char key[48];
		snprintf(key, sizeof(key), "%s o%u", names[kind], osize * 8);
		run_code(names[kind], key, code, n, 1, &st, NULL);
	}
}

static void test_stack(void)
{
	if (!family_on("stack"))
		return;
	push_pop_reg_cases();
	push_pop_rm_cases();
	pop_esp_cases();
	pusha_pushf_cases();
	push_pop_sreg_cases();
	call_ret_cases();
}

/* ---- string instructions: REP, 16- and 32-bit addressing, DF ---- */

static const struct {
	const char *name;
	u8 op;
	bool cmp, src, dst;
} string_ops[] = {
	{ "string.movs", 0xa4, false, true, true }, { "string.cmps", 0xa6, true, true, true },
	{ "string.stos", 0xaa, false, false, true }, { "string.lods", 0xac, false, true, false },
	{ "string.scas", 0xae, true, false, true },
};

/* Random bytes around both strings; CMPS mostly equal, SCAS runs of the
 * accumulator. */
static void string_data(unsigned f, unsigned size, unsigned so, unsigned dof, u64 acc)
{
	for (unsigned b = 0; b < 0x100; b += 8) {
		put_mem(so - 0x80 + b, 8, rng_next(&R));
		put_mem(dof - 0x80 + b, 8, rng_next(&R));
	}
	if (string_ops[f].op == 0xa6) {
		memmove(data + dof - 0x80, data + so - 0x80, 0x100);
		if (rng_chance(&R, 2, 3))
			data[dof - 0x80 + rng_below(&R, 0x100)] ^= (u8)(1 + rng_below(&R, 255));
	}
	if (string_ops[f].op == 0xae) {
		for (unsigned b = 0; b < 0x100; b += size)
			put_mem(dof - 0x80 + b, size, acc);
		for (unsigned d = (unsigned)rng_below(&R, 4); d > 0; d--)
			data[dof - 0x80 + rng_below(&R, 0x100)] ^= (u8)(1 + rng_below(&R, 255));
	}
}

static void string_case(unsigned f, unsigned k)
{
	struct diff_state st;
	struct ins in;
	random_state(&st);
	unsigned size = rng_chance(&R, 1, 3) ? 1 : wide_size();
	ins_init(&in, size);
	ins_op(&in, 1, (u8)(string_ops[f].op + (size == 1 ? 0 : 1)), 0);
	unsigned rep = (unsigned)rng_below(&R, string_ops[f].cmp ? 3 : 2);
	if (rep)
		in.pfx[in.npfx++] = rep == 1 ? 0xf3 : 0xf2;
	/* The source's segment: DS (flat) reaches the window only with
	 * 32-bit addressing; ES and SS overrides both ways. */
	struct mem src = { .asize = k & 1 ? 2 : 4 };
	pick_seg(&src, SEG_DS);
	in.asize = src.asize;
	if (string_ops[f].src)
		in.seg_pfx = src.seg_pfx;
	st.rflags = (st.rflags & ~RF_DF) | (rng_chance(&R, 1, 2) ? RF_DF : 0);
	unsigned so = pick_off(0x200, 1) + 0x100, dof = pick_off(0x200, 1) + 0x100;
	if (rng_chance(&R, 1, 8)) /* overlapping */
		dof = so + (unsigned)rng_below(&R, 16) - 8;
	string_data(f, size, so, dof, st.gpr[REG_RAX]);
	u32 si = seg_offset(&src, so);
	if (src.asize == 2 && src.seg == SEG_SS && rng_chance(&R, 1, 4)) {
		/* SI wraps at 64 KiB: the string straddles the window's end */
		si = (u32)(0x10000 - 8 * size + rng_below(&R, 4) * size);
		string_data(f, size, 0x8000, dof, st.gpr[REG_RAX]);
	}
	struct mem dst = { .asize = src.asize, .seg = SEG_ES };
	u32 di = seg_offset(&dst, dof);
	u64 count = rng_below(&R, 10);
	if (src.asize == 2) {
		st.gpr[REG_RSI] = (st.gpr[REG_RSI] & ~0xffffull) | (si & 0xffff);
		st.gpr[REG_RDI] = (st.gpr[REG_RDI] & ~0xffffull) | (di & 0xffff);
		count |= rng_next(&R) & ~0xffffull; /* CX only */
	} else {
		st.gpr[REG_RSI] = si;
		st.gpr[REG_RDI] = di;
	}
	if (!string_ops[f].src && rng_chance(&R, 1, 2))
		st.gpr[REG_RSI] = rng_next(&R);
	if (!string_ops[f].dst && rng_chance(&R, 1, 2))
		st.gpr[REG_RDI] = rng_next(&R);
	if (rep || rng_chance(&R, 1, 2))
		st.gpr[REG_RCX] = count;
	run_ins(string_ops[f].name, &in, &st, NULL);
}

static void test_string(void)
{
	if (!family_on("string"))
		return;
	for (unsigned f = 0; f < ARRAY_SIZE(string_ops); f++)
		for (unsigned k = 0; k < diff_ncases(36); k++)
			string_case(f, k);
}

/* ---- lazy flags: producers and consumers in one block ----
 *
 * A flag producer (with an optional MOV after it) feeds one to three
 * consumers that run in the same call of the interpreter: SETcc, CMOVcc,
 * ADC/SBB, RCL/RCR, CMC, LAHF, INC/DEC, and last, sometimes, a Jcc to the
 * end.  Consumers never read a flag the SDM leaves undefined at that
 * point; the final comparison masks the flags still undefined.  Only the
 * producer may use memory.
 */

struct fx {
	u64 w, u, r; /* flags written, left undefined, read */
};

static u64 cc_reads(unsigned cc)
{
	static const u64 reads[8] = { RF_OF, RF_CF, RF_ZF, RF_CF | RF_ZF, RF_SF, RF_PF,
				      RF_SF | RF_OF, RF_ZF | RF_SF | RF_OF };
	return reads[cc >> 1];
}

static struct fx gen_producer(struct ins *in, struct diff_state *st)
{
	unsigned size = rng_chance(&R, 1, 3) ? 1 : wide_size();
	bool byte = size == 1;
	struct fx f = { RF_ARITH, 0, 0 };
	ins_init(in, size);
	switch (rng_below(&R, 9)) {
	case 0: { /* ALU r/m, r */
		unsigned op = (unsigned)rng_below(&R, 8);
		ins_op(in, 1, (u8)(op * 8 + !byte), 0);
		in->reg = pick_reg(size, 0);
		set_reg(st, in->reg, size, rval(size));
		set_rm(in, st, rval(size), 0, 40, NULL);
		f.u = alu_undef(op);
		f.r = (op == 2 || op == 3) ? RF_CF : 0;
		break;
	}
	case 1: /* INC/DEC r (40/48): CF kept */
		if (byte)
			ins_init(in, size = 4);
		ins_op(in, 1, rng_chance(&R, 1, 2) ? 0x40 : 0x48, 0);
		in->opreg = pick_reg(size, 0);
		set_reg(st, in->opreg, size, edge_val(size));
		f.w = RF_ARITH & ~RF_CF;
		break;
	case 2: /* NEG */
		ins_op(in, 1, byte ? 0xf6 : 0xf7, 0);
		in->reg = 3;
		set_rm(in, st, rval(size), 0, 40, NULL);
		break;
	case 3: /* SHL/SHR/SAR by 1 */
		ins_op(in, 1, byte ? 0xd0 : 0xd1, 0);
		in->reg = (int)(u8[]){ 4, 5, 7 }[rng_below(&R, 3)];
		set_rm(in, st, rval(size), 0, 40, NULL);
		f.u = RF_AF;
		break;
	case 4: /* IMUL r, r/m */
		if (byte)
			ins_init(in, size = 2);
		ins_op(in, 2, 0x0f, 0xaf);
		in->reg = pick_reg(size, 0);
		set_rm(in, st, rval(size), 0, 40, NULL);
		f.u = RF_SF | RF_ZF | RF_AF | RF_PF;
		break;
	case 5: /* DAA/DAS: OF undefined */
		ins_init(in, 1);
		in->p66 = false;
		ins_op(in, 1, rng_chance(&R, 1, 2) ? 0x27 : 0x2f, 0);
		f.u = RF_OF;
		f.r = RF_CF | RF_AF;
		break;
	case 6: /* AAA/AAS */
		ins_init(in, 1);
		in->p66 = false;
		ins_op(in, 1, rng_chance(&R, 1, 2) ? 0x37 : 0x3f, 0);
		f.u = RF_OF | RF_SF | RF_ZF | RF_PF;
		f.r = RF_AF;
		break;
	case 7: /* SAHF */
		ins_init(in, 1);
		in->p66 = false;
		ins_op(in, 1, 0x9e, 0);
		f.w = RF_SF | RF_ZF | RF_AF | RF_PF | RF_CF;
		break;
	default: /* CMP r/m, imm8 */
		ins_op(in, 1, byte ? 0x80 : 0x83, 0);
		in->reg = 7;
		set_rm(in, st, rval(size), 0, 40, NULL);
		in->immsz = 1;
		in->imm = edge_val(1);
		break;
	}
	return f;
}

/* A register-only consumer that reads nothing in `undef`. */
static struct fx gen_consumer(struct ins *in, u64 undef)
{
	for (;;) {
		unsigned size = rng_chance(&R, 1, 3) ? 1 : wide_size();
		bool byte = size == 1;
		unsigned cc = (unsigned)rng_below(&R, 16);
		struct fx f = { 0, 0, 0 };
		ins_init(in, size);
		switch (rng_below(&R, 6)) {
		case 0: /* SETcc */
			ins_init(in, 1);
			ins_op(in, 2, 0x0f, (u8)(0x90 + cc));
			in->reg = 0;
			in->rm = pick_reg(1, 0);
			f.r = cc_reads(cc);
			break;
		case 1: /* CMOVcc */
			if (byte)
				ins_init(in, size = 4);
			ins_op(in, 2, 0x0f, (u8)(0x40 + cc));
			in->reg = pick_reg(size, 0);
			in->rm = pick_reg(size, 0);
			f.r = cc_reads(cc);
			break;
		case 2: /* ADC/SBB r, r */
			ins_op(in, 1, (u8)((rng_chance(&R, 1, 2) ? 0x10 : 0x18) + !byte), 0);
			in->reg = pick_reg(size, 0);
			in->rm = pick_reg(size, 0);
			f.w = RF_ARITH;
			f.r = RF_CF;
			break;
		case 3: /* RCL/RCR r, 1 */
			ins_op(in, 1, byte ? 0xd0 : 0xd1, 0);
			in->reg = 2 + (int)rng_below(&R, 2);
			in->rm = pick_reg(size, 0);
			f.w = RF_CF | RF_OF;
			f.r = RF_CF;
			break;
		case 4: /* LAHF */
			ins_init(in, 1);
			in->p66 = false;
			ins_op(in, 1, 0x9f, 0);
			f.r = RF_SF | RF_ZF | RF_AF | RF_PF | RF_CF;
			break;
		default: /* CMC */
			ins_init(in, 1);
			in->p66 = false;
			ins_op(in, 1, 0xf5, 0);
			f.w = f.r = RF_CF;
			break;
		}
		if (!(f.r & undef))
			return f;
	}
}

/* Append `in` to code; false if it does not fit. */
static bool append(u8 *code, unsigned *len, const struct ins *in)
{
	u8 buf[24];
	int n = encode(in, buf);
	if (*len + (unsigned)n > DIFF_MAX_INSN - 8)
		return false;
	memcpy(code + *len, buf, (size_t)n);
	*len += (unsigned)n;
	return true;
}

static void lazy_case(unsigned k)
{
	struct diff_state st;
	struct ins in;
	u8 code[DIFF_MAX_INSN];
	unsigned len = 0, n = 1;
	random_state(&st);
	struct fx f = gen_producer(&in, &st);
	append(code, &len, &in);
	u64 undef = f.u;
	unsigned nc = 1 + (unsigned)rng_below(&R, 3);
	for (unsigned c = 0; c < nc; c++) {
		f = gen_consumer(&in, undef);
		if (!append(code, &len, &in))
			break;
		n++;
		undef = (undef & ~f.w) | f.u;
	}
	unsigned cc = (unsigned)rng_below(&R, 16);
	struct diff_opts o = { .flags_undef = undef };
	char key[32];
	bool jcc = (k & 1) && !(cc_reads(cc) & undef);
	if (jcc) {
		/* Jcc over MOV EAX/AX, imm to the end */
		unsigned mov = g_code == 4 ? 5 : 3;
		code[len++] = (u8)(0x70 + cc);
		code[len++] = (u8)mov;
		code[len] = 0xb8;
		u32 imm = (u32)rng_next(&R);
		memcpy(code + len + 1, &imm, mov - 1);
		len += mov;
		snprintf(key, sizeof(key), "lazy+jcc");
	} else {
		snprintf(key, sizeof(key), "lazy");
	}
	char tag[48];
	snprintf(tag, sizeof(tag), "lazy#%lu", cur_tally()->cases);
	note_form(key);
	diff_check_compat(tag, &g_mode, code, len, n + jcc, &st, data, &o);
	note_case();
}

static void test_lazy(void)
{
	if (!family_on("lazy"))
		return;
	for (unsigned k = 0; k < diff_ncases(200); k++)
		lazy_case(k);
}

/* ---- ENTER, far transfers, and the instructions 64-bit mode lacks ---- */

/* ENTER imm16, level: level 0, 1 and more (copies frame pointers from
 * SS:[EBP - k * size], EBP/BP at the stack size). */
static void test_enter(void)
{
	if (!family_on("enter"))
		return;
	for (unsigned k = 0; k < diff_ncases(24); k++) {
		struct diff_state st;
		struct ins in;
		random_state(&st);
		stack_edge(&st);
		ins_init(&in, wide_size());
		ins_op(&in, 1, 0xc8, 0);
		unsigned level = k % 3 == 0 ? 0 : k % 3 == 1 ? 1 : 2 + (unsigned)rng_below(&R, 4);
		u16 alloc = (u16)(rng_chance(&R, 1, 4) ? 0 : rng_below(&R, 0x40) * 2);
		in.immsz = 3;
		in.imm = alloc | (u64)level << 16;
		u64 bp = stack_ptr(false);
		st.gpr[REG_RBP] = g_mode.stack16 ? (st.gpr[REG_RBP] & ~0xffffull) | bp : bp;
		char fam[32];
		snprintf(fam, sizeof(fam), "enter.%u", level > 2 ? 2 : level);
		run_ins(fam, &in, &st, NULL);
	}
}

/* The value IRET may pop as flags: TF and AC never (see popf_value), VM
 * never (no virtual-8086 mode in long mode). */
static u64 iret_flags(void)
{
	return popf_value() & ~(RF_VM | RF_RF);
}

/* The code segment's selector with random bits above it (a 32-bit slot). */
static u32 cs_slot(void)
{
	return diff_compat_selector(&g_mode, SEG_CS) | ((u32)rng_next(&R) << 16);
}

/*
 * Far JMP/CALL to the end of the code in the same code segment (direct,
 * and indirect through a memory pointer), RETF (imm16), IRET: the selector
 * is the running one, the offset the end.  In 32-bit code a 16-bit
 * operand size would cut the offset to 16 bits: only 16-bit code gets 66.
 */
static void far_case(unsigned kind)
{
	static const char *const names[6] = { "far.jmp", "far.call", "far.jmp-m", "far.call-m",
					      "far.retf", "far.iret" };
	struct diff_state st;
	struct ins in;
	random_state(&st);
	stack_edge(&st);
	bool p66 = g_code == 2 && rng_chance(&R, 1, 2);
	ins_init(&in, p66 ? 4 : g_code);
	unsigned osize = in.osize;
	struct diff_opts o = { 0 };
	u8 code[24];
	int n;
	u32 base = g_code == 4 ? (u32)DIFF_CODE_ADDR : 0;
	if (kind < 2) { /* EA / 9A ptr16:16/32 */
		ins_op(&in, 1, kind ? 0x9a : 0xea, 0);
		in.immsz = osize + 2;
		n = encode(&in, code);
		u64 ptr = (base + (u32)n) | (u64)diff_compat_selector(&g_mode, SEG_CS) << (osize * 8);
		memcpy(code + n - (int)in.immsz, &ptr, in.immsz);
	} else if (kind < 4) { /* FF /5, FF /3 m16:16/32 */
		ins_op(&in, 1, 0xff, 0);
		in.reg = kind == 2 ? 5 : 3;
		in.rm_mem = true;
		unsigned off = pick_off(16, 1);
		gen_mem(&in.m, 0, off, 1u << REG_RSP, &st, false);
		n = encode(&in, code);
		u64 ptr = (base + (u32)n) | (u64)diff_compat_selector(&g_mode, SEG_CS) << (osize * 8);
		put_mem(off, osize + 2, ptr);
	} else { /* CB/CA imm16 RETF, CF IRET */
		bool imm = kind == 4 && rng_chance(&R, 1, 2);
		ins_op(&in, 1, kind == 5 ? 0xcf : imm ? 0xca : 0xcb, 0);
		if (imm) {
			in.immsz = 2;
			in.imm = rng_below(&R, 32) * 2;
		}
		n = encode(&in, code);
		unsigned top = stack_top(&st);
		u64 frame[3] = { base + (u32)n, cs_slot(), iret_flags() };
		for (unsigned k = 0; k < 3; k++) /* the slots wrap with a 16-bit stack */
			put_mem(g_mode.stack16 ? (u16)(top + k * osize) : top + k * osize, osize, frame[k]);
	}
	if (kind == 1 || kind == 3) {
		/* CALL pushes CS in an operand-size slot: "padded with 16 high-order
		 * bits" (SDM CALL); what the padding holds is not compared. */
		unsigned top = stack_top(&st);
		unsigned at = g_mode.stack16 ? (u16)(top - osize) : top - osize;
		o.data_undef_off = at + 2;
		o.data_undef_len = osize == 4 ? 2 : 0;
	}
	char key[64];
	form_key(names[kind], &in, key, sizeof(key));
	run_code(names[kind], key, code, (unsigned)n, 1, &st, &o);
}

/* BOUND r, m16&16/m32&32: in bounds, or #BR. */
static void bound_case(void)
{
	struct diff_state st;
	struct ins in;
	random_state(&st);
	ins_init(&in, wide_size());
	ins_op(&in, 1, 0x62, 0);
	unsigned size = in.osize, off = pick_off(16, 1);
	u64 lo = rval(size), hi = rval(size), v = rval(size);
	if (rng_chance(&R, 1, 2)) { /* ordered bounds, the value between */
		i64 a = (i64)sext(lo, size), b = (i64)sext(hi, size);
		if (a > b) {
			u64 t = lo;
			lo = hi;
			hi = t;
		}
		v = rng_chance(&R, 1, 2) ? lo : hi;
	}
	put_mem(off, size, lo);
	put_mem(off + size, size, hi);
	in.reg = pick_reg(size, 0);
	set_reg(&st, in.reg, size, v);
	in.rm_mem = true;
	gen_mem(&in.m, 0, off, 1u << in.reg, &st, false);
	run_ins("legacy.bound", &in, &st, NULL);
}

/* ARPL r/m16, r16: raise the destination's RPL to the source's, ZF. */
static void arpl_case(void)
{
	struct diff_state st;
	struct ins in;
	random_state(&st);
	ins_init(&in, 2);
	in.p66 = rng_chance(&R, 1, 4); /* ignored */
	ins_op(&in, 1, 0x63, 0);
	in.reg = pick_reg(2, 0);
	set_reg(&st, in.reg, 2, rval(2));
	set_rm(&in, &st, rval(2), 0, 40, NULL);
	run_ins("legacy.arpl", &in, &st, NULL);
}

/* LES/LSS r, m16:16/32 with the selector the register holds (or a null
 * ES), LDS with the flat DS or null (see diff_harness.h: DS stays flat). */
static void load_far_case(void)
{
	static const struct { u8 op[2]; u8 n; int seg; const char *name; } ops[3] = {
		{ { 0xc4 }, 1, SEG_ES, "legacy.les" }, { { 0xc5 }, 1, SEG_DS, "legacy.lds" },
		{ { 0x0f, 0xb2 }, 2, SEG_SS, "legacy.lss" },
	};
	unsigned f = (unsigned)rng_below(&R, 3);
	struct diff_state st;
	struct ins in;
	random_state(&st);
	ins_init(&in, wide_size());
	ins_op(&in, ops[f].n, ops[f].op[0], ops[f].op[1]);
	unsigned size = in.osize, off = pick_off(16, 1);
	u16 sel = diff_compat_selector(&g_mode, ops[f].seg);
	if (ops[f].seg != SEG_SS && rng_chance(&R, 1, 4))
		sel = (u16)rng_below(&R, 4); /* null, any RPL */
	u64 ptr = rng_next(&R);
	if (ops[f].seg == SEG_SS) /* the new stack pointer stays on the stack */
		ptr = stack_ptr(false);
	put_mem(off, size, ptr);
	put_mem(off + size, 2, sel);
	in.reg = pick_reg(size, 1u << REG_RSP);
	in.rm_mem = true;
	gen_mem(&in.m, 0, off, 0, &st, false);
	run_ins(ops[f].name, &in, &st, NULL);
}

static void test_legacy(void)
{
	if (!family_on("legacy"))
		return;
	for (unsigned k = 0; k < diff_ncases(60); k++)
		far_case(k % 6);
	for (unsigned k = 0; k < diff_ncases(16); k++) {
		bound_case();
		arpl_case();
		load_far_case();
	}
	/* INTO: #OF when OF is set (a trap: both sides report vector 4) */
	for (unsigned k = 0; k < diff_ncases(4); k++) {
		struct diff_state st;
		random_state(&st);
		static const u8 into = 0xce;
		run_bytes("legacy.into", &into, 1, &st, NULL);
	}
}

/* ---- segment register loads: MOV Sreg, POP Sreg, LES/LDS/LSS ---- */

/*
 * A selector for a segment register load, from those both sides hold
 * alike: the harness's LDT entries and those beyond the LDT's limit,
 * Linux's 0x23/0x2b/0x33, null selectors, RPLs other than 3.  *base gets
 * the segment's base when the load should work and the segment is
 * readable data or code, else ~0.  DS gets only segments with base 0
 * (diff_harness.h: DS stays flat).
 */
static u16 pick_selector(int seg, u32 *base)
{
	for (;;) {
		u16 sel;
		*base = ~0u;
		switch (rng_below(&R, 9)) {
		case 0: sel = diff_compat_selector(&g_mode, SEG_ES); *base = diff_compat_seg_base(SEG_ES); break;
		case 1: sel = diff_compat_selector(&(struct diff_compat){ g_code, false }, SEG_SS);
			*base = diff_compat_seg_base(SEG_SS); break;
		case 2: sel = diff_compat_selector(&(struct diff_compat){ g_code, true }, SEG_SS);
			*base = diff_compat_seg_base(SEG_SS); break;
		case 3: sel = 0x2b; *base = 0; break;
		case 4: sel = diff_compat_selector(&(struct diff_compat){ 4, false }, SEG_CS); *base = 0;
			break;
		case 5: sel = diff_compat_selector(&(struct diff_compat){ 2, false }, SEG_CS); break;
		case 6: sel = 0x33; break;
		case 7: sel = (u16)rng_below(&R, 4); break;           /* null */
		default: sel = (u16)(0x2f + 8 * rng_below(&R, 3)); break; /* beyond the LDT */
		}
		if (rng_chance(&R, 1, 6) && sel > 3) /* another RPL */
			sel = (u16)((sel & ~3) | rng_below(&R, 3));
		if (seg == SEG_DS && *base != 0 && sel > 3)
			continue;
		if (seg == SEG_DS && sel == (diff_compat_selector(&(struct diff_compat){ 2, false }, SEG_CS) & ~3))
			continue;
		return sel;
	}
}

/* After a load that worked: read a byte through the segment (32-bit
 * addressing), so a wrong base shows. */
static unsigned sreg_read(u8 *code, unsigned n, int seg, u32 base, struct diff_state *st)
{
	if (base == ~0u)
		return n;
	unsigned off = pick_off(16, 1);
	if (g_code == 2)
		code[n++] = 0x67;
	code[n++] = seg_prefix[seg];
	code[n++] = 0x8a; /* mov al, [ebx] */
	code[n++] = 0x03;
	st->gpr[REG_RBX] = (u32)DIFF_DATA_ADDR + off - base;
	return n;
}

static void sreg_case(unsigned k)
{
	static const int segs[3] = { SEG_ES, SEG_SS, SEG_DS };
	struct diff_state st;
	random_state(&st);
	int seg = segs[rng_below(&R, 3)];
	u32 base;
	u16 sel = pick_selector(seg, &base);
	u8 code[24];
	unsigned n = 0, kind = k % 3;
	static const char *const names[3] = { "sreg.mov", "sreg.pop", "sreg.lxs" };
	if (seg == SEG_SS) /* the stack's size may change: keep ESP a 16-bit offset */
		st.gpr[REG_RSP] &= 0xfffc;
	if (kind == 0) { /* 8E /r: MOV Sreg, r16 */
		code[n++] = 0x8e;
		code[n++] = (u8)(0xc0 | seg << 3 | REG_RCX);
		st.gpr[REG_RCX] = (st.gpr[REG_RCX] & ~0xffffull) | sel;
	} else if (kind == 1) { /* 07 17 1F: POP ES/SS/DS */
		bool p66 = rng_chance(&R, 1, 2);
		if (p66)
			code[n++] = 0x66;
		code[n++] = (u8)(0x07 | seg << 3);
		put_mem(stack_top(&st), 4, sel | (rng_next(&R) << 16));
	} else { /* C4 LES, C5 LDS, 0F B2 LSS r, m16:32 (32-bit addressing) */
		if (g_code == 2)
			code[n++] = 0x66;
		if (g_code == 2)
			code[n++] = 0x67;
		if (seg == SEG_SS)
			code[n++] = 0x0f;
		code[n++] = seg == SEG_ES ? 0xc4 : seg == SEG_DS ? 0xc5 : 0xb2;
		code[n++] = 0x16; /* edx, [esi] */
		unsigned off = pick_off(16, 1);
		put_mem(off, 4, seg == SEG_SS ? stack_ptr(false) : rng_next(&R));
		put_mem(off + 4, 2, sel);
		st.gpr[REG_RSI] = (u32)DIFF_DATA_ADDR + off;
	}
	n = sreg_read(code, n, seg, base, &st);
	char key[48];
	snprintf(key, sizeof(key), "%s %s", names[kind], seg == SEG_ES ? "es" : seg == SEG_SS ? "ss" : "ds");
	run_code(names[kind], key, code, n, 1, &st, NULL);
}

static void test_sreg(void)
{
	if (!family_on("sreg"))
		return;
	for (unsigned k = 0; k < diff_ncases(60); k++)
		sreg_case(k);
}

/* ---- privileged instructions at CPL 3: #GP; INT n; INT3 ---- */

static void test_priv(void)
{
	if (!family_on("priv"))
		return;
	/* IOPL is 0 and there is no I/O permission: port I/O, CLI and STI
	 * fault like the system instructions.  (Not SGDT/SIDT/SMSW/SLDT/STR:
	 * Linux emulates those for 32-bit code under UMIP.  Not INT n: the
	 * host's gates are DPL 0 (#GP), the guest has no IDT and its hook
	 * reports the INT n itself first.) */
	static const struct { u8 b[4]; u8 n; const char *name; } ops[] = {
		{ { 0xe4, 0x80 }, 2, "priv.in" }, { { 0xe7, 0x80 }, 2, "priv.out" },
		{ { 0xec }, 1, "priv.in-dx" }, { { 0xee }, 1, "priv.out-dx" },
		{ { 0x6c }, 1, "priv.ins" }, { { 0x6f }, 1, "priv.outs" },
		{ { 0xfa }, 1, "priv.cli" }, { { 0xfb }, 1, "priv.sti" }, { { 0xf4 }, 1, "priv.hlt" },
		{ { 0x0f, 0x20, 0xc0 }, 3, "priv.mov-cr" }, { { 0x0f, 0x22, 0xd8 }, 3, "priv.mov-cr" },
		{ { 0x0f, 0x01, 0x16 }, 3, "priv.lgdt" }, { { 0x0f, 0x00, 0xd0 }, 3, "priv.lldt" },
		{ { 0x0f, 0x00, 0xd8 }, 3, "priv.ltr" }, { { 0x0f, 0x01, 0xf0 }, 3, "priv.lmsw" },
		{ { 0x0f, 0x06 }, 2, "priv.clts" }, { { 0x0f, 0x32 }, 2, "priv.rdmsr" },
		{ { 0x0f, 0x30 }, 2, "priv.wrmsr" }, { { 0x0f, 0x09 }, 2, "priv.wbinvd" },
		{ { 0x0f, 0x01, 0x3e }, 3, "priv.invlpg" },
		{ { 0xcc }, 1, "priv.int3" },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(ops); k++) {
		struct diff_state st;
		random_state(&st);
		st.gpr[REG_RSI] = st.gpr[REG_RDI] = (u32)DIFF_DATA_ADDR + 0x4000;
		run_bytes(ops[k].name, ops[k].b, ops[k].n, &st, NULL);
	}
}

/* ---- main ---- */

static void print_tally(unsigned code)
{
	const struct tally *t = &g_tally[code == 2];
	printf("code%u: %u forms, %lu cases", code * 8, t->forms, t->cases);
	bool first = true;
	for (int v = 0; v < 33; v++)
		if (t->vec[v]) {
			printf("%s vector %d: %lu", first ? "; native exceptions:" : ",", v, t->vec[v]);
			first = false;
		}
	printf("\n");
}

int main(void)
{
	diff_cases_start(&R, 0x5eed16c0ull, 1, data);
	if (diff_compat_init())
		check_skip("%s", diff_last_error());
	printf("%s\n", diff_compat_describe());
	static const unsigned codes[2] = { 4, 2 };
	static const char *const groups[2] = { "code32", "code16" }; /* check_group keeps them */
	for (unsigned c = 0; c < 2; c++) {
		g_code = codes[c];
		check_group(groups[c]);
		test_alu();
		test_unary();
		test_test();
		test_mul();
		test_div();
		test_shift();
		test_shld();
		test_bt();
		test_bitscan();
		test_mov();
		test_lea();
		test_xchg();
		test_cond();
		test_misc();
		test_bcd();
		test_stack();
		test_enter();
		test_legacy();
		test_sreg();
		test_priv();
		test_string();
		test_lazy();
	}
	for (unsigned c = 0; c < 2; c++)
		print_tally(codes[c]);
	return check_summary();
}
