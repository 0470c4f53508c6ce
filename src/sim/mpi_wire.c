/* Checks on what MPI workers send (mpi_wire.h): no MPI needed here. */
#include <stdio.h>
#include <string.h>

#include "mpi_wire.h"

void mpi_wire__build(char *buf, size_t n, const char *version)
{
	snprintf(buf, n, "encore %s report %zu", version, sizeof(struct sim_report));
}

/* A NUL-terminated string within n bytes, not empty. */
static bool terminated(const char *s, size_t n)
{
	return n && memchr(s, 0, n) && s[0];
}

bool mpi_wire__readable_name(const char *name, size_t n)
{
	if (!terminated(name, n))
		return false;
	if (!strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/'))
		return false;
	return true;
}

bool mpi_wire__output_path(const char *path, size_t n)
{
	if (!terminated(path, n) || path[0] == '/' || strncmp(path, "intervals/", 10))
		return false;
	for (const char *p = path;;) {
		size_t len = strcspn(p, "/");
		if (!len || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!p[len])
			return true;
		p += len + 1;
	}
}

int mpi_wire__take_read(const void *msg, size_t n, struct mpi_read *out)
{
	if (n != sizeof(*out))
		return -1;
	memcpy(out, msg, sizeof(*out));
	return mpi_wire__readable_name(out->name, sizeof(out->name)) &&
	       out->len <= MPI_CHUNK_MAX ? 0 : -1;
}

int mpi_wire__take_output(const void *msg, size_t n, struct mpi_output *out, const u8 **data)
{
	if (n < sizeof(*out))
		return -1;
	memcpy(out, msg, sizeof(*out));
	if (!mpi_wire__output_path(out->path, sizeof(out->path)) || out->len > MPI_CHUNK_MAX ||
	    out->len != n - sizeof(*out) || out->offset > (1ull << 62))
		return -1;
	*data = (const u8 *)msg + sizeof(*out);
	return 0;
}
