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

/* A vCPU's part: its instruction count, then its architecture's state. */
static void explain_vcpu(const struct encore_arch *arch, const u8 *rec, const u8 *now,
			 const char *name, char *out, size_t n)
{
	struct vcpu_part a, b;
	memcpy(&a, rec, vcpu_part__size(arch));
	memcpy(&b, now, vcpu_part__size(arch));
	char what[256];
	if (a.insns != b.insns)
		snprintf(out, n, "%s has retired %llu instructions in the recording, %llu in the "
			 "replay", name, (unsigned long long)a.insns, (unsigned long long)b.insns);
	else if (arch->first_difference(a.state, b.state, what, sizeof(what)))
		snprintf(out, n, "%s: %s", name, what);
	else
		snprintf(out, n, "%s: its state part differs only in padding", name);
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
			explain_vcpu(m->arch, rec, now, d == 1 && m->nvcpus == 1 ? "the CPU" : a.name, out, n);
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
