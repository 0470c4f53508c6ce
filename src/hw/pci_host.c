/*
 * PCI configuration mechanism #1 (PCI Local Bus spec 3.0, 3.2.2.3.2) and
 * the functions on bus 0.
 *
 * Each function is a table entry: its reset configuration bytes and a
 * per-byte mask of the bits software may change.  Bits outside the mask
 * are read-only; status error bits are not in the mask because nothing
 * here ever sets them, so write-1-to-clear has nothing to clear.  Adding
 * a function is one more table entry.
 */
#include <stdlib.h>
#include <string.h>

#include "encore/hw/pci_host.h"

#define ADDRESS_WRITABLE 0x80fffffcu /* enable, bus, device, function, dword */
#define ADDRESS_BUS(a) (((a) >> 16) & 0xff)
#define ADDRESS_DEVFN(a) (((a) >> 8) & 0xff)
#define ADDRESS_REGISTER(a) ((a) & 0xfc)
#define DEVFN(dev, fn) ((dev) << 3 | (fn))

/* Port 0xcf9: bit 2 (reset CPU) starts a reset of the type in bits 1 and 3. */
#define RESET_CPU 0x04
#define RESET_TYPE_BITS 0x0a

struct pci_function {
	u8 devfn;
	const u8 *config;  /* PCI_CONFIG_SPACE_SIZE reset bytes */
	const u8 *writable;/* PCI_CONFIG_SPACE_SIZE masks of writable bits */
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

static const struct pci_function functions[] = {
	{ DEVFN(0, 0), i440fx_config, i440fx_writable },
};

_Static_assert(ARRAY_SIZE(functions) <= PCI_HOST_MAX_FUNCTIONS, "pci_host_state too small");
_Static_assert(sizeof(struct pci_host_state) ==
		       8 + PCI_HOST_MAX_FUNCTIONS * PCI_CONFIG_SPACE_SIZE, "pci_host_state has padding");

struct pci_host {
	struct pci_host_state s;
	struct encore_machine *m;
};

/* ---- configuration space ---- */

/* The table slot CONFIG_ADDRESS selects, or -1 (nothing answers). */
static int selected_function(const struct pci_host_state *s)
{
	if (!(s->address & PCI_CONFIG_ENABLE) || ADDRESS_BUS(s->address) != 0)
		return -1;
	for (unsigned k = 0; k < ARRAY_SIZE(functions); k++)
		if (functions[k].devfn == ADDRESS_DEVFN(s->address))
			return (int)k;
	return -1;
}

/* Byte `lane` (0-3) of the selected dword; a master abort reads all-ones. */
static u8 config_read(const struct pci_host_state *s, unsigned lane)
{
	int fn = selected_function(s);
	if (fn < 0)
		return 0xff;
	return s->config[fn][ADDRESS_REGISTER(s->address) + lane];
}

static void config_write(struct pci_host_state *s, unsigned lane, u8 v)
{
	int fn = selected_function(s);
	if (fn < 0)
		return;
	unsigned off = ADDRESS_REGISTER(s->address) + lane;
	u8 mask = functions[fn].writable[off];
	s->config[fn][off] = (s->config[fn][off] & ~mask) | (v & mask);
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

/* Byte by byte, so every width and lane lands on the right config byte;
 * bytes past 0xcff belong to other ports and float. */
static void data_access(struct pci_host *h, unsigned port, u8 *data, unsigned len, bool is_write)
{
	for (unsigned k = 0; k < len; k++) {
		unsigned p = port + k;
		if (p >= NPORTS) {
			if (!is_write)
				data[k] = 0xff;
		} else if (is_write) {
			config_write(&h->s, p - PORT_DATA, data[k]);
		} else {
			data[k] = config_read(&h->s, p - PORT_DATA);
		}
	}
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

/* ---- life cycle ---- */

static void pci_host_reset(struct pci_host_state *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned k = 0; k < ARRAY_SIZE(functions); k++)
		memcpy(s->config[k], functions[k].config, PCI_CONFIG_SPACE_SIZE);
}

/* No timers and no interrupt lines: the restored bytes are the whole state. */
struct pci_host *pci_host__create(struct encore_machine *m)
{
	struct pci_host *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->m = m;
	pci_host_reset(&h->s);
	struct device d = { .name = "pci-host", .state = &h->s, .state_size = sizeof(h->s), .dev = h };
	if (machine__add_device(m, &d)) {
		free(h);
		return NULL;
	}
	/* The machine owns `h` now and frees it on destroy. */
	if (bus__register(&m->pio, PCI_CONFIG_ADDRESS_PORT, NPORTS, pci_host_io, h, "pci-host"))
		return NULL;
	return h;
}
