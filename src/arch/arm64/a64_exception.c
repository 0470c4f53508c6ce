/*
 * Exception entry to EL1 and ERET.  Only EL0 and EL1 exist, AArch64 only,
 * so every exception is taken to EL1 and the vector offset depends only on
 * where it came from: EL1 on SP_EL0, EL1 on SP_EL1, or EL0.
 */
#include "arch/arm64/a64_exception.h"

#define SPSR_M_EL0T 0x0
#define SPSR_M_EL1T 0x4
#define SPSR_M_EL1H 0x5
#define SPSR_M_MASK 0x1f   /* M[4] = 1 is AArch32 */

#define VEC_CURRENT_SP0 0x000
#define VEC_CURRENT_SPX 0x200
#define VEC_LOWER_A64 0x400
#define VEC_SYNC 0x000
#define VEC_IRQ 0x080
#define VEC_FIQ 0x100

u64 a64_pstate_read(const struct a64_cpu *c)
{
	u64 m = c->el == 0 ? SPSR_M_EL0T : c->spsel ? SPSR_M_EL1H : SPSR_M_EL1T;
	return (u64)c->nzcv | (c->il ? A64_SPSR_IL : 0) | (u64)c->daif << 6 | m;
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

void a64_set_spsel(struct a64_cpu *c, bool spx)
{
	switch_stack(c, c->el, spx);
}

void a64_pstate_write(struct a64_cpu *c, u64 spsr)
{
	unsigned m = spsr & 0xf;
	c->nzcv = (u32)spsr & 0xf0000000u;
	c->daif = (spsr >> 6) & 0xf;
	c->il = (spsr & A64_SPSR_IL) != 0;
	/* Only EL0t, EL1t and EL1h exist; a64_exception_return does not
	 * come here with anything else. */
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
 * interrupt between LDXR and STXR always makes the STXR fail.  PSTATE.IL
 * goes to SPSR and is cleared; a wait ends. */
static void enter(struct a64_cpu *c, u64 offset)
{
	u64 target = vector_base(c) + offset;
	c->sys.spsr_el1 = a64_pstate_read(c);
	c->sys.elr_el1 = c->pc;
	c->monitor.open = false;
	c->daif = 0xf;
	c->il = 0;
	c->wait = 0;
	switch_stack(c, 1, 1);
	c->pc = target;
}

int a64_take_sync(struct a64_cpu *c, unsigned ec, u32 iss, u64 far, bool far_valid)
{
	/* Aborts are passed as the lower-EL class; from EL1 they are the
	 * same-EL class, one above.  IL is 1: every A64 instruction is 32
	 * bits, and the classes where IL is RES1 have it 1 too. */
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

bool a64_take_interrupt_if_pending(struct a64_cpu *c)
{
	if (c->fiq_line && !(c->daif & A64_DAIF_F)) {
		a64_take_irq(c, true);
		return true;
	}
	if (c->irq_line && !(c->daif & A64_DAIF_I)) {
		a64_take_irq(c, false);
		return true;
	}
	if (unlikely(c->il)) {
		a64_take_sync(c, A64_EC_ILLEGAL_STATE, 0, 0, false);
		return true;
	}
	return false;
}

static bool wait_ends(struct a64_cpu *c)
{
	if (c->wait == A64_WAIT_WFI)
		return c->irq_line || c->fiq_line;
	if (c->wait == A64_WAIT_WFE) {
		if (c->event) {
			c->event = 0;
			return true;
		}
		return a64_interrupt_pending(c);
	}
	return true;
}

bool a64_wait_over(struct a64_cpu *c)
{
	if (!wait_ends(c))
		return false;
	c->wait = 0;
	return true;
}

/* A return to SPSR.M is legal: EL0t, EL1t or EL1h, AArch64 (and not to
 * a higher EL than the current one, which from EL1 cannot happen). */
static bool legal_return(const struct a64_cpu *c, u64 spsr)
{
	unsigned m = spsr & SPSR_M_MASK;
	if (m == SPSR_M_EL0T)
		return true;
	return c->el == 1 && (m == SPSR_M_EL1T || m == SPSR_M_EL1H);
}

int a64_exception_return(struct a64_cpu *c)
{
	u64 elr = c->sys.elr_el1, spsr = c->sys.spsr_el1;
	c->monitor.open = false;
	c->event = 1; /* an exception return is a WFE wake-up event */
	c->pc = elr;
	if (!legal_return(c, spsr)) {
		/* Illegal return: PSTATE.{NZCV,DAIF} from SPSR, the EL and SP
		 * selection stay, PSTATE.IL is set. */
		c->nzcv = (u32)spsr & 0xf0000000u;
		c->daif = (spsr >> 6) & 0xf;
		c->il = 1;
		return A64_STOP;
	}
	a64_pstate_write(c, spsr);
	return c->il || a64_interrupt_pending(c) ? A64_STOP : A64_OK;
}
