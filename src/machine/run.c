/* The machine's main loop around the CPU engine. */
#include <stdio.h>
#include <string.h>

#include "encore/run.h"

static bool handle_exit(struct encore_machine *m, const struct encore_exit *x, struct run_result *r)
{
	if (m->stopped) {
		r->outcome = RUN_STOPPED;
		r->status = m->exit_status;
		return true;
	}
	switch (x->reason) {
	case EXIT_LIMIT:
		r->outcome = RUN_LIMIT;
		return true;
	case EXIT_TRIPLE_FAULT:
		r->outcome = RUN_TRIPLE_FAULT;
		return true;
	case EXIT_HLT:
		/* No timer can fire yet, so a halted CPU never wakes. */
		r->outcome = RUN_HALTED_FOREVER;
		snprintf(r->message, sizeof(r->message), "the guest halted with no interrupt source");
		return true;
	case EXIT_ERROR:
		r->outcome = RUN_ERROR;
		snprintf(r->message, sizeof(r->message), "%s", x->message);
		return true;
	default:
		return false;
	}
}

void machine__run(struct encore_machine *m, u64 max_insns, struct run_result *r)
{
	struct encore_engine *e = m->engine;
	u64 limit = max_insns ? max_insns : ~0ull;
	memset(r, 0, sizeof(*r));
	for (;;) {
		struct encore_exit x;
		engine__run(e, limit, &x);
		r->rip = x.rip;
		if (handle_exit(m, &x, r))
			break;
	}
	r->insns = e->ops->insn_count(e);
}
