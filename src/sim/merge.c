/*
 * Merging interval outputs into one file per plugin (plugin_host.h):
 * the provided merges (concatenation, summed counters) and the call of a
 * plugin's own.  The merged file appears complete or not at all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin_host.h"

static int merge_concat(const struct encore_merge_input *in, FILE *out, char *err, size_t n)
{
	char buf[1 << 16];
	for (unsigned k = 0; k < in->count; k++) {
		size_t got;
		while ((got = fread(buf, 1, sizeof(buf), in->files[k])) > 0)
			if (fwrite(buf, 1, got, out) != got) {
				snprintf(err, n, "write failed: %s", strerror(errno));
				return -1;
			}
		if (ferror(in->files[k])) {
			snprintf(err, n, "reading interval %u failed", in->intervals[k].index);
			return -1;
		}
	}
	return 0;
}

/* ---- summed counters ---- */

struct counter {
	char *key;
	u64 sum;
};

struct counters {
	struct counter *order;     /* in order of first appearance */
	size_t count, cap;
	size_t *slots;             /* hash -> index + 1 */
	size_t nslots;
};

static u64 hash_str(const char *s)
{
	u64 h = 1469598103934665603ull;
	while (*s)
		h = (h ^ (u8)*s++) * 1099511628211ull;
	return h;
}

static int counters_grow(struct counters *c)
{
	size_t nslots = c->nslots ? c->nslots * 2 : 1024;
	size_t *slots = calloc(nslots, sizeof(*slots));
	struct counter *order = realloc(c->order, nslots / 2 * sizeof(*order));
	if (!slots || !order) {
		free(slots);
		if (order)
			c->order = order;
		return -1;
	}
	c->order = order;
	c->cap = nslots / 2;
	for (size_t k = 0; k < c->count; k++) {
		size_t at = hash_str(order[k].key) & (nslots - 1);
		while (slots[at])
			at = (at + 1) & (nslots - 1);
		slots[at] = k + 1;
	}
	free(c->slots);
	c->slots = slots;
	c->nslots = nslots;
	return 0;
}

static int counters_add(struct counters *c, const char *key, u64 v)
{
	if (c->count == c->cap && counters_grow(c))
		return -1;
	size_t at = hash_str(key) & (c->nslots - 1);
	for (; c->slots[at]; at = (at + 1) & (c->nslots - 1)) {
		struct counter *e = &c->order[c->slots[at] - 1];
		if (!strcmp(e->key, key)) {
			e->sum += v;
			return 0;
		}
	}
	char *copy = strdup(key);
	if (!copy)
		return -1;
	c->order[c->count] = (struct counter){ copy, v };
	c->slots[at] = ++c->count;
	return 0;
}

static void counters_free(struct counters *c)
{
	for (size_t k = 0; k < c->count; k++)
		free(c->order[k].key);
	free(c->order);
	free(c->slots);
}

/* "KEY COUNT": 1, a comment or blank: 0, anything else: -1. */
static int parse_counter(char *line, char **key, u64 *v)
{
	line[strcspn(line, "\n")] = 0;
	if (!line[0] || line[0] == '#')
		return 0;
	char *sp = strchr(line, ' ');
	if (!sp || sp == line || strchr(sp + 1, ' '))
		return -1;
	*sp = 0;
	char *end;
	errno = 0;
	*v = strtoull(sp + 1, &end, 10);
	if (errno || end == sp + 1 || *end || sp[1] == '-')
		return -1;
	*key = line;
	return 1;
}

static int read_counters(const struct encore_merge_input *in, unsigned k, struct counters *c,
			 FILE *out, char *err, size_t n)
{
	char line[4096];
	for (unsigned no = 1; fgets(line, sizeof(line), in->files[k]); no++) {
		char *key;
		u64 v;
		int kind = parse_counter(line, &key, &v);
		if (kind < 0) {
			snprintf(err, n, "interval %u, line %u: not \"KEY COUNT\"",
				 in->intervals[k].index, no);
			return -1;
		}
		if (kind == 0 && k == 0 && line[0])
			fprintf(out, "%s\n", line);
		if (kind == 1 && counters_add(c, key, v)) {
			snprintf(err, n, "out of memory");
			return -1;
		}
	}
	return 0;
}

static int merge_counters(const struct encore_merge_input *in, FILE *out, char *err, size_t n)
{
	struct counters c = { 0 };
	int rc = 0;
	for (unsigned k = 0; k < in->count && !rc; k++)
		rc = read_counters(in, k, &c, out, err, n);
	for (size_t k = 0; k < c.count && !rc; k++)
		fprintf(out, "%s %llu\n", c.order[k].key, (unsigned long long)c.order[k].sum);
	counters_free(&c);
	return rc;
}

/* ---- one plugin ---- */

static int run_merge(const struct sim_plugin *sp, struct encore_merge_input *in, FILE *out,
		     char *err, size_t n)
{
	switch (sp->p->merge_kind) {
	case ENCORE_MERGE_CONCAT: return merge_concat(in, out, err, n);
	case ENCORE_MERGE_COUNTERS: return merge_counters(in, out, err, n);
	default: return sp->p->merge(in, out, err, n);
	}
}

static int open_inputs(const struct sim_plugin *sp, const char *dir,
		       const struct encore_interval *iv, unsigned count, FILE **files, char *err,
		       size_t n)
{
	char path[4200];
	for (unsigned k = 0; k < count; k++) {
		plugin_set__interval_path(sp, dir, iv[k].index, path, sizeof(path));
		files[k] = fopen(path, "rb");
		if (!files[k]) {
			snprintf(err, n, "cannot read %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int merge_one(const struct sim_plugin *sp, const char *dir,
		     const struct encore_interval *iv, unsigned count, char *err, size_t n)
{
	FILE **files = calloc(count ? count : 1, sizeof(*files));
	char path[4200], tmp[4300], why[4600] = "";
	plugin_set__merged_path(sp, dir, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.partial", path);
	FILE *out = NULL;
	int rc = -1;
	if (!files)
		snprintf(why, sizeof(why), "out of memory");
	else if (!open_inputs(sp, dir, iv, count, files, why, sizeof(why)) &&
		 !(out = fopen(tmp, "wb")))
		snprintf(why, sizeof(why), "cannot write %s: %s", tmp, strerror(errno));
	if (out) {
		struct plugin_slot slot = { .plugin = sp };
		struct encore_merge_input in = { count, iv, files, &sp->options,
						 &plugin_host__options_only, &slot };
		rc = run_merge(sp, &in, out, why, sizeof(why));
		if (fclose(out) && !rc) {
			rc = -1;
			snprintf(why, sizeof(why), "writing %s failed: %s", tmp, strerror(errno));
		}
		if (!rc && rename(tmp, path)) {
			rc = -1;
			snprintf(why, sizeof(why), "cannot rename %s: %s", tmp, strerror(errno));
		}
		if (rc)
			unlink(tmp);
	}
	for (unsigned k = 0; files && k < count; k++)
		if (files[k])
			fclose(files[k]);
	free(files);
	if (rc)
		snprintf(err, n, "merging %s: %s", sp->label, why[0] ? why : "merge failed");
	return rc;
}

int plugin_set__merge(const struct plugin_set *s, const char *dir,
		      const struct encore_interval *intervals, unsigned count, char *err, size_t n)
{
	for (unsigned k = 0; k < s->count; k++)
		if (merge_one(&s->v[k], dir, intervals, count, err, n))
			return -1;
	return 0;
}
