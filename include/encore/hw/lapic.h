/*
 * A vCPU's local APIC in xAPIC mode (memory-mapped, no x2APIC).
 *
 * Sources it can raise: its timer (one-shot and periodic), interrupt
 * messages from the APIC bus (IPIs from the other local APICs and
 * itself, I/O APIC redirections: fixed, lowest priority, NMI, INIT,
 * STARTUP, ExtINT), its error interrupt, and (on the boot CPU) the
 * 8259's INTR output seen through LINT0 in ExtINT mode.  The vCPU asks
 * it through `struct intc`, whose service step also carries out NMI,
 * INIT and STARTUP on the vCPU.
 */
#ifndef ENCORE_HW_LAPIC_H
#define ENCORE_HW_LAPIC_H

#include "encore/hw.h"
#include "encore/hw/apic_msg.h"

#define LAPIC_BASE 0xfee00000ull
#define LAPIC_SIZE 0x1000ull

/* Register offsets from LAPIC_BASE (SDM vol. 3, "Local APIC Register Address Map"). */
enum lapic_reg {
	LAPIC_ID = 0x020,
	LAPIC_VERSION = 0x030,
	LAPIC_TPR = 0x080,
	LAPIC_APR = 0x090,
	LAPIC_PPR = 0x0a0,
	LAPIC_EOI = 0x0b0,
	LAPIC_LDR = 0x0d0,
	LAPIC_DFR = 0x0e0,
	LAPIC_SVR = 0x0f0,
	LAPIC_ISR = 0x100, /* 8 registers, 16 bytes apart, vectors 0-31 first */
	LAPIC_TMR = 0x180,
	LAPIC_IRR = 0x200,
	LAPIC_ESR = 0x280,
	LAPIC_ICR_LO = 0x300,
	LAPIC_ICR_HI = 0x310,
	LAPIC_LVT_BASE = 0x320, /* LVT entry n at LAPIC_LVT_BASE + 16 * n */
	LAPIC_TIMER_INITIAL = 0x380,
	LAPIC_TIMER_CURRENT = 0x390,
	LAPIC_TIMER_DIVIDE = 0x3e0,
};

/* The six local vector table entries, in register order. */
enum lapic_lvt { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LAPIC_NLVT };

/* Requests the APIC holds for its CPU until the vCPU's next boundary. */
#define LAPIC_PENDING_NMI 1u
#define LAPIC_PENDING_INIT 2u
#define LAPIC_PENDING_STARTUP 4u
#define LAPIC_PENDING_EXTINT 8u  /* an ExtINT message: INTA goes to the 8259 */

/* Everything the guest can observe, timer deadline included (no pointers). */
struct lapic_state {
	u32 id, tpr, ldr, dfr, svr;
	u32 esr;         /* what ESR reads: the errors latched by the last ESR write */
	u32 esr_pending; /* errors detected since that write */
	u32 icr_lo, icr_hi;
	u32 isr[8], tmr[8], irr[8];
	u32 lvt[LAPIC_NLVT];
	u32 timer_initial; /* the initial-count register */
	u32 timer_divide;  /* the divide-configuration register */
	u32 timer_base;    /* the count at timer_start: the initial count, or the count
			    * where a mode or divider change left it */
	u32 timer_active;  /* counting: loaded non-zero, and periodic or not yet at 0 */
	u32 pending;       /* LAPIC_PENDING_* */
	u32 startup_vector;/* of the pending STARTUP */
	u32 reserved;      /* keeps the layout free of compiler padding */
	u64 timer_start;   /* virtual ns at which the count was timer_base */
	u64 timer_deadline;/* next time the count reaches 0, or VTIMER_OFF */
};

/* The 8259's INTR line, seen through LINT0 in ExtINT mode (both callbacks set). */
struct lapic_extint {
	bool (*intr)(void *opaque);       /* INTR is asserted */
	int (*acknowledge)(void *opaque); /* the INTA cycle: the 8259's vector */
	void *opaque;
};

struct lapic;
struct apic_bus;

/*
 * The local APIC of vCPU `index` (APIC ID = index), registered as device
 * "lapicN".  The boot CPU's comes in the state a PC BIOS leaves
 * (software-enabled, LINT0 ExtINT, LINT1 NMI), the others' as after
 * power-on.  The timer counts at timer_hz / divider; `pic` (the boot
 * CPU's 8259 wiring) may be NULL.  Its registers are reached through the
 * APIC bus (apic_bus.h), which maps each vCPU's own APIC at LAPIC_BASE.
 */
struct lapic *lapic__create(struct encore_machine *m, unsigned index, u64 timer_hz,
			    const struct lapic_extint *pic);
/* Where the APIC sends its IPIs and the EOIs of level-triggered vectors. */
void lapic__connect(struct lapic *a, struct apic_bus *bus);
/* A register access by the CPU that owns this APIC (offset in the page). */
void lapic__mmio(struct lapic *a, u64 off, u8 *data, unsigned len, bool is_write);
/* Does message `m`'s destination (physical or logical; not a shorthand)
 * name this APIC? */
bool lapic__matches(const struct lapic *a, const struct apic_msg *m);
/* Take message `m`, which is for this APIC. */
void lapic__receive(struct lapic *a, const struct apic_msg *m);
/* The arbitration priority (lowest-priority delivery picks the lowest),
 * and whether the APIC is software-enabled. */
u32 lapic__arbitration_priority(const struct lapic *a);
bool lapic__enabled(const struct lapic *a);
unsigned lapic__index(const struct lapic *a);
/* The APIC ID (the ID register's bits 31:24), which software may change. */
u8 lapic__id(const struct lapic *a);
/* A maskable interrupt is ready for the CPU (priority rules applied). */
bool lapic__has_interrupt(struct lapic *a);
/* INTA: the vector to take (IRR -> ISR; ExtINT asks the 8259), the
 * spurious vector if the request was masked meanwhile, -1 if none. */
int lapic__acknowledge(struct lapic *a);
/* A fixed-mode interrupt message for this CPU; `level` sets its TMR bit. */
void lapic__deliver(struct lapic *a, u8 vector, bool level);
/* What the board puts in machine->intc. */
struct intc lapic__intc(struct lapic *a);

#endif
