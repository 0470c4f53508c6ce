/*
 * Lazy arithmetic flags.  Flag-setting instructions record the operation,
 * operands and result (set_cc); the flags are computed only when read.
 * ADD/ADC and SUB/SBB share formulas that work with a carry-in.
 */
#include "cpu.h"

bool parity8(u8 v)
{
	return !__builtin_parity(v);
}

static u64 msb(u64 v, unsigned size)
{
	return (v >> (size * 8 - 1)) & 1;
}

static u64 zf_sf_pf(u64 res, unsigned size)
{
	u64 f = 0;
	res &= size_mask(size);
	if (res == 0)
		f |= RF_ZF;
	if (msb(res, size))
		f |= RF_SF;
	if (parity8((u8)res))
		f |= RF_PF;
	return f;
}


static u64 add_flags(u64 a, u64 b, u64 res, unsigned size)
{
	u64 f = zf_sf_pf(res, size);
	if (add_carry(a, b, res, size))
		f |= RF_CF;
	if (msb((a ^ res) & (b ^ res), size))
		f |= RF_OF;
	if ((a ^ b ^ res) & 0x10)
		f |= RF_AF;
	return f;
}

static u64 sub_flags(u64 a, u64 b, u64 res, unsigned size)
{
	u64 f = zf_sf_pf(res, size);
	if (sub_borrow(a, b, res, size))
		f |= RF_CF;
	if (msb((a ^ b) & (a ^ res), size))
		f |= RF_OF;
	if ((a ^ b ^ res) & 0x10)
		f |= RF_AF;
	return f;
}

static u64 arith_flags(struct cpu *c)
{
	unsigned size = 1u << (c->cc_op & 3);
	u64 kept_cf = c->s.rflags & RF_CF;
	switch (c->cc_op >> 2) {
	case CC_ADD: case CC_ADC: return add_flags(c->cc_a, c->cc_b, c->cc_res, size);
	case CC_SUB: case CC_SBB: return sub_flags(c->cc_a, c->cc_b, c->cc_res, size);
	case CC_LOGIC: return zf_sf_pf(c->cc_res, size);
	case CC_MUL: return zf_sf_pf(c->cc_res, size) | (c->cc_a ? RF_CF | RF_OF : 0);
	case CC_SHIFT: return zf_sf_pf(c->cc_res, size) | (c->cc_a & (RF_CF | RF_OF));
	case CC_INC: return (add_flags(c->cc_a, 1, c->cc_res, size) & ~RF_CF) | kept_cf;
	case CC_DEC: return (sub_flags(c->cc_a, 1, c->cc_res, size) & ~RF_CF) | kept_cf;
	default: return c->s.rflags & RF_ARITH;
	}
}

u64 flags_get(struct cpu *c)
{
	if ((c->cc_op >> 2) == CC_EFLAGS)
		return c->s.rflags;
	return (c->s.rflags & ~RF_ARITH) | arith_flags(c);
}

void flags_set(struct cpu *c, u64 value, u64 mask)
{
	u64 cur = flags_get(c);
	c->s.rflags = (cur & ~mask) | (value & mask) | RF_FIXED1;
	c->cc_op = CC_OP(CC_EFLAGS, 1);
	if (!(cur & RF_IF) && (c->s.rflags & RF_IF))
		cpu_end_block(c); /* a pending interrupt may now be taken */
}

static bool cond_from_flags(u64 f, unsigned cc)
{
	bool r;
	switch (cc >> 1) {
	case 0: r = f & RF_OF; break;
	case 1: r = f & RF_CF; break;
	case 2: r = f & RF_ZF; break;
	case 3: r = f & (RF_CF | RF_ZF); break;
	case 4: r = f & RF_SF; break;
	case 5: r = f & RF_PF; break;
	case 6: r = !(f & RF_SF) != !(f & RF_OF); break;
	default: r = (f & RF_ZF) || (!(f & RF_SF) != !(f & RF_OF)); break;
	}
	return r;
}

bool cond_eval_slow(struct cpu *c, unsigned cc)
{
	return cond_from_flags(flags_get(c), cc) ^ (cc & 1);
}
