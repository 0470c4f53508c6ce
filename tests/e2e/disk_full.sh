#!/bin/bash
# A recorder that cannot write: into a small tmpfs that fills up at
# several points (copying the kernel, creating the files, during the run,
# at the end), and under file-size limits (ulimit -f).  Each run must:
#   - never crash (no signal, no sanitizer report);
#   - when it stopped recording, say why on stderr (the file and the
#     system's reason), and keep running the guest to its end (the echo
#     guest's last line, its checksum of all input, is on the console);
#   - leave no hidden staging directory, and either no recording or one
#     that replays (exit 0 or 3) printing a prefix of that console output.
# The tmpfs part needs root (mount); it is skipped without.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST_DIR=${GUEST_DIR:-build/guests}
ECHO_GUEST=$GUEST_DIR/echo.elf
tmp=$(mktemp -d)
mnt=$tmp/mnt
cleanup() { mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"; rm -rf "$tmp"; }
trap cleanup EXIT

type_input() { printf 'abc'; sleep 0.2; printf 'defgh'; sleep 0.2; printf 'q'; }

# check NAME DIR: judge one recording attempt into DIR/rec.
check() {
	local name=$1 dir=$2 rc=$3
	local why=
	if [ "$rc" -ge 128 ]; then why="killed by signal $((rc - 128))"
	elif grep -q "AddressSanitizer\|runtime error:" "$tmp/rec.err"; then why="sanitizer report"
	elif ls -A "$dir" | grep -q '^\.rec\.'; then why="a staging directory was left behind"
	elif [ -s "$tmp/rec.out" ] && ! grep -q "^echo: sum " "$tmp/rec.out"; then
		why="the guest did not run to its end"
	elif [ "$rc" != 0 ] && ! grep -qE "(No space left on device|File too large)" "$tmp/rec.err"; then
		why="exit $rc without naming the cause"
	fi
	local replay=
	if [ -z "$why" ] && [ -d "$dir/rec" ]; then
		"$ENCORE" replay "$dir/rec" >"$tmp/replay.out" 2>"$tmp/replay.err" </dev/null
		local prc=$?
		local n; n=$(stat -c %s "$tmp/replay.out")
		if [ $prc != 0 ] && [ $prc != 3 ]; then why="its recording replays with exit $prc"
		elif ! cmp -s -n "$n" "$tmp/replay.out" "$tmp/rec.out"; then
			why="its replay printed something else"
		else replay=", replay exit $prc with $n bytes of output"; fi
	elif [ -z "$why" ]; then
		replay=", no recording left"
		[ "$rc" = 0 ] && why="exit 0 but no recording"
	fi
	if [ -z "$why" ]; then
		ok "$name: record exit $rc$replay$( [ "$rc" != 0 ] && echo ": $(grep -m1 -oE "[^:]*: (No space left on device|File too large)" "$tmp/rec.err" | sed "s|$dir/||g")")"
	else
		not_ok "$name: $why (record exit $rc)" "$tmp/rec.err"
	fi
}

# ---- file-size limits: every file of the recording hits one in turn ----
for kib in 16 40 64 80 96 128; do
	rm -rf "$tmp/ulimit"; mkdir "$tmp/ulimit"
	( ulimit -f "$kib"
	  type_input | "$ENCORE" record -o "$tmp/ulimit/rec" --kernel "$ECHO_GUEST" --mem 16M \
		--interval 200000 >"$tmp/rec.out" 2>"$tmp/rec.err" )
	check "ulimit -f $kib" "$tmp/ulimit" $?
done

# ---- a small file system that fills up ----
mkdir "$mnt"
if ! mount -t tmpfs -o size=64k tmpfs "$mnt" 2>/dev/null; then
	skip "a tmpfs that fills up" "cannot mount a tmpfs here (not root)"
	finish; exit
fi
umount "$mnt"
for kib in 16 64 72 80 96 112 128 144 160 192 256; do
	mount -t tmpfs -o size=${kib}k tmpfs "$mnt"
	type_input | "$ENCORE" record -o "$mnt/rec" --kernel "$ECHO_GUEST" --mem 16M \
		--interval 200000 >"$tmp/rec.out" 2>"$tmp/rec.err"
	check "a ${kib} KiB tmpfs" "$mnt" $?
	umount "$mnt"
done
finish
