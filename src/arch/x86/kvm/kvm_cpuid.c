/*
 * CPUID for the KVM vCPU: encore's model (encore/cpuid.h), so a guest
 * sees the same CPU on both engines and never picks a code path the
 * interpreter lacks when a recording made here is replayed there.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "encore/cpuid.h"
#include "kvm.h"

#define MAX_ENTRIES 256
#define MAX_SUBLEAF 64

/* Leaves whose output depends on ECX (the SDM's list; the model fills
 * only some of them, the others are all zeros). */
static bool leaf_is_indexed(u32 leaf)
{
	static const u32 indexed[] = { 0x4, 0x7, 0xb, 0xd, 0xf, 0x10, 0x12, 0x14, 0x17, 0x18,
				       0x1d, 0x1e, 0x1f, 0x20, 0x23, 0x24, 0x8000001d,
				       0x80000020, 0x80000026 };
	for (unsigned k = 0; k < ARRAY_SIZE(indexed); k++)
		if (indexed[k] == leaf)
			return true;
	return false;
}

static void put_entry(struct kvm_cpuid2 *c, u32 leaf, u32 sub, bool indexed, const u32 r[4])
{
	if (c->nent == MAX_ENTRIES)
		return;
	struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = leaf;
	e->index = sub;
	e->flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	e->eax = r[0];
	e->ebx = r[1];
	e->ecx = r[2];
	e->edx = r[3];
}

/* Subleaf 0 always; further subleaves where the model says anything
 * (KVM answers a missing subleaf of an indexed leaf with zeros, as the
 * model does). */
static void add_leaf(struct kvm_cpuid2 *c, u32 leaf)
{
	u32 r[4];
	if (!leaf_is_indexed(leaf)) {
		cpuid__query(leaf, 0, 0, r);
		put_entry(c, leaf, 0, false, r);
		return;
	}
	for (u32 sub = 0; sub < MAX_SUBLEAF; sub++) {
		cpuid__query(leaf, sub, 0, r);
		if (sub == 0 || (r[0] | r[1] | r[2] | r[3]))
			put_entry(c, leaf, sub, true, r);
	}
}

static void add_range(struct kvm_cpuid2 *c, u32 first)
{
	u32 r[4];
	cpuid__query(first, 0, 0, r);
	u32 last = r[0];
	if (last < first || last - first >= MAX_ENTRIES)
		last = first;
	for (u32 leaf = first;; leaf++) {
		add_leaf(c, leaf);
		if (leaf == last)
			break;
	}
}

static bool same_entry(const struct kvm_cpuid_entry2 *a, const struct kvm_cpuid_entry2 *b)
{
	return a->eax == b->eax && a->ebx == b->ebx && a->ecx == b->ecx && a->edx == b->edx;
}

static const struct kvm_cpuid_entry2 *find_entry(const struct kvm_cpuid2 *c,
						 const struct kvm_cpuid_entry2 *e)
{
	for (u32 k = 0; k < c->nent; k++)
		if (c->entries[k].function == e->function && c->entries[k].index == e->index)
			return &c->entries[k];
	return NULL;
}

/* Append `leaf` to the note's list unless it is there already. */
static void note_leaf(char *note, size_t n, u32 leaf)
{
	char item[16];
	snprintf(item, sizeof(item), " %#x", leaf);
	size_t len = strlen(note), il = strlen(item);
	for (const char *p = strstr(note, item); p; p = strstr(p + 1, item))
		if (p[il] == ' ' || p[il] == 0)
			return;
	snprintf(note + len, n - len, "%s", item);
}

/*
 * KVM may overrule parts of the table (the build hosts' KVM puts its
 * own leaves 1, 7 and 0xd in): read back what the vCPU got and name
 * every leaf that differs, so that report() can say the guest sees a
 * CPU other than the model, which the interpreter would not replay.
 */
static void check_readback(int vcpu_fd, const struct kvm_cpuid2 *set, char *note, size_t n)
{
	struct kvm_cpuid2 *got = calloc(1, sizeof(*got) + MAX_ENTRIES * sizeof(got->entries[0]));
	note[0] = 0;
	if (!got)
		return;
	got->nent = MAX_ENTRIES;
	if (ioctl(vcpu_fd, KVM_GET_CPUID2, got) == 0) {
		for (u32 k = 0; k < got->nent; k++) {
			const struct kvm_cpuid_entry2 *mine = find_entry(set, &got->entries[k]);
			if (!mine || !same_entry(mine, &got->entries[k]))
				note_leaf(note, n, got->entries[k].function);
		}
		for (u32 k = 0; k < set->nent; k++)
			if (!find_entry(got, &set->entries[k]))
				note_leaf(note, n, set->entries[k].function);
	}
	free(got);
}

int kvm_cpuid__set(int vcpu_fd, char *note, size_t notelen, char *err, size_t errlen)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + MAX_ENTRIES * sizeof(c->entries[0]));
	if (!c) {
		snprintf(err, errlen, "out of memory for the CPUID table");
		return -ENOMEM;
	}
	add_range(c, 0);
	add_range(c, 0x80000000u);
	int r = 0;
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0) {
		r = -errno;
		snprintf(err, errlen, "KVM_SET_CPUID2 (%u leaves): %s", c->nent, strerror(errno));
	} else {
		check_readback(vcpu_fd, c, note, notelen);
	}
	free(c);
	return r;
}
