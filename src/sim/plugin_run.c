/*
 * One interval's plugin instances (plugin_host.h): created at the
 * interval's first checkpoint, hooked into the engine and the buses, ended
 * and destroyed at its last.  A callback that one plugin alone uses is
 * installed as the plugin's own function; several share a fan-out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_host.h"
#include "encore/virt_read.h"

/* The vCPU a host function answers for: that of the running callback.
 * Callbacks only come from the engine whose turn it is (and a device
 * access that no vCPU made is reported as that vCPU's), so it is m->cur;
 * a lone plugin's function is installed as the hook itself, with no
 * host code in between that could note the vCPU. */
static struct encore_vcpu *callback_vcpu(struct plugin_run *r)
{
	return r->machine->cur;
}

static void fill_regs(struct encore_vcpu *v, struct encore_regs *out)
{
	struct encore_engine *e = v->engine;
	u64 blob[ARCH_STATE_MAX / 8];
	e->ops->get_state(e, blob);
	memset(out, 0, sizeof(*out));
	v->machine->arch->plugin_regs(blob, out);
	out->vcpu = v->index;
	out->icount = e->ops->insn_count(e);
}

static void host_regs(void *ctx, struct encore_regs *out)
{
	struct plugin_slot *slot = ctx;
	fill_regs(callback_vcpu(slot->run), out);
}

static int host_vcpu_regs(void *ctx, unsigned vcpu, struct encore_regs *out)
{
	struct plugin_slot *slot = ctx;
	struct encore_machine *m = slot->run->machine;
	if (vcpu >= m->nvcpus)
		return -1;
	fill_regs(&m->vcpus[vcpu], out);
	return 0;
}

static int host_read_virt(void *ctx, uint64_t vaddr, void *buf, size_t len)
{
	struct plugin_slot *slot = ctx;
	struct encore_engine *e = callback_vcpu(slot->run)->engine;
	u64 blob[ARCH_STATE_MAX / 8];
	e->ops->get_state(e, blob);
	return machine__read_virt(slot->run->machine, blob, vaddr, buf, len);
}

static const struct encore_plugin_host host_api = {
	.regs = host_regs,
	.read_virt = host_read_virt,
	.option = plugin_slot__option,
	.vcpu_regs = host_vcpu_regs,
};

/* ---- fan-outs ---- */

static void fan_insn(void *o, unsigned vcpu, u64 icount, u64 rip, const u8 *bytes, unsigned len,
		     unsigned cpl)
{
	const struct hook_fan *f = o;
	for (unsigned k = 0; k < f->count; k++)
		f->p[k]->on_insn(f->self[k], vcpu, icount, rip, bytes, len, cpl);
}

static void fan_block(void *o, unsigned vcpu, u64 icount, u64 rip, unsigned n, unsigned cpl)
{
	const struct hook_fan *f = o;
	for (unsigned k = 0; k < f->count; k++)
		f->p[k]->on_block(f->self[k], vcpu, icount, rip, n, cpl);
}

static void fan_mem(void *o, unsigned vcpu, u64 icount, u64 va, u64 pa, unsigned size, u64 v,
		    unsigned flags)
{
	const struct hook_fan *f = o;
	for (unsigned k = 0; k < f->count; k++)
		f->p[k]->on_mem(f->self[k], vcpu, icount, va, pa, size, v, flags);
}

static void fan_exception(void *o, unsigned vcpu, u64 icount, u64 rip, unsigned vector, i64 err,
			  bool ext)
{
	const struct hook_fan *f = o;
	for (unsigned k = 0; k < f->count; k++)
		f->p[k]->on_exception(f->self[k], vcpu, icount, rip, vector, err, ext);
}

static void fan_syscall(void *o, unsigned vcpu, u64 icount, u64 rip, u64 nr, const u64 args[6],
			u64 cr3)
{
	const struct hook_fan *f = o;
	for (unsigned k = 0; k < f->count; k++)
		f->p[k]->on_syscall(f->self[k], vcpu, icount, rip, nr, args, cr3);
}

/* Several plugins follow decoded code: a block's handle is the array of
 * theirs and then the block's length, in r->handles until the interval
 * ends.  Every run is told to the fan-out, which counts the runs of
 * those plugins that count them (count_runs). */
static void *fan_block_decoded(void *o, unsigned vcpu, const struct encore_code_block *b)
{
	struct plugin_run *r = o;
	const struct hook_fan *f = &r->code;
	void **h = plugin_arena__alloc(&r->handles, (f->count + 1) * sizeof(*h));
	if (!h) {
		r->handles_failed = true; /* the interval fails: plugin_run__end */
		return NULL;
	}
	for (unsigned k = 0; k < f->count; k++)
		h[k] = f->p[k]->on_block_decoded(f->self[k], vcpu, b);
	h[f->count] = (void *)(uintptr_t)b->ninsns; /* the counts a handle has */
	return h;
}

static void fan_block_ran(void *o, unsigned vcpu, u64 icount, void *handle, unsigned started,
			  unsigned retired)
{
	struct plugin_run *r = o;
	const struct hook_fan *f = &r->code;
	void **h = handle;
	if (!h)
		return;
	bool counted = retired == started && retired <= (uintptr_t)h[f->count];
	for (unsigned k = 0; k < f->count; k++) {
		if (counted && h[k] && f->p[k]->count_runs)
			((uint64_t *)h[k])[retired - 1]++;
		else
			f->p[k]->on_block_ran(f->self[k], vcpu, icount, h[k], started, retired);
	}
}

static void fan_cpl_change(void *o, unsigned vcpu, u64 icount, unsigned cpl)
{
	const struct hook_fan *f = o;
	for (unsigned k = 0; k < f->count; k++)
		f->p[k]->on_cpl_change(f->self[k], vcpu, icount, cpl);
}

/* A device access, named by the vCPU that made it and that vCPU's count
 * (one that no vCPU made, a DMA say, by the vCPU whose turn it is). */
static void observe_io(struct plugin_run *r, struct encore_vcpu *vcpu, u64 addr, const u8 *data,
		       unsigned len, bool is_write, unsigned flags)
{
	struct encore_vcpu *v = vcpu ? vcpu : callback_vcpu(r);
	u64 icount = v->engine->ops->insn_count(v->engine), value = 0;
	for (unsigned k = 0; k < len && k < 8; k++)
		value |= (u64)data[k] << (8 * k);
	flags |= is_write ? ENCORE_ACCESS_WRITE : 0;
	for (unsigned k = 0; k < r->io.count; k++)
		r->io.p[k]->on_io(r->io.self[k], v->index, icount, addr, len, value, flags);
}

static void observe_pio(void *o, struct encore_vcpu *vcpu, u64 addr, const u8 *data,
			unsigned len, bool is_write)
{
	observe_io(o, vcpu, addr, data, len, is_write, 0);
}

static void observe_mmio(void *o, struct encore_vcpu *vcpu, u64 addr, const u8 *data,
			 unsigned len, bool is_write)
{
	observe_io(o, vcpu, addr, data, len, is_write, ENCORE_ACCESS_MMIO);
}

/* ---- hooking in ---- */

static void fan_add(struct hook_fan *f, const struct encore_plugin *p, void *self, bool wants)
{
	if (!wants)
		return;
	f->p[f->count] = p;
	f->self[f->count++] = self;
}

static void collect_fans(struct plugin_run *r)
{
	r->insn.count = r->block.count = r->mem.count = 0;
	r->exception.count = r->syscall.count = r->io.count = r->code.count = 0;
	r->cpl_change.count = 0;
	for (unsigned k = 0; k < r->set->count; k++) {
		const struct encore_plugin *p = r->set->v[k].p;
		void *self = r->slots[k].self;
		fan_add(&r->insn, p, self, p->on_insn);
		fan_add(&r->block, p, self, p->on_block);
		fan_add(&r->mem, p, self, p->on_mem);
		fan_add(&r->exception, p, self, p->on_exception);
		fan_add(&r->syscall, p, self, p->on_syscall);
		fan_add(&r->io, p, self, p->on_io);
		fan_add(&r->code, p, self, p->on_block_decoded);
		fan_add(&r->cpl_change, p, self, p->on_cpl_change);
	}
}

/* A lone user gets its own function installed; several, the fan-out. */
#define INSTALL(h, fan, field, fanfn)                                        \
	do {                                                                 \
		if ((fan).count == 1) {                                      \
			(h)->on_##field = (fan).p[0]->on_##field;             \
			(h)->field##_opaque = (fan).self[0];                 \
		} else if ((fan).count > 1) {                                \
			(h)->on_##field = fanfn;                             \
			(h)->field##_opaque = &(fan);                        \
		}                                                            \
	} while (0)

static void set_hooks(struct encore_machine *m, const struct encore_hooks *h)
{
	for (unsigned k = 0; k < m->nvcpus; k++) {
		struct encore_engine *e = m->vcpus[k].engine;
		e->ops->set_hooks(e, h);
	}
}

static void hook_in(struct plugin_run *r)
{
	struct encore_hooks *h = &r->hooks;
	memset(h, 0, sizeof(*h));
	collect_fans(r);
	INSTALL(h, r->insn, insn, fan_insn);
	INSTALL(h, r->block, block, fan_block);
	INSTALL(h, r->mem, mem, fan_mem);
	INSTALL(h, r->exception, exception, fan_exception);
	INSTALL(h, r->syscall, syscall, fan_syscall);
	INSTALL(h, r->cpl_change, cpl_change, fan_cpl_change);
	if (r->code.count == 1) {
		h->on_block_decoded = r->code.p[0]->on_block_decoded;
		h->on_block_ran = r->code.p[0]->on_block_ran;
		h->code_opaque = r->code.self[0];
		h->count_runs = r->code.p[0]->count_runs;
	} else if (r->code.count > 1) {
		h->on_block_decoded = fan_block_decoded;
		h->on_block_ran = fan_block_ran;
		h->code_opaque = r;
	}
	bool any = h->on_insn || h->on_block || h->on_mem || h->on_exception || h->on_syscall ||
		   h->on_block_decoded || h->on_cpl_change;
	set_hooks(r->machine, any ? h : NULL);
	if (r->io.count) {
		r->machine->pio.observer = observe_pio;
		r->machine->pio.observer_opaque = r;
		r->machine->mmio.observer = observe_mmio;
		r->machine->mmio.observer_opaque = r;
	}
}

static void unhook(struct plugin_run *r)
{
	set_hooks(r->machine, NULL);
	r->machine->pio.observer = r->machine->mmio.observer = NULL;
	plugin_arena__free(&r->handles);
}

/* ---- the interval ---- */

void plugin_run__init(struct plugin_run *r, const struct plugin_set *s, struct encore_machine *m,
		      const char *dir)
{
	memset(r, 0, sizeof(*r));
	r->set = s;
	r->machine = m;
	r->dir = dir;
}

static int make_dirs(char *path)
{
	for (char *c = path + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = 0;
		int rc = mkdir(path, 0777);
		*c = '/';
		if (rc && errno != EEXIST)
			return -1;
	}
	return 0;
}

static int open_slot(struct plugin_run *r, unsigned k)
{
	struct plugin_slot *slot = &r->slots[k];
	const struct sim_plugin *sp = &r->set->v[k];
	memset(slot, 0, sizeof(*slot));
	slot->run = r;
	slot->plugin = sp;
	plugin_set__interval_path(sp, r->dir, r->iv.index, slot->path, sizeof(slot->path));
	if (make_dirs(slot->path) || !(slot->out = fopen(slot->path, "wb"))) {
		snprintf(r->error, sizeof(r->error), "cannot write %s: %s", slot->path,
			 strerror(errno));
		return -1;
	}
	struct encore_plugin_env env = { &r->iv, &sp->options, slot->out, &host_api, slot,
					 r->machine->arch->name };
	char why[400] = "";
	slot->self = sp->p->create(&env, why, sizeof(why));
	if (!slot->self) {
		snprintf(r->error, sizeof(r->error), "plugin %s: %s", sp->label,
			 why[0] ? why : "create failed");
		return -1;
	}
	return 0;
}

static void close_slot(struct plugin_slot *slot, bool keep)
{
	if (slot->self && slot->plugin->p->destroy)
		slot->plugin->p->destroy(slot->self);
	slot->self = NULL;
	if (slot->out)
		fclose(slot->out);
	slot->out = NULL;
	if (!keep && slot->path[0])
		unlink(slot->path);
}

/* r->iv from `iv`, with the per-vCPU counts copied into r, where they
 * live as long as the interval.  A recording made on KVM has no
 * instruction counts at its checkpoints: plugins count each interval
 * from 0, and learn its end when it is reached (docs/kvm.md). */
static int set_interval(struct plugin_run *r, const struct encore_interval *iv)
{
	struct encore_machine *m = r->machine;
	if (iv->nvcpus != m->nvcpus || !iv->vcpu_first_icount || !iv->vcpu_end_icount) {
		snprintf(r->error, sizeof(r->error), "interval %u comes with instruction counts "
			 "for %u vCPUs; the machine has %u", iv->index,
			 iv->vcpu_first_icount && iv->vcpu_end_icount ? iv->nvcpus : 0, m->nvcpus);
		return -1;
	}
	r->iv = *iv;
	for (unsigned k = 0; k < m->nvcpus; k++) {
		r->vcpu_first[k] = m->by_exits ? 0 : iv->vcpu_first_icount[k];
		r->vcpu_end[k] = m->by_exits ? ENCORE_ICOUNT_UNKNOWN : iv->vcpu_end_icount[k];
		if (m->by_exits)
			m->vcpus[k].engine->ops->set_insn_count(m->vcpus[k].engine, 0);
	}
	r->iv.vcpu_first_icount = r->vcpu_first;
	r->iv.vcpu_end_icount = r->vcpu_end;
	if (m->by_exits) {
		machine__counts_changed(m);
		r->iv.first_icount = 0;
		r->iv.end_icount = ENCORE_ICOUNT_UNKNOWN;
	}
	return 0;
}

int plugin_run__begin(struct plugin_run *r, const struct encore_interval *iv)
{
	r->error[0] = 0;
	if (set_interval(r, iv))
		return -1;
	for (unsigned k = 0; k < r->set->count; k++) {
		if (open_slot(r, k)) {
			for (unsigned j = 0; j <= k; j++)
				close_slot(&r->slots[j], false);
			return -1;
		}
	}
	r->active = true;
	for (unsigned k = 0; k < r->set->count; k++)
		if (r->set->v[k].p->interval_begin)
			r->set->v[k].p->interval_begin(r->slots[k].self, &r->iv);
	hook_in(r);
	return 0;
}

static int end_slot(struct plugin_run *r, unsigned k)
{
	struct plugin_slot *slot = &r->slots[k];
	char why[400] = "";
	int rc = slot->plugin->p->interval_end(slot->self, &r->iv, why, sizeof(why));
	if (rc && !r->error[0])
		snprintf(r->error, sizeof(r->error), "plugin %s: %s", slot->plugin->label,
			 why[0] ? why : "interval_end failed");
	if (!rc && (fflush(slot->out) || ferror(slot->out))) {
		rc = -1;
		if (!r->error[0])
			snprintf(r->error, sizeof(r->error), "writing %s failed: %s", slot->path,
				 strerror(errno));
	}
	close_slot(slot, rc == 0);
	return rc;
}

int plugin_run__end(struct plugin_run *r)
{
	if (!r->active)
		return 0;
	bool handles_failed = r->handles_failed;
	unhook(r);
	r->active = false;
	r->handles_failed = false;
	struct encore_machine *m = r->machine;
	if (m->by_exits) {
		r->iv.end_icount = machine__insns(m);
		for (unsigned k = 0; k < m->nvcpus; k++)
			r->vcpu_end[k] = m->vcpus[k].engine->ops->insn_count(m->vcpus[k].engine);
	}
	if (handles_failed) {
		snprintf(r->error, sizeof(r->error), "out of memory following decoded code");
		for (unsigned k = 0; k < r->set->count; k++)
			close_slot(&r->slots[k], false);
		return -1;
	}
	int rc = 0;
	for (unsigned k = 0; k < r->set->count; k++)
		rc |= end_slot(r, k);
	return rc ? -1 : 0;
}

void plugin_run__abort(struct plugin_run *r)
{
	if (!r->active)
		return;
	unhook(r);
	r->active = false;
	r->handles_failed = false;
	for (unsigned k = 0; k < r->set->count; k++)
		close_slot(&r->slots[k], false);
}
