#!/bin/bash
# The arm64 default guest (guest/build-guest-arm64.sh) on encore's Arm
# board: Debian's stock arm64 kernel boots through the arm64 boot
# protocol with encore's device tree, and a recording of the boot replays
# exactly, three times, interval by interval, and under simulate.  Then
# the whole guest: the workload typed at its shell prints what the same
# kernel and initramfs print on qemu-system-aarch64, powers off with
# status 0, and that recording replays exactly too; the same at --smp 2,
# replayed three times.
#
# The boot run is cut at a fixed instruction count, so its checks hold
# whatever the guest does after the kernel has started /init.  Under the
# sanitizer pass (ENCORE_SANITIZED=1) the boot is replayed once and the
# workload run is left out: the ASan build is several times slower.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST=${ARM64_GUEST:-build/guest-arm64}
export ENCORE_ARM64_GUEST_DIR=$GUEST # the sanitizer build has none beside it
TIMEOUT=${TIMEOUT:-600}
INSNS=1000000000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -r "$GUEST/Image" ] || [ ! -r "$GUEST/initramfs.cpio" ]; then
	echo "arm64_linux.sh: $GUEST is not built (guest/build-guest-arm64.sh): skipped"
	exit 77
fi
RTC=(--rtc base=2026-01-01T00:00:00)

# The boot: the kernel must come up on the board's devices and start init.
timeout "$TIMEOUT" "$ENCORE" record -o "$tmp/rec" --arch arm64 "${RTC[@]}" --interval 200M \
	--max-insns "$INSNS" </dev/null >"$tmp/rec.out" 2>"$tmp/rec.err"
rc=$?
if [ $rc = 124 ] || [ $rc = 1 ]; then
	ok "record --arch arm64: the run ends at the limit or in the guest (exit $rc)"
else
	not_ok "record --arch arm64: exit $rc" "$tmp/rec.err"
fi
for line in 'Machine model: encore virt' 'psci: PSCIv0.2 detected in firmware' \
	'arch_timer: cp15 timer(s) running at 62.50MHz (virt)' 'Root IRQ handler: gic_handle_irq' \
	'9000000.pl011: ttyAMA0 at MMIO 0x9000000' \
	'rtc-pl031 9010000.pl031: setting system clock to 2026-01-01T00:00:00 UTC' \
	'Run /init as init process'; do
	if grep -qF "$line" "$tmp/rec.out"; then
		ok "the kernel says: $line"
	else
		not_ok "the kernel never says: $line" "$tmp/rec.out"
	fi
done
if grep -q '^arch' "$tmp/rec/meta" && grep -q '^arch arm64' "$tmp/rec/meta"; then
	ok "the recording names its architecture (arch arm64)"
else
	not_ok "meta has no 'arch arm64'" "$tmp/rec/meta"
fi

if [ "${ENCORE_SANITIZED:-0}" = 1 ]; then
	check_replays "$tmp/rec" 1 "of the arm64 boot"
else
	check_replays "$tmp/rec" 3 "of the arm64 boot"
	check_simulate_agrees "$tmp/rec"
	# Recorded through translated blocks (the default on x86-64 hosts),
	# replayed by the interpreter alone: every count, stop and state the
	# same, or the hashes would not match.
	ENCORE_TRANSLATE=0 check_replays "$tmp/rec" 1 "of the arm64 boot with the interpreter alone"
fi
check_intervals_alone "$tmp/rec"

# An arm64 recording asks for nothing: replay rebuilds the Arm board.
"$ENCORE" inspect "$tmp/rec" >"$tmp/inspect.out" 2>&1
if grep -q '(arm64)' "$tmp/inspect.out"; then
	ok "inspect shows the architecture"
else
	not_ok "inspect does not show (arm64)" "$tmp/inspect.out"
fi

# The workload at the shell prompt, recorded; QEMU is the oracle.
workload_run() {
	printf 'workload\npoweroff -f\n' >"$tmp/lines"
	record_typed wl "$tmp/lines" --arch arm64 "${RTC[@]}" --interval 1G
	local rc=$?
	grep '^workload: ' "$tmp/wl.out" | tr -d '\r' >"$tmp/wl.results"
	if [ $rc = 0 ] && grep -qx 'workload: done' "$tmp/wl.results"; then
		ok "the workload at the shell prompt, then poweroff: exit 0 ($(wc -l <"$tmp/wl.results") results)"
	else
		not_ok "the workload run: exit $rc" "$tmp/wl.err"
		return
	fi
	if command -v qemu-system-aarch64 >/dev/null; then
		timeout "$TIMEOUT" guest/run-qemu-arm64.sh --icount "$GUEST/Image" \
			"$GUEST/initramfs.cpio" <"$tmp/lines" >"$tmp/qemu.out" 2>&1
		grep '^workload: ' "$tmp/qemu.out" | tr -d '\r' >"$tmp/qemu.results"
		if grep -qx 'workload: done' "$tmp/qemu.results" &&
			cmp -s "$tmp/qemu.results" "$tmp/wl.results"; then
			ok "qemu-system-aarch64 prints the same $(wc -l <"$tmp/qemu.results") workload results"
		else
			not_ok "QEMU's workload results differ from encore's" "$tmp/qemu.out"
			diff "$tmp/qemu.results" "$tmp/wl.results" | head -n 10 | sed 's/^/#   /'
		fi
	else
		skip "the workload results as on QEMU" "no qemu-system-aarch64"
	fi
	check_replays "$tmp/wl" 1 "of the workload run"
	ENCORE_TRANSLATE=0 check_replays "$tmp/wl" 1 "of the workload run with the interpreter alone"
}
# The same at --smp 2: the kernel brings up the second CPU with PSCI and
# schedules on both; the typed input lands where it was recorded, three
# replays out of three.
smp_run() {
	printf 'nproc\nworkload\npoweroff -f\n' >"$tmp/smp.lines"
	record_typed smp "$tmp/smp.lines" --arch arm64 --smp 2 "${RTC[@]}" --interval 1G
	local rc=$?
	grep '^workload: ' "$tmp/smp.out" | tr -d '\r' >"$tmp/smp.results"
	if [ $rc = 0 ] && grep -qF 'smp: Brought up 1 node, 2 CPUs' "$tmp/smp.out" &&
	   tr -d '\r' <"$tmp/smp.out" | grep -qx 2 && cmp -s "$tmp/smp.results" "$tmp/wl.results"; then
		ok "--smp 2: both CPUs up, nproc 2, the same $(wc -l <"$tmp/smp.results") workload results, poweroff: exit 0"
	else
		not_ok "--smp 2 workload run: exit $rc" "$tmp/smp.err"
		diff "$tmp/wl.results" "$tmp/smp.results" | head -n 10 | sed 's/^/#   /'
		return
	fi
	check_replays "$tmp/smp" 3 "of the --smp 2 workload run with typed input"
}
if [ "${ENCORE_SANITIZED:-0}" != 1 ]; then
	workload_run
	smp_run
fi

# Bad input: an arm64 Image as an x86 kernel, and the other way round.
"$ENCORE" run --arch x86_64 --kernel "$GUEST/Image" </dev/null >/dev/null 2>"$tmp/bad.err"
rc=$?
if [ $rc = 2 ] && grep -q 'not a kernel or bare-metal ELF for x86_64' "$tmp/bad.err"; then
	ok "an arm64 Image with --arch x86_64: exit 2 with a reason"
else
	not_ok "an arm64 Image with --arch x86_64: exit $rc" "$tmp/bad.err"
fi
"$ENCORE" run --arch arm64 --smp 9 </dev/null >/dev/null 2>"$tmp/smp.err"
rc=$?
if [ $rc = 2 ] && grep -q 'at most 8 CPUs' "$tmp/smp.err"; then
	ok "--smp 9 on the Arm board: exit 2 (a GICv2 serves 8)"
else
	not_ok "--smp 9 on the Arm board: exit $rc" "$tmp/smp.err"
fi
finish
