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
#include "arch/x86/interp/fpu.h"
#include "arch/x86/interp/ops.h"

#define X87_CLOBBERS "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"
/* Every wrapper saves the host control word, runs the operation with the
 * guest's, reads the status word, stores its results and resets the host. */
#define X87_ENTER "fnstcw %[sv]\n\tfldcw %[cw]\n\tfnclex\n\t"
#define X87_LEAVE(stores) "fnstsw %[sw]\n\t" stores "\n\tfninit\n\tfldcw %[sv]"
/* The stores: results ST(0) -> r0, ST(1) -> r1. */
#define ST1 "fstpt %[r0]"
#define ST2 "fstpt %[r0]\n\tfstpt %[r1]"
#define ST0 ""

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
		__asm__ volatile(X87_ENTER "fldt %[b]\n\tfldt %[a]\n\t" insn "\n\t"        \
				 X87_LEAVE(stores)                                          \
				 : [sv] "=m"(sv), [sw] "=m"(sw), [r0] "=m"(*r0), [r1] "=m"(*r1) \
				 : [cw] "m"(cw), [a] "m"(*a), [b] "m"(*b)                   \
				 : X87_CLOBBERS);                                           \
		return sw;                                                               \
	}

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
				 X87_LEAVE(ST1)                                             \
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
		__asm__ volatile(X87_ENTER "fldt %[a]\n\t" insn "\n\t" X87_LEAVE(stores)     \
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
		__asm__ volatile(X87_ENTER insn "\n\t" X87_LEAVE(ST1)                        \
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
		__asm__ volatile(X87_ENTER "fldt %[a]\n\t" insn " %[m]\n\t" X87_LEAVE(ST1)   \
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

/* [memory type (f32, f64, i32, i16) * 8 + ModRM.reg] (3 = FCOMP uses com) */
static const xm_fn xm_tab[4 * 8] = {
#define XMROW(t) xm_add_##t, xm_mul_##t, xm_com_##t, xm_com_##t, xm_sub_##t, xm_subr_##t, xm_div_##t, xm_divr_##t
	XMROW(f32), XMROW(f64), XMROW(i32), XMROW(i16),
#undef XMROW
};

/* Loads from memory: r0 = convert(m). */
typedef u16 (*xl_fn)(u16 cw, const void *m, fx80 *r0);
#define XL(name, insn, T)                                                                \
	static u16 xl_##name(u16 cw, const void *m, fx80 *r0)                            \
	{                                                                                \
		u16 sv, sw;                                                              \
		__asm__ volatile(X87_ENTER insn " %[m]\n\t" X87_LEAVE(ST1)                   \
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
		__asm__ volatile(X87_ENTER "fldt %[a]\n\t" insn " %[m]\n\t" X87_LEAVE(ST0)   \
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

/* #UD/#NM as CR0 says, then a pending #MF: every waiting x87 instruction. */
static inline void fpu_check_wait(struct cpu *c)
{
	fpu_check(c);
	fpu_wait_check(c);
}

/* Start of every non-control x87 instruction: #NM, pending #MF, FIP/FOP. */
static inline void fpu_begin(struct cpu *c, const struct insn *i)
{
	fpu_check_wait(c);
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

/* ST(k), or the indefinite value if ST(k) is empty. */
static inline fx80 st_or_indef(struct cpu *c, unsigned k)
{
	return fpu_valid(c, k) ? fpu_get(c, k) : INDEF;
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

/* Push v, the result of an operation with host status sw (0 for a plain copy). */
static void push_value(struct cpu *c, fx80 v, u16 sw)
{
	if (!push_check(c))
		return;
	if (!fpu_status(c, sw, true))
		return;
	fpu_push(c, v);
}

/* FLD m32/m64, FILD m16/m32/m64, FBLD: push the converted memory operand. */
static inline void load_conv(struct cpu *c, const struct insn *i, xl_fn fn, unsigned size)
{
	fpu_begin(c, i);
	u64 ea = fpu_ea(c, i);
	union {
		u64 q;
		u8 b[10];
	} m;
	if (size == 10)
		mem_read_bytes(c, ea, m.b, 10);
	else
		m.q = mem_read(c, ea, size);
	fx80 v;
	u16 sw = fn(host_cw(c), &m, &v);
	push_value(c, v, sw);
}

static void h_fld_m32(struct cpu *c, const struct insn *i) { load_conv(c, i, xl_f32, 4); }   /* D9 /0 */
static void h_fld_m64(struct cpu *c, const struct insn *i) { load_conv(c, i, xl_f64, 8); }   /* DD /0 */
static void h_fild_m16(struct cpu *c, const struct insn *i) { load_conv(c, i, xl_i16, 2); }  /* DF /0 */
static void h_fild_m32(struct cpu *c, const struct insn *i) { load_conv(c, i, xl_i32, 4); }  /* DB /0 */
static void h_fild_m64(struct cpu *c, const struct insn *i) { load_conv(c, i, xl_i64, 8); }  /* DF /5 */
static void h_fbld(struct cpu *c, const struct insn *i) { load_conv(c, i, xl_bcd, 10); }     /* DF /4 */

/* FLD m80 (DB /5): no conversion, no exception. */
static void h_fld_m80(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	fx80 v = { 0 };
	mem_read_bytes(c, fpu_ea(c, i), &v, 10);
	push_value(c, v, 0);
}

/* FLD ST(i) (D9 C0+i) */
static void h_fld_st(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	unsigned r = i->modrm & 7;
	if (!fpu_valid(c, r)) { /* underflow is reported before overflow */
		if (stack_fault(c, false))
			fpu_push(c, INDEF);
		return;
	}
	push_value(c, fpu_get(c, r), 0);
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
			fpu_status(c, sw, true); /* sets ES and B */
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
	bool empty = !fpu_valid(c, 0);
	if (empty && !(F(c)->fcw & FSW_IE)) {
		stack_fault(c, false);
		return;
	}
	fx80 v = st_or_indef(c, 0);
	mem_write_bytes(c, ea, &v, 10);
	if (empty)
		stack_fault(c, false);
	else
		set_c1(c, false);
	fpu_pop(c);
}

/* FST ST(i) (DD D0+i), FSTP ST(i) (DD D8+i, D9 D8+i, DF D0+i, DF D8+i) */
static inline void fst_st(struct cpu *c, const struct insn *i, bool pop)
{
	fpu_begin(c, i);
	if (fpu_valid(c, 0))
		set_c1(c, false);
	else if (!stack_fault(c, false))
		return;
	fpu_set(c, i->modrm & 7, st_or_indef(c, 0));
	if (pop)
		fpu_pop(c);
}

static void h_fst_st(struct cpu *c, const struct insn *i) { fst_st(c, i, false); }
static void h_fstp_st(struct cpu *c, const struct insn *i) { fst_st(c, i, true); }

/* ---- arithmetic ---- */

enum { OP_ADD, OP_MUL, OP_COM, OP_COMP, OP_SUB, OP_SUBR, OP_DIV, OP_DIVR };

/*
 * ST(dst) = f(ST(ia), ST(ib)), then pop if `pop`; INDEF on a masked stack
 * underflow, nothing written on an unmasked exception.
 */
static void binary(struct cpu *c, x2_fn fn, unsigned ia, unsigned ib, unsigned dst, bool pop)
{
	fx80 r, r1;
	if (!fpu_valid(c, ia) || !fpu_valid(c, ib)) {
		if (!stack_fault(c, false))
			return;
		r = INDEF;
	} else {
		fx80 a = fpu_get(c, ia), b = fpu_get(c, ib);
		u16 sw = fn(host_cw(c), &a, &b, &r, &r1);
		if (!fpu_status(c, sw, true))
			return;
	}
	fpu_set(c, dst, r);
	if (pop)
		fpu_pop(c);
}

/* [ModRM.reg]: the two-register arithmetic operations (2, 3: compares) */
static const x2_fn x2_arith[8] = { x2_add, x2_mul, NULL, NULL, x2_sub, x2_subr, x2_div, x2_divr };

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

/*
 * D8, DC, DA, DE /r with a memory operand of `size` bytes: ST(0) = ST(0) OP m,
 * or compare (FCOM, FCOMP).  The selector put the xm_tab index in imm.
 */
static inline void arith_mem(struct cpu *c, const struct insn *i, unsigned size, bool cmp, bool pop)
{
	fpu_begin(c, i);
	u64 ea = fpu_ea(c, i);
	u64 m = mem_read(c, ea, size);
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
		u16 sw = xm_tab[i->imm](host_cw(c), &a, &m, &r);
		if (!fpu_status(c, sw, !cmp))
			return;
		if (cmp) {
			F(c)->fsw = (u16)((F(c)->fsw & ~FSW_CC) | (sw & (FSW_C0 | FSW_C2 | FSW_C3)));
		} else {
			fpu_set(c, 0, r);
		}
	}
	if (pop)
		fpu_pop(c);
}

#define ARITH_MEM(n)                                                                     \
	static void h_farith_m##n(struct cpu *c, const struct insn *i) { arith_mem(c, i, n, false, false); } \
	static void h_fcom_m##n(struct cpu *c, const struct insn *i) { arith_mem(c, i, n, true, false); }    \
	static void h_fcomp_m##n(struct cpu *c, const struct insn *i) { arith_mem(c, i, n, true, true); }
ARITH_MEM(2)
ARITH_MEM(4)
ARITH_MEM(8)

/* D8 /r: ST(0) = ST(0) OP ST(i) (op in imm) */
static void h_farith_st0(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	binary(c, x2_arith[i->imm], 0, i->modrm & 7, 0, false);
}

/* DC /r: ST(i) = ST(i) OP ST(0); DE /r: the same, then pop (imm: op relative to ST(i)) */
static void h_farith_sti(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	unsigned r = i->modrm & 7;
	binary(c, x2_arith[i->imm], r, 0, r, false);
}

static void h_farith_stip(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	unsigned r = i->modrm & 7;
	binary(c, x2_arith[i->imm], r, 0, r, true);
}

/* D8 D0+i, DC D0+i: FCOM ST(i); D8 D8+i, DC D8+i, DE D0+i: FCOMP ST(i) */
static void h_fcom_st(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	compare_reg(c, i->modrm & 7, false, false, 0);
}

static void h_fcomp_st(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	compare_reg(c, i->modrm & 7, false, false, 1);
}

/* DE D9: FCOMPP; DA E9: FUCOMPP */
static void h_fcompp(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	compare_reg(c, 1, false, false, 2);
}

static void h_fucompp(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	compare_reg(c, 1, true, false, 2);
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
	fx80 a = st_or_indef(c, 0), b = st_or_indef(c, r);
	if (fpu_valid(c, 0) && fpu_valid(c, r))
		set_c1(c, false);
	else if (!stack_fault(c, false))
		return;
	fpu_set(c, 0, b);
	fpu_set(c, r, a);
}

/* FCMOVcc: DA C0..DF (B, E, BE, U), DB C0..DF (NB, NE, NBE, NU); imm = cc */
static void h_fcmov(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	unsigned r = i->modrm & 7;
	bool cond = cond_eval(c, (unsigned)i->imm);
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

static inline void sign_op(struct cpu *c, const struct insn *i, bool abs)
{
	fpu_begin(c, i);
	fx80 v = st_or_indef(c, 0);
	if (fpu_valid(c, 0)) {
		if (abs)
			v.se &= 0x7fff;
		else
			v.se ^= 0x8000;
		set_c1(c, false);
	} else if (!stack_fault(c, false)) {
		return;
	}
	fpu_set(c, 0, v);
}

static void h_fchs(struct cpu *c, const struct insn *i) { sign_op(c, i, false); }
static void h_fabs(struct cpu *c, const struct insn *i) { sign_op(c, i, true); }

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

/* FXAM's C3/C2/C0 for a register (its sign goes to C1 separately). */
static u16 fx80_class(bool valid, fx80 v)
{
	unsigned exp = v.se & 0x7fff;
	bool j = v.mant >> 63;
	if (!valid)
		return FSW_C3 | FSW_C0; /* empty */
	if (exp == 0x7fff)
		return !j ? 0 : (v.mant << 1) ? FSW_C0 : (FSW_C2 | FSW_C0); /* unsupported, NaN, inf */
	if (exp == 0)
		return v.mant ? (FSW_C3 | FSW_C2) : FSW_C3; /* denormal, zero */
	return j ? FSW_C2 : 0; /* normal, unnormal */
}

static void h_fxam(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	fx80 v = fpu_get(c, 0);
	u16 cc = fx80_class(fpu_valid(c, 0), v);
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
	bool valid = fpu_valid(c, 0);
	if (!valid || fpu_valid_phys(c, (fpu_top(c) - 1) & 7)) { /* underflow, else overflow */
		if (stack_fault(c, valid)) {
			fpu_set(c, 0, INDEF);
			fpu_push(c, INDEF);
		}
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
		put16(env + 0, cw);
		put16(env + 4, sw0);
		put16(env + 8, tags);
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

/* FSCALE: ST(0) = f(ST(0), ST(1)) */
static void h_fscale(struct cpu *c, const struct insn *i) { fpu_begin(c, i); binary(c, x2_scale, 0, 1, 0, false); }

/* FPATAN, FYL2X, FYL2XP1: ST(1) = f(ST(1), ST(0)), pop. */
static void h_fpatan(struct cpu *c, const struct insn *i) { fpu_begin(c, i); binary(c, x2_patan, 0, 1, 1, true); }
static void h_fyl2x(struct cpu *c, const struct insn *i) { fpu_begin(c, i); binary(c, x2_yl2x, 0, 1, 1, true); }
static void h_fyl2xp1(struct cpu *c, const struct insn *i) { fpu_begin(c, i); binary(c, x2_yl2xp1, 0, 1, 1, true); }

/* FINCSTP (imm = 1), FDECSTP (imm = 7) */
static void h_fincdecstp(struct cpu *c, const struct insn *i)
{
	fpu_begin(c, i);
	fpu_set_top(c, fpu_top(c) + (unsigned)i->imm);
	set_c1(c, false);
}

/* FFREE ST(i) (DD C0+i), FFREEP (DF C0+i) */
static inline void ffree(struct cpu *c, const struct insn *i, bool pop)
{
	fpu_begin(c, i);
	F(c)->ftw &= (u8) ~(1u << fpu_phys(c, i->modrm & 7));
	set_c1(c, false);
	if (pop)
		fpu_pop(c);
}

static void h_ffree(struct cpu *c, const struct insn *i) { ffree(c, i, false); }
static void h_ffreep(struct cpu *c, const struct insn *i) { ffree(c, i, true); }

/* ---- control instructions (no FIP/FOP update) ---- */

static void h_fldcw(struct cpu *c, const struct insn *i)
{
	fpu_check_wait(c);
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
	switch (fx80_class(fpu_valid_phys(c, p), fpu_get_phys(c, p))) {
	case FSW_C3 | FSW_C0: return 3; /* empty */
	case FSW_C3: return 1;          /* zero */
	case FSW_C2: return 0;          /* normal */
	default: return 2;              /* special */
	}
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

/*
 * The x87 environment image: 7 slots of 2 bytes (16-bit operand size,
 * 14 bytes) or 4 bytes (28).  The 16-bit image holds the low half of each
 * 32-bit slot.
 */
static unsigned env_size(const struct insn *i)
{
	return i->opsize == 2 ? 14 : 28;
}

static void env_store(struct cpu *c, const struct insn *i, u8 *b)
{
	struct encore_fpu_state *f = F(c);
	unsigned w = env_size(i) / 7;
	u32 s[7] = { 0xffff0000u | f->fcw, 0xffff0000u | f->fsw, 0xffff0000u | full_tag_word(c) };
	if (c->s.cr0 & CR0_PE) {
		s[3] = (u32)f->fip;
		s[4] = (u32)(f->fop & 0x7ff) << 16;
		s[5] = (u32)f->fdp;
		s[6] = 0xffff0000u;
	} else {
		s[3] = 0xffff0000u | (u16)f->fip;
		s[4] = (u32)((f->fip >> 16) & 0xffff) << 12 | (f->fop & 0x7ff);
		s[5] = 0xffff0000u | (u16)f->fdp;
		s[6] = (u32)((f->fdp >> 16) & 0xffff) << 12;
	}
	for (unsigned k = 0; k < 7; k++)
		memcpy(b + k * w, &s[k], w);
}

static void env_load(struct cpu *c, const struct insn *i, const u8 *b)
{
	struct encore_fpu_state *f = F(c);
	unsigned w = env_size(i) / 7;
	u32 s[7] = { 0 };
	for (unsigned k = 0; k < 7; k++)
		memcpy(&s[k], b + k * w, w);
	f->fcw = (u16)s[0];
	f->fsw = (u16)s[1];
	f->ftw = abridged_tags((u16)s[2]);
	if (c->s.cr0 & CR0_PE) {
		f->fip = s[3];
		if (w == 4) /* the 16-bit image has no opcode */
			f->fop = (s[4] >> 16) & 0x7ff;
		f->fdp = s[5];
	} else {
		f->fip = (u16)s[3] | (u64)((s[4] >> 12) & 0xffff) << 16;
		f->fop = s[4] & 0x7ff;
		f->fdp = (u16)s[5] | (u64)((s[6] >> 12) & 0xffff) << 16;
	}
	f->fcw |= 0x0040;
	set_es(c);
}

static void h_fnstenv(struct cpu *c, const struct insn *i)
{
	fpu_check(c);
	u8 b[28];
	env_store(c, i, b);
	mem_write_bytes(c, insn_ea(c, i), b, env_size(i));
	F(c)->fcw |= FSW_EXC; /* FNSTENV masks all exceptions */
}

static void h_fldenv(struct cpu *c, const struct insn *i)
{
	fpu_check_wait(c);
	u8 b[28];
	mem_read_bytes(c, insn_ea(c, i), b, env_size(i));
	env_load(c, i, b);
}

static void h_fnsave(struct cpu *c, const struct insn *i)
{
	fpu_check(c);
	u8 b[108];
	unsigned n = env_size(i);
	env_store(c, i, b);
	for (unsigned k = 0; k < 8; k++)
		memcpy(b + n + 10 * k, F(c)->st[fpu_phys(c, k)], 10);
	mem_write_bytes(c, insn_ea(c, i), b, n + 80);
	fpu_init(c);
}

static void h_frstor(struct cpu *c, const struct insn *i)
{
	fpu_check_wait(c);
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

/* D8, DC, DA, DE /r with a memory operand: imm = the xm_tab index. */
static insn_fn sel_arith_mem(struct insn *i)
{
	static const insn_fn f[4][3] = { /* [f32, f64, i32, i16][arith, FCOM, FCOMP] */
		{ h_farith_m4, h_fcom_m4, h_fcomp_m4 },
		{ h_farith_m8, h_fcom_m8, h_fcomp_m8 },
		{ h_farith_m4, h_fcom_m4, h_fcomp_m4 },
		{ h_farith_m2, h_fcom_m2, h_fcomp_m2 },
	};
	unsigned t = i->op == 0xd8 ? 0 : i->op == 0xdc ? 1 : i->op == 0xda ? 2 : 3;
	i->imm = t * 8 + i->ext;
	return f[t][i->ext == OP_COM ? 1 : i->ext == OP_COMP ? 2 : 0];
}

/* D8, DC, DE /r with a register operand (but DE D8+i). */
static insn_fn sel_arith_reg(struct insn *i)
{
	unsigned op = i->ext;
	if (op == OP_COM || op == OP_COMP) /* DE D0+i (FCOMP5) pops like FCOMP */
		return op == OP_COMP || i->op == 0xde ? h_fcomp_st : h_fcom_st;
	if (i->op == 0xd8) {
		i->imm = op;
		return h_farith_st0;
	}
	/*
	 * DC/DE: destination ST(i).  E0+i computes ST(0) - ST(i) into ST(i),
	 * i.e. the reverse operation relative to the destination: swap
	 * SUB/SUBR and DIV/DIVR.
	 */
	i->imm = op >= 4 ? op ^ 1 : op;
	return i->op == 0xde ? h_farith_stip : h_farith_sti;
}

/* FCMOVcc (DA/DB C0..DF): imm = the condition code (DB: negated) */
static insn_fn sel_fcmov(struct insn *i)
{
	static const u8 cc[4] = { 0x2, 0x4, 0x6, 0xa }; /* B, E, BE, P */
	i->imm = cc[i->ext & 3] | (i->op == 0xdb ? 1 : 0);
	return h_fcmov;
}

static insn_fn sel_d8(struct insn *i)
{
	if (i->rm == RM_MEM)
		return sel_arith_mem(i);
	return sel_arith_reg(i);
}

static insn_fn sel_d9(struct insn *i)
{
	if (i->rm == RM_MEM) {
		static const insn_fn f[8] = { h_fld_m32, NULL, h_fst_m32, h_fst_m32,
					      h_fldenv, h_fldcw, h_fnstenv, h_fnstcw };
		return f[i->ext];
	}
	u8 m = i->modrm;
	switch (i->ext) {
	case 0: return h_fld_st;
	case 1: return h_fxch;
	case 2: return m == 0xd0 ? h_fnop : NULL;
	case 3: return h_fstp_st; /* FSTP1 alias */
	default: break;
	}
	switch (m) {
	case 0xe0: return h_fchs;
	case 0xe1: return h_fabs;
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
	case 0xf6: case 0xf7:
		i->imm = m == 0xf7 ? 1 : 7;
		return h_fincdecstp;
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
		return sel_arith_mem(i);
	if (i->ext < 4)
		return sel_fcmov(i);
	return i->modrm == 0xe9 ? h_fucompp : NULL;
}

static insn_fn sel_db(struct insn *i)
{
	if (i->rm == RM_MEM) {
		static const insn_fn f[8] = { h_fild_m32, h_fisttp_m32, h_fist_m32, h_fist_m32,
					      NULL, h_fld_m80, NULL, h_fstp_m80 };
		return f[i->ext];
	}
	if (i->ext < 4)
		return sel_fcmov(i);
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

static insn_fn sel_dd(struct insn *i)
{
	if (i->rm == RM_MEM) {
		static const insn_fn f[8] = { h_fld_m64, h_fisttp_m64, h_fst_m64, h_fst_m64,
					      h_frstor, NULL, h_fnsave, h_fnstsw_mem };
		return f[i->ext];
	}
	switch (i->ext) {
	case 0: return h_ffree;
	case 1: return h_fxch;
	case 2: return h_fst_st;
	case 3: return h_fstp_st;
	case 4: case 5: return h_fucom;
	default: return NULL;
	}
}

static insn_fn sel_de(struct insn *i)
{
	if (i->rm == RM_MEM)
		return sel_arith_mem(i);
	if (i->ext == 3)
		return i->modrm == 0xd9 ? h_fcompp : NULL;
	return sel_arith_reg(i);
}

static insn_fn sel_df(struct insn *i)
{
	if (i->rm == RM_MEM) {
		static const insn_fn f[8] = { h_fild_m16, h_fisttp_m16, h_fist_m16, h_fist_m16,
					      h_fbld, h_fild_m64, h_fbstp, h_fistp_m64 };
		return f[i->ext];
	}
	switch (i->ext) {
	case 0: return h_ffreep;
	case 1: return h_fxch;
	case 2: case 3: return h_fstp_st;
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
	op_register(MAP_1B, 0xdc, sel_d8, "fpu dc");
	op_register(MAP_1B, 0xdd, sel_dd, "fpu dd");
	op_register(MAP_1B, 0xde, sel_de, "fpu de");
	op_register(MAP_1B, 0xdf, sel_df, "fpu df");
	op_register(MAP_1B, 0x9b, sel_9b, "fwait");
}
