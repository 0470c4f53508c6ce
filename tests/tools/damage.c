/*
 * damage: hurt one file the way storage, copies and people do, for the
 * damage campaign (tests/campaign/damage.sh).
 *
 *   damage FILE size                 print the file's size
 *   damage FILE flip OFFSET BIT      invert one bit
 *   damage FILE zero OFFSET LEN      overwrite LEN bytes with zeros (clipped to the file)
 *   damage FILE cut OFFSET           truncate to OFFSET bytes
 *   damage FILE append LEN SEED      append LEN pseudo-random bytes
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int die(const char *what, const char *file)
{
	fprintf(stderr, "damage: %s: %s%s%s\n", file, what, errno ? ": " : "",
		errno ? strerror(errno) : "");
	return 2;
}

static unsigned long long num(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || !*s) {
		fprintf(stderr, "damage: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int flip(int fd, off_t at, unsigned bit, const char *file)
{
	unsigned char b;
	if (pread(fd, &b, 1, at) != 1)
		return die("offset beyond the end", file);
	b ^= (unsigned char)(1u << (bit & 7));
	return pwrite(fd, &b, 1, at) == 1 ? 0 : die("cannot write", file);
}

static int zero(int fd, off_t at, off_t len, off_t size, const char *file)
{
	static unsigned char zeros[65536];
	if (at > size)
		return die("offset beyond the end", file);
	if (len > size - at)
		len = size - at;
	while (len > 0) {
		size_t n = len > (off_t)sizeof(zeros) ? sizeof(zeros) : (size_t)len;
		if (pwrite(fd, zeros, n, at) != (ssize_t)n)
			return die("cannot write", file);
		at += (off_t)n;
		len -= (off_t)n;
	}
	return 0;
}

static int append(int fd, off_t size, off_t len, unsigned long long seed, const char *file)
{
	unsigned long long x = seed * 0x9e3779b97f4a7c15ull + 1;
	for (off_t k = 0; k < len; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		unsigned char b = (unsigned char)(x >> 24);
		if (pwrite(fd, &b, 1, size + k) != 1)
			return die("cannot write", file);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: damage FILE size|flip OFF BIT|zero OFF LEN|cut OFF|"
			"append LEN SEED\n");
		return 2;
	}
	const char *file = argv[1], *how = argv[2];
	int fd = open(file, strcmp(how, "size") ? O_RDWR : O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st))
		return die("cannot open", file);
	errno = 0;
	int r;
	if (!strcmp(how, "size") && argc == 3) {
		printf("%lld\n", (long long)st.st_size);
		r = 0;
	} else if (!strcmp(how, "flip") && argc == 5) {
		r = flip(fd, (off_t)num(argv[3]), (unsigned)num(argv[4]), file);
	} else if (!strcmp(how, "zero") && argc == 5) {
		r = zero(fd, (off_t)num(argv[3]), (off_t)num(argv[4]), st.st_size, file);
	} else if (!strcmp(how, "cut") && argc == 4) {
		r = ftruncate(fd, (off_t)num(argv[3])) ? die("cannot truncate", file) : 0;
	} else if (!strcmp(how, "append") && argc == 5) {
		r = append(fd, st.st_size, (off_t)num(argv[3]), num(argv[4]), file);
	} else {
		fprintf(stderr, "damage: bad arguments for '%s'\n", how);
		r = 2;
	}
	close(fd);
	return r;
}
