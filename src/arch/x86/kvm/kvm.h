/*
 * The KVM engine's private interface: the engine object and the helpers
 * its files share (state conversion, CPUID, the host tick that bounds a
 * KVM_RUN).  Everything guest-visible that is not the CPU itself (the
 * local APIC, the PIC, the PIT) stays in encore's devices: the VM has no
 * in-kernel irqchip, so both engines drive the same machine.
 */
#ifndef KVM_ENGINE_H
#define KVM_ENGINE_H

#include <signal.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include <linux/kvm.h>

#include "encore/engine.h"
#include "encore/cpu_state.h"
#include "encore/machine.h"

/* Exit counts for report(). */
struct kvm_stats {
	u64 runs;       /* KVM_RUN calls */
	u64 io, mmio;   /* port I/O and MMIO exits (an exit may carry a string) */
	u64 hlt, irq_window, shutdown;
	u64 signals;    /* KVM_RUN interrupted by a signal (host tick, kick) */
	u64 kicks, asyncs;
	u64 completions; /* re-entries that only finished an I/O instruction */
};

/* How often KVM_RUN is interrupted to ask machine.async_poll. */
#define KVM_TICK_MS 10

/* The periodic host tick that interrupts KVM_RUN (kvm_tick.c). */
struct kvm_tick {
	timer_t timer;
	bool armed;
	pid_t tid;     /* the thread it is aimed at */
};

struct kvm_engine {
	struct encore_engine engine;
	struct encore_machine *m;
	int sys_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	/* Set by kick(), possibly from a signal handler. */
	volatile sig_atomic_t kicked;
	/* Stopped in HLT: with no in-kernel irqchip KVM does not keep the
	 * vCPU halted, so the engine does, until an interrupt is injected. */
	bool halted;
	/* DR4/DR5 are not registers (they alias DR6/DR7); kept only so that
	 * set_state followed by get_state gives back what was set. */
	u64 dr4, dr5;
	/* encore's TSC offset: written into the guest TSC by set_state and
	 * given back unchanged by get_state (kvm_state.c). */
	u64 tsc_offset;
	struct kvm_tick tick;
	struct kvm_stats stats;
	char msr_note[128];   /* a constant MSR KVM refused, for report() */
	char cpuid_note[128]; /* CPUID leaves KVM did not take from the model */
	struct kvm_xsave *xsave;
	size_t xsave_size;
};

static inline struct kvm_engine *kvm_of(struct encore_engine *e)
{
	return (struct kvm_engine *)((u8 *)e - offsetof(struct kvm_engine, engine));
}

/* kvm_state.c: 0 or -errno (the ioctl that failed is named in err). */
int kvm_state__get(struct kvm_engine *k, struct encore_cpu_state *s, char *err, size_t errlen);
int kvm_state__set(struct kvm_engine *k, const struct encore_cpu_state *s, char *err,
		   size_t errlen);
/* MSRs the interpreter answers with constants: give KVM the same values.
 * Each is tried; the last refusal is described in note (else it is ""). */
void kvm_state__set_constant_msrs(struct kvm_engine *k, char *note, size_t notelen);
/* RFLAGS.IF set, no STI/MOV SS shadow, no injection pending. */
int kvm_state__interrupt_window(struct kvm_engine *k, bool *open);
/* An external interrupt injected and not delivered yet. */
int kvm_state__irq_pending(struct kvm_engine *k, bool *pending);

/* kvm_cpuid.c: hand encore's CPUID model to the vCPU.  `note` gets the
 * leaves KVM answers otherwise (" 0x1 0x7"), or "" when it took them all. */
int kvm_cpuid__set(int vcpu_fd, char *note, size_t notelen, char *err, size_t errlen);

/* kvm_tick.c: the signal KVM_RUN is interrupted with every few ms. */
int kvm_tick__start(struct kvm_engine *k, char *err, size_t errlen);
/* After KVM_RUN failed with EINTR: consume a pending tick; true if one was. */
bool kvm_tick__consume(void);
void kvm_tick__stop(struct kvm_engine *k);

#endif
