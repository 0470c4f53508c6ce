/* The timeline page of encore simulate (timeline.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "timeline.h"

/* The drawing in SVG user units; the page scales it to the window. */
#define VIEW_W 1200.0
#define PLOT_X0 180.0          /* left of it: the lane labels */
#define PLOT_X1 1150.0         /* right of it: room for half a long tick label */
#define TOP 12.0
#define LANE_H 26.0
#define BAR_H 18.0
#define RECORDING_H 56.0
#define AXIS_H 36.0
#define LEGEND_H 28.0
#define LEGEND_CHAR_W 7.0      /* a 12px character, roughly: spaces the legend */
#define MIN_BAR_PX 1.0         /* a bar of a microsecond stays visible and hoverable */
#define MAX_SECONDS 1e9        /* ~30 years: anything later is garbage, not a run */
#define MIN_SPAN 1e-3          /* the axis covers at least a millisecond */
#define MAX_TICKS 10
#define LABEL_MAX 24           /* bytes of a lane label before it is shortened */

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#222;background:#fff}\n"
	"h1{font-size:18px;margin:0 0 4px;word-break:break-all}\n"
	"p{margin:2px 0}\n"
	".hint{color:#666;font-size:12px}\n"
	"svg{display:block;width:100%;max-width:1600px;height:auto;margin-top:8px}\n"
	"svg text{font-size:12px;fill:#333}\n"
	"svg .tick{fill:#555}\n"
	"svg .note{fill:#666;font-style:italic}\n"
	".grid{stroke:#ddd;stroke-width:1}\n"
	".axis{stroke:#888;stroke-width:1}\n"
	".stripe{fill:#f4f5f7}\n"
	".restore{fill:#e9a23b}\n"
	".replay{fill:#3d7dd8}\n"
	".plugin{fill:#8e5bd0}\n"
	".bar:hover rect{opacity:.75}\n"
	".bar[data-ok=\"0\"] rect,.failed{stroke:#6b0000;stroke-width:1}\n"
	".bar[data-ok=\"0\"] .restore{fill:#f2a3a3}\n"
	".bar[data-ok=\"0\"] .replay,.failed{fill:#d62728}\n"
	".bar[data-ok=\"0\"] .plugin{fill:#8c1c1c}\n"
	".merge{fill:#2a9d8f}\n"
	".ckpt-area{fill:#cfe8c8}\n"
	".ckpt-line{fill:none;stroke:#2e7d32;stroke-width:1.5}\n"
	".ckpt-mark{fill:#2e7d32}\n";

/* Writes stop at the first error, which is kept for the message. */
struct out {
	FILE *f;
	int err;               /* errno of the first failed write, 0 if none */
};

/* Where everything goes: computed once from the input. */
struct layout {
	double end;            /* the axis' end (seconds), a whole number of steps */
	double step;           /* seconds between ticks: 1, 2 or 5 times a power of ten */
	int decimals;          /* of a tick label, enough to tell ticks apart */
	double px_per_s;
	u32 lanes;             /* rows, and one more for bars of unknown rows */
	double recording_y, lanes_y, merge_y, axis_y, legend_y, height;
};

/* What the heading counts. */
struct counts {
	u32 intervals, failed, reruns;
	u64 insns;
};

/* A bar as drawn: times clamped to sense, widths in px. */
struct segments {
	double start, end, restore, replay, plugin;
	double x, w_restore, w_replay, w_plugin;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	if (o->err)
		return;
	va_list ap;
	va_start(ap, fmt);
	errno = 0;
	if (vfprintf(o->f, fmt, ap) < 0)
		o->err = errno ? errno : EIO;
	va_end(ap);
}

static void put_char(struct out *o, char c)
{
	errno = 0;
	if (!o->err && putc(c, o->f) == EOF)
		o->err = errno ? errno : EIO;
}

/* Up to `max` bytes of s as HTML text: everything from outside goes
 * through here, so no string can open a tag or end an attribute. */
static void put_text_n(struct out *o, const char *s, size_t max)
{
	for (size_t k = 0; s && s[k] && k < max && !o->err; k++) {
		unsigned char c = (unsigned char)s[k];
		switch (c) {
		case '&': put(o, "&amp;"); break;
		case '<': put(o, "&lt;"); break;
		case '>': put(o, "&gt;"); break;
		case '"': put(o, "&quot;"); break;
		case '\'': put(o, "&#39;"); break;
		default:
			/* Control bytes are invalid in HTML text. */
			put_char(o, c < 0x20 && c != '\n' && c != '\t' ? '?' : (char)c);
		}
	}
}

static void put_text(struct out *o, const char *s)
{
	put_text_n(o, s, (size_t)-1);
}

/* A lane label that fits left of the plot: a long one is cut at a
 * UTF-8 character boundary and shown whole on hover. */
static void put_label(struct out *o, const char *s)
{
	size_t len = strlen(s), cut = LABEL_MAX - 2;
	if (len <= LABEL_MAX) {
		put_text(o, s);
		return;
	}
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	put(o, "<title>");
	put_text(o, s);
	put(o, "</title>");
	put_text_n(o, s, cut);
	put(o, "\u2026");
}

/* 1234567 as "1,234,567": instruction counts are long. */
static const char *grouped(char buf[32], u64 v)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v), j = 0;
	for (int k = 0; k < n; k++) {
		if (k && (n - k) % 3 == 0)
			buf[j++] = ',';
		buf[j++] = digits[k];
	}
	buf[j] = 0;
	return buf;
}

/* A time from outside as something safe to draw: finite, 0..MAX_SECONDS. */
static double seconds(double v)
{
	if (!isfinite(v) || v <= 0)
		return 0;
	return v < MAX_SECONDS ? v : MAX_SECONDS;
}

static bool has_merge(const struct timeline *t)
{
	return isfinite(t->merge_start) && t->merge_start >= 0;
}

static bool has_stray_bars(const struct timeline *t)
{
	for (u32 k = 0; k < t->nbars; k++)
		if (t->bars[k].row >= t->rows)
			return true;
	return false;
}

static double latest_time(const struct timeline *t)
{
	double s = seconds(t->wall);
	for (u32 k = 0; k < t->nbars; k++)
		s = fmax(s, fmax(seconds(t->bars[k].start), seconds(t->bars[k].end)));
	if (has_merge(t))
		s = fmax(s, fmax(seconds(t->merge_start), seconds(t->merge_end)));
	for (u32 k = 0; k < t->nmarks; k++)
		s = fmax(s, seconds(t->marks[k].at));
	return s;
}

/* The smallest 1-2-5 step giving at most MAX_TICKS steps: 5 to 10 of
 * them, whatever the span. */
static void choose_ticks(struct layout *l, double span)
{
	static const double mantissa[] = { 1, 2, 5 };
	if (span < MIN_SPAN)
		span = MIN_SPAN;
	for (int e = (int)floor(log10(span / MAX_TICKS));; e++) {
		for (unsigned m = 0; m < ARRAY_SIZE(mantissa); m++) {
			double step = mantissa[m] * pow(10, e);
			double steps = ceil(span / step - 1e-9); /* 3.0000000001 is 3 */
			if (steps <= MAX_TICKS) {
				l->step = step;
				l->end = steps * step;
				l->decimals = e < 0 ? -e : 0;
				return;
			}
		}
	}
}

static void lay_out(struct layout *l, const struct timeline *t)
{
	choose_ticks(l, latest_time(t));
	l->px_per_s = (PLOT_X1 - PLOT_X0) / l->end;
	l->lanes = t->rows + has_stray_bars(t);
	double y = TOP;
	l->recording_y = y;
	if (t->nmarks)
		y += RECORDING_H + 8;
	l->lanes_y = y;
	y += l->lanes * LANE_H;
	l->merge_y = y;
	if (has_merge(t))
		y += LANE_H;
	l->axis_y = y;
	l->legend_y = y + AXIS_H;
	l->height = l->legend_y + LEGEND_H;
}

static double x_at(const struct layout *l, double s)
{
	return PLOT_X0 + fmin(seconds(s), l->end) * l->px_per_s;
}

struct run_key {
	u32 interval, attempt;
	bool ok;
};

static int by_interval_then_attempt(const void *pa, const void *pb)
{
	const struct run_key *a = pa, *b = pb;
	if (a->interval != b->interval)
		return a->interval < b->interval ? -1 : 1;
	if (a->attempt != b->attempt)
		return a->attempt < b->attempt ? -1 : 1;
	return (int)a->ok - (int)b->ok;
}

/* An interval failed if its last attempt did; the others were re-runs. */
static int count_runs(const struct timeline *t, struct counts *c)
{
	struct run_key *keys = malloc((t->nbars ? t->nbars : 1) * sizeof(*keys));
	if (!keys)
		return -1;
	memset(c, 0, sizeof(*c));
	for (u32 k = 0; k < t->nbars; k++) {
		const struct timeline_bar *b = &t->bars[k];
		keys[k] = (struct run_key){ b->interval, b->attempt, b->ok };
		c->insns += b->insns;
	}
	qsort(keys, t->nbars, sizeof(*keys), by_interval_then_attempt);
	for (u32 k = 0; k < t->nbars; k++) {
		if (k + 1 < t->nbars && keys[k + 1].interval == keys[k].interval)
			continue;
		c->intervals++;
		c->failed += !keys[k].ok;
	}
	c->reruns = t->nbars - c->intervals;
	free(keys);
	return 0;
}

static void write_head(struct out *o, const struct timeline *t)
{
	put(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
	/* Even a string that got through unescaped could run or load nothing. */
	put(o, "<meta http-equiv=\"Content-Security-Policy\" "
	       "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
	put(o, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
	put(o, "<title>encore simulate: ");
	put_text(o, t->title);
	put(o, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", style);
}

static void write_summary(struct out *o, const struct timeline *t, const struct counts *c)
{
	char insns[32];
	put(o, "<h1>encore simulate: ");
	put_text(o, t->title);
	put(o, "</h1>\n<p class=\"mode\">");
	put_text(o, t->mode);
	put(o, "</p>\n<p class=\"counts\">wall time %.2f s &middot; %u intervals, %u failed",
	    seconds(t->wall), c->intervals, c->failed);
	if (c->reruns)
		put(o, ", %u re-run%s", c->reruns, c->reruns == 1 ? "" : "s");
	put(o, " &middot; %s instructions simulated</p>\n", grouped(insns, c->insns));
	if (t->nmarks) {
		const struct timeline_mark *m = &t->marks[t->nmarks - 1];
		put(o, "<p class=\"recording\">recording followed live: %s; last seen with %u "
		       "durable checkpoints, %s instructions</p>\n",
		    t->recording_final ? "it ended normally" : "it was cut short",
		    m->checkpoints, grouped(insns, m->insns));
	}
	put(o, "<p class=\"hint\">Hover over a bar for its details.</p>\n");
}

static void write_ticks(struct out *o, const struct layout *l)
{
	u32 steps = (u32)lround(l->end / l->step);
	for (u32 k = 0; k <= steps; k++) {
		double x = PLOT_X0 + k * l->step * l->px_per_s;
		put(o, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		    x, l->recording_y, x, l->axis_y + 5);
		put(o, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
		       "%.*f s</text>\n", x, l->axis_y + 19, l->decimals, k * l->step);
	}
	put(o, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
	    PLOT_X0, l->axis_y, PLOT_X1, l->axis_y);
	put(o, "<text class=\"note\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">since the run "
	       "began</text>\n", PLOT_X0 - 20, l->axis_y + 19);
}

/* A row's name, or its number when it has none (or is not one of rows). */
static const char *row_name(const struct timeline *t, u32 row, char buf[32])
{
	if (row < t->rows && t->row_names && t->row_names[row])
		return t->row_names[row];
	snprintf(buf, 32, "row %u", row);
	return buf;
}

/* A lane's background (every other one, to follow it across) and label. */
static void write_lane(struct out *o, u32 index, double y, const char *name)
{
	if (index % 2 == 0)
		put(o, "<rect class=\"stripe\" x=\"0\" y=\"%.1f\" width=\"%.0f\" "
		       "height=\"%.0f\"/>\n", y, VIEW_W, LANE_H);
	put(o, "<text class=\"lane\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", PLOT_X0 - 8,
	    y + LANE_H / 2 + 4);
	put_label(o, name);
	put(o, "</text>\n");
}

static void write_lanes(struct out *o, const struct timeline *t, const struct layout *l)
{
	char buf[32];
	for (u32 k = 0; k < l->lanes; k++) {
		const char *name = k < t->rows ? row_name(t, k, buf) : "other";
		write_lane(o, k, l->lanes_y + k * LANE_H, name);
	}
	if (has_merge(t))
		write_lane(o, l->lanes, l->merge_y, "merge (rank 0)");
}

/* Restore first, plugins last, replay in between; all clamped into the
 * bar, and the bar stretched to MIN_BAR_PX if it would vanish. */
static struct segments segments_of(const struct layout *l, const struct timeline_bar *b)
{
	struct segments s;
	s.start = fmin(seconds(b->start), l->end);
	s.end = fmin(fmax(s.start, seconds(b->end)), l->end);
	double length = s.end - s.start;
	s.restore = fmin(seconds(b->restore), length);
	s.plugin = fmin(seconds(b->plugin), length - s.restore);
	s.replay = (length - s.restore) - s.plugin;
	s.x = x_at(l, s.start);
	s.w_restore = s.restore * l->px_per_s;
	s.w_replay = s.replay * l->px_per_s;
	s.w_plugin = s.plugin * l->px_per_s;
	double width = s.w_restore + s.w_replay + s.w_plugin;
	if (width <= 0) {
		s.w_replay = MIN_BAR_PX;
	} else if (width < MIN_BAR_PX) {
		s.w_restore *= MIN_BAR_PX / width;
		s.w_replay *= MIN_BAR_PX / width;
		s.w_plugin *= MIN_BAR_PX / width;
	}
	return s;
}

/* The browser's own tooltip: everything known about the run. */
static void write_bar_title(struct out *o, const struct timeline_bar *b, const char *row,
			    const struct segments *s)
{
	char insns[32], pages[32];
	put(o, "<title>interval %u", b->interval);
	if (b->attempt > 1)
		put(o, ", attempt %u", b->attempt);
	put(o, ", on ");
	put_text(o, row);
	put(o, "\n%.3f\u2013%.3f s (%.3f s)\nrestore %.3f s, replay %.3f s, plugins %.3f s\n"
	       "%s instructions, %s pages loaded", s->start, s->end, s->end - s->start,
	    s->restore, s->replay, s->plugin, grouped(insns, b->insns), grouped(pages, b->pages));
	if (!b->ok) {
		put(o, "\nFAILED");
		if (b->message && b->message[0]) {
			put(o, ": ");
			put_text(o, b->message);
		}
	}
	put(o, "</title>");
}

static void write_bar(struct out *o, const struct timeline *t, const struct layout *l,
		      const struct timeline_bar *b)
{
	char buf[32];
	u32 lane = b->row < t->rows ? b->row : t->rows;
	struct segments s = segments_of(l, b);
	double y = l->lanes_y + lane * LANE_H + (LANE_H - BAR_H) / 2;
	put(o, "<g class=\"bar\" data-interval=\"%u\" data-attempt=\"%u\" data-ok=\"%d\" "
	       "data-row=\"%u\">", b->interval, b->attempt, b->ok ? 1 : 0, b->row);
	write_bar_title(o, b, row_name(t, b->row, buf), &s);
	put(o, "<rect class=\"restore\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\"/>",
	    s.x, y, s.w_restore, BAR_H);
	put(o, "<rect class=\"replay\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\"/>",
	    s.x + s.w_restore, y, s.w_replay, BAR_H);
	put(o, "<rect class=\"plugin\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\"/>"
	       "</g>\n", s.x + s.w_restore + s.w_replay, y, s.w_plugin, BAR_H);
}

static void write_merge(struct out *o, const struct timeline *t, const struct layout *l)
{
	if (!has_merge(t))
		return;
	double from = fmin(seconds(t->merge_start), l->end);
	double to = fmin(fmax(from, seconds(t->merge_end)), l->end);
	double width = fmax((to - from) * l->px_per_s, MIN_BAR_PX);
	put(o, "<rect class=\"merge\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\">"
	       "<title>rank 0 merging the outputs\n%.3f\u2013%.3f s (%.3f s)</title></rect>\n",
	    x_at(l, from), l->merge_y + (LANE_H - BAR_H) / 2, width, BAR_H, from, to, to - from);
}

static u32 most_checkpoints(const struct timeline *t)
{
	u32 most = 1; /* the scale's top; 1 so that none at all stays at 0 */
	for (u32 k = 0; k < t->nmarks; k++)
		if (t->marks[k].checkpoints > most)
			most = t->marks[k].checkpoints;
	return most;
}

/* The marks' times, never going back: a late report draws no loop. */
static double mark_time(const struct timeline *t, u32 k, double before)
{
	return fmax(before, seconds(t->marks[k].at));
}

/* Durable checkpoints over time as a step line over its shaded area,
 * `area` closing the shape on the lane's base line. */
static void write_steps(struct out *o, const struct timeline *t, const struct layout *l,
			bool area)
{
	double top = l->recording_y + 6, height = RECORDING_H - 12, base = top + height;
	double scale = height / most_checkpoints(t), at = 0;
	put(o, "<path class=\"%s\" d=\"", area ? "ckpt-area" : "ckpt-line");
	for (u32 k = 0; k < t->nmarks; k++) {
		at = mark_time(t, k, at);
		double y = base - t->marks[k].checkpoints * scale;
		if (k == 0 && area)
			put(o, "M%.2f %.1fV%.1f", x_at(l, at), base, y);
		else if (k == 0)
			put(o, "M%.2f %.1f", x_at(l, at), y);
		else
			put(o, "H%.2fV%.1f", x_at(l, at), y);
	}
	if (area)
		put(o, "V%.1fZ", base);
	put(o, "\"/>\n");
}

static void write_mark_points(struct out *o, const struct timeline *t, const struct layout *l)
{
	double base = l->recording_y + RECORDING_H - 6, at = 0;
	double scale = (RECORDING_H - 12) / most_checkpoints(t);
	char insns[32];
	for (u32 k = 0; k < t->nmarks; k++) {
		const struct timeline_mark *m = &t->marks[k];
		at = mark_time(t, k, at);
		put(o, "<circle class=\"ckpt-mark\" cx=\"%.2f\" cy=\"%.1f\" r=\"2.5\">"
		       "<title>%.3f s: %u durable checkpoints, %s instructions recorded</title>"
		       "</circle>\n",
		    x_at(l, at), base - m->checkpoints * scale, at, m->checkpoints,
		    grouped(insns, m->insns));
	}
}

static void write_recording(struct out *o, const struct timeline *t, const struct layout *l)
{
	if (!t->nmarks)
		return;
	double y = l->recording_y;
	put(o, "<g class=\"recording\">\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
	       "recording</text>\n", PLOT_X0 - 8, y + 16);
	put(o, "<text class=\"note\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">up to %u "
	       "checkpoints</text>\n", PLOT_X0 - 8, y + 31, most_checkpoints(t));
	put(o, "<text class=\"note\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
	    PLOT_X0 - 8, y + 46, t->recording_final ? "ended normally" : "cut short");
	write_steps(o, t, l, true);
	write_steps(o, t, l, false);
	write_mark_points(o, t, l);
	put(o, "</g>\n");
}

/* A swatch and its text; returns where the next one goes. */
static double write_legend_item(struct out *o, double x, double y, const char *cls,
				const char *text)
{
	put(o, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"12\"/>"
	       "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", cls, x, y, x + 20, y + 10, text);
	return x + 20 + strlen(text) * LEGEND_CHAR_W + 24;
}

static void write_legend(struct out *o, const struct timeline *t, const struct layout *l)
{
	static const char *const items[][2] = {
		{ "restore", "restoring the checkpoint" }, { "replay", "replay" },
		{ "plugin", "plugins (outputs)" }, { "failed", "failed" },
	};
	double x = PLOT_X0, y = l->legend_y + 6;
	put(o, "<g class=\"legend\">\n");
	for (unsigned k = 0; k < ARRAY_SIZE(items); k++)
		x = write_legend_item(o, x, y, items[k][0], items[k][1]);
	if (has_merge(t))
		x = write_legend_item(o, x, y, "merge", "merging (rank 0)");
	if (t->nmarks)
		write_legend_item(o, x, y, "ckpt-area", "durable checkpoints");
	put(o, "</g>\n");
}

static void write_svg(struct out *o, const struct timeline *t, const struct layout *l)
{
	put(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
	       "height=\"%.0f\" role=\"img\" aria-label=\"timeline of the intervals\">\n",
	    VIEW_W, l->height, VIEW_W, l->height);
	write_lanes(o, t, l);
	write_ticks(o, l);
	write_recording(o, t, l);
	for (u32 k = 0; k < t->nbars && !o->err; k++)
		write_bar(o, t, l, &t->bars[k]);
	write_merge(o, t, l);
	write_legend(o, t, l);
	put(o, "</svg>\n");
}

/* The whole page into `tmp`: 0, or the errno that stopped it. */
static int write_file(const char *tmp, const struct timeline *t, const struct counts *c)
{
	struct out o = { fopen(tmp, "we"), 0 };
	if (!o.f)
		return errno ? errno : EIO;
	struct layout l;
	lay_out(&l, t);
	write_head(&o, t);
	write_summary(&o, t, c);
	write_svg(&o, t, &l);
	put(&o, "</body>\n</html>\n");
	errno = 0;
	if (fclose(o.f) && !o.err)
		o.err = errno ? errno : EIO;
	return o.err;
}

int timeline__write(const char *path, const struct timeline *t, char *err, size_t n)
{
	struct counts c;
	size_t len = strlen(path);
	char *tmp = malloc(len + sizeof(".partial"));
	if (!tmp || count_runs(t, &c)) {
		free(tmp);
		snprintf(err, n, "cannot write %s: out of memory", path);
		return -1;
	}
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".partial", sizeof(".partial"));
	int e = write_file(tmp, t, &c);
	if (e) {
		snprintf(err, n, "cannot write %s: %s", path, strerror(e));
	} else if (rename(tmp, path)) {
		e = errno;
		snprintf(err, n, "cannot rename %s to %s: %s", tmp, path, strerror(e));
	}
	if (e)
		unlink(tmp); /* a half-written page must not linger */
	free(tmp);
	return e ? -1 : 0;
}
