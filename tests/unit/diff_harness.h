/*
 * Differential testing of single instructions: the same bytes run natively
 * on the host CPU and in encore's interpreter from the same register state,
 * then the results are compared.
 *
 * Memory: a 64 KiB data window at virtual address DIFF_DATA_ADDR exists on
 * both sides (host: a fixed mapping; guest: identity-mapped RAM).  Tests
 * point registers into it for memory operands.  The code sits at
 * DIFF_CODE_ADDR on both sides, so RIP-relative operands reach the window
 * with the same displacement.  Addresses outside the window fault natively
 * (#PF) but not in the guest, so tests must keep every access inside it.
 *
 * RSP: both sides keep their own stack pointer (the host's is the
 * harness's stack; the guest's is a stack page in guest RAM).  gpr[REG_RSP]
 * is neither loaded nor compared, and the instruction under test must not
 * use RSP/ESP/SP/SPL (as an operand, a base/index, or implicitly: PUSH,
 * POP, CALL, RET, ENTER, LEAVE, PUSHF...).
 *
 * RFLAGS: only CF PF AF ZF SF OF and DF are loaded; the other bits are the
 * side's own (IF, the reserved bit 1...).
 *
 * Native execution runs at CPL 3, the guest at CPL 0: only unprivileged
 * instructions give comparable results.
 */
#ifndef ENCORE_TEST_DIFF_HARNESS_H
#define ENCORE_TEST_DIFF_HARNESS_H

#include <stdbool.h>

#include "encore/cpu_state.h"
#include "encore/types.h"

#define DIFF_DATA_ADDR 0x10000000ull
#define DIFF_DATA_SIZE 0x10000u
#define DIFF_CODE_ADDR 0x10100000ull
/* Longer than the architectural 15 so tests can check the #GP for >15 bytes. */
#define DIFF_MAX_INSN 32

/* The flags the harness loads and compares. */
#define DIFF_FLAGS (RF_ARITH | RF_DF)

struct diff_state {
	u64 gpr[16];   /* gpr[REG_RSP] is ignored (see above) */
	u64 rflags;    /* only DIFF_FLAGS matter */
	u8 xmm[16][16];
	u32 mxcsr;     /* must be valid (reserved bits 0), else FXRSTOR faults */
	u16 fcw, fsw;  /* fsw bits 11..13 are TOP */
	u8 ftw;        /* abridged tag (FXSAVE layout): bit j = physical R[j] valid */
	u8 st[8][10];  /* logical ST(0)..ST(7), 80-bit values */
};

/* Exception vectors as the run functions return them. */
#define DIFF_NO_EXC (-1)
#define DIFF_HARNESS_ERROR (-2) /* engine error: diff_last_error() says why */
#define DIFF_NOT_WHOLE_BLOCK (-3) /* (whole-block runs) the code left the block */

/*
 * Set up both sides (host mappings, signal handlers, guest machine,
 * capstone).  Returns 0, or -1 with a message on stderr.  The other
 * functions call it on first use; calling it again is harmless.
 */
int diff_init(void);
void diff_fini(void);

/* A sane default: zero registers, flags 0, MXCSR 0x1f80, FCW 0x37f, x87 empty. */
void diff_state_init(struct diff_state *st);

/*
 * Run `len` bytes (one instruction) from *st with `data` (DIFF_DATA_SIZE
 * bytes) as the window's contents; on return *st and data hold the
 * results.  Returns DIFF_NO_EXC when the instruction completed, else the
 * exception vector it raised (0 #DE, 3 #BP, 6 #UD, 13 #GP, 14 #PF, 16 #MF,
 * 17 #AC, 19 #XM...).  When an exception is raised *st is left as it was
 * on input (native: the faulting state is not captured; interpreter: the
 * state after a failed delivery is meaningless) but data is updated.
 */
int diff_run_native(const u8 *code, unsigned len, struct diff_state *st, u8 *data);
int diff_run_interp(const u8 *code, unsigned len, struct diff_state *st, u8 *data);
/* The interpreter on a straight-line sequence of `ninsns` instructions,
 * run in one engine__run call (they share a decoded block and lazy
 * flags); natively a sequence needs no special call. */
int diff_run_interp_seq(const u8 *code, unsigned len, unsigned ninsns, struct diff_state *st,
			u8 *data);
const char *diff_last_error(void);

/* What diff_check compares beyond GPRs, defined flags, data and vector. */
#define DIFF_CMP_XMM 0x01   /* XMM0-15 */
#define DIFF_CMP_MXCSR 0x02
#define DIFF_CMP_X87 0x04   /* FCW, FSW (minus fsw_undef), FTW, valid ST(i) */
#define DIFF_CMP_X87_ALL 0x08 /* also the contents of empty ST(i) */
#define DIFF_CMP_NO_DATA 0x10 /* do not compare the data window */

struct diff_opts {
	u64 flags_undef;   /* RFLAGS bits undefined after this instruction */
	u16 gpr_undef;     /* bit r: GPR r's result is undefined */
	u16 fsw_undef;     /* FSW bits not compared (e.g. C1/C0 after some ops) */
	u16 xmm_undef;     /* bit r: XMMr not compared */
	unsigned cmp;      /* DIFF_CMP_* */
	u32 data_undef_off, data_undef_len; /* a window range not compared */
};

/*
 * Run both sides from (in, data_in) and compare.  Counts one pass or one
 * failure (check.h); a failure prints a single line with the tag, the
 * bytes and their disassembly, the inputs and every difference.  If
 * data_in is NULL the window starts as all zeros.  Returns true on a match.
 */
bool diff_check(const char *tag, const u8 *code, unsigned len, const struct diff_state *in,
		const u8 *data_in, const struct diff_opts *opts);

/* The same for a straight-line sequence of `ninsns` instructions (no
 * branches); opts apply to the state after the last one. */
bool diff_check_seq(const char *tag, const u8 *code, unsigned len, unsigned ninsns,
		    const struct diff_state *in, const u8 *data_in, const struct diff_opts *opts);

/* Native vector of the last diff_check (DIFF_NO_EXC if none). */
int diff_last_native_vector(void);

/* The interpreter models an Intel CPU (MXCSR_MASK 0xffff); where the
 * host is another, behaviour the manuals leave to the vendor differs, and
 * the tests leave those cases out. */
#define DIFF_MODEL_MXCSR_MASK 0xffffu
bool diff_host_is_intel(void);
u32 diff_host_mxcsr_mask(void);

/* Disassemble for messages: "mnemonic operands[; next...]" or "(bad)". */
void diff_disasm(const u8 *code, unsigned len, char *out, size_t outlen);
/* Length capstone decodes at `code`, 0 if it does not decode. */
unsigned diff_capstone_length(const u8 *code, unsigned len);

/* ---- 32- and 16-bit code: compatibility mode ----
 *
 * The same instruction runs in a 32-bit or a 16-bit code segment of long
 * mode on both sides.  Natively: the harness switches the host CPU into
 * such a code segment (Linux's __USER32_CS when the host offers it, else a
 * 32-bit code segment of its own in the LDT) and back; a 16-bit code
 * segment and the data segments come from modify_ldt(2).  In the
 * interpreter the guest gets the same descriptors in a GDT and an LDT in
 * guest RAM, and runs at CPL 3 like the host.
 *
 * Segments: a 32-bit code segment has base 0, so EIP = DIFF_CODE_ADDR at
 * the start; a 16-bit one has its base at DIFF_CODE_ADDR, so IP = 0.  DS
 * is the host's flat user data segment (Linux's __USER_DS, base 0): a
 * DS-relative offset is a linear address, and only 32-bit addressing
 * reaches the window through DS.  SS and ES are segments of their own
 * with 4 GiB limits: SS's base is the window (every 16-bit offset is in
 * it, so SP and SS-relative offsets can wrap at 64 KiB), ES's is
 * DIFF_COMPAT_ES_OFF into it.  16-bit addressing reaches the window
 * through them (an ES or SS override, or a BP-based form), and an
 * instruction that uses the wrong segment touches other bytes.  SS is a
 * 32-bit stack (SS.B = 1, ESP) or a 16-bit one (SP), chosen per case.  FS
 * and GS are not usable (the host's FS base is its thread pointer).  Why
 * DS is flat: QEMU's TCG (7.2) hangs a guest kernel entered while DS has a
 * non-zero base, and a TCG guest is where this runs when the host cannot
 * run 32-bit code (tests/tools/diff-compat-qemu.sh).
 *
 * State: RAX..RDI and RSP are loaded (RSP = ESP: the stack is the test's,
 * in the window), R8..R15 are not usable.  Compared: the low 32 bits of
 * RAX..RDI and RSP (the upper halves are undefined after a return to
 * 64-bit mode, SDM Vol. 1 3.4.1.1), DIFF_COMPAT_FLAGS, EIP after the code
 * (a branch must end there) and the window.  Input flags: DIFF_FLAGS, and
 * IF = 1 (user mode).
 */
#define DIFF_COMPAT_ES_OFF 0x240u
#define DIFF_COMPAT_SS_OFF 0x000u
/* Everything POPF can change at CPL 3 (tests never pop TF or AC set). */
#define DIFF_COMPAT_FLAGS (DIFF_FLAGS | RF_TF | RF_IF | RF_IOPL | RF_NT | RF_AC | RF_VM | \
			   RF_VIF | RF_VIP | RF_ID)

struct diff_compat {
	unsigned code;   /* 4: 32-bit code segment, 2: 16-bit */
	bool stack16;    /* SS.B = 0 */
};

/* Set up the compatibility-mode parts of both sides.  0, or -1 with the
 * reason in diff_last_error() (the caller skips). */
int diff_compat_init(void);
/* What the host gave: which 32-bit code segment, the selectors. */
const char *diff_compat_describe(void);
/* The linear base of DS, ES or SS: operand offset o in segment `seg` is
 * linear address (diff_compat_seg_base(seg) + o) mod 2^32. */
u32 diff_compat_seg_base(int seg);
/* Selectors as the code sees them (PUSH Sreg, MOV r/m, Sreg). */
u16 diff_compat_selector(const struct diff_compat *mode, int seg);

/*
 * Run `code` (at most DIFF_MAX_INSN bytes) in compatibility mode.  Natively
 * it runs until it leaves its last byte (so it may branch to its end); the
 * interpreter runs `ninsns` instructions in one call (a straight-line
 * prefix shares a block and lazy flags), then one at a time until EIP is
 * at the end.  Results as diff_run_native.
 */
int diff_run_native_compat(const struct diff_compat *mode, const u8 *code, unsigned len,
			   struct diff_state *st, u8 *data);
int diff_run_interp_compat(const struct diff_compat *mode, const u8 *code, unsigned len,
			   unsigned ninsns, struct diff_state *st, u8 *data);
/* Compare both (diff_check's contract, with the compatibility-mode view). */
bool diff_check_compat(const char *tag, const struct diff_compat *mode, const u8 *code,
		       unsigned len, unsigned ninsns, const struct diff_state *in, const u8 *data_in,
		       const struct diff_opts *opts);

#endif
