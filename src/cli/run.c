/* encore run: boot a guest on the interpreter and run it to the end. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "encore/devices.h"
#include "encore/loader.h"
#include "encore/run.h"
#include "encore/state_hash.h"

#define DEFAULT_MEM (256ull << 20)
#define DEMO_LOAD_ADDR 0x100000ull
#define EXIT_LIMIT_STATUS 124
#define EXIT_TRIPLE_STATUS 125
#define EXIT_ERROR_STATUS 126

extern const u8 demo_guest_start[], demo_guest_end[];

struct run_opts {
	const char *kernel;
	u64 mem;
	u64 max_insns;
	bool summary;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: encore run [options]\n"
		"\n"
		"Run a guest on encore's x86-64 interpreter.  Without --kernel, runs the\n"
		"built-in demo guest.\n"
		"\n"
		"  --kernel FILE     a freestanding x86-64 ELF (bare-metal guest): PT_LOAD\n"
		"                    segments at their physical addresses, entry in 64-bit\n"
		"                    mode with the first 4 GiB identity-mapped\n"
		"  -m, --mem SIZE    guest RAM, e.g. 256M or 1G (default 256M)\n"
		"  --max-insns N     stop after exactly N retired instructions (exit 124)\n"
		"  --summary         print instructions, wall time, MIPS and the final\n"
		"                    state hash on stderr\n"
		"  -h, --help        this help\n"
		"\n"
		"Exit status: the guest's (a 32-bit write to port 0xf4 ends the run with\n"
		"value & 0xff); 124 instruction limit; 125 triple fault; 126 engine error\n"
		"or a guest halted forever; 2 bad usage or input.\n");
}

static int parse(int argc, char **argv, struct run_opts *o)
{
	enum { OPT_KERNEL = 256, OPT_MAX_INSNS, OPT_SUMMARY };
	static const struct option longopts[] = {
		{ "kernel", required_argument, 0, OPT_KERNEL },
		{ "mem", required_argument, 0, 'm' },
		{ "max-insns", required_argument, 0, OPT_MAX_INSNS },
		{ "summary", no_argument, 0, OPT_SUMMARY },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	*o = (struct run_opts){ .mem = DEFAULT_MEM };
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_KERNEL: o->kernel = optarg; break;
		case 'm':
			if (!cli_parse_size(optarg, &o->mem) || o->mem < (1ull << 20)) {
				fprintf(stderr, "encore run: bad --mem '%s' (at least 1M)\n", optarg);
				return 2;
			}
			break;
		case OPT_MAX_INSNS:
			if (!cli_parse_count(optarg, &o->max_insns) || !o->max_insns) {
				fprintf(stderr, "encore run: bad --max-insns '%s'\n", optarg);
				return 2;
			}
			break;
		case OPT_SUMMARY: o->summary = true; break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "encore run: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return 0;
}

static int load_guest(struct encore_machine *m, const struct run_opts *o, u64 *entry)
{
	char err[256];
	if (!o->kernel) {
		size_t n = demo_guest_end - demo_guest_start;
		memcpy(machine__ram_ptr(m, DEMO_LOAD_ADDR), demo_guest_start, n);
		*entry = DEMO_LOAD_ADDR;
		return 0;
	}
	if (elf__load(m, o->kernel, entry, err, sizeof(err))) {
		fprintf(stderr, "encore run: %s\n", err);
		return -1;
	}
	return 0;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int report(struct encore_machine *m, const struct run_result *r)
{
	switch (r->outcome) {
	case RUN_STOPPED:
		return r->status;
	case RUN_LIMIT:
		fprintf(stderr, "encore: stopped at instruction limit %llu (RIP %#llx)\n",
			(unsigned long long)r->insns, (unsigned long long)r->rip);
		return EXIT_LIMIT_STATUS;
	case RUN_TRIPLE_FAULT:
		fprintf(stderr, "encore: triple fault: the guest faulted while delivering a double "
			"fault, at RIP %#llx after %llu instructions; a real PC would reset here\n",
			(unsigned long long)r->rip, (unsigned long long)r->insns);
		break;
	default:
		fprintf(stderr, "encore: %s, at RIP %#llx after %llu instructions\n", r->message,
			(unsigned long long)r->rip, (unsigned long long)r->insns);
		break;
	}
	m->engine->ops->report(m->engine, stderr);
	return r->outcome == RUN_TRIPLE_FAULT ? EXIT_TRIPLE_STATUS : EXIT_ERROR_STATUS;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	int pr = parse(argc, argv, &o);
	if (pr)
		return pr == 1 ? 0 : pr;
	struct encore_machine *m = machine__create(o.mem);
	if (!m) {
		fprintf(stderr, "encore run: cannot allocate %llu bytes of guest RAM\n",
			(unsigned long long)o.mem);
		return 2;
	}
	struct encore_cpu_state s;
	u64 entry;
	struct uart16550 *uart = uart16550__init(m, COM1_PORT, stdout);
	debug_exit__init(m);
	if (load_guest(m, &o, &entry) || bare_metal__prepare(m, &s, entry)) {
		uart16550__destroy(uart);
		machine__destroy(m);
		return 2;
	}
	struct encore_engine *e = interp__create(m);
	e->ops->set_state(e, &s);
	double t0 = now_seconds();
	struct run_result r;
	machine__run(m, o.max_insns, NULL, &r);
	double dt = now_seconds() - t0;
	fflush(stdout);
	int status = report(m, &r);
	if (o.summary) {
		fprintf(stderr, "instructions: %llu\nwall-seconds: %.3f\nguest-mips: %.1f\n"
			"state-hash: %016llx\n", (unsigned long long)r.insns, dt,
			dt > 0 ? r.insns / dt / 1e6 : 0.0, (unsigned long long)machine__state_hash(m));
		if (r.outcome == RUN_STOPPED || r.outcome == RUN_LIMIT)
			e->ops->report(e, stderr); /* report() already printed it otherwise */
	}
	uart16550__destroy(uart);
	machine__destroy(m);
	return status;
}
