#!/bin/bash
# The 32- and 16-bit differential tests (tests/unit/test_diff_compat.c)
# need a host that runs 32/16-bit code.  Where this host cannot (it skips
# natively: a PVM guest runs 64-bit user code only), run them inside a
# QEMU TCG guest instead (tests/tools/diff-compat-qemu.sh), so that they
# still compare encore with an x86 that nobody here wrote.  Where the
# host can, test_diff_compat itself runs natively and this is skipped.
# Also skipped under the sanitizer pass (the plain build's test is the
# same code) and without QEMU or the default guest.
set -u
cd "$(dirname "$0")/../.."
ENCORE=${ENCORE:-build/encore}
BUILD=$(dirname "$ENCORE")
GUEST=${GUEST:-build/guest}
test_bin=$BUILD/tests/test_diff_compat
if [ "${ENCORE_SANITIZED:-0}" = 1 ]; then
	echo "skipped under the sanitizer build (the plain build runs the same cases)"
	exit 77
fi
[ -x "$test_bin" ] || { echo "diff_compat_qemu.sh: $test_bin is missing (make)" >&2; exit 1; }
"$test_bin" >/dev/null 2>&1
native=$?
if [ $native != 77 ]; then
	echo "skipped: this host runs 32/16-bit code, so test_diff_compat ran natively (exit $native)"
	exit 77
fi
command -v qemu-system-x86_64 >/dev/null || { echo "skipped: qemu-system-x86_64 is not installed"; exit 77; }
[ -f "$GUEST/vmlinuz" ] || { echo "skipped: $GUEST/vmlinuz is missing (guest/build-guest.sh)"; exit 77; }
ENCORE_GUEST_DIR=$GUEST tests/tools/diff-compat-qemu.sh "$BUILD"
