/*
 * The A64 engine (src/arch/arm64/a64_engine.c) through the engine
 * interface: exact instruction limits inside a block, the state blob's
 * round trip, interrupts injected and taken where PSTATE.I allows, WFI,
 * code rewritten by a store, and an exception loop reported rather than
 * run for ever.  Then the instrumentation hooks (encore/hooks.h): on_mem
 * (exact pieces, icounts, physical addresses, and the fast path after it
 * goes), the decoded-code hooks (blocks, runs, faults, count_runs, blocks
 * keyed by virtual address and EL), on_exception and on_cpl_change.
 */
#include <stdio.h>
#include <string.h>

#include "arch/arm64/a64_code.h"
#include "arch/arm64/a64_engine.h"
#include "arch/arm64/a64_mem.h"
#include "arch/arm64/a64_mmu.h"
#include "arch/arm64/a64_state.h"
#include "arch/arm64/a64_sysreg.h"
#include "arch/arm64/arm64_arch.h"
#include "arch/arm64/virt_map.h"
#include "check.h"
#include "encore/hooks.h"
#include "encore/hw.h"
#include "encore/plugin.h"

#define RAM (16u << 20)
#define CODE VIRT_RAM_BASE
#define NOP 0xd503201fu
#define ADD_X0_1 0x91000400u       /* add x0, x0, #1 */
#define B_SELF 0x14000000u         /* b . */
#define MSR_DAIFCLR_I 0xd50342ffu  /* msr daifclr, #2 */
#define WFI 0xd503207fu
#define STR_W1_X2 0xb9000041u      /* str w1, [x2] */

static struct encore_machine *m;
static struct encore_engine *e;
static struct a64_cpu *c;

static void put_code(u64 at, const u32 *words, unsigned n)
{
	memcpy(machine__ram_ptr(m, at), words, 4 * n);
	e->ops->ram_written(e, at, 4 * n);
}

static void fresh(void)
{
	if (m)
		machine__destroy(m);
	m = machine__create(&arch_arm64, RAM, 1);
	e = a64_engine__create(m, &m->vcpus[0]);
	c = a64_engine__cpu(e);
	a64_engine__power_on(e, CODE, 0);
}

static int run(u64 limit, struct encore_exit *x)
{
	memset(x, 0, sizeof(*x));
	e->ops->run(e, limit, x);
	return x->reason;
}

static void test_limits(void)
{
	check_group("exact limits inside a block");
	fresh();
	u32 code[12];
	for (unsigned k = 0; k < 11; k++)
		code[k] = ADD_X0_1;
	code[11] = B_SELF;
	put_code(CODE, code, 12);
	struct encore_exit x;
	CHECK(run(3, &x) == EXIT_LIMIT && e->ops->insn_count(e) == 3 && c->x[0] == 3,
	      "3 of a block of 12: count %llu, x0 %llu", (unsigned long long)e->ops->insn_count(e),
	      (unsigned long long)c->x[0]);
	CHECK(x.pc == CODE + 12, "stopped at the fourth: %#llx", (unsigned long long)x.pc);
	CHECK(run(11, &x) == EXIT_LIMIT && c->x[0] == 11, "then on to 11");
	CHECK(run(1000, &x) == EXIT_LIMIT && e->ops->insn_count(e) == 1000 && c->pc == CODE + 44,
	      "the branch to itself retires each time");
}

static void test_state(void)
{
	check_group("the state blob");
	fresh();
	c->x[5] = 0x1234;
	c->v[3].d[1] = 0x55;
	c->sys.tpidr_el0 = 77;
	u64 a[ARCH_STATE_MAX / 8], b[ARCH_STATE_MAX / 8];
	e->ops->get_state(e, a);
	CHECK(arch_arm64.pc(a) == CODE, "the PC through the architecture");
	fresh();
	e->ops->set_state(e, a);
	e->ops->get_state(e, b);
	CHECK(!memcmp(a, b, arch_arm64.state_size), "saved, restored, saved: the same bytes");
	CHECK(c->x[5] == 0x1234 && c->v[3].d[1] == 0x55 && c->sys.tpidr_el0 == 77,
	      "registers restored");
	char what[200];
	((struct a64_state *)b)->x[7] = 9;
	CHECK(arch_arm64.first_difference(a, b, what, sizeof(what)) && strstr(what, "X7"),
	      "a difference is named: %s", what);
}

static void test_interrupts(void)
{
	check_group("interrupts: masked, unmasked, WFI");
	fresh();
	/* Vectors at CODE + 0x800: the IRQ vector (current EL, SPx) spins. */
	c->sys.vbar_el1 = CODE + 0x800;
	u32 vec = B_SELF;
	put_code(CODE + 0x800 + 0x280, &vec, 1);
	const u32 code[] = { NOP, NOP, MSR_DAIFCLR_I, NOP, NOP };
	put_code(CODE, code, 5);
	struct encore_exit x;
	CHECK(!e->ops->interrupt_window(e), "masked after reset");
	e->ops->request_interrupt_window(e, true);
	CHECK(run(100, &x) == EXIT_IRQ_WINDOW && c->pc == CODE + 12,
	      "the window opens after MSR DAIFClr: pc %#llx", (unsigned long long)c->pc);
	e->ops->request_interrupt_window(e, false);
	CHECK(e->ops->inject_interrupt(e, 0) == 0, "injected");
	CHECK(run(e->ops->insn_count(e) + 1, &x) == EXIT_LIMIT && c->pc == CODE + 0x800 + 0x280 &&
	      c->sys.elr_el1 == CODE + 12, "taken at the boundary: vector, ELR %#llx",
	      (unsigned long long)c->sys.elr_el1);

	fresh();
	const u32 idle[] = { WFI, NOP, B_SELF };
	put_code(CODE, idle, 3);
	CHECK(run(100, &x) == EXIT_HLT && e->ops->insn_count(e) == 1 && !e->ops->runnable(e),
	      "WFI waits with nothing pending");
	CHECK(e->ops->wakeable(e), "and can be woken although IRQs are masked");
	CHECK(e->ops->inject_interrupt(e, 0) == 0 && e->ops->runnable(e), "a pending IRQ wakes it");
	CHECK(run(100, &x) == EXIT_LIMIT && c->pc == CODE + 8, "then it runs on (IRQ masked)");
}

static void test_code_rewritten(void)
{
	check_group("a store rewrites code the engine has decoded");
	fresh();
	/* x2 points at the ADD below; w1 holds a NOP: run once, rewrite, run. */
	const u32 code[] = { ADD_X0_1, STR_W1_X2, B_SELF };
	put_code(CODE, code, 3);
	c->x[1] = NOP;
	c->x[2] = CODE;
	struct encore_exit x;
	run(3, &x);
	CHECK(c->x[0] == 1 && c->pc == CODE + 8, "the ADD ran once");
	c->pc = CODE;
	run(6, &x);
	CHECK(c->x[0] == 1, "the rewritten instruction is a NOP now: x0 %llu",
	      (unsigned long long)c->x[0]);
}

static void test_exception_loop(void)
{
	check_group("an exception loop is reported");
	fresh();
	/* VBAR_EL1 0: the vectors are not RAM, so every fetch faults again. */
	u32 undef = 0;
	put_code(CODE, &undef, 1);
	struct encore_exit x;
	CHECK(run(1000000, &x) == EXIT_TRIPLE_FAULT && strstr(x.message, "no instruction retired"),
	      "EXIT_TRIPLE_FAULT: %s", x.message);
}

/* ---- the hooks: every call recorded, in order ---- */

/* More encodings (aarch64-linux-gnu-as). */
#define SVC_0 0xd4000001u
#define UDF_0 0x00000000u
#define BR_X5 0xd61f00a0u
#define MSR_SPSR_XZR 0xd518401fu   /* msr spsr_el1, xzr */
#define MSR_ELR_X1 0xd5184021u     /* msr elr_el1, x1 */
#define ERET 0xd69f03e0u

/* Exception vectors (VBAR_EL1 = VBAR): synchronous from the current EL
 * with SP_EL1, and from EL0 in AArch64. */
#define VBAR (CODE + 0x800)
#define VEC_SAME (VBAR + 0x200)
#define VEC_LOWER (VBAR + 0x400)

enum { EV_MEM = 1, EV_DECODED, EV_RAN, EV_EXC, EV_CPL };

struct ev {
	int kind;
	unsigned vcpu;
	u64 icount;
	u64 a, b, v;     /* MEM: va, pa, value; DECODED: rip; EXC: rip, -, error code */
	unsigned n1, n2; /* MEM: size, flags; DECODED: ninsns, cpl; RAN: started, retired;
			  * EXC: vector, external; CPL: cpl */
	int blk;         /* DECODED, RAN: index in blks (-1: a NULL handle, -2: unknown) */
};

#define EV_MAX 256
static struct ev evs[EV_MAX];
static unsigned nev, ev_lost;

/* What on_block_decoded was told, one per call; its handle is counts. */
#define BLK_MAX 16
struct blk {
	u64 rip;
	unsigned ninsns, cpl;
	bool lens_ok;
	u8 bytes[4 * A64_BLOCK_MAX];
	u64 counts[A64_BLOCK_MAX];
};
static struct blk blks[BLK_MAX];
static unsigned nblk;
static u64 null_rip = ~0ull; /* on_block_decoded returns NULL for this rip */

static struct ev *push(int kind, unsigned vcpu, u64 icount)
{
	if (nev == EV_MAX) {
		ev_lost++;
		return &evs[EV_MAX - 1];
	}
	struct ev *x = &evs[nev++];
	*x = (struct ev){ .kind = kind, .vcpu = vcpu, .icount = icount };
	return x;
}

static void hk_mem(void *opaque, unsigned vcpu, u64 icount, u64 va, u64 pa, unsigned size,
		   u64 value, unsigned flags)
{
	(void)opaque;
	struct ev *x = push(EV_MEM, vcpu, icount);
	x->a = va;
	x->b = pa;
	x->v = value;
	x->n1 = size;
	x->n2 = flags;
}

static void *hk_decoded(void *opaque, unsigned vcpu, const struct encore_code_block *b)
{
	(void)opaque;
	struct ev *x = push(EV_DECODED, vcpu, 0);
	x->a = b->rip;
	x->n1 = b->ninsns;
	x->n2 = b->cpl;
	x->blk = -2;
	if (nblk == BLK_MAX || b->ninsns > A64_BLOCK_MAX)
		return NULL;
	struct blk *k = &blks[nblk];
	x->blk = (int)nblk++;
	*k = (struct blk){ .rip = b->rip, .ninsns = b->ninsns, .cpl = b->cpl, .lens_ok = true };
	for (unsigned j = 0; j < b->ninsns; j++)
		k->lens_ok &= b->lens[j] == 4;
	memcpy(k->bytes, b->bytes, 4 * b->ninsns);
	return b->rip == null_rip ? NULL : k->counts;
}

static void hk_ran(void *opaque, unsigned vcpu, u64 icount, void *handle, unsigned started,
		   unsigned retired)
{
	(void)opaque;
	struct ev *x = push(EV_RAN, vcpu, icount);
	x->n1 = started;
	x->n2 = retired;
	x->blk = -2;
	if (!handle)
		x->blk = -1;
	for (unsigned k = 0; k < nblk; k++)
		if (handle == blks[k].counts)
			x->blk = (int)k;
}

static void hk_exc(void *opaque, unsigned vcpu, u64 icount, u64 rip, unsigned vector,
		   i64 error_code, bool external)
{
	(void)opaque;
	struct ev *x = push(EV_EXC, vcpu, icount);
	x->a = rip;
	x->v = (u64)error_code;
	x->n1 = vector;
	x->n2 = external;
}

static void hk_cpl(void *opaque, unsigned vcpu, u64 icount, unsigned cpl)
{
	(void)opaque;
	struct ev *x = push(EV_CPL, vcpu, icount);
	x->n1 = cpl;
}

static void forget_events(void)
{
	nev = ev_lost = 0;
	nblk = 0;
	memset(blks, 0, sizeof(blks));
	null_rip = ~0ull;
}

static unsigned count_kind(int kind)
{
	unsigned n = 0;
	for (unsigned k = 0; k < nev; k++)
		n += evs[k].kind == kind;
	return n;
}

/* Every event came from vCPU 0 and none was lost. */
static void check_events_sane(const char *what)
{
	bool vcpu0 = true;
	for (unsigned k = 0; k < nev; k++)
		vcpu0 &= evs[k].vcpu == 0;
	CHECK(vcpu0 && !ev_lost, "%s: all events of vCPU 0, none lost (%u lost)", what, ev_lost);
}

static const char *kind_name(int kind)
{
	static const char *const names[] = { "?", "mem", "decoded", "ran", "exception", "cpl" };
	return kind >= 0 && kind <= EV_CPL ? names[kind] : "?";
}

/* Event k is of `kind` (else a failure naming what it is). */
static const struct ev *ev_is(unsigned k, int kind, const char *what)
{
	static const struct ev none;
	bool ok = k < nev && evs[k].kind == kind;
	CHECK(ok, "%s: event %u is %s, expected %s", what, k, k < nev ? kind_name(evs[k].kind) :
	      "missing", kind_name(kind));
	return ok ? &evs[k] : &none;
}

static void expect_mem(unsigned k, u64 icount, u64 va, u64 pa, unsigned size, u64 value,
		       unsigned flags)
{
	const struct ev *x = ev_is(k, EV_MEM, "on_mem");
	CHECK(x->icount == icount && x->a == va && x->b == pa && x->n1 == size &&
	      x->v == value && x->n2 == flags,
	      "access %u: icount %llu va %#llx pa %#llx size %u value %#llx flags %u; expected "
	      "icount %llu va %#llx pa %#llx size %u value %#llx flags %u", k,
	      (unsigned long long)x->icount, (unsigned long long)x->a, (unsigned long long)x->b,
	      x->n1, (unsigned long long)x->v, x->n2, (unsigned long long)icount,
	      (unsigned long long)va, (unsigned long long)pa, size, (unsigned long long)value,
	      flags);
}

static void expect_decoded(unsigned k, u64 rip, unsigned ninsns, unsigned cpl)
{
	const struct ev *x = ev_is(k, EV_DECODED, "on_block_decoded");
	CHECK(x->a == rip && x->n1 == ninsns && x->n2 == cpl,
	      "event %u: block at %#llx, %u insns, cpl %u; expected %#llx, %u, cpl %u", k,
	      (unsigned long long)x->a, x->n1, x->n2, (unsigned long long)rip, ninsns, cpl);
}

/* A run of the block at blks[blk] (-1: a NULL handle). */
static void expect_ran(unsigned k, int blk, u64 icount, unsigned started, unsigned retired)
{
	const struct ev *x = ev_is(k, EV_RAN, "on_block_ran");
	CHECK(x->blk == blk && x->icount == icount && x->n1 == started && x->n2 == retired,
	      "event %u: block %d from icount %llu, %u started, %u retired; expected block %d, "
	      "%llu, %u, %u", k, x->blk, (unsigned long long)x->icount, x->n1, x->n2, blk,
	      (unsigned long long)icount, started, retired);
}

static void expect_exc(unsigned k, u64 icount, u64 rip, unsigned vector, i64 error_code)
{
	const struct ev *x = ev_is(k, EV_EXC, "on_exception");
	CHECK(x->icount == icount && x->a == rip && x->n1 == vector &&
	      (i64)x->v == error_code && !x->n2,
	      "event %u: icount %llu rip %#llx vector %#x error %#llx external %u; expected "
	      "%llu %#llx %#x %#llx", k, (unsigned long long)x->icount, (unsigned long long)x->a,
	      x->n1, (unsigned long long)x->v, x->n2, (unsigned long long)icount,
	      (unsigned long long)rip, vector, (unsigned long long)error_code);
}

static void expect_cpl(unsigned k, u64 icount, unsigned cpl)
{
	const struct ev *x = ev_is(k, EV_CPL, "on_cpl_change");
	CHECK(x->icount == icount && x->n1 == cpl, "event %u: cpl %u at icount %llu; expected "
	      "cpl %u at %llu", k, x->n1, (unsigned long long)x->icount, cpl,
	      (unsigned long long)icount);
}

/* The block at blks[k] holds exactly `words`, each 4 bytes long. */
static void expect_block_bytes(unsigned k, const u32 *words, unsigned n)
{
	CHECK(k < nblk && blks[k].ninsns == n && blks[k].lens_ok &&
	      !memcmp(blks[k].bytes, words, 4 * n),
	      "block %u: its %u instructions' lengths and bytes", k, n);
}

/* Sum of `retired` over the on_block_ran calls, plus the counted runs. */
static u64 retired_total(void)
{
	u64 sum = 0;
	for (unsigned k = 0; k < nev; k++)
		if (evs[k].kind == EV_RAN)
			sum += evs[k].n2;
	for (unsigned k = 0; k < nblk; k++)
		for (unsigned r = 1; r <= blks[k].ninsns; r++)
			sum += r * blks[k].counts[r - 1];
	return sum;
}

static u64 icount(void)
{
	return e->ops->insn_count(e);
}

/* ---- guest memory and the MMU ---- */

static void wr64(u64 pa, u64 v)
{
	memcpy(machine__ram_ptr(m, pa), &v, 8);
}

static void wr32(u64 pa, u32 v)
{
	memcpy(machine__ram_ptr(m, pa), &v, 4);
}

static u64 rd64(u64 pa)
{
	u64 v;
	memcpy(&v, machine__ram_ptr(m, pa), 8);
	return v;
}

static void set_reg(u32 key, u64 v)
{
	CHECK(a64_sysreg_write(c, key, v), "system register write %#x", key);
}

/*
 * Stage 1 with 4 KiB pages and a 39-bit VA (T0SZ 25, walks from level 1):
 * the first 2 MiB of RAM mapped by one L3 table, identity by default,
 * Normal write-back memory, read/write at EL1 only.
 */
#define TABLES (CODE + (8u << 20))
#define L3_TABLE (TABLES + 0x2000)
#define PAGE_NORMAL (3ull | 1ull << 2 | 3ull << 8 | 1ull << 10) /* page, attr 1, ISH, AF */
#define MAIR_VALUE 0x44ff00ull /* attr 0 Device-nGnRnE, 1 Normal WB, 2 Normal NC */
#define TCR_VALUE (25ull | 25ull << 16 | 1ull << 23 | 2ull << 30 | 2ull << 32)

static void map_page(u64 va, u64 pa, u64 bits)
{
	wr64(L3_TABLE + 8 * ((va - CODE) >> 12), bits ? pa | bits : 0);
}

static void mmu_on(void)
{
	wr64(TABLES + 8 * ((CODE >> 30) & 511), (TABLES + 0x1000) | 3);
	wr64(TABLES + 0x1000 + 8 * ((CODE >> 21) & 511), L3_TABLE | 3);
	for (u64 k = 0; k < 512; k++)
		map_page(CODE + 4096 * k, CODE + 4096 * k, PAGE_NORMAL);
	set_reg(A64_SYSREG(3, 0, 10, 2, 0), MAIR_VALUE);
	set_reg(A64_SYSREG(3, 0, 2, 0, 2), TCR_VALUE);
	set_reg(A64_SYSREG(3, 0, 2, 0, 0), TABLES);
	set_reg(A64_SYSREG(3, 0, 1, 0, 0), c->sys.sctlr_el1 | A64_SCTLR_M);
}

/* ---- on_mem ---- */

/*
 * A program of loads and stores at EL1 with the MMU on (DC ZVA needs
 * Normal memory; unaligned accesses too).  Data at D; the page after
 * D's (VA D + 0x1000) is mapped to PA D + 0x5000, so a 16-byte LDP at
 * D + 0xffc crosses into another frame; UNMAPPED has no translation.
 */
#define D (CODE + 0x10000)
#define UNMAPPED (CODE + 0x1f0000)
#define V0_LO 0x0101010101010101ull
#define V0_HI 0x0202020202020202ull
#define V1_LO 0x0303030303030303ull
#define V1_HI 0x0404040404040404ull

static const u32 mem_program[] = {
	0xf9000041u, /*  0: str x1, [x2] */
	0xb9400844u, /*  1: ldr w4, [x2, #8] */
	0x39004043u, /*  2: strb w3, [x2, #16] */
	0xa9421845u, /*  3: ldp x5, x6, [x2, #32] */
	0xc85f7d47u, /*  4: ldxr x7, [x10] */
	0x910004e7u, /*  5: add x7, x7, #1 */
	0xc8087d47u, /*  6: stxr w8, x7, [x10] */
	0xc80f7d47u, /*  7: stxr w15, x7, [x10] (fails: the monitor is closed) */
	0xd50b7429u, /*  8: dc zva, x9 */
	0xad040440u, /*  9: stp q0, q1, [x2, #128] */
	0xa940398du, /* 10: ldp x13, x14, [x12] */
	0xf9400230u, /* 11: ldr x16, [x17] (translation fault) */
	B_SELF,
};
#define MEM_PROGRAM_FAULT 11u /* the index of the faulting load */

static void setup_mem_program(void)
{
	fresh();
	mmu_on();
	map_page(D + 0x1000, D + 0x5000, PAGE_NORMAL);
	map_page(UNMAPPED, 0, 0);
	set_reg(A64_SYSREG(3, 0, 1, 0, 2), 3ull << 20); /* CPACR_EL1.FPEN: no FP traps */
	c->sys.vbar_el1 = VBAR;
	u32 spin = B_SELF;
	put_code(VEC_SAME, &spin, 1);
	put_code(CODE, mem_program, sizeof(mem_program) / 4);
	c->x[1] = 0x1122334455667788ull;
	c->x[2] = D;
	c->x[3] = 0x1a5;
	c->x[9] = D + 0x44;
	c->x[10] = D + 0x100;
	c->x[12] = D + 0xffc;
	c->x[17] = UNMAPPED;
	c->v[0].d[0] = V0_LO;
	c->v[0].d[1] = V0_HI;
	c->v[1].d[0] = V1_LO;
	c->v[1].d[1] = V1_HI;
	wr32(D + 8, 0xdeadbeef);
	wr64(D + 0x20, 0x0102030405060708ull);
	wr64(D + 0x28, 0x1112131415161718ull);
	memset(machine__ram_ptr(m, D + 0x40), 0xff, 64);
	wr64(D + 0x100, 0x77);
	wr64(D + 0xff8, 0xaaaaaaaabbbbbbbbull);
	wr64(D + 0x1000, 0x5555555555555555ull); /* not what VA D + 0x1000 maps */
	wr64(D + 0x5000, 0x9999999988888888ull);
	wr64(D + 0x5008, 0x7777777766666666ull);
}

/* What the program leaves in registers and memory, hooks or not. */
static void check_mem_results(const char *what)
{
	static const u8 zero[64];
	CHECK(c->x[4] == 0xdeadbeef && c->x[5] == 0x0102030405060708ull &&
	      c->x[6] == 0x1112131415161718ull, "%s: LDR W, LDP", what);
	CHECK(c->x[7] == 0x78 && c->x[8] == 0 && c->x[15] == 1 && rd64(D + 0x100) == 0x78,
	      "%s: LDXR/STXR stored, the second STXR failed (x8 %llu, x15 %llu)", what,
	      (unsigned long long)c->x[8], (unsigned long long)c->x[15]);
	CHECK(rd64(D) == 0x1122334455667788ull && *machine__ram_ptr(m, D + 16) == 0xa5,
	      "%s: STR X, STRB", what);
	CHECK(!memcmp(machine__ram_ptr(m, D + 0x40), zero, 64), "%s: DC ZVA zeroed 64 bytes",
	      what);
	CHECK(rd64(D + 0x80) == V0_LO && rd64(D + 0x88) == V0_HI && rd64(D + 0x90) == V1_LO &&
	      rd64(D + 0x98) == V1_HI, "%s: STP Q", what);
	CHECK(c->x[13] == 0x88888888aaaaaaaaull && c->x[14] == 0x6666666699999999ull,
	      "%s: LDP across pages: %#llx %#llx", what, (unsigned long long)c->x[13],
	      (unsigned long long)c->x[14]);
	CHECK(c->pc == VEC_SAME && c->sys.elr_el1 == CODE + 4 * MEM_PROGRAM_FAULT &&
	      (c->sys.esr_el1 >> 26) == 0x25, "%s: the last load took a Data Abort", what);
}

/* The accesses of mem_program's instructions [from, to), as on_mem must
 * report them, from event k on; returns the number checked. */
static unsigned expect_mem_program(unsigned k, unsigned from, unsigned to)
{
	const unsigned W = HOOK_ACCESS_WRITE;
	static const struct {
		unsigned insn;
		u64 va, pa;
		unsigned size;
		u64 value;
		unsigned flags;
	} want[] = {
		{ 0, D, D, 8, 0x1122334455667788ull, 1 },
		{ 1, D + 8, D + 8, 4, 0xdeadbeef, 0 },
		{ 2, D + 16, D + 16, 1, 0xa5, 1 },
		{ 3, D + 0x20, D + 0x20, 8, 0x0102030405060708ull, 0 },
		{ 3, D + 0x28, D + 0x28, 8, 0x1112131415161718ull, 0 },
		{ 4, D + 0x100, D + 0x100, 8, 0x77, 0 },
		{ 6, D + 0x100, D + 0x100, 8, 0x78, 1 },
		{ 8, D + 0x40, D + 0x40, 8, 0, 1 },
		{ 8, D + 0x48, D + 0x48, 8, 0, 1 },
		{ 8, D + 0x50, D + 0x50, 8, 0, 1 },
		{ 8, D + 0x58, D + 0x58, 8, 0, 1 },
		{ 8, D + 0x60, D + 0x60, 8, 0, 1 },
		{ 8, D + 0x68, D + 0x68, 8, 0, 1 },
		{ 8, D + 0x70, D + 0x70, 8, 0, 1 },
		{ 8, D + 0x78, D + 0x78, 8, 0, 1 },
		{ 9, D + 0x80, D + 0x80, 8, V0_LO, 1 },
		{ 9, D + 0x88, D + 0x88, 8, V0_HI, 1 },
		{ 9, D + 0x90, D + 0x90, 8, V1_LO, 1 },
		{ 9, D + 0x98, D + 0x98, 8, V1_HI, 1 },
		/* the first piece straddles the pages: its pa is its first byte's */
		{ 10, D + 0xffc, D + 0xffc, 8, 0x88888888aaaaaaaaull, 0 },
		{ 10, D + 0x1004, D + 0x5004, 8, 0x6666666699999999ull, 0 },
	};
	unsigned n = 0;
	for (unsigned j = 0; j < sizeof(want) / sizeof(want[0]); j++) {
		if (want[j].insn < from || want[j].insn >= to)
			continue;
		expect_mem(k + n++, want[j].insn, want[j].va, want[j].pa, want[j].size,
			   want[j].value, want[j].flags ? W : 0);
	}
	return n;
}

static const struct encore_hooks mem_hooks = {
	.on_mem = hk_mem,
	.on_exception = hk_exc,
};

static void test_on_mem(void)
{
	check_group("on_mem: every data access, in pieces of at most 8 bytes");
	setup_mem_program();
	forget_events();
	CHECK(e->ops->set_hooks(e, &mem_hooks) == 0, "on_mem installed");
	struct encore_exit x;
	run(MEM_PROGRAM_FAULT + 5, &x);
	CHECK(icount() == MEM_PROGRAM_FAULT + 5, "11 retired, the load faulted, 5 spins: %llu",
	      (unsigned long long)icount());
	check_mem_results("hooked");
	check_events_sane("on_mem");
	unsigned n = expect_mem_program(0, 0, MEM_PROGRAM_FAULT);
	CHECK(count_kind(EV_MEM) == n && nev == n + 1,
	      "exactly %u accesses and one exception: %u accesses of %u events (no fetches, "
	      "nothing for the failed STXR or the faulting load)", n, count_kind(EV_MEM), nev);
	expect_exc(n, MEM_PROGRAM_FAULT, CODE + 4 * MEM_PROGRAM_FAULT, 0x25, 0x07);
	bool fetch_seen = false;
	for (unsigned k = 0; k < nev; k++)
		if (evs[k].kind == EV_MEM && evs[k].a >= CODE && evs[k].a < CODE + 0x1000)
			fetch_seen = true;
	CHECK(!fetch_seen, "no access to the code page reported");
	const struct a64_tlb_entry *t = a64_tlb_entry_for(c, D);
	CHECK(t->tag[A64_TLB_READ][1] == 0 && t->tag[A64_TLB_WRITE][1] == 0,
	      "with on_mem the TLB caches no data rights for the fast path");
	e->ops->set_hooks(e, NULL);
}

static void test_on_mem_removed(void)
{
	check_group("on_mem removed, installed midway");
	setup_mem_program();
	forget_events();
	CHECK(e->ops->set_hooks(e, &mem_hooks) == 0 && e->ops->set_hooks(e, NULL) == 0,
	      "installed, then removed");
	struct encore_exit x;
	run(MEM_PROGRAM_FAULT + 5, &x);
	check_mem_results("no hooks");
	CHECK(nev == 0, "no calls after the hooks went: %u", nev);
	const struct a64_tlb_entry *t = a64_tlb_entry_for(c, D);
	CHECK(t->tag[A64_TLB_READ][1] == (D | 0xfff) && t->tag[A64_TLB_WRITE][1] == (D | 0xfff),
	      "the fast path is back: the TLB caches read and write rights for D");

	/* Removed after 4 instructions: only theirs are told. */
	setup_mem_program();
	forget_events();
	e->ops->set_hooks(e, &mem_hooks);
	run(4, &x);
	e->ops->set_hooks(e, NULL);
	run(MEM_PROGRAM_FAULT + 5, &x);
	check_mem_results("removed after 4");
	CHECK(nev == 5, "the 5 accesses of the first 4 instructions: %u", nev);
	expect_mem_program(0, 0, 4);

	/* Installed after 4 run on the fast path (the TLB cached the rights
	 * to D's page): every later access is told all the same. */
	setup_mem_program();
	forget_events();
	run(4, &x);
	CHECK(a64_tlb_entry_for(c, D)->tag[A64_TLB_WRITE][1] == (D | 0xfff),
	      "the first 4 left a fast write right for D");
	e->ops->set_hooks(e, &mem_hooks);
	run(MEM_PROGRAM_FAULT + 5, &x);
	check_mem_results("installed after 4");
	check_events_sane("installed after 4");
	unsigned n = expect_mem_program(0, 4, MEM_PROGRAM_FAULT);
	CHECK(count_kind(EV_MEM) == n && n == 16, "the 16 accesses from the fifth instruction: "
	      "%u", count_kind(EV_MEM));
	e->ops->set_hooks(e, NULL);
}

/* LSE atomics with the MMU off: a read-modify-write is a read of the old
 * value then a write of the new; a CAS that compares unequal only reads. */
static void test_on_mem_atomics(void)
{
	check_group("on_mem: LSE atomics");
	fresh();
	forget_events();
	const u32 code[] = {
		0xf8210044u, /* ldadd x1, x4, [x2] */
		0xc8a57c46u, /* cas x5, x6, [x2] (x5 differs: no write) */
		0x08a77c68u, /* casb w7, w8, [x3] */
		B_SELF,
	};
	put_code(CODE, code, 4);
	wr64(D, 100);
	*machine__ram_ptr(m, D + 9) = 0x33;
	c->x[1] = 5;
	c->x[2] = D;
	c->x[3] = D + 9;
	c->x[5] = 7;
	c->x[6] = 0x66;
	c->x[7] = 0x33;
	c->x[8] = 0x44;
	CHECK(e->ops->set_hooks(e, &mem_hooks) == 0, "installed");
	struct encore_exit x;
	run(4, &x);
	CHECK(c->x[4] == 100 && c->x[5] == 105 && c->x[7] == 0x33 && rd64(D) == 105 &&
	      *machine__ram_ptr(m, D + 9) == 0x44, "the atomics ran: x4 %llu x5 %llu",
	      (unsigned long long)c->x[4], (unsigned long long)c->x[5]);
	check_events_sane("atomics");
	CHECK(nev == 5, "read and write, read, read and write: %u events", nev);
	expect_mem(0, 0, D, D, 8, 100, 0);
	expect_mem(1, 0, D, D, 8, 105, HOOK_ACCESS_WRITE);
	expect_mem(2, 1, D, D, 8, 105, 0);
	expect_mem(3, 2, D + 9, D + 9, 1, 0x33, 0);
	expect_mem(4, 2, D + 9, D + 9, 1, 0x44, HOOK_ACCESS_WRITE);
	e->ops->set_hooks(e, NULL);
}

static const struct encore_hooks irq_hooks = {
	.on_block_decoded = hk_decoded,
	.on_block_ran = hk_ran,
	.on_exception = hk_exc,
};

/* An interrupt taken between blocks: on_exception with vector 0x100, no
 * error code, external; no run is cut short by it. */
static void test_irq_exception(void)
{
	check_group("on_exception: an interrupt");
	fresh();
	forget_events();
	const u32 code[] = { MSR_DAIFCLR_I, NOP, B_SELF };
	u32 spin = B_SELF;
	put_code(CODE, code, 3);
	put_code(VBAR + 0x280, &spin, 1);
	c->sys.vbar_el1 = VBAR;
	CHECK(e->ops->set_hooks(e, &irq_hooks) == 0, "installed");
	struct encore_exit x;
	run(1, &x);
	CHECK(e->ops->inject_interrupt(e, 0) == 0, "injected");
	run(3, &x);
	CHECK(icount() == 3 && c->pc == VBAR + 0x280 && c->sys.elr_el1 == CODE + 4,
	      "taken after the MSR");
	check_events_sane("irq");
	CHECK(nev == 6, "decoded, ran, exception, decoded, ran, ran: %u events", nev);
	expect_decoded(0, CODE, 1, 0);
	expect_ran(1, 0, 0, 1, 1);
	const struct ev *v = ev_is(2, EV_EXC, "the IRQ");
	CHECK(v->icount == 1 && v->a == CODE + 4 && v->n1 == 0x100 && (i64)v->v == -1 && v->n2,
	      "IRQ: icount %llu rip %#llx vector %#x error %lld external %u",
	      (unsigned long long)v->icount, (unsigned long long)v->a, v->n1, (long long)v->v,
	      v->n2);
	expect_decoded(3, VBAR + 0x280, 1, 0);
	expect_ran(4, 1, 1, 1, 1);
	expect_ran(5, 1, 2, 1, 1);
	e->ops->set_hooks(e, NULL);
}

/* ---- decoded code ---- */

static const struct encore_hooks code_hooks = {
	.on_block_decoded = hk_decoded,
	.on_block_ran = hk_ran,
	.on_exception = hk_exc,
};

static const struct encore_hooks count_hooks = {
	.on_block_decoded = hk_decoded,
	.on_block_ran = hk_ran,
	.on_exception = hk_exc,
	.count_runs = true,
};

/* x1 = 3 * 5 in a loop: block A (CODE, 5 insns) to the B.NE, block B
 * (the loop body, CODE + 8, 3 insns), block C (CODE + 20, the final
 * B .).  20 instructions: A, B four times, C three times. */
static const u32 loop_program[] = {
	0xd28000a0u, /* mov x0, #5 */
	0xd2800001u, /* mov x1, #0 */
	0x91000c21u, /* loop: add x1, x1, #3 */
	0xf1000400u, /* subs x0, x0, #1 */
	0x54ffffc1u, /* b.ne loop */
	B_SELF,
};

static void test_block_hooks(void)
{
	check_group("decoded-code hooks: blocks and runs");
	fresh();
	forget_events();
	put_code(CODE, loop_program, 6);
	CHECK(e->ops->set_hooks(e, &code_hooks) == 0, "installed");
	struct encore_exit x;
	run(20, &x);
	CHECK(icount() == 20 && c->x[1] == 15 && c->x[0] == 0 && c->pc == CODE + 20,
	      "the loop ran: count %llu, x1 %llu", (unsigned long long)icount(),
	      (unsigned long long)c->x[1]);
	check_events_sane("loop");
	CHECK(nev == 11 && count_kind(EV_DECODED) == 3 && nblk == 3,
	      "3 blocks decoded, 8 runs: %u events, %u decoded", nev, count_kind(EV_DECODED));
	expect_decoded(0, CODE, 5, 0);
	expect_ran(1, 0, 0, 5, 5);
	expect_decoded(2, CODE + 8, 3, 0);
	for (unsigned k = 0; k < 4; k++)
		expect_ran(3 + k, 1, 5 + 3 * k, 3, 3);
	expect_decoded(7, CODE + 20, 1, 0);
	for (unsigned k = 0; k < 3; k++)
		expect_ran(8 + k, 2, 17 + k, 1, 1);
	expect_block_bytes(0, loop_program, 5);
	expect_block_bytes(1, loop_program + 2, 3);
	expect_block_bytes(2, loop_program + 5, 1);
	CHECK(retired_total() == icount(), "the runs' retired add up to the count: %llu",
	      (unsigned long long)retired_total());

	/* Run on: the blocks stay decoded. */
	run(23, &x);
	CHECK(count_kind(EV_DECODED) == 3 && nev == 14, "no block decoded again: %u events", nev);
	for (unsigned k = 0; k < 3; k++)
		expect_ran(11 + k, 2, 20 + k, 1, 1);
	CHECK(retired_total() == 23, "and they still add up");

	/* Another hook set drops every block: each is decoded again for it. */
	static const struct encore_hooks again = {
		.on_block_decoded = hk_decoded,
		.on_block_ran = hk_ran,
	};
	forget_events();
	c->pc = CODE + 8;
	c->x[0] = 1;
	CHECK(e->ops->set_hooks(e, &again) == 0, "another set");
	run(27, &x);
	CHECK(nev == 4, "B and C decoded anew and run: %u events", nev);
	expect_decoded(0, CODE + 8, 3, 0);
	expect_ran(1, 0, 23, 3, 3);
	expect_decoded(2, CODE + 20, 1, 0);
	expect_ran(3, 1, 26, 1, 1);
	e->ops->set_hooks(e, NULL);
}

/* ADD, ADD, UDF #0, B .: the run of three started reports 2 retired,
 * before the exception; the vector (VEC_SAME) spins. */
static const u32 fault_program[] = { ADD_X0_1, ADD_X0_1, UDF_0, B_SELF };

static void setup_fault_program(void)
{
	fresh();
	forget_events();
	c->sys.vbar_el1 = VBAR;
	u32 spin = B_SELF;
	put_code(VEC_SAME, &spin, 1);
	put_code(CODE, fault_program, 4);
}

static void test_block_fault(void)
{
	check_group("decoded-code hooks: a run a fault ends");
	setup_fault_program();
	CHECK(e->ops->set_hooks(e, &code_hooks) == 0, "installed");
	struct encore_exit x;
	run(4, &x);
	CHECK(icount() == 4 && c->x[0] == 2 && c->pc == VEC_SAME && c->sys.elr_el1 == CODE + 8,
	      "two ADDs, the UDF taken, two spins at the vector");
	check_events_sane("fault");
	CHECK(nev == 6, "decoded, ran, exception, decoded, ran, ran: %u events", nev);
	expect_decoded(0, CODE, 4, 0);
	expect_ran(1, 0, 0, 3, 2);
	expect_exc(2, 2, CODE + 8, 0, 0);
	expect_decoded(3, VEC_SAME, 1, 0);
	expect_ran(4, 1, 2, 1, 1);
	expect_ran(5, 1, 3, 1, 1);
	CHECK(retired_total() == icount(), "retired adds up: %llu",
	      (unsigned long long)retired_total());

	/* The first instruction of a block faults: 1 started, 0 retired. */
	forget_events();
	c->pc = CODE + 8;
	run(5, &x);
	CHECK(nev == 4, "decoded, ran, exception, ran: %u events", nev);
	expect_decoded(0, CODE + 8, 2, 0);
	expect_ran(1, 0, 4, 1, 0);
	expect_exc(2, 4, CODE + 8, 0, 0);
	expect_ran(3, -2, 4, 1, 1); /* the vector's block, decoded before forget_events */
	e->ops->set_hooks(e, NULL);
}

static void test_count_runs(void)
{
	check_group("decoded-code hooks: count_runs");
	fresh();
	forget_events();
	put_code(CODE, loop_program, 6);
	CHECK(e->ops->set_hooks(e, &count_hooks) == 0, "installed");
	struct encore_exit x;
	/* A whole, then B cut after its second instruction by the limit. */
	run(7, &x);
	CHECK(icount() == 7 && c->pc == CODE + 16, "stopped at the B.NE");
	CHECK(count_kind(EV_RAN) == 0, "no full run told to on_block_ran: %u", count_kind(EV_RAN));
	CHECK(nblk == 2 && blks[0].counts[4] == 1 && blks[1].counts[1] == 1 &&
	      blks[1].counts[0] == 0 && blks[1].counts[2] == 0,
	      "A: counts[4] = 1; B cut at 2: counts[1] = 1 (B: %llu %llu %llu)",
	      (unsigned long long)blks[1].counts[0], (unsigned long long)blks[1].counts[1],
	      (unsigned long long)blks[1].counts[2]);
	/* On from the B.NE (a block of its own), B three times, C three. */
	run(20, &x);
	CHECK(count_kind(EV_RAN) == 0 && nblk == 4, "still nothing told; %u blocks", nblk);
	expect_decoded(2, CODE + 16, 1, 0);
	expect_decoded(3, CODE + 20, 1, 0);
	CHECK(blks[2].counts[0] == 1 && blks[1].counts[2] == 3 && blks[1].counts[1] == 1 &&
	      blks[3].counts[0] == 3, "B.NE once, B 3 full runs, C 3 runs");
	CHECK(retired_total() == 20, "counts add up to the count: %llu",
	      (unsigned long long)retired_total());

	/* A block whose handle is NULL has every run told. */
	fresh();
	forget_events();
	null_rip = CODE + 20;
	put_code(CODE, loop_program, 6);
	e->ops->set_hooks(e, &count_hooks);
	run(19, &x);
	CHECK(count_kind(EV_RAN) == 2, "C's two runs told: %u", count_kind(EV_RAN));
	expect_ran(nev - 2, -1, 17, 1, 1);
	expect_ran(nev - 1, -1, 18, 1, 1);
	CHECK(blks[0].counts[4] == 1 && blks[1].counts[2] == 4, "A and B counted");
	CHECK(retired_total() == 19, "runs add up: %llu", (unsigned long long)retired_total());

	/* A run a fault ends is told, not counted. */
	setup_fault_program();
	e->ops->set_hooks(e, &count_hooks);
	run(4, &x);
	CHECK(nev == 4, "decoded, ran, exception, decoded: %u events", nev);
	expect_decoded(0, CODE, 4, 0);
	expect_ran(1, 0, 0, 3, 2);
	expect_exc(2, 2, CODE + 8, 0, 0);
	expect_decoded(3, VEC_SAME, 1, 0);
	CHECK(!blks[0].counts[0] && !blks[0].counts[1] && !blks[0].counts[2] &&
	      !blks[0].counts[3] && blks[1].counts[0] == 2,
	      "the faulted run counted nowhere; the vector's 2 runs counted");
	CHECK(retired_total() == 4, "runs add up: %llu", (unsigned long long)retired_total());
	e->ops->set_hooks(e, NULL);
}

/* ---- the same code at two ELs, at two addresses ---- */

static const struct encore_hooks el_hooks = {
	.on_block_decoded = hk_decoded,
	.on_block_ran = hk_ran,
	.on_cpl_change = hk_cpl,
};

static void test_two_els(void)
{
	check_group("decoded-code hooks: the same code at EL1 and EL0");
	fresh();
	forget_events();
	/* ADD, SVC at CODE; from EL1 the SVC's vector ERETs to CODE at EL0,
	 * whose SVC lands at VEC_LOWER, which spins. */
	const u32 code[] = { ADD_X0_1, SVC_0 };
	const u32 to_el0[] = { MSR_SPSR_XZR, MSR_ELR_X1, ERET };
	u32 spin = B_SELF;
	put_code(CODE, code, 2);
	put_code(VEC_SAME, to_el0, 3);
	put_code(VEC_LOWER, &spin, 1);
	c->sys.vbar_el1 = VBAR;
	c->x[1] = CODE;
	CHECK(e->ops->set_hooks(e, &el_hooks) == 0, "installed");
	struct encore_exit x;
	run(9, &x);
	CHECK(icount() == 9 && c->x[0] == 2 && c->el == 1 && c->pc == VEC_LOWER,
	      "ran at EL1, then at EL0, then back at the vector: x0 %llu, pc %#llx",
	      (unsigned long long)c->x[0], (unsigned long long)c->pc);
	check_events_sane("two ELs");
	CHECK(count_kind(EV_DECODED) == 6 && nev == 15,
	      "6 blocks (CODE twice), 7 runs, 2 CPL changes: %u decoded, %u events",
	      count_kind(EV_DECODED), nev);
	expect_decoded(0, CODE, 2, 0);
	expect_ran(1, 0, 0, 2, 2);
	expect_decoded(2, VEC_SAME, 1, 0);
	expect_ran(3, 1, 2, 1, 1);
	expect_decoded(4, VEC_SAME + 4, 1, 0);
	expect_ran(5, 2, 3, 1, 1);
	expect_decoded(6, VEC_SAME + 8, 1, 0);
	expect_ran(7, 3, 4, 1, 1);
	expect_cpl(8, 5, 3);
	expect_decoded(9, CODE, 2, 3);
	expect_ran(10, 4, 5, 2, 2);
	expect_cpl(11, 7, 0);
	expect_decoded(12, VEC_LOWER, 1, 0);
	expect_ran(13, 5, 7, 1, 1);
	expect_ran(14, 5, 8, 1, 1);
	expect_block_bytes(0, code, 2);
	expect_block_bytes(4, code, 2);
	CHECK(retired_total() == icount(), "runs add up: %llu", (unsigned long long)retired_total());
	e->ops->set_hooks(e, NULL);
}

#define ALIAS (CODE + 0x100000) /* a second virtual address of CODE's frame */

static void test_two_addresses(void)
{
	check_group("decoded-code hooks: one frame at two virtual addresses");
	fresh();
	forget_events();
	mmu_on();
	map_page(ALIAS, CODE, PAGE_NORMAL);
	/* ADD, BR X5 with x5 = ALIAS: once at CODE, then at ALIAS for ever. */
	const u32 code[] = { ADD_X0_1, BR_X5 };
	put_code(CODE, code, 2);
	c->x[5] = ALIAS;
	CHECK(e->ops->set_hooks(e, &code_hooks) == 0, "installed");
	struct encore_exit x;
	run(6, &x);
	CHECK(icount() == 6 && c->x[0] == 3 && c->pc == ALIAS, "ran: x0 %llu pc %#llx",
	      (unsigned long long)c->x[0], (unsigned long long)c->pc);
	check_events_sane("two addresses");
	CHECK(count_kind(EV_DECODED) == 2 && nev == 5, "2 blocks, 3 runs: %u events", nev);
	expect_decoded(0, CODE, 2, 0);
	expect_ran(1, 0, 0, 2, 2);
	expect_decoded(2, ALIAS, 2, 0);
	expect_ran(3, 1, 2, 2, 2);
	expect_ran(4, 1, 4, 2, 2);
	expect_block_bytes(0, code, 2);
	expect_block_bytes(1, code, 2);
	e->ops->set_hooks(e, NULL);
}

/* ---- installing ---- */

static void test_hooks_refused(void)
{
	check_group("set_hooks: decoded-code hooks both or neither");
	fresh();
	forget_events();
	static const struct encore_hooks decoded_only = { .on_block_decoded = hk_decoded };
	static const struct encore_hooks ran_only = { .on_block_ran = hk_ran };
	static const struct encore_hooks store_hooks = { .on_mem = hk_mem };
	CHECK(e->ops->set_hooks(e, &decoded_only) == -1, "on_block_decoded alone refused");
	CHECK(e->ops->set_hooks(e, &ran_only) == -1, "on_block_ran alone refused");
	/* A refusal leaves the hooks installed before in place. */
	CHECK(e->ops->set_hooks(e, &store_hooks) == 0, "on_mem alone accepted");
	CHECK(e->ops->set_hooks(e, &decoded_only) == -1, "refused again");
	const u32 code[] = { STR_W1_X2, B_SELF };
	put_code(CODE, code, 2);
	c->x[1] = 0x12345678;
	c->x[2] = CODE + 0x2000;
	struct encore_exit x;
	run(2, &x);
	CHECK(nev == 1 && count_kind(EV_MEM) == 1, "on_mem still called, nothing else: %u events",
	      nev);
	expect_mem(0, 0, CODE + 0x2000, CODE + 0x2000, 4, 0x12345678, HOOK_ACCESS_WRITE);
	e->ops->set_hooks(e, NULL);
}

/* ---- exceptions no instruction takes, and CPL changes ---- */

static const struct encore_hooks exc_hooks = {
	.on_exception = hk_exc,
	.on_cpl_change = hk_cpl,
};

/*
 * ERET to EL0 at an address with no translation: the fetch takes an
 * Instruction Abort from EL0 (EC 0x20, IFSC 7: translation, level 3)
 * before any instruction ran there.  on_exception must see it, and
 * on_cpl_change must not report CPL 3, where nothing ran.
 */
static void test_fetch_abort(void)
{
	check_group("exceptions of the fetch: Instruction Abort, PC alignment");
	fresh();
	forget_events();
	mmu_on();
	map_page(UNMAPPED, 0, 0);
	const u32 to_el0[] = { MSR_SPSR_XZR, MSR_ELR_X1, ERET };
	u32 spin = B_SELF;
	put_code(CODE, to_el0, 3);
	put_code(VEC_LOWER, &spin, 1);
	c->sys.vbar_el1 = VBAR;
	c->x[1] = UNMAPPED;
	CHECK(e->ops->set_hooks(e, &exc_hooks) == 0, "installed");
	struct encore_exit x;
	run(5, &x);
	CHECK(icount() == 5 && c->pc == VEC_LOWER && (c->sys.esr_el1 >> 26) == 0x20 &&
	      c->sys.far_el1 == UNMAPPED, "the Instruction Abort from EL0 was taken: ESR %#llx",
	      (unsigned long long)c->sys.esr_el1);
	check_events_sane("fetch abort");
	CHECK(count_kind(EV_EXC) == 1, "on_exception told of the Instruction Abort: %u calls",
	      count_kind(EV_EXC));
	for (unsigned k = 0; k < nev; k++)
		if (evs[k].kind == EV_EXC)
			expect_exc(k, 3, UNMAPPED, 0x20, 0x07);
	CHECK(count_kind(EV_CPL) == 0, "no CPL change told: nothing ran at EL0 (%u calls)",
	      count_kind(EV_CPL));

	/* ERET to a PC that is not 4-byte aligned: the PC alignment fault. */
	fresh();
	forget_events();
	put_code(CODE, to_el0, 3);
	put_code(VEC_LOWER, &spin, 1);
	c->sys.vbar_el1 = VBAR;
	c->x[1] = CODE + 0x102;
	e->ops->set_hooks(e, &exc_hooks);
	run(5, &x);
	CHECK(icount() == 5 && c->pc == VEC_LOWER && (c->sys.esr_el1 >> 26) == 0x22,
	      "the PC alignment fault from EL0 was taken: ESR %#llx",
	      (unsigned long long)c->sys.esr_el1);
	CHECK(count_kind(EV_EXC) == 1, "on_exception told of the PC alignment fault: %u calls",
	      count_kind(EV_EXC));
	for (unsigned k = 0; k < nev; k++)
		if (evs[k].kind == EV_EXC)
			expect_exc(k, 3, CODE + 0x102, 0x22, 0);
	CHECK(count_kind(EV_CPL) == 0, "no CPL change told (%u calls)", count_kind(EV_CPL));
	e->ops->set_hooks(e, NULL);
}

/* SVC takes an exception (EC 0x15) and retires: docs/plugins.md says
 * on_exception gets every exception, with ESR_EL1.EC as the vector. */
static void test_svc_exception(void)
{
	check_group("on_exception: SVC");
	fresh();
	forget_events();
	const u32 code[] = { SVC_0 };
	u32 spin = B_SELF;
	put_code(CODE, code, 1);
	put_code(VEC_SAME, &spin, 1);
	c->sys.vbar_el1 = VBAR;
	e->ops->set_hooks(e, &exc_hooks);
	struct encore_exit x;
	run(2, &x);
	CHECK(icount() == 2 && c->pc == VEC_SAME && c->sys.elr_el1 == CODE + 4,
	      "SVC retired and its vector ran");
	CHECK(count_kind(EV_EXC) == 1, "on_exception told of the SVC: %u calls",
	      count_kind(EV_EXC));
	for (unsigned k = 0; k < nev; k++)
		if (evs[k].kind == EV_EXC)
			CHECK(evs[k].n1 == 0x15, "vector %#x", evs[k].n1);
	e->ops->set_hooks(e, NULL);
}

int main(void)
{
	test_limits();
	test_state();
	test_interrupts();
	test_code_rewritten();
	test_exception_loop();
	test_on_mem();
	test_on_mem_removed();
	test_on_mem_atomics();
	test_block_hooks();
	test_block_fault();
	test_count_runs();
	test_two_els();
	test_two_addresses();
	test_hooks_refused();
	test_irq_exception();
	test_fetch_abort();
	test_svc_exception();
	machine__destroy(m);
	return check_summary();
}
