#!/bin/bash
# Record and replay on a small guest (tests/guest/echo.c prints each input
# byte with the loop count at which it arrived, so its output depends on
# exactly when input came).  Input is typed with pauses, so every
# recording is different; each must replay exactly.  Also: divergence
# reports for hand-edited logs, clear errors for corrupt, truncated,
# mismatched recordings, recorders killed with SIGKILL at any moment,
# SIGINT, --realtime, and inspect.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
META_SEAL=$(dirname "$ENCORE")/tools/meta-seal
GUEST_DIR=${GUEST_DIR:-build/guests}
EDIT=$(dirname "$ENCORE")/tools/rr-edit
ECHO_GUEST=$GUEST_DIR/echo.elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in "$ECHO_GUEST" "$EDIT"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "record.sh: $f is missing (make)" >&2; exit 1; }
done

# type_slowly: the guest's input, with pauses between bytes.
type_slowly() { printf ab; sleep 0.2; printf cd; sleep 0.3; printf e; sleep 0.1; printf q; }

# record DIR [options]: record the echo guest, input typed slowly.
record() {
	local dir=$1; shift
	type_slowly | "$ENCORE" record -o "$dir" --kernel "$ECHO_GUEST" "$@" \
		>"$dir.out" 2>"$dir.err"
}

# expect_replay NAME STATUS PATTERN REC: replay exit status and message
expect_replay() {
	local name=$1 want=$2 pattern=$3 rec=$4
	"$ENCORE" replay -q "$rec" >"$tmp/replay.out" 2>&1 </dev/null
	local got=$?
	if [ $got = "$want" ] && grep -qE -- "$pattern" "$tmp/replay.out"; then
		ok "$name: exit $got, $(grep -E -m1 -- "$pattern" "$tmp/replay.out" | cut -c1-150)"
	else
		not_ok "$name (exit $got, want $want, pattern '$pattern')" "$tmp/replay.out"
	fi
}

# ---- a recording replays exactly, three times ----
record "$tmp/rec" --interval 2M
rc=$?
if [ $rc = 0 ] && grep -q "echo: sum" "$tmp/rec.out" && cmp -s "$tmp/rec.out" "$tmp/rec/console.out"; then
	ok "record: the guest ran (exit 0) and console.out is what it printed"
else
	not_ok "record (exit $rc)" "$tmp/rec.err"
fi
hash=$(sed -n 's/^state-hash //p' "$tmp/rec/meta")
for k in 1 2 3; do
	"$ENCORE" replay --summary "$tmp/rec" >"$tmp/replay$k.out" 2>"$tmp/replay$k.err" </dev/null
	rc=$?
	got=$(sed -n 's/^state-hash: //p' "$tmp/replay$k.err")
	if [ $rc = 0 ] && cmp -s "$tmp/replay$k.out" "$tmp/rec.out" && [ "$got" = "$hash" ] &&
	   grep -q "replayed exactly" "$tmp/replay$k.err"; then
		ok "replay $k: exit 0, identical output, state hash $got"
	else
		not_ok "replay $k (exit $rc, state hash '$got', want '$hash')" "$tmp/replay$k.err"
	fi
done

# ---- inspect ----
"$ENCORE" inspect "$tmp/rec" >"$tmp/inspect.txt" 2>&1
if grep -q "(complete)" "$tmp/inspect.txt" && grep -q "input 6" "$tmp/inspect.txt" &&
   grep -q "bytes per guest-second" "$tmp/inspect.txt"; then
	ok "inspect: complete, 6 input events, log density"
else
	not_ok "inspect" "$tmp/inspect.txt"
fi
"$ENCORE" inspect --json --events "$tmp/rec" >"$tmp/inspect.json" 2>&1
insns=$(sed -n 's/^instructions //p' "$tmp/rec/meta")
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["complete"] and d["instructions"] == int(sys.argv[2]), d
assert d["events"]["input"] == 6 and len(d["event_list"]) == d["events"]["total"]
assert [c["index"] for c in d["checkpoints"]] == list(range(len(d["checkpoints"])))
' "$tmp/inspect.json" "$insns" 2>"$tmp/json.err"; then
	ok "inspect --json: valid JSON that agrees with the metadata"
else
	not_ok "inspect --json" "$tmp/json.err"
fi

# ---- divergence: logs edited with valid checksums ----
# edited NAME INDEX EDIT: a copy of the recording with one event changed
edited() {
	rm -rf "$tmp/$1"; cp -r "$tmp/rec" "$tmp/$1"
	"$EDIT" "$tmp/$1" "$2" "$3" || not_ok "rr-edit $1 $2 $3"
}
nth_event() { # nth_event KIND N: the index of the Nth event of KIND
	"$ENCORE" inspect --events "$tmp/rec" | awk -v k="$1" -v n="$2" \
		'$2 == k && ++seen == n { print $1; exit }'
}
edited div-checkpoint "$(nth_event checkpoint 4)" state-hash
expect_replay "checkpoint hash flipped" 1 "checkpoint 3 .*state hash" "$tmp/div-checkpoint"
grep -q "last match: event" "$tmp/replay.out" && ok "  ...the report names the last matching point" ||
	not_ok "no last match in the report" "$tmp/replay.out"
grep -q "every state part, idle time and RAM frame matches the stored checkpoint" "$tmp/replay.out" &&
	ok "  ...and says the machine matches the stored checkpoint (only the log's hash changed)" ||
	not_ok "no comparison with the stored checkpoint" "$tmp/replay.out"
edited div-landmark "$(nth_event input 2)" insns+1000
expect_replay "input moved 1000 instructions later" 1 "at event [0-9]+ \(input\).*recording has RIP" "$tmp/div-landmark"
edited div-byte "$(nth_event input 1)" input=z
expect_replay "input byte changed" 1 "console output byte [0-9]+" "$tmp/div-byte"
edited div-drop "$(nth_event input 3)" drop
expect_replay "input event dropped" 1 "diverged" "$tmp/div-drop"
edited div-fp "$(nth_event input 1)" fingerprint
expect_replay "fingerprint changed" 1 "fingerprint" "$tmp/div-fp"
edited div-end "$(nth_event end 1)" state-hash
expect_replay "end state hash changed" 2 "disagree" "$tmp/div-end"

# ---- damaged recordings: a clear error (exit 2), never a crash ----
damaged() { rm -rf "$tmp/$1"; cp -r "$tmp/rec" "$tmp/$1"; }
flip_byte() { # flip_byte FILE OFFSET: invert one bit there
	python3 -c 'import sys; f = open(sys.argv[1], "r+b"); o = int(sys.argv[2]); f.seek(o)
b = f.read(1); f.seek(o); f.write(bytes([b[0] ^ 1]))' "$1" "$2"
}
log_size=$(stat -c %s "$tmp/rec/events.log")
damaged flip
# Inside the last block's zstd frame (a byte in a block header may trip
# an earlier check, such as an impossible size, instead).
flip_byte "$tmp/flip/events.log" $((log_size - 3))
expect_replay "a flipped byte in the log" 2 "checksum mismatch" "$tmp/flip"
damaged cut
truncate -s $((log_size - 7)) "$tmp/cut/events.log"
expect_replay "a truncated log of a complete recording" 2 "says the recording is complete" "$tmp/cut"
damaged version
printf '\x09' | dd of="$tmp/version/events.log" bs=1 seek=8 conv=notrunc status=none
expect_replay "log version mismatch" 2 "version 9; this encore reads version [0-9]" "$tmp/version"
damaged magic
printf 'X' | dd of="$tmp/magic/events.log" bs=1 seek=0 conv=notrunc status=none
expect_replay "not a log" 2 "bad magic" "$tmp/magic"
damaged empty-log
: >"$tmp/empty-log/events.log"
expect_replay "empty log" 2 "empty" "$tmp/empty-log"
damaged meta-key
echo "colour blue" >>"$tmp/meta-key/meta"
expect_replay "metadata edited by hand" 2 "meta: its last line is not its checksum" "$tmp/meta-key"
"$META_SEAL" "$tmp/meta-key/meta"
expect_replay "unknown metadata key" 2 "unknown key 'colour'" "$tmp/meta-key"
damaged meta-arch
sed -i 's/^arch .*/arch aarch64/' "$tmp/meta-arch/meta"
"$META_SEAL" "$tmp/meta-arch/meta"
expect_replay "a recording of another architecture" 2 \
	"a machine of architecture 'aarch64'; this encore replays x86_64 and arm64 recordings only" "$tmp/meta-arch"
damaged meta-noarch
sed -i '/^arch /d' "$tmp/meta-noarch/meta"
"$META_SEAL" "$tmp/meta-noarch/meta"
if "$ENCORE" inspect "$tmp/meta-noarch" 2>/dev/null | grep -q '^recorded: .* (x86_64)$'; then
	ok "a recording from before the arch key: inspect calls it x86_64"
else
	not_ok "a recording from before the arch key is not taken as x86_64" /dev/null
fi
damaged meta-version
sed -i '1s/.*/encore-recording 9/' "$tmp/meta-version/meta"
expect_replay "metadata version mismatch" 2 "version 9; this encore reads version [0-9]" "$tmp/meta-version"
damaged meta-number
sed -i 's/^mem .*/mem lots/' "$tmp/meta-number/meta"
expect_replay "metadata edited, checksum kept" 2 "meta: its checksum does not match its contents" \
	"$tmp/meta-number"
"$META_SEAL" "$tmp/meta-number/meta"
expect_replay "bad metadata value" 2 "bad value for 'mem'" "$tmp/meta-number"
damaged meta-mem
sed -i 's/^mem .*/mem 134217728/' "$tmp/meta-mem/meta"
"$META_SEAL" "$tmp/meta-mem/meta"
expect_replay "metadata edited to another machine" 1 "not the recorded one" "$tmp/meta-mem"
damaged kernel
flip_byte "$tmp/kernel/kernel" 100
expect_replay "guest file changed" 2 "does not have the hash" "$tmp/kernel"
damaged console
truncate -s 10 "$tmp/console/console.out"
expect_replay "console output file truncated" 2 "holds 10 bytes" "$tmp/console"
damaged no-meta
rm "$tmp/no-meta/meta"
expect_replay "no metadata" 2 "cannot open meta" "$tmp/no-meta"
record "$tmp/other" --interval 2M
damaged swapped
cp "$tmp/other/events.log" "$tmp/swapped/events.log"
expect_replay "another recording's log" 2 "belongs to another recording" "$tmp/swapped"
expect_replay "no such recording" 2 "cannot open" "$tmp/nonexistent"

# ---- cut short: the recorder never finished ----
damaged torn
sed -i '/^state /s/complete/recording/; /^instructions /,$d' "$tmp/torn/meta"
"$META_SEAL" "$tmp/torn/meta"
truncate -s $((log_size - 7)) "$tmp/torn/events.log"
expect_replay "a recording cut short in a block" 3 "was cut short .*torn block.*replayed exactly" "$tmp/torn"

# SIGKILL at any moment: no recording, or one whose prefix replays and
# prints a prefix of what the recorder saw.
for delay in 0.01 0.05 0.15 0.3 0.5 0.8; do
	dir=$tmp/kill-$delay
	( type_slowly; sleep 1 ) 2>/dev/null | "$ENCORE" record -o "$dir" --kernel "$ECHO_GUEST" --interval 1M \
		>"$dir.out" 2>&1 &
	sleep "$delay"
	pkill -KILL -f -- "-o $dir " 2>/dev/null
	wait 2>/dev/null
	if [ ! -e "$dir" ]; then
		ok "SIGKILL after ${delay}s: killed before the recording existed (no directory)"
		continue
	fi
	"$ENCORE" replay "$dir" >"$dir.replay" 2>"$dir.replay.err" </dev/null
	rc=$?
	n=$(stat -c %s "$dir.replay")
	if { [ $rc = 3 ] || [ $rc = 0 ]; } && cmp -s -n "$n" "$dir.replay" "$dir/console.out"; then
		ok "SIGKILL after ${delay}s: replay exit $rc, $n bytes of output match the recording"
	else
		not_ok "SIGKILL after ${delay}s: replay exit $rc" "$dir.replay.err"
	fi
done
# A recorder killed before its directory was published leaves its hidden
# staging directory (docs/recording-format.md); one killed after leaves
# none: publishing renamed it.
stray=
for delay in 0.01 0.05 0.15 0.3 0.5 0.8; do
	[ -e "$tmp/kill-$delay" ] && ls -A "$tmp" | grep -q "^\.kill-$delay\." && stray+=" $delay"
done
[ -z "$stray" ] && ok "killed recorders left only recordings, or hidden staging directories where none was published" ||
	not_ok "a published recording left its staging directory behind (kills at:$stray s)"

# SIGINT: the recording is finished, not lost.
( printf ab; sleep 5 ) | "$ENCORE" record -o "$tmp/int" --kernel "$ECHO_GUEST" >/dev/null 2>&1 &
sleep 0.5
pkill -INT -f -- "-o $tmp/int" ; wait
if grep -q "^state complete" "$tmp/int/meta" && grep -q "^exit-status 130" "$tmp/int/meta"; then
	ok "SIGINT: the recording is complete, exit status 130"
else
	not_ok "SIGINT" "$tmp/int/meta"
fi
expect_replay "replay of a run stopped by SIGINT" 0 "replayed exactly" "$tmp/int"

# --realtime: guest time follows the host clock, and replay reproduces it.
record "$tmp/rt" --realtime
expect_replay "--realtime recording" 0 "replayed exactly" "$tmp/rt"
"$ENCORE" inspect "$tmp/rt" | grep -qE "pace [1-9]" && ok "--realtime logs pace events" ||
	not_ok "--realtime logged no pace events"

# Every test guest records and replays, whatever way it ends (exit
# status, power-off, triple fault).  ENCORE_AUDIT_DIRTY makes every
# checkpoint rehash all of RAM and abort on a write dirty tracking missed.
for elf in "$GUEST_DIR"/*.elf; do
	name=$(basename "$elf" .elf)
	[ "$name" = echo ] && continue
	ENCORE_AUDIT_DIRTY=1 "$ENCORE" record -o "$tmp/g-$name" --kernel "$elf" --interval 100k </dev/null \
		>/dev/null 2>"$tmp/g-$name.err"
	rc=$?
	"$ENCORE" replay -q "$tmp/g-$name" </dev/null >"$tmp/g-$name.replay" 2>&1
	rrc=$?
	outcome=$(sed -n 's/^outcome //p' "$tmp/g-$name/meta" 2>/dev/null)
	if [ $rrc = 0 ] && [ -n "$outcome" ]; then
		ok "guest $name: recorded (exit $rc, $outcome) and replayed exactly"
	else
		not_ok "guest $name: record exit $rc, replay exit $rrc" "$tmp/g-$name.replay"
	fi
done

# The first checkpoint stores only frames marked dirty: what the loaders
# wrote (here the built-in demo's loader) must be among them, or the
# audit aborts.
ENCORE_AUDIT_DIRTY=1 "$ENCORE" record -o "$tmp/g-demo" --demo --interval 100k </dev/null \
	>/dev/null 2>"$tmp/g-demo.err"
rc=$?
if [ $rc = 0 ] && "$ENCORE" replay -q "$tmp/g-demo" </dev/null >"$tmp/g-demo.replay" 2>&1; then
	ok "demo guest: recorded under the dirty audit and replayed exactly"
else
	not_ok "demo guest: record exit $rc" "$tmp/g-demo.err"
fi

# ---- usage errors ----
expect_cmd() {
	local name=$1 want=$2 pattern=$3; shift 3
	"$@" >"$tmp/cmd.out" 2>&1 </dev/null
	local got=$?
	if [ $got = "$want" ] && grep -qE -- "$pattern" "$tmp/cmd.out"; then ok "$name"
	else not_ok "$name (exit $got, want $want)" "$tmp/cmd.out"; fi
}
expect_cmd "record into an existing recording" 2 "already exists" \
	"$ENCORE" record -o "$tmp/rec" --demo
expect_cmd "record without -o" 2 "-o REC" "$ENCORE" record --demo
expect_cmd "record --interval 10q" 2 "bad --interval" "$ENCORE" record -o "$tmp/x" --interval 10q --demo
expect_cmd "record --interval ms" 2 "bad --interval" "$ENCORE" record -o "$tmp/x" --interval ms --demo
expect_cmd "run does not take -o" 2 "usage" "$ENCORE" run -o "$tmp/x" --demo
expect_cmd "replay --help" 0 "Exit status" "$ENCORE" replay --help
expect_cmd "replay without a recording" 2 "give one recording" "$ENCORE" replay
[ ! -e "$tmp/x" ] && ok "failed records leave nothing behind" || not_ok "a failed record left $tmp/x"

finish
