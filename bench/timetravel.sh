#!/bin/bash
# Time travel under gdb (encore replay --gdb): the latency of stepi,
# reverse-stepi and reverse-continue (to the previous ksys_write) at
# positions spread over a recording of the default guest's boot and
# workload, at the default checkpoint interval (200M instructions) and at
# 50M, median and 95th percentile (bench/timetravel_gdb.py).  Prints
# Markdown; bench/run.sh includes it.
#   bench/timetravel.sh [BUILD]
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
GUEST=build/guest
OUT=$BUILD/bench/timetravel
SAMPLES=${BENCH_TT_SAMPLES:-20}
rm -rf "$OUT"
mkdir -p "$OUT"
export ENCORE_GUEST_DIR=$GUEST
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null' EXIT
command -v gdb >/dev/null || { echo "(time travel benchmark skipped: no gdb)"; exit 0; }

printf 'grep -w ksys_write /proc/kallsyms\nworkload\npoweroff -f\n' >"$OUT/lines"
record() { # NAME INTERVAL
	mkfifo "$OUT/$1.fifo"
	(
		exec 3<>"$OUT/$1.fifo"
		"$BUILD/encore" record -o "$OUT/$1" --interval "$2" <&3 2>"$OUT/$1.err" |
			guest/send-after-prompt 'encore# ' "$OUT/lines" "$OUT/$1.fifo" >"$OUT/$1.out"
	)
}

# measure NAME: the gdb session's RESULT line into NAME.json.
measure() {
	local rec=$OUT/$1 end bp port=
	end=$(sed -n 's/^instructions //p' "$rec/meta")
	bp=0x$(tr -d '\r' <"$OUT/$1.out" | awk '$3 == "ksys_write" { print $1; exit }')
	"$BUILD/encore" replay "$rec" --gdb 127.0.0.1:0 >/dev/null 2>"$OUT/$1.server" &
	server=$!
	for _ in $(seq 200); do
		port=$(grep -o '127\.0\.0\.1:[0-9]*' "$OUT/$1.server" | head -1 || true)
		[ -n "$port" ] && break
		sleep 0.05
	done
	gdb -batch -nx -x bench/timetravel_gdb.py -ex "target remote $port" \
		-ex "python measure($end, '$bp', $SAMPLES)" -ex kill >"$OUT/$1.gdb" 2>&1 || true
	wait "$server" || true
	server=
	sed -n 's/^RESULT //p' "$OUT/$1.gdb" >"$OUT/$1.json"
}

record default 200M
record small 50M
measure default
measure small

python3 - "$OUT" "$SAMPLES" <<'PY'
import json, statistics, sys
out, samples = sys.argv[1], int(sys.argv[2])
def q(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]
print('### Time travel under gdb (encore replay --gdb)\n')
print('Default guest, boot + workload (%s samples per operation at positions from a fixed seed; '
      'milliseconds, median / 95th percentile).\n' % samples)
print('| checkpoint interval | stepi | reverse-stepi (first) | reverse-stepi (second) | '
      'reverse-continue | reverse-continue distance (median instructions) |')
print('|---|---|---|---|---|---|')
for name, label in (('default', '200M (default)'), ('small', '50M')):
    try:
        d = json.load(open('%s/%s.json' % (out, name)))
    except (OSError, ValueError):
        print('| %s | (no result: see %s/%s.gdb) | | | | |' % (label, out, name))
        continue
    cell = lambda k: '%.1f / %.1f' % (1e3 * statistics.median(d[k]), 1e3 * q(d[k], 0.95))
    print('| %s | %s | %s | %s | %s | %d |' % (label, cell('stepi'), cell('reverse-stepi-1'),
          cell('reverse-stepi-2'), cell('reverse-continue'),
          statistics.median(d['reverse-continue-distance'])))
PY
