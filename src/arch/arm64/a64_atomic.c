/*
 * A64 exclusive, ordered and atomic accesses: LDXR/STXR and their
 * acquire/release and pair forms, LDAR/STLR (and LDLAR/STLLR, run as
 * LDAR/STLR: no LORegions are implemented), LDAPR, and the ARMv8.1 LSE
 * atomics LD<op>, SWP, CAS and CASP.  CLREX is a64_system.c's.
 *
 * One vCPU's instructions run one at a time, so every access here is
 * single-copy atomic and the acquire/release variants need nothing beyond
 * the plain ones; all of them must be aligned to their whole size
 * (A64_ACC_ALIGNED: an unaligned one is an alignment fault).
 *
 * The local exclusive monitor (cpu->monitor) is deterministic: a load
 * exclusive opens it for [address, address + size); a store exclusive
 * succeeds (stores, status 0) only if it is open for exactly its own
 * address and size, and closes it either way (status 1 on failure,
 * without any access).  The monitor is not cleared by ordinary stores;
 * exception entry and return clear it (a64_exception.c), so an interrupt
 * between LDXR and STXR always fails the STXR.
 *
 * CONSTRAINED UNPREDICTABLE choices: a store exclusive whose status
 * register is its data or base register stores the data and uses the
 * address from before the instruction; LDXP with Rt == Rt2 leaves the
 * second element in the register.  Should-be-one fields (Rs of the loads,
 * Rt2 of the single-register forms) are ignored; the fixed ones of CAS,
 * CASP (bits 14:10) and LDAPR (Rs) are not.
 */
#include "arch/arm64/a64_alu.h"
#include "arch/arm64/a64_mem.h"

#define ALIGNED A64_ACC_ALIGNED
#define RMW (A64_ACC_ALIGNED | A64_ACC_ATOMIC)

/* The base is SP: check its alignment before anything else. */
static inline int base_check(struct a64_cpu *c, const struct a64_insn *i)
{
	return likely(i->rn != A64_SP) ? A64_OK : a64_check_sp(c);
}

/* One handler per operation and size (`size` is a constant in each, so
 * the access is one move on the fast path); the decoders pick by log2
 * of the size. */
#define ONE_SIZE(name, body, size)                                                    \
	static int exec_##name##size(struct a64_cpu *c, const struct a64_insn *i)      \
	{                                                                             \
		return body(c, i, size);                                              \
	}
#define BY_SIZE(name, body)                                                           \
	ONE_SIZE(name, body, 1) ONE_SIZE(name, body, 2) ONE_SIZE(name, body, 4)        \
	ONE_SIZE(name, body, 8)                                                       \
	static const a64_exec_fn name##_fns[4] = { exec_##name##1, exec_##name##2,     \
						   exec_##name##4, exec_##name##8 };

/* ---- load/store exclusive ----
 * rd: Rt (a64_reg_dst for loads, a64_reg_zr for stores); ra: Rt2 of a
 * pair (mapped like rd); rm: the status register Ws of a store
 * (a64_reg_dst); rn: the base (SP). */
static inline int ldxr(struct a64_cpu *c, const struct a64_insn *i, unsigned size)
{
	u64 a = c->x[i->rn], v;
	int r = base_check(c, i);
	if (r == A64_OK)
		r = a64_load_u64(c, a, size, &v, ALIGNED);
	if (r != A64_OK)
		return r;
	c->monitor = (struct a64_monitor){ .addr = a, .size = (u8)size, .open = true };
	c->x[i->rd] = v;
	return a64_next(c);
}
BY_SIZE(ldxr, ldxr)

/* LDXP, LDAXP: `size` is the pair's (8 or 16). */
static inline int ldxp(struct a64_cpu *c, const struct a64_insn *i, unsigned size)
{
	u64 a = c->x[i->rn], t[2] = { 0, 0 };
	int r = base_check(c, i);
	if (r == A64_OK)
		r = a64_load(c, a, size, t, ALIGNED);
	if (r != A64_OK)
		return r;
	c->monitor = (struct a64_monitor){ .addr = a, .size = (u8)size, .open = true };
	if (size == 8) {
		t[1] = t[0] >> 32;
		t[0] &= A64_MASK32;
	}
	c->x[i->rd] = t[0];
	c->x[i->ra] = t[1];
	return a64_next(c);
}

ONE_SIZE(ldxp, ldxp, 8)
ONE_SIZE(ldxp, ldxp, 16)

/*
 * The store half: alignment is checked first whatever the monitor says
 * (AArch64.ExclusiveMonitorsPass), then memory is written only if the
 * monitor passes.
 */
static inline int store_exclusive(struct a64_cpu *c, const struct a64_insn *i, unsigned size,
				  const void *data)
{
	u64 a = c->x[i->rn];
	int r = base_check(c, i);
	if (r != A64_OK)
		return r;
	bool pass = c->monitor.open && c->monitor.addr == a && c->monitor.size == size;
	c->monitor.open = false;
	if (pass || (a & (size - 1))) {
		r = a64_store(c, a, size, data, ALIGNED);
		if (r != A64_OK)
			return r;
	}
	c->x[i->rm] = !pass;
	return a64_next(c);
}

static inline int stxr(struct a64_cpu *c, const struct a64_insn *i, unsigned size)
{
	u64 v = c->x[i->rd];
	return store_exclusive(c, i, size, &v);
}
BY_SIZE(stxr, stxr)

static int exec_stxp8(struct a64_cpu *c, const struct a64_insn *i)
{
	u64 v = (c->x[i->rd] & A64_MASK32) | c->x[i->ra] << 32;
	return store_exclusive(c, i, 8, &v);
}

static int exec_stxp16(struct a64_cpu *c, const struct a64_insn *i)
{
	u64 t[2] = { c->x[i->rd], c->x[i->ra] };
	return store_exclusive(c, i, 16, t);
}

/* ---- LDAR, STLR, LDLAR, STLLR, LDAPR ----
 * rd: Rt; rn: the base (SP). */
static inline int ldar(struct a64_cpu *c, const struct a64_insn *i, unsigned size)
{
	u64 v;
	int r = base_check(c, i);
	if (r == A64_OK)
		r = a64_load_u64(c, c->x[i->rn], size, &v, ALIGNED);
	if (r != A64_OK)
		return r;
	c->x[i->rd] = v;
	return a64_next(c);
}
BY_SIZE(ldar, ldar)

static inline int stlr(struct a64_cpu *c, const struct a64_insn *i, unsigned size)
{
	int r = base_check(c, i);
	if (r == A64_OK)
		r = a64_store_u64(c, c->x[i->rn], size, c->x[i->rd], ALIGNED);
	return r != A64_OK ? r : a64_next(c);
}
BY_SIZE(stlr, stlr)

/* ---- CAS, CASA, CASL, CASAL (B, H, W, X) ----
 * rd: Rt, the new value (XZR); rm: Rs, the compared value (XZR); ra: Rs
 * as the destination of the old value (a64_reg_dst); rn: the base (SP);
 * imm2: the size's mask.  The location is read as for a write
 * (A64_ACC_ATOMIC) and written only if it equals Rs. */
static inline int cas(struct a64_cpu *c, const struct a64_insn *i, unsigned size)
{
	u64 a = c->x[i->rn], old;
	int r = base_check(c, i);
	if (r == A64_OK)
		r = a64_load_u64(c, a, size, &old, RMW);
	if (r != A64_OK)
		return r;
	if (old == (c->x[i->rm] & i->imm2)) {
		r = a64_store_u64(c, a, size, c->x[i->rd], ALIGNED);
		if (r != A64_OK)
			return r;
	}
	c->x[i->ra] = old;
	return a64_next(c);
}
BY_SIZE(cas, cas)

/* ---- CASP, CASPA, CASPL, CASPAL (W and X pairs) ----
 * rm: Rs (even, so never 31), compared and written; ra: Rs+1 as a
 * source (XZR for 31); op3: Rs+1 as the destination; rd, op2: Rt and
 * Rt+1, the new values (XZR for 31); rn: the base (SP).  Rs goes with the
 * lower address.  `size` is the pair's (8 or 16). */
static inline int casp(struct a64_cpu *c, const struct a64_insn *i, unsigned size)
{
	u64 a = c->x[i->rn], old[2] = { 0, 0 };
	u64 cmp[2] = { c->x[i->rm], c->x[i->ra] }, v[2] = { c->x[i->rd], c->x[i->op2] };
	if (size == 8) {
		cmp[0] = (cmp[0] & A64_MASK32) | cmp[1] << 32;
		v[0] = (v[0] & A64_MASK32) | v[1] << 32;
		cmp[1] = 0;
	}
	int r = base_check(c, i);
	if (r == A64_OK)
		r = a64_load(c, a, size, old, RMW);
	if (r != A64_OK)
		return r;
	if (old[0] == cmp[0] && old[1] == cmp[1]) {
		r = a64_store(c, a, size, v, ALIGNED);
		if (r != A64_OK)
			return r;
	}
	if (size == 8) {
		old[1] = old[0] >> 32;
		old[0] &= A64_MASK32;
	}
	c->x[i->rm] = old[0];
	c->x[i->op3] = old[1];
	return a64_next(c);
}

ONE_SIZE(casp, casp, 8)
ONE_SIZE(casp, casp, 16)

/* size (31:30), o2 (23), L (22), o1 (21), Rs (20:16), o0 (15), Rt2
 * (14:10), Rn, Rt.  o0, and L for CAS/CASP, choose acquire/release only. */
void a64_decode_exclusive(u32 w, struct a64_insn *i)
{
	unsigned size = a64_bits(w, 31, 30), s = a64_bits(w, 20, 16), t = a64_bits(w, 4, 0);
	bool o2 = (w >> 23) & 1, load = (w >> 22) & 1, o1 = (w >> 21) & 1;
	i->rn = a64_reg_sp(w >> 5);
	/* CAS and CASP exist only with bits 14:10 = 11111 (as QEMU and
	 * binutils decode them; for the other forms the field is
	 * should-be-one or Rt2). */
	if (o1 && (o2 || size < 2) && a64_bits(w, 14, 10) != 31) {
		a64_decode_undefined(i);
		return;
	}
	if (o2) {
		if (o1) { /* CAS */
			i->rd = a64_reg_zr(t);
			i->rm = a64_reg_zr(s);
			i->ra = a64_reg_dst(s);
			i->imm2 = a64_ones(8u << size);
			i->exec = cas_fns[size];
		} else { /* LDAR, STLR, LDLAR, STLLR */
			i->rd = load ? a64_reg_dst(t) : a64_reg_zr(t);
			i->exec = load ? ldar_fns[size] : stlr_fns[size];
		}
		return;
	}
	if (o1 && size < 2) { /* CASP: Rs and Rt even */
		if ((s | t) & 1) {
			a64_decode_undefined(i);
			return;
		}
		i->rm = (u8)s;
		i->ra = a64_reg_zr(s + 1);
		i->op3 = a64_reg_dst(s + 1);
		i->rd = (u8)t;
		i->op2 = a64_reg_zr(t + 1);
		i->exec = size ? exec_casp16 : exec_casp8;
		return;
	}
	bool wide = size & 1;
	i->rd = load ? a64_reg_dst(t) : a64_reg_zr(t);
	i->ra = load ? a64_reg_dst(w >> 10) : a64_reg_zr(w >> 10);
	i->rm = a64_reg_dst(s);
	if (o1) /* pairs */
		i->exec = load ? (wide ? exec_ldxp16 : exec_ldxp8)
			       : (wide ? exec_stxp16 : exec_stxp8);
	else
		i->exec = load ? ldxr_fns[size] : stxr_fns[size];
}

/* ---- LDADD LDCLR LDEOR LDSET LDSMAX LDSMIN LDUMAX LDUMIN SWP ----
 * (and the ST<op> aliases, Rt = 31), with A/L variants, B/H/W/X.
 * rd: Rt, gets the old value (a64_reg_dst); rm: Rs, the operand (XZR);
 * rn: the base (SP).  The signed and unsigned comparisons compare the
 * values shifted to the top of 64 bits. */
enum { OP_ADD, OP_CLR, OP_EOR, OP_SET, OP_SMAX, OP_SMIN, OP_UMAX, OP_UMIN, OP_SWP };

static inline int rmw(struct a64_cpu *c, const struct a64_insn *i, unsigned size, unsigned op)
{
	u64 a = c->x[i->rn], s = c->x[i->rm], old, v;
	int r = base_check(c, i);
	if (r == A64_OK)
		r = a64_load_u64(c, a, size, &old, RMW);
	if (r != A64_OK)
		return r;
	unsigned top = 64 - 8 * size;
	i64 so = (i64)(old << top), ss = (i64)(s << top);
	u64 uo = old << top, us = s << top;
	switch (op) {
	case OP_ADD: v = old + s; break;
	case OP_CLR: v = old & ~s; break;
	case OP_EOR: v = old ^ s; break;
	case OP_SET: v = old | s; break;
	case OP_SMAX: v = so > ss ? old : s; break;
	case OP_SMIN: v = so < ss ? old : s; break;
	case OP_UMAX: v = uo > us ? old : s; break;
	case OP_UMIN: v = uo < us ? old : s; break;
	default: v = s; break;
	}
	r = a64_store_u64(c, a, size, v, ALIGNED);
	if (r != A64_OK)
		return r;
	c->x[i->rd] = old;
	return a64_next(c);
}

#define RMW_OP(name, op)                                                              \
	static inline int name(struct a64_cpu *c, const struct a64_insn *i, unsigned size) \
	{                                                                             \
		return rmw(c, i, size, op);                                           \
	}                                                                             \
	BY_SIZE(name, name)
RMW_OP(ldadd, OP_ADD)
RMW_OP(ldclr, OP_CLR)
RMW_OP(ldeor, OP_EOR)
RMW_OP(ldset, OP_SET)
RMW_OP(ldsmax, OP_SMAX)
RMW_OP(ldsmin, OP_SMIN)
RMW_OP(ldumax, OP_UMAX)
RMW_OP(ldumin, OP_UMIN)
RMW_OP(swp, OP_SWP)

/* size (31:30), V (26), A (23), R (22), Rs (20:16), o3 (15), opc (14:12). */
void a64_decode_atomic_memop(u32 w, struct a64_insn *i)
{
	static const a64_exec_fn *const ops[8] = { ldadd_fns, ldclr_fns, ldeor_fns, ldset_fns,
						   ldsmax_fns, ldsmin_fns, ldumax_fns, ldumin_fns };
	unsigned size = a64_bits(w, 31, 30), opc = a64_bits(w, 14, 12);
	bool o3 = (w >> 15) & 1, acquire = (w >> 23) & 1, release = (w >> 22) & 1;
	const a64_exec_fn *fns = NULL;
	if (!o3)
		fns = ops[opc];
	else if (opc == 0)
		fns = swp_fns;
	else if (opc == 4 && acquire && !release && a64_bits(w, 20, 16) == 31)
		fns = ldar_fns; /* LDAPR */
	if ((w >> 26) & 1 || !fns) { /* SIMD; LS64 and the rest */
		a64_decode_undefined(i);
		return;
	}
	i->rd = a64_reg_dst(w);
	i->rm = a64_reg_zr(w >> 16);
	i->rn = a64_reg_sp(w >> 5);
	i->exec = fns[size];
}
