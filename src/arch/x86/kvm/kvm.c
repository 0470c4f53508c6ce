/*
 * The KVM engine: the vCPU runs in /dev/kvm, everything else stays in
 * encore.  There is no in-kernel irqchip or PIT: every port and MMIO
 * access that is not RAM comes back to the machine's buses, and external
 * interrupts are injected by the machine with KVM_INTERRUPT, so the same
 * devices run under both engines and a recording made here can be
 * replayed on the interpreter.
 *
 * KVM counts no instructions: insn_count is always 0, run() ignores its
 * limit and returns at exits (I/O that the machine kicks on, HLT, the
 * interrupt window, errors) or when machine.async_poll asks to.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "encore/ram.h"
#include "kvm.h"

/* Private regions KVM needs on Intel hosts (api.rst: below 4 GiB, clear
 * of every memory slot and MMIO address; the identity map is set before
 * any vCPU exists): in the hole below 4 GiB, away from encore's devices. */
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ull
#define KVM_TSS_ADDR 0xfffbd000ull /* three pages */

/* One KVM memory slot per RAM region (encore/machine.h). */
enum { SLOT_COUNT = MACHINE_RAM_REGIONS };

/* ---- the run loop ---- */

static void set_exit(struct kvm_engine *k, struct encore_exit *x, enum encore_exit_reason why)
{
	struct kvm_regs regs;
	x->reason = why;
	x->pc = ioctl(k->vcpu_fd, KVM_GET_REGS, &regs) == 0 ? regs.rip : 0;
}

static int exit_error(struct kvm_engine *k, struct encore_exit *x, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int exit_error(struct kvm_engine *k, struct encore_exit *x, const char *fmt, ...)
{
	va_list ap;
	set_exit(k, x, EXIT_ERROR);
	va_start(ap, fmt);
	vsnprintf(x->message, sizeof(x->message), fmt, ap);
	va_end(ap);
	return 0;
}

/* One bus access per element: a string instruction's elements are
 * packed at data_offset.  Reads start from zero, as the interpreter's
 * do, so a device that fills fewer bytes leaves the same value. */
static void handle_io(struct kvm_engine *k)
{
	struct kvm_run *run = k->run;
	u8 *data = (u8 *)run + run->io.data_offset;
	bool wr = run->io.direction == KVM_EXIT_IO_OUT;
	k->stats.io++;
	for (u32 n = 0; n < run->io.count; n++, data += run->io.size) {
		if (!wr)
			memset(data, 0, run->io.size);
		bus__access(&k->m->pio, k->engine.vcpu, run->io.port, data, run->io.size, wr);
	}
}

static void handle_mmio(struct kvm_engine *k)
{
	struct kvm_run *run = k->run;
	k->stats.mmio++;
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
	bus__access(&k->m->mmio, k->engine.vcpu, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
		    run->mmio.is_write);
}

/* KVM_RUN; 0, or -errno (EINTR: a signal or immediate_exit). */
static int enter(struct kvm_engine *k)
{
	k->stats.runs++;
	return ioctl(k->vcpu_fd, KVM_RUN, 0) < 0 ? -errno : 0;
}

/*
 * After an I/O exit the instruction is only finished by the next
 * KVM_RUN (api.rst: the kernel completes the operation, then checks for
 * signals).  With immediate_exit set that entry runs no further guest
 * instruction; it may still need more accesses (a read-modify-write on
 * MMIO, the rest of a string batch), which are served here.  Returns 0
 * once it is done, or -errno; an exit of another kind is left in
 * k->run for the caller with 1.
 */
static int finish_insn(struct kvm_engine *k)
{
	int r;
	k->run->immediate_exit = 1;
	k->stats.completions++;
	for (;;) {
		r = enter(k);
		if (r == -EINTR) {
			kvm_tick__consume();
			r = 0;
			break;
		}
		if (r < 0)
			break;
		if (k->run->exit_reason == KVM_EXIT_IO)
			handle_io(k);
		else if (k->run->exit_reason == KVM_EXIT_MMIO)
			handle_mmio(k);
		else {
			r = 1;
			break;
		}
	}
	k->run->immediate_exit = k->kicked ? 1 : 0;
	return r;
}

static bool take_kick(struct kvm_engine *k)
{
	if (!k->kicked)
		return false;
	k->kicked = 0;
	k->run->immediate_exit = 0;
	k->stats.kicks++;
	return true;
}

static bool async_wanted(struct kvm_engine *k)
{
	struct encore_machine *m = k->m;
	return m->async_poll && m->async_poll(m->async_opaque);
}

/*
 * What the interpreter checks at an instruction boundary before it runs
 * anything, in its order: a kick, an open interrupt window that was
 * asked for, HLT.  Returns an exit reason or -1 to enter the guest.
 */
static int boundary_check(struct kvm_engine *k)
{
	if (take_kick(k))
		return EXIT_KICK;
	if (k->run->request_interrupt_window) {
		bool open = false;
		if (kvm_state__interrupt_window(k, &open) == 0 && open)
			return EXIT_IRQ_WINDOW;
	}
	if (k->halted) {
		/* An injected interrupt wakes the CPU when it is delivered, at
		 * entry: until then the state says halted, as the interpreter's. */
		bool pending = false;
		if (kvm_state__irq_pending(k, &pending) == 0 && pending)
			k->halted = false;
		else
			return EXIT_HLT;
	}
	return -1;
}

/* KVM_RUN failed: EINTR is a signal (the host tick or a kick's);
 * returns an exit reason, -1 to go on, or -2 for an error. */
static int handle_eintr(struct kvm_engine *k, int r)
{
	if (r != -EINTR)
		return -2;
	k->stats.signals++;
	kvm_tick__consume();
	if (take_kick(k))
		return EXIT_KICK;
	if (async_wanted(k)) {
		k->stats.asyncs++;
		return EXIT_ASYNC;
	}
	return -1;
}

/* What KVM could not do, with the instruction's bytes when it says them. */
static void internal_error(struct kvm_engine *k, struct encore_exit *x)
{
	static const char *const what[] = { "", "emulation failure", "exception during exception",
					    "event delivery failure", "unexpected exit" };
	const struct kvm_run *run = k->run;
	u32 sub = run->internal.suberror;
	set_exit(k, x, EXIT_ERROR);
	/* The report around it gives the RIP. */
	snprintf(x->message, sizeof(x->message), "KVM internal error %u (%s)", sub,
		 sub < ARRAY_SIZE(what) ? what[sub] : "?");
	if (sub != KVM_INTERNAL_ERROR_EMULATION || run->emulation_failure.ndata < 3 ||
	    !(run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES))
		return;
	size_t n = strlen(x->message);
	unsigned len = run->emulation_failure.insn_size;
	n += snprintf(x->message + n, sizeof(x->message) - n, ", instruction bytes");
	for (unsigned b = 0; b < len && b < 15 && n < sizeof(x->message); b++)
		n += snprintf(x->message + n, sizeof(x->message) - n, " %02x",
			      run->emulation_failure.insn_bytes[b]);
}

/* An exit that is not I/O; returns an exit reason, or -1 to go on. */
static int handle_other_exit(struct kvm_engine *k, struct encore_exit *x)
{
	struct kvm_run *run = k->run;
	switch (run->exit_reason) {
	case KVM_EXIT_HLT:
		k->stats.hlt++;
		k->halted = true;
		return boundary_check(k); /* HLT comes last there: a kick wins */
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		k->stats.irq_window++;
		return take_kick(k) ? EXIT_KICK : EXIT_IRQ_WINDOW;
	case KVM_EXIT_SHUTDOWN:
		k->stats.shutdown++;
		return EXIT_TRIPLE_FAULT;
	case KVM_EXIT_INTR:
		return -1;
	case KVM_EXIT_FAIL_ENTRY:
		exit_error(k, x, "KVM entry failed, hardware reason %#llx",
			   (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return EXIT_ERROR;
	case KVM_EXIT_INTERNAL_ERROR:
		internal_error(k, x);
		return EXIT_ERROR;
	}
	exit_error(k, x, "unexpected KVM exit reason %u", run->exit_reason);
	return EXIT_ERROR;
}

/* After an I/O exit: go on, or finish the instruction and return for a
 * kick requested by the device (or by anything before). */
static int after_io(struct kvm_engine *k, struct encore_exit *x)
{
	if (!k->kicked)
		return -1;
	int r = finish_insn(k);
	if (r < 0) {
		exit_error(k, x, "KVM_RUN (finishing an I/O instruction): %s", strerror(-r));
		return EXIT_ERROR;
	}
	if (r == 1) {
		int why = handle_other_exit(k, x);
		if (why >= 0)
			return why;
	}
	return take_kick(k) ? EXIT_KICK : -1;
}

static int run_once(struct kvm_engine *k, struct encore_exit *x)
{
	int r = enter(k);
	if (r < 0) {
		int why = handle_eintr(k, r);
		if (why == -2)
			exit_error(k, x, "KVM_RUN: %s", strerror(-r));
		return why == -2 ? EXIT_ERROR : why;
	}
	switch (k->run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(k);
		return after_io(k, x);
	case KVM_EXIT_MMIO:
		handle_mmio(k);
		return after_io(k, x);
	}
	return handle_other_exit(k, x);
}

static int kvm_engine_run(struct encore_engine *e, u64 insn_limit, struct encore_exit *x)
{
	struct kvm_engine *k = kvm_of(e);
	(void)insn_limit; /* no instruction count on KVM */
	memset(x, 0, sizeof(*x));
	/* KVM cannot trap the first touch of a page a sparse restore has
	 * not loaded yet: load them all before the guest runs. */
	if (k->m->pages.absent)
		ram__fetch_all(k->m);
	char err[160];
	if (kvm_tick__start(k, err, sizeof(err)))
		return exit_error(k, x, "%s", err);
	int why = boundary_check(k);
	while (why < 0)
		why = run_once(k, x);
	if (why != EXIT_ERROR)
		set_exit(k, x, why);
	return 0;
}

/* ---- state and control ---- */

static void kvm_engine_get_state(struct encore_engine *e, void *state)
{
	struct encore_cpu_state *s = state;
	char err[160];
	if (kvm_state__get(kvm_of(e), s, err, sizeof(err)))
		fprintf(stderr, "encore: kvm get_state: %s\n", err);
}

static int kvm_engine_set_state(struct encore_engine *e, const void *state)
{
	const struct encore_cpu_state *s = state;
	char err[160];
	int r = kvm_state__set(kvm_of(e), s, err, sizeof(err));
	if (r)
		fprintf(stderr, "encore: kvm set_state: %s\n", err);
	return r ? -1 : 0;
}

static bool kvm_engine_interrupt_window(struct encore_engine *e)
{
	bool open = false;
	return kvm_state__interrupt_window(kvm_of(e), &open) == 0 && open;
}

/* Halted stays halted here until an injected interrupt wakes it (see
 * boundary_check). */
static bool kvm_engine_runnable(struct encore_engine *e)
{
	struct kvm_engine *k = kvm_of(e);
	bool pending = false;
	return !k->halted || (kvm_state__irq_pending(k, &pending) == 0 && pending);
}

static void kvm_engine_request_window(struct encore_engine *e, bool on)
{
	kvm_of(e)->run->request_interrupt_window = on ? 1 : 0;
}

/* Without an in-kernel irqchip KVM_INTERRUPT injects at the next entry
 * whatever IF says, so it is only legal with the window open (the
 * machine only injects then). */
static int kvm_engine_inject(struct encore_engine *e, u8 vector)
{
	struct kvm_engine *k = kvm_of(e);
	bool pending;
	if (kvm_state__irq_pending(k, &pending) || pending)
		return -1;
	struct kvm_interrupt irq = { .irq = vector };
	if (ioctl(k->vcpu_fd, KVM_INTERRUPT, &irq) < 0)
		return -1;
	return 0;
}

/* KVM queues the NMI itself and delivers it when NMIs are not blocked;
 * it wakes the CPU, which the engine's own halted flag must follow. */
static void kvm_engine_inject_nmi(struct encore_engine *e)
{
	struct kvm_engine *k = kvm_of(e);
	if (ioctl(k->vcpu_fd, KVM_NMI) == 0)
		k->halted = false;
}

static u64 kvm_engine_insn_count(struct encore_engine *e)
{
	(void)e;
	return 0;
}

static void kvm_engine_set_insn_count(struct encore_engine *e, u64 count)
{
	(void)e;
	(void)count;
}

/* KVM_GET_DIRTY_LOG clears and write-protects as it reads. */
static void kvm_engine_protect_ram(struct encore_engine *e)
{
	(void)e;
}

/*
 * From a bus handler during an exit, or from a signal handler: the flag
 * and immediate_exit make the next KVM_RUN (or the completion of the
 * current I/O instruction) return at once.  A signal that arrives while
 * the vCPU runs interrupts KVM_RUN itself.  From another thread, the kick
 * is seen at the next exit or host tick (at most KVM_TICK_MS later).
 */
static void kvm_engine_kick(struct encore_engine *e)
{
	struct kvm_engine *k = kvm_of(e);
	k->kicked = 1;
	k->run->immediate_exit = 1;
}

/* Analysis hooks need every instruction: only the interpreter has them. */
static int kvm_engine_set_hooks(struct encore_engine *e, const struct encore_hooks *h)
{
	(void)e;
	return h ? -1 : 0;
}

static void kvm_engine_report(struct encore_engine *e, void *file)
{
	const struct kvm_engine *k = kvm_of(e);
	const struct kvm_stats *st = &k->stats;
	fprintf(file,
		"encore: kvm: %llu KVM_RUN, exits: %llu port I/O, %llu MMIO, %llu HLT, "
		"%llu IRQ window, %llu signals (%llu kicks, %llu async), %llu I/O completions\n",
		(unsigned long long)st->runs, (unsigned long long)st->io,
		(unsigned long long)st->mmio, (unsigned long long)st->hlt,
		(unsigned long long)st->irq_window, (unsigned long long)st->signals,
		(unsigned long long)st->kicks, (unsigned long long)st->asyncs,
		(unsigned long long)st->completions);
	if (k->msr_note[0])
		fprintf(file, "encore: kvm: %s\n", k->msr_note);
	if (k->cpuid_note[0])
		fprintf(file, "encore: kvm: this host's KVM changed CPUID leaves%s from encore's "
			"model: the guest may see features the interpreter lacks\n", k->cpuid_note);
}

/* ---- dirty log ---- */

/* OR a slot's bitmap into m->pages.dirty from frame `first` on. */
static void merge_dirty(struct encore_machine *m, const u64 *bits, u64 nframes, u64 first)
{
	for (u64 w = 0; w < (nframes + 63) / 64; w++)
		for (u64 v = bits[w]; v; v &= v - 1)
			machine__frame_dirty(m, first + w * 64 + (u64)__builtin_ctzll(v));
}

static void mark_all(struct encore_machine *m, u64 nframes, u64 first)
{
	for (u64 f = first; f < first + nframes; f++)
		machine__frame_dirty(m, f);
}

static void kvm_engine_sync_dirty(struct encore_engine *e)
{
	struct kvm_engine *k = kvm_of(e);
	struct encore_machine *m = k->m;
	u64 first = 0;
	for (unsigned s = 0; s < SLOT_COUNT; s++) {
		u64 nframes = m->ram_regions[s].size / RAM_PAGE_SIZE;
		if (!nframes)
			continue;
		u64 *bits = calloc((nframes + 63) / 64, 8);
		struct kvm_dirty_log log = { .slot = s, .dirty_bitmap = bits };
		if (bits && ioctl(k->vm_fd, KVM_GET_DIRTY_LOG, &log) == 0)
			merge_dirty(m, bits, nframes, first);
		else /* which frames were written is lost: count them all */
			mark_all(m, nframes, first);
		free(bits);
		first += nframes;
	}
}

static void kvm_engine_destroy(struct encore_engine *e);

static const struct encore_engine_ops kvm_ops = {
	.name = "kvm",
	.run = kvm_engine_run,
	.get_state = kvm_engine_get_state,
	.set_state = kvm_engine_set_state,
	.interrupt_window = kvm_engine_interrupt_window,
	.runnable = kvm_engine_runnable,
	.request_interrupt_window = kvm_engine_request_window,
	.inject_interrupt = kvm_engine_inject,
	.inject_nmi = kvm_engine_inject_nmi,
	.insn_count = kvm_engine_insn_count,
	.set_insn_count = kvm_engine_set_insn_count,
	.protect_ram = kvm_engine_protect_ram,
	.sync_dirty = kvm_engine_sync_dirty,
	.kick = kvm_engine_kick,
	.set_hooks = kvm_engine_set_hooks,
	.report = kvm_engine_report,
	.destroy = kvm_engine_destroy,
};

/* ---- creation ---- */

static void kvm_engine_destroy(struct encore_engine *e)
{
	struct kvm_engine *k = kvm_of(e);
	kvm_tick__stop(k);
	if (k->run)
		munmap(k->run, k->run_size);
	if (k->vcpu_fd >= 0)
		close(k->vcpu_fd);
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->sys_fd >= 0)
		close(k->sys_fd);
	if (k->engine.vcpu && k->engine.vcpu->engine == e)
		k->engine.vcpu->engine = NULL;
	free(k->xsave);
	free(k);
}

static int open_kvm(struct kvm_engine *k, char *err, size_t errlen)
{
	k->sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->sys_fd < 0) {
		int r = -errno;
		snprintf(err, errlen, "/dev/kvm: %s (%s)", strerror(errno),
			 errno == ENOENT ? "the KVM engine needs a host with hardware "
					   "virtualization and the kvm module"
					 : "the KVM engine needs read-write access to it, "
					   "e.g. membership of the kvm group");
		return r;
	}
	int v = ioctl(k->sys_fd, KVM_GET_API_VERSION, 0);
	if (v < 0) {
		snprintf(err, errlen, "/dev/kvm: KVM_GET_API_VERSION: %s (not a KVM device?)",
			 strerror(errno));
		return -ENOTSUP;
	}
	if (v != KVM_API_VERSION) {
		snprintf(err, errlen, "/dev/kvm: API version %d, the KVM engine needs %d", v,
			 KVM_API_VERSION);
		return -ENOTSUP;
	}
	return 0;
}

static int check_caps(struct kvm_engine *k, char *err, size_t errlen)
{
	static const struct {
		int cap;
		const char *name;
	} need[] = {
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
		{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
		{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
		{ KVM_CAP_VCPU_EVENTS, "KVM_CAP_VCPU_EVENTS" },
		{ KVM_CAP_DEBUGREGS, "KVM_CAP_DEBUGREGS" },
		{ KVM_CAP_XSAVE, "KVM_CAP_XSAVE" },
	};
	for (unsigned n = 0; n < ARRAY_SIZE(need); n++) {
		if (ioctl(k->sys_fd, KVM_CHECK_EXTENSION, need[n].cap) <= 0) {
			snprintf(err, errlen, "/dev/kvm lacks %s, which the KVM engine needs",
				 need[n].name);
			return -ENOTSUP;
		}
	}
	return 0;
}

static int add_slot(struct kvm_engine *k, unsigned slot, u64 gpa, u64 size, u8 *host,
		    char *err, size_t errlen)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = KVM_MEM_LOG_DIRTY_PAGES, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (u64)(uintptr_t)host,
	};
	if (!size || ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) == 0)
		return 0;
	snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION (%llu MiB at %#llx): %s",
		 (unsigned long long)(size >> 20), (unsigned long long)gpa, strerror(errno));
	return -1;
}

static int create_vm(struct kvm_engine *k, char *err, size_t errlen)
{
	struct encore_machine *m = k->m;
	do
		k->vm_fd = ioctl(k->sys_fd, KVM_CREATE_VM, 0);
	while (k->vm_fd < 0 && errno == EINTR);
	if (k->vm_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	u64 idmap = KVM_IDENTITY_MAP_ADDR;
	if (ioctl(k->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0 ||
	    (ioctl(k->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0 &&
	     ioctl(k->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)) {
		snprintf(err, errlen, "KVM_SET_TSS_ADDR/IDENTITY_MAP_ADDR: %s", strerror(errno));
		return -1;
	}
	u64 offset = 0;
	for (unsigned s = 0; s < SLOT_COUNT; s++) {
		const struct ram_region *r = &m->ram_regions[s];
		if (add_slot(k, s, r->base, r->size, m->ram + offset, err, errlen))
			return -1;
		offset += r->size;
	}
	int xs = ioctl(k->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	k->xsave_size = xs > (int)sizeof(struct kvm_xsave) ? (size_t)xs : sizeof(struct kvm_xsave);
	k->xsave = calloc(1, k->xsave_size);
	if (!k->xsave) {
		snprintf(err, errlen, "out of memory for the XSAVE image");
		return -1;
	}
	return 0;
}

static int create_vcpu(struct kvm_engine *k, char *err, size_t errlen)
{
	k->vcpu_fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, 0);
	if (k->vcpu_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VCPU: %s", strerror(errno));
		return -1;
	}
	int size = ioctl(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run)) {
		snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -1;
	}
	k->run_size = size;
	k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu_fd, 0);
	if (k->run == MAP_FAILED) {
		k->run = NULL;
		snprintf(err, errlen, "mmap of the vCPU's kvm_run: %s", strerror(errno));
		return -1;
	}
	if (kvm_cpuid__set(k->vcpu_fd, k->cpuid_note, sizeof(k->cpuid_note), err, errlen))
		return -1;
	/* Best effort: a host may refuse a value (say, capability bits it
	 * lacks); the guest then reads KVM's, and report() says so. */
	kvm_state__set_constant_msrs(k, k->msr_note, sizeof(k->msr_note));
	return 0;
}

struct encore_engine *kvm__create(struct encore_machine *m, struct encore_vcpu *v, char *err,
				  size_t errlen)
{
	if (m->nvcpus != 1) {
		snprintf(err, errlen, "the KVM engine runs one vCPU for now (this machine has %u)",
			 m->nvcpus);
		return NULL;
	}
	struct kvm_engine *k = calloc(1, sizeof(*k));
	if (!k) {
		snprintf(err, errlen, "out of memory for the KVM engine");
		return NULL;
	}
	k->engine.ops = &kvm_ops;
	k->engine.machine = m;
	k->engine.vcpu = v;
	k->m = m;
	k->sys_fd = k->vm_fd = k->vcpu_fd = -1;
	if (open_kvm(k, err, errlen) || check_caps(k, err, errlen) || create_vm(k, err, errlen) ||
	    create_vcpu(k, err, errlen)) {
		kvm_engine_destroy(&k->engine);
		return NULL;
	}
	v->engine = &k->engine;
	return &k->engine;
}
