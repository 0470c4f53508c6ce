#ifndef ENCORE_STATE_HASH_H
#define ENCORE_STATE_HASH_H

#include "encore/machine.h"

/* XXH3 hash of the CPU state, the devices' state, virtual time and every
 * byte of guest RAM. */
u64 machine__state_hash(struct encore_machine *m);
/* The same without RAM: cheap enough for every recorded event. */
u64 machine__fingerprint(struct encore_machine *m);

#endif
