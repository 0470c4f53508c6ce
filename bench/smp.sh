#!/bin/bash
# Several vCPUs on the interpreter (the default guest, Debian's kernel):
#   - guest instructions per wall second at --smp 2 and 4 against --smp 1,
#     on the same workload (boot, the workload script, power-off) and on the
#     threads workload (one busy thread per CPU);
#   - at --smp 2 on the workload: record against run, replay against record
#     (the workload runs long enough for the first checkpoint, which hashes
#     all of RAM, not to weigh as it does on the short threads run), and the
#     log's bytes per guest-second against --smp 1;
#   - encore --smp 2 side by side with QEMU -smp 2 on the same kernel,
#     initramfs, command line and typed input: TCG on one host thread with
#     the vCPUs in turn (as encore runs them), TCG on a host thread per vCPU,
#     and -icount shift=0, its deterministic mode, which Debian's QEMU 7.2
#     does not get past the second CPU's start-up with (it is given
#     BENCH_SMP_ICOUNT_SECS, default 120, to show whether it still does).
# Runs are interleaved and each figure is the best of BENCH_SMP_REPS
# (default 2).  Prints Markdown; bench/run.sh includes it in the report.
#   bench/smp.sh [BUILD]
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
GUEST=build/guest
OUT=$BUILD/bench/smp
REPS=${BENCH_SMP_REPS:-2}
ENCORE=$BUILD/encore
ROUNDS=${BENCH_SMP_ROUNDS:-1000000}
APPEND="console=ttyS0 quiet panic=-1 cryptomgr.notests" # guest/run-qemu.sh's
rm -rf "$OUT"
mkdir -p "$OUT"
printf 'workload\npoweroff\n' >"$OUT/workload.input"
printf 'threads %s\npoweroff\n' "$ROUNDS" >"$OUT/threads.input"
enc=("$ENCORE" run --kernel "$GUEST/vmlinux" --initrd "$GUEST/initramfs.cpio"
     --append "$APPEND" --rtc base=2026-01-01 --summary)

# timed NAME CMD...: run CMD (stdin as given), keep the best wall time in
# T_NAME and the stderr of that run in $OUT/NAME.err.
timed() {
	local name=$1 t0 t1 dt var=T_$1
	shift
	t0=$(date +%s.%N)
	"$@" >"$OUT/$name.out" 2>"$OUT/$name.last" || true
	t1=$(date +%s.%N)
	dt=$(echo "$t1 - $t0" | bc -l)
	if [ -z "${!var:-}" ] || [ "$(echo "$dt < ${!var}" | bc -l)" = 1 ]; then
		printf -v "$var" %s "$dt"
		cp "$OUT/$name.last" "$OUT/$name.err"
	fi
}
field() { sed -n "s/^$2: //p" "$OUT/$1.err"; } # NAME FIELD, from --summary
mips() { echo "$(field "$1" instructions) / ${!2} / 1000000" | bc -l; }

for _ in $(seq "$REPS"); do
	for n in 1 2 4; do
		timed "work$n" "${enc[@]}" --smp "$n" <"$OUT/workload.input"
		timed "threads$n" "${enc[@]}" --smp "$n" <"$OUT/threads.input"
	done
	for n in 1 2; do
		rm -rf "$OUT/rec$n"
		timed "record$n" "$ENCORE" record -o "$OUT/rec$n" --kernel "$GUEST/vmlinux" \
			--initrd "$GUEST/initramfs.cpio" --append "$APPEND" --rtc base=2026-01-01 \
			--smp "$n" --summary <"$OUT/workload.input"
	done
	timed replay2 "$ENCORE" replay --summary "$OUT/rec2"
	if command -v qemu-system-x86_64 >/dev/null; then
		timed qemu_single guest/run-qemu.sh --single --smp 2 "$GUEST/vmlinux" \
			"$GUEST/initramfs.cpio" <"$OUT/threads.input"
		timed qemu_mttcg guest/run-qemu.sh --smp 2 "$GUEST/vmlinux" \
			"$GUEST/initramfs.cpio" <"$OUT/threads.input"
	fi
done
ICOUNT_SECS=${BENCH_SMP_ICOUNT_SECS:-120}
if command -v qemu-system-x86_64 >/dev/null; then
	timed qemu_icount guest/run-qemu.sh --icount --smp 2 --timeout "$ICOUNT_SECS" \
		"$GUEST/vmlinux" "$GUEST/initramfs.cpio" <"$OUT/threads.input"
fi

echo "## Several vCPUs (default guest; best of $REPS runs each)"
echo
echo "Command: \`bench/smp.sh $BUILD\` (run by \`make bench\`). Kernel command line \`$APPEND\`;"
echo "*workload* types \`workload\` then \`poweroff\`, *threads* types \`threads $ROUNDS\`"
echo "(one thread per CPU) then \`poweroff\`; input is piped. Guest instructions per"
echo "wall second, and their ratio to \`--smp 1\` on the same workload:"
echo
echo "| workload | vCPUs | guest instructions | wall s | guest M instr/s | vs --smp 1 |"
echo "|---|---|---|---|---|---|"
for w in work threads; do
	base=$(mips "${w}1" "T_${w}1")
	for n in 1 2 4; do
		m=$(mips "$w$n" "T_$w$n")
		printf '| %s | %s | %s | %.2f | %.1f | %.2f |\n' \
			"$([ $w = work ] && echo workload || echo threads)" "$n" \
			"$(field "$w$n" instructions)" "$(eval echo "\$T_$w$n")" "$m" "$(echo "$m / $base" | bc -l)"
	done
done
echo
json() { "$ENCORE" inspect --json "$OUT/$1" | jq -r "$2"; }
lbs1=$(json rec1 .log_bytes_per_guest_second)
lbs2=$(json rec2 .log_bytes_per_guest_second)
replay_ok=$(grep -c 'replayed exactly' "$OUT/replay2.err" || true)
echo "Record and replay of *workload* at \`--smp 2\` ($(field record2 instructions) instructions):"
echo
echo "| measure | value |"
echo "|---|---|"
printf '| run, wall s | %.2f |\n' "$T_work2"
printf '| record, wall s | %.2f |\n' "$T_record2"
printf '| replay, wall s (exact: %s) | %.2f |\n' "$([ "$replay_ok" -ge 1 ] && echo yes || echo NO)" "$T_replay2"
printf '| record / run | %.2f |\n' "$(echo "$T_record2 / $T_work2" | bc -l)"
printf '| replay / record | %.2f |\n' "$(echo "$T_replay2 / $T_record2" | bc -l)"
printf '| log bytes per guest-second, --smp 2 | %.1f |\n' "$lbs2"
printf '| log bytes per guest-second, --smp 1 (same input) | %.1f |\n' "$lbs1"
echo
# results NAME: the synchronised results, for comparing with encore's.
results() { tr -d '\r' <"$OUT/$1.out" | grep '^threads: ' | grep -v racy || true; }
if [ -n "${T_qemu_single:-}" ]; then
	results threads2 >"$OUT/encore.results"
	same() { cmp -s <(results "$1") "$OUT/encore.results" && echo identical || echo DIFFERENT; }
	booted=$(tr -d '\r' <"$OUT/qemu_icount.out" | grep -c 'Brought up 1 node, 2 CPUs' || true)
	echo "Side by side with QEMU on *threads* at 2 vCPUs (QEMU types each line at its"
	echo "prompt, which its wall time includes):"
	echo
	echo "| engine | wall s | / encore | synchronised results |"
	echo "|---|---|---|---|"
	printf '| encore --smp 2 (deterministic, one host thread) | %.2f | 1.00 | - |\n' "$T_threads2"
	printf '| QEMU TCG -smp 2, thread=single (one host thread) | %.2f | %.2f | %s |\n' \
		"$T_qemu_single" "$(echo "$T_qemu_single / $T_threads2" | bc -l)" "$(same qemu_single)"
	printf '| QEMU TCG -smp 2 (a host thread per vCPU) | %.2f | %.2f | %s |\n' \
		"$T_qemu_mttcg" "$(echo "$T_qemu_mttcg / $T_threads2" | bc -l)" "$(same qemu_mttcg)"
	if [ "$booted" = 0 ]; then
		printf '| QEMU TCG -smp 2 -icount shift=0 | did not bring up the second CPU in %s s | | |\n' \
			"$ICOUNT_SECS"
	else
		printf '| QEMU TCG -smp 2 -icount shift=0 | %.2f | %.2f | %s |\n' "$T_qemu_icount" \
			"$(echo "$T_qemu_icount / $T_threads2" | bc -l)" "$(same qemu_icount)"
	fi
fi
