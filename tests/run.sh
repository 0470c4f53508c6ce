#!/bin/bash
# Runs every test: unit test programs (BUILD/tests/test_*) and end-to-end
# scripts (tests/e2e/*.sh), once per build directory given (default:
# build; make test adds the ASan/UBSan build).  Exit 0 = pass, 77 =
# skipped, else fail.  Ends with "N passed, N failed, N skipped".
set -u
[ $# -gt 0 ] || set -- build
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0
failures=()
run_one() {
	local name=$1; shift
	local log=build/test-logs/$name.log
	mkdir -p "$(dirname "$log")"
	local t0=$SECONDS
	"$@" >"$log" 2>&1
	local rc=$?
	local dt=$((SECONDS - t0))
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1)); echo "PASS  $name (${dt}s)"
	elif [ $rc -eq 77 ]; then
		skipped=$((skipped + 1)); echo "SKIP  $name: $(tail -n 1 "$log")"
	else
		failed=$((failed + 1)); failures+=("$name"); echo "FAIL  $name (exit $rc, ${dt}s)"
		tail -n 30 "$log" | sed 's/^/      /'
	fi
}
for BUILD in "$@"; do
	prefix=
	[ "$BUILD" = build ] || prefix="$(basename "$BUILD")/"
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		run_one "$prefix$(basename "$t")" "$t"
	done
	for t in tests/e2e/*.sh; do
		[ -f "$t" ] || continue
		run_one "${prefix}e2e/$(basename "$t" .sh)" \
			env ENCORE="$BUILD/encore" GUEST_DIR="$BUILD/guests" bash "$t"
	done
done
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
