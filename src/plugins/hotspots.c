/*
 * hotspots: the code addresses that executed the most instructions, over
 * the whole recording.
 *
 * Each interval counts instructions per RIP in a hash table (behind a
 * small cache of recent RIPs, which a loop keeps hitting) and writes
 * every (rip, count) pair as an address list (addr_list.h, magic
 * "enchot1\n").  An instruction counts what it retired, which is the
 * icount difference to the next on_insn of the same vCPU (or to the
 * vCPU's end of the interval): so the counts add up to the instructions
 * of the interval, as in icount, where each iteration of a REP string
 * instruction is one instruction, and an instruction that faults counts
 * nothing until it completes.  Each vCPU keeps its own previous
 * instruction, on its own icount: its turn may end inside a REP and the
 * other vCPUs' instructions in between are not its own.  The merge sums
 * the lists and prints the top N by count (ties: lower address first),
 * each with its share of all instructions and, given a System.map, its
 * symbol.
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

/* A vCPU's previous on_insn, whose count is not known until its next. */
struct hot_vcpu {
	u64 prev_rip;
	struct u64_entry *prev_slot; /* its cache slot, while that holds prev_rip */
	u64 prev_icount;
	bool has_prev;
};

struct hotspots {
	struct encore_plugin_env env;
	struct u64_table counts;   /* RIP -> instructions */
	struct u64_cache recent;   /* in front of counts */
	unsigned nvcpus;
	struct hot_vcpu *vcpu;     /* [nvcpus] */
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
	free(s->vcpu);
	free(s);
}

static void *hotspots_create(const struct encore_plugin_env *env, char *err, size_t errlen)
{
	struct hotspots *s = calloc(1, sizeof(*s));
	if (s) {
		s->env = *env;
		s->nvcpus = env->interval->nvcpus;
		s->vcpu = calloc(s->nvcpus ? s->nvcpus : 1, sizeof(*s->vcpu));
	}
	if (!s || !s->vcpu || u64_table__init(&s->counts)) {
		hotspots_destroy(s);   /* a table never set up is all zero: free(NULL) */
		errmsg(err, errlen, "out of memory");
		return NULL;
	}
	u64_cache__init(&s->recent);
	return s;
}

/* count_prev when another vCPU's instruction took the slot: the table. */
static __attribute__((noinline)) void count_prev_evicted(struct hotspots *s,
							 const struct hot_vcpu *h, u64 n)
{
	u64 *v = u64_table__value(&s->counts, h->prev_rip);
	if (unlikely(!v)) {
		s->out_of_memory = true;
		return;
	}
	*v += n;
}

/* Add n to the count of vCPU h's previous instruction: in its cache slot,
 * unless another vCPU's instruction took that slot since. */
static inline void count_prev(struct hotspots *s, struct hot_vcpu *h, u64 n)
{
	if (likely(h->prev_slot->key == h->prev_rip))
		h->prev_slot->value += n;
	else
		count_prev_evicted(s, h, n);
}

static void hotspots_on_insn(void *self, unsigned vcpu, u64 icount, u64 rip, const u8 *bytes,
			     unsigned len, unsigned cpl)
{
	struct hotspots *s = self;
	(void)bytes;
	(void)len;
	(void)cpl;
	if (unlikely(!vcpu_check__ok(&s->check, vcpu, s->nvcpus)))
		return;
	struct hot_vcpu *h = &s->vcpu[vcpu];
	/* The vCPU's previous instruction retired what its icount moved. */
	if (h->has_prev)
		count_prev(s, h, icount - h->prev_icount);
	h->prev_slot = u64_cache__slot(&s->recent, &s->counts, rip);
	h->prev_rip = rip;
	h->prev_icount = icount;
	h->has_prev = h->prev_slot != NULL;
	if (unlikely(!h->has_prev))
		s->out_of_memory = true;
}

/* Each vCPU's last instruction retired up to the vCPU's end. */
static int count_last(struct hotspots *s, const struct encore_interval *iv, char *err,
		      size_t errlen)
{
	for (unsigned v = 0; v < s->nvcpus; v++) {
		struct hot_vcpu *h = &s->vcpu[v];
		u64 end = iv->vcpu_end_icount[v];
		if (!h->has_prev)
			continue;
		if (end < h->prev_icount)
			return errmsg(err, errlen, "an instruction of vCPU %u at icount %llu, after "
				      "its end of the interval at %llu", v,
				      (unsigned long long)h->prev_icount, (unsigned long long)end);
		count_prev(s, h, end - h->prev_icount);
	}
	return 0;
}

static int hotspots_end(void *self, const struct encore_interval *iv, char *err, size_t errlen)
{
	struct hotspots *s = self;
	if (s->out_of_memory)
		return errmsg(err, errlen, "out of memory counting instructions");
	if (vcpu_check__message(&s->check, s->nvcpus, err, errlen) ||
	    count_last(s, iv, err, errlen))
		return -1;
	if (s->out_of_memory || u64_cache__flush(&s->recent, &s->counts))
		return errmsg(err, errlen, "out of memory counting instructions");
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
	.on_insn = hotspots_on_insn,
	.merge_kind = ENCORE_MERGE_CUSTOM,
	.merge = hotspots_merge,
};
