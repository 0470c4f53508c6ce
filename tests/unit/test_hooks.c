/*
 * Instrumentation hooks: each kind fires with the right arguments, the
 * instrumented path retires exactly what the plain path does, and
 * installing then removing hooks leaves execution unchanged; on a
 * machine of two vCPUs whose engines take turns, every hook names the
 * vCPU whose engine ran and gives that vCPU's own instruction count, and
 * built-in plugins hooked in by encore's plugin host (src/sim/) count
 * each vCPU exactly; the decoded-code hooks report runs that begin and
 * retire exactly the instructions on_insn sees and the count moves;
 * on_cpl_change tells of every change of privilege, at the count that
 * splits what ran at each CPL exactly as on_insn and the decoded-code
 * hooks do.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "encore/engine.h"
#include "encore/hooks.h"
#include "encore/bare_metal.h"
#include "encore/loader.h"
#include "encore/plugin.h"
#include "encore/state_hash.h"
#include "plugins/memtrace_format.h"
#include "sim/plugin_host.h"

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
	unsigned not_vcpu0;          /* events that named another vCPU than 0 */
	u64 insn_rips[16];
	u64 mem_addr[4], mem_val[4];
	unsigned mem_size[4];
	bool mem_write[4];
	unsigned first_vector;
	u64 first_exc_rip;
	unsigned block_sizes[8];
};

static void on_insn(void *o, unsigned vcpu, u64 icount, u64 rip, const u8 *bytes, unsigned len,
		    unsigned cpl)
{
	struct events *e = o;
	(void)icount;
	e->not_vcpu0 += vcpu != 0;
	CHECK(cpl == 0, "bare-metal code runs at CPL 0: %u", cpl);
	if (e->insns < 16)
		e->insn_rips[e->insns] = rip;
	CHECK(len > 0 && bytes[0] == code[rip - CODE_ADDR], "insn bytes at %#llx",
	      (unsigned long long)rip);
	e->insns++;
}

static void on_block(void *o, unsigned vcpu, u64 icount, u64 rip, unsigned n, unsigned cpl)
{
	struct events *e = o;
	(void)icount;
	e->not_vcpu0 += vcpu != 0;
	(void)cpl;
	(void)rip;
	if (e->blocks < 8)
		e->block_sizes[e->blocks] = n;
	e->blocks++;
}

static void on_mem(void *o, unsigned vcpu, u64 icount, u64 vaddr, u64 paddr, unsigned size,
		   u64 value, unsigned flags)
{
	bool wr = flags & HOOK_ACCESS_WRITE;
	struct events *e = o;
	(void)icount;
	e->not_vcpu0 += vcpu != 0;
	(void)paddr;
	if (e->mems < 4) {
		e->mem_addr[e->mems] = vaddr;
		e->mem_val[e->mems] = value;
		e->mem_size[e->mems] = size;
		e->mem_write[e->mems] = wr;
	}
	e->mems++;
}

static void on_exception(void *o, unsigned vcpu, u64 icount, u64 rip, unsigned vector, i64 err,
			 bool ext)
{
	struct events *e = o;
	(void)icount;
	e->not_vcpu0 += vcpu != 0;
	(void)err;
	(void)ext;
	if (e->exceptions++ == 0) {
		e->first_vector = vector;
		e->first_exc_rip = rip;
	}
}

/* A one-vCPU machine with `n` bytes of code at `at` (copied byte by byte:
 * a RAM pointer is good only to the end of its page), about to run them. */
static struct encore_machine *boot_code(const u8 *bytes, size_t n, u64 at,
					struct encore_engine **eng)
{
	struct encore_machine *m = machine__create(&arch_x86_64, 64 << 20, 1);
	struct encore_cpu_state s;
	for (size_t k = 0; k < n; k++)
		*machine__ram_ptr(m, at + k) = bytes[k];
	bare_metal__prepare(m, &s, at);
	*eng = interp__create(m, &m->vcpus[0]);
	(*eng)->ops->set_state(*eng, &s);
	return m;
}

static struct encore_machine *boot(struct encore_engine **eng)
{
	return boot_code(code, sizeof(code), CODE_ADDR, eng);
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
	CHECK(ev.not_vcpu0 == 0, "%u events named another vCPU than the only one", ev.not_vcpu0);
	machine__destroy(m);
}

/* xor %eax,%eax; jnz .+4 (not taken); inc %eax; jnz .+2 (taken); ud2.
 * The engine may run the first four as one block, but hooks see a block
 * end at every conditional branch, taken or not. */
static const u8 branches[] = {
	0x31, 0xc0,
	0x75, 0x02,
	0xff, 0xc0,
	0x75, 0x00,
	0x0f, 0x0b,
};

struct block_events {
	unsigned n;
	u64 icount[8], rip[8];
	unsigned size[8];
};

static void log_block(void *o, unsigned vcpu, u64 icount, u64 rip, unsigned n, unsigned cpl)
{
	struct block_events *b = o;
	(void)vcpu;
	(void)cpl;
	if (b->n < 8) {
		b->icount[b->n] = icount;
		b->rip[b->n] = rip;
		b->size[b->n] = n;
	}
	b->n++;
}

static void test_blocks_end_at_branches(void)
{
	check_group("hooks-blocks");
	struct encore_engine *e;
	struct encore_machine *m = boot_code(branches, sizeof(branches), CODE_ADDR, &e);
	struct block_events b = { 0 };
	struct encore_hooks h = { .on_block = log_block, .block_opaque = &b };
	e->ops->set_hooks(e, &h);
	struct encore_exit x;
	engine__run(e, 1000, &x);
	CHECK(e->ops->insn_count(e) == 4, "retired %llu", (unsigned long long)e->ops->insn_count(e));
	CHECK(b.n >= 3, "%u blocks", b.n);
	static const unsigned size[3] = { 2, 2, 1 };
	static const u64 at[3] = { 0, 4, 8 }, count[3] = { 0, 2, 4 };
	for (unsigned k = 0; k < 3 && k < b.n; k++)
		CHECK(b.size[k] == size[k] && b.rip[k] == CODE_ADDR + at[k] && b.icount[k] == count[k],
		      "block %u: %u instructions at +%llu, icount %llu", k, b.size[k],
		      (unsigned long long)(b.rip[k] - CODE_ADDR), (unsigned long long)b.icount[k]);
	machine__destroy(m);
}

/* nop; mov $0x11223344,%eax (ends its page); mov $0xddccbbaa,%ecx (runs
 * into the next page); add %rcx,%rax; ud2: on_insn's bytes are each
 * instruction's whole encoding, also across the page boundary. */
#define CROSS_ADDR (CODE_ADDR + 0x1000 - 7)
static const u8 crossing[] = {
	0x90,
	0xb8, 0x44, 0x33, 0x22, 0x11,
	0xb9, 0xaa, 0xbb, 0xcc, 0xdd,
	0x48, 0x01, 0xc8,
	0x0f, 0x0b,
};

struct byte_events {
	unsigned n, wrong;
	unsigned len[8];
};

static void check_bytes(void *o, unsigned vcpu, u64 icount, u64 rip, const u8 *bytes, unsigned len,
			unsigned cpl)
{
	struct byte_events *b = o;
	(void)vcpu;
	(void)icount;
	(void)cpl;
	u64 at = rip - CROSS_ADDR;
	b->wrong += at + len > sizeof(crossing) || memcmp(bytes, crossing + at, len);
	if (b->n < 8)
		b->len[b->n] = len;
	b->n++;
}

static void test_insn_bytes(void)
{
	check_group("hooks-insn-bytes");
	struct encore_engine *e;
	struct encore_machine *m = boot_code(crossing, sizeof(crossing), CROSS_ADDR, &e);
	struct byte_events b = { 0 };
	struct encore_hooks h = { .on_insn = check_bytes, .insn_opaque = &b };
	e->ops->set_hooks(e, &h);
	struct encore_exit x;
	engine__run(e, 1000, &x);
	CHECK(e->ops->insn_count(e) == 4, "retired %llu", (unsigned long long)e->ops->insn_count(e));
	CHECK(b.n == 5 && b.len[0] == 1 && b.len[1] == 5 && b.len[2] == 5 && b.len[3] == 3 &&
	      b.len[4] == 2, "%u instructions, lengths %u %u %u %u %u", b.n, b.len[0], b.len[1],
	      b.len[2], b.len[3], b.len[4]);
	CHECK(b.wrong == 0, "%u instructions got other bytes than their encoding", b.wrong);
	machine__destroy(m);
}

/* ---- decoded code ---- */

/* mov $3,%ecx; mov $DATA,%edi; xor %eax,%eax; rep stosb; 1: inc %eax;
 * cmp $3,%eax; jne 1b; ud2: a REP (one run per iteration), a conditional
 * branch inside a block, taken and not, and a fault in a block's last
 * instruction. */
static const u8 rep_loop[] = {
	0xb9, 0x03, 0x00, 0x00, 0x00,
	0xbf, 0x00, 0x00, 0x20, 0x00,
	0x31, 0xc0,
	0xf3, 0xaa,
	0xff, 0xc0,
	0x83, 0xf8, 0x03,
	0x75, 0xf9,
	0x0f, 0x0b,
};

/* mov $5,%ecx; 1: dec %ecx; jmp 2f; 2: jnz 1b; ud2: blocks run whole,
 * and one whose runs a taken branch or a fault cuts short. */
static const u8 full_loop[] = {
	0xb9, 0x05, 0x00, 0x00, 0x00,
	0xff, 0xc9,
	0xeb, 0x00,
	0x75, 0xfa,
	0x0f, 0x0b,
};

#define MAX_DECODED 16

/* What the decoded-code hooks saw, against on_insn. */
struct code_events {
	const u8 *code;              /* the guest's code, from `base` */
	u64 base, size;
	unsigned decoded, runs;
	u64 block_rip[MAX_DECODED];  /* a decoded block's handle is its index + 1 */
	u8 block_lens[MAX_DECODED][8];
	unsigned block_n[MAX_DECODED];
	unsigned started_at[64];     /* per code byte: instructions begun there */
	unsigned insn_at[64];        /* per code byte: on_insn calls there */
	u64 next_icount;             /* where the next run must start */
	u64 retired;
	/* count_runs: a handle is the block's counts, by instructions retired */
	bool counting;
	u64 counts[MAX_DECODED][8];
	unsigned wrong;
	char first_wrong[160];
};

static void code_wrong(struct code_events *c, const char *what, unsigned long long a,
		       unsigned long long b)
{
	if (!c->wrong++)
		snprintf(c->first_wrong, sizeof(c->first_wrong), "%s: %#llx, %#llx", what, a, b);
}

static void *code_decoded(void *o, unsigned vcpu, const struct encore_code_block *b)
{
	struct code_events *c = o;
	u64 at = b->rip - c->base, len = 0;
	(void)vcpu;
	for (unsigned k = 0; k < b->ninsns; k++)
		len += b->lens[k];
	if (c->decoded == MAX_DECODED || b->ninsns > 8 || b->cpl != 0) {
		code_wrong(c, "too many blocks, too long a block or a CPL", c->decoded, b->cpl);
		return NULL;
	}
	if (at + len > c->size || memcmp(b->bytes, c->code + at, len))
		code_wrong(c, "bytes of the block at", b->rip, len);
	c->block_rip[c->decoded] = b->rip;
	c->block_n[c->decoded] = b->ninsns;
	memcpy(c->block_lens[c->decoded], b->lens, b->ninsns);
	if (c->counting)
		return c->counts[c->decoded++];
	return (void *)(uintptr_t)++c->decoded;
}

/* A handle's block, numbered from 1 (0: not one of ours). */
static uintptr_t code_block_number(const struct code_events *c, void *handle)
{
	if (!c->counting)
		return (uintptr_t)handle;
	uintptr_t k = (uintptr_t)((u64(*)[8])handle - c->counts);
	return k < MAX_DECODED ? k + 1 : 0;
}

/* The instructions a run of block k (from 1) began. */
static void code_started(struct code_events *c, uintptr_t k, unsigned started, u64 times)
{
	u64 at = c->block_rip[k - 1] - c->base;
	for (unsigned n = 0; n < started; at += c->block_lens[k - 1][n++])
		if (at < ARRAY_SIZE(c->started_at))
			c->started_at[at] += times;
}

static void code_ran(void *o, unsigned vcpu, u64 icount, void *handle, unsigned started,
		     unsigned retired)
{
	struct code_events *c = o;
	uintptr_t k = code_block_number(c, handle);
	(void)vcpu;
	c->runs++;
	if (k == 0 || k > c->decoded || started == 0 || started > c->block_n[k - 1] ||
	    (retired != started && retired + 1 != started)) {
		code_wrong(c, "a run of block / started", k, started);
		return;
	}
	if (c->counting && retired == started)
		code_wrong(c, "a run without a fault told, of block", k, retired);
	/* Counted runs are not told: only their sum is checked. */
	if (!c->counting && icount != c->next_icount)
		code_wrong(c, "a run's icount / expected", icount, c->next_icount);
	c->next_icount = icount + retired;
	c->retired += retired;
	code_started(c, k, started, 1);
}

static void code_insn(void *o, unsigned vcpu, u64 icount, u64 rip, const u8 *bytes, unsigned len,
		      unsigned cpl)
{
	struct code_events *c = o;
	(void)vcpu;
	(void)icount;
	(void)bytes;
	(void)len;
	(void)cpl;
	if (rip - c->base < ARRAY_SIZE(c->insn_at))
		c->insn_at[rip - c->base]++;
}

/* Runs `bytes` with the decoded-code hooks; `late`: runs two
 * instructions without hooks first (their block is decoded without a
 * handle, and must be dropped when the hooks come); `with_insn`: with
 * on_insn in the same run (the engine's per-instruction loop), else in a
 * run of its own before (the decoded-code hooks then run alone, in the
 * engine's loop for them); `counting`: with count_runs. */
static void run_code_hooks(const u8 *bytes, size_t n, u64 at, bool late, bool with_insn,
			   bool counting, u64 want_retired)
{
	struct encore_engine *e;
	struct encore_machine *m;
	struct code_events c = { .code = bytes, .base = at, .size = n, .counting = counting };
	struct encore_hooks h = { .on_insn = code_insn, .insn_opaque = &c,
				  .on_block_decoded = code_decoded, .on_block_ran = code_ran,
				  .code_opaque = &c, .count_runs = counting };
	struct encore_exit x;
	if (!with_insn) {
		struct encore_hooks only_insn = { .on_insn = code_insn, .insn_opaque = &c };
		m = boot_code(bytes, n, at, &e);
		if (late)
			engine__run(e, 2, &x);
		e->ops->set_hooks(e, &only_insn);
		engine__run(e, 1000, &x);
		machine__destroy(m);
		h.on_insn = NULL;
	}
	m = boot_code(bytes, n, at, &e);
	if (late) {
		engine__run(e, 2, &x);
		c.next_icount = 2;
	}
	CHECK(e->ops->set_hooks(e, &h) == 0, "hooks installed");
	engine__run(e, 1000, &x);
	u64 count = e->ops->insn_count(e);
	u64 counted = 0;
	for (unsigned k = 0; counting && k < c.decoded; k++) {
		for (unsigned r = 1; r <= c.block_n[k]; r++) {
			c.retired += r * c.counts[k][r - 1];
			code_started(&c, k + 1, r, c.counts[k][r - 1]);
			counted += c.counts[k][r - 1];
		}
	}
	/* full_loop: mov, dec, jmp once; dec, jmp 4 times; a taken jnz 4 times. */
	CHECK(!counting || bytes != full_loop || counted == 9, "runs counted: %llu, not 9",
	      (unsigned long long)counted);
	CHECK(count == want_retired && c.retired + (late ? 2 : 0) == count,
	      "retired %llu, the runs %llu", (unsigned long long)count,
	      (unsigned long long)c.retired);
	CHECK(c.wrong == 0, "%u wrong; the first: %s", c.wrong, c.first_wrong);
	unsigned differ = 0;
	for (unsigned k = 0; k < ARRAY_SIZE(c.insn_at); k++)
		differ += c.insn_at[k] != c.started_at[k];
	CHECK(differ == 0 && c.runs > 0, "%u addresses where runs began other than on_insn fired",
	      differ);
	machine__destroy(m);
}

static void test_decoded_code(void)
{
	check_group("hooks-decoded-code");
	/* 3 moves, 3 REP iterations, 3 times inc/cmp/jne; the ud2 faults. */
	for (int with_insn = 0; with_insn < 2; with_insn++) {
		for (int counting = 0; counting < 2; counting++) {
			run_code_hooks(rep_loop, sizeof(rep_loop), CODE_ADDR, false, with_insn,
				       counting, 15);
			run_code_hooks(rep_loop, sizeof(rep_loop), CODE_ADDR, true, with_insn,
				       counting, 15);
			run_code_hooks(crossing, sizeof(crossing), CROSS_ADDR, false, with_insn,
				       counting, 4);
			run_code_hooks(full_loop, sizeof(full_loop), CODE_ADDR, false, with_insn,
				       counting, 16);
		}
	}
	/* One without the other is refused. */
	struct encore_engine *e;
	struct encore_machine *m = boot(&e);
	struct encore_hooks h = { .on_block_decoded = code_decoded };
	CHECK(e->ops->set_hooks(e, &h) == -1, "on_block_decoded without on_block_ran refused");
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

/* ---- changes of privilege ---- */

#define SYSCALL_LOOPS 1000u
#define SYSCALL_ENTRY (CODE_ADDR + 26)

/* mov $SYSCALL_LOOPS,%r12d;
 * 1: lea 2f(%rip),%rcx; mov $2,%r11d; sysretq;
 * 2: nop; nop; syscall              (at CPL 3; SYSCALL_ENTRY follows)
 *    dec %r12d; jnz 1b; hlt */
static const u8 syscall_loop[] = {
	0x41, 0xbc, SYSCALL_LOOPS & 0xff, SYSCALL_LOOPS >> 8, 0, 0,
	0x48, 0x8d, 0x0d, 0x09, 0x00, 0x00, 0x00,
	0x41, 0xbb, 0x02, 0x00, 0x00, 0x00,
	0x48, 0x0f, 0x07,
	0x90, 0x90,
	0x0f, 0x05,
	0x41, 0xff, 0xcc,
	0x75, 0xe7,
	0xf4,
};

struct cpl_events {
	unsigned cpl;             /* as the last on_cpl_change said (0 at the start) */
	u64 last;                 /* its icount */
	u64 by_cpl[4];            /* from on_cpl_change: differences of icounts */
	u64 insns_by_cpl[4];      /* from on_insn: its cpl, call by call */
	u64 ran_by_cpl[4];        /* from on_block_ran: retired, at the block's CPL */
	unsigned changes, out_of_step;
	bool check_next_insn;     /* the next on_insn must come at `last` */
};

static void cpl_change(void *o, unsigned vcpu, u64 icount, unsigned cpl)
{
	struct cpl_events *e = o;
	(void)vcpu;
	if (cpl == e->cpl || icount < e->last)
		e->out_of_step++;
	e->by_cpl[e->cpl & 3] += icount - e->last;
	e->last = icount;
	e->cpl = cpl;
	e->changes++;
	e->check_next_insn = true;
}

static void cpl_insn(void *o, unsigned vcpu, u64 icount, u64 rip, const u8 *bytes, unsigned len,
		     unsigned cpl)
{
	struct cpl_events *e = o;
	(void)vcpu, (void)rip, (void)bytes, (void)len;
	if (cpl != e->cpl || (e->check_next_insn && icount != e->last))
		e->out_of_step++;
	e->check_next_insn = false;
	e->insns_by_cpl[cpl & 3]++;
}

static void *cpl_decoded(void *o, unsigned vcpu, const struct encore_code_block *b)
{
	(void)o, (void)vcpu;
	return (void *)(uintptr_t)(b->cpl + 1);
}

static void cpl_ran(void *o, unsigned vcpu, u64 icount, void *handle, unsigned started,
		    unsigned retired)
{
	struct cpl_events *e = o;
	(void)vcpu, (void)icount, (void)started;
	e->ran_by_cpl[((uintptr_t)handle - 1) & 3] += retired;
}

/* `with`: 0 on_cpl_change alone, 1 with on_insn, 2 with decoded code. */
static void run_cpl_changes(int with)
{
	static const char *const names[] = { "alone", "with on_insn", "with decoded code" };
	struct encore_engine *e;
	struct encore_machine *m = boot_code(syscall_loop, sizeof(syscall_loop), CODE_ADDR, &e);
	/* User mode needs user pages; SYSRET returns to CS 0x23, SYSCALL enters CS 8. */
	for (u64 table = BARE_PML4; table <= BARE_PML4 + 0x2000; table += 0x1000)
		*machine__ram_ptr(m, table) |= 4;
	struct encore_cpu_state s;
	e->ops->get_state(e, &s);
	s.msr.star = (0x10ull << 48) | (0x08ull << 32);
	s.msr.lstar = SYSCALL_ENTRY;
	e->ops->set_state(e, &s);
	struct cpl_events ev = { 0 };
	struct encore_hooks h = { .on_cpl_change = cpl_change, .cpl_change_opaque = &ev };
	if (with == 1)
		h.on_insn = cpl_insn, h.insn_opaque = &ev;
	if (with == 2)
		h.on_block_decoded = cpl_decoded, h.on_block_ran = cpl_ran, h.code_opaque = &ev;
	e->ops->set_hooks(e, &h);
	struct encore_exit x;
	engine__run(e, 100000, &x);
	u64 total = e->ops->insn_count(e);
	cpl_change(&ev, 0, total, !ev.cpl * 3); /* the end counts what ran since the last change */
	ev.changes--;
	CHECK(x.reason == EXIT_HLT, "%s: exit reason %d", names[with], x.reason);
	CHECK(ev.changes == 2 * SYSCALL_LOOPS && !ev.out_of_step, "%s: %u changes (want %u), %u "
	      "out of step", names[with], ev.changes, 2 * SYSCALL_LOOPS, ev.out_of_step);
	CHECK(ev.by_cpl[3] == 3 * SYSCALL_LOOPS && ev.by_cpl[0] + ev.by_cpl[3] == total,
	      "%s: CPL 3 %llu (want %u), CPL 0 %llu, of %llu", names[with],
	      (unsigned long long)ev.by_cpl[3], 3 * SYSCALL_LOOPS,
	      (unsigned long long)ev.by_cpl[0], (unsigned long long)total);
	const u64 *other = with == 1 ? ev.insns_by_cpl : ev.ran_by_cpl;
	if (with)
		CHECK(!memcmp(other, ev.by_cpl, sizeof(ev.by_cpl)), "%s: per CPL %llu %llu from "
		      "the other hook, %llu %llu from on_cpl_change", names[with],
		      (unsigned long long)other[0], (unsigned long long)other[3],
		      (unsigned long long)ev.by_cpl[0], (unsigned long long)ev.by_cpl[3]);
	machine__destroy(m);
}

static void test_cpl_changes(void)
{
	check_group("hooks-cpl-change");
	for (int with = 0; with < 3; with++)
		run_cpl_changes(with);
}

/* ---- two vCPUs taking turns ---- */

#define LOOP_ADDR 0x102000ull   /* vCPU 0's code */
#define FAULT_ADDR 0x103000ull  /* vCPU 1's: `code`, moved */

/* 1: mov %rax,DATA; inc %rax; jmp 1b (three instructions, one store) */
static const u8 loop[] = {
	0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00,
	0x48, 0xff, 0xc0,
	0xeb, 0xf3,
};

/* Every event checked against the vCPU that runs and its own count. */
struct turns {
	unsigned running;            /* the vCPU whose engine runs */
	u64 next_icount[2];          /* per vCPU: the icount its next on_insn must have */
	unsigned events[2], exceptions[2], mems[2];
	unsigned wrong;              /* events with another vCPU, icount or address */
	char first_wrong[160];
};

static void turn_wrong(struct turns *t, const char *what, unsigned vcpu, u64 icount)
{
	if (!t->wrong++)
		snprintf(t->first_wrong, sizeof(t->first_wrong), "%s: vcpu %u icount %llu while "
			 "vCPU %u runs", what, vcpu, (unsigned long long)icount, t->running);
}

/* The event is the running vCPU's, at rip in its code, and icount is its own. */
static void turn_event(struct turns *t, const char *what, unsigned vcpu, u64 icount, u64 rip,
		       bool at_next)
{
	u64 base = vcpu == 0 ? LOOP_ADDR : FAULT_ADDR;
	u64 len = vcpu == 0 ? sizeof(loop) : sizeof(code);
	if (vcpu != t->running || rip < base || rip > base + len ||
	    (at_next && icount != t->next_icount[vcpu]) || icount > t->next_icount[vcpu])
		turn_wrong(t, what, vcpu, icount);
	else
		t->events[vcpu]++;
}

static void turn_insn(void *o, unsigned vcpu, u64 icount, u64 rip, const u8 *bytes, unsigned len,
		      unsigned cpl)
{
	struct turns *t = o;
	(void)bytes;
	(void)len;
	(void)cpl;
	turn_event(t, "insn", vcpu, icount, rip, true);
	/* Each of these instructions retires (the ud2 faults, and its
	 * handlers cannot be fetched: no more on_insn after it). */
	if (vcpu < 2)
		t->next_icount[vcpu]++;
}

static void turn_block(void *o, unsigned vcpu, u64 icount, u64 rip, unsigned n, unsigned cpl)
{
	(void)n;
	(void)cpl;
	turn_event(o, "block", vcpu, icount, rip, true);
}

static void turn_mem(void *o, unsigned vcpu, u64 icount, u64 vaddr, u64 paddr, unsigned size,
		     u64 value, unsigned flags)
{
	struct turns *t = o;
	(void)vaddr;
	(void)paddr;
	(void)size;
	(void)value;
	(void)flags;
	/* After its on_insn: the accessing instruction's icount is one less. */
	if (vcpu != t->running || vcpu > 1 || icount + 1 != t->next_icount[vcpu])
		turn_wrong(t, "mem", vcpu, icount);
	else
		t->mems[vcpu]++;
}

static void turn_exception(void *o, unsigned vcpu, u64 icount, u64 rip, unsigned vector, i64 err,
			   bool ext)
{
	struct turns *t = o;
	(void)vector;
	(void)err;
	(void)ext;
	/* The ud2 (and each fault delivering its #UD) is counted in
	 * next_icount, but did not retire. */
	if (vcpu != t->running || vcpu != 1 || icount + 1 != t->next_icount[1] ||
	    rip != FAULT_ADDR + 26)
		turn_wrong(t, "exception", vcpu, icount);
	else
		t->exceptions[vcpu]++;
}

/* vCPU k's engine runs to its own count `limit` (or its exit). */
static int run_turn(struct encore_machine *m, struct turns *t, unsigned k, u64 limit)
{
	struct encore_engine *e = m->vcpus[k].engine;
	struct encore_exit x;
	t->running = k;
	engine__run(e, limit, &x);
	return x.reason;
}

static void test_two_vcpus(void)
{
	check_group("hooks name the vCPU");
	struct encore_machine *m = machine__create(&arch_x86_64, 64 << 20, 2);
	struct encore_cpu_state s0, s1;
	memcpy(machine__ram_ptr(m, LOOP_ADDR), loop, sizeof(loop));
	memcpy(machine__ram_ptr(m, FAULT_ADDR), code, sizeof(code));
	bare_metal__prepare(m, &s0, LOOP_ADDR);
	bare_metal__prepare(m, &s1, FAULT_ADDR);
	struct encore_engine *e0 = interp__create(m, &m->vcpus[0]);
	struct encore_engine *e1 = interp__create(m, &m->vcpus[1]);
	e0->ops->set_state(e0, &s0);
	e1->ops->set_state(e1, &s1);
	struct turns t = { 0 };
	struct encore_hooks h = { .on_insn = turn_insn, .insn_opaque = &t, .on_block = turn_block,
				  .block_opaque = &t, .on_mem = turn_mem, .mem_opaque = &t,
				  .on_exception = turn_exception, .exception_opaque = &t };
	e0->ops->set_hooks(e0, &h);
	e1->ops->set_hooks(e1, &h);
	/* Turns that stop inside blocks and inside the other vCPU's work. */
	int r0 = run_turn(m, &t, 0, 7);
	int r1 = run_turn(m, &t, 1, 2);
	int r2 = run_turn(m, &t, 0, 11);
	int r3 = run_turn(m, &t, 1, 1000);
	int r4 = run_turn(m, &t, 0, 20);
	CHECK(r0 == EXIT_LIMIT && r1 == EXIT_LIMIT && r2 == EXIT_LIMIT && r4 == EXIT_LIMIT &&
	      r3 == EXIT_TRIPLE_FAULT, "exits %d %d %d %d %d", r0, r1, r2, r3, r4);
	CHECK(e0->ops->insn_count(e0) == 20 && e1->ops->insn_count(e1) == 5,
	      "each engine counts its own: %llu, %llu",
	      (unsigned long long)e0->ops->insn_count(e0),
	      (unsigned long long)e1->ops->insn_count(e1));
	CHECK(t.wrong == 0, "%u events with a wrong vCPU or icount; the first: %s", t.wrong,
	      t.first_wrong);
	CHECK(t.next_icount[0] == 20 && t.next_icount[1] == 6, "on_insn per vCPU: %llu, %llu",
	      (unsigned long long)t.next_icount[0], (unsigned long long)t.next_icount[1]);
	CHECK(t.mems[0] == 7 && t.mems[1] == 2, "stores and loads per vCPU: %u, %u", t.mems[0],
	      t.mems[1]);
	CHECK(t.exceptions[0] == 0 && t.exceptions[1] == 3,
	      "vCPU 1's #UD, #GP and #DF name vCPU 1: %u, %u", t.exceptions[0], t.exceptions[1]);
	machine__destroy(m);
}

/* ---- the plugin host on two vCPUs ---- */

/* A machine of two vCPUs both running `loop` from count 0. */
static struct encore_machine *two_loops(void)
{
	struct encore_machine *m = machine__create(&arch_x86_64, 64 << 20, 2);
	struct encore_cpu_state s;
	memcpy(machine__ram_ptr(m, LOOP_ADDR), loop, sizeof(loop));
	bare_metal__prepare(m, &s, LOOP_ADDR);
	for (unsigned k = 0; k < 2; k++) {
		struct encore_engine *e = interp__create(m, &m->vcpus[k]);
		e->ops->set_state(e, &s);
	}
	return m;
}

/* vCPU k takes its turn, as the run loop gives it, to its own count `to`. */
static void host_turn(struct encore_machine *m, unsigned k, u64 to)
{
	struct encore_exit x;
	machine__switch_to(m, &m->vcpus[k]);
	engine__run(m->vcpus[k].engine, to, &x);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[4096];
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
	return buf;
}

/* The memtrace records: each vCPU's stores, at its own icounts, in the
 * order of the turns. */
static void check_memtrace(const char *path)
{
	static const unsigned want_vcpu[] = { 0, 0, 1, 1, 1, 0, 0, 0 };
	static const u64 want_icount[] = { 0, 3, 0, 3, 6, 6, 9, 12 };
	FILE *f = fopen(path, "rb");
	struct memtrace_reader *r = f ? memtrace_reader__open(f) : NULL;
	struct memtrace_record rec;
	unsigned n = 0, wrong = 0;
	int rc;
	while (r && (rc = memtrace_reader__next(r, &rec)) == 1) {
		wrong += n >= ARRAY_SIZE(want_vcpu) || rec.vcpu != want_vcpu[n] ||
			 rec.icount != want_icount[n] || !rec.write || rec.vaddr != DATA_ADDR;
		n++;
	}
	CHECK(r && rc == 0 && n == ARRAY_SIZE(want_vcpu) && !wrong,
	      "memtrace: %u records, %u wrong (%s)", n, wrong, r ? memtrace_reader__error(r) : "");
	memtrace_reader__close(r);
	if (f)
		fclose(f);
}

/* Interval [vCPU 0: 0..13, vCPU 1: 0..8] with turns of 5, 8 and 8, through
 * plugin_run as encore simulate hooks plugins in, then the merge. */
static void test_plugin_host_two_vcpus(void)
{
	check_group("plugin host, two vCPUs");
	struct encore_machine *m = two_loops();
	struct plugin_set set = { 0 };
	char err[512] = "", dir[] = "/tmp/encore-test-hooks-XXXXXX";
	CHECK(mkdtemp(dir) && !plugin_set__add(&set, "icount", err, sizeof(err)) &&
	      !plugin_set__add(&set, "hotspots", err, sizeof(err)) &&
	      !plugin_set__add(&set, "coverage", err, sizeof(err)) &&
	      !plugin_set__add(&set, "memtrace", err, sizeof(err)), "plugins: %s", err);
	static const u64 first[2] = { 0, 0 }, end[2] = { 13, 8 };
	const struct encore_interval iv = { 0, 1, 0, 21, 2, first, end };
	struct plugin_run run;
	plugin_run__init(&run, &set, m, dir);
	CHECK(plugin_run__begin(&run, &iv) == 0, "begin: %s", run.error);
	host_turn(m, 0, 5);
	host_turn(m, 1, 8);
	host_turn(m, 0, 13);
	CHECK(plugin_run__end(&run) == 0, "end: %s", run.error);
	CHECK(plugin_set__merge(&set, dir, &iv, 1, err, sizeof(err)) == 0, "merge: %s", err);
	char path[4200];
	snprintf(path, sizeof(path), "%s/icount.txt", dir);
	CHECK(strstr(read_text(path),
		     "\ninterval vcpu         first_icount             user           kernel"
		     "            total\n"
		     "       0    0                    0                0               13"
		     "               13\n"
		     "       0    1                    0                0                8"
		     "                8\n"), "icount per vCPU:\n%s", read_text(path));
	snprintf(path, sizeof(path), "%s/hotspots.txt", dir);
	CHECK(strstr(read_text(path), "# 21 instructions at 3 addresses; the top 3\n") &&
	      strstr(read_text(path), "     1                8   38.10% 0000000000102000\n"
				      "     2                7   33.33% 0000000000102008\n"
				      "     3                6   28.57% 000000000010200b\n"),
	      "hotspots over both vCPUs:\n%s", read_text(path));
	snprintf(path, sizeof(path), "%s/coverage.txt", dir);
	CHECK(!strcmp(read_text(path), "0000000000102000\n0000000000102008\n000000000010200b\n"),
	      "coverage over both vCPUs:\n%s", read_text(path));
	snprintf(path, sizeof(path), "%s/memtrace.zst", dir);
	check_memtrace(path);
	plugin_set__free(&set);
	machine__destroy(m);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "rm %s", dir);
}

int main(void)
{
	test_hooked_run();
	test_hooks_change_nothing();
	test_blocks_end_at_branches();
	test_insn_bytes();
	test_decoded_code();
	test_cpl_changes();
	test_two_vcpus();
	test_plugin_host_two_vcpus();
	check_group_end();
	return check_summary();
}
