/*
 * rr-edit: change one event of a recording and write the log back with
 * valid checksums, as a hand edit or a subtly wrong recorder would, so
 * that tests can check that replay notices the execution leaving the
 * recording (and does not just reject a damaged file).
 *
 *   rr-edit REC INDEX insns+N | rip | fingerprint | state-hash | input=C | pace+N |
 *                     sent-digest | drop
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "encore/rr_log.h"

static int die(const char *msg)
{
	fprintf(stderr, "rr-edit: %s\n", msg);
	return 2;
}

static int edit(struct rr_log *log, size_t index, const char *how)
{
	struct rr_event *ev = &log->events[index];
	if (!strncmp(how, "insns+", 6))
		ev->at.insns += strtoull(how + 6, NULL, 0);
	else if (!strcmp(how, "rip"))
		ev->pc ^= 1;
	else if (!strcmp(how, "fingerprint"))
		ev->fingerprint ^= 1;
	else if (!strcmp(how, "state-hash") && ev->kind == RR_EV_CHECKPOINT)
		ev->checkpoint.state_hash ^= 1;
	else if (!strcmp(how, "state-hash") && ev->kind == RR_EV_END)
		ev->end.state_hash ^= 1;
	else if (!strncmp(how, "input=", 6) && ev->kind == RR_EV_INPUT && how[6])
		ev->input.bytes[0] = (u8)how[6];
	else if (!strcmp(how, "sent-digest") && ev->kind == RR_EV_NET_SENT)
		ev->net_sent.digest ^= 1;
	else if (!strncmp(how, "pace+", 5) && ev->kind == RR_EV_PACE)
		ev->pace.ns += strtoull(how + 5, NULL, 0);
	else if (!strcmp(how, "drop")) {
		memmove(ev, ev + 1, (log->count - index - 1) * sizeof(*ev));
		log->count--;
	} else
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return die("usage: rr-edit REC INDEX insns+N|rip|fingerprint|state-hash|input=C|pace+N|"
			   "sent-digest|drop");
	char path[4200], tmp[4300], err[512];
	snprintf(path, sizeof(path), "%s/%s", argv[1], RR_LOG_FILE);
	snprintf(tmp, sizeof(tmp), "%s.edit", path);
	struct rr_log log;
	if (rr_log__read(path, &log, err, sizeof(err)))
		return die(err);
	size_t index = strtoul(argv[2], NULL, 0);
	if (index >= log.count || edit(&log, index, argv[3]))
		return die("no such event, or that edit does not apply to it");
	unlink(tmp);
	struct rr_log_writer *w = rr_log_writer__create(tmp, log.recording_id, err, sizeof(err));
	if (!w)
		return die(err);
	for (size_t k = 0; k < log.count; k++)
		if (rr_log_writer__append(w, &log.events[k]))
			return die("cannot append");
	if (rr_log_writer__flush(w, &log.through) || rr_log_writer__close(w, err, sizeof(err)) ||
	    rename(tmp, path))
		return die("cannot write the edited log");
	rr_log__free(&log);
	return 0;
}
