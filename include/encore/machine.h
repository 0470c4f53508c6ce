/*
 * The machine: guest RAM, the port-I/O and MMIO buses, virtual time, and
 * the vCPUs with their engines.  Devices register address ranges on a bus
 * and never see an engine.
 */
#ifndef ENCORE_MACHINE_H
#define ENCORE_MACHINE_H

#include <stdio.h>

#include "encore/arch.h"
#include "encore/engine.h"

struct encore_vcpu;

/* One handler signature for port I/O and MMIO (kvmtool's shape).  `vcpu`
 * made the access (NULL when no CPU did: a unit test, a DMA). */
typedef void (*bus_handler_fn)(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
			       unsigned len, bool is_write);

struct bus_range {
	u64 base, len;
	bus_handler_fn handler;
	void *opaque;
	const char *name;
};

#define BUS_MAX_RANGES 64

/* Sees every access once it is done (reads with the value read), for
 * analysis plugins; NULL costs one test per device access. */
typedef void (*bus_observer_fn)(void *opaque, struct encore_vcpu *vcpu, u64 addr,
				const u8 *data, unsigned len, bool is_write);

struct encore_machine;

struct bus {
	struct bus_range ranges[BUS_MAX_RANGES];
	unsigned count;
	struct encore_machine *machine; /* counts accesses as exits (by_exits) */
	bus_observer_fn observer;
	void *observer_opaque;
};

int bus__register(struct bus *b, u64 base, u64 len, bus_handler_fn fn, void *opaque,
		  const char *name);
/* Dispatch an access by `vcpu` (or NULL); unclaimed reads return
 * all-ones, writes are dropped. */
void bus__access(struct bus *b, struct encore_vcpu *vcpu, u64 addr, u8 *data, unsigned len,
		 bool is_write);

/* Guest RAM as the architecture lays it out (encore/arch.h ram_layout):
 * region k is at guest physical [base, base + size) and in m->ram right
 * after the regions before it.  An empty region has size 0. */
#define MACHINE_RAM_REGIONS 2
struct ram_region {
	u64 base, size;
};

/* The board routes interrupt lines (to the 8259 pair). */
struct irq_router {
	void (*set_irq)(void *opaque, unsigned line, bool level);
	void *opaque;
};

/*
 * What a vCPU asks at an instruction boundary (its local APIC on a PC).
 * has_interrupt: a maskable interrupt is ready for the CPU (priority
 * rules already applied); acknowledge: the INTA cycle, returning the
 * vector or -1 if the request went away (an Arm GIC has no such cycle:
 * the guest acknowledges by reading the GIC, so it returns 0 and the
 * engine takes its IRQ exception); service (optional): deliver
 * what the controller holds for the vCPU that is not a maskable
 * interrupt (on x86: NMI, INIT, start-up), before interrupts are offered.
 */
struct intc {
	bool (*has_interrupt)(void *opaque);
	int (*acknowledge)(void *opaque);
	void (*service)(void *opaque, struct encore_vcpu *v);
	void *opaque;
};

/*
 * A virtual CPU: its engine (which holds its architectural state and
 * counts its retired instructions) and its interrupt controller.  The
 * machine runs its vCPUs in turn on one host thread (run.c).
 */
struct encore_vcpu {
	unsigned index;
	struct encore_machine *machine;
	struct encore_engine *engine;
	struct intc intc;
};

#define MACHINE_MAX_VCPUS 64
/* How many of the machine's instructions one vCPU runs before the next
 * takes its turn (run.c); see README "Several vCPUs" for the trade-off.
 * Recordings depend on it: an encore built with another replays none. */
#ifndef MACHINE_QUANTUM_INSNS
#define MACHINE_QUANTUM_INSNS 20000ull
#endif
#define MACHINE_MAX_TIMERS (16 + MACHINE_MAX_VCPUS)
#define MACHINE_MAX_DEVICES (32 + MACHINE_MAX_VCPUS)

/*
 * Whose turn it is (run.c): saved in checkpoints, since the interleaving
 * of the vCPUs must continue exactly where it was.  `quantum_end` is the
 * machine's instruction count at which vCPU `cur` hands over.
 */
struct vcpu_sched_state {
	u32 cur;
	u32 nvcpus;
	u64 quantum_end;
};

struct vtimer;
struct device;

#define MACHINE_NO_PAUSE (~0ull)

/*
 * A debugger's stop (src/debug/): the machine pauses when its instruction
 * count reaches `at` (the first time it does: after any interrupt due
 * there was delivered, or at the HLT that got there), or when the engine
 * returns after an analysis hook set `requested` (and kicked it).  The
 * pause happens inside the engine's run, between two instructions, and
 * `fn` runs there: nothing else happens at that point, so pausing changes
 * nothing the guest can see.  `fn` may arm another pause, or end the run
 * with machine__request_stop.
 */
struct machine_pause {
	u64 at;           /* MACHINE_NO_PAUSE: none */
	bool requested;
	void (*fn)(void *opaque);
	void *opaque;
};

/*
 * Page tracking for checkpoints (ram.c).  `dirty` has a bit per 4 KiB
 * frame of RAM written since the last checkpoint; engines mark it on the
 * slow path of a write and revoke their cached write rights when it is
 * cleared, so the fast path of a write costs nothing.  `absent` (NULL
 * unless a sparse restore is under way) has a bit per frame not loaded
 * yet: the first pointer taken into such a frame fetches it.
 */
struct ram_pages {
	u64 nframes;
	u64 *dirty;
	u64 *absent;
	u64 absent_left;
	u64 fetched;      /* frames fetched on first touch */
	/* Fill `page` with the content of `frame`; on failure it reports
	 * and does not return (a replay cannot go on without the page). */
	void (*fetch)(void *opaque, u64 frame, u8 *page);
	void *fetch_opaque;
};

struct encore_machine {
	const struct encore_arch *arch; /* what its vCPUs are */
	u8 *ram;          /* host mapping of all guest RAM, region by region */
	u64 ram_size;
	struct ram_region ram_regions[MACHINE_RAM_REGIONS];
	struct bus pio, mmio;
	struct encore_vcpu *vcpus; /* nvcpus of them */
	unsigned nvcpus;
	struct encore_vcpu *cur;   /* the vCPU running, or whose turn it is */
	u64 insns_others;          /* instructions retired by every vCPU but cur */
	struct vcpu_sched_state sched;
	FILE *console_out;
	bool stopped;     /* a device ended the run */
	int exit_status;  /* status requested by the device that ended it */
	u64 idle_ns;      /* virtual time skipped while every vCPU was halted;
			   * with no engine (unit tests) it is all of time */
	bool reset_requested;  /* the guest asked for a system reset */
	bool poweroff_requested; /* the guest powered the machine off (ACPI) */
	bool irq_changed;      /* re-evaluate interrupts at the next boundary */
	struct vtimer *timers[MACHINE_MAX_TIMERS];
	unsigned ntimers;
	struct device *devices[MACHINE_MAX_DEVICES];
	unsigned ndevices;
	struct irq_router irq;  /* where interrupt lines go (the board sets it) */
	struct ram_pages pages; /* dirty and not-yet-loaded frames */
	bool resume_at_poll;    /* restored at a run-loop poll: continue from there */
	/*
	 * Landmarks by exits (docs/kvm.md): in a run on KVM, and in every
	 * replay of a recording made there, progress is not counted in
	 * instructions but in exits, the points where KVM hands the CPU to
	 * user space by itself: each port or MMIO access and each halt.  Both
	 * engines reach them at the same instructions.  Virtual time is then
	 * idle_ns alone, which the session moves with the host clock (and
	 * logs).  The engine returns after each exit: every one is a place
	 * where the session may act.
	 */
	bool by_exits;
	u64 exits;
	/* An engine that may run unboundedly long between exits (KVM) calls
	 * this every few milliseconds of host time; true makes it return
	 * EXIT_ASYNC, so the front end can stop a guest that never exits. */
	bool (*async_poll)(void *opaque);
	void *async_opaque;
	struct machine_pause pause;
};

/* A machine of architecture `arch` with `nvcpus` vCPUs (1..MACHINE_MAX_VCPUS)
 * and `ram_size` bytes of RAM (whole 4 KiB frames, else NULL), no engines
 * yet. */
struct encore_machine *machine__create(const struct encore_arch *arch, u64 ram_size,
				       unsigned nvcpus);
void machine__destroy(struct encore_machine *m);

void ram__fetch_frame(struct encore_machine *m, u64 frame);

static inline bool ram__frame_absent(const struct encore_machine *m, u64 frame)
{
	return m->pages.absent && (m->pages.absent[frame >> 6] >> (frame & 63) & 1);
}

/* Offset of guest physical `paddr` in m->ram, or -1 if no RAM is there. */
static inline i64 machine__ram_offset(const struct encore_machine *m, u64 paddr)
{
	const struct ram_region *r = m->ram_regions;
	_Static_assert(MACHINE_RAM_REGIONS == 2, "machine__ram_offset looks at two regions");
	if (paddr - r[0].base < r[0].size)
		return (i64)(paddr - r[0].base);
	if (paddr - r[1].base < r[1].size)
		return (i64)(r[0].size + (paddr - r[1].base));
	return -1;
}

/* Host pointer for RAM offset `off` (machine__ram_offset), or NULL for
 * -1; the frame is loaded first during a sparse restore. */
static inline u8 *machine__ram_at(struct encore_machine *m, i64 off)
{
	if (off < 0)
		return NULL;
	if (__builtin_expect(ram__frame_absent(m, (u64)off >> 12), 0))
		ram__fetch_frame(m, (u64)off >> 12);
	return m->ram + off;
}

/* Host pointer for guest physical `paddr`, or NULL if no RAM is there.
 * The pointer is good up to the end of its 4 KiB page: during a sparse
 * restore only that page is sure to be loaded. */
static inline u8 *machine__ram_ptr(struct encore_machine *m, u64 paddr)
{
	return machine__ram_at(m, machine__ram_offset(m, paddr));
}

/* Frame `frame` of RAM (its offset / 4 KiB) was written: dirty. */
static inline void machine__frame_dirty(struct encore_machine *m, u64 frame)
{
	m->pages.dirty[frame >> 6] |= 1ull << (frame & 63);
}

/* Guest RAM at [paddr, paddr+len) was written other than through an
 * engine's fast path: mark its frames dirty (len at most one page). */
static inline void machine__note_ram_write(struct encore_machine *m, u64 paddr, u64 len)
{
	i64 a = machine__ram_offset(m, paddr), b = machine__ram_offset(m, paddr + len - 1);
	if (a >= 0)
		machine__frame_dirty(m, (u64)a >> 12);
	if (b >= 0)
		machine__frame_dirty(m, (u64)b >> 12);
}

/* A loader wrote guest RAM at [paddr, paddr+len) from the host: mark
 * every frame of it dirty, so the first checkpoint stores it.  Frames
 * no one wrote are zero and the first checkpoint skips them. */
void machine__note_ram_range(struct encore_machine *m, u64 paddr, u64 len);

/* Instructions retired by all vCPUs together. */
u64 machine__insns(struct encore_machine *m);
/* Landmark progress: exits when by_exits, else retired instructions. */
u64 machine__progress(struct encore_machine *m);
/* Make `v` the running vCPU (the scheduler's switch). */
void machine__switch_to(struct encore_machine *m, struct encore_vcpu *v);
/* After the vCPUs' instruction counts were set (a restore): recompute
 * what the machine derives from them. */
void machine__counts_changed(struct encore_machine *m);
/* One more exit (a port or MMIO access) when by_exits: the engine returns
 * at the end of the instruction. */
void machine__count_exit(struct encore_machine *m);

/* Every vCPU engine's statistics (unimplemented opcodes, ...) on `f`. */
void machine__report(struct encore_machine *m, FILE *f);
/* Ask the running engine to return so the machine can act (interrupt, stop). */
void machine__kick(struct encore_machine *m);
/* A device ends the run with `status` as encore's exit status. */
void machine__request_stop(struct encore_machine *m, int status);

#endif
