/*
 * The byte layout of events.log, shared by its writer and its reader
 * (docs/recording-format.md describes it for people).  Little-endian.
 */
#ifndef ENCORE_RR_LOG_WIRE_H
#define ENCORE_RR_LOG_WIRE_H

#include <string.h>

#include "encore/le_bytes.h"
#include "encore/rr_log.h"

#define LOG_HEADER_SIZE 32u     /* magic, version, header size, id, checksum */
#define BLOCK_MAGIC 0x4b4c4245u /* "EBLK" */
#define BLOCK_HEADER_SIZE 48u
#define BLOCK_MAX_RAW (1u << 20)
#define EVENT_COMMON_SIZE 52u   /* kind, flags, body size, landmark (with its vCPU), rip,
				 * fingerprint */


/* The body size each kind has (INPUT: 1..RR_INPUT_MAX, NET: 1..RR_NET_FRAME_MAX);
 * 0 = unknown kind. */
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
	case RR_EV_NET: return ev->net.len;
	case RR_EV_NET_SENT: return 16;
	default: return 0;
	}
}

#endif
