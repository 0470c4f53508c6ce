#!/bin/bash
# The translator picks host instructions by what the host has (BEXTR for
# the TLB index where BMI1 exists): the differential tests run again with
# that choice turned off, so that a host without it runs code the tests
# have seen.  The ENCORE path's build holds the test programs.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
BUILD=$(dirname "$ENCORE")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "${ENCORE_SANITIZED:-0}" = 1 ]; then
	echo "skipped under the sanitizer build (the plain build runs it; the sanitizer pass runs the same tests with BEXTR)"
	exit 77
fi
for t in test_diff_int test_diff_shift; do
	if ENCORE_TRANSLATE_BEXTR=0 "$BUILD/tests/$t" >"$tmp/$t.log" 2>&1; then
		ok "$t with ENCORE_TRANSLATE_BEXTR=0: $(tail -n 1 "$tmp/$t.log")"
	else
		not_ok "$t with ENCORE_TRANSLATE_BEXTR=0" "$tmp/$t.log"
	fi
done
finish
