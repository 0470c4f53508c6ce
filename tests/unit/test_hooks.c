/*
 * Instrumentation hooks: each kind fires with the right arguments, the
 * instrumented path retires exactly what the plain path does, and
 * installing then removing hooks leaves execution unchanged.
 */
#include <string.h>

#include "check.h"
#include "encore/engine.h"
#include "encore/hooks.h"
#include "encore/loader.h"
#include "encore/state_hash.h"

#define CODE_ADDR 0x100000ull
#define DATA_ADDR 0x200000ull

/* mov $0x12345678,%eax; mov %rax,DATA; mov DATA,%rbx; jmp .+2;
 * add %rbx,%rax; ud2 (no IDT: #UD, then #DF, then a triple fault) */
static const u8 code[] = {
	0xb8, 0x78, 0x56, 0x34, 0x12,
	0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00,
	0x48, 0x8b, 0x1c, 0x25, 0x00, 0x00, 0x20, 0x00,
	0xeb, 0x00,
	0x48, 0x01, 0xd8,
	0x0f, 0x0b,
};

struct events {
	unsigned insns, blocks, mems, exceptions;
	u64 insn_rips[16];
	u64 mem_addr[4], mem_val[4];
	unsigned mem_size[4];
	bool mem_write[4];
	unsigned first_vector;
	u64 first_exc_rip;
	unsigned block_sizes[8];
};

static void on_insn(void *o, u64 icount, u64 rip, const u8 *bytes, unsigned len, unsigned cpl)
{
	struct events *e = o;
	(void)icount;
	CHECK(cpl == 0, "bare-metal code runs at CPL 0: %u", cpl);
	if (e->insns < 16)
		e->insn_rips[e->insns] = rip;
	CHECK(len > 0 && bytes[0] == code[rip - CODE_ADDR], "insn bytes at %#llx",
	      (unsigned long long)rip);
	e->insns++;
}

static void on_block(void *o, u64 icount, u64 rip, unsigned n, unsigned cpl)
{
	struct events *e = o;
	(void)icount;
	(void)cpl;
	(void)rip;
	if (e->blocks < 8)
		e->block_sizes[e->blocks] = n;
	e->blocks++;
}

static void on_mem(void *o, u64 icount, u64 vaddr, u64 paddr, unsigned size, u64 value,
		   unsigned flags)
{
	bool wr = flags & HOOK_ACCESS_WRITE;
	struct events *e = o;
	(void)icount;
	(void)paddr;
	if (e->mems < 4) {
		e->mem_addr[e->mems] = vaddr;
		e->mem_val[e->mems] = value;
		e->mem_size[e->mems] = size;
		e->mem_write[e->mems] = wr;
	}
	e->mems++;
}

static void on_exception(void *o, u64 icount, u64 rip, unsigned vector, i64 err, bool ext)
{
	struct events *e = o;
	(void)icount;
	(void)err;
	(void)ext;
	if (e->exceptions++ == 0) {
		e->first_vector = vector;
		e->first_exc_rip = rip;
	}
}

static struct encore_machine *boot(struct encore_engine **eng)
{
	struct encore_machine *m = machine__create(64 << 20, 1);
	struct encore_cpu_state s;
	memcpy(machine__ram_ptr(m, CODE_ADDR), code, sizeof(code));
	bare_metal__prepare(m, &s, CODE_ADDR);
	*eng = interp__create(m, &m->vcpus[0]);
	(*eng)->ops->set_state(*eng, &s);
	return m;
}

static void test_hooked_run(void)
{
	check_group("hooks");
	struct encore_engine *e;
	struct encore_machine *m = boot(&e);
	struct events ev = { 0 };
	struct encore_hooks h = { .on_insn = on_insn, .insn_opaque = &ev, .on_block = on_block,
				  .block_opaque = &ev, .on_mem = on_mem, .mem_opaque = &ev,
				  .on_exception = on_exception, .exception_opaque = &ev };
	e->ops->set_hooks(e, &h);
	struct encore_exit x;
	engine__run(e, 1000, &x);
	CHECK(x.reason == EXIT_TRIPLE_FAULT, "exit reason %d", x.reason);
	CHECK(e->ops->insn_count(e) == 5, "retired %llu", (unsigned long long)e->ops->insn_count(e));
	CHECK(ev.insns == 6, "on_insn fired %u times (5 retired + the faulting ud2)", ev.insns);
	CHECK(ev.insn_rips[5] == CODE_ADDR + 26, "ud2 at %#llx", (unsigned long long)ev.insn_rips[5]);
	CHECK(ev.blocks == 2 && ev.block_sizes[0] == 4 && ev.block_sizes[1] == 2,
	      "blocks %u (%u, %u)", ev.blocks, ev.block_sizes[0], ev.block_sizes[1]);
	CHECK(ev.mems == 2, "data accesses %u", ev.mems);
	CHECK(ev.mem_write[0] && ev.mem_addr[0] == DATA_ADDR && ev.mem_size[0] == 8 &&
	      ev.mem_val[0] == 0x12345678, "the store");
	CHECK(!ev.mem_write[1] && ev.mem_addr[1] == DATA_ADDR && ev.mem_val[1] == 0x12345678, "the load");
	CHECK(ev.first_vector == 6 && ev.first_exc_rip == CODE_ADDR + 26, "first exception %u at %#llx",
	      ev.first_vector, (unsigned long long)ev.first_exc_rip);
	CHECK(ev.exceptions == 3, "#UD, #GP, #DF before the triple fault: %u", ev.exceptions);
	machine__destroy(m);
}

/* The same run with hooks, without, and with hooks removed agrees exactly. */
static void test_hooks_change_nothing(void)
{
	check_group("hooks-transparent");
	u64 hash[3], count[3];
	struct events ev = { 0 };
	struct encore_hooks h = { .on_insn = on_insn, .insn_opaque = &ev, .on_mem = on_mem,
				  .mem_opaque = &ev };
	for (int k = 0; k < 3; k++) {
		struct encore_engine *e;
		struct encore_machine *m = boot(&e);
		if (k >= 1)
			e->ops->set_hooks(e, &h);
		if (k == 2)
			e->ops->set_hooks(e, NULL);
		struct encore_exit x;
		engine__run(e, 4, &x);
		CHECK(x.reason == EXIT_LIMIT, "run %d stops at the limit", k);
		count[k] = e->ops->insn_count(e);
		hash[k] = machine__state_hash(m);
		machine__destroy(m);
	}
	CHECK(count[0] == 4 && count[1] == 4 && count[2] == 4, "counts %llu %llu %llu",
	      (unsigned long long)count[0], (unsigned long long)count[1], (unsigned long long)count[2]);
	CHECK(hash[0] == hash[1] && hash[0] == hash[2], "state hashes agree");
}

int main(void)
{
	test_hooked_run();
	test_hooks_change_nothing();
	check_group_end();
	return check_summary();
}
