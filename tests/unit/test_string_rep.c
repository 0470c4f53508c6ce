/*
 * REP string instructions through the whole interpreter engine: the
 * chunked fast path (REP MOVS/STOS within pages through host pointers)
 * and exact retired-instruction counting (one per iteration) when the
 * instruction limit falls in the middle of a REP.  The differential
 * harness runs one instruction at a time, so it never reaches the
 * chunked path; this test does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "encore/engine.h"
#include "encore/bare_metal.h"
#include "encore/loader.h"
#include "encore/machine.h"

#define CODE 0x100000ull
#define SRC 0x200000ull
#define DST 0x300000ull
#define RAM (16ull << 20)

static struct encore_machine *m;
static struct rng R;

struct rep_case {
	const char *name;
	u8 code[4];
	unsigned len;
	unsigned size;  /* element size */
	bool stos;
	u64 src, dst, count, rax;
};

/* Reference: element-by-element forward semantics on a copy of RAM. */
static void reference(const struct rep_case *c, u64 iters, u8 *ram)
{
	for (u64 k = 0; k < iters; k++) {
		if (c->stos)
			memcpy(ram + c->dst + k * c->size, &c->rax, c->size);
		else
			memmove(ram + c->dst + k * c->size, ram + c->src + k * c->size, c->size);
	}
}

static void run_case(const struct rep_case *c, u64 limit)
{
	struct encore_cpu_state s;
	char where[96];
	snprintf(where, sizeof(where), "%s limit %llu", c->name, (unsigned long long)limit);
	if (bare_metal__prepare(m, &s, CODE)) {
		check_failf(where, "bare_metal__prepare failed");
		return;
	}
	u8 *ram = machine__ram_ptr(m, 0);
	rng_fill(&R, ram + SRC, 0x8000);
	memcpy(ram + DST, ram + SRC + 0x4000, 0x8000 - 0x4000);
	memcpy(ram + CODE, c->code, c->len);
	ram[CODE + c->len] = 0xf4; /* hlt */

	static u8 expect[RAM];
	memcpy(expect, ram, RAM);
	u64 iters = limit < c->count ? limit : c->count;
	reference(c, iters, expect);

	s.gpr[REG_RSI] = c->src;
	s.gpr[REG_RDI] = c->dst;
	s.gpr[REG_RCX] = c->count;
	s.gpr[REG_RAX] = c->rax;
	struct encore_engine *e = interp__create(m, &m->vcpus[0]);
	if (!e || e->ops->set_state(e, &s)) {
		check_failf(where, "engine setup failed");
		return;
	}
	struct encore_exit x;
	memset(&x, 0, sizeof(x));
	engine__run(e, limit, &x);
	e->ops->get_state(e, &s);
	u64 n = e->ops->insn_count(e);
	CHECK(x.reason == EXIT_LIMIT, "%s: exit %d", where, (int)x.reason);
	CHECK(n == limit, "%s: icount %llu", where, (unsigned long long)n);
	CHECK(s.gpr[REG_RCX] == c->count - iters, "%s: rcx %llu", where,
	      (unsigned long long)s.gpr[REG_RCX]);
	CHECK(s.gpr[REG_RDI] == c->dst + iters * c->size, "%s: rdi %#llx", where,
	      (unsigned long long)s.gpr[REG_RDI]);
	if (!c->stos)
		CHECK(s.gpr[REG_RSI] == c->src + iters * c->size, "%s: rsi %#llx", where,
		      (unsigned long long)s.gpr[REG_RSI]);
	u64 want_rip = iters == c->count ? CODE + c->len : CODE;
	CHECK(s.rip == want_rip, "%s: rip %#llx", where, (unsigned long long)s.rip);
	CHECK(!memcmp(ram + SRC - 0x1000, expect + SRC - 0x1000, 0x200000), "%s: memory differs",
	      where);
	e->ops->destroy(e);
	if (m->vcpus[0].engine == e)
		m->vcpus[0].engine = NULL;
}

int main(void)
{
	rng_seed(&R, check_seed(0x2e9u));
	m = machine__create(&arch_x86_64, RAM, 1);
	if (!m)
		check_skip("machine__create failed");
	const struct rep_case cases[] = {
		{ "rep movsq", { 0xf3, 0x48, 0xa5 }, 3, 8, false, SRC + 8, DST + 0x10, 3000, 0 },
		{ "rep movsb unaligned", { 0xf3, 0xa4 }, 2, 1, false, SRC + 3, DST + 0xffd, 10000, 0 },
		{ "rep movsb overlap+1", { 0xf3, 0xa4 }, 2, 1, false, SRC + 0x10, SRC + 0x11, 9000, 0 },
		{ "rep movsd overlap+2", { 0xf3, 0xa5 }, 2, 4, false, SRC + 0x10, SRC + 0x12, 3000, 0 },
		{ "rep movsq overlap-8", { 0xf3, 0x48, 0xa5 }, 3, 8, false, SRC + 0x18, SRC + 0x10, 2000, 0 },
		{ "rep movsw overlap+6", { 0xf3, 0x66, 0xa5 }, 3, 2, false, SRC + 0x7, SRC + 0xd, 5000, 0 },
		{ "rep stosb", { 0xf3, 0xaa }, 2, 1, true, 0, DST + 0x123, 12345, 0x5a },
		{ "rep stosd", { 0xf3, 0xab }, 2, 4, true, 0, DST + 0x2, 4000, 0x11223344 },
		{ "rep stosq zero", { 0xf3, 0x48, 0xab }, 3, 8, true, 0, DST, 3000, 0 },
		{ "rep stosw", { 0xf3, 0x66, 0xab }, 3, 2, true, 0, DST + 0xfff, 5000, 0xabcd },
	};
	for (unsigned k = 0; k < ARRAY_SIZE(cases); k++) {
		const struct rep_case *c = &cases[k];
		check_group(c->name);
		run_case(c, c->count); /* exactly to the end */
		run_case(c, 1);
		run_case(c, 1 + rng_below(&R, c->count - 1)); /* stops mid-way */
		run_case(c, c->count / 2);
	}
	machine__destroy(m);
	return check_summary();
}
