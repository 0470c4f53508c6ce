/*
 * Data movement: MOV in all its forms, LEA, zero/sign extension, the
 * stack (PUSH/POP/PUSHA/POPA/PUSHF/POPF/ENTER/LEAVE), XCHG, CMOVcc,
 * SETcc, XLAT, segment-register moves and far-pointer loads (LDS, LES,
 * LSS, LFS, LGS), ARPL and the NOP/hint space.
 */
#include "cpu.h"
#include "seg.h"

/* ---- MOV ---- */

static void mov_rr_8(struct cpu *c, const struct insn *i) { c->s.gpr[i->rm] = c->s.gpr[i->reg]; }
static void mov_rr_4(struct cpu *c, const struct insn *i) { c->s.gpr[i->rm] = (u32)c->s.gpr[i->reg]; }
static void mov_rr(struct cpu *c, const struct insn *i)
{
	reg_write(c, i->rm, i->opsize, reg_read(c, i->reg, i->opsize));
}
static void mov_mr(struct cpu *c, const struct insn *i)
{
	mem_write(c, insn_ea(c, i), i->opsize, reg_read(c, i->reg, i->opsize));
}
static void mov_rm(struct cpu *c, const struct insn *i)
{
	reg_write(c, i->reg, i->opsize, mem_read(c, insn_ea(c, i), i->opsize));
}
HANDLER_SLOW void mov_mr_any(struct cpu *c, const struct insn *i) { mov_mr(c, i); }
HANDLER_SLOW void mov_rm_any(struct cpu *c, const struct insn *i) { mov_rm(c, i); }

/* Every size: reg_read/reg_write fold to a plain load or store at 4 and
 * 8 bytes and merge (naming AH..BH) at 1 and 2. */
#define MOV_MEM_FAST(size)                                                               \
	FAST_PART(mov_mr_##size, size, true, mov_mr_any,                                 \
		  host_store(h, size, reg_read(c, i->reg, size));)                       \
	FAST_PART(mov_rm_##size, size, false, mov_rm_any,                                \
		  reg_write(c, i->reg, size, host_load(h, size));)
MOV_MEM_FAST(1)
MOV_MEM_FAST(2)
MOV_MEM_FAST(4)
MOV_MEM_FAST(8)

static insn_fn sel_mov(struct insn *i)
{
	bool to_rm = i->op == 0x88 || i->op == 0x89;
	if (i->rm != RM_MEM) {
		if (!to_rm) {
			u8 t = i->rm;
			i->rm = i->reg;
			i->reg = t;
		}
		return i->opsize == 8 ? mov_rr_8 : i->opsize == 4 ? mov_rr_4 : mov_rr;
	}
	static const insn_fn mr[4] = { mov_mr_1, mov_mr_2, mov_mr_4, mov_mr_8 };
	static const insn_fn rm[4] = { mov_rm_1, mov_rm_2, mov_rm_4, mov_rm_8 };
	return to_rm ? mr[size_index(i->opsize)] : rm[size_index(i->opsize)];
}

static void mov_r_imm(struct cpu *c, const struct insn *i) { reg_write(c, i->reg, i->opsize, i->imm); }
static void mov_rm_imm(struct cpu *c, const struct insn *i) { rm_write(c, i, i->opsize, i->imm); }
HANDLER_SLOW void mov_rm_imm_any(struct cpu *c, const struct insn *i) { mov_rm_imm(c, i); }
#define MOV_MI_FAST(size) \
	FAST_PART(mov_mi_##size, size, true, mov_rm_imm_any, host_store(h, size, i->imm);)
MOV_MI_FAST(1) MOV_MI_FAST(2) MOV_MI_FAST(4) MOV_MI_FAST(8)

static insn_fn sel_mov_imm(struct insn *i)
{
	if (i->op == 0xc6 || i->op == 0xc7) {
		static const insn_fn mi[4] = { mov_mi_1, mov_mi_2, mov_mi_4, mov_mi_8 };
		if (i->ext != 0)
			return NULL;
		return i->rm == RM_MEM ? mi[size_index(i->opsize)] : mov_rm_imm;
	}
	return mov_r_imm;
}

/* A0..A3: MOV AL/eAX <-> moffs */
static void mov_acc_moffs(struct cpu *c, const struct insn *i)
{
	u64 lin = seg_linear(c, i->seg, i->imm);
	if (i->op & 2)
		mem_write(c, lin, i->opsize, reg_read(c, REG_RAX, i->opsize));
	else
		reg_write(c, REG_RAX, i->opsize, mem_read(c, lin, i->opsize));
}

static insn_fn sel_moffs(struct insn *i) { (void)i; return mov_acc_moffs; }

/* ---- LEA, MOVZX, MOVSX, MOVSXD ---- */

static void lea(struct cpu *c, const struct insn *i)
{
	reg_write(c, i->reg, i->opsize, insn_offset(c, i));
}

static void lea_8(struct cpu *c, const struct insn *i) { c->s.gpr[i->reg] = insn_offset(c, i); }
static void lea_4(struct cpu *c, const struct insn *i) { c->s.gpr[i->reg] = (u32)insn_offset(c, i); }

static insn_fn sel_lea(struct insn *i)
{
	if (i->rm != RM_MEM)
		return NULL;
	return i->opsize == 8 ? lea_8 : i->opsize == 4 ? lea_4 : lea;
}

static void movzx8(struct cpu *c, const struct insn *i) { reg_write(c, i->reg, i->opsize, rm_read(c, i, 1)); }
static void movzx16(struct cpu *c, const struct insn *i) { reg_write(c, i->reg, i->opsize, rm_read(c, i, 2)); }
HANDLER_SLOW void movzx8_any(struct cpu *c, const struct insn *i) { movzx8(c, i); }
HANDLER_SLOW void movzx16_any(struct cpu *c, const struct insn *i) { movzx16(c, i); }

/* From memory into a 32- or 64-bit register (which zero-extends alike). */
#define MOVZX_MEM_FAST(size) \
	FAST_PART(movzx##size##_m, size / 8, false, movzx##size##_any, \
		  c->s.gpr[i->reg] = host_load(h, size / 8);)
MOVZX_MEM_FAST(8)
MOVZX_MEM_FAST(16)
static void movsx8(struct cpu *c, const struct insn *i)
{
	reg_write(c, i->reg, i->opsize, sign_extend(rm_read(c, i, 1), 1));
}
static void movsx16(struct cpu *c, const struct insn *i)
{
	reg_write(c, i->reg, i->opsize, sign_extend(rm_read(c, i, 2), 2));
}
static void movsxd(struct cpu *c, const struct insn *i)
{
	u64 v = rm_read(c, i, 4);
	reg_write(c, i->reg, i->opsize, i->opsize == 8 ? sign_extend(v, 4) : v);
}
HANDLER_SLOW void movsxd_any(struct cpu *c, const struct insn *i) { movsxd(c, i); }
static void movsxd_r8(struct cpu *c, const struct insn *i)
{
	c->s.gpr[i->reg] = (u64)(i64)(i32)c->s.gpr[i->rm];
}
FAST_PART(movsxd_m8, 4, false, movsxd_any, c->s.gpr[i->reg] = (u64)(i64)(i32)host_load(h, 4);)

static insn_fn sel_movx(struct insn *i)
{
	if (i->op == 0xb6 || i->op == 0xbe) {
		if (i->rm != RM_MEM)
			i->rm = byte_reg(i, i->rm);
		if (i->op == 0xb6 && i->rm == RM_MEM && i->opsize >= 4)
			return movzx8_m;
		return i->op == 0xb6 ? movzx8 : movsx8;
	}
	if (i->op == 0xb7 && i->rm == RM_MEM && i->opsize >= 4)
		return movzx16_m;
	return i->op == 0xb7 ? movzx16 : movsx16;
}

/* ARPL (63 outside 64-bit mode): raise the RPL of r/m16 to that of r16.
 * Not recognized in real mode. */
static void arpl(struct cpu *c, const struct insn *i)
{
	if (real_mode(c))
		raise_ud(c);
	u16 dst = rm_read(c, i, 2), src = reg_read(c, i->reg, 2);
	bool raise = (dst & 3) < (src & 3);
	if (raise)
		rm_write(c, i, 2, (dst & ~3) | (src & 3));
	flags_set(c, raise ? RF_ZF : 0, RF_ZF);
}

static insn_fn sel_movsxd(struct insn *i)
{
	if (!(i->flags & IF_MODE64))
		return arpl;
	if (i->opsize != 8)
		return movsxd;
	return i->rm == RM_MEM ? movsxd_m8 : movsxd_r8;
}

/* ---- stack ---- */

static void push_r(struct cpu *c, const struct insn *i) { push(c, i->opsize, reg_read(c, i->reg, i->opsize)); }
HANDLER_SLOW void push_r64_any(struct cpu *c, const struct insn *i) { push(c, 8, c->s.gpr[i->reg]); }
static void push_r64(struct cpu *c, const struct insn *i)
{
	u64 sp = c->s.gpr[REG_RSP] - 8;
	u8 *h;
	if (unlikely(!fast_access(c, sp, 8, true, &h))) {
		push_r64_any(c, i);
		return;
	}
	host_store(h, 8, c->s.gpr[i->reg]);
	c->s.gpr[REG_RSP] = sp;
}
static void pop_r(struct cpu *c, const struct insn *i)
{
	u64 v = pop(c, i->opsize);
	reg_write(c, i->reg, i->opsize, v);
}
HANDLER_SLOW void pop_r64_any(struct cpu *c, const struct insn *i)
{
	u64 sp = c->s.gpr[REG_RSP];
	u64 v = mem_read64(c, sp);
	c->s.gpr[REG_RSP] = sp + 8;
	c->s.gpr[i->reg] = v;
}
static void pop_r64(struct cpu *c, const struct insn *i)
{
	u64 sp = c->s.gpr[REG_RSP];
	u8 *h;
	if (unlikely(!fast_access(c, sp, 8, false, &h))) {
		pop_r64_any(c, i);
		return;
	}
	u64 v = host_load(h, 8);
	c->s.gpr[REG_RSP] = sp + 8;
	c->s.gpr[i->reg] = v; /* after RSP: POP RSP loads the popped value */
}
static void push_imm(struct cpu *c, const struct insn *i) { push(c, i->opsize, i->imm); }

/* POP r/m computes a memory address with RSP already incremented. */
static void pop_rm(struct cpu *c, const struct insn *i)
{
	u64 sp = c->s.gpr[REG_RSP];
	u64 v = mem_read(c, stack_lin(c, sp), i->opsize);
	stack_set_sp(c, sp + i->opsize);
	if (i->rm != RM_MEM) {
		reg_write(c, i->rm, i->opsize, v);
		return;
	}
	u64 ea = insn_ea(c, i);
	stack_set_sp(c, sp); /* a faulting store must leave RSP unchanged */
	mem_write(c, ea, i->opsize, v);
	stack_set_sp(c, sp + i->opsize);
}

static insn_fn sel_push_pop_r(struct insn *i)
{
	bool wide = i->opsize == 8;
	if (i->op < 0x58)
		return wide ? push_r64 : push_r;
	return wide ? pop_r64 : pop_r;
}

/* PUSHA/PUSHAD: AX, CX, DX, BX, the original SP, BP, SI, DI. */
static void pusha(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->opsize;
	u64 sp = c->s.gpr[REG_RSP];
	for (unsigned r = 0; r < 8; r++)
		mem_write(c, stack_lin(c, sp - sz * (r + 1)), sz, c->s.gpr[r]);
	stack_set_sp(c, sp - 8 * sz);
}

/* POPA/POPAD: the reverse, skipping the saved SP; all reads come first. */
static void popa(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->opsize;
	u64 sp = c->s.gpr[REG_RSP], v[8];
	for (unsigned r = 0; r < 8; r++)
		v[r] = mem_read(c, stack_lin(c, sp + sz * (7 - r)), sz);
	for (unsigned r = 0; r < 8; r++)
		if (r != REG_RSP)
			reg_write(c, r, sz, v[r]);
	stack_set_sp(c, sp + 8 * sz);
}

static insn_fn sel_pusha(struct insn *i) { return i->op == 0x60 ? pusha : popa; }

static insn_fn sel_push_imm(struct insn *i) { (void)i; return push_imm; }
static insn_fn sel_pop_rm(struct insn *i) { return i->ext == 0 ? pop_rm : NULL; }

static void pushf(struct cpu *c, const struct insn *i)
{
	push(c, i->opsize, flags_get(c) & ~(RF_VM | RF_RF));
}

static void popf(struct cpu *c, const struct insn *i)
{
	u64 v = pop(c, i->opsize);
	u64 mask = RF_ARITH | RF_TF | RF_DF | RF_NT | RF_AC | RF_ID;
	unsigned iopl = (c->s.rflags >> 12) & 3;
	if (c->cpl == 0)
		mask |= RF_IOPL | RF_IF;
	else if (c->cpl <= iopl)
		mask |= RF_IF;
	if (i->opsize == 2)
		mask &= 0xffff;
	flags_set(c, v, mask);
	c->s.rflags &= ~RF_RF;
}

static insn_fn sel_pushf(struct insn *i) { return i->op == 0x9c ? pushf : popf; }

static void enter(struct cpu *c, const struct insn *i)
{
	unsigned size = i->opsize, level = i->imm2 & 31;
	u64 bp = c->s.gpr[REG_RBP], sp = c->s.gpr[REG_RSP] - size;
	mem_write(c, stack_lin(c, sp), size, bp);
	u64 frame = sp;
	for (unsigned k = 1; k < level; k++) {
		bp -= size;
		u64 v = mem_read(c, stack_lin(c, bp), size);
		sp -= size;
		mem_write(c, stack_lin(c, sp), size, v);
	}
	if (level > 0) {
		sp -= size;
		mem_write(c, stack_lin(c, sp), size, frame);
	}
	sp -= i->imm & 0xffff;
	mem_read8(c, stack_lin(c, sp)); /* the new stack top must be accessible */
	reg_write(c, REG_RBP, size, frame);
	stack_set_sp(c, sp);
}

static void leave(struct cpu *c, const struct insn *i)
{
	u64 bp = c->s.gpr[REG_RBP];
	u64 v = mem_read(c, stack_lin(c, bp), i->opsize);
	stack_set_sp(c, bp + i->opsize);
	reg_write(c, REG_RBP, i->opsize, v);
}

static insn_fn sel_enter(struct insn *i) { (void)i; return enter; }
static insn_fn sel_leave(struct insn *i) { (void)i; return leave; }

/* ---- XCHG, NOP, PAUSE ---- */

static void xchg_rm(struct cpu *c, const struct insn *i)
{
	unsigned size = i->opsize;
	u64 r = reg_read(c, i->reg, size);
	if (i->rm == RM_MEM) {
		u64 ea = insn_ea(c, i), m = mem_read(c, ea, size);
		mem_write(c, ea, size, r);
		reg_write(c, i->reg, size, m);
	} else {
		u64 m = reg_read(c, i->rm, size);
		reg_write(c, i->rm, size, r);
		reg_write(c, i->reg, size, m);
	}
}

void insn_nop(struct cpu *c, const struct insn *i) { (void)c; (void)i; }

/* A spin-wait hint: with several vCPUs, the spinning one hands its turn
 * over at once, since whatever it waits for needs another vCPU to run. */
static void pause(struct cpu *c, const struct insn *i)
{
	(void)i;
	if (c->yield_on_pause) {
		c->exit_reason = EXIT_YIELD;
		cpu_end_block(c);
	}
}

static insn_fn sel_xchg(struct insn *i)
{
	if (i->op >= 0x90) {
		if (i->reg == REG_RAX) /* 90: NOP (and PAUSE with F3); not with REX.B */
			return (i->pfx & PFX_REP) ? pause : insn_nop;
		i->rm = REG_RAX;
	}
	return xchg_rm;
}

static insn_fn sel_nop(struct insn *i) { (void)i; return insn_nop; }

/* ---- CMOVcc, SETcc, XLAT ---- */

static void cmov(struct cpu *c, const struct insn *i)
{
	u64 v = rm_read(c, i, i->opsize);
	if (cond_eval(c, i->op & 15))
		reg_write(c, i->reg, i->opsize, v);
	else if (i->opsize == 4)
		c->s.gpr[i->reg] = (u32)c->s.gpr[i->reg]; /* 32-bit CMOV always zero-extends */
}

static void setcc(struct cpu *c, const struct insn *i)
{
	rm_write(c, i, 1, cond_eval(c, i->op & 15));
}

/* Register to register at 64 or 32 bits, per condition. */
HANDLER_SLOW void cmov_rr_slow(struct cpu *c, const struct insn *i) { cmov(c, i); }

/* `move` runs with t = the condition, when the fast cases decide it. */
#define CMOV_RR_WIDTH(cc, w, move)                                                \
	static void cmov_rr##w##_##cc(struct cpu *c, const struct insn *i)        \
	{                                                                         \
		int t = cond_eval_fast(c, cc);                                    \
		if (unlikely(t < 0)) {                                            \
			cmov_rr_slow(c, i);                                       \
			return;                                                   \
		}                                                                 \
		move                                                              \
	}
/* A 32-bit CMOV zero-extends its destination even when it does not move. */
#define CMOV_RR(cc)                                                                        \
	CMOV_RR_WIDTH(cc, 8, if (t) c->s.gpr[i->reg] = c->s.gpr[i->rm];)                   \
	CMOV_RR_WIDTH(cc, 4, c->s.gpr[i->reg] = (u32)c->s.gpr[t ? i->rm : i->reg];)
CMOV_RR(0) CMOV_RR(1) CMOV_RR(2) CMOV_RR(3) CMOV_RR(4) CMOV_RR(5) CMOV_RR(6) CMOV_RR(7)
CMOV_RR(8) CMOV_RR(9) CMOV_RR(10) CMOV_RR(11) CMOV_RR(12) CMOV_RR(13) CMOV_RR(14) CMOV_RR(15)
#define CMOV_ROW(w) { cmov_rr##w##_0, cmov_rr##w##_1, cmov_rr##w##_2, cmov_rr##w##_3, \
	cmov_rr##w##_4, cmov_rr##w##_5, cmov_rr##w##_6, cmov_rr##w##_7, cmov_rr##w##_8, \
	cmov_rr##w##_9, cmov_rr##w##_10, cmov_rr##w##_11, cmov_rr##w##_12, cmov_rr##w##_13, \
	cmov_rr##w##_14, cmov_rr##w##_15 }
static const insn_fn cmov_rr[2][16] = { CMOV_ROW(4), CMOV_ROW(8) };

static insn_fn sel_cmov(struct insn *i)
{
	if (i->rm != RM_MEM && (i->opsize == 8 || i->opsize == 4))
		return cmov_rr[i->opsize == 8][i->op & 15];
	return cmov;
}
static insn_fn sel_setcc(struct insn *i) { (void)i; return setcc; }

static void xlat(struct cpu *c, const struct insn *i)
{
	u64 off = c->s.gpr[REG_RBX] + (c->s.gpr[REG_RAX] & 0xff);
	off &= size_mask(i->addrsize);
	reg_write(c, REG_RAX, 1, mem_read8(c, seg_linear(c, i->seg, off)));
}

static insn_fn sel_xlat(struct insn *i) { (void)i; return xlat; }

/* ---- segment registers ---- */

static void mov_from_sreg(struct cpu *c, const struct insn *i)
{
	u16 sel = c->s.seg[i->ext].selector;
	if (i->rm == RM_MEM)
		mem_write16(c, insn_ea(c, i), sel);
	else
		reg_write(c, i->rm, i->opsize == 2 ? 2 : i->opsize, sel);
}

static void mov_to_sreg(struct cpu *c, const struct insn *i)
{
	u16 sel = rm_read(c, i, 2);
	seg_load_data(c, i->ext, sel);
	if (i->ext == SEG_SS) {
		c->s.irq_shadow = 1;
		cpu_end_block(c);
	}
}

static insn_fn sel_mov_sreg(struct insn *i)
{
	if (i->ext >= SEG_COUNT)
		return NULL;
	if (i->op == 0x8c)
		return mov_from_sreg;
	return i->ext == SEG_CS ? NULL : mov_to_sreg;
}

static void push_sreg(struct cpu *c, const struct insn *i)
{
	unsigned seg = i->map == MAP_0F ? (i->op == 0xa0 ? SEG_FS : SEG_GS) : (i->op >> 3);
	push(c, i->opsize, c->s.seg[seg].selector);
}

static void pop_sreg(struct cpu *c, const struct insn *i)
{
	unsigned seg = i->map == MAP_0F ? (i->op == 0xa1 ? SEG_FS : SEG_GS) : (i->op >> 3);
	u64 sp = c->s.gpr[REG_RSP];
	u16 sel = mem_read(c, stack_lin(c, sp), i->opsize);
	seg_load_data(c, seg, sel);
	stack_set_sp(c, sp + i->opsize);
	if (seg == SEG_SS) {
		c->s.irq_shadow = 1;
		cpu_end_block(c);
	}
}

/* LES, LDS (C4, C5 outside 64-bit mode), LSS, LFS, LGS (0F B2, B4, B5):
 * offset and selector from m16:16/32/64; the segment load may fault, so
 * it comes before the register write. */
static void load_far_pointer(struct cpu *c, const struct insn *i)
{
	int seg;
	if (i->map == MAP_1B)
		seg = i->op == 0xc4 ? SEG_ES : SEG_DS;
	else
		seg = i->op == 0xb2 ? SEG_SS : i->op == 0xb4 ? SEG_FS : SEG_GS;
	u64 ea = insn_ea(c, i);
	u64 off = mem_read(c, ea, i->opsize);
	u16 sel = mem_read16(c, ea + i->opsize);
	seg_load_data(c, seg, sel);
	reg_write(c, i->reg, i->opsize, off);
}

static insn_fn sel_load_far_pointer(struct insn *i)
{
	return i->rm == RM_MEM ? load_far_pointer : NULL;
}

static insn_fn sel_push_pop_sreg(struct insn *i)
{
	return (i->op & 1) ? pop_sreg : push_sreg; /* even opcodes push in both maps */
}

void ops_move__register(void)
{
	for (unsigned op = 0x88; op <= 0x8b; op++)
		op_register(MAP_1B, op, sel_mov, "mov");
	op_register(MAP_1B, 0xc6, sel_mov_imm, "mov");
	op_register(MAP_1B, 0xc7, sel_mov_imm, "mov");
	for (unsigned op = 0xb0; op <= 0xbf; op++)
		op_register(MAP_1B, op, sel_mov_imm, "mov");
	for (unsigned op = 0xa0; op <= 0xa3; op++)
		op_register(MAP_1B, op, sel_moffs, "mov moffs");
	op_register(MAP_1B, 0x8d, sel_lea, "lea");
	op_register(MAP_0F, 0xb6, sel_movx, "movzx");
	op_register(MAP_0F, 0xb7, sel_movx, "movzx");
	op_register(MAP_0F, 0xbe, sel_movx, "movsx");
	op_register(MAP_0F, 0xbf, sel_movx, "movsx");
	op_register(MAP_1B, 0x63, sel_movsxd, "movsxd/arpl");
	for (unsigned op = 0x50; op <= 0x5f; op++)
		op_register(MAP_1B, op, sel_push_pop_r, op < 0x58 ? "push" : "pop");
	op_register(MAP_1B, 0x60, sel_pusha, "pusha");
	op_register(MAP_1B, 0x61, sel_pusha, "popa");
	op_register(MAP_1B, 0xc4, sel_load_far_pointer, "les");
	op_register(MAP_1B, 0xc5, sel_load_far_pointer, "lds");
	op_register(MAP_0F, 0xb2, sel_load_far_pointer, "lss");
	op_register(MAP_0F, 0xb4, sel_load_far_pointer, "lfs");
	op_register(MAP_0F, 0xb5, sel_load_far_pointer, "lgs");
	op_register(MAP_1B, 0x68, sel_push_imm, "push");
	op_register(MAP_1B, 0x6a, sel_push_imm, "push");
	op_register(MAP_1B, 0x8f, sel_pop_rm, "pop");
	op_register(MAP_1B, 0x9c, sel_pushf, "pushf");
	op_register(MAP_1B, 0x9d, sel_pushf, "popf");
	op_register(MAP_1B, 0xc8, sel_enter, "enter");
	op_register(MAP_1B, 0xc9, sel_leave, "leave");
	op_register(MAP_1B, 0x86, sel_xchg, "xchg");
	op_register(MAP_1B, 0x87, sel_xchg, "xchg");
	for (unsigned op = 0x90; op <= 0x97; op++)
		op_register(MAP_1B, op, sel_xchg, "xchg");
	for (unsigned op = 0x19; op <= 0x1f; op++)
		op_register(MAP_0F, op, sel_nop, "nop/hint");
	for (unsigned op = 0x40; op <= 0x4f; op++)
		op_register(MAP_0F, op, sel_cmov, "cmovcc");
	for (unsigned op = 0x90; op <= 0x9f; op++)
		op_register(MAP_0F, op, sel_setcc, "setcc");
	op_register(MAP_1B, 0xd7, sel_xlat, "xlat");
	op_register(MAP_1B, 0x8c, sel_mov_sreg, "mov sreg");
	op_register(MAP_1B, 0x8e, sel_mov_sreg, "mov sreg");
	static const u8 sreg_ops[] = { 0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f };
	for (unsigned k = 0; k < sizeof(sreg_ops); k++)
		op_register(MAP_1B, sreg_ops[k], sel_push_pop_sreg, "push/pop sreg");
	for (unsigned op = 0xa0; op <= 0xa9; op += 8) {
		op_register(MAP_0F, op, sel_push_pop_sreg, "push fs/gs");
		op_register(MAP_0F, op + 1, sel_push_pop_sreg, "pop fs/gs");
	}
}
