/* encore's side of the plugin API (plugin_host.h): loading and options. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_host.h"
#include "plugins/plugin_util.h"
#include "plugins/registry.h"

static const struct encore_plugin *load_external(struct sim_plugin *sp, const char *path,
						 char *err, size_t n)
{
	sp->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!sp->dl) {
		snprintf(err, n, "cannot load plugin %s: %s", path, dlerror());
		return NULL;
	}
	const struct encore_plugin *p = dlsym(sp->dl, "encore_plugin");
	if (!p) {
		snprintf(err, n, "%s is not an encore plugin: it defines no 'encore_plugin'", path);
		return NULL;
	}
	if (p->api_version == 2 || p->api_version == 3) {
		/* Versions 3 and 4 only added fields at the end: an older
		 * plugin's struct is the first part of ours, the rest NULL. */
		memcpy(&sp->upgraded, p,
		       p->api_version == 2 ? ENCORE_PLUGIN_V2_SIZE : ENCORE_PLUGIN_V3_SIZE);
		return &sp->upgraded;
	}
	/* Version 5 changed no field of the plugin's struct (it added the
	 * environment's arch): a version 4 plugin is taken as it is. */
	if (p->api_version != ENCORE_PLUGIN_API_VERSION && p->api_version != 4) {
		/* Version 1 is the one a user will have: say what changed. */
		snprintf(err, n, "plugin %s was built for plugin API %u; this encore speaks API %u%s: "
			 "rebuild it against include/encore/plugin.h", path, p->api_version,
			 ENCORE_PLUGIN_API_VERSION,
			 p->api_version == 1 ? " (callbacks name their vCPU)" : "");
		return NULL;
	}
	return p;
}

static bool is_path(const char *name)
{
	size_t len = strlen(name);
	return strchr(name, '/') || (len > 3 && !strcmp(name + len - 3, ".so"));
}

/* Cut "k=v,k2=v2" (in place) into the option arrays. */
static int parse_options(struct sim_plugin *sp, char *list, char *err, size_t n)
{
	unsigned max = 1;
	for (const char *c = list; c && *c; c++)
		max += *c == ',';
	sp->keys = calloc(max, sizeof(*sp->keys));
	sp->values = calloc(max, sizeof(*sp->values));
	if (!sp->keys || !sp->values) {
		snprintf(err, n, "out of memory");
		return -1;
	}
	unsigned count = 0;
	for (char *save = NULL, *kv = list ? strtok_r(list, ",", &save) : NULL; kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq || eq == kv) {
			snprintf(err, n, "plugin %s: option '%s' is not key=value", sp->p->name, kv);
			return -1;
		}
		*eq = 0;
		sp->keys[count] = kv;
		sp->values[count++] = eq + 1;
	}
	sp->options = (struct encore_plugin_options){ count, sp->keys, sp->values };
	return 0;
}

const char *plugin_slot__option(void *slot_ctx, const char *key, const char *dflt)
{
	const struct plugin_slot *slot = slot_ctx;
	return plugin_opts__get(&slot->plugin->options, key, dflt);
}

const struct encore_plugin_host plugin_host__options_only = { .option = plugin_slot__option };

static void set_label(struct plugin_set *s, struct sim_plugin *sp)
{
	unsigned same = 1;
	for (unsigned k = 0; k < s->count; k++)
		same += !strcmp(s->v[k].p->name, sp->p->name);
	if (same == 1)
		snprintf(sp->label, sizeof(sp->label), "%s", sp->p->name);
	else
		snprintf(sp->label, sizeof(sp->label), "%s-%u", sp->p->name, same);
}

static bool name_is_safe(const char *name)
{
	if (!name || !*name || strlen(name) > 40)
		return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
			return false;
	return true;
}

static int check_plugin(const struct encore_plugin *p, const char *where, char *err, size_t n)
{
	if (!name_is_safe(p->name) || !p->create || !p->interval_end ||
	    (p->merge_kind == ENCORE_MERGE_CUSTOM && !p->merge) ||
	    (p->merge_kind != ENCORE_MERGE_CUSTOM && p->merge_kind != ENCORE_MERGE_CONCAT &&
	     p->merge_kind != ENCORE_MERGE_COUNTERS)) {
		snprintf(err, n, "%s: the plugin needs a name of letters, digits, '-' and '_', "
			 "create(), interval_end() and a merge", where);
		return -1;
	}
	if (!p->on_block_decoded != !p->on_block_ran) {
		snprintf(err, n, "%s: the plugin has one of on_block_decoded and on_block_ran; "
			 "they go together", where);
		return -1;
	}
	return 0;
}

static int add_plugin(struct plugin_set *s, struct sim_plugin *sp, char *err, size_t n)
{
	char *comma = strchr(sp->spec, ',');
	if (comma)
		*comma = 0;
	const char *name = sp->spec;
	sp->p = is_path(name) ? load_external(sp, name, err, n) : plugins__builtin(name);
	if (!sp->p) {
		if (!is_path(name))
			snprintf(err, n, "unknown plugin '%s' ('encore simulate --list-plugins' "
				 "lists the built-in ones; an external one is a path to a .so)", name);
		return -1;
	}
	if (check_plugin(sp->p, name, err, n) || parse_options(sp, comma ? comma + 1 : NULL, err, n))
		return -1;
	set_label(s, sp);
	if (sp->p->check_options) {
		struct plugin_slot slot = { .plugin = sp };
		char why[400] = "";
		if (sp->p->check_options(&sp->options, &plugin_host__options_only, &slot, why,
					 sizeof(why))) {
			snprintf(err, n, "plugin %s: %s", sp->p->name, why[0] ? why : "bad options");
			return -1;
		}
	}
	return 0;
}

static void free_plugin(struct sim_plugin *sp)
{
	free(sp->spec);
	free(sp->keys);
	free(sp->values);
	if (sp->dl)
		dlclose(sp->dl);
	memset(sp, 0, sizeof(*sp));
}

int plugin_set__add(struct plugin_set *s, const char *spec, char *err, size_t n)
{
	if (s->count == PLUGIN_SET_MAX) {
		snprintf(err, n, "at most %d plugins at once", PLUGIN_SET_MAX);
		return -1;
	}
	struct sim_plugin *sp = &s->v[s->count];
	memset(sp, 0, sizeof(*sp));
	sp->spec = strdup(spec);
	if (!sp->spec) {
		snprintf(err, n, "out of memory");
		return -1;
	}
	if (add_plugin(s, sp, err, n)) {
		free_plugin(sp);
		return -1;
	}
	s->count++;
	return 0;
}

void plugin_set__free(struct plugin_set *s)
{
	for (unsigned k = 0; k < s->count; k++)
		free_plugin(&s->v[k]);
	s->count = 0;
}

void plugin_set__interval_path(const struct sim_plugin *p, const char *dir, u32 index, char *buf,
			       size_t n)
{
	snprintf(buf, n, "%s/intervals/%s/%06u.%s", dir, p->label, index,
		 p->p->suffix ? p->p->suffix : "out");
}

void plugin_set__merged_path(const struct sim_plugin *p, const char *dir, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s.%s", dir, p->label, p->p->suffix ? p->p->suffix : "out");
}
