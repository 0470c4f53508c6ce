/* Options, file varints and the CPL clock of plugin_util.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "encore/errmsg.h"
#include "plugin_util.h"

const char *plugin_opts__get(const struct encore_plugin_options *o, const char *key,
			     const char *dflt)
{
	const char *v = dflt;
	for (unsigned k = 0; o && k < o->count; k++)
		if (!strcmp(o->keys[k], key))
			v = o->values[k];
	return v;
}

static bool is_known(const char *key, const char *const *known)
{
	for (; *known; known++)
		if (!strcmp(key, *known))
			return true;
	return false;
}

int plugin_opts__check_known(const struct encore_plugin_options *o, const char *const *known,
			     char *err, size_t errlen)
{
	for (unsigned k = 0; o && k < o->count; k++) {
		if (is_known(o->keys[k], known))
			continue;
		char list[128] = "none";
		size_t n = 0;
		for (const char *const *p = known; *p; p++)
			n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0,
					      "%s%s", p == known ? "" : ", ", *p);
		return errmsg(err, errlen, "unknown option '%s' (options: %s)", o->keys[k], list);
	}
	return 0;
}

int plugin_opts__u64(const struct encore_plugin_options *o, const char *key, u64 dflt, u64 min,
		     u64 max, u64 *out, char *err, size_t errlen)
{
	const char *s = plugin_opts__get(o, key, NULL);
	if (!s) {
		*out = dflt;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || v < min || v > max)
		return errmsg(err, errlen, "%s=%s: want a whole number from %llu to %llu", key, s,
			      (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int varint__fwrite(FILE *f, u64 v)
{
	u8 buf[VARINT_MAX];
	size_t n = (size_t)(varint__put(buf, v) - buf);
	return fwrite(buf, 1, n, f) == n ? 0 : -1;
}

int varint__fread(FILE *f, u64 *v)
{
	u64 x = 0;
	for (unsigned k = 0;; k++) {
		int b = getc(f);
		if (b == EOF)
			return k == 0 ? 0 : -1;
		int rc = varint__add_byte(&x, k, (u8)b);
		if (rc > 0)
			*v = x;
		if (rc)
			return rc;
	}
}

void cpl_clock__begin(struct cpl_clock *c, const struct encore_plugin_env *env, unsigned v,
		      struct encore_regs *r)
{
	const struct encore_interval *iv = env->interval;
	plugin_host__vcpu_regs(env, v, r);
	*c = (struct cpl_clock){ .last = iv->vcpu_first_icount[v], .cpl = r->cpl & 3u,
				 .first = iv->vcpu_first_icount[v], .end = iv->vcpu_end_icount[v] };
}

int cpl_clock__check(const struct cpl_clock *c, char *err, size_t errlen)
{
	if (!c->bad)
		return 0;
	return errmsg(err, errlen,
		      "an event at icount %llu after one at %llu, or outside the interval "
		      "[%llu, %llu]: instruction counts would be wrong",
		      (unsigned long long)c->bad_icount, (unsigned long long)c->bad_last,
		      (unsigned long long)c->first, (unsigned long long)c->end);
}

void plugin_host__regs(const struct encore_plugin_env *env, struct encore_regs *r)
{
	memset(r, 0, sizeof(*r));
	if (env->host && env->host->regs)
		env->host->regs(env->host_ctx, r);
}

void plugin_host__vcpu_regs(const struct encore_plugin_env *env, unsigned v,
			    struct encore_regs *r)
{
	memset(r, 0, sizeof(*r));
	if (env->host && env->host->vcpu_regs && env->host->vcpu_regs(env->host_ctx, v, r))
		memset(r, 0, sizeof(*r));
	r->vcpu = v;
}

int vcpu_check__message(const struct vcpu_check *c, unsigned nvcpus, char *err, size_t errlen)
{
	if (!c->bad)
		return 0;
	return errmsg(err, errlen, "an event of vCPU %u, in an interval of %u vCPUs", c->vcpu,
		      nvcpus);
}

/* ---- plugin_arena ---- */

#define ARENA_CHUNK_BYTES (1u << 20)

struct plugin_arena_chunk {
	struct plugin_arena_chunk *prev;
	size_t used, size;
	u64 data[];                        /* 8-byte aligned */
};

void *plugin_arena__alloc(struct plugin_arena *a, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	struct plugin_arena_chunk *c = a->chunk;
	if (!c || c->size - c->used < n) {
		size_t size = n > ARENA_CHUNK_BYTES ? n : ARENA_CHUNK_BYTES;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->prev = a->chunk;
		c->used = 0;
		c->size = size;
		a->chunk = c;
	}
	void *p = (u8 *)c->data + c->used;
	c->used += n;
	return p;
}

void code_block__rips(const struct encore_code_block *b, u64 *rip)
{
	u64 at = b->rip;
	for (unsigned k = 0; k < b->ninsns; k++) {
		rip[k] = at;
		at += b->lens[k];
	}
}

void plugin_arena__free(struct plugin_arena *a)
{
	while (a->chunk) {
		struct plugin_arena_chunk *prev = a->chunk->prev;
		free(a->chunk);
		a->chunk = prev;
	}
}
