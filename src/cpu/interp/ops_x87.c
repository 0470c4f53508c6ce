/*
 * x87 FPU instructions (escape opcodes D8..DF, and WAIT/FWAIT 9B).
 *
 * Arithmetic, conversions and transcendental functions run the host's own
 * x87 instruction on the guest's 80-bit values: the host control word is
 * set to the guest FCW with all exceptions masked, the status word is read
 * back right after the operation, and FNINIT + the saved host control
 * word restore the host afterwards.  Precision control, rounding, C1/C2
 * and the exception flags are therefore those of real hardware.
 *
 * The register stack (TOP, tags, stack overflow/underflow) is managed
 * here.  Exceptions: flags are merged into the guest FSW.  When an
 * exception is unmasked in the guest FCW, FSW.ES and FSW.B are set; for
 * IE, DE and ZE the destination is left unchanged (and the stack is not
 * popped), for OE/UE/PE the masked result is stored (real hardware stores
 * a biased-exponent result for unmasked OE/UE to a register; encore does
 * not).  A memory destination is not written on any unmasked exception but
 * PE.  The pending exception is delivered as #MF by the next waiting x87
 * (or MMX) instruction when CR0.NE is set; without CR0.NE it stays pending
 * (no FERR#/IRQ 13 emulation).
 */
#include "cpu/interp/fpu.h"
#include "cpu/interp/ops.h"

#define X87_CLOBBERS "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"

/* Host control word for a guest operation: guest PC/RC, all exceptions masked. */
static inline u16 host_cw(struct cpu *c)
{
	return (u16)((c->s.fpu.fcw & 0x0f00) | 0x007f);
}

/* ---- host primitives ---- */

/* Two inputs: host ST(0) = a, ST(1) = b. */
typedef u16 (*x2_fn)(u16 cw, const fx80 *a, const fx80 *b, fx80 *r0, fx80 *r1);
#define X2(name, insn, stores)                                                           \
	static u16 x2_##name(u16 cw, const fx80 *a, const fx80 *b, fx80 *r0, fx80 *r1)       \
	{                                                                                \
		u16 sv, sw;                                                              \
		(void)r1;                                                                \
		__asm__ volatile("fnstcw %[sv]\n\tfldcw %[cw]\n\tfnclex\n\t"              \
				 "fldt %[b]\n\tfldt %[a]\n\t" insn "\n\t"                   \
				 "fnstsw %[sw]\n\t" stores "\n\tfninit\n\tfldcw %[sv]"      \
				 : [sv] "=m"(sv), [sw] "=m"(sw), [r0] "=m"(*r0), [r1] "=m"(*r1) \
				 : [cw] "m"(cw), [a] "m"(*a), [b] "m"(*b)                   \
				 : X87_CLOBBERS);                                           \
		return sw;                                                               \
	}
#define ST1 "fstpt %[r0]"
#define ST2 "fstpt %[r0]\n\tfstpt %[r1]"
#define ST0 ""

X2(add, "fadd %%st(1), %%st", ST1)
X2(sub, "fsub %%st(1), %%st", ST1)
X2(subr, "fsubr %%st(1), %%st", ST1)
X2(mul, "fmul %%st(1), %%st", ST1)
X2(div, "fdiv %%st(1), %%st", ST1)
X2(divr, "fdivr %%st(1), %%st", ST1)
X2(com, "fcom %%st(1)", ST0)
X2(ucom, "fucom %%st(1)", ST0)

/*
 * FPREM/FPREM1 leave C0..C3 alone in some cases (NaN operands, invalid
 * operations): run them with the host's condition codes preloaded with
 * the guest's through FLDENV, so the host's final C0..C3 are the answer.
 */
typedef u16 (*x2e_fn)(const u8 *env, const fx80 *a, const fx80 *b, fx80 *r0);
#define X2E(name, insn)                                                                  \
	static u16 x2e_##name(const u8 *env, const fx80 *a, const fx80 *b, fx80 *r0)         \
	{                                                                                \
		u16 sv, sw;                                                              \
		__asm__ volatile("fnstcw %[sv]\n\tfldenv %[env]\n\t"                      \
				 "fldt %[b]\n\tfldt %[a]\n\t" insn "\n\t"                   \
				 "fnstsw %[sw]\n\tfstpt %[r0]\n\tfninit\n\tfldcw %[sv]"     \
				 : [sv] "=m"(sv), [sw] "=m"(sw), [r0] "=m"(*r0)             \
				 : [env] "m"(*(const u8(*)[28])env), [a] "m"(*a), [b] "m"(*b) \
				 : X87_CLOBBERS);                                           \
		return sw;                                                               \
	}
X2E(prem, "fprem")
X2E(prem1, "fprem1")
X2(scale, "fscale", ST2)
X2(patan, "fpatan", ST1)
X2(yl2x, "fyl2x", ST1)
X2(yl2xp1, "fyl2xp1", ST1)

/* One input: host ST(0) = a. */
typedef u16 (*x1_fn)(u16 cw, const fx80 *a, fx80 *r0, fx80 *r1);
#define X1(name, insn, stores)                                                           \
	static u16 x1_##name(u16 cw, const fx80 *a, fx80 *r0, fx80 *r1)                      \
	{                                                                                \
		u16 sv, sw;                                                              \
		(void)r1;                                                                \
		__asm__ volatile("fnstcw %[sv]\n\tfldcw %[cw]\n\tfnclex\n\t"              \
				 "fldt %[a]\n\t" insn "\n\t"                                \
				 "fnstsw %[sw]\n\t" stores "\n\tfninit\n\tfldcw %[sv]"      \
				 : [sv] "=m"(sv), [sw] "=m"(sw), [r0] "=m"(*r0), [r1] "=m"(*r1) \
				 : [cw] "m"(cw), [a] "m"(*a)                                \
				 : X87_CLOBBERS);                                           \
		return sw;                                                               \
	}
X1(sqrt, "fsqrt", ST1)
X1(rndint, "frndint", ST1)
X1(f2xm1, "f2xm1", ST1)
X1(sin, "fsin", ST1)
X1(cos, "fcos", ST1)
X1(tst, "ftst", ST0)
X1(ptan, "fptan", ST2)
X1(sincos, "fsincos", ST2)
X1(xtract, "fxtract", ST2)

/* No input: constants. */
typedef u16 (*x0_fn)(u16 cw, fx80 *r0);
#define X0(name, insn)                                                                   \
	static u16 x0_##name(u16 cw, fx80 *r0)                                           \
	{                                                                                \
		u16 sv, sw;                                                              \
		__asm__ volatile("fnstcw %[sv]\n\tfldcw %[cw]\n\tfnclex\n\t" insn "\n\t"  \
				 "fnstsw %[sw]\n\tfstpt %[r0]\n\tfninit\n\tfldcw %[sv]"     \
				 : [sv] "=m"(sv), [sw] "=m"(sw), [r0] "=m"(*r0)             \
				 : [cw] "m"(cw)                                             \
				 : X87_CLOBBERS);                                           \
		return sw;                                                               \
	}
X0(ld1, "fld1")
X0(ldl2t, "fldl2t")
X0(ldl2e, "fldl2e")
X0(ldpi, "fldpi")
X0(ldlg2, "fldlg2")
X0(ldln2, "fldln2")
X0(ldz, "fldz")

/* ST(0) = a OP memory operand (arithmetic and compare with m32/m64/m16int/m32int). */
typedef u16 (*xm_fn)(u16 cw, const fx80 *a, const void *m, fx80 *r0);
#define XM(name, insn, T)                                                                \
	static u16 xm_##name(u16 cw, const fx80 *a, const void *m, fx80 *r0)             \
	{                                                                                \
		u16 sv, sw;                                                              \
		__asm__ volatile("fnstcw %[sv]\n\tfldcw %[cw]\n\tfnclex\n\t"              \
				 "fldt %[a]\n\t" insn " %[m]\n\t"                           \
				 "fnstsw %[sw]\n\tfstpt %[r0]\n\tfninit\n\tfldcw %[sv]"     \
				 : [sv] "=m"(sv), [sw] "=m"(sw), [r0] "=m"(*r0)             \
				 : [cw] "m"(cw), [a] "m"(*a), [m] "m"(*(const T *)m)        \
				 : X87_CLOBBERS);                                           \
		return sw;                                                               \
	}
#define XM4(op)                                                                  \
	XM(op##_f32, "f" #op "s", u32) XM(op##_f64, "f" #op "l", u64)            \
	XM(op##_i32, "fi" #op "l", u32) XM(op##_i16, "fi" #op "s", u16)
XM4(add)
XM4(mul)
XM4(com)
XM4(sub)
XM4(subr)
XM4(div)
XM4(divr)

/* [memory type: f32, f64, i32, i16][ModRM.reg] (3 = FCOMP uses com) */
static const xm_fn xm_tab[4][8] = {
#define XMROW(t) { xm_add_##t, xm_mul_##t, xm_com_##t, xm_com_##t, xm_sub_##t, xm_subr_##t, xm_div_##t, xm_divr_##t }
	XMROW(f32), XMROW(f64), XMROW(i32), XMROW(i16),
#undef XMROW
};

/* Loads from memory: r0 = convert(m). */
typedef u16 (*xl_fn)(u16 cw, const void *m, fx80 *r0);
#define XL(name, insn, T)                                                                \
	static u16 xl_##name(u16 cw, const void *m, fx80 *r0)                            \
	{                                                                                \
		u16 sv, sw;                                                              \
		__asm__ volatile("fnstcw %[sv]\n\tfldcw %[cw]\n\tfnclex\n\t" insn " %[m]\n\t" \
				 "fnstsw %[sw]\n\tfstpt %[r0]\n\tfninit\n\tfldcw %[sv]"     \
				 : [sv] "=m"(sv), [sw] "=m"(sw), [r0] "=m"(*r0)             \
				 : [cw] "m"(cw), [m] "m"(*(const T *)m)                     \
				 : X87_CLOBBERS);                                           \
		return sw;                                                               \
	}
typedef struct {
	u8 b[10];
} m80;
XL(f32, "flds", u32)
XL(f64, "fldl", u64)
XL(i16, "filds", u16)
XL(i32, "fildl", u32)
XL(i64, "fildll", u64)
XL(bcd, "fbld", m80)

/* Stores to memory: m = convert(a). */
typedef u16 (*xs_fn)(u16 cw, const fx80 *a, void *m);
#define XS(name, insn, T)                                                                \
	static u16 xs_##name(u16 cw, const fx80 *a, void *m)                             \
	{                                                                                \
		u16 sv, sw;                                                              \
		__asm__ volatile("fnstcw %[sv]\n\tfldcw %[cw]\n\tfnclex\n\t"              \
				 "fldt %[a]\n\t" insn " %[m]\n\t"                           \
				 "fnstsw %[sw]\n\tfninit\n\tfldcw %[sv]"                    \
				 : [sv] "=m"(sv), [sw] "=m"(sw), [m] "=m"(*(T *)m)          \
				 : [cw] "m"(cw), [a] "m"(*a)                                \
				 : X87_CLOBBERS);                                           \
		return sw;                                                               \
	}
XS(f32, "fstps", u32)
XS(f64, "fstpl", u64)
XS(i16, "fistps", u16)
XS(i32, "fistpl", u32)
XS(i64, "fistpll", u64)
XS(tt16, "fisttps", u16)
XS(tt32, "fisttpl", u32)
XS(tt64, "fisttpll", u64)
XS(bcd, "fbstp", m80)

/* ---- stack and status helpers ---- */

static const fx80 INDEF = { .mant = 0xc000000000000000ull, .se = 0xffff };

static inline struct encore_fpu_state *F(struct cpu *c)
{
	return &c->s.fpu;
}

/* Start of every non-control x87 instruction: #NM, pending #MF, FIP/FOP. */
static inline void fpu_begin(struct cpu *c, const struct insn *i)
{
	fpu_check(c);
	fpu_wait_check(c);
	F(c)->fop = (u16)(((i->op & 7) << 8) | i->modrm);
	F(c)->fip = c->s.rip - i->len;
}

/* Effective address of the memory operand, recorded as the FPU data pointer. */
static inline u64 fpu_ea(struct cpu *c, const struct insn *i)
{
	u64 ea = insn_ea(c, i);
	F(c)->fdp = ea;
	return ea;
}

static inline void set_c1(struct cpu *c, bool v)
{
	F(c)->fsw = (u16)((F(c)->fsw & ~FSW_C1) | (v ? FSW_C1 : 0));
}

static inline void set_es(struct cpu *c)
{
	if (F(c)->fsw & ~F(c)->fcw & FSW_EXC)
		F(c)->fsw |= FSW_ES | FSW_B;
	else
		F(c)->fsw &= (u16)~(FSW_ES | FSW_B);
}

/*
 * Merge the host status `sw` after an operation: exception flags, and C1
 * when `c1` (arithmetic: C1 = rounded up).  Returns false when an unmasked
 * IE/DE/ZE means the destination must not be written.
 */
static bool fpu_status(struct cpu *c, u16 sw, bool c1)
{
	u16 exc = sw & FSW_EXC;
	if (c1)
		set_c1(c, sw & FSW_C1);
	F(c)->fsw |= exc;
	u16 unmasked = exc & ~F(c)->fcw & FSW_EXC;
	if (unlikely(unmasked)) {
		F(c)->fsw |= FSW_ES | FSW_B;
		if (unmasked & (FSW_IE | FSW_DE | FSW_ZE))
			return false;
	}
	return true;
}

/* Stack fault (IE + SF; C1 = overflow).  Returns true when IE is masked. */
static bool stack_fault(struct cpu *c, bool overflow)
{
	F(c)->fsw |= FSW_IE | FSW_SF;
	set_c1(c, overflow);
	if (F(c)->fcw & FSW_IE)
		return true;
	F(c)->fsw |= FSW_ES | FSW_B;
	return false;
}

static inline void fpu_pop(struct cpu *c)
{
	unsigned top = fpu_top(c);
	F(c)->ftw &= (u8) ~(1u << top);
	fpu_set_top(c, top + 1);
}

/* Push onto a free slot (the caller checked for overflow). */
static inline void fpu_push(struct cpu *c, fx80 v)
{
	unsigned top = (fpu_top(c) - 1) & 7;
	fpu_set_top(c, top);
	fpu_set_phys(c, top, v);
}

/* Check the slot a push would use; on overflow handle it, return false. */
static bool push_check(struct cpu *c)
{
	if (likely(!fpu_valid_phys(c, (fpu_top(c) - 1) & 7)))
		return true;
	if (stack_fault(c, true))
		fpu_push(c, INDEF);
	return false;
}

/* ---- loads and stores ---- */

static void push_value(struct cpu *c, fx80 v, u16 sw)
{
	if (!push_check(c))
		return;
	if (!fpu_status(c, sw, true))
		return;
	fpu_push(c, v);
}

/* FLD m32/m64 (D9 /0, DD /0), FILD m16/m32/m64 (DF /0, DB /0, DF /5), FBLD (DF /4) */
static void h_fld_mem(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	u64 ea = fpu_ea(c, i);
	union {
		u64 q;
		u8 b[10];
	} m;
	xl_fn fn;
	switch (i->op) {
	case 0xd9: m.q = mem_read32(c, ea); fn = xl_f32; break;
	case 0xdd: m.q = mem_read64(c, ea); fn = xl_f64; break;
	case 0xdb: m.q = mem_read32(c, ea); fn = xl_i32; break;
	default: /* DF */
		if (i->ext == 0) {
			m.q = mem_read16(c, ea);
			fn = xl_i16;
		} else if (i->ext == 5) {
			m.q = mem_read64(c, ea);
			fn = xl_i64;
		} else {
			mem_read_bytes(c, ea, m.b, 10);
			fn = xl_bcd;
		}
		break;
	}
	fx80 v;
	u16 sw = fn(host_cw(c), &m, &v);
	push_value(c, v, sw);
}

/* FLD m80 (DB /5): no conversion, no exception. */
static void h_fld_m80(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	u64 ea = fpu_ea(c, i);
	fx80 v = INDEF;
	u8 b[10];
	mem_read_bytes(c, ea, b, 10);
	memcpy(&v.mant, b, 8);
	memcpy(&v.se, b + 8, 2);
	if (!push_check(c))
		return;
	set_c1(c, false);
	fpu_push(c, v);
}

/* FLD ST(i) (D9 C0+i) */
static void h_fld_st(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	unsigned r = i->modrm & 7;
	fx80 v = fpu_get(c, r);
	if (!fpu_valid(c, r)) { /* underflow is reported before overflow */
		if (stack_fault(c, false))
			fpu_push(c, INDEF);
		return;
	}
	if (!push_check(c))
		return;
	set_c1(c, false);
	fpu_push(c, v);
}

/*
 * Stores of ST(0) to memory: FST/FSTP m32/m64, FIST/FISTP m16/m32/m64,
 * FISTTP, FBSTP.
 */
static void store_conv(struct cpu *c, const struct insn *i, xs_fn fn, unsigned size, bool pop)
{
	fpu_begin(c, i);
	u64 ea = fpu_ea(c, i);
	union {
		u64 q;
		u8 b[10];
	} m = { .q = 0 };
	u16 sw;
	bool empty = !fpu_valid(c, 0);
	if (empty) {
		if (!(F(c)->fcw & FSW_IE)) { /* unmasked stack underflow: nothing stored */
			stack_fault(c, false);
			return;
		}
		fn(host_cw(c), &INDEF, &m); /* the indefinite value of the format */
		sw = 0;
	} else {
		fx80 a = fpu_get(c, 0);
		sw = fn(host_cw(c), &a, &m);
		if ((sw & ~F(c)->fcw & (FSW_EXC & ~FSW_PE))) {
			/* unmasked exception other than PE: no store, no pop */
			fpu_status(c, sw, true);
			F(c)->fsw |= FSW_ES | FSW_B;
			return;
		}
	}
	if (size == 10)
		mem_write_bytes(c, ea, m.b, 10);
	else
		mem_write(c, ea, size, m.q);
	if (empty)
		stack_fault(c, false);
	else
		fpu_status(c, sw, true);
	if (pop)
		fpu_pop(c);
}

static void h_fst_m32(struct cpu *c, const struct insn *i) { store_conv(c, i, xs_f32, 4, i->ext == 3); }
static void h_fst_m64(struct cpu *c, const struct insn *i) { store_conv(c, i, xs_f64, 8, i->ext == 3); }
static void h_fist_m32(struct cpu *c, const struct insn *i) { store_conv(c, i, xs_i32, 4, i->ext == 3); }
static void h_fist_m16(struct cpu *c, const struct insn *i) { store_conv(c, i, xs_i16, 2, i->ext == 3); }
static void h_fistp_m64(struct cpu *c, const struct insn *i) { store_conv(c, i, xs_i64, 8, true); }
static void h_fisttp_m16(struct cpu *c, const struct insn *i) { store_conv(c, i, xs_tt16, 2, true); }
static void h_fisttp_m32(struct cpu *c, const struct insn *i) { store_conv(c, i, xs_tt32, 4, true); }
static void h_fisttp_m64(struct cpu *c, const struct insn *i) { store_conv(c, i, xs_tt64, 8, true); }
static void h_fbstp(struct cpu *c, const struct insn *i) { store_conv(c, i, xs_bcd, 10, true); }

/* FSTP m80 (DB /7) */
static void h_fstp_m80(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	u64 ea = fpu_ea(c, i);
	fx80 v;
	bool empty = !fpu_valid(c, 0);
	if (empty) {
		if (!(F(c)->fcw & FSW_IE)) {
			stack_fault(c, false);
			return;
		}
		v = INDEF;
	} else {
		v = fpu_get(c, 0);
	}
	u8 b[10];
	memcpy(b, &v.mant, 8);
	memcpy(b + 8, &v.se, 2);
	mem_write_bytes(c, ea, b, 10);
	if (empty)
		stack_fault(c, false);
	else
		set_c1(c, false);
	fpu_pop(c);
}

/* FST ST(i) (DD D0+i), FSTP ST(i) (DD D8+i, D9 D8+i, DF D0+i, DF D8+i) */
static void h_fst_st(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	unsigned r = i->modrm & 7;
	bool pop = !(i->op == 0xdd && i->ext == 2);
	fx80 v;
	if (!fpu_valid(c, 0)) {
		if (!stack_fault(c, false))
			return;
		v = INDEF;
	} else {
		v = fpu_get(c, 0);
		set_c1(c, false);
	}
	fpu_set(c, r, v);
	if (pop)
		fpu_pop(c);
}

/* ---- arithmetic ---- */

enum { OP_ADD, OP_MUL, OP_COM, OP_COMP, OP_SUB, OP_SUBR, OP_DIV, OP_DIVR };

/* dst = a OP b with a the destination's value; ops relative to the destination. */
static void arith_reg(struct cpu *c, unsigned dst, unsigned other, int op, bool pop)
{
	static const x2_fn fns[8] = { x2_add, x2_mul, NULL, NULL, x2_sub, x2_subr, x2_div, x2_divr };
	fx80 r, r1;
	if (!fpu_valid(c, dst) || !fpu_valid(c, other)) {
		if (!stack_fault(c, false))
			return;
		r = INDEF;
	} else {
		fx80 a = fpu_get(c, dst), b = fpu_get(c, other);
		u16 sw = fns[op](host_cw(c), &a, &b, &r, &r1);
		if (!fpu_status(c, sw, true))
			return;
	}
	fpu_set(c, dst, r);
	if (pop)
		fpu_pop(c);
}

/* Compare ST(0) with ST(other): sets C0/C2/C3 (or ZF/PF/CF), pops `pops` times. */
static void compare_reg(struct cpu *c, unsigned other, bool unordered, bool eflags, int pops)
{
	u16 cc;
	if (!fpu_valid(c, 0) || !fpu_valid(c, other)) {
		if (!stack_fault(c, false))
			return;
		cc = FSW_C0 | FSW_C2 | FSW_C3;
	} else {
		fx80 a = fpu_get(c, 0), b = fpu_get(c, other), r0, r1;
		u16 sw = (unordered ? x2_ucom : x2_com)(host_cw(c), &a, &b, &r0, &r1);
		if (!fpu_status(c, sw, false))
			return;
		cc = sw & (FSW_C0 | FSW_C2 | FSW_C3);
		if (!eflags) /* FCOMI leaves C1 alone on hardware (the SDM says 0) */
			set_c1(c, false);
	}
	if (eflags) {
		u64 fl = ((cc & FSW_C3) ? RF_ZF : 0) | ((cc & FSW_C2) ? RF_PF : 0) | ((cc & FSW_C0) ? RF_CF : 0);
		flags_set(c, fl, RF_ARITH);
	} else {
		F(c)->fsw = (u16)((F(c)->fsw & ~(FSW_C0 | FSW_C2 | FSW_C3)) | cc);
	}
	while (pops-- > 0)
		fpu_pop(c);
}

/* D8 /r, DC /r, DA /r, DE /r with a memory operand */
static void h_arith_mem(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	u64 ea = fpu_ea(c, i);
	unsigned t;
	u64 m;
	switch (i->op) {
	case 0xd8: t = 0; m = mem_read32(c, ea); break;
	case 0xdc: t = 1; m = mem_read64(c, ea); break;
	case 0xda: t = 2; m = mem_read32(c, ea); break;
	default: t = 3; m = mem_read16(c, ea); break;
	}
	unsigned op = i->ext;
	bool cmp = op == OP_COM || op == OP_COMP;
	fx80 r;
	if (!fpu_valid(c, 0)) {
		if (!stack_fault(c, false))
			return;
		if (cmp)
			F(c)->fsw |= FSW_C0 | FSW_C2 | FSW_C3;
		else
			fpu_set(c, 0, INDEF);
	} else {
		fx80 a = fpu_get(c, 0);
		u16 sw = xm_tab[t][op](host_cw(c), &a, &m, &r);
		if (!fpu_status(c, sw, !cmp))
			return;
		if (cmp) {
			F(c)->fsw = (u16)((F(c)->fsw & ~FSW_CC) | (sw & (FSW_C0 | FSW_C2 | FSW_C3)));
		} else {
			fpu_set(c, 0, r);
		}
	}
	if (op == OP_COMP)
		fpu_pop(c);
}

/* D8/DC/DE with a register operand */
static void h_arith_reg(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	unsigned r = i->modrm & 7, op = i->ext;
	if (op == OP_COM || op == OP_COMP) {
		/* DE D0+i (FCOMP5) pops like FCOMP */
		compare_reg(c, r, false, false, op == OP_COMP || i->op == 0xde);
		return;
	}
	if (i->op == 0xd8) {
		arith_reg(c, 0, r, (int)op, false);
		return;
	}
	/*
	 * DC/DE: destination ST(i).  E0+i computes ST(0) - ST(i) into ST(i),
	 * i.e. the reverse operation relative to the destination: swap
	 * SUB/SUBR and DIV/DIVR.
	 */
	if (op >= 4)
		op ^= 1;
	arith_reg(c, r, 0, (int)op, i->op == 0xde);
}

/* DE D9: FCOMPP; DA E9: FUCOMPP */
static void h_fcompp(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	compare_reg(c, 1, i->op == 0xda, false, 2);
}

/* DD E0+i: FUCOM, DD E8+i: FUCOMP */
static void h_fucom(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	compare_reg(c, i->modrm & 7, true, false, i->ext == 5);
}

/* DB E8+i FUCOMI, DB F0+i FCOMI, DF E8+i FUCOMIP, DF F0+i FCOMIP */
static void h_fcomi(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	compare_reg(c, i->modrm & 7, i->ext == 5, true, i->op == 0xdf);
}

/* FXCH ST(i) (D9 C8+i, and aliases DD C8+i, DF C8+i) */
static void h_fxch(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	unsigned r = i->modrm & 7;
	fx80 a, b;
	if (!fpu_valid(c, 0) || !fpu_valid(c, r)) {
		if (!stack_fault(c, false))
			return;
		a = fpu_valid(c, 0) ? fpu_get(c, 0) : INDEF;
		b = fpu_valid(c, r) ? fpu_get(c, r) : INDEF;
	} else {
		a = fpu_get(c, 0);
		b = fpu_get(c, r);
		set_c1(c, false);
	}
	fpu_set(c, 0, b);
	fpu_set(c, r, a);
}

/* FCMOVcc: DA C0..DF (B, E, BE, U), DB C0..DF (NB, NE, NBE, NU) */
static void h_fcmov(struct cpu *c, const struct insn *i)
{
	static const u8 cc[4] = { 0x2, 0x4, 0x6, 0xa }; /* B, E, BE, P */
	fpu_begin(c, i);
	unsigned r = i->modrm & 7;
	bool cond = cond_eval(c, cc[i->ext & 3] | (i->op == 0xdb ? 1 : 0));
	if (!fpu_valid(c, 0) || !fpu_valid(c, r)) {
		if (stack_fault(c, false)) /* hardware writes it even when cc is false */
			fpu_set(c, 0, INDEF);
		return;
	}
	if (cond)
		fpu_set(c, 0, fpu_get(c, r));
}

/* ---- D9 register forms ---- */

static void h_fnop(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
}

static void h_fchs_fabs(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	fx80 v;
	if (!fpu_valid(c, 0)) {
		if (!stack_fault(c, false))
			return;
		v = INDEF;
	} else {
		v = fpu_get(c, 0);
		if (i->modrm == 0xe0)
			v.se ^= 0x8000;
		else
			v.se &= 0x7fff;
		set_c1(c, false);
	}
	fpu_set(c, 0, v);
}

static void h_ftst(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	if (!fpu_valid(c, 0)) {
		if (stack_fault(c, false))
			F(c)->fsw |= FSW_C0 | FSW_C2 | FSW_C3;
		return;
	}
	fx80 a = fpu_get(c, 0), r0, r1;
	u16 sw = x1_tst(host_cw(c), &a, &r0, &r1);
	if (!fpu_status(c, sw, false))
		return;
	F(c)->fsw = (u16)((F(c)->fsw & ~FSW_CC) | (sw & (FSW_C0 | FSW_C2 | FSW_C3)));
}

static void h_fxam(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	fx80 v = fpu_get(c, 0);
	unsigned exp = v.se & 0x7fff;
	bool j = v.mant >> 63;
	u16 cc;
	if (!fpu_valid(c, 0))
		cc = FSW_C3 | FSW_C0; /* empty */
	else if (exp == 0x7fff)
		cc = !j ? 0 : (v.mant << 1) ? FSW_C0 : (FSW_C2 | FSW_C0); /* unsupported, NaN, inf */
	else if (exp == 0)
		cc = v.mant ? (FSW_C3 | FSW_C2) : FSW_C3; /* denormal, zero */
	else
		cc = j ? FSW_C2 : 0; /* normal, unnormal */
	if (v.se & 0x8000)
		cc |= FSW_C1;
	F(c)->fsw = (u16)((F(c)->fsw & ~FSW_CC) | cc);
}

static void h_fldconst(struct cpu *c, const struct insn *i)
{
	static const x0_fn fns[8] = { x0_ld1, x0_ldl2t, x0_ldl2e, x0_ldpi, x0_ldlg2, x0_ldln2, x0_ldz, NULL };
	fpu_begin(c, i);
	fx80 v;
	u16 sw = fns[i->modrm & 7](host_cw(c), &v);
	push_value(c, v, sw);
}

/* ST(0) = f(ST(0)): FSQRT, FRNDINT, F2XM1, FSIN, FCOS */
static void unary(struct cpu *c, x1_fn fn, bool c2)
{
	fx80 r, r1;
	if (!fpu_valid(c, 0)) {
		if (c2)
			F(c)->fsw &= (u16)~FSW_C2;
		if (!stack_fault(c, false))
			return;
		r = INDEF;
	} else {
		fx80 a = fpu_get(c, 0);
		u16 sw = fn(host_cw(c), &a, &r, &r1);
		if (c2)
			F(c)->fsw = (u16)((F(c)->fsw & ~FSW_C2) | (sw & FSW_C2));
		if (!fpu_status(c, sw, true))
			return;
	}
	fpu_set(c, 0, r);
}

static void h_fsqrt(struct cpu *c, const struct insn *i) { fpu_begin(c, i); unary(c, x1_sqrt, false); }
static void h_frndint(struct cpu *c, const struct insn *i) { fpu_begin(c, i); unary(c, x1_rndint, false); }
static void h_f2xm1(struct cpu *c, const struct insn *i) { fpu_begin(c, i); unary(c, x1_f2xm1, false); }
static void h_fsin(struct cpu *c, const struct insn *i) { fpu_begin(c, i); unary(c, x1_sin, true); }
static void h_fcos(struct cpu *c, const struct insn *i) { fpu_begin(c, i); unary(c, x1_cos, true); }

/* FPTAN, FSINCOS, FXTRACT: ST(0) = r1, then push r0 (ST(0) = r0, ST(1) = r1). */
static void unary_push(struct cpu *c, x1_fn fn, bool c2)
{
	fx80 r0, r1;
	if (c2)
		F(c)->fsw &= (u16)~FSW_C2;
	if (!fpu_valid(c, 0)) {
		if (!stack_fault(c, false))
			return;
		fpu_set(c, 0, INDEF);
		fpu_push(c, INDEF);
		return;
	}
	if (fpu_valid_phys(c, (fpu_top(c) - 1) & 7)) {
		if (!stack_fault(c, true))
			return;
		fpu_set(c, 0, INDEF);
		fpu_push(c, INDEF);
		return;
	}
	fx80 a = fpu_get(c, 0);
	u16 sw = fn(host_cw(c), &a, &r0, &r1);
	if (c2) {
		F(c)->fsw = (u16)((F(c)->fsw & ~FSW_C2) | (sw & FSW_C2));
		if (sw & FSW_C2) { /* operand out of range: ST(0) unchanged, no push */
			fpu_status(c, sw, true);
			return;
		}
	}
	if (!fpu_status(c, sw, true))
		return;
	fpu_set(c, 0, r1);
	fpu_push(c, r0);
}

static void h_fptan(struct cpu *c, const struct insn *i) { fpu_begin(c, i); unary_push(c, x1_ptan, true); }
static void h_fsincos(struct cpu *c, const struct insn *i) { fpu_begin(c, i); unary_push(c, x1_sincos, true); }
static void h_fxtract(struct cpu *c, const struct insn *i) { fpu_begin(c, i); unary_push(c, x1_xtract, false); }

/*
 * f(ST(0), ST(1)) with stack-fault and exception handling; false when an
 * unmasked exception means nothing may be written.
 */
static bool binary_eval(struct cpu *c, x2_fn fn, fx80 *r0)
{
	fx80 r1;
	if (!fpu_valid(c, 0) || !fpu_valid(c, 1)) {
		if (!stack_fault(c, false))
			return false;
		*r0 = INDEF;
		return true;
	}
	fx80 a = fpu_get(c, 0), b = fpu_get(c, 1);
	u16 sw = fn(host_cw(c), &a, &b, r0, &r1);
	return fpu_status(c, sw, true);
}

/* FSCALE: ST(0) = f(ST(0), ST(1)). */
static void binary_st0(struct cpu *c, x2_fn fn)
{
	fx80 r0;
	if (binary_eval(c, fn, &r0))
		fpu_set(c, 0, r0);
}

/* FPREM, FPREM1: ST(0) = remainder; C0/C3/C1 = quotient bits, C2 = incomplete. */
static void prem(struct cpu *c, x2e_fn fn)
{
	fx80 r0;
	if (!fpu_valid(c, 0) || !fpu_valid(c, 1)) {
		F(c)->fsw &= (u16)~FSW_C2;
		if (!stack_fault(c, false))
			return;
		r0 = INDEF;
	} else {
		u8 env[28];
		memset(env, 0, sizeof(env));
		u16 cw = host_cw(c), sw0 = F(c)->fsw & FSW_CC, tags = 0xffff;
		memcpy(env + 0, &cw, 2);
		memcpy(env + 4, &sw0, 2);
		memcpy(env + 8, &tags, 2);
		fx80 a = fpu_get(c, 0), b = fpu_get(c, 1);
		u16 sw = fn(env, &a, &b, &r0);
		if (!fpu_status(c, sw, false))
			return;
		F(c)->fsw = (u16)((F(c)->fsw & ~FSW_CC) | (sw & FSW_CC));
	}
	fpu_set(c, 0, r0);
}

static void h_fprem(struct cpu *c, const struct insn *i) { fpu_begin(c, i); prem(c, x2e_prem); }
static void h_fprem1(struct cpu *c, const struct insn *i) { fpu_begin(c, i); prem(c, x2e_prem1); }
static void h_fscale(struct cpu *c, const struct insn *i) { fpu_begin(c, i); binary_st0(c, x2_scale); }

/* FPATAN, FYL2X, FYL2XP1: ST(1) = f(ST(1), ST(0)), pop. */
static void binary_pop(struct cpu *c, x2_fn fn)
{
	fx80 r0;
	if (!binary_eval(c, fn, &r0))
		return;
	fpu_set(c, 1, r0);
	fpu_pop(c);
}

static void h_fpatan(struct cpu *c, const struct insn *i) { fpu_begin(c, i); binary_pop(c, x2_patan); }
static void h_fyl2x(struct cpu *c, const struct insn *i) { fpu_begin(c, i); binary_pop(c, x2_yl2x); }
static void h_fyl2xp1(struct cpu *c, const struct insn *i) { fpu_begin(c, i); binary_pop(c, x2_yl2xp1); }

static void h_fincdecstp(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	fpu_set_top(c, fpu_top(c) + (i->modrm == 0xf7 ? 1 : 7));
	set_c1(c, false);
}

/* FFREE ST(i) (DD C0+i), FFREEP (DF C0+i) */
static void h_ffree(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	F(c)->ftw &= (u8) ~(1u << fpu_phys(c, i->modrm & 7));
	set_c1(c, false);
	if (i->op == 0xdf)
		fpu_pop(c);
}

/* ---- control instructions (no FIP/FOP update) ---- */

static void h_fldcw(struct cpu *c, const struct insn *i)
{
	fpu_check(c);
	fpu_wait_check(c);
	u16 v = mem_read16(c, insn_ea(c, i));
	F(c)->fcw = v | 0x0040; /* bit 6 reads as 1 */
	set_es(c);
}

static void h_fnstcw(struct cpu *c, const struct insn *i)
{
	fpu_check(c);
	mem_write16(c, insn_ea(c, i), F(c)->fcw);
}

static void h_fnstsw_mem(struct cpu *c, const struct insn *i)
{
	fpu_check(c);
	mem_write16(c, insn_ea(c, i), F(c)->fsw);
}

static void h_fnstsw_ax(struct cpu *c, const struct insn *i)
{
	(void)i;
	fpu_check(c);
	reg_write(c, REG_RAX, 2, F(c)->fsw);
}

static void h_fnclex(struct cpu *c, const struct insn *i)
{
	(void)i;
	fpu_check(c);
	F(c)->fsw &= (u16)~(0x00ff | FSW_B);
}

static void fpu_init(struct cpu *c)
{
	F(c)->fcw = FCW_DEFAULT;
	F(c)->fsw = 0;
	F(c)->ftw = 0;
	F(c)->fop = 0;
	F(c)->fip = 0;
	F(c)->fdp = 0;
}

static void h_fninit(struct cpu *c, const struct insn *i)
{
	(void)i;
	fpu_check(c);
	fpu_init(c);
}

/* FENI/FDISI/FSETPM (DB E0/E1/E4): no-ops since the 80387. */
static void h_fnop_ctl(struct cpu *c, const struct insn *i)
{
	(void)i;
	fpu_check(c);
}

/* 9B: WAIT/FWAIT */
static void h_fwait(struct cpu *c, const struct insn *i)
{
	(void)i;
	if (unlikely((c->s.cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)))
		cpu_raise(c, EXC_NM, NO_ERRCODE);
	fpu_wait_check(c);
}

/* Full 2-bit tag of physical register p from its value. */
static unsigned full_tag(struct cpu *c, unsigned p)
{
	if (!fpu_valid_phys(c, p))
		return 3;
	fx80 v = fpu_get_phys(c, p);
	unsigned exp = v.se & 0x7fff;
	if (exp == 0x7fff)
		return 2;
	if (exp == 0)
		return v.mant ? 2 : 1;
	return (v.mant >> 63) ? 0 : 2;
}

static u16 full_tag_word(struct cpu *c)
{
	u16 t = 0;
	for (unsigned p = 0; p < 8; p++)
		t |= (u16)(full_tag(c, p) << (2 * p));
	return t;
}

static u8 abridged_tags(u16 full)
{
	u8 t = 0;
	for (unsigned p = 0; p < 8; p++)
		if (((full >> (2 * p)) & 3) != 3)
			t |= (u8)(1u << p);
	return t;
}

static inline void put16(u8 *p, u16 v) { memcpy(p, &v, 2); }
static inline void put32(u8 *p, u32 v) { memcpy(p, &v, 4); }
static inline u16 get16(const u8 *p) { u16 v; memcpy(&v, p, 2); return v; }
static inline u32 get32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }

/* The x87 environment image: 14 bytes (16-bit operand size) or 28. */
static unsigned env_store(struct cpu *c, const struct insn *i, u8 *b)
{
	struct encore_fpu_state *f = F(c);
	bool pm = c->s.cr0 & CR0_PE;
	u16 tag = full_tag_word(c);
	if (i->opsize == 2) {
		put16(b + 0, f->fcw);
		put16(b + 2, f->fsw);
		put16(b + 4, tag);
		if (pm) {
			put16(b + 6, (u16)f->fip);
			put16(b + 8, 0);
			put16(b + 10, (u16)f->fdp);
			put16(b + 12, 0);
		} else {
			put16(b + 6, (u16)f->fip);
			put16(b + 8, (u16)(((f->fip >> 16) & 0xf) << 12 | (f->fop & 0x7ff)));
			put16(b + 10, (u16)f->fdp);
			put16(b + 12, (u16)(((f->fdp >> 16) & 0xf) << 12));
		}
		return 14;
	}
	put32(b + 0, 0xffff0000u | f->fcw);
	put32(b + 4, 0xffff0000u | f->fsw);
	put32(b + 8, 0xffff0000u | tag);
	if (pm) {
		put32(b + 12, (u32)f->fip);
		put32(b + 16, (u32)(f->fop & 0x7ff) << 16);
		put32(b + 20, (u32)f->fdp);
		put32(b + 24, 0xffff0000u);
	} else {
		put32(b + 12, 0xffff0000u | (u16)f->fip);
		put32(b + 16, (u32)((f->fip >> 16) & 0xffff) << 12 | (f->fop & 0x7ff));
		put32(b + 20, 0xffff0000u | (u16)f->fdp);
		put32(b + 24, (u32)((f->fdp >> 16) & 0xffff) << 12);
	}
	return 28;
}

static unsigned env_size(const struct insn *i)
{
	return i->opsize == 2 ? 14 : 28;
}

static void env_load(struct cpu *c, const struct insn *i, const u8 *b)
{
	struct encore_fpu_state *f = F(c);
	bool pm = c->s.cr0 & CR0_PE;
	if (i->opsize == 2) {
		f->fcw = get16(b + 0);
		f->fsw = get16(b + 2);
		f->ftw = abridged_tags(get16(b + 4));
		if (pm) {
			f->fip = get16(b + 6);
			f->fdp = get16(b + 10);
		} else {
			f->fip = get16(b + 6) | (u64)(get16(b + 8) >> 12) << 16;
			f->fop = get16(b + 8) & 0x7ff;
			f->fdp = get16(b + 10) | (u64)(get16(b + 12) >> 12) << 16;
		}
	} else {
		f->fcw = get16(b + 0);
		f->fsw = get16(b + 4);
		f->ftw = abridged_tags(get16(b + 8));
		if (pm) {
			f->fip = get32(b + 12);
			f->fop = (get32(b + 16) >> 16) & 0x7ff;
			f->fdp = get32(b + 20);
		} else {
			f->fip = get16(b + 12) | (u64)((get32(b + 16) >> 12) & 0xffff) << 16;
			f->fop = get32(b + 16) & 0x7ff;
			f->fdp = get16(b + 20) | (u64)((get32(b + 24) >> 12) & 0xffff) << 16;
		}
	}
	f->fcw |= 0x0040;
	set_es(c);
}

static void h_fnstenv(struct cpu *c, const struct insn *i)
{
	fpu_check(c);
	u8 b[28];
	unsigned n = env_store(c, i, b);
	mem_write_bytes(c, insn_ea(c, i), b, n);
	F(c)->fcw |= FSW_EXC; /* FNSTENV masks all exceptions */
}

static void h_fldenv(struct cpu *c, const struct insn *i)
{
	fpu_check(c);
	fpu_wait_check(c);
	u8 b[28];
	mem_read_bytes(c, insn_ea(c, i), b, env_size(i));
	env_load(c, i, b);
}

static void h_fnsave(struct cpu *c, const struct insn *i)
{
	fpu_check(c);
	u8 b[108];
	unsigned n = env_store(c, i, b);
	for (unsigned k = 0; k < 8; k++)
		memcpy(b + n + 10 * k, F(c)->st[fpu_phys(c, k)], 10);
	mem_write_bytes(c, insn_ea(c, i), b, n + 80);
	fpu_init(c);
}

static void h_frstor(struct cpu *c, const struct insn *i)
{
	fpu_check(c);
	fpu_wait_check(c);
	u8 b[108];
	unsigned n = env_size(i);
	mem_read_bytes(c, insn_ea(c, i), b, n + 80);
	env_load(c, i, b);
	for (unsigned k = 0; k < 8; k++) {
		u8 *r = F(c)->st[fpu_phys(c, k)];
		memcpy(r, b + n + 10 * k, 10);
		memset(r + 10, 0, 6);
	}
}

/* ---- selectors ---- */

static insn_fn sel_d8(struct insn *i) /* also DC, DA, DE memory forms */
{
	if (i->rm == RM_MEM)
		return h_arith_mem;
	return h_arith_reg;
}

static insn_fn sel_d9(struct insn *i)
{
	if (i->rm == RM_MEM) {
		static const insn_fn f[8] = { h_fld_mem, NULL, h_fst_m32, h_fst_m32,
					      h_fldenv, h_fldcw, h_fnstenv, h_fnstcw };
		return f[i->ext];
	}
	u8 m = i->modrm;
	switch (i->ext) {
	case 0: return h_fld_st;
	case 1: return h_fxch;
	case 2: return m == 0xd0 ? h_fnop : NULL;
	case 3: return h_fst_st; /* FSTP1 alias */
	default: break;
	}
	switch (m) {
	case 0xe0: case 0xe1: return h_fchs_fabs;
	case 0xe4: return h_ftst;
	case 0xe5: return h_fxam;
	case 0xe8: case 0xe9: case 0xea: case 0xeb: case 0xec: case 0xed: case 0xee:
		return h_fldconst;
	case 0xf0: return h_f2xm1;
	case 0xf1: return h_fyl2x;
	case 0xf2: return h_fptan;
	case 0xf3: return h_fpatan;
	case 0xf4: return h_fxtract;
	case 0xf5: return h_fprem1;
	case 0xf6: case 0xf7: return h_fincdecstp;
	case 0xf8: return h_fprem;
	case 0xf9: return h_fyl2xp1;
	case 0xfa: return h_fsqrt;
	case 0xfb: return h_fsincos;
	case 0xfc: return h_frndint;
	case 0xfd: return h_fscale;
	case 0xfe: return h_fsin;
	case 0xff: return h_fcos;
	default: return NULL;
	}
}

static insn_fn sel_da(struct insn *i)
{
	if (i->rm == RM_MEM)
		return h_arith_mem;
	if (i->ext < 4)
		return h_fcmov;
	return i->modrm == 0xe9 ? h_fcompp : NULL;
}

static insn_fn sel_db(struct insn *i)
{
	if (i->rm == RM_MEM) {
		static const insn_fn f[8] = { h_fld_mem, h_fisttp_m32, h_fist_m32, h_fist_m32,
					      NULL, h_fld_m80, NULL, h_fstp_m80 };
		return f[i->ext];
	}
	if (i->ext < 4)
		return h_fcmov;
	switch (i->modrm) {
	case 0xe0: case 0xe1: case 0xe4: return h_fnop_ctl;
	case 0xe2: return h_fnclex;
	case 0xe3: return h_fninit;
	default: break;
	}
	if (i->ext == 5 || i->ext == 6)
		return h_fcomi;
	return NULL;
}

static insn_fn sel_dc(struct insn *i)
{
	return i->rm == RM_MEM ? h_arith_mem : h_arith_reg;
}

static insn_fn sel_dd(struct insn *i)
{
	if (i->rm == RM_MEM) {
		static const insn_fn f[8] = { h_fld_mem, h_fisttp_m64, h_fst_m64, h_fst_m64,
					      h_frstor, NULL, h_fnsave, h_fnstsw_mem };
		return f[i->ext];
	}
	switch (i->ext) {
	case 0: return h_ffree;
	case 1: return h_fxch;
	case 2: case 3: return h_fst_st;
	case 4: case 5: return h_fucom;
	default: return NULL;
	}
}

static insn_fn sel_de(struct insn *i)
{
	if (i->rm == RM_MEM)
		return h_arith_mem;
	if (i->ext == 3)
		return i->modrm == 0xd9 ? h_fcompp : NULL;
	return h_arith_reg;
}

static insn_fn sel_df(struct insn *i)
{
	if (i->rm == RM_MEM) {
		static const insn_fn f[8] = { h_fld_mem, h_fisttp_m16, h_fist_m16, h_fist_m16,
					      h_fld_mem, h_fld_mem, h_fbstp, h_fistp_m64 };
		return f[i->ext];
	}
	switch (i->ext) {
	case 0: return h_ffree; /* FFREEP */
	case 1: return h_fxch;
	case 2: case 3: return h_fst_st;
	case 4: return i->modrm == 0xe0 ? h_fnstsw_ax : NULL;
	case 5: case 6: return h_fcomi;
	default: return NULL;
	}
}

static insn_fn sel_9b(struct insn *i)
{
	(void)i;
	return h_fwait;
}

void ops_x87__register(void)
{
	op_register(MAP_1B, 0xd8, sel_d8, "fpu d8");
	op_register(MAP_1B, 0xd9, sel_d9, "fpu d9");
	op_register(MAP_1B, 0xda, sel_da, "fpu da");
	op_register(MAP_1B, 0xdb, sel_db, "fpu db");
	op_register(MAP_1B, 0xdc, sel_dc, "fpu dc");
	op_register(MAP_1B, 0xdd, sel_dd, "fpu dd");
	op_register(MAP_1B, 0xde, sel_de, "fpu de");
	op_register(MAP_1B, 0xdf, sel_df, "fpu df");
	op_register(MAP_1B, 0x9b, sel_9b, "fwait");
}
