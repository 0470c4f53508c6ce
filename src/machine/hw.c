/* Virtual time, timers, interrupt lines and the device registry. */
#include <stdlib.h>
#include <string.h>

#include "encore/hw.h"

u64 machine__now(struct encore_machine *m)
{
	/* By exits, the session moves idle_ns with the host clock. */
	return (m->by_exits ? 0 : machine__insns(m)) + m->idle_ns;
}

int machine__timer_add(struct encore_machine *m, struct vtimer *t, const char *name,
		       void (*fire)(void *opaque, u64 now), void *opaque, u64 *deadline)
{
	if (m->ntimers == MACHINE_MAX_TIMERS)
		return -1;
	*deadline = VTIMER_OFF;
	*t = (struct vtimer){ .deadline = deadline, .fire = fire, .opaque = opaque, .name = name };
	m->timers[m->ntimers++] = t;
	return 0;
}

void machine__timer_arm(struct encore_machine *m, struct vtimer *t, u64 deadline)
{
	if (*t->deadline == deadline)
		return;
	*t->deadline = deadline;
	/* The engine's current slice may end after this deadline. */
	if (deadline != VTIMER_OFF)
		machine__kick(m);
}

void machine__timer_disarm(struct encore_machine *m, struct vtimer *t)
{
	machine__timer_arm(m, t, VTIMER_OFF);
}

u64 machine__next_deadline(struct encore_machine *m)
{
	u64 next = VTIMER_OFF;
	for (unsigned k = 0; k < m->ntimers; k++)
		if (*m->timers[k]->deadline < next)
			next = *m->timers[k]->deadline;
	return next;
}

unsigned machine__fire_timers(struct encore_machine *m)
{
	unsigned fired = 0;
	u64 now = machine__now(m);
	/* Registration order breaks ties, so firing order is deterministic. */
	for (unsigned k = 0; k < m->ntimers; k++) {
		struct vtimer *t = m->timers[k];
		if (*t->deadline <= now) {
			*t->deadline = VTIMER_OFF;
			t->fire(t->opaque, now);
			fired++;
		}
	}
	return fired;
}

void machine__set_irq(struct encore_machine *m, unsigned line, bool level)
{
	if (m->irq.set_irq)
		m->irq.set_irq(m->irq.opaque, line, level);
}

void machine__interrupt_changed(struct encore_machine *m)
{
	m->irq_changed = true;
	machine__kick(m);
}

int machine__add_device(struct encore_machine *m, const struct device *d)
{
	if (m->ndevices == MACHINE_MAX_DEVICES)
		return -1;
	struct device *copy = malloc(sizeof(*copy));
	if (!copy)
		return -1;
	*copy = *d;
	m->devices[m->ndevices++] = copy;
	return 0;
}

struct device *machine__find_device(struct encore_machine *m, const char *name)
{
	for (unsigned k = 0; k < m->ndevices; k++)
		if (!strcmp(m->devices[k]->name, name))
			return m->devices[k];
	return NULL;
}

void device__restore(struct device *d, const void *state)
{
	if (d->state_size) /* a device may have no state of its own */
		memcpy(d->state, state, d->state_size);
	if (d->restored)
		d->restored(d->dev);
}

void machine__request_reset(struct encore_machine *m)
{
	m->reset_requested = true;
	machine__kick(m);
}

void machine__request_poweroff(struct encore_machine *m)
{
	m->poweroff_requested = true;
	machine__kick(m);
}
