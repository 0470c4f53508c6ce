/*
 * meta-seal: give a hand-edited REC/meta a valid checksum line again, so
 * that tests can check what replay says about the edit itself (an
 * unknown key, a wrong count) rather than about the checksum.
 *
 *   meta-seal FILE
 */
#include <stdio.h>
#include <stdlib.h>

#include "../fuzz/meta_seal.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: meta-seal FILE\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	char *text = malloc(RR_META_TEXT_MAX + RR_META_CHECKSUM_LINE + 2);
	if (!f || !text) {
		perror(argv[1]);
		return 2;
	}
	size_t len = fread(text, 1, RR_META_TEXT_MAX, f);
	fclose(f);
	len = meta_seal(text, len);
	f = fopen(argv[1], "w");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
		perror(argv[1]);
		return 2;
	}
	free(text);
	return 0;
}
