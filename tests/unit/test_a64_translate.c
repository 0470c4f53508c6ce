/*
 * The A64 translator (src/arch/arm64/a64_translate.c) against the
 * interpreter it must match exactly: random blocks (native data
 * processing, loads and stores in every addressing mode, handler calls
 * between them, a branch or WFI or nothing at the end) run once through
 * the reference loop of a64_engine.c's run_block and once through their
 * translation, from the same state, and everything is compared: the
 * general registers, PC, NZCV, PSTATE, the banked SPs, the instruction
 * count, the result (the status | the ending instruction's encoding
 * << 32, for the interpreter's status and index), the SIMD&FP registers, the
 * monitor, every system register (ESR, FAR, ELR, SPSR after a fault),
 * all of guest RAM, and the MMIO and ram_written calls made.
 *
 * Each block runs with the MMU off (data accesses are Device memory:
 * the slow path) or on (identity-mapped pages with EL0/EL1/read-only
 * rights, an unmapped page, a Device page to MMIO), at EL1 or EL0, and
 * twice: the second run starts from the same registers and RAM but keeps
 * the TLB the first run filled, so that native accesses take the TLB
 * fast path.  Then a few directed blocks: a store and a load through the
 * fast path, a Data Abort on the third instruction, WFI last, a trapped
 * WFI at EL0, a misaligned SP with and without SCTLR.SA.  Those
 * translations are not linked (cb.chain_link is NULL: every block returns
 * to the caller); last, pairs of blocks in one page are, through a
 * chain_link that checks what the engine's does, against the blocks run
 * one after the other.  A translation that crashes is reported as a
 * failure (its code memory is filled with int3 first).
 *
 * The CPU is the bare one test_a64_mmu.c builds (a flat RAM bus, page
 * tables written by hand, the registers set with a64_sysreg_write).
 * ENCORE_TEST_SEED changes the blocks, ENCORE_A64_BLOCKS their number.
 */
#include <capstone/capstone.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "arch/arm64/a64_code.h"
#include "arch/arm64/a64_cpu.h"
#include "arch/arm64/a64_exception.h"
#include "arch/arm64/a64_mem.h"
#include "arch/arm64/a64_mmu.h"
#include "arch/arm64/a64_sysreg.h"
#include "arch/arm64/a64_translate.h"
#include "host/code_memory.h"
#include "a64_tables.h"

/* ---- the machine: 128 KiB of RAM ---- */

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (128u << 10)
#define TABLES (RAM_BASE + 0x1000)   /* L1, L2, L3 (pages 1..3) */
#define CODE (RAM_BASE + 0x4000)     /* pages 4..7: where PCs point (read-only) */
#define CODE_SIZE 0x4000u
#define DATA (RAM_BASE + 0x8000)     /* pages 8..12: RW at EL0 and EL1 */
#define DATA_RW_SIZE 0x5000u
#define PG_EL1 (DATA + 0x5000)       /* page 13: RW at EL1 only */
#define PG_RO (DATA + 0x6000)        /* page 14: read-only at both */
#define PG_UNMAPPED (DATA + 0x7000)  /* page 15: not mapped */
#define MMIO_VA (RAM_BASE + 0x10000) /* page 16: (MMU on) Device, to MMIO_PA */
#define MMIO_PA 0x09000000ull
#define VBAR 0xffff000000010000ull

/* T0SZ 25 (level 1 start), no TTBR1 walks, 4 KiB granules, 40-bit IPA. */
#define TCR_VALUE (25ull | 1ull << 23 | 25ull << 16 | 2ull << 30 | 2ull << 32)

static u8 *ram;      /* what the CPUs see */
static u8 *ram_init; /* the RAM every run starts from */
static u8 *ram_ref[2];

/* What the devices and the engine are told, hashed per run. */
static u64 mmio_hash, written_hash;
static unsigned written_count;

static u64 mix(u64 h, u64 v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static u8 *ram_ptr(void *opaque, u64 pa)
{
	(void)opaque;
	return pa >= RAM_BASE && pa - RAM_BASE < RAM_SIZE ? ram + (pa - RAM_BASE) : NULL;
}

/* Reads a pattern of the address; writes are ignored (but hashed). */
static void mmio(void *opaque, u64 pa, u8 *data, unsigned len, bool is_write)
{
	(void)opaque;
	mmio_hash = mix(mmio_hash, pa << 8 | len << 1 | is_write);
	for (unsigned k = 0; k < len; k++) {
		if (is_write)
			mmio_hash = mix(mmio_hash, data[k]);
		else
			data[k] = (u8)((pa + k) * 0x9d ^ 0x5a);
	}
}

static void on_ram_written(void *opaque, u64 pa, unsigned len)
{
	(void)opaque;
	written_hash = mix(written_hash, pa << 8 | len);
	written_count++;
}

static void wr64(u64 pa, u64 v)
{
	memcpy(ram_init + (pa - RAM_BASE), &v, 8);
}

/* ---- CPUs ---- */

static struct rng R;
static struct a64_cpu *tmpl[2]; /* [mmu]: reset, EL1, TLB empty */
static struct a64_cpu *s0, *ca, *cb, *snap[2];
static struct a64_block *blk;
static u8 *code;
static u32 frame_gen = 7; /* the generation the blocks are translated under */

#define CPU_HEAD offsetof(struct a64_cpu, tlb) /* everything but the TLB */

static struct a64_cpu *new_cpu(void)
{
	struct a64_cpu *c = calloc(1, sizeof(*c));
	if (!c) {
		perror("calloc");
		exit(1);
	}
	return c;
}

static void set_reg(struct a64_cpu *c, u32 key, u64 v)
{
	if (!a64_sysreg_write(c, key, v)) {
		printf("FAIL setup: write of system register %#x\n", key);
		exit(1);
	}
}

static void setup(void)
{
	ram = calloc(1, RAM_SIZE);
	ram_init = calloc(1, RAM_SIZE);
	ram_ref[0] = calloc(1, RAM_SIZE);
	ram_ref[1] = calloc(1, RAM_SIZE);
	blk = calloc(1, sizeof(struct a64_block) + A64_BLOCK_MAX * sizeof(struct a64_insn));
	s0 = new_cpu();
	ca = new_cpu();
	cb = new_cpu();
	snap[0] = new_cpu();
	snap[1] = new_cpu();
	if (!ram || !ram_init || !ram_ref[0] || !ram_ref[1] || !blk) {
		perror("calloc");
		exit(1);
	}
	rng_fill(&R, ram_init, RAM_SIZE);
	/* Identity map: L1[1] -> L2, L2[0] -> L3, L3[page] for the pages. */
	memset(ram_init + (TABLES - RAM_BASE), 0, 3 * 4096);
	wr64(TABLES + 8 * 1, (TABLES + 0x1000) | D_TABLE);
	wr64(TABLES + 0x1000, (TABLES + 0x2000) | D_TABLE);
	u64 l3 = TABLES + 0x2000;
	for (u64 pg = 4; pg < 8; pg++) /* code: read-only */
		wr64(l3 + 8 * pg, (RAM_BASE + pg * 0x1000) | D_PAGE | D_AF | NORMAL | D_SH_ISH |
					  D_AP_EL0 | D_AP_RO);
	for (u64 pg = 8; pg < 13; pg++)
		wr64(l3 + 8 * pg,
		     (RAM_BASE + pg * 0x1000) | D_PAGE | D_AF | NORMAL | D_SH_ISH | D_AP_EL0);
	wr64(l3 + 8 * 13, PG_EL1 | D_PAGE | D_AF | NORMAL | D_SH_ISH);
	wr64(l3 + 8 * 14, PG_RO | D_PAGE | D_AF | NORMAL | D_SH_ISH | D_AP_EL0 | D_AP_RO);
	wr64(l3 + 8 * 16, MMIO_PA | D_PAGE | D_AF | DEVICE | D_AP_EL0);
	memcpy(ram, ram_init, RAM_SIZE);

	for (unsigned mmu = 0; mmu < 2; mmu++) {
		struct a64_cpu *c = tmpl[mmu] = new_cpu();
		c->bus = (struct a64_bus){ .ram_ptr = ram_ptr, .mmio = mmio };
		c->cb.ram_written = on_ram_written; /* write_fast_ok NULL: any page */
		a64_sysreg_reset(c);
		c->sys.vbar_el1 = VBAR;
		c->sys.cpacr_el1 = 3u << 20;
		if (mmu) {
			set_reg(c, MAIR_KEY, MAIR_VALUE);
			set_reg(c, TCR_KEY, TCR_VALUE);
			set_reg(c, TTBR0_KEY, TABLES);
			set_reg(c, SCTLR_KEY, c->sys.sctlr_el1 | A64_SCTLR_M);
		}
		a64_tlb_reset(c);
	}
	code = code_memory_map(1u << 20);
	if (!code)
		check_skip("no executable memory for translations");
}

/* ---- the two ways of running a block ---- */

static u32 run_interp(struct a64_cpu *c, const struct a64_block *b)
{
	for (unsigned k = 0; k < b->ninsns; k++) {
		int r = b->insns[k].exec(c, &b->insns[k]);
		if (r != A64_OK) {
			if (r != A64_EXC)
				c->insns++;
			return (u32)r | k << 8;
		}
		c->insns++;
	}
	return A64_OK;
}

/* ---- reports ---- */

static csh g_cs;
static bool g_cs_ok;

static void print_block(const u32 *w, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		cs_insn *insn = NULL;
		size_t got = g_cs_ok ? cs_disasm(g_cs, (const u8 *)&w[k], 4, 0, 1, &insn) : 0;
		printf("    [%2u] %08x  %s %s\n", k, w[k], got ? insn[0].mnemonic : "?",
		       got ? insn[0].op_str : "");
		if (got)
			cs_free(insn, got);
	}
}

static const char *status_name(u32 r)
{
	static const char *const names[] = { "OK", "EXC", "WAIT", "STOP" };
	return (r & 0xff) < 4 ? names[r & 0xff] : "?";
}

#define DIFF(cond, ...)                                      \
	do {                                                 \
		if (cond) {                                  \
			snprintf(out, n, __VA_ARGS__);       \
			return true;                         \
		}                                            \
	} while (0)

#define U(x) ((unsigned long long)(x))

/* The first difference between the interpreter's CPU `a` and the
 * translation's `b` (their TLBs aside). */
static bool cpu_diff(const struct a64_cpu *a, const struct a64_cpu *b, char *out, size_t n)
{
	for (unsigned r = 0; r < A64_NREGS; r++)
		DIFF(a->x[r] != b->x[r], "x[%u]%s: interpreter %#llx, translation %#llx", r,
		     r == A64_SP ? " (SP)" : r == A64_DISCARD ? " (discard)" : "", U(a->x[r]),
		     U(b->x[r]));
	DIFF(a->pc != b->pc, "pc: interpreter %#llx, translation %#llx", U(a->pc), U(b->pc));
	DIFF(a->insns != b->insns, "insns: interpreter %llu, translation %llu", U(a->insns),
	     U(b->insns));
	DIFF(a->nzcv != b->nzcv, "nzcv: interpreter %#x, translation %#x", a->nzcv, b->nzcv);
	DIFF(a->el != b->el, "el: interpreter %u, translation %u", a->el, b->el);
	DIFF(a->spsel != b->spsel, "spsel: interpreter %u, translation %u", a->spsel, b->spsel);
	DIFF(a->daif != b->daif, "daif: interpreter %#x, translation %#x", a->daif, b->daif);
	DIFF(a->sp_el0 != b->sp_el0, "sp_el0: interpreter %#llx, translation %#llx", U(a->sp_el0),
	     U(b->sp_el0));
	DIFF(a->sp_el1 != b->sp_el1, "sp_el1: interpreter %#llx, translation %#llx", U(a->sp_el1),
	     U(b->sp_el1));
	DIFF(a->sys.esr_el1 != b->sys.esr_el1, "ESR_EL1: interpreter %#llx, translation %#llx",
	     U(a->sys.esr_el1), U(b->sys.esr_el1));
	DIFF(a->sys.far_el1 != b->sys.far_el1, "FAR_EL1: interpreter %#llx, translation %#llx",
	     U(a->sys.far_el1), U(b->sys.far_el1));
	DIFF(a->sys.elr_el1 != b->sys.elr_el1, "ELR_EL1: interpreter %#llx, translation %#llx",
	     U(a->sys.elr_el1), U(b->sys.elr_el1));
	DIFF(a->sys.spsr_el1 != b->sys.spsr_el1, "SPSR_EL1: interpreter %#llx, translation %#llx",
	     U(a->sys.spsr_el1), U(b->sys.spsr_el1));
	for (size_t off = 0; off < sizeof(a->sys); off += 8) {
		u64 x, y;
		memcpy(&x, (const u8 *)&a->sys + off, 8);
		memcpy(&y, (const u8 *)&b->sys + off, 8);
		DIFF(x != y, "system register at offset %zu of a64_sysregs: %#llx, translation %#llx",
		     off, U(x), U(y));
	}
	for (unsigned r = 0; r < 32; r++)
		DIFF(memcmp(&a->v[r], &b->v[r], 16), "v%u: interpreter %016llx%016llx, translation "
		     "%016llx%016llx", r, U(a->v[r].d[1]), U(a->v[r].d[0]), U(b->v[r].d[1]),
		     U(b->v[r].d[0]));
	DIFF(a->fpcr != b->fpcr || a->fpsr != b->fpsr, "FPCR/FPSR: %#x/%#x, translation %#x/%#x",
	     a->fpcr, a->fpsr, b->fpcr, b->fpsr);
	DIFF(a->monitor.open != b->monitor.open || a->monitor.addr != b->monitor.addr ||
		     a->monitor.size != b->monitor.size,
	     "monitor: interpreter %d %#llx/%u, translation %d %#llx/%u", a->monitor.open,
	     U(a->monitor.addr), a->monitor.size, b->monitor.open, U(b->monitor.addr),
	     b->monitor.size);
	DIFF(a->event != b->event || a->wait != b->wait || a->il != b->il,
	     "event/wait/il: interpreter %u/%u/%u, translation %u/%u/%u", a->event, a->wait, a->il,
	     b->event, b->wait, b->il);
	return false;
}

/* ---- random state ---- */

static u64 rand_val(void)
{
	static const u64 edges[] = { 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
				     0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, 1 };
	switch (rng_below(&R, 8)) {
	case 0: return 0;
	case 1: return rng_below(&R, 256);
	case 2: return -(u64)rng_below(&R, 256);
	case 3: return edges[rng_below(&R, 8)];
	case 4: return 1ull << rng_below(&R, 64);
	case 5: return (u32)rng_next(&R);
	default: return rng_next(&R);
	}
}

struct cfg {
	bool mmu;
	unsigned el;
};
static struct cfg cfg;
/* A clean block: good, aligned bases and offsets, no random words, so
 * that most of it runs; the others look for trouble. */
static bool clean;

/* A base address: mostly good data, sometimes a fault or a device. */
static u64 gen_ptr(bool good)
{
	unsigned r = (unsigned)rng_below(&R, 100);
	if (clean)
		return (DATA + 0x100 + rng_below(&R, DATA_RW_SIZE - 0x200)) & ~15ull;
	if (good || r < 65) {
		u64 a = DATA + rng_below(&R, DATA_RW_SIZE - 64);
		switch (rng_below(&R, 4)) {
		case 0: case 1: return a & ~15ull;
		case 2: return a & ~7ull;
		default: return a;
		}
	}
	if (r < 80) /* the end of a page: accesses cross into the next */
		return DATA + 0x1000 * (1 + rng_below(&R, 5)) - 1 - rng_below(&R, 16);
	if (r < 85)
		return PG_EL1 + (rng_below(&R, 4096) & ~7ull);
	if (r < 90)
		return PG_RO + (rng_below(&R, 4096) & ~7ull);
	if (r < 93)
		return PG_UNMAPPED + (rng_below(&R, 4096) & ~7ull);
	if (r < 97)
		return (cfg.mmu ? MMIO_VA : MMIO_PA) + (rng_below(&R, 256) & ~(u64)rng_below(&R, 8));
	return rng_next(&R);
}

#define PTR_FIRST 1
#define PTR_N 6  /* x1..x6 hold addresses */
#define IDX_FIRST 7
#define IDX_N 3  /* x7..x9 hold small offsets */

static void gen_state(struct a64_cpu *c)
{
	memcpy(c, tmpl[cfg.mmu], sizeof(*c));
	for (unsigned r = 0; r < 31; r++)
		c->x[r] = rand_val();
	bool all_good = rng_chance(&R, 2, 3);
	for (unsigned r = PTR_FIRST; r < PTR_FIRST + PTR_N; r++)
		c->x[r] = gen_ptr(all_good || rng_chance(&R, 6, 7));
	for (unsigned r = IDX_FIRST; r < IDX_FIRST + IDX_N; r++) {
		u64 lo = rng_below(&R, 0x100);
		if (rng_chance(&R, 1, 2))
			lo &= ~7ull;
		if (clean)
			lo &= ~7ull;
		switch (clean ? 2 + rng_below(&R, 6) : rng_below(&R, 8)) {
		case 0: case 1: /* negative: SXTW/SXTX/LSL subtract, UXTW goes far */
			c->x[r] = -lo;
			break;
		case 2: /* junk above bit 31: only UXTW/SXTW stay near */
			c->x[r] = rng_next(&R) << 32 | (u32)(rng_chance(&R, 1, 2) ? lo : -lo);
			break;
		default:
			c->x[r] = lo;
		}
	}
	c->x[A64_XZR] = 0;
	c->x[A64_DISCARD] = rng_next(&R);
	u64 sp = DATA + (rng_below(&R, DATA_RW_SIZE - 256) & ~15ull) + 128;
	if (!clean && rng_chance(&R, 1, 8))
		sp += 1 + rng_below(&R, 15);
	c->x[A64_SP] = sp;
	c->sp_el0 = rand_val();
	c->sp_el1 = rand_val();
	c->el = (u8)cfg.el;
	c->spsel = cfg.el ? (u8)rng_below(&R, 2) : 0;
	c->nzcv = (u32)rng_below(&R, 16) << 28;
	c->daif = (u8)rng_below(&R, 16);
	c->irq_line = rng_chance(&R, 1, 4); /* MSR DAIFClr then returns A64_STOP */
	c->pc = rng_chance(&R, 4, 5) ? CODE + 4 * rng_below(&R, CODE_SIZE / 4 - A64_BLOCK_MAX)
				     : rng_next(&R) & ~3ull;
	c->insns = rng_below(&R, 1000);
	rng_fill(&R, c->v, sizeof(c->v));
	c->monitor.open = rng_chance(&R, 1, 2);
	c->monitor.addr = c->x[PTR_FIRST + rng_below(&R, PTR_N)] & ~7ull;
	c->monitor.size = 8;
	u64 s = c->sys.sctlr_el1 & ~(A64_SCTLR_SA | A64_SCTLR_SA0 | A64_SCTLR_A | A64_SCTLR_NTWI);
	if (rng_chance(&R, 1, 2))
		s |= A64_SCTLR_SA;
	if (rng_chance(&R, 1, 2))
		s |= A64_SCTLR_SA0;
	if (rng_chance(&R, 1, 12))
		s |= A64_SCTLR_A;
	if (rng_chance(&R, 1, 2))
		s |= A64_SCTLR_NTWI;
	c->sys.sctlr_el1 = s; /* the TLB is empty: nothing cached under the old bits */
	if (rng_chance(&R, 1, 12))
		c->sys.cpacr_el1 = 0; /* SIMD traps */
}

/* ---- instruction generators ---- */

static unsigned pick_dst(void)
{
	unsigned r = (unsigned)rng_below(&R, 100);
	if (r < 85) {
		unsigned k = (unsigned)rng_below(&R, 22);
		return k == 21 ? 0 : 10 + k; /* x0, x10..x30: not the pointers */
	}
	if (r < 95)
		return 31;
	return (unsigned)rng_below(&R, 31);
}

static unsigned pick_src(void)
{
	return (unsigned)rng_below(&R, 32);
}

static u32 rbits(unsigned n)
{
	return (u32)rng_below(&R, 1ull << n);
}

static bool decodes_native(u32 w, unsigned lo, unsigned hi)
{
	struct a64_insn i;
	a64_decode(w, &i);
	return i.native >= lo && i.native <= hi;
}

static u32 gen_dp(void)
{
	for (;;) {
		u32 sf = rbits(1), rd = pick_dst(), rn = pick_src(), rm = pick_src(), w;
		unsigned width = sf ? 64 : 32;
		switch (rng_below(&R, 16)) {
		case 11: /* SBFM: ASR, SBFX, SBFIZ, SXTB/H/W, or any */
			w = sf << 31 | 0x13000000 | sf << 22 | (u32)rng_below(&R, width) << 16 |
			    (u32)rng_below(&R, width) << 10 | rn << 5 | rd;
			break;
		case 12: /* EXTR, ROR (immediate) */
			w = sf << 31 | 0x13800000 | sf << 22 | rm << 16 |
			    (u32)rng_below(&R, width) << 10 | rn << 5 | rd;
			break;
		case 13: /* MADD, MSUB (MUL, MNEG) */
			w = sf << 31 | 0x1b000000 | rm << 16 | rbits(1) << 15 | pick_src() << 10 |
			    rn << 5 | rd;
			break;
		case 14: /* LSLV, LSRV, ASRV, RORV */
			w = sf << 31 | 0x1ac02000 | rm << 16 | rbits(2) << 10 | rn << 5 | rd;
			break;
		case 15: { /* ADD ADDS SUB SUBS (extended register), SP as Rn or Rd */
			u32 s_ = rbits(1);
			if (rng_chance(&R, 1, 4))
				rn = 31;
			w = sf << 31 | rbits(1) << 30 | s_ << 29 | 0x0b200000 | rm << 16 |
			    rbits(3) << 13 | (u32)rng_below(&R, 5) << 10 | rn << 5 | rd;
			break;
		}
		case 0: /* ADR, ADRP */
			w = rbits(1) << 31 | 0x10000000 | rbits(2) << 29 | rbits(19) << 5 | rd;
			break;
		case 1: case 2: { /* ADD, SUB, ADDS, SUBS, CMP, CMN (immediate) */
			u32 op = rbits(1), s = rbits(1);
			if (!s && rd == 31 && rng_chance(&R, 2, 3))
				rd = 0;
			if (s && rng_chance(&R, 1, 4))
				rd = 31;
			if (rng_chance(&R, 1, 6))
				rn = 31;
			u32 imm = rng_chance(&R, 1, 2) ? rbits(4) : rbits(12);
			w = sf << 31 | op << 30 | s << 29 | 0x11000000 | rbits(1) << 22 | imm << 10 |
			    rn << 5 | rd;
			break;
		}
		case 3: /* AND, ORR, EOR, ANDS (immediate) */
			w = sf << 31 | rbits(2) << 29 | 0x12000000 | (sf ? rbits(1) : 0) << 22 |
			    rbits(6) << 16 | rbits(6) << 10 | rn << 5 | rd;
			break;
		case 4: { /* MOVN, MOVZ, MOVK */
			static const u32 opcs[3] = { 0, 2, 3 };
			w = sf << 31 | opcs[rng_below(&R, 3)] << 29 | 0x12800000 |
			    rbits(sf ? 2 : 1) << 21 | (rng_chance(&R, 1, 4) ? 0xffff : rbits(16)) << 5 |
			    rd;
			break;
		}
		case 5: { /* UBFM: LSL, LSR, UBFX, UBFIZ, UXTB/H, or any */
			u32 immr, imms, s = (u32)rng_below(&R, width);
			switch (rng_below(&R, 4)) {
			case 0: immr = (width - s) % width; imms = width - 1 - s; break; /* LSL */
			case 1: immr = s; imms = width - 1; break;                         /* LSR */
			case 2: immr = s; imms = s + (u32)rng_below(&R, width - s); break;  /* UBFX */
			default: immr = (u32)rng_below(&R, width); imms = (u32)rng_below(&R, width);
			}
			w = sf << 31 | 2u << 29 | 0x13000000 | sf << 22 | immr << 16 | imms << 10 |
			    rn << 5 | rd;
			break;
		}
		case 6: case 7: /* AND BIC ORR ORN EOR EON ANDS BICS (shifted register) */
			w = sf << 31 | rbits(2) << 29 | 0x0a000000 | rbits(2) << 22 | rbits(1) << 21 |
			    rm << 16 | (u32)(rng_chance(&R, 1, 3) ? 0 : rng_below(&R, width)) << 10 |
			    rn << 5 | rd;
			break;
		case 8: case 9: /* ADD ADDS SUB SUBS CMP CMN (shifted register) */
			w = sf << 31 | rbits(2) << 29 | 0x0b000000 | (u32)rng_below(&R, 3) << 22 |
			    rm << 16 | (u32)(rng_chance(&R, 1, 3) ? 0 : rng_below(&R, width)) << 10 |
			    rn << 5 | rd;
			break;
		default: /* CSEL CSINC CSINV CSNEG */
			w = sf << 31 | rbits(1) << 30 | 0x1a800000 | rm << 16 | rbits(4) << 12 |
			    rbits(1) << 10 | rn << 5 | rd;
			break;
		}
		if (decodes_native(w, A64_NAT_ADR, A64_NAT_ADDSUB_EXT))
			return w;
	}
}

/* The base of an access: a pointer register, SP, or anything. */
static unsigned pick_base(void)
{
	unsigned r = (unsigned)rng_below(&R, 100);
	if (r < 75)
		return PTR_FIRST + (unsigned)rng_below(&R, PTR_N);
	if (r < 95 || clean)
		return 31; /* SP */
	return (unsigned)rng_below(&R, 31);
}

static unsigned pick_rt(unsigned rn, bool load)
{
	if (rn != 31 && !(clean && load) && rng_chance(&R, 1, 10))
		return rn;
	return rng_chance(&R, 1, 12) ? 31 : pick_dst();
}

/* A signed offset of `bits` bits (as a field), often small and a
 * multiple of `scale`. */
static u32 simm(unsigned bits, unsigned scale)
{
	i32 v;
	if (clean || rng_chance(&R, 3, 4)) {
		v = (i32)rng_below(&R, 33) - 16;
		if (clean || rng_chance(&R, 7, 8))
			v *= (i32)scale;
	} else {
		v = (i32)rng_below(&R, 1u << bits) - (1 << (bits - 1));
	}
	i32 lim = 1 << (bits - 1);
	if (v >= lim || v < -lim)
		v = 0;
	return (u32)v & ((1u << bits) - 1);
}

static u32 gen_mem(void)
{
	/* (size, opc): STR, LDR, LDRS to X, LDRS to W */
	static const u8 forms[][2] = { { 0, 0 }, { 1, 0 }, { 2, 0 }, { 3, 0 }, { 0, 1 }, { 1, 1 },
				       { 2, 1 }, { 3, 1 }, { 0, 2 }, { 1, 2 }, { 2, 2 }, { 0, 3 },
				       { 1, 3 } };
	unsigned rn = pick_base();
	const u8 *f = forms[rng_below(&R, sizeof(forms) / sizeof(forms[0]))];
	u32 size = f[0], opc = f[1];
	unsigned rt = pick_rt(rn, opc != 0);
	if (!clean && rng_chance(&R, 1, 100))
		size = 3, opc = 2; /* PRFM */
	switch (rng_below(&R, 10)) {
	case 0: case 1: { /* unsigned offset */
		u32 imm = clean || rng_chance(&R, 7, 8) ? (u32)rng_below(&R, 24) : rbits(12);
		return size << 30 | 0x39000000 | opc << 22 | imm << 10 | rn << 5 | rt;
	}
	case 2: case 3: case 4: { /* unscaled, post-index, pre-index (LDTR rarely) */
		static const u32 op4s[] = { 0, 1, 3, 0, 1, 3, 0, 1, 3, 2 };
		u32 op4 = op4s[rng_below(&R, 10)];
		if (op4 == 2 && (clean || !rng_chance(&R, 1, 3)))
			op4 = 1;
		return size << 30 | 0x38000000 | opc << 22 | simm(9, 1u << size) << 12 | op4 << 10 |
		       rn << 5 | rt;
	}
	case 5: case 6: { /* register offset */
		static const u32 options[] = { 2, 3, 6, 7 };
		unsigned rm = clean || rng_chance(&R, 7, 10) ? IDX_FIRST + (unsigned)rng_below(&R, IDX_N)
			      : rng_chance(&R, 1, 3) ? 31 : pick_src();
		return size << 30 | 0x38200800 | opc << 22 | rm << 16 |
		       options[rng_below(&R, 4)] << 13 | rbits(1) << 12 | rn << 5 | rt;
	}
	default: { /* pairs: STP, LDP (W, X), LDPSW, STNP/LDNP */
		u32 popc = (u32)rng_below(&R, 3), load = rbits(1), type = (u32)rng_below(&R, 4);
		if (popc == 1) {
			load = 1;
			if (!type)
				type = 2;
		}
		rt = pick_rt(rn, load);
		unsigned rt2 = load && rng_chance(&R, 1, 6) ? rt : pick_rt(rn, load);
		return popc << 30 | 0x28000000 | type << 23 | load << 22 |
		       simm(7, 1) << 15 | rt2 << 10 | rn << 5 | rt;
	}
	}
}

static u32 gen_other(void)
{
	u32 sf = rbits(1);
	unsigned rd = pick_dst(), rn = pick_src(), rm = pick_src();
	switch (rng_below(&R, clean ? 22 : 24)) {
	case 0: case 12: /* MADD, MSUB */
		return sf << 31 | 0x1b000000 | rm << 16 | rbits(1) << 15 | pick_src() << 10 |
		       rn << 5 | rd;
	case 1: case 13: /* UDIV, SDIV */
		return sf << 31 | 0x1ac00800 | rm << 16 | rbits(1) << 10 | rn << 5 | rd;
	case 2: case 14: /* NOP */
		return 0xd503201fu;
	case 3: case 15: /* CLZ */
		return sf << 31 | 0x5ac01000 | rn << 5 | rd;
	case 4: case 16: /* MRS Xt, NZCV */
		return 0xd53b4200u | rd;
	case 5: case 17: /* MSR NZCV, Xt */
		return 0xd51b4200u | rn;
	case 6: case 18: /* LDXR */
		return (2 + sf) << 30 | 0x085f7c00 | (u32)pick_base() << 5 | rd;
	case 7: case 19: { /* STXR: Ws distinct from Rt and Rn */
		unsigned base = pick_base(), rt = pick_src(), rs = 12 + (unsigned)rng_below(&R, 4);
		if (rt == rs)
			rt = 20;
		return (2 + sf) << 30 | 0x08007c00 | rs << 16 | base << 5 | rt;
	}
	case 8: case 20: /* ADD Vd.4S, Vn.4S, Vm.4S */
		return 0x4ea08400u | rbits(5) << 16 | rbits(5) << 5 | rbits(5);
	case 21:
		if (clean)
			return 0xd503201fu;
		/* fall through */
	case 9: /* LDR Xt/Wt (literal): reads near the PC */
		return sf << 30 | 0x18000000 | simm(19, 1) << 5 | rd;
	case 10: case 22: /* ADD (extended register) with SP: a handler that writes SP */
		return 0x8b206000u | rm << 16 | (u32)rng_below(&R, 5) << 10 | 31u << 5 | (rng_chance(&R, 1, 2) ? 31 : rd);
	default:
		/* Anything outside the block-ending space that is not a branch. */
		for (;;) {
			u32 w = (u32)rng_next(&R);
			if (((w >> 26) & 7) != 5)
				return w;
		}
	}
}

static u32 gen_last(void)
{
	switch (rng_below(&R, 12)) {
	case 0: return 0x14000000u | rbits(26);                     /* B */
	case 1: return 0x94000000u | rbits(26);                     /* BL */
	case 2: case 3: return 0x54000000u | rbits(19) << 5 | rbits(4); /* B.cond */
	case 4: /* CBZ, CBNZ */
		return rbits(1) << 31 | 0x34000000 | rbits(1) << 24 | rbits(19) << 5 | pick_src();
	case 5: /* TBZ, TBNZ */
		return rbits(1) << 31 | 0x36000000 | rbits(1) << 24 | rbits(5) << 19 | rbits(14) << 5 |
		       pick_src();
	case 6: return 0xd61f0000u | pick_src() << 5;               /* BR */
	case 7: return 0xd63f0000u | (rng_chance(&R, 1, 3) ? 30 : pick_src()) << 5; /* BLR */
	case 8: return 0xd65f0000u | (rng_chance(&R, 2, 3) ? 30 : pick_src()) << 5; /* RET */
	case 9: return 0xd503207fu;                                 /* WFI */
	default:
		switch (rng_below(&R, 7)) {
		case 0: return 0xd503205fu;                         /* WFE */
		case 1: return 0xd40000e1u | rbits(16) << 5;        /* SVC */
		case 2: return 0xd4200000u | rbits(16) << 5;        /* BRK */
		case 3: return 0xd50340ffu | rbits(4) << 8;         /* MSR DAIFClr (STOP) */
		case 4: return 0xd508751fu;                         /* IC IALLU (STOP) */
		case 5: return 0xd508871fu;                         /* TLBI VMALLE1 (STOP) */
		default: return 0xd503201fu;                        /* NOP (system: ends) */
		}
	}
}

static unsigned gen_block(u32 *w)
{
	unsigned n;
	bool branch = rng_chance(&R, 5, 6);
	if (rng_chance(&R, 1, 8))
		n = A64_BLOCK_MAX;
	else
		n = 1 + (unsigned)rng_below(&R, A64_BLOCK_MAX);
	if (n == A64_BLOCK_MAX && rng_chance(&R, 1, 2))
		branch = false;
	unsigned body = branch ? n - 1 : n;
	for (unsigned k = 0; k < body; k++) {
		unsigned r = (unsigned)rng_below(&R, 100);
		w[k] = r < 45 ? gen_dp() : r < 87 ? gen_mem() : gen_other();
	}
	if (branch)
		w[n - 1] = gen_last();
	return n;
}

static void load_block(const u32 *w, unsigned n)
{
	blk->ninsns = (u16)n;
	blk->room = A64_BLOCK_MAX;
	blk->pa = (CODE & ~0xfffull) | (s0->pc & 0xfff); /* in_page() looks at it */
	blk->gen = frame_gen;
	for (unsigned k = 0; k < n; k++)
		a64_decode(w[k], &blk->insns[k]);
}

/* A translation that jumps astray must not end the test: the code
 * memory is filled with int3 first, and a fault or trap while a
 * translation runs comes back here as a failure. */
static sigjmp_buf crash_jmp;
static volatile sig_atomic_t crash_armed;

static void on_crash(int sig)
{
	if (!crash_armed) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	crash_armed = 0;
	siglongjmp(crash_jmp, sig);
}

static void catch_crashes(void)
{
	static u8 alt[1 << 16];
	stack_t ss = { .ss_sp = alt, .ss_size = sizeof(alt) };
	sigaltstack(&ss, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL); /* a translation that never returns */
}

/* Run the translation at `code` on c; false if it crashed (*sig). */
static bool run_code(struct a64_cpu *c, u64 *r, int *sig)
{
	int s = sigsetjmp(crash_jmp, 1);
	if (s) {
		alarm(0);
		*sig = s;
		return false;
	}
	crash_armed = 1;
	alarm(10);
	*r = ((a64_block_code)(void *)code)(c);
	alarm(0);
	crash_armed = 0;
	return true;
}

static size_t translate(unsigned el)
{
	memset(code, 0xcc, A64_TRANSLATE_MAX_CODE + 64);
	return a64_translate_block(blk, el, 0, &frame_gen, code, A64_TRANSLATE_MAX_CODE);
}

/* What the translation returns for the interpreter's result `r`
 * (status | index << 8): the status | the ending instruction's word << 32. */
static u64 expected_result(u32 r)
{
	return r == A64_OK ? 0 : (r & 0xff) | (u64)blk->insns[r >> 8].word << 32;
}

/* ---- one block, four runs ---- */

static struct {
	unsigned long blocks, runs, insns, native, status[4], retired, fast_stores_run2;
	unsigned long mmu_blocks, el0_blocks, clean;
} stats;

static const char *run_names[2] = { "first run (TLB empty)", "second run (TLB kept)" };

/* Run `w` in the state s0 (set up for cfg) both ways, twice; compare.
 * Returns the number of mismatching runs. */
static unsigned check_block(const u32 *w, unsigned n, const char *what)
{
	load_block(w, n);
	size_t used = translate(cfg.el);
	if (!used) {
		if (check_fail()) {
			printf("FAIL %s: a64_translate_block gave up (%u instructions)\n", what, n);
			print_block(w, n);
		}
		return 1;
	}
	u32 ra[2];
	u64 rb[2];
	u64 ha[2][2], hb[2][2];
	/* The interpreter: cold TLB, then warm. */
	memcpy(ca, s0, sizeof(*ca));
	for (unsigned run = 0; run < 2; run++) {
		if (run)
			memcpy(ca, s0, CPU_HEAD);
		memcpy(ram, ram_init, RAM_SIZE);
		mmio_hash = written_hash = 0;
		ra[run] = run_interp(ca, blk);
		ha[run][0] = mmio_hash;
		ha[run][1] = written_hash;
		memcpy(snap[run], ca, CPU_HEAD);
		memcpy(ram_ref[run], ram, RAM_SIZE);
	}
	unsigned bad = 0;
	memcpy(cb, s0, sizeof(*cb));
	for (unsigned run = 0; run < 2; run++) {
		if (run)
			memcpy(cb, s0, CPU_HEAD);
		memcpy(ram, ram_init, RAM_SIZE);
		mmio_hash = written_hash = 0;
		written_count = 0;
		int sig = 0;
		if (!run_code(cb, &rb[run], &sig)) {
			bad++;
			if (check_fail()) {
				printf("FAIL %s, %s: MMU %s, EL%u, pc %#llx: the translation crashed "
				       "(signal %d)\n", what, run_names[run], cfg.mmu ? "on" : "off",
				       cfg.el, U(s0->pc), sig);
				print_block(w, n);
			}
			break;
		}
		hb[run][0] = mmio_hash;
		hb[run][1] = written_hash;
		stats.runs++;
		if (run)
			stats.fast_stores_run2 += written_count == 0;
		char diff[320] = "";
		bool differ = cpu_diff(snap[run], cb, diff, sizeof(diff));
		if (!differ && expected_result(ra[run]) != rb[run]) {
			snprintf(diff, sizeof(diff), "result: interpreter %s at index %u (so %#llx), "
				 "translation %#llx (%s, word %08x)", status_name(ra[run]),
				 ra[run] >> 8, U(expected_result(ra[run])), U(rb[run]),
				 status_name((u32)rb[run]), (u32)(rb[run] >> 32));
			differ = true;
		}
		if (!differ && memcmp(ram_ref[run], ram, RAM_SIZE)) {
			size_t k = 0;
			while (ram_ref[run][k] == ram[k])
				k++;
			snprintf(diff, sizeof(diff), "RAM at %#llx: interpreter %02x, translation %02x",
				 U(RAM_BASE + k), ram_ref[run][k], ram[k]);
			differ = true;
		}
		if (!differ && ha[run][0] != hb[run][0]) {
			snprintf(diff, sizeof(diff), "the MMIO accesses differ");
			differ = true;
		}
		if (!differ && ha[run][1] != hb[run][1]) {
			snprintf(diff, sizeof(diff), "the ram_written calls differ");
			differ = true;
		}
		if (!differ) {
			check_pass();
			continue;
		}
		bad++;
		if (check_fail()) {
			printf("FAIL %s, %s: MMU %s, EL%u, SCTLR %#llx, pc %#llx, interpreter %s index "
			       "%u: %s\n", what, run_names[run], cfg.mmu ? "on" : "off", cfg.el,
			       U(s0->sys.sctlr_el1), U(s0->pc), status_name(ra[run]), ra[run] >> 8,
			       diff);
			print_block(w, n);
		}
	}
	stats.blocks++;
	stats.mmu_blocks += cfg.mmu;
	stats.el0_blocks += cfg.el == 0;
	stats.insns += n;
	for (unsigned k = 0; k < n; k++)
		stats.native += blk->insns[k].native != 0;
	stats.status[ra[0] & 3]++;
	stats.retired += snap[0]->insns - s0->insns;
	return bad;
}

static void random_blocks(unsigned count)
{
	check_group("random blocks: interpreter and translation");
	u32 w[A64_BLOCK_MAX];
	for (unsigned b = 0; b < count; b++) {
		unsigned r = (unsigned)rng_below(&R, 10);
		clean = rng_chance(&R, 1, 2);
		stats.clean += clean;
		cfg.mmu = r >= 3;                 /* 30% off, 70% on */
		cfg.el = r == 2 || r >= 8 ? 0 : 1; /* some EL0 in both */
		unsigned n = gen_block(w);
		gen_state(s0);
		char what[40];
		snprintf(what, sizeof(what), "block %u", b);
		check_block(w, n, what);
	}
	check_group_end();
	printf("%lu blocks (%lu clean, %lu with the MMU on, %lu at EL0), %lu runs compared; %lu instructions, "
	       "%lu native; the interpreter's first run: %lu retired, ended OK %lu, EXC %lu, "
	       "WAIT %lu, STOP %lu; second runs with no slow-path write: %lu\n",
	       stats.blocks, stats.clean, stats.mmu_blocks, stats.el0_blocks, stats.runs, stats.insns,
	       stats.native, stats.retired, stats.status[A64_OK], stats.status[A64_EXC],
	       stats.status[A64_WAIT], stats.status[A64_STOP], stats.fast_stores_run2);
}

/* ---- directed blocks ---- */

/* A quiet state for cfg: EL, MMU, registers zero but for what the test sets. */
static void plain_state(void)
{
	memcpy(s0, tmpl[cfg.mmu], sizeof(*s0));
	memset(s0->x, 0, sizeof(s0->x));
	s0->el = (u8)cfg.el;
	s0->spsel = (u8)cfg.el;
	s0->daif = 0;
	s0->pc = CODE + 0x100;
	s0->x[A64_SP] = DATA + 0x800;
}

static u64 run_direct(void)
{
	u64 r = ~0ull;
	int sig = 0;
	if (!run_code(cb, &r, &sig))
		check_failf("directed", "the translation crashed (signal %d)", sig);
	return r;
}

static void directed(void)
{
	check_group("directed blocks");

	/* A store and a load of the same address through the fast path. */
	cfg = (struct cfg){ .mmu = true, .el = 1 };
	plain_state();
	s0->x[1] = DATA + 0x1238;
	s0->x[5] = 0x1122334455667788ull;
	const u32 st_ld[] = {
		0xf9000425u, /* str x5, [x1, #8] */
		0xf9400426u, /* ldr x6, [x1, #8] */
		0xb8404427u, /* ldr w7, [x1], #4 */
		0xd65f03c0u, /* ret */
	};
	s0->x[30] = 0x4000abc0;
	CHECK(check_block(st_ld, 4, "store then load") == 0, "store then load matches");
	/* Now by hand: the second run's TLB hits (no slow-path write). */
	load_block(st_ld, 4);
	CHECK(translate(1) != 0, "translated");
	memcpy(cb, s0, sizeof(*cb));
	memcpy(ram, ram_init, RAM_SIZE);
	written_count = 0;
	u64 r = run_direct();
	CHECK(r == A64_OK && written_count == 1, "first run: one slow-path write (%u), result %#llx",
	      written_count, U(r));
	memcpy(cb, s0, CPU_HEAD);
	memcpy(ram, ram_init, RAM_SIZE);
	written_count = 0;
	r = run_direct();
	u64 v;
	memcpy(&v, ram + (DATA + 0x1240 - RAM_BASE), 8);
	CHECK(r == A64_OK && written_count == 0, "second run: the store hit the TLB (%u slow)",
	      written_count);
	CHECK(cb->x[6] == 0x1122334455667788ull && v == cb->x[6], "stored and loaded back: %#llx",
	      U(cb->x[6]));
	CHECK(cb->x[1] == DATA + 0x123c && cb->pc == 0x4000abc0 && cb->insns == 4,
	      "post-index, RET, count: x1 %#llx pc %#llx insns %llu", U(cb->x[1]), U(cb->pc),
	      U(cb->insns));

	/* A Data Abort on the third instruction (MMU on, EL1). */
	for (unsigned mmu = 0; mmu < 2; mmu++) {
		cfg = (struct cfg){ .mmu = mmu, .el = 1 };
		plain_state();
		s0->x[1] = DATA + 0x100;
		s0->x[2] = mmu ? PG_UNMAPPED + 0x40 : (1ull << 52); /* beyond any PA */
		s0->insns = 10;
		const u32 dabt[] = {
			0x91000400u, /* add x0, x0, #1 */
			0xf9400023u, /* ldr x3, [x1] */
			0xf9400044u, /* ldr x4, [x2] */
			0x91000400u, /* add x0, x0, #1 */
			0x14000010u, /* b . + 64 */
		};
		CHECK(check_block(dabt, 5, mmu ? "data abort (MMU on)" : "data abort (MMU off)") ==
			      0, "data abort matches");
		load_block(dabt, 5);
		translate(1);
		memcpy(cb, s0, sizeof(*cb));
		memcpy(ram, ram_init, RAM_SIZE);
		r = run_direct();
		unsigned ec = (unsigned)(cb->sys.esr_el1 >> 26) & 0x3f;
		CHECK(r == (A64_EXC | (u64)dabt[2] << 32), "MMU %u: result %#llx", mmu, U(r));
		CHECK(cb->insns == 12 && cb->x[0] == 1, "MMU %u: two retired: insns %llu x0 %llu", mmu,
		      U(cb->insns), U(cb->x[0]));
		CHECK(cb->pc == VBAR + 0x200 && cb->sys.elr_el1 == CODE + 0x108,
		      "MMU %u: pc %#llx at the vector, ELR %#llx", mmu, U(cb->pc),
		      U(cb->sys.elr_el1));
		CHECK(ec == A64_EC_DABT_SAME && cb->sys.far_el1 == s0->x[2],
		      "MMU %u: EC %#x FAR %#llx", mmu, ec, U(cb->sys.far_el1));
	}

	/* WFI last: A64_WAIT at its index, retired. */
	cfg = (struct cfg){ .mmu = true, .el = 1 };
	plain_state();
	const u32 wfi[] = {
		0x91000400u, /* add x0, x0, #1 */
		0xf90003e0u, /* str x0, [sp] */
		0xd503207fu, /* wfi */
	};
	CHECK(check_block(wfi, 3, "WFI last") == 0, "WFI block matches");
	load_block(wfi, 3);
	translate(1);
	memcpy(cb, s0, sizeof(*cb));
	memcpy(ram, ram_init, RAM_SIZE);
	r = run_direct();
	CHECK(r == (A64_WAIT | (u64)wfi[2] << 32) && cb->insns == 3 && cb->pc == CODE + 0x10c &&
		      cb->wait == A64_WAIT_WFI,
	      "WFI: result %#llx insns %llu pc %#llx wait %u", U(r), U(cb->insns), U(cb->pc),
	      cb->wait);

	/* WFI at EL0 without SCTLR.nTWI: trapped, index 1, not retired. */
	cfg = (struct cfg){ .mmu = true, .el = 0 };
	plain_state();
	s0->sys.sctlr_el1 &= ~A64_SCTLR_NTWI;
	const u32 wfi0[] = { 0x91000400u, 0xd503207fu };
	CHECK(check_block(wfi0, 2, "WFI trapped at EL0") == 0, "trapped WFI matches");

	/* An SP-based access with SP misaligned and SCTLR.SA: the SP alignment fault. */
	for (unsigned sa = 0; sa < 2; sa++) {
		cfg = (struct cfg){ .mmu = true, .el = 1 };
		plain_state();
		s0->x[A64_SP] = DATA + 0x808;
		s0->sys.sctlr_el1 = (s0->sys.sctlr_el1 & ~A64_SCTLR_SA) | (sa ? A64_SCTLR_SA : 0);
		const u32 spb[] = {
			0xf90007e5u, /* str x5, [sp, #8] */
			0xa9bf07e0u, /* stp x0, x1, [sp, #-16]! */
			0xf94003e6u, /* ldr x6, [sp] */
			0x14000002u, /* b . + 8 */
		};
		CHECK(check_block(spb, 4, sa ? "misaligned SP, SA" : "misaligned SP, no SA") == 0,
		      "misaligned SP matches");
	}
}

/* ---- two linked blocks: cb.chain_link as the engine's ---- */

/*
 * Blocks A and B in one code page, A ending where B starts (a branch
 * to it, or cut before it), B ending anywhere (often back at A); both
 * translated, and cb.chain_link hands out B's or A's chained entry (and
 * patches the jump) as the engine's does: for the block at the PC, at
 * the EL it was translated for, when the TLB lets that EL execute the
 * PC's page mapped to its frame and the frame's generation is the one
 * it was decoded under.  The reference runs the blocks one by one with
 * the interpreter loop and goes on as the chained entry would: while
 * the next block fits c->chain_limit.  The second run of the
 * translation goes through the jumps the first one patched.
 */
static struct a64_block *cblk[2];
static u64 cva[2];
static u8 *ccode[2];
static unsigned chain_calls;

static int chain_lookup(struct a64_cpu *c)
{
	for (int j = 0; j < 2; j++) {
		const struct a64_block *b = cblk[j];
		if (c->pc != cva[j])
			continue;
		if (c->el != cfg.el || b->gen != frame_gen)
			return -1;
		const struct a64_tlb_entry *e = a64_tlb_entry_for(c, c->pc);
		if (e->tag[A64_TLB_EXEC][c->el] != (c->pc | 0xfff) ||
		    ((e->pa ^ b->pa) & ~A64_TLBE_FLAGS))
			return -1;
		return j;
	}
	return -1;
}

static const void *chain_cb(void *opaque, struct a64_cpu *c, u8 *site)
{
	(void)opaque;
	chain_calls++;
	int j = chain_lookup(c);
	if (j < 0)
		return NULL;
	const u8 *entry = ccode[j] + A64_CHAINED_ENTRY;
	if (site) {
		i32 rel = (i32)(entry - (site + 4));
		memcpy(site, &rel, 4);
	}
	return entry;
}

static u64 run_chain_ref(struct a64_cpu *c)
{
	int j = 0;
	for (;;) {
		u32 r = run_interp(c, cblk[j]);
		if (r != A64_OK)
			return (r & 0xff) | (u64)cblk[j]->insns[r >> 8].word << 32;
		int nx = chain_lookup(c);
		if (nx < 0 || c->insns + cblk[nx]->ninsns > c->chain_limit)
			return 0;
		j = nx;
	}
}

/* A branch at byte offset `from` to `to` (same page). */
static u32 branch_to(u64 from, u64 to)
{
	i64 d = ((i64)to - (i64)from) / 4;
	switch (rng_below(&R, 5)) {
	case 0: return 0x14000000u | ((u32)d & 0x3ffffff);                       /* B */
	case 1: return 0x94000000u | ((u32)d & 0x3ffffff);                       /* BL */
	case 2: return 0x54000000u | ((u32)d & 0x7ffff) << 5 | rbits(4);          /* B.cond */
	case 3: return rbits(1) << 31 | 0x34000000 | rbits(1) << 24 | ((u32)d & 0x7ffff) << 5 |
		       pick_src();                                                  /* CBZ */
	default: return rbits(1) << 31 | 0x36000000 | rbits(1) << 24 | rbits(5) << 19 |
			((u32)d & 0x3fff) << 5 | pick_src();                        /* TBZ */
	}
}

static void chained_blocks(unsigned count)
{
	check_group("linked blocks: interpreter and translation");
	u32 w[2][A64_BLOCK_MAX];
	unsigned n[2], cases = 0, hops = 0;
	for (unsigned k = 0; k < 2; k++) {
		cblk[k] = calloc(1, sizeof(struct a64_block) + A64_BLOCK_MAX * sizeof(struct a64_insn));
		ccode[k] = code + (k + 1) * 0x8000;
	}
	for (unsigned c = 0; c < count; c++) {
		unsigned r = (unsigned)rng_below(&R, 10);
		clean = rng_chance(&R, 2, 3);
		cfg.mmu = r >= 3;
		cfg.el = r == 2 || r >= 8 ? 0 : 1;
		gen_state(s0);
		/* Where the blocks are: one page of the code. */
		u64 page = CODE + 0x1000 * rng_below(&R, CODE_SIZE / 0x1000);
		n[0] = gen_block(w[0]);
		n[1] = gen_block(w[1]);
		u64 oa = 4 * rng_below(&R, 1024 - A64_BLOCK_MAX), ob;
		bool cut = rng_chance(&R, 1, 4) && oa + 4 * (n[0] + n[1]) <= 0x1000;
		if (cut) { /* A has no branch: B follows it */
			for (unsigned k = 0; k < n[0]; k++)
				if (((w[0][k] >> 26) & 7) == 5)
					w[0][k] = gen_dp();
			ob = oa + 4 * n[0];
		} else {
			do
				ob = 4 * rng_below(&R, 1024 - A64_BLOCK_MAX);
			while (ob < oa + 4 * n[0] && ob + 4 * n[1] > oa);
			w[0][n[0] - 1] = branch_to(oa + 4 * (n[0] - 1), ob);
		}
		if (rng_chance(&R, 1, 2)) /* back to A */
			w[1][n[1] - 1] = branch_to(ob + 4 * (n[1] - 1), oa);
		cva[0] = page + oa;
		cva[1] = page + ob;
		s0->pc = cva[0];
		s0->cb.chain_link = chain_cb;
		s0->chain_limit = s0->insns + rng_below(&R, 120);
		/* The engine fetched A: its page is in the TLB. */
		u64 pa;
		const u8 *host;
		if (a64_fetch_translate(s0, s0->pc, &pa, &host) != A64_OK)
			continue;
		for (unsigned k = 0; k < 2; k++) {
			struct a64_block *b = cblk[k];
			b->ninsns = (u16)n[k];
			b->room = A64_BLOCK_MAX;
			b->pa = cva[k]; /* identity map, or no MMU */
			b->gen = frame_gen + (k && rng_chance(&R, 1, 12)); /* B stale */
			for (unsigned i = 0; i < n[k]; i++)
				a64_decode(w[k][i], &b->insns[i]);
		}
		memset(code, 0xcc, 3 * 0x8000);
		bool ok = true;
		for (unsigned k = 0; k < 2; k++)
			ok &= a64_translate_block(cblk[k], cfg.el, 0, &frame_gen, ccode[k],
						  A64_TRANSLATE_MAX_CODE) != 0;
		if (!ok) {
			check_failf("linked blocks", "a64_translate_block gave up");
			continue;
		}
		cases++;
		u64 ra[2], rb[2];
		/* Sometimes the frame is written between the runs: the jumps the
		 * first run linked must not be taken any more. */
		u32 gen0 = frame_gen, bump = rng_chance(&R, 1, 8);
		memcpy(ca, s0, sizeof(*ca));
		for (unsigned run = 0; run < 2; run++) {
			frame_gen = gen0 + (run ? bump : 0);
			if (run)
				memcpy(ca, s0, CPU_HEAD);
			memcpy(ram, ram_init, RAM_SIZE);
			mmio_hash = written_hash = 0;
			ra[run] = run_chain_ref(ca);
			memcpy(snap[run], ca, CPU_HEAD);
			memcpy(ram_ref[run], ram, RAM_SIZE);
		}
		hops += (unsigned)(snap[0]->insns - s0->insns > n[0]);
		memcpy(cb, s0, sizeof(*cb));
		for (unsigned run = 0; run < 2; run++) {
			frame_gen = gen0 + (run ? bump : 0);
			if (run)
				memcpy(cb, s0, CPU_HEAD);
			memcpy(ram, ram_init, RAM_SIZE);
			/* run_code calls `code`: enter A's translation through a jump there */
			u8 *save = code;
			code = ccode[0];
			int sig = 0;
			bool ran = run_code(cb, &rb[run], &sig);
			code = save;
			char diff[320] = "";
			bool differ = false;
			if (!ran) {
				snprintf(diff, sizeof(diff), "the translation crashed (signal %d)", sig);
				differ = true;
			}
			if (!differ)
				differ = cpu_diff(snap[run], cb, diff, sizeof(diff));
			if (!differ && ra[run] != rb[run]) {
				snprintf(diff, sizeof(diff), "result: interpreter %#llx, translation %#llx",
					 U(ra[run]), U(rb[run]));
				differ = true;
			}
			if (!differ && memcmp(ram_ref[run], ram, RAM_SIZE)) {
				snprintf(diff, sizeof(diff), "RAM differs");
				differ = true;
			}
			if (!differ) {
				check_pass();
				continue;
			}
			if (check_fail()) {
				printf("FAIL linked case %u, %s: MMU %s, EL%u, A at %#llx, B at %#llx%s, "
				       "insns %llu, chain_limit %llu%s: %s\n", c, run_names[run],
				       cfg.mmu ? "on" : "off", cfg.el, U(cva[0]), U(cva[1]),
				       cblk[1]->gen != gen0 ? " (stale)" : "", U(s0->insns),
				       U(s0->chain_limit), bump ? ", frame written before run 2" : "",
				       diff);
				printf("  A:\n");
				print_block(w[0], n[0]);
				printf("  B:\n");
				print_block(w[1], n[1]);
			}
			if (!ran)
				break;
		}
		frame_gen = gen0;
	}
	check_group_end();
	printf("%u linked cases, %u went on past A (the interpreter's first run), %u chain_link "
	       "calls\n", cases, hops, chain_calls);
}

int main(void)
{
#if !defined(__x86_64__)
	check_skip("the translator emits x86-64 code");
#endif
	setvbuf(stdout, NULL, _IOLBF, 0);
	rng_seed(&R, check_seed(0xa64a64a64ull));
	catch_crashes();
	g_cs_ok = cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &g_cs) == CS_ERR_OK;
	setup();
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	directed();
	random_blocks((unsigned)check_env_u64("ENCORE_A64_BLOCKS", 10000));
	chained_blocks((unsigned)check_env_u64("ENCORE_A64_BLOCKS", 10000) / 2);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.2f s\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (g_cs_ok)
		cs_close(&g_cs);
	return check_summary();
}
