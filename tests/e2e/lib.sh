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
