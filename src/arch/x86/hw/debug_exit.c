/*
 * The debug-exit port: a guest ends the run by writing its exit status to
 * port 0xf4, so bare-metal tests report success without a console parser.
 */
#include <string.h>

#include "encore/devices.h"

static void debug_exit_io(void *opaque, struct encore_vcpu *vcpu, u64 addr, u8 *data,
			  unsigned len, bool is_write)
{
	(void)vcpu;
	struct encore_machine *m = opaque;
	(void)addr;
	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	u32 v = 0;
	memcpy(&v, data, len > 4 ? 4 : len);
	machine__request_stop(m, v & 0xff);
}

int debug_exit__init(struct encore_machine *m)
{
	return bus__register(&m->pio, DEBUG_EXIT_PORT, 4, debug_exit_io, m, "debug-exit");
}
