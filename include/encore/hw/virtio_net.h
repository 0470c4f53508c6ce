/*
 * A virtio network device (virtio spec 1.2, "Network Device") on any
 * virtio transport: one receive and one transmit queue, a fixed MAC address and
 * a link that is always up; no offloads (the guest computes checksums and
 * segments itself), so every frame is a plain Ethernet frame.
 *
 * Frames the guest sends go to the host through `tx`, in the instruction
 * that notifies the queue.  Frames for the guest come from the host side
 * (the run's session), which offers each at a place it chooses and only
 * when the guest has a receive buffer ready.  The device counts and hashes
 * both directions in its saved part ("net0-io"), so the state hash covers
 * what crossed the wire.
 */
#ifndef ENCORE_HW_VIRTIO_NET_H
#define ENCORE_HW_VIRTIO_NET_H

#include "encore/hw/virtio_transport.h"

#define VIRTIO_NET_MAX_FRAME 65536u /* what a frame may be, either way */
#define VIRTIO_NET_HDR_SIZE 12u     /* struct virtio_net_hdr with num_buffers */

/* What crossed the wire, in the device's saved state. */
struct virtio_net_io_state {
	u64 tx_frames, tx_bytes, tx_digest;
	u64 rx_frames, rx_bytes, rx_digest;
	u64 rx_dropped;  /* frames larger than the buffer the guest offered */
};

#define VIRTIO_NET_IO_STATE_VERSION 1u

struct virtio_net;

/* A network device `name` ("net0") with MAC address `mac` at `at`; frames
 * the guest sends go to tx(tx_opaque, frame, len).  NULL when the bus is
 * full.  The machine owns and destroys it. */
struct virtio_net *virtio_net__create(struct encore_machine *m, struct virtio_slot at,
				      const char *name, const u8 mac[6],
				      void (*tx)(void *opaque, const u8 *frame, size_t len),
				      void *tx_opaque);

/* Where the frames the guest sends go from now on (a replay that goes
 * live gets a network). */
void virtio_net__set_tx(struct virtio_net *n, void (*tx)(void *opaque, const u8 *frame, size_t len),
			void *tx_opaque);

/* Can the guest take a frame now (driver ready, a receive buffer offered)? */
bool virtio_net__can_receive(struct virtio_net *n);
/* Give the guest a frame: 0, or -1 when it cannot take one now (nothing
 * was consumed).  A frame larger than the offered buffer is counted as
 * dropped and its buffer returned empty. */
int virtio_net__receive(struct virtio_net *n, const u8 *frame, size_t len);
/* What the guest has sent so far: frames and their digest chain. */
void virtio_net__sent(const struct virtio_net *n, u64 *frames, u64 *digest);

#endif
