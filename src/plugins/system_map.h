/*
 * A Linux System.map ("ffffffff81000000 T _stext" per line), to name
 * code addresses "symbol+0xoff".
 */
#ifndef ENCORE_PLUGINS_SYSTEM_MAP_H
#define ENCORE_PLUGINS_SYSTEM_MAP_H

#include "encore/types.h"

struct system_map_sym {
	u64 addr;
	const char *name;
	bool code;          /* type T, t, W or w */
};

struct system_map {
	char *text;                    /* the file; names point into it */
	struct system_map_sym *syms;   /* by address, one per address */
	size_t n;
};

/* 0, or -1 with err (a file that cannot be read, a malformed line, no
 * code symbol at all; the message does not repeat the path). */
int system_map__load(struct system_map *m, const char *path, char *err, size_t errlen);
void system_map__free(struct system_map *m);

/* The code symbol addr falls in, and addr's offset into it; NULL if the
 * closest symbol at or below addr is not code (data, the end of the
 * kernel, user space and modules beyond it) or there is none. */
const char *system_map__lookup(const struct system_map *m, u64 addr, u64 *offset);

#endif
