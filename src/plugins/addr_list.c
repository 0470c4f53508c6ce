/* Writing and reading the address lists of addr_list.h. */
#include <stdlib.h>
#include <string.h>

#include "addr_list.h"
#include "encore/errmsg.h"
#include "plugin_util.h"

/* The entries to write: without counts all, with counts those above 0. */
static size_t kept(const struct u64_entry *e, size_t n, bool with_counts)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += !with_counts || e[i].value;
	return k;
}

int addr_list__write(FILE *f, const char *magic, const struct u64_table *t, bool with_counts,
		     char *err, size_t errlen)
{
	struct u64_entry *e;
	if (u64_table__sorted(t, &e))
		return errmsg(err, errlen, "out of memory sorting %zu addresses", t->used);
	int bad = fwrite(magic, 1, ADDR_LIST_MAGIC_LEN, f) != ADDR_LIST_MAGIC_LEN ||
		  varint__fwrite(f, kept(e, t->used, with_counts));
	u64 prev = 0;
	for (size_t i = 0; i < t->used && !bad; i++) {
		if (with_counts && !e[i].value)
			continue;
		bad |= varint__fwrite(f, e[i].key - prev);
		if (with_counts)
			bad |= varint__fwrite(f, e[i].value);
		prev = e[i].key;
	}
	free(e);
	if (bad || fflush(f))
		return errmsg(err, errlen, "cannot write the interval's output");
	return 0;
}

static int add_entry(struct u64_table *sum, u64 addr, u64 count, char *err, size_t errlen)
{
	u64 *v = u64_table__value(sum, addr);
	if (!v)
		return errmsg(err, errlen, "out of memory");
	*v += count;
	return 0;
}

int addr_list__add(FILE *f, const char *magic, bool with_counts, struct u64_table *sum,
		   char *err, size_t errlen)
{
	char m[ADDR_LIST_MAGIC_LEN];
	u64 n;
	if (fread(m, 1, sizeof(m), f) != sizeof(m) || memcmp(m, magic, sizeof(m)))
		return errmsg(err, errlen, "not an address list (bad magic)");
	if (varint__fread(f, &n) != 1)
		return errmsg(err, errlen, "address list cut short in its header");
	u64 addr = 0, count = 1;
	for (u64 i = 0; i < n; i++) {
		u64 delta;
		if (varint__fread(f, &delta) != 1 || (with_counts && varint__fread(f, &count) != 1))
			return errmsg(err, errlen, "address list cut short at entry %llu of %llu",
				      (unsigned long long)i, (unsigned long long)n);
		if (i && (delta == 0 || addr + delta < addr))
			return errmsg(err, errlen, "address list out of order at entry %llu",
				      (unsigned long long)i);
		addr += delta;
		if (add_entry(sum, addr, count, err, errlen))
			return -1;
	}
	if (getc(f) != EOF)
		return errmsg(err, errlen, "address list has bytes after its %llu entries",
			      (unsigned long long)n);
	return 0;
}
