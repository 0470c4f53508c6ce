#!/usr/bin/env bash
# Run encore's bare-metal test guests (build/guests/*.elf) on build/encore
# and check their results.  Run from the repository root:
#
#   tests/e2e/guests.sh
#
# Every guest must print "PASS <name>" and exit 0, except exit42 (status 42)
# and triplefault (status 125 with a triple-fault report); modes also
# prints a success line per processor mode it passes through.  The `count`
# guest is also stopped at exact instruction counts, and runs are repeated
# to check that the final state hash is deterministic.
#
# Environment: ENCORE (default build/encore), GUEST_DIR (default
# build/guests), TIMEOUT seconds per run (default 60), VERBOSE=1 to show the
# output of failing runs in full.

set -u

ENCORE=${ENCORE:-build/encore}
GUEST_DIR=${GUEST_DIR:-build/guests}
TIMEOUT=${TIMEOUT:-60}
VERBOSE=${VERBOSE:-0}

if [ ! -x "$ENCORE" ]; then
	echo "guests.sh: $ENCORE does not exist or is not executable (build it with make)" >&2
	exit 1
fi
if ! ls "$GUEST_DIR"/*.elf >/dev/null 2>&1; then
	echo "guests.sh: no guests in $GUEST_DIR (build them with make guests)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0

ok() {
	echo "ok - $1"
	passed=$((passed + 1))
}

# not_ok WHAT [RUN]: report a failure, with the tail of RUN's output.
not_ok() {
	echo "not ok - $1"
	failed=$((failed + 1))
	if [ -n "${2:-}" ]; then
		local lines=15
		[ "$VERBOSE" = 1 ] && lines=100000
		echo "#   exit status: $(cat "$tmp/$2.rc")"
		grep -E '^FAIL ' "$tmp/$2.out" | head -n 40 | sed 's/^/#   stdout: /'
		tail -n "$lines" "$tmp/$2.err" | sed 's/^/#   stderr: /'
		if [ "$VERBOSE" = 1 ]; then
			sed 's/^/#   stdout: /' "$tmp/$2.out"
		fi
	fi
}

# check COND-STATUS WHAT [RUN]
check() {
	if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2" "${3:-}"; fi
}

# run NAME ARGS...: run encore with a timeout and a fixed boot time (an input
# the state hash depends on, through the RTC); output in $tmp/NAME.{out,err,rc}
run() {
	local name=$1
	shift
	timeout "$TIMEOUT" "$ENCORE" run --rtc base=2026-01-01 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	echo $? >"$tmp/$name.rc"
}

rc() { cat "$tmp/$1.rc"; }
summary_value() { sed -n "s/^$2: *//p" "$tmp/$1.err" | tail -n 1; }

# A guest that must print "PASS <name>" and exit 0; then its determinism.
run_pass_guest() {
	local g=$1 elf=$GUEST_DIR/$1.elf
	run "$g" --kernel "$elf" --summary
	[ "$(rc "$g")" = 0 ] && grep -qx "PASS $g" "$tmp/$g.out"
	check $? "$g: prints PASS $g and exits 0" "$g"
	if [ "$(rc "$g")" = 0 ]; then
		run "$g.again" --kernel "$elf" --summary
		local h1 h2 n1 n2
		h1=$(summary_value "$g" state-hash)
		h2=$(summary_value "$g.again" state-hash)
		n1=$(summary_value "$g" instructions)
		n2=$(summary_value "$g.again" instructions)
		[ -n "$h1" ] && [ "$h1" = "$h2" ] && [ -n "$n1" ] && [ "$n1" = "$n2" ]
		check $? "$g: two runs end with the same instruction count ($n1) and state hash" "$g.again"
	fi
}

for elf in "$GUEST_DIR"/*.elf; do
	g=$(basename "$elf" .elf)
	case $g in
	echo)
		continue # it needs console input: tests/e2e/record.sh runs it
		;;
	smp)
		continue # it needs several vCPUs: tests/e2e/smp.sh runs it
		;;
	isolation_*)
		continue # they end in a stop, or need --smp 2: tests/e2e/isolation.sh runs them
		;;
	exit42)
		run exit42 --kernel "$elf"
		[ "$(rc exit42)" = 42 ] && grep -q "exiting with status 42" "$tmp/exit42.out"
		check $? "exit42: exit status 42 from port 0xf4" exit42
		;;
	triplefault)
		run triplefault --kernel "$elf"
		[ "$(rc triplefault)" = 125 ] && grep -q "^encore: triple fault" "$tmp/triplefault.err" &&
			! grep -q "^FAIL" "$tmp/triplefault.out"
		check $? "triplefault: ud2 with an empty IDT ends in a triple fault (status 125)" triplefault
		;;
	modes)
		# Down from long mode to real mode and back: a line per stage.
		run_pass_guest modes
		for stage in "compatibility mode" "long mode off" "32-bit protected mode" \
			"32-bit paging" "16-bit protected mode" "real mode" "back to long mode"; do
			grep -qx "modes: $stage ok" "$tmp/modes.out"
			check $? "modes: $stage" modes
		done
		;;
	*)
		run_pass_guest "$g"
		;;
	esac
done

# Exact instruction counts with the count guest.
count=$GUEST_DIR/count.elf
if [ -f "$count" ]; then
	for n in 1 2 1000 123457; do
		run "count.$n" --kernel "$count" --max-insns "$n" --summary
		[ "$(rc "count.$n")" = 124 ] &&
			grep -q "^encore: stopped at instruction limit" "$tmp/count.$n.err" &&
			grep -qx "instructions: $n" "$tmp/count.$n.err"
		check $? "count: --max-insns $n stops with status 124 after exactly $n instructions" "count.$n"
	done

	run count.123457.again --kernel "$count" --max-insns 123457 --summary
	h1=$(summary_value count.123457 state-hash)
	h2=$(summary_value count.123457.again state-hash)
	[ -n "$h1" ] && [ "$h1" = "$h2" ]
	check $? "count: two runs stopped at 123457 have the same state hash ($h1)" count.123457.again

	run count.123458 --kernel "$count" --max-insns 123458 --summary
	h3=$(summary_value count.123458 state-hash)
	[ -n "$h3" ] && [ "$h1" != "$h3" ]
	check $? "count: the state hash changes from instruction 123457 to 123458" count.123458

	# The whole run, then limits just below and above its length.
	run count.full --kernel "$count" --summary
	total=$(summary_value count.full instructions)
	if [ "$(rc count.full)" = 0 ] && [ -n "$total" ]; then
		below=$((total - 1))
		run count.below --kernel "$count" --max-insns "$below" --summary
		[ "$(rc count.below)" = 124 ] && grep -qx "instructions: $below" "$tmp/count.below.err"
		check $? "count: --max-insns total-1 ($below) stops one instruction before the end" count.below

		above=$((total + 1000))
		run count.above --kernel "$count" --max-insns "$above" --summary
		[ "$(rc count.above)" = 0 ] && grep -qx "instructions: $total" "$tmp/count.above.err" &&
			[ "$(summary_value count.above state-hash)" = "$(summary_value count.full state-hash)" ]
		check $? "count: a limit above the total ($above) changes nothing" count.above
	else
		not_ok "count: full run reports its instruction count" count.full
	fi
else
	not_ok "count: $count exists"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
