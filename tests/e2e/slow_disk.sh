#!/bin/bash
# Recording onto a slow disk: write(2) cut short, interrupted by signals
# (EINTR) and stalled, at random (tests/tools/preload/slow_disk.c, with
# three seeds).  Each recording must complete, be found sound by
# `inspect --verify`, and replay exactly with the output the recorder
# showed.  Skipped under the sanitizers, which must be loaded first.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST_DIR=${GUEST_DIR:-build/guests}
SHIM=$(realpath "$(dirname "$ENCORE")/tools/slow_disk.so")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -n "${ENCORE_SANITIZED:-}" ]; then
	echo "skipped: an LD_PRELOAD shim cannot come before the sanitizer runtime"
	exit 77
fi
type_input() { printf 'ab'; sleep 0.2; printf 'cdef'; sleep 0.2; printf 'q'; }
for seed in 1 2 3; do
	rec=$tmp/rec$seed
	type_input | LD_PRELOAD=$SHIM SLOW_DISK_SEED=$seed "$ENCORE" record -o "$rec" --mem 16M \
		--kernel "$GUEST_DIR/echo.elf" --interval 20000 >"$rec.shown" 2>"$rec.err"
	rc=$?
	stats=$(grep -o "slow-disk: .*" "$rec.err")
	"$ENCORE" inspect --verify "$rec" >/dev/null 2>"$rec.verify"
	vrc=$?
	"$ENCORE" replay "$rec" >"$rec.replay" 2>"$rec.replay.err" </dev/null
	prc=$?
	if [ $rc = 0 ] && [ $vrc = 0 ] && [ $prc = 0 ] && cmp -s "$rec.replay" "$rec.shown" &&
	   grep -q "replayed exactly" "$rec.replay.err" && [[ $stats =~ [1-9][0-9]*\ short ]] &&
	   [[ $stats =~ [1-9][0-9]*\ interrupted ]]; then
		ok "seed $seed: recorded, verified and replayed exactly ($stats)"
	else
		not_ok "seed $seed: record $rc, verify $vrc, replay $prc ($stats)" "$rec.err"
		cat "$rec.verify" "$rec.replay.err" | tail -n 4 | sed 's/^/#   /'
	fi
done
finish
