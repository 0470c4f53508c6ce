/*
 * SSE/SSE2 instructions and the MMX-register forms of the integer SIMD
 * instructions, plus LDMXCSR/STMXCSR, FXSAVE/FXRSTOR, fences, CLFLUSH,
 * PREFETCHh and MOVNTI.
 *
 * Floating-point operations run the host's own SSE instruction with the
 * host MXCSR temporarily set to the guest's rounding mode, DAZ and FTZ and
 * all exceptions masked (see host_* below); the exception flags the host
 * raises are merged into the guest MXCSR, and an unmasked one raises #XM
 * (or #UD without CR4.OSXMMEXCPT) before the destination is written.
 * Integer SIMD operations are plain C.
 */
#include "arch/x86/interp/fpu.h"
#include "arch/x86/interp/ops.h"

typedef union {
	u8 b[16];
	u16 w[8];
	u32 d[4];
	u64 q[2];
	i8 sb[16];
	i16 sw[8];
	i32 sd[4];
	i64 sq[2];
} v128;

/* Mandatory-prefix class: 0 none, 1 = 66, 2 = F3, 3 = F2. */
enum { PK_NONE, PK_66, PK_F3, PK_F2 };

static inline unsigned pk(u8 pfx)
{
	if (pfx & PFX_REPNE)
		return PK_F2;
	if (pfx & PFX_REP)
		return PK_F3;
	if (pfx & PFX_OPSIZE)
		return PK_66;
	return PK_NONE;
}

static inline bool is_mem(const struct insn *i)
{
	return i->rm == RM_MEM;
}

static inline unsigned gpr_size(const struct insn *i)
{
	return (i->pfx & PFX_REXW) ? 8 : 4;
}

/* ---- operand access ---- */

static u64 ea_aligned(struct cpu *c, const struct insn *i, unsigned align)
{
	u64 ea = insn_ea(c, i);
	if (unlikely(ea & (align - 1)))
		raise_gp(c, 0);
	return ea;
}

/* The XMM r/m source: a register, or `size` (4, 8, 16) bytes of memory zero-extended. */
static void xmm_src(struct cpu *c, const struct insn *i, v128 *s, unsigned size, bool align)
{
	if (!is_mem(i)) {
		memcpy(s, xmm_reg(c, i->rm), 16);
		return;
	}
	u64 ea = insn_ea(c, i);
	if (size == 16) {
		if (align && unlikely(ea & 15))
			raise_gp(c, 0);
		mem_read_bytes(c, ea, s, 16);
	} else {
		s->q[0] = mem_read(c, ea, size);
		s->q[1] = 0;
	}
}

/* The MMX r/m source (64 bits, or 32 for the MMX PUNPCKL* memory forms). */
static u64 mmx_src(struct cpu *c, const struct insn *i, unsigned size)
{
	if (!is_mem(i))
		return mmx_read(c, i->rm);
	return mem_read(c, insn_ea(c, i), size);
}

static inline void xmm_get(struct cpu *c, unsigned r, v128 *v)
{
	memcpy(v, xmm_reg(c, r), 16);
}

static inline void xmm_put(struct cpu *c, unsigned r, const v128 *v)
{
	memcpy(xmm_reg(c, r), v, 16);
}

/* ---- host execution of floating-point SSE instructions ---- */

typedef u32 (*host_fn)(v128 *d, const v128 *s, u32 csr);

/*
 * Every host_* body is wrapped in these: save the host MXCSR in [sv] and
 * load the guest's [cs]; then read the flags raised into [o] and restore.
 */
#define MXCSR_ENTER "stmxcsr %[sv]\n\tldmxcsr %[cs]\n\t"
#define MXCSR_LEAVE "stmxcsr %[o]\n\tldmxcsr %[sv]"

/* d = d OP s, as the host's `insn %xmm1, %xmm0` computes it under MXCSR csr. */
#define HOST(name, insn)                                                              \
	static u32 host_##name(v128 *d, const v128 *s, u32 csr)                          \
	{                                                                             \
		u32 save, out;                                                        \
		__asm__ volatile(MXCSR_ENTER                                            \
				 "movdqu %[d], %%xmm0\n\t"                             \
				 "movdqu %[s], %%xmm1\n\t" insn " %%xmm1, %%xmm0\n\t" \
				 "movdqu %%xmm0, %[d]\n\t"                             \
				 MXCSR_LEAVE                                           \
				 : [d] "+m"(*d), [sv] "=m"(save), [o] "=m"(out)       \
				 : [s] "m"(*s), [cs] "m"(csr)                          \
				 : "xmm0", "xmm1");                                    \
		return out;                                                           \
	}

#define HOST4(op) HOST(op##ps, #op "ps") HOST(op##ss, #op "ss") HOST(op##pd, #op "pd") HOST(op##sd, #op "sd")
HOST4(add)
HOST4(sub)
HOST4(mul)
HOST4(div)
HOST4(min)
HOST4(max)
HOST4(sqrt)
HOST(rcpps, "rcpps")
HOST(rcpss, "rcpss")
HOST(rsqrtps, "rsqrtps")
HOST(rsqrtss, "rsqrtss")
HOST(cvtps2pd, "cvtps2pd")
HOST(cvtpd2ps, "cvtpd2ps")
HOST(cvtss2sd, "cvtss2sd")
HOST(cvtsd2ss, "cvtsd2ss")
HOST(cvtdq2ps, "cvtdq2ps")
HOST(cvtps2dq, "cvtps2dq")
HOST(cvttps2dq, "cvttps2dq")
HOST(cvttpd2dq, "cvttpd2dq")
HOST(cvtdq2pd, "cvtdq2pd")
HOST(cvtpd2dq, "cvtpd2dq")

#define HOSTCMP(p) HOST(cmpps##p, "cmpps $" #p ",") HOST(cmpss##p, "cmpss $" #p ",") \
	HOST(cmppd##p, "cmppd $" #p ",") HOST(cmpsd##p, "cmpsd $" #p ",")
HOSTCMP(0)
HOSTCMP(1)
HOSTCMP(2)
HOSTCMP(3)
HOSTCMP(4)
HOSTCMP(5)
HOSTCMP(6)
HOSTCMP(7)

/* [prefix class * 8 + predicate] */
static const host_fn cmp_fns[4 * 8] = {
#define CMPROW(k, t) [k * 8] = host_cmp##t##0, host_cmp##t##1, host_cmp##t##2, host_cmp##t##3, \
		       host_cmp##t##4, host_cmp##t##5, host_cmp##t##6, host_cmp##t##7
	CMPROW(PK_NONE, ps), CMPROW(PK_66, pd), CMPROW(PK_F3, ss), CMPROW(PK_F2, sd),
#undef CMPROW
};

/* Integer -> scalar float: xmm0 low lane = convert(v). */
#define HOST_I2F(name, insn, mod)                                                     \
	static u32 host_##name(v128 *d, u64 v, u32 csr)                                  \
	{                                                                             \
		u32 save, out;                                                        \
		__asm__ volatile(MXCSR_ENTER                                            \
				 "movdqu %[d], %%xmm0\n\t" insn " %" mod "[v], %%xmm0\n\t" \
				 "movdqu %%xmm0, %[d]\n\t"                             \
				 MXCSR_LEAVE                                           \
				 : [d] "+m"(*d), [sv] "=m"(save), [o] "=m"(out)       \
				 : [v] "r"(v), [cs] "m"(csr)                           \
				 : "xmm0");                                            \
		return out;                                                           \
	}
HOST_I2F(cvtsi2ss32, "cvtsi2ssl", "k")
HOST_I2F(cvtsi2ss64, "cvtsi2ssq", "q")
HOST_I2F(cvtsi2sd32, "cvtsi2sdl", "k")
HOST_I2F(cvtsi2sd64, "cvtsi2sdq", "q")

/* Scalar float -> integer register. */
#define HOST_F2I(name, insn, mod)                                                     \
	static u32 host_##name(const v128 *s, u64 *r, u32 csr)                           \
	{                                                                             \
		u32 save, out;                                                        \
		u64 v = 0;                                                            \
		__asm__ volatile(MXCSR_ENTER                                            \
				 "movdqu %[s], %%xmm1\n\t" insn " %%xmm1, %" mod "[v]\n\t" \
				 MXCSR_LEAVE                                           \
				 : [v] "+r"(v), [sv] "=m"(save), [o] "=m"(out)        \
				 : [s] "m"(*s), [cs] "m"(csr)                          \
				 : "xmm1");                                            \
		*r = v;                                                               \
		return out;                                                           \
	}
HOST_F2I(cvtss2si32, "cvtss2si", "k")
HOST_F2I(cvtss2si64, "cvtss2si", "q")
HOST_F2I(cvttss2si32, "cvttss2si", "k")
HOST_F2I(cvttss2si64, "cvttss2si", "q")
HOST_F2I(cvtsd2si32, "cvtsd2si", "k")
HOST_F2I(cvtsd2si64, "cvtsd2si", "q")
HOST_F2I(cvttsd2si32, "cvttsd2si", "k")
HOST_F2I(cvttsd2si64, "cvttsd2si", "q")

/* COMISS/UCOMISS/COMISD/UCOMISD: returns MXCSR, *fl = ZF|PF|CF. */
#define HOST_COMI(name, insn)                                                         \
	static u32 host_##name(const v128 *d, const v128 *s, u64 *fl, u32 csr)           \
	{                                                                             \
		u32 save, out;                                                        \
		u8 zf, pf, cf;                                                        \
		__asm__ volatile(MXCSR_ENTER                                            \
				 "movdqu %[d], %%xmm0\n\t"                             \
				 "movdqu %[s], %%xmm1\n\t" insn " %%xmm1, %%xmm0\n\t" \
				 MXCSR_LEAVE                                           \
				 : "=@ccz"(zf), "=@ccp"(pf), "=@ccc"(cf), [sv] "=m"(save), \
				   [o] "=m"(out)                                       \
				 : [d] "m"(*d), [s] "m"(*s), [cs] "m"(csr)             \
				 : "xmm0", "xmm1");                                    \
		*fl = (zf ? RF_ZF : 0) | (pf ? RF_PF : 0) | (cf ? RF_CF : 0);         \
		return out;                                                           \
	}
HOST_COMI(comiss, "comiss")
HOST_COMI(ucomiss, "ucomiss")
HOST_COMI(comisd, "comisd")
HOST_COMI(ucomisd, "ucomisd")

/* ---- floating-point arithmetic table: [opcode][prefix class] ---- */

struct fp_ent {
	host_fn fn;
	u8 msize; /* memory operand size; 16 = aligned m128 */
};
static struct fp_ent fp_tab[256][4];

static void h_fp(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	const struct fp_ent *e = &fp_tab[i->op][i->imm];
	v128 s, d;
	xmm_src(c, i, &s, e->msize, true);
	xmm_get(c, i->reg, &d);
	if (unlikely(!(c->s.fpu.mxcsr & MXCSR_UM))) {
		/*
		 * Underflow unmasked: UE is due for any tiny result, exact or
		 * not, while the masked host only flags tiny and inexact ones.
		 * With FTZ the host flags every tiny result, so ask it that way.
		 */
		v128 t = d;
		u32 ue = e->fn(&t, &s, sse_host_mxcsr(c) | MXCSR_FTZ) & MXCSR_UE;
		if (ue)
			sse_commit_flags(c, ue);
	}
	u32 f = e->fn(&d, &s, sse_host_mxcsr(c));
	sse_commit_flags(c, f);
	xmm_put(c, i->reg, &d);
}

static insn_fn sel_fp(struct insn *i)
{
	i->imm = pk(i->pfx);
	return fp_tab[i->op][i->imm].fn ? h_fp : NULL;
}

static void h_cmp(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	static const u8 msz[4] = { 16, 16, 4, 8 };
	v128 s, d;
	xmm_src(c, i, &s, msz[i->imm >> 3], true);
	xmm_get(c, i->reg, &d);
	u32 f = cmp_fns[i->imm](&d, &s, sse_host_mxcsr(c));
	sse_commit_flags(c, f);
	xmm_put(c, i->reg, &d);
}

static insn_fn sel_cmp(struct insn *i)
{
	i->imm = pk(i->pfx) * 8 + (i->imm & 7);
	return h_cmp;
}

/* COMIS/UCOMIS: 0F 2E (ucomi), 0F 2F (comi); 66 = double. */
static const struct {
	u32 (*fn)(const v128 *d, const v128 *s, u64 *fl, u32 csr);
	u8 msize;
} comi_tab[4] = { /* [double * 2 + comi] */
	{ host_ucomiss, 4 }, { host_comiss, 4 }, { host_ucomisd, 8 }, { host_comisd, 8 },
};

static void h_comi(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s, d;
	u64 fl;
	xmm_src(c, i, &s, comi_tab[i->imm].msize, false);
	xmm_get(c, i->reg, &d);
	u32 f = comi_tab[i->imm].fn(&d, &s, &fl, sse_host_mxcsr(c));
	sse_commit_flags(c, f);
	flags_set(c, fl, RF_ARITH);
}

static insn_fn sel_comi(struct insn *i)
{
	unsigned k = pk(i->pfx);
	i->imm = (k == PK_66) * 2 + (i->op == 0x2f);
	return k == PK_NONE || k == PK_66 ? h_comi : NULL;
}

/* 0F 2A: CVTPI2PS / CVTPI2PD / CVTSI2SS / CVTSI2SD */
static void h_cvtpi2ps(struct cpu *c, const struct insn *i)
{
	/*
	 * The SDM says CVTPI2PS always makes the MMX transition; hardware
	 * (checked on a Sapphire Rapids host) leaves TOP and the tags alone
	 * for a memory source, like CVTPI2PD: encore follows the hardware.
	 */
	sse_check(c);
	if (!is_mem(i))
		fpu_wait_check(c);
	v128 s = { .q = { mmx_src(c, i, 8), 0 } }, t = { .q = { 0, 0 } }, d;
	u32 f = host_cvtdq2ps(&t, &s, sse_host_mxcsr(c));
	sse_commit_flags(c, f);
	if (!is_mem(i))
		mmx_enter(c);
	xmm_get(c, i->reg, &d);
	d.q[0] = t.q[0];
	xmm_put(c, i->reg, &d);
}

static void h_cvtpi2pd(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	if (!is_mem(i)) /* the memory form is pure SSE */
		fpu_wait_check(c);
	v128 s = { .q = { mmx_src(c, i, 8), 0 } }, t = { .q = { 0, 0 } };
	if (!is_mem(i))
		mmx_enter(c);
	host_cvtdq2pd(&t, &s, sse_host_mxcsr(c)); /* exact, no exceptions */
	xmm_put(c, i->reg, &t);
}

/* CVTSI2SS/SD: [double * 2 + REX.W] */
static u32 (*const cvtsi2s_fns[4])(v128 *d, u64 v, u32 csr) = {
	host_cvtsi2ss32, host_cvtsi2ss64, host_cvtsi2sd32, host_cvtsi2sd64,
};

static void h_cvtsi2s(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	u64 v = rm_read(c, i, gpr_size(i));
	v128 d;
	xmm_get(c, i->reg, &d);
	u32 f = cvtsi2s_fns[i->imm](&d, v, sse_host_mxcsr(c));
	sse_commit_flags(c, f);
	xmm_put(c, i->reg, &d);
}

static insn_fn sel_2a(struct insn *i)
{
	static const insn_fn f[4] = { h_cvtpi2ps, h_cvtpi2pd, h_cvtsi2s, h_cvtsi2s };
	unsigned k = pk(i->pfx);
	i->imm = (k == PK_F2) * 2 + (gpr_size(i) == 8);
	return f[k];
}

/*
 * 0F 2C/2D: CVT(T)PS2PI, CVT(T)PD2PI, CVT(T)SS2SI, CVT(T)SD2SI.
 * The selector sets imm: bit 0 = 2D (rounding, not truncating); for the
 * 2SI forms also bit 1 = REX.W and bit 2 = double.
 */
static const host_fn cvtps2pi_fns[2] = { host_cvttps2dq, host_cvtps2dq };
static const host_fn cvtpd2pi_fns[2] = { host_cvttpd2dq, host_cvtpd2dq };

static void h_cvtps2pi(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	fpu_wait_check(c);
	v128 s, t = { .q = { 0, 0 } };
	xmm_src(c, i, &s, 8, false);
	s.q[1] = 0; /* the upper lanes convert 0.0 exactly */
	u32 f = cvtps2pi_fns[i->imm](&t, &s, sse_host_mxcsr(c));
	sse_commit_flags(c, f);
	mmx_enter(c);
	mmx_write(c, i->reg, t.q[0]);
}

static void h_cvtpd2pi(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	fpu_wait_check(c);
	v128 s, t = { .q = { 0, 0 } };
	xmm_src(c, i, &s, 16, true);
	u32 f = cvtpd2pi_fns[i->imm](&t, &s, sse_host_mxcsr(c));
	sse_commit_flags(c, f);
	mmx_enter(c);
	mmx_write(c, i->reg, t.q[0]);
}

static u32 (*const cvts2si_fns[8])(const v128 *s, u64 *r, u32 csr) = {
	host_cvttss2si32, host_cvtss2si32, host_cvttss2si64, host_cvtss2si64,
	host_cvttsd2si32, host_cvtsd2si32, host_cvttsd2si64, host_cvtsd2si64,
};

static void h_cvts2si(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s;
	u64 r;
	xmm_src(c, i, &s, i->imm & 4 ? 8 : 4, false);
	u32 f = cvts2si_fns[i->imm](&s, &r, sse_host_mxcsr(c));
	sse_commit_flags(c, f);
	reg_write(c, i->reg, gpr_size(i), r);
}

static insn_fn sel_2c(struct insn *i)
{
	static const insn_fn f[4] = { h_cvtps2pi, h_cvtpd2pi, h_cvts2si, h_cvts2si };
	unsigned k = pk(i->pfx);
	i->imm = (i->op == 0x2d) + (k >= PK_F3 ? (gpr_size(i) == 8) * 2 + (k == PK_F2) * 4 : 0);
	return f[k];
}

/* ---- moves ---- */

/*
 * 128-bit moves: MOVUPS/MOVUPD (0F 10/11), MOVAPS/MOVAPD (0F 28/29),
 * MOVDQU (F3 0F 6F/7F), MOVDQA (66 0F 6F/7F).
 */
static void h_mov128_load(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s;
	xmm_src(c, i, &s, 16, false);
	xmm_put(c, i->reg, &s);
}

static void h_mov128_load_aligned(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s;
	xmm_src(c, i, &s, 16, true);
	xmm_put(c, i->reg, &s);
}

static void h_mov128_store(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	if (!is_mem(i))
		memcpy(xmm_reg(c, i->rm), xmm_reg(c, i->reg), 16);
	else
		mem_write_bytes(c, insn_ea(c, i), xmm_reg(c, i->reg), 16);
}

static void h_mov128_store_aligned(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	if (!is_mem(i))
		memcpy(xmm_reg(c, i->rm), xmm_reg(c, i->reg), 16);
	else
		mem_write_bytes(c, ea_aligned(c, i, 16), xmm_reg(c, i->reg), 16);
}

/* MOVSS/MOVSD (F3/F2 0F 10/11): imm = 4 or 8 bytes. */
static void h_movs_load(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s, d;
	xmm_src(c, i, &s, (unsigned)i->imm, false); /* memory: zero-extended */
	if (!is_mem(i)) { /* register: merged into the destination */
		xmm_get(c, i->reg, &d);
		memcpy(&d, &s, i->imm);
		s = d;
	}
	xmm_put(c, i->reg, &s);
}

static void h_movs_store(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	unsigned n = (unsigned)i->imm;
	u64 v = 0;
	memcpy(&v, xmm_reg(c, i->reg), n);
	if (is_mem(i))
		mem_write(c, insn_ea(c, i), n, v);
	else
		memcpy(xmm_reg(c, i->rm), &v, n);
}

static insn_fn sel_10(struct insn *i)
{
	static const insn_fn f[4] = { h_mov128_load, h_mov128_load, h_movs_load, h_movs_load };
	unsigned k = pk(i->pfx);
	i->imm = k == PK_F2 ? 8 : 4;
	return f[k];
}

static insn_fn sel_11(struct insn *i)
{
	static const insn_fn f[4] = { h_mov128_store, h_mov128_store, h_movs_store, h_movs_store };
	unsigned k = pk(i->pfx);
	i->imm = k == PK_F2 ? 8 : 4;
	return f[k];
}

static insn_fn sel_28(struct insn *i)
{
	unsigned k = pk(i->pfx);
	if (k != PK_NONE && k != PK_66)
		return NULL;
	return i->op == 0x28 ? h_mov128_load_aligned : h_mov128_store_aligned;
}

/*
 * 0F 12: MOVLPS/MOVLPD xmm, m64 or MOVHLPS xmm, xmm; 0F 16: MOVHPS/MOVHPD/MOVLHPS.
 * imm = byte offset of the destination half written (0 or 8).
 */
static void h_movlps_load(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	u64 v;
	if (is_mem(i))
		v = mem_read64(c, insn_ea(c, i));
	else /* MOVHLPS takes the source's high half, MOVLHPS its low half */
		memcpy(&v, xmm_reg(c, i->rm) + (8 - i->imm), 8);
	memcpy(xmm_reg(c, i->reg) + i->imm, &v, 8);
}

/* 0F 13 / 0F 17: MOVLPS/MOVLPD/MOVHPS/MOVHPD m64, xmm; imm = source half's offset */
static void h_movlps_store(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	u64 v;
	memcpy(&v, xmm_reg(c, i->reg) + i->imm, 8);
	mem_write64(c, insn_ea(c, i), v);
}

static insn_fn sel_12(struct insn *i)
{
	unsigned k = pk(i->pfx);
	i->imm = i->op == 0x16 ? 8 : 0;
	if (k == PK_NONE)
		return h_movlps_load;
	if (k == PK_66 && is_mem(i))
		return h_movlps_load;
	return NULL;
}

static insn_fn sel_13(struct insn *i)
{
	unsigned k = pk(i->pfx);
	i->imm = i->op == 0x17 ? 8 : 0;
	if ((k == PK_NONE || k == PK_66) && is_mem(i))
		return h_movlps_store;
	return NULL;
}

/* 0F 2B: MOVNTPS/MOVNTPD; 66 0F E7: MOVNTDQ */
static void h_movnt128(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	mem_write_bytes(c, ea_aligned(c, i, 16), xmm_reg(c, i->reg), 16);
}

static insn_fn sel_2b(struct insn *i)
{
	unsigned k = pk(i->pfx);
	return (k == PK_NONE || k == PK_66) && is_mem(i) ? h_movnt128 : NULL;
}

/* 0F 50: MOVMSKPS/MOVMSKPD r32, xmm */
static void h_movmskps(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s;
	xmm_get(c, i->rm, &s);
	u32 m = 0;
	for (int k = 0; k < 4; k++)
		m |= (s.d[k] >> 31) << k;
	reg_write(c, i->reg, 4, m);
}

static void h_movmskpd(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s;
	xmm_get(c, i->rm, &s);
	reg_write(c, i->reg, 4, (u32)(s.q[0] >> 63) | (u32)(s.q[1] >> 63) << 1);
}

static insn_fn sel_50(struct insn *i)
{
	unsigned k = pk(i->pfx);
	if (is_mem(i))
		return NULL;
	return k == PK_NONE ? h_movmskps : k == PK_66 ? h_movmskpd : NULL;
}

/* ---- integer SIMD operations (n = 8 for MMX, 16 for XMM) ---- */

typedef void (*iop_fn)(v128 *d, const v128 *s, unsigned n);

static inline u8 sat_u8(int v) { return v < 0 ? 0 : v > 255 ? 255 : (u8)v; }
static inline i8 sat_s8(int v) { return v < -128 ? -128 : v > 127 ? 127 : (i8)v; }
static inline u16 sat_u16(int v) { return v < 0 ? 0 : v > 65535 ? 65535 : (u16)v; }
static inline i16 sat_s16(int v) { return v < -32768 ? -32768 : v > 32767 ? 32767 : (i16)v; }

#define ELEMWISE(name, field, expr)                                     \
	static void name(v128 *d, const v128 *s, unsigned n)            \
	{                                                               \
		for (unsigned k = 0; k < n / sizeof(d->field[0]); k++) { \
			__typeof__(d->field[0]) a = d->field[k], b = s->field[k]; \
			(void)a; (void)b;                               \
			d->field[k] = (expr);                           \
		}                                                       \
	}

ELEMWISE(i_paddb, b, a + b)
ELEMWISE(i_paddw, w, a + b)
ELEMWISE(i_paddd, d, a + b)
ELEMWISE(i_paddq, q, a + b)
ELEMWISE(i_psubb, b, a - b)
ELEMWISE(i_psubw, w, a - b)
ELEMWISE(i_psubd, d, a - b)
ELEMWISE(i_psubq, q, a - b)
ELEMWISE(i_paddsb, sb, sat_s8(a + b))
ELEMWISE(i_paddsw, sw, sat_s16(a + b))
ELEMWISE(i_paddusb, b, sat_u8(a + b))
ELEMWISE(i_paddusw, w, sat_u16(a + b))
ELEMWISE(i_psubsb, sb, sat_s8(a - b))
ELEMWISE(i_psubsw, sw, sat_s16(a - b))
ELEMWISE(i_psubusb, b, sat_u8(a - b))
ELEMWISE(i_psubusw, w, sat_u16(a - b))
ELEMWISE(i_pmullw, w, (u16)((u32)a * b))
ELEMWISE(i_pmulhw, sw, (i16)(((i32)a * b) >> 16))
ELEMWISE(i_pmulhuw, w, (u16)(((u32)a * b) >> 16))
ELEMWISE(i_pavgb, b, (u8)((a + b + 1) >> 1))
ELEMWISE(i_pavgw, w, (u16)((a + b + 1) >> 1))
ELEMWISE(i_pminub, b, a < b ? a : b)
ELEMWISE(i_pmaxub, b, a > b ? a : b)
ELEMWISE(i_pminsw, sw, a < b ? a : b)
ELEMWISE(i_pmaxsw, sw, a > b ? a : b)
ELEMWISE(i_pcmpeqb, b, a == b ? 0xff : 0)
ELEMWISE(i_pcmpeqw, w, a == b ? 0xffff : 0)
ELEMWISE(i_pcmpeqd, d, a == b ? 0xffffffffu : 0)
ELEMWISE(i_pcmpgtb, sb, a > b ? -1 : 0)
ELEMWISE(i_pcmpgtw, sw, a > b ? -1 : 0)
ELEMWISE(i_pcmpgtd, sd, a > b ? -1 : 0)
ELEMWISE(i_pand, q, a & b)
ELEMWISE(i_pandn, q, ~a & b)
ELEMWISE(i_por, q, a | b)
ELEMWISE(i_pxor, q, a ^ b)

static void i_pmuludq(v128 *d, const v128 *s, unsigned n)
{
	for (unsigned k = 0; k < n / 8; k++)
		d->q[k] = (u64)d->d[2 * k] * s->d[2 * k];
}

static void i_pmaddwd(v128 *d, const v128 *s, unsigned n)
{
	for (unsigned k = 0; k < n / 4; k++) {
		i64 v = (i64)d->sw[2 * k] * s->sw[2 * k] + (i64)d->sw[2 * k + 1] * s->sw[2 * k + 1];
		d->d[k] = (u32)v;
	}
}

static void i_psadbw(v128 *d, const v128 *s, unsigned n)
{
	for (unsigned g = 0; g < n / 8; g++) {
		unsigned sum = 0;
		for (unsigned k = 0; k < 8; k++) {
			int t = d->b[g * 8 + k] - s->b[g * 8 + k];
			sum += (unsigned)(t < 0 ? -t : t);
		}
		d->q[g] = sum;
	}
}

/* Shifts: the count is the source's low 64 bits. */
#define SHIFT(name, field, bits, op)                                         \
	static void name(v128 *d, const v128 *s, unsigned n)                 \
	{                                                                    \
		u64 cnt = s->q[0];                                           \
		for (unsigned k = 0; k < n / sizeof(d->field[0]); k++)        \
			d->field[k] = cnt >= bits ? 0 : (__typeof__(d->field[0]))(d->field[k] op cnt); \
	}
#define SHIFT_A(name, field, bits)                                           \
	static void name(v128 *d, const v128 *s, unsigned n)                 \
	{                                                                    \
		u64 cnt = s->q[0];                                           \
		if (cnt > bits - 1)                                          \
			cnt = bits - 1;                                      \
		for (unsigned k = 0; k < n / sizeof(d->field[0]); k++)        \
			d->field[k] = (__typeof__(d->field[0]))(d->field[k] >> cnt); \
	}
SHIFT(i_psllw, w, 16, <<)
SHIFT(i_pslld, d, 32, <<)
SHIFT(i_psllq, q, 64, <<)
SHIFT(i_psrlw, w, 16, >>)
SHIFT(i_psrld, d, 32, >>)
SHIFT(i_psrlq, q, 64, >>)
SHIFT_A(i_psraw, sw, 16)
SHIFT_A(i_psrad, sd, 32)

static void i_psrldq(v128 *d, const v128 *s, unsigned n)
{
	u64 cnt = s->q[0] > 16 ? 16 : s->q[0];
	v128 r = { .q = { 0, 0 } };
	(void)n;
	for (unsigned k = 0; k + cnt < 16; k++)
		r.b[k] = d->b[k + cnt];
	*d = r;
}

static void i_pslldq(v128 *d, const v128 *s, unsigned n)
{
	u64 cnt = s->q[0] > 16 ? 16 : s->q[0];
	v128 r = { .q = { 0, 0 } };
	(void)n;
	for (unsigned k = (unsigned)cnt; k < 16; k++)
		r.b[k] = d->b[k - cnt];
	*d = r;
}

/* Interleave elements of `e` bytes from the low (hi = 0) or high half. */
static inline void unpack(v128 *d, const v128 *s, unsigned n, unsigned e, bool hi)
{
	v128 r;
	unsigned cnt = n / (2 * e), base = hi ? n / 2 : 0;
	for (unsigned k = 0; k < cnt; k++) {
		memcpy(&r.b[2 * k * e], &d->b[base + k * e], e);
		memcpy(&r.b[(2 * k + 1) * e], &s->b[base + k * e], e);
	}
	memcpy(d, &r, n);
}

static void i_punpcklbw(v128 *d, const v128 *s, unsigned n) { unpack(d, s, n, 1, false); }
static void i_punpcklwd(v128 *d, const v128 *s, unsigned n) { unpack(d, s, n, 2, false); }
static void i_punpckldq(v128 *d, const v128 *s, unsigned n) { unpack(d, s, n, 4, false); }
static void i_punpcklqdq(v128 *d, const v128 *s, unsigned n) { unpack(d, s, n, 8, false); }
static void i_punpckhbw(v128 *d, const v128 *s, unsigned n) { unpack(d, s, n, 1, true); }
static void i_punpckhwd(v128 *d, const v128 *s, unsigned n) { unpack(d, s, n, 2, true); }
static void i_punpckhdq(v128 *d, const v128 *s, unsigned n) { unpack(d, s, n, 4, true); }
static void i_punpckhqdq(v128 *d, const v128 *s, unsigned n) { unpack(d, s, n, 8, true); }

/* Narrow each `in` element of d then s, saturating, into `out` elements. */
#define PACK(name, out, in, sat)                                     \
	static void name(v128 *d, const v128 *s, unsigned n)         \
	{                                                            \
		v128 r;                                              \
		unsigned h = n / sizeof(d->in[0]);                   \
		for (unsigned k = 0; k < h; k++) {                   \
			r.out[k] = sat(d->in[k]);                    \
			r.out[h + k] = sat(s->in[k]);                \
		}                                                    \
		memcpy(d, &r, n);                                    \
	}
PACK(i_packsswb, sb, sw, sat_s8)
PACK(i_packuswb, b, sw, sat_u8)
PACK(i_packssdw, sw, sd, sat_s16)

/*
 * [opcode][0 = no prefix, 1 = 66].  The no-prefix forms below 0F 60
 * (0F 14/15/54-57: unpacks and logic on packed floats) operate on XMM
 * registers, the others on MMX registers.
 */
static iop_fn int_tab[256][2];

/* imm = the int_tab column */
static void h_int_xmm(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s, d;
	xmm_src(c, i, &s, 16, true);
	xmm_get(c, i->reg, &d);
	int_tab[i->op][i->imm](&d, &s, 16);
	xmm_put(c, i->reg, &d);
}

/* imm = the memory operand size */
static void h_int_mmx(struct cpu *c, const struct insn *i)
{
	mmx_check(c);
	v128 s = { .q = { mmx_src(c, i, (unsigned)i->imm), 0 } }, d = { .q = { mmx_read(c, i->reg), 0 } };
	mmx_enter(c);
	int_tab[i->op][0](&d, &s, 8);
	mmx_write(c, i->reg, d.q[0]);
}

static insn_fn sel_int(struct insn *i)
{
	unsigned k = pk(i->pfx);
	if (k == PK_66) {
		i->imm = 1;
		return int_tab[i->op][1] ? h_int_xmm : NULL;
	}
	if (k != PK_NONE || !int_tab[i->op][0])
		return NULL;
	if (i->op < 0x60) {
		i->imm = 0;
		return h_int_xmm;
	}
	i->imm = i->op <= 0x62 ? 4 : 8; /* PUNPCKL* mm, m32 */
	return h_int_mmx;
}

/* 0F 71/72/73: shift by immediate; r/m is the register shifted. */
static iop_fn shift_imm_tab[3][8]; /* [op - 0x71][ext] */

static void h_shift_imm_xmm(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 d, s = { .q = { (u8)i->imm, 0 } };
	xmm_get(c, i->rm, &d);
	shift_imm_tab[i->op - 0x71][i->ext](&d, &s, 16);
	xmm_put(c, i->rm, &d);
}

static void h_shift_imm_mmx(struct cpu *c, const struct insn *i)
{
	mmx_check(c);
	v128 d = { .q = { mmx_read(c, i->rm), 0 } }, s = { .q = { (u8)i->imm, 0 } };
	mmx_enter(c);
	shift_imm_tab[i->op - 0x71][i->ext](&d, &s, 8);
	mmx_write(c, i->rm, d.q[0]);
}

static insn_fn sel_shift_imm(struct insn *i)
{
	unsigned k = pk(i->pfx);
	if (is_mem(i) || !shift_imm_tab[i->op - 0x71][i->ext])
		return NULL;
	if (k == PK_66)
		return h_shift_imm_xmm;
	if (k != PK_NONE || (i->op == 0x73 && (i->ext == 3 || i->ext == 7)))
		return NULL;
	return h_shift_imm_mmx;
}

/* 0F 77: EMMS */
static void h_emms(struct cpu *c, const struct insn *i)
{
	(void)i;
	mmx_check(c);
	fpu_set_top(c, 0); /* hardware also resets TOP */
	c->s.fpu.ftw = 0;
}

static insn_fn sel_77(struct insn *i)
{
	return pk(i->pfx) == PK_NONE ? h_emms : NULL;
}

/* 0F 6E: MOVD/MOVQ mm|xmm, r/m32|64 */
static void h_movd_mm_load(struct cpu *c, const struct insn *i)
{
	mmx_check(c);
	u64 v = rm_read(c, i, gpr_size(i));
	mmx_enter(c);
	mmx_write(c, i->reg, v);
}

static void h_movd_xmm_load(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 d = { .q = { rm_read(c, i, gpr_size(i)), 0 } };
	xmm_put(c, i->reg, &d);
}

static insn_fn sel_6e(struct insn *i)
{
	unsigned k = pk(i->pfx);
	return k == PK_NONE ? h_movd_mm_load : k == PK_66 ? h_movd_xmm_load : NULL;
}

/* 0F 7E: MOVD/MOVQ r/m, mm|xmm; F3 0F 7E: MOVQ xmm, xmm/m64 */
static void h_movd_mm_store(struct cpu *c, const struct insn *i)
{
	mmx_check(c);
	rm_write(c, i, gpr_size(i), mmx_read(c, i->reg));
	mmx_enter(c);
}

static void h_movd_xmm_store(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	u64 v;
	memcpy(&v, xmm_reg(c, i->reg), 8);
	rm_write(c, i, gpr_size(i), v);
}

static void h_movq_xmm_load(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s;
	xmm_src(c, i, &s, 8, false);
	s.q[1] = 0;
	xmm_put(c, i->reg, &s);
}

static insn_fn sel_7e(struct insn *i)
{
	static const insn_fn f[4] = { h_movd_mm_store, h_movd_xmm_store, h_movq_xmm_load, NULL };
	return f[pk(i->pfx)];
}

/* 0F 6F / 0F 7F: MOVQ mm; MOVDQA (66); MOVDQU (F3) */
static void h_movq_mm_load(struct cpu *c, const struct insn *i)
{
	mmx_check(c);
	u64 v = mmx_src(c, i, 8);
	mmx_enter(c);
	mmx_write(c, i->reg, v);
}

static void h_movq_mm_store(struct cpu *c, const struct insn *i)
{
	mmx_check(c);
	u64 v = mmx_read(c, i->reg);
	if (is_mem(i))
		mem_write64(c, insn_ea(c, i), v);
	mmx_enter(c);
	if (!is_mem(i))
		mmx_write(c, i->rm, v);
}

static insn_fn sel_6f(struct insn *i)
{
	static const insn_fn f[4] = { h_movq_mm_load, h_mov128_load_aligned, h_mov128_load, NULL };
	return f[pk(i->pfx)];
}

static insn_fn sel_7f(struct insn *i)
{
	static const insn_fn f[4] = { h_movq_mm_store, h_mov128_store_aligned, h_mov128_store, NULL };
	return f[pk(i->pfx)];
}

/* 0F D6: MOVQ xmm/m64, xmm (66); MOVQ2DQ xmm, mm (F3); MOVDQ2Q mm, xmm (F2) */
static void h_movq_xmm_store(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	u64 v;
	memcpy(&v, xmm_reg(c, i->reg), 8);
	if (is_mem(i)) {
		mem_write64(c, insn_ea(c, i), v);
	} else {
		v128 d = { .q = { v, 0 } };
		xmm_put(c, i->rm, &d);
	}
}

static void h_movq2dq(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	fpu_wait_check(c);
	v128 d = { .q = { mmx_read(c, i->rm), 0 } };
	mmx_enter(c);
	xmm_put(c, i->reg, &d);
}

static void h_movdq2q(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	fpu_wait_check(c);
	u64 v;
	memcpy(&v, xmm_reg(c, i->rm), 8);
	mmx_enter(c);
	mmx_write(c, i->reg, v);
}

static insn_fn sel_d6(struct insn *i)
{
	switch (pk(i->pfx)) {
	case PK_66: return h_movq_xmm_store;
	case PK_F3: return is_mem(i) ? NULL : h_movq2dq;
	case PK_F2: return is_mem(i) ? NULL : h_movdq2q;
	default: return NULL;
	}
}

/* 0F 70: PSHUFW (mm), PSHUFD (66), PSHUFHW (F3), PSHUFLW (F2) */
static void h_pshufw(struct cpu *c, const struct insn *i)
{
	mmx_check(c);
	v128 s = { .q = { mmx_src(c, i, 8), 0 } }, d = { .q = { 0, 0 } };
	unsigned imm = (u8)i->imm;
	for (unsigned k = 0; k < 4; k++)
		d.w[k] = s.w[(imm >> (2 * k)) & 3];
	mmx_enter(c);
	mmx_write(c, i->reg, d.q[0]);
}

static void h_pshufd(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s, d;
	unsigned imm = (u8)i->imm;
	xmm_src(c, i, &s, 16, true);
	for (unsigned k = 0; k < 4; k++)
		d.d[k] = s.d[(imm >> (2 * k)) & 3];
	xmm_put(c, i->reg, &d);
}

static void h_pshufhw(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s, d;
	unsigned imm = (u8)i->imm;
	xmm_src(c, i, &s, 16, true);
	d.q[0] = s.q[0];
	for (unsigned k = 0; k < 4; k++)
		d.w[4 + k] = s.w[4 + ((imm >> (2 * k)) & 3)];
	xmm_put(c, i->reg, &d);
}

static void h_pshuflw(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s, d;
	unsigned imm = (u8)i->imm;
	xmm_src(c, i, &s, 16, true);
	d.q[1] = s.q[1];
	for (unsigned k = 0; k < 4; k++)
		d.w[k] = s.w[(imm >> (2 * k)) & 3];
	xmm_put(c, i->reg, &d);
}

static insn_fn sel_70(struct insn *i)
{
	static const insn_fn f[4] = { h_pshufw, h_pshufd, h_pshufhw, h_pshuflw };
	return f[pk(i->pfx)];
}

/* 0F C6: SHUFPS / SHUFPD */
static void h_shufps(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s, d, r;
	unsigned imm = (u8)i->imm;
	xmm_src(c, i, &s, 16, true);
	xmm_get(c, i->reg, &d);
	r.d[0] = d.d[imm & 3];
	r.d[1] = d.d[(imm >> 2) & 3];
	r.d[2] = s.d[(imm >> 4) & 3];
	r.d[3] = s.d[(imm >> 6) & 3];
	xmm_put(c, i->reg, &r);
}

static void h_shufpd(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s, d, r;
	unsigned imm = (u8)i->imm;
	xmm_src(c, i, &s, 16, true);
	xmm_get(c, i->reg, &d);
	r.q[0] = d.q[imm & 1];
	r.q[1] = s.q[(imm >> 1) & 1];
	xmm_put(c, i->reg, &r);
}

/* Forms valid with no prefix or 66 only, with a handler for each. */
static insn_fn sel_none_66(struct insn *i, insn_fn mmx, insn_fn xmm)
{
	unsigned k = pk(i->pfx);
	return k == PK_NONE ? mmx : k == PK_66 ? xmm : NULL;
}

/* 0F C4: PINSRW mm|xmm, r32/m16, imm8 */
static void h_pinsrw_xmm(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	u16 v = (u16)rm_read(c, i, 2);
	v128 d;
	xmm_get(c, i->reg, &d);
	d.w[i->imm & 7] = v;
	xmm_put(c, i->reg, &d);
}

static void h_pinsrw_mmx(struct cpu *c, const struct insn *i)
{
	mmx_check(c);
	u16 v = (u16)rm_read(c, i, 2);
	v128 d = { .q = { mmx_read(c, i->reg), 0 } };
	d.w[i->imm & 3] = v;
	mmx_enter(c);
	mmx_write(c, i->reg, d.q[0]);
}

/* 0F C5: PEXTRW r32, mm|xmm, imm8 */
static void h_pextrw_xmm(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s;
	xmm_get(c, i->rm, &s);
	reg_write(c, i->reg, 4, s.w[i->imm & 7]);
}

static void h_pextrw_mmx(struct cpu *c, const struct insn *i)
{
	mmx_check(c);
	v128 s = { .q = { mmx_read(c, i->rm), 0 } };
	mmx_enter(c);
	reg_write(c, i->reg, 4, s.w[i->imm & 3]);
}

static insn_fn sel_c4(struct insn *i)
{
	return sel_none_66(i, h_pinsrw_mmx, h_pinsrw_xmm);
}

static insn_fn sel_c5(struct insn *i)
{
	return is_mem(i) ? NULL : sel_none_66(i, h_pextrw_mmx, h_pextrw_xmm);
}

static insn_fn sel_c6(struct insn *i)
{
	return sel_none_66(i, h_shufps, h_shufpd);
}

/* 0F D7: PMOVMSKB r32, mm|xmm */
static u32 byte_signs(const v128 *s, unsigned n)
{
	u32 m = 0;
	for (unsigned k = 0; k < n; k++)
		m |= (u32)(s->b[k] >> 7) << k;
	return m;
}

static void h_pmovmskb_xmm(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s;
	xmm_get(c, i->rm, &s);
	reg_write(c, i->reg, 4, byte_signs(&s, 16));
}

static void h_pmovmskb_mmx(struct cpu *c, const struct insn *i)
{
	mmx_check(c);
	v128 s = { .q = { mmx_read(c, i->rm), 0 } };
	mmx_enter(c);
	reg_write(c, i->reg, 4, byte_signs(&s, 8));
}

static insn_fn sel_d7(struct insn *i)
{
	return is_mem(i) ? NULL : sel_none_66(i, h_pmovmskb_mmx, h_pmovmskb_xmm);
}

/* 0F E7: MOVNTQ m64, mm; 66 0F E7: MOVNTDQ m128, xmm */
static void h_movntq(struct cpu *c, const struct insn *i)
{
	mmx_check(c);
	mem_write64(c, insn_ea(c, i), mmx_read(c, i->reg));
	mmx_enter(c);
}

static insn_fn sel_e7(struct insn *i)
{
	unsigned k = pk(i->pfx);
	if (!is_mem(i))
		return NULL;
	return k == PK_NONE ? h_movntq : k == PK_66 ? h_movnt128 : NULL;
}

/* 0F F7: MASKMOVQ mm, mm; 66 0F F7: MASKMOVDQU xmm, xmm -> [seg:rDI] */
static void maskmov(struct cpu *c, const struct insn *i, const v128 *s, const v128 *m, unsigned n)
{
	u64 a = seg_linear(c, i->seg, c->s.gpr[REG_RDI] & size_mask(i->addrsize)); /* DS unless overridden */
	int first = -1, last = -1;
	for (unsigned k = 0; k < n; k++)
		if (m->b[k] & 0x80) {
			if (first < 0)
				first = (int)k;
			last = (int)k;
		}
	if (first >= 0) {
		/* fault on either page before storing anything */
		mmu_translate(c, a + (unsigned)first, ACC_WRITE);
		mmu_translate(c, a + (unsigned)last, ACC_WRITE);
		for (unsigned k = (unsigned)first; k <= (unsigned)last; k++)
			if (m->b[k] & 0x80)
				mem_write8(c, a + k, s->b[k]);
	}
}

static void h_maskmov_xmm(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	v128 s, m;
	xmm_get(c, i->reg, &s);
	xmm_get(c, i->rm, &m);
	maskmov(c, i, &s, &m, 16);
}

static void h_maskmov_mmx(struct cpu *c, const struct insn *i)
{
	mmx_check(c);
	v128 s = { .q = { mmx_read(c, i->reg), 0 } }, m = { .q = { mmx_read(c, i->rm), 0 } };
	maskmov(c, i, &s, &m, 8);
	mmx_enter(c);
}

static insn_fn sel_f7(struct insn *i)
{
	return is_mem(i) ? NULL : sel_none_66(i, h_maskmov_mmx, h_maskmov_xmm);
}

/* 0F C3: MOVNTI m32/m64, r32/r64 */
static void h_movnti(struct cpu *c, const struct insn *i)
{
	unsigned sz = gpr_size(i);
	mem_write(c, insn_ea(c, i), sz, reg_read(c, i->reg, sz));
}

static insn_fn sel_c3(struct insn *i)
{
	return pk(i->pfx) == PK_NONE && is_mem(i) ? h_movnti : NULL;
}

/* ---- no-ops: PREFETCHh (0F 18), 0F 0D, fences ---- */

static void h_nop(struct cpu *c, const struct insn *i)
{
	(void)c;
	(void)i;
}

static insn_fn sel_prefetch(struct insn *i)
{
	(void)i;
	return h_nop;
}

/* ---- 0F AE group 15 ---- */

static void h_ldmxcsr(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	u32 v = mem_read32(c, insn_ea(c, i));
	if (v & ~MXCSR_MASK_SUPPORTED)
		raise_gp(c, 0);
	c->s.fpu.mxcsr = v;
}

static void h_stmxcsr(struct cpu *c, const struct insn *i)
{
	sse_check(c);
	mem_write32(c, insn_ea(c, i), c->s.fpu.mxcsr);
}

static void h_clflush(struct cpu *c, const struct insn *i)
{
	/* no caches to flush; only the page fault a bad address would raise */
	mmu_translate(c, insn_ea(c, i), ACC_READ);
}

static void h_fxsave(struct cpu *c, const struct insn *i)
{
	fpu_check(c);
	u64 ea = ea_aligned(c, i, 16);
	struct encore_fpu_state *f = &c->s.fpu;
	unsigned nxmm = c->mode64 ? 16 : 8;
	u8 img[416];
	memset(img, 0, sizeof(img));
	put16(img + 0, f->fcw);
	put16(img + 2, f->fsw);
	img[4] = f->ftw;
	put16(img + 6, f->fop & 0x7ff);
	if (i->pfx & PFX_REXW) {
		put64(img + 8, f->fip);
		put64(img + 16, f->fdp);
	} else { /* 32-bit offsets; FPU CS/DS saved as 0 (deprecated) */
		put32(img + 8, (u32)f->fip);
		put32(img + 16, (u32)f->fdp);
	}
	put32(img + 24, f->mxcsr);
	put32(img + 28, MXCSR_MASK_SUPPORTED);
	for (unsigned k = 0; k < 8; k++)
		memcpy(img + 32 + 16 * k, f->st[fpu_phys(c, k)], 10);
	memcpy(img + 160, f->xmm, 16 * nxmm);
	mem_write_bytes(c, ea, img, 160 + 16 * nxmm);
}

static void h_fxrstor(struct cpu *c, const struct insn *i)
{
	fpu_check(c);
	u64 ea = ea_aligned(c, i, 16);
	struct encore_fpu_state *f = &c->s.fpu;
	unsigned nxmm = c->mode64 ? 16 : 8;
	u8 img[416];
	mem_read_bytes(c, ea, img, 160 + 16 * nxmm);
	u32 mx = get32(img + 24);
	if (mx & ~MXCSR_MASK_SUPPORTED)
		raise_gp(c, 0);
	f->fcw = get16(img + 0);
	f->fsw = get16(img + 2);
	f->ftw = img[4];
	f->fop = get16(img + 6) & 0x7ff;
	if (i->pfx & PFX_REXW) {
		f->fip = get64(img + 8);
		f->fdp = get64(img + 16);
	} else {
		f->fip = get32(img + 8);
		f->fdp = get32(img + 16);
	}
	f->mxcsr = mx;
	for (unsigned k = 0; k < 8; k++) {
		u8 *r = f->st[fpu_phys(c, k)];
		memcpy(r, img + 32 + 16 * k, 10);
		memset(r + 10, 0, 6);
	}
	memcpy(f->xmm, img + 160, 16 * nxmm);
}

static insn_fn sel_ae(struct insn *i)
{
	unsigned k = pk(i->pfx);
	if (!is_mem(i)) {
		/* F3 /0../3: RD/WR FS/GS BASE, not advertised (#UD) */
		if (k == PK_NONE && i->ext >= 5)
			return h_nop; /* LFENCE, MFENCE, SFENCE */
		return NULL;
	}
	if (k == PK_F3 || k == PK_F2)
		return NULL;
	switch (i->ext) {
	case 0: return k == PK_NONE ? h_fxsave : NULL;
	case 1: return k == PK_NONE ? h_fxrstor : NULL;
	case 2: return k == PK_NONE ? h_ldmxcsr : NULL;
	case 3: return k == PK_NONE ? h_stmxcsr : NULL;
	case 7: return h_clflush; /* CLFLUSH; 66 = CLFLUSHOPT */
	default: return NULL;     /* XSAVE family: not advertised */
	}
}

/* ---- registration ---- */

static void fp_set(u8 op, unsigned k, host_fn fn, u8 msize)
{
	fp_tab[op][k].fn = fn;
	fp_tab[op][k].msize = msize;
}

static void int_set(u8 op, iop_fn none, iop_fn x66, const char *name)
{
	int_tab[op][0] = none;
	int_tab[op][1] = x66;
	op_register(MAP_0F, op, sel_int, name);
}

void ops_sse__register(void)
{
#define FP4(op, name)                                        \
	fp_set(op, PK_NONE, host_##name##ps, 16);            \
	fp_set(op, PK_66, host_##name##pd, 16);              \
	fp_set(op, PK_F3, host_##name##ss, 4);               \
	fp_set(op, PK_F2, host_##name##sd, 8);               \
	op_register(MAP_0F, op, sel_fp, #name);
	FP4(0x51, sqrt)
	FP4(0x58, add)
	FP4(0x59, mul)
	FP4(0x5c, sub)
	FP4(0x5d, min)
	FP4(0x5e, div)
	FP4(0x5f, max)
#undef FP4
	fp_set(0x52, PK_NONE, host_rsqrtps, 16);
	fp_set(0x52, PK_F3, host_rsqrtss, 4);
	op_register(MAP_0F, 0x52, sel_fp, "rsqrt");
	fp_set(0x53, PK_NONE, host_rcpps, 16);
	fp_set(0x53, PK_F3, host_rcpss, 4);
	op_register(MAP_0F, 0x53, sel_fp, "rcp");
	fp_set(0x5a, PK_NONE, host_cvtps2pd, 8);
	fp_set(0x5a, PK_66, host_cvtpd2ps, 16);
	fp_set(0x5a, PK_F3, host_cvtss2sd, 4);
	fp_set(0x5a, PK_F2, host_cvtsd2ss, 8);
	op_register(MAP_0F, 0x5a, sel_fp, "cvtps2pd");
	fp_set(0x5b, PK_NONE, host_cvtdq2ps, 16);
	fp_set(0x5b, PK_66, host_cvtps2dq, 16);
	fp_set(0x5b, PK_F3, host_cvttps2dq, 16);
	op_register(MAP_0F, 0x5b, sel_fp, "cvtdq2ps");
	fp_set(0xe6, PK_66, host_cvttpd2dq, 16);
	fp_set(0xe6, PK_F3, host_cvtdq2pd, 8);
	fp_set(0xe6, PK_F2, host_cvtpd2dq, 16);
	op_register(MAP_0F, 0xe6, sel_fp, "cvtpd2dq");

	op_register(MAP_0F, 0xc2, sel_cmp, "cmpps");
	op_register(MAP_0F, 0x2e, sel_comi, "ucomiss");
	op_register(MAP_0F, 0x2f, sel_comi, "comiss");
	op_register(MAP_0F, 0x2a, sel_2a, "cvtsi2ss");
	op_register(MAP_0F, 0x2c, sel_2c, "cvttss2si");
	op_register(MAP_0F, 0x2d, sel_2c, "cvtss2si");

	op_register(MAP_0F, 0x10, sel_10, "movups");
	op_register(MAP_0F, 0x11, sel_11, "movups");
	op_register(MAP_0F, 0x12, sel_12, "movlps");
	op_register(MAP_0F, 0x13, sel_13, "movlps");
	op_register(MAP_0F, 0x16, sel_12, "movhps");
	op_register(MAP_0F, 0x17, sel_13, "movhps");
	op_register(MAP_0F, 0x28, sel_28, "movaps");
	op_register(MAP_0F, 0x29, sel_28, "movaps");
	op_register(MAP_0F, 0x2b, sel_2b, "movntps");
	op_register(MAP_0F, 0x50, sel_50, "movmskps");

	/* packed-float logic and unpacks: the no-prefix form is XMM too */
	int_set(0x14, i_punpckldq, i_punpcklqdq, "unpcklps");
	int_set(0x15, i_punpckhdq, i_punpckhqdq, "unpckhps");
	int_set(0x54, i_pand, i_pand, "andps");
	int_set(0x55, i_pandn, i_pandn, "andnps");
	int_set(0x56, i_por, i_por, "orps");
	int_set(0x57, i_pxor, i_pxor, "xorps");

	int_set(0x60, i_punpcklbw, i_punpcklbw, "punpcklbw");
	int_set(0x61, i_punpcklwd, i_punpcklwd, "punpcklwd");
	int_set(0x62, i_punpckldq, i_punpckldq, "punpckldq");
	int_set(0x63, i_packsswb, i_packsswb, "packsswb");
	int_set(0x64, i_pcmpgtb, i_pcmpgtb, "pcmpgtb");
	int_set(0x65, i_pcmpgtw, i_pcmpgtw, "pcmpgtw");
	int_set(0x66, i_pcmpgtd, i_pcmpgtd, "pcmpgtd");
	int_set(0x67, i_packuswb, i_packuswb, "packuswb");
	int_set(0x68, i_punpckhbw, i_punpckhbw, "punpckhbw");
	int_set(0x69, i_punpckhwd, i_punpckhwd, "punpckhwd");
	int_set(0x6a, i_punpckhdq, i_punpckhdq, "punpckhdq");
	int_set(0x6b, i_packssdw, i_packssdw, "packssdw");
	int_set(0x6c, NULL, i_punpcklqdq, "punpcklqdq");
	int_set(0x6d, NULL, i_punpckhqdq, "punpckhqdq");
	int_set(0x74, i_pcmpeqb, i_pcmpeqb, "pcmpeqb");
	int_set(0x75, i_pcmpeqw, i_pcmpeqw, "pcmpeqw");
	int_set(0x76, i_pcmpeqd, i_pcmpeqd, "pcmpeqd");
	int_set(0xd1, i_psrlw, i_psrlw, "psrlw");
	int_set(0xd2, i_psrld, i_psrld, "psrld");
	int_set(0xd3, i_psrlq, i_psrlq, "psrlq");
	int_set(0xd4, i_paddq, i_paddq, "paddq");
	int_set(0xd5, i_pmullw, i_pmullw, "pmullw");
	int_set(0xd8, i_psubusb, i_psubusb, "psubusb");
	int_set(0xd9, i_psubusw, i_psubusw, "psubusw");
	int_set(0xda, i_pminub, i_pminub, "pminub");
	int_set(0xdb, i_pand, i_pand, "pand");
	int_set(0xdc, i_paddusb, i_paddusb, "paddusb");
	int_set(0xdd, i_paddusw, i_paddusw, "paddusw");
	int_set(0xde, i_pmaxub, i_pmaxub, "pmaxub");
	int_set(0xdf, i_pandn, i_pandn, "pandn");
	int_set(0xe0, i_pavgb, i_pavgb, "pavgb");
	int_set(0xe1, i_psraw, i_psraw, "psraw");
	int_set(0xe2, i_psrad, i_psrad, "psrad");
	int_set(0xe3, i_pavgw, i_pavgw, "pavgw");
	int_set(0xe4, i_pmulhuw, i_pmulhuw, "pmulhuw");
	int_set(0xe5, i_pmulhw, i_pmulhw, "pmulhw");
	int_set(0xe8, i_psubsb, i_psubsb, "psubsb");
	int_set(0xe9, i_psubsw, i_psubsw, "psubsw");
	int_set(0xea, i_pminsw, i_pminsw, "pminsw");
	int_set(0xeb, i_por, i_por, "por");
	int_set(0xec, i_paddsb, i_paddsb, "paddsb");
	int_set(0xed, i_paddsw, i_paddsw, "paddsw");
	int_set(0xee, i_pmaxsw, i_pmaxsw, "pmaxsw");
	int_set(0xef, i_pxor, i_pxor, "pxor");
	int_set(0xf1, i_psllw, i_psllw, "psllw");
	int_set(0xf2, i_pslld, i_pslld, "pslld");
	int_set(0xf3, i_psllq, i_psllq, "psllq");
	int_set(0xf4, i_pmuludq, i_pmuludq, "pmuludq");
	int_set(0xf5, i_pmaddwd, i_pmaddwd, "pmaddwd");
	int_set(0xf6, i_psadbw, i_psadbw, "psadbw");
	int_set(0xf8, i_psubb, i_psubb, "psubb");
	int_set(0xf9, i_psubw, i_psubw, "psubw");
	int_set(0xfa, i_psubd, i_psubd, "psubd");
	int_set(0xfb, i_psubq, i_psubq, "psubq");
	int_set(0xfc, i_paddb, i_paddb, "paddb");
	int_set(0xfd, i_paddw, i_paddw, "paddw");
	int_set(0xfe, i_paddd, i_paddd, "paddd");

	shift_imm_tab[0][2] = i_psrlw;
	shift_imm_tab[0][4] = i_psraw;
	shift_imm_tab[0][6] = i_psllw;
	shift_imm_tab[1][2] = i_psrld;
	shift_imm_tab[1][4] = i_psrad;
	shift_imm_tab[1][6] = i_pslld;
	shift_imm_tab[2][2] = i_psrlq;
	shift_imm_tab[2][3] = i_psrldq;
	shift_imm_tab[2][6] = i_psllq;
	shift_imm_tab[2][7] = i_pslldq;
	op_register(MAP_0F, 0x71, sel_shift_imm, "psrlw imm");
	op_register(MAP_0F, 0x72, sel_shift_imm, "psrld imm");
	op_register(MAP_0F, 0x73, sel_shift_imm, "psrlq imm");

	op_register(MAP_0F, 0x6e, sel_6e, "movd");
	op_register(MAP_0F, 0x6f, sel_6f, "movq");
	op_register(MAP_0F, 0x70, sel_70, "pshufd");
	op_register(MAP_0F, 0x77, sel_77, "emms");
	op_register(MAP_0F, 0x7e, sel_7e, "movd");
	op_register(MAP_0F, 0x7f, sel_7f, "movq");
	op_register(MAP_0F, 0xc3, sel_c3, "movnti");
	op_register(MAP_0F, 0xc4, sel_c4, "pinsrw");
	op_register(MAP_0F, 0xc5, sel_c5, "pextrw");
	op_register(MAP_0F, 0xc6, sel_c6, "shufps");
	op_register(MAP_0F, 0xd6, sel_d6, "movq");
	op_register(MAP_0F, 0xd7, sel_d7, "pmovmskb");
	op_register(MAP_0F, 0xe7, sel_e7, "movntq");
	op_register(MAP_0F, 0xf7, sel_f7, "maskmovq");

	op_register(MAP_0F, 0x18, sel_prefetch, "prefetch");
	op_register(MAP_0F, 0x0d, sel_prefetch, "prefetchw");
	op_register(MAP_0F, 0xae, sel_ae, "grp15");
}
