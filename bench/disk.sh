#!/bin/bash
# Disk throughput in the default guest on a virtio disk, encore next to
# QEMU (TCG -icount shift=0, and plain TCG) with virtio-blk on the same
# (sparse, 512 MiB) raw image: sequential 1 MiB writes and reads and 4 KiB random writes
# and reads, all with O_DIRECT (dd's oflag/iflag=direct), so every byte
# crosses the device.  Each test is a command typed at the shell prompt;
# its wall time is the host time between its prompt and the next.
# Guest time is virtual on encore, so nothing is timed inside the guest.
# Prints Markdown; bench/run.sh includes it in the report.
#   bench/disk.sh [BUILD]
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
GUEST=build/guest
OUT=$BUILD/bench/disk
REPS=${BENCH_DISK_REPS:-2}
mkdir -p "$OUT"
APPEND="console=ttyS0 quiet panic=-1 cryptomgr.notests" # guest/run-qemu.sh's
SEQ_MB=256 RANDOM_OPS=256 BLOCKS=131072                    # 4 KiB blocks in 512 MiB

# Offsets of the random tests: a fixed multiplicative sequence, the same on
# both engines.
rand_loop() { # DD-ARGUMENTS: one dd per 4 KiB block at a pseudo-random block
	echo "i=0; while [ \$i -lt $RANDOM_OPS ]; do dd $1=\$(( (i * 2654435761) % $BLOCKS )) bs=4k count=1 ${2} 2>/dev/null; i=\$((i + 1)); done"
}
{
	echo "dd if=/dev/zero of=/dev/vda bs=1M count=$SEQ_MB oflag=direct 2>/dev/null"
	echo "dd if=/dev/vda of=/dev/null bs=1M count=$SEQ_MB iflag=direct 2>/dev/null"
	rand_loop seek "if=/dev/zero of=/dev/vda oflag=direct conv=notrunc"
	rand_loop skip "if=/dev/vda of=/dev/null iflag=direct"
	echo "poweroff -f"
} >"$OUT/input"
TESTS=("sequential write, ${SEQ_MB} MiB in 1 MiB blocks" "sequential read, ${SEQ_MB} MiB in 1 MiB blocks"
       "random write, $RANDOM_OPS × 4 KiB (a dd each)" "random read, $RANDOM_OPS × 4 KiB (a dd each)")

# The prompt times (seconds since start) in LOG, one a line.
prompts() { sed -n 's/^send-after-prompt: prompt [0-9]* at \([0-9.]*\) s$/\1/p' "$1"; }

fresh_image() { rm -f "$OUT/disk.img"; truncate -s 512M "$OUT/disk.img"; }

run_encore() {
	local fifo=$OUT/fifo
	fresh_image
	rm -f "$fifo"
	mkfifo "$fifo"
	"$BUILD/encore" run --kernel "$GUEST/vmlinux" --initrd "$GUEST/initramfs.cpio" \
		--append "$APPEND" --rtc base=2026-01-01 --disk "$OUT/disk.img" <"$fifo" 2>/dev/null |
		guest/send-after-prompt -t 'encore# ' "$OUT/input" "$fifo" >"$OUT/encore.out" \
			2>"$OUT/times"
	rm -f "$fifo"
	prompts "$OUT/times"
}

run_qemu() { # [--icount]
	fresh_image
	guest/run-qemu.sh --times "$@" --disk "$OUT/disk.img" "$GUEST/vmlinux" \
		"$GUEST/initramfs.cpio" <"$OUT/input" >"$OUT/qemu.out" 2>"$OUT/times"
	prompts "$OUT/times"
}

# best_phases RUNNER...: per test, the shortest of REPS runs (seconds, one a line).
best_phases() {
	local k
	for k in $(seq "$REPS"); do
		"$@" | awk 'NR > 1 { printf "%.3f\n", $1 - prev } { prev = $1 }' >"$OUT/phases.$k"
	done
	paste "$OUT"/phases.* | awk '{ m = $1; for (i = 2; i <= NF; i++) if ($i < m) m = $i; print m }'
	rm -f "$OUT"/phases.*
}

enc=$(best_phases run_encore)
echo "## Disk throughput (a virtio disk on a sparse 512 MiB raw image, $REPS runs each, best shown)"
echo
echo "Each test is a command typed at the default guest's prompt (its wall time: from"
echo "its prompt to the next); the kernel command line is \`$APPEND\`."
echo
if ! command -v qemu-system-x86_64 >/dev/null; then
	paste -d'|' <(printf '%s\n' "${TESTS[@]}") <(echo "$enc") | sed 's/^/| /; s/$/ |/'
	exit 0
fi
q_icount=$(best_phases run_qemu --icount)
q_plain=$(best_phases run_qemu)
echo "| test | encore s | QEMU -icount shift=0 s | QEMU TCG s | encore / QEMU -icount |"
echo "|---|---|---|---|---|"
paste <(printf '%s\n' "${TESTS[@]}") <(echo "$enc") <(echo "$q_icount") <(echo "$q_plain") |
	awk -F'\t' '{ printf "| %s | %.2f | %.2f | %.2f | %.2f |\n", $1, $2, $3, $4, $2 / $3 }'
echo
echo "Throughput on encore: sequential write $(echo "$enc" | sed -n 1p | awk -v mb=$SEQ_MB '{ printf "%.1f", mb / $1 }') MiB/s, read $(echo "$enc" | sed -n 2p | awk -v mb=$SEQ_MB '{ printf "%.1f", mb / $1 }') MiB/s."
