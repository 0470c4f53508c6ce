/*
 * Real mode and legacy protected mode on the interpreter, at the engine
 * interface: code from test_modes_code.S is copied into guest RAM, a CPU
 * state is set (real mode as after INIT, or protected mode), and the run's
 * registers, memory and retired-instruction counts are checked exactly.
 *
 * Covered: real-mode segment arithmetic and wrap-around, the 16-bit
 * addressing forms, 0x66/0x67 in 16-bit code, far JMP/CALL/RET, INT/IRET
 * through the IVT, faults and a shutdown in real mode, the switch to 16-
 * and 32-bit protected mode and back (unreal mode), 16- and 32-bit IDT
 * gates with the TSS stack switch from CPL 3 and IRET back, what is not
 * modelled (task gates, call gates, NT, virtual-8086 mode), 32-bit and
 * PAE paging with their #PF error codes, CR2 and A/D bits, the
 * instructions 64-bit mode lacks, and the walk of Linux's AP trampoline
 * from real mode to 64-bit mode.
 *
 * Expected instruction counts are worked out from the code: each
 * instruction that completes counts once, a faulting one does not, a REP
 * counts its iterations.
 */
#include <string.h>

#include "check.h"
#include "encore/engine.h"
#include "encore/cpu_reset.h"
#include "encore/loader.h"
#include "test_modes.h"

#define RAM_SIZE (32ull << 20)

#define SNIPPET(name) extern const u8 name[], name##_end[]
SNIPPET(rm_addr);
SNIPPET(rm_far);
SNIPPET(rm_far_a);
SNIPPET(rm_far_b);
SNIPPET(rm_int);
SNIPPET(rm_fault);
SNIPPET(rm_triple);
SNIPPET(rm_pm);
SNIPPET(pm_idt);
SNIPPET(pm_unsup);
SNIPPET(pm_handlers);
SNIPPET(pm_pg32);
SNIPPET(pm_pae);
SNIPPET(rm_insn);
SNIPPET(pm_insn);
SNIPPET(rm_tramp);
SNIPPET(pm_df);
/* Labels in the snippets: OFFSET(snippet, label) is the label's offset. */
extern const u8 rm_far_ret32[];
extern const u8 rm_int_i2[], rm_int_h21[], rm_int_h3[], rm_int_h4[], rm_int_h30[];
extern const u8 rm_fault_hde[], rm_fault_hud[], rm_fault_hgp[], rm_fault_de[], rm_fault_ud[],
	rm_fault_gp[];
extern const u8 pm_idt_ret40[], pm_idt_user2[], pm_idt_cli[], pm_idt_int81[], pm_idt_h40[],
	pm_idt_h80[], pm_idt_hgp[], pm_idt_h82[];
extern const u8 pm_unsup_task[], pm_unsup_callgate[], pm_unsup_tss[], pm_unsup_nt[],
	pm_unsup_iret[], pm_unsup_vm[], pm_unsup_iret_vm[];
extern const u8 pm_handlers_pf[], pm_handlers_gp[], pm_handlers_halt[];
extern const u8 rm_insn_hde[], rm_insn_hbr[], rm_insn_hud[], pm_insn_syscall[];
extern const u8 tr_efer[], tr_startup_64[], pm_df_ud[];
#define OFFSET(snippet, label) ((u16)((label) - (snippet)))

struct vm {
	struct encore_machine *m;
	struct encore_engine *e;
	struct encore_exit x;
	struct encore_cpu_state s; /* after the last run */
};

static void vm_init(struct vm *v)
{
	memset(v, 0, sizeof(*v));
	v->m = machine__create(&arch_x86_64, RAM_SIZE, 1);
	v->e = interp__create(v->m, &v->m->vcpus[0]);
}

static void vm_free(struct vm *v)
{
	machine__destroy(v->m);
}

static void *ram(struct vm *v, u64 pa)
{
	return machine__ram_ptr(v->m, pa);
}

static void put(struct vm *v, u64 pa, const u8 *start, const u8 *end)
{
	memcpy(ram(v, pa), start, end - start);
}

static void put16(struct vm *v, u64 pa, u16 x) { memcpy(ram(v, pa), &x, 2); }
static void put32(struct vm *v, u64 pa, u32 x) { memcpy(ram(v, pa), &x, 4); }
static void put64(struct vm *v, u64 pa, u64 x) { memcpy(ram(v, pa), &x, 8); }
static u16 get16(struct vm *v, u64 pa) { u16 x; memcpy(&x, ram(v, pa), 2); return x; }
static u32 get32(struct vm *v, u64 pa) { u32 x; memcpy(&x, ram(v, pa), 4); return x; }
static u64 get64(struct vm *v, u64 pa) { u64 x; memcpy(&x, ram(v, pa), 8); return x; }

/* The state after INIT: real mode, CS:IP = cs:ip, 64 KiB segments. */
static void state_real(struct encore_cpu_state *s, u16 cs, u16 ip)
{
	cpu_state__reset(s); /* CR0 = CD | NW | ET, EFLAGS = 2 */
	for (int k = 0; k < SEG_COUNT; k++)
		s->seg[k] = (struct encore_segment){ .limit = 0xffff, .attr = SEG_ATTR_P | SEG_ATTR_S | 3 };
	s->seg[SEG_CS] = (struct encore_segment){ .selector = cs, .base = (u32)cs << 4,
						   .limit = 0xffff,
						   .attr = SEG_ATTR_P | SEG_ATTR_S | 0xb };
	s->idtr.limit = 0x3ff;
	s->gdtr.limit = 0xffff;
	s->ldtr = (struct encore_segment){ .limit = 0xffff, .attr = SEG_ATTR_P | 2 };
	s->tr = (struct encore_segment){ .limit = 0xffff, .attr = SEG_ATTR_P | 0xb };
	s->rip = ip;
}

static void vm_set(struct vm *v, const struct encore_cpu_state *s)
{
	v->e->ops->set_state(v->e, s);
}

/* Run until an exit (at most `limit` more instructions); returns the reason. */
static int vm_run(struct vm *v, u64 limit)
{
	engine__run(v->e, v->e->ops->insn_count(v->e) + limit, &v->x);
	v->e->ops->get_state(v->e, &v->s);
	return v->x.reason;
}

static u64 vm_count(struct vm *v)
{
	return v->e->ops->insn_count(v->e);
}

/* A real-mode machine with `code` at RM_CODE, run from RM_CS:0 to its HLT. */
static void vm_real(struct vm *v, const u8 *start, const u8 *end)
{
	struct encore_cpu_state s;
	vm_init(v);
	put(v, RM_CODE, start, end);
	state_real(&s, RM_CS, 0);
	vm_set(v, &s);
}

static void ivt_set(struct vm *v, unsigned vec, u16 cs, u16 ip)
{
	put16(v, vec * 4, ip);
	put16(v, vec * 4 + 2, cs);
}

#define CHECK_EQ(got, want, what)                                                        \
	do {                                                                             \
		unsigned long long g_ = (got), w_ = (want);                              \
		CHECK(g_ == w_, "%s: got %#llx, want %#llx", what, g_, w_);              \
	} while (0)

static void check_halted(struct vm *v, u64 count, const char *what)
{
	CHECK(v->x.reason == EXIT_HLT, "%s: exit reason %d (%s)", what, v->x.reason, v->x.message);
	CHECK_EQ(vm_count(v), count, what);
}

/* ---- real mode ---- */

static void test_rm_addressing(void)
{
	check_group("real-mode addressing");
	struct vm v;
	vm_real(&v, rm_addr, rm_addr_end);
	put16(&v, RM_DATA + 1, 0xbeef);
	put32(&v, 0x100000, 0xcafef00d);
	static const u16 words[][2] = { /* DS- and SS-relative words the r/m forms read */
		{ 0x121, 0x1111 }, { 0x141, 0x2222 }, { 0x41, 0x5555 }, { 0x21, 0x6666 },
		{ 0x101, 0x8888 }, { 0x221, 0xaaaa }, { 0x60, 0xbbbb },
	};
	for (unsigned k = 0; k < sizeof(words) / sizeof(words[0]); k++)
		put16(&v, RM_DATA + words[k][0], words[k][1]);
	put16(&v, RM_STACK + 0x221, 0x3333);
	put16(&v, RM_STACK + 0x241, 0x4444);
	put16(&v, RM_STACK + 0x201, 0x7777);
	vm_run(&v, 1000);
	check_halted(&v, 56, "rm_addr runs its 56 instructions to HLT");
	CHECK_EQ(get16(&v, RM_DATA + 0x10), 0x1234, "DS:0x10 is physical 0x20010");
	CHECK_EQ(get16(&v, RP(0)), 0x1234, "ES = DS + 1: ES:0 is DS:0x10");
	CHECK_EQ(get16(&v, RP(1)), 0xbeef, "2(%si) with SI = 0xffff wraps to DS:1");
	CHECK_EQ(get32(&v, RP(2)), 0xcafef00d, "FFFF:0010 is linear 1 MiB (A20 on)");
	CHECK_EQ(get16(&v, RP(3)), 0x1234, "67: (%eax,%ecx,2) in 16-bit code");
	CHECK_EQ(get16(&v, RP(4)), 0x1111, "1(%bx,%si)");
	CHECK_EQ(get16(&v, RP(5)), 0x2222, "1(%bx,%di)");
	CHECK_EQ(get16(&v, RP(6)), 0x3333, "1(%bp,%si) is SS-relative");
	CHECK_EQ(get16(&v, RP(7)), 0x4444, "1(%bp,%di) is SS-relative");
	CHECK_EQ(get16(&v, RP(8)), 0x6666, "1(%si)");
	CHECK_EQ(get16(&v, RP(9)), 0x5555, "1(%di)");
	CHECK_EQ(get16(&v, RP(10)), 0x7777, "1(%bp) is SS-relative");
	CHECK_EQ(get16(&v, RP(11)), 0x8888, "1(%bx)");
	CHECK_EQ(get16(&v, RP(12)), 0xaaaa, "%ds:1(%bp,%si)");
	CHECK_EQ(get16(&v, RP(13)), 0x60, "lea 0x50(%bx,%si) wraps at 64 KiB");
	CHECK_EQ(get16(&v, RP(14)), 0xbbbb, "0x50(%bx,%si) wraps at 64 KiB");
	CHECK_EQ(get32(&v, RP(15)), 0x1234fffa, "push, pushl: SP wraps, ESP[31:16] kept");
	CHECK_EQ(get16(&v, RM_STACK + 0xfffe), 0xfff0, "push %bx at SS:0xfffe");
	CHECK_EQ(get32(&v, RP(16)), 0xa5a5c3c3, "popl");
	CHECK_EQ(get32(&v, RP(17)), 0x12340000, "pop: SP wraps back to 0");
	CHECK_EQ(v.s.seg[SEG_ES].base, (RM_DS + 1) * 16, "ES base = selector << 4");
	CHECK_EQ(v.s.seg[SEG_FS].limit, 0xffff, "real-mode loads keep the limit");
	CHECK_EQ(v.s.seg[SEG_FS].attr, SEG_ATTR_P | SEG_ATTR_S | 3, "and the attributes");
	vm_free(&v);
}

static void test_rm_far(void)
{
	check_group("real-mode far transfers");
	struct vm v;
	vm_real(&v, rm_far, rm_far_end);
	put(&v, FAR_A * 16, rm_far_a, rm_far_a_end);
	put(&v, FAR_B * 16, rm_far_b, rm_far_b_end);
	vm_run(&v, 1000);
	check_halted(&v, 45, "rm_far: 45 instructions");
	CHECK_EQ(get16(&v, RP(0)), RM_CS + 1, "ljmp ptr16:16 to CS + 1");
	CHECK_EQ(get16(&v, RP(1)), RM_CS, "ljmp back");
	CHECK_EQ(get16(&v, RP(2)), 0x1000, "lcalll/lretl restore SP");
	CHECK_EQ(get16(&v, RP(3)) & 0xff, 2, "two calls reached FAR_A:0");
	CHECK_EQ(get16(&v, RP(4)) & 0xff, 2, "two calls reached FAR_B:0 (one through m16:16)");
	CHECK_EQ(get32(&v, RP(5)), OFFSET(rm_far, rm_far_ret32), "lcalll pushes a 4-byte return EIP");
	CHECK_EQ(get32(&v, RP(6)), RM_CS, "lcalll pushes CS in 4 bytes");
	CHECK_EQ(get16(&v, RP(7)), 0x1000 - 8, "lcalll pushes 8 bytes");
	CHECK_EQ(get16(&v, RP(8)), FAR_A, "CS in FAR_A");
	CHECK_EQ(get16(&v, RP(9)), FAR_B, "CS in FAR_B");
	CHECK_EQ(v.s.seg[SEG_CS].base, RM_CODE, "CS base after the last far jump");
	CHECK_EQ(v.s.gpr[REG_RSP] & 0xffff, 0x1000, "SP balanced");
	vm_free(&v);
}

static void test_rm_int(void)
{
	check_group("real-mode interrupts");
	struct vm v;
	vm_real(&v, rm_int, rm_int_end);
	ivt_set(&v, 0x21, RM_CS, OFFSET(rm_int, rm_int_h21));
	ivt_set(&v, 3, RM_CS, OFFSET(rm_int, rm_int_h3));
	ivt_set(&v, 4, RM_CS, OFFSET(rm_int, rm_int_h4));
	ivt_set(&v, 0x30, RM_CS, OFFSET(rm_int, rm_int_h30));
	vm_run(&v, 1000);
	check_halted(&v, 48, "rm_int: 48 instructions to the first HLT");
	CHECK_EQ(get32(&v, RP(0)), 0x40002, "iretl loads AC (EFLAGS & 257FD5H)");
	CHECK_EQ(get16(&v, RP(1)), 0x1000, "SP before INT");
	CHECK_EQ(get16(&v, RP(4)), OFFSET(rm_int, rm_int_i2), "INT pushes the next IP");
	CHECK_EQ(get16(&v, RP(5)), RM_CS, "INT pushes CS");
	CHECK_EQ(get16(&v, RP(6)), 0x202, "INT pushes FLAGS (IF set)");
	CHECK_EQ(get32(&v, RP(7)), 0x2, "INT clears IF and AC");
	CHECK_EQ(get16(&v, RP(8)), 0x1000 - 6, "a 6-byte frame");
	CHECK_EQ(get16(&v, RP(2)), 0x1000, "IRET pops it");
	CHECK_EQ(get16(&v, RP(3)), 0x202, "IRET restores IF");
	CHECK_EQ(get16(&v, RP(9)), 1, "INT3 through vector 3");
	CHECK_EQ(get16(&v, RP(10)), OFFSET(rm_int, rm_int_i2) + 10, "INT3 pushes the next IP");
	CHECK_EQ(get16(&v, RP(11)), 1, "INTO with OF = 1 only");
	u64 hlt_ip = v.s.rip;
	CHECK(v.e->ops->interrupt_window(v.e), "halted with IF = 1: window open");
	v.e->ops->inject_interrupt(v.e, 0x30);
	vm_run(&v, 1000);
	check_halted(&v, 48 + 7, "external interrupt 0x30, then 2 more instructions");
	CHECK_EQ(get16(&v, RP(12)), 1, "the external interrupt went through the IVT");
	CHECK_EQ(get16(&v, RP(13)), hlt_ip, "it pushed the IP after the HLT");
	CHECK_EQ(v.s.gpr[REG_RCX] & 0xff, 0x77, "execution went on after the HLT");
	vm_free(&v);
}

static void test_rm_fault(void)
{
	check_group("real-mode faults");
	struct vm v;
	vm_real(&v, rm_fault, rm_fault_end);
	ivt_set(&v, 0, RM_CS, OFFSET(rm_fault, rm_fault_hde));
	ivt_set(&v, 6, RM_CS, OFFSET(rm_fault, rm_fault_hud));
	ivt_set(&v, 13, RM_CS, OFFSET(rm_fault, rm_fault_hgp));
	put16(&v, RP(0) + 0x100, 0x3f); /* DS:0x900: IDTR limit 0x3f, base 0 */
	put32(&v, RP(0) + 0x102, 0);
	vm_run(&v, 1000);
	check_halted(&v, 30, "rm_fault: 30 instructions (faulting ones do not retire)");
	CHECK_EQ(get16(&v, RP(0)), 5, "DIV restarted after #DE: 5 / 1");
	CHECK_EQ(get16(&v, RP(2)), OFFSET(rm_fault, rm_fault_de), "#DE pushes the DIV's own IP");
	CHECK_EQ(get16(&v, RP(3)), 0x1000 - 6, "#DE: no error code in real mode");
	CHECK_EQ(get16(&v, RP(4)), OFFSET(rm_fault, rm_fault_ud), "#UD pushes the UD2's IP");
	CHECK_EQ(get16(&v, RP(5)), OFFSET(rm_fault, rm_fault_gp), "INT beyond the IVT limit: #GP at the INT");
	CHECK_EQ(get16(&v, RP(6)), 0x1000 - 6, "#GP: no error code in real mode");
	CHECK_EQ(get16(&v, RP(1)), 0x1000, "SP balanced");
	CHECK_EQ(v.s.idtr.limit, 0x3f, "LIDT");
	vm_free(&v);

	check_group("real-mode shutdown");
	vm_real(&v, rm_triple, rm_triple_end);
	vm_run(&v, 1000);
	CHECK(v.x.reason == EXIT_TRIPLE_FAULT, "IVT limit 0: INT3 -> #GP -> #DF -> triple fault (%d)",
	      v.x.reason);
	CHECK_EQ(vm_count(&v), 1, "only LIDT retired");
	vm_free(&v);
}

/* ---- protected mode ---- */

static u64 desc(u32 base, u32 limit, u8 access, u8 flags)
{
	return (limit & 0xffff) | (u64)(base & 0xffffff) << 16 | (u64)access << 40 |
	       (u64)(limit >> 16 & 0xf) << 48 | (u64)(flags & 0xf) << 52 | (u64)(base >> 24) << 56;
}

static void gdt_build(struct vm *v)
{
	put64(v, GDT_PHYS + SEL_CODE16, desc(RM_CODE, 0xffff, 0x9b, 0x0));
	put64(v, GDT_PHYS + SEL_CODE32, desc(0, 0xfffff, 0x9b, 0xc));
	put64(v, GDT_PHYS + SEL_DATA32, desc(0, 0xfffff, 0x93, 0xc));
	put64(v, GDT_PHYS + SEL_DATA16, desc(RM_DATA, 0xffff, 0x93, 0x0));
	put64(v, GDT_PHYS + SEL_UCODE32, desc(0, 0xfffff, 0xfb, 0xc));
	put64(v, GDT_PHYS + SEL_UDATA32, desc(0, 0xfffff, 0xf3, 0xc));
	put64(v, GDT_PHYS + SEL_TSS32, desc(TSS_PHYS, 0x67, 0x89, 0x0));
	put64(v, GDT_PHYS + SEL_CODE64, desc(0, 0xfffff, 0x9b, 0xa));
	put64(v, GDT_PHYS + SEL_CODE16F, desc(0, 0xffff, 0x9b, 0x0));
}

static void test_rm_to_pm(void)
{
	check_group("real mode to protected mode and back");
	struct vm v;
	vm_real(&v, rm_pm, rm_pm_end);
	gdt_build(&v);
	put16(&v, RM_DATA + 0x900, GDT_ENTRIES * 8 - 1);
	put32(&v, RM_DATA + 0x902, 0xff000000 | GDT_PHYS); /* the high byte is ignored */
	put16(&v, RM_DATA + 0x10, 0x4242);
	put32(&v, 0x112340, 0x600dda7a);
	vm_run(&v, 1000);
	check_halted(&v, 51, "rm_pm: 51 instructions");
	CHECK_EQ(get16(&v, RP(0)), RM_CS, "after LMSW sets PE, CS keeps its real-mode selector");
	CHECK_EQ(get16(&v, RP(1)), SEL_CODE16, "16-bit protected mode: CS");
	CHECK_EQ(get16(&v, RP(2)), 0x4242, "16-bit protected mode: DS from the GDT");
	CHECK_EQ(get16(&v, RP(3)), SEL_CODE32, "32-bit protected mode: CS");
	CHECK_EQ(get32(&v, RP(4)), 4, "32-bit stack: push imm32 is 4 bytes");
	CHECK_EQ(get16(&v, RP(5)), GDT_ENTRIES * 8 - 1, "SGDT: limit");
	CHECK_EQ(get32(&v, RP(5) + 2), GDT_PHYS, "SGDT: the 24-bit base LGDT loaded, in 4 bytes");
	CHECK_EQ(get32(&v, RP(7)), 0x60000011, "LMSW 0 leaves PE set");
	CHECK_EQ(get16(&v, RP(8)), RM_CS, "back in real mode: CS");
	CHECK_EQ(get32(&v, RP(9)), 0x600dda7a, "unreal mode: FS keeps its 4 GiB limit");
	CHECK_EQ(v.s.cr0, 0x60000010, "PE clear");
	CHECK_EQ(v.s.gdtr.base, GDT_PHYS, "GDTR base");
	CHECK_EQ(v.s.seg[SEG_FS].base, 0x12340, "FS base = 0x1234 << 4");
	CHECK_EQ(v.s.seg[SEG_FS].limit, 0xffffffff, "FS limit 4 GiB");
	CHECK_EQ(v.s.seg[SEG_CS].attr & (SEG_ATTR_DB | SEG_ATTR_L), 0, "16-bit CS");
	CHECK_EQ(v.s.seg[SEG_DS].limit, 0xffff, "DS limit from the 16-bit descriptor");
	CHECK(get64(&v, GDT_PHYS + SEL_CODE32) & (1ull << 40), "loading CS set the accessed bit");
	vm_free(&v);
}

/* 32-bit protected mode at CPL 0, flat segments, the GDT/IDT/TSS of the tests. */
static void state_pm32(struct encore_cpu_state *s, u32 eip)
{
	cpu_state__reset(s);
	s->cr0 = CR0_PE | CR0_ET | CR0_NE;
	segment__set_flat(&s->seg[SEG_CS], SEL_CODE32, true, false, 0);
	for (int k = 0; k < SEG_COUNT; k++)
		if (k != SEG_CS)
			segment__set_flat(&s->seg[k], SEL_DATA32, false, false, 0);
	s->gdtr = (struct encore_dtable){ .base = GDT_PHYS, .limit = GDT_ENTRIES * 8 - 1 };
	s->idtr = (struct encore_dtable){ .base = IDT_PHYS, .limit = 256 * 8 - 1 };
	s->tr = (struct encore_segment){ .selector = SEL_TSS32, .base = TSS_PHYS, .limit = 0x67,
					 .attr = SEG_ATTR_P | 0xb };
	s->ldtr = (struct encore_segment){ .attr = SEG_ATTR_P | 2 };
	s->gpr[REG_RSP] = PM_STACK;
	s->rip = eip;
}

/* An 8-byte IDT gate: type 6/7 (16-bit) or 14/15 (32-bit), 5 (task). */
static void gate(struct vm *v, unsigned vec, u16 sel, u32 off, unsigned type, unsigned dpl)
{
	u64 g = (off & 0xffff) | (u64)sel << 16 | (u64)(0x80 | dpl << 5 | type) << 40 |
		(u64)(off >> 16) << 48;
	put64(v, IDT_PHYS + vec * 8, g);
}

#define PM_ADDR(snippet, label) (PM_CODE + OFFSET(snippet, label))

static void test_pm_idt(void)
{
	check_group("32-bit IDT, TSS stack switch, IRET");
	struct vm v;
	struct encore_cpu_state s;
	vm_init(&v);
	gdt_build(&v);
	put(&v, PM_CODE, pm_idt, pm_idt_end);
	put32(&v, TSS_PHYS + 4, PM_STACK0);
	put16(&v, TSS_PHYS + 8, SEL_DATA32);
	gate(&v, 0x40, SEL_CODE16F, PM_ADDR(pm_idt, pm_idt_h40), 6, 0);
	gate(&v, 0x80, SEL_CODE32, PM_ADDR(pm_idt, pm_idt_h80), 15, 3);
	gate(&v, 13, SEL_CODE32, PM_ADDR(pm_idt, pm_idt_hgp), 14, 0);
	gate(&v, 0x81, SEL_CODE32, PM_ADDR(pm_idt, pm_idt_h82), 14, 0);
	gate(&v, 0x82, SEL_CODE32, PM_ADDR(pm_idt, pm_idt_h82), 14, 3);
	state_pm32(&s, PM_CODE);
	vm_set(&v, &s);
	vm_run(&v, 1000);
	check_halted(&v, 74, "pm_idt: 74 instructions");
	CHECK_EQ(get32(&v, RP(7)), PM_ADDR(pm_idt, pm_idt_ret40), "16-bit gate: IP");
	CHECK_EQ(get16(&v, RP(8)), SEL_CODE32, "16-bit gate: CS");
	CHECK_EQ(get16(&v, RP(9)), 0x2, "16-bit gate: FLAGS");
	CHECK_EQ(get32(&v, RP(10)), PM_STACK - 6, "16-bit gate: 2-byte slots");
	CHECK_EQ(get32(&v, RP(1)), PM_STACK, "16-bit IRET back to 32-bit code");
	CHECK_EQ(get32(&v, RP(2)), SEL_UCODE32 | 3, "IRET to CPL 3: CS");
	CHECK_EQ(get32(&v, RP(3)), SEL_UDATA32 | 3, "IRET to CPL 3: SS");
	CHECK_EQ(get32(&v, RP(4)), 0, "IRET to CPL 3 nulls DS (DPL 0)");
	CHECK_EQ(get32(&v, RP(5)), PM_STACK3, "IRET to CPL 3: ESP");
	CHECK_EQ(get32(&v, RP(11)), PM_STACK0 - 20, "INT 0x80 from CPL 3: frame on TSS.ESP0");
	CHECK_EQ(get32(&v, RP(12)), PM_ADDR(pm_idt, pm_idt_user2), "frame: EIP");
	CHECK_EQ(get32(&v, RP(13)), SEL_UCODE32 | 3, "frame: CS");
	CHECK_EQ(get32(&v, RP(14)), 0x202, "frame: EFLAGS");
	CHECK_EQ(get32(&v, RP(15)), PM_STACK3, "frame: ESP");
	CHECK_EQ(get32(&v, RP(16)), SEL_UDATA32 | 3, "frame: SS");
	CHECK_EQ(get32(&v, RP(17)), 0x202, "a trap gate keeps IF");
	CHECK_EQ(get32(&v, RP(18)), SEL_DATA32, "SS = TSS.SS0");
	CHECK_EQ(get32(&v, RP(6)), PM_STACK3, "IRET back to CPL 3 restores ESP");
	CHECK_EQ(get32(&v, RP(19)), 2, "two #GPs");
	CHECK_EQ(get32(&v, RP(20)), 0, "CLI at CPL 3: #GP(0)");
	CHECK_EQ(get32(&v, RP(21)), PM_ADDR(pm_idt, pm_idt_cli), "#GP: EIP of the CLI");
	CHECK_EQ(get32(&v, RP(22)), 0x46, "an interrupt gate clears IF");
	CHECK_EQ(get32(&v, RP(23)), 0x81 * 8 + 2, "INT 0x81 through a DPL 0 gate: #GP(IDT | 0x81)");
	CHECK_EQ(get32(&v, RP(24)), PM_ADDR(pm_idt, pm_idt_int81), "#GP: EIP of the INT");
	CHECK_EQ(get32(&v, RP(25)), PM_STACK0 - 24, "a frame with an error code");
	CHECK_EQ(get32(&v, RP(26)), PM_STACK0 - 20, "INT 0x82: CPL 3 -> 0 again");
	CHECK_EQ(v.s.seg[SEG_CS].selector, SEL_CODE32, "halted at CPL 0");
	CHECK_EQ(v.s.seg[SEG_SS].selector, SEL_DATA32, "on SS0");
	CHECK_EQ(v.s.rflags & RF_IF, 0, "through an interrupt gate");
	vm_free(&v);
}

/* Raw code at PM_CODE, to run at CPL 3 in 32-bit protected mode: flat
 * user segments, IF set, IOPL 0, ESP = esp. */
static void vm_user32(struct vm *v, const u8 *code, unsigned len, u32 esp)
{
	struct encore_cpu_state s;
	vm_init(v);
	gdt_build(v);
	memcpy(ram(v, PM_CODE), code, len);
	state_pm32(&s, PM_CODE);
	segment__set_flat(&s.seg[SEG_CS], SEL_UCODE32 | 3, true, false, 3);
	for (int k = 0; k < SEG_COUNT; k++)
		if (k != SEG_CS)
			segment__set_flat(&s.seg[k], SEL_UDATA32 | 3, false, false, 3);
	s.rflags = RF_FIXED1 | RF_IF;
	s.gpr[REG_RSP] = esp;
	vm_set(v, &s);
}

/*
 * IRETD to the same privilege at CPL 3 (SDM IRET, RETURN-TO-SAME-
 * PRIVILEGE-LEVEL): it loads CF..OF, TF, DF, NT and, at 32 bits, RF, AC
 * and ID; IF only if CPL <= IOPL; IOPL, VIF and VIP only at CPL 0.
 */
static void test_pm_user_iret(void)
{
	check_group("IRET at CPL 3: the flags it loads");
	static const u8 iretd = 0xcf;
	struct vm v;
	u32 sp = PM_STACK3 - 12;
	u64 popped = RF_FIXED1 | RF_ZF | RF_NT | RF_AC | RF_ID | RF_VIF | RF_VIP | RF_IOPL;
	vm_user32(&v, &iretd, 1, sp);
	put32(&v, sp, PM_CODE + 1);
	put32(&v, sp + 4, SEL_UCODE32 | 3);
	put32(&v, sp + 8, (u32)popped);
	vm_run(&v, 1);
	CHECK_EQ(vm_count(&v), 1, "IRETD retired");
	CHECK_EQ(v.s.rip, PM_CODE + 1, "EIP");
	CHECK_EQ(v.s.gpr[REG_RSP], PM_STACK3, "same privilege: no SS:ESP popped");
	CHECK_EQ(v.s.rflags & (RF_ARITH | RF_NT | RF_AC | RF_ID), RF_ZF | RF_NT | RF_AC | RF_ID,
		 "ZF, NT, AC and ID from the stack");
	CHECK_EQ(v.s.rflags & (RF_IF | RF_IOPL), RF_IF, "IF and IOPL kept (CPL 3, IOPL 0)");
	CHECK_EQ(v.s.rflags & (RF_VIF | RF_VIP), 0, "VIF and VIP kept: only CPL 0 loads them");
	vm_free(&v);
}

/* Task switches, call gates and virtual-8086 mode stop the run with a report. */
static void test_pm_unsupported(void)
{
	static const struct {
		const u8 *entry, *at;
		unsigned count;
		const char *msg;
	} cases[] = {
		{ pm_unsup_task, pm_unsup_task, 0, "task gate" },
		{ pm_unsup_callgate, pm_unsup_callgate, 0, "call gate" },
		{ pm_unsup_tss, pm_unsup_tss, 0, "TSS" },
		{ pm_unsup_nt, pm_unsup_iret, 3, "nested task" },
		{ pm_unsup_vm, pm_unsup_iret_vm, 5, "virtual-8086" },
	};
	check_group("protected mode: what is not modelled");
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct vm v;
		struct encore_cpu_state s;
		vm_init(&v);
		gdt_build(&v);
		put64(&v, GDT_PHYS + SEL_CALLGATE, (u64)SEL_CODE32 << 16 | 0x8cull << 40);
		put(&v, PM_CODE, pm_unsup, pm_unsup_end);
		gate(&v, 0x50, SEL_TSS32, 0, 5, 0);
		state_pm32(&s, PM_ADDR(pm_unsup, cases[k].entry));
		vm_set(&v, &s);
		vm_run(&v, 100);
		CHECK(v.x.reason == EXIT_ERROR && strstr(v.x.message, cases[k].msg),
		      "%s: exit %d, message '%s'", cases[k].msg, v.x.reason, v.x.message);
		CHECK_EQ(v.x.pc, PM_ADDR(pm_unsup, cases[k].at), "stops at the instruction");
		CHECK_EQ(vm_count(&v), cases[k].count, "retired before it");
		vm_free(&v);
	}
}

/* The double-fault rules in protected mode: #UD -> #NP -> #GP -> #DF, and
 * a shutdown when the #DF gate is missing too. */
static void test_pm_double_fault(void)
{
	check_group("protected mode: double and triple faults");
	for (int triple = 0; triple < 2; triple++) {
		struct vm v;
		struct encore_cpu_state s;
		vm_init(&v);
		gdt_build(&v);
		put(&v, PM_CODE, pm_df, pm_df_end);
		put(&v, PM_HANDLERS, pm_handlers, pm_handlers_end);
		put64(&v, IDT_PHYS + 6 * 8, 0); /* #UD: not present */
		if (!triple)
			gate(&v, 8, SEL_CODE32, PM_HANDLERS + OFFSET(pm_handlers, pm_handlers_halt), 14, 0);
		state_pm32(&s, PM_CODE);
		s.idtr.limit = 9 * 8 - 1; /* vectors 0..8: #NP (11) and #GP (13) are beyond */
		vm_set(&v, &s);
		vm_run(&v, 100);
		if (triple) {
			CHECK(v.x.reason == EXIT_TRIPLE_FAULT, "no #DF gate: triple fault (%d)", v.x.reason);
			CHECK_EQ(vm_count(&v), 0, "nothing retired");
		} else {
			check_halted(&v, 1, "#DF handler's HLT");
			CHECK_EQ(get32(&v, v.s.gpr[REG_RSP]), 0, "#DF pushes error code 0");
			CHECK_EQ(get32(&v, v.s.gpr[REG_RSP] + 4), PM_ADDR(pm_df, pm_df_ud),
				 "#DF: EIP of the UD2");
			CHECK_EQ(v.s.gpr[REG_RSP], PM_STACK - 16, "a 16-byte frame");
		}
		vm_free(&v);
	}
}

#define PTE_P 1u
#define PTE_W 2u
#define PTE_U 4u
#define PTE_A 0x20u
#define PTE_D 0x40u
#define PTE_PS 0x80u

/* A protected-mode machine with the paging tests' handlers in place. */
static void vm_paging(struct vm *v, const u8 *start, const u8 *end)
{
	struct encore_cpu_state s;
	vm_init(v);
	gdt_build(v);
	put(v, PM_CODE, start, end);
	put(v, PM_HANDLERS, pm_handlers, pm_handlers_end);
	put32(v, TSS_PHYS + 4, PM_STACK0);
	put16(v, TSS_PHYS + 8, SEL_DATA32);
	gate(v, 14, SEL_CODE32, PM_HANDLERS + OFFSET(pm_handlers, pm_handlers_pf), 14, 0);
	gate(v, 13, SEL_CODE32, PM_HANDLERS + OFFSET(pm_handlers, pm_handlers_gp), 14, 0);
	gate(v, 0x80, SEL_CODE32, PM_HANDLERS + OFFSET(pm_handlers, pm_handlers_halt), 14, 3);
	state_pm32(&s, PM_CODE);
	vm_set(v, &s);
}

static void check_pf(struct vm *v, unsigned k, u32 err, u32 cr2, const char *what)
{
	CHECK(get32(v, RP(10 + 2 * k)) == err && get32(v, RP(11 + 2 * k)) == cr2,
	      "#PF %u (%s): error %#x CR2 %#x, want %#x %#x", k, what, get32(v, RP(10 + 2 * k)),
	      get32(v, RP(11 + 2 * k)), err, cr2);
}

static void test_paging32(void)
{
	check_group("32-bit paging");
	struct vm v;
	vm_paging(&v, pm_pg32, pm_pg32_end);
	u64 pd = PT_PHYS, pt = PT_PHYS + 0x1000;
	put32(&v, pd, pt | PTE_P | PTE_W | PTE_U);
	for (u32 k = 0; k < 1024; k++)
		put32(&v, pt + 4 * k, k << 12 | PTE_P | PTE_W);
	put32(&v, pt + 4 * (PM_CODE >> 12), PM_CODE | PTE_P | PTE_U);
	put32(&v, pt + 4 * ((PM_STACK3 - 1) >> 12), ((PM_STACK3 - 1) & ~0xfffu) | PTE_P | PTE_W | PTE_U);
	put32(&v, pt + 4 * 0x300, 0);
	put32(&v, pt + 4 * 0x301, 0x301000 | PTE_P);
	put32(&v, pt + 4 * 0x302, 0x302000 | PTE_P | PTE_W | PTE_U);
	put32(&v, pt + 4 * 0x305, 0x305000 | PTE_P | PTE_U);
	put32(&v, pd + 4, 0x400000 | PTE_P | PTE_W | PTE_PS);
	put32(&v, pd + 8, 0x800000 | PTE_P | PTE_W | PTE_PS | 1u << 13);
	vm_run(&v, 1000);
	check_halted(&v, 119, "pm_pg32: 119 instructions");
	CHECK_EQ(get32(&v, RP(9)), 5, "five page faults");
	check_pf(&v, 0, 0, 0x300000, "not present");
	check_pf(&v, 1, 3, 0x301000, "write to a read-only page with WP");
	check_pf(&v, 2, 9, 0x800000, "reserved bit in a 4 MiB PDE");
	check_pf(&v, 3, 5, 0x303000, "CPL 3 read of a supervisor page");
	check_pf(&v, 4, 7, 0x305000, "CPL 3 write to a read-only user page");
	CHECK_EQ(get32(&v, pt + 4 * 0x303), 0x303000 | PTE_P | PTE_W | PTE_A, "read: A, no D");
	CHECK_EQ(get32(&v, pt + 4 * 0x304), 0x304000 | PTE_P | PTE_W | PTE_A | PTE_D, "write: A and D");
	CHECK_EQ(get32(&v, pt + 4 * 0x301), 0x301000 | PTE_P | PTE_A | PTE_D,
		 "WP = 0: the supervisor write went through");
	CHECK_EQ(get32(&v, pt + 4 * 0x300), 0, "a not-present PTE stays untouched");
	CHECK_EQ(get32(&v, pd + 4), 0x400000 | PTE_P | PTE_W | PTE_PS | PTE_A | PTE_D,
		 "4 MiB page: A and D in the PDE");
	CHECK_EQ(get32(&v, pd), pt | PTE_P | PTE_W | PTE_U | PTE_A, "PDE of a page table: A only");
	CHECK_EQ(get32(&v, 0x301000), 0x80000031, "the WP = 0 store (CR0 without WP)");
	CHECK_EQ(v.s.seg[SEG_CS].selector, SEL_CODE32, "INT 0x80 back to CPL 0");
	vm_free(&v);
}

static void test_paging_pae(void)
{
	check_group("PAE paging");
	struct vm v;
	vm_paging(&v, pm_pae, pm_pae_end);
	u64 pdpt = PT_PHYS + 0x4000, bad = PT_PHYS + 0x4020, pd = PT_PHYS + 0x5000,
	    pt = PT_PHYS + 0x6000;
	put64(&v, pdpt, pd | PTE_P);
	put64(&v, bad, pd | PTE_P | PTE_W); /* R/W is reserved in a PDPTE */
	put64(&v, pd, pt | PTE_P | PTE_W);
	put64(&v, pd + 8, 0x200000 | PTE_P | PTE_W | PTE_PS);
	put64(&v, pd + 16, 0x400000 | PTE_P | PTE_W | PTE_PS | 1ull << 63);
	put64(&v, pd + 24, 0x600000 | PTE_P | PTE_W | PTE_PS | 1ull << 13);
	put64(&v, pd + 32, 0x800000 | PTE_P | PTE_W | PTE_PS | 1ull << 52);
	for (u64 k = 0; k < 512; k++)
		put64(&v, pt + 8 * k, k << 12 | PTE_P | PTE_W);
	put64(&v, pt + 8 * 0x1f0, 0x1f0000 | PTE_P);
	vm_run(&v, 1000);
	check_halted(&v, 102, "pm_pae: 102 instructions");
	CHECK_EQ(get32(&v, RP(7)), 1, "MOV CR3 with a reserved PDPTE bit: one #GP");
	CHECK_EQ(get32(&v, RP(6)), 0, "#GP(0)");
	CHECK_EQ(get32(&v, RP(5)), pdpt, "CR3 unchanged");
	CHECK_EQ(get32(&v, RP(9)), 4, "four page faults");
	check_pf(&v, 0, 3, 0x1f0000, "write to a read-only page");
	check_pf(&v, 1, 9, 0x600000, "reserved bit in a 2 MiB PDE");
	check_pf(&v, 2, 9, 0x800000, "bit 52 in a PAE entry");
	check_pf(&v, 3, 0x11, 0x400000, "fetch from an NX page");
	CHECK_EQ(get64(&v, pdpt), pd | PTE_P, "PDPTEs get no accessed bit");
	CHECK_EQ(get64(&v, pd), pt | PTE_P | PTE_W | PTE_A, "PDE of a page table: A");
	CHECK_EQ(get64(&v, pd + 8), 0x200000 | PTE_P | PTE_W | PTE_PS | PTE_A | PTE_D,
		 "2 MiB page: A and D");
	CHECK_EQ(get64(&v, pd + 16), 0x400000 | PTE_P | PTE_W | PTE_PS | PTE_A | 1ull << 63,
		 "NX page: read, so A");
	CHECK_EQ(v.s.efer, EFER_NXE, "EFER: NXE, no LMA");
	vm_free(&v);
}

static void test_rm_instructions(void)
{
	check_group("16-bit instructions in real mode");
	struct vm v;
	vm_real(&v, rm_insn, rm_insn_end);
	ivt_set(&v, 0, RM_CS, OFFSET(rm_insn, rm_insn_hde));
	ivt_set(&v, 5, RM_CS, OFFSET(rm_insn, rm_insn_hbr));
	ivt_set(&v, 6, RM_CS, OFFSET(rm_insn, rm_insn_hud));
	memcpy(ram(&v, RM_DATA + 0xfffe), "ab", 2);
	memcpy(ram(&v, RM_DATA), "cd", 2);
	vm_run(&v, 1000);
	check_halted(&v, 205, "rm_insn: 205 instructions");
	CHECK_EQ(get16(&v, RP(0)), 0xff0, "PUSHA: 16 bytes");
	CHECK_EQ(get16(&v, RP(1)), 0x1000, "POPA");
	CHECK_EQ(get16(&v, RP(2)), 0x1111, "POPA: AX");
	CHECK_EQ(get16(&v, RP(3)), 0x7777, "POPA: DI");
	CHECK_EQ(get16(&v, RP(4)), 0x5555, "POPA: BP");
	CHECK_EQ(get16(&v, RP(5)), 0xfe0, "PUSHAD: 32 bytes");
	/* (later pushes overwrite the EAX and ECX slots) */
	CHECK(get32(&v, RM_STACK + 0xff4) == 0x3333 && get32(&v, RM_STACK + 0xff0) == 0x4444 &&
	      get32(&v, RM_STACK + 0xfe8) == 0x5555 && get32(&v, RM_STACK + 0xfe0) == 0x7777,
	      "PUSHAD: EDX, EBX, ESP, EBP, ESI, EDI");
	CHECK_EQ(get32(&v, RM_STACK + 0xfec), 0x1000, "PUSHAD: the original ESP");
	CHECK_EQ(get32(&v, RP(6)), 0xaabbccdd, "POPAD: EAX");
	CHECK_EQ(get16(&v, RP(7)), 0x1000, "POPAD");
	CHECK_EQ(get32(&v, RP(8)), 0x9abcdef0, "LSS m16:32: ESP");
	CHECK_EQ(get16(&v, RP(9)), 0x4321, "LSS: SS");
	CHECK(get16(&v, RP(10)) == 0x5678 && get16(&v, RP(11)) == 0x1234, "LES");
	CHECK(get16(&v, RP(12)) == 0x5678 && get16(&v, RP(13)) == 0x1234, "LFS");
	CHECK(get16(&v, RP(14)) == 0x5678 && get16(&v, RP(15)) == 0x1234, "LGS");
	CHECK(get16(&v, RP(16)) == 0x5678 && get16(&v, RP(17)) == 0x1234, "LDS");
	CHECK_EQ(get16(&v, RP(18)), 0x0104, "AAA");
	CHECK_EQ(get16(&v, RP(19)) & (RF_CF | RF_AF), RF_CF | RF_AF, "AAA: CF AF");
	CHECK_EQ(get16(&v, RP(20)), 0x0108, "AAS (AX - 6, AH - 1)");
	CHECK_EQ(get16(&v, RP(21)) & (RF_CF | RF_AF), RF_CF | RF_AF, "AAS: CF AF");
	CHECK_EQ(get16(&v, RP(22)) & 0xff, 0x14, "DAA");
	CHECK_EQ(get16(&v, RP(23)) & 0xd5, RF_CF | RF_AF | RF_PF, "DAA: flags");
	CHECK_EQ(get16(&v, RP(24)) & 0xff, 0x88, "DAS");
	CHECK_EQ(get16(&v, RP(25)) & 0xd5, RF_CF | RF_AF | RF_SF | RF_PF, "DAS: flags");
	CHECK_EQ(get16(&v, RP(26)), 0x0803, "AAM");
	CHECK_EQ(get16(&v, RP(27)) & 0xc4, RF_PF, "AAM: SF ZF PF");
	CHECK_EQ(get16(&v, RP(28)), 0x0053, "AAD");
	CHECK_EQ(get16(&v, RP(29)), 0x0503, "AAM 16");
	CHECK_EQ(get16(&v, RP(44)), 1, "AAM 0: #DE");
	CHECK_EQ(get32(&v, RP(30)) & 0xffffff, 0x0800ff, "SALC with CF = 1, 0; 82 /0");
	CHECK_EQ(get16(&v, RP(45)), 2, "BOUND: two #BR, for 6 and -3 against [-2, 5]");
	CHECK_EQ(get32(&v, RP(31)), 0x10000, "LOOP with CX: ECX[31:16] untouched");
	CHECK_EQ(get16(&v, RP(32)), 2, "LOOP ran twice, JCXZ jumped on CX = 0");
	CHECK(get16(&v, RP(33)) == 2 && get16(&v, RP(34)) == 2 && get16(&v, RP(35)) == 0,
	      "REP MOVSB across 64 KiB: SI = DI = 2, CX = 0");
	CHECK(!memcmp(ram(&v, 0x4fffe), "ab", 2) && !memcmp(ram(&v, 0x40000), "cd", 2),
	      "REP MOVSB: SI and DI wrapped to offset 0");
	CHECK_EQ(get16(&v, RP(36)), 2, "REP STOSW: DI wrapped");
	CHECK(get16(&v, 0x5fffe) == 0x1234 && get16(&v, 0x50000) == 0x1234, "REP STOSW: stores");
	CHECK_EQ(get16(&v, RP(37)) & (RF_ZF | RF_CF), RF_ZF, "40: INC AX");
	CHECK_EQ(get16(&v, RP(38)), 0xffff, "48: DEC AX");
	CHECK_EQ(get32(&v, RP(39)), 0x243202, "POPFD at CPL 0: IOPL, IF, AC, ID");
	CHECK_EQ(get32(&v, RP(40)), 0x240002, "POPF: FLAGS[15:0] only");
	CHECK_EQ(get16(&v, RP(41)), RM_CS, "PUSH CS; POP ES");
	CHECK_EQ(get16(&v, RP(42)), RM_SS, "PUSH SS; POP FS");
	CHECK_EQ(get16(&v, RP(46)), 4, "SYSCALL, SYSRET, SWAPGS and ARPL: #UD in real mode");
	vm_free(&v);

	check_group("ARPL and SYSCALL in protected mode");
	struct encore_cpu_state s;
	vm_init(&v);
	gdt_build(&v);
	put(&v, PM_CODE, pm_insn, pm_insn_end);
	put(&v, PM_HANDLERS, pm_handlers, pm_handlers_end);
	gate(&v, 6, SEL_CODE32, PM_HANDLERS + OFFSET(pm_handlers, pm_handlers_halt), 14, 0);
	state_pm32(&s, PM_CODE);
	vm_set(&v, &s);
	vm_run(&v, 1000);
	check_halted(&v, 20, "pm_insn: 20 instructions");
	CHECK_EQ(get32(&v, RP(0)), 0x13, "ARPL raises the RPL");
	CHECK_EQ(get32(&v, RP(3)) & RF_ZF, RF_ZF, "ARPL: ZF when it did");
	CHECK_EQ(get32(&v, RP(1)), 0x13, "ARPL: no change for an equal RPL");
	CHECK_EQ(get32(&v, RP(2)) & RF_ZF, 0, "ARPL: ZF clear");
	CHECK_EQ(get16(&v, RP(4)), 0x12, "ARPL to memory");
	CHECK_EQ(get32(&v, v.s.gpr[REG_RSP]), PM_ADDR(pm_insn, pm_insn_syscall),
		 "SYSCALL outside long mode: #UD at the SYSCALL");
	CHECK_EQ(v.s.efer, EFER_SCE, "even with EFER.SCE");
	vm_free(&v);
}

static void test_trampoline(void)
{
	check_group("Linux's AP trampoline: real mode to 64-bit mode");
	struct vm v;
	vm_real(&v, rm_tramp, rm_tramp_end);
	gdt_build(&v);
	put64(&v, PT_PHYS, (PT_PHYS + 0x1000) | PTE_P | PTE_W);
	put64(&v, PT_PHYS + 0x1000, (PT_PHYS + 0x2000) | PTE_P | PTE_W);
	for (u64 k = 0; k < 512; k++)
		put64(&v, PT_PHYS + 0x2000 + 8 * k, k << 21 | PTE_P | PTE_W | PTE_PS);
	vm_run(&v, 1000);
	check_halted(&v, 65, "rm_tramp: 41 in real mode, 20 in 32-bit code, 4 in 64-bit code");
	u64 stack = RM_CODE + OFFSET(rm_tramp, rm_tramp_end);
	CHECK_EQ(get32(&v, RM_CODE + OFFSET(rm_tramp, tr_efer)), 0xd01,
		 "after CR0.PG in 32-bit code: EFER.LMA (compatibility mode)");
	CHECK_EQ(v.s.efer, 0xd01, "EFER: SCE, LME, LMA, NXE");
	CHECK_EQ(v.s.cr0, 0x80000011, "CR0: PG, ET, PE");
	CHECK_EQ(v.s.seg[SEG_CS].selector, SEL_CODE64, "64-bit CS");
	CHECK_EQ(v.s.gpr[REG_RAX], 0x123456789abcdef0ull, "a 64-bit immediate");
	CHECK_EQ(v.s.gpr[REG_RBX], RM_CODE + OFFSET(rm_tramp, tr_startup_64), "RIP-relative LEA");
	CHECK_EQ(v.s.gpr[REG_RSP], stack - 8, "a 64-bit push on the real-mode stack");
	CHECK_EQ(get64(&v, stack - 8), 0x123456789abcdef0ull, "the pushed value");
	CHECK_EQ(v.s.gdtr.base, GDT_PHYS, "LGDTL");
	CHECK_EQ(v.s.idtr.limit, 0, "LIDTL");
	vm_free(&v);
}

int main(void)
{
	test_rm_addressing();
	test_rm_far();
	test_rm_int();
	test_rm_fault();
	test_rm_to_pm();
	test_pm_idt();
	test_pm_user_iret();
	test_pm_unsupported();
	test_pm_double_fault();
	test_paging32();
	test_paging_pae();
	test_rm_instructions();
	test_trampoline();
	check_group_end();
	return check_summary();
}
