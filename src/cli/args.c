/* Number and size parsing shared by the subcommands. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

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
