#!/usr/bin/env bash
# Guest isolation: the isolation guests (tests/guest/isolation*.c) point
# every mechanism through which the CPU reaches guest-physical memory past
# the end of RAM (page tables, descriptor tables, string I/O, plain and
# locked accesses, FXSAVE, device pages, an AP's IDT).  Each must end as a
# PC would (all-ones reads, dropped writes, the architectural fault) or in
# a clean stop with a report (triple fault: 125; an instruction fetched
# past RAM: 126), never with a host crash or a host access outside guest
# RAM.  Every run is also recorded (auditing dirty tracking) and replayed
# exactly.
#
#   tests/e2e/isolation.sh
#
# Environment: ENCORE (default: build/encore, and also the AddressSanitizer
# build build-asan/encore when it exists; make test runs this script once
# per build), GUEST_DIR (default build/guests), TIMEOUT seconds per run
# (default 60).
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
GUEST_DIR=${GUEST_DIR:-build/guests}
TIMEOUT=${TIMEOUT:-60}
if [ -n "${ENCORE:-}" ]; then
	encores=("$ENCORE")
else
	encores=(build/encore)
	[ -x build-asan/encore ] && encores+=(build-asan/encore)
fi
for f in "${encores[@]}" "$GUEST_DIR"/isolation.elf "$GUEST_DIR"/isolation_cr3.elf \
	"$GUEST_DIR"/isolation_idt.elf "$GUEST_DIR"/isolation_fetch.elf "$GUEST_DIR"/isolation_ap.elf; do
	[ -f "$f" ] || { echo "isolation.sh: $f is missing (make)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A sanitizer's report, or a crash, is never an acceptable ending.
sane() { ! grep -qE "AddressSanitizer|UndefinedBehaviorSanitizer|runtime error|Segmentation" "$1"; }

# expect E NAME STATUS OUT_PATTERN ERR_PATTERN ARGS...: `encore run` on
# encore E ends with STATUS, its console matching OUT_PATTERN and
# without FAIL lines, its stderr matching ERR_PATTERN ("" for either:
# anything).
# Output in $tmp/NAME.{out,err}.
expect() {
	local e=$1 name=$2 want=$3 out=$4 err=$5; shift 5
	timeout "$TIMEOUT" "$e" run --rtc base=2026-01-01 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	local got=$?
	if [ "$got" = "$want" ] && { [ -z "$out" ] || grep -qE -- "$out" "$tmp/$name.out"; } &&
		! grep -q "^FAIL" "$tmp/$name.out" &&
		{ [ -z "$err" ] || grep -qE -- "$err" "$tmp/$name.err"; } && sane "$tmp/$name.err"; then
		ok "$name: exit $got${err:+, $(grep -E -m1 -- "$err" "$tmp/$name.err" | cut -c1-120)}"
	else
		not_ok "$name (exit $got, want $want)" "$tmp/$name.err"
		grep -E "^FAIL" -A1 "$tmp/$name.out" | head -n 20 | sed 's/^/#   stdout: /'
	fi
}

# recorded E NAME ARGS...: the same run recorded ends the same way with the
# same console, and replays exactly (console, landmarks, checkpoints,
# final state).
recorded() {
	local e=$1 name=$2; shift 2
	local rec=$tmp/$name.rec
	ENCORE_AUDIT_DIRTY=1 timeout "$TIMEOUT" "$e" record -o "$rec" --rtc base=2026-01-01 \
		--interval 200k "$@" >"$rec.out" 2>"$rec.err" </dev/null
	local rc=$?
	timeout "$TIMEOUT" "$e" replay -q "$rec" >"$rec.replay" 2>&1 </dev/null
	local rrc=$?
	if [ "$rc" = "$(cat "$tmp/$name.rc")" ] && cmp -s "$rec.out" "$tmp/$name.out" &&
		[ $rrc = 0 ] && grep -q "replayed exactly" "$rec.replay" && sane "$rec.err" &&
		sane "$rec.replay"; then
		ok "$name: recorded (exit $rc, same console) and replayed exactly"
	else
		not_ok "$name: record exit $rc, replay exit $rrc" "$rec.replay"
		tail -n 5 "$rec.err" | sed 's/^/#   record: /'
	fi
}

# case_rr E NAME STATUS OUT ERR ARGS...: expect, then recorded.
case_rr() {
	local e=$1 name=$2 want=$3
	expect "$@"
	echo "$want" >"$tmp/$name.rc"
	shift 5
	recorded "$e" "$name" "$@"
}

for e in "${encores[@]}"; do
	b=$(basename "$(dirname "$e")")
	g=$GUEST_DIR
	mkdir -p "$tmp/$b"
	# Everything the guest survives, at RAM ends of different alignments
	# (17M: inside a 2 MiB page; 16M: at its end), with RAM above 4 GiB
	# too (run only: a recording would hash all 3 GiB), with two vCPUs.
	case_rr "$e" "$b/isolation-17M" 0 "^PASS isolation" "" --kernel "$g/isolation.elf" --mem 17M
	expect "$e" "$b/isolation-16M" 0 "^PASS isolation" "" --kernel "$g/isolation.elf" --mem 16M
	expect "$e" "$b/isolation-3136M" 0 "ok: RAM above 4 GiB ends at 104000000" "" \
		--kernel "$g/isolation.elf" --mem 3136M
	case_rr "$e" "$b/isolation-smp2" 0 "^PASS isolation" "" --kernel "$g/isolation.elf" \
		--mem 17M --smp 2
	# What ends the run.
	case_rr "$e" "$b/isolation_cr3" 125 "loading CR3" "^encore: triple fault" \
		--kernel "$g/isolation_cr3.elf" --mem 17M
	case_rr "$e" "$b/isolation_idt" 125 "loading the IDT" "^encore: triple fault" \
		--kernel "$g/isolation_idt.elf" --mem 17M
	case_rr "$e" "$b/isolation_fetch" 126 "jumping to 10ffffe" \
		"^encore: instruction fetch at linear address 0x1100000 from guest memory that is not RAM, at RIP 0x10ffffe" \
		--kernel "$g/isolation_fetch.elf" --mem 17M
	case_rr "$e" "$b/isolation_ap" 125 "starting AP 1" "^encore: triple fault.* on vCPU 1 " \
		--kernel "$g/isolation_ap.elf" --mem 17M --smp 2
	# RAM is whole 4 KiB frames: a size that is not is refused, on the
	# command line and in a recording.
	expect "$e" "$b/mem-partial-frame" 2 "" "bad --mem .*multiple of 4K" \
		--kernel "$g/isolation.elf" --mem 4196352
	rec=$tmp/$b/isolation-17M.rec
	sed -i 's/^mem .*/mem 17823744/' "$rec/meta"
	"$(dirname "$e")/tools/meta-seal" "$rec/meta" # an edit this test makes on purpose
	"$e" replay -q "$rec" >"$tmp/meta-mem.out" 2>&1 </dev/null
	rc=$?
	if [ $rc = 2 ] && grep -q "multiple of 4096" "$tmp/meta-mem.out" && sane "$tmp/meta-mem.out"; then
		ok "$b/meta-partial-frame: a recording whose mem is not whole frames: exit 2"
	else
		not_ok "$b/meta-partial-frame: replay exit $rc, want 2" "$tmp/meta-mem.out"
	fi
done
finish
