/*
 * The machine's saved state, part by part: the vCPU scheduler, each
 * vCPU (its architectural state and instruction count), each device.
 * Checkpoints store the parts with their names, layout versions and
 * sizes, and the state hash covers their bytes, so a part that changes
 * layout (a new field, a new device) gives a clear error or a migration
 * on restore, never a silently wrong machine (Firecracker's versioned
 * state, per component).
 */
#ifndef ENCORE_STATE_PARTS_H
#define ENCORE_STATE_PARTS_H

#include "encore/hw.h"

#define STATE_PART_NAME 16          /* bytes, NUL-padded */
#define STATE_PART_MAX_SIZE (1u << 20)
#define SCHED_STATE_VERSION 1u

/* What a vCPU's part holds: its retired instructions, then its
 * architecture's state blob (encore/arch.h), state_size bytes of it. */
struct vcpu_part {
	u64 insns;
	u8 state[ARCH_STATE_MAX];
};

static inline u32 vcpu_part__size(const struct encore_arch *a)
{
	return (u32)offsetof(struct vcpu_part, state) + a->state_size;
}

struct state_part {
	char name[STATE_PART_NAME + 1];
	u32 version;
	u32 size;
};

/* 1 + nvcpus + ndevices, in that order: "sched", "cpu0".., the devices. */
unsigned machine__nparts(const struct encore_machine *m);
/* Describe part k and return its `size` bytes: the live state, or for a
 * vCPU `scratch` filled from its engine.  Valid until the machine runs. */
const void *machine__part_view(struct encore_machine *m, unsigned k, struct state_part *p,
			       struct vcpu_part *scratch);
/* Put part k back from `bytes`, saved as `p` describes; -1 with a
 * message naming the part if it is not this machine's part k (another
 * name, layout version or size). */
int machine__part_restore(struct encore_machine *m, unsigned k, const struct state_part *p,
			  const void *bytes, char *err, size_t n);

#endif
