/*
 * The engine interface on the interpreter: external interrupts injected
 * at exact instruction boundaries, held while IF = 0 and through the STI
 * shadow, HLT exits and wake-ups, exact-count stops, kicks, and state
 * get/set round trips.
 */
#include <string.h>

#include "check.h"
#include "encore/engine.h"
#include "encore/bare_metal.h"
#include "encore/loader.h"
#include "encore/state_hash.h"

#define CODE 0x100000ull
#define HANDLER 0x101000ull
#define IDT 0x200000ull
#define VEC 0x20

/* inc %rax x5; sti; inc %rax x3; hlt; inc %rcx; jmp back to the hlt */
static const u8 main_code[] = {
	0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0,
	0xfb,
	0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0,
	0xf4,
	0x48, 0xff, 0xc1,
	0xeb, 0xfa,
};
/* handler: mov %rax,%rbx; inc %r15; iretq */
static const u8 handler_code[] = { 0x48, 0x89, 0xc3, 0x49, 0xff, 0xc7, 0x48, 0xcf };

static struct encore_machine *boot(struct encore_engine **eng, bool irq_on)
{
	struct encore_machine *m = machine__create(&arch_x86_64, 64 << 20, 1);
	struct encore_cpu_state s;
	memcpy(machine__ram_ptr(m, CODE), main_code, sizeof(main_code));
	memcpy(machine__ram_ptr(m, HANDLER), handler_code, sizeof(handler_code));
	u8 *gate = machine__ram_ptr(m, IDT + VEC * 16);
	u64 lo = (HANDLER & 0xffff) | ((u64)BARE_SEL_CODE << 16) | (0x8eull << 40) |
		 ((HANDLER >> 16 & 0xffff) << 48);
	u64 hi = HANDLER >> 32;
	memcpy(gate, &lo, 8);
	memcpy(gate + 8, &hi, 8);
	bare_metal__prepare(m, &s, CODE);
	s.idtr.base = IDT;
	s.idtr.limit = 256 * 16 - 1;
	s.gpr[REG_RSP] = 0x300000;
	if (irq_on)
		s.rflags |= RF_IF;
	*eng = interp__create(m, &m->vcpus[0]);
	(*eng)->ops->set_state(*eng, &s);
	return m;
}

static u64 reg(struct encore_engine *e, int r)
{
	struct encore_cpu_state s;
	e->ops->get_state(e, &s);
	return s.gpr[r];
}

/* IF = 0: the interrupt waits for STI and one more instruction. */
static void test_pending_until_sti(void)
{
	check_group("sti-shadow");
	struct encore_engine *e;
	struct encore_machine *m = boot(&e, false);
	struct encore_exit x;
	CHECK(!e->ops->interrupt_window(e), "no window with IF = 0");
	CHECK(e->ops->inject_interrupt(e, VEC) == 0, "inject");
	engine__run(e, 100, &x);
	/* 5 incs, sti, 1 inc (shadow), then delivery: the handler sees rax = 6. */
	CHECK(reg(e, REG_RBX) == 6, "rax seen by the handler: %llu", (unsigned long long)reg(e, REG_RBX));
	CHECK(reg(e, REG_R15) == 1, "handler ran once");
	CHECK(x.reason == EXIT_HLT, "stops at HLT: reason %d", x.reason);
	CHECK(e->ops->insn_count(e) == 5 + 1 + 3 + 3 + 1, "retired %llu",
	      (unsigned long long)e->ops->insn_count(e));
	/* HLT again with nothing pending returns HLT at once; an injection wakes it. */
	engine__run(e, 100, &x);
	CHECK(x.reason == EXIT_HLT && e->ops->insn_count(e) == 13, "halted stays halted");
	CHECK(e->ops->interrupt_window(e), "window open while halted with IF = 1");
	e->ops->inject_interrupt(e, VEC);
	engine__run(e, 100, &x);
	CHECK(reg(e, REG_R15) == 2 && reg(e, REG_RCX) == 1, "woke, ran the handler, went on: r15=%llu rcx=%llu",
	      (unsigned long long)reg(e, REG_R15), (unsigned long long)reg(e, REG_RCX));
	machine__destroy(m);
}

/* IF = 1: delivered exactly at the boundary where it was injected. */
static void test_exact_boundary(void)
{
	check_group("boundary");
	struct encore_engine *e;
	struct encore_machine *m = boot(&e, true);
	struct encore_exit x;
	engine__run(e, 3, &x);
	CHECK(x.reason == EXIT_LIMIT && e->ops->insn_count(e) == 3, "stop at 3");
	e->ops->inject_interrupt(e, VEC);
	CHECK(e->ops->inject_interrupt(e, VEC) != 0, "a second injection is refused while one is pending");
	engine__run(e, 4, &x);
	CHECK(reg(e, REG_RBX) == 3, "handler saw rax = %llu", (unsigned long long)reg(e, REG_RBX));
	CHECK(reg(e, REG_R15) == 0, "only one handler instruction retired so far");
	u64 frame_rip;
	memcpy(&frame_rip, machine__ram_ptr(m, 0x300000 - 40), 8);
	CHECK(frame_rip == CODE + 9, "pushed RIP %#llx", (unsigned long long)frame_rip);
	machine__destroy(m);
}

/* get_state/set_state round-trip, and a kick stops the run at a boundary. */
static void test_state_and_kick(void)
{
	check_group("state");
	struct encore_engine *e;
	struct encore_machine *m = boot(&e, false);
	struct encore_exit x;
	engine__run(e, 4, &x);
	struct encore_cpu_state a, b;
	e->ops->get_state(e, &a);
	e->ops->set_state(e, &a);
	e->ops->get_state(e, &b);
	CHECK(!memcmp(&a, &b, sizeof(a)), "state round-trips byte for byte");
	u64 h1 = machine__state_hash(m);
	CHECK(h1 == machine__state_hash(m), "hash is stable");
	e->ops->kick(e);
	engine__run(e, 100, &x);
	CHECK(x.reason == EXIT_KICK && e->ops->insn_count(e) == 4, "kick before running: %d at %llu",
	      x.reason, (unsigned long long)e->ops->insn_count(e));
	machine__destroy(m);
}

int main(void)
{
	test_pending_until_sti();
	test_exact_boundary();
	test_state_and_kick();
	check_group_end();
	return check_summary();
}
