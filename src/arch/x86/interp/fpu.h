/*
 * Shared x87/MMX/SSE helpers for ops_sse.c, ops_x87.c and fpu.c.
 *
 * The guest's FPU state is c->s.fpu.  x87 registers are the physical
 * R0..R7 in st[][]; ST(i) is R[(TOP + i) & 7]; the abridged tag word has
 * one bit per physical register (1 = valid).  MMX register n is R<n>.
 */
#ifndef INTERP_FPU_H
#define INTERP_FPU_H

#include <string.h>

#include "arch/x86/interp/cpu.h"

/* Little-endian fields of in-memory images (FXSAVE, FSTENV). */
static inline void put16(u8 *p, u16 v) { memcpy(p, &v, 2); }
static inline void put32(u8 *p, u32 v) { memcpy(p, &v, 4); }
static inline void put64(u8 *p, u64 v) { memcpy(p, &v, 8); }
static inline u16 get16(const u8 *p) { u16 v; memcpy(&v, p, 2); return v; }
static inline u32 get32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }
static inline u64 get64(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }

/* FSW bits */
#define FSW_IE 0x0001
#define FSW_DE 0x0002
#define FSW_ZE 0x0004
#define FSW_OE 0x0008
#define FSW_UE 0x0010
#define FSW_PE 0x0020
#define FSW_SF 0x0040
#define FSW_ES 0x0080
#define FSW_C0 0x0100
#define FSW_C1 0x0200
#define FSW_C2 0x0400
#define FSW_TOP 0x3800
#define FSW_C3 0x4000
#define FSW_B 0x8000
#define FSW_CC (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)
#define FSW_EXC 0x003f

#define FCW_DEFAULT 0x037f

/* MXCSR bits: exception flags 0..5, DAZ, masks 7..12 (mask = flag << 7), RC, FTZ */
#define MXCSR_EXC 0x003fu      /* IE DE ZE OE UE PE */
#define MXCSR_UE 0x0010u
#define MXCSR_MASK_SHIFT 7
#define MXCSR_UM (MXCSR_UE << MXCSR_MASK_SHIFT)
#define MXCSR_MASKS (MXCSR_EXC << MXCSR_MASK_SHIFT) /* all exceptions masked */
#define MXCSR_FTZ 0x8000u
#define MXCSR_DEFAULT 0x1f80
#define MXCSR_MASK_SUPPORTED 0xffffu /* DAZ supported */

/* An 80-bit extended value in its memory layout (bytes 0..9 used). */
typedef struct {
	u64 mant;
	u16 se;
	u16 pad[3];
} fx80;

static inline unsigned fpu_top(struct cpu *c)
{
	return (c->s.fpu.fsw >> 11) & 7;
}

static inline void fpu_set_top(struct cpu *c, unsigned top)
{
	c->s.fpu.fsw = (u16)((c->s.fpu.fsw & ~FSW_TOP) | ((top & 7) << 11));
}

static inline unsigned fpu_phys(struct cpu *c, unsigned i)
{
	return (fpu_top(c) + i) & 7;
}

static inline bool fpu_valid_phys(struct cpu *c, unsigned p)
{
	return (c->s.fpu.ftw >> p) & 1;
}

static inline bool fpu_valid(struct cpu *c, unsigned i)
{
	return fpu_valid_phys(c, fpu_phys(c, i));
}

static inline fx80 fpu_get_phys(struct cpu *c, unsigned p)
{
	fx80 v;
	memcpy(&v.mant, &c->s.fpu.st[p][0], 8);
	memcpy(&v.se, &c->s.fpu.st[p][8], 2);
	v.pad[0] = v.pad[1] = v.pad[2] = 0;
	return v;
}

static inline fx80 fpu_get(struct cpu *c, unsigned i)
{
	return fpu_get_phys(c, fpu_phys(c, i));
}

/* Write the value of physical register p and mark it valid. */
static inline void fpu_set_phys(struct cpu *c, unsigned p, fx80 v)
{
	memcpy(&c->s.fpu.st[p][0], &v.mant, 8);
	memcpy(&c->s.fpu.st[p][8], &v.se, 2);
	c->s.fpu.ftw |= (u8)(1u << p);
}

static inline void fpu_set(struct cpu *c, unsigned i, fx80 v)
{
	fpu_set_phys(c, fpu_phys(c, i), v);
}

/* Unmasked pending x87 exception: #MF when CR0.NE (see fpu.c). */
void fpu_deliver_pending(struct cpu *c);

static inline void fpu_wait_check(struct cpu *c)
{
	if (unlikely(c->s.fpu.fsw & FSW_ES))
		fpu_deliver_pending(c);
}

/* ---- MMX ---- */

/* SSE availability: #UD if CR0.EM or !CR4.OSFXSR, then #NM if CR0.TS. */
static inline void sse_check(struct cpu *c)
{
	if (unlikely((c->s.cr0 & CR0_EM) || !(c->s.cr4 & CR4_OSFXSR)))
		raise_ud(c);
	if (unlikely(c->s.cr0 & CR0_TS))
		cpu_raise(c, EXC_NM, NO_ERRCODE);
}

/* x87 escape opcodes (D8..DF): #NM if CR0.EM or CR0.TS. */
static inline void fpu_check(struct cpu *c)
{
	if (unlikely(c->s.cr0 & (CR0_EM | CR0_TS)))
		cpu_raise(c, EXC_NM, NO_ERRCODE);
}

/* #UD if CR0.EM, #NM if CR0.TS, #MF if an x87 exception is pending. */
static inline void mmx_check(struct cpu *c)
{
	if (unlikely(c->s.cr0 & (CR0_EM | CR0_TS))) {
		if (c->s.cr0 & CR0_EM)
			raise_ud(c);
		cpu_raise(c, EXC_NM, NO_ERRCODE);
	}
	fpu_wait_check(c);
}

/* The x87 -> MMX transition every MMX instruction performs. */
static inline void mmx_enter(struct cpu *c)
{
	fpu_set_top(c, 0);
	c->s.fpu.ftw = 0xff;
}

static inline u64 mmx_read(struct cpu *c, unsigned n)
{
	u64 v;
	memcpy(&v, c->s.fpu.st[n & 7], 8);
	return v;
}

/* Writing an MMX register sets bits 64..79 of the x87 register to ones. */
static inline void mmx_write(struct cpu *c, unsigned n, u64 v)
{
	memcpy(c->s.fpu.st[n & 7], &v, 8);
	c->s.fpu.st[n & 7][8] = 0xff;
	c->s.fpu.st[n & 7][9] = 0xff;
}

static inline u8 *xmm_reg(struct cpu *c, unsigned n)
{
	return c->s.fpu.xmm[n & 15];
}

/* ---- host execution of SSE operations ---- */

/*
 * The host MXCSR for running one guest operation: the guest's rounding,
 * DAZ and FTZ, no flags, all exceptions masked.
 */
static inline u32 sse_host_mxcsr(struct cpu *c)
{
	return (c->s.fpu.mxcsr & (MXCSR_MASK_SUPPORTED & ~MXCSR_EXC)) | MXCSR_MASKS;
}

/* Merge raised flags into the guest MXCSR; #XM/#UD if one is unmasked (fpu.c). */
void sse_commit_flags(struct cpu *c, u32 flags);

#endif
