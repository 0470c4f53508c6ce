#ifndef ENCORE_STATE_HASH_H
#define ENCORE_STATE_HASH_H

#include "encore/machine.h"

/*
 * The machine-state hash: XXH3-64 of the fingerprint below followed by
 * the XXH3-128 hash of every 4 KiB frame of guest RAM, so two runs that
 * agree on it agree on everything the guest can observe.  Checkpoints
 * keep the frame hashes current incrementally (snap/page_map.h) and get
 * the same value from machine__state_hash_of_pages.
 */
u64 machine__state_hash(struct encore_machine *m);
/* `page_hashes`: 16 bytes (low, high 64-bit halves) per frame. */
u64 machine__state_hash_of_pages(struct encore_machine *m, const void *page_hashes);
/* Guest RAM alone: what two engines that keep time differently (the
 * interpreter, KVM) must still agree on at the end of a guest. */
u64 machine__ram_hash(struct encore_machine *m);
/* CPU state, devices' state and virtual time, without RAM: cheap enough
 * for every recorded event. */
u64 machine__fingerprint(struct encore_machine *m);

/* The same two hashes from stored state (a checkpoint): the fingerprint
 * of `nparts` state parts, given in order by `part` (their bytes and
 * size), and idle time; and the state hash of a fingerprint and frame
 * hashes.  One definition, so a stored checkpoint checks against its
 * recorded hash exactly as a live machine would. */
u64 state_hash__fingerprint(unsigned nparts, const void *(*part)(void *ctx, unsigned k, u32 *size),
			    void *ctx, u64 idle_ns);
u64 state_hash__with_pages(u64 fingerprint, const void *page_hashes, u64 nframes);

#endif
