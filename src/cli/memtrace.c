/*
 * encore memtrace: the memory accesses a `simulate --plugin memtrace`
 * recorded, as text, or a summary of them (docs/plugins.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "memtrace.h"
#include "plugins/memtrace_format.h"

struct memtrace_opts {
	const char *path;
	u64 limit;        /* records to read; 0 = all */
	bool summary;
};

/* A vCPU's records: how many, and the range of its own icounts. */
struct vcpu_summary {
	u64 records, first_icount, last_icount;
};

struct summary {
	u64 records, reads, writes, bytes_read, bytes_written;
	struct vcpu_summary vcpu[MEMTRACE_MAX_VCPUS];
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: encore memtrace FILE [--limit N] [--summary]\n"
		"\n"
		"Print the memory accesses in FILE, the output of the memtrace plugin\n"
		"(or any of its interval files), one a line:\n"
		"    VCPU ICOUNT R|W SIZE VADDR [PADDR]\n"
		"with the vCPU that made the access, that vCPU's own instruction count,\n"
		"and the addresses in hex (PADDR if recorded with paddr=1).\n"
		"\n"
		"  --limit N   stop after N records\n"
		"  --summary   print counts (records, reads, writes, bytes; per vCPU its\n"
		"              records and icount range) instead of the records\n"
		"  -h, --help  this help\n"
		"\n"
		"FILE - reads standard input.  Exit status: 0, or 2 if FILE is\n"
		"unreadable, cut short or corrupt (records before the damage are\n"
		"printed).\n");
}

static int parse(int argc, char **argv, struct memtrace_opts *o)
{
	enum { OPT_LIMIT = 256, OPT_SUMMARY };
	static const struct option longopts[] = {
		{ "limit", required_argument, 0, OPT_LIMIT },
		{ "summary", no_argument, 0, OPT_SUMMARY },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	memset(o, 0, sizeof(*o));
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_LIMIT:
			if (!cli_parse_count(optarg, &o->limit) || !o->limit) {
				fprintf(stderr, "encore memtrace: --limit %s: want a count above 0\n",
					optarg);
				return 2;
			}
			break;
		case OPT_SUMMARY: o->summary = true; break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "encore memtrace: give one file\n");
		return 2;
	}
	o->path = argv[optind];
	return 0;
}

static void print_record(const struct memtrace_record *r)
{
	printf("%u %llu %c %u %016llx", r->vcpu, (unsigned long long)r->icount,
	       r->write ? 'W' : 'R', r->size, (unsigned long long)r->vaddr);
	if (r->has_paddr)
		printf(" %016llx", (unsigned long long)r->paddr);
	putchar('\n');
}

static void count_record(struct summary *s, const struct memtrace_record *r)
{
	struct vcpu_summary *v = &s->vcpu[r->vcpu];   /* the reader checked it */
	s->records++;
	if (!v->records++)
		v->first_icount = v->last_icount = r->icount;
	if (r->icount < v->first_icount)
		v->first_icount = r->icount;
	if (r->icount > v->last_icount)
		v->last_icount = r->icount;
	if (r->write) {
		s->writes++;
		s->bytes_written += r->size;
	} else {
		s->reads++;
		s->bytes_read += r->size;
	}
}

static void print_summary(const struct summary *s, const struct memtrace_span *span)
{
	printf("intervals %u..%u", span->first, span->last);
	if (span->count) /* a trace of format 2 or 3 names the recording's count */
		printf(" of %u", span->count);
	if (span->frames != span->count)
		printf(" (%llu of them)", (unsigned long long)span->frames);
	printf("\nvcpus %u\n", span->nvcpus);
	printf("records %llu\nreads %llu\nwrites %llu\n", (unsigned long long)s->records,
	       (unsigned long long)s->reads, (unsigned long long)s->writes);
	printf("bytes %llu\nbytes-read %llu\nbytes-written %llu\n",
	       (unsigned long long)(s->bytes_read + s->bytes_written),
	       (unsigned long long)s->bytes_read, (unsigned long long)s->bytes_written);
	for (unsigned k = 0; k < span->nvcpus; k++) {
		const struct vcpu_summary *v = &s->vcpu[k];
		printf("vcpu%u records %llu", k, (unsigned long long)v->records);
		if (v->records)
			printf(" icount %llu..%llu", (unsigned long long)v->first_icount,
			       (unsigned long long)v->last_icount);
		putchar('\n');
	}
}

/* Reads (and prints or counts) the records: 0, or 2 on a damaged file. */
static int read_all(struct memtrace_reader *r, const struct memtrace_opts *o)
{
	struct summary s = { 0 };
	struct memtrace_record rec;
	int rc = 0;
	while ((!o->limit || s.records < o->limit) && (rc = memtrace_reader__next(r, &rec)) > 0) {
		count_record(&s, &rec);
		if (!o->summary)
			print_record(&rec);
	}
	fflush(stdout);
	if (rc < 0) {
		fprintf(stderr, "encore memtrace: %s: %s\n", o->path, memtrace_reader__error(r));
		return 2;
	}
	if (o->summary) {
		struct memtrace_span span = memtrace_reader__span(r);
		print_summary(&s, &span);
	}
	return 0;
}

int cmd_memtrace(int argc, char **argv)
{
	struct memtrace_opts o;
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : rc;
	FILE *f = strcmp(o.path, "-") ? fopen(o.path, "rb") : stdin;
	if (!f) {
		fprintf(stderr, "encore memtrace: %s: %s\n", o.path, strerror(errno));
		return 2;
	}
	struct memtrace_reader *r = memtrace_reader__open(f);
	if (!r) {
		fprintf(stderr, "encore memtrace: out of memory\n");
		rc = 2;
	} else {
		rc = read_all(r, &o);
		memtrace_reader__close(r);
	}
	if (f != stdin)
		fclose(f);
	return rc;
}
