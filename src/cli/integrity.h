/*
 * The integrity of a recording: the checks every command makes when it
 * opens one, so that damage is found whether or not the run reads the
 * damaged part.  Cheap ones always (checksums of the checkpoints, of
 * each checkpoint's stretch of the page store and of the console output,
 * the guest files' hashes, the files' sizes against the metadata); with
 * `full`, also every stored page's content hash and every checkpoint's
 * state hash (encore inspect --verify).
 */
#ifndef ENCORE_CLI_INTEGRITY_H
#define ENCORE_CLI_INTEGRITY_H

#include "recording.h"

#define INTEGRITY_REPORT 16384

struct integrity {
	bool damaged;
	char report[INTEGRITY_REPORT]; /* one line per problem, each naming its file */
	bool guest_ok;                 /* the kernel and initrd are as recorded */
	bool console_ok;               /* console.out is what the guest printed */
	u32 checkpoints;               /* records in the checkpoints file */
	u8 *unusable;                  /* per checkpoint: 1 if it cannot be restored */
	u32 restorable;                /* checkpoints that can */
	u64 pages_checked;             /* with full: stored pages read and checked */
};

/* Check `rec` (opened).  Never fails: what it finds is in `h`. */
void integrity__check(const struct recording *rec, bool full, struct integrity *h);
void integrity__free(struct integrity *h);

/* Can a run from checkpoint `from` (or from the start, if !has_from)
 * use it? */
bool integrity__can_start(const struct integrity *h, bool has_from, u32 from);
/* "checkpoints 0-4 and 7 restore; 5, 6 and 8 do not" and where a replay
 * from the start goes, in a sentence. */
void integrity__usable(const struct integrity *h, char *out, size_t n);
/* Print the report, each line as "encore CMD: LINE", and what is usable. */
void integrity__print(const struct integrity *h, const char *cmd);

#endif
