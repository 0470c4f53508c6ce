/*
 * The system register file of the EL0/EL1 CPU: one table keyed by the
 * MRS/MSR encoding (op0, op1, CRn, CRm, op2), each register a field of
 * struct a64_cpu with a write mask, a constant, or read/write functions
 * for the ones with side effects.  Each entry also says how EL0 may reach
 * it (never: UNDEFINED; or as SCTLR_EL1/CNTKCTL_EL1 allow: else trapped to
 * EL1 with EC 0x18).  Registers that are not in the table are UNDEFINED
 * (unless the board's cb.sysreg has them), except the reserved ID space
 * (op0 3, op1 0, CRn 0, CRm 1-7), which reads as zero at EL1.
 *
 * What the ID registers advertise is exactly what the interpreter
 * implements (see the comments at each value); MIDR's implementer is 0x00
 * (reserved for software use), so no kernel errata workaround matches.
 */
#include <stddef.h>
#include <string.h>

#include "arch/arm64/a64_exception.h"
#include "arch/arm64/a64_mmu.h"
#include "arch/arm64/a64_sysreg.h"

#define R(op0, op1, crn, crm, op2) A64_SYSREG(op0, op1, crn, crm, op2)

/* ---- ID register values ---- */

/* MIDR_EL1: implementer 0x00 (software use), variant 0, architecture
 * 0xf (by ID registers), part 0x001, revision 0. */
#define MIDR_VALUE 0x000f0010ull

/* ID_AA64PFR0_EL1. */
#define PFR0_EL0_AA64 (1ull << 0)  /* EL0: AArch64 only */
#define PFR0_EL1_AA64 (1ull << 4)  /* EL1: AArch64 only; EL2, EL3: absent (0) */
/* FP (19:16) = 0 and AdvSIMD (23:20) = 0: implemented, without FP16.
 * GIC (27:24) = 0: no system register interface (the board has a GICv2).
 * RAS, SVE, SEL2, MPAM, AMU, DIT, RME: 0, absent. */
/* CSV2 (59:56) = 1, CSV3 (63:60) = 1: an interpreter does not speculate,
 * so branch predictors cannot leak across contexts and no data is formed
 * from a faulting load.  Not instructions but statements that are true
 * here; they spare the guest the Spectre-v2 firmware calls and the
 * kernel page-table isolation (KPTI) an unknown MIDR would otherwise get. */
#define PFR0_CSV2 (1ull << 56)
#define PFR0_CSV3 (1ull << 60)
#define PFR0_VALUE (PFR0_EL0_AA64 | PFR0_EL1_AA64 | PFR0_CSV2 | PFR0_CSV3)

/* ID_AA64DFR0_EL1: DebugVer 6 (the Armv8.0 debug architecture, mandatory),
 * BRPs 1 and WRPs 1 (the architectural minimum: two breakpoints and two
 * watchpoints, whose registers exist but are not acted on), CTX_CMPs 0;
 * PMUVer 0: no PMU, so the PMU registers are UNDEFINED; TraceVer 0. */
#define DFR0_VALUE (0x6ull | 1ull << 12 | 1ull << 20)

/* ID_AA64ISAR0_EL1: CRC32 (19:16) = 1, the CRC32 instructions; Atomic
 * (23:20) = 2, the LSE atomics.  AES, SHA1/2/3, SM3/4, RDM, DotProd, FHM,
 * TS, TLB range/OS forms, RNDR: 0, absent. */
#define ISAR0_VALUE (1ull << 16 | 2ull << 20)

/* ID_AA64ISAR1_EL1: LRCPC (23:20) = 1, LDAPR (a64_atomic.c).  PAuth,
 * JSCVT, FCMA, DPB, SB, ... : 0.  ISAR2: all 0. */
#define ISAR1_VALUE (1ull << 20)

/* ID_AA64MMFR0_EL1: PARange (3:0) = 2, 40 bits; ASIDBits (7:4) = 2, 16
 * bits; BigEnd, SNSMem, BigEndEL0 = 0 (little-endian only); TGran16
 * (23:20) = 0, 16 KiB granule absent; TGran64 (27:24) = 0xf, 64 KiB
 * granule absent; TGran4 (31:28) = 0, 4 KiB granule present. */
#define MMFR0_VALUE (0x2ull | 0x2ull << 4 | 0xfull << 24)
/* ID_AA64MMFR1_EL1 = 0: HAFDBS 0 (no hardware access flag or dirty
 * state), VMIDBits, VH, HPDS, LO, PAN, XNX all 0.  ID_AA64MMFR2_EL1 = 0:
 * VARange 48 bits, no UAO, CnP, IESB, AT (LSE2), E0PD, ... */

/* CTR_EL0 (bit 31 RES1): IminLine = DminLine = 4 (64-byte lines); L1Ip =
 * 3 (PIPT); ERG = CWG = 4 (64 bytes); IDC = 1 and DIC = 1: neither a data
 * cache clean nor an instruction cache invalidation is needed to make
 * written code visible to fetches, because the engine drops decoded code
 * on every write to its page (CPU or device).  So the guest skips its
 * DC CVAU/IC IVAU loops; the instructions still work if it runs them. */
#define CTR_VALUE (1ull << 31 | 1ull << 29 | 1ull << 28 | 4ull << 24 | 4ull << 20 | \
		   4ull << 16 | 3ull << 14 | 4ull)

/* DCZID_EL0: BS = 4 (DC ZVA zeroes 2^4 words, 64 bytes); DZP (bit 4) reads
 * 1 at EL0 when SCTLR_EL1.DZE forbids DC ZVA there. */
#define DCZID_BS 4ull
#define DCZID_DZP (1ull << 4)

/* CLIDR_EL1: L1 separate I and D (Ctype1 = 3), L2 unified (Ctype2 = 4),
 * LoC 2, LoUU = LoUIS = 0 (consistent with CTR_EL0.IDC).  CCSIDR_EL1 for
 * the level CSSELR_EL1 selects: 32 KiB 4-way L1s and a 1 MiB 16-way L2,
 * 64-byte lines.  None of it exists: set/way operations are no-ops. */
#define CLIDR_VALUE (0x3ull | 0x4ull << 3 | 2ull << 24)
#define CCSIDR(sets, ways) ((u64)((sets) - 1) << 13 | (u64)((ways) - 1) << 3 | 2)

/* ---- access rules ---- */

enum el0_rule {
	EL0_NONE,   /* UNDEFINED at EL0 */
	EL0_RW,     /* as at EL1 */
	EL0_RO,     /* reads only (TPIDRRO_EL0) */
	EL0_UCT,    /* SCTLR_EL1.UCT */
	EL0_UMA,    /* SCTLR_EL1.UMA */
	EL0_PCT,    /* CNTKCTL_EL1.EL0PCTEN */
	EL0_VCT,    /* CNTKCTL_EL1.EL0VCTEN */
	EL0_FRQ,    /* EL0PCTEN or EL0VCTEN */
	EL0_PT,     /* CNTKCTL_EL1.EL0PTEN */
	EL0_VT,     /* CNTKCTL_EL1.EL0VTEN */
};

#define SR_RO 0x1    /* MSR is UNDEFINED */
#define SR_WO 0x2    /* MRS is UNDEFINED */
#define SR_FP 0x4    /* CPACR_EL1.FPEN applies */
#define SR_CONST 0x8 /* reads `value`, writes ignored */

struct a64_sysreg_def {
	u32 key;
	const char *name;
	u8 el0, flags;
	u16 off;         /* offsetof(struct a64_cpu, field), when no read/write */
	u64 value;       /* SR_CONST: the value; else the write mask */
	u64 (*read)(struct a64_cpu *c);
	int (*write)(struct a64_cpu *c, u64 v);
};

#define CPU_OFF(f) ((u16)offsetof(struct a64_cpu, f))
_Static_assert(offsetof(struct a64_cpu, sys) + sizeof(struct a64_sysregs) <= 0xffff,
	       "register fields are found by a 16-bit offset");

/* ---- registers with behaviour ---- */

static u64 rd_mpidr(struct a64_cpu *c)
{
	/* U (30) = 0: part of a multiprocessor; MT = 0; Aff0 = the vCPU. */
	return 1ull << 31 | (c->cpu_index & 0xff) | (u64)((c->cpu_index >> 8) & 0xff) << 8;
}

static u64 rd_currentel(struct a64_cpu *c)
{
	return (u64)c->el << 2;
}

static u64 rd_daif(struct a64_cpu *c)
{
	return (u64)c->daif << 6;
}

static int wr_daif(struct a64_cpu *c, u64 v)
{
	c->daif = (v >> 6) & 0xf;
	return a64_interrupt_pending(c) ? A64_STOP : A64_OK;
}

static u64 rd_nzcv(struct a64_cpu *c)
{
	return c->nzcv;
}

static int wr_nzcv(struct a64_cpu *c, u64 v)
{
	c->nzcv = (u32)v & 0xf0000000u;
	return A64_OK;
}

static u64 rd_spsel(struct a64_cpu *c)
{
	return c->spsel;
}

static int wr_spsel(struct a64_cpu *c, u64 v)
{
	a64_set_spsel(c, v & 1);
	return A64_OK;
}

static u64 rd_fpcr(struct a64_cpu *c)
{
	return c->fpcr;
}

/* FPCR: AHP, DN, FZ, RMode.  FZ16 needs FP16; the trap enables
 * (IOE..IDE) are RAZ/WI: floating-point exceptions never trap. */
static int wr_fpcr(struct a64_cpu *c, u64 v)
{
	c->fpcr = (u32)v & 0x07c00000u;
	return A64_OK;
}

static u64 rd_fpsr(struct a64_cpu *c)
{
	return c->fpsr;
}

/* FPSR: QC and the cumulative exception flags (NZCV are AArch32's). */
static int wr_fpsr(struct a64_cpu *c, u64 v)
{
	c->fpsr = (u32)v & 0x0800009fu;
	return A64_OK;
}

static u64 rd_sp_el0(struct a64_cpu *c)
{
	return c->sp_el0;
}

static int wr_sp_el0(struct a64_cpu *c, u64 v)
{
	c->sp_el0 = v;
	return A64_OK;
}

/* SCTLR_EL1: what is stored (M A C SA SA0 ITD SED UMA I DZE UCT nTWI
 * nTWE WXN UCI), and the bits that are RES1 on this CPU (EOS, TSCXT,
 * EIS, SPAN, nTLSMD, LSMAOE: their features are absent).  E0E/EE are
 * RES0: little-endian only. */
#define SCTLR_STORED 0x040dd39full
#define SCTLR_RES1 0x30d00800ull
/* Changes of these flush the TLB: translation on/off, alignment checks
 * (fast tags), WXN (rights). */
#define SCTLR_TLB_BITS (A64_SCTLR_M | A64_SCTLR_A | A64_SCTLR_WXN)

static int wr_sctlr(struct a64_cpu *c, u64 v)
{
	u64 old = c->sys.sctlr_el1;
	c->sys.sctlr_el1 = (v & SCTLR_STORED) | SCTLR_RES1;
	if ((old ^ c->sys.sctlr_el1) & SCTLR_TLB_BITS) {
		a64_tlb_flush_all(c);
		return A64_STOP;
	}
	return A64_OK;
}

/* TCR_EL1: T0SZ EPD0 IRGN0 ORGN0 SH0 TG0 T1SZ A1 EPD1 IRGN1 ORGN1 SH1 TG1
 * IPS AS TBI0 TBI1; HA/HD, HPD, HWU, TBID, NFD, E0PD are RES0 here. */
#define TCR_MASK (0x7ffffffbfull | 7ull << 36)

static int wr_tcr(struct a64_cpu *c, u64 v)
{
	v &= TCR_MASK;
	if (v == c->sys.tcr_el1)
		return A64_OK;
	c->sys.tcr_el1 = v;
	a64_tlb_flush_all(c);
	a64_tlb_sync_asid(c);
	return A64_STOP;
}

/* TTBRn: ASID and BADDR; CnP (bit 0) is RES0.  The TLB follows the ASID;
 * a new table base with the same ASID flushes nothing (the architecture
 * asks software for a TLBI). */
static int wr_ttbr(struct a64_cpu *c, u64 *reg, u64 v)
{
	*reg = v & ~1ull;
	u64 gen = c->tlb.gen;
	a64_tlb_sync_asid(c);
	return gen != c->tlb.gen ? A64_STOP : A64_OK;
}

static int wr_ttbr0(struct a64_cpu *c, u64 v)
{
	return wr_ttbr(c, &c->sys.ttbr0_el1, v);
}

static int wr_ttbr1(struct a64_cpu *c, u64 v)
{
	return wr_ttbr(c, &c->sys.ttbr1_el1, v);
}

static u64 rd_isr(struct a64_cpu *c)
{
	return (c->irq_line ? 1u << 7 : 0) | (c->fiq_line ? 1u << 6 : 0);
}

static u64 rd_ccsidr(struct a64_cpu *c)
{
	switch (c->sys.csselr_el1 & 0xf) {
	case 0: return CCSIDR(128, 4);   /* L1 data: 32 KiB */
	case 1: return CCSIDR(128, 4);   /* L1 instruction: 32 KiB */
	case 2: return CCSIDR(1024, 16); /* L2 unified: 1 MiB */
	default: return 0;               /* no such cache */
	}
}

static u64 rd_dczid(struct a64_cpu *c)
{
	bool dzp = c->el == 0 && !(c->sys.sctlr_el1 & A64_SCTLR_DZE);
	return DCZID_BS | (dzp ? DCZID_DZP : 0);
}

/* OSLAR_EL1 sets the OS lock (OSLSR_EL1.OSLK, bit 1); OSLSR_EL1 reads
 * OSLM = 0b10 (bit 3: the lock is implemented) and OSLK. */
static int wr_oslar(struct a64_cpu *c, u64 v)
{
	c->sys.oslsr_el1 = (v & 1) << 1;
	return A64_OK;
}

static u64 rd_oslsr(struct a64_cpu *c)
{
	return 0x8 | (c->sys.oslsr_el1 & 2);
}

static int wr_claimset(struct a64_cpu *c, u64 v)
{
	c->sys.dbgclaim |= v & 0xff;
	return A64_OK;
}

/* DBGCLAIMSET_EL1 reads which claim bits exist: all eight. */
static u64 rd_claimset(struct a64_cpu *c)
{
	(void)c;
	return 0xff;
}

static int wr_claimclr(struct a64_cpu *c, u64 v)
{
	c->sys.dbgclaim &= ~(v & 0xff);
	return A64_OK;
}

static u64 rd_claimclr(struct a64_cpu *c)
{
	return c->sys.dbgclaim;
}

/* ---- the generic timer ---- */

u64 a64_timer_count(struct a64_cpu *c)
{
	return c->cb.now_ns ? c->cb.now_ns(c->cb.opaque) / A64_NS_PER_TICK : 0;
}

static u64 *timer_ctl(struct a64_cpu *c, bool phys)
{
	return phys ? &c->sys.cntp_ctl_el0 : &c->sys.cntv_ctl_el0;
}

static u64 *timer_cval(struct a64_cpu *c, bool phys)
{
	return phys ? &c->sys.cntp_cval_el0 : &c->sys.cntv_cval_el0;
}

static bool timer_met(struct a64_cpu *c, bool phys)
{
	return (*timer_ctl(c, phys) & A64_CNT_ENABLE) && a64_timer_count(c) >= *timer_cval(c, phys);
}

bool a64_timer_irq(struct a64_cpu *c, bool phys)
{
	return timer_met(c, phys) && !(*timer_ctl(c, phys) & A64_CNT_IMASK);
}

u64 a64_timer_deadline_ns(struct a64_cpu *c, bool phys)
{
	u64 ctl = *timer_ctl(c, phys), cval = *timer_cval(c, phys);
	if (!(ctl & A64_CNT_ENABLE) || (ctl & A64_CNT_IMASK))
		return ~0ull;
	return cval > ~0ull / A64_NS_PER_TICK ? ~0ull : cval * A64_NS_PER_TICK;
}

u64 a64_evtstrm_next_ns(struct a64_cpu *c, u64 now_ns)
{
	u64 k = c->sys.cntkctl_el1;
	if (!(k & 0x4)) /* EVNTEN */
		return ~0ull;
	unsigned n = (k >> 4) & 0xf;  /* EVNTI: the counter bit watched */
	u64 period = 2ull << n, phase = (k & 0x8) ? 0 : 1ull << n; /* EVNTDIR: 1->0 */
	u64 cnt = now_ns / A64_NS_PER_TICK, next;
	if (cnt < phase)
		next = phase;
	else
		next = ((cnt - phase) / period + 1) * period + phase;
	return next > ~0ull / A64_NS_PER_TICK ? ~0ull : next * A64_NS_PER_TICK;
}

static int timer_written(struct a64_cpu *c)
{
	if (c->cb.timer_changed)
		c->cb.timer_changed(c->cb.opaque, c);
	return A64_STOP;
}

static u64 rd_cntfrq(struct a64_cpu *c)
{
	(void)c;
	return A64_CNTFRQ_HZ;
}

static u64 rd_cnt(struct a64_cpu *c)
{
	return a64_timer_count(c);
}

static u64 timer_ctl_read(struct a64_cpu *c, bool phys)
{
	return (*timer_ctl(c, phys) & 3) | (timer_met(c, phys) ? A64_CNT_ISTATUS : 0);
}

static int timer_ctl_write(struct a64_cpu *c, bool phys, u64 v)
{
	*timer_ctl(c, phys) = v & (A64_CNT_ENABLE | A64_CNT_IMASK);
	return timer_written(c);
}

/* TVAL: the low 32 bits of CVAL - count; a write sets CVAL to count +
 * the signed 32-bit value. */
static u64 timer_tval_read(struct a64_cpu *c, bool phys)
{
	return (u32)(*timer_cval(c, phys) - a64_timer_count(c));
}

static int timer_tval_write(struct a64_cpu *c, bool phys, u64 v)
{
	*timer_cval(c, phys) = a64_timer_count(c) + (u64)(i64)(i32)(u32)v;
	return timer_written(c);
}

static u64 rd_cntv_ctl(struct a64_cpu *c) { return timer_ctl_read(c, false); }
static u64 rd_cntp_ctl(struct a64_cpu *c) { return timer_ctl_read(c, true); }
static int wr_cntv_ctl(struct a64_cpu *c, u64 v) { return timer_ctl_write(c, false, v); }
static int wr_cntp_ctl(struct a64_cpu *c, u64 v) { return timer_ctl_write(c, true, v); }
static u64 rd_cntv_tval(struct a64_cpu *c) { return timer_tval_read(c, false); }
static u64 rd_cntp_tval(struct a64_cpu *c) { return timer_tval_read(c, true); }
static int wr_cntv_tval(struct a64_cpu *c, u64 v) { return timer_tval_write(c, false, v); }
static int wr_cntp_tval(struct a64_cpu *c, u64 v) { return timer_tval_write(c, true, v); }

static int wr_cntv_cval(struct a64_cpu *c, u64 v)
{
	c->sys.cntv_cval_el0 = v;
	return timer_written(c);
}

static int wr_cntp_cval(struct a64_cpu *c, u64 v)
{
	c->sys.cntp_cval_el0 = v;
	return timer_written(c);
}

/* CNTKCTL_EL1: EL0PCTEN, EL0VCTEN, EVNTEN, EVNTDIR, EVNTI, EL0VTEN, EL0PTEN. */
static int wr_cntkctl(struct a64_cpu *c, u64 v)
{
	c->sys.cntkctl_el1 = v & 0x3ff;
	return timer_written(c);
}

/* CNTFRQ_EL0 is only writable at the highest EL (EL1 here): writes are
 * ignored; the frequency is fixed. */
static int wr_ignore(struct a64_cpu *c, u64 v)
{
	(void)c;
	(void)v;
	return A64_OK;
}

/* ---- the table ---- */

#define FIELD(k, n, rule, f, mask) { k, n, rule, 0, CPU_OFF(f), mask, NULL, NULL }
#define CONSTANT(k, n, rule, v) { k, n, rule, SR_RO | SR_CONST, 0, v, NULL, NULL }
#define RAZWI(k, n) { k, n, EL0_NONE, SR_CONST, 0, 0, NULL, NULL }
#define FUNCS(k, n, rule, flags, rd, wr) { k, n, rule, flags, 0, 0, rd, wr }
#define FIELD_W(k, n, rule, f, wr) { k, n, rule, 0, CPU_OFF(f), 0, NULL, wr }

static const struct a64_sysreg_def table[] = {
	/* Identification. */
	CONSTANT(R(3, 0, 0, 0, 0), "MIDR_EL1", EL0_NONE, MIDR_VALUE),
	FUNCS(R(3, 0, 0, 0, 5), "MPIDR_EL1", EL0_NONE, SR_RO, rd_mpidr, NULL),
	CONSTANT(R(3, 0, 0, 0, 6), "REVIDR_EL1", EL0_NONE, 0),
	CONSTANT(R(3, 0, 0, 4, 0), "ID_AA64PFR0_EL1", EL0_NONE, PFR0_VALUE),
	CONSTANT(R(3, 0, 0, 4, 1), "ID_AA64PFR1_EL1", EL0_NONE, 0),
	CONSTANT(R(3, 0, 0, 4, 4), "ID_AA64ZFR0_EL1", EL0_NONE, 0),
	CONSTANT(R(3, 0, 0, 5, 0), "ID_AA64DFR0_EL1", EL0_NONE, DFR0_VALUE),
	CONSTANT(R(3, 0, 0, 5, 1), "ID_AA64DFR1_EL1", EL0_NONE, 0),
	CONSTANT(R(3, 0, 0, 5, 4), "ID_AA64AFR0_EL1", EL0_NONE, 0),
	CONSTANT(R(3, 0, 0, 5, 5), "ID_AA64AFR1_EL1", EL0_NONE, 0),
	CONSTANT(R(3, 0, 0, 6, 0), "ID_AA64ISAR0_EL1", EL0_NONE, ISAR0_VALUE),
	CONSTANT(R(3, 0, 0, 6, 1), "ID_AA64ISAR1_EL1", EL0_NONE, ISAR1_VALUE),
	CONSTANT(R(3, 0, 0, 6, 2), "ID_AA64ISAR2_EL1", EL0_NONE, 0),
	CONSTANT(R(3, 0, 0, 7, 0), "ID_AA64MMFR0_EL1", EL0_NONE, MMFR0_VALUE),
	CONSTANT(R(3, 0, 0, 7, 1), "ID_AA64MMFR1_EL1", EL0_NONE, 0),
	CONSTANT(R(3, 0, 0, 7, 2), "ID_AA64MMFR2_EL1", EL0_NONE, 0),
	/* (the AArch32 ID registers, CRm 1-3, read as zero with the rest of
	 * the reserved ID space: no AArch32 at any EL) */
	FUNCS(R(3, 1, 0, 0, 0), "CCSIDR_EL1", EL0_NONE, SR_RO, rd_ccsidr, NULL),
	CONSTANT(R(3, 1, 0, 0, 1), "CLIDR_EL1", EL0_NONE, CLIDR_VALUE),
	CONSTANT(R(3, 1, 0, 0, 7), "AIDR_EL1", EL0_NONE, 0),
	FIELD(R(3, 2, 0, 0, 0), "CSSELR_EL1", EL0_NONE, sys.csselr_el1, 0xf),
	CONSTANT(R(3, 3, 0, 0, 1), "CTR_EL0", EL0_UCT, CTR_VALUE),
	FUNCS(R(3, 3, 0, 0, 7), "DCZID_EL0", EL0_RW, SR_RO, rd_dczid, NULL),
	/* System control and translation. */
	FIELD_W(R(3, 0, 1, 0, 0), "SCTLR_EL1", EL0_NONE, sys.sctlr_el1, wr_sctlr),
	RAZWI(R(3, 0, 1, 0, 1), "ACTLR_EL1"),
	FIELD(R(3, 0, 1, 0, 2), "CPACR_EL1", EL0_NONE, sys.cpacr_el1, 0x300000), /* FPEN */
	FIELD_W(R(3, 0, 2, 0, 0), "TTBR0_EL1", EL0_NONE, sys.ttbr0_el1, wr_ttbr0),
	FIELD_W(R(3, 0, 2, 0, 1), "TTBR1_EL1", EL0_NONE, sys.ttbr1_el1, wr_ttbr1),
	FIELD_W(R(3, 0, 2, 0, 2), "TCR_EL1", EL0_NONE, sys.tcr_el1, wr_tcr),
	FIELD(R(3, 0, 10, 2, 0), "MAIR_EL1", EL0_NONE, sys.mair_el1, ~0ull),
	FIELD(R(3, 0, 10, 3, 0), "AMAIR_EL1", EL0_NONE, sys.amair_el1, ~0ull),
	FIELD(R(3, 0, 7, 4, 0), "PAR_EL1", EL0_NONE, sys.par_el1, ~0ull),
	FIELD(R(3, 0, 13, 0, 1), "CONTEXTIDR_EL1", EL0_NONE, sys.contextidr_el1, 0xffffffffull),
	/* Exceptions. */
	FIELD(R(3, 0, 4, 0, 0), "SPSR_EL1", EL0_NONE, sys.spsr_el1, 0xf03003dfull),
	FIELD(R(3, 0, 4, 0, 1), "ELR_EL1", EL0_NONE, sys.elr_el1, ~0ull),
	FUNCS(R(3, 0, 4, 1, 0), "SP_EL0", EL0_NONE, 0, rd_sp_el0, wr_sp_el0),
	FUNCS(R(3, 0, 4, 2, 0), "SPSel", EL0_NONE, 0, rd_spsel, wr_spsel),
	FUNCS(R(3, 0, 4, 2, 2), "CurrentEL", EL0_NONE, SR_RO, rd_currentel, NULL),
	FUNCS(R(3, 3, 4, 2, 0), "NZCV", EL0_RW, 0, rd_nzcv, wr_nzcv),
	FUNCS(R(3, 3, 4, 2, 1), "DAIF", EL0_UMA, 0, rd_daif, wr_daif),
	FUNCS(R(3, 3, 4, 4, 0), "FPCR", EL0_RW, SR_FP, rd_fpcr, wr_fpcr),
	FUNCS(R(3, 3, 4, 4, 1), "FPSR", EL0_RW, SR_FP, rd_fpsr, wr_fpsr),
	FIELD(R(3, 0, 5, 1, 0), "AFSR0_EL1", EL0_NONE, sys.afsr0_el1, ~0ull),
	FIELD(R(3, 0, 5, 1, 1), "AFSR1_EL1", EL0_NONE, sys.afsr1_el1, ~0ull),
	FIELD(R(3, 0, 5, 2, 0), "ESR_EL1", EL0_NONE, sys.esr_el1, 0xffffffffull),
	FIELD(R(3, 0, 6, 0, 0), "FAR_EL1", EL0_NONE, sys.far_el1, ~0ull),
	FIELD(R(3, 0, 12, 0, 0), "VBAR_EL1", EL0_NONE, sys.vbar_el1, ~0x7ffull),
	CONSTANT(R(3, 0, 12, 0, 1), "RVBAR_EL1", EL0_NONE, 0),
	FUNCS(R(3, 0, 12, 1, 0), "ISR_EL1", EL0_NONE, SR_RO, rd_isr, NULL),
	/* Thread IDs. */
	FIELD(R(3, 0, 13, 0, 4), "TPIDR_EL1", EL0_NONE, sys.tpidr_el1, ~0ull),
	FIELD(R(3, 3, 13, 0, 2), "TPIDR_EL0", EL0_RW, sys.tpidr_el0, ~0ull),
	FIELD(R(3, 3, 13, 0, 3), "TPIDRRO_EL0", EL0_RO, sys.tpidrro_el0, ~0ull),
	/* The generic timer. */
	FIELD_W(R(3, 0, 14, 1, 0), "CNTKCTL_EL1", EL0_NONE, sys.cntkctl_el1, wr_cntkctl),
	FUNCS(R(3, 3, 14, 0, 0), "CNTFRQ_EL0", EL0_FRQ, 0, rd_cntfrq, wr_ignore),
	FUNCS(R(3, 3, 14, 0, 1), "CNTPCT_EL0", EL0_PCT, SR_RO, rd_cnt, NULL),
	FUNCS(R(3, 3, 14, 0, 2), "CNTVCT_EL0", EL0_VCT, SR_RO, rd_cnt, NULL),
	FUNCS(R(3, 3, 14, 2, 0), "CNTP_TVAL_EL0", EL0_PT, 0, rd_cntp_tval, wr_cntp_tval),
	FUNCS(R(3, 3, 14, 2, 1), "CNTP_CTL_EL0", EL0_PT, 0, rd_cntp_ctl, wr_cntp_ctl),
	FIELD_W(R(3, 3, 14, 2, 2), "CNTP_CVAL_EL0", EL0_PT, sys.cntp_cval_el0, wr_cntp_cval),
	FUNCS(R(3, 3, 14, 3, 0), "CNTV_TVAL_EL0", EL0_VT, 0, rd_cntv_tval, wr_cntv_tval),
	FUNCS(R(3, 3, 14, 3, 1), "CNTV_CTL_EL0", EL0_VT, 0, rd_cntv_ctl, wr_cntv_ctl),
	FIELD_W(R(3, 3, 14, 3, 2), "CNTV_CVAL_EL0", EL0_VT, sys.cntv_cval_el0, wr_cntv_cval),
	/* Debug: kept, not acted on. */
	FIELD(R(2, 0, 0, 2, 0), "MDCCINT_EL1", EL0_NONE, sys.mdccint_el1, 0x60000000ull),
	FIELD(R(2, 0, 0, 2, 2), "MDSCR_EL1", EL0_NONE, sys.mdscr_el1, 0xffffffffull),
	FIELD(R(2, 0, 0, 0, 4), "DBGBVR0_EL1", EL0_NONE, sys.dbgbvr[0], ~0ull),
	FIELD(R(2, 0, 0, 0, 5), "DBGBCR0_EL1", EL0_NONE, sys.dbgbcr[0], 0xffffffffull),
	FIELD(R(2, 0, 0, 0, 6), "DBGWVR0_EL1", EL0_NONE, sys.dbgwvr[0], ~0ull),
	FIELD(R(2, 0, 0, 0, 7), "DBGWCR0_EL1", EL0_NONE, sys.dbgwcr[0], 0xffffffffull),
	FIELD(R(2, 0, 0, 1, 4), "DBGBVR1_EL1", EL0_NONE, sys.dbgbvr[1], ~0ull),
	FIELD(R(2, 0, 0, 1, 5), "DBGBCR1_EL1", EL0_NONE, sys.dbgbcr[1], 0xffffffffull),
	FIELD(R(2, 0, 0, 1, 6), "DBGWVR1_EL1", EL0_NONE, sys.dbgwvr[1], ~0ull),
	FIELD(R(2, 0, 0, 1, 7), "DBGWCR1_EL1", EL0_NONE, sys.dbgwcr[1], 0xffffffffull),
	CONSTANT(R(2, 0, 1, 0, 0), "MDRAR_EL1", EL0_NONE, 0),
	FUNCS(R(2, 0, 1, 0, 4), "OSLAR_EL1", EL0_NONE, SR_WO, NULL, wr_oslar),
	FUNCS(R(2, 0, 1, 1, 4), "OSLSR_EL1", EL0_NONE, SR_RO, rd_oslsr, NULL),
	FIELD(R(2, 0, 1, 3, 4), "OSDLR_EL1", EL0_NONE, sys.osdlr_el1, 1),
	FIELD(R(2, 0, 1, 4, 4), "DBGPRCR_EL1", EL0_NONE, sys.dbgprcr_el1, 1),
	FUNCS(R(2, 0, 7, 8, 6), "DBGCLAIMSET_EL1", EL0_NONE, 0, rd_claimset, wr_claimset),
	FUNCS(R(2, 0, 7, 9, 6), "DBGCLAIMCLR_EL1", EL0_NONE, 0, rd_claimclr, wr_claimclr),
	/* The debug communications channel: empty, output dropped. */
	CONSTANT(R(2, 3, 0, 1, 0), "MDCCSR_EL0", EL0_NONE, 0),
	RAZWI(R(2, 3, 0, 4, 0), "DBGDTR_EL0"),
	RAZWI(R(2, 3, 0, 5, 0), "DBGDTRRX_EL0"),
};

/* The reserved ID space (op0 3, op1 0, CRn 0, CRm 1-7) reads as zero at
 * EL1: the AArch32 ID registers and the unallocated ones. */
static const struct a64_sysreg_def reserved_id = {
	0, "(reserved ID register)", EL0_NONE, SR_RO | SR_CONST, 0, 0, NULL, NULL
};

const struct a64_sysreg_def *a64_sysreg_lookup(u32 key)
{
	for (size_t k = 0; k < ARRAY_SIZE(table); k++)
		if (table[k].key == key)
			return &table[k];
	unsigned crm = (key >> 3) & 0xf;
	if ((key & ~(u32)0x7f) == R(3, 0, 0, 0, 0) && crm >= 1 && crm <= 7)
		return &reserved_id;
	return NULL;
}

const char *a64_sysreg_name(u32 key)
{
	const struct a64_sysreg_def *r = a64_sysreg_lookup(key);
	return r ? r->name : NULL;
}

static u64 *field(struct a64_cpu *c, const struct a64_sysreg_def *r)
{
	return (u64 *)((u8 *)c + r->off);
}

static u64 do_read(struct a64_cpu *c, const struct a64_sysreg_def *r)
{
	if (r->read)
		return r->read(c);
	if (r->flags & SR_CONST)
		return r->value;
	return *field(c, r);
}

static int do_write(struct a64_cpu *c, const struct a64_sysreg_def *r, u64 v)
{
	if (r->write)
		return r->write(c, v);
	if (!(r->flags & SR_CONST))
		*field(c, r) = v & r->value;
	return A64_OK;
}

/* ---- MRS and MSR ---- */

/* ESR ISS of a trapped MRS/MSR (EC 0x18). */
static u32 trap_iss(u32 key, unsigned rt, bool read)
{
	u32 op0 = key >> 14 & 3, op1 = key >> 11 & 7, crn = key >> 7 & 15;
	u32 crm = key >> 3 & 15, op2 = key & 7;
	return op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | (u32)rt << 5 | crm << 1 |
	       (read ? 1u : 0u);
}

int a64_sysreg_trap(struct a64_cpu *c, u32 key, unsigned rt, bool read)
{
	return a64_take_sync(c, A64_EC_SYSREG, trap_iss(key, rt, read), 0, false);
}

/* At EL0: true when rule `rule` lets the access through; false with the
 * exception taken (UNDEFINED, or trapped with EC 0x18) in *status. */
static bool el0_allows(struct a64_cpu *c, unsigned rule, u32 key, unsigned rt, bool read,
		       int *status)
{
	u64 sctlr = c->sys.sctlr_el1, k = c->sys.cntkctl_el1;
	bool ok;
	switch (rule) {
	case EL0_RW: return true;
	case EL0_RO:
		if (read)
			return true;
		*status = a64_undefined(c);
		return false;
	case EL0_UCT: ok = sctlr & A64_SCTLR_UCT; break;
	case EL0_UMA: ok = sctlr & A64_SCTLR_UMA; break;
	case EL0_PCT: ok = k & 0x1; break;
	case EL0_VCT: ok = k & 0x2; break;
	case EL0_FRQ: ok = k & 0x3; break;
	case EL0_PT: ok = k & 0x200; break;
	case EL0_VT: ok = k & 0x100; break;
	default:
		*status = a64_undefined(c);
		return false;
	}
	if (!ok)
		*status = a64_sysreg_trap(c, key, rt, read);
	return ok;
}

/* The checks common to MRS and MSR: A64_OK, or the exception taken. */
static int check_access(struct a64_cpu *c, const struct a64_sysreg_def *r, u32 key, unsigned rt,
			bool read)
{
	int status = A64_OK;
	if (r->flags & (read ? SR_WO : SR_RO))
		return a64_undefined(c);
	if (c->el == 0 && !el0_allows(c, r->el0, key, rt, read, &status))
		return status;
	/* SP_EL0 is not accessible by name while it is the current SP. */
	if (key == R(3, 0, 4, 1, 0) && !c->spsel)
		return a64_undefined(c);
	if (r->flags & SR_FP)
		return a64_fp_check(c);
	return A64_OK;
}

int a64_sysreg_mrs(struct a64_cpu *c, const struct a64_sysreg_def *r, u32 key, unsigned rt,
		   u64 *v)
{
	if (!r) {
		if (c->el == 1 && c->cb.sysreg && c->cb.sysreg(c->cb.opaque, c, key, v, false))
			return A64_OK;
		return a64_undefined(c);
	}
	int status = check_access(c, r, key, rt, true);
	if (status != A64_OK)
		return status;
	*v = do_read(c, r);
	return A64_OK;
}

int a64_sysreg_msr(struct a64_cpu *c, const struct a64_sysreg_def *r, u32 key, unsigned rt,
		   u64 v)
{
	if (!r) {
		if (c->el == 1 && c->cb.sysreg && c->cb.sysreg(c->cb.opaque, c, key, &v, true))
			return A64_OK;
		return a64_undefined(c);
	}
	int status = check_access(c, r, key, rt, false);
	if (status != A64_OK)
		return status;
	return do_write(c, r, v);
}

bool a64_sysreg_read(struct a64_cpu *c, u32 key, u64 *v)
{
	const struct a64_sysreg_def *r = a64_sysreg_lookup(key);
	if (!r || (r->flags & SR_WO))
		return false;
	*v = do_read(c, r);
	return true;
}

bool a64_sysreg_write(struct a64_cpu *c, u32 key, u64 v)
{
	const struct a64_sysreg_def *r = a64_sysreg_lookup(key);
	if (!r || (r->flags & SR_RO))
		return false;
	do_write(c, r, v);
	return true;
}

int a64_fp_check(struct a64_cpu *c)
{
	unsigned fpen = (c->sys.cpacr_el1 >> 20) & 3;
	if (fpen == 3 || (fpen == 1 && c->el == 1))
		return A64_OK;
	/* ISS: CV = 1, COND = 0b1110, as for any trap from AArch64. */
	return a64_take_sync(c, A64_EC_FP_ACCESS, 1u << 24 | 0xeu << 20, 0, false);
}

void a64_sysreg_reset(struct a64_cpu *c)
{
	memset(&c->sys, 0, sizeof(c->sys));
	c->sys.sctlr_el1 = SCTLR_RES1;
	c->sys.oslsr_el1 = 2; /* the OS lock is set at cold reset */
	c->el = 1;
	c->spsel = 1;
	c->daif = 0xf;
	c->nzcv = 0;
	c->il = 0;
	c->event = 0;
	c->wait = 0;
	c->monitor.open = false;
	a64_tlb_reset(c);
}
