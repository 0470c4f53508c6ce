# Shared by the end-to-end scripts: TAP-style results and the summary
# line tests/run.sh reads.  Source it after `cd` to the repository root.
passed=0 failed=0 skipped=0

ok() { passed=$((passed + 1)); echo "ok - $1"; }
# not_ok WHAT [LOG]: a failure, with the end of LOG if one is given.
not_ok() {
	failed=$((failed + 1)); echo "not ok - $1"
	[ -n "${2:-}" ] && [ -f "$2" ] && tail -n 15 "$2" | sed 's/^/#   /'
	return 0
}
skip() { skipped=$((skipped + 1)); echo "ok - $1 # SKIP $2"; }
# The summary line, and the script's exit status.
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}

# record_typed NAME LINES [options]: `encore record -o $tmp/NAME` of the
# default guest with the file LINES typed, a line at each shell prompt
# (guest/send-after-prompt); its console in $tmp/NAME.out, stderr in
# $tmp/NAME.err; returns record's exit status.  Needs ENCORE, TIMEOUT, tmp.
record_typed() {
	local name=$1 lines=$2; shift 2
	local fifo=$tmp/$name.fifo
	mkfifo "$fifo"
	(
		exec 3<>"$fifo"
		timeout "$TIMEOUT" "$ENCORE" record -o "$tmp/$name" "$@" <&3 2>"$tmp/$name.err" |
			guest/send-after-prompt 'encore# ' "$lines" "$fifo" >"$tmp/$name.out"
		exit "${PIPESTATUS[0]}"
	)
}

# check_replays REC RUNS WHAT: replay REC RUNS times; each must be exact,
# end in meta's state hash and print console.out again.  Needs ENCORE, tmp.
check_replays() {
	local rec=$1 runs=$2 what=$3 same=0 k
	local want_hash
	want_hash=$(sed -n 's/^state-hash //p' "$rec/meta")
	for k in $(seq "$runs"); do
		"$ENCORE" replay "$rec" >"$tmp/replay$k.out" 2>"$tmp/replay$k.err" &&
			grep -q "replayed exactly.*final state hash $want_hash" "$tmp/replay$k.err" &&
			cmp -s "$tmp/replay$k.out" "$rec/console.out" && same=$((same + 1))
	done
	if [ "$same" = "$runs" ]; then
		ok "$runs replays $what: exact, same console and state hash $want_hash"
	else
		not_ok "replays $what: $same of $runs exact" "$tmp/replay$runs.err"
	fi
}

# check_intervals_alone REC: every interval of REC replays exactly from
# its checkpoint to the next.
check_intervals_alone() {
	local rec=$1 alone=0 n k
	n=$(sed -n 's/^checkpoints //p' "$rec/meta")
	for k in $(seq 0 $((n - 2))); do
		"$ENCORE" replay "$rec" --from "$k" --to $((k + 1)) >/dev/null 2>"$tmp/alone.err" &&
			grep -q 'replayed exactly' "$tmp/alone.err" && alone=$((alone + 1))
	done
	if [ "$alone" = $((n - 1)) ]; then
		ok "each of the $alone intervals replays alone from its checkpoint"
	else
		not_ok "intervals alone: $alone of $((n - 1)) exact" "$tmp/alone.err"
	fi
}

# check_simulate_agrees REC: simulate -j 1 and -j 2 with icount give the
# same output.
check_simulate_agrees() {
	local rec=$1 j
	for j in 1 2; do
		"$ENCORE" simulate "$rec" -j "$j" --plugin icount -o "$tmp/sim$j" >"$tmp/sim$j.log" 2>&1
	done
	if [ -s "$tmp/sim1/icount.txt" ] && cmp -s "$tmp/sim1/icount.txt" "$tmp/sim2/icount.txt"; then
		ok "simulate -j 1 and -j 2 agree"
	else
		not_ok "simulate -j 1 and -j 2 differ or failed" "$tmp/sim2.log"
	fi
}
