/*
 * A debugger's breakpoints (code addresses) and watchpoints (data ranges
 * read, written or both), as gdb inserts and removes them.  Addresses
 * are virtual, as the CPU uses them.
 */
#ifndef ENCORE_DEBUG_POINTS_H
#define ENCORE_DEBUG_POINTS_H

#include "encore/types.h"

#define POINTS_MAX 64

enum watch_kind { WATCH_WRITE = 1, WATCH_READ = 2, WATCH_ACCESS = 3 };

struct watch {
	u64 addr, len;
	unsigned kind; /* enum watch_kind */
};

struct points {
	u64 breaks[POINTS_MAX];
	unsigned nbreaks;
	struct watch watches[POINTS_MAX];
	unsigned nwatches;
};

/* 0, or -1 when the table is full (POINTS_MAX). Inserting one that is
 * there already is a no-op, as gdb expects. */
int points__add_break(struct points *p, u64 addr);
void points__remove_break(struct points *p, u64 addr);
int points__add_watch(struct points *p, u64 addr, u64 len, unsigned kind);
void points__remove_watch(struct points *p, u64 addr, u64 len, unsigned kind);
bool points__empty(const struct points *p);

static inline bool points__break_at(const struct points *p, u64 rip)
{
	for (unsigned k = 0; k < p->nbreaks; k++)
		if (p->breaks[k] == rip)
			return true;
	return false;
}

/* The watchpoint an access of `size` bytes at `addr` triggers, or NULL. */
const struct watch *points__watch_hit(const struct points *p, u64 addr, unsigned size,
				      bool is_write);

#endif
