/*
 * A main for the fuzz targets in ordinary builds, without libFuzzer: it
 * runs every input of a corpus through LLVMFuzzerTestOneInput once, so
 * that make test replays the seed corpus (and every crash that was ever
 * found and added to it) in the plain and the sanitizer builds.
 *
 *   test_fuzz_NAME [DIR|FILE]...
 *
 * With no arguments, the corpus is tests/fuzz/corpus/NAME (from the
 * repository root), NAME taken from the program's own name.  A target
 * that finds a broken input aborts (or the sanitizer ends the run); the
 * input is named on stderr.  Exit status 0 = every input passed.
 */
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PREFIX "test_fuzz_"

static char current[4096]; /* the input being run, for a crash report */

/* write(2) only: this runs in a signal handler or a sanitizer's death
 * callback, where stdio may be in any state. */
static void put(const char *s)
{
	ssize_t n = write(2, s, strlen(s));
	(void)n; /* a dying process has nothing better to do if this fails */
}

static void say_current(void)
{
	if (!current[0])
		return;
	put("not ok - the target failed on ");
	put(current);
	put("\n");
}

static void on_fatal_signal(int sig)
{
	say_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Run one file; -1 if it cannot be read. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st)) {
		fprintf(stderr, "not ok - cannot read %s\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	/* Exactly the file's size, so that ASan catches a read past it. */
	size_t size = (size_t)st.st_size;
	uint8_t *data = malloc(size ? size : 1);
	bool ok = data && fread(data, 1, size, f) == size;
	fclose(f);
	if (!ok) {
		fprintf(stderr, "not ok - cannot read %s\n", path);
		free(data);
		return -1;
	}
	snprintf(current, sizeof(current), "%s", path);
	LLVMFuzzerTestOneInput(data, size);
	current[0] = 0;
	free(data);
	return 0;
}

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Run every file of `dir`, in name order; -1 on error or if it is empty. */
static int run_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, not_hidden, alphasort);
	if (n < 0) {
		fprintf(stderr, "not ok - cannot read the directory %s\n", dir);
		return -1;
	}
	int r = n ? 0 : -1;
	for (int k = 0; k < n; k++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[k]->d_name);
		r |= run_file(path);
		free(names[k]);
	}
	free(names);
	if (!n)
		fprintf(stderr, "not ok - no inputs in %s\n", dir);
	else if (!r)
		printf("ok - %d inputs from %s\n", n, dir);
	return r;
}

static int run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return run_dir(path);
	if (run_file(path))
		return -1;
	printf("ok - %s\n", path);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0); /* what passed, even if a later input crashes */
	signal(SIGABRT, on_fatal_signal);
#ifdef __SANITIZE_ADDRESS__
	__sanitizer_set_death_callback(say_current); /* ASan reports the rest */
#else
	signal(SIGSEGV, on_fatal_signal);
#endif
	int r = 0;
	if (argc > 1) {
		for (int k = 1; k < argc; k++)
			r |= run_path(argv[k]);
	} else {
		const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
		if (strncmp(name, PREFIX, strlen(PREFIX))) {
			fprintf(stderr, "not ok - no corpus: name one, or call me %sNAME\n", PREFIX);
			return 1;
		}
		char dir[4096];
		snprintf(dir, sizeof(dir), "tests/fuzz/corpus/%s", name + strlen(PREFIX));
		r = run_dir(dir);
	}
	printf("%s\n", r ? "FAIL" : "PASS");
	return r ? 1 : 0;
}
