/* Parsing --disk FILE[,readonly][,snapshot=on] (guest.h). */
#include <string.h>

#include "encore/errmsg.h"
#include "guest.h"

/* One flag after the file name: a bare name means on. */
static bool parse_flag(const char *flag, size_t len, struct guest_disk *d)
{
	static const struct { const char *name; size_t off; } flags[] = {
		{ "readonly", offsetof(struct guest_disk, readonly) },
		{ "snapshot", offsetof(struct guest_disk, snapshot) },
	};
	for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
		size_t nl = strlen(flags[k].name);
		if (len < nl || strncmp(flag, flags[k].name, nl))
			continue;
		bool *v = (bool *)((char *)d + flags[k].off);
		const char *rest = flag + nl;
		size_t rl = len - nl;
		if (rl == 0 || (rl == 3 && !strncmp(rest, "=on", 3)))
			*v = true;
		else if (rl == 4 && !strncmp(rest, "=off", 4))
			*v = false;
		else
			return false;
		return true;
	}
	return false;
}

bool guest_parse_disk(const char *arg, struct guest_disk *d, char *err, size_t n)
{
	memset(d, 0, sizeof(*d));
	size_t len = 0;
	const char *p = arg;
	/* The file name, up to the first single comma. */
	for (; *p && !(p[0] == ',' && p[1] != ','); p++) {
		if (len + 1 == sizeof(d->path)) {
			errmsg(err, n, "the disk image's path is too long");
			return false;
		}
		d->path[len++] = *p;
		if (p[0] == ',')
			p++; /* ",," */
	}
	if (!len) {
		errmsg(err, n, "--disk '%s' names no image file", arg);
		return false;
	}
	while (*p == ',') {
		const char *flag = ++p;
		while (*p && *p != ',')
			p++;
		if (!parse_flag(flag, (size_t)(p - flag), d)) {
			errmsg(err, n, "--disk '%s': unknown flag '%.*s' (readonly, snapshot=on)", arg,
			       (int)(p - flag), flag);
			return false;
		}
	}
	return true;
}
