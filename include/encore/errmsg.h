/* Reporting an error into a caller's message buffer, the way the loaders
 * and the recording readers do: `return errmsg(err, errlen, ...);`. */
#ifndef ENCORE_ERRMSG_H
#define ENCORE_ERRMSG_H

#include <stdarg.h>
#include <stdio.h>

static inline int errmsg(char *err, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Formats into err (if any) and returns -1. */
static inline int errmsg(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && n)
		vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

#endif
