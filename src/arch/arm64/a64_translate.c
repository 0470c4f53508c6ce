/*
 * The A64 translator: a decoded block becomes host x86-64 code that does
 * what the engine's run_block would do with it, faster.  The common
 * integer forms the decoders mark (a64_insn.native: moves, add/subtract
 * and logical operations with their flags, bitfield moves, conditional
 * selects, loads and stores of general-purpose registers that hit the
 * TLB, and the branches) run natively; every other instruction, and
 * every native access that misses the TLB, calls the instruction's
 * handler exactly as run_block does.  So the interpreter stays the
 * reference, and everything it handles (faults, MMIO, alignment, code
 * that writes itself, page-crossing accesses) is handled by its code.
 *
 * Native instructions keep neither c->pc nor c->insns: the translation
 * knows both relative to the block's start, stores them only where a
 * handler may read them (before its call) and at the end, and a
 * handler's call on a missed access puts them back as the native path
 * keeps them.
 *
 * At its end a block goes on into the next one's translation through a
 * jump the engine links (emit_link_stub, emit_entries), and it calls the
 * block hooks the engine asks for (enum a64_trans_hooks) where the
 * engine's hooked loop would.
 *
 * Host registers: rbx = the CPU; rax, rcx, rdx, rsi, rdi, r8 scratch
 * (rdx also carries a linked jump's address into the next entry).
 */
#include <stddef.h>
#include <string.h>

#include "arch/arm64/a64_code.h"
#include "arch/arm64/a64_translate.h"
#include "host/x86_64_emit.h"

#define OFF(f) ((i32)offsetof(struct a64_cpu, f))

_Static_assert(sizeof(struct a64_tlb_entry) < 128, "the TLB index is scaled by an imul imm8");

/* The ALU operations by their /digit, and the shifts by theirs. */
enum { ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6 };
enum { SH_ROR = 1, SH_SHL = 4, SH_SHR = 5, SH_SAR = 7 };
/* Host condition codes (the low nibble of Jcc and CMOVcc). */
enum { CC_C = 0x2, CC_Z = 0x4, CC_NZ = 0x5 };

/* Out-of-line code after the body, per instruction. */
enum stub_kind { STUB_SLOW, STUB_EXIT, STUB_KINDS };

struct fixup {
	size_t at;  /* rel32 to patch */
	u8 kind;
	u8 k;
};

/* Where c->pc and c->insns stand before an instruction (see above). */
struct lazy {
	unsigned pc_at;   /* c->pc is the address of instruction pc_at */
	unsigned pending; /* retired, not yet added to c->insns */
};

struct trans {
	struct emitter e;
	u8 *start;
	const struct a64_block *b;
	unsigned el;
	unsigned hooks;                          /* enum a64_trans_hooks */
	const u32 *frame_gen;
	unsigned k;                              /* the instruction translated */
	struct lazy now;
	struct lazy at_slow[A64_BLOCK_MAX];      /* the state a slow stub restores */
	size_t resume[A64_BLOCK_MAX];            /* where a slow stub goes back to */
	bool need[STUB_KINDS][A64_BLOCK_MAX];
	struct fixup fix[A64_BLOCK_MAX * 4];
	unsigned nfix;
	size_t outs[A64_BLOCK_MAX * 2 + 2];      /* jumps to the epilogue */
	unsigned nouts;
	size_t oks[4];                           /* jumps to the return of A64_OK */
	unsigned noks;
	size_t relinks[12];                      /* jumps to the link stub */
	unsigned nrelinks;
};

static struct hmem xreg(unsigned r)
{
	return hm(H_RBX, OFF(x) + 8 * (i32)r);
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

static void jump_relink(struct trans *t, int cc)
{
	size_t at = cc < 0 ? e_jmp32(&t->e, t->start) : e_jcc32(&t->e, t->start, (unsigned)cc);
	if (t->nrelinks < sizeof(t->relinks) / sizeof(t->relinks[0]))
		t->relinks[t->nrelinks++] = at;
	else
		t->e.full = true;
}

static void jump_out(struct trans *t)
{
	size_t at = e_jmp32(&t->e, t->start);
	if (t->nouts < sizeof(t->outs) / sizeof(t->outs[0]))
		t->outs[t->nouts++] = at;
	else
		t->e.full = true;
}

/* add/sub qword [m], v for a small constant v (no code for 0). */
static void add_field(struct trans *t, i32 off, i64 v)
{
	if (v)
		e_alu_mi(&t->e, v > 0 ? ALU_ADD : ALU_SUB, field(off), (u32)(v > 0 ? v : -v));
}

/* Store the lazy state `s` for instruction k: c->pc at it, c->insns
 * counting what retired before it. */
static void sync_state(struct trans *t, struct lazy s, unsigned k)
{
	add_field(t, OFF(pc), 4 * ((i64)k - s.pc_at));
	add_field(t, OFF(insns), s.pending);
}

/* The address of instruction k + delta bytes, into host register r. */
static void pc_of(struct trans *t, unsigned r, unsigned k, i64 delta)
{
	e_load(&t->e, 8, r, field(OFF(pc)));
	i64 v = 4 * ((i64)k - t->now.pc_at) + delta;
	if (v)
		e_alu_ri(&t->e, 8, v > 0 ? ALU_ADD : ALU_SUB, r, (u32)(v > 0 ? v : -v));
}

/* reg op= constant v (64 bits, or 32 with the upper half cleared). */
static void alu_const(struct trans *t, unsigned size, unsigned alu, unsigned reg, u64 v)
{
	if (size == 4 || (u64)(i64)(i32)v == v) {
		e_alu_ri(&t->e, size, alu, reg, (u32)v);
		return;
	}
	unsigned tmp = reg == H_RCX ? H_RDX : H_RCX;
	e_mov_imm(&t->e, tmp, v);
	e_alu_rr(&t->e, 8, alu, reg, tmp);
}

static void shift(struct trans *t, unsigned size, unsigned kind, unsigned reg, unsigned n)
{
	if (n)
		e_shift_ri(&t->e, size, kind, reg, (u8)n);
}

/* Call the callback at c->cb + `off` with (opaque, c, block) and the
 * argument registers the caller set after those. */
static void call_cb(struct trans *t, i32 off)
{
	e_load(&t->e, 8, H_RAX, field(off));
	e_load(&t->e, 8, H_RDI, field(OFF(cb.opaque)));
	e_rm_reg(&t->e, 8, 0x8b, H_RSI, H_RBX);
	e_mov_imm(&t->e, H_RDX, (u64)(uintptr_t)t->b);
	e_call_rax(&t->e);
}

/* on_block_ran for a run of the whole block (A64_TH_RAN). */
static void tell_ran_whole(struct trans *t)
{
	if (!(t->hooks & A64_TH_RAN))
		return;
	e_mov_imm(&t->e, H_RCX, t->b->ninsns);
	e_mov_imm(&t->e, 8, t->b->ninsns); /* r8 */
	call_cb(t, OFF(cb.block_ran));
}

/* ---- the handler call: exactly what run_block does for one insn ---- */

/* Instruction k's handler, as run_block calls it; a status other than
 * A64_OK ends the block (STUB_EXIT). */
static void call_handler(struct trans *t, unsigned k)
{
	const struct a64_insn *i = &t->b->insns[k];
	e_rm_reg(&t->e, 8, 0x8b, H_RDI, H_RBX);
	e_mov_imm(&t->e, H_RSI, (u64)(uintptr_t)i);
	e_call(&t->e, (const void *)i->exec);
	e_rm_reg(&t->e, 4, 0x85, H_RAX, H_RAX); /* test eax, eax */
	unsigned was = t->k;
	t->k = k;
	jump_to_stub(t, STUB_EXIT, CC_NZ);
	t->k = was;
}

static bool is_svc(u32 word)
{
	return (word & 0xffe0001fu) == 0xd4000001u;
}

/* An instruction with no native form: its handler, in the state it
 * expects. */
static void emit_handler(struct trans *t)
{
	sync_state(t, t->now, t->k);
	if ((t->hooks & A64_TH_SYSCALL) && is_svc(t->b->insns[t->k].word))
		call_cb(t, OFF(cb.svc_entering)); /* on_syscall, at the SVC */
	call_handler(t, t->k);
	t->now = (struct lazy){ .pc_at = t->k + 1, .pending = 1 };
	if ((t->hooks & A64_TH_SVC) && is_svc(t->b->insns[t->k].word))
		call_cb(t, OFF(cb.svc_retired)); /* an SVC: told before it is counted */
}

/* ---- NZCV ---- */

/* c->nzcv from the host flags of the operation just done (N = SF, Z = ZF,
 * V = OF, C = CF, or NOT CF after a subtraction: Arm's carry is NOT
 * borrow).  Clobbers rax, rcx, rdx. */
static void nzcv_from_host(struct trans *t, bool sub)
{
	struct emitter *e = &t->e;
	e_byte(e, 0x9f);                          /* lahf: ah = SF ZF - AF - PF 1 CF */
	e_rm_reg(e, 1, 0x0f90, 0, H_RAX);         /* seto al */
	e_rm_reg(e, 4, 0x0fb6, H_RCX, 4);         /* movzx ecx, ah */
	e_rm_reg(e, 4, 0x0fb6, H_RAX, H_RAX);     /* movzx eax, al */
	e_rm_reg(e, 4, 0x8b, H_RDX, H_RCX);
	e_alu_ri(e, 4, ALU_AND, H_RDX, 1);
	if (sub)
		e_alu_ri(e, 4, ALU_XOR, H_RDX, 1);
	e_shift_ri(e, 4, SH_SHL, H_RDX, 29);
	e_alu_ri(e, 4, ALU_AND, H_RCX, 0xc0);
	e_shift_ri(e, 4, SH_SHL, H_RCX, 24);
	e_shift_ri(e, 4, SH_SHL, H_RAX, 28);
	e_alu_rr(e, 4, ALU_OR, H_RCX, H_RDX);
	e_alu_rr(e, 4, ALU_OR, H_RCX, H_RAX);
	e_store(e, 4, H_RCX, field(OFF(nzcv)));
}

/* CF = the condition (its a64_cond_table) holds for c->nzcv.  Clobbers
 * rax and rcx. */
static void cond_to_carry(struct trans *t, u16 table)
{
	e_load(&t->e, 4, H_RAX, field(OFF(nzcv)));
	e_shift_ri(&t->e, 4, SH_SHR, H_RAX, 28);
	e_mov_imm(&t->e, H_RCX, table);
	e_rm_reg(&t->e, 4, 0x0fa3, H_RAX, H_RCX); /* bt ecx, eax */
}

static void cmov(struct trans *t, unsigned cc, unsigned dst, unsigned src)
{
	e_rm_reg(&t->e, 8, 0x0f40 | cc, dst, src);
}

/* ---- data processing ---- */

static unsigned width(const struct a64_insn *i)
{
	return i->word >> 31 ? 8 : 4;
}

static void emit_adr(struct trans *t, const struct a64_insn *i)
{
	pc_of(t, H_RAX, t->k, 0);
	if (i->imm2 != ~0ull)
		alu_const(t, 8, ALU_AND, H_RAX, i->imm2);
	if (i->imm)
		alu_const(t, 8, ALU_ADD, H_RAX, i->imm);
	e_store(&t->e, 8, H_RAX, xreg(i->rd));
}

static void emit_add_imm(struct trans *t, const struct a64_insn *i)
{
	unsigned size = i->imm2 == ~0ull ? 8 : 4;
	e_load(&t->e, size, H_RAX, xreg(i->rn));
	if (i->imm)
		alu_const(t, size, ALU_ADD, H_RAX, i->imm);
	e_store(&t->e, 8, H_RAX, xreg(i->rd));
}

/* ADDS/SUBS/CMP/CMN (immediate): imm is the operand, inverted for SUBS. */
static void emit_adds_imm(struct trans *t, const struct a64_insn *i)
{
	unsigned size = width(i);
	bool sub = i->op1;
	u64 v = sub ? ~i->imm & (size == 8 ? ~0ull : 0xffffffffull) : i->imm;
	e_load(&t->e, size, H_RAX, xreg(i->rn));
	e_alu_ri(&t->e, size, sub ? ALU_SUB : ALU_ADD, H_RAX, (u32)v); /* v < 2^24 */
	e_store(&t->e, 8, H_RAX, xreg(i->rd));
	nzcv_from_host(t, sub);
}

static void emit_logic_imm(struct trans *t, const struct a64_insn *i)
{
	static const unsigned alu[4] = { ALU_AND, ALU_OR, ALU_XOR, ALU_AND };
	unsigned size = width(i);
	e_load(&t->e, size, H_RAX, xreg(i->rn));
	if (size == 8 && (u64)(i64)(i32)i->imm != i->imm) {
		e_mov_imm(&t->e, H_RCX, i->imm);
		e_alu_rr(&t->e, 8, alu[i->native_op], H_RAX, H_RCX);
	} else {
		e_alu_ri(&t->e, size, alu[i->native_op], H_RAX, (u32)i->imm);
	}
	e_store(&t->e, 8, H_RAX, xreg(i->rd));
	if (i->native_op == 3) /* ANDS: N and Z of the width, C = V = 0 */
		nzcv_from_host(t, false);
}

static void emit_mov_const(struct trans *t, const struct a64_insn *i)
{
	if ((u64)(i64)(i32)i->imm == i->imm) {
		e_store_imm32(&t->e, 8, xreg(i->rd), (u32)i->imm);
		return;
	}
	e_mov_imm(&t->e, H_RAX, i->imm);
	e_store(&t->e, 8, H_RAX, xreg(i->rd));
}

static void emit_movk(struct trans *t, const struct a64_insn *i)
{
	e_load(&t->e, 8, H_RAX, xreg(i->rd));
	alu_const(t, 8, ALU_AND, H_RAX, i->imm2);
	alu_const(t, 8, ALU_OR, H_RAX, i->imm);
	e_store(&t->e, 8, H_RAX, xreg(i->rd));
}

/* UBFM (LSL, LSR, UBFX, UBFIZ, UXTB, UXTH): ROR by R, then the mask. */
static void emit_ubfm(struct trans *t, const struct a64_insn *i)
{
	unsigned size = width(i);
	e_load(&t->e, size, H_RAX, xreg(i->rn));
	shift(t, size, SH_ROR, H_RAX, i->op1);
	alu_const(t, size, ALU_AND, H_RAX, i->imm);
	e_store(&t->e, 8, H_RAX, xreg(i->rd));
}

/* Rm shifted by op1 as the shift type says, into rcx. */
static void shifted_rm(struct trans *t, const struct a64_insn *i, unsigned size, unsigned type)
{
	static const unsigned kinds[4] = { SH_SHL, SH_SHR, SH_SAR, SH_ROR };
	e_load(&t->e, size, H_RCX, xreg(i->rm));
	shift(t, size, kinds[type], H_RCX, i->op1);
}

static void emit_logic_reg(struct trans *t, const struct a64_insn *i)
{
	static const unsigned alu[4] = { ALU_AND, ALU_OR, ALU_XOR, ALU_AND };
	unsigned size = width(i), opc = i->native_op & 3;
	shifted_rm(t, i, size, i->native_op >> 2);
	if (i->imm2)
		e_rm_reg(&t->e, size, 0xf7, 2, H_RCX); /* not: BIC, ORN, EON, BICS */
	e_load(&t->e, size, H_RAX, xreg(i->rn));
	e_alu_rr(&t->e, size, alu[opc], H_RAX, H_RCX);
	e_store(&t->e, 8, H_RAX, xreg(i->rd));
	if (opc == 3)
		nzcv_from_host(t, false);
}

/* ADD/ADDS/SUB/SUBS (shifted register): imm2 ~0 for the subtractions. */
static void emit_addsub_reg(struct trans *t, const struct a64_insn *i)
{
	unsigned size = width(i);
	bool sub = i->imm2 != 0;
	shifted_rm(t, i, size, i->native_op & 3);
	e_load(&t->e, size, H_RAX, xreg(i->rn));
	e_alu_rr(&t->e, size, sub ? ALU_SUB : ALU_ADD, H_RAX, H_RCX);
	e_store(&t->e, 8, H_RAX, xreg(i->rd));
	if (i->native_op >> 2)
		nzcv_from_host(t, sub);
}

/* CSEL/CSINC/CSINV/CSNEG: Rn if the condition holds, else (Rm ^ imm2) + op1. */
static void emit_csel(struct trans *t, const struct a64_insn *i)
{
	e_load(&t->e, 8, H_RDX, xreg(i->rm));
	if (i->imm2)
		e_rm_reg(&t->e, 8, 0xf7, 2, H_RDX);
	if (i->op1)
		e_alu_ri(&t->e, 8, ALU_ADD, H_RDX, i->op1);
	e_load(&t->e, 8, H_RSI, xreg(i->rn));
	cond_to_carry(t, (u16)i->imm);
	cmov(t, CC_C, H_RDX, H_RSI);
	if (width(i) == 4)
		e_rm_reg(&t->e, 4, 0x8b, H_RDX, H_RDX);
	e_store(&t->e, 8, H_RDX, xreg(i->rd));
}

/* SBFM (ASR, SBFX, SBFIZ, SXTB/SXTH/SXTW): ROR by R, the mask, and the
 * source's bit S copied into the bits imm2 says. */
static void emit_sbfm(struct trans *t, const struct a64_insn *i)
{
	unsigned size = width(i);
	e_load(&t->e, 8, H_RAX, xreg(i->rn));
	e_rm_reg(&t->e, 8, 0x8b, H_RDX, H_RAX);
	e_shift_ri(&t->e, 8, SH_SHL, H_RDX, (u8)(63 - i->op2));
	e_shift_ri(&t->e, 8, SH_SAR, H_RDX, 63);
	alu_const(t, 8, ALU_AND, H_RDX, i->imm2);
	if (size == 4)
		e_rm_reg(&t->e, 4, 0x8b, H_RAX, H_RAX);
	shift(t, size, SH_ROR, H_RAX, i->op1);
	alu_const(t, 8, ALU_AND, H_RAX, i->imm);
	e_alu_rr(&t->e, 8, ALU_OR, H_RAX, H_RDX);
	e_store(&t->e, 8, H_RAX, xreg(i->rd));
}

/* EXTR (ROR immediate): Rn:Rm shifted right by op1, as SHRD does. */
static void emit_extr(struct trans *t, const struct a64_insn *i)
{
	unsigned size = width(i);
	e_load(&t->e, size, H_RAX, xreg(i->rm));
	e_load(&t->e, size, H_RDX, xreg(i->rn));
	e_rm_reg(&t->e, size, 0x0fac, H_RDX, H_RAX); /* shrd rax, rdx, imm8 */
	e_byte(&t->e, i->op1);
	e_store(&t->e, 8, H_RAX, xreg(i->rd));
}

/* MADD/MSUB: Ra plus or minus Rn * Rm, in the width. */
static void emit_madd(struct trans *t, const struct a64_insn *i)
{
	unsigned size = width(i);
	e_load(&t->e, 8, H_RAX, xreg(i->rn));
	e_rm_mem(&t->e, size, 0x0faf, H_RAX, xreg(i->rm)); /* imul rax, [rm] */
	e_load(&t->e, 8, H_RCX, xreg(i->ra));
	e_alu_rr(&t->e, size, i->native_op ? ALU_SUB : ALU_ADD, H_RCX, H_RAX);
	e_store(&t->e, 8, H_RCX, xreg(i->rd));
}

/* LSLV/LSRV/ASRV/RORV: the host's shift by cl takes the count modulo the
 * width, as the instructions do. */
static void emit_shiftv(struct trans *t, const struct a64_insn *i)
{
	static const unsigned kinds[4] = { SH_SHL, SH_SHR, SH_SAR, SH_ROR };
	unsigned size = width(i);
	e_load(&t->e, size, H_RAX, xreg(i->rn));
	e_load(&t->e, 8, H_RCX, xreg(i->rm));
	e_rm_reg(&t->e, size, 0xd3, kinds[i->native_op], H_RAX);
	e_store(&t->e, 8, H_RAX, xreg(i->rd));
}

/* ADD/ADDS/SUB/SUBS (extended register): Rm cut to op2's width, zero- or
 * sign-extended, shifted left by op1. */
static void emit_addsub_ext(struct trans *t, const struct a64_insn *i)
{
	unsigned size = width(i);
	bool sub = i->imm2 != 0, sign = i->native_op & 1, flags = i->native_op & 2;
	e_load(&t->e, 8, H_RCX, xreg(i->rm));
	if (i->op2) {
		e_shift_ri(&t->e, 8, SH_SHL, H_RCX, i->op2);
		e_shift_ri(&t->e, 8, sign ? SH_SAR : SH_SHR, H_RCX, i->op2);
	}
	shift(t, 8, SH_SHL, H_RCX, i->op1);
	e_load(&t->e, size, H_RAX, xreg(i->rn));
	e_alu_rr(&t->e, size, sub ? ALU_SUB : ALU_ADD, H_RAX, H_RCX);
	e_store(&t->e, 8, H_RAX, xreg(i->rd));
	if (flags)
		nzcv_from_host(t, sub);
}

/* ---- the block's end: c->pc and the count stored, then on ---- */

/* Leave with c->pc set, `retired` instructions not yet counted: through
 * the link stub, which links this jump (rdx: its rel32) to the
 * translation at the PC where `link`, and else only finds it.  A linked
 * jump whose target moved fails the target's chained-entry check and is
 * relinked. */
static void leave(struct trans *t, unsigned retired, bool link)
{
	add_field(t, OFF(insns), retired);
	tell_ran_whole(t);
	if (!link) {
		e_alu_rr(&t->e, 4, ALU_XOR, H_RDX, H_RDX);
		jump_relink(t, -1);
		return;
	}
	static const u8 lea_rdx_next_rel32[] = { 0x48, 0x8d, 0x15, 1, 0, 0, 0 }; /* [rip + 1] */
	for (unsigned k = 0; k < sizeof(lea_rdx_next_rel32); k++)
		e_byte(&t->e, lea_rdx_next_rel32[k]);
	jump_relink(t, -1);
}

/* Leave for the instruction at byte offset `rel` from the block's start:
 * a constant target, always linked. */
static void exit_to(struct trans *t, i64 rel, unsigned retired)
{
	add_field(t, OFF(pc), rel - 4 * (i64)t->now.pc_at);
	leave(t, retired, true);
}

/*
 * Leave for where the last instruction set c->pc (a handler, or an
 * indirect branch).  Linked too, since the target mostly stays (what a
 * system instruction leaves is the next instruction; many returns go back
 * to one caller: the link callback's share of the boot's profile went
 * from 12.4% to 9.8%), but never under hooks: a handler may have changed
 * the EL, and on_cpl_change hears of each change from the engine
 * (A64_TH_HOOKED).
 */
static void exit_set(struct trans *t, unsigned retired)
{
	leave(t, retired, !t->hooks);
}

/* The native branches, always a block's last instruction. */
static void emit_branch(struct trans *t, const struct a64_insn *i)
{
	unsigned k = t->k;
	i64 here = 4 * (i64)k, next = here + 4;
	switch (i->native) {
	case A64_NAT_B:
		exit_to(t, here + (i64)i->imm, t->now.pending + 1);
		break;
	case A64_NAT_BL:
		pc_of(t, H_RAX, k, 4);
		e_store(&t->e, 8, H_RAX, xreg(30));
		exit_to(t, here + (i64)i->imm, t->now.pending + 1);
		break;
	case A64_NAT_BCOND:
	case A64_NAT_CBZ: {
		int not_taken;
		if (i->native == A64_NAT_BCOND) {
			cond_to_carry(t, (u16)i->imm2);
			not_taken = 0x3; /* jnc */
		} else {
			e_load(&t->e, 8, H_RAX, xreg(i->rd));
			e_mov_imm(&t->e, H_RCX, i->imm2);
			e_rm_reg(&t->e, 8, 0x85, H_RCX, H_RAX); /* test rax, rcx */
			not_taken = i->op1 ? CC_Z : CC_NZ;
		}
		size_t skip = e_jcc32(&t->e, t->start, (unsigned)not_taken);
		exit_to(t, here + (i64)i->imm, t->now.pending + 1);
		e_patch(&t->e, t->start, skip, (size_t)(t->e.p - t->start));
		exit_to(t, next, t->now.pending + 1);
		break;
	}
	case A64_NAT_BR:
		e_load(&t->e, 8, H_RAX, xreg(i->rn));
		e_store(&t->e, 8, H_RAX, field(OFF(pc)));
		exit_set(t, t->now.pending + 1);
		break;
	default: /* BLR: the target is read before X30 is written */
		e_load(&t->e, 8, H_RAX, xreg(i->rn));
		pc_of(t, H_RCX, k, 4);
		e_store(&t->e, 8, H_RCX, xreg(30));
		e_store(&t->e, 8, H_RAX, field(OFF(pc)));
		exit_set(t, t->now.pending + 1);
		break;
	}
}

/* ---- loads and stores ---- */

/* dst = the byte offset, from c->tlb.e, of the current context's TLB
 * entry for the virtual address in `va` (a64_tlb_entry_for). */
static void tlb_entry_offset(struct trans *t, unsigned dst, unsigned va)
{
	struct emitter *e = &t->e;
	e_rm_reg(e, 8, 0x8b, dst, va);
	e_shift_ri(e, 8, SH_SHR, dst, 12);
	e_alu_ri(e, 4, ALU_AND, dst, A64_TLB_SIZE - 1);
	e_alu_rm(e, 4, ALU_ADD, dst, field(OFF(tlb.base)));
	e_rm_reg(e, 8, 0x6b, dst, dst); /* imul dst, dst, sizeof entry */
	e_byte(e, (u8)sizeof(struct a64_tlb_entry));
}

/* The access's virtual address into rsi (before any writeback). */
static void address(struct trans *t, const struct a64_insn *i)
{
	unsigned mode = i->native_op;
	if (mode == A64_MODE_REGU || mode == A64_MODE_REGS) {
		e_load(&t->e, 8, H_RCX, xreg(i->rm));
		if (i->imm) { /* the extension: UXTW/SXTW */
			e_shift_ri(&t->e, 8, SH_SHL, H_RCX, (u8)i->imm);
			e_shift_ri(&t->e, 8, mode == A64_MODE_REGS ? SH_SAR : SH_SHR, H_RCX, (u8)i->imm);
		}
		shift(t, 8, SH_SHL, H_RCX, i->sf);
		e_load(&t->e, 8, H_RSI, xreg(i->rn));
		e_alu_rr(&t->e, 8, ALU_ADD, H_RSI, H_RCX);
		return;
	}
	e_load(&t->e, 8, H_RSI, xreg(i->rn));
	if (mode != A64_MODE_POST && i->imm)
		e_alu_ri(&t->e, 8, ALU_ADD, H_RSI, (u32)i->imm); /* imm9, or imm12 scaled */
}

/*
 * The TLB's fast path for `size` bytes at rsi (a64_fast_hit): rdx = the
 * host address minus the virtual one, or a jump to the slow stub.  An
 * SP base must be 16-byte aligned first (a64_check_sp: the handler
 * takes the fault, if SCTLR asks for one).
 */
static void fast_path(struct trans *t, const struct a64_insn *i, unsigned size, unsigned kind)
{
	struct emitter *e = &t->e;
	i32 entries = OFF(tlb.e);
	if (i->rn == A64_SP) {
		e_rm_mem(e, 1, 0xf6, 0, xreg(A64_SP)); /* test byte [sp], 15 */
		e_byte(e, 15);
		jump_to_stub(t, STUB_SLOW, CC_NZ);
	}
	tlb_entry_offset(t, H_RAX, H_RSI);
	e_lea(e, H_RDX, hm(H_RSI, (i32)size - 1));
	e_alu_ri(e, 8, ALU_OR, H_RDX, 0xfff);
	i32 tag = entries + (i32)offsetof(struct a64_tlb_entry, tag) +
		  (i32)(sizeof(u64) * (2 * kind + t->el));
	e_alu_rm(e, 8, 0x7 /* CMP */, H_RDX, hm_index(H_RBX, H_RAX, 0, tag));
	jump_to_stub(t, STUB_SLOW, CC_NZ);
	e_load(e, 8, H_RDX, hm_index(H_RBX, H_RAX, 0,
				     entries + (i32)offsetof(struct a64_tlb_entry, addend)));
}

static struct hmem host_at(i32 disp)
{
	return hm_index(H_RSI, H_RDX, 0, disp);
}

/* The loaded value in rax, as the handlers make it: sign-extended from
 * its size when op2 says so, then cut to 32 bits when `w`. */
static void load_value(struct trans *t, const struct a64_insn *i, unsigned size, i32 disp, bool w)
{
	if (!i->op2)
		e_load(&t->e, size, H_RAX, host_at(disp));
	else if (size == 4)
		e_rm_mem(&t->e, 8, 0x63, H_RAX, host_at(disp));           /* movsxd */
	else
		e_rm_mem(&t->e, 8, size == 1 ? 0x0fbe : 0x0fbf, H_RAX, host_at(disp));
	if (w)
		e_rm_reg(&t->e, 4, 0x8b, H_RAX, H_RAX);
}

static void writeback(struct trans *t, const struct a64_insn *i)
{
	if (i->native_op == A64_MODE_POST && i->imm)
		e_alu_ri(&t->e, 8, ALU_ADD, H_RSI, (u32)i->imm);
	if (i->native_op == A64_MODE_PRE || i->native_op == A64_MODE_POST)
		e_store(&t->e, 8, H_RSI, xreg(i->rn));
}

static void emit_ldst(struct trans *t, const struct a64_insn *i)
{
	unsigned size = i->op1;
	bool load = i->native == A64_NAT_LD;
	address(t, i);
	fast_path(t, i, size, load ? A64_TLB_READ : A64_TLB_WRITE);
	if (load) {
		load_value(t, i, size, 0, i->imm2 != ~0ull);
		e_store(&t->e, 8, H_RAX, xreg(i->rd));
	} else {
		e_load(&t->e, 8, H_RAX, xreg(i->rd));
		e_store(&t->e, size, H_RAX, host_at(0));
	}
	writeback(t, i);
}

/* General-purpose pairs: one access of both elements (op1 each). */
static void emit_pair(struct trans *t, const struct a64_insn *i)
{
	unsigned size = i->op1;
	bool load = i->native == A64_NAT_LDP;
	address(t, i);
	fast_path(t, i, 2 * size, load ? A64_TLB_READ : A64_TLB_WRITE);
	if (load) { /* Rt2 first, so that Rt == Rt2 gets the first element */
		load_value(t, i, size, (i32)size, false);
		e_store(&t->e, 8, H_RAX, xreg(i->ra));
		load_value(t, i, size, 0, false);
		e_store(&t->e, 8, H_RAX, xreg(i->rd));
	} else {
		e_load(&t->e, 8, H_RAX, xreg(i->rd));
		e_load(&t->e, 8, H_RCX, xreg(i->ra));
		e_store(&t->e, size, H_RAX, host_at(0));
		e_store(&t->e, size, H_RCX, host_at((i32)size));
	}
	writeback(t, i);
}

/* ---- the block ---- */

/* Can the native form be emitted as the decoder left it? */
static bool native_ok(const struct a64_insn *i)
{
	switch (i->native) {
	case A64_NAT_NONE:
		return false;
	case A64_NAT_LD: /* zero-extending, or sign-extending to X or W */
		return !i->op3 && (i->imm2 == ~0ull || i->imm2 == 0xffffffffull) &&
		       (!i->op2 || i->op2 == 64 - 8 * i->op1);
	case A64_NAT_LDP: /* LDP, or LDPSW (op2 32) */
		return !i->op2 || (i->op2 == 32 && i->op1 == 4);
	case A64_NAT_ST:
		return !i->op3;
	default:
		return true;
	}
}

static void emit_insn(struct trans *t)
{
	const struct a64_insn *i = &t->b->insns[t->k];
	if (!native_ok(i)) {
		emit_handler(t);
		return;
	}
	bool mem = i->native >= A64_NAT_LD;
	if (mem)
		t->at_slow[t->k] = t->now;
	switch (i->native) {
	case A64_NAT_ADR: emit_adr(t, i); break;
	case A64_NAT_ADD_IMM: emit_add_imm(t, i); break;
	case A64_NAT_ADDS_IMM: emit_adds_imm(t, i); break;
	case A64_NAT_LOGIC_IMM: emit_logic_imm(t, i); break;
	case A64_NAT_MOV_CONST: emit_mov_const(t, i); break;
	case A64_NAT_MOVK: emit_movk(t, i); break;
	case A64_NAT_UBFM: emit_ubfm(t, i); break;
	case A64_NAT_LOGIC_REG: emit_logic_reg(t, i); break;
	case A64_NAT_ADDSUB_REG: emit_addsub_reg(t, i); break;
	case A64_NAT_CSEL: emit_csel(t, i); break;
	case A64_NAT_SBFM: emit_sbfm(t, i); break;
	case A64_NAT_EXTR: emit_extr(t, i); break;
	case A64_NAT_MADD: emit_madd(t, i); break;
	case A64_NAT_SHIFTV: emit_shiftv(t, i); break;
	case A64_NAT_ADDSUB_EXT: emit_addsub_ext(t, i); break;
	case A64_NAT_LD: case A64_NAT_ST: emit_ldst(t, i); break;
	case A64_NAT_LDP: case A64_NAT_STP: emit_pair(t, i); break;
	default: emit_branch(t, i); return; /* the block's end */
	}
	if (mem)
		t->resume[t->k] = (size_t)(t->e.p - t->start);
	t->now.pending++;
}

/* A slow stub: the handler does the access (and whatever a miss means)
 * in the state it expects; then the native path's state is put back. */
static void emit_slow_stub(struct trans *t, unsigned k)
{
	struct lazy s = t->at_slow[k];
	t->k = k;
	sync_state(t, s, k);
	call_handler(t, k);
	add_field(t, OFF(pc), -4 * ((i64)k + 1 - s.pc_at));
	add_field(t, OFF(insns), -(i64)s.pending);
	size_t at = e_jmp32(&t->e, t->start);
	e_patch(&t->e, t->start, at, t->resume[k]);
}

/* The end of a run at instruction k with status eax: it retired unless
 * it took an exception; the result names its encoding. */
static void emit_exit_stub(struct trans *t, unsigned k)
{
	struct emitter *e = &t->e;
	e_rm_reg(e, 4, 0x8b, H_RAX, H_RAX); /* the int's upper half is not defined */
	e_alu_ri(e, 4, 0x7 /* CMP */, H_RAX, A64_EXC);
	e_byte(e, 0x74); /* je over the count */
	u8 *skip = e->p;
	e_byte(e, 0);
	e_rm_mem(e, 8, 0xff, 0, field(OFF(insns))); /* inc qword */
	if (!e->full)
		*skip = (u8)(e->p - skip - 1);
	if (t->hooks & A64_TH_RAN) { /* on_block_ran: k + 1 began, k retired if it faulted */
		e_byte(e, 0x50); /* push rax, twice: the status, and the stack aligned */
		e_byte(e, 0x50);
		e_alu_rr(e, 4, ALU_XOR, 8, 8);
		e_alu_ri(e, 4, 0x7, H_RAX, A64_EXC);
		e_rm_reg(e, 1, 0x0f95, 0, 8); /* setne r8b */
		e_alu_ri(e, 4, ALU_ADD, 8, k);
		e_mov_imm(e, H_RCX, k + 1);
		call_cb(t, OFF(cb.block_ran));
		e_byte(e, 0x58); /* pop rax, twice */
		e_byte(e, 0x58);
	}
	e_mov_imm(e, H_RCX, (u64)t->b->insns[k].word << 32);
	e_alu_rr(e, 8, ALU_OR, H_RAX, H_RCX);
	jump_out(t);
}

/*
 * The link stub, reached with rdx = the rel32 of the jump that came here:
 * a jump of this block to the next one, not linked yet, or one another
 * block linked to this one's chained entry that no longer holds.  The
 * engine patches that jump to the translation now at the PC, if there is
 * one, and it goes on there; else back to the engine.
 */
static void emit_link_stub(struct trans *t)
{
	struct emitter *e = &t->e;
	e_load(e, 8, H_RAX, field(OFF(cb.chain_link)));
	e_rm_reg(e, 8, 0x85, H_RAX, H_RAX);
	size_t none = e_jcc32(e, t->start, CC_Z);
	e_load(e, 8, H_RDI, field(OFF(cb.opaque)));
	e_rm_reg(e, 8, 0x8b, H_RSI, H_RBX);
	e_call_rax(e);
	e_rm_reg(e, 8, 0x85, H_RAX, H_RAX);
	size_t none2 = e_jcc32(e, t->start, CC_Z);
	e_jmp_rax(e);
	if (t->noks + 2 <= sizeof(t->oks) / sizeof(t->oks[0])) {
		t->oks[t->noks++] = none;
		t->oks[t->noks++] = none2;
	} else {
		e->full = true;
	}
}

/*
 * The entries: the engine's call (which saves rbx, the CPU's register)
 * and, at A64_CHAINED_ENTRY, another translation's jump (rbx saved and
 * set already, rdx its rel32), which goes on only while the block fits
 * c->chain_limit (else back to the engine), the TLB still lets this EL
 * execute the PC's page mapped to the block's frame, and the frame holds
 * what was translated (else to the link stub, which finds what is there
 * now).
 */
static void emit_entries(struct trans *t)
{
	struct emitter *e = &t->e;
	i32 entries = OFF(tlb.e);
	e_byte(e, 0x53); /* push rbx: the calls below find the stack aligned */
	e_rm_reg(e, 8, 0x8b, H_RBX, H_RDI);
	size_t to_body = e_jmp32(e, t->start);
	if (!e->full && e->p - t->start != A64_CHAINED_ENTRY)
		e->full = true; /* cannot happen: the sizes above are fixed */
	e_load(e, 8, H_RAX, field(OFF(insns)));
	e_alu_ri(e, 8, ALU_ADD, H_RAX, t->b->ninsns);
	e_alu_rm(e, 8, 0x7 /* CMP */, H_RAX, field(OFF(chain_limit)));
	size_t no_room = e_jcc32(e, t->start, 0x7 /* ja */);
	e_rm_mem(e, 1, 0x80, 7, field(OFF(el))); /* cmp byte [el], imm8 */
	e_byte(e, (u8)t->el);
	jump_relink(t, CC_NZ);
	if (t->b->key) { /* hooks see the block at one virtual address */
		e_mov_imm(e, H_RAX, t->b->key & ~3ull);
		e_alu_rm(e, 8, 0x7, H_RAX, field(OFF(pc)));
		jump_relink(t, CC_NZ);
	}
	e_load(e, 8, H_RAX, field(OFF(pc)));
	e_rm_reg(e, 4, 0x8b, H_RCX, H_RAX);
	e_alu_ri(e, 4, ALU_AND, H_RCX, 0xfff);
	e_alu_ri(e, 4, 0x7, H_RCX, (u32)(t->b->pa & 0xfff));
	jump_relink(t, CC_NZ);
	tlb_entry_offset(t, H_RCX, H_RAX);
	e_alu_ri(e, 8, ALU_OR, H_RAX, 0xfff);
	i32 tag = entries + (i32)offsetof(struct a64_tlb_entry, tag) +
		  (i32)(sizeof(u64) * (2 * A64_TLB_EXEC + t->el));
	e_alu_rm(e, 8, 0x7, H_RAX, hm_index(H_RBX, H_RCX, 0, tag));
	jump_relink(t, CC_NZ);
	e_load(e, 8, H_RAX, hm_index(H_RBX, H_RCX, 0, entries + (i32)offsetof(struct a64_tlb_entry, pa)));
	e_mov_imm(e, H_RCX, t->b->pa);
	e_alu_rr(e, 8, ALU_XOR, H_RAX, H_RCX);
	e_alu_ri(e, 8, ALU_AND, H_RAX, (u32)~A64_TLBE_FLAGS); /* sign-extended: the page */
	jump_relink(t, CC_NZ);
	e_mov_imm(e, H_RAX, (u64)(uintptr_t)t->frame_gen);
	e_rm_mem(e, 4, 0x81, 7, hm(H_RAX, 0)); /* cmp dword [rax], gen */
	e_u32(e, t->b->gen);
	jump_relink(t, CC_NZ);
	e_patch(e, t->start, to_body, (size_t)(e->p - t->start));
	if (t->noks < sizeof(t->oks) / sizeof(t->oks[0]))
		t->oks[t->noks++] = no_room;
	else
		e->full = true;
}

size_t a64_translate_block(const struct a64_block *b, unsigned el, unsigned hooks,
			   const u32 *frame_gen, u8 *dst, size_t room)
{
	struct trans t;
	memset(&t, 0, sizeof(t));
	t.e = (struct emitter){ dst, dst + room, false };
	t.start = dst;
	t.b = b;
	t.el = el;
	t.hooks = hooks;
	t.frame_gen = frame_gen;
	emit_entries(&t);
	if (hooks & (A64_TH_BLOCK | A64_TH_RAN)) {
		e_load(&t.e, 8, H_RAX, field(OFF(insns)));
		e_store(&t.e, 8, H_RAX, field(OFF(hook_icount)));
	}
	if (hooks & A64_TH_BLOCK)
		call_cb(&t, OFF(cb.block_start));
	for (t.k = 0; t.k < b->ninsns; t.k++)
		emit_insn(&t);
	/* No branch at the end: a block cut at its size or page goes on to
	 * the next instruction; one a handler ended, where the handler left
	 * the PC. */
	const struct a64_insn *last = &b->insns[b->ninsns - 1];
	if (!native_ok(last) || last->native < A64_NAT_B || last->native > A64_NAT_BLR) {
		t.k = b->ninsns - 1;
		if (((last->word >> 26) & 7) == 5) { /* the handler left c->pc */
			exit_set(&t, t.now.pending);
		} else {
			exit_to(&t, 4 * (i64)b->ninsns, t.now.pending);
		}
	}
	size_t ok = (size_t)(t.e.p - t.start);
	e_alu_rr(&t.e, 4, ALU_XOR, H_RAX, H_RAX);
	size_t epilogue = (size_t)(t.e.p - t.start);
	e_byte(&t.e, 0x5b); /* pop rbx */
	e_byte(&t.e, 0xc3);
	size_t stub[STUB_KINDS][A64_BLOCK_MAX];
	for (unsigned kind = 0; kind < STUB_KINDS; kind++)
		for (unsigned k = 0; k < t.b->ninsns; k++) {
			if (!t.need[kind][k])
				continue;
			stub[kind][k] = (size_t)(t.e.p - t.start);
			if (kind == STUB_SLOW)
				emit_slow_stub(&t, k);
			else
				emit_exit_stub(&t, k);
		}
	for (unsigned f = 0; f < t.nfix; f++)
		e_patch(&t.e, t.start, t.fix[f].at, stub[t.fix[f].kind][t.fix[f].k]);
	for (unsigned o = 0; o < t.nouts; o++)
		e_patch(&t.e, t.start, t.outs[o], epilogue);
	size_t relink = (size_t)(t.e.p - t.start);
	emit_link_stub(&t);
	for (unsigned o = 0; o < t.nrelinks; o++)
		e_patch(&t.e, t.start, t.relinks[o], relink);
	for (unsigned o = 0; o < t.noks; o++)
		e_patch(&t.e, t.start, t.oks[o], ok);
	return t.e.full ? 0 : (size_t)(t.e.p - t.start);
}
