/*
 * System instructions at EL0/EL1: exception generation (SVC, HVC, SMC,
 * BRK), ERET, the hints (WFI, WFE, SEV, SEVL, YIELD; every other hint,
 * pointer authentication and BTI ones included, is a NOP on a CPU without
 * those features), barriers and CLREX, MSR (immediate), MRS/MSR (register)
 * through the register file (a64_sysreg.c), and SYS: DC, IC, TLBI, AT.
 *
 * a64_decode_system claims the whole exception-generation and system
 * classes (bits 31:22 = 1101 0100 xx and 1101 0101 00; their unallocated
 * encodings are UNDEFINED here) and ERET; it returns false for everything
 * else, which goes to the branch decoder.
 *
 * Decoded fields: MRS: rd = Rt (XZR discards), imm = the register's
 * entry, imm2 = its key, op3 = the raw Rt (for syndromes).  MSR and SYS:
 * rn = Rt (XZR reads 0), imm2 = key, op3 = raw Rt; op1/op2 select the
 * operation.  MSR (immediate): op1 = CRm.  SVC/HVC/SMC/BRK: imm = imm16.
 *
 * What ends a run of the engine: A64_WAIT for WFI and a WFE that finds
 * no event; A64_STOP for TLBI and IC (cached translations and decoded
 * code changed), handled HVC/SMC, and the MSRs a64_sysreg.c says.
 */
#include "arch/arm64/a64_cpu.h"
#include "arch/arm64/a64_exception.h"
#include "arch/arm64/a64_mem.h"
#include "arch/arm64/a64_mmu.h"
#include "arch/arm64/a64_sysreg.h"

/* ESR ISS of a trapped WFI/WFE: CV = 1, COND = 0b1110, TI (0 WFI, 1 WFE). */
#define WFX_ISS(ti) (1u << 24 | 0xeu << 20 | (ti))

static int next(struct a64_cpu *c)
{
	c->pc += 4;
	return A64_OK;
}

/* ---- hints, barriers, PSTATE ---- */

static int exec_nop(struct a64_cpu *c, const struct a64_insn *i)
{
	(void)i;
	return next(c);
}

static int exec_wfi(struct a64_cpu *c, const struct a64_insn *i)
{
	(void)i;
	if (c->el == 0 && !(c->sys.sctlr_el1 & A64_SCTLR_NTWI))
		return a64_take_sync(c, A64_EC_WFX, WFX_ISS(0), 0, false);
	c->pc += 4;
	c->wait = A64_WAIT_WFI;
	return A64_WAIT;
}

static int exec_wfe(struct a64_cpu *c, const struct a64_insn *i)
{
	(void)i;
	if (c->event) {
		c->event = 0;
		return next(c);
	}
	if (c->el == 0 && !(c->sys.sctlr_el1 & A64_SCTLR_NTWE))
		return a64_take_sync(c, A64_EC_WFX, WFX_ISS(1), 0, false);
	c->pc += 4;
	c->wait = A64_WAIT_WFE;
	return A64_WAIT;
}

/* SEV signals every PE of the system, this one included. */
static int exec_sev(struct a64_cpu *c, const struct a64_insn *i)
{
	(void)i;
	c->event = 1;
	if (c->cb.send_event)
		c->cb.send_event(c->cb.opaque, c);
	return next(c);
}

static int exec_sevl(struct a64_cpu *c, const struct a64_insn *i)
{
	(void)i;
	c->event = 1;
	return next(c);
}

static int exec_clrex(struct a64_cpu *c, const struct a64_insn *i)
{
	(void)i;
	c->monitor.open = false;
	return next(c);
}

static int exec_msr_spsel(struct a64_cpu *c, const struct a64_insn *i)
{
	if (c->el == 0)
		return a64_undefined(c);
	a64_set_spsel(c, i->op1 & 1);
	return next(c);
}

/* MSR DAIFSet/DAIFClr: op2 = 6 (set) or 7 (clear), op1 = the bits. */
static int exec_msr_daif(struct a64_cpu *c, const struct a64_insn *i)
{
	if (c->el == 0 && !(c->sys.sctlr_el1 & A64_SCTLR_UMA))
		return a64_sysreg_trap(c, A64_SYSREG(0, 3, 4, i->op1, i->op2), 31, false);
	if (i->op2 == 6)
		c->daif |= i->op1;
	else
		c->daif &= ~i->op1 & 0xf;
	c->pc += 4;
	return a64_interrupt_pending(c) ? A64_STOP : A64_OK;
}

static void decode_hint(unsigned op, struct a64_insn *i)
{
	switch (op) {
	case 2: i->exec = exec_wfe; break;
	case 3: i->exec = exec_wfi; break;
	case 4: i->exec = exec_sev; break;
	case 5: i->exec = exec_sevl; break;
	default: i->exec = exec_nop; break; /* NOP, YIELD, DGH, PAC*, AUT*, XPACLRI,
					     * ESB, PSB, TSB, CSDB, BTI, CLRBHB, ... */
	}
}

static void decode_barrier(unsigned op2, struct a64_insn *i)
{
	switch (op2) {
	case 2: i->exec = exec_clrex; break;
	case 4: case 5: case 6: /* DSB (SSBB, PSSBB too), DMB, ISB: nothing to
				 * order on an in-order interpreter */
		i->exec = exec_nop;
		break;
	default: a64_decode_undefined(i); break; /* SB, TCOMMIT, DSB nXS: absent */
	}
}

static void decode_pstate(unsigned op1, unsigned crm, unsigned op2, struct a64_insn *i)
{
	i->op1 = (u8)crm;
	i->op2 = (u8)op2;
	if (op1 == 0 && op2 == 5)
		i->exec = exec_msr_spsel;
	else if (op1 == 3 && (op2 == 6 || op2 == 7))
		i->exec = exec_msr_daif;
	else /* UAO, PAN, DIT, SSBS, TCO, CFINV, XAFLAG, AXFLAG: not implemented */
		a64_decode_undefined(i);
}

/* ---- MRS, MSR ---- */

static const struct a64_sysreg_def *def_of(const struct a64_insn *i)
{
	return (const struct a64_sysreg_def *)(uintptr_t)i->imm;
}

static int exec_mrs(struct a64_cpu *c, const struct a64_insn *i)
{
	u64 v;
	int r = a64_sysreg_mrs(c, def_of(i), (u32)i->imm2, i->op3, &v);
	if (r == A64_EXC)
		return r;
	c->x[i->rd] = v;
	c->pc += 4;
	return r;
}

static int exec_msr(struct a64_cpu *c, const struct a64_insn *i)
{
	int r = a64_sysreg_msr(c, def_of(i), (u32)i->imm2, i->op3, c->x[i->rn]);
	if (r == A64_EXC)
		return r;
	c->pc += 4;
	return r;
}

/* ---- SYS: DC, IC, TLBI, AT ---- */

/* EL0 may run the instruction when `sctlr_bit` is set (0: never, it is
 * UNDEFINED there); else A64_OK is not returned and the exception is
 * taken.  At EL1 always A64_OK. */
static int sys_el0(struct a64_cpu *c, const struct a64_insn *i, u64 sctlr_bit)
{
	if (c->el)
		return A64_OK;
	if (!sctlr_bit)
		return a64_undefined(c);
	if (!(c->sys.sctlr_el1 & sctlr_bit))
		return a64_sysreg_trap(c, (u32)i->imm2, i->op3, false);
	return A64_OK;
}

static int exec_dc_zva(struct a64_cpu *c, const struct a64_insn *i)
{
	int r = sys_el0(c, i, A64_SCTLR_DZE);
	if (r == A64_OK)
		r = a64_dc_zva(c, c->x[i->rn]);
	return r == A64_OK ? next(c) : r;
}

/* DC CVAC, CVAU, CIVAC: no caches, but the faults of the address. */
static int exec_dc_clean(struct a64_cpu *c, const struct a64_insn *i)
{
	int r = sys_el0(c, i, A64_SCTLR_UCI);
	if (r == A64_OK)
		r = a64_mem_probe(c, c->x[i->rn], 0);
	return r == A64_OK ? next(c) : r;
}

/* DC IVAC needs write permission: it may discard data. */
static int exec_dc_ivac(struct a64_cpu *c, const struct a64_insn *i)
{
	int r = sys_el0(c, i, 0);
	if (r == A64_OK)
		r = a64_mem_probe(c, c->x[i->rn], A64_ACC_WRITE);
	return r == A64_OK ? next(c) : r;
}

/* DC ISW, CSW, CISW: by set/way, nothing to do. */
static int exec_dc_setway(struct a64_cpu *c, const struct a64_insn *i)
{
	int r = sys_el0(c, i, 0);
	return r == A64_OK ? next(c) : r;
}

static int exec_ic_all(struct a64_cpu *c, const struct a64_insn *i)
{
	int r = sys_el0(c, i, 0);
	if (r != A64_OK)
		return r;
	if (c->cb.code_stale)
		c->cb.code_stale(c->cb.opaque, c, 0, true);
	c->pc += 4;
	return A64_STOP;
}

static int exec_ic_ivau(struct a64_cpu *c, const struct a64_insn *i)
{
	int r = sys_el0(c, i, A64_SCTLR_UCI);
	if (r == A64_OK)
		r = a64_mem_probe(c, c->x[i->rn], 0);
	if (r != A64_OK)
		return r;
	if (c->cb.code_stale)
		c->cb.code_stale(c->cb.opaque, c, c->x[i->rn], false);
	c->pc += 4;
	return A64_STOP;
}

/* TLBI: op1 = the operation (A64_TLBI_*), op2 = 1 for the broadcast
 * (Inner Shareable) forms. */
static int exec_tlbi(struct a64_cpu *c, const struct a64_insn *i)
{
	int r = sys_el0(c, i, 0);
	if (r != A64_OK)
		return r;
	u64 arg = c->x[i->rn];
	a64_tlbi(c, i->op1, arg);
	if (i->op2 && c->cb.tlbi_broadcast)
		c->cb.tlbi_broadcast(c->cb.opaque, c, i->op1, arg);
	c->pc += 4;
	return A64_STOP;
}

/* AT S1E1R, S1E1W, S1E0R, S1E0W: op1 = op2 of the encoding (bit 1: EL0,
 * bit 0: write). */
static int exec_at(struct a64_cpu *c, const struct a64_insn *i)
{
	int r = sys_el0(c, i, 0);
	if (r != A64_OK)
		return r;
	c->sys.par_el1 = a64_mmu_at(c, c->x[i->rn], i->op1 & 2, i->op1 & 1);
	return next(c);
}

static void decode_sysop(u32 key, struct a64_insn *i)
{
	unsigned crm = (key >> 3) & 15, op2 = key & 7;
	switch (key) {
	case A64_SYSREG(1, 3, 7, 4, 1): i->exec = exec_dc_zva; return;
	case A64_SYSREG(1, 3, 7, 10, 1): /* DC CVAC */
	case A64_SYSREG(1, 3, 7, 11, 1): /* DC CVAU */
	case A64_SYSREG(1, 3, 7, 14, 1): /* DC CIVAC */
		i->exec = exec_dc_clean;
		return;
	case A64_SYSREG(1, 0, 7, 6, 1): i->exec = exec_dc_ivac; return;
	case A64_SYSREG(1, 0, 7, 6, 2):  /* DC ISW */
	case A64_SYSREG(1, 0, 7, 10, 2): /* DC CSW */
	case A64_SYSREG(1, 0, 7, 14, 2): /* DC CISW */
		i->exec = exec_dc_setway;
		return;
	case A64_SYSREG(1, 0, 7, 1, 0): /* IC IALLUIS */
	case A64_SYSREG(1, 0, 7, 5, 0): /* IC IALLU */
		i->exec = exec_ic_all;
		return;
	case A64_SYSREG(1, 3, 7, 5, 1): i->exec = exec_ic_ivau; return;
	}
	if ((key & ~(u32)7) == A64_SYSREG(1, 0, 7, 8, 0) && op2 <= 3) {
		i->exec = exec_at;
		i->op1 = (u8)op2;
		return;
	}
	if ((key & ~(u32)0x7f) == A64_SYSREG(1, 0, 8, 0, 0) && (crm == 3 || crm == 7) &&
	    (op2 <= 3 || op2 == 5 || op2 == 7)) {
		i->exec = exec_tlbi;
		i->op1 = (u8)op2;
		i->op2 = crm == 3;
		return;
	}
	a64_decode_undefined(i); /* DC CVAP/CVADP, range and OS TLBIs, EL2 forms */
}

static void decode_sys(u32 w, struct a64_insn *i)
{
	unsigned l = a64_bits(w, 21, 21), op0 = a64_bits(w, 20, 19), op1 = a64_bits(w, 18, 16);
	unsigned crn = a64_bits(w, 15, 12), crm = a64_bits(w, 11, 8), op2 = a64_bits(w, 7, 5);
	unsigned rt = a64_bits(w, 4, 0);
	u32 key = A64_SYSREG(op0, op1, crn, crm, op2);
	i->op3 = (u8)rt;
	i->imm2 = key;
	if (op0 >= 2) {
		i->imm = (uintptr_t)a64_sysreg_lookup(key);
		if (l) {
			i->rd = a64_reg_dst(rt);
			i->exec = exec_mrs;
		} else {
			i->rn = a64_reg_zr(rt);
			i->exec = exec_msr;
		}
		return;
	}
	if (l) { /* SYSL: nothing allocated */
		a64_decode_undefined(i);
		return;
	}
	if (op0 == 1) {
		i->rn = a64_reg_zr(rt);
		decode_sysop(key, i);
		return;
	}
	if (rt != 31) {
		a64_decode_undefined(i);
		return;
	}
	if (crn == 2 && op1 == 3)
		decode_hint(crm << 3 | op2, i);
	else if (crn == 3 && op1 == 3)
		decode_barrier(op2, i);
	else if (crn == 4)
		decode_pstate(op1, crm, op2, i);
	else /* WFET, WFIT and the rest of op0 = 0 */
		a64_decode_undefined(i);
}

/* ---- exception generation, ERET ---- */

/* SVC: the preferred return is the next instruction, and it retires. */
static int exec_svc(struct a64_cpu *c, const struct a64_insn *i)
{
	c->pc += 4;
	a64_take_sync(c, A64_EC_SVC64, (u32)i->imm, 0, false);
	return A64_OK;
}

/* HVC and SMC (op1 = 1): the board's firmware, else UNDEFINED as on a CPU
 * without EL2 and EL3; at EL0 always UNDEFINED. */
static int exec_firmware(struct a64_cpu *c, const struct a64_insn *i)
{
	if (c->el == 0 || !c->cb.firmware_call)
		return a64_undefined(c);
	c->pc += 4; /* the firmware may set where execution goes on */
	if (c->cb.firmware_call(c->cb.opaque, c, i->op1, (u16)i->imm))
		return A64_STOP;
	c->pc -= 4;
	return a64_undefined(c);
}

static int exec_brk(struct a64_cpu *c, const struct a64_insn *i)
{
	return a64_take_sync(c, A64_EC_BRK, (u32)i->imm, 0, false);
}

static int exec_eret(struct a64_cpu *c, const struct a64_insn *i)
{
	(void)i;
	if (c->el == 0)
		return a64_undefined(c);
	return a64_exception_return(c);
}

static void decode_exception(u32 w, struct a64_insn *i)
{
	unsigned opc = a64_bits(w, 23, 21), op2 = a64_bits(w, 4, 2), ll = a64_bits(w, 1, 0);
	i->imm = a64_bits(w, 20, 5);
	if (op2 != 0) {
		a64_decode_undefined(i);
		return;
	}
	if (opc == 0 && ll == 1) {
		i->exec = exec_svc;
	} else if (opc == 0 && ll >= 2) {
		i->exec = exec_firmware;
		i->op1 = ll == 3;
	} else if (opc == 1 && ll == 0) {
		i->exec = exec_brk;
	} else { /* HLT (no halting debug), DCPS1-3 (no debug state) */
		a64_decode_undefined(i);
	}
}

bool a64_decode_system(u32 word, struct a64_insn *i)
{
	if ((word & 0xff000000u) == 0xd4000000u) {
		decode_exception(word, i);
		return true;
	}
	if ((word & 0xffc00000u) == 0xd5000000u) {
		decode_sys(word, i);
		return true;
	}
	if (word == 0xd69f03e0u) {
		i->exec = exec_eret;
		return true;
	}
	return false;
}
