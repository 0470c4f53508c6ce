#!/bin/bash
# check_timeline.sh PAGE N: opens PAGE (a timeline.html of encore
# simulate over intervals 0..N-1) in headless Chromium, once, and checks
#  (a) it loads cleanly: no console message at all (the page has no
#      script, so any message is an error: a script error, a load the
#      page's Content-Security-Policy blocked...), and nothing loaded but
#      the page itself;
#  (b) the DOM after load: exactly N first runs (<g class="bar"
#      data-attempt="1">), one per interval 0..N-1, any other bar a re-run
#      (attempt 2..) of one of them; no script, no src or href;
#  (c) the screenshot (1300x900) is not blank and shows bar colours.
# Exit 0 = ok, 1 = failed (why on stderr), 77 = chromium not installed
# (the caller skips).  CHROMIUM overrides the browser; about 1-2 s.
#
# What Chromium (Debian's, 156) prints that this relies on, with
# --enable-logging=stderr and the --vmodule below:
#   ...:INFO:CONSOLE:1] "Uncaught ReferenceError: ...", source: URL (1)
#   ...:VERBOSE1:...file_url_loader_factory.cc:NNN] FileURLLoader::Start: URL
#   ...:VERBOSE2:...renderer_url_loader_throttle.cc:NNN] WillStartRequest : Skipping: URL : kImage
# A missing file:// image prints no console message, hence the loader
# lines; the page's own FileURLLoader line must be there, so that a
# Chromium which stopped printing them fails here instead of passing.
set -u
page=${1:?usage: check_timeline.sh PAGE N}
want=${2:?usage: check_timeline.sh PAGE N}
chromium=${CHROMIUM:-chromium}
fail() { echo "check_timeline: $page: $*" >&2; exit 1; }

command -v "$chromium" >/dev/null 2>&1 || { echo "chromium not installed"; exit 77; }
[ -f "$page" ] || fail "no such file"
[[ $want =~ ^[0-9]+$ ]] || fail "N must be a number, not '$want'"
url=$(python3 -c 'import pathlib, sys; print(pathlib.Path(sys.argv[1]).resolve().as_uri())' "$page")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --no-sandbox: we run as root.  --force-color-profile: the screenshot's
# colours are the page's, exactly.  timeout kills the whole process group.
timeout -k 2 15 "$chromium" --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/profile" \
	--no-first-run --force-color-profile=srgb --hide-scrollbars \
	--enable-logging=stderr --v=0 \
	--vmodule=file_url_loader_factory=1,renderer_url_loader_throttle=2 \
	--window-size=1300,900 --screenshot="$tmp/shot.png" --dump-dom "$url" \
	>"$tmp/dom" 2>"$tmp/log" </dev/null
rc=$?
[ $rc = 124 ] && fail "chromium did not finish within 15 s"
[ $rc = 0 ] || fail "chromium exited with $rc: $(tail -n 3 "$tmp/log")"

python3 - "$page" "$url" "$want" "$tmp/log" "$tmp/dom" "$tmp/shot.png" <<'PY' || exit 1
import html.parser, re, struct, sys, zlib
from collections import Counter
from urllib.parse import unquote

page, url, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
log_path, dom_path, shot_path = sys.argv[4:]
problems = []

# (a) the log: console messages, loads.
console, loads, requests = [], [], []
for line in open(log_path, errors="replace"):
    line = line.rstrip("\n")
    if re.search(r":CONSOLE[:(]", line):
        console.append(line.split("] ", 1)[-1])
    m = re.search(r"FileURLLoader::Start: (\S+)", line)
    if m:
        loads.append(m.group(1))
    m = re.search(r"WillStartRequest : \S+: (\S+) : (\w+)", line)
    if m:
        requests.append("%s (%s)" % (m.group(1), m.group(2)))
for c in console:
    problems.append("console: " + c)
if unquote(url) not in map(unquote, loads):
    problems.append("Chromium's log shows no load of the page itself: cannot tell what it loaded")
for other in sorted({unquote(u) for u in loads} - {unquote(url)}):
    problems.append("loads another file: " + other)
for r in requests:
    problems.append("requests a resource: " + r)

# (b) the DOM after load.
class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.bars, self.scripts, self.refs, self.svgs = [], 0, [], 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "g" and (a.get("class") or "").split() == ["bar"]:
            self.bars.append((a.get("data-interval"), a.get("data-attempt"), a.get("data-ok")))
        self.scripts += tag == "script"
        self.svgs += tag == "svg"
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "srcset", "action") or k.startswith("on"):
                self.refs.append("<%s %s=%r>" % (tag, k, v))

dom = Dom()
dom.feed(open(dom_path, errors="replace").read())
if dom.svgs != 1:
    problems.append("%d <svg> elements, want 1" % dom.svgs)
if dom.scripts:
    problems.append("%d <script> elements" % dom.scripts)
for r in dom.refs:
    problems.append("a reference or handler: " + r)
first = Counter()
for interval, attempt, ok in dom.bars:
    if not (interval or "").isdigit() or int(interval) >= want:
        problems.append("a bar of interval %r, want 0..%d" % (interval, want - 1))
    elif not (attempt or "").isdigit() or int(attempt) < 1 or ok not in ("0", "1"):
        problems.append("interval %s: data-attempt %r, data-ok %r" % (interval, attempt, ok))
    elif attempt == "1":
        first[int(interval)] += 1
missing = [k for k in range(want) if first[k] == 0]
twice = sorted(k for k, n in first.items() if n > 1)
if missing:
    problems.append("no first run of interval(s) %s" % " ".join(map(str, missing[:20])))
if twice:
    problems.append("two first runs of interval(s) %s" % " ".join(map(str, twice[:20])))

# (c) the screenshot: decoded here (only the stdlib is sure to be there).
def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, head = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    w, h, depth, ctype, _, _, interlace = head
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("an unexpected PNG format %s" % (head,))
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    prev, rows = bytearray(stride), []
    for y in range(h):
        f, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                row[i] = (row[i] + row[i - bpp]) & 255
        elif f == 2:
            row = bytearray((a + b) & 255 for a, b in zip(row, prev))
        elif f == 3:
            for i in range(stride):
                row[i] = (row[i] + ((row[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
        elif f == 4:
            for i in range(stride):
                a = row[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(row))
        prev = row
    return w, h, Counter(r[i:i + 3] for r in rows for i in range(0, stride, bpp))

BAR_COLOURS = [(0xe9, 0xa2, 0x3b), (0x3d, 0x7d, 0xd8), (0x8e, 0x5b, 0xd0), (0xd6, 0x27, 0x28)]
try:
    w, h, colours = pixels(shot_path)
    background = colours.most_common(1)[0][1] / (w * h)
    bar_pixels = sum(n for c, n in colours.items()
                     if any(max(abs(x - y) for x, y in zip(c, b)) <= 4 for b in BAR_COLOURS))
    if (w, h) != (1300, 900):
        problems.append("screenshot is %dx%d, want 1300x900" % (w, h))
    if len(colours) < 8 or background > 0.995:
        problems.append("screenshot looks blank: %d colours, %.1f%% background"
                        % (len(colours), 100 * background))
    if want and bar_pixels < 10:
        problems.append("screenshot shows no bars (%d pixels of bar colours)" % bar_pixels)
except (OSError, ValueError, TypeError, zlib.error, struct.error) as e:
    problems.append("screenshot: %s" % e)

for p in problems[:30]:
    print("check_timeline: %s: %s" % (page, p), file=sys.stderr)
if problems:
    sys.exit(1)
print("check_timeline: %s: ok: %d bars of %d intervals, %d loads, %d colours on screen"
      % (page, len(dom.bars), want, len(loads), len(colours)))
PY
