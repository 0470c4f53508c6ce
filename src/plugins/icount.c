/*
 * icount: instructions retired by privilege level, for every interval
 * and in all.
 *
 * Exact by construction (plugin_util.h, cpl_clock): an instruction counts
 * at the CPL of the block it is in, with blocks measured by icount
 * differences between block starts (not by on_block's ninsns, since a
 * fault or an interrupt can cut a block short).  Exceptions need no
 * callback: a handler always starts a block of its own, and a software
 * interrupt (INT n, INT3, INTO) counts at the CPL it was executed at even
 * though the interpreter retires it after delivering it.
 *
 * Interval file (text):          Merged (text table):
 *     encore-icount 1                interval  first_icount  user  kernel  total
 *     interval 3                     one row per interval, then a "total" row;
 *     first 1000                     cpl1 and cpl2 columns appear only if
 *     end 1100                       some instruction ran there.
 *     cpl0 28  ... cpl3 72
 */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "encore/errmsg.h"
#include "plugin_util.h"

#define NAME "icount"

struct icount {
	struct encore_plugin_env env;
	struct cpl_clock clock;
	u64 by_cpl[4];
};

static int icount_check_options(const struct encore_plugin_options *o,
				const struct encore_plugin_host *host, void *host_ctx, char *err,
				size_t errlen)
{
	static const char *const known[] = { NULL };
	(void)host;
	(void)host_ctx;
	return plugin_opts__check_known(o, known, err, errlen);
}

static void *icount_create(const struct encore_plugin_env *env, char *err, size_t errlen)
{
	if (!env->host || !env->host->regs) {
		errmsg(err, errlen, "needs the host's regs()");
		return NULL;
	}
	struct icount *s = calloc(1, sizeof(*s));
	if (!s) {
		errmsg(err, errlen, "out of memory");
		return NULL;
	}
	s->env = *env;
	return s;
}

static void icount_destroy(void *self)
{
	free(self);
}

static void icount_begin(void *self, const struct encore_interval *iv)
{
	struct icount *s = self;
	struct encore_regs r;
	plugin_host__regs(&s->env, &r);
	cpl_clock__begin(&s->clock, iv, r.cpl);
	memset(s->by_cpl, 0, sizeof(s->by_cpl));
}

static inline void advance(struct icount *s, u64 now)
{
	s->by_cpl[s->clock.cpl] += cpl_clock__advance(&s->clock, now);
}

static void icount_on_block(void *self, unsigned vcpu, u64 icount, u64 rip, unsigned ninsns,
			    unsigned cpl)
{
	struct icount *s = self;
	(void)vcpu;
	(void)rip;
	(void)ninsns;
	advance(s, icount);
	s->clock.cpl = cpl & 3;
}

static int icount_end(void *self, const struct encore_interval *iv, char *err, size_t errlen)
{
	struct icount *s = self;
	advance(s, iv->end_icount);
	if (cpl_clock__check(&s->clock, err, errlen))
		return -1;
	u64 total = s->by_cpl[0] + s->by_cpl[1] + s->by_cpl[2] + s->by_cpl[3];
	if (total != iv->end_icount - iv->first_icount)
		return errmsg(err, errlen, "counted %llu instructions in an interval of %llu",
			      (unsigned long long)total,
			      (unsigned long long)(iv->end_icount - iv->first_icount));
	fprintf(s->env.out, "encore-icount 1\ninterval %u\nfirst %llu\nend %llu\n", iv->index,
		(unsigned long long)iv->first_icount, (unsigned long long)iv->end_icount);
	for (unsigned cpl = 0; cpl < 4; cpl++)
		fprintf(s->env.out, "cpl%u %llu\n", cpl, (unsigned long long)s->by_cpl[cpl]);
	if (ferror(s->env.out) || fflush(s->env.out))
		return errmsg(err, errlen, "cannot write the interval's output");
	return 0;
}

/* ---- merge ---- */

struct row {
	unsigned index;
	u64 first, end, by_cpl[4];
};

static int read_row(FILE *f, const struct encore_interval *iv, struct row *r, char *err,
		    size_t errlen)
{
	unsigned long long v[7];
	int n = fscanf(f, "encore-icount 1 interval %u first %llu end %llu cpl0 %llu cpl1 %llu "
			  "cpl2 %llu cpl3 %llu", &r->index, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]);
	if (n != 7 || fscanf(f, " ") != 0 || getc(f) != EOF)
		return errmsg(err, errlen, "interval %u: malformed output", iv->index);
	r->first = v[0];
	r->end = v[1];
	for (int k = 0; k < 4; k++)
		r->by_cpl[k] = v[2 + k];
	u64 sum = r->by_cpl[0] + r->by_cpl[1] + r->by_cpl[2] + r->by_cpl[3];
	bool end_known = iv->end_icount != ENCORE_ICOUNT_UNKNOWN;
	if (r->index != iv->index || r->first != iv->first_icount ||
	    (end_known && r->end != iv->end_icount) || sum != r->end - r->first)
		return errmsg(err, errlen, "interval %u: output of another interval, or "
			      "counts that do not add up", iv->index);
	return 0;
}

/* The columns after "first_icount": user, kernel, CPL 1 and 2 if used. */
struct columns {
	unsigned n, cpl[4];
};

static void pick_columns(const struct row *total, struct columns *c)
{
	static const unsigned order[4] = { 3, 0, 1, 2 };
	c->n = 0;
	for (int k = 0; k < 4; k++)
		if (order[k] == 3 || order[k] == 0 || total->by_cpl[order[k]])
			c->cpl[c->n++] = order[k];
}

static void print_counts(FILE *out, const struct columns *c, const struct row *r)
{
	u64 sum = 0;
	for (unsigned k = 0; k < c->n; k++) {
		fprintf(out, " %16llu", (unsigned long long)r->by_cpl[c->cpl[k]]);
		sum += r->by_cpl[c->cpl[k]];
	}
	fprintf(out, " %16llu\n", (unsigned long long)sum);
}

static void print_table(FILE *out, const struct row *rows, unsigned n, const struct row *total)
{
	static const char *const heads[4] = { "kernel", "cpl1", "cpl2", "user" };
	struct columns c;
	pick_columns(total, &c);
	fprintf(out, "%8s %20s", "interval", "first_icount");
	for (unsigned k = 0; k < c.n; k++)
		fprintf(out, " %16s", heads[c.cpl[k]]);
	fprintf(out, " %16s\n", "total");
	for (unsigned i = 0; i < n; i++) {
		fprintf(out, "%8u %20llu", rows[i].index, (unsigned long long)rows[i].first);
		print_counts(out, &c, &rows[i]);
	}
	fprintf(out, "%8s %20s", "total", "-");
	print_counts(out, &c, total);
}

static int icount_merge(const struct encore_merge_input *in, FILE *out, char *err, size_t errlen)
{
	struct row *rows = calloc(in->count ? in->count : 1, sizeof(*rows));
	struct row total = { 0 };
	if (!rows)
		return errmsg(err, errlen, "out of memory");
	for (unsigned i = 0; i < in->count; i++) {
		if (read_row(in->files[i], &in->intervals[i], &rows[i], err, errlen)) {
			free(rows);
			return -1;
		}
		for (int k = 0; k < 4; k++)
			total.by_cpl[k] += rows[i].by_cpl[k];
	}
	print_table(out, rows, in->count, &total);
	free(rows);
	if (ferror(out))
		return errmsg(err, errlen, "cannot write the merged output");
	return 0;
}

const struct encore_plugin plugin_icount = {
	.api_version = ENCORE_PLUGIN_API_VERSION,
	.name = NAME,
	.summary = "instructions retired by privilege level (user, kernel), per interval and in all",
	.options_help = NULL,
	.suffix = "txt",
	.check_options = icount_check_options,
	.create = icount_create,
	.destroy = icount_destroy,
	.interval_begin = icount_begin,
	.interval_end = icount_end,
	.on_block = icount_on_block,
	.merge_kind = ENCORE_MERGE_CUSTOM,
	.merge = icount_merge,
};
