#!/bin/bash
# The default guest (Debian's kernel + busybox initramfs) on encore and on
# QEMU side by side: wall time to the first shell prompt, for the typed
# workload, and in all, on the same kernel, initramfs and command line.
# QEMU runs TCG in its deterministic mode (-icount shift=0) and plain TCG.
# Prints Markdown rows; bench/run.sh includes them in the report.
#   bench/linux.sh [BUILD]
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
GUEST=build/guest
OUT=$BUILD/bench
REPS=${BENCH_LINUX_REPS:-2}
mkdir -p "$OUT"
APPEND="console=ttyS0 quiet panic=-1 cryptomgr.notests" # guest/run-qemu.sh's
printf 'workload\npoweroff -f\n' >"$OUT/linux.input"

# prompt_times LOG: "boot workload total" seconds from send-after-prompt -t.
prompt_times() {
	local p1 p2
	p1=$(sed -n 's/^send-after-prompt: prompt 1 at \([0-9.]*\) s$/\1/p' "$1")
	p2=$(sed -n 's/^send-after-prompt: prompt 2 at \([0-9.]*\) s$/\1/p' "$1")
	echo "$p1 $(echo "$p2 - $p1" | bc -l)"
}

# run_encore KERNEL: one run through the same prompt-driven typist as QEMU.
run_encore() {
	local kernel=$1 fifo=$OUT/linux.fifo t0 t1
	rm -f "$fifo"
	mkfifo "$fifo"
	t0=$(date +%s.%N)
	"$BUILD/encore" run --kernel "$kernel" --initrd "$GUEST/initramfs.cpio" \
		--append "$APPEND" --rtc base=2026-01-01 --summary <"$fifo" 2>"$OUT/encore.err" |
		guest/send-after-prompt -t 'encore# ' "$OUT/linux.input" "$fifo" \
			>"$OUT/encore.out" 2>"$OUT/encore.times"
	t1=$(date +%s.%N)
	rm -f "$fifo"
	echo "$(prompt_times "$OUT/encore.times") $(echo "$t1 - $t0" | bc -l)"
}

run_qemu() { # KERNEL [--icount]
	local kernel=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	guest/run-qemu.sh --times "$@" "$kernel" "$GUEST/initramfs.cpio" \
		<"$OUT/linux.input" >"$OUT/qemu.out" 2>"$OUT/qemu.times"
	t1=$(date +%s.%N)
	echo "$(prompt_times "$OUT/qemu.times") $(echo "$t1 - $t0" | bc -l)"
}

# best ROWS...: the run with the smallest total (third field) of REPS runs.
best() {
	local best= line
	for _ in $(seq "$REPS"); do
		line=$("$@")
		if [ -z "$best" ] || [ "$(echo "${line##* } < ${best##* }" | bc -l)" = 1 ]; then
			best=$line
		fi
	done
	echo "$best"
}

row() { # LABEL "boot workload total" REF_TOTAL [insns]
	read -r b w t <<<"$2"
	printf '| %s | %.2f | %.2f | %.2f | %.2f | %s |\n' "$1" "$b" "$w" "$t" \
		"$(echo "$t / $3" | bc -l)" "${4:--}"
}

enc_vmlinux=$(best run_encore "$GUEST/vmlinux")
insns_vmlinux=$(sed -n 's/^instructions: //p' "$OUT/encore.err")
grep '^workload: ' "$OUT/encore.out" | tr -d '\r' >"$OUT/encore.results"
enc_bz=$(best run_encore "$GUEST/vmlinuz")
insns_bz=$(sed -n 's/^instructions: //p' "$OUT/encore.err")
# The interpreter alone, without its translator (src/arch/x86/interp/translate.c).
enc_interp=$(ENCORE_TRANSLATE=0 best run_encore "$GUEST/vmlinux")
insns_interp=$(sed -n 's/^instructions: //p' "$OUT/encore.err")
ref=${enc_vmlinux##* }

echo "## Linux boot and workload (default guest, $REPS runs each, best shown)"
echo
echo "Kernel command line on every engine: \`$APPEND\`; the workload is typed at the"
echo "first prompt, \`poweroff -f\` at the second. Times are wall-clock seconds from"
echo "start to the first prompt (boot), between the prompts (workload), and to exit."
echo
echo "| engine | boot s | workload s | total s | total / encore vmlinux | guest instructions |"
echo "|---|---|---|---|---|---|"
row "encore, vmlinux" "$enc_vmlinux" "$ref" "$insns_vmlinux"
row "encore, bzImage" "$enc_bz" "$ref" "$insns_bz"
row "encore, vmlinux, interpreter alone (ENCORE_TRANSLATE=0)" "$enc_interp" "$ref" "$insns_interp"
if command -v qemu-system-x86_64 >/dev/null; then
	# QEMU boots a vmlinux through its PVH note, a bzImage through its BIOS.
	q_icount=$(best run_qemu "$GUEST/vmlinux" --icount)
	grep '^workload: ' "$OUT/qemu.out" | tr -d '\r' >"$OUT/qemu.results"
	cmp -s "$OUT/qemu.results" "$OUT/encore.results" ||
		echo "WARNING: QEMU's workload results differ from encore's"
	row "QEMU TCG -icount shift=0, vmlinux" "$q_icount" "$ref"
	row "QEMU TCG, vmlinux" "$(best run_qemu "$GUEST/vmlinux")" "$ref"
	row "QEMU TCG -icount shift=0, bzImage" "$(best run_qemu "$GUEST/vmlinuz" --icount)" "$ref"
fi
echo
echo "Workload results (identical on encore and QEMU): $(cut -d' ' -f2- "$OUT/encore.results" | paste -sd ';' -)"
