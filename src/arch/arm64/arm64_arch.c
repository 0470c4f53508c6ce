/* The arm64 architecture's entry in encore's table (encore/arch.h). */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arm64/a64_mmu.h"
#include "arch/arm64/a64_state.h"
#include "arch/arm64/arm64_arch.h"
#include "encore/machine.h"
#include "encore/plugin.h"

static u64 arm64_pc(const void *state)
{
	return ((const struct a64_state *)state)->pc;
}

#define REG(name, field) { name, offsetof(struct a64_state, field) }

/* The registers worth naming, in the order a reader looks at them. */
static const struct arch_reg_field fields[] = {
	REG("PC", pc), REG("PSTATE", pstate), REG("SP_EL0", sp_el0), REG("SP_EL1", sp_el1),
	REG("X0", x[0]), REG("X1", x[1]), REG("X2", x[2]), REG("X3", x[3]), REG("X4", x[4]),
	REG("X5", x[5]), REG("X6", x[6]), REG("X7", x[7]), REG("X8", x[8]), REG("X9", x[9]),
	REG("X10", x[10]), REG("X11", x[11]), REG("X12", x[12]), REG("X13", x[13]),
	REG("X14", x[14]), REG("X15", x[15]), REG("X16", x[16]), REG("X17", x[17]),
	REG("X18", x[18]), REG("X19", x[19]), REG("X20", x[20]), REG("X21", x[21]),
	REG("X22", x[22]), REG("X23", x[23]), REG("X24", x[24]), REG("X25", x[25]),
	REG("X26", x[26]), REG("X27", x[27]), REG("X28", x[28]), REG("X29", x[29]),
	REG("X30", x[30]), REG("SCTLR_EL1", sys.sctlr_el1), REG("TTBR0_EL1", sys.ttbr0_el1),
	REG("TTBR1_EL1", sys.ttbr1_el1), REG("TCR_EL1", sys.tcr_el1), REG("VBAR_EL1", sys.vbar_el1),
	REG("ELR_EL1", sys.elr_el1), REG("SPSR_EL1", sys.spsr_el1), REG("ESR_EL1", sys.esr_el1),
	REG("FAR_EL1", sys.far_el1), REG("TPIDR_EL1", sys.tpidr_el1),
	REG("TPIDR_EL0", sys.tpidr_el0), REG("CNTV_CVAL_EL0", sys.cntv_cval_el0),
};

static bool arm64_first_difference(const void *a, const void *b, char *out, size_t n)
{
	return arch__first_difference(fields, ARRAY_SIZE(fields), sizeof(struct a64_state),
				      "SIMD&FP registers, other system registers, the exclusive "
				      "monitor or pending events", a, b, out, n);
}

static void arm64_describe_system(const void *state, char *out, size_t n)
{
	const struct a64_state *s = state;
	const struct a64_sysregs *r = &s->sys;
	snprintf(out, n,
		 "pstate %#llx (EL%u) sp_el0 %#llx sp_el1 %#llx\n"
		 "sctlr_el1 %#llx tcr_el1 %#llx mair_el1 %#llx\n"
		 "ttbr0_el1 %#llx ttbr1_el1 %#llx vbar_el1 %#llx\n"
		 "elr_el1 %#llx spsr_el1 %#llx esr_el1 %#llx far_el1 %#llx\n"
		 "tpidr_el0 %#llx tpidr_el1 %#llx cpacr_el1 %#llx\n"
		 "cntv_ctl %#llx cntv_cval %#llx cntp_ctl %#llx cntp_cval %#llx\n"
		 "exclusive monitor %s %#llx/%u, event %u, waiting %u, irq pending %u, "
		 "powered off %u\n",
		 (unsigned long long)s->pstate, (unsigned)(s->pstate >> 2 & 3),
		 (unsigned long long)s->sp_el0, (unsigned long long)s->sp_el1,
		 (unsigned long long)r->sctlr_el1, (unsigned long long)r->tcr_el1,
		 (unsigned long long)r->mair_el1, (unsigned long long)r->ttbr0_el1,
		 (unsigned long long)r->ttbr1_el1, (unsigned long long)r->vbar_el1,
		 (unsigned long long)r->elr_el1, (unsigned long long)r->spsr_el1,
		 (unsigned long long)r->esr_el1, (unsigned long long)r->far_el1,
		 (unsigned long long)r->tpidr_el0, (unsigned long long)r->tpidr_el1,
		 (unsigned long long)r->cpacr_el1, (unsigned long long)r->cntv_ctl_el0,
		 (unsigned long long)r->cntv_cval_el0, (unsigned long long)r->cntp_ctl_el0,
		 (unsigned long long)r->cntp_cval_el0, s->monitor_open ? "open" : "closed",
		 (unsigned long long)s->monitor_addr, s->monitor_size, s->event, s->wait,
		 s->irq_pending, s->powered_off);
}

/*
 * Plugin API 4 has x86-64's registers; on arm64 (docs/plugins.md) gpr[k]
 * is Xk for k < 16, rip the PC, rflags PSTATE, cr0 SCTLR_EL1, cr2
 * FAR_EL1, cr3 TTBR0_EL1, cr4 TCR_EL1, efer TTBR1_EL1, fs_base TPIDR_EL0,
 * gs_base TPIDR_EL1, and cpl 0 at EL1, 3 at EL0.
 */
static void arm64_plugin_regs(const void *state, struct encore_regs *out)
{
	const struct a64_state *s = state;
	memcpy(out->gpr, s->x, sizeof(out->gpr));
	out->rip = s->pc;
	out->rflags = s->pstate;
	out->cr0 = s->sys.sctlr_el1;
	out->cr2 = s->sys.far_el1;
	out->cr3 = s->sys.ttbr0_el1;
	out->cr4 = s->sys.tcr_el1;
	out->efer = s->sys.ttbr1_el1;
	out->fs_base = s->sys.tpidr_el0;
	out->gs_base = s->sys.tpidr_el1;
	out->cpl = (s->pstate >> 2 & 3) ? 0 : 3;
}

static u8 *walk_ram_ptr(void *opaque, u64 pa)
{
	return machine__ram_ptr(opaque, pa);
}

static void walk_mmio(void *opaque, u64 pa, u8 *data, unsigned len, bool is_write)
{
	(void)opaque, (void)pa, (void)is_write;
	memset(data, 0xff, len); /* tables are never in devices: the walk faults */
}

/* A walk on a scratch CPU holding the state: no TLB, nothing written. */
static bool arm64_virt_to_phys(struct encore_machine *m, const void *state, u64 va, u64 *pa)
{
	static struct a64_cpu *scratch;
	if (!scratch && !(scratch = calloc(1, sizeof(*scratch))))
		return false;
	bool irq, off;
	a64_state__load(scratch, state, &irq, &off);
	scratch->bus = (struct a64_bus){ .ram_ptr = walk_ram_ptr, .mmio = walk_mmio, .opaque = m };
	struct a64_walk w;
	if (a64_mmu_walk(scratch, va, &w))
		return false;
	*pa = w.pa | (va & 0xfff);
	return true;
}

const struct encore_arch arch_arm64 = {
	.name = "arm64",
	.pc_name = "PC",
	.cpu_part = "cpu",
	.elf_machine = EM_AARCH64,
	.state_version = A64_STATE_VERSION,
	.state_size = sizeof(struct a64_state),
	.ram_layout = arm64__ram_layout,
	.pc = arm64_pc,
	.first_difference = arm64_first_difference,
	.describe_system = arm64_describe_system,
	.plugin_regs = arm64_plugin_regs,
	.gdb_target_xml = arm64__gdb_target_xml,
	.gdb_nregs = arm64__gdb_nregs,
	.gdb_reg = arm64__gdb_reg,
	.gdb_watch_before_access = true,
	.virt_to_phys = arm64_virt_to_phys,
};
