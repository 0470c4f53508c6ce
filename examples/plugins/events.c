/*
 * An example of an external encore plugin: a census of the events that
 * are not instructions.  It counts exceptions and interrupts by vector,
 * and device accesses by I/O port or MMIO page, per interval, and how
 * many of each kind every vCPU took, and leaves the merge to encore's
 * provided summed-counters merge.
 *
 * Build:  cc -shared -fPIC -O2 -Iinclude examples/plugins/events.c -o events.so
 * Run:    encore simulate REC --plugin ./events.so -o OUT   (OUT/events.txt)
 * Option: io=0 leaves out device accesses.
 */
#include <stdlib.h>
#include <string.h>

#include "encore/plugin.h"

#define PORTS 65536
#define MMIO_PAGES 4096  /* distinct MMIO pages remembered per interval */

/* What a vCPU took. */
struct vcpu_census {
	uint64_t exceptions, interrupts, io;
};

struct census {
	FILE *out;
	bool io;
	unsigned nvcpus;
	struct vcpu_census *vcpu;   /* [nvcpus] */
	uint64_t exceptions[256], interrupts[256];
	uint64_t port_reads[PORTS], port_writes[PORTS];
	uint64_t mmio_page[MMIO_PAGES], mmio_count[MMIO_PAGES];
	unsigned mmio_pages;
	uint64_t mmio_other;
};

static void destroy(void *self)
{
	struct census *c = self;
	if (c)
		free(c->vcpu);
	free(c);
}

static void *create(const struct encore_plugin_env *env, char *err, size_t n)
{
	struct census *c = calloc(1, sizeof(*c));
	unsigned nvcpus = env->interval->nvcpus;
	if (c)
		c->vcpu = calloc(nvcpus ? nvcpus : 1, sizeof(*c->vcpu));
	if (!c || !c->vcpu) {
		snprintf(err, n, "out of memory");
		destroy(c);
		return NULL;
	}
	c->out = env->out;
	c->nvcpus = nvcpus;
	c->io = strcmp(env->host->option(env->host_ctx, "io", "1"), "0") != 0;
	return c;
}

/* The callbacks name the vCPU: index the per-vCPU counts with it (it is
 * below the interval's nvcpus). */
static void on_exception(void *self, unsigned vcpu, uint64_t icount, uint64_t rip,
			 unsigned vector, int64_t error_code, bool external)
{
	struct census *c = self;
	(void)icount, (void)rip, (void)error_code;
	(external ? c->interrupts : c->exceptions)[vector & 255]++;
	if (vcpu < c->nvcpus) {
		if (external)
			c->vcpu[vcpu].interrupts++;
		else
			c->vcpu[vcpu].exceptions++;
	}
}

static void count_mmio(struct census *c, uint64_t addr)
{
	uint64_t page = addr >> 12;
	for (unsigned k = 0; k < c->mmio_pages; k++)
		if (c->mmio_page[k] == page) {
			c->mmio_count[k]++;
			return;
		}
	if (c->mmio_pages == MMIO_PAGES) {
		c->mmio_other++;
		return;
	}
	c->mmio_page[c->mmio_pages] = page;
	c->mmio_count[c->mmio_pages++] = 1;
}

static void on_io(void *self, unsigned vcpu, uint64_t icount, uint64_t addr, unsigned size,
		  uint64_t value, unsigned flags)
{
	struct census *c = self;
	(void)icount, (void)size, (void)value;
	if (!c->io)
		return;
	if (vcpu < c->nvcpus)
		c->vcpu[vcpu].io++;
	if (flags & ENCORE_ACCESS_MMIO)
		count_mmio(c, addr);
	else if (flags & ENCORE_ACCESS_WRITE)
		c->port_writes[addr & (PORTS - 1)]++;
	else
		c->port_reads[addr & (PORTS - 1)]++;
}

/* "KEY COUNT" lines, the format of ENCORE_MERGE_COUNTERS. */
static void put_vectors(FILE *f, const char *what, const uint64_t *v)
{
	for (unsigned k = 0; k < 256; k++)
		if (v[k])
			fprintf(f, "%s-%u %llu\n", what, k, (unsigned long long)v[k]);
}

static int interval_end(void *self, const struct encore_interval *iv, char *err, size_t n)
{
	struct census *c = self;
	(void)iv, (void)err, (void)n;
	fprintf(c->out, "# events: exceptions and interrupts by vector, device accesses\n");
	put_vectors(c->out, "exception", c->exceptions);
	put_vectors(c->out, "interrupt", c->interrupts);
	for (unsigned p = 0; p < PORTS; p++) {
		if (c->port_reads[p])
			fprintf(c->out, "port-%04x-read %llu\n", p, (unsigned long long)c->port_reads[p]);
		if (c->port_writes[p])
			fprintf(c->out, "port-%04x-write %llu\n", p,
				(unsigned long long)c->port_writes[p]);
	}
	for (unsigned k = 0; k < c->mmio_pages; k++)
		fprintf(c->out, "mmio-page-%llx %llu\n", (unsigned long long)c->mmio_page[k],
			(unsigned long long)c->mmio_count[k]);
	if (c->mmio_other)
		fprintf(c->out, "mmio-other-pages %llu\n", (unsigned long long)c->mmio_other);
	for (unsigned v = 0; v < c->nvcpus; v++) {
		const struct vcpu_census *k = &c->vcpu[v];
		if (k->exceptions)
			fprintf(c->out, "vcpu%u-exceptions %llu\n", v,
				(unsigned long long)k->exceptions);
		if (k->interrupts)
			fprintf(c->out, "vcpu%u-interrupts %llu\n", v,
				(unsigned long long)k->interrupts);
		if (k->io)
			fprintf(c->out, "vcpu%u-device-accesses %llu\n", v, (unsigned long long)k->io);
	}
	return 0;
}

const struct encore_plugin encore_plugin = {
	.api_version = ENCORE_PLUGIN_API_VERSION,
	.name = "events",
	.summary = "exceptions and interrupts by vector, device accesses by port or MMIO page, "
		   "and per vCPU",
	.options_help = "io=0: leave out device accesses",
	.suffix = "txt",
	.create = create,
	.destroy = destroy,
	.interval_end = interval_end,
	.on_exception = on_exception,
	.on_io = on_io,
	.merge_kind = ENCORE_MERGE_COUNTERS,
};
