/* Breakpoints and watchpoints (points.h). */
#include "debug/points.h"

int points__add_break(struct points *p, u64 addr)
{
	if (points__break_at(p, addr))
		return 0;
	if (p->nbreaks == POINTS_MAX)
		return -1;
	p->breaks[p->nbreaks++] = addr;
	return 0;
}

void points__remove_break(struct points *p, u64 addr)
{
	for (unsigned k = 0; k < p->nbreaks; k++)
		if (p->breaks[k] == addr) {
			p->breaks[k] = p->breaks[--p->nbreaks];
			return;
		}
}

static int find_watch(const struct points *p, u64 addr, u64 len, unsigned kind)
{
	for (unsigned k = 0; k < p->nwatches; k++) {
		const struct watch *w = &p->watches[k];
		if (w->addr == addr && w->len == len && w->kind == kind)
			return (int)k;
	}
	return -1;
}

int points__add_watch(struct points *p, u64 addr, u64 len, unsigned kind)
{
	if (find_watch(p, addr, len, kind) >= 0)
		return 0;
	if (p->nwatches == POINTS_MAX || !len)
		return -1;
	p->watches[p->nwatches++] = (struct watch){ addr, len, kind };
	return 0;
}

void points__remove_watch(struct points *p, u64 addr, u64 len, unsigned kind)
{
	int k = find_watch(p, addr, len, kind);
	if (k >= 0)
		p->watches[k] = p->watches[--p->nwatches];
}

bool points__empty(const struct points *p)
{
	return !p->nbreaks && !p->nwatches;
}

const struct watch *points__watch_hit(const struct points *p, u64 addr, unsigned size,
				      bool is_write)
{
	unsigned want = is_write ? WATCH_WRITE : WATCH_READ;
	for (unsigned k = 0; k < p->nwatches; k++) {
		const struct watch *w = &p->watches[k];
		/* overlap of [addr, addr+size) and [w->addr, w->addr+w->len) */
		if ((w->kind & want) &&
		    (addr <= w->addr ? w->addr - addr < size : addr - w->addr < w->len))
			return w;
	}
	return NULL;
}
