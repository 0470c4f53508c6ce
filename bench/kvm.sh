#!/bin/bash
# Recording on KVM (docs/kvm.md): the ticks guest (timer interrupts and
# port I/O) recorded on --engine kvm, then replayed on the interpreter
# and on KVM.  Reports exits per second of recording, log bytes per exit
# and per event kind, and the replay times.  On a host whose /dev/kvm
# emulates (this project's build machines) only the ratios between the
# log and the exits mean anything: hardware-speed figures need a host
# with VT-x or AMD-V.  Prints Markdown; skips where KVM cannot run.
#   bench/kvm.sh [BUILD]
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
OUT=$BUILD/bench/kvm
rm -rf "$OUT"
mkdir -p "$OUT"
ENCORE=$BUILD/encore
GUEST=build/guests/ticks.elf
echo "## Recording on KVM (bench/kvm.sh)"
echo
if ! "$ENCORE" run --engine kvm --kernel build/guests/exit42.elf >/dev/null 2>"$OUT/probe.err" &&
	grep -q "cannot run here" "$OUT/probe.err"; then
	echo "(skipped: $(head -n 1 "$OUT/probe.err"))"
	exit 0
fi
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>"$OUT/last.err" </dev/null || true
	t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l | xargs printf '%.3f'; }
rec_s=$(seconds "$ENCORE" record --engine kvm --interval 200ms -o "$OUT/rec" --kernel "$GUEST")
run_s=$(seconds "$ENCORE" run --engine kvm --kernel "$GUEST")
interp_run_s=$(seconds "$ENCORE" run --kernel "$GUEST")
rep_i=$(seconds "$ENCORE" replay -q "$OUT/rec")
rep_i_rc=$("$ENCORE" replay -q "$OUT/rec" >/dev/null 2>&1; echo $?)
rep_k=$(seconds "$ENCORE" replay -q --engine kvm "$OUT/rec")
rep_k_rc=$("$ENCORE" replay -q --engine kvm "$OUT/rec" >/dev/null 2>&1; echo $?)
"$ENCORE" inspect --json "$OUT/rec" >"$OUT/inspect.json"
exits=$(jq '.instructions' "$OUT/inspect.json")
log=$(jq '.log_bytes' "$OUT/inspect.json")
events=$(jq '.events.total' "$OUT/inspect.json")
paces=$(jq '.events.pace' "$OUT/inspect.json")
ckpts=$(jq '.checkpoints | length' "$OUT/inspect.json")
vsec=$(jq '.virtual_seconds' "$OUT/inspect.json")
echo "Guest: tests/guest/ticks.c (1 kHz PIT interrupts, port I/O, halts)."
echo "Command: \`$ENCORE record --engine kvm --interval 200ms -o REC --kernel $GUEST\`."
echo
echo "| measure | value |"
echo "|---|---|"
echo "| exits (landmarks) in the recording | $exits |"
echo "| recording wall time | $rec_s s |"
echo "| exits per second while recording | $(echo "$exits / $rec_s" | bc -l | xargs printf '%.0f') |"
echo "| virtual time recorded | $vsec s |"
echo "| events logged (of them time steps) | $events ($paces) |"
echo "| log bytes (zstd blocks) | $log |"
echo "| log bytes per exit | $(echo "$log / $exits" | bc -l | xargs printf '%.2f') |"
echo "| checkpoints | $ckpts |"
echo "| plain run on KVM / on the interpreter | $run_s s / $interp_run_s s |"
echo "| replay on the interpreter (status) | $rep_i s ($rep_i_rc) |"
echo "| replay on KVM (status) | $rep_k s ($rep_k_rc) |"
echo
echo "This host's /dev/kvm executes guests by emulation, so these wall times"
echo "say nothing about KVM on hardware: exits per second and the replay"
echo "ratios need a host with VT-x or AMD-V to mean anything.  Log bytes per"
echo "exit are an upper bound: virtual time moves in logged steps of at least"
echo "100 us of host time, and exits this slow each carry one (about 19 bytes"
echo "with its fingerprint); on hardware most exits come sooner and log nothing."
