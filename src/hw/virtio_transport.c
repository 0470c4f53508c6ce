/* A virtio device on the transport its slot names (encore/hw/virtio_transport.h). */
#include "encore/hw/virtio_mmio.h"
#include "encore/hw/virtio_pci.h"

int virtio__attach(struct encore_machine *m, struct virtio_slot at, const struct virtio_device *d,
		   struct virtio_transport *t)
{
	switch (at.bus) {
	case VIRTIO_BUS_PCI: return virtio_pci__create(m, at.pci, d, t);
	case VIRTIO_BUS_MMIO: return virtio_mmio__create(m, at.base, at.irq, d, t);
	}
	if (d->destroy)
		d->destroy(d->opaque);
	return -1;
}
