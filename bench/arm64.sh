#!/bin/bash
# The arm64 default guest (build/guest-arm64: Debian's arm64 kernel and a
# busybox initramfs) on encore (translated, and its interpreter alone) and on
# qemu-system-aarch64 -icount shift=0 side by side: boot, typed workload
# and power-off, best of REPS runs each, both typed by the same
# prompt-driven typist; then record/run and replay/record on encore, and
# host instructions per guest instruction on the bare-metal count loop
# (callgrind, start-up subtracted).  Prints Markdown; bench/run.sh
# includes it in the report.
#   bench/arm64.sh [BUILD]
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
. bench/lib.sh
GUEST=build/guest-arm64
OUT=$BUILD/bench/arm64
REPS=${BENCH_ARM64_REPS:-2}
RTC=(--rtc base=2026-01-01T00:00:00)
mkdir -p "$OUT"
printf 'workload\npoweroff -f\n' >"$OUT/input"

# typed CMD...: CMD (an encore run, record or replay that reads the
# console) typed the workload after each prompt; prints the wall seconds.
typed() {
	local fifo=$OUT/fifo t0
	rm -f "$fifo"
	mkfifo "$fifo"
	t0=$(now)
	"$@" <"$fifo" 2>"$OUT/encore.err" |
		guest/send-after-prompt 'encore# ' "$OUT/input" "$fifo" >"$OUT/encore.out"
	calc "$(now) - $t0"
	rm -f "$fifo"
}

qemu_run() {
	local t0
	t0=$(now)
	guest/run-qemu-arm64.sh --icount "$GUEST/Image" "$GUEST/initramfs.cpio" \
		<"$OUT/input" >"$OUT/qemu.out" 2>&1
	calc "$(now) - $t0"
}

# least SECONDS...: the smallest.
least() { printf '%s\n' "$@" | sort -g | head -1; }

enc=() interp=() qemu=() rec=() rep=()
for _ in $(seq "$REPS"); do
	enc+=("$(typed "$BUILD/encore" run --arch arm64 "${RTC[@]}" --summary)")
	insns=$(field "$OUT/encore.err" instructions)
	interp+=("$(typed env ENCORE_TRANSLATE=0 "$BUILD/encore" run --arch arm64 "${RTC[@]}")")
	if command -v qemu-system-aarch64 >/dev/null; then qemu+=("$(qemu_run)"); fi
	rm -rf "$OUT/rec"
	rec+=("$(typed "$BUILD/encore" record -o "$OUT/rec" --arch arm64 "${RTC[@]}")")
	t0=$(now)
	"$BUILD/encore" replay "$OUT/rec" >/dev/null 2>"$OUT/replay.err"
	rep+=("$(calc "$(now) - $t0")")
done
e=$(least "${enc[@]}") i=$(least "${interp[@]}") r=$(least "${rec[@]}") p=$(least "${rep[@]}")

# Host instructions per guest instruction on the count loop.
count=build/guests/arm64/count.elf
per_insn=n/a per_insn_interp=n/a
if command -v valgrind >/dev/null && [ -r "$count" ]; then
	# (--max-insns 1 ends with the limit's exit status, which is fine.)
	# irefs [ENV=VALUE] [ARG...]
	irefs() {
		{ env ${1:+"$1"} valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			"$BUILD/encore" run --arch arm64 \
			--kernel "$count" "${@:2}" </dev/null 2>&1 >/dev/null || true; } |
			sed -n 's/.*refs: *//p' | tr -d ,
	}
	guest=$("$BUILD/encore" run --arch arm64 --kernel "$count" --summary </dev/null 2>&1 |
		sed -n 's/^instructions: //p')
	# per_guest_insn [ENV=VALUE]
	per_guest_insn() {
		local all startup
		all=$(irefs "$1") startup=$(irefs "$1" --max-insns 1)
		printf '%.1f ((%s - %s start-up) / %s)' "$(calc "($all - $startup) / $guest")" \
			"$all" "$startup" "$guest"
	}
	per_insn=$(per_guest_insn "")
	per_insn_interp=$(per_guest_insn ENCORE_TRANSLATE=0)
fi

echo "## The arm64 default guest (bench/arm64.sh)"
echo
echo "Boot, the typed workload and power-off of Debian's arm64 kernel with the busybox initramfs"
echo "($insns guest instructions), best of $REPS runs; both typed after each prompt."
echo
echo "| measure | value |"
echo "| --- | --- |"
printf '| encore run, wall | %.2f s |\n' "$e"
printf '| encore run, interpreter alone (ENCORE_TRANSLATE=0), wall | %.2f s |\n' "$i"
printf '| translated / interpreter alone | %.2f |\n' "$(calc "$e / $i")"
if [ ${#qemu[@]} -gt 0 ]; then
	q=$(least "${qemu[@]}")
	printf '| qemu-system-aarch64 -icount shift=0, wall | %.2f s |\n' "$q"
	printf '| encore / QEMU -icount | %.2f |\n' "$(calc "$e / $q")"
fi
printf '| record / run | %.2f |\n' "$(calc "$r / $e")"
printf '| replay / record | %.2f |\n' "$(calc "$p / $r")"
echo "| host instructions per guest instruction, count loop (callgrind) | $per_insn |"
echo "| the same, interpreter alone | $per_insn_interp |"
