/* The plugins built into encore, by name (docs/plugins.md). */
#ifndef ENCORE_PLUGINS_REGISTRY_H
#define ENCORE_PLUGINS_REGISTRY_H

#include <stddef.h>

#include "encore/plugin.h"

/* The built-in plugin called name, or NULL if there is none. */
const struct encore_plugin *plugins__builtin(const char *name);
/* All of them, in the order `--list-plugins` shows; *count of them. */
const struct encore_plugin *const *plugins__list(size_t *count);

#endif
