/*
 * What the AArch64 differential tests share: see a64_diff_support.h.
 */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include "a64_diff_support.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arch/arm64/a64_exception.h"
#include "arch/arm64/a64_mem.h"
#include "arch/arm64/a64_sysreg.h"

/* ---- the rest of the protocol ---- */

#define PROTO_VERSION 1
#define CMD_DATA 0x41363444u
#define CMD_CASE 0x41363443u
#define CMD_FLUSH 0x41363446u
#define RESULT_MAGIC 0x41363452u
#define HELLO_MAGIC 0x41363448u

struct hello {
	u32 magic, version;
	u32 case_size, result_size;
	u64 code_base, code_size, data_addr;
	u32 data_size, max_insns;
};

struct result {
	u32 magic;
	u32 sig;
	u32 si_code;
	u32 ndiff;
	u64 fault_addr;
	u64 pc;
	u64 x[31];
	u64 sp;
	u64 nzcv;
};

_Static_assert(sizeof(struct hello) == 48, "hello layout");
_Static_assert(sizeof(struct result) == 296, "result layout");

/* Linux signal numbers and codes on arm64 (as the harness reports them). */
#define HSIGILL 4
#define HSIGTRAP 5
#define HSIGBUS 7
#define HSIGSEGV 11
#define HBUS_ADRALN 1


static const char *const out_names[] = { "done", "undefined", "alignment fault", "data abort",
					  "SP alignment fault", "other exception" };

static u8 g_base[DATA_SIZE]; /* the window at the start of every case */

/* ---- the QEMU side ---- */

static pid_t g_pid = -1;
static int g_to = -1;
static FILE *g_from;
static bool g_dead;
/* Both pipes hold a whole batch: the next batch can be sent before this
 * one's answers are read, so QEMU and encore run at once. */
static bool g_pipelined;
#define PIPE_BYTES (1 << 20)

static const char *harness_path(void)
{
	static char path[4096];
	const char *env = getenv("ENCORE_A64_HARNESS");
	if (env && *env)
		return env;
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 40);
	if (n <= 0)
		return "tests/arm64/diff_harness";
	path[n] = 0;
	char *slash = strrchr(path, '/');
	strcpy(slash ? slash + 1 : path, "arm64/diff_harness");
	return path;
}

/* Is `prog` runnable (a path, or found in PATH)? */
static bool runnable(const char *prog)
{
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	const char *p = getenv("PATH");
	char buf[4096];
	while (p && *p) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, p, prog);
		if (access(buf, X_OK) == 0)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

static void write_all(const void *p, size_t n)
{
	const u8 *b = p;
	while (n && !g_dead) {
		ssize_t w = write(g_to, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			g_dead = true;
			return;
		}
		b += w;
		n -= (size_t)w;
	}
}

static bool read_all(void *p, size_t n)
{
	if (g_dead || fread(p, 1, n, g_from) != n) {
		g_dead = true;
		return false;
	}
	return true;
}

static void qemu_start(void)
{
	const char *qemu = getenv("ENCORE_QEMU_AARCH64");
	const char *harness = harness_path();
	if (!qemu || !*qemu)
		qemu = "qemu-aarch64";
	if (!runnable(qemu))
		check_skip("%s not found (Debian: qemu-user)", qemu);
	if (access(harness, X_OK))
		check_skip("no harness at %s (needs aarch64-linux-gnu-gcc at build time)", harness);
	int to[2], from[2];
	if (pipe(to) || pipe(from)) {
		perror("pipe");
		exit(1);
	}
	signal(SIGPIPE, SIG_IGN);
	g_pid = fork();
	if (g_pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		/* No SVE: QEMU restores the Z registers from the signal frame
		 * after the V registers, which would undo the case's V0..V31. */
		execlp(qemu, qemu, "-cpu", "max,sve=off", harness, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", qemu, strerror(errno));
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	g_pipelined = fcntl(to[1], F_SETPIPE_SZ, PIPE_BYTES) >= PIPE_BYTES &&
		      fcntl(from[0], F_SETPIPE_SZ, PIPE_BYTES) >= PIPE_BYTES;
	g_to = to[1];
	g_from = fdopen(from[0], "rb");
	struct hello h;
	if (!read_all(&h, sizeof(h)) || h.magic != HELLO_MAGIC || h.version != PROTO_VERSION ||
	    h.case_size != sizeof(struct case_in) || h.result_size != sizeof(struct result) ||
	    h.code_base != CODE_BASE || h.code_size != CODE_SIZE || h.data_addr != DATA_ADDR ||
	    h.data_size != DATA_SIZE || h.max_insns != MAX_INSNS) {
		check_failf("harness", "%s under %s: no hello or another protocol", harness, qemu);
		g_dead = true;
		return;
	}
	u32 cmd = CMD_DATA;
	write_all(&cmd, 4);
	write_all(g_base, DATA_SIZE);
}

static void qemu_stop(void)
{
	if (g_to >= 0)
		close(g_to);
	if (g_from)
		fclose(g_from);
	if (g_pid > 0) {
		int st;
		waitpid(g_pid, &st, 0);
	}
}

static void qemu_send(const struct tcase *t, unsigned n)
{
	static u8 *buf;
	static size_t cap;
	size_t need = (size_t)n * (4 + sizeof(struct case_in) + 512 + 8) + 4, len = 0;
	if (need > cap) {
		cap = need;
		buf = realloc(buf, cap);
	}
	for (unsigned k = 0; k < n; k++) {
		u32 cmd = CMD_CASE;
		memcpy(buf + len, &cmd, 4);
		memcpy(buf + len + 4, &t[k].in, sizeof(t[k].in));
		len += 4 + sizeof(t[k].in);
		if (t[k].in.flags & CASE_VREGS) {
			memcpy(buf + len, t[k].v, 512);
			len += 512;
		}
		if (t[k].in.flags & CASE_FP) {
			memcpy(buf + len, t[k].fp, 8);
			len += 8;
		}
	}
	u32 cmd = CMD_FLUSH;
	memcpy(buf + len, &cmd, 4);
	write_all(buf, len + 4);
}

/* The state where the harness's run ended: a SIGILL outside the code (or
 * a fetch fault there) is where the code went; inside it, an undefined
 * instruction. */
static bool qemu_result(const struct tcase *t, struct outcome *o)
{
	struct result r;
	if (!read_all(&r, sizeof(r)) || r.magic != RESULT_MAGIC)
		return false;
	if ((t->in.flags & CASE_VREGS) && !read_all(o->v, 512))
		return false;
	if ((t->in.flags & CASE_FP) && !read_all(o->fp, 8))
		return false;
	memcpy(o->data, g_base, DATA_SIZE);
	memcpy(o->data + t->in.patch_off, t->in.patch, t->in.patch_len);
	for (u32 k = 0; k < r.ndiff; k++) {
		u32 d;
		if (!read_all(&d, 4) || (d >> 8) >= DATA_SIZE)
			return false;
		o->data[d >> 8] = (u8)d;
	}
	bool inside = r.pc >= t->in.pc && r.pc < t->in.pc + 4 * t->in.ninsns;
	memcpy(o->x, r.x, sizeof(o->x));
	o->sp = r.sp;
	o->nzcv = (u32)r.nzcv;
	o->pc = r.pc;
	o->far = 0;
	o->info = r.sig;
	if ((r.sig == HSIGILL && !inside) || (r.sig == HSIGSEGV && r.fault_addr == r.pc))
		o->kind = OUT_DONE;
	else if (r.sig == HSIGILL)
		o->kind = OUT_UNDEF;
	else if (r.sig == HSIGBUS && r.si_code == HBUS_ADRALN)
		o->kind = OUT_ALIGN;
	else if (r.sig == HSIGSEGV || r.sig == HSIGBUS)
		o->kind = OUT_DABT;
	else
		o->kind = OUT_OTHER;
	if (o->kind == OUT_ALIGN || o->kind == OUT_DABT)
		o->far = r.fault_addr;
	return true;
}

/* ---- the encore side ---- */

#define TABLE_PA 0x1000ull
#define VBAR 0x2000ull
#define NPAGES (CODE_SIZE >> 12)

static struct a64_cpu *g_cpu;
static u8 **g_pages;          /* the code region, page by page */
static u8 g_window[DATA_SIZE] __attribute__((aligned(4096)));
static u8 g_table[4096] __attribute__((aligned(4096)));
static unsigned g_stray;      /* accesses outside RAM (MMIO) in this case */

static u8 *ram_ptr(void *opaque, u64 pa)
{
	(void)opaque;
	if (pa >= DATA_ADDR && pa < DATA_ADDR + DATA_SIZE)
		return g_window + (pa - DATA_ADDR);
	if ((pa & ~0xfffull) == TABLE_PA)
		return g_table + (pa & 0xfff);
	if (pa < CODE_BASE || pa >= CODE_BASE + CODE_SIZE)
		return NULL;
	u64 k = (pa - CODE_BASE) >> 12;
	if (!g_pages[k] && !(g_pages[k] = calloc(1, 4096))) {
		perror("calloc");
		exit(1);
	}
	return g_pages[k] + (pa & 0xfff);
}

static void mmio(void *opaque, u64 pa, u8 *data, unsigned len, bool is_write)
{
	(void)opaque;
	(void)pa;
	(void)is_write;
	memset(data, 0, len);
	g_stray++;
}

static void sysreg(u32 key, u64 v)
{
	if (!a64_sysreg_write(g_cpu, key, v)) {
		fprintf(stderr, "cannot write system register %#x\n", key);
		exit(1);
	}
}

/*
 * EL0 with the MMU on: TTBR0 -> one L1 table at TABLE_PA whose entry 1
 * maps [1 GiB, 2 GiB) (code region and window) as a block of Normal
 * write-back memory, EL0 read/write/execute; T0SZ = 25 (39-bit VAs).
 */
static void encore_init(void)
{
	g_cpu = calloc(1, sizeof(*g_cpu));
	g_pages = calloc(NPAGES, sizeof(*g_pages));
	if (!g_cpu || !g_pages) {
		perror("calloc");
		exit(1);
	}
	g_cpu->bus = (struct a64_bus){ .ram_ptr = ram_ptr, .mmio = mmio };
	a64_sysreg_reset(g_cpu);
	u64 block = 0x40000000ull | 1 /* block */ | 1 << 2 /* AttrIndx 1 */ | 1 << 6 /* EL0 */ |
		    3 << 8 /* inner shareable */ | 1 << 10 /* AF */;
	memcpy(g_table + 8, &block, 8);
	sysreg(A64_SYSREG(3, 0, 10, 2, 0), 0xff00);                          /* MAIR: attr 1 WB */
	sysreg(A64_SYSREG(3, 0, 2, 0, 2), 25 | 1ull << 23 | 2ull << 30 | 2ull << 32); /* TCR */
	sysreg(A64_SYSREG(3, 0, 2, 0, 0), TABLE_PA);                         /* TTBR0 */
	sysreg(A64_SYSREG(3, 0, 1, 0, 2), 3ull << 20);                       /* CPACR: FPEN */
	u64 sctlr = (g_cpu->sys.sctlr_el1 | A64_SCTLR_M) &
		    ~(A64_SCTLR_A | A64_SCTLR_SA | A64_SCTLR_SA0);
	sysreg(A64_SYSREG(3, 0, 1, 0, 0), sctlr);
	g_cpu->sys.vbar_el1 = VBAR;
}

static void put_words(u64 pc, const u32 *w, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		memcpy(ram_ptr(NULL, pc + 4 * k), &w[k], 4);
}

static void encore_run(const struct tcase *t, struct outcome *o)
{
	struct a64_cpu *c = g_cpu;
	const struct case_in *in = &t->in;
	memcpy(c->x, in->x, sizeof(in->x));
	c->x[A64_XZR] = 0;
	c->x[A64_SP] = in->sp;
	c->el = 0;
	c->spsel = 0;
	c->daif = 0;
	c->il = 0;
	c->nzcv = (u32)in->nzcv & 0xf0000000u;
	c->monitor.open = false;
	if (in->flags & CASE_VREGS)
		memcpy(c->v, t->v, sizeof(t->v));
	else
		memset(c->v, 0, sizeof(c->v));
	if (in->flags & CASE_FP) {
		c->fpcr = t->fp[0];
		c->fpsr = t->fp[1];
	}
	c->pc = in->pc;
	c->sys.esr_el1 = c->sys.far_el1 = c->sys.elr_el1 = 0;
	put_words(in->pc, in->insn, in->ninsns);
	memcpy(g_window, g_base, DATA_SIZE);
	memcpy(g_window + in->patch_off, in->patch, in->patch_len);
	g_stray = 0;

	int r = A64_OK;
	for (unsigned step = 0; step < 64; step++) {
		if (c->pc < in->pc || c->pc >= in->pc + 4 * in->ninsns)
			break;
		r = a64_step(c);
		if (r == A64_EXC)
			break;
	}
	memcpy(o->x, c->x, sizeof(o->x));
	o->nzcv = c->nzcv;
	memcpy(o->v, c->v, sizeof(o->v));
	o->fp[0] = c->fpcr;
	o->fp[1] = c->fpsr;
	memcpy(o->data, g_window, DATA_SIZE);
	o->far = 0;
	o->info = 0;
	if (r != A64_EXC) {
		o->kind = g_stray ? OUT_OTHER : OUT_DONE;
		o->pc = c->pc;
		o->sp = c->x[A64_SP];
	} else {
		u32 esr = (u32)c->sys.esr_el1, ec = esr >> 26;
		o->info = esr;
		o->pc = c->sys.elr_el1;
		o->sp = c->sp_el0;
		if (ec == A64_EC_UNKNOWN)
			o->kind = OUT_UNDEF;
		else if (ec == A64_EC_DABT_LOWER && (esr & 0x3f) == 0x21)
			o->kind = OUT_ALIGN;
		else if (ec == A64_EC_DABT_LOWER)
			o->kind = OUT_DABT;
		else if (ec == A64_EC_SP_ALIGN)
			o->kind = OUT_SPALIGN;
		else
			o->kind = OUT_OTHER;
		if (o->kind == OUT_ALIGN || o->kind == OUT_DABT)
			o->far = c->sys.far_el1;
	}
	static const u32 zero[MAX_INSNS];
	put_words(in->pc, zero, in->ninsns);
}

/* ---- reports ---- */

/* A failure line, kept within its buffer. */
struct line {
	char s[4096];
	size_t n;
};

static void line_add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static csh g_cs;
static bool g_cs_ok;
static bool g_cs_tried;

static void disasm(const u32 *w, unsigned n, char *out, size_t len)
{
	size_t used = 0;
	out[0] = 0;
	/* Opened at the first failure: passing runs never need it. */
	if (!g_cs_tried) {
		g_cs_tried = true;
		g_cs_ok = cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &g_cs) == CS_ERR_OK;
	}
	for (unsigned k = 0; k < n && used < len; k++) {
		cs_insn *insn;
		size_t got = g_cs_ok ? cs_disasm(g_cs, (const u8 *)&w[k], 4, 0, 1, &insn) : 0;
		int m;
		if (got) {
			m = snprintf(out + used, len - used, "%s%s %s", k ? "; " : "",
				     insn->mnemonic, insn->op_str);
			cs_free(insn, got);
		} else {
			m = snprintf(out + used, len - used, "%s(capstone: ?)", k ? "; " : "");
		}
		if (m > 0)
			used += (size_t)m;
	}
}

static void line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	if (l->n >= sizeof(l->s) - 1)
		return;
	va_start(ap, fmt);
	int m = vsnprintf(l->s + l->n, sizeof(l->s) - l->n, fmt, ap);
	va_end(ap);
	if (m > 0)
		l->n += (size_t)m;
	if (l->n >= sizeof(l->s))
		l->n = sizeof(l->s) - 1;
}

static void reg_name(unsigned r, char *b)
{
	if (r == 31)
		strcpy(b, "sp");
	else
		sprintf(b, "x%u", r);
}

/* The inputs an instruction can read: the registers its usual fields name. */
static void add_inputs(struct line *l, const struct case_in *in)
{
	u32 seen = 0;
	line_add(l, " | in: pc=%#llx nzcv=%x", (unsigned long long)in->pc, (unsigned)(in->nzcv >> 28));
	for (unsigned k = 0; k < in->ninsns; k++) {
		static const unsigned shifts[4] = { 0, 5, 10, 16 };
		for (unsigned f = 0; f < 4; f++) {
			unsigned r = (in->insn[k] >> shifts[f]) & 31;
			if (seen >> r & 1)
				continue;
			seen |= 1u << r;
			char b[8];
			reg_name(r, b);
			line_add(l, " %s=%#llx", b, (unsigned long long)(r == 31 ? in->sp : in->x[r]));
		}
	}
	if (in->patch_len)
		line_add(l, " (window patched at +%#x, %u bytes)", in->patch_off, in->patch_len);
}

static void add_outcome(struct line *l, const char *who, const struct outcome *o)
{
	line_add(l, " %s: %s at %#llx", who, out_names[o->kind], (unsigned long long)o->pc);
	if (o->kind == OUT_ALIGN || o->kind == OUT_DABT)
		line_add(l, " far %#llx", (unsigned long long)o->far);
	if (o->kind != OUT_DONE)
		line_add(l, " (%s %#x)", strcmp(who, "qemu") ? "esr" : "signal", o->info);
	line_add(l, ";");
}


static bool add_vreg_differences(struct line *l, const struct outcome *q,
				 const struct outcome *e)
{
	bool bad = false;
	for (unsigned r = 0; r < 32; r++)
		if (memcmp(q->v[r], e->v[r], 16)) {
			u64 a[2], b[2];
			memcpy(a, q->v[r], 16);
			memcpy(b, e->v[r], 16);
			line_add(l, " | v%u: qemu %016llx%016llx encore %016llx%016llx", r,
				 (unsigned long long)a[1], (unsigned long long)a[0],
				 (unsigned long long)b[1], (unsigned long long)b[0]);
			bad = true;
		}
	return bad;
}

/* The first few bytes that differ, then how many did. */
static bool add_window_differences(struct line *l, const struct outcome *q,
				   const struct outcome *e)
{
	unsigned shown = 0;
	for (u32 k = 0; k < DATA_SIZE; k++)
		if (q->data[k] != e->data[k] && shown++ < 8)
			line_add(l, " | window+%#x: qemu %02x encore %02x", k, q->data[k],
				 e->data[k]);
	if (shown > 8)
		line_add(l, " | (%u window bytes differ)", shown);
	return shown > 0;
}

/* Add to `l` everything that differs between QEMU's outcome and encore's
 * (how the case ended, X, SP, NZCV, V with CASE_VREGS, the window, FPCR
 * and FPSR with CASE_FP); true if anything did. */
static bool differences(struct line *l, const struct tcase *t, const struct outcome *q,
			const struct outcome *e)
{
	bool bad = false;
	if (q->kind != e->kind || q->pc != e->pc || q->far != e->far) {
		line_add(l, " |");
		add_outcome(l, "qemu", q);
		add_outcome(l, "encore", e);
		bad = true;
	}
	for (unsigned r = 0; r < 31; r++)
		if (q->x[r] != e->x[r]) {
			line_add(l, " | x%u: qemu %#llx encore %#llx", r,
				 (unsigned long long)q->x[r], (unsigned long long)e->x[r]);
			bad = true;
		}
	if (q->sp != e->sp) {
		line_add(l, " | sp: qemu %#llx encore %#llx", (unsigned long long)q->sp,
			 (unsigned long long)e->sp);
		bad = true;
	}
	if (q->nzcv != e->nzcv) {
		line_add(l, " | nzcv: qemu %x encore %x", q->nzcv >> 28, e->nzcv >> 28);
		bad = true;
	}
	if ((t->in.flags & CASE_VREGS) && add_vreg_differences(l, q, e))
		bad = true;
	if (add_window_differences(l, q, e))
		bad = true;
	if ((t->in.flags & CASE_FP) && memcmp(q->fp, e->fp, 8)) {
		line_add(l, " | fpcr/fpsr: qemu %#x/%#x encore %#x/%#x (in %#x/%#x)", q->fp[0],
			 q->fp[1], e->fp[0], e->fp[1], t->fp[0], t->fp[1]);
		bad = true;
	}
	return bad;
}

/* Count the case as passed, or as failed with one line: the
 * instructions, their inputs and `diffs`. */
static void report(const char *tag, const struct tcase *t, const struct line *diffs, bool bad)
{
	if (!bad) {
		check_pass();
		return;
	}
	if (!check_fail())
		return;
	char dis[512];
	disasm(t->in.insn, t->in.ninsns, dis, sizeof(dis));
	printf("FAIL %s:", tag);
	for (unsigned k = 0; k < t->in.ninsns; k++)
		printf(" %08x", t->in.insn[k]);
	printf(" (%s)", dis);
	struct line in = { .n = 0 };
	add_inputs(&in, &t->in);
	printf("%s%s\n", in.s, diffs->s);
	fflush(stdout);
}

/* ---- both sides ---- */

/* QEMU with the harness (skips the test when either is missing) and the
 * encore CPU, both with the window in g_base. */
static void start_both(void)
{
	qemu_start();
	encore_init();
}

static void stop_both(void)
{
	qemu_stop();
	if (g_cs_ok)
		cs_close(&g_cs);
}

/* ---- the run ---- */

static struct a64_diff_family g_fams[1000];
static unsigned g_nfams;
static unsigned g_scale = 1;
static const char *g_only;
static unsigned long g_cases;

struct a64_diff_family *a64_diff__family(const char *name, u32 value, u32 mask,
					 a64_diff_fix_fn fix, unsigned base)
{
	if (g_nfams == ARRAY_SIZE(g_fams)) {
		fprintf(stderr, "too many families\n");
		exit(1);
	}
	struct a64_diff_family *f = &g_fams[g_nfams++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->value = value;
	f->mask = mask;
	f->fix = fix;
	f->base = base;
	return f;
}

static bool selected(const struct a64_diff_family *f)
{
	return !g_only || strstr(f->name, g_only);
}

/*
 * Cases go to QEMU in batches of at most BATCH_MAX: the pipes hold about
 * a thousand cases each way (PIPE_BYTES), and a batch being sent while
 * the previous one's answers wait unread must fit, or QEMU and this side
 * block on each other (ENCORE_DIFF_SCALE multiplies a family's cases
 * well past that).
 */
#define BATCH_MAX 400u

/* Some of a family's cases, from case number `first`, sent to QEMU and
 * waiting for its answers. */
struct batch {
	struct a64_diff_family *f;
	struct tcase *t;
	unsigned first, n;
};

/* Where the batches have got to: a family, and how many of its cases
 * have been sent. */
struct cursor {
	unsigned fam, sent;
};

/* Make and send the next batch of the selected families' cases; false
 * when all have gone. */
static bool send_next(const struct a64_diff_test *test, struct cursor *at, struct batch *b)
{
	while (at->fam < g_nfams && (!selected(&g_fams[at->fam]) ||
				     at->sent >= g_fams[at->fam].base * g_scale)) {
		at->fam++;
		at->sent = 0;
	}
	if (at->fam == g_nfams)
		return false;
	struct a64_diff_family *f = &g_fams[at->fam];
	unsigned left = f->base * g_scale - at->sent;
	b->f = f;
	b->first = at->sent;
	b->n = left < BATCH_MAX ? left : BATCH_MAX;
	b->t = calloc(b->n, sizeof(*b->t));
	if (!b->t) {
		perror("calloc");
		exit(1);
	}
	for (unsigned k = 0; k < b->n; k++)
		test->gen_case(f, &b->t[k]);
	qemu_send(b->t, b->n);
	at->sent += b->n;
	return true;
}

/* QEMU's answers to a batch against encore's runs of its cases. */
static void check_batch(const struct a64_diff_test *test, struct batch *b)
{
	static u8 qdata[DATA_SIZE], edata[DATA_SIZE];
	struct outcome q = { .data = qdata }, e = { .data = edata };
	if (!b->first)
		check_group(b->f->name);
	for (unsigned k = 0; k < b->n; k++) {
		const struct tcase *t = &b->t[k];
		unsigned num = b->first + k;
		if (!qemu_result(t, &q)) {
			check_failf(b->f->name, "the harness stopped answering (case %u)", num);
			break;
		}
		encore_run(t, &e);
		char tag[64];
		snprintf(tag, sizeof(tag), "%s#%u", b->f->name, num);
		struct line l = { .n = 0 };
		report(tag, t, &l, differences(&l, t, &q, &e));
		if (test->check)
			test->check(b->f, t, &q);
		b->f->outcomes[q.kind]++;
		b->f->ran++;
		g_cases++;
	}
	free(b->t);
	b->t = NULL;
}

/* Every selected family; the next batch goes out before this one's
 * answers are checked when the pipes allow. */
static void run_families(const struct a64_diff_test *test)
{
	struct batch cur = { 0 }, next = { 0 };
	struct cursor at = { 0, 0 };
	send_next(test, &at, &cur);
	while (cur.f && !g_dead) {
		if (g_pipelined)
			send_next(test, &at, &next);
		check_batch(test, &cur);
		if (!g_pipelined)
			send_next(test, &at, &next);
		cur = next;
		next = (struct batch){ 0 };
	}
	free(cur.t);
}

static void list_families(const struct a64_diff_test *test)
{
	for (unsigned k = 0; k < g_nfams; k++) {
		const struct a64_diff_family *f = &g_fams[k];
		const unsigned *o = f->outcomes;
		if (!selected(f))
			continue;
		printf("  %-*s %4u cases: %u done, %u undefined", test->list_width, f->name, f->ran,
		       o[OUT_DONE], o[OUT_UNDEF]);
		if (test->list_faults)
			printf(", %u alignment, %u abort", o[OUT_ALIGN], o[OUT_DABT]);
		printf("\n");
	}
}

static double cpu_seconds(const struct rusage *r)
{
	return (double)(r->ru_utime.tv_sec + r->ru_stime.tv_sec) +
	       (r->ru_utime.tv_usec + r->ru_stime.tv_usec) * 1e-6;
}

int a64_diff__main(const struct a64_diff_test *test)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	rng_seed(test->rng, check_seed(test->seed));
	g_scale = (unsigned)check_env_u64("ENCORE_DIFF_SCALE", 1);
	if (!g_scale)
		g_scale = 1;
	g_only = getenv("ENCORE_DIFF_ONLY");
	rng_fill(test->rng, g_base, sizeof(g_base));
	test->setup();

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	start_both();
	run_families(test);
	check_group_end();
	unsigned nfam = 0, min_ran = ~0u;
	for (unsigned k = 0; k < g_nfams; k++)
		if (selected(&g_fams[k])) {
			nfam++;
			if (g_fams[k].ran < min_ran)
				min_ran = g_fams[k].ran;
		}
	stop_both();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (check_env_u64("ENCORE_A64_LIST", 0))
		list_families(test);
	struct rusage self, qemu;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &qemu);
	printf("%lu cases in %u families (at least %u each) in %.1f s (CPU: %.1f s here, %.1f s "
	       "in QEMU)%s\n", g_cases, nfam, nfam ? min_ran : 0,
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9,
	       cpu_seconds(&self), cpu_seconds(&qemu),
	       g_pipelined ? "" : " (not pipelined: the pipes could not grow)");
	CHECK(g_cases > 0 && !g_dead, "cases ran against QEMU (%lu)", g_cases);
	return check_summary();
}
