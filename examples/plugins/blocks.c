/*
 * An example of an external encore plugin that follows decoded code
 * (plugin API 3: on_block_decoded and on_block_ran): what the guest's
 * code looks like as encore runs it.  Per interval it counts the blocks
 * decoded and their lengths, the runs of blocks, how many ran to the end
 * of their block, and the instructions they began and retired, also per
 * vCPU; encore's summed-counters merge adds up the intervals.
 *
 * Build:  cc -shared -fPIC -O2 -Iinclude examples/plugins/blocks.c -o blocks.so
 * Run:    encore simulate REC --plugin ./blocks.so -o OUT   (OUT/blocks.txt)
 *
 * The retired counts add up to the interval's instructions exactly (each
 * REP iteration ends a run); interval_end checks it.
 */
#include <stdlib.h>

#include "encore/plugin.h"

#define MAX_LEN 64      /* longest block counted apart in the length table */
#define CHUNK 4096      /* block records per allocation */

/* The plugin's record of one decoded block: what on_block_ran gets back. */
struct block {
	unsigned ninsns;
};

struct chunk {
	struct chunk *next;
	unsigned used;
	struct block blocks[CHUNK];
};

struct stats {
	FILE *out;
	unsigned nvcpus;
	uint64_t *retired_by_vcpu;   /* [nvcpus] */
	struct chunk *chunks;        /* every record, freed in destroy */
	uint64_t decoded, by_length[MAX_LEN + 2];
	uint64_t runs, whole_runs, faulted_runs, started, retired;
	bool out_of_memory;
};

static void destroy(void *self)
{
	struct stats *s = self;
	if (!s)
		return;
	while (s->chunks) {
		struct chunk *next = s->chunks->next;
		free(s->chunks);
		s->chunks = next;
	}
	free(s->retired_by_vcpu);
	free(s);
}

static void *create(const struct encore_plugin_env *env, char *err, size_t n)
{
	struct stats *s = calloc(1, sizeof(*s));
	unsigned nvcpus = env->interval->nvcpus;
	if (s)
		s->retired_by_vcpu = calloc(nvcpus ? nvcpus : 1, sizeof(uint64_t));
	if (!s || !s->retired_by_vcpu) {
		snprintf(err, n, "out of memory");
		destroy(s);
		return NULL;
	}
	s->out = env->out;
	s->nvcpus = nvcpus;
	return s;
}

static struct block *new_record(struct stats *s)
{
	if (!s->chunks || s->chunks->used == CHUNK) {
		struct chunk *c = malloc(sizeof(*c));
		if (!c)
			return NULL;
		c->next = s->chunks;
		c->used = 0;
		s->chunks = c;
	}
	return &s->chunks->blocks[s->chunks->used++];
}

static void *on_block_decoded(void *self, unsigned vcpu, const struct encore_code_block *b)
{
	struct stats *s = self;
	(void)vcpu;
	struct block *r = new_record(s);
	if (!r) {
		s->out_of_memory = true;
		return NULL;
	}
	r->ninsns = b->ninsns;
	s->decoded++;
	s->by_length[b->ninsns <= MAX_LEN ? b->ninsns : MAX_LEN + 1]++;
	return r;
}

static void on_block_ran(void *self, unsigned vcpu, uint64_t icount, void *block,
			 unsigned started, unsigned retired)
{
	struct stats *s = self;
	const struct block *r = block;
	(void)icount;
	if (!r)
		return;
	s->runs++;
	s->whole_runs += retired == r->ninsns;
	s->faulted_runs += retired < started;
	s->started += started;
	s->retired += retired;
	if (vcpu < s->nvcpus)
		s->retired_by_vcpu[vcpu] += retired;
}

/* "KEY COUNT" lines, the format of ENCORE_MERGE_COUNTERS. */
static void put(FILE *f, const char *key, uint64_t v)
{
	fprintf(f, "%s %llu\n", key, (unsigned long long)v);
}

static int interval_end(void *self, const struct encore_interval *iv, char *err, size_t n)
{
	struct stats *s = self;
	if (s->out_of_memory) {
		snprintf(err, n, "out of memory");
		return -1;
	}
	for (unsigned v = 0; v < s->nvcpus; v++) {
		uint64_t want = iv->vcpu_end_icount[v] - iv->vcpu_first_icount[v];
		if (iv->vcpu_end_icount[v] != ENCORE_ICOUNT_UNKNOWN && s->retired_by_vcpu[v] != want) {
			snprintf(err, n, "vCPU %u retired %llu instructions in runs, %llu in all", v,
				 (unsigned long long)s->retired_by_vcpu[v], (unsigned long long)want);
			return -1;
		}
	}
	fprintf(s->out, "# blocks: decoded code and its runs\n");
	put(s->out, "blocks-decoded", s->decoded);
	put(s->out, "runs", s->runs);
	put(s->out, "runs-to-the-end", s->whole_runs);
	put(s->out, "runs-ended-by-a-fault", s->faulted_runs);
	put(s->out, "instructions-begun", s->started);
	put(s->out, "instructions-retired", s->retired);
	for (unsigned v = 0; v < s->nvcpus; v++) {
		char key[40];
		snprintf(key, sizeof(key), "vcpu%u-instructions-retired", v);
		put(s->out, key, s->retired_by_vcpu[v]);
	}
	for (unsigned l = 1; l <= MAX_LEN + 1; l++) {
		char key[40];
		if (!s->by_length[l])
			continue;
		if (l <= MAX_LEN)
			snprintf(key, sizeof(key), "blocks-of-%u", l);
		else
			snprintf(key, sizeof(key), "blocks-longer-than-%u", MAX_LEN);
		put(s->out, key, s->by_length[l]);
	}
	return 0;
}

const struct encore_plugin encore_plugin = {
	.api_version = ENCORE_PLUGIN_API_VERSION,
	.name = "blocks",
	.summary = "decoded blocks of code by length, their runs, and the instructions they "
		   "began and retired",
	.suffix = "txt",
	.create = create,
	.destroy = destroy,
	.interval_end = interval_end,
	.merge_kind = ENCORE_MERGE_COUNTERS,
	.on_block_decoded = on_block_decoded,
	.on_block_ran = on_block_ran,
};
