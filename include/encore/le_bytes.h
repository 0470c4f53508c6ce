/* Little-endian fields in encore's file formats (log, checkpoints, pages). */
#ifndef ENCORE_LE_BYTES_H
#define ENCORE_LE_BYTES_H

#include <string.h>

#include "encore/types.h"

static inline void put16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static inline void put32(u8 *p, u32 v) { for (int k = 0; k < 4; k++) p[k] = (u8)(v >> 8 * k); }
static inline void put64(u8 *p, u64 v) { for (int k = 0; k < 8; k++) p[k] = (u8)(v >> 8 * k); }
static inline u16 get16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static inline u32 get32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}
static inline u64 get64(const u8 *p) { return get32(p) | (u64)get32(p + 4) << 32; }

#endif
