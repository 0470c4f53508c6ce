/*
 * encore's side of the plugin API (encore/plugin.h): loading plugins by
 * name or from shared objects, running one instance of each per interval
 * with its callbacks hooked into the CPU engine and the device buses, and
 * merging the interval outputs.
 */
#ifndef ENCORE_SIM_PLUGIN_HOST_H
#define ENCORE_SIM_PLUGIN_HOST_H

#include "encore/hooks.h"
#include "encore/machine.h"
#include "encore/plugin.h"
#include "plugins/plugin_util.h"

#define PLUGIN_SET_MAX 16

/* One --plugin argument. */
struct sim_plugin {
	const struct encore_plugin *p;
	char label[64];        /* names its outputs: NAME, NAME-2 for a repeat */
	char *spec;            /* the argument, cut into the option strings */
	const char **keys, **values;
	struct encore_plugin_options options;
	void *dl;              /* dlopen handle of an external plugin */
	struct encore_plugin upgraded; /* p of an older API version, made current */
};

struct plugin_set {
	struct sim_plugin v[PLUGIN_SET_MAX];
	unsigned count;
};

/* Add "NAME[,key=value...]" (NAME a built-in, or a path to a shared
 * object); -1 with a message in err. */
int plugin_set__add(struct plugin_set *s, const char *spec, char *err, size_t n);
void plugin_set__free(struct plugin_set *s);

/* A plugin's interval output and merged output file names. */
void plugin_set__interval_path(const struct sim_plugin *p, const char *dir, u32 index, char *buf,
			       size_t n);
void plugin_set__merged_path(const struct sim_plugin *p, const char *dir, char *buf, size_t n);

/* The host context of one instance: what a host function is given. */
struct plugin_slot {
	struct plugin_run *run;
	const struct sim_plugin *plugin;
	void *self;
	FILE *out;
	char path[4200];
};

/* The host's option(): slot_ctx is a struct plugin_slot (only its
 * plugin is used); the value of `key` (the last one given), or `dflt`. */
const char *plugin_slot__option(void *slot_ctx, const char *key, const char *dflt);
/* The host table where only option() is offered: check_options, merge. */
extern const struct encore_plugin_host plugin_host__options_only;

/* Fan-out lists: callbacks with their instances. */
struct hook_fan {
	unsigned count;
	void *self[PLUGIN_SET_MAX];
	const struct encore_plugin *p[PLUGIN_SET_MAX];
};

/* One interval's instances, hooked into a machine. */
struct plugin_run {
	const struct plugin_set *set;
	struct encore_machine *machine;
	const char *dir;
	struct encore_interval iv;     /* its vcpu arrays point to vcpu_first, vcpu_end */
	u64 vcpu_first[MACHINE_MAX_VCPUS], vcpu_end[MACHINE_MAX_VCPUS];
	bool active;
	struct plugin_slot slots[PLUGIN_SET_MAX];
	struct encore_hooks hooks;
	struct hook_fan insn, block, mem, exception, syscall, io, code, cpl_change;
	struct plugin_arena handles;   /* several plugins' handles of decoded blocks */
	bool handles_failed;           /* out of memory for them */
	char error[512];       /* the first failure, if any */
};

/* Ready `r` for intervals of `m`, outputs under `dir`. */
void plugin_run__init(struct plugin_run *r, const struct plugin_set *s, struct encore_machine *m,
		      const char *dir);
/* Create the instances for `iv`, hook them in and call interval_begin;
 * -1 with r->error set. */
int plugin_run__begin(struct plugin_run *r, const struct encore_interval *iv);
/* interval_end, then unhook and destroy; -1 with r->error set if a
 * plugin or its output failed (its file is then removed). */
int plugin_run__end(struct plugin_run *r);
/* Unhook and destroy without ending (a failed interval); removes outputs. */
void plugin_run__abort(struct plugin_run *r);

/* Merge the interval outputs of intervals[0..count) of every plugin into
 * its merged file; -1 with a message in err. */
int plugin_set__merge(const struct plugin_set *s, const char *dir,
		      const struct encore_interval *intervals, unsigned count, char *err, size_t n);

#endif
