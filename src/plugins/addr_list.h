/*
 * The per-interval file of hotspots and coverage: addresses in ascending
 * order, each with a count or not.
 *
 *     magic     8 bytes ("enchot1\n", "enccov1\n")
 *     n         varint: the number of addresses
 *     n times:  varint  address - previous address (previous starts at 0)
 *               varint  count (only in files with counts)
 *
 * Nothing follows.  The deltas keep a kernel's dense code addresses at
 * one or two bytes each.
 */
#ifndef ENCORE_PLUGINS_ADDR_LIST_H
#define ENCORE_PLUGINS_ADDR_LIST_H

#include <stdio.h>

#include "encore/u64_table.h"

#define ADDR_LIST_MAGIC_LEN 8

/* Writes the entries of t: with_counts, those with a count above 0 and
 * their counts; else all of them.  0, or -1 with err. */
int addr_list__write(FILE *f, const char *magic, const struct u64_table *t, bool with_counts,
		     char *err, size_t errlen);

/* Reads one file and adds it into sum: each count, or 1 per address
 * without counts.  0, or -1 with err naming what is wrong. */
int addr_list__add(FILE *f, const char *magic, bool with_counts, struct u64_table *sum,
		   char *err, size_t errlen);

#endif
