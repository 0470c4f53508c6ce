#!/bin/bash
# encore simulate --follow and encore record --simulate: simulating a
# recording while it is written, on the echo guest (tests/guest/echo.c,
# input typed with a second's pause between keys, a checkpoint every 20M
# instructions: about 3 s of recording, dozens of intervals), with the
# plugins icount, coverage, syscalls and the example events.so:
#   - `simulate --follow` started as soon as the recording directory
#     exists: exit 0 once the recording is final, every interval exact;
#     its outputs (merged and per interval) byte-identical to those of a
#     `simulate -j 2` run after the recording ended; its timeline.html has
#     a "recording" row whose marks (durable checkpoints) grew over the
#     seconds of recording up to the last checkpoint, "ended normally",
#     and passes tests/e2e/helpers/check_timeline.sh (Chromium; skipped
#     without it);
#   - `--follow` on a finished recording simulates it all: the same
#     outputs;
#   - a recorder killed with SIGKILL 1.5 s in, while --follow runs: the
#     follower exits 0 saying it simulated the complete prefix of K
#     intervals (up to checkpoint K), every one exact, its timeline says
#     "cut short"; a plain simulate of the cut recording says it was cut
#     short after checkpoint K and writes the same outputs; so does a
#     --follow started after the recorder died;
#   - `record --simulate SPEC... -j 2 --simulate-out DIR`: exit 0, a line
#     saying where the results are; DIR has the merged outputs,
#     summary.txt (all exact), timeline.html (followed live) and
#     simulate.log; outputs identical to a simulate run after recording;
#     without --simulate-out, DIR is REC.sim;
#   - bad usage (--follow with --serial or --intervals; record's -j or
#     --simulate-out without --simulate, record --simulate with a plugin
#     that does not load): exit 2, a message, nothing
#     created.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST_DIR=${GUEST_DIR:-build/guests}
ECHO_GUEST=$GUEST_DIR/echo.elf
EVENTS_SO=$(dirname "$ENCORE")/plugins/events.so
# A bound on each run: a follower that never ends fails instead of hanging.
TIMEOUT=${TIMEOUT:-120}
tmp=$(mktemp -d)
# Background jobs still running (after a failure) are ours: end them by pid.
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

for f in "$ECHO_GUEST" "$ENCORE" "$EVENTS_SO"; do
	[ -f "$f" ] || { echo "simulate_follow.sh: $f is missing (make)" >&2; exit 1; }
done

# ---- helpers ----
. tests/e2e/helpers/simulate.sh
# memtrace too: its frames must not depend on how many intervals the
# recording had when each was simulated.
plugins=(--plugin icount --plugin coverage --plugin syscalls --plugin memtrace --plugin "$EVENTS_SO")
merged="icount.txt coverage.txt syscalls.txt memtrace.zst events.txt"
# The input, typed over about 3 s; the guest ends at 'q'.
slow() { printf ab; sleep 1; printf cd; sleep 1; printf e; sleep 1; printf q; }
# wait_for_meta REC: until REC/meta exists (the recording has begun), at
# most 20 s.
wait_for_meta() {
	local _
	for _ in $(seq 400); do
		[ -e "$1/meta" ] && return 0
		sleep 0.05
	done
	return 1
}
# intervals REC: how many intervals REC's checkpoints make (0 if none).
intervals() {
	"$ENCORE" inspect --json "$1" 2>/dev/null |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["checkpoints"]) - 1)' 2>/dev/null ||
		echo 0
}
# same_files A B: A's outputs (merged and per interval) are byte-identical
# to B's, and neither has others; the reports (summary, timeline, log)
# differ by nature.
same_files() {
	diff -r -q -x summary.txt -x timeline.html -x simulate.log "$1" "$2" >"$tmp/diff.out" 2>&1
}
# has_merged DIR: every plugin's merged output is in DIR, not empty.
has_merged() {
	local f
	for f in $merged; do [ -s "$1/$f" ] || return 1; done
}
# followed PAGE STATE CKPTS MIN-SPREAD: the timeline PAGE of a --follow run
# says the recording "ended normally" or was "cut short" (STATE), last
# seen with CKPTS durable checkpoints; its recording row has marks whose
# checkpoint counts rise strictly, at times that never go back, up to
# CKPTS, and its first and last marks are at least MIN-SPREAD seconds
# apart (the follower watched the recording grow).  Prints "MARKS SPREAD".
followed() {
	python3 - "$@" <<'PY'
import re, sys
page, state, ckpts, spread = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
s = open(page).read()
p = re.search(r'<p class="recording">recording followed live: it (ended normally|was cut short); '
              r'last seen with (\d+) durable checkpoints', s)
assert p, "no 'recording followed live' paragraph"
assert p.group(1).replace("was ", "") == state, "the page says '%s', want '%s'" % (p.group(1), state)
assert int(p.group(2)) == ckpts, "last seen with %s checkpoints, want %d" % (p.group(2), ckpts)
row = re.search(r'<g class="recording">.*?</g>', s, re.S)
assert row and ">%s</text>" % state in row.group(0), "no recording row saying '%s'" % state
marks = [(float(t), int(c)) for t, c in re.findall(
    r'<circle class="ckpt-mark"[^>]*><title>([0-9.]+) s: (\d+) durable checkpoints', row.group(0))]
assert len(marks) >= 2, "marks %s" % marks
assert all(a[1] < b[1] and a[0] <= b[0] for a, b in zip(marks, marks[1:])), "marks %s" % marks
assert marks[-1][1] == ckpts, "the last mark has %d checkpoints, want %d" % (marks[-1][1], ckpts)
got = marks[-1][0] - marks[0][0]
assert got >= spread, "marks over %.3f s only, want %.1f s or more" % (got, spread)
print(len(marks), "%.1f" % got)
PY
}
# timeline_ok PAGE N WHAT: check_timeline.sh on PAGE.
timeline_ok() {
	bash tests/e2e/helpers/check_timeline.sh "$1" "$2" >"$tmp/tl.out" 2>&1
	case $? in
	0) ok "$3: the page renders in Chromium: $(tail -n 1 "$tmp/tl.out" | sed 's/^.*: ok: //')" ;;
	77) skip "$3: the page in Chromium" "$(tail -n 1 "$tmp/tl.out")" ;;
	*) not_ok "$3: check_timeline.sh $1 $2" "$tmp/tl.out" ;;
	esac
}
# expect NAME PATTERN COMMAND...: COMMAND exits 2 and prints on stderr a
# line matching PATTERN.
expect() {
	local name=$1 pattern=$2; shift 2
	timeout "$TIMEOUT" "$@" >/dev/null 2>"$tmp/cmd.out" </dev/null
	local got=$?
	if [ $got = 2 ] && grep -qE -- "$pattern" "$tmp/cmd.out"; then
		ok "$name: exit 2, $(grep -E -m1 -- "$pattern" "$tmp/cmd.out" | cut -c1-150)"
	else
		not_ok "$name (exit $got, want 2, pattern '$pattern')" "$tmp/cmd.out"
	fi
}

# ---- --follow while the recording is written ----
slow | timeout "$TIMEOUT" "$ENCORE" record -o "$tmp/rec" --kernel "$ECHO_GUEST" --interval 20M \
	>"$tmp/rec.out" 2>"$tmp/rec.err" &
recorder=$!
if ! wait_for_meta "$tmp/rec"; then
	not_ok "record: no $tmp/rec/meta after 20 s" "$tmp/rec.err"
	finish; exit
fi
sim live "$tmp/rec" --follow -j 2 "${plugins[@]}" -o "$tmp/live"
rc_live=$rc secs_live=$secs
wait $recorder
rc=$?
n=$(intervals "$tmp/rec")
last=$((n - 1))
if [ $rc = 0 ] && [ "$n" -ge 4 ] && grep -q '^state complete' "$tmp/rec/meta"; then
	ok "record: exit 0, $n intervals (0 to $last)"
else
	not_ok "record (exit $rc, $n intervals)" "$tmp/rec.err"
	finish; exit
fi
all=$(seq -s ' ' 0 $last)
if [ $rc_live = 0 ] && has_merged "$tmp/live" &&
   summary_is "$tmp/live/summary.txt" "$all" 2>"$tmp/check.err" &&
   ! grep -q 'stopped before' "$tmp/live.err"; then
	ok "--follow from the recording's start: exit 0 when it ended, all $n intervals exact, merged $merged (${secs_live} s)"
else
	not_ok "--follow from the recording's start (exit $rc_live)" "$tmp/live.err"
	cat "$tmp/check.err"
fi
sim after "$tmp/rec" -j 2 "${plugins[@]}" -o "$tmp/after"
if [ $rc = 0 ] && summary_is "$tmp/after/summary.txt" "$all" 2>"$tmp/check.err" &&
   same_files "$tmp/live" "$tmp/after"; then
	ok "  ...outputs byte-identical to simulate -j 2 after the recording ($(find "$tmp/after" -type f | wc -l) files)"
else
	not_ok "  ...outputs differ from simulate -j 2 after the recording (exit $rc)" "$tmp/diff.out"
	cat "$tmp/check.err"
fi
# The recording took about 3 s after the follower began: its marks span
# more than one.
if got=$(followed "$tmp/live/timeline.html" "ended normally" $((n + 1)) 1.0 2>"$tmp/check.err"); then
	ok "  ...timeline.html: a recording row, ended normally, $((n + 1)) checkpoints, ${got% *} marks rising over ${got#* } s"
else
	not_ok "  ...timeline.html's recording row" "$tmp/check.err"
fi
timeline_ok "$tmp/live/timeline.html" "$n" "  ...timeline.html"

# ---- --follow on a finished recording ----
sim done "$tmp/rec" --follow "${plugins[@]}" -o "$tmp/done"
if [ $rc = 0 ] && summary_is "$tmp/done/summary.txt" "$all" 2>"$tmp/check.err" &&
   same_files "$tmp/done" "$tmp/after"; then
	ok "--follow on a finished recording: exit 0, all $n intervals exact, the same outputs (${secs} s)"
else
	not_ok "--follow on a finished recording (exit $rc)" "$tmp/done.err"
	cat "$tmp/check.err" "$tmp/diff.out"
fi

# ---- a recorder killed while --follow runs ----
# Its input from a fifo, so that $! is encore itself; the writer dies of
# SIGPIPE at its next key once encore is gone.
mkfifo "$tmp/cut.in"
"$ENCORE" record -o "$tmp/cut" --kernel "$ECHO_GUEST" --interval 20M <"$tmp/cut.in" \
	>"$tmp/cut.out" 2>"$tmp/cut.err" &
recorder=$!
slow >"$tmp/cut.in" &
writer=$!
if wait_for_meta "$tmp/cut"; then
	timeout "$TIMEOUT" "$ENCORE" simulate -q "$tmp/cut" --follow -j 2 "${plugins[@]}" \
		-o "$tmp/cutlive" >"$tmp/cutlive.out" 2>"$tmp/cutlive.err" </dev/null &
	follower=$!
	sleep 1.5
fi
# (stderr: not bash's "Killed" line)
{ kill -KILL $recorder; wait $recorder; rc_rec=$?; wait $writer; } 2>/dev/null
rc=124
[ -n "${follower:-}" ] && { wait $follower; rc=$?; }
k=$(sed -n 's/.*simulated its complete prefix, \([0-9]*\) intervals\{0,1\} (up to checkpoint \1)$/\1/p' \
	"$tmp/cutlive.err")
if [ $rc_rec = 137 ] && grep -q '^state recording' "$tmp/cut/meta" && [ $rc = 0 ] &&
   [ "${k:-0}" -ge 2 ] &&
   grep -qx "encore simulate: the recorder of $tmp/cut stopped before the recording was complete (killed?): simulated its complete prefix, $k intervals (up to checkpoint $k)" "$tmp/cutlive.err" &&
   has_merged "$tmp/cutlive" &&
   summary_is "$tmp/cutlive/summary.txt" "$(seq -s ' ' 0 $((k - 1)))" 2>"$tmp/check.err"; then
	ok "recorder SIGKILLed 1.5 s in, during --follow: exit 0, the complete prefix simulated, $k intervals all exact"
	grep 'stopped before' "$tmp/cutlive.err" | cut -c1-200 | sed 's/^/#   /'
else
	not_ok "recorder SIGKILLed during --follow (record exit $rc_rec, follow exit $rc, prefix '$k')" \
		"$tmp/cutlive.err"
	cat "$tmp/check.err" 2>/dev/null
fi
k=${k:-0}
if got=$(followed "$tmp/cutlive/timeline.html" "cut short" $((k + 1)) 0.5 2>"$tmp/check.err"); then
	ok "  ...timeline.html: a recording row, cut short, $((k + 1)) checkpoints, ${got% *} marks rising over ${got#* } s"
else
	not_ok "  ...timeline.html's recording row" "$tmp/check.err"
fi
sim cutafter "$tmp/cut" -j 2 "${plugins[@]}" -o "$tmp/cutafter"
if [ $rc = 0 ] &&
   grep -qx "encore simulate: $tmp/cut was cut short: its last stretch after checkpoint $k is not simulated" "$tmp/cutafter.err" &&
   same_files "$tmp/cutlive" "$tmp/cutafter"; then
	ok "  ...simulate -j 2 of the cut recording: exit 0, cut short after checkpoint $k, the same outputs"
else
	not_ok "  ...simulate -j 2 of the cut recording (exit $rc)" "$tmp/cutafter.err"
	cat "$tmp/diff.out"
fi
sim cutdone "$tmp/cut" --follow -j 2 "${plugins[@]}" -o "$tmp/cutdone"
if [ $rc = 0 ] && grep -q "stopped before the recording was complete (killed?): simulated its complete prefix, $k intervals (up to checkpoint $k)$" "$tmp/cutdone.err" &&
   same_files "$tmp/cutdone" "$tmp/cutafter"; then
	ok "  ...--follow started after the recorder died: exit 0, the same prefix of $k intervals, the same outputs"
else
	not_ok "  ...--follow started after the recorder died (exit $rc)" "$tmp/cutdone.err"
	cat "$tmp/diff.out"
fi

# ---- record --simulate ----
specs=(--simulate icount --simulate coverage --simulate syscalls --simulate memtrace
	--simulate "$EVENTS_SO")
t0=$EPOCHREALTIME
slow | timeout "$TIMEOUT" "$ENCORE" record -o "$tmp/rs" --kernel "$ECHO_GUEST" --interval 20M \
	"${specs[@]}" -j 2 --simulate-out "$tmp/rs.out.d" >"$tmp/rs.out" 2>"$tmp/rs.err"
rc=$? secs=$(elapsed "$t0")
m=$(intervals "$tmp/rs")
d=$tmp/rs.out.d
if [ $rc = 0 ] && [ "$m" -ge 4 ] && grep -q '^state complete' "$tmp/rs/meta" &&
   grep -qx "encore record: simulated every interval while recording: $d (report: $d/simulate.log)" "$tmp/rs.err" &&
   has_merged "$d" && [ -s "$d/timeline.html" ] && [ -s "$d/simulate.log" ] &&
   summary_is "$d/summary.txt" "$(seq -s ' ' 0 $((m - 1)))" 2>"$tmp/check.err" &&
   [ ! -e "$tmp/rs.sim" ]; then
	ok "record --simulate x5 -j 2 --simulate-out DIR: exit 0, $m intervals all exact in DIR/summary.txt, merged outputs, timeline.html, simulate.log (${secs} s)"
else
	not_ok "record --simulate --simulate-out (exit $rc, $m intervals)" "$tmp/rs.err"
	cat "$tmp/check.err"
fi
sim rsafter "$tmp/rs" -j 2 "${plugins[@]}" -o "$tmp/rsafter"
if [ $rc = 0 ] && same_files "$d" "$tmp/rsafter"; then
	ok "  ...outputs byte-identical to simulate -j 2 after the recording ($(find "$tmp/rsafter" -type f | wc -l) files)"
else
	not_ok "  ...outputs differ from simulate -j 2 after the recording (exit $rc)" "$tmp/diff.out"
fi
if got=$(followed "$d/timeline.html" "ended normally" $((m + 1)) 1.0 2>"$tmp/check.err"); then
	ok "  ...its timeline.html: followed live, ${got% *} marks rising over ${got#* } s to $((m + 1)) checkpoints"
else
	not_ok "  ...its timeline.html's recording row" "$tmp/check.err"
fi
# The default DIR, on a recording of one interval.
printf abq | timeout "$TIMEOUT" "$ENCORE" record -o "$tmp/quick" --kernel "$ECHO_GUEST" \
	--simulate icount >"$tmp/quick.out" 2>"$tmp/quick.err"
rc=$?
sim quickafter "$tmp/quick" --plugin icount -o "$tmp/quickafter"
if [ $rc = 0 ] &&
   grep -qx "encore record: simulated every interval while recording: $tmp/quick.sim (report: $tmp/quick.sim/simulate.log)" "$tmp/quick.err" &&
   [ -s "$tmp/quick.sim/simulate.log" ] && [ -s "$tmp/quick.sim/icount.txt" ] &&
   same_files "$tmp/quick.sim" "$tmp/quickafter"; then
	ok "record --simulate icount without --simulate-out: the results in REC.sim, as simulate's after"
else
	not_ok "record --simulate icount without --simulate-out (exit $rc)" "$tmp/quick.err"
	cat "$tmp/diff.out"
fi

# ---- bad usage ----
expect "--follow --serial" "--follow simulates every interval as it comes: not with --serial or --intervals" \
	"$ENCORE" simulate "$tmp/rec" --follow --serial --plugin icount -o "$tmp/u1"
expect "--follow --intervals 0" "--follow simulates every interval as it comes: not with --serial or --intervals" \
	"$ENCORE" simulate "$tmp/rec" --follow --intervals 0 --plugin icount -o "$tmp/u2"
expect "record -j 2 without --simulate" "-j and --simulate-out go with --simulate" \
	"$ENCORE" record -o "$tmp/u3" --kernel "$ECHO_GUEST" -j 2
expect "record --simulate-out without --simulate" "-j and --simulate-out go with --simulate" \
	"$ENCORE" record -o "$tmp/u4" --kernel "$ECHO_GUEST" --simulate-out "$tmp/u5"
expect "record --simulate with an unknown plugin (refused before recording)" \
	"--simulate nosuch: unknown plugin 'nosuch'" \
	"$ENCORE" record -o "$tmp/u6" --kernel "$ECHO_GUEST" --simulate nosuch
expect "record --simulate with a bad plugin option" "--simulate icount,bar=1: .*unknown option" \
	"$ENCORE" record -o "$tmp/u7" --kernel "$ECHO_GUEST" --simulate icount,bar=1
if [ -z "$(ls -d "$tmp"/u* 2>/dev/null)" ]; then
	ok "  ...none of them created a directory"
else
	not_ok "  ...a usage error created $(ls -d "$tmp"/u* | tr '\n' ' ')"
fi

finish
