#!/bin/bash
# make bench: interpreter speed on the integer/memory loop guest, side by
# side with QEMU (TCG, and TCG in deterministic -icount mode) on the same
# guest image, plus host instructions per guest instruction (callgrind);
# then the default Linux guest's boot and workload on encore and QEMU
# (bench/linux.sh), record/replay on it next to QEMU's (bench/rr.sh), and
# the cost, storage and restore of its checkpoints (bench/ckpt.sh), and
# parallel simulation with plugins next to QEMU's replay with a TCG plugin
# (bench/sim.sh), several vCPUs (bench/smp.sh); and recording on KVM
# (bench/kvm.sh).
# Prints a Markdown report; bench/RESULTS.md keeps the latest one.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
OUT=$BUILD/bench
mkdir -p "$OUT"
REPS=${BENCH_REPS:-3}

build_guest() {
	local name=$1
	gcc -c "bench/guests/$name.S" -o "$OUT/$name.o"
	ld -nostdlib -static -z max-page-size=4096 -T bench/guests/guest.ld "$OUT/$name.o" -o "$OUT/$name.elf"
	objcopy -O binary "$OUT/$name.elf" "$OUT/$name.bin"
}

# best wall time of $REPS runs of a command, in seconds
best_time() {
	local best=
	for _ in $(seq "$REPS"); do
		local t0 t1
		t0=$(date +%s.%N)
		"$@" >"$OUT/last.out" 2>"$OUT/last.err" || true
		t1=$(date +%s.%N)
		local dt
		dt=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$dt < $best" | bc -l)" = 1 ]; then best=$dt; fi
	done
	printf '%.3f' "$best"
}

qemu_cmd() {
	echo qemu-system-x86_64 -accel tcg "$@" -M pc -m 256 -display none -no-reboot \
		-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$OUT/intloop.bin"
}

build_guest intloop
insns=$("$BUILD/encore" run --kernel "$OUT/intloop.elf" --summary 2>&1 | sed -n 's/^instructions: //p')
enc_out=$("$BUILD/encore" run --kernel "$OUT/intloop.elf" 2>/dev/null)
t_enc=$(best_time "$BUILD/encore" run --kernel "$OUT/intloop.elf")
echo "# encore bench ($(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'))"
echo
echo "Command: \`make bench\` (bench/run.sh; best of $REPS wall-clock runs, same guest image on every engine)"
echo
echo "## Integer/memory loop guest (bench/guests/intloop.S, $insns guest instructions)"
echo
echo "| engine | wall s | guest M instr/s | speed relative to encore |"
echo "|---|---|---|---|"
printf '| encore interp | %s | %.0f | 1.00 |\n' "$t_enc" "$(echo "$insns / $t_enc / 1000000" | bc -l)"
if command -v qemu-system-x86_64 >/dev/null; then
	q_out=$($(qemu_cmd) 2>/dev/null || true)
	[ "$q_out" = "$enc_out" ] || echo "WARNING: QEMU printed '$q_out', encore '$enc_out'"
	for mode in "" "-icount shift=0"; do
		# shellcheck disable=SC2046
		t=$(best_time $(qemu_cmd $mode))
		label="QEMU TCG${mode:+ $mode}"
		printf '| %s | %s | %.0f | %.2f |\n' "$label" "$t" "$(echo "$insns / $t / 1000000" | bc -l)" \
			"$(echo "$t_enc / $t" | bc -l)"
	done
else
	echo "| QEMU | not installed | | |"
fi
echo
echo "Target: at least 300 M guest instructions/s for encore on this loop.  Both print checksum \`$enc_out\`.  QEMU times include its start-up (~0.1 s)."
if command -v valgrind >/dev/null; then
	n=20000000
	valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \
		"$BUILD/encore" run --kernel "$OUT/intloop.elf" --max-insns $n >/dev/null 2>"$OUT/callgrind.err" || true
	host=$(sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$OUT/callgrind.err")
	v0=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BUILD/encore" run --kernel "$OUT/intloop.elf" \
		--max-insns 1 2>&1 >/dev/null | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' || true)
	echo
	echo "Host instructions per guest instruction (callgrind, first $n guest instructions,"
	echo "start-up cost subtracted): $(echo "($host - $v0) / $n" | bc -l | xargs printf '%.1f')"
fi
echo
bench/kvm.sh "$BUILD"
echo
if [ -r build/guest/vmlinux ] && [ -r build/guest/initramfs.cpio ]; then
	bench/linux.sh "$BUILD"
	echo
	bench/rr.sh "$BUILD"
	echo
	bench/ckpt.sh "$BUILD"
	echo
	bench/sim.sh "$BUILD"
	echo
	bench/smp.sh "$BUILD"
else
	echo "(Linux benchmark skipped: build the default guest with guest/build-guest.sh)"
fi
