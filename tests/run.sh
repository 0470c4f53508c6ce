#!/bin/bash
# Runs every test: unit test programs (BUILD/tests/test_*) and end-to-end
# scripts (tests/e2e/*.sh), once per build directory given (default:
# build; make test adds the ASan/UBSan build).  Exit 0 = pass, 77 =
# skipped, else fail.  Ends with "N passed, N failed, N skipped".
#
# Tests run in parallel, at most JOBS (default: nproc) at a time, each
# with its own log in build/test-logs/; the results are printed in the
# fixed order below once all have finished.  The slowest tests of the
# previous run start first.  Every build directory after the first runs
# with ENCORE_TEST_SEED=$ENCORE_TEST_SEED2 (default 0x5eed2), so that the
# sanitizer pass covers other random cases than the first pass (which
# uses ENCORE_TEST_SEED if set, else each test's own default seed).
# The guests are shared by all builds: GUEST_DIR=build/guests.  The
# user's cache of default guests is out of sight (XDG_CACHE_HOME).
set -u
[ $# -gt 0 ] || set -- build
cd "$(dirname "$0")/.."
jobs_max=${JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs_max" -ge 1 ] 2>/dev/null || jobs_max=1
seed2=${ENCORE_TEST_SEED2:-0x5eed2}
logs=build/test-logs
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
# The tests' default guests are the build tree's: a guest in the user's
# cache (~/.cache/encore/guest, which encore run looks at first) is not.
export XDG_CACHE_HOME=$state/cache

# Every test as a job: names[k] and the command in $state/k.cmd.
names=()
add_job() {
	local name=$1; shift
	local k=${#names[@]}
	names+=("$name")
	printf '%q ' "$@" >"$state/$k.cmd"
}
first=1
for BUILD in "$@"; do
	prefix=
	[ "$BUILD" = build ] || prefix="$(basename "$BUILD")/"
	seed_env=()
	if [ $first = 0 ]; then
		seed_env=(ENCORE_TEST_SEED="$seed2" ENCORE_SANITIZED=1)
		echo "$BUILD: ENCORE_TEST_SEED=$seed2"
	fi
	first=0
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		add_job "$prefix$(basename "$t")" env "${seed_env[@]}" "$t"
	done
	for t in tests/e2e/*.sh; do
		[ -f "$t" ] || continue
		add_job "${prefix}e2e/$(basename "$t" .sh)" \
			env "${seed_env[@]}" ENCORE="$BUILD/encore" GUEST_DIR=build/guests bash "$t"
	done
done

# Start order: longest previous duration first (unknown ones first of all,
# in list order), so that the slowest tests do not end up last.
order=$(for k in "${!names[@]}"; do
	d=$(cat "$logs/${names[$k]}.time" 2>/dev/null) || d=999999
	echo "$d $k"
done | sort -k1,1nr -k2,2n -s | cut -d' ' -f2)

# run_job K: run job K with its log; its status and duration go to $state.
run_job() {
	local k=$1 name=${names[$1]}
	local log=$logs/$name.log
	mkdir -p "$(dirname "$log")"
	local t0=$SECONDS
	eval "$(cat "$state/$k.cmd")" >"$log" 2>&1 </dev/null
	local rc=$?
	local dt=$((SECONDS - t0))
	echo "$dt" >"$logs/$name.time"
	echo "$rc $dt" >"$state/$k.done"
}
running=0
for k in $order; do
	if [ $running -ge "$jobs_max" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_job "$k" &
	running=$((running + 1))
done
wait

passed=0 failed=0 skipped=0
failures=()
for k in "${!names[@]}"; do
	name=${names[$k]}
	log=$logs/$name.log
	read -r rc dt <"$state/$k.done" 2>/dev/null || { rc=255 dt=0; }
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1)); echo "PASS  $name (${dt}s)"
	elif [ "$rc" -eq 77 ]; then
		skipped=$((skipped + 1)); echo "SKIP  $name: $(tail -n 1 "$log")"
	else
		failed=$((failed + 1)); failures+=("$name"); echo "FAIL  $name (exit $rc, ${dt}s)"
		tail -n 30 "$log" | sed 's/^/      /'
	fi
done
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
