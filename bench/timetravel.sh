#!/bin/bash
# Time travel under gdb (encore replay --gdb): the latency of goto,
# stepi, reverse-stepi and reverse-continue (to the previous ksys_write)
# at positions spread over a recording of the default guest's boot and
# workload, at the default checkpoint interval (200M instructions) and at
# 50M, median and 95th percentile (bench/timetravel_gdb.py); and side by
# side with QEMU's record/replay (-icount rr=record/replay with an
# rrsnapshot at the start, its only snapshot; TCG), continuing from the
# start to the first ksys_write of the same kernel's boot and stepping
# back and forth there (BENCH_TT_QEMU=0 leaves QEMU out).  Prints
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
		-ex "python at_first_hit('$bp', 'encore')" -ex "monitor goto start" \
		-ex "python measure($end, '$bp', $SAMPLES)" -ex kill >"$OUT/$1.gdb" 2>&1 || true
	wait "$server" || true
	server=
	sed -n 's/^RESULT //p' "$OUT/$1.gdb" >"$OUT/$1.json"
	sed -n 's/^FIRSTHIT encore //p' "$OUT/$1.gdb" >"$OUT/$1.first.json"
}

# QEMU: record the boot (to the prompt, then poweroff) with a snapshot at
# the start, replay it under gdb, and the same steps at the first
# ksys_write (the kernel is not relocated: nokaslr).
qemu_measure() {
	local q=$OUT/qemu bp
	command -v qemu-system-x86_64 >/dev/null || return 0
	mkdir -p "$q"
	bp=0x$(tr -d '\r' <"$OUT/default.out" | awk '$3 == "ksys_write" { print $1; exit }')
	qemu-img create -f qcow2 "$q/snap.qcow2" 1G >/dev/null
	local args=(-M pc -m 256M -nographic -net none -kernel "$GUEST/vmlinuz"
		    -initrd "$GUEST/initramfs.cpio" -append "console=ttyS0 nokaslr"
		    -drive "file=$q/snap.qcow2,if=none,id=rr")
	printf 'poweroff -f\n' >"$q/lines"
	mkfifo "$q/fifo"
	(
		exec 3<>"$q/fifo"
		timeout 600 qemu-system-x86_64 "${args[@]}" \
			-icount "shift=auto,rr=record,rrfile=$q/rr.bin,rrsnapshot=init" <&3 2>&1 |
			guest/send-after-prompt 'encore# ' "$q/lines" "$q/fifo" >"$q/record.out"
	) || true
	local port
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	timeout 900 qemu-system-x86_64 "${args[@]}" -gdb "tcp:127.0.0.1:$port" -S \
		-icount "shift=auto,rr=replay,rrfile=$q/rr.bin,rrsnapshot=init" \
		</dev/null >"$q/replay.out" 2>&1 &
	server=$!
	sleep 1
	timeout 900 gdb -batch -nx -x bench/timetravel_gdb.py -ex "target remote 127.0.0.1:$port" \
		-ex "python at_first_hit('$bp', 'qemu')" -ex kill >"$q/gdb.out" 2>&1 || true
	kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	server=
	sed -n 's/^FIRSTHIT qemu //p' "$q/gdb.out" >"$OUT/qemu.first.json"
}

record default 200M
record small 50M
measure default
measure small
[ "${BENCH_TT_QEMU:-1}" = 0 ] || qemu_measure

python3 - "$OUT" "$SAMPLES" <<'PY'
import json, statistics, sys
out, samples = sys.argv[1], int(sys.argv[2])
def q(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]
print('### Time travel under gdb (encore replay --gdb)\n')
print('Default guest, boot + workload (%s samples per operation at positions from a fixed seed; '
      'milliseconds, median / 95th percentile).\n' % samples)
print('| checkpoint interval | goto (restore, replay) | stepi | reverse-stepi (first) | '
      'reverse-stepi (second) | reverse-continue | reverse-continue distance (median '
      'instructions) |')
print('|---|---|---|---|---|---|---|')
for name, label in (('default', '200M (default)'), ('small', '50M')):
    try:
        d = json.load(open('%s/%s.json' % (out, name)))
    except (OSError, ValueError):
        print('| %s | (no result: see %s/%s.gdb) | | | | |' % (label, out, name))
        continue
    cell = lambda k: '%.1f / %.1f' % (1e3 * statistics.median(d[k]), 1e3 * q(d[k], 0.95))
    print('| %s | %s | %s | %s | %s | %s | %d |' % (label, cell('goto'), cell('stepi'),
          cell('reverse-stepi-1'), cell('reverse-stepi-2'), cell('reverse-continue'),
          statistics.median(d['reverse-continue-distance'])))
print('\nAt the first ksys_write of the boot, from the start (seconds; each step '
      'three times):\n')
print('| replay | continue to the first ksys_write | stepi | reverse-stepi |')
print('|---|---|---|---|')
for name, label in (('default.first', 'encore, 200M interval'), ('small.first', 'encore, 50M'),
                    ('qemu.first', 'QEMU 7.2 (TCG, -icount rr, one snapshot at the start)')):
    try:
        d = json.loads(open('%s/%s.json' % (out, name)).read())
    except (OSError, ValueError):
        print('| %s | (no result) | | |' % label)
        continue
    f = lambda k: ' '.join('%.4f' % x for x in d[k])
    print('| %s | %.2f | %s | %s |' % (label, d['continue'][0], f('stepi'), f('reverse-stepi')))
PY
