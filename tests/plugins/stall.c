/*
 * A test plugin: each interval stalls for `seconds=S` (default 1) at its
 * start, so that a test can act on a worker while it runs one (kill it,
 * say), and writes "interval N" at its end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "encore/plugin.h"

struct stall {
	FILE *out;
	double seconds;
};

static void *create(const struct encore_plugin_env *env, char *err, size_t n)
{
	struct stall *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	s->out = env->out;
	s->seconds = atof(env->host->option(env->host_ctx, "seconds", "1"));
	return s;
}

static void destroy(void *self)
{
	free(self);
}

static void interval_begin(void *self, const struct encore_interval *iv)
{
	const struct stall *s = self;
	(void)iv;
	struct timespec ts = { (time_t)s->seconds,
			       (long)((s->seconds - (double)(time_t)s->seconds) * 1e9) };
	nanosleep(&ts, NULL);
}

static int interval_end(void *self, const struct encore_interval *iv, char *err, size_t n)
{
	const struct stall *s = self;
	(void)err, (void)n;
	fprintf(s->out, "interval %u\n", iv->index);
	return 0;
}

const struct encore_plugin encore_plugin = {
	.api_version = ENCORE_PLUGIN_API_VERSION,
	.name = "stall",
	.summary = "stalls each interval at its start (a test plugin)",
	.options_help = "seconds=S: how long (default 1)",
	.suffix = "txt",
	.create = create,
	.destroy = destroy,
	.interval_begin = interval_begin,
	.interval_end = interval_end,
	.merge_kind = ENCORE_MERGE_CONCAT,
};
