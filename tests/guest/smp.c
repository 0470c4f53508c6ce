/*
 * smp: the multiprocessor machine, from the boot CPU (BSP).
 *
 * It finds the other CPUs in the ACPI MADT, starts each with INIT and two
 * STARTUP IPIs through the trampoline of smp.S, and then checks, with
 * every CPU taking part: IPIs in both directions (fixed, broadcast,
 * lowest priority, NMI, logical destinations), locked instructions on
 * shared counters (and an unlocked one, whose lost updates it prints),
 * cross-modifying code and a TLB shootdown.  One line "smp: <check> ok"
 * per check that passed, a summary, and the exit status (0: all passed).
 *
 * Only the BSP prints.  An AP runs jobs the BSP posts (post_job: a
 * function and a wake-up IPI) and halts in between; what it sees goes to
 * its struct cpu, which the BSP checks.  Waits are bounded: a spin on the
 * TSC for what another CPU does, a halt on the BSP's APIC timer for
 * delays (encore skips the time when every CPU halts).
 */
#include "rt.h"
#include "smp.h"

#define MAX_CPUS 64 /* encore's --smp limit */
#define LOGICAL_CPUS 8 /* flat logical destinations: one LDR bit per CPU */
#define AP_STACK 4096
#define NS_PER_US 1000ul
#define NS_PER_MS 1000000ul
/* Spin waits give up after this many TSC ticks: 0.2 s at encore's 1 GHz. */
#define SPIN_TIMEOUT 200000000ul
#define EFER_LMA (1ul << 10)
#define APIC_BASE_BSP (1ul << 8)
#define MSR_APIC_BASE 0x1b

/*
 * Vectors.  The lowest-priority check raises TPRs up to class
 * TPR_MAX_CLASS; what must still get through then (its own IPI, the
 * BSP's timer, wake-ups) has a higher class.
 */
#define VEC_FIXED 0x41
#define VEC_BACK 0x42
#define VEC_OTHERS 0x43
#define VEC_ALL 0x44
#define VEC_LOGICAL 0x45
#define VEC_SHOOTDOWN 0x46
#define TPR_MAX_CLASS 12
#define VEC_LOWEST 0xd0
#define VEC_TIMER 0xe0
#define VEC_WAKE 0xf0
#define VEC_SPURIOUS 0xff

struct cpu;
typedef void (*job_fn)(struct cpu *c);

struct cpu {
	u32 index; /* 0: the BSP; then the APs in MADT order */
	u32 apic_id; /* from the MADT */
	u32 lapic_id, cpuid_id; /* what the CPU read itself at check-in */
	u32 stages, rm_cs; /* how it walked the trampoline */
	u64 efer, apic_base;
	u8 *stack_top;
	volatile u32 online;
	job_fn volatile job;
	volatile u32 job_seq, done_seq;
	volatile u32 irqs[256]; /* interrupts taken, by vector */
	volatile u32 nmis;
	u32 tpr; /* for job_set_tpr */
	u32 fails; /* what went wrong in jobs */
	u64 xadd_sum, cas_retries;
	u64 tlb_before, tlb_stale, tlb_after;
};

static struct cpu cpus[MAX_CPUS];
static struct cpu *cpu_by_apic[256];
static int ncpus;
static u8 ap_stacks[MAX_CPUS][AP_STACK] ALIGNED(16);
static volatile u32 aps_online; /* the APs' atomic check-in counter */
static int nchecks, nfailed;

/* smp.S */
extern u8 tramp_start[], tramp_end[], tramp_data[];
extern u8 xmc_fn[], xmc_imm[];
void ap_entry(struct cpu *c);

/* ---- small tools ---- */

static u32 atomic_inc(volatile u32 *p)
{
	u32 v = 1;

	asm volatile("lock xaddl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v;
}

static void report(const char *what, int ok)
{
	nchecks++;
	if (ok) {
		kprintf("smp: %s ok\n", what);
		return;
	}
	nfailed++;
	kprintf("smp: %s FAILED\n", what);
}

static struct cpu *this_cpu(void)
{
	return cpu_by_apic[lapic_id()];
}

/* Spin until `cond`, which another CPU makes true: PAUSE lets it run on encore. */
#define SPIN_UNTIL(cond) \
	({ \
		u64 end_ = rdtsc() + SPIN_TIMEOUT; \
		while (!(cond) && rdtsc() < end_) \
			cpu_relax(); \
		(cond) ? 1 : 0; \
	})

/* encore names itself in the brand string; QEMU and hardware do not. */
static int on_encore(void)
{
	u32 r[4];

	cpuid(0x80000002, 0, r);
	return !memcmp(r, "encore", 6);
}

/* ---- interrupt handlers ---- */

static volatile u32 timer_fired;

static void on_ipi(struct intr_frame *f)
{
	this_cpu()->irqs[f->vector]++;
	lapic_eoi();
}

/* In PML4 slot 1, so with tables of its own and 4 KiB pages; not
 * 1 MiB-aligned, so that in a direct-mapped TLB (encore's has 256 slots)
 * it shares no slot with a page the CPUs touch meanwhile, such as the
 * local APIC's, and the stale translation before the shootdown shows. */
#define TEST_VA 0x8000123000ul

static void on_shootdown(struct intr_frame *f)
{
	invlpg((void *)TEST_VA);
	on_ipi(f);
}

static void on_nmi(struct intr_frame *f)
{
	(void)f;
	this_cpu()->nmis++; /* an NMI takes no EOI */
}

static void on_timer(struct intr_frame *f)
{
	(void)f;
	timer_fired = 1;
	lapic_eoi();
}

static void on_spurious(struct intr_frame *f)
{
	(void)f; /* no EOI for the spurious vector */
}

static void handlers_init(void)
{
	static const u8 ipis[] = { VEC_FIXED, VEC_BACK, VEC_OTHERS, VEC_ALL,
				   VEC_LOGICAL, VEC_LOWEST, VEC_WAKE };

	for (unsigned k = 0; k < ARRAY_SIZE(ipis); k++)
		idt_set_handler(ipis[k], on_ipi);
	idt_set_handler(VEC_SHOOTDOWN, on_shootdown);
	idt_set_handler(2, on_nmi);
	idt_set_handler(VEC_TIMER, on_timer);
	idt_set_handler(VEC_SPURIOUS, on_spurious);
}

/* ---- the local APIC of each CPU ---- */

/* Flat model: CPU k < 8 answers logical destinations with bit k. */
static void lapic_setup(struct cpu *c)
{
	lapic_enable(VEC_SPURIOUS);
	lapic_write(LAPIC_DFR, 0xffffffff);
	lapic_write(LAPIC_LDR, c->index < LOGICAL_CPUS ? 1u << (24 + c->index) : 0);
}

/* The BSP's timer, one-shot at 1 GHz (divide by 1): encore's APIC timer
 * runs at the 1 GHz of CPUID leaf 0x15, QEMU's at 1 GHz too. */
static void timer_start(u64 ns)
{
	timer_fired = 0;
	lapic_write(LAPIC_TIMER_INITIAL, ns > 0xffffffffu ? 0xffffffffu : (u32)ns);
}

/* Halt until `ns` have passed (MP spec delays), letting the other CPUs run. */
static void delay(u64 ns)
{
	timer_start(ns);
	cli();
	while (!timer_fired) {
		sti_hlt();
		cli();
	}
	sti();
}

/* ---- jobs on the APs ---- */

static void job_nop(struct cpu *c)
{
	(void)c;
}

static void post_job(struct cpu *c, job_fn fn)
{
	c->job = fn;
	c->job_seq++;
	lapic_send_ipi(c->apic_id, ICR_FIXED | VEC_WAKE);
}

static int job_done(const struct cpu *c)
{
	return c->done_seq == c->job_seq;
}

static int jobs_done(void)
{
	for (int k = 1; k < ncpus; k++)
		if (!job_done(&cpus[k]))
			return 0;
	return 1;
}

/* Run `fn` on every AP, and then on the BSP too if `bsp`; wait for all. */
static int run_jobs(job_fn fn, int bsp)
{
	for (int k = 1; k < ncpus; k++)
		post_job(&cpus[k], fn);
	if (bsp)
		fn(&cpus[0]);
	return check(SPIN_UNTIL(jobs_done()), "the APs finished their jobs");
}

static int run_on(struct cpu *c, job_fn fn)
{
	post_job(c, fn);
	return check(SPIN_UNTIL(job_done(c)), "CPU %u finished its job", c->index);
}

/* The AP halts until a job comes, with interrupts off between the check
 * and the halt so that the wake-up cannot be missed. */
static NORETURN void ap_idle(struct cpu *c)
{
	for (;;) {
		cli();
		while (job_done(c)) {
			sti_hlt();
			cli();
		}
		sti();
		c->job(c);
		c->done_seq = c->job_seq;
	}
}

/* Called by the trampoline in 64-bit mode, on the AP's own stack. */
void ap_entry(struct cpu *c)
{
	u32 r[4];

	gdt_load();
	idt_load();
	cpuid(1, 0, r);
	c->cpuid_id = r[1] >> 24;
	c->efer = rdmsr(MSR_EFER);
	c->apic_base = rdmsr(MSR_APIC_BASE);
	lapic_setup(c);
	c->lapic_id = lapic_id();
	atomic_inc(&aps_online);
	c->online = 1;
	ap_idle(c);
}

/* Every CPU in a job waits here for all the others. */
static volatile u32 bar_count, bar_gen;

static void barrier(struct cpu *c)
{
	u32 gen = bar_gen;

	if (atomic_inc(&bar_count) == (u32)ncpus - 1) {
		bar_count = 0;
		bar_gen = gen + 1;
	} else if (!SPIN_UNTIL(bar_gen != gen)) {
		c->fails++;
	}
}

/* ---- 1. the CPUs: MADT, BSP, AP start-up ---- */

static int find_cpus(void)
{
	u8 ids[MAX_CPUS];
	int n = acpi_madt_apic_ids(ids, MAX_CPUS), ok = 1;
	u32 me = lapic_id();

	ok &= check(n >= 1, "the MADT lists enabled processors (got %d)", n);
	ncpus = 1;
	cpus[0] = (struct cpu){ .index = 0, .apic_id = me };
	for (int k = 0; k < n; k++) {
		if (ids[k] == me || ncpus == MAX_CPUS)
			continue;
		cpus[ncpus] = (struct cpu){ .index = (u32)ncpus, .apic_id = ids[k],
					    .stack_top = ap_stacks[ncpus] + AP_STACK };
		ncpus++;
	}
	ok &= check(n == ncpus, "the BSP (APIC ID %u) is in the MADT", me);
	for (int k = 0; k < ncpus; k++)
		cpu_by_apic[cpus[k].apic_id] = &cpus[k];
	kprintf("smp: MADT: %d CPUs, APIC IDs", n);
	for (int k = 0; k < n; k++)
		kprintf(" %u", ids[k]);
	kprintf(", BSP %u\n", me);
	report("acpi madt", ok);
	return ok;
}

static void check_bsp(void)
{
	u32 r[4];
	int ok = 1;

	cpuid(1, 0, r);
	ok &= check_eq(r[1] >> 24, cpus[0].apic_id, "CPUID leaf 1 EBX[31:24] is the APIC ID");
	ok &= check(!!(rdmsr(MSR_APIC_BASE) & APIC_BASE_BSP), "IA32_APIC_BASE.BSP is set");
	report("bsp apic id", ok);
}

struct tramp_data {
	u32 cr0, cr3, cr4, efer;
	u64 stack, entry, arg;
	u32 stages, rm_cs;
} __attribute__((packed));
_Static_assert(sizeof(struct tramp_data) == TD_SIZE, "smp.h's TD_* offsets");
_Static_assert(__builtin_offsetof(struct tramp_data, stack) == TD_STACK, "TD_STACK");
_Static_assert(__builtin_offsetof(struct tramp_data, stages) == TD_STAGES, "TD_STAGES");
_Static_assert(__builtin_offsetof(struct tramp_data, rm_cs) == TD_RM_CS, "TD_RM_CS");

static volatile struct tramp_data *tramp(void)
{
	return (volatile struct tramp_data *)(u64)(TRAMP + (tramp_data - tramp_start));
}

/* The APs take the BSP's control registers, so its page tables too. */
static void tramp_install(void)
{
	volatile struct tramp_data *td = tramp();

	memcpy((void *)(u64)TRAMP, tramp_start, (size_t)(tramp_end - tramp_start));
	td->cr0 = (u32)read_cr0();
	td->cr3 = (u32)read_cr3();
	td->cr4 = (u32)read_cr4();
	td->efer = (u32)(rdmsr(MSR_EFER) & ~EFER_LMA);
	td->entry = (u64)ap_entry;
}

/* MP spec appendix B.4 (and the SDM's MP initialization): INIT, 10 ms,
 * STARTUP, 200 us, STARTUP again (a CPU already running ignores it). */
static int start_ap(struct cpu *c)
{
	volatile struct tramp_data *td = tramp();

	td->stack = (u64)c->stack_top;
	td->arg = (u64)c;
	td->stages = td->rm_cs = 0;
	lapic_send_ipi(c->apic_id, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	lapic_send_ipi(c->apic_id, ICR_INIT | ICR_LEVEL); /* de-assert */
	delay(10 * NS_PER_MS);
	for (int k = 0; k < 2; k++) {
		lapic_send_ipi(c->apic_id, ICR_STARTUP | ICR_ASSERT | TRAMP_VECTOR);
		delay(200 * NS_PER_US);
	}
	if (!SPIN_UNTIL(c->online))
		return 0;
	c->stages = td->stages;
	c->rm_cs = td->rm_cs;
	return 1;
}

static int check_ap(struct cpu *c)
{
	int ok = 1;

	ok &= check_eq(c->stages, STAGES_ALL, "AP %u: stages walked (real, 16-bit, 32-bit, long)",
		       c->index);
	ok &= check_eq(c->rm_cs, TRAMP_SEG, "AP %u: real-mode CS", c->index);
	ok &= check_eq(c->efer & EFER_LMA, EFER_LMA, "AP %u: EFER.LMA", c->index);
	ok &= check_eq(c->apic_base & APIC_BASE_BSP, 0, "AP %u: IA32_APIC_BASE.BSP clear", c->index);
	ok &= check_eq(c->lapic_id, c->apic_id, "AP %u: APIC ID from its local APIC", c->index);
	ok &= check_eq(c->cpuid_id, c->apic_id, "AP %u: APIC ID from CPUID", c->index);
	kprintf("smp: AP %u up: real mode at %x:0000, 16-bit and 32-bit protected mode, long mode;"
		" APIC ID %u (local APIC %u, CPUID %u)\n",
		c->index, c->rm_cs, c->apic_id, c->lapic_id, c->cpuid_id);
	return ok;
}

static int start_aps(void)
{
	int ok = 1;

	tramp_install();
	for (int k = 1; k < ncpus; k++) {
		int up = start_ap(&cpus[k]);

		ok &= check(up, "AP %d (APIC ID %u) checked in", k, cpus[k].apic_id);
		if (up)
			ok &= check_ap(&cpus[k]);
	}
	/* Each AP checked in once: its second STARTUP, sent while it ran, was ignored. */
	ok &= check_eq(aps_online, ncpus - 1, "the check-in counter");
	report("ap startup", ok);
	return ok;
}

/* ---- 2. IPIs ---- */

static u32 irq_total(u8 vec)
{
	u32 n = 0;

	for (int k = 0; k < ncpus; k++)
		n += cpus[k].irqs[vec];
	return n;
}

/*
 * Wait until the CPUs have taken as many interrupts `vec` as `want`
 * says between them; once every AP has run a job since (so nothing is
 * still on its way), each must have taken exactly want[k].
 */
static int expect_irqs(const char *what, u8 vec, const u32 *want)
{
	u32 total = 0;
	int ok = 1;

	for (int k = 0; k < ncpus; k++)
		total += want[k];
	ok &= check(SPIN_UNTIL(irq_total(vec) >= total), "%s: %u interrupts arrive", what, total);
	ok &= run_jobs(job_nop, 0);
	for (int k = 0; k < ncpus; k++)
		ok &= check_eq(cpus[k].irqs[vec], want[k], "%s: CPU %d took vector %x", what, k, vec);
	return ok;
}

static void job_send_back(struct cpu *c)
{
	(void)c;
	lapic_send_ipi(cpus[0].apic_id, ICR_FIXED | VEC_BACK);
}

static void job_send_all(struct cpu *c)
{
	(void)c;
	lapic_send_ipi(0, ICR_ALL | ICR_FIXED | VEC_ALL);
}

/* The BSP to each AP by APIC ID, and each AP back to the BSP. */
static void check_fixed(void)
{
	u32 want[MAX_CPUS] = { 0 };

	for (int k = 1; k < ncpus; k++) {
		lapic_send_ipi(cpus[k].apic_id, ICR_FIXED | VEC_FIXED);
		want[k] = 1;
	}
	report("fixed ipi bsp to aps", expect_irqs("BSP to APs", VEC_FIXED, want));

	/* One AP at a time: IPIs of one vector that reach the BSP together
	 * would merge in its IRR, which holds one request per vector. */
	memset(want, 0, sizeof(want));
	for (int k = 1; k < ncpus; k++) {
		run_on(&cpus[k], job_send_back);
		SPIN_UNTIL(cpus[0].irqs[VEC_BACK] == (u32)k);
		want[0]++;
	}
	report("fixed ipi aps to bsp", expect_irqs("APs to BSP", VEC_BACK, want));
}

/* All excluding self from the BSP; all including self from the last AP. */
static void check_broadcast(void)
{
	u32 want[MAX_CPUS] = { 0 };
	int ok;

	lapic_send_ipi(0, ICR_OTHERS | ICR_FIXED | VEC_OTHERS);
	for (int k = 1; k < ncpus; k++)
		want[k] = 1;
	ok = expect_irqs("all excluding self", VEC_OTHERS, want);

	want[0] = 1;
	ok &= run_on(&cpus[ncpus - 1], job_send_all);
	ok &= expect_irqs("all including self", VEC_ALL, want);
	report("broadcast ipi", ok);
}

static int logical_cpus(void)
{
	return ncpus < LOGICAL_CPUS ? ncpus : LOGICAL_CPUS;
}

static void job_set_tpr(struct cpu *c)
{
	lapic_write(LAPIC_TPR, c->tpr);
}

static int set_tprs(void)
{
	lapic_write(LAPIC_TPR, cpus[0].tpr);
	return run_jobs(job_set_tpr, 0);
}

/*
 * Who lowest-priority delivery to the logical CPUs should pick: the
 * lowest arbitration priority, which for an idle APIC is its TPR (with
 * the low 4 bits dropped when the class is 0: SDM, "Arbitration Priority
 * Register"), ties to the lowest APIC ID.  That is encore's rule; the
 * SDM leaves the choice to the model, so elsewhere any one CPU will do.
 */
static int lowest_expected(void)
{
	int best = 0;

	for (int k = 1; k < logical_cpus(); k++) {
		u32 apr = cpus[k].tpr & 0xf0 ? cpus[k].tpr : 0;
		u32 best_apr = cpus[best].tpr & 0xf0 ? cpus[best].tpr : 0;

		if (apr < best_apr || (apr == best_apr && cpus[k].apic_id < cpus[best].apic_id))
			best = k;
	}
	return best;
}

/* One lowest-priority IPI to every logical CPU, with the TPRs set. */
static int lowest_round(void)
{
	u32 before[MAX_CPUS], total = irq_total(VEC_LOWEST) + 1;
	u32 dest = (1u << logical_cpus()) - 1;
	int want = lowest_expected(), got = -1, ok = set_tprs();

	for (int k = 0; k < ncpus; k++)
		before[k] = cpus[k].irqs[VEC_LOWEST];
	lapic_send_ipi(dest, ICR_LOWEST | ICR_LOGICAL | VEC_LOWEST);
	ok &= check(SPIN_UNTIL(irq_total(VEC_LOWEST) >= total), "the lowest priority IPI arrives");
	ok &= run_jobs(job_nop, 0);
	ok &= check_eq(irq_total(VEC_LOWEST), total, "exactly one CPU took the lowest priority IPI");
	for (int k = 0; k < ncpus; k++)
		if (cpus[k].irqs[VEC_LOWEST] != before[k])
			got = k;
	kprintf("smp: lowest priority with TPRs");
	for (int k = 0; k < logical_cpus(); k++)
		kprintf(" %x", cpus[k].tpr);
	kprintf(": CPU %d took it\n", got);
	if (on_encore())
		ok &= check_eq(got, want, "encore's rule picks CPU %d", want);
	else
		ok &= check(got >= 0 && got < logical_cpus(), "one of the logical CPUs took it");
	return ok;
}

/* Distinct TPRs, the last logical CPU's lowest; then the APs' all 0 (a
 * tie) and the BSP's higher. */
static void check_lowest(void)
{
	int n = logical_cpus(), ok;

	for (int k = 0; k < n; k++) {
		int class = n - 1 - k;

		cpus[k].tpr = (u32)(class < TPR_MAX_CLASS ? class : TPR_MAX_CLASS) << 4;
	}
	ok = lowest_round();
	for (int k = 0; k < n; k++)
		cpus[k].tpr = k ? 0 : 0x20;
	ok &= lowest_round();
	for (int k = 0; k < n; k++)
		cpus[k].tpr = 0;
	ok &= set_tprs();
	report("lowest priority ipi", ok);
}

/* An NMI to the last AP: its NMI handler runs there, and nowhere else. */
static void check_nmi(void)
{
	struct cpu *t = &cpus[ncpus - 1];
	int ok = 1;

	lapic_send_ipi(t->apic_id, ICR_NMI);
	ok &= check(SPIN_UNTIL(t->nmis == 1), "the NMI arrives");
	ok &= run_jobs(job_nop, 0);
	for (int k = 0; k < ncpus; k++)
		ok &= check_eq(cpus[k].nmis, (u32)k == t->index, "CPU %d: NMIs taken", k);
	report("nmi ipi", ok);
}

/* A fixed IPI to the logical set {BSP, odd CPUs}: the BSP sends to itself too. */
static void check_logical(void)
{
	u32 want[MAX_CPUS] = { 0 }, dest = 1;

	for (int k = 1; k < logical_cpus(); k += 2)
		dest |= 1u << k;
	for (int k = 0; k < logical_cpus(); k++)
		want[k] = dest >> k & 1;
	lapic_send_ipi(dest, ICR_LOGICAL | ICR_FIXED | VEC_LOGICAL);
	kprintf("smp: logical destination %x\n", dest);
	report("logical destination ipi", expect_irqs("logical destination", VEC_LOGICAL, want));
}

/* ---- 3. locked instructions on shared counters ---- */

#define ATOMIC_ITERS 5000u

static volatile u64 cnt_add, cnt_xadd, cnt_cas, cnt_locked, cnt_unlocked;
static volatile u32 lock_word;

static u64 xadd(volatile u64 *p, u64 v)
{
	asm volatile("lock xaddq %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v;
}

static int cmpxchg(volatile u64 *p, u64 old, u64 new)
{
	u8 ok;

	asm volatile("lock cmpxchgq %3, %1; sete %0"
		     : "=q"(ok), "+m"(*p), "+a"(old)
		     : "r"(new)
		     : "memory", "cc");
	return ok;
}

static u32 xchg(volatile u32 *p, u32 v)
{
	asm volatile("xchgl %0, %1" : "+r"(v), "+m"(*p) : : "memory"); /* locked by itself */
	return v;
}

/* Some work of varying length (0-7 loop turns), so that the other CPUs
 * can get their turn (on encore, every 20000 instructions) anywhere in
 * a read-modify-write rather than always at the same point of the loop. */
static void work(u32 i)
{
	for (u32 k = i % 8; k; k--)
		asm volatile("" : : : "memory");
}

/* Load, work, store: another CPU may run in between and lose an update. */
static void unlocked_inc(volatile u64 *p, u32 i)
{
	u64 v = *p;

	work(i);
	*p = v + 1;
}

/* Returns how often the compare-exchange failed and had to retry. */
static u64 cas_inc(volatile u64 *p, u32 i)
{
	u64 old = *p, retries = 0;

	work(i);
	while (!cmpxchg(p, old, old + 1)) {
		old = *p;
		retries++;
	}
	return retries;
}

static void atomics_job(struct cpu *c)
{
	u64 sum = 0, retries = 0;

	barrier(c);
	for (u32 i = 0; i < ATOMIC_ITERS; i++) {
		asm volatile("lock addq $1, %0" : "+m"(cnt_add) : : "memory");
		sum += xadd(&cnt_xadd, 1);
		retries += cas_inc(&cnt_cas, i);
		while (xchg(&lock_word, 1))
			while (lock_word)
				cpu_relax();
		unlocked_inc(&cnt_locked, i); /* under the xchg lock */
		lock_word = 0;
		unlocked_inc(&cnt_unlocked, i + 3);
	}
	c->xadd_sum = sum;
	c->cas_retries = retries;
	barrier(c);
}

/* Every CPU adds ATOMIC_ITERS to each counter; LOCK XADD must also hand
 * out each old value exactly once, so their sum is 0 + 1 + ... + (n-1). */
static void check_atomics(void)
{
	u64 n = (u64)ncpus * ATOMIC_ITERS, sum = 0, retries = 0;
	int ok = run_jobs(atomics_job, 1);

	for (int k = 0; k < ncpus; k++) {
		sum += cpus[k].xadd_sum;
		retries += cpus[k].cas_retries;
		ok &= check_eq(cpus[k].fails, 0, "CPU %d: barriers", k);
	}
	ok &= check_eq(cnt_add, n, "lock add");
	ok &= check_eq(cnt_xadd, n, "lock xadd");
	ok &= check_eq(sum, n * (n - 1) / 2, "lock xadd returned each value once");
	ok &= check_eq(cnt_cas, n, "lock cmpxchg");
	ok &= check_eq(cnt_locked, n, "an xchg spinlock");
	kprintf("smp: %d CPUs x %u: lock add, lock xadd, lock cmpxchg (%lu retries), xchg lock\n",
		ncpus, ATOMIC_ITERS, retries);
	kprintf("smp: unlocked counter %lu of %lu (%lu updates lost)\n", cnt_unlocked, n,
		n - cnt_unlocked);
	report("atomics", ok);
}

/* ---- 4. cross-modifying code ---- */

#define XMC_ROUNDS 8u
#define XMC_FIRST 0x1000u

static volatile u32 xmc_round;

static u32 call_xmc(void)
{
	return ((u32(*)(void))(u64)xmc_fn)();
}

/*
 * Round r: every CPU runs xmc_fn (decoding it); CPU r % n rewrites its
 * immediate and raises xmc_round; the others, once they see it,
 * serialize (SDM, "Handling Self- and Cross-Modifying Code") and must
 * get the new value from the same function.
 */
static void xmc_job(struct cpu *c)
{
	for (u32 r = 0; r < XMC_ROUNDS; r++) {
		u32 writer = r % (u32)ncpus, u[4];

		c->fails += call_xmc() != XMC_FIRST + r;
		barrier(c);
		if (c->index == writer) {
			*(volatile u32 *)(u64)xmc_imm = XMC_FIRST + r + 1;
			xmc_round = r + 1;
		} else {
			c->fails += !SPIN_UNTIL(xmc_round == r + 1);
			cpuid(0, 0, u);
		}
		c->fails += call_xmc() != XMC_FIRST + r + 1;
		barrier(c);
	}
}

static void check_xmc(void)
{
	int ok;

	for (int k = 0; k < ncpus; k++)
		cpus[k].fails = 0;
	*(volatile u32 *)(u64)xmc_imm = XMC_FIRST;
	ok = run_jobs(xmc_job, 1);
	for (int k = 0; k < ncpus; k++)
		ok &= check_eq(cpus[k].fails, 0, "CPU %d: wrong values or timeouts", k);
	ok &= check_eq(call_xmc(), XMC_FIRST + XMC_ROUNDS, "the last value");
	kprintf("smp: %u rounds of rewriting xmc_fn, each CPU in turn\n", XMC_ROUNDS);
	report("cross-modifying code", ok);
}

/* ---- 5. TLB shootdown ---- */

#define PAGE_OLD 0x01d01d01d01d01dul
#define PAGE_NEW 0x0e0e0e0e0e0e0e0eul

static u64 *test_pte;
static u64 page_new;

/*
 * Every CPU reads TEST_VA (the old page, now in its TLB); the BSP points
 * the PTE at the new page and INVLPGs; the APs read again (either page
 * is allowed before a shootdown); the BSP sends the shootdown IPI, whose
 * handler INVLPGs, and waits for all; now everyone must see the new page.
 */
static void tlb_job(struct cpu *c)
{
	volatile u64 *va = (volatile u64 *)TEST_VA;

	c->tlb_before = *va;
	barrier(c);
	if (c->index == 0) {
		*test_pte = page_new | PTE_P | PTE_W;
		invlpg(va);
	}
	barrier(c);
	c->tlb_stale = *va;
	barrier(c);
	if (c->index == 0) {
		lapic_send_ipi(0, ICR_OTHERS | ICR_FIXED | VEC_SHOOTDOWN);
		c->fails += !SPIN_UNTIL(irq_total(VEC_SHOOTDOWN) == (u32)ncpus - 1);
	}
	barrier(c);
	c->tlb_after = *va;
}

static void check_tlb(void)
{
	u64 old = frame_alloc();
	int ok, stale = 0;

	page_new = frame_alloc();
	*(u64 *)old = PAGE_OLD;
	*(u64 *)page_new = PAGE_NEW;
	test_pte = pt_entry((u64 *)read_cr3(), TEST_VA, 1, 1);
	*test_pte = old | PTE_P | PTE_W;
	for (int k = 0; k < ncpus; k++)
		cpus[k].fails = 0;
	ok = run_jobs(tlb_job, 1);
	for (int k = 0; k < ncpus; k++) {
		struct cpu *c = &cpus[k];

		ok &= check_eq(c->fails, 0, "CPU %d: timeouts", k);
		ok &= check_eq(c->tlb_before, PAGE_OLD, "CPU %d: the old page first", k);
		ok &= check_eq(c->tlb_after, PAGE_NEW, "CPU %d: the new page after the shootdown", k);
		ok &= check_eq(c->irqs[VEC_SHOOTDOWN], k > 0, "CPU %d: shootdown IPIs", k);
		stale += c->tlb_stale == PAGE_OLD;
	}
	ok &= check_eq(cpus[0].tlb_stale, PAGE_NEW, "the BSP's INVLPG");
	kprintf("smp: before the shootdown %d of %d APs still read the old page\n", stale,
		ncpus - 1);
	report("tlb shootdown", ok);
}

/* ---- main ---- */

static void bsp_init(void)
{
	gdt_init();
	idt_init();
	handlers_init();
	lapic_setup(&cpus[0]);
	lapic_write(LAPIC_TIMER_DIVIDE, 0xb); /* divide by 1 */
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER); /* one-shot */
	sti();
}

int main(void)
{
	test_start("smp");
	test_quiet();
	bsp_init();
	if (!find_cpus())
		return test_finish();
	check_bsp();
	if (ncpus == 1) {
		kprintf("smp: no APs: only the checks of one CPU\n");
	} else if (start_aps()) {
		check_fixed();
		check_broadcast();
		check_lowest();
		check_nmi();
		check_logical();
	}
	if (aps_online == (u32)ncpus - 1) {
		check_atomics();
		if (ncpus > 1) {
			check_xmc();
			check_tlb();
		}
	}
	kprintf("smp: %d checks, %d failed\n", nchecks, nfailed);
	return test_finish();
}
