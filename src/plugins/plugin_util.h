/*
 * What several built-in plugins share: option parsing, LEB128 varints,
 * and the exact per-CPL instruction clock of icount and syscalls (one
 * per vCPU).
 */
#ifndef ENCORE_PLUGINS_PLUGIN_UTIL_H
#define ENCORE_PLUGINS_PLUGIN_UTIL_H

#include <stdio.h>

#include "encore/plugin.h"
#include "encore/types.h"

/* ---- options ---- */

/* The value of key (the last one if given twice), or dflt. */
const char *plugin_opts__get(const struct encore_plugin_options *o, const char *key,
			     const char *dflt);
/* Messages do not name the plugin: encore puts its name before them. */

/* 0 if every key is in the NULL-terminated list known, else -1 with
 * "unknown option 'k' (options: a, b)" in err. */
int plugin_opts__check_known(const struct encore_plugin_options *o, const char *const *known,
			     char *err, size_t errlen);
/* A decimal option in [min, max], dflt when absent; 0, or -1 with err. */
int plugin_opts__u64(const struct encore_plugin_options *o, const char *key, u64 dflt, u64 min,
		     u64 max, u64 *out, char *err, size_t errlen);

/* ---- LEB128 varints: 7 bits a byte, low first, high bit = more ---- */

#define VARINT_MAX 10

static inline u8 *varint__put(u8 *p, u64 v)
{
	while (v >= 0x80) {
		*p++ = (u8)v | 0x80;
		v >>= 7;
	}
	*p++ = (u8)v;
	return p;
}

/* A signed difference as an unsigned number that stays small when the
 * difference is small either way: 0, -1, 1, -2 ... -> 0, 1, 2, 3 ... */
static inline u64 zigzag__encode(u64 delta)
{
	return delta << 1 ^ (u64)((i64)delta >> 63);
}

static inline u64 zigzag__decode(u64 z)
{
	return z >> 1 ^ (0 - (z & 1));
}

/* Byte k (from 0) of a varint into *x: 1 if it was the last, 0 if more
 * follow, -1 if the varint is longer than any u64 needs. */
static inline int varint__add_byte(u64 *x, unsigned k, u8 b)
{
	if (k == VARINT_MAX - 1 && b > 1)
		return -1;
	*x |= (u64)(b & 0x7f) << 7 * k;
	return !(b & 0x80);
}

/* Decodes a varint at *p, before end, and advances *p: 1, or 0 if it
 * runs past end, or -1 if it is longer than any u64 needs. */
static inline int varint__get(const u8 **p, const u8 *end, u64 *v)
{
	u64 x = 0;
	for (unsigned k = 0;; k++) {
		if (*p == end)
			return 0;
		int rc = varint__add_byte(&x, k, *(*p)++);
		if (rc > 0)
			*v = x;
		if (rc)
			return rc;
	}
}

/* 0, or -1 on a write error. */
int varint__fwrite(FILE *f, u64 v);
/* 1, or 0 at the end of the file (before any byte), or -1 if the file
 * ends inside the varint or the varint is too long. */
int varint__fread(FILE *f, u64 *v);

/* ---- exact instruction counts by CPL ----
 *
 * The CPL only changes at control transfers (SYSCALL, SYSRET, IRET, INT,
 * exception delivery, far jumps), all of which end a block, and a handler
 * always starts a new block: so every instruction runs at the CPL its
 * block started at, and the instructions of a block are the icount
 * difference to the next event (not on_block's ninsns, which a fault or
 * an interrupt can cut short).  Counting at exceptions is not needed, and
 * switching to CPL 0 there would be wrong: the interpreter retires INT n,
 * INT3 and INTO after it delivered their interrupt, and they ran at the
 * CPL of their block.
 *
 * All of this holds per vCPU, with each vCPU's own icount: a clock per
 * vCPU, advanced only by that vCPU's events.  While other vCPUs have
 * their turn, its icount and CPL stand still, so their events in
 * between change nothing in its count.
 */
struct cpl_clock {
	u64 last;            /* icount of the previous event */
	unsigned cpl;        /* the CPL since then */
	u64 first, end;      /* the interval */
	bool bad;            /* an event came out of order or outside the interval */
	u64 bad_icount, bad_last;
};

/* Starts vCPU v's clock at its first icount of the interval
 * (env->interval), at its CPL then, read with the host's vcpu_regs()
 * into *r; it ends at the vCPU's end icount (ENCORE_ICOUNT_UNKNOWN if not
 * known). */
void cpl_clock__begin(struct cpl_clock *c, const struct encore_plugin_env *env, unsigned v,
		      struct encore_regs *r);

/* Instructions retired at c->cpl since the previous event; now is the
 * icount of this event.  An event out of order counts nothing and is
 * reported by cpl_clock__check. */
static inline u64 cpl_clock__advance(struct cpl_clock *c, u64 now)
{
	if (unlikely(now < c->last || now > c->end)) {
		if (!c->bad) {
			c->bad = true;
			c->bad_icount = now;
			c->bad_last = c->last;
		}
		return 0;
	}
	u64 d = now - c->last;
	c->last = now;
	return d;
}

/* 0 if every event was in order inside the interval, else -1 with err. */
int cpl_clock__check(const struct cpl_clock *c, char *err, size_t errlen);

/* The registers of the vCPU of the running callback, through the host
 * (CPL 0, CR3 0 without one). */
void plugin_host__regs(const struct encore_plugin_env *env, struct encore_regs *r);
/* The same of vCPU v, wherever it is (in interval_begin: at the
 * interval's start). */
void plugin_host__vcpu_regs(const struct encore_plugin_env *env, unsigned v,
			    struct encore_regs *r);

/* ---- per-vCPU state ----
 *
 * A plugin that counts per vCPU keeps an array of env->interval->nvcpus
 * states.  A callback's vcpu is below that from encore's host; a plugin
 * fed otherwise records the first one that is not (and ignores its
 * event) and fails the interval with vcpu_check__message.
 */
struct vcpu_check {
	bool bad;
	unsigned vcpu;
};

static inline bool vcpu_check__ok(struct vcpu_check *c, unsigned vcpu, unsigned nvcpus)
{
	if (likely(vcpu < nvcpus))
		return true;
	if (!c->bad) {
		c->bad = true;
		c->vcpu = vcpu;
	}
	return false;
}

/* 0, or -1 with err if an event named a vCPU the interval does not have. */
int vcpu_check__message(const struct vcpu_check *c, unsigned nvcpus, char *err, size_t errlen);

/* ---- records that live as long as the instance ----
 *
 * A plugin's record of each decoded block (on_block_decoded) is one
 * allocation of many, all freed at once: bump allocation from chunks.
 */
struct plugin_arena {
	struct plugin_arena_chunk *chunk;  /* the newest, which it allocates from */
};

/* n bytes (8-byte aligned), or NULL when out of memory. */
void *plugin_arena__alloc(struct plugin_arena *a, size_t n);
void plugin_arena__free(struct plugin_arena *a);

/* The address of each of b's instructions, into rip[0 .. b->ninsns). */
void code_block__rips(const struct encore_code_block *b, u64 *rip);

#endif
