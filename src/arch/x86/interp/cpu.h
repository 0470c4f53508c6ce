/*
 * The interpreter's internal CPU: architectural state plus the fast-path
 * machinery (software TLB, lazy flags, decoded-block cache).  Every
 * instruction handler in src/arch/x86/interp/ works through this header.
 */
#ifndef INTERP_CPU_H
#define INTERP_CPU_H

#include <setjmp.h>

#include "encore/cpu_state.h"
#include "encore/engine.h"
#include "encore/hooks.h"
#include "encore/machine.h"
#include "encore/pc.h"

struct cpu;
struct insn;
typedef void (*insn_fn)(struct cpu *c, const struct insn *i);

/* Register numbers in insn.reg / insn.rm for byte operands without REX. */
#define REG8_AH 16 /* 16..19 = AH, CH, DH, BH */
#define RM_MEM 0xff   /* insn.rm: the r/m operand is in memory */
/*
 * Address registers index the register file R = { 0, RAX..R15, RIP } that
 * starts at cpu.zero_reg, so "no base/index" and RIP-relative cost no branch.
 */
#define EA_NONE 0
#define EA_REG(r) ((r) + 1)
#define EA_RIP 17
/* insn.ea_extra: the offset wraps to a 32- or 16-bit address size; the
 * segment base is added (FS/GS, and outside 64-bit mode).  Both are rare
 * in 64-bit code, so one test skips them. */
#define EA_MASK 0x01
#define EA_SEGBASE 0x02

/* insn.pfx bits */
#define PFX_LOCK 0x01
#define PFX_REP 0x02   /* F3 */
#define PFX_REPNE 0x04 /* F2 */
#define PFX_OPSIZE 0x08 /* 66 */
#define PFX_ADSIZE 0x10 /* 67 */
#define PFX_REX 0x20
#define PFX_REXW 0x40

/* insn.flags bits */
#define IF_BLOCK_END 0x01 /* ends a decoded block: branch or state change */
#define IF_MODE64 0x02    /* decoded as 64-bit code */
#define IF_STACK 0x04     /* accesses the stack implicitly (push, call, ...) */
#define IF_SIDE_EXIT 0x08 /* a conditional branch inside a block: taken, it ends
			     the block (c->stop); the block it ends is what hooks
			     see as a block */

/*
 * One decoded instruction.  The decoder fills everything; the handler
 * chosen for the form reads only what it needs.
 */
struct insn {
	insn_fn fn;
	u64 imm;      /* immediate, sign- or zero-extended as the form defines */
	i32 disp;     /* memory displacement */
	u16 imm2;     /* ENTER's level byte, far pointer selector */
	u8 len;       /* encoded length in bytes */
	u8 opsize;    /* operand size in bytes: 1, 2, 4 or 8 */
	u8 addrsize;  /* address size in bytes: 4 or 8 (2 in compat mode) */
	u8 reg;       /* ModRM.reg (+REX.R), or +r opcode register (+REX.B) */
	u8 rm;        /* r/m register number, or RM_MEM */
	u8 ea_base;   /* base: EA_NONE, EA_REG(r) or EA_RIP */
	u8 ea_index;  /* index: EA_NONE or EA_REG(r) */
	u8 scale;     /* index shift, 0..3 */
	u8 addr_shift;/* 0, 32 or 48: offset mask = ~0 >> addr_shift */
	u8 ea_extra;  /* EA_MASK | EA_SEGBASE: work beyond base+index+disp */
	u8 seg;       /* segment of the memory operand (enum encore_seg) */
	u8 pfx;       /* PFX_* */
	u8 op;        /* last opcode byte */
	u8 map;       /* 0: one-byte, 1: 0F, 2: 0F38, 3: 0F3A */
	u8 ext;       /* ModRM.reg without REX (group selector), or 0 */
	u8 modrm;     /* raw ModRM byte (0 if none) */
	u8 flags;     /* IF_* */
	u8 hook_run;  /* instructions from here to the end of the block as
	               * hooks see it (its end or a conditional branch) */
};

/*
 * Software TLB: one direct-mapped set per privilege (0 = supervisor, 1 =
 * user), large enough for a few MiB of working set.  Flushes visit only
 * the entries filled since they were last flushed, listed apart by kind
 * (tlb_list: non-global, global), so a CR3 write skips the global ones.
 */
#define TLB_BITS 12
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_TAG_NONE 1ull /* never equals a page-aligned address */
/*
 * With memory hooks installed every access must reach the hook, so the
 * inline paths may not hit; the translation is still cached, as the tag
 * with TLB_HOOKED set, which the slow path accepts (no page walk).
 */
#define TLB_HOOKED 2ull

struct tlb_entry {
	u64 tag_read, tag_write, tag_exec; /* page-aligned linear address */
	uintptr_t addend;                  /* host = linear + addend */
	u64 paddr;                         /* guest physical page | 1 if global */
};

/* Indices of TLB entries that may hold tags, of one set and one kind. */
struct tlb_list {
	u32 n;
	u16 idx[TLB_SIZE];
};

/* Lazy flags: the last flag-setting operation, evaluated on demand. */
enum cc_kind {
	CC_EFLAGS, /* arithmetic flags are in s.rflags */
	CC_ADD,    /* flags from a, b, res */
	CC_SUB,    /* also CMP, NEG (a = 0) */
	CC_LOGIC,  /* CF = OF = 0 */
	CC_INC,    /* like ADD with b = 1, CF kept in s.rflags */
	CC_DEC,    /* like SUB with b = 1, CF kept in s.rflags */
	CC_ADC,    /* like ADD, with a carry in: res is not simply a + b */
	CC_SBB,    /* like SUB, with a borrow in */
	CC_MUL,    /* MUL/IMUL: CF = OF = a (the product overflowed), ZF/SF/PF from res */
	CC_SHIFT,  /* SHL/SHR/SAR: CF and OF as flag bits in a, ZF/SF/PF from res, AF clear */
};
/* cc_op = kind * 4 + log2(size) */
#define CC_OP(kind, size) ((kind) * 4 + (__builtin_ctz(size)))

struct block;

struct cpu {
	u64 zero_reg; /* R[0] of the address register file; always 0 */
	struct encore_cpu_state s;
	u64 cc_a, cc_b, cc_res;
	u32 cc_op;
	u8 cpl;
	u8 mode64;        /* CS.L in long mode: 64-bit code */
	u8 mode_key;      /* decoding mode of blocks: see cpu_update_mode */
	u8 block_abort;   /* stop the current block after this instruction */
	u8 kicked;
	u8 want_window;     /* exit when interrupts become deliverable */
	u8 yield_on_pause;  /* PAUSE ends the run with EXIT_YIELD (several vCPUs) */
	u64 icount;       /* retired instructions before cur's block: see cpu_icount */
	u64 insn_limit;
	/* Translated blocks chain while icount stays within this: insn_limit,
	 * or 0 once anything needs the run loop (block_abort, an interrupt
	 * pending), so that their one check between blocks is the budget. */
	u64 chain_limit;
	const struct insn *cur;  /* the instruction being executed */
	const struct insn *cur_first; /* its block's first instruction (block_of) */
	const struct insn *stop; /* where the running block stops: its end or past cur */
	struct tlb_entry *tlb_cpl; /* tlb[cpl == 3]: set with cpl (cpu_update_mode) */
	struct tlb_entry tlb[2][TLB_SIZE];
	struct tlb_list tlb_list[2][2]; /* [set][global]: see tlb_fill */
	u8 tlb_listed[2][TLB_SIZE];      /* [set][index]: bit g = on tlb_list[set][g] */
	struct encore_machine *machine;
	struct encore_engine engine;
	jmp_buf exc_jmp;
	int pending_vector; /* injected external interrupt, or -1 */
	int delivering;     /* vector being delivered (-1: none), for #DF rules */
	const struct encore_hooks *hooks;
	u8 run_kind;        /* which hooks the run loop calls: enum run_kind */
	u8 reported_cpl;    /* the CPL on_cpl_change last told of */
	u8 code_hooks;      /* the hooks translations must call (enum
	                     * code_hooks); CODE_HOOKS_NONE: none may run */
	u64 hooked_page;    /* translations: the TLB entry's paddr of the access
	                     * that hit, for its on_mem call */
	struct interp_caches *caches; /* decoded blocks, code-page tracking */
	struct block **jump_cache;    /* virtual RIP -> block, see block.c */
	struct interp_stats *stats;
	char exit_message[256];
	int exit_reason;    /* set where run() must end at once (triple fault, fetch error) */
	u64 code_base;      /* linear address of CS:0 the jump cache was filled under */
};

/*
 * Retired instructions.  The run loop counts a block's instructions when
 * it ends (or an exception leaves it), not one by one: during a handler
 * the count is the block's start plus cur's position.
 */
static inline u64 cpu_icount(const struct cpu *c)
{
	return c->icount + (c->cur ? (u64)(c->cur - c->cur_first) : 0);
}

/*
 * Stop the running block after the current instruction (and the chain of
 * blocks after it): a state change the next instructions must see, such
 * as an interrupt that may now be taken or code that was rewritten.
 */
static inline void cpu_end_block(struct cpu *c)
{
	c->block_abort = 1;
	c->chain_limit = 0;
	if (c->cur)
		c->stop = c->cur + 1;
}

/* ---- registers ---- */

static inline u64 size_mask(unsigned size)
{
	return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* 0, 1, 2, 3 for operands of 1, 2, 4, 8 bytes: an index into per-size tables. */
static inline unsigned size_index(unsigned size)
{
	return (unsigned)__builtin_ctz(size);
}

static inline u64 reg_read(struct cpu *c, unsigned r, unsigned size)
{
	if (size == 1 && r >= REG8_AH)
		return (c->s.gpr[r - REG8_AH] >> 8) & 0xff;
	return c->s.gpr[r] & size_mask(size);
}

/* x86 write rules: 32-bit writes zero-extend, 8/16-bit writes merge. */
static inline void reg_write(struct cpu *c, unsigned r, unsigned size, u64 v)
{
	switch (size) {
	case 1:
		if (r >= REG8_AH)
			c->s.gpr[r - REG8_AH] = (c->s.gpr[r - REG8_AH] & ~0xff00ull) | ((v & 0xff) << 8);
		else
			c->s.gpr[r] = (c->s.gpr[r] & ~0xffull) | (v & 0xff);
		break;
	case 2: c->s.gpr[r] = (c->s.gpr[r] & ~0xffffull) | (v & 0xffff); break;
	case 4: c->s.gpr[r] = (u32)v; break;
	default: c->s.gpr[r] = v; break;
	}
}

static inline u64 sign_extend(u64 v, unsigned size)
{
	switch (size) {
	case 1: return (u64)(i64)(i8)v;
	case 2: return (u64)(i64)(i16)v;
	case 4: return (u64)(i64)(i32)v;
	default: return v;
	}
}

/* ---- exceptions (src/arch/x86/interp/except.c) ---- */

enum {
	EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5,
	EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12,
	EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18, EXC_XM = 19,
};
#define NO_ERRCODE (-1)

/*
 * Abort the current instruction and deliver exception `vector`.  State
 * the instruction already committed stays, so handlers do every access
 * that can fault before they write registers or flags.
 */
_Noreturn void cpu_raise(struct cpu *c, int vector, i64 errcode);
static inline _Noreturn void raise_ud(struct cpu *c) { cpu_raise(c, EXC_UD, NO_ERRCODE); }
static inline _Noreturn void raise_gp(struct cpu *c, u32 err) { cpu_raise(c, EXC_GP, err); }
/* #UD for an opcode the interpreter does not implement: counted and reported. */
_Noreturn void raise_unimplemented(struct cpu *c);
/*
 * End the run with EXIT_ERROR and a message: the guest asked for something
 * the interpreter does not model (a task switch, a call gate, virtual-8086
 * mode).  The run stops at the instruction, whose RIP the exit reports.
 */
_Noreturn void cpu_unsupported(struct cpu *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Real-address mode: CR0.PE = 0 (CPL 0, segments are selector << 4). */
static inline bool real_mode(const struct cpu *c)
{
	return !(c->s.cr0 & CR0_PE);
}

/* ---- memory (src/arch/x86/interp/mmu.c) ---- */

/* base + (index << scale) + disp + delta, before any wrap or segment base.
 * R[17] is s.rip, which during a handler is the next instruction's RIP. */
static inline u64 insn_sum(struct cpu *c, const struct insn *i, u64 delta)
{
	const u64 *R = (const u64 *)((const u8 *)c + __builtin_offsetof(struct cpu, zero_reg));
	return (u64)(i64)i->disp + R[i->ea_base] + (R[i->ea_index] << i->scale) + delta;
}

/* Effective address (offset) of the ModRM memory operand plus `delta`,
 * wrapped to the address size (BT with a register bit offset adds one). */
static inline u64 insn_offset_disp(struct cpu *c, const struct insn *i, u64 delta)
{
	u64 a = insn_sum(c, i, delta);
	if (unlikely(i->ea_extra & EA_MASK))
		a &= ~0ull >> i->addr_shift;
	return a;
}

/* Effective address (offset) of the ModRM memory operand, as LEA sees it. */
static inline u64 insn_offset(struct cpu *c, const struct insn *i)
{
	return insn_offset_disp(c, i, 0);
}

/* Linear address of a segment:offset pair (only FS/GS bases in 64-bit mode). */
static inline u64 seg_linear(struct cpu *c, unsigned seg, u64 off)
{
	if (seg >= SEG_FS || !c->mode64)
		off += c->s.seg[seg].base;
	return c->mode64 ? off : (u32)off;
}

/* The rare part of insn_ea_disp, out of line. */
u64 insn_ea_extra(struct cpu *c, const struct insn *i, u64 sum);

/* Linear address of the ModRM memory operand plus `delta` (segment base included). */
static inline u64 insn_ea_disp(struct cpu *c, const struct insn *i, u64 delta)
{
	u64 a = insn_sum(c, i, delta);
	if (unlikely(i->ea_extra))
		a = insn_ea_extra(c, i, a);
	return a;
}

static inline u64 insn_ea(struct cpu *c, const struct insn *i)
{
	return insn_ea_disp(c, i, 0);
}

enum access { ACC_READ, ACC_WRITE, ACC_EXEC };
/* Slow paths: page walk, TLB fill, MMIO, page-crossing, faults. */
u64 mmu_read_slow(struct cpu *c, u64 lin, unsigned size);
void mmu_write_slow(struct cpu *c, u64 lin, unsigned size, u64 v);
/* Byte-string access of any length (x87/SSE/FXSAVE operands, descriptors). */
void mem_read_bytes(struct cpu *c, u64 lin, void *dst, unsigned n);
void mem_write_bytes(struct cpu *c, u64 lin, const void *src, unsigned n);
/* Implicit supervisor accesses (GDT, IDT, TSS), whatever the CPL. */
u64 mem_read_sys(struct cpu *c, u64 lin, unsigned size);
void mem_write_sys(struct cpu *c, u64 lin, unsigned size, u64 v);
/* Translate for `acc` at the current privilege; raises #PF on failure. */
u64 mmu_translate(struct cpu *c, u64 lin, enum access acc);
void tlb_flush_all(struct cpu *c);
/* An empty TLB, for a new CPU. */
void tlb_init(struct cpu *c);
/* Call after writing guest RAM through a host pointer (invalidates code). */
void mmu_note_ram_write(struct cpu *c, u64 paddr, unsigned len);
void tlb_flush_page(struct cpu *c, u64 lin);

static inline struct tlb_entry *tlb_entry_for(struct cpu *c, u64 lin)
{
	return &c->tlb_cpl[(lin >> 12) & (TLB_SIZE - 1)];
}

/* A tag of the TLB entry for `lin` covers an access of `size` bytes (1
 * to 4096). */
static inline bool tlb_hit(u64 tag, u64 lin, unsigned size)
{
	/* The entry is lin's page's: a tag equal to the page of the access's
	 * last byte means that page is lin's too (the next page has another
	 * entry), so one compare covers the page-crossing test. */
	return tag == ((lin + size - 1) & ~0xfffull);
}

/* Loads and stores through a host pointer from fast_access. */
static inline u64 host_load(const u8 *h, unsigned size)
{
	u8 v1; u16 v2; u32 v4; u64 v8;
	switch (size) {
	case 1: __builtin_memcpy(&v1, h, 1); return v1;
	case 2: __builtin_memcpy(&v2, h, 2); return v2;
	case 4: __builtin_memcpy(&v4, h, 4); return v4;
	default: __builtin_memcpy(&v8, h, 8); return v8;
	}
}

static inline void host_store(u8 *h, unsigned size, u64 v)
{
	u8 v1 = (u8)v; u16 v2 = (u16)v; u32 v4 = (u32)v;
	switch (size) {
	case 1: __builtin_memcpy(h, &v1, 1); break;
	case 2: __builtin_memcpy(h, &v2, 2); break;
	case 4: __builtin_memcpy(h, &v4, 4); break;
	default: __builtin_memcpy(h, &v, 8); break;
	}
}

/*
 * The hottest handlers come in two parts: a fast one that runs only when
 * its accesses hit the TLB (fast_access) and otherwise hands the
 * instruction to the general handler, as its last act (a jump, so the
 * fast part saves no registers for a call), and that general handler.
 */
#define HANDLER_SLOW static __attribute__((noinline, cold))


/*
 * The fast part's host address for an access at `lin` (fast_access) or
 * for the ModRM memory operand (fast_operand), in *h: false
 * unless it needs no wrap or segment base (ea_extra) and hits the TLB for
 * the access (`write` selects the tag).
 */
static inline bool fast_access(struct cpu *c, u64 lin, unsigned size, bool write, u8 **h)
{
	struct tlb_entry *e = tlb_entry_for(c, lin);
	if (unlikely(!tlb_hit(write ? e->tag_write : e->tag_read, lin, size)))
		return false;
	*h = (u8 *)(uintptr_t)(lin + e->addend);
	return true;
}

static inline bool fast_operand(struct cpu *c, const struct insn *i, unsigned size, bool write,
				u8 **h)
{
	if (unlikely(i->ea_extra))
		return false;
	return fast_access(c, insn_sum(c, i, 0), size, write, h);
}

/* The r/m source of a 4- or 8-byte form, zero-extended, when it is a
 * register or memory that hits the TLB (then true); else the caller
 * hands the instruction to its general handler. */
static inline bool fast_rm_read(struct cpu *c, const struct insn *i, unsigned size, u64 *v)
{
	u8 *h;
	if (i->rm != RM_MEM) {
		*v = size == 8 ? c->s.gpr[i->rm] : (u32)c->s.gpr[i->rm];
		return true;
	}
	if (unlikely(!fast_operand(c, i, size, false, &h)))
		return false;
	*v = host_load(h, size);
	return true;
}

/*
 * Host pointer for `size` bytes at `lin` when the TLB holds a fast tag for
 * the access (same page, RAM, no hooks, not a code page for writes), else
 * NULL: the caller then takes the slow path, which may fault.
 */
static inline u8 *tlb_host_read(struct cpu *c, u64 lin, unsigned size)
{
	u8 *h;
	return fast_access(c, lin, size, false, &h) ? h : NULL;
}

static inline u8 *tlb_host_write(struct cpu *c, u64 lin, unsigned size)
{
	u8 *h;
	return fast_access(c, lin, size, true, &h) ? h : NULL;
}

/*
 * Defines handler `name`: when its ModRM memory operand (`size` bytes, a
 * write if `write`) hits the TLB, `body` runs with its host address in h;
 * every other case goes to `slow`, the general handler, by a jump.
 */
#define FAST_PART(name, size, write, slow, body)                                         \
	static void name(struct cpu *c, const struct insn *i)                            \
	{                                                                                \
		u8 *h;                                                                   \
		if (unlikely(!fast_operand(c, i, size, write, &h))) {                    \
			slow(c, i);                                                      \
			return;                                                          \
		}                                                                        \
		body                                                                     \
	}

/* A hit costs the index, one compare and the access. */
#define DEFINE_MEM_ACCESS(bits, type)                                                    \
	static inline type mem_read##bits(struct cpu *c, u64 lin)                           \
	{                                                                                    \
		u8 *h;                                                                           \
		if (likely(fast_access(c, lin, sizeof(type), false, &h)))                       \
			return (type)host_load(h, sizeof(type));                                 \
		return (type)mmu_read_slow(c, lin, sizeof(type));                               \
	}                                                                                    \
	static inline void mem_write##bits(struct cpu *c, u64 lin, type v)                  \
	{                                                                                    \
		u8 *h;                                                                           \
		if (likely(fast_access(c, lin, sizeof(type), true, &h))) {                      \
			host_store(h, sizeof(type), v);                                          \
			return;                                                                  \
		}                                                                                \
		mmu_write_slow(c, lin, sizeof(type), v);                                        \
	}
DEFINE_MEM_ACCESS(8, u8)
DEFINE_MEM_ACCESS(16, u16)
DEFINE_MEM_ACCESS(32, u32)
DEFINE_MEM_ACCESS(64, u64)

static inline u64 mem_read(struct cpu *c, u64 lin, unsigned size)
{
	switch (size) {
	case 1: return mem_read8(c, lin);
	case 2: return mem_read16(c, lin);
	case 4: return mem_read32(c, lin);
	default: return mem_read64(c, lin);
	}
}

static inline void mem_write(struct cpu *c, u64 lin, unsigned size, u64 v)
{
	switch (size) {
	case 1: mem_write8(c, lin, (u8)v); break;
	case 2: mem_write16(c, lin, (u16)v); break;
	case 4: mem_write32(c, lin, (u32)v); break;
	default: mem_write64(c, lin, v); break;
	}
}

/* The r/m operand at the instruction's operand size (or `size`). */
static inline u64 rm_read(struct cpu *c, const struct insn *i, unsigned size)
{
	if (i->rm != RM_MEM)
		return reg_read(c, i->rm, size);
	return mem_read(c, insn_ea(c, i), size);
}

static inline void rm_write(struct cpu *c, const struct insn *i, unsigned size, u64 v)
{
	if (i->rm != RM_MEM)
		reg_write(c, i->rm, size, v);
	else
		mem_write(c, insn_ea(c, i), size, v);
}

/* ---- stack ---- */

static inline unsigned stack_size(struct cpu *c)
{
	if (c->mode64)
		return 8;
	return (c->s.seg[SEG_SS].attr & SEG_ATTR_DB) ? 4 : 2;
}

static inline u64 stack_lin(struct cpu *c, u64 sp)
{
	return c->mode64 ? sp : c->s.seg[SEG_SS].base + (stack_size(c) == 4 ? (u32)sp : (u16)sp);
}

static inline void stack_set_sp(struct cpu *c, u64 sp)
{
	reg_write(c, REG_RSP, stack_size(c), sp);
}

/* Push/pop `size` bytes; the write or read happens before RSP changes. */
static inline void push(struct cpu *c, unsigned size, u64 v)
{
	u64 sp = c->s.gpr[REG_RSP] - size;
	mem_write(c, stack_lin(c, sp), size, v);
	stack_set_sp(c, sp);
}

static inline u64 pop(struct cpu *c, unsigned size)
{
	u64 sp = c->s.gpr[REG_RSP];
	u64 v = mem_read(c, stack_lin(c, sp), size);
	stack_set_sp(c, sp + size);
	return v;
}

/* ---- flags (src/arch/x86/interp/flags.c) ---- */

/* `res` is the result already cut to the operation's size (every
 * producer does): ZF is then res == 0 without a mask. */
static inline void set_cc(struct cpu *c, u32 op, u64 a, u64 b, u64 res)
{
	c->cc_op = op;
	c->cc_a = a;
	c->cc_b = b;
	c->cc_res = res;
}

/* Full RFLAGS with the arithmetic flags evaluated. */
u64 flags_get(struct cpu *c);
/* Replace the flags in `mask` with those of `value` (others kept). */
void flags_set(struct cpu *c, u64 value, u64 mask);

/* Set all six arithmetic flags at once (no lazy state needs evaluating). */
static inline void flags_set_arith(struct cpu *c, u64 value)
{
	c->s.rflags = (c->s.rflags & ~RF_ARITH) | (value & RF_ARITH);
	c->cc_op = CC_OP(CC_EFLAGS, 1);
}
/* Condition `cc` from fully evaluated flags (the general path). */
bool cond_eval_slow(struct cpu *c, unsigned cc);

/*
 * Jcc/SETcc/CMOVcc condition, cc = low nibble of the opcode: cond_eval, or
 * cond_eval_fast, which gives -1 where the flags must be evaluated (so
 * that a handler can leave that case to an out-of-line part).  Inline so
 * that handlers specialised on a constant cc reduce to a compare for the
 * common CMP/SUB/TEST/AND producers.
 */
static inline int cond_eval_fast(struct cpu *c, unsigned cc)
{
	unsigned op = c->cc_op, kind = op >> 2, sel = cc >> 1, bits = 8u << (op & 3);
	if (likely(kind != CC_EFLAGS)) {
		/* ZF and SF depend only on the result, whatever produced it. */
		u64 m = ~0ull >> (64 - bits), res = c->cc_res;
		if (sel == 2)
			return (res == 0) ^ (cc & 1);
		bool sf = (res >> (bits - 1)) & 1;
		if (sel == 4)
			return sf ^ (cc & 1);
		switch (kind) {
		case CC_SUB: { /* CMP, SUB: compare a with b */
			u64 a = c->cc_a & m, b = c->cc_b & m;
			i64 sa = (i64)(a << (64 - bits)), sb = (i64)(b << (64 - bits));
			switch (sel) {
			case 1: return (a < b) ^ (cc & 1);
			case 3: return (a <= b) ^ (cc & 1);
			case 6: return (sa < sb) ^ (cc & 1);
			case 7: return (sa <= sb) ^ (cc & 1);
			}
			break;
		}
		case CC_ADD: { /* no carry in: a carry out leaves res below a */
			bool cf = res < (c->cc_a & m);
			if (sel == 1)
				return cf ^ (cc & 1);
			if (sel == 3)
				return (cf | (res == 0)) ^ (cc & 1);
			break;
		}
		case CC_LOGIC: /* CF = OF = 0 */
			switch (sel) {
			case 0: case 1: return cc & 1;
			case 3: return (res == 0) ^ (cc & 1);
			case 6: return sf ^ (cc & 1);
			case 7: return ((res == 0) | sf) ^ (cc & 1);
			}
			break;
		case CC_INC: case CC_DEC: { /* CF kept in rflags */
			bool cf = c->s.rflags & RF_CF;
			if (sel == 1)
				return cf ^ (cc & 1);
			if (sel == 3)
				return (cf | (res == 0)) ^ (cc & 1);
			break;
		}
		}
	}
	return -1;
}

static inline bool cond_eval(struct cpu *c, unsigned cc)
{
	int r = cond_eval_fast(c, cc);
	return r >= 0 ? r : cond_eval_slow(c, cc);
}

/* The carry (borrow) out of the top bit of a + b (a - b), given the
 * result of `size` bytes (so a carry or borrow in is accounted for). */
static inline bool add_carry(u64 a, u64 b, u64 res, unsigned size)
{
	return (((a & b) | ((a | b) & ~res)) >> (size * 8 - 1)) & 1;
}

static inline bool sub_borrow(u64 a, u64 b, u64 res, unsigned size)
{
	return (((~a & b) | ((~a | b) & res)) >> (size * 8 - 1)) & 1;
}

/* CF alone, without evaluating the other flags (ADC, SBB, INC, DEC). */
static inline bool flag_cf(struct cpu *c)
{
	unsigned size = 1u << (c->cc_op & 3);
	u64 a = c->cc_a, b = c->cc_b, r = c->cc_res;
	switch (c->cc_op >> 2) {
	case CC_ADD: case CC_ADC: return add_carry(a, b, r, size);
	case CC_SUB: case CC_SBB: return sub_borrow(a, b, r, size);
	case CC_LOGIC: return false;
	case CC_MUL: return a & 1;
	case CC_SHIFT: return a & RF_CF;
	default: return c->s.rflags & RF_CF; /* EFLAGS, INC, DEC keep it there */
	}
}
bool parity8(u8 v);

/* ---- control flow ---- */

static inline bool is_canonical(u64 a)
{
	return (u64)((i64)(a << 16) >> 16) == a;
}

/* A branch target: #GP(0) if not canonical in 64-bit mode, else EIP-wrapped. */
static inline u64 branch_target(struct cpu *c, u64 target)
{
	if (!c->mode64)
		return (u32)target;
	if (unlikely(!is_canonical(target)))
		raise_gp(c, 0);
	return target;
}

/* Set RIP for a taken branch. */
static inline void branch_to(struct cpu *c, u64 target)
{
	c->s.rip = branch_target(c, target);
}

/* ---- opcode registration (src/arch/x86/interp/decode.c) ---- */

/*
 * A selector sees the decoded instruction (prefixes, ModRM, operand
 * size) and returns its handler, or NULL for an invalid/unimplemented
 * form (#UD).  It may also adjust fields such as imm or flags.
 */
typedef insn_fn (*select_fn)(struct insn *i);
enum op_map { MAP_1B, MAP_0F, MAP_0F38, MAP_0F3A, MAP_COUNT };
void op_register(enum op_map map, u8 opcode, select_fn sel, const char *name);

/* Byte-register mapping for selectors: r/m or reg field numbers 4..7
 * without REX name AH..BH. */
static inline u8 byte_reg(const struct insn *i, u8 r)
{
	if (r < 4 || r >= 8 || (i->pfx & PFX_REX))
		return r;
	return REG8_AH + r - 4;
}

/* Length-only decode of raw bytes in 64-bit (or 32-bit) mode; 0 = invalid. */
int decode_length(const u8 *bytes, unsigned avail, bool mode64);

/* ---- misc shared by handlers ---- */

/* Virtual TSC from the retired-instruction count (machine's time base). */
u64 cpu_tsc(struct cpu *c);
/* Recompute cpl, mode64 and mode_key after CS or EFER.LMA change. */
void cpu_update_mode(struct cpu *c);
/* Port I/O through the machine's bus. */
u64 cpu_port_in(struct cpu *c, u16 port, unsigned size);
void cpu_port_out(struct cpu *c, u16 port, unsigned size, u64 v);

#endif
