/*
 * Instrumentation hooks of a CPU engine, for analysis plugins
 * (encore/plugin.h, whose callbacks have the same shapes so that a lone
 * plugin's function can be installed as is).  When no hook is installed
 * the interpreter runs its plain fast path; installing any hook switches
 * it to an instrumented path, so an unused hook costs nothing.
 *
 * Every hook gets the index of the vCPU whose engine calls it (the
 * engine's vcpu->index) and that vCPU's own retired-instruction count.
 */
#ifndef ENCORE_HOOKS_H
#define ENCORE_HOOKS_H

#include "encore/types.h"

struct encore_code_block; /* encore/plugin.h */

#define HOOK_ACCESS_WRITE 1u  /* = ENCORE_ACCESS_WRITE */
#define HOOK_ACCESS_MMIO  2u  /* = ENCORE_ACCESS_MMIO */

/* Each callback has its own opaque argument, so that different plugins
 * can own different callbacks without a dispatcher in between. */
struct encore_hooks {
	/* Before each instruction executes; bytes/len are its encoding. */
	void (*on_insn)(void *opaque, unsigned vcpu, u64 icount, u64 rip, const u8 *bytes,
			unsigned len, unsigned cpl);
	void *insn_opaque;
	/* Before each basic block (straight-line run ending at a branch). */
	void (*on_block)(void *opaque, unsigned vcpu, u64 icount, u64 rip, unsigned ninsns,
			 unsigned cpl);
	void *block_opaque;
	/* Each data memory access, after it succeeded. */
	void (*on_mem)(void *opaque, unsigned vcpu, u64 icount, u64 vaddr, u64 paddr,
		       unsigned size, u64 value, unsigned flags);
	void *mem_opaque;
	/* Each exception or interrupt delivered (error_code < 0: none). */
	void (*on_exception)(void *opaque, unsigned vcpu, u64 icount, u64 rip, unsigned vector,
			     i64 error_code, bool external);
	void *exception_opaque;
	/* Each SYSCALL instruction, before it executes (Linux argument order). */
	void (*on_syscall)(void *opaque, unsigned vcpu, u64 icount, u64 rip, u64 nr,
			   const u64 args[6], u64 cr3);
	void *syscall_opaque;
	/* Decoded code, both or neither (see encore/plugin.h): a block was
	 * decoded, and what the hook returned for it is handed back each time
	 * instructions of it ran.  Installing or removing them drops every
	 * decoded block, so no block keeps another hook set's handle. */
	void *(*on_block_decoded)(void *opaque, unsigned vcpu, const struct encore_code_block *b);
	void (*on_block_ran)(void *opaque, unsigned vcpu, u64 icount, void *handle,
			     unsigned started, unsigned retired);
	void *code_opaque;
	/* With the decoded-code hooks: each handle on_block_decoded returns is
	 * the address of the block's ninsns u64 counts (or NULL), and a run
	 * that retires every instruction it began, r of them, adds 1 to the
	 * r-th instead of being told to on_block_ran; a run that a fault
	 * ends (and every run of a block whose handle is NULL) is told.
	 * Translations do the add inline. */
	bool count_runs;
	/* The vCPU's code goes on at privilege level cpl, another than its
	 * code ran at before (see encore/plugin.h); icount counts what ran
	 * before.  Called between blocks, so it costs nothing per block. */
	void (*on_cpl_change)(void *opaque, unsigned vcpu, u64 icount, unsigned cpl);
	void *cpl_change_opaque;
};

#endif
