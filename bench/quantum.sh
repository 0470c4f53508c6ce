#!/bin/bash
# How long a vCPU's turn should be (MACHINE_QUANTUM_INSNS, README "Several
# vCPUs"): encore built with each quantum in QUANTA runs the default
# guest at --smp 2 on the threads workload (two busy threads, a contended
# mutex) and on the workload script (one busy CPU, one mostly idle).
# Reported per quantum: the guest instructions, the virtual time the
# guest's own `time` measures for the workload, and the best host wall
# time of BENCH_QUANTUM_REPS (default 2) interleaved runs.  Not part of
# `make bench` (it builds encore once per quantum); run it by hand:
#   bench/quantum.sh [QUANTA...]      (default: 2000 20000 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
QUANTA=("${@:-2000 20000 200000}")
read -r -a QUANTA <<<"${QUANTA[*]}"
REPS=${BENCH_QUANTUM_REPS:-2}
ROUNDS=${BENCH_QUANTUM_ROUNDS:-1000000}
GUEST=build/guest
OUT=build/bench/quantum
APPEND="console=ttyS0 quiet panic=-1 cryptomgr.notests"
mkdir -p "$OUT"
printf 'time threads %s\npoweroff\n' "$ROUNDS" >"$OUT/threads.input"
printf 'time workload\npoweroff\n' >"$OUT/workload.input"
for q in "${QUANTA[@]}"; do
	make -s -j"$(nproc)" BUILD="build-q$q" EXTRA_CFLAGS="-DMACHINE_QUANTUM_INSNS=${q}ull" \
		"build-q$q/encore" >/dev/null
done

declare -A best
run() { # QUANTUM WORKLOAD
	local t0 t1 dt key=$1.$2
	t0=$(date +%s.%N)
	"build-q$1/encore" run --kernel "$GUEST/vmlinux" --initrd "$GUEST/initramfs.cpio" \
		--append "$APPEND" --rtc base=2026-01-01 --smp 2 --summary <"$OUT/$2.input" \
		>"$OUT/$key.out" 2>"$OUT/$key.err" || true
	t1=$(date +%s.%N)
	dt=$(echo "$t1 - $t0" | bc -l)
	if [ -z "${best[$key]:-}" ] || [ "$(echo "$dt < ${best[$key]}" | bc -l)" = 1 ]; then
		best[$key]=$dt
	fi
}
for _ in $(seq "$REPS"); do
	for q in "${QUANTA[@]}"; do
		run "$q" threads
		run "$q" workload
	done
done

echo "## The vCPU quantum (bench/quantum.sh, --smp 2, best of $REPS)"
echo
echo "| quantum | workload | guest instructions | guest's \`time\` (virtual) | wall s |"
echo "|---|---|---|---|---|"
for w in threads workload; do
	for q in "${QUANTA[@]}"; do
		insns=$(sed -n 's/^instructions: //p' "$OUT/$q.$w.err")
		real=$(tr -d '\r' <"$OUT/$q.$w.out" | sed -n 's/^real[[:space:]]*//p' | head -n 1)
		printf '| %s | %s | %s | %s | %.2f |\n' "$q" "$w" "$insns" "$real" "${best[$q.$w]}"
	done
done
