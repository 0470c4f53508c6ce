#!/bin/bash
# encore replay --gdb, driven by Debian's gdb in batch mode, on a small
# bare-metal guest (tests/guest/ticks.c: timer interrupts, port I/O, an
# idle phase) recorded with a checkpoint every 500k instructions:
#   - 50 stepi then 50 reverse-stepi give the same positions and
#     registers, step for step: from the start, across the first
#     checkpoint, and across one in the middle of the recording;
#   - a breakpoint hit 4 times going forward is hit again, in reverse
#     order, by reverse-continue (across checkpoints);
#   - a watchpoint stops after the instruction that wrote, going forward,
#     and before it in reverse;
#   - reverse-finish and reverse-nexti (gdb's, on reverse step and
#     continue) go back to a function's call;
#   - monitor checkpoint keeps the machine in memory (a forked copy):
#     going back there from the start gives the same machine, and steps
#     both ways from it (each a handover to the copy) agree;
#   - `monitor when` at a checkpoint agrees with `inspect --events`;
#     `monitor phys` reads what gdb reads, `monitor regs` shows the
#     control registers, `monitor hash` is the same each time a place is
#     reached;
#   - refused register and memory writes, a goto beyond the end, bad
#     monitor commands: each a clear message, and the replay goes on;
#   - malformed packets and a client that disconnects without detaching:
#     the server survives, and a new gdb finds the replay where it was;
#   - a port in use is a clear error; `kill` ends encore with status 0;
#   - with two vCPUs, each is a gdb thread with its own registers, and
#     steps both ways agree;
#   - on a cut-short recording (its recorder killed), continue stops at
#     its last complete point, and reverse steps go back from there;
#   - where /dev/kvm works, the same breakpoints, steps and watchpoint on
#     a recording made on KVM (its checkpoints' instructions are learned
#     on the way).
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
. tests/e2e/helpers/gdb_serve.sh
ENCORE=${ENCORE:-build/encore}
GUEST_DIR=${GUEST_DIR:-build/guests}
GUEST=$GUEST_DIR/ticks.elf
HELPER=tests/e2e/helpers/timetravel.py
tmp=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT

for f in "$GUEST" "$ENCORE"; do
	[ -f "$f" ] || { echo "gdb.sh: $f is missing (make)" >&2; exit 1; }
done
if ! command -v gdb >/dev/null; then
	echo "skipped: no gdb (apt-get install gdb)"
	exit 77
fi

# serve NAME: the recording under gdb (helpers/gdb_serve.sh).
serve() { gdb_serve "$tmp/rec" "$1"; }
# gdb_run NAME COMMAND...: gdb in batch mode with the guest's symbols and
# the helper, attached to $port; output in NAME.gdb.
gdb_run() {
	local name=$1 c
	shift
	local args=()
	for c in "$@"; do args+=(-ex "$c"); done
	timeout 300 gdb -batch -nx -x "$HELPER" "$GUEST" -ex "target remote $port" \
		"${args[@]}" >"$tmp/$name.gdb" 2>&1
}
# server_ends WHAT: the server exits by itself with status 0.
server_ends() {
	local rc
	for _ in $(seq 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.05; done
	wait "$server"
	rc=$?
	server=
	if [ $rc = 0 ]; then ok "$1"; else not_ok "$1 (status $rc)" "$tmp/s1.err"; fi
}

if ! "$ENCORE" record -o "$tmp/rec" --interval 500k --kernel "$GUEST" >"$tmp/rec.out" \
	2>"$tmp/rec.err"; then
	not_ok "record ticks.elf" "$tmp/rec.err"
	finish
	exit
fi
"$ENCORE" inspect "$tmp/rec" --events >"$tmp/events.txt"
# checkpoint K's instruction count, from inspect's event list
ckpt_insns() { awk -v k="#$1" '$2 == "checkpoint" && $8 == k { print $3 }' "$tmp/events.txt"; }
k1=$(ckpt_insns 1)
k4=$(ckpt_insns 4)
k3_line=$(awk '$2 == "checkpoint" && $8 == "#3"' "$tmp/events.txt")

# ---- stepping, breakpoints and watchpoints, forward and back ----
if serve s1; then
	gdb_run steps \
		"python step_check('50 stepi then 50 reverse-stepi from the start agree', 50)" \
		"python goto($k1 - 20)" \
		"python step_check('... across checkpoint 1 at instruction $k1', 50)" \
		"python goto($k4 - 25)" \
		"python step_check('... across checkpoint 4 at instruction $k4, mid-recording', 50)" \
		"python goto('start')" \
		"python breaks_check('4 hits of a breakpoint, then back through them with reverse-continue', 'isr_dispatch', 4)" \
		"python watch_check('a watchpoint stops after the write forward, before it in reverse', 'ticks')" \
		"python finish_check('reverse-finish and reverse-nexti go back to the call', 'kprintf')" \
		"python memory_checkpoint_check('monitor checkpoint: back to it from the start, the same machine', 2345678, 20)" \
		"python monitor_check('monitor regs, phys and hash (the same hash each time a place is reached)', 1234567, 0x100000)" \
		"monitor goto checkpoint 3" \
		"python print('WHEN ' + when().replace(chr(10), ' | '))" \
		"kill"
	checks steps
	# "at instruction N (vCPU 0 at RIP R)" and "next event: #E (checkpoint) at instruction N"
	read -r ev kind insns _ _ _ rip _ <<<"$k3_line"
	when=$(grep '^WHEN ' "$tmp/steps.gdb")
	if [[ "$when" == *"at instruction $insns (vCPU 0 at RIP $rip)"* &&
	      "$when" == *"next event: #$ev (checkpoint) at instruction $insns, 0 ahead"* ]]; then
		ok "monitor when at checkpoint 3 agrees with inspect --events (event $ev, $insns, $rip)"
	else
		not_ok "monitor when at checkpoint 3: '$when', inspect: '$k3_line'" "$tmp/steps.gdb"
	fi
	server_ends "encore ends with status 0 when gdb kills the target"
else
	not_ok "encore replay --gdb did not start" "$tmp/s1.err"
fi

# ---- bad input ----
if serve s2; then
	gdb_run bad \
		"python goto(1000)" \
		"python expect_error('a register write is refused', 'set \$rax = 1', 'E\\\\.|refused|diverge|Could not')" \
		"python expect_error('a memory write is refused', 'set {int}&ticks = 5', 'E\\\\.|refused|diverge|Cannot access')" \
		"python expect_error('goto beyond the end says where the recording ends', 'monitor goto 99999999999', 'beyond the recording.s end at instruction [0-9]+')" \
		"python expect_error('a bad goto says how to use it', 'monitor goto nowhere', 'usage: monitor goto')" \
		"python expect_error('an unknown monitor command names itself', 'monitor frobnicate', 'unknown monitor command .frobnicate')" \
		"python expect_error('the replay stayed where it was', 'monitor when', 'at instruction 1000 ')" \
		"python step_check('and still steps both ways', 10)" \
		"disconnect"
	checks bad
	grep -q 'refused, a replay cannot change the machine' "$tmp/s2.err" &&
		ok "encore says why it refused the writes" ||
		not_ok "no message for refused writes" "$tmp/s2.err"
	# raw bytes: noise, a bad checksum, an oversized packet, a bad request,
	# then a good one; then a disconnect without detaching
	python3 - "${port##*:}" >"$tmp/raw.txt" 2>&1 <<'PY'
import sys
sys.path.insert(0, 'tests/e2e/helpers')
from rsp_client import Client, frame
c = Client(sys.argv[1], 20)
c.send_raw(b'garbage\x00\xff' + b'$m100000,4#00' + b'$' + b'a' * 40000 + b'#00')
c.send_raw(frame(b'Zx') + frame(b'QStartNoAckMode') + frame(b'?'))
r = c.reply()
while not r.startswith(b'T'):
    r = c.reply()
print('REPLY', r.decode('latin-1'))
c.close()
PY
	grep -q 'REPLY.*T05thread:1;' "$tmp/raw.txt" &&
		ok "malformed packets are dropped with a message and the server still answers" ||
		not_ok "server after malformed packets" "$tmp/raw.txt"
	grep -q 'dropped a packet: its checksum is wrong' "$tmp/s2.err" &&
		grep -q "malformed request 'Zx'" "$tmp/s2.err" &&
		ok "each bad packet is named on stderr" || not_ok "bad packets not named" "$tmp/s2.err"
	# a second server on the same port
	"$ENCORE" replay "$tmp/rec" --gdb "$port" >/dev/null 2>"$tmp/busy.err"
	rc=$?
	[ $rc = 2 ] && grep -q "cannot listen on 127.0.0.1:${port##*:}: Address already in use" \
		"$tmp/busy.err" && ok "a port in use: exit 2 and a message" ||
		not_ok "port in use: status $rc" "$tmp/busy.err"
	gdb_run again "python expect_error('a new gdb finds the replay where the last left it', 'monitor when', 'at instruction 1000 ')" \
		"kill"
	checks again
	grep -q 'gdb disconnected without detaching' "$tmp/s2.err" &&
		ok "a disconnect is reported and the server waits for the next gdb" ||
		not_ok "no disconnect message" "$tmp/s2.err"
	server_ends "encore ends after the second gdb kills the target"
else
	not_ok "encore replay --gdb did not start" "$tmp/s2.err"
fi

# ---- two vCPUs (tests/guest/smp.c) ----
if "$ENCORE" record -o "$tmp/smp" --smp 2 --interval 200k --kernel "$GUEST_DIR/smp.elf" \
	>"$tmp/smp.out" 2>"$tmp/smp.err" && gdb_serve "$tmp/smp" s5; then
	gdb_run smp "python goto(600000)" \
		"python threads_check('two vCPUs are two gdb threads with their own registers', 2)" \
		"stepi" "python step_check('two vCPUs: 40 steps both ways', 40)" "kill"
	checks smp
	server_ends "encore ends after gdb on the two-vCPU recording"
else
	not_ok "record smp.elf with two vCPUs" "$tmp/smp.err"
fi

# ---- a cut-short recording: the echo guest, its recorder killed ----
mkfifo "$tmp/cut.in"
(
	exec 3<>"$tmp/cut.in"
	"$ENCORE" record -o "$tmp/cut" --interval 10M --kernel "$GUEST_DIR/echo.elf" <&3 \
		>"$tmp/cut.out" 2>"$tmp/cut.err" &
	sleep 0.5
	kill -9 $!
)
"$ENCORE" replay "$tmp/cut" -q 2>"$tmp/cut.replay"
cut_end=$(sed -n 's/.*its complete prefix replayed exactly: \([0-9]*\) instructions.*/\1/p' \
	"$tmp/cut.replay")
if [ -n "$cut_end" ] && gdb_serve "$tmp/cut" s4; then
	gdb_run cut "python end_check('a cut-short recording: continue stops at its last complete point', $cut_end)" \
		"kill"
	checks cut
	server_ends "encore ends after gdb on the cut-short recording"
else
	not_ok "a cut-short recording of the echo guest" "$tmp/cut.replay"
fi

# ---- a recording made on KVM (where /dev/kvm works) ----
if "$ENCORE" record -o "$tmp/krec" --engine kvm --interval 1ms --kernel "$GUEST" \
	>"$tmp/krec.out" 2>"$tmp/krec.err"; then
	gdb_serve "$tmp/krec" s3
	gdb_run kvm \
		"python breaks_check('KVM recording: reverse-continue back through 3 hits', 'isr_dispatch', 3)" \
		"python step_check('KVM recording: 30 steps both ways', 30)" \
		"python watch_check('KVM recording: a watchpoint both ways', 'ticks')" \
		"kill"
	checks kvm
	server_ends "encore ends after gdb on the KVM recording"
elif grep -qi 'kvm' "$tmp/krec.err"; then
	skip "gdb on a recording made on KVM" "$(head -1 "$tmp/krec.err")"
else
	not_ok "record on KVM" "$tmp/krec.err"
fi

"$ENCORE" replay "$tmp/rec" --gdb 127.0.0.1:0 --from 1 >/dev/null 2>"$tmp/alone.err"
rc=$?
[ $rc = 2 ] && grep -q -- '--gdb goes alone' "$tmp/alone.err" &&
	ok "--gdb with --from: exit 2 and a message" || not_ok "--gdb --from: status $rc" "$tmp/alone.err"
"$ENCORE" replay "$tmp/rec" --gdb 99999 >/dev/null 2>"$tmp/badport.err"
rc=$?
[ $rc = 2 ] && grep -q "is not \[HOST:\]PORT" "$tmp/badport.err" &&
	ok "--gdb 99999: exit 2 and a message" || not_ok "--gdb 99999: status $rc" "$tmp/badport.err"

finish
