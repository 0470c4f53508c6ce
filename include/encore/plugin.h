/*
 * The analysis plugin API of `encore simulate` (and of docs/plugins.md),
 * version 5: every event callback names the vCPU it happened on, decoded
 * blocks of code can be followed instead of every instruction, changes
 * of privilege level instead of every block, and the environment names
 * the guest's architecture.
 *
 * A plugin analyses the replay of one interval at a time: interval i is
 * the stretch of a recording from checkpoint i to checkpoint i+1.  Each
 * interval runs on its own, on whichever worker process is free, so a
 * plugin instance lives for exactly one interval: encore calls create(),
 * interval_begin(), the event callbacks in execution order,
 * interval_end(), destroy().  Nothing may carry over from one interval
 * to the next (static variables included), or the results would depend
 * on how many workers there are.
 *
 * Each instance writes the interval's results to env->out, a file of its
 * own.  When every interval is done, encore merges those files in
 * interval order into one output with the plugin's merge (or a provided
 * one), so the merged output of `-j 1` and `-j 8` is the same byte for
 * byte as long as each interval's output depends only on the interval.
 *
 * Event callbacks are optional: leave one NULL and encore does not
 * install that hook in the CPU engine; with no plugin asking for any,
 * the engine runs its plain fast path.  Callbacks run inside the CPU's
 * execution loop: they must not call back into encore except through
 * `struct encore_plugin_host`.
 *
 * vCPUs.  A machine has interval->nvcpus vCPUs, numbered from 0; they
 * take turns on one host thread, so callbacks come one at a time, in
 * execution order, with the events of different vCPUs interleaved.
 * Every callback gets `vcpu`, the vCPU the event happened on (for a
 * device access: the vCPU that made it; for one no vCPU made, such as a
 * DMA, the vCPU whose turn it is).
 *
 * "icount" in a callback is the number of instructions THAT vCPU has
 * retired since the guest started (not since the interval started, and
 * not the machine's total): for an instruction callback, the vCPU's
 * count before that instruction retires.  Each vCPU's icount only moves
 * while it runs, so icounts of different vCPUs are not comparable; with
 * one vCPU, icount is the machine's count.  The interval gives, per vCPU,
 * the count at its start and at its end (vcpu_first_icount[v],
 * vcpu_end_icount[v]); first_icount and end_icount are the machine's
 * totals, the sums over the vCPUs.
 *
 * To count per vCPU, keep a state per vCPU (allocated in create() for
 * env->interval->nvcpus), start vCPU v's at vcpu_first_icount[v] (with
 * its registers, its CPL say, from the host's vcpu_regs(v) in
 * interval_begin), and advance it only with the icounts of v's own
 * callbacks: the instructions v retired between two of its events are
 * the difference of their icounts, and at interval_end the rest is
 * vcpu_end_icount[v] minus its last icount.  A vCPU's instructions
 * between its last event and its turn ending are only seen at its next
 * event; a plugin that needs them earlier (to total something over
 * vCPUs in the middle of an interval) reads the vCPU's count with the
 * host's vcpu_regs().
 *
 * An external plugin is a shared object (`cc -shared -fPIC`) that defines
 *     const struct encore_plugin encore_plugin = { ENCORE_PLUGIN_API_VERSION, ... };
 * and is named on the command line by a path containing '/' or ending in
 * ".so": `encore simulate REC --plugin ./myplugin.so,key=value`.  encore
 * runs plugins built for versions 2, 3 and 4 as they are (version 3 only
 * added on_block_decoded and on_block_ran at the end of struct
 * encore_plugin, version 4 on_cpl_change after them, version 5 the
 * environment's arch) and refuses one built for version 1 (it had no vCPU
 * arguments): rebuild that against this header.
 */
#ifndef ENCORE_PLUGIN_H
#define ENCORE_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ENCORE_PLUGIN_API_VERSION 5

/* The interval an instance analyses. */
#define ENCORE_ICOUNT_UNKNOWN UINT64_MAX

struct encore_interval {
	uint32_t index;        /* i: from checkpoint i to checkpoint i+1 */
	uint32_t count;        /* intervals in the recording; under simulate --follow,
				* those complete when this one started (the recording
				* grows): an output must not depend on it */
	uint64_t first_icount; /* the machine's instructions (all vCPUs) at checkpoint i */
	uint64_t end_icount;   /* ... at checkpoint i+1 (for the last: at the end) */
	uint32_t nvcpus;       /* vCPUs of the machine, numbered 0 .. nvcpus-1 */
	/* Per vCPU, nvcpus long: the instructions vCPU v had retired at
	 * checkpoint i, and at checkpoint i+1.  Their sums are first_icount
	 * and end_icount. */
	const uint64_t *vcpu_first_icount;
	const uint64_t *vcpu_end_icount;
	/* A recording made on KVM counts no instructions: there each
	 * interval counts from 0 (first_icount and every vcpu_first_icount),
	 * and end_icount and every vcpu_end_icount are ENCORE_ICOUNT_UNKNOWN
	 * until interval_end, which gets the counts the interval really ended
	 * at (merges get them unknown). */
};

/* key=value options from the command line (`--plugin NAME,k=v,k2=v2`). */
struct encore_plugin_options {
	unsigned count;
	const char *const *keys;
	const char *const *values;
};

/* Registers of a vCPU, for callbacks that need more than they get. */
struct encore_regs {
	uint64_t gpr[16];      /* RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15 */
	uint64_t rip, rflags;
	uint64_t cr0, cr2, cr3, cr4, efer;
	uint64_t fs_base, gs_base, kernel_gs_base;
	uint16_t cs, ss;
	uint8_t cpl;
	uint32_t vcpu;         /* whose registers these are */
	uint64_t icount;       /* the instructions that vCPU has retired so far */
};

struct encore_plugin_host;

/* What encore gives every instance. */
struct encore_plugin_env {
	const struct encore_interval *interval;
	const struct encore_plugin_options *options;
	FILE *out;             /* this interval's output file (binary mode) */
	const struct encore_plugin_host *host;
	void *host_ctx;        /* first argument of every host function */
	/* Version 5: the guest's architecture, "x86_64" or "arm64", which
	 * says what registers, encodings, vectors and system call numbers
	 * mean (docs/plugins.md). */
	const char *arch;
};

/* Services of encore, callable from any callback. */
struct encore_plugin_host {
	/* The current registers of the vCPU of the running callback (in
	 * interval_begin and interval_end: of the vCPU whose turn it is;
	 * out->vcpu says which). */
	void (*regs)(void *host_ctx, struct encore_regs *out);
	/* Read guest memory at a virtual address through the page tables of
	 * the vCPU of the running callback, without side effects (no fault,
	 * no accessed bits); 0, or -1 if some byte is not mapped. */
	int (*read_virt)(void *host_ctx, uint64_t vaddr, void *buf, size_t len);
	/* An option's value, or `dflt` when the option was not given. */
	const char *(*option)(void *host_ctx, const char *key, const char *dflt);
	/* The current registers and count of any vCPU: in interval_begin,
	 * each vCPU's state at checkpoint i; in a callback of another vCPU,
	 * where that vCPU stopped.  0, or -1 if there is no vCPU `vcpu`. */
	int (*vcpu_regs)(void *host_ctx, unsigned vcpu, struct encore_regs *out);
};

/* A block of code as encore decoded it (on_block_decoded): ninsns
 * instructions one after the other from rip, on one privilege level. */
struct encore_code_block {
	uint64_t rip;          /* the first instruction's address */
	unsigned ninsns;       /* at least 1 */
	unsigned cpl;          /* the privilege level of every run of the block */
	const uint8_t *lens;   /* each instruction's length in bytes */
	const uint8_t *bytes;  /* their encodings, one after the other */
	/* lens and bytes are readable during the call only. */
};

/* Flags of a memory or device access. */
#define ENCORE_ACCESS_WRITE 1u
#define ENCORE_ACCESS_MMIO  2u   /* on_io: MMIO (else an I/O port) */

/* How per-interval outputs become one file. */
enum encore_merge_kind {
	/* The interval files one after the other, in interval order.  Good
	 * for record streams, and for zstd frames (a concatenation of zstd
	 * frames is a valid zstd stream). */
	ENCORE_MERGE_CONCAT,
	/* Text lines "KEY COUNT" (KEY without blanks, COUNT a decimal
	 * number): summed over intervals, one line per KEY, in the order of
	 * first appearance.  Other lines (comments starting with '#') are kept
	 * from the first interval only. */
	ENCORE_MERGE_COUNTERS,
	/* The plugin's merge() does it. */
	ENCORE_MERGE_CUSTOM,
};

/* The inputs of a merge: the interval outputs, in interval order.  With
 * `encore simulate --intervals` they need not be consecutive intervals. */
struct encore_merge_input {
	unsigned count;
	const struct encore_interval *intervals;
	FILE *const *files;      /* opened for reading, at offset 0 */
	const struct encore_plugin_options *options;
	const struct encore_plugin_host *host;   /* option() only */
	void *host_ctx;
};

struct encore_plugin {
	unsigned api_version;    /* ENCORE_PLUGIN_API_VERSION */
	const char *name;
	const char *summary;     /* one line, for `encore simulate --list-plugins` */
	const char *options_help;/* "key=value: meaning" lines, or NULL */
	const char *suffix;      /* output file name suffix, e.g. "txt" */

	/* Optional: check the options once, before any interval runs (the
	 * host offers option() only here).  0 if they are fine, else -1 with
	 * a message in err; encore puts "plugin NAME: " in front of it, as of
	 * every message a plugin returns. */
	int (*check_options)(const struct encore_plugin_options *o,
			     const struct encore_plugin_host *host, void *host_ctx,
			     char *err, size_t errlen);
	/* One instance per interval; NULL with a message in err on failure. */
	void *(*create)(const struct encore_plugin_env *env, char *err, size_t errlen);
	void (*destroy)(void *self);

	/* The interval starts (the machine is at checkpoint i; optional) and
	 * ends (it is at checkpoint i+1, verified).  interval_end writes the
	 * results; 0, or -1 with a message in err (the interval then counts as
	 * failed). */
	void (*interval_begin)(void *self, const struct encore_interval *iv);
	int (*interval_end)(void *self, const struct encore_interval *iv, char *err,
			    size_t errlen);

	/* The event callbacks.  Each gets the vCPU the event happened on and
	 * that vCPU's icount (see the top of this file). */

	/* Before each instruction executes; bytes/len are its encoding (len
	 * bytes, readable only during the call: often a pointer into guest
	 * memory, so copy what you keep) and cpl the privilege level it runs
	 * at.  It also fires for an
	 * instruction that then faults (and does not retire), and once per
	 * start of a REP string instruction whose iterations each count as an
	 * instruction in icount: to count instructions, use icount
	 * differences (of the same vCPU), not calls. */
	void (*on_insn)(void *self, unsigned vcpu, uint64_t icount, uint64_t rip,
			const uint8_t *bytes, unsigned len, unsigned cpl);
	/* Before each basic block: a straight run of up to ninsns
	 * instructions ending at a branch.  The block may stop early (a fault,
	 * an interrupt, the end of the vCPU's turn); count instructions with
	 * the icount of the vCPU's next event, not with ninsns.  Every
	 * instruction runs in a block announced here (a vCPU whose turn
	 * comes again announces a new block where it stopped), every control
	 * transfer ends one and every exception handler starts a new one, so
	 * a vCPU's CPL can only change from one of its blocks to the next. */
	void (*on_block)(void *self, unsigned vcpu, uint64_t icount, uint64_t rip,
			 unsigned ninsns, unsigned cpl);
	/* Each data access to guest memory, after it succeeded (reads with
	 * the value read).  Instruction fetches are not reported. */
	void (*on_mem)(void *self, unsigned vcpu, uint64_t icount, uint64_t vaddr,
		       uint64_t paddr, unsigned size, uint64_t value, unsigned flags);
	/* Each exception or interrupt the vCPU takes: rip is where it
	 * happened, error_code < 0 when there is none, external for
	 * interrupts from devices.  For INT n, INT3, INT1 and INTO it fires
	 * before the instruction retires (icount does not include it yet) and
	 * rip is the next instruction's. */
	void (*on_exception)(void *self, unsigned vcpu, uint64_t icount, uint64_t rip,
			     unsigned vector, int64_t error_code, bool external);
	/* Each access to a device: an I/O port or an MMIO address, size
	 * bytes, the value written or read. */
	void (*on_io)(void *self, unsigned vcpu, uint64_t icount, uint64_t addr, unsigned size,
		      uint64_t value, unsigned flags);
	/* Each SYSCALL instruction, before it executes: nr is RAX, args are
	 * RDI, RSI, RDX, R10, R8, R9 (the Linux x86-64 convention), cr3
	 * names the address space. */
	void (*on_syscall)(void *self, unsigned vcpu, uint64_t icount, uint64_t rip, uint64_t nr,
			   const uint64_t args[6], uint64_t cr3);

	enum encore_merge_kind merge_kind;
	/* ENCORE_MERGE_CUSTOM: write the merged output; 0, or -1 with err. */
	int (*merge)(const struct encore_merge_input *in, FILE *out, char *err, size_t errlen);

	/* Version 3.  Decoded code: the way to see every instruction that ran
	 * at a cost per run of a block rather than per instruction (coverage
	 * and hotspots use it).  Both or neither.
	 *
	 * on_block_decoded: encore decoded a block of code, about to run it
	 * on `vcpu`.  Return what on_block_ran is to get for it (a pointer to
	 * the plugin's own record of the block, say; the plugin frees its
	 * records in destroy).  A block stays decoded while its code is
	 * unchanged and may then run any number of times, on any vCPU;
	 * an address can be in several blocks (code written anew is decoded
	 * anew; a branch into the middle of a block starts another one).
	 * A block can hold conditional branches: one taken ends a run there.
	 * Returning NULL is allowed (on_block_ran then gets NULL).
	 *
	 * on_block_ran: after a run of a decoded block on `vcpu`, whose
	 * icount was `icount` before the run's first instruction: its first
	 * `started` instructions (at least 1) began, and `retired` of them
	 * retired: `started`, or `started` - 1 when the last one faulted
	 * (on_exception follows).  A REP string instruction ends a run after
	 * each iteration (the next one runs in a block that starts at it),
	 * so each instruction a run retired is one instruction of icount and
	 * the `retired` of a vCPU's runs add up to its icount exactly.  A run is
	 * reported after the events of its instructions (on_insn, on_mem,
	 * on_io, on_syscall) and before those of what follows it. */
	void *(*on_block_decoded)(void *self, unsigned vcpu, const struct encore_code_block *b);
	void (*on_block_ran)(void *self, unsigned vcpu, uint64_t icount, void *block,
			     unsigned started, unsigned retired);

	/* Version 4.  The privilege level of the vCPU's code changed: what
	 * runs next on `vcpu` runs at `cpl`, and its code ran at another CPL
	 * from its previous call (or from interval_begin, where its registers
	 * give the CPL it starts at) up to `icount`, its count now.  So the
	 * instructions retired at each CPL are differences of icounts, at a
	 * cost per change instead of per block.  It comes before the events
	 * of the first instruction at the new CPL.  An instruction that
	 * changes the CPL (SYSCALL, SYSRET, IRET, a far transfer, INT n)
	 * counts at the CPL it started at; an exception or interrupt taken
	 * between instructions is not an instruction.  A CPL left again
	 * before any instruction ran there is not reported. */
	void (*on_cpl_change)(void *self, unsigned vcpu, uint64_t icount, unsigned cpl);

	/* Version 4, with the decoded-code callbacks: true if each handle
	 * on_block_decoded returns is the address of ninsns uint64_t counts
	 * (or NULL), and a run that retired every instruction it began, r of
	 * them (1 <= r <= ninsns), is counted there, handle[r - 1] += 1,
	 * instead of being told to on_block_ran.  Runs that a fault ended
	 * (retired = started - 1), and every run of a block whose handle is
	 * NULL, are told as before.  A run is counted when it ends (read the
	 * counts in interval_end).  It saves a call per run of a block: a
	 * translated block adds the 1 itself. */
	bool count_runs;
};

/* The sizes of older versions' struct encore_plugin: everything before
 * what the next version added. */
#define ENCORE_PLUGIN_V2_SIZE offsetof(struct encore_plugin, on_block_decoded)
#define ENCORE_PLUGIN_V3_SIZE offsetof(struct encore_plugin, on_cpl_change)

#endif
