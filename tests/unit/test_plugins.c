/*
 * The built-in plugins, driven the way `encore simulate` drives them but
 * by a fake host: scripted callback sequences over two or three
 * intervals, then the merge, checked against the exact expected text.
 * icount: counts by CPL with a block cut short by a fault and nested
 * interrupts; hotspots: ordering, ties, percentages and System.map
 * symbols; coverage: the sorted union and the CPL filter; syscalls:
 * names and user instruction counts carried across intervals; memtrace:
 * round trips of many records through the reader, concatenated
 * intervals, identical bytes for identical input, and damaged files.
 * Two vCPUs taking turns (alternating vcpu arguments, each on its own
 * icount, turns that end inside blocks and REPs): icount, syscalls and
 * hotspots count each vCPU exactly, and memtrace keeps every record's
 * vCPU.  zstd_writer: the same bytes with its thread as without, a full
 * disk reported, and a writer destroyed mid-frame.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "check.h"
#include "cli/memtrace.h"
#include "plugins/memtrace_format.h"
#include "plugins/registry.h"
#include "plugins/zstd_writer.h"

/* ---- the fake host ---- */

#define MAX_VCPUS 4

struct fake_host {
	struct encore_regs regs[MAX_VCPUS]; /* each vCPU's registers: set by each test */
	unsigned cur;                       /* the vCPU of the running callback */
	unsigned nvcpus;
	const struct encore_plugin_options *opts;
	unsigned regs_calls;                /* of regs() and vcpu_regs() */
};

static int fake_vcpu_regs(void *ctx, unsigned vcpu, struct encore_regs *out)
{
	struct fake_host *h = ctx;
	h->regs_calls++;
	if (vcpu >= h->nvcpus)
		return -1;
	*out = h->regs[vcpu];
	out->vcpu = vcpu;
	return 0;
}

static void fake_regs(void *ctx, struct encore_regs *out)
{
	struct fake_host *h = ctx;
	fake_vcpu_regs(ctx, h->cur, out);
}

static int fake_read_virt(void *ctx, uint64_t vaddr, void *buf, size_t len)
{
	(void)ctx;
	(void)vaddr;
	memset(buf, 0, len);
	return -1;
}

static const char *fake_option(void *ctx, const char *key, const char *dflt)
{
	const struct fake_host *h = ctx;
	const char *v = dflt;
	for (unsigned k = 0; k < h->opts->count; k++)
		if (!strcmp(h->opts->keys[k], key))
			v = h->opts->values[k];
	return v;
}

static const struct encore_plugin_host fake_ops = { fake_regs, fake_read_virt, fake_option,
						    fake_vcpu_regs };

/* ---- a simulation: the intervals of one plugin, then the merge ---- */

#define MAX_INTERVALS 4

struct session {
	const struct encore_plugin *p;
	const char *keys[4], *values[4];
	struct encore_plugin_options opts;
	struct fake_host host;
	unsigned total;                /* intervals in the "recording" */
	const char *arch;              /* env->arch: "x86_64" unless a test says */
	struct encore_interval iv[MAX_INTERVALS];
	u64 vcpu_first[MAX_INTERVALS][MAX_VCPUS], vcpu_end[MAX_INTERVALS][MAX_VCPUS];
	FILE *files[MAX_INTERVALS];
	unsigned count;
	void *self;                    /* the instance of the running interval */
	u64 icount[MAX_VCPUS];         /* per vCPU: of the next instruction insns() reports */
	unsigned cpl[MAX_VCPUS];       /* per vCPU: the CPL on_cpl_change last told of */
	/* One-instruction blocks insn() decoded for the running instance,
	 * found again as the engine finds a decoded block. */
	struct { u64 rip; unsigned cpl; void *handle; } blocks[64];
	unsigned nblocks;
	char err[400];
};

/* kv: NULL-terminated key, value, key, value ... */
static void session_open(struct session *s, const char *name, unsigned total, const char *const *kv)
{
	memset(s, 0, sizeof(*s));
	s->p = plugins__builtin(name);
	s->total = total;
	for (; kv && kv[0]; kv += 2) {
		s->keys[s->opts.count] = kv[0];
		s->values[s->opts.count++] = kv[1];
	}
	s->opts.keys = s->keys;
	s->opts.values = s->values;
	s->host.opts = &s->opts;
	s->host.nvcpus = 1;
	s->arch = "x86_64";
}

/* The callbacks that follow are vCPU v's (regs() answers for it). */
static void on_vcpu(struct session *s, unsigned v)
{
	s->host.cur = v;
}

static int session_check_options(struct session *s)
{
	s->err[0] = 0;
	if (!s->p->check_options)
		return 0;
	return s->p->check_options(&s->opts, &fake_ops, &s->host, s->err, sizeof(s->err));
}

/* Creates and begins the next interval's instance, of s->host.nvcpus
 * vCPUs counting from first[v] to end[v]; the vCPUs are at
 * s->host.regs[], and vCPU 0 has the turn.  NULL (with s->err) if
 * create fails. */
static void *interval_start_vcpus(struct session *s, const u64 *first, const u64 *end)
{
	unsigned i = s->count++;
	u64 sum_first = 0, sum_end = 0;
	s->nblocks = 0;
	for (unsigned v = 0; v < s->host.nvcpus; v++) {
		s->vcpu_first[i][v] = s->icount[v] = s->host.regs[v].icount = first[v];
		s->cpl[v] = s->host.regs[v].cpl;
		s->vcpu_end[i][v] = end[v];
		sum_first += first[v];
		sum_end += end[v];
	}
	s->iv[i] = (struct encore_interval){ i, s->total, sum_first, sum_end, s->host.nvcpus,
					     s->vcpu_first[i], s->vcpu_end[i] };
	on_vcpu(s, 0);
	s->files[i] = tmpfile();
	struct encore_plugin_env env = { &s->iv[i], &s->opts, s->files[i], &fake_ops, &s->host,
					 s->arch };
	s->self = s->p->create(&env, s->err, sizeof(s->err));
	if (s->self && s->p->interval_begin)
		s->p->interval_begin(s->self, &s->iv[i]);
	return s->self;
}

/* The same with one vCPU. */
static void *interval_start(struct session *s, u64 first, u64 end)
{
	return interval_start_vcpus(s, &first, &end);
}

/* Ends and destroys the running instance: interval_end's result. */
static int interval_finish(struct session *s)
{
	unsigned i = s->count - 1;
	s->err[0] = 0;
	int rc = s->p->interval_end(s->self, &s->iv[i], s->err, sizeof(s->err));
	s->p->destroy(s->self);
	s->self = NULL;
	rewind(s->files[i]);
	return rc;
}

static char *slurp(FILE *f, size_t *len)
{
	size_t n = 0, cap = 1 << 16;
	char *buf = malloc(cap + 1);
	rewind(f);
	for (size_t got; (got = fread(buf + n, 1, cap - n, f)) > 0;) {
		n += got;
		if (n == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	}
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

/* The merged output (NUL-terminated, *len bytes), or NULL with s->err. */
static char *session_merge(struct session *s, size_t *len)
{
	FILE *out = tmpfile();
	struct encore_merge_input in = { s->count, s->iv, s->files, &s->opts, &fake_ops, &s->host };
	int rc = 0;
	s->err[0] = 0;
	for (unsigned i = 0; i < s->count; i++)
		rewind(s->files[i]);
	if (s->p->merge_kind == ENCORE_MERGE_CUSTOM) {
		rc = s->p->merge(&in, out, s->err, sizeof(s->err));
	} else {
		for (unsigned i = 0; i < s->count; i++) {
			size_t n;
			char *b = slurp(s->files[i], &n);
			fwrite(b, 1, n, out);
			free(b);
		}
	}
	char *text = rc ? NULL : slurp(out, len);
	fclose(out);
	return text;
}

static void session_close(struct session *s)
{
	for (unsigned i = 0; i < s->count; i++)
		fclose(s->files[i]);
	s->count = 0;
}

static void check_text(const char *what, const char *got, const char *want)
{
	CHECK(got && !strcmp(got, want), "%s:\n--- got:\n%s--- want:\n%s", what,
	      got ? got : "(none)\n", want);
}

/* The registers of the vCPU whose callbacks come now. */
static void set_cpu(struct session *s, unsigned cpl, u64 cr3)
{
	s->host.regs[s->host.cur].cpl = (u8)cpl;
	s->host.regs[s->host.cur].cr3 = cr3;
}

/* ---- registry ---- */

static void test_registry(void)
{
	check_group("registry");
	static const char *const names[] = { "icount", "hotspots", "coverage", "syscalls",
					     "memtrace" };
	size_t n;
	const struct encore_plugin *const *list = plugins__list(&n);
	CHECK(n == ARRAY_SIZE(names), "%zu built-in plugins", n);
	for (size_t k = 0; k < n && k < ARRAY_SIZE(names); k++) {
		const struct encore_plugin *p = list[k];
		CHECK(!strcmp(p->name, names[k]), "plugin %zu is %s", k, p->name);
		CHECK(plugins__builtin(names[k]) == p, "%s found by name", names[k]);
		CHECK(p->api_version == ENCORE_PLUGIN_API_VERSION && p->create && p->destroy &&
		      p->interval_end && p->summary && p->suffix, "%s is complete", p->name);
		CHECK(p->merge_kind != ENCORE_MERGE_CUSTOM || p->merge, "%s has a merge", p->name);
	}
	CHECK(plugins__builtin("nope") == NULL, "unknown name");
}

/* ---- icount ---- */

static void *decode(struct session *s, u64 rip, unsigned cpl, const u8 *lens, unsigned n);
static void run(struct session *s, void *block, unsigned started, unsigned retired);

/* Code of the current vCPU at `cpl` is about to run: on_cpl_change, as
 * the engine calls it, if the CPL is another than its code's before. */
static void code_at(struct session *s, unsigned cpl)
{
	unsigned v = s->host.cur;
	if (s->p->on_cpl_change && cpl != s->cpl[v])
		s->p->on_cpl_change(s->self, v, s->icount[v], cpl);
	s->cpl[v] = cpl;
}

/* A run on the current vCPU of a block at `cpl`, as the engine reports
 * it to a plugin: its change of CPL, if any, and to one that follows
 * decoded code the run: `started` instructions began, `retired` of them
 * retired (one less when the last faulted). */
static void icount_run(struct session *s, unsigned cpl, unsigned started, unsigned retired)
{
	static const u8 lens[64] = { [0 ... 63] = 1 };
	code_at(s, cpl);
	if (s->p->on_block_decoded)
		run(s, decode(s, 0x1000 + cpl, cpl, lens, started), started, retired);
	else
		s->icount[s->host.cur] += retired;
}

/* The host calls on_exception only if the plugin has one. */
static void exception(struct session *s, u64 icount, unsigned vector, bool external)
{
	if (s->p->on_exception)
		s->p->on_exception(s->self, s->host.cur, icount, 0x1000 + icount, vector,
				   external ? -1 : 0, external);
}

/* [1000, 1100): user code, a page fault cuts a 10-instruction block
 * after 2, the kernel handles it (28), user code ends with INT 0x80,
 * which the interpreter retires after delivering it (at 1044, from 1045
 * on the handler's block), a handler of 10, user code again. */
static void icount_interval0(struct session *s)
{
	set_cpu(s, 3, 0);
	interval_start(s, 1000, 1100);
	icount_run(s, 3, 10, 10);
	exception(s, 1012, 14, false);
	icount_run(s, 3, 3, 2);         /* the third faulted */
	icount_run(s, 0, 20, 20);
	icount_run(s, 0, 8, 8);
	exception(s, 1044, 0x80, false);
	icount_run(s, 3, 5, 5);         /* the INT retired after its delivery */
	icount_run(s, 0, 10, 10);
	icount_run(s, 3, 45, 45);       /* to the interval's end */
	CHECK(interval_finish(s) == 0, "interval 0: %s", s->err);
}

/* [1100, 1250): starts in user code; a timer interrupt, then a nested one
 * delivered in the kernel before its first block, then back to user. */
static void icount_interval1(struct session *s)
{
	set_cpu(s, 3, 0);
	interval_start(s, 1100, 1250);
	icount_run(s, 3, 50, 50);
	exception(s, 1150, 32, true);
	exception(s, 1150, 33, true);
	icount_run(s, 0, 10, 10);
	exception(s, 1160, 34, true);
	icount_run(s, 0, 40, 40);
	icount_run(s, 3, 50, 50);
	CHECK(interval_finish(s) == 0, "interval 1: %s", s->err);
}

/* [1250, 1300): starts in the kernel in the middle of a block, visits
 * CPL 1 for 10 instructions. */
static void icount_interval2(struct session *s)
{
	set_cpu(s, 0, 0);
	interval_start(s, 1250, 1300);
	icount_run(s, 0, 5, 5);         /* the rest of a block */
	icount_run(s, 0, 5, 5);
	icount_run(s, 1, 10, 10);
	icount_run(s, 0, 30, 30);
	CHECK(interval_finish(s) == 0, "interval 2: %s", s->err);
}

static void test_icount(void)
{
	check_group("icount");
	struct session s;
	session_open(&s, "icount", 3, NULL);
	CHECK(session_check_options(&s) == 0, "no options: %s", s.err);
	icount_interval0(&s);
	icount_interval1(&s);
	icount_interval2(&s);
	char *got = session_merge(&s, NULL);
	check_text("icount merged", got,
		   "interval         first_icount             user           kernel"
		   "             cpl1            total\n"
		   "       0                 1000               62               38"
		   "                0              100\n"
		   "       1                 1100              100               50"
		   "                0              150\n"
		   "       2                 1250                0               40"
		   "               10               50\n"
		   "   total                    -              162              128"
		   "               10              300\n"
		   "\n"
		   "interval vcpu         first_icount             user           kernel"
		   "             cpl1            total\n"
		   "       0    0                 1000               62               38"
		   "                0              100\n"
		   "       1    0                 1100              100               50"
		   "                0              150\n"
		   "       2    0                 1250                0               40"
		   "               10               50\n"
		   "   total    0                    -              162              128"
		   "               10              300\n");
	free(got);
	session_close(&s);
}

/* Two vCPUs taking turns, each counting on its own icount.  Interval 0:
 * vCPU 0 from 1000 to 1060 starts in user mode, takes a page fault at
 * 1012 and its turn ends at 1020 inside the handler's block; vCPU 1 from
 * 500 to 540 starts in the kernel and its turn ends at 535 in user mode;
 * then each goes on where it stopped.  Interval 1: vCPU 0 does not run;
 * vCPU 1 starts in the kernel, enters user mode at 550. */
static void icount_two_vcpus(struct session *s)
{
	s->host.nvcpus = 2;
	s->host.regs[0].cpl = 3;
	s->host.regs[1].cpl = 0;
	interval_start_vcpus(s, (const u64[]){ 1000, 500 }, (const u64[]){ 1060, 540 });
	on_vcpu(s, 0);
	icount_run(s, 3, 10, 10);
	exception(s, 1012, 14, false);
	icount_run(s, 3, 3, 2);
	icount_run(s, 0, 8, 8);         /* the turn ends at 1020 */
	on_vcpu(s, 1);
	icount_run(s, 0, 10, 10);
	icount_run(s, 3, 20, 20);
	icount_run(s, 3, 5, 5);         /* the turn ends at 535 */
	on_vcpu(s, 0);
	icount_run(s, 0, 10, 10);
	icount_run(s, 3, 30, 30);
	on_vcpu(s, 1);
	icount_run(s, 3, 3, 3);
	icount_run(s, 0, 2, 2);
	CHECK(interval_finish(s) == 0, "interval 0: %s", s->err);
	s->host.regs[1].cpl = 0;
	interval_start_vcpus(s, (const u64[]){ 1060, 540 }, (const u64[]){ 1060, 600 });
	on_vcpu(s, 1);
	icount_run(s, 0, 10, 10);
	icount_run(s, 3, 50, 50);
	CHECK(interval_finish(s) == 0, "interval 1: %s", s->err);
}

static void test_icount_vcpus(void)
{
	check_group("icount, two vCPUs");
	struct session s;
	session_open(&s, "icount", 2, NULL);
	icount_two_vcpus(&s);
	char *file = slurp(s.files[0], NULL);
	check_text("icount interval file", file,
		   "encore-icount 2\ninterval 0\nfirst 1500\nend 1600\n"
		   "cpl0 30\ncpl1 0\ncpl2 0\ncpl3 70\nvcpus 2\n"
		   "vcpu 0 first 1000 end 1060 cpl0 18 cpl1 0 cpl2 0 cpl3 42\n"
		   "vcpu 1 first 500 end 540 cpl0 12 cpl1 0 cpl2 0 cpl3 28\n");
	free(file);
	char *got = session_merge(&s, NULL);
	check_text("icount merged, two vCPUs", got,
		   "interval         first_icount             user           kernel"
		   "            total\n"
		   "       0                 1500               70               30"
		   "              100\n"
		   "       1                 1600               50               10"
		   "               60\n"
		   "   total                    -              120               40"
		   "              160\n"
		   "\n"
		   "interval vcpu         first_icount             user           kernel"
		   "            total\n"
		   "       0    0                 1000               42               18"
		   "               60\n"
		   "       0    1                  500               28               12"
		   "               40\n"
		   "       1    0                 1060                0                0"
		   "                0\n"
		   "       1    1                  540               50               10"
		   "               60\n"
		   "   total    0                    -               42               18"
		   "               60\n"
		   "   total    1                    -               78               22"
		   "              100\n");
	free(got);
	session_close(&s);

	/* An event of a vCPU the interval does not have fails it. */
	session_open(&s, "icount", 1, NULL);
	s.host.nvcpus = 2;
	interval_start_vcpus(&s, (const u64[]){ 0, 0 }, (const u64[]){ 10, 10 });
	on_vcpu(&s, 2);
	icount_run(&s, 3, 5, 5);
	CHECK(interval_finish(&s) == -1 && strstr(s.err, "vCPU 2, in an interval of 2"),
	      "vCPU 2 of 2: %s", s.err);
	session_close(&s);
}

static void test_icount_errors(void)
{
	check_group("icount errors");
	static const char *const bad_opt[] = { "foo", "1", NULL };
	struct session s;
	session_open(&s, "icount", 1, bad_opt);
	CHECK(session_check_options(&s) == -1 && strstr(s.err, "unknown option 'foo'"), "%s",
	      s.err);
	session_open(&s, "icount", 1, NULL);
	set_cpu(&s, 3, 0);
	interval_start(&s, 100, 200);
	icount_run(&s, 3, 50, 50);
	s.icount[0] = 250;             /* a change past the interval's end */
	icount_run(&s, 0, 10, 10);
	CHECK(interval_finish(&s) == -1 && strstr(s.err, "an event at icount 250 after one at "
						    "100, or outside the interval [100, 200]"),
	      "past the end: %s", s.err);
	session_close(&s);

	/* An interval file of another interval is refused by the merge. */
	session_open(&s, "icount", 2, NULL);
	set_cpu(&s, 0, 0);
	interval_start(&s, 0, 10);
	interval_finish(&s);
	interval_start(&s, 10, 20);
	interval_finish(&s);
	FILE *t = s.files[0];
	s.files[0] = s.files[1];
	s.files[1] = t;
	char *got = session_merge(&s, NULL);
	CHECK(!got && strstr(s.err, "interval 0"), "swapped files: %s", s.err);
	free(got);
	session_close(&s);
}

/* ---- hotspots ---- */

#define RIP_STEXT 0xffffffff81000010ull  /* _stext+0x10 */
#define RIP_HELPER 0xffffffff81000104ull /* helper+0x4 */
#define RIP_DATA 0xffffffff81000250ull   /* in some_data: not named */
#define RIP_WEAK 0xffffffff81000300ull   /* weak_fn+0x0 */
#define RIP_USER 0x401000ull             /* above an absolute symbol: not named */

static const char system_map_text[] =
	"0000000000001000 A abs_thing\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 D also_at_stext\n"
	"ffffffff81000100 t helper\n"
	"ffffffff81000200 D some_data\n"
	"ffffffff81000300 W weak_fn\n"
	"ffffffff81000400 B _end\n";

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/encore-test-plugins-XXXXXX");
	int fd = mkstemp(path);
	size_t n = strlen(text);
	CHECK(fd >= 0 && write(fd, text, n) == (ssize_t)n, "temp file %s", path);
	close(fd);
	return path;
}

/* A decoded block of n instructions of the given lengths from rip. */
static void *decode(struct session *s, u64 rip, unsigned cpl, const u8 *lens, unsigned n)
{
	static const u8 nops[64] = { [0 ... 63] = 0x90 };
	const struct encore_code_block b = { rip, n, cpl, lens, nops };
	return s->p->on_block_decoded(s->self, s->host.cur, &b);
}

/* A run of a decoded block on the current vCPU, from its icount, as
 * the engine reports it: counted at the handle if the plugin counts runs
 * and none faulted, else told to on_block_ran. */
static void run(struct session *s, void *block, unsigned started, unsigned retired)
{
	unsigned v = s->host.cur;
	if (s->p->count_runs && block && retired == started)
		((u64 *)block)[retired - 1]++;
	else
		s->p->on_block_ran(s->self, v, s->icount[v], block, started, retired);
	s->icount[v] += retired;
}

/* An instruction of the current vCPU at rip, which retires `retires`: 1
 * normally, 0 if it faults, the iterations for REP, as the engine
 * reports them to a plugin that follows decoded code: a block of this
 * one instruction (decoded once for the instance), run once per
 * iteration. */
static void insn(struct session *s, u64 rip, unsigned cpl, unsigned retires)
{
	static const u8 len1 = 1;
	void *h = NULL;
	unsigned k = 0;
	while (k < s->nblocks && (s->blocks[k].rip != rip || s->blocks[k].cpl != cpl))
		k++;
	if (k < s->nblocks) {
		h = s->blocks[k].handle;
	} else {
		h = decode(s, rip, cpl, &len1, 1);
		if (s->nblocks < ARRAY_SIZE(s->blocks))
			s->blocks[s->nblocks++] = (typeof(s->blocks[0])){ rip, cpl, h };
	}
	if (!retires)
		run(s, h, 1, 0);
	for (unsigned n = 0; n < retires; n++)
		run(s, h, 1, 1);
}

/* n instructions at rip that retire one each. */
static void insns(struct session *s, u64 rip, unsigned n, unsigned cpl)
{
	for (unsigned k = 0; k < n; k++)
		insn(s, rip, cpl, 1);
}

/* 26 instructions: _stext+0x10 and helper+0x4 7 each, some_data 5 (two of
 * them the iterations of one REP instruction), the user address 3,
 * weak_fn 2 (plus one try that faulted), the last address 2. */
static void hotspots_intervals(struct session *s)
{
	set_cpu(s, 0, 0);
	interval_start(s, 0, 14);
	insns(s, RIP_STEXT, 5, 0);
	insns(s, RIP_HELPER, 3, 0);
	insns(s, RIP_DATA, 3, 0);
	insn(s, RIP_WEAK, 0, 0);          /* faults: retires nothing */
	insns(s, RIP_STEXT, 1, 0);        /* the handler */
	insn(s, RIP_DATA, 0, 2);          /* REP, 2 iterations to the interval's end */
	CHECK(interval_finish(s) == 0, "interval 0: %s", s->err);
	interval_start(s, 14, 26);
	insns(s, RIP_HELPER, 4, 0);
	insns(s, RIP_USER, 3, 3);
	insns(s, RIP_STEXT, 1, 0);
	insns(s, RIP_WEAK, 2, 0);
	insns(s, UINT64_MAX, 2, 0);
	CHECK(interval_finish(s) == 0, "interval 1: %s", s->err);
}

static void test_hotspots(void)
{
	check_group("hotspots");
	char *map = write_temp(system_map_text);
	const char *const opts[] = { "top", "5", "map", map, NULL };
	struct session s;
	session_open(&s, "hotspots", 2, opts);
	CHECK(session_check_options(&s) == 0, "options: %s", s.err);
	hotspots_intervals(&s);
	char *got = session_merge(&s, NULL);
	check_text("hotspots with a map", got,
		   "# 26 instructions at 6 addresses; the top 5\n"
		   "# rank     instructions  percent address          symbol\n"
		   "     1                7   26.92% ffffffff81000010 _stext+0x10\n"
		   "     2                7   26.92% ffffffff81000104 helper+0x4\n"
		   "     3                5   19.23% ffffffff81000250 -\n"
		   "     4                3   11.54% 0000000000401000 -\n"
		   "     5                2    7.69% ffffffff81000300 weak_fn+0x0\n");
	free(got);
	session_close(&s);

	/* Without a map and with the default top: every address, no symbols. */
	session_open(&s, "hotspots", 2, NULL);
	hotspots_intervals(&s);
	got = session_merge(&s, NULL);
	check_text("hotspots without a map", got,
		   "# 26 instructions at 6 addresses; the top 6\n"
		   "# rank     instructions  percent address\n"
		   "     1                7   26.92% ffffffff81000010\n"
		   "     2                7   26.92% ffffffff81000104\n"
		   "     3                5   19.23% ffffffff81000250\n"
		   "     4                3   11.54% 0000000000401000\n"
		   "     5                2    7.69% ffffffff81000300\n"
		   "     6                2    7.69% ffffffffffffffff\n");
	free(got);
	session_close(&s);
	unlink(map);
	free(map);
}

static void test_hotspots_options(void)
{
	check_group("hotspots options");
	struct session s;
	const char *const missing[] = { "map", "/nonexistent/System.map", NULL };
	session_open(&s, "hotspots", 1, missing);
	CHECK(session_check_options(&s) == -1 && strstr(s.err, "/nonexistent/System.map") &&
	      strstr(s.err, strerror(ENOENT)), "missing map: %s", s.err);

	char *bad = write_temp("ffffffff81000000 T _stext\nthis is not a map\n");
	const char *const bad_map[] = { "map", bad, NULL };
	session_open(&s, "hotspots", 1, bad_map);
	CHECK(session_check_options(&s) == -1 && strstr(s.err, "line 2: not a System.map line"),
	      "malformed map: %s", s.err);
	unlink(bad);
	free(bad);

	const char *const zero[] = { "top", "0", NULL };
	session_open(&s, "hotspots", 1, zero);
	CHECK(session_check_options(&s) == -1 && strstr(s.err, "top=0"), "top=0: %s", s.err);
	const char *const junk[] = { "top", "5x", NULL };
	session_open(&s, "hotspots", 1, junk);
	CHECK(session_check_options(&s) == -1, "top=5x: %s", s.err);
}

/* Two vCPUs taking turns: vCPU 0 (icounts 0 to 10) is inside a REP of 3
 * iterations when its turn ends; vCPU 1 (100 to 108) runs, with a fault;
 * then both go on.  Each vCPU's instruction counts to its own next one
 * (or its own end): a single "previous instruction" would give the REP
 * the 97 icounts between the two vCPUs' counts. */
static void test_hotspots_vcpus(void)
{
	check_group("hotspots, two vCPUs");
	struct session s;
	session_open(&s, "hotspots", 1, NULL);
	s.host.nvcpus = 2;
	interval_start_vcpus(&s, (const u64[]){ 0, 100 }, (const u64[]){ 10, 108 });
	on_vcpu(&s, 0);
	insns(&s, RIP_STEXT, 3, 0);
	insn(&s, RIP_DATA, 0, 3);          /* REP: its turn ends at 6, inside it */
	on_vcpu(&s, 1);
	insns(&s, RIP_HELPER, 4, 0);
	insn(&s, RIP_WEAK, 0, 0);          /* faults: retires nothing */
	insns(&s, RIP_STEXT, 2, 0);        /* the handler; the turn ends at 106 */
	on_vcpu(&s, 0);
	insns(&s, RIP_HELPER, 4, 0);       /* to vCPU 0's end, 10 */
	on_vcpu(&s, 1);
	insns(&s, RIP_USER, 2, 3);         /* to vCPU 1's end, 108 */
	CHECK(interval_finish(&s) == 0, "interval 0: %s", s.err);
	char *got = session_merge(&s, NULL);
	check_text("hotspots, two vCPUs", got,
		   "# 18 instructions at 4 addresses; the top 4\n"
		   "# rank     instructions  percent address\n"
		   "     1                8   44.44% ffffffff81000104\n"
		   "     2                5   27.78% ffffffff81000010\n"
		   "     3                3   16.67% ffffffff81000250\n"
		   "     4                2   11.11% 0000000000401000\n");
	free(got);
	session_close(&s);
}

/* One interval of `n` instructions at random addresses of addr[] (half
 * of them among the first 50), on two vCPUs taking turns of random
 * length, each vCPU counting on from *at; count[] gets the reference. */
static void hotspots_random_interval(struct session *s, struct rng *rng, const u64 *addr,
				     unsigned naddrs, u64 *count, unsigned n, u64 at[2])
{
	unsigned *pick = malloc(n * sizeof(*pick)), *vcpu = malloc(n * sizeof(*vcpu));
	u64 end[2] = { at[0], at[1] };
	unsigned v = 0;
	for (unsigned i = 0; i < n; i++) {
		if (rng_chance(rng, 1, 40))
			v ^= 1;
		pick[i] = (unsigned)rng_below(rng, rng_chance(rng, 1, 2) ? 50 : naddrs);
		vcpu[i] = v;
		end[v]++;
		count[pick[i]]++;
	}
	interval_start_vcpus(s, at, end);
	for (unsigned i = 0; i < n; i++) {
		on_vcpu(s, vcpu[i]);
		insns(s, addr[pick[i]], 1, 0);
	}
	CHECK(interval_finish(s) == 0, "interval %u: %s", s->count - 1, s->err);
	at[0] = end[0];
	at[1] = end[1];
	free(pick);
	free(vcpu);
}

/* Many random addresses (the table grows several times) on two vCPUs
 * against a plain reference count: most addresses are decoded again and
 * again, as blocks of their own (insn() finds only its first 64 again),
 * so their counts are sums over many blocks.  `colliding`: all with the
 * same low 12 bits. */
static void test_hotspots_many(struct rng *rng, bool colliding)
{
	check_group(colliding ? "hotspots many, colliding" : "hotspots many");
	enum { ADDRS = 5000, INSNS = 60000 };
	static u64 addr[ADDRS], count[ADDRS];
	for (unsigned k = 0; k < ADDRS; k++) {
		addr[k] = colliding ? (rng_next(rng) & ~0xfffull) | 0x123 : rng_next(rng);
		count[k] = 0;
	}
	const char *const all[] = { "top", "100000", NULL };
	struct session s;
	session_open(&s, "hotspots", 3, all);
	s.host.nvcpus = 2;
	u64 at[2] = { 0, 5000000 };
	for (int i = 0; i < 3; i++)
		hotspots_random_interval(&s, rng, addr, ADDRS, count, INSNS / 3, at);
	char *got = session_merge(&s, NULL);
	unsigned lines = 0, wrong = 0;
	u64 prev = UINT64_MAX;
	for (char *line = got ? strchr(got, '\n') + 1 : NULL; line && *line;
	     line = strchr(line, '\n') + 1) {
		unsigned long long rank, c, a;
		if (*line == '#')
			continue;
		if (sscanf(line, "%llu %llu %*s %llx", &rank, &c, &a) != 3)
			break;
		unsigned k = 0;
		while (k < ADDRS && addr[k] != a)
			k++;
		wrong += k == ADDRS || count[k] != c || c > prev;
		prev = c;
		lines++;
	}
	unsigned used = 0;
	for (unsigned k = 0; k < ADDRS; k++)
		used += count[k] != 0;
	CHECK(lines == used && !wrong, "%u lines for %u addresses, %u wrong", lines, used, wrong);
	free(got);
	session_close(&s);
}

/* ---- coverage ---- */

static void coverage_intervals(struct session *s)
{
	interval_start(s, 0, 100);
	insns(s, 0xffffffff81000020ull, 3, 0);
	insns(s, 0x401000, 1, 3);
	insns(s, 0xffffffff81000010ull, 1, 0);
	CHECK(interval_finish(s) == 0, "interval 0: %s", s->err);
	interval_start(s, 100, 200);
	interval_finish(s);                     /* nothing ran: an empty list */
	interval_start(s, 200, 300);
	insns(s, 0xffffffff81000010ull, 2, 0);
	insns(s, 0x400ff0, 1, 3);
	insns(s, 0, 1, 0);
	CHECK(interval_finish(s) == 0, "interval 2: %s", s->err);
}

static void test_coverage(void)
{
	check_group("coverage");
	struct session s;
	session_open(&s, "coverage", 3, NULL);
	coverage_intervals(&s);
	char *got = session_merge(&s, NULL);
	check_text("coverage all", got,
		   "0000000000000000\n"
		   "0000000000400ff0\n"
		   "0000000000401000\n"
		   "ffffffff81000010\n"
		   "ffffffff81000020\n");
	free(got);
	session_close(&s);

	const char *const kernel[] = { "cpl", "kernel", NULL };
	session_open(&s, "coverage", 3, kernel);
	CHECK(session_check_options(&s) == 0, "cpl=kernel: %s", s.err);
	coverage_intervals(&s);
	got = session_merge(&s, NULL);
	check_text("coverage kernel", got,
		   "0000000000000000\nffffffff81000010\nffffffff81000020\n");
	free(got);
	session_close(&s);

	const char *const user[] = { "cpl", "user", NULL };
	session_open(&s, "coverage", 3, user);
	coverage_intervals(&s);
	got = session_merge(&s, NULL);
	check_text("coverage user", got, "0000000000400ff0\n0000000000401000\n");
	free(got);
	session_close(&s);

	const char *const bad[] = { "cpl", "3", NULL };
	session_open(&s, "coverage", 1, bad);
	CHECK(session_check_options(&s) == -1 && strstr(s.err, "cpl=3"), "cpl=3: %s", s.err);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;
	return (x > y) - (x < y);
}

/* Random addresses over several intervals, a third of them sharing their
 * low 12 bits, most decoded many times, against a sorted reference set. */
static void test_coverage_many(struct rng *rng)
{
	check_group("coverage many");
	enum { ADDRS = 3000, INSNS = 30000, INTERVALS = 3 };
	static u64 addr[ADDRS], want[ADDRS];
	static bool used[ADDRS];
	for (unsigned k = 0; k < ADDRS; k++) {
		addr[k] = rng_chance(rng, 1, 3) ? (rng_next(rng) & ~0xfffull) | 0x456 : rng_next(rng);
		used[k] = false;
	}
	struct session s;
	session_open(&s, "coverage", INTERVALS, NULL);
	for (unsigned iv = 0; iv < INTERVALS; iv++) {
		interval_start(&s, (u64)iv * INSNS, (u64)(iv + 1) * INSNS);
		for (unsigned n = 0; n < INSNS; n++) {
			unsigned k = (unsigned)rng_below(rng, rng_chance(rng, 1, 2) ? 40 : ADDRS);
			used[k] = true;
			insns(&s, addr[k], 1, 0);
		}
		CHECK(interval_finish(&s) == 0, "interval %u: %s", iv, s.err);
	}
	unsigned nwant = 0;
	for (unsigned k = 0; k < ADDRS; k++)
		if (used[k])
			want[nwant++] = addr[k];
	qsort(want, nwant, sizeof(*want), cmp_u64);
	char *got = session_merge(&s, NULL);
	unsigned lines = 0, wrong = 0;
	for (char *line = got; line && *line; line = strchr(line, '\n') + 1) {
		unsigned long long a;
		if (sscanf(line, "%llx", &a) != 1)
			break;
		wrong += lines >= nwant || want[lines] != a;
		lines++;
	}
	CHECK(lines == nwant && !wrong, "%u lines for %u addresses, %u wrong", lines, nwant, wrong);
	free(got);
	session_close(&s);
}

/* Blocks of several instructions, run in part: block A (three
 * instructions from 0x1000) is cut short after one, runs whole, faults
 * in its second, runs whole; block B is entered at A's second
 * instruction.  Each instruction counts what it retired, and every one
 * that began is covered, the faulting one too. */
static void code_block_runs(struct session *s, u64 end)
{
	static const u8 lens_a[] = { 2, 3, 1 }, lens_b[] = { 3, 1 };
	interval_start(s, 0, end);
	void *a = decode(s, 0x1000, 0, lens_a, 3);
	run(s, a, 1, 1);
	run(s, a, 3, 3);
	run(s, a, 2, 1);
	void *b = decode(s, 0x1002, 0, lens_b, 2);
	run(s, b, 2, 2);
	run(s, a, 3, 3);
}

static void test_code_blocks(void)
{
	check_group("hotspots and coverage, blocks run in part");
	const char *const all[] = { "top", "10", NULL };
	struct session s;
	session_open(&s, "hotspots", 1, all);
	code_block_runs(&s, 10);
	CHECK(interval_finish(&s) == 0, "interval 0: %s", s.err);
	char *got = session_merge(&s, NULL);
	check_text("hotspots of blocks run in part", got,
		   "# 10 instructions at 3 addresses; the top 3\n"
		   "# rank     instructions  percent address\n"
		   "     1                4   40.00% 0000000000001000\n"
		   "     2                3   30.00% 0000000000001002\n"
		   "     3                3   30.00% 0000000000001005\n");
	free(got);
	session_close(&s);

	/* Runs that do not add up to the interval's instructions. */
	session_open(&s, "hotspots", 1, all);
	code_block_runs(&s, 11);
	CHECK(interval_finish(&s) == -1 &&
	      strstr(s.err, "the runs of code retired 10 instructions, the vCPUs' counts moved 11"),
	      "a count that does not add up: %s", s.err);
	session_close(&s);

	session_open(&s, "coverage", 1, NULL);
	code_block_runs(&s, 10);
	CHECK(interval_finish(&s) == 0, "interval 0: %s", s.err);
	got = session_merge(&s, NULL);
	check_text("coverage of blocks run in part", got,
		   "0000000000001000\n0000000000001002\n0000000000001005\n");
	free(got);
	session_close(&s);
}

/* ---- syscalls ---- */

#define AS1 0x12340000ull   /* with page-table isolation: user CR3 is AS1 | 0x1000 */
#define AS2 0x22220000ull
#define AS3 0x33330000ull

/* Code at `cpl` from `icount` on: on_cpl_change if that is a change. */
static void sys_block(struct session *s, u64 icount, unsigned cpl)
{
	s->icount[s->host.cur] = icount;
	code_at(s, cpl);
}

static void sys_call(struct session *s, u64 icount, u64 nr, u64 cr3)
{
	const u64 args[6] = { nr + 1, 0x7ffd0000 + nr, 2, 3, 4, 0xffffffffffffff9cull };
	s->p->on_syscall(s->self, s->host.cur, icount, 0x401000, nr, args, cr3);
}

static void syscalls_interval0(struct session *s)
{
	set_cpu(s, 0, AS1);
	interval_start(s, 0, 100);
	sys_block(s, 0, 0);
	set_cpu(s, 3, AS1 | 0x1000 | 0x801);   /* PTI user CR3 with a PCID */
	sys_block(s, 10, 3);
	sys_call(s, 25, 1, AS1 | 0x1801);       /* write after 15 user instructions */
	sys_block(s, 26, 0);                    /* the SYSCALL itself was user: 16 */
	set_cpu(s, 3, AS2);
	sys_block(s, 40, 3);
	sys_block(s, 45, 3);
	exception(s, 50, 14, false);            /* AS2: 10 */
	sys_block(s, 50, 0);
	sys_block(s, 60, 3);
	sys_call(s, 70, 0, AS2);                /* read: AS2 at 20 */
	sys_block(s, 71, 0);                    /* AS2: 21; kernel to the end */
	CHECK(s->host.regs_calls == 4, "regs() read on interval start and entering CPL 3 only: %u",
	      s->host.regs_calls);
	CHECK(interval_finish(s) == 0, "interval 0: %s", s->err);
}

static void syscalls_interval1(struct session *s)
{
	set_cpu(s, 3, AS1 | 0x1000);
	interval_start(s, 100, 200);
	sys_call(s, 130, 231, AS1 | 0x1000);   /* exit_group: 30 here, 46 in all */
	sys_block(s, 131, 0);
	set_cpu(s, 3, AS3);
	sys_block(s, 150, 3);
	sys_call(s, 155, 9999, AS3);            /* unknown number; AS3 is new: 5 */
	CHECK(interval_finish(s) == 0, "interval 1: %s", s->err);  /* AS3: 50 */
}

static void syscalls_interval2(struct session *s)
{
	set_cpu(s, 3, AS3 | 0x1000);
	interval_start(s, 200, 300);
	sys_call(s, 210, 60, AS3 | 0x1000);     /* 10 + 50 */
	sys_block(s, 211, 0);
	set_cpu(s, 3, AS2 | 0x1000);
	sys_block(s, 220, 3);
	sys_call(s, 225, 39, AS2 | 0x1000);     /* 5 + 21 */
	CHECK(interval_finish(s) == 0, "interval 2: %s", s->err);
}

static void test_syscalls(void)
{
	check_group("syscalls");
	struct session s;
	session_open(&s, "syscalls", 3, NULL);
	CHECK(session_check_options(&s) == 0, "no options: %s", s.err);
	syscalls_interval0(&s);
	syscalls_interval1(&s);
	syscalls_interval2(&s);
	char *got = session_merge(&s, NULL);
	check_text("syscalls merged", got,
		   "# vcpu icount address-space user-instructions call(arguments)\n"
		   "0 25 12340000 15 write(0x2, 0x7ffd0001, 0x2, 0x3, 0x4, 0xffffffffffffff9c)\n"
		   "0 70 22220000 20 read(0x1, 0x7ffd0000, 0x2, 0x3, 0x4, 0xffffffffffffff9c)\n"
		   "0 130 12340000 46 exit_group(0xe8, 0x7ffd00e7, 0x2, 0x3, 0x4, "
		   "0xffffffffffffff9c)\n"
		   "0 155 33330000 5 9999(0x2710, 0x7ffd270f, 0x2, 0x3, 0x4, 0xffffffffffffff9c)\n"
		   "0 210 33330000 60 exit(0x3d, 0x7ffd003c, 0x2, 0x3, 0x4, 0xffffffffffffff9c)\n"
		   "0 225 22220000 26 getpid(0x28, 0x7ffd0027, 0x2, 0x3, 0x4, "
		   "0xffffffffffffff9c)\n");
	free(got);

	/* A damaged interval file is refused with its line. */
	fclose(s.files[1]);
	s.files[1] = tmpfile();
	fputs("encore-syscalls 2\nc 0 12 zz\n", s.files[1]);
	got = session_merge(&s, NULL);
	CHECK(!got && strstr(s.err, "interval 1, line 2"), "damaged: %s", s.err);
	free(got);
	session_close(&s);
}

/*
 * An arm64 guest: its own call numbers, and an address space that is
 * TTBR0_EL1's table without the ASID (bits 63:48, which Linux may change
 * for a process) and CnP; neighbouring 4 KiB tables are two processes.
 * Its outputs do not merge with an x86-64 guest's.
 */
#define TTBR_A 0x41234000ull
#define TTBR_B 0x41235000ull
#define ASID(n) ((u64)(n) << 48)

static void test_syscalls_arm64(void)
{
	check_group("syscalls, arm64");
	struct session s;
	session_open(&s, "syscalls", 2, NULL);
	s.arch = "arm64";
	set_cpu(&s, 3, TTBR_A | ASID(5));
	interval_start(&s, 0, 100);
	sys_block(&s, 0, 3);
	sys_call(&s, 10, 64, TTBR_A | ASID(5));      /* write */
	sys_block(&s, 11, 0);
	set_cpu(&s, 3, TTBR_B | ASID(6) | 1);
	sys_block(&s, 20, 3);
	sys_call(&s, 27, 221, TTBR_B | ASID(6) | 1);  /* execve: B at 7 */
	sys_block(&s, 28, 0);
	set_cpu(&s, 3, TTBR_A | ASID(9));             /* A again, a new ASID */
	sys_block(&s, 30, 3);
	sys_call(&s, 35, 63, TTBR_A | ASID(9));       /* read: A at 11 + 5 */
	CHECK(interval_finish(&s) == 0, "interval 0: %s", s.err);
	rewind(s.files[0]);
	char line[64] = "";
	CHECK(fgets(line, sizeof(line), s.files[0]) && !strcmp(line, "encore-syscalls 2 arm64\n"),
	      "arm64 header: %s", line);
	set_cpu(&s, 0, TTBR_A);
	interval_start(&s, 100, 200);
	sys_block(&s, 100, 0);
	CHECK(interval_finish(&s) == 0, "interval 1: %s", s.err);
	char *got = session_merge(&s, NULL);
	check_text("arm64 syscalls merged", got,
		   "# vcpu icount address-space user-instructions call(arguments)\n"
		   "0 10 41234000 10 write(0x41, 0x7ffd0040, 0x2, 0x3, 0x4, 0xffffffffffffff9c)\n"
		   "0 27 41235000 7 execve(0xde, 0x7ffd00dd, 0x2, 0x3, 0x4, 0xffffffffffffff9c)\n"
		   "0 35 41234000 16 read(0x40, 0x7ffd003f, 0x2, 0x3, 0x4, 0xffffffffffffff9c)\n");
	free(got);

	/* An x86-64 interval among arm64 ones is refused, naming both. */
	fclose(s.files[1]);
	s.files[1] = tmpfile();
	fputs("encore-syscalls 2\n", s.files[1]);
	got = session_merge(&s, NULL);
	CHECK(!got && strstr(s.err, "interval 1 is of an x86_64 guest, the ones before of arm64"),
	      "mixed: %s", s.err);
	free(got);
	fclose(s.files[1]);
	s.files[1] = tmpfile();
	fputs("encore-syscalls 2 riscv\n", s.files[1]);
	got = session_merge(&s, NULL);
	CHECK(!got && strstr(s.err, "interval 1, line 1: not an encore-syscalls 2 header"),
	      "unknown architecture: %s", s.err);
	free(got);
	session_close(&s);

	session_open(&s, "syscalls", 1, NULL);
	s.arch = "riscv64";
	set_cpu(&s, 0, 0);
	CHECK(!interval_start(&s, 0, 10) && strstr(s.err, "no system call table for a riscv64 guest"),
	      "unknown arch: %s", s.err);
	session_close(&s);
}

/* vCPU v's turn ended at its icount `at`: what vcpu_regs() says of it
 * while the other runs. */
static void turn_ends(struct session *s, unsigned v, u64 at)
{
	s->host.regs[v].icount = at;
}

/* Two threads of AS1 on both vCPUs, then AS2 on both.  Each call's count
 * includes what the other vCPU retired in the same address space up to
 * where its turn ended. */
static void syscalls_two_vcpus0(struct session *s)
{
	s->host.nvcpus = 2;
	s->host.regs[0] = (struct encore_regs){ .cpl = 3, .cr3 = AS1 | 0x1000 };
	s->host.regs[1] = (struct encore_regs){ .cpl = 0, .cr3 = AS1 };
	interval_start_vcpus(s, (const u64[]){ 0, 0 }, (const u64[]){ 100, 100 });
	on_vcpu(s, 0);
	sys_block(s, 0, 3);
	sys_block(s, 10, 3);
	turn_ends(s, 0, 20);                    /* AS1: 20 from vCPU 0 */
	on_vcpu(s, 1);
	sys_block(s, 0, 0);
	set_cpu(s, 3, AS1 | 0x1000);
	sys_block(s, 5, 3);
	sys_block(s, 15, 3);
	sys_call(s, 18, 1, AS1 | 0x1000);       /* write: 13 here + 20 of vCPU 0 */
	sys_block(s, 19, 0);                    /* its SYSCALL: AS1 34 */
	turn_ends(s, 1, 30);
	on_vcpu(s, 0);
	sys_block(s, 20, 3);
	sys_block(s, 30, 3);
	sys_call(s, 40, 0, AS1 | 0x1000);       /* read: 34 + 20 */
	sys_block(s, 41, 0);                    /* AS1: 55 */
	set_cpu(s, 3, AS2);
	sys_block(s, 50, 3);
	turn_ends(s, 0, 60);                    /* AS2: 10 */
	on_vcpu(s, 1);
	sys_block(s, 30, 0);
	set_cpu(s, 3, AS2 | 0x1000);
	sys_block(s, 35, 3);
	sys_call(s, 45, 39, AS2 | 0x1000);      /* getpid: 10 here + 10 of vCPU 0 */
	sys_block(s, 46, 0);                    /* AS2: 21; vCPU 1 in the kernel to 100 */
	turn_ends(s, 1, 100);
	on_vcpu(s, 0);
	sys_block(s, 60, 3);                    /* AS2: 61 at the end */
	CHECK(interval_finish(s) == 0, "interval 0: %s", s->err);
}

/* vCPU 1 starts in AS1's user mode, vCPU 0 in AS2's, and vCPU 0 has not
 * run yet when vCPU 1 calls. */
static void syscalls_two_vcpus1(struct session *s)
{
	s->host.regs[0] = (struct encore_regs){ .cpl = 3, .cr3 = AS2 };
	s->host.regs[1] = (struct encore_regs){ .cpl = 3, .cr3 = AS1 | 0x1000 };
	interval_start_vcpus(s, (const u64[]){ 100, 100 }, (const u64[]){ 200, 150 });
	on_vcpu(s, 1);
	sys_call(s, 120, 231, AS1 | 0x1000);    /* exit_group: 20 + 55 */
	sys_block(s, 121, 0);
	turn_ends(s, 1, 150);
	on_vcpu(s, 0);
	sys_call(s, 130, 60, AS2);              /* exit: 30 + 61 */
	sys_block(s, 131, 0);
	CHECK(interval_finish(s) == 0, "interval 1: %s", s->err);
}

static void test_syscalls_vcpus(void)
{
	check_group("syscalls, two vCPUs");
	struct session s;
	session_open(&s, "syscalls", 2, NULL);
	syscalls_two_vcpus0(&s);
	syscalls_two_vcpus1(&s);
	char *got = session_merge(&s, NULL);
	check_text("syscalls merged, two vCPUs", got,
		   "# vcpu icount address-space user-instructions call(arguments)\n"
		   "1 18 12340000 33 write(0x2, 0x7ffd0001, 0x2, 0x3, 0x4, 0xffffffffffffff9c)\n"
		   "0 40 12340000 54 read(0x1, 0x7ffd0000, 0x2, 0x3, 0x4, 0xffffffffffffff9c)\n"
		   "1 45 22220000 20 getpid(0x28, 0x7ffd0027, 0x2, 0x3, 0x4, "
		   "0xffffffffffffff9c)\n"
		   "1 120 12340000 75 exit_group(0xe8, 0x7ffd00e7, 0x2, 0x3, 0x4, "
		   "0xffffffffffffff9c)\n"
		   "0 130 22220000 91 exit(0x3d, 0x7ffd003c, 0x2, 0x3, 0x4, "
		   "0xffffffffffffff9c)\n");
	free(got);
	char *totals = slurp(s.files[0], NULL);
	CHECK(totals && strstr(totals, "\nt 12340000 55\nt 22220000 61\n"),
	      "interval 0's totals:\n%s", totals);
	free(totals);
	session_close(&s);
}

/* ---- memtrace ---- */

struct access {
	u64 icount, vaddr, paddr;
	u32 size;
	bool write;
	unsigned vcpu;
};

/* Accesses the way a program makes them: mostly near the previous one,
 * in few pages, sometimes anywhere, with odd sizes now and then; by
 * nvcpus vCPUs taking turns, each from first[v] to before end[v] on its
 * own icount. */
static void make_accesses(struct rng *rng, struct access *a, size_t n, unsigned nvcpus,
			  const u64 *first, const u64 *end)
{
	static const u32 sizes[] = { 1, 2, 4, 8, 8, 8, 4, 10, 16, 32, 64, 3, 512, 0 };
	u64 icount[MAX_VCPUS], vaddr = 0x7ffd00001000ull;
	unsigned v = 0;
	memcpy(icount, first, nvcpus * sizeof(*icount));
	for (size_t k = 0; k < n; k++) {
		if (rng_chance(rng, 1, 300))
			v = (unsigned)rng_below(rng, nvcpus);
		if (rng_chance(rng, 1, 50))
			vaddr = rng_next(rng);
		else
			vaddr += (u64)(i64)(rng_below(rng, 129) - 64);
		u64 step = rng_chance(rng, 1, 100) ? rng_below(rng, 100000) : rng_below(rng, 4);
		icount[v] = icount[v] + step < end[v] ? icount[v] + step : icount[v];
		a[k] = (struct access){ icount[v], vaddr,
					(vaddr & 0xfff) | (vaddr >> 20 & 0xfffff000),
					sizes[rng_below(rng, ARRAY_SIZE(sizes))],
					rng_chance(rng, 1, 3), v };
	}
}

/* An interval of nvcpus vCPUs, from first[v] to end[v], with accesses a. */
static void memtrace_interval_vcpus(struct session *s, const struct access *a, size_t n,
				    unsigned nvcpus, const u64 *first, const u64 *end)
{
	s->host.nvcpus = nvcpus;
	interval_start_vcpus(s, first, end);
	for (size_t k = 0; k < n; k++) {
		on_vcpu(s, a[k].vcpu);
		s->p->on_mem(s->self, a[k].vcpu, a[k].icount, a[k].vaddr, a[k].paddr, a[k].size, 0,
			     a[k].write ? ENCORE_ACCESS_WRITE : 0);
	}
	CHECK(interval_finish(s) == 0, "interval: %s", s->err);
}

static void memtrace_interval(struct session *s, const struct access *a, size_t n, u64 first,
			      u64 end)
{
	memtrace_interval_vcpus(s, a, n, 1, &first, &end);
}

/* Decodes buf and compares with the accesses of intervals [from, to). */
static void check_decodes(const char *what, const char *buf, size_t len, struct access *const *a,
			  const size_t *n, unsigned from, unsigned to, bool paddr, unsigned nvcpus)
{
	FILE *f = fmemopen((void *)buf, len, "rb");
	struct memtrace_reader *r = memtrace_reader__open(f);
	struct memtrace_record rec;
	unsigned bad = 0;
	size_t total = 0;
	int rc = 0;
	for (unsigned i = from; i < to && !bad; i++)
		for (size_t k = 0; k < n[i] && !bad; k++, total++) {
			const struct access *x = &a[i][k];
			rc = memtrace_reader__next(r, &rec);
			bad += rc != 1 || rec.icount != x->icount || rec.vaddr != x->vaddr ||
			       rec.size != x->size || rec.write != x->write || rec.interval != i ||
			       rec.has_paddr != paddr || (paddr && rec.paddr != x->paddr) ||
			       rec.vcpu != x->vcpu;
		}
	if (!bad)
		rc = memtrace_reader__next(r, &rec);
	struct memtrace_span span = memtrace_reader__span(r);
	CHECK(!bad && rc == 0 && span.frames == to - from && span.first == from &&
	      span.last == to - 1 && span.count == 0 && span.nvcpus == nvcpus,
	      "%s: record %zu differs or the end is wrong (rc %d: %s)", what, total, rc,
	      memtrace_reader__error(r));
	memtrace_reader__close(r);
	fclose(f);
}

static int read_to_end(const void *buf, size_t len, char *err, size_t errlen, u64 *records);

/* Three intervals of nvcpus vCPUs taking turns, through the plugin and
 * back through the reader. */
static void test_memtrace_round_trip(struct rng *rng, bool paddr, unsigned nvcpus, u64 base)
{
	char group[80];
	snprintf(group, sizeof(group), "memtrace%s, %u vCPU%s, from icount %llu",
		 paddr ? " paddr=1" : "", nvcpus, nvcpus > 1 ? "s" : "", (unsigned long long)base);
	check_group(group);
	static const size_t n[3] = { 5000, 0, 400000 }; /* the last fills the buffer several times */
	static const u64 bounds[4] = { 1000, 500000, 600000, 90000000 };
	u64 vbounds[4][MAX_VCPUS];     /* vCPU v counts (v + 1) times as fast */
	for (unsigned i = 0; i < 4; i++)
		for (unsigned v = 0; v < nvcpus; v++)
			vbounds[i][v] = base + bounds[i] * (v + 1);
	struct access *a[3];
	const char *const opts[] = { "paddr", paddr ? "1" : "0", "level", "1", NULL };
	struct session s;
	session_open(&s, "memtrace", 3, opts);
	CHECK(session_check_options(&s) == 0, "options: %s", s.err);
	for (int i = 0; i < 3; i++) {
		a[i] = malloc((n[i] + 1) * sizeof(**a));
		make_accesses(rng, a[i], n[i], nvcpus, vbounds[i], vbounds[i + 1]);
		memtrace_interval_vcpus(&s, a[i], n[i], nvcpus, vbounds[i], vbounds[i + 1]);
	}
	size_t len;
	char *all = session_merge(&s, &len);
	check_decodes("all three", all, len, a, n, 0, 3, paddr, nvcpus);
	size_t len0;
	char *first = slurp(s.files[0], &len0);
	check_decodes("interval 0 alone", first, len0, a, n, 0, 1, paddr, nvcpus);
	size_t len2;
	char *third = slurp(s.files[2], &len2);
	char *swapped = malloc(len0 + len2);
	memcpy(swapped, third, len2);
	memcpy(swapped + len2, first, len0);
	char err[300];
	u64 records;
	CHECK(read_to_end(swapped, len0 + len2, err, sizeof(err), &records) == -1 &&
	      strstr(err, "out of order") && records == n[2], "intervals 2, 0: %s", err);
	free(swapped);
	free(third);
	/* These sizes come at random, so the format's contexts predict
	 * little (test_memtrace_prediction has a program's pattern). */
	CHECK(len < (n[0] + n[2]) * 10, "%zu bytes for %zu records", len, n[0] + n[2]);

	/* The same accesses give the same bytes. */
	struct session again;
	session_open(&again, "memtrace", 3, opts);
	memtrace_interval_vcpus(&again, a[0], n[0], nvcpus, vbounds[0], vbounds[1]);
	size_t len_again;
	char *bytes_again = slurp(again.files[0], &len_again);
	CHECK(len_again == len0 && !memcmp(bytes_again, first, len0), "deterministic bytes");
	free(bytes_again);
	session_close(&again);
	free(first);
	free(all);
	for (int i = 0; i < 3; i++)
		free(a[i]);
	session_close(&s);
}

/* Reads buf to the end: the last return of memtrace_reader__next. */
static int read_to_end(const void *buf, size_t len, char *err, size_t errlen, u64 *records)
{
	FILE *f = fmemopen((void *)buf, len ? len : 1, "rb");
	if (!len)
		fgetc(f);  /* fmemopen refuses size 0: read the one byte away */
	struct memtrace_reader *r = memtrace_reader__open(f);
	struct memtrace_record rec;
	int rc;
	*records = 0;
	while ((rc = memtrace_reader__next(r, &rec)) == 1)
		++*records;
	snprintf(err, errlen, "%s", memtrace_reader__error(r));
	memtrace_reader__close(r);
	fclose(f);
	return rc;
}

/* 1 if buf reads as exactly the accesses a, -1 if it reads with an
 * error, 0 if it reads without one as something else. */
static int same_records(const void *buf, size_t len, const struct access *a, size_t n)
{
	FILE *f = fmemopen((void *)buf, len, "rb");
	struct memtrace_reader *r = memtrace_reader__open(f);
	struct memtrace_record rec;
	size_t k = 0;
	bool same = true;
	int rc;
	while ((rc = memtrace_reader__next(r, &rec)) == 1) {
		same &= k < n && rec.icount == a[k].icount && rec.vaddr == a[k].vaddr &&
			rec.size == a[k].size && rec.write == a[k].write && rec.vcpu == a[k].vcpu;
		k++;
	}
	memtrace_reader__close(r);
	fclose(f);
	return rc < 0 ? -1 : same && k == n;
}

/* A zstd frame of the given content. */
static size_t compress_content(const u8 *content, size_t n, u8 *out, size_t cap)
{
	size_t z = ZSTD_compress(out, cap, content, n, 3);
	CHECK(!ZSTD_isError(z), "compress a crafted frame");
	return z;
}

/* A frame of interval 7 of a machine of two vCPUs, with two records of
 * vCPU 0 and then `tail`. */
static size_t crafted(u8 *out, size_t cap, const u8 *tail, size_t tail_len)
{
	u8 content[256], *p = content;
	struct memtrace_encoder e;
	static const u64 vfirst[2] = { 100, 50 }, vend[2] = { 200, 60 };
	static const struct encore_interval iv = { 7, 8, 150, 260, 2, vfirst, vend };
	p = memtrace__put_header(&e, p, &iv, false);
	p = memtrace__put(&e, p, 0, 101, 0x1000, 0, 8, true);
	p = memtrace__put(&e, p, 0, 101, 0x1008, 0, 8, false);
	memcpy(p, tail, tail_len);
	return compress_content(content, (size_t)(p - content) + tail_len, out, cap);
}

static void expect_error(const char *what, const void *buf, size_t len, const char *msg)
{
	char err[300];
	u64 records;
	int rc = read_to_end(buf, len, err, sizeof(err), &records);
	CHECK(rc == -1 && strstr(err, msg), "%s: rc %d after %llu records: %s (want '%s')", what,
	      rc, (unsigned long long)records, err, msg);
}

static void test_memtrace_damage(struct rng *rng)
{
	check_group("memtrace damage");
	u8 z[512];
	static const u8 good_end[] = { 0xf0, 2, 120 };
	size_t zn = crafted(z, sizeof(z), good_end, sizeof(good_end));
	char err[300];
	u64 records;
	CHECK(read_to_end(z, zn, err, sizeof(err), &records) == 0 && records == 2,
	      "crafted frame reads: %s", err);

	expect_error("empty", "", 0, "empty");
	static const u8 no_end[] = { 0 };
	expect_error("no end record", z, crafted(z, sizeof(z), no_end, 0), "no end record");
	static const u8 bad_count[] = { 0xf0, 3, 120 };
	expect_error("wrong count", z, crafted(z, sizeof(z), bad_count, 3), "has 2 records");
	static const u8 bad_tag[] = { 0xf5 };
	expect_error("unknown tag", z, crafted(z, sizeof(z), bad_tag, 1), "unknown record tag");
	/* vCPU 1's read 3 after its first icount 50, then vCPU 0's at 102. */
	static const u8 switches[] = { 0xf1, 1, 0x30, 0x00, 0xf1, 0, 0x10, 0x00, 0xf0, 4, 120 };
	CHECK(read_to_end(z, crafted(z, sizeof(z), switches, sizeof(switches)), err, sizeof(err),
			  &records) == 0 && records == 4, "vCPU records read: %s", err);
	static const u8 no_vcpu2[] = { 0xf1, 2, 0xf0, 2, 120 };
	expect_error("a vCPU the frame does not have", z,
		     crafted(z, sizeof(z), no_vcpu2, sizeof(no_vcpu2)), "a switch to vCPU 2");
	static const u8 same_vcpu[] = { 0xf1, 0, 0xf0, 2, 120 };
	expect_error("a switch to the vCPU already there", z,
		     crafted(z, sizeof(z), same_vcpu, sizeof(same_vcpu)), "a switch to vCPU 0");
	static const u8 cut_switch[] = { 0xf1 };
	expect_error("cut vCPU record", z, crafted(z, sizeof(z), cut_switch, 1), "inside a record");
	static const u8 cut_record[] = { 0x0e, 0x80 };
	expect_error("cut record", z, crafted(z, sizeof(z), cut_record, 2), "inside a record");
	static const u8 long_varint[] = { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					  0xff, 0xff, 0x01 };
	expect_error("long varint", z, crafted(z, sizeof(z), long_varint, 12), "longer than 64");
	static const u8 not_ours[] = "hello, world: this is not a memtrace";
	expect_error("bad magic", z, compress_content(not_ours, sizeof(not_ours), z, sizeof(z)),
		     "bad magic");
	expect_error("not zstd", not_ours, sizeof(not_ours), "corrupt compressed data");

	/* A real interval output, cut short anywhere or with a byte changed. */
	struct access *a = malloc(20000 * sizeof(*a));
	static const u64 first = 0, end = 1000000;
	make_accesses(rng, a, 20000, 1, &first, &end);
	struct session s;
	session_open(&s, "memtrace", 1, NULL);
	memtrace_interval(&s, a, 20000, 0, 1000000);
	size_t len;
	u8 *file = (u8 *)session_merge(&s, &len);
	unsigned missed = 0;
	for (unsigned k = 0; k < 200; k++) {
		size_t cut = rng_below(rng, len);
		missed += read_to_end(file, cut, err, sizeof(err), &records) != -1;
	}
	CHECK(!missed, "%u of 200 cut files read without an error", missed);
	/* A changed byte is an error, or one zstd does not need (the window
	 * size, say) and the records come out the same. */
	unsigned wrong = 0;
	for (unsigned k = 0; k < 200; k++) {
		u8 *copy = malloc(len);
		memcpy(copy, file, len);
		copy[rng_below(rng, len)] ^= (u8)(1 + rng_below(rng, 255));
		wrong += same_records(copy, len, a, 20000) == 0;
		free(copy);
	}
	CHECK(!wrong, "%u of 200 damaged files read as other records without an error", wrong);
	free(file);

	/* Random bytes after a good header: read to an end or an error (the
	 * sanitizer build checks that nothing is read out of bounds). */
	unsigned ended = 0;
	for (unsigned k = 0; k < 300; k++) {
		u8 content[MEMTRACE_HEADER_LEN + 16 + 64], packed[256];
		struct memtrace_encoder e;
		static const u64 vfirst[2] = { 0, 0 }, vend[2] = { 10, 10 };
		static const struct encore_interval iv = { 0, 1, 0, 20, 2, vfirst, vend };
		size_t head = (size_t)(memtrace__put_header(&e, content, &iv, k & 1) - content);
		size_t n = head + rng_below(rng, 64);
		rng_fill(rng, content + head, n - head);
		size_t zlen = compress_content(content, n, packed, sizeof(packed));
		ended += read_to_end(packed, zlen, err, sizeof(err), &records) == 0;
	}
	CHECK(ended < 30, "%u of 300 random frames read as valid", ended);
	free(a);
	session_close(&s);
}

/* ---- encore memtrace ---- */

/* Runs cmd_memtrace with stdout and stderr into temp files: its exit
 * status, and what it printed in *out and *err. */
static int run_cli(int argc, char **argv, char **out, char **err)
{
	FILE *o = tmpfile(), *e = tmpfile();
	fflush(stdout);
	fflush(stderr);
	int saved_out = dup(1), saved_err = dup(2);
	dup2(fileno(o), 1);
	dup2(fileno(e), 2);
	int rc = cmd_memtrace(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	*out = slurp(o, NULL);
	*err = slurp(e, NULL);
	fclose(o);
	fclose(e);
	return rc;
}

static void test_memtrace_cli(void)
{
	check_group("encore memtrace");
	static const struct access a[] = {
		{ 10, 0x1000, 0x5000, 8, true, 0 },
		{ 3, 0x2000, 0x9000, 4, false, 1 },
		{ 30, 0xffffffff81000000ull, 0x1000000, 1, false, 0 },
	};
	static const u64 first[2] = { 0, 0 }, end[2] = { 100, 50 };
	const char *const opts[] = { "paddr", "1", NULL };
	struct session s;
	session_open(&s, "memtrace", 1, opts);
	memtrace_interval_vcpus(&s, a, 3, 2, first, end);
	size_t len;
	char *bytes = session_merge(&s, &len);
	char *path = write_temp("");
	FILE *f = fopen(path, "wb");
	fwrite(bytes, 1, len, f);
	fclose(f);

	char *out, *err;
	char *plain[] = { "memtrace", path, NULL };
	CHECK(run_cli(2, plain, &out, &err) == 0 && !*err, "plain: %s", err);
	check_text("records", out,
		   "0 10 W 8 0000000000001000 0000000000005000\n"
		   "1 3 R 4 0000000000002000 0000000000009000\n"
		   "0 30 R 1 ffffffff81000000 0000000001000000\n");
	free(out);
	free(err);
	char *summary[] = { "memtrace", path, "--summary", "--limit", "2", NULL };
	CHECK(run_cli(5, summary, &out, &err) == 0 && !*err, "summary: %s", err);
	check_text("summary", out,
		   "intervals 0..0 (1 of them)\nvcpus 2\nrecords 2\nreads 1\nwrites 1\nbytes 12\n"
		   "bytes-read 4\nbytes-written 8\nvcpu0 records 1 icount 10..10\n"
		   "vcpu1 records 1 icount 3..3\n");
	free(out);
	free(err);
	char *whole[] = { "memtrace", path, "--summary", NULL };
	CHECK(run_cli(3, whole, &out, &err) == 0 && !*err && strstr(out, "\nrecords 3\n") &&
	      strstr(out, "\nvcpu0 records 2 icount 10..30\nvcpu1 records 1 icount 3..3\n"),
	      "summary of all: %s%s", out, err);
	free(out);
	free(err);

	/* A trace of format version 1 (before vCPUs): its 32-byte header, no
	 * records, the end record. */
	u8 v1[64], z[256];
	struct memtrace_encoder e;
	memtrace__put_header(&e, v1, &s.iv[0], false);
	v1[8] = 1;
	memset(v1 + 20, 0, 4);
	memcpy(v1 + MEMTRACE_HEADER_LEN, (const u8[]){ 0xf0, 0, 100 }, 3);
	size_t zn = compress_content(v1, MEMTRACE_HEADER_LEN + 3, z, sizeof(z));
	f = fopen(path, "wb");
	fwrite(z, 1, zn, f);
	fclose(f);
	CHECK(run_cli(2, plain, &out, &err) == 2 && !*out &&
	      strstr(err, "format version 1, from an encore before records named their vCPU; "
		     "this encore reads versions 2 to 4"), "a version 1 file exits 2: %s", err);
	free(out);
	free(err);

	f = fopen(path, "wb");
	fwrite(bytes, 1, len - 3, f);
	fclose(f);
	CHECK(run_cli(2, plain, &out, &err) == 2 && strstr(err, "cut short"),
	      "a cut file exits 2: %s", err);
	free(out);
	free(err);
	char *missing[] = { "memtrace", "/nonexistent/trace.zst", NULL };
	CHECK(run_cli(2, missing, &out, &err) == 2 && strstr(err, "/nonexistent/trace.zst"),
	      "a missing file exits 2: %s", err);
	free(out);
	free(err);
	char *bad_limit[] = { "memtrace", path, "--limit", "x", NULL };
	CHECK(run_cli(4, bad_limit, &out, &err) == 2 && strstr(err, "--limit"), "--limit x: %s",
	      err);
	free(out);
	free(err);
	unlink(path);
	free(path);
	free(bytes);
	session_close(&s);
}

/* A frame of format version 2, where every vaddr is taken from the
 * previous record's whatever its kind, still reads. */
static void test_memtrace_version2(void)
{
	check_group("memtrace version 2");
	struct encore_interval iv = { .index = 4, .count = 9, .nvcpus = 1, .first_icount = 100 };
	u64 first = 100;
	iv.vcpu_first_icount = &first;
	u8 frame[64], z[256];
	struct memtrace_encoder e;
	u8 *p = memtrace__put_header(&e, frame, &iv, false);
	frame[8] = 2;
	frame[16] = 9; /* versions 2 and 3 store the recording's interval count */
	static const u8 records[] = {
		0x13, 0x80, 0x40,       /* icount +1, read of 8, vaddr 0 + 0x1000 */
		0x2a, 0x20,             /* icount +2, write of 4, vaddr + 0x10 */
		0x10, 0x3f,             /* icount +1, read of 1, vaddr - 0x20 */
		0xf0, 3, 120,           /* the end: 3 records, icount 120 */
	};
	memcpy(p, records, sizeof(records));
	size_t zn = compress_content(frame, (size_t)(p - frame) + sizeof(records), z, sizeof(z));
	FILE *f = fmemopen(z, zn, "rb");
	struct memtrace_reader *r = memtrace_reader__open(f);
	struct memtrace_record rec[3];
	int rc[4];
	for (int k = 0; k < 3; k++)
		rc[k] = memtrace_reader__next(r, &rec[k]);
	rc[3] = memtrace_reader__next(r, &rec[0]);
	CHECK(rc[0] == 1 && rc[1] == 1 && rc[2] == 1 && rc[3] == 0, "read: %d %d %d %d: %s",
	      rc[0], rc[1], rc[2], rc[3], memtrace_reader__error(r));
	CHECK(rec[0].icount == 101 && rec[1].icount == 103 && rec[2].icount == 104 &&
	      rec[1].vaddr == 0x1010 && rec[1].write && rec[1].size == 4 &&
	      rec[2].vaddr == 0xff0 && rec[2].size == 1 && !rec[2].write,
	      "records: %llx %llx", (unsigned long long)rec[1].vaddr,
	      (unsigned long long)rec[2].vaddr);
	memtrace_reader__close(r);
	fclose(f);
}

/* A loop copying one array into another far away, with a counter on the
 * stack: each stream predicted from its own last address, a record takes
 * a tag and a one-byte delta before compression. */
static void test_memtrace_prediction(void)
{
	check_group("memtrace prediction");
	static const u64 first = 0;
	static const struct encore_interval iv = { .index = 0, .count = 1, .nvcpus = 1,
						   .vcpu_first_icount = &first };
	static struct memtrace_encoder e;
	enum { ITERATIONS = 10000 };
	u8 *buf = malloc(ITERATIONS * 3 * MEMTRACE_RECORD_MAX + 64), *p = buf;
	p = memtrace__put_header(&e, p, &iv, false);
	u8 *records = p;
	u64 icount = 0;
	for (u64 k = 0; k < ITERATIONS; k++) {
		p = memtrace__put(&e, p, 0, icount += 2, 0x7f0000001000ull + 8 * k, 0, 8, false);
		p = memtrace__put(&e, p, 0, icount += 1, 0x000055550000ull + 8 * k, 0, 8, true);
		p = memtrace__put(&e, p, 0, icount += 3, 0x7ffd0000ff00ull, 0, 4, true);
	}
	size_t len = (size_t)(p - records);
	CHECK(len <= 3 * ITERATIONS * 2 + 40, "%zu bytes for %d records", len, 3 * ITERATIONS);
	free(buf);
}

/* ---- zstd_writer: the compressing thread ---- */

/* Writes frames of the bytes in, split as a producer would split them,
 * through a writer with or without its thread; returns the file. */
static FILE *zstd_writer_output(const u8 *in, size_t n, size_t buf_size, bool threaded)
{
	FILE *f = tmpfile();
	char err[200] = "";
	struct zstd_writer *w = zstd_writer__create(f, 3, buf_size, err, sizeof(err));
	CHECK(w, "zstd_writer__create: %s", err);
	if (!w)
		return f;
	if (threaded)
		zstd_writer__start(w);
	size_t frame_end = n / 3, done = 0;
	while (done < n) {
		u8 *buf = zstd_writer__buffer(w);
		size_t k = n - done < buf_size ? n - done : buf_size;
		bool ends = false;
		if (done < frame_end && done + k >= frame_end) {
			k = frame_end - done;
			ends = true;
		}
		memcpy(buf, in + done, k);
		done += k;
		zstd_writer__submit(w, k, ends || done == n);
	}
	CHECK(zstd_writer__finish(w, err, sizeof(err)) == 0, "finish: %s", err);
	zstd_writer__destroy(w);
	return f;
}

static u8 *file_bytes(FILE *f, size_t *n)
{
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	rewind(f);
	u8 *p = malloc(*n + 1);
	if (fread(p, 1, *n, f) != *n)
		*n = 0;
	return p;
}

static void test_zstd_writer(struct rng *rng)
{
	check_group("zstd_writer");
	size_t n = 3u << 20;
	u8 *in = malloc(n);
	for (size_t k = 0; k < n; k++)    /* compressible, not trivially */
		in[k] = (u8)(rng_chance(rng, 1, 8) ? rng_next(rng) : k / 7);
	size_t na, nb, nd;
	FILE *a = zstd_writer_output(in, n, 4096, true);
	FILE *b = zstd_writer_output(in, n, 4096, false);
	u8 *pa = file_bytes(a, &na), *pb = file_bytes(b, &nb);
	CHECK(na == nb && na && !memcmp(pa, pb, na),
	      "threaded and inline outputs differ (%zu and %zu bytes)", na, nb);
	u8 *out = malloc(n + 1);
	nd = ZSTD_decompress(out, n + 1, pa, na);
	CHECK(!ZSTD_isError(nd) && nd == n && !memcmp(out, in, n),
	      "the two frames do not decompress to the input");
	fclose(a);
	fclose(b);
	free(pa);
	free(pb);
	free(out);

	/* A full disk is reported by finish, not lost. */
	FILE *full = fopen("/dev/full", "wb");
	if (full) {
		char err[200] = "";
		struct zstd_writer *w = zstd_writer__create(full, 3, 4096, err, sizeof(err));
		zstd_writer__start(w);
		for (int k = 0; k < 64; k++) {
			rng_fill(rng, zstd_writer__buffer(w), 4096);
			zstd_writer__submit(w, 4096, k == 63);
		}
		CHECK(zstd_writer__finish(w, err, sizeof(err)) == -1 &&
		      strstr(err, "cannot write"), "a write to /dev/full: \"%s\"", err);
		zstd_writer__destroy(w);
		fclose(full);
	}
	/* Destroyed with a buffer handed over and no finish: no leak, no hang. */
	FILE *f = tmpfile();
	char err[200];
	struct zstd_writer *w = zstd_writer__create(f, 3, 4096, err, sizeof(err));
	zstd_writer__start(w);
	rng_fill(rng, zstd_writer__buffer(w), 4096);
	zstd_writer__submit(w, 4096, false);
	zstd_writer__destroy(w);
	fclose(f);
	check_pass();
	free(in);
}

int main(void)
{
	struct rng rng;
	rng_seed(&rng, check_seed(0x9106));
	test_registry();
	test_icount();
	test_icount_errors();
	test_icount_vcpus();
	test_hotspots();
	test_hotspots_options();
	test_hotspots_many(&rng, false);
	test_hotspots_many(&rng, true);
	test_hotspots_vcpus();
	test_coverage();
	test_coverage_many(&rng);
	test_code_blocks();
	test_syscalls();
	test_syscalls_vcpus();
	test_syscalls_arm64();
	test_memtrace_round_trip(&rng, false, 1, 0);
	test_memtrace_round_trip(&rng, true, 2, 0);
	test_memtrace_round_trip(&rng, false, 3, 0);
	/* icounts far from 0, across 2^48 */
	test_memtrace_round_trip(&rng, false, 2, (1ull << 48) - 700000);
	test_memtrace_damage(&rng);
	test_memtrace_cli();
	test_memtrace_version2();
	test_memtrace_prediction();
	test_zstd_writer(&rng);
	check_group_end();
	return check_summary();
}
