/* encore run: boot a guest on the interpreter and run it to the end. */
#include <stdio.h>

#include "cli.h"
#include "launch.h"
#include "run_opts.h"

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	int pr = run_opts__parse(argc, argv, false, &o);
	if (pr)
		return pr == 1 ? 0 : pr;
	static struct launch l;
	if (launch__create(&l, &o.guest, true, o.realtime, RUN_INPUT_SLICE_INSNS)) {
		launch__destroy(&l);
		return 2;
	}
	launch__run(&l, o.max_insns);
	int status = launch__status(&l, true);
	if (o.summary) {
		launch__summary(&l);
		if (status == 0 || l.result.outcome == RUN_LIMIT)
			machine__report(l.guest.machine, stderr);
	}
	launch__destroy(&l);
	return status;
}
