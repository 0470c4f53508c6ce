#!/bin/bash
# The multiprocessor machine, through the bare-metal guest tests/guest/smp.c:
#   - at --smp 1, 2 and 4 it exits 0 with an "ok" line for every check
#     (at --smp 1 it says there are no APs and runs the checks of one CPU);
#   - two runs agree on console output, instruction count and state hash;
#   - recorded at --smp 4 it replays three times exactly: exit 0, the
#     recorded output, the recorded instruction count and state hash;
#   - every checkpoint interval of that recording replays alone (--from K
#     --to K+1) with exactly its stretch of the output;
#   - on QEMU at -smp 2 (tests/guest/qemu/, `make guests-qemu`) it passes
#     the same checks; skipped without QEMU or the shim.
# A script of its own rather than a case in guests.sh: guests.sh runs
# each guest once on one CPU, while this guest needs several CPU counts,
# a recording and its intervals.  The sanitizer pass skips QEMU.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST_DIR=${GUEST_DIR:-build/guests}
TIMEOUT=${TIMEOUT:-120}
GUEST=$GUEST_DIR/smp.elf
SHIM=$GUEST_DIR/qemu/shim.elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in "$GUEST" "$ENCORE"; do
	[ -f "$f" ] || { echo "smp.sh: $f is missing (make)" >&2; exit 1; }
done

# The checks of one CPU, and those that need APs, by their ok lines.
ONE_CPU=("acpi madt" "bsp apic id" "atomics")
MULTI_CPU=("ap startup" "fixed ipi bsp to aps" "fixed ipi aps to bsp" "broadcast ipi"
	"lowest priority ipi" "nmi ipi" "logical destination ipi" "cross-modifying code"
	"tlb shootdown")

# run NAME ARGS...: encore run with a fixed boot time; $tmp/NAME.{out,err,rc}.
run() {
	local name=$1; shift
	timeout "$TIMEOUT" "$ENCORE" run --rtc base=2026-01-01 --summary "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	echo $? >"$tmp/$name.rc"
}
rc() { cat "$tmp/$1.rc"; }
# check_ok STATUS WHAT [LOG]
check_ok() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2" "${3:-}"; fi; }
summary_value() { sed -n "s/^$2: *//p" "$1" | tail -n 1; }

# expect_checks NAME WHERE N: the guest's output in $tmp/NAME.out has an
# ok line for each check that applies to N CPUs, and no failure.
expect_checks() {
	local name=$1 where=$2 n=$3 c
	local checks=("${ONE_CPU[@]}")
	[ "$n" -gt 1 ] && checks+=("${MULTI_CPU[@]}")
	for c in "${checks[@]}"; do
		grep -qx "smp: $c ok" "$tmp/$name.out"
		check_ok $? "$where: smp: $c ok" "$tmp/$name.out"
	done
	grep -qx "smp: MADT: $n CPUs, APIC IDs.*" "$tmp/$name.out" &&
		grep -qx "smp: ${#checks[@]} checks, 0 failed" "$tmp/$name.out" &&
		grep -qx "PASS smp" "$tmp/$name.out" && ! grep -q FAIL "$tmp/$name.out"
	check_ok $? "$where: $n CPUs in the MADT, ${#checks[@]} checks, none failed" "$tmp/$name.out"
}

# ---- runs at 1, 2 and 4 CPUs, each twice ----
for n in 1 2 4; do
	run "smp$n" --smp "$n" --kernel "$GUEST"
	check_ok "$(rc "smp$n")" "--smp $n: exit status 0" "$tmp/smp$n.err"
	expect_checks "smp$n" "--smp $n" "$n"
	if [ "$n" = 1 ]; then
		grep -qx "smp: no APs: only the checks of one CPU" "$tmp/smp1.out" &&
			! grep -q "smp: AP " "$tmp/smp1.out"
		check_ok $? "--smp 1: says there are no APs" "$tmp/smp1.out"
	fi
	run "smp$n.again" --smp "$n" --kernel "$GUEST"
	n1=$(summary_value "$tmp/smp$n.err" instructions)
	h1=$(summary_value "$tmp/smp$n.err" state-hash)
	[ -n "$n1" ] && [ -n "$h1" ] && cmp -s "$tmp/smp$n.out" "$tmp/smp$n.again.out" &&
		[ "$n1" = "$(summary_value "$tmp/smp$n.again.err" instructions)" ] &&
		[ "$h1" = "$(summary_value "$tmp/smp$n.again.err" state-hash)" ]
	check_ok $? "--smp $n: two runs agree on output, instructions ($n1) and state hash ($h1)" \
		"$tmp/smp$n.again.err"
	echo "# --smp $n: $(grep '^smp: unlocked counter' "$tmp/smp$n.out")"
done

# ---- a recording at 4 CPUs: exact replays ----
rec=$tmp/rec
timeout "$TIMEOUT" "$ENCORE" record -o "$rec" --interval 25K --smp 4 --kernel "$GUEST" \
	--rtc base=2026-01-01 --summary >"$tmp/rec.out" 2>"$tmp/rec.err" </dev/null
rc=$?
"$ENCORE" inspect --json "$rec" >"$tmp/rec.json" 2>"$tmp/rec.json.err"
# bytes[K]: the console bytes printed by checkpoint K.
read -r -a bytes < <(python3 -c 'import json, sys
print(" ".join(str(c["console_bytes"]) for c in json.load(open(sys.argv[1]))["checkpoints"]))' \
	"$tmp/rec.json" 2>/dev/null)
rec_insns=$(summary_value "$tmp/rec.err" instructions)
rec_hash=$(summary_value "$tmp/rec.err" state-hash)
[ $rc = 0 ] && cmp -s "$tmp/rec.out" "$rec/console.out" && cmp -s "$tmp/rec.out" "$tmp/smp4.out" &&
	[ "${#bytes[@]}" -ge 10 ]
check_ok $? "record --smp 4: exit 0, the output of a plain run, ${#bytes[@]} checkpoints" \
	"$tmp/rec.err"

for k in 1 2 3; do
	"$ENCORE" replay "$rec" --summary >"$tmp/replay$k.out" 2>"$tmp/replay$k.err" </dev/null
	rc=$?
	[ $rc = 0 ] && cmp -s "$tmp/replay$k.out" "$rec/console.out" &&
		[ "$(summary_value "$tmp/replay$k.err" instructions)" = "$rec_insns" ] &&
		[ "$(summary_value "$tmp/replay$k.err" state-hash)" = "$rec_hash" ]
	check_ok $? "replay $k: exit $rc, the recorded output, $rec_insns instructions, state hash $rec_hash" \
		"$tmp/replay$k.err"
done

# ---- every interval alone ----
stretch() { tail -c +$(($2 + 1)) "$1" | head -c $(($3 - $2)); }
bad=()
for ((k = 0; k + 1 < ${#bytes[@]}; k++)); do
	"$ENCORE" replay "$rec" --from $k --to $((k + 1)) >"$tmp/iv.out" 2>"$tmp/iv$k.err" </dev/null
	rc=$?
	stretch "$rec/console.out" "${bytes[k]}" "${bytes[k + 1]}" >"$tmp/iv.want"
	if [ $rc != 0 ]; then bad+=("$k:exit-$rc")
	elif ! cmp -s "$tmp/iv.out" "$tmp/iv.want"; then bad+=("$k:output")
	fi
done
n=$((${#bytes[@]} - 1))
if [ "$n" -ge 1 ] && [ ${#bad[@]} = 0 ]; then
	ok "each of the $n intervals replays alone (--from K --to K+1): exit 0, its own output"
else
	not_ok "${#bad[@]} of $n intervals fail alone (K:why): ${bad[*]}" "$tmp/iv${bad[0]%%:*}.err"
fi

# ---- QEMU at -smp 2 ----
if [ "${ENCORE_SANITIZED:-0}" = 1 ]; then
	skip "QEMU -smp 2" "the sanitizer pass does not run QEMU"
elif ! command -v qemu-system-x86_64 >/dev/null; then
	skip "QEMU -smp 2" "qemu-system-x86_64 is not installed"
elif [ ! -f "$SHIM" ]; then
	skip "QEMU -smp 2" "$SHIM is missing (make guests-qemu)"
else
	SMP=2 SHIM=$SHIM TIMEOUT=$TIMEOUT tests/guest/qemu/run.sh "$GUEST" >"$tmp/qemu.out" 2>&1
	check_ok $? "QEMU -smp 2: exit status 0" "$tmp/qemu.out"
	tr -d '\r' <"$tmp/qemu.out" >"$tmp/qemu.clean" && mv "$tmp/qemu.clean" "$tmp/qemu.out"
	expect_checks qemu "QEMU -smp 2" 2
fi

finish
