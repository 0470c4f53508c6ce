/*
 * A virtio block device (virtio spec 1.2, "Block Device") on the PCI
 * transport: reads, writes, flushes and the device ID, on a disk image.
 * Requests complete when the driver notifies the queue, in the same
 * instruction, so the disk adds nothing to a recording's event log.
 */
#ifndef ENCORE_HW_VIRTIO_BLK_H
#define ENCORE_HW_VIRTIO_BLK_H

#include "encore/hw/disk_image.h"
#include "encore/hw/virtio_pci.h"

#define VIRTIO_BLK_ID_BYTES 20

struct virtio_blk;

/* A disk `name` ("vda", also its device ID) on the host bridge `h`,
 * reading and writing `image` (the device closes it).  NULL when the bus
 * is full. */
struct virtio_blk *virtio_blk__create(struct encore_machine *m, struct pci_host *h,
				      const char *name, struct disk_image *image);

#endif
