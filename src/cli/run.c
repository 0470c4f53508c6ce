/* encore run: boot a guest on the interpreter and run it to the end. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "guest.h"
#include "encore/run.h"
#include "encore/state_hash.h"

#define DEFAULT_MEM (256ull << 20)
#define INPUT_SLICE_INSNS 4000000ull /* poll the console about every 10 ms */
#define EXIT_PANIC_STATUS 1
#define EXIT_RESET_STATUS 3
#define EXIT_LIMIT_STATUS 124
#define EXIT_TRIPLE_STATUS 125
#define EXIT_ERROR_STATUS 126

struct run_opts {
	struct guest_opts guest;
	u64 max_insns;
	bool summary;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: encore run [options]\n"
		"\n"
		"Boot a guest on encore's x86-64 interpreter with its serial console on\n"
		"this terminal (Ctrl-A x quits).  Without --kernel, boots the default\n"
		"guest: Debian's kernel with a busybox initramfs (guest/build-guest.sh),\n"
		"from the guest/ directory beside the encore binary or $ENCORE_GUEST_DIR.\n"
		"\n"
		"  --kernel FILE     a Linux kernel (bzImage, or an uncompressed vmlinux\n"
		"                    ELF, which boots faster), or a freestanding x86-64\n"
		"                    ELF (bare-metal guest, see the README)\n"
		"  --initrd FILE     the initramfs for a Linux kernel\n"
		"  --append CMDLINE  the kernel command line (default \"%s\")\n"
		"  -m, --mem SIZE    guest RAM, e.g. 256M or 1G (default 256M)\n"
		"  --rtc base=WHEN   the wall-clock time at boot: utc (now, the default)\n"
		"                    or YYYY-MM-DD[THH:MM:SS] (UTC), for repeatable runs\n"
		"  --demo            run the built-in bare-metal demo guest\n"
		"  --max-insns N     stop after exactly N retired instructions (exit 124)\n"
		"  --summary         print instructions, wall time, MIPS and the final\n"
		"                    state hash on stderr\n"
		"  -h, --help        this help\n"
		"\n"
		"Exit status: 0 when the guest powers off (or halts with interrupts off);\n"
		"a bare-metal guest's own status (a 32-bit write to port 0xf4 ends the\n"
		"run with value & 0xff); 1 kernel panic; 3 the guest asked for a reset;\n"
		"124 instruction limit; 125 triple fault; 126 engine error or a guest\n"
		"halted forever; 2 bad usage or input.\n", GUEST_DEFAULT_APPEND);
}

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "encore run: bad %s '%s'\n", what, arg);
	return 2;
}

static int parse(int argc, char **argv, struct run_opts *o)
{
	enum { OPT_KERNEL = 256, OPT_INITRD, OPT_APPEND, OPT_RTC, OPT_DEMO, OPT_MAX_INSNS,
	       OPT_SUMMARY };
	static const struct option longopts[] = {
		{ "kernel", required_argument, 0, OPT_KERNEL },
		{ "initrd", required_argument, 0, OPT_INITRD },
		{ "append", required_argument, 0, OPT_APPEND },
		{ "mem", required_argument, 0, 'm' },
		{ "rtc", required_argument, 0, OPT_RTC },
		{ "demo", no_argument, 0, OPT_DEMO },
		{ "max-insns", required_argument, 0, OPT_MAX_INSNS },
		{ "summary", no_argument, 0, OPT_SUMMARY },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	*o = (struct run_opts){ .guest = { .mem = DEFAULT_MEM, .rtc_epoch = time(NULL) } };
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_KERNEL: o->guest.kernel = optarg; break;
		case OPT_INITRD: o->guest.initrd = optarg; break;
		case OPT_APPEND: o->guest.append = optarg; break;
		case OPT_DEMO: o->guest.demo = true; break;
		case OPT_RTC:
			if (!guest_parse_rtc(optarg, &o->guest.rtc_epoch))
				return bad("--rtc (want base=utc or base=YYYY-MM-DDTHH:MM:SS)", optarg);
			break;
		case 'm':
			if (!cli_parse_size(optarg, &o->guest.mem) || o->guest.mem < (1ull << 20))
				return bad("--mem (at least 1M)", optarg);
			break;
		case OPT_MAX_INSNS:
			if (!cli_parse_count(optarg, &o->max_insns) || !o->max_insns)
				return bad("--max-insns", optarg);
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
	if (o->guest.demo && o->guest.kernel) {
		fprintf(stderr, "encore run: --demo and --kernel exclude each other\n");
		return 2;
	}
	return 0;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One paragraph on how the run ended, and encore's exit status. */
static int report(struct encore_machine *m, const struct console *con, const struct run_result *r)
{
	double vt = (r->insns + m->idle_ns) / 1e9;
	if (con->panicked) {
		fprintf(stderr, "\nencore: the guest kernel panicked (\"%s\") after %llu instructions "
			"(%.3f s of virtual time); encore stopped it at RIP %#llx\n", con->panic_line,
			(unsigned long long)r->insns, vt, (unsigned long long)r->rip);
		return EXIT_PANIC_STATUS;
	}
	switch (r->outcome) {
	case RUN_STOPPED:
		return r->status;
	case RUN_POWERED_OFF:
		return 0;
	case RUN_LIMIT:
		fprintf(stderr, "\nencore: stopped at instruction limit %llu (RIP %#llx, %.3f s of "
			"virtual time)\n", (unsigned long long)r->insns, (unsigned long long)r->rip, vt);
		return EXIT_LIMIT_STATUS;
	case RUN_RESET:
		fprintf(stderr, "\nencore: the guest asked for a system reset (a reboot, or a panic "
			"with panic=N) after %llu instructions; encore does not reboot guests\n",
			(unsigned long long)r->insns);
		return EXIT_RESET_STATUS;
	case RUN_TRIPLE_FAULT:
		fprintf(stderr, "\nencore: triple fault: the guest faulted while delivering a double "
			"fault, at RIP %#llx after %llu instructions (%.3f s of virtual time); a real "
			"PC would reset here\n", (unsigned long long)r->rip,
			(unsigned long long)r->insns, vt);
		break;
	default:
		fprintf(stderr, "\nencore: %s, at RIP %#llx after %llu instructions (%.3f s of "
			"virtual time)\n", r->message, (unsigned long long)r->rip,
			(unsigned long long)r->insns, vt);
		break;
	}
	m->engine->ops->report(m->engine, stderr);
	return r->outcome == RUN_TRIPLE_FAULT ? EXIT_TRIPLE_STATUS : EXIT_ERROR_STATUS;
}

static void print_summary(struct encore_machine *m, const struct run_result *r, double dt)
{
	fprintf(stderr, "instructions: %llu\nvirtual-seconds: %.3f\nwall-seconds: %.3f\n"
		"guest-mips: %.1f\nstate-hash: %016llx\n", (unsigned long long)r->insns,
		(r->insns + m->idle_ns) / 1e9, dt, dt > 0 ? r->insns / dt / 1e6 : 0.0,
		(unsigned long long)machine__state_hash(m));
}

static void poll_console(void *opaque) { console__poll(opaque); }
static bool wait_console(void *opaque) { return console__wait(opaque); }
static u64 idle_console(void *opaque, u64 ns) { return console__idle(opaque, ns); }

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	int pr = parse(argc, argv, &o);
	if (pr)
		return pr == 1 ? 0 : pr;
	struct guest g;
	static struct console con;
	if (guest__create(&g, &o.guest, &con)) {
		guest__destroy(&g);
		return 2;
	}
	struct run_input in = { poll_console, wait_console, idle_console, &con, INPUT_SLICE_INSNS };
	double t0 = now_seconds();
	struct run_result r;
	machine__run(g.machine, o.max_insns, &in, &r);
	double dt = now_seconds() - t0;
	console__finish(&con);
	int status = report(g.machine, &con, &r);
	if (o.summary) {
		print_summary(g.machine, &r, dt);
		if (status == 0 || r.outcome == RUN_LIMIT)
			g.machine->engine->ops->report(g.machine->engine, stderr);
	}
	guest__destroy(&g);
	return status;
}
