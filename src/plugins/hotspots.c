/*
 * hotspots: the code addresses that executed the most instructions, over
 * the whole recording.
 *
 * Each interval follows decoded code (on_block_decoded, on_block_ran):
 * a block's record holds, for each r, how many runs retired exactly its
 * first r instructions (encore counts the runs in which nothing faulted,
 * count_runs; on_block_ran adds those a fault ended) and its
 * instructions' addresses; at the interval's end instruction k counts
 * the runs that retired more than k of them.  So the counts
 * add up to the instructions of the interval, as in icount: each
 * iteration of a REP string instruction is one instruction, and an
 * instruction that faults counts nothing until it completes; the plugin
 * checks that they add up, for the machine (counted runs are not told
 * per vCPU).  At the interval's end the blocks'
 * counts are summed per address and written as an address list
 * (addr_list.h, magic "enchot1\n").  The merge sums the lists and prints
 * the top N by count (ties: lower address first), each with its share of
 * all instructions and, given a System.map, its symbol.
 */
#include <stdlib.h>
#include <string.h>

#include "addr_list.h"
#include "builtin.h"
#include "encore/errmsg.h"
#include "plugin_util.h"
#include "system_map.h"

#define NAME "hotspots"
#define MAGIC "enchot1\n"
#define TOP_DEFAULT 50
#define TOP_MAX 100000000

/* A decoded block: v[r - 1] the runs that retired r of its
 * instructions (r = 1..n: its handle is v), v[n..2n) their addresses. */
struct hot_block {
	struct hot_block *next;    /* the instance's blocks, newest first */
	unsigned ninsns;
	u64 v[];
};

static struct hot_block *hot_block_of(void *handle)
{
	return (struct hot_block *)((u8 *)handle - offsetof(struct hot_block, v));
}

struct hotspots {
	struct encore_plugin_env env;
	struct u64_table counts;   /* RIP -> instructions, at the end */
	struct plugin_arena arena; /* the hot_blocks */
	struct hot_block *blocks;
	unsigned nvcpus;
	struct vcpu_check check;
	bool out_of_memory;
};

static int hotspots_check_options(const struct encore_plugin_options *o,
				  const struct encore_plugin_host *host, void *host_ctx,
				  char *err, size_t errlen)
{
	static const char *const known[] = { "top", "map", NULL };
	u64 top;
	(void)host;
	(void)host_ctx;
	if (plugin_opts__check_known(o, known, err, errlen) ||
	    plugin_opts__u64(o, "top", TOP_DEFAULT, 1, TOP_MAX, &top, err, errlen))
		return -1;
	const char *map = plugin_opts__get(o, "map", NULL);
	if (!map)
		return 0;
	/* Load it once now, so that a wrong path fails before hours of simulation. */
	struct system_map m;
	char why[256];
	if (system_map__load(&m, map, why, sizeof(why)))
		return errmsg(err, errlen, "map=%s: %s", map, why);
	system_map__free(&m);
	return 0;
}

static void hotspots_destroy(void *self)
{
	struct hotspots *s = self;
	if (!s)
		return;
	u64_table__free(&s->counts);
	plugin_arena__free(&s->arena);
	free(s);
}

static void *hotspots_create(const struct encore_plugin_env *env, char *err, size_t errlen)
{
	struct hotspots *s = calloc(1, sizeof(*s));
	if (s) {
		s->env = *env;
		s->nvcpus = env->interval->nvcpus;
	}
	if (!s || u64_table__init(&s->counts)) {
		hotspots_destroy(s);   /* a table never set up is all zero: free(NULL) */
		errmsg(err, errlen, "out of memory");
		return NULL;
	}
	return s;
}

static void *hotspots_block_decoded(void *self, unsigned vcpu, const struct encore_code_block *b)
{
	struct hotspots *s = self;
	(void)vcpu;
	unsigned n = b->ninsns;
	struct hot_block *hb = plugin_arena__alloc(&s->arena, sizeof(*hb) + 2 * n * sizeof(u64));
	if (unlikely(!hb)) {
		s->out_of_memory = true;
		return NULL;
	}
	hb->next = s->blocks;
	s->blocks = hb;
	hb->ninsns = n;
	memset(hb->v, 0, n * sizeof(u64));
	code_block__rips(b, &hb->v[n]);
	return hb->v;
}

static void hotspots_block_ran(void *self, unsigned vcpu, u64 icount, void *block,
			       unsigned started, unsigned retired)
{
	struct hotspots *s = self;
	(void)icount;
	(void)started;
	if (unlikely(!block || !vcpu_check__ok(&s->check, vcpu, s->nvcpus)))
		return;
	struct hot_block *hb = hot_block_of(block);
	if (unlikely(retired - 1 >= hb->ninsns)) { /* none, or more than it has */
		if (!retired)
			return;
		retired = hb->ninsns;
	}
	hb->v[retired - 1]++;
}

/* What the runs of every block retired. */
static u64 all_retired(const struct hotspots *s)
{
	u64 n = 0;
	for (const struct hot_block *hb = s->blocks; hb; hb = hb->next)
		for (unsigned r = 1; r <= hb->ninsns; r++)
			n += r * hb->v[r - 1];
	return n;
}

/* Every block's counts, into s->counts by address. */
static int sum_blocks(struct hotspots *s)
{
	for (const struct hot_block *hb = s->blocks; hb; hb = hb->next) {
		u64 n = 0; /* the runs that retired more than k instructions */
		for (unsigned k = hb->ninsns; k-- > 0;) {
			n += hb->v[k];
			if (!n)
				continue;
			u64 *v = u64_table__value(&s->counts, hb->v[hb->ninsns + k]);
			if (!v)
				return -1;
			*v += n;
		}
	}
	return 0;
}

/* The runs retired exactly the instructions of the interval. */
static int check_totals(const struct hotspots *s, const struct encore_interval *iv, char *err,
			size_t errlen)
{
	u64 want = 0, got = all_retired(s);
	for (unsigned v = 0; v < s->nvcpus; v++) {
		if (iv->vcpu_end_icount[v] == ENCORE_ICOUNT_UNKNOWN)
			return 0;
		want += iv->vcpu_end_icount[v] - iv->vcpu_first_icount[v];
	}
	if (got != want)
		return errmsg(err, errlen, "the runs of code retired %llu instructions, the vCPUs' "
			      "counts moved %llu", (unsigned long long)got,
			      (unsigned long long)want);
	return 0;
}

static int hotspots_end(void *self, const struct encore_interval *iv, char *err, size_t errlen)
{
	struct hotspots *s = self;
	if (vcpu_check__message(&s->check, s->nvcpus, err, errlen))
		return -1;
	if (s->out_of_memory || sum_blocks(s))
		return errmsg(err, errlen, "out of memory counting instructions");
	if (check_totals(s, iv, err, errlen))
		return -1;
	return addr_list__write(s->env.out, MAGIC, &s->counts, true, err, errlen);
}

/* ---- merge ---- */

static int by_count_then_addr(const void *a, const void *b)
{
	const struct u64_entry *x = a, *y = b;
	if (x->value != y->value)
		return x->value > y->value ? -1 : 1;
	return (x->key > y->key) - (x->key < y->key);
}

/* "12.34%" of total, rounded to the nearest hundredth, in integers so
 * that the text is the same on every host. */
static void format_percent(char *buf, size_t len, u64 part, u64 total)
{
	typedef unsigned __int128 u128;
	u64 bp = total ? (u64)(((u128)part * 20000 + total) / (2 * (u128)total)) : 0; /* 0.01% */
	snprintf(buf, len, "%llu.%02llu%%", (unsigned long long)(bp / 100),
		 (unsigned long long)(bp % 100));
}

static void print_row(FILE *out, unsigned rank, const struct u64_entry *e, u64 total,
		      const struct system_map *map)
{
	char pct[32];
	format_percent(pct, sizeof(pct), e->value, total);
	fprintf(out, "%6u %16llu %8s %016llx", rank, (unsigned long long)e->value, pct,
		(unsigned long long)e->key);
	if (map) {
		u64 off;
		const char *sym = system_map__lookup(map, e->key, &off);
		if (sym)
			fprintf(out, " %s+0x%llx", sym, (unsigned long long)off);
		else
			fprintf(out, " -");
	}
	fputc('\n', out);
}

static void print_top(FILE *out, struct u64_entry *e, size_t n, u64 top,
		      const struct system_map *map)
{
	u64 total = 0;
	for (size_t i = 0; i < n; i++)
		total += e[i].value;
	qsort(e, n, sizeof(*e), by_count_then_addr);
	size_t shown = n < top ? n : (size_t)top;
	fprintf(out, "# %llu instructions at %zu addresses; the top %zu\n",
		(unsigned long long)total, n, shown);
	fprintf(out, "%6s %16s %8s %s\n", "# rank", "instructions", "percent",
		map ? "address          symbol" : "address");
	for (size_t i = 0; i < shown; i++)
		print_row(out, (unsigned)(i + 1), &e[i], total, map);
}

static int sum_intervals(const struct encore_merge_input *in, struct u64_table *sum, char *err,
			 size_t errlen)
{
	char why[200];
	for (unsigned i = 0; i < in->count; i++)
		if (addr_list__add(in->files[i], MAGIC, true, sum, why, sizeof(why)))
			return errmsg(err, errlen, "interval %u: %s", in->intervals[i].index,
				      why);
	return 0;
}

static int load_map(const struct encore_merge_input *in, struct system_map *map, bool *have,
		    char *err, size_t errlen)
{
	const char *path = plugin_opts__get(in->options, "map", NULL);
	char why[256];
	if (path && system_map__load(map, path, why, sizeof(why)))
		return errmsg(err, errlen, "map=%s: %s", path, why);
	*have = path != NULL;
	return 0;
}

static int hotspots_merge(const struct encore_merge_input *in, FILE *out, char *err,
			  size_t errlen)
{
	u64 top;
	struct u64_table sum;
	struct u64_entry *e = NULL;
	struct system_map map;
	bool have_map = false;
	if (plugin_opts__u64(in->options, "top", TOP_DEFAULT, 1, TOP_MAX, &top, err, errlen))
		return -1;
	if (u64_table__init(&sum))
		return errmsg(err, errlen, "out of memory");
	int rc = sum_intervals(in, &sum, err, errlen);
	if (!rc && u64_table__sorted(&sum, &e))
		rc = errmsg(err, errlen, "out of memory");
	if (!rc)
		rc = load_map(in, &map, &have_map, err, errlen);
	if (!rc)
		print_top(out, e, sum.used, top, have_map ? &map : NULL);
	if (!rc && ferror(out))
		rc = errmsg(err, errlen, "cannot write the merged output");
	if (have_map)
		system_map__free(&map);
	free(e);
	u64_table__free(&sum);
	return rc;
}

const struct encore_plugin plugin_hotspots = {
	.api_version = ENCORE_PLUGIN_API_VERSION,
	.name = NAME,
	.summary = "the code addresses that retired the most instructions",
	.options_help = "top=N: how many addresses to list (default 50)\n"
			"map=PATH: a Linux System.map, to name addresses symbol+0xoff\n",
	.suffix = "txt",
	.check_options = hotspots_check_options,
	.create = hotspots_create,
	.destroy = hotspots_destroy,
	.interval_end = hotspots_end,
	.on_block_decoded = hotspots_block_decoded,
	.on_block_ran = hotspots_block_ran,
	.count_runs = true,
	.merge_kind = ENCORE_MERGE_CUSTOM,
	.merge = hotspots_merge,
};
