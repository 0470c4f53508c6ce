/* The x86-64 architecture's entry in encore's table (encore/arch.h). */
#include <elf.h>
#include <string.h>

#include "arch/x86/x86_arch.h"
#include "encore/cpu_state.h"
#include "encore/machine.h"
#include "encore/pc.h"
#include "encore/plugin.h"

_Static_assert(_Alignof(struct encore_cpu_state) <= 8, "a state blob is aligned to 8 at most");
_Static_assert(sizeof(struct encore_cpu_state) <= ARCH_STATE_MAX, "ARCH_STATE_MAX is too small");

/* RAM below the PCI hole, the rest above 4 GiB. */
static void x86_ram_layout(u64 ram_size, struct ram_region *r)
{
	u64 low = ram_size < PC_LOW_RAM_MAX ? ram_size : PC_LOW_RAM_MAX;
	r[0] = (struct ram_region){ .base = 0, .size = low };
	r[1] = (struct ram_region){ .base = PC_HIGH_RAM_BASE, .size = ram_size - low };
}

static u64 x86_pc(const void *state)
{
	return ((const struct encore_cpu_state *)state)->rip;
}

static bool x86_first_difference(const void *a, const void *b, char *out, size_t n)
{
	return cpu_state__first_difference(a, b, out, n);
}

static void x86_plugin_regs(const void *state, struct encore_regs *out)
{
	const struct encore_cpu_state *s = state;
	memcpy(out->gpr, s->gpr, sizeof(out->gpr));
	out->rip = s->rip;
	out->rflags = s->rflags;
	out->cr0 = s->cr0;
	out->cr2 = s->cr2;
	out->cr3 = s->cr3;
	out->cr4 = s->cr4;
	out->efer = s->efer;
	out->fs_base = s->seg[SEG_FS].base;
	out->gs_base = s->seg[SEG_GS].base;
	out->kernel_gs_base = s->msr.kernel_gs_base;
	out->cs = s->seg[SEG_CS].selector;
	out->ss = s->seg[SEG_SS].selector;
	out->cpl = s->seg[SEG_CS].selector & 3;
}

const struct encore_arch arch_x86_64 = {
	.name = "x86_64",
	.pc_name = "RIP",
	.cpu_part = "cpu",
	.elf_machine = EM_X86_64,
	.state_version = ENCORE_CPU_STATE_VERSION,
	.state_size = sizeof(struct encore_cpu_state),
	.ram_layout = x86_ram_layout,
	.pc = x86_pc,
	.first_difference = x86_first_difference,
	.describe_system = x86__describe_system,
	.plugin_regs = x86_plugin_regs,
	.gdb_target_xml = x86__gdb_target_xml,
	.gdb_nregs = x86__gdb_nregs,
	.gdb_reg = x86__gdb_reg,
	.virt_to_phys = x86__virt_to_phys,
};
