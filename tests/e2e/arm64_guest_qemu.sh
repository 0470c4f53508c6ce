#!/bin/bash
# The default guest for arm64 (guest/build-guest-arm64.sh: Debian's arm64
# kernel, modules and busybox, the same /init and workload) on QEMU's virt
# board (guest/run-qemu-arm64.sh), the oracle for encore's AArch64 guest:
# with -icount shift=0, two CPUs, the disk and the user network as
# virtio-mmio devices, it boots to the shell prompt, loads virtio_mmio,
# mounts the ext4 disk, configures eth0, runs the workload and the threads
# program typed at the prompts, and powers off through PSCI.  Its
# workload: lines must be the x86-64 guest's as QEMU prints them for the
# same disk, network and input (how linux.sh, net_linux.sh and
# smp_linux.sh get theirs), and its threads: lines too but the racy one;
# the lines the host can compute must be those values.
#
# Skipped (77) where the arm64 guest or qemu-system-aarch64 is missing, and
# under the sanitizer pass (it runs no encore code).
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
GUEST=${GUEST:-build/guest}
GUEST_ARM64=${GUEST_ARM64:-build/guest-arm64}
TIMEOUT=${TIMEOUT:-150}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "${ENCORE_SANITIZED:-0}" = 1 ]; then
	echo "skipped under the sanitizer build (QEMU only, no encore code)"
	exit 77
fi
command -v qemu-system-aarch64 >/dev/null ||
	{ echo "skipped: qemu-system-aarch64 is not installed (qemu-system-arm)"; exit 77; }
for f in Image initramfs.cpio disk.img tftp/numbers.txt; do
	[ -r "$GUEST_ARM64/$f" ] ||
		{ echo "skipped: $GUEST_ARM64/$f is missing (guest/build-guest-arm64.sh)"; exit 77; }
done

elapsed() {
	local us=$((${EPOCHREALTIME/./} - ${1/./}))
	printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10))
}
clean() { tr -d '\r' <"$1"; }
printf 'workload\nthreads 30000\npoweroff -f\n' >"$tmp/input"

# ---- arm64 on QEMU, -icount shift=0, -smp 2 ----
cp "$GUEST_ARM64/disk.img" "$tmp/arm64.img"
t0=$EPOCHREALTIME
timeout "$TIMEOUT" guest/run-qemu-arm64.sh --icount --smp 2 --disk "$tmp/arm64.img" \
	--net "user,tftp=$GUEST_ARM64/tftp" "$GUEST_ARM64/Image" "$GUEST_ARM64/initramfs.cpio" \
	<"$tmp/input" >"$tmp/arm64.out" 2>"$tmp/arm64.err"
rc=$?
secs=$(elapsed "$t0")
rm -f "$tmp/arm64.img"
clean "$tmp/arm64.out" >"$tmp/arm64.txt"
grep '^workload: ' "$tmp/arm64.txt" >"$tmp/arm64.workload"
grep '^threads: ' "$tmp/arm64.txt" >"$tmp/arm64.threads"
if [ $rc = 0 ] && grep -q '^encore# ' "$tmp/arm64.txt" &&
	grep -q 'reboot: Power down' "$tmp/arm64.txt" &&
	! grep -qE 'Kernel panic|Oops|BUG:|Unable to handle' "$tmp/arm64.txt"; then
	ok "arm64 on qemu-system-aarch64 -icount shift=0 -smp 2: boots to the prompt, powers off (exit 0, $secs s)"
else
	not_ok "arm64 boot: exit $rc ($secs s)" "$tmp/arm64.out"
	cat "$tmp/arm64.err" >&2
fi
if grep -qx 'encore guest: /dev/vda mounted on /mnt' "$tmp/arm64.txt" &&
	grep -q '^encore guest: eth0 is 10.0.2.15' "$tmp/arm64.txt" &&
	grep -qx 'workload: done' "$tmp/arm64.workload"; then
	ok "arm64: virtio_mmio, virtio_blk, virtio_net and ext4 loaded; disk mounted, eth0 up; $(wc -l <"$tmp/arm64.workload") workload lines"
else
	not_ok "arm64: disk, network or workload missing" "$tmp/arm64.txt"
fi
if grep -qx 'threads: done' "$tmp/arm64.threads" &&
	grep -qx 'threads: pinned 2 of 2' "$tmp/arm64.threads" &&
	grep -qx 'threads: atomic 60000 (want 60000)' "$tmp/arm64.threads" &&
	grep -qx 'threads: mutex 120000 (want 120000)' "$tmp/arm64.threads"; then
	ok "arm64 threads at -smp 2: pinned to both CPUs, atomics and mutex exact, $(grep racy "$tmp/arm64.threads" | cut -d' ' -f2-)"
else
	not_ok "arm64 threads at -smp 2" "$tmp/arm64.threads"
fi

# ---- the values the host can compute ----
seq 1 500000 >"$tmp/data"
sha=$(sha256sum <"$tmp/data" | cut -d' ' -f1)
{
	echo "workload: seq bytes $(wc -c <"$tmp/data")"
	echo "workload: sha256 $sha"
	echo "workload: md5 $(md5sum <"$tmp/data" | cut -d' ' -f1)"
	echo "workload: gunzip round trip ok"
	echo "workload: sh sum of squares $(awk 'BEGIN { for (i = 0; i < 20000; i++) s += i * i; printf "%.0f", s }')"
	echo "workload: awk sum $(awk 'BEGIN { for (i = 0; i < 200000; i++) s += i; printf "%.0f", s }')"
	echo "workload: disk hello.txt sha256 $(sed -n 's/  hello.txt$//p' "$GUEST_ARM64/disk.sha256")"
	echo "workload: disk write sha256 $(echo "written by the workload, data $sha" | sha256sum | cut -d' ' -f1)"
	echo "workload: net numbers.txt sha256 $(sha256sum <"$GUEST_ARM64/tftp/numbers.txt" | cut -d' ' -f1)"
	echo "workload: done"
} >"$tmp/host.workload"
missing=$(grep -vxF -f "$tmp/arm64.workload" "$tmp/host.workload")
if [ -z "$missing" ]; then
	ok "arm64: the $(wc -l <"$tmp/host.workload") workload lines the host computes are there, as it computes them"
else
	not_ok "arm64: workload lines differ from the host's values"
	sed 's/^/#   want: /' <<<"$missing"
fi

# ---- the x86-64 guest on QEMU: the same lines ----
if command -v qemu-system-x86_64 >/dev/null && [ -r "$GUEST/vmlinuz" ] &&
	[ -r "$GUEST/initramfs.cpio" ] && [ -r "$GUEST/disk.img" ] && [ -r "$GUEST/tftp/numbers.txt" ]; then
	# As the x86-64 tests run it: without -icount (with it, TCG takes
	# minutes on the x86-64 kernel's boot at -smp 2).
	cp "$GUEST/disk.img" "$tmp/x86.img"
	t0=$EPOCHREALTIME
	timeout "$TIMEOUT" guest/run-qemu.sh --smp 2 --disk "$tmp/x86.img" --net "user,tftp=$GUEST/tftp" \
		"$GUEST/vmlinuz" "$GUEST/initramfs.cpio" <"$tmp/input" >"$tmp/x86.out" 2>&1
	rc=$?
	secs=$(elapsed "$t0")
	rm -f "$tmp/x86.img"
	clean "$tmp/x86.out" >"$tmp/x86.txt"
	grep '^workload: ' "$tmp/x86.txt" >"$tmp/x86.workload"
	grep '^threads: ' "$tmp/x86.txt" | grep -v '^threads: racy' >"$tmp/x86.threads"
	if [ $rc != 0 ] || ! grep -qx 'workload: done' "$tmp/x86.workload"; then
		not_ok "the x86-64 guest on QEMU (exit $rc, $secs s) gave no reference" "$tmp/x86.out"
	elif cmp -s "$tmp/x86.workload" "$tmp/arm64.workload"; then
		ok "arm64 prints the x86-64 guest's $(wc -l <"$tmp/x86.workload") workload lines, byte for byte (x86-64 QEMU $secs s)"
	else
		not_ok "arm64's workload lines differ from the x86-64 guest's"
		diff "$tmp/x86.workload" "$tmp/arm64.workload" | head -n 20 | sed 's/^/#   /'
	fi
	grep -v '^threads: racy' "$tmp/arm64.threads" >"$tmp/arm64.sync"
	if [ $rc = 0 ] && grep -qx 'threads: done' "$tmp/x86.threads" &&
		cmp -s "$tmp/x86.threads" "$tmp/arm64.sync"; then
		ok "arm64 prints the x86-64 guest's $(wc -l <"$tmp/x86.threads") synchronised threads lines at -smp 2"
	else
		not_ok "arm64's threads lines differ from the x86-64 guest's"
		diff "$tmp/x86.threads" "$tmp/arm64.sync" | head -n 20 | sed 's/^/#   /'
	fi
else
	skip "the x86-64 guest's lines" "no qemu-system-x86_64 or no x86-64 guest in $GUEST"
	skip "the x86-64 guest's threads lines" "no qemu-system-x86_64 or no x86-64 guest in $GUEST"
fi
finish
