/*
 * The A64 integer decoder against disassemblers, and the behaviour of the
 * integer and load/store handlers that no differential oracle can show.
 *
 * 1. Capstone (cs_open(CS_ARCH_ARM64)) as the decoding oracle: for random
 *    words in the data-processing (immediate and register), branch and
 *    load/store groups, capstone's "valid instruction" must equal our
 *    decoder's "not UNDEFINED".  Left out, and counted:
 *    - the forms a64_system.c decodes (exception generation, system
 *      instructions, ERET/DRPS) and the Advanced SIMD load/store
 *      structure forms (LD1..LD4/ST1..ST4, someone else's);
 *    - what capstone 4.0.2 predates: ARMv8.1 LSE (LD<op>, SWP, CAS,
 *      CASP), LORegions (LDLAR/STLLR) and ARMv8.3 LDAPR (checked in 2);
 *    - CONSTRAINED UNPREDICTABLE register overlaps, which capstone
 *      reports as invalid (LLVM's SoftFail) while the architecture
 *      allows executing them and we do (a64_ldst.c, a64_atomic.c
 *      document how): a load/store with writeback whose transfer
 *      register is the base, LDP/LDNP/LDPSW/LDXP with Rt == Rt2, and
 *      also LDTR with Rt == Rn (no writeback: capstone is simply wrong
 *      there).
 * 2. Binutils (aarch64-linux-gnu-objdump, when installed) as the oracle
 *    for the spaces capstone does not know: the exclusive/ordered/CAS
 *    class and the atomic memory operations class.  Left out: what
 *    objdump decodes there that this CPU does not implement (LS64,
 *    LSE128, RCPC3), the overlaps of 1, and LDAR/STLR/LDLAR/STLLR whose
 *    should-be-one fields are not all ones (an implementation may ignore
 *    them or make the instruction UNDEFINED: we ignore them, as QEMU;
 *    binutils decodes them as fixed bits).
 * 3. Direct checks at EL0 with the MMU on: SP alignment (SCTLR_EL1.SA0),
 *    the SIMD&FP trap (CPACR_EL1.FPEN), the exclusive monitor's rules
 *    (sizes, exceptions, alignment before the monitor), the alignment of
 *    LDAPR/LDAXP, restartable faults (a pair or an atomic that faults
 *    leaves registers and memory as they were), and LDTR/STTR at EL1.
 *
 * ENCORE_TEST_SEED; ENCORE_A64_DECODE_WORDS (words per group, default
 * 100000); ENCORE_A64_OBJDUMP (default aarch64-linux-gnu-objdump).
 */
#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "arch/arm64/a64_cpu.h"
#include "arch/arm64/a64_exception.h"
#include "arch/arm64/a64_mem.h"
#include "arch/arm64/a64_sysreg.h"

static struct rng R;
static a64_exec_fn g_undef;

static bool ours_valid(u32 w)
{
	struct a64_insn i;
	a64_decode(w, &i);
	return i.exec != g_undef;
}

static u32 bits(u32 w, unsigned hi, unsigned lo)
{
	return (w >> lo) & ((2u << (hi - lo)) - 1);
}

/* ---- what is left out ---- */

static bool is_ldst(u32 w)
{
	return (w & 0x0a000000) == 0x08000000;
}

/* Exception generation, system instructions, ERET/DRPS: a64_system.c's. */
static bool system_form(u32 w)
{
	if ((w >> 24) == 0xd4 || (w >> 22) == 0x354)
		return true;
	return (w >> 25) == 0x6b && (bits(w, 24, 21) == 4 || bits(w, 24, 21) == 5);
}

/* LD1..LD4, ST1..ST4 (multiple and single structures): not this file's. */
static bool simd_structure(u32 w)
{
	return is_ldst(w) && (w & 0xb4000000) == 0x04000000;
}

/* The exclusive/ordered/CAS class: bits 29:24 = 001000, V = 0. */
static bool exclusive_class(u32 w)
{
	return is_ldst(w) && bits(w, 29, 24) == 0x08;
}

/* The atomic memory operations class: xx111 V 00 ... bit 21 = 1, bits 11:10 = 00. */
static bool atomic_class(u32 w)
{
	return is_ldst(w) && bits(w, 29, 27) == 7 && bits(w, 25, 24) == 0 && (w >> 21) & 1 &&
	       bits(w, 11, 10) == 0;
}

/* What capstone 4.0.2 predates: CAS/CASP, LDLAR/STLLR, all of the atomic class. */
static bool capstone_unknown(u32 w)
{
	if (atomic_class(w))
		return true;
	if (!exclusive_class(w))
		return false;
	bool o2 = (w >> 23) & 1, o1 = (w >> 21) & 1, o0 = (w >> 15) & 1;
	return (o2 && o1) || (!o2 && o1 && !(w >> 31)) || (o2 && !o1 && !o0);
}

/* CONSTRAINED UNPREDICTABLE register overlaps (see the header). */
static bool cu_overlap(u32 w)
{
	if (!is_ldst(w))
		return false;
	unsigned rt = bits(w, 4, 0), rn = bits(w, 9, 5), rt2 = bits(w, 14, 10);
	bool vec = (w >> 26) & 1;
	if (bits(w, 29, 27) == 7 && bits(w, 25, 24) == 0 && !((w >> 21) & 1)) {
		unsigned op4 = bits(w, 11, 10); /* 1 post, 2 unprivileged, 3 pre */
		return !vec && op4 && rt == rn && rn != 31;
	}
	if (bits(w, 29, 27) == 5) { /* pairs */
		bool load = (w >> 22) & 1, wb = bits(w, 24, 23) & 1;
		if (load && rt == rt2)
			return true;
		return !vec && wb && (rt == rn || rt2 == rn) && rn != 31;
	}
	if (exclusive_class(w) && !((w >> 23) & 1) && (w >> 21) & 1 && (w >> 31))
		return (w >> 22) & 1 && rt == rt2; /* LDXP, LDAXP */
	return false;
}

/* ---- oracle 1: capstone ---- */

static csh g_cs;

static bool capstone_valid(u32 w)
{
	cs_insn *insn;
	size_t n = cs_disasm(g_cs, (const u8 *)&w, 4, 0x1000, 1, &insn);
	if (n)
		cs_free(insn, n);
	return n > 0;
}

struct group {
	const char *name;
	u32 mask, value; /* words: value | (random & ~mask) */
};

static const struct group groups[] = {
	{ "data processing (immediate)", 0x1c000000, 0x10000000 },
	{ "data processing (register)", 0x0e000000, 0x0a000000 },
	{ "branches", 0x1c000000, 0x14000000 },
	{ "loads and stores", 0x0a000000, 0x08000000 },
};

static void report(const char *oracle, u32 w, bool ours, const char *theirs)
{
	check_failf(oracle, "%08x: ours %s, %s %s", w, ours ? "valid" : "UNDEFINED", oracle,
		    theirs);
}

static void capstone_oracle(unsigned words)
{
	for (unsigned g = 0; g < ARRAY_SIZE(groups); g++) {
		unsigned compared = 0, valid = 0, sys = 0, simd = 0, unknown = 0, cu = 0;
		check_group(groups[g].name);
		for (unsigned k = 0; k < words; k++) {
			u32 w = ((u32)rng_next(&R) & ~groups[g].mask) | groups[g].value;
			if (system_form(w)) {
				sys++;
				continue;
			}
			if (simd_structure(w)) {
				simd++;
				continue;
			}
			if (capstone_unknown(w)) {
				unknown++;
				continue;
			}
			if (cu_overlap(w)) {
				cu++;
				continue;
			}
			bool ours = ours_valid(w), theirs = capstone_valid(w);
			compared++;
			valid += ours;
			if (ours == theirs) {
				check_pass();
				continue;
			}
			cs_insn *insn;
			size_t n = cs_disasm(g_cs, (const u8 *)&w, 4, 0x1000, 1, &insn);
			char text[200] = "invalid";
			if (n) {
				snprintf(text, sizeof(text), "%.31s %.160s", insn->mnemonic,
					 insn->op_str);
				cs_free(insn, n);
			}
			report("capstone", w, ours, text);
		}
		printf("capstone, %s: %u words compared (%u valid); left out: %u system, %u SIMD "
		       "structure, %u ARMv8.1+ (objdump's), %u CONSTRAINED UNPREDICTABLE "
		       "overlaps\n",
		       groups[g].name, compared, valid, sys, simd, unknown, cu);
		CHECK(compared > words / 2 && valid > compared / 20, "%s: enough words compared",
		      groups[g].name);
	}
}

/* ---- oracle 2: objdump ---- */

/*
 * LDAR, STLR, LDLAR, STLLR with other than ones in their should-be-one
 * fields (Rs, Rt2): the architecture lets an implementation ignore them
 * or make the instruction UNDEFINED; we ignore them (as QEMU does),
 * binutils decodes them as fixed bits.
 */
static bool sbo_ordered(u32 w)
{
	return exclusive_class(w) && (w >> 23) & 1 && !((w >> 21) & 1) &&
	       (bits(w, 20, 16) != 31 || bits(w, 14, 10) != 31);
}

/* Forms objdump knows in these classes that this CPU does not implement. */
static bool unimplemented_name(const char *m)
{
	static const char *const names[] = { "ld64b", "st64b", "st64bv", "st64bv0", "ldclrp",
					      "ldsetp", "swpp", "ldiapp", "stilp", "ldapp", "stlp",
					      "rcw" };
	for (unsigned k = 0; k < ARRAY_SIZE(names); k++)
		if (!strncmp(m, names[k], strlen(names[k])))
			return true;
	return false;
}

static void objdump_oracle(unsigned words)
{
	const char *objdump = getenv("ENCORE_A64_OBJDUMP");
	if (!objdump || !*objdump)
		objdump = "aarch64-linux-gnu-objdump";
	check_group("objdump");
	char cmd[512], path[] = "/tmp/encore-a64-decode-XXXXXX";
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", objdump);
	if (system(cmd) != 0) {
		printf("objdump: %s not found: the ARMv8.1+ forms are not checked against a "
		       "decoder (Debian: binutils-aarch64-linux-gnu)\n", objdump);
		return;
	}
	int fd = mkstemp(path);
	u32 *w = calloc(words, 4);
	if (fd < 0 || !w) {
		check_failf("objdump", "no temporary file");
		return;
	}
	/* Half the exclusive class, half the atomic class. */
	for (unsigned k = 0; k < words; k++) {
		u32 r = (u32)rng_next(&R);
		w[k] = k & 1 ? (r & 0xc0ffffff) | 0x08000000
			     : (r & 0xc4dff3ff) | 0x38200000;
	}
	if (write(fd, w, 4 * (size_t)words) != (ssize_t)(4 * (size_t)words)) {
		check_failf("objdump", "cannot write %s", path);
		close(fd);
		unlink(path);
		free(w);
		return;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s -D -b binary -m aarch64 %s", objdump, path);
	FILE *p = popen(cmd, "r");
	char line[512];
	unsigned seen = 0, compared = 0, valid = 0, skipped = 0, cu = 0, sbo = 0;
	while (p && fgets(line, sizeof(line), p)) {
		unsigned long addr;
		char word[16], mnem[64];
		if (sscanf(line, " %lx:\t%15s \t%63s", &addr, word, mnem) != 3 || addr % 4 ||
		    addr / 4 >= words)
			continue;
		u32 x = w[addr / 4];
		if (strtoul(word, NULL, 16) != x)
			continue;
		seen++;
		bool theirs = strcmp(mnem, ".inst") != 0;
		if (cu_overlap(x)) {
			cu++;
			continue;
		}
		if (sbo_ordered(x)) {
			sbo++;
			continue;
		}
		if (theirs && unimplemented_name(mnem)) {
			skipped++;
			continue;
		}
		bool ours = ours_valid(x);
		compared++;
		valid += ours;
		if (ours == theirs) {
			check_pass();
			continue;
		}
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		report("objdump", x, ours, line);
	}
	if (p)
		pclose(p);
	unlink(path);
	free(w);
	printf("objdump: %u words compared (%u valid); left out: %u not implemented (LS64, "
	       "LSE128, RCPC3), %u CONSTRAINED UNPREDICTABLE overlaps, %u LDAR/STLR with "
	       "should-be-one fields not ones\n",
	       compared, valid, skipped, cu, sbo);
	CHECK(seen == words, "objdump decoded every word (%u of %u)", seen, words);
	CHECK(compared > words / 2 && valid > compared / 10, "enough words compared");
}

/* ---- 3: direct checks ---- */

#define RAM_BASE 0x40000000ull
#define RAM_PAGES 16
#define PAGE_CODE 0     /* read-only (EL1 cannot run EL0-writable pages) */
#define PAGE_EL1 12     /* EL1 only */
#define PAGE_RO 13      /* read-only */
#define PAGE_NONE 15    /* not mapped */
#define CODE RAM_BASE
#define DATA (RAM_BASE + 0x4000)
#define VBAR 0x40001000ull

static u8 g_ram[RAM_PAGES * 4096] __attribute__((aligned(4096)));
static u8 g_tables[3][4096] __attribute__((aligned(4096)));
#define TABLES_PA 0x10000ull /* L1, L2, L3 */
static struct a64_cpu *c;

static u8 *ram_ptr(void *opaque, u64 pa)
{
	(void)opaque;
	if (pa >= RAM_BASE && pa < RAM_BASE + sizeof(g_ram))
		return g_ram + (pa - RAM_BASE);
	if (pa >= TABLES_PA && pa < TABLES_PA + sizeof(g_tables))
		return &g_tables[0][0] + (pa - TABLES_PA);
	return NULL;
}

static void no_mmio(void *opaque, u64 pa, u8 *data, unsigned len, bool is_write)
{
	(void)opaque;
	(void)is_write;
	memset(data, 0, len);
	check_failf("mmio", "unexpected access at %#llx", (unsigned long long)pa);
}

static void put64(u8 *p, u64 v)
{
	memcpy(p, &v, 8);
}

static u64 get64(u64 va)
{
	u64 v;
	memcpy(&v, g_ram + (va - RAM_BASE), 8);
	return v;
}

static void set64(u64 va, u64 v)
{
	memcpy(g_ram + (va - RAM_BASE), &v, 8);
}

static void sysreg(u32 key, u64 v)
{
	CHECK(a64_sysreg_write(c, key, v), "system register %#x", key);
}

/* A fresh CPU at EL0, MMU on: 16 pages at RAM_BASE (L1 -> L2 -> L3),
 * Normal memory, read/write at EL0 but for PAGE_CODE and PAGE_RO
 * (read-only), PAGE_EL1 (EL1 only) and PAGE_NONE (unmapped). */
static void setup(void)
{
	if (!c)
		c = calloc(1, sizeof(*c));
	memset(c, 0, sizeof(*c));
	memset(g_ram, 0, sizeof(g_ram));
	memset(g_tables, 0, sizeof(g_tables));
	c->bus = (struct a64_bus){ .ram_ptr = ram_ptr, .mmio = no_mmio };
	a64_sysreg_reset(c);
	put64(g_tables[0] + 8 * 1, (TABLES_PA + 4096) | 3);
	put64(g_tables[1], (TABLES_PA + 8192) | 3);
	for (unsigned k = 0; k < RAM_PAGES; k++) {
		u64 ap = k == PAGE_RO || k == PAGE_CODE ? 3 << 6 : k == PAGE_EL1 ? 0 : 1 << 6;
		if (k != PAGE_NONE)
			put64(g_tables[2] + 8 * k, (RAM_BASE + 4096 * k) | 3 | 1 << 2 | ap |
						   3 << 8 | 1 << 10);
	}
	sysreg(A64_SYSREG(3, 0, 10, 2, 0), 0xff00);
	sysreg(A64_SYSREG(3, 0, 2, 0, 2), 25 | 1ull << 23 | 2ull << 30 | 2ull << 32);
	sysreg(A64_SYSREG(3, 0, 2, 0, 0), TABLES_PA);
	sysreg(A64_SYSREG(3, 0, 1, 0, 2), 3ull << 20);
	sysreg(A64_SYSREG(3, 0, 1, 0, 0),
	       (c->sys.sctlr_el1 | A64_SCTLR_M) & ~(A64_SCTLR_A | A64_SCTLR_SA0));
	c->sys.vbar_el1 = VBAR;
	c->el = 0;
	c->spsel = 0;
	c->daif = 0;
	c->x[A64_SP] = DATA + 0x800;
}

/* Run `w` at CODE (at the current EL). */
static int step(u32 w)
{
	memcpy(g_ram, &w, 4);
	c->pc = CODE;
	c->sys.esr_el1 = c->sys.far_el1 = 0;
	return a64_step(c);
}

static unsigned ec(void)
{
	return (unsigned)(c->sys.esr_el1 >> 26);
}

static unsigned iss(void)
{
	return (unsigned)c->sys.esr_el1 & 0x1ffffff;
}

/* The last step took exception class `e` from CODE at EL0. */
static void check_exc(const char *what, int r, unsigned e)
{
	CHECK(r == A64_EXC && ec() == e && c->sys.elr_el1 == CODE,
	      "%s: status %d, EC %#x (expected %#x), ELR %#llx", what, r, ec(), e,
	      (unsigned long long)c->sys.elr_el1);
	c->el = 0; /* as after the handler's return */
	c->spsel = 0;
	c->x[A64_SP] = c->sp_el0;
}

static void check_dabt(const char *what, int r, u64 far, unsigned dfsc, bool wnr)
{
	check_exc(what, r, A64_EC_DABT_LOWER);
	CHECK((iss() & 0x3f) == dfsc && !!(iss() & 0x40) == wnr && c->sys.far_el1 == far,
	      "%s: ISS %#x (DFSC %#x WnR %d expected), FAR %#llx (%#llx expected)", what, iss(),
	      dfsc, wnr, (unsigned long long)c->sys.far_el1, (unsigned long long)far);
}

static void test_sp_alignment(void)
{
	check_group("SP alignment");
	setup();
	sysreg(A64_SYSREG(3, 0, 1, 0, 0), c->sys.sctlr_el1 | A64_SCTLR_SA0);
	c->el = 0;
	c->x[A64_SP] = DATA + 8;
	c->x[0] = 0x1234;
	check_exc("LDR X0, [SP]", step(0xf94003e0), A64_EC_SP_ALIGN);
	CHECK(c->x[0] == 0x1234, "no load");
	check_exc("STP X0, X1, [SP, #-16]!", step(0xa9bf07e0), A64_EC_SP_ALIGN);
	CHECK(c->x[A64_SP] == DATA + 8, "no writeback: %#llx", (unsigned long long)c->x[A64_SP]);
	check_exc("LDXR X0, [SP]", step(0xc85f7fe0), A64_EC_SP_ALIGN);
	check_exc("LDADD X1, X0, [SP]", step(0xf82103e0), A64_EC_SP_ALIGN);
	check_exc("LDR Q0, [SP, X1]", step(0x3ce16be0), A64_EC_SP_ALIGN);
	CHECK(step(0xf98003e0) == A64_OK, "PRFM [SP] never faults");
	c->x[1] = DATA + 3;
	CHECK(step(0xf9400020) == A64_OK, "LDR X0, [X1] (not SP) may be unaligned");
	c->x[A64_SP] = DATA + 16;
	CHECK(step(0xf84107e0) == A64_OK && c->x[A64_SP] == DATA + 32,
	      "LDR X0, [SP], #16 from an aligned SP writes back");
}

static void test_fp_trap(void)
{
	check_group("SIMD&FP trap");
	setup();
	c->x[1] = DATA;
	memset(&c->v[0], 0x5a, 16);
	static const struct { const char *what; u32 w; } forms[] = {
		{ "LDR Q0, [X1]", 0x3dc00020 }, { "STR D0, [X1], #8", 0xfc008420 },
		{ "LDP Q0, Q1, [X1]", 0xad400420 }, { "LDR S0, literal", 0x1c000040 },
		{ "LDUR B0, [X1, #1]", 0x3c401020 },
	};
	for (unsigned fpen = 0; fpen < 4; fpen++) {
		sysreg(A64_SYSREG(3, 0, 1, 0, 2), (u64)fpen << 20);
		for (unsigned k = 0; k < ARRAY_SIZE(forms); k++) {
			c->x[1] = DATA;
			int r = step(forms[k].w);
			if (fpen == 3) {
				CHECK(r == A64_OK, "%s with FPEN=3", forms[k].what);
				continue;
			}
			check_exc(forms[k].what, r, A64_EC_FP_ACCESS);
			CHECK(iss() == (1u << 24 | 0xeu << 20) && c->x[1] == DATA,
			      "%s, FPEN=%u: ISS %#x, no writeback", forms[k].what, fpen, iss());
		}
	}
	/* FPEN = 01 traps EL0 only. */
	sysreg(A64_SYSREG(3, 0, 1, 0, 2), 1ull << 20);
	c->el = 1;
	c->spsel = 1;
	c->x[1] = DATA;
	CHECK(step(0x3dc00020) == A64_OK, "FPEN=01 lets EL1 load Q0");
}

static void test_monitor(void)
{
	check_group("exclusive monitor");
	setup();
	c->x[1] = DATA;
	c->x[3] = 0x1122334455667788ull;
	set64(DATA, 0xaaaaaaaaaaaaaaaaull);
	/* LDXR W0, [X1]; STXR W2, X3, [X1]: sizes differ, fails. */
	CHECK(step(0x885f7c20) == A64_OK && c->monitor.open, "LDXR W opens the monitor");
	CHECK(step(0xc8027c23) == A64_OK && c->x[2] == 1 && get64(DATA) == 0xaaaaaaaaaaaaaaaaull &&
	      !c->monitor.open, "STXR X after LDXR W fails and closes the monitor");
	/* LDXR X0; STXR X: succeeds. */
	step(0xc85f7c20);
	CHECK(step(0xc8027c23) == A64_OK && c->x[2] == 0 && get64(DATA) == c->x[3],
	      "LDXR X; STXR X succeeds");
	CHECK(step(0xc8027c23) == A64_OK && c->x[2] == 1, "a second STXR fails");
	/* An exception between them clears the monitor. */
	step(0xc85f7c20);
	c->pc += 4;
	a64_take_irq(c, false);
	CHECK(!c->monitor.open, "exception entry closes the monitor");
	c->el = 0;
	c->spsel = 0;
	c->x[A64_SP] = c->sp_el0;
	CHECK(step(0xc8027c23) == A64_OK && c->x[2] == 1, "STXR after an exception fails");
	/* Alignment is checked before the monitor (QEMU does not). */
	c->x[1] = DATA + 4;
	c->x[2] = 7;
	check_dabt("STXR X to an unaligned address, monitor closed", step(0xc8027c23), DATA + 4,
		   0x21, true);
	CHECK(c->x[2] == 7, "no status written");
	check_dabt("LDXR X unaligned", step(0xc85f7c20), DATA + 4, 0x21, false);
	CHECK(!c->monitor.open, "a faulting LDXR leaves the monitor closed");
	c->x[1] = DATA + 8;
	check_dabt("LDAXP X0, X1 on an 8-byte boundary", step(0xc87f8420), DATA + 8, 0x21, false);
	c->x[1] = DATA + 2;
	check_dabt("LDAPR W0 unaligned", step(0xb8bfc020), DATA + 2, 0x21, false);
	check_dabt("LDAR W0 unaligned", step(0x88dffc20), DATA + 2, 0x21, false);
	check_dabt("CAS W unaligned", step(0x88a07c20), DATA + 2, 0x21, true);
	check_dabt("LDADD W unaligned", step(0xb8200020), DATA + 2, 0x21, true);
	c->x[1] = DATA + 3;
	CHECK(step(0xb9400020) == A64_OK, "an ordinary LDR W may be unaligned (Normal memory)");
	/* STXR to another address closes the monitor: the original then fails. */
	c->x[1] = DATA;
	c->x[4] = DATA + 64;
	step(0xc85f7c20);                       /* LDXR X0, [X1] */
	CHECK(step(0xc8027c83) == A64_OK && c->x[2] == 1, "STXR X3, [X4] elsewhere fails");
	CHECK(step(0xc8027c23) == A64_OK && c->x[2] == 1, "and closed the monitor");
}

static void test_restartable(void)
{
	check_group("restartable faults");
	setup();
	u64 none = RAM_BASE + 4096 * PAGE_NONE, ro = RAM_BASE + 4096 * PAGE_RO;
	u64 el1 = RAM_BASE + 4096 * PAGE_EL1;
	c->x[0] = 0x1000;
	c->x[1] = 0x2000;
	c->x[2] = none - 8;
	/* LDP X0, X1, [X2], #16: the second element is on the unmapped page. */
	check_dabt("LDP across into an unmapped page", step(0xa8c10440), none, 0x07, false);
	CHECK(c->x[0] == 0x1000 && c->x[1] == 0x2000 && c->x[2] == none - 8,
	      "LDP: no register written");
	set64(none - 8, 0x77);
	check_dabt("STP X0, X1, [X2] across", step(0xa9000440), none, 0x07, true);
	CHECK(get64(none - 8) == 0x77, "STP: nothing stored");
	c->x[2] = none - 16;
	c->x[3] = 0x99;
	check_dabt("LDP Q0, Q1, [X2]", step(0xad400440), none, 0x07, false);
	/* Read-only page: the atomics fault as writes, compare or not. */
	c->x[2] = ro;
	c->x[0] = 5;
	c->x[1] = 0x1234;
	set64(ro, 42);
	check_dabt("LDADD X0, X1, [X2] read-only", step(0xf8200041), ro, 0x0f, true);
	CHECK(c->x[1] == 0x1234 && get64(ro) == 42, "LDADD: nothing changed");
	check_dabt("CAS X0, X1, [X2] read-only, compare fails", step(0xc8a07c41), ro, 0x0f, true);
	CHECK(c->x[0] == 5, "CAS: Rs unchanged");
	CHECK(step(0xc85f7c40) == A64_OK && c->x[0] == 42, "LDXR from the read-only page");
	c->x[3] = 9;
	check_dabt("STXR W3, X1, [X2] read-only, monitor open", step(0xc8037c41), ro, 0x0f, true);
	CHECK(c->x[3] == 9, "STXR: no status");
	/* LDTR/STTR check EL0's rights even at EL1. */
	c->el = 1;
	c->spsel = 1;
	c->x[2] = el1;
	CHECK(step(0xf9400040) == A64_OK, "LDR at EL1 from an EL1-only page");
	int r = step(0xf8400840); /* LDTR X0, [X2] */
	CHECK(r == A64_EXC && ec() == A64_EC_DABT_LOWER + 1 && (iss() & 0x3f) == 0x0f,
	      "LDTR at EL1: permission fault (EC %#x ISS %#x)", ec(), iss());
	c->el = 1;
	c->spsel = 1;
	r = step(0xf8000841); /* STTR X1, [X2] */
	CHECK(r == A64_EXC && ec() == A64_EC_DABT_LOWER + 1 && (iss() & 0x40),
	      "STTR at EL1: permission fault as a write (EC %#x ISS %#x)", ec(), iss());
}

int main(void)
{
	rng_seed(&R, check_seed(0xa64dec0de));
	struct a64_insn u;
	a64_decode_undefined(&u);
	g_undef = u.exec;
	unsigned words = (unsigned)check_env_u64("ENCORE_A64_DECODE_WORDS", 100000);
	if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &g_cs) != CS_ERR_OK) {
		check_failf("capstone", "cs_open(CS_ARCH_ARM64) failed");
	} else {
		capstone_oracle(words);
		cs_close(&g_cs);
	}
	objdump_oracle(words);
	test_sp_alignment();
	test_fp_trap();
	test_monitor();
	test_restartable();
	return check_summary();
}
