/* Descriptor tables and segment-register loads. */
#ifndef INTERP_SEG_H
#define INTERP_SEG_H

#include "cpu.h"

/* Read the 8-byte descriptor for `sel`; raises #GP(sel) when out of bounds. */
u64 seg_read_descriptor(struct cpu *c, u16 sel, int fault_vector);
/* Expand a descriptor into base/limit/attr. */
void seg_from_descriptor(struct encore_segment *s, u16 sel, u64 desc);
/* MOV/POP to a data segment register or SS, with the architectural checks. */
void seg_load_data(struct cpu *c, int seg, u16 sel);
/* Load CS for a far transfer to privilege `cpl` (checks done by caller). */
void seg_load_cs(struct cpu *c, u16 sel, u64 desc, u8 cpl);
static inline u8 desc_dpl(u64 d) { return (d >> 45) & 3; }
static inline bool desc_present(u64 d) { return (d >> 47) & 1; }
static inline unsigned desc_type(u64 d) { return (d >> 40) & 0xf; }
static inline bool desc_is_code_data(u64 d) { return (d >> 44) & 1; }

#endif
