/*
 * String instructions: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS, with the
 * REP / REPE / REPNE prefixes.
 *
 * Every iteration of a REP-prefixed instruction retires as one
 * instruction.  A handler may run several iterations per call (bounded by
 * the instruction budget, c->kicked, hooks and TF); when it stops before
 * the REP is finished it rewinds RIP so the instruction executes again.
 * Registers are updated after each completed iteration and c->icount
 * counts the completed iterations at every point where an access can
 * fault, so an exception mid-way leaves exactly the architectural state
 * of the completed iterations.
 *
 * REP MOVS / REP STOS with DF = 0 have a fast path that copies or fills a
 * run of elements within one source page and one destination page through
 * host pointers taken from fast TLB tags (a miss translates the page once,
 * in the element path's fault order, and looks again).  A page that gets
 * no fast tag (MMIO, a code page, memory hooks) goes one element at a time
 * through the slow path.
 */
#include <string.h>

#include "arch/x86/interp/cpu.h"
#include "arch/x86/interp/ops.h"

#define AI static inline __attribute__((always_inline))

enum { S_MOVS, S_CMPS, S_STOS, S_LODS, S_SCAS, S_INS, S_OUTS };

/* ---- addressing ---- */

/* What every iteration of one execution shares: computed once per REP. */
struct str_ctx {
	u64 am;           /* address-size mask for rSI, rDI, rCX */
	i64 d;            /* rSI/rDI step: +size, or -size with DF */
	u64 sbase, dbase; /* segment bases added to rSI (DS or override), rDI (ES) */
	u64 lmask;        /* linear wrap: 32 bits outside 64-bit mode */
};

AI struct str_ctx str_ctx(struct cpu *c, const struct insn *i, unsigned size)
{
	/* As seg_linear: only FS/GS bases count in 64-bit mode. */
	const bool m64 = c->mode64;
	return (struct str_ctx){
		.am = ~0ull >> i->addr_shift,
		.d = (c->s.rflags & RF_DF) ? -(i64)size : (i64)size,
		.sbase = (i->seg >= SEG_FS || !m64) ? c->s.seg[i->seg].base : 0,
		.dbase = m64 ? 0 : c->s.seg[SEG_ES].base,
		.lmask = m64 ? ~0ull : 0xffffffffull,
	};
}

/* Linear address of the source element: seg:rSI (DS unless overridden). */
AI u64 src_lin(const struct str_ctx *x, u64 off)
{
	return (off + x->sbase) & x->lmask;
}

/* Linear address of the destination element: ES:rDI (no override). */
AI u64 dst_lin(const struct str_ctx *x, u64 off)
{
	return (off + x->dbase) & x->lmask;
}

static void io_check(struct cpu *c)
{
	/* No TSS I/O-permission bitmap lookup: CPL > IOPL is refused. */
	if ((c->s.cr0 & CR0_PE) &&
	    (c->cpl > ((c->s.rflags & RF_IOPL) >> 12) || (c->s.rflags & RF_VM)))
		raise_gp(c, 0);
}

/* ---- one iteration ---- */

/*
 * Perform one iteration of `op`: every access that can fault first, then
 * the register updates (rSI/rDI at the address size, rAX, flags).
 * Returns ZF of the comparison for CMPS/SCAS (true otherwise).
 */
AI bool str_step(struct cpu *c, const struct insn *i, const struct str_ctx *x, unsigned op,
		 unsigned size)
{
	const unsigned asz = i->addrsize;
	const i64 d = x->d;
	const u64 rsi = c->s.gpr[REG_RSI] & x->am, rdi = c->s.gpr[REG_RDI] & x->am;
	u64 a, b;

	switch (op) {
	case S_MOVS:
		a = mem_read(c, src_lin(x, rsi), size);
		mem_write(c, dst_lin(x, rdi), size, a);
		reg_write(c, REG_RSI, asz, rsi + d);
		reg_write(c, REG_RDI, asz, rdi + d);
		return true;
	case S_CMPS:
		a = mem_read(c, src_lin(x, rsi), size);
		b = mem_read(c, dst_lin(x, rdi), size);
		reg_write(c, REG_RSI, asz, rsi + d);
		reg_write(c, REG_RDI, asz, rdi + d);
		set_cc(c, CC_OP(CC_SUB, size), a, b, (a - b) & size_mask(size));
		return a == b;
	case S_STOS:
		mem_write(c, dst_lin(x, rdi), size, c->s.gpr[REG_RAX]);
		reg_write(c, REG_RDI, asz, rdi + d);
		return true;
	case S_LODS:
		a = mem_read(c, src_lin(x, rsi), size);
		reg_write(c, REG_RAX, size, a);
		reg_write(c, REG_RSI, asz, rsi + d);
		return true;
	case S_SCAS:
		a = c->s.gpr[REG_RAX] & size_mask(size);
		b = mem_read(c, dst_lin(x, rdi), size);
		reg_write(c, REG_RDI, asz, rdi + d);
		set_cc(c, CC_OP(CC_SUB, size), a, b, (a - b) & size_mask(size));
		return a == b;
	case S_INS: {
		u64 lin = dst_lin(x, rdi);
		/* Probe the destination before the port read so a fault does
		 * not consume device data (the retry reads the port again). */
		mmu_translate(c, lin, ACC_WRITE);
		if (((lin + size - 1) ^ lin) & ~0xfffull)
			mmu_translate(c, lin + size - 1, ACC_WRITE);
		a = cpu_port_in(c, (u16)c->s.gpr[REG_RDX], size);
		mem_write(c, lin, size, a);
		reg_write(c, REG_RDI, asz, rdi + d);
		return true;
	}
	default: /* S_OUTS */
		a = mem_read(c, src_lin(x, rsi), size);
		cpu_port_out(c, (u16)c->s.gpr[REG_RDX], size, a);
		reg_write(c, REG_RSI, asz, rsi + d);
		return true;
	}
}

/* ---- fast path: runs within one page, through host pointers ---- */

/*
 * Elements of `size` from offset `off` (linear `lin`) that stay within
 * lin's page and before the address-size wrap of the offset.
 */
AI u64 elems_room(u64 off, u64 lin, u64 am, unsigned size)
{
	u64 page = (0x1000 - (lin & 0xfff)) / size;
	u64 room = am - off; /* bytes after the first one */
	u64 wrap = room < size - 1 ? 0 : (room - (size - 1)) / size + 1;
	return page < wrap ? page : wrap;
}

/*
 * Host pointer for `len` bytes at `lin` (within one page) through a fast
 * TLB tag; on a miss the page is translated once (faulting as the
 * element's own access would) and the tag looked up again.  NULL when the
 * page gets no fast tag (MMIO, code page, memory hooks).  The retry keeps
 * the fast path when source and destination share a TLB slot.
 */
AI u8 *chunk_host(struct cpu *c, u64 lin, u64 len, bool write)
{
	u8 *h = write ? tlb_host_write(c, lin, (unsigned)len) : tlb_host_read(c, lin, (unsigned)len);
	if (likely(h != NULL))
		return h;
	mmu_translate(c, lin, write ? ACC_WRITE : ACC_READ);
	return write ? tlb_host_write(c, lin, (unsigned)len) : tlb_host_read(c, lin, (unsigned)len);
}

/*
 * Up to `maxn` iterations of MOVS (DF = 0) within one source and one
 * destination page.  Returns the number done (registers updated), or 0 if
 * the fast path does not apply; the per-element path then runs one.
 */
AI u64 movs_chunk(struct cpu *c, const struct insn *i, const struct str_ctx *x, unsigned size,
		  u64 maxn)
{
	const u64 rsi = c->s.gpr[REG_RSI] & x->am, rdi = c->s.gpr[REG_RDI] & x->am;
	const u64 sl = src_lin(x, rsi), dl = dst_lin(x, rdi);
	u64 n = maxn, k, len;
	u8 *sp, *dp;

	k = elems_room(rsi, sl, x->am, size);
	if (k < n)
		n = k;
	k = elems_room(rdi, dl, x->am, size);
	if (k < n)
		n = k;
	if (n < 2)
		return 0;
	len = n * size;
	/* Same fault order as the element path: source read, then the
	 * destination write.  An MMIO source goes the element way before
	 * the destination is even translated. */
	sp = chunk_host(c, sl, len, false);
	if (!sp)
		return 0;
	dp = chunk_host(c, dl, len, true);
	if (!dp)
		return 0;

	if (dp > sp && dp < sp + len) {
		/* Forward overlap: element-by-element semantics (a movsb with
		 * dst = src + 1 replicates a byte); memmove would differ. */
		for (u64 e = 0; e < len; e += size) {
			u64 t;
			__builtin_memcpy(&t, sp + e, size);
			__builtin_memcpy(dp + e, &t, size);
		}
	} else {
		memmove(dp, sp, len);
	}
	reg_write(c, REG_RSI, i->addrsize, rsi + len);
	reg_write(c, REG_RDI, i->addrsize, rdi + len);
	return n;
}

/* Up to `maxn` iterations of STOS (DF = 0) within one page; as movs_chunk. */
AI u64 stos_chunk(struct cpu *c, const struct insn *i, const struct str_ctx *x, unsigned size,
		  u64 maxn)
{
	const u64 rdi = c->s.gpr[REG_RDI] & x->am, dl = dst_lin(x, rdi);
	const u64 v = c->s.gpr[REG_RAX] & size_mask(size);
	u64 n = maxn, k, len;
	u8 *dp;

	k = elems_room(rdi, dl, x->am, size);
	if (k < n)
		n = k;
	if (n < 2)
		return 0;
	len = n * size;
	dp = chunk_host(c, dl, len, true);
	if (!dp)
		return 0;

	if (v == (u8)v * (0x0101010101010101ull & size_mask(size))) {
		memset(dp, (u8)v, len); /* every byte of the pattern is equal */
	} else {
		for (u64 e = 0; e < len; e += size)
			__builtin_memcpy(dp + e, &v, size); /* the low `size` bytes */
	}
	reg_write(c, REG_RDI, i->addrsize, rdi + len);
	return n;
}

/* ---- REP driver ---- */

/* while_eq: CMPS/SCAS continue while equal (REPE) or while not (REPNE). */
AI void str_rep(struct cpu *c, const struct insn *i, unsigned op, unsigned size, bool while_eq)
{
	const unsigned asz = i->addrsize;
	const struct str_ctx x = str_ctx(c, i, size);
	u64 cnt = c->s.gpr[REG_RCX] & x.am;
	u64 budget, done = 0;
	const bool fast = (op == S_MOVS || op == S_STOS) && x.d > 0;

	if (op == S_INS || op == S_OUTS) {
		io_check(c);
		cpu_end_block(c); /* device state may have changed */
	}
	if (!cnt) {
		/* Retires once, no iteration.  Intel CPUs still write ECX with a
		 * 32-bit address size (clearing RCX[63:32]), and for MOVS/STOS
		 * also ESI/EDI resp. EDI; we do the same. */
		if (asz == 4) {
			reg_write(c, REG_RCX, 4, 0);
			if (op == S_MOVS)
				reg_write(c, REG_RSI, 4, c->s.gpr[REG_RSI]);
			if (op == S_MOVS || op == S_STOS)
				reg_write(c, REG_RDI, 4, c->s.gpr[REG_RDI]);
		}
		return;
	}

	budget = c->insn_limit - cpu_icount(c);
	/* With hooks each iteration is reported as its own instruction (and
	 * no TLB entry has a fast tag, so the fast path never applies); with
	 * TF each one traps. */
	if (c->hooks || (c->s.rflags & RF_TF))
		budget = 1;

	for (;;) {
		u64 k = 0;
		bool eq;
		if (fast) {
			u64 maxn = budget - done < cnt ? budget - done : cnt;
			k = op == S_MOVS ? movs_chunk(c, i, &x, size, maxn)
					 : stos_chunk(c, i, &x, size, maxn);
		}
		if (k) {
			eq = true;
		} else {
			eq = str_step(c, i, &x, op, size);
			k = 1;
		}
		cnt -= k;
		reg_write(c, REG_RCX, asz, cnt);
		done += k;
		c->icount += k; /* completed iterations, in case a later one faults */
		if (!cnt)
			break;
		if ((op == S_CMPS || op == S_SCAS) && eq != while_eq)
			break;
		if (done >= budget || *(volatile u8 *)&c->kicked) {
			/* Not finished: run the instruction again. */
			c->s.rip -= i->len;
			cpu_end_block(c);
			break;
		}
	}
	c->icount--; /* the run loop counts the last iteration */
	/* A block's instruction budget assumes one retirement per
	 * instruction: after several, let the run loop look at the limit. */
	if (done > 1)
		cpu_end_block(c);
}

AI void str_once(struct cpu *c, const struct insn *i, unsigned op, unsigned size)
{
	const struct str_ctx x = str_ctx(c, i, size);
	if (op == S_INS || op == S_OUTS) {
		io_check(c);
		cpu_end_block(c);
	}
	str_step(c, i, &x, op, size);
}

/* ---- handlers and selectors ---- */

#define STR_DEF1(name, op, sz)                                                   \
	static void name##_##sz(struct cpu *c, const struct insn *i)            \
	{                                                                        \
		str_once(c, i, op, sz);                                          \
	}                                                                        \
	static void name##_##sz##_rep(struct cpu *c, const struct insn *i)      \
	{                                                                        \
		str_rep(c, i, op, sz, true);                                     \
	}
/* CMPS/SCAS also have a REPNE form. */
#define STR_DEF1_NE(name, op, sz)                                                \
	STR_DEF1(name, op, sz)                                                   \
	static void name##_##sz##_repne(struct cpu *c, const struct insn *i)    \
	{                                                                        \
		str_rep(c, i, op, sz, false);                                    \
	}
#define STR_DEF(name, op) STR_DEF1(name, op, 1) STR_DEF1(name, op, 2) STR_DEF1(name, op, 4) STR_DEF1(name, op, 8)
#define STR_DEF_NE(name, op) \
	STR_DEF1_NE(name, op, 1) STR_DEF1_NE(name, op, 2) STR_DEF1_NE(name, op, 4) STR_DEF1_NE(name, op, 8)
STR_DEF(movs, S_MOVS)
STR_DEF_NE(cmps, S_CMPS)
STR_DEF(stos, S_STOS)
STR_DEF(lods, S_LODS)
STR_DEF_NE(scas, S_SCAS)
STR_DEF(ins, S_INS)
STR_DEF(outs, S_OUTS)

/* F2 is REPNE for CMPS/SCAS and plain REP for the others. */
#define STR_ENT1(name, sz, ne) { name##_##sz, name##_##sz##_rep, name##_##sz##_##ne }
#define STR_ENT(name, ne) \
	{ STR_ENT1(name, 1, ne), STR_ENT1(name, 2, ne), STR_ENT1(name, 4, ne), STR_ENT1(name, 8, ne) }
/* [op][log2 size][none, F3 (REP/REPE), F2 alone] */
static const insn_fn str_table[7][4][3] = {
	STR_ENT(movs, rep), STR_ENT(cmps, repne), STR_ENT(stos, rep), STR_ENT(lods, rep),
	STR_ENT(scas, repne), STR_ENT(ins, rep), STR_ENT(outs, rep),
};

static insn_fn str_select(struct insn *i, unsigned op)
{
	unsigned size = i->opsize;
	unsigned rep = (i->pfx & PFX_REP) ? 1 : (i->pfx & PFX_REPNE) ? 2 : 0;
	if (i->pfx & PFX_LOCK)
		return NULL;
	/* INS/OUTS have no 64-bit form: REX.W keeps 32-bit operands. */
	if ((op == S_INS || op == S_OUTS) && size == 8)
		size = 4;
	return str_table[op][__builtin_ctz(size)][rep];
}

static insn_fn sel_movs(struct insn *i) { return str_select(i, S_MOVS); }
static insn_fn sel_cmps(struct insn *i) { return str_select(i, S_CMPS); }
static insn_fn sel_stos(struct insn *i) { return str_select(i, S_STOS); }
static insn_fn sel_lods(struct insn *i) { return str_select(i, S_LODS); }
static insn_fn sel_scas(struct insn *i) { return str_select(i, S_SCAS); }
static insn_fn sel_ins(struct insn *i) { return str_select(i, S_INS); }
static insn_fn sel_outs(struct insn *i) { return str_select(i, S_OUTS); }

void ops_string__register(void)
{
	op_register(MAP_1B, 0xa4, sel_movs, "movsb");
	op_register(MAP_1B, 0xa5, sel_movs, "movs");
	op_register(MAP_1B, 0xa6, sel_cmps, "cmpsb");
	op_register(MAP_1B, 0xa7, sel_cmps, "cmps");
	op_register(MAP_1B, 0xaa, sel_stos, "stosb");
	op_register(MAP_1B, 0xab, sel_stos, "stos");
	op_register(MAP_1B, 0xac, sel_lods, "lodsb");
	op_register(MAP_1B, 0xad, sel_lods, "lods");
	op_register(MAP_1B, 0xae, sel_scas, "scasb");
	op_register(MAP_1B, 0xaf, sel_scas, "scas");
	op_register(MAP_1B, 0x6c, sel_ins, "insb");
	op_register(MAP_1B, 0x6d, sel_ins, "ins");
	op_register(MAP_1B, 0x6e, sel_outs, "outsb");
	op_register(MAP_1B, 0x6f, sel_outs, "outs");
}
