/*
 * The CPU engine interface.  An engine executes guest instructions for one
 * vCPU of a machine; the interpreter and KVM both implement it.  Port I/O
 * and MMIO go to the machine's bus (encore/machine.h) with the vCPU that
 * made the access: an engine never knows which device answers.
 */
#ifndef ENCORE_ENGINE_H
#define ENCORE_ENGINE_H

#include <stddef.h>

#include "encore/types.h"

struct encore_machine;
struct encore_vcpu;
struct encore_hooks;

enum encore_exit_reason {
	EXIT_LIMIT,        /* the retired-instruction limit was reached */
	EXIT_HLT,          /* HLT with nothing pending: the machine advances time */
	EXIT_KICK,         /* the machine asked the engine to return (IRQ, stop) */
	EXIT_IRQ_WINDOW,   /* interrupts became deliverable, as requested */
	EXIT_SHUTDOWN,     /* a device ended the run (debug-exit port, poweroff) */
	EXIT_TRIPLE_FAULT, /* a fault while delivering a double fault */
	EXIT_ERROR,        /* the engine cannot continue; exit.message says why */
	EXIT_ASYNC,        /* the host interrupted the engine between landmarks
			    * (machine.async_poll asked for it): not a point a
			    * replay can find again, so nothing guest-visible
			    * may happen there */
	EXIT_YIELD,        /* the vCPU is spinning (x86 PAUSE) and another may
			    * as well run: only where the machine asked for it */
};

struct encore_exit {
	enum encore_exit_reason reason;
	u64 pc;                    /* where the vCPU stopped (RIP on x86) */
	char message[256];
};

struct encore_engine;

struct encore_engine_ops {
	const char *name;
	/* Run until an exit, or until insn_count() == insn_limit exactly. */
	int (*run)(struct encore_engine *e, u64 insn_limit, struct encore_exit *exit);
	/* The vCPU's architectural state as its architecture's blob
	 * (encore/arch.h: machine->arch->state_size bytes). */
	void (*get_state)(struct encore_engine *e, void *state);
	int (*set_state)(struct encore_engine *e, const void *state);
	/* True when an external interrupt would be taken at the next boundary. */
	bool (*interrupt_window)(struct encore_engine *e);
	/* Could an interrupt still wake this vCPU from a wait?  On x86 only
	 * with the interrupt window open (HLT with IF=0 waits for ever); an
	 * Arm core's WFI wakes on a pending interrupt even while masked.
	 * NULL means interrupt_window. */
	bool (*wakeable)(struct encore_engine *e);
	/* False while the vCPU waits (halted, or waiting to be started) with
	 * nothing injected that would wake it: running it would only return
	 * EXIT_HLT. */
	bool (*runnable)(struct encore_engine *e);
	/* While `on`, return EXIT_IRQ_WINDOW at the first boundary where an
	 * external interrupt could be taken (a request is waiting on IF). */
	void (*request_interrupt_window)(struct encore_engine *e, bool on);
	/* Deliver external interrupt `vector` before the next instruction. */
	int (*inject_interrupt)(struct encore_engine *e, u8 vector);
	/* A non-maskable interrupt: delivered at the next boundary where NMIs
	 * are not blocked (an NMI handler blocks them until IRET); it wakes a
	 * halted CPU, not one waiting for a start-up IPI. */
	void (*inject_nmi)(struct encore_engine *e);
	u64 (*insn_count)(struct encore_engine *e);
	/* A restored checkpoint continues the count from there. */
	void (*set_insn_count)(struct encore_engine *e, u64 count);
	/* At a checkpoint: forget cached write rights to guest RAM, so that
	 * the next write to every page marks it dirty again (encore/ram.h),
	 * and any cached translations a restored engine would not have. */
	void (*protect_ram)(struct encore_engine *e);
	/* Before the machine reads its dirty bitmap: add the frames the
	 * engine saw written that it has not reported yet (KVM's dirty
	 * log).  NULL when every write is marked as it happens. */
	void (*sync_dirty)(struct encore_engine *e);
	/* A device wrote guest RAM at [gpa, gpa + len) (encore/guest_mem.h):
	 * drop what the engine derived from it, such as translated code.
	 * NULL when the engine sees such writes itself (hardware). */
	void (*ram_written)(struct encore_engine *e, u64 gpa, u64 len);
	/* Make run() return EXIT_KICK at the next instruction boundary. */
	void (*kick)(struct encore_engine *e);
	/* While `on`, return EXIT_YIELD after a spin-wait hint (PAUSE). */
	void (*set_yield)(struct encore_engine *e, bool on);
	/* Install (or with NULL remove) analysis hooks. */
	int (*set_hooks)(struct encore_engine *e, const struct encore_hooks *h);
	/* Print engine statistics (unimplemented opcodes, cache use). */
	void (*report)(struct encore_engine *e, void *file);
	void (*destroy)(struct encore_engine *e);
};

struct encore_engine {
	const struct encore_engine_ops *ops;
	struct encore_machine *machine;
	struct encore_vcpu *vcpu;
};

/* The interpreter for vCPU `v` of `m` (it sets v->engine).  The
 * interpreters of one machine share their decoded blocks. */
struct encore_engine *interp__create(struct encore_machine *m, struct encore_vcpu *v);
/* The KVM engine (src/arch/x86/kvm/) for vCPU `v`; NULL with a message in
 * `err` when the host has no usable /dev/kvm. */
struct encore_engine *kvm__create(struct encore_machine *m, struct encore_vcpu *v, char *err,
				  size_t errlen);

static inline int engine__run(struct encore_engine *e, u64 limit, struct encore_exit *x)
{
	return e->ops->run(e, limit, x);
}

#endif
