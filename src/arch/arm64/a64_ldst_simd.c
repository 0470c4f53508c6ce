/*
 * A64 Advanced SIMD structure loads and stores: LD1-LD4/ST1-ST4
 * (multiple structures, 1-4 registers for LD1/ST1), LD1-LD4/ST1-ST4
 * (single structure, one lane) and LD1R-LD4R, with no offset or
 * post-index (immediate: the transfer size; or Xm).  a64_decode_ldst
 * sends them here (bits 31 = 0, 29:28 = 00, V = 1).
 *
 * Loads read everything into a copy of the registers first, so a fault
 * leaves every register as it was; stores write element by element (a
 * fault may leave earlier elements written, as the architecture allows).
 * Writeback only after the whole transfer.
 *
 * Decoded fields: rd Rt; rn the base (31 = SP); rm Xm (a64_reg_zr), or
 * A64_DISCARD for the immediate post-index; op1 selem (registers per
 * structure); op2 the element size in bytes; op3 the data size (8, 16);
 * imm rpt (multiple) or the lane (single); sf 1: post-index; imm2: L.
 */
#include "arch/arm64/a64_exception.h"
#include "arch/arm64/a64_fp.h"
#include "arch/arm64/a64_mem.h"

static inline int pre(struct a64_cpu *c, const struct a64_insn *i)
{
	int r = a64_fp_check(c);
	if (r != A64_OK)
		return r;
	return i->rn == A64_SP ? a64_check_sp(c) : A64_OK;
}

static inline int writeback(struct a64_cpu *c, const struct a64_insn *i, u64 a, u64 bytes)
{
	if (i->sf)
		c->x[i->rn] = a + (i->rm == A64_DISCARD ? bytes : c->x[i->rm]);
	return a64_next(c);
}

static int exec_multiple(struct a64_cpu *c, const struct a64_insn *i)
{
	int r = pre(c, i);
	if (r != A64_OK)
		return r;
	unsigned es = i->op2, selem = i->op1, rpt = (unsigned)i->imm, n = i->op3 / es;
	u64 a = c->x[i->rn], off = 0;
	union a64_vreg t[4];
	for (unsigned k = 0; k < 4; k++)
		t[k] = c->v[(i->rd + k) & 31];
	for (unsigned rp = 0; rp < rpt; rp++)
		for (unsigned e = 0; e < n; e++)
			for (unsigned s = 0; s < selem; s++, off += es) {
				union a64_vreg *v = &t[rp + s];
				u64 x = 0;
				if (i->imm2) {
					r = a64_load_u64(c, a + off, es, &x, 0);
					if (r != A64_OK)
						return r;
					a64_set_lane(v, es, e, x);
				} else {
					x = a64_lane(v, es, e);
					r = a64_store_u64(c, a + off, es, x, 0);
					if (r != A64_OK)
						return r;
				}
			}
	if (i->imm2)
		for (unsigned k = 0; k < rpt * selem; k++) {
			if (i->op3 == 8)
				t[k].d[1] = 0;
			c->v[(i->rd + k) & 31] = t[k];
		}
	return writeback(c, i, a, off);
}

static int exec_single(struct a64_cpu *c, const struct a64_insn *i)
{
	int r = pre(c, i);
	if (r != A64_OK)
		return r;
	unsigned es = i->op2, selem = i->op1, lane = (unsigned)i->imm;
	u64 a = c->x[i->rn];
	if (!i->imm2) {
		for (unsigned s = 0; s < selem; s++) {
			u64 x = a64_lane(&c->v[(i->rd + s) & 31], es, lane);
			r = a64_store_u64(c, a + s * es, es, x, 0);
			if (r != A64_OK)
				return r;
		}
		return writeback(c, i, a, selem * es);
	}
	u64 x[4] = { 0, 0, 0, 0 };
	for (unsigned s = 0; s < selem; s++) {
		r = a64_load_u64(c, a + s * es, es, &x[s], 0);
		if (r != A64_OK)
			return r;
	}
	for (unsigned s = 0; s < selem; s++)
		a64_set_lane(&c->v[(i->rd + s) & 31], es, lane, x[s]);
	return writeback(c, i, a, selem * es);
}

static int exec_replicate(struct a64_cpu *c, const struct a64_insn *i)
{
	int r = pre(c, i);
	if (r != A64_OK)
		return r;
	unsigned es = i->op2, selem = i->op1;
	u64 a = c->x[i->rn], x[4] = { 0, 0, 0, 0 };
	for (unsigned s = 0; s < selem; s++) {
		r = a64_load_u64(c, a + s * es, es, &x[s], 0);
		if (r != A64_OK)
			return r;
	}
	for (unsigned s = 0; s < selem; s++) {
		union a64_vreg v = { .d = { 0, 0 } };
		for (unsigned k = 0; k < i->op3 / es; k++)
			a64_set_lane(&v, es, k, x[s]);
		c->v[(i->rd + s) & 31] = v;
	}
	return writeback(c, i, a, selem * es);
}

void a64_decode_ldst_simd(u32 w, struct a64_insn *i)
{
	bool q = (w >> 30) & 1, post = (w >> 23) & 1, load = (w >> 22) & 1;
	unsigned size = a64_bits(w, 11, 10), opc = a64_bits(w, 15, 12);
	if ((w >> 31) || (!post && a64_bits(w, 20, 16)) || a64_bits(w, 27, 25) != 6) {
		a64_decode_undefined(i);
		return;
	}
	i->rd = (u8)a64_bits(w, 4, 0);
	i->rn = a64_reg_sp(w >> 5);
	i->rm = a64_bits(w, 20, 16) == 31 ? A64_DISCARD : a64_reg_zr(w >> 16);
	i->sf = post;
	i->imm2 = load;
	i->op3 = q ? 16 : 8;
	if (!((w >> 24) & 1)) { /* multiple structures */
		static const u8 rpt[16] = { 1, 0, 4, 0, 1, 0, 3, 1, 1, 0, 2, 0, 0, 0, 0, 0 };
		static const u8 sel[16] = { 4, 0, 1, 0, 3, 0, 1, 1, 2, 0, 1, 0, 0, 0, 0, 0 };
		if ((w >> 21) & 1 || !rpt[opc] || (size == 3 && !q && sel[opc] > 1)) {
			a64_decode_undefined(i);
			return;
		}
		i->op1 = sel[opc];
		i->imm = rpt[opc];
		i->op2 = (u8)(1u << size);
		i->exec = exec_multiple;
		return;
	}
	unsigned op = a64_bits(w, 15, 13), s = (w >> 12) & 1, rbit = (w >> 21) & 1;
	i->op1 = (u8)(((op & 1) << 1 | rbit) + 1);
	switch (op >> 1) {
	case 0:
		i->op2 = 1;
		i->imm = (unsigned)q << 3 | s << 2 | size;
		break;
	case 1:
		if (size & 1)
			goto bad;
		i->op2 = 2;
		i->imm = (unsigned)q << 2 | s << 1 | size >> 1;
		break;
	case 2:
		if (size == 0) {
			i->op2 = 4;
			i->imm = (unsigned)q << 1 | s;
		} else if (size == 1 && !s) {
			i->op2 = 8;
			i->imm = q;
		} else {
			goto bad;
		}
		break;
	default:
		if (!load || s)
			goto bad;
		i->op2 = (u8)(1u << size);
		i->exec = exec_replicate;
		return;
	}
	i->exec = exec_single;
	return;
bad:
	a64_decode_undefined(i);
}
