/* The table of built-in plugins. */
#include <string.h>

#include "builtin.h"
#include "encore/types.h"
#include "registry.h"

static const struct encore_plugin *const builtins[] = {
	&plugin_icount, &plugin_hotspots, &plugin_coverage, &plugin_syscalls, &plugin_memtrace,
};

const struct encore_plugin *plugins__builtin(const char *name)
{
	for (size_t k = 0; k < ARRAY_SIZE(builtins); k++)
		if (!strcmp(builtins[k]->name, name))
			return builtins[k];
	return NULL;
}

const struct encore_plugin *const *plugins__list(size_t *count)
{
	*count = ARRAY_SIZE(builtins);
	return builtins;
}
