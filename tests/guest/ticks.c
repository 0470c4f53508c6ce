/*
 * ticks: timer interrupts and port I/O, the workload of the heterogeneous
 * record/replay tests.
 *
 * The 8254's channel 0 runs as a rate generator (mode 2) at about 1 kHz
 * and raises IRQ 0 through the 8259 pair, remapped to vectors 0x20-0x2f
 * with only IRQ 0 unmasked; the handler counts ticks and sends EOI.  The
 * PIT rather than the local APIC timer: its input clock is the same
 * 1.193182 MHz on every PC, so the rate needs no calibration, and all its
 * programming and reads are port I/O, which every engine sees as exits.
 * The 8259s reach the CPU through LINT0 in ExtINT mode, the virtual-wire
 * state a PC BIOS leaves the local APIC in (and encore's boot state).
 *
 * With interrupts on, a compute phase interleaves arithmetic with port
 * I/O: every SAMPLE_EVERY iterations it latches and reads channel 0's
 * count and mixes it and the tick count into a checksum, and every
 * PROGRESS_EVERY iterations it writes a progress byte to COM1.  Then an
 * idle phase halts until IDLE_TICKS more ticks have come.
 *
 * The checksum and the tick counts depend on time, and a recording must
 * capture them.  The rest of the output does not: the progress line, the
 * "compute done" line (with an arithmetic result that interrupts must not
 * disturb) and the checks.
 */
#include "rt.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define ICW1_INIT_ICW4 0x11 /* ICW1: edge-triggered, cascade, ICW4 follows */
#define ICW4_8086 0x01      /* ICW4: 8086 mode, normal EOI, not buffered */
#define OCW2_EOI 0x20       /* non-specific EOI */
#define OCW3_READ_ISR 0x0b
#define VEC_PIC1 0x20
#define VEC_PIC2 0x28
#define VEC_IRQ0 VEC_PIC1
#define VEC_SPURIOUS (VEC_PIC1 + 7) /* IRQ 7: the master's spurious vector */

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_LATCH_CH0 0x00   /* channel 0, counter latch command */
#define PIT_CH0_RATE 0x34    /* channel 0, LSB then MSB, mode 2, binary */
#define PIT_HZ 1193182u
#define TICK_HZ 1000u
#define PIT_RELOAD ((PIT_HZ + TICK_HZ / 2) / TICK_HZ) /* 1193: 1000.15 Hz */

#define COM1_LSR (PORT_CONSOLE + 5)
#define LSR_THRE 0x20

#define ITERATIONS 120000u
#define SAMPLE_EVERY 128u
#define PROGRESS_EVERY 4096u
#define IDLE_TICKS 50u

static volatile u64 ticks, spurious;

static void tick_handler(struct intr_frame *f)
{
	(void)f;
	ticks++;
	outb(PIC1_CMD, OCW2_EOI);
}

/*
 * IRQ 7 with nothing in service is the 8259's spurious interrupt (the
 * request went away before the acknowledge): no EOI for it.  IRQ 7 is
 * masked, so a real one cannot come; we count either kind.
 */
static void spurious_handler(struct intr_frame *f)
{
	(void)f;
	spurious++;
	outb(PIC1_CMD, OCW3_READ_ISR);
	if (inb(PIC1_CMD) & 0x80)
		outb(PIC1_CMD, OCW2_EOI);
}

/* Both 8259s: vectors 0x20-0x2f, slave on the master's IR2, all masked. */
static void pic_init(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	outb(PIC1_DATA, VEC_PIC1);
	outb(PIC2_DATA, VEC_PIC2);
	outb(PIC1_DATA, 1u << 2); /* ICW3: a slave on IR2 */
	outb(PIC2_DATA, 2);       /* ICW3: the slave's cascade identity */
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}

static void pit_init(void)
{
	outb(PIT_CMD, PIT_CH0_RATE);
	outb(PIT_CH0, PIT_RELOAD & 0xff);
	outb(PIT_CH0, PIT_RELOAD >> 8);
}

/* Channel 0's count through the counter latch command. */
static u16 pit_read_count(void)
{
	u8 lo, hi;

	outb(PIT_CMD, PIT_LATCH_CH0);
	lo = inb(PIT_CH0);
	hi = inb(PIT_CH0);
	return (u16)(lo | hi << 8);
}

/* Halt until the tick count reaches `target`.  STI's one-instruction
 * shadow keeps a tick from landing between the test and HLT. */
static void wait_ticks(u64 target)
{
	cli();
	while (ticks < target)
		asm volatile("sti; hlt; cli" : : : "memory");
	sti();
}

/* A progress byte the way a driver sends one: wait for THR empty. */
static void progress(char c)
{
	while (!(inb(COM1_LSR) & LSR_THRE))
		;
	outb(PORT_CONSOLE, (u8)c);
}

static u64 mix(u64 h, u64 v)
{
	h = (h ^ v) * 0x100000001b3ul;
	return h ^ h >> 29;
}

/* One step of the time-independent arithmetic. */
static inline u64 step(u64 a, u32 i)
{
	a = a * 6364136223846793005ul + 1442695040888963407ul;
	return a ^ (a >> 31) ^ i;
}

/* The arithmetic alone, for the check; noinline keeps it a separate loop. */
static __attribute__((noinline)) u64 reference(void)
{
	u64 a = 1;

	for (u32 i = 0; i < ITERATIONS; i++)
		a = step(a, i);
	return a;
}

struct compute_result {
	u64 arith, checksum;
	u32 samples;
	u16 pit_min, pit_max;
};

static void compute(struct compute_result *r)
{
	u64 a = 1, sum = 0xcbf29ce484222325ul;

	r->samples = 0;
	r->pit_min = 0xffff;
	r->pit_max = 0;
	for (u32 i = 0; i < ITERATIONS; i++) {
		a = step(a, i);
		if (i % SAMPLE_EVERY == SAMPLE_EVERY - 1) {
			u16 count = pit_read_count();

			sum = mix(sum, count);
			sum = mix(sum, ticks);
			r->samples++;
			if (count < r->pit_min)
				r->pit_min = count;
			if (count > r->pit_max)
				r->pit_max = count;
		}
		if (i % PROGRESS_EVERY == PROGRESS_EVERY - 1)
			progress('.');
	}
	r->arith = a;
	r->checksum = mix(sum, a);
}

int main(void)
{
	struct compute_result r;
	u64 start, compute_ticks, ref;

	test_start("ticks");
	gdt_init();
	idt_init();
	idt_set_handler(VEC_IRQ0, tick_handler);
	idt_set_handler(VEC_SPURIOUS, spurious_handler);
	pic_init();
	pit_init();
	outb(PIC1_DATA, 0xfe); /* OCW1: IRQ 0 only */
	sti();

	/* The first tick: the count is loaded and interrupts get through. */
	wait_ticks(1);
	check(ticks >= 1, "first timer tick arrived");

	puts("ticks: compute ");
	start = ticks;
	compute(&r);
	compute_ticks = ticks - start;
	putc('\n');
	kprintf("ticks: compute done, %u iterations, %u PIT samples, arithmetic %lx\n", ITERATIONS,
		r.samples, r.arith);

	cli();
	ref = reference();
	sti();
	check_eq(r.arith, ref, "arithmetic interleaved with interrupts matches the reference");
	check_eq(r.samples, ITERATIONS / SAMPLE_EVERY, "one PIT sample every %u iterations",
		 SAMPLE_EVERY);
	check(r.pit_min >= 1 && r.pit_max <= PIT_RELOAD,
	      "every latched mode-2 count lies in [1, %u]", PIT_RELOAD);
	if (r.pit_min < 1 || r.pit_max > PIT_RELOAD)
		kprintf("    min %u max %u\n", r.pit_min, r.pit_max);

	start = ticks;
	wait_ticks(start + IDLE_TICKS);
	cli();
	outb(PIC1_DATA, 0xff);
	check(ticks - start >= IDLE_TICKS, "idle phase: halted until %u more ticks came", IDLE_TICKS);

	kprintf("ticks: %lu ticks, %lu during compute, %lu spurious, checksum %lx\n", ticks,
		compute_ticks, spurious, r.checksum);
	return test_finish();
}
