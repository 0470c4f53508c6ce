/*
 * GDT with kernel and user segments and a 64-bit TSS; IDT over the stubs
 * of cpu.S; the C side of interrupt dispatch and of fault probes.
 */
#include "rt.h"

struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __attribute__((packed));

u8 rsp0_stack[16384] ALIGNED(4096);
static u8 ist1_stack[8192] ALIGNED(4096) __attribute__((used));
static u8 ist2_stack[8192] ALIGNED(4096);
/* The top of each exported stack is the first byte after it. */
asm(".globl rsp0_stack_top\n .set rsp0_stack_top, rsp0_stack + 16384\n"
    ".globl ist1_stack_top\n .set ist1_stack_top, ist1_stack + 8192\n");

static struct tss64 tss ALIGNED(16);
u64 gdt[GDT_ENTRIES] ALIGNED(16);
struct idt_gate idt[256] ALIGNED(16);

void reload_segments(void);
extern u8 isr_stubs[];

void gdt_init(void)
{
	u64 base = (u64)&tss, limit = sizeof(tss) - 1;

	gdt[0] = 0;
	gdt[SEL_KCODE / 8] = 0x00af9a000000fffful; /* L=1, DPL 0, exec/read */
	gdt[SEL_KDATA / 8] = 0x00cf92000000fffful; /* DPL 0, read/write */
	gdt[SEL_UDATA / 8] = 0x00cff2000000fffful; /* DPL 3, read/write */
	gdt[SEL_UCODE / 8] = 0x00affa000000fffful; /* L=1, DPL 3, exec/read */
	/* 64-bit available TSS (type 9), present, DPL 0: 16 bytes. */
	gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ul << 40) |
			   ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	gdt[SEL_TSS / 8 + 1] = base >> 32;
	gdt[SEL_NOTPRESENT / 8] = 0x00cf12000000fffful; /* data, P=0 */

	memset(&tss, 0, sizeof(tss));
	tss.rsp[0] = (u64)rsp0_stack_top;
	tss.ist[0] = (u64)ist1_stack_top;
	tss.ist[1] = (u64)(ist2_stack + sizeof(ist2_stack));
	tss.iomap_base = sizeof(tss); /* no I/O bitmap: every port denied at CPL 3 */

	gdt_load();
	ltr(SEL_TSS);
}

void gdt_load(void)
{
	struct dtr d = { .limit = sizeof(gdt) - 1, .base = (u64)gdt };

	lgdt(&d);
	reload_segments();
}

/* Address of the assembly entry stub for `vec`. */
static u64 isr_stub_addr(int vec)
{
	return (u64)isr_stubs + (u64)vec * 16;
}

static void gate_set_offset(struct idt_gate *g, u64 off)
{
	g->off_lo = off & 0xffff;
	g->off_mid = off >> 16 & 0xffff;
	g->off_hi = off >> 32;
}

/*
 * Mask both legacy 8259 PICs (OCW1) so that no external interrupt reaches
 * a guest that runs with IF=1, whatever state firmware or a future device
 * model leaves them in.  Harmless where no PIC is present.
 */
static void pic_mask_all(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

void idt_init(void)
{
	pic_mask_all();
	for (int v = 0; v < 256; v++) {
		struct idt_gate *g = &idt[v];

		memset(g, 0, sizeof(*g));
		gate_set_offset(g, isr_stub_addr(v));
		g->sel = SEL_KCODE;
		g->attr = 0x8e; /* present, DPL 0, 64-bit interrupt gate */
	}
	idt_load();
}

void idt_load(void)
{
	struct dtr d = { .limit = sizeof(idt) - 1, .base = (u64)idt };

	lidt(&d);
}

void idt_set_dpl(int vec, int dpl)
{
	idt[vec].attr = (u8)((idt[vec].attr & ~0x60) | (dpl & 3) << 5);
}

void idt_set_ist(int vec, int ist)
{
	idt[vec].ist = (u8)(ist & 7);
}

void idt_set_trap(int vec, int trap)
{
	idt[vec].attr = (u8)((idt[vec].attr & ~0x0f) | (trap ? 0xf : 0xe));
}

void idt_set_present(int vec, int present)
{
	idt[vec].attr = (u8)((idt[vec].attr & ~0x80) | (present ? 0x80 : 0));
}

static intr_handler_fn handlers[256];

void idt_set_handler(int vec, intr_handler_fn fn)
{
	handlers[vec] = fn;
}

volatile struct fault_info last_fault;
volatile u64 probe_resume, probe_rsp, probe_insn, probe_value;
volatile u32 probe_armed;

void fault_reset(void)
{
	last_fault.count = 0;
	last_fault.vector = -1;
	last_fault.error = last_fault.rip = last_fault.cr2 = 0;
	last_fault.cs = last_fault.ss = last_fault.rsp = last_fault.rflags = 0;
	last_fault.frame_addr = 0;
}

void fault_record(struct intr_frame *f)
{
	last_fault.count++;
	last_fault.vector = (int)f->vector;
	last_fault.error = f->error;
	last_fault.rip = f->rip;
	last_fault.cs = f->cs;
	last_fault.rflags = f->rflags;
	last_fault.rsp = f->rsp;
	last_fault.ss = f->ss;
	last_fault.cr2 = f->vector == VEC_PF ? read_cr2() : 0;
	last_fault.frame_addr = (u64)f;
}

/* Resume the interrupted code at the armed probe's label 2. */
static void probe_fixup(struct intr_frame *f)
{
	f->rip = probe_resume;
	f->rsp = probe_rsp;
	probe_armed = 0;
}

/*
 * Called by isr_common with the frame; may change it before IRETQ.  A
 * vector with a handler is left to it (it may call fault_record());
 * otherwise the exception is recorded in last_fault and an armed probe
 * resumes, and anything else ends the test.
 */
void isr_dispatch(struct intr_frame *f);
void isr_dispatch(struct intr_frame *f)
{
	if (handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	fault_record(f);
	if (probe_armed) {
		probe_fixup(f);
		return;
	}
	kprintf("FAIL %s: unexpected exception/interrupt vector %lu error %lx at rip %lx "
		"cs %lx rflags %lx rsp %lx cr2 %lx\n",
		test_name(), f->vector, f->error, f->rip, f->cs, f->rflags, f->rsp, read_cr2());
	guest_exit(1);
}

static const char *vec_name(int v)
{
	static const char *const names[] = { "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD",
					     "#NM", "#DF", "CSO", "#TS", "#NP", "#SS", "#GP",
					     "#PF" };

	return v >= 0 && v < (int)ARRAY_SIZE(names) ? names[v] : "vector";
}

int expect_fault(const char *what, int vec, u64 err)
{
	int ok = last_fault.count == 1 && last_fault.vector == vec && last_fault.error == err &&
		 last_fault.rip == probe_insn;

	check(ok, "%s: %s(%lx) at the faulting instruction", what, vec_name(vec), err);
	if (!ok)
		kprintf("    got %d exception(s), last %s (vector %d) error %lx rip %lx "
			"(probed insn %lx)\n",
			last_fault.count, vec_name(last_fault.vector), last_fault.vector,
			last_fault.error, last_fault.rip, probe_insn);
	return ok;
}

int expect_pf(const char *what, u64 err, u64 cr2)
{
	int ok = last_fault.count == 1 && last_fault.vector == VEC_PF && last_fault.error == err &&
		 last_fault.cr2 == cr2;

	check(ok, "%s: #PF error %lx cr2 %lx", what, err, cr2);
	if (!ok)
		kprintf("    got %d exception(s), last %s (vector %d) error %lx cr2 %lx rip %lx\n",
			last_fault.count, vec_name(last_fault.vector), last_fault.vector,
			last_fault.error, last_fault.cr2, last_fault.rip);
	return ok;
}

int expect_no_fault(const char *what)
{
	int ok = last_fault.count == 0;

	check(ok, "%s: no exception", what);
	if (!ok)
		kprintf("    got %s (vector %d) error %lx rip %lx cr2 %lx\n",
			vec_name(last_fault.vector), last_fault.vector, last_fault.error,
			last_fault.rip, last_fault.cr2);
	return ok;
}
