#!/bin/bash
# Decoder lengths vs capstone on real code: the text of Debian's stock
# kernel (guest/fetch-kernel.sh).  Skips (77) where the kernel package
# cannot be had.  Run by tests/run.sh with ENCORE=<build>/encore, possibly
# for several builds at once: the fetch into build/guest is serialized
# with a lock, and each build keeps its own fetch log.
set -u
cd "$(dirname "$0")/../.."
BUILD=$(dirname "${ENCORE:-build/encore}")
err=$BUILD/guest-fetch.err
mkdir -p build
fetch=(guest/fetch-kernel.sh build/guest)
command -v flock >/dev/null && fetch=(flock build/guest.lock "${fetch[@]}")
if ! "${fetch[@]}" >/dev/null 2>"$err"; then
	echo "SKIP: Debian's kernel package is not available: $(tail -n 1 "$err")"
	exit 77
fi
ENCORE_DECODE_COUNT=1000 ENCORE_DECODE_FILES=build/guest/vmlinux exec "$BUILD/tests/test_decode_length"
