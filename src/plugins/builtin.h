/* The built-in plugins, one file each in src/plugins/ (docs/plugins.md). */
#ifndef ENCORE_PLUGINS_BUILTIN_H
#define ENCORE_PLUGINS_BUILTIN_H

#include "encore/plugin.h"

extern const struct encore_plugin plugin_icount;
extern const struct encore_plugin plugin_hotspots;
extern const struct encore_plugin plugin_coverage;
extern const struct encore_plugin plugin_syscalls;
extern const struct encore_plugin plugin_memtrace;

#endif
