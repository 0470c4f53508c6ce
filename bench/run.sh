#!/bin/bash
# make bench: interpreter speed on the integer/memory loop guest and on a
# compiled C workload guest, side by side with QEMU (TCG, and TCG in
# deterministic -icount mode) on the same guest images, plus host
# instructions per guest instruction (callgrind);
# then the default Linux guest's boot and workload on encore and QEMU
# (bench/linux.sh), record/replay on it next to QEMU's (bench/rr.sh), and
# the cost, storage and restore of its checkpoints (bench/ckpt.sh), and
# parallel simulation with plugins next to QEMU's replay with a TCG plugin
# (bench/sim.sh) and on MPI ranks and while recording (bench/sim_cluster.sh),
# several vCPUs (bench/smp.sh), virtio disk throughput
# (bench/disk.sh) and what recording a disk costs (bench/disk_rec.sh), bulk
# TCP on the user network (bench/net.sh); time travel under gdb
# (bench/timetravel.sh); recording on KVM (bench/kvm.sh); and the arm64
# default guest next to qemu-system-aarch64 (bench/arm64.sh).
# Prints a Markdown report; bench/RESULTS.md keeps the latest one.
# BENCH_ONLY=guests stops after the bare-metal guests (intloop, cwork).
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
OUT=$BUILD/bench
mkdir -p "$OUT"
REPS=${BENCH_REPS:-3}

# Freestanding, integer-only C (tests/guest/guests.mk's flags), without
# hot/cold splitting so all code lands in .text (bench/guests/guest.ld).
GUEST_CFLAGS="-std=gnu11 -O2 -Wall -Wextra -ffreestanding -fno-pic -fno-pie -mcmodel=small
	-nostdlib -mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-80387 -fno-stack-protector
	-fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables -fcf-protection=none
	-fno-reorder-blocks-and-partition"

# build_guest NAME: bench/guests/NAME.S alone, or NAME_start.S (linked
# first: it holds the multiboot header) plus NAME.c, into $OUT/NAME.elf
# (for encore) and the flat $OUT/NAME.bin (for QEMU's multiboot loader).
# build_guest NAME [OUTNAME CFLAGS...]: the guest from bench/guests/NAME.*
build_guest() {
	local src=$1 name=${2:-$1} objs
	shift $(($# > 1 ? 2 : 1))
	if [ -r "bench/guests/$src.c" ]; then
		gcc -c "bench/guests/${src}_start.S" -o "$OUT/${name}_start.o"
		# shellcheck disable=SC2086
		gcc $GUEST_CFLAGS "$@" -c "bench/guests/$src.c" -o "$OUT/$name.o"
		objs=("$OUT/${name}_start.o" "$OUT/$name.o")
	else
		gcc -c "bench/guests/$name.S" -o "$OUT/$name.o"
		objs=("$OUT/$name.o")
	fi
	ld -nostdlib -static -z max-page-size=4096 -T bench/guests/guest.ld "${objs[@]}" -o "$OUT/$name.elf"
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

# qemu_cmd NAME [OPTION...]: QEMU TCG booting $OUT/NAME.bin
qemu_cmd() {
	local name=$1
	shift
	echo qemu-system-x86_64 -accel tcg "$@" -M pc -m 256 -display none -no-reboot \
		-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$OUT/$name.bin"
}

# guest_count NAME: sets insns (guest instructions of a whole run of
# $OUT/NAME.elf on encore) and enc_out (what it printed).
guest_count() {
	local name=$1
	insns=$("$BUILD/encore" run --kernel "$OUT/$name.elf" --summary 2>&1 | sed -n 's/^instructions: //p')
	enc_out=$("$BUILD/encore" run --kernel "$OUT/$name.elf" 2>/dev/null)
}

# guest_table NAME: the engine table for $OUT/NAME.elf (encore) and
# $OUT/NAME.bin (QEMU), after guest_count NAME.
guest_table() {
	local name=$1 t_enc
	t_enc=$(best_time "$BUILD/encore" run --kernel "$OUT/$name.elf")
	t_int=$(ENCORE_TRANSLATE=0 best_time "$BUILD/encore" run --kernel "$OUT/$name.elf")
	echo "| engine | wall s | guest M instr/s | speed relative to encore |"
	echo "|---|---|---|---|"
	printf '| encore | %s | %.0f | 1.00 |\n' "$t_enc" "$(echo "$insns / $t_enc / 1000000" | bc -l)"
	printf '| encore, interpreter alone (ENCORE_TRANSLATE=0) | %s | %.0f | %.2f |\n' "$t_int" \
		"$(echo "$insns / $t_int / 1000000" | bc -l)" "$(echo "$t_enc / $t_int" | bc -l)"
	if command -v qemu-system-x86_64 >/dev/null; then
		local q_out t mode label
		# shellcheck disable=SC2046,SC2091
		q_out=$($(qemu_cmd "$name") 2>/dev/null || true)
		[ "$q_out" = "$enc_out" ] || echo "WARNING: QEMU printed '$q_out', encore '$enc_out'"
		for mode in "" "-icount shift=0"; do
			# shellcheck disable=SC2046,SC2086
			t=$(best_time $(qemu_cmd "$name" $mode))
			label="QEMU TCG${mode:+ $mode}"
			printf '| %s | %s | %.0f | %.2f |\n' "$label" "$t" "$(echo "$insns / $t / 1000000" | bc -l)" \
				"$(echo "$t_enc / $t" | bc -l)"
		done
	else
		echo "| QEMU | not installed | | |"
	fi
}

# host_per_guest NAME: host instructions per guest instruction running
# $OUT/NAME.elf (callgrind, first 20 M guest instructions, start-up cost
# subtracted); prints nothing without valgrind.
host_per_guest() {
	local name=$1 n=${2:-20000000} host v0 limit=()
	command -v valgrind >/dev/null || return 0
	[ "$n" = all ] || limit=(--max-insns "$n")
	valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file="$OUT/callgrind.$name.out" \
		"$BUILD/encore" run --kernel "$OUT/$name.elf" "${limit[@]}" >/dev/null 2>"$OUT/callgrind.$name.err" || true
	[ "$n" != all ] || n=$("$BUILD/encore" run --kernel "$OUT/$name.elf" --summary 2>&1 | sed -n 's/^instructions: //p')
	host=$(sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$OUT/callgrind.$name.err")
	v0=$(valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file=/dev/null "$BUILD/encore" run --kernel "$OUT/$name.elf" \
		--max-insns 1 2>&1 >/dev/null | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' || true)
	echo
	echo "Host instructions per guest instruction (callgrind, $name, first $n guest instructions,"
	echo "start-up cost subtracted): $(echo "($host - $v0) / $n" | bc -l | xargs printf '%.1f')"
}

build_guest intloop
build_guest cwork
build_guest cwork cwork_div20 -DCWORK_DIV=20
echo "# encore bench ($(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'))"
echo
echo "Command: \`make bench\` (bench/run.sh; best of $REPS wall-clock runs, same guest image on every engine)"
echo
guest_count intloop
echo "## Integer/memory loop guest (bench/guests/intloop.S, $insns guest instructions)"
echo
guest_table intloop
echo
echo "Target: at least 300 M guest instructions/s for encore on this loop.  Both print checksum \`$enc_out\`.  QEMU times include its start-up (~0.1 s)."
host_per_guest intloop
echo
guest_count cwork
echo "## Compiled C workload guest (bench/guests/cwork.c, $insns guest instructions)"
echo
guest_table cwork
echo
echo "Hashing, sorting, a bytecode VM and a linked-list walk, C at -O2 without SSE.  Both print \`$enc_out\`."
# A twentieth of the work, all of it under callgrind: every part counts.
host_per_guest cwork_div20 all
echo
[ "${BENCH_ONLY:-}" != guests ] || exit 0
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
	bench/sim_cluster.sh "$BUILD"
	echo
	bench/plugins.sh "$BUILD" "$BUILD/bench/sim/rec"
	echo
	bench/smp.sh "$BUILD"
	echo
	bench/disk.sh "$BUILD"
	echo
	bench/disk_rec.sh "$BUILD"
	echo
	bench/net.sh "$BUILD"
	echo
	bench/timetravel.sh "$BUILD"
else
	echo "(Linux benchmark skipped: build the default guest with guest/build-guest.sh)"
fi
echo
if [ -r build/guest-arm64/Image ] && [ -r build/guest-arm64/initramfs.cpio ]; then
	bench/arm64.sh "$BUILD"
else
	echo "(arm64 benchmark skipped: build the arm64 guest with guest/build-guest-arm64.sh)"
fi
