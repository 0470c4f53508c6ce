/*
 * ckpt-edit: change one state part of one checkpoint in a recording and
 * write the checkpoints file back with valid checksums, as a hand edit
 * or an encore with another state layout would, so that tests can check
 * that restoring, verifying and replaying notice (and do not just reject
 * a damaged file).
 *
 *   ckpt-edit REC K PART version+N    the part's layout version, plus N
 *   ckpt-edit REC K PART flip OFFSET  one bit of the part's byte OFFSET
 *   ckpt-edit REC K list              print each part: name, version, size
 *
 * PART is a part's name: sched, cpu0, cpu1, ..., or a device's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "../fuzz/ckpt_craft.h"
#include "encore/loader.h"

static int die(const char *msg)
{
	fprintf(stderr, "ckpt-edit: %s\n", msg);
	return 2;
}

/* The part called `name` in payload `raw`: its header's offset, or -1. */
static long find_part(const u8 *raw, size_t len, const char *name)
{
	struct craft_layout l;
	if (!craft_ckpt_layout(raw, len, &l))
		return -1;
	size_t at = l.parts;
	for (u32 d = 0; d < l.nparts; d++) {
		if (!strncmp((const char *)raw + at, name, STATE_PART_NAME))
			return (long)at;
		at += CKPT_PART_HEADER_SIZE + get32(raw + at + STATE_PART_NAME + 4);
	}
	return -1;
}

static int edit_part(u8 *raw, size_t len, const char *name, const char *how, const char *arg)
{
	long at = find_part(raw, len, name);
	if (at < 0)
		return -1;
	u8 *h = raw + at;
	if (!strcmp(how, "version+") && arg) {
		put32(h + STATE_PART_NAME, get32(h + STATE_PART_NAME) + (u32)strtoul(arg, NULL, 0));
		return 0;
	}
	unsigned long off = arg ? strtoul(arg, NULL, 0) : ~0ul;
	if (strcmp(how, "flip") || off >= get32(h + STATE_PART_NAME + 4))
		return -1;
	h[CKPT_PART_HEADER_SIZE + off] ^= 1;
	return 0;
}

static void list_parts(const u8 *raw, size_t len)
{
	struct craft_layout l;
	if (!craft_ckpt_layout(raw, len, &l))
		return;
	size_t at = l.parts;
	for (u32 d = 0; d < l.nparts; d++) {
		printf("%.*s %u %u\n", STATE_PART_NAME, (const char *)raw + at,
		       get32(raw + at + STATE_PART_NAME), get32(raw + at + STATE_PART_NAME + 4));
		at += CKPT_PART_HEADER_SIZE + get32(raw + at + STATE_PART_NAME + 4);
	}
}

int main(int argc, char **argv)
{
	bool list = argc == 4 && !strcmp(argv[3], "list");
	if (argc != 6 && !list)
		return die("usage: ckpt-edit REC K PART version+ N | ckpt-edit REC K PART flip OFFSET");
	char path[4200], err[512];
	snprintf(path, sizeof(path), "%s/%s", argv[1], SNAP_CKPTS_FILE);
	size_t size;
	u8 *file = loader__read_file(path, &size, err, sizeof(err));
	if (!file)
		return die(err);
	u32 k = (u32)strtoul(argv[2], NULL, 0), index = 0;
	size_t off = SNAP_FILE_HEADER_SIZE;
	while (craft_ckpt_at(file, size, off) && index < k) {
		off += craft_ckpt_size(file, off);
		index++;
	}
	if (!craft_ckpt_at(file, size, off)) {
		free(file);
		return die("no such checkpoint");
	}
	size_t old = craft_ckpt_size(file, off), raw_len = get32(file + off + 8);
	u8 *raw = malloc(raw_len);
	bool unpacked = raw && ZSTD_decompress(raw, raw_len, file + off + CKPT_REC_HEADER_SIZE,
					       get32(file + off + 12)) == raw_len;
	if (unpacked && list) {
		list_parts(raw, raw_len);
		free(raw);
		free(file);
		return 0;
	}
	if (!unpacked || list || edit_part(raw, raw_len, argv[3], argv[4], argv[5])) {
		free(raw);
		free(file);
		return die("the checkpoint does not decompress, or has no such part, or that edit "
			   "does not apply to it");
	}
	size_t cap = CKPT_REC_HEADER_SIZE + ZSTD_compressBound(raw_len);
	u8 *rec = malloc(cap);
	size_t len = rec ? craft_ckpt_record(rec, cap, k, raw, raw_len) : 0;
	FILE *f = fopen(path, "wb");
	bool ok = len && f && fwrite(file, 1, off, f) == off && fwrite(rec, 1, len, f) == len &&
		  fwrite(file + off + old, 1, size - off - old, f) == size - off - old;
	if (f && fclose(f))
		ok = false;
	free(rec);
	free(raw);
	free(file);
	return ok ? 0 : die("cannot write the checkpoints file back");
}
