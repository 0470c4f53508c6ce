/*
 * The byte layout of events.log, shared by its writer and its reader
 * (docs/recording-format.md describes it for people).  Little-endian.
 */
#ifndef ENCORE_RR_LOG_WIRE_H
#define ENCORE_RR_LOG_WIRE_H

#include <string.h>

#include "encore/rr_log.h"

#define LOG_HEADER_SIZE 32u     /* magic, version, header size, id, checksum */
#define BLOCK_MAGIC 0x4b4c4245u /* "EBLK" */
#define BLOCK_HEADER_SIZE 48u
#define BLOCK_MAX_RAW (1u << 20)
#define EVENT_COMMON_SIZE 40u   /* kind, flags, body size, landmark, rip, fingerprint */

static inline void put16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static inline void put32(u8 *p, u32 v) { for (int k = 0; k < 4; k++) p[k] = (u8)(v >> 8 * k); }
static inline void put64(u8 *p, u64 v) { for (int k = 0; k < 8; k++) p[k] = (u8)(v >> 8 * k); }
static inline u16 get16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static inline u32 get32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}
static inline u64 get64(const u8 *p) { return get32(p) | (u64)get32(p + 4) << 32; }

/* The body size each kind has (INPUT: 1..RR_INPUT_MAX); 0 = unknown kind. */
static inline unsigned event_body_size(const struct rr_event *ev)
{
	switch (ev->kind) {
	case RR_EV_BOOT_TIME: return 8;
	case RR_EV_CHECKPOINT: return 20;
	case RR_EV_INPUT: return ev->input.len;
	case RR_EV_IDLE: return 16;
	case RR_EV_PACE: return 8;
	case RR_EV_STOP: return 4;
	case RR_EV_END: return 24;
	default: return 0;
	}
}

#endif
