/*
 * The KVM engine against the interpreter: state round trips, the same
 * guest program run on both engines with the state compared at every
 * exit, the interrupt window, kicks, the dirty log and the host tick.
 * Skipped (77) where /dev/kvm is not usable.  Where this host's KVM
 * departs from the manuals, the test says so in a NOTE line.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "check.h"
#include "encore/engine.h"
#include "encore/bare_metal.h"
#include "encore/loader.h"
#include "encore/ram.h"

#define RAM_SIZE (64ull << 20)
#define CODE 0x100000ull
#define HANDLER (CODE + 0x120)
#define PROGRAM_END (CODE + 0xff) /* just past its last HLT */
#define IDT 0x200000ull
#define GDT 0x210000ull
#define STACK_TOP 0x300000ull
#define FXSAVE_AREA 0x220000ull
#define VEC 0x20
#define PORT_MARK 0x80
#define PORT_IN 0x81
#define IN_VALUE 0x5a
#define MMIO_BASE 0xd0000000ull
#define MAX_STEPS 64
#define MAX_ACCESSES 128

/* ---- a machine with a traced port and MMIO device ---- */

struct access {
	u64 addr, value;
	u8 mmio, len, is_write;
};

struct rig {
	struct encore_machine *m;
	struct encore_engine *e;
	struct access log[MAX_ACCESSES];
	unsigned nlog;
	bool kick_on_access;
};

static void log_access(struct rig *r, bool mmio, u64 addr, const u8 *data, unsigned len,
		       bool wr)
{
	struct access a = { .addr = addr, .mmio = mmio, .len = len, .is_write = wr };
	memcpy(&a.value, data, len < 8 ? len : 8);
	if (r->nlog < MAX_ACCESSES)
		r->log[r->nlog++] = a;
	if (r->kick_on_access)
		machine__kick(r->m);
}

static void port_dev(void *opaque, struct encore_vcpu *vcpu, u64 off, u8 *data, unsigned len,
		     bool wr)
{
	(void)vcpu;
	if (!wr)
		memset(data, off == PORT_IN - PORT_MARK ? IN_VALUE : 0, len);
	log_access(opaque, false, PORT_MARK + off, data, len, wr);
}

static void mmio_dev(void *opaque, struct encore_vcpu *vcpu, u64 off, u8 *data, unsigned len,
		     bool wr)
{
	(void)vcpu;
	if (!wr) {
		u64 v = 0xcafe0000ull | off;
		memcpy(data, &v, len);
	}
	log_access(opaque, true, MMIO_BASE + off, data, len, wr);
}

static void put64(struct encore_machine *m, u64 pa, u64 v)
{
	memcpy(machine__ram_ptr(m, pa), &v, 8);
}

static u64 get64(struct encore_machine *m, u64 pa)
{
	u64 v;
	memcpy(&v, machine__ram_ptr(m, pa), 8);
	return v;
}

/* The GDT of the program below: SYSCALL/SYSRET want kernel CS, SS at
 * 0x08, 0x10 and user SS, CS64 at 0x28, 0x30 (STAR base 0x20). */
static const u64 gdt[] = {
	0,
	0x00af9b000000ffffull, /* 0x08 code64, DPL 0 */
	0x00cf93000000ffffull, /* 0x10 data, DPL 0 */
	0x125a92345678bcdeull, /* 0x18 data: base 0x12345678, limit 0xabcde, AVL, D, not accessed */
	0x00cffa000000ffffull, /* 0x20 user code32 */
	0x00cff2000000ffffull, /* 0x28 user data */
	0x00affa000000ffffull, /* 0x30 user code64 */
	0x0000892300000067ull, /* 0x38 TSS at 0x230000, available */
	0,
	0x0000822310000fffull, /* 0x48 LDT at 0x231000 */
	0,
};

/*
 * The program (GNU as, .code64, loaded at CODE).  Every "out %al,$0x80"
 * and every access to the device is an exit where the states of the two
 * engines are compared.  The SSE instructions are data moves only: this
 * host's KVM emulates every instruction, and its emulator has no SSE
 * arithmetic.
 *
 *	mov $0x11,%al; out %al,$0x80; in $0x81,%al; mov %eax,%ebx
 *	mov $0xd0000000,%esi; mov (%rsi),%ecx; movl $0x1234,4(%rsi)
 *	addl %ecx,8(%rsi)                        read-modify-write on MMIO
 *	mov $0x18,%eax; mov %eax,%es             odd base/limit, not accessed yet
 *	xor %eax,%eax; mov %eax,%ds; mov %eax,%fs; mov %eax,%gs
 *	mov $0x10,%eax; mov %eax,%ss; out %al,$0x80
 *	xor %eax,%eax; mov %eax,%ss; out %al,$0x80         null SS at CPL 0
 *	pushq $8; lea 1f(%rip),%rax; push %rax; lretq; 1: out %al,$0x80
 *	mov %rsp,%rax; pushq $0x10; push %rax; pushfq; pushq $8; lea 2f(%rip),%rax
 *	push %rax; iretq; 2: out %al,$0x80
 *	movdqu sse_const(%rip),%xmm3; movaps %xmm3,%xmm6; mov $7,%eax
 *	movups sse_const(%rip),%xmm5; movdqu %xmm6,-32(%rsp)
 *	fxsave64 0x220000; fninit; fnstsw 0x220200; out %al,$0x80
 *	wrmsr STAR = 0x0023000800000000, LSTAR = sys_entry, FMASK = 0x47700
 *	mov %rsp,%r12; lea user(%rip),%rcx; mov $0x202,%r11; sysretq
 * user: mov $0x380000,%rsp; mov $42,%eax; syscall; ud2
 * sys_entry: mov %r12,%rsp; out %al,$0x80; mov $0x10,%eax; mov %eax,%ss
 *	mov %eax,%ds; mov $0x38,%eax; ltr %ax; mov $0x48,%eax; lldt %ax
 *	out %al,$0x80; sti; hlt                  the test injects VEC here
 *	out %al,$0x80; cli; hlt (the end); jmp .
 * sse_const (.org 0x110): .quad 0x0123456789abcdef, 0x7fffffff00000001
 * handler (.org 0x120): push %rax; mov $0x13,%al; out %al,$0x80; pop %rax; iretq
 */
static const u8 program[] = {
	0xb0, 0x11, 0xe6, 0x80, 0xe4, 0x81, 0x89, 0xc3, 0xbe, 0x00, 0x00, 0x00,
	0xd0, 0x8b, 0x0e, 0xc7, 0x46, 0x04, 0x34, 0x12, 0x00, 0x00, 0x01, 0x4e,
	0x08, 0xb8, 0x18, 0x00, 0x00, 0x00, 0x8e, 0xc0, 0x31, 0xc0, 0x8e, 0xd8,
	0x8e, 0xe0, 0x8e, 0xe8, 0xb8, 0x10, 0x00, 0x00, 0x00, 0x8e, 0xd0, 0xe6,
	0x80, 0x31, 0xc0, 0x8e, 0xd0, 0xe6, 0x80, 0x6a, 0x08, 0x48, 0x8d, 0x05,
	0x03, 0x00, 0x00, 0x00, 0x50, 0x48, 0xcb, 0xe6, 0x80, 0x48, 0x89, 0xe0,
	0x6a, 0x10, 0x50, 0x9c, 0x6a, 0x08, 0x48, 0x8d, 0x05, 0x03, 0x00, 0x00,
	0x00, 0x50, 0x48, 0xcf, 0xe6, 0x80, 0xf3, 0x0f, 0x6f, 0x1d, 0xae, 0x00,
	0x00, 0x00, 0x0f, 0x28, 0xf3, 0xb8, 0x07, 0x00, 0x00, 0x00, 0x0f, 0x10,
	0x2d, 0x9f, 0x00, 0x00, 0x00, 0xf3, 0x0f, 0x7f, 0x74, 0x24, 0xe0, 0x48,
	0x0f, 0xae, 0x04, 0x25, 0x00, 0x00, 0x22, 0x00, 0xdb, 0xe3, 0xdd, 0x3c,
	0x25, 0x00, 0x02, 0x22, 0x00, 0xe6, 0x80, 0xb9, 0x81, 0x00, 0x00, 0xc0,
	0x31, 0xc0, 0xba, 0x08, 0x00, 0x23, 0x00, 0x0f, 0x30, 0xb9, 0x82, 0x00,
	0x00, 0xc0, 0x48, 0x8d, 0x05, 0x34, 0x00, 0x00, 0x00, 0x31, 0xd2, 0x0f,
	0x30, 0xb9, 0x84, 0x00, 0x00, 0xc0, 0xb8, 0x00, 0x77, 0x04, 0x00, 0x0f,
	0x30, 0x49, 0x89, 0xe4, 0x48, 0x8d, 0x0d, 0x0a, 0x00, 0x00, 0x00, 0x49,
	0xc7, 0xc3, 0x02, 0x02, 0x00, 0x00, 0x48, 0x0f, 0x07, 0x48, 0xc7, 0xc4,
	0x00, 0x00, 0x38, 0x00, 0xb8, 0x2a, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x0f,
	0x0b, 0x4c, 0x89, 0xe4, 0xe6, 0x80, 0xb8, 0x10, 0x00, 0x00, 0x00, 0x8e,
	0xd0, 0x8e, 0xd8, 0xb8, 0x38, 0x00, 0x00, 0x00, 0x0f, 0x00, 0xd8, 0xb8,
	0x48, 0x00, 0x00, 0x00, 0x0f, 0x00, 0xd0, 0xe6, 0x80, 0xfb, 0xf4, 0xe6,
	0x80, 0xfa, 0xf4, 0xeb, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xef, 0xcd, 0xab, 0x89,
	0x67, 0x45, 0x23, 0x01, 0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x7f,
	0x50, 0xb0, 0x13, 0xe6, 0x80, 0x58, 0x48, 0xcf,
};

static void write_idt_gate(struct encore_machine *m, unsigned vec, u64 target)
{
	u64 lo = (target & 0xffff) | ((u64)BARE_SEL_CODE << 16) | (0x8eull << 40) |
		 ((target >> 16 & 0xffff) << 48);
	put64(m, IDT + vec * 16, lo);
	put64(m, IDT + vec * 16 + 8, target >> 32);
}

/* Let ring 3 use the first 4 MiB (the program runs its user part there). */
static void allow_user(struct encore_machine *m)
{
	u64 pml4 = BARE_PML4, pdpt = pml4 + 0x1000, pd = pdpt + 0x1000;
	put64(m, pml4, get64(m, pml4) | 4);
	put64(m, pdpt, get64(m, pdpt) | 4);
	put64(m, pd, get64(m, pd) | 4);
	put64(m, pd + 8, get64(m, pd + 8) | 4);
}

/* A machine with the program and the devices; `s` is its boot state. */
static struct encore_machine *build_machine(struct rig *r, const u8 *code, size_t len,
					    struct encore_cpu_state *s)
{
	struct encore_machine *m = machine__create(&arch_x86_64, RAM_SIZE, 1);
	r->m = m;
	bus__register(&m->pio, PORT_MARK, 2, port_dev, r, "test-port");
	bus__register(&m->mmio, MMIO_BASE, 0x1000, mmio_dev, r, "test-mmio");
	bare_metal__prepare(m, s, CODE);
	allow_user(m);
	memcpy(machine__ram_ptr(m, CODE), code, len);
	for (unsigned k = 0; k < ARRAY_SIZE(gdt); k++)
		put64(m, GDT + 8 * k, gdt[k]);
	write_idt_gate(m, VEC, HANDLER);
	s->gdtr.base = GDT;
	s->gdtr.limit = sizeof(gdt) - 1;
	s->idtr.base = IDT;
	s->idtr.limit = 256 * 16 - 1;
	s->gpr[REG_RSP] = STACK_TOP;
	return m;
}

/* The KVM engine for a machine, or skip the whole program. */
static struct encore_engine *kvm_or_skip(struct encore_machine *m)
{
	char err[256];
	struct encore_engine *e = kvm__create(m, &m->vcpus[0], err, sizeof(err));
	if (!e)
		check_skip("%s", err);
	return e;
}

static void rig_init(struct rig *r, bool kvm, const u8 *code, size_t len,
		     struct encore_cpu_state *s)
{
	memset(r, 0, sizeof(*r));
	build_machine(r, code, len, s);
	r->e = kvm ? kvm_or_skip(r->m) : interp__create(r->m, &r->m->vcpus[0]);
	r->e->ops->set_state(r->e, s);
}

static void get_state(struct rig *r, struct encore_cpu_state *s)
{
	r->e->ops->get_state(r->e, s);
}

/* ---- reporting differences field by field ---- */

static void diff_bytes(const char *what, const void *a, const void *b, size_t off, size_t n)
{
	const u8 *x = a, *y = b;
	for (size_t i = off; i < off + n; i++)
		if (x[i] != y[i]) {
			printf("  %s: byte %zu: %02x vs %02x\n", what, i - off, x[i], y[i]);
			return;
		}
}

#define DIFF_FIELD(a, b, f) \
	diff_bytes(#f, a, b, offsetof(struct encore_cpu_state, f), sizeof((a)->f))

static void print_state_diff(const struct encore_cpu_state *a, const struct encore_cpu_state *b)
{
	for (int k = 0; k < 16; k++)
		if (a->gpr[k] != b->gpr[k])
			printf("  gpr[%d]: %#llx vs %#llx\n", k, (unsigned long long)a->gpr[k],
			       (unsigned long long)b->gpr[k]);
	if (a->rip != b->rip || a->rflags != b->rflags)
		printf("  rip %#llx vs %#llx, rflags %#llx vs %#llx\n", (unsigned long long)a->rip,
		       (unsigned long long)b->rip, (unsigned long long)a->rflags,
		       (unsigned long long)b->rflags);
	for (int k = 0; k < SEG_COUNT; k++) {
		const struct encore_segment *x = &a->seg[k], *y = &b->seg[k];
		if (memcmp(x, y, sizeof(*x)))
			printf("  seg[%d]: sel %#x base %#llx limit %#x attr %#x vs sel %#x base "
			       "%#llx limit %#x attr %#x\n", k, x->selector,
			       (unsigned long long)x->base, x->limit, x->attr, y->selector,
			       (unsigned long long)y->base, y->limit, y->attr);
	}
	DIFF_FIELD(a, b, ldtr);
	DIFF_FIELD(a, b, tr);
	DIFF_FIELD(a, b, gdtr);
	DIFF_FIELD(a, b, idtr);
	DIFF_FIELD(a, b, cr0);
	DIFF_FIELD(a, b, cr2);
	DIFF_FIELD(a, b, cr3);
	DIFF_FIELD(a, b, cr4);
	DIFF_FIELD(a, b, cr8);
	DIFF_FIELD(a, b, efer);
	DIFF_FIELD(a, b, dr);
	DIFF_FIELD(a, b, msr);
	DIFF_FIELD(a, b, fpu);
	DIFF_FIELD(a, b, halted);
	DIFF_FIELD(a, b, irq_shadow);
	DIFF_FIELD(a, b, irq_injected);
	DIFF_FIELD(a, b, irq_vector);
	DIFF_FIELD(a, b, irq_window_wanted);
	DIFF_FIELD(a, b, kick_pending);
	DIFF_FIELD(a, b, pad);
}

static bool same_state(const char *what, const struct encore_cpu_state *a,
		       const struct encore_cpu_state *b)
{
	if (!memcmp(a, b, sizeof(*a)))
		return true;
	printf("%s: states differ (first, second):\n", what);
	print_state_diff(a, b);
	return false;
}

/* ---- 1. state round trips ---- */

static void round_trip(struct encore_engine *e, const struct encore_cpu_state *s,
		       const char *what)
{
	struct encore_cpu_state got;
	int r = e->ops->set_state(e, s);
	CHECK(r == 0, "%s: set_state", what);
	e->ops->get_state(e, &got);
	CHECK(same_state(what, s, &got), "%s: get_state gives back what set_state took", what);
}

/* A state with something unusual in every part the conversion touches. */
static void unusual_state(struct encore_cpu_state *s)
{
	for (int k = 0; k < 16; k++)
		s->gpr[k] = 0x1111111111111111ull * (k + 1) ^ 0x8000000000000000ull;
	s->rflags = RF_FIXED1 | RF_CF | RF_ZF | RF_OF | RF_DF | RF_AC | RF_ID;
	s->seg[SEG_ES] = (struct encore_segment){ .selector = 0x18, .base = 0x12345678,
						  .limit = 0xabcde, .attr = 0x5093 };
	s->seg[SEG_DS] = (struct encore_segment){ .selector = 0 };
	s->seg[SEG_FS] = (struct encore_segment){ .selector = 0, .base = 0x7f0012345000ull };
	s->seg[SEG_GS] = (struct encore_segment){ .selector = 0x2b, .base = 0xffff888000001000ull,
						  .limit = 0xffffffff, .attr = 0xc0f3 };
	s->ldtr = (struct encore_segment){ .selector = 0x40, .base = 0x250000, .limit = 0xfff,
					   .attr = SEG_ATTR_P | 2 };
	s->tr = (struct encore_segment){ .selector = 0x48, .base = 0xfffffe0000001000ull,
					 .limit = 0x4087, .attr = SEG_ATTR_P | 0xb };
	s->cr2 = 0xdeadbeef000ull;
	s->cr8 = 5;
	for (int k = 0; k < 4; k++)
		s->dr[k] = 0x400000 + 0x10 * k;
	s->dr[6] = 0xffff4ff1;
	s->dr[7] = 0x455;
	struct encore_msrs *m = &s->msr;
	m->star = 0x0023001000000000ull;
	m->lstar = 0xffffffff81000000ull;
	m->cstar = 0xffffffff81000100ull;
	m->fmask = 0x47700;
	m->kernel_gs_base = 0xffff888000002000ull;
	m->tsc_aux = 3;
	m->pat = 0x0007010600070106ull;
	m->sysenter_cs = 0x10;
	m->sysenter_esp = 0xffffc90000000000ull;
	m->sysenter_eip = 0xffffffff81000200ull;
	m->tsc_offset = 123456789;
	m->mtrr_def_type = 0xc06;
	m->mtrr_fixed[0] = 0x0606060606060606ull;
	m->mtrr_fixed[4] = 0x0505050505050505ull;
	m->mtrr_var[0] = 0x80000000ull | 0;     /* base 2 GiB, UC */
	m->mtrr_var[1] = 0xff80000000ull | 0x800; /* 2 GiB, valid */
	struct encore_fpu_state *f = &s->fpu;
	f->fcw = 0x27f;
	f->fsw = 0x3800 | 0x41; /* TOP = 7, C0, IE */
	f->ftw = 0x81;
	f->fop = 0x5d9;
	f->fip = 0x100123;
	f->fdp = 0x200456;
	f->mxcsr = 0x9fc0;
	for (int k = 0; k < 8; k++)
		for (int b = 0; b < 10; b++)
			f->st[k][b] = (u8)(k * 16 + b + 1);
	for (int k = 0; k < 16; k++)
		for (int b = 0; b < 16; b++)
			f->xmm[k][b] = (u8)(k * 31 + b * 7);
	s->irq_shadow = 1;
	s->irq_window_wanted = 1;
	s->kick_pending = 1;
}

static void test_round_trip(void)
{
	check_group("round-trip");
	struct rig r;
	struct encore_cpu_state s;
	rig_init(&r, true, program, sizeof(program), &s);
	round_trip(r.e, &s, "bare-metal state");
	unusual_state(&s);
	round_trip(r.e, &s, "unusual state");
	s.irq_shadow = 0;
	s.rflags |= RF_IF;
	s.irq_injected = 1;
	s.irq_vector = 0x31;
	s.halted = 1;
	round_trip(r.e, &s, "pending injection, halted");
	s.irq_injected = s.irq_vector = 0;
	s.halted = 0;
	s.irq_shadow = 1;
	round_trip(r.e, &s, "STI shadow (IF set)");
	machine__destroy(r.m);
}

/* ---- 2. the same program on both engines ---- */

/* One engine running the program, driven as the machine would. */
struct runner {
	struct rig r;
	struct encore_exit x;
	struct encore_cpu_state s;
};

/* The machine's part: inject at HLT with the window open.  False at the
 * end (HLT with interrupts off) or on any other exit. */
static bool drive(struct runner *u)
{
	struct encore_engine *e = u->r.e;
	switch (u->x.reason) {
	case EXIT_HLT:
		if (!e->ops->interrupt_window(e))
			return false;
		return e->ops->inject_interrupt(e, VEC) == 0;
	case EXIT_KICK:
		return true;
	default:
		return false;
	}
}

static void step(struct runner *u)
{
	engine__run(u->r.e, ~0ull, &u->x);
	get_state(&u->r, &u->s);
}

/*
 * This host's KVM (which emulates every instruction) enters the SYSCALL
 * target with the caller's ring-3 CS and SS.  The SDM (and the APM) load
 * CS from STAR[47:32] and SS from it + 8, at CPL 0, as the interpreter
 * does.  Recognised exactly (everything else equal), it is reported and
 * KVM is given the right state so the rest of the program is compared.
 */
static bool syscall_defect(const struct runner *i, struct runner *k)
{
	struct encore_cpu_state fixed = k->s;
	fixed.seg[SEG_CS] = i->s.seg[SEG_CS];
	fixed.seg[SEG_SS] = i->s.seg[SEG_SS];
	if ((k->s.seg[SEG_CS].selector & 3) != 3 || (i->s.seg[SEG_CS].selector & 3) != 0 ||
	    i->s.rip != k->s.rip || memcmp(&fixed, &i->s, sizeof(fixed)))
		return false;
	printf("NOTE: host KVM defect: after SYSCALL from ring 3 it runs the target at RIP "
	       "%#llx with CS %#x (the SDM: CS %#x, CPL 0); continuing from the "
	       "interpreter's state\n", (unsigned long long)k->s.rip, k->s.seg[SEG_CS].selector,
	       i->s.seg[SEG_CS].selector);
	k->r.e->ops->set_state(k->r.e, &i->s);
	k->s = i->s;
	return true;
}

static void compare_step(unsigned n, struct runner *i, struct runner *k)
{
	char what[64];
	snprintf(what, sizeof(what), "exit %u (mark %#llx)", n,
		 (unsigned long long)(i->s.gpr[REG_RAX] & 0xff));
	CHECK(i->x.reason == k->x.reason && i->x.pc == k->x.pc,
	      "%s: reason %d at %#llx vs %d at %#llx", what, i->x.reason,
	      (unsigned long long)i->x.pc, k->x.reason, (unsigned long long)k->x.pc);
	if (k->x.message[0])
		printf("%s: KVM says: %s\n", what, k->x.message);
	if (memcmp(&i->s, &k->s, sizeof(i->s)) && syscall_defect(i, k))
		return;
	CHECK(same_state(what, &i->s, &k->s), "%s: same state", what);
}

static void compare_logs(const struct rig *a, const struct rig *b)
{
	CHECK(a->nlog == b->nlog, "bus accesses: %u on the interpreter, %u on KVM", a->nlog,
	      b->nlog);
	for (unsigned k = 0; k < a->nlog && k < b->nlog; k++) {
		const struct access *x = &a->log[k], *y = &b->log[k];
		CHECK(!memcmp(x, y, sizeof(*x)),
		      "access %u: %s %#llx len %u %s %#llx vs %s %#llx len %u %s %#llx", k,
		      x->mmio ? "mmio" : "port", (unsigned long long)x->addr, x->len,
		      x->is_write ? "write" : "read", (unsigned long long)x->value,
		      y->mmio ? "mmio" : "port", (unsigned long long)y->addr, y->len,
		      y->is_write ? "write" : "read", (unsigned long long)y->value);
	}
}

/*
 * FXSAVE stores MXCSR_MASK, the MXCSR bits the CPU supports.  On KVM
 * FXSAVE runs on (or is emulated with) the host CPU, so the guest sees
 * the host's mask (AMD sets bit 17, MM); the interpreter stores its own.
 * Reported, then left out of the RAM comparison.
 */
static void note_mxcsr_mask(struct encore_machine *i, struct encore_machine *k)
{
	u32 a, b;
	memcpy(&a, machine__ram_ptr(i, FXSAVE_AREA + 28), 4);
	memcpy(&b, machine__ram_ptr(k, FXSAVE_AREA + 28), 4);
	if (a == b)
		return;
	printf("NOTE: FXSAVE's MXCSR_MASK is %#x on the interpreter, %#x on KVM (the host "
	       "CPU's)\n", a, b);
	memcpy(machine__ram_ptr(k, FXSAVE_AREA + 28), &a, 4);
}

/* Guest RAM after the run: page by page, so a difference names its page. */
static void compare_ram(struct encore_machine *a, struct encore_machine *b)
{
	unsigned differing = 0;
	for (u64 pa = 0; pa < RAM_SIZE; pa += RAM_PAGE_SIZE) {
		const u8 *x = machine__ram_ptr(a, pa), *y = machine__ram_ptr(b, pa);
		if (memcmp(x, y, RAM_PAGE_SIZE)) {
			unsigned i = 0;
			while (x[i] == y[i])
				i++;
			printf("RAM page %#llx differs at +%#x: %02x vs %02x\n",
			       (unsigned long long)pa, i, x[i], y[i]);
			differing++;
		}
	}
	CHECK(differing == 0, "%u RAM pages differ", differing);
}

/* Both engines in lockstep, exit by exit, each driven by its own state. */
static void test_same_program(void)
{
	check_group("interp-vs-kvm");
	static struct runner i, k;
	struct encore_cpu_state s;
	rig_init(&i.r, false, program, sizeof(program), &s);
	rig_init(&k.r, true, program, sizeof(program), &s);
	i.r.kick_on_access = k.r.kick_on_access = true;
	unsigned n = 0;
	bool on_i = true, on_k = true;
	while (n < MAX_STEPS && on_i && on_k) {
		step(&i);
		step(&k);
		compare_step(n++, &i, &k);
		on_i = drive(&i);
		on_k = drive(&k);
	}
	CHECK(on_i == on_k, "both engines end at exit %u", n - 1);
	CHECK(i.x.reason == EXIT_HLT && !(i.s.rflags & RF_IF) && i.x.pc == PROGRAM_END,
	      "the program ran to its last HLT (exit %u: reason %d at %#llx)", n - 1, i.x.reason,
	      (unsigned long long)i.x.pc);
	compare_logs(&i.r, &k.r);
	note_mxcsr_mask(i.r.m, k.r.m);
	compare_ram(i.r.m, k.r.m);
	machine__destroy(i.r.m);
	machine__destroy(k.r.m);
}

/*
 * The interrupt window: asked for while IF = 0, it opens after STI and
 * one more instruction (the interpreter exits exactly there).  KVM exits
 * when it finds the window open; on VT-x/AMD-V that is the same boundary,
 * but an emulating host may only look at its next exit.  When it opens
 * is not architectural (interrupt latency is not), so KVM must only be
 * no earlier, with the window really open, and the injection must work.
 */
/* cli; out %al,$0x80; sti; nop; nop; out %al,$0x80; cli; hlt */
static const u8 window_code[] = { 0xfa, 0xe6, 0x80, 0xfb, 0x90, 0x90, 0xe6, 0x80, 0xfa, 0xf4 };

/* RIP of the window exit, or 0; the run then goes on to the final HLT. */
static u64 run_window(bool kvm, unsigned *handler_marks)
{
	static u8 code[sizeof(program)];
	struct rig r;
	struct encore_cpu_state s;
	struct encore_exit x;
	u64 at = 0;
	memcpy(code, program, sizeof(program)); /* for its interrupt handler */
	memcpy(code, window_code, sizeof(window_code));
	rig_init(&r, kvm, code, sizeof(code), &s);
	r.kick_on_access = true;
	r.e->ops->request_interrupt_window(r.e, false);
	for (unsigned n = 0; n < 16; n++) {
		engine__run(r.e, ~0ull, &x);
		if (x.reason == EXIT_KICK && x.pc == CODE + 3)
			r.e->ops->request_interrupt_window(r.e, true);
		else if (x.reason == EXIT_IRQ_WINDOW) {
			CHECK(r.e->ops->interrupt_window(r.e), "%s: window open at its exit",
			      kvm ? "kvm" : "interp");
			r.e->ops->request_interrupt_window(r.e, false);
			CHECK(r.e->ops->inject_interrupt(r.e, VEC) == 0, "inject at the window");
			at = x.pc;
		} else if (x.reason != EXIT_KICK)
			break;
	}
	CHECK(x.reason == EXIT_HLT && x.pc == CODE + sizeof(window_code),
	      "%s: ends at the HLT: reason %d at %#llx", kvm ? "kvm" : "interp", x.reason,
	      (unsigned long long)x.pc);
	*handler_marks = 0;
	for (unsigned k = 0; k < r.nlog; k++)
		*handler_marks += r.log[k].is_write && r.log[k].value == 0x13;
	machine__destroy(r.m);
	return at;
}

static void test_window(void)
{
	check_group("irq-window");
	unsigned hi, hk;
	u64 ai = run_window(false, &hi), ak = run_window(true, &hk);
	CHECK(ai == CODE + 5 && hi == 1, "interp: window after STI + 1 at %#llx, handler ran %u",
	      (unsigned long long)ai, hi);
	CHECK(ak >= ai && ak <= CODE + 8 && hk == 1, "kvm: window at %#llx, handler ran %u",
	      (unsigned long long)ak, hk);
	if (ak != ai)
		printf("NOTE: this host's KVM opened the interrupt window at %#llx, the interpreter "
		       "at the first boundary %#llx\n", (unsigned long long)ak,
		       (unsigned long long)ai);
}

/*
 * CPUID: KVM answers from the table the engine gave it (encore's model),
 * so every leaf and subleaf in range must read the same on both engines,
 * except the leaves the engine's report says the host's KVM would not
 * take (it reads the table back): those are reported.  Beyond the
 * highest leaf, a GenuineIntel CPU (and KVM) answers with the highest
 * basic leaf, the interpreter with zeros: reported, not checked.
 *
 *	mov $0x220000,%edi; mov $0x221000,%esi
 * 1:	mov (%rsi),%eax; cmp $-1,%eax; je 2f; mov 4(%rsi),%ecx; cpuid
 *	mov %eax,(%rdi); mov %ebx,4(%rdi); mov %ecx,8(%rdi); mov %edx,12(%rdi)
 *	add $8,%rsi; add $16,%rdi; jmp 1b
 * 2:	hlt
 */
static const u8 cpuid_code[] = {
	0xbf, 0x00, 0x00, 0x22, 0x00, 0xbe, 0x00, 0x10, 0x22, 0x00, 0x8b, 0x06,
	0x83, 0xf8, 0xff, 0x74, 0x1a, 0x8b, 0x4e, 0x04, 0x0f, 0xa2, 0x89, 0x07,
	0x89, 0x5f, 0x04, 0x89, 0x4f, 0x08, 0x89, 0x57, 0x0c, 0x48, 0x83, 0xc6,
	0x08, 0x48, 0x83, 0xc7, 0x10, 0xeb, 0xdf, 0xf4,
};

#define CPUID_OUT 0x220000ull
#define CPUID_IN 0x221000ull
#define CPUID_MAX_QUERIES 64

struct cpuid_query {
	u32 leaf, sub;
	bool in_range;
};

static unsigned cpuid_queries(struct cpuid_query *q)
{
	unsigned n = 0;
	for (u32 leaf = 0; leaf <= 0x17; leaf++)
		q[n++] = (struct cpuid_query){ leaf, 0, leaf <= 0x16 };
	q[n++] = (struct cpuid_query){ 7, 1, true };
	q[n++] = (struct cpuid_query){ 4, 3, true };
	q[n++] = (struct cpuid_query){ 0x40000000, 0, false };
	for (u32 leaf = 0x80000000u; leaf <= 0x80000009u; leaf++)
		q[n++] = (struct cpuid_query){ leaf, 0, leaf <= 0x80000008u };
	return n;
}

/* The leaves the engine's report names as changed by the host's KVM. */
static unsigned host_changed_leaves(struct encore_engine *e, u32 *leaves, unsigned max)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	e->ops->report(e, f);
	fclose(f);
	unsigned n = 0;
	const char *p = strstr(text, "changed CPUID leaves");
	if (p)
		p += strlen("changed CPUID leaves");
	while (p && n < max) {
		char *end;
		unsigned long v = strtoul(p, &end, 16);
		if (end == p)
			break;
		leaves[n++] = (u32)v;
		p = end;
	}
	free(text);
	return n;
}

static void run_cpuid(bool kvm, const struct cpuid_query *q, unsigned n, u32 (*out)[4],
		      u32 *changed, unsigned *nchanged)
{
	struct rig r;
	struct encore_cpu_state s;
	struct encore_exit x;
	build_machine(&r, cpuid_code, sizeof(cpuid_code), &s);
	for (unsigned k = 0; k < n; k++)
		put64(r.m, CPUID_IN + 8 * k, q[k].leaf | (u64)q[k].sub << 32);
	put64(r.m, CPUID_IN + 8 * n, 0xffffffffull);
	r.e = kvm ? kvm_or_skip(r.m) : interp__create(r.m, &r.m->vcpus[0]);
	if (kvm)
		*nchanged = host_changed_leaves(r.e, changed, 16);
	r.e->ops->set_state(r.e, &s);
	engine__run(r.e, ~0ull, &x);
	CHECK(x.reason == EXIT_HLT, "%s: cpuid program ends at HLT (%d)", kvm ? "kvm" : "interp",
	      x.reason);
	memcpy(out, machine__ram_ptr(r.m, CPUID_OUT), n * 16);
	machine__destroy(r.m);
}

static void test_cpuid(void)
{
	check_group("cpuid");
	struct cpuid_query q[CPUID_MAX_QUERIES];
	static u32 oi[CPUID_MAX_QUERIES][4], ok[CPUID_MAX_QUERIES][4];
	u32 changed[16];
	unsigned nchanged = 0;
	unsigned n = cpuid_queries(q);
	run_cpuid(false, q, n, oi, NULL, NULL);
	run_cpuid(true, q, n, ok, changed, &nchanged);
	for (unsigned k = 0; k < n; k++) {
		bool same = !memcmp(oi[k], ok[k], 16), by_host = false;
		for (unsigned c = 0; c < nchanged; c++)
			by_host |= changed[c] == q[k].leaf;
		if (!same && by_host)
			printf("NOTE: host KVM defect: it keeps its own CPUID %#x.%u: %08x %08x %08x "
			       "%08x (the model: %08x %08x %08x %08x)\n", q[k].leaf, q[k].sub, ok[k][0],
			       ok[k][1], ok[k][2], ok[k][3], oi[k][0], oi[k][1], oi[k][2], oi[k][3]);
		else if (q[k].in_range)
			CHECK(same, "leaf %#x.%u: %08x %08x %08x %08x vs %08x %08x %08x %08x",
			      q[k].leaf, q[k].sub, oi[k][0], oi[k][1], oi[k][2], oi[k][3], ok[k][0],
			      ok[k][1], ok[k][2], ok[k][3]);
		else if (!same)
			printf("NOTE: CPUID %#x (out of range): interpreter %08x %08x %08x %08x, "
			       "KVM %08x %08x %08x %08x\n", q[k].leaf, oi[k][0], oi[k][1], oi[k][2],
			       oi[k][3], ok[k][0], ok[k][1], ok[k][2], ok[k][3]);
	}
}

/* ---- 3. kicks ---- */

/* out %al,$0x80; out %al,$0x80; in $0x81,%al; addl %ecx,8(%rsi) with
 * rsi = MMIO_BASE; hlt */
static const u8 kick_code[] = { 0xe6, 0x80, 0xe6, 0x80, 0xe4, 0x81, 0x01, 0x4e, 0x08, 0xf4 };

static void test_kicks(void)
{
	check_group("kick");
	struct rig r;
	struct encore_cpu_state s, got;
	struct encore_exit x;
	rig_init(&r, true, kick_code, sizeof(kick_code), &s);
	s.gpr[REG_RSI] = MMIO_BASE;
	s.gpr[REG_RAX] = 0x1100;
	r.e->ops->set_state(r.e, &s);

	r.e->ops->kick(r.e);
	engine__run(r.e, 0, &x);
	get_state(&r, &got);
	CHECK(x.reason == EXIT_KICK && got.rip == CODE && r.nlog == 0,
	      "kick before run: reason %d, RIP %#llx, %u accesses", x.reason,
	      (unsigned long long)got.rip, r.nlog);

	r.kick_on_access = true;
	engine__run(r.e, 0, &x);
	get_state(&r, &got);
	CHECK(x.reason == EXIT_KICK && got.rip == CODE + 2 && x.pc == CODE + 2 && r.nlog == 1,
	      "kick in an OUT handler: reason %d, RIP %#llx, %u accesses", x.reason,
	      (unsigned long long)got.rip, r.nlog);

	engine__run(r.e, 0, &x);
	engine__run(r.e, 0, &x);
	get_state(&r, &got);
	CHECK(x.reason == EXIT_KICK && got.rip == CODE + 6 && got.gpr[REG_RAX] == 0x1100 + IN_VALUE,
	      "kick in an IN handler: reason %d, RIP %#llx, RAX %#llx", x.reason,
	      (unsigned long long)got.rip, (unsigned long long)got.gpr[REG_RAX]);

	/* A read-modify-write on MMIO: both accesses happen before run() returns. */
	engine__run(r.e, 0, &x);
	get_state(&r, &got);
	CHECK(x.reason == EXIT_KICK && got.rip == CODE + 9 && r.nlog == 5 && r.log[4].is_write,
	      "kick in an MMIO read of an ADD to memory: reason %d, RIP %#llx, %u accesses",
	      x.reason, (unsigned long long)got.rip, r.nlog);

	engine__run(r.e, 0, &x);
	CHECK(x.reason == EXIT_HLT && x.pc == CODE + 10, "then HLT: reason %d at %#llx", x.reason,
	      (unsigned long long)x.pc);
	engine__run(r.e, 0, &x);
	CHECK(x.reason == EXIT_HLT && x.pc == CODE + 10 && r.nlog == 5,
	      "halted stays halted: reason %d at %#llx", x.reason, (unsigned long long)x.pc);
	machine__destroy(r.m);
}

/* ---- 4. dirty log ---- */

/* mov %rax,0x400000; mov %rax,0x401008; mov %rax,0x405ff8; hlt;
 * mov %rax,0x402000; hlt */
static const u8 dirty_code[] = {
	0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00, 0x48, 0x89, 0x04, 0x25, 0x08, 0x10,
	0x40, 0x00, 0x48, 0x89, 0x04, 0x25, 0xf8, 0x5f, 0x40, 0x00, 0xf4, 0x48, 0x89, 0x04,
	0x25, 0x00, 0x20, 0x40, 0x00, 0xf4,
};

/* The dirty frames after a sync, cleared for the next round. */
static u64 take_dirty(struct rig *r, u64 *bits)
{
	r->e->ops->sync_dirty(r->e);
	return ram__take_dirty(r->m, bits);
}

static bool frame_set(const u64 *bits, u64 pa)
{
	return bits[pa >> 18] >> ((pa >> 12) & 63) & 1;
}

/* The frames dirty besides `want`, reported; the page-table pages may
 * also be there (the walker sets accessed and dirty bits in them). */
static void check_dirty(const u64 *bits, const u64 *want, unsigned nwant, bool tables_ok,
			const char *what)
{
	unsigned missing = 0, extra = 0;
	for (unsigned k = 0; k < nwant; k++)
		missing += !frame_set(bits, want[k]);
	for (u64 pa = 0; pa < RAM_SIZE; pa += RAM_PAGE_SIZE) {
		bool wanted = false;
		for (unsigned k = 0; k < nwant; k++)
			wanted |= want[k] == pa;
		bool table = pa >= BARE_PML4 && pa < BARE_PML4 + 6 * RAM_PAGE_SIZE;
		if (frame_set(bits, pa) && !wanted && !(table && tables_ok)) {
			printf("%s: frame %#llx dirty\n", what, (unsigned long long)pa);
			extra++;
		}
	}
	CHECK(missing == 0 && extra == 0, "%s: %u written frames not dirty, %u others dirty", what,
	      missing, extra);
}

static void test_dirty_log(void)
{
	check_group("dirty");
	struct rig r;
	struct encore_cpu_state s;
	struct encore_exit x;
	rig_init(&r, true, dirty_code, sizeof(dirty_code), &s);
	u64 *bits = calloc(ram__bitmap_words(r.m), 8);
	take_dirty(&r, bits); /* everything starts dirty */
	engine__run(r.e, 0, &x);
	CHECK(x.reason == EXIT_HLT, "first HLT: %d", x.reason);
	take_dirty(&r, bits);
	const u64 first[] = { 0x400000, 0x401000, 0x405000 };
	check_dirty(bits, first, 3, true, "first round");
	/* IF = 0: wake it by its state, as a restore would. */
	r.e->ops->get_state(r.e, &s);
	s.halted = 0;
	r.e->ops->set_state(r.e, &s);
	engine__run(r.e, 0, &x);
	CHECK(x.reason == EXIT_HLT, "second HLT: %d", x.reason);
	take_dirty(&r, bits);
	const u64 second[] = { 0x402000 };
	check_dirty(bits, second, 1, false, "second round");
	free(bits);
	machine__destroy(r.m);
}

/* ---- 5. the host tick: EXIT_ASYNC, and kicks from a signal handler ---- */

static const u8 spin_code[] = { 0xeb, 0xfe }; /* jmp . */

static unsigned polls;

static bool poll_third(void *opaque)
{
	(void)opaque;
	return ++polls == 3;
}

static bool poll_never(void *opaque)
{
	(void)opaque;
	polls++;
	return false;
}

static struct encore_engine *alarm_engine;

static void alarm_kick(int sig)
{
	(void)sig;
	alarm_engine->ops->kick(alarm_engine);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) * 1e-9;
}

static void test_async(void)
{
	check_group("async");
	struct rig r;
	struct encore_cpu_state s;
	struct encore_exit x;
	struct timespec t0;
	rig_init(&r, true, spin_code, sizeof(spin_code), &s);
	r.m->async_poll = poll_third;
	polls = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	engine__run(r.e, 0, &x);
	double took = seconds_since(&t0);
	CHECK(x.reason == EXIT_ASYNC && x.pc == CODE && polls == 3,
	      "a spinning guest comes back at the third poll: reason %d at %#llx, %u polls",
	      x.reason, (unsigned long long)x.pc, polls);
	CHECK(took >= 0.015, "three host ticks take %.3f s", took);
	/* Outside KVM_RUN the tick is blocked: a sleep is not cut short. */
	struct timespec nap = { 0, 50000000 };
	CHECK(nanosleep(&nap, NULL) == 0, "nanosleep after run() was not interrupted");

	r.m->async_poll = poll_never;
	alarm_engine = r.e;
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = alarm_kick;
	sigaction(SIGALRM, &sa, &old);
	struct itimerval it = { .it_value = { 0, 30000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	engine__run(r.e, 0, &x);
	sigaction(SIGALRM, &old, NULL);
	CHECK(x.reason == EXIT_KICK && x.pc == CODE,
	      "a kick from a signal handler stops the spinning guest: reason %d at %#llx",
	      x.reason, (unsigned long long)x.pc);
	machine__destroy(r.m);
}

int main(void)
{
	test_round_trip();
	test_same_program();
	test_window();
	test_cpuid();
	test_kicks();
	test_dirty_log();
	test_async();
	check_group_end();
	return check_summary();
}
