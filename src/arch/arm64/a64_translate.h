/*
 * The A64 translator (a64_translate.c): a decoded block becomes host
 * x86-64 code that does what the engine's run_block does with it.
 */
#ifndef ARM64_A64_TRANSLATE_H
#define ARM64_A64_TRANSLATE_H

#include <stddef.h>

#include "arch/arm64/a64_cpu.h"

struct a64_block;

/* Host code of one block never needs more than this. */
#define A64_TRANSLATE_MAX_CODE (16u << 10)

/*
 * A translated block, run from its first instruction with c->pc there.
 * It goes on into the translations it is linked to (a64_translate_link)
 * while their blocks fit c->chain_limit.  Returns A64_OK when the last
 * block ran whole, else the status of the instruction that ended the run
 * (A64_EXC, A64_WAIT, A64_STOP) | its encoding << 32.  c->pc and
 * c->insns are then exactly what running the handlers one by one leaves;
 * the caller does what the engine does on an exception (as after
 * run_block).
 */
typedef u64 (*a64_block_code)(struct a64_cpu *c);

/* Where a linked translation enters another (a64_translate.c's
 * emit_entries says what it checks first). */
#define A64_CHAINED_ENTRY 9

/*
 * The hooks a translation calls (through a64_callbacks), as the engine's
 * hooked loop would: on_block before each block, on_block_ran after each
 * run (with count_runs), on_syscall before an SVC and on_exception after
 * it.  Memory hooks need none (with them the TLB gives native accesses no
 * rights, so every access goes through its handler, which tells them);
 * per-instruction hooks (on_insn) have no translations.
 */
enum a64_trans_hooks {
	A64_TH_BLOCK = 1,
	A64_TH_RAN = 2,
	A64_TH_SVC = 4,
	/* Some hook is installed: a jump where a handler may have changed the
	 * EL is never linked, so that on_cpl_change hears of each change. */
	A64_TH_HOOKED = 8,
	A64_TH_SYSCALL = 16, /* on_syscall before an SVC */
	A64_TH_NONE = 0xff, /* the hooks installed need the interpreter */
};

/* Translate b into host code at dst (room bytes at most) for running at
 * exception level `el` (memory accesses check that EL's TLB rights) and
 * calling the hooks of `hooks` (enum a64_trans_hooks); `frame_gen` is the
 * generation counter of b's frame: the bytes used, or 0 when it does not
 * fit. */
size_t a64_translate_block(const struct a64_block *b, unsigned el, unsigned hooks,
			   const u32 *frame_gen, u8 *dst, size_t room);

#endif
