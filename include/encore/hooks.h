/*
 * Instrumentation hooks for analysis plugins.  When no hook is installed
 * the interpreter runs its plain fast path; installing any hook switches
 * it to an instrumented path, so an unused hook costs nothing.
 */
#ifndef ENCORE_HOOKS_H
#define ENCORE_HOOKS_H

#include "encore/types.h"

struct encore_hooks {
	void *opaque;
	/* Before each instruction executes; bytes/len are its encoding. */
	void (*on_insn)(void *opaque, u64 icount, u64 rip, const u8 *bytes, unsigned len);
	/* Before each basic block (straight-line run ending at a branch). */
	void (*on_block)(void *opaque, u64 icount, u64 rip, unsigned ninsns);
	/* Each data memory access, after it succeeded. */
	void (*on_mem)(void *opaque, u64 icount, u64 vaddr, u64 paddr, unsigned size,
		       u64 value, bool is_write);
	/* Each exception or interrupt delivered (error_code < 0: none). */
	void (*on_exception)(void *opaque, u64 icount, u64 rip, unsigned vector,
			     i64 error_code, bool external);
};

#endif
