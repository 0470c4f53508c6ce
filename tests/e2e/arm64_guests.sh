#!/bin/bash
# encore's bare-metal AArch64 test guests (tests/guest/arm64/, built by
# make into build/guests/arm64/ where aarch64-linux-gnu-gcc exists) on
# the Arm board:
#   - each runs with `encore run --arch arm64` (at --smp 1 and, for those
#     that use a second CPU, --smp 2), prints PASS lines and its summary
#     "NAME: N checks, 0 failed", no FAIL line, and powers off (exit 0);
#     a guest with a failed check asks for a reset instead (exit 3);
#   - recorded (--smp 2, small --interval so there are several
#     checkpoints), it replays exactly three times, every interval
#     replays alone from its checkpoint, and `simulate -j 2` with the
#     icount plugin equals -j 1;
#   - count: --max-insns stops after exactly N instructions, and stops
#     4k instructions apart inside its 4-instruction loop land on the
#     same PC;
#   - simd: every "simd:" line (one FNV-1a checksum per Advanced SIMD/FP
#     form and FPCR setting, then the total) is the one the same ELF
#     prints on qemu-system-aarch64's virt board, the oracle (skipped
#     when qemu-system-aarch64 is missing);
#   - an AArch64 ELF given with --arch x86_64 is refused (exit 2) with a
#     message naming the mismatch.
# Skipped (77) when the guests were not built (no cross compiler).
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST_DIR=${GUEST_DIR:-build/guests}
TIMEOUT=${TIMEOUT:-60}
A64=$GUEST_DIR/arm64
GUESTS="exceptions mmu exclusives timer smc count simd"
SMP_GUESTS="exclusives timer" # they start CPU 1 when there is one
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -x "$ENCORE" ] || { echo "arm64_guests.sh: $ENCORE is missing (make)" >&2; exit 1; }
if ! ls "$A64"/*.elf >/dev/null 2>&1; then
	echo "skipped: no AArch64 guests in $A64 (make builds them with aarch64-linux-gnu-gcc)"
	exit 77
fi

# run NAME ARGS...: encore run --arch arm64 with a fixed boot time (an
# input the state hash depends on); $tmp/NAME.{out,err,rc}.
run() {
	local name=$1; shift
	timeout "$TIMEOUT" "$ENCORE" run --arch arm64 --rtc base=2026-01-01 --summary "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	echo $? >"$tmp/$name.rc"
}
rc() { cat "$tmp/$1.rc"; }
summary_value() { sed -n "s/^$2: *//p" "$tmp/$1.err" | tail -n 1; }
# fail_lines NAME: the guest's FAIL lines, for the log.
fail_lines() { grep '^FAIL' "$tmp/$1.out" | head -n 20 >"$tmp/$1.fails"; echo "$tmp/$1.fails"; }

# passes G NAME WHERE: run NAME of guest G exited 0 with its summary,
# PASS lines and no FAIL.
passes() {
	local g=$1 name=$2 where=$3 n
	n=$(sed -n "s/^$g: \([0-9]*\) checks, 0 failed$/\1/p" "$tmp/$name.out")
	if [ "$(rc "$name")" = 0 ] && [ -n "$n" ] && [ "$n" -gt 0 ] &&
		[ "$(grep -c "^PASS $g: " "$tmp/$name.out")" = "$n" ] &&
		grep -qx "PASS $g" "$tmp/$name.out" && ! grep -q '^FAIL' "$tmp/$name.out"; then
		ok "$g $where: $n checks pass, powers off (exit 0)"
	else
		not_ok "$g $where: exit $(rc "$name"), $(grep -c '^FAIL' "$tmp/$name.out") FAIL lines" \
			"$(fail_lines "$name")"
		tail -n 3 "$tmp/$name.err" | sed 's/^/#   stderr: /'
	fi
}

t_start=$SECONDS
for g in $GUESTS; do
	elf=$A64/$g.elf
	if [ ! -f "$elf" ]; then
		not_ok "$g: $elf exists"
		continue
	fi
	run "$g.1" --kernel "$elf"
	passes "$g" "$g.1" "--smp 1"
	smp=1
	case " $SMP_GUESTS " in *" $g "*) smp=2 ;; esac
	if [ $smp = 2 ]; then
		run "$g.2" --smp 2 --kernel "$elf"
		passes "$g" "$g.2" "--smp 2"
		grep -q "one CPU" "$tmp/$g.2.out" && not_ok "$g --smp 2: ran the two-CPU checks"
	fi

	# Record at the CPU count the guest uses; about six intervals.
	total=$(summary_value "$g.$smp" instructions)
	[ -n "$total" ] || total=600000
	interval=$((total / 6 + 1))
	rec=$tmp/$g.rec
	timeout "$TIMEOUT" "$ENCORE" record -o "$rec" --arch arm64 --rtc base=2026-01-01 --smp $smp --kernel "$elf" \
		--interval "$interval" >"$tmp/$g.rec.out" 2>"$tmp/$g.rec.err" </dev/null
	r=$?
	if [ $r = "$(rc "$g.$smp")" ] && cmp -s "$tmp/$g.rec.out" "$tmp/$g.$smp.out"; then
		ok "$g: recorded at --smp $smp (interval $interval): same exit ($r) and output as run"
	else
		not_ok "$g: record exit $r, output differs from run" "$tmp/$g.rec.err"
		continue
	fi
	check_replays "$rec" 3 "of $g"
	check_intervals_alone "$rec"
	check_simulate_agrees "$rec"
	rm -rf "$rec" "$tmp"/sim1 "$tmp"/sim2
done

# ---- exact instruction counts ----
count=$A64/count.elf
if [ -f "$count" ]; then
	for n in 1 2 1000 123457; do
		run "count.$n" --kernel "$count" --max-insns "$n"
		[ "$(rc "count.$n")" = 124 ] && grep -q "^encore: stopped at instruction limit $n " "$tmp/count.$n.err" &&
			grep -qx "instructions: $n" "$tmp/count.$n.err"
		if [ $? = 0 ]; then ok "count: --max-insns $n stops with status 124 after exactly $n instructions"
		else not_ok "count: --max-insns $n" "$tmp/count.$n.err"; fi
	done
	pc_at() { sed -n 's/^encore: stopped at instruction limit .*(PC \(0x[0-9a-f]*\),.*/\1/p' "$tmp/$1.err"; }
	run count.loop --kernel "$count" --max-insns 2000000
	run count.loop4k --kernel "$count" --max-insns $((2000000 + 4 * 1000))
	run count.loop4k1 --kernel "$count" --max-insns $((2000000 + 4 * 1000 + 1))
	p1=$(pc_at count.loop) p2=$(pc_at count.loop4k) p3=$(pc_at count.loop4k1)
	if [ -n "$p1" ] && [ "$p1" = "$p2" ] && [ -n "$p3" ] && [ "$p3" != "$p1" ]; then
		ok "count: stops 4000 instructions apart in the loop are at the same PC ($p1), +1 is not"
	else
		not_ok "count: loop PCs $p1, $p2, $p3" "$tmp/count.loop4k.err"
	fi
	h1=$(summary_value count.123457 state-hash)
	run count.123457.again --kernel "$count" --max-insns 123457
	[ -n "$h1" ] && [ "$h1" = "$(summary_value count.123457.again state-hash)" ]
	if [ $? = 0 ]; then ok "count: two runs stopped at 123457 have the same state hash"
	else not_ok "count: state hash at 123457 differs"; fi
	run count.full --kernel "$count"
	total=$(summary_value count.full instructions)
	if [ "$(rc count.full)" = 0 ] && [ -n "$total" ]; then
		run count.below --kernel "$count" --max-insns $((total - 1))
		run count.above --kernel "$count" --max-insns $((total + 1000))
		[ "$(rc count.below)" = 124 ] && grep -qx "instructions: $((total - 1))" "$tmp/count.below.err" &&
			[ "$(rc count.above)" = 0 ] && grep -qx "instructions: $total" "$tmp/count.above.err" &&
			[ "$(summary_value count.above state-hash)" = "$(summary_value count.full state-hash)" ]
		if [ $? = 0 ]; then ok "count: total-1 ($((total - 1))) stops one short; total+1000 changes nothing"
		else not_ok "count: limits around the total $total" "$tmp/count.below.err"; fi
	else
		not_ok "count: full run" "$tmp/count.full.err"
	fi
fi

# ---- simd: the checksums of QEMU, the oracle ----
# The same ELF on QEMU's virt board (its PL011 and PSCI over HVC, as
# guest/run-qemu-arm64.sh boots the arm64 kernel); the guest starts
# from FPCR 0 and clears FPSR itself, so only the instructions differ.
simd=$A64/simd.elf
what="simd: every checksum line as on qemu-system-aarch64"
if [ ! -f "$simd" ]; then
	not_ok "$what: $simd exists"
elif ! command -v qemu-system-aarch64 >/dev/null; then
	skip "$what" "qemu-system-aarch64 is not installed (qemu-system-arm)"
else
	t0=$SECONDS
	timeout "$TIMEOUT" qemu-system-aarch64 -M virt,gic-version=2 -cpu cortex-a57 -m 512M \
		-nodefaults -display none -no-reboot -serial stdio -kernel "$simd" \
		</dev/null 2>"$tmp/simd.qemu.err" | tr -d '\r' >"$tmp/simd.qemu.out"
	r=${PIPESTATUS[0]}
	grep '^simd: ' "$tmp/simd.qemu.out" >"$tmp/simd.qemu.lines"
	grep '^simd: ' "$tmp/simd.1.out" >"$tmp/simd.encore.lines"
	n=$(grep -c '^simd: .* 0x[0-9a-f]*$' "$tmp/simd.qemu.lines")
	if [ "$r" != 0 ] || ! grep -qx 'PASS simd' "$tmp/simd.qemu.out" ||
		! grep -q '^simd: checksum 0x' "$tmp/simd.qemu.lines"; then
		not_ok "$what: QEMU exit $r, no reference" "$tmp/simd.qemu.out"
		cat "$tmp/simd.qemu.err" >&2
	elif cmp -s "$tmp/simd.qemu.lines" "$tmp/simd.encore.lines"; then
		ok "$what ($n checksums, $(grep '^simd: checksum' "$tmp/simd.qemu.lines" | cut -d' ' -f3); QEMU $((SECONDS - t0)) s)"
	else
		not_ok "$what: $(diff "$tmp/simd.qemu.lines" "$tmp/simd.encore.lines" | grep -c '^>') lines differ"
		diff "$tmp/simd.qemu.lines" "$tmp/simd.encore.lines" | head -n 40 | sed 's/^/#   /'
	fi
fi

# ---- bad input: an AArch64 ELF as an x86-64 guest ----
if [ -f "$A64/smc.elf" ]; then
	timeout "$TIMEOUT" "$ENCORE" run --arch x86_64 --kernel "$A64/smc.elf" \
		>"$tmp/wrong.out" 2>"$tmp/wrong.err" </dev/null
	r=$?
	if [ $r = 2 ] && grep -qiE 'aarch64|arm64' "$tmp/wrong.err" && [ "$(wc -l <"$tmp/wrong.err")" -le 3 ]; then
		ok "an AArch64 ELF with --arch x86_64: exit 2, $(head -n 1 "$tmp/wrong.err")"
	else
		not_ok "an AArch64 ELF with --arch x86_64: exit $r" "$tmp/wrong.err"
	fi
fi
echo "# $((SECONDS - t_start)) s"
finish
