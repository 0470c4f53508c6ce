/*
 * The AArch64 interpreter's CPU: architectural state (EL0 and EL1) and the
 * decoded-instruction form every handler in src/arch/arm64/ works on.
 *
 * Register file: x[0..30] are X0..X30; x[A64_XZR] reads as zero and is
 * never written; x[A64_DISCARD] takes writes to XZR; x[A64_SP] is the
 * stack pointer of the current exception level and SPSel.  The decoder
 * maps register field 31 to A64_XZR/A64_DISCARD or to A64_SP as the form
 * says, so no handler tests for 31.
 */
#ifndef ARM64_A64_CPU_H
#define ARM64_A64_CPU_H

#include "encore/types.h"
#include "arch/arm64/a64_sysreg.h"
#include "arch/arm64/a64_mmu.h"

#define A64_XZR 31
#define A64_DISCARD 32
#define A64_SP 33
#define A64_NREGS 34

/* PSTATE.NZCV, kept where SPSR and NZCV (MRS) have them. */
#define A64_N (1u << 31)
#define A64_Z (1u << 30)
#define A64_C (1u << 29)
#define A64_V (1u << 28)

/* What a handler returns. */
enum a64_status {
	A64_OK = 0,   /* retired: pc is the next instruction */
	A64_EXC,      /* an exception was taken (a64_exception.c): the
		       * instruction did not retire; pc is the vector */
	A64_WAIT,     /* WFI/WFE retired: the vCPU may sleep until an event */
	A64_STOP,     /* retired, and the engine must return to the machine
		       * (a system-register write the machine must see) */
};

struct a64_cpu;
struct a64_insn;
typedef int (*a64_exec_fn)(struct a64_cpu *c, const struct a64_insn *i);

/*
 * One decoded instruction.  The decoder of each group fills what its
 * handler reads; field meanings are the handler's (documented next to
 * each decoder).  Register fields are already mapped (see above).
 */
struct a64_insn {
	a64_exec_fn exec;
	u32 word;        /* the encoding, for handlers and error reports */
	u8 rd, rn, rm, ra;
	u8 sf;           /* 1: 64-bit operation */
	u8 op1, op2, op3;/* small form-specific selectors */
	u8 native;       /* enum a64_native: the translator's form, or 0 */
	u8 native_op;    /* its variant (documented with enum a64_native) */
	u64 imm, imm2;   /* form-specific immediates */
};

/*
 * The forms the translator (a64_translate.c) emits host code for, set
 * by each decoder beside the handler, with the handler's fields; every
 * other instruction's translation calls its handler.  native_op:
 *   LOGIC_IMM  opc (0 AND, 1 ORR, 2 EOR, 3 ANDS)
 *   LOGIC_REG  opc | shift type << 2
 *   ADDSUB_REG shift type | S (flag-setting) << 2
 *   MADD       1 for MSUB
 *   SHIFTV     the shift type (LSLV, LSRV, ASRV, RORV)
 *   ADDSUB_EXT 1 for the signed extensions | S << 1
 *   LD, ST, LDP, STP  the addressing mode (A64_MODE_*)
 */
enum a64_native {
	A64_NAT_NONE,
	A64_NAT_ADR, A64_NAT_ADD_IMM, A64_NAT_ADDS_IMM, A64_NAT_LOGIC_IMM, A64_NAT_MOV_CONST,
	A64_NAT_MOVK, A64_NAT_UBFM, A64_NAT_LOGIC_REG, A64_NAT_ADDSUB_REG, A64_NAT_CSEL,
	A64_NAT_SBFM, A64_NAT_EXTR, A64_NAT_MADD, A64_NAT_SHIFTV, A64_NAT_ADDSUB_EXT,
	A64_NAT_B, A64_NAT_BL, A64_NAT_BCOND, A64_NAT_CBZ, A64_NAT_BR, A64_NAT_BLR,
	A64_NAT_LD, A64_NAT_ST, A64_NAT_LDP, A64_NAT_STP,
};

/* Addressing modes of the loads and stores (a64_ldst.c). */
enum a64_mode { A64_MODE_OFF, A64_MODE_PRE, A64_MODE_POST, A64_MODE_REGU, A64_MODE_REGS };

/* A 128-bit SIMD&FP register, little-endian lanes. */
union a64_vreg {
	u8 b[16];
	u16 h[8];
	u32 s[4];
	u64 d[2];
} __attribute__((aligned(16)));

/*
 * Physical memory as this CPU sees it (the board's RAM and devices).
 * ram_ptr: host pointer for `pa`, good to the end of its 4 KiB page, or
 * NULL when no RAM is there (the access then goes to mmio).
 */
struct a64_bus {
	u8 *(*ram_ptr)(void *opaque, u64 pa);
	void (*mmio)(void *opaque, u64 pa, u8 *data, unsigned len, bool is_write);
	void *opaque;
};

/* The local exclusive monitor (LDXR/STXR): open for [addr, addr+size). */
struct a64_monitor {
	u64 addr;
	u8 size;
	bool open;
};

/*
 * What the CPU asks of its board and engine (a64_system.c, a64_sysreg.c,
 * a64_mem.c).  Every member may be NULL: then the CPU behaves as if the
 * board had nothing to say (time stands at 0, HVC/SMC are UNDEFINED, the
 * fast path may write any RAM page).
 */
struct a64_callbacks {
	void *opaque;
	/* The machine's virtual time in ns; the generic timer counts it at
	 * A64_CNTFRQ_HZ (ns / 16, exactly). */
	u64 (*now_ns)(void *opaque);
	/* A timer register (CNTV_*, CNTP_*, CNTKCTL_EL1) was written: re-arm
	 * the virtual-time timer (a64_timer_deadline_ns) and re-evaluate the
	 * PPIs (a64_timer_irq).  The instruction then returns A64_STOP. */
	void (*timer_changed)(void *opaque, struct a64_cpu *c);
	/* HVC (smc false) or SMC #imm at EL1: the firmware the board
	 * provides (PSCI, SMCCC), arguments and results in x0..x17.  False:
	 * no such firmware, the instruction is UNDEFINED (no EL2/EL3).  A
	 * handled call retires with A64_STOP, so the machine sees its effects
	 * (CPU_ON, SYSTEM_OFF) at once. */
	bool (*firmware_call)(void *opaque, struct a64_cpu *c, bool smc, u16 imm);
	/* SEV: the board sets the event register (a64_cpu.event) of every
	 * other vCPU and wakes those waiting in WFE. */
	void (*send_event)(void *opaque, struct a64_cpu *c);
	/* A broadcast TLBI (the ...IS forms): apply a64_tlbi(other, op, arg)
	 * to every other vCPU of the machine (this one did it already). */
	void (*tlbi_broadcast)(void *opaque, struct a64_cpu *c, u32 op, u64 arg);
	/* IC IALLU/IALLUIS (all) or IC IVAU (the line at virtual address va):
	 * decoded code may be stale. */
	void (*code_stale)(void *opaque, struct a64_cpu *c, u64 va, bool all);
	/* RAM at physical [pa, pa + len) (within one page) is about to be
	 * written by the slow path: mark the frame dirty, drop decoded code. */
	void (*ram_written)(void *opaque, u64 pa, unsigned len);
	/* May writes to the RAM frame at pa skip ram_written (it is dirty and
	 * holds no decoded code)?  Asked when the TLB would cache a write
	 * right; the engine takes rights back with a64_tlb_protect_page and
	 * a64_tlb_revoke_writes/a64_tlb_flush_all. */
	bool (*write_fast_ok)(void *opaque, u64 pa);
	/* A system register access this CPU does not implement (IMPLEMENTATION
	 * DEFINED registers, a GICv3 CPU interface): true if the board has the
	 * register (`key` is A64_SYSREG(op0, op1, CRn, CRm, op2); *v is read
	 * or written).  False: the access is UNDEFINED.  EL1 only. */
	bool (*sysreg)(void *opaque, struct a64_cpu *c, u32 key, u64 *v, bool write);
	/* When set, every data access goes through the slow path (the TLB
	 * caches no data rights: the engine resets it when this changes) and
	 * is told here after it succeeded, in pieces of at most 8 bytes:
	 * virtual and physical address, the bytes' value (little-endian),
	 * write or read.  Fetches, walks and cache maintenance are not. */
	void (*mem_accessed)(void *opaque, struct a64_cpu *c, u64 va, u64 pa, unsigned size,
			     u64 value, bool write);
	/* A translated block (a64_translate.c) reached a constant target,
	 * with c->pc there and the count stored, or a linked jump found its
	 * target changed: the translation to go on in (its chained entry,
	 * A64_CHAINED_ENTRY), or NULL to return to the engine.  The engine
	 * may patch the jump whose rel32 is at `site` to that entry for the
	 * next time.  NULL: translations never go on. */
	const void *(*chain_link)(void *opaque, struct a64_cpu *c, u8 *site);
	/* The hooks translations call where the engine's hooked loop would
	 * (a64_translate.h, enum a64_trans_hooks): a block about to run
	 * (c->pc at it), a block's run over (its start count in
	 * c->hook_icount), an SVC about to run (c->pc at it) and one that
	 * retired (before it is counted).  `block` is the a64_block. */
	void (*block_start)(void *opaque, struct a64_cpu *c, const void *block);
	void (*block_ran)(void *opaque, struct a64_cpu *c, const void *block, unsigned started,
			  unsigned retired);
	void (*svc_entering)(void *opaque, struct a64_cpu *c, const void *block);
	void (*svc_retired)(void *opaque, struct a64_cpu *c);
};

/* a64_cpu.wait: what the last A64_WAIT waits for (a64_wait_over). */
#define A64_WAIT_WFI 1
#define A64_WAIT_WFE 2

struct a64_cpu {
	u64 x[A64_NREGS];
	u64 pc;
	u32 nzcv;         /* bits 31:28 only */
	u8 el;            /* current exception level: 0 or 1 */
	u8 spsel;         /* PSTATE.SP at EL1: 1 = SP_EL1 */
	u8 daif;          /* PSTATE.{D,A,I,F} as bits 3..0 */
	u64 sp_el0, sp_el1; /* the banked stack pointer not in x[A64_SP] */
	union a64_vreg v[32];
	u32 fpcr, fpsr;
	struct a64_monitor monitor;
	struct a64_sysregs sys;
	u64 insns;        /* retired instructions */
	/* Translated blocks (a64_translate.c) go on into the next one only
	 * while it ends at or before this count: the engine's limit, or 0
	 * once anything needs the engine's attention (a kick, an interrupt,
	 * a window asked for). */
	u64 chain_limit;
	u64 hook_icount;  /* translations with hooks: the count a block began at */
	struct a64_bus bus;
	/* ---- system level: a64_system.c, a64_sysreg.c, a64_mmu.c ---- */
	struct a64_callbacks cb;
	u32 cpu_index;    /* MPIDR_EL1.Aff0 (set by the board) */
	/* The interrupt controller's IRQ and FIQ outputs for this CPU (levels,
	 * set by the board); a64_take_interrupt_if_pending takes them. */
	bool irq_line, fiq_line;
	u8 event;         /* the event register (WFE, SEV, SEVL, ERET) */
	u8 wait;          /* after A64_WAIT: A64_WAIT_WFI or A64_WAIT_WFE */
	u8 il;            /* PSTATE.IL: an illegal exception return happened */
	struct a64_tlb tlb; /* large: keep last */
};

/* Fill `i` for `word`; unallocated encodings get a handler that takes
 * the Undefined Instruction exception.  Never fails. */
void a64_decode(u32 word, struct a64_insn *i);

/* The group decoders a64_decode dispatches to (one file each). */
void a64_decode_dp_imm(u32 word, struct a64_insn *i);   /* a64_dp_imm.c */
void a64_decode_dp_reg(u32 word, struct a64_insn *i);   /* a64_dp_reg.c */
void a64_decode_branch(u32 word, struct a64_insn *i);   /* a64_branch.c */
bool a64_decode_system(u32 word, struct a64_insn *i);   /* a64_system.c: false = not a
							  * system/exception form */
void a64_decode_ldst(u32 word, struct a64_insn *i);     /* a64_ldst.c */
void a64_decode_simd_fp(u32 word, struct a64_insn *i);  /* a64_simd_fp.c */
void a64_decode_undefined(struct a64_insn *i);

/* Fetch, decode and run one instruction at pc (for tests and single
 * steps; the engine runs decoded blocks). */
int a64_step(struct a64_cpu *c);

/* Register helpers: field value -> register index. */
static inline u8 a64_reg_zr(u32 field)  /* source: 31 = XZR */
{
	return (u8)(field & 31);
}
static inline u8 a64_reg_dst(u32 field) /* destination: 31 = XZR (discarded) */
{
	field &= 31;
	return field == 31 ? A64_DISCARD : (u8)field;
}
static inline u8 a64_reg_sp(u32 field)  /* source or destination: 31 = SP */
{
	field &= 31;
	return field == 31 ? A64_SP : (u8)field;
}

/* Bits [hi:lo] of w. */
static inline u32 a64_bits(u32 w, unsigned hi, unsigned lo)
{
	return (w >> lo) & ((2u << (hi - lo)) - 1);
}

static inline bool a64_cond_holds(u32 nzcv, unsigned cond)
{
	bool n = nzcv & A64_N, z = nzcv & A64_Z, c = nzcv & A64_C, v = nzcv & A64_V;
	bool r;
	switch (cond >> 1) {
	case 0: r = z; break;
	case 1: r = c; break;
	case 2: r = n; break;
	case 3: r = v; break;
	case 4: r = c && !z; break;
	case 5: r = n == v; break;
	case 6: r = n == v && !z; break;
	default: r = true; break;
	}
	return (cond & 1) && cond != 15 ? !r : r;
}

#endif
