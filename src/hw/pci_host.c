/*
 * PCI configuration mechanism #1 (PCI Local Bus spec 3.0, 3.2.2.3.2), the
 * functions on bus 0 and the memory their BARs decode.
 *
 * Each function has reset configuration bytes and a per-byte mask of the
 * bits software may change.  Bits outside the mask are read-only; status
 * error bits are not in the mask because nothing here ever sets them, so
 * write-1-to-clear has nothing to clear.  The host bridge is the first
 * function; devices add theirs (encore/hw/pci.h).
 *
 * BARs are decoded where the guest's configuration puts them, at every
 * access: the host claims the whole PCI memory window on the MMIO bus and
 * hands each access to the function whose enabled BAR holds it, so a
 * guest that moves a BAR finds the function at its new address.
 */
#include <stdlib.h>
#include <string.h>

#include "encore/guest_mem.h"
#include "encore/hw/ioapic.h"
#include "encore/hw/pci.h"
#include "encore/hw/pci_host.h"
#include "encore/le_bytes.h"
#include "encore/pc.h"
#define ADDRESS_WRITABLE 0x80fffffcu /* enable, bus, device, function, dword */
#define ADDRESS_BUS(a) (((a) >> 16) & 0xff)
#define ADDRESS_DEVFN(a) (((a) >> 8) & 0xff)
#define ADDRESS_REGISTER(a) ((a) & 0xfc)
#define DEVFN(dev, fn) ((dev) << 3 | (fn))

/* Port 0xcf9: bit 2 (reset CPU) starts a reset of the type in bits 1 and 3. */
#define RESET_CPU 0x04
#define RESET_TYPE_BITS 0x0a

/* A function on the bus: its description (pci.h) and its slot in the state. */
struct pci_slot {
	u8 devfn;
	struct pci_function f;
};

/* ---- 00:00.0, the 82441FX PCI and memory controller (440FX datasheet) ---- */

static const u8 i440fx_config[PCI_CONFIG_SPACE_SIZE] = {
	[0x00] = 0x86, [0x01] = 0x80, /* vendor: Intel */
	[0x02] = 0x37, [0x03] = 0x12, /* device: 82441FX */
	[0x04] = 0x06,                /* command: memory and bus master, always on */
	[0x06] = 0x80, [0x07] = 0x02, /* status: fast back-to-back, medium DEVSEL */
	[0x08] = 0x02,                /* revision */
	[0x0b] = 0x06,                /* class 06/00/00: host bridge */
	/* header type 0, no BARs, no capabilities */
};

static const u8 i440fx_writable[PCI_CONFIG_SPACE_SIZE] = {
	[0x04] = 0x40,                /* parity error response */
	[0x05] = 0x01,                /* SERR# enable */
	[0x0d] = 0xf8,                /* master latency timer, in units of 8 clocks */
	/* PAM0-6: read/write enables of the BIOS and option-ROM shadow
	 * segments (stored only; the memory map does not follow them yet). */
	[0x59] = 0x30,
	[0x5a] = 0x33, [0x5b] = 0x33, [0x5c] = 0x33, [0x5d] = 0x33, [0x5e] = 0x33, [0x5f] = 0x33,
};

_Static_assert(sizeof(struct pci_host_state) ==
		       8 + PCI_HOST_MAX_FUNCTIONS * PCI_CONFIG_SPACE_SIZE, "pci_host_state has padding");

struct pci_host {
	struct pci_host_state s;
	struct encore_machine *m;
	struct pci_slot slots[PCI_HOST_MAX_FUNCTIONS]; /* in state order */
	unsigned nslots;
	u32 next_bar;            /* where the next BAR goes (firmware's placement) */
	struct apic_sink msi;    /* where messages go; send NULL: nowhere */
};

/* ---- configuration space ---- */

/* The slot CONFIG_ADDRESS selects, or NULL (nothing answers). */
static struct pci_slot *selected_slot(struct pci_host *h, unsigned *index)
{
	u32 a = h->s.address;
	if (!(a & PCI_CONFIG_ENABLE) || ADDRESS_BUS(a) != 0)
		return NULL;
	for (unsigned k = 0; k < h->nslots; k++)
		if (h->slots[k].devfn == ADDRESS_DEVFN(a)) {
			*index = k;
			return &h->slots[k];
		}
	return NULL;
}

static void config_write(struct pci_host *h, unsigned k, unsigned off, u8 v)
{
	u8 mask = h->slots[k].f.writable[off];
	h->s.config[k][off] = (h->s.config[k][off] & ~mask) | (v & mask);
}

/*
 * `len` bytes of the selected dword from byte `lane` on, byte by byte so
 * every width and lane lands on the right configuration byte; a master
 * abort reads all-ones.  The function's hooks see the access as a whole.
 */
static void config_access(struct pci_host *h, unsigned lane, u8 *data, unsigned len,
			  bool is_write)
{
	unsigned k;
	struct pci_slot *slot = selected_slot(h, &k);
	if (!slot) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	unsigned off = ADDRESS_REGISTER(h->s.address) + lane;
	if (!is_write && slot->f.config_read)
		slot->f.config_read(slot->f.opaque, off, len);
	for (unsigned i = 0; i < len; i++) {
		if (is_write)
			config_write(h, k, off + i, data[i]);
		else
			data[i] = h->s.config[k][off + i];
	}
	if (is_write && slot->f.config_written)
		slot->f.config_written(slot->f.opaque, off, len);
}

/* ---- ports 0xcf8-0xcff ---- */

/* Port offsets within the claimed range 0xcf8-0xcff. */
enum { PORT_ADDRESS = 0, PORT_RESET_CONTROL = 1, PORT_DATA = 4, NPORTS = 8 };

static void address_access(struct pci_host *h, u8 *data, bool is_write)
{
	if (!is_write) {
		memcpy(data, &h->s.address, 4);
		return;
	}
	u32 v;
	memcpy(&v, data, 4);
	h->s.address = v & ADDRESS_WRITABLE;
}

static void reset_control_access(struct pci_host *h, u8 *data, bool is_write)
{
	if (!is_write) {
		*data = h->s.reset_control;
		return;
	}
	h->s.reset_control = *data & RESET_TYPE_BITS;
	if (*data & RESET_CPU)
		machine__request_reset(h->m);
}

/* Bytes past 0xcff belong to other ports and float. */
static void data_access(struct pci_host *h, unsigned port, u8 *data, unsigned len, bool is_write)
{
	unsigned inside = port + len <= NPORTS ? len : NPORTS - port;
	config_access(h, port - PORT_DATA, data, inside, is_write);
	if (!is_write)
		memset(data + inside, 0xff, len - inside);
}

/*
 * Only a dword at 0xcf8 reaches CONFIG_ADDRESS and only a byte at 0xcf9
 * the reset control register; narrower accesses to 0xcf8-0xcfb are not
 * claimed by mechanism #1 (that is how drivers tell it from #2).
 */
static void pci_host_io(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
			unsigned len, bool is_write)
{
	(void)vcpu;
	struct pci_host *h = opaque;
	unsigned port = (unsigned)addr;
	if (port == PORT_ADDRESS && len == 4)
		address_access(h, data, is_write);
	else if (port == PORT_RESET_CONTROL && len == 1)
		reset_control_access(h, data, is_write);
	else if (port >= PORT_DATA)
		data_access(h, port, data, len, is_write);
	else if (!is_write)
		memset(data, 0xff, len);
}

/* ---- memory BARs ---- */

static u32 bar_address(const u8 *config, unsigned bar)
{
	return get32(config + PCI_BAR0 + 4 * bar) & ~(PCI_BAR_MIN_SIZE - 1);
}

/* The enabled BAR holding [addr, addr + len) whole, or NULL. */
static const struct pci_bar *decoding_bar(struct pci_host *h, u64 addr, unsigned len, u32 *base)
{
	for (unsigned k = 0; k < h->nslots; k++) {
		const u8 *config = h->s.config[k];
		if (!(config[PCI_COMMAND] & PCI_COMMAND_MEMORY))
			continue;
		for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
			const struct pci_bar *bar = &h->slots[k].f.bars[b];
			u32 at = bar_address(config, b);
			if (bar->size && at && addr >= at && addr + len - at <= bar->size) {
				*base = at;
				return bar;
			}
		}
	}
	return NULL;
}

/* The PCI memory window: whatever no BAR decodes floats high. */
static void window_access(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
			  unsigned len, bool is_write)
{
	struct pci_host *h = opaque;
	u64 gpa = pc__low_ram(h->m) + addr;
	u32 base;
	const struct pci_bar *bar = decoding_bar(h, gpa, len, &base);
	if (bar)
		bar->handler(bar->opaque, vcpu, gpa - base, data, len, is_write);
	else if (!is_write)
		memset(data, 0xff, len);
}

/* Firmware's placement: each BAR at the next address aligned to its
 * size, from PCI_HOST_BAR_BASE up; -1 when the window is full. */
static int place_bars(struct pci_host *h, struct pci_function *f)
{
	for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
		u32 size = f->bars[b].size;
		if (!size)
			continue;
		if (size < PCI_BAR_MIN_SIZE || (size & (size - 1)))
			return -1;
		u32 at = (h->next_bar + size - 1) & ~(size - 1);
		if (at < h->next_bar || (u64)at + size > IOAPIC_BASE)
			return -1;
		h->next_bar = at + size;
		put32(f->config + PCI_BAR0 + 4 * b, at);
		put32(f->writable + PCI_BAR0 + 4 * b, ~(size - 1));
		f->writable[PCI_BAR0 + 4 * b] &= 0xf0; /* memory, 32-bit, not prefetchable */
	}
	return 0;
}

u8 *pci_host__add(struct pci_host *h, const struct pci_function *f)
{
	if (h->nslots == PCI_HOST_MAX_FUNCTIONS)
		return NULL;
	struct pci_slot *slot = &h->slots[h->nslots];
	slot->devfn = DEVFN(h->nslots, 0);
	slot->f = *f;
	if (place_bars(h, &slot->f))
		return NULL;
	slot->f.config[PCI_COMMAND] |= PCI_COMMAND_MEMORY;
	u8 *config = h->s.config[h->nslots++];
	memcpy(config, slot->f.config, PCI_CONFIG_SPACE_SIZE);
	return config;
}

/* ---- message-signalled interrupts ---- */

#define MSI_ADDRESS_BASE 0xfee00000u
#define MSI_ADDRESS_MASK 0xfff00000u

void pci_host__set_msi_sink(struct pci_host *h, const struct apic_sink *sink)
{
	h->msi = *sink;
}

/*
 * SDM vol. 3, 11.11.1-2: destination and destination mode in the
 * address, vector, delivery mode and trigger in the data.  The manual
 * says the mode bit is ignored without the redirection hint, yet Linux
 * in flat logical mode sends logical destinations with the hint clear
 * and chipsets honour the bit (as QEMU does): so does this one.
 */
static struct apic_msg msi_message(u64 addr, u32 data)
{
	return (struct apic_msg){
		.vector = (u8)data,
		.delivery = data >> 8 & 7,
		.dest = (u8)(addr >> 12),
		.shorthand = APIC_SH_NONE,
		.logical = addr >> 2 & 1,
		.level = data >> 15 & 1,
		.assert = data >> 14 & 1,
		.source = -1,
	};
}

void pci_host__msi(struct pci_host *h, u64 addr, u32 data)
{
	if ((addr & MSI_ADDRESS_MASK) == MSI_ADDRESS_BASE && addr >> 32 == 0) {
		struct apic_msg msg = msi_message(addr, data);
		if (h->msi.send)
			h->msi.send(h->msi.opaque, &msg);
		return;
	}
	guest_mem__write32(h->m, addr, data); /* a plain memory write; not RAM: dropped */
}

/* ---- life cycle ---- */

static const struct pci_function i440fx = { .name = "i440fx" };

/* No timers and no interrupt lines: the restored bytes are the whole state. */
struct pci_host *pci_host__create(struct encore_machine *m)
{
	struct pci_host *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->m = m;
	h->next_bar = PCI_HOST_BAR_BASE;
	struct pci_function bridge = i440fx;
	memcpy(bridge.config, i440fx_config, sizeof(bridge.config));
	memcpy(bridge.writable, i440fx_writable, sizeof(bridge.writable));
	/* The bridge's memory decode bit reads 1 already; it has no BARs. */
	pci_host__add(h, &bridge);
	struct device d = { .name = "pci-host", .state = &h->s, .state_size = sizeof(h->s), .dev = h };
	if (machine__add_device(m, &d)) {
		free(h);
		return NULL;
	}
	/* The machine owns `h` now and frees it on destroy. */
	if (bus__register(&m->pio, PCI_CONFIG_ADDRESS_PORT, NPORTS, pci_host_io, h, "pci-host") ||
	    bus__register(&m->mmio, pc__low_ram(m), IOAPIC_BASE - pc__low_ram(m), window_access,
			  h, "pci-window"))
		return NULL;
	return h;
}
