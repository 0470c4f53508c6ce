/*
 * The architectural state of one x86-64 CPU, as a plain struct that every
 * engine can fill and accept.  Checkpoints and the state hash are built
 * from it, so it holds values only: no pointers, no engine internals.
 */
#ifndef ENCORE_CPU_STATE_H
#define ENCORE_CPU_STATE_H

#include "encore/types.h"

enum encore_reg {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

enum encore_seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_COUNT };

/* Segment attribute bits, in the layout of the descriptor's bits 40..55. */
#define SEG_ATTR_TYPE_MASK 0x000f
#define SEG_ATTR_S 0x0010 /* code/data (1) vs system (0) */
#define SEG_ATTR_DPL_SHIFT 5
#define SEG_ATTR_P 0x0080
#define SEG_ATTR_AVL 0x1000
#define SEG_ATTR_L 0x2000
#define SEG_ATTR_DB 0x4000
#define SEG_ATTR_G 0x8000

struct encore_segment {
	u64 base;
	u32 limit; /* byte granular, already expanded by G */
	u16 selector;
	u16 attr;
};

/* A flat (base 0, 4 GiB) code or data segment, as SYSCALL and boot set up. */
static inline void segment__set_flat(struct encore_segment *s, u16 sel, bool code, bool long_mode,
				     u8 dpl)
{
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->attr = SEG_ATTR_P | SEG_ATTR_S | SEG_ATTR_G | (dpl << SEG_ATTR_DPL_SHIFT) |
		  (code ? 0xb : 0x3) | (code && long_mode ? SEG_ATTR_L : SEG_ATTR_DB);
}

struct encore_dtable {
	u64 base;
	u16 limit;
	u16 pad[3]; /* explicit, zero: the state is hashed as bytes */
};

/* RFLAGS bits. */
#define RF_CF (1ull << 0)
#define RF_FIXED1 (1ull << 1)
#define RF_PF (1ull << 2)
#define RF_AF (1ull << 4)
#define RF_ZF (1ull << 6)
#define RF_SF (1ull << 7)
#define RF_TF (1ull << 8)
#define RF_IF (1ull << 9)
#define RF_DF (1ull << 10)
#define RF_OF (1ull << 11)
#define RF_IOPL (3ull << 12)
#define RF_NT (1ull << 14)
#define RF_RF (1ull << 16)
#define RF_VM (1ull << 17)
#define RF_AC (1ull << 18)
#define RF_VIF (1ull << 19)
#define RF_VIP (1ull << 20)
#define RF_ID (1ull << 21)
#define RF_ARITH (RF_CF | RF_PF | RF_AF | RF_ZF | RF_SF | RF_OF)

/* Control register bits encore models. */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
#define CR4_VME (1ull << 0)
#define CR4_PVI (1ull << 1)
#define CR4_TSD (1ull << 2)
#define CR4_DE (1ull << 3)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_MCE (1ull << 6)
#define CR4_PGE (1ull << 7)
#define CR4_PCE (1ull << 8)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_UMIP (1ull << 11)
#define CR4_FSGSBASE (1ull << 16)
#define CR4_PCIDE (1ull << 17)
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* x87 + SSE state, kept in the field order of FXSAVE's image. */
struct encore_fpu_state {
	u16 fcw, fsw;
	u8 ftw; /* abridged: one bit per register, 1 = valid */
	u8 pad0;
	u16 fop;
	u64 fip, fdp;
	u32 mxcsr;
	u32 pad1;
	u8 st[8][16]; /* physical registers R0..R7, 80-bit values in bytes 0..9 */
	u8 xmm[16][16];
};

#define MTRR_VAR_COUNT 8

struct encore_msrs {
	u64 star, lstar, cstar, fmask;
	u64 kernel_gs_base, tsc_aux, pat, apic_base, misc_enable;
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 tsc_offset; /* guest TSC = virtual-time TSC + tsc_offset */
	u64 mtrr_def_type, mtrr_fixed[11], mtrr_var[2 * MTRR_VAR_COUNT];
};

/* The layout version of struct encore_cpu_state in checkpoints: bump it
 * whenever the struct changes (encore/state_parts.h). */
#define ENCORE_CPU_STATE_VERSION 1u

struct encore_cpu_state {
	u64 gpr[16];
	u64 rip, rflags;
	struct encore_segment seg[SEG_COUNT], ldtr, tr;
	struct encore_dtable gdtr, idtr;
	u64 cr0, cr2, cr3, cr4, cr8, efer;
	u64 dr[8];
	struct encore_msrs msr;
	struct encore_fpu_state fpu;
	u8 halted;          /* stopped in HLT, waiting for an interrupt */
	u8 irq_shadow;      /* interrupts blocked for one insn (STI, MOV SS) */
	/* Between run-loop slices, where checkpoints are taken: an external
	 * interrupt acknowledged but not yet delivered, an open request to
	 * return when interrupts become deliverable, and a pending kick.
	 * The run loop's continuation depends on them, so they are state. */
	u8 irq_injected;
	u8 irq_vector;
	u8 irq_window_wanted;
	u8 kick_pending;
	u8 wait_for_sipi;   /* after INIT: stopped until a start-up IPI */
	u8 nmi_pending;     /* an NMI waits for the next boundary */
	u8 nmi_blocked;     /* in an NMI handler: more NMIs wait for IRET */
	u8 pad[7];          /* explicit, zero: the state is hashed as bytes */
};

/* Where `a` (a recorded state) and `b` (a replayed one) differ, as
 * "RIP is 0x... in the recording, 0x... in the replay" (or the first
 * differing byte); false if they do not. */
bool cpu_state__first_difference(const struct encore_cpu_state *a,
				 const struct encore_cpu_state *b, char *out, size_t n);

#endif
