/*
 * The timeline page of encore simulate (sim/timeline.h): one bar group
 * per run with its interval, attempt and outcome; every string from
 * outside escaped; no NaN or infinity in the drawing whatever the times
 * (none, negative, inverted, NaN, huge); 5 to 10 axis steps for any
 * span; the recording lane with --follow marks; errors naming the path
 * (missing directory, a write that fails half-way) with no temp file
 * left; the same bytes for the same input.
 *
 * With a directory as argument it also writes a sample page there
 * (DIR/timeline.html: 12 bars of 11 intervals on 3 workers, one failed
 * run that was re-run, a merge and --follow marks) for
 * tests/e2e/helpers/check_timeline.sh to open in a browser.
 */
#define _GNU_SOURCE /* strcasestr */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "sim/timeline.h"

static char dir[] = "/tmp/encore-test-timeline-XXXXXX";
static char path[256], err[512];

static const char *const workers[] = { "worker 0", "worker 1", "worker 2" };

/* 12 runs of intervals 0..10 on 3 workers over 10 s: interval 6 first
 * ran on a worker that was lost, then again on another. */
static const struct timeline_bar sample_bars[] = {
	{ 0, 0, 1, 0.05, 2.40, 0.30, 0.10, 210000000, 1800, true, NULL },
	{ 1, 1, 1, 0.06, 1.90, 0.25, 0.08, 190000000, 1500, true, NULL },
	{ 2, 2, 1, 0.07, 2.80, 0.35, 0.12, 230000000, 2100, true, "" },
	{ 1, 3, 1, 1.95, 4.10, 0.20, 0.09, 205000000, 1200, true, NULL },
	{ 0, 4, 1, 2.45, 4.70, 0.28, 0.11, 220000000, 1700, true, NULL },
	{ 2, 6, 1, 2.85, 3.60, 0.31, 0.00, 40000000, 2000, false,
	  "worker 2 was lost: killed by signal 9 <SIGKILL> & \"re-run\"" },
	{ 2, 5, 1, 3.70, 6.20, 0.26, 0.10, 240000000, 1650, true, NULL },
	{ 1, 6, 2, 4.15, 6.60, 0.22, 0.13, 215000000, 1900, true, NULL },
	{ 0, 7, 1, 4.75, 7.00, 0.27, 0.10, 200000000, 1750, true, NULL },
	{ 2, 8, 1, 6.25, 8.30, 0.24, 0.14, 199000000, 1600, true, NULL },
	{ 1, 9, 1, 6.65, 8.90, 0.29, 0.12, 221000000, 1850, true, NULL },
	{ 0, 10, 1, 7.05, 7.0502, 0.0001, 0.0, 12000, 40, true, NULL }, /* a tiny one */
};

static struct timeline_mark sample_marks[20];

static struct timeline sample(void)
{
	for (u32 k = 0; k < ARRAY_SIZE(sample_marks); k++)
		sample_marks[k] = (struct timeline_mark){ k * 0.5, k / 3, k * 150000000ull };
	return (struct timeline){
		.title = "/tmp/rec <demo> & \"it's\"",
		.mode = "-j 3: 3 worker processes",
		.rows = 3,
		.row_names = workers,
		.bars = sample_bars,
		.nbars = ARRAY_SIZE(sample_bars),
		.merge_start = 9.0,
		.merge_end = 9.6,
		.marks = sample_marks,
		.nmarks = ARRAY_SIZE(sample_marks),
		.recording_final = true,
		.wall = 9.7,
	};
}

static char *read_all(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0)
		if ((n += got) == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	fclose(f);
	if (buf)
		buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* Writes t to dir/NAME; the page, or NULL (with a FAIL) if it was not. */
static char *write_page(const char *name, const struct timeline *t)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	err[0] = 0;
	int rc = timeline__write(path, t, err, sizeof(err));
	CHECK(rc == 0, "%s: %s", name, err);
	char *page = rc == 0 ? read_all(path, NULL) : NULL;
	CHECK(page != NULL, "%s: not readable", name);
	return page;
}

/* What every page must be: complete, self-contained, no script. */
static void check_well_formed(const char *page, const char *what)
{
	CHECK(!strncmp(page, "<!DOCTYPE html>\n", 16), "%s: doctype", what);
	CHECK(count(page, "<title>encore simulate") == 1, "%s: one page title", what);
	CHECK(strstr(page, "<meta charset=\"utf-8\">") != NULL, "%s: charset", what);
	CHECK(strstr(page, "</svg>\n</body>\n</html>\n") != NULL, "%s: complete", what);
	CHECK(!strstr(page, "<script"), "%s: a script", what);
	CHECK(!strstr(page, "url("), "%s: a url()", what);
	CHECK(count(page, "http:") + count(page, "https:") == 1 &&
	      strstr(page, "\"http://www.w3.org/2000/svg\""),
	      "%s: a link other than the SVG namespace", what);
}

/* No NaN, infinity or negative coordinate anywhere in the drawing. */
static void check_numbers(const char *page, const char *what)
{
	CHECK(!strcasestr(page, "nan") && !strcasestr(page, "inf"), "%s: nan or inf", what);
	static const char *const negative[] = { "x=\"-", "y=\"-", "width=\"-", "height=\"-",
						"cx=\"-", "cy=\"-", "M-", "H-", "V-", "-0.0" };
	for (unsigned k = 0; k < ARRAY_SIZE(negative); k++)
		CHECK(!strstr(page, negative[k]), "%s: \"%s\"", what, negative[k]);
}

/* The group of the run of `interval`, `attempt`: from its tag to </g>. */
static char *bar_group(const char *page, u32 interval, u32 attempt, char *out, size_t n)
{
	char tag[96];
	snprintf(tag, sizeof(tag), "<g class=\"bar\" data-interval=\"%u\" data-attempt=\"%u\" ",
		 interval, attempt);
	const char *from = strstr(page, tag), *to = from ? strstr(from, "</g>") : NULL;
	if (!to || (size_t)(to - from) >= n)
		return NULL;
	memcpy(out, from, to - from);
	out[to - from] = 0;
	return out;
}

static void test_sample(void)
{
	check_group("sample");
	struct timeline t = sample();
	char *page = write_page("sample.html", &t), group[4096];
	if (!page)
		return;
	check_well_formed(page, "sample");
	check_numbers(page, "sample");
	unsigned groups = count(page, "class=\"bar\"");
	CHECK(groups == t.nbars, "%u bar groups", groups);
	for (u32 k = 0; k < t.nbars; k++) {
		const struct timeline_bar *b = &t.bars[k];
		bool found = bar_group(page, b->interval, b->attempt, group, sizeof(group));
		CHECK(found, "interval %u attempt %u", b->interval, b->attempt);
		CHECK(!found || count(group, "<rect ") == 3, "interval %u: 3 rects", b->interval);
		CHECK(!found || strstr(group, b->ok ? "data-ok=\"1\"" : "data-ok=\"0\""),
		      "interval %u: data-ok", b->interval);
		CHECK(!found || count(group, "<title>") == 1, "interval %u: tooltip", b->interval);
	}
	CHECK(count(page, "data-ok=\"0\" data-row") == 1, "one failed bar");
	CHECK(strstr(page, "11 intervals, 0 failed, 1 re-run") != NULL, "the counts");
	CHECK(strstr(page, "2,170,012,000 instructions") != NULL, "instructions in all");
	CHECK(count(page, "<title>rank 0 merging the outputs") == 1, "the merge bar");
	CHECK(!exists(strcat(path, ".partial")), "the temp file is gone");
	free(page);
}

static void test_failed_bar(void)
{
	check_group("failed bar");
	struct timeline t = sample();
	char *page = write_page("failed.html", &t), group[4096];
	if (!page)
		return;
	CHECK(bar_group(page, 6, 1, group, sizeof(group)) != NULL, "the failed run");
	CHECK(strstr(group, "data-ok=\"0\"") != NULL, "marked failed: %s", group);
	CHECK(strstr(group, "FAILED: worker 2 was lost: killed by signal 9 &lt;SIGKILL&gt; "
			    "&amp; &quot;re-run&quot;") != NULL, "its message: %s", group);
	CHECK(bar_group(page, 6, 2, group, sizeof(group)) != NULL, "the re-run");
	CHECK(strstr(group, "data-ok=\"1\"") && strstr(group, "attempt 2") &&
	      !strstr(group, "FAILED"), "the re-run: %s", group);
	free(page);
}

static void test_escaping(void)
{
	check_group("escaping");
	static const char hostile[] = "<script>alert('x&y')</script>\"";
	static const char escaped[] = "&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt;&quot;";
	const char *const rows[] = { hostile, "ok" };
	struct timeline_bar bar = { 0, 3, 1, 0, 1, 0, 0, 5, 1, false, hostile };
	struct timeline t = { .title = hostile, .mode = hostile, .rows = 2, .row_names = rows,
			      .bars = &bar, .nbars = 1, .merge_start = -1, .wall = 1 };
	char *page = write_page("hostile.html", &t);
	if (!page)
		return;
	check_well_formed(page, "hostile");
	CHECK(!strstr(page, "<script") && !strstr(page, "alert('"), "a raw hostile string");
	/* title twice (<title>, h1), mode, message, row name in the label's
	 * hover text (it is too long to show) and in the bar's tooltip. */
	CHECK(count(page, escaped) == 6, "escaped %u times", count(page, escaped));
	CHECK(strstr(page, "&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/\u2026") != NULL,
	      "the shortened label");
	free(page);
}

/* Times that must not produce garbage, each with 5 to 10 axis steps. */
static void test_degenerate_times(void)
{
	check_group("degenerate times");
	static const double walls[] = { 0, 1e-9, 1e-7, 0.0123, 1, 1.1, 2.01, 7.3, 10, 99.9,
					1e6, 3.7e8, 1e300, -5, NAN, INFINITY };
	for (unsigned k = 0; k < ARRAY_SIZE(walls); k++) {
		struct timeline t = { .title = "t", .mode = "m", .merge_start = -1,
				      .wall = walls[k] };
		char what[64];
		snprintf(what, sizeof(what), "wall %g", walls[k]);
		char *page = write_page("wall.html", &t);
		if (!page)
			continue;
		check_well_formed(page, what);
		check_numbers(page, what);
		unsigned ticks = count(page, "class=\"tick\"");
		CHECK(ticks >= 6 && ticks <= 11, "%s: %u ticks", what, ticks);
		CHECK(count(page, "class=\"bar\"") == 0, "%s: bars", what);
		free(page);
	}
}

static void test_degenerate_bars(void)
{
	check_group("degenerate bars");
	struct timeline_bar bars[] = {
		{ 0, 0, 1, 5, 3, 1, 1, 1, 1, true, NULL },              /* inverted */
		{ 0, 1, 1, -4, -1, -1, -2, 1, 1, true, NULL },          /* negative */
		{ 1, 2, 1, NAN, INFINITY, NAN, -INFINITY, 1, 1, true, NULL },
		{ 1, 3, 1, 1, 2, 5, 5, 1, 1, false, NULL },              /* restore+plugin > bar */
		{ 7, 4, 1, 0, 1e6, 10, 10, 1, 1, true, NULL },           /* no such row, huge */
		{ 0, 5, 3, 2e6, 1e300, 0, 0, 1, 1, true, NULL },
	};
	struct timeline t = { .title = "t", .mode = "m", .rows = 2, .row_names = NULL,
			      .bars = bars, .nbars = ARRAY_SIZE(bars), .merge_start = NAN,
			      .merge_end = 2, .wall = -1 };
	char *page = write_page("bars.html", &t);
	if (!page)
		return;
	check_well_formed(page, "bars");
	check_numbers(page, "bars");
	CHECK(count(page, "class=\"bar\"") == ARRAY_SIZE(bars), "one group per bar");
	CHECK(strstr(page, ">row 1</text>") && strstr(page, ">other</text>"), "lane labels");
	CHECK(strstr(page, "interval 4, on row 7\n") != NULL, "a bar of an unknown row");
	CHECK(!strstr(page, "class=\"merge\""), "a NaN merge is none");
	unsigned ticks = count(page, "class=\"tick\"");
	CHECK(ticks >= 6 && ticks <= 11, "%u ticks", ticks);
	free(page);
}

static void test_marks(void)
{
	check_group("marks");
	struct timeline t = sample();
	t.recording_final = false;
	char *page = write_page("marks.html", &t);
	if (!page)
		return;
	CHECK(count(page, "<g class=\"recording\">") == 1, "the recording lane");
	CHECK(count(page, "class=\"ckpt-mark\"") == t.nmarks, "a point per mark");
	CHECK(strstr(page, "cut short") && !strstr(page, "ended normally"), "cut short");
	CHECK(strstr(page, "9.500 s: 6 durable checkpoints, 2,850,000,000 instructions") != NULL,
	      "the last mark's tooltip");
	free(page);
	t.recording_final = true;
	t.nmarks = 0;
	page = write_page("nomarks.html", &t);
	if (!page)
		return;
	CHECK(!strstr(page, "recording") && !strstr(page, "class=\"ckpt"), "no marks, no lane");
	free(page);
}

static void test_missing_dir(void)
{
	check_group("missing directory");
	struct timeline t = sample();
	snprintf(path, sizeof(path), "%s/no/such/dir/timeline.html", dir);
	err[0] = 0;
	CHECK(timeline__write(path, &t, err, sizeof(err)) == -1, "written");
	CHECK(strstr(err, path) && strstr(err, "No such file"), "err: %s", err);
}

/* A write failing half-way, as on a full disk: RLIMIT_FSIZE makes it
 * fail with EFBIG after the first 4 KiB. */
static void test_write_fails(void)
{
	check_group("write fails");
	struct rlimit was, small = { 4096, 0 };
	struct timeline t = sample();
	snprintf(path, sizeof(path), "%s/full.html", dir);
	getrlimit(RLIMIT_FSIZE, &was);
	small.rlim_max = was.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0, "setrlimit");
	err[0] = 0;
	int rc = timeline__write(path, &t, err, sizeof(err));
	setrlimit(RLIMIT_FSIZE, &was);
	signal(SIGXFSZ, SIG_DFL);
	CHECK(rc == -1, "written");
	CHECK(strstr(err, path) && strstr(err, "too large"), "err: %s", err);
	CHECK(!exists(path), "a page");
	CHECK(!exists(strcat(path, ".partial")), "the temp file is left");
}

static void test_deterministic(void)
{
	check_group("deterministic");
	struct timeline t = sample();
	char *a = write_page("a.html", &t), *b = a ? write_page("b.html", &t) : NULL;
	CHECK(a && b && !strcmp(a, b), "two writes differ");
	free(b);
	/* Over an existing page, as a second run into the same OUT does. */
	t.nmarks = 0;
	b = write_page("a.html", &t);
	CHECK(a && b && strcmp(a, b) && !strstr(b, "class=\"ckpt"), "replaced");
	free(a);
	free(b);
}

static void write_sample_to(const char *out)
{
	check_group("sample page");
	char p[4096];
	snprintf(p, sizeof(p), "%s/timeline.html", out);
	struct timeline t = sample();
	CHECK(timeline__write(p, &t, err, sizeof(err)) == 0, "%s", err);
	printf("sample page: %s\n", p);
}

static void remove_dir(void)
{
	static const char *const names[] = { "sample.html", "failed.html", "hostile.html",
					     "wall.html", "bars.html", "marks.html", "nomarks.html",
					     "a.html", "b.html" };
	for (unsigned k = 0; k < ARRAY_SIZE(names); k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[k]);
		unlink(path);
	}
	CHECK(rmdir(dir) == 0, "%s: a file is left", dir);
}

int main(int argc, char **argv)
{
	if (!mkdtemp(dir))
		check_skip("cannot create %s", dir);
	test_sample();
	test_failed_bar();
	test_escaping();
	test_degenerate_times();
	test_degenerate_bars();
	test_marks();
	test_missing_dir();
	test_write_fails();
	test_deterministic();
	remove_dir();
	if (argc > 1)
		write_sample_to(argv[1]);
	check_group_end();
	return check_summary();
}
