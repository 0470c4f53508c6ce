/*
 * Saying where a replayed machine differs from a stored checkpoint, once
 * their state hashes disagree: which state part (naming the vCPU, and
 * its first differing register) and which RAM frames.  Only runs after
 * a divergence, so it may be slow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encore/ram.h"
#include "snap_reader.h"

struct reg_field {
	const char *name;
	size_t offset;
};

#define REG(name, field) { name, offsetof(struct vcpu_part, field) }

/* The vCPU fields worth naming, in the order a reader looks at them. */
static const struct reg_field vcpu_fields[] = {
	REG("its instruction count", insns), REG("RIP", s.rip), REG("RFLAGS", s.rflags),
	REG("RAX", s.gpr[0]), REG("RCX", s.gpr[1]), REG("RDX", s.gpr[2]), REG("RBX", s.gpr[3]),
	REG("RSP", s.gpr[4]), REG("RBP", s.gpr[5]), REG("RSI", s.gpr[6]), REG("RDI", s.gpr[7]),
	REG("R8", s.gpr[8]), REG("R9", s.gpr[9]), REG("R10", s.gpr[10]), REG("R11", s.gpr[11]),
	REG("R12", s.gpr[12]), REG("R13", s.gpr[13]), REG("R14", s.gpr[14]),
	REG("R15", s.gpr[15]), REG("CR0", s.cr0), REG("CR2", s.cr2), REG("CR3", s.cr3),
	REG("CR4", s.cr4), REG("EFER", s.efer),
};

static void explain_vcpu(const u8 *rec, const u8 *now, const char *name, char *out, size_t n)
{
	for (size_t k = 0; k < sizeof(vcpu_fields) / sizeof(vcpu_fields[0]); k++) {
		const struct reg_field *f = &vcpu_fields[k];
		u64 a, b;
		memcpy(&a, rec + f->offset, 8);
		memcpy(&b, now + f->offset, 8);
		if (a != b) {
			snprintf(out, n, "%s: %s is %#llx in the recording, %#llx in the replay", name,
				 f->name, (unsigned long long)a, (unsigned long long)b);
			return;
		}
	}
	size_t at = 0;
	while (rec[at] == now[at])
		at++;
	snprintf(out, n, "%s: its state differs from byte %zu of its part (segments, descriptor "
		 "tables, MSRs, FPU or pending events)", name, at);
}

/* The first state part that differs, or -1. */
static int explain_parts(const struct snap_reader *r, u32 k, struct encore_machine *m,
			 char *out, size_t n)
{
	const struct ckpt_info *i = &r->info[k];
	if (i->nparts != machine__nparts(m)) {
		snprintf(out, n, "the checkpoint has %u state parts, the machine %u", i->nparts,
			 machine__nparts(m));
		return 0;
	}
	for (u32 d = 0; d < i->nparts; d++) {
		struct state_part a, b;
		struct vcpu_part scratch;
		const u8 *rec = snap_reader__part(r, k, d, &a);
		const u8 *now = machine__part_view(m, d, &b, &scratch);
		if (a.size == b.size && (!a.size || !memcmp(rec, now, a.size)))
			continue;
		if (a.size != b.size || strcmp(a.name, b.name))
			snprintf(out, n, "state part %u is '%s' (%u bytes) in the recording, '%s' (%u "
				 "bytes) in the replay", d, a.name, a.size, b.name, b.size);
		else if (d >= 1 && d <= m->nvcpus)
			explain_vcpu(rec, now, d == 1 && m->nvcpus == 1 ? "the CPU" : a.name, out, n);
		else
			snprintf(out, n, "the state of '%s' differs", a.name);
		return 0;
	}
	return -1;
}

/* RAM frames whose content hash differs from the checkpoint's. */
static void explain_ram(struct snap_reader *r, u32 k, const struct page_map *map, char *out,
			size_t n)
{
	char err[256];
	if (snap_reader__load_maps(r, k, map->nframes, err, sizeof(err))) {
		snprintf(out, n, "every state part matches; RAM cannot be compared (%s)", err);
		return;
	}
	struct page_hash zero = page_hash__zero();
	u64 differ = 0, first = 0;
	for (u64 f = 0; f < map->nframes; f++) {
		u32 number = r->frame_page[f];
		const struct page_hash *want = number ? &r->pages[number - 1].hash : &zero;
		if (page_hash__eq(want, &map->hash[f]))
			continue;
		if (!differ++)
			first = f;
	}
	if (!differ)
		snprintf(out, n, "every state part, idle time and RAM frame matches the stored "
			 "checkpoint (its state hash %016llx)",
			 (unsigned long long)r->info[k].state_hash);
	else
		snprintf(out, n, "every state part matches; %llu RAM frames differ, the first at "
			 "physical address %#llx", (unsigned long long)differ,
			 (unsigned long long)(first * RAM_PAGE_SIZE));
}

void snap_reader__explain(struct snap_reader *r, u32 k, struct encore_machine *m,
			  const struct page_map *map, char *out, size_t n)
{
	if (k >= r->count) {
		snprintf(out, n, "checkpoint %u is not in the checkpoints file", k);
		return;
	}
	if (explain_parts(r, k, m, out, n) == 0)
		return;
	if (r->info[k].idle_ns != m->idle_ns) {
		snprintf(out, n, "every state part matches; idle time is %llu ns in the recording, "
			 "%llu ns in the replay", (unsigned long long)r->info[k].idle_ns,
			 (unsigned long long)m->idle_ns);
		return;
	}
	explain_ram(r, k, map, out, n);
}
