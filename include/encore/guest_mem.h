/*
 * Devices reading and writing guest RAM (DMA): a virtqueue's rings and
 * buffers, a disk's data.  Every address comes from the guest, so every
 * access is checked to lie in RAM as a whole before any byte moves: a
 * guest pointing a device anywhere else gets a refusal, never a host
 * access outside guest RAM.  Accesses go a page at a time, so a sparse
 * restore fetches what they touch; writes mark their frames dirty for
 * the next checkpoint and make every engine drop code it translated
 * from them (a disk read into a page that held code).
 */
#ifndef ENCORE_GUEST_MEM_H
#define ENCORE_GUEST_MEM_H

#include <stdbool.h>

#include "encore/machine.h"

/* True when every byte of [gpa, gpa + len) is guest RAM (len 0: true;
 * a range that wraps around 2^64: false). */
bool guest_mem__is_ram(const struct encore_machine *m, u64 gpa, u64 len);

/* Copies guest RAM at [gpa, gpa + len) to buf: 0, or -1 (nothing read)
 * when any of it is not RAM. */
int guest_mem__read(struct encore_machine *m, u64 gpa, void *buf, u64 len);

/* Copies buf to guest RAM at [gpa, gpa + len): 0, or -1 (nothing
 * written) when any of it is not RAM. */
int guest_mem__write(struct encore_machine *m, u64 gpa, const void *buf, u64 len);

/* Little-endian loads and stores of 2, 4 and 8 bytes (a virtqueue's
 * fields), with the same checks. */
int guest_mem__read16(struct encore_machine *m, u64 gpa, u16 *v);
int guest_mem__read32(struct encore_machine *m, u64 gpa, u32 *v);
int guest_mem__read64(struct encore_machine *m, u64 gpa, u64 *v);
int guest_mem__write16(struct encore_machine *m, u64 gpa, u16 v);
int guest_mem__write32(struct encore_machine *m, u64 gpa, u32 v);

#endif
