/* Writing a whole buffer to a file descriptor, across short writes and
 * signals: 0, or -1 with errno set (ENOSPC, EFBIG, ...). */
#ifndef ENCORE_FD_WRITE_H
#define ENCORE_FD_WRITE_H

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

static inline int fd_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

#endif
