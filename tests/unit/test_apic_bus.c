/*
 * The multiprocessor interrupt fabric end to end, without a guest: PCs of
 * 2, 4 and 16 vCPUs, each vCPU with an interpreter engine, every APIC
 * register access made by the vCPU that owns the APIC.  Covered:
 * physical, logical flat and logical cluster destinations and the
 * shorthands; the ICR combinations the SDM calls invalid; lowest-priority
 * arbitration; what fixed IPIs do to IRR, TMR and ESR; INIT, STARTUP and
 * NMI carried out by the controller's service step (as the run loop calls
 * it); the I/O APIC's edge, level (EOI and redelivery), lowest-priority
 * and ExtINT redirections; and a machine copied part by part in the
 * middle of an INIT/STARTUP sequence.
 *
 * The machines come from pc__create rather than hand wiring, so the test
 * covers the wiring a guest gets (one local APIC per vCPU on the APIC
 * bus, the I/O APIC's sink, the real 8259 pair behind the boot CPU's
 * APIC) and cannot drift from pc.c.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "encore/engine.h"
#include "encore/hw/apic_bus.h"
#include "encore/hw/pic8259.h"
#include "encore/bare_metal.h"
#include "encore/loader.h"
#include "encore/pc.h"
#include "encore/state_hash.h"
#include "encore/state_parts.h"

#define RAM_SIZE (16ull << 20)
#define CODE 0x100000ull
#define HANDLER 0x101000ull
#define IDT 0x102000ull
#define STACKS 0x200000ull /* vCPU k's stack ends at STACKS + 0x1000 * (k + 1) */
#define MAX_CPUS 16

/* ICR low fields. */
#define DM(mode) ((u32)(mode) << 8)
#define LOGICAL (1u << 11)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define SH(shorthand) ((u32)(shorthand) << 18)

#define LVT_MASKED (1u << 16)
#define SVR_ON 0x1ffu
#define ESR_SEND_ILLEGAL 0x20u
#define ESR_RECV_ILLEGAL 0x40u
#define PENDING_ANY (LAPIC_PENDING_NMI | LAPIC_PENDING_INIT | LAPIC_PENDING_STARTUP | \
		     LAPIC_PENDING_EXTINT)

/* Redirection entry bits (low half). */
#define RTE_LOGICAL (1u << 11)
#define RTE_REMOTE_IRR (1u << 14)
#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)

#define PIC_VECTOR_BASE 0x30

static const unsigned sizes[] = { 2, 4, 16 };

/* inc %rax; jmp back to it */
static const u8 main_code[] = { 0x48, 0xff, 0xc0, 0xeb, 0xfb };
/* The NMI handler records where it came in and how often:
 * mov %rax,%rbx; inc %r15; iretq */
static const u8 nmi_code[] = { 0x48, 0x89, 0xc3, 0x49, 0xff, 0xc7, 0x48, 0xcf };

struct rig {
	struct encore_machine *m;
	struct pc pc;
	unsigned n;
};

/* ---- building machines ---- */

static void discard(void *opaque, u8 byte)
{
	(void)opaque;
	(void)byte;
}

static void put_code(struct encore_machine *m)
{
	memcpy(machine__ram_ptr(m, CODE), main_code, sizeof(main_code));
	memcpy(machine__ram_ptr(m, HANDLER), nmi_code, sizeof(nmi_code));
	/* IDT entry 2: a 64-bit interrupt gate to HANDLER */
	u64 lo = (HANDLER & 0xffff) | ((u64)BARE_SEL_CODE << 16) | (0x8eull << 40) |
		 ((HANDLER >> 16 & 0xffff) << 48);
	u64 hi = HANDLER >> 32;
	memcpy(machine__ram_ptr(m, IDT + 2 * 16), &lo, 8);
	memcpy(machine__ram_ptr(m, IDT + 2 * 16 + 8), &hi, 8);
}

/* Every vCPU runs the loop at CODE in long mode on its own stack; only
 * vCPU 0 is the boot CPU.  The MSRs an INIT keeps get values no reset
 * would give them. */
static bool start_cpus(struct rig *r)
{
	struct encore_cpu_state s;
	if (bare_metal__prepare(r->m, &s, CODE))
		return false;
	put_code(r->m);
	s.idtr.base = IDT;
	s.idtr.limit = 256 * 16 - 1;
	s.msr.pat = 0x0007010600070106ull;
	s.msr.mtrr_def_type = 0xc06;
	for (unsigned k = 0; k < r->n; k++) {
		struct encore_vcpu *v = &r->m->vcpus[k];
		if (!interp__create(r->m, v))
			return false;
		s.gpr[REG_RSP] = STACKS + 0x1000 * (k + 1);
		s.msr.tsc_offset = 1000 * (k + 1);
		s.msr.apic_base = CPU_APIC_BASE_ADDR | CPU_APIC_BASE_ENABLE |
				  (k == 0 ? CPU_APIC_BASE_BSP : 0);
		v->engine->ops->set_state(v->engine, &s);
	}
	return true;
}

static void rig_init(struct rig *r, unsigned n)
{
	memset(r, 0, sizeof(*r));
	r->n = n;
	r->m = machine__create(&arch_x86_64, RAM_SIZE, n);
	struct pc_config cfg = { .console_tx = discard };
	bool ok = r->m && !pc__create(r->m, &cfg, &r->pc) && start_cpus(r);
	CHECK(ok, "a PC with %u vCPUs and their engines", n);
	if (!ok)
		exit(check_summary());
}

static void rig_done(struct rig *r)
{
	machine__destroy(r->m);
}

/* ---- the vCPUs' side ---- */

static u32 rd(struct rig *r, unsigned k, unsigned off)
{
	u8 b[4];
	bus__access(&r->m->mmio, &r->m->vcpus[k], LAPIC_BASE + off, b, 4, false);
	u32 v;
	memcpy(&v, b, 4);
	return v;
}

static void wr(struct rig *r, unsigned k, unsigned off, u32 v)
{
	u8 b[4];
	memcpy(b, &v, 4);
	bus__access(&r->m->mmio, &r->m->vcpus[k], LAPIC_BASE + off, b, 4, true);
}

static struct device *apic_device(struct rig *r, unsigned k)
{
	char name[16];
	snprintf(name, sizeof(name), "lapic%u", k);
	return machine__find_device(r->m, name);
}

static struct lapic *apic(struct rig *r, unsigned k)
{
	return apic_device(r, k)->dev;
}

/* What the APIC latched for its CPU is not visible through registers. */
static struct lapic_state *apic_state(struct rig *r, unsigned k)
{
	return apic_device(r, k)->state;
}

static struct encore_engine *engine(struct rig *r, unsigned k)
{
	return r->m->vcpus[k].engine;
}

static void get_state(struct rig *r, unsigned k, struct encore_cpu_state *s)
{
	engine(r, k)->ops->get_state(engine(r, k), s);
}

static bool runnable(struct rig *r, unsigned k)
{
	return engine(r, k)->ops->runnable(engine(r, k));
}

/* What the run loop does at a boundary before offering interrupts. */
static void service(struct rig *r, unsigned k)
{
	struct encore_vcpu *v = &r->m->vcpus[k];
	v->intc.service(v->intc.opaque, v);
}

static void service_all(struct rig *r)
{
	for (unsigned k = 0; k < r->n; k++)
		service(r, k);
}

/* Run vCPU k for `n` more instructions.  Every request sent kicks the
 * running vCPU, which then returns at once, as it would to the run loop. */
static void step(struct rig *r, unsigned k, u64 n)
{
	struct encore_engine *e = engine(r, k);
	struct encore_exit x;
	u64 end = e->ops->insn_count(e) + n;
	machine__switch_to(r->m, &r->m->vcpus[k]);
	do
		engine__run(e, end, &x);
	while (x.reason == EXIT_KICK);
}

/* Architectural state alike: a pending kick is the run loop's plumbing
 * (every request sent kicks the running vCPU), not the CPU's. */
static bool same_state(const struct encore_cpu_state *a, const struct encore_cpu_state *b)
{
	struct encore_cpu_state x = *a, y = *b;
	x.kick_pending = y.kick_pending = 0;
	return !memcmp(&x, &y, sizeof(x));
}

static void ipi(struct rig *r, unsigned from, u8 dest, u32 lo)
{
	wr(r, from, LAPIC_ICR_HI, (u32)dest << 24);
	wr(r, from, LAPIC_ICR_LO, lo);
}

static void enable_all(struct rig *r)
{
	for (unsigned k = 0; k < r->n; k++)
		wr(r, k, LAPIC_SVR, SVR_ON);
}

/* ---- observing ---- */

static u32 all(const struct rig *r)
{
	return (u32)((1ull << r->n) - 1);
}

static bool has_vector(struct rig *r, unsigned k, unsigned base, unsigned v)
{
	return rd(r, k, base + 16 * (v / 32)) >> (v % 32) & 1;
}

/* The vCPUs whose IRR (ISR, TMR: `base`) holds `v`, one bit each. */
static u32 who(struct rig *r, unsigned base, unsigned v)
{
	u32 mask = 0;
	for (unsigned k = 0; k < r->n; k++)
		if (has_vector(r, k, base, v))
			mask |= 1u << k;
	return mask;
}

/* The vCPUs whose IRR (ISR, TMR) holds anything. */
static u32 who_any(struct rig *r, unsigned base)
{
	u32 mask = 0;
	for (unsigned k = 0; k < r->n; k++)
		for (unsigned i = 0; i < 8; i++)
			if (rd(r, k, base + 16 * i))
				mask |= 1u << k;
	return mask;
}

/* The vCPUs whose APIC latched one of `bits` (LAPIC_PENDING_*). */
static u32 who_latched(struct rig *r, u32 bits)
{
	u32 mask = 0;
	for (unsigned k = 0; k < r->n; k++)
		if (apic_state(r, k)->pending & bits)
			mask |= 1u << k;
	return mask;
}

/* ESR as software reads it: a write latches the errors seen so far. */
static u32 esr(struct rig *r, unsigned k)
{
	wr(r, k, LAPIC_ESR, 0);
	return rd(r, k, LAPIC_ESR);
}

/* The logical flat destination `dest` as the SDM defines it: the CPUs
 * whose LDR shares a bit with it, with vCPU k's LDR bit k % 8. */
static u32 flat_set(unsigned n, u8 dest)
{
	u32 mask = 0;
	for (unsigned k = 0; k < n; k++)
		if (dest >> (k % 8) & 1)
			mask |= 1u << k;
	return mask;
}

static void set_flat_ldrs(struct rig *r)
{
	for (unsigned k = 0; k < r->n; k++)
		wr(r, k, LAPIC_LDR, 1u << (k % 8) << 24);
}

/* Take and retire everything each APIC holds and clear its errors, so the
 * next case starts clean. */
static void drain(struct rig *r)
{
	for (unsigned k = 0; k < r->n; k++) {
		wr(r, k, LAPIC_TPR, 0);
		for (int guard = 0; guard < 256 && lapic__acknowledge(apic(r, k)) >= 0; guard++)
			wr(r, k, LAPIC_EOI, 0);
		for (int guard = 0; guard < 256 && who_any(r, LAPIC_ISR) >> k & 1; guard++)
			wr(r, k, LAPIC_EOI, 0);
		esr(r, k);
		esr(r, k);
	}
}

/* Latched requests are carried out only by the service step, which would
 * change the engines: cases that only look at routing drop them here. */
static void forget_requests(struct rig *r)
{
	for (unsigned k = 0; k < r->n; k++)
		apic_state(r, k)->pending = 0;
}

/* ---- destinations ---- */

static void physical_from(struct rig *r, unsigned from)
{
	for (unsigned t = 0; t < r->n; t++) {
		ipi(r, from, t, 0x40 + t);
		CHECK(who(r, LAPIC_IRR, 0x40 + t) == 1u << t && who_any(r, LAPIC_IRR) == 1u << t,
		      "%u CPUs: from %u to ID %u reached %#x", r->n, from, t,
		      who(r, LAPIC_IRR, 0x40 + t));
		drain(r);
	}
	ipi(r, from, APIC_BROADCAST, 0x90);
	CHECK(who(r, LAPIC_IRR, 0x90) == all(r), "%u CPUs: broadcast from %u reached %#x", r->n,
	      from, who(r, LAPIC_IRR, 0x90));
	drain(r);
	ipi(r, from, r->n, 0x91);
	CHECK(who_any(r, LAPIC_IRR) == 0, "%u CPUs: ID %u (nobody's) reached %#x", r->n, r->n,
	      who_any(r, LAPIC_IRR));
}

static void test_physical(void)
{
	check_group("physical");
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct rig r;
		rig_init(&r, sizes[i]);
		enable_all(&r);
		physical_from(&r, 0);
		physical_from(&r, r.n - 1);
		/* The destination is the ID register, not the vCPU number. */
		for (unsigned k = 0; k < r.n; k++)
			wr(&r, k, LAPIC_ID, (r.n - 1 - k) << 24);
		for (unsigned t = 0; t < r.n; t++) {
			ipi(&r, 0, t, 0x60);
			CHECK(who(&r, LAPIC_IRR, 0x60) == 1u << (r.n - 1 - t),
			      "%u CPUs, IDs reversed: ID %u reached %#x", r.n, t,
			      who(&r, LAPIC_IRR, 0x60));
			drain(&r);
		}
		rig_done(&r);
	}
}

static void test_logical_flat(void)
{
	check_group("logical-flat");
	static const u8 dests[] = { 0x01, 0x02, 0x04, 0x80, 0x05, 0x06,
				    0x0a, 0x81, 0x3c, 0x00, 0xff };
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct rig r;
		rig_init(&r, sizes[i]);
		enable_all(&r);
		set_flat_ldrs(&r);
		for (unsigned d = 0; d < ARRAY_SIZE(dests); d++) {
			ipi(&r, 1, dests[d], LOGICAL | 0x50);
			CHECK(who(&r, LAPIC_IRR, 0x50) == flat_set(r.n, dests[d]),
			      "%u CPUs: MDA %#x reached %#x, want %#x", r.n, dests[d],
			      who(&r, LAPIC_IRR, 0x50), flat_set(r.n, dests[d]));
			drain(&r);
		}
		/* A new LDR takes effect at once. */
		wr(&r, 1, LAPIC_LDR, 0x80u << 24);
		ipi(&r, 0, 0x80, LOGICAL | 0x51);
		CHECK(who(&r, LAPIC_IRR, 0x51) == (flat_set(r.n, 0x80) | 2u),
		      "%u CPUs: CPU 1 moved to bit 7: %#x", r.n, who(&r, LAPIC_IRR, 0x51));
		rig_done(&r);
	}
}

/* Cluster model: vCPU k is in cluster k / 4, bit k % 4 of it. */
static u32 cluster_set(unsigned n, u8 dest)
{
	if (dest == APIC_BROADCAST)
		return (u32)((1ull << n) - 1);
	u32 mask = 0;
	for (unsigned k = 0; k < n; k++)
		if (k / 4 == dest >> 4u && (dest >> (k % 4) & 1))
			mask |= 1u << k;
	return mask;
}

static void test_logical_cluster(void)
{
	check_group("logical-cluster");
	static const u8 dests[] = { 0x01, 0x0f, 0x0c, 0x13, 0x1f, 0x38, 0x2f, 0x10, 0x31, 0xff };
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct rig r;
		rig_init(&r, sizes[i]);
		enable_all(&r);
		for (unsigned k = 0; k < r.n; k++) {
			wr(&r, k, LAPIC_DFR, 0x0fffffff);
			wr(&r, k, LAPIC_LDR, ((k / 4) << 4 | 1u << (k % 4)) << 24);
		}
		for (unsigned d = 0; d < ARRAY_SIZE(dests); d++) {
			ipi(&r, r.n - 1, dests[d], LOGICAL | 0x52);
			CHECK(who(&r, LAPIC_IRR, 0x52) == cluster_set(r.n, dests[d]),
			      "%u CPUs: MDA %#x reached %#x, want %#x", r.n, dests[d],
			      who(&r, LAPIC_IRR, 0x52), cluster_set(r.n, dests[d]));
			drain(&r);
		}
		rig_done(&r);
	}
}

static void shorthands_from(struct rig *r, unsigned s)
{
	u8 elsewhere = (s + 1) % r->n; /* the destination field is ignored */
	ipi(r, s, elsewhere, SH(APIC_SH_SELF) | 0x53);
	CHECK(who(r, LAPIC_IRR, 0x53) == 1u << s, "%u CPUs: self from %u reached %#x", r->n, s,
	      who(r, LAPIC_IRR, 0x53));
	drain(r);
	ipi(r, s, elsewhere, SH(APIC_SH_ALL) | 0x54);
	CHECK(who(r, LAPIC_IRR, 0x54) == all(r), "%u CPUs: all from %u reached %#x", r->n, s,
	      who(r, LAPIC_IRR, 0x54));
	drain(r);
	ipi(r, s, elsewhere, SH(APIC_SH_OTHERS) | 0x55);
	CHECK(who(r, LAPIC_IRR, 0x55) == (all(r) & ~(1u << s)),
	      "%u CPUs: others from %u reached %#x", r->n, s, who(r, LAPIC_IRR, 0x55));
	drain(r);
}

static void test_shorthands(void)
{
	check_group("shorthands");
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct rig r;
		rig_init(&r, sizes[i]);
		enable_all(&r);
		shorthands_from(&r, 0);
		shorthands_from(&r, r.n / 2 + 1 < r.n ? r.n / 2 + 1 : 1);
		shorthands_from(&r, r.n - 1);
		rig_done(&r);
	}
}

static void snapshot_cpus(struct rig *r, struct encore_cpu_state *s, struct lapic_state *a)
{
	for (unsigned k = 0; k < r->n; k++) {
		get_state(r, k, &s[k]);
		if (a)
			a[k] = *apic_state(r, k);
	}
}

/* APIC state alike, but for the ICR, which holds what its CPU last sent. */
static bool same_apic(const struct lapic_state *a, const struct lapic_state *b)
{
	struct lapic_state x = *a, y = *b;
	x.icr_lo = x.icr_hi = y.icr_lo = y.icr_hi = 0;
	return !memcmp(&x, &y, sizeof(x));
}

/* Every CPU but `except` as in the snapshot (with its APIC if `a`). */
static bool others_unchanged(struct rig *r, unsigned except, const struct encore_cpu_state *s,
			     const struct lapic_state *a)
{
	for (unsigned k = 0; k < r->n; k++) {
		struct encore_cpu_state now;
		get_state(r, k, &now);
		if (k != except && (!same_state(&now, &s[k]) ||
				    (a && !same_apic(apic_state(r, k), &a[k]))))
			return false;
	}
	return true;
}

/* SDM "Valid Combinations for the Local xAPIC Interrupt Command
 * Register": self and all-including-self take fixed interrupts only. */
static void invalid_from(struct rig *r, unsigned s)
{
	struct encore_cpu_state before[MAX_CPUS];
	static const u8 modes[] = { APIC_DM_LOWEST, APIC_DM_NMI, APIC_DM_INIT, APIC_DM_STARTUP };
	static const u8 shorthands[] = { APIC_SH_SELF, APIC_SH_ALL };
	for (unsigned d = 0; d < ARRAY_SIZE(modes); d++) {
		for (unsigned h = 0; h < ARRAY_SIZE(shorthands); h++) {
			snapshot_cpus(r, before, NULL);
			ipi(r, s, 0, ICR_ASSERT | DM(modes[d]) | SH(shorthands[h]) | 0x56);
			CHECK(who_any(r, LAPIC_IRR) == 0 && who_latched(r, PENDING_ANY) == 0,
			      "%u CPUs: mode %u, shorthand %u from %u: IRR %#x, latched %#x", r->n,
			      modes[d], shorthands[h], s, who_any(r, LAPIC_IRR),
			      who_latched(r, PENDING_ANY));
			service_all(r);
			CHECK(others_unchanged(r, r->n, before, NULL),
			      "%u CPUs: mode %u, shorthand %u changed a CPU", r->n, modes[d],
			      shorthands[h]);
		}
		/* The same message to all but self is valid. */
		ipi(r, s, 0, ICR_ASSERT | DM(modes[d]) | SH(APIC_SH_OTHERS) | 0x56);
		u32 want = modes[d] == APIC_DM_LOWEST ? 1 : r->n - 1;
		u32 got = who(r, LAPIC_IRR, 0x56) | who_latched(r, PENDING_ANY);
		CHECK((u32)__builtin_popcount(got) == want && !(got >> s & 1),
		      "%u CPUs: mode %u to the others from %u reached %#x", r->n, modes[d], s, got);
		drain(r);
		forget_requests(r);
	}
}

static void test_invalid_combinations(void)
{
	check_group("invalid-combinations");
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct rig r;
		rig_init(&r, sizes[i]);
		enable_all(&r);
		invalid_from(&r, 0);
		invalid_from(&r, r.n - 1);
		rig_done(&r);
	}
}

/* ---- lowest priority ---- */

/* Distinct TPRs: vCPU n/2 lowest, then n/2 + 1 (mod n), and so on. */
static unsigned rank(const struct rig *r, unsigned k)
{
	return (k + r->n - r->n / 2) % r->n;
}

static void set_ranked_tprs(struct rig *r)
{
	for (unsigned k = 0; k < r->n; k++)
		wr(r, k, LAPIC_TPR, rank(r, k) << 4);
}

static void lowest(struct rig *r, unsigned from, u8 dest, u8 vector)
{
	ipi(r, from, dest, LOGICAL | DM(APIC_DM_LOWEST) | vector);
}

/* The lowest arbitration priority wins; IRR and ISR count in it. */
static void lowest_by_priority(struct rig *r)
{
	unsigned w = r->n / 2, w2 = (r->n / 2 + 1) % r->n;
	for (int rep = 0; rep < 3; rep++) {
		set_ranked_tprs(r);
		lowest(r, 0, 0xff, 0x61);
		CHECK(who(r, LAPIC_IRR, 0x61) == 1u << w, "%u CPUs: try %d went to %#x, want %u",
		      r->n, rep, who(r, LAPIC_IRR, 0x61), w);
		/* The winner's new request raises its arbitration priority. */
		lowest(r, 0, 0xff, 0x62);
		CHECK(who(r, LAPIC_IRR, 0x62) == 1u << w2, "%u CPUs: second went to %#x, want %u",
		      r->n, who(r, LAPIC_IRR, 0x62), w2);
		drain(r);
	}
	set_ranked_tprs(r);
	lowest(r, 0, 0xff & ~(1u << (w % 8)), 0x63);
	CHECK(who(r, LAPIC_IRR, 0x63) == 1u << w2, "%u CPUs: without the winner's bit: %#x", r->n,
	      who(r, LAPIC_IRR, 0x63));
	drain(r);
	set_ranked_tprs(r);
	ipi(r, w, 0, SH(APIC_SH_OTHERS) | DM(APIC_DM_LOWEST) | 0x64);
	CHECK(who(r, LAPIC_IRR, 0x64) == 1u << w2, "%u CPUs: to the winner's others: %#x", r->n,
	      who(r, LAPIC_IRR, 0x64));
	drain(r);
	set_ranked_tprs(r);
	wr(r, w, LAPIC_SVR, 0xff);
	lowest(r, 0, 0xff, 0x65);
	CHECK(who(r, LAPIC_IRR, 0x65) == 1u << w2, "%u CPUs: winner disabled: %#x", r->n,
	      who(r, LAPIC_IRR, 0x65));
	wr(r, w, LAPIC_SVR, SVR_ON);
	drain(r);
}

static void set_equal_tprs(struct rig *r)
{
	for (unsigned k = 0; k < r->n; k++)
		wr(r, k, LAPIC_TPR, 0x20);
}

/* Equal priorities go to the lowest APIC ID. */
static void lowest_ties(struct rig *r)
{
	set_equal_tprs(r);
	lowest(r, 1, 0xff, 0x66);
	CHECK(who(r, LAPIC_IRR, 0x66) == 1, "%u CPUs: tie went to %#x", r->n,
	      who(r, LAPIC_IRR, 0x66));
	drain(r);
	set_equal_tprs(r);
	wr(r, 0, LAPIC_SVR, 0xff);
	lowest(r, 1, 0xff, 0x67);
	CHECK(who(r, LAPIC_IRR, 0x67) == 2, "%u CPUs: CPU 0 disabled: %#x", r->n,
	      who(r, LAPIC_IRR, 0x67));
	wr(r, 0, LAPIC_SVR, SVR_ON);
	drain(r);
	ipi(r, 1, 0, 0x45);
	lapic__acknowledge(apic(r, 0)); /* 0x45 in service on CPU 0: APR 0x40 */
	set_equal_tprs(r);
	lowest(r, 1, 0xff, 0x68);
	CHECK(who(r, LAPIC_IRR, 0x68) == 2, "%u CPUs: CPU 0 busy: %#x", r->n,
	      who(r, LAPIC_IRR, 0x68));
	drain(r);
	for (unsigned k = 0; k < r->n; k++)
		wr(r, k, LAPIC_ID, (r->n - 1 - k) << 24);
	set_equal_tprs(r);
	lowest(r, 1, 0xff, 0x69);
	CHECK(who(r, LAPIC_IRR, 0x69) == 1u << (r->n - 1), "%u CPUs, IDs reversed: tie went to %#x",
	      r->n, who(r, LAPIC_IRR, 0x69));
	drain(r);
}

static void test_lowest_priority(void)
{
	check_group("lowest-priority");
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct rig r;
		rig_init(&r, sizes[i]);
		enable_all(&r);
		set_flat_ldrs(&r);
		lowest_by_priority(&r);
		lowest_ties(&r);
		rig_done(&r);
	}
}

/* ---- fixed IPIs: IRR, TMR, errors ---- */

static void fixed_trigger_modes(struct rig *r)
{
	unsigned t = r->n - 1;
	ipi(r, 0, t, 0x70);
	CHECK(who_any(r, LAPIC_IRR) == 1u << t && who(r, LAPIC_IRR, 0x70) == 1u << t,
	      "%u CPUs: edge: IRR in %#x", r->n, who_any(r, LAPIC_IRR));
	CHECK(who_any(r, LAPIC_TMR) == 0 && who_any(r, LAPIC_ISR) == 0,
	      "%u CPUs: edge: TMR %#x ISR %#x", r->n, who_any(r, LAPIC_TMR), who_any(r, LAPIC_ISR));
	drain(r);
	/* The SDM: the ICR's trigger mode is ignored but for INIT level
	 * de-assert, so a "level" fixed IPI arrives edge-triggered: no TMR
	 * bit, and no EOI of it reaches the I/O APIC. */
	ipi(r, t, 0, ICR_LEVEL | ICR_ASSERT | 0x71);
	CHECK(who_any(r, LAPIC_IRR) == 1 && who(r, LAPIC_IRR, 0x71) == 1,
	      "%u CPUs: level IPI: IRR in %#x", r->n, who_any(r, LAPIC_IRR));
	CHECK(who_any(r, LAPIC_TMR) == 0, "%u CPUs: level IPI: no TMR (%#x)", r->n,
	      who_any(r, LAPIC_TMR));
	drain(r);
	ipi(r, 0, 0, SH(APIC_SH_OTHERS) | ICR_LEVEL | ICR_ASSERT | 0x72);
	u32 others = all(r) & ~1u;
	CHECK(who_any(r, LAPIC_TMR) == 0 && who(r, LAPIC_IRR, 0x72) == others,
	      "%u CPUs: level IPI to the others: IRR %#x, no TMR", r->n, who(r, LAPIC_IRR, 0x72));
	drain(r);
	/* A software-disabled APIC takes no fixed interrupt. */
	wr(r, t, LAPIC_SVR, 0xff);
	ipi(r, 0, APIC_BROADCAST, 0x73);
	CHECK(who_any(r, LAPIC_IRR) == (all(r) & ~(1u << t)), "%u CPUs: CPU %u disabled: IRR in %#x",
	      r->n, t, who_any(r, LAPIC_IRR));
	wr(r, t, LAPIC_SVR, SVR_ON);
	drain(r);
}

/* Vectors 0-15: send-illegal on the sender, receive-illegal on receivers. */
static void fixed_illegal(struct rig *r)
{
	unsigned s = 1, t = r->n - 1 == s ? 0 : r->n - 1;
	ipi(r, s, t, 0x05);
	for (unsigned k = 0; k < r->n; k++) {
		u32 want = k == s ? ESR_SEND_ILLEGAL : k == t ? ESR_RECV_ILLEGAL : 0;
		CHECK(esr(r, k) == want, "%u CPUs: vector 5, %u to %u: CPU %u ESR %#x, want %#x",
		      r->n, s, t, k, rd(r, k, LAPIC_ESR), want);
	}
	CHECK(who_any(r, LAPIC_IRR) == 0, "%u CPUs: no IRR bit for vector 5", r->n);
	drain(r);
	ipi(r, s, 0, SH(APIC_SH_ALL) | 0x0e);
	for (unsigned k = 0; k < r->n; k++) {
		u32 want = ESR_RECV_ILLEGAL | (k == s ? ESR_SEND_ILLEGAL : 0);
		CHECK(esr(r, k) == want, "%u CPUs: vector 14 to all: CPU %u ESR %#x", r->n, k,
		      rd(r, k, LAPIC_ESR));
	}
	drain(r);
	/* The receiver's error interrupt fires for it. */
	wr(r, t, LAPIC_LVT_BASE + 16 * LVT_ERROR, 0xe7);
	ipi(r, s, t, 0x03);
	CHECK(who_any(r, LAPIC_IRR) == 1u << t && who(r, LAPIC_IRR, 0xe7) == 1u << t,
	      "%u CPUs: error interrupt: IRR in %#x", r->n, who_any(r, LAPIC_IRR));
	wr(r, t, LAPIC_LVT_BASE + 16 * LVT_ERROR, LVT_MASKED);
	drain(r);
	/* An NMI has no vector: 0 there is no error. */
	ipi(r, s, t, DM(APIC_DM_NMI) | ICR_ASSERT);
	CHECK(esr(r, s) == 0 && esr(r, t) == 0, "%u CPUs: NMI with vector 0 is no error", r->n);
	forget_requests(r);
}

static void test_fixed(void)
{
	check_group("fixed");
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct rig r;
		rig_init(&r, sizes[i]);
		enable_all(&r);
		fixed_trigger_modes(&r);
		fixed_illegal(&r);
		rig_done(&r);
	}
}

/* ---- INIT and STARTUP ---- */

static void send_init(struct rig *r, unsigned from, u8 dest)
{
	ipi(r, from, dest, DM(APIC_DM_INIT) | ICR_ASSERT);
}

static void send_startup(struct rig *r, unsigned from, u8 dest, u8 vector)
{
	ipi(r, from, dest, DM(APIC_DM_STARTUP) | ICR_ASSERT | vector);
}

/* Give APIC t state an INIT must clear: priorities, destinations,
 * requests, one in service, a running timer, unmasked LVTs, an error. */
static void dirty_apic(struct rig *r, unsigned t)
{
	wr(r, t, LAPIC_ID, (0x40 + t) << 24);
	wr(r, t, LAPIC_LDR, 0x10u << 24);
	wr(r, t, LAPIC_DFR, 0x0fffffff);
	for (unsigned k = 0; k < LAPIC_NLVT; k++)
		wr(r, t, LAPIC_LVT_BASE + 16 * k, 0xe0 + k);
	wr(r, t, LAPIC_LVT_BASE + 16 * LVT_TIMER, 0x20000 | 0xe0);
	wr(r, t, LAPIC_TIMER_INITIAL, 1000000);
	ipi(r, 0, 0x40 + t, 0x77);
	lapic__acknowledge(apic(r, t));
	lapic__deliver(apic(r, t), 0x66, true); /* a level vector, as from the I/O APIC */
	ipi(r, 0, 0x40 + t, 0x07);
	wr(r, t, LAPIC_TPR, 0x20);
}

static bool vector_sets_clear(struct rig *r, unsigned t)
{
	return !(who_any(r, LAPIC_IRR) >> t & 1) && !(who_any(r, LAPIC_ISR) >> t & 1) &&
	       !(who_any(r, LAPIC_TMR) >> t & 1);
}

static bool lvts_masked(struct rig *r, unsigned t)
{
	for (unsigned k = 0; k < LAPIC_NLVT; k++)
		if (rd(r, t, LAPIC_LVT_BASE + 16 * k) != LVT_MASKED)
			return false;
	return true;
}

static void check_apic_after_init(struct rig *r, unsigned t, u64 deadline_before)
{
	CHECK(rd(r, t, LAPIC_SVR) == 0xff && lvts_masked(r, t), "%u CPUs: SVR %#x, LVTs masked %d",
	      r->n, rd(r, t, LAPIC_SVR), lvts_masked(r, t));
	CHECK(rd(r, t, LAPIC_ID) == (0x40 + t) << 24, "%u CPUs: ID kept: %#x", r->n,
	      rd(r, t, LAPIC_ID));
	CHECK(vector_sets_clear(r, t), "%u CPUs: IRR, ISR, TMR clear", r->n);
	CHECK(rd(r, t, LAPIC_TPR) == 0 && rd(r, t, LAPIC_LDR) == 0 && rd(r, t, LAPIC_DFR) == ~0u &&
	      esr(r, t) == 0, "%u CPUs: TPR, LDR, DFR, ESR reset", r->n);
	CHECK(rd(r, t, LAPIC_TIMER_INITIAL) == 0 && rd(r, t, LAPIC_TIMER_CURRENT) == 0 &&
	      apic_state(r, t)->timer_deadline == VTIMER_OFF &&
	      machine__next_deadline(r->m) == deadline_before, "%u CPUs: timer stopped", r->n);
	CHECK(apic_state(r, t)->pending == 0, "%u CPUs: nothing left latched", r->n);
}

static void check_init_state(struct rig *r, unsigned t, const struct encore_cpu_state *before)
{
	struct encore_cpu_state s, want;
	get_state(r, t, &s);
	cpu_state__init(&want, before, false);
	CHECK(same_state(&s, &want), "%u CPUs: CPU %u is in the INIT state", r->n, t);
	CHECK(s.rip == 0xfff0 && s.seg[SEG_CS].selector == 0xf000 &&
	      s.seg[SEG_CS].base == 0xffff0000ull && !(s.cr0 & CR0_PE) && s.efer == 0,
	      "%u CPUs: real mode at F000:FFF0 (CS %#x base %#llx RIP %#llx)", r->n,
	      s.seg[SEG_CS].selector, (unsigned long long)s.seg[SEG_CS].base,
	      (unsigned long long)s.rip);
	CHECK(s.wait_for_sipi && s.halted && !runnable(r, t), "%u CPUs: waiting for SIPI", r->n);
	CHECK(s.msr.pat == before->msr.pat && s.msr.tsc_offset == before->msr.tsc_offset &&
	      s.msr.mtrr_def_type == before->msr.mtrr_def_type,
	      "%u CPUs: INIT keeps PAT, MTRRs, TSC: PAT %#llx", r->n,
	      (unsigned long long)s.msr.pat);
}

static void check_started(struct rig *r, unsigned t, u8 vector)
{
	struct encore_cpu_state s;
	get_state(r, t, &s);
	CHECK(s.seg[SEG_CS].selector == vector << 8 && s.seg[SEG_CS].base == (u64)vector << 12 &&
	      s.seg[SEG_CS].limit == 0xffff && s.rip == 0,
	      "%u CPUs: CPU %u started at %#x:0 (CS %#x base %#llx RIP %#llx)", r->n, t,
	      vector << 8, s.seg[SEG_CS].selector, (unsigned long long)s.seg[SEG_CS].base,
	      (unsigned long long)s.rip);
	CHECK(!(s.cr0 & CR0_PE) && s.efer == 0 && !s.wait_for_sipi && !s.halted && runnable(r, t),
	      "%u CPUs: CPU %u runs in real mode", r->n, t);
}

static void init_an_ap(struct rig *r, unsigned t)
{
	struct encore_cpu_state s[MAX_CPUS];
	struct lapic_state a[MAX_CPUS];
	u64 deadline = machine__next_deadline(r->m);
	dirty_apic(r, t);
	CHECK(apic_state(r, t)->timer_deadline != VTIMER_OFF && rd(r, t, LAPIC_SVR) == SVR_ON &&
	      (who_any(r, LAPIC_IRR) & who_any(r, LAPIC_ISR) & who_any(r, LAPIC_TMR)) == 1u << t,
	      "%u CPUs: APIC %u has state to lose", r->n, t);
	snapshot_cpus(r, s, a);
	/* INIT level de-assert does nothing. */
	ipi(r, 0, 0x40 + t, DM(APIC_DM_INIT) | ICR_LEVEL);
	service_all(r);
	CHECK(others_unchanged(r, r->n, s, a), "%u CPUs: INIT de-assert changed something", r->n);
	send_init(r, 0, 0x40 + t);
	CHECK(who_latched(r, PENDING_ANY) == 1u << t &&
	      apic_state(r, t)->pending == LAPIC_PENDING_INIT, "%u CPUs: INIT latched in %#x", r->n,
	      who_latched(r, PENDING_ANY));
	struct encore_cpu_state now;
	get_state(r, t, &now);
	CHECK(same_state(&now, &s[t]) && others_unchanged(r, t, s, a),
	      "%u CPUs: nothing happens before the service step", r->n);
	service_all(r);
	check_init_state(r, t, &s[t]);
	check_apic_after_init(r, t, deadline);
	CHECK(others_unchanged(r, t, s, a), "%u CPUs: the other CPUs are untouched", r->n);
}

static void startup_an_ap(struct rig *r, unsigned t)
{
	struct encore_cpu_state s0, s1, s;
	send_startup(r, 0, 0x40 + t, 0x9a);
	CHECK(apic_state(r, t)->pending == LAPIC_PENDING_STARTUP, "%u CPUs: STARTUP latched", r->n);
	get_state(r, t, &s0);
	service_all(r);
	check_started(r, t, 0x9a);
	get_state(r, t, &s1);
	struct encore_cpu_state want = s0;
	cpu_state__startup(&want, 0x9a);
	CHECK(same_state(&s1, &want), "%u CPUs: only CS, RIP and the wait change", r->n);
	send_startup(r, 0, 0x40 + t, 0x9b);
	service_all(r);
	get_state(r, t, &s);
	CHECK(same_state(&s, &s1), "%u CPUs: a second STARTUP changes nothing", r->n);
	/* The boot CPU was never waiting. */
	get_state(r, 0, &s0);
	send_startup(r, t, 0, 0x9c);
	service_all(r);
	get_state(r, 0, &s);
	CHECK(same_state(&s, &s0) && apic_state(r, 0)->pending == 0,
	      "%u CPUs: STARTUP to a running CPU is ignored", r->n);
}

/* Requests latched together are carried out INIT first, then STARTUP. */
static void init_startup_together(struct rig *r, unsigned t)
{
	send_init(r, 0, 0x40 + t);
	send_startup(r, 0, 0x40 + t, 0x9c);
	service_all(r);
	check_started(r, t, 0x9c);
	CHECK(apic_state(r, t)->pending == 0, "%u CPUs: both carried out", r->n);
	/* A STARTUP before the INIT is lost with the state it was for. */
	send_startup(r, 0, 0x40 + t, 0x9d);
	send_init(r, 0, 0x40 + t);
	service_all(r);
	struct encore_cpu_state s;
	get_state(r, t, &s);
	CHECK(s.wait_for_sipi && !runnable(r, t), "%u CPUs: STARTUP then INIT leaves it waiting",
	      r->n);
	send_startup(r, 0, 0x40 + t, 0x9d);
	service_all(r);
	check_started(r, t, 0x9d);
}

/* Linux's way: INIT and STARTUP to all but self. */
static void init_startup_broadcast(struct rig *r)
{
	struct encore_cpu_state s0, s;
	get_state(r, 0, &s0);
	ipi(r, 0, 0, SH(APIC_SH_OTHERS) | DM(APIC_DM_INIT) | ICR_ASSERT);
	service_all(r);
	for (unsigned k = 1; k < r->n; k++) {
		get_state(r, k, &s);
		CHECK(s.wait_for_sipi && s.rip == 0xfff0 && !runnable(r, k),
		      "%u CPUs: CPU %u waits", r->n, k);
	}
	ipi(r, 0, 0, SH(APIC_SH_OTHERS) | DM(APIC_DM_STARTUP) | ICR_ASSERT | 0x10);
	service_all(r);
	for (unsigned k = 1; k < r->n; k++)
		check_started(r, k, 0x10);
	get_state(r, 0, &s);
	CHECK(same_state(&s, &s0) && runnable(r, 0), "%u CPUs: the boot CPU is untouched",
	      r->n);
}

static void test_init_startup(void)
{
	check_group("init-startup");
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct rig r;
		rig_init(&r, sizes[i]);
		enable_all(&r);
		init_an_ap(&r, r.n - 1);
		startup_an_ap(&r, r.n - 1);
		init_startup_together(&r, r.n - 1);
		init_startup_broadcast(&r);
		rig_done(&r);
	}
}

/* ---- NMI ---- */

static u64 reg(struct rig *r, unsigned k, int which)
{
	struct encore_cpu_state s;
	get_state(r, k, &s);
	return s.gpr[which];
}

static void check_nmi_flags(struct rig *r, unsigned t, int pending, int blocked, const char *when)
{
	struct encore_cpu_state s;
	get_state(r, t, &s);
	CHECK(s.nmi_pending == pending && s.nmi_blocked == blocked,
	      "%u CPUs, %s: nmi_pending %d blocked %d, want %d %d", r->n, when, s.nmi_pending,
	      s.nmi_blocked, pending, blocked);
}

static u64 rip(struct rig *r, unsigned k)
{
	struct encore_cpu_state s;
	get_state(r, k, &s);
	return s.rip;
}

/* The handler runs with NMIs blocked; a second NMI waits for its IRET. */
static void nmi_nesting(struct rig *r, unsigned t)
{
	step(r, t, 5); /* inc, jmp, inc, jmp, inc: rax = 3 */
	ipi(r, 0, t, DM(APIC_DM_NMI) | ICR_ASSERT);
	CHECK(who_latched(r, PENDING_ANY) == 1u << t, "%u CPUs: NMI latched in %#x", r->n,
	      who_latched(r, PENDING_ANY));
	service_all(r);
	check_nmi_flags(r, t, 1, 0, "serviced");
	CHECK(apic_state(r, t)->pending == 0, "%u CPUs: handed to the engine", r->n);
	for (unsigned k = 0; k < r->n - 1; k++)
		check_nmi_flags(r, k, 0, 0, "not the target");
	step(r, t, 1);
	check_nmi_flags(r, t, 0, 1, "in the handler");
	CHECK(rip(r, t) == HANDLER + 3 && reg(r, t, REG_RBX) == 3,
	      "%u CPUs: handler entered at rax 3", r->n);
	ipi(r, 0, t, DM(APIC_DM_NMI) | ICR_ASSERT);
	service_all(r);
	check_nmi_flags(r, t, 1, 1, "second NMI");
	step(r, t, 1);
	check_nmi_flags(r, t, 1, 1, "waiting for IRET");
	CHECK(reg(r, t, REG_R15) == 1 && rip(r, t) == HANDLER + 6, "%u CPUs: not nested", r->n);
	/* The IRET's boundary takes the waiting NMI (delivery retires nothing). */
	step(r, t, 1);
	check_nmi_flags(r, t, 0, 1, "after IRET");
	CHECK(rip(r, t) == HANDLER && reg(r, t, REG_R15) == 1, "%u CPUs: re-entered at %#llx", r->n,
	      (unsigned long long)rip(r, t));
	step(r, t, 3);
	check_nmi_flags(r, t, 0, 0, "second handler done");
	CHECK(reg(r, t, REG_R15) == 2 && rip(r, t) == CODE + 3,
	      "%u CPUs: the second ran after IRET", r->n);
}

static void nmi_to_waiting_cpu(struct rig *r, unsigned t)
{
	send_init(r, 0, t);
	service_all(r);
	struct encore_cpu_state before, s;
	get_state(r, t, &before);
	ipi(r, 0, t, DM(APIC_DM_NMI) | ICR_ASSERT);
	service_all(r);
	get_state(r, t, &s);
	CHECK(same_state(&s, &before) && !runnable(r, t),
	      "%u CPUs: an NMI to a CPU waiting for SIPI is dropped (nmi_pending %d)", r->n,
	      s.nmi_pending);
}

static void test_nmi(void)
{
	check_group("nmi");
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct rig r;
		rig_init(&r, sizes[i]);
		/* The APs' APICs stay software-disabled: NMIs get through. */
		nmi_nesting(&r, r.n - 1);
		nmi_to_waiting_cpu(&r, r.n - 1);
		rig_done(&r);
	}
}

/* ---- the I/O APIC ---- */

static void io_wr(struct rig *r, unsigned idx, u32 v)
{
	u8 b[4];
	u32 sel = idx;
	memcpy(b, &sel, 4);
	bus__access(&r->m->mmio, &r->m->vcpus[0], IOAPIC_BASE, b, 4, true);
	memcpy(b, &v, 4);
	bus__access(&r->m->mmio, &r->m->vcpus[0], IOAPIC_BASE + 0x10, b, 4, true);
}

static u32 io_rd(struct rig *r, unsigned idx)
{
	u8 b[4];
	u32 sel = idx, v;
	memcpy(b, &sel, 4);
	bus__access(&r->m->mmio, &r->m->vcpus[0], IOAPIC_BASE, b, 4, true);
	bus__access(&r->m->mmio, &r->m->vcpus[0], IOAPIC_BASE + 0x10, b, 4, false);
	memcpy(&v, b, 4);
	return v;
}

/* ISA lines 1-15 reach the I/O APIC pin of the same number (pc.c). */
static void set_entry(struct rig *r, unsigned pin, u32 low, u8 dest)
{
	io_wr(r, 0x11 + 2 * pin, (u32)dest << 24);
	io_wr(r, 0x10 + 2 * pin, low);
}

static bool remote_irr(struct rig *r, unsigned pin)
{
	return io_rd(r, 0x10 + 2 * pin) & RTE_REMOTE_IRR;
}

static void pulse(struct rig *r, unsigned line)
{
	machine__set_irq(r->m, line, true);
	machine__set_irq(r->m, line, false);
}

/* The 8259s are masked from power on, so only the I/O APIC delivers. */
static void test_ioapic_edge(void)
{
	check_group("ioapic-edge");
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct rig r;
		rig_init(&r, sizes[i]);
		enable_all(&r);
		set_flat_ldrs(&r);
		set_entry(&r, 5, RTE_LOGICAL | 0x61, 0x06);
		for (int rep = 0; rep < 2; rep++) {
			pulse(&r, 5);
			CHECK(who_any(&r, LAPIC_IRR) == flat_set(r.n, 0x06) &&
			      who(&r, LAPIC_IRR, 0x61) == flat_set(r.n, 0x06),
			      "%u CPUs: edge %d reached %#x", r.n, rep, who_any(&r, LAPIC_IRR));
			CHECK(who_any(&r, LAPIC_TMR) == 0 && !remote_irr(&r, 5),
			      "%u CPUs: edge: no TMR, no remote IRR", r.n);
			drain(&r);
		}
		set_entry(&r, 5, RTE_MASKED | RTE_LOGICAL | 0x61, 0x06);
		pulse(&r, 5);
		CHECK(who_any(&r, LAPIC_IRR) == 0, "%u CPUs: masked entry sent", r.n);
		rig_done(&r);
	}
}

static void level_round(struct rig *r, unsigned t)
{
	CHECK(who_any(r, LAPIC_IRR) == 1u << t && who(r, LAPIC_TMR, 0x71) == 1u << t &&
	      remote_irr(r, 10), "%u CPUs: level delivered to %#x", r->n, who_any(r, LAPIC_IRR));
	CHECK(lapic__acknowledge(apic(r, t)) == 0x71, "%u CPUs: taken", r->n);
	wr(r, 0, LAPIC_EOI, 0);
	CHECK(remote_irr(r, 10) && who_any(r, LAPIC_IRR) == 0,
	      "%u CPUs: an EOI from a CPU without it in service clears nothing", r->n);
}

static void test_ioapic_level(void)
{
	check_group("ioapic-level");
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct rig r;
		unsigned t = sizes[i] - 1;
		rig_init(&r, sizes[i]);
		enable_all(&r);
		set_entry(&r, 10, RTE_LEVEL | 0x71, t);
		machine__set_irq(r.m, 10, true);
		level_round(&r, t);
		wr(&r, t, LAPIC_EOI, 0);
		CHECK(who_any(&r, LAPIC_ISR) == 0, "%u CPUs: retired", r.n);
		/* Still asserted: the EOI brought it back. */
		level_round(&r, t);
		machine__set_irq(r.m, 10, false);
		wr(&r, t, LAPIC_EOI, 0);
		CHECK(!remote_irr(&r, 10) && who_any(&r, LAPIC_IRR) == 0 &&
		      who_any(&r, LAPIC_ISR) == 0, "%u CPUs: de-asserted, EOI: no resend", r.n);
		rig_done(&r);
	}
}

static void test_ioapic_lowest(void)
{
	check_group("ioapic-lowest");
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct rig r;
		rig_init(&r, sizes[i]);
		unsigned w = r.n / 2, w2 = (r.n / 2 + 1) % r.n;
		enable_all(&r);
		set_flat_ldrs(&r);
		set_entry(&r, 7, RTE_LOGICAL | DM(APIC_DM_LOWEST) | 0x81, 0xff);
		set_ranked_tprs(&r);
		pulse(&r, 7);
		CHECK(who_any(&r, LAPIC_IRR) == 1u << w, "%u CPUs: went to %#x, want CPU %u", r.n,
		      who_any(&r, LAPIC_IRR), w);
		drain(&r);
		set_ranked_tprs(&r);
		wr(&r, w, LAPIC_TPR, 0xff);
		pulse(&r, 7);
		CHECK(who_any(&r, LAPIC_IRR) == 1u << w2,
		      "%u CPUs: TPR raised: went to %#x, want %u", r.n, who_any(&r, LAPIC_IRR), w2);
		rig_done(&r);
	}
}

/* ---- ExtINT: the 8259 through an I/O APIC message ---- */

static void pio_out(struct rig *r, u16 port, u8 v)
{
	bus__access(&r->m->pio, &r->m->vcpus[0], port, &v, 1, true);
}

static u8 pio_in(struct rig *r, u16 port)
{
	u8 v = 0;
	bus__access(&r->m->pio, &r->m->vcpus[0], port, &v, 1, false);
	return v;
}

/* Vectors 0x30 and 0x38; only IRQ 3 unmasked. */
static void init_pics(struct rig *r)
{
	static const u8 icw[2][4] = { { 0x11, PIC_VECTOR_BASE, 0x04, 0x01 },
				      { 0x11, PIC_VECTOR_BASE + 8, 0x02, 0x01 } };
	for (unsigned c = 0; c < 2; c++) {
		u16 port = c ? 0xa0 : 0x20;
		pio_out(r, port, icw[c][0]);
		for (unsigned k = 1; k < 4; k++)
			pio_out(r, port + 1, icw[c][k]);
	}
	pio_out(r, 0x21, 0xf7);
	pio_out(r, 0xa1, 0xff);
}

static u8 pic_isr(struct rig *r)
{
	pio_out(r, 0x20, 0x0b);
	return pio_in(r, 0x20);
}

static void extint_to(struct rig *r, unsigned dest)
{
	struct lapic *bsp = apic(r, 0);
	set_entry(r, 3, DM(APIC_DM_EXTINT), dest);
	machine__set_irq(r->m, 3, true);
	/* Only the boot CPU's APIC has the 8259 behind it to ask. */
	CHECK(who_latched(r, LAPIC_PENDING_EXTINT) == (dest == 0 ? 1u : 0u),
	      "%u CPUs: ExtINT to %u latched in %#x", r->n, dest,
	      who_latched(r, LAPIC_PENDING_EXTINT));
	CHECK(lapic__has_interrupt(bsp) == (dest == 0), "%u CPUs: ExtINT to %u: boot CPU asks %d",
	      r->n, dest, lapic__has_interrupt(bsp));
	CHECK(who_any(r, LAPIC_IRR) == 0, "%u CPUs: ExtINT bypasses IRR", r->n);
	if (dest == 0) {
		CHECK(lapic__acknowledge(bsp) == PIC_VECTOR_BASE + 3 && pic_isr(r) == 0x08,
		      "%u CPUs: INTA went to the 8259 (ISR %#x)", r->n, pic_isr(r));
		CHECK(!lapic__has_interrupt(bsp) && apic_state(r, 0)->pending == 0,
		      "%u CPUs: one ExtINT, one INTA", r->n);
		pio_out(r, 0x20, 0x20);
	}
	CHECK(dest == 0 || pic_isr(r) == 0, "%u CPUs: no INTA for another CPU", r->n);
	machine__set_irq(r->m, 3, false);
	forget_requests(r);
}

static void test_extint(void)
{
	check_group("extint");
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct rig r;
		rig_init(&r, sizes[i]);
		struct lapic *bsp = apic(&r, 0);
		init_pics(&r);
		/* Virtual wire off: the 8259 reaches the CPU only as a message. */
		wr(&r, 0, LAPIC_LVT_BASE + 16 * LVT_LINT0, LVT_MASKED | DM(APIC_DM_EXTINT));
		set_entry(&r, 3, RTE_MASKED | DM(APIC_DM_EXTINT), 0);
		machine__set_irq(r.m, 3, true);
		CHECK(pic8259__intr(r.pc.pic) && !lapic__has_interrupt(bsp) &&
		      who_latched(&r, PENDING_ANY) == 0, "%u CPUs: entry masked: nothing", r.n);
		machine__set_irq(r.m, 3, false);
		extint_to(&r, 1);
		extint_to(&r, 0);
		rig_done(&r);
	}
}

/* ---- save and restore ---- */

/* Devices first, then the vCPUs, as a checkpoint restore does. */
static void copy_machine(struct encore_machine *from, struct encore_machine *to)
{
	unsigned n = machine__nparts(from);
	CHECK(n == machine__nparts(to), "identical machines: %u and %u parts", n,
	      machine__nparts(to));
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned k = 0; k < n; k++) {
			struct state_part p;
			struct vcpu_part scratch;
			char err[256] = "";
			bool device = k > from->nvcpus;
			if (device != (pass == 0))
				continue;
			const void *bytes = machine__part_view(from, k, &p, &scratch);
			CHECK(!machine__part_restore(to, k, &p, bytes, err, sizeof(err)),
			      "part %u: %s", k, err);
		}
	}
	machine__counts_changed(to);
}

static bool same_parts(struct encore_machine *a, struct encore_machine *b)
{
	for (unsigned k = 0; k < machine__nparts(a); k++) {
		struct state_part pa, pb;
		struct vcpu_part sa, sb;
		const void *x = machine__part_view(a, k, &pa, &sa);
		const void *y = machine__part_view(b, k, &pb, &sb);
		bool same_kind = !strcmp(pa.name, pb.name) && pa.version == pb.version &&
				 pa.size == pb.size;
		if (!same_kind || (pa.size && memcmp(x, y, pa.size)))
			return false;
	}
	return machine__state_hash(a) == machine__state_hash(b);
}

static void check_restored_outcome(struct rig *r, u8 last_vector)
{
	struct encore_cpu_state s;
	check_started(r, r->n - 1, 0x9a);
	for (unsigned k = 1; k + 1 < r->n; k++) {
		get_state(r, k, &s);
		if (last_vector)
			check_started(r, k, last_vector);
		else
			CHECK(s.wait_for_sipi && !runnable(r, k), "%u CPUs: CPU %u waits", r->n, k);
	}
	get_state(r, 0, &s);
	CHECK(s.nmi_pending && !s.wait_for_sipi, "%u CPUs: the boot CPU has its NMI", r->n);
	CHECK(who(r, LAPIC_IRR, 0x45) == 1, "%u CPUs: the boot CPU's request came along", r->n);
}

static void restore_midway(unsigned n)
{
	struct rig a, b, c;
	rig_init(&a, n);
	enable_all(&a);
	ipi(&a, 0, 0, 0x45);
	ipi(&a, 0, 0, SH(APIC_SH_OTHERS) | DM(APIC_DM_INIT) | ICR_ASSERT);
	send_startup(&a, 0, n - 1, 0x9a);
	ipi(&a, 0, 0, DM(APIC_DM_NMI) | ICR_ASSERT);
	rig_init(&b, n);
	copy_machine(a.m, b.m);
	CHECK(same_parts(a.m, b.m), "%u CPUs: copied", n);
	CHECK(apic_state(&b, n - 1)->pending == (LAPIC_PENDING_INIT | LAPIC_PENDING_STARTUP),
	      "%u CPUs: the latched requests came along", n);
	service_all(&a);
	service_all(&b);
	CHECK(same_parts(a.m, b.m), "%u CPUs: same outcome after servicing", n);
	check_restored_outcome(&b, 0);
	/* A STARTUP latched for every AP, one of them already running. */
	ipi(&a, 0, 0, SH(APIC_SH_OTHERS) | DM(APIC_DM_STARTUP) | ICR_ASSERT | 0x9b);
	rig_init(&c, n);
	copy_machine(a.m, c.m);
	CHECK(who_latched(&c, LAPIC_PENDING_STARTUP) == (all(&c) & ~1u) &&
	      apic_state(&c, 1)->startup_vector == 0x9b, "%u CPUs: the STARTUPs came along", n);
	service_all(&a);
	service_all(&c);
	CHECK(same_parts(a.m, c.m), "%u CPUs: same outcome after the second copy", n);
	check_restored_outcome(&c, 0x9b);
	rig_done(&a);
	rig_done(&b);
	rig_done(&c);
}

static void test_save_restore(void)
{
	check_group("save-restore");
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++)
		restore_midway(sizes[i]);
}

int main(void)
{
	test_physical();
	test_logical_flat();
	test_logical_cluster();
	test_shorthands();
	test_invalid_combinations();
	test_lowest_priority();
	test_fixed();
	test_init_startup();
	test_nmi();
	test_ioapic_edge();
	test_ioapic_level();
	test_ioapic_lowest();
	test_extint();
	test_save_restore();
	check_group_end();
	return check_summary();
}
