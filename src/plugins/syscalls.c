/*
 * syscalls: a trace of the Linux system calls of every process (x86-64 or
 * arm64, whichever the guest is),
 * with the vCPU that made each call and how far the calling process had
 * got in user mode when it made it.
 *
 * "How far" = the instructions the address space had retired at CPL 3,
 * on all vCPUs together, before its SYSCALL instruction.  Each vCPU
 * counts its own exactly the way icount does (a cpl_clock per vCPU on
 * its own icount, plugin_util.h, moved at each change of privilege,
 * on_cpl_change, and at each call), into the count of the address space
 * it is in; CR3 can only change at CPL 0, so a vCPU's address space is
 * read (host vcpu_regs()) only when it enters CPL 3.  An
 * address space is CR3 without its PCID bits and without bit 12: Linux's
 * page-table isolation runs user mode on CR3 | 0x1000 and the kernel on
 * CR3.  On arm64 it is TTBR0_EL1's table address, without the ASID (which
 * Linux may give a process anew) and CnP.
 *
 * A vCPU's instructions since its last event are only seen at its next
 * one; so that a call sees those of the other vCPUs (threads of one
 * process on several vCPUs), the call first brings every other vCPU in
 * user mode up to where it stopped (its count from vcpu_regs(): it is
 * not running, and no instruction of it ran at another CPL since its
 * last on_cpl_change).
 *
 * Limitation: an address space is its page-table root, so a process
 * whose root page was freed and reused by a later process shares that
 * process's count (the later one starts where the earlier one stopped).
 *
 * An interval starts in the middle of the recording, so its counts start
 * at 0.  Interval file (text, hex without 0x except the counts):
 *     encore-syscalls 2 [ARCH]                     ARCH: absent for x86-64
 *     c VCPU ICOUNT AS USER NR A0 A1 A2 A3 A4 A5   a call; USER counted in this interval
 *     t AS USER                                    per address space, at the end
 * The merge adds to each call the "t" totals of the earlier intervals:
 *     VCPU ICOUNT AS USER NAME(0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5)
 * with USER counted since the start of the recording, and ICOUNT the
 * calling vCPU's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "encore/errmsg.h"
#include "plugin_util.h"
#include "syscall_names.h"
#include "syscall_names_arm64.h"
#include "encore/u64_table.h"

#define NAME "syscalls"

/* What a guest architecture's calls mean: names by number and the
 * address space a translation-table root names. */
struct syscall_abi {
	const char *arch;        /* env->arch */
	const char *header;      /* the interval file's first line */
	const char *const *names;
	size_t count;
	u64 (*address_space)(u64 root);
};

/* x86-64: CR3 without its PCID bits and bit 12 (page-table isolation). */
static u64 x86_address_space(u64 cr3)
{
	return cr3 & ~0x1fffull & ~(1ull << 63);
}

/* arm64: TTBR0_EL1's BADDR (bits 47:1), without the ASID and CnP. */
static u64 arm64_address_space(u64 ttbr0)
{
	return ttbr0 & 0x0000fffffffffffeull;
}

static const struct syscall_abi abis[] = {
	{ "x86_64", "encore-syscalls 2\n", syscall_names, ARRAY_SIZE(syscall_names),
	  x86_address_space },
	{ "arm64", "encore-syscalls 2 arm64\n", syscall_names_arm64,
	  ARRAY_SIZE(syscall_names_arm64), arm64_address_space },
};

static const struct syscall_abi *abi_of_arch(const char *arch)
{
	for (size_t k = 0; k < ARRAY_SIZE(abis); k++)
		if (arch && !strcmp(abis[k].arch, arch))
			return &abis[k];
	return NULL;
}

static const struct syscall_abi *abi_of_header(const char *line)
{
	for (size_t k = 0; k < ARRAY_SIZE(abis); k++)
		if (!strcmp(abis[k].header, line))
			return &abis[k];
	return NULL;
}

struct sys_vcpu {
	struct cpl_clock clock;
	bool in_user;            /* at CPL 3: its instructions go to `user` */
	struct u64_ref user;     /* its address space's count, while at CPL 3 */
};

struct syscalls {
	struct encore_plugin_env env;
	const struct syscall_abi *abi;
	unsigned nvcpus;
	struct sys_vcpu *vcpu;   /* [nvcpus] */
	struct u64_table user;   /* address space -> CPL 3 instructions in this interval */
	struct vcpu_check check;
	bool out_of_memory;
};

static int syscalls_check_options(const struct encore_plugin_options *o,
				  const struct encore_plugin_host *host, void *host_ctx,
				  char *err, size_t errlen)
{
	static const char *const known[] = { NULL };
	(void)host;
	(void)host_ctx;
	return plugin_opts__check_known(o, known, err, errlen);
}

static void syscalls_destroy(void *self)
{
	struct syscalls *s = self;
	if (!s)
		return;
	u64_table__free(&s->user);
	free(s->vcpu);
	free(s);
}

static void *syscalls_create(const struct encore_plugin_env *env, char *err, size_t errlen)
{
	if (!env->host || !env->host->vcpu_regs) {
		errmsg(err, errlen, "needs the host's vcpu_regs()");
		return NULL;
	}
	const struct syscall_abi *abi = abi_of_arch(env->arch);
	if (!abi) {
		errmsg(err, errlen, "has no system call table for a %s guest", env->arch);
		return NULL;
	}
	struct syscalls *s = calloc(1, sizeof(*s));
	if (s) {
		s->env = *env;
		s->abi = abi;
		s->nvcpus = env->interval->nvcpus;
		s->vcpu = calloc(s->nvcpus ? s->nvcpus : 1, sizeof(*s->vcpu));
	}
	if (!s || !s->vcpu || u64_table__init(&s->user)) {
		syscalls_destroy(s);   /* a table never set up is all zero: free(NULL) */
		errmsg(err, errlen, "out of memory");
		return NULL;
	}
	return s;
}

/* vCPU c is now at CPL cpl; at CPL 3, in the address space of cr3. */
static void enter(struct syscalls *s, struct sys_vcpu *c, unsigned cpl, u64 cr3)
{
	c->clock.cpl = cpl & 3;
	c->in_user = c->clock.cpl == 3;
	if (c->in_user && !u64_ref__set(&s->user, &c->user, s->abi->address_space(cr3)))
		s->out_of_memory = true;
}

/* vCPU v changes to CPL cpl: its CR3 is only needed (and read) for CPL 3. */
static void set_cpl(struct syscalls *s, unsigned v, unsigned cpl)
{
	struct encore_regs r = { .cr3 = 0 };
	if ((cpl & 3) == 3)
		plugin_host__vcpu_regs(&s->env, v, &r);
	enter(s, &s->vcpu[v], cpl, r.cr3);
}

/* vCPU c's instructions up to its icount `now` count at its CPL. */
static inline void advance(struct syscalls *s, struct sys_vcpu *c, u64 now)
{
	u64 n = cpl_clock__advance(&c->clock, now);
	if (!c->in_user)
		return;
	u64 *count = u64_ref__get(&s->user, &c->user);
	if (likely(count))
		*count += n;
	else
		s->out_of_memory = true;
}

static void syscalls_begin(void *self, const struct encore_interval *iv)
{
	struct syscalls *s = self;
	(void)iv; /* the same as s->env.interval */
	for (unsigned v = 0; v < s->nvcpus; v++) {
		struct encore_regs r;
		cpl_clock__begin(&s->vcpu[v].clock, &s->env, v, &r);
		enter(s, &s->vcpu[v], r.cpl, r.cr3);
	}
	fputs(s->abi->header, s->env.out);
}

static void syscalls_on_cpl_change(void *self, unsigned vcpu, u64 icount, unsigned cpl)
{
	struct syscalls *s = self;
	if (unlikely(!vcpu_check__ok(&s->check, vcpu, s->nvcpus)))
		return;
	advance(s, &s->vcpu[vcpu], icount);
	set_cpl(s, vcpu, cpl);
}

/* Every vCPU but `running` that is in user mode, up to where it stopped. */
static void catch_up_others(struct syscalls *s, unsigned running)
{
	for (unsigned v = 0; v < s->nvcpus; v++) {
		if (v == running || !s->vcpu[v].in_user)
			continue;
		struct encore_regs r;
		plugin_host__vcpu_regs(&s->env, v, &r);
		advance(s, &s->vcpu[v], r.icount);
	}
}

static void syscalls_on_syscall(void *self, unsigned vcpu, u64 icount, u64 rip, u64 nr,
				const u64 args[6], u64 cr3)
{
	struct syscalls *s = self;
	(void)rip;
	if (unlikely(!vcpu_check__ok(&s->check, vcpu, s->nvcpus)))
		return;
	advance(s, &s->vcpu[vcpu], icount);
	catch_up_others(s, vcpu);
	u64 as = s->abi->address_space(cr3);
	const u64 *count = u64_table__value(&s->user, as);
	if (!count) {
		s->out_of_memory = true;
		return;
	}
	fprintf(s->env.out, "c %u %llu %llx %llu %llx %llx %llx %llx %llx %llx %llx\n", vcpu,
		(unsigned long long)icount, (unsigned long long)as, (unsigned long long)*count,
		(unsigned long long)nr, (unsigned long long)args[0], (unsigned long long)args[1],
		(unsigned long long)args[2], (unsigned long long)args[3],
		(unsigned long long)args[4], (unsigned long long)args[5]);
}

static int write_totals(struct syscalls *s, char *err, size_t errlen)
{
	struct u64_entry *e;
	if (u64_table__sorted(&s->user, &e))
		return errmsg(err, errlen, "out of memory");
	for (size_t i = 0; i < s->user.used; i++)
		fprintf(s->env.out, "t %llx %llu\n", (unsigned long long)e[i].key,
			(unsigned long long)e[i].value);
	free(e);
	if (ferror(s->env.out) || fflush(s->env.out))
		return errmsg(err, errlen, "cannot write the interval's output");
	return 0;
}

static int syscalls_end(void *self, const struct encore_interval *iv, char *err, size_t errlen)
{
	struct syscalls *s = self;
	for (unsigned v = 0; v < s->nvcpus; v++)
		advance(s, &s->vcpu[v], iv->vcpu_end_icount[v]);
	if (vcpu_check__message(&s->check, s->nvcpus, err, errlen))
		return -1;
	for (unsigned v = 0; v < s->nvcpus; v++)
		if (cpl_clock__check(&s->vcpu[v].clock, err, errlen))
			return -1;
	if (s->out_of_memory)
		return errmsg(err, errlen, "out of memory counting instructions");
	return write_totals(s, err, errlen);
}

/* ---- merge ---- */

static bool is_digit_of(char c, int base)
{
	return (c >= '0' && c <= '9') || (base == 16 && c >= 'a' && c <= 'f');
}

/* Parses n numbers, each after one space, in the given bases, then the
 * end of the line; false if the text is anything else. */
static bool parse_numbers(const char *p, const int *bases, u64 *out, int n)
{
	for (int k = 0; k < n; k++) {
		char *end;
		if (*p++ != ' ' || !is_digit_of(*p, bases[k]))
			return false;
		errno = 0;
		out[k] = strtoull(p, &end, bases[k]);
		if (errno)
			return false;
		p = end;
	}
	return p[0] == '\n' && !p[1];
}

/* v: the numbers of a "c" line (vCPU, icount, address space, user, nr,
 * the arguments). */
static void print_call(FILE *out, const struct syscall_abi *abi, const u64 v[11], u64 user)
{
	u64 nr = v[4];
	fprintf(out, "%llu %llu %llx %llu ", (unsigned long long)v[0], (unsigned long long)v[1],
		(unsigned long long)v[2], (unsigned long long)user);
	if (nr < abi->count && abi->names[nr])
		fputs(abi->names[nr], out);
	else
		fprintf(out, "%llu", (unsigned long long)nr);
	fprintf(out, "(0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx)\n",
		(unsigned long long)v[5], (unsigned long long)v[6], (unsigned long long)v[7],
		(unsigned long long)v[8], (unsigned long long)v[9], (unsigned long long)v[10]);
}

/* One line of an interval file: a call, printed with its count since
 * the start (carried + this interval's), or a total, added to carried
 * (totals come last, so no call of this interval sees them). */
static int merge_line(const char *line, FILE *out, const struct syscall_abi *abi,
		      struct u64_table *carried, bool *in_totals)
{
	static const int call_bases[11] = { 10, 10, 16, 10, 16, 16, 16, 16, 16, 16, 16 };
	static const int total_bases[2] = { 16, 10 };
	u64 v[11];
	if (line[0] == 'c' && !*in_totals && parse_numbers(line + 1, call_bases, v, 11)) {
		const u64 *before = u64_table__find(carried, v[2]);
		print_call(out, abi, v, v[3] + (before ? *before : 0));
		return 0;
	}
	if (line[0] == 't' && parse_numbers(line + 1, total_bases, v, 2)) {
		*in_totals = true;
		u64 *sum = u64_table__value(carried, v[0]);
		if (!sum)
			return -1;
		*sum += v[1];
		return 0;
	}
	return -1;
}

/* One interval's file; *abi is the architecture the first file's header
 * named (NULL before it), and every other must name the same. */
static int merge_interval(FILE *f, FILE *out, const struct syscall_abi **abi,
			  struct u64_table *carried, unsigned index, char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	bool in_totals = false;
	int rc = 0;
	unsigned long lineno = 0;
	while (!rc && getline(&line, &cap, f) > 0) {
		lineno++;
		if (lineno == 1) {
			const struct syscall_abi *named = abi_of_header(line);
			if (named && *abi && named != *abi)
				rc = errmsg(err, errlen, "interval %u is of an %s guest, the "
					    "ones before of %s", index, named->arch,
					    (*abi)->arch);
			else if (named)
				*abi = named;
			else
				rc = errmsg(err, errlen, "interval %u, line 1: not an "
					    "encore-syscalls 2 header", index);
			continue;
		}
		if (merge_line(line, out, *abi, carried, &in_totals) != 0)
			rc = errmsg(err, errlen, "interval %u, line %lu: malformed", index,
				    lineno);
	}
	if (!rc && !lineno)
		rc = errmsg(err, errlen, "interval %u: empty output", index);
	free(line);
	return rc;
}

/* Whether the intervals are 0, 1, 2 ...: else the counts carried over
 * miss the instructions of the intervals left out. */
static bool from_the_start(const struct encore_merge_input *in)
{
	for (unsigned i = 0; i < in->count; i++)
		if (in->intervals[i].index != i)
			return false;
	return true;
}

static int syscalls_merge(const struct encore_merge_input *in, FILE *out, char *err,
			  size_t errlen)
{
	struct u64_table carried;   /* address space -> user instructions before this interval */
	if (u64_table__init(&carried))
		return errmsg(err, errlen, "out of memory");
	fprintf(out, "# vcpu icount address-space user-instructions call(arguments)\n");
	if (!from_the_start(in))
		fprintf(out, "# only some intervals were simulated: user instructions count "
			"those from interval %u on\n", in->intervals[0].index);
	int rc = 0;
	const struct syscall_abi *abi = NULL;
	for (unsigned i = 0; i < in->count && !rc; i++)
		rc = merge_interval(in->files[i], out, &abi, &carried, in->intervals[i].index,
				    err, errlen);
	if (!rc && ferror(out))
		rc = errmsg(err, errlen, "cannot write the merged output");
	u64_table__free(&carried);
	return rc;
}

const struct encore_plugin plugin_syscalls = {
	.api_version = ENCORE_PLUGIN_API_VERSION,
	.name = NAME,
	.summary = "Linux system call trace (x86-64, arm64): each call's vCPU and its "
		   "process's user instruction count",
	.options_help = NULL,
	.suffix = "txt",
	.check_options = syscalls_check_options,
	.create = syscalls_create,
	.destroy = syscalls_destroy,
	.interval_begin = syscalls_begin,
	.interval_end = syscalls_end,
	.on_cpl_change = syscalls_on_cpl_change,
	.on_syscall = syscalls_on_syscall,
	.merge_kind = ENCORE_MERGE_CUSTOM,
	.merge = syscalls_merge,
};
