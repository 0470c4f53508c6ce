/*
 * coverage: every distinct code address that executed, as a sorted list.
 *
 * Each interval follows decoded code (on_block_decoded, on_block_ran) at
 * the privilege levels asked for: a block's record lists its
 * instructions' addresses and how many of the first of them are in the
 * set already, so a run adds only the addresses it got further to (exact:
 * every instruction that began, also in runs cut short, also one that
 * faulted), and a block run again costs one compare.  encore counts
 * the runs in which nothing faulted by how far they got (count_runs),
 * without a call; at the interval's end each block adds the addresses
 * its furthest counted run reached.  The set is written
 * as an address list (addr_list.h, magic "enccov1\n").  The merge is their
 * union: one address a line, 16 hex digits, so that the text sorts as the
 * numbers do and `comm`/`diff` compare two runs.  Addresses are virtual:
 * the same user address in two processes is one line.
 */
#include <stdlib.h>
#include <string.h>

#include "addr_list.h"
#include "builtin.h"
#include "encore/errmsg.h"
#include "plugin_util.h"

#define NAME "coverage"
#define MAGIC "enccov1\n"

struct coverage {
	struct encore_plugin_env env;
	struct u64_table seen;     /* RIP -> anything */
	struct plugin_arena blocks;/* the cov_blocks */
	struct cov_block *list;    /* all of them, newest first */
	unsigned cpl_mask;         /* bit n: record CPL n */
	bool out_of_memory;
};

/* A decoded block: v[r - 1] the runs that began and retired r of its
 * instructions (its handle is v), v[n..2n) their addresses. */
struct cov_block {
	struct cov_block *next;
	unsigned ninsns;
	unsigned in_seen;          /* its first in_seen addresses are in seen */
	bool recorded;             /* at a CPL asked for */
	u64 v[];
};

static struct cov_block *cov_block_of(void *handle)
{
	return (struct cov_block *)((u8 *)handle - offsetof(struct cov_block, v));
}

/* cpl=kernel (CPL 0-2), user (CPL 3) or all: the CPL bit mask, or 0. */
static unsigned parse_cpl(const struct encore_plugin_options *o)
{
	const char *v = plugin_opts__get(o, "cpl", "all");
	if (!strcmp(v, "all"))
		return 0xf;
	if (!strcmp(v, "kernel"))
		return 0x7;
	if (!strcmp(v, "user"))
		return 0x8;
	return 0;
}

static int coverage_check_options(const struct encore_plugin_options *o,
				  const struct encore_plugin_host *host, void *host_ctx,
				  char *err, size_t errlen)
{
	static const char *const known[] = { "cpl", NULL };
	(void)host;
	(void)host_ctx;
	if (plugin_opts__check_known(o, known, err, errlen))
		return -1;
	if (!parse_cpl(o))
		return errmsg(err, errlen, "cpl=%s: want kernel, user or all",
			      plugin_opts__get(o, "cpl", ""));
	return 0;
}

static void *coverage_create(const struct encore_plugin_env *env, char *err, size_t errlen)
{
	struct coverage *s = calloc(1, sizeof(*s));
	if (!s || u64_table__init(&s->seen)) {
		free(s);
		errmsg(err, errlen, "out of memory");
		return NULL;
	}
	s->env = *env;
	s->cpl_mask = parse_cpl(env->options);
	return s;
}

static void coverage_destroy(void *self)
{
	struct coverage *s = self;
	u64_table__free(&s->seen);
	plugin_arena__free(&s->blocks);
	free(s);
}

/* Which vCPU ran an address does not matter: the set is their union. */
static void *coverage_block_decoded(void *self, unsigned vcpu, const struct encore_code_block *b)
{
	struct coverage *s = self;
	(void)vcpu;
	bool recorded = s->cpl_mask >> (b->cpl & 3) & 1;
	unsigned n = b->ninsns;
	/* A block at another CPL gets counts too (a NULL handle would have
	 * every run told), and no addresses. */
	struct cov_block *cb = plugin_arena__alloc(&s->blocks,
						   sizeof(*cb) + (recorded ? 2 : 1) * n * sizeof(u64));
	if (unlikely(!cb)) {
		s->out_of_memory = true;
		return NULL;
	}
	cb->next = s->list;
	s->list = cb;
	cb->ninsns = n;
	cb->in_seen = 0;
	cb->recorded = recorded;
	memset(cb->v, 0, n * sizeof(u64));
	if (recorded)
		code_block__rips(b, &cb->v[n]);
	return cb->v;
}

/* A run got further into block cb than any before: its new addresses. */
static __attribute__((noinline)) void cover_further(struct coverage *s, struct cov_block *cb,
						    unsigned started)
{
	if (started > cb->ninsns)
		started = cb->ninsns;
	for (unsigned k = cb->in_seen; k < started; k++)
		if (unlikely(!u64_table__value(&s->seen, cb->v[cb->ninsns + k])))
			s->out_of_memory = true;
	cb->in_seen = started;
}

static void coverage_block_ran(void *self, unsigned vcpu, u64 icount, void *block,
			       unsigned started, unsigned retired)
{
	(void)vcpu;
	(void)icount;
	(void)retired;
	if (unlikely(!block))
		return;
	struct cov_block *cb = cov_block_of(block);
	if (cb->recorded && started > cb->in_seen)
		cover_further(self, cb, started);
}

/* The addresses of the runs encore counted: as far as the furthest. */
static void cover_counted(struct coverage *s)
{
	for (struct cov_block *cb = s->list; cb; cb = cb->next) {
		unsigned r = cb->ninsns;
		while (r > cb->in_seen && !cb->v[r - 1])
			r--;
		if (cb->recorded && r > cb->in_seen)
			cover_further(s, cb, r);
	}
}

static int coverage_end(void *self, const struct encore_interval *iv, char *err, size_t errlen)
{
	struct coverage *s = self;
	(void)iv;
	cover_counted(s);
	if (s->out_of_memory)
		return errmsg(err, errlen, "out of memory collecting addresses");
	return addr_list__write(s->env.out, MAGIC, &s->seen, false, err, errlen);
}

static int coverage_merge(const struct encore_merge_input *in, FILE *out, char *err,
			  size_t errlen)
{
	struct u64_table all;
	struct u64_entry *e = NULL;
	char why[200];
	int rc = 0;
	if (u64_table__init(&all))
		return errmsg(err, errlen, "out of memory");
	for (unsigned i = 0; i < in->count && !rc; i++)
		if (addr_list__add(in->files[i], MAGIC, false, &all, why, sizeof(why)))
			rc = errmsg(err, errlen, "interval %u: %s", in->intervals[i].index,
				    why);
	if (!rc && u64_table__sorted(&all, &e))
		rc = errmsg(err, errlen, "out of memory");
	for (size_t i = 0; !rc && i < all.used; i++)
		fprintf(out, "%016llx\n", (unsigned long long)e[i].key);
	if (!rc && ferror(out))
		rc = errmsg(err, errlen, "cannot write the merged output");
	free(e);
	u64_table__free(&all);
	return rc;
}

const struct encore_plugin plugin_coverage = {
	.api_version = ENCORE_PLUGIN_API_VERSION,
	.name = NAME,
	.summary = "every distinct code address that executed, sorted",
	.options_help = "cpl=kernel|user|all: which privilege levels count (default all; "
			"kernel = CPL 0-2)\n",
	.suffix = "txt",
	.check_options = coverage_check_options,
	.create = coverage_create,
	.destroy = coverage_destroy,
	.interval_end = coverage_end,
	.on_block_decoded = coverage_block_decoded,
	.on_block_ran = coverage_block_ran,
	.count_runs = true,
	.merge_kind = ENCORE_MERGE_CUSTOM,
	.merge = coverage_merge,
};
