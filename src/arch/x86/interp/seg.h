/* Descriptor tables and segment-register loads. */
#ifndef INTERP_SEG_H
#define INTERP_SEG_H

#include "cpu.h"

/* Read the 8-byte descriptor for `sel`; raises #GP(sel) when out of bounds. */
u64 seg_read_descriptor(struct cpu *c, u16 sel, int fault_vector);
/* The same during event delivery: the error code has EXT (`ext`, 1 when
 * an external event is being delivered) in bit 0. */
u64 seg_read_descriptor_ext(struct cpu *c, u16 sel, int fault_vector, u32 ext);
/* Expand a descriptor into base/limit/attr. */
void seg_from_descriptor(struct encore_segment *s, u16 sel, u64 desc);
/* MOV/POP to a data segment register or SS, with the architectural checks
 * (in real mode: seg_load_real). */
void seg_load_data(struct cpu *c, int seg, u16 sel);
/* Load a data or stack segment register from a descriptor the caller
 * checked (sets its accessed bit). */
void seg_load_descriptor(struct cpu *c, int seg, u16 sel, u64 d);
/* A real-mode segment load: selector and base (sel << 4) only. */
void seg_load_real(struct cpu *c, int seg, u16 sel);
/* Load CS for a far transfer to privilege `cpl` (checks done by caller). */
void seg_load_cs(struct cpu *c, u16 sel, u64 desc, u8 cpl);
static inline u8 desc_dpl(u64 d) { return (d >> 45) & 3; }
static inline bool desc_present(u64 d) { return (d >> 47) & 1; }
static inline unsigned desc_type(u64 d) { return (d >> 40) & 0xf; }
static inline bool desc_is_code_data(u64 d) { return (d >> 44) & 1; }
/* Byte-granular limit (G applied). */
static inline u32 desc_limit(u64 d)
{
	u32 limit = (d & 0xffff) | ((d >> 32) & 0xf0000);
	return (d & (1ull << 55)) ? (limit << 12) | 0xfff : limit;
}
static inline u32 desc_base(u64 d)
{
	return ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
}
/* Code that runs as 64-bit code: L set while long mode is active. */
static inline bool desc_long(const struct cpu *c, u64 d)
{
	return (c->s.efer & EFER_LMA) && ((d >> 53) & 1);
}

#endif
