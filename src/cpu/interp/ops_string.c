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
 * host pointers, when both are RAM and no hooks are installed.
 */
#include <string.h>

#include "cpu/interp/cpu.h"
#include "cpu/interp/ops.h"

#define AI static inline __attribute__((always_inline))

enum { S_MOVS, S_CMPS, S_STOS, S_LODS, S_SCAS, S_INS, S_OUTS };

/* ---- addressing ---- */

/* Linear address of the source element: seg:rSI (DS unless overridden). */
AI u64 src_lin(struct cpu *c, const struct insn *i, u64 off)
{
	return seg_linear(c, i->seg, off);
}

/* Linear address of the destination element: ES:rDI (no override). */
AI u64 dst_lin(struct cpu *c, u64 off)
{
	return seg_linear(c, SEG_ES, off);
}

AI i64 str_delta(struct cpu *c, unsigned size)
{
	return (c->s.rflags & RF_DF) ? -(i64)size : (i64)size;
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
AI bool str_step(struct cpu *c, const struct insn *i, unsigned op, unsigned size)
{
	const unsigned asz = i->addrsize;
	const u64 am = size_mask(asz);
	const i64 d = str_delta(c, size);
	const u64 rsi = c->s.gpr[REG_RSI] & am, rdi = c->s.gpr[REG_RDI] & am;
	u64 a, b;

	switch (op) {
	case S_MOVS:
		a = mem_read(c, src_lin(c, i, rsi), size);
		mem_write(c, dst_lin(c, rdi), size, a);
		reg_write(c, REG_RSI, asz, rsi + d);
		reg_write(c, REG_RDI, asz, rdi + d);
		return true;
	case S_CMPS:
		a = mem_read(c, src_lin(c, i, rsi), size);
		b = mem_read(c, dst_lin(c, rdi), size);
		reg_write(c, REG_RSI, asz, rsi + d);
		reg_write(c, REG_RDI, asz, rdi + d);
		set_cc(c, CC_OP(CC_SUB, size), a, b, (a - b) & size_mask(size));
		return a == b;
	case S_STOS:
		mem_write(c, dst_lin(c, rdi), size, c->s.gpr[REG_RAX]);
		reg_write(c, REG_RDI, asz, rdi + d);
		return true;
	case S_LODS:
		a = mem_read(c, src_lin(c, i, rsi), size);
		reg_write(c, REG_RAX, size, a);
		reg_write(c, REG_RSI, asz, rsi + d);
		return true;
	case S_SCAS:
		a = c->s.gpr[REG_RAX] & size_mask(size);
		b = mem_read(c, dst_lin(c, rdi), size);
		reg_write(c, REG_RDI, asz, rdi + d);
		set_cc(c, CC_OP(CC_SUB, size), a, b, (a - b) & size_mask(size));
		return a == b;
	case S_INS: {
		u64 lin = dst_lin(c, rdi);
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
		a = mem_read(c, src_lin(c, i, rsi), size);
		cpu_port_out(c, (u16)c->s.gpr[REG_RDX], size, a);
		reg_write(c, REG_RSI, asz, rsi + d);
		return true;
	}
}

/* ---- fast path: runs within one page, through host pointers ---- */

/* Elements of `size` from offset `off` before the address-size wrap. */
AI u64 elems_before_wrap(u64 off, u64 am, unsigned size)
{
	u64 room = am - off; /* bytes after the first one */
	return room < size - 1 ? 0 : (room - (size - 1)) / size + 1;
}

AI u64 elems_in_page(u64 lin, unsigned size)
{
	return (0x1000 - (lin & 0xfff)) / size;
}

/* Host pointer for `len` bytes of RAM at paddr (same page), or NULL. */
AI u8 *ram_span(struct cpu *c, u64 paddr, u64 len)
{
	u8 *p = machine__ram_ptr(c->machine, paddr);
	if (p && machine__ram_ptr(c->machine, paddr + len - 1) != p + len - 1)
		return NULL;
	return p;
}

/*
 * Up to `maxn` iterations of MOVS (DF = 0) within one source and one
 * destination page.  Returns the number done (registers updated), or 0 if
 * the fast path does not apply; the per-element path then runs one.
 */
static u64 movs_chunk(struct cpu *c, const struct insn *i, unsigned size, u64 maxn)
{
	const unsigned asz = i->addrsize;
	const u64 am = size_mask(asz);
	u64 rsi = c->s.gpr[REG_RSI] & am, rdi = c->s.gpr[REG_RDI] & am;
	u64 sl = src_lin(c, i, rsi), dl = dst_lin(c, rdi);
	u64 n = maxn, k, len, spa, dpa;
	u8 *sp, *dp;

	k = elems_in_page(sl, size);
	if (k < n)
		n = k;
	k = elems_in_page(dl, size);
	if (k < n)
		n = k;
	k = elems_before_wrap(rsi, am, size);
	if (k < n)
		n = k;
	k = elems_before_wrap(rdi, am, size);
	if (k < n)
		n = k;
	if (n < 2)
		return 0;
	len = n * size;

	/* Same fault order as the element path: source read, then the
	 * destination write.  An MMIO source goes the element way before
	 * the destination is even translated. */
	spa = mmu_translate(c, sl, ACC_READ);
	sp = ram_span(c, spa, len);
	if (!sp)
		return 0;
	dpa = mmu_translate(c, dl, ACC_WRITE);
	dp = ram_span(c, dpa, len);
	if (!dp)
		return 0;

	if (dp > sp && dp < sp + len) {
		/* Forward overlap: element-by-element semantics (a movsb with
		 * dst = src + 1 replicates a byte); memmove would differ. */
		for (u64 e = 0; e < len; e += size) {
			u8 t[8];
			switch (size) {
			case 1: dp[e] = sp[e]; break;
			case 2: __builtin_memcpy(t, sp + e, 2); __builtin_memcpy(dp + e, t, 2); break;
			case 4: __builtin_memcpy(t, sp + e, 4); __builtin_memcpy(dp + e, t, 4); break;
			default: __builtin_memcpy(t, sp + e, 8); __builtin_memcpy(dp + e, t, 8); break;
			}
		}
	} else {
		memmove(dp, sp, len);
	}
	mmu_note_ram_write(c, dpa, (unsigned)len);
	reg_write(c, REG_RSI, asz, rsi + len);
	reg_write(c, REG_RDI, asz, rdi + len);
	return n;
}

static u64 stos_chunk(struct cpu *c, const struct insn *i, unsigned size, u64 maxn)
{
	const unsigned asz = i->addrsize;
	const u64 am = size_mask(asz);
	u64 rdi = c->s.gpr[REG_RDI] & am, dl = dst_lin(c, rdi);
	u64 n = maxn, k, len, dpa, v = c->s.gpr[REG_RAX];
	u8 *dp;

	k = elems_in_page(dl, size);
	if (k < n)
		n = k;
	k = elems_before_wrap(rdi, am, size);
	if (k < n)
		n = k;
	if (n < 2)
		return 0;
	len = n * size;
	dpa = mmu_translate(c, dl, ACC_WRITE);
	dp = ram_span(c, dpa, len);
	if (!dp)
		return 0;

	switch (size) {
	case 1:
		memset(dp, (u8)v, len);
		break;
	case 2:
		if ((u8)v == (u8)(v >> 8)) {
			memset(dp, (u8)v, len);
		} else {
			u16 x = (u16)v;
			for (u64 e = 0; e < len; e += 2)
				__builtin_memcpy(dp + e, &x, 2);
		}
		break;
	case 4:
		if ((u32)v == (u8)v * 0x01010101u) {
			memset(dp, (u8)v, len);
		} else {
			u32 x = (u32)v;
			for (u64 e = 0; e < len; e += 4)
				__builtin_memcpy(dp + e, &x, 4);
		}
		break;
	default:
		if (v == (u8)v * 0x0101010101010101ull) {
			memset(dp, (u8)v, len);
		} else {
			for (u64 e = 0; e < len; e += 8)
				__builtin_memcpy(dp + e, &v, 8);
		}
		break;
	}
	mmu_note_ram_write(c, dpa, (unsigned)len);
	reg_write(c, REG_RDI, asz, rdi + len);
	return n;
}

/* ---- REP driver ---- */

AI void str_rep(struct cpu *c, const struct insn *i, unsigned op, unsigned size)
{
	const unsigned asz = i->addrsize;
	u64 cnt = c->s.gpr[REG_RCX] & size_mask(asz);
	u64 budget, done = 0;
	/* CMPS/SCAS: F3 = REPE (continue while equal), F2 = REPNE. */
	const bool while_eq = !(i->pfx & PFX_REPNE) || (i->pfx & PFX_REP);
	const bool fast = (op == S_MOVS || op == S_STOS) && !c->hooks &&
			  !(c->s.rflags & RF_DF);

	if (op == S_INS || op == S_OUTS) {
		io_check(c);
		c->block_abort = 1; /* device state may have changed */
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

	budget = c->insn_limit - c->icount;
	/* With hooks each iteration is reported as its own instruction; with
	 * TF each one traps. */
	if (c->hooks || (c->s.rflags & RF_TF))
		budget = 1;

	for (;;) {
		u64 k = 0;
		bool eq;
		if (fast) {
			u64 maxn = budget - done < cnt ? budget - done : cnt;
			k = op == S_MOVS ? movs_chunk(c, i, size, maxn)
					 : stos_chunk(c, i, size, maxn);
		}
		if (k) {
			eq = true;
		} else {
			eq = str_step(c, i, op, size);
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
			c->block_abort = 1;
			break;
		}
	}
	c->icount--; /* the run loop counts the last iteration */
	/* A block's instruction budget assumes one retirement per
	 * instruction: after several, let the run loop look at the limit. */
	if (done > 1)
		c->block_abort = 1;
}

AI void str_once(struct cpu *c, const struct insn *i, unsigned op, unsigned size)
{
	if (op == S_INS || op == S_OUTS) {
		io_check(c);
		c->block_abort = 1;
	}
	str_step(c, i, op, size);
}

/* ---- handlers and selectors ---- */

#define STR_DEF1(name, op, sz)                                                   \
	static void name##_##sz(struct cpu *c, const struct insn *i)            \
	{                                                                        \
		str_once(c, i, op, sz);                                          \
	}                                                                        \
	static void name##_##sz##_rep(struct cpu *c, const struct insn *i)      \
	{                                                                        \
		str_rep(c, i, op, sz);                                           \
	}
#define STR_DEF(name, op) STR_DEF1(name, op, 1) STR_DEF1(name, op, 2) STR_DEF1(name, op, 4) STR_DEF1(name, op, 8)
STR_DEF(movs, S_MOVS)
STR_DEF(cmps, S_CMPS)
STR_DEF(stos, S_STOS)
STR_DEF(lods, S_LODS)
STR_DEF(scas, S_SCAS)
STR_DEF(ins, S_INS)
STR_DEF(outs, S_OUTS)

#define STR_ENT(name) \
	{ { name##_1, name##_1_rep }, { name##_2, name##_2_rep }, \
	  { name##_4, name##_4_rep }, { name##_8, name##_8_rep } }
/* [op][log2 size][rep] */
static const insn_fn str_table[7][4][2] = {
	STR_ENT(movs), STR_ENT(cmps), STR_ENT(stos), STR_ENT(lods),
	STR_ENT(scas), STR_ENT(ins), STR_ENT(outs),
};

static insn_fn str_select(struct insn *i, unsigned op)
{
	unsigned size = i->opsize;
	if (i->pfx & PFX_LOCK)
		return NULL;
	/* INS/OUTS have no 64-bit form: REX.W keeps 32-bit operands. */
	if ((op == S_INS || op == S_OUTS) && size == 8)
		size = 4;
	return str_table[op][__builtin_ctz(size)][(i->pfx & (PFX_REP | PFX_REPNE)) != 0];
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
