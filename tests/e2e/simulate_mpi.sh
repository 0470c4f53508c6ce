#!/bin/bash
# encore simulate --mpi (mpirun -np N: rank 0 schedules and merges, the
# other ranks run intervals) on the echo guest (tests/guest/echo.c, a
# checkpoint every 20M instructions):
#   - bad usage: --mpi outside mpirun, under mpirun -np 1, with -j;
#     --mpi-ship without --mpi: exit 2 and a message saying what is wrong;
#   - every built-in plugin and events.so: -j 1, -j 2, mpirun -np 3 --mpi
#     (the ranks read the recording themselves) and mpirun -np 3 --mpi
#     --mpi-ship (it and the outputs go over MPI) all exit 0, every
#     interval exact, merged and per-interval outputs byte-identical;
#     ranks started in another directory, where the recording's relative
#     path names nothing, are shipped it without --mpi-ship, and refused
#     with --mpi-shared;
#     summary.txt says how the ranks got the recording, stderr how many
#     bytes of it were shipped;
#   - a worker's job process killed (SIGKILL) mid-interval, under MPI and
#     with -j 2: the interval runs again, exit 1, workers-lost: 1,
#     the outputs those of a clean -j 1 run;
#   - a rank stopped (SIGSTOP) with --mpi-timeout 3: rank 0 declares it
#     lost, reruns its interval, writes the outputs and ends every rank
#     (mpirun exits 1); no process of the run is left stopped;
#   - a rank killed outright under mpirun --enable-recovery: rank 0
#     declares it lost after --mpi-timeout and reruns its interval
#     (summary.txt; Open MPI's exit status is 0 then, whatever rank 0's);
#   - the timeline pages of -j 2 and --mpi-ship in headless Chromium
#     (tests/e2e/helpers/check_timeline.sh; skipped without Chromium).
# Skips (77) when mpirun is not installed or encore was built without MPI.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST_DIR=${GUEST_DIR:-build/guests}
TIMEOUT=${TIMEOUT:-120}
ECHO_GUEST=$GUEST_DIR/echo.elf
EVENTS_SO=$(realpath -m "$(dirname "$ENCORE")/plugins/events.so") # absolute: some ranks run elsewhere
STALL_SO=$(dirname "$ENCORE")/test-plugins/stall.so
tmp=$(mktemp -d)
bg= stopped=
# Whatever of a background run is left (a failed check may leave one),
# and the processes this script stopped, if they still exist.
cleanup() {
	[ -n "$bg" ] && kill "$bg" 2>/dev/null
	for p in $stopped; do
		[ "$(ps -o comm= -p "$p" 2>/dev/null)" = encore ] && kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

for f in "$ECHO_GUEST" "$ENCORE" "$EVENTS_SO" "$STALL_SO"; do
	[ -f "$f" ] || { echo "simulate_mpi.sh: $f is missing (make)" >&2; exit 1; }
done
command -v mpirun >/dev/null || { echo "skipped: mpirun is not installed (Debian: openmpi-bin)"; exit 77; }
"$ENCORE" simulate -q "$tmp/none" --mpi >/dev/null 2>"$tmp/probe.err" </dev/null
if grep -q "built without MPI" "$tmp/probe.err"; then
	echo "skipped: $ENCORE was built without MPI (Debian: libopenmpi-dev, then rebuild)"
	exit 77
fi
# Open MPI refuses root unless told twice; two cores run three ranks.
if [ "$(id -u)" = 0 ]; then
	export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

# ---- helpers ----
. tests/e2e/helpers/simulate.sh
# mpisim NAME NP ARGS...: `mpirun -np NP encore simulate -q ARGS --mpi`,
# like sim: output in $tmp/NAME.{out,err}, exit status in $rc, wall time
# in $secs.
mpisim() {
	local name=$1 np=$2; shift 2
	local t0=$EPOCHREALTIME
	timeout "$TIMEOUT" mpirun "${rank_env[@]}" --oversubscribe -np "$np" "$ENCORE" simulate -q "$@" --mpi \
		>"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	rc=$?
	secs=$(elapsed "$t0")
}
# start NAME CMD...: CMD in the background (under timeout), output in
# $tmp/NAME.{out,err}; its pid in $bg.  finish_bg then sets $rc and $secs.
start() {
	local name=$1; shift
	t0=$EPOCHREALTIME
	timeout "$TIMEOUT" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null &
	bg=$!
}
finish_bg() {
	wait "$bg"
	rc=$?
	bg=
	secs=$(elapsed "$t0")
}
# job_under ROOT: a job process below process ROOT: an `encore` whose
# parent is an `encore` too (the simulate process of -j N, or an MPI
# rank).  Chosen by command name, never by arguments (mpirun's own
# contain "encore simulate"), and only below ROOT (other tests may be
# running encore simulate at the same time).
job_under() {
	ps -e -o pid=,ppid=,comm= | awk -v root="$1" '
		{ parent[$1] = $2; comm[$1] = $3 }
		END {
			for (p in comm) {
				if (comm[p] != "encore" || comm[parent[p]] != "encore")
					continue
				for (a = parent[p]; a > 1; a = parent[a])
					if (a == root) { print p; exit }
			}
		}'
}
# wait_job ROOT: waits (up to 20 s) for a job process below ROOT and
# prints its pid.
wait_job() {
	local deadline=$((SECONDS + 20)) p
	while [ $SECONDS -lt $deadline ]; do
		p=$(job_under "$1")
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.05
	done
	return 1
}
# same_files A B: the files of A (but summary.txt and timeline.html),
# OUT/intervals/ included, are byte-identical to B's and B has no others.
same_files() {
	diff -r -q -x summary.txt -x timeline.html "$1" "$2" >"$tmp/diff.out" 2>&1
}
# expect_usage WHAT PATTERN RUNNER NAME ARGS...: `RUNNER NAME ARGS` (sim or
# mpisim) exits 2 and prints a line matching PATTERN.
expect_usage() {
	local what=$1 pattern=$2 name=$4
	shift 2
	"$@"
	if [ $rc = 2 ] && grep -qE -- "$pattern" "$tmp/$name.err"; then
		ok "$what: exit 2, $(grep -E -m1 -- "$pattern" "$tmp/$name.err" | cut -c1-150)"
	else
		not_ok "$what (exit $rc, want 2 and '$pattern')" "$tmp/$name.err"
	fi
}
# check_page WHAT OUT [N]: OUT/timeline.html (of N intervals, default all) in
# headless Chromium.
check_page() {
	local count=${3:-$n}
	tests/e2e/helpers/check_timeline.sh "$2/timeline.html" "$count" >"$tmp/page.out" 2>&1
	case $? in
	0) ok "timeline of $1 in Chromium: loads cleanly, one first run of each of the $count intervals" ;;
	77) skip "timeline of $1 in Chromium" "$(tail -n 1 "$tmp/page.out")" ;;
	*) not_ok "timeline of $1 in Chromium" "$tmp/page.out" ;;
	esac
}

# Under the sanitizer build, MPI ranks run without leak checking: Open MPI
# never frees what its components (and hwloc, PMIx) allocate at MPI_Init,
# and they are unloaded before the leak check, so no suppression can name
# them.  ASan and UBSan still check every access of every rank, and leak
# checking stays on for the runs without MPI.
rank_env=()
[ "${ENCORE_SANITIZED:-0}" = 1 ] && rank_env=(-x "ASAN_OPTIONS=detect_leaks=0")

# ---- the recording ----
# The keys come at wall-clock moments, so how far the guest gets between
# them depends on the host's speed (a sanitizer build under load managed
# 52M instructions in 0.6 s): 'q' waits until the live recording has
# passed its fifth checkpoint, so that it has at least 4 intervals however
# slow the host is.
checkpoints() {
	"$ENCORE" inspect --json "$1" 2>/dev/null |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["checkpoints"]))' 2>/dev/null ||
		echo 0
}
type_slowly() {
	printf ab; sleep 0.2; printf cd; sleep 0.3; printf e
	local deadline=$((SECONDS + 60))
	while [ "$(checkpoints "$tmp/rec")" -lt 6 ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
	printf q
}
type_slowly | "$ENCORE" record -o "$tmp/rec" --kernel "$ECHO_GUEST" --interval 20M \
	>"$tmp/rec.out" 2>"$tmp/rec.err"
rc=$?
"$ENCORE" inspect --json "$tmp/rec" >"$tmp/rec.json" 2>"$tmp/rec.json.err"
n=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["checkpoints"]) - 1)' \
	"$tmp/rec.json" 2>/dev/null || echo 0)
all=$(seq -s ' ' 0 $((n - 1)))
if [ $rc = 0 ] && [ "$n" -ge 4 ]; then
	ok "record: exit 0, $n intervals"
else
	not_ok "record (exit $rc, $n intervals)" "$tmp/rec.err"
	finish; exit
fi

# ---- bad usage ----
expect_usage "--mpi outside mpirun" "--mpi runs under mpirun" sim alone "$tmp/rec" --mpi
expect_usage "mpirun -np 1 ... --mpi" "--mpi needs at least 2 ranks" mpisim np1 1 "$tmp/rec"
expect_usage "mpirun -np 2 ... --mpi -j 2" "with --mpi the ranks are the workers.*-j does not apply" \
	mpisim mpi-j 2 "$tmp/rec" -j 2
expect_usage "--mpi -j 2 outside mpirun" "-j does not apply" sim mpi-j-alone "$tmp/rec" --mpi -j 2
expect_usage "--mpi-ship without --mpi" "--mpi-ship, --mpi-shared and --mpi-timeout go with --mpi" \
	sim ship-alone "$tmp/rec" --mpi-ship
expect_usage "--mpi --mpi-ship --mpi-shared" "--mpi-ship or --mpi-shared, not both" \
	sim ship-shared "$tmp/rec" --mpi --mpi-ship --mpi-shared

# ---- every plugin: -j 1, -j 2, MPI shared, MPI shipped ----
builtin=$("$ENCORE" simulate --list-plugins | awk '/^[^ \t]/ { print $1 }')
plugins=()
for p in $builtin "$EVENTS_SO"; do plugins+=(--plugin "$p"); done
names="$(echo $builtin) events"
sim p1 "$tmp/rec" -j 1 "${plugins[@]}" -o "$tmp/p1"
missing=()
for p in $names; do compgen -G "$tmp/p1/$p.*" >/dev/null || missing+=("$p"); done
if [ $rc = 0 ] && [ -n "$builtin" ] && [ ${#missing[@]} = 0 ] &&
   summary_is "$tmp/p1/summary.txt" "$all" 2>"$tmp/check.err" &&
   grep -qx 'run-on: 1 worker process on this host' "$tmp/p1/summary.txt"; then
	ok "plugins $names, -j 1: exit 0, all $n intervals exact, each plugin's merged output (${secs} s)"
else
	not_ok "plugins $names, -j 1 (exit $rc; no merged output: ${missing[*]})" "$tmp/p1.err"
	cat "$tmp/check.err"
fi
# run_is NAME RUN-ON WHAT: run NAME exited 0, every interval exact, its
# summary.txt has RUN-ON and workers-lost: 0, its outputs are -j 1's.
run_is() {
	if [ $rc = 0 ] && summary_is "$tmp/$1/summary.txt" "$all" 2>"$tmp/check.err" &&
	   grep -qx "run-on: $2" "$tmp/$1/summary.txt" && grep -qx 'workers-lost: 0' "$tmp/$1/summary.txt"; then
		ok "$3: exit 0, all $n intervals exact, run-on: $2 (${secs} s)"
	else
		not_ok "$3 (exit $rc)" "$tmp/$1.err"
		cat "$tmp/check.err"; grep -E '^(run-on|workers-lost):' "$tmp/$1/summary.txt" 2>/dev/null | sed 's/^/#   /'
	fi
	if same_files "$tmp/p1" "$tmp/$1"; then
		ok "  ...merged and per-interval outputs byte-identical to -j 1's ($(find "$tmp/p1" -type f | wc -l) files)"
	else
		not_ok "  ...outputs differ from -j 1's" "$tmp/diff.out"
	fi
}
# shipped_is NAME WHAT: stderr of run NAME ends with the bytes shipped, WHAT
# ("0" or "> 0") of them.
shipped_is() {
	local last bytes
	last=$(tail -n 1 "$tmp/$1.err")
	bytes=$(sed -n 's/^recording bytes shipped to workers: \([0-9][0-9]*\)$/\1/p' <<<"$last")
	if [ -n "$bytes" ] && if [ "$2" = 0 ]; then [ "$bytes" = 0 ]; else [ "$bytes" -gt 0 ]; fi; then
		ok "  ...stderr ends with: $last"
	else
		not_ok "  ...stderr's last line '$last', want recording bytes shipped to workers: $2" "$tmp/$1.err"
	fi
}
sim p2 "$tmp/rec" -j 2 "${plugins[@]}" -o "$tmp/p2"
run_is p2 "2 worker processes on this host" "-j 2"
mpisim pm 3 "$tmp/rec" "${plugins[@]}" -o "$tmp/pm"
run_is pm "MPI: 3 ranks, 2 workers (2 read the recording, 0 were shipped it)" "mpirun -np 3 --mpi"
shipped_is pm 0
mpisim ps 3 "$tmp/rec" --mpi-ship "${plugins[@]}" -o "$tmp/ps"
run_is ps "MPI: 3 ranks, 2 workers (0 read the recording, 2 were shipped it)" "mpirun -np 3 --mpi --mpi-ship"
shipped_is ps "> 0"

# ---- ranks that cannot read the recording: shipped without being told ----
# Open MPI's app contexts give the worker ranks another working directory,
# where the relative paths rec and OUT name nothing: they must be shipped
# the recording and ship their outputs back; with --mpi-shared they are
# refused instead.
mkdir -p "$tmp/away"
# awaysim NAME ARGS...: rank 0 in $tmp, ranks 1 and 2 in $tmp/away, each
# running `encore simulate -q rec --mpi ARGS -o NAME`.
awaysim() {
	local name=$1 enc t0=$EPOCHREALTIME; shift
	enc=$(realpath "$ENCORE")
	(cd "$tmp" && timeout "$TIMEOUT" mpirun "${rank_env[@]}" --oversubscribe \
		-np 1 "$enc" simulate -q rec --mpi "$@" -o "$name" : \
		-np 2 "${rank_env[@]}" -wdir "$tmp/away" "$enc" simulate -q rec --mpi "$@" -o "$name" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null)
	rc=$?
	secs=$(elapsed "$t0")
}
awaysim pa "${plugins[@]}"
run_is pa "MPI: 3 ranks, 2 workers (0 read the recording, 2 were shipped it)" \
	"ranks in another directory (no --mpi-ship)"
shipped_is pa "> 0"
awaysim pshared --mpi-shared --plugin icount
if [ $rc = 1 ] && [ "$(grep -c 'cannot work: --mpi-shared, but it cannot read rec here' "$tmp/pshared.err")" = 2 ] &&
   grep -q 'no worker rank is ready' "$tmp/pshared.err" && [ -z "$(ls "$tmp/away")" ]; then
	ok "  ...with --mpi-shared: exit 1, both ranks refused ('cannot read rec here'), nothing written there"
else
	not_ok "  ...with --mpi-shared (exit $rc)" "$tmp/pshared.err"
fi

# ---- a lost worker: its job process killed mid-interval ----
# The stall plugin holds each interval 1.5 s at its start: time to find
# the job process and kill it.
lost=(--plugin icount --plugin "$STALL_SO,seconds=1.5" --intervals 0-3 -q)
sim k1 "$tmp/rec" -j 1 "${lost[@]}" -o "$tmp/k1"
if [ $rc = 0 ] && summary_is "$tmp/k1/summary.txt" "0 1 2 3" 2>"$tmp/check.err"; then
	ok "icount and stall.so, intervals 0-3, -j 1: exit 0, all exact (${secs} s)"
else
	not_ok "icount and stall.so, intervals 0-3, -j 1 (exit $rc)" "$tmp/k1.err"; cat "$tmp/check.err"
fi
# killed NAME WHAT: run NAME, whose job process $job was killed, lost a
# worker and ran its interval again; exit 1, the outputs -j 1's.
killed() {
	local line
	line=$(grep -E -m1 'was lost \(.*killed by signal 9.*\) running interval [0-9]+; it runs again' "$tmp/$1.err")
	if [ $rc = 1 ] && [ -n "$line" ] && grep -qx 'workers-lost: 1' "$tmp/$1/summary.txt" &&
	   summary_is "$tmp/$1/summary.txt" "0 1 2 3" 2>"$tmp/check.err"; then
		ok "$2, job process $job killed: exit 1, workers-lost: 1, all exact (${secs} s)"
		echo "$line" | cut -c1-200 | sed 's/^/#   /'
	else
		not_ok "$2, job process ${job:-(none found)} killed (exit $rc)" "$tmp/$1.err"
		cat "$tmp/check.err"
	fi
	if same_files "$tmp/k1" "$tmp/$1"; then
		ok "  ...outputs byte-identical to the -j 1 run's"
	else
		not_ok "  ...outputs differ from the -j 1 run's" "$tmp/diff.out"
	fi
}
start km mpirun "${rank_env[@]}" --oversubscribe -np 3 "$ENCORE" simulate "$tmp/rec" --mpi "${lost[@]}" -o "$tmp/km"
job=$(wait_job "$bg") && kill -KILL "$job"
finish_bg
killed km "mpirun -np 3 --mpi"
start kj "$ENCORE" simulate "$tmp/rec" -j 2 "${lost[@]}" -o "$tmp/kj"
job=$(wait_job "$bg") && kill -KILL "$job"
finish_bg
killed kj "-j 2"

# silent_rank NAME RC WHAT: run NAME declared rank $sup lost after
# --mpi-timeout 3 and ran its interval again: exit RC (any: unchecked),
# workers-lost: 1, all exact, the outputs those of the clean -j 1 run.
silent_rank() {
	local name=$1 want=$2 what=$3 line exit_ok=yes exit_said=""
	line=$(grep -E -m1 'was lost \(it sent nothing for 3 seconds: dead or hung\) running interval [0-9]+; it runs again' \
		"$tmp/$name.err")
	[ "$want" = any ] || { [ $rc = "$want" ] || exit_ok=no; exit_said="exit $want, "; }
	if [ -n "$sup" ] && [ $exit_ok = yes ] && [ -n "$line" ] &&
	   grep -qx 'workers-lost: 1' "$tmp/$name/summary.txt" &&
	   summary_is "$tmp/$name/summary.txt" "0 1 2 3" 2>"$tmp/check.err"; then
		ok "$what, rank $sup $4: ${exit_said}workers-lost: 1, all exact (${secs} s)"
		echo "$line" | cut -c1-200 | sed 's/^/#   /'
	else
		not_ok "$what, rank ${sup:-(none found)} $4 (exit $rc)" "$tmp/$name.err"
		cat "$tmp/check.err" 2>/dev/null
	fi
	if same_files "$tmp/k1" "$tmp/$name"; then
		ok "  ...outputs byte-identical to the -j 1 run's"
	else
		not_ok "  ...outputs differ from the -j 1 run's" "$tmp/diff.out"
	fi
}

# ---- a rank that hangs: stopped, --mpi-timeout 3 ----
start hung mpirun "${rank_env[@]}" --oversubscribe -np 3 "$ENCORE" simulate "$tmp/rec" --mpi --mpi-timeout 3 \
	"${lost[@]}" -o "$tmp/hung"
sup=
if job=$(wait_job "$bg"); then
	sup=$(ps -o ppid= -p "$job" | tr -d ' ')
	stopped="$sup $job"
	kill -STOP "$sup"
fi
finish_bg
silent_rank hung 1 "mpirun -np 3 --mpi --mpi-timeout 3" stopped
# The run ended every rank: the stopped one and its job process are gone
# (or zombies), neither left stopped nor running.
left=$(ps -o pid=,stat= -p "${sup:-0},${job:-0}" 2>/dev/null | awk '$2 !~ /^Z/ { print $1 }' | tr '\n' ' ')
if [ -n "$sup" ] && [ -z "$left" ]; then
	ok "  ...the stopped rank $sup and its job process $job ended with the run"
else
	not_ok "  ...processes of the run left stopped or running: ${left:-(no rank was stopped)}"
	ps -o pid=,ppid=,stat=,comm= -p "${sup:-0},${job:-0}" | sed 's/^/#   /'
fi
for p in $stopped; do
	[ "$(ps -o comm= -p "$p" 2>/dev/null)" = encore ] && { kill -KILL "$p"; kill -CONT "$p"; } 2>/dev/null
done
stopped=

# ---- a rank that dies (mpirun --enable-recovery, --mpi-timeout 3) ----
# Without --enable-recovery Open MPI ends every rank when one dies; with it
# the run goes on, and mpirun exits 0 whatever rank 0 returns (Open MPI
# 4.1), so the outcome is read from summary.txt (docs/cluster.md).
start dead mpirun "${rank_env[@]}" --oversubscribe --enable-recovery -np 3 "$ENCORE" simulate \
	"$tmp/rec" --mpi --mpi-timeout 3 "${lost[@]}" -o "$tmp/dead"
sup=
if job=$(wait_job "$bg"); then
	sup=$(ps -o ppid= -p "$job" | tr -d ' ')
	kill -KILL "$sup" "$job"
fi
finish_bg
silent_rank dead any "mpirun --enable-recovery -np 3 --mpi --mpi-timeout 3" killed

# ---- the timeline pages ----
check_page "-j 2" "$tmp/p2"
check_page "--mpi --mpi-ship" "$tmp/ps"
# A lost worker's attempt is a bar of its own, beside the re-run's.
check_page "-j 2 with a worker lost" "$tmp/kj" 4
if grep -q 'data-attempt="1" data-ok="0"' "$tmp/kj/timeline.html" &&
   grep -q 'data-attempt="2" data-ok="1"' "$tmp/kj/timeline.html"; then
	ok "  ...the lost attempt is drawn as failed, the re-run as exact"
else
	not_ok "  ...the lost attempt and the re-run are not both drawn" /dev/null
fi
check_page "--mpi with a job process lost" "$tmp/km" 4

finish
