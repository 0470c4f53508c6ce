/* The hash map of u64_table.h: linear probing, grown at 1/2 full. */
#include <stdlib.h>

#include "encore/u64_table.h"

#define INITIAL_LOG2 12

static struct u64_entry *alloc_slots(size_t n)
{
	struct u64_entry *s = malloc(n * sizeof(*s));
	if (s)
		for (size_t i = 0; i < n; i++)
			s[i].key = U64_TABLE_FREE;
	return s;
}

int u64_table__init(struct u64_table *t)
{
	*t = (struct u64_table){ 0 };
	t->slots = alloc_slots((size_t)1 << INITIAL_LOG2);
	if (!t->slots)
		return -1;
	t->mask = ((size_t)1 << INITIAL_LOG2) - 1;
	t->shift = 64 - INITIAL_LOG2;
	return 0;
}

void u64_table__free(struct u64_table *t)
{
	free(t->slots);
	t->slots = NULL;
}

static struct u64_entry *free_slot(struct u64_table *t, u64 key)
{
	size_t i = u64_table__home(t, key);
	while (t->slots[i].key != U64_TABLE_FREE)
		i = (i + 1) & t->mask;
	return &t->slots[i];
}

static int grow(struct u64_table *t)
{
	size_t old_n = t->mask + 1;
	struct u64_entry *old = t->slots;
	struct u64_entry *s = alloc_slots(old_n * 2);
	if (!s)
		return -1;
	t->slots = s;
	t->mask = old_n * 2 - 1;
	t->shift--;
	for (size_t i = 0; i < old_n; i++)
		if (old[i].key != U64_TABLE_FREE)
			*free_slot(t, old[i].key) = old[i];
	free(old);
	return 0;
}

u64 *u64_table__insert(struct u64_table *t, u64 key)
{
	if (key == U64_TABLE_FREE) {
		if (!t->has_free_key) {
			t->has_free_key = true;
			t->free_key_value = 0;
			t->used++;
		}
		return &t->free_key_value;
	}
	/* Keep at most half the slots full, so that probes stay short. */
	if ((t->used + 1) * 2 > t->mask + 1 && grow(t))
		return NULL;
	struct u64_entry *e = free_slot(t, key);
	*e = (struct u64_entry){ key, 0 };
	t->used++;
	return &e->value;
}

const u64 *u64_table__find(const struct u64_table *t, u64 key)
{
	if (key == U64_TABLE_FREE)
		return t->has_free_key ? &t->free_key_value : NULL;
	for (size_t i = u64_table__home(t, key);; i = (i + 1) & t->mask) {
		if (t->slots[i].key == key)
			return &t->slots[i].value;
		if (t->slots[i].key == U64_TABLE_FREE)
			return NULL;
	}
}

static int by_key(const void *a, const void *b)
{
	u64 x = ((const struct u64_entry *)a)->key, y = ((const struct u64_entry *)b)->key;
	return (x > y) - (x < y);
}

int u64_table__sorted(const struct u64_table *t, struct u64_entry **out)
{
	*out = NULL;
	if (!t->used)
		return 0;
	struct u64_entry *a = malloc(t->used * sizeof(*a));
	if (!a)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i <= t->mask; i++)
		if (t->slots[i].key != U64_TABLE_FREE)
			a[n++] = t->slots[i];
	if (t->has_free_key)
		a[n++] = (struct u64_entry){ U64_TABLE_FREE, t->free_key_value };
	qsort(a, n, sizeof(*a), by_key);
	*out = a;
	return 0;
}
