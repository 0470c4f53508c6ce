/* A virtio network device (encore/hw/virtio_net.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "encore/hw.h"
#include "encore/hw/virtio_net.h"
#include "encore/le_bytes.h"

#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1

#define RX_QUEUE 0
#define TX_QUEUE 1
#define QUEUE_SIZE 256
#define MAX_BUFS QUEUE_SIZE  /* descriptors per request: a chain may be as long as its queue */
#define CONFIG_MAC 0
#define CONFIG_STATUS 6
#define CONFIG_SIZE 12       /* mac, status, max_virtqueue_pairs, mtu */
#define HDR_NUM_BUFFERS 10

struct virtio_net {
	struct virtio_net_io_state s;
	char name[16];
	char part[24];
	u8 config[CONFIG_SIZE];
	struct virtio_transport t;
	void (*tx)(void *opaque, const u8 *frame, size_t len);
	void *tx_opaque;
	struct virtq_buf bufs[MAX_BUFS];
	u8 frame[VIRTIO_NET_HDR_SIZE + VIRTIO_NET_MAX_FRAME];
};

static void config_access(void *opaque, unsigned off, u8 *data, unsigned len, bool is_write)
{
	struct virtio_net *n = opaque;
	if (!is_write)
		memcpy(data, n->config + off, len);
}

static u64 chain(u64 digest, const u8 *frame, size_t len)
{
	return XXH3_64bits_withSeed(frame, len, digest ^ len);
}

/* The guest's frames, each after its header, to the host. */
static void transmit(struct virtio_net *n, struct encore_machine *m, struct virtq *q)
{
	struct virtq_req r = { .bufs = n->bufs, .cap = MAX_BUFS };
	int got;
	while ((got = virtq__pop(q, m, &r)) > 0) {
		u64 len = r.readable > VIRTIO_NET_HDR_SIZE ? r.readable - VIRTIO_NET_HDR_SIZE : 0;
		/* No Ethernet frame is that long: not sent. */
		if (len && len <= VIRTIO_NET_MAX_FRAME && !virtq_req__read(m, &r, VIRTIO_NET_HDR_SIZE, n->frame, len)) {
			n->s.tx_frames++;
			n->s.tx_bytes += len;
			n->s.tx_digest = chain(n->s.tx_digest, n->frame, len);
			if (n->tx)
				n->tx(n->tx_opaque, n->frame, len);
		}
		if (virtq__push(q, m, r.head, 0))
			break;
	}
}

static void notify(void *opaque, unsigned k)
{
	struct virtio_net *n = opaque;
	struct encore_machine *m = n->t.m;
	struct virtq *q = virtio__queue(&n->t, k);
	if (!q || k != TX_QUEUE) /* receive buffers wait for frames */
		return;
	u16 old_used = q->used_idx;
	transmit(n, m, q);
	if (!q->broken)
		virtq__want_notify(q, m);
	if (q->broken)
		virtio__queue_broken(&n->t, k);
	virtio__queue_done(&n->t, k, old_used);
}

void virtio_net__set_tx(struct virtio_net *n, void (*tx)(void *opaque, const u8 *frame, size_t len),
			void *tx_opaque)
{
	n->tx = tx;
	n->tx_opaque = tx_opaque;
}

bool virtio_net__can_receive(struct virtio_net *n)
{
	struct virtq *q = virtio__queue(&n->t, RX_QUEUE);
	return q && virtq__has_request(q, n->t.m);
}

int virtio_net__receive(struct virtio_net *n, const u8 *frame, size_t len)
{
	struct encore_machine *m = n->t.m;
	struct virtq *q = virtio__queue(&n->t, RX_QUEUE);
	struct virtq_req r = { .bufs = n->bufs, .cap = MAX_BUFS };
	if (!q || virtq__pop(q, m, &r) <= 0) {
		if (q && q->broken)
			virtio__queue_broken(&n->t, RX_QUEUE);
		return -1;
	}
	u16 old_used = (u16)(q->used_idx);
	u32 written = 0;
	if (len > VIRTIO_NET_MAX_FRAME || VIRTIO_NET_HDR_SIZE + len > r.writable) {
		n->s.rx_dropped++;
	} else {
		u8 hdr[VIRTIO_NET_HDR_SIZE] = { 0 };
		put16(hdr + HDR_NUM_BUFFERS, 1);
		if (!virtq_req__write(m, &r, 0, hdr, sizeof(hdr)) &&
		    !virtq_req__write(m, &r, VIRTIO_NET_HDR_SIZE, frame, len))
			written = (u32)(VIRTIO_NET_HDR_SIZE + len);
		n->s.rx_frames++;
		n->s.rx_bytes += len;
		n->s.rx_digest = chain(n->s.rx_digest, frame, len);
	}
	if (!virtq__push(q, m, r.head, written))
		virtq__want_notify(q, m);
	if (q->broken)
		virtio__queue_broken(&n->t, RX_QUEUE);
	virtio__queue_done(&n->t, RX_QUEUE, old_used);
	return 0;
}

void virtio_net__sent(const struct virtio_net *n, u64 *frames, u64 *digest)
{
	*frames = n->s.tx_frames;
	*digest = n->s.tx_digest;
}

static void destroy(void *opaque)
{
	free(opaque);
}

/* The part's `destroy`: n goes with its transport. */
static void forget(void *opaque)
{
	(void)opaque;
}

struct virtio_net *virtio_net__create(struct encore_machine *m, struct virtio_slot at,
				      const char *name, const u8 mac[6],
				      void (*tx)(void *opaque, const u8 *frame, size_t len),
				      void *tx_opaque)
{
	struct virtio_net *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->part, sizeof(n->part), "%s-io", name);
	memcpy(n->config + CONFIG_MAC, mac, 6);
	put16(n->config + CONFIG_STATUS, VIRTIO_NET_S_LINK_UP);
	n->tx = tx;
	n->tx_opaque = tx_opaque;
	struct virtio_device d = {
		.name = n->name, .type = VIRTIO_ID_NET,
		.features = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS, .nqueues = 2,
		.queue_size = QUEUE_SIZE, .config_size = CONFIG_SIZE, .config_access = config_access,
		.notify = notify, .destroy = destroy, .opaque = n,
	};
	if (virtio__attach(m, at, &d, &n->t))
		return NULL;
	struct device part = { .name = n->part, .state = &n->s, .state_size = sizeof(n->s),
			       .version = VIRTIO_NET_IO_STATE_VERSION, .destroy = forget, .dev = n };
	return machine__add_device(m, &part) ? NULL : n;
}
