#!/bin/bash
# Decoder lengths vs capstone on real code: the text of Debian's stock
# kernel (guest/fetch-kernel.sh).  Skips (77) where the kernel package
# cannot be had.  Run by tests/run.sh with ENCORE=<build>/encore.
set -u
cd "$(dirname "$0")/../.."
BUILD=$(dirname "${ENCORE:-build/encore}")
if ! guest/fetch-kernel.sh build/guest >/dev/null 2>build/guest-fetch.err; then
	echo "SKIP: Debian's kernel package is not available: $(tail -n 1 build/guest-fetch.err)"
	exit 77
fi
ENCORE_DECODE_COUNT=1000 ENCORE_DECODE_FILES=build/guest/vmlinux exec "$BUILD/tests/test_decode_length"
