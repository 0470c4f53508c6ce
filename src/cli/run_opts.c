/* Parsing the options of encore run and encore record (run_opts.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "run_opts.h"

static void usage(FILE *f, bool record)
{
	if (record)
		fprintf(f,
			"usage: encore record -o REC [options]\n"
			"\n"
			"Run a guest like 'encore run' and record it into the directory REC\n"
			"(which must not exist, or be empty): the guest files, everything\n"
			"non-deterministic that enters the machine (console input, the boot\n"
			"time, real-time decisions, frames from --net), what the guest read\n"
			"from each --disk (so the replay needs no image), a checkpoint of the\n"
			"whole machine at the start, every --interval and at the end, and the\n"
			"console output.\n"
			"'encore replay REC' re-runs it exactly, from the start or from any\n"
			"checkpoint.  A recorder that is killed leaves a replayable prefix.\n"
			"If writing the recording fails (a full disk, a file-size limit),\n"
			"recording stops with a message naming the file and the reason, the\n"
			"guest runs on unrecorded until it exits, the recording keeps what\n"
			"was written (it replays as cut short), and the exit status is 2.\n"
			"\n"
			"  -o, --output REC  the recording directory to create\n"
			"  --interval N      checkpoint every N instructions (500M), or every N\n"
			"                    of virtual time (200ms, 2s; idle time counts, so an\n"
			"                    idle guest checkpoints at each wake-up); 0: only at\n"
			"                    the start and the end (default 200M; 1s on KVM)\n"
			"  --simulate SPEC   simulate the recording while it is written: each\n"
			"                    interval once its end checkpoint is stored, with the\n"
			"                    plugin SPEC (as encore simulate's --plugin; repeat\n"
			"                    for more); results in --simulate-out DIR (default\n"
			"                    REC.sim), its report in DIR/simulate.log\n"
			"  -j N              with --simulate: worker processes (default: the CPUs)\n");
	else
		fprintf(f,
			"usage: encore run [options]\n"
			"\n"
			"Boot a guest on encore's interpreter with its serial console on this\n"
			"terminal (Ctrl-A x quits).\n");
	fprintf(f,
		"\n"
		"Without --kernel, boots the default guest: Debian's kernel with a busybox\n"
		"initramfs (guest/build-guest.sh DIR builds one), from $ENCORE_GUEST_DIR\n"
		"if set, else ~/.cache/encore/guest ($XDG_CACHE_HOME/encore/guest), else\n"
		"the guest/ directory beside the encore binary; with --arch arm64, Debian's\n"
		"arm64 kernel (guest/build-guest-arm64.sh) from $ENCORE_ARM64_GUEST_DIR,\n"
		"else the cache's or the build tree's guest-arm64/.\n"
		"\n"
		"  --kernel FILE     a Linux kernel (bzImage, or an uncompressed vmlinux\n"
		"                    ELF, which boots faster; an arm64 Image), or a\n"
		"                    freestanding x86-64 or AArch64 ELF (bare-metal\n"
		"                    guest, see the README)\n"
		"  --arch NAME       the guest's architecture: x86_64 (a PC) or arm64 (an\n"
		"                    Arm board like QEMU's virt); default: the kernel's,\n"
		"                    else x86_64\n"
		"  --initrd FILE     the initramfs for a Linux kernel\n"
		"  --append CMDLINE  the kernel command line (default \"%s\")\n"
		"  -m, --mem SIZE    guest RAM, e.g. 256M or 1G (default 256M)\n"
		"  --smp N           N virtual CPUs, 1 to %u (default 1); they take turns\n"
		"                    on one host thread, deterministically\n"
		"  --rtc base=WHEN   the wall-clock time at boot: utc (now, the default)\n"
		"                    or YYYY-MM-DD[THH:MM:SS] (UTC), for repeatable runs\n"
		"  --realtime        guest time keeps pace with the host clock, like a\n"
		"                    normal VM's (default: virtual time, idle time skipped)\n"
		"  --disk FILE[,readonly][,snapshot=on]\n"
		"                    a raw disk image as a virtio disk (vda, then vdb, ...;\n"
		"                    up to %u): the guest's writes reach FILE, unless\n"
		"                    readonly (none allowed) or snapshot=on (kept in\n"
		"                    memory, dropped at the end); ',,' is a comma in FILE\n"
		"  --net user[,hostfwd=tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT]...[,tftp=DIR]\n"
		"                    a virtio network card on QEMU's user network\n"
		"                    (libslirp): the guest is 10.0.2.15, the host and\n"
		"                    gateway 10.0.2.2 (the host's loopback), DNS 10.0.2.3;\n"
		"                    hostfwd forwards a host port into the guest, tftp\n"
		"                    serves DIR's files at 10.0.2.2.  Idle time then\n"
		"                    passes in real time.  --net none: no card (the\n"
		"                    default)\n"
		"  --demo            run the built-in bare-metal demo guest\n"
		"  --engine NAME     the CPU engine: interp (encore's interpreter, the\n"
		"                    default) or kvm (hardware virtualization through\n"
		"                    /dev/kvm; devices stay encore's own, docs/kvm.md)\n"
		"  --delivery MODE   KVM: deliver interrupts at VM exits (exits, the\n"
		"                    default) or precisely by counting guest branches\n"
		"                    (precise: needs a host PMU; checked at start-up)\n"
		"  --max-insns N     stop after exactly N retired instructions (exit 124)\n"
		"  --summary         print instructions, wall time, MIPS and the final\n"
		"                    state hash on stderr\n"
		"  -h, --help        this help\n"
		"\n"
		"Exit status: 0 when the guest powers off (or halts with interrupts off);\n"
		"a bare-metal guest's own status (a 32-bit write to port 0xf4 ends the\n"
		"run with value & 0xff); 1 kernel panic; 3 the guest asked for a reset;\n"
		"124 instruction limit; 125 triple fault; 126 engine error or a guest\n"
		"halted forever; 128+N stopped by signal N; 2 bad usage or input.\n",
		GUEST_DEFAULT_APPEND, MACHINE_MAX_VCPUS, GUEST_MAX_DISKS);
}

static int bad(const char *cmd, const char *what, const char *arg)
{
	fprintf(stderr, "encore %s: bad %s '%s'\n", cmd, what, arg);
	return 2;
}

static int check(const char *cmd, bool record, const struct run_opts *o)
{
	if (o->guest.demo && o->guest.kernel) {
		fprintf(stderr, "encore %s: --demo and --kernel exclude each other\n", cmd);
		return 2;
	}
	if (record && (o->simulate_out || o->simulate_jobs) && !o->nsimulate) {
		fprintf(stderr, "encore record: -j and --simulate-out go with --simulate\n");
		return 2;
	}
	if (record && !o->output) {
		fprintf(stderr, "encore record: say where to record: -o REC\n");
		return 2;
	}
	if (record && o->guest.append && strlen(o->guest.append) >= RECORD_APPEND_MAX) {
		fprintf(stderr, "encore record: the kernel command line is too long to record "
			"(at most %d bytes)\n", RECORD_APPEND_MAX - 1);
		return 2;
	}
	if (o->guest.precise && !o->guest.kvm) {
		fprintf(stderr, "encore %s: --delivery is for --engine kvm (the interpreter "
			"delivers interrupts at exact instructions)\n", cmd);
		return 2;
	}
	if (o->guest.kvm && o->guest.smp > 1) {
		fprintf(stderr, "encore %s: the KVM engine runs one vCPU for now: --smp %u needs "
			"--engine interp\n", cmd, o->guest.smp);
		return 2;
	}
	if (o->guest.kvm && o->max_insns) {
		fprintf(stderr, "encore %s: the KVM engine cannot count instructions: --max-insns "
			"needs --engine interp\n", cmd);
		return 2;
	}
	if (record && o->guest.kvm && o->interval.insns) {
		fprintf(stderr, "encore record: the KVM engine cannot count instructions: give "
			"--interval as a time (e.g. 200ms)\n");
		return 2;
	}
	if (o->guest.append && strchr(o->guest.append, '\n')) {
		fprintf(stderr, "encore %s: the kernel command line cannot hold a newline\n", cmd);
		return 2;
	}
	return 0;
}

static int add_disk(const char *cmd, const char *arg, struct guest_opts *g)
{
	char err[512];
	if (g->ndisks == GUEST_MAX_DISKS) {
		fprintf(stderr, "encore %s: at most %u disks (vda to vd%c)\n", cmd, GUEST_MAX_DISKS,
			'a' + GUEST_MAX_DISKS - 1);
		return 2;
	}
	if (!guest_parse_disk(arg, &g->disks[g->ndisks], err, sizeof(err))) {
		fprintf(stderr, "encore %s: %s\n", cmd, err);
		return 2;
	}
	g->ndisks++;
	return 0;
}

int run_opts__parse(int argc, char **argv, bool record, struct run_opts *o)
{
	enum { OPT_KERNEL = 256, OPT_ARCH, OPT_INITRD, OPT_APPEND, OPT_RTC, OPT_DEMO, OPT_MAX_INSNS,
	       OPT_SUMMARY, OPT_REALTIME, OPT_INTERVAL, OPT_ENGINE, OPT_DELIVERY, OPT_SMP,
	       OPT_DISK, OPT_NET, OPT_SIMULATE, OPT_SIMULATE_OUT };
	static const struct option longopts[] = {
		{ "kernel", required_argument, 0, OPT_KERNEL },
		{ "initrd", required_argument, 0, OPT_INITRD },
		{ "append", required_argument, 0, OPT_APPEND },
		{ "mem", required_argument, 0, 'm' },
		{ "rtc", required_argument, 0, OPT_RTC },
		{ "realtime", no_argument, 0, OPT_REALTIME },
		{ "demo", no_argument, 0, OPT_DEMO },
		{ "arch", required_argument, 0, OPT_ARCH },
		{ "max-insns", required_argument, 0, OPT_MAX_INSNS },
		{ "summary", no_argument, 0, OPT_SUMMARY },
		{ "help", no_argument, 0, 'h' },
		{ "output", required_argument, 0, 'o' },
		{ "interval", required_argument, 0, OPT_INTERVAL },
		{ "engine", required_argument, 0, OPT_ENGINE },
		{ "delivery", required_argument, 0, OPT_DELIVERY },
		{ "smp", required_argument, 0, OPT_SMP },
		{ "disk", required_argument, 0, OPT_DISK },
		{ "net", required_argument, 0, OPT_NET },
		{ "simulate", required_argument, 0, OPT_SIMULATE },
		{ "simulate-out", required_argument, 0, OPT_SIMULATE_OUT },
		{ 0, 0, 0, 0 },
	};
	const char *cmd = record ? "record" : "run";
	*o = (struct run_opts){ .guest = { .mem = RUN_DEFAULT_MEM, .smp = 1,
					   .rtc_epoch = time(NULL) },
				.interval = { RECORD_DEFAULT_INTERVAL_INSNS, 0 } };
	int ch;
	bool interval_given = false;
	optind = 1;
	while ((ch = getopt_long(argc, argv, record ? "m:ho:j:" : "m:h", longopts, NULL)) != -1) {
		if (!record && (ch == 'o' || ch == OPT_INTERVAL || ch == OPT_SIMULATE ||
				ch == OPT_SIMULATE_OUT))
			ch = '?';
		switch (ch) {
		case OPT_KERNEL: o->guest.kernel = optarg; break;
		case OPT_INITRD: o->guest.initrd = optarg; break;
		case OPT_APPEND: o->guest.append = optarg; break;
		case OPT_DEMO: o->guest.demo = true; break;
		case OPT_ARCH:
			if (!guest_parse_arch(optarg))
				return bad(cmd, "--arch (x86_64 or arm64)", optarg);
			o->guest.arch = optarg;
			break;
		case OPT_REALTIME: o->realtime = true; break;
		case OPT_DELIVERY:
			if (strcmp(optarg, "exits") && strcmp(optarg, "precise"))
				return bad(cmd, "--delivery (exits or precise)", optarg);
			o->guest.precise = !strcmp(optarg, "precise");
			break;
		case OPT_ENGINE:
			if (!guest_parse_engine(optarg, &o->guest.kvm))
				return bad(cmd, "--engine (interp or kvm)", optarg);
			break;
		case OPT_RTC:
			if (!guest_parse_rtc(optarg, &o->guest.rtc_epoch))
				return bad(cmd, "--rtc (want base=utc or base=YYYY-MM-DDTHH:MM:SS)", optarg);
			break;
		case 'm':
			/* Whole 4 KiB frames: RAM is tracked, mapped and hashed by frame. */
			if (!cli_parse_size(optarg, &o->guest.mem) || o->guest.mem < (1ull << 20) ||
			    o->guest.mem % 4096)
				return bad(cmd, "--mem (at least 1M, a multiple of 4K)", optarg);
			break;
		case OPT_SMP: {
			u64 n;
			if (!cli_parse_count(optarg, &n) || n < 1 || n > MACHINE_MAX_VCPUS) {
				fprintf(stderr, "encore %s: bad --smp '%s': give 1 to %u vCPUs\n", cmd,
					optarg, MACHINE_MAX_VCPUS);
				return 2;
			}
			o->guest.smp = (unsigned)n;
			break;
		}
		case OPT_MAX_INSNS:
			if (!cli_parse_count(optarg, &o->max_insns) || !o->max_insns)
				return bad(cmd, "--max-insns", optarg);
			break;
		case OPT_INTERVAL:
			o->interval = (struct rr_interval){ 0, 0 };
			interval_given = true;
			if (!cli_parse_duration_ns(optarg, &o->interval.ns) &&
			    !cli_parse_count(optarg, &o->interval.insns))
				return bad(cmd, "--interval (e.g. 200ms, 1s, 500M)", optarg);
			break;
		case OPT_DISK:
			if (add_disk(cmd, optarg, &o->guest))
				return 2;
			break;
		case OPT_NET: {
			char err[512];
			if (!net_user__parse(optarg, &o->guest.net, err, sizeof(err))) {
				fprintf(stderr, "encore %s: %s\n", cmd, err);
				return 2;
			}
			break;
		}
		case 'o': o->output = optarg; break;
		case OPT_SIMULATE:
			if (o->nsimulate == sizeof(o->simulate) / sizeof(o->simulate[0])) {
				fprintf(stderr, "encore record: at most %zu --simulate plugins\n",
					sizeof(o->simulate) / sizeof(o->simulate[0]));
				return 2;
			}
			o->simulate[o->nsimulate++] = optarg;
			break;
		case OPT_SIMULATE_OUT: o->simulate_out = optarg; break;
		case 'j': {
			u64 n;
			if (!cli_parse_count(optarg, &n) || !n || n > 1024)
				return bad(cmd, "-j (1 to 1024 workers)", optarg);
			o->simulate_jobs = (unsigned)n;
			break;
		}
		case OPT_SUMMARY: o->summary = true; break;
		case 'h': usage(stdout, record); return 1;
		default: usage(stderr, record); return 2;
		}
	}
	/* KVM counts no instructions: its default interval is in time. */
	if (o->guest.kvm && !interval_given)
		o->interval = (struct rr_interval){ 0, RECORD_DEFAULT_INTERVAL_KVM_NS };
	if (optind < argc) {
		fprintf(stderr, "encore %s: unexpected argument '%s'\n", cmd, argv[optind]);
		return 2;
	}
	return check(cmd, record, o);
}
