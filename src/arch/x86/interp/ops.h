/*
 * Each ops_*.c file registers the opcodes it implements.  interp_init_ops
 * calls every registration function once, before the first decode.
 */
#ifndef INTERP_OPS_H
#define INTERP_OPS_H

#include "cpu.h"

void ops_alu__register(void);    /* integer arithmetic and logic */
void ops_move__register(void);   /* moves, stack, exchange, conversions */
void ops_branch__register(void); /* jumps, calls, loops, conditional ops */
void ops_shift__register(void);  /* shifts, rotates, bit tests, bit scans */
void ops_string__register(void); /* MOVS/STOS/LODS/CMPS/SCAS/INS/OUTS */
void ops_system__register(void); /* privileged, control regs, MSRs, I/O */
void ops_sse__register(void);    /* SSE/SSE2 */
void ops_x87__register(void);    /* x87 FPU */

void interp_init_ops(void);

/* A relative branch at a known RIP (that of the next instruction): its
 * handler switched to one with the absolute target, where that is exact;
 * a Jcc so resolved no longer ends its block (IF_SIDE_EXIT). */
void ops_branch__resolve(struct insn *i, u64 next_rip);

/* The branches the translator runs natively, by their handlers: a Jcc,
 * JMP or CALL to a constant target (resolved as above; *cc is the Jcc's
 * condition), or RET of 64-bit code. */
enum branch_kind { BRANCH_NONE, BRANCH_JCC, BRANCH_JMP, BRANCH_CALL, BRANCH_RET };
enum branch_kind ops_branch__kind(const struct insn *i, unsigned *cc, u64 *target);

#endif
