/*
 * AArch64 system level (src/arch/arm64/a64_system.c, a64_sysreg.c,
 * a64_exception.c), run one hand-encoded instruction at a time with
 * a64_step and the MMU off: exception entry and return from EL0, EL1t
 * and EL1h (vector offsets, SPSR, ELR, ESR, SP banking), interrupts, the
 * syndromes of SVC/HVC/SMC/BRK and undefined encodings, the hint space,
 * MRS/MSR round trips, EL0 traps (UNDEFINED or EC 0x18 as SCTLR_EL1 and
 * CNTKCTL_EL1 say), the DAIF and SPSel immediates, the generic timer
 * against a fake clock, the ID registers field by field, WFI/WFE and the
 * event register, illegal exception returns, CPACR and the callbacks.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "arch/arm64/a64_cpu.h"
#include "arch/arm64/a64_exception.h"
#include "arch/arm64/a64_mem.h"
#include "arch/arm64/a64_sysreg.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (1u << 20)
#define CODE (RAM_BASE + 0x1000)
#define VBAR (RAM_BASE + 0x10000)

#define SR(op0, op1, crn, crm, op2) A64_SYSREG(op0, op1, crn, crm, op2)
#define K_SCTLR SR(3, 0, 1, 0, 0)
#define K_CPACR SR(3, 0, 1, 0, 2)
#define K_CTR SR(3, 3, 0, 0, 1)
#define K_DCZID SR(3, 3, 0, 0, 7)
#define K_DAIF SR(3, 3, 4, 2, 1)
#define K_NZCV SR(3, 3, 4, 2, 0)
#define K_FPCR SR(3, 3, 4, 4, 0)
#define K_SP_EL0 SR(3, 0, 4, 1, 0)
#define K_SPSEL SR(3, 0, 4, 2, 0)
#define K_CURRENTEL SR(3, 0, 4, 2, 2)
#define K_TPIDR_EL0 SR(3, 3, 13, 0, 2)
#define K_TPIDRRO_EL0 SR(3, 3, 13, 0, 3)
#define K_CNTFRQ SR(3, 3, 14, 0, 0)
#define K_CNTPCT SR(3, 3, 14, 0, 1)
#define K_CNTVCT SR(3, 3, 14, 0, 2)
#define K_CNTP_TVAL SR(3, 3, 14, 2, 0)
#define K_CNTP_CTL SR(3, 3, 14, 2, 1)
#define K_CNTP_CVAL SR(3, 3, 14, 2, 2)
#define K_CNTV_TVAL SR(3, 3, 14, 3, 0)
#define K_CNTV_CTL SR(3, 3, 14, 3, 1)
#define K_CNTV_CVAL SR(3, 3, 14, 3, 2)
#define K_CNTKCTL SR(3, 0, 14, 1, 0)
#define K_OSLAR SR(2, 0, 1, 0, 4)
#define K_OSLSR SR(2, 0, 1, 1, 4)

#define ESR_IL (1ull << 25)
#define EC(e) ((u64)(e) << 26)

static u8 *ram;
static struct a64_cpu *c;

static u64 clock_ns;
static unsigned timer_changes, events_sent, stale_all, stale_va, broadcasts, fw_calls;
static u64 stale_addr;
static bool fw_handles;
static bool fw_smc;
static u16 fw_imm;

static u8 *ram_ptr(void *opaque, u64 pa)
{
	(void)opaque;
	return pa >= RAM_BASE && pa - RAM_BASE < RAM_SIZE ? ram + (pa - RAM_BASE) : NULL;
}

static void mmio(void *opaque, u64 pa, u8 *data, unsigned len, bool is_write)
{
	(void)opaque;
	(void)pa;
	if (!is_write)
		memset(data, 0xff, len);
}

static u64 now_ns(void *opaque)
{
	(void)opaque;
	return clock_ns;
}

static void timer_changed(void *opaque, struct a64_cpu *cpu)
{
	(void)opaque;
	(void)cpu;
	timer_changes++;
}

static void send_event(void *opaque, struct a64_cpu *cpu)
{
	(void)opaque;
	(void)cpu;
	events_sent++;
}

static void code_stale(void *opaque, struct a64_cpu *cpu, u64 va, bool all)
{
	(void)opaque;
	(void)cpu;
	if (all) {
		stale_all++;
	} else {
		stale_va++;
		stale_addr = va;
	}
}

static void tlbi_broadcast(void *opaque, struct a64_cpu *cpu, u32 op, u64 arg)
{
	(void)opaque;
	(void)cpu;
	(void)op;
	(void)arg;
	broadcasts++;
}

static bool firmware_call(void *opaque, struct a64_cpu *cpu, bool smc, u16 imm)
{
	(void)opaque;
	fw_calls++;
	fw_smc = smc;
	fw_imm = imm;
	if (fw_handles)
		cpu->x[0] = 0x5ca1ab1e;
	return fw_handles;
}

static bool board_sysreg(void *opaque, struct a64_cpu *cpu, u32 key, u64 *v, bool write)
{
	(void)opaque;
	(void)cpu;
	if (key != SR(3, 0, 12, 12, 0)) /* ICC_IAR1_EL1, as a GICv3 would have it */
		return false;
	if (!write)
		*v = 27;
	return true;
}

/* A CPU out of reset at EL1h, MMU off, code at CODE, no interrupt masked. */
static void setup(void)
{
	if (!c) {
		c = calloc(1, sizeof(*c));
		ram = calloc(1, RAM_SIZE);
	}
	memset(c, 0, sizeof(*c));
	memset(ram, 0, RAM_SIZE);
	c->bus = (struct a64_bus){ .ram_ptr = ram_ptr, .mmio = mmio };
	c->cb = (struct a64_callbacks){ .now_ns = now_ns, .timer_changed = timer_changed,
					.send_event = send_event, .code_stale = code_stale,
					.tlbi_broadcast = tlbi_broadcast,
					.firmware_call = firmware_call, .sysreg = board_sysreg };
	c->cpu_index = 3;
	a64_sysreg_reset(c);
	c->sys.vbar_el1 = VBAR;
	c->daif = 0;
	c->pc = CODE;
	clock_ns = 0;
	timer_changes = events_sent = stale_all = stale_va = broadcasts = fw_calls = 0;
	fw_handles = false;
}

static void at_el(unsigned el, bool spx)
{
	c->el = (u8)el;
	c->spsel = el ? spx : 0;
	c->pc = CODE;
	c->sys.esr_el1 = 0;
}

/* Run `word` at pc. */
static int run(u32 word)
{
	memcpy(ram + (c->pc - RAM_BASE), &word, 4);
	return a64_step(c);
}

#define mrs(key, rt) (0xd5200000u | (u32)(key) << 5 | (u32)(rt))
#define msr(key, rt) (0xd5000000u | (u32)(key) << 5 | (u32)(rt))

#define SYS(op1, crn, crm, op2, rt) msr(SR(1, op1, crn, crm, op2), rt)
#define HINT(n) (0xd503201fu | (u32)(n) << 5)
#define SVC(imm) (0xd4000001u | (u32)(imm) << 5)
#define HVC(imm) (0xd4000002u | (u32)(imm) << 5)
#define SMC(imm) (0xd4000003u | (u32)(imm) << 5)
#define BRK(imm) (0xd4200000u | (u32)(imm) << 5)
#define ERET 0xd69f03e0u
#define MSR_IMM(op1, crm, op2) (0xd500401fu | (u32)(op1) << 16 | (u32)(crm) << 8 | (u32)(op2) << 5)

/* MRS of `key` at the current EL: the value, or ~0 after a check that the
 * read took no exception. */
static u64 read_reg(u32 key)
{
	c->pc = CODE;
	c->x[2] = 0xdead;
	int r = run(mrs(key, 2));
	CHECK(r == A64_OK && c->pc == CODE + 4, "MRS %#x: r %d", key, r);
	c->pc = CODE;
	return c->x[2];
}

static int write_reg(u32 key, u64 v)
{
	c->pc = CODE;
	c->x[1] = v;
	int r = run(msr(key, 1));
	c->pc = CODE;
	return r;
}

static unsigned ec(void)
{
	return (unsigned)(c->sys.esr_el1 >> 26) & 0x3f;
}

static u32 iss(void)
{
	return (u32)c->sys.esr_el1 & 0x1ffffff;
}

/* The last instruction was UNDEFINED: EC 0, ELR at it, EL1h vector. */
static void check_undef(const char *what, u64 from_pc, unsigned from_el, bool spx)
{
	u64 vec = from_el == 0 ? 0x400 : spx ? 0x200 : 0;
	CHECK(c->sys.esr_el1 == ESR_IL, "%s: ESR %#llx", what, (unsigned long long)c->sys.esr_el1);
	CHECK(c->sys.elr_el1 == from_pc && c->pc == VBAR + vec, "%s: ELR %#llx pc %#llx", what,
	      (unsigned long long)c->sys.elr_el1, (unsigned long long)c->pc);
}

/* ---- exception entry and return ---- */

struct source {
	const char *name;
	unsigned el;
	bool spx;
	u64 vector, m;
};

static const struct source sources[] = {
	{ "EL0", 0, false, 0x400, 0x0 },
	{ "EL1t", 1, false, 0x000, 0x4 },
	{ "EL1h", 1, true, 0x200, 0x5 },
};

static void enter_from(const struct source *s)
{
	setup();
	c->el = (u8)s->el;
	c->spsel = s->spx;
	c->sp_el0 = 0x1110;
	c->sp_el1 = 0x2220;
	c->x[A64_SP] = s->el == 0 || !s->spx ? c->sp_el0 : c->sp_el1;
	c->nzcv = A64_Z | A64_C;
	c->daif = A64_DAIF_D | A64_DAIF_F;
}

static void test_entry_return(void)
{
	check_group("exception entry and return");
	for (size_t k = 0; k < ARRAY_SIZE(sources); k++) {
		const struct source *s = &sources[k];
		enter_from(s);
		u64 sp_before = c->x[A64_SP];
		int r = run(SVC(0x42));
		CHECK(r == A64_OK && c->insns == 1, "%s: SVC retires (r %d insns %llu)", s->name, r,
		      (unsigned long long)c->insns);
		CHECK(c->pc == VBAR + s->vector, "%s: vector %#llx", s->name,
		      (unsigned long long)(c->pc - VBAR));
		CHECK(c->sys.elr_el1 == CODE + 4, "%s: ELR = the next instruction", s->name);
		u64 spsr = (A64_Z | A64_C) | (u64)(A64_DAIF_D | A64_DAIF_F) << 6 | s->m;
		CHECK(c->sys.spsr_el1 == spsr, "%s: SPSR %#llx, expected %#llx", s->name,
		      (unsigned long long)c->sys.spsr_el1, (unsigned long long)spsr);
		CHECK(c->sys.esr_el1 == (EC(A64_EC_SVC64) | ESR_IL | 0x42), "%s: ESR %#llx", s->name,
		      (unsigned long long)c->sys.esr_el1);
		CHECK(c->el == 1 && c->spsel == 1 && c->daif == 0xf, "%s: EL1h, DAIF masked", s->name);
		CHECK(c->x[A64_SP] == 0x2220, "%s: SP is SP_EL1", s->name);
		CHECK(c->sp_el0 == (s->el == 0 || !s->spx ? sp_before : 0x1110), "%s: SP_EL0 banked",
		      s->name);
		/* The handler moves its stack; ERET puts everything back. */
		c->x[A64_SP] = 0x2200;
		r = run(ERET);
		CHECK(r == A64_OK && c->pc == CODE + 4, "%s: ERET to ELR (r %d)", s->name, r);
		CHECK(c->el == s->el && c->spsel == (s->el ? s->spx : 0), "%s: EL and SPSel back",
		      s->name);
		CHECK(c->nzcv == (A64_Z | A64_C) && c->daif == (A64_DAIF_D | A64_DAIF_F),
		      "%s: NZCV and DAIF back", s->name);
		CHECK(c->x[A64_SP] == (s->el == 1 && s->spx ? 0x2200u : sp_before),
		      "%s: SP %#llx", s->name, (unsigned long long)c->x[A64_SP]);
		CHECK(c->sp_el1 == 0x2200 || (s->el == 1 && s->spx), "%s: SP_EL1 kept", s->name);
		CHECK(c->event == 1, "%s: ERET sets the event register", s->name);
	}
	check_group_end();

	check_group("interrupts");
	for (size_t k = 0; k < ARRAY_SIZE(sources); k++) {
		for (int fiq = 0; fiq < 2; fiq++) {
			enter_from(&sources[k]);
			c->daif = 0;
			c->monitor.open = true;
			CHECK(!a64_take_interrupt_if_pending(c), "nothing pending");
			if (fiq)
				c->fiq_line = true;
			else
				c->irq_line = true;
			c->daif = fiq ? A64_DAIF_F : A64_DAIF_I;
			CHECK(!a64_take_interrupt_if_pending(c), "%s masked", fiq ? "FIQ" : "IRQ");
			c->daif = fiq ? A64_DAIF_I : A64_DAIF_F;
			CHECK(a64_take_interrupt_if_pending(c), "%s taken", fiq ? "FIQ" : "IRQ");
			u64 off = sources[k].vector + (fiq ? 0x100 : 0x80);
			CHECK(c->pc == VBAR + off && c->sys.elr_el1 == CODE, "%s %s: vector %#llx",
			      sources[k].name, fiq ? "FIQ" : "IRQ", (unsigned long long)(c->pc - VBAR));
			CHECK((c->sys.spsr_el1 & 0xf) == sources[k].m && c->daif == 0xf &&
			      !c->monitor.open, "%s: SPSR, DAIF, monitor", sources[k].name);
		}
	}
	setup();
	c->irq_line = c->fiq_line = true;
	CHECK(a64_take_interrupt_if_pending(c) && c->pc == VBAR + 0x300, "FIQ before IRQ");
	setup();
	c->irq_line = true;
	c->daif = A64_DAIF_I;
	CHECK(read_reg(SR(3, 0, 12, 1, 0)) == 0x80, "ISR_EL1.I with the line high");
	check_group_end();
}

static void test_syndromes(void)
{
	check_group("SVC, HVC, SMC, BRK, undefined");
	setup();
	int r = run(HVC(0x55));
	CHECK(r == A64_EXC && fw_calls == 1 && !fw_smc && fw_imm == 0x55, "HVC: firmware asked");
	check_undef("unhandled HVC", CODE, 1, true);
	CHECK(c->insns == 0, "an exception is not a retired instruction");
	setup();
	fw_handles = true;
	r = run(SMC(0x66));
	CHECK(r == A64_STOP && fw_smc && fw_imm == 0x66 && c->pc == CODE + 4 &&
	      c->x[0] == 0x5ca1ab1e && c->insns == 1, "SMC handled by the board");
	setup();
	fw_handles = true;
	at_el(0, false);
	r = run(HVC(1));
	CHECK(r == A64_EXC && fw_calls == 0, "HVC at EL0");
	check_undef("HVC at EL0", CODE, 0, false);
	setup();
	c->cb.firmware_call = NULL;
	run(SMC(0));
	check_undef("SMC without firmware", CODE, 1, true);
	setup();
	r = run(BRK(0x3e8));
	CHECK(r == A64_EXC && c->sys.esr_el1 == (EC(A64_EC_BRK) | ESR_IL | 0x3e8) &&
	      c->sys.elr_el1 == CODE && c->pc == VBAR + 0x200, "BRK: ESR %#llx",
	      (unsigned long long)c->sys.esr_el1);
	static const struct {
		u32 word;
		const char *name;
	} undefs[] = {
		{ 0x00000000u, "UDF #0" },
		{ 0xd4400020u, "HLT #1" },
		{ 0xd4a00001u, "DCPS1" },
		{ 0xd4000005u, "SVC with op2 = 1" },
		{ 0xd50330ffu, "SB" },
		{ 0xd500419fu, "MSR PAN, #1" },
		{ 0xd500407fu, "MSR UAO, #0" },
		{ 0xd500401fu, "CFINV" },
		{ 0xd503107fu, "WFIT" },
		{ 0xd5280000u, "SYSL" },
		{ 0xd503201eu, "HINT with Rt != 31" },
		{ 0xd5087e22u, "DC CVAP (no DPB)" },
		{ 0xd508817fu, "TLBI VMALLE1OS (no TLBIOS)" },
		{ 0xd50c871fu, "TLBI ALLE2" },
		{ 0xd50c7800u, "AT S1E2R" },
		{ 0xd53ce100u, "MRS CNTHCTL_EL2" },
		{ 0xd53c4100u, "MRS SP_EL1" },
		{ 0xd53b9c00u, "MRS PMCR_EL0 (no PMU)" },
		{ 0xd53cf000u, "MRS S3_4_C15_C0_0 (IMPLEMENTATION DEFINED)" },
	};
	for (size_t k = 0; k < ARRAY_SIZE(undefs); k++) {
		setup();
		r = run(undefs[k].word);
		CHECK(r == A64_EXC && c->sys.esr_el1 == ESR_IL && c->sys.elr_el1 == CODE,
		      "%s (%#010x): r %d ESR %#llx", undefs[k].name, undefs[k].word, r,
		      (unsigned long long)c->sys.esr_el1);
	}
	static const u32 nops[] = {
		0xd503201fu, /* NOP */
		0xd503203fu, /* YIELD */
		0xd50320dfu, /* DGH */
		0xd50320ffu, /* XPACLRI */
		0xd503233fu, /* PACIASP */
		0xd50323bfu, /* AUTIASP */
		0xd503245fu, /* BTI C */
		0xd503229fu, /* CSDB */
		0xd503221fu, /* ESB */
		0xd503223fu, /* PSB CSYNC */
		0xd50322dfu, /* CLRBHB */
		0xd5032fffu, /* HINT #127 */
		0xd5033b9fu, /* DSB ISH */
		0xd50339bfu, /* DMB ISHLD */
		0xd5033fdfu, /* ISB */
		0xd503309fu, /* SSBB */
		0xd503349fu, /* PSSBB */
	};
	for (size_t k = 0; k < ARRAY_SIZE(nops); k++) {
		setup();
		r = run(nops[k]);
		CHECK(r == A64_OK && c->pc == CODE + 4 && c->insns == 1, "%#010x is a NOP", nops[k]);
	}
	/* Encodings this decoder leaves to the branch decoder. */
	static const u32 others[] = { 0x14000000u, 0xd61f0000u, 0xd65f03c0u, 0xd69f0bffu,
				      0x54000000u, 0xb4000000u };
	struct a64_insn i;
	for (size_t k = 0; k < ARRAY_SIZE(others); k++)
		CHECK(!a64_decode_system(others[k], &i), "%#010x is not a system instruction",
		      others[k]);
	CHECK(a64_decode_system(ERET, &i), "ERET is");
	check_group_end();
}

/* ---- MRS and MSR ---- */

static void test_mrs_msr(void)
{
	check_group("MRS/MSR round trips");
	setup();
	static const struct {
		u32 key;
		const char *name;
		u64 write, read;
	} regs[] = {
		{ K_SCTLR, "SCTLR_EL1", 0x0400d01cull, 0x34d0d81cull },
		{ SR(3, 0, 2, 0, 2), "TCR_EL1", 0xffffffffffffffffull, 0x77ffffffbfull },
		{ SR(3, 0, 2, 0, 0), "TTBR0_EL1", 0x0001000040001001ull, 0x0001000040001000ull },
		{ SR(3, 0, 2, 0, 1), "TTBR1_EL1", 0x0002000040002000ull, 0x0002000040002000ull },
		{ SR(3, 0, 10, 2, 0), "MAIR_EL1", 0x0123456789abcdefull, 0x0123456789abcdefull },
		{ SR(3, 0, 10, 3, 0), "AMAIR_EL1", 0x55ull, 0x55ull },
		{ SR(3, 0, 12, 0, 0), "VBAR_EL1", 0xffff000012345fffull, 0xffff000012345800ull },
		{ SR(3, 0, 4, 0, 1), "ELR_EL1", 0xffff000012345678ull, 0xffff000012345678ull },
		{ SR(3, 0, 4, 0, 0), "SPSR_EL1", 0xffffffffffffffffull, 0xf03003dfull },
		{ SR(3, 0, 5, 2, 0), "ESR_EL1", 0xffffffffffffffffull, 0xffffffffull },
		{ SR(3, 0, 6, 0, 0), "FAR_EL1", 0x1234ull, 0x1234ull },
		{ SR(3, 0, 7, 4, 0), "PAR_EL1", 0xff00000040000f80ull, 0xff00000040000f80ull },
		{ SR(3, 0, 13, 0, 1), "CONTEXTIDR_EL1", 0x1234567890ull, 0x34567890ull },
		{ SR(3, 0, 13, 0, 4), "TPIDR_EL1", 0x1111ull, 0x1111ull },
		{ K_TPIDR_EL0, "TPIDR_EL0", 0x2222ull, 0x2222ull },
		{ K_TPIDRRO_EL0, "TPIDRRO_EL0", 0x3333ull, 0x3333ull },
		{ K_CPACR, "CPACR_EL1", 0xffffffffull, 0x300000ull },
		{ SR(2, 0, 0, 2, 2), "MDSCR_EL1", 0x1000ull, 0x1000ull },
		{ K_CNTKCTL, "CNTKCTL_EL1", 0xffffull, 0x3ffull },
		{ SR(3, 0, 5, 1, 0), "AFSR0_EL1", 7, 7 },
		{ SR(3, 0, 5, 1, 1), "AFSR1_EL1", 8, 8 },
		{ SR(3, 2, 0, 0, 0), "CSSELR_EL1", 0x13ull, 0x3ull },
		{ K_SP_EL0, "SP_EL0", 0x7770ull, 0x7770ull },
		{ K_NZCV, "NZCV", 0xffffffffull, 0xf0000000ull },
		{ K_DAIF, "DAIF", 0xffffull, 0x3c0ull },
		{ K_FPCR, "FPCR", 0xffffffffull, 0x07c00000ull },
		{ SR(3, 3, 4, 4, 1), "FPSR", 0xffffffffull, 0x0800009full },
		{ SR(2, 0, 1, 3, 4), "OSDLR_EL1", 3, 1 },
		{ SR(2, 0, 0, 0, 4), "DBGBVR0_EL1", 0xffff000000001234ull, 0xffff000000001234ull },
		{ SR(2, 0, 0, 1, 7), "DBGWCR1_EL1", 0x1e7ull, 0x1e7ull },
		{ SR(2, 0, 0, 2, 0), "MDCCINT_EL1", ~0ull, 0x60000000ull },
		{ K_CNTV_CVAL, "CNTV_CVAL_EL0", 0x123456789ull, 0x123456789ull },
		{ K_CNTP_CVAL, "CNTP_CVAL_EL0", 0x987654321ull, 0x987654321ull },
	};
	c->sys.cpacr_el1 = 3ull << 20;
	for (size_t k = 0; k < ARRAY_SIZE(regs); k++) {
		int r = write_reg(regs[k].key, regs[k].write);
		CHECK(r != A64_EXC, "MSR %s", regs[k].name);
		if (regs[k].key == K_CPACR)
			c->sys.cpacr_el1 = 3ull << 20; /* keep FP enabled for FPCR/FPSR */
		u64 v = read_reg(regs[k].key);
		CHECK(v == regs[k].read, "%s: read %#llx, expected %#llx", regs[k].name,
		      (unsigned long long)v, (unsigned long long)regs[k].read);
		u64 direct;
		CHECK(a64_sysreg_read(c, regs[k].key, &direct) && direct == v, "%s: a64_sysreg_read",
		      regs[k].name);
	}
	CHECK(a64_sysreg_name(K_SCTLR) && !strcmp(a64_sysreg_name(K_SCTLR), "SCTLR_EL1"),
	      "names");
	/* XZR: MRS to it discards, MSR from it writes zero. */
	setup();
	c->sys.tpidr_el0 = 5;
	run(msr(K_TPIDR_EL0, 31));
	CHECK(c->sys.tpidr_el0 == 0 && c->x[31] == 0, "MSR from XZR");
	c->pc = CODE;
	c->sys.tpidr_el0 = 6;
	CHECK(run(mrs(K_TPIDR_EL0, 31)) == A64_OK && c->x[31] == 0, "MRS to XZR");
	/* Registers with behaviour. */
	setup();
	CHECK(read_reg(K_CURRENTEL) == 4, "CurrentEL at EL1");
	CHECK(read_reg(K_SPSEL) == 1, "SPSel");
	c->sp_el0 = 0x100;
	c->x[A64_SP] = 0x200;
	write_reg(K_SPSEL, 0);
	CHECK(c->spsel == 0 && c->x[A64_SP] == 0x100 && c->sp_el1 == 0x200, "MSR SPSel banks SP");
	CHECK(write_reg(K_SP_EL0, 1) == A64_EXC && c->sys.esr_el1 == ESR_IL,
	      "SP_EL0 by name while it is the SP: UNDEFINED");
	setup();
	CHECK(read_reg(K_OSLSR) == 0xa, "OS lock set at reset");
	write_reg(K_OSLAR, 0);
	CHECK(read_reg(K_OSLSR) == 0x8, "OSLAR clears it");
	CHECK(write_reg(K_OSLSR, 0) == A64_EXC, "OSLSR is read-only");
	c->pc = CODE;
	CHECK(run(mrs(K_OSLAR, 2)) == A64_EXC, "OSLAR is write-only");
	setup();
	CHECK(read_reg(SR(2, 0, 1, 0, 0)) == 0 && write_reg(SR(2, 0, 1, 0, 0), 0) == A64_EXC,
	      "MDRAR_EL1 reads 0, is read-only");
	CHECK(write_reg(SR(3, 0, 0, 0, 0), 0) == A64_EXC, "MIDR is read-only");
	CHECK(read_reg(SR(3, 0, 0, 1, 0)) == 0 && read_reg(SR(3, 0, 0, 2, 0)) == 0 &&
	      read_reg(SR(3, 0, 0, 3, 0)) == 0 && read_reg(SR(3, 0, 0, 7, 7)) == 0,
	      "AArch32 and reserved ID registers read 0");
	CHECK(read_reg(SR(3, 0, 12, 12, 0)) == 27, "the board's register (cb.sysreg)");
	at_el(0, false);
	CHECK(run(mrs(SR(3, 0, 12, 12, 0), 2)) == A64_EXC, "... at EL1 only");
	setup();
	CHECK(read_reg(SR(2, 0, 7, 8, 6)) == 0xff, "DBGCLAIMSET");
	write_reg(SR(2, 0, 7, 8, 6), 0x5);
	write_reg(SR(2, 0, 7, 9, 6), 0x1);
	CHECK(read_reg(SR(2, 0, 7, 9, 6)) == 0x4, "DBGCLAIMCLR");
	/* Translation registers end the engine's run. */
	setup();
	CHECK(write_reg(K_SCTLR, c->sys.sctlr_el1 | A64_SCTLR_WXN) == A64_STOP, "SCTLR.WXN");
	CHECK(write_reg(K_SCTLR, c->sys.sctlr_el1 | (1u << 12)) == A64_OK, "SCTLR.I");
	u64 gen = c->tlb.gen;
	CHECK(write_reg(SR(3, 0, 2, 0, 0), 7ull << 48) == A64_STOP && c->tlb.gen != gen,
	      "a new ASID");
	CHECK(write_reg(SR(3, 0, 2, 0, 0), 7ull << 48 | 0x1000) == A64_OK, "same ASID");
	check_group_end();
}

/* ---- EL0 ---- */

static void expect_trap(const char *what, u32 key, unsigned rt, bool read)
{
	u32 want = (key >> 14 & 3) << 20 | (key & 7) << 17 | (key >> 11 & 7) << 14 |
		   (key >> 7 & 15) << 10 | rt << 5 | (key >> 3 & 15) << 1 | (read ? 1 : 0);
	CHECK(ec() == A64_EC_SYSREG && iss() == want && c->pc == VBAR + 0x400 &&
	      c->sys.elr_el1 == CODE, "%s: EC %#x ISS %#x, expected ISS %#x", what, ec(), iss(),
	      want);
}

static void test_el0(void)
{
	check_group("EL0 access");
	setup();
	at_el(0, false);
	int r = run(mrs(K_SCTLR, 3));
	CHECK(r == A64_EXC, "MRS SCTLR_EL1 at EL0");
	check_undef("MRS SCTLR_EL1 at EL0", CODE, 0, false);
	at_el(0, false);
	run(mrs(SR(3, 0, 0, 6, 0), 3));
	check_undef("ID_AA64ISAR0_EL1 at EL0", CODE, 0, false);
	/* CTR_EL0 and SCTLR.UCT. */
	at_el(0, false);
	run(mrs(K_CTR, 5));
	expect_trap("CTR_EL0 without UCT", K_CTR, 5, true);
	c->sys.sctlr_el1 |= A64_SCTLR_UCT;
	at_el(0, false);
	CHECK(read_reg(K_CTR) == 0xb444c004ull, "CTR_EL0 with UCT");
	/* DAIF and SCTLR.UMA, register and immediate forms. */
	at_el(0, false);
	run(mrs(K_DAIF, 4));
	expect_trap("MRS DAIF without UMA", K_DAIF, 4, true);
	at_el(0, false);
	run(MSR_IMM(3, 2, 6));
	expect_trap("MSR DAIFSet without UMA", SR(0, 3, 4, 2, 6), 31, false);
	c->sys.sctlr_el1 |= A64_SCTLR_UMA;
	at_el(0, false);
	c->daif = 0;
	CHECK(run(MSR_IMM(3, 2, 6)) == A64_OK && c->daif == A64_DAIF_I, "DAIFSet with UMA");
	at_el(0, false);
	CHECK(read_reg(K_DAIF) == 0x80, "MRS DAIF with UMA");
	/* DCZID.DZP follows SCTLR.DZE at EL0. */
	at_el(0, false);
	CHECK(read_reg(K_DCZID) == 0x14, "DCZID_EL0 at EL0 without DZE: DZP");
	c->sys.sctlr_el1 |= A64_SCTLR_DZE;
	CHECK(read_reg(K_DCZID) == 0x4, "DCZID_EL0 with DZE");
	/* Thread registers. */
	at_el(0, false);
	c->sys.tpidrro_el0 = 0x77;
	CHECK(read_reg(K_TPIDRRO_EL0) == 0x77, "TPIDRRO_EL0 read at EL0");
	c->pc = CODE;
	CHECK(run(msr(K_TPIDRRO_EL0, 1)) == A64_EXC, "TPIDRRO_EL0 write at EL0");
	check_undef("TPIDRRO_EL0 write", CODE, 0, false);
	at_el(0, false);
	CHECK(write_reg(K_TPIDR_EL0, 0x99) == A64_OK && read_reg(K_TPIDR_EL0) == 0x99,
	      "TPIDR_EL0 at EL0");
	CHECK(write_reg(K_NZCV, A64_N) == A64_OK && c->nzcv == A64_N, "NZCV at EL0");
	/* FPCR and CPACR.FPEN. */
	c->sys.cpacr_el1 = 1ull << 20;
	at_el(0, false);
	CHECK(run(mrs(K_FPCR, 1)) == A64_EXC && ec() == A64_EC_FP_ACCESS &&
	      iss() == 0x1e00000, "FPCR at EL0 with FPEN = 01");
	at_el(1, true);
	CHECK(read_reg(K_FPCR) == 0, "FPCR at EL1 with FPEN = 01");
	c->sys.cpacr_el1 = 3ull << 20;
	at_el(0, false);
	CHECK(read_reg(K_FPCR) == 0, "FPCR at EL0 with FPEN = 11");
	/* The timer and CNTKCTL_EL1. */
	static const struct {
		u32 key;
		u64 enable;
		const char *name;
	} timer[] = {
		{ K_CNTVCT, 0x2, "CNTVCT_EL0" },   { K_CNTPCT, 0x1, "CNTPCT_EL0" },
		{ K_CNTFRQ, 0x1, "CNTFRQ_EL0" },   { K_CNTFRQ, 0x2, "CNTFRQ_EL0" },
		{ K_CNTV_CTL, 0x100, "CNTV_CTL" }, { K_CNTP_CVAL, 0x200, "CNTP_CVAL" },
	};
	for (size_t k = 0; k < ARRAY_SIZE(timer); k++) {
		c->sys.cntkctl_el1 = 0x3ff & ~timer[k].enable & ~(timer[k].key == K_CNTFRQ ? 3u : 0u);
		at_el(0, false);
		run(mrs(timer[k].key, 6));
		expect_trap(timer[k].name, timer[k].key, 6, true);
		c->sys.cntkctl_el1 = timer[k].enable;
		at_el(0, false);
		c->pc = CODE;
		CHECK(run(mrs(timer[k].key, 6)) == A64_OK, "%s allowed by CNTKCTL %#llx",
		      timer[k].name, (unsigned long long)timer[k].enable);
	}
	/* Instructions EL0 may not run at all. */
	static const struct {
		u32 word;
		const char *name;
	} never[] = {
		{ ERET, "ERET" },
		{ MSR_IMM(0, 1, 5), "MSR SPSel" },
		{ SYS(0, 7, 5, 0, 31), "IC IALLU" },
		{ SYS(0, 8, 7, 0, 31), "TLBI VMALLE1" },
		{ SYS(0, 7, 8, 0, 1), "AT S1E1R" },
		{ SYS(0, 7, 6, 2, 1), "DC ISW" },
		{ msr(SR(3, 0, 4, 0, 1), 1), "MSR ELR_EL1" },
		{ mrs(K_CNTKCTL, 1), "MRS CNTKCTL_EL1" },
	};
	for (size_t k = 0; k < ARRAY_SIZE(never); k++) {
		setup();
		at_el(0, false);
		CHECK(run(never[k].word) == A64_EXC, "%s at EL0", never[k].name);
		check_undef(never[k].name, CODE, 0, false);
	}
	/* IC IVAU and SCTLR.UCI. */
	setup();
	at_el(0, false);
	c->x[4] = CODE;
	run(SYS(3, 7, 5, 1, 4));
	expect_trap("IC IVAU without UCI", SR(1, 3, 7, 5, 1), 4, false);
	/* WFI/WFE and nTWI/nTWE. */
	setup();
	at_el(0, false);
	CHECK(run(HINT(3)) == A64_EXC && ec() == A64_EC_WFX && iss() == 0x1e00000,
	      "WFI at EL0 without nTWI");
	at_el(0, false);
	CHECK(run(HINT(2)) == A64_EXC && ec() == A64_EC_WFX && iss() == 0x1e00001,
	      "WFE at EL0 without nTWE");
	c->sys.sctlr_el1 |= A64_SCTLR_NTWI | A64_SCTLR_NTWE;
	at_el(0, false);
	CHECK(run(HINT(3)) == A64_WAIT, "WFI at EL0 with nTWI");
	at_el(0, false);
	c->event = 1;
	CHECK(run(HINT(2)) == A64_OK, "WFE at EL0 with the event set");
	check_group_end();
}

/* ---- PSTATE immediates ---- */

static void test_pstate(void)
{
	check_group("DAIF and SPSel immediates");
	setup();
	CHECK(run(MSR_IMM(3, 0xf, 6)) == A64_OK && c->daif == 0xf, "DAIFSet #15");
	c->pc = CODE;
	CHECK(run(MSR_IMM(3, 0x8, 7)) == A64_OK && c->daif == 0x7, "DAIFClr #8");
	c->irq_line = true;
	c->pc = CODE;
	CHECK(run(MSR_IMM(3, 0x1, 7)) == A64_OK && c->daif == 0x6, "DAIFClr #1: IRQ still masked");
	c->pc = CODE;
	CHECK(run(MSR_IMM(3, 0x2, 7)) == A64_STOP && c->daif == 0x4,
	      "DAIFClr #2 with an IRQ pending: stop");
	CHECK(a64_take_interrupt_if_pending(c) && c->pc == VBAR + 0x280 &&
	      c->sys.elr_el1 == CODE + 4, "then the IRQ is taken after it");
	setup();
	c->irq_line = true;
	c->daif = 0xf;
	CHECK(write_reg(K_DAIF, 0) == A64_STOP, "MSR DAIF unmasking a pending IRQ");
	setup();
	c->sp_el0 = 0x500;
	c->x[A64_SP] = 0x600;
	CHECK(run(MSR_IMM(0, 0, 5)) == A64_OK && c->spsel == 0 && c->x[A64_SP] == 0x500 &&
	      c->sp_el1 == 0x600, "MSR SPSel, #0");
	c->pc = CODE;
	CHECK(run(MSR_IMM(0, 1, 5)) == A64_OK && c->spsel == 1 && c->x[A64_SP] == 0x600,
	      "MSR SPSel, #1");
	c->monitor.open = true;
	c->pc = CODE;
	CHECK(run(0xd5033f5fu) == A64_OK && !c->monitor.open, "CLREX closes the monitor");
	check_group_end();
}

/* ---- the generic timer ---- */

static void test_timer(void)
{
	check_group("generic timer");
	setup();
	clock_ns = 1000000; /* 62500 ticks */
	CHECK(read_reg(K_CNTFRQ) == 62500000, "CNTFRQ_EL0");
	CHECK(read_reg(K_CNTVCT) == 62500 && read_reg(K_CNTPCT) == 62500, "counts");
	clock_ns = 1000015;
	CHECK(read_reg(K_CNTVCT) == 62500, "16 ns a tick");
	CHECK(write_reg(K_CNTV_CVAL, 62600) == A64_STOP && timer_changes == 1, "CVAL written");
	CHECK(write_reg(K_CNTV_CTL, 1) == A64_STOP && timer_changes == 2, "enabled");
	CHECK(read_reg(K_CNTV_CTL) == 1 && !a64_timer_irq(c, false), "not yet");
	CHECK(a64_timer_deadline_ns(c, false) == 62600ull * 16, "deadline %llu",
	      (unsigned long long)a64_timer_deadline_ns(c, false));
	CHECK(read_reg(K_CNTV_TVAL) == 100, "TVAL counts down");
	clock_ns = 62600ull * 16;
	CHECK(read_reg(K_CNTV_CTL) == 5 && a64_timer_irq(c, false), "ISTATUS at CVAL");
	clock_ns += 160;
	CHECK(read_reg(K_CNTV_TVAL) == 0xfffffff6ull, "TVAL negative after");
	write_reg(K_CNTV_CTL, 3);
	CHECK(read_reg(K_CNTV_CTL) == 7 && !a64_timer_irq(c, false) &&
	      a64_timer_deadline_ns(c, false) == ~0ull, "IMASK: ISTATUS stays, no output");
	write_reg(K_CNTV_CTL, 0);
	CHECK(read_reg(K_CNTV_CTL) == 0, "disabled: no ISTATUS");
	/* TVAL writes: CVAL = count + signed 32-bit value. */
	u64 now = clock_ns / 16;
	write_reg(K_CNTP_TVAL, 1000);
	CHECK(c->sys.cntp_cval_el0 == now + 1000, "TVAL = 1000");
	write_reg(K_CNTP_TVAL, 0xfffffffbull);
	CHECK(c->sys.cntp_cval_el0 == now - 5, "TVAL = -5");
	write_reg(K_CNTP_CTL, 1);
	CHECK(a64_timer_irq(c, true) && !a64_timer_irq(c, false), "physical timer fires alone");
	CHECK(read_reg(K_CNTP_CVAL) == now - 5, "CNTP_CVAL");
	/* CNTFRQ cannot be changed; the event stream. */
	write_reg(K_CNTFRQ, 1);
	CHECK(read_reg(K_CNTFRQ) == 62500000, "CNTFRQ writes ignored");
	unsigned changes = timer_changes;
	write_reg(K_CNTKCTL, 0x4 | 3 << 4); /* EVNTEN, bit 3, 0 -> 1 */
	CHECK(timer_changes == changes + 1, "CNTKCTL tells the board");
	CHECK(a64_evtstrm_next_ns(c, 0) == 8 * 16 && a64_evtstrm_next_ns(c, 8 * 16) == 24 * 16,
	      "event stream: bit 3 rising at 8, 24, ...");
	write_reg(K_CNTKCTL, 0x4 | 0x8 | 3 << 4); /* falling */
	CHECK(a64_evtstrm_next_ns(c, 0) == 16 * 16 && a64_evtstrm_next_ns(c, 17 * 16) == 32 * 16,
	      "event stream falling: 16, 32, ...");
	write_reg(K_CNTKCTL, 0);
	CHECK(a64_evtstrm_next_ns(c, 0) == ~0ull, "event stream off");
	check_group_end();
}

/* ---- ID registers ---- */

static unsigned field(u64 v, unsigned lo)
{
	return (unsigned)(v >> lo) & 0xf;
}

static void test_id_registers(void)
{
	check_group("ID registers");
	setup();
	u64 midr = read_reg(SR(3, 0, 0, 0, 0));
	CHECK((midr >> 24) == 0 && field(midr, 16) == 0xf, "MIDR: implementer 0, by ID registers");
	u64 mpidr = read_reg(SR(3, 0, 0, 0, 5));
	CHECK((mpidr & 0xff) == 3 && (mpidr >> 31 & 1) && !(mpidr >> 30 & 1) &&
	      !(mpidr >> 24 & 1), "MPIDR: Aff0 = vCPU, bit 31, U = 0, MT = 0");
	CHECK(read_reg(SR(3, 0, 0, 0, 6)) == 0, "REVIDR");
	u64 pfr0 = read_reg(SR(3, 0, 0, 4, 0));
	CHECK(field(pfr0, 0) == 1 && field(pfr0, 4) == 1, "PFR0: EL0, EL1 AArch64 only");
	CHECK(field(pfr0, 8) == 0 && field(pfr0, 12) == 0, "PFR0: no EL2, no EL3");
	CHECK(field(pfr0, 16) == 0 && field(pfr0, 20) == 0, "PFR0: FP and AdvSIMD, no FP16");
	CHECK(field(pfr0, 24) == 0, "PFR0: no GIC system registers");
	CHECK(field(pfr0, 28) == 0 && field(pfr0, 32) == 0 && field(pfr0, 36) == 0 &&
	      field(pfr0, 40) == 0 && field(pfr0, 44) == 0 && field(pfr0, 48) == 0,
	      "PFR0: no RAS, SVE, SEL2, MPAM, AMU, DIT");
	CHECK(field(pfr0, 56) == 1 && field(pfr0, 60) == 1, "PFR0: CSV2, CSV3");
	CHECK(read_reg(SR(3, 0, 0, 4, 1)) == 0, "PFR1: no BTI, SSBS, MTE");
	CHECK(read_reg(SR(3, 0, 0, 4, 4)) == 0, "ZFR0: no SVE");
	u64 isar0 = read_reg(SR(3, 0, 0, 6, 0));
	CHECK(field(isar0, 4) == 0 && field(isar0, 8) == 0 && field(isar0, 12) == 0,
	      "ISAR0: no AES, SHA1, SHA2");
	CHECK(field(isar0, 16) == 1, "ISAR0: CRC32");
	CHECK(field(isar0, 20) == 2, "ISAR0: LSE atomics");
	CHECK(field(isar0, 28) == 0 && field(isar0, 32) == 0 && field(isar0, 44) == 0 &&
	      field(isar0, 56) == 0 && field(isar0, 60) == 0,
	      "ISAR0: no RDM, SHA3, DotProd, TLB range, RNDR");
	CHECK(isar0 == 0x210000, "ISAR0 has nothing else");
	CHECK(read_reg(SR(3, 0, 0, 6, 1)) == 1ull << 20, "ISAR1: LRCPC 1 (LDAPR); no PAuth, "
	      "JSCVT, FCMA, SB, ...");
	CHECK(read_reg(SR(3, 0, 0, 6, 2)) == 0, "ISAR2");
	u64 mmfr0 = read_reg(SR(3, 0, 0, 7, 0));
	CHECK(field(mmfr0, 0) == 2, "MMFR0: PARange 40 bits");
	CHECK(field(mmfr0, 4) == 2, "MMFR0: 16-bit ASIDs");
	CHECK(field(mmfr0, 8) == 0 && field(mmfr0, 16) == 0, "MMFR0: little-endian only");
	CHECK(field(mmfr0, 28) == 0 && field(mmfr0, 20) == 0 && field(mmfr0, 24) == 0xf,
	      "MMFR0: 4 KiB granule only");
	u64 mmfr1 = read_reg(SR(3, 0, 0, 7, 1));
	CHECK(field(mmfr1, 0) == 0 && field(mmfr1, 8) == 0 && field(mmfr1, 20) == 0 && mmfr1 == 0,
	      "MMFR1: HAFDBS 0, VH 0, PAN 0");
	CHECK(read_reg(SR(3, 0, 0, 7, 2)) == 0, "MMFR2: 48-bit VAs, no UAO");
	u64 dfr0 = read_reg(SR(3, 0, 0, 5, 0));
	CHECK(field(dfr0, 0) == 6 && field(dfr0, 8) == 0 && field(dfr0, 12) == 1 &&
	      field(dfr0, 20) == 1, "DFR0: debug v8.0, no PMU, 2 breakpoints, 2 watchpoints");
	u64 ctr = read_reg(K_CTR);
	CHECK(field(ctr, 0) == 4 && field(ctr, 16) == 4 && (ctr >> 14 & 3) == 3 &&
	      (ctr >> 28 & 1) && (ctr >> 29 & 1) && (ctr >> 31 & 1),
	      "CTR: 64-byte lines, PIPT, IDC, DIC");
	CHECK(read_reg(K_DCZID) == 4, "DCZID: 64-byte blocks, DZP 0 at EL1");
	u64 clidr = read_reg(SR(3, 1, 0, 0, 1));
	CHECK((clidr & 7) == 3 && (clidr >> 3 & 7) == 4 && (clidr >> 24 & 7) == 2,
	      "CLIDR: split L1, unified L2, LoC 2");
	write_reg(SR(3, 2, 0, 0, 0), 0);
	u64 ccsidr = read_reg(SR(3, 1, 0, 0, 0));
	CHECK((ccsidr & 7) == 2 && (ccsidr >> 3 & 0x3ff) == 3 && (ccsidr >> 13 & 0x7fff) == 127,
	      "CCSIDR L1D: 64-byte lines, 4 ways, 128 sets");
	write_reg(SR(3, 2, 0, 0, 0), 2);
	CHECK((read_reg(SR(3, 1, 0, 0, 0)) >> 13 & 0x7fff) == 1023, "CCSIDR L2");
	check_group_end();
}

/* ---- WFI, WFE, events ---- */

static void test_wait(void)
{
	check_group("WFI, WFE and the event register");
	setup();
	c->daif = 0xf;
	CHECK(run(HINT(3)) == A64_WAIT && c->pc == CODE + 4 && c->insns == 1 &&
	      c->wait == A64_WAIT_WFI, "WFI retires and waits");
	CHECK(!a64_wait_over(c), "nothing to wake it");
	c->irq_line = true;
	CHECK(a64_wait_over(c), "a masked IRQ wakes WFI");
	setup();
	CHECK(run(HINT(2)) == A64_WAIT && c->wait == A64_WAIT_WFE, "WFE without an event waits");
	CHECK(!a64_wait_over(c), "still waiting");
	c->event = 1; /* another vCPU's SEV, through the board */
	CHECK(a64_wait_over(c) && c->event == 0 && c->wait == 0, "an event ends it and is consumed");
	setup();
	c->daif = A64_DAIF_I;
	run(HINT(2));
	c->irq_line = true;
	CHECK(!a64_wait_over(c), "a masked IRQ does not wake WFE");
	c->daif = 0;
	CHECK(a64_wait_over(c), "an unmasked one does");
	setup();
	CHECK(run(HINT(5)) == A64_OK && c->event == 1, "SEVL sets the event register");
	c->pc = CODE;
	CHECK(run(HINT(2)) == A64_OK && c->event == 0 && c->pc == CODE + 4,
	      "WFE consumes it without waiting");
	c->pc = CODE;
	CHECK(run(HINT(4)) == A64_OK && c->event == 1 && events_sent == 1,
	      "SEV: this PE's event and the board's");
	check_group_end();
}

/* ---- illegal exception return ---- */

static void test_illegal_return(void)
{
	check_group("illegal exception return");
	static const struct {
		u64 spsr;
		const char *name;
	} bad[] = {
		{ 0x9, "EL2h" }, { 0xd, "EL3h" }, { 0x10, "AArch32 User" }, { 0x1, "EL0 with SP_EL1" },
		{ 0x5 | A64_SPSR_IL, "SPSR.IL set" },
	};
	for (size_t k = 0; k < ARRAY_SIZE(bad); k++) {
		setup();
		c->sys.elr_el1 = RAM_BASE + 0x3000;
		c->sys.spsr_el1 = bad[k].spsr | A64_N | (u64)A64_DAIF_A << 6;
		int r = run(ERET);
		CHECK(r == A64_STOP && c->il && c->pc == RAM_BASE + 0x3000,
		      "%s: IL set, pc = ELR (r %d)", bad[k].name, r);
		CHECK(c->el == 1 && c->spsel == 1 && c->nzcv == A64_N && c->daif == A64_DAIF_A,
		      "%s: EL kept, NZCV/DAIF from SPSR", bad[k].name);
		CHECK(a64_take_interrupt_if_pending(c), "%s: the next instruction faults",
		      bad[k].name);
		CHECK(c->sys.esr_el1 == (EC(A64_EC_ILLEGAL_STATE) | ESR_IL) &&
		      c->sys.elr_el1 == RAM_BASE + 0x3000 && (c->sys.spsr_el1 & A64_SPSR_IL) &&
		      !c->il && c->pc == VBAR + 0x200, "%s: Illegal Execution State, SPSR.IL",
		      bad[k].name);
	}
	check_group_end();
}

/* ---- maintenance callbacks, CPACR ---- */

static void test_callbacks(void)
{
	check_group("IC, TLBI and FP callbacks");
	setup();
	CHECK(run(SYS(0, 7, 5, 0, 31)) == A64_STOP && stale_all == 1, "IC IALLU");
	c->pc = CODE;
	CHECK(run(SYS(0, 7, 1, 0, 31)) == A64_STOP && stale_all == 2, "IC IALLUIS");
	c->pc = CODE;
	c->x[4] = RAM_BASE + 0x2040;
	CHECK(run(SYS(3, 7, 5, 1, 4)) == A64_STOP && stale_va == 1 &&
	      stale_addr == RAM_BASE + 0x2040, "IC IVAU");
	c->pc = CODE;
	CHECK(run(SYS(0, 8, 7, 0, 31)) == A64_STOP && broadcasts == 0, "TLBI VMALLE1: local");
	c->pc = CODE;
	CHECK(run(SYS(0, 8, 3, 0, 31)) == A64_STOP && broadcasts == 1, "TLBI VMALLE1IS: broadcast");
	static const unsigned fpen_ok[4][2] = { { 0, 0 }, { 0, 1 }, { 0, 0 }, { 1, 1 } };
	for (unsigned fpen = 0; fpen < 4; fpen++)
		for (unsigned el = 0; el < 2; el++) {
			setup();
			at_el(el, el);
			c->sys.cpacr_el1 = (u64)fpen << 20;
			int r = a64_fp_check(c);
			CHECK((r == A64_OK) == fpen_ok[fpen][el], "FPEN %u at EL%u", fpen, el);
			if (r != A64_OK)
				CHECK(c->sys.esr_el1 == (EC(A64_EC_FP_ACCESS) | ESR_IL | 0x1e00000),
				      "FP trap syndrome %#llx", (unsigned long long)c->sys.esr_el1);
		}
	check_group_end();
}

int main(void)
{
	test_entry_return();
	test_syndromes();
	test_mrs_msr();
	test_el0();
	test_pstate();
	test_timer();
	test_id_registers();
	test_wait();
	test_illegal_return();
	test_callbacks();
	free(c);
	free(ram);
	return check_summary();
}
