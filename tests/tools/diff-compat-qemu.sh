#!/bin/bash
# Run test_diff_compat inside a QEMU TCG guest, for hosts that cannot run
# 32- and 16-bit code themselves (test_diff_compat skips there: e.g. a PVM
# guest, whose kernel runs 64-bit user code only and never loads an LDT):
#   tests/tools/diff-compat-qemu.sh [BUILD] [VAR=VALUE...]
# BUILD (default build) holds tests/test_diff_compat; the VAR=VALUE pairs
# go to its environment (ENCORE_TEST_SEED, ENCORE_DIFF_SCALE, ...).  The
# guest is the default guest's kernel ($ENCORE_GUEST_DIR, default
# build/guest: vmlinuz and busybox) with an initramfs holding the test, the
# libraries it links and busybox.  Prints the test's output; exits with its
# status (124 if QEMU did not finish within $QEMU_TIMEOUT seconds, default
# 900).  DIFF_QEMU_CONSOLE=FILE keeps the whole console in FILE.
#
# TCG is not a CPU: where it and the interpreter disagree, the manuals
# decide.  What QEMU 7.2 needs from the harness and this script:
# - SMAP off (-cpu max,-smap): TCG makes the stack accesses of a far CALL
#   and of ENTER in 32/16-bit code as supervisor accesses, and with SMAP
#   the guest kernel takes them for its own bugs (an oops);
# - a flat DS (diff_harness.h): a guest kernel entered while DS has a
#   non-zero base hangs.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
[ $# -gt 0 ] && shift
test_bin=$BUILD/tests/test_diff_compat
guest=${ENCORE_GUEST_DIR:-build/guest}
die() { echo "diff-compat-qemu: $*" >&2; exit 2; }
[ -x "$test_bin" ] || die "no $test_bin (make $test_bin)"
[ -f "$guest/vmlinuz" ] && [ -x "$guest/busybox" ] ||
	die "no guest kernel and busybox in $guest (guest/build-guest.sh, or set ENCORE_GUEST_DIR)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed"
command -v cpio >/dev/null || die "cpio is not installed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/bin" "$root/proc"
cp "$guest/busybox" "$root/bin/busybox"
for a in sh mount poweroff; do ln -s busybox "$root/bin/$a"; done
cp "$test_bin" "$root/bin/test_diff_compat"
# The shared libraries (ASan's too) and the loader, at their host paths.
for lib in $(ldd "$test_bin" | grep -o '/[^ ]*'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
{
	echo '#!/bin/sh'
	echo 'mount -t proc proc /proc'
	printf '/bin/busybox env'
	[ $# -eq 0 ] || printf ' %q' "$@"
	echo ' /bin/test_diff_compat'
	echo 'echo "diff-compat-qemu: exit status $?"'
	echo 'poweroff -f'
} >"$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initrd"

out=${DIFF_QEMU_CONSOLE:-$work/console}
status=0
timeout "${QEMU_TIMEOUT:-900}" qemu-system-x86_64 -m 1024 -nographic -no-reboot \
	-cpu max,-smap -kernel "$guest/vmlinuz" -initrd "$work/initrd" \
	-append "console=ttyS0 quiet panic=-1" >"$out" 2>&1 || status=$?
# The console from the test's first line on, without the firmware's noise.
tr -d '\r' <"$out" | sed -n 's/^.*\(seed: [0-9]\)/\1/; /^seed: [0-9]/,$p' |
	grep -av 'reboot: Power down' || true
[ $status -eq 124 ] && { echo "diff-compat-qemu: QEMU did not finish" >&2; exit 124; }
rc=$(tr -d '\r' <"$out" | sed -n 's/^diff-compat-qemu: exit status \([0-9]*\)$/\1/p')
[ -n "$rc" ] || die "the test did not finish (see the console above)"
exit "$rc"
