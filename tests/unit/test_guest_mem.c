/*
 * Devices' access to guest RAM (encore/guest_mem.h): which ranges count
 * as RAM (the ends, the hole below 4 GiB, high RAM, ranges that wrap),
 * reads and writes across pages and across the hole, a refused write
 * that changes nothing, writes marking their frames dirty and reads not,
 * and a write over code the interpreter translated: the vCPU runs the
 * new code, also when the write comes in the middle of the block (from
 * the device the block's own store reached), on whichever vCPU runs.
 */
#include <string.h>

#include "check.h"
#include "encore/engine.h"
#include "encore/guest_mem.h"
#include "encore/bare_metal.h"
#include "encore/loader.h"
#include "encore/ram.h"
#include "encore/pc.h"

#define MIB (1ull << 20)

static void test_ranges(void)
{
	check_group("ranges");
	struct encore_machine *m = machine__create(&arch_x86_64, PC_LOW_RAM_MAX + 64 * MIB, 1);
	const u64 low = PC_LOW_RAM_MAX;
	static const struct {
		u64 gpa, len;
		bool ram;
	} cases[] = {
		{ 0, 0, true },
		{ 0, 1, true },
		{ 0xfff, 2, true },                       /* across a page */
		{ PC_LOW_RAM_MAX - 8, 8, true },     /* the last bytes below the hole */
		{ PC_LOW_RAM_MAX - 8, 9, false },    /* one into the hole */
		{ PC_LOW_RAM_MAX, 1, false },
		{ 0xfee00000, 4, false },                 /* the local APIC */
		{ PC_HIGH_RAM_BASE - 1, 2, false },  /* from the hole into high RAM */
		{ PC_HIGH_RAM_BASE, 64 * MIB, true },
		{ PC_HIGH_RAM_BASE, 64 * MIB + 1, false },
		{ PC_HIGH_RAM_BASE + 64 * MIB, 0, true },
		{ ~0ull, 1, false },
		{ ~0ull - 7, 16, false },                 /* wraps around 2^64 */
		{ 1, ~0ull, false },
		{ 0, ~0ull, false },
	};
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++)
		CHECK(guest_mem__is_ram(m, cases[k].gpa, cases[k].len) == cases[k].ram,
		      "[%#llx, +%#llx): %s RAM", (unsigned long long)cases[k].gpa,
		      (unsigned long long)cases[k].len, cases[k].ram ? "is" : "is not");
	u8 buf[64];
	CHECK(guest_mem__read(m, low - 32, buf, 64) == -1, "a read into the hole is refused");
	machine__destroy(m);
}

static u64 dirty_frames(struct encore_machine *m)
{
	static u64 bits[1 << 12];
	return ram__take_dirty(m, bits);
}

static void test_copies(void)
{
	check_group("copies");
	struct encore_machine *m = machine__create(&arch_x86_64, 64 * MIB, 1);
	u8 out[10000], in[10000];
	for (size_t k = 0; k < sizeof(out); k++)
		out[k] = (u8)(k * 7 + 1);
	dirty_frames(m);
	CHECK(guest_mem__write(m, 0x12345, out, sizeof(out)) == 0, "a write across 3 pages");
	CHECK(dirty_frames(m) == 3, "it dirties its 3 frames");
	CHECK(!memcmp(machine__ram_ptr(m, 0x12345), out, sizeof(out)), "the bytes are in RAM");
	CHECK(guest_mem__read(m, 0x12345, in, sizeof(in)) == 0 && !memcmp(in, out, sizeof(in)),
	      "and read back");
	CHECK(dirty_frames(m) == 0, "a read dirties nothing");

	/* A write running past the end changes nothing. */
	u8 *last = machine__ram_ptr(m, 64 * MIB - 16);
	memset(last, 0xaa, 16);
	CHECK(guest_mem__write(m, 64 * MIB - 16, out, 17) == -1, "a write past the end is refused");
	u8 aa[16];
	memset(aa, 0xaa, 16);
	CHECK(!memcmp(last, aa, 16) && dirty_frames(m) == 0, "and writes nothing");

	u16 v16;
	u32 v32;
	u64 v64;
	CHECK(guest_mem__write16(m, 0x1ffe, 0xbeef) == 0 && guest_mem__write32(m, 0x2000, 0x01020304) == 0,
	      "little-endian stores");
	CHECK(guest_mem__read16(m, 0x1ffe, &v16) == 0 && v16 == 0xbeef &&
	      guest_mem__read32(m, 0x2000, &v32) == 0 && v32 == 0x01020304 &&
	      guest_mem__read64(m, 0x1ffe, &v64) == 0 && v64 == 0x000001020304beefull,
	      "little-endian loads: %#x %#x %#llx", v16, v32, (unsigned long long)v64);
	CHECK(guest_mem__read64(m, 64 * MIB - 4, &v64) == -1, "a load past the end is refused");
	machine__destroy(m);
}

#define CODE 0x100000ull

/* A device overwrites code the vCPU has run (and the interpreter decoded
 * and translated): the vCPU runs the new code from then on. */
static void test_code_overwritten(void)
{
	check_group("code overwritten by a device");
	/* 1: mov $1, %eax; jmp 1b */
	static const u8 loop[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xeb, 0xf9 };
	struct encore_machine *m = machine__create(&arch_x86_64, 64 * MIB, 1);
	struct encore_cpu_state s;
	memcpy(machine__ram_ptr(m, CODE), loop, sizeof(loop));
	bare_metal__prepare(m, &s, CODE);
	struct encore_engine *e = interp__create(m, &m->vcpus[0]);
	e->ops->set_state(e, &s);
	struct encore_exit x;
	e->ops->run(e, 100000, &x);
	e->ops->get_state(e, &s);
	CHECK(s.gpr[REG_RAX] == 1, "the loop ran: rax %#llx", (unsigned long long)s.gpr[REG_RAX]);
	u32 two = 2;
	CHECK(guest_mem__write(m, CODE + 1, &two, 4) == 0, "the device's write");
	e->ops->run(e, 200000, &x);
	e->ops->get_state(e, &s);
	CHECK(s.gpr[REG_RAX] == 2, "the vCPU runs the new code: rax %#llx",
	      (unsigned long long)s.gpr[REG_RAX]);
	e->ops->destroy(e);
	machine__destroy(m);
}

#define DMA_PORT 0xd0000000ull

/* The test device: a write to it rewrites the immediate of the
 * instruction after the store (as a disk read into that page would). */
static void dma_dev(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data, unsigned len,
		    bool is_write)
{
	(void)vcpu;
	(void)addr;
	(void)data;
	(void)len;
	u32 two = 2;
	if (is_write)
		guest_mem__write(opaque, CODE + 8, &two, 4);
}

/* The store to the device and the instruction it rewrites are in one
 * block: the running vCPU's block ends after the store, on any vCPU. */
static void test_code_overwritten_mid_block(unsigned nvcpus, unsigned running)
{
	check_group("code overwritten mid-block");
	/* mov $DMA_PORT, %ecx; mov %eax, (%rcx); mov $1, %eax; hlt */
	static const u8 code[] = { 0xb9, 0x00, 0x00, 0x00, 0xd0, 0x89, 0x01,
				   0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4 };
	struct encore_machine *m = machine__create(&arch_x86_64, 64 * MIB, nvcpus);
	struct encore_engine *e[2];
	struct encore_cpu_state s;
	memcpy(machine__ram_ptr(m, CODE), code, sizeof(code));
	bus__register(&m->mmio, DMA_PORT, 4, dma_dev, m, "dma-test");
	bare_metal__prepare(m, &s, CODE);
	for (unsigned k = 0; k < nvcpus; k++)
		e[k] = interp__create(m, &m->vcpus[k]);
	machine__switch_to(m, &m->vcpus[running]);
	e[running]->ops->set_state(e[running], &s);
	struct encore_exit x;
	e[running]->ops->run(e[running], 1000, &x);
	e[running]->ops->get_state(e[running], &s);
	CHECK(x.reason == EXIT_HLT && s.gpr[REG_RAX] == 2,
	      "%u vCPUs, vCPU %u running: exit %d, rax %#llx", nvcpus, running, (int)x.reason,
	      (unsigned long long)s.gpr[REG_RAX]);
	for (unsigned k = 0; k < nvcpus; k++)
		e[k]->ops->destroy(e[k]);
	machine__destroy(m);
}

int main(void)
{
	test_ranges();
	test_copies();
	test_code_overwritten();
	test_code_overwritten_mid_block(1, 0);
	test_code_overwritten_mid_block(2, 1);
	check_group_end();
	return check_summary();
}
