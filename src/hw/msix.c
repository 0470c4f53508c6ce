/* MSI-X vectors of a PCI function (encore/hw/msix.h). */
#include <string.h>

#include "encore/hw/msix.h"
#include "encore/le_bytes.h"

/* The capability's message control word: table size - 1, function mask, enable. */
#define CONTROL_FUNCTION_MASK 0x4000u
#define CONTROL_ENABLE 0x8000u
#define ENTRY_ADDR_LO 0
#define ENTRY_ADDR_HI 4
#define ENTRY_DATA 8
#define ENTRY_CONTROL 12
#define ENTRY_MASKED 1u

void msix__add_capability(struct pci_function *f, u8 at, u8 next, unsigned nvectors,
			  unsigned table_bar, u32 table_off, unsigned pba_bar, u32 pba_off)
{
	u8 *c = f->config + at;
	c[0] = PCI_CAP_ID_MSIX;
	c[1] = next;
	put16(c + 2, (u16)(nvectors - 1));
	put32(c + 4, table_off | table_bar);
	put32(c + 8, pba_off | pba_bar);
	f->writable[at + 3] = (CONTROL_FUNCTION_MASK | CONTROL_ENABLE) >> 8;
}

static u16 control(const struct msix *x)
{
	return get16(x->config + x->cap + 2);
}

bool msix__enabled(const struct msix *x)
{
	return control(x) & CONTROL_ENABLE;
}

static bool masked(const struct msix *x, unsigned v)
{
	return (control(x) & CONTROL_FUNCTION_MASK) ||
	       (get32(x->s->table[v] + ENTRY_CONTROL) & ENTRY_MASKED);
}

static void send(struct msix *x, unsigned v)
{
	const u8 *e = x->s->table[v];
	u64 addr = get32(e + ENTRY_ADDR_LO) | (u64)get32(e + ENTRY_ADDR_HI) << 32;
	pci_host__msi(x->host, addr, get32(e + ENTRY_DATA));
}

/* Send every pending vector that is no longer masked (and may send). */
static void flush_pending(struct msix *x)
{
	if (!msix__enabled(x) || !(x->config[PCI_COMMAND] & PCI_COMMAND_MASTER))
		return;
	for (unsigned v = 0; v < x->nvectors; v++)
		if ((x->s->pending >> v & 1) && !masked(x, v)) {
			x->s->pending &= ~(1ull << v);
			send(x, v);
		}
}

void msix__reset(struct msix *x)
{
	memset(x->s, 0, sizeof(*x->s));
	for (unsigned v = 0; v < MSIX_MAX_VECTORS; v++)
		put32(x->s->table[v] + ENTRY_CONTROL, ENTRY_MASKED);
}

/* Bytes outside the table read 0 and ignore writes; in the table only
 * the mask bit of the control word is writable there. */
void msix__table_access(struct msix *x, u64 off, u8 *data, unsigned len, bool is_write)
{
	u8 *table = &x->s->table[0][0];
	u64 size = (u64)x->nvectors * MSIX_ENTRY_SIZE;
	for (unsigned i = 0; i < len; i++) {
		u64 at = off + i;
		if (!is_write) {
			data[i] = at < size ? table[at] : 0;
			continue;
		}
		if (at >= size)
			continue;
		unsigned field = at % MSIX_ENTRY_SIZE;
		if (field == ENTRY_CONTROL)
			table[at] = data[i] & ENTRY_MASKED;
		else if (field < ENTRY_CONTROL)
			table[at] = data[i];
	}
	if (is_write)
		flush_pending(x);
}

/* The pending bits are read-only. */
void msix__pba_access(struct msix *x, u64 off, u8 *data, unsigned len, bool is_write)
{
	if (is_write)
		return;
	for (unsigned i = 0; i < len; i++)
		data[i] = off + i < 8 ? (u8)(x->s->pending >> (8 * (off + i))) : 0;
}

void msix__config_written(struct msix *x)
{
	flush_pending(x);
}

void msix__notify(struct msix *x, unsigned vector)
{
	if (vector >= x->nvectors || !msix__enabled(x))
		return;
	x->s->pending |= 1ull << vector;
	flush_pending(x);
}
