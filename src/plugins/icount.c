/*
 * icount: instructions retired by privilege level, for every interval
 * and in all, per vCPU and for the whole machine.
 *
 * Exact by construction: each vCPU keeps a cpl_clock (plugin_util.h) that
 * starts at the vCPU's CPL and icount at the interval's start and moves
 * at each change of privilege (on_cpl_change) and at the interval's end,
 * so every instruction counts at the CPL it ran at, at a cost per change
 * of CPL rather than per block.  An instruction that changes the CPL
 * (SYSCALL, IRET, INT n ...) counts at the CPL it started at.  Each vCPU
 * is counted apart; the machine's counts are their sums.
 *
 * Interval file (text):          Merged (text tables):
 *     encore-icount 2                interval  first_icount  user  kernel  total
 *     interval 3                     one row per interval, then a "total" row;
 *     first 1000                     cpl1 and cpl2 columns appear only if
 *     end 1100                       some instruction ran there.  After a
 *     cpl0 28  ... cpl3 72           blank line, the same per vCPU:
 *     vcpus 2                        interval  vcpu  first_icount  user ...
 *     vcpu 0 first 500 end 560 cpl0 10 cpl1 0 cpl2 0 cpl3 50
 *     vcpu 1 first 500 end 540 cpl0 18 cpl1 0 cpl2 0 cpl3 22
 * The first lines are the machine's (the sums over the vCPUs); each vCPU
 * line has that vCPU's own icounts at the interval's ends.
 */
#include <stdlib.h>

#include "builtin.h"
#include "encore/errmsg.h"
#include "plugin_util.h"

#define NAME "icount"

#define HEADER "encore-icount 2"

struct icount_vcpu {
	struct cpl_clock clock;
	u64 by_cpl[4];
};

struct icount {
	struct encore_plugin_env env;
	unsigned nvcpus;
	struct icount_vcpu *vcpu;   /* [nvcpus] */
	struct vcpu_check check;
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

static void icount_destroy(void *self)
{
	struct icount *s = self;
	if (s)
		free(s->vcpu);
	free(s);
}

static void *icount_create(const struct encore_plugin_env *env, char *err, size_t errlen)
{
	struct icount *s = calloc(1, sizeof(*s));
	if (s) {
		s->env = *env;
		s->nvcpus = env->interval->nvcpus;
		s->vcpu = calloc(s->nvcpus ? s->nvcpus : 1, sizeof(*s->vcpu));
	}
	if (!s || !s->vcpu) {
		icount_destroy(s);
		errmsg(err, errlen, "out of memory");
		return NULL;
	}
	return s;
}

static void icount_begin(void *self, const struct encore_interval *iv)
{
	struct icount *s = self;
	(void)iv; /* the same as s->env.interval */
	for (unsigned v = 0; v < s->nvcpus; v++) {
		struct encore_regs r;
		cpl_clock__begin(&s->vcpu[v].clock, &s->env, v, &r);
	}
}

/* vCPU c's instructions up to its icount `now` count at its CPL. */
static void advance(struct icount_vcpu *c, u64 now)
{
	c->by_cpl[c->clock.cpl] += cpl_clock__advance(&c->clock, now);
}

static void icount_on_cpl_change(void *self, unsigned vcpu, u64 icount, unsigned cpl)
{
	struct icount *s = self;
	if (unlikely(!vcpu_check__ok(&s->check, vcpu, s->nvcpus)))
		return;
	struct icount_vcpu *c = &s->vcpu[vcpu];
	advance(c, icount);
	c->clock.cpl = cpl & 3;
}

static u64 sum4(const u64 *v)
{
	return v[0] + v[1] + v[2] + v[3];
}

/* Every vCPU's clock brought to its end, its events in order (a clock
 * that took them all covers its stretch exactly); 0, or -1 with err. */
static int check_counts(struct icount *s, const struct encore_interval *iv, char *err,
			size_t errlen)
{
	if (vcpu_check__message(&s->check, s->nvcpus, err, errlen))
		return -1;
	for (unsigned v = 0; v < s->nvcpus; v++) {
		struct icount_vcpu *c = &s->vcpu[v];
		advance(c, iv->vcpu_end_icount[v]);
		if (cpl_clock__check(&c->clock, err, errlen))
			return -1;
	}
	return 0;
}

static void write_counts(FILE *f, const u64 *by_cpl)
{
	for (unsigned cpl = 0; cpl < 4; cpl++)
		fprintf(f, "%scpl%u %llu", cpl ? " " : "", cpl, (unsigned long long)by_cpl[cpl]);
}

static int icount_end(void *self, const struct encore_interval *iv, char *err, size_t errlen)
{
	struct icount *s = self;
	u64 total[4] = { 0 };
	if (check_counts(s, iv, err, errlen))
		return -1;
	for (unsigned v = 0; v < s->nvcpus; v++)
		for (unsigned cpl = 0; cpl < 4; cpl++)
			total[cpl] += s->vcpu[v].by_cpl[cpl];
	if (sum4(total) != iv->end_icount - iv->first_icount)
		return errmsg(err, errlen, "counted %llu instructions in an interval of %llu",
			      (unsigned long long)sum4(total),
			      (unsigned long long)(iv->end_icount - iv->first_icount));
	FILE *f = s->env.out;
	fprintf(f, HEADER "\ninterval %u\nfirst %llu\nend %llu\n", iv->index,
		(unsigned long long)iv->first_icount, (unsigned long long)iv->end_icount);
	for (unsigned cpl = 0; cpl < 4; cpl++)
		fprintf(f, "cpl%u %llu\n", cpl, (unsigned long long)total[cpl]);
	fprintf(f, "vcpus %u\n", s->nvcpus);
	for (unsigned v = 0; v < s->nvcpus; v++) {
		fprintf(f, "vcpu %u first %llu end %llu ", v,
			(unsigned long long)iv->vcpu_first_icount[v],
			(unsigned long long)iv->vcpu_end_icount[v]);
		write_counts(f, s->vcpu[v].by_cpl);
		fputc('\n', f);
	}
	if (ferror(f) || fflush(f))
		return errmsg(err, errlen, "cannot write the interval's output");
	return 0;
}

/* ---- merge ---- */

/* A row of a merged table: an interval (or all) of the machine or a vCPU. */
struct row {
	unsigned index;
	u64 first, end, by_cpl[4];
};

/* The machine's rows, then each interval's vCPUs' (vrows[i * nvcpus + v]). */
struct tables {
	unsigned n, nvcpus;
	struct row *rows, *vrows;
	struct row total, *vtotal;   /* [nvcpus] */
};

static void row_set(struct row *r, unsigned index, const unsigned long long *v)
{
	r->index = index;
	r->first = v[0];
	r->end = v[1];
	for (int k = 0; k < 4; k++)
		r->by_cpl[k] = v[2 + k];
}

/* The row covers its stretch exactly, and starts (and if known, ends)
 * where the interval says. */
static bool row_fits(const struct row *r, u64 first, u64 end)
{
	return r->first == first && (end == ENCORE_ICOUNT_UNKNOWN || r->end == end) &&
	       sum4(r->by_cpl) == r->end - r->first;
}

/* The machine's counts are the sums of the vCPUs'. */
static bool vcpus_add_up(const struct row *r, const struct row *vr, unsigned nvcpus)
{
	for (unsigned cpl = 0; cpl < 4; cpl++) {
		u64 sum = 0;
		for (unsigned v = 0; v < nvcpus; v++)
			sum += vr[v].by_cpl[cpl];
		if (sum != r->by_cpl[cpl])
			return false;
	}
	return true;
}

static int read_vcpus(FILE *f, const struct encore_interval *iv, struct row *vr,
		      unsigned nvcpus)
{
	for (unsigned v = 0; v < nvcpus; v++) {
		unsigned index;
		unsigned long long x[6];
		if (fscanf(f, " vcpu %u first %llu end %llu cpl0 %llu cpl1 %llu cpl2 %llu cpl3 %llu",
			   &index, &x[0], &x[1], &x[2], &x[3], &x[4], &x[5]) != 7 || index != v)
			return -1;
		row_set(&vr[v], iv->index, x);
		if (!row_fits(&vr[v], iv->vcpu_first_icount[v], iv->vcpu_end_icount[v]))
			return -1;
	}
	return 0;
}

static int read_interval(FILE *f, const struct encore_interval *iv, struct tables *t,
			 unsigned i, char *err, size_t errlen)
{
	struct row *r = &t->rows[i], *vr = &t->vrows[(size_t)i * t->nvcpus];
	unsigned index, nvcpus;
	unsigned long long x[6];
	int n = fscanf(f, HEADER " interval %u first %llu end %llu cpl0 %llu cpl1 %llu cpl2 %llu "
			  "cpl3 %llu vcpus %u", &index, &x[0], &x[1], &x[2], &x[3], &x[4], &x[5],
		       &nvcpus);
	if (n != 8)
		return errmsg(err, errlen, "interval %u: malformed output", iv->index);
	row_set(r, index, x);
	if (index != iv->index || nvcpus != t->nvcpus || iv->nvcpus != t->nvcpus ||
	    !row_fits(r, iv->first_icount, iv->end_icount) || read_vcpus(f, iv, vr, nvcpus) ||
	    !vcpus_add_up(r, vr, nvcpus))
		return errmsg(err, errlen, "interval %u: output of another interval, or "
			      "counts that do not add up", iv->index);
	if (fscanf(f, " ") != 0 || getc(f) != EOF)
		return errmsg(err, errlen, "interval %u: malformed output", iv->index);
	for (unsigned k = 0; k < 4; k++) {
		t->total.by_cpl[k] += r->by_cpl[k];
		for (unsigned v = 0; v < nvcpus; v++)
			t->vtotal[v].by_cpl[k] += vr[v].by_cpl[k];
	}
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

static void print_head(FILE *out, const struct columns *c, bool vcpu)
{
	static const char *const heads[4] = { "kernel", "cpl1", "cpl2", "user" };
	fprintf(out, "%8s%s %20s", "interval", vcpu ? " vcpu" : "", "first_icount");
	for (unsigned k = 0; k < c->n; k++)
		fprintf(out, " %16s", heads[c->cpl[k]]);
	fprintf(out, " %16s\n", "total");
}

/* The machine's table, a blank line, then the vCPUs': each interval's
 * vCPUs in order, then a total row per vCPU.  Both have the columns the
 * machine's total needs. */
static void print_tables(FILE *out, const struct tables *t)
{
	struct columns c;
	pick_columns(&t->total, &c);
	print_head(out, &c, false);
	for (unsigned i = 0; i < t->n; i++) {
		fprintf(out, "%8u %20llu", t->rows[i].index, (unsigned long long)t->rows[i].first);
		print_counts(out, &c, &t->rows[i]);
	}
	fprintf(out, "%8s %20s", "total", "-");
	print_counts(out, &c, &t->total);
	fputc('\n', out);
	print_head(out, &c, true);
	for (unsigned i = 0; i < t->n; i++)
		for (unsigned v = 0; v < t->nvcpus; v++) {
			const struct row *r = &t->vrows[(size_t)i * t->nvcpus + v];
			fprintf(out, "%8u %4u %20llu", r->index, v, (unsigned long long)r->first);
			print_counts(out, &c, r);
		}
	for (unsigned v = 0; v < t->nvcpus; v++) {
		fprintf(out, "%8s %4u %20s", "total", v, "-");
		print_counts(out, &c, &t->vtotal[v]);
	}
}

static void tables_free(struct tables *t)
{
	free(t->rows);
	free(t->vrows);
	free(t->vtotal);
}

static int icount_merge(const struct encore_merge_input *in, FILE *out, char *err, size_t errlen)
{
	struct tables t = { .n = in->count, .nvcpus = in->count ? in->intervals[0].nvcpus : 0 };
	size_t cells = (size_t)t.n * t.nvcpus;
	t.rows = calloc(t.n ? t.n : 1, sizeof(*t.rows));
	t.vrows = calloc(cells ? cells : 1, sizeof(*t.vrows));
	t.vtotal = calloc(t.nvcpus ? t.nvcpus : 1, sizeof(*t.vtotal));
	int rc = 0;
	if (!t.rows || !t.vrows || !t.vtotal)
		rc = errmsg(err, errlen, "out of memory");
	for (unsigned i = 0; !rc && i < in->count; i++)
		rc = read_interval(in->files[i], &in->intervals[i], &t, i, err, errlen);
	if (!rc)
		print_tables(out, &t);
	tables_free(&t);
	if (!rc && ferror(out))
		rc = errmsg(err, errlen, "cannot write the merged output");
	return rc;
}

const struct encore_plugin plugin_icount = {
	.api_version = ENCORE_PLUGIN_API_VERSION,
	.name = NAME,
	.summary = "instructions retired by privilege level (user, kernel), per interval and in "
		   "all, per vCPU and for the machine",
	.options_help = NULL,
	.suffix = "txt",
	.check_options = icount_check_options,
	.create = icount_create,
	.destroy = icount_destroy,
	.interval_begin = icount_begin,
	.interval_end = icount_end,
	.on_cpl_change = icount_on_cpl_change,
	.merge_kind = ENCORE_MERGE_CUSTOM,
	.merge = icount_merge,
};
