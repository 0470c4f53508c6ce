/*
 * An open-addressing hash map from u64 keys to u64 values, for the hot
 * callbacks of the plugins (a count per RIP, a set of addresses, an
 * instruction count per address space), and a disk's blocks in a
 * recording or a replay: one multiply and, nearly always,
 * one cache line per lookup; it only allocates when it grows.
 */
#ifndef ENCORE_U64_TABLE_H
#define ENCORE_U64_TABLE_H

#include "encore/types.h"

/* Marks a free slot; the key itself is kept aside (see below). */
#define U64_TABLE_FREE UINT64_MAX

struct u64_entry {
	u64 key, value;
};

struct u64_table {
	struct u64_entry *slots;
	size_t mask;           /* slots - 1: a power of two minus one */
	unsigned shift;        /* 64 - log2(slots), for Fibonacci hashing */
	size_t used;           /* keys held, the aside one included */
	/* The key U64_TABLE_FREE cannot live in a slot, so it lives here:
	 * every u64 is a valid key (RIP 0xffff...ffff included). */
	bool has_free_key;
	u64 free_key_value;
};

/* 0, or -1 if out of memory. */
int u64_table__init(struct u64_table *t);
void u64_table__free(struct u64_table *t);

/* Slow path of u64_table__value: inserts a key known to be absent. */
u64 *u64_table__insert(struct u64_table *t, u64 key);

static inline size_t u64_table__home(const struct u64_table *t, u64 key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> t->shift);
}

/* The value of key, inserted as 0 if absent; NULL if out of memory.
 * The pointer is valid until the next insertion. */
static inline u64 *u64_table__value(struct u64_table *t, u64 key)
{
	if (unlikely(key == U64_TABLE_FREE))
		return u64_table__insert(t, key);
	for (size_t i = u64_table__home(t, key);; i = (i + 1) & t->mask) {
		struct u64_entry *e = &t->slots[i];
		if (likely(e->key == key))
			return &e->value;
		if (e->key == U64_TABLE_FREE)
			return u64_table__insert(t, key);
	}
}

/*
 * A value pointer kept across callbacks, for a key that stays current
 * (the address space a vCPU is in, the RIP of a vCPU's previous
 * instruction): only an insertion moves values, and every insertion
 * changes t->used, so the pointer is looked up again only after one.
 */
struct u64_ref {
	u64 key;
	u64 *value;
	size_t used;       /* t->used when value was looked up */
};

/* Points r at key's value (inserted as 0 if absent); NULL if out of memory. */
static inline u64 *u64_ref__set(struct u64_table *t, struct u64_ref *r, u64 key)
{
	r->key = key;
	r->value = u64_table__value(t, key);
	r->used = t->used;
	return r->value;
}

/* r's value now; NULL if out of memory. */
static inline u64 *u64_ref__get(struct u64_table *t, struct u64_ref *r)
{
	if (unlikely(r->used != t->used))
		return u64_ref__set(t, r, r->key);
	return r->value;
}

/* The value of key, or NULL if absent (never inserts). */
const u64 *u64_table__find(const struct u64_table *t, u64 key);

/* All entries, sorted by key, in a new array of t->used entries (*out is
 * NULL when there are none); 0, or -1 if out of memory. */
int u64_table__sorted(const struct u64_table *t, struct u64_entry **out);

#endif
