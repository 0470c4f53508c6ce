/*
 * The translator: a decoded block of 64-bit code becomes host x86-64 code
 * that does what exec_block would do with it, faster.  The common forms
 * (moves, loads and stores that hit the TLB, the ALU operations with
 * their lazy flags, conditional branches, PUSH/POP/CALL/RET) run natively;
 * every other instruction, and every native form whose access misses the
 * TLB, calls the interpreter's handler exactly as exec_block does (cur,
 * RIP at the next instruction, then the check of c->stop).  So the
 * interpreter stays the reference, and every case it handles (faults,
 * MMIO, memory hooks, self-modifying code, page-crossing accesses) is
 * handled by the same code.
 *
 * A translated block runs whole unless something stops it, and leaves
 * c->icount counting what retired and c->s.rip at the next instruction;
 * then it goes on to the next block's translation as run_blocks would
 * (emit_chain), or returns.
 * Native instructions keep neither c->s.rip nor c->cur: both are known at
 * translation time and are stored only where a handler may read them.
 *
 * Host registers: rbx = the cpu, rbp = its TLB set for the CPL
 * (c->tlb_cpl: fixed while blocks chain, as they chain only within one
 * mode), r13 = the TLB index field for BEXTR, r14/r15 = the host and
 * linear address of a hooked access across its hook call; rax, rcx, rdx,
 * rsi, rdi, r8-r10 scratch.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "ops.h"
#include "translate.h"
#include "host/x86_64_emit.h"

#define OFF(f) ((i32)offsetof(struct cpu, f))
#define H_R14 14
#define H_R15 15

/* The ALU operations by their /digit, as guest and host number them. */
enum { ALU_ADD = 0, ALU_OR = 1, ALU_ADC = 2, ALU_SBB = 3, ALU_AND = 4, ALU_SUB = 5,
       ALU_XOR = 6, ALU_CMP = 7, ALU_TEST = 8 };

_Static_assert(sizeof(struct tlb_entry) == 40, "the TLB index below multiplies by 5 * 8");

/* Host condition codes (the low nibble of Jcc) the glue code tests. */
enum { CC_E = 0x4, CC_NE = 0x5, CC_A = 0x7 };

/* Out-of-line code after the block's body, one of each kind per insn. */
enum stub_kind { STUB_SLOW, STUB_EXIT, STUB_TAKEN, STUB_KINDS };

struct fixup {
	size_t at;     /* rel32 to patch */
	u8 kind, k;    /* stub it jumps to */
};

/* The last flag-producing instruction translated natively, since the
 * block began or a handler ran (which may have set flags of its own). */
struct producer {
	int kind; /* CC_ADD, CC_SUB, CC_LOGIC, or -1: not known here */
	unsigned size;
};

struct trans {
	struct emitter e;
	u8 *start;
	const struct block *b;
	unsigned hooks;      /* enum code_hooks: the hooks it calls */
	const struct insn *i;
	unsigned k;          /* index of i in the block */
	u64 next_rip;        /* RIP after i */
	bool flags_live;     /* the host's arithmetic flags are the guest's */
	bool rip_set;        /* the last instruction left c->s.rip right */
	struct producer prod;
	struct fixup fix[BLOCK_MAX_INSNS * 4];
	unsigned nfix;
	bool need[STUB_KINDS][BLOCK_MAX_INSNS];
	size_t resume[BLOCK_MAX_INSNS];          /* where a slow stub returns */
	struct producer remat[BLOCK_MAX_INSNS];  /* flags a slow stub restores */
	u64 target[BLOCK_MAX_INSNS];             /* a taken branch's RIP */
	bool end_known;      /* the RIP after the block is end_rip */
	u64 end_rip;
	size_t chain;        /* emit_chain, for any RIP */
	size_t body;         /* past emit_body_start: where a loop to the start goes on */
	size_t outs[BLOCK_MAX_INSNS * 8 + 32]; /* jumps to the epilogue */
	unsigned nouts;
};

static struct hmem gpr(unsigned r)
{
	return hm(H_RBX, OFF(s.gpr) + 8 * (i32)r);
}

static struct hmem field(i32 off)
{
	return hm(H_RBX, off);
}

static void jump_to_stub(struct trans *t, enum stub_kind kind, int cc)
{
	size_t at = cc < 0 ? e_jmp32(&t->e, t->start) : e_jcc32(&t->e, t->start, (unsigned)cc);
	if (t->nfix < sizeof(t->fix) / sizeof(t->fix[0]))
		t->fix[t->nfix++] = (struct fixup){ at, (u8)kind, (u8)t->k };
	else
		t->e.full = true;
	t->need[kind][t->k] = true;
}

/* ---- the handler call: exactly what exec_block does for one insn ---- */

/* Where the block's run stops unless a handler ends it sooner (c->stop). */
static const struct insn *block_end(const struct trans *t)
{
	return t->b->insns + t->b->ninsns;
}

static void store_rip(struct trans *t, u64 rip)
{
	if ((u64)(i64)(i32)rip == rip) {
		e_store_imm32(&t->e, 8, field(OFF(s.rip)), (u32)rip);
	} else {
		e_mov_imm(&t->e, H_RAX, rip);
		e_store(&t->e, 8, H_RAX, field(OFF(s.rip)));
	}
}

/* A branch at the block's end goes to a constant target: emit_chain_to
 * stores it where the run loop or a hook may read it. */
static void set_end_rip(struct trans *t, u64 target)
{
	if (t->hooks)
		store_rip(t, target);
	t->rip_set = true;
	t->end_known = true;
	t->end_rip = target;
}

/*
 * c->cur as a handler or hook finds it: insn k (none for k < 0), with its
 * block's cur_first and the stop it runs to, which only code that runs
 * with cur set reads (a handler ends the block by moving c->stop).  `h`
 * is left holding cur, the handler's second argument.
 */
static void emit_set_cur(struct trans *t, int k, unsigned h)
{
	struct emitter *e = &t->e;
	e_mov_imm(e, h, (u64)(uintptr_t)t->b->insns);
	e_store(e, 8, h, field(OFF(cur_first)));
	e_mov_imm(e, h, (u64)(uintptr_t)block_end(t));
	e_store(e, 8, h, field(OFF(stop)));
	e_mov_imm(e, h, k >= 0 ? (u64)(uintptr_t)&t->b->insns[k] : 0);
	e_store(e, 8, h, field(OFF(cur)));
}

static void emit_handler_call(struct trans *t)
{
	struct emitter *e = &t->e;
	emit_set_cur(t, (int)t->k, H_RSI);
	store_rip(t, t->next_rip);
	e_rm_reg(e, 8, 0x89, H_RBX, H_RDI); /* mov rdi, rbx */
	e_call(e, (const void *)t->i->fn);
	/* A handler that ends the block moves c->stop to just past itself. */
	e_mov_imm(e, H_RAX, (u64)(uintptr_t)block_end(t));
	e_rm_mem(e, 8, 0x39, H_RAX, field(OFF(stop))); /* cmp [rbx+stop], rax */
	jump_to_stub(t, STUB_EXIT, CC_NE);
}

/* ---- operands ---- */

/* A guest register as an operand of `size` bytes: not AH..BH. */
static bool plain_reg(unsigned r)
{
	return r < 16;
}

static void load_gpr(struct trans *t, unsigned size, unsigned h, unsigned r)
{
	e_load(&t->e, size, h, gpr(r));
}

/* x86 register writes: 4 bytes zero-extend (h holds the value so), 1 and
 * 2 bytes merge. */
static void store_gpr(struct trans *t, unsigned size, unsigned h, unsigned r)
{
	e_store(&t->e, size >= 4 ? 8 : size, h, gpr(r));
}

/* The linear address of i's memory operand into rsi (rax scratch).  Only
 * for ea_extra = 0: 64-bit addressing, no segment base. */
static void emit_ea(struct trans *t)
{
	const struct insn *i = t->i;
	struct emitter *e = &t->e;
	if (i->ea_base == EA_RIP) {
		e_mov_imm(e, H_RSI, t->next_rip + (u64)(i64)i->disp);
		return;
	}
	if (i->ea_base != EA_NONE)
		e_load(e, 8, H_RSI, gpr(i->ea_base - 1u));
	else
		e_mov_imm(e, H_RSI, 0);
	if (i->ea_index != EA_NONE) {
		e_load(e, 8, H_RAX, gpr(i->ea_index - 1u));
		e_lea(e, H_RSI, hm_index(H_RSI, H_RAX, i->scale, i->disp));
	} else if (i->disp) {
		e_lea(e, H_RSI, hm(H_RSI, i->disp));
	}
}

/*
 * BMI1's BEXTR takes the TLB index out of an address in one instruction
 * (the field is in r13).  ENCORE_TRANSLATE_BEXTR=0 makes the translator
 * use shifts anyway, so that the tests cover both.
 */
static bool host_has_bextr(void)
{
	static int has = -1;
	if (has < 0) {
		const char *v = getenv("ENCORE_TRANSLATE_BEXTR");
		__builtin_cpu_init();
		has = __builtin_cpu_supports("bmi") && !(v && strcmp(v, "0") == 0);
	}
	return has;
}

/*
 * The TLB lookup of fast_access for the address in rsi, in the set at
 * rbp: on a hit rsi becomes the host address; a miss goes to the slow
 * stub, which runs the whole instruction in its handler.  Clobbers rax,
 * rdx and the flags.
 */
static void emit_tlb(struct trans *t, unsigned size, bool write)
{
	struct emitter *e = &t->e;
	if (host_has_bextr()) {
		static const u8 bextr[] = { 0xc4, 0xe2, 0x90, 0xf7, 0xc6 }; /* bextr rax, rsi, r13 */
		for (unsigned k = 0; k < sizeof(bextr); k++)
			e_byte(e, bextr[k]);
	} else {
		e_rm_reg(e, 8, 0x89, H_RSI, H_RAX);            /* mov rax, rsi */
		e_shift_ri(e, 8, 5, H_RAX, 12);                /* shr rax, 12 */
		e_alu_ri(e, 4, ALU_AND, H_RAX, TLB_SIZE - 1);  /* and eax, TLB_SIZE-1 */
	}
	e_lea(e, H_RAX, hm_index(H_RAX, H_RAX, 2, 0)); /* rax *= 5: the entry is at rbp + 8 * rax */
	e_lea(e, H_RDX, hm(H_RSI, (i32)size - 1));     /* page of the last byte */
	e_alu_ri(e, 8, ALU_AND, H_RDX, 0xfffff000u);
	if (t->hooks & CODE_HOOKS_MEM) /* with memory hooks, the tags are hooked */
		e_alu_ri(e, 8, ALU_OR, H_RDX, (u32)TLB_HOOKED);
	i32 tag = write ? (i32)offsetof(struct tlb_entry, tag_write)
			: (i32)offsetof(struct tlb_entry, tag_read);
	e_alu_rm(e, 8, ALU_CMP, H_RDX, hm_index(H_RBP, H_RAX, 3, tag));
	jump_to_stub(t, STUB_SLOW, CC_NE);
	if (t->hooks & CODE_HOOKS_MEM) {
		e_rm_reg(e, 8, 0x89, H_RSI, H_R15);  /* mov r15, rsi: the linear address */
		e_load(e, 8, H_RDX,
		       hm_index(H_RBP, H_RAX, 3, (i32)offsetof(struct tlb_entry, paddr)));
		e_store(e, 8, H_RDX, field(OFF(hooked_page)));
	}
	e_alu_rm(e, 8, ALU_ADD, H_RSI,
		 hm_index(H_RBP, H_RAX, 3, (i32)offsetof(struct tlb_entry, addend)));
	if (t->hooks & CODE_HOOKS_MEM)
		e_rm_reg(e, 8, 0x89, H_RSI, H_R14);  /* mov r14, rsi: the host address */
	t->flags_live = false;
}

static void emit_hook_args(struct emitter *e, i32 opaque);

/*
 * With memory hooks (CODE_HOOKS_MEM), the hook of an access that hit: as
 * the handler's access would call it (call_on_mem), with cur and RIP as a
 * handler has them, before a read takes effect and after a write did.
 * on_mem(opaque, vcpu, icount, vaddr, paddr, size, value, flags): the
 * last two on the stack, which stays 16-byte aligned.  rsi is the host
 * address again afterwards.
 */
static void emit_mem_hook(struct trans *t, unsigned size, bool write)
{
	struct emitter *e = &t->e;
	if (!(t->hooks & CODE_HOOKS_MEM))
		return;
	emit_set_cur(t, (int)t->k, H_RAX);
	store_rip(t, t->next_rip);
	e_load(e, 8, 8, field(OFF(hooked_page)));        /* r8: the paddr */
	e_alu_ri(e, 8, ALU_AND, 8, 0xfffff000u);         /* (sign-extended: ~0xfff) */
	e_rm_reg(e, 4, 0x89, H_R15, H_RAX);              /* mov eax, r15d */
	e_alu_ri(e, 4, ALU_AND, H_RAX, 0xfff);
	e_rm_reg(e, 8, 0x09, H_RAX, 8);                  /* or r8, rax */
	e_load(e, size, 10, hm(H_R14, 0));               /* r10: the value, read or written */
	e_byte(e, 0x6a);                                 /* push flags */
	e_byte(e, write ? HOOK_ACCESS_WRITE : 0);
	e_byte(e, 0x41);                                 /* push r10 */
	e_byte(e, 0x52);
	emit_hook_args(e, (i32)offsetof(struct encore_hooks, mem_opaque));
	if (t->k)
		e_lea(e, H_RDX, hm(H_RDX, (i32)t->k));   /* rdx: cpu_icount */
	e_rm_reg(e, 8, 0x89, H_R15, H_RCX);              /* rcx: the linear address */
	e_mov_imm(e, 9, size);                           /* r9d */
	e_rm_mem(e, 4, 0xff, 2, hm(H_RAX, (i32)offsetof(struct encore_hooks, on_mem)));
	e_alu_ri(e, 8, ALU_ADD, H_RSP, 16);
	e_rm_reg(e, 8, 0x89, H_R14, H_RSI);              /* mov rsi, r14 */
	t->flags_live = false;
}

/* The memory operand's host address into rsi, or the slow stub. */
static void emit_mem(struct trans *t, unsigned size, bool write)
{
	emit_ea(t);
	emit_tlb(t, size, write);
	if (!write)
		emit_mem_hook(t, size, false);
}

/* Memory hooks see one access per hook call: a form that reads and
 * writes its memory operand is left to its handler then. */
static bool rmw_ok(const struct trans *t)
{
	return !(t->hooks & CODE_HOOKS_MEM);
}

static const struct hmem host_mem = { H_RSI, H_NOINDEX, 0, 0 };

/* ---- forms ----
 *
 * Each reads the insn as its handler does: the selectors (ops_*.c) have
 * normalised some fields (between registers, rm is the destination).
 */

static bool simple_mem(const struct insn *i)
{
	return i->rm != RM_MEM || i->ea_extra == 0;
}

/* MOV r/m, r and MOV r, r/m (88, 89, 8A, 8B). */
static bool gen_mov(struct trans *t)
{
	const struct insn *i = t->i;
	unsigned size = i->opsize;
	if (!plain_reg(i->reg) || (i->rm != RM_MEM && !plain_reg(i->rm)) || !simple_mem(i))
		return false;
	bool to_rm = !(i->op & 2);
	if (i->rm != RM_MEM) { /* sel_mov made rm the destination */
		load_gpr(t, size, H_RAX, i->reg);
		store_gpr(t, size, H_RAX, i->rm);
	} else if (to_rm) {
		emit_mem(t, size, true);
		e_load(&t->e, 8, H_RAX, gpr(i->reg));
		e_store(&t->e, size, H_RAX, host_mem);
		emit_mem_hook(t, size, true);
	} else {
		emit_mem(t, size, false);
		e_load(&t->e, size, H_RAX, host_mem);
		store_gpr(t, size, H_RAX, i->reg);
	}
	return true;
}

/* MOV r, imm (B0..BF) and MOV r/m, imm (C6 /0, C7 /0). */
static bool gen_mov_imm(struct trans *t, unsigned r)
{
	const struct insn *i = t->i;
	unsigned size = i->opsize;
	u64 v = i->imm & size_mask(size);
	if (r == RM_MEM) {
		if (!simple_mem(i))
			return false;
		emit_mem(t, size, true);
		e_mov_imm(&t->e, H_RAX, v);
		e_store(&t->e, size, H_RAX, host_mem);
		emit_mem_hook(t, size, true);
		return true;
	}
	if (!plain_reg(r))
		return false;
	if (size >= 4 && (u64)(i64)(i32)v == v) {
		e_store_imm32(&t->e, 8, gpr(r), (u32)v);
		return true;
	}
	e_mov_imm(&t->e, H_RAX, v);
	store_gpr(t, size, H_RAX, r);
	return true;
}

static bool gen_lea(struct trans *t)
{
	const struct insn *i = t->i;
	if (i->rm != RM_MEM || i->ea_extra || (i->opsize != 8 && i->opsize != 4))
		return false;
	emit_ea(t);
	if (i->opsize == 4)
		e_rm_reg(&t->e, 4, 0x89, H_RSI, H_RSI); /* mov esi, esi */
	store_gpr(t, 8, H_RSI, i->reg);
	return true;
}

/* MOVZX/MOVSX (0F B6/B7/BE/BF) and MOVSXD (63) into 32/64-bit registers. */
static bool gen_movx(struct trans *t, unsigned src_size, bool sign)
{
	const struct insn *i = t->i;
	unsigned size = i->opsize;
	if ((size != 4 && size != 8) || (i->rm != RM_MEM && !plain_reg(i->rm)) || !simple_mem(i))
		return false;
	if (sign && src_size == 4 && size != 8)
		return false;
	struct hmem src = i->rm == RM_MEM ? host_mem : gpr(i->rm);
	if (i->rm == RM_MEM)
		emit_mem(t, src_size, false);
	if (!sign)
		e_load(&t->e, src_size, H_RAX, src);
	else if (src_size == 4)
		e_rm_mem(&t->e, 8, 0x63, H_RAX, src);
	else /* movsx eax or rax: a 32-bit result zero-extends */
		e_rm_mem(&t->e, size, src_size == 1 ? 0x0fbe : 0x0fbf, H_RAX, src);
	store_gpr(t, 8, H_RAX, i->reg);
	return true;
}

/* The lazy-flag kind an operation leaves (flags.c). */
static int alu_kind(unsigned alu)
{
	switch (alu) {
	case ALU_ADD: return CC_ADD;
	case ALU_SUB: case ALU_CMP: return CC_SUB;
	default: return CC_LOGIC;
	}
}

/* The lazy-flag kind of a producer: c->cc_op holds the last known
 * producer's already, whether it ran natively or (its access missed) in
 * its handler. */
static void emit_cc_op(struct trans *t, int kind, unsigned size)
{
	if (t->prod.kind != kind || t->prod.size != size)
		e_store_imm32(&t->e, 4, field(OFF(cc_op)), CC_OP(kind, size));
}

/*
 * An ALU operation: a = the destination (or first) operand, b = the
 * source, as the interpreter's alu() sees them.  `a_reg`/`b_reg` are guest
 * registers, RM_MEM for the memory operand, or (b only) B_IMM.
 */
#define B_IMM 0xfe

static bool gen_alu(struct trans *t, unsigned alu, unsigned a_reg, unsigned b_reg)
{
	const struct insn *i = t->i;
	struct emitter *e = &t->e;
	unsigned size = i->opsize;
	bool writes = alu != ALU_CMP && alu != ALU_TEST;
	if (alu == ALU_ADC || alu == ALU_SBB || !simple_mem(i) ||
	    (a_reg == RM_MEM && writes && !rmw_ok(t)))
		return false;
	if ((a_reg != RM_MEM && !plain_reg(a_reg)) ||
	    (b_reg != RM_MEM && b_reg != B_IMM && !plain_reg(b_reg)))
		return false;
	/* b, then a, into rcx and rax: the memory operand first (it may miss). */
	if (a_reg == RM_MEM || b_reg == RM_MEM)
		emit_mem(t, size, a_reg == RM_MEM && writes);
	if (b_reg == B_IMM)
		e_mov_imm(e, H_RCX, i->imm & size_mask(size));
	else
		e_load(e, size, H_RCX, b_reg == RM_MEM ? host_mem : gpr(b_reg));
	e_load(e, size, H_RDX, a_reg == RM_MEM ? host_mem : gpr(a_reg));
	int kind = alu_kind(alu);
	if (kind != CC_LOGIC) { /* LOGIC flags come from res alone */
		e_store(e, 8, H_RDX, field(OFF(cc_a)));
		e_store(e, 8, H_RCX, field(OFF(cc_b)));
	}
	unsigned host_alu = alu == ALU_CMP ? ALU_SUB : alu == ALU_TEST ? ALU_AND : alu;
	e_alu_rr(e, size, host_alu, H_RDX, H_RCX);
	if (writes && a_reg == RM_MEM)
		e_store(e, size, H_RDX, host_mem);
	else if (writes)
		store_gpr(t, size, H_RDX, a_reg);
	emit_cc_op(t, kind, size);
	e_store(e, 8, H_RDX, field(OFF(cc_res)));
	t->flags_live = true;
	t->prod = (struct producer){ kind, size };
	return true;
}

/* The r/m operand of a form that reads and writes it, natively. */
static bool rmw_operand_ok(const struct trans *t)
{
	const struct insn *i = t->i;
	if (i->rm != RM_MEM)
		return plain_reg(i->rm);
	return simple_mem(i) && rmw_ok(t);
}

/* NOT and NEG (F6/F7 /2, /3).  NEG sets flags as SUB from 0 (CC_SUB,
 * a = 0), and so does the host's NEG. */
static bool gen_not_neg(struct trans *t, bool neg)
{
	const struct insn *i = t->i;
	struct emitter *e = &t->e;
	unsigned size = i->opsize;
	if (!rmw_operand_ok(t))
		return false;
	struct hmem dst = i->rm == RM_MEM ? host_mem : gpr(i->rm);
	if (i->rm == RM_MEM)
		emit_mem(t, size, true);
	e_load(e, size, H_RCX, dst);
	e_rm_reg(e, 8, 0x89, H_RCX, H_RDX);                                /* mov rdx, rcx */
	e_rm_reg(e, size, size == 1 ? 0xf6 : 0xf7, neg ? 3 : 2, H_RDX); /* neg/not */
	if (i->rm == RM_MEM)
		e_store(e, size, H_RDX, host_mem);
	else
		store_gpr(t, size, H_RDX, i->rm);
	if (!neg)
		return true; /* NOT changes no flags, not even the host's */
	emit_cc_op(t, CC_SUB, size);
	e_store_imm32(e, 8, field(OFF(cc_a)), 0);
	e_store(e, 8, H_RCX, field(OFF(cc_b)));
	e_store(e, 8, H_RDX, field(OFF(cc_res)));
	t->flags_live = true;
	t->prod = (struct producer){ CC_SUB, size };
	return true;
}

/*
 * SHL/SHR/SAR of a 32- or 64-bit register by 1, an immediate or CL (D1,
 * C1, D3 /4, /5, /6 (SAL), /7), as g2_core: CC_SHIFT with a = CF and OF
 * as flag bits.  The host's shift gives the result and CF (the last bit
 * out, for every count below the width); OF is the 1-bit formula on the
 * original value for every count, which only a 1-bit shift gives the
 * host, so it is computed.  The host's flags are not the guest's after.
 */
static bool gen_shift(struct trans *t)
{
	const struct insn *i = t->i;
	struct emitter *e = &t->e;
	unsigned size = i->opsize, op = i->ext == 6 ? 4 : i->ext;
	bool by_cl = i->op == 0xd3;
	unsigned n = i->op == 0xd1 ? 1 : (unsigned)i->imm; /* masked by sel_g2_imm */
	if ((size != 4 && size != 8) || i->rm == RM_MEM || !plain_reg(i->rm) ||
	    (!n && !by_cl) || (op != 4 && op != 5 && op != 7))
		return false;
	if (by_cl) { /* a count of 0 changes nothing but a 32-bit register: the handler */
		load_gpr(t, 4, H_RCX, REG_RCX);
		e_alu_ri(e, 4, ALU_AND, H_RCX, size == 8 ? 63 : 31);
		jump_to_stub(t, STUB_SLOW, CC_E);
	}
	load_gpr(t, size, H_RAX, i->rm);
	e_rm_reg(e, 8, 0x89, H_RAX, H_RDX);   /* mov rdx, rax */
	if (by_cl)                             /* the result, and CF */
		e_rm_reg(e, size, 0xd3, op, H_RDX);
	else
		e_shift_ri(e, size, op, H_RDX, (u8)n);
	e_rm_reg(e, 1, 0x0f92, 0, H_RCX);     /* setc cl */
	e_rm_reg(e, 4, 0x0fb6, H_RCX, H_RCX); /* movzx ecx, cl */
	if (op == 4) {                          /* OF = MSB(v) ^ MSB-1(v) */
		e_shift_ri(e, size, 4, H_RAX, 1);   /* shl eax/rax, 1: that, in OF */
		e_rm_reg(e, 1, 0x0f90, 0, H_RAX);   /* seto al */
		e_rm_reg(e, 4, 0x0fb6, H_RAX, H_RAX);
	} else if (op == 5) {                   /* OF = MSB(v) */
		e_shift_ri(e, size, 5, H_RAX, (u8)(size * 8 - 1));
	}
	if (op != 7) {
		_Static_assert(RF_OF == 1u << 11, "OF is bit 11");
		e_shift_ri(e, 4, 4, H_RAX, 11);
		e_alu_rr(e, 4, ALU_OR, H_RCX, H_RAX);
	}
	store_gpr(t, size, H_RDX, i->rm);
	emit_cc_op(t, CC_SHIFT, size);
	e_store(e, 8, H_RCX, field(OFF(cc_a)));
	e_store_imm32(e, 8, field(OFF(cc_b)), 0);
	e_store(e, 8, H_RDX, field(OFF(cc_res)));
	t->flags_live = false;
	t->prod.kind = -1; /* emit_remat has no CC_SHIFT */
	return true;
}

/* CLD/STD (FC/FD): DF lives in rflags. */
static bool gen_cld_std(struct trans *t, bool set)
{
	e_alu_mi(&t->e, set ? ALU_OR : ALU_AND, field(OFF(s.rflags)),
		 set ? (u32)RF_DF : ~(u32)RF_DF);
	t->flags_live = false;
	return true;
}

/* bt dword [rflags], 0: the guest's CF (kept there by INC/DEC) into the host's. */
static void emit_cf_from_rflags(struct emitter *e)
{
	e_rm_mem(e, 4, 0x0fba, 4, field(OFF(s.rflags)));
	e_byte(e, 0);
}

/* The host flags again from the lazy state of a known producer: its
 * operation once more, on the operands it stored. */
static void emit_remat(struct emitter *e, struct producer p)
{
	switch (p.kind) {
	case CC_LOGIC:
		e_load(e, p.size, H_RAX, field(OFF(cc_res)));
		e_rm_reg(e, p.size, p.size == 1 ? 0x84 : 0x85, H_RAX, H_RAX); /* test */
		return;
	case CC_INC: case CC_DEC:
		e_load(e, p.size, H_RAX, field(OFF(cc_a)));
		emit_cf_from_rflags(e);
		e_rm_reg(e, p.size, p.size == 1 ? 0xfe : 0xff, p.kind == CC_DEC, H_RAX);
		return;
	default:
		e_load(e, p.size, H_RAX, field(OFF(cc_a)));
		e_alu_rm(e, p.size, p.kind == CC_ADD ? ALU_ADD : ALU_CMP, H_RAX, field(OFF(cc_b)));
	}
}

/* Make the host's arithmetic flags the guest's, if this block knows how. */
static bool ensure_flags(struct trans *t)
{
	if (t->flags_live)
		return true;
	if (t->prod.kind < 0)
		return false;
	emit_remat(&t->e, t->prod);
	t->flags_live = true;
	return true;
}

static bool gen_jcc(struct trans *t, unsigned cc)
{
	if (!ensure_flags(t))
		return false;
	t->target[t->k] = t->i->imm;
	jump_to_stub(t, STUB_TAKEN, (int)cc);
	return true;
}

/* The host's flags can be made the guest's for a form that reads them
 * after its operands (a memory operand's TLB lookup clobbers them). */
static bool flags_available(const struct trans *t)
{
	return t->prod.kind >= 0 || (t->flags_live && t->i->rm != RM_MEM);
}

/* CMOVcc (0F 40..4F): a 32-bit one zero-extends its destination either way. */
static bool gen_cmov(struct trans *t)
{
	const struct insn *i = t->i;
	struct emitter *e = &t->e;
	unsigned size = i->opsize;
	if (size == 1 || !plain_reg(i->reg) || (i->rm != RM_MEM && !plain_reg(i->rm)) ||
	    !simple_mem(i) || !flags_available(t))
		return false;
	if (i->rm == RM_MEM) {
		emit_mem(t, size, false);
		e_load(e, size, H_RCX, host_mem);
	} else {
		e_load(e, size, H_RCX, gpr(i->rm));
	}
	ensure_flags(t);
	e_load(e, size == 2 ? 8 : size, H_RAX, gpr(i->reg));
	e_rm_reg(e, size, 0x0f40 | (i->op & 15), H_RAX, H_RCX);
	store_gpr(t, size, H_RAX, i->reg);
	return true;
}

/* SETcc (0F 90..9F) of a byte register or memory. */
static bool gen_setcc(struct trans *t)
{
	const struct insn *i = t->i;
	struct emitter *e = &t->e;
	if ((i->rm != RM_MEM && !plain_reg(i->rm)) || !simple_mem(i) || !flags_available(t))
		return false;
	if (i->rm == RM_MEM)
		emit_mem(t, 1, true);
	ensure_flags(t);
	e_rm_reg(e, 1, 0x0f90 | (i->op & 15), 0, H_RAX);
	e_store(e, 1, H_RAX, i->rm == RM_MEM ? host_mem : gpr(i->rm));
	if (i->rm == RM_MEM)
		emit_mem_hook(t, 1, true);
	return true;
}

/* The guest's CF, from its lazy flags: 0 or 1. */
static u64 lazy_cf(struct cpu *c)
{
	return flag_cf(c);
}

/*
 * INC/DEC (FE/FF /0, /1) keep CF: the interpreter moves the CF of the
 * flags before into rflags, where CC_INC/CC_DEC read it.  The host's INC/DEC
 * keep its CF too, so with the flags before live the host's after are the
 * guest's.
 */
static bool gen_inc_dec(struct trans *t, bool dec)
{
	const struct insn *i = t->i;
	struct emitter *e = &t->e;
	unsigned size = i->opsize;
	if (!rmw_operand_ok(t))
		return false;
	if (ensure_flags(t)) {
		e_rm_reg(e, 1, 0x0f92, 0, H_RCX);           /* setc cl */
		e_rm_reg(e, 4, 0x0fb6, H_RCX, H_RCX);       /* movzx ecx, cl */
	} else { /* flags this block cannot make the host's: ask flags.c */
		e_rm_reg(e, 8, 0x89, H_RBX, H_RDI);         /* mov rdi, rbx */
		e_call(e, (const void *)lazy_cf);
		e_rm_reg(e, 4, 0x89, H_RAX, H_RCX);         /* mov ecx, eax */
	}
	if (i->rm == RM_MEM)
		emit_mem(t, size, true);
	e_load(e, size, H_RAX, i->rm == RM_MEM ? host_mem : gpr(i->rm));
	e_load(e, 8, H_RDI, field(OFF(s.rflags)));
	e_alu_ri(e, 8, ALU_AND, H_RDI, ~(u32)RF_CF);
	e_alu_rr(e, 8, ALU_OR, H_RDI, H_RCX);
	e_store(e, 8, H_RDI, field(OFF(s.rflags)));
	e_rm_reg(e, 4, 0x0fba, 4, H_RCX);           /* bt ecx, 0: CF again */
	e_byte(e, 0);
	e_rm_reg(e, 8, 0x89, H_RAX, H_RDX);         /* mov rdx, rax */
	e_rm_reg(e, size, size == 1 ? 0xfe : 0xff, dec, H_RDX);
	if (i->rm == RM_MEM)
		e_store(e, size, H_RDX, host_mem);
	else
		store_gpr(t, size, H_RDX, i->rm);
	int kind = dec ? CC_DEC : CC_INC;
	emit_cc_op(t, kind, size);
	e_store(e, 8, H_RAX, field(OFF(cc_a)));
	e_store_imm32(e, 8, field(OFF(cc_b)), 1);
	e_store(e, 8, H_RDX, field(OFF(cc_res)));
	t->flags_live = true;
	t->prod = (struct producer){ kind, size };
	return true;
}

/* Push 8 bytes as push() does, the store then RSP: guest register r, or
 * (CALL) the next instruction's RIP. */
static void emit_push(struct trans *t, bool next_rip, unsigned r)
{
	struct emitter *e = &t->e;
	e_load(e, 8, H_RSI, gpr(REG_RSP));
	e_lea(e, H_RSI, hm(H_RSI, -8));
	emit_tlb(t, 8, true);
	if (next_rip)
		e_mov_imm(e, H_RAX, t->next_rip);
	else
		e_load(e, 8, H_RAX, gpr(r));
	e_store(e, 8, H_RAX, host_mem);
	emit_mem_hook(t, 8, true);
	e_alu_mi(e, ALU_SUB, gpr(REG_RSP), 8);
}

/* PUSH r64 / POP r64 (50+r, 58+r). */
static bool gen_push(struct trans *t, unsigned r)
{
	emit_push(t, false, r);
	return true;
}

static bool gen_pop(struct trans *t, unsigned r)
{
	struct emitter *e = &t->e;
	e_load(e, 8, H_RSI, gpr(REG_RSP));
	emit_tlb(t, 8, false);
	emit_mem_hook(t, 8, false);
	e_load(e, 8, H_RAX, host_mem);
	e_alu_mi(e, ALU_ADD, gpr(REG_RSP), 8);
	store_gpr(t, 8, H_RAX, r); /* after RSP: POP RSP loads RSP */
	return true;
}

static bool gen_call(struct trans *t, u64 target)
{
	emit_push(t, true, 0);
	set_end_rip(t, target);
	return true;
}

static bool gen_ret(struct trans *t)
{
	struct emitter *e = &t->e;
	e_load(e, 8, H_RSI, gpr(REG_RSP));
	emit_tlb(t, 8, false);
	e_load(e, 8, H_RAX, host_mem);
	e_rm_reg(e, 8, 0x89, H_RAX, H_RCX); /* a non-canonical target: #GP, by the handler */
	e_shift_ri(e, 8, 4, H_RCX, 16);
	e_shift_ri(e, 8, 7, H_RCX, 16);
	e_alu_rr(e, 8, ALU_CMP, H_RCX, H_RAX);
	jump_to_stub(t, STUB_SLOW, CC_NE);
	if (t->hooks & CODE_HOOKS_MEM) { /* the hook once the RET cannot fault */
		emit_mem_hook(t, 8, false);
		e_load(e, 8, H_RAX, host_mem);
	}
	e_store(e, 8, H_RAX, field(OFF(s.rip)));
	e_alu_mi(e, ALU_ADD, gpr(REG_RSP), 8);
	t->rip_set = true;
	return true;
}

/* The ALU forms of the one-byte map below 0x40 and 80..85, A8/A9, F6/F7 /0. */
static bool gen_alu_form(struct trans *t)
{
	const struct insn *i = t->i;
	u8 op = i->op;
	if (op < 0x40 && (op & 7) < 6) {
		unsigned alu = op >> 3;
		switch (op & 7) {
		case 0: case 1: return gen_alu(t, alu, i->rm, i->reg);
		/* Between registers sel_alu made rm the destination. */
		case 2: case 3: return i->rm == RM_MEM ? gen_alu(t, alu, i->reg, RM_MEM)
						       : gen_alu(t, alu, i->rm, i->reg);
		default: return gen_alu(t, alu, REG_RAX, B_IMM);
		}
	}
	switch (op) {
	case 0x80: case 0x81: case 0x83: return gen_alu(t, i->ext, i->rm, B_IMM);
	case 0x84: case 0x85: return gen_alu(t, ALU_TEST, i->rm, i->reg);
	case 0xa8: case 0xa9: return gen_alu(t, ALU_TEST, REG_RAX, B_IMM);
	case 0xf6: case 0xf7:
		if (i->ext == 2 || i->ext == 3)
			return gen_not_neg(t, i->ext == 3);
		return i->ext == 0 && gen_alu(t, ALU_TEST, i->rm, B_IMM);
	case 0xfc: case 0xfd: return gen_cld_std(t, op == 0xfd);
	case 0xc1: case 0xd1: case 0xd3: return gen_shift(t);
	case 0xfe: case 0xff: return i->ext <= 1 && gen_inc_dec(t, i->ext == 1);
	}
	return false;
}

/* Instructions that change no flags keep the host's. */
static bool gen_native(struct trans *t)
{
	const struct insn *i = t->i;
	unsigned cc;
	u64 target;
	if (!(i->flags & IF_MODE64) || (i->pfx & (PFX_LOCK | PFX_REP | PFX_REPNE)) ||
	    i->fn == insn_ud || i->fn == insn_invalid)
		return false;
	if (i->fn == insn_nop)
		return true;
	switch (ops_branch__kind(i, &cc, &target)) {
	case BRANCH_JCC: return gen_jcc(t, cc);
	case BRANCH_JMP:
		set_end_rip(t, target);
		return true;
	case BRANCH_CALL: return gen_call(t, target);
	case BRANCH_RET: return gen_ret(t);
	case BRANCH_NONE: break;
	}
	if (i->map == MAP_0F) {
		switch (i->op) {
		case 0xb6: return gen_movx(t, 1, false);
		case 0xb7: return gen_movx(t, 2, false);
		case 0xbe: return gen_movx(t, 1, true);
		case 0xbf: return gen_movx(t, 2, true);
		}
		if (i->op >= 0x40 && i->op <= 0x4f)
			return gen_cmov(t);
		if (i->op >= 0x90 && i->op <= 0x9f)
			return gen_setcc(t);
		return false;
	}
	if (i->map != MAP_1B)
		return false;
	u8 op = i->op;
	if ((op >= 0x88 && op <= 0x8b))
		return gen_mov(t);
	if (op >= 0xb0 && op <= 0xbf)
		return gen_mov_imm(t, i->reg);
	if ((op == 0xc6 || op == 0xc7) && i->ext == 0)
		return gen_mov_imm(t, i->rm);
	if (op == 0x8d)
		return gen_lea(t);
	if (op == 0x63)
		return i->opsize == 8 && gen_movx(t, 4, true);
	if (op >= 0x50 && op <= 0x57 && i->opsize == 8)
		return gen_push(t, i->reg);
	if (op >= 0x58 && op <= 0x5f && i->opsize == 8)
		return gen_pop(t, i->reg);
	return gen_alu_form(t);
}

/* ---- going on to the next block ---- */

/* The entry of every translation: a chained block is entered past it. */
static void emit_entry(struct emitter *e)
{
	/* push rbx, rbp, r13, r14, r15 (the stack stays 16-byte aligned for
	 * calls); mov rbx, rdi */
	static const u8 entry[] = { 0x53, 0x55, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57,
				    0x48, 0x89, 0xfb };
	for (unsigned k = 0; k < sizeof(entry); k++)
		e_byte(e, entry[k]);
	e_byte(e, 0x48); /* mov rbp, [rbx + disp32]: c->tlb_cpl */
	e_byte(e, 0x8b);
	e_byte(e, 0xab);
	e_u32(e, (u32)OFF(tlb_cpl));
	e_byte(e, 0x41); /* mov r13d, imm32: the TLB index field, for BEXTR */
	e_byte(e, 0xbd);
	e_u32(e, 12u | TLB_BITS << 8);
	e_byte(e, 0xeb); /* jmp short past the chained entry (patched) */
	e_byte(e, 0);
}
#define ENTRY_SIZE 26

/* A jump to the epilogue (its rel32 at `rel32`), patched once that is placed. */
static void out_to_epilogue(struct trans *t, size_t rel32)
{
	if (t->nouts < sizeof(t->outs) / sizeof(t->outs[0]))
		t->outs[t->nouts++] = rel32;
	else
		t->e.full = true;
}

static void jump_out(struct trans *t, unsigned cc)
{
	out_to_epilogue(t, e_jcc32(&t->e, t->start, cc));
}

/* Back to the run loop, between blocks as exec_block leaves them. */
static void emit_epilogue(struct emitter *e)
{
	/* pop r15, r14, r13, rbp, rbx; ret */
	static const u8 pops[] = { 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x5d, 0x5b, 0xc3 };
	e_store_imm32(e, 8, field(OFF(cur)), 0);
	for (unsigned k = 0; k < sizeof(pops); k++)
		e_byte(e, pops[k]);
}

/*
 * The one check between chained blocks, before this one runs again or
 * from another: it runs only if it ends within c->chain_limit, which is 0
 * once anything needs the run loop; else back there with RIP at its start.
 */
static void emit_chain_check(struct trans *t)
{
	struct emitter *e = &t->e;
	e_load(e, 8, H_RAX, field(OFF(icount)));
	e_alu_ri(e, 8, ALU_ADD, H_RAX, t->b->ninsns);
	e_alu_rm(e, 8, ALU_CMP, H_RAX, field(OFF(chain_limit)));
	e_patch(e, t->start, e_jcc32(e, t->start, CC_A), ENTRY_SIZE); /* to emit_exit_here */
}

/*
 * Back to the run loop before the block runs, with RIP at its start: a
 * block entered from another is not told its RIP (every path out of it
 * sets c->s.rip).  At ENTRY_SIZE, EXIT_HERE_SIZE bytes whatever the RIP.
 */
static void emit_exit_here(struct trans *t)
{
	struct emitter *e = &t->e;
	e_byte(e, 0x48); /* mov rax, imm64 */
	e_byte(e, 0xb8);
	e_u64(e, t->b->vrip);
	e_byte(e, 0x48); /* mov [rbx + disp32], rax */
	e_byte(e, 0x89);
	e_byte(e, 0x83);
	e_u32(e, (u32)OFF(s.rip));
	out_to_epilogue(t, e_jmp32(e, t->start));
}
#define EXIT_HERE_SIZE 22

/*
 * Where chained blocks enter (CHAINED_ENTRY; the run loop's call goes
 * past: its first block runs whatever asks for attention).  A link
 * (block_link) jumps here, so a translation is unlinked from every block
 * that jumps to it at once by making this a jump to emit_exit_here
 * (translate_unlink): these first bytes are not a jump target within the
 * block.
 */
#define CHAINED_ENTRY (ENTRY_SIZE + EXIT_HERE_SIZE)
#define UNLINK_SIZE 5 /* jmp rel32 */

_Static_assert(JUMP_BITS == 12 && JUMP_GROUP_BITS == 6, "emit_chain hashes as jump_hash");

/* The block in rdx (from the jump cache, its vrip checked): enter its
 * translation if it is for this mode and exists (it checks the budget). */
static void emit_enter_found(struct trans *t)
{
	struct emitter *e = &t->e;
	e_load(e, 1, H_RAX, hm(H_RDX, (i32)offsetof(struct block, mode_key)));
	e_alu_rm(e, 1, ALU_CMP, H_RAX, field(OFF(mode_key)));
	jump_out(t, CC_NE);
	if (t->hooks) { /* only to translations that call the same hooks */
		e_rm_mem(e, 1, 0x80, 7, hm(H_RDX, (i32)offsetof(struct block, code_hooks)));
		e_byte(e, (u8)t->hooks);
		jump_out(t, CC_NE);
	}
	e_load(e, 8, H_RAX, hm(H_RDX, (i32)offsetof(struct block, code)));
	e_rm_reg(e, 8, 0x85, H_RAX, H_RAX);
	jump_out(t, CC_E);
	e_alu_ri(e, 8, ALU_ADD, H_RAX, CHAINED_ENTRY);
	e_byte(e, 0xff); /* jmp rax */
	e_byte(e, 0xe0);
}

/*
 * Go on to the next block's translation as run_blocks would go on to the
 * block, or return to it: the jump cache holds the block at RIP for this
 * mode (then it is valid: see block_find) and it has a translation, whose
 * chained entry checks the rest (emit_chain_check).  This one is for any
 * RIP (after a handler or RET); emit_chain_to for a constant one.
 */
static void emit_chain(struct trans *t)
{
	struct emitter *e = &t->e;
	e_load(e, 8, H_RAX, field(OFF(s.rip)));
	e_rm_reg(e, 8, 0x89, H_RAX, H_RCX);
	e_shift_ri(e, 8, 5, H_RCX, 12); /* page */
	e_rm_reg(e, 8, 0x89, H_RCX, H_RDX);
	e_shift_ri(e, 8, 5, H_RDX, JUMP_GROUP_BITS);
	e_alu_rr(e, 8, ALU_XOR, H_RCX, H_RDX);
	e_alu_ri(e, 4, ALU_AND, H_RCX, (1u << JUMP_GROUP_BITS) - 1);
	e_shift_ri(e, 4, 4, H_RCX, JUMP_BITS - JUMP_GROUP_BITS);
	e_rm_reg(e, 8, 0x89, H_RAX, H_RDX);
	e_shift_ri(e, 8, 5, H_RDX, JUMP_BITS - JUMP_GROUP_BITS);
	e_alu_rr(e, 8, ALU_XOR, H_RDX, H_RAX);
	e_alu_ri(e, 4, ALU_AND, H_RDX, (1u << (JUMP_BITS - JUMP_GROUP_BITS)) - 1);
	e_alu_rr(e, 4, ALU_OR, H_RCX, H_RDX);
	e_load(e, 8, H_RDX, field(OFF(jump_cache)));
	e_load(e, 8, H_RDX, hm_index(H_RDX, H_RCX, 3, 0));
	e_rm_reg(e, 8, 0x85, H_RDX, H_RDX); /* test rdx, rdx */
	jump_out(t, CC_E);
	e_alu_rm(e, 8, ALU_CMP, H_RAX, hm(H_RDX, (i32)offsetof(struct block, vrip)));
	jump_out(t, CC_NE);
	emit_enter_found(t);
}

/*
 * A jump to a RIP in this block's first page: straight into the
 * translation of the block there once block_link has found it and
 * patched the jump (the first time it is taken, or the first after the
 * jump cache got that block), then through the lookup that follows it
 * where no link can be made.  The rel32 is 4-byte aligned, so that a
 * patch is one store.
 */
static void emit_link_site(struct trans *t, u64 target)
{
	struct emitter *e = &t->e;
	static const u8 nops[3][3] = { { 0x90 }, { 0x66, 0x90 }, { 0x0f, 0x1f, 0x00 } };
	unsigned pad = (unsigned)(3 - (uintptr_t)e->p % 4); /* one NOP of 0 to 3 bytes */
	for (unsigned k = 0; k < pad && !e->full; k++)
		e_byte(e, nops[pad - 1][k]);
	size_t site = e_jmp32(e, t->start);
	e_patch(e, t->start, site, (size_t)(e->p - t->start)); /* on to block_link */
	store_rip(t, target);
	e_rm_reg(e, 8, 0x89, H_RBX, H_RDI);                  /* mov rdi, rbx */
	e_mov_imm(e, H_RSI, (u64)(uintptr_t)(t->start + site));
	e_byte(e, 0x48); /* lea rdx, [rip + lookup]: where a failed link goes instead */
	e_byte(e, 0x8d);
	e_byte(e, 0x15);
	size_t lookup = (size_t)(e->p - t->start);
	e_u32(e, 0);
	e_mov_imm(e, H_RCX, target);
	e_mov_imm(e, 8, (u64)(uintptr_t)t->b); /* r8 */
	e_call(e, (const void *)block_link);
	e_rm_reg(e, 8, 0x85, H_RAX, H_RAX); /* test rax, rax: not found yet */
	jump_out(t, CC_E);
	e_byte(e, 0xff); /* jmp rax */
	e_byte(e, 0xe0);
	e_patch(e, t->start, lookup, (size_t)(e->p - t->start));
}

/* emit_chain for a RIP known here (stored where it leaves for the run
 * loop or for a block that may not be linked to): linked when it is in
 * this block's first page, else the jump cache slot is a constant.  A
 * loop back to this block's own start needs neither (the block is valid
 * while it runs: a write to its code would have ended it): it goes on
 * past the block's set-up, which still holds, and needs no mode check: a
 * change of mode ends the chain (cpu_update_mode). */
static void emit_chain_to(struct trans *t, u64 target)
{
	struct emitter *e = &t->e;
	if (target == t->b->vrip) {
		emit_chain_check(t);
		e_patch(&t->e, t->start, e_jmp32(e, t->start), t->body);
		return;
	}
	if (((target ^ t->b->vrip) & ~0xfffull) == 0)
		emit_link_site(t, target);
	store_rip(t, target);
	e_load(e, 8, H_RDX, field(OFF(jump_cache)));
	e_load(e, 8, H_RDX, hm(H_RDX, (i32)(jump_hash(target) * sizeof(struct block *))));
	e_rm_reg(e, 8, 0x85, H_RDX, H_RDX);
	jump_out(t, CC_E);
	if ((u64)(i64)(i32)target == target) {
		e_rm_mem(e, 8, 0x81, ALU_CMP, hm(H_RDX, (i32)offsetof(struct block, vrip)));
		e_u32(e, (u32)target);
	} else {
		e_mov_imm(e, H_RAX, target);
		e_alu_rm(e, 8, ALU_CMP, H_RAX, hm(H_RDX, (i32)offsetof(struct block, vrip)));
	}
	jump_out(t, CC_NE);
	emit_enter_found(t);
}

/* ---- the block ---- */

/*
 * The block's run ends after `n` instructions, all retired: count them,
 * and in a reporting translation tell on_block_ran as run_one does
 * (c->hooks, read at the call: the hooks are the machine's, not the
 * block's).
 */
/* A hook's first arguments: rax = c->hooks, rdi = its opaque (at
 * `opaque` in the hooks), esi = the vCPU's index, rdx = c->icount. */
static void emit_hook_args(struct emitter *e, i32 opaque)
{
	e_load(e, 8, H_RAX, field(OFF(hooks)));
	e_load(e, 8, H_RDI, hm(H_RAX, opaque));
	e_load(e, 8, H_RSI, field(OFF(engine.vcpu)));
	e_load(e, 4, H_RSI, hm(H_RSI, (i32)offsetof(struct encore_vcpu, index)));
	e_load(e, 8, H_RDX, field(OFF(icount)));
}

static void emit_add_icount(struct trans *t, unsigned n)
{
	struct emitter *e = &t->e;
	e_alu_mi(e, ALU_ADD, field(OFF(icount)), n);
	if (!(t->hooks & CODE_HOOKS_RAN))
		return;
	if ((t->hooks & CODE_HOOKS_COUNT) && t->b->hook_handle) {
		e_mov_imm(e, H_RAX, (u64)(uintptr_t)t->b->hook_handle);
		e_alu_mi(e, ALU_ADD, hm(H_RAX, (i32)(8 * (n - 1))), 1); /* the run, counted */
		return;
	}
	emit_hook_args(e, (i32)offsetof(struct encore_hooks, code_opaque));
	e_lea(e, H_RDX, hm(H_RDX, -(i32)n));
	e_mov_imm(e, H_RCX, (u64)(uintptr_t)t->b->hook_handle);
	e_mov_imm(e, 8, n);  /* r8d: started */
	e_mov_imm(e, 9, n);  /* r9d: retired */
	e_rm_mem(e, 4, 0xff, 2, hm(H_RAX, (i32)offsetof(struct encore_hooks, on_block_ran)));
}

/*
 * on_block before insn k, which starts a block as hooks see it (the
 * block's first, or after a conditional branch not taken), with what
 * run_hooked leaves for a hook to read: RIP at the instruction, cur at
 * the one before it (none before the first).
 */
static void emit_on_block(struct trans *t, unsigned k, u64 rip)
{
	struct emitter *e = &t->e;
	store_rip(t, rip);
	emit_set_cur(t, (int)k - 1, H_RAX);
	emit_hook_args(e, (i32)offsetof(struct encore_hooks, block_opaque));
	if (k)
		e_lea(e, H_RDX, hm(H_RDX, (i32)k));
	e_mov_imm(e, H_RCX, rip);
	e_mov_imm(e, 8, t->b->insns[k].hook_run);      /* r8d: ninsns */
	e_mov_imm(e, 9, (unsigned)t->b->mode_key >> 2); /* r9d: its CPL */
	e_rm_mem(e, 4, 0xff, 2, hm(H_RAX, (i32)offsetof(struct encore_hooks, on_block)));
	t->flags_live = false;
}

static void emit_stub(struct trans *t, enum stub_kind kind, unsigned k)
{
	struct emitter *e = &t->e;
	switch (kind) {
	case STUB_SLOW: {
		/* The whole instruction again, by its handler; then on. */
		const struct insn *saved = t->i;
		unsigned saved_k = t->k;
		t->i = &t->b->insns[k];
		t->k = k;
		t->next_rip = t->b->vrip;
		for (unsigned j = 0; j <= k; j++)
			t->next_rip += t->b->insns[j].len;
		emit_handler_call(t);
		if (t->remat[k].kind >= 0)
			emit_remat(e, t->remat[k]);
		size_t at = e_jmp32(e, t->start);
		e_patch(&t->e, t->start, at, t->resume[k]);
		t->i = saved;
		t->k = saved_k;
		break;
	}
	case STUB_EXIT: /* a handler ended the block: on, unless it asks for attention */
		emit_add_icount(t, k + 1);
		e_patch(&t->e, t->start, e_jmp32(e, t->start), t->chain);
		break;
	case STUB_TAKEN:
		if (t->hooks)
			store_rip(t, t->target[k]);
		emit_add_icount(t, k + 1);
		emit_chain_to(t, t->target[k]);
		break;
	default:
		break;
	}
}

/* Stubs may need further stubs (a slow stub's exit): emit until none is new. */
static void emit_stubs(struct trans *t)
{
	size_t at[STUB_KINDS][BLOCK_MAX_INSNS];
	bool done[STUB_KINDS][BLOCK_MAX_INSNS] = { { false } };
	for (;;) {
		bool any = false;
		for (unsigned kind = 0; kind < STUB_KINDS; kind++)
			for (unsigned k = 0; k < t->b->ninsns; k++)
				if (t->need[kind][k] && !done[kind][k]) {
					at[kind][k] = (size_t)(t->e.p - t->start);
					done[kind][k] = true;
					emit_stub(t, kind, k);
					any = true;
				}
		if (!any)
			break;
	}
	for (unsigned n = 0; n < t->nfix; n++)
		e_patch(&t->e, t->start, t->fix[n].at, at[t->fix[n].kind][t->fix[n].k]);
}

void translate_patch_jump(u8 *rel32, const void *to)
{
	i32 rel = (i32)((intptr_t)to - (intptr_t)(rel32 + 4));
	__atomic_store_n((i32 *)(void *)rel32, rel, __ATOMIC_RELEASE);
}

void translate_unlink(block_code_fn code)
{
	u8 *at = (u8 *)(void *)code + CHAINED_ENTRY;
	u8 jmp[UNLINK_SIZE] = { 0xe9 };
	i32 rel = (i32)(ENTRY_SIZE - (CHAINED_ENTRY + UNLINK_SIZE));
	memcpy(jmp + 1, &rel, 4);
	memcpy(at, jmp, sizeof(jmp));
}

void *translate_chained_entry(block_code_fn code)
{
	return (u8 *)(void *)code + CHAINED_ENTRY;
}

size_t translate_block(const struct block *b, u8 *dst, size_t room, unsigned hooks)
{
	struct trans t = { 0 };
	t.hooks = hooks;
	t.e = (struct emitter){ dst, dst + room, false };
	t.start = dst;
	t.b = b;
	t.prod.kind = -1;
	struct emitter *e = &t.e;
	if (!b->ninsns || !(b->insns[0].flags & IF_MODE64))
		return 0;
	emit_entry(e);
	if (!e->full && e->p - dst != ENTRY_SIZE)
		return 0;
	emit_exit_here(&t);
	if (!e->full && e->p - dst != CHAINED_ENTRY)
		return 0;
	emit_chain_check(&t);
	if (!e->full && e->p - dst < CHAINED_ENTRY + UNLINK_SIZE)
		return 0;
	if (!e->full) /* the run loop's entry goes on here */
		dst[ENTRY_SIZE - 1] = (u8)(e->p - dst - ENTRY_SIZE);
	t.body = (size_t)(e->p - t.start);
	u64 rip = b->vrip;
	unsigned native = 0;
	for (unsigned k = 0; k < b->ninsns; k++) {
		t.i = &b->insns[k];
		t.k = k;
		if ((hooks & CODE_HOOKS_BLOCK) && (k == 0 || (b->insns[k - 1].flags & IF_SIDE_EXIT)))
			emit_on_block(&t, k, rip);
		rip += t.i->len;
		t.next_rip = rip;
		t.rip_set = false;
		t.remat[k].kind = -1;
		if (gen_native(&t)) {
			native++;
			t.resume[k] = (size_t)(e->p - t.start);
			if (t.flags_live)
				t.remat[k] = t.prod;
			continue;
		}
		emit_handler_call(&t);
		t.rip_set = true;
		t.flags_live = false;
		t.prod.kind = -1;
	}
	if (!native)
		return 0; /* nothing to gain over exec_block */
	if (!t.rip_set)
		set_end_rip(&t, rip); /* it falls through */
	emit_add_icount(&t, b->ninsns);
	if (t.end_known)
		emit_chain_to(&t, t.end_rip);
	t.chain = (size_t)(e->p - t.start);
	emit_chain(&t);
	size_t epilogue = (size_t)(e->p - t.start);
	emit_epilogue(e);
	emit_stubs(&t);
	for (unsigned k = 0; k < t.nouts; k++)
		e_patch(&t.e, t.start, t.outs[k], epilogue);
	return e->full ? 0 : (size_t)(e->p - t.start);
}
