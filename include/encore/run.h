/* Running a machine to completion and describing how it ended. */
#ifndef ENCORE_RUN_H
#define ENCORE_RUN_H

#include "encore/machine.h"

enum run_outcome {
	RUN_STOPPED,       /* a device ended the run with a status */
	RUN_LIMIT,         /* --max-insns reached */
	RUN_TRIPLE_FAULT,
	RUN_HALTED_FOREVER,/* HLT with nothing that could wake the CPU */
	RUN_ERROR,         /* the engine could not continue */
};

struct run_result {
	enum run_outcome outcome;
	int status;
	u64 insns;
	u64 rip;
	char message[256];
};

/* Run until the guest stops, fails, or max_insns (0 = no limit) retire. */
void machine__run(struct encore_machine *m, u64 max_insns, struct run_result *r);

#endif
