#!/bin/bash
# The default guest: Debian's kernel and the busybox initramfs
# (guest/build-guest.sh).  It must boot to the shell prompt, run the
# workload typed at the prompt, print what QEMU prints for the same kernel
# and initramfs, power off with status 0, and do all of it identically
# twice.  Also: the bzImage path, and clear errors for bad boot input.
#
# Under the sanitizer pass (ENCORE_SANITIZED=1) only one boot runs: the
# ASan build is several times slower and the other checks exercise no
# code that the first boot does not.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST=${GUEST:-build/guest}
export ENCORE_GUEST_DIR=$GUEST # the sanitizer build has none beside it
TIMEOUT=${TIMEOUT:-600}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in vmlinux vmlinuz initramfs.cpio; do
	if [ ! -r "$GUEST/$f" ]; then
		echo "linux.sh: $GUEST/$f is missing: run guest/build-guest.sh (setup.sh does)" >&2
		exit 1
	fi
done

# The workload typed at the prompt, then a power-off.
printf 'workload\npoweroff -f\n' >"$tmp/input"
RTC=(--rtc base=2026-01-01T00:00:00)

# boot NAME [run options]: run the guest with the scripted input.
boot() {
	local name=$1; shift
	timeout "$TIMEOUT" "$ENCORE" run "${RTC[@]}" --summary "$@" <"$tmp/input" \
		>"$tmp/$name.out" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
}

field() { sed -n "s/^$2: //p" "$tmp/$1.err"; }

check_workload_run() {
	local name=$1 what=$2
	if [ "$(cat "$tmp/$name.rc")" != 0 ]; then
		not_ok "$what: exit status $(cat "$tmp/$name.rc"), want 0 (powered off)" "$tmp/$name.err"
		return 1
	fi
	if ! grep -q '^encore# ' "$tmp/$name.out"; then
		not_ok "$what: no shell prompt" "$tmp/$name.out"; return 1
	fi
	grep '^workload: ' "$tmp/$name.out" | tr -d '\r' >"$tmp/$name.results"
	if ! grep -qx 'workload: done' "$tmp/$name.results" ||
	   ! grep -qx 'workload: gunzip round trip ok' "$tmp/$name.results"; then
		not_ok "$what: the workload did not finish" "$tmp/$name.out"; return 1
	fi
	ok "$what: boots to the prompt, runs the workload, powers off (exit 0)"
}

boot first
check_workload_run first "vmlinux boot" || exit 1

if [ "${ENCORE_SANITIZED:-0}" = 1 ]; then
	echo "$passed passed, $failed failed"
	exit $((failed > 0))
fi

# Determinism: the guest clock is virtual and the boot time fixed.  The
# second run is the interpreter alone (ENCORE_TRANSLATE=0), the first the
# default (translated where the host is x86-64): both execution paths must
# agree to the instruction.
ENCORE_TRANSLATE=0 boot second
if cmp -s "$tmp/first.out" "$tmp/second.out"; then
	ok "two runs: identical console output"
else
	not_ok "two runs: console output differs" ; diff "$tmp/first.out" "$tmp/second.out" | head -n 10
fi
for f in instructions state-hash; do
	a=$(field first "$f") b=$(field second "$f")
	if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "two runs (translated, interpreted): same $f ($a)"
	else not_ok "two runs: $f differs ($a vs $b)"; fi
done

# Counts and hashes as the engine gave before its speed work (issue 17):
# tests/reference/linux.txt, keyed by the kernel and initramfs (Debian may
# ship another kernel); LINUX_REFERENCE_UPDATE=1 rewrites a line.
LINUX_REF=tests/reference/linux.txt
check_reference() {
	local name=$1 kernel=$2 key insns hash line
	key="$(sha256sum <"$kernel" | cut -c1-16):$(sha256sum <"$GUEST/initramfs.cpio" | cut -c1-16)"
	insns=$(field "$name" instructions) hash=$(field "$name" state-hash)
	if [ "${LINUX_REFERENCE_UPDATE:-0}" = 1 ]; then
		{ grep -v "^$name " "$LINUX_REF" 2>/dev/null; echo "$name $key $insns $hash"; } | sort >"$tmp/ref"
		cp "$tmp/ref" "$LINUX_REF"
	fi
	line=$(awk -v n="$name" -v k="$key" '$1 == n && $2 == k' "$LINUX_REF" 2>/dev/null)
	if [ -z "$line" ]; then
		skip "$name: same count and hash as the reference" "no reference for this kernel and initramfs ($key)"
	elif [ "$line" = "$name $key $insns $hash" ]; then
		ok "$name: $insns instructions and state hash $hash, as the reference"
	else
		not_ok "$name: $insns instructions, state hash $hash; reference: $(echo "$line" | cut -d' ' -f3-)"
	fi
}
check_reference first "$GUEST/vmlinux"

# The same kernel and initramfs under QEMU print the same results.
if command -v qemu-system-x86_64 >/dev/null; then
	timeout "$TIMEOUT" guest/run-qemu.sh "$GUEST/vmlinuz" "$GUEST/initramfs.cpio" \
		<"$tmp/input" >"$tmp/qemu.out" 2>&1
	grep '^workload: ' "$tmp/qemu.out" | tr -d '\r' >"$tmp/qemu.results"
	if grep -qx 'workload: done' "$tmp/qemu.results" && cmp -s "$tmp/qemu.results" "$tmp/first.results"; then
		ok "QEMU prints the same $(wc -l <"$tmp/qemu.results") workload results"
	else
		not_ok "QEMU's workload results differ from encore's" "$tmp/qemu.out"
		diff "$tmp/qemu.results" "$tmp/first.results" | head -n 10 | sed 's/^/#   /'
	fi
else
	skip "QEMU comparison" "qemu-system-x86_64 is not installed"
fi

# The bzImage runs its own decompressor from the 64-bit entry point.
printf 'poweroff -f\n' >"$tmp/input"
boot bzimage --kernel "$GUEST/vmlinuz" --initrd "$GUEST/initramfs.cpio"
if [ "$(cat "$tmp/bzimage.rc")" = 0 ] && grep -q '^encore# ' "$tmp/bzimage.out"; then
	ok "bzImage boot: decompresses, boots to the prompt, powers off"
else
	not_ok "bzImage boot (exit $(cat "$tmp/bzimage.rc"))" "$tmp/bzimage.err"
fi
check_reference bzimage "$GUEST/vmlinuz"

# Its loader's writes (setup header, boot parameters, command line,
# compressed kernel, initrd) must reach the first checkpoint, which skips
# frames nothing wrote: the audit rehashes all of RAM at each checkpoint.
ENCORE_AUDIT_DIRTY=1 timeout "$TIMEOUT" "$ENCORE" record -o "$tmp/bz.rec" --kernel "$GUEST/vmlinuz" \
	--initrd "$GUEST/initramfs.cpio" --rtc base=2026-01-01 --max-insns 300000000 \
	--interval 100000000 </dev/null >/dev/null 2>"$tmp/bz.err"
rc=$?
if [ $rc = 124 ] && grep -q "instruction limit" "$tmp/bz.err" &&
	timeout "$TIMEOUT" "$ENCORE" replay -q "$tmp/bz.rec" >"$tmp/bz.replay" 2>&1 &&
	grep -q "replayed exactly" "$tmp/bz.replay"; then
	ok "bzImage: 300M instructions recorded under the dirty audit, replayed exactly"
else
	not_ok "bzImage record under the dirty audit (exit $rc, want 124)" "$tmp/bz.err"
fi

# A kernel panic ends the run with status 1 and a report, not a hang.
timeout "$TIMEOUT" "$ENCORE" run --append "console=ttyS0 rdinit=/nonexistent init=/nonexistent" \
	</dev/null >"$tmp/panic.out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q "the guest kernel panicked (\"Kernel panic - not syncing: " "$tmp/panic.out" &&
   grep -q "end Kernel panic" "$tmp/panic.out"; then
	ok "kernel panic: exit 1 with a report after the kernel's own"
else
	not_ok "kernel panic (exit $rc, want 1)" "$tmp/panic.out"
fi

# Bad boot input: a clear message and status 2, never a crash.
expect_error() {
	local what=$1 pattern=$2; shift 2
	"$ENCORE" run "$@" </dev/null >"$tmp/err.out" 2>&1
	local rc=$?
	if [ $rc = 2 ] && grep -qE -- "$pattern" "$tmp/err.out"; then ok "$what: $(head -n 1 "$tmp/err.out")"
	else not_ok "$what (exit $rc, want 2)" "$tmp/err.out"; fi
}
head -c 100000 "$GUEST/vmlinuz" >"$tmp/cut-bzimage"
head -c 3000000 "$GUEST/vmlinux" >"$tmp/cut-vmlinux"
expect_error "missing initrd" "cannot open /nonexistent/initrd" --initrd /nonexistent/initrd
expect_error "too little memory" "too little|use --mem" --mem 64M
expect_error "truncated vmlinux" "outside the file|corrupt" --kernel "$tmp/cut-vmlinux"
expect_error "command line too long" "command line is" --append "$(head -c 5000 /dev/zero | tr '\0' x)"
# A truncated bzImage decompresses garbage: the kernel's own decompressor
# must fail inside the guest, and encore must stop with a report.
timeout "$TIMEOUT" "$ENCORE" run --kernel "$tmp/cut-bzimage" --max-insns 2000000000 \
	</dev/null >"$tmp/cut.out" 2>&1
rc=$?
if [ $rc != 0 ] && [ $rc -lt 128 ] && grep -q "encore: " "$tmp/cut.out"; then
	ok "truncated bzImage: stops with a report (exit $rc)"
else
	not_ok "truncated bzImage (exit $rc)" "$tmp/cut.out"
fi

finish
