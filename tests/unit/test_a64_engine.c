/*
 * The A64 engine (src/arch/arm64/a64_engine.c) through the engine
 * interface: exact instruction limits inside a block, the state blob's
 * round trip, interrupts injected and taken where PSTATE.I allows, WFI,
 * code rewritten by a store, and an exception loop reported rather than
 * run for ever.
 */
#include <stdio.h>
#include <string.h>

#include "arch/arm64/a64_engine.h"
#include "arch/arm64/a64_state.h"
#include "arch/arm64/arm64_arch.h"
#include "arch/arm64/virt_map.h"
#include "check.h"
#include "encore/hw.h"

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

int main(void)
{
	test_limits();
	test_state();
	test_interrupts();
	test_code_rewritten();
	test_exception_loop();
	machine__destroy(m);
	return check_summary();
}
