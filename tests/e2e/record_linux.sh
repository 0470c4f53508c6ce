#!/bin/bash
# Record the default Linux guest's boot and workload, each command typed
# into the shell when its prompt appears (guest/send-after-prompt, so the
# input's timing is the host's and every recording differs), then replay
# it three times: identical output and state each time.  A recorder
# killed with SIGKILL mid-boot leaves a prefix that replays; a --realtime
# recording replays too.
#
# Skipped under the sanitizer pass: minutes of ASan for no code that
# tests/e2e/record.sh does not already run there.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST=${GUEST:-build/guest}
export ENCORE_GUEST_DIR=$GUEST
TIMEOUT=${TIMEOUT:-600}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "${ENCORE_SANITIZED:-0}" = 1 ]; then
	echo "skipped under the sanitizer build (tests/e2e/record.sh covers the same code)"
	exit 77
fi
for f in vmlinux initramfs.cpio; do
	[ -r "$GUEST/$f" ] || { echo "record_linux.sh: $GUEST/$f is missing" >&2; exit 1; }
done

printf 'workload\npoweroff -f\n' >"$tmp/workload.lines"
record_typed rec "$tmp/workload.lines" --interval 500M
rc=$?
if [ $rc = 0 ] && grep -qx 'workload: done' <(tr -d '\r' <"$tmp/rec.out") &&
   cmp -s "$tmp/rec.out" "$tmp/rec/console.out"; then
	ok "record: boot, typed workload, power-off (exit 0); console.out is what it printed"
else
	not_ok "record (exit $rc)" "$tmp/rec.err"
fi
want_hash=$(sed -n 's/^state-hash //p' "$tmp/rec/meta")
want_insns=$(sed -n 's/^instructions //p' "$tmp/rec/meta")
inputs=$("$ENCORE" inspect --json "$tmp/rec" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"]["input"])')
[ "$inputs" -ge 2 ] && ok "the typed input is logged ($inputs input events)" ||
	not_ok "too few input events ($inputs)"

for k in 1 2 3; do
	timeout "$TIMEOUT" "$ENCORE" replay --summary "$tmp/rec" </dev/null \
		>"$tmp/replay$k.out" 2>"$tmp/replay$k.err"
	rc=$?
	hash=$(sed -n 's/^state-hash: //p' "$tmp/replay$k.err")
	insns=$(sed -n 's/^instructions: //p' "$tmp/replay$k.err")
	if [ $rc = 0 ] && cmp -s "$tmp/replay$k.out" "$tmp/rec.out" && [ "$hash" = "$want_hash" ] &&
	   [ "$insns" = "$want_insns" ]; then
		ok "replay $k: exit 0, identical output, $insns instructions, state hash $hash"
	else
		not_ok "replay $k (exit $rc, $insns instructions, hash '$hash', want '$want_hash')" \
			"$tmp/replay$k.err"
	fi
done

# SIGKILL mid-run: the complete prefix replays and prints what the
# recorder's guest printed up to there.
( printf 'workload\npoweroff -f\n' | "$ENCORE" record -o "$tmp/killed" --interval 300M \
	>"$tmp/killed.out" 2>&1 ) 2>/dev/null &
# Once the workload has begun (a fixed 8 s outlived the whole run on a
# fast host).
for _ in $(seq 1200); do
	grep -q 'workload: ' "$tmp/killed.out" 2>/dev/null && break
	sleep 0.1
done
pkill -KILL -f -- "-o $tmp/killed " 2>/dev/null
wait 2>/dev/null
timeout "$TIMEOUT" "$ENCORE" replay "$tmp/killed" </dev/null >"$tmp/killed.replay" 2>"$tmp/killed.err"
rc=$?
n=$(stat -c %s "$tmp/killed.replay")
if [ $rc = 3 ] && [ "$n" -gt 1000 ] && cmp -s -n "$n" "$tmp/killed.replay" "$tmp/killed/console.out" &&
   grep -q "cut short" "$tmp/killed.err"; then
	ok "SIGKILL mid-workload: replay exit 3 (cut short), $n bytes of output match"
else
	not_ok "SIGKILL mid-workload: replay exit $rc, $n bytes" "$tmp/killed.err"
fi

# --realtime: the guest's clock follows the host's; sleep 1 takes a second.
printf 'sleep 1; echo slept\npoweroff -f\n' >"$tmp/sleep.lines"
record_typed rt "$tmp/sleep.lines" --realtime --append "console=ttyS0 quiet"
rc=$?
timeout "$TIMEOUT" "$ENCORE" replay -q "$tmp/rt" </dev/null >"$tmp/rt.replay" 2>&1
rrc=$?
if [ $rc = 0 ] && [ $rrc = 0 ] && grep -q "^slept" <(tr -d '\r' <"$tmp/rt.out"); then
	ok "--realtime: recorded (exit 0) and replayed exactly"
else
	not_ok "--realtime (record exit $rc, replay exit $rrc)" "$tmp/rt.replay"
fi

finish
