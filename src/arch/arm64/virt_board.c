/*
 * The Arm board (virt_board.h).  Besides creating the devices it is the
 * firmware: it starts the boot CPU as a boot loader would (the PL011
 * enabled, the other CPUs off), answers PSCI calls, and turns each vCPU's
 * generic-timer registers into virtual-time timers and GIC PPIs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arm64/a64_engine.h"
#include "arch/arm64/a64_sysreg.h"
#include "arch/arm64/hw/gicv2.h"
#include "arch/arm64/hw/pl011.h"
#include "arch/arm64/hw/pl031.h"
#include "arch/arm64/virt_board.h"
#include "arch/arm64/virt_map.h"
#include "encore/errmsg.h"
#include "encore/hw.h"

#define PL011_CR 0x30
#define PL011_CR_BOOT 0x301 /* UARTEN, TXE, RXE: as firmware leaves it */

/* PSCI 0.2 (ARM DEN 0022): function IDs and return codes. */
#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON_32 0x84000003u
#define PSCI_CPU_ON_64 0xc4000003u
#define PSCI_AFFINITY_INFO_32 0x84000004u
#define PSCI_AFFINITY_INFO_64 0xc4000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_VERSION_0_2 0x2
#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_ALREADY_ON (-4)
#define PSCI_TOS_NOT_PRESENT 2
#define MPIDR_AFF_MASK 0xff00ffffffull

#define TIMER_VIRT 0
#define TIMER_PHYS 1
#define TIMER_STATE_VERSION 1u

/* The timers' outputs and deadlines: plain, saved with the machine. */
struct timer_state {
	u64 deadline[VIRT_MAX_CPUS][2];
	u8 level[VIRT_MAX_CPUS][2];
};

struct timer_slot {
	struct virt_board *b;
	unsigned cpu, which;
};

struct virt_board {
	struct encore_machine *m;
	struct gicv2 *gic;
	struct pl011 *uart;
	struct timer_state timers;
	struct vtimer vt[VIRT_MAX_CPUS][2];
	struct timer_slot slot[VIRT_MAX_CPUS][2];
};

static const unsigned timer_ppi[2] = { VIRT_TIMER_VIRT_PPI, VIRT_TIMER_PHYS_PPI };

static struct encore_engine *engine_of(struct virt_board *b, unsigned cpu)
{
	return b->m->vcpus[cpu].engine;
}

/* ---- the generic timer's outputs ---- */

static void timer_update(struct virt_board *b, unsigned cpu, unsigned which)
{
	struct a64_cpu *c = a64_engine__cpu(engine_of(b, cpu));
	bool level = a64_timer_irq(c, which == TIMER_PHYS);
	if (level != b->timers.level[cpu][which]) {
		b->timers.level[cpu][which] = level;
		gicv2__set_ppi(b->gic, cpu, timer_ppi[which], level);
	}
	u64 deadline = level ? VTIMER_OFF : a64_timer_deadline_ns(c, which == TIMER_PHYS);
	machine__timer_arm(b->m, &b->vt[cpu][which], deadline);
}

static void timer_fire(void *opaque, u64 now)
{
	(void)now;
	struct timer_slot *s = opaque;
	timer_update(s->b, s->cpu, s->which);
}

static void timer_changed(void *opaque, struct a64_cpu *c)
{
	timer_update(opaque, c->cpu_index, TIMER_VIRT);
	timer_update(opaque, c->cpu_index, TIMER_PHYS);
}

static void timers_restored(void *opaque)
{
	struct virt_board *b = opaque;
	for (unsigned k = 0; k < b->m->nvcpus; k++)
		for (unsigned w = 0; w < 2; w++)
			gicv2__set_ppi(b->gic, k, timer_ppi[w], b->timers.level[k][w]);
}

/* The timers' device owns the board: the machine frees both. */
static void free_board(void *opaque)
{
	free(opaque);
}

static int add_timers(struct virt_board *b)
{
	for (unsigned k = 0; k < b->m->nvcpus; k++)
		for (unsigned w = 0; w < 2; w++) {
			b->slot[k][w] = (struct timer_slot){ b, k, w };
			b->timers.deadline[k][w] = VTIMER_OFF;
			if (machine__timer_add(b->m, &b->vt[k][w], w ? "cntp" : "cntv", timer_fire,
					       &b->slot[k][w], &b->timers.deadline[k][w]))
				return -1;
		}
	struct device d = { .name = "arch_timer", .state = &b->timers,
			    .state_size = sizeof(b->timers), .version = TIMER_STATE_VERSION,
			    .restored = timers_restored, .destroy = free_board, .dev = b };
	return machine__add_device(b->m, &d);
}

/* ---- PSCI ---- */

static int cpu_of_mpidr(struct virt_board *b, u64 mpidr)
{
	mpidr &= MPIDR_AFF_MASK;
	return mpidr < b->m->nvcpus ? (int)mpidr : -1;
}

static i64 psci_cpu_on(struct virt_board *b, u64 mpidr, u64 entry, u64 context)
{
	int k = cpu_of_mpidr(b, mpidr);
	if (k < 0)
		return PSCI_INVALID_PARAMETERS;
	struct encore_engine *e = engine_of(b, (unsigned)k);
	if (!a64_engine__powered_off(e))
		return PSCI_ALREADY_ON;
	a64_engine__power_on(e, entry, context);
	return PSCI_SUCCESS;
}

static i64 psci_affinity_info(struct virt_board *b, u64 mpidr, u64 level)
{
	int k = cpu_of_mpidr(b, mpidr);
	if (k < 0 || level)
		return PSCI_INVALID_PARAMETERS;
	return a64_engine__powered_off(engine_of(b, (unsigned)k)) ? 1 : 0;
}

/* PSCI 0.2 over HVC, as the device tree says; SMC is not a conduit. */
static bool firmware_call(void *opaque, struct a64_cpu *c, bool smc, u16 imm)
{
	struct virt_board *b = opaque;
	if (smc || imm)
		return false;
	u32 fn = (u32)c->x[0];
	i64 r;
	switch (fn) {
	case PSCI_VERSION: r = PSCI_VERSION_0_2; break;
	case PSCI_CPU_ON_32: case PSCI_CPU_ON_64: r = psci_cpu_on(b, c->x[1], c->x[2], c->x[3]); break;
	case PSCI_AFFINITY_INFO_32: case PSCI_AFFINITY_INFO_64:
		r = psci_affinity_info(b, c->x[1], c->x[2]);
		break;
	case PSCI_MIGRATE_INFO_TYPE: r = PSCI_TOS_NOT_PRESENT; break;
	case PSCI_CPU_OFF:
		a64_engine__power_off(engine_of(b, c->cpu_index));
		r = PSCI_SUCCESS;
		break;
	case PSCI_SYSTEM_OFF: machine__request_poweroff(b->m); r = PSCI_SUCCESS; break;
	case PSCI_SYSTEM_RESET: machine__request_reset(b->m); r = PSCI_SUCCESS; break;
	default: r = PSCI_NOT_SUPPORTED; break;
	}
	c->x[0] = (u64)r;
	return true;
}

/* ---- the board ---- */

struct virt_board *virt_board__create(struct encore_machine *m,
				      const struct virt_board_config *cfg, char *err, size_t n)
{
	if (m->nvcpus > VIRT_MAX_CPUS) {
		errmsg(err, n, "the Arm board's GICv2 serves at most %u CPUs, not %u", VIRT_MAX_CPUS,
		       m->nvcpus);
		return NULL;
	}
	struct virt_board *b = calloc(1, sizeof(*b));
	if (!b) {
		errmsg(err, n, "out of memory");
		return NULL;
	}
	b->m = m;
	b->gic = gicv2__create(m, VIRT_GICD_BASE, VIRT_GICC_BASE, VIRT_GIC_IRQS);
	if (b->gic)
		gicv2__install_router(b->gic);
	b->uart = b->gic ? pl011__create(m, VIRT_UART_BASE, VIRT_UART_SPI, cfg->console_tx,
					 cfg->console_opaque) : NULL;
	if (!b->uart || !pl031__create(m, VIRT_RTC_BASE, VIRT_RTC_SPI, cfg->rtc_epoch) ||
	    add_timers(b)) {
		errmsg(err, n, "cannot create the Arm board's devices");
		free(b); /* its timers' device never registered */
		return NULL;
	}
	for (unsigned k = 0; k < m->nvcpus; k++)
		m->vcpus[k].intc = gicv2__intc(b->gic, k);
	u32 cr = PL011_CR_BOOT;
	bus__access(&m->mmio, NULL, VIRT_UART_BASE + PL011_CR, (u8 *)&cr, 4, true);
	return b;
}

struct serial_port virt_board__console(struct virt_board *b)
{
	return pl011__port(b->uart);
}

void virt_board__start(struct virt_board *b, bool boot, u64 pc, u64 x0)
{
	struct a64_board_ops ops = { .timer_changed = timer_changed,
				     .firmware_call = firmware_call, .opaque = b };
	for (unsigned k = 0; k < b->m->nvcpus; k++) {
		struct encore_engine *e = engine_of(b, k);
		a64_engine__set_board(e, &ops);
		if (!boot)
			continue;
		if (k == 0)
			a64_engine__power_on(e, pc, x0);
		else
			a64_engine__power_off(e);
	}
}
