#!/bin/bash
# Parallel interval simulation (encore simulate) on the default guest's boot
# and workload (bench/rr.sh's guest, options and piped input):
#  1. hooks cost nothing unused: simulate with no plugin against a plain
#     replay of the same intervals;
#  2. memtrace on the intervals: simulate -j 2 against -j 1, and against one
#     serial replay through the same intervals with the same plugin
#     (simulate --serial); the merged traces must be identical;
#  3. the SimuBoost model (DESIGN.md) fed with what was measured here: the
#     recording's wall time T_vm, the checkpoint cost, the restore time and
#     memtrace's slowdown, for 1, 2, 8, 64 and 512 workers, next to the
#     measured points;
#  4. QEMU's record/replay with a TCG plugin doing the same counting, where
#     Debian's QEMU allows it (bench/qemu_plugin/run.sh).
# BENCH_SIM_INTERVALS (default: all) picks the intervals, as simulate's
# --intervals; memtrace writes about 160 MB per 10^9 instructions.
# BENCH_SIM_QEMU=0 leaves out QEMU.  Prints Markdown.
#   bench/sim.sh [BUILD]
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
GUEST=build/guest
OUT=$BUILD/bench/sim
ENCORE=$BUILD/encore
APPEND="console=ttyS0 quiet panic=-1 cryptomgr.notests" # bench/rr.sh's
rm -rf "$OUT"
mkdir -p "$OUT"
printf 'workload\npoweroff -f\n' >"$OUT/workload.input"
REC=$OUT/rec

. bench/lib.sh

t0=$(now)
"$ENCORE" record -o "$REC" --kernel "$GUEST/vmlinux" --initrd "$GUEST/initramfs.cpio" \
	--append "$APPEND" --rtc base=2026-01-01 <"$OUT/workload.input" >"$OUT/rec.out" \
	2>"$OUT/rec.err"
t_vm=$(calc "$(now) - $t0")
"$ENCORE" inspect --json "$REC" >"$OUT/rec.json"
insns=$(jq -r .instructions "$OUT/rec.json")
ncp=$(jq -r '.checkpoints | length' "$OUT/rec.json")
n=$((ncp - 1))
held=$(sed -n 's/.*checkpoints held the guest \([0-9.]*\) s.*/\1/p' "$OUT/rec.err")
sel=${BENCH_SIM_INTERVALS:-0-$((n - 1))}
first=${sel%%-*}
last=${sel##*-}
[[ "$sel" =~ ^[0-9]+-[0-9]+$ ]] || { echo "BENCH_SIM_INTERVALS must be A-B" >&2; exit 2; }
nsel=$((last - first + 1))

# simulate_run NAME ARGS...: wall seconds in T_NAME, summary in $OUT/NAME.sum
simulate_run() {
	local name=$1 t
	rm -rf "$OUT/$name"
	t=$(now)
	if ! "$ENCORE" simulate "$REC" -q --intervals "$sel" -o "$OUT/$name" "${@:2}" \
		>/dev/null 2>"$OUT/$name.err"; then
		echo "encore simulate ${*:2} failed:" >&2
		cat "$OUT/$name.err" >&2
		exit 1
	fi
	printf -v "T_${name//-/_}" %s "$(calc "$(now) - $t")"
	cp "$OUT/$name/summary.txt" "$OUT/$name.sum"
}

# 1. no plugin vs a plain replay of the same stretch
from_to=(--from "$first" --to "$((last + 1))")
t=$(now)
"$ENCORE" replay "$REC" -q "${from_to[@]}" 2>"$OUT/replay.err"
t_replay=$(calc "$(now) - $t")
simulate_run noplug-serial --serial
simulate_run noplug-j1 -j 1

# 2. memtrace: -j 1, -j 2, one serial replay
simulate_run mt-j1 -j 1 --plugin memtrace
simulate_run mt-j2 -j 2 --plugin memtrace
cmp -s "$OUT/mt-j1/memtrace.zst" "$OUT/mt-j2/memtrace.zst" && same12=yes || same12=NO
mt_bytes=$(stat -c %s "$OUT/mt-j2/memtrace.zst")
rm -rf "$OUT/mt-j1/intervals" "$OUT/mt-j1/memtrace.zst"
simulate_run mt-serial --serial --plugin memtrace
cmp -s "$OUT/mt-serial/memtrace.zst" "$OUT/mt-j2/memtrace.zst" && samesr=yes || samesr=NO
records=$("$ENCORE" memtrace "$OUT/mt-j2/memtrace.zst" --summary | sed -n 's/^records //p')
rm -rf "$OUT/mt-serial" "$OUT/mt-j2/intervals"

sel_insns=$(field "$OUT/mt-j1.sum" instructions)
sum_j1=$(field "$OUT/mt-j1.sum" sum-of-interval-seconds)
restore_ms=$(awk 'NR > 1 && $1 ~ /^[0-9]+$/ { s += $5; n++ } END { printf "%.3f", s / n }' \
	"$OUT/mt-j1.sum")
echo "## Parallel interval simulation (encore simulate)"
echo
echo "Command: \`bench/sim.sh $BUILD\` ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load"
echo "average $(cut -d' ' -f1-3 /proc/loadavg) at the end).  The default guest's boot and workload,"
echo "recorded with the default interval: $insns instructions, $ncp checkpoints, $n intervals;"
echo "simulated: intervals $sel ($nsel intervals, $sel_insns instructions)."
echo
echo "### Unused hooks cost nothing"
echo
echo "| run | wall s | relative to replay |"
echo "|---|---|---|"
printf '| encore replay --from %s --to %s (no plugin machinery) | %.2f | 1.00 |\n' "$first" \
	"$((last + 1))" "$t_replay"
printf '| encore simulate --serial, no plugin | %.2f | %.3f |\n' "$T_noplug_serial" \
	"$(calc "$T_noplug_serial / $t_replay")"
printf '| encore simulate -j 1, no plugin (one restore per interval) | %.2f | %.3f |\n' \
	"$T_noplug_j1" "$(calc "$T_noplug_j1 / $t_replay")"
echo
echo "### memtrace"
echo
echo "| run | wall s | speedup vs -j 1 | speedup vs one serial replay |"
echo "|---|---|---|---|"
printf '| simulate --serial (one replay through the intervals) | %.2f | %.2f | 1.00 |\n' \
	"$T_mt_serial" "$(calc "$T_mt_j1 / $T_mt_serial")"
printf '| simulate -j 1 | %.2f | 1.00 | %.2f |\n' "$T_mt_j1" "$(calc "$T_mt_serial / $T_mt_j1")"
printf '| simulate -j 2 | %.2f | %.2f | %.2f |\n' "$T_mt_j2" "$(calc "$T_mt_j1 / $T_mt_j2")" \
	"$(calc "$T_mt_serial / $T_mt_j2")"
echo
echo "Merged trace: $records accesses, $mt_bytes bytes; -j 1 and -j 2 identical: $same12;"
echo "serial and -j 2 identical: $samesr (goal for -j 2 vs -j 1: at least 1.8x)."
echo

# 3. the SimuBoost model
slow=$(calc "$sum_j1 / ($t_vm * $sel_insns / $insns)")
tc=$(calc "${held:-0} / $ncp")
echo "### The SimuBoost model"
echo
python3 bench/simuboost.py "$t_vm" "$n" "$tc" "$restore_ms" "$slow" "$T_mt_j1" "$T_mt_j2" "$nsel"
echo

# 4. QEMU
if [ -x bench/qemu_plugin/run.sh ] && [ "${BENCH_SIM_QEMU:-1}" != 0 ]; then
	echo "### QEMU record/replay with a TCG plugin"
	echo
	bench/qemu_plugin/run.sh "$BUILD" || echo "(bench/qemu_plugin/run.sh failed)"
fi
