/* An A64 vCPU's saved state (a64_state.h). */
#include <string.h>

#include "arch/arm64/a64_exception.h"
#include "arch/arm64/a64_state.h"

_Static_assert(_Alignof(struct a64_state) <= 8, "a state blob is aligned to 8 at most");

void a64_state__save(const struct a64_cpu *c, bool irq_pending, bool powered_off,
		     struct a64_state *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->x, c->x, sizeof(s->x));
	/* The current SP is x[A64_SP]; the other one is in its bank. */
	bool on_el0_stack = c->el == 0 || !c->spsel;
	s->sp_el0 = on_el0_stack ? c->x[A64_SP] : c->sp_el0;
	s->sp_el1 = on_el0_stack ? c->sp_el1 : c->x[A64_SP];
	s->pc = c->pc;
	s->pstate = a64_pstate_read(c);
	for (unsigned k = 0; k < 32; k++) {
		s->v[k][0] = c->v[k].d[0];
		s->v[k][1] = c->v[k].d[1];
	}
	s->fpcr = c->fpcr;
	s->fpsr = c->fpsr;
	s->monitor_addr = c->monitor.addr;
	s->monitor_size = c->monitor.size;
	s->monitor_open = c->monitor.open;
	s->sys = c->sys;
	s->event = c->event;
	s->wait = c->wait;
	s->irq_pending = irq_pending;
	s->powered_off = powered_off;
}

void a64_state__load(struct a64_cpu *c, const struct a64_state *s, bool *irq_pending,
		     bool *powered_off)
{
	memcpy(c->x, s->x, sizeof(s->x));
	c->x[A64_XZR] = 0;
	c->x[A64_DISCARD] = 0;
	/* Enter EL0 on SP_EL0 first, so that writing PSTATE banks nothing
	 * stale, then let it select the stack. */
	c->el = 0;
	c->spsel = 0;
	c->x[A64_SP] = s->sp_el0;
	c->sp_el0 = s->sp_el0;
	c->sp_el1 = s->sp_el1;
	a64_pstate_write(c, s->pstate);
	c->pc = s->pc;
	for (unsigned k = 0; k < 32; k++) {
		c->v[k].d[0] = s->v[k][0];
		c->v[k].d[1] = s->v[k][1];
	}
	c->fpcr = (u32)s->fpcr;
	c->fpsr = (u32)s->fpsr;
	c->monitor.addr = s->monitor_addr;
	c->monitor.size = s->monitor_size;
	c->monitor.open = s->monitor_open;
	c->sys = s->sys;
	c->event = s->event;
	c->wait = s->wait;
	*irq_pending = s->irq_pending;
	*powered_off = s->powered_off;
}
