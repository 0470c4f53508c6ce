/*
 * Exception entry to EL1 and ERET.  Only EL0 and EL1 exist, AArch64 only,
 * so every exception is taken to EL1 and the vector offset depends only on
 * where it came from: EL1 on SP_EL0, EL1 on SP_EL1, or EL0.
 */
#include "arch/arm64/a64_exception.h"

#define SPSR_M_EL1T 0x4
#define SPSR_M_EL1H 0x5

#define VEC_CURRENT_SP0 0x000
#define VEC_CURRENT_SPX 0x200
#define VEC_LOWER_A64 0x400
#define VEC_SYNC 0x000
#define VEC_IRQ 0x080
#define VEC_FIQ 0x100

u64 a64_pstate_read(const struct a64_cpu *c)
{
	u64 m = c->el == 0 ? 0 : c->spsel ? SPSR_M_EL1H : SPSR_M_EL1T;
	return (u64)c->nzcv | (u64)c->daif << 6 | m;
}

/* Put the current SP back in its bank and load the one PSTATE selects. */
static void switch_stack(struct a64_cpu *c, u8 el, u8 spsel)
{
	if (c->el == 0 || !c->spsel)
		c->sp_el0 = c->x[A64_SP];
	else
		c->sp_el1 = c->x[A64_SP];
	c->el = el;
	c->spsel = spsel;
	c->x[A64_SP] = el == 0 || !spsel ? c->sp_el0 : c->sp_el1;
}

void a64_pstate_write(struct a64_cpu *c, u64 spsr)
{
	unsigned m = spsr & 0xf;
	c->nzcv = (u32)spsr & 0xf0000000u;
	c->daif = (spsr >> 6) & 0xf;
	/* Only EL0t, EL1t and EL1h exist; anything else returns to EL1h
	 * (an illegal return, simplified: PSTATE.IL is not modelled). */
	if (m == 0)
		switch_stack(c, 0, 0);
	else
		switch_stack(c, 1, m == SPSR_M_EL1T ? 0 : 1);
}

static u64 vector_base(const struct a64_cpu *c)
{
	if (c->el == 0)
		return c->sys.vbar_el1 + VEC_LOWER_A64;
	return c->sys.vbar_el1 + (c->spsel ? VEC_CURRENT_SPX : VEC_CURRENT_SP0);
}

/* Entry common to every exception: the monitor is cleared on entry (and
 * on return), a fixed choice the architecture allows, so that an
 * interrupt between LDXR and STXR always makes the STXR fail. */
static void enter(struct a64_cpu *c, u64 offset)
{
	u64 target = vector_base(c) + offset;
	c->sys.spsr_el1 = a64_pstate_read(c);
	c->sys.elr_el1 = c->pc;
	c->monitor.open = false;
	c->daif = 0xf;
	switch_stack(c, 1, 1);
	c->pc = target;
}

int a64_take_sync(struct a64_cpu *c, unsigned ec, u32 iss, u64 far, bool far_valid)
{
	/* Aborts are passed as the lower-EL class; from EL1 they are the
	 * same-EL class, one above. */
	if (c->el == 1 && (ec == A64_EC_IABT_LOWER || ec == A64_EC_DABT_LOWER))
		ec += 1;
	c->sys.esr_el1 = (u64)ec << 26 | 1u << 25 | (iss & 0x1ffffff);
	if (far_valid)
		c->sys.far_el1 = far;
	enter(c, VEC_SYNC);
	return A64_EXC;
}

int a64_undefined(struct a64_cpu *c)
{
	return a64_take_sync(c, A64_EC_UNKNOWN, 0, 0, false);
}

void a64_take_irq(struct a64_cpu *c, bool fiq)
{
	enter(c, fiq ? VEC_FIQ : VEC_IRQ);
}

int a64_exception_return(struct a64_cpu *c)
{
	u64 elr = c->sys.elr_el1;
	a64_pstate_write(c, c->sys.spsr_el1);
	c->monitor.open = false;
	c->pc = elr;
	return A64_OK;
}
