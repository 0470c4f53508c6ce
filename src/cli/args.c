/* Number and size parsing shared by the subcommands. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static bool parse_scaled(const char *s, u64 *out, u64 k)
{
	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno)
		return false;
	u64 mult = 1;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': mult = k; end++; break;
	case 'm': case 'M': mult = k * k; end++; break;
	case 'g': case 'G': mult = k * k * k; end++; break;
	default: return false;
	}
	if (*end || (v && mult > ~0ull / v))
		return false;
	*out = v * mult;
	return true;
}

bool cli_parse_size(const char *s, u64 *out)
{
	return parse_scaled(s, out, 1024);
}

bool cli_parse_count(const char *s, u64 *out)
{
	return parse_scaled(s, out, 1000);
}

bool cli_parse_duration_ns(const char *s, u64 *out)
{
	static const struct { const char *suffix; u64 ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
	};
	size_t len = strlen(s);
	for (unsigned k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
		size_t n = strlen(units[k].suffix);
		if (len <= n || strcmp(s + len - n, units[k].suffix) ||
		    !isdigit((unsigned char)s[len - n - 1]))
			continue;
		char num[32];
		if (len - n >= sizeof(num))
			return false;
		memcpy(num, s, len - n);
		num[len - n] = 0;
		u64 v;
		if (!parse_scaled(num, &v, 1000) || (v && units[k].ns > ~0ull / v))
			return false;
		*out = v * units[k].ns;
		return true;
	}
	return false;
}
